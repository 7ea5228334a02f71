//! [`Session`]: one connection, driven through the codec.
//!
//! All protocol state (which packet is expected next, the current columns and row, unsent bytes)
//! lives in the session, never in a future's locals. Reads go into the session's buffer, so a
//! dropped future loses nothing: the next call flushes what was not written, drains what was not
//! read, and only then sends its own command. A write cut short or an I/O / protocol error marks
//! the session broken, and every later call says so.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::codec::auth::{AuthAction, AuthConfig, AuthError, AuthState, MAX_AUTH_ROUNDS};
use crate::codec::command::Command;
use crate::codec::frame::{Frame, PacketCodec, MAX_CHUNK};
use crate::codec::handshake::{
    encode_handshake_response, encode_ssl_request, parse_auth_more_data, parse_auth_switch,
    parse_handshake, Handshake, HandshakeResponse,
};
use crate::codec::response::{
    is_result_end, parse_eof, parse_err, parse_ok, parse_query_response, ErrPacket, OkPacket,
    QueryResponse,
};
use crate::codec::resultset::{parse_column_definition, ColumnDefinition, RowCells};
use crate::codec::{
    CapabilityFlags, ErrorKind, MariaDbCapabilities, Packet, ParseError, StatusFlags,
};
use crate::error::{Error, ServerError};
use crate::trace::decode::Conversation;
use crate::trace::{Direction, PacketEvent, Phase, Tracer};

use super::options::{Options, SslMode};
use super::result::QueryResult;
use super::stream::Stream;
use super::tls;

/// Most pipelined commands in flight (written, response not yet complete).
pub const PIPELINE_WINDOW: usize = 256;

/// Most bytes of pipelined commands in flight (at least one command is always allowed).
pub const PIPELINE_WINDOW_BYTES: usize = 256 * 1024;

/// Responses to a batch of pipelined queries, in order. See [`Session::pipeline`].
#[derive(Debug)]
pub struct Pipeline<'s> {
    s: &'s mut Session,
    base: u64,
    total: usize,
    taken: usize,
}

impl Pipeline<'_> {
    /// Number of queries in the pipeline.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True for an empty pipeline.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Responses not yet taken.
    pub fn remaining(&self) -> usize {
        self.total - self.taken
    }

    /// The response to the next query: `None` after the last. The previous response's unread
    /// rows are skipped first.
    pub async fn next(&mut self) -> Option<Result<QueryResult<'_>, Error>> {
        if self.taken >= self.total {
            return None;
        }
        while (self.s.completed.wrapping_sub(self.base) as usize) < self.taken {
            if let Err(e) = self.s.drain_current().await {
                self.taken = self.total;
                return Some(Err(e));
            }
        }
        self.taken += 1;
        if let Err(e) = self.s.check() {
            return Some(Err(e));
        }
        if let Err(e) = self.s.top_up().await {
            return Some(Err(e));
        }
        // The response's identity is taken before its head is read: an OK-only response
        // completes while its head is read, and must not take its successor's identity.
        let id = self.s.completed;
        match self.s.read_result_head().await {
            Ok(()) => Some(Ok(QueryResult::new(self.s, id))),
            Err(e) => Some(Err(e)),
        }
    }
}

impl Drop for Pipeline<'_> {
    fn drop(&mut self) {
        // Commands not yet written are not sent; written ones are drained by the next call.
        self.s.unsent.clear();
    }
}

/// What the session expects to read next.
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
    /// One OK or ERR (COM_PING, COM_INIT_DB, COM_RESET_CONNECTION).
    Simple,
    /// One string packet (COM_STATISTICS).
    Text,
    /// A raw command: the caller reads the response packets itself.
    Raw,
}

/// A connection to a MySQL or MariaDB server.
pub struct Session {
    stream: Stream,
    codec: PacketCodec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    opts: Options,
    handshake: Handshake,
    caps: CapabilityFlags,
    mariadb_caps: MariaDbCapabilities,
    status: StatusFlags,
    last_ok: OkPacket,
    broken: Option<String>,
    pub(crate) state: State,
    pub(crate) columns: Vec<ColumnDefinition>,
    /// The packet(s) the current row comes from: a run of complete row packets split off the
    /// read buffer at once (so reading a row costs no `Bytes` of its own), or the last packet
    /// read the ordinary way.
    pub(crate) batch: Bytes,
    /// Where the next row packet (header included) starts in `batch`.
    batch_pos: usize,
    /// The current row's payload within `batch`.
    pub(crate) row_range: (usize, usize),
    pub(crate) cells: RowCells,
    phase: Phase,
    tracer: Option<Box<dyn Tracer>>,
    tls: bool,
    /// Commands written whose responses have not started: (state to read it in, first
    /// response seq, command bytes).
    pending: VecDeque<(State, u8, usize)>,
    /// Bytes of pipelined commands written whose responses are not complete.
    inflight_bytes: usize,
    /// Bytes of the command whose response is being read (pipelined commands only).
    current_bytes: usize,
    /// Pipelined commands encoded but not yet written (bounded in-flight window).
    unsent: VecDeque<(Bytes, State, u8)>,
    /// Responses completed since connect; identifies "the current response".
    pub(crate) completed: u64,
    /// Follows a raw exchange (send_command / read_packet) with the trace decoder's state
    /// machine, so the session knows where its response ends.
    raw: Option<Box<Conversation>>,
    /// A flush was started and has not completed (see [`Session::flush`]).
    flush_owed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.opts.endpoint())
            .field("server_version", &self.handshake.server_version)
            .field("connection_id", &self.handshake.connection_id)
            .field("state", &self.state)
            .field("broken", &self.broken)
            .finish()
    }
}

const READ_CHUNK: usize = 64 * 1024;

/// Largest write buffer kept between commands.
const WBUF_KEEP: usize = 1 << 20;

fn server_error(e: ErrPacket) -> Error {
    Error::Server(ServerError {
        code: e.code,
        sql_state: e
            .sql_state
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_else(|| "HY000".into()),
        message: e.message,
    })
}

/// The connection attributes every session sends (before the caller's own). All static, so a
/// connect copies none of them.
fn default_attributes() -> [(Cow<'static, str>, Cow<'static, str>); 5] {
    static PID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let pid = PID.get_or_init(|| std::process::id().to_string());
    [
        ("_client_name".into(), "mywire".into()),
        ("_client_version".into(), env!("CARGO_PKG_VERSION").into()),
        ("_os".into(), std::env::consts::OS.into()),
        ("_platform".into(), std::env::consts::ARCH.into()),
        ("_pid".into(), pid.as_str().into()),
    ]
}

/// A failed connect (or socket setup right after it), naming where to.
pub(crate) fn connect_error(opts: &Options, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("cannot connect to {}: {e}", opts.endpoint()),
    ))
}

async fn with_timeout<T>(
    limit: Option<Duration>,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match limit {
        Some(d) => tokio::time::timeout(d, fut)
            .await
            .map_err(|_| Error::Timeout(what))?,
        None => fut.await,
    }
}

/// Writes all of `wbuf` and flushes. Cancel-safe: what was written is removed from `wbuf`, what
/// was not stays for the next call.
async fn write_out(stream: &mut Stream, wbuf: &mut BytesMut) -> Result<(), Error> {
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
    /// Connects over TCP or the Unix socket named in `opts`, and authenticates.
    pub async fn connect(opts: Options) -> Result<Session, Error> {
        Self::connect_traced(opts, None).await
    }

    /// Like [`Session::connect`], with a tracer that sees every packet from the greeting on.
    pub async fn connect_traced(
        opts: Options,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Session, Error> {
        let limit = opts.connect_timeout;
        // Boxed: the handshake's state machine is several KiB, and a future is copied whole
        // each time it is moved (into the timeout, into the caller's own future).
        with_timeout(
            limit,
            "connect",
            Box::pin(async move {
                let stream = Self::open(&opts).await?;
                Self::handshake_on(stream, opts, tracer).await
            }),
        )
        .await
    }

    async fn open(opts: &Options) -> Result<Stream, Error> {
        let wrap = |e| connect_error(opts, e);
        if let Some(path) = &opts.socket {
            #[cfg(unix)]
            {
                let s = tokio::net::UnixStream::connect(path).await.map_err(wrap)?;
                return Ok(Stream::Unix(s));
            }
            #[cfg(not(unix))]
            {
                let _ = path;
                return Err(Error::Config("Unix sockets are not available here".into()));
            }
        }
        let s = tokio::net::TcpStream::connect((opts.host.as_str(), opts.port))
            .await
            .map_err(wrap)?;
        s.set_nodelay(true).map_err(wrap)?;
        Ok(Stream::Tcp(s))
    }

    /// Runs the handshake and authentication on an already connected stream (any duplex stream:
    /// tests and fuzzing use in-memory ones). Applies no timeout of its own.
    pub async fn handshake_on(
        stream: Stream,
        opts: Options,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Session, Error> {
        let mut s = Session {
            stream,
            codec: PacketCodec::new(opts.max_packet),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            wbuf: BytesMut::with_capacity(1024),
            opts,
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
            state: State::Idle,
            columns: Vec::new(),
            batch: Bytes::new(),
            batch_pos: 0,
            row_range: (0, 0),
            cells: RowCells::new(),
            phase: Phase::Handshake,
            tracer,
            tls: false,
            pending: VecDeque::new(),
            inflight_bytes: 0,
            current_bytes: 0,
            unsent: VecDeque::new(),
            completed: 0,
            raw: None,
            flush_owed: false,
        };
        match s.run_handshake().await {
            Ok(()) => Ok(s),
            Err(e) => {
                let _ = s.stream.shutdown().await;
                Err(e)
            }
        }
    }

    fn wanted_capabilities(&self) -> CapabilityFlags {
        let mut c = CapabilityFlags::LONG_PASSWORD
            | CapabilityFlags::LONG_FLAG
            | CapabilityFlags::PROTOCOL_41
            | CapabilityFlags::TRANSACTIONS
            | CapabilityFlags::SECURE_CONNECTION
            | CapabilityFlags::MULTI_RESULTS
            | CapabilityFlags::PS_MULTI_RESULTS
            | CapabilityFlags::PLUGIN_AUTH
            | CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CapabilityFlags::CONNECT_ATTRS;
        c.set(
            CapabilityFlags::CONNECT_WITH_DB,
            self.opts.database.is_some(),
        );
        c.set(
            CapabilityFlags::MULTI_STATEMENTS,
            self.opts.multi_statements,
        );
        c.set(CapabilityFlags::DEPRECATE_EOF, self.opts.deprecate_eof);
        c.set(CapabilityFlags::SESSION_TRACK, self.opts.session_track);
        // Never CLIENT_LOCAL_FILES: a server must not be invited to ask for files.
        c
    }

    async fn run_handshake(&mut self) -> Result<(), Error> {
        // Everything that depends only on the options is loaded before the first read, so a bad
        // file fails the same way whatever the server offers.
        let mode = tls::effective_mode(&self.opts);
        let unix = self.stream.is_unix();
        // Over a Unix socket PREFERRED means plaintext (as with the official clients); REQUIRED
        // and stricter still mean TLS.
        let wants_tls = match mode {
            SslMode::Disabled => false,
            SslMode::Preferred => !unix,
            _ => true,
        };
        // A configuration that reads files (CA, client certificate) is built now; one that
        // reads nothing is built only if the server offers TLS, which keeps connecting to a
        // server without TLS free of rustls setup.
        let tls_config = (wants_tls && tls::reads_files(&self.opts, mode))
            .then(|| tls::client_config(&self.opts, mode))
            .transpose()?;
        let server_public_key = match &self.opts.server_public_key_path {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                Error::Config(format!(
                    "server-public-key-path `{}` cannot be read: {e}",
                    path.display()
                ))
            })?),
            None => None,
        };

        let greeting = self.read_frame().await?;
        if greeting.payload.first() == Some(&0xFF) {
            return Err(server_error(parse_err(&greeting.payload)?));
        }
        let hs = parse_handshake(&greeting.payload)?;
        if !hs.capabilities.contains(CapabilityFlags::PROTOCOL_41) {
            return Err(Error::Protocol(ParseError::new(
                Packet::Handshake,
                "capability_flags",
                ErrorKind::InvalidValue,
            )));
        }
        self.caps = self.wanted_capabilities() & hs.capabilities;
        self.mariadb_caps = MariaDbCapabilities::empty();
        self.status = hs.status;
        self.handshake = hs;

        // The TLS policy is enforced here, before any byte leaves the client: a stripped
        // CLIENT_SSL must not cost the user name or a scramble (CVE-2015-3152, CVE-2017-3305).
        let offers_tls = self.handshake.capabilities.contains(CapabilityFlags::SSL);
        if mode.requires_tls() && !offers_tls {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!(
                    "ssl-mode={mode} but the server at {} does not offer TLS (no CLIENT_SSL in \
                     its greeting); nothing was sent",
                    self.opts.endpoint()
                ),
            )));
        }
        if offers_tls && wants_tls {
            let config = match tls_config {
                Some(c) => c,
                None => tls::client_config(&self.opts, mode)?,
            };
            // Boxed: the TLS handshake future is large, and keeping it inline would make every
            // connect future (TLS or not) that much larger to move around.
            Box::pin(self.start_tls(config, mode)).await?;
        }

        let cfg = AuthConfig {
            secure_transport: self.tls || self.stream.is_unix(),
            server_public_key,
            get_server_public_key: self.opts.get_server_public_key,
            enable_cleartext_plugin: self.opts.enable_cleartext_plugin,
            rng_seed: None,
        };
        // Cloned (a `Password`, zeroed on drop) so that `self` can be borrowed mutably below.
        let password = self.opts.password.clone();
        let plugin = self
            .handshake
            .auth_plugin
            .clone()
            .unwrap_or_else(|| "mysql_native_password".into());
        // A default plugin we do not implement: answer with mysql_native_password and let the
        // server switch us to what the account really uses.
        let (mut auth, first) = match AuthState::start(
            plugin.as_bytes(),
            &self.handshake.nonce,
            password.expose().as_bytes(),
            &cfg,
        ) {
            Ok(x) => x,
            Err(crate::codec::auth::AuthError::UnsupportedPlugin(_)) => AuthState::start(
                b"mysql_native_password",
                &self.handshake.nonce,
                password.expose().as_bytes(),
                &cfg,
            )?,
            Err(e) => return Err(e.into()),
        };
        let defaults = default_attributes();
        let mut attrs = Vec::with_capacity(defaults.len() + self.opts.attributes.len());
        attrs.extend(defaults);
        attrs.extend(
            self.opts
                .attributes
                .iter()
                .map(|(k, v)| (Cow::Owned(k.clone()), Cow::Owned(v.clone()))),
        );
        let resp = HandshakeResponse {
            capabilities: self.caps,
            max_packet_size: u32::try_from(self.opts.max_packet).unwrap_or(u32::MAX),
            charset: self.opts.collation,
            mariadb_capabilities: self.mariadb_caps,
            user: self.opts.user.as_bytes().to_vec(),
            auth_response: first,
            database: self.opts.database.as_ref().map(|d| d.as_bytes().to_vec()),
            auth_plugin: Some(auth.plugin_name().as_bytes().to_vec()),
            attributes: attrs,
        };
        let mut payload = BytesMut::new();
        encode_handshake_response(&resp, &mut payload);
        self.send_packet(&[&payload]).await?;
        self.phase = Phase::Auth;

        let mut rounds = 0usize;
        loop {
            let f = self.read_frame().await?;
            match f.payload.first() {
                Some(0x00) => {
                    let ok = parse_ok(&f.payload, self.caps)?;
                    self.on_ok(ok);
                    self.phase = Phase::Command;
                    return Ok(());
                }
                Some(0xFF) => return Err(server_error(parse_err(&f.payload)?)),
                Some(0xFE) => {
                    rounds += 1;
                    if rounds > MAX_AUTH_ROUNDS {
                        return Err(AuthError::TooManyRounds(MAX_AUTH_ROUNDS).into());
                    }
                    let sw = parse_auth_switch(&f.payload)?;
                    let (st, bytes) = AuthState::start(
                        sw.plugin.as_bytes(),
                        &sw.data,
                        password.expose().as_bytes(),
                        &cfg,
                    )?;
                    auth = st;
                    self.send_packet(&[&bytes]).await?;
                }
                Some(0x01) => {
                    rounds += 1;
                    if rounds > MAX_AUTH_ROUNDS {
                        return Err(AuthError::TooManyRounds(MAX_AUTH_ROUNDS).into());
                    }
                    let data = parse_auth_more_data(&f.payload)?;
                    if let AuthAction::Send(bytes) = auth.more_data(data, &cfg)? {
                        self.send_packet(&[&bytes]).await?;
                    }
                }
                _ => {
                    return Err(ParseError::new(
                        Packet::AuthSwitch,
                        "header",
                        ErrorKind::Unexpected,
                    )
                    .into())
                }
            }
        }
    }

    /// Sends the SSLRequest (sequence id 1) and runs the TLS handshake on the same socket; the
    /// HandshakeResponse41 then goes inside TLS with sequence id 2.
    async fn start_tls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        mode: SslMode,
    ) -> Result<(), Error> {
        // Bytes the server sent after its greeting would be read as if they came through TLS
        // (and nothing may come before the client's SSLRequest anyway).
        if !self.rbuf.is_empty() || self.codec.is_mid_packet() {
            return Err(ParseError::new(
                Packet::SslRequest,
                "bytes after the greeting",
                ErrorKind::TrailingBytes,
            )
            .into());
        }
        let name = tls::server_name(&self.opts, self.stream.is_unix())?;
        self.caps |= CapabilityFlags::SSL;
        let mut payload = BytesMut::new();
        encode_ssl_request(
            self.caps,
            u32::try_from(self.opts.max_packet).unwrap_or(u32::MAX),
            self.opts.collation,
            self.mariadb_caps,
            &mut payload,
        );
        self.send_packet(&[&payload]).await?;
        let plain = std::mem::replace(
            &mut self.stream,
            Stream::Other(Box::new(tokio::io::empty())),
        );
        self.stream = match plain {
            // A blocking socket runs rustls's own blocking handshake (see BlockingSocket).
            Stream::Blocking(sock) => Stream::Blocking(
                sock.start_tls(config, name)
                    .map_err(|e| tls::handshake_error(e, &self.opts, mode))?,
            ),
            plain => {
                let connector = tokio_rustls::TlsConnector::from(config);
                let stream = connector
                    .connect(name, plain)
                    .await
                    .map_err(|e| tls::handshake_error(e, &self.opts, mode))?;
                Stream::Tls(Box::new(stream))
            }
        };
        self.tls = true;
        if let Some(t) = self.tracer.as_mut() {
            t.tls_started();
        }
        Ok(())
    }

    // ---- low-level I/O ------------------------------------------------------------------

    fn mark_broken(&mut self, e: &Error) {
        if e.is_fatal() && self.broken.is_none() {
            self.broken = Some(e.to_string());
        }
    }

    /// Fails with [`Error::Broken`] if an earlier error broke the session.
    pub fn check(&self) -> Result<(), Error> {
        match &self.broken {
            Some(why) => Err(Error::Broken(why.clone())),
            None => Ok(()),
        }
    }

    /// Reads one logical packet (continuations joined), checking its sequence id.
    pub(crate) async fn read_frame(&mut self) -> Result<Frame, Error> {
        let r = self.read_frame_inner().await;
        if let Err(e) = &r {
            self.mark_broken(e);
        }
        r
    }

    async fn read_frame_inner(&mut self) -> Result<Frame, Error> {
        loop {
            if let Some(f) = self.codec.decode_frame(&mut self.rbuf)? {
                if let Some(t) = self.tracer.as_mut() {
                    t.packet(&PacketEvent {
                        direction: Direction::ServerToClient,
                        seq: f.seq,
                        phase: self.phase,
                        payload: &f.payload,
                    });
                }
                return Ok(f);
            }
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
                self.rbuf.reserve(READ_CHUNK);
            }
            let n = match self.opts.read_timeout {
                // No timer when no timeout is set (the common case costs no extra future).
                None => self.stream.read_buf(&mut self.rbuf).await?,
                Some(d) => tokio::time::timeout(d, self.stream.read_buf(&mut self.rbuf))
                    .await
                    .map_err(|_| Error::Timeout("read"))??,
            };
            if n == 0 {
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    if self.rbuf.is_empty() && !self.codec.is_mid_packet() {
                        "the server closed the connection"
                    } else {
                        "the server closed the connection in the middle of a packet"
                    },
                )));
            }
        }
    }

    /// Encodes one logical packet (the concatenation of `parts`) with the running sequence id
    /// and writes it out.
    async fn send_packet(&mut self, parts: &[&[u8]]) -> Result<(), Error> {
        let seq = self.codec.encode_parts(parts, &mut self.wbuf);
        self.trace_out(seq, parts);
        self.flush().await
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

    /// Writes out whatever is buffered. Cancel-safe: unwritten bytes stay in the buffer.
    async fn flush(&mut self) -> Result<(), Error> {
        // Set until the flush completes: a layer under us (TLS) may have taken our bytes into
        // its own buffer, so an empty `wbuf` does not mean they reached the socket. A flush cut
        // short by a dropped future is finished by the next call.
        self.flush_owed = true;
        let r = match self.opts.write_timeout {
            None => write_out(&mut self.stream, &mut self.wbuf).await,
            Some(d) => tokio::time::timeout(d, write_out(&mut self.stream, &mut self.wbuf))
                .await
                .unwrap_or(Err(Error::Timeout("write"))),
        };
        match &r {
            Ok(()) => {
                self.flush_owed = false;
                // Do not keep a large command's buffer for the rest of the session.
                if self.wbuf.capacity() > WBUF_KEEP {
                    self.wbuf = BytesMut::with_capacity(1024);
                }
            }
            Err(e) => self.mark_broken(e),
        }
        r
    }

    // ---- command plumbing ---------------------------------------------------------------

    /// Makes the session ready for a new command: refuses if broken, finishes any write that
    /// was cut short, and drains any response still unread (rows, later result sets).
    async fn ready(&mut self) -> Result<(), Error> {
        self.check()?;
        if self.flush_owed || !self.wbuf.is_empty() {
            self.flush().await?;
        }
        self.drain().await
    }

    /// Reads and discards everything still pending from earlier commands (including
    /// pipelined commands already written; those not yet written are dropped).
    pub(crate) async fn drain(&mut self) -> Result<(), Error> {
        self.unsent.clear();
        while self.state != State::Idle {
            self.drain_step().await?;
        }
        Ok(())
    }

    /// Reads and discards the rest of the current response only.
    pub(crate) async fn drain_current(&mut self) -> Result<(), Error> {
        let id = self.completed;
        while self.completed == id && self.state != State::Idle {
            self.drain_step().await?;
        }
        Ok(())
    }

    async fn drain_step(&mut self) -> Result<(), Error> {
        match self.state {
            State::Idle => {}
            State::Raw => {
                // Read the rest of the raw response through its tracker; a command the tracker
                // cannot follow must be ended explicitly.
                let followable = self.raw.as_ref().is_some_and(|c| c.can_follow());
                if !followable {
                    return Err(Error::Usage(
                        "a raw exchange whose end cannot be known is still open: read its \
                         response with read_packet() and then call end_raw()"
                            .into(),
                    ));
                }
                self.read_raw_frame().await?;
            }
            State::Rows => loop {
                match self.next_row_inner().await {
                    Ok(Some(())) => {}
                    Ok(None) => break,
                    // An ERR ending rows nobody is waiting for belongs to the abandoned
                    // statement, not to the command that is draining it.
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(_) => break,
                }
            },
            State::Simple | State::Text => {
                self.read_frame().await?;
                self.finish_response();
            }
            State::Head | State::Columns { .. } | State::ColumnsEof => {
                match self.read_result_head().await {
                    // Errors of statements nobody is waiting for any more are dropped;
                    // fatal ones have marked the session broken and end the drain.
                    Err(e) if e.is_fatal() => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The current response is complete: move on to the next pipelined one, if any.
    pub(crate) fn finish_response(&mut self) {
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

    /// Starts a new command: sequence id 0, state set before any byte is written so that a
    /// cancelled write is completed by the next call and its response drained.
    async fn start_command(&mut self, cmd: Command<'_>, next: State) -> Result<(), Error> {
        self.ready().await?;
        let seq_parts: [&[u8]; 2] = [&[cmd.code()], cmd.args()];
        self.codec.set_seq(0);
        let seq = self.codec.encode_parts(&seq_parts, &mut self.wbuf);
        self.trace_out(seq, &seq_parts);
        self.state = next;
        self.flush().await
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

    pub(crate) fn on_ok(&mut self, ok: OkPacket) {
        self.status = ok.status;
        self.last_ok = ok;
    }

    /// After the first packet of a response: moves through column definitions until rows can
    /// be read, or finishes on OK / ERR.
    pub(crate) async fn read_result_head(&mut self) -> Result<(), Error> {
        loop {
            match self.state {
                State::Head => {
                    let f = self.read_frame().await?;
                    match parse_query_response(&f.payload, self.caps).map_err(|e| self.proto(e))? {
                        QueryResponse::Ok(ok) => {
                            self.columns.clear();
                            self.end_result(ok);
                            return Ok(());
                        }
                        QueryResponse::Err(e) => {
                            self.columns.clear();
                            self.finish_response();
                            return Err(server_error(e));
                        }
                        QueryResponse::LocalInfile(name) => {
                            // Never open a file: answer "no data" and read the server's verdict.
                            self.send_packet(&[]).await?;
                            self.state = State::Head;
                            let r = self.read_result_head_after_infile().await;
                            return match r {
                                Ok(()) | Err(Error::Server(_)) => {
                                    Err(Error::LocalInfileRefused(name))
                                }
                                Err(e) => Err(e),
                            };
                        }
                        QueryResponse::ResultSet(n) => {
                            self.columns.clear();
                            self.columns.reserve(n.min(1024) as usize);
                            self.state = State::Columns { left: n };
                        }
                    }
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
                    let f = self.read_frame().await?;
                    let c =
                        parse_column_definition(&f.payload, false).map_err(|e| self.proto(e))?;
                    self.columns.push(c);
                    self.state = State::Columns { left: left - 1 };
                }
                State::ColumnsEof => {
                    let f = self.read_frame().await?;
                    parse_eof(&f.payload).map_err(|e| self.proto(e))?;
                    self.state = State::Rows;
                }
                _ => return Ok(()),
            }
        }
    }

    async fn read_result_head_after_infile(&mut self) -> Result<(), Error> {
        let f = self.read_frame().await?;
        match f.payload.first() {
            Some(0x00) => {
                let ok = parse_ok(&f.payload, self.caps).map_err(|e| self.proto(e))?;
                self.end_result(ok);
                Ok(())
            }
            Some(0xFF) => {
                self.finish_response();
                Err(server_error(
                    parse_err(&f.payload).map_err(|e| self.proto(e))?,
                ))
            }
            _ => Err(self.proto(ParseError::new(
                Packet::LocalInfile,
                "reply",
                ErrorKind::Unexpected,
            ))),
        }
    }

    fn proto(&mut self, e: ParseError) -> Error {
        let e = Error::Protocol(e);
        self.mark_broken(&e);
        e
    }

    /// Reads the next row into `self.row` / `self.cells`; `false` at the end of the result set.
    pub(crate) async fn next_row_inner(&mut self) -> Result<Option<()>, Error> {
        if self.state != State::Rows {
            return Ok(None);
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
                return Ok(Some(()));
            }
        }
        let f = self.read_frame().await?;
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
            return Ok(None);
        }
        let n = self.columns.len();
        if let Err(e) = self.cells.parse(p, n) {
            return Err(self.proto(e));
        }
        self.row_range = (0, f.payload.len());
        self.batch_pos = f.payload.len();
        self.batch = f.payload;
        Ok(Some(()))
    }

    /// The payload range of the next row packet in `batch`, advancing past it.
    fn next_in_batch(&mut self) -> Option<(usize, usize)> {
        let pos = self.batch_pos;
        let &[l0, l1, l2, _] = self.batch.get(pos..pos.checked_add(4)?)? else {
            return None;
        };
        let len = usize::from(l0) | (usize::from(l1) << 8) | (usize::from(l2) << 16);
        let start = pos + 4;
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
        while let Some(&[l0, l1, l2, sq]) = self.rbuf.get(pos..pos + 4) {
            let len = usize::from(l0) | (usize::from(l1) << 8) | (usize::from(l2) << 16);
            let end = pos + 4 + len;
            if sq != seq || len > max || end > self.rbuf.len() {
                break;
            }
            if matches!(self.rbuf.get(pos + 4), None | Some(0xFE) | Some(0xFF)) {
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

    // ---- public commands ----------------------------------------------------------------

    /// Sends COM_QUERY and reads the response head: an OK, or a result set's column
    /// definitions. Rows are then streamed with [`QueryResult::next_row`]. A result still unread
    /// from an earlier command is drained first.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult<'_>, Error> {
        self.start_command(Command::Query(sql.as_bytes()), State::Head)
            .await?;
        let id = self.completed;
        self.read_result_head().await?;
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
        Ok(self.last_ok.clone())
    }

    async fn simple(&mut self, cmd: Command<'_>) -> Result<&OkPacket, Error> {
        self.start_command(cmd, State::Simple).await?;
        let f = self.read_frame().await?;
        self.finish_response();
        match f.payload.first() {
            Some(0x00) => {
                let ok = parse_ok(&f.payload, self.caps).map_err(|e| self.proto(e))?;
                self.on_ok(ok);
                Ok(&self.last_ok)
            }
            Some(0xFF) => Err(server_error(
                parse_err(&f.payload).map_err(|e| self.proto(e))?,
            )),
            _ => Err(self.proto(ParseError::new(Packet::Ok, "header", ErrorKind::Unexpected))),
        }
    }

    /// COM_PING.
    pub async fn ping(&mut self) -> Result<(), Error> {
        self.simple(Command::Ping).await.map(|_| ())
    }

    /// COM_INIT_DB: makes `database` the default schema.
    pub async fn init_db(&mut self, database: &str) -> Result<(), Error> {
        self.simple(Command::InitDb(database.as_bytes()))
            .await
            .map(|_| ())
    }

    /// COM_RESET_CONNECTION: resets session state (variables, temporary tables, transactions)
    /// without re-authenticating.
    pub async fn reset(&mut self) -> Result<(), Error> {
        self.simple(Command::ResetConnection).await.map(|_| ())
    }

    /// COM_STATISTICS: the server's one-line status string.
    pub async fn statistics(&mut self) -> Result<String, Error> {
        self.start_command(Command::Statistics, State::Text).await?;
        let f = self.read_frame().await?;
        self.finish_response();
        if f.payload.first() == Some(&0xFF) {
            return Err(server_error(
                parse_err(&f.payload).map_err(|e| self.proto(e))?,
            ));
        }
        Ok(String::from_utf8_lossy(&f.payload).into_owned())
    }

    /// Sends COM_QUIT and closes the connection.
    pub async fn close(mut self) -> Result<(), Error> {
        self.check()?;
        if self.flush_owed || !self.wbuf.is_empty() {
            self.flush().await?;
        }
        self.state = State::Idle;
        self.codec.set_seq(0);
        let parts: [&[u8]; 1] = [&[crate::codec::command::COM_QUIT]];
        let seq = self.codec.encode_parts(&parts, &mut self.wbuf);
        self.trace_out(seq, &parts);
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
    /// others still yield their own responses. At most [`PIPELINE_WINDOW`] commands (and about
    /// [`PIPELINE_WINDOW_BYTES`] of them) are in flight at once, so neither side can block on a
    /// full socket buffer. Dropping the pipeline half-read: commands already written ran and
    /// their responses are drained by the next call; commands not yet written are not sent.
    pub async fn pipeline<I, S>(&mut self, queries: I) -> Result<Pipeline<'_>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.ready().await?;
        let mut all = BytesMut::new();
        let mut codec = PacketCodec::new(self.opts.max_packet);
        let mut cuts = Vec::new();
        for q in queries {
            codec.set_seq(0);
            let before = all.len();
            codec.encode_parts(
                &[&[crate::codec::command::COM_QUERY], q.as_ref().as_bytes()],
                &mut all,
            );
            cuts.push((all.len() - before, codec.next_seq()));
        }
        let mut all = all.freeze();
        let total = cuts.len();
        for (len, seq) in cuts {
            self.unsent.push_back((all.split_to(len), State::Head, seq));
        }
        let base = self.completed;
        self.top_up().await?;
        Ok(Pipeline {
            s: self,
            base,
            total,
            taken: 0,
        })
    }

    /// Writes queued pipelined commands while the in-flight window has room.
    async fn top_up(&mut self) -> Result<(), Error> {
        // Refill only when the window is at most half full, so that writes go out in batches
        // (one system call for many commands) rather than one per response.
        let in_flight = self.pending.len() + usize::from(self.state != State::Idle);
        if in_flight > PIPELINE_WINDOW / 2 && self.inflight_bytes <= PIPELINE_WINDOW_BYTES / 2 {
            return Ok(());
        }
        let mut moved = false;
        while let Some((bytes, _, _)) = self.unsent.front() {
            let in_flight = self.pending.len() + usize::from(self.state != State::Idle);
            if in_flight >= PIPELINE_WINDOW
                || (in_flight > 0 && self.inflight_bytes + bytes.len() > PIPELINE_WINDOW_BYTES)
            {
                break;
            }
            let Some((bytes, state, seq)) = self.unsent.pop_front() else {
                break;
            };
            self.inflight_bytes += bytes.len();
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
        if moved {
            self.flush().await?;
        }
        Ok(())
    }

    // ---- raw level ----------------------------------------------------------------------

    /// Sends `payload` (command byte first) as a new command with sequence id 0. The caller
    /// reads the response with [`Session::read_packet`]; the session does not interpret it.
    pub async fn send_command(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::Usage(
                "a command needs at least its command byte".into(),
            ));
        }
        self.ready().await?;
        self.codec.set_seq(0);
        let parts: [&[u8]; 1] = [payload];
        let seq = self.codec.encode_parts(&parts, &mut self.wbuf);
        self.trace_out(seq, &parts);
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
            self.state = State::Raw;
            self.raw = Some(Box::new(conv));
        }
        self.flush().await
    }

    /// Sends one more packet of the current exchange (sequence id continues).
    pub async fn send_packet_raw(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check()?;
        let seq = self.codec.next_seq();
        if let Some(c) = self.raw.as_mut() {
            c.packet(
                Direction::ClientToServer,
                seq,
                Bytes::copy_from_slice(payload),
            );
        }
        self.send_packet(&[payload]).await
    }

    /// Reads the next packet of the response: sequence id and payload.
    ///
    /// The session follows the exchange with the trace decoder's state machine: once the
    /// response of a command it knows (COM_QUERY, COM_PING, …) is complete, the exchange ends by
    /// itself, and a new command may start; one left half-read is drained by the next command.
    /// For other commands call [`Session::end_raw`] when done.
    pub async fn read_packet(&mut self) -> Result<Frame, Error> {
        self.check()?;
        if self.state == State::Raw {
            self.read_raw_frame().await
        } else {
            self.read_frame().await
        }
    }

    async fn read_raw_frame(&mut self) -> Result<Frame, Error> {
        let f = self.read_frame().await?;
        if let Some(c) = self.raw.as_mut() {
            c.packet(Direction::ServerToClient, f.seq, f.payload.clone());
            if c.is_idle() {
                self.raw = None;
                self.finish_response();
            }
        }
        Ok(f)
    }

    /// Declares the current raw exchange finished (for commands whose response the session
    /// cannot follow). The caller vouches that every response packet has been read.
    pub fn end_raw(&mut self) {
        if self.state == State::Raw {
            self.raw = None;
            self.finish_response();
        }
    }

    // ---- accessors ----------------------------------------------------------------------

    /// The server's greeting.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The server version (MariaDB's `5.5.5-` prefix removed).
    pub fn server_version(&self) -> &str {
        self.handshake.display_version()
    }

    /// The connection id the server assigned.
    pub fn connection_id(&self) -> u32 {
        self.handshake.connection_id
    }

    /// The negotiated capabilities.
    pub fn capabilities(&self) -> CapabilityFlags {
        self.caps
    }

    /// The server status from the latest OK / EOF.
    pub fn status(&self) -> StatusFlags {
        self.status
    }

    /// The latest OK packet (affected rows, last insert id, info, session-state changes).
    pub fn last_ok(&self) -> &OkPacket {
        &self.last_ok
    }

    /// The options this session was opened with.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The transport under the session.
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// True if an earlier error broke the session.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// True if the link is encrypted with TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Installs or removes the packet tracer.
    pub fn set_tracer(&mut self, tracer: Option<Box<dyn Tracer>>) {
        self.tracer = tracer;
    }
}
