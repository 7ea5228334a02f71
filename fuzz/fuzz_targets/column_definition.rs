//! ColumnDefinition41: no panic; parse -> encode -> parse is the identity.
//! Input: 1 byte (bit 0: MariaDB extended metadata negotiated), then the payload.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mywire::codec::resultset::{encode_column_definition, parse_column_definition};

fuzz_target!(|data: &[u8]| {
    let Some((&flag, payload)) = data.split_first() else {
        return;
    };
    let ext = flag & 1 == 1;
    let payload = Bytes::copy_from_slice(payload);
    let Ok(col) = parse_column_definition(&payload, ext) else {
        return;
    };
    let _ = (col.name(), col.is_binary());
    let mut out = BytesMut::new();
    encode_column_definition(&col, &mut out);
    let back = parse_column_definition(&out.freeze(), ext).expect("re-encoded column parses");
    assert_eq!(back, col, "column definition round trip");
});
