//! Live traces against the throwaway MariaDB: the session's tracer decodes its own packets.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use mywire::codec::value::Decimal;
use mywire::trace::format::{Format, WriterTracer};
use mywire::{Options, Session};
use support::server;

/// A `Write` into a buffer the test reads afterwards.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// A prepared statement in a live trace: the execute shows its SQL and typed parameters, the
/// binary row its values, in both formats.
#[tokio::test]
async fn trace_shows_prepared_statements() {
    for (format, eof) in [(Format::Text, true), (Format::Json, false)] {
        let out = Shared::default();
        let u = format!("{}?deprecate-eof={eof}", server().url());
        let tracer = WriterTracer::new(out.clone(), format, false, false);
        let mut s = Session::connect_traced(Options::from_url(&u).unwrap(), Some(Box::new(tracer)))
            .await
            .unwrap();
        let sql = "SELECT ? + 1 AS n, CONCAT(?, '!') AS t, ? AS z, ? AS d";
        let st = s.prepare(sql).await.unwrap();
        let dec = Decimal::parse("12.340").unwrap();
        let mut r = s
            .execute(&st, &[&41i64, &"hi", &None::<i32>, &dec])
            .await
            .unwrap();
        while r.next_row().await.unwrap().is_some() {}

        s.close_statement(st).await.unwrap();
        s.ping().await.unwrap();
        let lines = out.lines();
        let find = |kind: &str| -> &String {
            lines
                .iter()
                .find(|l| match format {
                    Format::Text => l.contains(&format!(" {kind} ")),
                    Format::Json => l.contains(&format!("\"type\":\"{kind}\"")),
                })
                .unwrap_or_else(|| panic!("no {kind} in {lines:#?}"))
        };
        let exec = find("COM_STMT_EXECUTE");
        let row = find("BinaryRow");
        let close = find("COM_STMT_CLOSE");
        match format {
            Format::Text => {
                assert!(exec.contains(&format!("sql=\"{sql}\"")), "{exec}");
                assert!(
                    exec.contains(r#"params=[41, "hi", NULL, "12.340"]"#),
                    "{exec}"
                );
                assert!(
                    row.contains(r#"values=["42", "hi!", NULL, "12.340"]"#),
                    "{row}"
                );
                assert!(close.contains(&format!("sql=\"{sql}\"")), "{close}");
                assert!(find("PrepareOK").contains("params=4"));
                assert!(find("ParamDefinition").contains("name=\"?\""));
            }
            Format::Json => {
                assert!(exec.contains(&format!("\"sql\":\"{sql}\"")), "{exec}");
                assert!(
                    exec.contains(r#""params":[41,"hi",null,"12.340"]"#),
                    "{exec}"
                );
                assert!(
                    row.contains(r#""values":["42","hi!",null,"12.340"]"#),
                    "{row}"
                );
            }
        }
        assert!(!lines.iter().any(|l| l.contains("Malformed")), "{lines:#?}");
    }
}
