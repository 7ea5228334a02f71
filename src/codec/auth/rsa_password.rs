//! RSA encryption of the password for `caching_sha2_password` and `sha256_password` full
//! authentication over an insecure link.
//!
//! The client sends RSA-OAEP(SHA-1, MGF1-SHA-1) of `(password ‖ 0x00) XOR nonce` (the nonce repeated
//! as often as needed) under the server's public key. Sources: MySQL dev docs "Caching_sha2_password
//! information" / "sha256_password"; MariaDB Connector/C `plugins/auth/sha256_pw.c` (xor with
//! the scramble, `RSA_PKCS1_OAEP_PADDING`); go-sql-driver/mysql `auth.go` (`encryptPassword`, OAEP
//! with SHA-1).
//!
//! The key is PEM text, either PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`) or SPKI
//! (`-----BEGIN PUBLIC KEY-----`, what the server sends and writes to `public_key.pem`).

use super::{AuthConfig, AuthError};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::OsRng;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPublicKey};
use zeroize::Zeroizing;

/// Parses a PEM RSA public key (PKCS#1 or SPKI). Surrounding whitespace and trailing NULs (some
/// servers and files carry them) are ignored; anything else that is not a valid key is an
/// [`AuthError::PublicKey`].
pub fn parse_public_key(pem: &[u8]) -> Result<RsaPublicKey, AuthError> {
    let text = std::str::from_utf8(pem).map_err(|_| {
        AuthError::PublicKey("the RSA public key is not PEM text (not UTF-8)".into())
    })?;
    let text = text.trim_matches(|c: char| c == '\0' || c.is_ascii_whitespace());
    if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(text)
            .map_err(|e| AuthError::PublicKey(format!("bad PKCS#1 RSA public key: {e}")))
    } else if text.starts_with("-----BEGIN PUBLIC KEY-----") {
        RsaPublicKey::from_public_key_pem(text)
            .map_err(|e| AuthError::PublicKey(format!("bad SPKI RSA public key: {e}")))
    } else {
        Err(AuthError::PublicKey(
            "no `BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY` PEM block in the RSA public key"
                .into(),
        ))
    }
}

/// `(password ‖ 0x00) XOR nonce-repeated`, the plaintext that gets encrypted.
pub fn obfuscate(password: &[u8], nonce: &[u8]) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    if nonce.is_empty() {
        return Err(AuthError::BadNonce {
            plugin: "RSA password encryption",
            len: 0,
        });
    }
    let mut msg = Zeroizing::new(Vec::with_capacity(password.len() + 1));
    msg.extend(
        password
            .iter()
            .chain(std::iter::once(&0u8))
            .zip(nonce.iter().cycle())
            .map(|(p, n)| p ^ n),
    );
    Ok(msg)
}

/// Encrypts `password` for the server holding the key in `pem`, with the randomness chosen by
/// `cfg` (OS randomness unless [`AuthConfig::rng_seed`] is set).
pub fn encrypt_password(
    password: &[u8],
    nonce: &[u8],
    pem: &[u8],
    cfg: &AuthConfig,
) -> Result<Vec<u8>, AuthError> {
    let key = parse_public_key(pem)?;
    let msg = obfuscate(password, nonce)?;
    let padding = Oaep::new::<sha1::Sha1>();
    let out = match cfg.rng_seed {
        Some(seed) => key.encrypt(&mut ChaCha20Rng::from_seed(seed), padding, &msg),
        None => key.encrypt(&mut OsRng, padding, &msg),
    };
    out.map_err(|e| {
        AuthError::Encrypt(format!(
            "cannot RSA-encrypt the password for the server's {}-bit key \
             (a {}-byte password is too long?): {e}",
            key.size() * 8,
            password.len()
        ))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::RsaPrivateKey;

    /// A 1024-bit key pair generated from a fixed seed (2048-bit generation is slow in debug
    /// builds; the protocol does not care about the size).
    pub(crate) fn test_key() -> RsaPrivateKey {
        static KEY: std::sync::OnceLock<RsaPrivateKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| {
            let mut rng = ChaCha20Rng::from_seed([7; 32]);
            RsaPrivateKey::new(&mut rng, 1024).unwrap()
        })
        .clone()
    }

    pub(crate) fn spki_pem(key: &RsaPrivateKey) -> Vec<u8> {
        key.to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
            .into_bytes()
    }

    /// Decrypts `ct` and undoes the nonce XOR: what the server recovers.
    pub(crate) fn server_recovers(key: &RsaPrivateKey, ct: &[u8], nonce: &[u8]) -> Vec<u8> {
        let pt = key.decrypt(Oaep::new::<sha1::Sha1>(), ct).unwrap();
        pt.iter()
            .zip(nonce.iter().cycle())
            .map(|(a, b)| a ^ b)
            .collect()
    }

    #[test]
    fn encrypts_spki_and_pkcs1_keys() {
        let key = test_key();
        let nonce = [0x5a; 20];
        let pkcs1 = key
            .to_public_key()
            .to_pkcs1_pem(LineEnding::CRLF)
            .unwrap()
            .into_bytes();
        for pem in [spki_pem(&key), pkcs1] {
            let ct = encrypt_password(b"secret", &nonce, &pem, &AuthConfig::default()).unwrap();
            assert_eq!(ct.len(), 128);
            assert_eq!(server_recovers(&key, &ct, &nonce), b"secret\0");
        }
    }

    #[test]
    fn long_password_wraps_the_nonce() {
        let key = test_key();
        let nonce: Vec<u8> = (1..=20).collect();
        let pw = [b'x'; 45];
        let ct = encrypt_password(&pw, &nonce, &spki_pem(&key), &AuthConfig::default()).unwrap();
        let mut want = pw.to_vec();
        want.push(0);
        assert_eq!(server_recovers(&key, &ct, &nonce), want);
    }

    #[test]
    fn seeded_rng_is_reproducible() {
        let key = test_key();
        let pem = spki_pem(&key);
        let cfg = AuthConfig {
            rng_seed: Some([1; 32]),
            ..AuthConfig::default()
        };
        let a = encrypt_password(b"pw", &[9; 20], &pem, &cfg).unwrap();
        let b = encrypt_password(b"pw", &[9; 20], &pem, &cfg).unwrap();
        assert_eq!(a, b);
        let c = encrypt_password(b"pw", &[9; 20], &pem, &AuthConfig::default()).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn trailing_nul_and_whitespace_are_tolerated() {
        let key = test_key();
        let mut pem = b"\n  ".to_vec();
        pem.extend(spki_pem(&key));
        pem.extend(b"\n\0");
        assert!(parse_public_key(&pem).is_ok());
    }

    #[test]
    fn bad_keys_are_errors_not_panics() {
        let cases: [&[u8]; 6] = [
            b"",
            b"\xff\xfe",
            b"not a key",
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            b"-----BEGIN RSA PUBLIC KEY-----\n!!!!\n-----END RSA PUBLIC KEY-----\n",
            b"-----BEGIN PUBLIC KEY-----\n",
        ];
        for pem in cases {
            match encrypt_password(b"pw", &[1; 20], pem, &AuthConfig::default()) {
                Err(AuthError::PublicKey(msg)) => assert!(!msg.is_empty()),
                other => panic!("{pem:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn password_too_long_for_key_is_an_error() {
        let key = test_key();
        // OAEP-SHA1 with a 128-byte modulus fits at most 128 - 42 = 86 bytes.
        let err = encrypt_password(
            &[b'a'; 86],
            &[1; 20],
            &spki_pem(&key),
            &AuthConfig::default(),
        )
        .unwrap_err();
        assert!(matches!(err, AuthError::Encrypt(_)), "{err:?}");
        assert!(encrypt_password(
            &[b'a'; 85],
            &[1; 20],
            &spki_pem(&key),
            &AuthConfig::default()
        )
        .is_ok());
    }

    #[test]
    fn empty_nonce_is_an_error() {
        let key = test_key();
        let err =
            encrypt_password(b"pw", &[], &spki_pem(&key), &AuthConfig::default()).unwrap_err();
        assert!(matches!(err, AuthError::BadNonce { .. }));
    }
}
