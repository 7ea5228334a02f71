//! The server greeting: parse_handshake never panics; what parses re-encodes to the same value.

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
use mywire::codec::handshake::{encode_handshake, parse_handshake};

fuzz_target!(|data: &[u8]| {
    let Ok(hs) = parse_handshake(data) else {
        return;
    };
    let _ = (hs.is_mariadb(), hs.display_version());
    // The pre-4.1 short greeting (ending after capability_flags_1) is accepted by the parser but
    // the encoder only writes the full 4.1 layout: no round trip for it (by design).
    let nul = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    if data.len() == nul + 1 + 4 + 8 + 1 + 2 {
        return;
    }
    let mut out = BytesMut::new();
    encode_handshake(&hs, &mut out);
    let back = parse_handshake(&out).expect("a re-encoded greeting parses");
    assert_eq!(back, hs, "greeting round trip");
});
