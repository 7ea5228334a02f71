//! Packet framing: PacketCodec::decode_frame fed in arbitrary-sized pieces.
//!
//! Properties: no panic; a decoded payload never exceeds the configured maximum; while waiting
//! for more bytes the input buffer never holds more than one chunk (max + 4 header bytes); no
//! single allocation is larger than about twice (max + header + the piece being fed); every
//! decoded packet re-encodes (splitting at 0xFFFFFF) to bytes that decode to the same packet.
//! `FullChunk` pieces append a real 0xFFFFFF-byte chunk so continuations are exercised.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::frame::{PacketCodec, MAX_CHUNK};
use mywire_fuzz::{largest, reset_largest, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

#[derive(Arbitrary, Debug)]
enum Piece {
    Bytes(Vec<u8>),
    FullChunk { seq: u8, fill: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Small maximum (1..=65536) or one above two chunks.
    big: bool,
    max_small: u16,
    check_seq: bool,
    start_seq: u8,
    pieces: Vec<Piece>,
    cuts: Vec<u16>,
}

fuzz_target!(|inp: Input| {
    let max = if inp.big {
        2 * MAX_CHUNK + 100
    } else {
        usize::from(inp.max_small) + 1
    };
    let mut wire = Vec::new();
    let mut full = 0;
    for p in &inp.pieces {
        match p {
            Piece::Bytes(b) => wire.extend_from_slice(b),
            Piece::FullChunk { seq, fill } if full < 3 => {
                full += 1;
                wire.extend_from_slice(&[0xFF, 0xFF, 0xFF, *seq]);
                wire.resize(wire.len() + MAX_CHUNK, *fill);
            }
            Piece::FullChunk { .. } => {}
        }
    }
    let mut codec = PacketCodec::new(max);
    codec.set_check_seq(inp.check_seq);
    codec.set_seq(inp.start_seq);
    let mut src = BytesMut::new();
    let mut pos = 0;
    let mut cut = 0;
    let mut biggest_piece = 0;
    reset_largest();
    'feed: while pos < wire.len() {
        let n = match inp.cuts.get(cut % inp.cuts.len().max(1)) {
            Some(&c) => usize::from(c) + 1,
            None => wire.len(),
        };
        cut += 1;
        let piece = &wire[pos..(pos + n).min(wire.len())];
        pos += piece.len();
        biggest_piece = biggest_piece.max(piece.len());
        src.extend_from_slice(piece);
        loop {
            match codec.decode_frame(&mut src) {
                Ok(Some(f)) => {
                    assert!(f.payload.len() <= max, "payload above the maximum");
                    let mut enc = PacketCodec::new(max);
                    enc.set_seq(f.seq);
                    let mut out = BytesMut::new();
                    enc.encode_parts(&[&f.payload], &mut out);
                    let mut dec = PacketCodec::new(max);
                    dec.set_seq(f.seq);
                    let back = dec
                        .decode_frame(&mut out)
                        .expect("re-encoded frame decodes");
                    assert_eq!(back.as_ref(), Some(&f), "frame round trip");
                    assert!(out.is_empty());
                }
                Ok(None) => {
                    assert!(
                        src.len() <= max + 4,
                        "buffered {} > max {max} + 4",
                        src.len()
                    );
                    break;
                }
                Err(_) => break 'feed,
            }
        }
    }
    let bound = 2 * (max + 4) + 2 * biggest_piece + 4096;
    assert!(
        largest() <= bound,
        "allocated {} bytes (bound {bound})",
        largest()
    );
});
