//! A row as a view into the received bytes.

use bytes::Bytes;

use crate::codec::resultset::{ColumnDefinition, RowCells};
use crate::codec::value::FromValue;
use crate::error::Error;

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
    /// A row whose payload is `payload`, a slice of `shared`, split into `cells`.
    pub(crate) fn new(
        shared: &'a Bytes,
        payload: &'a [u8],
        cells: &'a RowCells,
        columns: &'a [ColumnDefinition],
    ) -> Self {
        Row {
            shared,
            payload,
            cells,
            columns,
        }
    }

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
    pub fn get<T: FromValue<'a>>(&self, i: usize) -> Result<Option<T>, Error> {
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
