//! The `rust_decimal`, `bigdecimal`, `serde_json` and `uuid` features against the throwaway
//! MariaDB: each type read from its columns by both protocols (the same value, or the same
//! error naming the column), and sent as a parameter into a typed column and read back.

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
mod values;

use std::str::FromStr;

use values::{connect, read, refused, round_trip};

#[tokio::test]
async fn decimals_both_ways() {
    use bigdecimal::BigDecimal;
    use rust_decimal::Decimal;
    let mut s = connect().await;
    let d = Decimal::from_str("-12345678901234567890.123456789").unwrap();
    assert_eq!(
        read::<Decimal>(
            &mut s,
            "SELECT CAST('-12345678901234567890.123456789' AS DECIMAL(30,9))"
        )
        .await,
        Some(d)
    );
    // Integers read as decimals too (as the crate's own Decimal does).
    assert_eq!(
        read::<Decimal>(&mut s, "SELECT 42").await,
        Some(Decimal::from(42))
    );
    // 65 digits do not fit rust_decimal's 96 bits: an error, never a rounded value.
    let wide = format!("SELECT CAST('{}' AS DECIMAL(65,0)) AS wide", "9".repeat(65));
    let e = refused::<Decimal>(&mut s, &wide).await;
    assert_eq!(
        e,
        "column 0 `wide` (NEWDECIMAL): cannot read as rust_decimal::Decimal: value out of range"
    );
    // BigDecimal has no limit.
    assert_eq!(
        read::<BigDecimal>(&mut s, &wide).await,
        Some(BigDecimal::from_str(&"9".repeat(65)).unwrap())
    );
    let tiny = "SELECT CAST('-0.000000000000000000000000000001' AS DECIMAL(65,30)) AS tiny";
    assert_eq!(
        read::<BigDecimal>(&mut s, tiny).await,
        Some(BigDecimal::from_str("-1e-30").unwrap())
    );
    // A float column is not a decimal (as the crate's own Decimal refuses it).
    let e = refused::<Decimal>(&mut s, "SELECT CAST(1.5 AS DOUBLE) AS f").await;
    assert!(
        e.contains("`f` (DOUBLE): cannot read as rust_decimal::Decimal: invalid value"),
        "{e}"
    );

    assert_eq!(
        round_trip::<_, Decimal>(&mut s, &d, "DECIMAL(30,9)").await,
        ("-12345678901234567890.123456789".into(), d)
    );
    let big = BigDecimal::from_str("1e40").unwrap();
    let (text, back) = round_trip::<_, BigDecimal>(&mut s, &big, "DECIMAL(65,2)").await;
    assert_eq!(text, format!("1{}.00", "0".repeat(40)));
    assert_eq!(back, big);
    s.close().await.unwrap();
}

#[tokio::test]
async fn json_both_ways() {
    use serde_json::{json, Value};
    let mut s = connect().await;
    assert_eq!(
        read::<Value>(
            &mut s,
            "SELECT JSON_OBJECT('a', 1, 'b', JSON_ARRAY(true, NULL, 'x'))"
        )
        .await,
        Some(json!({"a": 1, "b": [true, null, "x"]}))
    );
    assert_eq!(read::<Value>(&mut s, "SELECT 7").await, Some(json!(7)));
    let e = refused::<Value>(&mut s, "SELECT 'not json' AS j").await;
    assert!(
        e.contains("`j` (VAR_STRING): cannot read as serde_json::Value: invalid text"),
        "{e}"
    );

    let v = json!({"k": [1, 2.5, "é"], "n": null});
    let (text, back) = round_trip::<_, Value>(&mut s, &v, "JSON").await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    assert_eq!(back, v);
    // The server checks what it stores: JSON is a LONGTEXT with a JSON_VALID check.
    assert_eq!(
        read::<i64>(&mut s, "SELECT JSON_VALID(v) FROM rt").await,
        Some(1)
    );
    s.close().await.unwrap();
}

#[tokio::test]
async fn uuid_both_ways() {
    use uuid::Uuid;
    let mut s = connect().await;
    let u = Uuid::parse_str("0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f").unwrap();
    assert_eq!(
        read::<Uuid>(&mut s, "SELECT '0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f'").await,
        Some(u)
    );
    assert_eq!(
        read::<Uuid>(&mut s, "SELECT UNHEX('0e5a6c3e8b9b4d4c9f1e2a3b4c5d6e7f')").await,
        Some(u)
    );
    assert_eq!(
        read::<Uuid>(
            &mut s,
            "SELECT CAST('0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f' AS UUID)"
        )
        .await,
        Some(u)
    );
    // 16 characters of a text column are not 16 raw bytes.
    let e = refused::<Uuid>(&mut s, "SELECT 'abcdefghijklmnop' AS u").await;
    assert!(
        e.contains("`u` (VAR_STRING): cannot read as uuid::Uuid: invalid text"),
        "{e}"
    );
    let e = refused::<Uuid>(&mut s, "SELECT 5 AS u").await;
    assert!(
        e.contains("`u` (LONG): cannot read as uuid::Uuid: invalid value"),
        "{e}"
    );

    // Uuid goes as 16 bytes (BINARY(16)), Hyphenated as 36 characters (CHAR(36), UUID).
    let (_, back) = round_trip::<_, Uuid>(&mut s, &u, "BINARY(16)").await;
    assert_eq!(back, u);
    assert_eq!(
        read::<String>(&mut s, "SELECT LOWER(HEX(v)) FROM rt")
            .await
            .unwrap(),
        u.simple().to_string()
    );
    let (text, back) = round_trip::<_, Uuid>(&mut s, &u.hyphenated(), "CHAR(36)").await;
    assert_eq!(
        (text.as_str(), back),
        ("0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f", u)
    );
    let (text, back) =
        round_trip::<_, uuid::fmt::Hyphenated>(&mut s, &u.hyphenated(), "UUID").await;
    assert_eq!(
        (text.as_str(), back),
        ("0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f", u.hyphenated())
    );
    s.close().await.unwrap();
}
