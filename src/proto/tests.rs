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
const GREETING: &[u8] = include_bytes!("../../fuzz/corpus/handshake/seed-greeting-001");
/// The OK that ended authentication on the same server (the seed's first four bytes are the
/// capabilities it was parsed with).
const AUTH_OK: &[u8] = include_bytes!("../../fuzz/corpus/ok_err_eof/seed-auth-ok-003");
/// `SELECT 1 AS a`: its column definition as that server sent it (after the seed's first byte,
/// the fuzz target's extended-metadata flag).
const COLDEF_A: &[u8] = include_bytes!("../../fuzz/corpus/column_definition/seed-coldef-005");

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
        capabilities: caps,
        wants_tls,
        requires_tls: false,
        verifies_peer: false,
        ssl_mode: if wants_tls { "PREFERRED" } else { "DISABLED" },
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

/// The recorded greeting and auth OK, for a connection straight into the command phase.
fn connect_bytes() -> Vec<u8> {
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

// ---- connection phase -------------------------------------------------------------------

// ---- connection phase -------------------------------------------------------------------

#[test]
fn connect_recorded_greeting_native_password() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut log = Vec::new();
        let mut w = Wire::new(chunk, &pkt(0, GREETING));
        let mut e = Engine::connect(MAX_PACKET, config(true, false));
        // The greeting alone: the handshake response is queued, the verdict awaited.
        assert!(w.pump(&mut e, |e| e.connect_step()).unwrap().is_none());
        log.push(format!("{:?} sent {}", e.phase(), packets(&w.tx).len()));
        w.server(&pkt(2, &AUTH_OK[4..]));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!(
            "{ev:?} {:?} status={:#x}",
            e.phase(),
            e.status().bits()
        ));
        assert!(w.all_read() && e.is_idle() && !e.is_broken());
        (log, w.tx)
    });
    assert_eq!(log, ["Auth sent 1", "Connected Command status=0x2"]);
    let p = packets(&tx);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, 1, "the handshake response has sequence id 1");
    let ClientHello::Response(r) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not a handshake response");
    };
    let hs = parse_handshake(GREETING).unwrap();
    assert_eq!(hs.server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
    assert_eq!(r.user, b"alice");
    assert_eq!(
        r.auth_plugin.as_deref(),
        Some(&b"mysql_native_password"[..])
    );
    assert_eq!(r.auth_response, native::scramble(&hs.nonce, PASSWORD));
    assert_eq!(
        r.capabilities,
        config(true, false).capabilities & hs.capabilities
    );
    assert!(r.capabilities.contains(CapabilityFlags::DEPRECATE_EOF));
}

#[test]
fn connect_with_auth_switch() {
    let nonce2 = *b"ZYXWVUTSRQPONMLKJIH0";
    let mut switch = BytesMut::new();
    encode_auth_switch(
        &AuthSwitch {
            plugin: "mysql_native_password".into(),
            data: nonce2.to_vec(),
        },
        &mut switch,
    );
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = greeting_with(|hs| hs.auth_plugin = Some("caching_sha2_password".into()));
        s.extend(pkt(2, &switch));
        s.extend(pkt(4, &AUTH_OK[4..]));
        let mut w = Wire::new(chunk, &s);
        let mut e = Engine::connect(MAX_PACKET, config(true, false));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        assert!(w.all_read());
        (vec![format!("{ev:?}")], w.tx)
    });
    assert_eq!(log, ["Connected"]);
    let p = packets(&tx);
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].0, p[1].0),
        (1, 3),
        "response seq 1, switch answer seq 3"
    );
    let ClientHello::Response(r) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not a handshake response");
    };
    assert_eq!(
        r.auth_plugin.as_deref(),
        Some(&b"caching_sha2_password"[..])
    );
    assert_eq!(r.auth_response.len(), 32);
    assert_eq!(p[1].1, native::scramble(&nonce2, PASSWORD));
}

#[test]
fn connect_tls_upgrade() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut log = Vec::new();
        let greeting = greeting_with(|hs| hs.capabilities |= CapabilityFlags::SSL);
        let mut w = Wire::new(chunk, &greeting);
        let mut e = Engine::connect(MAX_PACKET, config(true, true));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!("{ev:?} sent {}", packets(&w.tx).len()));
        // Until the driver says TLS runs, stepping is a usage error (not a broken engine).
        assert!(matches!(e.connect_step(), Err(Error::Usage(_))));
        assert!(!e.is_broken());
        e.tls_established().unwrap();
        w.take_tx(&mut e);
        log.push(format!("tls sent {}", packets(&w.tx).len()));
        // Everything after the TLS point comes "through TLS".
        w.server(&pkt(3, &AUTH_OK[4..]));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!("{ev:?}"));
        assert!(matches!(e.tls_established(), Err(Error::Usage(_))));
        (log, w.tx)
    });
    assert_eq!(log, ["StartTls sent 1", "tls sent 2", "Connected"]);
    let p = packets(&tx);
    assert_eq!((p[0].0, p[1].0), (1, 2));
    let ClientHello::SslRequest(req) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not an SSLRequest");
    };
    assert!(req.capabilities.contains(CapabilityFlags::SSL));
    assert!(req.user.is_empty());
    let ClientHello::Response(r) = parse_client_hello(&p[1].1).unwrap() else {
        panic!("not a handshake response");
    };
    assert!(r.capabilities.contains(CapabilityFlags::SSL));
    assert_eq!(r.user, b"alice");
}

#[test]
fn tls_refuses_bytes_after_the_greeting() {
    // Only meaningful when the stray bytes arrive with the greeting: one run, whole stream.
    let mut s = greeting_with(|hs| hs.capabilities |= CapabilityFlags::SSL);
    s.extend(pkt(1, b"injected"));
    let mut w = Wire::new(usize::MAX, &s);
    let mut e = Engine::connect(MAX_PACKET, config(true, true));
    assert!(matches!(
        w.drive(&mut e, |e| e.connect_step()),
        Err(Error::Protocol(_))
    ));
    assert!(e.is_broken());
    assert!(w.tx.is_empty(), "nothing may be sent");
}

#[test]
fn requires_tls_refuses_a_server_without_it() {
    for chunk in CHUNKS {
        let mut w = Wire::new(chunk, &pkt(0, GREETING));
        let mut cfg = config(true, true);
        cfg.requires_tls = true;
        let mut e = Engine::connect(MAX_PACKET, cfg);
        match w.drive(&mut e, |e| e.connect_step()) {
            Err(Error::Io(io)) => assert_eq!(io.kind(), std::io::ErrorKind::Unsupported),
            other => panic!("expected an I/O error, got {other:?}"),
        }
        assert!(w.tx.is_empty(), "nothing may be sent");
        // A refused connect leaves nothing to use.
        assert!(matches!(e.connect_step(), Err(Error::Broken(_))));
        assert!(matches!(e.start_query("DO 1"), Err(Error::Broken(_))));
        assert!(!e.wants_write());
    }
}

#[test]
fn an_err_instead_of_a_greeting_ends_the_connection() {
    for chunk in CHUNKS {
        let mut w = Wire::new(chunk, &err(0, 1130, "Host is not allowed to connect"));
        let mut e = Engine::connect(MAX_PACKET, config(false, true));
        match w.drive(&mut e, |e| e.connect_step()) {
            Err(Error::Server(s)) => assert_eq!(s.code, 1130),
            other => panic!("expected the server's error, got {other:?}"),
        }
        assert!(e.is_broken());
        assert!(matches!(e.connect_step(), Err(Error::Broken(_))));
        assert!(matches!(e.start_query("DO 1"), Err(Error::Broken(_))));
        assert!(w.tx.is_empty());
    }
}

// ---- command phase ----------------------------------------------------------------------

fn sample_rows() -> Vec<Vec<Option<Vec<u8>>>> {
    vec![
        vec![Some(b"1".to_vec()), Some(b"x".to_vec())],
        vec![None, Some(b"-5".to_vec())],
        vec![Some(b"42".to_vec()), Some(Vec::new())],
    ]
}

#[test]
fn query_text_result_set() {
    for deprecate_eof in [true, false] {
        let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            let (rs, _) = result_set(
                1,
                deprecate_eof,
                &["a", "b"],
                &sample_rows(),
                StatusFlags::AUTOCOMMIT,
            );
            s.extend(rs);
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, deprecate_eof);
            let mut log = Vec::new();
            e.start_query("SELECT a, b FROM t").unwrap();
            w.drive(&mut e, |e| e.head_step()).unwrap();
            assert!(e.in_rows());
            log.push(cols(&e));
            read_rows(&mut w, &mut e, &mut log);
            assert!(e.is_idle() && w.all_read());
            // Reading on after the end: still the end.
            assert!(!w.drive(&mut e, |e| e.row_step()).unwrap());
            (log, w.tx)
        });
        assert_eq!(
            log,
            [
                "columns a,b",
                "row 1/Some(1),x/None",
                "row NULL,-5/Some(-5)",
                "row 42/Some(42),/None",
                "end status=0x0002",
            ],
            "deprecate_eof={deprecate_eof}"
        );
        let mut q = vec![COM_QUERY];
        q.extend_from_slice(b"SELECT a, b FROM t");
        assert_eq!(packets(&tx), [(0, q)]);
    }
}

#[test]
fn multi_results() {
    let more = StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS;
    for deprecate_eof in [true, false] {
        let (log, _) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            let (rs, seq) =
                result_set(1, deprecate_eof, &["a"], &[vec![Some(b"1".to_vec())]], more);
            s.extend(rs);
            s.extend(ok(seq, more, 7));
            let (rs, _) = result_set(
                seq.wrapping_add(1),
                deprecate_eof,
                &["b", "c"],
                &[vec![Some(b"2".to_vec()), None]],
                StatusFlags::AUTOCOMMIT,
            );
            s.extend(rs);
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, deprecate_eof);
            let mut log = Vec::new();
            e.start_query("SELECT 1; UPDATE t SET x = 1; SELECT 2, NULL")
                .unwrap();
            let id = e.completed();
            loop {
                w.drive(&mut e, |e| e.head_step()).unwrap();
                if e.in_rows() {
                    log.push(cols(&e));
                    read_rows(&mut w, &mut e, &mut log);
                } else {
                    log.push(format!("ok affected={}", e.last_ok().affected_rows));
                }
                if !e.at_next_result() {
                    break;
                }
            }
            assert_eq!(e.completed(), id + 1, "one response");
            assert!(e.is_idle() && w.all_read());
            (log, w.tx)
        });
        assert_eq!(
            log,
            [
                "columns a",
                "row 1/Some(1)",
                "end status=0x000a",
                "ok affected=7",
                "columns b,c",
                "row 2/Some(2),NULL",
                "end status=0x0002",
            ]
        );
    }
}

#[test]
fn query_error_then_ping() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        s.extend(err(1, 1146, "Table 'test.nope' doesn't exist"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT * FROM nope").unwrap();
        let r = w.drive(&mut e, |e| e.head_step());
        let msg = match r {
            Err(Error::Server(ref se)) => format!("{} {} {}", se.code, se.sql_state, se.message),
            ref other => panic!("expected a server error, got {other:?}"),
        };
        assert!(e.is_idle() && !e.is_broken());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        assert!(e.is_idle() && w.all_read());
        (vec![msg], w.tx)
    });
    assert_eq!(log, ["1146 42S02 Table 'test.nope' doesn't exist"]);
    assert_eq!(packets(&tx)[1], (0, vec![COM_PING]));
}

#[test]
fn many_rows_batch_and_byte_at_a_time() {
    let rows: Vec<Vec<Option<Vec<u8>>>> = (0..1000u32)
        .map(|i| {
            vec![
                Some(i.to_string().into_bytes()),
                (i % 7 != 0).then(|| {
                    format!(
                        "value-{i}-{}",
                        "z".repeat(usize::try_from(i % 300).unwrap())
                    )
                    .into_bytes()
                }),
                Some(Vec::new()),
            ]
        })
        .collect();
    let (log, _) = same_for_all_chunks(&[usize::MAX, 1, 7, 4096], |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(1, true, &["i", "v", "e"], &rows, StatusFlags::AUTOCOMMIT);
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT i, v, e FROM big").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        let mut log = Vec::new();
        while w.drive(&mut e, |e| e.row_step()).unwrap() {
            let r = e.row();
            // Zero-copy views agree with the cells.
            assert_eq!(r.bytes_shared(1).as_deref(), r.bytes(1));
            assert_eq!(&r.packet()[..], r.payload());
            log.push(format!(
                "{:?} {:?} {:?} {:?}",
                r.get::<u32>(0).unwrap(),
                r.bytes(1).map(<[u8]>::len),
                r.is_null(1),
                r.bytes(2)
            ));
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log.len(), 1000);
    assert_eq!(log[0], "Some(0) None true Some([])");
    assert_eq!(log[999], "Some(999) Some(109) false Some([])");
}

#[test]
fn payload_over_continuation_chunks() {
    // A row payload of exactly 0xFFFFFF bytes (a full chunk, then an empty one) and one longer
    // than that (two chunks), between ordinary rows.
    let exact = MAX_CHUNK - 4; // lenenc prefix 0xFD + 3 bytes
    let over = MAX_CHUNK + 100;
    let big = |n: usize, b: u8| vec![Some(vec![b; n])];
    let rows = vec![
        vec![Some(b"first".to_vec())],
        big(exact, b'x'),
        vec![Some(b"middle".to_vec())],
        big(over, b'y'),
        vec![Some(b"last".to_vec())],
    ];
    let (mut s, _) = result_set(1, true, &["c"], &rows, StatusFlags::AUTOCOMMIT);
    let mut all = connect_bytes();
    all.append(&mut s);
    let (log, _) = same_for_all_chunks(&[usize::MAX, 65521], |chunk| {
        let mut w = Wire::new(chunk, &all);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT c FROM huge").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        let mut log = Vec::new();
        while w.drive(&mut e, |e| e.row_step()).unwrap() {
            let r = e.row();
            let c = r.bytes(0).unwrap();
            log.push(format!(
                "{} {} {}",
                r.payload().len(),
                c.len(),
                c.first().copied().unwrap_or(0)
            ));
            if c.len() > 100 {
                assert!(c.iter().all(|&b| b == c[0]));
            }
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log,
        [
            "6 5 102".to_string(),
            format!("{MAX_CHUNK} {exact} 120"),
            "7 6 109".to_string(),
            format!("{} {over} 121", over + 9),
            "5 4 108".to_string(),
        ]
    );
    // The exact-chunk row really was sent as a full chunk and an empty one.
    let exact_row = pkt(7, &{
        let mut b = BytesMut::new();
        encode_row(&[Some(&vec![b'x'; exact][..])], &mut b);
        b
    });
    assert_eq!(exact_row.len(), 4 + MAX_CHUNK + 4);
}

#[test]
fn drain_an_abandoned_result() {
    let more = StatusFlags::AUTOCOMMIT | StatusFlags::MORE_RESULTS_EXISTS;
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, seq) = result_set(1, false, &["a", "b"], &sample_rows(), more);
        s.extend(rs);
        // The abandoned statement's second result fails: nobody waits for that error.
        s.extend(err(seq, 1054, "Unknown column"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        // A second query, left after its head, drained by its own id.
        let (rs, _) = result_set(
            1,
            false,
            &["a", "b"],
            &sample_rows(),
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, false);
        e.start_query("SELECT a, b FROM t; SELECT nope").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        assert!(w.drive(&mut e, |e| e.row_step()).unwrap());
        // A command may not start while the response is unread …
        assert!(matches!(
            e.start_simple(Command::Ping),
            Err(Error::Usage(_))
        ));
        // … so the driver drains it first.
        w.drive(&mut e, |e| e.drain_step(None)).unwrap();
        assert!(e.is_idle() && !e.is_broken());
        e.start_simple(Command::Ping).unwrap();
        w.drive(&mut e, |e| e.simple_step()).unwrap();
        e.start_query("SELECT a, b FROM t").unwrap();
        let id = e.completed();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        w.drive(&mut e, |e| e.drain_step(Some(id))).unwrap();
        assert!(e.completed() != id && e.is_idle() && w.all_read());
        (vec![format!("completed {}", e.completed())], w.tx)
    });
    assert_eq!(log, ["completed 3"]);
    assert_eq!(packets(&tx).len(), 3);
}

#[test]
fn pipeline_responses_in_order() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(
            1,
            true,
            &["a"],
            &[vec![Some(b"1".to_vec())]],
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs);
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 3));
        s.extend(err(1, 1064, "syntax"));
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 4));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        let (n, base) = e
            .queue_pipeline(["SELECT 1", "DELETE FROM t", "SELEC", "DO 1"])
            .unwrap();
        assert_eq!(n, 4);
        assert!(!e.wants_write(), "nothing goes out before top_up");
        assert!(e.top_up());
        w.take_tx(&mut e);
        let mut log = Vec::new();
        for i in 0..n {
            assert_eq!(usize::try_from(e.completed() - base).unwrap(), i);
            e.top_up();
            match w.drive(&mut e, |e| e.head_step()) {
                Ok(()) if e.in_rows() => {
                    log.push(cols(&e));
                    read_rows(&mut w, &mut e, &mut log);
                }
                Ok(()) => log.push(format!("ok {}", e.last_ok().affected_rows)),
                Err(Error::Server(se)) => log.push(format!("err {}", se.code)),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log,
        [
            "columns a",
            "row 1/Some(1)",
            "end status=0x0002",
            "ok 3",
            "err 1064",
            "ok 4"
        ]
    );
    let p = packets(&tx);
    assert_eq!(p.len(), 4);
    assert!(p.iter().all(|(seq, q)| *seq == 0 && q[0] == COM_QUERY));
}

#[test]
fn pipeline_window_tops_up() {
    let n = PIPELINE_WINDOW + 44;
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        for i in 0..n {
            s.extend(ok(1, StatusFlags::AUTOCOMMIT, u64::try_from(i).unwrap()));
        }
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.queue_pipeline((0..n).map(|i| format!("DO {i}"))).unwrap();
        e.top_up();
        w.take_tx(&mut e);
        let mut log = vec![format!("first write {}", packets(&w.tx).len())];
        for i in 0..n {
            if e.top_up() {
                w.take_tx(&mut e);
                log.push(format!("top up at {i}: {} sent", packets(&w.tx).len()));
            }
            w.drive(&mut e, |e| e.head_step()).unwrap();
            assert_eq!(e.last_ok().affected_rows, u64::try_from(i).unwrap());
        }
        assert!(e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(log[0], format!("first write {PIPELINE_WINDOW}"));
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(packets(&tx).len(), n);
}

#[test]
fn sequence_mismatch_breaks_for_good() {
    same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        s.extend(ok(5, StatusFlags::AUTOCOMMIT, 0)); // expected seq 1
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("DO 1").unwrap();
        w.take_tx(&mut e);
        let sent = w.tx.len();
        let first = w.drive(&mut e, |e| e.head_step()).unwrap_err();
        assert!(matches!(first, Error::Protocol(_)), "{first:?}");
        assert!(e.is_broken());
        let broken = |r: Result<(), Error>| matches!(r, Err(Error::Broken(_)));
        assert!(broken(e.check()));
        assert!(broken(e.start_query("DO 2")));
        assert!(broken(e.start_simple(Command::Ping)));
        assert!(broken(e.start_text(Command::Statistics)));
        assert!(broken(e.start_raw(&[COM_PING])));
        assert!(broken(e.queue_pipeline(["DO 3"]).map(|_| ())));
        assert!(broken(e.raw_packet(b"x")));
        assert!(broken(e.raw_frame_step().map(|_| ())));
        // The read steps say so too, not only the command entry points.
        assert!(broken(e.head_step().map(|_| ())));
        assert!(broken(e.row_step().map(|_| ())));
        assert!(broken(e.simple_step().map(|_| ())));
        assert!(broken(e.text_step().map(|_| ())));
        assert!(broken(e.drain_step(None).map(|_| ())));
        assert!(broken(e.connect_step().map(|_| ())));
        // A later error does not replace the first cause.
        e.mark_broken(&Error::Io(std::io::ErrorKind::BrokenPipe.into()));
        match e.check() {
            Err(Error::Broken(why)) => assert!(why.contains("protocol"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(!e.wants_write());
        assert_eq!(w.tx.len(), sent, "nothing was queued after the error");
        (vec![first.to_string()], w.tx)
    });
}

#[test]
fn local_infile_is_refused() {
    for verdict_ok in [false, true] {
        let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
            let mut s = connect_bytes();
            s.extend(pkt(1, b"\xfb/etc/passwd"));
            // The client's empty packet is seq 2; the server's verdict seq 3.
            if verdict_ok {
                s.extend(ok(3, StatusFlags::AUTOCOMMIT, 0));
            } else {
                s.extend(err(3, 1148, "The used command is not allowed"));
            }
            s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
            let mut w = Wire::new(chunk, &s);
            let mut e = connected(&mut w, true);
            e.start_query("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t")
                .unwrap();
            let r = w.drive(&mut e, |e| e.head_step());
            let msg = match r {
                Err(Error::LocalInfileRefused(name)) => name,
                other => panic!("expected LocalInfileRefused, got {other:?}"),
            };
            assert!(e.is_idle() && !e.is_broken());
            e.start_simple(Command::Ping).unwrap();
            w.drive(&mut e, |e| e.simple_step()).unwrap();
            assert!(w.all_read());
            (vec![msg], w.tx)
        });
        assert_eq!(log, ["/etc/passwd"]);
        let p = packets(&tx);
        assert_eq!(p[1], (2, Vec::new()), "an empty packet, never the file");
        assert_eq!(p[2], (0, vec![COM_PING]));
    }
}

#[test]
fn raw_calls_only_inside_a_raw_exchange() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = connect_bytes();
        let (rs, _) = result_set(
            1,
            true,
            &["a", "b"],
            &sample_rows(),
            StatusFlags::AUTOCOMMIT,
        );
        s.extend(rs.clone());
        s.extend(ok(1, StatusFlags::AUTOCOMMIT, 0));
        s.extend(rs);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        let usage = |r: Result<(), Error>| matches!(r, Err(Error::Usage(_)));
        let mut log = Vec::new();
        // Idle: refused, nothing queued.
        assert!(usage(e.raw_frame_step().map(|_| ())));
        assert!(usage(e.raw_packet(b"\x03DO 1")));
        assert!(usage(e.start_raw(&[])));
        assert!(!e.wants_write() && e.is_idle());
        // While a result the engine reads is unread: refused, and the rows are untouched.
        e.start_query("SELECT a, b FROM t").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        w.take_tx(&mut e);
        assert!(usage(e.raw_frame_step().map(|_| ())));
        assert!(usage(e.raw_packet(b"\x03DO 1")));
        assert!(!e.wants_write());
        read_rows(&mut w, &mut e, &mut log);
        // A raw COM_PING: the server's OK ends the exchange by itself.
        e.start_raw(&[COM_PING]).unwrap();
        assert!(e.in_raw());
        assert!(usage(e.raw_packet(b"x")), "the server is still to answer");
        let f = w.drive(&mut e, |e| e.raw_frame_step()).unwrap();
        log.push(format!("raw seq={} {:?}", f.seq, &f.payload[..]));
        assert!(!e.in_raw() && e.is_idle());
        assert!(usage(e.raw_frame_step().map(|_| ())));
        // A raw query read halfway, then drained like any abandoned response.
        let mut q = vec![COM_QUERY];
        q.extend_from_slice(b"SELECT a, b FROM t");
        e.start_raw(&q).unwrap();
        let f = w.drive(&mut e, |e| e.raw_frame_step()).unwrap();
        log.push(format!("raw seq={} {:?}", f.seq, &f.payload[..]));
        w.drive(&mut e, |e| e.drain_step(None)).unwrap();
        assert!(!e.in_raw() && e.is_idle() && w.all_read());
        (log, w.tx)
    });
    assert_eq!(
        log[4..],
        ["raw seq=1 [0, 0, 0, 2, 0, 0, 0]", "raw seq=1 [2]"]
    );
    assert_eq!(packets(&tx).len(), 3);
}

#[test]
fn end_of_stream_mid_packet() {
    for chunk in CHUNKS {
        let mut s = connect_bytes();
        s.extend_from_slice(&ok(1, StatusFlags::AUTOCOMMIT, 0)[..6]);
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("DO 1").unwrap();
        assert!(w.pump(&mut e, |e| e.head_step()).unwrap().is_none());
        let err = e.eof_error();
        assert!(err.to_string().contains("middle of a packet"), "{err}");
        assert!(matches!(e.check(), Err(Error::Broken(_))));
    }
}

#[test]
fn server_error_codes_survive_chunking() {
    // A server error in the head and as the end of rows, both non-fatal.
    for chunk in CHUNKS {
        let mut s = connect_bytes();
        s.extend(err(1, 1045, "Access denied"));
        let (mut rs, seq) = result_set(
            1,
            true,
            &["a"],
            &[vec![Some(b"1".to_vec())]],
            StatusFlags::AUTOCOMMIT,
        );
        // Replace the end of rows by an ERR (a statement failing mid-result).
        let end_len = pkt(0, &ok_payload(StatusFlags::AUTOCOMMIT, 0, 0xFE)).len();
        rs.truncate(rs.len() - end_len);
        s.extend(rs);
        s.extend(err(seq - 1, 1317, "Query execution was interrupted"));
        let mut w = Wire::new(chunk, &s);
        let mut e = connected(&mut w, true);
        e.start_query("SELECT 1").unwrap();
        assert_eq!(server_code(w.drive(&mut e, |e| e.head_step())), 1045);
        e.start_query("SELECT a FROM t").unwrap();
        w.drive(&mut e, |e| e.head_step()).unwrap();
        assert!(w.drive(&mut e, |e| e.row_step()).unwrap());
        assert_eq!(
            server_code(w.drive(&mut e, |e| e.row_step()).map(|_| ())),
            1317
        );
        assert!(e.is_idle() && !e.is_broken() && w.all_read());
    }
}
