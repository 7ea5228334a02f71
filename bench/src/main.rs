//! `mywire-bench`: mywire against zero-mysql, mysql_async, sqlx, a raw framing baseline, and
//! (for the bulk dump) `mywire --batch` against `mariadb --batch --quick`.
//!
//! ```text
//! cargo run --release -p mywire-bench -- [--quick] [--only W,W] [--clients C,C]
//!     [--pinned | --unpinned | --both] [--reps N] [--rows N] [--insert-rows N] [--url URL]
//!     [--out FILE] [--compare-exe PATH [--compare-label L]] [--server-defaults]
//! ```
//!
//! Clients and workloads (`catalog.rs`): the text clients (`raw`, `mywire`, `mywire-sync`,
//! `mywire-std`, `zero-mysql`, `zero-mysql-sync`, `mysql_async`, `sqlx-text`) and the prepared
//! ones (`raw-ps`, `mywire-ps`, `mywire-sync-ps`, `zero-mysql-ps`, `zero-mysql-sync-ps`,
//! `mysql_async-ps`, `sqlx`) run `bulk`, `bulk1k` and `roundtrip`; a prepared client prepares
//! its statement before the clock starts and reads binary rows with its own typed decoding
//! (`peers_ps.rs` for zero-mysql's `FromRow` tuples and mysql_async's `exec_iter` /
//! `exec_first`). `insert` (`insert.rs`) puts `--insert-rows` rows (100,000; 10,000 with
//! `--quick`) of (INT, BIGINT, VARCHAR(32), DOUBLE, DATETIME) into a table truncated before
//! each run and verified after it (count and sums, through a second connection, untimed), one
//! client for each way: `mywire-bulk` / `mywire-sync-bulk` (`exec_batch`, COM_STMT_BULK_EXECUTE
//! on MariaDB), `mywire-ps-pipelined` (`exec_batch` with `bulk = false`: pipelined executes),
//! `mywire-ps-rows` (one awaited `execute` per row), `mywire-multirow` (text INSERTs of 1,000
//! rows through `query_drop`), `raw-ps` (one COM_STMT_EXECUTE per row, encoded by hand, framing
//! only), `zero-mysql-bulk` (`exec_bulk_insert_or_update`), `mysql_async-bulk` (`exec_batch`)
//! and `sqlx` (one `query().bind()….execute()` per row). The lines under each table state the
//! issue's targets (`targets.rs`): prepared wall against raw-ps, client CPU against the peers'
//! binary paths, and the bulk insert against the other ways. `bench/scripts/prepared.sh` runs
//! the full measurement of these. `zbulk` and `zinsert` (`compress.rs`) run the bulk read and a
//! bulk insert uncompressed and with zlib (mywire, mywire-sync, mysql_async; `-zlib` clients),
//! with the bytes on the wire; `bench/scripts/compress.sh` runs them.
//!
//! `--compare-exe PATH`: another build of this harness (e.g. an older mywire's `bench/`). Each
//! mywire client row (`mywire`, `mywire-sync`, `mywire-std`) gets a twin, `mywire@L`, whose
//! child is run from PATH instead of this binary, against the same server and data, in the
//! same alternating order (right after its own row). L is `--compare-label`, else the short
//! commit of the git checkout PATH lives in. The child protocol (`--run CLIENT WORKLOAD --url
//! … --n … --connects … --blob … [--insert-rows …] [--cpu 0]`, one `RESULT` line back) is
//! unchanged since the harness began apart from `--insert-rows`, which older builds ignore, so
//! any earlier build answers it. A second table puts the two side by side.
//!
//! `--server-defaults`: the throwaway server keeps InnoDB's defaults (128 MiB buffer pool) in
//! place of the 1 GiB pool and the tuning flags.
//!
//! With a local server, every run also reports the server's CPU time (all mariadbd threads,
//! `/proc/PID/task/*/schedstat`) taken around the whole child (connect and close included).
//!
//! Starts a throwaway MariaDB (unless `--url`), loads the data, then runs every workload for
//! every client in alternating order (A B C A B C …) `--reps` times (5; 1 with `--quick`). Each
//! (client, workload) run is its own process: the harness re-executes itself with
//! `--run CLIENT WORKLOAD …`; the child connects, measures the workload's wall time and its own
//! CPU time (getrusage RUSAGE_SELF, all threads) around the workload, and reports VmHWM at the
//! end. Prints markdown tables of medians. All async clients run on tokio's current_thread
//! runtime.

// Benchmark harness, not library code: it runs against a server it started itself, and a failed
// unwrap, expect, panic or index aborts a measurement run, which is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod catalog;
mod cli;
mod clients;
mod compress;
mod insert;
mod measure;
mod peers;
mod peers_ps;
mod raw;
mod report;
mod server;
mod stats;
mod targets;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use catalog::{clients_for, CLI_CLIENTS, INSERT_CLIENTS, PS_CLIENTS, TEXT_CLIENTS, WORKLOADS};
use cli::{cli_command, files_equal, mywire_cli, run_external, CliSpec};
use clients::Params;
use stats::{fmt_dur, fmt_mib, Key, Sample};

/// The mywire clients that `--compare-exe` runs a second time from the other build.
const COMPARABLE: &[&str] = &["mywire", "mywire-sync", "mywire-std"];

/// `mywire-sync@c736ef6` → (`mywire-sync`, Some(`c736ef6`)).
fn split_client(c: &str) -> (&str, Option<&str>) {
    match c.split_once('@') {
        Some((b, l)) => (b, Some(l)),
        None => (c, None),
    }
}

/// The clients to run for workload `w`, in order: each comparable client is followed by its
/// twin from `--compare-exe`.
fn run_list(cfg: &Cfg, w: &str) -> Vec<String> {
    let listed = |c: &str| cfg.clients.is_empty() || cfg.clients.iter().any(|x| x == c);
    let mut v = Vec::new();
    for c in clients_for(w) {
        if listed(c) || c.starts_with("raw") || c == "mariadb-cli" {
            v.push(c.to_string());
        }
        if cfg.compare_exe.is_some() && COMPARABLE.contains(&c) && !compress::is_compression(w) {
            let twin = format!("{c}@{}", cfg.compare_label);
            if listed(c) || listed(&twin) {
                v.push(twin);
            }
        }
    }
    v
}

/// The short commit of the git checkout that `exe` was built in (`…/target/release/x`), with
/// `+dirty` when its work tree has changes; None outside a checkout.
fn exe_commit(exe: &std::path::Path) -> Option<String> {
    let dir = exe.parent()?;
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = git(&["rev-parse", "--short=7", "HEAD"]).filter(|r| !r.is_empty())?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{rev}+dirty") } else { rev })
}

struct Cfg {
    quick: bool,
    only: Vec<String>,
    clients: Vec<String>,
    modes: Vec<bool>, // true = pinned
    reps: usize,
    url: Option<String>,
    out: Option<PathBuf>,
    rows: usize,
    n: usize,
    connects: usize,
    blob: usize,
    insert_rows: usize,
    compare_exe: Option<PathBuf>,
    compare_label: String,
    server_defaults: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: mywire-bench [--quick] [--only W,W] [--clients C,C] [--pinned|--unpinned|--both] \
         [--reps N] [--rows N] [--insert-rows N] [--url URL] [--out FILE] [--compare-exe PATH [--compare-label L]] \
         [--server-defaults]\n  workloads: {WORKLOADS:?}\n  clients: {:?}",
        TEXT_CLIENTS
            .iter()
            .chain(PS_CLIENTS)
            .chain(INSERT_CLIENTS)
            .chain(CLI_CLIENTS)
            .chain(compress::CLIENTS.iter().filter(|c| c.ends_with("-zlib")))
            .collect::<Vec<_>>()
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--run") {
        child(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("--serve") {
        // Start and load the server, print its URL, and keep it until standard input closes
        // (for profiling single runs: `mywire-bench --run CLIENT WORKLOAD --url URL ...`).
        // `--serve [ROWS] [--server-defaults]`
        let rows = args
            .get(1)
            .and_then(|r| r.parse().ok())
            .unwrap_or(1_000_000);
        let defaults = args.iter().any(|a| a == "--server-defaults");
        let srv = server::Server::start(defaults).unwrap_or_else(|e| panic!("{e}"));
        srv.sql(&setup_sql(rows)).unwrap_or_else(|e| panic!("{e}"));
        println!("{} {}", srv.url(), srv.pid());
        let _ = std::io::stdout().flush();
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        return;
    }
    let mut cfg = Cfg {
        quick: false,
        only: vec![],
        clients: vec![],
        modes: vec![true, false],
        reps: 5,
        url: None,
        out: None,
        rows: 1_000_000,
        n: 20_000,
        connects: 1_000,
        blob: 64 << 20,
        insert_rows: 100_000,
        compare_exe: None,
        compare_label: String::new(),
        server_defaults: false,
    };
    let mut label = None;
    let mut reps = None;
    let mut rows = None;
    let mut insert_rows = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--quick" => cfg.quick = true,
            "--only" => cfg.only = val().split(',').map(String::from).collect(),
            "--clients" => cfg.clients = val().split(',').map(String::from).collect(),
            "--pinned" => cfg.modes = vec![true],
            "--unpinned" => cfg.modes = vec![false],
            "--both" => cfg.modes = vec![true, false],
            "--reps" => reps = Some(val().parse().unwrap_or_else(|_| usage())),
            "--rows" => rows = Some(val().parse().unwrap_or_else(|_| usage())),
            "--insert-rows" => insert_rows = Some(val().parse().unwrap_or_else(|_| usage())),
            "--url" => cfg.url = Some(val()),
            "--out" => cfg.out = Some(PathBuf::from(val())),
            "--compare-exe" => cfg.compare_exe = Some(PathBuf::from(val())),
            "--compare-label" => label = Some(val()),
            "--server-defaults" => cfg.server_defaults = true,
            _ => usage(),
        }
    }
    if cfg.quick {
        cfg.reps = 1;
        cfg.rows = 100_000;
        cfg.n = 2_000;
        cfg.connects = 100;
        cfg.blob = 16 << 20;
        cfg.insert_rows = 10_000;
    }
    if let Some(r) = insert_rows {
        cfg.insert_rows = r;
    }
    if let Some(r) = reps {
        cfg.reps = r;
    }
    if let Some(r) = rows {
        cfg.rows = r;
    }
    if let Some(exe) = &cfg.compare_exe {
        let exe = std::fs::canonicalize(exe).unwrap_or_else(|e| {
            eprintln!("mywire-bench: --compare-exe {}: {e}", exe.display());
            std::process::exit(2)
        });
        cfg.compare_label = label
            .or_else(|| exe_commit(&exe))
            .unwrap_or_else(|| "other".into());
        if cfg.compare_label.contains('@') || cfg.compare_label.is_empty() {
            usage();
        }
        cfg.compare_exe = Some(exe);
    }
    if let Err(e) = parent(&cfg) {
        eprintln!("mywire-bench: {e}");
        std::process::exit(1);
    }
}

// ---- child --------------------------------------------------------------------------------

fn child(args: &[String]) {
    let (client, workload) = (args[0].clone(), args[1].clone());
    let mut p = Params {
        url: String::new(),
        n: 0,
        connects: 0,
        blob: 0,
        insert_rows: 0,
    };
    let mut cpu = None;
    let mut it = args[2..].iter();
    while let Some(a) = it.next() {
        let v = it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--url" => p.url = v,
            "--n" => p.n = v.parse().unwrap_or(0),
            "--connects" => p.connects = v.parse().unwrap_or(0),
            "--blob" => p.blob = v.parse().unwrap_or(0),
            "--insert-rows" => p.insert_rows = v.parse().unwrap_or(0),
            "--cpu" => cpu = v.parse::<usize>().ok(),
            _ => {}
        }
    }
    if let Some(c) = cpu {
        measure::set_affinity(0, &[c]).expect("sched_setaffinity");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let w = workload.as_str();
    let n = p.insert_rows;
    let r = match (client.as_str(), w) {
        (c, "zbulk" | "zinsert") => compress::run(&rt, c, w, &p),
        ("raw-ps", "insert") => insert::raw_ps(&p, n),
        ("mywire-bulk", _) => rt.block_on(insert::mywire(&p, n, insert::Way::Bulk)),
        ("mywire-sync-bulk", _) => insert::mywire_sync(&p, n, insert::Way::Bulk),
        ("mywire-ps-pipelined", _) => rt.block_on(insert::mywire(&p, n, insert::Way::Pipelined)),
        ("mywire-ps-rows", _) => rt.block_on(insert::mywire(&p, n, insert::Way::Rows)),
        ("mywire-multirow", _) => rt.block_on(insert::mywire(&p, n, insert::Way::MultiRow)),
        ("zero-mysql-bulk", _) => rt.block_on(insert::zero_mysql_bulk(&p, n)),
        ("mysql_async-bulk", _) => rt.block_on(insert::mysql_async_bulk(&p, n)),
        ("sqlx", "insert") => rt.block_on(insert::sqlx(&p, n)),
        _ => child_select(&rt, &client, w, &p),
    };
    drop(rt);
    report(r);
}

/// The `bulk` … `blob` workloads' clients.
fn child_select(
    rt: &tokio::runtime::Runtime,
    client: &str,
    w: &str,
    p: &Params,
) -> clients::Res<clients::Measured> {
    let p = p.clone();
    match client {
        "raw" => clients::raw(w, &p, false),
        "raw-ps" => clients::raw(w, &p, true),
        "mywire" => rt.block_on(clients::mywire(w, &p, clients::Mode::Typed)),
        "mywire-std" => rt.block_on(clients::mywire(w, &p, clients::Mode::Std)),
        "mywire-ps" => rt.block_on(clients::mywire(w, &p, clients::Mode::Prepared)),
        "mywire-sync" => clients::mywire_sync(w, &p, clients::Mode::Typed),
        "mywire-sync-ps" => clients::mywire_sync(w, &p, clients::Mode::Prepared),
        "zero-mysql" => rt.block_on(peers::zero_mysql(w, &p)),
        "zero-mysql-sync" => peers::zero_mysql_sync(w, &p),
        "mysql_async" => rt.block_on(peers::mysql_async(w, &p)),
        "sqlx" => rt.block_on(peers::sqlx(w, &p, false)),
        "sqlx-text" => rt.block_on(peers::sqlx(w, &p, true)),
        "zero-mysql-ps" => rt.block_on(peers_ps::zero_mysql_ps(w, &p)),
        "zero-mysql-sync-ps" => peers_ps::zero_mysql_sync_ps(w, &p),
        "mysql_async-ps" => rt.block_on(peers_ps::mysql_async_ps(w, &p)),
        c => Err(format!("unknown client {c}").into()),
    }
}

fn report(r: clients::Res<clients::Measured>) {
    match r {
        Ok(m) => {
            println!(
                "RESULT {} {} {} {} {}",
                m.wall.as_nanos(),
                (m.user + m.sys).as_nanos(),
                measure::peak_rss_kb(),
                m.base_kb,
                m.check
            );
        }
        Err(e) => {
            println!("ERROR {e}");
            std::process::exit(1);
        }
    }
}

// ---- parent -------------------------------------------------------------------------------

fn setup_sql(rows: usize) -> String {
    format!(
        "USE mywire_test; DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS blobt;\n\
         CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(12,2), \
         created DATETIME(6), score DOUBLE, note TEXT NULL);\n\
         INSERT INTO t SELECT seq, CONCAT('name-', seq), seq*1.25, \
         '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq/7, \
         IF(seq%10=0, NULL, REPEAT('x', seq%50)) FROM seq_1_to_{rows};\n\
         CREATE TABLE blobt (id INT PRIMARY KEY, b LONGBLOB);\n\
         {}ANALYZE TABLE t;",
        insert::TABLE_SQL
    )
}

/// Runs one (client, workload) child. `client` may be a `--compare-exe` twin (`mywire@L`):
/// then the child is the other build, asked for the plain client name.
fn run_child(
    cfg: &Cfg,
    srv: Option<&server::Server>,
    client: &str,
    w: &str,
    url: &str,
    pinned: bool,
) -> Result<Sample, String> {
    let (base, twin) = split_client(client);
    let exe = match (twin, &cfg.compare_exe) {
        (Some(_), Some(p)) => p.clone(),
        (Some(_), None) => return Err(format!("{client}: no --compare-exe")),
        (None, _) => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let mut cmd = Command::new(exe);
    cmd.args(["--run", base, w, "--url", url])
        .args(["--n", &cfg.n.to_string()])
        .args(["--connects", &cfg.connects.to_string()])
        .args(["--blob", &cfg.blob.to_string()])
        .args(["--insert-rows", &cfg.insert_rows.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if pinned {
        cmd.args(["--cpu", "0"]);
    }
    let cpu0 = srv.map(server::Server::cpu);
    let out = cmd.output().map_err(|e| format!("spawn child: {e}"))?;
    let srv_cpu = srv.zip(cpu0).map(|(s, c0)| s.cpu().saturating_sub(c0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT ") || l.starts_with("ERROR "));
    match line {
        Some(l) if l.starts_with("RESULT ") => {
            let mut f = l["RESULT ".len()..].splitn(5, ' ');
            let mut num = || f.next().and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
            let wall = Duration::from_nanos(num());
            let cpu = Duration::from_nanos(num());
            let peak_kb = num();
            let base_kb = num();
            let check = f.next().unwrap_or("").to_string();
            Ok(Sample {
                wall,
                cpu,
                srv_cpu,
                peak_kb,
                base_kb,
                check,
            })
        }
        Some(l) => Err(format!("{client} {w}: {l}")),
        None => Err(format!(
            "{client} {w}: no result (status {}): {text}",
            out.status
        )),
    }
}

fn pin_server(srv: &server::Server, pinned: bool) {
    let cpus: &[usize] = if pinned { &[0] } else { &[] };
    for tid in srv.tids() {
        let _ = measure::set_affinity(tid, cpus);
    }
}

fn parent(cfg: &Cfg) -> Result<(), String> {
    let started = Instant::now();
    let srv = match &cfg.url {
        Some(_) => None,
        None => Some(server::Server::start(cfg.server_defaults)?),
    };
    let url = cfg
        .url
        .clone()
        .unwrap_or_else(|| srv.as_ref().map(|s| s.url()).unwrap_or_default());
    let port = mywire::Options::from_url(&url)
        .map_err(|e| e.to_string())?
        .port;
    if let Some(s) = &srv {
        let t = Instant::now();
        s.sql(&setup_sql(cfg.rows))?;
        eprintln!("[bench] loaded {} rows in {:.1?}", cfg.rows, t.elapsed());
    }
    let spec = CliSpec {
        port,
        mywire: mywire_cli(),
    };
    let workloads: Vec<&str> = WORKLOADS
        .iter()
        .copied()
        .filter(|w| cfg.only.is_empty() || cfg.only.iter().any(|o| o == w))
        .collect();
    let me = std::env::current_exe().ok();
    let builds = format!(
        "this build: {} ({}){}",
        me.as_deref()
            .and_then(exe_commit)
            .unwrap_or_else(|| "?".into()),
        me.as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        match &cfg.compare_exe {
            Some(p) => format!(
                "; `@{}` rows: {} ({})",
                cfg.compare_label,
                exe_commit(p).unwrap_or_else(|| "?".into()),
                p.display()
            ),
            None => String::new(),
        }
    );
    eprintln!("[bench] {builds}");

    // Byte-identical output of the two CLIs (outside the timing).
    let mut notes: Vec<String> = Vec::new();
    if workloads.contains(&"cli") {
        match &spec.mywire {
            None => notes.push(
                "`mywire --batch`: not available in this build (the CLI's batch mode is on another branch); \
                 set MYWIRE_CLI=/path/to/mywire to include it. Column missing."
                    .into(),
            ),
            Some(_) => {
                let a = std::env::temp_dir().join("mywire-bench-mariadb.out");
                let b = std::env::temp_dir().join("mywire-bench-mywire.out");
                let fa = std::fs::File::create(&a).map_err(|e| e.to_string())?;
                let fb = std::fs::File::create(&b).map_err(|e| e.to_string())?;
                run_external(cli_command("mariadb-cli", &spec, &url).ok_or("cli")?, false, fa.into())?;
                let same = run_external(cli_command("mywire-cli", &spec, &url).ok_or("cli")?, false, fb.into())
                    .ok()
                    .map(|_| files_equal(&a, &b));
                notes.push(format!(
                    "`mywire --batch` output vs `mariadb --batch --quick`: {}",
                    match same {
                        Some(true) => "byte-identical".to_string(),
                        Some(false) => "DIFFERENT".to_string(),
                        None => "mywire --batch failed".to_string(),
                    }
                ));
                let _ = std::fs::remove_file(&a);
                let _ = std::fs::remove_file(&b);
            }
        }
    }

    let mut samples: BTreeMap<Key, Vec<Sample>> = BTreeMap::new();
    let mut load: BTreeMap<bool, (String, String)> = BTreeMap::new();
    for &pinned in &cfg.modes {
        if let Some(s) = &srv {
            pin_server(s, pinned);
        } else if pinned {
            eprintln!("[bench] --url: the server is not pinned (only the client is)");
        }
        let load_before = measure::loadavg();
        for rep in 0..cfg.reps {
            for &w in &workloads {
                for c in run_list(cfg, w) {
                    let c = c.as_str();
                    let r = if w == "cli" {
                        match cli_command(c, &spec, &url) {
                            None => continue,
                            Some(cmd) => run_external(cmd, pinned, Stdio::null()),
                        }
                    } else {
                        run_child(cfg, srv.as_ref(), c, w, &url, pinned)
                    };
                    match r {
                        Ok(s) => {
                            eprintln!(
                                "[bench] {} rep {} {w:<9} {c:<20} wall {:>10} cpu {:>10} srv {:>10} peak {:>10} {}",
                                if pinned { "pinned  " } else { "unpinned" },
                                rep + 1,
                                fmt_dur(s.wall),
                                fmt_dur(s.cpu),
                                s.srv_cpu.map(fmt_dur).unwrap_or_else(|| "-".into()),
                                fmt_mib(s.peak_kb),
                                s.check
                            );
                            samples
                                .entry((pinned, w.to_string(), c.to_string()))
                                .or_default()
                                .push(s);
                        }
                        Err(e) => {
                            eprintln!("[bench] FAILED: {e}");
                            notes.push(format!(
                                "{c} {w} ({}): failed: {e}",
                                if pinned { "pinned" } else { "unpinned" }
                            ));
                        }
                    }
                }
            }
        }
        load.insert(pinned, (load_before, measure::loadavg()));
    }
    if let Some(s) = &srv {
        pin_server(s, false);
    }

    let md = report::markdown(cfg, &samples, &load, notes, &builds, &workloads, started);
    println!("{md}");
    if let Some(p) = &cfg.out {
        let mut f = std::fs::File::create(p).map_err(|e| e.to_string())?;
        f.write_all(md.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
