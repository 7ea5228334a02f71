//! The raw level (`send_command` / `send_packet_raw` / `read_packet`) must never take packets
//! from, or slip packets into, a response the session owns.
//!
//! The rule under test:
//! * `read_packet` and `send_packet_raw` work only inside a raw exchange (after
//!   `send_command`, until its response is complete or `end_raw`). Anywhere else they return
//!   `Error::Usage`, touch nothing, and leave the session usable: when idle (nothing to read:
//!   reading would wait forever), and while the rest of a dropped `QueryResult` or `Pipeline`
//!   is still unread.
//! * `send_command` is a command like any other: a response left unread is drained first.
//! * Inside a raw exchange the session follows, `send_packet_raw` is refused while the server
//!   is still sending (a packet then would be read by the server as a new command); the packet
//!   of an exchange the session cannot follow is sent and does not make it followable.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a `QueryResult` / `Pipeline` is abandoned half-read.
#![allow(clippy::drop_non_drop)]

mod support;

#[path = "support/scripted.rs"]
mod scripted;

use std::time::Duration;

use mywire::codec::command::COM_QUERY;
use mywire::{Error, Options, Session};

/// Both ways of ending a result set.
const EOF_MODES: [bool; 2] = [true, false];

/// Bound on every step that must not wait for the server: a hang fails the test.
const LIMIT: Duration = Duration::from_secs(10);

async fn connect(eof: bool) -> Session {
    let u = format!("{}?deprecate-eof={eof}", support::test_url());
    Session::connect(Options::from_url(&u).expect("url"))
        .await
        .unwrap_or_else(|e| panic!("connect {u}: {e}"))
}

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: hung for {LIMIT:?}"))
}

fn expect_usage<T: std::fmt::Debug>(what: &str, r: Result<T, Error>, needle: &str) {
    match r {
        Err(Error::Usage(m)) => assert!(m.contains(needle), "{what}: message {m:?}"),
        other => panic!("{what}: expected Error::Usage, got {other:?}"),
    }
}

/// A column count packet's payload as this session receives it: with MariaDB's
/// CACHE_METADATA negotiated, `metadata_follows` (1) follows the count.
fn column_count_bytes(s: &Session, n: u8) -> Vec<u8> {
    let cache = s
        .engine()
        .mariadb_capabilities()
        .contains(mywire::codec::MariaDbCapabilities::CACHE_METADATA);
    if cache {
        vec![n, 1]
    } else {
        vec![n]
    }
}

fn query_packet(sql: &str) -> Vec<u8> {
    let mut q = vec![COM_QUERY];
    q.extend_from_slice(sql.as_bytes());
    q
}

/// The session is in sync: a fresh query returns exactly its own rows.
async fn assert_in_sync(s: &mut Session, what: &str) {
    assert!(!s.is_broken(), "{what}: session broken");
    for tag in ["first", "second"] {
        let sql = format!("SELECT '{tag}' AS t, 7 * 6 AS n");
        let mut r = bounded(what, s.query(&sql))
            .await
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
        let mut got = Vec::new();
        while let Some(row) = bounded(what, r.next_row()).await.expect("row") {
            got.push((
                row.get::<String>(0).expect("t").unwrap_or_default(),
                row.get::<i64>(1).expect("n").unwrap_or_default(),
            ));
        }
        assert_eq!(got, vec![(tag.to_string(), 42)], "{what}: {sql}");
        assert!(!r.has_more_results(), "{what}: {sql}");
    }
}

/// A result set read one row then dropped: the session still owns the rest of it.
async fn abandon_half_read(s: &mut Session) {
    let mut r = s
        .query("SELECT seq FROM seq_1_to_2000")
        .await
        .expect("query");
    let first = r.next_row().await.expect("row").expect("a row");
    assert_eq!(first.get::<i64>(0).expect("seq"), Some(1));
    drop(r);
}

/// (1) `read_packet` after a dropped, half-read `QueryResult` must not take its rows.
#[tokio::test]
async fn read_packet_after_abandoned_result_is_refused() {
    for eof in EOF_MODES {
        let mut s = connect(eof).await;
        abandon_half_read(&mut s).await;
        let r = bounded("read_packet", s.read_packet()).await;
        expect_usage(&format!("eof={eof}: read_packet"), r, "still unread");
        // Refusing twice changes nothing either.
        let r = bounded("read_packet", s.read_packet()).await;
        expect_usage(&format!("eof={eof}: read_packet again"), r, "still unread");
        assert_in_sync(&mut s, &format!("eof={eof}: after read_packet")).await;
    }
}

/// (2) `send_packet_raw` after a dropped, half-read `QueryResult` must not inject a packet
/// into the middle of its response.
#[tokio::test]
async fn send_packet_raw_after_abandoned_result_is_refused() {
    for eof in EOF_MODES {
        let mut s = connect(eof).await;
        abandon_half_read(&mut s).await;
        let r = bounded("send_packet_raw", s.send_packet_raw(b"\x0e")).await;
        expect_usage(&format!("eof={eof}: send_packet_raw"), r, "still unread");
        assert_in_sync(&mut s, &format!("eof={eof}: after send_packet_raw")).await;
    }
}

/// (3) A raw COM_QUERY of which only the first packet was read: a normal query drains the rest
/// of it (the session follows raw exchanges) and then reads its own response.
#[tokio::test]
async fn query_drains_a_half_read_raw_exchange() {
    for eof in EOF_MODES {
        let mut s = connect(eof).await;
        bounded(
            "send_command",
            s.send_command(&query_packet("SELECT seq, 'raw' FROM seq_1_to_500")),
        )
        .await
        .expect("send_command");
        let head = bounded("read_packet", s.read_packet()).await.expect("head");
        assert_eq!(head.seq, 1);
        assert_eq!(&head.payload[..], column_count_bytes(&s, 2), "column count");
        assert_in_sync(&mut s, &format!("eof={eof}: after raw head")).await;
        // The raw exchange is over: nothing more to read.
        let r = bounded("read_packet", s.read_packet()).await;
        expect_usage(&format!("eof={eof}: read_packet"), r, "no raw exchange");
    }
}

/// (4) `read_packet` and `send_packet_raw` when nothing is pending: a usage error, not a read
/// that waits forever (nor a stray packet the server reads as a broken command).
#[tokio::test]
async fn raw_calls_when_idle_are_refused() {
    let mut s = connect(true).await;
    let r = bounded("read_packet when idle", s.read_packet()).await;
    expect_usage("read_packet when idle", r, "no raw exchange");
    let r = bounded("send_packet_raw when idle", s.send_packet_raw(b"\x0e")).await;
    expect_usage("send_packet_raw when idle", r, "no raw exchange");
    assert_in_sync(&mut s, "idle").await;

    // Also right after a raw exchange the session saw complete.
    bounded("send_command", s.send_command(&[0x0e]))
        .await
        .expect("COM_PING");
    let ok = bounded("read_packet", s.read_packet()).await.expect("OK");
    assert_eq!(ok.payload.first(), Some(&0x00));
    let r = bounded("read_packet after the OK", s.read_packet()).await;
    expect_usage("read_packet after the OK", r, "no raw exchange");
    assert_in_sync(&mut s, "after a complete raw ping").await;
}

/// (5) A pipeline dropped half-read (first response half-read, later ones not started):
/// the raw calls must not touch its responses; the next command drains them all.
#[tokio::test]
async fn raw_calls_after_abandoned_pipeline_are_refused() {
    for eof in EOF_MODES {
        let mut s = connect(eof).await;
        let qs = [
            "SELECT seq FROM seq_1_to_1000",
            "SELECT 'b'",
            "DO 1",
            "SELECT 'd'",
        ];
        let mut p = bounded("pipeline", s.pipeline(qs)).await.expect("pipeline");
        {
            let mut r = bounded("next", p.next())
                .await
                .expect("a response")
                .expect("ok");
            let row = bounded("row", r.next_row())
                .await
                .expect("row")
                .expect("a row");
            assert_eq!(row.get::<i64>(0).expect("seq"), Some(1));
        }
        drop(p);
        let what = format!("eof={eof}");
        let r = bounded("read_packet", s.read_packet()).await;
        expect_usage(&format!("{what}: read_packet"), r, "still unread");
        let r = bounded("send_packet_raw", s.send_packet_raw(b"\x0e")).await;
        expect_usage(&format!("{what}: send_packet_raw"), r, "still unread");
        assert_in_sync(&mut s, &format!("{what}: after pipeline")).await;
    }
}

/// (5b) The same with the pipeline dropped between responses (first one read completely, the
/// next not started): the session still owns a response.
#[tokio::test]
async fn raw_calls_between_pipelined_responses_are_refused() {
    let mut s = connect(true).await;
    let mut p = bounded("pipeline", s.pipeline(["SELECT 1", "SELECT 2", "SELECT 3"]))
        .await
        .expect("pipeline");
    {
        let mut r = bounded("next", p.next())
            .await
            .expect("a response")
            .expect("ok");
        while bounded("row", r.next_row()).await.expect("row").is_some() {}
    }
    drop(p);
    let r = bounded("read_packet", s.read_packet()).await;
    expect_usage("read_packet", r, "still unread");
    assert_in_sync(&mut s, "between pipelined responses").await;
}

/// (6) Inside a raw COM_QUERY whose response is still coming, a packet from the client is no
/// part of it (the server would read it as a new command with a wrong sequence id, and the
/// session's tracker would take it for one): refused, and the exchange goes on.
#[tokio::test]
async fn send_packet_raw_mid_raw_response_is_refused() {
    for eof in EOF_MODES {
        let mut s = connect(eof).await;
        bounded("send_command", s.send_command(&query_packet("SELECT 'x'")))
            .await
            .expect("send_command");
        let head = bounded("read_packet", s.read_packet()).await.expect("head");
        assert_eq!(&head.payload[..], column_count_bytes(&s, 1));
        let r = bounded("send_packet_raw", s.send_packet_raw(b"\x0e")).await;
        expect_usage(&format!("eof={eof}: send_packet_raw"), r, "response");
        // The rest of the raw response is still the caller's to read.
        let col = bounded("read_packet", s.read_packet())
            .await
            .expect("column");
        assert_eq!(col.seq, 2);
        assert_in_sync(&mut s, &format!("eof={eof}: after raw query")).await;
    }
}

/// (7) A raw exchange the session cannot follow stays unfollowable whatever the caller sends
/// in it: a packet that looks like a command (here COM_PING) must not make the session think
/// it knows where the response ends.
#[tokio::test]
async fn send_packet_raw_keeps_an_unfollowable_exchange_unfollowable() {
    let mut s = connect(true).await;
    // COM_SLEEP (0x00): the session cannot know what answers it (an ERR, here).
    bounded("send_command", s.send_command(&[0x00]))
        .await
        .expect("send_command");
    let err = bounded("read_packet", s.read_packet()).await.expect("ERR");
    assert_eq!(err.payload.first(), Some(&0xFF));
    // Only the caller knows the exchange is over.
    let r = bounded("query", s.query("SELECT 1")).await.map(|_| ());
    expect_usage("query before end_raw", r, "end_raw");
    // Sending a packet inside it is the caller's business and changes nothing of that.
    bounded("send_packet_raw", s.send_packet_raw(&[0x0e]))
        .await
        .expect("send_packet_raw");
    let r = bounded("query", s.query("SELECT 1")).await.map(|_| ());
    expect_usage("query before end_raw, after send_packet_raw", r, "end_raw");
}

/// The blocking session's raw level follows the same rule, and a refused read does not block
/// on the socket.
#[test]
fn blocking_raw_calls_follow_the_same_rule() {
    use mywire::session::blocking::Session as Blocking;
    // A read timeout turns a would-be hang into a failure instead of a stuck test.
    let u = format!("{}?read-timeout=10", support::test_url());
    let mut s = Blocking::connect(Options::from_url(&u).expect("url")).expect("connect");
    let r = s.read_packet();
    expect_usage("blocking read_packet when idle", r, "no raw exchange");
    {
        let mut r = s.query("SELECT seq FROM seq_1_to_2000").expect("query");
        assert!(r.next_row().expect("row").is_some());
    }
    let r = s.read_packet();
    expect_usage("blocking read_packet after abandon", r, "still unread");
    let r = s.send_packet_raw(b"\x0e");
    expect_usage("blocking send_packet_raw after abandon", r, "still unread");
    let mut r = s.query("SELECT 'blocking'").expect("query");
    let row = r.next_row().expect("row").expect("a row");
    assert_eq!(row.get::<&str>(0).expect("text"), Some("blocking"));
}

/// Login, read the raw command, then `then` (a scripted server).
fn scripted_raw(then: Vec<scripted::Step>) -> scripted::Server {
    let mut script = scripted::login();
    script.push(scripted::Step::ReadPacket);
    script.extend(then);
    scripted::Server::start(script)
}

/// (8) A raw COM_QUERY answered by a LOCAL INFILE request: the client speaks next, so
/// `send_packet_raw` is accepted, and the session follows the exchange to its end.
#[tokio::test]
async fn send_packet_raw_answers_a_raw_local_infile_request() {
    use scripted::{ok, packet, Step};
    let mut infile = vec![0xFB];
    infile.extend_from_slice(b"data.csv");
    let server = scripted_raw(vec![
        Step::Send(packet(1, &infile)),
        Step::ReadPacket, // the client's empty packet: no data
        Step::Send(ok(3)),
        Step::ReadPacket, // COM_QUIT
    ]);
    let mut s = Session::connect(Options::from_url(&server.url("")).expect("url"))
        .await
        .expect("connect");
    bounded(
        "send_command",
        s.send_command(&query_packet(
            "LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t",
        )),
    )
    .await
    .expect("send_command");
    let req = bounded("read_packet", s.read_packet())
        .await
        .expect("request");
    assert_eq!(req.payload.first(), Some(&0xFB));
    bounded("send_packet_raw", s.send_packet_raw(&[]))
        .await
        .expect("the empty data packet");
    let done = bounded("read_packet", s.read_packet()).await.expect("OK");
    assert_eq!((done.seq, done.payload.first()), (3, Some(&0x00)));
    // The session saw the exchange end.
    let r = bounded("read_packet", s.read_packet()).await;
    expect_usage("read_packet after the OK", r, "no raw exchange");
    bounded("close", s.close()).await.expect("close");
    let rec = server.finish();
    let packets = rec.packets();
    assert_eq!(
        packets.get(2).map(|(seq, p)| (*seq, p.len())),
        Some((2, 0)),
        "the empty packet with seq 2: {packets:?}"
    );
}

/// (9) A raw response the tracker cannot decode: where it ends is unknown, so a new command
/// must not try to drain it (it would wait forever) but ask for `end_raw`.
#[tokio::test]
async fn raw_response_the_tracker_cannot_decode_needs_end_raw() {
    use scripted::{column_count, packet, Step};
    let server = scripted_raw(vec![
        Step::Send(column_count(1, 1)),
        // Not a column definition.
        Step::Send(packet(2, &[0x01])),
        Step::Stall(Duration::from_secs(30)),
    ]);
    let mut s = Session::connect(Options::from_url(&server.url("")).expect("url"))
        .await
        .expect("connect");
    bounded("send_command", s.send_command(&query_packet("SELECT 1")))
        .await
        .expect("send_command");
    let head = bounded("read_packet", s.read_packet()).await.expect("head");
    assert_eq!(&head.payload[..], &[1]);
    let bad = bounded("read_packet", s.read_packet())
        .await
        .expect("raw packet");
    assert_eq!(&bad.payload[..], &[0x01]);
    let r = bounded("query", s.query("SELECT 2")).await.map(|_| ());
    expect_usage("query after an undecodable raw packet", r, "end_raw");
    assert!(!s.is_broken());
    s.end_raw();
    let _ = server;
}
