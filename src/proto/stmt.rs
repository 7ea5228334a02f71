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
};
use crate::codec::value::ToParam;
use crate::codec::{ErrorKind, Packet, ParseError, StatusFlags};
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

    /// Adds `st` for `sql`; returns the ids of the statements that no longer fit (to close).
    fn insert(&mut self, sql: &str, st: Statement) -> Vec<u32> {
        let mut evicted = Vec::new();
        // Keep at most `cap` once this one is in; with `cap` 0 the newest is kept (it is the
        // one about to run) and goes at the next insertion.
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
        self.tick = self.tick.wrapping_add(1);
        self.entries.push((sql.to_owned(), st, self.tick));
        self.fresh = true;
        evicted
    }
}

/// ER_UNSUPPORTED_PS: the statement cannot be prepared.
pub const ER_UNSUPPORTED_PS: u16 = 1295;

/// A prepare's ERR as the public error; ER_UNSUPPORTED_PS says what to do instead.
fn prepare_error(e: ErrPacket) -> Error {
    let unsupported = e.code == ER_UNSUPPORTED_PS;
    let mut err = server_error(e);
    if let (true, Error::Server(s)) = (unsupported, &mut err) {
        s.message.push_str(
            " (the server cannot prepare this statement; run it with `query`, the text protocol)",
        );
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

    /// Empties the statement cache without closing anything (the server has dropped them:
    /// COM_RESET_CONNECTION).
    pub(super) fn forget_statements(&mut self) {
        self.stmt_cache.entries.clear();
    }

    /// Number of statements in the cache.
    pub fn cached_statements(&self) -> usize {
        self.stmt_cache.entries.len()
    }

    /// Queues COM_STMT_PREPARE; its response is then read with [`Engine::prepare_step`].
    pub fn start_prepare(&mut self, sql: &str) -> Result<(), Error> {
        self.start(&[&[COM_STMT_PREPARE], sql.as_bytes()], Expect::PrepareOk)?;
        self.prepared = None;
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
        self.check()?;
        if !self.is_idle() {
            return Err(Error::Usage(
                "a command was started while the previous response is still unread (drain it \
                 first)"
                    .into(),
            ));
        }
        // Room for the fixed part and a small value per parameter: no regrowth in the usual
        // case (a larger value grows it once).
        let mut out = BytesMut::with_capacity(params.len().saturating_mul(16).saturating_add(40));
        let seq = self.encode_execute(&mut out, stmt, params, flags)?;
        let len = out.len();
        self.push_unsent(out, &[(len, seq)], Expect::Head, true);
        self.top_up();
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
        self.check_owner(stmt)?;
        if params.len() != stmt.params.len() {
            return Err(Error::Usage(format!(
                "the statement takes {} parameter(s), {} given",
                stmt.params.len(),
                params.len()
            )));
        }
        let num_params = u16::try_from(params.len())
            .map_err(|_| Error::Usage("more than 65535 parameters".into()))?;
        let mut exec = BytesMut::with_capacity(params.len().saturating_mul(16).saturating_add(32));
        let e = StmtExecute {
            long_data_threshold: Some(LONG_DATA_THRESHOLD),
            flags,
            ..StmtExecute::new(stmt.id, num_params, params)
        };
        encode_stmt_execute(&mut exec, &e, self.caps)
            .map_err(|e| Error::Usage(format!("the parameters cannot be sent: {e}")))?;
        let mut codec = PacketCodec::new(self.codec.max_payload());
        // Each piece of a long value is a command of its own (sequence id 0), answered by
        // nothing; the execute then leaves those values out.
        let mut piece = BytesMut::new();
        for (param, data) in long_data_params(params, LONG_DATA_THRESHOLD) {
            for chunk in data.chunks(LONG_DATA_PIECE) {
                piece.clear();
                encode_stmt_send_long_data(&mut piece, stmt.id, param, chunk);
                codec.set_seq(0);
                codec.encode_parts(&[&piece], out);
            }
        }
        codec.set_seq(0);
        codec.encode_parts(&[&exec], out);
        Ok(codec.next_seq())
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
        let mut b = BytesMut::with_capacity(5);
        encode_stmt_close(&mut b, stmt.id);
        self.start(&[&b], Expect::Idle)
    }

    /// Queues COM_STMT_CLOSE of statement `id` while draining (the engine is between
    /// responses: the close goes out before the next command).
    pub(super) fn queue_close_statement(&mut self, id: u32) {
        let mut b = BytesMut::with_capacity(5);
        encode_stmt_close(&mut b, id);
        self.codec.set_seq(0);
        self.queue_packet(&[&b]);
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
