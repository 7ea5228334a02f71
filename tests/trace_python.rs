//! Another client's prepared statements, captured with dumpcap on loopback against the
//! throwaway MariaDB and decoded by mywire's capture decoder (what `mywire decode` prints):
//! nothing is left undecoded.
//!
//! - MySQL Connector/Python (pure Python, `cursor(prepared=True)`): COM_STMT_PREPARE, RESET,
//!   EXECUTE with typed parameters (a DECIMAL sent as type 0x00, which tshark leaves
//!   undecoded), binary rows, CLOSE.
//! - MariaDB Connector/Python (libmariadb): direct execution (the prepare and an execute of
//!   statement id 0xFFFFFFFF in one write), `executemany` as COM_STMT_BULK_EXECUTE, a
//!   read-only cursor whose rows come with COM_STMT_FETCH, with CACHE_METADATA negotiated.
//!
//! Needs python3 with `mysql-connector-python` and `mariadb` (`.ci/run` installs them) and
//! dumpcap (tshark's package): without them the tests print SKIPPED, and fail under `CI=true`.
//!
//! With `MYWIRE_RECORD_FIXTURE=1` the capture is also written to
//! `tests/fixtures/python-prepared.pcapng` and its golden decodes regenerated (checked without
//! Python by `tests/trace_stmt.rs`).

#![cfg(feature = "capture")]
// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mywire::capture::offline::decode_capture;
use mywire::trace::decode::{Decoded, Typed, Value};
use mywire::trace::format::{render, Format};

/// MySQL Connector/Python, pure Python, prepared cursor.
const MYSQL_CONNECTOR: &str = r#"
import sys, decimal, datetime, mysql.connector
host, port, user, pw, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
c = mysql.connector.connect(host=host, port=port, user=user, password=pw, database=db,
                            use_pure=True, ssl_disabled=True)
cur = c.cursor(prepared=True)
cur.execute("SELECT ? AS i, ? AS f, ? AS s, ? AS d, ? AS dt, ? AS b, ? AS n, ? AS t, ? AS dd",
            (42, 2.5, "hé", decimal.Decimal("-12.340"), datetime.datetime(2024, 2, 29, 13, 5, 9, 250000),
             b"\x00\xff", None, datetime.date(2024, 1, 2), datetime.timedelta(hours=-3, minutes=5)))
print(cur.fetchall())
cur.execute("DROP TABLE IF EXISTS py_mcp")
cur.execute("CREATE TABLE py_mcp (a INT, b VARCHAR(20), c DECIMAL(10,3))")
cur.executemany("INSERT INTO py_mcp VALUES (?, ?, ?)", [(1, "x", decimal.Decimal("1.5")), (2, None, decimal.Decimal("2.25"))])
cur.execute("SELECT * FROM py_mcp WHERE a > ? ORDER BY a", (0,))
print(cur.fetchall())
cur.close()
c.commit()
c.close()
"#;

/// MariaDB Connector/Python: direct execution, bulk, a cursor fetched.
const MARIADB_CONNECTOR: &str = r#"
import sys, decimal, datetime, mariadb
from mariadb.constants import CURSOR
host, port, user, pw, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
c = mariadb.connect(host=host, port=port, user=user, password=pw, database=db)
d = c.cursor()
d.execute("DROP TABLE IF EXISTS py_mdb")
d.execute("CREATE TABLE py_mdb (a INT, b VARCHAR(20), c DECIMAL(10,3), t DATETIME(3))")
d.close()
cur = c.cursor(prepared=True, binary=True)
cur.execute("SELECT ? AS i, ? AS f, ? AS s, ? AS d, ? AS dt, ? AS b, ? AS n",
            (42, 2.5, "hé", decimal.Decimal("-12.340"), datetime.datetime(2024, 2, 29, 13, 5, 9, 250000), b"\x00\xff", None))
print(cur.fetchall())
cur.close()
cur = c.cursor(prepared=True, binary=True)
cur.executemany("INSERT INTO py_mdb VALUES (?, ?, ?, ?)",
                [(1, "x", decimal.Decimal("1.5"), datetime.datetime(2024, 1, 2, 3, 4, 5)), (2, None, decimal.Decimal("2.25"), None)])
print("bulk", cur.rowcount)
cur.close()
cur = c.cursor(cursor_type=CURSOR.READ_ONLY, prefetch_size=1)
cur.execute("SELECT a, b, c, t FROM py_mdb WHERE a > ? ORDER BY a", (0,))
print(cur.fetchall())
cur.close()
c.commit()
c.close()
"#;

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// python3 with both connectors, and dumpcap; `false` after a SKIPPED line (or a failure
/// under `CI=true`) when something is missing.
fn prerequisites() -> bool {
    if !have("python3", &["-c", "import mysql.connector, mariadb"]) {
        support::skip_or_fail(
            "python3 with mysql-connector-python and mariadb is not installed (.ci/run installs them)",
        );
        return false;
    }
    if !have("dumpcap", &["--version"]) || !have("tshark", &["--version"]) {
        support::skip_or_fail("dumpcap / tshark are not installed (CI installs tshark)");
        return false;
    }
    true
}

fn tmp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mywire-trace-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Held by a capture for its whole duration, so that it holds only the sessions it is about.
static CAPTURE_LOCK: Mutex<()> = Mutex::new(());

/// Runs `scripts` against the throwaway server while dumpcap captures its port on loopback.
fn capture_python(name: &str, scripts: &[&str]) -> (PathBuf, u16) {
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
    for script in scripts {
        let o = Command::new("python3")
            .args(["-c", script, "127.0.0.1", &s.port.to_string()])
            .args([support::USER, support::PASSWORD, support::DATABASE])
            .output()
            .expect("run python3");
        assert!(
            o.status.success(),
            "python: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
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

/// Every conversation's packets.
fn decoded(file: &Path, port: u16) -> Vec<Vec<Decoded>> {
    let cap = decode_capture(&std::fs::read(file).unwrap(), port, true).unwrap();
    assert!(cap.error.is_none(), "{:?}", cap.error);
    cap.conversations
        .into_iter()
        .map(|c| {
            assert!(!c.damaged && !c.started_mid_stream, "{:?}", c.notes);
            c.packets
        })
        .collect()
}

/// Nothing left undecoded: every packet classified, no field unknown (every statement's SQL,
/// every parameter typed, every row split).
fn assert_complete(packets: &[Decoded]) {
    for d in packets {
        let line = render(d, Format::Text, false);
        assert!(
            !matches!(
                d.kind,
                "Malformed"
                    | "Unknown"
                    | "COM_UNKNOWN"
                    | "Response"
                    | "Unsynced"
                    | "UnexpectedClientPacket"
                    | "UnexpectedServerPacket"
            ),
            "{line}"
        );
        for (k, v) in &d.fields {
            assert_ne!(v, &Value::Unknown, "{k} of {line}");
        }
    }
}

fn find<'a>(packets: &'a [Decoded], kind: &str, sql_part: &str) -> Vec<&'a Decoded> {
    packets
        .iter()
        .filter(|d| {
            d.kind == kind
                && matches!(d.field("sql"), Some(Value::Text(s)) if String::from_utf8_lossy(s).contains(sql_part))
        })
        .collect()
}

fn tshark(file: &Path, port: u16, extra: &[&str]) -> String {
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-d", &format!("tcp.port=={port},mysql")])
        .args(extra)
        .output()
        .expect("run tshark");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn mysql_connector_python_prepared_capture_decodes_completely() {
    if support::local_server().is_none() || !prerequisites() {
        return;
    }
    let (file, port) = capture_python("mysql-connector.pcapng", &[MYSQL_CONNECTOR]);
    let convs = decoded(&file, port);
    assert_eq!(convs.len(), 1);
    let p = &convs[0];
    assert_complete(p);
    let exec = find(p, "COM_STMT_EXECUTE", "AS dd")[0];
    assert_eq!(
        exec.field("param_types"),
        Some(&Value::List(
            [
                "TINY UNSIGNED",
                "DOUBLE",
                "STRING",
                "DECIMAL",
                "DATETIME",
                "STRING",
                "NULL",
                "DATE",
                "TIME"
            ]
            .map(String::from)
            .to_vec()
        ))
    );
    let Some(Value::Typed(params)) = exec.field("params") else {
        panic!()
    };
    assert_eq!(params[3], Typed::Text(b"-12.340".to_vec()));
    // timedelta(hours=-3, minutes=5) is -1 day + 21:05; Connector/Python sends it as the
    // negative flag, 1 day, 21:05:00: -45:05:00 on the wire (and reads it back the same way).
    assert_eq!(params[8], Typed::Text(b"-45:05:00".to_vec()));
    let inserts = find(p, "COM_STMT_EXECUTE", "INSERT INTO py_mcp");
    assert_eq!(inserts.len(), 2);
    let rows: Vec<String> = p
        .iter()
        .filter(|d| d.kind == "BinaryRow")
        .map(|d| render(d, Format::Text, false))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains(r#"values=["1", "x", "1.500"]"#)),
        "{rows:#?}"
    );
    // tshark stops at a DECIMAL parameter (type 0x00): "dissector is incomplete", the
    // parameters after it not shown; in every execute that has one. mywire decodes them.
    let frames = tshark(
        &file,
        port,
        &[
            "-Y",
            "mysql.command == 23 && _ws.expert.message == \"FIXME - dissector is incomplete\"",
            "-T",
            "fields",
            "-e",
            "mysql.stmt_id",
        ],
    );
    let with_decimal: Vec<String> = p
        .iter()
        .filter(|d| {
            d.kind == "COM_STMT_EXECUTE"
                && matches!(d.field("param_types"), Some(Value::List(t)) if t.iter().any(|t| t == "DECIMAL"))
        })
        .map(|d| match d.field("statement_id") {
            Some(Value::Int(n)) => n.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(with_decimal.len(), 3);
    assert_eq!(frames.lines().collect::<Vec<_>>(), with_decimal);
    assert_eq!(tshark(&file, port, &["-Y", "_ws.malformed"]), "");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn mariadb_connector_python_prepared_capture_decodes_completely() {
    if support::local_server().is_none() || !prerequisites() {
        return;
    }
    let record = std::env::var_os("MYWIRE_RECORD_FIXTURE").is_some();
    let scripts: &[&str] = if record {
        &[MYSQL_CONNECTOR, MARIADB_CONNECTOR]
    } else {
        &[MARIADB_CONNECTOR]
    };
    let (file, port) = capture_python("mariadb-connector.pcapng", scripts);
    let convs = decoded(&file, port);
    assert_eq!(convs.len(), scripts.len());
    let p = convs.last().unwrap();
    assert_complete(p);
    // Direct execution: the execute of id 0xFFFFFFFF names its prepare's SQL.
    let direct = find(p, "COM_STMT_EXECUTE", "AS n");
    assert_eq!(
        direct[0].field("statement_id"),
        Some(&Value::Int(0xFFFF_FFFF))
    );
    let Some(Value::Typed(params)) = direct[0].field("params") else {
        panic!()
    };
    assert_eq!(params[3], Typed::Text(b"-12.340".to_vec()));
    // executemany: one bulk execute of two rows, answered by an OK.
    let bulk = find(p, "COM_STMT_BULK_EXECUTE", "INSERT INTO py_mdb");
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0].field("rows"), Some(&Value::Int(2)));
    let ok = p
        .iter()
        .position(|d| d.kind == "OK" && d.field("affected_rows") == Some(&Value::Int(2)));
    assert!(ok.is_some());
    // The cursor: opened by the execute, its rows fetched and split by type.
    let fetch = find(p, "COM_STMT_FETCH", "FROM py_mdb");
    assert_eq!(fetch.len(), 1);
    let rows: Vec<String> = p
        .iter()
        .filter(|d| d.kind == "BinaryRow")
        .map(|d| render(d, Format::Text, false))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains(r#"values=["1", "x", "1.500", "2024-01-02 03:04:05"]"#)),
        "{rows:#?}"
    );
    assert!(p.iter().any(|d| d.field("cursor").is_some()));
    assert!(p
        .iter()
        .any(|d| d.field("metadata_follows") == Some(&Value::Bool(true))));
    if record {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&file, dir.join("python-prepared.pcapng")).unwrap();
        for (format, ext) in [(Format::Text, "txt"), (Format::Json, "jsonl")] {
            let mut out = format!("server port {port}\n");
            for (i, c) in convs.iter().enumerate() {
                out.push_str(&format!("== conversation {}\n", i + 1));
                for d in c {
                    out.push_str(&render(d, format, false));
                    out.push('\n');
                }
            }
            std::fs::write(dir.join(format!("python-prepared.{ext}")), out).unwrap();
        }
    }
    let _ = std::fs::remove_file(&file);
}
