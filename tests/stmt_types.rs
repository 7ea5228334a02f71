//! The extremes of the column types through prepared statements, against the throwaway
//! MariaDB: each value is inserted by a parameter into a typed column, then read back by the
//! binary protocol (COM_STMT_EXECUTE) and by the text protocol (COM_QUERY), next to the
//! server's own text for it (`CAST(v AS CHAR)`). Both protocols must give the same value
//! through the typed getter, the cell text must be the server's in both (a binary cell's text
//! is formatted as the server's text protocol does), and a getter that cannot hold
//! the value must fail the same way in both, never give a wrong value. Also a BLOB of more than
//! 16 MiB through COM_STMT_SEND_LONG_DATA (its row comes back as several packets).

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is abandoned, possibly unread (drained by the next call).
#![allow(clippy::drop_non_drop)]

mod support;

#[path = "stmt_types/long_blob.rs"]
mod long_blob;
#[path = "stmt_types/refused.rs"]
mod refused;

use std::fmt::{Debug, Display};

use mywire::codec::value::{Date, DateTime, Decimal, FromValue, Time};
use mywire::proto::Row;
use mywire::{Error, Options, Session, ToParam};
use support::server;

/// A session in strict mode (an out-of-range value is an error, not a clipped value with a
/// warning) and UTC (TIMESTAMP values are not shifted). Zero dates stay allowed: MariaDB's
/// default sql_mode has neither NO_ZERO_DATE nor NO_ZERO_IN_DATE, and neither does this one.
async fn connect() -> Session {
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap();
    s.query_drop("SET sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00'")
        .await
        .unwrap();
    s
}

/// One protocol's reading of `SELECT v, CAST(v AS CHAR)`: the typed value (Debug, so that
/// floats compare bit for bit: `-0.0` is not `0.0`), the cell text, the value parsed by the
/// same getter from the server's text, and the server's text.
#[derive(Debug, PartialEq)]
struct Read {
    value: String,
    text: String,
    from_server_text: String,
    server_text: String,
}

fn read<T: for<'a> FromValue<'a> + Debug>(row: &Row<'_>) -> Read {
    let get = |i| format!("{:?}", row.get::<T>(i).unwrap().expect("not NULL"));
    Read {
        value: get(0),
        text: row.text(0).expect("not NULL").into_owned(),
        from_server_text: get(1),
        server_text: row.text(1).expect("not NULL").into_owned(),
    }
}

/// Creates `rt (id, v <column>)`, inserts every case by parameter and checks each row by both
/// protocols: the value read back is the one inserted (`T` is the getter's type, `P` the
/// parameter's; as Debug), the text-protocol cell is the server's text `want_text`, and the
/// binary cell's text is as `bin` says.
async fn round_trip<P, T>(s: &mut Session, column: &str, cases: &[(P, T, &str)])
where
    P: ToParam,
    T: for<'a> FromValue<'a> + Debug + Display,
{
    s.query_drop("DROP TEMPORARY TABLE IF EXISTS rt")
        .await
        .unwrap();
    s.query_drop(&format!(
        "CREATE TEMPORARY TABLE rt (id INT PRIMARY KEY, v {column})"
    ))
    .await
    .unwrap();
    let ins = s.prepare("INSERT INTO rt VALUES (?, ?)").await.unwrap();
    for (i, (p, _, _)) in cases.iter().enumerate() {
        let id = i as i32;
        let r = s.execute(&ins, &[&id, p]).await;
        let ok = r.unwrap_or_else(|e| panic!("{column} case {i}: insert: {e}"));
        drop(ok);
        assert_eq!(s.last_ok().warnings, 0, "{column} case {i}: warnings");
    }
    s.close_statement(ins).await.unwrap();

    let sql = "SELECT v, CAST(v AS CHAR) FROM rt ORDER BY id";
    let mut text = Vec::new();
    let mut r = s.query(sql).await.unwrap();
    while let Some(row) = r.next_row().await.unwrap() {
        assert!(!row.is_binary());
        text.push(read::<T>(&row));
    }
    drop(r);
    let sel = s.prepare(sql).await.unwrap();
    let mut binary = Vec::new();
    let mut r = s.execute(&sel, &[]).await.unwrap();
    while let Some(row) = r.next_row().await.unwrap() {
        assert!(row.is_binary());
        binary.push(read::<T>(&row));
    }
    drop(r);
    s.close_statement(sel).await.unwrap();

    assert_eq!(text.len(), cases.len(), "{column}: rows by text");
    assert_eq!(binary.len(), cases.len(), "{column}: rows by binary");
    for (i, ((_, want, want_text), (t, b))) in
        cases.iter().zip(text.iter().zip(&binary)).enumerate()
    {
        let ctx = format!("{column} case {i} ({want_text})");
        let want = format!("{want:?}");
        // The value, by either protocol, and parsed from the server's own text.
        assert_eq!(t.value, want, "{ctx}: text protocol value");
        assert_eq!(b.value, want, "{ctx}: binary protocol value");
        assert_eq!(t.from_server_text, want, "{ctx}: from the server's text");
        assert_eq!(
            b.from_server_text, want,
            "{ctx}: from the server's text (binary)"
        );
        // The texts: the server's, the text cell's, the binary cell's.
        assert_eq!(t.server_text, *want_text, "{ctx}: CAST(v AS CHAR)");
        assert_eq!(b.server_text, *want_text, "{ctx}: CAST(v AS CHAR), binary");
        assert_eq!(t.text, *want_text, "{ctx}: text cell");
        // `Row::text` formats a binary cell as the server's text protocol does
        // (protocol-notes/binary-as-text.md).
        assert_eq!(b.text, *want_text, "{ctx}: binary cell text");
    }
}

#[tokio::test]
async fn integers_at_their_limits() {
    let mut s = connect().await;
    round_trip(
        &mut s,
        "TINYINT",
        &[
            (i8::MIN, i8::MIN, "-128"),
            (i8::MAX, i8::MAX, "127"),
            (0, 0, "0"),
        ],
    )
    .await;
    round_trip(
        &mut s,
        "TINYINT UNSIGNED",
        &[(0u8, 0u8, "0"), (u8::MAX, u8::MAX, "255")],
    )
    .await;
    round_trip(
        &mut s,
        "SMALLINT",
        &[
            (i16::MIN, i16::MIN, "-32768"),
            (i16::MAX, i16::MAX, "32767"),
        ],
    )
    .await;
    round_trip(
        &mut s,
        "SMALLINT UNSIGNED",
        &[(u16::MAX, u16::MAX, "65535")],
    )
    .await;
    // MEDIUMINT travels as LONG (4 bytes); INT24 rows are sign-extended.
    let mi = [
        (-8_388_608i32, -8_388_608i32, "-8388608"),
        (8_388_607, 8_388_607, "8388607"),
    ];
    round_trip(&mut s, "MEDIUMINT", &mi).await;
    round_trip(
        &mut s,
        "MEDIUMINT UNSIGNED",
        &[(16_777_215u32, 16_777_215u32, "16777215")],
    )
    .await;
    round_trip(
        &mut s,
        "INT",
        &[
            (i32::MIN, i32::MIN, "-2147483648"),
            (i32::MAX, i32::MAX, "2147483647"),
        ],
    )
    .await;
    round_trip(
        &mut s,
        "INT UNSIGNED",
        &[(u32::MAX, u32::MAX, "4294967295")],
    )
    .await;
    let bi = [
        (i64::MIN, i64::MIN, "-9223372036854775808"),
        (i64::MAX, i64::MAX, "9223372036854775807"),
        (-1, -1, "-1"),
    ];
    round_trip(&mut s, "BIGINT", &bi).await;
    // 2^64 - 1, and 2^63 (the first value past i64).
    let ub = [
        (u64::MAX, u64::MAX, "18446744073709551615"),
        (1u64 << 63, 1u64 << 63, "9223372036854775808"),
        (0, 0, "0"),
    ];
    round_trip(&mut s, "BIGINT UNSIGNED", &ub).await;
    // YEAR: 0 prints as 0000 in text (padding the binary form does not carry).
    let y = [
        (1901u16, 1901u16, "1901"),
        (2155, 2155, "2155"),
        (0, 0, "0000"),
    ];
    round_trip(&mut s, "YEAR", &y).await;
}

#[tokio::test]
async fn doubles_floats_and_negative_zero() {
    let mut s = connect().await;
    // DOUBLE: the server prints the shortest round-trip text, so every value reads the same
    // by both protocols; the binary cell's text is Rust's rendering of the same value.
    let d = [
        // -0.0 is stored as 0 (seen: both protocols read 0, the server prints "0").
        (-0.0f64, 0.0f64, "0"),
        (f64::MAX, f64::MAX, "1.7976931348623157e308"),
        (f64::MIN, f64::MIN, "-1.7976931348623157e308"),
        (
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE,
            "2.2250738585072014e-308",
        ),
        (5e-324, 5e-324, "5e-324"), // the smallest subnormal
        (0.1, 0.1, "0.1"),
    ];
    round_trip(&mut s, "DOUBLE", &d).await;
    // FLOAT: values with at most 6 significant digits (the server prints FLOAT with 6).
    let f = [
        (-0.0f32, 0.0f32, "0"),
        (1.5, 1.5, "1.5"),
        (3.40282e38, 3.40282e38, "3.40282e38"),
        (-1e-37, -1e-37, "-1e-37"),
    ];
    round_trip(&mut s, "FLOAT", &f).await;

    // Not even echoed: MariaDB drops the sign of a -0.0 parameter (seen: `SELECT ?` answers
    // 8 zero bytes, CAST prints "0"). The parameter itself went out with its sign bit.
    let st = s.prepare("SELECT ?, CAST(? AS CHAR)").await.unwrap();
    let mut r = s.execute(&st, &[&-0.0f64, &-0.0f64]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.bytes(0), Some(&[0u8; 8][..]));
    assert_eq!(row.get::<&str>(1).unwrap(), Some("0"));
    drop(r);
    let mut sent = bytes::BytesMut::new();
    (-0.0f64).encode_value(&mut sent);
    assert_eq!(sent[..], [0, 0, 0, 0, 0, 0, 0, 0x80]);

    // f32::MAX itself: the binary protocol carries the exact f32, the text protocol the
    // server's 6-digit text (documented difference): each is the right reading of what it got.
    s.query_drop("CREATE TEMPORARY TABLE fm (v FLOAT)")
        .await
        .unwrap();
    let ins = s.prepare("INSERT INTO fm VALUES (?)").await.unwrap();
    drop(s.execute(&ins, &[&f32::MAX]).await.unwrap());
    let sql = "SELECT v FROM fm";
    let sel = s.prepare(sql).await.unwrap();
    let mut r = s.execute(&sel, &[]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<f32>(0).unwrap(), Some(f32::MAX));
    assert_eq!(row.get::<f64>(0).unwrap(), Some(f64::from(f32::MAX)));
    drop(r);
    let mut r = s.query(sql).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.text(0).unwrap(), "3.40282e38");
    assert_eq!(row.get::<f32>(0).unwrap(), Some(3.40282e38));
}

#[tokio::test]
async fn decimal_65_30() {
    let mut s = connect().await;
    let max = "99999999999999999999999999999999999.999999999999999999999999999999";
    let min = format!("-{max}");
    let tiny = "0.000000000000000000000000000001";
    let zero = "0.000000000000000000000000000000";
    let cases: Vec<(Decimal<'_>, String, &str)> = [max, &min, tiny, zero]
        .iter()
        .map(|v| (Decimal::parse(v).unwrap(), v.to_string(), *v))
        .collect();
    // Read as String: NEWDECIMAL is text in both protocols, the very same bytes.
    round_trip(&mut s, "DECIMAL(65,30)", &cases).await;
    // And as Decimal, exactly (never through a float), by both protocols.
    for binary in [false, true] {
        let sql = "SELECT v FROM rt ORDER BY id";
        let st = s.prepare(sql).await.unwrap();
        let mut r = if binary {
            s.execute(&st, &[]).await.unwrap()
        } else {
            s.query(sql).await.unwrap()
        };
        let mut got = Vec::new();
        while let Some(row) = r.next_row().await.unwrap() {
            let d = row.get::<Decimal>(0).unwrap().unwrap();
            assert_eq!(d.scale(), 30);
            got.push(d.as_str().to_owned());
        }
        assert_eq!(got, [max, &min, tiny, zero], "binary {binary}");
    }
    // A value past 65 digits is refused by the server (strict mode), not sent rounded.
    let too_long = format!("{max}9");
    let st = s.prepare("INSERT INTO rt VALUES (99, ?)").await.unwrap();
    match s.execute(&st, &[&Decimal::parse(&too_long).unwrap()]).await {
        Err(Error::Server(e)) => assert_eq!(e.code, 1264, "{e}"), // out of range value
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn temporal_limits_and_zero_dates() {
    let mut s = connect().await;
    let date = |y, m, d| Date::new(y, m, d).unwrap();
    let dt = |d: Date, h, mi, sec, us| DateTime::new(d, h, mi, sec, us).unwrap();
    // DATE: the limits, the zero date and a date with zero parts (allowed: no NO_ZERO_DATE,
    // NO_ZERO_IN_DATE in sql_mode).
    let dates = [
        (date(1000, 1, 1), date(1000, 1, 1), "1000-01-01"),
        (date(9999, 12, 31), date(9999, 12, 31), "9999-12-31"),
        (Date::ZERO, Date::ZERO, "0000-00-00"),
        (date(2024, 0, 0), date(2024, 0, 0), "2024-00-00"),
        (date(2024, 2, 29), date(2024, 2, 29), "2024-02-29"),
    ];
    round_trip(&mut s, "DATE", &dates).await;

    // DATETIME(6): the limits with every fraction digit, then values whose fraction is zero
    // (the text has 6 zeros, and so has the binary cell's text: the column's decimals).
    let max = dt(date(9999, 12, 31), 23, 59, 59, 999_999);
    let full = [
        (max, max, "9999-12-31 23:59:59.999999"),
        (
            dt(date(1000, 1, 1), 0, 0, 0, 1),
            dt(date(1000, 1, 1), 0, 0, 0, 1),
            "1000-01-01 00:00:00.000001",
        ),
    ];
    round_trip(&mut s, "DATETIME(6)", &full).await;
    let min = DateTime::from(date(1000, 1, 1));
    let zero = DateTime::from(Date::ZERO);
    let trimmed = [
        (min, min, "1000-01-01 00:00:00.000000"),
        (zero, zero, "0000-00-00 00:00:00.000000"),
        (
            dt(date(2024, 2, 0), 10, 0, 0, 0),
            dt(date(2024, 2, 0), 10, 0, 0, 0),
            "2024-02-00 10:00:00.000000",
        ),
        (
            dt(date(2024, 2, 29), 12, 34, 56, 500_000),
            dt(date(2024, 2, 29), 12, 34, 56, 500_000),
            "2024-02-29 12:34:56.500000",
        ),
    ];
    round_trip(&mut s, "DATETIME(6)", &trimmed).await;
    // DATETIME(0): the zero datetime's text has no fraction at all.
    round_trip(&mut s, "DATETIME", &[(zero, zero, "0000-00-00 00:00:00")]).await;

    // TIMESTAMP(6) in UTC: its limits.
    let ts_min = dt(date(1970, 1, 1), 0, 0, 1, 0);
    let ts_max = dt(date(2038, 1, 19), 3, 14, 7, 999_999);
    let ts = [(ts_max, ts_max, "2038-01-19 03:14:07.999999")];
    round_trip(&mut s, "TIMESTAMP(6) NULL", &ts).await;
    round_trip(
        &mut s,
        "TIMESTAMP(6) NULL",
        &[(ts_min, ts_min, "1970-01-01 00:00:01.000000")],
    )
    .await;

    // TIME(6): ±838:59:59.999999 and the smallest negative time.
    let t = |neg, h, m, sec, us| Time::new(neg, h, m, sec, us).unwrap();
    let times = [
        (
            t(true, 838, 59, 59, 999_999),
            t(true, 838, 59, 59, 999_999),
            "-838:59:59.999999",
        ),
        (
            t(false, 838, 59, 59, 999_999),
            t(false, 838, 59, 59, 999_999),
            "838:59:59.999999",
        ),
        (t(true, 0, 0, 0, 1), t(true, 0, 0, 0, 1), "-00:00:00.000001"),
        (
            t(false, 24, 0, 0, 1),
            t(false, 24, 0, 0, 1),
            "24:00:00.000001",
        ),
    ];
    round_trip(&mut s, "TIME(6)", &times).await;
    let zero_time = t(false, 0, 0, 0, 0);
    let times0 = [
        (zero_time, zero_time, "00:00:00.000000"),
        (t(true, 1, 2, 3, 0), t(true, 1, 2, 3, 0), "-01:02:03.000000"),
    ];
    round_trip(&mut s, "TIME(6)", &times0).await;
    round_trip(
        &mut s,
        "TIME",
        &[(
            t(true, 838, 59, 59, 0),
            t(true, 838, 59, 59, 0),
            "-838:59:59",
        )],
    )
    .await;
}

#[tokio::test]
async fn utf8mb4_text_both_ways() {
    let mut s = connect().await;
    let texts = [
        "😀",                      // 4 bytes in UTF-8: needs utf8mb4, not utf8mb3
        "𝄞 clef, ümlaut, 中文, ꙮ", // 4-, 2-, 3-byte sequences
        "",
        "a\0b'\"\\", // NUL, quotes and a backslash: nothing is escaped in a parameter
    ];
    let cases: Vec<(&str, String, &str)> = texts.iter().map(|t| (*t, t.to_string(), *t)).collect();
    let col = "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
    round_trip(&mut s, col, &cases).await;
    // The stored bytes are exactly the UTF-8 sent (the server's HEX of them).
    let mut r = s.query("SELECT HEX(v) FROM rt ORDER BY id").await.unwrap();
    for t in texts {
        let row = r.next_row().await.unwrap().unwrap();
        let hex: String = t.bytes().map(|b| format!("{b:02X}")).collect();
        assert_eq!(row.get::<&str>(0).unwrap(), Some(&hex[..]), "{t:?}");
    }
    drop(r);
    // A 4-byte character into a utf8mb3 column is refused in strict mode (ERR 1366).
    s.query_drop("CREATE TEMPORARY TABLE u3 (v VARCHAR(8) CHARACTER SET utf8mb3)")
        .await
        .unwrap();
    let st = s.prepare("INSERT INTO u3 VALUES (?)").await.unwrap();
    match s.execute(&st, &[&"😀"]).await {
        Err(Error::Server(e)) => assert_eq!(e.code, 1366, "{e}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
