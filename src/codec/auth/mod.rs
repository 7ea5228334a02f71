//! Authentication plugins as small sans-IO state machines.
//!
//! The session calls [`AuthState::start`] with the plugin named by the server (in the greeting
//! or an AuthSwitchRequest) and the server's nonce, sends the returned bytes, and then feeds every
//! AuthMoreData payload to [`AuthState::more_data`] until the server sends OK or ERR. An
//! AuthSwitchRequest simply starts a new [`AuthState`] for the named plugin.
//!
//! Nothing here does I/O or reads a clock; randomness and keys come in through [`AuthConfig`], so
//! recorded exchanges are reproducible in tests.

pub mod native;

use std::fmt;

/// What the plugin may do with the password on this connection.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// The link is TLS or a Unix socket: a cleartext password cannot be read off the network.
    pub secure_transport: bool,
}

/// What the plugin wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthAction {
    /// Send this payload as the next packet of the exchange.
    Send(Vec<u8>),
    /// Send nothing; read the next packet (e.g. after caching_sha2 "fast auth success").
    Wait,
}

/// Why authentication could not go on on the client side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The server asked for a plugin this client does not implement.
    UnsupportedPlugin(String),
    /// The server sent AuthMoreData the plugin did not expect (first byte, if any).
    UnexpectedData(Option<u8>),
    /// Sending the password would expose it; the message says which option would allow it.
    Insecure(&'static str),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::UnsupportedPlugin(p) => write!(f, "unsupported authentication plugin `{p}`"),
            AuthError::UnexpectedData(Some(b)) => {
                write!(f, "unexpected auth-more-data from the server (first byte {b:#04x})")
            }
            AuthError::UnexpectedData(None) => f.write_str("unexpected empty auth-more-data"),
            AuthError::Insecure(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for AuthError {}

/// One plugin's exchange in progress.
#[derive(Debug, Clone)]
pub struct AuthState {
    plugin: Plugin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    Native,
}

impl AuthState {
    /// Starts `plugin` with the server's `nonce` (scramble, NUL already stripped); returns the
    /// state and the first auth response to send.
    pub fn start(
        plugin: &[u8],
        nonce: &[u8],
        password: &[u8],
        _cfg: &AuthConfig,
    ) -> Result<(AuthState, Vec<u8>), AuthError> {
        match plugin {
            b"mysql_native_password" => Ok((
                AuthState {
                    plugin: Plugin::Native,
                },
                native::scramble(nonce, password),
            )),
            other => Err(AuthError::UnsupportedPlugin(
                String::from_utf8_lossy(other).into_owned(),
            )),
        }
    }

    /// The plugin's wire name.
    pub fn plugin_name(&self) -> &'static str {
        match self.plugin {
            Plugin::Native => "mysql_native_password",
        }
    }

    /// True when this plugin's first response carries a secret (redacted in traces).
    pub fn response_is_secret(&self) -> bool {
        true
    }

    /// Handles an AuthMoreData payload (the bytes after the 0x01 marker).
    pub fn more_data(&mut self, data: &[u8], _cfg: &AuthConfig) -> Result<AuthAction, AuthError> {
        match self.plugin {
            Plugin::Native => Err(AuthError::UnexpectedData(data.first().copied())),
        }
    }
}
