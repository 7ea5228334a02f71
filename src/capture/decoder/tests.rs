// Test fixtures: casts of small known values (loop counters) into ports and timestamps.
#![allow(clippy::cast_possible_truncation)]

use super::*;
use crate::capture::offline::tests::{greeting, login, ok, query_and_result};
use crate::capture::pcap::{CaptureReader, PcapngWriter};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The frames of `file`, each fed to `dec`; `each` sees the events of each frame.
fn feed(
    dec: &mut CaptureDecoder,
    file: &[u8],
    mut each: impl FnMut(&CaptureDecoder, &[CaptureEvent]),
) -> Vec<CaptureEvent> {
    let mut all = Vec::new();
    for frame in CaptureReader::new(file).unwrap() {
        let mut out = Vec::new();
        dec.push_frame(&frame.unwrap(), &mut out);
        each(dec, &out);
        all.extend(out);
    }
    all
}

fn kinds(events: &[CaptureEvent], n: usize) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Packet {
                conversation,
                packet,
                ..
            } if *conversation == n => Some(packet.kind),
            _ => None,
        })
        .collect()
}

/// One whole conversation: handshake, login, a query and its result, close.
fn session(w: &mut PcapngWriter<Vec<u8>>, ts: u64, c: SocketAddr, s: SocketAddr) {
    let (q, r) = query_and_result();
    w.write_handshake(ts, c, s).unwrap();
    w.write_tcp_payload(ts, c, s, Direction::ServerToClient, &greeting())
        .unwrap();
    w.write_tcp_payload(ts, c, s, Direction::ClientToServer, &login())
        .unwrap();
    w.write_tcp_payload(ts, c, s, Direction::ServerToClient, &ok(2, 0))
        .unwrap();
    w.write_tcp_payload(ts + 1000, c, s, Direction::ClientToServer, &q)
        .unwrap();
    w.write_tcp_payload(ts + 5000, c, s, Direction::ServerToClient, &r)
        .unwrap();
    w.write_close(ts + 6000, c, s).unwrap();
}

#[test]
fn packets_come_with_their_frame_and_finished_conversations_are_let_go_of() {
    // 2,000 conversations, 20 at a time: each opened before the one 20 earlier closes.
    let s = addr("10.0.0.2:3306");
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    for i in 0..2000u64 {
        let c = SocketAddr::new(addr("10.0.0.1:1").ip(), 20000 + (i % 20) as u16);
        session(&mut w, 1_000_000 * i, c, s);
    }
    let file = w.into_inner().unwrap();
    let mut dec = CaptureDecoder::new(DecoderConfig::default());
    let mut most_live = 0;
    let mut queries_at_once = 0;
    let events = feed(&mut dec, &file, |d, out| {
        most_live = most_live.max(d.live_conversations());
        // The frame that carries a query yields its packet at once.
        queries_at_once += out
            .iter()
            .filter(
                |e| matches!(e, CaptureEvent::Packet { packet, .. } if packet.kind == "COM_QUERY"),
            )
            .count();
    });
    assert_eq!(queries_at_once, 2000);
    assert!(most_live <= 1, "{most_live} conversations held at once");
    let mut out = Vec::new();
    let summary = dec.finish(&mut out);
    assert!(out.is_empty(), "{out:?}");
    assert!(summary.is_clean(), "{summary:?}");
    assert_eq!(summary.conversations, 2000);
    let finished = events
        .iter()
        .filter(|e| matches!(e, CaptureEvent::Finished { end, .. } if !end.damaged))
        .count();
    assert_eq!(finished, 2000);
    let requests: Vec<&RequestRecord> = events
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Request { record, user, .. } => {
                assert_eq!(user, "root");
                Some(record)
            }
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 2000);
    assert!(requests.iter().all(|r| r.latency_us() == 4 && r.rows == 1));
    assert_eq!(
        kinds(&events, 1777),
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
}

#[test]
fn concurrent_conversations_are_held_only_while_open() {
    // 50 conversations open at once, then all closed; then 50 more.
    let s = addr("10.0.0.2:3306");
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    for round in 0..2u64 {
        let clients: Vec<SocketAddr> = (0..50u16)
            .map(|i| SocketAddr::new(addr("10.0.0.1:1").ip(), 30000 + i))
            .collect();
        let ts = round * 1_000_000_000;
        for c in &clients {
            w.write_handshake(ts, *c, s).unwrap();
            w.write_tcp_payload(ts, *c, s, Direction::ServerToClient, &greeting())
                .unwrap();
        }
        for c in &clients {
            w.write_close(ts + 1000, *c, s).unwrap();
        }
    }
    let file = w.into_inner().unwrap();
    let mut dec = CaptureDecoder::new(DecoderConfig::default());
    let mut most_live = 0;
    let events = feed(&mut dec, &file, |d, _| {
        most_live = most_live.max(d.live_conversations());
    });
    assert_eq!(most_live, 50);
    assert_eq!(dec.live_conversations(), 0);
    let started: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Started { conversation, .. } => Some(*conversation),
            _ => None,
        })
        .collect();
    assert_eq!(started, (1..=100).collect::<Vec<_>>());
}

#[test]
fn several_server_ports_other_traffic_and_the_summary() {
    let (q, r) = query_and_result();
    let c = addr("10.0.0.1:40000");
    let s1 = addr("10.0.0.2:3306");
    let s2 = addr("10.0.0.3:3307");
    let ssh = addr("10.0.0.4:22");
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    session(&mut w, 1_000, c, s1);
    // Begun mid-connection on the second port, the server's segment first (the end of an
    // earlier response): the reassembler takes the server for the client, the decoder turns it
    // round.
    w.write_tcp_payload(2_000, s2, c, Direction::ClientToServer, &ok(5, 0))
        .unwrap();
    w.write_tcp_payload(3_000, s2, c, Direction::ServerToClient, &q)
        .unwrap();
    w.write_tcp_payload(4_000, s2, c, Direction::ClientToServer, &r)
        .unwrap();
    for i in 0..5u64 {
        w.write_tcp_payload(
            5_000 + i,
            c,
            ssh,
            Direction::ClientToServer,
            b"SSH-2.0-x\r\n",
        )
        .unwrap();
    }
    let file = w.into_inner().unwrap();

    // Only the first port: the second server's traffic is other traffic.
    let mut dec = CaptureDecoder::new(DecoderConfig::default());
    feed(&mut dec, &file, |_, _| {});
    let summary = dec.finish(&mut Vec::new());
    assert_eq!(summary.conversations, 1);
    assert_eq!(summary.other_segments, 3 + 5);
    assert_eq!(
        summary.other_ports.into_iter().collect::<Vec<_>>(),
        [(22, 5), (3307, 3)]
    );

    let mut dec = CaptureDecoder::new(DecoderConfig {
        server_ports: vec![3306, 3307],
        ..DecoderConfig::default()
    });
    let mut events = feed(&mut dec, &file, |_, _| {});
    let summary = dec.finish(&mut events);
    assert_eq!(summary.conversations, 2);
    assert_eq!(summary.started_mid_stream, 1);
    assert_eq!(summary.other_segments, 5);
    assert!(!summary.is_clean());
    let second = events.iter().find_map(|e| match e {
        CaptureEvent::Started {
            conversation: 2,
            start,
        } => Some(start.clone()),
        _ => None,
    });
    assert_eq!(
        second,
        Some(ConversationStart {
            client: c,
            server: s2,
            started_mid_stream: true,
        })
    );
    assert_eq!(
        kinds(&events, 2),
        ["COM_QUERY", "ColumnCount", "ColumnDefinition", "Row", "OK"]
    );
    let notes: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Note {
                conversation: 2,
                note,
            } => Some(note.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        ["capture started mid-connection: decoding from the next command on"]
    );
}
