//! Query results streamed row by row, and rows as views into the received packet.

use bytes::Bytes;

use crate::codec::response::OkPacket;
use crate::codec::resultset::{ColumnDefinition, RowCells};
use crate::codec::value::FromText;
use crate::error::Error;

use super::connection::{Session, State};

/// The response to a query, as the protocol has it: either an OK (no result set) or a result
/// set whose columns are known and whose rows are read one at a time; then possibly more
/// results (multi-statements).
///
/// Dropping it unread is fine: the session drains what is left before its next command.
#[derive(Debug)]
pub struct QueryResult<'s> {
    s: &'s mut Session,
    /// The session's completed-response count when this response started: while it is
    /// unchanged, the response is still this one's (a pipelined successor has its own id).
    id: u64,
}

impl<'s> QueryResult<'s> {
    /// A handle on the response whose identity (the session's completed-response count when
    /// it started) is `id`.
    pub(crate) fn new(s: &'s mut Session, id: u64) -> Self {
        QueryResult { s, id }
    }

    /// The column definitions of the current result set (empty for an OK result).
    pub fn columns(&self) -> &[ColumnDefinition] {
        &self.s.columns
    }

    /// True if the current result is a result set (has columns).
    pub fn is_result_set(&self) -> bool {
        !self.s.columns.is_empty()
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
        if self.s.completed != self.id {
            return Ok(None);
        }
        match self.s.next_row_inner().await? {
            None => Ok(None),
            Some(()) => {
                let s = &*self.s;
                let (start, end) = s.row_range;
                Ok(Some(Row {
                    shared: &s.batch,
                    payload: s.batch.get(start..end).unwrap_or_default(),
                    cells: &s.cells,
                    columns: &s.columns,
                }))
            }
        }
    }

    /// True if another result follows the current one (SERVER_MORE_RESULTS_EXISTS).
    ///
    /// The flag arrives with the packet that ends a result, so this is only meaningful for an
    /// OK result or once the rows of the current result set have been read to the end; while
    /// rows are still pending it returns `true` (the end is not known yet).
    pub fn has_more_results(&self) -> bool {
        self.s.completed == self.id && self.s.state == State::Head
    }

    /// Skips the rest of the current result set and reads the head of the next result.
    /// Returns `false` when there is none.
    pub async fn next_result(&mut self) -> Result<bool, Error> {
        self.s.check()?;
        if self.s.completed != self.id {
            return Ok(false);
        }
        while self.s.next_row_inner().await?.is_some() {}
        if self.s.completed != self.id || self.s.state != State::Head {
            return Ok(false);
        }
        self.s.read_result_head().await?;
        Ok(true)
    }

    /// Reads and discards everything left of this response.
    pub async fn drain(self) -> Result<(), Error> {
        if self.s.completed != self.id {
            return Ok(());
        }
        self.s.drain_current().await
    }
}

/// One text-protocol row: cells are slices of the received packet.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// The received bytes the row is a view into (possibly several packets).
    shared: &'a Bytes,
    /// The row packet's payload.
    payload: &'a [u8],
    cells: &'a RowCells,
    columns: &'a [ColumnDefinition],
}

impl<'a> Row<'a> {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True for a row with no cells (never sent by a server).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The column definitions.
    pub fn columns(&self) -> &'a [ColumnDefinition] {
        self.columns
    }

    /// The raw bytes of cell `i`, `None` for NULL (or an index out of range).
    pub fn bytes(&self, i: usize) -> Option<&'a [u8]> {
        self.cells.get(self.payload, i)
    }

    /// Cell `i` as a zero-copy [`Bytes`] that may outlive the row.
    pub fn bytes_shared(&self, i: usize) -> Option<Bytes> {
        self.bytes(i).map(|b| self.shared.slice_ref(b))
    }

    /// True if cell `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.cells.is_null(i)
    }

    /// The row packet's payload (zero-copy).
    pub fn packet(&self) -> Bytes {
        self.shared.slice_ref(self.payload)
    }

    /// The row packet's payload as a slice.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Cell `i` converted to `T` by its column type: `Ok(None)` for NULL, an error if the
    /// value does not fit `T` (never a wrong value).
    pub fn get<T: FromText<'a>>(&self, i: usize) -> Result<Option<T>, Error> {
        let col = self.columns.get(i).ok_or_else(|| {
            Error::Usage(format!(
                "column index {i} out of range ({} columns)",
                self.columns.len()
            ))
        })?;
        match self.bytes(i) {
            None => Ok(None),
            Some(b) => T::from_text(b, col.column_type, col.flags)
                .map(Some)
                .map_err(Error::Value),
        }
    }

    /// Cell `i` as text (lossy UTF-8), `None` for NULL.
    pub fn text(&self, i: usize) -> Option<std::borrow::Cow<'a, str>> {
        self.bytes(i).map(String::from_utf8_lossy)
    }
}
