//! The blocking session (`mywire::session::blocking`) against the throwaway MariaDB: no async
//! runtime anywhere in these tests. TCP, the Unix socket and TLS; typed rows, multi-results,
//! errors, pipelining, read timeouts and the broken state.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is abandoned (possibly unread), which these tests exercise.
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::session::blocking::Session;
use mywire::{Error, Options};
use support::server;

fn opts(extra: &str) -> Options {
    let url = format!("{}?{extra}", server().url());
    Options::from_url(&url).unwrap()
}

fn connect(o: Options) -> Session {
    let what = o.redacted_url();
    Session::connect(o).unwrap_or_else(|e| panic!("connect {what}: {e}"))
}

/// Every row of every result of `sql`, as text.
fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let mut r = s.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    loop {
        while let Some(row) = r.next_row().expect("row") {
            out.push(
                (0..row.len())
                    .map(|i| row.text(i).map_or("NULL".into(), |t| t.into_owned()))
                    .collect(),
            );
        }
        if !r.next_result().expect("next result") {
            return out;
        }
    }
}

#[test]
fn queries_rows_and_commands_over_tcp() {
    let mut s = connect(opts(""));
    // The test server offers TLS, and PREFERRED over TCP takes it: rows below travel in TLS.
    assert!(s.is_tls());
    assert!(s.server_version().contains("MariaDB"));

    let mut r = s
        .query("SELECT 42 AS n, 'x' AS t, NULL AS z, 1.5 AS f")
        .unwrap();
    assert!(r.is_result_set());
    let names: Vec<_> = r.columns().iter().map(|c| c.name().into_owned()).collect();
    assert_eq!(names, ["n", "t", "z", "f"]);
    let row = r.next_row().unwrap().expect("one row");
    assert_eq!(row.get::<i64>(0).unwrap(), Some(42));
    assert_eq!(row.get::<&str>(1).unwrap(), Some("x"));
    assert!(row.is_null(2));
    assert_eq!(row.get::<f64>(3).unwrap(), Some(1.5));
    assert!(r.next_row().unwrap().is_none());
    drop(r);

    s.query_drop("CREATE TEMPORARY TABLE bt (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)")
        .unwrap();
    let ok = s
        .query_drop("INSERT INTO bt (v) VALUES ('a'), ('b'), (NULL)")
        .unwrap();
    assert_eq!(ok.affected_rows, 3);
    let r = s.query("INSERT INTO bt (v) VALUES ('c')").unwrap();
    assert!(!r.is_result_set());
    assert_eq!((r.affected_rows(), r.last_insert_id()), (1, 4));
    drop(r);
    assert_eq!(
        rows(&mut s, "SELECT id, v FROM bt ORDER BY id"),
        [["1", "a"], ["2", "b"], ["3", "NULL"], ["4", "c"]]
    );

    s.ping().unwrap();
    s.init_db("mysql").unwrap();
    assert_eq!(rows(&mut s, "SELECT DATABASE()"), [["mysql"]]);
    assert!(s.statistics().unwrap().contains("Uptime"));
    s.reset().unwrap();
    s.close().unwrap();
}

#[test]
fn a_result_set_abandoned_half_read_is_drained_by_the_next_call() {
    let mut s = connect(opts(""));
    let mut r = s.query("SELECT seq FROM seq_1_to_10000").unwrap();
    assert_eq!(
        r.next_row().unwrap().unwrap().get::<i64>(0).unwrap(),
        Some(1)
    );
    drop(r);
    assert_eq!(rows(&mut s, "SELECT 7"), [["7"]]);
}

#[test]
fn multi_results_and_server_errors() {
    let mut s = connect(opts("multi-statements=true"));
    assert_eq!(
        rows(&mut s, "SELECT 1; SELECT 2, 3; DO 0; SELECT 4"),
        vec![vec!["1"], vec!["2", "3"], vec!["4"]]
    );
    match s.query("SELECT * FROM no_such_table") {
        Err(Error::Server(e)) => assert_eq!(e.code, 1146),
        other => panic!("expected ER_NO_SUCH_TABLE, got {other:?}"),
    }
    // A server error is an answer, not a broken connection.
    assert!(!s.is_broken());
    assert_eq!(rows(&mut s, "SELECT 'still here'"), [["still here"]]);
}

#[test]
fn unix_socket() {
    let srv = require_local_server!();
    let o = Options::from_url(&srv.socket_url()).unwrap();
    let mut s = connect(o);
    assert_eq!(rows(&mut s, "SELECT @@socket = @@socket"), [["1"]]);
    s.close().unwrap();
}

#[test]
fn tls_required() {
    let srv = require_local_server!();
    let o = Options::from_url(&format!("{}?ssl-mode=REQUIRED", srv.url())).unwrap();
    let mut s = connect(o);
    assert!(s.is_tls());
    let cipher = rows(&mut s, "SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    assert!(
        cipher
            .first()
            .and_then(|r| r.get(1))
            .is_some_and(|c| !c.is_empty()),
        "Ssl_cipher: {cipher:?}"
    );
    s.close().unwrap();
}

#[test]
fn pipelines() {
    let mut s = connect(opts(""));
    let queries = ["SELECT 1", "SELECT * FROM no_such_table", "SELECT 3"];
    let mut pl = s.pipeline(queries).unwrap();
    let mut got = Vec::new();
    while let Some(r) = pl.next() {
        match r {
            Ok(mut r) => {
                let row = r.next_row().unwrap().unwrap();
                got.push(row.get::<i64>(0).unwrap().unwrap_or(0));
            }
            Err(Error::Server(e)) => got.push(-i64::from(e.code)),
            Err(e) => panic!("{e}"),
        }
    }
    drop(pl);
    assert_eq!(got, [1, -1146, 3]);
    s.ping().unwrap();
}

#[test]
fn a_read_timeout_breaks_the_session_and_says_so() {
    let mut s = connect(opts("read-timeout=1"));
    assert_eq!(
        s.options().read_timeout,
        Some(std::time::Duration::from_secs(1))
    );
    let started = std::time::Instant::now();
    let e = s.query("SELECT SLEEP(5)").map(|_| ()).unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(&e, Error::Io(io) if matches!(io.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "{e:?}"
    );
    assert!(waited < std::time::Duration::from_secs(4), "{waited:?}");
    assert!(s.is_broken());
    match s.ping() {
        Err(Error::Broken(why)) => assert!(!why.is_empty()),
        other => panic!("expected Broken, got {other:?}"),
    }
}

#[test]
fn connect_errors_are_errors() {
    // Nothing listens on a fresh free port.
    let o = Options::from_url(&format!(
        "mysql://u@127.0.0.1:{}/?connect-timeout=5",
        support::free_port()
    ))
    .unwrap();
    match Session::connect(o) {
        Err(Error::Io(e)) => assert!(e.to_string().contains("cannot connect"), "{e}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    // Wrong password: the server's ERR, as with the async session.
    let srv = server();
    let o = Options::from_url(&srv.url_for(support::USER, "wrong")).unwrap();
    match Session::connect(o) {
        Err(Error::Server(e)) => assert_eq!(e.code, 1045),
        other => panic!("expected ER_ACCESS_DENIED, got {other:?}"),
    }
}

/// Blocking reads go straight into the engine's buffer: rows that span many reads, a value
/// over 16 MiB (continuation chunks) and many small rows after it all come out whole.
#[test]
fn large_values_and_many_rows_over_blocking_reads() {
    const N: usize = 20 * 1024 * 1024;
    let mut s = connect(opts("ssl-mode=DISABLED"));
    {
        let mut r = s
            .query(&format!("SELECT REPEAT('z', {N}) AS big, 'after' AS tail"))
            .unwrap();
        let row = r.next_row().unwrap().expect("a row");
        let b = row.bytes(0).unwrap();
        assert_eq!(b.len(), N);
        assert!(b.iter().all(|&c| c == b'z'));
        assert_eq!(row.get::<&str>(1).unwrap(), Some("after"));
        assert!(r.next_row().unwrap().is_none());
    }
    let mut r = s
        .query("SELECT seq, REPEAT('r', seq % 300) FROM seq_1_to_100000")
        .unwrap();
    let mut n = 0u64;
    while let Some(row) = r.next_row().unwrap() {
        n += 1;
        assert_eq!(row.get::<u64>(0).unwrap(), Some(n));
        assert_eq!(row.bytes(1).unwrap().len() as u64, n % 300);
    }
    assert_eq!(n, 100_000);
    drop(r);
    s.ping().unwrap();
}

/// A detached result resumes where it stopped; once another command has run, the resumed
/// result is over (no rows, no further results) and the session carries on.
#[test]
fn detached_result_resumes_until_the_next_command() {
    let mut s = connect(opts(""));
    let mut r = s.query("SELECT seq FROM seq_1_to_10").unwrap();
    let first = r.next_row().unwrap().unwrap().text(0).unwrap().into_owned();
    assert_eq!(first, "1");
    let ticket = r.detach();
    let mut r = s.resume(ticket);
    assert_eq!(r.columns().len(), 1);
    let mut rest = Vec::new();
    while let Some(row) = r.next_row().unwrap() {
        rest.push(row.text(0).unwrap().into_owned());
    }
    assert_eq!(rest.len(), 9);
    assert!(!r.has_more_results());

    let mut r = s.query("SELECT seq FROM seq_1_to_5").unwrap();
    r.next_row().unwrap().unwrap();
    let stale = r.detach();
    assert_eq!(
        rows(&mut s, "SELECT 'next'"),
        vec![vec!["next".to_string()]]
    );
    let mut r = s.resume(stale);
    assert!(r.next_row().unwrap().is_none());
    assert!(!r.next_result().unwrap());
}

/// `next_row_received` hands out what has arrived and never reads; mixed with `next_row`
/// (which waits) it yields every row once, in order, then the end, and the session goes on.
#[test]
fn rows_already_received_are_taken_without_reading() {
    use mywire::session::blocking::Received;
    let mut s = connect(opts(""));
    let mut r = s.query("SELECT seq FROM seq_1_to_20000").unwrap();
    let (mut seen, mut waited) = (Vec::new(), 0u32);
    loop {
        match r.next_row_received().unwrap() {
            Received::Row(row) => seen.push(row.get::<u32>(0).unwrap().unwrap()),
            Received::End => break,
            Received::NotYet => {
                waited += 1;
                match r.next_row().unwrap() {
                    Some(row) => seen.push(row.get::<u32>(0).unwrap().unwrap()),
                    None => break,
                }
            }
        }
    }
    assert_eq!(seen, (1..=20000).collect::<Vec<u32>>());
    // 20,000 rows (about 200 KB) cannot all have arrived with the head: some were waited for.
    assert!(waited >= 1);
    assert!(matches!(r.next_row_received().unwrap(), Received::End));
    assert!(r.next_row().unwrap().is_none());
    drop(r);
    assert_eq!(
        rows(&mut s, "SELECT 'after'"),
        vec![vec!["after".to_string()]]
    );
}
