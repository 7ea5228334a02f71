//! Prepared statements in the engine with MariaDB's CACHE_METADATA negotiated: an execute
//! whose column definitions are not resent (`metadata_follows` 0) is read with the
//! statement's own, and a server that claims a count the client cannot match is a protocol
//! error, not a misread row.

use super::*;
use crate::codec::binary::encode_binary_row;
use crate::codec::stmt::PrepareOk;
use crate::codec::value::ToParam;
use crate::codec::Packet;

/// The recorded connect, then a PREPARE_OK of statement 9 (one parameter, two LONG columns
/// `a`, `b`) with its definitions.
fn prepared(deprecate_eof: bool) -> Vec<u8> {
    let mut s = connect_bytes_caching_metadata();
    let mut b = BytesMut::new();
    PrepareOk {
        statement_id: 9,
        num_columns: 2,
        num_params: 1,
        warning_count: Some(0),
        metadata: None,
    }
    .encode(&mut b);
    s.extend(pkt(1, &b));
    let mut seq = 2;
    for name in ["?", "a", "b"] {
        s.extend(coldef(seq, name));
        seq += 1;
        if !deprecate_eof && name == "?" {
            s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
            seq += 1;
        }
    }
    if !deprecate_eof {
        s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
    }
    s
}

/// An execute response of `count` columns whose definitions are not resent, with one binary
/// row (5, 6).
fn execute_without_metadata(deprecate_eof: bool, count: u8) -> Vec<u8> {
    let mut s = pkt(1, &[count, 0]);
    let mut seq = 2;
    if !deprecate_eof {
        s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
        seq += 1;
    }
    let mut row = BytesMut::new();
    let vals: [&dyn ToParam; 2] = [&5i32, &6i32];
    encode_binary_row(&vals, &mut row);
    s.extend(pkt(seq, &row));
    seq += 1;
    if deprecate_eof {
        s.extend(pkt(seq, &ok_payload(StatusFlags::AUTOCOMMIT, 0, 0xFE)));
    } else {
        s.extend(eof(seq, StatusFlags::AUTOCOMMIT));
    }
    s
}

/// Connects over `w`, prepares the statement of [`prepared`] and starts its execute.
fn prepare_and_execute(w: &mut Wire, deprecate_eof: bool) -> Engine {
    let mut e = connected(w, deprecate_eof);
    e.start_prepare("SELECT ?, ?").unwrap();
    w.take_tx(&mut e);
    let st = w.drive(&mut e, |e| e.prepare_step()).unwrap();
    e.start_execute(&st, &[&1i32]).unwrap();
    w.take_tx(&mut e);
    e
}

#[test]
fn an_execute_without_metadata_reads_with_the_statements_columns() {
    for deprecate_eof in [true, false] {
        let (log, _) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = prepared(deprecate_eof);
            s.extend(execute_without_metadata(deprecate_eof, 2));
            let mut w = Wire::new(chunk, &s);
            let mut e = prepare_and_execute(&mut w, deprecate_eof);
            w.drive(&mut e, |e| e.head_step()).unwrap();
            let mut log: Vec<String> = e
                .columns()
                .iter()
                .map(|c| format!("column {}", c.name()))
                .collect();
            read_rows(&mut w, &mut e, &mut log);
            assert!(e.is_idle() && w.all_read());
            (log, w.tx)
        });
        assert_eq!(
            log,
            [
                "column a",
                "column b",
                "row 5/Some(5),6/Some(6)",
                "end status=0x0002"
            ],
            "deprecate_eof={deprecate_eof}"
        );
    }
}

#[test]
fn a_count_that_does_not_match_the_cached_columns_is_a_protocol_error() {
    for deprecate_eof in [true, false] {
        let mut s = prepared(deprecate_eof);
        s.extend(execute_without_metadata(deprecate_eof, 3));
        let mut w = Wire::new(usize::MAX, &s);
        let mut e = prepare_and_execute(&mut w, deprecate_eof);
        let err = w.drive(&mut e, |e| e.head_step()).unwrap_err();
        let Error::Protocol(p) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (p.packet, p.field),
            (Packet::ColumnCount, "metadata_follows")
        );
        assert!(e.is_broken());
    }
}
