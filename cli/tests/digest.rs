//! `mywire decode --digest`, `--slow-log` and the filters, run on the recorded workload
//! capture (`tests/fixtures/digest.pcapng`, made by tests/digest.rs: Connector/Python, one
//! plain and one compressed conversation, each running the same text and prepared queries,
//! two of them failing): the JSON digest's fields and counts, the text table, the filters
//! with and without `--digest`, and pt-query-digest (percona-toolkit) reading our slow log
//! and agreeing with our digest on the count of every fingerprint.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mywire::capture::offline::decode_capture;
use mywire::trace::fingerprint::fingerprint;
use serde_json::Value;

/// What each conversation of the fixture ran: (an example SQL, count, errors, rows).
const RAN: [(&str, u64, u64, u64); 8] = [
    ("SELECT 0 + 1 AS n", 10, 0, 10),
    ("SELECT seq FROM seq_1_to_50 WHERE seq <= 3", 4, 0, 41),
    ("DO 0", 5, 0, 0),
    ("SELECT * FROM no_such_table_here WHERE id = 0", 2, 2, 0),
    ("SELECT ? * 2 AS doubled", 6, 0, 6),
    ("SELECT seq FROM seq_1_to_50 WHERE seq > ?", 2, 0, 7),
    ("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'", 1, 0, 0),
    ("SET @@session.autocommit = OFF", 1, 0, 0),
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/digest.pcapng")
}

fn port() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/digest.port");
    std::fs::read_to_string(p).unwrap().trim().to_string()
}

fn tmp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mywire-cli-digest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn decode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mywire"))
        .arg("decode")
        .arg(fixture())
        .args(["--port", &port()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run mywire decode")
}

fn stdout_of(args: &[&str]) -> String {
    let o = decode(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `--digest --format json` with `args`: the objects by fingerprint.
fn digest_json(args: &[&str]) -> BTreeMap<String, Value> {
    let mut a = vec!["--digest", "--format", "json"];
    a.extend_from_slice(args);
    stdout_of(&a)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["fingerprint"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// (count, errors, rows) by fingerprint.
fn counts(d: &BTreeMap<String, Value>) -> BTreeMap<String, (u64, u64, u64)> {
    d.iter()
        .map(|(k, v)| {
            let errors = v["errors"]
                .as_object()
                .unwrap()
                .values()
                .map(|n| n.as_u64().unwrap())
                .sum();
            (
                k.clone(),
                (
                    v["count"].as_u64().unwrap(),
                    errors,
                    v["rows"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// What was run, in `conversations` conversations.
fn ran(conversations: u64) -> BTreeMap<String, (u64, u64, u64)> {
    RAN.iter()
        .map(|(q, c, e, r)| {
            (
                fingerprint(q),
                (c * conversations, e * conversations, r * conversations),
            )
        })
        .collect()
}

#[test]
fn json_digest_has_the_issue_fields_and_the_counts_run() {
    let d = digest_json(&[]);
    assert_eq!(counts(&d), ran(2));
    for (fp, v) in &d {
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = [
            "fingerprint",
            "count",
            "errors",
            "rows",
            "bytes_in",
            "bytes_out",
            "latency_us",
            "example",
        ];
        want.sort_unstable();
        let mut keys = keys.clone();
        keys.sort_unstable();
        assert_eq!(keys, want, "{fp}");
        let lat = &v["latency_us"];
        let l = |k: &str| lat[k].as_u64().unwrap();
        assert!(l("p50") <= l("p95") && l("p95") <= l("p99") && l("p99") <= l("max"));
        assert!(l("max") <= l("total") && l("total") > 0, "{v}");
        assert!(v["bytes_in"].as_u64().unwrap() > 0 && v["bytes_out"].as_u64().unwrap() > 0);
        assert_eq!(fingerprint(v["example"].as_str().unwrap()), *fp);
    }
    let err = &d[&fingerprint(RAN[3].0)];
    assert_eq!(err["errors"], serde_json::json!({"1146": 4}));
    // Slowest in total first.
    let totals: Vec<u64> = stdout_of(&["--digest", "--format", "json"])
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["latency_us"]["total"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
}

#[test]
fn text_digest_is_a_table_of_every_fingerprint() {
    let out = stdout_of(&["--digest"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].trim_start().starts_with("total"), "{out}");
    assert!(lines[0].contains("fingerprint"));
    assert_eq!(lines.len(), 1 + 2 * RAN.len(), "{out}");
    for (q, count, ..) in RAN {
        let fp = fingerprint(q);
        let line = lines
            .iter()
            .find(|l| l.ends_with(&format!("  {fp}")))
            .unwrap_or_else(|| panic!("no line for {fp}:\n{out}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[1], (2 * count).to_string(), "{line}");
    }
    assert!(out.contains("1146x4"), "{out}");
    // --digest-limit: the first fingerprints seen are kept (the connector's two SETs, in each
    // conversation), the requests of the others counted.
    let out = stdout_of(&["--digest", "--digest-limit", "2"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 2 + 1, "{out}");
    assert_eq!(
        lines[5],
        "-- 58 request(s) of further fingerprints not counted (fingerprint limit)"
    );
}

#[test]
fn filters_select_requests_with_and_without_digest() {
    // --conversation: one conversation's requests.
    for n in ["1", "2"] {
        assert_eq!(counts(&digest_json(&["--conversation", n])), ran(1));
    }
    let o = decode(&["--conversation", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no conversation 3"));
    // --errors-only, --match.
    let d = counts(&digest_json(&["--errors-only"]));
    assert_eq!(d.len(), 1);
    assert_eq!(d[&fingerprint(RAN[3].0)], (4, 4, 0));
    let d = counts(&digest_json(&["--match", "(?i)^do "]));
    assert_eq!(d, [(fingerprint("DO 0"), (10, 0, 0))].into_iter().collect());
    let d = counts(&digest_json(&[
        "--match",
        "seq_1_to_50",
        "--conversation",
        "2",
    ]));
    assert_eq!(d.len(), 2);
    // --min-latency: the requests at least that slow (from the library's own decode).
    let cap = decode_capture(
        &std::fs::read(fixture()).unwrap(),
        port().parse().unwrap(),
        true,
    )
    .unwrap();
    let mut lat: Vec<u64> = cap
        .conversations
        .iter()
        .flat_map(|c| c.requests.iter().map(|r| r.latency_us()))
        .collect();
    lat.sort_unstable();
    let median = lat[lat.len() / 2];
    let want = lat.iter().filter(|&&l| l >= median).count() as u64;
    let d = digest_json(&["--min-latency", &format!("{median}us")]);
    let got: u64 = d.values().map(|v| v["count"].as_u64().unwrap()).sum();
    assert_eq!(got, want);
    assert!(digest_json(&["--min-latency", "1000s"]).is_empty());
    let all: u64 = digest_json(&["--min-latency", "0ms"])
        .values()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(all, lat.len() as u64);
    // Without --digest: the packets of the selected requests only (command and response).
    let out = stdout_of(&["--errors-only"]);
    let packets: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("== ") && !l.starts_with("-- "))
        .collect();
    assert_eq!(packets.len(), 8, "{out}");
    for pair in packets.chunks(2) {
        assert!(pair[0].contains("COM_QUERY sql=\"SELECT * FROM no_such_table_here"));
        assert!(pair[1].contains("ERR code=1146"), "{}", pair[1]);
    }
    let out = stdout_of(&[
        "--match",
        "doubled",
        "--conversation",
        "1",
        "--format",
        "json",
    ]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The header, then six executes with their responses (column count, definition, row, OK).
    assert!(lines[0]["client"].as_str().is_some());
    let kinds: Vec<&str> = lines[1..]
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "COM_STMT_EXECUTE").count(),
        6
    );
    assert_eq!(kinds.iter().filter(|k| **k == "BinaryRow").count(), 6);
    assert!(!kinds.contains(&"COM_QUERY") && !kinds.contains(&"COM_STMT_PREPARE"));
    assert!(lines[1..].iter().all(|v| v["conversation"] == 1));
    // --conversation alone: that conversation's whole trace.
    let full = stdout_of(&[]);
    let second = full
        .split("== conversation 2")
        .nth(1)
        .map(|s| format!("== conversation 2{s}"))
        .unwrap();
    assert_eq!(stdout_of(&["--conversation", "2"]), second);
}

/// (query_count, Rows_sent sum) by pt's fingerprint in pt-query-digest's JSON output.
fn pt_classes(json: &str) -> BTreeMap<String, (u64, u64)> {
    let v: Value = serde_json::from_str(json).expect("pt-query-digest JSON");
    let num = |x: &Value| -> f64 {
        match x {
            Value::String(s) => s.parse().unwrap(),
            other => other.as_f64().unwrap(),
        }
    };
    v["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| {
            (
                c["fingerprint"].as_str().unwrap().to_string(),
                (
                    num(&c["query_count"]) as u64,
                    num(&c["metrics"]["Rows_sent"]["sum"]) as u64,
                ),
            )
        })
        .collect()
}

/// pt-fingerprint of each query, in order.
fn pt_fingerprints(queries: &[&str]) -> Vec<String> {
    let file = tmp_file("queries.sql");
    let mut text = String::new();
    for q in queries {
        assert!(!q.contains('\n'));
        text.push_str(q);
        text.push_str(";\n");
    }
    std::fs::write(&file, text).unwrap();
    let out = Command::new("pt-fingerprint").arg(&file).output().unwrap();
    assert!(out.status.success(), "pt-fingerprint failed: {out:?}");
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(lines.len(), queries.len(), "{lines:?}");
    lines
}

#[test]
fn pt_query_digest_agrees_with_our_digest_on_our_slow_log() {
    if Command::new("pt-query-digest")
        .arg("--version")
        .output()
        .is_err()
    {
        return support::skip_or_fail("pt-query-digest (percona-toolkit) is not installed");
    }
    let log = tmp_file("slow.log");
    let d = digest_json(&["--slow-log", log.to_str().unwrap()]);
    // `--slow-log -` writes the same log to standard output, and nothing else.
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(stdout_of(&["--slow-log", "-"]), text);
    assert_eq!(text.matches("# Query_time: ").count(), 2 * 31);
    assert!(text.contains("# User@Host: mywire[mywire] @  [127.0.0.1]"));
    assert!(text.contains("use mywire_test;"));
    let o = decode(&["--slow-log", "-", "--digest"]);
    assert_eq!(o.status.code(), Some(2));
    let out = Command::new("pt-query-digest")
        .args([
            "--type",
            "slowlog",
            "--limit",
            "100%:100000",
            "--output",
            "json",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success(), "pt-query-digest failed: {out:?}");
    let theirs = pt_classes(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(theirs.len(), d.len(), "pt's {theirs:?}\nours {d:?}");
    let examples: Vec<&str> = d.values().map(|v| v["example"].as_str().unwrap()).collect();
    for (v, pt_fp) in d.values().zip(pt_fingerprints(&examples)) {
        let (count, rows) = theirs
            .get(&pt_fp)
            .unwrap_or_else(|| panic!("pt has no class {pt_fp:?} for {v}"));
        assert_eq!(
            (*count, *rows),
            (v["count"].as_u64().unwrap(), v["rows"].as_u64().unwrap()),
            "{v}"
        );
    }
    // Filters apply to the slow log too.
    let _ = stdout_of(&["--errors-only", "--slow-log", log.to_str().unwrap()]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("# Query_time: ").count(), 4);
    let _ = std::fs::remove_file(&log);
}

/// `--digest` on a live session: the requests of the session, grouped, on standard error at
/// the end (results still on standard output).
#[test]
fn a_live_session_prints_its_digest() {
    let script = "SELECT 1;\nSELECT 2;\nSELECT 3 FROM DUAL WHERE 0;\nSELECT 'x';\n";
    let o = support::run_mywire(
        &support::test_url(),
        &["--digest", "--batch", "--force"],
        Some(script),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // An empty result prints nothing in batch mode, as mariadb's.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1\n1\n2\n2\nx\nx\n");
    let err = String::from_utf8_lossy(&o.stderr);
    let line = |fp: &str| -> Vec<String> {
        err.lines()
            .find(|l| l.ends_with(&format!("  {fp}")))
            .unwrap_or_else(|| panic!("no line for {fp:?} in:\n{err}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    // total, count, p50, p95, p99, max, rows, in/out bytes, errors, fingerprint…
    assert_eq!(line("select ?")[1], "3", "SELECT 1, 2 and 'x'");
    assert_eq!(line("select ?")[6], "3", "one row each");
    assert_eq!(line("select ? from dual where ?")[1], "1");
    assert_eq!(line("select ? from dual where ?")[6], "0");
}
