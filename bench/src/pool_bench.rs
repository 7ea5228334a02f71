//! `pool-bench`: connection pools under contention (issue 14). T tasks (default 64) run
//! `SELECT 1` through a pool of K connections (default 16), each operation an acquire, the
//! query and the release, on one tokio thread; the clients:
//!
//! - `direct`: K tasks, each with its own mywire session (no pool): the floor;
//! - `mywire-reset`: mywire's `Pool`, reset on return (its default: COM_RESET_CONNECTION);
//! - `mywire-none`: mywire's `Pool` with `ResetMode::None`;
//! - `mysql_async`: its `Pool` (constraints K..K), resetting on return (its default);
//! - `mysql_async-noreset`: the same with `with_reset_connection(false)`;
//! - `sqlx`: `MySqlPool` (max K), `raw_sql("SELECT 1")` (text protocol; sqlx does not reset).
//!
//! Every client's pool is filled before the clock starts. Per client: wall per operation,
//! client CPU per operation (getrusage of this process), and the server's CPU per operation;
//! R repetitions, clients in a rotating order, medians. The throwaway server is the harness's
//! (`server.rs`).
//!
//! Then (with the harness's server, unless `--no-slap`) `mywire slap` against `mariadb-slap`:
//! the same `SELECT 1`, the same number of queries and clients (one connection each), R runs
//! each in turn; the wall time of the whole process (connects included) and the CPU it used
//! (its getrusage as a child), medians. `mywire` is taken from this binary's directory
//! (build it with `cargo build --release -p mywire-cli`).
//!
//! usage: pool-bench [--ops N] [--tasks T] [--size K] [--reps R] [--url URL] [--no-slap]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
#[path = "measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "server.rs"]
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mywire::pool::{Pool, PoolOptions, ResetMode};
use mywire::{Options, Session};

const CLIENTS: [&str; 6] = [
    "direct",
    "mywire-reset",
    "mywire-none",
    "mysql_async",
    "mysql_async-noreset",
    "sqlx",
];

struct Cfg {
    ops: u64,
    tasks: usize,
    size: usize,
    reps: usize,
}

/// Runs `op` from `tasks` tasks until `ops` operations are done.
async fn drive<F, Fut>(ops: u64, tasks: usize, op: F)
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let local = tokio::task::LocalSet::new();
    for _ in 0..tasks {
        let (next, op) = (Arc::clone(&next), op.clone());
        local.spawn_local(async move {
            while next.fetch_add(1, Ordering::Relaxed) < ops {
                op().await;
            }
        });
    }
    local.await;
}

async fn run_client(name: &str, url: &str, c: &Cfg) -> Duration {
    let opts = Options::from_url(url).unwrap();
    match name {
        "direct" => {
            let mut sessions = Vec::new();
            for _ in 0..c.size {
                sessions.push(Session::connect(opts.clone()).await.unwrap());
            }
            let next = Arc::new(AtomicU64::new(0));
            let t0 = Instant::now();
            let local = tokio::task::LocalSet::new();
            for mut s in sessions {
                let next = Arc::clone(&next);
                let ops = c.ops;
                local.spawn_local(async move {
                    while next.fetch_add(1, Ordering::Relaxed) < ops {
                        s.query_drop("SELECT 1").await.unwrap();
                    }
                });
            }
            local.await;
            t0.elapsed()
        }
        "mywire-reset" | "mywire-none" => {
            let mode = if name == "mywire-reset" {
                ResetMode::Reset
            } else {
                ResetMode::None
            };
            let pool = Pool::new(opts, PoolOptions::with_max_size(c.size).reset(mode)).unwrap();
            let p = pool.clone();
            drive(u64::try_from(c.size * 4).unwrap(), c.size, move || {
                let p = p.clone();
                async move {
                    p.get().await.unwrap().query_drop("SELECT 1").await.unwrap();
                }
            })
            .await;
            let p = pool.clone();
            let t0 = Instant::now();
            drive(c.ops, c.tasks, move || {
                let p = p.clone();
                async move {
                    p.get().await.unwrap().query_drop("SELECT 1").await.unwrap();
                }
            })
            .await;
            let d = t0.elapsed();
            pool.close().await;
            d
        }
        "mysql_async" | "mysql_async-noreset" => {
            use mysql_async::prelude::Queryable;
            let constraints = mysql_async::PoolConstraints::new(c.size, c.size).unwrap();
            let popts = mysql_async::PoolOpts::default()
                .with_constraints(constraints)
                .with_reset_connection(name == "mysql_async");
            let o = mysql_async::OptsBuilder::from_opts(mysql_async::Opts::from_url(url).unwrap())
                .pool_opts(popts);
            let pool = mysql_async::Pool::new(o);
            let op = |p: mysql_async::Pool| async move {
                let mut conn = p.get_conn().await.unwrap();
                conn.query_drop("SELECT 1").await.unwrap();
            };
            let p = pool.clone();
            drive(u64::try_from(c.size * 4).unwrap(), c.size, move || {
                op(p.clone())
            })
            .await;
            let p = pool.clone();
            let t0 = Instant::now();
            drive(c.ops, c.tasks, move || op(p.clone())).await;
            let d = t0.elapsed();
            pool.disconnect().await.unwrap();
            d
        }
        "sqlx" => {
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(u32::try_from(c.size).unwrap())
                .min_connections(u32::try_from(c.size).unwrap())
                .connect(url)
                .await
                .unwrap();
            let op = |p: sqlx::MySqlPool| async move {
                sqlx::raw_sql("SELECT 1").execute(&p).await.unwrap();
            };
            let p = pool.clone();
            drive(u64::try_from(c.size * 4).unwrap(), c.size, move || {
                op(p.clone())
            })
            .await;
            let p = pool.clone();
            let t0 = Instant::now();
            drive(c.ops, c.tasks, move || op(p.clone())).await;
            let d = t0.elapsed();
            pool.close().await;
            d
        }
        _ => panic!("unknown client {name}"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut c = Cfg {
        ops: 50_000,
        tasks: 64,
        size: 16,
        reps: 5,
    };
    let mut url = None;
    let mut slap = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value");
        match a.as_str() {
            "--ops" => c.ops = val().parse().unwrap(),
            "--tasks" => c.tasks = val().parse().unwrap(),
            "--size" => c.size = val().parse().unwrap(),
            "--reps" => c.reps = val().parse().unwrap(),
            "--url" => url = Some(val()),
            "--no-slap" => slap = false,
            _ => {
                panic!("usage: pool-bench [--ops N] [--tasks T] [--size K] [--reps R] [--url URL]")
            }
        }
    }
    let srv = match url {
        Some(_) => None,
        None => Some(server::Server::start(false).unwrap()),
    };
    let url = url.unwrap_or_else(|| srv.as_ref().unwrap().url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    type Row<'a> = (&'a str, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut rows: Vec<Row> = CLIENTS
        .iter()
        .map(|n| (*n, vec![], vec![], vec![]))
        .collect();
    for rep in 0..c.reps {
        for k in 0..CLIENTS.len() {
            let i = (k + rep) % CLIENTS.len();
            let name = CLIENTS[i];
            let (u0, s0) = measure::cpu_self();
            let srv0 = srv.as_ref().map(|s| s.cpu());

            let wall = rt.block_on(run_client(name, &url, &c));
            let (u1, s1) = measure::cpu_self();
            let srv_cpu = match (&srv, srv0) {
                (Some(s), Some(t0)) => s.cpu().saturating_sub(t0),
                _ => Duration::ZERO,
            };
            let per = |d: Duration| d.as_secs_f64() * 1e6 / c.ops as f64;
            rows[i].1.push(per(wall));
            // Includes filling the pool (a few connects); the same for every client.
            rows[i].2.push(per((u1 + s1).saturating_sub(u0 + s0)));
            rows[i].3.push(per(srv_cpu));
        }
    }
    println!(
        "pool-bench: {} ops, {} tasks, {} connections, {} reps (medians); load before: {}",
        c.ops,
        c.tasks,
        c.size,
        c.reps,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!();
    println!("| client | wall per op | client CPU per op | server CPU per op | wall / direct |");
    println!("|---|---:|---:|---:|---:|");
    let base = median(rows[0].1.clone());
    for (name, wall, cpu, scpu) in rows {
        let w = median(wall);
        println!(
            "| {name} | {w:.1} µs | {:.1} µs | {:.1} µs | {:.2}× |",
            median(cpu),
            median(scpu),
            w / base
        );
    }
    if let (true, Some(srv)) = (slap, &srv) {
        slap_table(srv, &url, &c);
    }
}

/// The server's Com_select so far.
fn selects(s: &server::Server) -> i64 {
    s.sql(
        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
         WHERE VARIABLE_NAME = 'COM_SELECT'",
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap_or(0)
}

/// CPU time of the children waited for so far.
fn cpu_children() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    measure::tv(ru.ru_utime) + measure::tv(ru.ru_stime)
}

/// Runs `cmd`, returns its wall time and CPU time; panics on failure.
fn timed(mut cmd: std::process::Command) -> (f64, f64) {
    let c0 = cpu_children();
    let t0 = Instant::now();
    let out = cmd.output().unwrap();
    let wall = t0.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (wall, cpu_children().saturating_sub(c0).as_secs_f64())
}

fn slap_table(srv: &server::Server, url: &str, c: &Cfg) {
    let mywire = std::env::current_exe().unwrap().with_file_name("mywire");
    if !mywire.exists() {
        println!("\n(no {} for the slap comparison)", mywire.display());
        return;
    }
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let clients = c.size.to_string();
    let ops = c.ops.to_string();
    let mut rows: [(&str, Vec<f64>, Vec<f64>); 2] = [
        ("mywire slap", vec![], vec![]),
        ("mariadb-slap", vec![], vec![]),
    ];
    for rep in 0..c.reps {
        for k in 0..2 {
            let i = (k + rep) % 2;
            let cmd = if i == 0 {
                let mut m = std::process::Command::new(&mywire);
                m.args(["slap", "--url", url, "-c", &clients, "-n", &ops])
                    .args(["-e", "SELECT 1", "--quiet", "--json"]);
                m
            } else {
                let mut m = std::process::Command::new("mariadb-slap");
                m.args(["--no-defaults", "-h127.0.0.1", "-P", &port])
                    .args([
                        format!("-u{}", server::USER),
                        format!("-p{}", server::PASSWORD),
                    ])
                    .arg(format!("--concurrency={clients}"))
                    .arg(format!("--number-of-queries={ops}"))
                    .arg("--query=SELECT 1")
                    // An existing schema: mariadb-slap does not create it with --query alone,
                    // and its clients' failed connects still exit 0.
                    .arg(format!("--create-schema={}", server::DATABASE));
                m
            };
            let before = selects(srv);
            let (wall, cpu) = timed(cmd);
            let ran = selects(srv) - before;
            assert!(
                ran >= i64::try_from(c.ops).unwrap(),
                "{}: the server saw {ran} SELECTs of {}",
                rows[i].0,
                c.ops
            );
            rows[i].1.push(wall);
            rows[i].2.push(cpu);
        }
    }
    println!();
    println!(
        "slap: SELECT 1, {} queries, {} clients, {} runs each (medians; wall and CPU of the whole process)",
        c.ops, c.size, c.reps
    );
    println!();
    println!("| tool | wall | queries/s | CPU per query | wall / mariadb-slap |");
    println!("|---|---:|---:|---:|---:|");
    let base = median(rows[1].1.clone());
    for (name, wall, cpu) in rows {
        let w = median(wall);
        println!(
            "| {name} | {w:.2} s | {:.0} | {:.1} µs | {:.2}× |",
            c.ops as f64 / w,
            median(cpu) * 1e6 / c.ops as f64,
            w / base
        );
    }
}
