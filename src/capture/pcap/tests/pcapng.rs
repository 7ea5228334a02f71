//! pcapng sections, interfaces, blocks and timestamp resolutions.

use super::*;

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
