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
//! quit, and the binary protocol (module `stmt`): prepare, execute with parameters of every
//! type (one long value through COM_STMT_SEND_LONG_DATA), `exec` through the statement cache,
//! binary rows read with every getter, reset and close. An input may also be a recorded
//! exchange with a real server (module `recorded`), the server's bytes verbatim.
//!
//! Properties:
//! - no panic, and no hang (every loop is bounded; libFuzzer's `-timeout` catches the rest);
//! - no single allocation above 4 x max_packet (1 MiB);
//! - after a fatal error in the command phase the engine is broken and stays so: `check`, every
//!   `start_*`, `queue_pipeline` and the raw calls report `Error::Broken` and queue nothing;
//! - a raw read or write outside a raw exchange is refused and queues nothing; so is an execute
//!   with the wrong number of parameters; COM_STMT_CLOSE waits for no answer;
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

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mywire::codec::auth::AuthConfig;
use mywire::codec::command::Command;
use mywire::proto::{client_capabilities, ConnectConfig, ConnectEvent, Engine, Step};
use mywire::session::SslMode;
use mywire::Compression;
use mywire::{Error, Statement};
use mywire_fuzz::{all_binary_getters, all_getters, largest, reset_largest, PeakAlloc};

#[path = "session/recorded.rs"]
mod recorded;
#[path = "session/script.rs"]
mod script;
#[path = "session/stmt.rs"]
mod stmt;
use script::{Greeting, Pkt};
use stmt::FParam;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const PASSWORD: &str = "fuzz-Secret-pw";
const MAX_PACKET: usize = 1 << 20;
/// Most commands run per input, rows read per result, results walked per query.
const MAX_CMDS: usize = 32;
const MAX_ROWS: usize = 10_000;
const MAX_RESULTS: usize = 64;

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
    /// COM_STMT_PREPARE of `stmt::PREPARE_SQL[n]`; the statement is kept.
    Prepare(u8),
    /// COM_STMT_EXECUTE of a kept statement: the parameters cycled to its count (or, `exact`,
    /// as given: a wrong count is refused), the result read as a query's.
    Execute {
        stmt: u8,
        params: Vec<FParam>,
        exact: bool,
        rows: u8,
        results: u8,
        drain: bool,
    },
    /// `exec(sql, params)` through the statement cache.
    ExecCached {
        sql: u8,
        params: Vec<FParam>,
        rows: u8,
    },
    /// COM_STMT_RESET of a kept statement.
    ResetStmt(u8),
    /// COM_STMT_CLOSE of a kept statement (which stays kept: using it again is the server's
    /// business).
    CloseStmt(u8),
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
    /// The statement cache's size (mod 5).
    stmt_cache: u8,
    /// Chunk sizes, cycled (0: everything that is left). Empty: the whole script at once.
    chunks: Vec<u16>,
    cmds: Vec<Cmd>,
    /// Compression asked for (mod 4): off, zlib, zstd then zlib, zstd. The script's packets
    /// after the connection phase's OK are then compressed packets (script::Zip).
    compress: u8,
    zip: script::Zip,
}

/// The algorithms `inp` asks for, in order of preference.
fn compress_prefs(inp: &Input) -> Vec<Compression> {
    match inp.compress % 4 {
        0 => Vec::new(),
        1 => vec![Compression::Zlib],
        2 => vec![Compression::Zstd, Compression::Zlib],
        _ => vec![Compression::Zstd],
    }
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
        ssl_mode: if tls == 2 {
            SslMode::Required
        } else {
            SslMode::Preferred
        },
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
        compress: compress_prefs(inp),
        compress_level: None,
    }
}

/// The pipelined queries, `DO 0` to `DO 511`, formatted once for the whole fuzzing run.
fn pipeline_queries() -> &'static [String] {
    static QUERIES: OnceLock<Vec<String>> = OnceLock::new();
    QUERIES.get_or_init(|| (0..512).map(|i| format!("DO {i}")).collect())
}

/// Whether `MYWIRE_FUZZ_TRACE` is set (read once).
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("MYWIRE_FUZZ_TRACE").is_some())
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
    /// Statements prepared (kept, at most 8).
    stmts: Vec<Statement>,
    /// The parameter count of each SQL text `exec` prepared (for its cache hits).
    exec_counts: Vec<(&'static str, usize)>,
    /// Whether a long parameter may still be built (one per input: it is 1 MiB).
    long_left: bool,
    /// The statement cache's size.
    cache_cap: usize,
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
        self.stmt_calls_broken(e);
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
            let binary = row.is_binary();
            // Straight into the log: a row marker, then each cell (0: NULL, 1: length, bytes).
            let cells = &mut self.log;
            cells.push(if binary { b'b' } else { b'r' });
            for i in 0..row.len() {
                let _ = row.get::<i64>(i);
                let _ = row.get::<&str>(i);
                let _ = row.get::<mywire::codec::value::DateTime>(i);
                let _ = (row.text(i), row.bytes_shared(i), row.is_null(i));
                match row.bytes(i) {
                    Some(b) => {
                        // Every getter on the cell, by the protocol it came in.
                        let col = &row.columns()[i];
                        let ok = if binary {
                            all_binary_getters(b, col.column_type, col.flags)
                        } else {
                            all_getters(b, col.column_type, col.flags)
                        };
                        cells.push(ok as u8);
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
            Cmd::Prepare(sql) => self.prepare(*sql)?,
            Cmd::Execute {
                stmt,
                params,
                exact,
                rows,
                results,
                drain,
            } => self.execute(*stmt, params, *exact, *rows, *results, *drain)?,
            Cmd::ExecCached { sql, params, rows } => self.exec_cached(*sql, params, *rows)?,
            Cmd::ResetStmt(i) => self.reset_statement(*i)?,
            Cmd::CloseStmt(i) => self.close_statement(*i)?,
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
        stmts: Vec::new(),
        exec_counts: Vec::new(),
        long_left: true,
        cache_cap: usize::from(inp.stmt_cache % 5),
    };
    d.e.set_stmt_cache(d.cache_cap);
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
    if trace() {
        // MYWIRE_FUZZ_TRACE=1: what happened, for reading a reproducer or a seed's replay.
        eprintln!("log: {}", String::from_utf8_lossy(&d.log).escape_debug());
    }
    let plain = &d.sent[..d.plaintext.unwrap_or(d.sent.len())];
    assert!(
        !plain
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the password went over the wire in clear"
    );
    (d.sent, d.log)
}

fuzz_target!(|data: &[u8]| {
    // A recorded exchange (the server's bytes verbatim), or a structured input.
    let (inp, wire, greeting_end) = match recorded::input(data) {
        Some((inp, wire)) => (inp, wire.to_vec(), recorded::greeting_end(wire)),
        None => {
            let Ok(inp) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
                return;
            };
            let (wire, end) = script::script(&inp);
            (inp, wire, end)
        }
    };
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
