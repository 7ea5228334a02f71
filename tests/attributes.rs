//! Query attributes (MySQL 8.0.23+, CLIENT_QUERY_ATTRIBUTES) against the scripted MySQL 8
//! server: once negotiated every COM_QUERY carries an attribute block (empty, or the caller's
//! name/value pairs), and COM_STMT_EXECUTE carries the attributes after the parameters. The
//! expected bytes are written out by hand from the layouts in the MySQL documentation
//! ("COM_QUERY", "COM_STMT_EXECUTE"), not with the library's encoders. A server without the
//! capability (the throwaway MariaDB) gets plain commands, and attributes are refused there
//! before anything is sent.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is abandoned, possibly unread (drained by the next call).
#![allow(clippy::drop_non_drop)]

#[path = "support/mysql8.rs"]
mod mysql8;
#[path = "support/scripted.rs"]
mod scripted;
mod support;

use std::time::Duration;

use bytes::BytesMut;
use mywire::codec::stmt::PrepareOk;
use mywire::codec::ColumnType;
use mywire::{Error, Options, Session};

const STMT_ID: u32 = 7;

/// The scripted server: logs in anyone, answers a plain query, a query with attributes, a
/// prepare of `SELECT ?` and one execute, each with an OK (the prepare with its definitions);
/// returns every command payload it received.
async fn script(mut c: mysql8::Conn) -> mysql8::R<Vec<Vec<u8>>> {
    c.send_greeting(&mysql8::greeting("mysql_native_password", false))
        .await?;
    let hello = c.recv_hello(false).await?;
    if !hello
        .capabilities
        .contains(mywire::codec::CapabilityFlags::QUERY_ATTRIBUTES)
    {
        return Err("the client did not ask for CLIENT_QUERY_ATTRIBUTES".into());
    }
    c.send_ok().await?;
    let mut got = Vec::new();
    while let Some(f) = c.recv_command().await? {
        let cmd = f.payload.to_vec();
        match cmd.first() {
            Some(0x01) => break, // COM_QUIT
            Some(0x16) => {
                let mut b = BytesMut::new();
                PrepareOk {
                    statement_id: STMT_ID,
                    num_columns: 1,
                    num_params: 1,
                    warning_count: Some(0),
                    metadata: None,
                }
                .encode(&mut b);
                c.send(&b).await?;
                c.send(&scripted::column_payload("?", ColumnType::NULL))
                    .await?;
                c.send(&scripted::column_payload("x", ColumnType::LONGLONG))
                    .await?;
            }
            _ => c.send_ok().await?,
        }
        got.push(cmd);
    }
    Ok(got)
}

fn scripted_opts(addr: std::net::SocketAddr) -> Options {
    Options::new()
        .host("127.0.0.1")
        .port(addr.port())
        .user("alice")
        .password("pw")
        .connect_timeout(Some(Duration::from_secs(20)))
}

#[tokio::test]
async fn queries_and_executes_carry_attributes_to_mysql8() {
    let (addr, h) = mysql8::spawn(script).await;
    let o = scripted_opts(addr);
    let mut s = match Session::connect(o).await {
        Ok(s) => s,
        Err(e) => panic!("connect: {e}; server: {:?}", h.await),
    };
    s.query_drop("SELECT 1").await.unwrap();
    let r = s
        .query_with_attributes("SELECT 2", &[("trace_id", &"abc"), ("n", &5i32)])
        .await
        .unwrap();
    drop(r);
    let st = s.prepare("SELECT ?").await.unwrap();
    let r = s
        .execute_with_attributes(&st, &[&7i32], &[("trace_id", &"abc")])
        .await
        .unwrap();
    drop(r);
    // A wrong parameter count is still refused before anything is sent.
    assert!(matches!(
        s.execute_with_attributes(&st, &[], &[("a", &1i32)]).await,
        Err(Error::Usage(_))
    ));
    s.close().await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // COM_QUERY, no attributes: parameter_count 0, parameter_set_count 1, the text.
    assert_eq!(got[0], b"\x03\x00\x01SELECT 1");
    // COM_QUERY with two attributes: count 2, set count 1, NULL bitmap (1 byte),
    // new_params_bind_flag 1, per attribute type (2 bytes: VAR_STRING 0xfd / LONG 0x03, not
    // unsigned) and lenenc name, then the values (lenenc string; int<4>), then the text.
    let mut want = vec![0x03, 0x02, 0x01, 0x00, 0x01];
    want.extend_from_slice(&[0xfd, 0x00, 8]);
    want.extend_from_slice(b"trace_id");
    want.extend_from_slice(&[0x03, 0x00, 1, b'n']);
    want.extend_from_slice(&[3, b'a', b'b', b'c']);
    want.extend_from_slice(&5i32.to_le_bytes());
    want.extend_from_slice(b"SELECT 2");
    assert_eq!(got[1], want);
    assert_eq!(got[2], b"\x16SELECT ?");
    // COM_STMT_EXECUTE: id, flags 0, iteration count 1, parameter_count 2 (the parameter and
    // the attribute), NULL bitmap, bind flag, (type, name) per value (the parameter's name
    // empty), values.
    let mut want = vec![0x17];
    want.extend_from_slice(&STMT_ID.to_le_bytes());
    want.extend_from_slice(&[0x00, 1, 0, 0, 0, 0x02, 0x00, 0x01]);
    want.extend_from_slice(&[0x03, 0x00, 0]);
    want.extend_from_slice(&[0xfd, 0x00, 8]);
    want.extend_from_slice(b"trace_id");
    want.extend_from_slice(&7i32.to_le_bytes());
    want.extend_from_slice(&[3, b'a', b'b', b'c']);
    assert_eq!(got[3], want);
    assert_eq!(got.len(), 4, "nothing else was sent");
}

#[tokio::test]
async fn mariadb_gets_plain_queries_and_attributes_are_refused() {
    let mut s = Session::connect(Options::from_url(&support::server().url()).unwrap())
        .await
        .unwrap();
    assert!(!s
        .capabilities()
        .contains(mywire::codec::CapabilityFlags::QUERY_ATTRIBUTES));
    let e = s
        .query_with_attributes("SELECT 1", &[("a", &1i32)])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m.contains("CLIENT_QUERY_ATTRIBUTES")),
        "{e:?}"
    );
    let st = s.prepare("SELECT ?").await.unwrap();
    assert!(matches!(
        s.execute_with_attributes(&st, &[&1i32], &[("a", &1i32)])
            .await,
        Err(Error::Usage(_))
    ));
    // The session is untouched.
    let mut r = s.query("SELECT 41 + 1").await.unwrap();
    assert_eq!(
        r.next_row().await.unwrap().unwrap().get::<i64>(0).unwrap(),
        Some(42)
    );
}

#[tokio::test]
async fn the_blocking_session_sends_the_same_bytes() {
    let (addr, h) = mysql8::spawn(script).await;
    let client = tokio::task::spawn_blocking(move || {
        let o = scripted_opts(addr);
        let mut s = mywire::session::blocking::Session::connect(o).unwrap();
        s.query_drop("SELECT 1").unwrap();
        let r = s
            .query_with_attributes("SELECT 2", &[("trace_id", &"abc"), ("n", &5i32)])
            .unwrap();
        drop(r);
        let st = s.prepare("SELECT ?").unwrap();
        let r = s
            .execute_with_attributes(&st, &[&7i32], &[("trace_id", &"abc")])
            .unwrap();
        drop(r);
        s.close().unwrap();
    });
    client.await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), h)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], b"\x03\x00\x01SELECT 1");
    assert!(got[1].starts_with(&[0x03, 0x02, 0x01, 0x00, 0x01, 0xfd, 0x00, 8]));
    assert!(got[1].ends_with(b"SELECT 2"));
    assert!(got[3].starts_with(&[0x17, STMT_ID as u8, 0, 0, 0, 0x00, 1, 0, 0, 0, 0x02]));
}
