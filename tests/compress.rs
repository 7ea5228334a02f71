//! The compressed protocol (zlib) against the throwaway MariaDB: 20 MiB rows both ways (one
//! packet spanning several compressed ones), every command kind (pipelines, prepared
//! statements, bulk inserts, cursors), the algorithm chosen from the preferences, the byte
//! counts, LOCAL INFILE still refused, and the blocking session. The query, types and
//! cancellation suites run compressed too (tests/support/wire.rs).

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is done with (it borrows the session).
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::session::{blocking, QueryResult};
use mywire::{Compression, Error, Options, Session, ToParam};
use sha2::{Digest, Sha256};
use support::server;

fn opts(extra: &str) -> Options {
    Options::from_url(&format!("{}?{extra}", server().url())).unwrap()
}

async fn connect(extra: &str) -> Session {
    let o = opts(extra);
    let what = o.redacted_url();
    Session::connect(o)
        .await
        .unwrap_or_else(|e| panic!("connect {what}: {e}"))
}

/// Every row of every result of one response, as text.
async fn all_rows(r: &mut QueryResult<'_>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    loop {
        while let Some(row) = r.next_row().await.expect("row") {
            out.push(
                (0..row.len())
                    .map(|i| row.text(i).map_or("NULL".into(), |t| t.into_owned()))
                    .collect(),
            );
        }
        if !r.next_result().await.expect("next result") {
            return out;
        }
    }
}

async fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let mut r = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    all_rows(&mut r).await
}

/// `n` bytes that compress only somewhat (a fixed pseudo-random sequence).
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

const TWENTY_MIB: usize = 20 << 20;

#[tokio::test]
async fn twenty_mib_rows_go_both_ways_compressed() {
    let mut s = connect("compress=zlib").await;
    assert_eq!(s.compression(), Some(Compression::Zlib));
    s.query_drop("CREATE TEMPORARY TABLE big (id INT PRIMARY KEY, v LONGBLOB)")
        .await
        .unwrap();
    // Client to server: a COM_QUERY of 20 MiB and more (a hex literal: two packets inside,
    // several compressed packets outside), and a 20 MiB parameter (long data pieces).
    let a = noise(TWENTY_MIB / 2, 7);
    let hex: String = a.iter().map(|b| format!("{b:02x}")).collect();
    let sql = format!("INSERT INTO big VALUES (1, X'{hex}')");
    assert!(sql.len() > TWENTY_MIB);
    let before = s.compression_stats().unwrap();
    s.query_drop(&sql).await.unwrap();
    let after = s.compression_stats().unwrap();
    let plain_sent = after.plain_sent - before.plain_sent;
    assert!(plain_sent >= sql.len() as u64, "{plain_sent}");
    assert!(
        after.packets_sent - before.packets_sent >= 2,
        "more than 16 MiB takes two compressed packets at least"
    );
    // Hex digits of noise: half the bytes carry the information.
    assert!(after.wire_sent - before.wire_sent < plain_sent * 3 / 4);
    let b = noise(TWENTY_MIB, 11);
    let st = s.prepare("INSERT INTO big VALUES (?, ?)").await.unwrap();
    s.execute(&st, &[&2i32, &b]).await.unwrap();
    // Server to client: both values back, and one that compresses a thousandfold.
    let got = rows(
        &mut s,
        "SELECT id, LENGTH(v), SHA2(v, 256) FROM big ORDER BY id",
    )
    .await;
    assert_eq!(
        got,
        [
            vec!["1".to_string(), a.len().to_string(), sha(&a)],
            vec!["2".to_string(), b.len().to_string(), sha(&b)],
        ]
    );
    for (id, want) in [(1, &a), (2, &b)] {
        let mut r = s
            .query(&format!("SELECT v FROM big WHERE id = {id}"))
            .await
            .unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        let v: &[u8] = row.get(0).unwrap().unwrap();
        assert!(v == &want[..], "value {id} came back changed");
        drop(r);
    }
    let before = s.compression_stats().unwrap();
    let got = rows(&mut s, &format!("SELECT REPEAT('x', {TWENTY_MIB})")).await;
    assert_eq!(got[0][0].len(), TWENTY_MIB);
    let after = s.compression_stats().unwrap();
    let wire = after.wire_received - before.wire_received;
    assert!(
        after.plain_received - before.plain_received > TWENTY_MIB as u64,
        "the row and its framing"
    );
    assert!(wire < (TWENTY_MIB / 100) as u64, "{wire} bytes on the wire");
    // The same statement's binary rows too.
    let st = s.prepare("SELECT v FROM big WHERE id = ?").await.unwrap();
    let mut r = s.execute(&st, &[&2i32]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    let v: &[u8] = row.get(0).unwrap().unwrap();
    assert_eq!(sha(v), sha(&b));
}

#[tokio::test]
async fn every_kind_of_command_works_compressed() {
    for eof in [true, false] {
        let mut s = connect(&format!(
            "compress=zlib&deprecate-eof={eof}&multi-statements=true&fetch-size=0"
        ))
        .await;
        // A pipeline (every command its own compressed packet run), with a failure inside
        // and a multi-result query.
        let queries = [
            "SELECT 'a'",
            "SELECT * FROM no_such_table",
            "SELECT 'c'; SELECT 'd'",
            "SELECT seq FROM seq_1_to_3000",
        ];
        let mut p = s.pipeline(queries).await.unwrap();
        let mut r = p.next().await.unwrap().unwrap();
        assert_eq!(all_rows(&mut r).await, [["a"]]);
        drop(r);
        match p.next().await.unwrap() {
            Err(Error::Server(e)) => assert_eq!(e.code, 1146),
            Err(e) => panic!("expected ERR 1146, got {e}"),
            Ok(_) => panic!("expected ERR 1146"),
        }
        let mut r = p.next().await.unwrap().unwrap();
        assert_eq!(all_rows(&mut r).await, [["c"], ["d"]]);
        drop(r);
        let mut r = p.next().await.unwrap().unwrap();
        let n = all_rows(&mut r).await;
        assert_eq!(n.len(), 3000);
        assert_eq!(n[2999][0], "3000");
        drop(r);
        assert!(p.next().await.is_none());
        drop(p);
        // Prepared statements: parameters, binary rows, a bulk insert, pipelined executes and
        // a cursor.
        s.query_drop("CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, name VARCHAR(50), x DOUBLE)")
            .await
            .unwrap();
        let ins = s.prepare("INSERT INTO t VALUES (?, ?, ?)").await.unwrap();
        let names: Vec<String> = (0..1000).map(|i| format!("name-{i}")).collect();
        let ids: Vec<i32> = (0..1000).collect();
        let xs: Vec<f64> = (0..1000).map(|i| f64::from(i) / 8.0).collect();
        let rows_: Vec<[&dyn ToParam; 3]> = (0..1000)
            .map(|i| [&ids[i] as &dyn ToParam, &names[i], &xs[i]])
            .collect();
        assert_eq!(
            s.exec_batch(&ins, &rows_).await.unwrap().affected_rows,
            1000
        );
        let sel = s
            .prepare("SELECT id, name, x FROM t WHERE id >= ? ORDER BY id")
            .await
            .unwrap();
        let mut r = s.execute(&sel, &[&990i32]).await.unwrap();
        let got = all_rows(&mut r).await;
        drop(r);
        assert_eq!(got.len(), 10);
        assert_eq!(got[9], ["999", "name-999", "124.875"]);
        let mut r = s.execute_cursor(&sel, &[&0i32], 64).await.unwrap();
        assert_eq!(all_rows(&mut r).await.len(), 1000);
        drop(r);
        let one = s.prepare("SELECT name FROM t WHERE id = ?").await.unwrap();
        let keys: Vec<i32> = (0..300).map(|i| i * 3).collect();
        let params: Vec<[&dyn ToParam; 1]> = keys.iter().map(|k| [k as &dyn ToParam]).collect();
        let mut p = s.pipeline_executes(&one, &params).await.unwrap();
        for k in &keys {
            let mut r = p.next().await.unwrap().unwrap();
            assert_eq!(all_rows(&mut r).await, [[format!("name-{k}")]]);
        }
        drop(p);
        // The session is still in step.
        assert_eq!(rows(&mut s, "SELECT COUNT(*) FROM t").await, [["1000"]]);
        s.ping().await.unwrap();
        s.reset().await.unwrap();
        assert_eq!(rows(&mut s, "SELECT 1").await, [["1"]]);
    }
}

#[tokio::test]
async fn local_infile_is_still_refused_compressed() {
    let mut s = connect("compress=zlib").await;
    s.query_drop("CREATE TEMPORARY TABLE li (a TEXT)")
        .await
        .unwrap();
    match s
        .query_drop("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE li")
        .await
    {
        Err(Error::LocalInfileRefused(r)) => assert_eq!(r.name, "/etc/passwd"),
        // A server with local_infile off refuses first.
        Err(Error::Server(_)) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(rows(&mut s, "SELECT COUNT(*) FROM li").await, [["0"]]);
}

#[tokio::test]
async fn the_first_algorithm_the_server_offers_is_used() {
    // MariaDB offers zlib only: zstd alone is an uncompressed session, as the protocol has
    // it, and the session says so.
    for (param, want) in [
        ("compress=zstd", None),
        ("compress=zstd,zlib", Some(Compression::Zlib)),
        ("compress=zlib,zstd", Some(Compression::Zlib)),
        ("compress=on", Some(Compression::Zlib)),
        ("compress=off", None),
        ("compress=zstd,uncompressed", None),
    ] {
        let mut s = connect(param).await;
        assert_eq!(s.compression(), want, "{param}");
        let status = rows(&mut s, "SHOW SESSION STATUS LIKE 'Compression'").await;
        let on = if want.is_some() { "ON" } else { "OFF" };
        assert_eq!(status, [["Compression", on]], "{param}");
        assert_eq!(s.compression_stats().is_some(), want.is_some(), "{param}");
    }
    let e = Options::from_url(&format!("{}?compress=lz4", server().url())).unwrap_err();
    assert!(e.to_string().contains("compress: "), "{e}");
    let e = Options::from_url(&format!("{}?compress-level=23", server().url())).unwrap_err();
    assert!(e.to_string().contains("compress-level: "), "{e}");
}

#[tokio::test]
async fn compressed_and_tls_together() {
    let mut s = connect("compress=zlib&ssl-mode=REQUIRED&compress-level=9").await;
    assert!(s.is_tls());
    assert_eq!(s.compression(), Some(Compression::Zlib));
    let got = rows(
        &mut s,
        "SELECT REPEAT('ab', 50000), @@ssl_cipher IS NOT NULL",
    )
    .await;
    assert_eq!(got[0][0].len(), 100_000);
    let st = s.compression_stats().unwrap();
    assert!(st.wire_received < st.plain_received / 10, "{st:?}");
}

#[test]
fn the_blocking_session_compresses_too() {
    let mut s = blocking::Session::connect(opts("compress=zlib&multi-statements=true")).unwrap();
    assert_eq!(s.compression(), Some(Compression::Zlib));
    let mut r = s
        .query("SELECT seq, REPEAT('z', seq) FROM seq_1_to_2000")
        .unwrap();
    let mut n = 0u64;
    while let Some(row) = r.next_row().unwrap() {
        n += 1;
        let seq: u64 = row.get(0).unwrap().unwrap();
        let z: &str = row.get(1).unwrap().unwrap();
        assert_eq!((seq, z.len() as u64), (n, n));
    }
    drop(r);
    assert_eq!(n, 2000);
    let big = noise(TWENTY_MIB, 3);
    let st = s.prepare("SELECT LENGTH(?), SHA2(?, 256)").unwrap();
    let mut r = s.execute(&st, &[&big, &big]).unwrap();
    let row = r.next_row().unwrap().unwrap();
    assert_eq!(row.text(0).unwrap(), big.len().to_string());
    assert_eq!(row.text(1).unwrap(), sha(&big));
    drop(r);
    let mut p = s.pipeline(["SELECT 1", "SELECT 2; SELECT 3"]).unwrap();
    let mut got = Vec::new();
    while let Some(r) = p.next() {
        let mut r = r.unwrap();
        loop {
            while let Some(row) = r.next_row().unwrap() {
                got.push(row.text(0).unwrap().into_owned());
            }
            if !r.next_result().unwrap() {
                break;
            }
        }
    }
    assert_eq!(got, ["1", "2", "3"]);
}
