//! Binary-protocol rows (the rows of a COM_STMT_EXECUTE result set) and the framing of
//! binary values, shared with the parameters of COM_STMT_EXECUTE. See
//! protocol-notes/prepared-statements.md.
//!
//! A binary row is a `0x00` header, a NULL bitmap of `(columns + 7 + 2) / 8` bytes whose first
//! two bits are reserved (column `i` is bit `i + 2`), then the value of every non-NULL column,
//! laid out by its column type ([`BinaryLayout`]). [`BinaryRowCells`] splits a row into cell
//! ranges without copying, as [`RowCells`](super::resultset::RowCells) does for text rows; the
//! [`FromValue::from_binary`](super::value::FromValue::from_binary) getters decode a cell.

// Offsets are computed with checked arithmetic: a length from the wire never wraps.
#![deny(clippy::arithmetic_side_effects)]

use bytes::{BufMut, BytesMut};

use super::error::{ErrorKind, Packet, ParseResult};
use super::flags::ColumnType;
use super::reader::Reader;
use super::resultset::{CellRanges, ColumnDefinition};
use super::value::ToParam;
use super::writer::put_lenenc_bytes;

/// How the binary value of a column type is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryLayout {
    /// A fixed number of bytes, little-endian: `TINY` 1, `SHORT` / `YEAR` 2, `LONG` /
    /// `INT24` / `FLOAT` 4, `LONGLONG` / `DOUBLE` 8.
    Fixed(u8),
    /// `DATE`, `DATETIME`, `TIMESTAMP`: a length byte (0, 4, 7 or 11), then that many bytes.
    DateTime,
    /// `TIME`: a length byte (0, 8 or 12), then that many bytes.
    Time,
    /// `NULL`: the column never has a value (its NULL bit is always set).
    Null,
    /// Every other type (`DECIMAL`/`NEWDECIMAL` as text, the strings and blobs, `JSON`, `BIT`,
    /// `ENUM`, `SET`, `GEOMETRY`, `VARCHAR`, unknown codes): `string<lenenc>`.
    LengthEncoded,
}

impl BinaryLayout {
    /// The layout of a value of type `t`.
    #[inline]
    pub const fn of(t: ColumnType) -> BinaryLayout {
        match t.0 {
            0x01 => BinaryLayout::Fixed(1),
            0x02 | 0x0d => BinaryLayout::Fixed(2),
            0x03 | 0x09 | 0x04 => BinaryLayout::Fixed(4),
            0x08 | 0x05 => BinaryLayout::Fixed(8),
            0x07 | 0x0a | 0x0c => BinaryLayout::DateTime,
            0x0b => BinaryLayout::Time,
            0x06 => BinaryLayout::Null,
            _ => BinaryLayout::LengthEncoded,
        }
    }
}

/// The size of a NULL bitmap for `columns` values with `offset` reserved bits: `(columns + 7 +
/// offset) / 8` (offset 2 in binary rows, 0 in COM_STMT_EXECUTE). Saturates instead of
/// overflowing.
pub const fn null_bitmap_len(columns: usize, offset: usize) -> usize {
    columns.saturating_add(7).saturating_add(offset) / 8
}

/// True if bit `bit` of `bitmap` is set (false beyond its end).
#[inline]
pub(crate) fn bit_is_set(bitmap: &[u8], bit: usize) -> bool {
    bitmap
        .get(bit / 8)
        .is_some_and(|b| b & (1u8 << (bit % 8)) != 0)
}

/// Sets bit `bit` of `bitmap` (nothing beyond its end).
#[inline]
pub(crate) fn set_bit(bitmap: &mut [u8], bit: usize) {
    if let Some(b) = bitmap.get_mut(bit / 8) {
        *b |= 1u8 << (bit % 8);
    }
}

/// Reads one non-NULL binary value of type `t` and returns its bytes: the fixed bytes, or what
/// follows the length byte(s) of a temporal or length-encoded value. Errors name the reader's
/// packet; `field` names the value.
pub(crate) fn take_value<'a>(
    r: &mut Reader<'a>,
    t: ColumnType,
    field: &'static str,
) -> ParseResult<&'a [u8]> {
    let len = match BinaryLayout::of(t) {
        BinaryLayout::Fixed(n) => usize::from(n),
        BinaryLayout::DateTime => {
            let n = r.u8("datetime_length")?;
            if !matches!(n, 0 | 4 | 7 | 11) {
                return Err(r.error("datetime_length", ErrorKind::InvalidValue));
            }
            usize::from(n)
        }
        BinaryLayout::Time => {
            let n = r.u8("time_length")?;
            if !matches!(n, 0 | 8 | 12) {
                return Err(r.error("time_length", ErrorKind::InvalidValue));
            }
            usize::from(n)
        }
        BinaryLayout::Null => return Err(r.error(field, ErrorKind::InvalidValue)),
        BinaryLayout::LengthEncoded => r.len_checked(field)?,
    };
    r.take(len, field)
}

/// Appends the framing of one binary value of type `t` whose bytes are `value` (the inverse of
/// the cell ranges [`BinaryRowCells`] returns): the bytes as they are for a fixed-width type, a
/// length byte first for a temporal, a `string<lenenc>` otherwise, nothing for `NULL`. The
/// caller gives bytes of the right size (test servers, fuzz round trips).
pub fn put_binary_cell(out: &mut BytesMut, t: ColumnType, value: &[u8]) {
    match BinaryLayout::of(t) {
        BinaryLayout::Fixed(_) => out.put_slice(value),
        BinaryLayout::DateTime | BinaryLayout::Time => {
            out.put_u8(u8::try_from(value.len()).unwrap_or(u8::MAX));
            out.put_slice(value);
        }
        BinaryLayout::Null => {}
        BinaryLayout::LengthEncoded => put_lenenc_bytes(out, value),
    }
}

/// Byte ranges of the cells of one binary row. Reused across rows so that reading a row
/// allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct BinaryRowCells {
    cells: CellRanges,
}

impl BinaryRowCells {
    /// An empty set of cells.
    pub fn new() -> Self {
        BinaryRowCells::default()
    }

    /// Parses a binary row of the result set described by `columns` into `self` (replacing
    /// what was there).
    pub fn parse(&mut self, row: &[u8], columns: &[ColumnDefinition]) -> ParseResult<()> {
        self.parse_types(row, columns.iter().map(|c| c.column_type))
    }

    /// Parses a binary row whose columns have the types `types`, in order.
    ///
    /// Checks the `0x00` header, that the NULL bitmap is there and that its two reserved bits
    /// and the bits past the last column are clear, that a `NULL`-typed column is NULL, every
    /// length against what remains (a temporal's length byte must be one its type allows), and
    /// that nothing follows the last value.
    pub fn parse_types<I>(&mut self, row: &[u8], types: I) -> ParseResult<()>
    where
        I: IntoIterator<Item = ColumnType>,
        I::IntoIter: ExactSizeIterator + Clone,
    {
        let types = types.into_iter();
        if self.parse_fast(row, types.clone().map(BinaryLayout::of)) {
            return Ok(());
        }
        self.parse_checked(row, types)
    }

    /// [`BinaryRowCells::parse`] with each column's layout given (`layouts[i]` is
    /// [`BinaryLayout::of`] column `i`'s type): what a reader of the many rows of one result
    /// set keeps, so that a row is split without looking the layouts up. The same checks and
    /// the same errors as [`BinaryRowCells::parse`].
    #[inline]
    pub fn parse_with_layouts(
        &mut self,
        row: &[u8],
        columns: &[ColumnDefinition],
        layouts: &[BinaryLayout],
    ) -> ParseResult<()> {
        if layouts.len() == columns.len() && self.parse_fast(row, layouts.iter().copied()) {
            return Ok(());
        }
        self.parse_checked(row, columns.iter().map(|c| c.column_type))
    }

    /// The common case of [`BinaryRowCells::parse_types`] in one pass over the bytes: true
    /// when the row is well formed (the cells are then set), false at the first thing that is
    /// not, and [`BinaryRowCells::parse_checked`] says what.
    #[inline]
    fn parse_fast<I>(&mut self, row: &[u8], layouts: I) -> bool
    where
        I: ExactSizeIterator<Item = BinaryLayout>,
    {
        let columns = layouts.len();
        self.cells.start(columns);
        let bitmap_len = null_bitmap_len(columns, 2);
        let (Some(0x00), Some(bitmap)) = (row.first(), row.get(1..bitmap_len.saturating_add(1)))
        else {
            return false;
        };
        // The reserved bits 0 and 1 and the padding bits after bit columns + 1 are clear.
        let used = columns.saturating_add(2);
        let last_bits = used % 8;
        let full = used / 8;
        let stray = bitmap.first().is_some_and(|b| b & 0b11 != 0)
            || bitmap
                .get(full..)
                .is_some_and(|rest| match rest.split_first() {
                    Some((&b, tail)) => {
                        (last_bits != 0 && b >> last_bits != 0)
                            || (last_bits == 0 && b != 0)
                            || tail.iter().any(|&t| t != 0)
                    }
                    None => false,
                });
        if stray {
            return false;
        }
        let mut pos = bitmap_len.saturating_add(1);
        for (i, layout) in layouts.enumerate() {
            let bit = i.saturating_add(2);
            if bitmap
                .get(bit / 8)
                .is_some_and(|b| b & (1u8 << (bit % 8)) != 0)
            {
                self.cells.push_null();
                continue;
            }
            let (start, len) = match layout {
                BinaryLayout::Fixed(n) => (pos, usize::from(n)),
                BinaryLayout::DateTime => match row.get(pos) {
                    Some(&n @ (0 | 4 | 7 | 11)) => (pos.saturating_add(1), usize::from(n)),
                    _ => return false,
                },
                BinaryLayout::Time => match row.get(pos) {
                    Some(&n @ (0 | 8 | 12)) => (pos.saturating_add(1), usize::from(n)),
                    _ => return false,
                },
                BinaryLayout::Null => return false,
                BinaryLayout::LengthEncoded => match row.get(pos) {
                    Some(&n @ 0..=0xFA) => (pos.saturating_add(1), usize::from(n)),
                    Some(0xFC) => match row.get(pos.saturating_add(1)..pos.saturating_add(3)) {
                        Some(&[a, b]) => (
                            pos.saturating_add(3),
                            usize::from(u16::from_le_bytes([a, b])),
                        ),
                        _ => return false,
                    },
                    // Longer lengths (and malformed ones) take the checked path.
                    _ => return false,
                },
            };
            let Some(end) = start.checked_add(len).filter(|&e| e <= row.len()) else {
                return false;
            };
            self.cells.push(start, end);
            pos = end;
        }
        pos == row.len()
    }

    /// [`BinaryRowCells::parse_types`] field by field, with an error naming the field that is
    /// wrong.
    fn parse_checked<I>(&mut self, row: &[u8], types: I) -> ParseResult<()>
    where
        I: ExactSizeIterator<Item = ColumnType>,
    {
        let columns = types.len();
        self.cells.start(columns);
        let mut r = Reader::new(row, Packet::BinaryRow);
        if r.u8("header")? != 0x00 {
            return Err(r.error("header", ErrorKind::InvalidValue));
        }
        let bitmap = r.take(null_bitmap_len(columns, 2), "null_bitmap")?;
        // Reserved bits 0 and 1, and the padding after bit columns + 1, are always clear.
        let used = columns.saturating_add(2);
        let stray = (0..bitmap.len().saturating_mul(8))
            .filter(|&bit| bit < 2 || bit >= used)
            .any(|bit| bit_is_set(bitmap, bit));
        if stray {
            return Err(r.error("null_bitmap", ErrorKind::InvalidValue));
        }
        for (i, t) in types.enumerate() {
            if bit_is_set(bitmap, i.saturating_add(2)) {
                self.cells.push_null();
            } else {
                let v = take_value(&mut r, t, "value")?;
                let end = r.position();
                self.cells.push(end.saturating_sub(v.len()), end);
            }
        }
        r.finish("trailing")
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.len() == 0
    }

    /// The bytes of cell `i` within `row` (`None` for NULL or out of range): the fixed bytes
    /// of a number, the bytes after the length byte of a temporal, the string of any other type.
    #[inline]
    pub fn get<'a>(&self, row: &'a [u8], i: usize) -> Option<&'a [u8]> {
        self.cells.get(row, i)
    }

    /// True if cell `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.cells.is_null(i)
    }
}

/// Encodes a binary row whose values are `values` (test servers, fuzz seeds): a value's type is
/// its [`ToParam::param_type`], so the row reads back with those column types.
pub fn encode_binary_row(values: &[&dyn ToParam], out: &mut BytesMut) {
    let start = out.len();
    out.put_u8(0x00);
    out.put_bytes(0, null_bitmap_len(values.len(), 2));
    for (i, v) in values.iter().enumerate() {
        if v.is_null() {
            if let Some(bitmap) = out.get_mut(start.saturating_add(1)..) {
                set_bit(bitmap, i.saturating_add(2));
            }
        } else {
            v.encode_value(out);
        }
    }
}

/// Encodes a binary row from cell bytes as [`BinaryRowCells::get`] returns them (`None` =
/// NULL), framed by the column types `types` with [`put_binary_cell`]. `types` and `cells`
/// are paired in order; the row has as many columns as the shorter of the two.
pub fn encode_binary_row_cells(types: &[ColumnType], cells: &[Option<&[u8]>], out: &mut BytesMut) {
    let n = types.len().min(cells.len());
    let start = out.len();
    out.put_u8(0x00);
    out.put_bytes(0, null_bitmap_len(n, 2));
    for (i, (&t, c)) in types.iter().zip(cells).enumerate() {
        match c {
            None => {
                if let Some(bitmap) = out.get_mut(start.saturating_add(1)..) {
                    set_bit(bitmap, i.saturating_add(2));
                }
            }
            Some(v) => put_binary_cell(out, t, v),
        }
    }
}

#[cfg(test)]
mod tests;
