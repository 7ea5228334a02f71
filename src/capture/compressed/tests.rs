use super::*;
use crate::codec::compress::Deflater;
use crate::codec::ErrorKind;

fn zipped(a: Algorithm, plain: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    Deflater::new(a, 6).frame(plain, 0, &mut out);
    out.to_vec()
}

fn is_cmd(b: &[u8]) -> bool {
    matches!(b, [_, _, _, 0, 3, ..])
}

#[test]
fn packets_are_cut_inflated_and_checked() {
    let plain: Vec<u8> = (0..5000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
    for a in [Algorithm::Zlib, Algorithm::Zstd] {
        let wire = zipped(a, &plain);
        let mut s = CompressedStream::for_max_packet(None, 1 << 30);
        let mut out = BytesMut::new();
        // Byte by byte: nothing until the packet is whole.
        for b in &wire[..wire.len() - 1] {
            s.push(&[*b]);
            assert_eq!(s.next_packet(&mut out).unwrap(), None);
        }
        s.push(&wire[wire.len() - 1..]);
        let h = s.next_packet(&mut out).unwrap().unwrap();
        assert_eq!((h.seq, h.uncompressed_len), (0, plain.len()));
        assert_eq!(&out[..], &plain[..]);
        assert_eq!(s.algorithm(), Some(a));
        assert_eq!(s.buffered(), 0);
    }
    // Over the limit: refused from the header alone.
    let mut s = CompressedStream::new(Some(Algorithm::Zlib), 100);
    s.push(&[10, 0, 0, 0, 101, 0, 0]);
    let e = s.next_packet(&mut BytesMut::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
    // Corrupt: an error, and the plain bytes as they were.
    let mut s = CompressedStream::new(None, 1 << 20);
    s.push(&[4, 0, 0, 0, 9, 0, 0, 0x78, 0x9c, 1, 2]);
    let mut out = BytesMut::from(&b"kept"[..]);
    assert!(s.next_packet(&mut out).is_err());
    assert_eq!(&out[..], b"kept");
}

#[test]
fn command_starts_are_recognised() {
    let q = b"\x20\x00\x00\x00\x03SELECT 'some query text here', 1".to_vec();
    for a in [Algorithm::Zlib, Algorithm::Zstd] {
        let long = [&q[..], &[b' '; 100][..]].concat();
        let mut long = long;
        long[0] = u8::try_from(long.len() - 4).unwrap();
        let wire = zipped(a, &long);
        assert!(wire[4] != 0, "compressed");
        assert_eq!(
            compressed_command_start(&wire, None, is_cmd),
            Start::Command(Some(a))
        );
        assert_eq!(
            compressed_command_start(&wire[..20], None, is_cmd),
            Start::NeedMore
        );
        // The wrong algorithm said: not one.
        let other = match a {
            Algorithm::Zlib => Algorithm::Zstd,
            Algorithm::Zstd => Algorithm::Zlib,
        };
        assert_eq!(
            compressed_command_start(&wire, Some(other), is_cmd),
            Start::No
        );
    }
    let as_is = zipped(Algorithm::Zlib, &q[..20]);
    assert_eq!(
        compressed_command_start(&as_is, None, is_cmd),
        Start::Command(None)
    );
    // Plain commands are not taken for compressed ones.
    assert_eq!(compressed_command_start(&q, None, is_cmd), Start::No);
    assert_eq!(
        compressed_command_start(b"\x01\x00\x00\x00\x0e", None, is_cmd),
        Start::No
    );
    // Compressed sequence id 1: not a command's first packet.
    let mut later = as_is.clone();
    later[3] = 1;
    assert_eq!(compressed_command_start(&later, None, is_cmd), Start::No);
}
