//! [`SslMode`]: the `ssl-mode` option.

use super::config;
use crate::Error;

/// When to use TLS and how much of the server's certificate to check (`ssl-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Never use TLS.
    Disabled,
    /// TLS if the server offers it (not over a Unix socket), plaintext otherwise; no certificate
    /// check. Open to TLS stripping by an active attacker.
    #[default]
    Preferred,
    /// Always TLS (also over a Unix socket); a server without TLS is refused before anything is
    /// sent. No certificate check: protects against eavesdroppers, not against a man in the middle.
    Required,
    /// Like `Required`, and the certificate chain must lead to `ssl-ca` (or, without `ssl-ca`, to
    /// the OS trust store). The host name is not checked.
    VerifyCa,
    /// Like `VerifyCa`, and the certificate must name the host connected to (DNS name or IP).
    VerifyIdentity,
}

impl SslMode {
    /// The option value (`PREFERRED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    /// True for the modes that refuse to continue without TLS.
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Required | SslMode::VerifyCa | SslMode::VerifyIdentity
        )
    }
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SslMode {
    type Err = Error;

    fn from_str(v: &str) -> Result<Self, Error> {
        match v.to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" => Ok(SslMode::Disabled),
            "PREFERRED" => Ok(SslMode::Preferred),
            "REQUIRED" => Ok(SslMode::Required),
            "VERIFY_CA" => Ok(SslMode::VerifyCa),
            "VERIFY_IDENTITY" => Ok(SslMode::VerifyIdentity),
            _ => Err(config(format!(
                "ssl-mode: must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY, \
                 not `{v}`"
            ))),
        }
    }
}
