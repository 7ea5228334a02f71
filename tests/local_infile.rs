//! LOAD DATA LOCAL INFILE, opted in (`local-infile`, `local-infile-dir`, a reader callback):
//! refusals played by the scripted hostile server (a file the statement did not name, a
//! request without any LOAD statement, a file outside the allowed directories, an unreadable
//! one, no opt-in), and real loads into the throwaway MariaDB (started with `--local-infile=1`)
//! with both sessions: thousands of rows, a file of more than 16 MiB (many packets, the
//! sequence id wrapping), compressed, two LOADs in one query, a read failure half-way.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "support/scripted.rs"]
mod scripted;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mywire::codec::flags::CapabilityFlags;
use mywire::session::LocalInfile;
use mywire::{Error, InfileRefusalReason, Options, Session};

const LIMIT: Duration = Duration::from_secs(60);

/// A fresh directory for this test's files.
fn test_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mywire-infile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn refusal(e: &Error) -> &InfileRefusalReason {
    match e {
        Error::LocalInfileRefused(r) => &r.reason,
        other => panic!("expected LocalInfileRefused, got {other:?}"),
    }
}

fn sql_quote(p: &Path) -> String {
    p.display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('\'', "''")
}

// ---- the scripted hostile server -------------------------------------------------------------

/// The scripted server answers the COM_QUERY with a request for `asked`, reads the client's
/// answer, sends an ERR as MariaDB does for an empty file it cannot use, then answers a ping.
fn rogue(asked: &str) -> scripted::Server {
    use scripted::{err, ok, packet, Step};
    let mut req = vec![0xFB];
    req.extend_from_slice(asked.as_bytes());
    let mut script = scripted::login();
    script.extend([
        Step::ReadPacket, // COM_QUERY
        Step::Send(packet(1, &req)),
        Step::ReadPacket, // the client's answer
        Step::Send(err(3, 1148, b"42000", "The used command is not allowed")),
        Step::ReadPacket, // COM_PING
        Step::Send(ok(1)),
    ]);
    scripted::Server::start(script)
}

/// Runs `sql` against a server asking for `asked`, with `params`; returns the error and what
/// the client sent.
async fn against_rogue(params: &str, sql: &str, asked: &str) -> (Error, scripted::Record) {
    let server = rogue(asked);
    let opts = Options::from_url(&server.url(params)).unwrap();
    let mut s = tokio::time::timeout(LIMIT, Session::connect(opts))
        .await
        .unwrap()
        .unwrap();
    let e = tokio::time::timeout(LIMIT, s.query(sql))
        .await
        .unwrap()
        .map(|_| ())
        .unwrap_err();
    assert!(!s.is_broken(), "{e}");
    s.ping().await.expect("the session goes on");
    drop(s);
    (e, server.finish())
}

/// The client answered the request with exactly one empty packet (seq 2), sent no file.
fn answered_empty(rec: &scripted::Record) {
    let p = rec.packets();
    assert_eq!(p.len(), 4, "handshake, query, answer, ping: {p:?}");
    assert_eq!(p[2], (2, Vec::new()), "the empty packet 00 00 00 02");
    assert!(!rec.contains(b"root:x:0:0"), "/etc/passwd went out");
}

/// The capabilities of the client's handshake response (the first packet it sent).
fn client_caps(rec: &scripted::Record) -> CapabilityFlags {
    let p = &rec.packets()[0].1;
    CapabilityFlags(u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
}

#[tokio::test]
async fn a_server_asking_for_etc_passwd_instead_of_the_named_file_gets_nothing() {
    let dir = test_dir("rogue");
    let named = dir.join("data.csv");
    std::fs::write(&named, "1\n").unwrap();
    for params in [
        "local-infile=true".to_string(),
        format!("local-infile-dir={}", dir.display()),
        // Even when /etc is an allowed directory: the statement did not name the file.
        "local-infile-dir=/etc".to_string(),
    ] {
        let sql = format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE t",
            sql_quote(&named)
        );
        let (e, rec) = against_rogue(&params, &sql, "/etc/passwd").await;
        assert_eq!(
            refusal(&e),
            &InfileRefusalReason::NotInStatement,
            "{params}"
        );
        assert!(e.to_string().contains("/etc/passwd"), "{e}");
        assert!(client_caps(&rec).contains(CapabilityFlags::LOCAL_FILES));
        answered_empty(&rec);
    }
}

#[tokio::test]
async fn a_server_asking_without_any_load_statement_gets_nothing() {
    for sql in [
        "SELECT 1",
        "SELECT 'LOAD DATA LOCAL INFILE ''/etc/passwd'' INTO TABLE t'",
        "SELECT 1 /* LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t */",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
    ] {
        let (e, rec) = against_rogue("local-infile=true", sql, "/etc/passwd").await;
        assert_eq!(refusal(&e), &InfileRefusalReason::NotInStatement, "{sql}");
        answered_empty(&rec);
    }
}

#[tokio::test]
async fn without_the_opt_in_no_file_and_no_capability() {
    let (e, rec) = against_rogue(
        "",
        "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t",
        "/etc/passwd",
    )
    .await;
    assert_eq!(refusal(&e), &InfileRefusalReason::NotEnabled);
    assert!(!client_caps(&rec).contains(CapabilityFlags::LOCAL_FILES));
    assert!(e.to_string().contains("not enabled"), "{e}");
    answered_empty(&rec);
}

#[tokio::test]
async fn files_outside_the_allowed_directory_are_refused_symlinks_resolved() {
    let dir = test_dir("dirs");
    let allowed = dir.join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT\n").unwrap();
    let link = allowed.join("innocent.csv");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let params = format!("local-infile-dir={}", allowed.display());
    for named in [
        secret.clone(),
        link.clone(),
        allowed.join("..").join("secret.txt"),
    ] {
        let name = named.display().to_string();
        let sql = format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE t",
            sql_quote(&named)
        );
        let (e, rec) = against_rogue(&params, &sql, &name).await;
        assert_eq!(
            refusal(&e),
            &InfileRefusalReason::OutsideAllowedDirs,
            "{name}"
        );
        assert!(!rec.contains(b"TOP-SECRET-CONTENT"), "{name}");
        answered_empty(&rec);
    }
    // A missing file, or a directory, is unreadable: nothing sent either.
    for named in [allowed.join("missing.csv"), allowed.clone()] {
        let name = named.display().to_string();
        let sql = format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE t",
            sql_quote(&named)
        );
        let (e, rec) = against_rogue("local-infile=1", &sql, &name).await;
        assert!(
            matches!(refusal(&e), InfileRefusalReason::Unreadable(_)),
            "{name}: {e}"
        );
        answered_empty(&rec);
    }
}

// ---- the throwaway MariaDB ---------------------------------------------------------------------

/// Lines `i\tvalue-i-…` for i in 1..=n, each value `width` bytes.
fn rows_file(path: &Path, n: u64, width: usize) -> u64 {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut bytes = 0u64;
    for i in 1..=n {
        let v = value(i, width);
        writeln!(f, "{i}\t{v}").unwrap();
        bytes += v.len() as u64;
    }
    f.flush().unwrap();
    bytes
}

fn value(i: u64, width: usize) -> String {
    let head = format!("value-{i}-");
    let fill: String = (0..width.saturating_sub(head.len()))
        .map(|k| char::from(b'a' + ((i as usize + k) % 26) as u8))
        .collect();
    head + &fill
}

fn url(params: &str) -> String {
    format!("{}?{params}", support::server().url())
}

async fn connect(params: &str) -> Session {
    Session::connect(Options::from_url(&url(params)).unwrap())
        .await
        .unwrap()
}

async fn one(s: &mut Session, sql: &str) -> String {
    let r: Option<(String,)> = s.query_first(sql).await.unwrap();
    r.unwrap().0
}

fn table(name: &str) -> String {
    format!("li_{name}_{}", std::process::id())
}

#[tokio::test]
async fn mariadb_refuses_local_without_the_capability_err_4166() {
    let _server = require_local_server!();
    let mut s = connect("").await;
    let t = table("nocap");
    s.query_drop(&format!("CREATE TABLE {t} (a TEXT)"))
        .await
        .unwrap();
    let e = s
        .query_drop(&format!(
            "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE {t}"
        ))
        .await
        .unwrap_err();
    let se = e.server_error().unwrap_or_else(|| panic!("{e:?}"));
    assert_eq!(se.code, 4166, "{se}");
    assert_eq!(one(&mut s, &format!("SELECT COUNT(*) FROM {t}")).await, "0");
    s.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

#[tokio::test]
async fn thousands_of_rows_load_with_the_async_session() {
    let _server = require_local_server!();
    let dir = test_dir("rows");
    let file = dir.join("rows.tsv");
    let n = 5000;
    rows_file(&file, n, 40);
    let mut s = connect(&format!("local-infile-dir={}", dir.display())).await;
    assert!(s.capabilities().contains(CapabilityFlags::LOCAL_FILES));
    let t = table("rows");
    s.query_drop(&format!(
        "CREATE OR REPLACE TABLE {t} (id INT PRIMARY KEY, v VARCHAR(64))"
    ))
    .await
    .unwrap();
    let ok = s
        .query_drop(&format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}",
            sql_quote(&file)
        ))
        .await
        .unwrap();
    assert_eq!(ok.affected_rows, n);
    assert!(ok.info.contains("Records: 5000"), "{}", ok.info);
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT CONCAT(COUNT(*), ',', SUM(id)) FROM {t}")
        )
        .await,
        format!("{n},{}", n * (n + 1) / 2)
    );
    for i in [1, 2500, 5000] {
        assert_eq!(
            one(&mut s, &format!("SELECT v FROM {t} WHERE id = {i}")).await,
            value(i, 40)
        );
    }
    // The session goes on.
    assert_eq!(one(&mut s, "SELECT 'after'").await, "after");
    s.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

/// More than 16 MiB: 64 KiB packets, the sequence id wrapping several times.
const BIG_ROWS: u64 = 17_000;
const BIG_WIDTH: usize = 1_000;

#[tokio::test]
async fn a_file_of_more_than_16_mib_loads_with_the_async_session() {
    let _server = require_local_server!();
    let dir = test_dir("big-async");
    let file = dir.join("big.tsv");
    let bytes = rows_file(&file, BIG_ROWS, BIG_WIDTH);
    assert!(std::fs::metadata(&file).unwrap().len() > 16 << 20);
    let mut s = connect("local-infile=true").await;
    let t = table("big_async");
    s.query_drop(&format!(
        "CREATE OR REPLACE TABLE {t} (id INT PRIMARY KEY, v TEXT)"
    ))
    .await
    .unwrap();
    let ok = tokio::time::timeout(
        LIMIT,
        s.query_drop(&format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}",
            sql_quote(&file)
        )),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(ok.affected_rows, BIG_ROWS);
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT CONCAT(COUNT(*), ',', SUM(LENGTH(v))) FROM {t}")
        )
        .await,
        format!("{BIG_ROWS},{bytes}")
    );
    for i in [1, 8_000, BIG_ROWS] {
        assert_eq!(
            one(&mut s, &format!("SELECT v FROM {t} WHERE id = {i}")).await,
            value(i, BIG_WIDTH)
        );
    }
    s.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

#[test]
fn a_file_of_more_than_16_mib_and_thousands_of_rows_load_with_the_blocking_session() {
    use mywire::session::blocking::Session;
    let _server = require_local_server!();
    let dir = test_dir("big-blocking");
    let file = dir.join("big.tsv");
    let bytes = rows_file(&file, BIG_ROWS, BIG_WIDTH);
    let mut s = Session::connect(
        Options::from_url(&url(&format!("local-infile-dir={}", dir.display()))).unwrap(),
    )
    .unwrap();
    let t = table("big_blocking");
    s.query_drop(&format!(
        "CREATE OR REPLACE TABLE {t} (id INT PRIMARY KEY, v TEXT)"
    ))
    .unwrap();
    let ok = s
        .query_drop(&format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}",
            sql_quote(&file)
        ))
        .unwrap();
    assert_eq!(ok.affected_rows, BIG_ROWS);
    let got: Option<(String,)> = s
        .query_first(&format!(
            "SELECT CONCAT(COUNT(*), ',', SUM(LENGTH(v))) FROM {t}"
        ))
        .unwrap();
    assert_eq!(got.unwrap().0, format!("{BIG_ROWS},{bytes}"));
    let got: Option<(String,)> = s
        .query_first(&format!("SELECT v FROM {t} WHERE id = {BIG_ROWS}"))
        .unwrap();
    assert_eq!(got.unwrap().0, value(BIG_ROWS, BIG_WIDTH));
    // A file outside the directory: MariaDB asks, mywire refuses, the session goes on.
    let outside = dir.with_extension("outside.tsv");
    std::fs::write(&outside, "1\tx\n").unwrap();
    let e = s
        .query_drop(&format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE {t}",
            sql_quote(&outside)
        ))
        .unwrap_err();
    assert_eq!(refusal(&e), &InfileRefusalReason::OutsideAllowedDirs);
    assert!(!s.is_broken());
    s.query_drop(&format!("DROP TABLE {t}")).unwrap();
}

#[tokio::test]
async fn a_reader_callback_supplies_the_data_compressed_and_twice_in_one_query() {
    let _server = require_local_server!();
    let mut o = Options::from_url(&url("compress=zlib&multi-statements=true")).unwrap();
    o.local_infile = Some(LocalInfile::reader(|name| {
        let n: u64 = name
            .strip_prefix("gen:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not gen:N"))?;
        let text: String = (1..=n).map(|i| format!("{i}\n")).collect();
        Ok(Box::new(std::io::Cursor::new(text.into_bytes())) as Box<dyn Read + Send>)
    }));
    let mut s = Session::connect(o).await.unwrap();
    assert!(s.compression().is_some());
    let t = table("cb");
    s.query_drop(&format!("CREATE OR REPLACE TABLE {t} (id INT)"))
        .await
        .unwrap();
    s.query_drop(&format!(
        "LOAD DATA LOCAL INFILE 'gen:300' INTO TABLE {t}; \
         LOAD DATA LOCAL INFILE 'gen:20' INTO TABLE {t}"
    ))
    .await
    .unwrap();
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT CONCAT(COUNT(*), ',', SUM(id)) FROM {t}")
        )
        .await,
        format!("320,{}", 300 * 301 / 2 + 20 * 21 / 2)
    );
    // The callback's error: refused before any data.
    let e = s
        .query_drop(&format!("LOAD DATA LOCAL INFILE 'other' INTO TABLE {t}"))
        .await
        .unwrap_err();
    assert!(
        matches!(refusal(&e), InfileRefusalReason::Unreadable(m) if m.contains("not gen:N")),
        "{e}"
    );
    assert_eq!(
        one(&mut s, &format!("SELECT COUNT(*) FROM {t}")).await,
        "320"
    );
    s.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}

/// Yields `good` bytes of rows, then fails.
struct FailingReader {
    data: std::io::Cursor<Vec<u8>>,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(std::io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[tokio::test]
async fn a_read_failure_half_way_closes_the_connection_and_loads_nothing() {
    let _server = require_local_server!();
    let mut o = Options::from_url(&url("")).unwrap();
    o.local_infile = Some(LocalInfile::reader(|_| {
        let text: String = (1..=100_000).map(|i| format!("{i}\n")).collect();
        Ok(Box::new(FailingReader {
            data: std::io::Cursor::new(text.into_bytes()),
        }) as Box<dyn Read + Send>)
    }));
    let mut s = Session::connect(o).await.unwrap();
    let t = table("fail");
    s.query_drop(&format!(
        "CREATE OR REPLACE TABLE {t} (id INT) ENGINE=InnoDB"
    ))
    .await
    .unwrap();
    let e = s
        .query_drop(&format!("LOAD DATA LOCAL INFILE 'x' INTO TABLE {t}"))
        .await
        .unwrap_err();
    match refusal(&e) {
        InfileRefusalReason::Interrupted { sent, error } => {
            assert!(*sent > 0 && error.contains("disk on fire"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_fatal() && s.is_broken(), "{e}");
    assert!(matches!(s.ping().await, Err(Error::Broken(_))));
    drop(s);
    // The server aborted the statement when the connection closed: nothing was loaded.
    let mut check = connect("").await;
    for _ in 0..50 {
        let busy = one(
            &mut check,
            &format!(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'LOAD DATA%{t}%'"
            ),
        )
        .await;
        if busy == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let count = one(&mut check, &format!("SELECT COUNT(*) FROM {t}")).await;
    assert_eq!(count, "0");
    check.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
}
