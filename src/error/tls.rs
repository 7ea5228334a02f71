//! TLS failures at connect time: [`TlsError`] and its [`TlsErrorKind`].

use crate::session::SslMode;
use std::fmt;

/// What went wrong with TLS ([`TlsError::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The ssl-mode requires TLS (`REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`) but the server's
    /// greeting lacks CLIENT_SSL. Nothing was sent to the server.
    NotOffered,
    /// The server's certificate chain does not lead to a trusted CA (`ssl-ca`, the OS trust
    /// store, or the roots of a custom [`rustls::ClientConfig`]).
    UnknownIssuer,
    /// The server's certificate is not valid for the host connected to (`VERIFY_IDENTITY`).
    NameMismatch,
    /// The server's certificate has expired.
    Expired,
    /// The server's certificate is not valid yet.
    NotYetValid,
    /// The server's certificate was rejected for another reason (a bad signature, a wrong
    /// purpose, revoked, badly encoded, …; [`TlsError::certificate_error`] says which).
    BadCertificate,
    /// Any other failure of the TLS handshake: an alert from the server (e.g. it refused our
    /// client certificate), no protocol version or cipher suite in common, a malformed
    /// handshake message.
    Handshake,
}

/// A TLS failure at connect time ([`Error::Tls`]): what failed ([`TlsError::kind`]), where
/// (endpoint, ssl-mode, CA) and, for a failed handshake, rustls's error as
/// [`std::error::Error::source`].
///
/// ```no_run
/// use mywire::{Options, Session, TlsErrorKind};
///
/// # async fn demo() -> Result<(), mywire::Error> {
/// let opts = Options::from_url("mysql://app@db.example/shop?ssl-mode=VERIFY_IDENTITY")?;
/// match Session::connect(opts).await {
///     Ok(session) => session.close().await?,
///     Err(e) => match e.tls_error().map(|t| t.kind()) {
///         Some(TlsErrorKind::UnknownIssuer) => eprintln!("set ssl-ca to the server's CA: {e}"),
///         Some(TlsErrorKind::Expired) => eprintln!("the server's certificate expired: {e}"),
///         Some(TlsErrorKind::NotOffered) => eprintln!("the server has no TLS: {e}"),
///         _ => return Err(e),
///     },
/// }
/// # Ok(()) }
/// ```
///
/// [`Error::Tls`]: super::Error::Tls
#[derive(Debug)]
pub struct TlsError {
    kind: TlsErrorKind,
    ssl_mode: SslMode,
    endpoint: String,
    /// The CA the certificate was checked against, for the message (`, ssl-ca `…``).
    ca: String,
    /// What failed, in words.
    detail: String,
    source: Option<rustls::Error>,
}

impl TlsError {
    /// The server does not offer TLS although `ssl_mode` requires it.
    pub(crate) fn not_offered(ssl_mode: SslMode, endpoint: String) -> TlsError {
        TlsError {
            kind: TlsErrorKind::NotOffered,
            ssl_mode,
            endpoint,
            ca: String::new(),
            detail: String::new(),
            source: None,
        }
    }

    /// A handshake that failed with rustls's `error`; `ca` describes the trust anchors
    /// (empty when no certificate was checked).
    pub(crate) fn handshake(
        error: rustls::Error,
        ssl_mode: SslMode,
        endpoint: String,
        ca: String,
        host: &str,
    ) -> TlsError {
        use rustls::CertificateError as C;
        let (kind, detail) = match &error {
            rustls::Error::InvalidCertificate(ce) => match ce {
                C::UnknownIssuer => (
                    TlsErrorKind::UnknownIssuer,
                    "the server's certificate is not signed by a trusted CA (unknown issuer)"
                        .to_string(),
                ),
                C::NotValidForName => (
                    TlsErrorKind::NameMismatch,
                    format!(
                        "the server's certificate is not valid for host `{host}` (name mismatch)"
                    ),
                ),
                C::NotValidForNameContext {
                    expected,
                    presented,
                } => (
                    TlsErrorKind::NameMismatch,
                    format!(
                        "the server's certificate is not valid for host `{}` (name mismatch; \
                         the certificate names {})",
                        expected.to_str(),
                        presented.join(", ")
                    ),
                ),
                C::Expired | C::ExpiredContext { .. } => (
                    TlsErrorKind::Expired,
                    format!("the server's certificate has expired ({ce})"),
                ),
                C::NotValidYet | C::NotValidYetContext { .. } => (
                    TlsErrorKind::NotYetValid,
                    format!("the server's certificate is not valid yet ({ce})"),
                ),
                other => (
                    TlsErrorKind::BadCertificate,
                    format!("the server's certificate was rejected: {other}"),
                ),
            },
            rustls::Error::AlertReceived(alert) => (
                TlsErrorKind::Handshake,
                format!("the server aborted the TLS handshake with alert {alert:?}"),
            ),
            other => (TlsErrorKind::Handshake, other.to_string()),
        };
        TlsError {
            kind,
            ssl_mode,
            endpoint,
            ca,
            detail,
            source: Some(error),
        }
    }

    /// What failed.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// The ssl-mode in force (`PREFERRED` with `ssl-ca` counts as `VERIFY_CA`).
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// The server connected to (`host:port` or the socket path).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// rustls's error, for a failed handshake (also [`std::error::Error::source`]).
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        self.source.as_ref()
    }

    /// The certificate check that failed, when the server's certificate was rejected.
    pub fn certificate_error(&self) -> Option<&rustls::CertificateError> {
        match &self.source {
            Some(rustls::Error::InvalidCertificate(ce)) => Some(ce),
            _ => None,
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TlsErrorKind::NotOffered => write!(
                f,
                "ssl-mode={} but the server at {} does not offer TLS (no CLIENT_SSL in its \
                 greeting); nothing was sent",
                self.ssl_mode, self.endpoint
            ),
            _ => write!(
                f,
                "TLS handshake with {} failed (ssl-mode={}{}): {}",
                self.endpoint, self.ssl_mode, self.ca, self.detail
            ),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
