//! Self-test of the test harness (`tests/support`): checks the throwaway MariaDB
//! with the `mariadb` CLI only (no mywire API).
//!
//! The tests are serialized because one of them restarts the shared server.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::process::Output;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use support::TestServer;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim_end().to_string()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim_end().to_string()
}

/// `mariadb` over TCP as user/pass with `extra` options, running `sql` in batch
/// mode without column names.
fn tcp(s: &TestServer, user: &str, pass: &str, extra: &[&str], sql: &str) -> Output {
    s.mariadb_command()
        .args(s.tcp_args(user, pass))
        .args(extra)
        .args(["--batch", "--skip-column-names", "-e", sql])
        .output()
        .expect("run mariadb")
}

fn sock(s: &TestServer, user: &str, pass: &str, sql: &str) -> Output {
    let mut c = s.mariadb_command();
    c.arg("--protocol=SOCKET")
        .arg("-S")
        .arg(&s.socket)
        .arg(format!("-u{user}"));
    if !pass.is_empty() {
        c.arg(format!("-p{pass}"));
    }
    c.args(["--batch", "--skip-column-names", "-e", sql])
        .output()
        .expect("run mariadb")
}

#[track_caller]
fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "mariadb failed: {}\nstdout: {}",
        err(&o),
        text(&o)
    );
    text(&o)
}

#[track_caller]
fn denied(o: Output, code: &str) {
    assert!(!o.status.success(), "expected failure, got: {}", text(&o));
    assert!(err(&o).contains(code), "expected {code}, got: {}", err(&o));
}

#[test]
fn urls_paths_and_free_port() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    assert_eq!(
        s.url(),
        format!(
            "mysql://mywire:mywire-pass@127.0.0.1:{}/mywire_test",
            s.port
        )
    );
    assert_eq!(support::test_url(), s.url());
    assert_eq!(
        s.socket_url(),
        format!(
            "mysql://mywire:mywire-pass@localhost/mywire_test?socket={}",
            s.socket.display()
        )
    );
    assert_eq!(
        s.url_for("mywire_nopw", ""),
        format!("mysql://mywire_nopw@127.0.0.1:{}/mywire_test", s.port)
    );
    assert_eq!(support::pct_encode("a b@c/d", true), "a%20b%40c/d");
    for f in [
        &s.ca_cert,
        &s.ca_key,
        &s.server_cert,
        &s.server_key,
        &s.client_cert,
        &s.client_key,
        &s.wrong_ca_cert,
    ] {
        assert!(f.is_file(), "{} missing", f.display());
        assert!(f.starts_with(&s.tmp_dir));
    }
    assert!(support::socket_accepts(&s.socket));
    let p = support::free_port();
    assert_ne!(p, 0);
    assert_ne!(p, s.port);
    eprintln!("startup took {:?}", s.startup_time);
}

#[test]
fn server_settings() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    assert_eq!(s.sql("SHOW VARIABLES LIKE 'have_ssl'"), "have_ssl\tYES");
    assert_eq!(s.sql("SELECT @@max_allowed_packet"), "268435456");
    assert_eq!(
        s.sql("SELECT @@character_set_server, @@collation_server"),
        "utf8mb4\tutf8mb4_general_ci"
    );
    assert_eq!(
        s.sql("SELECT @@port, @@skip_networking"),
        format!("{}\t0", s.port)
    );
    assert_eq!(s.sql("SELECT @@log_bin"), "0");
    assert_eq!(
        s.sql(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='mywire_test'"
        ),
        "mywire_test"
    );
    // No anonymous accounts that could shadow ours.
    assert_eq!(s.sql("SELECT COUNT(*) FROM mysql.user WHERE user=''"), "0");
    if s.has_ed25519 {
        assert_eq!(
            s.sql(
                "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME='ed25519'"
            ),
            "ACTIVE"
        );
    }
    // The system MariaDB on 3306 must not be the one we talk to.
    assert_ne!(s.port, 3306);
    assert!(s
        .sql("SELECT @@datadir")
        .starts_with(&*s.data_dir.to_string_lossy()));
}

#[test]
fn users_over_socket() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    assert_eq!(
        ok(sock(
            s,
            "mywire",
            "mywire-pass",
            "SELECT CURRENT_USER(), DATABASE()"
        )),
        "mywire@localhost\tNULL"
    );
    assert_eq!(
        ok(sock(s, "mywire_nopw", "", "SELECT CURRENT_USER()")),
        "mywire_nopw@localhost"
    );
    assert_eq!(
        ok(sock(s, "mywire_ssl", "ssl-pass", "SELECT 1")).len(),
        1,
        "REQUIRE SSL is satisfied by the socket"
    );
    denied(sock(s, "mywire", "wrong", "SELECT 1"), "1045");
}

#[test]
fn users_over_tcp_and_tls() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    let ca = format!("--ssl-ca={}", s.ca_cert.display());
    let verify: &[&str] = &[&ca, "--ssl-verify-server-cert"];

    // TLS verified against our CA (hostname 127.0.0.1 is in the SAN).
    let out = ok(tcp(
        s,
        "mywire",
        "mywire-pass",
        verify,
        "SELECT CURRENT_USER(); SHOW SESSION STATUS LIKE 'Ssl_version'",
    ));
    assert!(out.starts_with("mywire@127.0.0.1\n"), "{out}");
    assert!(out.contains("Ssl_version\tTLSv1."), "{out}");
    // Plain TCP works too.
    let out = ok(tcp(
        s,
        "mywire",
        "mywire-pass",
        &["--skip-ssl"],
        "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
    ));
    assert_eq!(out.trim_end(), "Ssl_cipher", "no TLS with --skip-ssl");
    // Wrong CA: verification fails.
    let wrong = format!("--ssl-ca={}", s.wrong_ca_cert.display());
    let o = tcp(
        s,
        "mywire",
        "mywire-pass",
        &[&wrong, "--ssl-verify-server-cert"],
        "SELECT 1",
    );
    assert!(!o.status.success(), "wrong CA accepted");
    assert!(
        err(&o).contains("2026"),
        "expected TLS error 2026: {}",
        err(&o)
    );

    assert_eq!(
        ok(tcp(
            s,
            "mywire_nopw",
            "",
            &["--skip-ssl"],
            "SELECT CURRENT_USER()"
        )),
        "mywire_nopw@%"
    );
    denied(
        tcp(s, "mywire", "nope", &["--skip-ssl"], "SELECT 1"),
        "1045",
    );

    // REQUIRE SSL
    assert_eq!(
        ok(tcp(
            s,
            "mywire_ssl",
            "ssl-pass",
            verify,
            "SELECT CURRENT_USER()"
        )),
        "mywire_ssl@%"
    );
    denied(
        tcp(s, "mywire_ssl", "ssl-pass", &["--skip-ssl"], "SELECT 1"),
        "1045",
    );

    // REQUIRE X509
    let cert = format!("--ssl-cert={}", s.client_cert.display());
    let key = format!("--ssl-key={}", s.client_key.display());
    let out = ok(tcp(
        s,
        "mywire_x509",
        "x509-pass",
        &[&ca, &cert, &key, "--ssl-verify-server-cert"],
        "SELECT CURRENT_USER()",
    ));
    assert_eq!(out, "mywire_x509@%");
    denied(
        tcp(s, "mywire_x509", "x509-pass", verify, "SELECT 1"),
        "1045",
    );
}

#[test]
fn ed25519_login() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    if !s.has_ed25519 {
        return support::skip_or_fail("the auth_ed25519 server plugin is not available");
    }
    assert_eq!(
        s.sql("SELECT DISTINCT plugin FROM mysql.user WHERE user='mywire_ed'"),
        "ed25519"
    );
    let out = ok(tcp(
        s,
        "mywire_ed",
        "ed-pass",
        &["--skip-ssl"],
        "SELECT CURRENT_USER()",
    ));
    assert_eq!(out, "mywire_ed@%");
    assert_eq!(
        ok(sock(s, "mywire_ed", "ed-pass", "SELECT CURRENT_USER()")),
        "mywire_ed@localhost"
    );
    denied(
        tcp(s, "mywire_ed", "bad-pass", &["--skip-ssl"], "SELECT 1"),
        "1045",
    );
}

#[test]
fn large_packets() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    let big: &[&str] = &["--skip-ssl", "--max-allowed-packet=1G"];
    let out = ok(tcp(
        s,
        "mywire",
        "mywire-pass",
        big,
        "SELECT LENGTH(REPEAT('a', 64*1024*1024))",
    ));
    assert_eq!(out, "67108864");
    // 64 MiB row in InnoDB (redo log / buffer pool are small on purpose).
    let t = Instant::now();
    let out = ok(tcp(
        s,
        "mywire",
        "mywire-pass",
        big,
        "DROP TABLE IF EXISTS mywire_test.harness_big; \
         CREATE TABLE mywire_test.harness_big (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB; \
         INSERT INTO mywire_test.harness_big VALUES (1, REPEAT('x', 20*1024*1024)), (2, REPEAT('y', 64*1024*1024)); \
         SELECT id, LENGTH(b) FROM mywire_test.harness_big ORDER BY id; \
         DROP TABLE mywire_test.harness_big",
    ));
    assert_eq!(out, "1\t20971520\n2\t67108864");
    eprintln!("84 MiB InnoDB round trip took {:?}", t.elapsed());
}

#[test]
fn restart_under_open_session() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    s.sql(
        "CREATE TABLE IF NOT EXISTS mywire_test.harness_restart (v INT) ENGINE=InnoDB; \
         DELETE FROM mywire_test.harness_restart; INSERT INTO mywire_test.harness_restart VALUES (42)",
    );
    let pid_before = s.pid().expect("running");
    // An open connection (we only read the greeting).
    let mut conn = TcpStream::connect(s.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut hdr = [0u8; 5];
    conn.read_exact(&mut hdr).unwrap();
    assert_eq!(hdr[4], 10, "protocol version");

    let t = Instant::now();
    s.restart();
    eprintln!("restart took {:?}", t.elapsed());

    // The old session is gone: the rest of the greeting may still be buffered, then EOF/reset.
    let mut rest = Vec::new();
    let r = conn.read_to_end(&mut rest);
    assert!(r.is_ok() || r.is_err(), "read finished");
    assert_ne!(s.pid().expect("running"), pid_before);
    assert_eq!(s.sql("SELECT v FROM mywire_test.harness_restart"), "42");
    assert_eq!(
        ok(tcp(
            s,
            "mywire",
            "mywire-pass",
            &["--skip-ssl"],
            "SELECT CURRENT_USER()"
        )),
        "mywire@127.0.0.1"
    );
    assert_eq!(s.sql("SHOW VARIABLES LIKE 'have_ssl'"), "have_ssl\tYES");
    s.sql("DROP TABLE mywire_test.harness_restart");
}

/// `support::skip_or_fail` under `CI=true` fails the test (panics, naming the test and the
/// reason) and elsewhere only prints a SKIPPED line. The CI flag is injected: changing the
/// process environment would race with the other tests of this binary, which read `CI`.
#[test]
fn skip_or_fail_fails_under_ci() {
    let r = std::panic::catch_unwind(|| {
        support::skip_or_fail_in(true, "some_test", "`tshark` is not installed")
    });
    let msg = r.expect_err("skip_or_fail must panic under CI=true");
    let msg = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("some_test"), "{msg}");
    assert!(msg.contains("CI=true"), "{msg}");
    assert!(msg.contains("`tshark` is not installed"), "{msg}");

    // Outside CI: no panic, the test goes on (and returns). This prints a SKIPPED line.
    support::skip_or_fail_in(
        false,
        "skip_or_fail_fails_under_ci",
        "not a real skip: the self-test of support::skip_or_fail outside CI",
    );
}

/// The performance_schema of the throwaway server is on (with its tables sized down), so that
/// `tests/connect.rs` checks connect attributes instead of skipping.
#[test]
fn performance_schema_has_connect_attrs() {
    let Some(s) = support::local_server() else {
        return;
    };
    let _g = serial();
    assert_eq!(s.sql("SELECT @@performance_schema"), "1");
    let out = ok(tcp(
        s,
        support::USER,
        support::PASSWORD,
        &["--skip-ssl"],
        "SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs \
         WHERE PROCESSLIST_ID = CONNECTION_ID() AND ATTR_NAME = '_client_name'",
    ));
    assert_eq!(out, "libmariadb");
}

/// Protocol notes, code comments and docs cite public sources or the live probe, never a file
/// outside this repository (the workplace's shared notes are not public).
#[test]
fn sources_are_public_not_files_outside_the_repository() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == "target" || name == ".git" || name == "corpus" {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("rs" | "md" | "toml" | "sh")
            ) {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in [
        "protocol-notes",
        "src",
        "cli",
        "tests",
        "fuzz",
        "bench",
        "benches",
        "examples",
    ] {
        walk(&root.join(d), &mut files);
    }
    for f in ["README.md", "BENCHMARKS.md", "Cargo.toml"] {
        files.push(root.join(f));
    }
    assert!(files.len() > 50, "walked {} files", files.len());
    // Spelled in pieces so this file does not match itself.
    let banned = [
        ["REFERENCE", ".md"].concat(),
        ["ARCHITECTURE", ".md"].concat(),
        ["/work/", "shared"].concat(),
    ];
    let mut hits = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for b in &banned {
            if text.contains(b.as_str()) {
                hits.push(format!("{}: {b}", f.display()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "citations of files outside the repository: {hits:#?}"
    );
}
