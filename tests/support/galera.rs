//! A 3-node MariaDB Galera cluster on loopback (tests/galera.rs).
//!
//! Built from the throwaway-server pieces of [`super`]: the same binaries ([`super::binaries`]),
//! temp dir (`$TMPDIR/mywire-test-PID-N`), free ports, `mariadb-install-db`, accounts
//! ([`super::setup_sql`]: `mywire` / `mywire-pass` and the others, database `mywire_test`) and
//! watchdog (which kills every PID in the temp dir's `mariadbd.child.pid`, one per node).
//!
//! The flags are the ones seen working here (live, MariaDB 10.11.19 + galera-4 26.4.23 on
//! 2026-12-03; protocol-notes/galera.md): `--wsrep-on`, the provider `/usr/lib/galera/libgalera_smm.so`,
//! ROW binlog format, InnoDB with `innodb_autoinc_lock_mode=2`, rsync SST, and per node its own
//! SQL, group communication (G), IST (I) and SST (R) ports on 127.0.0.1. Node 1 bootstraps
//! (`--wsrep-new-cluster`), nodes 2 and 3 join one after the other (each by an rsync SST from a
//! synced node), and [`GaleraCluster::start`] returns once all three say
//! `wsrep_cluster_size=3`, `wsrep_ready=ON`, `wsrep_local_state_comment=Synced`.
//!
//! rsync SST fails as root, so when the tests run as root the data directories belong to
//! `mysql` and mariadbd runs with `--user=mysql` (each node's directory `mysql`-owned, the temp
//! dir mode 755 so it can be traversed).
//!
//! The cluster is stopped (SIGKILL to each node's process group, SST helpers included) and its
//! temp dir removed when the [`GaleraCluster`] is dropped, at process exit for one kept in a
//! static (an `atexit` hook), and by the watchdog if the test process is killed.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::{
    binaries, free_port, greeting_ok, is_root, make_tmp_dir, mariadb_command_for, pct_encode,
    print_uncaptured, read_tail, setup_sql, spawn_install_db, spawn_watchdog, wait_install_db,
    CHILD_PID_FILE, DATABASE, PASSWORD, SMALL_INNODB, STARTUP_TIMEOUT, USER,
};

/// Nodes in the cluster.
pub const NODES: usize = 3;
/// The Galera 4 provider library (Debian's galera-4 package); `MYWIRE_GALERA_PROVIDER`
/// overrides it.
pub const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// [`PROVIDER`] or `$MYWIRE_GALERA_PROVIDER`.
pub fn provider() -> PathBuf {
    std::env::var_os("MYWIRE_GALERA_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(PROVIDER))
}
/// Bound for a node to be `Synced` (an rsync SST included).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(120);

const SIGKILL: std::os::raw::c_int = 9;

/// Why a cluster cannot be started here (`Err`: what is missing), checked before anything is
/// started: the MariaDB binaries, the provider, rsync and the rsync SST script, and the `mysql`
/// account when running as root.
pub fn prerequisites() -> Result<(), String> {
    binaries()?;
    let provider = provider();
    if !provider.exists() {
        return Err(format!(
            "the Galera provider {} is missing (apt-get install galera-4; .ci/run does)",
            provider.display()
        ));
    }
    for tool in ["rsync", "wsrep_sst_rsync"] {
        if !in_path(tool) {
            return Err(format!(
                "`{tool}` not found in $PATH (apt-get install rsync galera-4 mariadb-server; \
                 .ci/run does)"
            ));
        }
    }
    if is_root() && mysql_account().is_none() {
        return Err(
            "running as root but there is no `mysql` account to run the nodes as \
                    (rsync SST fails as root)"
                .into(),
        );
    }
    Ok(())
}

fn in_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
        || ["/usr/bin", "/usr/sbin"]
            .iter()
            .any(|d| Path::new(d).join(name).is_file())
}

/// `mysql:mysql` if that account exists.
fn mysql_account() -> Option<String> {
    let out = Command::new("id")
        .args(["-u", "mysql"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| "mysql".to_string())
}

/// One node's ports and files.
#[derive(Debug, Clone)]
pub struct Node {
    /// SQL port on 127.0.0.1.
    pub port: u16,
    /// Group communication port (`gmcast.listen_addr`, `wsrep_node_address`).
    pub group_port: u16,
    /// Incremental state transfer port (`ist.recv_addr`).
    pub ist_port: u16,
    /// State snapshot transfer port (`wsrep_sst_receive_address`).
    pub sst_port: u16,
    /// The node's own directory (owned by `mysql` when running as root).
    pub dir: PathBuf,
    pub data_dir: PathBuf,
    pub socket: PathBuf,
    /// mariadbd `--log-error` (appended to across restarts).
    pub err_log: PathBuf,
}

/// What a node says about itself (`SHOW GLOBAL STATUS LIKE 'wsrep%'`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStatus {
    /// `wsrep_ready` is `ON`.
    pub ready: bool,
    /// `wsrep_local_state_comment` (`Synced`, `Joining`, `Donor/Desynced`, …).
    pub state: String,
    /// `wsrep_cluster_size`.
    pub cluster_size: u32,
    /// `wsrep_cluster_status` (`Primary`, `non-Primary`, `Disconnected`).
    pub cluster_status: String,
}

impl NodeStatus {
    pub fn synced(&self) -> bool {
        self.ready && self.state == "Synced" && self.cluster_status == "Primary"
    }
}

/// The processes, shared with the `atexit` hook.
struct Procs {
    tmp_dir: PathBuf,
    children: Mutex<Vec<Option<Child>>>,
    watchdog: Mutex<Option<Child>>,
}

impl Procs {
    fn children(&self) -> MutexGuard<'_, Vec<Option<Child>>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the running nodes' PIDs for the watchdog (write + rename: never half a file).
    fn write_pids(&self, children: &[Option<Child>]) {
        let pids: String = children
            .iter()
            .flatten()
            .map(|c| format!("{}\n", c.id()))
            .collect();
        let tmp = self.tmp_dir.join(format!("{CHILD_PID_FILE}.tmp"));
        let _ = fs::write(&tmp, pids);
        let _ = fs::rename(&tmp, self.tmp_dir.join(CHILD_PID_FILE));
    }

    /// SIGKILL every node (its process group: SST scripts and rsync too), the watchdog, and
    /// remove the temp dir.
    fn stop_all(&self, children: &mut [Option<Child>]) {
        for c in children.iter_mut() {
            if let Some(c) = c.take() {
                kill_group(c);
            }
        }
        let _ = fs::remove_dir_all(&self.tmp_dir);
        let mut w = self.watchdog.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut w) = w.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// SIGKILL to the child's process group (it was spawned as a group leader), then reap it.
fn kill_group(mut c: Child) {
    if let Ok(pid) = i32::try_from(c.id()) {
        unsafe {
            super::kill(-pid, SIGKILL);
        }
    }
    let _ = c.kill();
    let _ = c.wait();
}

static LIVE: Mutex<Vec<Arc<Procs>>> = Mutex::new(Vec::new());
static ATEXIT: OnceLock<()> = OnceLock::new();

extern "C" fn stop_live_at_exit() {
    let live = match LIVE.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for p in live.iter() {
        // Never block at exit: if a thread holds the lock, the watchdog does the work.
        let mut ch = match p.children.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => continue,
        };
        p.stop_all(&mut ch);
    }
}

/// A running 3-node Galera cluster on 127.0.0.1. Stopped when dropped.
pub struct GaleraCluster {
    /// Temp dir holding every node's directory; removed when the cluster stops.
    pub tmp_dir: PathBuf,
    pub nodes: Vec<Node>,
    /// `wsrep_cluster_name`.
    pub name: String,
    /// Wall time of [`GaleraCluster::start`] (install-db, three nodes synced, accounts).
    pub startup_time: Duration,
    mariadbd: PathBuf,
    cli: PathBuf,
    run_as: Option<String>,
    procs: Arc<Procs>,
}

impl std::fmt::Debug for GaleraCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GaleraCluster")
            .field("tmp_dir", &self.tmp_dir)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl Drop for GaleraCluster {
    fn drop(&mut self) {
        let mut ch = self.procs.children();
        self.procs.stop_all(&mut ch);
        drop(ch);
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|p| !Arc::ptr_eq(p, &self.procs));
    }
}

impl GaleraCluster {
    /// Starts the cluster: one `mariadb-install-db` (copied to the other nodes), node 1
    /// bootstrapped, the accounts created, nodes 2 and 3 joined; returns when all three are
    /// synced in a cluster of 3. Check [`prerequisites`] first.
    pub fn start() -> Result<GaleraCluster, String> {
        let t0 = Instant::now();
        prerequisites()?;
        let (mariadbd, install_db, cli) = binaries()?;
        let run_as = if is_root() { mysql_account() } else { None };
        let tmp = make_tmp_dir()?;
        // Every parent must be traversable by the `mysql` account.
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", tmp.display()))?;
        let procs = Arc::new(Procs {
            tmp_dir: tmp.clone(),
            children: Mutex::new((0..NODES).map(|_| None).collect()),
            watchdog: Mutex::new(None),
        });
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&procs));
        ATEXIT.get_or_init(|| unsafe {
            super::atexit(stop_live_at_exit);
        });
        let mut cluster = GaleraCluster {
            tmp_dir: tmp.clone(),
            nodes: Vec::new(),
            name: format!("mywire-{}", std::process::id()),
            startup_time: Duration::ZERO,
            mariadbd,
            cli,
            run_as,
            procs,
        };
        // From here on, an early return drops `cluster`, which stops whatever was started.
        let w = spawn_watchdog(&tmp)?;
        *cluster
            .procs
            .watchdog
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(w);

        // Ports: four distinct ones per node.
        let mut used = std::collections::HashSet::new();
        let mut port = || loop {
            let p = free_port();
            if used.insert(p) {
                return p;
            }
        };
        for i in 0..NODES {
            let dir = tmp.join(format!("node{}", i + 1));
            fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
            cluster.nodes.push(Node {
                port: port(),
                group_port: port(),
                ist_port: port(),
                sst_port: port(),
                data_dir: dir.join("data"),
                socket: dir.join("mysqld.sock"),
                err_log: dir.join("err.log"),
                dir,
            });
        }

        // One install-db, copied: the joiners' data is replaced by their SST anyway.
        let first = &cluster.nodes[0];
        let log = tmp.join("install.log");
        let install = spawn_install_db(
            &install_db,
            &first.data_dir,
            &tmp,
            &log,
            Some(cluster.run_as.as_deref().unwrap_or("root")).filter(|_| is_root()),
        )?;
        wait_install_db(install, &log)?;
        for n in &cluster.nodes[1..] {
            run(Command::new("cp")
                .arg("-a")
                .arg(&first.data_dir)
                .arg(&n.data_dir))?;
        }
        if let Some(u) = &cluster.run_as {
            for n in &cluster.nodes {
                run(Command::new("chown")
                    .arg("-R")
                    .arg(format!("{u}:{u}"))
                    .arg(&n.dir))?;
            }
        }
        let t_install = t0.elapsed();

        cluster.launch(0, true)?;
        cluster.wait_synced_with(0, 1, SYNC_TIMEOUT)?;
        cluster.sql(0, &setup_sql(false))?;
        let t_first = t0.elapsed();
        for i in 1..NODES {
            cluster.launch(i, false)?;
            cluster.wait_synced_with(i, i + 1, SYNC_TIMEOUT)?;
        }
        cluster.wait_all_synced(SYNC_TIMEOUT)?;
        cluster.startup_time = t0.elapsed();
        print_uncaptured(&format!(
            "[mywire-test] Galera cluster {} on 127.0.0.1 ports {:?} synced in {:.2?} \
             (install-db done {t_install:.2?}, node 1 up {t_first:.2?})",
            cluster.name,
            cluster.nodes.iter().map(|n| n.port).collect::<Vec<_>>(),
            cluster.startup_time
        ));
        Ok(cluster)
    }

    /// `mysql://mywire:mywire-pass@127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/mywire_test`, then
    /// `?params` when not empty.
    pub fn url(&self, params: &str) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        self.url_for_hosts(&hosts.join(","), params)
    }

    /// Node `i`'s own URL (0-based), then `?params` when not empty.
    pub fn node_url(&self, i: usize, params: &str) -> String {
        self.url_for_hosts(&format!("127.0.0.1:{}", self.nodes[i].port), params)
    }

    fn url_for_hosts(&self, hosts: &str, params: &str) -> String {
        let q = if params.is_empty() {
            String::new()
        } else {
            format!("?{params}")
        };
        format!(
            "mysql://{}:{}@{hosts}/{DATABASE}{q}",
            pct_encode(USER, false),
            pct_encode(PASSWORD, false)
        )
    }

    /// Whether node `i`'s mariadbd is running (not killed, not exited).
    pub fn is_running(&self, i: usize) -> bool {
        let mut ch = self.procs.children();
        match ch.get_mut(i).and_then(|c| c.as_mut()) {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// `kill -9` node `i` (0-based) and its SST helpers; returns when it is reaped.
    pub fn kill(&self, i: usize) {
        let mut ch = self.procs.children();
        if let Some(c) = ch.get_mut(i).and_then(Option::take) {
            kill_group(c);
        }
        self.procs.write_pids(&ch);
    }

    /// Starts killed node `i` again, joining through the other nodes (`gcomm://` of their
    /// group ports); returns when it accepts connections (it may still be joining: see
    /// [`GaleraCluster::wait_synced`]).
    pub fn restart(&self, i: usize) -> Result<(), String> {
        if self.is_running(i) {
            return Err(format!("node {} is running", i + 1));
        }
        self.launch(i, false)
    }

    /// Waits until node `i` is synced in a primary component with every running node; returns
    /// how long that took.
    pub fn wait_synced(&self, i: usize, timeout: Duration) -> Result<Duration, String> {
        let n = (0..NODES).filter(|&j| self.is_running(j)).count();
        self.wait_synced_with(i, n, timeout)
    }

    /// Waits until every running node is synced with all the others.
    pub fn wait_all_synced(&self, timeout: Duration) -> Result<Duration, String> {
        let t0 = Instant::now();
        for i in 0..NODES {
            if self.is_running(i) {
                self.wait_synced(i, timeout.saturating_sub(t0.elapsed()))?;
            }
        }
        Ok(t0.elapsed())
    }

    /// Node `i`'s wsrep status, asked as root over its socket.
    pub fn status(&self, i: usize) -> Result<NodeStatus, String> {
        let out = self.sql(i, "SHOW GLOBAL STATUS LIKE 'wsrep%'")?;
        let mut st = NodeStatus::default();
        for line in out.lines() {
            let Some((k, v)) = line.split_once('\t') else {
                continue;
            };
            match k {
                "wsrep_ready" => st.ready = v == "ON",
                "wsrep_local_state_comment" => st.state = v.to_string(),
                "wsrep_cluster_size" => st.cluster_size = v.parse().unwrap_or(0),
                "wsrep_cluster_status" => st.cluster_status = v.to_string(),
                _ => {}
            }
        }
        Ok(st)
    }

    /// Runs `stmt` on node `i` as root over its socket (`--batch --skip-column-names`);
    /// standard output without the last newline, or the CLI's error.
    pub fn sql(&self, i: usize, stmt: &str) -> Result<String, String> {
        let n = &self.nodes[i];
        let out = mariadb_command_for(&self.cli)
            .arg("--protocol=SOCKET")
            .arg("-S")
            .arg(&n.socket)
            .args(["-uroot", "--batch", "--skip-column-names", "-e", stmt])
            .output()
            .map_err(|e| format!("run mariadb CLI: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "node {}: mariadb CLI failed ({}) for: {stmt}\nstderr: {}",
                i + 1,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        if s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    }

    /// Node `i`'s error log since its first start.
    pub fn err_log(&self, i: usize) -> String {
        read_tail(&self.nodes[i].err_log, 0)
    }

    fn mariadbd_args(&self, i: usize, bootstrap: bool) -> Vec<String> {
        let n = &self.nodes[i];
        // Bootstrapping names every node; a node (re)joining names the others.
        let peers: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| bootstrap || *j != i)
            .map(|(_, p)| format!("127.0.0.1:{}", p.group_port))
            .collect();
        let mut a = vec!["--no-defaults".to_string()]; // must be first
        if let Some(u) = &self.run_as {
            a.push(format!("--user={u}"));
        }
        a.extend([
            format!("--datadir={}", n.data_dir.display()),
            format!("--socket={}", n.socket.display()),
            format!("--port={}", n.port),
            format!("--pid-file={}", n.dir.join("mariadbd.pid").display()),
            format!("--log-error={}", n.err_log.display()),
            format!("--tmpdir={}", n.dir.display()),
            "--bind-address=127.0.0.1".into(),
            "--skip-name-resolve".into(),
            "--max-connections=300".into(),
            "--loose-feedback=OFF".into(),
            "--binlog-format=ROW".into(),
            "--default-storage-engine=InnoDB".into(),
            "--innodb-autoinc-lock-mode=2".into(),
            "--wsrep-on=ON".into(),
            format!("--wsrep-provider={}", provider().display()),
            format!("--wsrep-cluster-name={}", self.name),
            format!("--wsrep-node-address=127.0.0.1:{}", n.group_port),
            format!(
                "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};\
                 ist.recv_addr=127.0.0.1:{};gcache.size=64M",
                n.group_port, n.ist_port
            ),
            format!("--wsrep-sst-receive-address=127.0.0.1:{}", n.sst_port),
            "--wsrep-sst-method=rsync".into(),
            format!("--wsrep-cluster-address=gcomm://{}", peers.join(",")),
        ]);
        a.extend(SMALL_INNODB.iter().map(|s| s.to_string()));
        if bootstrap {
            a.push("--wsrep-new-cluster".into());
        }
        a
    }

    /// Spawns node `i` and waits until it accepts connections ("ready for connections" in its
    /// log since this start, and a greeting on its port).
    fn launch(&self, i: usize, bootstrap: bool) -> Result<(), String> {
        let n = &self.nodes[i];
        let log_start = fs::metadata(&n.err_log).map(|m| m.len()).unwrap_or(0);
        let stderr_log = n.dir.join("mariadbd.stderr");
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_log)
            .map_err(|e| format!("open {}: {e}", stderr_log.display()))?;
        let args = self.mariadbd_args(i, bootstrap);
        let child = Command::new(&self.mariadbd)
            .args(&args)
            .current_dir(&n.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.mariadbd.display()))?;
        {
            let mut ch = self.procs.children();
            ch[i] = Some(child);
            self.procs.write_pids(&ch);
        }
        let logs = || {
            format!(
                "--- command ---\n{} {}\n--- node {} err.log (this start) ---\n{}",
                self.mariadbd.display(),
                args.join(" "),
                i + 1,
                read_tail(&n.err_log, log_start),
            )
        };
        // A joiner receives its SST before it listens: allow for that.
        let deadline = Instant::now() + STARTUP_TIMEOUT + SYNC_TIMEOUT;
        loop {
            {
                let mut ch = self.procs.children();
                let exited = match ch[i].as_mut().map(|c| c.try_wait()) {
                    Some(Ok(None)) => None,
                    Some(Ok(Some(st))) => Some(st.to_string()),
                    Some(Err(e)) => Some(e.to_string()),
                    None => Some("killed".into()),
                };
                if let Some(why) = exited {
                    ch[i] = None;
                    self.procs.write_pids(&ch);
                    return Err(format!(
                        "node {} exited during startup ({why}):\n{}",
                        i + 1,
                        logs()
                    ));
                }
            }
            if read_tail(&n.err_log, log_start).contains("ready for connections")
                && greeting_ok(n.port)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("node {} not up in time:\n{}", i + 1, logs()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_synced_with(
        &self,
        i: usize,
        size: usize,
        timeout: Duration,
    ) -> Result<Duration, String> {
        let t0 = Instant::now();
        let mut last: String;
        loop {
            if !self.is_running(i) {
                return Err(format!(
                    "node {} is not running:\n{}",
                    i + 1,
                    tail_lines(&self.err_log(i), 40)
                ));
            }
            match self.status(i) {
                Ok(st) if st.synced() && usize::try_from(st.cluster_size).ok() == Some(size) => {
                    return Ok(t0.elapsed());
                }
                Ok(st) => last = format!("{st:?}"),
                Err(e) => last = e,
            }
            if t0.elapsed() >= timeout {
                return Err(format!(
                    "node {} not synced in a cluster of {size} after {timeout:?} (last: {last}):\n{}",
                    i + 1,
                    tail_lines(&self.err_log(i), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn run(c: &mut Command) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{c:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{c:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn tail_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
