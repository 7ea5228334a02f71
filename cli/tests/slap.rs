//! `mywire slap` against the throwaway MariaDB: every `{n}` is run once and the `--ok-log`
//! lists exactly the acknowledged writes (checked against the table); `--json` has the
//! issue's fields; errors are counted by kind; a query file is used in turn; `--digest` groups
//! what was run by fingerprint; bad placeholders are argument errors.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

fn slap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env_remove("DATABASE_URL")
        .arg("slap")
        .arg("--url")
        .arg(support::server().url())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run mywire slap")
}

fn sql(q: &str) -> String {
    let o = support::run_mywire(&support::server().url(), &["-N", "-B", "-e", q], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_n_once_and_the_ok_log_matches_the_table() {
    sql("CREATE OR REPLACE TABLE slap_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
    let log = std::env::temp_dir().join(format!("mywire-slap-ok-{}.log", std::process::id()));
    let o = slap(&[
        "-c",
        "8",
        "-n",
        "500",
        "-e",
        "INSERT INTO slap_t VALUES ({n}, {rand:1:9})",
        "--json",
        "--ok-log",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = &json_lines(&o)[0];
    assert_eq!(r["queries"], 500);
    assert_eq!(r["ok"], 500);
    assert_eq!(r["errors"], serde_json::json!({}));
    assert!(r["seconds"].as_f64().unwrap() > 0.0);
    assert!(r["qps"].as_f64().unwrap() > 0.0);
    let lat = &r["latency_us"];
    let (p50, p95, p99, max) = (
        lat["p50"].as_u64().unwrap(),
        lat["p95"].as_u64().unwrap(),
        lat["p99"].as_u64().unwrap(),
        lat["max"].as_u64().unwrap(),
    );
    assert!(0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= max, "{lat}");
    let acked: Vec<u64> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(acked, (1..=500).collect::<Vec<u64>>());
    let in_table: BTreeSet<u64> = sql("SELECT id FROM slap_t")
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(in_table, acked.into_iter().collect());
    let vs = sql("SELECT MIN(v), MAX(v) FROM slap_t");
    let mut it = vs.split_whitespace().map(|x| x.parse::<u64>().unwrap());
    let (lo, hi) = (it.next().unwrap(), it.next().unwrap());
    assert!(lo >= 1 && hi <= 9 && lo < hi, "{vs}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn errors_are_counted_by_kind() {
    let o = slap(&[
        "-c",
        "3",
        "-n",
        "30",
        "-e",
        "SELECT * FROM no_such_table",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "nothing succeeded");
    let r = &json_lines(&o)[0];
    assert_eq!(r["ok"], 0);
    assert_eq!(r["errors"], serde_json::json!({"server": 30}));
    // Text output.
    let o = slap(&["-c", "2", "-n", "10", "-e", "SELECT 1"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("queries: 10  ok: 10  errors: 0"), "{out}");
    assert!(out.contains("latency: p50 "), "{out}");
}

#[test]
fn a_query_file_is_used_in_turn_and_digested() {
    let f = std::env::temp_dir().join(format!("mywire-slap-q-{}.sql", std::process::id()));
    std::fs::write(&f, "-- two queries\nSELECT {n}\n\nSELECT 'a{n}', {rand}\n").unwrap();
    let o = slap(&[
        "-c",
        "4",
        "-n",
        "40",
        "--query-file",
        f.to_str().unwrap(),
        "--digest",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = json_lines(&o);
    assert_eq!(lines[0]["ok"], 40);
    let mut fps: Vec<(String, u64)> = lines[1..]
        .iter()
        .map(|r| {
            (
                r["fingerprint"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    fps.sort();
    assert_eq!(
        fps,
        vec![
            ("select ?".to_string(), 20),
            ("select ?, ?".to_string(), 20)
        ]
    );
    let _ = std::fs::remove_file(f);
}

#[test]
fn bad_placeholders_are_argument_errors() {
    let o = slap(&["-e", "SELECT {what}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown placeholder"));
    let o = slap(&[]);
    assert_eq!(o.status.code(), Some(2));
}
