//! `mysql_native_password`.
//!
//! scramble = SHA1(password) XOR SHA1(nonce ‖ SHA1(SHA1(password))); an empty password sends an
//! empty response. (MySQL dev docs, "Native Authentication"; see protocol-notes/authentication.md.)

use sha1::{Digest, Sha1};

/// The 20-byte response for `password` and the server's 20-byte `nonce` (empty for an empty
/// password).
pub fn scramble(nonce: &[u8], password: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(stage2);
    let mix = h.finalize();
    stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::codec::test_util::unhex as hex;

    /// Vector from rust_mysql_common `src/scramble.rs`.
    #[test]
    fn known_answer_mysql_common() {
        let nonce = hex("4e523348503a714959615f393d64623f53647b60");
        assert_eq!(
            scramble(&nonce, b"G!ider27"),
            hex("09cff8855e9e705340ff2270d8fb9fadba906b70")
        );
    }

    /// Vector from go-sql-driver/mysql `auth_test.go` (TestAuthFastNativePassword).
    #[test]
    fn known_answer_go_sql_driver() {
        let nonce = hex("46725c5e01260b743f7217657e671a5f51111815");
        assert_eq!(
            scramble(&nonce, b"secret"),
            hex("35b18c9ffbbd7f356dfcac32d3c0f0a41a30cf2d")
        );
    }

    #[test]
    fn empty_password_sends_nothing() {
        assert!(scramble(&[1; 20], b"").is_empty());
    }
}
