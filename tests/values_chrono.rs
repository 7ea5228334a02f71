//! The `chrono` and `time` features against the throwaway MariaDB: each type read from its
//! columns by both protocols (the same value, or the same error naming the column), sent as a
//! parameter into a typed column and read back; out-of-range values are errors, never wrong
//! values (a zero date, a TIME beyond 24 hours into a time of day, a year past 9999 as a
//! parameter).

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

use values::{connect, read, refused, round_trip};

#[tokio::test]
async fn chrono_both_ways() {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
    let mut s = connect().await;
    let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let dt = d.and_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    let t = NaiveTime::from_hms_micro_opt(7, 8, 9, 500_000).unwrap();

    assert_eq!(
        read::<NaiveDate>(&mut s, "SELECT DATE'2024-02-29'").await,
        Some(d)
    );
    assert_eq!(
        read::<NaiveDateTime>(&mut s, "SELECT TIMESTAMP'2024-02-29 23:59:58.123456'").await,
        Some(dt)
    );
    // A DATE reads as a datetime at midnight, as the crate's own DateTime does.
    assert_eq!(
        read::<NaiveDateTime>(&mut s, "SELECT DATE'2024-02-29'").await,
        Some(d.and_hms_opt(0, 0, 0).unwrap())
    );
    assert_eq!(
        read::<NaiveTime>(&mut s, "SELECT TIME'07:08:09.5'").await,
        Some(t)
    );
    assert_eq!(
        read::<TimeDelta>(&mut s, "SELECT TIME'-838:59:59.999999'").await,
        Some(-TimeDelta::microseconds(3_020_399_999_999))
    );
    assert_eq!(read::<NaiveDate>(&mut s, "SELECT NULL").await, None);
    // TIMESTAMP in a UTC session is UTC.
    s.query_drop("CREATE TEMPORARY TABLE ts (v TIMESTAMP(6))")
        .await
        .unwrap();
    s.query_drop("INSERT INTO ts VALUES ('2024-02-29 23:59:58.123456')")
        .await
        .unwrap();
    let utc = read::<chrono::DateTime<Utc>>(&mut s, "SELECT v FROM ts")
        .await
        .unwrap();
    assert_eq!(utc, dt.and_utc());
    assert_eq!(
        read::<i64>(&mut s, "SELECT FLOOR(UNIX_TIMESTAMP(v)) FROM ts").await,
        Some(utc.timestamp())
    );

    // Out of range: errors naming the column, its SQL type and the Rust type.
    let e = refused::<NaiveDate>(&mut s, "SELECT CAST('0000-00-00' AS DATE) AS zd").await;
    assert_eq!(
        e,
        "column 0 `zd` (DATE): cannot read as chrono::NaiveDate: value out of range"
    );
    let e = refused::<NaiveDateTime>(
        &mut s,
        "SELECT CAST('2024-00-10 10:00:00' AS DATETIME) AS z",
    )
    .await;
    assert!(
        e.contains("`z` (DATETIME): cannot read as chrono::NaiveDateTime: value out of range"),
        "{e}"
    );
    let e = refused::<NaiveTime>(&mut s, "SELECT TIME'24:00:00' AS long_t").await;
    assert_eq!(
        e,
        "column 0 `long_t` (TIME): cannot read as chrono::NaiveTime: value out of range"
    );
    let e = refused::<NaiveTime>(&mut s, "SELECT TIME'-00:00:01' AS neg").await;
    assert!(e.contains("value out of range"), "{e}");
    // A wrong column type.
    let e = refused::<NaiveDate>(&mut s, "SELECT 20240229 AS n").await;
    assert!(
        e.contains("`n` (LONG): cannot read as chrono::NaiveDate: invalid value"),
        "{e}"
    );

    // Parameters into typed columns, read back by both protocols.
    assert_eq!(
        round_trip::<_, NaiveDate>(&mut s, &d, "DATE").await,
        ("2024-02-29".into(), d)
    );
    assert_eq!(
        round_trip::<_, NaiveDateTime>(&mut s, &dt, "DATETIME(6)").await,
        ("2024-02-29 23:59:58.123456".into(), dt)
    );
    assert_eq!(
        round_trip::<_, chrono::DateTime<Utc>>(&mut s, &dt.and_utc(), "TIMESTAMP(6)").await,
        ("2024-02-29 23:59:58.123456".into(), dt.and_utc())
    );
    assert_eq!(
        round_trip::<_, NaiveTime>(&mut s, &t, "TIME(6)").await,
        ("07:08:09.500000".into(), t)
    );
    let long = -TimeDelta::hours(100) - TimeDelta::microseconds(1);
    assert_eq!(
        round_trip::<_, TimeDelta>(&mut s, &long, "TIME(6)").await,
        ("-100:00:00.000001".into(), long)
    );
    // A value the server's types cannot carry is refused before anything is sent.
    let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    let e = s.exec("SELECT ?", &[&far]).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter 0 (chrono::NaiveDate): value out of range; nothing was sent"
    );
    let e = s
        .exec("SELECT ?", &[&TimeDelta::hours(839)])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("chrono::TimeDelta"), "{e}");
    assert_eq!(read::<i64>(&mut s, "SELECT 1").await, Some(1));
    s.close().await.unwrap();
}

#[tokio::test]
async fn time_both_ways() {
    use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
    let mut s = connect().await;
    let d = Date::from_calendar_date(1999, Month::December, 31).unwrap();
    let t = Time::from_hms_micro(23, 59, 59, 999_999).unwrap();
    let dt = PrimitiveDateTime::new(d, t);

    assert_eq!(
        read::<Date>(&mut s, "SELECT DATE'1999-12-31'").await,
        Some(d)
    );
    assert_eq!(
        read::<PrimitiveDateTime>(&mut s, "SELECT TIMESTAMP'1999-12-31 23:59:59.999999'").await,
        Some(dt)
    );
    assert_eq!(
        read::<Time>(&mut s, "SELECT TIME'23:59:59.999999'").await,
        Some(t)
    );
    assert_eq!(
        read::<Duration>(&mut s, "SELECT TIME'-100:00:00'").await,
        Some(Duration::hours(-100))
    );
    assert_eq!(
        read::<OffsetDateTime>(&mut s, "SELECT TIMESTAMP'1999-12-31 23:59:59.999999'").await,
        Some(dt.assume_utc())
    );

    let e = refused::<Date>(&mut s, "SELECT CAST('0000-00-00' AS DATE) AS zd").await;
    assert_eq!(
        e,
        "column 0 `zd` (DATE): cannot read as time::Date: value out of range"
    );
    let e = refused::<Time>(&mut s, "SELECT TIME'25:00:00' AS t").await;
    assert_eq!(
        e,
        "column 0 `t` (TIME): cannot read as time::Time: value out of range"
    );

    assert_eq!(
        round_trip::<_, Date>(&mut s, &d, "DATE").await,
        ("1999-12-31".into(), d)
    );
    assert_eq!(
        round_trip::<_, PrimitiveDateTime>(&mut s, &dt, "DATETIME(6)").await,
        ("1999-12-31 23:59:59.999999".into(), dt)
    );
    assert_eq!(
        round_trip::<_, Time>(&mut s, &t, "TIME(6)").await,
        ("23:59:59.999999".into(), t)
    );
    assert_eq!(
        round_trip::<_, Duration>(&mut s, &Duration::seconds(-1), "TIME").await,
        ("-00:00:01".into(), Duration::seconds(-1))
    );
    // An OffsetDateTime is sent in UTC.
    let plus2 = dt.assume_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
    assert_eq!(
        round_trip::<_, OffsetDateTime>(&mut s, &plus2, "DATETIME(6)").await,
        (
            "1999-12-31 21:59:59.999999".into(),
            plus2.to_offset(UtcOffset::UTC)
        )
    );
    let far = Date::from_calendar_date(-1, Month::January, 1).unwrap();
    let e = s.exec("SELECT ?", &[&far]).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter 0 (time::Date): value out of range; nothing was sent"
    );
    s.close().await.unwrap();
}

#[tokio::test]
async fn null_into_a_feature_type_names_it() {
    let mut s = connect().await;
    let e = s
        .query_first::<(chrono::NaiveDate,)>("SELECT CAST(NULL AS DATE) AS d")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 0 `d` (DATE): NULL, which chrono::NaiveDate cannot hold (read an Option)"
    );
    let e = s
        .query_first::<(String,)>("SELECT NULL AS s")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .ends_with("NULL, which String cannot hold (read an Option)"),
        "{e}"
    );
    s.close().await.unwrap();
}
