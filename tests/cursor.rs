//! Server-side cursors against the throwaway MariaDB: `execute_cursor` and the `fetch-size`
//! option fetch a result in batches (COM_STMT_FETCH counted on the wire), in both EOF modes
//! and both sessions; an empty result, a statement without a result set, and a cursor result
//! abandoned half-read.

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

use mywire::{Options, Session, ToParam};
use support::commands::{connect_logged, CommandLog};
use support::server;

const FETCH: u8 = 0x1c;

async fn connect(extra: &str) -> (Session, CommandLog) {
    connect_logged(extra).await
}

#[tokio::test]
async fn a_cursor_fetches_the_result_in_batches() {
    for eof in [true, false] {
        let (mut s, t) = connect(&format!("deprecate-eof={eof}")).await;
        let st = s
            .prepare("SELECT seq, CONCAT('row-', seq) FROM seq_1_to_10000 WHERE seq > ?")
            .await
            .unwrap();
        t.take_count(FETCH);
        let mut r = s.execute_cursor(&st, &[&0i32], 300).await.unwrap();
        assert_eq!(r.columns().len(), 2);
        let (mut n, mut sum) = (0u64, 0i64);
        while let Some(row) = r.next_row().await.unwrap() {
            let v = row.get::<i64>(0).unwrap().unwrap();
            assert_eq!(row.get::<String>(1).unwrap().unwrap(), format!("row-{v}"));
            n += 1;
            sum += v;
        }
        assert!(!r.has_more_results());
        drop(r);
        assert_eq!((n, sum), (10_000, 10_000 * 10_001 / 2), "eof={eof}");
        // 10,000 rows 300 at a time: 34 fetches (the last one ends the cursor).
        assert_eq!(t.take_count(FETCH), 34, "eof={eof}");
        // The statement runs again, with and without a cursor.
        let mut r = s.execute_cursor(&st, &[&9_990i32], 3).await.unwrap();
        let mut got = Vec::new();
        while let Some(row) = r.next_row().await.unwrap() {
            got.push(row.get::<i64>(0).unwrap().unwrap());
        }
        drop(r);
        assert_eq!(got, (9_991..=10_000).collect::<Vec<_>>());
        assert_eq!(t.take_count(FETCH), 4);
        let mut r = s.execute(&st, &[&9_998i32]).await.unwrap();
        let mut n = 0;
        while r.next_row().await.unwrap().is_some() {
            n += 1;
        }
        drop(r);
        assert_eq!(n, 2);
        assert_eq!(t.take_count(FETCH), 0);
    }
}

#[tokio::test]
async fn empty_results_statements_without_rows_and_abandoned_cursors() {
    let (mut s, t) = connect("").await;
    let st = s
        .prepare("SELECT seq FROM seq_1_to_1000 WHERE seq > ?")
        .await
        .unwrap();
    let mut r = s.execute_cursor(&st, &[&5_000i32], 10).await.unwrap();
    assert!(r.next_row().await.unwrap().is_none());
    drop(r);
    // A statement without a result set answers with its OK.
    s.query_drop("CREATE TEMPORARY TABLE cur_t (a INT)")
        .await
        .unwrap();
    let ins = s
        .prepare("INSERT INTO cur_t VALUES (?), (?)")
        .await
        .unwrap();
    let r = s.execute_cursor(&ins, &[&1i32, &2i32], 10).await.unwrap();
    assert_eq!(r.affected_rows(), 2);
    drop(r);
    // Half-read: the rest is not fetched; the next command works, and so does the statement.
    t.take_count(FETCH);
    let mut r = s.execute_cursor(&st, &[&0i32], 10).await.unwrap();
    for _ in 0..15 {
        r.next_row().await.unwrap().unwrap();
    }
    drop(r);
    let mut r = s.query("SELECT COUNT(*) FROM cur_t").await.unwrap();
    assert_eq!(
        r.next_row().await.unwrap().unwrap().get::<i64>(0).unwrap(),
        Some(2)
    );
    drop(r);
    assert_eq!(t.take_count(FETCH), 2, "only the batches that were read");
    let mut r = s.execute_cursor(&st, &[&990i32], 4).await.unwrap();
    let mut n = 0;
    while r.next_row().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 10);
}

#[tokio::test]
async fn the_fetch_size_option_turns_cursors_on_for_exec() {
    let (mut s, t) = connect("fetch-size=64").await;
    let sql = "SELECT seq FROM seq_1_to_1000 WHERE seq % ? = 0";
    for _ in 0..2 {
        let mut r = s.exec(sql, &[&2i32 as &dyn ToParam]).await.unwrap();
        let mut n = 0;
        while r.next_row().await.unwrap().is_some() {
            n += 1;
        }
        drop(r);
        assert_eq!(n, 500);
        assert_eq!(t.take_count(FETCH), 8);
    }
    assert!(Options::from_url("mysql://h/?fetch-size=x").is_err());
}

#[test]
fn the_blocking_session_fetches_with_a_cursor() {
    let u = format!("{}?deprecate-eof=false", server().url());
    let mut s =
        mywire::session::blocking::Session::connect(Options::from_url(&u).unwrap()).unwrap();
    let st = s.prepare("SELECT seq FROM seq_1_to_5000").unwrap();
    let mut r = s.execute_cursor(&st, &[], 1000).unwrap();
    let mut sum = 0i64;
    while let Some(row) = r.next_row().unwrap() {
        sum += row.get::<i64>(0).unwrap().unwrap();
    }
    assert_eq!(sum, 5000 * 5001 / 2);
}
