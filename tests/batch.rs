//! `exec_batch` against the throwaway MariaDB: COM_STMT_BULK_EXECUTE (counted on the wire by
//! a tracer) and pipelined executes give the same table; NULLs and mixed types; a batch larger
//! than one bulk command; a failing row reported with its rows and what the rest did; the
//! width check before anything is sent; the blocking session.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is abandoned, possibly unread (drained by the next call).
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::{Error, Options, Session, ToParam};
use support::commands::{connect_logged, CommandLog};
use support::server;

const BULK: u8 = 0xFA;
const EXECUTE: u8 = 0x17;

async fn connect(extra: &str) -> (Session, CommandLog) {
    connect_logged(extra).await
}

async fn table_dump(s: &mut Session, table: &str) -> Vec<String> {
    let mut r = s
        .query(&format!(
            "SELECT CONCAT_WS('|', IFNULL(a, 'N'), IFNULL(b, 'N'), IFNULL(c, 'N')) \
             FROM {table} ORDER BY id"
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(row) = r.next_row().await.unwrap() {
        out.push(row.get::<String>(0).unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn bulk_and_pipelined_executes_insert_the_same_rows() {
    let mut dumps = Vec::new();
    for (bulk, table) in [(true, "batch_bulk"), (false, "batch_pipe")] {
        let (mut s, t) = connect(&format!("bulk={bulk}")).await;
        s.query_drop(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .unwrap();
        s.query_drop(&format!(
            "CREATE TABLE {table} (id INT PRIMARY KEY AUTO_INCREMENT, a BIGINT, b VARCHAR(40), \
             c DOUBLE)"
        ))
        .await
        .unwrap();
        let st = s
            .prepare(&format!("INSERT INTO {table} (a, b, c) VALUES (?, ?, ?)"))
            .await
            .unwrap();
        // NULLs, a NULL first row (its type comes from a later one), and a type change in
        // column a (i64 then i32) that starts a new bulk command.
        let names: Vec<String> = (0..500).map(|i| format!("name-{i}")).collect();
        let mut rows: Vec<Vec<&dyn ToParam>> = Vec::new();
        let nulls: [Option<i64>; 1] = [None];
        let small: Vec<i32> = (0..500).collect();
        let big: Vec<i64> = (0..500).map(|i| i64::from(i) << 33).collect();
        let floats: Vec<f64> = (0..500).map(|i| f64::from(i) / 4.0).collect();
        for i in 0..500 {
            let a: &dyn ToParam = match i {
                0 => &nulls[0],
                i if i < 300 => &big[i],
                i => &small[i],
            };
            let c: &dyn ToParam = if i % 7 == 3 { &nulls[0] } else { &floats[i] };
            rows.push(vec![a, &names[i], c]);
        }
        t.clear();
        let res = s.exec_batch(&st, &rows).await.unwrap();
        assert_eq!(res.affected_rows, 500);
        assert_eq!(res.last_insert_id, 1, "the first generated id");
        if bulk {
            assert_eq!(t.count(EXECUTE), 0);
            assert_eq!(t.count(BULK), 2, "one command per run of equal types");
        } else {
            assert_eq!(t.count(EXECUTE), 500);
            assert_eq!(t.count(BULK), 0);
        }
        let d = table_dump(&mut s, table).await;
        assert_eq!(d.len(), 500);
        // (Not the ids: a bulk insert reserves AUTO_INCREMENT values per command, as a
        // multi-row INSERT of unknown size does, so they may have gaps.)
        assert_eq!(d[0], "N|name-0|0");
        assert_eq!(d[3], format!("{}|name-3|N", 3i64 << 33));
        assert_eq!(d[499], "499|name-499|124.75");
        dumps.push(d);
        // An empty batch sends nothing.
        t.clear();
        let none: [[&dyn ToParam; 3]; 0] = [];
        assert_eq!(s.exec_batch(&st, &none).await.unwrap().affected_rows, 0);
        assert_eq!(t.count(EXECUTE) + t.count(BULK), 0);
        s.query_drop(&format!("DROP TABLE {table}")).await.unwrap();
    }
    assert_eq!(dumps[0], dumps[1]);
}

#[tokio::test]
async fn a_large_batch_goes_in_several_bulk_commands() {
    let (mut s, t) = connect("").await;
    s.query_drop("DROP TABLE IF EXISTS batch_large")
        .await
        .unwrap();
    s.query_drop("CREATE TABLE batch_large (id INT PRIMARY KEY, v VARCHAR(200))")
        .await
        .unwrap();
    let st = s
        .prepare("INSERT INTO batch_large VALUES (?, ?)")
        .await
        .unwrap();
    let ids: Vec<i32> = (0..20_000).collect();
    let v = "x".repeat(150);
    let rows: Vec<[&dyn ToParam; 2]> = ids.iter().map(|i| [i as &dyn ToParam, &v]).collect();
    t.clear();
    let res = s.exec_batch(&st, &rows).await.unwrap();
    assert_eq!(res.affected_rows, 20_000);
    // ~3.1 MB of rows: more than one command of at most 1 MiB each.
    let n = t.count(BULK);
    assert!((3..=5).contains(&n), "{n} bulk commands");
    let mut r = s
        .query("SELECT COUNT(*), SUM(id), SUM(LENGTH(v)) FROM batch_large")
        .await
        .unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), Some(20_000));
    assert_eq!(row.get::<i64>(1).unwrap(), Some(19_999 * 20_000 / 2));
    assert_eq!(row.get::<i64>(2).unwrap(), Some(150 * 20_000));
    drop(r);
    s.query_drop("DROP TABLE batch_large").await.unwrap();
}

#[tokio::test]
async fn a_failing_row_is_reported_with_what_the_rest_did() {
    for bulk in [true, false] {
        let (mut s, t) = connect(&format!("bulk={bulk}")).await;
        let table = format!("batch_fail_{bulk}");
        s.query_drop(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .unwrap();
        s.query_drop(&format!("CREATE TABLE {table} (id INT PRIMARY KEY)"))
            .await
            .unwrap();
        let st = s
            .prepare(&format!("INSERT INTO {table} VALUES (?)"))
            .await
            .unwrap();
        // Row 5 repeats row 2's key.
        let ids: Vec<i32> = vec![0, 1, 2, 3, 4, 2, 6, 7];
        let rows: Vec<[&dyn ToParam; 1]> = ids.iter().map(|i| [i as &dyn ToParam]).collect();
        let e = s.exec_batch(&st, &rows).await.unwrap_err();
        let Error::Batch(b) = &e else {
            panic!("not a batch error: {e:?}")
        };
        assert_eq!(e.server_error().map(|s| s.code), Some(1062), "{e}");
        if bulk {
            assert_eq!(b.failed_rows, 0..8, "the one bulk command");
            // One statement on InnoDB: the failed command inserted nothing.
            assert_eq!(b.done.affected_rows, 0);
        } else {
            assert_eq!(b.failed_rows, 5..6);
            // The executes already in flight ran.
            assert_eq!(b.done.affected_rows, 7);
        }
        assert!(e.to_string().contains("batch failed at rows"), "{e}");
        // The session goes on.
        let mut r = s
            .query(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .unwrap();
        let n = r.next_row().await.unwrap().unwrap().get::<i64>(0).unwrap();
        drop(r);
        assert_eq!(n, Some(if bulk { 0 } else { 7 }));
        // A row of the wrong width is refused before anything is sent.
        t.clear();
        let bad: Vec<Vec<&dyn ToParam>> = vec![vec![&1i32], vec![&2i32, &3i32]];
        let e = s.exec_batch(&st, &bad).await.unwrap_err();
        assert!(
            matches!(&e, Error::Usage(m) if m.contains("row 1")),
            "{e:?}"
        );
        assert_eq!(t.count(EXECUTE) + t.count(BULK), 0);
        s.query_drop(&format!("DROP TABLE {table}")).await.unwrap();
    }
}

#[test]
fn the_blocking_session_has_exec_batch() {
    for bulk in [true, false] {
        let u = format!("{}?bulk={bulk}", server().url());
        let mut s =
            mywire::session::blocking::Session::connect(Options::from_url(&u).unwrap()).unwrap();
        let table = format!("batch_blocking_{bulk}");
        s.query_drop(&format!("DROP TABLE IF EXISTS {table}"))
            .unwrap();
        s.query_drop(&format!("CREATE TABLE {table} (id INT, t TEXT)"))
            .unwrap();
        let st = s
            .prepare(&format!("INSERT INTO {table} VALUES (?, ?)"))
            .unwrap();
        let ids: Vec<u16> = (0..1000).collect();
        let rows: Vec<[&dyn ToParam; 2]> = ids.iter().map(|i| [i as &dyn ToParam, &"t"]).collect();
        assert_eq!(s.exec_batch(&st, &rows).unwrap().affected_rows, 1000);
        let mut r = s
            .query(&format!("SELECT COUNT(*), SUM(id) FROM {table}"))
            .unwrap();
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), Some(1000));
        assert_eq!(row.get::<i64>(1).unwrap(), Some(999 * 500));
        drop(r);
        // Pipelined executes, results in order.
        let sel = s
            .prepare(&format!("SELECT COUNT(*) FROM {table} WHERE id < ?"))
            .unwrap();
        let limits: Vec<i32> = vec![0, 10, 500];
        let rows: Vec<[&dyn ToParam; 1]> = limits.iter().map(|l| [l as &dyn ToParam]).collect();
        let mut p = s.pipeline_executes(&sel, &rows).unwrap();
        let mut got = Vec::new();
        while let Some(r) = p.next() {
            let mut r = r.unwrap();
            got.push(
                r.next_row()
                    .unwrap()
                    .unwrap()
                    .get::<i64>(0)
                    .unwrap()
                    .unwrap(),
            );
        }
        drop(p);
        assert_eq!(got, [0, 10, 500]);
        s.query_drop(&format!("DROP TABLE {table}")).unwrap();
    }
}

#[tokio::test]
async fn pipelined_executes_return_every_result_in_order() {
    let (mut s, t) = connect("").await;
    let st = s
        .prepare("SELECT seq, ? FROM seq_1_to_3 WHERE seq <= ?")
        .await
        .unwrap();
    let labels: Vec<String> = (0..50).map(|i| format!("q{i}")).collect();
    let limits: Vec<i32> = (0..50).map(|i| i % 4).collect();
    let rows: Vec<[&dyn ToParam; 2]> = (0..50)
        .map(|i| [&labels[i] as &dyn ToParam, &limits[i]])
        .collect();
    t.clear();
    let mut p = s.pipeline_executes(&st, &rows).await.unwrap();
    assert_eq!(p.len(), 50);
    let mut i = 0;
    while let Some(r) = p.next().await {
        let mut r = r.unwrap();
        let mut n = 0;
        while let Some(row) = r.next_row().await.unwrap() {
            assert!(row.is_binary());
            assert_eq!(row.get::<String>(1).unwrap().unwrap(), labels[i]);
            n += 1;
        }
        assert_eq!(n, i % 4, "result {i}");
        i += 1;
    }
    assert_eq!(i, 50);
    drop(p);
    assert_eq!(t.count(EXECUTE), 50);
    // A pipeline dropped half-read: the rest is drained (or never sent), the session goes on.
    let mut p = s.pipeline_executes(&st, &rows).await.unwrap();
    let r = p.next().await.unwrap().unwrap();
    drop(r);
    drop(p);
    let mut r = s.query("SELECT 7").await.unwrap();
    assert_eq!(
        r.next_row().await.unwrap().unwrap().get::<i64>(0).unwrap(),
        Some(7)
    );
}

/// Pipelined executes are encoded a window at a time: a batch far larger than the window goes
/// through whole, and after a failure the rows not yet sent are never sent (only the window in
/// flight ran).
#[tokio::test]
async fn a_pipelined_batch_larger_than_the_window() {
    let (mut s, t) = connect("bulk=false").await;
    s.query_drop("CREATE TEMPORARY TABLE big_pipe (id INT PRIMARY KEY)")
        .await
        .unwrap();
    let st = s.prepare("INSERT INTO big_pipe VALUES (?)").await.unwrap();
    let ids: Vec<i32> = (0..2_000).collect();
    let rows: Vec<[&dyn ToParam; 1]> = ids.iter().map(|i| [i as &dyn ToParam]).collect();
    t.clear();
    assert_eq!(s.exec_batch(&st, &rows).await.unwrap().affected_rows, 2_000);
    assert_eq!(t.count(EXECUTE), 2_000);
    s.query_drop("DELETE FROM big_pipe").await.unwrap();
    // Row 10 repeats row 9's key.
    let mut ids = ids.clone();
    ids[10] = 9;
    let rows: Vec<[&dyn ToParam; 1]> = ids.iter().map(|i| [i as &dyn ToParam]).collect();
    t.clear();
    let e = s.exec_batch(&st, &rows).await.unwrap_err();
    let Error::Batch(b) = &e else { panic!("{e:?}") };
    assert_eq!(b.failed_rows, 10..11);
    let sent = t.count(EXECUTE);
    assert_eq!(sent, mywire::proto::PIPELINE_WINDOW, "one window was sent");
    assert_eq!(b.done.affected_rows, (sent - 1) as u64);
    let mut r = s.query("SELECT COUNT(*) FROM big_pipe").await.unwrap();
    let n = r.next_row().await.unwrap().unwrap().get::<i64>(0).unwrap();
    assert_eq!(n, Some((sent - 1) as i64));
}
