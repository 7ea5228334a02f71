//! Engine-level tests: recorded and encoded server byte streams fed to [`Engine`] without any
//! socket. Every scenario runs twice (or more): with everything the server sent available at
//! once, and delivered one byte at a time; both runs must give the same events, rows and
//! values, and queue the same bytes in `transmit()`.

use std::borrow::Cow;

use bytes::BytesMut;
use zeroize::Zeroizing;

use super::{ConnectConfig, ConnectEvent, Engine, Step, PIPELINE_WINDOW};
use crate::codec::auth::{native, AuthConfig};
use crate::codec::command::{Command, COM_PING, COM_QUERY};
use crate::codec::frame::{PacketCodec, MAX_CHUNK};
use crate::codec::handshake::{
    encode_auth_switch, encode_handshake, parse_client_hello, parse_handshake, AuthSwitch,
    ClientHello,
};
use crate::codec::response::{encode_eof, encode_err, encode_ok, EofPacket, ErrPacket, OkPacket};
use crate::codec::resultset::{encode_row, parse_column_definition};
use crate::codec::{CapabilityFlags, StatusFlags};
use crate::error::Error;
use crate::trace::Phase;

/// The greeting of MariaDB 10.11.19 (Debian 12), recorded by `fuzz/record_seeds.sh`:
/// mysql_native_password, CLIENT_DEPRECATE_EOF and CLIENT_SESSION_TRACK offered, no TLS.
const GREETING: &[u8] = include_bytes!("../../../fuzz/corpus/handshake/seed-greeting-001");
/// The OK that ended authentication on the same server (the seed's first four bytes are the
/// capabilities it was parsed with).
const AUTH_OK: &[u8] = include_bytes!("../../../fuzz/corpus/ok_err_eof/seed-auth-ok-003");
/// `SELECT 1 AS a`: its column definition as that server sent it (after the seed's first byte,
/// the fuzz target's extended-metadata flag).
const COLDEF_A: &[u8] = include_bytes!("../../../fuzz/corpus/column_definition/seed-coldef-005");

const PASSWORD: &[u8] = b"s3cret";
const MAX_PACKET: usize = 64 << 20;

/// Whole stream at once, then one byte at a time.
const CHUNKS: [usize; 2] = [usize::MAX, 1];

// ---- building server bytes --------------------------------------------------------------

/// One logical packet with sequence id `seq` (continuation chunks if it is that long).
fn pkt(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut c = PacketCodec::new(usize::MAX);
    c.set_seq(seq);
    let mut out = BytesMut::new();
    c.encode_parts(&[payload], &mut out);
    out.to_vec()
}

fn ok_payload(status: StatusFlags, affected: u64, header: u8) -> Vec<u8> {
    let mut b = BytesMut::new();
    let ok = OkPacket {
        affected_rows: affected,
        status,
        ..OkPacket::default()
    };
    encode_ok(&ok, header, CapabilityFlags::PROTOCOL_41, &mut b);
    b.to_vec()
}

fn ok(seq: u8, status: StatusFlags, affected: u64) -> Vec<u8> {
    pkt(seq, &ok_payload(status, affected, 0x00))
}

fn err(seq: u8, code: u16, msg: &str) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_err(
        &ErrPacket {
            code,
            sql_state: Some(*b"42S02"),
            message: msg.into(),
        },
        &mut b,
    );
    pkt(seq, &b)
}

fn eof(seq: u8, status: StatusFlags) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_eof(
        &EofPacket {
            warnings: 0,
            status,
        },
        &mut b,
    );
    pkt(seq, &b)
}

fn coldef(seq: u8, name: &str) -> Vec<u8> {
    let c = parse_column_definition(&bytes::Bytes::from_static(&COLDEF_A[1..]), false).unwrap();
    let mut f = c.fields();
    f.name = name.as_bytes();
    f.org_name = name.as_bytes();
    let mut b = BytesMut::new();
    f.encode(&mut b);
    pkt(seq, &b)
}

/// A result set with the given column names and rows, its first packet with sequence id 1,
/// ended by an OK/EOF with `end_status`. Returns the bytes and the next sequence id.
fn result_set(
    first_seq: u8,
    deprecate_eof: bool,
    cols: &[&str],
    rows: &[Vec<Option<Vec<u8>>>],
    end_status: StatusFlags,
) -> (Vec<u8>, u8) {
    // One codec for the whole response: a packet split into continuation chunks takes one
    // sequence id per chunk.
    let mut c = PacketCodec::new(usize::MAX);
    c.set_seq(first_seq);
    let mut out = BytesMut::new();
    c.encode_parts(&[&[u8::try_from(cols.len()).unwrap()]], &mut out);
    for name in cols {
        let def = coldef(0, name);
        c.encode_parts(&[&def[4..]], &mut out);
    }
    if !deprecate_eof {
        let p = eof(0, StatusFlags::AUTOCOMMIT);
        c.encode_parts(&[&p[4..]], &mut out);
    }
    for r in rows {
        let cells: Vec<Option<&[u8]>> = r.iter().map(|c| c.as_deref()).collect();
        let mut b = BytesMut::new();
        encode_row(&cells, &mut b);
        c.encode_parts(&[&b], &mut out);
    }
    if deprecate_eof {
        c.encode_parts(&[&ok_payload(end_status, 0, 0xFE)], &mut out);
    } else {
        let p = eof(0, end_status);
        c.encode_parts(&[&p[4..]], &mut out);
    }
    (out.to_vec(), c.next_seq())
}

fn greeting_with(f: impl FnOnce(&mut crate::codec::handshake::Handshake)) -> Vec<u8> {
    let mut hs = parse_handshake(GREETING).unwrap();
    f(&mut hs);
    let mut b = BytesMut::new();
    encode_handshake(&hs, &mut b);
    pkt(0, &b)
}

fn config(deprecate_eof: bool, wants_tls: bool) -> ConnectConfig {
    let mut caps = CapabilityFlags::LONG_PASSWORD
        | CapabilityFlags::LONG_FLAG
        | CapabilityFlags::PROTOCOL_41
        | CapabilityFlags::TRANSACTIONS
        | CapabilityFlags::SECURE_CONNECTION
        | CapabilityFlags::MULTI_RESULTS
        | CapabilityFlags::MULTI_STATEMENTS
        | CapabilityFlags::PLUGIN_AUTH
        | CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA
        | CapabilityFlags::CONNECT_ATTRS;
    caps.set(CapabilityFlags::DEPRECATE_EOF, deprecate_eof);
    ConnectConfig {
        compress: Vec::new(),
        compress_level: None,
        capabilities: caps,
        wants_tls,
        requires_tls: false,
        verifies_peer: false,
        ssl_mode: if wants_tls {
            crate::session::SslMode::Preferred
        } else {
            crate::session::SslMode::Disabled
        },
        endpoint: "test:3306".into(),
        unix: false,
        max_packet: u32::try_from(MAX_PACKET).unwrap(),
        collation: 45,
        user: b"alice".to_vec(),
        password: Zeroizing::new(PASSWORD.to_vec()),
        database: None,
        attributes: vec![(Cow::Borrowed("_client_name"), Cow::Borrowed("mywire"))],
        auth: AuthConfig::default(),
    }
}

// ---- the driver -------------------------------------------------------------------------

/// Delivers the server's bytes to an engine `chunk` bytes per read, only when a step asks for
/// more, and collects what the engine queued.
struct Wire {
    rx: Vec<u8>,
    pos: usize,
    chunk: usize,
    tx: Vec<u8>,
}

impl Wire {
    fn new(chunk: usize, server: &[u8]) -> Wire {
        Wire {
            rx: server.to_vec(),
            pos: 0,
            chunk,
            tx: Vec::new(),
        }
    }

    /// More bytes from the server (after the client spoke, e.g. past the TLS point).
    fn server(&mut self, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
    }

    /// Moves what the engine queued into `tx`.
    fn take_tx(&mut self, e: &mut Engine) {
        let t = e.transmit();
        self.tx.extend_from_slice(t);
        t.clear();
        e.written();
    }

    /// Steps until `step` answers; a step asking for bytes the script does not have fails the
    /// test.
    fn drive<T>(
        &mut self,
        e: &mut Engine,
        step: impl FnMut(&mut Engine) -> Step<T>,
    ) -> Result<T, Error> {
        let r = self.pump(e, step)?;
        Ok(r.expect("the engine wants more bytes than the server sent"))
    }

    /// Like [`Wire::drive`], but `Ok(None)` once every byte was delivered and the step still
    /// wants more.
    fn pump<T>(&mut self, e: &mut Engine, mut step: impl FnMut(&mut Engine) -> Step<T>) -> Step<T> {
        loop {
            let r = step(e);
            self.take_tx(e);
            if let Some(v) = r? {
                return Ok(Some(v));
            }
            let n = (self.rx.len() - self.pos).min(self.chunk);
            if n == 0 {
                return Ok(None);
            }
            feed_all(e, &self.rx[self.pos..self.pos + n], self.chunk);
            self.pos += n;
        }
    }

    /// True when every byte the server sent was delivered.
    fn all_read(&self) -> bool {
        self.pos == self.rx.len()
    }
}

/// Hands `bytes` to the engine in reads of `chunk` bytes, alternating between the two ways
/// drivers read (`read_buf` for the async one, `read_space` / `commit_read` for the blocking
/// one).
fn feed_all(e: &mut Engine, bytes: &[u8], chunk: usize) {
    for (i, c) in bytes.chunks(chunk.max(1)).enumerate() {
        if i % 2 == 0 {
            e.read_buf().extend_from_slice(c);
        } else {
            let mut done = 0;
            while done < c.len() {
                let space = e.read_space();
                let n = space.len().min(c.len() - done);
                space[..n].copy_from_slice(&c[done..done + n]);
                e.commit_read(n);
                done += n;
            }
        }
    }
}

/// Splits queued client bytes into (seq, payload) packets (single-chunk packets only).
fn packets(tx: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut c = PacketCodec::new(usize::MAX);
    c.set_check_seq(false);
    let mut b = BytesMut::from(tx);
    let mut out = Vec::new();
    while let Some(f) = c.decode_frame(&mut b).unwrap() {
        out.push((f.seq, f.payload.to_vec()));
    }
    assert!(b.is_empty(), "a partial packet was queued");
    out
}

/// Runs `scenario` once per chunk size, asserting identical logs and transmitted bytes; returns
/// the log and the bytes of the first run.
fn same_for_all_chunks(
    chunks: &[usize],
    scenario: impl Fn(usize) -> (Vec<String>, Vec<u8>),
) -> (Vec<String>, Vec<u8>) {
    let first = scenario(chunks[0]);
    for &c in &chunks[1..] {
        let other = scenario(c);
        assert_eq!(first.0, other.0, "events differ with chunk size {c}");
        assert!(
            first.1 == other.1,
            "transmitted bytes differ with chunk size {c}"
        );
    }
    first
}

/// The recorded greeting (minus MariaDB's CACHE_METADATA: the result sets these tests build
/// have no `metadata_follows` byte) and auth OK, for a connection straight into the command
/// phase.
fn connect_bytes() -> Vec<u8> {
    let mut s = greeting_with(|hs| {
        let without = hs.mariadb_capabilities.bits()
            & !crate::codec::MariaDbCapabilities::CACHE_METADATA.bits();
        hs.mariadb_capabilities = crate::codec::MariaDbCapabilities(without);
    });
    s.extend(pkt(2, &AUTH_OK[4..]));
    s
}

/// [`connect_bytes`] with the recorded greeting as it is: CACHE_METADATA is negotiated.
fn connect_bytes_caching_metadata() -> Vec<u8> {
    let mut s = pkt(0, GREETING);
    s.extend(pkt(2, &AUTH_OK[4..]));
    s
}

/// An engine connected over `wire` (whose script starts with [`connect_bytes`]); the
/// handshake response is dropped from `tx`.
fn connected(wire: &mut Wire, deprecate_eof: bool) -> Engine {
    let mut e = Engine::connect(MAX_PACKET, config(deprecate_eof, false));
    let ev = wire.drive(&mut e, |e| e.connect_step()).unwrap();
    assert_eq!(ev, ConnectEvent::Connected);
    assert_eq!(e.phase(), Phase::Command);
    wire.tx.clear();
    e
}

/// Reads the rows of the current result set into the log, as text and as i64.
fn read_rows(w: &mut Wire, e: &mut Engine, log: &mut Vec<String>) {
    while w.drive(e, |e| e.row_step()).unwrap() {
        let r = e.row();
        let cells: Vec<String> = (0..r.len())
            .map(|i| match r.text(i) {
                Some(t) => format!("{t}/{:?}", r.get::<i64>(i).ok().flatten()),
                None => "NULL".into(),
            })
            .collect();
        log.push(format!("row {}", cells.join(",")));
    }
    log.push(format!("end status={:#06x}", e.status().bits()));
}

fn cols(e: &Engine) -> String {
    let names: Vec<String> = e.columns().iter().map(|c| c.name().into_owned()).collect();
    format!("columns {}", names.join(","))
}

fn server_code(r: Result<(), Error>) -> u16 {
    match r {
        Err(Error::Server(s)) => s.code,
        other => panic!("expected a server error, got {other:?}"),
    }
}

fn sample_rows() -> Vec<Vec<Option<Vec<u8>>>> {
    vec![
        vec![Some(b"1".to_vec()), Some(b"x".to_vec())],
        vec![None, Some(b"-5".to_vec())],
        vec![Some(b"42".to_vec()), Some(Vec::new())],
    ]
}

mod compress;
mod connect;
mod failures;
mod infile;
mod pipeline;
mod raw;
mod results;
mod stmt;
