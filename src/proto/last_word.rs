//! The server's last word: an ERR packet with an unexpected sequence id ends the session with
//! that server error, not with a sequence mismatch (MySQL 8.0.24+ tells an idle client
//! ER_CLIENT_INTERACTION_TIMEOUT this way, with id 0, then hangs up).

use crate::codec::frame::{peek_header, HEADER};
use crate::codec::ParseError;
use crate::error::Error;
use crate::trace::{Direction, PacketEvent};

use super::engine::server_error;
use super::Engine;

/// Longest packet with an unexpected sequence id that is read whole to see whether it is an
/// ERR (an ERR's message is at most 512 bytes: MYSQL_ERRMSG_SIZE).
pub(super) const LAST_WORD_MAX: usize = 4096;

impl Engine {
    /// The error for a frame the decoder refused: a protocol error, unless it is a whole ERR
    /// packet with an unexpected sequence id. A server that gives up on a connection sends
    /// its reason with the id its own counter has — MySQL 8.0.24+ tells an idle client
    /// ER_CLIENT_INTERACTION_TIMEOUT (4031) with id 0, then closes — and clients take it as
    /// the server's last word (MariaDB's net_serv.cc, `expect_error_packet`): the session
    /// ends with that server error instead of a sequence mismatch.
    ///
    /// The decision waits until the whole packet has arrived (`None`: read more), so it does
    /// not depend on how reads cut the stream; a packet longer than [`LAST_WORD_MAX`] is a
    /// protocol error at once.
    pub(super) fn out_of_sequence(&mut self, e: ParseError) -> Option<Error> {
        if e.kind == crate::codec::ErrorKind::SequenceMismatch {
            if let Some((len, _)) = peek_header(&self.rbuf) {
                if len <= LAST_WORD_MAX {
                    if self.rbuf.len() < len.saturating_add(HEADER) {
                        return None;
                    }
                    let rbuf = std::mem::take(&mut self.rbuf);
                    if let Some(err) = self.last_word(&rbuf) {
                        return Some(err);
                    }
                    self.rbuf = rbuf;
                }
            }
        }
        Some(self.proto(e))
    }

    /// The server error in `framed` (a whole packet, header included) when it is an ERR: the
    /// server's last word, which breaks the session (see [`Engine::out_of_sequence`]).
    pub(super) fn last_word(&mut self, framed: &[u8]) -> Option<Error> {
        let (len, seq) = peek_header(framed)?;
        let end = len.saturating_add(HEADER);
        let payload = framed
            .get(HEADER..end)
            .filter(|p| p.first() == Some(&0xFF))?;
        let err = crate::codec::response::parse_err(payload).ok()?;
        if let Some(t) = self.tracer.as_mut() {
            t.packet(&PacketEvent {
                direction: Direction::ServerToClient,
                seq,
                phase: self.phase,
                payload,
            });
        }
        let err = server_error(err);
        self.mark_broken_always(&err);
        Some(err)
    }
}
