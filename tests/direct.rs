//! MariaDB's direct execution through `exec` (option `direct-execute`, off by default; the
//! hazard that keeps it off is in tests/stmt_cache.rs): a statement not yet cached is prepared and
//! executed in one round trip (COM_STMT_EXECUTE with statement id 0xFFFFFFFF right behind the
//! COM_STMT_PREPARE); a failing prepare runs nothing (not even the statement prepared before
//! it); a wrong parameter count is refused and the session goes on; long data takes the
//! ordinary two-step path.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use mywire::{Error, Session, ToParam};
use support::commands::{connect_logged, CommandLog};

const PREPARE: u8 = 0x16;
const EXECUTE: u8 = 0x17;
const DIRECT: [u8; 4] = [0xFF; 4];

async fn connect() -> (Session, CommandLog) {
    connect_logged("direct-execute=true").await
}

async fn one_i64(s: &mut Session, sql: &str, p: &[&dyn ToParam]) -> Result<i64, Error> {
    let mut r = s.exec(sql, p).await?;
    let v = r.next_row().await?.unwrap().get::<i64>(0)?.unwrap();
    while r.next_row().await?.is_some() {}
    Ok(v)
}

#[tokio::test]
async fn exec_prepares_and_executes_in_one_round_trip() {
    let (mut s, t) = connect().await;
    assert_eq!(
        one_i64(&mut s, "SELECT ? * 2", &[&21i32]).await.unwrap(),
        42
    );
    let cmds = t.take();
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert_eq!(cmds[0].0, PREPARE);
    assert_eq!(cmds[1], (EXECUTE, DIRECT));
    // Cached: the real id from now on.
    assert_eq!(one_i64(&mut s, "SELECT ? * 2", &[&5i32]).await.unwrap(), 10);
    let cmds = t.take();
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0].0, EXECUTE);
    assert_ne!(cmds[0].1, DIRECT);
}

#[tokio::test]
async fn a_failing_direct_prepare_runs_nothing() {
    let (mut s, t) = connect().await;
    s.query_drop("CREATE TEMPORARY TABLE d (a INT)")
        .await
        .unwrap();
    // A statement that inserts is prepared (and cached) first: "the last prepared statement".
    s.exec("INSERT INTO d VALUES (?)", &[&1i32]).await.unwrap();
    let e = s
        .exec("INSERT INTO nowhere_at_all VALUES (?)", &[&2i32])
        .await
        .unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1146), "{e}");
    let cmds = t.take();
    assert_eq!(cmds.last(), Some(&(EXECUTE, DIRECT)), "{cmds:?}");
    // The execute behind the failed prepare ran nothing: still one row.
    assert_eq!(
        one_i64(&mut s, "SELECT COUNT(*) FROM d WHERE a > ?", &[&0i32])
            .await
            .unwrap(),
        1
    );
    // A wrong parameter count: refused, and the session goes on.
    let e = one_i64(&mut s, "SELECT ? + ?", &[&1i32]).await.unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m.contains("takes 2 parameter(s), 1 given")),
        "{e:?}"
    );
    assert_eq!(
        one_i64(&mut s, "SELECT ? + ?", &[&1i32, &2i32])
            .await
            .unwrap(),
        3
    );
    assert!(!s.is_broken());
}

#[tokio::test]
async fn long_data_takes_the_two_step_path() {
    let (mut s, t) = connect().await;
    let big = vec![b'z'; (1 << 20) + 5];
    assert_eq!(
        one_i64(&mut s, "SELECT LENGTH(?)", &[&big.as_slice()])
            .await
            .unwrap(),
        (1 << 20) + 5
    );
    let cmds = t.take();
    assert_eq!(cmds[0].0, PREPARE);
    let exec = cmds.iter().find(|c| c.0 == EXECUTE).unwrap();
    assert_ne!(exec.1, DIRECT, "{cmds:?}");
}
