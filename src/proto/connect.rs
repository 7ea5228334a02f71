//! The connection phase, sans-IO: greeting → (SSLRequest, TLS) → HandshakeResponse41 → the
//! authentication exchange → OK.

use std::borrow::Cow;

use bytes::BytesMut;
use zeroize::Zeroizing;

use crate::codec::auth::{AuthAction, AuthConfig, AuthError, AuthState, MAX_AUTH_ROUNDS};
use crate::codec::compress::Algorithm;
use crate::codec::handshake::{
    encode_change_user, encode_handshake_response, encode_ssl_request, parse_auth_more_data,
    parse_auth_switch, parse_handshake, ChangeUser, HandshakeResponse,
};
use crate::codec::response::{parse_err, parse_ok};
use crate::codec::{CapabilityFlags, ErrorKind, MariaDbCapabilities, Packet, ParseError};
use crate::error::{Error, TlsError};
use crate::trace::Phase;

use super::engine::server_error;
use super::{Engine, Step};

/// What a driver must do next while connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectEvent {
    /// Write out the queued SSLRequest, run the TLS handshake on the transport, then call
    /// [`Engine::tls_established`] and go on stepping.
    StartTls,
    /// Authenticated: the command phase has begun.
    Connected,
}

/// The capabilities a client asks for: the ones always wanted, plus a default database,
/// multi-statements, CLIENT_DEPRECATE_EOF and session tracking as chosen. Never
/// CLIENT_LOCAL_FILES: a server must not be invited to ask for files unless the caller opted
/// in (the sessions add it then, for `Options::local_infile`). (The sessions build their
/// [`ConnectConfig`] with it, and so does the session fuzz target.)
pub fn client_capabilities(
    database: bool,
    multi_statements: bool,
    deprecate_eof: bool,
    session_track: bool,
) -> CapabilityFlags {
    let mut c = CapabilityFlags::LONG_PASSWORD
        | CapabilityFlags::LONG_FLAG
        | CapabilityFlags::PROTOCOL_41
        | CapabilityFlags::TRANSACTIONS
        | CapabilityFlags::SECURE_CONNECTION
        | CapabilityFlags::MULTI_RESULTS
        | CapabilityFlags::PS_MULTI_RESULTS
        | CapabilityFlags::PLUGIN_AUTH
        | CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA
        | CapabilityFlags::CONNECT_ATTRS
        // MySQL 8.0.23+: every COM_QUERY then carries an attribute block (empty unless the
        // caller gives attributes); MariaDB does not offer it.
        | CapabilityFlags::QUERY_ATTRIBUTES;
    c.set(CapabilityFlags::CONNECT_WITH_DB, database);
    c.set(CapabilityFlags::MULTI_STATEMENTS, multi_statements);
    c.set(CapabilityFlags::DEPRECATE_EOF, deprecate_eof);
    c.set(CapabilityFlags::SESSION_TRACK, session_track);
    c
}

/// The MariaDB extended capabilities the client asks for: COM_STMT_BULK_EXECUTE, and column
/// definitions of an execute not resent when unchanged (CACHE_METADATA).
pub const MARIADB_WANTED: MariaDbCapabilities = MariaDbCapabilities(
    MariaDbCapabilities::STMT_BULK_OPERATIONS.bits() | MariaDbCapabilities::CACHE_METADATA.bits(),
);

/// Everything the connection phase needs from the options, prepared by the driver (files are
/// read before the first byte arrives, so a bad file fails the same way whatever the server
/// offers).
#[derive(Clone)]
pub struct ConnectConfig {
    /// Capabilities the client wants (the negotiated set is this and the server's).
    pub capabilities: CapabilityFlags,
    /// Start TLS when the server offers it.
    pub wants_tls: bool,
    /// Fail before sending anything when the server does not offer TLS.
    pub requires_tls: bool,
    /// The TLS certificate is verified (`VERIFY_CA` / `VERIFY_IDENTITY`): a TLS peer is then
    /// authenticated, not merely encrypted.
    pub verifies_peer: bool,
    /// The ssl-mode and the endpoint, for the error that says why.
    pub ssl_mode: crate::session::SslMode,
    /// Where the connection goes, for the error a server without TLS gets (only needed, and
    /// only filled in, when `requires_tls`).
    pub endpoint: String,
    /// The transport is a Unix socket.
    pub unix: bool,
    /// `max_packet_size` announced to the server.
    pub max_packet: u32,
    /// Collation id of the connection.
    pub collation: u8,
    /// User name.
    pub user: Vec<u8>,
    /// Password.
    pub password: Zeroizing<Vec<u8>>,
    /// Default schema.
    pub database: Option<Vec<u8>>,
    /// Connection attributes.
    pub attributes: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// What the auth plugins may do (`secure_transport` and `verified_peer` are filled in by
    /// the engine once it knows whether TLS runs).
    pub auth: AuthConfig,
    /// Compression algorithms in order of preference: the first the server offers is used;
    /// none offered (or none given) is an uncompressed connection.
    pub compress: Vec<Algorithm>,
    /// The compression level (`None`: the algorithm's default).
    pub compress_level: Option<i32>,
}

/// The capability flag that asks for `algorithm`.
pub fn compression_flag(algorithm: Algorithm) -> CapabilityFlags {
    match algorithm {
        Algorithm::Zlib => CapabilityFlags::COMPRESS,
        Algorithm::Zstd => CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM,
    }
}

/// The algorithm negotiated capabilities select (zlib when both flags are set, as the MySQL
/// docs say the server does).
pub fn negotiated_compression(caps: CapabilityFlags) -> Option<Algorithm> {
    if caps.contains(CapabilityFlags::COMPRESS) {
        Some(Algorithm::Zlib)
    } else if caps.contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM) {
        Some(Algorithm::Zstd)
    } else {
        None
    }
}

impl std::fmt::Debug for ConnectConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectConfig")
            .field("endpoint", &self.endpoint)
            .field("capabilities", &self.capabilities)
            .field("ssl_mode", &self.ssl_mode)
            .finish_non_exhaustive()
    }
}

/// Where the connection phase stands.
#[derive(Debug)]
pub(crate) enum ConnectState {
    /// Waiting for the greeting.
    Greeting(Box<ConnectConfig>),
    /// The SSLRequest is queued; the driver runs TLS and calls `tls_established`.
    Tls(Box<ConnectConfig>),
    /// The handshake response went out; authentication rounds follow.
    Auth {
        cfg: Box<ConnectConfig>,
        plugin: Box<AuthState>,
        rounds: usize,
    },
    /// Authenticated (or never connecting: an engine made for observing).
    Done,
}

impl Engine {
    /// An engine for a new connection, waiting for the server's greeting.
    pub fn connect(max_packet: usize, cfg: ConnectConfig) -> Engine {
        Engine::with_connect(max_packet, ConnectState::Greeting(Box::new(cfg)))
    }

    /// Runs the connection phase as far as the received bytes allow. Any error ends the
    /// connection for good (a refused or failed connect leaves nothing to use): every later
    /// call says [`Error::Broken`].
    pub fn connect_step(&mut self) -> Step<ConnectEvent> {
        self.check()?;
        let r = self.connect_inner();
        match &r {
            // A call at the wrong time (stepping before the TLS upgrade) changes nothing.
            Err(Error::Usage(_)) | Ok(_) => {}
            Err(e) => self.mark_broken_always(e),
        }
        r
    }

    fn connect_inner(&mut self) -> Step<ConnectEvent> {
        loop {
            match std::mem::replace(&mut self.connect, ConnectState::Done) {
                ConnectState::Done => return Ok(Some(ConnectEvent::Connected)),
                ConnectState::Tls(cfg) => {
                    self.connect = ConnectState::Tls(cfg);
                    return Err(Error::Usage(
                        "the engine waits for the TLS handshake (tls_established)".into(),
                    ));
                }
                ConnectState::Greeting(cfg) => {
                    let Some(f) = self.poll_frame()? else {
                        self.connect = ConnectState::Greeting(cfg);
                        return Ok(None);
                    };
                    if f.payload.first() == Some(&0xFF) {
                        return Err(server_error(
                            parse_err(&f.payload).map_err(|e| self.proto(e))?,
                        ));
                    }
                    let hs = parse_handshake(&f.payload).map_err(|e| self.proto(e))?;
                    if !hs.capabilities.contains(CapabilityFlags::PROTOCOL_41) {
                        return Err(self.proto(ParseError::new(
                            Packet::Handshake,
                            "capability_flags",
                            ErrorKind::InvalidValue,
                        )));
                    }
                    let both =
                        CapabilityFlags::COMPRESS | CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM;
                    self.caps = cfg.capabilities & hs.capabilities & !both;
                    // One algorithm: the first of the preferences the server offers.
                    if let Some(&a) = cfg
                        .compress
                        .iter()
                        .find(|&&a| hs.capabilities.contains(compression_flag(a)))
                    {
                        self.caps |= compression_flag(a);
                    }
                    // MariaDB's extended capabilities are sent only to a MariaDB server (its
                    // greeting has CLIENT_MYSQL clear, and so then has our response).
                    self.mariadb_caps = if hs.is_mariadb() {
                        MARIADB_WANTED & hs.mariadb_capabilities
                    } else {
                        MariaDbCapabilities::empty()
                    };
                    self.on_greeting_status(hs.status);
                    self.handshake = hs;
                    // The TLS policy is enforced here, before any byte leaves the client: a
                    // stripped CLIENT_SSL must not cost the user name or a scramble
                    // (CVE-2015-3152, CVE-2017-3305).
                    let offers_tls = self.handshake.capabilities.contains(CapabilityFlags::SSL);
                    if cfg.requires_tls && !offers_tls {
                        return Err(Error::Tls(Box::new(TlsError::not_offered(
                            cfg.ssl_mode,
                            cfg.endpoint.clone(),
                        ))));
                    }
                    if offers_tls && cfg.wants_tls {
                        // Bytes the server sent after its greeting would be read as if they
                        // came through TLS (and nothing may come before the SSLRequest).
                        if self.has_unread_bytes() {
                            return Err(self.proto(ParseError::new(
                                Packet::SslRequest,
                                "bytes after the greeting",
                                ErrorKind::TrailingBytes,
                            )));
                        }
                        self.caps |= CapabilityFlags::SSL;
                        let mut payload = BytesMut::new();
                        encode_ssl_request(
                            self.caps,
                            cfg.max_packet,
                            cfg.collation,
                            // MariaDB takes the extended capabilities from this packet.
                            self.mariadb_caps,
                            &mut payload,
                        );
                        self.queue_packet(&[&payload]);
                        self.connect = ConnectState::Tls(cfg);
                        return Ok(Some(ConnectEvent::StartTls));
                    }
                    self.send_handshake_response(cfg, false)?;
                }
                ConnectState::Auth {
                    cfg,
                    mut plugin,
                    mut rounds,
                } => {
                    let Some(f) = self.poll_frame()? else {
                        self.connect = ConnectState::Auth {
                            cfg,
                            plugin,
                            rounds,
                        };
                        return Ok(None);
                    };
                    match f.payload.first() {
                        Some(0x00) => {
                            let ok = parse_ok(&f.payload, self.caps).map_err(|e| self.proto(e))?;
                            self.on_ok(ok);
                            let cache = self
                                .mariadb_caps
                                .contains(MariaDbCapabilities::CACHE_METADATA);
                            self.resp.negotiated(self.caps, false, cache);
                            self.phase = Phase::Command;
                            // The connection phase is not compressed; everything after its
                            // OK is, both ways (a COM_CHANGE_USER's exchange already was).
                            if self.zip.is_some() {
                            } else if let Some((a, level)) = self.compression_choice(&cfg) {
                                self.start_compression(a, level);
                            }
                            return Ok(Some(ConnectEvent::Connected));
                        }
                        Some(0xFF) => {
                            return Err(server_error(
                                parse_err(&f.payload).map_err(|e| self.proto(e))?,
                            ))
                        }
                        Some(0xFE) => {
                            rounds = rounds.saturating_add(1);
                            if rounds > MAX_AUTH_ROUNDS {
                                return Err(AuthError::TooManyRounds(MAX_AUTH_ROUNDS).into());
                            }
                            let sw = parse_auth_switch(&f.payload).map_err(|e| self.proto(e))?;
                            let (st, bytes) = AuthState::start(
                                sw.plugin.as_bytes(),
                                &sw.data,
                                &cfg.password,
                                &cfg.auth,
                            )?;
                            plugin = Box::new(st);
                            self.queue_packet(&[&bytes]);
                        }
                        Some(0x01) => {
                            rounds = rounds.saturating_add(1);
                            if rounds > MAX_AUTH_ROUNDS {
                                return Err(AuthError::TooManyRounds(MAX_AUTH_ROUNDS).into());
                            }
                            let data =
                                parse_auth_more_data(&f.payload).map_err(|e| self.proto(e))?;
                            if let AuthAction::Send(bytes) = plugin.more_data(data, &cfg.auth)? {
                                self.queue_packet(&[&bytes]);
                            }
                        }
                        _ => {
                            return Err(self.proto(ParseError::new(
                                Packet::AuthSwitch,
                                "header",
                                ErrorKind::Unexpected,
                            )))
                        }
                    }
                    self.connect = ConnectState::Auth {
                        cfg,
                        plugin,
                        rounds,
                    };
                }
            }
        }
    }

    /// The driver finished the TLS handshake after [`ConnectEvent::StartTls`]: the handshake
    /// response is queued (inside TLS, sequence id 2).
    pub fn tls_established(&mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.connect, ConnectState::Done) {
            ConnectState::Tls(cfg) => {
                self.tracer_tls_started();
                self.send_handshake_response(cfg, true)
            }
            other => {
                self.connect = other;
                Err(Error::Usage(
                    "tls_established: no TLS upgrade was asked for".into(),
                ))
            }
        }
    }

    /// The negotiated algorithm and the level to use with it.
    fn compression_choice(&self, cfg: &ConnectConfig) -> Option<(Algorithm, i32)> {
        let a = negotiated_compression(self.caps)?;
        let level = cfg
            .compress_level
            .unwrap_or(a.default_level())
            .clamp(1, a.max_level());
        Some((a, level))
    }

    /// The first auth response, by the plugin the greeting named, to its nonce.
    fn first_auth(&self, cfg: &ConnectConfig) -> Result<(AuthState, Vec<u8>), Error> {
        let plugin = self
            .handshake
            .auth_plugin
            .as_deref()
            .unwrap_or("mysql_native_password");
        // A default plugin we do not implement: answer with mysql_native_password and let the
        // server switch us to what the account really uses.
        match AuthState::start(
            plugin.as_bytes(),
            &self.handshake.nonce,
            &cfg.password,
            &cfg.auth,
        ) {
            Ok(x) => Ok(x),
            Err(AuthError::UnsupportedPlugin(_)) => Ok(AuthState::start(
                b"mysql_native_password",
                &self.handshake.nonce,
                &cfg.password,
                &cfg.auth,
            )?),
            Err(e) => Err(e.into()),
        }
    }

    /// Queues COM_CHANGE_USER for `cfg`'s user, password and database (its other connection
    /// settings are ignored: capabilities, TLS and compression stay as negotiated), then runs
    /// the authentication exchange that answers it with [`Engine::connect_step`] until
    /// [`ConnectEvent::Connected`]. The first response is computed from the greeting's nonce and
    /// plugin, as the official clients do; the server may switch plugins as during the
    /// handshake. Every prepared statement is gone afterwards. A failure (a refused login
    /// included) leaves the engine broken: the server's session is no longer the one the
    /// client knew.
    pub fn start_change_user(&mut self, mut cfg: ConnectConfig) -> Result<(), Error> {
        self.check()?;
        if self.phase != Phase::Command || !self.is_idle() {
            return Err(Error::Usage(
                "COM_CHANGE_USER needs an idle connection in the command phase".into(),
            ));
        }
        let tls = self.caps.contains(CapabilityFlags::SSL);
        cfg.auth.secure_transport = tls || cfg.unix;
        cfg.auth.verified_peer = cfg.unix || (tls && cfg.verifies_peer);
        let (auth, first) = self.first_auth(&cfg)?;
        let cmd = ChangeUser {
            user: cfg.user.clone(),
            auth_response: first,
            database: cfg.database.clone().unwrap_or_default(),
            charset: cfg.collation.into(),
            auth_plugin: Some(auth.plugin_name().as_bytes().to_vec()),
            attributes: std::mem::take(&mut cfg.attributes),
        };
        let mut payload = BytesMut::new();
        if !encode_change_user(&cmd, self.caps, &mut payload) {
            return Err(AuthError::ResponseTooLong {
                plugin: auth.plugin_name(),
                len: cmd.auth_response.len(),
            }
            .into());
        }
        self.flush_closes();
        self.codec.set_seq(0);
        self.queue_packet(&[&payload]);
        self.forget_statements();
        self.phase = Phase::Auth;
        self.connect = ConnectState::Auth {
            cfg: Box::new(cfg),
            plugin: Box::new(auth),
            rounds: 0,
        };
        Ok(())
    }

    /// Called before a command or a drain: a COM_CHANGE_USER exchange left unfinished (its
    /// future dropped) breaks the engine, since which user the server's session now has is
    /// unknown.
    pub(super) fn check_no_open_auth(&mut self) -> Result<(), Error> {
        if matches!(self.connect, ConnectState::Auth { .. }) && self.phase == Phase::Auth {
            let e = Error::Usage(
                "a COM_CHANGE_USER was abandoned before its authentication finished".into(),
            );
            self.mark_broken_always(&e);
            return self.check();
        }
        Ok(())
    }

    fn send_handshake_response(
        &mut self,
        mut cfg: Box<ConnectConfig>,
        tls: bool,
    ) -> Result<(), Error> {
        cfg.auth.secure_transport = tls || cfg.unix;
        cfg.auth.verified_peer = cfg.unix || (tls && cfg.verifies_peer);
        let (auth, first) = self.first_auth(&cfg)?;
        let resp = HandshakeResponse {
            capabilities: self.caps,
            max_packet_size: cfg.max_packet,
            charset: cfg.collation,
            mariadb_capabilities: self.mariadb_caps,
            user: cfg.user.clone(),
            auth_response: first,
            database: cfg.database.clone(),
            auth_plugin: Some(auth.plugin_name().as_bytes().to_vec()),
            attributes: std::mem::take(&mut cfg.attributes),
            zstd_level: None,
        };
        let resp = HandshakeResponse {
            // The level the server compresses with: the same as ours.
            zstd_level: match self.compression_choice(&cfg) {
                Some((Algorithm::Zstd, level)) => Some(u8::try_from(level).unwrap_or(3)),
                _ => None,
            },
            ..resp
        };
        let mut payload = BytesMut::new();
        encode_handshake_response(&resp, &mut payload);
        self.queue_packet(&[&payload]);
        self.phase = Phase::Auth;
        self.connect = ConnectState::Auth {
            cfg,
            plugin: Box::new(auth),
            rounds: 0,
        };
        Ok(())
    }
}
