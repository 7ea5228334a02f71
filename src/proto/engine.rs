//! [`Engine`]: the command phase of one connection (the connection phase is in `connect.rs`).

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::codec::command::{Command, COM_QUERY, COM_QUIT};
use crate::codec::frame::{peek_header, Frame, PacketCodec, MAX_CHUNK};
use crate::codec::handshake::Handshake;
use crate::codec::response::{
    is_result_end, parse_eof, parse_err, parse_ok, parse_query_response, ErrPacket, OkPacket,
    QueryResponse,
};
use crate::codec::resultset::{parse_column_definition, ColumnDefinition, RowCells};
use crate::codec::{CapabilityFlags, ErrorKind, Packet, ParseError, StatusFlags};
use crate::error::{Error, ServerError};
use crate::trace::decode::Conversation;
use crate::trace::{Direction, PacketEvent, Phase, Tracer};

use super::connect::ConnectState;
use super::{Row, Step};

/// Most pipelined commands in flight (written, response not yet complete).
pub const PIPELINE_WINDOW: usize = 256;

/// Most bytes of pipelined commands in flight (at least one command is always allowed).
pub const PIPELINE_WINDOW_BYTES: usize = 256 * 1024;

/// Read buffer capacity kept in reserve for the async driver's reads.
const READ_CHUNK: usize = 64 * 1024;

/// First and largest read size of a driver that reads into initialized memory (the blocking
/// driver: a std read needs a zeroed slice, so only what is likely to arrive is zeroed).
const READ_HINT_START: usize = 4 * 1024;
const READ_HINT_MAX: usize = 256 * 1024;

/// Largest write buffer kept between commands.
const WBUF_KEEP: usize = 1 << 20;

/// What the engine expects to read next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Nothing pending.
    Idle,
    /// The first packet of a query response (OK / ERR / LOCAL INFILE / column count).
    Head,
    /// Column definitions, `left` still to come.
    Columns { left: u64 },
    /// The EOF after the column definitions (without CLIENT_DEPRECATE_EOF).
    ColumnsEof,
    /// Rows, until the terminating EOF / OK.
    Rows,
    /// The server's verdict after a refused LOCAL INFILE request (an empty packet was sent).
    InfileReply,
    /// One OK or ERR (COM_PING, COM_INIT_DB, COM_RESET_CONNECTION).
    Simple,
    /// One string packet (COM_STATISTICS).
    Text,
    /// A raw command: the caller reads the response packets itself.
    Raw,
}

/// The state machine of one connection. See the [module documentation](super).
pub struct Engine {
    pub(super) codec: PacketCodec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    read_hint: usize,
    pub(super) handshake: Handshake,
    pub(super) caps: CapabilityFlags,
    status: StatusFlags,
    last_ok: OkPacket,
    broken: Option<String>,
    pub(super) phase: Phase,
    pub(super) connect: ConnectState,
    tracer: Option<Box<dyn Tracer>>,
    state: State,
    columns: Vec<ColumnDefinition>,
    /// The packet(s) the current row comes from: a run of complete row packets split off the
    /// read buffer at once (so reading a row costs no `Bytes` of its own), or the last packet
    /// read the ordinary way.
    batch: Bytes,
    /// Where the next row packet (header included) starts in `batch`.
    batch_pos: usize,
    /// The current row's payload within `batch`.
    row_range: (usize, usize),
    cells: RowCells,
    /// Commands written whose responses have not started: (state to read it in, first
    /// response seq, command bytes).
    pending: VecDeque<(State, u8, usize)>,
    /// Bytes of pipelined commands written whose responses are not complete.
    inflight_bytes: usize,
    /// Bytes of the command whose response is being read (pipelined commands only).
    current_bytes: usize,
    /// Pipelined commands encoded but not yet queued for sending (bounded in-flight window).
    unsent: VecDeque<(Bytes, State, u8)>,
    /// Responses completed since connect; identifies "the current response".
    completed: u64,
    /// Follows a raw exchange (send_command / read_packet) with the trace decoder's state
    /// machine, so the engine knows where its response ends. `None` in [`State::Raw`]: an
    /// exchange the engine lost track of, which only [`Engine::end_raw`] ends.
    raw: Option<Box<Conversation>>,
    /// The file a refused LOCAL INFILE request named, until the server's verdict is read.
    infile: Option<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("phase", &self.phase)
            .field("state", &self.state)
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
            read_hint: READ_HINT_START,
            handshake: Handshake {
                protocol_version: 0,
                server_version: String::new(),
                connection_id: 0,
                nonce: Vec::new(),
                capabilities: CapabilityFlags::empty(),
                charset: 0,
                status: StatusFlags::empty(),
                mariadb_capabilities: crate::codec::MariaDbCapabilities::empty(),
                auth_plugin: None,
            },
            caps: CapabilityFlags::empty(),
            status: StatusFlags::empty(),
            last_ok: OkPacket::default(),
            broken: None,
            phase: Phase::Handshake,
            connect,
            tracer: None,
            state: State::Idle,
            columns: Vec::new(),
            batch: Bytes::new(),
            batch_pos: 0,
            row_range: (0, 0),
            cells: RowCells::new(),
            pending: VecDeque::new(),
            inflight_bytes: 0,
            current_bytes: 0,
            unsent: VecDeque::new(),
            completed: 0,
            raw: None,
            infile: None,
        }
    }

    // ---- bytes in, bytes out ------------------------------------------------------------

    /// The receive buffer with room for a read: an async driver reads into its spare capacity
    /// (`read_buf`), and the engine consumes from its front.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
            self.rbuf.reserve(READ_CHUNK);
        }
        &mut self.rbuf
    }

    /// Zeroed room at the end of the receive buffer for a driver that reads into initialized
    /// memory (a std read), sized by how much earlier reads brought; then
    /// [`Engine::commit_read`] with what the read returned. Only what is likely to arrive is
    /// zeroed, so a 20-byte OK costs no 64 KiB memset.
    pub fn read_space(&mut self) -> &mut [u8] {
        let len = self.rbuf.len();
        self.rbuf.resize(len.saturating_add(self.read_hint), 0);
        self.rbuf.get_mut(len..).unwrap_or_default()
    }

    /// Keeps `n` of the bytes [`Engine::read_space`] offered (what the read returned).
    pub fn commit_read(&mut self, n: usize) {
        let offered = self.read_hint;
        let len = self.rbuf.len().saturating_sub(offered);
        self.rbuf.truncate(len.saturating_add(n.min(offered)));
        if n >= offered && offered < READ_HINT_MAX {
            // A full read: more was probably waiting. Offer more next time.
            self.read_hint = offered.saturating_mul(2).min(READ_HINT_MAX);
        }
    }

    /// The error for an end of stream, saying whether it cut a packet.
    pub fn eof_error(&mut self) -> Error {
        let e = Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            if self.rbuf.is_empty() && !self.codec.is_mid_packet() {
                "the server closed the connection"
            } else {
                "the server closed the connection in the middle of a packet"
            },
        ));
        self.mark_broken(&e);
        e
    }

    /// Bytes queued for the server; a driver writes them and advances the buffer past what was
    /// written.
    pub fn transmit(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// True when bytes are queued for the server.
    pub fn wants_write(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Called by a driver once everything queued reached the transport.
    pub fn written(&mut self) {
        // Do not keep a large command's buffer for the rest of the session.
        if self.wbuf.capacity() > WBUF_KEEP {
            self.wbuf = BytesMut::with_capacity(1024);
        }
    }

    /// True when received bytes are waiting to be consumed (nothing may precede TLS).
    pub(super) fn has_unread_bytes(&self) -> bool {
        !self.rbuf.is_empty() || self.codec.is_mid_packet()
    }

    // ---- broken state -------------------------------------------------------------------

    /// Records a fatal error: every later call fails with [`Error::Broken`].
    pub fn mark_broken(&mut self, e: &Error) {
        if e.is_fatal() && self.broken.is_none() {
            self.broken = Some(e.to_string());
        }
    }

    /// Fails with [`Error::Broken`] if an earlier error broke the connection.
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
        match self.codec.decode_frame(&mut self.rbuf) {
            Ok(Some(f)) => {
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
            Ok(None) => Ok(None),
            Err(e) => Err(self.proto(e)),
        }
    }

    /// Queues one logical packet (the concatenation of `parts`) with the running sequence id.
    pub(super) fn queue_packet(&mut self, parts: &[&[u8]]) {
        let seq = self.codec.encode_parts(parts, &mut self.wbuf);
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
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle && self.unsent.is_empty()
    }

    /// True while a raw exchange ([`Engine::start_raw`]) is open.
    pub fn in_raw(&self) -> bool {
        self.state == State::Raw
    }

    fn start(&mut self, parts: &[&[u8]], next: State) -> Result<(), Error> {
        self.check()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a command was started while the previous response is still unread (drain it \
                 first)"
                    .into(),
            ));
        }
        self.codec.set_seq(0);
        self.queue_packet(parts);
        self.state = next;
        Ok(())
    }

    /// Queues COM_QUERY; its response is then read with [`Engine::head_step`].
    pub fn start_query(&mut self, sql: &str) -> Result<(), Error> {
        self.start(&[&[COM_QUERY], sql.as_bytes()], State::Head)
    }

    /// Queues a command answered by one OK or ERR ([`Engine::simple_step`]).
    pub fn start_simple(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.start(&[&[cmd.code()], cmd.args()], State::Simple)
    }

    /// Queues a command answered by one string packet ([`Engine::text_step`]).
    pub fn start_text(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.start(&[&[cmd.code()], cmd.args()], State::Text)
    }

    /// Queues COM_QUIT (no response follows).
    pub fn start_quit(&mut self) {
        self.state = State::Idle;
        self.unsent.clear();
        self.codec.set_seq(0);
        self.queue_packet(&[&[COM_QUIT]]);
    }

    /// Queues a raw command (`payload`, command byte first). The response is read with
    /// [`Engine::raw_frame_step`]; the engine follows the exchange with the trace decoder so it
    /// knows where a response it understands ends.
    pub fn start_raw(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::Usage(
                "a command needs at least its command byte".into(),
            ));
        }
        self.start(&[payload], State::Raw)?;
        let mut conv = Conversation::after_handshake(self.caps, true);
        conv.packet(
            Direction::ClientToServer,
            0,
            Bytes::copy_from_slice(payload),
        );
        if conv.is_idle() {
            // COM_QUIT and the like: no response to wait for.
            self.state = State::Idle;
        } else {
            self.raw = Some(Box::new(conv));
        }
        Ok(())
    }

    /// Refuses a raw read or write outside a raw exchange. The rule: a raw command is a
    /// command like any other (it drains what an abandoned result left unread, then opens a
    /// raw exchange); raw reads and writes work only inside that exchange. When idle, or while
    /// the engine still owns an unread response, they refuse and touch nothing.
    fn raw_exchange_open(&self, what: &str) -> Result<(), Error> {
        self.check()?;
        match self.state {
            State::Raw => Ok(()),
            State::Idle => Err(Error::Usage(format!(
                "{what}: no raw exchange is open (start one with send_command)"
            ))),
            _ => Err(Error::Usage(format!(
                "{what}: the response to an earlier command is still unread (a QueryResult or \
                 Pipeline was dropped before its end); it belongs to the session, which drains \
                 it at the next command (send_command included)"
            ))),
        }
    }

    /// Queues one more packet of the open raw exchange (the sequence id continues), for
    /// exchanges in which the client speaks again (LOCAL INFILE data, authentication rounds).
    /// Refused while the server is still sending the response of a command the engine follows
    /// (the server would read the packet as a new command). In an exchange the engine cannot
    /// follow the packet is sent as is: the caller ends it with [`Engine::end_raw`].
    pub fn raw_packet(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.raw_exchange_open("send_packet_raw")?;
        let seq = self.codec.next_seq();
        if let Some(c) = self.raw.as_mut() {
            if c.awaits_client_packet() {
                c.packet(
                    Direction::ClientToServer,
                    seq,
                    Bytes::copy_from_slice(payload),
                );
            } else if c.can_follow() {
                return Err(Error::Usage(
                    "send_packet_raw: the server is still sending the response to the raw \
                     command; read it with read_packet()"
                        .into(),
                ));
            }
            // An exchange the tracker cannot follow is not fed: it would take the packet for a
            // new command and believe it knows where the response ends.
        }
        self.queue_packet(&[payload]);
        Ok(())
    }

    /// The next packet of the open raw exchange. Once the response of a command the decoder
    /// understands is complete, the exchange ends by itself.
    pub fn raw_frame_step(&mut self) -> Step<Frame> {
        self.raw_exchange_open("read_packet")?;
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        if let Some(c) = self.raw.as_mut() {
            c.packet(Direction::ServerToClient, f.seq, f.payload.clone());
            if c.is_idle() {
                self.raw = None;
                self.finish_response();
            } else if c.is_unsynced() {
                // A packet the tracker could not decode: where the response ends is unknown
                // now, so the caller must end the exchange.
                self.raw = None;
            }
        }
        Ok(Some(f))
    }

    /// Declares the open raw exchange finished (the caller vouches that every response packet
    /// was read).
    pub fn end_raw(&mut self) {
        if self.state == State::Raw {
            self.raw = None;
            self.finish_response();
        }
    }

    // ---- pipelining ---------------------------------------------------------------------

    /// Encodes `queries` as COM_QUERY commands to be sent as the in-flight window allows (see
    /// [`Engine::top_up`]); returns how many and the response id of the first.
    pub fn queue_pipeline<I, S>(&mut self, queries: I) -> Result<(usize, u64), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.check()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a pipeline was started while a response is still unread".into(),
            ));
        }
        let mut all = BytesMut::new();
        let mut codec = PacketCodec::new(self.codec.max_payload());
        let mut cuts = Vec::new();
        for q in queries {
            codec.set_seq(0);
            let before = all.len();
            codec.encode_parts(&[&[COM_QUERY], q.as_ref().as_bytes()], &mut all);
            cuts.push((all.len().saturating_sub(before), codec.next_seq()));
        }
        let mut all = all.freeze();
        let total = cuts.len();
        for (len, seq) in cuts {
            self.unsent.push_back((all.split_to(len), State::Head, seq));
        }
        Ok((total, self.completed))
    }

    /// Moves queued pipelined commands to the transmit buffer while the in-flight window has
    /// room. Returns true if any moved.
    pub fn top_up(&mut self) -> bool {
        // Refill only when the window is at most half full, so that writes go out in batches
        // (one system call for many commands) rather than one per response.
        let in_flight = self.pending.len() + usize::from(self.state != State::Idle);
        if in_flight > PIPELINE_WINDOW / 2 && self.inflight_bytes <= PIPELINE_WINDOW_BYTES / 2 {
            return false;
        }
        let mut moved = false;
        while let Some((bytes, _, _)) = self.unsent.front() {
            let in_flight = self.pending.len() + usize::from(self.state != State::Idle);
            if in_flight >= PIPELINE_WINDOW
                || (in_flight > 0
                    && self.inflight_bytes.saturating_add(bytes.len()) > PIPELINE_WINDOW_BYTES)
            {
                break;
            }
            let Some((bytes, state, seq)) = self.unsent.pop_front() else {
                break;
            };
            self.inflight_bytes = self.inflight_bytes.saturating_add(bytes.len());
            if self.state == State::Idle {
                self.state = state;
                self.codec.set_seq(seq);
                self.current_bytes = bytes.len();
            } else {
                self.pending.push_back((state, seq, bytes.len()));
            }
            if self.tracer.is_some() {
                let mut dec = PacketCodec::new(usize::MAX);
                let mut b = BytesMut::from(&bytes[..]);
                if let Ok(Some(f)) = dec.decode_frame(&mut b) {
                    self.trace_out(f.seq, &[&f.payload]);
                }
            }
            self.wbuf.extend_from_slice(&bytes);
            moved = true;
        }
        moved
    }

    /// Drops pipelined commands not yet sent (a pipeline dropped half-read).
    pub fn discard_unsent(&mut self) {
        self.unsent.clear();
    }

    /// Responses completed since connect: identifies "the current response".
    pub fn completed(&self) -> u64 {
        self.completed
    }

    // ---- responses ----------------------------------------------------------------------

    /// The current response is complete: move on to the next pipelined one, if any.
    fn finish_response(&mut self) {
        self.completed = self.completed.wrapping_add(1);
        self.inflight_bytes = self.inflight_bytes.saturating_sub(self.current_bytes);
        self.current_bytes = 0;
        match self.pending.pop_front() {
            Some((state, seq, size)) => {
                self.state = state;
                self.codec.set_seq(seq);
                self.current_bytes = size;
            }
            None => self.state = State::Idle,
        }
    }

    /// A result (OK, or a result set's closing OK/EOF) ended: another result of the same
    /// response follows if the server said so, else the response is complete.
    fn end_result(&mut self, ok: OkPacket) {
        let more = ok.status.contains(StatusFlags::MORE_RESULTS_EXISTS);
        self.on_ok(ok);
        if more {
            self.state = State::Head;
        } else {
            self.finish_response();
        }
    }

    pub(super) fn on_greeting_status(&mut self, status: StatusFlags) {
        self.status = status;
    }

    pub(super) fn on_ok(&mut self, ok: OkPacket) {
        self.status = ok.status;
        self.last_ok = ok;
    }

    /// Reads a query response's head: through the column definitions until rows can be read,
    /// or to its OK / ERR. `Some(())` when done (rows follow if [`Engine::in_rows`]).
    pub fn head_step(&mut self) -> Step<()> {
        loop {
            match self.state {
                State::Head => {
                    let Some(f) = self.poll_frame()? else {
                        return Ok(None);
                    };
                    match parse_query_response(&f.payload, self.caps).map_err(|e| self.proto(e))? {
                        QueryResponse::Ok(ok) => {
                            self.columns.clear();
                            self.end_result(ok);
                            return Ok(Some(()));
                        }
                        QueryResponse::Err(e) => {
                            self.columns.clear();
                            self.finish_response();
                            return Err(server_error(e));
                        }
                        QueryResponse::LocalInfile(name) => {
                            // Never open a file: answer "no data" and read the server's verdict.
                            self.queue_packet(&[]);
                            self.infile = Some(name);
                            self.state = State::InfileReply;
                        }
                        QueryResponse::ResultSet(n) => {
                            self.columns.clear();
                            self.columns
                                .reserve(usize::try_from(n.min(1024)).unwrap_or(1024));
                            self.state = State::Columns { left: n };
                        }
                    }
                }
                State::InfileReply => {
                    let Some(f) = self.poll_frame()? else {
                        return Ok(None);
                    };
                    let name = self.infile.take().unwrap_or_default();
                    match f.payload.first() {
                        Some(0x00) => {
                            let ok = parse_ok(&f.payload, self.caps).map_err(|e| self.proto(e))?;
                            self.end_result(ok);
                        }
                        Some(0xFF) => {
                            parse_err(&f.payload).map_err(|e| self.proto(e))?;
                            self.finish_response();
                        }
                        _ => {
                            return Err(self.proto(ParseError::new(
                                Packet::LocalInfile,
                                "reply",
                                ErrorKind::Unexpected,
                            )))
                        }
                    }
                    return Err(Error::LocalInfileRefused(name));
                }
                State::Columns { left } => {
                    if left == 0 {
                        self.state = if self.caps.contains(CapabilityFlags::DEPRECATE_EOF) {
                            State::Rows
                        } else {
                            State::ColumnsEof
                        };
                        continue;
                    }
                    let Some(f) = self.poll_frame()? else {
                        return Ok(None);
                    };
                    let c =
                        parse_column_definition(&f.payload, false).map_err(|e| self.proto(e))?;
                    self.columns.push(c);
                    self.state = State::Columns {
                        left: left.saturating_sub(1),
                    };
                }
                State::ColumnsEof => {
                    let Some(f) = self.poll_frame()? else {
                        return Ok(None);
                    };
                    parse_eof(&f.payload).map_err(|e| self.proto(e))?;
                    self.state = State::Rows;
                }
                _ => return Ok(Some(())),
            }
        }
    }

    /// True while rows of a result set are being read.
    pub fn in_rows(&self) -> bool {
        self.state == State::Rows
    }

    /// True when the next result of the current response is still to be read (its head).
    pub fn at_next_result(&self) -> bool {
        self.state == State::Head
    }

    /// Reads the next row: `Some(true)` with a row ready ([`Engine::row`]), `Some(false)` at
    /// the end of the result set.
    pub fn row_step(&mut self) -> Step<bool> {
        if self.state != State::Rows {
            return Ok(Some(false));
        }
        // Fast path: rows already in the read buffer, taken as one batch. (Skipped with a tracer,
        // which must see every packet as it is read.)
        if self.tracer.is_none() {
            if self.batch_pos >= self.batch.len() {
                self.refill_batch();
            }
            if let Some((start, end)) = self.next_in_batch() {
                let n = self.columns.len();
                let payload = self.batch.get(start..end).unwrap_or_default();
                if let Err(e) = self.cells.parse(payload, n) {
                    return Err(self.proto(e));
                }
                self.row_range = (start, end);
                return Ok(Some(true));
            }
        }
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        let p = &f.payload;
        let deprecate_eof = self.caps.contains(CapabilityFlags::DEPRECATE_EOF);
        if p.first() == Some(&0xFF) {
            self.finish_response();
            return Err(server_error(parse_err(p).map_err(|e| self.proto(e))?));
        }
        if is_result_end(p, deprecate_eof) {
            let ok = if deprecate_eof {
                parse_ok(p, self.caps).map_err(|e| self.proto(e))?
            } else {
                let eof = parse_eof(p).map_err(|e| self.proto(e))?;
                OkPacket {
                    status: eof.status,
                    warnings: eof.warnings,
                    ..Default::default()
                }
            };
            self.end_result(ok);
            return Ok(Some(false));
        }
        let n = self.columns.len();
        if let Err(e) = self.cells.parse(p, n) {
            return Err(self.proto(e));
        }
        self.row_range = (0, f.payload.len());
        self.batch_pos = f.payload.len();
        self.batch = f.payload;
        Ok(Some(true))
    }

    /// The row [`Engine::row_step`] made ready.
    pub fn row(&self) -> Row<'_> {
        let (start, end) = self.row_range;
        Row::new(
            &self.batch,
            self.batch.get(start..end).unwrap_or_default(),
            &self.cells,
            &self.columns,
        )
    }

    /// The payload range of the next row packet in `batch`, advancing past it.
    fn next_in_batch(&mut self) -> Option<(usize, usize)> {
        let pos = self.batch_pos;
        let (len, _) = peek_header(self.batch.get(pos..)?)?;
        let start = pos.checked_add(4)?;
        let end = start.checked_add(len).filter(|&e| e <= self.batch.len())?;
        self.batch_pos = end;
        Some((start, end))
    }

    /// Splits off the front of the read buffer the longest run of complete, single-chunk row
    /// packets with the expected sequence ids. It stops before anything the ordinary path must
    /// see: an end of rows (0xFE), an ERR (0xFF), an empty or continued packet, a packet over the
    /// limit, a wrong sequence id, or an incomplete packet.
    fn refill_batch(&mut self) {
        if self.codec.is_mid_packet() {
            return;
        }
        let mut seq = self.codec.next_seq();
        let max = self.codec.max_payload().min(MAX_CHUNK - 1);
        let mut pos = 0usize;
        while let Some((len, sq)) = self.rbuf.get(pos..).and_then(peek_header) {
            let Some(end) = pos.checked_add(4).and_then(|s| s.checked_add(len)) else {
                break;
            };
            if sq != seq || len > max || end > self.rbuf.len() {
                break;
            }
            if matches!(
                self.rbuf.get(pos.saturating_add(4)),
                None | Some(0xFE) | Some(0xFF)
            ) {
                break;
            }
            pos = end;
            seq = seq.wrapping_add(1);
        }
        if pos > 0 {
            self.batch = self.rbuf.split_to(pos).freeze();
            self.batch_pos = 0;
            self.codec.set_seq(seq);
        }
    }

    /// The column definitions of the current result set.
    pub fn columns(&self) -> &[ColumnDefinition] {
        &self.columns
    }

    /// Reads the one-packet response of a command started with [`Engine::start_simple`].
    pub fn simple_step(&mut self) -> Step<()> {
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        self.finish_response();
        match f.payload.first() {
            Some(0x00) => {
                let ok = parse_ok(&f.payload, self.caps).map_err(|e| self.proto(e))?;
                self.on_ok(ok);
                Ok(Some(()))
            }
            Some(0xFF) => Err(server_error(
                parse_err(&f.payload).map_err(|e| self.proto(e))?,
            )),
            _ => Err(self.proto(ParseError::new(Packet::Ok, "header", ErrorKind::Unexpected))),
        }
    }

    /// Reads the string response of a command started with [`Engine::start_text`].
    pub fn text_step(&mut self) -> Step<String> {
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        self.finish_response();
        if f.payload.first() == Some(&0xFF) {
            return Err(server_error(
                parse_err(&f.payload).map_err(|e| self.proto(e))?,
            ));
        }
        Ok(Some(String::from_utf8_lossy(&f.payload).into_owned()))
    }

    /// Reads and discards what is owed: everything (`until` = `None`; pipelined commands not
    /// yet sent are dropped) or the rest of the response whose id is `until`. `Some(())` when
    /// done.
    pub fn drain_step(&mut self, until: Option<u64>) -> Step<()> {
        if until.is_none() {
            self.unsent.clear();
        }
        loop {
            let done = match until {
                None => self.state == State::Idle,
                Some(id) => self.completed != id || self.state == State::Idle,
            };
            if done {
                return Ok(Some(()));
            }
            let progressed = match self.state {
                State::Idle => Some(()),
                State::Raw => {
                    // Read the rest of the raw response through its tracker; a command the
                    // tracker cannot follow must be ended explicitly.
                    if !self.raw.as_ref().is_some_and(|c| c.can_follow()) {
                        return Err(Error::Usage(
                            "a raw exchange whose end cannot be known is still open: read its \
                             response with read_packet() and then call end_raw()"
                                .into(),
                        ));
                    }
                    self.raw_frame_step()?.map(|_| ())
                }
                State::Rows => match self.row_step() {
                    Ok(r) => r.map(|_| ()),
                    // An ERR ending rows nobody is waiting for belongs to the abandoned
                    // statement, not to the command that is draining it.
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(_) => Some(()),
                },
                State::Simple | State::Text => self.poll_frame()?.map(|_| self.finish_response()),
                State::Head | State::Columns { .. } | State::ColumnsEof | State::InfileReply => {
                    match self.head_step() {
                        Ok(r) => r,
                        // Errors of statements nobody is waiting for any more are dropped;
                        // fatal ones have marked the connection broken and end the drain.
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(_) => Some(()),
                    }
                }
            };
            if progressed.is_none() {
                return Ok(None);
            }
        }
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

    /// The server status from the latest OK / EOF.
    pub fn status(&self) -> StatusFlags {
        self.status
    }

    /// The latest OK packet.
    pub fn last_ok(&self) -> &OkPacket {
        &self.last_ok
    }

    /// The connection phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }
}
