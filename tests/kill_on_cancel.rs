//! `kill-on-cancel=true` against the throwaway MariaDB: a `SELECT SLEEP(30)` whose future is
//! dropped after 100 ms is gone from the server's process list within a second, and the
//! session then runs the next query; a read timeout stops the query too (the session is then
//! broken, as after any timeout); a KILL never reaches the next query, even when the abandoned
//! one finished by itself first; without the option the abandoned query keeps running.
//! `tcp-keepalive` sets SO_KEEPALIVE on the socket.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, Instant};

use mywire::{Options, Session};
use support::server;

async fn connect(extra: &str) -> Session {
    let url = format!("{}?{extra}", server().url());
    Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

/// The statement connection `id` is running (`None` when idle or gone).
async fn running(side: &mut Session, id: u32) -> Option<String> {
    let r: Option<(Option<String>,)> = side
        .query_first(&format!(
            "SELECT info FROM information_schema.processlist WHERE id = {id}"
        ))
        .await
        .unwrap();
    r.and_then(|(info,)| info)
}

/// How long until connection `id` runs nothing any more (at most `limit`).
async fn gone_within(side: &mut Session, id: u32, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if running(side, id).await.is_none() {
            return Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn a_dropped_query_is_killed_on_the_server() {
    let mut side = connect("").await;
    let mut s = connect("kill-on-cancel=true").await;
    let id = s.connection_id();
    let cut = tokio::time::timeout(Duration::from_millis(100), s.query("SELECT SLEEP(30)")).await;
    assert!(cut.is_err(), "SLEEP(30) returned within 100 ms");
    let t0 = Instant::now();
    let gone = gone_within(&mut side, id, Duration::from_secs(1)).await;
    assert!(
        gone.is_some(),
        "SLEEP(30) still running a second after the cancel"
    );
    // The next query drains what is left (ERR 1317, query interrupted) and runs.
    let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some((1,)));
    assert!(t0.elapsed() < Duration::from_secs(5));

    // A row read abandoned mid-result is a cancel too: 2 MB of rows arrive, then the last
    // row sleeps.
    let mut rows = 0;
    let cut = tokio::time::timeout(Duration::from_millis(1500), async {
        let mut r = s
            .query(
                "SELECT seq, IF(seq = 20000, SLEEP(30), REPEAT('x', 100)) \
                 FROM seq_1_to_20000",
            )
            .await
            .unwrap();
        while r.next_row().await.unwrap().is_some() {
            rows += 1;
        }
    })
    .await;
    assert!(cut.is_err(), "the sleeping row came within 1.5 s");
    assert!(rows > 1000, "only {rows} rows before the cut");
    assert!(
        gone_within(&mut side, id, Duration::from_secs(1))
            .await
            .is_some(),
        "the abandoned row read left the query running"
    );
    let two: Option<(i64,)> = s.query_first("SELECT 2").await.unwrap();
    assert_eq!(two, Some((2,)));
}

#[tokio::test]
async fn a_read_timeout_kills_the_query_and_breaks_the_session() {
    let mut side = connect("").await;
    let mut s = connect("kill-on-cancel=true&read-timeout=0.3").await;
    let id = s.connection_id();
    let e = s.query_drop("SELECT SLEEP(30)").await.unwrap_err();
    assert_eq!(e.kind(), mywire::ErrorKind::Timeout, "{e}");
    assert!(
        gone_within(&mut side, id, Duration::from_secs(1))
            .await
            .is_some(),
        "SLEEP(30) still running after the read timeout"
    );
    assert!(s.is_broken());
}

#[tokio::test]
async fn a_kill_never_reaches_the_next_query() {
    let mut s = connect("kill-on-cancel=true").await;
    // The abandoned SLEEP(0.05) finishes by itself around when the KILL is sent; whichever
    // comes first, the next SLEEP runs to its end (interrupted, it would fail with ERR 1317).
    for cut_ms in [40u64, 50, 60, 70] {
        let _ = tokio::time::timeout(
            Duration::from_millis(cut_ms),
            s.query_drop("SELECT SLEEP(0.05)"),
        )
        .await;
        let t0 = Instant::now();
        let v: Option<(i64,)> = s.query_first("SELECT SLEEP(0.3)").await.unwrap();
        assert_eq!(
            v,
            Some((0,)),
            "cut at {cut_ms} ms: the next query was interrupted"
        );
        assert!(t0.elapsed() >= Duration::from_millis(300));
    }
}

#[tokio::test]
async fn without_the_option_an_abandoned_query_keeps_running() {
    let mut side = connect("").await;
    let mut s = connect("").await;
    let id = s.connection_id();
    let _ = tokio::time::timeout(Duration::from_millis(100), s.query("SELECT SLEEP(3)")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        running(&mut side, id).await.as_deref(),
        Some("SELECT SLEEP(3)")
    );
    // The next query waits for it (the drain), then runs.
    let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some((1,)));
}

#[tokio::test]
async fn tcp_keepalive_is_set_on_the_socket() {
    // The server sees the same session either way; the socket option is checked from
    // /proc/net/tcp's timer column ("2" = keepalive timer) for our local port.
    let mut s = connect("tcp-keepalive=7&ssl-mode=DISABLED").await;
    let port: Option<(i64,)> = s
        .query_first(
            "SELECT SUBSTRING_INDEX(host, ':', -1) FROM information_schema.processlist \
             WHERE id = CONNECTION_ID()",
        )
        .await
        .unwrap();
    let port = port.unwrap().0;
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let ours = table
        .lines()
        .skip(1)
        .find(|l| {
            let local = l.split_whitespace().nth(1).unwrap_or("");
            local.ends_with(&format!(":{port:04X}"))
        })
        .unwrap_or_else(|| panic!("port {port} not in /proc/net/tcp:\n{table}"));
    let timer = ours.split_whitespace().nth(5).unwrap_or("");
    assert!(
        timer.starts_with("02:"),
        "keepalive timer not armed: {ours}"
    );
}
