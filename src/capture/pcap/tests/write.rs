//! The writer: checksums, frames, families, large payloads.

use super::*;

#[test]
fn checksum_matches_rfc1071_example() {
    // RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
    assert_eq!(
        checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
        0x220d
    );
    // An odd-length tail is padded with zero.
    assert_eq!(checksum(&[&[0x01]]), !0x0100);
}

#[test]
fn writer_round_trip_ipv4() {
    let client = v4([10, 0, 0, 1], 50000);
    let server = v4([10, 0, 0, 2], 3306);
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.write_handshake(1_700_000_000_123_456_789, client, server)
        .unwrap();
    w.write_tcp_payload(
        1_700_000_000_200_000_000,
        client,
        server,
        Direction::ServerToClient,
        b"greeting",
    )
    .unwrap();
    w.write_tcp_payload(
        1_700_000_000_300_000_000,
        client,
        server,
        Direction::ClientToServer,
        b"login",
    )
    .unwrap();
    w.write_close(1_700_000_000_400_000_000, client, server)
        .unwrap();
    let file = w.into_inner().unwrap();

    let reader = CaptureReader::new(&file).unwrap();
    assert_eq!(reader.format(), CaptureFormat::Pcapng);
    let (frames, err) = all_frames(&file);
    assert!(err.is_none());
    assert_eq!(frames.len(), 8);
    assert_eq!(frames[0].timestamp_nanos, 1_700_000_000_123_456_789);
    assert_eq!(frames[0].link_type, LINKTYPE_ETHERNET);
    for f in &frames {
        verify_checksums(f.data);
    }
    let segs: Vec<_> = frames.iter().map(|f| decode_frame(f).unwrap()).collect();
    // SYN, SYN-ACK, ACK.
    assert!(segs[0].flags.syn() && !segs[0].flags.ack());
    assert!(segs[1].flags.syn() && segs[1].flags.ack());
    assert_eq!(segs[1].ack, segs[0].seq.wrapping_add(1));
    assert_eq!(segs[2].ack, segs[1].seq.wrapping_add(1));
    // The greeting from the server, then the client's reply acknowledging it.
    assert_eq!(segs[3].src, server);
    assert_eq!(segs[3].payload, b"greeting");
    assert_eq!(segs[3].seq, segs[1].seq.wrapping_add(1));
    assert_eq!(segs[4].src, client);
    assert_eq!(segs[4].payload, b"login");
    assert_eq!(segs[4].ack, segs[3].seq.wrapping_add(8));
    // FIN/ACK, FIN/ACK, ACK.
    assert!(segs[5].flags.fin() && segs[5].src == client);
    assert!(segs[6].flags.fin() && segs[6].src == server);
    assert_eq!(segs[6].ack, segs[5].seq.wrapping_add(1));
    assert_eq!(segs[7].ack, segs[6].seq.wrapping_add(1));
    assert!(segs[7].flags.ack() && !segs[7].flags.fin());
}

#[test]
fn writer_ipv6_and_mixed_families_rejected() {
    let client = v6(1, 40000);
    let server = v6(2, 3306);
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.write_handshake(5, client, server).unwrap();
    w.write_tcp_payload(6, client, server, Direction::ClientToServer, b"abc")
        .unwrap();
    assert!(w
        .write_tcp_payload(
            7,
            v4([1, 2, 3, 4], 1),
            server,
            Direction::ClientToServer,
            b"x"
        )
        .is_err());
    let file = w.into_inner().unwrap();
    let (frames, err) = all_frames(&file);
    assert!(err.is_none());
    assert_eq!(frames.len(), 4);
    for f in &frames {
        verify_checksums(f.data);
    }
    let s = decode_frame(&frames[3]).unwrap();
    assert_eq!((s.src, s.dst, s.payload), (client, server, &b"abc"[..]));
}

#[test]
fn writer_splits_large_payloads() {
    let client = v4([127, 0, 0, 1], 50001);
    let server = v4([127, 0, 0, 1], 3306);
    let big: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.write_handshake(0, client, server).unwrap();
    w.write_tcp_payload(1, client, server, Direction::ServerToClient, &big)
        .unwrap();
    let file = w.into_inner().unwrap();
    let (frames, err) = all_frames(&file);
    assert!(err.is_none());
    let mut got = Vec::with_capacity(big.len());
    let mut data_frames = 0;
    let mut expect_seq = None;
    for f in &frames[3..] {
        let s = decode_frame(f).unwrap();
        assert!(s.payload.len() <= MAX_SEGMENT_PAYLOAD);
        if s.src == server {
            data_frames += 1;
            if let Some(e) = expect_seq {
                assert_eq!(s.seq, e);
            }
            expect_seq = Some(s.seq.wrapping_add(s.payload.len() as u32));
            got.extend_from_slice(s.payload);
        } else {
            // The client's pure ACKs acknowledge exactly what was sent so far.
            assert!(s.payload.is_empty());
            assert_eq!(Some(s.ack), expect_seq);
        }
    }
    assert_eq!(data_frames, big.len().div_ceil(MAX_SEGMENT_PAYLOAD));
    assert!(got == big);
    verify_checksums(frames[3].data);
    verify_checksums(frames.last().unwrap().data);
}
