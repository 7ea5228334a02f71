//! Multi-host URLs (`mysql://u@h1:p1,h2:p2/db`) against the throwaway MariaDB and scripted
//! servers: a host that refuses or never answers is passed over and then backed off (the next
//! connect goes straight to the working host), a node that answers the readiness probe with
//! Galera's ERR 1047 is skipped, `require-writable` skips a read-only server, and a pool over a
//! multi-host URL keeps working when its first host is dead. Both sessions.

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

use std::time::{Duration, Instant};

use mywire::pool::{Pool, PoolOptions};
use mywire::{Options, Session};
use support::server;

/// The throwaway server's URL with `hosts` in front of it, and `params`.
fn url(before: &[String], params: &str) -> String {
    let s = server();
    let base = s.url();
    // mysql://user:pass@127.0.0.1:PORT/db?...
    let (scheme_auth, rest) = base.split_once('@').unwrap();
    let (_, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut hosts = before.to_vec();
    hosts.push(format!("127.0.0.1:{}", s.port));
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{scheme_auth}@{}/{path}{sep}{params}", hosts.join(","))
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_dead_or_silent_host_is_passed_over_then_backed_off() {
    let refused = format!("127.0.0.1:{}", dead_port());
    // A host that accepts and never sends a greeting.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let u = url(&[refused.clone(), silent_addr], "connect-timeout=0.5");
    let opts = Options::from_url(&u).unwrap();
    assert_eq!(opts.hosts.len(), 3);
    let t0 = Instant::now();
    let mut s = Session::connect(opts.clone()).await.unwrap();
    let first = t0.elapsed();
    assert!(
        first >= Duration::from_millis(450),
        "the silent host's timeout: {first:?}"
    );
    let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some((1,)));
    // Both failed hosts are backing off: the next connect goes to the working one first.
    let t0 = Instant::now();
    let _s2 = Session::connect(opts.clone()).await.unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(400),
        "backed-off hosts tried first: {:?}",
        t0.elapsed()
    );
    // The blocking session follows the same order.
    let t0 = Instant::now();
    let mut b = mywire::session::blocking::Session::connect(opts).unwrap();
    assert!(t0.elapsed() < Duration::from_millis(400));
    b.query_drop("DO 1").unwrap();
    holder.abort();
}

#[tokio::test]
async fn every_host_failing_returns_the_last_error() {
    let u = format!(
        "mysql://u@127.0.0.1:{},127.0.0.1:{}/?connect-timeout=2",
        dead_port(),
        dead_port()
    );
    let e = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), mywire::ErrorKind::ConnectFailed, "{e}");
}

#[tokio::test]
async fn a_node_that_is_not_ready_is_skipped() {
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_ok().await?;
        // The readiness probe, answered as a Galera node out of the primary component does.
        let probe = c.recv_command().await?.map(|f| f.payload.to_vec());
        c.send_err(
            1047,
            "08S01",
            "WSREP has not yet prepared node for application use",
        )
        .await?;
        Ok(probe)
    })
    .await;
    let u = url(&[format!("127.0.0.1:{}", addr.port())], "");
    let mut s = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap();
    let probe = tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(probe.first(), Some(&0x03), "a COM_QUERY probe");
    assert!(String::from_utf8_lossy(&probe).contains("read_only"));
    let port: Option<(i64,)> = s.query_first("SELECT @@port").await.unwrap();
    assert_eq!(port, Some((i64::from(server().port),)), "the ready server");
}

#[tokio::test]
async fn require_writable_skips_a_read_only_server_and_a_pool_fails_over() {
    let alias = format!("localhost:{}", server().port);
    let u = url(&[alias], "require-writable=true&ssl-mode=DISABLED");
    let opts = Options::from_url(&u).unwrap();
    let mut admin = Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap();
    admin.query_drop("SET GLOBAL read_only = 1").await.unwrap();
    let e = Session::connect(opts.clone()).await;
    admin.query_drop("SET GLOBAL read_only = 0").await.unwrap();
    let e = e.unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
    mywire::session::blocking::Session::connect(opts.clone()).unwrap();

    // A pool whose first host is dead serves from the second, connection after connection.
    let u = url(&[format!("127.0.0.1:{}", dead_port())], "");
    let pool = Pool::new(
        Options::from_url(&u).unwrap(),
        PoolOptions::with_max_size(3),
    )
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = pool.get().await.unwrap();
        let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
        assert_eq!(one, Some((1,)));
        held.push(s);
    }
    assert_eq!(pool.metrics().opened, 3);
}
