//! Server-side cursors: an execute with CURSOR_TYPE_READ_ONLY, and the COM_STMT_FETCHes the
//! engine sends as the rows are read.

use bytes::BytesMut;

use crate::codec::stmt::{encode_stmt_fetch, CURSOR_TYPE_READ_ONLY};
use crate::codec::value::ToParam;
use crate::codec::StatusFlags;
use crate::error::Error;

use super::response::Expect;
use super::{Engine, Statement};

impl Engine {
    /// Makes [`Engine::start_execute`] open a cursor and fetch `rows` rows at a time (0: no
    /// cursor, the whole result is sent at once).
    pub fn set_fetch_size(&mut self, rows: u32) {
        self.fetch_size = rows;
    }

    /// Queues COM_STMT_EXECUTE of `stmt` with a read-only cursor: the server keeps the result
    /// and sends it `rows_per_fetch` rows at a time in answer to COM_STMT_FETCH, which the
    /// engine sends whenever the rows of the previous one have been read
    /// ([`Engine::row_step`] goes on across them). Rows left unread are not fetched; the
    /// cursor then stays open on the server until the statement is executed again, reset or
    /// closed. A statement without a result set answers with its OK as usual.
    pub fn start_execute_cursor(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        rows_per_fetch: u32,
    ) -> Result<(), Error> {
        self.start_execute_flags(stmt, params, CURSOR_TYPE_READ_ONLY)?;
        self.cursor = Some((stmt.id(), rows_per_fetch.max(1)));
        Ok(())
    }

    /// At the end of a cursor execute's head or of a fetch's rows, with the server's `status`:
    /// when the cursor has rows left, queues COM_STMT_FETCH for the next ones and expects its
    /// rows (true); otherwise the cursor is done (false).
    #[inline]
    pub(super) fn cursor_fetch(&mut self, status: StatusFlags) -> bool {
        // No cursor (every result but a cursor's): nothing to fetch, nothing to forget.
        self.cursor.is_some() && self.cursor_fetch_open(status)
    }

    /// [`Engine::cursor_fetch`] with a cursor open.
    #[inline(never)]
    fn cursor_fetch_open(&mut self, status: StatusFlags) -> bool {
        match self.cursor {
            Some((id, rows))
                if status.contains(StatusFlags::CURSOR_EXISTS)
                    && !status.contains(StatusFlags::LAST_ROW_SENT) =>
            {
                let mut b = BytesMut::with_capacity(9);
                encode_stmt_fetch(&mut b, id, rows);
                self.codec.set_seq(0);
                self.queue_packet(&[&b]);
                self.resp.set(Expect::Rows);
                true
            }
            _ => {
                self.cursor = None;
                false
            }
        }
    }
}
