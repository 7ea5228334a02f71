//! The public error type.
use crate::codec::auth::AuthError;
use crate::codec::ErrorKind as ParseErrorKind;
use crate::codec::ParseError;
use std::fmt;

mod tls;
pub use tls::{TlsError, TlsErrorKind};

/// An ERR packet from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The error code (e.g. 1045).
    pub code: u16,
    /// The five-character SQLSTATE (e.g. `28000`), `HY000` when the server sent none.
    pub sql_state: String,
    /// The message, as the server sent it.
    pub message: String,
    /// Advice mywire adds for this error (not from the server), shown after the message:
    /// e.g. for ER_UNSUPPORTED_PS on a prepare, that `query` runs the statement.
    pub hint: Option<&'static str>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ERROR {} ({}): {}",
            self.code, self.sql_state, self.message
        )?;
        match self.hint {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ServerError {}

/// A cell that could not be read as the requested type ([`Error::Column`]): which column (index
/// and name), its SQL type, the Rust type asked for and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnError {
    /// The column's index in the row (0-based).
    pub index: usize,
    /// The column's name (its alias), lossy UTF-8.
    pub name: String,
    /// The column's SQL type as the column definition declares it (`TIME`, `LONGLONG
    /// UNSIGNED`, …).
    pub sql_type: String,
    /// The conversion's error: `field` names the Rust type asked for (`"i64"`,
    /// `"chrono::NaiveTime"`, …), `kind` what was wrong ([`ParseErrorKind::OutOfRange`] for a
    /// value that does not fit, [`ParseErrorKind::InvalidValue`] for a column type the type
    /// does not read, [`ParseErrorKind::UnexpectedNull`] for NULL into a type without one).
    pub error: ParseError,
}

impl ColumnError {
    /// What was wrong (`error.kind`).
    pub fn kind(&self) -> ParseErrorKind {
        self.error.kind
    }

    /// The Rust type asked for (`error.field`).
    pub fn rust_type(&self) -> &'static str {
        self.error.field
    }
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {} `{}` ({}): ",
            self.index, self.name, self.sql_type
        )?;
        if self.error.kind == ParseErrorKind::UnexpectedNull {
            write!(
                f,
                "NULL, which {} cannot hold (read an Option)",
                self.error.field
            )
        } else {
            write!(
                f,
                "cannot read as {}: {}",
                self.error.field, self.error.kind
            )
        }
    }
}

impl std::error::Error for ColumnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A LOCAL INFILE request that was not served ([`Error::LocalInfileRefused`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInfileRefusal {
    /// The file name the server asked for, as it sent it.
    pub name: String,
    /// Why it was not sent.
    pub reason: InfileRefusalReason,
}

impl LocalInfileRefusal {
    /// True when the refusal came after part of the file was sent: the connection was then
    /// closed (so the server cannot load a truncated file) and the session is broken.
    pub fn breaks_connection(&self) -> bool {
        matches!(
            self.reason,
            InfileRefusalReason::Interrupted { .. } | InfileRefusalReason::Abandoned { .. }
        )
    }
}

impl fmt::Display for LocalInfileRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LOCAL INFILE `{}` refused: ", self.name)?;
        match &self.reason {
            InfileRefusalReason::NotEnabled => f.write_str(
                "LOCAL INFILE is not enabled (Options::local_infile, `local-infile=true` or \
                 `local-infile-dir=DIR`); nothing was sent",
            ),
            InfileRefusalReason::NotInStatement => f.write_str(
                "the statement sent names no such LOCAL INFILE file (a server may only ask for \
                 the file the statement names); nothing was sent",
            ),
            InfileRefusalReason::OutsideAllowedDirs => f.write_str(
                "the file is not inside the allowed directories (`local-infile-dir`, symbolic \
                 links resolved); nothing was sent",
            ),
            InfileRefusalReason::Unreadable(e) => {
                write!(f, "the file cannot be read ({e}); nothing was sent")
            }
            InfileRefusalReason::Interrupted { sent, error } => write!(
                f,
                "reading the file failed after {sent} bytes were sent ({error}); the connection \
                 was closed so that the server does not load a truncated file"
            ),
            InfileRefusalReason::Abandoned { sent } => write!(
                f,
                "the transfer was abandoned (a dropped future) after {sent} bytes were sent; \
                 the connection was closed so that the server does not load a truncated file"
            ),
        }
    }
}

/// Why a LOCAL INFILE request was refused ([`LocalInfileRefusal::reason`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InfileRefusalReason {
    /// LOCAL INFILE was not opted in to ([`crate::Options::local_infile`]): the default.
    NotEnabled,
    /// The name is not one a `LOAD DATA LOCAL INFILE 'name'` of the statement sent names
    /// (a rogue server asking for another file, or for one without any such statement).
    NotInStatement,
    /// The file's canonical path (symbolic links resolved) is not inside any of the allowed
    /// directories ([`crate::session::LocalInfile::Dirs`]).
    OutsideAllowedDirs,
    /// The file could not be opened or read (or the reader callback failed) before anything
    /// was sent.
    Unreadable(String),
    /// Reading failed after `sent` bytes of the file had been sent: the session is broken
    /// and its connection closed.
    Interrupted {
        /// Bytes of the file already sent.
        sent: u64,
        /// The read error.
        error: String,
    },
    /// The call sending the file was cancelled (its future dropped) after `sent` bytes: the
    /// session is broken and its connection closed.
    Abandoned {
        /// Bytes of the file already sent.
        sent: u64,
    },
}

/// Every error mywire returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on the connection.
    Io(std::io::Error),
    /// The server sent bytes that do not follow the protocol.
    Protocol(ParseError),
    /// The server answered with an ERR packet.
    Server(ServerError),
    /// Authentication could not proceed on the client side.
    Auth(AuthError),
    /// The options or URL are invalid. The message starts with the option's name
    /// (``ssl-mode: …``), or says what part of the URL is wrong.
    Config(String),
    /// TLS could not be set up: the server does not offer it although the ssl-mode requires
    /// it, its certificate was rejected, or the handshake failed ([`TlsError::kind`]).
    Tls(Box<TlsError>),
    /// The session was broken by an earlier error; the string says which.
    Broken(String),
    /// A timeout elapsed.
    Timeout(&'static str),
    /// The server asked for a local file (LOAD DATA LOCAL INFILE) that was not sent: what it
    /// asked for and why not. Unless [`LocalInfileRefusal::breaks_connection`], the request
    /// was answered with an empty packet and the server's reply consumed (the session goes
    /// on).
    LocalInfileRefused(Box<LocalInfileRefusal>),
    /// A value could not be converted (outside a row: a cell's text, a parameter).
    Value(ParseError),
    /// A cell of a row could not be converted to the requested type (wrong type, out of
    /// range, malformed, NULL for a type that has none): names the column and its SQL type.
    Column(Box<ColumnError>),
    /// The API was used in a way that cannot work (e.g. a column index out of range).
    Usage(String),
    /// A batch of executes (`exec_batch`) failed: the first error, the rows it concerns, and
    /// what the commands that succeeded did.
    Batch(Box<crate::proto::BatchError>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Server(e) => e.fmt(f),
            Error::Auth(e) => write!(f, "authentication error: {e}"),
            Error::Config(e) => write!(f, "configuration error: {e}"),
            Error::Tls(e) => e.fmt(f),
            Error::Broken(e) => write!(f, "connection broken by an earlier error: {e}"),
            Error::Timeout(what) => write!(f, "{what} timed out"),
            Error::LocalInfileRefused(r) => r.fmt(f),
            Error::Value(e) => write!(f, "value conversion failed: {e}"),
            Error::Column(e) => e.fmt(f),
            Error::Usage(e) => f.write_str(e),
            Error::Batch(e) => e.fmt(f),
        }
    }
}

/// What kind of failure an [`Error`] is, for deciding what to do about it
/// ([`Error::kind`], [`Error::is_transient`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be made: refused, unreachable, no such host.
    ConnectFailed,
    /// The connection was lost or reset (an I/O error or end of stream on an open
    /// connection, a session broken by one, MariaDB's ERR 1927 "Connection was killed").
    ConnectionLost,
    /// The server closed an idle connection (MySQL 8.0.24+ ERR 4031,
    /// ER_CLIENT_INTERACTION_TIMEOUT).
    ClosedByServer,
    /// The server is shutting down (ERR 1053, ER_SERVER_SHUTDOWN).
    ServerShutdown,
    /// The transaction was rolled back by a deadlock, or by a Galera certification failure
    /// at COMMIT (ERR 1213, ER_LOCK_DEADLOCK): run the transaction again.
    Deadlock,
    /// A lock wait timed out (ERR 1205, ER_LOCK_WAIT_TIMEOUT).
    LockWaitTimeout,
    /// The server is read-only (ERR 1290 for `--read-only` / `--super-read-only`, ERR 1836
    /// ER_READ_ONLY_MODE): writes must go to another server.
    ReadOnly,
    /// A Galera node that is not ready for queries (ERR 1047 "WSREP has not yet prepared
    /// node for application use"), or that lost the primary component while committing (ERR
    /// 1180 "… provider status: Not connected to Primary Component"; the transaction was
    /// rolled back).
    NodeNotReady,
    /// A client-side timeout (connect, read, write).
    Timeout,
    /// Any other ERR from the server (a syntax error, a missing table, access denied…).
    Server,
    /// The server broke the protocol.
    Protocol,
    /// Authentication could not proceed on the client side.
    Auth,
    /// Invalid options.
    Config,
    /// TLS could not be set up ([`Error::Tls`]): not offered by the server, a rejected
    /// certificate, a failed handshake. Not transient: the same server will fail the same way.
    Tls,
    /// A value could not be converted.
    Value,
    /// The API was used wrongly.
    Usage,
    /// A LOCAL INFILE request was refused.
    LocalInfileRefused,
}

/// The kind of an ERR packet's code (and message, where the code is shared).
fn server_kind(e: &ServerError) -> ErrorKind {
    match e.code {
        1053 => ErrorKind::ServerShutdown,
        1213 => ErrorKind::Deadlock,
        1205 => ErrorKind::LockWaitTimeout,
        1836 => ErrorKind::ReadOnly,
        // ER_OPTION_PREVENTS_STATEMENT names the option: only read-only ones are "read-only".
        1290 if e.message.contains("read-only") || e.message.contains("read_only") => {
            ErrorKind::ReadOnly
        }
        // ER_UNKNOWN_COM_ERROR: Galera's "not ready" uses it; so does an unknown command.
        1047 if e.message.contains("WSREP") => ErrorKind::NodeNotReady,
        // ER_ERROR_DURING_COMMIT: MariaDB's wsrep code reuses it with the provider's status;
        // "Not connected to Primary Component" is wsrep-lib's text for a node cut off from the
        // group mid-commit (seen under load while another node was killed; protocol-notes/galera.md).
        1180 if e.message.contains("Not connected to Primary Component") => ErrorKind::NodeNotReady,
        4031 => ErrorKind::ClosedByServer,
        1927 => ErrorKind::ConnectionLost,
        _ => ErrorKind::Server,
    }
}

impl Error {
    /// What kind of failure this is (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use std::io::ErrorKind as Io;
        match self {
            Error::Io(e) => match e.kind() {
                Io::ConnectionRefused
                | Io::HostUnreachable
                | Io::NetworkUnreachable
                | Io::AddrNotAvailable
                | Io::NotFound => ErrorKind::ConnectFailed,
                Io::TimedOut | Io::WouldBlock => ErrorKind::Timeout,
                _ => ErrorKind::ConnectionLost,
            },
            Error::Broken(_) => ErrorKind::ConnectionLost,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Server(e) => server_kind(e),
            Error::Batch(b) => b.error.kind(),
            Error::Protocol(_) => ErrorKind::Protocol,
            Error::Auth(_) => ErrorKind::Auth,
            Error::Config(_) => ErrorKind::Config,
            Error::Tls(_) => ErrorKind::Tls,
            Error::Value(_) | Error::Column(_) => ErrorKind::Value,
            Error::Usage(_) => ErrorKind::Usage,
            Error::LocalInfileRefused(_) => ErrorKind::LocalInfileRefused,
        }
    }

    /// True when the same work may succeed if tried again — on a new connection, on another
    /// server, or as a new transaction: a failed or lost connection, a connection the server
    /// closed, a shutdown, a deadlock or certification failure, a lock wait timeout, a
    /// read-only or not-ready node, a client timeout. It says nothing about whether retrying
    /// is safe: a connection lost in the middle of a transaction lost the transaction, and a
    /// statement that timed out may have run.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::ConnectFailed
                | ErrorKind::ConnectionLost
                | ErrorKind::ClosedByServer
                | ErrorKind::ServerShutdown
                | ErrorKind::Deadlock
                | ErrorKind::LockWaitTimeout
                | ErrorKind::ReadOnly
                | ErrorKind::NodeNotReady
                | ErrorKind::Timeout
        )
    }

    /// The server error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(e) => Some(e),
            Error::Batch(b) => b.error.server_error(),
            _ => None,
        }
    }

    /// The TLS error, if this is one ([`Error::Tls`]).
    pub fn tls_error(&self) -> Option<&TlsError> {
        match self {
            Error::Tls(e) => Some(e),
            _ => None,
        }
    }

    /// The conversion error of a value or a cell ([`Error::Value`], [`Error::Column`]).
    pub fn value_error(&self) -> Option<&ParseError> {
        match self {
            Error::Value(e) => Some(e),
            Error::Column(e) => Some(&e.error),
            _ => None,
        }
    }

    /// The column a cell conversion failed on ([`Error::Column`]).
    pub fn column_error(&self) -> Option<&ColumnError> {
        match self {
            Error::Column(e) => Some(e),
            _ => None,
        }
    }

    /// True if this error left the session unusable.
    pub fn is_fatal(&self) -> bool {
        match self {
            Error::Io(_)
            | Error::Protocol(_)
            | Error::Broken(_)
            | Error::Timeout(_)
            | Error::Tls(_) => true,
            Error::LocalInfileRefused(r) => r.breaks_connection(),
            _ => false,
        }
    }

    /// The LOCAL INFILE refusal, if this is one.
    pub fn local_infile_refusal(&self) -> Option<&LocalInfileRefusal> {
        match self {
            Error::LocalInfileRefused(r) => Some(r),
            _ => None,
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Protocol(e) => Some(e),
            Error::Auth(e) => Some(e),
            Error::Tls(e) => Some(e.as_ref()),
            Error::Value(e) => Some(e),
            Error::Column(e) => Some(&e.error),
            Error::Batch(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}
impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Protocol(e)
    }
}
impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SslMode;

    #[test]
    fn error_is_a_std_error_that_crosses_threads() {
        fn assert_bounds<T: std::error::Error + Send + Sync + 'static>() {}
        assert_bounds::<Error>();
        assert_bounds::<ServerError>();
        let e = Error::Server(ServerError {
            code: 1146,
            sql_state: "42S02".into(),
            message: "Table 'x.y' doesn't exist".into(),
            hint: None,
        });
        assert_eq!(
            e.to_string(),
            "ERROR 1146 (42S02): Table 'x.y' doesn't exist"
        );
        assert!(!e.is_fatal());
        assert!(Error::Broken("x".into()).is_fatal());
    }

    #[test]
    fn tls_errors_by_certificate_error() {
        use rustls::CertificateError as C;
        let cases = [
            (
                C::UnknownIssuer,
                TlsErrorKind::UnknownIssuer,
                "unknown issuer",
            ),
            (
                C::NotValidForName,
                TlsErrorKind::NameMismatch,
                "name mismatch",
            ),
            (C::Expired, TlsErrorKind::Expired, "expired"),
            (C::NotValidYet, TlsErrorKind::NotYetValid, "not valid yet"),
            (C::BadSignature, TlsErrorKind::BadCertificate, "rejected"),
            (C::Revoked, TlsErrorKind::BadCertificate, "rejected"),
        ];
        for (ce, kind, words) in cases {
            let t = TlsError::handshake(
                rustls::Error::InvalidCertificate(ce),
                SslMode::VerifyIdentity,
                "db:3306".into(),
                ", ssl-ca `/ca.pem`".into(),
                "db",
            );
            assert_eq!(t.kind(), kind);
            let m = t.to_string();
            assert!(
                m.starts_with(
                    "TLS handshake with db:3306 failed (ssl-mode=VERIFY_IDENTITY, ssl-ca \
                     `/ca.pem`): "
                ) && m.contains(words),
                "{m}"
            );
            assert!(t.certificate_error().is_some());
            let e = Error::Tls(Box::new(t));
            let src = std::error::Error::source(&e).and_then(|t| t.source());
            assert!(
                matches!(
                    src.and_then(|r| r.downcast_ref::<rustls::Error>()),
                    Some(rustls::Error::InvalidCertificate(_))
                ),
                "{e}"
            );
            assert!(e.is_fatal() && !e.is_transient());
        }
        let t = TlsError::handshake(
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
            SslMode::Required,
            "db:3306".into(),
            String::new(),
            "db",
        );
        assert_eq!(t.kind(), TlsErrorKind::Handshake);
        assert!(t.certificate_error().is_none() && t.rustls_error().is_some());
        assert!(t.to_string().contains("CertificateRequired"), "{t}");
    }

    fn server(code: u16, message: &str) -> Error {
        Error::Server(ServerError {
            code,
            sql_state: "HY000".into(),
            message: message.into(),
            hint: None,
        })
    }

    #[test]
    fn kinds_and_transience() {
        use std::io::ErrorKind as Io;
        let cases: Vec<(Error, ErrorKind, bool)> = vec![
            (
                server(1053, "Server shutdown in progress"),
                ErrorKind::ServerShutdown,
                true,
            ),
            (
                server(
                    1213,
                    "Deadlock found when trying to get lock; try restarting transaction",
                ),
                ErrorKind::Deadlock,
                true,
            ),
            (
                server(
                    1205,
                    "Lock wait timeout exceeded; try restarting transaction",
                ),
                ErrorKind::LockWaitTimeout,
                true,
            ),
            (
                server(
                    1290,
                    "The MariaDB server is running with the --read-only option so it cannot \
                     execute this statement",
                ),
                ErrorKind::ReadOnly,
                true,
            ),
            (
                server(
                    1290,
                    "The MySQL server is running with the --secure-file-priv option so it \
                     cannot execute this statement",
                ),
                ErrorKind::Server,
                false,
            ),
            (
                server(1836, "Running in read-only mode"),
                ErrorKind::ReadOnly,
                true,
            ),
            (
                server(1047, "WSREP has not yet prepared node for application use"),
                ErrorKind::NodeNotReady,
                true,
            ),
            (server(1047, "Unknown command"), ErrorKind::Server, false),
            (
                server(
                    1180,
                    "Error while appending streaming replication fragment(provider status: \
                     Not connected to Primary Component)",
                ),
                ErrorKind::NodeNotReady,
                true,
            ),
            (
                server(
                    1180,
                    "Got error 28 \"No space left on device\" during COMMIT",
                ),
                ErrorKind::Server,
                false,
            ),
            (
                server(
                    4031,
                    "The client was disconnected by the server because of inactivity. See \
                     wait_timeout and interactive_timeout for configuring this behavior.",
                ),
                ErrorKind::ClosedByServer,
                true,
            ),
            (
                server(1927, "Connection was killed"),
                ErrorKind::ConnectionLost,
                true,
            ),
            (
                server(1146, "Table 'x.y' doesn't exist"),
                ErrorKind::Server,
                false,
            ),
            (server(1045, "Access denied"), ErrorKind::Server, false),
            (
                Error::Io(Io::ConnectionReset.into()),
                ErrorKind::ConnectionLost,
                true,
            ),
            (
                Error::Io(Io::UnexpectedEof.into()),
                ErrorKind::ConnectionLost,
                true,
            ),
            (
                Error::Io(Io::ConnectionRefused.into()),
                ErrorKind::ConnectFailed,
                true,
            ),
            (
                Error::Broken("I/O error".into()),
                ErrorKind::ConnectionLost,
                true,
            ),
            (Error::Timeout("read"), ErrorKind::Timeout, true),
            (
                Error::Protocol(ParseError::new(
                    crate::codec::Packet::Ok,
                    "header",
                    crate::codec::ErrorKind::Truncated,
                )),
                ErrorKind::Protocol,
                false,
            ),
            (Error::Config("x".into()), ErrorKind::Config, false),
            (Error::Usage("x".into()), ErrorKind::Usage, false),
            (
                Error::Tls(Box::new(TlsError::not_offered(
                    SslMode::Required,
                    "h:3306".into(),
                ))),
                ErrorKind::Tls,
                false,
            ),
            (
                Error::Tls(Box::new(TlsError::handshake(
                    rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
                    SslMode::VerifyCa,
                    "h:3306".into(),
                    String::new(),
                    "h",
                ))),
                ErrorKind::Tls,
                false,
            ),
        ];
        for (e, kind, transient) in cases {
            assert_eq!((e.kind(), e.is_transient()), (kind, transient), "{e}");
        }
    }
}
