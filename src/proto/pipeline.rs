//! Where a reader of pipelined responses stands: the bookkeeping both drivers' `Pipeline`
//! types share.

use super::{Engine, Step};

/// The responses of one batch of pipelined queries, as [`Engine::queue_pipeline`] queued them:
/// how many there are, and how many the reader has taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineCursor {
    /// The engine's completed-response count when the batch was queued.
    base: u64,
    total: usize,
    taken: usize,
}

impl PipelineCursor {
    pub(super) fn new(base: u64, total: usize) -> Self {
        PipelineCursor {
            base,
            total,
            taken: 0,
        }
    }

    /// Number of queries in the batch.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Responses not yet taken.
    pub fn remaining(&self) -> usize {
        self.total.saturating_sub(self.taken)
    }

    /// True once every response was taken (or the batch was given up).
    pub fn is_done(&self) -> bool {
        self.taken >= self.total
    }

    /// Skips what is left of the responses already taken (rows not read), so that the next
    /// response is the engine's current one. `Some(())` when it is.
    pub fn skip_step(&self, e: &mut Engine) -> Step<()> {
        loop {
            let done = usize::try_from(e.completed().wrapping_sub(self.base)).unwrap_or(usize::MAX);
            if done >= self.taken {
                return Ok(Some(()));
            }
            let cur = e.completed();
            if e.drain_step(Some(cur))?.is_none() {
                return Ok(None);
            }
        }
    }

    /// The next response is being taken.
    pub fn take(&mut self) {
        self.taken = self.taken.saturating_add(1);
    }

    /// `n` more commands were queued for the batch.
    pub fn extend(&mut self, n: usize) {
        self.total = self.total.saturating_add(n);
    }

    /// The last `n` commands of the batch will not be sent (dropped after an error).
    pub fn cut(&mut self, n: usize) {
        self.total = self.total.saturating_sub(n).max(self.taken);
    }

    /// Gives the rest of the batch up (after an error that ends it).
    pub fn give_up(&mut self) {
        self.taken = self.total;
    }
}
