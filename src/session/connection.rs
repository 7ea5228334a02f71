//! [`Session`]: the async driver of the protocol [`Engine`] (tokio).
//!
//! All protocol state (which packet is expected next, the current columns and row, unsent
//! bytes) lives in the engine, never in a future's locals. Reads go into the engine's buffer, so
//! a dropped future loses nothing: the next call flushes what was not written, drains what was
//! not read, and only then sends its own command. A write cut short or an I/O / protocol error
//! marks the session broken, and every later call says so.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::codec::command::Command;
use crate::codec::frame::Frame;
use crate::codec::handshake::Handshake;
use crate::codec::response::OkPacket;
use crate::codec::{CapabilityFlags, StatusFlags};
use crate::error::Error;
use crate::proto::{ConnectEvent, Engine, InfileWant, Step};
use crate::trace::Tracer;

use super::infile;
use super::options::Options;
use super::result::{Pipeline, QueryResult};
use super::setup::{change_user_config, with_login};
use super::stream::Stream;

mod cancel;
mod connect;
mod helpers;
mod stmt;
pub(super) mod transaction;

/// A connection to a MySQL or MariaDB server.
pub struct Session {
    stream: Stream,
    engine: Engine,
    opts: Options,
    tls: bool,
    /// A flush was started and has not completed (see [`Session::flush`]).
    flush_owed: bool,
    /// A [`Transaction`](super::Transaction) was dropped without commit or rollback: the next
    /// command is preceded by a ROLLBACK.
    rollback_owed: bool,
    /// With `kill-on-cancel`: how to stop this connection's query from a side connection.
    killer: Option<std::sync::Arc<cancel::Killer>>,
    /// The LOCAL INFILE file being sent, between chunks.
    infile_src: Option<Box<infile::Source>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.opts.endpoint())
            .field("server_version", &self.engine.handshake().server_version)
            .field("connection_id", &self.engine.handshake().connection_id)
            .field("engine", &self.engine)
            .finish()
    }
}

/// Writes all of `wbuf` and flushes. Cancel-safe: what was written is removed from `wbuf`, what
/// was not stays for the next call.
async fn write_out(stream: &mut Stream, wbuf: &mut bytes::BytesMut) -> Result<(), Error> {
    while !wbuf.is_empty() {
        let n = stream.write(wbuf).await?;
        if n == 0 {
            return Err(Error::Io(std::io::ErrorKind::WriteZero.into()));
        }
        if n >= wbuf.len() {
            // The usual case: everything went out; clearing is cheaper than advancing.
            wbuf.clear();
        } else {
            bytes::Buf::advance(wbuf, n);
        }
    }
    stream.flush().await?;
    Ok(())
}

impl Session {
    // ---- the driver loop ----------------------------------------------------------------

    /// Steps the engine until `step` has its answer: writes what the engine queued, reads what
    /// it needs. Cancel-safe: nothing lives in this future that the engine does not hold.
    pub(crate) async fn drive<T>(
        &mut self,
        mut step: impl FnMut(&mut Engine) -> Step<T>,
    ) -> Result<T, Error> {
        loop {
            let r = step(&mut self.engine)?;
            if self.engine.wants_write() {
                self.flush().await?;
            }
            match r {
                Some(v) => return Ok(v),
                // The server waits for a LOCAL INFILE file: nothing arrives until it is sent.
                None if self.engine.infile_wanted().is_some() => self.serve_infile().await?,
                None => self.fill().await?,
            }
        }
    }

    /// One step of a LOCAL INFILE transfer the engine granted: open the file (under the
    /// session's policy), or queue its next chunk, or its end. The file is opened and read on
    /// tokio's blocking threads. Cancel-safe: the open file lives in the session between
    /// chunks; a future dropped while a chunk is read loses the file, and the transfer then
    /// ends as [`InfileRefusalReason::Abandoned`](crate::InfileRefusalReason::Abandoned).
    async fn serve_infile(&mut self) -> Result<(), Error> {
        match self.engine.infile_wanted() {
            Some(InfileWant::Open(name)) => {
                let name = name.to_owned();
                let policy = self.opts.local_infile.clone();
                let opened =
                    tokio::task::spawn_blocking(move || infile::open(policy.as_ref(), &name)).await;
                match opened {
                    Ok(Ok(src)) => {
                        self.infile_src = Some(Box::new(src));
                        self.engine.infile_data(&[]);
                    }
                    Ok(Err(reason)) => self.engine.infile_refuse(reason),
                    Err(e) => self
                        .engine
                        .infile_refuse(crate::InfileRefusalReason::Unreadable(e.to_string())),
                }
                Ok(())
            }
            Some(InfileWant::Send) => {
                let Some(mut src) = self.infile_src.take() else {
                    return self.infile_stop(None).await;
                };
                let read = tokio::task::spawn_blocking(move || {
                    let r = src.read_chunk();
                    (src, r)
                })
                .await;
                match read {
                    Ok((_, Ok(0))) => {
                        self.engine.infile_end();
                        Ok(())
                    }
                    Ok((src, Ok(n))) => {
                        self.engine.infile_data(src.chunk(n));
                        self.infile_src = Some(src);
                        Ok(())
                    }
                    Ok((_, Err(e))) => self.infile_stop(Some(e.to_string())).await,
                    Err(e) => self.infile_stop(Some(e.to_string())).await,
                }
            }
            None => Ok(()),
        }
    }

    /// The LOCAL INFILE file failed (or was lost): refused if nothing was sent, else the
    /// connection is closed so that the server aborts the statement.
    async fn infile_stop(&mut self, error: Option<String>) -> Result<(), Error> {
        self.infile_src = None;
        let r = self.engine.infile_stop(error);
        if r.is_err() {
            let _ = self.stream.shutdown().await;
        }
        r
    }

    /// Sends the command just queued and reads its response with `step`. With nothing received
    /// yet, it reads before the first step (which could only find nothing to read).
    async fn respond<T>(&mut self, step: impl FnMut(&mut Engine) -> Step<T>) -> Result<T, Error> {
        self.flush().await?;
        if !self.engine.has_unread_bytes() {
            self.fill().await?;
        }
        self.drive(step).await
    }

    /// One read into the engine's buffer.
    async fn fill(&mut self) -> Result<(), Error> {
        // With kill-on-cancel: a KILL QUERY if this read is abandoned or times out.
        let guard = cancel::KillOnDrop::new(&self.killer);
        let buf = self.engine.read_buf();
        let r = match self.opts.read_timeout {
            // No timer when no timeout is set (the common case costs no extra future).
            None => self.stream.read_buf(buf).await.map_err(Error::Io),
            Some(d) => tokio::time::timeout(d, self.stream.read_buf(buf))
                .await
                .map_err(|_| Error::Timeout("read"))
                .and_then(|r| r.map_err(Error::Io)),
        };
        if !matches!(r, Err(Error::Timeout(_))) {
            guard.disarm();
        }
        match r {
            Ok(0) => Err(self.engine.eof_error()),
            Ok(_) => Ok(()),
            Err(e) => {
                self.engine.mark_broken(&e);
                Err(e)
            }
        }
    }

    /// Writes out whatever is queued. Cancel-safe: unwritten bytes stay in the buffer.
    async fn flush(&mut self) -> Result<(), Error> {
        // Set until the flush completes: a layer under us (TLS) may have taken our bytes into
        // its own buffer, so an empty transmit buffer does not mean they reached the socket. A
        // flush cut short by a dropped future is finished by the next call.
        self.flush_owed = true;
        let wbuf = self.engine.transmit();
        let r = match self.opts.write_timeout {
            None => write_out(&mut self.stream, wbuf).await,
            Some(d) => tokio::time::timeout(d, write_out(&mut self.stream, wbuf))
                .await
                .unwrap_or(Err(Error::Timeout("write"))),
        };
        match &r {
            Ok(()) => {
                self.flush_owed = false;
                self.engine.written();
            }
            Err(e) => self.engine.mark_broken(e),
        }
        r
    }

    /// Fails with [`Error::Broken`] if an earlier error broke the session.
    pub fn check(&self) -> Result<(), Error> {
        self.engine.check()
    }

    /// Makes the session ready for a new command: refuses if broken, finishes any write that
    /// was cut short, and drains any response still unread (rows, later result sets).
    async fn ready(&mut self) -> Result<(), Error> {
        self.check()?;
        if let Some(k) = &self.killer {
            // A KILL for an abandoned command finishes before anything new is sent.
            k.settle().await;
        }
        if self.engine.is_idle()
            && !self.flush_owed
            && !self.engine.wants_write()
            && !self.rollback_owed
        {
            return Ok(());
        }
        if self.flush_owed || self.engine.wants_write() {
            self.flush().await?;
        }
        self.drive(|e| e.drain_step(None)).await?;
        if self.rollback_owed {
            // A transaction guard was dropped: its ROLLBACK goes before this command.
            self.rollback_owed = false;
            self.engine.start_query("ROLLBACK")?;
            self.respond(|e| e.head_step()).await?;
        }
        Ok(())
    }

    /// True when nothing of a response is left unread and nothing waits to be sent (a
    /// dropped transaction's ROLLBACK included): the next command goes out at once.
    pub fn is_idle(&self) -> bool {
        self.engine.is_idle()
            && !self.flush_owed
            && !self.engine.wants_write()
            && !self.rollback_owed
    }

    // ---- public commands ----------------------------------------------------------------

    /// Sends COM_QUERY and reads the response head: an OK, or a result set's column
    /// definitions. Rows are then streamed with [`QueryResult::next_row`]. A result still unread
    /// from an earlier command is drained first.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        self.engine.start_query(sql)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// Runs `sql`, discards every row of every result set, and returns the last OK. The first
    /// server error is returned (the rest of the response is drained by the next call).
    pub async fn query_drop(&mut self, sql: &str) -> Result<OkPacket, Error> {
        let mut r = self.query(sql).await?;
        loop {
            while r.next_row().await?.is_some() {}
            if !r.next_result().await? {
                break;
            }
        }
        Ok(self.engine.last_ok().clone())
    }

    async fn simple(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.ready().await?;
        self.engine.start_simple(cmd)?;
        self.respond(|e| e.simple_step()).await
    }

    /// COM_PING.
    pub async fn ping(&mut self) -> Result<(), Error> {
        self.simple(Command::Ping).await
    }

    /// COM_INIT_DB: makes `database` the default schema.
    pub async fn init_db(&mut self, database: &str) -> Result<(), Error> {
        self.simple(Command::InitDb(database.as_bytes())).await
    }

    /// COM_RESET_CONNECTION: resets session state (variables, temporary tables, transactions)
    /// without re-authenticating.
    pub async fn reset(&mut self) -> Result<(), Error> {
        self.simple(Command::ResetConnection).await
    }

    /// COM_CHANGE_USER: logs in again on this connection as `user` with `password`, with
    /// `database` as the default schema (none if `None`), by whatever plugin the account
    /// uses (the server may switch plugins as during a connect; TLS, compression and the
    /// security rules of the connect apply). The server's session starts afresh: an open
    /// transaction is rolled back, temporary tables, user variables and every prepared
    /// statement are gone. On success the session's options name the new login (a
    /// kill-on-cancel side connection uses it too). Any failure, a refused login included,
    /// leaves the session broken.
    pub async fn change_user(
        &mut self,
        user: &str,
        password: &str,
        database: Option<&str>,
    ) -> Result<(), Error> {
        let opts = with_login(&self.opts, user, password, database);
        self.change_user_to(opts).await
    }

    /// COM_CHANGE_USER as the session's own user and database: a reset of the server's session
    /// for servers without COM_RESET_CONNECTION (MySQL before 5.7.3, MariaDB before 10.2.4),
    /// at the cost of a new authentication.
    pub async fn reset_by_change_user(&mut self) -> Result<(), Error> {
        let opts = self.opts.clone();
        self.change_user_to(opts).await
    }

    async fn change_user_to(&mut self, opts: Options) -> Result<(), Error> {
        self.ready().await?;
        let cfg = change_user_config(&opts, self.stream.is_unix())?;
        self.engine.start_change_user(cfg)?;
        self.flush().await?;
        match self.drive(|e| e.connect_step()).await? {
            ConnectEvent::Connected => {}
            ConnectEvent::StartTls => {
                return Err(Error::Usage(
                    "the engine asked for TLS in a COM_CHANGE_USER exchange".into(),
                ))
            }
        }
        if self.killer.is_some() {
            self.killer = Some(cancel::Killer::new(&opts, self.connection_id()));
        }
        self.opts = opts;
        Ok(())
    }

    /// COM_STATISTICS: the server's one-line status string.
    pub async fn statistics(&mut self) -> Result<String, Error> {
        self.ready().await?;
        self.engine.start_text(Command::Statistics)?;
        self.respond(|e| e.text_step()).await
    }

    /// Sends COM_QUIT and closes the connection.
    pub async fn close(mut self) -> Result<(), Error> {
        self.check()?;
        if self.flush_owed || self.engine.wants_write() {
            self.flush().await?;
        }
        self.engine.start_quit();
        self.flush().await?;
        // TLS ends with close_notify; a plain socket needs no shutdown(2) before the close that
        // dropping it does (the FIN goes out either way).
        if self.stream.is_tls() {
            let _ = self.stream.shutdown().await;
        }
        Ok(())
    }

    // ---- pipelining ---------------------------------------------------------------------

    /// Sends every query in `queries` without waiting for the responses in between, and
    /// returns a [`Pipeline`] that yields each response in order.
    ///
    /// The server executes commands one after another and answers in order, so response *i*
    /// belongs to query *i*. A query that fails yields its own `Err(Error::Server)` and the
    /// others still yield their own responses. At most [`crate::proto::PIPELINE_WINDOW`]
    /// commands (and about [`crate::proto::PIPELINE_WINDOW_BYTES`] of them) are in flight at
    /// once, so neither side can block on a full socket buffer. Dropping the pipeline
    /// half-read: commands already written ran and their responses are drained by the next
    /// call; commands not yet written are not sent.
    pub async fn pipeline<I, S>(&mut self, queries: I) -> Result<Pipeline<'_>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.ready().await?;
        let cursor = self.engine.queue_pipeline(queries)?;
        self.top_up().await?;
        Ok(Pipeline::new(self, cursor))
    }

    /// Drops pipelined commands not yet written (a pipeline dropped half-read).
    pub(crate) fn discard_unsent(&mut self) {
        self.engine.discard_unsent();
    }

    /// Writes queued pipelined commands while the in-flight window has room.
    pub(crate) async fn top_up(&mut self) -> Result<(), Error> {
        if self.engine.top_up() {
            self.flush().await?;
        }
        Ok(())
    }

    // ---- raw level ----------------------------------------------------------------------

    /// Sends `payload` (command byte first) as a new command with sequence id 0, after
    /// draining any response still unread (as every command does). The caller reads the
    /// response with [`Session::read_packet`]; the session does not interpret it.
    pub async fn send_command(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::Usage(
                "a command needs at least its command byte".into(),
            ));
        }
        self.ready().await?;
        self.engine.start_raw(payload)?;
        self.flush().await
    }

    /// Sends one more packet of the open raw exchange (the sequence id continues). Refused
    /// unless a raw exchange ([`Session::send_command`]) is open: a packet must never be
    /// injected into a response the session is reading.
    pub async fn send_packet_raw(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.engine.raw_packet(payload)?;
        self.flush().await
    }

    /// Reads the next packet of the open raw exchange: sequence id and payload. Refused unless
    /// a raw exchange ([`Session::send_command`]) is open: packets of a result read through the
    /// session (or abandoned half-read) are never handed out here.
    ///
    /// The engine follows the exchange with its response state machine: once the
    /// response of a command it knows (COM_QUERY, COM_PING, …) is complete, the exchange ends by
    /// itself, and a new command may start; one left half-read is drained by the next command.
    /// For other commands call [`Session::end_raw`] when done.
    pub async fn read_packet(&mut self) -> Result<Frame, Error> {
        self.check()?;
        // A send_command cut short: its bytes must reach the server before its answer can.
        if self.flush_owed && self.engine.in_raw() {
            self.flush().await?;
        }
        self.drive(|e| e.raw_frame_step()).await
    }

    /// Declares the current raw exchange finished (for commands whose response the session
    /// cannot follow). The caller vouches that every response packet has been read.
    pub fn end_raw(&mut self) {
        self.engine.end_raw();
    }

    // ---- accessors ----------------------------------------------------------------------

    /// The protocol engine under the session (negotiated state, current result).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The server's greeting.
    pub fn handshake(&self) -> &Handshake {
        self.engine.handshake()
    }

    /// The server version (MariaDB's `5.5.5-` prefix removed).
    pub fn server_version(&self) -> &str {
        self.engine.handshake().display_version()
    }

    /// The connection id the server assigned.
    pub fn connection_id(&self) -> u32 {
        self.engine.handshake().connection_id
    }

    /// The negotiated capabilities.
    pub fn capabilities(&self) -> CapabilityFlags {
        self.engine.capabilities()
    }

    /// The negotiated compression algorithm (`None`: uncompressed; see
    /// [`crate::Options::compress`]).
    pub fn compression(&self) -> Option<crate::codec::compress::Algorithm> {
        self.engine.compression()
    }

    /// Bytes on the wire and plain bytes carried, both ways, since compression started
    /// (`None`: uncompressed).
    pub fn compression_stats(&self) -> Option<crate::proto::CompressionStats> {
        self.engine.compression_stats()
    }

    /// The server status from the latest OK / EOF.
    pub fn status(&self) -> StatusFlags {
        self.engine.status()
    }

    /// The latest OK packet (affected rows, last insert id, info, session-state changes).
    pub fn last_ok(&self) -> &OkPacket {
        self.engine.last_ok()
    }

    /// The options this session was opened with.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// True if an earlier error broke the session.
    pub fn is_broken(&self) -> bool {
        self.engine.is_broken()
    }

    /// True if the link is encrypted with TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Installs or removes the packet tracer.
    pub fn set_tracer(&mut self, tracer: Option<Box<dyn Tracer>>) {
        self.engine.set_tracer(tracer);
    }
}
