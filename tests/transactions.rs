//! Transactions on both sessions against the throwaway MariaDB: `begin` / `commit` /
//! `rollback`, savepoints, isolation level and read-only options, and a guard dropped without
//! either (ROLLBACK sent before the session's next command). The server's session tracking
//! (`session_track_transaction_info`) and status flags confirm the state at each step, and a
//! second session confirms what was committed.

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

use mywire::codec::response::{OkPacket, SessionStateChange};
use mywire::codec::StatusFlags;
use mywire::session::{IsolationLevel, TxOptions};
use mywire::{Error, Options, Session};
use support::server;

/// A session whose OKs carry the transaction state (`STATE`: 8 characters, `T` first in an
/// explicit transaction, `_` for nothing) or characteristics.
async fn connect(track: &str) -> Session {
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap();
    s.query_drop(&format!(
        "SET SESSION session_track_transaction_info = '{track}'"
    ))
    .await
    .unwrap();
    s
}

/// The tracked transaction state of an OK, if it carried one.
fn tracked_state(ok: &OkPacket) -> Option<String> {
    ok.session_state.iter().find_map(|c| match c {
        SessionStateChange::TransactionState(s) => Some(s.clone()),
        _ => None,
    })
}

fn tracked_characteristics(ok: &OkPacket) -> Option<String> {
    ok.session_state.iter().find_map(|c| match c {
        SessionStateChange::TransactionCharacteristics(s) => Some(s.clone()),
        _ => None,
    })
}

async fn table(s: &mut Session, name: &str) {
    s.query_drop(&format!(
        "CREATE OR REPLACE TABLE {name} (id INT PRIMARY KEY) ENGINE=InnoDB"
    ))
    .await
    .unwrap();
}

async fn ids(s: &mut Session, name: &str) -> Vec<i32> {
    s.query_all::<(i32,)>(&format!("SELECT id FROM {name} ORDER BY id"))
        .await
        .unwrap()
        .into_iter()
        .map(|(i,)| i)
        .collect()
}

#[tokio::test]
async fn commit_rollback_and_savepoints() {
    let mut s = connect("STATE").await;
    let mut other = connect("OFF").await;
    table(&mut s, "t_commit").await;

    let mut tx = s.begin().await.unwrap();
    assert_eq!(tracked_state(tx.last_ok()).as_deref(), Some("T_______"));
    assert!(tx.status().contains(StatusFlags::IN_TRANS));
    assert!(tx.in_transaction());
    tx.query_drop("INSERT INTO t_commit VALUES (1)")
        .await
        .unwrap();
    // Written in the transaction: the state says so.
    assert_eq!(tracked_state(tx.last_ok()).as_deref(), Some("T___W___"));
    // Not visible elsewhere before the commit.
    assert_eq!(ids(&mut other, "t_commit").await, Vec::<i32>::new());
    // Nesting is a savepoint's job.
    let e = tx.begin().await.unwrap_err();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    tx.commit().await.unwrap();
    assert_eq!(tracked_state(s.last_ok()).as_deref(), Some("________"));
    assert!(!s.in_transaction());
    assert_eq!(ids(&mut other, "t_commit").await, [1]);

    let mut tx = s.begin().await.unwrap();
    tx.query_drop("INSERT INTO t_commit VALUES (2)")
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(tracked_state(s.last_ok()).as_deref(), Some("________"));
    assert_eq!(ids(&mut other, "t_commit").await, [1]);

    // Savepoints: undo to one, release one, names quoted as identifiers.
    let mut tx = s.begin().await.unwrap();
    tx.query_drop("INSERT INTO t_commit VALUES (3)")
        .await
        .unwrap();
    tx.savepoint("before `4`").await.unwrap();
    tx.query_drop("INSERT INTO t_commit VALUES (4)")
        .await
        .unwrap();
    tx.rollback_to("before `4`").await.unwrap();
    tx.savepoint("sp2").await.unwrap();
    tx.query_drop("INSERT INTO t_commit VALUES (5)")
        .await
        .unwrap();
    tx.release("sp2").await.unwrap();
    let e = tx.rollback_to("sp2").await.unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1305), "{e}"); // SAVEPOINT does not exist
    tx.commit().await.unwrap();
    assert_eq!(ids(&mut other, "t_commit").await, [1, 3, 5]);
    other.close().await.unwrap();
    s.close().await.unwrap();
}

#[tokio::test]
async fn a_dropped_guard_rolls_back_before_the_next_command() {
    let mut s = connect("STATE").await;
    let mut other = connect("OFF").await;
    table(&mut s, "t_drop").await;
    {
        let mut tx = s.begin().await.unwrap();
        tx.query_drop("INSERT INTO t_drop VALUES (1)")
            .await
            .unwrap();
        // Dropped: neither commit nor rollback.
    }
    // Nothing was sent yet: the server still has the transaction open.
    assert!(s.status().contains(StatusFlags::IN_TRANS));
    assert!(s.in_transaction());
    assert_eq!(tracked_state(s.last_ok()).as_deref(), Some("T___W___"));
    // The next command goes after a ROLLBACK: the row is gone, the transaction closed.
    assert_eq!(ids(&mut s, "t_drop").await, Vec::<i32>::new());
    assert!(!s.status().contains(StatusFlags::IN_TRANS));
    assert!(!s.in_transaction());
    s.query_drop("DO 1").await.unwrap();
    assert_eq!(
        tracked_state(s.last_ok()),
        None,
        "no state change after the ROLLBACK"
    );
    assert_eq!(ids(&mut other, "t_drop").await, Vec::<i32>::new());

    // A dropped guard then a new transaction: the ROLLBACK comes first, the new one starts.
    {
        let mut tx = s.begin().await.unwrap();
        tx.query_drop("INSERT INTO t_drop VALUES (2)")
            .await
            .unwrap();
    }
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tracked_state(tx.last_ok()).as_deref(), Some("T_______"));
    tx.query_drop("INSERT INTO t_drop VALUES (3)")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids(&mut other, "t_drop").await, [3]);
    other.close().await.unwrap();
    s.close().await.unwrap();
}

#[tokio::test]
async fn isolation_and_read_only() {
    let mut s = connect("CHARACTERISTICS").await;
    table(&mut s, "t_opts").await;
    let opts = TxOptions::new()
        .isolation(IsolationLevel::Serializable)
        .read_only(true)
        .consistent_snapshot();
    let mut tx = s.begin_with(opts).await.unwrap();
    // The server tracks what the transaction was started with.
    let chars = tracked_characteristics(tx.last_ok()).expect("characteristics tracked");
    assert!(
        chars.contains("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;"),
        "{chars}"
    );
    assert!(
        chars.contains("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;"),
        "{chars}"
    );
    assert!(tx.status().contains(StatusFlags::IN_TRANS_READONLY));
    let e = tx
        .query_drop("INSERT INTO t_opts VALUES (1)")
        .await
        .unwrap_err();
    // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION.
    assert_eq!(e.server_error().map(|e| e.code), Some(1792), "{e}");
    tx.commit().await.unwrap();
    assert_eq!(tracked_characteristics(s.last_ok()).as_deref(), Some(""));

    // The isolation level was for that transaction only; a read-write one writes.
    let mut tx = s
        .begin_with(
            TxOptions::new()
                .isolation(IsolationLevel::ReadCommitted)
                .read_only(false),
        )
        .await
        .unwrap();
    let chars = tracked_characteristics(tx.last_ok()).unwrap();
    assert!(
        chars.contains("READ COMMITTED") && chars.contains("READ WRITE"),
        "{chars}"
    );
    assert!(!tx.status().contains(StatusFlags::IN_TRANS_READONLY));
    tx.query_drop("INSERT INTO t_opts VALUES (1)")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let level: Option<(String,)> = s
        .query_first("SELECT @@SESSION.tx_isolation")
        .await
        .unwrap();
    assert_eq!(level, Some(("REPEATABLE-READ".into(),)));
    s.close().await.unwrap();
}

#[test]
fn blocking_transactions() {
    use mywire::session::blocking::Session;
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap()).unwrap();
    s.query_drop("SET SESSION session_track_transaction_info = 'STATE'")
        .unwrap();
    s.query_drop("CREATE OR REPLACE TABLE t_blocking (id INT PRIMARY KEY) ENGINE=InnoDB")
        .unwrap();
    let count = |s: &mut Session| {
        s.query_first::<(i64,)>("SELECT COUNT(*) FROM t_blocking")
            .unwrap()
            .unwrap()
            .0
    };

    let mut tx = s.begin().unwrap();
    assert_eq!(tracked_state(tx.last_ok()).as_deref(), Some("T_______"));
    tx.query_drop("INSERT INTO t_blocking VALUES (1)").unwrap();
    tx.savepoint("a").unwrap();
    tx.query_drop("INSERT INTO t_blocking VALUES (2)").unwrap();
    tx.rollback_to("a").unwrap();
    tx.release("a").unwrap();
    tx.commit().unwrap();
    assert_eq!(tracked_state(s.last_ok()).as_deref(), Some("________"));
    assert_eq!(count(&mut s), 1);

    let mut tx = s.begin().unwrap();
    tx.query_drop("INSERT INTO t_blocking VALUES (3)").unwrap();
    tx.rollback().unwrap();
    assert_eq!(count(&mut s), 1);

    {
        let mut tx = s
            .begin_with(TxOptions::new().isolation(IsolationLevel::ReadCommitted))
            .unwrap();
        tx.query_drop("INSERT INTO t_blocking VALUES (4)").unwrap();
    }
    assert!(s.in_transaction());
    assert!(s.status().contains(StatusFlags::IN_TRANS));
    assert_eq!(count(&mut s), 1);
    assert!(!s.in_transaction());
    s.close().unwrap();
}
