//! Option files, `MYSQL_PWD` and the `-p` prompt, as the `mariadb` client has them: the
//! files read and their order (`--print-defaults` of both programs compared), the errors for
//! bad files, and connections to the throwaway MariaDB of `tests/support` made from what the
//! files say.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn mywire(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mywire"));
    c.env("HOME", home)
        .env_remove("DATABASE_URL")
        .env_remove("MYSQL_PWD")
        .env_remove("MYSQL_HOST")
        .env_remove("MYSQL_TCP_PORT")
        .env_remove("MYSQL_UNIX_PORT")
        .stdin(Stdio::null());
    c
}

/// The mariadb client without `--no-defaults` (its option files are the point here), or
/// `None` after a SKIPPED line when it is not installed.
fn mariadb(home: &Path) -> Option<Command> {
    if Command::new("mariadb").arg("--version").output().is_err() {
        support::skip_or_fail("the mariadb client is not installed");
        return None;
    }
    let mut c = Command::new("mariadb");
    c.env("HOME", home)
        .env_remove("MYSQL_PWD")
        .env_remove("MYSQL_HOST")
        .env_remove("MYSQL_TCP_PORT")
        .env_remove("MYSQL_UNIX_PORT")
        .stdin(Stdio::null());
    Some(c)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory (the `HOME` of a test).
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mywire-optfile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("conf.d")).unwrap();
    d
}

#[test]
fn print_defaults_reads_the_files_mariadb_reads() {
    let home = dir("print");
    std::fs::write(
        home.join(".my.cnf"),
        format!(
        "# comment\n; other\n[client]\nuser = home   # trailing comment\n\
         password=\"p w\\\"x # kept\"\n[mysqld]\ndatadir=/nope\n[mysql]\ndefault_character_set = 'utf8mb4'\n\
         skip-column-names\n[client-server]\nport=1234\n  !include {0}/conf.d/a.cnf\n\
         !include {0}/conf.d/missing.cnf\n!includedir {0}/conf.d\n!unknown directive\n\
         [mariadb-client]\nhost=h\\ty\\sz\n[client_x]\nuser=suffixed\n[mysql_x]\nvertical\n",
            home.display()
        ),
    )
    .unwrap();
    std::fs::write(home.join("conf.d/a.cnf"), "[client]\ndatabase=fromA\n").unwrap();
    std::fs::write(home.join("conf.d/b.cnf"), "[mysql]\nsilent\n").unwrap();
    std::fs::write(home.join("conf.d/c.txt"), "[mysql]\nnot-read\n").unwrap();
    std::fs::write(home.join("extra.cnf"), "[client]\nuser=extra\n").unwrap();
    std::fs::write(home.join("only.cnf"), "[client]\nuser=only\n").unwrap();
    // Lines at the edges of the syntax: quotes that do not pair, `#` in and out of quotes,
    // doubled `=`, group names with spaces and in capitals.
    std::fs::write(
        home.join("tricky.cnf"),
        "[client]\na = \"value\" # comment\nb=  'x' 'y'\nc=\"abc\nd=abc\"\ne=it's\n\
         f = a\\\\b\\qc\\\ng=#notcomment\nh = \"q#x\"  # real\n  i  =  spaced value  \nj==x\n\
         [ mysql ]\nk\n[MySQL  ]\n=novalue\nl=\\\"quoted\\\"\nm='single \"double\"'\n\
         [client]   trailing junk\nn=1\n",
    )
    .unwrap();
    let tricky = format!("--defaults-file={}", home.join("tricky.cnf").display());
    let extra = format!("--defaults-extra-file={}", home.join("extra.cnf").display());
    let only = format!("--defaults-file={}", home.join("only.cnf").display());
    for args in [
        vec!["--print-defaults"],
        vec!["--print-defaults", "-uX", "db"],
        vec![&extra, "--print-defaults"],
        vec!["--defaults-group-suffix=_x", "--print-defaults"],
        vec![&only, &extra, "--print-defaults"],
        vec!["--no-defaults", "--print-defaults"],
        vec![&tricky, "--print-defaults"],
    ] {
        let Some(mut m) = mariadb(&home) else { return };
        let m = m.args(&args).output().unwrap();
        let w = mywire(&home).args(&args).output().unwrap();
        assert_eq!(w.status.code(), Some(0), "{}", text(&w.stderr));
        let expected = text(&m.stdout).replacen("mariadb would", "mywire would", 1);
        assert_eq!(text(&w.stdout), expected, "for {args:?}");
    }
}

#[test]
fn bad_option_files_are_the_same_errors() {
    let home = dir("bad");
    let cases = [
        ("nogroup.cnf", "\n\nuser=x\n"),
        ("badgroup.cnf", "[client]\nuser=x\n[mysql\n"),
        ("nodir.cnf", "[client]\n!includedir no/such/dir\n"),
        // A byte order mark is not skipped: the first line is no group.
        ("bom.cnf", "\u{feff}[client]\nuser=x\n"),
    ];
    for (name, body) in cases {
        let f = home.join(name);
        std::fs::write(&f, body).unwrap();
        let arg = format!("--defaults-file={}", f.display());
        let Some(mut m) = mariadb(&home) else { return };
        let m = m.args([&arg, "-e", "SELECT 1"]).output().unwrap();
        let w = mywire(&home)
            .args([&arg, "-e", "SELECT 1"])
            .output()
            .unwrap();
        let expected = text(&m.stderr).replacen("mariadb: ", "mywire: ", 1);
        assert_eq!(text(&w.stderr), expected, "for {name}");
        assert_eq!(w.status.code(), m.status.code(), "for {name}");
    }
    // A missing --defaults-file, named relative to the current directory.
    let Some(mut m) = mariadb(&home) else { return };
    let m = m
        .current_dir(&home)
        .args(["--defaults-file=missing.cnf", "-e", "SELECT 1"])
        .output()
        .unwrap();
    let w = mywire(&home)
        .current_dir(&home)
        .args(["--defaults-file=missing.cnf", "-e", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(text(&w.stderr), text(&m.stderr));
    assert_eq!(w.status.code(), Some(1));
}

/// A `[client]` / `[mysql]` file naming the throwaway server's socket and account.
fn client_file(s: &support::TestServer, home: &Path, extra: &str) -> PathBuf {
    let f = home.join("client.cnf");
    std::fs::write(
        &f,
        format!(
            "[client]\nsocket={}\nuser={}\npassword={}\n[mysql]\ndatabase={}\n\
             default-character-set=utf8mb4\n{extra}\n[mysqld]\nkey_buffer_size=16M\n",
            s.socket.display(),
            support::USER,
            support::PASSWORD,
            support::DATABASE
        ),
    )
    .unwrap();
    f
}

#[test]
fn connections_from_option_files() {
    let s = require_local_server!();
    let home = dir("connect");
    let f = client_file(s, &home, "skip-column-names\nloose-no-such-option=1");
    let arg = format!("--defaults-file={}", f.display());
    let sql = "SELECT CURRENT_USER() AS u, DATABASE() AS d, @@character_set_client AS cs";
    let Some(mut m) = mariadb(&home) else { return };
    let m = m.args([&arg, "-e", sql]).output().unwrap();
    assert!(m.status.success(), "{}", text(&m.stderr));
    let w = mywire(&home).args([&arg, "-e", sql]).output().unwrap();
    assert!(w.status.success(), "{}", text(&w.stderr));
    assert_eq!(text(&w.stdout), text(&m.stdout));
    assert_eq!(text(&w.stdout), "mywire@localhost\tmywire_test\tutf8mb4\n");
    // ~/.my.cnf, and the command line over it.
    std::fs::copy(&f, home.join(".my.cnf")).unwrap();
    let w = mywire(&home)
        .args(["-e", "SELECT 1 AS one"])
        .output()
        .unwrap();
    assert_eq!(text(&w.stdout), "1\n", "{}", text(&w.stderr));
    let w = mywire(&home)
        .args([
            "--column-names",
            "-D",
            "mysql",
            "-e",
            "SELECT DATABASE() AS d",
        ])
        .output()
        .unwrap();
    assert_eq!(text(&w.stdout), "d\nmysql\n", "{}", text(&w.stderr));
    // A wrong password in the file, the right one on the command line.
    std::fs::write(
        home.join(".my.cnf"),
        std::fs::read_to_string(&f)
            .unwrap()
            .replace(support::PASSWORD, "wrong"),
    )
    .unwrap();
    let w = mywire(&home).args(["-e", "SELECT 1"]).output().unwrap();
    assert_eq!(w.status.code(), Some(1));
    assert!(
        text(&w.stderr).starts_with("ERROR 1045 (28000)"),
        "{}",
        text(&w.stderr)
    );
    let p = format!("-p{}", support::PASSWORD);
    let w = mywire(&home).args([&p, "-e", "SELECT 2"]).output().unwrap();
    assert_eq!(text(&w.stdout), "2\n", "{}", text(&w.stderr));
    // A URL names the whole connection: the files' connection settings do not apply to it,
    // their output settings do.
    std::fs::write(
        home.join(".my.cnf"),
        "[client]\nsocket=/nonexistent/socket\nuser=nobody\n[mysql]\nvertical\n",
    )
    .unwrap();
    let w = mywire(&home)
        .args(["--url", &s.url(), "-e", "SELECT 3 AS three"])
        .output()
        .unwrap();
    assert_eq!(
        text(&w.stdout),
        "*************************** 1. row ***************************\nthree: 3\n",
        "{}",
        text(&w.stderr)
    );
    let w = mywire(&home)
        .env("DATABASE_URL", s.url())
        .args(["-e", "SELECT 4 AS four"])
        .output()
        .unwrap();
    assert!(
        text(&w.stdout).ends_with("four: 4\n"),
        "{}",
        text(&w.stderr)
    );
}

#[test]
fn mysql_pwd_is_read_without_a_warning_as_mariadb_does() {
    let s = require_local_server!();
    let home = dir("pwd");
    let sock = s.socket.display().to_string();
    let args = [
        "--no-defaults",
        "-S",
        &sock,
        "-u",
        support::USER,
        "-e",
        "SELECT 5 AS five",
    ];
    let Some(mut m) = mariadb(&home) else { return };
    let m = m
        .env("MYSQL_PWD", support::PASSWORD)
        .args(args)
        .output()
        .unwrap();
    let w = mywire(&home)
        .env("MYSQL_PWD", support::PASSWORD)
        .args(args)
        .output()
        .unwrap();
    assert!(w.status.success(), "{}", text(&w.stderr));
    assert_eq!(text(&w.stdout), text(&m.stdout));
    assert_eq!(text(&w.stderr), text(&m.stderr));
    assert_eq!(text(&w.stderr), "");
    // The option files and the command line win over MYSQL_PWD.
    let w = mywire(&home)
        .env("MYSQL_PWD", "wrong")
        .args(["--no-defaults", "-S", &sock, "-u", support::USER])
        .arg(format!("--password={}", support::PASSWORD))
        .args(["-e", "SELECT 6"])
        .output()
        .unwrap();
    assert!(w.status.success(), "{}", text(&w.stderr));
}

/// Runs `cmd` under `script` (a pseudo-terminal as its controlling terminal), answers the
/// password prompt when it appears, and returns everything the terminal showed.
fn under_pty(cmd: &str, answer: &str) -> Option<(String, Option<i32>)> {
    if Command::new("script").arg("--version").output().is_err() {
        support::skip_or_fail("script (util-linux) is not installed");
        return None;
    }
    let mut child = Command::new("script")
        .args(["-qefc", cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut out = child.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !text(&seen.lock().unwrap()).contains("Enter password: ") {
        assert!(
            Instant::now() < deadline,
            "no prompt: {:?}",
            text(&seen.lock().unwrap())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Give the client a moment to turn echo off after writing the prompt.
    std::thread::sleep(Duration::from_millis(300));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let shown = text(&seen.lock().unwrap());
    Some((shown, status.code()))
}

#[test]
fn p_alone_prompts_on_the_terminal_without_echo() {
    let s = require_local_server!();
    let sock = s.socket.display();
    let secret = support::PASSWORD;
    let bin = env!("CARGO_BIN_EXE_mywire");
    // `-p` then a word: the word is the database, as in mariadb.
    let cmd = format!(
        "{bin} --no-defaults -S {sock} -u {} -p {} -e 'SELECT DATABASE() AS d'",
        support::USER,
        support::DATABASE
    );
    let Some((shown, code)) = under_pty(&cmd, secret) else {
        return;
    };
    assert_eq!(code, Some(0), "{shown:?}");
    assert!(
        !shown.contains(secret),
        "the password was echoed: {shown:?}"
    );
    assert!(shown.starts_with("Enter password: \r\n"), "{shown:?}");
    // Standard output is the terminal: a table, as mariadb -e prints it there.
    assert!(shown.contains("| mywire_test |"), "{shown:?}");
    // The mariadb client shows the same prompt and the same table.
    let cmd_m = format!(
        "mariadb --no-defaults -S {sock} -u {} -p {} -e 'SELECT DATABASE() AS d'",
        support::USER,
        support::DATABASE
    );
    if let Some((shown_m, code_m)) = under_pty(&cmd_m, secret) {
        assert_eq!((shown.as_str(), code), (shown_m.as_str(), code_m));
    }
    // A wrong password: the server's error and exit status 1.
    let Some((shown, code)) = under_pty(&cmd, "wrong") else {
        return;
    };
    assert_eq!(code, Some(1), "{shown:?}");
    assert!(shown.contains("ERROR 1045 (28000)"), "{shown:?}");
}
