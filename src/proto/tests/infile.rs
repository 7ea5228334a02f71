//! LOAD DATA LOCAL INFILE: a granted transfer framed in packets, and the refusals.

use super::*;
use crate::error::InfileRefusalReason;
use crate::proto::{InfileWant, INFILE_PACKET};

/// An engine that announced CLIENT_LOCAL_FILES (the recorded server offers it).
fn connected_local(w: &mut Wire) -> Engine {
    let mut cfg = config(true, false);
    cfg.capabilities |= CapabilityFlags::LOCAL_FILES;
    let mut e = Engine::connect(MAX_PACKET, cfg);
    let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
    assert_eq!(ev, ConnectEvent::Connected);
    assert!(e.capabilities().contains(CapabilityFlags::LOCAL_FILES));
    w.tx.clear();
    e
}

#[test]
fn a_granted_file_goes_out_in_packets_then_an_empty_one() {
    let data: Vec<u8> = (0..200_000u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    // Given in 70,000-byte chunks, each split at 64 KiB: 5 packets with seq 2..=6, the empty
    // one seq 7, the server's OK seq 8.
    let packets_of_data: usize = data
        .chunks(70_000)
        .map(|c| c.len().div_ceil(INFILE_PACKET))
        .sum();
    assert_eq!(packets_of_data, 5);
    let ok_seq = u8::try_from(2 + packets_of_data + 1).unwrap();
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        s.extend(pkt(1, b"\xfbdata.csv"));
        s.extend(ok(ok_seq, StatusFlags::AUTOCOMMIT, 3));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected_local(&mut w);
        e.start_query("LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t")
            .unwrap();
        let mut log = Vec::new();
        assert!(w.pump(&mut e, |e| e.head_step()).unwrap().is_none());
        assert_eq!(e.infile_wanted(), Some(InfileWant::Open("data.csv")));
        e.infile_data(&[]);
        for piece in data.chunks(70_000) {
            assert_eq!(e.infile_wanted(), Some(InfileWant::Send));
            e.infile_data(piece);
        }
        log.push(format!("sent {}", e.infile_sent()));
        e.infile_end();
        assert_eq!(e.infile_wanted(), None);
        w.drive(&mut e, |e| e.head_step()).unwrap();
        log.push(format!("affected {}", e.last_ok().affected_rows));
        assert!(e.is_idle());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        assert!(w.all_read());
        (log, w.tx)
    });
    assert_eq!(log, ["sent 200000", "affected 3"]);
    let p = packets(&tx);
    // COM_QUERY, the data (70,000-byte chunks split at 64 KiB), the empty packet, COM_PING.
    let data_packets: Vec<&(u8, Vec<u8>)> = p[1..p.len() - 2].iter().collect();
    assert!(data_packets
        .iter()
        .all(|(_, d)| d.len() <= INFILE_PACKET && !d.is_empty()));
    let joined: Vec<u8> = data_packets.iter().flat_map(|(_, d)| d.clone()).collect();
    assert_eq!(joined, data);
    let seqs: Vec<u8> = p[1..p.len() - 1].iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (2..2 + u8::try_from(seqs.len()).unwrap()).collect::<Vec<_>>()
    );
    assert_eq!(p[p.len() - 2].1, Vec::<u8>::new());
    assert_eq!(p[p.len() - 1], (0, vec![COM_PING]));
    assert_eq!(ok_seq, 2 + u8::try_from(seqs.len()).unwrap());
}

/// The server asks for `asked` in answer to `sql`: refused with `reason`, one empty packet.
fn refused(sql: &str, asked: &[u8], local: bool, reason: InfileRefusalReason) {
    same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let mut req = vec![0xFB];
        req.extend_from_slice(asked);
        s.extend(pkt(1, &req));
        s.extend(err(3, 1148, "not allowed"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        let mut w = Wire::new(chunk, &s);
        let mut e = if local {
            connected_local(&mut w)
        } else {
            connected(&mut w, true)
        };
        e.start_query(sql).unwrap();
        match w.drive(&mut e, |e| e.head_step()) {
            Err(Error::LocalInfileRefused(r)) => {
                assert_eq!(r.name.as_bytes(), asked);
                assert_eq!(r.reason, reason);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(e.is_idle() && !e.is_broken());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        let p = packets(&w.tx);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[1], (2, Vec::new()));
        (Vec::new(), w.tx)
    });
}

#[test]
fn a_rogue_request_is_refused() {
    use InfileRefusalReason::*;
    let load = "LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t";
    refused(load, b"/etc/passwd", true, NotInStatement);
    refused("SELECT 1", b"data.csv", true, NotInStatement);
    refused(
        "LOAD DATA INFILE 'data.csv' INTO TABLE t",
        b"data.csv",
        true,
        NotInStatement,
    );
    refused(
        "SELECT 'LOAD DATA LOCAL INFILE ''x'''",
        b"x",
        true,
        NotInStatement,
    );
    refused(load, b"data.csv", false, NotEnabled);
}

#[test]
fn a_file_is_served_once_per_statement() {
    // The second request for the same name (one LOAD statement) is refused.
    let mut s = connect_bytes();
    s.extend(pkt(1, b"\xfba"));
    s.extend(ok(
        4,
        StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS,
        1,
    ));
    s.extend(pkt(5, b"\xfba"));
    s.extend(ok(7, StatusFlags::AUTOCOMMIT, 0));
    let mut w = Wire::new(usize::MAX, &s);
    let mut e = connected_local(&mut w);
    e.start_query("LOAD DATA LOCAL INFILE 'a' INTO TABLE t; SELECT 2")
        .unwrap();
    assert!(w.pump(&mut e, |e| e.head_step()).unwrap().is_none());
    e.infile_data(b"1\n");
    e.infile_end();
    w.drive(&mut e, |e| e.head_step()).unwrap();
    assert!(e.at_next_result());
    match w.drive(&mut e, |e| e.head_step()) {
        Err(Error::LocalInfileRefused(r)) => {
            assert_eq!(r.reason, InfileRefusalReason::NotInStatement)
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_idle() && !e.is_broken());
}

#[test]
fn a_failed_read_refuses_before_data_and_breaks_after() {
    for after_data in [false, true] {
        let mut s = connect_bytes();
        s.extend(pkt(1, b"\xfbf"));
        s.extend(err(3, 1148, "x"));
        let mut w = Wire::new(usize::MAX, &s);
        let mut e = connected_local(&mut w);
        e.start_query("LOAD DATA LOCAL INFILE 'f' INTO TABLE t")
            .unwrap();
        assert!(w.pump(&mut e, |e| e.head_step()).unwrap().is_none());
        e.infile_data(&[]);
        if after_data {
            e.infile_data(b"half");
            let r = e.infile_stop(Some("disk gone".into()));
            let err = r.unwrap_err();
            assert!(err.is_fatal() && e.is_broken(), "{err}");
            assert!(err.to_string().contains("after 4 bytes"), "{err}");
            w.take_tx(&mut e);
            let p = packets(&w.tx);
            assert_eq!(
                p.last().unwrap().1,
                b"half",
                "no empty packet after the data"
            );
        } else {
            e.infile_stop(Some("permission denied".into())).unwrap();
            match w.drive(&mut e, |e| e.head_step()) {
                Err(Error::LocalInfileRefused(r)) => assert!(
                    matches!(&r.reason, InfileRefusalReason::Unreadable(m) if m == "permission denied")
                ),
                other => panic!("{other:?}"),
            }
            assert!(!e.is_broken() && e.is_idle());
        }
    }
}
