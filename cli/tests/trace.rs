//! Packet traces of the `mywire` binary: `--trace` (text, JSON lines, secrets), `--trace-file`
//! checked with tshark, and `mywire decode` compared with tshark on a real loopback capture of
//! the official `mariadb` client.
//!
//! The tshark / dumpcap / editcap tests print a loud SKIPPED line when the tool is missing, and
//! fail under `CI=true` (CI installs tshark, which brings the others).

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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Held while a test talks to the server, and by the loopback capture for its whole duration,
/// so that the capture holds only the session it is about.
static SERVER_LOCK: Mutex<()> = Mutex::new(());

fn server_lock() -> MutexGuard<'static, ()> {
    SERVER_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn mywire_cmd(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let _serial = server_lock();
    support::run_mywire(url, args, stdin)
}

fn mywire(args: &[&str]) -> Output {
    mywire_cmd(&support::test_url(), args, None)
}

fn decode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mywire"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run mywire decode")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn success(o: &Output) {
    assert!(
        o.status.success(),
        "mywire failed ({:?}): {}",
        o.status,
        stderr(o)
    );
}

/// A missing tool: SKIPPED, or a failure under `CI=true` ([`support::skip_or_fail`]).
fn skip(tool: &str) {
    support::skip_or_fail(&format!(
        "`{tool}` is not installed (CI installs tshark, which brings dumpcap and editcap)"
    ));
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn tmp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mywire-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir.join(name)
}

// ---------------------------------------------------------------------------------------------
// A minimal JSON checker (enough to validate the trace lines without a dependency): parses one
// value and returns the top-level object's keys in order with their raw values.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, k: &str) -> Option<&Json> {
        match self {
            Json::Obj(v) => v.iter().find(|(key, _)| key == k).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self, k: &str) -> Option<&str> {
        match self.get(k) {
            Some(Json::Str(s)) => Some(s),
            _ => None,
        }
    }
    fn num(&self, k: &str) -> Option<f64> {
        match self.get(k) {
            Some(Json::Num(n)) => Some(*n),
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&str> {
        match self {
            Json::Obj(v) => v.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

fn parse_json(s: &str) -> Result<Json, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let v = value(b, &mut i)?;
    ws(b, &mut i);
    if i != b.len() {
        return Err(format!("trailing bytes at {i}"));
    }
    Ok(v)
}

fn ws(b: &[u8], i: &mut usize) {
    while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Result<Json, String> {
    ws(b, i);
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            let mut v = Vec::new();
            ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(Json::Obj(v));
            }
            loop {
                ws(b, i);
                let k = string(b, i)?;
                ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(format!("`:` expected at {i}"));
                }
                *i += 1;
                v.push((k, value(b, i)?));
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(Json::Obj(v));
                    }
                    _ => return Err(format!("`,` or `}}` expected at {i}")),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            let mut v = Vec::new();
            ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(Json::Arr(v));
            }
            loop {
                v.push(value(b, i)?);
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(Json::Arr(v));
                    }
                    _ => return Err(format!("`,` or `]` expected at {i}")),
                }
            }
        }
        Some(b'"') => string(b, i).map(Json::Str),
        Some(b't') if b[*i..].starts_with(b"true") => {
            *i += 4;
            Ok(Json::Bool(true))
        }
        Some(b'f') if b[*i..].starts_with(b"false") => {
            *i += 5;
            Ok(Json::Bool(false))
        }
        Some(b'n') if b[*i..].starts_with(b"null") => {
            *i += 4;
            Ok(Json::Null)
        }
        Some(b'-' | b'0'..=b'9') => {
            let start = *i;
            *i += 1;
            while matches!(
                b.get(*i),
                Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
            ) {
                *i += 1;
            }
            std::str::from_utf8(&b[start..*i])
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Json::Num)
                .ok_or_else(|| format!("bad number at {start}"))
        }
        _ => Err(format!("value expected at {i}")),
    }
}

fn string(b: &[u8], i: &mut usize) -> Result<String, String> {
    if b.get(*i) != Some(&b'"') {
        return Err(format!("string expected at {i}"));
    }
    *i += 1;
    let mut out = Vec::new();
    loop {
        match b.get(*i) {
            None => return Err("unterminated string".into()),
            Some(b'"') => {
                *i += 1;
                return String::from_utf8(out).map_err(|e| e.to_string());
            }
            Some(b'\\') => {
                let c = *b.get(*i + 1).ok_or("bad escape")?;
                *i += 2;
                match c {
                    b'"' | b'\\' | b'/' => out.push(c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let h = b.get(*i..*i + 4).ok_or("short \\u")?;
                        let n = u32::from_str_radix(
                            std::str::from_utf8(h).map_err(|e| e.to_string())?,
                            16,
                        )
                        .map_err(|e| e.to_string())?;
                        *i += 4;
                        let ch = char::from_u32(n).unwrap_or('\u{fffd}');
                        out.extend_from_slice(ch.to_string().as_bytes());
                    }
                    _ => return Err(format!("bad escape at {i}")),
                }
            }
            Some(&c) if c < 0x20 => return Err(format!("control byte in string at {i}")),
            Some(&c) => {
                out.push(c);
                *i += 1;
            }
        }
    }
}

#[test]
fn json_checker_self_test() {
    let v = parse_json(r#"{"a":1,"b":[null,"x\n\u00e9"],"c":{"d":true},"e":-1.5e3}"#).unwrap();
    assert_eq!(v.keys(), ["a", "b", "c", "e"]);
    assert_eq!(v.num("e"), Some(-1500.0));
    for bad in [
        r#"{"a":}"#,
        r#"{"a":1"#,
        r#"{"a":"x"#,
        "{\"a\":\"\n\"}",
        r#"{"a":1}x"#,
    ] {
        assert!(parse_json(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// --trace
// ---------------------------------------------------------------------------------------------

#[test]
fn trace_text_shows_the_whole_exchange_on_stderr() {
    let o = mywire(&["--trace", "-B", "-e", "SELECT 1 AS a"]);
    success(&o);
    assert_eq!(stdout(&o), "a\n1\n", "only the result on stdout");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let find = |pat: &str| {
        lines
            .iter()
            .position(|l| l.contains(pat))
            .unwrap_or_else(|| panic!("no line with {pat:?} in\n{err}"))
    };
    let greeting = find("S->C #0 ");
    assert!(lines[greeting].contains("handshake Greeting"), "{err}");
    let hello = find("HandshakeResponse");
    assert!(lines[hello].contains("auth_response=<redacted"), "{err}");
    let query = find("COM_QUERY sql=\"SELECT 1 AS a\"");
    let coldef = find("ColumnDefinition");
    assert!(lines[coldef].contains("name=\"a\""), "{err}");
    let row = find(" Row ");
    assert!(lines[row].contains("values=[\"1\"]"), "{err}");
    let ok = lines
        .iter()
        .rposition(|l| l.contains("command   OK"))
        .expect("final OK");
    assert!(greeting < hello && hello < query && query < coldef && coldef < row && row < ok);
    assert!(lines[find("COM_QUIT")].starts_with("C->S #0"), "{err}");
    // The password is nowhere, and the URL is shown redacted.
    assert!(!err.contains(support::PASSWORD), "{err}");
    if support::external_url().is_none() {
        assert!(
            err.starts_with("-- mywire trace of mysql://mywire:***@127.0.0.1:"),
            "{err}"
        );
    }
}

/// The text trace shows SQL as it was sent: a query copied from the trace is the query that
/// ran. Only the rendering's own quote, backslashes and control characters are escaped.
#[test]
fn trace_text_shows_sql_as_sent() {
    let sql = r"SELECT 'x' AS q, 'a\tb' AS t";
    let o = mywire(&["--trace", "-B", "-e", sql]);
    success(&o);
    let err = stderr(&o);
    assert!(
        err.contains(r#" COM_QUERY sql="SELECT 'x' AS q, 'a\\tb' AS t""#),
        "{err}"
    );
    assert!(err.contains(r#" Row values=["x", "a\tb"]"#), "{err}");
    assert!(!err.contains(r"\'"), "{err}");
}

#[test]
fn trace_json_lines_parse_with_the_common_keys() {
    let o = mywire(&[
        "--trace",
        "--trace-format",
        "json",
        "-B",
        "-e",
        "SELECT 1 AS a, NULL AS n, 'q\"\\\\' AS s",
    ]);
    success(&o);
    let err = stderr(&o);
    let mut types = Vec::new();
    for line in err.lines() {
        let v = parse_json(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(
            v.keys()[..5],
            ["dir", "seq", "len", "phase", "type"],
            "{line}"
        );
        types.push(v.str("type").unwrap().to_string());
        if v.str("type") == Some("Row") {
            assert_eq!(
                v.get("values"),
                Some(&Json::Arr(vec![
                    Json::Str("1".into()),
                    Json::Null,
                    Json::Str("q\"\\".into())
                ]))
            );
        }
        if v.str("type") == Some("HandshakeResponse") {
            assert!(
                v.str("auth_response").unwrap().starts_with("<redacted "),
                "{line}"
            );
        }
    }
    assert_eq!(types.first().map(String::as_str), Some("Greeting"), "{err}");
    assert!(types.iter().any(|t| t == "ColumnDefinition"), "{err}");
    assert_eq!(types.last().map(String::as_str), Some("COM_QUIT"), "{err}");
}

#[test]
fn trace_secrets_and_hex() {
    let o = mywire(&["--trace", "--trace-secrets", "-B", "-e", "SELECT 1 AS a"]);
    success(&o);
    let err = stderr(&o);
    let hello = err
        .lines()
        .find(|l| l.contains("HandshakeResponse"))
        .expect("HandshakeResponse");
    let auth = hello
        .split("auth_response=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{hello}"));
    // mysql_native_password: a 20-byte scramble.
    assert_eq!(auth.len(), 40, "{hello}");
    assert!(auth.bytes().all(|b| b.is_ascii_hexdigit()), "{hello}");
    // Hex dumps: shown, except for packets carrying a secret (without --trace-secrets).
    let o = mywire(&["--trace", "--trace-hex", "-B", "-e", "SELECT 'hexme' AS h"]);
    success(&o);
    let err = stderr(&o);
    assert!(err.contains("68 65 78 6d 65"), "{err}");
    assert!(
        err.contains("withheld: the packet carries a secret"),
        "{err}"
    );
    let o = mywire(&[
        "--trace",
        "--trace-hex",
        "--trace-secrets",
        "-B",
        "-e",
        "SELECT 1",
    ]);
    success(&o);
    assert!(!stderr(&o).contains("withheld"), "{}", stderr(&o));
}

#[test]
fn trace_off_by_default_and_flags_need_trace() {
    let o = mywire(&["-B", "-e", "SELECT 1 AS a"]);
    success(&o);
    assert_eq!(stderr(&o), "");
    let o = mywire(&["--trace-format", "json", "-e", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// --trace-file, checked with tshark
// ---------------------------------------------------------------------------------------------

fn tshark(file: &Path, port: u16, extra: &[&str]) -> String {
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-d", &format!("tcp.port=={port},mysql")])
        .args(extra)
        .output()
        .expect("run tshark");
    assert!(o.status.success(), "tshark {extra:?}: {}", stderr(&o));
    stdout(&o)
}

const BIG: usize = 1 << 20;

fn trace_file_session(ssl_mode: &str, file: &Path) -> Output {
    let script = format!(
        "SELECT seq FROM seq_1_to_50;\nSELECT REPEAT('x', {BIG}) AS big;\nSELECT * FROM no_such_table;\nSELECT 'after' AS a, NULL AS n;\n"
    );
    mywire_cmd(
        &support::server().url(),
        &[
            "--ssl-mode",
            ssl_mode,
            "--force",
            "--trace-file",
            file.to_str().unwrap(),
        ],
        Some(&script),
    )
}

#[test]
fn trace_file_is_clean_pcapng_for_tshark() {
    let s = require_local_server!();
    if !have("tshark") {
        return skip("tshark");
    }
    for mode in ["DISABLED", "REQUIRED"] {
        let file = tmp_file(&format!("session-{mode}.pcapng"));
        let o = trace_file_session(mode, &file);
        // --force goes on past the failing statement, and the exit status is 0 (as mariadb's).
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.starts_with("seq\n1\n2\n"), "{mode}");
        assert!(out.ends_with("a\tn\nafter\tNULL\n"), "{mode}");
        assert!(
            stderr(&o).ends_with(
                "\nERROR 1146 (42S02) at line 3: Table 'mywire_test.no_such_table' doesn't exist\n"
            ),
            "{}",
            stderr(&o)
        );
        let p = s.port;
        let queries = tshark(&file, p, &["-T", "fields", "-e", "mysql.query"]);
        let queries: Vec<&str> = queries.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            queries,
            [
                "SELECT seq FROM seq_1_to_50",
                &format!("SELECT REPEAT('x', {BIG}) AS big")[..],
                "SELECT * FROM no_such_table",
                "SELECT 'after' AS a, NULL AS n",
            ],
            "{mode}"
        );
        assert_eq!(
            tshark(&file, p, &["-Y", "_ws.malformed"]),
            "",
            "{mode}: malformed frames"
        );
        assert_eq!(
            tshark(
                &file,
                p,
                &[
                    "-o",
                    "tcp.check_checksum:TRUE",
                    "-Y",
                    "tcp.checksum.status==0"
                ]
            ),
            "",
            "{mode}: bad checksums"
        );
        assert_eq!(
            tshark(&file, p, &["-Y", "tcp.analysis.flags"]),
            "",
            "{mode}: TCP analysis warnings"
        );
        // The 1 MiB row went out in many segments and was reassembled into one value.
        let big = tshark(
            &file,
            p,
            &[
                "-Y",
                "mysql.row.text",
                "-T",
                "fields",
                "-e",
                "mysql.row.text",
            ],
        );
        assert!(
            big.lines()
                .any(|l| l.len() == BIG && l.bytes().all(|b| b == b'x')),
            "{mode}: no 1 MiB row"
        );
        let errors = tshark(&file, p, &["-T", "fields", "-e", "mysql.error_code"]);
        assert_eq!(
            errors.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
            ["1146"],
            "{mode}"
        );
        // And mywire decodes its own capture the same way.
        let d = decode(&[file.to_str().unwrap(), "--port", &p.to_string()]);
        success(&d);
        let text = stdout(&d);
        assert!(
            text.starts_with(&format!(
                "== conversation 1: 127.0.0.1:50000 -> 127.0.0.1:{p}\n"
            )),
            "{text:.300}"
        );
        assert_eq!(text.matches(" COM_QUERY ").count(), 4, "{mode}");
        assert!(text.contains("ERR code=1146"), "{mode}");
        assert_eq!(stderr(&d), "", "{mode}");
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn trace_file_over_a_unix_socket_and_with_trace() {
    let s = require_local_server!();
    let file = tmp_file("socket.pcapng");
    let o = mywire_cmd(
        &s.socket_url(),
        &[
            "--trace",
            "--trace-file",
            file.to_str().unwrap(),
            "-B",
            "-e",
            "SELECT 2 AS b",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "b\n2\n");
    assert!(stderr(&o).contains("COM_QUERY sql=\"SELECT 2 AS b\""));
    let d = decode(&[file.to_str().unwrap()]);
    success(&d);
    let text = stdout(&d);
    assert!(
        text.starts_with("== conversation 1: 127.0.0.1:50000 -> 127.0.0.1:3306\n"),
        "{text}"
    );
    assert!(text.contains("COM_QUERY sql=\"SELECT 2 AS b\""), "{text}");
    assert!(text.contains("COM_QUIT"), "{text}");
    // The trace file is finished (FIN exchange written) also when the session fails.
    let o = mywire_cmd(
        &s.socket_url(),
        &[
            "--trace-file",
            file.to_str().unwrap(),
            "-e",
            "SELECT * FROM nope",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let d = decode(&[file.to_str().unwrap(), "--format", "json"]);
    success(&d);
    assert!(stdout(&d).contains("\"type\":\"ERR\""), "{}", stdout(&d));
    assert_eq!(stderr(&d), "", "the capture was finished");
    let o = mywire_cmd(
        "mysql://u:hunter2@127.0.0.1:1/",
        &[
            "--trace",
            "--trace-file",
            file.to_str().unwrap(),
            "-e",
            "SELECT 1",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("mysql://u:***@127.0.0.1:1/"),
        "{}",
        stderr(&o)
    );
    let d = decode(&[file.to_str().unwrap(), "--port", "1"]);
    success(&d);
    let _ = std::fs::remove_file(&file);
}

// ---------------------------------------------------------------------------------------------
// mywire decode vs tshark on a real capture of the mariadb client
// ---------------------------------------------------------------------------------------------

struct Capture {
    file: PathBuf,
    port: u16,
}

/// Captures on loopback with dumpcap what `client` does with the server. `None` (after a loud
/// message) when dumpcap is missing; panics if capturing is not possible.
fn capture_session(name: &str, client: impl FnOnce(&support::TestServer)) -> Option<Capture> {
    let s = support::server();
    if !have("dumpcap") {
        skip("dumpcap");
        return None;
    }
    let file = tmp_file(name);
    let _ = std::fs::remove_file(&file);
    let _serial = server_lock();
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
    // Capturing once the file has its header; then a moment for the filter to be in place.
    let start = Instant::now();
    while std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) == 0 {
        if let Ok(Some(st)) = dumpcap.try_wait() {
            let out = dumpcap.wait_with_output().expect("dumpcap output");
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
    client(s);
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status()
        .expect("kill -INT dumpcap");
    assert!(kill.success());
    let out = dumpcap.wait_with_output().expect("wait for dumpcap");
    assert!(
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) > 0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Capture { file, port: s.port })
}

const CAPTURED_SQL: &str = "SELECT 1; SELECT seq FROM seq_1_to_5; SELECT 'x' AS q; DO 1";

/// The official client, plaintext, the statements of [`CAPTURED_SQL`].
fn capture_mariadb(name: &str) -> Option<Capture> {
    capture_session(name, |s| {
        let o = s
            .mariadb_command()
            .args(s.tcp_args(support::USER, support::PASSWORD))
            .args(["--skip-ssl", "--batch", "mywire_test", "-e", CAPTURED_SQL])
            .output()
            .expect("run mariadb");
        assert!(o.status.success(), "mariadb: {}", stderr(&o));
    })
}

/// mywire's JSON lines of a capture.
fn decode_json(file: &Path, port: u16) -> Vec<Json> {
    let o = decode(&[
        file.to_str().unwrap(),
        "--port",
        &port.to_string(),
        "--format",
        "json",
    ]);
    success(&o);
    stdout(&o)
        .lines()
        .map(|l| parse_json(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Rows per result set, from mywire's packets: `ColumnCount` starts one.
fn mywire_rows_per_result(packets: &[&Json]) -> Vec<usize> {
    let mut out = Vec::new();
    for p in packets {
        match p.str("type") {
            Some("ColumnCount") => out.push(0),
            Some("Row") => *out.last_mut().expect("row before a column count") += 1,
            _ => {}
        }
    }
    out
}

fn tshark_values(cap: &Capture, field: &str) -> Vec<String> {
    tshark(
        &cap.file,
        cap.port,
        &["-T", "fields", "-E", "occurrence=a", "-e", field],
    )
    .lines()
    .filter(|l| !l.is_empty())
    .flat_map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
    .collect()
}

/// Compares `mywire decode` with tshark on `cap` (one conversation): the queries and the number
/// of MySQL packets, and with `results` the column counts, the rows per result set and the row
/// values. Returns the queries.
fn compare_with_tshark(cap: &Capture, results: bool) -> Vec<String> {
    let port = cap.port;
    let text = || {
        stdout(&decode(&[
            cap.file.to_str().unwrap(),
            "--port",
            &port.to_string(),
        ]))
    };
    let lines = decode_json(&cap.file, port);
    // Objects without `dir`: each conversation's header, notes (`Note`) and end (`End`).
    let headers: Vec<&Json> = lines
        .iter()
        .filter(|l| l.get("dir").is_none() && l.get("type").is_none())
        .collect();
    assert_eq!(headers.len(), 1, "one conversation: {headers:?}");
    assert_eq!(
        headers[0].get("started_mid_stream"),
        Some(&Json::Bool(false))
    );
    let ends: Vec<&Json> = lines
        .iter()
        .filter(|l| l.str("type") == Some("End"))
        .collect();
    assert_eq!(ends.len(), 1, "one conversation: {ends:?}");
    assert_eq!(ends[0].get("damaged"), Some(&Json::Bool(false)));
    let packets: Vec<&Json> = lines.iter().filter(|l| l.get("dir").is_some()).collect();
    for p in &packets {
        assert_eq!(p.keys()[0], "conversation");
        assert_eq!(p.num("conversation"), Some(1.0));
    }

    // Queries.
    let ours: Vec<String> = packets
        .iter()
        .filter(|p| p.str("type") == Some("COM_QUERY"))
        .map(|p| p.str("sql").unwrap().to_string())
        .collect();
    assert_eq!(ours, tshark_values(cap, "mysql.query"));
    // Packets: tshark lists every MySQL PDU's packet number (several per frame possible).
    let tshark_packets = tshark_values(cap, "mysql.packet_number").len();
    assert_eq!(packets.len(), tshark_packets);
    let mut kinds = BTreeMap::new();
    for p in &packets {
        *kinds.entry(p.str("type").unwrap().to_string()).or_insert(0) += 1;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "tshark and mywire agree on {}: {} packets, queries {ours:?}; mywire's types {kinds:?}",
        cap.file.display(),
        packets.len()
    );
    if !results {
        return ours;
    }
    for p in &packets {
        assert!(
            !matches!(p.str("type"), Some("Malformed" | "Unsynced") | None),
            "{p:?} in\n{}",
            text()
        );
    }
    let our_columns: Vec<String> = packets
        .iter()
        .filter(|p| p.str("type") == Some("ColumnCount"))
        .map(|p| (p.num("columns").unwrap() as usize).to_string())
        .collect();
    assert_eq!(our_columns, tshark_values(cap, "mysql.num_fields"));
    // Rows per result set: tshark's row cells per frame that starts a result set (the results
    // are small, each one went in one segment), one cell per row here.
    let per_frame = tshark(
        &cap.file,
        port,
        &[
            "-Y",
            "mysql.num_fields",
            "-T",
            "fields",
            "-e",
            "mysql.row.text",
        ],
    );
    let tshark_rows: Vec<usize> = per_frame
        .lines()
        .map(|l| {
            if l.is_empty() {
                0
            } else {
                l.split(',').count()
            }
        })
        .collect();
    let our_rows = mywire_rows_per_result(&packets);
    assert_eq!(our_rows, tshark_rows);
    let ours_cells: Vec<String> = packets
        .iter()
        .filter(|p| p.str("type") == Some("Row"))
        .flat_map(|p| match p.get("values") {
            Some(Json::Arr(v)) => v
                .iter()
                .map(|c| match c {
                    Json::Str(s) => s.clone(),
                    _ => "NULL".into(),
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(ours_cells, tshark_values(cap, "mysql.row.text"));
    let _ = writeln!(
        std::io::stderr().lock(),
        "tshark and mywire agree on {}: columns {our_columns:?}, rows per result {our_rows:?}, cells {ours_cells:?}",
        cap.file.display()
    );
    ours
}

#[test]
fn decode_agrees_with_tshark_on_a_real_capture_of_mywire() {
    if support::local_server().is_none() {
        return;
    }
    if !have("tshark") {
        return skip("tshark");
    }
    let Some(cap) = capture_session("real-mywire.pcapng", |s| {
        let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
            .env_remove("DATABASE_URL")
            .args([
                "--url",
                &s.url(),
                "--ssl-mode=DISABLED",
                "-B",
                "--one-query",
                "-e",
                CAPTURED_SQL,
            ])
            .output()
            .expect("run mywire");
        success(&o);
        assert_eq!(stdout(&o), "1\n1\nseq\n1\n2\n3\n4\n5\nq\nx\n");
    }) else {
        return;
    };
    let port = cap.port;
    let ours = compare_with_tshark(&cap, true);
    assert_eq!(ours, [CAPTURED_SQL]);
    let lines = decode_json(&cap.file, port);
    let rows = lines
        .iter()
        .filter(|l| l.get("dir").is_some())
        .collect::<Vec<_>>();
    assert_eq!(mywire_rows_per_result(&rows), [1, 5, 1]);

    // A capture that starts mid-connection: cut the TCP and MySQL handshakes and the query.
    if !have("editcap") {
        return skip("editcap");
    }
    let cut = tmp_file("mid.pcapng");
    let query_frame: u64 = tshark(
        &cap.file,
        port,
        &["-Y", "mysql.query", "-T", "fields", "-e", "frame.number"],
    )
    .trim()
    .parse()
    .unwrap();
    // Keep from the frame after the query: the middle of its results.
    let st = Command::new("editcap")
        .arg("-r")
        .arg(&cap.file)
        .arg(&cut)
        .arg(format!("{}-{}", query_frame + 1, u32::MAX))
        .status()
        .expect("editcap");
    assert!(st.success());
    let o = decode(&[cut.to_str().unwrap(), "--port", &port.to_string()]);
    success(&o);
    let text = stdout(&o);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("(started mid-connection)"),
        "{text}"
    );
    assert!(
        text.contains("\n-- capture started mid-connection"),
        "{text}"
    );
    assert!(!text.contains("COM_QUERY"), "{text}");
    assert!(text.contains("COM_QUIT"), "{text}");
    let _ = std::fs::remove_file(&cut);
}

#[test]
fn decode_agrees_with_tshark_on_a_real_capture_of_the_mariadb_client() {
    if support::local_server().is_none() {
        return;
    }
    if !have("tshark") {
        return skip("tshark");
    }
    let Some(cap) = capture_mariadb("real-mariadb.pcapng") else {
        return;
    };
    let port = cap.port;
    // The results are compared in the test below.
    let ours = compare_with_tshark(&cap, false);
    assert_eq!(
        ours,
        [
            "SELECT 1",
            "SELECT seq FROM seq_1_to_5",
            "SELECT 'x' AS q",
            "DO 1"
        ]
    );

    // A capture that starts mid-connection: from the frame before the second query.
    if !have("editcap") {
        return skip("editcap");
    }
    let cut = tmp_file("mid-mariadb.pcapng");
    let second: u64 = tshark(
        &cap.file,
        port,
        &["-Y", "mysql.query", "-T", "fields", "-e", "frame.number"],
    )
    .lines()
    .nth(1)
    .expect("two queries")
    .parse()
    .unwrap();
    let st = Command::new("editcap")
        .arg("-r")
        .arg(&cap.file)
        .arg(&cut)
        .arg(format!("{}-{}", second - 1, u32::MAX))
        .status()
        .expect("editcap");
    assert!(st.success());
    let o = decode(&[cut.to_str().unwrap(), "--port", &port.to_string()]);
    success(&o);
    let text = stdout(&o);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("(started mid-connection)"),
        "{text}"
    );
    assert!(
        text.contains("\n-- capture started mid-connection"),
        "{text}"
    );
    // Queries show as sent: `SELECT 'x' AS q` is not escaped.
    for q in &ours[1..] {
        assert!(
            text.contains(&format!("COM_QUERY sql=\"{q}\"")),
            "{q}: {text}"
        );
    }
    assert!(!text.contains("COM_QUERY sql=\"SELECT 1\""), "{text}");

    // A truncated file: what was read is decoded, the damage is reported, exit 0.
    let bytes = std::fs::read(&cap.file).unwrap();
    let truncated = tmp_file("truncated.pcapng");
    std::fs::write(&truncated, &bytes[..bytes.len() - 150]).unwrap();
    let o = decode(&[truncated.to_str().unwrap(), "--port", &port.to_string()]);
    success(&o);
    let text = stdout(&o);
    assert!(
        text.contains("COM_QUERY sql=\"SELECT seq FROM seq_1_to_5\""),
        "{text}"
    );
    assert!(
        stderr(&o).contains("damaged capture, decoded what was read before: capture: record"),
        "{}",
        stderr(&o)
    );
    // Through standard input too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .args(["decode", "-", "--port", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    success(&o);
    assert_eq!(stdout(&o).matches(" COM_QUERY ").count(), ours.len());
    for f in [&cap.file, &cut, &truncated] {
        let _ = std::fs::remove_file(f);
    }
}

/// Library bug reproducer: the decoder (src/trace/decode.rs) ignores MariaDB's
/// CACHE_METADATA capability, which libmariadb (the mariadb client) negotiates: the column
/// count packet then carries a `metadata_follows` byte after the count, and every packet of the
/// result set decodes as `Malformed` ("column count: … unexpected trailing bytes").
#[test]
fn decode_agrees_with_tshark_on_mariadb_client_result_sets() {
    if support::local_server().is_none() {
        return;
    }
    if !have("tshark") {
        return skip("tshark");
    }
    let Some(cap) = capture_mariadb("real-mariadb-results.pcapng") else {
        return;
    };
    compare_with_tshark(&cap, true);
    let lines = decode_json(&cap.file, cap.port);
    let rows = lines
        .iter()
        .filter(|l| l.get("dir").is_some())
        .collect::<Vec<_>>();
    assert_eq!(mywire_rows_per_result(&rows), [1, 5, 1]);
    let _ = std::fs::remove_file(&cap.file);
}

#[test]
fn decode_unreadable_and_empty_captures() {
    let f = tmp_file("not-a-capture");
    std::fs::write(&f, b"this is not a capture file at all").unwrap();
    let o = decode(&[f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(&format!(
            "mywire: {}: not a readable capture: ",
            f.display()
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    let o = decode(&["/nonexistent/capture.pcap"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("mywire: cannot read /nonexistent/capture.pcap: "));
    let _ = std::fs::remove_file(&f);
    let o = decode(&[]);
    assert_eq!(o.status.code(), Some(2));
}
