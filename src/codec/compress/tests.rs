// Test data made with truncating casts on purpose.
#![allow(clippy::cast_possible_truncation)]

use bytes::BytesMut;

use super::*;
use crate::codec::test_util::unhex;

/// The MySQL dev docs' example ("Compressed Packet"): COM_QUERY of
/// `select "012345678901234567890123456789012345"` (a 46-byte payload, 50 bytes with its
/// header) as one zlib-compressed packet, sequence id 0. The same bytes come out of Python's
/// `zlib.compress` at the default level.
const DOC_EXAMPLE: &str = "22000000320000\
    789cd3636060602e4ecd494d2e51503230343236313533b7b0c4cd5202000cd10a6c";

fn doc_plain() -> Vec<u8> {
    let mut p = unhex("2e00000003");
    p.extend_from_slice(b"select \"012345678901234567890123456789012345\"");
    p
}

#[test]
fn the_documented_example_parses_and_inflates() {
    let wire = unhex(DOC_EXAMPLE);
    let h = peek_compressed_header(&wire).unwrap();
    assert_eq!(
        h,
        CompressedHeader {
            compressed_len: 34,
            seq: 0,
            uncompressed_len: 50
        }
    );
    assert_eq!(h.wire_len(), wire.len());
    let mut out = vec![0u8; h.plain_len()];
    Inflater::new(Algorithm::Zlib)
        .inflate(&wire[COMPRESSED_HEADER..], &mut out)
        .unwrap();
    assert_eq!(out, doc_plain());
}

#[test]
fn zlib_at_the_default_level_writes_the_documented_bytes() {
    let mut out = BytesMut::new();
    let next = Deflater::new(Algorithm::Zlib, 6).frame(&doc_plain(), 0, &mut out);
    assert_eq!(next, 1);
    assert_eq!(&out[..], &unhex(DOC_EXAMPLE)[..]);
}

#[test]
fn short_or_incompressible_payloads_go_as_they_are() {
    for algo in [Algorithm::Zlib, Algorithm::Zstd] {
        let mut d = Deflater::new(algo, algo.default_level());
        let mut out = BytesMut::new();
        // 5 bytes: below MIN_COMPRESS_LENGTH.
        assert_eq!(d.frame(&[1, 0, 0, 0, 0x0e], 7, &mut out), 8);
        assert_eq!(&out[..], &[5, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0x0e]);
        // 200 bytes that do not compress (a fixed pseudo-random sequence).
        let noise: Vec<u8> = (0u32..200)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        out.clear();
        d.frame(&noise, 0, &mut out);
        let h = peek_compressed_header(&out).unwrap();
        assert!(!h.is_compressed(), "{algo}");
        assert_eq!(&out[COMPRESSED_HEADER..], &noise[..]);
    }
}

#[test]
fn round_trips_and_splits_at_the_largest_chunk() {
    for algo in [Algorithm::Zlib, Algorithm::Zstd] {
        // 17 MiB: two compressed packets, the first carrying exactly 0xFFFFFF plain bytes.
        let plain: Vec<u8> = (0..17usize << 20).map(|i| (i % 251) as u8).collect();
        let mut out = BytesMut::new();
        let next = Deflater::new(algo, 1).frame(&plain, 254, &mut out);
        assert_eq!(next, 0, "two packets from 254: 254, 255");
        let mut back = Vec::new();
        let mut inf = Inflater::new(algo);
        let mut rest = &out[..];
        let mut seqs = Vec::new();
        while !rest.is_empty() {
            let h = peek_compressed_header(rest).unwrap();
            check_header(&h, MAX_COMPRESSED_CHUNK).unwrap();
            seqs.push(h.seq);
            let body = &rest[COMPRESSED_HEADER..h.wire_len()];
            let mut piece = vec![0u8; h.plain_len()];
            if h.is_compressed() {
                inf.inflate(body, &mut piece).unwrap();
            } else {
                piece.copy_from_slice(body);
            }
            back.extend_from_slice(&piece);
            rest = &rest[h.wire_len()..];
        }
        assert_eq!(seqs, [254, 255], "{algo}");
        assert!(back == plain, "{algo}: round trip");
        assert!(out.len() < plain.len() / 10, "{algo}: {} bytes", out.len());
    }
}

/// A compressed payload of `plain` by `algo`.
fn packed(algo: Algorithm, plain: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    Deflater::new(algo, algo.default_level()).frame(plain, 0, &mut out);
    let h = peek_compressed_header(&out).unwrap();
    assert!(h.is_compressed());
    out[COMPRESSED_HEADER..].to_vec()
}

#[test]
fn a_stream_longer_than_announced_is_refused_without_growing() {
    // A bomb: 1 MiB of zeros compresses to about a kilobyte; announced as 100 bytes.
    for algo in [Algorithm::Zlib, Algorithm::Zstd] {
        let src = packed(algo, &vec![0u8; 1 << 20]);
        let mut out = vec![0u8; 100];
        let e = Inflater::new(algo).inflate(&src, &mut out).unwrap_err();
        assert_eq!(
            (e.packet, e.field, e.kind),
            (
                Packet::Compressed,
                "uncompressed_length",
                ErrorKind::TooLarge
            ),
            "{algo}"
        );
        // Announced one byte short.
        let mut out = vec![0u8; (1 << 20) - 1];
        let e = Inflater::new(algo).inflate(&src, &mut out).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{algo}");
    }
}

#[test]
fn a_stream_shorter_than_announced_is_refused() {
    for algo in [Algorithm::Zlib, Algorithm::Zstd] {
        let src = packed(algo, &[b'a'; 500]);
        let mut out = vec![0u8; 501];
        let e = Inflater::new(algo).inflate(&src, &mut out).unwrap_err();
        assert_eq!(
            (e.field, e.kind),
            ("uncompressed_length", ErrorKind::Truncated),
            "{algo}"
        );
    }
}

#[test]
fn corrupt_truncated_or_trailing_input_is_refused() {
    for algo in [Algorithm::Zlib, Algorithm::Zstd] {
        let src = packed(algo, &[b'a'; 500]);
        let mut out = vec![0u8; 500];
        let mut inf = Inflater::new(algo);
        // Cut short.
        let e = inf.inflate(&src[..src.len() - 3], &mut out).unwrap_err();
        assert_eq!(e.packet, Packet::Compressed, "{algo}");
        // Bytes after the stream.
        let mut longer = src.clone();
        longer.extend_from_slice(&[0, 0, 0]);
        let e = inf.inflate(&longer, &mut out).unwrap_err();
        assert_eq!(e.packet, Packet::Compressed, "{algo}");
        // Garbage.
        let e = inf.inflate(&[0xAB; 40], &mut out).unwrap_err();
        assert_eq!(
            (e.field, e.kind),
            ("compressed_payload", ErrorKind::InvalidValue),
            "{algo}"
        );
        // The inflater is still good after errors.
        inf.inflate(&src, &mut out).unwrap();
        assert_eq!(out, [b'a'; 500]);
    }
}

#[test]
fn headers_are_checked_against_the_limit() {
    let big = CompressedHeader {
        compressed_len: 10,
        seq: 0,
        uncompressed_len: 2 << 20,
    };
    let e = check_header(&big, inflate_limit(1024)).unwrap_err();
    assert_eq!(
        (e.field, e.kind),
        ("uncompressed_length", ErrorKind::TooLarge)
    );
    check_header(&big, inflate_limit(4 << 20)).unwrap();
    let raw = CompressedHeader {
        compressed_len: 2 << 20,
        seq: 0,
        uncompressed_len: 0,
    };
    let e = check_header(&raw, inflate_limit(1024)).unwrap_err();
    assert_eq!(e.field, "compressed_length");
    assert_eq!(inflate_limit(0), MIN_INFLATE_LIMIT);
    assert_eq!(inflate_limit(usize::MAX), MAX_COMPRESSED_CHUNK);
    assert_eq!(peek_compressed_header(&[1, 2, 3, 4, 5, 6]), None);
}
