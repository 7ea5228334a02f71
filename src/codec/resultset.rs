//! Text result sets: ColumnDefinition41 and text rows. See protocol-notes/resultset.md.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{ErrorKind, Packet, ParseError, ParseResult};
use super::flags::{ColumnFlags, ColumnType};
use super::reader::{Lenenc, Reader};
use super::writer::{put_lenenc, put_lenenc_bytes};

/// A byte range of a [`ColumnDefinition`]'s packet, checked against the packet when it was
/// parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The bytes of this range in `raw` (empty if it were ever out of range; it is not).
    fn of(self, raw: &[u8]) -> &[u8] {
        match (usize::try_from(self.start), usize::try_from(self.end)) {
            (Ok(s), Ok(e)) => raw.get(s..e).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// A column definition (ColumnDefinition41).
///
/// It holds the packet payload as one [`Bytes`] (the frame decoder's, zero-copy) and the
/// offsets of its string fields, checked at parse time; the accessors return sub-slices of the
/// payload. The fixed-length fields are public. Equality compares the field values, not the
/// encoding (a length prefix may have been sent longer than needed).
#[derive(Clone)]
pub struct ColumnDefinition {
    raw: Bytes,
    catalog: Span,
    schema: Span,
    table: Span,
    org_table: Span,
    name: Span,
    org_name: Span,
    extended_metadata: Option<Span>,
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
    /// Catalog (always `def`).
    pub fn catalog(&self) -> &[u8] {
        self.catalog.of(&self.raw)
    }

    /// Schema (database).
    pub fn schema(&self) -> &[u8] {
        self.schema.of(&self.raw)
    }

    /// Table alias.
    pub fn table(&self) -> &[u8] {
        self.table.of(&self.raw)
    }

    /// Original table name.
    pub fn org_table(&self) -> &[u8] {
        self.org_table.of(&self.raw)
    }

    /// Column alias, raw.
    pub fn name_bytes(&self) -> &[u8] {
        self.name.of(&self.raw)
    }

    /// The column alias as text (lossy).
    pub fn name(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name_bytes())
    }

    /// Original column name.
    pub fn org_name(&self) -> &[u8] {
        self.org_name.of(&self.raw)
    }

    /// MariaDB extended metadata (type name / format), raw, when negotiated.
    pub fn extended_metadata(&self) -> Option<&[u8]> {
        self.extended_metadata.map(|s| s.of(&self.raw))
    }

    /// True if the column holds binary data (collation 63, `binary`).
    pub fn is_binary(&self) -> bool {
        self.charset == 63
    }

    /// Every field, borrowed (what [`encode_column_definition`] writes).
    pub fn fields(&self) -> ColumnFields<'_> {
        ColumnFields {
            catalog: self.catalog(),
            schema: self.schema(),
            table: self.table(),
            org_table: self.org_table(),
            name: self.name_bytes(),
            org_name: self.org_name(),
            extended_metadata: self.extended_metadata(),
            charset: self.charset,
            column_length: self.column_length,
            column_type: self.column_type,
            flags: self.flags,
            decimals: self.decimals,
        }
    }
}

impl PartialEq for ColumnDefinition {
    fn eq(&self, other: &Self) -> bool {
        self.fields() == other.fields()
    }
}

impl Eq for ColumnDefinition {}

/// Bytes shown as a `b"..."` literal, as `Bytes` shows itself.
struct Lit<'a>(&'a [u8]);

impl fmt::Debug for Lit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &b in self.0 {
            write!(f, "{}", std::ascii::escape_default(b))?;
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for ColumnDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ColumnDefinition")
            .field("catalog", &Lit(self.catalog()))
            .field("schema", &Lit(self.schema()))
            .field("table", &Lit(self.table()))
            .field("org_table", &Lit(self.org_table()))
            .field("name", &Lit(self.name_bytes()))
            .field("org_name", &Lit(self.org_name()))
            .field("extended_metadata", &self.extended_metadata().map(Lit))
            .field("charset", &self.charset)
            .field("column_length", &self.column_length)
            .field("column_type", &self.column_type)
            .field("flags", &self.flags)
            .field("decimals", &self.decimals)
            .finish()
    }
}

/// The fields of a column definition, borrowed: built by test servers and fuzz targets to
/// encode one ([`ColumnFields::encode`]), and returned by [`ColumnDefinition::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnFields<'a> {
    /// Catalog (always `def`).
    pub catalog: &'a [u8],
    /// Schema (database).
    pub schema: &'a [u8],
    /// Table alias.
    pub table: &'a [u8],
    /// Original table name.
    pub org_table: &'a [u8],
    /// Column alias.
    pub name: &'a [u8],
    /// Original column name.
    pub org_name: &'a [u8],
    /// MariaDB extended metadata, raw; `Some` only when MARIADB_CLIENT_EXTENDED_METADATA is
    /// negotiated.
    pub extended_metadata: Option<&'a [u8]>,
    /// Collation id of the column.
    pub charset: u16,
    /// Maximum display length.
    pub column_length: u32,
    /// Column type.
    pub column_type: ColumnType,
    /// Column flags.
    pub flags: ColumnFlags,
    /// Decimals.
    pub decimals: u8,
}

impl ColumnFields<'_> {
    /// Encodes these fields as a ColumnDefinition41 payload (shortest length prefixes).
    pub fn encode(&self, out: &mut BytesMut) {
        for f in [
            self.catalog,
            self.schema,
            self.table,
            self.org_table,
            self.name,
            self.org_name,
        ] {
            put_lenenc_bytes(out, f);
        }
        if let Some(e) = self.extended_metadata {
            put_lenenc_bytes(out, e);
        }
        put_lenenc(out, 0x0C);
        out.put_u16_le(self.charset);
        out.put_u32_le(self.column_length);
        out.put_u8(self.column_type.0);
        out.put_u16_le(self.flags.0);
        out.put_u8(self.decimals);
        out.put_u16_le(0);
    }
}

/// Reads one `string<lenenc>` and returns its range in the payload. A payload of 4 GiB or more
/// (beyond any column definition) is rejected with `TooLarge` rather than truncated.
fn span(r: &mut Reader<'_>, field: &'static str) -> ParseResult<Span> {
    let s = r.lenenc_bytes(field)?;
    let end = r.position();
    let start = end.saturating_sub(s.len());
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(start), Ok(end)) => Ok(Span { start, end }),
        _ => Err(r.error(field, ErrorKind::TooLarge)),
    }
}

/// Parses a column definition. `extended_metadata` is whether MariaDB's
/// MARIADB_CLIENT_EXTENDED_METADATA was negotiated. The result holds a clone of `packet` (a
/// reference count, no copy).
pub fn parse_column_definition(
    packet: &Bytes,
    extended_metadata: bool,
) -> ParseResult<ColumnDefinition> {
    let mut r = Reader::new(packet, Packet::ColumnDefinition);
    let catalog = span(&mut r, "catalog")?;
    let schema = span(&mut r, "schema")?;
    let table = span(&mut r, "table")?;
    let org_table = span(&mut r, "org_table")?;
    let name = span(&mut r, "name")?;
    let org_name = span(&mut r, "org_name")?;
    let extended = if extended_metadata {
        Some(span(&mut r, "extended_metadata")?)
    } else {
        None
    };
    let fixed = r.lenenc("length_of_fixed_length_fields")?;
    if fixed != 0x0C {
        return Err(r.error("length_of_fixed_length_fields", ErrorKind::InvalidValue));
    }
    let charset = r.u16("character_set")?;
    let column_length = r.u32("column_length")?;
    let column_type = ColumnType(r.u8("type")?);
    let flags = ColumnFlags(r.u16("flags")?);
    let decimals = r.u8("decimals")?;
    r.skip(2, "filler")?;
    // COM_FIELD_LIST appends default values; COM_QUERY never does.
    r.finish("trailing")?;
    Ok(ColumnDefinition {
        raw: packet.clone(),
        catalog,
        schema,
        table,
        org_table,
        name,
        org_name,
        extended_metadata: extended,
        charset,
        column_length,
        column_type,
        flags,
        decimals,
    })
}

/// Encodes a column definition (test servers, fuzz round-trips); see also
/// [`ColumnFields::encode`].
pub fn encode_column_definition(c: &ColumnDefinition, out: &mut BytesMut) {
    c.fields().encode(out);
}

/// Byte ranges of the cells of one row, text or binary (the parsers fill it, both row types
/// read it); `start == NULL_CELL` marks SQL NULL. Reused across rows so that reading a row
/// allocates nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellRanges {
    cells: Vec<(usize, usize)>,
}

/// Marker for a NULL cell in [`CellRanges`].
const NULL_CELL: usize = usize::MAX;

impl CellRanges {
    /// Empties it for a row of `columns` cells.
    pub(crate) fn start(&mut self, columns: usize) {
        self.cells.clear();
        self.cells.reserve(columns.min(4096));
    }

    /// Appends a NULL cell.
    pub(crate) fn push_null(&mut self) {
        self.cells.push((NULL_CELL, 0));
    }

    /// Appends the cell at `start..end` of the row.
    pub(crate) fn push(&mut self, start: usize, end: usize) {
        self.cells.push((start, end));
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }

    /// The bytes of cell `i` within `row` (`None` for NULL or out of range).
    #[inline]
    pub(crate) fn get<'a>(&self, row: &'a [u8], i: usize) -> Option<&'a [u8]> {
        match self.cells.get(i) {
            Some(&(s, e)) if s != NULL_CELL => row.get(s..e),
            _ => None,
        }
    }

    /// True if cell `i` is NULL.
    pub(crate) fn is_null(&self, i: usize) -> bool {
        matches!(self.cells.get(i), Some(&(NULL_CELL, _)))
    }
}

/// Byte ranges of the cells of one text row. Reused across rows so that reading a row
/// allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct RowCells {
    cells: CellRanges,
}

impl RowCells {
    /// An empty set of cells.
    pub fn new() -> Self {
        RowCells::default()
    }

    /// Parses a text row with exactly `columns` cells into `self` (replacing what was there).
    pub fn parse(&mut self, row: &[u8], columns: usize) -> ParseResult<()> {
        self.cells.start(columns);
        let truncated = |field| ParseError::new(Packet::Row, field, ErrorKind::Truncated);
        let mut pos = 0usize;
        for _ in 0..columns {
            // The usual cell, under 251 bytes, has a one-byte length: read it directly; the
            // longer prefixes (and their errors) go through the reader.
            let (start, len) = match row.get(pos) {
                None => return Err(truncated("value_length")),
                Some(&n @ 0..=0xFA) => (pos.saturating_add(1), usize::from(n)),
                Some(0xFB) => {
                    self.cells.push_null();
                    pos = pos.saturating_add(1);
                    continue;
                }
                Some(_) => {
                    let mut r = Reader::new(row.get(pos..).unwrap_or_default(), Packet::Row);
                    let n = match r.lenenc_or_null("value_length")? {
                        Lenenc::Value(n) => n,
                        // 0xFB was taken above.
                        Lenenc::Null => return Err(truncated("value_length")),
                    };
                    let n = usize::try_from(n).map_err(|_| truncated("value"))?;
                    (pos.saturating_add(r.position()), n)
                }
            };
            let end = start
                .checked_add(len)
                .filter(|&e| e <= row.len())
                .ok_or_else(|| truncated("value"))?;
            self.cells.push(start, end);
            pos = end;
        }
        if pos == row.len() {
            Ok(())
        } else {
            Err(ParseError::new(
                Packet::Row,
                "trailing",
                ErrorKind::TrailingBytes,
            ))
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.len() == 0
    }

    /// The bytes of cell `i` within `row` (`None` for NULL or out of range).
    pub fn get<'a>(&self, row: &'a [u8], i: usize) -> Option<&'a [u8]> {
        self.cells.get(row, i)
    }

    /// True if cell `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.cells.is_null(i)
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

    /// `id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY` of `SELECT * FROM mywire_scratch.t
    /// AS x`, recorded from MariaDB 10.11 (protocol-notes/resultset.md).
    const RECORDED_ID: &[u8] = b"\x03def\x0emywire_scratch\x01x\x01t\x02id\x02id\x0c\x3f\x00\x0a\x00\x00\x00\x03\x23\x42\x00\x00\x00";

    #[test]
    fn accessors_of_a_recorded_mariadb_column() {
        let b = BytesMut::from(RECORDED_ID).split().freeze();
        let c = parse_column_definition(&b, false).unwrap();
        assert_eq!(c.catalog(), b"def");
        assert_eq!(c.schema(), b"mywire_scratch");
        assert_eq!(c.table(), b"x");
        assert_eq!(c.org_table(), b"t");
        assert_eq!(c.name_bytes(), b"id");
        assert_eq!(c.name(), "id");
        assert_eq!(c.org_name(), b"id");
        assert_eq!(c.extended_metadata(), None);
        assert_eq!(c.charset, 63);
        assert_eq!(c.column_length, 10);
        assert_eq!(c.column_type, ColumnType::LONG);
        assert_eq!(c.flags, ColumnFlags(0x4223));
        assert_eq!(c.decimals, 0);
        // The fields are slices of the one payload, not copies.
        assert!(std::ptr::eq(c.schema().as_ptr(), &b[5]));
        let mut out = BytesMut::new();
        encode_column_definition(&c, &mut out);
        assert_eq!(&out[..], RECORDED_ID);
        assert!(format!("{c:?}").contains(r#"schema: b"mywire_scratch""#));
    }

    #[test]
    fn extended_metadata_when_negotiated() {
        // The tail of the JSON column recorded from MariaDB 10.11 (protocol-notes/resultset.md:
        // `01 "j" 01 "j" | 06 01 04 "json" | 0c 2d00 ffffffff fc 9000 00 0000`); the head
        // (catalog, schema, tables) is elided in the notes and made up here.
        let b = Bytes::from_static(
            b"\x03def\x00\x01j\x01j\x01j\x01j\x06\x01\x04json\x0c\x2d\x00\xff\xff\xff\xff\xfc\x90\x00\x00\x00\x00",
        );
        let c = parse_column_definition(&b, true).unwrap();
        assert_eq!(c.extended_metadata(), Some(&b"\x01\x04json"[..]));
        assert_eq!(c.org_name(), b"j");
        assert_eq!(c.column_type, ColumnType(0xFC));
        assert_eq!(c.column_length, u32::MAX);
        assert_eq!((c.charset, c.flags.0), (45, 0x90));
        let mut out = BytesMut::new();
        encode_column_definition(&c, &mut out);
        assert_eq!(&out[..], &b[..]);
        // Without the capability the same bytes do not parse as a column definition.
        assert!(parse_column_definition(&b, false).is_err());
    }

    fn err(b: &[u8], ext: bool) -> (&'static str, ErrorKind) {
        let e = parse_column_definition(&Bytes::copy_from_slice(b), ext).unwrap_err();
        assert_eq!(e.packet, Packet::ColumnDefinition);
        (e.field, e.kind)
    }

    #[test]
    fn truncated_definitions_name_the_field() {
        // End offset (exclusive) of each field of RECORDED_ID: a payload cut at `n` fails in
        // the first field that ends after `n`.
        let ends = [
            (4, "catalog"),
            (19, "schema"),
            (21, "table"),
            (23, "org_table"),
            (26, "name"),
            (29, "org_name"),
            (30, "length_of_fixed_length_fields"),
            (32, "character_set"),
            (36, "column_length"),
            (37, "type"),
            (39, "flags"),
            (40, "decimals"),
            (42, "filler"),
        ];
        assert_eq!(RECORDED_ID.len(), 42);
        for n in 0..RECORDED_ID.len() {
            let (_, field) = ends.iter().find(|(end, _)| *end > n).unwrap();
            assert_eq!(
                err(&RECORDED_ID[..n], false),
                (*field, ErrorKind::Truncated),
                "cut at {n}"
            );
        }
        let mut long = RECORDED_ID.to_vec();
        long.push(0);
        assert_eq!(err(&long, false), ("trailing", ErrorKind::TrailingBytes));
        // Extended metadata expected but absent: the fixed-length byte 0x0c is read as its
        // length, 12 bytes are taken, and what is left cannot be the fixed fields.
        assert!(parse_column_definition(&Bytes::from_static(RECORDED_ID), true).is_err());
    }

    #[test]
    fn malformed_definitions_name_the_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut b = RECORDED_ID.to_vec();
            b.splice(at..at + 1, bytes.iter().copied());
            b
        };
        // A length prefix of 0xFF, NULL, and a length past the end of the packet.
        assert_eq!(
            err(&with(4, &[0xFF]), false),
            ("schema", ErrorKind::InvalidLenencPrefix)
        );
        assert_eq!(
            err(&with(23, &[0xFB]), false),
            ("name", ErrorKind::UnexpectedNull)
        );
        assert_eq!(
            err(&with(26, &[0xFC, 0xFF, 0xFF]), false),
            ("org_name", ErrorKind::Truncated)
        );
        assert_eq!(
            err(&with(19, &[0xFE, 0, 0, 0, 0, 1, 0, 0, 0]), false),
            ("table", ErrorKind::Truncated)
        );
        assert_eq!(
            err(&with(29, &[0x0B]), false),
            ("length_of_fixed_length_fields", ErrorKind::InvalidValue)
        );
    }

    #[test]
    fn long_length_prefixes_parse_and_compare_by_value() {
        // A 300-byte schema takes a 0xFC prefix; a catalog sent with a needlessly long prefix
        // parses to the same column as the shortest encoding, and re-encodes to the shortest.
        let schema = vec![b's'; 300];
        let mut short = BytesMut::new();
        let fields = ColumnFields {
            catalog: b"def",
            schema: &schema,
            table: b"t",
            org_table: b"t",
            name: b"n",
            org_name: b"n",
            extended_metadata: None,
            charset: 45,
            column_length: 1,
            column_type: ColumnType::VAR_STRING,
            flags: ColumnFlags::empty(),
            decimals: 0,
        };
        fields.encode(&mut short);
        assert_eq!(&short[4..7], &[0xFC, 0x2C, 0x01]);
        let mut padded = BytesMut::from(&b"\xfc\x03\x00def"[..]);
        padded.extend_from_slice(&short[4..]);
        let (a, b) = (short.freeze(), padded.freeze());
        let (ca, cb) = (
            parse_column_definition(&a, false).unwrap(),
            parse_column_definition(&b, false).unwrap(),
        );
        assert_eq!(ca.fields(), fields);
        assert_eq!(ca, cb);
        let mut out = BytesMut::new();
        encode_column_definition(&cb, &mut out);
        assert_eq!(out, a);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(any::<u8>(), 0..300)
        }

        proptest! {
            /// encode -> parse gives back the fields; parse -> encode -> parse is the identity,
            /// and every cut of the encoding is rejected.
            #[test]
            fn encode_parse_identity(
                strings in proptest::collection::vec(field(), 6),
                ext in proptest::option::of(field()),
                fixed in (any::<u16>(), any::<u32>(), any::<u8>(), any::<u16>(), any::<u8>()),
            ) {
                let fields = ColumnFields {
                    catalog: &strings[0],
                    schema: &strings[1],
                    table: &strings[2],
                    org_table: &strings[3],
                    name: &strings[4],
                    org_name: &strings[5],
                    extended_metadata: ext.as_deref(),
                    charset: fixed.0,
                    column_length: fixed.1,
                    column_type: ColumnType(fixed.2),
                    flags: ColumnFlags(fixed.3),
                    decimals: fixed.4,
                };
                let mut out = BytesMut::new();
                fields.encode(&mut out);
                let b = out.freeze();
                let c = parse_column_definition(&b, ext.is_some()).unwrap();
                prop_assert_eq!(c.fields(), fields);
                let mut again = BytesMut::new();
                encode_column_definition(&c, &mut again);
                prop_assert_eq!(&again[..], &b[..]);
                let back = parse_column_definition(&again.freeze(), ext.is_some()).unwrap();
                prop_assert_eq!(&back, &c);
                for n in [0, b.len() / 2, b.len() - 1] {
                    prop_assert!(parse_column_definition(&b.slice(..n), ext.is_some()).is_err());
                }
            }
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
