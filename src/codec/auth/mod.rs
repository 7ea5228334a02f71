//! Authentication plugins as small sans-IO state machines.
//!
//! The session calls [`AuthState::start`] with the plugin named by the server (in the greeting
//! or an AuthSwitchRequest) and the server's nonce, sends the returned bytes, and then feeds every
//! AuthMoreData payload to [`AuthState::more_data`] until the server sends OK or ERR. An
//! AuthSwitchRequest simply starts a new [`AuthState`] for the named plugin (at most
//! [`MAX_AUTH_ROUNDS`] times).
//!
//! Nothing here does I/O or reads a clock; randomness and keys come in through [`AuthConfig`], so
//! recorded exchanges are reproducible in tests.
//!
//! Plugins: `mysql_native_password`, `caching_sha2_password`, `sha256_password`,
//! `mysql_clear_password`, `client_ed25519` (MariaDB) and `unix_socket` (MariaDB). Anything else
//! (`dialog`, `auth_gssapi_client`, `parsec`, ...) is [`AuthError::UnsupportedPlugin`].

pub mod caching_sha2;
pub mod ed25519;
pub mod native;
pub mod rsa_password;
pub mod sha256;

use std::fmt;
use zeroize::Zeroizing;

/// How many AuthSwitchRequests a session should follow before giving up (a loop guard; real
/// servers switch at most once or twice).
pub const MAX_AUTH_ROUNDS: usize = 8;

/// What the plugin may do with the password on this connection.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// The link is TLS (certificate verified or not) or a Unix socket: an eavesdropper cannot
    /// read a password sent inside it. Over unverified TLS (ssl-mode `PREFERRED`/`REQUIRED`) a
    /// man in the middle still can: he terminates the TLS himself. `caching_sha2_password` and
    /// `sha256_password` send the password when this is set (as the MySQL clients do).
    pub secure_transport: bool,
    /// The peer is authenticated: a Unix socket, or TLS whose certificate was verified
    /// (ssl-mode `VERIFY_CA` / `VERIFY_IDENTITY`). Implies `secure_transport`.
    /// `mysql_clear_password` sends the password only then, or with `enable_cleartext_plugin`.
    pub verified_peer: bool,
    /// The server's RSA public key, PEM text (PKCS#1 `BEGIN RSA PUBLIC KEY` or SPKI
    /// `BEGIN PUBLIC KEY`), as read from the file named by option `server-public-key-path`.
    /// Used by `caching_sha2_password` and `sha256_password` over an insecure link.
    pub server_public_key: Option<Vec<u8>>,
    /// Option `get-server-public-key`: over an insecure link without a configured key, ask the
    /// server for its RSA key. Off by default: a key fetched over plain TCP can be replaced by a
    /// man in the middle, who then learns the password.
    pub get_server_public_key: bool,
    /// Option `enable-cleartext-plugin`: allow `mysql_clear_password` to an unauthenticated peer
    /// (plain TCP, or TLS without certificate verification).
    pub enable_cleartext_plugin: bool,
    /// For tests and reproducible traces only: seed of the ChaCha20 RNG used for RSA-OAEP
    /// padding instead of the OS RNG. Never set it on a real connection: with known randomness
    /// an eavesdropper can test password guesses against the ciphertext.
    pub rng_seed: Option<[u8; 32]>,
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
    /// The server asked for `mysql_clear_password` over TLS whose certificate was not verified
    /// (ssl-mode `PREFERRED` or `REQUIRED`): the link is encrypted, but to a peer nobody
    /// authenticated, who may be a man in the middle. Nothing was sent. The message names the
    /// three ways out: a Unix socket, a verified certificate (`VERIFY_CA` / `VERIFY_IDENTITY`),
    /// or `enable-cleartext-plugin=true`.
    UnverifiedPeer,
    /// The server's RSA public key (configured or sent by the server) could not be parsed.
    PublicKey(String),
    /// RSA encryption of the password failed (typically: password too long for the key).
    Encrypt(String),
    /// The server kept switching plugins / asking for more data: the exchange was abandoned
    /// after this many rounds ([`MAX_AUTH_ROUNDS`]).
    TooManyRounds(usize),
    /// The server's nonce has a length the plugin cannot use.
    BadNonce {
        /// The plugin (or step) that needed the nonce.
        plugin: &'static str,
        /// The length received.
        len: usize,
    },
    /// A first auth response longer than COM_CHANGE_USER's one-byte length can carry.
    ResponseTooLong {
        /// The plugin whose response it is.
        plugin: &'static str,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::UnsupportedPlugin(p) => write!(f, "unsupported authentication plugin `{p}`"),
            AuthError::UnexpectedData(Some(b)) => {
                write!(
                    f,
                    "unexpected auth-more-data from the server (first byte {b:#04x})"
                )
            }
            AuthError::UnexpectedData(None) => f.write_str("unexpected empty auth-more-data"),
            AuthError::Insecure(why) => f.write_str(why),
            AuthError::UnverifiedPeer => f.write_str(UNVERIFIED_PEER_CLEARTEXT),
            AuthError::PublicKey(why) => write!(f, "server RSA public key: {why}"),
            AuthError::Encrypt(why) => f.write_str(why),
            AuthError::TooManyRounds(n) => write!(
                f,
                "the server sent more than {n} auth-switch / auth-more-data requests; \
                 giving up (a server that keeps switching plugins is misbehaving or hostile)"
            ),
            AuthError::BadNonce { plugin, len } => {
                write!(f, "{plugin}: unusable {len}-byte nonce from the server")
            }
            AuthError::ResponseTooLong { plugin, len } => write!(
                f,
                "{plugin}: the {len}-byte auth response does not fit COM_CHANGE_USER \
                 (at most 255 bytes); nothing was sent"
            ),
        }
    }
}

impl std::error::Error for AuthError {}

/// The message shown when `mysql_clear_password` would send the password unprotected (plain
/// TCP).
pub const INSECURE_CLEARTEXT: &str = "the server asked for mysql_clear_password, which would \
    send the password in clear over an unencrypted TCP connection; nothing was sent. To allow \
    it, connect over a Unix socket, or use TLS with a verified server certificate \
    (ssl-mode=VERIFY_CA or VERIFY_IDENTITY, with ssl-ca), or set enable-cleartext-plugin=true";

/// The message of [`AuthError::UnverifiedPeer`].
pub const UNVERIFIED_PEER_CLEARTEXT: &str = "the server asked for mysql_clear_password, which \
    would send the password itself, but the server's TLS certificate was not verified \
    (ssl-mode PREFERRED or REQUIRED), so the peer may be a man in the middle; nothing was sent. \
    To allow it, connect over a Unix socket, or verify the server's certificate \
    (ssl-mode=VERIFY_CA or VERIFY_IDENTITY, with ssl-ca), or set enable-cleartext-plugin=true";

/// One plugin's exchange in progress.
///
/// It keeps the password (zeroed on drop) and nonce for the later steps of the exchange; its
/// `Debug` output shows neither.
#[derive(Clone)]
pub struct AuthState {
    plugin: Plugin,
    password: Zeroizing<Vec<u8>>,
    nonce: Vec<u8>,
}

impl fmt::Debug for AuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthState")
            .field("plugin", &self.plugin)
            .field("password", &"<redacted>")
            .field("nonce_len", &self.nonce.len())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    Native,
    CachingSha2(caching_sha2::Step),
    Sha256(sha256::Step),
    Cleartext,
    Ed25519,
    UnixSocket,
}

/// Whether `mysql_clear_password` may send the password: only to an authenticated peer (Unix
/// socket, verified TLS certificate) or with `enable-cleartext-plugin`. Encryption alone is not
/// enough: a man in the middle answering the SSLRequest with any certificate, then switching
/// the client to this plugin, would read the password (and it is the one plugin a server can
/// switch to that gets the password without any proof of the server's identity).
fn cleartext_allowed(cfg: &AuthConfig) -> Result<(), AuthError> {
    if cfg.verified_peer || cfg.enable_cleartext_plugin {
        Ok(())
    } else if cfg.secure_transport {
        Err(AuthError::UnverifiedPeer)
    } else {
        Err(AuthError::Insecure(INSECURE_CLEARTEXT))
    }
}

/// `password ‖ 0x00`.
fn with_nul(password: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(password.len() + 1);
    v.extend_from_slice(password);
    v.push(0);
    v
}

impl AuthState {
    /// Starts `plugin` with the server's `nonce` (scramble, NUL already stripped); returns the
    /// state and the first auth response to send.
    ///
    /// Errors: [`AuthError::UnsupportedPlugin`]; [`AuthError::Insecure`] when the plugin would
    /// have to send the password unprotected and `cfg` does not allow it (nothing must be sent
    /// then); [`AuthError::UnverifiedPeer`] for `mysql_clear_password` over TLS to a peer whose
    /// certificate was not verified; [`AuthError::PublicKey`]/[`AuthError::Encrypt`] for a bad
    /// configured RSA key;
    /// [`AuthError::BadNonce`].
    pub fn start(
        plugin: &[u8],
        nonce: &[u8],
        password: &[u8],
        cfg: &AuthConfig,
    ) -> Result<(AuthState, Vec<u8>), AuthError> {
        let (plugin, first) = match plugin {
            b"mysql_native_password" => (Plugin::Native, native::scramble(nonce, password)),
            b"caching_sha2_password" => (
                Plugin::CachingSha2(caching_sha2::Step::Scrambled),
                caching_sha2::scramble(nonce, password),
            ),
            b"sha256_password" => {
                let (step, first) = sha256::start(nonce, password, cfg)?;
                (Plugin::Sha256(step), first)
            }
            b"mysql_clear_password" => {
                cleartext_allowed(cfg)?;
                (Plugin::Cleartext, with_nul(password))
            }
            b"client_ed25519" => (Plugin::Ed25519, ed25519::sign(nonce, password)?),
            // MariaDB's server plugin declares no client plugin and reads nothing (it checks
            // SO_PEERCRED), and Connector/C has no such client plugin; should a server still
            // name it, answer with an empty packet.
            b"unix_socket" => (Plugin::UnixSocket, Vec::new()),
            other => {
                return Err(AuthError::UnsupportedPlugin(
                    String::from_utf8_lossy(other).into_owned(),
                ))
            }
        };
        let state = AuthState {
            plugin,
            password: Zeroizing::new(password.to_vec()),
            nonce: nonce.to_vec(),
        };
        Ok((state, first))
    }

    /// The plugin's wire name.
    pub fn plugin_name(&self) -> &'static str {
        match self.plugin {
            Plugin::Native => "mysql_native_password",
            Plugin::CachingSha2(_) => "caching_sha2_password",
            Plugin::Sha256(_) => "sha256_password",
            Plugin::Cleartext => "mysql_clear_password",
            Plugin::Ed25519 => "client_ed25519",
            Plugin::UnixSocket => "unix_socket",
        }
    }

    /// True when this plugin's responses carry password-derived data (redact them in traces).
    /// Only `unix_socket` sends nothing secret.
    pub fn response_is_secret(&self) -> bool {
        !matches!(self.plugin, Plugin::UnixSocket)
    }

    /// Handles an AuthMoreData payload (the bytes after the 0x01 marker).
    ///
    /// Errors: [`AuthError::UnexpectedData`] for data the plugin does not expect at this step
    /// (e.g. a second 0x04, or a key nobody asked for); [`AuthError::Insecure`] when full
    /// authentication is requested and `cfg` allows no safe way to send the password (nothing
    /// must be sent then); [`AuthError::PublicKey`]/[`AuthError::Encrypt`].
    pub fn more_data(&mut self, data: &[u8], cfg: &AuthConfig) -> Result<AuthAction, AuthError> {
        match &mut self.plugin {
            Plugin::CachingSha2(step) => {
                caching_sha2::more_data(step, data, &self.password, &self.nonce, cfg)
            }
            Plugin::Sha256(step) => sha256::more_data(step, data, &self.password, &self.nonce, cfg),
            Plugin::Native | Plugin::Cleartext | Plugin::Ed25519 | Plugin::UnixSocket => {
                Err(AuthError::UnexpectedData(data.first().copied()))
            }
        }
    }
}

#[cfg(test)]
mod tests;
