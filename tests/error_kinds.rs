//! `Error::kind()` and `is_transient()` on real failures: a deadlock, a lock wait timeout, a
//! read-only server and a killed connection on the throwaway MariaDB (this binary sets
//! `read_only` globally, so it has its own server), and MySQL 8.0.24+'s idle-timeout ERR 4031
//! (sent with sequence id 0 to an idle client, then the server hangs up) and a silent hang-up
//! on the scripted MySQL 8 server.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mysql8.rs"]
mod mysql8;
#[path = "support/scripted.rs"]
mod scripted;
mod support;

use std::time::Duration;

use mywire::{Error, ErrorKind, Options, Session};
use support::server;

async fn connect(extra: &str) -> Session {
    let url = format!("{}?{extra}", server().url());
    Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

#[track_caller]
fn assert_kind(e: &Error, kind: ErrorKind, transient: bool) {
    assert_eq!((e.kind(), e.is_transient()), (kind, transient), "{e}");
}

#[tokio::test]
async fn deadlocks_lock_waits_read_only_and_kills_on_mariadb() {
    let mut a = connect("").await;
    let mut b = connect("").await;
    a.query_drop("CREATE TABLE IF NOT EXISTS ek (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
        .await
        .unwrap();
    a.query_drop("REPLACE INTO ek VALUES (1, 0), (2, 0)")
        .await
        .unwrap();

    // Lock wait timeout: b waits 1 s for a's row lock.
    b.query_drop("SET SESSION innodb_lock_wait_timeout = 1")
        .await
        .unwrap();
    a.query_drop("BEGIN").await.unwrap();
    a.query_drop("UPDATE ek SET v = 1 WHERE id = 1")
        .await
        .unwrap();
    let e = b
        .query_drop("UPDATE ek SET v = 2 WHERE id = 1")
        .await
        .unwrap_err();
    assert_kind(&e, ErrorKind::LockWaitTimeout, true);
    a.query_drop("ROLLBACK").await.unwrap();

    // Deadlock: a locks 1, b locks 2, b waits for 1, a asks for 2.
    b.query_drop("SET SESSION innodb_lock_wait_timeout = 20")
        .await
        .unwrap();
    a.query_drop("BEGIN").await.unwrap();
    b.query_drop("BEGIN").await.unwrap();
    a.query_drop("UPDATE ek SET v = 1 WHERE id = 1")
        .await
        .unwrap();
    b.query_drop("UPDATE ek SET v = 1 WHERE id = 2")
        .await
        .unwrap();
    let waiter = tokio::spawn(async move {
        let r = b.query_drop("UPDATE ek SET v = 2 WHERE id = 1").await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ra = a.query_drop("UPDATE ek SET v = 2 WHERE id = 2").await;
    let (mut b, rb) = waiter.await.unwrap();
    // InnoDB rolls one of the two back.
    let e = match (ra, rb) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("expected one deadlock, got {other:?}"),
    };
    assert_kind(&e, ErrorKind::Deadlock, true);
    a.query_drop("ROLLBACK").await.unwrap();
    b.query_drop("ROLLBACK").await.unwrap();

    // Read-only: an account with privileges on the database only (no READ_ONLY ADMIN)
    // cannot write.
    let url = server().url_for(support::NOPW_USER, "");
    let mut c = Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap();
    server().sql("SET GLOBAL read_only = 1");
    let r = c.query_drop("UPDATE ek SET v = 3 WHERE id = 1").await;
    server().sql("SET GLOBAL read_only = 0");
    let e = r.unwrap_err();
    assert_kind(&e, ErrorKind::ReadOnly, true);
    c.query_drop("UPDATE ek SET v = 3 WHERE id = 1")
        .await
        .unwrap();

    // A killed connection: lost, on the call that meets it and on every later one.
    let id = b.connection_id();
    a.query_drop(&format!("KILL CONNECTION {id}"))
        .await
        .unwrap();
    let e = b.query_drop("SELECT 1").await.unwrap_err();
    assert_kind(&e, ErrorKind::ConnectionLost, true);
    let e = b.ping().await.unwrap_err();
    assert!(matches!(e, Error::Broken(_)), "{e}");
    assert_kind(&e, ErrorKind::ConnectionLost, true);

    // A syntax error is neither.
    let e = a.query_drop("SELEC 1").await.unwrap_err();
    assert_kind(&e, ErrorKind::Server, false);
    a.query_drop("DROP TABLE ek").await.unwrap();
}

fn scripted_opts(addr: std::net::SocketAddr) -> Options {
    Options::new()
        .host("127.0.0.1")
        .port(addr.port())
        .user("alice")
        .connect_timeout(Some(Duration::from_secs(20)))
        .read_timeout(Some(Duration::from_secs(10)))
}

#[tokio::test]
async fn mysql8_idle_timeout_err_4031_is_closed_by_the_server() {
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_ok().await?;
        // wait_timeout passes: the server writes its reason with its counter reset (id 0),
        // then closes once the client speaks.
        let e = scripted::err(
            0,
            4031,
            b"HY000",
            "The client was disconnected by the server because of inactivity. See \
             wait_timeout and interactive_timeout for configuring this behavior.",
        );
        c.send_wire(&e).await?;
        c.recv_command().await?;
        Ok(())
    })
    .await;
    let mut s = Session::connect(scripted_opts(addr)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let e = s.query_drop("SELECT 1").await.unwrap_err();
    assert_eq!(e.server_error().map(|s| s.code), Some(4031), "{e}");
    assert_kind(&e, ErrorKind::ClosedByServer, true);
    assert!(s.is_broken());
    let e = s.ping().await.unwrap_err();
    assert!(matches!(e, Error::Broken(_)), "{e}");
    assert!(e.to_string().contains("4031"), "{e}");
    tokio::time::timeout(Duration::from_secs(20), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_silent_hang_up_is_a_lost_connection() {
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let mut s = Session::connect(scripted_opts(addr)).await.unwrap();
    h.await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let e = s.query_drop("SELECT 1").await.unwrap_err();
    assert_kind(&e, ErrorKind::ConnectionLost, true);
}
