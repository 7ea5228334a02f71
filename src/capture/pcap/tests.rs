use super::link::{malformed, ETHERTYPE_IPV4};
use super::read::{
    ts_to_nanos, BLOCK_EPB, BLOCK_IDB, BLOCK_SPB, PCAPNG_BOM, PCAPNG_SHB, PCAP_MAGIC_MICROS,
    PCAP_MAGIC_NANOS,
};
use super::write::{build_frame, checksum, FrameSpec, CLIENT_MAC, SERVER_MAC};
use super::*;
use crate::trace::Direction;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

fn v4(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), port)
}

fn v6(last: u16, port: u16) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last)),
        port,
    )
}

/// An Ethernet frame carrying one TCP segment, built by the writer's frame builder.
fn eth_frame(src: SocketAddr, dst: SocketAddr, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    build_frame(&FrameSpec {
        src,
        dst,
        src_mac: CLIENT_MAC,
        dst_mac: SERVER_MAC,
        seq,
        ack: 0,
        flags,
        ip_id: 7,
        payload,
    })
    .unwrap()
}

/// The IP packet inside an Ethernet frame from `eth_frame`.
fn ip_packet(src: SocketAddr, dst: SocketAddr, seq: u32, payload: &[u8]) -> Vec<u8> {
    eth_frame(src, dst, seq, TcpFlags::ACK | TcpFlags::PSH, payload)[14..].to_vec()
}

/// A classic pcap file with the given byte order, resolution, link type and frames.
fn classic(big: bool, nanos: bool, link: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend_from_slice(&w32(if nanos {
        PCAP_MAGIC_NANOS
    } else {
        PCAP_MAGIC_MICROS
    }));
    f.extend_from_slice(&w16(2));
    f.extend_from_slice(&w16(4));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(65535));
    f.extend_from_slice(&w32(link));
    for (ts, data) in frames {
        let sec = (ts / 1_000_000_000) as u32;
        let sub = (ts % 1_000_000_000) as u32;
        f.extend_from_slice(&w32(sec));
        f.extend_from_slice(&w32(if nanos { sub } else { sub / 1000 }));
        f.extend_from_slice(&w32(data.len() as u32));
        f.extend_from_slice(&w32(data.len() as u32));
        f.extend_from_slice(data);
    }
    f
}

fn all_frames(buf: &[u8]) -> (Vec<CapturedFrame<'_>>, Option<CaptureError>) {
    let mut frames = Vec::new();
    let mut err = None;
    for item in CaptureReader::new(buf).unwrap() {
        match item {
            Ok(f) => frames.push(f),
            Err(e) => err = Some(e),
        }
    }
    (frames, err)
}

fn verify_checksums(frame: &[u8]) {
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let ip = &frame[14..];
    let (pseudo, tcp) = if ethertype == ETHERTYPE_IPV4 {
        assert_eq!(checksum(&[&ip[..20]]), 0, "IPv4 header checksum");
        let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
        assert_eq!(total, ip.len(), "IPv4 total length");
        let tcp = &ip[20..];
        let mut p = Vec::new();
        p.extend_from_slice(&ip[12..20]);
        p.extend_from_slice(&[0, 6]);
        p.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        (p, tcp)
    } else {
        let plen = u16::from_be_bytes([ip[4], ip[5]]) as usize;
        assert_eq!(plen + 40, ip.len(), "IPv6 payload length");
        let tcp = &ip[40..];
        let mut p = Vec::new();
        p.extend_from_slice(&ip[8..40]);
        p.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 6]);
        (p, tcp)
    };
    assert_eq!(checksum(&[&pseudo, tcp]), 0, "TCP checksum");
}

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

#[test]
fn classic_pcap_both_orders_and_resolutions() {
    let c = v4([192, 168, 1, 10], 51000);
    let s = v4([192, 168, 1, 20], 3306);
    let f1 = eth_frame(c, s, 100, TcpFlags::ACK, b"hello");
    let f2 = eth_frame(s, c, 900, TcpFlags::ACK, b"world!");
    let ts1 = 1_600_000_000_000_001_000;
    let ts2 = 1_600_000_001_999_999_000;
    for (big, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let file = classic(
            big,
            nanos,
            LINKTYPE_ETHERNET,
            &[(ts1, f1.clone()), (ts2, f2.clone())],
        );
        let r = CaptureReader::new(&file).unwrap();
        let want = if nanos {
            CaptureFormat::PcapNanos
        } else {
            CaptureFormat::PcapMicros
        };
        assert_eq!(r.format(), want);
        let (frames, err) = all_frames(&file);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].timestamp_nanos, ts1);
        assert_eq!(frames[1].timestamp_nanos, ts2);
        let a = decode_frame(&frames[0]).unwrap();
        assert_eq!((a.src, a.dst, a.seq, a.payload), (c, s, 100, &b"hello"[..]));
        let b = decode_frame(&frames[1]).unwrap();
        assert_eq!((b.src, b.payload), (s, &b"world!"[..]));
    }
}

#[test]
fn link_layers() {
    let c = v4([10, 1, 1, 1], 40000);
    let s = v4([10, 1, 1, 2], 3306);
    let ip = ip_packet(c, s, 42, b"payload");
    let ip6 = ip_packet(v6(1, 40000), v6(2, 3306), 42, b"payload");
    let check = |link: u32, data: Vec<u8>, src: SocketAddr| {
        let seg = decode_link(link, &data, 9).unwrap_or_else(|e| panic!("link {link}: {e}"));
        assert_eq!(seg.src, src, "link {link}");
        assert_eq!(seg.payload, b"payload", "link {link}");
        assert_eq!(seg.seq, 42);
        assert_eq!(seg.timestamp_nanos, 9);
    };
    // Ethernet with an 802.1Q tag and with QinQ, plus trailing padding.
    let mut eth = vec![0u8; 12];
    eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    eth.extend_from_slice(&ip);
    eth.extend_from_slice(&[0xEE; 6]);
    check(LINKTYPE_ETHERNET, eth, c);
    let mut qinq = vec![0u8; 12];
    qinq.extend_from_slice(&[0x88, 0xA8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x05, 0x86, 0xDD]);
    qinq.extend_from_slice(&ip6);
    check(LINKTYPE_ETHERNET, qinq, v6(1, 40000));
    // Linux cooked v1: protocol at offset 14.
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    check(LINKTYPE_LINUX_SLL, sll, c);
    // Linux cooked v2: protocol at offset 0, 20-byte header.
    let mut sll2 = vec![0x86, 0xDD, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6];
    sll2.extend_from_slice(&[0; 8]);
    sll2.extend_from_slice(&ip6);
    check(LINKTYPE_LINUX_SLL2, sll2, v6(1, 40000));
    // BSD null: host byte order, either way; AF_INET6 = 30 (macOS) / 24 / 28 / 10.
    let mut null_le = 2u32.to_le_bytes().to_vec();
    null_le.extend_from_slice(&ip);
    check(LINKTYPE_NULL, null_le, c);
    let mut null_be = 30u32.to_be_bytes().to_vec();
    null_be.extend_from_slice(&ip6);
    check(LINKTYPE_NULL, null_be, v6(1, 40000));
    let mut lo = 24u32.to_be_bytes().to_vec();
    lo.extend_from_slice(&ip6);
    check(LINKTYPE_LOOP, lo, v6(1, 40000));
    // Raw IP in its four numberings.
    check(LINKTYPE_RAW, ip.clone(), c);
    check(LINKTYPE_RAW_BSD, ip6.clone(), v6(1, 40000));
    check(LINKTYPE_IPV4, ip.clone(), c);
    check(LINKTYPE_IPV6, ip6.clone(), v6(1, 40000));
    // Unknown and mismatched.
    assert_eq!(
        decode_link(147, &ip, 0),
        Err(SkipReason::UnsupportedLinkType(147))
    );
    assert_eq!(
        decode_link(LINKTYPE_IPV6, &ip, 0),
        Err(malformed("ipv6", "version"))
    );
    let mut arp = vec![0u8; 12];
    arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
    assert_eq!(
        decode_link(LINKTYPE_ETHERNET, &arp, 0),
        Err(SkipReason::NotIp(0x0806))
    );
}

#[test]
fn ipv4_options_fragments_and_non_tcp() {
    let c = v4([10, 1, 1, 1], 40000);
    let s = v4([10, 1, 1, 2], 3306);
    let ip = ip_packet(c, s, 1, b"data");
    // Insert a 4-byte option (NOPs + EOL): IHL 6, total length + 4.
    let mut opt = ip[..20].to_vec();
    opt[0] = 0x46;
    let total = u16::from_be_bytes([ip[2], ip[3]]) + 4;
    opt[2..4].copy_from_slice(&total.to_be_bytes());
    opt.extend_from_slice(&[1, 1, 1, 0]);
    opt.extend_from_slice(&ip[20..]);
    let seg = decode_ip(&opt, 0).unwrap();
    assert_eq!(seg.payload, b"data");
    assert!(!seg.truncated);
    // First fragment (MF set, offset 0): decoded, marked truncated.
    let mut first = ip.clone();
    first[6] = 0x20;
    assert!(decode_ip(&first, 0).unwrap().truncated);
    // A later fragment is skipped.
    let mut later = ip.clone();
    later[6] = 0x00;
    later[7] = 0x10;
    assert_eq!(decode_ip(&later, 0), Err(SkipReason::Fragment));
    // UDP.
    let mut udp = ip.clone();
    udp[9] = 17;
    assert_eq!(decode_ip(&udp, 0), Err(SkipReason::NotTcp(17)));
    // Cut by the snaplen: what is there, flagged.
    let cut = &ip[..ip.len() - 2];
    let seg = decode_ip(cut, 0).unwrap();
    assert_eq!(seg.payload, b"da");
    assert!(seg.truncated);
    // Bad IHL / data offset / short headers never panic.
    let mut bad = ip.clone();
    bad[0] = 0x44;
    assert!(decode_ip(&bad, 0).is_err());
    let mut bad = ip.clone();
    bad[32] = 0x10;
    assert_eq!(decode_ip(&bad, 0), Err(malformed("tcp", "data_offset")));
    for n in 0..ip.len() {
        let _ = decode_ip(&ip[..n], 0);
    }
}

#[test]
fn ipv6_extension_headers() {
    let ip6 = ip_packet(v6(1, 40000), v6(2, 3306), 5, b"six");
    let (hdr, tcp) = ip6.split_at(40);
    // Hop-by-hop (8 bytes) → destination options (16 bytes) → TCP.
    let mut pkt = hdr.to_vec();
    pkt[6] = 0;
    let plen = (tcp.len() + 24) as u16;
    pkt[4..6].copy_from_slice(&plen.to_be_bytes());
    pkt.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    pkt.extend_from_slice(&[6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    pkt.extend_from_slice(tcp);
    let seg = decode_ip(&pkt, 0).unwrap();
    assert_eq!(seg.payload, b"six");
    assert_eq!(seg.dst, v6(2, 3306));
    // A fragment header is skipped.
    let mut frag = hdr.to_vec();
    frag[6] = 44;
    frag.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 1]);
    frag.extend_from_slice(tcp);
    assert_eq!(decode_ip(&frag, 0), Err(SkipReason::Fragment));
    for n in 0..pkt.len() {
        let _ = decode_ip(&pkt[..n], 0);
    }
}

/// A pcapng block in the given byte order.
fn block(big: bool, btype: u32, body: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let total = (12 + pad4(body.len())) as u32;
    let mut b = w32(btype).to_vec();
    b.extend_from_slice(&w32(total));
    b.extend_from_slice(body);
    b.resize(total as usize - 4, 0);
    b.extend_from_slice(&w32(total));
    b
}

fn shb(big: bool) -> Vec<u8> {
    let mut body = if big {
        PCAPNG_BOM.to_be_bytes()
    } else {
        PCAPNG_BOM.to_le_bytes()
    }
    .to_vec();
    body.extend_from_slice(&if big {
        1u16.to_be_bytes()
    } else {
        1u16.to_le_bytes()
    });
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&[0xFF; 8]);
    block(big, PCAPNG_SHB, &body)
}

fn idb(big: bool, link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body = w16(link).to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&w32(0));
    // An unknown option first (if_name), then if_tsresol, then end of options.
    body.extend_from_slice(&w16(2));
    body.extend_from_slice(&w16(3));
    body.extend_from_slice(b"lo\0\0");
    if let Some(r) = tsresol {
        body.extend_from_slice(&w16(9));
        body.extend_from_slice(&w16(1));
        body.extend_from_slice(&[r, 0, 0, 0]);
    }
    body.extend_from_slice(&[0, 0, 0, 0]);
    block(big, BLOCK_IDB, &body)
}

fn epb(big: bool, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body = w32(iface).to_vec();
    body.extend_from_slice(&w32((ts >> 32) as u32));
    body.extend_from_slice(&w32(ts as u32));
    body.extend_from_slice(&w32(data.len() as u32));
    body.extend_from_slice(&w32(data.len() as u32));
    body.extend_from_slice(data);
    block(big, BLOCK_EPB, &body)
}

#[test]
fn pcapng_sections_interfaces_spb_and_unknown_blocks() {
    let c = v4([10, 1, 1, 1], 40000);
    let s = v4([10, 1, 1, 2], 3306);
    let ip = ip_packet(c, s, 1, b"one");
    let eth = eth_frame(s, c, 2, TcpFlags::ACK, b"two");
    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6];
    sll2.extend_from_slice(&[0; 8]);
    sll2.extend_from_slice(&ip);
    let mut file = Vec::new();
    // Section 1, big-endian: raw IP (µs default) and SLL2 (2^-10 s) interfaces.
    file.extend(shb(true));
    file.extend(idb(true, LINKTYPE_RAW as u16, None));
    file.extend(idb(true, LINKTYPE_LINUX_SLL2 as u16, Some(0x80 | 10)));
    file.extend(block(true, 0x0000_0BAD, b"custom block body"));
    file.extend(epb(true, 0, 1_500_000, &ip));
    file.extend(epb(true, 1, 3 * 1024, &sll2));
    // Section 2, little-endian: Ethernet interface, an SPB (no timestamp), an EPB in ns.
    file.extend(shb(false));
    file.extend(idb(false, LINKTYPE_ETHERNET as u16, Some(9)));
    let mut spb = (eth.len() as u32).to_le_bytes().to_vec();
    spb.extend_from_slice(&eth);
    file.extend(block(false, BLOCK_SPB, &spb));
    file.extend(epb(false, 0, 7, &eth));
    let (frames, err) = all_frames(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[0].link_type, LINKTYPE_RAW);
    assert_eq!(frames[0].timestamp_nanos, 1_500_000_000);
    assert_eq!(frames[1].link_type, LINKTYPE_LINUX_SLL2);
    assert_eq!(frames[1].interface, 1);
    assert_eq!(frames[1].timestamp_nanos, 3_000_000_000);
    assert_eq!(frames[2].link_type, LINKTYPE_ETHERNET);
    assert_eq!(
        frames[2].timestamp_nanos, 3_000_000_000,
        "SPB reuses the last timestamp"
    );
    assert_eq!(frames[3].timestamp_nanos, 7);
    let payloads: Vec<_> = frames
        .iter()
        .map(|f| decode_frame(f).unwrap().payload)
        .collect();
    assert_eq!(payloads, [&b"one"[..], b"one", b"two", b"two"]);
    // An EPB naming an interface of the previous section is an error.
    let mut bad = file.clone();
    bad.extend(epb(false, 1, 0, &eth));
    let (frames, err) = all_frames(&bad);
    assert_eq!(frames.len(), 4);
    let err = err.unwrap();
    assert_eq!(
        (err.field, err.kind),
        ("interface_id", ErrorKind::InvalidValue)
    );
    assert_eq!(err.record, 10);
}

#[test]
fn tsresol_conversions() {
    assert_eq!(ts_to_nanos(5, 6, 0), 5_000);
    assert_eq!(ts_to_nanos(5, 9, 0), 5);
    assert_eq!(ts_to_nanos(5_000, 12, 0), 5);
    assert_eq!(ts_to_nanos(1 << 20, 0x80 | 20, 0), 1_000_000_000);
    assert_eq!(ts_to_nanos(u64::MAX, 0, 0), u64::MAX);
    assert_eq!(ts_to_nanos(u64::MAX, 0x7F, 0), 0);
    assert_eq!(ts_to_nanos(u64::MAX, 0xFF, 0), 0);
    assert_eq!(ts_to_nanos(1, 0, 10), 11_000_000_000);
    assert_eq!(ts_to_nanos(1, 0, -10), 0);
}

#[test]
fn truncated_files_keep_earlier_frames() {
    let client = v4([10, 0, 0, 1], 50000);
    let server = v4([10, 0, 0, 2], 3306);
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.write_handshake(1, client, server).unwrap();
    w.write_tcp_payload(2, client, server, Direction::ServerToClient, b"greeting")
        .unwrap();
    let file = w.into_inner().unwrap();
    let cut = &file[..file.len() - 10];
    let (frames, err) = all_frames(cut);
    assert_eq!(frames.len(), 3);
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorKind::Truncated);
    assert_eq!(err.field, "block_total_length");
    let msg = err.to_string();
    assert!(
        msg.contains("record 5") && msg.contains("truncated"),
        "{msg}"
    );

    let f = eth_frame(client, server, 1, TcpFlags::ACK, b"abc");
    let pcap = classic(false, false, LINKTYPE_ETHERNET, &[(1, f.clone()), (2, f)]);
    let (frames, err) = all_frames(&pcap[..pcap.len() - 1]);
    assert_eq!(frames.len(), 1);
    assert_eq!(err.unwrap().field, "packet_data");
    let (frames, err) = all_frames(&pcap[..24 + 16 + 60 + 7]);
    assert_eq!(frames.len(), 1);
    assert_eq!(err.unwrap().field, "record_header");

    // Every prefix of both files: no panic, never more frames than the whole file.
    for file in [&file, &pcap] {
        for n in 0..file.len() {
            if let Ok(r) = CaptureReader::new(&file[..n]) {
                assert!(r.count() <= 6);
            }
        }
    }
    assert_eq!(CaptureReader::new(b"\xd4\xc3").unwrap_err().field, "magic");
    assert_eq!(
        CaptureReader::new(b"garbage!").unwrap_err().kind,
        ErrorKind::InvalidValue
    );
}

#[test]
fn huge_declared_lengths_do_not_allocate() {
    // A pcapng block that claims (almost) 4 GiB.
    let mut file = shb(false);
    file.extend_from_slice(&BLOCK_EPB.to_le_bytes());
    file.extend_from_slice(&0xFFFF_FFFCu32.to_le_bytes());
    file.extend_from_slice(&[0; 32]);
    let (frames, err) = all_frames(&file);
    assert!(frames.is_empty());
    let err = err.unwrap();
    assert_eq!(
        (err.field, err.kind, err.offset),
        ("block_total_length", ErrorKind::TooLarge, 28)
    );
    // An EPB whose captured length exceeds its block.
    let mut file = shb(false);
    file.extend(idb(false, 1, None));
    let mut e = epb(false, 0, 0, &[0; 8]);
    e[20..24].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    file.extend(e);
    let err = all_frames(&file).1.unwrap();
    assert_eq!(
        (err.field, err.kind),
        ("captured_len", ErrorKind::Truncated)
    );
    // A classic record that claims 4 GiB.
    let mut pcap = classic(true, false, 1, &[]);
    pcap.extend_from_slice(&[
        0, 0, 0, 1, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let err = all_frames(&pcap).1.unwrap();
    assert_eq!((err.field, err.kind), ("incl_len", ErrorKind::TooLarge));
    // An IDB option whose length runs past the block.
    let mut body = 1u16.to_le_bytes().to_vec();
    body.extend_from_slice(&[0; 6]);
    body.extend_from_slice(&[9, 0, 0xFF, 0xFF]);
    let mut file = shb(false);
    file.extend(block(false, BLOCK_IDB, &body));
    assert_eq!(all_frames(&file).1.unwrap().field, "option_length");
    // A block length that is not a multiple of 4, and a mismatched trailer.
    let mut file = shb(false);
    file.extend_from_slice(&[1, 0, 0, 0, 13, 0, 0, 0]);
    assert_eq!(all_frames(&file).1.unwrap().kind, ErrorKind::InvalidValue);
    let mut file = shb(false);
    let mut b = idb(false, 1, None);
    let n = b.len();
    b[n - 4] ^= 4;
    file.extend(b);
    assert_eq!(
        all_frames(&file).1.unwrap().field,
        "block_total_length_trailer"
    );
}

#[test]
fn read_capture_bytes_enforces_limit() {
    let data = [7u8; 100];
    assert_eq!(read_capture_bytes(&data[..], 100).unwrap().len(), 100);
    assert!(read_capture_bytes(&data[..], 99).is_err());
}
