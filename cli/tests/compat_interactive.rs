//! The interactive `mywire` on a pseudo-terminal (`script`), typed at as a person would:
//! the mariadb client's prompts, `use` (`Database changed`), the timing line, `\G`, `\c`,
//! `warnings`, `status`, `help`, `source`, errors without a line number, `quit` and `Bye`;
//! and the lines both clients print for the same typing compared.

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
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Types `lines` into `cmd` on a pseudo-terminal, one every 300 ms, and returns what the
/// terminal showed, without escape sequences and carriage returns; `None` (after a SKIPPED
/// line) without `script`.
fn typed(cmd: &str, lines: &[&str]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        support::skip_or_fail("script (util-linux) is not installed");
        return None;
    }
    let mut child = Command::new("script")
        .args(["-qefc", cmd, "/dev/null"])
        .env("TERM", "dumb")
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
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    for l in lines {
        stdin.write_all(l.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(500));
    drop(stdin);
    let _ = child.wait();
    reader.join().unwrap();
    let raw = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    Some(clean(&raw))
}

/// Without ANSI escape sequences (`ESC [ … letter`, `ESC ( B`), CR and BEL.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => match it.next() {
                Some('[') => {
                    while let Some(&n) = it.peek() {
                        it.next();
                        if n.is_ascii_alphabetic() || n == '~' {
                            break;
                        }
                    }
                }
                Some('(' | ')') => {
                    it.next();
                }
                _ => {}
            },
            '\r' | '\u{7}' => {}
            c => out.push(c),
        }
    }
    out
}

fn client(bin: &str, s: &support::TestServer) -> String {
    format!(
        "{bin} --no-defaults -S {} -u {} -p{} {}",
        s.socket.display(),
        support::USER,
        support::PASSWORD,
        support::DATABASE
    )
}

#[test]
fn an_interactive_session() {
    let s = require_local_server!();
    let inc = s.tmp_dir.join("interactive-inc.sql");
    std::fs::write(&inc, "SELECT 'from the file' AS f;\n").unwrap();
    let source = format!("source {}", inc.display());
    let lines = [
        "use mysql",
        "SELECT 1 AS a;",
        "SELECT DATABASE() AS d\\G",
        "SELECT * FROM nope;",
        "SELECT",
        "2 AS two;",
        "SELECT 3 \\c",
        "warnings",
        "SELECT 1/0 AS w;",
        "DO 1;",
        source.as_str(),
        "status",
        "help",
        "quit",
    ];
    let bin = env!("CARGO_BIN_EXE_mywire");
    let Some(shown) = typed(&client(bin, s), &lines) else {
        return;
    };
    for expected in [
        "MariaDB [mywire_test]> use mysql\nDatabase changed\nMariaDB [mysql]> SELECT 1 AS a;\n\
         +---+\n| a |\n+---+\n| 1 |\n+---+\n1 row in set (0.",
        "*************************** 1. row ***************************\nd: mysql\n1 row in set (",
        "MariaDB [mysql]> SELECT * FROM nope;\nERROR 1146 (42S02): Table 'mysql.nope' doesn't exist\n",
        "MariaDB [mysql]> SELECT\n    -> 2 AS two;\n",
        "MariaDB [mysql]> SELECT 3 \\c\nMariaDB [mysql]> warnings\nShow warnings enabled.\n",
        "1 row in set, 1 warning (0.",
        "\nWarning (Code 1365): Division by 0\n",
        "Query OK, 0 rows affected (0.",
        "+---------------+\n| f             |\n+---------------+\n| from the file |\n",
        "--------------\nmywire ",
        "Current database:\tmysql\n",
        "Using delimiter:\t;\nServer:\t\t\tMariaDB\n",
        "Connection:\t\tLocalhost via UNIX socket\n",
        "source    (\\.) ",
        "\nFor server side help, type 'help contents'\n",
        "MariaDB [mysql]> quit\nBye\n",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    assert!(
        shown.contains(&format!("UNIX socket:\t\t{}\n", s.socket.display())),
        "{shown}"
    );
}

/// The lines both clients print for the same typing (the greetings and the status block
/// aside, which name the programs).
#[test]
fn the_same_lines_as_mariadb() {
    let s = require_local_server!();
    let lines = [
        "SELECT 'x' AS a, NULL AS b, 1.5 AS c;",
        "use mysql",
        "SELECT COUNT(*) > 0 AS has_users FROM user\\G",
        "SELECT * FROM nope;",
        "SELECT 'a;b' AS s",
        ";",
        "exit",
    ];
    let Some(w) = typed(&client(env!("CARGO_BIN_EXE_mywire"), s), &lines) else {
        return;
    };
    let Some(m) = typed(&client("mariadb", s), &lines) else {
        return;
    };
    let from_prompt = |t: &str| {
        let start = t.find("MariaDB [mywire_test]> ").unwrap_or(0);
        // Timings differ from run to run.
        let mut v: Vec<String> = t[start..]
            .lines()
            .map(|l| match l.find(" (") {
                Some(i) if l.ends_with(" sec)") => l[..i].to_string(),
                _ => l.to_string(),
            })
            .collect();
        // mariadb says what it reads for completion after `use`; mywire has no completion.
        v.retain(|l| {
            !l.starts_with("Reading table information")
                && !l.starts_with("You can turn off this feature")
        });
        v.join("\n")
    };
    let (w, m) = (from_prompt(&w), from_prompt(&m));
    // mariadb leaves an empty line after its completion notice.
    let m = m.replace(
        "use mysql\n\nDatabase changed",
        "use mysql\nDatabase changed",
    );
    assert_eq!(w, m);
}
