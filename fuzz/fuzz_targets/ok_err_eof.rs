//! OK / ERR / EOF / LOCAL INFILE / column count: no panic; OK, ERR and EOF round-trip.
//! Input: 4 bytes of client capabilities, then the payload.

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
use mywire::codec::response::{
    encode_eof, encode_err, encode_ok, is_err, is_ok, is_result_end, parse_eof, parse_err,
    parse_local_infile, parse_ok, parse_query_response,
};
use mywire::codec::CapabilityFlags;

fuzz_target!(|data: &[u8]| {
    let Some((caps, payload)) = data.split_first_chunk::<4>() else {
        return;
    };
    let caps = CapabilityFlags(u32::from_le_bytes(*caps));
    let _ = (is_err(payload), is_ok(payload));
    let _ = (is_result_end(payload, true), is_result_end(payload, false));
    let _ = parse_query_response(payload, caps);
    let _ = parse_local_infile(payload);
    if let Ok(ok) = parse_ok(payload, caps) {
        // The encoder writes the 4.1 layout (status and warnings always present).
        if caps.contains(CapabilityFlags::PROTOCOL_41) {
            let mut out = BytesMut::new();
            encode_ok(&ok, payload[0], caps, &mut out);
            let back = parse_ok(&out, caps).expect("a re-encoded OK parses");
            assert_eq!(back, ok, "OK round trip");
        }
    }
    if let Ok(e) = parse_err(payload) {
        let mut out = BytesMut::new();
        encode_err(&e, &mut out);
        assert_eq!(
            parse_err(&out).expect("a re-encoded ERR parses"),
            e,
            "ERR round trip"
        );
    }
    if let Ok(e) = parse_eof(payload) {
        let mut out = BytesMut::new();
        encode_eof(&e, &mut out);
        assert_eq!(
            parse_eof(&out).expect("a re-encoded EOF parses"),
            e,
            "EOF round trip"
        );
    }
});
