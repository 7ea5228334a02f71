#![allow(dead_code)]
//! Shared test harness for mywire integration tests: one throwaway MariaDB per
//! test binary.
//!
//! Use it from any `tests/*.rs` with `mod support;`.
//!
//! - [`test_url()`]: the main entry point. Returns `$MYWIRE_TEST_URL` if set,
//!   otherwise starts (once per test binary) a throwaway MariaDB and returns
//!   `mysql://mywire:mywire-pass@127.0.0.1:PORT/mywire_test`.
//! - [`local_server()`]: `Some(&TestServer)` for tests that need things only the
//!   throwaway server provides (TLS files, ed25519/X509/SSL accounts, restart,
//!   the unix socket, root access through the CLI). Returns `None` and prints a
//!   loud `SKIPPED` line when `MYWIRE_TEST_URL` is set (panics instead under
//!   `CI=true`); the [`require_local_server!`] macro does the early `return` for you.
//! - [`skip_or_fail()`]: the one way a test skips for a missing prerequisite (tool,
//!   plugin, server feature): `SKIPPED <test>: <reason>`, or a panic under `CI=true`.
//! - [`server()`]: like `local_server()` but panics when `MYWIRE_TEST_URL` is set.
//! - [`galera::GaleraCluster`]: a 3-node MariaDB Galera cluster on loopback built from the
//!   same pieces (tests/galera.rs), with `kill` / `restart` / `wait_synced` per node.
//!
//! The server lives in a fresh temp dir (`$TMPDIR/mywire-test-PID-N`): datadir,
//! socket, error log and a test PKI made with the `openssl` CLI. It is stopped and
//! its temp dir removed when the test binary exits, by two mechanisms:
//! 1. an `atexit` hook (libtest's `main` returning or `process::exit(101)` after
//!    failures both run it): SIGKILL mariadbd, reap it, remove the temp dir —
//!    synchronous, so nothing is left when `cargo test` returns;
//! 2. a watchdog `sh` (own process group, ignores HUP/INT) that polls the test
//!    process with `kill -0` and, once it is gone (SIGKILL, abort, Ctrl-C), kills
//!    the mariadbd whose PID is in `TMP/mariadbd.child.pid` and removes the temp
//!    dir. It exits by itself as soon as the temp dir disappears.
//!
//! One server per test binary: tests that call [`TestServer::restart`] disturb all
//! other tests of the same binary, so put them in their own `tests/*.rs` (or
//! serialize the tests of that binary).
//!
//! Environment knobs: `MYWIRE_TEST_URL` (use an external server), `MYWIRE_MARIADBD`,
//! `MYWIRE_MARIADB_INSTALL_DB`, `MYWIRE_MARIADB_CLI`, `MYWIRE_PLUGIN_DIR` (binaries
//! and plugin dir overrides), `MYWIRE_GALERA_PROVIDER` (the wsrep provider library), `CI` (`true`: a missing prerequisite fails the test, see
//! [`skip_or_fail()`]).

pub mod certs;
pub mod commands;
pub mod galera;
pub mod tls_server;
pub mod wire;

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Database created for the tests (and used in [`TestServer::url`]).
pub const DATABASE: &str = "mywire_test";
/// mysql_native_password account with ALL PRIVILEGES (`%`, `localhost`, `127.0.0.1`).
pub const USER: &str = "mywire";
pub const PASSWORD: &str = "mywire-pass";
/// Account with an empty password (ALL on `mywire_test.*`).
pub const NOPW_USER: &str = "mywire_nopw";
/// ed25519 account (only if the plugin is available; see [`TestServer::has_ed25519`]).
pub const ED_USER: &str = "mywire_ed";
pub const ED_PASSWORD: &str = "ed-pass";
/// mysql_native_password account with `REQUIRE X509` (use `client_cert`/`client_key`).
pub const X509_USER: &str = "mywire_x509";
pub const X509_PASSWORD: &str = "x509-pass";
/// mysql_native_password account with `REQUIRE SSL`.
pub const SSL_USER: &str = "mywire_ssl";
pub const SSL_PASSWORD: &str = "ssl-pass";

/// Bound for "mariadbd is accepting connections" after a (re)start.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound for a graceful shutdown (SIGTERM) in [`TestServer::restart`] before SIGKILL.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

const ENV_URL: &str = "MYWIRE_TEST_URL";
const CHILD_PID_FILE: &str = "mariadbd.child.pid";

/// A throwaway MariaDB started for this test binary.
#[derive(Debug)]
pub struct TestServer {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// Unix socket path.
    pub socket: PathBuf,
    /// Temp dir holding everything below; removed at exit.
    pub tmp_dir: PathBuf,
    pub data_dir: PathBuf,
    /// mariadbd `--log-error` file (appended to across restarts).
    pub err_log: PathBuf,
    /// CA that signed the server and client certificates.
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// Client certificate/key (CN=mywire_x509) signed by `ca_cert`.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// An unrelated self-signed CA: verifying the server with it must fail.
    pub wrong_ca_cert: PathBuf,
    /// Whether auth_ed25519 was loaded and the `mywire_ed` account exists.
    pub has_ed25519: bool,
    /// Wall time of the first start (install-db + certs + mariadbd + users).
    pub startup_time: Duration,
    mariadb_cli_bin: PathBuf,
    launch: LaunchCfg,
}

#[derive(Debug, Clone)]
struct LaunchCfg {
    mariadbd: PathBuf,
    args: Vec<OsString>,
    tmp_dir: PathBuf,
    err_log: PathBuf,
    stderr_log: PathBuf,
}

/// Process state shared with the atexit hook.
struct Proc {
    tmp_dir: Option<PathBuf>,
    mariadbd: Option<Child>,
    watchdog: Option<Child>,
}

static PROC: Mutex<Proc> = Mutex::new(Proc {
    tmp_dir: None,
    mariadbd: None,
    watchdog: None,
});
static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
static ATEXIT: OnceLock<()> = OnceLock::new();

extern "C" {
    fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
    fn geteuid() -> u32;
    fn kill(pid: i32, sig: std::os::raw::c_int) -> std::os::raw::c_int;
}
const SIGTERM: std::os::raw::c_int = 15;

fn lock_proc() -> MutexGuard<'static, Proc> {
    PROC.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

/// `$MYWIRE_TEST_URL` if set and non-empty.
pub fn external_url() -> Option<String> {
    std::env::var(ENV_URL).ok().filter(|s| !s.trim().is_empty())
}

/// The URL tests should connect to: `$MYWIRE_TEST_URL`, or the throwaway server's
/// [`TestServer::url`] (starting it on first use).
pub fn test_url() -> String {
    match external_url() {
        Some(u) => u,
        None => server().url(),
    }
}

/// The throwaway server, or `None` (after [`skip_or_fail`]: a loud SKIPPED line naming the
/// test, or a panic under `CI=true`) when `MYWIRE_TEST_URL` points the tests at an external
/// server.
pub fn local_server() -> Option<&'static TestServer> {
    if external_url().is_some() {
        skip_or_fail(&format!(
            "needs the throwaway local MariaDB (TLS files, special accounts, restart, \
             socket or root CLI), but {ENV_URL} is set"
        ));
        return None;
    }
    Some(server())
}

/// Whether a missing test prerequisite must fail the test: the environment variable `CI`
/// is `true` (any case) or `1`, as CI services set it and as `.ci/run` expects.
pub fn ci_strict() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v == "1"
    })
}

/// The name libtest gave the current test's thread (`<unnamed>` elsewhere).
pub fn current_test() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_string()
}

/// The one way a test skips for a missing prerequisite (a tool, a server plugin or feature,
/// the throwaway server): prints `SKIPPED <test>: <reason>` where `cargo test` shows it even
/// for passing tests, or panics when [`ci_strict`] (`CI=true`), where everything a test needs
/// is installed and a skip would hide a broken environment. The caller returns afterwards.
#[track_caller]
pub fn skip_or_fail(reason: &str) {
    skip_or_fail_in(ci_strict(), &current_test(), reason);
}

/// [`skip_or_fail`] with the CI flag and the test name given (for the harness self-test,
/// which must not change the process environment other tests read).
#[track_caller]
pub fn skip_or_fail_in(ci: bool, test: &str, reason: &str) {
    if ci {
        panic!("{test}: prerequisite missing under CI=true (a skip is a failure there): {reason}");
    }
    print_uncaptured(&format!("SKIPPED {test}: {reason}"));
}

/// Returns `&'static TestServer` or returns early from the calling test (with a loud
/// SKIPPED line; a panic under `CI=true`) when `MYWIRE_TEST_URL` is set.
#[macro_export]
macro_rules! require_local_server {
    () => {
        match $crate::support::local_server() {
            Some(s) => s,
            None => return,
        }
    };
}

/// The throwaway server of this test binary, started on first use.
///
/// Panics if `MYWIRE_TEST_URL` is set (use [`local_server`] to skip instead) or if
/// the server cannot be started (the message includes the logs).
pub fn server() -> &'static TestServer {
    if let Some(u) = external_url() {
        panic!(
            "support::server() needs the throwaway local MariaDB but {ENV_URL}={u} is set; \
             use support::local_server() / require_local_server!() to skip instead"
        );
    }
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("could not start the throwaway MariaDB:\n{e}"),
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, release).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// Minimal percent-encoding for URL userinfo / query values (keeps RFC 3986
/// unreserved characters and, if `keep_slash`, '/').
pub fn pct_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn print_uncaptured(line: &str) {
    // libtest captures only the print!/eprint! macros of test threads; a direct
    // write to the stderr handle stays visible even for passing tests.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

// ---------------------------------------------------------------------------
// TestServer API
// ---------------------------------------------------------------------------

impl TestServer {
    /// `mysql://mywire:mywire-pass@127.0.0.1:PORT/mywire_test`
    pub fn url(&self) -> String {
        self.url_for(USER, PASSWORD)
    }

    /// `mysql://USER:PASS@127.0.0.1:PORT/mywire_test` (`mysql://USER@…` if `pass` is empty).
    pub fn url_for(&self, user: &str, pass: &str) -> String {
        let auth = if pass.is_empty() {
            pct_encode(user, false)
        } else {
            format!("{}:{}", pct_encode(user, false), pct_encode(pass, false))
        };
        format!("mysql://{auth}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// `mysql://mywire:mywire-pass@localhost/mywire_test?socket=/tmp/…/mysqld.sock`
    pub fn socket_url(&self) -> String {
        format!(
            "mysql://{}:{}@localhost/{DATABASE}?socket={}",
            pct_encode(USER, false),
            pct_encode(PASSWORD, false),
            pct_encode(&self.socket.to_string_lossy(), true)
        )
    }

    /// TCP address of the server.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// PID of the current mariadbd process (changes on [`restart`](Self::restart)).
    pub fn pid(&self) -> Option<u32> {
        lock_proc().mariadbd.as_ref().map(|c| c.id())
    }

    /// `mariadb --no-defaults` with MYSQL_* env vars removed, nothing else set.
    /// Compose your own invocations (e.g. with [`tcp_args`](Self::tcp_args)).
    pub fn mariadb_command(&self) -> Command {
        mariadb_command_for(&self.mariadb_cli_bin)
    }

    /// Arguments for a TCP connection to 127.0.0.1:PORT as `user` (no `-p` if `pass` is
    /// empty). Note: the 10.11 client enables TLS by default without verification;
    /// add `--skip-ssl` or `--ssl-ca=… --ssl-verify-server-cert` as needed.
    pub fn tcp_args(&self, user: &str, pass: &str) -> Vec<String> {
        let mut v = vec![
            "--protocol=TCP".to_string(),
            "-h127.0.0.1".to_string(),
            format!("-P{}", self.port),
            format!("-u{user}"),
        ];
        if !pass.is_empty() {
            v.push(format!("-p{pass}"));
        }
        v
    }

    /// Runs `mariadb --no-defaults -S SOCKET -uroot ARGS…` (root has no password).
    pub fn mariadb_cli<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut c = self.mariadb_command();
        c.arg("--protocol=SOCKET")
            .arg("-S")
            .arg(&self.socket)
            .arg("-uroot")
            .args(args);
        c.output().expect("run mariadb CLI")
    }

    /// Runs `stmt` (one or more `;`-separated statements) as root over the socket
    /// with `--batch --skip-column-names`; returns stdout without the final newline.
    /// Panics with stderr on failure.
    pub fn sql(&self, stmt: &str) -> String {
        let out = self.mariadb_cli(["--batch", "--skip-column-names", "-e", stmt]);
        if !out.status.success() {
            panic!(
                "mariadb CLI failed ({}) for: {stmt}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        if s.ends_with('\n') {
            s.pop();
        }
        s
    }

    /// Contents of the mariadbd error log.
    pub fn err_log_contents(&self) -> String {
        fs::read_to_string(&self.err_log).unwrap_or_default()
    }

    /// Stops mariadbd (SIGTERM, SIGKILL after [`SHUTDOWN_TIMEOUT`]) and starts it again
    /// on the same port and datadir; returns when it accepts connections again
    /// (bounded by [`STARTUP_TIMEOUT`]). Open sessions see the connection closed.
    pub fn restart(&self) {
        let mut p = lock_proc();
        if let Some(child) = p.mariadbd.take() {
            stop_child(child, SHUTDOWN_TIMEOUT);
            let _ = fs::remove_file(self.tmp_dir.join(CHILD_PID_FILE));
        }
        let mut last = String::new();
        // The port is ours; a clash can only be a lingering socket: retry briefly.
        for _ in 0..10 {
            match launch(&self.launch, self.port, &mut p) {
                Ok(()) => return,
                Err(LaunchError::PortClash(m)) => {
                    last = m;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(LaunchError::Fatal(m)) => panic!("restart failed:\n{m}"),
            }
        }
        panic!("restart failed: port {} stays busy:\n{last}", self.port);
    }
}

/// `BIN --no-defaults` (the mariadb CLI) with MYSQL_* env vars removed, nothing else set.
fn mariadb_command_for(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--no-defaults").stdin(Stdio::null());
    for v in [
        "MYSQL_PWD",
        "MYSQL_HOST",
        "MYSQL_TCP_PORT",
        "MYSQL_UNIX_PORT",
        "MYSQL_HISTFILE",
        "MYSQL_PS1",
    ] {
        c.env_remove(v);
    }
    c
}

// ---------------------------------------------------------------------------
// Startup
// ---------------------------------------------------------------------------

fn find_bin(env: &str, name: &str, dirs: &[&str]) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in dirs.iter().map(PathBuf::from).chain(path_dirs) {
        let c = d.join(name);
        if c.is_file() {
            return Ok(c);
        }
    }
    Err(format!(
        "`{name}` not found (looked in {dirs:?} and $PATH; set {env}). Install MariaDB \
         (`apt-get install mariadb-server`, see .ci/run) or set {ENV_URL} to use an external server."
    ))
}

fn find_plugin_dir() -> Option<PathBuf> {
    let mut cands: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("MYWIRE_PLUGIN_DIR") {
        cands.push(d.into());
    }
    for d in [
        "/usr/lib/mysql/plugin",
        "/usr/lib/mariadb/plugin",
        "/usr/lib64/mysql/plugin",
        "/usr/lib64/mariadb/plugin",
        "/usr/local/mysql/lib/plugin",
        "/usr/local/lib/mariadb/plugin",
    ] {
        cands.push(d.into());
    }
    cands
        .into_iter()
        .find(|d| d.join("auth_ed25519.so").is_file())
}

fn make_tmp_dir() -> Result<PathBuf, String> {
    let mut base = std::env::temp_dir();
    // Unix socket paths are limited to ~107 bytes.
    if base.as_os_str().len() > 60 {
        base = PathBuf::from("/tmp");
    }
    let pid = std::process::id();
    for n in 0..1000 {
        let d = base.join(format!("mywire-test-{pid}-{n}"));
        match fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("create {}: {e}", d.display())),
        }
    }
    Err("could not create a temp dir".into())
}

const WATCHDOG: &str = r#"
trap '' HUP INT
P="$1"; T="$2"
while kill -0 "$P" 2>/dev/null && [ -d "$T" ]; do sleep 0.25; done
[ -d "$T" ] || exit 0
# One PID per line (a Galera cluster writes one per node, see galera.rs).
for M in $(cat "$T/mariadbd.child.pid" 2>/dev/null); do
  kill -KILL "$M" 2>/dev/null
  i=0
  # Bounded: an orphaned zombie counts as gone (PID 1 may reap lazily).
  while kill -0 "$M" 2>/dev/null && [ "$i" -lt 100 ]; do
    case "$(cut -d' ' -f3 "/proc/$M/stat" 2>/dev/null)" in Z|X|"") break ;; esac
    sleep 0.1; i=$((i+1))
  done
done
rm -rf "$T"
"#;

fn spawn_watchdog(tmp: &Path) -> Result<Child, String> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("mywire-test-watchdog")
        .arg(std::process::id().to_string())
        .arg(tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn watchdog: {e}"))
}

extern "C" fn cleanup_at_exit() {
    // Never block at exit: if a thread holds the lock, the watchdog does the work.
    let mut p = match PROC.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    cleanup_locked(&mut p);
}

fn cleanup_locked(p: &mut Proc) {
    if let Some(mut c) = p.mariadbd.take() {
        // Throwaway data: no need for a graceful shutdown.
        let _ = c.kill();
        let _ = c.wait();
    }
    if let Some(t) = p.tmp_dir.take() {
        let _ = fs::remove_dir_all(&t);
    }
    if let Some(mut w) = p.watchdog.take() {
        let _ = w.kill();
        let _ = w.wait();
    }
}

fn is_root() -> bool {
    unsafe { geteuid() == 0 }
}

fn read_tail(path: &Path, from: u64) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        use std::io::Seek;
        let _ = f.seek(std::io::SeekFrom::Start(from));
        let mut b = Vec::new();
        let _ = f.read_to_end(&mut b);
        s = String::from_utf8_lossy(&b).into_owned();
    }
    s
}

/// The paths of mariadbd, mariadb-install-db and the mariadb CLI (or which is missing).
fn binaries() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let mariadbd = find_bin(
        "MYWIRE_MARIADBD",
        "mariadbd",
        &["/usr/sbin", "/usr/local/sbin", "/usr/bin"],
    )?;
    let install_db = find_bin(
        "MYWIRE_MARIADB_INSTALL_DB",
        "mariadb-install-db",
        &["/usr/bin", "/usr/local/bin"],
    )?;
    let cli = find_bin(
        "MYWIRE_MARIADB_CLI",
        "mariadb",
        &["/usr/bin", "/usr/local/bin"],
    )?;
    Ok((mariadbd, install_db, cli))
}

fn start() -> Result<TestServer, String> {
    let t0 = Instant::now();
    let (mariadbd, install_db, cli) = binaries()?;

    let tmp = make_tmp_dir()?;
    {
        let mut p = lock_proc();
        p.tmp_dir = Some(tmp.clone());
        ATEXIT.get_or_init(|| unsafe {
            atexit(cleanup_at_exit);
        });
        match spawn_watchdog(&tmp) {
            Ok(w) => p.watchdog = Some(w),
            Err(e) => {
                cleanup_locked(&mut p);
                return Err(e);
            }
        }
    }
    let res = start_in(&tmp, &mariadbd, &install_db, &cli, t0);
    if res.is_err() {
        cleanup_locked(&mut lock_proc());
    }
    res
}

/// Small, fast InnoDB: the same sizes for bootstrap and the real server (and the Galera nodes).
const SMALL_INNODB: &[&str] = &[
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--loose-innodb-doublewrite=0",
    "--loose-innodb-flush-log-at-trx-commit=0",
    "--loose-innodb-buffer-pool-load-at-startup=0",
    "--loose-innodb-buffer-pool-dump-at-shutdown=0",
];

/// Starts `mariadb-install-db` for `data` (output to `log`), as `user` when given; finish it
/// with [`wait_install_db`].
fn spawn_install_db(
    install_db: &Path,
    data: &Path,
    cwd: &Path,
    log: &Path,
    user: Option<&str>,
) -> Result<Child, String> {
    let install_log = fs::File::create(log).map_err(|e| e.to_string())?;
    let mut install = Command::new(install_db);
    install
        .arg("--no-defaults") // must be first
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--skip-log-bin",
        ])
        .args(SMALL_INNODB)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(install_log.try_clone().map_err(|e| e.to_string())?)
        .stderr(install_log);
    if let Some(u) = user {
        install.arg(format!("--user={u}"));
    }
    install
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", install_db.display()))
}

/// Waits (at most 120 s) for a [`spawn_install_db`] to succeed.
fn wait_install_db(mut install: Child, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        match install.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(25)),
            Ok(None) => {
                let _ = install.kill();
                let _ = install.wait();
                return Err(format!(
                    "mariadb-install-db timed out:\n{}",
                    read_tail(log, 0)
                ));
            }
            Err(e) => return Err(format!("wait mariadb-install-db: {e}")),
        }
    };
    if !status.success() {
        return Err(format!(
            "mariadb-install-db failed ({status}):\n{}",
            read_tail(log, 0)
        ));
    }
    Ok(())
}

/// performance_schema sizing options set to 0 in the throwaway server (see `start_in`).
const PFS_ZERO_SIZED: &[&str] = &[
    "accounts-size",
    "digests-size",
    "events-stages-history-long-size",
    "events-stages-history-size",
    "events-statements-history-long-size",
    "events-statements-history-size",
    "events-transactions-history-long-size",
    "events-transactions-history-size",
    "events-waits-history-long-size",
    "events-waits-history-size",
    "hosts-size",
    "max-cond-instances",
    "max-digest-length",
    "max-file-handles",
    "max-file-instances",
    "max-index-stat",
    "max-memory-classes",
    "max-metadata-locks",
    "max-mutex-instances",
    "max-prepared-statements-instances",
    "max-program-instances",
    "max-rwlock-instances",
    "max-socket-instances",
    "max-sql-text-length",
    "max-statement-classes",
    "max-table-handles",
    "max-table-instances",
    "max-table-lock-stat",
    "setup-actors-size",
    "setup-objects-size",
    "users-size",
];

fn start_in(
    tmp: &Path,
    mariadbd: &Path,
    install_db: &Path,
    cli: &Path,
    t0: Instant,
) -> Result<TestServer, String> {
    let data = tmp.join("data");
    let tls = tmp.join("tls");
    fs::create_dir(&tls).map_err(|e| format!("mkdir tls: {e}"))?;
    let plugin_dir = find_plugin_dir();
    let root = is_root();

    let innodb = SMALL_INNODB;

    // 1. mariadb-install-db in the background while openssl makes the PKI.
    let install_log_path = tmp.join("install.log");
    let install = spawn_install_db(
        install_db,
        &data,
        tmp,
        &install_log_path,
        if root { Some("root") } else { None },
    )?;

    let certs = certs::generate(&tls);
    let t_certs = t0.elapsed();
    wait_install_db(install, &install_log_path)?;
    let certs = certs?;
    let t_install = t0.elapsed();

    // 2. mariadbd arguments. Paths must be absolute: mariadbd chdir()s to the datadir.
    let socket = tmp.join("mysqld.sock");
    let err_log = tmp.join("err.log");
    let mut args: Vec<OsString> = Vec::new();
    let mut a = |s: String| args.push(s.into());
    a("--no-defaults".into()); // must be first
    if root {
        a("--user=root".into());
    }
    a(format!("--datadir={}", data.display()));
    a(format!("--socket={}", socket.display()));
    a(format!("--pid-file={}", tmp.join("mariadbd.pid").display()));
    a(format!("--log-error={}", err_log.display()));
    a(format!("--tmpdir={}", tmp.display()));
    a("--bind-address=127.0.0.1".into());
    a("--skip-name-resolve".into());
    a("--skip-log-bin".into());
    a("--max-allowed-packet=256M".into());
    a("--character-set-server=utf8mb4".into());
    a("--collation-server=utf8mb4_general_ci".into());
    a("--local-infile=1".into());
    a("--max-connections=300".into());
    // performance_schema on, for session_connect_attrs only (tests/connect.rs): every other
    // table sized to 0, which keeps it at ~7 MB instead of ~100 MB with autosizing (both
    // measured on MariaDB 10.11.19 with `SHOW ENGINE PERFORMANCE_SCHEMA STATUS`).
    a("--loose-performance-schema=ON".into());
    for t in PFS_ZERO_SIZED {
        a(format!("--loose-performance-schema-{t}=0"));
    }
    a("--loose-performance-schema-max-statement-stack=1".into());
    a("--loose-performance-schema-max-thread-instances=512".into());
    a("--loose-feedback=OFF".into());
    a(format!("--ssl-ca={}", certs.ca_cert.display()));
    a(format!("--ssl-cert={}", certs.server_cert.display()));
    a(format!("--ssl-key={}", certs.server_key.display()));
    if let Some(d) = &plugin_dir {
        a(format!("--plugin-dir={}", d.display()));
        a("--plugin-load-add=auth_ed25519".into());
    }
    for s in innodb {
        a(s.to_string());
    }
    let launch_cfg = LaunchCfg {
        mariadbd: mariadbd.to_path_buf(),
        args,
        tmp_dir: tmp.to_path_buf(),
        err_log: err_log.clone(),
        stderr_log: tmp.join("mariadbd.stderr"),
    };

    // 3. Start on a free port; retry on a clash.
    let mut port = 0;
    let mut last = String::new();
    {
        let mut p = lock_proc();
        for _ in 0..5 {
            port = free_port();
            match launch(&launch_cfg, port, &mut p) {
                Ok(()) => {
                    last.clear();
                    break;
                }
                Err(LaunchError::PortClash(m)) => last = m,
                Err(LaunchError::Fatal(m)) => return Err(m),
            }
        }
    }
    if !last.is_empty() {
        return Err(format!("mariadbd: port clashes on every attempt:\n{last}"));
    }

    let server = TestServer {
        port,
        socket,
        tmp_dir: tmp.to_path_buf(),
        data_dir: data,
        err_log,
        ca_cert: certs.ca_cert,
        ca_key: certs.ca_key,
        server_cert: certs.server_cert,
        server_key: certs.server_key,
        client_cert: certs.client_cert,
        client_key: certs.client_key,
        wrong_ca_cert: certs.wrong_ca_cert,
        has_ed25519: plugin_dir.is_some(),
        startup_time: Duration::ZERO,
        mariadb_cli_bin: cli.to_path_buf(),
        launch: launch_cfg,
    };

    let t_ready = t0.elapsed();
    // 4. Accounts and database, as root over the socket.
    let out = server.mariadb_cli(["--batch", "-e", &setup_sql(server.has_ed25519)]);
    if !out.status.success() {
        return Err(format!(
            "creating test accounts failed ({}):\n{}\nerr.log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            server.err_log_contents()
        ));
    }
    let startup_time = t0.elapsed();
    let msg = format!(
        "[mywire-test] throwaway MariaDB on 127.0.0.1:{port} (socket {}) ready in {:.2?} \
         (certs done {:.2?}, install-db done {:.2?}, mariadbd up {:.2?}){}",
        server.socket.display(),
        startup_time,
        t_certs,
        t_install,
        t_ready,
        if server.has_ed25519 {
            ""
        } else {
            " -- WARNING: auth_ed25519.so not found, no ed25519 account"
        }
    );
    print_uncaptured(&msg);
    Ok(TestServer {
        startup_time,
        ..server
    })
}

fn setup_sql(ed25519: bool) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4;\n"
    ));
    for host in ["%", "localhost", "127.0.0.1"] {
        s.push_str(&format!(
            "CREATE USER '{USER}'@'{host}' IDENTIFIED VIA mysql_native_password USING PASSWORD('{PASSWORD}');\n\
             GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'{host}' WITH GRANT OPTION;\n"
        ));
    }
    for host in ["%", "localhost"] {
        s.push_str(&format!(
            "CREATE USER '{NOPW_USER}'@'{host}' IDENTIFIED BY '';\n\
             CREATE USER '{X509_USER}'@'{host}' IDENTIFIED BY '{X509_PASSWORD}' REQUIRE X509;\n\
             CREATE USER '{SSL_USER}'@'{host}' IDENTIFIED BY '{SSL_PASSWORD}' REQUIRE SSL;\n"
        ));
        let mut users = vec![NOPW_USER, X509_USER, SSL_USER];
        if ed25519 {
            s.push_str(&format!(
                "CREATE USER '{ED_USER}'@'{host}' IDENTIFIED VIA ed25519 USING PASSWORD('{ED_PASSWORD}');\n"
            ));
            users.push(ED_USER);
        }
        for u in users {
            s.push_str(&format!(
                "GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{u}'@'{host}';\n"
            ));
        }
    }
    s
}

// ---------------------------------------------------------------------------
// Process control
// ---------------------------------------------------------------------------

enum LaunchError {
    PortClash(String),
    Fatal(String),
}

/// Spawns mariadbd on `port`, stores it in `p.mariadbd` and waits until it accepts
/// connections (bounded by STARTUP_TIMEOUT).
fn launch(cfg: &LaunchCfg, port: u16, p: &mut Proc) -> Result<(), LaunchError> {
    let log_start = fs::metadata(&cfg.err_log).map(|m| m.len()).unwrap_or(0);
    let stderr_start = fs::metadata(&cfg.stderr_log).map(|m| m.len()).unwrap_or(0);
    let stderr = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&cfg.stderr_log)
        .map_err(|e| LaunchError::Fatal(format!("open {}: {e}", cfg.stderr_log.display())))?;
    let child = Command::new(&cfg.mariadbd)
        .args(&cfg.args)
        .arg(format!("--port={port}"))
        .current_dir(&cfg.tmp_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .map_err(|e| LaunchError::Fatal(format!("spawn {}: {e}", cfg.mariadbd.display())))?;
    // Tell the watchdog (write + rename so it never reads a partial file).
    let pid_tmp = cfg.tmp_dir.join(format!("{CHILD_PID_FILE}.tmp"));
    let _ = fs::write(&pid_tmp, child.id().to_string());
    let _ = fs::rename(&pid_tmp, cfg.tmp_dir.join(CHILD_PID_FILE));
    p.mariadbd = Some(child);

    let logs = || {
        format!(
            "--- command ---\n{} {} --port={port}\n--- err.log (this start) ---\n{}\n--- mariadbd stderr ---\n{}",
            cfg.mariadbd.display(),
            cfg.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
            read_tail(&cfg.err_log, log_start),
            read_tail(&cfg.stderr_log, stderr_start)
        )
    };
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let child = p.mariadbd.as_mut().expect("child");
        match child.try_wait() {
            Ok(Some(status)) => {
                p.mariadbd = None;
                let _ = fs::remove_file(cfg.tmp_dir.join(CHILD_PID_FILE));
                let l = logs();
                let msg = format!("mariadbd exited during startup ({status}) on port {port}:\n{l}");
                if l.contains("Bind on TCP/IP port") || l.contains("Address already in use") {
                    return Err(LaunchError::PortClash(msg));
                }
                return Err(LaunchError::Fatal(msg));
            }
            Ok(None) => {}
            Err(e) => return Err(LaunchError::Fatal(format!("wait mariadbd: {e}"))),
        }
        if read_tail(&cfg.err_log, log_start).contains("ready for connections") && greeting_ok(port)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            if let Some(c) = p.mariadbd.take() {
                stop_child(c, Duration::ZERO);
            }
            let _ = fs::remove_file(cfg.tmp_dir.join(CHILD_PID_FILE));
            return Err(LaunchError::Fatal(format!(
                "mariadbd not ready after {STARTUP_TIMEOUT:?} on port {port}:\n{}",
                logs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True if 127.0.0.1:port answers with a protocol-10 greeting.
fn greeting_ok(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut hdr = [0u8; 5];
    s.read_exact(&mut hdr).is_ok() && hdr[4] == 10
}

/// True if the unix socket accepts a connection.
pub fn socket_accepts(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

/// SIGTERM, wait up to `grace`, then SIGKILL; always reaps.
fn stop_child(mut child: Child, grace: Duration) {
    if !grace.is_zero() {
        unsafe {
            kill(child.id() as i32, SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs the built `mywire` binary as `mywire --url URL ARGS…`, with `stdin` as its standard
/// input (none: /dev/null) and `DATABASE_URL` removed from its environment.
///
/// For the tests of the CLI crate (cli/tests), the only ones Cargo gives the binary's path
/// (`CARGO_BIN_EXE_mywire`); the root package's tests include this module too, without it.
pub fn run_mywire(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let Some(bin) = option_env!("CARGO_BIN_EXE_mywire") else {
        panic!("run_mywire is for the cli/ tests");
    };
    let mut c = Command::new(bin);
    c.env_remove("DATABASE_URL")
        .arg("--url")
        .arg(url)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = c.spawn().expect("run mywire");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        w.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait for mywire")
}
