//! [`Engine`]: the command phase of one connection (the connection phase is in `connect.rs`).

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::codec::binary::BinaryRowCells;
use crate::codec::command::{Command, COM_QUERY, COM_QUIT};
use crate::codec::frame::{Frame, PacketCodec, HEADER};
use crate::codec::handshake::Handshake;
use crate::codec::response::{ErrPacket, OkPacket};
use crate::codec::resultset::{ColumnDefinition, RowCells};
use crate::codec::{CapabilityFlags, MariaDbCapabilities, ParseError, StatusFlags};
use crate::error::{Error, ServerError};
use crate::trace::{Direction, PacketEvent, Phase, Tracer};

use super::buffers::SPARE_FIRST;
use super::compress::Compression;
use super::connect::ConnectState;
use super::raw::RawExchange;
use super::response::{expect_for, Expect, Response};
use super::stmt::{new_engine_token, Statement};
use super::stmt_cache::StmtCache;
use super::Step;

mod queue;

/// Most pipelined commands in flight (written, response not yet complete).
pub const PIPELINE_WINDOW: usize = 256;

/// Most bytes of pipelined commands in flight (at least one command is always allowed).
pub const PIPELINE_WINDOW_BYTES: usize = 256 * 1024;

/// A pipelined command encoded and waiting for room in the in-flight window.
#[derive(Debug)]
pub(super) struct Queued {
    /// The command's packets, headers included (an execute's long data pieces first).
    pub(super) bytes: Bytes,
    /// What its response looks like.
    pub(super) expect: Expect,
    /// The sequence id of its response's first packet.
    pub(super) seq: u8,
    /// The statement it executes (its rows are binary); `None` for other commands.
    pub(super) stmt: Option<u32>,
    /// `bytes` is the whole buffer it was encoded in (the only command of its batch): it may
    /// become the transmit buffer instead of being copied into it.
    pub(super) whole: bool,
}

/// The state machine of one connection. See the [module documentation](super).
pub struct Engine {
    pub(super) codec: PacketCodec,
    pub(super) rbuf: BytesMut,
    pub(super) wbuf: BytesMut,
    /// Initialized room for blocking reads, right after `rbuf`'s end in the same buffer, so a
    /// read's bytes join `rbuf` without a copy (`unsplit`) and without zeroing per read.
    pub(super) spare: BytesMut,
    /// Size of the next buffer of read room.
    pub(super) spare_next: usize,
    pub(super) handshake: Handshake,
    pub(super) caps: CapabilityFlags,
    /// The negotiated MariaDB extended capabilities (empty with MySQL).
    pub(super) mariadb_caps: MariaDbCapabilities,
    status: StatusFlags,
    last_ok: OkPacket,
    broken: Option<String>,
    pub(super) phase: Phase,
    pub(super) connect: ConnectState,
    pub(super) tracer: Option<Box<dyn Tracer>>,
    /// What the current response looks like, packet by packet (shared with the trace decoder).
    pub(super) resp: Response,
    pub(super) columns: super::columns::Columns,
    /// A run of whole packets (headers included) split off the front of the read buffer at
    /// once, so that a packet of a response that arrived in one read costs no split of the
    /// read buffer of its own: a row is a range of it, any other packet a slice. Read before
    /// `rbuf` (see [`Engine::poll_frame`]).
    pub(super) batch: Bytes,
    /// Where the next packet (header included) starts in `batch`.
    pub(super) batch_pos: usize,
    /// The packet the current row is in when it was not read from `batch` (a row packet read
    /// the ordinary way: continued, or the only one that had arrived).
    pub(super) row_packet: Bytes,
    /// True when the current row is in `batch` rather than `row_packet`.
    pub(super) row_in_batch: bool,
    /// The current row's payload within `batch` or `row_packet`.
    pub(super) row_range: (usize, usize),
    pub(super) cells: RowCells,
    /// The current result's rows are binary (a prepared statement's), split into these.
    pub(super) binary: bool,
    /// The statement the current response executes (see [`Engine::set_exec`]).
    pub(super) exec_stmt: Option<u32>,
    /// The statement id of the latest PREPARE_OK (what 0xFFFFFFFF names); `None` after a
    /// prepare was sent and until it succeeds.
    pub(super) last_prepared: Option<u32>,
    /// MariaDB's CACHE_METADATA: each open statement's latest column definitions.
    pub(super) stmt_columns: std::collections::HashMap<u32, Vec<ColumnDefinition>>,
    /// The current result's column definitions came on the wire (not from the cache).
    pub(super) columns_sent: bool,
    /// The statement whose latest definitions `columns` holds (CACHE_METADATA), if any.
    pub(super) columns_of: Option<u32>,
    /// The execute being encoded (kept between executes).
    pub(super) exec_buf: BytesMut,
    pub(super) binary_cells: BinaryRowCells,
    /// The cursor the current execute opened: its statement id and rows per COM_STMT_FETCH.
    pub(super) cursor: Option<(u32, u32)>,
    /// Rows per COM_STMT_FETCH for executes (0: no cursor).
    pub(super) fetch_size: u32,
    /// A COM_STMT_PREPARE response being read: what it said so far.
    pub(super) prepared: Option<Statement>,
    /// Statements to close (COM_STMT_CLOSE) before the next command.
    pub(super) closes: Vec<u32>,
    /// Statements kept prepared by SQL text.
    pub(super) stmt_cache: StmtCache,
    /// This engine's identity (statements are executed only where they were prepared).
    pub(super) token: u64,
    /// Commands written whose responses have not started: (what the response looks like,
    /// first response seq, command bytes, the statement executed).
    pending: VecDeque<(Expect, u8, usize, Option<u32>)>,
    /// Bytes of pipelined commands written whose responses are not complete.
    inflight_bytes: usize,
    /// Bytes of the command whose response is being read (pipelined commands only).
    current_bytes: usize,
    /// Pipelined commands encoded but not yet queued for sending (bounded in-flight window).
    pub(super) unsent: VecDeque<Queued>,
    /// Responses completed since connect; identifies "the current response".
    completed: u64,
    /// The open raw exchange (send_command / read_packet), if any.
    pub(super) raw: Option<RawExchange>,
    /// The LOCAL INFILE transfer in progress, until the server's verdict is read.
    pub(super) infile: Option<super::infile::Infile>,
    /// The LOCAL INFILE names the current query's SQL allows (empty unless CLIENT_LOCAL_FILES
    /// was negotiated).
    pub(super) infile_names: Vec<String>,
    /// The compressed protocol's state, once negotiated and started.
    pub(super) zip: Option<Box<Compression>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("phase", &self.phase)
            .field("expect", &self.resp.expect())
            .field("raw", &self.raw.is_some())
            .field("caps", &self.caps)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// An ERR packet as the public error.
pub(crate) fn server_error(e: ErrPacket) -> Error {
    Error::Server(ServerError {
        code: e.code,
        sql_state: e
            .sql_state
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_else(|| "HY000".into()),
        message: e.message,
        hint: None,
    })
}

impl Engine {
    /// A new engine, waiting for the server's greeting. `max_packet` bounds every joined
    /// payload.
    pub(super) fn with_connect(max_packet: usize, connect: ConnectState) -> Self {
        Engine {
            codec: PacketCodec::new(max_packet),
            rbuf: BytesMut::new(),
            wbuf: BytesMut::with_capacity(1024),
            spare: BytesMut::new(),
            spare_next: SPARE_FIRST,
            handshake: Handshake {
                protocol_version: 0,
                server_version: String::new(),
                connection_id: 0,
                nonce: Vec::new(),
                capabilities: CapabilityFlags::empty(),
                charset: 0,
                status: StatusFlags::empty(),
                mariadb_capabilities: MariaDbCapabilities::empty(),
                auth_plugin: None,
            },
            caps: CapabilityFlags::empty(),
            mariadb_caps: MariaDbCapabilities::empty(),
            status: StatusFlags::empty(),
            last_ok: OkPacket::default(),
            broken: None,
            phase: Phase::Handshake,
            connect,
            tracer: None,
            resp: Response::new(CapabilityFlags::empty()),
            columns: super::columns::Columns::default(),
            batch: Bytes::new(),
            batch_pos: 0,
            row_packet: Bytes::new(),
            row_in_batch: false,
            row_range: (0, 0),
            cells: RowCells::new(),
            binary: false,
            exec_stmt: None,
            last_prepared: None,
            stmt_columns: std::collections::HashMap::new(),
            columns_sent: false,
            columns_of: None,
            exec_buf: BytesMut::new(),
            binary_cells: BinaryRowCells::new(),
            cursor: None,
            fetch_size: 0,
            prepared: None,
            closes: Vec::new(),
            stmt_cache: StmtCache::default(),
            token: new_engine_token(),
            pending: VecDeque::new(),
            inflight_bytes: 0,
            current_bytes: 0,
            unsent: VecDeque::new(),
            completed: 0,
            raw: None,
            infile: None,
            infile_names: Vec::new(),
            zip: None,
        }
    }

    // ---- broken state -------------------------------------------------------------------

    /// Records a fatal error: every later call fails with [`Error::Broken`].
    pub fn mark_broken(&mut self, e: &Error) {
        if e.is_fatal() && self.broken.is_none() {
            self.broken = Some(e.to_string());
        }
    }

    /// Records any error as the end of the connection (a failed connect), fatal or not.
    pub(super) fn mark_broken_always(&mut self, e: &Error) {
        if self.broken.is_none() {
            self.broken = Some(e.to_string());
        }
    }

    /// Fails with [`Error::Broken`] if an earlier error broke the connection.
    #[inline]
    pub fn check(&self) -> Result<(), Error> {
        match &self.broken {
            Some(why) => Err(Error::Broken(why.clone())),
            None => Ok(()),
        }
    }

    /// True if an earlier error broke the connection.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    pub(super) fn proto(&mut self, e: ParseError) -> Error {
        let e = Error::Protocol(e);
        self.mark_broken(&e);
        e
    }

    // ---- framing ------------------------------------------------------------------------

    /// Takes one logical packet (continuations joined, sequence id checked) off the receive
    /// buffer, or `None` until it has arrived whole.
    pub(super) fn poll_frame(&mut self) -> Step<Frame> {
        let f = loop {
            match self.next_batched() {
                Some((seq, start, end)) => {
                    if let Err(e) = self.codec.accept_seq(seq) {
                        let framed = self.batch.slice(start.saturating_sub(HEADER)..end);
                        return Err(match self.last_word(&framed) {
                            Some(err) => err,
                            None => self.proto(e),
                        });
                    }
                    self.batch_pos = end;
                    break Frame {
                        seq,
                        payload: self.batch.slice(start..end),
                    };
                }
                None => match self.codec.decode_frame(&mut self.rbuf) {
                    Ok(Some(f)) => break f,
                    // With compression on, the next compressed packet may complete it.
                    Ok(None) if self.inflate_next()? => {}
                    Ok(None) => return Ok(None),
                    Err(e) => match self.out_of_sequence(e) {
                        Some(err) => return Err(err),
                        // The packet may be the server's last word: wait for all of it.
                        None => return Ok(None),
                    },
                },
            }
        };
        if let Some(t) = self.tracer.as_mut() {
            t.packet(&PacketEvent {
                direction: Direction::ServerToClient,
                seq: f.seq,
                phase: self.phase,
                payload: &f.payload,
            });
        }
        Ok(Some(f))
    }

    /// Queues one logical packet (the concatenation of `parts`) with the running sequence id.
    pub(super) fn queue_packet(&mut self, parts: &[&[u8]]) {
        let seq = self.send_framed(parts);
        self.trace_out(seq, parts);
    }

    fn trace_out(&mut self, seq: u8, parts: &[&[u8]]) {
        if let Some(t) = self.tracer.as_mut() {
            let payload = parts.concat();
            t.packet(&PacketEvent {
                direction: Direction::ClientToServer,
                seq,
                phase: self.phase,
                payload: &payload,
            });
        }
    }

    #[inline]
    pub(super) fn has_tracer(&self) -> bool {
        self.tracer.is_some()
    }

    /// Installs or removes the packet tracer.
    pub fn set_tracer(&mut self, tracer: Option<Box<dyn Tracer>>) {
        self.tracer = tracer;
    }

    pub(super) fn tracer_tls_started(&mut self) {
        if let Some(t) = self.tracer.as_mut() {
            t.tls_started();
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// True when no response is owed and nothing waits to be sent: a command may start.
    #[inline]
    pub fn is_idle(&self) -> bool {
        !self.busy() && self.unsent.is_empty()
    }

    /// True while a response is owed (a normal one or a raw exchange).
    #[inline]
    pub(super) fn busy(&self) -> bool {
        !self.resp.is_idle() || self.raw.is_some()
    }

    /// True while a raw exchange ([`Engine::start_raw`]) is open.
    pub fn in_raw(&self) -> bool {
        self.raw.is_some()
    }

    pub(super) fn start(&mut self, parts: &[&[u8]], next: Expect) -> Result<(), Error> {
        self.check()?;
        self.check_no_open_auth()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a command was started while the previous response is still unread (drain it \
                 first)"
                    .into(),
            ));
        }
        self.flush_closes();
        self.codec.set_seq(0);
        self.queue_packet(parts);
        self.resp.set(next);
        self.set_exec(None);
        self.infile_names.clear();
        Ok(())
    }

    /// Queues COM_QUERY; its response is then read with [`Engine::head_step`]. With
    /// CLIENT_LOCAL_FILES negotiated, the files its `LOAD DATA LOCAL INFILE 'name'` statements
    /// name may be asked for (see [`Engine::infile_wanted`]); no other file ever is sent.
    pub fn start_query(&mut self, sql: &str) -> Result<(), Error> {
        self.start(&[self.query_prefix(), sql.as_bytes()], Expect::Head)?;
        self.grant_infile(sql);
        Ok(())
    }

    /// What precedes the SQL text of a COM_QUERY: the command byte, and with
    /// CLIENT_QUERY_ATTRIBUTES an empty attribute block (`parameter_count` 0,
    /// `parameter_set_count` 1).
    fn query_prefix(&self) -> &'static [u8] {
        if self.caps.contains(CapabilityFlags::QUERY_ATTRIBUTES) {
            &[COM_QUERY, 0, 1]
        } else {
            &[COM_QUERY]
        }
    }

    /// Queues a command answered by one OK or ERR ([`Engine::simple_step`]).
    pub fn start_simple(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.start_expecting(cmd, Expect::Simple)?;
        if cmd == Command::ResetConnection {
            // The server drops every prepared statement of the session.
            self.forget_statements();
        }
        Ok(())
    }

    /// Queues a command answered by one string packet ([`Engine::text_step`]).
    pub fn start_text(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.start_expecting(cmd, Expect::Text)
    }

    fn start_expecting(&mut self, cmd: Command<'_>, shape: Expect) -> Result<(), Error> {
        if expect_for(&cmd) != shape {
            return Err(Error::Usage(format!(
                "{:?} is not answered by a {shape:?} response",
                cmd.code()
            )));
        }
        self.start(&[&[cmd.code()], cmd.args()], shape)
    }

    /// Queues COM_QUIT (no response follows).
    pub fn start_quit(&mut self) {
        self.resp.set(Expect::Idle);
        self.raw = None;
        self.unsent.clear();
        self.codec.set_seq(0);
        self.queue_packet(&[&[COM_QUIT]]);
    }

    // ---- responses ----------------------------------------------------------------------
    pub(super) fn on_greeting_status(&mut self, status: StatusFlags) {
        self.status = status;
    }

    #[inline]
    pub(super) fn on_ok(&mut self, ok: OkPacket) {
        self.status = ok.status;
        self.last_ok = ok;
    }

    // ---- what was negotiated ------------------------------------------------------------

    /// The server's greeting.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The negotiated capabilities.
    pub fn capabilities(&self) -> CapabilityFlags {
        self.caps
    }

    /// The negotiated MariaDB extended capabilities (empty with a MySQL server).
    pub fn mariadb_capabilities(&self) -> MariaDbCapabilities {
        self.mariadb_caps
    }

    /// The server status from the latest OK / EOF.
    #[inline]
    pub fn status(&self) -> StatusFlags {
        self.status
    }

    /// The latest OK packet.
    #[inline]
    pub fn last_ok(&self) -> &OkPacket {
        &self.last_ok
    }

    /// The connection phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }
}
