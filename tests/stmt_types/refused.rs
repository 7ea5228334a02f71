//! Getters that cannot hold a value fail, by both protocols alike, with the same error kind:
//! never a wrong value (2^64 - 1 into an `i64`, a TIME into a date).

use mywire::codec::value::{Date, DateTime, FromValue, Time};
use mywire::codec::ErrorKind;
use mywire::proto::Row;
use mywire::{Error, Session, ToParam};

use super::connect;
/// The error kind `T`'s getter gives for cell 0, or None if it gave a value.
fn kind<T: for<'a> FromValue<'a>>(row: &Row<'_>) -> Option<ErrorKind> {
    match row.get::<T>(0) {
        Ok(v) => v.map(|_| None).expect("not NULL"),
        Err(Error::Column(e)) => Some(e.error.kind),
        Err(e) => panic!("not a value error: {e}"),
    }
}

type KindOf = fn(&Row<'_>) -> Option<ErrorKind>;

/// Inserts `value` into a `column` and reads it with each getter by both protocols: each
/// must fail with `want` in both, never give a value.
async fn refused(
    s: &mut Session,
    column: &str,
    value: &dyn ToParam,
    getters: &[(&str, KindOf)],
    want: ErrorKind,
) {
    s.query_drop("DROP TEMPORARY TABLE IF EXISTS oor")
        .await
        .unwrap();
    s.query_drop(&format!("CREATE TEMPORARY TABLE oor (v {column})"))
        .await
        .unwrap();
    let ins = s.prepare("INSERT INTO oor VALUES (?)").await.unwrap();
    drop(s.execute(&ins, &[value]).await.unwrap());
    let sql = "SELECT v FROM oor";
    let sel = s.prepare(sql).await.unwrap();
    for binary in [false, true] {
        let mut r = if binary {
            s.execute(&sel, &[]).await.unwrap()
        } else {
            s.query(sql).await.unwrap()
        };
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.is_binary(), binary);
        for (name, k) in getters {
            assert_eq!(k(&row), Some(want), "{column} as {name}, binary {binary}");
        }
    }
}

#[tokio::test]
async fn out_of_range_reads_are_errors_by_both_protocols() {
    let mut s = connect().await;
    use ErrorKind::{InvalidValue, OutOfRange};
    let narrow: &[(&str, KindOf)] = &[
        ("i64", kind::<i64>),
        ("i32", kind::<i32>),
        ("i8", kind::<i8>),
        ("u32", kind::<u32>),
        ("u8", kind::<u8>),
    ];
    // 2^64 - 1 fits no getter but u64 (and the floats, rounded).
    refused(&mut s, "BIGINT UNSIGNED", &u64::MAX, narrow, OutOfRange).await;
    refused(
        &mut s,
        "BIGINT UNSIGNED",
        &(1u64 << 63),
        &narrow[..1],
        OutOfRange,
    )
    .await;
    let unsigned: &[(&str, KindOf)] = &[
        ("u64", kind::<u64>),
        ("u32", kind::<u32>),
        ("u16", kind::<u16>),
        ("u8", kind::<u8>),
        ("i32", kind::<i32>),
    ];
    refused(&mut s, "BIGINT", &i64::MIN, unsigned, OutOfRange).await;
    refused(&mut s, "TINYINT", &-1i8, &unsigned[..4], OutOfRange).await;
    refused(
        &mut s,
        "TINYINT UNSIGNED",
        &255u8,
        &[("i8", kind::<i8>)],
        OutOfRange,
    )
    .await;
    refused(
        &mut s,
        "SMALLINT UNSIGNED",
        &65535u16,
        &[("i16", kind::<i16>), ("i8", kind::<i8>)],
        OutOfRange,
    )
    .await;
    refused(
        &mut s,
        "MEDIUMINT",
        &-8_388_608i32,
        &[("i16", kind::<i16>), ("u32", kind::<u32>)],
        OutOfRange,
    )
    .await;
    refused(
        &mut s,
        "INT UNSIGNED",
        &u32::MAX,
        &[("i32", kind::<i32>)],
        OutOfRange,
    )
    .await;
    refused(
        &mut s,
        "DOUBLE",
        &f64::MAX,
        &[("f32", kind::<f32>)],
        OutOfRange,
    )
    .await;
    // A type that does not fit the getter at all.
    let t = Time::new(true, 838, 59, 59, 999_999).unwrap();
    let not_time: &[(&str, KindOf)] = &[
        ("i64", kind::<i64>),
        ("f64", kind::<f64>),
        ("date", kind::<Date>),
        ("datetime", kind::<DateTime>),
    ];
    refused(&mut s, "TIME(6)", &t, not_time, InvalidValue).await;
    let noon = DateTime::new(Date::new(2024, 2, 29).unwrap(), 12, 0, 0, 0).unwrap();
    refused(
        &mut s,
        "DATETIME(6)",
        &noon,
        &[
            ("date", kind::<Date>),
            ("time", kind::<Time>),
            ("i64", kind::<i64>),
        ],
        InvalidValue,
    )
    .await;
}
