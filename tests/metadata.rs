//! MariaDB's CACHE_METADATA against the throwaway server: an execute's column definitions are
//! not resent when they have not changed since the prepare (the engine reads the rows with the
//! statement's own definitions), and when they change (ALTER TABLE between executes) the
//! server resends them and the new ones are used from then on. Server packets are counted on
//! the wire.

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

use mywire::codec::{ColumnType, MariaDbCapabilities};
use mywire::{Options, Session};
use support::commands::CommandLog;
use support::server;

#[tokio::test]
async fn unchanged_definitions_are_not_resent_and_changed_ones_are_used() {
    for eof in [true, false] {
        let u = format!("{}?deprecate-eof={eof}", server().url());
        let mut s = Session::connect(Options::from_url(&u).unwrap())
            .await
            .unwrap();
        assert!(s
            .engine()
            .mariadb_capabilities()
            .contains(MariaDbCapabilities::CACHE_METADATA));
        let t = CommandLog::default();
        s.set_tracer(Some(Box::new(t.clone())));
        s.query_drop("CREATE TEMPORARY TABLE m (a INT, b VARCHAR(10), c DOUBLE)")
            .await
            .unwrap();
        s.query_drop("INSERT INTO m VALUES (1, 'one', 1.5)")
            .await
            .unwrap();
        let st = s.prepare("SELECT * FROM m WHERE a = ?").await.unwrap();
        assert_eq!(st.columns().len(), 3);
        for _ in 0..3 {
            t.clear();
            let mut r = s.execute(&st, &[&1i32]).await.unwrap();
            assert_eq!(r.columns().len(), 3);
            assert_eq!(r.columns()[1].name(), "b");
            let row = r.next_row().await.unwrap().unwrap();
            assert_eq!(row.get::<i64>(0).unwrap(), Some(1));
            assert_eq!(row.get::<String>(1).unwrap().as_deref(), Some("one"));
            assert_eq!(row.get::<f64>(2).unwrap(), Some(1.5));
            assert!(r.next_row().await.unwrap().is_none());
            drop(r);
            // Column count, (EOF,) the row, the end: no definitions.
            assert_eq!(
                t.take_server_packets(),
                if eof { 3 } else { 4 },
                "eof={eof}"
            );
        }
        // New definitions: the server sends them once, then caches them again.
        s.query_drop("ALTER TABLE m MODIFY c VARCHAR(20)")
            .await
            .unwrap();
        for (i, want) in [(0, 5), (1, 2)] {
            t.clear();
            let mut r = s.execute(&st, &[&1i32]).await.unwrap();
            assert_eq!(r.columns()[2].column_type, ColumnType::VAR_STRING);
            let row = r.next_row().await.unwrap().unwrap();
            assert_eq!(row.get::<String>(2).unwrap().as_deref(), Some("1.5"));
            assert!(r.next_row().await.unwrap().is_none());
            drop(r);
            let n = t.take_server_packets();
            // The definitions' EOF (without CLIENT_DEPRECATE_EOF) comes whether or not they do.
            let want = want + 1 + usize::from(!eof);
            assert_eq!(n, want, "eof={eof}, execute {i} after ALTER");
        }
    }
}
