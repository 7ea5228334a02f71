//! A whole prepared-statement conversation (both EOF modes), statements never seen prepared,
//! bulk execute.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::{BufMut, Bytes, BytesMut};

use super::{execute, num, text, Conv};
use crate::codec::binary::encode_binary_row;
use crate::codec::stmt::{
    encode_stmt_bulk_execute, encode_stmt_close, encode_stmt_execute, encode_stmt_fetch,
    encode_stmt_reset, encode_stmt_send_long_data, BulkParam, StmtExecute,
    BULK_SEND_TYPES_TO_SERVER, CURSOR_TYPE_READ_ONLY,
};
use crate::codec::value::{Date, DateTime, Decimal, ParamType, ToParam};
use crate::codec::{CapabilityFlags, ColumnFlags, ColumnType};
use crate::trace::decode::{Typed, Value};
use crate::trace::format::{render, Format};
use crate::trace::Direction;

fn conversation(deprecate_eof: bool) {
    let mut c = Conv::new(deprecate_eof);
    let insert = "INSERT INTO t (i, d, n, b) VALUES (?, ?, ?, ?)";
    c.prepare(insert, 7, &[ColumnType::VAR_STRING; 4], &[]);

    // Long data for parameter 3, in two chunks.
    let long = "x".repeat(300);
    for chunk in [&long[..200], &long[200..]] {
        let d = c.client(|b| encode_stmt_send_long_data(b, 7, 3, chunk.as_bytes()));
        assert_eq!(d.kind, "COM_STMT_SEND_LONG_DATA");
        assert_eq!(d.field("statement_id"), Some(&Value::Int(7)));
        assert_eq!(d.field("param_id"), Some(&Value::Int(3)));
        assert_eq!(d.field("data_len"), Some(&Value::Int(chunk.len() as u64)));
        assert_eq!(d.field("sql"), Some(&Value::Text(insert.into())));
        assert!(c.c.is_idle());
    }

    // The first execute sends its types; a NULL, a DECIMAL, the long data.
    let dec = Decimal::parse("-123.450").unwrap();
    let d = execute(
        &mut c,
        7,
        4,
        &[&42i64, &dec, &None::<i32>, &long.as_str()],
        true,
        Some(100),
    );
    assert_eq!(d.field("sql"), Some(&Value::Text(insert.into())));
    assert_eq!(d.field("new_params_bound"), Some(&Value::Bool(true)));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![
            num("42"),
            text("-123.450"),
            Typed::Null,
            Typed::LongData(300)
        ]))
    );
    assert_eq!(
        d.field("flags"),
        Some(&Value::List(vec!["CURSOR_TYPE_NO_CURSOR".into()]))
    );
    let t = render(&d, Format::Text, false);
    assert!(
        t.contains(r#"params=[42, "-123.450", NULL, <long data 300 bytes>]"#),
        "{t}"
    );
    let j = render(&d, Format::Json, false);
    assert!(
        j.contains(r#""params":[42,"-123.450",null,{"long_data":300}]"#),
        "{j}"
    );
    assert_eq!(c.ok().kind, "OK");

    // The second sends none: the types bound by the first are used.
    let dec = Decimal::parse("0.5").unwrap();
    let d = execute(
        &mut c,
        7,
        4,
        &[&-1i64, &dec, &None::<i32>, &"short"],
        false,
        None,
    );
    assert_eq!(d.field("new_params_bound"), Some(&Value::Bool(false)));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![
            num("-1"),
            text("0.5"),
            Typed::Null,
            text("short")
        ]))
    );
    assert_eq!(c.ok().kind, "OK");

    // A SELECT with a date parameter and binary rows.
    let select = "SELECT ? + 1 AS n, NOW() AS d, ? AS f";
    c.prepare(
        select,
        8,
        &[ColumnType::LONGLONG, ColumnType::DOUBLE],
        &[
            ColumnType::LONGLONG,
            ColumnType::DATETIME,
            ColumnType::DOUBLE,
        ],
    );
    let when = DateTime::new(Date::new(2024, 2, 29).unwrap(), 13, 5, 9, 250_000).unwrap();
    let d = execute(&mut c, 8, 2, &[&41u64, &2.5f64], true, None);
    assert_eq!(d.field("sql"), Some(&Value::Text(select.into())));
    assert_eq!(
        d.field("param_types"),
        Some(&Value::List(vec![
            "LONGLONG UNSIGNED".into(),
            "DOUBLE".into()
        ]))
    );
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![num("41"), num("2.5")]))
    );
    assert_eq!(c.server(BytesMut::from(&[3u8][..])).kind, "ColumnCount");
    assert_eq!(
        c.def("n", ColumnType::LONGLONG, ColumnFlags::UNSIGNED).kind,
        "ColumnDefinition"
    );
    c.def("d", ColumnType::DATETIME, ColumnFlags::empty());
    c.def("f", ColumnType::DOUBLE, ColumnFlags::empty());
    c.defs_eof();
    let mut b = BytesMut::new();
    encode_binary_row(&[&u64::MAX, &when, &-0.25f64], &mut b);
    let d = c.server(b);
    assert_eq!(d.kind, "BinaryRow");
    assert_eq!(
        d.field("values"),
        Some(&Value::Cells(vec![
            Some(u64::MAX.to_string().into_bytes().into()),
            Some(b"2024-02-29 13:05:09.25".to_vec().into()),
            Some(b"-0.25".to_vec().into()),
        ]))
    );
    let mut b = BytesMut::new();
    encode_binary_row(&[&None::<u64>, &when, &None::<f64>], &mut b);
    let d = c.server(b);
    assert_eq!(
        d.field("values")
            .map(|v| matches!(v, Value::Cells(c) if c[0].is_none() && c[2].is_none())),
        Some(true)
    );
    c.rows_end();
    assert!(c.c.is_idle());

    // A cursor, then a fetch: the rows are split by the execute's columns.
    let d = c.client(|b| {
        let p: [&dyn ToParam; 2] = [&1u64, &1.0f64];
        let mut e = StmtExecute::new(8, 2, &p);
        e.flags = CURSOR_TYPE_READ_ONLY;
        e.send_types = false;
        encode_stmt_execute(b, &e, CapabilityFlags::empty()).unwrap();
    });
    assert_eq!(
        d.field("flags"),
        Some(&Value::List(vec!["CURSOR_TYPE_READ_ONLY".into()]))
    );
    c.server(BytesMut::from(&[3u8][..]));
    c.def("n", ColumnType::LONGLONG, ColumnFlags::UNSIGNED);
    c.def("d", ColumnType::DATETIME, ColumnFlags::empty());
    c.def("f", ColumnType::DOUBLE, ColumnFlags::empty());
    // No rows: an EOF or OK with SERVER_STATUS_CURSOR_EXISTS ends the response.
    let d = c.cursor_opened();
    assert!(c.c.is_idle(), "{d:?}");
    let d = c.client(|b| encode_stmt_fetch(b, 8, 10));
    assert_eq!(d.kind, "COM_STMT_FETCH");
    assert_eq!(d.field("rows"), Some(&Value::Int(10)));
    assert_eq!(d.field("sql"), Some(&Value::Text(select.into())));
    let mut b = BytesMut::new();
    encode_binary_row(&[&2u64, &when, &1.5f64], &mut b);
    let d = c.server(b);
    assert_eq!(d.kind, "BinaryRow");
    assert_eq!(
        d.field("values"),
        Some(&Value::Cells(vec![
            Some(b"2".to_vec().into()),
            Some(b"2024-02-29 13:05:09.25".to_vec().into()),
            Some(b"1.5".to_vec().into()),
        ]))
    );
    c.rows_end();

    let d = c.client(|b| encode_stmt_reset(b, 8));
    assert_eq!(d.kind, "COM_STMT_RESET");
    assert_eq!(d.field("sql"), Some(&Value::Text(select.into())));
    assert_eq!(c.ok().kind, "OK");

    // Close forgets the statement: a later execute of its id is decoded without it.
    let d = c.client(|b| encode_stmt_close(b, 7));
    assert_eq!(d.kind, "COM_STMT_CLOSE");
    assert_eq!(d.field("sql"), Some(&Value::Text(insert.into())));
    assert!(c.c.is_idle());
    let d = execute(&mut c, 7, 1, &[&5i32], true, None);
    assert_eq!(d.field("sql"), Some(&Value::Unknown));
    assert_eq!(d.field("params"), Some(&Value::Unknown));
    assert!(render(&d, Format::Text, false).contains("sql=<unknown>"));
    assert!(render(&d, Format::Json, false).contains(r#""sql":null"#));
    assert_eq!(c.c.errors, 0);
}

#[test]
fn prepared_statements_with_deprecate_eof() {
    conversation(true);
}

#[test]
fn prepared_statements_with_eof_packets() {
    conversation(false);
}

/// A capture begun after the prepare: statements it never saw decode without their SQL.
#[test]
fn statements_never_prepared_decode_without_sql() {
    let mut c = Conv::new(true);
    let d = c.client(|b| encode_stmt_send_long_data(b, 3, 0, b"abc"));
    assert_eq!(d.field("sql"), Some(&Value::Unknown));
    let d = c.client(|b| encode_stmt_fetch(b, 3, 1));
    assert_eq!(d.field("rows"), Some(&Value::Int(1)));
    let mut b = BytesMut::new();
    encode_binary_row(&[&1i64], &mut b);
    let d = c.server(b);
    assert_eq!(d.kind, "BinaryRow");
    assert_eq!(d.field("values"), Some(&Value::Unknown));
    c.rows_end();
    let d = c.client(|b| {
        b.put_u8(0x17);
        b.put_u32_le(3);
        b.put_u8(0);
        b.put_u32_le(1);
        b.put_slice(&[0, 1, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    });
    assert_eq!(d.kind, "COM_STMT_EXECUTE");
    assert_eq!(d.field("statement_id"), Some(&Value::Int(3)));
    assert_eq!(d.field("params"), Some(&Value::Unknown));
    // A truncated header is still a malformed packet.
    let d = c.c.packet(
        Direction::ClientToServer,
        0,
        Bytes::from_static(&[0x17, 3, 0]),
    );
    assert_eq!(d.kind, "Malformed");
}

/// A prepare answered, then an execute without types (bound before the capture's statement
/// was seen executing): the header shows, the values are unknown.
#[test]
fn execute_without_types_never_bound() {
    let mut c = Conv::new(true);
    c.prepare(
        "SELECT ?",
        1,
        &[ColumnType::VAR_STRING],
        &[ColumnType::VAR_STRING],
    );
    let d = execute(&mut c, 1, 1, &[&"a"], false, None);
    assert_eq!(d.field("params"), Some(&Value::Unknown));
    assert_eq!(d.field("sql"), Some(&Value::Text(b"SELECT ?".to_vec())));
}

/// MariaDB's bulk execute: the rows counted, the first shown typed, the types remembered.
#[test]
fn bulk_execute() {
    let mut c = Conv::new(true);
    let sql = "INSERT INTO t VALUES (?, ?)";
    c.prepare(sql, 4, &[ColumnType::VAR_STRING; 2], &[]);
    let types = [
        ParamType::signed(ColumnType::LONGLONG),
        ParamType::signed(ColumnType::VAR_STRING),
    ];
    let rows = [
        [BulkParam::Value(&1i64), BulkParam::Default],
        [BulkParam::Null, BulkParam::Value(&"b")],
        [BulkParam::Value(&3i64), BulkParam::Ignore],
    ];
    for flags in [BULK_SEND_TYPES_TO_SERVER, 0] {
        let d = c.client(|b| encode_stmt_bulk_execute(b, 4, flags, &types, &rows).unwrap());
        assert_eq!(d.kind, "COM_STMT_BULK_EXECUTE");
        assert_eq!(d.field("sql"), Some(&Value::Text(sql.into())));
        assert_eq!(d.field("rows"), Some(&Value::Int(3)));
        assert_eq!(
            d.field("first_row"),
            Some(&Value::Typed(vec![num("1"), Typed::Indicator("DEFAULT")]))
        );
        let t = render(&d, Format::Text, false);
        assert!(t.contains("first_row=[1, DEFAULT]"), "{t}");
        let j = render(&d, Format::Json, false);
        assert!(
            j.contains(r#""first_row":[1,{"indicator":"DEFAULT"}]"#),
            "{j}"
        );
        // Answered by an OK, as an execute without rows is.
        assert_eq!(c.ok().kind, "OK");
        assert!(c.c.is_idle());
    }
    assert_eq!(c.c.errors, 0);
}
