//! The blocking session's responses: a query's result streamed row by row, and pipelined
//! responses (see the async session's `super::super::QueryResult` / `Pipeline`).

use crate::codec::response::OkPacket;
use crate::codec::resultset::ColumnDefinition;
use crate::proto::{PipelineCursor, Row};
use crate::Error;

use super::Session;

/// The response to a query on a blocking session: see [`super::super::QueryResult`].
#[derive(Debug)]
pub struct QueryResult<'s> {
    pub(super) s: &'s mut Session,
    pub(super) id: u64,
}

impl QueryResult<'_> {
    fn current(&self) -> bool {
        self.s.engine.completed() == self.id
    }

    /// The column definitions of the current result set (empty for an OK result).
    pub fn columns(&self) -> &[ColumnDefinition] {
        self.s.engine.columns()
    }

    /// True if the current result is a result set (has columns).
    pub fn is_result_set(&self) -> bool {
        !self.columns().is_empty()
    }

    /// The OK of the current result (see [`super::QueryResult::ok`]).
    pub fn ok(&self) -> &OkPacket {
        self.s.engine.last_ok()
    }

    /// Affected rows of the latest OK.
    pub fn affected_rows(&self) -> u64 {
        self.ok().affected_rows
    }

    /// Last insert id of the latest OK.
    pub fn last_insert_id(&self) -> u64 {
        self.ok().last_insert_id
    }

    /// The next row (a view into the received packet), or `None` at the end of the current
    /// result set.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, Error> {
        self.s.engine.check()?;
        if !self.current() {
            return Ok(None);
        }
        if self.s.drive(|e| e.row_step())? {
            Ok(Some(self.s.engine.row()))
        } else {
            Ok(None)
        }
    }

    /// The next row if it has already been received, without reading from the socket (see
    /// [`super::super::QueryResult::next_row_received`]).
    pub fn next_row_received(&mut self) -> Result<Received<'_>, Error> {
        self.s.engine.check()?;
        if !self.current() {
            return Ok(Received::End);
        }
        if self.s.engine.wants_write() {
            return Ok(Received::NotYet);
        }
        Ok(match self.s.engine.row_step()? {
            Some(true) => Received::Row(self.s.engine.row()),
            Some(false) => Received::End,
            None => Received::NotYet,
        })
    }

    /// True if another result follows the current one (see
    /// [`super::QueryResult::has_more_results`]).
    pub fn has_more_results(&self) -> bool {
        self.current() && self.s.engine.at_next_result()
    }

    /// Skips the rest of the current result set and reads the head of the next result.
    /// Returns `false` when there is none.
    pub fn next_result(&mut self) -> Result<bool, Error> {
        self.s.engine.check()?;
        if !self.current() {
            return Ok(false);
        }
        while self.s.drive(|e| e.row_step())? {}
        if !self.has_more_results() {
            return Ok(false);
        }
        self.s.drive(|e| e.head_step())?;
        Ok(true)
    }

    /// Reads and discards everything left of this response.
    pub fn drain(self) -> Result<(), Error> {
        let id = self.id;
        self.s.drive(|e| e.drain_step(Some(id)))
    }

    /// Lets go of the session without reading the rest of the response, keeping a ticket
    /// that [`Session::resume`] turns back into this result: for callers that cannot hold the
    /// borrow across calls (a language binding's streaming cursor). Nothing is read or
    /// discarded; the next command on the session drains what is left, as after a drop.
    pub fn detach(self) -> ResultTicket {
        ResultTicket(self.id)
    }
}

pub use super::super::{Received, ResultTicket};

impl Session {
    /// The result `ticket` was detached from. If the session has moved on to another command
    /// since, the result is over: it has no rows and no further result sets.
    pub fn resume(&mut self, ticket: ResultTicket) -> QueryResult<'_> {
        QueryResult {
            s: self,
            id: ticket.0,
        }
    }
}

/// Responses to pipelined queries on a blocking session: see [`super::super::Pipeline`].
#[derive(Debug)]
pub struct Pipeline<'s> {
    pub(super) s: &'s mut Session,
    pub(super) cursor: PipelineCursor,
}

impl Pipeline<'_> {
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

    /// The response to the next query: `None` after the last.
    #[allow(clippy::should_implement_trait)] // Each item borrows the pipeline: not an Iterator.
    pub fn next(&mut self) -> Option<Result<QueryResult<'_>, Error>> {
        if self.cursor.is_done() {
            return None;
        }
        let cursor = self.cursor;
        if let Err(e) = self.s.drive(|e| cursor.skip_step(e)) {
            self.cursor.give_up();
            return Some(Err(e));
        }
        self.cursor.take();
        if let Err(e) = self.s.engine.check().and_then(|()| self.s.top_up()) {
            return Some(Err(e));
        }
        let id = self.s.engine.completed();
        match self.s.drive(|e| e.head_step()) {
            Ok(()) => Some(Ok(QueryResult { s: self.s, id })),
            Err(e) => Some(Err(e)),
        }
    }
}

impl Drop for Pipeline<'_> {
    fn drop(&mut self) {
        self.s.engine.discard_unsent();
    }
}
