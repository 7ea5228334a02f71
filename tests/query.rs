//! Queries and result sets against the throwaway MariaDB, with and without
//! CLIENT_DEPRECATE_EOF.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a `QueryResult` is abandoned (possibly unread): that is what
// these tests exercise, even though the type has no `Drop` impl.
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::codec::response::SessionStateChange;
use mywire::codec::{ColumnType, StatusFlags};
use mywire::{Error, Options, Session};
use sha2::{Digest, Sha256};
use support::server;
use support::wire::Wire;

/// Both ways of ending a result set, uncompressed and compressed.
const EOF_MODES: [Wire; 4] = Wire::ALL;

/// The test server's URL with `deprecate-eof`, `compress` and extra parameters (`a=b&c=d`).
fn url(eof: Wire, extra: &str) -> String {
    let mut u = format!("{}?{}", server().url(), eof.params());
    if !extra.is_empty() {
        u.push('&');
        u.push_str(extra);
    }
    u
}

async fn connect(eof: Wire, extra: &str) -> Session {
    let u = url(eof, extra);
    let s = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {u}: {e}"));
    assert_eq!(
        s.capabilities()
            .contains(mywire::codec::CapabilityFlags::DEPRECATE_EOF),
        eof.deprecate_eof
    );
    let want = eof.compress.then_some(mywire::Compression::Zlib);
    assert_eq!(s.compression(), want, "{u}");
    s
}

type Rows = Vec<Vec<Option<String>>>;

/// All rows of the current result set, as text.
async fn read_rows(r: &mut mywire::session::QueryResult<'_>) -> Rows {
    let mut out = Vec::new();
    while let Some(row) = r.next_row().await.expect("row") {
        out.push(
            (0..row.len())
                .map(|i| row.text(i).map(|c| c.into_owned()))
                .collect(),
        );
    }
    out
}

async fn rows(s: &mut Session, sql: &str) -> Rows {
    let mut r = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let out = read_rows(&mut r).await;
    assert!(!r.has_more_results(), "{sql}: unexpected further results");
    out
}

fn row(cells: &[&str]) -> Vec<Option<String>> {
    cells.iter().map(|c| Some(c.to_string())).collect()
}

fn server_code(e: &Error) -> u16 {
    match e {
        Error::Server(se) => se.code,
        other => panic!("expected Error::Server, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_result_has_columns_and_no_rows() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s
            .query("SELECT 1 AS a, 'x' AS b FROM DUAL WHERE 1 = 0")
            .await
            .unwrap();
        assert!(r.is_result_set());
        let names: Vec<String> = r.columns().iter().map(|c| c.name().into_owned()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(r.next_row().await.unwrap().is_none());
        // The end stays the end.
        assert!(r.next_row().await.unwrap().is_none());
        assert!(!r.next_result().await.unwrap());
        assert!(!r.has_more_results());
        drop(r);
        assert!(s.status().contains(StatusFlags::AUTOCOMMIT));
        assert_eq!(rows(&mut s, "SELECT 7").await, vec![row(&["7"])]);
    }
}

#[tokio::test]
async fn nulls_are_none_and_distinct_from_empty_strings() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s
            .query("SELECT NULL, '', 1, NULL UNION ALL SELECT 'a', NULL, NULL, 2")
            .await
            .unwrap();
        let r1 = r.next_row().await.unwrap().unwrap();
        assert_eq!(r1.len(), 4);
        assert!(r1.is_null(0) && r1.bytes(0).is_none() && r1.text(0).is_none());
        assert!(!r1.is_null(1));
        assert_eq!(r1.bytes(1), Some(&b""[..]));
        assert_eq!(r1.get::<i64>(2).unwrap(), Some(1));
        assert_eq!(r1.get::<i64>(3).unwrap(), None);
        assert_eq!(r1.get::<String>(0).unwrap(), None);
        let r2 = r.next_row().await.unwrap().unwrap();
        assert_eq!(r2.get::<&str>(0).unwrap(), Some("a"));
        assert!(r2.is_null(1) && r2.is_null(2));
        assert_eq!(r2.get::<i64>(3).unwrap(), Some(2));
        assert!(r.next_row().await.unwrap().is_none());
        // Out-of-range index: NULL-ish for bytes, a usage error for get.
        drop(r);
        let mut r = s.query("SELECT 1").await.unwrap();
        let r1 = r.next_row().await.unwrap().unwrap();
        assert!(r1.bytes(5).is_none());
        assert!(matches!(r1.get::<i64>(5), Err(Error::Usage(_))));
    }
}

#[tokio::test]
async fn utf8mb4_text_with_emoji_round_trips() {
    const TEXT: &str = "héllo wörld — 日本語 🎉🦀 𝄞 Ω";
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        s.query_drop(
            "CREATE TEMPORARY TABLE uni (id INT PRIMARY KEY, t VARCHAR(100) \
             CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)",
        )
        .await
        .unwrap();
        let ok = s
            .query_drop(&format!("INSERT INTO uni VALUES (1, '{TEXT}')"))
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, 1);
        assert_eq!(ok.warnings, 0, "the insert must not truncate or replace");
        let mut r = s
            .query("SELECT t, CHAR_LENGTH(t), LENGTH(t), HEX(t) FROM uni")
            .await
            .unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.bytes(0), Some(TEXT.as_bytes()));
        assert_eq!(row.get::<&str>(0).unwrap(), Some(TEXT));
        assert_eq!(
            row.get::<u64>(1).unwrap(),
            Some(TEXT.chars().count() as u64)
        );
        assert_eq!(row.get::<u64>(2).unwrap(), Some(TEXT.len() as u64));
        let hex: String = TEXT.bytes().map(|b| format!("{b:02X}")).collect();
        assert_eq!(row.get::<&str>(3).unwrap(), Some(hex.as_str()));
        // The server converts to character_set_results and reports the connection's
        // collation (45, utf8mb4_general_ci, as sent in the handshake), not the column's.
        assert_eq!(r.columns()[0].charset, 45);
        drop(r);
        // A literal in the select list comes back as sent too.
        assert_eq!(
            rows(&mut s, &format!("SELECT '{TEXT}'")).await,
            vec![row_of(TEXT)]
        );
    }
}

fn row_of(t: &str) -> Vec<Option<String>> {
    vec![Some(t.to_string())]
}

#[tokio::test]
async fn insert_and_update_report_affected_rows_and_insert_id() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        s.query_drop(
            "CREATE TEMPORARY TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT = 100",
        )
        .await
        .unwrap();
        let r = s
            .query("INSERT INTO ai (v) VALUES (1), (2), (3)")
            .await
            .unwrap();
        assert!(!r.is_result_set());
        assert!(r.columns().is_empty());
        assert_eq!(r.affected_rows(), 3);
        // Multi-row insert: the id of the first row.
        assert_eq!(r.last_insert_id(), 100);
        assert!(r.ok().info.contains("Records: 3"), "{:?}", r.ok().info);
        drop(r);
        let ok = s.query_drop("INSERT INTO ai (v) VALUES (4)").await.unwrap();
        assert_eq!((ok.affected_rows, ok.last_insert_id), (1, 103));
        assert_eq!(s.last_ok().last_insert_id, 103);
        assert_eq!(
            rows(&mut s, "SELECT LAST_INSERT_ID()").await,
            vec![row(&["103"])]
        );

        let ok = s
            .query_drop("UPDATE ai SET v = v + 10 WHERE v >= 2")
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, 3);
        assert_eq!(ok.last_insert_id, 0);
        assert!(
            ok.info.contains("Rows matched: 3") && ok.info.contains("Changed: 3"),
            "{:?}",
            ok.info
        );
        // Matched but unchanged rows are not affected.
        let ok = s
            .query_drop("UPDATE ai SET v = 1 WHERE id = 100")
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, 0);
        let ok = s.query_drop("DELETE FROM ai WHERE v > 10").await.unwrap();
        assert_eq!(ok.affected_rows, 3);
        assert_eq!(
            rows(&mut s, "SELECT id, v FROM ai").await,
            vec![row(&["100", "1"])]
        );
    }
}

#[tokio::test]
async fn schema_and_autocommit_changes_arrive_through_session_tracking() {
    server().sql("CREATE DATABASE IF NOT EXISTS mywire_db2");
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let tracked = rows(&mut s, "SELECT @@session_track_system_variables").await;
        let tracked = tracked[0][0].clone().unwrap();
        assert!(
            tracked.split(',').any(|v| v == "autocommit"),
            "session_track_system_variables = {tracked}"
        );
        assert_eq!(
            rows(&mut s, "SELECT @@session_track_schema").await,
            vec![row(&["1"])]
        );

        let ok = s.query_drop("USE mywire_db2").await.unwrap();
        assert!(ok.status.contains(StatusFlags::SESSION_STATE_CHANGED));
        assert!(
            ok.session_state
                .contains(&SessionStateChange::Schema("mywire_db2".into())),
            "{:?}",
            ok.session_state
        );
        assert_eq!(s.last_ok().session_state, ok.session_state);
        assert_eq!(
            rows(&mut s, "SELECT DATABASE()").await,
            vec![row(&["mywire_db2"])]
        );

        let ok = s.query_drop("SET autocommit = 0").await.unwrap();
        assert!(
            ok.session_state
                .contains(&SessionStateChange::SystemVariable {
                    name: "autocommit".into(),
                    value: "OFF".into()
                }),
            "{:?}",
            ok.session_state
        );
        assert!(!s.status().contains(StatusFlags::AUTOCOMMIT));
        let ok = s.query_drop("SET autocommit = 1").await.unwrap();
        assert!(ok
            .session_state
            .contains(&SessionStateChange::SystemVariable {
                name: "autocommit".into(),
                value: "ON".into()
            }));
        assert!(s.status().contains(StatusFlags::AUTOCOMMIT));
        // init_db is tracked too.
        s.init_db(support::DATABASE).await.unwrap();
        assert!(s
            .last_ok()
            .session_state
            .contains(&SessionStateChange::Schema(support::DATABASE.into())));
        // A plain statement carries no changes.
        let ok = s.query_drop("DO 1").await.unwrap();
        assert!(ok.session_state.is_empty(), "{:?}", ok.session_state);
    }
    // Without CLIENT_SESSION_TRACK nothing is reported, and the OK still parses.
    let mut s = connect(Wire::PLAIN, "session-track=false").await;
    let ok = s.query_drop("USE mywire_db2").await.unwrap();
    assert!(ok.session_state.is_empty());
}

#[tokio::test]
async fn multi_statements_give_several_results_in_order() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "multi-statements=true").await;
        s.query_drop("CREATE TEMPORARY TABLE ms (v INT)")
            .await
            .unwrap();
        s.query_drop("INSERT INTO ms VALUES (1), (2), (3)")
            .await
            .unwrap();
        let mut r = s
            .query("SELECT 1 AS one; SELECT 2 AS two, 3 AS three; UPDATE ms SET v = v + 1 WHERE v > 1; SELECT 'x' AS ex")
            .await
            .unwrap();
        // 1st: SELECT 1
        assert!(r.is_result_set());
        assert_eq!(r.columns().len(), 1);
        assert_eq!(r.columns()[0].name(), "one");
        assert_eq!(read_rows(&mut r).await, vec![row(&["1"])]);
        assert!(r.has_more_results());
        assert!(r.ok().status.contains(StatusFlags::MORE_RESULTS_EXISTS));
        // 2nd: SELECT 2, 3
        assert!(r.next_result().await.unwrap());
        assert!(r.is_result_set());
        let names: Vec<_> = r.columns().iter().map(|c| c.name().into_owned()).collect();
        assert_eq!(names, ["two", "three"]);
        assert_eq!(read_rows(&mut r).await, vec![row(&["2", "3"])]);
        assert!(r.has_more_results());
        // 3rd: the UPDATE's OK
        assert!(r.next_result().await.unwrap());
        assert!(!r.is_result_set());
        assert!(r.columns().is_empty());
        assert_eq!(r.affected_rows(), 2);
        assert!(r.ok().status.contains(StatusFlags::MORE_RESULTS_EXISTS));
        assert!(r.has_more_results());
        assert!(r.next_row().await.unwrap().is_none(), "an OK has no rows");
        // 4th: SELECT 'x'
        assert!(r.next_result().await.unwrap());
        assert_eq!(r.columns()[0].name(), "ex");
        assert_eq!(read_rows(&mut r).await, vec![row(&["x"])]);
        assert!(!r.has_more_results());
        assert!(!r.ok().status.contains(StatusFlags::MORE_RESULTS_EXISTS));
        assert!(!r.next_result().await.unwrap());
        drop(r);
        // next_result skips unread rows of the current result set.
        let mut r = s
            .query("SELECT seq FROM seq_1_to_50; SELECT 'tail'")
            .await
            .unwrap();
        assert!(r.next_row().await.unwrap().is_some());
        assert!(r.next_result().await.unwrap());
        assert_eq!(read_rows(&mut r).await, vec![row(&["tail"])]);
        drop(r);
        assert_eq!(
            rows(&mut s, "SELECT v FROM ms ORDER BY v").await,
            vec![row(&["1"]), row(&["3"]), row(&["4"])]
        );
        // query_drop runs them all and returns the last OK.
        let ok = s
            .query_drop("UPDATE ms SET v = 0 WHERE v = 1; SELECT 1; UPDATE ms SET v = v * 2")
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, 2);
        assert_eq!(
            rows(&mut s, "SELECT SUM(v) FROM ms").await,
            vec![row(&["14"])]
        );
    }
}

#[tokio::test]
async fn error_inside_multi_statement_stops_there_and_session_stays_usable() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "multi-statements=true").await;
        let mut r = s
            .query("SELECT 1; SELECT * FROM no_such_table_x; SELECT 3")
            .await
            .unwrap();
        assert_eq!(read_rows(&mut r).await, vec![row(&["1"])]);
        assert!(r.has_more_results());
        let e = r.next_result().await.unwrap_err();
        assert_eq!(server_code(&e), 1146, "{e}");
        assert_eq!(e.server_error().unwrap().sql_state, "42S02");
        // The server stops at the error: nothing more.
        assert!(!r.has_more_results());
        assert!(!r.next_result().await.unwrap());
        drop(r);
        assert!(!s.is_broken());
        assert_eq!(rows(&mut s, "SELECT 'after'").await, vec![row(&["after"])]);

        // The same through query_drop, and an error as the very first statement.
        let e = s
            .query_drop("DO 1; SELECT * FROM no_such_table_x; SELECT 3")
            .await
            .unwrap_err();
        assert_eq!(server_code(&e), 1146);
        assert_eq!(rows(&mut s, "SELECT 'again'").await, vec![row(&["again"])]);
        let e = s.query("SELEKT 1; SELECT 2").await.unwrap_err();
        assert_eq!(server_code(&e), 1064);
        assert_eq!(rows(&mut s, "SELECT 'third'").await, vec![row(&["third"])]);
        // An error after unread rows: dropping the result drains through the error.
        let r = s
            .query("SELECT seq FROM seq_1_to_10; SELECT * FROM no_such_table_x; SELECT 3")
            .await
            .unwrap();
        drop(r);
        assert_eq!(
            rows(&mut s, "SELECT 'fourth'").await,
            vec![row(&["fourth"])]
        );
        s.ping().await.unwrap();
    }
}

#[tokio::test]
async fn multi_statements_are_refused_unless_negotiated() {
    let mut s = connect(Wire::PLAIN, "").await;
    let e = s.query("SELECT 1; SELECT 2").await.unwrap_err();
    assert_eq!(server_code(&e), 1064);
    assert_eq!(rows(&mut s, "SELECT 'ok'").await, vec![row(&["ok"])]);
}

/// CLIENT_FOUND_ROWS (`found-rows`): an UPDATE that matches a row without changing it counts
/// it; without the flag it counts only changed rows (the server's default).
#[tokio::test]
async fn found_rows_counts_matched_rows_of_an_update() {
    for (extra, want) in [("", 0), ("found-rows=true", 1)] {
        let mut s = connect(Wire::PLAIN, extra).await;
        assert_eq!(
            s.capabilities()
                .contains(mywire::codec::CapabilityFlags::FOUND_ROWS),
            want == 1
        );
        s.query_drop("CREATE TEMPORARY TABLE fr (id INT PRIMARY KEY, v INT)")
            .await
            .unwrap();
        s.query_drop("INSERT INTO fr VALUES (1, 5)").await.unwrap();
        let ok = s
            .query_drop("UPDATE fr SET v = 5 WHERE id = 1")
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, want, "{extra:?}");
    }
}

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A 20 MiB LONGBLOB built server-side with REPEAT, and another sent as a 20 MiB query
/// literal, both read back exactly.
#[tokio::test]
async fn twenty_mib_blob_round_trips_both_ways() {
    const N: usize = 20 * 1024 * 1024;
    // Pseudo-random, but only characters that need no escaping in a SQL literal.
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut literal = Vec::with_capacity(N);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..N {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        literal.push(ALPHA[(x >> 26) as usize]);
    }
    let repeated = b"0123456789abcdef".repeat(N / 16);
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        s.query_drop("CREATE TEMPORARY TABLE big (id INT PRIMARY KEY, b LONGBLOB)")
            .await
            .unwrap();
        let ok = s
            .query_drop(&format!(
                "INSERT INTO big VALUES (1, REPEAT('0123456789abcdef', {}))",
                N / 16
            ))
            .await
            .unwrap();
        assert_eq!(ok.affected_rows, 1);
        // The query itself is > 20 MiB: sent as two 16 MiB-split packets.
        let mut q = b"INSERT INTO big VALUES (2, '".to_vec();
        q.extend_from_slice(&literal);
        q.extend_from_slice(b"')");
        let q = String::from_utf8(q).unwrap();
        assert!(q.len() > N);
        let ok = s.query_drop(&q).await.unwrap();
        assert_eq!(ok.affected_rows, 1);

        let mut r = s
            .query("SELECT id, b, LENGTH(b), SHA2(b, 256) FROM big ORDER BY id")
            .await
            .unwrap();
        for (id, want) in [(1u32, &repeated), (2, &literal)] {
            let row = r.next_row().await.unwrap().unwrap();
            assert_eq!(row.get::<u32>(0).unwrap(), Some(id));
            let got = row.bytes(1).unwrap();
            assert_eq!(got.len(), N, "row {id}");
            assert!(got == &want[..], "row {id}: content differs");
            assert_eq!(row.get::<u64>(2).unwrap(), Some(N as u64));
            let server_sha = row.get::<String>(3).unwrap().unwrap();
            assert_eq!(server_sha, sha256(got), "row {id}");
            assert_eq!(server_sha, sha256(want), "row {id}");
        }
        assert!(r.next_row().await.unwrap().is_none());
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'small'").await, vec![row(&["small"])]);
    }
}

/// A first value of exactly 16 MiB makes the row packet start with 0xFE (the 8-byte
/// length prefix), like an EOF/OK header; it must still be read as a row.
#[tokio::test]
async fn sixteen_mib_first_value_row_starts_with_fe_and_is_a_row() {
    const N: usize = 16_777_216;
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s
            .query(&format!("SELECT REPEAT('z', {N}) AS big, 'after' AS tail"))
            .await
            .unwrap();
        {
            let row = r.next_row().await.unwrap().expect("a row, not the end");
            let p = row.packet();
            assert_eq!(p[0], 0xFE);
            assert_eq!(&p[1..9], &(N as u64).to_le_bytes());
            assert!(p.len() >= 0xFF_FFFF);
            let b = row.bytes(0).unwrap();
            assert_eq!(b.len(), N);
            assert!(b.iter().all(|&c| c == b'z'));
            assert_eq!(row.get::<&str>(1).unwrap(), Some("after"));
        }
        assert!(r.next_row().await.unwrap().is_none());
        assert!(!r.has_more_results());
        drop(r);
        // A row payload of exactly 0xFFFFFF bytes (4-byte prefix + 16,777,211 bytes) is
        // followed by an empty continuation packet.
        let len = 0xFF_FFFF - 4;
        let mut r = s
            .query(&format!("SELECT REPEAT('q', {len})"))
            .await
            .unwrap();
        {
            let row = r.next_row().await.unwrap().unwrap();
            assert_eq!(row.packet().len(), 0xFF_FFFF);
            assert_eq!(row.bytes(0).unwrap().len(), len);
        }
        assert!(r.next_row().await.unwrap().is_none());
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'next'").await, vec![row(&["next"])]);
    }
}

#[tokio::test]
async fn new_query_drains_the_unread_previous_result() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "multi-statements=true").await;
        // Partly read.
        let mut r = s.query("SELECT seq FROM seq_1_to_1000").await.unwrap();
        assert_eq!(
            r.next_row().await.unwrap().unwrap().get::<u32>(0).unwrap(),
            Some(1)
        );
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'B'").await, vec![row(&["B"])]);
        // Not read at all, with more results behind it.
        let r = s
            .query("SELECT seq FROM seq_1_to_1000; SELECT 'a2'; DO 1")
            .await
            .unwrap();
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'C'").await, vec![row(&["C"])]);
        // drain() explicitly, then other commands.
        let r = s.query("SELECT seq FROM seq_1_to_100").await.unwrap();
        r.drain().await.unwrap();
        let _ = s.query("SELECT 'unread'").await.unwrap();
        s.ping().await.unwrap();
        let _ = s.query("SELECT 'unread'").await.unwrap();
        assert!(s.statistics().await.unwrap().contains("Uptime"));
        let _ = s.query("SELECT 'unread'").await.unwrap();
        s.init_db(support::DATABASE).await.unwrap();
        let _ = s.query("SELECT 'unread'").await.unwrap();
        assert_eq!(rows(&mut s, "SELECT 'D'").await, vec![row(&["D"])]);
    }
}

#[tokio::test]
async fn raw_ping_command_reads_an_ok_payload() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        s.send_command(&[0x0e]).await.unwrap();
        let f = s.read_packet().await.unwrap();
        assert_eq!(f.seq, 1);
        assert_eq!(f.payload[0], 0x00, "OK header: {:02x?}", &f.payload[..]);
        let ok = mywire::codec::response::parse_ok(&f.payload, s.capabilities()).unwrap();
        assert_eq!(ok.affected_rows, 0);
        assert!(ok.status.contains(StatusFlags::AUTOCOMMIT));
        // A raw COM_QUERY read packet by packet.
        let mut q = vec![0x03];
        q.extend_from_slice(b"SELECT 5");
        s.send_command(&q).await.unwrap();
        let count = s.read_packet().await.unwrap();
        // With MariaDB's CACHE_METADATA the count is followed by metadata_follows (1).
        let cache = s
            .engine()
            .mariadb_capabilities()
            .contains(mywire::codec::MariaDbCapabilities::CACHE_METADATA);
        let want: &[u8] = if cache { &[1, 1] } else { &[1] };
        assert_eq!(&count.payload[..], want);
        let col = s.read_packet().await.unwrap();
        let col = mywire::codec::resultset::parse_column_definition(&col.payload, false).unwrap();
        assert_eq!(col.column_type, ColumnType::LONG);
        if !eof.deprecate_eof {
            let e = s.read_packet().await.unwrap();
            assert_eq!(e.payload[0], 0xFE);
        }
        let r = s.read_packet().await.unwrap();
        assert_eq!(&r.payload[..], &[1, b'5']);
        let end = s.read_packet().await.unwrap();
        assert_eq!(end.payload[0], 0xFE);
        assert!(end.payload.len() < 0xFF_FFFF);
        // The session works normally after a completed raw exchange.
        assert_eq!(rows(&mut s, "SELECT 'x'").await, vec![row(&["x"])]);
    }
}

#[tokio::test]
async fn hundred_thousand_rows_stream_completely() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s
            .query("SELECT seq, CONCAT('row-', seq) FROM seq_1_to_100000")
            .await
            .unwrap();
        let (mut n, mut sum, mut last) = (0u64, 0u64, 0u64);
        while let Some(row) = r.next_row().await.unwrap() {
            let v: u64 = row.get(0).unwrap().unwrap();
            assert_eq!(v, last + 1, "rows in order, none lost");
            assert_eq!(row.get::<&str>(1).unwrap().unwrap(), format!("row-{v}"));
            last = v;
            sum += v;
            n += 1;
        }
        assert_eq!(n, 100_000);
        assert_eq!(sum, 100_000 * 100_001 / 2);
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'done'").await, vec![row(&["done"])]);
    }
}

#[tokio::test]
async fn error_in_the_middle_of_the_rows_ends_the_result() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s
            .query("SELECT seq, IF(seq = 5, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_10")
            .await
            .unwrap();
        let mut got = Vec::new();
        let e = loop {
            match r.next_row().await {
                Ok(Some(row)) => got.push(row.get::<u32>(0).unwrap().unwrap()),
                Ok(None) => panic!("expected an error after rows {got:?}"),
                Err(e) => break e,
            }
        };
        assert_eq!(server_code(&e), 1242, "{e}");
        assert!(got.len() < 5, "{got:?}");
        assert!(r.next_row().await.unwrap().is_none());
        assert!(!r.has_more_results());
        drop(r);
        assert!(!s.is_broken());
        assert_eq!(rows(&mut s, "SELECT 'ok'").await, vec![row(&["ok"])]);
    }
}

#[tokio::test]
async fn query_of_exactly_one_full_packet_is_followed_by_an_empty_one() {
    // 1 command byte + SQL = 0xFFFFFF bytes: the payload fills one packet exactly and the
    // protocol requires an empty packet after it.
    let prefix = "SELECT LENGTH('";
    let suffix = "')";
    let n = 0xFF_FFFF - 1 - prefix.len() - suffix.len();
    let sql = format!("{prefix}{}{suffix}", "k".repeat(n));
    assert_eq!(sql.len() + 1, 0xFF_FFFF);
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        assert_eq!(rows(&mut s, &sql).await, vec![row(&[&n.to_string()])]);
        assert_eq!(rows(&mut s, "SELECT 'next'").await, vec![row(&["next"])]);
    }
}

#[tokio::test]
async fn read_timeout_breaks_the_session_quickly() {
    let mut s = connect(Wire::PLAIN, "read-timeout=0.5").await;
    let t0 = std::time::Instant::now();
    let e = s.query("SELECT SLEEP(5)").await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(3));
    assert!(s.is_broken());
    assert!(matches!(s.ping().await, Err(Error::Broken(_))));
}

#[tokio::test]
async fn row_larger_than_max_packet_is_an_error_not_a_hang() {
    let mut s = connect(Wire::PLAIN, "max-packet=1048576").await;
    let mut r = s.query("SELECT REPEAT('a', 2000000)").await.unwrap();
    let e = tokio::time::timeout(std::time::Duration::from_secs(30), r.next_row())
        .await
        .expect("hung")
        .unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    drop(r);
    assert!(s.is_broken());
}

#[tokio::test]
async fn load_data_local_infile_is_refused_without_sending_a_file() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        s.query_drop("CREATE TEMPORARY TABLE li (l TEXT)")
            .await
            .unwrap();
        let e = s
            .query_drop("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE li")
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Server(_) | Error::LocalInfileRefused(_)),
            "{e:?}"
        );
        assert!(!s.is_broken());
        assert_eq!(
            rows(&mut s, "SELECT COUNT(*) FROM li").await,
            vec![row(&["0"])]
        );
    }
}

#[tokio::test]
async fn warnings_of_a_result_set_are_reported_at_its_end() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s.query("SELECT 1/0, CAST('x1' AS INT)").await.unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert!(row.is_null(0));
        assert!(r.next_row().await.unwrap().is_none());
        assert_eq!(r.ok().warnings, 2, "eof={eof}");
        drop(r);
        assert_eq!(rows(&mut s, "SHOW WARNINGS").await.len(), 2);
    }
}

/// A raw `send_command` whose response the caller did not read: the session follows raw
/// exchanges with the trace decoder's state machine, so the next command drains exactly that
/// response and never reads the raw command's rows as its own.
#[tokio::test]
async fn raw_exchange_left_unread_must_not_leak_into_next_query() {
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut q = vec![0x03];
        q.extend_from_slice(b"SELECT 'stale' AS n");
        s.send_command(&q).await.unwrap();
        // Give the answer time to arrive, then start a normal query without reading it.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        match s.query("SELECT 'next' AS n").await {
            Ok(mut r) => {
                let got = read_rows(&mut r).await;
                assert_eq!(got, vec![row(&["next"])], "eof={eof}: stale rows delivered");
            }
            Err(e) => panic!("eof={eof}: {e:?}"),
        }
    }
}

/// A raw command the session cannot follow (an unknown command byte) must be ended explicitly:
/// a new command before that is a usage error, and the session stays usable after `end_raw`.
#[tokio::test]
async fn raw_exchange_of_unknown_command_needs_end_raw() {
    let mut s = connect(Wire::PLAIN, "").await;
    // COM_SLEEP (0x00) is answered with an ERR; the session cannot know that in advance.
    s.send_command(&[0x00]).await.unwrap();
    let f = s.read_packet().await.unwrap();
    assert_eq!(f.payload.first(), Some(&0xFF));
    match s.query("SELECT 1").await {
        Err(mywire::Error::Usage(m)) => assert!(m.contains("end_raw"), "{m}"),
        other => panic!("expected a usage error, got {:?}", other.map(|_| ())),
    }
    assert!(!s.is_broken());
    s.end_raw();
    assert_eq!(rows(&mut s, "SELECT 'after'").await, vec![row(&["after"])]);
}

/// The async session's `next_row_received`: every row once, in order, with `next_row` only
/// when nothing is received; then the end, and the session goes on.
#[tokio::test]
async fn rows_already_received_are_taken_without_reading() {
    use mywire::session::Received;
    for eof in EOF_MODES {
        let mut s = connect(eof, "").await;
        let mut r = s.query("SELECT seq FROM seq_1_to_20000").await.unwrap();
        let mut seen = Vec::new();
        loop {
            match r.next_row_received().unwrap() {
                Received::Row(row) => seen.push(row.get::<u32>(0).unwrap().unwrap()),
                Received::End => break,
                Received::NotYet => match r.next_row().await.unwrap() {
                    Some(row) => seen.push(row.get::<u32>(0).unwrap().unwrap()),
                    None => break,
                },
            }
        }
        assert_eq!(seen, (1..=20000).collect::<Vec<u32>>(), "{eof:?}");
        assert!(matches!(r.next_row_received().unwrap(), Received::End));
        drop(r);
        assert_eq!(rows(&mut s, "SELECT 'after'").await, vec![row(&["after"])]);
    }
}
