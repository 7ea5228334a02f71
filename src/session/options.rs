//! Connection options, built in code or parsed from a URL.
//!
//! `mysql://user:password@host:port/database?socket=/path&max-packet=67108864&...`
//! (also `mariadb://`). User, password, database and parameter values are percent-decoded.
//!
//! | parameter | meaning | default |
//! |---|---|---|
//! | `socket` | Unix socket path (used instead of host:port) | — |
//! | `max-packet` | largest packet accepted from the server, bytes | 64 MiB |
//! | `multi-statements` | allow several `;`-separated statements per query | false |
//! | `deprecate-eof` | negotiate CLIENT_DEPRECATE_EOF | true |
//! | `session-track` | negotiate CLIENT_SESSION_TRACK | true |
//! | `bulk` | `exec_batch` uses COM_STMT_BULK_EXECUTE where the server has it (MariaDB); `false`: pipelined executes | true |
//! | `direct-execute` | `exec` of a statement not yet cached prepares and executes in one round trip on MariaDB (statement id 0xFFFFFFFF); off because a prepare refused for `max_prepared_stmt_count` makes MariaDB 10.11 run the previously prepared statement instead | false |
//! | `fetch-size` | rows per COM_STMT_FETCH: `execute` / `exec` open a read-only cursor and fetch the result this many rows at a time (0 = no cursor) | 0 |
//! | `stmt-cache` | statements `exec` keeps prepared, by SQL text (least recently used closed first; 0 = none) | 32 |
//! | `connect-timeout` | seconds to connect and authenticate (0 = none) | 10 |
//! | `read-timeout`, `write-timeout` | seconds per read / write (0 = none) | none |
//! | `local-infile` | `true`: LOAD DATA LOCAL INFILE may send any file the query's own statement names (see [`LocalInfile`]); `false`: refused (unless `local-infile-dir`) | false |
//! | `local-infile-dir` | LOAD DATA LOCAL INFILE may send a file the statement names if it lies in this directory (symbolic links resolved; repeatable; ignored with `local-infile=true`) | — |
//! | `ssl-mode` | `DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY` (any case) | `PREFERRED` |
//! | `ssl-ca` | PEM file of CA certificates for `VERIFY_CA` / `VERIFY_IDENTITY` | OS trust store |
//! | `ssl-cert`, `ssl-key` | PEM client certificate (chain) and its private key (both or neither) | — |
//! | `ssl-key-log` | append the TLS session secrets to this file (NSS key log format, for Wireshark) | — |
//! | `server-public-key-path` | PEM RSA public key of the server (caching_sha2 / sha256 over plain TCP) | — |
//! | `get-server-public-key` | ask the server for its RSA key over plain TCP (a MITM can swap it) | false |
//! | `enable-cleartext-plugin` | allow `mysql_clear_password` to an unauthenticated peer (plain TCP, or TLS without certificate verification) | false |
//!
//! TLS modes (see [`SslMode`]): `DISABLED` never encrypts; `PREFERRED` encrypts when the server
//! offers TLS and falls back to plaintext otherwise (and never over a Unix socket), checking no
//! certificate; `REQUIRED` always encrypts (also over a Unix socket) and refuses a server that
//! does not offer TLS before sending anything, but checks no certificate; `VERIFY_CA` also checks
//! the certificate chain against `ssl-ca` (or the OS trust store when `ssl-ca` is not given);
//! `VERIFY_IDENTITY` also checks that the certificate names the host connected to (DNS name or IP
//! address; `localhost` over a Unix socket). As with MySQL's client, giving `ssl-ca` while the
//! mode is left at `PREFERRED` means `VERIFY_CA`.
//!
//! In code: [`Options::new`] and a setter per option (`Options::new().host("db").port(3307)`),
//! plus [`Options::tls_config`] for a caller's own rustls configuration. Errors from parsing
//! are [`Error::Config`] whose message starts with the option's name (`ssl-mode: …`).
//!
//! TLS key log: the session secrets of a TLS connection are written only when `ssl-key-log`
//! names a file; the `SSLKEYLOGFILE` environment variable is not read by the library (an
//! application that merely inherits it does not dump keys). Anyone holding the file can decrypt
//! captures of those connections, passwords included: it is created with mode 0600 on Unix and
//! appended to.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[cfg(test)]
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::codec::compress::Algorithm;
use crate::codec::frame::DEFAULT_MAX_PAYLOAD;
use crate::Error;

use super::infile::LocalInfile;
use super::stream::Stream;

/// How to reach the server and what to negotiate.
///
/// Built from a URL ([`Options::from_url`]), or from the defaults ([`Options::new`]) with a
/// setter per field, each taking and returning the options (as [`crate::pool::PoolOptions`]
/// does):
///
/// ```
/// use std::time::Duration;
/// use mywire::session::SslMode;
/// use mywire::Options;
///
/// let opts = Options::new()
///     .host("db.example")
///     .port(3307)
///     .user("app")
///     .password("secret")
///     .database("shop")
///     .ssl_mode(SslMode::VerifyIdentity)
///     .ssl_ca("/etc/ssl/db-ca.pem")
///     .connect_timeout(Some(Duration::from_secs(5)));
/// assert_eq!(opts.endpoint(), "db.example:3307");
/// assert_eq!(opts.redacted_url(), "mysql://app:***@db.example:3307/shop");
/// ```
///
/// The fields are public to read and to assign; the struct is `#[non_exhaustive]`, so it
/// cannot be written as a struct literal outside this crate (new options can then be added
/// without breaking callers).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Host name or IP address (TCP).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Unix socket path; when set, TCP is not used.
    pub socket: Option<PathBuf>,
    /// User name.
    pub user: String,
    /// Password (empty for none); zeroed on drop, redacted by `Debug`. Read it with
    /// [`Password::expose`].
    pub password: Password,
    /// Initial database.
    pub database: Option<String>,
    /// Largest joined packet accepted from the server.
    pub max_packet: usize,
    /// Negotiate CLIENT_MULTI_STATEMENTS.
    pub multi_statements: bool,
    /// Negotiate CLIENT_FOUND_ROWS: an UPDATE's affected rows count the rows it matched, not
    /// only those it changed (what ORMs that check row counts expect).
    pub found_rows: bool,
    /// Negotiate CLIENT_DEPRECATE_EOF.
    pub deprecate_eof: bool,
    /// Negotiate CLIENT_SESSION_TRACK.
    pub session_track: bool,
    /// Statements [`crate::Session::exec`] keeps prepared (0 = none).
    pub stmt_cache: usize,
    /// [`crate::Session::exec_batch`] sends COM_STMT_BULK_EXECUTE where the server has it;
    /// false: one pipelined COM_STMT_EXECUTE per row.
    pub bulk: bool,
    /// [`crate::Session::exec`] prepares and executes a new statement in one round trip on
    /// MariaDB (direct execution). Off by default: when MariaDB refuses the prepare for
    /// `max_prepared_stmt_count` (ERR 1461) it runs the statement prepared before it with
    /// these parameters (seen on 10.11.19, tests/stmt_cache.rs).
    pub direct_execute: bool,
    /// [`crate::Session::execute`] and [`crate::Session::exec`] open a read-only cursor and
    /// fetch this many rows at a time (0: no cursor).
    pub fetch_size: u32,
    /// Time limit for connecting and authenticating.
    pub connect_timeout: Option<Duration>,
    /// Time limit for each read from the server.
    pub read_timeout: Option<Duration>,
    /// Time limit for each write to the server.
    pub write_timeout: Option<Duration>,
    /// Collation id sent in the handshake (45 = utf8mb4_general_ci).
    pub collation: u8,
    /// Extra connection attributes (added to `_client_name`, `_client_version`, `_os`, `_pid`).
    pub attributes: Vec<(String, String)>,
    /// When to use TLS and what to verify (`ssl-mode`).
    pub ssl_mode: SslMode,
    /// PEM file with the CA certificate(s) that must sign the server's certificate (`ssl-ca`).
    pub ssl_ca: Option<PathBuf>,
    /// PEM file with the client certificate chain (`ssl-cert`); needs `ssl_key`.
    pub ssl_cert: Option<PathBuf>,
    /// PEM file with the client certificate's private key (`ssl-key`); needs `ssl_cert`.
    pub ssl_key: Option<PathBuf>,
    /// File the TLS session secrets are appended to, in the NSS key log format (`ssl-key-log`);
    /// `None`: no key log (`SSLKEYLOGFILE` is not consulted).
    pub ssl_key_log: Option<PathBuf>,
    /// PEM file with the server's RSA public key (`server-public-key-path`), read at connect time.
    pub server_public_key_path: Option<PathBuf>,
    /// Ask the server for its RSA public key over an insecure link (`get-server-public-key`).
    pub get_server_public_key: bool,
    /// Allow `mysql_clear_password` to an unauthenticated peer: plain TCP, or TLS whose
    /// certificate was not verified (`enable-cleartext-plugin`).
    pub enable_cleartext_plugin: bool,
    /// Protocol compression algorithms in order of preference (`compress=zstd,zlib`; empty:
    /// uncompressed). The first one the server offers is used; when it offers none the
    /// connection is uncompressed, as the MySQL protocol has it
    /// ([`crate::Session::compression`] says what was negotiated).
    pub compress: Vec<Algorithm>,
    /// Compression level (`compress-level`, 1–22; zlib takes at most 9); `None`: zlib's 6,
    /// zstd's 3. With zstd the server compresses at this level too.
    pub compress_level: Option<i32>,
    /// When a command's future is dropped before its response has been read, or a read times
    /// out, a side connection sends `KILL QUERY <connection id>` so the server stops the work
    /// (`kill-on-cancel`; async session). The session's next command waits for that KILL to
    /// finish first, so it can never stop the next query.
    pub kill_on_cancel: bool,
    /// TCP keepalive: probes start after the connection has been idle this long
    /// (`tcp-keepalive=SECONDS`; `None`: the OS default, usually off).
    pub tcp_keepalive: Option<Duration>,
    /// Several servers (`mysql://u@h1:3306,h2:3307/db`): each connect picks one by
    /// `host_selection`, skipping hosts that failed recently (per-host back-off), that answer
    /// "not ready" (Galera's ERR 1047), or that are read-only when `require_writable`. Empty:
    /// `host` and `port` only.
    pub hosts: Vec<(String, u16)>,
    /// How a connect orders `hosts` (`host-selection=sequential|random|round-robin`).
    pub host_selection: HostSelection,
    /// With `hosts`: skip a server whose `@@read_only` is on (`require-writable`).
    pub require_writable: bool,
    /// A caller's own rustls configuration, used instead of the one built from `ssl-ca`,
    /// `ssl-cert`, `ssl-key` and `ssl-key-log` ([`Options::tls_config`]).
    pub(crate) tls_config: Option<CustomTlsConfig>,
    /// LOAD DATA LOCAL INFILE (`local-infile`, `local-infile-dir`): `None` (the default)
    /// refuses every request and does not announce CLIENT_LOCAL_FILES; otherwise files the
    /// query's own `LOCAL INFILE 'name'` names are sent as [`LocalInfile`] allows (a server
    /// asking for any other file is refused).
    pub local_infile: Option<LocalInfile>,
    /// A caller's adapter of each connected transport ([`Options::transport`]).
    pub(crate) transport: Option<TransportAdapter>,
}

/// The function of [`Options::transport`].
pub(crate) type AdaptFn = dyn Fn(Stream) -> std::io::Result<Stream> + Send + Sync;

/// A caller's transport adapter ([`Options::transport`]); two are equal when they are the same
/// `Arc`.
#[derive(Clone)]
pub(crate) struct TransportAdapter(pub(crate) Arc<AdaptFn>);

impl PartialEq for TransportAdapter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TransportAdapter {}

/// A caller's rustls configuration ([`Options::tls_config`]); two are equal when they are the
/// same `Arc`.
#[derive(Clone)]
pub(crate) struct CustomTlsConfig(Arc<rustls::ClientConfig>);

impl PartialEq for CustomTlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CustomTlsConfig {}

/// How a connect to a multi-host URL picks its server ([`Options::hosts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostSelection {
    /// The first host that works, in the URL's order (failover).
    #[default]
    Sequential,
    /// A random order for each connect (load balancing).
    Random,
    /// Each connect starts at the next host in turn (load balancing).
    RoundRobin,
}

mod password;
mod ssl_mode;
mod url;

pub use password::Password;
pub use ssl_mode::SslMode;

use url::config;
pub use url::percent_decode;

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".into(),
            port: 3306,
            socket: None,
            user: "root".into(),
            password: Password::default(),
            database: None,
            max_packet: DEFAULT_MAX_PAYLOAD,
            multi_statements: false,
            found_rows: false,
            deprecate_eof: true,
            session_track: true,
            stmt_cache: 32,
            bulk: true,
            fetch_size: 0,
            direct_execute: false,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: None,
            write_timeout: None,
            collation: 45,
            attributes: Vec::new(),
            ssl_mode: SslMode::Preferred,
            ssl_ca: None,
            ssl_cert: None,
            ssl_key: None,
            ssl_key_log: None,
            server_public_key_path: None,
            get_server_public_key: false,
            enable_cleartext_plugin: false,
            compress: Vec::new(),
            compress_level: None,
            kill_on_cancel: false,
            tcp_keepalive: None,
            hosts: Vec::new(),
            host_selection: HostSelection::Sequential,
            require_writable: false,
            tls_config: None,
            local_infile: None,
            transport: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("database", &self.database)
            .field("max_packet", &self.max_packet)
            .field("multi_statements", &self.multi_statements)
            .field("found_rows", &self.found_rows)
            .field("deprecate_eof", &self.deprecate_eof)
            .field("session_track", &self.session_track)
            .field("stmt_cache", &self.stmt_cache)
            .field("bulk", &self.bulk)
            .field("fetch_size", &self.fetch_size)
            .field("direct_execute", &self.direct_execute)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("collation", &self.collation)
            // Attribute values may carry tokens: show the keys only.
            .field(
                "attributes",
                &self.attributes.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_ca", &self.ssl_ca)
            .field("ssl_cert", &self.ssl_cert)
            .field("ssl_key", &self.ssl_key)
            .field("ssl_key_log", &self.ssl_key_log)
            .field("server_public_key_path", &self.server_public_key_path)
            .field("get_server_public_key", &self.get_server_public_key)
            .field("enable_cleartext_plugin", &self.enable_cleartext_plugin)
            .field("compress", &self.compress)
            .field("compress_level", &self.compress_level)
            .field("kill_on_cancel", &self.kill_on_cancel)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("hosts", &self.hosts)
            .field("host_selection", &self.host_selection)
            .field("require_writable", &self.require_writable)
            .field("tls_config", &self.tls_config.as_ref().map(|_| "custom"))
            .field("local_infile", &self.local_infile)
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl Options {
    /// Options with defaults (root@127.0.0.1:3306, no password).
    pub fn new() -> Self {
        Self::default()
    }

    /// Host name or IP address to connect to (TCP).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// TCP port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Unix socket path (`socket`); TCP is then not used.
    pub fn socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.socket = Some(path.into());
        self
    }

    /// User name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// Password (empty for none).
    pub fn password(mut self, password: impl Into<Password>) -> Self {
        self.password = password.into();
        self
    }

    /// Initial database.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Largest joined packet accepted from the server (`max-packet`).
    pub fn max_packet(mut self, bytes: usize) -> Self {
        self.max_packet = bytes;
        self
    }

    /// Negotiate CLIENT_MULTI_STATEMENTS (`multi-statements`).
    pub fn multi_statements(mut self, on: bool) -> Self {
        self.multi_statements = on;
        self
    }

    /// Negotiate CLIENT_FOUND_ROWS (`found-rows`).
    pub fn found_rows(mut self, on: bool) -> Self {
        self.found_rows = on;
        self
    }

    /// Negotiate CLIENT_DEPRECATE_EOF (`deprecate-eof`).
    pub fn deprecate_eof(mut self, on: bool) -> Self {
        self.deprecate_eof = on;
        self
    }

    /// Negotiate CLIENT_SESSION_TRACK (`session-track`).
    pub fn session_track(mut self, on: bool) -> Self {
        self.session_track = on;
        self
    }

    /// Statements [`crate::Session::exec`] keeps prepared (`stmt-cache`; 0 = none).
    pub fn stmt_cache(mut self, n: usize) -> Self {
        self.stmt_cache = n;
        self
    }

    /// COM_STMT_BULK_EXECUTE for [`crate::Session::exec_batch`] where the server has it
    /// (`bulk`).
    pub fn bulk(mut self, on: bool) -> Self {
        self.bulk = on;
        self
    }

    /// Direct execution on MariaDB (`direct-execute`; see the field).
    pub fn direct_execute(mut self, on: bool) -> Self {
        self.direct_execute = on;
        self
    }

    /// Rows per COM_STMT_FETCH through a cursor (`fetch-size`; 0 = no cursor).
    pub fn fetch_size(mut self, rows: u32) -> Self {
        self.fetch_size = rows;
        self
    }

    /// Time limit for connecting and authenticating (`connect-timeout`; `None`: none).
    pub fn connect_timeout(mut self, d: Option<Duration>) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time limit for each read (`read-timeout`; `None`: none).
    pub fn read_timeout(mut self, d: Option<Duration>) -> Self {
        self.read_timeout = d;
        self
    }

    /// Time limit for each write (`write-timeout`; `None`: none).
    pub fn write_timeout(mut self, d: Option<Duration>) -> Self {
        self.write_timeout = d;
        self
    }

    /// Collation id sent in the handshake.
    pub fn collation(mut self, id: u8) -> Self {
        self.collation = id;
        self
    }

    /// Adds a connection attribute (after mywire's own `_client_name`, `_os`, …).
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// When to use TLS and what to verify (`ssl-mode`).
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = mode;
        self
    }

    /// PEM file of the CA certificate(s) that must sign the server's certificate (`ssl-ca`).
    pub fn ssl_ca(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_ca = Some(path.into());
        self
    }

    /// PEM client certificate chain (`ssl-cert`); needs [`Options::ssl_key`].
    pub fn ssl_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_cert = Some(path.into());
        self
    }

    /// PEM private key of the client certificate (`ssl-key`); needs [`Options::ssl_cert`].
    pub fn ssl_key(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_key = Some(path.into());
        self
    }

    /// File the TLS session secrets are appended to (`ssl-key-log`, NSS key log format).
    pub fn ssl_key_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_key_log = Some(path.into());
        self
    }

    /// PEM file with the server's RSA public key (`server-public-key-path`).
    pub fn server_public_key_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.server_public_key_path = Some(path.into());
        self
    }

    /// Ask the server for its RSA public key over an insecure link (`get-server-public-key`).
    pub fn get_server_public_key(mut self, on: bool) -> Self {
        self.get_server_public_key = on;
        self
    }

    /// Allow `mysql_clear_password` to an unauthenticated peer (`enable-cleartext-plugin`).
    pub fn enable_cleartext_plugin(mut self, on: bool) -> Self {
        self.enable_cleartext_plugin = on;
        self
    }

    /// Compression algorithms in order of preference (`compress`; empty: uncompressed).
    pub fn compress(mut self, algorithms: impl Into<Vec<Algorithm>>) -> Self {
        self.compress = algorithms.into();
        self
    }

    /// Compression level (`compress-level`, 1–22; zlib takes at most 9).
    pub fn compress_level(mut self, level: Option<i32>) -> Self {
        self.compress_level = level;
        self
    }

    /// Stop an abandoned command on the server with `KILL QUERY` (`kill-on-cancel`).
    pub fn kill_on_cancel(mut self, on: bool) -> Self {
        self.kill_on_cancel = on;
        self
    }

    /// TCP keepalive idle time (`tcp-keepalive`; `None`: the OS default).
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.tcp_keepalive = idle;
        self
    }

    /// Several servers to choose from at each connect (see the field); the first also
    /// becomes `host` and `port`.
    pub fn hosts<H: Into<String>>(mut self, hosts: impl IntoIterator<Item = (H, u16)>) -> Self {
        self.hosts = hosts.into_iter().map(|(h, p)| (h.into(), p)).collect();
        if let Some((h, p)) = self.hosts.first() {
            self.host = h.clone();
            self.port = *p;
        }
        self
    }

    /// How a connect orders `hosts` (`host-selection`).
    pub fn host_selection(mut self, selection: HostSelection) -> Self {
        self.host_selection = selection;
        self
    }

    /// With `hosts`: skip a read-only server (`require-writable`).
    pub fn require_writable(mut self, on: bool) -> Self {
        self.require_writable = on;
        self
    }

    /// Uses the caller's own rustls configuration for TLS, on both sessions, instead of the
    /// one mywire builds: its roots, verifier, client certificate, protocol versions and key
    /// log apply. `ssl-ca`, `ssl-cert`, `ssl-key` and `ssl-key-log` must then be left unset
    /// (connecting fails with [`Error::Config`] otherwise). `ssl-mode` still decides whether
    /// TLS is used (`DISABLED`: never; `PREFERRED`: when offered, and not over a Unix socket;
    /// `REQUIRED` and stricter: always, refusing a server without TLS), and whether the peer
    /// counts as authenticated for `mysql_clear_password` (`VERIFY_CA`, `VERIFY_IDENTITY`):
    /// with those modes, the configuration must verify the server's certificate. The server
    /// name given to rustls is `host` (`localhost` over a Unix socket).
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), mywire::Error> {
    /// use std::sync::Arc;
    /// use mywire::session::SslMode;
    /// use mywire::Options;
    /// use rustls::pki_types::{pem::PemObject, CertificateDer};
    ///
    /// let mut roots = rustls::RootCertStore::empty();
    /// for cert in CertificateDer::pem_file_iter("/etc/ssl/db-ca.pem").expect("CA file") {
    ///     roots.add(cert.expect("PEM")).expect("CA certificate");
    /// }
    /// let config = rustls::ClientConfig::builder_with_provider(Arc::new(
    ///     rustls::crypto::ring::default_provider(),
    /// ))
    /// .with_safe_default_protocol_versions()
    /// .expect("TLS versions")
    /// .with_root_certificates(roots)
    /// .with_no_client_auth();
    /// let opts = Options::from_url("mysql://app@db.example/shop")?
    ///     .ssl_mode(SslMode::VerifyIdentity)
    ///     .tls_config(Arc::new(config));
    /// let session = mywire::session::blocking::Session::connect(opts)?;
    /// # Ok(()) }
    /// ```
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls_config = Some(CustomTlsConfig(config));
        self
    }

    /// Adapts each transport the async session's connect opens, before the handshake: `f`
    /// gets the connected TCP or Unix stream (once for each host tried) and returns the stream
    /// the session runs on, for example the same socket driven by another event loop
    /// (`mywire.aio` hands it to asyncio's). TLS, when negotiated, runs over the adapted
    /// stream. An adapted stream is not a Unix socket to the session's security policy (a
    /// cleartext password over it needs TLS), whatever it wraps. The blocking session does not
    /// use it.
    pub fn transport(
        mut self,
        f: impl Fn(Stream) -> std::io::Result<Stream> + Send + Sync + 'static,
    ) -> Self {
        self.transport = Some(TransportAdapter(Arc::new(f)));
        self
    }

    /// The caller's rustls configuration given with [`Options::tls_config`], if any.
    pub fn custom_tls_config(&self) -> Option<&Arc<rustls::ClientConfig>> {
        self.tls_config.as_ref().map(|c| &c.0)
    }

    /// Forgets the configuration given with [`Options::tls_config`]: mywire builds its own
    /// again.
    pub fn clear_tls_config(mut self) -> Self {
        self.tls_config = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let o = Options::from_url(
            "mysql://us%40er:p%3Ass@db.example:3307/my%20db?socket=/tmp/x.sock&max-packet=2048&multi-statements=true&read-timeout=1.5",
        )
        .unwrap();
        assert_eq!(o.user, "us@er");
        assert_eq!(o.password.expose(), "p:ss");
        assert_eq!(o.host, "db.example");
        assert_eq!(o.port, 3307);
        assert_eq!(o.database.as_deref(), Some("my db"));
        assert_eq!(o.socket, Some(PathBuf::from("/tmp/x.sock")));
        assert_eq!(o.max_packet, 2048);
        assert!(o.multi_statements);
        assert_eq!(o.read_timeout, Some(Duration::from_millis(1500)));
        assert!(!format!("{o:?}").contains("p:ss"));
    }

    #[test]
    fn minimal_and_ipv6() {
        let o = Options::from_url("mysql://root@127.0.0.1:3306").unwrap();
        assert_eq!((o.user.as_str(), o.port, o.database), ("root", 3306, None));
        let o = Options::from_url("mariadb://[::1]:3310/").unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 3310));
        assert_eq!(o.endpoint(), "[::1]:3310");
    }

    #[test]
    fn tls_and_auth_options() {
        let o = Options::from_url(
            "mysql://u:pw@h/?ssl-mode=verify_identity&ssl-ca=/c/ca.pem&ssl-cert=/c/cert.pem&ssl_key=/c/key.pem&ssl-key-log=/t/keys.log&server-public-key-path=/k/pub.pem&get-server-public-key=1&enable-cleartext-plugin=true",
        )
        .unwrap();
        assert_eq!(o.ssl_mode, SslMode::VerifyIdentity);
        assert_eq!(o.ssl_ca, Some(PathBuf::from("/c/ca.pem")));
        assert_eq!(o.ssl_cert, Some(PathBuf::from("/c/cert.pem")));
        assert_eq!(o.ssl_key, Some(PathBuf::from("/c/key.pem")));
        assert_eq!(o.ssl_key_log, Some(PathBuf::from("/t/keys.log")));
        assert_eq!(Options::default().ssl_key_log, None);
        assert_eq!(o.server_public_key_path, Some(PathBuf::from("/k/pub.pem")));
        assert!(o.get_server_public_key && o.enable_cleartext_plugin);
        let dbg = format!("{o:?}");
        assert!(
            !dbg.contains("pw") && dbg.contains("VerifyIdentity"),
            "{dbg}"
        );
        for (v, m) in [
            ("DISABLED", SslMode::Disabled),
            ("preferred", SslMode::Preferred),
            ("Required", SslMode::Required),
            ("verify_ca", SslMode::VerifyCa),
            ("VERIFY-IDENTITY", SslMode::VerifyIdentity),
        ] {
            assert_eq!(v.parse::<SslMode>().unwrap(), m);
            assert_eq!(m.as_str().parse::<SslMode>().unwrap(), m);
        }
        assert_eq!(Options::default().ssl_mode, SslMode::Preferred);
        let e = Options::from_url("mysql://h/?ssl-mode=yes").unwrap_err();
        assert!(e.to_string().contains("VERIFY_IDENTITY"), "{e}");
    }

    #[test]
    fn passwords_with_reserved_characters() {
        let o = Options::from_url("mysql://u:pa/ss@w@h:3307/db?socket=/tmp/a@b.sock").unwrap();
        assert_eq!(o.password.expose(), "pa/ss@w");
        assert_eq!((o.host.as_str(), o.port), ("h", 3307));
        assert_eq!(o.database.as_deref(), Some("db"));
        assert_eq!(o.socket, Some(PathBuf::from("/tmp/a@b.sock")));
        let e = Options::from_url("mysql://u:se%zzcret@h/")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("cret"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let o = Options::from_url("mysql://u:hunter2-s%65cret@h/db").unwrap();
        assert_eq!(o.password.expose(), "hunter2-secret");
        let dbg = format!("{o:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains(r#"password: "***""#), "{dbg}");
        assert_eq!(format!("{:#?}", o.password), r#""***""#);
        // No password: nothing to hide, and the Debug output says so.
        let dbg = format!("{:?}", Options::from_url("mysql://u@h/").unwrap());
        assert!(dbg.contains(r#"password: """#), "{dbg}");
        assert_eq!(o.redacted_url(), "mysql://u:***@h:3306/db");
    }

    #[test]
    fn password_is_zeroized_on_drop() {
        // What `Drop` runs: the storage is a `Zeroizing<String>`, whose drop calls `zeroize`.
        fn zeroized_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        let mut p = Password::from("hunter2");
        zeroized_on_drop(&p.0);
        zeroized_on_drop(&p);
        // And `zeroize` really empties the value (the bytes are overwritten before the clear).
        let mut inner: String = (*p.0).clone();
        inner.zeroize();
        assert!(inner.is_empty());
        p.zeroize();
        assert!(p.is_empty() && p.expose().is_empty());
        // A clone is its own zeroizing copy.
        let q = Password::new(String::from("pw"));
        let r = q.clone();
        drop(q);
        assert_eq!(r.expose(), "pw");
    }

    #[test]
    fn config_errors_start_with_the_option_name() {
        for (url, prefix) in [
            ("postgres://x", "url: "),
            ("mysql://h:99999", "port: "),
            ("mysql://h:x/", "port: "),
            ("mysql://[::1/", "host: "),
            ("mysql://%zz@h", "user: "),
            ("mysql://u:%zz@h", "password: "),
            ("mysql://h/d%zz", "database: "),
            ("mysql://h%zz/", "host: "),
            ("mysql://a:1,,b:2/", "host: "),
            ("mysql://h/?nope=1", "nope: "),
            ("mysql://h/?ssl_mode=sometimes", "ssl-mode: "),
            ("mysql://h/?ssl-mode=%zz", "ssl-mode: "),
            ("mysql://h/?max-packet=12", "max-packet: "),
            ("mysql://h/?max-packet=lots", "max-packet: "),
            ("mysql://h/?multi-statements=maybe", "multi-statements: "),
            ("mysql://h/?deprecate-eof=2", "deprecate-eof: "),
            ("mysql://h/?session-track=x", "session-track: "),
            ("mysql://h/?bulk=x", "bulk: "),
            ("mysql://h/?direct-execute=x", "direct-execute: "),
            ("mysql://h/?fetch-size=-1", "fetch-size: "),
            ("mysql://h/?stmt-cache=99999", "stmt-cache: "),
            ("mysql://h/?connect-timeout=soon", "connect-timeout: "),
            ("mysql://h/?read-timeout=-1", "read-timeout: "),
            ("mysql://h/?write-timeout=1e12", "write-timeout: "),
            ("mysql://h/?local-infile-dir=", "local-infile-dir: "),
            ("mysql://h/?local-infile=x", "local-infile: "),
            (
                "mysql://h/?get-server-public-key=x",
                "get-server-public-key: ",
            ),
            (
                "mysql://h/?enable-cleartext-plugin=x",
                "enable-cleartext-plugin: ",
            ),
            ("mysql://h/?compress=lz4", "compress: "),
            ("mysql://h/?compress-level=23", "compress-level: "),
            ("mysql://h/?kill-on-cancel=x", "kill-on-cancel: "),
            ("mysql://h/?tcp-keepalive=x", "tcp-keepalive: "),
            ("mysql://h/?host-selection=best", "host-selection: "),
            ("mysql://h/?require-writable=x", "require-writable: "),
        ] {
            match Options::from_url(url) {
                Err(Error::Config(m)) => assert!(m.starts_with(prefix), "{url}: {m}"),
                other => panic!("{url}: {other:?}"),
            }
        }
        // Secrets are named, not quoted.
        let e = Options::from_url("mysql://h/?password=hunt%zzer2").unwrap_err();
        assert!(!e.to_string().contains("hunt"), "{e}");
        assert!(e.to_string().contains("password: "), "{e}");
    }

    #[test]
    fn setters_build_what_the_url_gives() {
        let a = Options::from_url(
            "mysql://app:pw@db.example:3307/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=/ca.pem\
             &connect-timeout=5&compress=zstd,zlib&stmt-cache=8&socket=/s.sock",
        )
        .unwrap();
        let b = Options::new()
            .host("db.example")
            .port(3307)
            .user("app")
            .password("pw")
            .database("shop")
            .ssl_mode(SslMode::VerifyIdentity)
            .ssl_ca("/ca.pem")
            .connect_timeout(Some(Duration::from_secs(5)))
            .compress([Algorithm::Zstd, Algorithm::Zlib])
            .stmt_cache(8)
            .socket("/s.sock");
        assert_eq!(a, b);
        let h = Options::new().hosts([("a", 1), ("b", 2)]);
        assert_eq!((h.host.as_str(), h.port, h.hosts.len()), ("a", 1, 2));
        // A custom TLS configuration compares by identity and is not shown by Debug.
        let cfg = Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        );
        let c = b.clone().tls_config(cfg.clone());
        assert_ne!(c, b);
        assert_eq!(c, b.clone().tls_config(cfg.clone()));
        assert!(Arc::ptr_eq(c.custom_tls_config().unwrap(), &cfg));
        assert!(format!("{c:?}").contains(r#"tls_config: Some("custom")"#));
        assert_eq!(c.clear_tls_config(), b);
    }

    #[test]
    fn local_infile_parameters() {
        let o = |q: &str| {
            Options::from_url(&format!("mysql://h/?{q}"))
                .unwrap()
                .local_infile
        };
        assert_eq!(Options::default().local_infile, None);
        assert_eq!(o("local-infile=false"), None);
        assert_eq!(o("local-infile=true"), Some(LocalInfile::Any));
        assert_eq!(o("local-infile"), Some(LocalInfile::Any));
        assert_eq!(
            o("local-infile-dir=/a&local_infile_dir=/b"),
            Some(LocalInfile::Dirs(vec!["/a".into(), "/b".into()]))
        );
        // Enabled wins over the directories, as in the mysql client.
        assert_eq!(
            o("local-infile-dir=/a&local-infile=1"),
            Some(LocalInfile::Any)
        );
        assert_eq!(
            o("local-infile=1&local-infile-dir=/a"),
            Some(LocalInfile::Any)
        );
        assert_eq!(
            o("local-infile=0&local-infile-dir=/a&local-infile=0"),
            Some(LocalInfile::Dirs(vec!["/a".into()]))
        );
    }

    #[test]
    fn bad_urls() {
        for u in [
            "postgres://x",
            "mysql://h:99999",
            "mysql://h/?nope=1",
            "mysql://h/?max-packet=12",
            "mysql://%zz@h",
            "mysql://h/?local-infile=maybe",
            "mysql://h/?local-infile-dir=",
        ] {
            assert!(Options::from_url(u).is_err(), "{u}");
        }
    }
}
