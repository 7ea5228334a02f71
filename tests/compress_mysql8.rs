//! zstd (CLIENT_ZSTD_COMPRESSION_ALGORITHM, MySQL 8.0.18+) against the scripted MySQL 8
//! server, whose compressed framing is written from the MySQL dev docs with the compression
//! crates directly (tests/support/mysql8.rs): the algorithm and level in the handshake
//! response, many packets in one compressed packet, a 17 MiB row across two, a multi-result
//! response whose inner sequence ids go back (the server resynchronises them at each flush),
//! an ERR sent uncompressed; and hostile compressed packets (a bomb, a lying length, a wrong
//! compressed sequence id, corrupt data, a short stream), each a typed error that leaves the
//! session broken.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::drop_non_drop)]

#[path = "support/mysql8.rs"]
mod mysql8;
#[path = "support/scripted.rs"]
mod scripted;

use std::time::Duration;

use bytes::BytesMut;
use mywire::codec::writer::put_lenenc;
use mywire::codec::{CapabilityFlags, ColumnType, ErrorKind, Packet, StatusFlags};
use mywire::session::blocking;
use mywire::{Compression, Error, Options, Session};

const ROWS: usize = 2000;
const BIG: usize = 17 << 20;

fn opts(addr: std::net::SocketAddr, compress: &str) -> Options {
    let mut o = Options::new()
        .host("127.0.0.1")
        .port(addr.port())
        .user("alice")
        .connect_timeout(Some(Duration::from_secs(20)));
    o.set("compress", compress).unwrap();
    o
}

/// The greeting (MySQL 8 offers both algorithms), the client's hello (returned), an OK, and
/// compression on with what the client chose.
async fn login(c: &mut mysql8::Conn) -> mysql8::R<mywire::codec::handshake::HandshakeResponse> {
    c.send_greeting(&mysql8::greeting("mysql_native_password", false))
        .await?;
    let hello = c.recv_hello(false).await?;
    c.send_ok().await?;
    let zstd = hello
        .capabilities
        .contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM);
    let zlib = hello.capabilities.contains(CapabilityFlags::COMPRESS);
    if zstd == zlib {
        return Err(format!("the client asked for zstd {zstd} and zlib {zlib}"));
    }
    c.start_compression(zstd);
    Ok(hello)
}

fn text_row(seq: u8, cells: &[&[u8]]) -> Vec<u8> {
    let mut b = BytesMut::new();
    for c in cells {
        put_lenenc(&mut b, c.len() as u64);
        b.extend_from_slice(c);
    }
    scripted::packet(seq, &b)
}

fn end(seq: u8, more: bool) -> Vec<u8> {
    let mut st = StatusFlags::AUTOCOMMIT;
    st.set(StatusFlags::MORE_RESULTS_EXISTS, more);
    scripted::ok_with(seq, 0xFE, st)
}

/// A one-column result set (CLIENT_DEPRECATE_EOF framing) from inner sequence id `seq`.
fn result(mut seq: u8, rows: &[Vec<u8>], more: bool) -> Vec<u8> {
    let mut out = scripted::column_count(seq, 1);
    seq = seq.wrapping_add(1);
    out.extend(scripted::packet(
        seq,
        &scripted::column_payload("v", ColumnType::VAR_STRING),
    ));
    for r in rows {
        seq = seq.wrapping_add(1);
        out.extend(text_row(seq, &[r]));
    }
    out.extend(end(seq.wrapping_add(1), more));
    out
}

/// The scripted server's answers, by query text.
async fn serve(mut c: mysql8::Conn) -> mysql8::R<mywire::codec::handshake::HandshakeResponse> {
    let hello = login(&mut c).await?;
    while let Some(f) = c.recv_command().await? {
        // COM_QUERY with CLIENT_QUERY_ATTRIBUTES: 0x03, 0x00 0x01 (no attributes), the text.
        if f.payload[..] == [0x01] {
            break; // COM_QUIT
        }
        let sql = match f.payload.get(..3) {
            Some([0x03, 0, 1]) => String::from_utf8_lossy(&f.payload[3..]).into_owned(),
            _ => return Err(format!("unexpected command {:02x?}", &f.payload[..])),
        };
        match sql.as_str() {
            "many" => {
                // Every packet of the response in one compressed packet.
                let rows: Vec<Vec<u8>> = (0..ROWS).map(|i| format!("row-{i}").into()).collect();
                let plain = result(1, &rows, false);
                let z = c.compressed(&plain);
                c.send_wire(&z).await?;
            }
            "big" => {
                // One 17 MiB row: a packet of two chunks inside, two compressed packets out.
                let mut plain = scripted::column_count(1, 1);
                plain.extend(scripted::packet(
                    2,
                    &scripted::column_payload("v", ColumnType::LONG_BLOB),
                ));
                let mut row = BytesMut::new();
                put_lenenc(&mut row, BIG as u64);
                row.extend(std::iter::repeat_n(b'q', BIG));
                let (first, rest) = row.split_at(0xFF_FFFF);
                plain.extend_from_slice(&[0xFF, 0xFF, 0xFF, 3]);
                plain.extend_from_slice(first);
                plain.extend_from_slice(&(rest.len() as u32).to_le_bytes()[..3]);
                plain.push(4);
                plain.extend_from_slice(rest);
                plain.extend(end(5, false));
                let z = c.compressed(&plain);
                c.send_wire(&z).await?;
            }
            "multi" => {
                // Two results; the server flushes after the first and its inner counter takes
                // the compressed one's value: the second result's ids go back to 2.
                let first = result(1, &[b"a".to_vec(), b"b".to_vec()], true);
                let z = c.compressed(&first);
                c.send_wire(&z).await?;
                let second = result(c.compressed_seq(), &[b"c".to_vec()], false);
                let z = c.compressed(&second);
                c.send_wire(&z).await?;
            }
            "fail" => {
                // MySQL sends ERR packets uncompressed (length before compression 0).
                let e = scripted::err(
                    1,
                    4031,
                    b"HY000",
                    "The client was disconnected by the server because of inactivity.",
                );
                let mut z = vec![];
                z.extend_from_slice(&(e.len() as u32).to_le_bytes()[..3]);
                z.push(c.compressed_seq());
                z.extend_from_slice(&[0, 0, 0]);
                z.extend_from_slice(&e);
                c.send_wire(&z).await?;
                break;
            }
            other => return Err(format!("unexpected query {other:?}")),
        }
    }
    Ok(hello)
}

#[tokio::test]
async fn zstd_carries_every_kind_of_response() {
    let (addr, h) = mysql8::spawn(serve).await;
    let mut o = opts(addr, "zstd,zlib");
    o.compress_level = Some(5);
    let mut s = match Session::connect(o).await {
        Ok(s) => s,
        Err(e) => panic!("connect: {e}; server: {:?}", h.await),
    };
    assert_eq!(s.compression(), Some(Compression::Zstd));
    let mut r = s.query("many").await.unwrap();
    let mut n = 0;
    while let Some(row) = r.next_row().await.unwrap() {
        assert_eq!(row.text(0).unwrap(), format!("row-{n}"));
        n += 1;
    }
    drop(r);
    assert_eq!(n, ROWS);
    let stats = s.compression_stats().unwrap();
    assert_eq!(stats.packets_received, 1, "{stats:?}");
    let mut r = s.query("big").await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    let v: &[u8] = row.get(0).unwrap().unwrap();
    assert_eq!(v.len(), BIG);
    assert!(v.iter().all(|&b| b == b'q'));
    drop(r);
    assert_eq!(s.compression_stats().unwrap().packets_received, 3);
    let mut r = s.query("multi").await.unwrap();
    let mut got = Vec::new();
    loop {
        while let Some(row) = r.next_row().await.unwrap() {
            got.push(row.text(0).unwrap().into_owned());
        }
        if !r.next_result().await.unwrap() {
            break;
        }
    }
    drop(r);
    assert_eq!(got, ["a", "b", "c"]);
    match s.query_drop("fail").await {
        Err(Error::Server(e)) => assert_eq!(e.code, 4031),
        other => panic!("expected ERR 4031, got {other:?}"),
    }
    let hello = tokio::time::timeout(Duration::from_secs(30), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!hello.capabilities.contains(CapabilityFlags::COMPRESS));
    assert_eq!(hello.zstd_level, Some(5), "the level the server is to use");
}

#[tokio::test]
async fn zlib_when_it_comes_first_and_the_blocking_session() {
    let (addr, h) = mysql8::spawn(serve).await;
    let o = opts(addr, "zlib,zstd");
    let s = tokio::task::spawn_blocking(move || {
        let mut s = blocking::Session::connect(o).unwrap();
        assert_eq!(s.compression(), Some(Compression::Zlib));
        let mut r = s.query("many").unwrap();
        let mut n = 0;
        while r.next_row().unwrap().is_some() {
            n += 1;
        }
        drop(r);
        assert_eq!(n, ROWS);
        s
    })
    .await
    .unwrap();
    drop(s.close());
    let hello = tokio::time::timeout(Duration::from_secs(30), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(hello.zstd_level, None);
    assert!(!hello
        .capabilities
        .contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM));
}

/// A compressed packet header.
fn header(len: usize, seq: u8, ulen: usize) -> Vec<u8> {
    let mut h = (len as u32).to_le_bytes()[..3].to_vec();
    h.push(seq);
    h.extend_from_slice(&(ulen as u32).to_le_bytes()[..3]);
    h
}

/// What a hostile server answers the first query with, after a clean login.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    /// 1 MiB of zeros announced as 100 bytes.
    Bomb,
    /// A header announcing 4 MiB (over the limit: max-packet 1 KiB gives 1 MiB), and nothing
    /// after it.
    Lie,
    /// The right answer with compressed sequence id 9 instead of 1.
    WrongSeq,
    /// Garbage announced as compressed.
    Corrupt,
    /// A stream of 500 bytes announced as 1,000.
    Short,
}

fn hostile_bytes(how: Hostile, zstd: bool) -> Vec<u8> {
    let pack = |plain: &[u8]| -> Vec<u8> {
        if zstd {
            zstd::bulk::compress(plain, 3).unwrap()
        } else {
            use std::io::Write;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(plain).unwrap();
            z.finish().unwrap()
        }
    };
    match how {
        Hostile::Bomb => {
            let body = pack(&vec![0u8; 1 << 20]);
            [header(body.len(), 1, 100), body].concat()
        }
        Hostile::Lie => header(1000, 1, 4 << 20),
        Hostile::WrongSeq => {
            let ok = scripted::ok(1);
            [header(ok.len(), 9, 0), ok].concat()
        }
        Hostile::Corrupt => [header(64, 1, 500), vec![0xA5; 64]].concat(),
        Hostile::Short => {
            let body = pack(&[b'x'; 500]);
            [header(body.len(), 1, 1000), body].concat()
        }
    }
}

#[tokio::test]
async fn hostile_compressed_packets_are_typed_errors_that_break_the_session() {
    let cases = [
        (Hostile::Bomb, "uncompressed_length", ErrorKind::TooLarge),
        (Hostile::Lie, "uncompressed_length", ErrorKind::TooLarge),
        (
            Hostile::WrongSeq,
            "sequence_id",
            ErrorKind::SequenceMismatch,
        ),
        (
            Hostile::Corrupt,
            "compressed_payload",
            ErrorKind::InvalidValue,
        ),
        (Hostile::Short, "uncompressed_length", ErrorKind::Truncated),
    ];
    for zstd in [true, false] {
        for (how, field, kind) in cases {
            let (addr, h) = mysql8::spawn(move |mut c: mysql8::Conn| async move {
                login(&mut c).await?;
                c.recv_command().await?;
                c.send_wire(&hostile_bytes(how, zstd)).await?;
                // Hold the connection open: the error must not wait for more bytes.
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
            let mut o = opts(addr, if zstd { "zstd" } else { "zlib" });
            o.max_packet = 1024;
            o.read_timeout = Some(Duration::from_secs(3));
            let mut s = Session::connect(o).await.unwrap();
            let e = s.query_drop("SELECT 1").await.unwrap_err();
            match &e {
                Error::Protocol(p) => assert_eq!(
                    (p.packet, p.field, p.kind),
                    (Packet::Compressed, field, kind),
                    "{how:?} zstd={zstd}: {e}"
                ),
                other => panic!("{how:?} zstd={zstd}: expected a protocol error, got {other}"),
            }
            assert!(s.is_broken(), "{how:?}");
            assert!(matches!(s.ping().await, Err(Error::Broken(_))), "{how:?}");
            h.abort();
        }
    }
}

#[tokio::test]
async fn an_idle_timeout_err_sent_as_is_ends_a_compressed_session() {
    // MySQL 8.0.24+ tells an idle client why it hangs up: ERR 4031 with its counters reset
    // (compressed sequence id 0 where 1 would be due), not compressed (error packets are sent
    // as they are).
    let (addr, h) = mysql8::spawn(|mut c: mysql8::Conn| async move {
        login(&mut c).await?;
        let e = scripted::err(
            0,
            4031,
            b"HY000",
            "The client was disconnected by the server because of inactivity.",
        );
        let mut z = header(e.len(), 0, 0);
        z.extend_from_slice(&e);
        c.send_wire(&z).await?;
        c.recv_command().await?;
        Ok(())
    })
    .await;
    let mut s = Session::connect(opts(addr, "zstd")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let e = s.query_drop("SELECT 1").await.unwrap_err();
    assert_eq!(e.server_error().map(|s| s.code), Some(4031), "{e}");
    assert_eq!(e.kind(), mywire::ErrorKind::ClosedByServer);
    assert!(s.is_broken());
    h.abort();
}
