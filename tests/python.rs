//! The Python package (issue 17): its pytest suite (python/tests/, the DB-API driver) and
//! SQLAlchemy's dialect compliance suite (python/sqla_suite/), both against this binary's
//! throwaway MariaDB.
//!
//! The native module is built in place by python/dev-build.sh (a debug build in
//! target/python, its own target directory, since this test runs inside `cargo test`);
//! the Python sources are imported from python/ through PYTHONPATH. Needs python3 with pytest
//! and SQLAlchemy (`.ci/run` installs them): without them the tests print SKIPPED, and fail
//! under `CI=true`.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

const USER: &str = "mywire_py";
const PASSWORD: &str = "py-secret'\"pw";
const DB: &str = "mywire_pytest";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// python3, if it has every module in `modules`.
fn python_with(modules: &[&str]) -> Option<String> {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let check = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    let ok = Command::new(&py)
        .args(["-c", &check])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// Builds the native module once per test binary; `Err` carries the build's output.
fn build() -> &'static Result<(), String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new(root().join("python/dev-build.sh"))
            .current_dir(root())
            .output()
            .map_err(|e| format!("python/dev-build.sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "python/dev-build.sh failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    })
}

/// The throwaway server with the suites' account and schemas (once).
fn server() -> &'static support::TestServer {
    static READY: Mutex<bool> = Mutex::new(false);
    let s = support::server();
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if !*ready {
        let pw = PASSWORD.replace('\\', "\\\\").replace('\'', "\\'");
        s.sql(&format!(
            "CREATE DATABASE IF NOT EXISTS {DB}; \
             CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{pw}'; \
             CREATE USER IF NOT EXISTS '{USER}'@'localhost' IDENTIFIED BY '{pw}'; \
             GRANT ALL ON *.* TO '{USER}'@'%'; \
             GRANT ALL ON *.* TO '{USER}'@'localhost'"
        ));
        *ready = true;
    }
    s
}

fn run(py: &str, dir: &Path, args: &[&str], env: &[(&str, String)]) -> (bool, String) {
    let mut cmd = Command::new(py);
    cmd.current_dir(dir)
        .args(["-m", "pytest"])
        .args(args)
        .env("PYTHONPATH", root().join("python"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pytest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Everything before the suite: python3 with `modules`, the build, the server.
fn prerequisites(modules: &[&str]) -> Option<(String, &'static support::TestServer)> {
    let Some(py) = python_with(modules) else {
        support::skip_or_fail(&format!("python3 with {modules:?} is needed"));
        return None;
    };
    support::local_server()?;
    if let Err(e) = build() {
        panic!("{e}");
    }
    Some((py, server()))
}

#[test]
fn dbapi_pytest_suite() {
    let Some((py, s)) = prerequisites(&["pytest"]) else {
        return;
    };
    let env = [
        ("MYWIRE_TEST_HOST", "127.0.0.1".to_string()),
        ("MYWIRE_TEST_PORT", s.port.to_string()),
        ("MYWIRE_TEST_USER", USER.to_string()),
        ("MYWIRE_TEST_PASSWORD", PASSWORD.to_string()),
        ("MYWIRE_TEST_DB", DB.to_string()),
        ("MYWIRE_TEST_SOCKET", s.socket.display().to_string()),
    ];
    let (ok, out) = run(
        &py,
        &root().join("python"),
        &["tests", "-q", "-p", "no:cacheprovider", "-rfE"],
        &env,
    );
    println!("{out}");
    assert!(ok, "the DB-API pytest suite failed:\n{out}");
}

#[test]
fn sqlalchemy_dialect_compliance_suite() {
    let Some((py, s)) = prerequisites(&["pytest", "sqlalchemy", "greenlet"]) else {
        return;
    };
    // The suite wants its database and test_schema / test_schema_2, empty.
    s.sql(
        "DROP DATABASE IF EXISTS sqla_test; DROP DATABASE IF EXISTS test_schema; \
         DROP DATABASE IF EXISTS test_schema_2; \
         CREATE DATABASE sqla_test CHARACTER SET utf8mb4; \
         CREATE DATABASE test_schema CHARACTER SET utf8mb4; \
         CREATE DATABASE test_schema_2 CHARACTER SET utf8mb4",
    );
    let url = |driver: &str| {
        format!(
            "mysql+{driver}://{USER}:{}@127.0.0.1:{}/sqla_test?charset=utf8mb4",
            support::pct_encode(PASSWORD, false),
            s.port
        )
    };
    let dir = root().join("python/sqla_suite");
    // The blocking and the asyncio dialect, each with prepared statements (the default) and
    // with client-side interpolation.
    let mut urls = Vec::new();
    for driver in ["mywire", "mywire_async"] {
        urls.push(url(driver));
        urls.push(format!("{}&prepared=false", url(driver)));
    }
    for url in urls {
        let (ok, out) = run(
            &py,
            &dir,
            &["-q", "-p", "no:cacheprovider", "-rfE"],
            &[("MYWIRE_TEST_SQLA_URL", url.clone())],
        );
        println!("{url}:\n{out}");
        assert!(
            ok,
            "SQLAlchemy's dialect compliance suite failed ({url}):\n{out}"
        );
    }
}

/// The README's install command builds and installs the package (maturin, release): it
/// imports from where pip put it, and its SQLAlchemy entry points are registered.
#[test]
fn pip_install_builds_the_package() {
    let Some(py) = python_with(&["pip", "maturin"]) else {
        support::skip_or_fail("python3 with pip and maturin is needed");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mywire-pip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
        ])
        .arg("--target")
        .arg(&dir)
        .arg(root())
        // Its own target directory (this test runs inside `cargo test`), shared with
        // python/dev-build.sh --release.
        .env("CARGO_TARGET_DIR", root().join("target/python"))
        .output()
        .expect("run pip");
    assert!(
        out.status.success(),
        "pip install . failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let check = "import importlib.metadata as m, mywire, mywire.sqla, mywire.aio; \
                 eps = {e.name for e in m.entry_points(group='sqlalchemy.dialects')}; \
                 assert {'mysql.mywire', 'mariadb.mywire', 'mysql.mywire_async', \
                         'mariadb.mywire_async'} <= eps, eps; \
                 print(mywire.__file__, mywire.apilevel)";
    let out = Command::new(&py)
        .args(["-c", check])
        .current_dir(&dir)
        .env("PYTHONPATH", &dir)
        .output()
        .expect("run python");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success() && text.contains("2.0"),
        "the installed package does not import:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with(&dir.display().to_string()), "{text}");
}
