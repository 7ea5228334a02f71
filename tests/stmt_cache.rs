//! The statement cache and the server's limits, against the throwaway MariaDB (its own, as
//! each test binary has one): `max_prepared_stmt_count` lowered to 8 with a cache of 8 and of
//! 32, the global `Prepared_stmt_count` watched from a second session; a closed statement used
//! again (ERR 1243, not a hang), a reset one still usable; statements the server cannot prepare
//! (ERR 1295), which `query` runs.
//!
//! The tests change a server global, so they take turns (`LOCK`) and restore it when they end,
//! also by panic.

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

use std::time::{Duration, Instant};

use mywire::{Error, Options, Session};
use support::server;
use tokio::sync::Mutex;
use tokio::time::timeout;

/// One test at a time: they share the server's `max_prepared_stmt_count` and its global count.
static LOCK: Mutex<()> = Mutex::const_new(());

/// MariaDB's default `max_prepared_stmt_count`.
const DEFAULT_LIMIT: u32 = 16382;

/// Sets `max_prepared_stmt_count` and puts the default back when dropped (by the CLI, so it
/// also runs while a failed test unwinds).
struct Limit;

impl Limit {
    fn set(n: u32) -> Limit {
        server().sql(&format!("SET GLOBAL max_prepared_stmt_count = {n}"));
        Limit
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        server().sql(&format!(
            "SET GLOBAL max_prepared_stmt_count = {DEFAULT_LIMIT}"
        ));
    }
}

async fn connect(params: &str) -> Session {
    let u = format!("{}?{params}", server().url());
    Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {u}: {e}"))
}

/// The server's global `Prepared_stmt_count` (every session's statements), read by a plain
/// query (which prepares nothing).
async fn prepared_count(monitor: &mut Session) -> u64 {
    let mut r = monitor
        .query(
            "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
             WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'",
        )
        .await
        .unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    row.get::<u64>(0).unwrap().unwrap()
}

/// Waits until no statement is prepared on the server (sessions of earlier tests end
/// asynchronously on the server side).
async fn settle(monitor: &mut Session) {
    let start = Instant::now();
    loop {
        let n = prepared_count(monitor).await;
        if n == 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{n} statements still prepared"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `exec` of `SELECT ? + k`: the value it returns.
async fn exec_plus(s: &mut Session, k: usize) -> Result<i64, Error> {
    let sql = format!("SELECT ? + {k}");
    let mut r = s.exec(&sql, &[&1i64]).await?;
    let v = r.next_row().await?.expect("a row").get::<i64>(0)?.unwrap();
    assert!(r.next_row().await?.is_none());
    Ok(v)
}

/// 200 distinct statements through `exec` with a cache of `cache` and the server's limit at 8:
/// each evicts the least recently used once the cache is full, every one succeeds and the
/// server's count never goes past the limit (nor past the cache's size).
async fn two_hundred_statements(cache: u64) {
    let mut monitor = connect("").await;
    let _limit = Limit::set(8);
    settle(&mut monitor).await;
    let mut s = connect(&format!("stmt-cache={cache}")).await;
    let mut peak = 0;
    for k in 0..200 {
        let v = exec_plus(&mut s, k)
            .await
            .unwrap_or_else(|e| panic!("statement {k}: {e}"));
        assert_eq!(v, 1 + k as i64);
        let n = prepared_count(&mut monitor).await;
        assert!(n <= cache, "after statement {k}: {n} prepared");
        peak = peak.max(n);
    }
    assert_eq!(peak, cache);
    assert_eq!(s.engine().cached_statements() as u64, cache);
    // The cached ones (the last `cache`) still run, without preparing again.
    for k in 200 - cache as usize..200 {
        assert_eq!(exec_plus(&mut s, k).await.unwrap(), 1 + k as i64);
    }
    assert_eq!(prepared_count(&mut monitor).await, cache);
}

/// A cache one below the server's limit.
#[tokio::test]
async fn a_cache_below_the_server_limit_runs_200_statements_within_it() {
    let _turn = LOCK.lock().await;
    two_hundred_statements(7).await;
}

/// A cache exactly as large as the server's limit: `exec` closes the least recently used
/// statement before it prepares the next, so the server never holds more than 8 (before that
/// fix, the 9th prepare got "ERROR 1461 (42000): Can't create more than
/// max_prepared_stmt_count statements (current value: 8)").
#[tokio::test]
async fn a_cache_of_the_server_limit_runs_200_statements_within_it() {
    let _turn = LOCK.lock().await;
    two_hundred_statements(8).await;
}

/// A cache larger than the server allows: the prepare past the limit gets the server's ERR
/// 1461 through `exec`, and the session (and its cached statements) go on working.
#[tokio::test]
async fn a_cache_over_the_server_limit_gets_error_1461_and_stays_usable() {
    let _turn = LOCK.lock().await;
    let mut monitor = connect("").await;
    let _limit = Limit::set(8);
    settle(&mut monitor).await;
    let mut s = connect("stmt-cache=32").await;
    for k in 0..8 {
        assert_eq!(exec_plus(&mut s, k).await.unwrap(), 1 + k as i64);
    }
    assert_eq!(prepared_count(&mut monitor).await, 8);
    for k in 8..11 {
        match exec_plus(&mut s, k).await {
            Err(Error::Server(e)) => {
                assert_eq!(e.code, 1461, "{e}");
                assert_eq!(e.sql_state, "42000", "{e}");
                assert!(e.message.contains("max_prepared_stmt_count"), "{e}");
            }
            other => panic!("statement {k}: {other:?}"),
        }
    }
    assert!(!s.is_broken());
    assert_eq!(s.engine().cached_statements(), 8);
    assert_eq!(prepared_count(&mut monitor).await, 8);
    // Usable: a ping, a query, and the cached statements.
    s.ping().await.unwrap();
    assert_eq!(s.query_drop("DO 1").await.unwrap().affected_rows, 0);
    for k in 0..8 {
        assert_eq!(exec_plus(&mut s, k).await.unwrap(), 1 + k as i64);
    }
    // Room again (the limit raised): the refused statement now prepares.
    drop(_limit);
    assert_eq!(exec_plus(&mut s, 8).await.unwrap(), 9);
    assert_eq!(s.engine().cached_statements(), 9);
}

/// A statement used after `close_statement` is the server's ERR 1243 (unknown statement
/// handler), promptly; after `reset_statement` a statement is still usable.
#[tokio::test]
async fn a_closed_statement_is_error_1243_and_a_reset_one_runs() {
    let _turn = LOCK.lock().await;
    let mut s = connect("").await;
    let st = s.prepare("SELECT ? * 2").await.unwrap();
    for round in 0..3 {
        let mut r = s.execute(&st, &[&21i32]).await.unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), Some(42), "round {round}");
        drop(r);
        s.reset_statement(&st).await.unwrap();
    }
    // Reset with a long value sent ahead and a result left unread.
    let long = "y".repeat(mywire::proto::LONG_DATA_THRESHOLD + 1);
    let st2 = s.prepare("SELECT LENGTH(?)").await.unwrap();
    drop(s.execute(&st2, &[&long]).await.unwrap());
    s.reset_statement(&st2).await.unwrap();
    let mut r = s.execute(&st2, &[&"abc"]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), Some(3));
    drop(r);

    let copy = st.clone();
    s.close_statement(st).await.unwrap();
    let limit = Duration::from_secs(10);
    let e = timeout(limit, s.execute(&copy, &[&1i32]))
        .await
        .expect("execute of a closed statement hung");
    match e {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1243, "{e}");
            assert!(e.message.contains("mysqld_stmt_execute"), "{e}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    let e = timeout(limit, s.reset_statement(&copy))
        .await
        .expect("reset of a closed statement hung");
    match e {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1243, "{e}");
            assert!(e.message.contains("mysqld_stmt_reset"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Closing it again: COM_STMT_CLOSE has no answer, so nothing to report; still usable.
    s.close_statement(copy).await.unwrap();
    s.ping().await.unwrap();
    let mut r = s.execute(&st2, &[&"abcd"]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), Some(4));
}

/// Statements MariaDB 10.11 refuses to prepare (probed: PREPARE, EXECUTE, DEALLOCATE
/// PREPARE, EXECUTE IMMEDIATE) are ERR 1295; the session stays usable and `query` runs them.
#[tokio::test]
async fn statements_that_cannot_be_prepared_are_error_1295() {
    let _turn = LOCK.lock().await;
    let mut s = connect("").await;
    let refused = [
        "PREPARE p1 FROM 'SELECT 1'",
        "EXECUTE p1",
        "DEALLOCATE PREPARE p1",
        "EXECUTE IMMEDIATE 'SELECT 1'",
    ];
    for sql in refused {
        for via_exec in [false, true] {
            let e = if via_exec {
                s.exec(sql, &[]).await.map(|_| ()).unwrap_err()
            } else {
                s.prepare(sql).await.map(|_| ()).unwrap_err()
            };
            let Error::Server(se) = &e else {
                panic!("{sql}: {e:?}")
            };
            assert_eq!(se.code, 1295, "{sql}: {e}");
            // The session says that the server cannot prepare it and that `query` runs it.
            let text = e.to_string();
            assert!(
                text.contains("cannot prepare this statement") && text.contains("`query`"),
                "{text}"
            );
            assert!(!s.is_broken());
            assert_eq!(s.engine().cached_statements(), 0, "{sql}: nothing cached");
        }
    }
    // The text protocol runs them.
    s.query_drop("PREPARE p1 FROM 'SELECT 6 * 7'")
        .await
        .unwrap();
    let mut r = s.query("EXECUTE p1").await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), Some(42));
    drop(r);
    s.query_drop("DEALLOCATE PREPARE p1").await.unwrap();
    let mut r = s.query("EXECUTE IMMEDIATE 'SELECT 5'").await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), Some(5));
}
