//! Pipelining against the throwaway MariaDB: responses in order, a failing query in the middle,
//! dropping a pipeline half-read, multi-result queries and large results inside a pipeline, and
//! more queries than the in-flight window.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use mywire::session::{QueryResult, PIPELINE_WINDOW};
use mywire::{Error, Options, Session};
use support::server;

async fn connect(extra: &str) -> Session {
    let url = format!("{}?{extra}", server().url());
    Session::connect(Options::from_url(&url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
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

fn texts(rows: &[Vec<String>]) -> Vec<&str> {
    rows.iter().map(|r| r[0].as_str()).collect()
}

#[tokio::test]
async fn responses_come_back_in_order_and_a_failure_stays_its_own() {
    for eof in [true, false] {
        let mut s = connect(&format!("deprecate-eof={eof}")).await;
        let queries = [
            "SELECT 'a'",
            "SELECT * FROM no_such_table",
            "SELECT 'c' UNION ALL SELECT 'd'",
            "DO 1",
            "SELECT 'e'",
        ];
        let mut p = s.pipeline(queries).await.unwrap();
        assert_eq!(p.len(), 5);
        let mut got = Vec::new();
        while let Some(r) = p.next().await {
            match r {
                Ok(mut rs) => {
                    let rows = all_rows(&mut rs).await;
                    got.push(format!("ok {:?}", texts(&rows)));
                }
                Err(Error::Server(e)) => got.push(format!("err {}", e.code)),
                Err(e) => panic!("eof={eof}: {e}"),
            }
        }
        assert_eq!(
            got,
            [
                r#"ok ["a"]"#,
                "err 1146",
                r#"ok ["c", "d"]"#,
                "ok []",
                r#"ok ["e"]"#
            ],
            "eof={eof}"
        );
        drop(p);
        // The session is usable afterwards.
        let mut r = s.query("SELECT 'after'").await.unwrap();
        assert_eq!(texts(&all_rows(&mut r).await), ["after"]);
    }
}

#[tokio::test]
async fn dropping_a_pipeline_half_read_never_leaks_its_rows() {
    for taken in 0..=4 {
        let mut s = connect("").await;
        s.query_drop("CREATE TEMPORARY TABLE pl (n INT)")
            .await
            .unwrap();
        {
            let mut p = s
                .pipeline([
                    "INSERT INTO pl VALUES (1)",
                    "SELECT seq FROM seq_1_to_1000",
                    "INSERT INTO pl VALUES (2)",
                    "SELECT 'x'",
                ])
                .await
                .unwrap();
            for _ in 0..taken {
                // Take a response and read only part of it.
                let mut r = p.next().await.unwrap().unwrap();
                let _ = r.next_row().await.unwrap();
            }
        }
        // The next command sees only its own answer...
        let mut r = s.query("SELECT 'next'").await.unwrap();
        assert_eq!(texts(&all_rows(&mut r).await), ["next"], "taken={taken}");
        // ...and every command that was written ran (all four fit in the window at once).
        let mut r = s.query("SELECT COUNT(*) FROM pl").await.unwrap();
        assert_eq!(texts(&all_rows(&mut r).await), ["2"], "taken={taken}");
    }
}

#[tokio::test]
async fn multi_statement_and_large_results_inside_a_pipeline() {
    let mut s = connect("multi-statements=true").await;
    let mut p = s
        .pipeline([
            "SELECT 1; SELECT 2",
            "SELECT seq FROM seq_1_to_20000",
            "SELECT REPEAT('z', 3000000)",
            "SELECT 'last'",
        ])
        .await
        .unwrap();
    let mut r = p.next().await.unwrap().unwrap();
    assert_eq!(texts(&all_rows(&mut r).await), ["1", "2"]);
    let mut r = p.next().await.unwrap().unwrap();
    let rows = all_rows(&mut r).await;
    assert_eq!(rows.len(), 20_000);
    assert_eq!(
        (rows[0][0].as_str(), rows[19_999][0].as_str()),
        ("1", "20000")
    );
    let mut r = p.next().await.unwrap().unwrap();
    let rows = all_rows(&mut r).await;
    assert_eq!(rows[0][0].len(), 3_000_000);
    let mut r = p.next().await.unwrap().unwrap();
    assert_eq!(texts(&all_rows(&mut r).await), ["last"]);
    assert!(p.next().await.is_none());
}

#[tokio::test]
async fn more_queries_than_the_window_all_answer_in_order() {
    let mut s = connect("").await;
    let n = PIPELINE_WINDOW * 3 + 7;
    let queries: Vec<String> = (0..n).map(|i| format!("SELECT {i}")).collect();
    let mut p = s.pipeline(&queries).await.unwrap();
    let mut i = 0;
    while let Some(r) = p.next().await {
        let mut r = r.unwrap();
        assert_eq!(texts(&all_rows(&mut r).await), [i.to_string()]);
        i += 1;
    }
    assert_eq!(i, n);
}
