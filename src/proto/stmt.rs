//! Prepared statements in the engine: COM_STMT_PREPARE and the definitions after its
//! PREPARE_OK, COM_STMT_EXECUTE (long values sent ahead with COM_STMT_SEND_LONG_DATA), whose
//! response is read like a query's with binary rows, COM_STMT_RESET and COM_STMT_CLOSE.
//! Packet layouts: `codec::stmt`, protocol-notes/prepared-statements.md.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;

use crate::codec::command::{COM_STMT_PREPARE, COM_STMT_RESET};
use crate::codec::frame::PacketCodec;
use crate::codec::response::ErrPacket;
use crate::codec::resultset::ColumnDefinition;
use crate::codec::stmt::{
    encode_stmt_close, encode_stmt_execute, encode_stmt_fetch, encode_stmt_send_long_data,
    long_data_params, StmtExecute, CURSOR_TYPE_NO_CURSOR, CURSOR_TYPE_READ_ONLY,
    DIRECT_STATEMENT_ID,
};
use crate::codec::value::ToParam;
use crate::codec::{CapabilityFlags, ErrorKind, Packet, ParseError, StatusFlags};
use crate::error::Error;

use super::engine::server_error;
use super::response::{Expect, Seen};
use super::{Engine, Step};

/// A string or byte-string parameter at least this long is sent ahead of the execute with
/// COM_STMT_SEND_LONG_DATA rather than inside it.
pub const LONG_DATA_THRESHOLD: usize = 1 << 20;

/// Largest piece of a long value per COM_STMT_SEND_LONG_DATA packet (the server appends the
/// pieces; each packet stays far below any `max_allowed_packet`).
const LONG_DATA_PIECE: usize = 1 << 20;

/// Largest execute buffer kept between executes.
const EXEC_BUF_KEEP: usize = 64 * 1024;

/// Tells engines apart, so that a statement is executed only on the connection that prepared
/// it (statement ids are per connection).
static NEXT_ENGINE: AtomicU64 = AtomicU64::new(1);

pub(super) fn new_engine_token() -> u64 {
    NEXT_ENGINE.fetch_add(1, Ordering::Relaxed)
}

/// A statement prepared on a connection, as the server described it.
#[derive(Debug, Clone)]
pub struct Statement {
    id: u32,
    params: Vec<ColumnDefinition>,
    columns: Vec<ColumnDefinition>,
    warnings: u16,
    engine: u64,
}

impl Statement {
    /// The server's statement id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The parameter definitions (one per `?`). MariaDB types them all as NULL; the values
    /// given to an execute decide the types.
    pub fn params(&self) -> &[ColumnDefinition] {
        &self.params
    }

    /// The result columns as the prepare described them (an execute's own definitions, which
    /// its rows are read with, may be more precise).
    pub fn columns(&self) -> &[ColumnDefinition] {
        &self.columns
    }

    /// Warnings the prepare raised.
    pub fn warnings(&self) -> u16 {
        self.warnings
    }
}

/// The statements a session keeps prepared, by SQL text, least recently used evicted first.
#[derive(Debug, Default)]
pub(super) struct StmtCache {
    /// Most statements kept (0: none kept beyond the one in use).
    cap: usize,
    entries: Vec<(String, Statement, u64)>,
    tick: u64,
    /// A statement was inserted and not yet looked up (with `cap` 0 only that lookup hits).
    fresh: bool,
}

impl StmtCache {
    fn find(&mut self, sql: &str) -> Option<usize> {
        let fresh = std::mem::take(&mut self.fresh);
        if self.cap == 0 && !fresh {
            return None;
        }
        let i = self.entries.iter().position(|(s, _, _)| s == sql)?;
        self.tick = self.tick.wrapping_add(1);
        if let Some(e) = self.entries.get_mut(i) {
            e.2 = self.tick;
        }
        Some(i)
    }

    /// Removes entries until one more fits (at most `cap` once it is in; with `cap` 0 the
    /// newest is kept, it is the one about to run, and goes at the next insertion); returns
    /// the ids removed (to close).
    fn make_room(&mut self) -> Vec<u32> {
        let mut evicted = Vec::new();
        while self.entries.len() >= self.cap.max(1) {
            let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.2)
                .map(|(i, _)| i)
            else {
                break;
            };
            let (_, old, _) = self.entries.swap_remove(oldest);
            evicted.push(old.id);
        }
        evicted
    }

    /// Adds `st` for `sql`; returns the ids of the statements that no longer fit (to close).
    fn insert(&mut self, sql: &str, st: Statement) -> Vec<u32> {
        let evicted = self.make_room();
        self.tick = self.tick.wrapping_add(1);
        self.entries.push((sql.to_owned(), st, self.tick));
        self.fresh = true;
        evicted
    }
}

/// ER_UNSUPPORTED_PS: the statement cannot be prepared.
pub const ER_UNSUPPORTED_PS: u16 = 1295;

/// What a prepare's ER_UNSUPPORTED_PS gets after the server's message (a client that shows
/// the server's own text, like the CLI, strips it).
pub const UNSUPPORTED_PS_HINT: &str =
    " (the server cannot prepare this statement; run it with `query`, the text protocol)";

/// A prepare's ERR as the public error; ER_UNSUPPORTED_PS says what to do instead.
fn prepare_error(e: ErrPacket) -> Error {
    let unsupported = e.code == ER_UNSUPPORTED_PS;
    let mut err = server_error(e);
    if let (true, Error::Server(s)) = (unsupported, &mut err) {
        s.message.push_str(UNSUPPORTED_PS_HINT);
    }
    err
}

impl Engine {
    /// Sets how many statements [`Engine::start_execute_cached`] keeps prepared (0 turns the
    /// cache off: each statement is closed when the next one is prepared).
    pub fn set_stmt_cache(&mut self, cap: usize) {
        self.stmt_cache.cap = cap;
    }

    /// Queues COM_STMT_EXECUTE of the cached statement for `sql` with `params`; `Ok(false)`
    /// when none is cached (then prepare it, hand it to [`Engine::cache_statement`], and call
    /// this again).
    pub fn start_execute_cached(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<bool, Error> {
        let Some(i) = self.stmt_cache.find(sql) else {
            return Ok(false);
        };
        // Out of the cache while it is used (the engine is borrowed mutably), then back.
        let (key, st, tick) = self.stmt_cache.entries.swap_remove(i);
        let r = self.start_execute(&st, params);
        self.stmt_cache.entries.push((key, st, tick));
        r.map(|()| true)
    }

    /// Keeps `st`, prepared for `sql`, in the statement cache; statements evicted to make room
    /// are closed (COM_STMT_CLOSE queued, no answer), so the cache never holds more of the
    /// server's `max_prepared_stmt_count` than its size.
    pub fn cache_statement(&mut self, sql: &str, st: Statement) -> Result<(), Error> {
        self.check_owner(&st)?;
        for id in self.stmt_cache.insert(sql, st) {
            self.queue_close_statement(id);
        }
        Ok(())
    }

    /// Before a statement is prepared for the cache: closes the least recently used ones
    /// that would not fit beside it (the COM_STMT_CLOSEs go out ahead of the prepare), so the
    /// session never holds more than the cache's size of the server's
    /// `max_prepared_stmt_count`, not even for a moment.
    pub fn make_room_in_cache(&mut self) {
        for id in self.stmt_cache.make_room() {
            self.queue_close_statement(id);
        }
    }

    /// [`Engine::cache_statement`] of a statement already executed (direct execution): with
    /// a cache of size 0 it is not looked up again.
    pub fn cache_executed(&mut self, sql: &str, st: Statement) -> Result<(), Error> {
        self.cache_statement(sql, st)?;
        self.stmt_cache.fresh = false;
        Ok(())
    }

    /// Empties the statement cache without closing anything (the server has dropped them:
    /// COM_RESET_CONNECTION).
    pub(super) fn forget_statements(&mut self) {
        self.stmt_cache.entries.clear();
        self.stmt_columns.clear();
        self.columns_of = None;
    }

    /// Number of statements in the cache.
    pub fn cached_statements(&self) -> usize {
        self.stmt_cache.entries.len()
    }

    /// Sets what the response about to be read executes: binary rows when `stmt` is some
    /// (0xFFFFFFFF, direct execution, names the statement prepared just before).
    pub(super) fn set_exec(&mut self, stmt: Option<u32>) {
        self.binary = stmt.is_some();
        self.exec_stmt = match stmt {
            Some(DIRECT_STATEMENT_ID) => self.last_prepared,
            s => s,
        };
    }

    /// With MariaDB's CACHE_METADATA: the column definitions of the statement being executed
    /// when the server did not resend them (`metadata_follows` 0), as its prepare or its last
    /// execute that sent them described them; `count` must match.
    pub(super) fn cached_columns(&mut self, count: u64) -> Result<(), Error> {
        let count_ok = |n: usize| u64::try_from(n) == Ok(count);
        // The same statement's definitions are still in place (its last result): nothing to
        // copy.
        if self.exec_stmt.is_some()
            && self.columns_of == self.exec_stmt
            && count_ok(self.columns.len())
        {
            return Ok(());
        }
        let cached = self.exec_stmt.and_then(|id| self.stmt_columns.get(&id));
        match cached {
            Some(c) if count_ok(c.len()) => {
                self.columns.clear();
                self.columns.extend_from_slice(c);
                self.columns_of = self.exec_stmt;
                Ok(())
            }
            _ => Err(self.proto(ParseError::new(
                Packet::ColumnCount,
                "metadata_follows",
                ErrorKind::Unexpected,
            ))),
        }
    }

    /// Drops what CACHE_METADATA kept for statement `id` (closed).
    fn forget_columns(&mut self, id: u32) {
        self.stmt_columns.remove(&id);
        if self.columns_of == Some(id) {
            self.columns_of = None;
        }
    }

    /// Remembers the column definitions just read for the statement being executed (the
    /// server resends them only when they change).
    pub(super) fn remember_columns(&mut self) {
        if let Some(id) = self.exec_stmt {
            if self.resp.caches_metadata() {
                self.stmt_columns.insert(id, self.columns.clone());
                self.columns_of = Some(id);
            }
        }
    }

    /// Queues COM_STMT_PREPARE; its response is then read with [`Engine::prepare_step`].
    pub fn start_prepare(&mut self, sql: &str) -> Result<(), Error> {
        self.start(&[&[COM_STMT_PREPARE], sql.as_bytes()], Expect::PrepareOk)?;
        self.prepared = None;
        self.last_prepared = None;
        Ok(())
    }

    /// Reads a prepare response: PREPARE_OK and the parameter and column definitions.
    pub fn prepare_step(&mut self) -> Step<Statement> {
        self.check()?;
        loop {
            if !matches!(
                self.resp.expect(),
                Expect::PrepareOk | Expect::PrepareDefs { .. }
            ) {
                return Err(Error::Usage("no prepare response is being read".into()));
            }
            let Some(f) = self.poll_frame()? else {
                return Ok(None);
            };
            let seen = self.resp.on_server(&f.payload).map_err(|e| self.proto(e))?;
            match (seen, self.prepared.as_mut()) {
                (Seen::Err(e), _) => {
                    self.finish_if_done();
                    return Err(prepare_error(e));
                }
                (Seen::PrepareOk(ok), _) => {
                    self.last_prepared = Some(ok.statement_id);
                    let cap = |n: u16| usize::from(n).min(1024);
                    self.prepared = Some(Statement {
                        id: ok.statement_id,
                        params: Vec::with_capacity(cap(ok.num_params)),
                        columns: Vec::with_capacity(cap(ok.num_columns)),
                        warnings: ok.warnings(),
                        engine: self.token,
                    });
                }
                (Seen::Param(c), Some(p)) => p.params.push(c),
                (Seen::Column(c), Some(p)) => p.columns.push(c),
                (Seen::ColumnsEof(_), Some(_)) => {}
                _ => {
                    return Err(self.proto(ParseError::new(
                        Packet::PrepareOk,
                        "header",
                        ErrorKind::Unexpected,
                    )))
                }
            }
            if self.resp.is_idle() {
                if let (Some(p), true) = (&self.prepared, self.resp.caches_metadata()) {
                    self.stmt_columns.insert(p.id, p.columns.clone());
                    self.columns_of = None;
                }
                self.finish_response();
                if let Some(p) = self.prepared.take() {
                    return Ok(Some(p));
                }
            }
        }
    }

    /// Queues COM_STMT_EXECUTE of `stmt` with `params` (with a cursor when a fetch size is
    /// set, [`Engine::set_fetch_size`]; after a COM_STMT_SEND_LONG_DATA for
    /// each value of at least [`LONG_DATA_THRESHOLD`] bytes); its response is read like a
    /// query's ([`Engine::head_step`], [`Engine::row_step`]), with binary rows. A statement
    /// of another connection, or a wrong number of parameters, is refused before anything is
    /// queued.
    pub fn start_execute(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<(), Error> {
        match self.fetch_size {
            0 => self.start_execute_flags(stmt, params, CURSOR_TYPE_NO_CURSOR),
            n => self.start_execute_cursor(stmt, params, n),
        }
    }

    /// Makes [`Engine::start_execute`] open a cursor and fetch `rows` rows at a time (0: no
    /// cursor, the whole result is sent at once).
    pub fn set_fetch_size(&mut self, rows: u32) {
        self.fetch_size = rows;
    }

    /// [`Engine::start_execute`] with the flags byte (a `CURSOR_TYPE_*`).
    pub(super) fn start_execute_flags(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        flags: u8,
    ) -> Result<(), Error> {
        self.start_execute_full(stmt, params, &[], flags)
    }

    /// [`Engine::start_execute_flags`] with query attributes after the parameters.
    fn start_execute_full(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
        flags: u8,
    ) -> Result<(), Error> {
        self.check()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a command was started while the previous response is still unread (drain it \
                 first)"
                    .into(),
            ));
        }
        self.check_params(stmt, params)?;
        // Nothing is in flight: the packets go straight to the transmit buffer (a pipeline
        // queues them, [`Engine::encode_execute`]).
        self.flush_closes();
        let caps = self.caps;
        let mut exec = std::mem::take(&mut self.exec_buf);
        let r = execute_payloads(&mut exec, caps, stmt.id, params, attributes, flags, |p| {
            self.codec.set_seq(0);
            self.queue_packet(&[p]);
        });
        // Kept for the next execute unless a large value made it large.
        if exec.capacity() <= EXEC_BUF_KEEP {
            self.exec_buf = exec;
        }
        r?;
        self.resp.set(Expect::Head);
        self.set_exec(Some(stmt.id));
        self.cursor = None;
        Ok(())
    }

    /// Appends COM_STMT_EXECUTE of `stmt` with `params` as framed packets to `out`, after a
    /// COM_STMT_SEND_LONG_DATA command (sequence id 0, no answer) per piece of each value of
    /// at least [`LONG_DATA_THRESHOLD`] bytes; returns the sequence id the response starts
    /// with. A statement of another connection, or a wrong number of parameters, is refused
    /// with nothing appended.
    pub(super) fn encode_execute(
        &self,
        out: &mut BytesMut,
        stmt: &Statement,
        params: &[&dyn ToParam],
        flags: u8,
    ) -> Result<u8, Error> {
        self.check_params(stmt, params)?;
        self.encode_execute_id(out, stmt.id, params, flags)
    }

    /// Refuses a statement of another connection, or a wrong number of parameters.
    fn check_params(&self, stmt: &Statement, params: &[&dyn ToParam]) -> Result<(), Error> {
        self.check_owner(stmt)?;
        if params.len() != stmt.params.len() {
            return Err(Error::Usage(format!(
                "the statement takes {} parameter(s), {} given",
                stmt.params.len(),
                params.len()
            )));
        }
        Ok(())
    }

    /// [`Engine::encode_execute`] of statement `id` (unchecked: `params` are taken to be its
    /// parameters; with [`DIRECT_STATEMENT_ID`], those of the statement prepared just before).
    fn encode_execute_id(
        &self,
        out: &mut BytesMut,
        id: u32,
        params: &[&dyn ToParam],
        flags: u8,
    ) -> Result<u8, Error> {
        self.encode_execute_full(out, id, params, &[], flags)
    }

    /// [`Engine::encode_execute_id`] with query attributes after the parameters (names and
    /// values; CLIENT_QUERY_ATTRIBUTES only).
    fn encode_execute_full(
        &self,
        out: &mut BytesMut,
        id: u32,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
        flags: u8,
    ) -> Result<u8, Error> {
        let mut codec = PacketCodec::new(self.codec.max_payload());
        let mut exec = BytesMut::new();
        execute_payloads(&mut exec, self.caps, id, params, attributes, flags, |p| {
            codec.set_seq(0);
            codec.encode_parts(&[p], out);
        })?;
        Ok(codec.next_seq())
    }

    /// Queues COM_STMT_EXECUTE of `stmt` with `params` and query attributes (name, value)
    /// after them (MySQL 8.0.23+; refused when CLIENT_QUERY_ATTRIBUTES was not negotiated).
    /// Read like [`Engine::start_execute`]'s.
    pub fn start_execute_with_attributes(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<(), Error> {
        self.require_attributes()?;
        self.start_execute_full(stmt, params, attributes, CURSOR_TYPE_NO_CURSOR)
    }

    /// True when [`Engine::start_prepare_execute`] can run `params`: the server is MariaDB
    /// (statement id 0xFFFFFFFF names the statement prepared just before, MariaDB 10.2+) and
    /// no value is long enough for COM_STMT_SEND_LONG_DATA (which needs the real id), nor is
    /// a fetch size set (executes then open cursors).
    pub fn can_prepare_execute(&self, params: &[&dyn ToParam]) -> bool {
        self.handshake.is_mariadb()
            && self.fetch_size == 0
            && long_data_params(params, LONG_DATA_THRESHOLD)
                .next()
                .is_none()
    }

    /// MariaDB's direct execution: queues COM_STMT_PREPARE of `sql` and, right behind it in
    /// the same write, COM_STMT_EXECUTE of statement id 0xFFFFFFFF ("the one just prepared")
    /// with `params`: one round trip. Read the prepare response with [`Engine::prepare_step`],
    /// then the execute's like any execute's ([`Engine::head_step`]). When the prepare fails
    /// the server fails the execute too (it runs no other statement). See
    /// [`Engine::can_prepare_execute`].
    pub fn start_prepare_execute(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<(), Error> {
        self.check()?;
        if !self.can_prepare_execute(params) {
            return Err(Error::Usage(
                "direct execution needs MariaDB and no long data".into(),
            ));
        }
        if !self.is_idle() {
            return Err(Error::Usage(
                "a command was started while the previous response is still unread (drain it \
                 first)"
                    .into(),
            ));
        }
        let mut prep = BytesMut::with_capacity(sql.len().saturating_add(8));
        let mut codec = PacketCodec::new(self.codec.max_payload());
        codec.set_seq(0);
        codec.encode_parts(&[&[COM_STMT_PREPARE], sql.as_bytes()], &mut prep);
        let prep_cut = (prep.len(), codec.next_seq());
        let mut exec = BytesMut::with_capacity(params.len().saturating_mul(16).saturating_add(40));
        let seq = self.encode_execute_id(&mut exec, DIRECT_STATEMENT_ID, params, 0)?;
        let exec_len = exec.len();
        self.push_unsent(prep, &[prep_cut], Expect::PrepareOk, None);
        self.push_unsent(
            exec,
            &[(exec_len, seq)],
            Expect::Head,
            Some(DIRECT_STATEMENT_ID),
        );
        self.last_prepared = None;
        self.top_up();
        self.prepared = None;
        self.cursor = None;
        Ok(())
    }

    /// Queues COM_STMT_EXECUTE of `stmt` with a read-only cursor: the server keeps the result
    /// and sends it `rows_per_fetch` rows at a time in answer to COM_STMT_FETCH, which the
    /// engine sends whenever the rows of the previous one have been read
    /// ([`Engine::row_step`] goes on across them). Rows left unread are not fetched; the
    /// cursor then stays open on the server until the statement is executed again, reset or
    /// closed. A statement without a result set answers with its OK as usual.
    pub fn start_execute_cursor(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        rows_per_fetch: u32,
    ) -> Result<(), Error> {
        self.start_execute_flags(stmt, params, CURSOR_TYPE_READ_ONLY)?;
        self.cursor = Some((stmt.id, rows_per_fetch.max(1)));
        Ok(())
    }

    /// At the end of a cursor execute's head or of a fetch's rows, with the server's `status`:
    /// when the cursor has rows left, queues COM_STMT_FETCH for the next ones and expects its
    /// rows (true); otherwise the cursor is done (false).
    pub(super) fn cursor_fetch(&mut self, status: StatusFlags) -> bool {
        match self.cursor {
            Some((id, rows))
                if status.contains(StatusFlags::CURSOR_EXISTS)
                    && !status.contains(StatusFlags::LAST_ROW_SENT) =>
            {
                let mut b = BytesMut::with_capacity(9);
                encode_stmt_fetch(&mut b, id, rows);
                self.codec.set_seq(0);
                self.queue_packet(&[&b]);
                self.resp.set(Expect::Rows);
                true
            }
            _ => {
                self.cursor = None;
                false
            }
        }
    }

    /// Queues COM_STMT_RESET of `stmt` (long data sent so far is dropped, a cursor closed);
    /// answered by one OK or ERR ([`Engine::simple_step`]).
    pub fn start_reset_statement(&mut self, stmt: &Statement) -> Result<(), Error> {
        self.check_owner(stmt)?;
        let mut b = BytesMut::with_capacity(5);
        b.extend_from_slice(&[COM_STMT_RESET]);
        b.extend_from_slice(&stmt.id.to_le_bytes());
        self.start(&[&b], Expect::Simple)
    }

    /// Queues COM_STMT_CLOSE of `stmt`. The server does not answer it.
    pub fn start_close_statement(&mut self, stmt: &Statement) -> Result<(), Error> {
        self.check_owner(stmt)?;
        self.forget_columns(stmt.id);
        let mut b = BytesMut::with_capacity(5);
        encode_stmt_close(&mut b, stmt.id);
        self.start(&[&b], Expect::Idle)
    }

    /// Closes statement `id` (COM_STMT_CLOSE, no answer) ahead of the next command: it goes
    /// out when a command is next queued, never in the middle of a response.
    pub(super) fn queue_close_statement(&mut self, id: u32) {
        self.closes.push(id);
    }

    /// Writes the COM_STMT_CLOSEs owed (the engine is between responses: a command is being
    /// started).
    pub(super) fn flush_closes(&mut self) {
        if self.closes.is_empty() {
            return;
        }
        let mut b = BytesMut::with_capacity(5);
        for id in std::mem::take(&mut self.closes) {
            self.forget_columns(id);
            b.clear();
            encode_stmt_close(&mut b, id);
            self.codec.set_seq(0);
            self.queue_packet(&[&b]);
        }
    }

    pub(super) fn check_owner(&self, stmt: &Statement) -> Result<(), Error> {
        if stmt.engine == self.token {
            Ok(())
        } else {
            Err(Error::Usage(
                "the statement was prepared on another connection".into(),
            ))
        }
    }
}

/// Calls `each` with the payload of every packet of COM_STMT_EXECUTE of statement `id`: a
/// COM_STMT_SEND_LONG_DATA per piece of each value of at least [`LONG_DATA_THRESHOLD`] bytes
/// (each a command of its own, sequence id 0, no answer; the execute then leaves the value
/// out), then the execute, with query attributes after the parameters when there are any
/// (CLIENT_QUERY_ATTRIBUTES). Nothing is passed to `each` when the execute cannot be encoded.
fn execute_payloads(
    exec: &mut BytesMut,
    caps: CapabilityFlags,
    id: u32,
    params: &[&dyn ToParam],
    attributes: &[(&str, &dyn ToParam)],
    flags: u8,
    mut each: impl FnMut(&[u8]),
) -> Result<(), Error> {
    let num_params = u16::try_from(params.len())
        .map_err(|_| Error::Usage("more than 65535 parameters".into()))?;
    // `exec` is a buffer kept for this (its room stays allocated between executes).
    exec.clear();
    // With attributes the values are the parameters then the attributes, and every value has
    // a name (empty for a parameter).
    let (values, names): (Vec<&dyn ToParam>, Vec<&[u8]>) = if attributes.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        params
            .iter()
            .map(|p| (*p, &b""[..]))
            .chain(attributes.iter().map(|(n, v)| (*v, n.as_bytes())))
            .unzip()
    };
    let e = StmtExecute {
        long_data_threshold: Some(LONG_DATA_THRESHOLD),
        flags,
        names: &names,
        ..StmtExecute::new(
            id,
            num_params,
            if attributes.is_empty() {
                params
            } else {
                &values
            },
        )
    };
    encode_stmt_execute(exec, &e, caps)
        .map_err(|e| Error::Usage(format!("the parameters cannot be sent: {e}")))?;
    let mut piece = BytesMut::new();
    for (param, data) in long_data_params(params, LONG_DATA_THRESHOLD) {
        for chunk in data.chunks(LONG_DATA_PIECE) {
            piece.clear();
            encode_stmt_send_long_data(&mut piece, id, param, chunk);
            each(&piece);
        }
    }
    each(exec);
    Ok(())
}
