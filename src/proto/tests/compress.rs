//! The compressed protocol in the engine: what goes out (one command per run of compressed
//! packets, compressed sequence ids from 0), what comes in (many packets in one compressed
//! packet, one packet across several, inner sequence ids not checked, compressed ones checked),
//! bytes that arrive behind the connection phase's OK, pipelines, and the tracer's events.

use super::*;
use crate::codec::compress::{peek_compressed_header, Algorithm, Deflater, Inflater};
use crate::trace::{CompressedEvent, PacketEvent, Tracer};

/// Compressed packets from `seq` carrying `plain` (zlib), one per `split` plain bytes.
fn zpackets(seq: u8, plain: &[u8], split: usize) -> Vec<u8> {
    let mut d = Deflater::new(Algorithm::Zlib, 6);
    let mut out = BytesMut::new();
    let mut s = seq;
    for piece in plain.chunks(split.max(1)) {
        s = d.frame(piece, s, &mut out);
    }
    out.to_vec()
}

/// The compressed packets in `tx`: (sequence id, plain bytes).
fn unzip(tx: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut inf = Inflater::new(Algorithm::Zlib);
    let mut out = Vec::new();
    let mut rest = tx;
    while let Some(h) = peek_compressed_header(rest) {
        let body = &rest[7..h.wire_len()];
        let plain = if h.is_compressed() {
            let mut p = vec![0u8; h.uncompressed_len];
            inf.inflate(body, &mut p).unwrap();
            p
        } else {
            body.to_vec()
        };
        out.push((h.seq, plain));
        rest = &rest[h.wire_len()..];
    }
    assert!(rest.is_empty(), "a partial compressed packet was queued");
    out
}

fn zconfig() -> ConnectConfig {
    let mut c = config(true, false);
    c.compress = vec![Algorithm::Zstd, Algorithm::Zlib];
    c
}

/// Connected with zlib (the recorded MariaDB greeting offers CLIENT_COMPRESS only).
fn zconnected(w: &mut Wire) -> Engine {
    let mut e = Engine::connect(MAX_PACKET, zconfig());
    assert_eq!(
        w.drive(&mut e, |e| e.connect_step()).unwrap(),
        ConnectEvent::Connected
    );
    assert_eq!(e.compression(), Some(Algorithm::Zlib));
    let hello = packets(&w.tx);
    let ClientHello::Response(r) = parse_client_hello(&hello[0].1).unwrap() else {
        panic!("no handshake response")
    };
    assert!(r.capabilities.contains(CapabilityFlags::COMPRESS));
    assert!(!r
        .capabilities
        .contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM));
    w.tx.clear();
    e
}

fn query(w: &mut Wire, e: &mut Engine, sql: &str, log: &mut Vec<String>) {
    e.start_query(sql).unwrap();
    match w.drive(e, |e| e.head_step()) {
        Ok(()) if e.in_rows() => {
            log.push(cols(e));
            read_rows(w, e, log);
        }
        Ok(()) => log.push(format!("ok {}", e.last_ok().affected_rows)),
        Err(Error::Server(s)) => log.push(format!("err {}", s.code)),
        Err(other) => log.push(format!("error {other}")),
    }
}

#[test]
fn responses_in_one_or_many_compressed_packets() {
    let rows: Vec<Vec<Option<Vec<u8>>>> = (0..500)
        .map(|i| vec![Some(format!("{i}").into_bytes()), Some(vec![b'v'; i % 70])])
        .collect();
    // A value of 100 KiB: its packet is split over compressed packets of 4 KiB.
    let big = vec![vec![Some(vec![b'B'; 100 << 10]), None]];
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        // The compressed reply arrives in the same read as the OK when delivered whole: the
        // bytes behind the OK are compressed ones (found by the session fuzz target).
        let (r1, _) = result_set(1, true, &["a", "b"], &rows, StatusFlags::AUTOCOMMIT);
        s.extend(zpackets(1, &r1, usize::MAX));
        let (r2, _) = result_set(1, true, &["a", "b"], &big, StatusFlags::AUTOCOMMIT);
        s.extend(zpackets(1, &r2, 4096));
        s.extend(zpackets(1, &ok(1, StatusFlags::AUTOCOMMIT, 7), usize::MAX));
        let mut w = Wire::new(chunk, &s);
        let mut e = zconnected(&mut w);
        let mut log = Vec::new();
        query(&mut w, &mut e, "SELECT many", &mut log);
        query(&mut w, &mut e, "SELECT big", &mut log);
        query(&mut w, &mut e, "DELETE FROM t", &mut log);
        assert!(e.is_idle() && w.all_read());
        let st = e.compression_stats().unwrap();
        log.push(format!(
            "in {} out {}",
            st.packets_received, st.packets_sent
        ));
        (log, w.tx)
    });
    // Columns, 500 rows, the end; columns, the big row, the end; the OK; the counts.
    assert_eq!(log.len(), 1 + 500 + 1 + 3 + 1 + 1);
    assert_eq!(
        log[500],
        format!("row 499/Some(499),{}/None", "v".repeat(499 % 70))
    );
    assert!(log[503].starts_with(&format!("row {}", "B".repeat(100))));
    assert_eq!(log[505], "ok 7");
    assert_eq!(
        log[506],
        format!("in {} out 3", 1 + r2_len().div_ceil(4096) + 1)
    );
    // Each command: one compressed packet, sequence id 0, sent as it is (short).
    let z = unzip(&tx);
    let plain: Vec<(u8, Vec<u8>)> = z.iter().flat_map(|(_, p)| packets(p)).collect();
    assert_eq!(z.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 0, 0]);
    assert_eq!(plain[2], (0, [&[COM_QUERY][..], b"DELETE FROM t"].concat()));
}

fn r2_len() -> usize {
    let big = vec![vec![Some(vec![b'B'; 100 << 10]), None]];
    result_set(1, true, &["a", "b"], &big, StatusFlags::AUTOCOMMIT)
        .0
        .len()
}

#[test]
fn inner_sequence_ids_are_not_checked_compressed_ones_are() {
    // A multi-result response whose second result's inner ids go back to 2 (the server
    // resynchronised its inner counter at a flush), in two compressed packets 1 and 2.
    let (log, _) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let more = StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS;
        let (r1, _) = result_set(1, true, &["a"], &[vec![Some(b"1".to_vec())]], more);
        s.extend(zpackets(1, &r1, usize::MAX));
        let (r2, _) = result_set(
            2,
            true,
            &["b"],
            &[vec![Some(b"2".to_vec())]],
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(zpackets(2, &r2, usize::MAX));
        // The next response's compressed packet says 5 where 1 is due.
        s.extend(zpackets(5, &ok(1, StatusFlags::AUTOCOMMIT, 0), usize::MAX));
        let mut w = Wire::new(chunk, &s);
        let mut e = zconnected(&mut w);
        let mut log = Vec::new();
        e.start_query("SELECT 1; SELECT 2").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        read_rows(&mut w, &mut e, &mut log);
        w.drive(&mut e, |e| e.head_step()).unwrap();
        log.push(cols(&e));
        read_rows(&mut w, &mut e, &mut log);
        query(&mut w, &mut e, "DO 1", &mut log);
        log.push(format!("broken {}", e.is_broken()));
        (log, w.tx)
    });
    assert_eq!(
        log,
        [
            "row 1/Some(1)",
            "end status=0x000a",
            "columns b",
            "row 2/Some(2)",
            "end status=0x0002",
            "error protocol error: compressed packet: field `sequence_id`: sequence id mismatch",
            "broken true",
        ]
    );
}

#[test]
fn pipelined_commands_each_start_at_compressed_sequence_id_0() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        for i in 0..3 {
            s.extend(zpackets(1, &ok(1, StatusFlags::AUTOCOMMIT, i), usize::MAX));
        }
        let mut w = Wire::new(chunk, &s);
        let mut e = zconnected(&mut w);
        e.queue_pipeline(["DO 0", "DO 1", "DO 2"]).unwrap();
        assert!(e.top_up());
        w.take_tx(&mut e);
        let mut log = Vec::new();
        for _ in 0..3 {
            w.drive(&mut e, |e| e.head_step()).unwrap();
            log.push(format!("ok {}", e.last_ok().affected_rows));
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log, ["ok 0", "ok 1", "ok 2"]);
    let z = unzip(&tx);
    assert_eq!(z.len(), 3);
    for (i, (seq, plain)) in z.iter().enumerate() {
        assert_eq!(*seq, 0);
        assert_eq!(packets(plain), [(0, format!("\x03DO {i}").into_bytes())]);
    }
}

/// Records the order of the tracer's events.
struct Order(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Tracer for Order {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        let mut v = self.0.lock().unwrap();
        v.push(format!(
            "{} #{} {}B",
            ev.direction.arrow(),
            ev.seq,
            ev.payload.len()
        ));
    }
    fn compressed(&mut self, ev: &CompressedEvent<'_>) {
        let mut v = self.0.lock().unwrap();
        assert_eq!(ev.wire.len(), ev.compressed_len + 7);
        v.push(format!(
            "{} z#{} {}B->{}B",
            ev.direction.arrow(),
            ev.seq,
            ev.compressed_len,
            ev.uncompressed_len
        ));
    }
}

#[test]
fn the_tracer_sees_each_compressed_packet_before_what_it_carries() {
    let mut s = connect_bytes();
    let rows: Vec<Vec<Option<Vec<u8>>>> = (0..3).map(|_| vec![Some(vec![b'x'; 100])]).collect();
    let (r, _) = result_set(1, true, &["a"], &rows, StatusFlags::AUTOCOMMIT);
    let z = zpackets(1, &r, usize::MAX);
    let clen = peek_compressed_header(&z).unwrap().compressed_len;
    s.extend(z);
    let mut w = Wire::new(usize::MAX, &s);
    let mut e = zconnected(&mut w);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    e.set_tracer(Some(Box::new(Order(seen.clone()))));
    let mut log = Vec::new();
    query(&mut w, &mut e, "SELECT x", &mut log);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "C->S z#0 13B->0B".to_string(),
            "C->S #0 9B".into(),
            format!("S->C z#1 {clen}B->{}B", r.len()),
            "S->C #1 1B".into(),
            format!("S->C #2 {}B", coldef(0, "a").len() - 4),
            "S->C #3 101B".into(),
            "S->C #4 101B".into(),
            "S->C #5 101B".into(),
            "S->C #6 7B".into(),
        ]
    );
}
