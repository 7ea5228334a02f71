//! Truncated and lying captures: earlier frames kept, nothing huge allocated.

use super::*;

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
