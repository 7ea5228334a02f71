//! Commands sent before the responses owed were read: MariaDB's direct execution (a prepare
//! and an execute of statement id 0xFFFFFFFF in one write), pipelined queries; cursors
//! (SERVER_STATUS_CURSOR_EXISTS, rows by COM_STMT_FETCH); cached metadata on executes; the
//! response to COM_STMT_BULK_EXECUTE.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::BytesMut;

use super::{num, text, Conv};
use crate::codec::binary::encode_binary_row;
use crate::codec::command::COM_QUERY;
use crate::codec::stmt::{
    encode_stmt_bulk_execute, encode_stmt_execute, encode_stmt_fetch, encode_stmt_prepare,
    BulkParam, StmtExecute, BULK_SEND_TYPES_TO_SERVER, CURSOR_TYPE_READ_ONLY, DIRECT_STATEMENT_ID,
};
use crate::codec::value::{Decimal, ParamType, ToParam};
use crate::codec::{ColumnFlags, ColumnType};
use crate::trace::decode::Value;
use crate::trace::format::{render, Format};

fn direct_execute(c: &mut Conv, params: &[&dyn ToParam], send_types: bool) -> super::Decoded {
    let caps = c.caps;
    let n = u16::try_from(params.len()).unwrap();
    c.client(|b| {
        let mut e = StmtExecute::new(DIRECT_STATEMENT_ID, n, params);
        e.send_types = send_types;
        encode_stmt_execute(b, &e, caps).unwrap();
    })
}

/// The result of `SELECT ? AS a, ? AS b` as a binary result set (cached metadata: the column
/// count carries `metadata_follows`; when false the definitions are left out).
fn result(c: &mut Conv, cache: Option<bool>, a: i64, b: &str) -> Vec<super::Decoded> {
    let mut out = Vec::new();
    c.seq = 1;
    let head = match cache {
        Some(follows) => vec![2u8, u8::from(follows)],
        None => vec![2u8],
    };
    out.push(c.server(BytesMut::from(&head[..])));
    if cache != Some(false) {
        out.push(c.def("a", ColumnType::LONGLONG, ColumnFlags::empty()));
        out.push(c.def("b", ColumnType::VAR_STRING, ColumnFlags::empty()));
    }
    // The EOF after the definitions comes also when they are left out (MariaDB KB "Result
    // Set Packets").
    c.defs_eof();
    let mut buf = BytesMut::new();
    encode_binary_row(&[&a, &b], &mut buf);
    out.push(c.server(buf));
    out.push(c.rows_end());
    out
}

/// libmariadb's `mariadb_stmt_execute_direct`: the execute of the direct id goes out with the
/// prepare, before its PREPARE_OK. It names the prepare's SQL, its parameters are split by the
/// `?` count, and its rows by the columns its response brings; later executes of the real id
/// use the types it bound, and with CACHE_METADATA rows without definitions are still split.
fn direct_execution(deprecate_eof: bool) {
    let mut c = Conv::new(deprecate_eof);
    c.c.resp.negotiated(c.caps, false, true);
    let sql = "SELECT ? AS a, ? AS b";
    let d = c.client(|b| encode_stmt_prepare(b, sql.as_bytes()));
    assert_eq!(d.kind, "COM_STMT_PREPARE");
    let dec = Decimal::parse("-12.340").unwrap();
    let d = direct_execute(&mut c, &[&7i64, &dec], true);
    assert_eq!(d.kind, "COM_STMT_EXECUTE");
    assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![num("7"), text("-12.340")]))
    );
    assert!(!c.c.is_idle());
    c.prepare_response(
        sql,
        5,
        &[ColumnType::LONGLONG, ColumnType::VAR_STRING],
        &[ColumnType::LONGLONG, ColumnType::VAR_STRING],
    );
    let r = result(&mut c, Some(true), 7, "-12.340");
    assert_eq!(r[0].field("metadata_follows"), Some(&Value::Bool(true)));
    let row = r.iter().find(|d| d.kind == "BinaryRow").unwrap();
    assert_eq!(
        row.field("values"),
        Some(&Value::Cells(vec![
            Some(b"7".to_vec().into()),
            Some(b"-12.340".to_vec().into())
        ]))
    );
    assert!(c.c.is_idle());
    // The real id, no types sent: those of the direct execute; the definitions cached.
    let d = super::execute(&mut c, 5, 2, &[&8i64, &"x"], false, None);
    assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![num("8"), text("x")]))
    );
    let r = result(&mut c, Some(false), 8, "x");
    assert_eq!(r[0].field("metadata_follows"), Some(&Value::Bool(false)));
    assert_eq!(
        r[1].field("values"),
        Some(&Value::Cells(vec![
            Some(b"8".to_vec().into()),
            Some(b"x".to_vec().into())
        ]))
    );
    // The direct id once the prepare was answered: the statement prepared last.
    let d = direct_execute(&mut c, &[&9i64, &"y"], false);
    assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![num("9"), text("y")]))
    );
    let r = result(&mut c, Some(false), 9, "y");
    assert_eq!(r[1].kind, "BinaryRow");
    assert_ne!(r[1].field("values"), Some(&Value::Unknown));
    assert!(c.c.is_idle());
    assert_eq!(c.c.errors, 0);
    let t = render(&d, Format::Text, false);
    assert!(
        t.contains(&format!("statement_id=4294967295 sql=\"{sql}\"")),
        "{t}"
    );
}

#[test]
fn direct_execution_with_deprecate_eof() {
    direct_execution(true);
}

#[test]
fn direct_execution_with_eof_packets() {
    direct_execution(false);
}

/// A direct prepare that fails: the execute after it is answered by an ERR too, and names no
/// statement of before.
#[test]
fn direct_execution_of_a_failed_prepare() {
    let mut c = Conv::new(true);
    c.prepare("SELECT 1", 1, &[], &[ColumnType::LONGLONG]);
    c.client(|b| encode_stmt_prepare(b, b"SELEC ?"));
    let d = direct_execute(&mut c, &[&1i64], true);
    assert_eq!(d.field("sql"), Some(&Value::Text(b"SELEC ?".to_vec())));
    let err = |c: &mut Conv| {
        c.seq = 1;
        let mut b = BytesMut::new();
        let e = crate::codec::response::ErrPacket {
            code: 1064,
            sql_state: Some(*b"42000"),
            message: "syntax".into(),
        };
        crate::codec::response::encode_err(&e, &mut b);
        c.server(b)
    };
    assert_eq!(err(&mut c).kind, "ERR");
    assert!(!c.c.is_idle());
    assert_eq!(err(&mut c).kind, "ERR");
    assert!(c.c.is_idle());
    assert_eq!(c.c.last_prepared, None);
}

/// The bulk execute of the direct id, sent with its prepare (the Connector/Python
/// `executemany`): the rows split by the `?` count, the response an OK.
#[test]
fn direct_bulk_execute() {
    let mut c = Conv::new(false);
    let sql = "INSERT INTO t VALUES (?, ?)";
    c.client(|b| encode_stmt_prepare(b, sql.as_bytes()));
    let types = [
        ParamType::signed(ColumnType::LONGLONG),
        ParamType::signed(ColumnType::VAR_STRING),
    ];
    let rows = [
        [BulkParam::Value(&1i64), BulkParam::Value(&"a")],
        [BulkParam::Value(&2i64), BulkParam::Null],
    ];
    let d = c.client(|b| {
        encode_stmt_bulk_execute(
            b,
            DIRECT_STATEMENT_ID,
            BULK_SEND_TYPES_TO_SERVER,
            &types,
            &rows,
        )
        .unwrap()
    });
    assert_eq!(d.kind, "COM_STMT_BULK_EXECUTE");
    assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
    assert_eq!(d.field("rows"), Some(&Value::Int(2)));
    assert_eq!(
        d.field("first_row"),
        Some(&Value::Typed(vec![num("1"), text("a")]))
    );
    c.prepare_response(sql, 3, &[ColumnType::VAR_STRING; 2], &[]);
    c.seq = 1;
    assert_eq!(c.ok().kind, "OK");
    assert!(c.c.is_idle());
    // The types it sent are the statement's now: a bulk without types decodes.
    let d = c.client(|b| encode_stmt_bulk_execute(b, 3, 0, &types, &rows).unwrap());
    assert_eq!(d.field("rows"), Some(&Value::Int(2)));
    assert_eq!(c.ok().kind, "OK");
    assert_eq!(c.c.errors, 0);
}

/// Two queries written before either response: each response is read in turn.
#[test]
fn pipelined_queries() {
    for deprecate_eof in [true, false] {
        let mut c = Conv::new(deprecate_eof);
        for q in ["SELECT 1", "DO 2"] {
            let d = c.client(|b| {
                b.extend_from_slice(&[COM_QUERY]);
                b.extend_from_slice(q.as_bytes());
            });
            assert_eq!(d.kind, "COM_QUERY");
        }
        c.seq = 1;
        assert_eq!(c.server(BytesMut::from(&[1u8][..])).kind, "ColumnCount");
        c.def("1", ColumnType::LONGLONG, ColumnFlags::empty());
        c.defs_eof();
        assert_eq!(c.server(BytesMut::from(&b"\x011"[..])).kind, "Row");
        c.rows_end();
        assert!(!c.c.is_idle());
        c.seq = 1;
        assert_eq!(c.ok().kind, "OK");
        assert!(c.c.is_idle());
        assert_eq!(c.c.errors, 0);
    }
}

/// An execute that opens a cursor: no rows until COM_STMT_FETCH, whose rows are split by the
/// execute's columns; in both EOF modes (MariaDB 10.11: an EOF with CURSOR_EXISTS ends the
/// definitions and the response, or with CLIENT_DEPRECATE_EOF an OK with header 0xFE).
#[test]
fn cursor_rows_come_with_fetch() {
    for deprecate_eof in [true, false] {
        let mut c = Conv::new(deprecate_eof);
        let sql = "SELECT seq, 'x' FROM seq_1_to_3";
        c.prepare(sql, 2, &[], &[ColumnType::LONGLONG, ColumnType::VAR_STRING]);
        let caps = c.caps;
        let d = c.client(|b| {
            let p: [&dyn ToParam; 0] = [];
            let mut e = StmtExecute::new(2, 0, &p);
            e.flags = CURSOR_TYPE_READ_ONLY;
            encode_stmt_execute(b, &e, caps).unwrap();
        });
        assert_eq!(
            d.field("flags"),
            Some(&Value::List(vec!["CURSOR_TYPE_READ_ONLY".into()]))
        );
        c.seq = 1;
        c.server(BytesMut::from(&[2u8][..]));
        c.def("seq", ColumnType::LONGLONG, ColumnFlags::UNSIGNED);
        c.def("x", ColumnType::VAR_STRING, ColumnFlags::empty());
        let d = c.cursor_opened();
        assert!(c.c.is_idle(), "{d:?}");
        assert_eq!(d.kind, if deprecate_eof { "OK" } else { "EOF" });
        let j = render(&d, Format::Json, false);
        assert!(
            j.contains(r#""cursor":"opened: rows follow COM_STMT_FETCH""#),
            "{j}"
        );
        for n in [1u64, 2] {
            let d = c.client(|b| encode_stmt_fetch(b, 2, 1));
            assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
            c.seq = 1;
            let mut b = BytesMut::new();
            encode_binary_row(&[&n, &"x"], &mut b);
            let d = c.server(b);
            assert_eq!(
                d.field("values"),
                Some(&Value::Cells(vec![
                    Some(n.to_string().into_bytes().into()),
                    Some(b"x".to_vec().into())
                ]))
            );
            c.rows_end();
            assert!(c.c.is_idle());
        }
        assert_eq!(c.c.errors, 0);
    }
}
