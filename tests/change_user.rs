//! COM_CHANGE_USER (`Session::change_user`, `reset_by_change_user`, both sessions) against the
//! throwaway MariaDB: the new login's user and schema, a clean server session afterwards
//! (user variables, temporary tables, prepared statements and an open transaction gone), a
//! plugin switch to ed25519, a refused login that breaks the session; the pool's
//! `ResetMode::ChangeUser`. The scripted MySQL 8 server plays a server without
//! COM_RESET_CONNECTION (ERR 1047): the pool falls back to COM_CHANGE_USER, whose
//! caching_sha2_password scramble is checked against the greeting's nonce, and a switch to
//! mysql_native_password.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mysql8.rs"]
mod mysql8;
mod support;

use std::time::Duration;

use mywire::codec::command::{COM_CHANGE_USER, COM_PING, COM_RESET_CONNECTION};
use mywire::codec::handshake::parse_change_user;
use mywire::pool::{blocking, Pool, PoolOptions, ResetMode};
use mywire::{Error, Options, Session};
use support::server;

fn opts() -> Options {
    Options::from_url(&server().url()).unwrap()
}

/// A second account with a native password and its own schema.
const OTHER: &str = "mywire_cu";
const OTHER_PW: &str = "cu-pass";
const OTHER_DB: &str = "mywire_cu_db";

fn other_account() {
    server().sql(&format!(
        "CREATE DATABASE IF NOT EXISTS {OTHER_DB}; \
         CREATE USER IF NOT EXISTS '{OTHER}'@'%' IDENTIFIED BY '{OTHER_PW}'; \
         CREATE USER IF NOT EXISTS '{OTHER}'@'localhost' IDENTIFIED BY '{OTHER_PW}'; \
         GRANT ALL ON {OTHER_DB}.* TO '{OTHER}'@'%'; \
         GRANT ALL ON {OTHER_DB}.* TO '{OTHER}'@'localhost'"
    ));
}

async fn who(s: &mut Session) -> (String, Option<String>) {
    let r: Option<(String, Option<String>)> = s
        .query_first("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1), DATABASE()")
        .await
        .unwrap();
    r.unwrap()
}

#[tokio::test]
async fn change_user_logs_in_again_with_a_clean_session() {
    other_account();
    let mut s = Session::connect(opts()).await.unwrap();
    let id = s.connection_id();
    s.query_drop("SET @x = 1").await.unwrap();
    s.query_drop("CREATE TEMPORARY TABLE cu_tmp (a INT)")
        .await
        .unwrap();
    let stmt = s.prepare("SELECT 1").await.unwrap();
    s.query_drop("BEGIN").await.unwrap();
    assert!(s.in_transaction());

    s.change_user(OTHER, OTHER_PW, Some(OTHER_DB))
        .await
        .unwrap();
    assert_eq!(s.connection_id(), id, "the same connection");
    assert_eq!(who(&mut s).await, (OTHER.into(), Some(OTHER_DB.into())));
    assert!(!s.in_transaction());
    let x: Option<(Option<i64>,)> = s.query_first("SELECT @x").await.unwrap();
    assert_eq!(x, Some((None,)), "user variables are gone");
    let e = s.query_drop("SELECT * FROM cu_tmp").await.unwrap_err();
    assert!(
        e.server_error().is_some(),
        "the temporary table is gone: {e}"
    );
    let e = s.execute(&stmt, &[]).await.err();
    assert!(e.is_some(), "the statement prepared before is gone");
    // The session goes on normally, and can change back.
    s.change_user(support::USER, support::PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(who(&mut s).await, (support::USER.into(), None));
    s.reset_by_change_user().await.unwrap();
    assert_eq!(who(&mut s).await, (support::USER.into(), None));
    s.ping().await.unwrap();
}

#[tokio::test]
async fn a_refused_change_user_breaks_the_session() {
    other_account();
    let mut s = Session::connect(opts()).await.unwrap();
    let e = s
        .change_user(OTHER, "wrong password", None)
        .await
        .unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1045), "{e}");
    assert!(s.is_broken());
    assert!(matches!(s.ping().await, Err(Error::Broken(_))));
}

#[tokio::test]
async fn change_user_switches_to_ed25519() {
    let srv = server();
    if !srv.has_ed25519 {
        return support::skip_or_fail("the auth_ed25519 server plugin is not available");
    }
    let mut s = Session::connect(opts()).await.unwrap();
    // The greeting named mysql_native_password; the account uses ed25519: the server switches.
    s.change_user(support::ED_USER, support::ED_PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(who(&mut s).await.0, support::ED_USER);
    let e = s
        .change_user(support::ED_USER, "not it", None)
        .await
        .unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1045), "{e}");
}

#[test]
fn blocking_change_user() {
    other_account();
    let mut s = mywire::session::blocking::Session::connect(opts()).unwrap();
    s.query_drop("SET @x = 1").unwrap();
    s.change_user(OTHER, OTHER_PW, Some(OTHER_DB)).unwrap();
    let r: Option<(String, Option<String>, Option<i64>)> = s
        .query_first("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1), DATABASE(), @x")
        .unwrap();
    assert_eq!(r, Some((OTHER.into(), Some(OTHER_DB.into()), None)));
    s.reset_by_change_user().unwrap();
    let e = s.change_user(OTHER, "wrong", None).unwrap_err();
    assert_eq!(e.server_error().map(|e| e.code), Some(1045), "{e}");
    assert!(matches!(s.ping(), Err(Error::Broken(_))));
}

#[tokio::test]
async fn pool_reset_by_change_user() {
    let pool = Pool::new(
        opts(),
        PoolOptions::with_max_size(1).reset(ResetMode::ChangeUser),
    )
    .unwrap();
    let id = {
        let mut s = pool.get().await.unwrap();
        s.query_drop("SET @x = 7").await.unwrap();
        s.query_drop("BEGIN").await.unwrap();
        s.connection_id()
    };
    let mut s = pool.get().await.unwrap();
    assert_eq!(s.connection_id(), id, "the same connection, reused");
    let x: Option<(Option<i64>,)> = s.query_first("SELECT @x").await.unwrap();
    assert_eq!(x, Some((None,)));
    assert!(!s.in_transaction());
    drop(s);
    let bp = blocking::Pool::new(
        opts(),
        PoolOptions::with_max_size(1).reset(ResetMode::ChangeUser),
    )
    .unwrap();
    {
        let mut s = bp.get().unwrap();
        s.query_drop("SET @x = 7").unwrap();
    }
    let mut s = bp.get().unwrap();
    let x: Option<(Option<i64>,)> = s.query_first("SELECT @x").unwrap();
    assert_eq!(x, Some((None,)));
}

/// A MySQL 8 server without COM_RESET_CONNECTION: the first reset gets ERR 1047, the pool
/// changes user instead, and from then on goes to COM_CHANGE_USER directly. The second
/// change of user is switched to mysql_native_password with a fresh nonce.
#[tokio::test]
async fn pool_falls_back_to_change_user_without_reset_connection() {
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("caching_sha2_password", false))
            .await?;
        let hello = c.recv_hello(false).await?;
        if !mysql8::caching_sha2_check(
            &mysql8::sha2_stage2(b"pw"),
            &mysql8::NONCE,
            &hello.auth_response,
        ) {
            return Err("bad hello scramble".into());
        }
        c.send(&[0x01, 0x03]).await?;
        c.send_ok().await?;
        let mut seen = Vec::new();
        // The user's ping.
        let f = c.recv_command().await?.ok_or("eof")?;
        seen.push(f.payload[0]);
        c.send_ok().await?;
        // Given back: COM_RESET_CONNECTION, unknown here.
        let f = c.recv_command().await?.ok_or("eof")?;
        seen.push(f.payload[0]);
        c.send_err(1047, "08S01", "Unknown command").await?;
        // The fallback: COM_CHANGE_USER with caching_sha2 over the greeting's nonce.
        let f = c.recv_command().await?.ok_or("eof")?;
        seen.push(f.payload[0]);
        let cu = parse_change_user(&f.payload, c.client_caps).map_err(|e| e.to_string())?;
        if cu.user != b"alice"
            || cu.auth_plugin.as_deref() != Some(&b"caching_sha2_password"[..])
            || !mysql8::caching_sha2_check(
                &mysql8::sha2_stage2(b"pw"),
                &mysql8::NONCE,
                &cu.auth_response,
            )
        {
            return Err(format!("change user: {cu:?}"));
        }
        c.send(&[0x01, 0x03]).await?;
        c.send_ok().await?;
        // The next user's ping, then given back again: COM_CHANGE_USER at once, switched to
        // mysql_native_password.
        let f = c.recv_command().await?.ok_or("eof")?;
        seen.push(f.payload[0]);
        c.send_ok().await?;
        let f = c.recv_command().await?.ok_or("eof")?;
        seen.push(f.payload[0]);
        c.send_switch("mysql_native_password", &mysql8::NONCE2)
            .await?;
        let scramble = c.recv().await?;
        if !mysql8::native_check(b"pw", &mysql8::NONCE2, &scramble.payload) {
            return Err("bad native scramble after the switch".into());
        }
        c.send_ok().await?;
        Ok(seen)
    })
    .await;
    let o = Options::from_url(&format!(
        "mysql://alice:pw@127.0.0.1:{}/?ssl-mode=DISABLED",
        addr.port()
    ))
    .unwrap();
    let pool = Pool::new(o, PoolOptions::with_max_size(1)).unwrap();
    for _ in 0..2 {
        pool.get().await.unwrap().ping().await.unwrap();
    }
    // The second return's change of user has finished once the connection is idle again.
    for _ in 0..200 {
        if pool.metrics().idle == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(pool.metrics().idle, 1, "{:?}", pool.metrics());
    pool.close().await;
    let seen = tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        seen,
        [
            COM_PING,
            COM_RESET_CONNECTION,
            COM_CHANGE_USER,
            COM_PING,
            COM_CHANGE_USER
        ]
    );
}

/// A `Write` into a buffer the test reads afterwards.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The live trace of a change of user: the command with its user and schema (the scramble
/// redacted), the authentication exchange that answers it, then commands decoded as before.
#[tokio::test]
async fn trace_shows_change_user_and_its_authentication() {
    use mywire::trace::format::{Format, WriterTracer};
    other_account();
    let out = Shared::default();
    let tracer = WriterTracer::new(out.clone(), Format::Text, false, false);
    let mut s = Session::connect_traced(opts(), Some(Box::new(tracer)))
        .await
        .unwrap();
    s.change_user(OTHER, OTHER_PW, Some(OTHER_DB))
        .await
        .unwrap();
    s.query_drop("SELECT 42").await.unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(" COM_CHANGE_USER "))
        .unwrap_or_else(|| panic!("no COM_CHANGE_USER in {lines:#?}"));
    let cu = lines[at];
    assert!(cu.contains(&format!("user=\"{OTHER}\"")), "{cu}");
    assert!(cu.contains(&format!("database=\"{OTHER_DB}\"")), "{cu}");
    assert!(cu.contains("auth_plugin=\"mysql_native_password\""), "{cu}");
    assert!(cu.contains("redacted"), "the scramble is redacted: {cu}");
    assert!(
        lines[at + 1..].iter().any(|l| l.contains(" OK ")),
        "{lines:#?}"
    );
    assert!(
        lines[at + 1..]
            .iter()
            .any(|l| l.contains(" COM_QUERY ") && l.contains("SELECT 42")),
        "{lines:#?}"
    );
    assert!(
        !text.contains("Malformed") && !text.contains("Unexpected"),
        "{text}"
    );
}
