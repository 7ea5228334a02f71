//! Rows read whole, against the throwaway MariaDB: `get` by index or by name, `get_by_name`,
//! `Row::to_owned`, `FromRow` for tuples (and `#[derive(FromRow)]` with the `derive`
//! feature), the `query_*` / `exec_*` / `execute_*` helpers of both sessions, and errors that
//! name the column, its SQL type and the Rust type asked for, by either protocol.

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

use mywire::codec::ErrorKind;
use mywire::{Error, Options, OwnedRow, Session};
use support::server;

async fn connect() -> Session {
    Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap()
}

const ROW: &str = "SELECT 7 AS id, 'ann' AS Name, NULL AS note, CAST(-5 AS SIGNED) AS n, \
                   TIME'30:00:00' AS t";

#[tokio::test]
async fn get_by_index_or_name_in_both_protocols() {
    let mut s = connect().await;
    let stmt = s.prepare(ROW).await.unwrap();
    for binary in [false, true] {
        let mut r = if binary {
            s.execute(&stmt, &[]).await.unwrap()
        } else {
            s.query(ROW).await.unwrap()
        };
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.is_binary(), binary);
        assert_eq!(row.get::<i64>(0).unwrap(), Some(7));
        assert_eq!(row.get::<i64>("id").unwrap(), Some(7));
        assert_eq!(row.get_by_name::<&str>("Name").unwrap(), Some("ann"));
        // Names compare exactly first, then ignoring ASCII case.
        assert_eq!(row.get::<String>("name").unwrap().as_deref(), Some("ann"));
        assert_eq!(
            row.get::<String>(&String::from("NAME")).unwrap().as_deref(),
            Some("ann")
        );
        assert_eq!(row.get::<i64>("note").unwrap(), None);
        assert_eq!(row.column_index("t"), Some(4));
        assert_eq!(row.column_index("nope"), None);
        // `value`: the type says what NULL is.
        assert_eq!(row.value::<Option<i64>>("note").unwrap(), None);
        let e = row.value::<i64>("note").unwrap_err();
        let c = e.column_error().expect("a column error");
        assert_eq!((c.index, c.name.as_str()), (2, "note"));
        assert_eq!(c.kind(), ErrorKind::UnexpectedNull);
        assert_eq!(c.rust_type(), "i64");

        // An unknown name or index is a usage error that says what there is.
        let e = row.get::<i64>("nope").unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e:?}");
        assert!(e.to_string().contains("id, Name, note, n, t"), "{e}");
        assert!(matches!(row.get::<i64>(9), Err(Error::Usage(_))));

        // A wrong type or an out-of-range value names the column, its SQL type and the
        // Rust type, never a wrong value.
        let e = row.get::<u64>("n").unwrap_err();
        let c = e.column_error().expect("a column error");
        assert_eq!(
            (c.index, c.name.as_str(), c.sql_type.as_str()),
            (3, "n", "LONG")
        );
        assert_eq!((c.rust_type(), c.kind()), ("u64", ErrorKind::OutOfRange));
        assert_eq!(e.kind(), mywire::ErrorKind::Value);
        assert_eq!(
            e.to_string(),
            "column 3 `n` (LONG): cannot read as u64: value out of range"
        );
        let e = row.get::<i64>("t").unwrap_err();
        let c = e.column_error().unwrap();
        assert_eq!(
            (c.sql_type.as_str(), c.kind()),
            ("TIME", ErrorKind::InvalidValue)
        );
        drop(r);
    }
    s.close().await.unwrap();
}

#[tokio::test]
async fn owned_rows_outlive_their_result() {
    let mut s = connect().await;
    let stmt = s
        .prepare("SELECT seq AS k, CONCAT('v', seq) AS v FROM seq_1_to_3")
        .await
        .unwrap();
    let mut kept: Vec<OwnedRow> = Vec::new();
    {
        let mut r = s
            .query("SELECT seq AS k, CONCAT('v', seq) AS v FROM seq_1_to_3")
            .await
            .unwrap();
        while let Some(row) = r.next_row().await.unwrap() {
            kept.push(row.to_owned());
        }
    }
    kept.extend(s.execute_all::<OwnedRow>(&stmt, &[]).await.unwrap());
    // The session has moved on; the rows are still whole.
    s.query_drop("SELECT 'something else'").await.unwrap();
    assert_eq!(kept.len(), 6);
    for (n, row) in kept.iter().enumerate() {
        let k = u64::try_from(n % 3 + 1).unwrap();
        assert_eq!(row.get::<u64>("k").unwrap(), Some(k));
        assert_eq!(
            row.get_by_name::<&str>("v").unwrap(),
            Some(&*format!("v{k}"))
        );
        assert_eq!(row.value::<String>(1).unwrap(), format!("v{k}"));
        assert_eq!(row.row().is_binary(), n >= 3);
        assert_eq!(row.len(), 2);
        assert_eq!(row.columns()[1].name(), "v");
    }
    s.close().await.unwrap();
}

#[tokio::test]
async fn tuples_and_the_helpers() {
    let mut s = connect().await;
    s.query_drop("CREATE TEMPORARY TABLE p (id INT PRIMARY KEY, name VARCHAR(20), score DOUBLE)")
        .await
        .unwrap();
    s.query_drop("INSERT INTO p VALUES (1, 'ann', 1.5), (2, NULL, 2.5), (3, 'cy', NULL)")
        .await
        .unwrap();

    let all: Vec<(i32, Option<String>, Option<f64>)> =
        s.query_all("SELECT * FROM p ORDER BY id").await.unwrap();
    assert_eq!(
        all,
        vec![
            (1, Some("ann".into()), Some(1.5)),
            (2, None, Some(2.5)),
            (3, Some("cy".into()), None),
        ]
    );
    let first: Option<(i64,)> = s.query_first("SELECT COUNT(*) FROM p").await.unwrap();
    assert_eq!(first, Some((3,)));
    let none: Option<(i64,)> = s
        .query_first("SELECT id FROM p WHERE id > 9")
        .await
        .unwrap();
    assert_eq!(none, None);
    // An OK response has no rows.
    let ok: Vec<(i64,)> = s.query_all("DO 1").await.unwrap();
    assert!(ok.is_empty());
    let names = s
        .query_map("SELECT id, name FROM p ORDER BY id", |r| {
            Ok(format!(
                "{}={}",
                r.value::<i64>(0)?,
                r.get::<&str>(1)?.unwrap_or("-")
            ))
        })
        .await
        .unwrap();
    assert_eq!(names, ["1=ann", "2=-", "3=cy"]);

    // A tuple of the wrong width, or NULL into a non-Option element, is an error.
    let e = s
        .query_all::<(i32, String)>("SELECT * FROM p")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    let e = s
        .query_all::<(i32, String)>("SELECT id, name FROM p ORDER BY id")
        .await
        .unwrap_err();
    let c = e.column_error().unwrap();
    assert_eq!(
        (c.index, c.name.as_str(), c.kind()),
        (1, "name", ErrorKind::UnexpectedNull)
    );
    assert_eq!(c.sql_type, "VAR_STRING");
    // The session is still usable after a failed helper (the rest was drained).
    assert_eq!(
        s.query_first::<(i32,)>("SELECT 5").await.unwrap(),
        Some((5,))
    );
    // An error of a later statement of the same query is returned by the helper.
    let mut multi = Session::connect(
        Options::from_url(&format!("{}?multi-statements=true", server().url())).unwrap(),
    )
    .await
    .unwrap();
    let e = multi
        .query_all::<(i32,)>("SELECT 1; SELECT * FROM no_such_table")
        .await
        .unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1146), "{e}");
    multi.close().await.unwrap();

    // exec_* (cached prepared statements) and execute_*: binary rows, same values.
    let sql = "SELECT id, name, score FROM p WHERE id >= ? ORDER BY id";
    let all2: Vec<(i32, Option<String>, Option<f64>)> = s.exec_all(sql, &[&1i32]).await.unwrap();
    assert_eq!(all2, all);
    let first: Option<(i32, Option<String>, Option<f64>)> =
        s.exec_first(sql, &[&3i32]).await.unwrap();
    assert_eq!(first, Some((3, Some("cy".into()), None)));
    let ids = s
        .exec_map(sql, &[&2i32], |r| r.value::<i32>("id"))
        .await
        .unwrap();
    assert_eq!(ids, [2, 3]);
    let stmt = s.prepare(sql).await.unwrap();
    assert_eq!(
        s.execute_all::<(i32, Option<String>, Option<f64>)>(&stmt, &[&1i32])
            .await
            .unwrap(),
        all
    );
    assert_eq!(
        s.execute_first::<(i32, Option<String>, Option<f64>)>(&stmt, &[&2i32])
            .await
            .unwrap(),
        Some((2, None, Some(2.5)))
    );
    let scores = s
        .execute_map(&stmt, &[&1i32], |r| r.get::<f64>("score"))
        .await
        .unwrap();
    assert_eq!(scores, [Some(1.5), Some(2.5), None]);
    s.close().await.unwrap();
}

#[test]
fn blocking_helpers() {
    use mywire::session::blocking::Session;
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap()).unwrap();
    let all: Vec<(u64, String)> = s
        .query_all("SELECT seq, CONCAT('r', seq) FROM seq_1_to_3")
        .unwrap();
    assert_eq!(all, [(1, "r1".into()), (2, "r2".into()), (3, "r3".into())]);
    assert_eq!(s.query_first::<(u64,)>("SELECT 9").unwrap(), Some((9,)));
    let v = s
        .query_map("SELECT seq AS x FROM seq_1_to_2", |r| r.value::<u64>("x"))
        .unwrap();
    assert_eq!(v, [1, 2]);
    let sql = "SELECT ? + 1 AS y";
    assert_eq!(s.exec_first::<(i64,)>(sql, &[&41i64]).unwrap(), Some((42,)));
    assert_eq!(s.exec_all::<(i64,)>(sql, &[&1i64]).unwrap(), [(2,)]);
    assert_eq!(
        s.exec_map(sql, &[&2i64], |r| r.value::<i64>("y")).unwrap(),
        [3]
    );
    let stmt = s.prepare(sql).unwrap();
    assert_eq!(
        s.execute_first::<(i64,)>(&stmt, &[&5i64]).unwrap(),
        Some((6,))
    );
    assert_eq!(s.execute_all::<(i64,)>(&stmt, &[&6i64]).unwrap(), [(7,)]);
    assert_eq!(
        s.execute_map(&stmt, &[&7i64], |r| r.value::<i64>(0))
            .unwrap(),
        [8]
    );
    let e = s.query_first::<(u8,)>("SELECT 300 AS big").unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 0 `big` (LONG): cannot read as u8: value out of range"
    );
    s.close().unwrap();
}
