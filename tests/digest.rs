//! Digests of captured conversations: the requests the capture decoder pairs with their
//! responses (`DecodedConversation::requests`), grouped by fingerprint, match what the client
//! ran.
//!
//! - A known workload run by MySQL Connector/Python (pure Python) against the throwaway MariaDB,
//!   captured with dumpcap on loopback, once plain and once compressed (`compress=True`): text
//!   queries of a few fingerprints with varying literals, prepared statements executed several
//!   times, failing queries. Each conversation's digest has the counts, errors and rows that
//!   were run, latencies within the capture's span. With `MYWIRE_RECORD_FIXTURE=1` the capture
//!   is kept as `tests/fixtures/digest.pcapng` (cli/tests/digest.rs reads it).
//! - mywire's own pipelining (four queries written before any response, the first one slow),
//!   captured the same way: each request timed from its own command, its rows and error its own.
//! - The recorded fixtures (`digest.pcapng`, `python-prepared.pcapng`, `compressed.pcapng`)
//!   digest to the counts of what their clients ran, without a server.
//! - The workload fixture cut after its first prepare (editcap): executes of a statement whose
//!   prepare was not captured are counted apart, not digested under a guessed SQL.
//!
//! The tools (dumpcap, python3 with mysql-connector-python) missing: SKIPPED, a failure under
//! `CI=true`.

#![cfg(feature = "capture")]
// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mywire::capture::offline::{decode_capture, DecodedConversation};
use mywire::trace::digest::{Digest, DigestRow};
use mywire::trace::fingerprint::fingerprint;

/// The workload (argv: host port user password database compress). Text queries go through
/// a plain cursor, prepared ones through `prepared=True` (COM_STMT_PREPARE once per SQL,
/// COM_STMT_EXECUTE each time).
const WORKLOAD: &str = r#"
import sys, mysql.connector
host, port, user, pw, db, z = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1"
c = mysql.connector.connect(host=host, port=port, user=user, password=pw, database=db,
                            use_pure=True, ssl_disabled=True, compress=z)
cur = c.cursor()
for i in range(10):
    cur.execute("SELECT %d + 1 AS n" % i)
    cur.fetchall()
for k in (3, 7, 11, 20):
    cur.execute("SELECT seq FROM seq_1_to_50 WHERE seq <= %d" % k)
    cur.fetchall()
for i in range(5):
    cur.execute("DO %d" % i)
for i in range(2):
    try:
        cur.execute("SELECT * FROM no_such_table_here WHERE id = %d" % i)
    except mysql.connector.Error as e:
        print("failed", e.errno)
cur.close()
p = c.cursor(prepared=True)
for i in range(6):
    p.execute("SELECT ? * 2 AS doubled", (i,))
    p.fetchall()
for k in (45, 48):
    p.execute("SELECT seq FROM seq_1_to_50 WHERE seq > ?", (k,))
    p.fetchall()
p.close()
c.close()
"#;

/// What the workload ran: (an example SQL, count, errors 1146, rows).
const RAN: [(&str, u64, u64, u64); 6] = [
    ("SELECT 0 + 1 AS n", 10, 0, 10),
    (
        "SELECT seq FROM seq_1_to_50 WHERE seq <= 3",
        4,
        0,
        3 + 7 + 11 + 20,
    ),
    ("DO 0", 5, 0, 0),
    ("SELECT * FROM no_such_table_here WHERE id = 0", 2, 2, 0),
    ("SELECT ? * 2 AS doubled", 6, 0, 6),
    ("SELECT seq FROM seq_1_to_50 WHERE seq > ?", 2, 0, 5 + 2),
];

/// What Connector/Python sends first on every connection.
const SETUP: [&str; 2] = [
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'",
    "SET @@session.autocommit = OFF",
];

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn tmp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mywire-digest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs the workload twice (plain, then compressed) while dumpcap captures the throwaway
/// server's port on loopback.
fn capture_workload() -> (PathBuf, u16) {
    capture("workload.pcapng", |s| {
        for z in ["0", "1"] {
            let o = Command::new("python3")
                .args(["-c", WORKLOAD, "127.0.0.1", &s.port.to_string()])
                .args([support::USER, support::PASSWORD, support::DATABASE, z])
                .output()
                .expect("run python3");
            assert!(
                o.status.success(),
                "python: {}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                "failed 1146\nfailed 1146\n"
            );
        }
    })
}

/// Held by a capture for its whole duration, so that it holds only the sessions it is about.
static CAPTURE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `clients` while dumpcap captures the throwaway server's port on loopback.
fn capture(name: &str, clients: impl FnOnce(&support::TestServer)) -> (PathBuf, u16) {
    let s = support::server();
    let _serial = CAPTURE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let file = tmp_file(name);
    let _ = std::fs::remove_file(&file);
    let mut dumpcap = Command::new("dumpcap")
        .args([
            "-q",
            "-i",
            "lo",
            "-f",
            &format!("tcp port {}", s.port),
            "-w",
        ])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dumpcap");
    let start = Instant::now();
    while std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) == 0 {
        if let Ok(Some(st)) = dumpcap.try_wait() {
            let out = dumpcap.wait_with_output().unwrap();
            panic!(
                "dumpcap cannot capture on lo ({st}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "dumpcap never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    clients(s);
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = dumpcap.wait_with_output().unwrap();
    assert!(
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) > 0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (file, s.port)
}

fn conversations(file: &Path, port: u16) -> Vec<DecodedConversation> {
    let cap = decode_capture(&std::fs::read(file).unwrap(), port, true).unwrap();
    assert!(cap.error.is_none(), "{:?}", cap.error);
    for c in &cap.conversations {
        assert!(!c.damaged && !c.started_mid_stream, "{:?}", c.notes);
        assert_eq!(c.incomplete_requests, 0, "{:?}", c.notes);
        assert_eq!(c.unknown_statements, 0);
    }
    cap.conversations
}

/// The digest of one conversation's requests, by fingerprint.
fn digest(c: &DecodedConversation) -> BTreeMap<String, DigestRow> {
    let mut d = Digest::new(1000);
    for r in &c.requests {
        d.record(&r.as_request());
    }
    assert_eq!(d.dropped(), 0);
    d.rows()
        .into_iter()
        .map(|r| (r.fingerprint.clone(), r))
        .collect()
}

/// One workload conversation: exactly the fingerprints run (and the connector's setup), with
/// the counts, errors and rows run; times within the conversation's span; bytes each way.
fn check_workload(c: &DecodedConversation) {
    assert_eq!(c.user, support::USER);
    assert!(c.connection_id > 0);
    let d = digest(c);
    let span_us = (c.packet_times_nanos.last().unwrap() - c.packet_times_nanos[0]) / 1000;
    let mut want: Vec<String> = RAN.iter().map(|r| fingerprint(r.0)).collect();
    want.extend(SETUP.iter().map(|q| fingerprint(q)));
    want.sort();
    assert_eq!(d.keys().cloned().collect::<Vec<_>>(), want);
    for (sql, count, errors, rows) in RAN {
        let r = &d[&fingerprint(sql)];
        assert_eq!((r.count, r.rows), (count, rows), "{sql}");
        let errs: u64 = r.errors.values().sum();
        assert_eq!(errs, errors, "{sql}");
        if errors > 0 {
            assert_eq!(r.errors.keys().copied().collect::<Vec<_>>(), [1146]);
        }
        assert!(r.total_us > 0 && r.total_us <= span_us, "{sql}: {r:?}");
        assert!(r.p50_us <= r.p95_us && r.p95_us <= r.p99_us && r.p99_us <= r.max_us);
        assert!(r.max_us <= r.total_us);
        // A request is at least its packets; a response at least an OK, ERR or a result set.
        assert!(r.bytes_in >= count * (4 + 1 + 4), "{sql}: {r:?}");
        assert!(r.bytes_out >= count * (4 + 7), "{sql}: {r:?}");
    }
    // Prepared statements are known by their SQL, placeholders and all.
    assert_eq!(
        d[&fingerprint("SELECT ? * 2 AS doubled")].example,
        "SELECT ? * 2 AS doubled"
    );
    for r in &c.requests {
        assert!(r.sent_nanos <= r.done_nanos);
        assert!(r.command_index < r.response_first && r.response_first <= r.response_last);
        assert_eq!(r.database.as_deref(), Some(support::DATABASE));
    }
}

#[test]
fn digest_of_a_captured_workload_matches_what_was_run() {
    if support::local_server().is_none() {
        return;
    }
    if !have("python3", &["-c", "import mysql.connector"]) {
        return support::skip_or_fail(
            "python3 with mysql-connector-python is not installed (.ci/run installs it)",
        );
    }
    if !have("dumpcap", &["--version"]) {
        return support::skip_or_fail("dumpcap is not installed (CI installs tshark)");
    }
    let (file, port) = capture_workload();
    let convs = conversations(&file, port);
    assert_eq!(convs.len(), 2);
    assert!(!convs[0].compressed && convs[1].compressed);
    for c in &convs {
        check_workload(c);
    }
    if std::env::var_os("MYWIRE_RECORD_FIXTURE").is_some() {
        std::fs::copy(&file, fixtures().join("digest.pcapng")).unwrap();
        std::fs::write(fixtures().join("digest.port"), format!("{port}\n")).unwrap();
    }
    let _ = std::fs::remove_file(&file);
}

/// mywire's pipelining: four queries written before any response is read, the first one
/// slow. Each request is timed from its own command, so the three behind the slow one take at
/// least as long as it does (their responses wait for it); each has its own rows and error.
#[test]
fn pipelined_requests_are_timed_from_their_own_commands() {
    if support::local_server().is_none() {
        return;
    }
    if !have("dumpcap", &["--version"]) {
        return support::skip_or_fail("dumpcap is not installed (CI installs tshark)");
    }
    const QUERIES: [&str; 4] = [
        "SELECT SLEEP(0.25) AS z",
        "DO 1",
        "SELECT * FROM no_such_table_here WHERE id = 7",
        "SELECT seq FROM seq_1_to_3",
    ];
    let (file, port) = capture("pipeline.pcapng", |s| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let url = format!("{}?ssl-mode=disabled", s.url());
            let mut db = mywire::Session::connect(mywire::Options::from_url(&url).unwrap())
                .await
                .unwrap();
            let mut p = db.pipeline(QUERIES).await.unwrap();
            let mut n = 0;
            while let Some(r) = p.next().await {
                if let Ok(mut rs) = r {
                    while rs.next_row().await.unwrap().is_some() {}
                    while rs.next_result().await.unwrap() {}
                }
                n += 1;
            }
            assert_eq!(n, 4);
            drop(p);
            db.close().await.unwrap();
        });
    });
    let convs = conversations(&file, port);
    assert_eq!(convs.len(), 1);
    let reqs: Vec<_> = convs[0]
        .requests
        .iter()
        .filter(|r| QUERIES.contains(&r.sql.as_str()))
        .collect();
    assert_eq!(reqs.len(), 4);
    // Pipelined: every command went before the first response.
    assert!(reqs
        .iter()
        .all(|r| r.command_index < reqs[0].response_first));
    for r in &reqs {
        assert!(r.latency_us() >= 250_000, "{r:?}");
    }
    let got: Vec<(u64, Option<u16>)> = reqs.iter().map(|r| (r.rows, r.error)).collect();
    assert_eq!(got, [(1, None), (0, None), (0, Some(1146)), (3, None)]);
    let _ = std::fs::remove_file(&file);
}

/// The port a fixture was recorded with: `digest.port`, or the first line of a golden
/// (`server port N`).
fn fixture_port(name: &str) -> u16 {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    let line = text.lines().next().unwrap();
    line.strip_prefix("server port ")
        .unwrap_or(line)
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn recorded_workload_digests_as_it_was_run() {
    let port = fixture_port("digest.port");
    let convs = conversations(&fixtures().join("digest.pcapng"), port);
    assert_eq!(convs.len(), 2);
    assert!(!convs[0].compressed && convs[1].compressed);
    for c in &convs {
        check_workload(c);
    }
}

/// (count, rows, errors) by fingerprint.
fn counts(c: &DecodedConversation) -> BTreeMap<String, (u64, u64, u64)> {
    digest(c)
        .into_iter()
        .map(|(k, r)| (k, (r.count, r.rows, r.errors.values().sum())))
        .collect()
}

#[test]
fn recorded_python_prepared_capture_digests_as_it_was_run() {
    let port = fixture_port("python-prepared.txt");
    let convs = conversations(&fixtures().join("python-prepared.pcapng"), port);
    assert_eq!(convs.len(), 2);
    // MySQL Connector/Python (tests/trace_python.rs): one prepared SELECT of nine values,
    // DROP / CREATE, executemany of two rows (two executes), a SELECT of both.
    let want: BTreeMap<String, (u64, u64, u64)> = [
        (SETUP[0], (1, 0, 0)),
        (SETUP[1], (1, 0, 0)),
        (
            "SELECT ? AS i, ? AS f, ? AS s, ? AS d, ? AS dt, ? AS b, ? AS n, ? AS t, ? AS dd",
            (1, 1, 0),
        ),
        ("DROP TABLE IF EXISTS py_mcp", (1, 0, 0)),
        (
            "CREATE TABLE py_mcp (a INT, b VARCHAR(20), c DECIMAL(10,3))",
            (1, 0, 0),
        ),
        ("INSERT INTO py_mcp VALUES (?, ?, ?)", (2, 0, 0)),
        ("SELECT * FROM py_mcp WHERE a > ? ORDER BY a", (1, 2, 0)),
        ("COMMIT", (1, 0, 0)),
    ]
    .into_iter()
    .map(|(q, v)| (fingerprint(q), v))
    .collect();
    assert_eq!(counts(&convs[0]), want);
    // MariaDB Connector/Python: DROP / CREATE as text, a prepared SELECT of seven values, a
    // bulk insert (one COM_STMT_BULK_EXECUTE), a read-only cursor whose rows come with
    // COM_STMT_FETCH (not counted: the execute sends none).
    let want: BTreeMap<String, (u64, u64, u64)> = [
        ("SET AUTOCOMMIT=0", (1, 0, 0)),
        ("DROP TABLE IF EXISTS py_mdb", (1, 0, 0)),
        (
            "CREATE TABLE py_mdb (a INT, b VARCHAR(20), c DECIMAL(10,3), t DATETIME(3))",
            (1, 0, 0),
        ),
        (
            "SELECT ? AS i, ? AS f, ? AS s, ? AS d, ? AS dt, ? AS b, ? AS n",
            (1, 1, 0),
        ),
        ("INSERT INTO py_mdb VALUES (?, ?, ?, ?)", (1, 0, 0)),
        (
            "SELECT a, b, c, t FROM py_mdb WHERE a > ? ORDER BY a",
            (1, 0, 0),
        ),
        ("COMMIT", (1, 0, 0)),
    ]
    .into_iter()
    .map(|(q, v)| (fingerprint(q), v))
    .collect();
    assert_eq!(counts(&convs[1]), want);
}

#[test]
fn recorded_compressed_capture_digests_as_it_was_run() {
    let port = fixture_port("compressed.txt");
    let convs = conversations(&fixtures().join("compressed.pcapng"), port);
    assert_eq!(convs.len(), 2);
    // `mariadb --compress -e` and Connector/Python (compress=True) ran the same four queries
    // (tests/trace_compress.rs); the connector set its session up first.
    let queries: [(&str, (u64, u64, u64)); 4] = [
        ("SELECT 1 AS a, 'x' AS b", (1, 1, 0)),
        (
            "SELECT seq, CONCAT('row-', seq) AS label FROM seq_1_to_200",
            (1, 200, 0),
        ),
        ("SELECT REPEAT('abcdefgh', 2500) AS big", (1, 1, 0)),
        ("DO 1", (1, 0, 0)),
    ];
    let mut want: BTreeMap<String, (u64, u64, u64)> =
        queries.iter().map(|(q, v)| (fingerprint(q), *v)).collect();
    let got = counts(&convs[0]);
    // The mariadb client asks for the server's version first (`select @@version_comment`).
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        extra.iter().all(|k| k.contains("@@version_comment")),
        "{got:?}"
    );
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "{k}");
    }
    for q in SETUP {
        want.insert(fingerprint(q), (1, 0, 0));
    }
    assert_eq!(counts(&convs[1]), want);
    // The 20,000-byte value left the server as one row of that many bytes and more.
    let big = &digest(&convs[1])[&fingerprint(queries[2].0)];
    assert!(big.bytes_out > 20_000, "{big:?}");
}

/// The recorded workload cut so that it starts at the first COM_STMT_EXECUTE (tshark finds
/// its frame, editcap cuts): the first conversation is decoded from there, its executes of a
/// statement prepared before the cut are counted apart (their SQL is not in the capture), and
/// the statement prepared after it is digested as run.
#[test]
fn capture_begun_after_a_prepare_counts_its_executes_apart() {
    if !have("editcap", &["--version"]) || !have("tshark", &["--version"]) {
        return support::skip_or_fail("editcap / tshark are not installed (CI installs tshark)");
    }
    let port = fixture_port("digest.port");
    let o = Command::new("tshark")
        .arg("-r")
        .arg(fixtures().join("digest.pcapng"))
        .args(["-d", &format!("tcp.port=={port},mysql")])
        .args([
            "-Y",
            "mysql.command == 23",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = String::from_utf8(o.stdout).unwrap();
    let first = first.lines().next().unwrap().trim().to_string();
    let cut = tmp_file("cut.pcapng");
    let o = Command::new("editcap")
        .arg("-r")
        .arg(fixtures().join("digest.pcapng"))
        .arg(&cut)
        .arg(format!("{first}-1000000"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cap = decode_capture(&std::fs::read(&cut).unwrap(), port, true).unwrap();
    assert_eq!(cap.conversations.len(), 2);
    let c = &cap.conversations[0];
    assert!(c.started_mid_stream, "{:?}", c.notes);
    assert_eq!((c.unknown_statements, c.incomplete_requests), (6, 0));
    assert_eq!(c.user, "");
    let want: BTreeMap<String, (u64, u64, u64)> =
        [(fingerprint(RAN[5].0), (RAN[5].1, RAN[5].3, 0))]
            .into_iter()
            .collect();
    assert_eq!(counts(c), want);
    check_workload(&cap.conversations[1]);
    let _ = std::fs::remove_file(&cut);
}
