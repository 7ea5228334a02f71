//! A scripted, misbehaving MySQL/MariaDB server for tests.
//!
//! [`Server::start`] binds 127.0.0.1:0 and runs a [`Step`] script on its own thread (with its own
//! current-thread tokio runtime, so its allocations never count against the client under test):
//! send these bytes, read one client packet, stall, close. Every byte the client sends is
//! recorded, including what arrives after the script ends (read until the client closes, up to
//! a few seconds), and returned by [`Server::finish`].
#![allow(dead_code)]

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use mywire::codec::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::codec::handshake::{encode_auth_switch, encode_handshake, AuthSwitch, Handshake};
use mywire::codec::response::{encode_err, encode_ok, ErrPacket, OkPacket};
use mywire::codec::resultset::{encode_row, ColumnFields};
use mywire::codec::writer::put_lenenc;
use mywire::codec::{ColumnFlags, ColumnType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The password every scripted test connects with; it must never appear on the wire.
pub const PASSWORD: &str = "hostile-Secret-pw1";

/// Capabilities of MariaDB 10.11 (no CLIENT_SSL; DEPRECATE_EOF and SESSION_TRACK set).
pub const MARIADB_CAPS: u32 = 0x81ff_f7fe;

/// One step of a script.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes (headers included: build them with [`packet`]).
    Send(Vec<u8>),
    /// Read one client packet (header and payload); the script ends if the client closed.
    ReadPacket,
    /// Do nothing for this long, keeping the connection open.
    Stall(Duration),
    /// Close the connection now (nothing more is read).
    Close,
}

/// What the client sent.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
}

impl Record {
    /// The received bytes split into (sequence id, payload) packets by their headers.
    pub fn packets(&self) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut b = &self.bytes[..];
        while b.len() >= 4 {
            let len = usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
            let end = (4 + len).min(b.len());
            out.push((b[3], b[4..end].to_vec()));
            b = &b[end..];
        }
        out
    }

    /// True if `needle` occurs anywhere in what the client sent.
    pub fn contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && self.bytes.windows(needle.len()).any(|w| w == needle)
    }
}

/// A running scripted server.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: Option<JoinHandle<Record>>,
}

impl Server {
    /// Binds 127.0.0.1:0 and runs `script` for the first connection.
    pub fn start(script: Vec<Step>) -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(run(std_listener, script))
        });
        Server {
            addr,
            handle: Some(handle),
        }
    }

    /// A connection URL for this server (user root, [`PASSWORD`]) with `params` appended.
    pub fn url(&self, params: &str) -> String {
        format!("mysql://root:{PASSWORD}@{}/?{params}", self.addr)
    }

    /// Waits for the script to end and returns what the client sent.
    pub fn finish(mut self) -> Record {
        self.handle
            .take()
            .expect("finished once")
            .join()
            .expect("server thread")
    }
}

async fn run(listener: std::net::TcpListener, script: Vec<Step>) -> Record {
    let mut rec = Record::default();
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    let Ok(Ok((mut sock, _))) =
        tokio::time::timeout(Duration::from_secs(10), listener.accept()).await
    else {
        return rec;
    };
    for step in script {
        match step {
            Step::Send(b) => {
                if sock.write_all(&b).await.is_err() {
                    break;
                }
            }
            Step::ReadPacket => {
                let mut head = [0u8; 4];
                let r = tokio::time::timeout(Duration::from_secs(10), sock.read_exact(&mut head));
                if !matches!(r.await, Ok(Ok(_))) {
                    break;
                }
                rec.bytes.extend_from_slice(&head);
                let len =
                    usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
                let mut body = vec![0u8; len];
                let r = tokio::time::timeout(Duration::from_secs(10), sock.read_exact(&mut body));
                if !matches!(r.await, Ok(Ok(_))) {
                    break;
                }
                rec.bytes.extend_from_slice(&body);
            }
            Step::Stall(d) => tokio::time::sleep(d).await,
            Step::Close => {
                let _ = sock.shutdown().await;
                return rec;
            }
        }
    }
    // Record whatever else the client sends until it closes (bounded).
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        rec.bytes.extend_from_slice(&buf[..n]);
    }
    rec
}

// ---- packet builders ------------------------------------------------------------------------

/// A packet with header: 3-byte length (must be < 0xFFFFFF) and sequence id.
pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("length");
    assert!(len < 0xFF_FFFF, "use chunks for 16 MiB payloads");
    let mut v = len.to_le_bytes()[..3].to_vec();
    v.push(seq);
    v.extend_from_slice(payload);
    v
}

/// A greeting (seq 0) with these capabilities and default plugin.
pub fn greeting(caps: u32, plugin: &str) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_handshake(
        &Handshake {
            protocol_version: 10,
            server_version: "5.5.5-10.11.19-MariaDB-scripted".into(),
            connection_id: 7,
            nonce: (1..=20).collect(),
            capabilities: CapabilityFlags(caps),
            charset: 45,
            status: StatusFlags::AUTOCOMMIT,
            mariadb_capabilities: MariaDbCapabilities::empty(),
            auth_plugin: Some(plugin.into()),
        },
        &mut b,
    );
    packet(0, &b)
}

/// An OK packet (header 0x00) with status AUTOCOMMIT.
pub fn ok(seq: u8) -> Vec<u8> {
    ok_with(seq, 0x00, StatusFlags::AUTOCOMMIT)
}

/// An OK packet with the given header (0x00, or 0xFE for OK-as-EOF) and status.
pub fn ok_with(seq: u8, header: u8, status: StatusFlags) -> Vec<u8> {
    let mut b = BytesMut::new();
    let ok = OkPacket {
        status,
        ..OkPacket::default()
    };
    let caps = CapabilityFlags::PROTOCOL_41 | CapabilityFlags::SESSION_TRACK;
    encode_ok(&ok, header, caps, &mut b);
    packet(seq, &b)
}

/// An ERR packet with SQLSTATE.
pub fn err(seq: u8, code: u16, state: &[u8; 5], message: &str) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_err(
        &ErrPacket {
            code,
            sql_state: Some(*state),
            message: message.into(),
        },
        &mut b,
    );
    packet(seq, &b)
}

/// A column-count packet.
pub fn column_count(seq: u8, n: u64) -> Vec<u8> {
    let mut b = BytesMut::new();
    put_lenenc(&mut b, n);
    packet(seq, &b)
}

/// A column definition payload (no header).
pub fn column_payload(name: &str, ty: ColumnType) -> Vec<u8> {
    let mut b = BytesMut::new();
    ColumnFields {
        catalog: b"def",
        schema: b"",
        table: b"",
        org_table: b"",
        name: name.as_bytes(),
        org_name: b"",
        extended_metadata: None,
        charset: 45,
        column_length: 255,
        column_type: ty,
        flags: ColumnFlags::empty(),
        decimals: 0,
    }
    .encode(&mut b);
    b.to_vec()
}

/// A column definition packet.
pub fn column(seq: u8, name: &str, ty: ColumnType) -> Vec<u8> {
    packet(seq, &column_payload(name, ty))
}

/// A text row packet (`None` = NULL).
pub fn row(seq: u8, cells: &[Option<&[u8]>]) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_row(cells, &mut b);
    packet(seq, &b)
}

/// An AuthSwitchRequest packet.
pub fn auth_switch(seq: u8, plugin: &str, data: &[u8]) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_auth_switch(
        &AuthSwitch {
            plugin: plugin.into(),
            data: data.to_vec(),
        },
        &mut b,
    );
    packet(seq, &b)
}

/// Greeting (MariaDB capabilities, mysql_native_password), read the handshake response, OK.
pub fn login() -> Vec<Step> {
    vec![
        Step::Send(greeting(MARIADB_CAPS, "mysql_native_password")),
        Step::ReadPacket,
        Step::Send(ok(2)),
    ]
}
