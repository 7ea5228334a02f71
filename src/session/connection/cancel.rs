//! `kill-on-cancel`: a command whose response is abandoned (its future dropped, or a read
//! timed out) is stopped on the server with `KILL QUERY <id>` from a side connection.
//!
//! Race safety: the KILL runs in a background task whose handle the session keeps; the
//! session's next command waits for it before sending anything. So the KILL reaches the server
//! while the abandoned command is still the connection's only one: it stops that command, or,
//! if the command had already finished, it finds the connection idle, where MariaDB 10.11 lets
//! the next statement run (own live probe, protocol-notes/cancellation.md). It can never stop a
//! later query.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Session;
use crate::session::options::Options;

/// What a session with `kill-on-cancel` needs to stop its own query: where to connect, its
/// connection id, and the KILL still running.
pub(crate) struct Killer {
    opts: Options,
    id: u32,
    pending: Mutex<Option<JoinHandle<()>>>,
}

impl Killer {
    pub(crate) fn new(opts: &Options, id: u32) -> Arc<Killer> {
        let mut opts = opts.clone();
        // The side connection itself never kills anything on cancel.
        opts.kill_on_cancel = false;
        opts.stmt_cache = 0;
        Arc::new(Killer {
            opts,
            id,
            pending: Mutex::new(None),
        })
    }

    fn pending(&self) -> MutexGuard<'_, Option<JoinHandle<()>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `KILL QUERY` in the background (after any KILL still running), if a tokio
    /// runtime is there to run it.
    fn kill(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = Arc::clone(self);
        let mut pending = self.pending();
        let before = pending.take();
        *pending = Some(rt.spawn(async move {
            if let Some(h) = before {
                let _ = h.await;
            }
            let work = async {
                let mut side = Session::connect(me.opts.clone()).await?;
                side.query_drop(&format!("KILL QUERY {}", me.id)).await?;
                side.close().await
            };
            // Bounded: the next command waits for this.
            let _ = tokio::time::timeout(Duration::from_secs(10), work).await;
        }));
    }

    /// Waits for the KILL still running, if any.
    pub(crate) async fn settle(&self) {
        let h = self.pending().take();
        if let Some(h) = h {
            let _ = h.await;
        }
    }
}

/// Held across a read from the server: dropped while armed (the read's future was dropped, or
/// it timed out and was not disarmed), it sends the KILL.
pub(crate) struct KillOnDrop(Option<Arc<Killer>>);

impl KillOnDrop {
    pub(crate) fn new(k: &Option<Arc<Killer>>) -> KillOnDrop {
        KillOnDrop(k.clone())
    }

    /// The read completed (or failed for another reason than a timeout): nothing to kill.
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(k) = self.0.take() {
            k.kill();
        }
    }
}
