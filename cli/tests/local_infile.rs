//! `mywire --local-infile[=BOOL]` and `--load-data-local-dir=DIR` (the mysql client's option
//! names) against the throwaway MariaDB: off by default (the server's ERR 4166, with a hint),
//! any file the statement names when on, only files inside DIR with the directory, and the
//! option as an option-file line.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mywire-cli-infile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Loads `file` into a new table with `flags`; the table's row count afterwards, or the error.
fn load(url: &str, flags: &[&str], file: &std::path::Path, t: &str) -> Output {
    let sql = format!(
        "CREATE OR REPLACE TABLE {t} (id INT, v TEXT); \
         LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}; \
         SELECT COUNT(*), SUM(id) FROM {t}",
        file.display()
    );
    let mut args: Vec<&str> = flags.to_vec();
    args.extend(["--batch", "--skip-column-names", "-e", &sql]);
    support::run_mywire(url, &args, None)
}

#[test]
fn local_infile_flags() {
    let server = require_local_server!();
    let url = support::test_url();
    let d = dir("flags");
    let inside = d.join("in");
    std::fs::create_dir_all(&inside).unwrap();
    let file = inside.join("rows.tsv");
    let rows: String = (1..=2000).map(|i| format!("{i}\trow {i}\n")).collect();
    std::fs::write(&file, rows).unwrap();
    let outside = d.join("outside.tsv");
    std::fs::write(&outside, "1\tx\n").unwrap();
    let t = format!("cli_li_{}", std::process::id());

    // Off by default: MariaDB refuses (no CLIENT_LOCAL_FILES), and mywire says how to turn it on.
    let o = load(&url, &[], &file, &t);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("ERROR 4166"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--local-infile=1"), "{}", stderr(&o));

    // On: the file the statement names.
    for flags in [
        &["--local-infile"][..],
        &["--local-infile=1"],
        &["--enable-local-infile"],
    ] {
        let o = load(&url, flags, &file, &t);
        assert!(o.status.success(), "{flags:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "2000\t2001000\n", "{flags:?}");
    }
    // Off again.
    let o = load(
        &url,
        &["--local-infile=1", "--skip-local-infile"],
        &file,
        &t,
    );
    assert!(stderr(&o).contains("ERROR 4166"), "{}", stderr(&o));

    // A directory: files inside load, others are refused by mywire (nothing sent).
    let dir_flag = format!("--load-data-local-dir={}", inside.display());
    let o = load(&url, &[&dir_flag], &file, &t);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2000\t2001000\n");
    let o = load(&url, &[&dir_flag], &outside, &t);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("refused") && err.contains("not inside the allowed directories"),
        "{err}"
    );
    // --local-infile=1 wins over the directory, as in the mysql client.
    let o = load(&url, &[&dir_flag, "--local-infile=1"], &outside, &t);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "1\t1\n");

    // An option file's `local-infile` line (flags, not a URL: a URL names the whole
    // connection and option files change none of it).
    let cnf = d.join("my.cnf");
    std::fs::write(&cnf, "[client]\nlocal-infile=1\n").unwrap();
    let sql = format!(
        "CREATE OR REPLACE TABLE {t} (id INT, v TEXT); \
         LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}; SELECT COUNT(*) FROM {t}; DROP TABLE {t}",
        file.display()
    );
    let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env_remove("DATABASE_URL")
        .arg(format!("--defaults-file={}", cnf.display()))
        .args(server.tcp_args(support::USER, support::PASSWORD))
        .args([
            "-D",
            support::DATABASE,
            "--batch",
            "--skip-column-names",
            "-e",
            &sql,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2000\n");
}
