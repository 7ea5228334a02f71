//! The throwaway MariaDB, started the way `tests/support` does it (mariadb-install-db into a
//! temp dir, mariadbd on a free 127.0.0.1 port, the `mywire` account and `mywire_test`
//! database), but sized for benchmarks: a buffer pool that holds the whole table, so that the
//! server streams from memory and not from disk. `Server::start(true)` (`--server-defaults`)
//! leaves InnoDB at its defaults instead (128 MiB buffer pool, no tuning flags), so the table
//! does not fit and a full scan reads pages back from the data file.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "mywire";
pub const PASSWORD: &str = "mywire-pass";
pub const DATABASE: &str = "mywire_test";

pub struct Server {
    pub port: u16,
    pub socket: PathBuf,
    pub tmp: PathBuf,
    child: Child,
}

fn find(name: &str, dirs: &[&str]) -> Result<PathBuf, String> {
    for d in dirs {
        let p = Path::new(d).join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    Err(format!(
        "{name} not found in {dirs:?} (apt-get install mariadb-server mariadb-client)"
    ))
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

impl Server {
    /// `defaults`: no InnoDB flags at all (the default buffer pool, log file size, doublewrite
    /// and flushing); otherwise the 1 GiB buffer pool and the tuning below.
    pub fn start(defaults: bool) -> Result<Server, String> {
        let t0 = Instant::now();
        let mariadbd = find("mariadbd", &["/usr/sbin", "/usr/local/sbin", "/usr/bin"])?;
        let install = find("mariadb-install-db", &["/usr/bin", "/usr/local/bin"])?;
        let tmp = std::env::temp_dir().join(format!("mywire-bench-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
        let data = tmp.join("data");
        let tuned = [
            "--innodb-buffer-pool-size=1G",
            "--innodb-log-file-size=256M",
            "--loose-innodb-doublewrite=0",
            "--loose-innodb-flush-log-at-trx-commit=0",
            "--loose-innodb-buffer-pool-load-at-startup=0",
            "--loose-innodb-buffer-pool-dump-at-shutdown=0",
        ];
        let innodb: &[&str] = if defaults { &[] } else { &tuned };
        let log = fs::File::create(tmp.join("install.log")).map_err(|e| e.to_string())?;
        let mut c = Command::new(&install);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                "--skip-log-bin",
            ])
            .args(innodb)
            .current_dir(&tmp)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        if is_root() {
            c.arg("--user=root");
        }
        let st = c
            .status()
            .map_err(|e| format!("{}: {e}", install.display()))?;
        if !st.success() {
            return Err(format!(
                "mariadb-install-db failed: {}",
                fs::read_to_string(tmp.join("install.log")).unwrap_or_default()
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let socket = tmp.join("mysqld.sock");
        let err_log = tmp.join("err.log");
        let mut c = Command::new(&mariadbd);
        c.arg("--no-defaults");
        if is_root() {
            c.arg("--user=root");
        }
        c.arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", tmp.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", err_log.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--max-allowed-packet=256M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--max-connections=300",
                "--loose-performance-schema=OFF",
                "--loose-feedback=OFF",
                "--query-cache-type=0",
                "--query-cache-size=0",
            ])
            .args(innodb)
            .current_dir(&tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = c
            .spawn()
            .map_err(|e| format!("{}: {e}", mariadbd.display()))?;
        let mut s = Server {
            port,
            socket,
            tmp: tmp.clone(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(Some(st)) = s.child.try_wait() {
                return Err(format!(
                    "mariadbd exited ({st}):\n{}",
                    fs::read_to_string(&err_log).unwrap_or_default()
                ));
            }
            let log = fs::read_to_string(&err_log).unwrap_or_default();
            if log.contains("ready for connections")
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("mariadbd not ready after 90 s:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut setup =
            format!("CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4;\n");
        for host in ["%", "localhost", "127.0.0.1"] {
            setup.push_str(&format!(
                "CREATE USER '{USER}'@'{host}' IDENTIFIED VIA mysql_native_password USING PASSWORD('{PASSWORD}');\n\
                 GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'{host}';\n"
            ));
        }
        s.sql(&setup)?;
        eprintln!(
            "[bench] MariaDB {} on 127.0.0.1:{port} (pid {}) ready in {:.1?}; {}",
            s.sql("SELECT VERSION()")?.trim(),
            s.pid(),
            t0.elapsed(),
            s.sql("SELECT CONCAT('innodb_buffer_pool_size=', @@innodb_buffer_pool_size)")?
                .trim()
        );
        Ok(s)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!(
            "mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// Runs SQL as root over the socket; returns stdout.
    pub fn sql(&self, stmt: &str) -> Result<String, String> {
        let out = Command::new("mariadb")
            .args([
                "--no-defaults",
                "--protocol=SOCKET",
                "-uroot",
                "--batch",
                "--skip-column-names",
            ])
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-e", stmt])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("mariadb CLI: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mariadb CLI failed for {stmt:.200}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// CPU time of every mariadbd thread (the first field of `/proc/PID/task/*/schedstat`,
    /// nanoseconds on the CPU), summed. Threads that exit between two readings take their
    /// time with them; with the thread cache, connection threads are reused, not exited.
    pub fn cpu(&self) -> Duration {
        let ns: u64 = self
            .tids()
            .iter()
            .filter_map(|t| {
                fs::read_to_string(format!("/proc/{}/task/{t}/schedstat", self.pid()))
                    .ok()?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum();
        Duration::from_nanos(ns)
    }

    /// Thread ids of mariadbd (for pinning every thread, not only the main one).
    pub fn tids(&self) -> Vec<i32> {
        fs::read_dir(format!("/proc/{}/task", self.pid()))
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.tmp);
    }
}
