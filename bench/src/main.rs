//! `mywire-bench`: mywire against zero-mysql, mysql_async, sqlx, a raw framing baseline, and
//! (for the bulk dump) `mywire --batch` against `mariadb --batch --quick`.
//!
//! ```text
//! cargo run --release -p mywire-bench -- [--quick] [--only W,W] [--clients C,C]
//!     [--pinned | --unpinned | --both] [--reps N] [--url URL] [--out FILE]
//!     [--compare-exe PATH [--compare-label L]] [--server-defaults]
//! ```
//!
//! `--compare-exe PATH`: another build of this harness (e.g. an older mywire's `bench/`). Each
//! mywire client row (`mywire`, `mywire-sync`, `mywire-std`) gets a twin, `mywire@L`, whose
//! child is run from PATH instead of this binary, against the same server and data, in the
//! same alternating order (right after its own row). L is `--compare-label`, else the short
//! commit of the git checkout PATH lives in. The child protocol (`--run CLIENT WORKLOAD --url
//! … --n … --connects … --blob … [--cpu 0]`, one `RESULT` line back) is unchanged since the
//! harness began, so any earlier build answers it. A second table puts the two side by side.
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

mod clients;
mod measure;
mod raw;
mod server;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clients::Params;

/// Text-protocol clients, then prepared-statement clients.
const TEXT_CLIENTS: &[&str] = &[
    "raw",
    "mywire",
    "mywire-sync",
    "mywire-std",
    "zero-mysql",
    "zero-mysql-sync",
    "mysql_async",
    "sqlx-text",
];
const PS_CLIENTS: &[&str] = &["raw-ps", "mywire-ps", "mywire-sync-ps", "sqlx"];
const CLI_CLIENTS: &[&str] = &["mariadb-cli", "mywire-cli"];
const WORKLOADS: &[&str] = &[
    "bulk",
    "bulk1k",
    "roundtrip",
    "ping",
    "connect",
    "pipeline",
    "blob",
    "cli",
];

fn clients_for(w: &str) -> Vec<&'static str> {
    match w {
        "bulk" | "bulk1k" => TEXT_CLIENTS.iter().chain(PS_CLIENTS).copied().collect(),
        "roundtrip" | "blob" => TEXT_CLIENTS
            .iter()
            .chain(PS_CLIENTS)
            .copied()
            .filter(|c| *c != "mywire-std")
            // Their blob run would be the text protocol's.
            .filter(|c| w != "blob" || !c.starts_with("mywire"))
            .collect(),
        "ping" | "connect" => vec![
            "raw",
            "mywire",
            "mywire-sync",
            "zero-mysql",
            "zero-mysql-sync",
            "mysql_async",
            "sqlx",
        ],
        "pipeline" => vec!["raw", "mywire"],
        "cli" => CLI_CLIENTS.to_vec(),
        _ => vec![],
    }
}

fn protocol(c: &str, w: &str) -> &'static str {
    match (c, w) {
        (_, "ping" | "connect") => "-",
        (_, "pipeline") => "text, pipelined",
        ("raw-ps", _) => "binary (prepared), framing only",
        ("mywire-ps" | "mywire-sync-ps", "bulk" | "bulk1k") => {
            "binary (prepared); every cell typed"
        }
        ("mywire-ps" | "mywire-sync-ps", _) => "binary (prepared)",
        ("sqlx", "bulk" | "bulk1k") => "binary (prepared); every cell typed",
        ("sqlx", _) => "binary (prepared)",
        ("mywire-std" | "zero-mysql" | "zero-mysql-sync", "bulk" | "bulk1k") => {
            "text; INT/DOUBLE std-parsed, rest UTF-8 checked"
        }
        ("raw", _) => "text, framing only",
        ("mywire" | "mywire-sync", "bulk" | "bulk1k") => "text; every cell typed",
        ("mysql_async" | "sqlx-text", "bulk" | "bulk1k") => "text; every cell typed",
        ("mariadb-cli" | "mywire-cli", _) => "text, CLI to /dev/null",
        _ => "text",
    }
}

fn baseline(c: &str, w: &str) -> &'static str {
    match (c, w) {
        (_, "cli") => "mariadb-cli",
        (
            "raw-ps" | "mywire-ps" | "mywire-sync-ps" | "sqlx",
            "bulk" | "bulk1k" | "roundtrip" | "blob",
        ) => "raw-ps",
        _ => "raw",
    }
}

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
        if cfg.compare_exe.is_some() && COMPARABLE.contains(&c) {
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

#[derive(Debug, Clone, Default)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    /// The server's CPU time around the whole child (local server only).
    srv_cpu: Option<Duration>,
    peak_kb: u64,
    base_kb: u64,
    check: String,
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
    compare_exe: Option<PathBuf>,
    compare_label: String,
    server_defaults: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: mywire-bench [--quick] [--only W,W] [--clients C,C] [--pinned|--unpinned|--both] \
         [--reps N] [--rows N] [--url URL] [--out FILE] [--compare-exe PATH [--compare-label L]] \
         [--server-defaults]\n  workloads: {WORKLOADS:?}\n  clients: {:?}",
        TEXT_CLIENTS
            .iter()
            .chain(PS_CLIENTS)
            .chain(CLI_CLIENTS)
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
        compare_exe: None,
        compare_label: String::new(),
        server_defaults: false,
    };
    let mut label = None;
    let mut reps = None;
    let mut rows = None;
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
    let r = match client.as_str() {
        "raw" => clients::raw(w, &p, false),
        "raw-ps" => clients::raw(w, &p, true),
        "mywire" => rt.block_on(clients::mywire(w, &p, clients::Mode::Typed)),
        "mywire-std" => rt.block_on(clients::mywire(w, &p, clients::Mode::Std)),
        "mywire-ps" => rt.block_on(clients::mywire(w, &p, clients::Mode::Prepared)),
        "mywire-sync" => clients::mywire_sync(w, &p, clients::Mode::Typed),
        "mywire-sync-ps" => clients::mywire_sync(w, &p, clients::Mode::Prepared),
        "zero-mysql" => rt.block_on(clients::zero_mysql(w, &p)),
        "zero-mysql-sync" => clients::zero_mysql_sync(w, &p),
        "mysql_async" => rt.block_on(clients::mysql_async(w, &p)),
        "sqlx" => rt.block_on(clients::sqlx(w, &p, false)),
        "sqlx-text" => rt.block_on(clients::sqlx(w, &p, true)),
        c => Err(format!("unknown client {c}").into()),
    };
    drop(rt);
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
         ANALYZE TABLE t;"
    )
}

/// The mywire CLI if it has `--batch` ($MYWIRE_CLI, else `mywire` beside this binary).
fn mywire_cli() -> Option<PathBuf> {
    let p = std::env::var_os("MYWIRE_CLI")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()?
                .parent()
                .map(|d| d.join("mywire"))
        })?;
    let out = Command::new(&p)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.contains("--batch").then_some(p)
}

struct CliSpec {
    port: u16,
    mywire: Option<PathBuf>,
}

fn cli_command(c: &str, spec: &CliSpec, url: &str) -> Option<Command> {
    match c {
        "mariadb-cli" => {
            let mut cmd = Command::new("mariadb");
            cmd.args([
                "--no-defaults",
                "--skip-ssl",
                "--protocol=TCP",
                "-h127.0.0.1",
            ])
            .arg(format!("-P{}", spec.port))
            .arg(format!("-u{}", server::USER))
            .arg(format!("-p{}", server::PASSWORD))
            .arg(server::DATABASE)
            .args(["--batch", "--quick", "-e", clients::BULK_SQL]);
            Some(cmd)
        }
        "mywire-cli" => {
            let mut cmd = Command::new(spec.mywire.as_ref()?);
            cmd.args(["--url", url, "--batch", "-e", clients::BULK_SQL]);
            Some(cmd)
        }
        _ => None,
    }
}

/// Runs an external command with stdout to `out`; wall time and rusage of the child (wait4).
fn run_external(mut cmd: Command, pinned: bool, out: Stdio) -> Result<Sample, String> {
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::inherit());
    if pinned {
        unsafe {
            cmd.pre_exec(|| {
                measure::set_affinity(0, &[0]).map_err(|e| std::io::Error::other(e.to_string()))
            });
        }
    }
    let t = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id() as i32;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = t.elapsed();
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("external command failed (status {status})"));
    }
    Ok(Sample {
        wall,
        cpu: measure::tv(ru.ru_utime) + measure::tv(ru.ru_stime),
        srv_cpu: None,
        peak_kb: ru.ru_maxrss as u64,
        base_kb: 0,
        check: String::new(),
    })
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

fn median_dur(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn median_u64(v: &mut [u64]) -> u64 {
    v.sort();
    v[v.len() / 2]
}

fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn fmt_mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

type Key = (bool, String, String); // (pinned, workload, client)

/// Medians of one (mode, workload, client).
struct Med {
    wall: Duration,
    cpu: Duration,
    srv_cpu: Option<Duration>,
    rss: u64,
}

fn med(samples: &BTreeMap<Key, Vec<Sample>>, pinned: bool, w: &str, c: &str) -> Option<Med> {
    let v = samples.get(&(pinned, w.to_string(), c.to_string()))?;
    let mut wall: Vec<_> = v.iter().map(|s| s.wall).collect();
    let mut cpu: Vec<_> = v.iter().map(|s| s.cpu).collect();
    let mut srv: Vec<_> = v.iter().filter_map(|s| s.srv_cpu).collect();
    let mut rss: Vec<_> = v.iter().map(|s| s.peak_kb).collect();
    Some(Med {
        wall: median_dur(&mut wall),
        cpu: median_dur(&mut cpu),
        srv_cpu: (srv.len() == v.len()).then(|| median_dur(&mut srv)),
        rss: median_u64(&mut rss),
    })
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

    // Checks must agree across the clients of a workload. The raw baselines only frame, so
    // they report fewer facts: their check must be a prefix of the others' (`rows=N`).
    for &w in &workloads {
        let mut seen: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for ((_, ww, c), v) in &samples {
            if ww == w && !c.starts_with("raw") {
                for s in v {
                    seen.entry(s.check.clone()).or_default().insert(c.clone());
                }
            }
        }
        for ((_, ww, c), v) in &samples {
            if ww == w && c.starts_with("raw") && w.starts_with("bulk") {
                for s in v {
                    if !seen.keys().all(|k| k.starts_with(&s.check)) {
                        seen.entry(s.check.clone()).or_default().insert(c.clone());
                    }
                }
            }
        }
        if seen.len() > 1 {
            let parts: Vec<String> = seen
                .iter()
                .map(|(k, v)| {
                    format!(
                        "`{k}` ({})",
                        v.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            notes.push(format!("{w}: results differ: {}", parts.join("; ")));
        }
    }

    let mut md = String::new();
    md.push_str(&format!(
        "Parameters: {} rows; roundtrip/ping/pipeline n = {}; connect n = {}; blob {} MiB; {} repetition(s), medians; \
         server: {}; {builds}.\n\n",
        cfg.rows, cfg.n, cfg.connects, cfg.blob >> 20, cfg.reps,
        match (&cfg.url, cfg.server_defaults) {
            (Some(_), _) => "external (--url)",
            (None, true) => "InnoDB defaults (--server-defaults)",
            (None, false) => "1 GiB buffer pool",
        }
    ));
    for &pinned in &cfg.modes {
        let (lb, la) = load.get(&pinned).cloned().unwrap_or_default();
        md.push_str(&format!(
            "### {} (load average before: {lb}; after: {la})\n\n",
            if pinned {
                "Pinned: client and server on CPU 0"
            } else {
                "Unpinned"
            }
        ));
        md.push_str("| workload | client | protocol | wall | per op | client CPU | server CPU | peak RSS | wall / base | CPU / base |\n");
        md.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for &w in &workloads {
            let ops = match w {
                "bulk" | "cli" => cfg.rows,
                "bulk1k" => 1000.min(cfg.rows),
                "connect" => cfg.connects,
                "blob" => 1,
                _ => cfg.n,
            };
            for c in run_list(cfg, w) {
                let c = c.as_str();
                let Some(Med {
                    wall,
                    cpu,
                    srv_cpu,
                    rss,
                }) = med(&samples, pinned, w, c)
                else {
                    if w == "cli" && c == "mywire-cli" {
                        md.push_str(&format!(
                            "| {w} | {c} | {} | missing | | | | | |\n",
                            protocol(c, w)
                        ));
                    }
                    continue;
                };
                let (cb, _) = split_client(c);
                let base = med(&samples, pinned, w, baseline(cb, w));
                let (rw, rc) = match base {
                    Some(Med {
                        wall: bw, cpu: bc, ..
                    }) => (
                        format!("{:.2}×", wall.as_secs_f64() / bw.as_secs_f64()),
                        format!("{:.2}×", cpu.as_secs_f64() / bc.as_secs_f64().max(1e-9)),
                    ),
                    None => ("".into(), "".into()),
                };
                let wrong = samples
                    .get(&(pinned, w.to_string(), c.to_string()))
                    .is_some_and(|v| v.iter().any(|s| s.check.contains("BAD")));
                md.push_str(&format!(
                    "| {w} | {c}{} | {} | {} | {} | {} | {} | {} | {rw} | {rc} |\n",
                    if wrong { " ⚠ wrong result" } else { "" },
                    protocol(cb, w),
                    fmt_dur(wall),
                    fmt_dur(wall / ops.max(1) as u32),
                    fmt_dur(cpu),
                    srv_cpu.map(fmt_dur).unwrap_or_else(|| "-".into()),
                    fmt_mib(rss),
                ));
            }
        }
        md.push('\n');
        // This build against the --compare-exe build, row by row.
        if cfg.compare_exe.is_some() {
            let l = &cfg.compare_label;
            md.push_str(&format!(
                "This build (new) against `@{l}` (old), medians of the same run:\n\n\
                 | workload | client | wall @{l} | wall new | new / old | client CPU @{l} | client CPU new | new / old | server CPU @{l} | server CPU new | new / old |\n\
                 |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            ));
            let ratio = |n: Duration, o: Duration| {
                format!("{:.3}×", n.as_secs_f64() / o.as_secs_f64().max(1e-9))
            };
            for &w in &workloads {
                for c in COMPARABLE {
                    let twin = format!("{c}@{l}");
                    let (Some(n), Some(o)) =
                        (med(&samples, pinned, w, c), med(&samples, pinned, w, &twin))
                    else {
                        continue;
                    };
                    let (so, sn, sr) = match (o.srv_cpu, n.srv_cpu) {
                        (Some(a), Some(b)) => (fmt_dur(a), fmt_dur(b), ratio(b, a)),
                        _ => ("-".into(), "-".into(), "".into()),
                    };
                    md.push_str(&format!(
                        "| {w} | {c} | {} | {} | **{}** | {} | {} | {} | {so} | {sn} | {sr} |\n",
                        fmt_dur(o.wall),
                        fmt_dur(n.wall),
                        ratio(n.wall, o.wall),
                        fmt_dur(o.cpu),
                        fmt_dur(n.cpu),
                        ratio(n.cpu, o.cpu),
                    ));
                }
            }
            md.push('\n');
        }
        // Derived figures.
        let get = |w: &str, c: &str| samples.get(&(pinned, w.to_string(), c.to_string()));
        let medw = |w: &str, c: &str| {
            get(w, c).map(|v| median_dur(&mut v.iter().map(|s| s.wall).collect::<Vec<_>>()))
        };
        let twin = format!("mywire@{}", cfg.compare_label);
        for c in ["mywire", twin.as_str()] {
            if let (Some(p), Some(s)) = (medw("pipeline", c), medw("roundtrip", c)) {
                md.push_str(&format!(
                    "- pipeline: {c} {} SELECT 1 pipelined in {} vs sequential {}: **{:.1}×** the throughput\n",
                    cfg.n, fmt_dur(p), fmt_dur(s), s.as_secs_f64() / p.as_secs_f64()
                ));
            }
        }
        for c in TEXT_CLIENTS.iter().chain(PS_CLIENTS) {
            let rss = |w: &str| {
                get(w, c).map(|v| median_u64(&mut v.iter().map(|s| s.peak_kb).collect::<Vec<_>>()))
            };
            if let (Some(big), Some(small)) = (rss("bulk"), rss("bulk1k")) {
                md.push_str(&format!(
                    "- memory, {c}: peak RSS streaming {} rows {} vs 1,000 rows {}: {:.2}×\n",
                    cfg.rows,
                    fmt_mib(big),
                    fmt_mib(small),
                    big as f64 / small as f64
                ));
            }
        }
        for c in TEXT_CLIENTS.iter().chain(PS_CLIENTS) {
            if let Some(v) = get("blob", c) {
                let mut extra: Vec<u64> = v
                    .iter()
                    .map(|s| s.peak_kb.saturating_sub(s.base_kb))
                    .collect();
                let e = median_u64(&mut extra);
                md.push_str(&format!(
                    "- blob, {c}: peak RSS above the pre-payload RSS {} = **{:.2}** copies of the {} MiB payload\n",
                    fmt_mib(e), e as f64 * 1024.0 / cfg.blob as f64, cfg.blob >> 20
                ));
            }
        }
        md.push('\n');
    }
    let mut seen_notes = std::collections::BTreeSet::new();
    notes.retain(|n| seen_notes.insert(n.clone()));
    if !notes.is_empty() {
        md.push_str("Notes:\n\n");
        for n in &notes {
            md.push_str(&format!("- {n}\n"));
        }
        md.push('\n');
    }
    md.push_str(&format!("Total harness time {:.0?}.\n", started.elapsed()));
    println!("{md}");
    if let Some(p) = &cfg.out {
        let mut f = std::fs::File::create(p).map_err(|e| e.to_string())?;
        f.write_all(md.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn files_equal(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (Ok(fa), Ok(fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let na = read_full(&mut ra, &mut ba);
        let nb = read_full(&mut rb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
    fn read_full(r: &mut impl Read, b: &mut [u8]) -> usize {
        let mut n = 0;
        while n < b.len() {
            match r.read(&mut b[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        n
    }
}
