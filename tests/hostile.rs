//! Hostile servers: every case of protocol-notes/threat-model.md that a scripted server can
//! play. Each test checks the typed error, that it comes within the timeout, what the client did
//! (or did not) send, and that a broken session says `Error::Broken` on the next call.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/scripted.rs"]
mod scripted;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use mywire::codec::auth::AuthError;
use mywire::codec::flags::StatusFlags;
use mywire::codec::{ColumnType, ErrorKind, Packet, ParseError};
use mywire::{Error, Options, Session};
use scripted::*;

// ---- largest single allocation, per thread ---------------------------------------------------
// Tests run the client on their own (current-thread runtime) thread and the scripted server on
// another, so a thread-local maximum measures the client alone.

struct Counting;
thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}
fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}
// SAFETY: forwards to `System` unchanged; only records sizes in a const thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
}
#[global_allocator]
static ALLOC: Counting = Counting;

fn reset_largest() {
    LARGEST.with(|l| l.set(0));
}
fn largest() -> usize {
    LARGEST.with(|l| l.get())
}

const LIMIT: Duration = Duration::from_secs(20);

async fn connect(server: &Server, params: &str) -> Result<Session, Error> {
    let opts = Options::from_url(&server.url(params)).expect("options");
    tokio::time::timeout(LIMIT, Session::connect(opts))
        .await
        .expect("connect finished in time")
}

fn proto(e: &Error) -> ParseError {
    match e {
        Error::Protocol(p) => *p,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// The session must refuse any further use after a fatal error.
async fn assert_broken(s: &mut Session) {
    assert!(s.is_broken());
    match s.ping().await {
        Err(Error::Broken(_)) => {}
        other => panic!("expected Error::Broken, got {other:?}"),
    }
}

/// Login, read the COM_QUERY, then `then`.
fn after_query(then: Vec<Step>) -> Vec<Step> {
    let mut s = login();
    s.push(Step::ReadPacket);
    s.extend(then);
    s
}

// ---- 1. rogue LOCAL INFILE ------------------------------------------------------------------

#[tokio::test]
async fn local_infile_request_is_answered_with_an_empty_packet_only() {
    let mut infile = vec![0xFB];
    infile.extend_from_slice(b"/etc/passwd");
    let server = Server::start(after_query(vec![
        Step::Send(packet(1, &infile)),
        Step::ReadPacket, // the client's answer
        Step::Send(ok(3)),
        Step::ReadPacket, // COM_PING
        Step::Send(ok(1)),
    ]));
    let mut s = connect(&server, "").await.expect("login");
    let e = s.query("SELECT 1").await.expect_err("infile refused");
    match &e {
        Error::LocalInfileRefused(r) => {
            assert_eq!(r.name, "/etc/passwd");
            assert_eq!(r.reason, mywire::InfileRefusalReason::NotEnabled);
        }
        other => panic!("expected LocalInfileRefused, got {other:?}"),
    }
    assert!(!s.is_broken());
    s.ping().await.expect("session still usable");
    drop(s);
    let rec = server.finish();
    let p = rec.packets();
    assert_eq!(p.len(), 4, "response, query, infile answer, ping: {p:?}");
    assert_eq!(p[1], (0, b"\x03SELECT 1".to_vec()));
    assert_eq!(
        p[2],
        (2, Vec::new()),
        "answer is the empty packet 00 00 00 02"
    );
    assert_eq!(p[3], (0, vec![0x0E]));
    assert!(!rec.contains(b"root:x:0:0"), "no file content");
    assert!(!rec.contains(PASSWORD.as_bytes()));
}

// ---- 2. SSL stripping -----------------------------------------------------------------------

#[tokio::test]
async fn ssl_required_without_server_ssl_sends_nothing() {
    let server = Server::start(vec![Step::Send(greeting(
        MARIADB_CAPS,
        "mysql_native_password",
    ))]);
    let opts = Options::from_url(&server.url("ssl-mode=REQUIRED")).expect("ssl-mode accepted");
    let r = tokio::time::timeout(LIMIT, Session::connect(opts))
        .await
        .expect("in time");
    assert!(r.is_err(), "must refuse a server without CLIENT_SSL");
    let rec = server.finish();
    assert!(rec.bytes.is_empty(), "sent {:02x?}", rec.bytes);
}

// ---- 3/8. downgrade to mysql_clear_password -------------------------------------------------

#[tokio::test]
async fn clear_password_switch_over_tcp_does_not_send_the_password() {
    let server = Server::start(vec![
        Step::Send(greeting(MARIADB_CAPS, "mysql_native_password")),
        Step::ReadPacket,
        Step::Send(auth_switch(2, "mysql_clear_password", b"")),
    ]);
    let e = connect(&server, "").await.expect_err("refused");
    assert!(
        matches!(e, Error::Auth(AuthError::Insecure(_))),
        "got {e:?}"
    );
    let rec = server.finish();
    assert_eq!(rec.packets().len(), 1, "only the handshake response");
    assert!(!rec.contains(PASSWORD.as_bytes()));
}

// ---- 9. caching_sha2 full authentication without a key ---------------------------------------

#[tokio::test]
async fn caching_sha2_full_auth_over_tcp_without_key_does_not_send_the_password() {
    let server = Server::start(vec![
        Step::Send(greeting(MARIADB_CAPS, "caching_sha2_password")),
        Step::ReadPacket,
        Step::Send(packet(2, &[0x01, 0x04])),
    ]);
    let e = connect(&server, "").await.expect_err("refused");
    match &e {
        Error::Auth(AuthError::Insecure(msg)) => {
            assert!(msg.contains("server-public-key-path"), "{msg}");
            assert!(msg.contains("get-server-public-key"), "{msg}");
        }
        other => panic!("expected AuthError::Insecure, got {other:?}"),
    }
    let rec = server.finish();
    let p = rec.packets();
    assert_eq!(
        p.len(),
        1,
        "only the handshake response, no key request: {p:?}"
    );
    assert!(!rec.contains(PASSWORD.as_bytes()));
}

// ---- 4/14. huge lengths and counts ----------------------------------------------------------

#[tokio::test]
async fn lenenc_value_of_2_pow_63_bytes_is_truncated_not_allocated() {
    let mut cell = vec![0x01, b'x', 0xFE];
    cell.extend_from_slice(&(1u64 << 63).to_le_bytes());
    cell.push(b'a');
    let server = Server::start(after_query(vec![
        Step::Send(column_count(1, 2)),
        Step::Send(column(2, "a", ColumnType::VAR_STRING)),
        Step::Send(column(3, "b", ColumnType::VAR_STRING)),
        Step::Send(packet(4, &cell)),
    ]));
    let mut s = connect(&server, "").await.expect("login");
    reset_largest();
    let mut r = s.query("SELECT a, b").await.expect("head");
    let e = r.next_row().await.expect_err("bad row");
    assert_eq!(
        proto(&e),
        ParseError::new(Packet::Row, "value", ErrorKind::Truncated)
    );
    assert!(largest() < 1 << 20, "largest allocation {}", largest());
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

#[tokio::test]
async fn column_count_of_2_pow_32_is_refused() {
    let server = Server::start(after_query(vec![Step::Send(column_count(1, 1 << 32))]));
    let mut s = connect(&server, "").await.expect("login");
    reset_largest();
    let e = s.query("SELECT *").await.expect_err("refused");
    assert_eq!(
        proto(&e),
        ParseError::new(Packet::ColumnCount, "column_count", ErrorKind::TooLarge)
    );
    assert!(largest() < 1 << 20, "largest allocation {}", largest());
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

fn many_columns(count: u64, sent: usize) -> Vec<Step> {
    let mut defs = Vec::with_capacity(sent * 24);
    let payload = column_payload("c", ColumnType::LONG);
    for i in 0..sent {
        defs.extend_from_slice(&packet((i + 2) as u8, &payload));
    }
    after_query(vec![Step::Send(column_count(1, count)), Step::Send(defs)])
}

#[tokio::test]
async fn hundred_thousand_columns_are_refused_up_front() {
    let server = Server::start(many_columns(100_000, 100_000));
    let mut s = connect(&server, "").await.expect("login");
    reset_largest();
    let e = s.query("SELECT *").await.expect_err("refused");
    assert_eq!(
        proto(&e),
        ParseError::new(Packet::ColumnCount, "column_count", ErrorKind::TooLarge)
    );
    assert!(largest() < 1 << 20, "largest allocation {}", largest());
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

#[tokio::test]
async fn max_columns_then_100_000_definitions_stay_bounded() {
    // 65,535 columns are accepted (MAX_COLUMNS); the server then keeps sending definitions,
    // which the client must read as a (malformed) row, not as more columns.
    let server = Server::start(many_columns(65_535, 100_000));
    let mut s = connect(&server, "").await.expect("login");
    reset_largest();
    let started = Instant::now();
    let mut r = s.query("SELECT *").await.expect("65,535 columns accepted");
    assert_eq!(r.columns().len(), 65_535);
    let e = r
        .next_row()
        .await
        .expect_err("a column definition is not a row");
    assert_eq!(proto(&e).packet, Packet::Row);
    assert!(started.elapsed() < LIMIT);
    // 65,535 definitions of ~100 bytes each: tens of MiB would mean runaway growth.
    assert!(largest() < 32 << 20, "largest allocation {}", largest());
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

#[tokio::test]
async fn packet_header_above_max_packet_is_refused_before_allocating() {
    let server = Server::start(after_query(vec![
        Step::Send(vec![0xFF, 0xFF, 0xFF, 0x01]),
        Step::Stall(Duration::from_secs(2)),
    ]));
    let mut s = connect(&server, "max-packet=65536").await.expect("login");
    reset_largest();
    let e = tokio::time::timeout(LIMIT, s.query("SELECT 1"))
        .await
        .expect("in time")
        .expect_err("too large");
    assert_eq!(
        proto(&e),
        ParseError::new(Packet::Frame, "payload_length", ErrorKind::TooLarge)
    );
    assert!(largest() < 1 << 20, "largest allocation {}", largest());
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

// ---- 6. sequence ids, cut packets, stalls ---------------------------------------------------

#[tokio::test]
async fn wrong_sequence_id_breaks_the_session() {
    let server = Server::start(after_query(vec![Step::Send(ok(5))]));
    let mut s = connect(&server, "").await.expect("login");
    let e = s.query("SELECT 1").await.expect_err("bad seq");
    assert_eq!(
        proto(&e),
        ParseError::new(Packet::Frame, "sequence_id", ErrorKind::SequenceMismatch)
    );
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

#[tokio::test]
async fn packet_cut_mid_row_then_closed_is_an_io_error() {
    let server = Server::start(after_query(vec![
        Step::Send(column_count(1, 1)),
        Step::Send(column(2, "a", ColumnType::VAR_STRING)),
        Step::Send(vec![10, 0, 0, 3, 9, b'a', b'b']),
        Step::Close,
    ]));
    let mut s = connect(&server, "").await.expect("login");
    let mut r = s.query("SELECT a").await.expect("head");
    let e = tokio::time::timeout(LIMIT, r.next_row())
        .await
        .expect("in time")
        .expect_err("cut row");
    match &e {
        Error::Io(io) => {
            assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
            assert!(io.to_string().contains("middle of a packet"), "{io}");
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

#[tokio::test]
async fn server_stalling_mid_result_times_out() {
    let server = Server::start(after_query(vec![
        Step::Send(column_count(1, 1)),
        Step::Send(column(2, "a", ColumnType::VAR_STRING)),
        Step::Send(row(3, &[Some(b"1")])),
        Step::Stall(Duration::from_secs(4)),
    ]));
    let mut s = connect(&server, "read-timeout=1").await.expect("login");
    let mut r = s.query("SELECT a").await.expect("head");
    assert!(r.next_row().await.expect("first row").is_some());
    let started = Instant::now();
    let e = r.next_row().await.expect_err("stall");
    let took = started.elapsed();
    assert!(matches!(e, Error::Timeout("read")), "got {e:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_broken(&mut s).await;
    drop(s);
    server.finish();
}

// ---- errors and loops during connection -------------------------------------------------------

#[tokio::test]
async fn err_packet_instead_of_greeting_is_a_server_error() {
    let mut b = vec![0xFF];
    b.extend_from_slice(&1130u16.to_le_bytes());
    b.extend_from_slice(b"Host '10.0.0.1' is not allowed to connect to this MariaDB server");
    let server = Server::start(vec![Step::Send(packet(0, &b))]);
    let e = connect(&server, "").await.expect_err("refused");
    match &e {
        Error::Server(se) => {
            assert_eq!(se.code, 1130);
            assert_eq!(se.sql_state, "HY000");
        }
        other => panic!("expected Error::Server, got {other:?}"),
    }
    let rec = server.finish();
    assert!(rec.bytes.is_empty(), "nothing sent after an ERR greeting");
}

#[tokio::test]
async fn endless_auth_switches_are_bounded() {
    let mut script = vec![
        Step::Send(greeting(MARIADB_CAPS, "mysql_native_password")),
        Step::ReadPacket,
    ];
    let mut seq = 2u8;
    for _ in 0..50 {
        let nonce: Vec<u8> = (0..20).map(|i| i + seq).collect();
        script.push(Step::Send(auth_switch(
            seq,
            "mysql_native_password",
            &nonce,
        )));
        script.push(Step::ReadPacket);
        seq = seq.wrapping_add(2);
    }
    let server = Server::start(script);
    let started = Instant::now();
    let e = connect(&server, "").await.expect_err("bounded");
    assert!(
        matches!(
            e,
            Error::Auth(mywire::codec::auth::AuthError::TooManyRounds(
                mywire::codec::auth::MAX_AUTH_ROUNDS
            ))
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < LIMIT);
    let rec = server.finish();
    let n = rec.packets().len();
    assert!(
        n <= 1 + mywire::session::MAX_AUTH_ROUNDS,
        "{n} packets sent"
    );
    assert!(!rec.contains(PASSWORD.as_bytes()));
}

// ---- 11. 0xFE ambiguity ---------------------------------------------------------------------

#[tokio::test]
async fn row_of_exactly_0xffffff_bytes_starting_with_fe_is_a_row() {
    const CHUNK: usize = 0xFF_FFFF;
    let value_len = CHUNK - 9;
    let mut big = vec![0xFF, 0xFF, 0xFF, 3, 0xFE];
    big.extend_from_slice(&(value_len as u64).to_le_bytes());
    big.resize(4 + CHUNK, b'v');
    big.extend_from_slice(&[0, 0, 0, 4]); // the empty continuation chunk
    let server = Server::start(after_query(vec![
        Step::Send(column_count(1, 1)),
        Step::Send(column(2, "big", ColumnType::LONG_BLOB)),
        Step::Send(big),
        Step::Send(ok_with(5, 0xFE, StatusFlags::AUTOCOMMIT)),
        Step::ReadPacket, // COM_PING
        Step::Send(ok(1)),
    ]));
    let mut s = connect(&server, "").await.expect("login");
    let mut r = s.query("SELECT big").await.expect("head");
    let row = r
        .next_row()
        .await
        .expect("row")
        .expect("a row, not the end");
    let cell = row.bytes(0).expect("not NULL");
    assert_eq!(cell.len(), value_len);
    assert!(cell.iter().all(|&b| b == b'v'));
    assert!(r.next_row().await.expect("end").is_none());
    s.ping().await.expect("still usable");
    drop(s);
    server.finish();
}
