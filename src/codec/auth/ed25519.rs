//! `client_ed25519` (MariaDB's `ed25519` server plugin, 10.1.22+).
//!
//! The response is a 64-byte Ed25519 signature of the server's 32-byte nonce. The key is not an
//! RFC 8032 seed: SHA-512(password) — of the whole password, any length — is used directly as the
//! *expanded* secret key (clamped scalar ‖ nonce prefix), as in MariaDB Connector/C
//! `plugins/auth/ref10/sign.c` (`ma_crypto_sign`) and the server's `plugin/auth_ed25519/`. The
//! server stores the matching public key (`PASSWORD('x')` / `ed25519_password('x')`, base64).
//! Hence ed25519-dalek's `hazmat` API instead of `SigningKey`.

use super::AuthError;
use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// The nonce length the server sends.
pub const NONCE_LEN: usize = 32;

fn expanded_key(password: &[u8]) -> ExpandedSecretKey {
    let hash: Zeroizing<[u8; 64]> = Zeroizing::new(Sha512::digest(password).into());
    ExpandedSecretKey::from_bytes(&hash)
}

/// The public key the server stores for `password`.
pub fn public_key(password: &[u8]) -> [u8; 32] {
    VerifyingKey::from(&expanded_key(password)).to_bytes()
}

/// The 64-byte response: the signature of `nonce` under the key derived from `password`.
pub fn sign(nonce: &[u8], password: &[u8]) -> Result<Vec<u8>, AuthError> {
    let nonce = normalize_nonce(nonce)?;
    let esk = expanded_key(password);
    let vk = VerifyingKey::from(&esk);
    Ok(raw_sign::<Sha512>(&esk, &nonce, &vk).to_bytes().to_vec())
}

/// The server sends exactly 32 random bytes, which may end in 0x00. A session that strips "the
/// trailing NUL" of auth data (right for the 20-byte scrambles, which have one) hands us 31 bytes
/// then: the missing byte can only have been 0x00, so put it back. A session that keeps a real
/// trailing NUL after 32 bytes hands us 33.
fn normalize_nonce(nonce: &[u8]) -> Result<[u8; NONCE_LEN], AuthError> {
    let mut out = [0u8; NONCE_LEN];
    match nonce.len() {
        NONCE_LEN => out.copy_from_slice(nonce),
        31 => {
            if let Some(head) = out.get_mut(..31) {
                head.copy_from_slice(nonce);
            }
        }
        33 if nonce.last() == Some(&0) => {
            if let Some(head) = nonce.get(..NONCE_LEN) {
                out.copy_from_slice(head);
            }
        }
        len => {
            return Err(AuthError::BadNonce {
                plugin: "client_ed25519",
                len,
            })
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier};

    use crate::codec::test_util::unhex as hex;

    /// MariaDB KB, "Authentication Plugin - ed25519": `PASSWORD('secret')` with the plugin loaded
    /// is `ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY` (base64 of this key).
    #[test]
    fn public_key_known_answer() {
        assert_eq!(
            public_key(b"secret").to_vec(),
            hex("648814444520e4f56043a2ec9215e63be7992d2d270bc6dee873e36164786096")
        );
    }

    #[test]
    fn signature_verifies_under_the_stored_public_key() {
        let pk: [u8; 32] = hex("648814444520e4f56043a2ec9215e63be7992d2d270bc6dee873e36164786096")
            .try_into()
            .unwrap();
        let vk = VerifyingKey::from_bytes(&pk).unwrap();
        let nonce: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let sig = sign(&nonce, b"secret").unwrap();
        assert_eq!(sig.len(), 64);
        let sig = Signature::from_slice(&sig).unwrap();
        vk.verify(&nonce, &sig).unwrap();
        vk.verify_strict(&nonce, &sig).unwrap();
        // Deterministic, and bound to the nonce and the password.
        assert_eq!(sign(&nonce, b"secret").unwrap(), sig.to_bytes());
        let other = Signature::from_slice(&sign(&[0; 32], b"secret").unwrap()).unwrap();
        assert!(vk.verify(&nonce, &other).is_err());
        let wrong_pw = Signature::from_slice(&sign(&nonce, b"secreT").unwrap()).unwrap();
        assert!(vk.verify(&nonce, &wrong_pw).is_err());
    }

    /// A 32-byte password equals an RFC 8032 seed only by accident of length: the derivation is
    /// SHA-512(password) either way, so dalek's ordinary `SigningKey` must agree here.
    #[test]
    fn agrees_with_rfc8032_for_32_byte_passwords() {
        use ed25519_dalek::{Signer, SigningKey};
        let pw = [0x42u8; 32];
        let sk = SigningKey::from_bytes(&pw);
        assert_eq!(sk.verifying_key().to_bytes(), public_key(&pw));
        assert_eq!(
            sk.sign(&[9; 32]).to_bytes().to_vec(),
            sign(&[9; 32], &pw).unwrap()
        );
    }

    #[test]
    fn stripped_or_kept_trailing_nul_is_repaired() {
        let mut nonce = [0x11u8; 32];
        nonce[31] = 0;
        let want = sign(&nonce, b"pw").unwrap();
        assert_eq!(sign(&nonce[..31], b"pw").unwrap(), want);
        let mut with_nul = nonce.to_vec();
        with_nul.push(0);
        assert_eq!(sign(&with_nul, b"pw").unwrap(), want);
    }

    #[test]
    fn wrong_nonce_length_is_an_error() {
        for len in [0, 20, 30, 34, 64] {
            assert_eq!(
                sign(&vec![1; len], b"pw"),
                Err(AuthError::BadNonce {
                    plugin: "client_ed25519",
                    len
                })
            );
        }
        // 33 bytes not ending in NUL is not a kept terminator.
        assert!(sign(&[1; 33], b"pw").is_err());
    }
}
