//! `mywire` in place of `mariadb`: the same script and flags give the same bytes on standard
//! output and standard error, and the same exit status, against the throwaway MariaDB of
//! `tests/support` (both clients over its socket, both with `--no-defaults`).

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// What a client printed: standard output, standard error, exit status.
#[derive(Debug, PartialEq, Eq)]
struct Printed {
    out: String,
    err: String,
    code: Option<i32>,
}

fn printed(o: Output) -> Printed {
    // Timings differ from run to run: `(0.001 sec)` → `(T sec)`.
    let mask = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(i) = rest.find(" sec)") {
            let (head, tail) = rest.split_at(i);
            let cut = head.rfind('(').map_or(head.len(), |p| p + 1);
            out.push_str(&head[..cut]);
            out.push('T');
            rest = tail;
            out.push_str(" sec)");
            rest = &rest[5..];
        }
        out.push_str(rest);
        out
    };
    Printed {
        out: mask(&o.stdout),
        err: mask(&o.stderr),
        code: o.status.code(),
    }
}

fn run(mut c: Command, stdin: Option<&str>) -> Printed {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().expect("spawn");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    printed(child.wait_with_output().unwrap())
}

/// `mariadb` and `mywire` with the same arguments (after the connection ones).
fn both(s: &support::TestServer, args: &[&str], stdin: Option<&str>) -> (Printed, Printed) {
    let mut m = s.mariadb_command();
    m.args(["--default-character-set=utf8mb4", "-S"])
        .arg(&s.socket)
        .args(["-u", support::USER])
        .arg(format!("-p{}", support::PASSWORD))
        .args(args)
        .arg(support::DATABASE);
    let mut w = Command::new(env!("CARGO_BIN_EXE_mywire"));
    w.env_remove("DATABASE_URL")
        .env_remove("MYSQL_PWD")
        .args(["--no-defaults", "-S"])
        .arg(&s.socket)
        .args(["-u", support::USER])
        .arg(format!("-p{}", support::PASSWORD))
        .args(args)
        .arg(support::DATABASE);
    (run(m, stdin), run(w, stdin))
}

#[track_caller]
fn same(s: &support::TestServer, args: &[&str], stdin: Option<&str>) -> Printed {
    let (m, w) = both(s, args, stdin);
    assert_eq!(w.out, m.out, "standard output for {args:?} {stdin:?}");
    assert_eq!(w.err, m.err, "standard error for {args:?} {stdin:?}");
    assert_eq!(w.code, m.code, "exit status for {args:?} {stdin:?}");
    w
}

const TRICKY: &str = r#"SELECT 'a\tb' AS 'tab\there', 'c\nd' AS nl, 'e\\f' AS bs,
    CONCAT('x', CHAR(0), 'y') AS nul, NULL AS n, '' AS empty, 'emoji 😀 é ü' AS u,
    42 AS i, -1.50 AS d, 1e100 AS f, 'cr\rhere' AS cr, '<&\">' AS markup, 2024 AS y
  UNION ALL SELECT '\t', '\n\n', '\\\\', CHAR(0), 'NULL', NULL, '中文', 0, 0.00, -2.5e-5, '', ' ', NULL"#;

/// A script with every kind of result: rows, an empty set, OKs with and without rows
/// affected and an info line, a warning, `\G` and `\g`, a delimiter change, comments.
const SCRIPT: &str = "\
CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, s VARCHAR(20), n DECIMAL(5,2));
INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, 'héllo wörld', -2);
-- a comment line; with a semicolon
UPDATE t SET n = n + 1 WHERE id > 1; # trailing comment
SELECT * FROM t ORDER BY id;
SELECT * FROM t WHERE id = 99;
SELECT 1/0 AS warned;
SELECT id, s FROM t WHERE id = 1\\G
SELECT /* inline */ COUNT(*) AS c FROM t\\g
DELIMITER //
SELECT 'a;b' AS semi //
DELIMITER ;
DO 1;
SELECT 'last' AS l";

#[test]
fn batch_flags_print_what_mariadb_prints() {
    let s = require_local_server!();
    for flags in [
        &[][..],
        &["-t"],
        &["-v"],
        &["-vv"],
        &["-t", "-vv"],
        &["-vvv"],
        &["-s"],
        &["-ss"],
        &["-N"],
        &["-N", "-t"],
        &["-r"],
        &["-E"],
        &["-E", "-N"],
        &["-B"],
        &["-B", "-t"],
        &["-H"],
        &["-X"],
        &["--show-warnings"],
        &["--column-names=0"],
        &["--skip-column-names", "--vertical"],
    ] {
        same(s, flags, Some(SCRIPT));
        let mut e = flags.to_vec();
        e.extend(["-e", TRICKY]);
        same(s, &e, None);
    }
}

#[test]
fn errors_and_exit_status_as_mariadb() {
    let s = require_local_server!();
    let script = "SELECT 1 AS a;\n\nSELECT *\n  FROM nope;\nSELECT 2 AS b;\n";
    for flags in [
        &[][..],
        &["-f"],
        &["-v"],
        &["--force", "-t"],
        &["--line-numbers=0"],
        &["--skip-print-query-on-error"],
        &["-vv", "-f"],
    ] {
        let p = same(s, flags, Some(script));
        assert!(p.err.contains("ERROR 1146 (42S02)"), "{p:?}");
        let mut e = flags.to_vec();
        e.extend(["-e", "SELECT 1 AS a; SELECT * FROM nope; SELECT 2 AS b"]);
        same(s, &e, None);
    }
    // -e turns off a --force given before it, not one given after it.
    let p = same(s, &["-e", "SELECT * FROM nope; SELECT 2 AS b", "-f"], None);
    assert_eq!((p.code, p.out.as_str()), (Some(0), "b\n2\n"));
    // A syntax error, an error in the middle of a multi-line statement.
    same(s, &[], Some("SELECT 1\n  FROM DUAL WHERE;\n"));
    // A client-side error: USE without a name.
    same(s, &[], Some("use\n"));
}

#[test]
fn client_commands_in_scripts() {
    let s = require_local_server!();
    let dir = s.tmp_dir.join("compat-source");
    std::fs::create_dir_all(&dir).unwrap();
    let inc = dir.join("inc.sql");
    std::fs::write(
        &inc,
        "SELECT 'sourced' AS x;\nSELECT * FROM nope;\nSELECT 'after' AS y;\n",
    )
    .unwrap();
    let script = format!(
        "use mysql\nSELECT DATABASE() AS d;\nuse {db};\nSELECT DATABASE() AS d;\n\
         source {inc}\nSELECT 'back' AS z;\n\\. {inc}\nSELECT 'q' AS before_quit;\n\\q\nSELECT 'never';\n",
        db = support::DATABASE,
        inc = inc.display()
    );
    let p = same(s, &[], Some(&script));
    assert!(p.err.contains("at line 2 in file: '"), "{p:?}");
    assert!(p.out.contains("back") && !p.out.contains("never"), "{p:?}");
    same(s, &["-vv"], Some(&script));
    // `exit` and `quit` end a script too; `\c` drops the statement typed so far.
    same(
        s,
        &[],
        Some("SELECT 1 AS one\\c\nSELECT 2 AS two;\nquit\nSELECT 3;\n"),
    );
    same(s, &[], Some("SELECT 2 AS two;\nexit\nSELECT 3;\n"));
    same(
        s,
        &["--delimiter=$$"],
        Some("SELECT 1 AS a; SELECT 2 AS b$$\n"),
    );
}

#[test]
fn json_rows_are_typed() {
    let s = require_local_server!();
    let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env_remove("DATABASE_URL")
        .args(["--no-defaults", "--url", &s.url(), "--json", "-e"])
        .arg(
            "SELECT 1 AS i, -1.50 AS d, 1e100 AS f, 'x\"\\n' AS s, NULL AS n, 2024 AS y, \
              CAST('2024-01-02' AS DATE) AS dt, 'é' AS u; SELECT 1 FROM DUAL WHERE 0; \
              SELECT 2 AS i UNION ALL SELECT 3",
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    let r = &rows[0];
    assert_eq!(r["i"], serde_json::json!(1));
    assert!(r["d"].is_number() && r["f"].is_number(), "{r}");
    assert_eq!(r["d"].as_f64(), Some(-1.5));
    assert_eq!(r["s"], serde_json::json!("x\"\n"));
    assert!(r["n"].is_null());
    assert_eq!(r["y"], serde_json::json!(2024));
    assert_eq!(r["dt"], serde_json::json!("2024-01-02"));
    assert_eq!(r["u"], serde_json::json!("é"));
    assert_eq!(rows[2], serde_json::json!({"i": 3}));
    // The literal text of a number is kept (`-1.50`, not `-1.5`).
    assert!(text.starts_with("{\"i\": 1, \"d\": -1.50, "), "{text}");
}
