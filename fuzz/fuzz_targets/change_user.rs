//! COM_CHANGE_USER as parsed by the trace decoder and test servers: no panic, and after one
//! parse the encoding is stable (parse -> encode -> parse -> encode gives the same bytes; the
//! first parse normalizes what the wire leaves optional). The first four bytes are the
//! negotiated capabilities (little-endian), the rest the command.

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
use mywire::codec::handshake::{encode_change_user, parse_change_user};
use mywire::codec::CapabilityFlags;

fuzz_target!(|data: &[u8]| {
    let Some((caps, cmd)) = data.split_first_chunk::<4>() else {
        return;
    };
    let caps = CapabilityFlags(u32::from_le_bytes(*caps));
    let Ok(first) = parse_change_user(cmd, caps) else {
        return;
    };
    let mut once = BytesMut::new();
    assert!(
        encode_change_user(&first, caps, &mut once),
        "a parsed auth response fits"
    );
    let second = parse_change_user(&once, caps).expect("a re-encoded COM_CHANGE_USER parses");
    let mut twice = BytesMut::new();
    assert!(encode_change_user(&second, caps, &mut twice));
    assert_eq!(once, twice, "COM_CHANGE_USER encoding is stable");
});
