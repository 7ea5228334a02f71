//! The command queue of [`Engine`]: pipelined commands encoded and waiting for room in the
//! in-flight window, the window itself, and the bookkeeping of which response is current.

use bytes::BytesMut;

use crate::codec::frame::PacketCodec;
use crate::error::Error;

use super::super::response::Expect;
use super::super::PipelineCursor;
use super::{Engine, Queued, PIPELINE_WINDOW, PIPELINE_WINDOW_BYTES};

impl Engine {
    // ---- pipelining ---------------------------------------------------------------------

    /// Encodes `queries` as COM_QUERY commands to be sent as the in-flight window allows (see
    /// [`Engine::top_up`]); returns the cursor a reader of their responses keeps.
    pub fn queue_pipeline<I, S>(&mut self, queries: I) -> Result<PipelineCursor, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.check()?;
        self.check_no_open_auth()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a pipeline was started while a response is still unread".into(),
            ));
        }
        let mut all = BytesMut::new();
        let mut codec = PacketCodec::new(self.codec.max_payload());
        let mut cuts = Vec::new();
        for q in queries {
            codec.set_seq(0);
            let before = all.len();
            codec.encode_parts(&[self.query_prefix(), q.as_ref().as_bytes()], &mut all);
            cuts.push((all.len().saturating_sub(before), codec.next_seq()));
        }
        let total = cuts.len();
        self.push_unsent(all, &cuts, Expect::Head, None);
        Ok(PipelineCursor::new(self.completed, total))
    }

    /// Queues the commands encoded one after another in `all` (`cuts`: each one's length and
    /// its response's first sequence id) for [`Engine::top_up`] to send.
    pub(in crate::proto) fn push_unsent(
        &mut self,
        all: BytesMut,
        cuts: &[(usize, u8)],
        expect: Expect,
        stmt: Option<u32>,
    ) {
        self.flush_closes();
        self.infile_names.clear();
        let whole = matches!(cuts, [(len, _)] if *len == all.len());
        let mut all = all.freeze();
        for &(len, seq) in cuts {
            self.unsent.push_back(Queued {
                bytes: all.split_to(len.min(all.len())),
                expect,
                seq,
                stmt,
                whole,
            });
        }
    }

    /// Moves queued pipelined commands to the transmit buffer while the in-flight window has
    /// room. Returns true if any moved.
    pub fn top_up(&mut self) -> bool {
        // Refill only when the window is at most half full, so that writes go out in batches
        // (one system call for many commands) rather than one per response.
        let in_flight = self.pending.len() + usize::from(self.busy());
        if in_flight > PIPELINE_WINDOW / 2 && self.inflight_bytes <= PIPELINE_WINDOW_BYTES / 2 {
            return false;
        }
        let mut moved = false;
        while let Some(q) = self.unsent.front() {
            let in_flight = self.pending.len() + usize::from(self.busy());
            if in_flight >= PIPELINE_WINDOW
                || (in_flight > 0
                    && self.inflight_bytes.saturating_add(q.bytes.len()) > PIPELINE_WINDOW_BYTES)
            {
                break;
            }
            let Some(Queued {
                bytes,
                expect,
                seq,
                stmt,
                whole,
            }) = self.unsent.pop_front()
            else {
                break;
            };
            let len = bytes.len();
            self.inflight_bytes = self.inflight_bytes.saturating_add(len);
            // The tracer sees the command's packets after it was queued (a second handle).
            let traced = self.tracer.is_some().then(|| bytes.clone());
            // With compression, the response starts at the compressed packets' count.
            let seq = self.send_commands(bytes, seq, whole);
            if self.busy() {
                self.pending.push_back((expect, seq, len, stmt));
            } else {
                self.resp.set(expect);
                self.expect_seq(seq);
                self.current_bytes = len;
                self.set_exec(stmt);
            }
            if let Some(bytes) = traced {
                // Every packet of the command (an execute's long data pieces come first).
                let mut dec = PacketCodec::new(usize::MAX);
                let mut b = BytesMut::from(&bytes[..]);
                while let Ok(Some(f)) = dec.decode_frame(&mut b) {
                    self.trace_out(f.seq, &[&f.payload]);
                    dec.set_seq(0);
                }
            }
            moved = true;
        }
        moved
    }

    /// Drops pipelined commands not yet sent (a pipeline dropped half-read).
    pub fn discard_unsent(&mut self) {
        self.unsent.clear();
    }

    /// Responses completed since connect: identifies "the current response".
    #[inline]
    pub fn completed(&self) -> u64 {
        self.completed
    }

    // ---- responses ----------------------------------------------------------------------

    /// The current response is complete: move on to the next pipelined one, if any.
    pub(in crate::proto) fn finish_response(&mut self) {
        self.completed = self.completed.wrapping_add(1);
        self.inflight_bytes = self.inflight_bytes.saturating_sub(self.current_bytes);
        self.current_bytes = 0;
        match self.pending.pop_front() {
            Some((expect, seq, size, stmt)) => {
                self.resp.set(expect);
                self.expect_seq(seq);
                self.current_bytes = size;
                self.set_exec(stmt);
            }
            None => self.resp.set(Expect::Idle),
        }
    }

    /// After a packet that may have ended the response (the response machine is idle again):
    /// the response is complete.
    #[inline]
    pub(in crate::proto) fn finish_if_done(&mut self) {
        if self.resp.is_idle() {
            self.finish_response();
        }
    }
}
