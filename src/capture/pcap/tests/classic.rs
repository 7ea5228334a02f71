//! Classic pcap files, link layers, IPv4 and IPv6 parsing.

use super::*;

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
