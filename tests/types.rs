//! Every column type the typed getters support, read back from the real server with exact
//! expected values, plus column definitions and getters that must refuse.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a `QueryResult` is abandoned (possibly unread): that is what
// these tests exercise, even though the type has no `Drop` impl.
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::codec::value::{Date, DateTime, Decimal, Time};
use mywire::codec::{ColumnFlags, ColumnType, ErrorKind};
use mywire::session::Row;
use mywire::{Error, Options, Session};
use support::server;
use support::wire::Wire;

async fn connect(eof: Wire) -> Session {
    let url = format!("{}?{}", server().url(), eof.params());
    let mut s = Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap();
    s.query_drop("SET time_zone = '+00:00'").await.unwrap();
    s
}

const CREATE: &str = "CREATE TEMPORARY TABLE ty (
    id INT NOT NULL PRIMARY KEY,
    ti TINYINT, tiu TINYINT UNSIGNED,
    si SMALLINT, siu SMALLINT UNSIGNED,
    mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
    i INT, iu INT UNSIGNED,
    bi BIGINT, biu BIGINT UNSIGNED,
    f FLOAT, d DOUBLE,
    de DECIMAL(30,10),
    dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6),
    y YEAR, b1 BIT(1), b64 BIT(64),
    c CHAR(10), vc VARCHAR(100), tx TEXT,
    bin BINARY(4), vb VARBINARY(300), bl BLOB,
    e ENUM('a','b','c'), st SET('x','y','z'),
    j JSON
)";

/// Column indexes in `SELECT *`.
mod col {
    pub const ID: usize = 0;
    pub const TI: usize = 1;
    pub const TIU: usize = 2;
    pub const SI: usize = 3;
    pub const SIU: usize = 4;
    pub const MI: usize = 5;
    pub const MIU: usize = 6;
    pub const I: usize = 7;
    pub const IU: usize = 8;
    pub const BI: usize = 9;
    pub const BIU: usize = 10;
    pub const F: usize = 11;
    pub const D: usize = 12;
    pub const DE: usize = 13;
    pub const DT: usize = 14;
    pub const DTM: usize = 15;
    pub const TS: usize = 16;
    pub const TM: usize = 17;
    pub const Y: usize = 18;
    pub const B1: usize = 19;
    pub const B64: usize = 20;
    pub const C: usize = 21;
    pub const VC: usize = 22;
    pub const TX: usize = 23;
    pub const BIN: usize = 24;
    pub const VB: usize = 25;
    pub const BL: usize = 26;
    pub const E: usize = 27;
    pub const ST: usize = 28;
    pub const J: usize = 29;
}

const JSON_TEXT: &str = r#"{"a": [1, 2.5, null, true], "ü": "🦀"}"#;

fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

async fn fill(s: &mut Session) {
    s.query_drop(CREATE).await.unwrap();
    let bytes = hex(&all_bytes());
    let rev: Vec<u8> = all_bytes().into_iter().rev().collect();
    let rev = hex(&rev);
    // Row 1: minimums; row 2: maximums; row 3: NULLs everywhere but the key.
    s.query_drop(&format!(
        "INSERT INTO ty VALUES (1,
          -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
          -9223372036854775808, 0,
          -1.5, -2.5e-300,
          '-12345678901234567890.0123456789',
          '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000',
          '-838:59:59.000000',
          1901, b'0', b'0',
          'abc', 'héllo', '', X'00010203', X'{bytes}', X'{rev}',
          'a', '', '{JSON_TEXT}')"
    ))
    .await
    .unwrap();
    s.query_drop(
        "INSERT INTO ty VALUES (2,
          127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
          9223372036854775807, 18446744073709551615,
          3.25, 1e308,
          '99999999999999999999.9999999999',
          '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999',
          '838:59:59.000000',
          2155, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
          '', REPEAT('v', 100), REPEAT('long text ', 1000), X'FF', '', '',
          'c', 'z,x', '[]')",
    )
    .await
    .unwrap();
    s.query_drop("INSERT INTO ty (id) VALUES (3)")
        .await
        .unwrap();
}

fn value_kind(e: Error) -> ErrorKind {
    match e {
        Error::Column(c) => c.error.kind,
        other => panic!("expected Error::Column, got {other:?}"),
    }
}

fn check_min_row(r: &Row<'_>) {
    use col::*;
    assert_eq!(r.get::<i32>(ID).unwrap(), Some(1));
    assert_eq!(r.get::<i8>(TI).unwrap(), Some(i8::MIN));
    assert_eq!(r.get::<u8>(TIU).unwrap(), Some(0));
    assert_eq!(r.get::<i16>(SI).unwrap(), Some(i16::MIN));
    assert_eq!(r.get::<u16>(SIU).unwrap(), Some(0));
    assert_eq!(r.get::<i32>(MI).unwrap(), Some(-8_388_608));
    assert_eq!(r.get::<u32>(MIU).unwrap(), Some(0));
    assert_eq!(r.get::<i32>(I).unwrap(), Some(i32::MIN));
    assert_eq!(r.get::<u32>(IU).unwrap(), Some(0));
    assert_eq!(r.get::<i64>(BI).unwrap(), Some(i64::MIN));
    assert_eq!(r.get::<u64>(BIU).unwrap(), Some(0));
    assert_eq!(r.get::<f32>(F).unwrap(), Some(-1.5));
    assert_eq!(r.get::<f64>(F).unwrap(), Some(-1.5));
    assert_eq!(r.get::<f64>(D).unwrap(), Some(-2.5e-300));
    let de = r.get::<Decimal>(DE).unwrap().unwrap();
    assert_eq!(de.as_str(), "-12345678901234567890.0123456789");
    assert!(de.is_negative());
    assert_eq!(
        de.integer_part(),
        "12345678901234567890",
        "without the sign"
    );
    assert_eq!(de.fraction_part(), "0123456789");
    assert_eq!(de.scale(), 10);
    assert_eq!(r.get::<Date>(DT).unwrap(), Date::new(1000, 1, 1).ok());
    assert_eq!(
        r.get::<DateTime>(DTM).unwrap(),
        DateTime::new(Date::new(1000, 1, 1).unwrap(), 0, 0, 0, 0).ok()
    );
    assert_eq!(r.text(DTM).unwrap(), "1000-01-01 00:00:00.000000");
    // A DATETIME at midnight reads as a Date too.
    assert_eq!(r.get::<Date>(DTM).unwrap(), Date::new(1000, 1, 1).ok());
    assert_eq!(
        r.get::<DateTime>(TS).unwrap(),
        DateTime::new(Date::new(1970, 1, 1).unwrap(), 0, 0, 1, 0).ok()
    );
    let tm = r.get::<Time>(TM).unwrap().unwrap();
    assert_eq!(tm, Time::new(true, 838, 59, 59, 0).unwrap());
    assert_eq!(r.text(TM).unwrap(), "-838:59:59.000000");
    assert_eq!(format!("{tm:.6}"), "-838:59:59.000000");
    assert_eq!(tm.total_micros(), -(838 * 3600 + 59 * 60 + 59) * 1_000_000);
    assert_eq!(r.get::<u16>(Y).unwrap(), Some(1901));
    assert_eq!(r.get::<bool>(B1).unwrap(), Some(false));
    assert_eq!(r.bytes(B1), Some(&[0u8][..]));
    assert_eq!(r.get::<u64>(B64).unwrap(), Some(0));
    assert_eq!(r.bytes(B64), Some(&[0u8; 8][..]));
    assert_eq!(
        r.get::<&str>(C).unwrap(),
        Some("abc"),
        "CHAR trailing spaces removed"
    );
    assert_eq!(r.get::<&str>(VC).unwrap(), Some("héllo"));
    assert_eq!(r.get::<String>(TX).unwrap().as_deref(), Some(""));
    assert_eq!(r.get::<&[u8]>(BIN).unwrap(), Some(&[0u8, 1, 2, 3][..]));
    assert_eq!(r.get::<Vec<u8>>(VB).unwrap(), Some(all_bytes()));
    let rev: Vec<u8> = all_bytes().into_iter().rev().collect();
    assert_eq!(r.get::<&[u8]>(BL).unwrap(), Some(&rev[..]));
    // Bytes that are not UTF-8 are refused by the string getters.
    assert_eq!(
        value_kind(r.get::<&str>(VB).unwrap_err()),
        ErrorKind::InvalidText
    );
    assert!(r.get::<String>(BL).is_err());
    assert_eq!(r.get::<&str>(E).unwrap(), Some("a"));
    assert_eq!(r.get::<&str>(ST).unwrap(), Some(""));
    assert_eq!(r.get::<&str>(J).unwrap(), Some(JSON_TEXT));
}

fn check_max_row(r: &Row<'_>) {
    use col::*;
    assert_eq!(r.get::<i8>(TI).unwrap(), Some(i8::MAX));
    assert_eq!(r.get::<u8>(TIU).unwrap(), Some(u8::MAX));
    assert_eq!(r.get::<i16>(SI).unwrap(), Some(i16::MAX));
    assert_eq!(r.get::<u16>(SIU).unwrap(), Some(u16::MAX));
    assert_eq!(r.get::<i32>(MI).unwrap(), Some(8_388_607));
    assert_eq!(r.get::<u32>(MIU).unwrap(), Some(16_777_215));
    assert_eq!(r.get::<i32>(I).unwrap(), Some(i32::MAX));
    assert_eq!(r.get::<u32>(IU).unwrap(), Some(u32::MAX));
    assert_eq!(r.get::<i64>(BI).unwrap(), Some(i64::MAX));
    assert_eq!(r.get::<u64>(BIU).unwrap(), Some(u64::MAX));
    // Wider getters take smaller columns.
    assert_eq!(r.get::<i64>(TIU).unwrap(), Some(255));
    assert_eq!(r.get::<u64>(IU).unwrap(), Some(u64::from(u32::MAX)));
    assert_eq!(r.get::<f32>(F).unwrap(), Some(3.25));
    assert_eq!(r.get::<f64>(D).unwrap(), Some(1e308));
    // A double too large for f32 is refused, not turned into infinity.
    assert_eq!(
        value_kind(r.get::<f32>(D).unwrap_err()),
        ErrorKind::OutOfRange
    );
    assert_eq!(
        r.get::<Decimal>(DE).unwrap().unwrap().as_str(),
        "99999999999999999999.9999999999"
    );
    assert_eq!(r.get::<Date>(DT).unwrap(), Date::new(9999, 12, 31).ok());
    assert_eq!(
        r.get::<DateTime>(DTM).unwrap(),
        DateTime::new(Date::new(9999, 12, 31).unwrap(), 23, 59, 59, 999_999).ok()
    );
    assert_eq!(
        r.get::<DateTime>(TS).unwrap(),
        DateTime::new(Date::new(2038, 1, 19).unwrap(), 3, 14, 7, 999_999).ok()
    );
    assert_eq!(
        r.get::<DateTime>(TS).unwrap().unwrap().to_string(),
        "2038-01-19 03:14:07.999999"
    );
    assert_eq!(
        r.get::<Time>(TM).unwrap(),
        Time::new(false, 838, 59, 59, 0).ok()
    );
    assert_eq!(r.get::<u16>(Y).unwrap(), Some(2155));
    assert_eq!(r.get::<i32>(Y).unwrap(), Some(2155));
    assert_eq!(r.get::<bool>(B1).unwrap(), Some(true));
    assert_eq!(r.get::<u8>(B1).unwrap(), Some(1));
    assert_eq!(r.get::<u64>(B64).unwrap(), Some(u64::MAX));
    assert_eq!(r.bytes(B64), Some(&[0xFFu8; 8][..]));
    assert_eq!(
        value_kind(r.get::<i64>(B64).unwrap_err()),
        ErrorKind::OutOfRange
    );
    assert_eq!(r.get::<&str>(C).unwrap(), Some(""));
    assert_eq!(r.get::<String>(VC).unwrap(), Some("v".repeat(100)));
    assert_eq!(
        r.get::<String>(TX).unwrap(),
        Some("long text ".repeat(1000))
    );
    // BINARY(4) pads with zero bytes.
    assert_eq!(r.get::<&[u8]>(BIN).unwrap(), Some(&[0xFF, 0, 0, 0][..]));
    assert_eq!(r.get::<&[u8]>(VB).unwrap(), Some(&b""[..]));
    assert_eq!(r.get::<&str>(E).unwrap(), Some("c"));
    // SET values come back in definition order.
    assert_eq!(r.get::<&str>(ST).unwrap(), Some("x,z"));
    assert_eq!(r.get::<&str>(J).unwrap(), Some("[]"));
}

fn check_null_row(r: &Row<'_>) {
    assert_eq!(r.get::<i32>(col::ID).unwrap(), Some(3));
    for i in 1..=col::J {
        assert!(r.is_null(i), "column {i}");
        assert!(r.bytes(i).is_none());
        assert_eq!(r.get::<i64>(i).unwrap(), None, "column {i}");
        assert_eq!(r.get::<Date>(i).unwrap(), None, "column {i}");
        assert_eq!(r.get::<&str>(i).unwrap(), None, "column {i}");
    }
}

#[tokio::test]
async fn every_supported_type_reads_back_exactly() {
    for eof in Wire::ALL {
        let mut s = connect(eof).await;
        fill(&mut s).await;
        let mut r = s.query("SELECT * FROM ty ORDER BY id").await.unwrap();
        assert_eq!(r.columns().len(), col::J + 1);
        check_min_row(&r.next_row().await.unwrap().unwrap());
        check_max_row(&r.next_row().await.unwrap().unwrap());
        check_null_row(&r.next_row().await.unwrap().unwrap());
        assert!(r.next_row().await.unwrap().is_none());
    }
}

#[tokio::test]
async fn column_definitions_carry_types_flags_decimals_and_charsets() {
    use col::*;
    for eof in Wire::ALL {
        let mut s = connect(eof).await;
        fill(&mut s).await;
        let r = s.query("SELECT * FROM ty WHERE 1 = 0").await.unwrap();
        let c = r.columns();
        let ty = |i: usize| c[i].column_type;
        let has = |i: usize, f: ColumnFlags| c[i].flags.contains(f);
        let expect = [
            (ID, ColumnType::LONG),
            (TI, ColumnType::TINY),
            (TIU, ColumnType::TINY),
            (SI, ColumnType::SHORT),
            (SIU, ColumnType::SHORT),
            (MI, ColumnType::INT24),
            (MIU, ColumnType::INT24),
            (I, ColumnType::LONG),
            (IU, ColumnType::LONG),
            (BI, ColumnType::LONGLONG),
            (BIU, ColumnType::LONGLONG),
            (F, ColumnType::FLOAT),
            (D, ColumnType::DOUBLE),
            (DE, ColumnType::NEWDECIMAL),
            (DT, ColumnType::DATE),
            (DTM, ColumnType::DATETIME),
            (TS, ColumnType::TIMESTAMP),
            (TM, ColumnType::TIME),
            (Y, ColumnType::YEAR),
            (B1, ColumnType::BIT),
            (B64, ColumnType::BIT),
            (C, ColumnType::STRING),
            (VC, ColumnType::VAR_STRING),
            (TX, ColumnType::BLOB),
            (BIN, ColumnType::STRING),
            (VB, ColumnType::VAR_STRING),
            (BL, ColumnType::BLOB),
            (E, ColumnType::STRING),
            (ST, ColumnType::STRING),
            (J, ColumnType::BLOB),
        ];
        for (i, t) in expect {
            assert_eq!(ty(i), t, "column {} ({i})", c[i].name());
        }
        // Names and origin.
        assert_eq!(c[TI].name(), "ti");
        assert_eq!(c[TI].org_name(), b"ti");
        assert_eq!(c[TI].table(), b"ty");
        assert_eq!(c[TI].schema(), support::DATABASE.as_bytes());
        assert_eq!(c[TI].catalog(), b"def");
        // Flags.
        assert!(has(ID, ColumnFlags::NOT_NULL) && has(ID, ColumnFlags::PRIMARY_KEY));
        assert!(!has(TI, ColumnFlags::NOT_NULL) && !has(TI, ColumnFlags::PRIMARY_KEY));
        for i in [TIU, SIU, MIU, IU, BIU] {
            assert!(has(i, ColumnFlags::UNSIGNED), "{}", c[i].name());
        }
        for i in [ID, TI, SI, MI, I, BI, F, D, DE] {
            assert!(!has(i, ColumnFlags::UNSIGNED), "{}", c[i].name());
        }
        // MariaDB marks YEAR as UNSIGNED ZEROFILL and BIT as UNSIGNED; NUM_FLAG is never sent.
        assert!(has(Y, ColumnFlags::UNSIGNED) && has(Y, ColumnFlags::ZEROFILL));
        assert!(has(B64, ColumnFlags::UNSIGNED));
        assert!(c.iter().all(|x| !x.flags.contains(ColumnFlags::NUM)));
        assert!(!has(TI, ColumnFlags::BLOB) && !has(VC, ColumnFlags::BLOB));
        assert!(has(E, ColumnFlags::ENUM));
        assert!(has(ST, ColumnFlags::SET));
        for i in [TX, BL] {
            assert!(has(i, ColumnFlags::BLOB), "{}", c[i].name());
        }
        for i in [BIN, VB, BL, DT, DTM, TM] {
            assert!(has(i, ColumnFlags::BINARY), "{}", c[i].name());
        }
        for i in [C, VC, TX, E, ST] {
            assert!(!has(i, ColumnFlags::BINARY), "{}", c[i].name());
        }
        // Decimals.
        assert_eq!(c[DE].decimals, 10);
        for i in [DTM, TS, TM] {
            assert_eq!(c[i].decimals, 6, "{}", c[i].name());
        }
        assert_eq!(c[DT].decimals, 0);
        assert_eq!(c[I].decimals, 0);
        assert_eq!(c[F].decimals, 0x1f, "FLOAT without fixed decimals");
        assert_eq!(c[D].decimals, 0x1f, "DOUBLE without fixed decimals");
        // Charsets: 63 (binary) for binary strings and numbers, the connection's for text.
        for i in [BIN, VB, BL, I, DE, DT, B64] {
            assert_eq!(c[i].charset, 63, "{}", c[i].name());
            assert!(c[i].is_binary());
        }
        for i in [C, VC, TX, E, ST, J] {
            assert_eq!(c[i].charset, 45, "{}", c[i].name());
            assert!(!c[i].is_binary());
        }
        // Lengths: bytes for the connection charset (utf8mb4: 4 per char).
        assert_eq!(c[VC].column_length, 400);
        assert_eq!(c[BIN].column_length, 4);
        assert_eq!(c[DE].column_length, 32, "precision + sign + point");
        assert_eq!(c[B64].column_length, 64);
    }
}

#[tokio::test]
async fn getters_that_do_not_fit_return_value_errors() {
    for eof in Wire::ALL {
        let mut s = connect(eof).await;
        let mut r = s
            .query(
                "SELECT 300, -1, CAST('2024-02-29 13:45:00' AS DATETIME), \
                 CAST('2024-02-29 00:00:00' AS DATETIME), 1.5, 12.000, 'abc', \
                 CAST('12:00:00' AS TIME), CAST('2024-02-29' AS DATE)",
            )
            .await
            .unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(
            value_kind(row.get::<i8>(0).unwrap_err()),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            value_kind(row.get::<u8>(0).unwrap_err()),
            ErrorKind::OutOfRange
        );
        assert_eq!(row.get::<i16>(0).unwrap(), Some(300));
        assert_eq!(
            value_kind(row.get::<u32>(1).unwrap_err()),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            value_kind(row.get::<u64>(1).unwrap_err()),
            ErrorKind::OutOfRange
        );
        assert_eq!(row.get::<i8>(1).unwrap(), Some(-1));
        // A Date from a DATETIME with a time part is refused; at midnight it is fine.
        assert_eq!(
            value_kind(row.get::<Date>(2).unwrap_err()),
            ErrorKind::InvalidValue
        );
        assert_eq!(row.get::<Date>(3).unwrap(), Date::new(2024, 2, 29).ok());
        assert_eq!(
            row.get::<DateTime>(2).unwrap(),
            DateTime::new(Date::new(2024, 2, 29).unwrap(), 13, 45, 0, 0).ok()
        );
        // Numbers from a DATETIME / TIME / DATE column are refused.
        assert_eq!(
            value_kind(row.get::<i64>(2).unwrap_err()),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            value_kind(row.get::<f64>(7).unwrap_err()),
            ErrorKind::InvalidValue
        );
        // A Time from a DATE is refused, a DateTime from a DATE is midnight.
        assert_eq!(
            value_kind(row.get::<Time>(8).unwrap_err()),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            row.get::<DateTime>(8).unwrap(),
            DateTime::new(Date::new(2024, 2, 29).unwrap(), 0, 0, 0, 0).ok()
        );
        // A fraction is not an integer; a zero fraction of a DECIMAL is.
        assert_eq!(
            value_kind(row.get::<i64>(4).unwrap_err()),
            ErrorKind::InvalidText
        );
        assert_eq!(row.get::<f64>(4).unwrap(), Some(1.5));
        assert_eq!(row.get::<Decimal>(4).unwrap().unwrap().as_str(), "1.5");
        assert_eq!(row.get::<i64>(5).unwrap(), Some(12));
        // Text that is not a number.
        assert_eq!(
            value_kind(row.get::<i32>(6).unwrap_err()),
            ErrorKind::InvalidText
        );
        assert_eq!(
            value_kind(row.get::<f64>(6).unwrap_err()),
            ErrorKind::InvalidText
        );
        assert!(matches!(row.get::<Date>(6), Err(Error::Column(_))));
        assert_eq!(
            row.get::<Time>(7).unwrap(),
            Time::new(false, 12, 0, 0, 0).ok()
        );
        drop(r);
        // The session is fine after value errors (they are local).
        assert!(!s.is_broken());
        s.ping().await.unwrap();
    }
}

#[tokio::test]
async fn fractional_and_negative_times_and_datetimes() {
    for eof in Wire::ALL {
        let mut s = connect(eof).await;
        let mut r = s
            .query(
                "SELECT CAST('-00:00:01.5' AS TIME(6)), CAST('-12:34:56.000789' AS TIME(6)), \
                 CAST('100:00:00.1' AS TIME(1)), CAST('00:00:00' AS TIME), \
                 CAST('2001-02-03 04:05:06.7' AS DATETIME(3)), CAST('838:59:59.999999' AS TIME(6))",
            )
            .await
            .unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.text(0).unwrap(), "-00:00:01.500000");
        let t = row.get::<Time>(0).unwrap().unwrap();
        assert_eq!(t, Time::new(true, 0, 0, 1, 500_000).unwrap());
        assert_eq!(t.total_micros(), -1_500_000);
        assert_eq!(t.to_string(), "-00:00:01.5");
        assert_eq!(
            row.get::<Time>(1).unwrap(),
            Time::new(true, 12, 34, 56, 789).ok()
        );
        assert_eq!(row.text(2).unwrap(), "100:00:00.1");
        assert_eq!(
            row.get::<Time>(2).unwrap(),
            Time::new(false, 100, 0, 0, 100_000).ok()
        );
        assert_eq!(
            row.get::<Time>(3).unwrap(),
            Time::new(false, 0, 0, 0, 0).ok()
        );
        assert_eq!(row.text(4).unwrap(), "2001-02-03 04:05:06.700");
        assert_eq!(
            row.get::<DateTime>(4).unwrap(),
            DateTime::new(Date::new(2001, 2, 3).unwrap(), 4, 5, 6, 700_000).ok()
        );
        assert_eq!(row.columns()[4].decimals, 3);
        assert_eq!(
            row.get::<Time>(5).unwrap(),
            Time::new(false, 838, 59, 59, 999_999).ok()
        );
    }
}

#[tokio::test]
async fn zero_dates_and_unusual_integers() {
    for eof in Wire::ALL {
        let mut s = connect(eof).await;
        s.query_drop("SET sql_mode = ''").await.unwrap();
        s.query_drop("CREATE TEMPORARY TABLE z (d DATE, dt DATETIME, zf INT(5) ZEROFILL, y YEAR)")
            .await
            .unwrap();
        s.query_drop("INSERT INTO z VALUES ('0000-00-00', '0000-00-00 00:00:00', 42, 0)")
            .await
            .unwrap();
        let mut r = s.query("SELECT d, dt, zf, y FROM z").await.unwrap();
        assert!(r.columns()[2].flags.contains(ColumnFlags::ZEROFILL));
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.text(0).unwrap(), "0000-00-00");
        let d = row.get::<Date>(0).unwrap().unwrap();
        assert!(d.is_zero());
        assert!(row.get::<DateTime>(1).unwrap().unwrap().date().is_zero());
        assert_eq!(row.text(2).unwrap(), "00042");
        assert_eq!(row.get::<u32>(2).unwrap(), Some(42));
        assert_eq!(row.text(3).unwrap(), "0000");
        assert_eq!(row.get::<u16>(3).unwrap(), Some(0));
    }
}
