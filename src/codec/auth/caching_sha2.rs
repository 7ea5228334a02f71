//! `caching_sha2_password` (MySQL 8 default).
//!
//! First response: `SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) ‖ nonce)` (32 bytes; empty for an
//! empty password). Note the order inside the second hash: the double hash of the password comes
//! *first* and the nonce second, the opposite of `mysql_native_password` (`SHA1(nonce ‖ ...)`).
//! Some descriptions (e.g. the MariaDB protocol docs, "SHA256(seed, SHA256(SHA256(password)))")
//! show the reversed order; the known-answer vectors from rust_mysql_common and go-sql-driver in
//! the tests below settle it.
//!
//! The server then sends AuthMoreData `0x03` (fast auth success: an OK follows) or `0x04`
//! (perform full authentication: the client must send the password, in clear over a secure
//! transport, else RSA-encrypted, first requesting the server's key with `0x02` if it has none).

use super::{rsa_password, AuthAction, AuthConfig, AuthError};
use sha2::{Digest, Sha256};

/// AuthMoreData from the server: the scramble matched the cache; an OK packet follows.
pub const FAST_AUTH_SUCCESS: u8 = 0x03;
/// AuthMoreData from the server: no cache entry; send the full password.
pub const PERFORM_FULL_AUTH: u8 = 0x04;
/// Client request for the server's RSA public key.
pub const REQUEST_PUBLIC_KEY: u8 = 0x02;

/// The message shown when full authentication would need the password in clear.
pub const INSECURE_FULL_AUTH: &str = "caching_sha2_password full authentication needs the \
    password over an insecure connection: use TLS or a Unix socket, set server-public-key-path \
    to the server's RSA public key, or set get-server-public-key=true to fetch it from the server \
    (trusting the network not to substitute it)";

/// The 32-byte first response (empty for an empty password).
pub fn scramble(nonce: &[u8], password: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mut h = Sha256::new();
    h.update(stage2);
    h.update(nonce);
    let mix = h.finalize();
    stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
}

/// Where the exchange stands after the first response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The scramble was sent; expecting 0x03 or 0x04 (or OK/ERR, handled by the session).
    Scrambled,
    /// 0x03 was received; only an OK/ERR may follow.
    FastAuthOk,
    /// 0x02 was sent; the next AuthMoreData is the server's PEM public key.
    AwaitingKey,
    /// The full password was sent; only an OK/ERR may follow.
    PasswordSent,
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
        (Step::Scrambled, [FAST_AUTH_SUCCESS]) => {
            *step = Step::FastAuthOk;
            Ok(AuthAction::Wait)
        }
        (Step::Scrambled, [PERFORM_FULL_AUTH]) => {
            if cfg.secure_transport {
                *step = Step::PasswordSent;
                Ok(AuthAction::Send(super::with_nul(password)))
            } else if let Some(pem) = &cfg.server_public_key {
                let ct = rsa_password::encrypt_password(password, nonce, pem, cfg)?;
                *step = Step::PasswordSent;
                Ok(AuthAction::Send(ct))
            } else if cfg.get_server_public_key {
                *step = Step::AwaitingKey;
                Ok(AuthAction::Send(vec![REQUEST_PUBLIC_KEY]))
            } else {
                Err(AuthError::Insecure(INSECURE_FULL_AUTH))
            }
        }
        (Step::AwaitingKey, pem) if !pem.is_empty() => {
            let ct = rsa_password::encrypt_password(password, nonce, pem, cfg)?;
            *step = Step::PasswordSent;
            Ok(AuthAction::Send(ct))
        }
        (_, data) => Err(AuthError::UnexpectedData(data.first().copied())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::codec::test_util::unhex as hex;

    /// rust_mysql_common `src/scramble.rs` (test of `scramble_sha256`).
    #[test]
    fn known_answer_mysql_common() {
        let nonce = hex("4e523348503a714959615f393d64623f53647b60");
        assert_eq!(
            scramble(&nonce, b"G!ider27"),
            hex("4f97bbfd202401c42a69deaae53bda077ed7578563c1a80eb816c82119b68d2e")
        );
    }

    /// go-sql-driver/mysql `auth_test.go`, TestScrambleSHA256Pass.
    #[test]
    fn known_answer_go_sql_driver() {
        let nonce = hex("0a2f4a6f4b492230584c724a250d035052021715");
        assert_eq!(
            scramble(&nonce, b"secret"),
            hex("f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c")
        );
        assert_eq!(
            scramble(&nonce, b"secret2"),
            hex("abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6")
        );
    }

    /// The order "nonce first" (as native does, and as some docs write it) does not match the
    /// vectors: guard against "fixing" it.
    #[test]
    fn reversed_hash_order_is_wrong() {
        let nonce = hex("0a2f4a6f4b492230584c724a250d035052021715");
        let stage1 = Sha256::digest(b"secret");
        let stage2 = Sha256::digest(stage1);
        let mut h = Sha256::new();
        h.update(&nonce);
        h.update(stage2);
        let mix = h.finalize();
        let reversed: Vec<u8> = stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect();
        assert_ne!(reversed, scramble(&nonce, b"secret"));
    }

    #[test]
    fn empty_password_sends_nothing() {
        assert!(scramble(&[1; 20], b"").is_empty());
    }
}
