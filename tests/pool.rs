//! The connection pools ([`mywire::pool::Pool`], [`mywire::pool::blocking::Pool`]) against the
//! throwaway MariaDB: size limits with first-come-first-served waiters, acquire timeouts,
//! cancelled acquires that take nothing, reset on return (a session variable and an open
//! transaction do not reach the next user; a result left half read is drained), broken and
//! server-closed connections replaced without the caller seeing an error, lifetimes, idle
//! timeouts with `min_idle` kept, and the metrics that count all of it. MySQL 8.0.24+'s
//! idle-timeout ERR 4031 on an idle pooled connection is played by the scripted MySQL 8 server.

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

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mywire::pool::{blocking, CloseReason, Pool, PoolOptions, ResetMode};
use mywire::{ErrorKind, Options, Session};
use support::server;

fn opts() -> Options {
    Options::from_url(&server().url()).unwrap()
}

/// Waits (at most 10 s) until `f` holds for the pool's metrics.
async fn until(pool: &Pool, what: &str, f: impl Fn(&mywire::pool::PoolMetrics) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = pool.metrics();
        if f(&m) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {m:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill(id: u32) {
    let mut side = Session::connect(opts()).await.unwrap();
    side.query_drop(&format!("KILL {id}")).await.unwrap();
    // The killed thread goes away shortly after.
    for _ in 0..100 {
        let n: Option<(i64,)> = side
            .query_first(&format!(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE id = {id}"
            ))
            .await
            .unwrap();
        if n == Some((0,)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("connection {id} still listed after KILL");
}

#[tokio::test]
async fn waiters_are_served_in_order_and_time_out() {
    let pool = Pool::new(
        opts(),
        PoolOptions::with_max_size(2).acquire_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let a = pool.get().await.unwrap();
    let b = pool.get().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (p, order) = (pool.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let s = p.get().await.unwrap();
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(s);
        }));
        // Queue them in a known order.
        until(&pool, "waiter queued", |m| m.waiting == i + 1).await;
    }
    assert_eq!(pool.metrics().in_use, 2);
    drop(a);
    drop(b);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
    let m = pool.metrics();
    assert!(m.size <= 2, "{m:?}");
    assert_eq!(m.opened, 2, "{m:?}");
    assert_eq!(m.acquired, 6, "{m:?}");

    // With both in use, an acquire gives up after its timeout.
    let short = Pool::new(
        opts(),
        PoolOptions::with_max_size(1).acquire_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let held = short.get().await.unwrap();
    let t0 = Instant::now();
    let e = short.get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(t0.elapsed() >= Duration::from_millis(190));
    assert_eq!(short.metrics().acquire_failed, 1);
    drop(held);
}

#[tokio::test]
async fn cancelled_acquires_take_nothing() {
    let pool = Pool::new(opts(), PoolOptions::with_max_size(1)).unwrap();
    let held = pool.get().await.unwrap();
    for _ in 0..20 {
        let r = tokio::time::timeout(Duration::from_millis(5), pool.get()).await;
        assert!(
            r.is_err(),
            "a get went through while the only connection is held"
        );
    }
    assert_eq!(pool.metrics().waiting, 0);
    let id = held.connection_id();
    drop(held);
    let s = tokio::time::timeout(Duration::from_secs(5), pool.get())
        .await
        .expect("the connection came back")
        .unwrap();
    assert_eq!(s.connection_id(), id);
    assert_eq!(pool.metrics().opened, 1);

    // An acquire cancelled while it connects leaves no slot counted.
    let fresh = Pool::new(opts(), PoolOptions::with_max_size(1)).unwrap();
    let _ = tokio::time::timeout(Duration::from_micros(50), fresh.get()).await;
    until(&fresh, "nothing counted", |m| {
        m.size == 0 || m.idle == m.size
    })
    .await;
    let s = fresh.get().await.unwrap();
    s.check().unwrap();
}

#[tokio::test]
async fn a_returned_connection_is_reset_before_reuse() {
    let pool = Pool::new(opts(), PoolOptions::with_max_size(1)).unwrap();
    let mut s = pool.get().await.unwrap();
    let id = s.connection_id();
    s.query_drop("CREATE TABLE IF NOT EXISTS pool_reset (id INT PRIMARY KEY) ENGINE=InnoDB")
        .await
        .unwrap();
    s.query_drop("DELETE FROM pool_reset").await.unwrap();
    s.query_drop("SET @left_behind = 42").await.unwrap();
    s.query_drop("BEGIN").await.unwrap();
    s.query_drop("INSERT INTO pool_reset VALUES (1)")
        .await
        .unwrap();
    assert!(s.in_transaction());
    drop(s);

    let mut s = pool.get().await.unwrap();
    assert_eq!(s.connection_id(), id, "the same connection, reused");
    assert!(!s.in_transaction());
    let v: Option<(Option<i64>,)> = s.query_first("SELECT @left_behind").await.unwrap();
    assert_eq!(v, Some((None,)));
    let n: Option<(i64,)> = s
        .query_first("SELECT COUNT(*) FROM pool_reset")
        .await
        .unwrap();
    assert_eq!(n, Some((0,)), "the open transaction was rolled back");

    // A result left half read is drained; the next user gets a clean session.
    {
        let mut r = s.query("SELECT seq FROM seq_1_to_100000").await.unwrap();
        assert!(r.next_row().await.unwrap().is_some());
    }
    drop(s);
    let mut s = pool.get().await.unwrap();
    assert_eq!(s.connection_id(), id);
    let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some((1,)));
    drop(s);

    // ResetMode::None keeps session state but rolls back an open transaction.
    let keep = Pool::new(opts(), PoolOptions::with_max_size(1).reset(ResetMode::None)).unwrap();
    let mut s = keep.get().await.unwrap();
    s.query_drop("SET @kept = 7").await.unwrap();
    s.query_drop("BEGIN").await.unwrap();
    s.query_drop("INSERT INTO pool_reset VALUES (2)")
        .await
        .unwrap();
    drop(s);
    let mut s = keep.get().await.unwrap();
    let v: Option<(Option<i64>,)> = s.query_first("SELECT @kept").await.unwrap();
    assert_eq!(v, Some((Some(7),)));
    let n: Option<(i64,)> = s
        .query_first("SELECT COUNT(*) FROM pool_reset")
        .await
        .unwrap();
    assert_eq!(n, Some((0,)));
    assert_eq!(pool.metrics().closed_total(), 0);
}

#[tokio::test]
async fn broken_and_server_closed_connections_are_replaced() {
    let pool = Pool::new(
        opts(),
        PoolOptions::with_max_size(2).health_check_after(Some(Duration::ZERO)),
    )
    .unwrap();
    // Closed by the server while idle: the health check finds it, the caller never sees it.
    let s = pool.get().await.unwrap();
    let first = s.connection_id();
    drop(s);
    until(&pool, "idle", |m| m.idle == 1).await;
    kill(first).await;
    let mut s = pool.get().await.unwrap();
    assert_ne!(s.connection_id(), first);
    let one: Option<(i64,)> = s.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some((1,)));
    assert_eq!(pool.metrics().closed(CloseReason::HealthCheck), 1);

    // Broken in use: the caller sees its error, the pool closes the connection.
    let second = s.connection_id();
    kill(second).await;
    let e = s.query_drop("SELECT 1").await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(s.is_broken());
    drop(s);
    until(&pool, "broken one gone", |m| m.size == 0).await;
    assert_eq!(pool.metrics().closed(CloseReason::Broken), 1);
    let s = pool.get().await.unwrap();
    assert_ne!(s.connection_id(), second);
}

#[tokio::test]
async fn lifetimes_idle_timeouts_and_min_idle() {
    let pool = Pool::new(
        opts(),
        PoolOptions::with_max_size(4)
            .max_lifetime(Some(Duration::from_millis(300)))
            .idle_timeout(None),
    )
    .unwrap();
    let s = pool.get().await.unwrap();
    let id = s.connection_id();
    drop(s);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let s = pool.get().await.unwrap();
    assert_ne!(s.connection_id(), id, "past max_lifetime: a new connection");
    assert!(pool.metrics().closed(CloseReason::Lifetime) >= 1);
    drop(s);

    let pool = Pool::new(
        opts(),
        PoolOptions::with_max_size(4)
            .min_idle(2)
            .idle_timeout(Some(Duration::from_millis(200))),
    )
    .unwrap();
    until(&pool, "min_idle opened in the background", |m| m.idle == 2).await;
    let held: Vec<_> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(pool.get().await.unwrap());
        }
        v
    };
    assert_eq!(pool.metrics().size, 4);
    drop(held);
    until(&pool, "all four idle", |m| m.idle == 4).await;
    until(&pool, "back to min_idle", |m| m.idle == 2 && m.size == 2).await;
    assert_eq!(pool.metrics().closed(CloseReason::IdleTimeout), 2);
    pool.close().await;
    assert_eq!(pool.metrics().size, 0);
    let e = pool.get().await.unwrap_err();
    assert!(e.to_string().contains("closed"), "{e}");
}

#[test]
fn blocking_pool_serves_in_order_resets_and_replaces() {
    let pool = blocking::Pool::new(
        opts(),
        PoolOptions::with_max_size(1).health_check_after(Some(Duration::ZERO)),
    )
    .unwrap();
    let mut s = pool.get().unwrap();
    let id = s.connection_id();
    s.query_drop("SET @b = 1").unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for i in 0..3 {
        let (p, order) = (pool.clone(), Arc::clone(&order));
        threads.push(std::thread::spawn(move || {
            let mut s = p.get().unwrap();
            order.lock().unwrap().push(i);
            let v: Option<(Option<i64>,)> = s.query_first("SELECT @b").unwrap();
            assert_eq!(v, Some((None,)), "reset before reuse");
        }));
        let deadline = Instant::now() + Duration::from_secs(10);
        while pool.metrics().waiting != i + 1 {
            assert!(Instant::now() < deadline, "{:?}", pool.metrics());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(s);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    assert_eq!(pool.metrics().opened, 1);

    // Killed while idle: replaced unseen.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(kill(id));
    let mut s = pool.get().unwrap();
    assert_ne!(s.connection_id(), id);
    s.query_drop("DO 1").unwrap();
    assert_eq!(pool.metrics().closed(CloseReason::HealthCheck), 1);

    // Timeout while the only connection is held.
    let short = blocking::Pool::new(
        opts(),
        PoolOptions::with_max_size(1).acquire_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    let _held = short.get().unwrap();
    assert_eq!(short.get().unwrap_err().kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn an_idle_connection_closed_with_err_4031_is_replaced_unseen() {
    let (addr, h) = mysql8::spawn_many(2, |i, mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_ok().await?;
        let mut commands = Vec::new();
        if i == 0 {
            // Given back: COM_RESET_CONNECTION.
            commands.push(c.recv_command().await?.map(|f| f.payload.to_vec()));
            c.send_ok().await?;
            // Then wait_timeout passes while it is idle in the pool.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let e = scripted::err(
                0,
                4031,
                b"HY000",
                "The client was disconnected by the server because of inactivity. See \
                 wait_timeout and interactive_timeout for configuring this behavior.",
            );
            c.send_wire(&e).await?;
            // The health check's ping; the server hangs up.
            commands.push(c.recv_command().await?.map(|f| f.payload.to_vec()));
        } else {
            // The replacement: the user's ping, then the reset when it is given back.
            for _ in 0..2 {
                commands.push(c.recv_command().await?.map(|f| f.payload.to_vec()));
                c.send_ok().await?;
            }
        }
        Ok(commands)
    })
    .await;
    let o = Options::from_url(&format!(
        "mysql://alice@127.0.0.1:{}/?connect-timeout=20&read-timeout=10",
        addr.port()
    ))
    .unwrap();
    let pool = Pool::new(
        o,
        PoolOptions::with_max_size(1).health_check_after(Some(Duration::ZERO)),
    )
    .unwrap();
    let s = pool.get().await.unwrap();
    drop(s);
    until(&pool, "given back", |m| m.idle == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut s = pool
        .get()
        .await
        .expect("the 4031 is not the caller's error");
    s.ping().await.unwrap();
    let m = pool.metrics();
    assert_eq!(
        (m.opened, m.closed(CloseReason::HealthCheck)),
        (2, 1),
        "{m:?}"
    );
    drop(s);
    let got = tokio::time::timeout(Duration::from_secs(20), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // COM_RESET_CONNECTION is 0x1f, COM_PING 0x0e.
    assert_eq!(got[0], vec![Some(vec![0x1f]), Some(vec![0x0e])]);
    assert_eq!(got[1], vec![Some(vec![0x0e]), Some(vec![0x1f])]);
}

/// `ResetMode::None`: a connection given back idle and outside a transaction costs no round
/// trip (the scripted server sees only the users' two pings); one given back in a transaction
/// gets a ROLLBACK.
#[tokio::test]
async fn reset_none_returns_an_idle_connection_without_a_round_trip() {
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        c.send_greeting(&mysql8::greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_ok().await?;
        let mut commands = Vec::new();
        while let Some(f) = c.recv_command().await? {
            commands.push(f.payload.to_vec());
            if f.payload.first() == Some(&0x01) {
                break;
            }
            c.send_ok().await?;
        }
        Ok(commands)
    })
    .await;
    let o = Options::from_url(&format!(
        "mysql://u@127.0.0.1:{}/?ssl-mode=DISABLED",
        addr.port()
    ))
    .unwrap();
    let pool = Pool::new(o, PoolOptions::with_max_size(1).reset(ResetMode::None)).unwrap();
    for _ in 0..2 {
        pool.get().await.unwrap().ping().await.unwrap();
        assert_eq!(pool.metrics().idle, 1, "back at once: {:?}", pool.metrics());
    }
    pool.close().await;
    let commands = tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(commands, [vec![0x0e], vec![0x0e], vec![0x01]]);
}
