//! A server restart under open sessions. In its own test binary because restarting the
//! shared throwaway server disturbs every other test of the same binary; the tests here are
//! serialized for the same reason.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, Instant};

use mywire::{Error, Options, Session};
use support::server;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn connect(eof: bool, extra: &str) -> Session {
    let url = format!("{}?deprecate-eof={eof}{extra}", server().url());
    Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap()
}

async fn scalar(s: &mut Session, sql: &str) -> String {
    let mut r = s.query(sql).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    row.get::<String>(0).unwrap().unwrap()
}

/// The error a session sees for the first command after the server went away.
fn assert_connection_lost(e: &Error, what: &str) {
    match e {
        Error::Io(_) => {}
        // MariaDB tells idle connections it is shutting down (1053 ER_SERVER_SHUTDOWN) or
        // that they were killed (1927 ER_CONNECTION_KILLED), or 2006-style "gone away".
        Error::Server(se) if [1053, 1927, 2006, 2013].contains(&se.code) => {}
        other => panic!("{what}: expected a connection-lost error, got {other:?}"),
    }
}

async fn restart_in_background() {
    let t0 = Instant::now();
    tokio::task::spawn_blocking(|| server().restart())
        .await
        .unwrap();
    eprintln!("restart took {:?}", t0.elapsed());
}

#[tokio::test]
async fn sessions_see_a_clear_error_after_restart_then_broken_and_new_sessions_work() {
    let _g = SERIAL.lock().await;
    // One idle session per EOF mode, one with an unread result pending, one over the socket.
    let mut idle_eof = connect(true, "").await;
    let mut idle_noeof = connect(false, "").await;
    let mut pending = connect(true, "").await;
    let mut sock = Session::connect(Options::from_url(&server().socket_url()).unwrap())
        .await
        .unwrap();
    assert_eq!(scalar(&mut idle_eof, "SELECT 1").await, "1");
    assert_eq!(scalar(&mut idle_noeof, "SELECT 1").await, "1");
    assert_eq!(scalar(&mut sock, "SELECT 1").await, "1");
    let old_pid = server().pid();
    {
        let mut r = pending.query("SELECT seq FROM seq_1_to_10").await.unwrap();
        r.next_row().await.unwrap().unwrap();
    }

    restart_in_background().await;
    assert_ne!(server().pid(), old_pid, "mariadbd should be a new process");

    for (name, s) in [
        ("idle deprecate-eof", &mut idle_eof),
        ("idle no deprecate-eof", &mut idle_noeof),
        ("pending result", &mut pending),
        ("unix socket", &mut sock),
    ] {
        let t0 = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(30), s.query("SELECT 'after'"))
            .await
            .unwrap_or_else(|_| panic!("{name}: the query hung after the restart"))
            .map(|_| ());
        let e = r.expect_err("the old connection cannot answer");
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{name}: error took {:?}",
            t0.elapsed()
        );
        eprintln!("{name}: {e}");
        assert_connection_lost(&e, name);
        assert!(s.is_broken(), "{name}: session must be broken after {e:?}");
        match s.query("SELECT 1").await.map(|_| ()) {
            Err(Error::Broken(why)) => assert!(!why.is_empty()),
            other => panic!("{name}: expected Error::Broken, got {other:?}"),
        }
        assert!(matches!(s.ping().await, Err(Error::Broken(_))), "{name}");
    }
    for s in [idle_eof, idle_noeof, pending, sock] {
        assert!(matches!(s.close().await, Err(Error::Broken(_))));
    }

    // New sessions connect fine, both ways.
    for eof in [true, false] {
        let mut s = connect(eof, "").await;
        assert_eq!(scalar(&mut s, "SELECT 'fresh'").await, "fresh");
        s.close().await.unwrap();
    }
}

#[tokio::test]
async fn ping_and_simple_commands_after_restart_fail_fast_and_break() {
    let _g = SERIAL.lock().await;
    let mut a = connect(true, "").await;
    let mut b = connect(false, "").await;
    let mut c = connect(true, "").await;
    restart_in_background().await;
    let ping = tokio::time::timeout(Duration::from_secs(30), a.ping())
        .await
        .expect("ping hung");
    assert_connection_lost(&ping.unwrap_err(), "ping");
    assert!(a.is_broken());
    let st = tokio::time::timeout(Duration::from_secs(30), b.statistics())
        .await
        .expect("statistics hung");
    assert_connection_lost(&st.unwrap_err(), "statistics");
    assert!(b.is_broken());
    let init = tokio::time::timeout(Duration::from_secs(30), c.init_db(support::DATABASE))
        .await
        .expect("init_db hung");
    assert_connection_lost(&init.unwrap_err(), "init_db");
    assert!(c.is_broken());
    assert!(matches!(c.ping().await, Err(Error::Broken(_))));
}
