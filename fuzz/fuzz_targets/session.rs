//! A whole session against a scripted hostile server, driving the sans-IO protocol engine
//! (`mywire::proto::Engine`) directly: no runtime, no sockets, no duplex streams.
//!
//! The server script is built from structured input: a greeting from fields (or an ERR in its
//! place), then packets of every kind with valid framing most of the time and broken framing
//! (wrong sequence ids, lying or missing headers, cut payloads) some of the time. The script is
//! fed to the engine in input-chosen chunk sizes (through `read_buf` or `read_space` /
//! `commit_read`, as the two real drivers do); a read past its end is the server closing the
//! connection. The client connects (TLS is faked: after `StartTls` the driver calls
//! `tls_established` and the script goes on), then runs input-chosen commands: queries (rows
//! read in full or abandoned part-way, getters called, `next_result` walked), ping / init-db /
//! reset, statistics, pipelines, raw exchanges (and raw reads/writes outside one), drains and
//! quit.
//!
//! Properties:
//! - no panic, and no hang (every loop is bounded; libFuzzer's `-timeout` catches the rest);
//! - no single allocation above 4 x max_packet (1 MiB);
//! - after a fatal error in the command phase the engine is broken and stays so: `check`, every
//!   `start_*`, `queue_pipeline` and the raw calls report `Error::Broken` and queue nothing;
//! - a raw read or write outside a raw exchange is refused and queues nothing;
//! - the password never appears in what the client sent outside TLS;
//! - chunking does not matter: the same script fed in the input's chunk sizes and fed whole
//!   gives the same events, errors, rows and cell values, and the same bytes sent.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::auth::AuthConfig;
use mywire::codec::command::Command;
use mywire::codec::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::codec::handshake::{encode_auth_switch, encode_handshake, AuthSwitch, Handshake};
use mywire::codec::response::{encode_eof, encode_err, encode_ok, EofPacket, ErrPacket, OkPacket};
use mywire::codec::resultset::{encode_row, ColumnFields};
use mywire::codec::writer::put_lenenc;
use mywire::codec::{ColumnFlags, ColumnType};
use mywire::proto::{client_capabilities, ConnectConfig, ConnectEvent, Engine, Step};
use mywire::Error;
use mywire_fuzz::{largest, reset_largest, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const PASSWORD: &str = "fuzz-Secret-pw";
const MAX_PACKET: usize = 1 << 20;
/// Most commands run per input, rows read per result, results walked per query.
const MAX_CMDS: usize = 32;
const MAX_ROWS: usize = 10_000;
const MAX_RESULTS: usize = 64;

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

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Simple {
    Ping,
    InitDb,
    Reset,
}

#[derive(Arbitrary, Debug)]
enum Cmd {
    /// COM_QUERY: read at most `rows` rows of each result (255: all), walk at most `results`
    /// further results, then leave the rest (the next command drains it) or drain it now.
    Query {
        sql: u8,
        rows: u8,
        results: u8,
        drain: bool,
    },
    Simple(Simple),
    Statistics,
    /// `n` pipelined queries (up to 511, over the in-flight window), `take` responses read
    /// (at most `rows` rows each), the rest dropped as a dropped `Pipeline` does.
    Pipeline {
        n: u16,
        take: u16,
        rows: u8,
    },
    /// A raw command, `reads` packets read, optionally one more client packet, optionally
    /// `end_raw`.
    Raw {
        payload: Vec<u8>,
        reads: u8,
        packet: Option<Vec<u8>>,
        end: bool,
    },
    /// Raw read and write without opening a raw exchange (must be refused unless one is open).
    RawOutside(Vec<u8>),
    /// Drain everything owed.
    Drain,
    Quit,
}

#[derive(Arbitrary, Debug)]
struct Input {
    greeting: Greeting,
    packets: Vec<Pkt>,
    deprecate_eof: bool,
    session_track: bool,
    multi_statements: bool,
    with_password: bool,
    with_database: bool,
    get_server_public_key: bool,
    /// 0: TLS disabled, 1: preferred, 2: required.
    tls: u8,
    /// Read like the blocking driver (`read_space` / `commit_read`) instead of `read_buf`.
    read_space: bool,
    /// Chunk sizes, cycled (0: everything that is left). Empty: the whole script at once.
    chunks: Vec<u16>,
    cmds: Vec<Cmd>,
}

/// Encodes `b` into `out` (cleared first; one buffer serves every packet of the script).
fn body_bytes(b: &Body, out: &mut BytesMut) {
    out.clear();
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
            encode_ok(&ok, if *fe { 0xFE } else { 0 }, caps, out);
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
            out,
        ),
        Body::Eof { warnings, status } => encode_eof(
            &EofPacket {
                warnings: *warnings,
                status: StatusFlags(*status),
            },
            out,
        ),
        Body::ColumnCount(n) => put_lenenc(out, *n),
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
        .encode(out),
        Body::Row(cells) => {
            let cells: Vec<Option<&[u8]>> = cells.iter().map(|c| c.as_deref()).collect();
            encode_row(&cells, out);
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
            out,
        ),
        Body::AuthMore(d) => {
            out.extend_from_slice(&[0x01]);
            out.extend_from_slice(d);
        }
        Body::Raw(r) => out.extend_from_slice(r),
    }
}

/// The server's bytes, and where its greeting ends (nothing after it may arrive before the
/// client has answered it: a server sends nothing before the SSLRequest).
fn script(inp: &Input) -> (Vec<u8>, usize) {
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
    let mut wire = Vec::with_capacity(greeting.len() + 4 + 64 * inp.packets.len().min(256));
    let len = greeting.len() as u32;
    wire.extend_from_slice(&len.to_le_bytes()[..3]);
    wire.push(0);
    wire.extend_from_slice(&greeting);
    let greeting_end = wire.len();
    let mut seq: u8 = 0;
    let mut body = BytesMut::new();
    for p in inp.packets.iter().take(256) {
        body_bytes(&p.body, &mut body);
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
    (wire, greeting_end)
}

fn config(inp: &Input) -> ConnectConfig {
    let caps = client_capabilities(
        inp.with_database,
        inp.multi_statements,
        inp.deprecate_eof,
        inp.session_track,
    );
    let tls = inp.tls % 3;
    ConnectConfig {
        capabilities: caps,
        wants_tls: tls != 0,
        requires_tls: tls == 2,
        verifies_peer: false,
        ssl_mode: if tls == 2 { "REQUIRED" } else { "PREFERRED" },
        endpoint: "fuzz:3306".into(),
        unix: false,
        max_packet: MAX_PACKET as u32,
        collation: 45,
        user: b"fuzz".to_vec(),
        password: if inp.with_password {
            PASSWORD.as_bytes().to_vec()
        } else {
            Vec::new()
        }
        .into(),
        database: inp.with_database.then(|| b"db".to_vec()),
        attributes: vec![(Cow::Borrowed("_client_name"), Cow::Borrowed("mywire"))],
        auth: AuthConfig {
            secure_transport: false,
            verified_peer: false,
            server_public_key: None,
            get_server_public_key: inp.get_server_public_key,
            enable_cleartext_plugin: false,
            // Deterministic RSA padding: the two runs must send the same bytes.
            rng_seed: Some([7; 32]),
        },
    }
}

/// The pipelined queries, `DO 0` to `DO 511`, formatted once for the whole fuzzing run.
fn pipeline_queries() -> &'static [String] {
    static QUERIES: OnceLock<Vec<String>> = OnceLock::new();
    QUERIES.get_or_init(|| (0..512).map(|i| format!("DO {i}")).collect())
}

/// A formatter destination that keeps nothing.
struct Discard;

impl fmt::Write for Discard {
    fn write_str(&mut self, _: &str) -> fmt::Result {
        Ok(())
    }
}

/// The driver: the engine, the server's script and what the client sent.
struct Driver<'a> {
    e: Engine,
    wire: &'a [u8],
    pos: usize,
    greeting_end: usize,
    chunks: &'a [u16],
    next_chunk: usize,
    read_space: bool,
    /// Everything the client wrote, and how much of it went out before TLS.
    sent: Vec<u8>,
    plaintext: Option<usize>,
    /// What happened, for comparing runs.
    log: Vec<u8>,
}

impl Driver<'_> {
    fn flush(&mut self) {
        if self.e.wants_write() {
            let w = self.e.transmit();
            self.sent.extend_from_slice(w);
            w.clear();
            self.e.written();
        }
    }

    /// One read: the next chunk of the script, never past the greeting while it is unread.
    fn fill(&mut self) -> Result<(), Error> {
        let limit = if self.pos < self.greeting_end {
            self.greeting_end
        } else {
            self.wire.len()
        };
        let left = limit - self.pos;
        if left == 0 {
            return Err(self.e.eof_error());
        }
        let want = match self.chunks.get(self.next_chunk % self.chunks.len().max(1)) {
            None | Some(0) => left,
            Some(&n) => usize::from(n).min(left),
        };
        self.next_chunk = self.next_chunk.wrapping_add(1);
        let src = &self.wire[self.pos..self.pos + want];
        let n = if self.read_space {
            let space = self.e.read_space();
            let n = want.min(space.len());
            space[..n].copy_from_slice(&src[..n]);
            self.e.commit_read(n);
            n
        } else {
            self.e.read_buf().extend_from_slice(src);
            want
        };
        assert!(n > 0, "read_space offered no room");
        self.pos += n;
        Ok(())
    }

    /// Steps until `step` has its answer, as the session drivers do.
    fn drive<T>(&mut self, mut step: impl FnMut(&mut Engine) -> Step<T>) -> Result<T, Error> {
        loop {
            let r = step(&mut self.e)?;
            self.flush();
            match r {
                Some(v) => return Ok(v),
                None => self.fill()?,
            }
        }
    }

    /// What a driver does before every command: refuse if broken, flush, drain what is owed.
    fn ready(&mut self) -> Result<(), Error> {
        self.e.check()?;
        self.flush();
        self.drive(|e| e.drain_step(None))
    }

    fn note(&mut self, tag: u8) {
        self.log.push(tag);
    }

    fn note_bytes(&mut self, b: &[u8]) {
        self.log.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.log.extend_from_slice(b);
    }

    /// Notes the error's message (formatted straight into the log, length first).
    fn note_err(&mut self, e: &Error) {
        self.note(b'E');
        let at = self.log.len();
        self.log.extend_from_slice(&[0; 4]);
        write!(self.log, "{e}").unwrap();
        let n = (self.log.len() - at - 4) as u32;
        self.log[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }

    /// A fatal error breaks the engine for good; returns true if the session is over.
    fn after_error(&mut self, e: &Error) -> bool {
        self.note_err(e);
        if !e.is_fatal() {
            return false;
        }
        assert!(
            self.e.is_broken(),
            "fatal error {e:?} did not break the engine"
        );
        let queued = self.e.transmit().len();
        let broken = |r: Result<(), Error>, what: &str| match r {
            Err(Error::Broken(_)) => {}
            other => panic!("after fatal {e:?}, {what} gave {other:?} instead of Error::Broken"),
        };
        broken(self.e.check(), "check");
        broken(self.e.start_query("SELECT 1"), "start_query");
        broken(self.e.start_simple(Command::Ping), "start_simple");
        broken(self.e.start_text(Command::Statistics), "start_text");
        broken(self.e.start_raw(&[0x0e]), "start_raw");
        broken(
            self.e.queue_pipeline(["DO 1"]).map(|_| ()),
            "queue_pipeline",
        );
        broken(self.e.raw_packet(b"x"), "raw_packet");
        broken(self.e.raw_frame_step().map(|_| ()), "raw_frame_step");
        assert_eq!(
            self.e.transmit().len(),
            queued,
            "a broken engine queued bytes"
        );
        true
    }

    /// Reads rows of the current result set (at most `max`), calling every getter.
    fn rows(&mut self, id: u64, max: usize) -> Result<(), Error> {
        for _ in 0..max {
            if self.e.completed() != id || !self.drive(|e| e.row_step())? {
                self.note(b'.');
                return Ok(());
            }
            let row = self.e.row();
            // Straight into the log: a row marker, then each cell (0: NULL, 1: length, bytes).
            let cells = &mut self.log;
            cells.push(b'r');
            for i in 0..row.len() {
                let _ = row.get::<i64>(i);
                let _ = row.get::<&str>(i);
                let _ = row.get::<mywire::codec::value::DateTime>(i);
                let _ = (row.text(i), row.bytes_shared(i), row.is_null(i));
                match row.bytes(i) {
                    Some(b) => {
                        cells.push(1);
                        cells.extend_from_slice(&(b.len() as u32).to_le_bytes());
                        cells.extend_from_slice(b);
                    }
                    None => cells.push(0),
                }
            }
            let _ = row.get::<u8>(row.len());
            assert_eq!(row.packet().len(), row.payload().len());
            cells.push(b';');
        }
        Ok(())
    }

    /// Reads the current response as `QueryResult` does: rows, then the next results.
    fn result(&mut self, id: u64, rows: u8, results: u8) -> Result<(), Error> {
        let max = if rows == u8::MAX {
            MAX_ROWS
        } else {
            usize::from(rows)
        };
        for _ in 0..usize::from(results).min(MAX_RESULTS) + 1 {
            let _ = (
                self.e.columns().len(),
                self.e.last_ok().affected_rows,
                self.e.status(),
                self.e.in_rows(),
            );
            self.rows(id, max)?;
            // next_result: skip the rest of this result set, read the next head.
            if self.e.completed() != id {
                return Ok(());
            }
            for _ in 0..MAX_ROWS {
                if !self.drive(|e| e.row_step())? {
                    break;
                }
            }
            if !(self.e.completed() == id && self.e.at_next_result()) {
                return Ok(());
            }
            self.drive(|e| e.head_step())?;
            self.note(b'h');
        }
        Ok(())
    }

    fn query(&mut self, sql: u8, rows: u8, results: u8, drain: bool) -> Result<(), Error> {
        const SQL: [&str; 4] = ["SELECT 1", "DO 1", "SELECT a, b FROM t", "CALL p()"];
        self.ready()?;
        self.e.start_query(SQL[usize::from(sql) % SQL.len()])?;
        let id = self.e.completed();
        self.drive(|e| e.head_step())?;
        self.note(b'H');
        self.result(id, rows, results)?;
        if drain {
            self.drive(|e| e.drain_step(Some(id)))?;
            assert!(self.e.completed() != id || self.e.is_idle());
        }
        Ok(())
    }

    fn pipeline(&mut self, n: u16, take: u16, rows: u8) -> Result<(), Error> {
        self.ready()?;
        let n = usize::from(n % 512);
        let mut cursor = self.e.queue_pipeline(&pipeline_queries()[..n])?;
        let total = cursor.len();
        assert_eq!(total, n);
        self.e.top_up();
        self.flush();
        let r = (|| {
            for _ in 0..usize::from(take).min(total) {
                let c = cursor;
                self.drive(|e| c.skip_step(e))?;
                cursor.take();
                self.e.check()?;
                self.e.top_up();
                self.flush();
                let id = self.e.completed();
                match self.drive(|e| e.head_step()) {
                    Ok(()) => {
                        self.note(b'P');
                        self.result(id, rows, 0)?;
                    }
                    Err(e) if !e.is_fatal() => self.note_err(&e),
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })();
        // A dropped Pipeline: commands not yet written are not sent.
        self.e.discard_unsent();
        r
    }

    fn raw(
        &mut self,
        payload: &[u8],
        reads: u8,
        packet: Option<&[u8]>,
        end: bool,
    ) -> Result<(), Error> {
        self.ready()?;
        self.e.start_raw(payload)?;
        self.flush();
        for i in 0..reads {
            if !self.e.in_raw() {
                break;
            }
            self.e.check()?;
            let f = self.drive(|e| e.raw_frame_step())?;
            self.note(b'R');
            self.log.push(f.seq);
            self.note_bytes(&f.payload);
            if i == 0 {
                if let Some(p) = packet {
                    if let Err(e) = self.e.raw_packet(p) {
                        self.note_err(&e);
                    }
                    self.flush();
                }
            }
        }
        if end {
            self.e.end_raw();
        }
        Ok(())
    }

    /// Raw reads and writes when no raw exchange may be open: refused, nothing queued.
    fn raw_outside(&mut self, payload: &[u8]) {
        if self.e.in_raw() || self.e.is_broken() {
            return;
        }
        let queued = self.e.transmit().len();
        let completed = self.e.completed();
        match self.e.raw_packet(payload) {
            Err(Error::Usage(_)) => {}
            other => panic!("raw_packet outside a raw exchange gave {other:?}"),
        }
        match self.e.raw_frame_step() {
            Err(Error::Usage(_)) => {}
            other => panic!("raw_frame_step outside a raw exchange gave {other:?}"),
        }
        assert_eq!(
            self.e.transmit().len(),
            queued,
            "a refused raw call queued bytes"
        );
        assert_eq!(self.e.completed(), completed, "a refused raw call moved on");
    }

    fn command(&mut self, c: &Cmd) -> Result<bool, Error> {
        match c {
            Cmd::Query {
                sql,
                rows,
                results,
                drain,
            } => self.query(*sql, *rows, *results, *drain)?,
            Cmd::Simple(s) => {
                self.ready()?;
                self.e.start_simple(match s {
                    Simple::Ping => Command::Ping,
                    Simple::InitDb => Command::InitDb(b"db"),
                    Simple::Reset => Command::ResetConnection,
                })?;
                self.drive(|e| e.simple_step())?;
                self.note(b'S');
            }
            Cmd::Statistics => {
                self.ready()?;
                self.e.start_text(Command::Statistics)?;
                let s = self.drive(|e| e.text_step())?;
                self.note(b'T');
                self.note_bytes(s.as_bytes());
            }
            Cmd::Pipeline { n, take, rows } => self.pipeline(*n, *take, *rows)?,
            Cmd::Raw {
                payload,
                reads,
                packet,
                end,
            } => self.raw(payload, *reads, packet.as_deref(), *end)?,
            Cmd::RawOutside(p) => self.raw_outside(p),
            Cmd::Drain => {
                self.ready()?;
                assert!(self.e.is_idle() || self.e.in_raw());
                self.note(b'D');
            }
            Cmd::Quit => {
                self.e.check()?;
                self.flush();
                self.e.start_quit();
                self.flush();
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn connect(&mut self) -> Result<(), Error> {
        loop {
            match self.drive(|e| e.connect_step())? {
                ConnectEvent::Connected => return Ok(()),
                ConnectEvent::StartTls => {
                    assert!(self.plaintext.is_none(), "StartTls twice");
                    self.flush();
                    self.plaintext = Some(self.sent.len());
                    self.note(b'L');
                    self.e.tls_established()?;
                }
            }
        }
    }
}

/// Runs the whole session with these chunk sizes; returns (sent, log).
fn run(inp: &Input, wire: &[u8], greeting_end: usize, chunks: &[u16]) -> (Vec<u8>, Vec<u8>) {
    let mut d = Driver {
        e: Engine::connect(MAX_PACKET, config(inp)),
        wire,
        pos: 0,
        greeting_end,
        chunks,
        next_chunk: 0,
        read_space: inp.read_space,
        // Room for a typical session's bytes up front: fewer reallocations per input.
        sent: Vec::with_capacity(1024),
        plaintext: None,
        log: Vec::with_capacity(1024),
    };
    match d.connect() {
        Err(e) => {
            d.note_err(&e);
            if matches!(e, Error::Protocol(_)) {
                assert!(
                    d.e.is_broken(),
                    "protocol error {e:?} did not break the engine"
                );
            }
        }
        Ok(()) => {
            d.note(b'C');
            let _ = (
                d.e.handshake().display_version().len(),
                d.e.capabilities(),
                d.e.phase(),
            );
            // Formatted (it must not panic), but into nothing: no String per input.
            write!(Discard, "{:?}", d.e).unwrap();
            for c in inp.cmds.iter().take(MAX_CMDS) {
                match d.command(c) {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => {
                        if d.after_error(&e) {
                            break;
                        }
                    }
                }
            }
        }
    }
    d.flush();
    let plain = &d.sent[..d.plaintext.unwrap_or(d.sent.len())];
    assert!(
        !plain
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the password went over the wire in clear"
    );
    (d.sent, d.log)
}

fuzz_target!(|inp: Input| {
    let (wire, greeting_end) = script(&inp);
    reset_largest();
    let (sent, log) = run(&inp, &wire, greeting_end, &inp.chunks);
    let peak = largest();
    assert!(
        peak <= 4 * MAX_PACKET,
        "largest allocation {peak} > 4 x max_packet"
    );
    if !inp.chunks.is_empty() {
        // The same script delivered whole: nothing may depend on how the bytes were cut.
        let (sent2, log2) = run(&inp, &wire, greeting_end, &[]);
        assert!(
            log == log2,
            "chunked and whole delivery differ:\n chunked {:?}\n whole   {:?}",
            String::from_utf8_lossy(&log),
            String::from_utf8_lossy(&log2)
        );
        assert!(
            sent == sent2,
            "chunked and whole delivery sent different bytes"
        );
    }
});
