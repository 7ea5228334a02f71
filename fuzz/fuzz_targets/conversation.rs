//! Arbitrary packets in both directions through the conversation decoder used by live traces,
//! offline decoding and raw-exchange tracking: no panic, and redaction holds (a redacted field
//! never shows its bytes).
#![no_main]
use std::fmt::Write as _;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mywire::trace::decode::{Conversation, Value};
use mywire::trace::format::{render, Format};
use mywire::trace::Direction;

fuzz_target!(|data: &[u8]| {
    // Input: packets as [flags][len][payload...]; flags bit 0 = direction, bits 1.. = seq.
    let mut conv = Conversation::new(true);
    let mut rest = data;
    while let [flags, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        let dir = if flags & 1 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let d = conv.packet(dir, flags >> 1, Bytes::copy_from_slice(payload));
        let _ = render(&d, Format::Text, true);
        let json = render(&d, Format::Json, true);
        if d.fields
            .iter()
            .any(|(_, v)| matches!(v, Value::Redacted(_)))
            && payload.len() >= 4
        {
            // One String, not one per byte (an independent spelling of the library's hex).
            let mut hex = String::with_capacity(2 * payload.len());
            for b in payload {
                let _ = write!(hex, "{b:02x}");
            }
            assert!(!json.contains(&hex), "redacted packet shown in hex");
        }
        if conv.is_encrypted() {
            conv.tls_started();
        }
    }
});
