//! Against a real 3-node MariaDB Galera cluster on loopback (tests/support/galera.rs): the
//! nodes answer and replicate, a certification conflict is `ErrorKind::Deadlock`, a node
//! outside the primary component answers ERR 1047 (`NodeNotReady`) and multi-host connects
//! and pools move off it, and a pool
//! over a multi-host URL keeps writing while nodes are killed with SIGKILL and rejoin: every
//! acknowledged write is in the table afterwards, every failure has a transient kind, nothing
//! hangs, and the pool is back to full size once the node is back. The same pool test against
//! the single throwaway MariaDB restarted under load.
//!
//! The tests share one cluster (started on first use, about 20 s) and run one at a time. A
//! missing prerequisite (galera-4, rsync) prints SKIPPED, or fails under `CI=true`.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use mywire::pool::{Pool, PoolOptions};
use mywire::{Error, ErrorKind, Options, Session};
use support::galera::{self, GaleraCluster, SYNC_TIMEOUT};

static CLUSTER: OnceLock<Result<GaleraCluster, String>> = OnceLock::new();
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Concurrent writers in the failover tests.
const K: usize = 8;
/// Per-query bound (`read-timeout`), connect and acquire bounds, and the bound past which a
/// writer's operation counts as hung.
const READ_TIMEOUT_S: u64 = 5;
const ACQUIRE: Duration = Duration::from_secs(5);
const HUNG: Duration = Duration::from_secs(20);
/// How long the pool may take to be back at full size once every node is back.
const REFILL: Duration = Duration::from_secs(15);

/// The shared cluster, synced with all three nodes running; `None` after a SKIPPED line.
async fn cluster() -> Option<&'static GaleraCluster> {
    if let Err(why) = galera::prerequisites() {
        support::skip_or_fail(&format!("needs a Galera cluster: {why}"));
        return None;
    }
    let c = tokio::task::spawn_blocking(|| match CLUSTER.get_or_init(GaleraCluster::start) {
        Ok(c) => {
            // A test that failed half-way may have left a node down or isolated.
            for i in 0..galera::NODES {
                if c.is_running(i) {
                    let _ = c.sql(i, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'");
                } else {
                    c.restart(i).unwrap();
                }
            }
            c.wait_all_synced(SYNC_TIMEOUT).unwrap();
            c
        }
        Err(e) => panic!("could not start the Galera cluster:\n{e}"),
    })
    .await
    .unwrap();
    Some(c)
}

async fn connect(url: &str) -> Session {
    Session::connect(Options::from_url(url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

async fn scalar(s: &mut Session, sql: &str) -> i64 {
    let r: Option<(i64,)> = s.query_first(sql).await.unwrap();
    r.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_answer_and_a_write_on_node_1_is_read_on_node_3() {
    let _g = SERIAL.lock().await;
    let Some(c) = cluster().await else { return };
    for i in 0..galera::NODES {
        let mut s = connect(&c.node_url(i, "")).await;
        assert_eq!(
            scalar(&mut s, "SELECT @@port").await,
            i64::from(c.nodes[i].port)
        );
        assert_eq!(scalar(&mut s, "SELECT @@wsrep_on").await, 1);
        let size: Option<(String, String)> = s
            .query_first("SHOW STATUS LIKE 'wsrep_cluster_size'")
            .await
            .unwrap();
        assert_eq!(size.unwrap().1, "3", "node {}", i + 1);
        s.close().await.unwrap();
    }
    let mut n1 = connect(&c.node_url(0, "")).await;
    n1.query_drop("DROP TABLE IF EXISTS basic").await.unwrap();
    n1.query_drop("CREATE TABLE basic (id INT PRIMARY KEY, v VARCHAR(20))")
        .await
        .unwrap();
    n1.query_drop("INSERT INTO basic VALUES (1, 'from node 1')")
        .await
        .unwrap();
    let mut n3 = connect(&c.node_url(2, "")).await;
    // Causal read: node 3 waits until it has applied what the cluster committed before.
    n3.query_drop("SET SESSION wsrep_sync_wait = 1")
        .await
        .unwrap();
    let row: Option<(i64, String)> = n3.query_first("SELECT id, v FROM basic").await.unwrap();
    assert_eq!(row, Some((1, "from node 1".to_string())));
    n1.query_drop("DROP TABLE basic").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certification_conflict_at_commit_is_a_transient_deadlock() {
    let _g = SERIAL.lock().await;
    let Some(c) = cluster().await else { return };
    let mut a = connect(&c.node_url(0, "")).await;
    let mut b = connect(&c.node_url(1, "")).await;
    a.query_drop("DROP TABLE IF EXISTS cert").await.unwrap();
    a.query_drop("CREATE TABLE cert (id INT PRIMARY KEY, v INT NOT NULL)")
        .await
        .unwrap();
    a.query_drop("INSERT INTO cert VALUES (1, 0)")
        .await
        .unwrap();
    b.query_drop("SET SESSION wsrep_sync_wait = 1")
        .await
        .unwrap();
    assert_eq!(scalar(&mut b, "SELECT v FROM cert WHERE id = 1").await, 0);
    b.query_drop("SET SESSION wsrep_sync_wait = 0")
        .await
        .unwrap();

    // The same row changed in two transactions on two nodes: each holds only its own node's
    // row lock, so both UPDATEs succeed; the first COMMIT wins certification.
    a.query_drop("START TRANSACTION").await.unwrap();
    a.query_drop("UPDATE cert SET v = v + 1 WHERE id = 1")
        .await
        .unwrap();
    b.query_drop("START TRANSACTION").await.unwrap();
    b.query_drop("UPDATE cert SET v = v + 10 WHERE id = 1")
        .await
        .unwrap();
    a.query_drop("COMMIT").await.unwrap();
    let e = b.query_drop("COMMIT").await.unwrap_err();
    eprintln!("second COMMIT: {e}");
    assert_eq!(e.server_error().map(|s| s.code), Some(1213), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Deadlock, "{e}");
    assert!(e.is_transient());
    assert!(!b.is_broken(), "an ERR leaves the session usable");
    // The loser's transaction was rolled back: the row has the winner's change only, and the
    // same work done again succeeds. Node 2 has certified the winner's write set but may not
    // have applied it yet: causal reads and updates (wsrep_sync_wait = 1 | 2) wait for it.
    b.query_drop("SET SESSION wsrep_sync_wait = 3")
        .await
        .unwrap();
    assert_eq!(scalar(&mut b, "SELECT v FROM cert WHERE id = 1").await, 1);
    b.query_drop("UPDATE cert SET v = v + 10 WHERE id = 1")
        .await
        .unwrap();
    a.query_drop("SET SESSION wsrep_sync_wait = 1")
        .await
        .unwrap();
    assert_eq!(scalar(&mut a, "SELECT v FROM cert WHERE id = 1").await, 11);
    a.query_drop("DROP TABLE cert").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_outside_the_primary_component_answers_1047_and_connects_and_pools_move_off_it() {
    let _g = SERIAL.lock().await;
    let Some(c) = cluster().await else { return };
    let mut direct = connect(&c.node_url(2, "")).await;
    let mut other = connect(&c.node_url(2, "")).await;
    // A pool whose first host is node 3, with an idle connection there.
    let pool_url = format!(
        "mysql://{}:{}@127.0.0.1:{},127.0.0.1:{}/{}",
        support::USER,
        support::PASSWORD,
        c.nodes[2].port,
        c.nodes[0].port,
        support::DATABASE
    );
    let pool = Pool::new(
        Options::from_url(&pool_url).unwrap(),
        PoolOptions::with_max_size(1),
    )
    .unwrap();
    {
        let mut s = pool.get().await.unwrap();
        assert_eq!(
            scalar(&mut s, "SELECT @@port").await,
            i64::from(c.nodes[2].port)
        );
    }
    // Node 3 cuts itself off from the group (galera-4's gmcast.isolate): it is then a
    // non-primary component of one.
    c.sql(2, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
        .unwrap();
    let t0 = Instant::now();
    loop {
        let st = c.status(2).unwrap();
        if st.cluster_status != "Primary" && !st.ready {
            eprintln!(
                "node 3 out of the primary component after {:?}: {st:?}",
                t0.elapsed()
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "node 3 still {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // An open connection stays open, but the node refuses queries.
    let e = direct
        .query_drop("SELECT COUNT(*) FROM mysql.user")
        .await
        .unwrap_err();
    eprintln!("query on the isolated node: {e}");
    assert_eq!(e.server_error().map(|s| s.code), Some(1047), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::NodeNotReady);
    assert!(e.is_transient());
    assert!(!direct.is_broken());
    // COM_PING passes the gate, COM_RESET_CONNECTION does not: so a pooled connection to the
    // node fails its user's query once, then its reset on return fails and the pool closes
    // it; the next acquire connects through the readiness probe, to node 1.
    other.ping().await.unwrap();
    let e = other.reset().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NodeNotReady, "{e}");
    {
        let mut s = pool.get().await.unwrap();
        let e = s
            .query_drop("SELECT @@port FROM (SELECT 1) AS t")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NodeNotReady, "{e}");
    }
    {
        let mut s = pool.get().await.unwrap();
        assert_eq!(
            scalar(&mut s, "SELECT @@port").await,
            i64::from(c.nodes[0].port)
        );
    }
    let m = pool.metrics();
    assert_eq!(m.closed(mywire::pool::CloseReason::ResetFailed), 1, "{m:?}");
    assert_eq!(m.opened, 2, "{m:?}");
    // A new connection is accepted (the handshake works), and the multi-host connect's
    // readiness probe passes over the node to the next one.
    let mut probe = connect(&c.node_url(2, "")).await;
    // MariaDB's wsrep gate lets statements without tables through (the reason the readiness
    // probe reads from a derived table); anything with a table is refused.
    for (sql, refused) in [
        ("SELECT 1", false),
        ("SELECT @@global.read_only", false),
        ("SELECT @@global.read_only FROM DUAL", false),
        ("SELECT @@global.read_only FROM (SELECT 1) AS probe", true),
        ("WITH t AS (SELECT 1) SELECT * FROM t", true),
        ("SELECT COUNT(*) FROM mysql.user", true),
    ] {
        let r = probe.query_drop(sql).await.map(drop);
        eprintln!("  {sql}: {:?}", r.as_ref().map_err(ToString::to_string));
        match r {
            Err(e) => {
                assert!(refused, "{sql}: {e}");
                assert_eq!(e.kind(), ErrorKind::NodeNotReady, "{sql}: {e}");
            }
            Ok(()) => assert!(!refused, "{sql} was let through"),
        }
    }
    let hosts = format!(
        "mysql://{}:{}@127.0.0.1:{},127.0.0.1:{}/{}",
        support::USER,
        support::PASSWORD,
        c.nodes[2].port,
        c.nodes[0].port,
        support::DATABASE
    );
    let mut s = connect(&hosts).await;
    assert_eq!(
        scalar(&mut s, "SELECT @@port").await,
        i64::from(c.nodes[0].port)
    );

    c.sql(2, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
        .unwrap();
    let back = tokio::task::spawn_blocking(move || c.wait_synced(2, SYNC_TIMEOUT))
        .await
        .unwrap()
        .unwrap();
    eprintln!("node 3 synced again after {back:?}");
    // The same connection works again once the node is back.
    assert_eq!(scalar(&mut direct, "SELECT 1").await, 1);
}

/// What the writers saw.
#[derive(Default)]
struct Outcome {
    acked: Vec<u64>,
    failed: Vec<(u64, ErrorKind, String)>,
    hung: Vec<u64>,
}

/// `K` tasks inserting ids `1, 2, …` (each once) through `pool` until `stop`; each operation
/// (acquire and INSERT) bounded by [`HUNG`].
fn spawn_writers(
    pool: &Pool,
    table: &'static str,
    stop: &Arc<AtomicBool>,
    acks: &Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<Outcome>> {
    let next = Arc::new(AtomicU64::new(1));
    (0..K)
        .map(|_| {
            let (pool, next, stop) = (pool.clone(), Arc::clone(&next), Arc::clone(stop));
            let acks = Arc::clone(acks);
            tokio::spawn(async move {
                let mut out = Outcome::default();
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let op = async {
                        let mut s = pool.get().await?;
                        s.query_drop(&format!("INSERT INTO {table} (id) VALUES ({n})"))
                            .await
                            .map(drop)
                    };
                    match tokio::time::timeout(HUNG, op).await {
                        Ok(Ok(())) => {
                            out.acked.push(n);
                            acks.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Err(e)) => {
                            out.failed.push((n, e.kind(), e.to_string()));
                            // No node may be reachable for a moment: don't spin.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(_) => out.hung.push(n),
                    }
                }
                out
            })
        })
        .collect()
}

/// What a [`spawn_monitor`] saw while the writers ran.
#[derive(Debug)]
struct Watch {
    /// Smallest pool size seen.
    min_size: usize,
    /// Longest time no write was acknowledged.
    longest_stall: Duration,
}

/// Samples the pool's size and the acknowledged count every 20 ms until `stop`.
fn spawn_monitor(
    pool: &Pool,
    stop: &Arc<AtomicBool>,
    acks: &Arc<AtomicU64>,
) -> tokio::task::JoinHandle<Watch> {
    let (pool, stop, acks) = (pool.clone(), Arc::clone(stop), Arc::clone(acks));
    tokio::spawn(async move {
        let mut w = Watch {
            min_size: usize::MAX,
            longest_stall: Duration::ZERO,
        };
        let (mut last, mut since) = (acks.load(Ordering::Relaxed), Instant::now());
        while !stop.load(Ordering::Relaxed) {
            w.min_size = w.min_size.min(pool.metrics().size);
            let now = acks.load(Ordering::Relaxed);
            if now != last {
                (last, since) = (now, Instant::now());
            }
            w.longest_stall = w.longest_stall.max(since.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        w
    })
}

/// Joins the writers and checks what they saw: nothing hung, every failure transient.
async fn collect(writers: Vec<tokio::task::JoinHandle<Outcome>>) -> Outcome {
    let mut all = Outcome::default();
    for w in writers {
        let o = tokio::time::timeout(HUNG * 2, w)
            .await
            .expect("a writer task hung")
            .unwrap();
        all.acked.extend(o.acked);
        all.failed.extend(o.failed);
        all.hung.extend(o.hung);
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for (_, k, _) in &all.failed {
        *by_kind.entry(format!("{k:?}")).or_default() += 1;
    }
    eprintln!(
        "writers: {} acknowledged, {} failed {by_kind:?}, {} hung",
        all.acked.len(),
        all.failed.len(),
        all.hung.len()
    );
    for (n, k, msg) in all.failed.iter().take(12) {
        eprintln!("  id {n}: {k:?}: {msg}");
    }
    assert!(all.hung.is_empty(), "operations hung: ids {:?}", all.hung);
    let odd: Vec<_> = all
        .failed
        .iter()
        .filter(|(_, k, _)| !transient(*k))
        .collect();
    assert!(odd.is_empty(), "failures without a transient kind: {odd:?}");
    assert!(!all.acked.is_empty());
    all
}

fn transient(k: ErrorKind) -> bool {
    matches!(
        k,
        ErrorKind::ConnectFailed
            | ErrorKind::ConnectionLost
            | ErrorKind::ClosedByServer
            | ErrorKind::ServerShutdown
            | ErrorKind::Deadlock
            | ErrorKind::LockWaitTimeout
            | ErrorKind::NodeNotReady
            | ErrorKind::Timeout
    )
}

/// Every acknowledged id is in `ids` (what the table holds), and the table holds nothing never
/// written.
fn check_acked(out: &Outcome, ids: &BTreeSet<u64>) {
    let missing: Vec<_> = out.acked.iter().filter(|n| !ids.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged ids missing from the table: {missing:?}",
        missing.len()
    );
    let tried: BTreeSet<u64> = out
        .acked
        .iter()
        .chain(out.failed.iter().map(|(n, _, _)| n))
        .chain(&out.hung)
        .copied()
        .collect();
    let stray: Vec<_> = ids.iter().filter(|n| !tried.contains(n)).collect();
    assert!(stray.is_empty(), "ids never written: {stray:?}");
    let unacked_in = ids.len() - out.acked.len();
    eprintln!(
        "table: {} rows ({} of them from failed operations: committed, reply lost)",
        ids.len(),
        unacked_in
    );
}

/// Waits until the pool has `K` connections, all idle; returns how long that took.
async fn wait_full(pool: &Pool) -> Duration {
    let t0 = Instant::now();
    loop {
        let m = pool.metrics();
        if m.size == K && m.idle == K {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < REFILL,
            "pool not back to {K} idle connections after {REFILL:?}: {m:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `K` connections at once from `pool`, each answering.
async fn all_answer(pool: &Pool) {
    let mut held = Vec::new();
    for _ in 0..K {
        let mut s = tokio::time::timeout(HUNG, pool.get())
            .await
            .expect("acquire hung")
            .unwrap();
        assert_eq!(scalar(&mut s, "SELECT 1").await, 1);
        held.push(s);
    }
}

fn pool_options() -> PoolOptions {
    PoolOptions::with_max_size(K)
        .min_idle(K)
        .acquire_timeout(ACQUIRE)
}

fn ids_of(text: &str) -> BTreeSet<u64> {
    text.lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_over_the_cluster_keeps_every_acknowledged_write_while_nodes_are_killed() {
    let _g = SERIAL.lock().await;
    let Some(c) = cluster().await else { return };
    c.sql(
        0,
        "DROP TABLE IF EXISTS mywire_test.failover; \
         CREATE TABLE mywire_test.failover (id BIGINT PRIMARY KEY)",
    )
    .unwrap();
    let url = c.url(&format!(
        "host-selection=round-robin&connect-timeout=2&read-timeout={READ_TIMEOUT_S}"
    ));
    let pool = Pool::new(Options::from_url(&url).unwrap(), pool_options()).unwrap();
    let t_full = wait_full(&pool).await;
    eprintln!("pool full in {t_full:?}");
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicU64::new(0));
    let writers = spawn_writers(&pool, "failover", &stop, &acks);
    let monitor = spawn_monitor(&pool, &stop, &acks);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut refill = Vec::new();
    for victim in [0, 2] {
        eprintln!("{:?}: kill -9 node {}", t0.elapsed(), victim + 1);
        tokio::task::spawn_blocking(move || c.kill(victim))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(4)).await;
        eprintln!("{:?}: restart node {}", t0.elapsed(), victim + 1);
        let log_from = c.err_log(victim).len();
        tokio::task::spawn_blocking(move || c.restart(victim))
            .await
            .unwrap()
            .unwrap();
        let synced = tokio::task::spawn_blocking(move || c.wait_synced(victim, SYNC_TIMEOUT))
            .await
            .unwrap()
            .unwrap();
        eprintln!(
            "{:?}: node {} synced ({synced:?} after accepting connections); pool {:?}",
            t0.elapsed(),
            victim + 1,
            pool.metrics()
        );
        // How it rejoined (IST or a full SST), for the record.
        for l in c.err_log(victim)[log_from..].lines().filter(|l| {
            [
                "IST",
                "SST",
                "Recovered position",
                "State transfer required",
            ]
            .iter()
            .any(|k| l.contains(k))
        }) {
            eprintln!("  node {}: {l}", victim + 1);
        }
        // Under load the pool is at full size again soon after the node is back.
        let t = Instant::now();
        while pool.metrics().size < K {
            assert!(
                t.elapsed() < REFILL,
                "pool not back to {K} connections: {:?}",
                pool.metrics()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        refill.push(t.elapsed());
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let out = collect(writers).await;
    let watch = monitor.await.unwrap();
    eprintln!("pool at full size {refill:?} after each node was synced again; {watch:?}");
    let t_idle = wait_full(&pool).await;
    eprintln!("all {K} idle again {t_idle:?} after the writers stopped");
    all_answer(&pool).await;
    let m = pool.metrics();
    eprintln!("pool metrics: {m:?}");

    // Every node has every acknowledged row (causal reads, after all are synced).
    tokio::task::spawn_blocking(move || c.wait_all_synced(SYNC_TIMEOUT))
        .await
        .unwrap()
        .unwrap();
    let mut counts = Vec::new();
    for i in 0..galera::NODES {
        let ids = ids_of(
            &c.sql(
                i,
                "SET SESSION wsrep_sync_wait = 1; SELECT id FROM mywire_test.failover",
            )
            .unwrap(),
        );
        check_acked(&out, &ids);
        counts.push(ids.len());
    }
    assert!(
        counts.windows(2).all(|w| w[0] == w[1]),
        "nodes differ: {counts:?}"
    );
    pool.close().await;
    c.sql(1, "DROP TABLE mywire_test.failover").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_over_a_single_server_keeps_every_acknowledged_write_across_a_restart() {
    let _g = SERIAL.lock().await;
    let server = require_local_server!();
    server.sql(
        "DROP TABLE IF EXISTS mywire_test.restart_pool; \
         CREATE TABLE mywire_test.restart_pool (id BIGINT PRIMARY KEY) ENGINE=InnoDB",
    );
    let url = format!(
        "{}?connect-timeout=2&read-timeout={READ_TIMEOUT_S}",
        server.url()
    );
    let pool = Pool::new(Options::from_url(&url).unwrap(), pool_options()).unwrap();
    wait_full(&pool).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicU64::new(0));
    let writers = spawn_writers(&pool, "restart_pool", &stop, &acks);
    let monitor = spawn_monitor(&pool, &stop, &acks);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t0 = Instant::now();
    tokio::task::spawn_blocking(move || server.restart())
        .await
        .unwrap();
    eprintln!("restart took {:?}", t0.elapsed());
    let t = Instant::now();
    while pool.metrics().size < K {
        assert!(
            t.elapsed() < REFILL,
            "pool not refilled: {:?}",
            pool.metrics()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "pool back to {K} connections {:?} after the restart",
        t.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let out = collect(writers).await;
    eprintln!("{:?}", monitor.await.unwrap());
    wait_full(&pool).await;
    all_answer(&pool).await;
    eprintln!("pool metrics: {:?}", pool.metrics());
    let ids = ids_of(&server.sql("SELECT id FROM mywire_test.restart_pool"));
    check_acked(&out, &ids);
    pool.close().await;
    server.sql("DROP TABLE mywire_test.restart_pool");
}

/// Not a test of the library: what a failure looks like when it is not classified, so the
/// check above is known to bite.
#[test]
fn the_transient_check_rejects_an_unclassified_server_error() {
    let e = Error::Config("x".into());
    assert!(!transient(e.kind()));
    assert!(transient(ErrorKind::NodeNotReady));
}
