//! `#[derive(FromRow)]` (feature `derive`) against the throwaway MariaDB: fields by column
//! name, renamed, optional (NULL) and defaulted (absent) fields, borrowed fields, tuple
//! structs, and errors naming the column, by both protocols.

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
use mywire::{FromRow, Options, Session};
use support::server;

#[derive(Debug, PartialEq, FromRow)]
struct User {
    id: u32,
    #[mywire(rename = "user_name")]
    name: String,
    email: Option<String>,
    #[mywire(default)]
    score: f64,
    r#type: u8,
}

#[derive(Debug, PartialEq, FromRow)]
struct Borrowed<'a> {
    name: &'a str,
    id: Option<i64>,
}

#[derive(Debug, PartialEq, FromRow)]
struct Pair(i64, Option<String>);

async fn connect() -> Session {
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap();
    s.query_drop(
        "CREATE TEMPORARY TABLE users (id INT UNSIGNED PRIMARY KEY, user_name VARCHAR(20) NOT NULL, \
         email VARCHAR(40), score DOUBLE, type TINYINT)",
    )
    .await
    .unwrap();
    s.query_drop(
        "INSERT INTO users VALUES (1, 'ann', 'ann@example.org', 2.5, 1), (2, 'bob', NULL, NULL, 2)",
    )
    .await
    .unwrap();
    s
}

#[tokio::test]
async fn derived_structs_by_name() {
    let mut s = connect().await;
    let ann = User {
        id: 1,
        name: "ann".into(),
        email: Some("ann@example.org".into()),
        score: 2.5,
        r#type: 1,
    };
    let sql = "SELECT type, score, email, user_name, id FROM users WHERE id = 1";
    assert_eq!(s.query_first::<User>(sql).await.unwrap(), Some(ann));
    assert_eq!(
        s.exec_first::<User>("SELECT * FROM users WHERE id = ?", &[&1u32])
            .await
            .unwrap()
            .map(|u| u.email),
        Some(Some("ann@example.org".into()))
    );
    // A `default` field may be absent from the result; the others may not.
    let bob: Vec<User> = s
        .query_all("SELECT id, user_name, email, type FROM users WHERE id = 2")
        .await
        .unwrap();
    assert_eq!(
        bob,
        [User {
            id: 2,
            name: "bob".into(),
            email: None,
            score: 0.0,
            r#type: 2
        }]
    );
    let e = s
        .query_all::<User>("SELECT id, user_name, type FROM users")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no column named `email`"), "{e}");
    // NULL into a non-Option, non-default field: an error naming the column, by both protocols.
    for binary in [false, true] {
        let sql = "SELECT id, user_name, email, score, type FROM users WHERE id = 2";
        let e = if binary {
            s.exec_first::<User>(sql, &[]).await.unwrap_err()
        } else {
            s.query_first::<User>(sql).await.unwrap_err()
        };
        let c = e.column_error().expect("a column error");
        assert_eq!(
            (c.index, c.name.as_str(), c.kind()),
            (3, "score", ErrorKind::UnexpectedNull)
        );
        assert_eq!(c.sql_type, "DOUBLE");
    }
    // An out-of-range value names the column too.
    let e = s
        .query_first::<User>("SELECT 1 AS id, 'x' AS user_name, NULL AS email, 300 AS type")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 3 `type` (LONG): cannot read as u8: value out of range"
    );
    s.close().await.unwrap();
}

#[tokio::test]
async fn borrowed_and_tuple_structs() {
    let mut s = connect().await;
    {
        let mut r = s
            .query("SELECT user_name AS name, id FROM users ORDER BY id")
            .await
            .unwrap();
        let mut names = Vec::new();
        while let Some(row) = r.next_row().await.unwrap() {
            let b = Borrowed::from_row(&row).unwrap();
            names.push(format!("{}:{:?}", b.name, b.id));
        }
        assert_eq!(names, ["ann:Some(1)", "bob:Some(2)"]);
    }
    let pairs: Vec<Pair> = s
        .query_all("SELECT id, email FROM users ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        pairs,
        [Pair(1, Some("ann@example.org".into())), Pair(2, None)]
    );
    s.close().await.unwrap();
}
