//! Pipelining: responses in order, the in-flight window.

use super::*;

#[test]
fn pipeline_responses_in_order() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(
            1,
            true,
            &["a"],
            &[vec![Some(b"1".to_vec())]],
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs);
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 3));
        s.extend(err(1, 1064, "syntax"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 4));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        let base = e.completed();
        let cursor = e
            .queue_pipeline(["SELECT 1", "DELETE FROM t", "SELEC", "DO 1"])
            .unwrap();
        let n = cursor.len();
        assert_eq!(n, 4);
        assert_eq!(e.completed(), base, "queueing completes nothing");
        assert!(!e.wants_write(), "nothing goes out before top_up");
        assert!(e.top_up());
        w.take_tx(&mut e);
        let mut log = Vec::new();
        for i in 0..n {
            assert_eq!(usize::try_from(e.completed() - base).unwrap(), i);
            e.top_up();
            match w.drive(&mut e, |e| e.head_step()) {
                Ok(()) if e.in_rows() => {
                    log.push(cols(&e));
                    read_rows(&mut w, &mut e, &mut log);
                }
                Ok(()) => log.push(format!("ok {}", e.last_ok().affected_rows)),
                Err(Error::Server(se)) => log.push(format!("err {}", se.code)),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log,
        [
            "columns a",
            "row 1/Some(1)",
            "end status=0x0002",
            "ok 3",
            "err 1064",
            "ok 4"
        ]
    );
    let p = packets(&tx);
    assert_eq!(p.len(), 4);
    assert!(p.iter().all(|(seq, q)| *seq == 0 && q[0] == COM_QUERY));
}

#[test]
fn pipeline_window_tops_up() {
    let n = PIPELINE_WINDOW + 44;
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        for i in 0..n {
            s.extend(ok(1, StatusFlags::AUTOCOMMIT, u64::try_from(i).unwrap()));
        }
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.queue_pipeline((0..n).map(|i| format!("DO {i}"))).unwrap();
        e.top_up();
        w.take_tx(&mut e);
        let mut log = vec![format!("first write {}", packets(&w.tx).len())];
        for i in 0..n {
            if e.top_up() {
                w.take_tx(&mut e);
                log.push(format!("top up at {i}: {} sent", packets(&w.tx).len()));
            }
            w.drive(&mut e, |e| e.head_step()).unwrap();
            assert_eq!(e.last_ok().affected_rows, u64::try_from(i).unwrap());
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log[0], format!("first write {PIPELINE_WINDOW}"));
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(packets(&tx).len(), n);
}

/// A response of exactly 256 packets ends on sequence id 0, so the next pipelined response
/// (which starts at 1) continues the numbering: one run of whole packets in the read buffer
/// can hold the end of the first and the start of the second. Each must still be read as its
/// own response, whole or in chunks, rows batched or not.
#[test]
fn pipelined_responses_whose_sequence_ids_run_on() {
    // column count (1) + one definition (2) + 253 rows (3..=255) + OK (256 = seq 0).
    let rows: Vec<Vec<Option<Vec<u8>>>> = (0..253)
        .map(|i: u32| vec![Some(i.to_string().into_bytes())])
        .collect();
    let (log, _) = same_for_all_chunks(&[1, 7, 4096, usize::MAX], |chunk| {
        let mut s = connect_bytes();
        let (rs, next) = result_set(1, true, &["a"], &rows, StatusFlags::AUTOCOMMIT);
        assert_eq!(next, 1, "the first response ended on sequence id 0");
        s.extend(rs);
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 9));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.queue_pipeline(["SELECT a FROM t", "DO 1"]).unwrap();
        e.top_up();
        w.take_tx(&mut e);
        let mut log = Vec::new();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        let mut n = 0;
        while w.drive(&mut e, |e| e.row_step()).unwrap() {
            assert_eq!(e.row().get::<u32>(0).unwrap(), Some(n));
            n += 1;
        }
        log.push(format!("rows {n}"));
        w.drive(&mut e, |e| e.head_step()).unwrap();
        log.push(format!("ok {}", e.last_ok().affected_rows));
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log, ["rows 253", "ok 9"]);
}
