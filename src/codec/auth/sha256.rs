//! `sha256_password` (MySQL 5.6+, deprecated in 8.0).
//!
//! There is no scramble: the password itself is sent, in clear over a secure transport, else
//! RSA-encrypted (see [`super::rsa_password`]). Without a configured key the client sends `0x01`
//! to request the server's key, which arrives as AuthMoreData. An empty password is sent as a
//! single `0x00` byte (MySQL's libmysql and go-sql-driver/mysql `auth.go` do this; MariaDB
//! Connector/C `plugins/auth/sha256_pw.c` sends an empty packet, which the server accepts too).
//!
//! Unlike libmysql, which fetches the key for this plugin unasked, we only request it when
//! `get-server-public-key=true`: a key received over plain TCP can be substituted by anyone on
//! the path, who can then read the password.

use super::{rsa_password, AuthAction, AuthConfig, AuthError};

/// Client request for the server's RSA public key.
pub const REQUEST_PUBLIC_KEY: u8 = 0x01;

/// The message shown when the password would have to go out unprotected.
pub const INSECURE: &str = "sha256_password needs the password over an insecure connection: \
    use TLS or a Unix socket, set server-public-key-path to the server's RSA public key, or set \
    get-server-public-key=true to fetch it from the server (trusting the network not to \
    substitute it)";

/// Where the exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// 0x01 was sent; the next AuthMoreData is the server's PEM public key.
    AwaitingKey,
    /// The (empty, clear or encrypted) password was sent; only an OK/ERR may follow.
    PasswordSent,
}

/// The first response and the step it leads to.
pub(super) fn start(
    nonce: &[u8],
    password: &[u8],
    cfg: &AuthConfig,
) -> Result<(Step, Vec<u8>), AuthError> {
    if password.is_empty() {
        Ok((Step::PasswordSent, vec![0]))
    } else if cfg.secure_transport {
        Ok((Step::PasswordSent, super::with_nul(password)))
    } else if let Some(pem) = &cfg.server_public_key {
        let ct = rsa_password::encrypt_password(password, nonce, pem, cfg)?;
        Ok((Step::PasswordSent, ct))
    } else if cfg.get_server_public_key {
        Ok((Step::AwaitingKey, vec![REQUEST_PUBLIC_KEY]))
    } else {
        Err(AuthError::Insecure(INSECURE))
    }
}

/// Handles one AuthMoreData payload.
pub(super) fn more_data(
    step: &mut Step,
    data: &[u8],
    password: &[u8],
    nonce: &[u8],
    cfg: &AuthConfig,
) -> Result<AuthAction, AuthError> {
    match (*step, data) {
        (Step::AwaitingKey, pem) if !pem.is_empty() => {
            let ct = rsa_password::encrypt_password(password, nonce, pem, cfg)?;
            *step = Step::PasswordSent;
            Ok(AuthAction::Send(ct))
        }
        (_, data) => Err(AuthError::UnexpectedData(data.first().copied())),
    }
}
