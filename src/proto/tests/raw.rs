//! Raw exchanges: refused outside one, followed inside.

use super::*;

#[test]
fn raw_calls_only_inside_a_raw_exchange() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(
            1,
            true,
            &["a", "b"],
            &sample_rows(),
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs.clone());
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        let usage = |r: Result<(), Error>| matches!(r, Err(Error::Usage(_)));
        let mut log = Vec::new();
        // Idle: refused, nothing queued.
        assert!(usage(e.raw_frame_step().map(|_| ())));
        assert!(usage(e.raw_packet(b"\x03DO 1")));
        assert!(usage(e.start_raw(&[])));
        assert!(!e.wants_write() && e.is_idle());
        // While a result the engine reads is unread: refused, and the rows are untouched.
        e.start_query("SELECT a, b FROM t").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        w.take_tx(&mut e);
        assert!(usage(e.raw_frame_step().map(|_| ())));
        assert!(usage(e.raw_packet(b"\x03DO 1")));
        assert!(!e.wants_write());
        read_rows(&mut w, &mut e, &mut log);
        // A raw COM_PING: the server's OK ends the exchange by itself.
        e.start_raw(&[COM_PING]).unwrap();
        assert!(e.in_raw());
        assert!(usage(e.raw_packet(b"x")), "the server is still to answer");
        let f = w.drive(&mut e, |e| e.raw_frame_step()).unwrap();
        log.push(format!("raw seq={} {:?}", f.seq, &f.payload[..]));
        assert!(!e.in_raw() && e.is_idle());
        assert!(usage(e.raw_frame_step().map(|_| ())));
        // A raw query read halfway, then drained like any abandoned response.
        let mut q = vec![COM_QUERY];
        q.extend_from_slice(b"SELECT a, b FROM t");
        e.start_raw(&q).unwrap();
        let f = w.drive(&mut e, |e| e.raw_frame_step()).unwrap();
        log.push(format!("raw seq={} {:?}", f.seq, &f.payload[..]));
        w.drive(&mut e, |e| e.drain_step(None)).unwrap();
        assert!(!e.in_raw() && e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log[4..],
        ["raw seq=1 [0, 0, 0, 2, 0, 0, 0]", "raw seq=1 [2]"]
    );
    assert_eq!(packets(&tx).len(), 3);
}
