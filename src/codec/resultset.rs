//! Text result sets: ColumnDefinition41 and text rows. See protocol-notes/resultset.md.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{ErrorKind, Packet, ParseResult};
use super::flags::{ColumnFlags, ColumnType};
use super::reader::{Lenenc, Reader};
use super::writer::{put_lenenc, put_lenenc_bytes};

/// A column definition (ColumnDefinition41). String fields are zero-copy slices of the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition {
    /// Catalog (always `def`).
    pub catalog: Bytes,
    /// Schema (database).
    pub schema: Bytes,
    /// Table alias.
    pub table: Bytes,
    /// Original table name.
    pub org_table: Bytes,
    /// Column alias.
    pub name: Bytes,
    /// Original column name.
    pub org_name: Bytes,
    /// MariaDB extended metadata (type name / format), raw, when negotiated.
    pub extended_metadata: Option<Bytes>,
    /// Collation id of the column.
    pub charset: u16,
    /// Maximum display length.
    pub column_length: u32,
    /// Column type.
    pub column_type: ColumnType,
    /// Column flags.
    pub flags: ColumnFlags,
    /// Decimals (0x00..0x51; 0x1f for floats with no fixed decimals).
    pub decimals: u8,
}

impl ColumnDefinition {
    /// The column alias as text (lossy).
    pub fn name(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// True if the column holds binary data (collation 63, `binary`).
    pub fn is_binary(&self) -> bool {
        self.charset == 63
    }
}

/// Parses a column definition. `extended_metadata` is whether MariaDB's
/// MARIADB_CLIENT_EXTENDED_METADATA was negotiated.
pub fn parse_column_definition(
    packet: &Bytes,
    extended_metadata: bool,
) -> ParseResult<ColumnDefinition> {
    let mut r = Reader::new(packet, Packet::ColumnDefinition);
    let s = |r: &mut Reader<'_>, field| r.lenenc_bytes(field).map(|b| packet.slice_ref(b));
    let catalog = s(&mut r, "catalog")?;
    let schema = s(&mut r, "schema")?;
    let table = s(&mut r, "table")?;
    let org_table = s(&mut r, "org_table")?;
    let name = s(&mut r, "name")?;
    let org_name = s(&mut r, "org_name")?;
    let extended = if extended_metadata {
        Some(s(&mut r, "extended_metadata")?)
    } else {
        None
    };
    let fixed = r.lenenc("length_of_fixed_length_fields")?;
    if fixed != 0x0C {
        return Err(r.error("length_of_fixed_length_fields", ErrorKind::InvalidValue));
    }
    let col = ColumnDefinition {
        catalog,
        schema,
        table,
        org_table,
        name,
        org_name,
        extended_metadata: extended,
        charset: r.u16("character_set")?,
        column_length: r.u32("column_length")?,
        column_type: ColumnType(r.u8("type")?),
        flags: ColumnFlags(r.u16("flags")?),
        decimals: r.u8("decimals")?,
    };
    r.skip(2, "filler")?;
    // COM_FIELD_LIST appends default values; COM_QUERY never does.
    r.finish("trailing")?;
    Ok(col)
}

/// Encodes a column definition (test servers, fuzz round-trips).
pub fn encode_column_definition(c: &ColumnDefinition, out: &mut BytesMut) {
    for f in [
        &c.catalog,
        &c.schema,
        &c.table,
        &c.org_table,
        &c.name,
        &c.org_name,
    ] {
        put_lenenc_bytes(out, f);
    }
    if let Some(e) = &c.extended_metadata {
        put_lenenc_bytes(out, e);
    }
    put_lenenc(out, 0x0C);
    out.put_u16_le(c.charset);
    out.put_u32_le(c.column_length);
    out.put_u8(c.column_type.0);
    out.put_u16_le(c.flags.0);
    out.put_u8(c.decimals);
    out.put_u16_le(0);
}

/// Byte ranges of the cells of one text row; `start == NULL_CELL` marks SQL NULL.
/// Reused across rows so that reading a row allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct RowCells {
    cells: Vec<(usize, usize)>,
}

/// Marker for a NULL cell in [`RowCells`].
const NULL_CELL: usize = usize::MAX;

impl RowCells {
    /// An empty set of cells.
    pub fn new() -> Self {
        RowCells::default()
    }

    /// Parses a text row with exactly `columns` cells into `self` (replacing what was there).
    pub fn parse(&mut self, row: &[u8], columns: usize) -> ParseResult<()> {
        self.cells.clear();
        self.cells.reserve(columns.min(4096));
        let mut r = Reader::new(row, Packet::Row);
        for _ in 0..columns {
            match r.lenenc_or_null("value_length")? {
                Lenenc::Null => self.cells.push((NULL_CELL, 0)),
                Lenenc::Value(n) => {
                    let start = r.position();
                    let n =
                        usize::try_from(n).map_err(|_| r.error("value", ErrorKind::Truncated))?;
                    r.skip(n, "value")?;
                    self.cells.push((start, r.position()));
                }
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
        self.cells.is_empty()
    }

    /// The bytes of cell `i` within `row` (`None` for NULL or out of range).
    pub fn get<'a>(&self, row: &'a [u8], i: usize) -> Option<&'a [u8]> {
        match self.cells.get(i) {
            Some(&(s, e)) if s != NULL_CELL => row.get(s..e),
            _ => None,
        }
    }

    /// True if cell `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        matches!(self.cells.get(i), Some(&(NULL_CELL, _)))
    }
}

/// Encodes a text row (`None` = NULL).
pub fn encode_row(cells: &[Option<&[u8]>], out: &mut BytesMut) {
    for c in cells {
        match c {
            None => out.put_u8(0xFB),
            Some(v) => put_lenenc_bytes(out, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_1_as_a_from_mariadb() {
        // `SELECT 1 AS a`: live probe against MariaDB 10.11.19 on this project's test server
        // (raw socket client; see protocol-notes/resultset.md).
        let b = Bytes::from_static(
            b"\x03def\x00\x00\x00\x01a\x00\x0c\x3f\x00\x01\x00\x00\x00\x03\x81\x00\x00\x00\x00",
        );
        let c = parse_column_definition(&b, false).unwrap();
        assert_eq!(c.name(), "a");
        assert_eq!(c.column_type, ColumnType::LONG);
        assert_eq!(c.charset, 63);
        assert_eq!(c.column_length, 1);
        assert!(c
            .flags
            .contains(ColumnFlags::NOT_NULL | ColumnFlags::BINARY));
        let mut out = BytesMut::new();
        encode_column_definition(&c, &mut out);
        assert_eq!(&out[..], &b[..]);
        for n in 0..b.len() {
            assert!(parse_column_definition(&b.slice(..n), false).is_err());
        }
    }

    #[test]
    fn rows_with_null_and_exact_cell_count() {
        let mut out = BytesMut::new();
        encode_row(&[Some(b"1"), None, Some(b"")], &mut out);
        let mut cells = RowCells::new();
        cells.parse(&out, 3).unwrap();
        assert_eq!(cells.get(&out, 0), Some(&b"1"[..]));
        assert!(cells.is_null(1) && cells.get(&out, 1).is_none());
        assert_eq!(cells.get(&out, 2), Some(&b""[..]));
        assert!(cells.parse(&out, 2).is_err());
        assert!(cells.parse(&out, 4).is_err());
        assert!(cells.parse(&[0xFF], 1).is_err());
    }
}
