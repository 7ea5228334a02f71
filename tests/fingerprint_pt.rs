//! Query fingerprints against percona-toolkit's own (`pt-fingerprint`, the rules
//! pt-query-digest groups by): on a corpus of query families whose members differ only in
//! their literals, two queries share our fingerprint exactly when they share pt's. Where ours
//! differ on purpose (src/trace/fingerprint.rs, protocol-notes/digest.md), the differences are
//! checked to be the documented ones.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::process::Command;

use mywire::trace::fingerprint::fingerprint;

/// Query families: the members of one differ in literals (and literal list lengths) only.
const CORPUS: &[&[&str]] = &[
    &[
        "SELECT * FROM users WHERE id = 1",
        "SELECT * FROM users WHERE id = 42",
        "select * from users where id = 7",
    ],
    &[
        "SELECT name FROM users WHERE email = 'a@b.c' AND active = 1",
        "SELECT name FROM users WHERE email = 'x@y.z' AND active = 0",
    ],
    &[
        "SELECT * FROM orders WHERE id IN (1, 2, 3)",
        "SELECT * FROM orders WHERE id IN (9)",
        "SELECT * FROM orders WHERE id IN (4,5,6,7,8)",
    ],
    &[
        "INSERT INTO log (level, msg) VALUES (1, 'start')",
        "INSERT INTO log (level, msg) VALUES (2, 'stop'), (3, 'again')",
    ],
    &[
        "UPDATE accounts SET balance = balance - 10.50 WHERE id = 3",
        "UPDATE accounts SET balance = balance - 99.99 WHERE id = 12",
    ],
    &[
        "DELETE FROM sessions WHERE expires < '2026-01-01 00:00:00'",
        "DELETE FROM sessions WHERE expires < '2026-12-02 10:11:12'",
    ],
    &[
        "SELECT a, b FROM t ORDER BY a LIMIT 10",
        "SELECT a, b FROM t ORDER BY a LIMIT 20, 10",
        "SELECT a, b FROM t ORDER BY a ASC LIMIT 5 OFFSET 15",
    ],
    &[
        "SELECT COUNT(*) FROM items WHERE price BETWEEN 1 AND 100",
        "SELECT COUNT(*) FROM items WHERE price BETWEEN 50 AND 75",
    ],
    &[
        "SELECT * FROM blobs WHERE data = X'DEADBEEF'",
        "SELECT * FROM blobs WHERE data = X'00'",
    ],
    &[
        "SELECT * FROM t WHERE a IS NULL AND b = 'x'",
        "SELECT * FROM t WHERE a IS NULL AND b = 'yy'",
    ],
    &[
        "SELECT /* app:42 */ id FROM jobs WHERE state = 'queued'",
        "SELECT /* app:7 */ id FROM jobs WHERE state = 'running'",
    ],
    &["CALL refresh_stats(1, 'x')", "CALL refresh_stats(2, 'y')"],
    &["SELECT 1", "SELECT 2", "select 3"],
    &["SHOW TABLES"],
    &[
        "SELECT * FROM users WHERE name LIKE 'a%'",
        "SELECT * FROM users WHERE name LIKE 'bob%'",
    ],
    &[
        "SELECT id FROM a JOIN b ON a.id = b.a_id WHERE b.x > 5",
        "SELECT id FROM a JOIN b ON a.id = b.a_id WHERE b.x > 500",
    ],
];

/// `pt-fingerprint` of each query, in order (one run: queries separated by `;\n`).
fn pt_fingerprints(queries: &[&str]) -> Option<Vec<String>> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mywire-fp-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("queries.sql");
    let mut text = String::new();
    for q in queries {
        assert!(!q.contains('\n'));
        text.push_str(q);
        text.push_str(";\n");
    }
    std::fs::write(&file, text).unwrap();
    let out = Command::new("pt-fingerprint").arg(&file).output().ok()?;
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "pt-fingerprint failed: {out:?}");
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(
        lines.len(),
        queries.len(),
        "one fingerprint per query: {lines:?}"
    );
    Some(lines)
}

#[test]
fn we_group_as_pt_query_digest_does() {
    let all: Vec<&str> = CORPUS.iter().flat_map(|f| f.iter().copied()).collect();
    let Some(pt) = pt_fingerprints(&all) else {
        support::skip_or_fail("pt-fingerprint (percona-toolkit) is not installed");
        return;
    };
    let ours: Vec<String> = all.iter().map(|q| fingerprint(q)).collect();
    for i in 0..all.len() {
        for j in 0..all.len() {
            assert_eq!(
                ours[i] == ours[j],
                pt[i] == pt[j],
                "{:?} and {:?}: ours {:?} / {:?}, pt {:?} / {:?}",
                all[i],
                all[j],
                ours[i],
                ours[j],
                pt[i],
                pt[j]
            );
        }
    }
    // Each family is one fingerprint.
    let mut at = 0;
    for f in CORPUS {
        assert!(
            ours[at..at + f.len()].iter().all(|o| *o == ours[at]),
            "{f:?}"
        );
        at += f.len();
    }
}

#[test]
fn where_we_differ_is_what_we_document() {
    let cases: [(&str, &str); 3] = [
        // Digits in names: two tables for us, one for pt.
        (
            "SELECT * FROM t1 WHERE id = 1",
            "SELECT * FROM t2 WHERE id = 1",
        ),
        // Spacing: one query for us, two for pt.
        ("SELECT * FROM t WHERE id=1", "SELECT * FROM t WHERE id = 1"),
        // A doubled quote: one string for us (pt makes `??` of it, so the two differ).
        ("SELECT 'it''s'", "SELECT 'its'"),
    ];
    let flat: Vec<&str> = cases.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let Some(pt) = pt_fingerprints(&flat) else {
        support::skip_or_fail("pt-fingerprint (percona-toolkit) is not installed");
        return;
    };
    // Digits in names.
    assert_eq!(pt[0], pt[1]);
    assert_ne!(fingerprint(flat[0]), fingerprint(flat[1]));
    // Spacing.
    assert_ne!(pt[2], pt[3]);
    assert_eq!(fingerprint(flat[2]), fingerprint(flat[3]));
    // Doubled quotes.
    assert_ne!(pt[4], pt[5]);
    assert_eq!(fingerprint(flat[4]), fingerprint(flat[5]));
}

/// A slow log written by `SlowLogWriter` from the corpus, read by pt-query-digest: the same
/// groups, counts, rows and total times as mywire's `Digest` of the same requests.
#[test]
fn pt_query_digest_reads_our_slow_log_and_agrees_with_our_digest() {
    use mywire::trace::digest::{Digest, Request};
    use mywire::trace::slowlog::{SlowLogEntry, SlowLogWriter};

    let mut log = Vec::new();
    let mut w = SlowLogWriter::new();
    w.header(&mut log).unwrap();
    let mut digest = Digest::new(1000);
    let mut t = 1_764_670_272_000_000i64;
    for (f, family) in CORPUS.iter().enumerate() {
        for (k, q) in family.iter().enumerate() {
            let latency = 100 + 37 * (f as u64) + 5 * (k as u64);
            let rows = (f + k) as u64;
            w.write(
                &mut log,
                &SlowLogEntry {
                    time_us: t,
                    user: "app",
                    client: "127.0.0.1",
                    connection_id: 9,
                    query_time_us: latency,
                    rows_sent: rows,
                    database: Some("shop"),
                    sql: q,
                },
            )
            .unwrap();
            digest.record(&Request {
                sql: q,
                latency_us: latency,
                error: None,
                rows,
                bytes_in: 0,
                bytes_out: 0,
            });
            t += 1000;
        }
    }
    let dir = std::env::temp_dir().join(format!("mywire-slowlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("slow.log");
    std::fs::write(&file, &log).unwrap();
    let out = match Command::new("pt-query-digest")
        .args([
            "--type",
            "slowlog",
            "--limit",
            "100%:100000",
            "--output",
            "json",
        ])
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            support::skip_or_fail(&format!("pt-query-digest cannot run: {e}"));
            return;
        }
    };
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "pt-query-digest failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // pt's classes, by its fingerprint: (count, rows, total time in µs).
    let theirs = pt_classes(&text);
    let ours = digest.rows();
    assert_eq!(
        ours.len(),
        theirs.len(),
        "groups: ours {ours:?}\npt's {theirs:?}"
    );
    let pt_of =
        pt_fingerprints(&ours.iter().map(|r| r.example.as_str()).collect::<Vec<_>>()).unwrap();
    for (r, pt_fp) in ours.iter().zip(&pt_of) {
        let (count, rows, total_us) = theirs
            .iter()
            .find(|(fp, ..)| fp == pt_fp)
            .map(|(_, c, r, t)| (*c, *r, *t))
            .unwrap_or_else(|| panic!("pt has no class {pt_fp:?} (ours {:?})", r.fingerprint));
        assert_eq!(
            (count, rows, total_us),
            (r.count, r.rows, r.total_us),
            "{}",
            r.fingerprint
        );
    }
}

/// (fingerprint, query_count, Rows_sent sum, Query_time sum in µs) of each class in
/// pt-query-digest's JSON output (numbers are written as strings there).
fn pt_classes(json: &str) -> Vec<(String, u64, u64, u64)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("pt-query-digest JSON");
    let num = |x: &serde_json::Value| -> f64 {
        match x {
            serde_json::Value::String(s) => s.parse().unwrap(),
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
                num(&c["query_count"]) as u64,
                num(&c["metrics"]["Rows_sent"]["sum"]) as u64,
                (num(&c["metrics"]["Query_time"]["sum"]) * 1e6).round() as u64,
            )
        })
        .collect()
}
