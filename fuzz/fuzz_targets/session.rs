//! A whole Session against a scripted hostile server over `tokio::io::duplex`.
//!
//! The server script is built from structured input: a greeting from fields (or an ERR in its
//! place), then packets of every kind with valid framing most of the time and broken framing
//! (wrong sequence ids, lying or missing headers, cut payloads) some of the time. The server
//! writes its script, closes its sending side and records everything the client sends. The
//! client connects, runs a query, streams rows (calling getters), walks `next_result`, pings,
//! and queries again.
//!
//! Properties: no panic; no hang (a paused-clock runtime: if the client ever waits on nothing,
//! the clock jumps to the outer timeout and the target panics); no single allocation above
//! 4 x max_packet (1 MiB); after a fatal error the next call reports `Error::Broken`; and the
//! password never appears in the bytes the client sent (no plugin may send it in clear here).

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::codec::handshake::{encode_auth_switch, encode_handshake, AuthSwitch, Handshake};
use mywire::codec::response::{encode_eof, encode_err, encode_ok, EofPacket, ErrPacket, OkPacket};
use mywire::codec::resultset::{encode_row, ColumnFields};
use mywire::codec::writer::put_lenenc;
use mywire::codec::{ColumnFlags, ColumnType};
use mywire::session::{Password, Stream};
use mywire::{Error, Options, Session};
use mywire_fuzz::{largest, reset_largest, PeakAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const PASSWORD: &str = "fuzz-Secret-pw";
const MAX_PACKET: usize = 1 << 20;

#[derive(Arbitrary, Debug)]
enum Plugin {
    None,
    Native,
    CachingSha2,
    Sha256,
    Clear,
    Ed25519,
    UnixSocket,
    Other(String),
}

impl Plugin {
    fn name(&self) -> Option<String> {
        Some(
            match self {
                Plugin::None => return None,
                Plugin::Native => "mysql_native_password",
                Plugin::CachingSha2 => "caching_sha2_password",
                Plugin::Sha256 => "sha256_password",
                Plugin::Clear => "mysql_clear_password",
                Plugin::Ed25519 => "client_ed25519",
                Plugin::UnixSocket => "unix_socket",
                Plugin::Other(s) => s,
            }
            .to_string(),
        )
    }
}

#[derive(Arbitrary, Debug)]
struct Greeting {
    /// An ERR packet (code, message) instead of a greeting.
    err_instead: Option<(u16, String)>,
    version: String,
    connection_id: u32,
    nonce: [u8; 20],
    extra_nonce: Vec<u8>,
    caps: u32,
    /// Clear CLIENT_PROTOCOL_41 (the client must refuse).
    no_protocol41: bool,
    charset: u8,
    status: u16,
    mariadb_caps: u32,
    plugin: Plugin,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Ok {
        fe: bool,
        affected: u64,
        last_id: u64,
        status: u16,
        warnings: u16,
        info: String,
    },
    Err {
        code: u16,
        state: Option<[u8; 5]>,
        message: String,
    },
    Eof {
        warnings: u16,
        status: u16,
    },
    ColumnCount(u64),
    Column {
        name: Vec<u8>,
        table: Vec<u8>,
        ty: u8,
        flags: u16,
        charset: u16,
        len: u32,
        dec: u8,
    },
    Row(Vec<Option<Vec<u8>>>),
    LocalInfile(Vec<u8>),
    AuthSwitch {
        plugin: Plugin,
        data: Vec<u8>,
    },
    AuthMore(Vec<u8>),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Pkt {
    body: Body,
    /// Sequence id: 0..=95 previous + 1, 96..=191 previous + 2 (the client spoke), 192..=239
    /// 1 (first reply to a new command), 240..=255 `arg` as is.
    seq_sel: u8,
    /// Framing: 0..=223 valid, 224..=239 payload cut to `arg` bytes (header unchanged),
    /// 240..=247 header length `arg` (24 bits), 248..=255 no header at all.
    frame_sel: u8,
    arg: u32,
}

#[derive(Arbitrary, Debug)]
struct Input {
    greeting: Greeting,
    packets: Vec<Pkt>,
    deprecate_eof: bool,
    session_track: bool,
    with_password: bool,
}

fn body_bytes(b: &Body) -> BytesMut {
    let mut out = BytesMut::new();
    match b {
        Body::Ok {
            fe,
            affected,
            last_id,
            status,
            warnings,
            info,
        } => {
            let ok = OkPacket {
                affected_rows: *affected,
                last_insert_id: *last_id,
                status: StatusFlags(*status),
                warnings: *warnings,
                info: info.clone(),
                session_state: Vec::new(),
            };
            let caps = CapabilityFlags::PROTOCOL_41 | CapabilityFlags::SESSION_TRACK;
            encode_ok(&ok, if *fe { 0xFE } else { 0 }, caps, &mut out);
        }
        Body::Err {
            code,
            state,
            message,
        } => encode_err(
            &ErrPacket {
                code: *code,
                sql_state: *state,
                message: message.clone(),
            },
            &mut out,
        ),
        Body::Eof { warnings, status } => encode_eof(
            &EofPacket {
                warnings: *warnings,
                status: StatusFlags(*status),
            },
            &mut out,
        ),
        Body::ColumnCount(n) => put_lenenc(&mut out, *n),
        Body::Column {
            name,
            table,
            ty,
            flags,
            charset,
            len,
            dec,
        } => ColumnFields {
            catalog: b"def",
            schema: b"",
            table,
            org_table: table,
            name,
            org_name: name,
            extended_metadata: None,
            charset: *charset,
            column_length: *len,
            column_type: ColumnType(*ty),
            flags: ColumnFlags(*flags),
            decimals: *dec,
        }
        .encode(&mut out),
        Body::Row(cells) => {
            let cells: Vec<Option<&[u8]>> = cells.iter().map(|c| c.as_deref()).collect();
            encode_row(&cells, &mut out);
        }
        Body::LocalInfile(name) => {
            out.extend_from_slice(&[0xFB]);
            out.extend_from_slice(name);
        }
        Body::AuthSwitch { plugin, data } => encode_auth_switch(
            &AuthSwitch {
                plugin: plugin.name().unwrap_or_default(),
                data: data.clone(),
            },
            &mut out,
        ),
        Body::AuthMore(d) => {
            out.extend_from_slice(&[0x01]);
            out.extend_from_slice(d);
        }
        Body::Raw(r) => out.extend_from_slice(r),
    }
    out
}

fn script(inp: &Input) -> Vec<u8> {
    let g = &inp.greeting;
    let mut greeting = BytesMut::new();
    match &g.err_instead {
        Some((code, message)) => encode_err(
            &ErrPacket {
                code: *code,
                sql_state: None,
                message: message.clone(),
            },
            &mut greeting,
        ),
        None => {
            let mut caps = g.caps | CapabilityFlags::PROTOCOL_41.bits();
            if g.no_protocol41 {
                caps &= !CapabilityFlags::PROTOCOL_41.bits();
            }
            let mut nonce = g.nonce.to_vec();
            nonce.extend(g.extra_nonce.iter().take(64));
            encode_handshake(
                &Handshake {
                    protocol_version: 10,
                    server_version: g.version.clone(),
                    connection_id: g.connection_id,
                    nonce,
                    capabilities: CapabilityFlags(caps),
                    charset: g.charset,
                    status: StatusFlags(g.status),
                    mariadb_capabilities: MariaDbCapabilities(g.mariadb_caps),
                    auth_plugin: g.plugin.name(),
                },
                &mut greeting,
            );
        }
    }
    let mut wire = Vec::new();
    let len = greeting.len() as u32;
    wire.extend_from_slice(&len.to_le_bytes()[..3]);
    wire.push(0);
    wire.extend_from_slice(&greeting);
    let mut seq: u8 = 0;
    for p in inp.packets.iter().take(256) {
        let body = body_bytes(&p.body);
        seq = match p.seq_sel {
            0..=95 => seq.wrapping_add(1),
            96..=191 => seq.wrapping_add(2),
            192..=239 => 1,
            _ => p.arg as u8,
        };
        let body = &body[..body.len().min(0xFF_FFFE)];
        let mut len = body.len() as u32;
        let mut payload: &[u8] = body;
        match p.frame_sel {
            224..=239 => payload = &body[..body.len().min(p.arg as usize)],
            240..=247 => len = p.arg & 0xFF_FFFF,
            _ => {}
        }
        if p.frame_sel < 248 {
            wire.extend_from_slice(&len.to_le_bytes()[..3]);
            wire.push(seq);
        }
        wire.extend_from_slice(payload);
    }
    wire
}

/// After a fatal error the session must refuse further use with `Error::Broken`.
async fn after_error(s: &mut Session, e: &Error) {
    if e.is_fatal() {
        assert!(s.is_broken(), "fatal error {e:?} did not break the session");
        match s.ping().await {
            Err(Error::Broken(_)) => {}
            other => panic!("after fatal {e:?}, ping gave {other:?} instead of Error::Broken"),
        }
    }
}

async fn query_and_stream(s: &mut Session, sql: &str) -> Option<Error> {
    let mut r = match s.query(sql).await {
        Ok(r) => r,
        Err(e) => return Some(e),
    };
    for _ in 0..64 {
        let _ = (
            r.columns().len(),
            r.is_result_set(),
            r.affected_rows(),
            r.has_more_results(),
        );
        for _ in 0..10_000 {
            match r.next_row().await {
                Ok(Some(row)) => {
                    for i in 0..row.len() {
                        let _ = row.get::<i64>(i);
                        let _ = row.get::<&str>(i);
                        let _ = row.get::<mywire::codec::value::DateTime>(i);
                        let _ = (row.text(i), row.bytes_shared(i), row.is_null(i));
                    }
                    let _ = row.get::<u8>(row.len());
                }
                Ok(None) => break,
                Err(e) => return Some(e),
            }
        }
        match r.next_result().await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(e),
        }
    }
    None
}

async fn client(stream: tokio::io::DuplexStream, inp: &Input) {
    let opts = Options {
        password: if inp.with_password {
            PASSWORD.into()
        } else {
            Password::default()
        },
        max_packet: MAX_PACKET,
        deprecate_eof: inp.deprecate_eof,
        session_track: inp.session_track,
        connect_timeout: None,
        read_timeout: None,
        ..Options::default()
    };
    let Ok(mut s) = Session::handshake_on(Stream::Other(Box::new(stream)), opts, None).await else {
        return;
    };
    let _ = (
        s.server_version().len(),
        s.capabilities(),
        s.status(),
        format!("{s:?}"),
    );
    for sql in ["SELECT 1", "DO 1"] {
        if let Some(e) = query_and_stream(&mut s, sql).await {
            after_error(&mut s, &e).await;
            if e.is_fatal() {
                return;
            }
        }
        if let Err(e) = s.ping().await {
            after_error(&mut s, &e).await;
            if e.is_fatal() {
                return;
            }
        }
    }
    let _ = s.close().await;
}

fuzz_target!(|inp: Input| {
    let wire = script(&inp);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    reset_largest();
    let sent = rt.block_on(async {
        let (client_end, server_end) = tokio::io::duplex(64 * 1024);
        let (mut sr, mut sw) = tokio::io::split(server_end);
        let writer = tokio::spawn(async move {
            let _ = sw.write_all(&wire).await;
            let _ = sw.shutdown().await;
        });
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let _ = sr.read_to_end(&mut got).await;
            got
        });
        let run = tokio::time::timeout(Duration::from_secs(3600), client(client_end, &inp)).await;
        assert!(run.is_ok(), "the session hung");
        writer.abort();
        reader.await.unwrap_or_default()
    });
    assert!(
        !sent
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the password went over the wire in clear"
    );
    let peak = largest();
    assert!(
        peak <= 4 * MAX_PACKET,
        "largest allocation {peak} > 4 x max_packet"
    );
});
