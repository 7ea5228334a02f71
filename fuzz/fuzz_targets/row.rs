//! Text rows: RowCells::parse with up to 64 columns, then every FromValue::from_text getter on
//! every cell with every column type. Parsed cells re-encode to a row that parses to the same
//! cells.
//! Input: column count byte (mod 65), 2 bytes of column flags, then the row payload.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::resultset::{encode_row, RowCells};
use mywire::codec::{ColumnFlags, ColumnType};
use mywire_fuzz::{all_getters, COLUMN_TYPES};

fuzz_target!(|data: &[u8]| {
    let Some((&[n, f0, f1], row)) = data.split_first_chunk::<3>() else {
        return;
    };
    let columns = usize::from(n) % 65;
    let flags = ColumnFlags(u16::from_le_bytes([f0, f1]));
    let mut cells = RowCells::new();
    if cells.parse(row, columns).is_err() {
        return;
    }
    assert_eq!(cells.len(), columns);
    let mut values: Vec<Option<&[u8]>> = Vec::with_capacity(columns);
    for i in 0..columns {
        let cell = cells.get(row, i);
        assert_eq!(cell.is_none(), cells.is_null(i));
        if let Some(b) = cell {
            for &ty in COLUMN_TYPES {
                std::hint::black_box(all_getters(b, ColumnType(ty), flags));
            }
        }
        values.push(cell);
    }
    assert!(cells.get(row, columns).is_none() && !cells.is_null(columns));
    let mut out = BytesMut::new();
    encode_row(&values, &mut out);
    // Length prefixes may be non-canonical on the wire, so compare cells, not bytes.
    let mut again = RowCells::new();
    again.parse(&out, columns).expect("a re-encoded row parses");
    for (i, v) in values.iter().enumerate() {
        assert_eq!(again.get(&out, i), *v, "row round trip, cell {i}");
    }
});
