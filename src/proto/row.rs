//! A row as a view into the received bytes.

use bytes::Bytes;

use crate::codec::binary::BinaryRowCells;
use crate::codec::resultset::{ColumnDefinition, RowCells};
use crate::codec::value::{binary_as_text, FromValue};
use crate::error::Error;

use super::from_row::{column_error, name_index, no_column, ColumnIndex, FromCell};

/// The cells of a row, as split by the protocol it came in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cells<'a> {
    /// A text-protocol row (COM_QUERY).
    Text(&'a RowCells),
    /// A binary-protocol row (COM_STMT_EXECUTE).
    Binary(&'a BinaryRowCells),
}

/// One row, text or binary protocol: cells are slices of the received packet, and
/// [`Row::get`] reads a value the same way from either.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// The received bytes the row is a view into (possibly several packets).
    shared: &'a Bytes,
    /// The row packet's payload.
    payload: &'a [u8],
    cells: Cells<'a>,
    columns: &'a [ColumnDefinition],
}

impl<'a> Row<'a> {
    /// A row whose payload is `payload`, a slice of `shared`, split into `cells`.
    pub(crate) fn new(
        shared: &'a Bytes,
        payload: &'a [u8],
        cells: Cells<'a>,
        columns: &'a [ColumnDefinition],
    ) -> Self {
        Row {
            shared,
            payload,
            cells,
            columns,
        }
    }

    /// The cells, as split by the protocol the row came in.
    pub(crate) fn cells(&self) -> Cells<'a> {
        self.cells
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        match self.cells {
            Cells::Text(c) => c.len(),
            Cells::Binary(c) => c.len(),
        }
    }

    /// True for a row of the binary protocol (a prepared statement's).
    pub fn is_binary(&self) -> bool {
        matches!(self.cells, Cells::Binary(_))
    }

    /// True for a row with no cells (never sent by a server).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column definitions.
    pub fn columns(&self) -> &'a [ColumnDefinition] {
        self.columns
    }

    /// The raw bytes of cell `i`, `None` for NULL (or an index out of range). In a binary row
    /// these are the value's wire bytes (a number's fixed little-endian bytes, a date's fields,
    /// a string's bytes), not text.
    pub fn bytes(&self, i: usize) -> Option<&'a [u8]> {
        match self.cells {
            Cells::Text(c) => c.get(self.payload, i),
            Cells::Binary(c) => c.get(self.payload, i),
        }
    }

    /// Cell `i` as a zero-copy [`Bytes`] that may outlive the row.
    pub fn bytes_shared(&self, i: usize) -> Option<Bytes> {
        self.bytes(i).map(|b| self.shared.slice_ref(b))
    }

    /// True if cell `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        match self.cells {
            Cells::Text(c) => c.is_null(i),
            Cells::Binary(c) => c.is_null(i),
        }
    }

    /// The row packet's payload (zero-copy).
    pub fn packet(&self) -> Bytes {
        self.shared.slice_ref(self.payload)
    }

    /// The row packet's payload as a slice.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Cell `col` (an index, or a column name: see [`ColumnIndex`]) converted to `T` by its
    /// column type: `Ok(None)` for NULL, an error if the value does not fit `T` (never a wrong
    /// value): [`Error::Column`], naming the column, its SQL type and `T`. An index out of
    /// range or an unknown name is [`Error::Usage`].
    #[inline]
    pub fn get<T: FromValue<'a>>(&self, col: impl ColumnIndex) -> Result<Option<T>, Error> {
        let i = col.index_in(self.columns)?;
        self.get_at(i)
    }

    /// Cell `col` by column name: [`Row::get`] with a name (the first column of that name;
    /// compared exactly, then ignoring ASCII case, as MariaDB compares column names).
    #[inline]
    pub fn get_by_name<T: FromValue<'a>>(&self, name: &str) -> Result<Option<T>, Error> {
        self.get(name)
    }

    /// Cell `col` as `T`, where `T` says what NULL is: an `Option<U>` gives `None`, any other
    /// type an [`Error::Column`] of kind `UnexpectedNull`. What [`FromRow`](super::FromRow)
    /// implementations use.
    #[inline]
    pub fn value<T: FromCell<'a>>(&self, col: impl ColumnIndex) -> Result<T, Error> {
        let i = col.index_in(self.columns)?;
        T::from_cell(self, i)
    }

    /// The index of the first column named `name` (exactly, else ignoring ASCII case).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        name_index(self.columns, name)
    }

    /// [`Row::get`] by index.
    #[inline]
    pub(crate) fn get_at<T: FromValue<'a>>(&self, i: usize) -> Result<Option<T>, Error> {
        let Some(col) = self.columns.get(i) else {
            return Err(no_column(i, self.columns.len()));
        };
        let (col_type, flags) = (col.column_type, col.flags);
        let r = match self.cells {
            Cells::Text(c) => match c.get(self.payload, i) {
                None => return Ok(None),
                Some(b) => T::from_text(b, col_type, flags),
            },
            Cells::Binary(c) => match c.get(self.payload, i) {
                None => return Ok(None),
                Some(b) => T::from_binary(b, col_type, flags),
            },
        };
        r.map(Some).map_err(|e| column_error(i, col, e))
    }

    /// Cell `i` as text, `None` for NULL: a text row's bytes (lossy UTF-8, zero-copy when
    /// valid); a binary row's value formatted exactly as the server's text protocol sends it
    /// ([`binary_as_text`]: `FLOAT` with 6 significant digits, `DATETIME(n)` with `n` fraction
    /// digits, `ZEROFILL` padding, …; borrowed for the length-encoded types), or its bytes as
    /// lossy UTF-8 if the cell is malformed.
    pub fn text(&self, i: usize) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        let b = self.bytes(i)?;
        if let (Cells::Binary(_), Some(col)) = (self.cells, self.columns.get(i)) {
            match binary_as_text(b, col) {
                Ok(Cow::Borrowed(t)) => return Some(String::from_utf8_lossy(t)),
                Ok(Cow::Owned(t)) => {
                    return Some(Cow::Owned(match String::from_utf8(t) {
                        Ok(s) => s,
                        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    }))
                }
                Err(_) => {}
            }
        }
        Some(String::from_utf8_lossy(b))
    }
}
