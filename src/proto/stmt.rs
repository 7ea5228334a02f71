//! Prepared statements in the engine: COM_STMT_PREPARE and the definitions after its
//! PREPARE_OK, COM_STMT_EXECUTE (long values sent ahead with COM_STMT_SEND_LONG_DATA), whose
//! response is read like a query's with binary rows, COM_STMT_RESET and COM_STMT_CLOSE.
//! Packet layouts: `codec::stmt`, protocol-notes/prepared-statements.md.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;

use crate::codec::command::{COM_STMT_PREPARE, COM_STMT_RESET};
use crate::codec::frame::{chunk_header, PacketCodec, HEADER, MAX_CHUNK};
use crate::codec::response::ErrPacket;
use crate::codec::resultset::ColumnDefinition;
use crate::codec::stmt::{
    encode_stmt_close, encode_stmt_execute, encode_stmt_send_long_data, long_data_params,
    StmtExecute, CURSOR_TYPE_NO_CURSOR, DIRECT_STATEMENT_ID,
};
use crate::codec::value::ToParam;
use crate::codec::{CapabilityFlags, ErrorKind, Packet, ParseError};
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

/// ER_UNSUPPORTED_PS: the statement cannot be prepared.
pub const ER_UNSUPPORTED_PS: u16 = 1295;

/// The hint a prepare's ER_UNSUPPORTED_PS carries ([`crate::ServerError::hint`]).
pub const UNSUPPORTED_PS_HINT: &str =
    "the server cannot prepare this statement; run it with `query`, the text protocol";

/// A prepare's ERR as the public error; ER_UNSUPPORTED_PS says what to do instead.
fn prepare_error(e: ErrPacket) -> Error {
    let unsupported = e.code == ER_UNSUPPORTED_PS;
    let mut err = server_error(e);
    if let (true, Error::Server(s)) = (unsupported, &mut err) {
        s.hint = Some(UNSUPPORTED_PS_HINT);
    }
    err
}

impl Engine {
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
    pub(super) fn start_execute_full(
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
        if attributes.is_empty() && self.zip.is_none() && !self.has_tracer() {
            // The common execute (no attributes, no long data, no compression or tracer) is
            // encoded once, straight into the transmit buffer behind its header.
            if let Some(r) = self.queue_execute_in_place(stmt.id, params, flags) {
                r?;
                self.resp.set(Expect::Head);
                self.set_exec(Some(stmt.id));
                self.cursor = None;
                return Ok(());
            }
        }
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

    /// Queues COM_STMT_EXECUTE of statement `id` as one packet encoded in place in the
    /// transmit buffer (its header filled in after the payload): `None`, with nothing queued,
    /// when the execute needs COM_STMT_SEND_LONG_DATA first or more than one chunk (the caller
    /// then takes the general way); an error also queues nothing.
    fn queue_execute_in_place(
        &mut self,
        id: u32,
        params: &[&dyn ToParam],
        flags: u8,
    ) -> Option<Result<(), Error>> {
        if long_data_params(params, LONG_DATA_THRESHOLD)
            .next()
            .is_some()
        {
            return None;
        }
        let Ok(num_params) = u16::try_from(params.len()) else {
            return Some(Err(Error::Usage("more than 65535 parameters".into())));
        };
        let e = StmtExecute {
            long_data_threshold: Some(LONG_DATA_THRESHOLD),
            flags,
            ..StmtExecute::new(id, num_params, params)
        };
        let at = self.wbuf.len();
        self.wbuf.extend_from_slice(&[0; HEADER]);
        if let Err(e) = encode_stmt_execute(&mut self.wbuf, &e, self.caps) {
            self.wbuf.truncate(at);
            return Some(Err(Error::Usage(format!(
                "the parameters cannot be sent: {e}"
            ))));
        }
        let len = self.wbuf.len().saturating_sub(at).saturating_sub(HEADER);
        let header = at
            .checked_add(HEADER)
            .and_then(|end| self.wbuf.get_mut(at..end));
        match header {
            Some(h) if len < MAX_CHUNK => {
                h.copy_from_slice(&chunk_header(len, 0));
                self.codec.set_seq(1);
                Some(Ok(()))
            }
            _ => {
                self.wbuf.truncate(at);
                None
            }
        }
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

    /// Refuses a statement of another connection, a wrong number of parameters, or a value
    /// that cannot be sent ([`ToParam::check`]).
    #[inline]
    fn check_params(&self, stmt: &Statement, params: &[&dyn ToParam]) -> Result<(), Error> {
        self.check_owner(stmt)?;
        crate::codec::value::param::check_params(params)?;
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
    #[inline]
    pub(super) fn flush_closes(&mut self) {
        if !self.closes.is_empty() {
            self.flush_closes_now();
        }
    }

    #[inline(never)]
    fn flush_closes_now(&mut self) {
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
