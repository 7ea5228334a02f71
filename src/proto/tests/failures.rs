//! The broken state and LOCAL INFILE refusal.

use super::*;

#[test]
fn sequence_mismatch_breaks_for_good() {
    same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        s.extend(ok(5, StatusFlags::AUTOCOMMIT, 0)); // expected seq 1
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("DO 1").unwrap();
        w.take_tx(&mut e);
        let sent = w.tx.len();
        let first = w.drive(&mut e, |e| e.head_step()).unwrap_err();
        assert!(matches!(first, Error::Protocol(_)), "{first:?}");
        assert!(e.is_broken());
        let broken = |r: Result<(), Error>| matches!(r, Err(Error::Broken(_)));
        assert!(broken(e.check()));
        assert!(broken(e.start_query("DO 2")));
        assert!(broken(e.start_simple(Command::Ping)));
        assert!(broken(e.start_text(Command::Statistics)));
        assert!(broken(e.start_raw(&[COM_PING])));
        assert!(broken(e.queue_pipeline(["DO 3"]).map(|_| ())));
        assert!(broken(e.raw_packet(b"x")));
        assert!(broken(e.raw_frame_step().map(|_| ())));
        // The read steps say so too, not only the command entry points.
        assert!(broken(e.head_step().map(|_| ())));
        assert!(broken(e.row_step().map(|_| ())));
        assert!(broken(e.simple_step().map(|_| ())));
        assert!(broken(e.text_step().map(|_| ())));
        assert!(broken(e.drain_step(None).map(|_| ())));
        assert!(broken(e.connect_step().map(|_| ())));
        // A later error does not replace the first cause.
        e.mark_broken(&Error::Io(std::io::ErrorKind::BrokenPipe.into()));
        match e.check() {
            Err(Error::Broken(why)) => assert!(why.contains("protocol"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(!e.wants_write());
        assert_eq!(w.tx.len(), sent, "nothing was queued after the error");
        (vec![first.to_string()], w.tx)
    });
}

#[test]
fn local_infile_is_refused() {
    for verdict_ok in [false, true] {
        let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            s.extend(pkt(1, b"\xfb/etc/passwd"));
            // The client's empty packet is seq 2; the server's verdict seq 3.
            if verdict_ok {
                s.extend(ok(3, StatusFlags::AUTOCOMMIT, 0));
            } else {
                s.extend(err(3, 1148, "The used command is not allowed"));
            }
            s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, true);
            e.start_query("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t")
                .unwrap();
            let r = w.drive(&mut e, |e| e.head_step());
            let msg = match r {
                Err(Error::LocalInfileRefused(r)) => {
                    assert_eq!(r.reason, crate::InfileRefusalReason::NotEnabled);
                    r.name
                }
                other => panic!("expected LocalInfileRefused, got {other:?}"),
            };
            assert!(e.is_idle() && !e.is_broken());
            e.start_simple(Command::Ping).unwrap();
            w.drive(&mut e, |e| e.simple_step()).unwrap();
            assert!(w.all_read());
            (vec![msg], w.tx)
        });
        assert_eq!(log, ["/etc/passwd"]);
        let p = packets(&tx);
        assert_eq!(p[1], (2, Vec::new()), "an empty packet, never the file");
        assert_eq!(p[2], (0, vec![COM_PING]));
    }
}

#[test]
fn end_of_stream_mid_packet() {
    for chunk in CHUNKS {
        let mut s = connect_bytes();
        s.extend_from_slice(&ok(1, StatusFlags::AUTOCOMMIT, 0)[..6]);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("DO 1").unwrap();
        assert!(w.pump(&mut e, |e| e.head_step()).unwrap().is_none());
        let err = e.eof_error();
        assert!(err.to_string().contains("middle of a packet"), "{err}");
        assert!(matches!(e.check(), Err(Error::Broken(_))));
    }
}

#[test]
fn server_error_codes_survive_chunking() {
    // A server error in the head and as the end of rows, both non-fatal.
    for chunk in CHUNKS {
        let mut s = connect_bytes();
        s.extend(err(1, 1045, "Access denied"));
        let (mut rs, seq) = result_set(
            1,
            true,
            &["a"],
            &[vec![Some(b"1".to_vec())]],
            StatusFlags::AUTOCOMMIT,
        );
        // Replace the end of rows by an ERR (a statement failing mid-result).
        let end_len = pkt(0, &ok_payload(StatusFlags::AUTOCOMMIT, 0, 0xFE)).len();
        rs.truncate(rs.len() - end_len);
        s.extend(rs);
        s.extend(err(seq - 1, 1317, "Query execution was interrupted"));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT 1").unwrap();
        assert_eq!(server_code(w.drive(&mut e, |e| e.head_step())), 1045);
        e.start_query("SELECT a FROM t").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        assert!(w.drive(&mut e, |e| e.row_step()).unwrap());
        assert_eq!(
            server_code(w.drive(&mut e, |e| e.row_step()).map(|_| ())),
            1317
        );
        assert!(e.is_idle() && !e.is_broken() && w.all_read());
    }
}
