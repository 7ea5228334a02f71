//! The server greeting: parse_handshake never panics; what parses re-encodes to the same value.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::handshake::{encode_handshake, parse_handshake};
use mywire::codec::CapabilityFlags;

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
    // KNOWN (tests/regressions.rs `greeting_with_short_auth_data_part_2_round_trips`): with
    // CLIENT_SECURE_CONNECTION the parser accepts an auth-plugin-data part 2 shorter than 12
    // bytes (even none), which the encoder then pads to 12. Skipped so the fuzzer can look past
    // it; remove once fixed.
    // The same leniency (part 2 cut to what remains, whatever auth_plugin_data_len says) makes
    // any non-standard part 2 re-encode differently: round trips are checked for the modern
    // layout only (SECURE_CONNECTION with a 20-byte nonce and PLUGIN_AUTH, or neither).
    let sc = hs.capabilities.contains(CapabilityFlags::SECURE_CONNECTION);
    let pa = hs.capabilities.contains(CapabilityFlags::PLUGIN_AUTH);
    if sc != pa || (sc && hs.nonce.len() != 20) {
        return;
    }
    let mut out = BytesMut::new();
    encode_handshake(&hs, &mut out);
    let back = parse_handshake(&out).expect("a re-encoded greeting parses");
    assert_eq!(back, hs, "greeting round trip");
});
