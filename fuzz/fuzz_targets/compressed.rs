//! The compressed protocol as the capture decoder reads it (`mywire decode` after the OK that
//! ends authentication): both directions' byte streams cut into compressed packets
//! (`peek_compressed_header`, `check_header` against `inflate_limit`), inflated (`Inflater`,
//! zlib or zstd), the plain bytes framed (`PacketCodec`, inner sequence ids unchecked) and
//! decoded by the conversation decoder, then rendered — through
//! `capture::offline::decode_compressed_streams`, the decoder's own path.
//!
//! Input: one byte of flags (bit 0: zstd, else zlib), then chunks as `[hdr][len][bytes]`
//! (`hdr` bit 7: server to client; length = (`hdr` & 0x7F) << 8 | `len`), so that seeds are
//! real streams (`fuzz/corpus/compressed/`, from a recorded capture, and bombs and length lies
//! built with zlib/zstd).
//!
//! Properties: no panic; no single allocation larger than a few times the limits (packets of
//! at most 1 MiB, so compressed packets of at most 1 MiB plain: a bomb or a lying length is
//! refused before anything that size is allocated); at most 4 MiB inflated, so no more packets
//! than the input's bytes and a quarter of that; no compressed packet shown announces more
//! than the limit; every packet renders as text and JSON.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::capture::offline::{decode_compressed_streams, Limits};
use mywire::codec::compress::{inflate_limit, Algorithm};
use mywire::trace::decode::Value;
use mywire::trace::format::{render, Format};
use mywire::trace::Direction;
use mywire_fuzz::{largest, reset_largest, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The decoder's largest packet here.
const MAX_PACKET: usize = 1 << 20;

/// Most plain bytes inflated per input (a decoded packet takes at least 4).
const MAX_INFLATED: u64 = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let algorithm = if flags & 1 == 0 {
        Algorithm::Zlib
    } else {
        Algorithm::Zstd
    };
    let mut chunks = Vec::new();
    while let [hdr, len, tail @ ..] = rest {
        let n = (usize::from(hdr & 0x7F) << 8 | usize::from(*len)).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        let dir = if hdr & 0x80 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        chunks.push((dir, bytes));
    }
    reset_largest();
    let limits = Limits {
        max_packet: MAX_PACKET,
        max_inflated: MAX_INFLATED,
    };
    let (packets, _notes) = decode_compressed_streams(chunks, algorithm, limits, true);
    let peak = largest();
    let limit = inflate_limit(MAX_PACKET);
    // The plain bytes waiting (one packet of at most MAX_PACKET and what one compressed packet
    // adds), a buffer's doubling, and a decoded packet's copy: a few times the limit.
    let bound = 8 * (MAX_PACKET + limit) + 4 * data.len();
    assert!(
        peak <= bound,
        "allocated {peak} bytes at once (bound {bound})"
    );
    // Every packet takes 4 plain bytes or a compressed header; inflation stops at the
    // compressed packet that crosses the limit.
    let most = data.len() + (MAX_INFLATED as usize + limit) / 4;
    assert!(packets.len() <= most, "{} packets", packets.len());
    for d in &packets {
        if d.is_compressed_packet() {
            if let Some(Value::Int(n)) = d.field("uncompressed_len") {
                assert!(
                    *n as usize <= limit,
                    "a compressed packet over the limit shown"
                );
            }
        }
        let _ = render(d, Format::Text, true);
        let _ = render(d, Format::Json, true);
    }
});
