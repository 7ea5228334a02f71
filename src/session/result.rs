//! Query results streamed row by row, and pipelined responses, on the async session.

use crate::codec::response::OkPacket;
use crate::codec::resultset::ColumnDefinition;
use crate::error::Error;
use crate::proto::{PipelineCursor, Row};

use super::connection::Session;

/// The response to a query, as the protocol has it: either an OK (no result set) or a result
/// set whose columns are known and whose rows are read one at a time; then possibly more
/// results (multi-statements).
///
/// Dropping it unread is fine: the session drains what is left before its next command.
#[derive(Debug)]
pub struct QueryResult<'s> {
    s: &'s mut Session,
    /// The engine's completed-response count when this response started: while it is
    /// unchanged, the response is still this one's (a pipelined successor has its own id).
    id: u64,
}

impl<'s> QueryResult<'s> {
    /// A handle on the response whose identity (the engine's completed-response count when
    /// it started) is `id`.
    pub(crate) fn new(s: &'s mut Session, id: u64) -> Self {
        QueryResult { s, id }
    }

    fn current(&self) -> bool {
        self.s.engine().completed() == self.id
    }

    /// The column definitions of the current result set (empty for an OK result).
    pub fn columns(&self) -> &[ColumnDefinition] {
        self.s.engine().columns()
    }

    /// True if the current result is a result set (has columns).
    pub fn is_result_set(&self) -> bool {
        !self.columns().is_empty()
    }

    /// The OK of the current result (for a result set: its closing OK / EOF, once all rows are
    /// read; until then the previous one).
    pub fn ok(&self) -> &OkPacket {
        self.s.last_ok()
    }

    /// Affected rows of the latest OK.
    pub fn affected_rows(&self) -> u64 {
        self.s.last_ok().affected_rows
    }

    /// Last insert id of the latest OK.
    pub fn last_insert_id(&self) -> u64 {
        self.s.last_ok().last_insert_id
    }

    /// The next row, or `None` at the end of the current result set. No allocation per row
    /// or cell: the row is a view into the received packet.
    pub async fn next_row(&mut self) -> Result<Option<Row<'_>>, Error> {
        self.s.check()?;
        if !self.current() {
            return Ok(None);
        }
        if self.s.drive(|e| e.row_step()).await? {
            Ok(Some(self.s.engine().row()))
        } else {
            Ok(None)
        }
    }

    /// The next row if it has already been received, without waiting for the network: a
    /// consumer that has other work for the rows it holds (converting them, writing them out)
    /// can do it while the rest arrives, and wait ([`QueryResult::next_row`]) only when it
    /// has none. [`Received::NotYet`] when the next row (or the end) has not fully arrived.
    pub fn next_row_received(&mut self) -> Result<Received<'_>, Error> {
        self.s.check()?;
        if !self.current() {
            return Ok(Received::End);
        }
        let e = self.s.engine_mut();
        if e.wants_write() {
            return Ok(Received::NotYet);
        }
        Ok(match e.row_step()? {
            Some(true) => Received::Row(self.s.engine().row()),
            Some(false) => Received::End,
            None => Received::NotYet,
        })
    }

    /// True if another result follows the current one (SERVER_MORE_RESULTS_EXISTS).
    ///
    /// The flag arrives with the packet that ends a result, so this is only meaningful for an
    /// OK result or once the rows of the current result set have been read to the end; while
    /// rows are still pending it returns `true` (the end is not known yet).
    pub fn has_more_results(&self) -> bool {
        self.current() && self.s.engine().at_next_result()
    }

    /// Skips the rest of the current result set and reads the head of the next result.
    /// Returns `false` when there is none.
    pub async fn next_result(&mut self) -> Result<bool, Error> {
        self.s.check()?;
        if !self.current() {
            return Ok(false);
        }
        while self.s.drive(|e| e.row_step()).await? {}
        if !self.has_more_results() {
            return Ok(false);
        }
        self.s.drive(|e| e.head_step()).await?;
        Ok(true)
    }

    /// Reads and discards everything left of this response.
    pub async fn drain(self) -> Result<(), Error> {
        let id = self.id;
        self.s.drive(|e| e.drain_step(Some(id))).await
    }

    /// Lets go of the session without reading the rest of the response, keeping a ticket
    /// that [`Session::resume`] turns back into this result: for callers that cannot hold the
    /// borrow across calls (a language binding's streaming cursor, a future that owns the
    /// session). Nothing is read or discarded; the next command drains what is left, as after
    /// a drop.
    pub fn detach(self) -> ResultTicket {
        ResultTicket(self.id)
    }
}

/// A detached query result (of either session): see [`QueryResult::detach`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultTicket(pub(crate) u64);

/// What [`QueryResult::next_row_received`] found among the bytes already received.
#[derive(Debug)]
pub enum Received<'a> {
    /// The next row.
    Row(Row<'a>),
    /// The end of the current result set.
    End,
    /// The next row (or the end) has not fully arrived: reading would wait for the network.
    NotYet,
}

impl Session {
    /// The result `ticket` was detached from. If the session has moved on to another command
    /// since, the result is over: it has no rows and no further result sets.
    pub fn resume(&mut self, ticket: ResultTicket) -> QueryResult<'_> {
        QueryResult::new(self, ticket.0)
    }
}

/// Responses to a batch of pipelined queries, in order. See [`Session::pipeline`].
#[derive(Debug)]
pub struct Pipeline<'s> {
    s: &'s mut Session,
    cursor: PipelineCursor,
}

impl<'s> Pipeline<'s> {
    pub(crate) fn new(s: &'s mut Session, cursor: PipelineCursor) -> Self {
        Pipeline { s, cursor }
    }

    /// Number of queries in the pipeline.
    pub fn len(&self) -> usize {
        self.cursor.len()
    }

    /// True for an empty pipeline.
    pub fn is_empty(&self) -> bool {
        self.cursor.is_empty()
    }

    /// Responses not yet taken.
    pub fn remaining(&self) -> usize {
        self.cursor.remaining()
    }

    /// The response to the next query: `None` after the last. The previous response's unread
    /// rows are skipped first.
    pub async fn next(&mut self) -> Option<Result<QueryResult<'_>, Error>> {
        if self.cursor.is_done() {
            return None;
        }
        let cursor = self.cursor;
        if let Err(e) = self.s.drive(|e| cursor.skip_step(e)).await {
            self.cursor.give_up();
            return Some(Err(e));
        }
        self.cursor.take();
        if let Err(e) = self.s.check() {
            return Some(Err(e));
        }
        if let Err(e) = self.s.top_up().await {
            return Some(Err(e));
        }
        // The response's identity is taken before its head is read: an OK-only response
        // completes while its head is read, and must not take its successor's identity.
        let id = self.s.engine().completed();
        match self.s.drive(|e| e.head_step()).await {
            Ok(()) => Some(Ok(QueryResult::new(self.s, id))),
            Err(e) => Some(Err(e)),
        }
    }
}

impl Drop for Pipeline<'_> {
    fn drop(&mut self) {
        // Commands not yet written are not sent; written ones are drained by the next call.
        self.s.discard_unsent();
    }
}
