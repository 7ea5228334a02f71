//! The offline decoder's tests: synthesized captures (uncompressed and compressed).

use super::*;
use crate::capture::pcap::PcapngWriter;
use crate::codec::flags::{CapabilityFlags, ColumnFlags, ColumnType, MariaDbCapabilities};
use crate::codec::frame::PacketCodec;
use crate::codec::handshake::{
    encode_handshake, encode_handshake_response, encode_ssl_request, Handshake, HandshakeResponse,
};
use crate::codec::response::{encode_ok, OkPacket};
use crate::codec::resultset::{encode_row, ColumnFields};
use crate::codec::StatusFlags;
use bytes::BytesMut;

const CAPS: CapabilityFlags = CapabilityFlags(0x01ae_a205 | (1 << 24) | (1 << 23));

fn framed(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut c = PacketCodec::default();
    c.set_seq(seq);
    let mut b = BytesMut::new();
    c.encode_parts(&[payload], &mut b);
    b.to_vec()
}

pub(crate) fn greeting() -> Vec<u8> {
    greeting_with(CapabilityFlags(0x81fff7fe))
}

fn greeting_with(capabilities: CapabilityFlags) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_handshake(
        &Handshake {
            protocol_version: 10,
            server_version: "5.5.5-10.11.19-MariaDB".into(),
            connection_id: 7,
            nonce: vec![b'n'; 20],
            capabilities,
            charset: 45,
            status: StatusFlags::AUTOCOMMIT,
            mariadb_capabilities: MariaDbCapabilities(0x1d),
            auth_plugin: Some("mysql_native_password".into()),
        },
        &mut b,
    );
    framed(0, &b)
}

pub(crate) fn login() -> Vec<u8> {
    login_with(CAPS, None)
}

fn login_with(capabilities: CapabilityFlags, zstd_level: Option<u8>) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_handshake_response(
        &HandshakeResponse {
            capabilities,
            zstd_level,
            max_packet_size: 1 << 24,
            charset: 45,
            user: b"root".to_vec(),
            auth_response: vec![0xAA; 20],
            auth_plugin: Some(b"mysql_native_password".to_vec()),
            ..Default::default()
        },
        &mut b,
    );
    framed(1, &b)
}

pub(crate) fn ok(seq: u8, header: u8) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_ok(
        &OkPacket {
            status: StatusFlags::AUTOCOMMIT,
            ..Default::default()
        },
        header,
        CAPS,
        &mut b,
    );
    framed(seq, &b)
}

pub(crate) fn query_and_result() -> (Vec<u8>, Vec<u8>) {
    let q = framed(0, b"\x03SELECT 1 AS a");
    let mut r = framed(1, &[1]);
    let mut col = BytesMut::new();
    ColumnFields {
        catalog: b"def",
        schema: b"",
        table: b"",
        org_table: b"",
        name: b"a",
        org_name: b"",
        extended_metadata: None,
        charset: 63,
        column_length: 1,
        column_type: ColumnType::LONG,
        flags: ColumnFlags::NOT_NULL,
        decimals: 0,
    }
    .encode(&mut col);
    r.extend(framed(2, &col));
    let mut row = BytesMut::new();
    encode_row(&[Some(b"1")], &mut row);
    r.extend(framed(3, &row));
    r.extend(ok(4, 0xFE));
    (q, r)
}

fn capture(parts: &[(Direction, Vec<u8>)], handshake: bool) -> Vec<u8> {
    let c: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let s: SocketAddr = "10.0.0.2:3306".parse().unwrap();
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    if handshake {
        w.write_handshake(1, c, s).unwrap();
    }
    for (i, (dir, bytes)) in parts.iter().enumerate() {
        // Split each message in two segments to exercise reassembly.
        let (a, b) = bytes.split_at(bytes.len() / 2);
        w.write_tcp_payload(10 + i as u64, c, s, *dir, a).unwrap();
        w.write_tcp_payload(10 + i as u64, c, s, *dir, b).unwrap();
    }
    w.into_inner().unwrap()
}

/// A capture begun mid-connection, each message in one segment.
fn capture_unsplit(parts: &[(Direction, Vec<u8>)]) -> Vec<u8> {
    let c: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let s: SocketAddr = "10.0.0.2:3306".parse().unwrap();
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    for (i, (dir, bytes)) in parts.iter().enumerate() {
        w.write_tcp_payload(10 + i as u64, c, s, *dir, bytes)
            .unwrap();
    }
    w.into_inner().unwrap()
}

fn kinds(d: &DecodedConversation) -> Vec<&'static str> {
    d.packets.iter().map(|p| p.kind).collect()
}

#[test]
fn whole_conversation_decodes_with_redaction() {
    let (q, r) = query_and_result();
    let cap = capture(
        &[
            (Direction::ServerToClient, greeting()),
            (Direction::ClientToServer, login()),
            (Direction::ServerToClient, ok(2, 0)),
            (Direction::ClientToServer, q),
            (Direction::ServerToClient, r),
        ],
        true,
    );
    let out = decode_capture(&cap, 3306, true).unwrap();
    assert_eq!(out.conversations.len(), 1);
    let c = &out.conversations[0];
    assert!(!c.started_mid_stream && !c.damaged, "{:?}", c.notes);
    assert_eq!(
        kinds(c),
        [
            "Greeting",
            "HandshakeResponse",
            "OK",
            "COM_QUERY",
            "ColumnCount",
            "ColumnDefinition",
            "Row",
            "OK"
        ]
    );
    assert_eq!(
        c.packets[1].field("auth_response"),
        Some(&crate::trace::decode::Value::Redacted(20))
    );
}

#[test]
fn mid_stream_capture_syncs_at_next_command() {
    let (q, r) = query_and_result();
    let junk_tail = r[3..].to_vec(); // the end of some earlier response
    let cap = capture(
        &[
            (Direction::ServerToClient, junk_tail),
            (Direction::ClientToServer, q),
            (Direction::ServerToClient, r),
        ],
        false,
    );
    let out = decode_capture(&cap, 3306, true).unwrap();
    let c = &out.conversations[0];
    assert!(c.started_mid_stream);
    assert!(c.notes[0].contains("mid-connection"));
    assert_eq!(
        kinds(c),
        ["COM_QUERY", "ColumnCount", "ColumnDefinition", "Row", "OK"]
    );
}

#[test]
fn tls_after_ssl_request_is_shown_encrypted() {
    let mut ssl = BytesMut::new();
    encode_ssl_request(CAPS, 1 << 24, 45, MariaDbCapabilities::empty(), &mut ssl);
    let cap = capture(
        &[
            (Direction::ServerToClient, greeting()),
            (Direction::ClientToServer, framed(1, &ssl)),
            (
                Direction::ClientToServer,
                vec![0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5],
            ),
            (Direction::ServerToClient, vec![0x16, 3, 3, 0, 2, 9, 9]),
        ],
        true,
    );
    let out = decode_capture(&cap, 3306, true).unwrap();
    let c = &out.conversations[0];
    assert_eq!(kinds(c), ["Greeting", "SSLRequest"]);
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("TLS") && n.contains("10 bytes")));
}

#[test]
fn damaged_file_still_yields_what_was_read() {
    let (q, r) = query_and_result();
    let mut cap = capture(
        &[
            (Direction::ServerToClient, greeting()),
            (Direction::ClientToServer, login()),
            (Direction::ServerToClient, ok(2, 0)),
            (Direction::ClientToServer, q),
            (Direction::ServerToClient, r),
        ],
        true,
    );
    cap.truncate(cap.len() - 30);
    let out = decode_capture(&cap, 3306, true).unwrap();
    assert!(out.error.is_some());
    assert!(kinds(&out.conversations[0]).starts_with(&["Greeting", "HandshakeResponse"]));
}

// The compressed protocol.

use crate::codec::compress::{Algorithm, Deflater};

/// `plain` as compressed packets of `algorithm` from compressed sequence id `seq` on.
fn zipped(algorithm: Algorithm, plain: &[u8], seq: u8) -> Vec<u8> {
    let mut out = BytesMut::new();
    Deflater::new(algorithm, 6).frame(plain, seq, &mut out);
    out.to_vec()
}

/// One compressed packet with the header given (a liar's, perhaps) around `payload`.
fn zpacket(seq: u8, uncompressed_len: usize, payload: &[u8]) -> Vec<u8> {
    let n = payload.len().to_le_bytes();
    let u = uncompressed_len.to_le_bytes();
    let mut out = vec![n[0], n[1], n[2], seq, u[0], u[1], u[2]];
    out.extend_from_slice(payload);
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A result whose row is `big` bytes of one cell (several MySQL packets in each compressed one).
fn big_result(big: usize) -> Vec<u8> {
    let mut r = framed(1, &[1]);
    let mut col = BytesMut::new();
    ColumnFields {
        catalog: b"def",
        schema: b"",
        table: b"",
        org_table: b"",
        name: b"big",
        org_name: b"",
        extended_metadata: None,
        charset: 33,
        column_length: 1 << 24,
        column_type: ColumnType::BLOB,
        flags: ColumnFlags::empty(),
        decimals: 0,
    }
    .encode(&mut col);
    r.extend(framed(2, &col));
    let cell = vec![b'z'; big];
    let mut row = BytesMut::new();
    encode_row(&[Some(&cell)], &mut row);
    r.extend(framed(3, &row));
    r.extend(ok(4, 0xFE));
    r
}

/// A compressed session: handshake (plain), a query and its result (compressed: the result's
/// packets in one compressed packet but the row, which is split over two), then a ping.
fn compressed_session(algorithm: Algorithm) -> Vec<(Direction, Vec<u8>)> {
    let flag = crate::proto::compression_flag(algorithm);
    let level = (algorithm == Algorithm::Zstd).then_some(3);
    let (q, r) = query_and_result();
    let result = big_result(40_000);
    let (head, row) = result.split_at(result.len() - 20_000);
    vec![
        (
            Direction::ServerToClient,
            greeting_with(CapabilityFlags(0x81fff7fe) | flag),
        ),
        (Direction::ClientToServer, login_with(CAPS | flag, level)),
        (Direction::ServerToClient, ok(2, 0)),
        (Direction::ClientToServer, zipped(algorithm, &q, 0)),
        (Direction::ServerToClient, zipped(algorithm, &r, 1)),
        (
            Direction::ClientToServer,
            zipped(
                algorithm,
                &framed(0, b"\x03SELECT REPEAT('z', 40000) AS big"),
                0,
            ),
        ),
        (Direction::ServerToClient, zipped(algorithm, head, 1)),
        (Direction::ServerToClient, zipped(algorithm, row, 2)),
        (
            Direction::ClientToServer,
            zipped(algorithm, &framed(0, &[0x0e]), 0),
        ),
        (Direction::ServerToClient, zipped(algorithm, &ok(1, 0), 1)),
    ]
}

fn lines(c: &DecodedConversation) -> Vec<String> {
    c.packets
        .iter()
        .map(|d| {
            let t = crate::trace::format::to_text(d, false);
            t.chars()
                .take(60)
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn compressed_conversations_decode_zlib_and_zstd() {
    for a in [Algorithm::Zlib, Algorithm::Zstd] {
        let cap = capture(&compressed_session(a), true);
        let out = decode_capture(&cap, 3306, true).unwrap();
        let c = &out.conversations[0];
        assert!(!c.damaged, "{a}: {:?}", c.notes);
        assert!(c.compressed && c.compression == Some(a));
        assert!(c.notes[0].contains(&format!("compressed protocol ({a})")));
        let got = lines(c);
        let kinds: Vec<_> = c.packets.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                "Greeting",
                "HandshakeResponse",
                "OK",
                "Compressed",
                "COM_QUERY",
                "Compressed",
                "ColumnCount",
                "ColumnDefinition",
                "Row",
                "OK",
                "Compressed",
                "COM_QUERY",
                "Compressed",
                "ColumnCount",
                "ColumnDefinition",
                "Compressed",
                "Row",
                "OK",
                "Compressed",
                "COM_PING",
                "Compressed",
                "OK"
            ],
            "{a}: {got:#?}"
        );
        // Short packets go as they are; the long ones compressed, with both lengths shown.
        assert_eq!(got[3], "C->S z#0       18B sent as is", "{a}");
        assert!(got[12].starts_with("S->C z#1") && got[12].ends_with("compressed"));
        assert!(got[15].starts_with("S->C z#2") && got[15].contains("-> 20000B"));
        assert!(
            got[16].starts_with("S->C #3     40003B command   Row"),
            "{}",
            got[16]
        );
        assert_eq!(c.packets[16].field("values").map(|_| ()), Some(()));
    }
}

#[test]
fn compressed_streams_decode_without_a_capture() {
    let parts = compressed_session(Algorithm::Zlib);
    let all = decode_streams(parts.iter().map(|(d, b)| (*d, b.as_slice())), true);
    assert_eq!(all.iter().filter(|d| d.is_compressed_packet()).count(), 7);
    let (p, notes) = decode_compressed_streams(
        parts[3..].iter().map(|(d, b)| (*d, b.as_slice())),
        Algorithm::Zlib,
        Limits::default(),
        true,
    );
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(p.len(), all.len() - 3);
    assert_eq!(p.last().map(|d| d.kind), Some("OK"));
}

/// A damaged compressed conversation: noted, decoding resynchronises at the next command, and
/// the next conversation of the capture is decoded as usual.
fn damaged_case(bad: Vec<u8>, want: &str) {
    let mut parts = compressed_session(Algorithm::Zlib);
    parts.insert(5, (Direction::ServerToClient, bad));
    let c = &decode_capture(&capture(&parts, true), 3306, true)
        .unwrap()
        .conversations[0];
    assert!(c.damaged, "{want}: {:?} {:#?}", c.notes, lines(c));
    let note = c.notes.iter().find(|n| n.contains("resynchronising"));
    assert!(
        note.is_some_and(|n| n.contains(want)),
        "{want}: {:?}",
        c.notes
    );
    // Resynchronised at the next command (the big query), decoded to the end.
    assert_eq!(c.packets.last().map(|d| d.kind), Some("OK"), "{want}");
    assert!(c.packets.iter().any(|d| d.kind == "COM_PING"), "{want}");
}

#[test]
fn damaged_compressed_packets_are_typed_errors() {
    // A bomb: announces 100 bytes, inflates to a megabyte.
    damaged_case(zpacket(2, 100, &zlib(&vec![0; 1 << 20])), "exceeds");
    // A length lie the other way: announces more than it holds.
    damaged_case(zpacket(2, 5000, &zlib(&[7; 100])), "truncated");
    // Not zlib at all.
    damaged_case(zpacket(2, 100, &[0x55; 40]), "invalid");
    // Over the limit: 16 MiB announced, checked before anything is allocated.
    damaged_case(zpacket(2, 0xFF_FFFF, &zlib(b"x")), "");
}

#[test]
fn damage_does_not_reach_the_next_conversation() {
    let mut parts = compressed_session(Algorithm::Zlib);
    parts.insert(5, (Direction::ServerToClient, zpacket(2, 100, &[0x55; 40])));
    let first = capture(&parts, true);
    // Two conversations: the second on another client port, uncompressed.
    let c: SocketAddr = "10.0.0.1:40001".parse().unwrap();
    let s: SocketAddr = "10.0.0.2:3306".parse().unwrap();
    let mut w = PcapngWriter::new(first).unwrap();
    w.write_handshake(100, c, s).unwrap();
    let (q, r) = query_and_result();
    for (i, (dir, b)) in [
        (Direction::ServerToClient, greeting()),
        (Direction::ClientToServer, login()),
        (Direction::ServerToClient, ok(2, 0)),
        (Direction::ClientToServer, q),
        (Direction::ServerToClient, r),
    ]
    .iter()
    .enumerate()
    {
        w.write_tcp_payload(101 + i as u64, c, s, *dir, b).unwrap();
    }
    // (Written as a second section of the file: pcapng allows several.)
    let cap = w.into_inner().unwrap();
    let out = decode_capture(&cap, 3306, true).unwrap();
    let last = out.conversations.last().unwrap();
    assert!(!last.damaged && !last.compressed, "{:?}", last.notes);
    assert_eq!(last.packets.len(), 8);
}

#[test]
fn truncated_compressed_packet_is_noted() {
    let mut parts = compressed_session(Algorithm::Zlib);
    parts.truncate(7);
    let last = parts.last_mut().unwrap();
    last.1.truncate(last.1.len() - 5);
    let c = &decode_capture(&capture(&parts, true), 3306, true)
        .unwrap()
        .conversations[0];
    assert!(
        c.notes.iter().any(|n| n.contains("incomplete packet")),
        "{:?}",
        c.notes
    );
    // The compressed packet was not all captured: nothing of it is shown.
    assert_eq!(c.packets.last().map(|d| d.kind), Some("COM_QUERY"));
}

#[test]
fn mid_stream_compressed_capture_is_detected() {
    for a in [Algorithm::Zlib, Algorithm::Zstd] {
        let parts = compressed_session(a);
        // From the big query on: its command is compressed, so the algorithm is told at once.
        let mut tail = vec![(Direction::ServerToClient, parts[4].1[5..].to_vec())];
        tail.extend_from_slice(&parts[5..]);
        let c = &decode_capture(&capture(&tail, false), 3306, true)
            .unwrap()
            .conversations[0];
        assert!(
            c.started_mid_stream && c.compressed,
            "{:?} {:#?}",
            c.notes,
            lines(c)
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("compressed protocol") && n.contains("not captured")),
            "{:?}",
            c.notes
        );
        let kinds: Vec<_> = c.packets.iter().map(|p| p.kind).collect();
        assert_eq!(kinds[..2], ["Compressed", "COM_QUERY"], "{a}");
        assert_eq!(kinds.last(), Some(&"OK"));
        assert!(!c.damaged, "{:?}", c.notes);
        // From the ping on: sent as is (algorithm known only from the server's reply, if at
        // all); still detected as compressed. (Each in one segment: a first chunk shorter than
        // a compressed header is taken for what it looks like, a plain command.)
        let c = &decode_capture(&capture_unsplit(&parts[8..]), 3306, true)
            .unwrap()
            .conversations[0];
        assert!(c.compressed, "{:?}", c.notes);
        let kinds: Vec<_> = c.packets.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["Compressed", "COM_PING", "Compressed", "OK"]);
    }
}

#[test]
fn inflated_bytes_are_bounded_per_conversation() {
    let parts = compressed_session(Algorithm::Zstd);
    let cap = capture(&parts, true);
    let limits = Limits {
        max_packet: 1 << 20,
        max_inflated: 30_000,
    };
    let c = &decode_capture_with_limits(&cap, 3306, true, limits)
        .unwrap()
        .conversations[0];
    assert!(c.damaged);
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("more than 30000 bytes inflated")),
        "{:?}",
        c.notes
    );
    // Decoded up to the compressed packet that went past the limit (the big row's head).
    assert_eq!(c.packets.last().map(|d| d.kind), Some("Compressed"));
    assert!(!c.packets.iter().any(|d| d.kind == "COM_PING"));
    // Within the limit, all of it.
    let all = decode_capture_with_limits(
        &cap,
        3306,
        true,
        Limits {
            max_inflated: 1 << 20,
            ..limits
        },
    )
    .unwrap();
    assert!(!all.conversations[0].damaged);
}
