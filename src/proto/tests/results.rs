//! The command phase: result sets, multi-results, errors, rows whole and chunked,
//! continuations, draining.

use super::*;

// ---- command phase ----------------------------------------------------------------------

#[test]
fn query_text_result_set() {
    for deprecate_eof in [true, false] {
        let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            let (rs, _) = result_set(
                1,
                deprecate_eof,
                &["a", "b"],
                &sample_rows(),
                StatusFlags::AUTOCOMMIT,
            );
            s.extend(rs);
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, deprecate_eof);
            let mut log = Vec::new();
            e.start_query("SELECT a, b FROM t").unwrap();
            w.drive(&mut e, |e| e.head_step()).unwrap();
            assert!(e.in_rows());
            log.push(cols(&e));
            read_rows(&mut w, &mut e, &mut log);
            assert!(e.is_idle() && w.all_read());
            // Reading on after the end: still the end.
            assert!(!w.drive(&mut e, |e| e.row_step()).unwrap());
            (log, w.tx)
        });
        assert_eq!(
            log,
            [
                "columns a,b",
                "row 1/Some(1),x/None",
                "row NULL,-5/Some(-5)",
                "row 42/Some(42),/None",
                "end status=0x0002",
            ],
            "deprecate_eof={deprecate_eof}"
        );
        let mut q = vec![COM_QUERY];
        q.extend_from_slice(b"SELECT a, b FROM t");
        assert_eq!(packets(&tx), [(0, q)]);
    }
}

#[test]
fn multi_results() {
    let more = StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS;
    for deprecate_eof in [true, false] {
        let (log, _) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            let (rs, seq) =
                result_set(1, deprecate_eof, &["a"], &[vec![Some(b"1".to_vec())]], more);
            s.extend(rs);
            s.extend(ok(seq, more, 7));
            let (rs, _) = result_set(
                seq.wrapping_add(1),
                deprecate_eof,
                &["b", "c"],
                &[vec![Some(b"2".to_vec()), None]],
                StatusFlags::AUTOCOMMIT,
            );
            s.extend(rs);
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, deprecate_eof);
            let mut log = Vec::new();
            e.start_query("SELECT 1; UPDATE t SET x = 1; SELECT 2, NULL")
                .unwrap();
            let id = e.completed();
            loop {
                w.drive(&mut e, |e| e.head_step()).unwrap();
                if e.in_rows() {
                    log.push(cols(&e));
                    read_rows(&mut w, &mut e, &mut log);
                } else {
                    log.push(format!("ok affected={}", e.last_ok().affected_rows));
                }
                if !e.at_next_result() {
                    break;
                }
            }
            assert_eq!(e.completed(), id + 1, "one response");
            assert!(e.is_idle() && w.all_read());
            (log, w.tx)
        });
        assert_eq!(
            log,
            [
                "columns a",
                "row 1/Some(1)",
                "end status=0x000a",
                "ok affected=7",
                "columns b,c",
                "row 2/Some(2),NULL",
                "end status=0x0002",
            ]
        );
    }
}

#[test]
fn query_error_then_ping() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        s.extend(err(1, 1146, "Table 'test.nope' doesn't exist"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT * FROM nope").unwrap();
        let r = w.drive(&mut e, |e| e.head_step());
        let msg = match r {
            Err(Error::Server(ref se)) => format!("{} {} {}", se.code, se.sql_state, se.message),
            ref other => panic!("expected a server error, got {other:?}"),
        };
        assert!(e.is_idle() && !e.is_broken());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        assert!(e.is_idle() && w.all_read());
        (vec![msg], w.tx)
    });
    assert_eq!(log, ["1146 42S02 Table 'test.nope' doesn't exist"]);
    assert_eq!(packets(&tx)[1], (0, vec![COM_PING]));
}

#[test]
fn many_rows_batch_and_byte_at_a_time() {
    let rows: Vec<Vec<Option<Vec<u8>>>> = (0..1000u32)
        .map(|i| {
            vec![
                Some(i.to_string().into_bytes()),
                (i % 7 != 0).then(|| {
                    format!(
                        "value-{i}-{}",
                        "z".repeat(usize::try_from(i % 300).unwrap())
                    )
                    .into_bytes()
                }),
                Some(Vec::new()),
            ]
        })
        .collect();
    let (log, _) = same_for_all_chunks(&[usize::MAX, 1, 7, 4096], |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(1, true, &["i", "v", "e"], &rows, StatusFlags::AUTOCOMMIT);
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT i, v, e FROM big").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        let mut log = Vec::new();
        while w.drive(&mut e, |e| e.row_step()).unwrap() {
            let r = e.row();
            // Zero-copy views agree with the cells.
            assert_eq!(r.bytes_shared(1).as_deref(), r.bytes(1));
            assert_eq!(&r.packet()[..], r.payload());
            log.push(format!(
                "{:?} {:?} {:?} {:?}",
                r.get::<u32>(0).unwrap(),
                r.bytes(1).map(<[u8]>::len),
                r.is_null(1),
                r.bytes(2)
            ));
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log.len(), 1000);
    assert_eq!(log[0], "Some(0) None true Some([])");
    assert_eq!(log[999], "Some(999) Some(109) false Some([])");
}

#[test]
fn payload_over_continuation_chunks() {
    // A row payload of exactly 0xFFFFFF bytes (a full chunk, then an empty one) and one longer
    // than that (two chunks), between ordinary rows.
    let exact = MAX_CHUNK - 4; // lenenc prefix 0xFD + 3 bytes
    let over = MAX_CHUNK + 100;
    let big = |n: usize, b: u8| vec![Some(vec![b; n])];
    let rows = vec![
        vec![Some(b"first".to_vec())],
        big(exact, b'x'),
        vec![Some(b"middle".to_vec())],
        big(over, b'y'),
        vec![Some(b"last".to_vec())],
    ];
    let (mut s, _) = result_set(1, true, &["c"], &rows, StatusFlags::AUTOCOMMIT);
    let mut all = connect_bytes();
    all.append(&mut s);
    let (log, _) = same_for_all_chunks(&[usize::MAX, 65521], |chunk| {
        let mut w = Wire::new(chunk, &all);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT c FROM huge").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        let mut log = Vec::new();
        while w.drive(&mut e, |e| e.row_step()).unwrap() {
            let r = e.row();
            let c = r.bytes(0).unwrap();
            log.push(format!(
                "{} {} {}",
                r.payload().len(),
                c.len(),
                c.first().copied().unwrap_or(0)
            ));
            if c.len() > 100 {
                assert!(c.iter().all(|&b| b == c[0]));
            }
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log,
        [
            "6 5 102".to_string(),
            format!("{MAX_CHUNK} {exact} 120"),
            "7 6 109".to_string(),
            format!("{} {over} 121", over + 9),
            "5 4 108".to_string(),
        ]
    );
    // The exact-chunk row really was sent as a full chunk and an empty one.
    let exact_row = pkt(7, &{
        let mut b = BytesMut::new();
        encode_row(&[Some(&vec![b'x'; exact][..])], &mut b);
        b
    });
    assert_eq!(exact_row.len(), 4 + MAX_CHUNK + 4);
}

#[test]
fn drain_an_abandoned_result() {
    let more = StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS;
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, seq) = result_set(1, false, &["a", "b"], &sample_rows(), more);
        s.extend(rs);
        // The abandoned statement's second result fails: nobody waits for that error.
        s.extend(err(seq, 1054, "Unknown column"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        // A second query, left after its head, drained by its own id.
        let (rs, _) = result_set(
            1,
            false,
            &["a", "b"],
            &sample_rows(),
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, false);
        e.start_query("SELECT a, b FROM t; SELECT nope").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        assert!(w.drive(&mut e, |e| e.row_step()).unwrap());
        // A command may not start while the response is unread …
        assert!(matches!(
            e.start_simple(Command::Ping),
            Err(Error::Usage(_))
        ));
        // … so the driver drains it first.
        w.drive(&mut e, |e| e.drain_step(None)).unwrap();
        assert!(e.is_idle() && !e.is_broken());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        e.start_query("SELECT a, b FROM t").unwrap();
        let id = e.completed();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        w.drive(&mut e, |e| e.drain_step(Some(id))).unwrap();
        assert!(e.completed() != id && e.is_idle() && w.all_read());
        (vec![format!("completed {}", e.completed())], w.tx)
    });
    assert_eq!(log, ["completed 3"]);
    assert_eq!(packets(&tx).len(), 3);
}

/// A prepare whose response nobody read (its future dropped, say) is drained by the next
/// command, and the statement it made is closed, so it does not stay allocated on the server.
#[test]
fn an_abandoned_prepare_is_closed_by_the_drain() {
    use crate::codec::stmt::PrepareOk;
    for deprecate_eof in [true, false] {
        let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            let mut b = BytesMut::new();
            PrepareOk {
                statement_id: 7,
                num_columns: 1,
                num_params: 1,
                warning_count: Some(0),
                metadata: None,
            }
            .encode(&mut b);
            s.extend(pkt(1, &b));
            s.extend(coldef(2, "?"));
            let mut seq = 3;
            if !deprecate_eof {
                s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
                seq += 1;
            }
            s.extend(coldef(seq, "a"));
            seq += 1;
            if !deprecate_eof {
                s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
            }
            s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, deprecate_eof);
            e.start_prepare("SELECT ?").unwrap();
            w.take_tx(&mut e);
            // The caller walks away; the next command drains first.
            w.drive(&mut e, |e| e.drain_step(None)).unwrap();
            e.start_simple(Command::Ping).unwrap();
            w.take_tx(&mut e);
            w.drive(&mut e, |e| e.simple_step()).unwrap();
            assert!(e.is_idle() && w.all_read());
            (vec![format!("idle {}", e.is_idle())], w.tx)
        });
        assert_eq!(log, ["idle true"]);
        let p = packets(&tx);
        assert_eq!(p.len(), 3, "prepare, close, ping: {p:?}");
        assert_eq!(p[0].1[0], 0x16);
        assert_eq!(
            p[1],
            (0, vec![0x19, 7, 0, 0, 0]),
            "COM_STMT_CLOSE of statement 7"
        );
        assert_eq!(p[2], (0, vec![0x0e]));
    }
}

/// A tracer that sees nothing: with one installed, every packet takes the engine's ordinary
/// path ([`Engine::poll_frame`]), not the in-place reading of a batch.
struct Quiet;

impl crate::trace::Tracer for Quiet {
    fn packet(&mut self, _event: &crate::trace::PacketEvent<'_>) {}
}

#[test]
fn what_ends_rows_in_a_batch_reads_as_on_the_ordinary_path() {
    // After two rows that arrived in one read with what follows them (read in place): the end
    // of rows, an ERR, an end of rows out of sequence, an empty packet. Each must give the same
    // events and errors as with a tracer (every packet a frame of its own) and as delivered
    // one byte at a time.
    let rows = vec![vec![Some(b"1".to_vec())], vec![Some(b"2".to_vec())]];
    let (rs, seq) = result_set(1, true, &["a"], &rows, StatusFlags::AUTOCOMMIT);
    let end_len = pkt(0, &ok_payload(StatusFlags::AUTOCOMMIT, 0, 0xFE)).len();
    let head = rs[..rs.len() - end_len].to_vec();
    let end = seq - 1;
    let endings: [(&str, Vec<u8>); 4] = [
        ("end", rs[rs.len() - end_len..].to_vec()),
        ("err", err(end, 1317, "Query execution was interrupted")),
        (
            "out of sequence",
            pkt(end + 3, &ok_payload(StatusFlags::AUTOCOMMIT, 0, 0xFE)),
        ),
        ("empty", pkt(end, &[])),
    ];
    for (name, ending) in endings {
        let run = |chunk: usize, traced: bool| {
            let mut s = connect_bytes();
            s.extend_from_slice(&head);
            s.extend_from_slice(&ending);
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, true);
            if traced {
                e.set_tracer(Some(Box::new(Quiet)));
            }
            e.start_query("SELECT a FROM t").unwrap();
            w.drive(&mut e, |e| e.head_step()).unwrap();
            let mut log = Vec::new();
            loop {
                match w.drive(&mut e, |e| e.row_step()) {
                    Ok(true) => log.push(format!("row {:?}", e.row().get::<i64>(0))),
                    Ok(false) => {
                        log.push(format!("end status={:#06x}", e.status().bits()));
                        break;
                    }
                    Err(err) => {
                        log.push(format!("error {err}"));
                        break;
                    }
                }
            }
            log.push(format!(
                "idle={} broken={} completed={}",
                e.is_idle(),
                e.is_broken(),
                e.completed()
            ));
            log
        };
        let fast = run(usize::MAX, false);
        assert_eq!(fast, run(usize::MAX, true), "{name}: in place vs traced");
        assert_eq!(fast, run(1, false), "{name}: in place vs byte at a time");
        assert_eq!(fast[..2], ["row Ok(Some(1))", "row Ok(Some(2))"], "{name}");
        assert_eq!(fast.len(), 4, "{name}: {fast:?}");
        let want = if name == "end" { "end " } else { "error " };
        assert!(fast[2].starts_with(want), "{name}: {fast:?}");
    }
}
