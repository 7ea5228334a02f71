//! Exchanges driven through [`AuthState`] as the session drives them.

use super::rsa_password::tests::{server_recovers, spki_pem, test_key};
use super::*;

const NONCE: [u8; 20] = *b"abcdefghij0123456789";

fn cfg() -> AuthConfig {
    AuthConfig::default()
}

fn secure() -> AuthConfig {
    AuthConfig {
        secure_transport: true,
        ..AuthConfig::default()
    }
}

/// A Unix socket, or TLS with a verified certificate.
fn verified() -> AuthConfig {
    AuthConfig {
        secure_transport: true,
        verified_peer: true,
        ..AuthConfig::default()
    }
}

fn sent(a: AuthAction) -> Vec<u8> {
    match a {
        AuthAction::Send(b) => b,
        AuthAction::Wait => panic!("expected Send, got Wait"),
    }
}

fn is_insecure(r: Result<AuthAction, AuthError>) -> bool {
    matches!(r, Err(AuthError::Insecure(_)))
}

// ---- start / names / secrecy ----

#[test]
fn plugin_names_round_trip() {
    for name in [
        "mysql_native_password",
        "caching_sha2_password",
        "sha256_password",
        "mysql_clear_password",
        "client_ed25519",
        "unix_socket",
    ] {
        let nonce: &[u8] = if name == "client_ed25519" {
            &[3; 32]
        } else {
            &NONCE
        };
        let (st, _) = AuthState::start(name.as_bytes(), nonce, b"pw", &verified()).unwrap();
        assert_eq!(st.plugin_name(), name);
        assert_eq!(st.response_is_secret(), name != "unix_socket", "{name}");
    }
}

#[test]
fn unsupported_plugins() {
    for name in [
        "dialog",
        "auth_gssapi_client",
        "parsec",
        "mysql_old_password",
        "",
    ] {
        assert_eq!(
            AuthState::start(name.as_bytes(), &NONCE, b"pw", &secure()).unwrap_err(),
            AuthError::UnsupportedPlugin(name.into())
        );
    }
}

#[test]
fn debug_does_not_show_the_password() {
    let (st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"hunter2", &cfg()).unwrap();
    let dbg = format!("{st:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("redacted"));
}

#[test]
fn native_rejects_more_data() {
    let (mut st, first) =
        AuthState::start(b"mysql_native_password", &NONCE, b"pw", &cfg()).unwrap();
    assert_eq!(first, native::scramble(&NONCE, b"pw"));
    assert_eq!(
        st.more_data(&[0x03], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x03)))
    );
    assert_eq!(
        st.more_data(&[], &cfg()),
        Err(AuthError::UnexpectedData(None))
    );
}

// ---- caching_sha2_password ----

#[test]
fn caching_sha2_first_response_and_fast_path() {
    let (mut st, first) =
        AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &cfg()).unwrap();
    assert_eq!(first, caching_sha2::scramble(&NONCE, b"secret"));
    assert_eq!(first.len(), 32);
    // go-sql-driver auth_test.go: fast auth success is AuthMoreData `01 03`; an OK follows.
    assert_eq!(st.more_data(&[0x03], &cfg()), Ok(AuthAction::Wait));
    // Nothing more may come but OK/ERR.
    assert_eq!(
        st.more_data(&[0x03], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x03)))
    );
    assert_eq!(
        st.more_data(&[0x04], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x04)))
    );
}

#[test]
fn caching_sha2_empty_password() {
    let (_, first) = AuthState::start(b"caching_sha2_password", &NONCE, b"", &cfg()).unwrap();
    assert!(first.is_empty());
}

#[test]
fn caching_sha2_full_auth_secure_sends_clear_password() {
    let (mut st, _) =
        AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &secure()).unwrap();
    // go-sql-driver auth_test.go: cleartext over TLS is `secret\0`.
    assert_eq!(sent(st.more_data(&[0x04], &secure()).unwrap()), b"secret\0");
    assert_eq!(
        st.more_data(&[0x04], &secure()),
        Err(AuthError::UnexpectedData(Some(0x04)))
    );
}

#[test]
fn caching_sha2_full_auth_with_configured_key() {
    let key = test_key();
    let c = AuthConfig {
        server_public_key: Some(spki_pem(&key)),
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &c).unwrap();
    let ct = sent(st.more_data(&[0x04], &c).unwrap());
    assert_eq!(ct.len(), 128);
    assert_eq!(server_recovers(&key, &ct, &NONCE), b"secret\0");
    // A second 0x04, or a key nobody asked for, is an error.
    assert_eq!(
        st.more_data(&[0x04], &c),
        Err(AuthError::UnexpectedData(Some(0x04)))
    );
    assert_eq!(
        st.more_data(&spki_pem(&key), &c),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn caching_sha2_full_auth_fetching_the_key() {
    let key = test_key();
    let c = AuthConfig {
        get_server_public_key: true,
        rng_seed: Some([4; 32]),
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &c).unwrap();
    // go-sql-driver auth_test.go: the key request is the single byte 0x02.
    assert_eq!(sent(st.more_data(&[0x04], &c).unwrap()), [0x02]);
    let ct = sent(st.more_data(&spki_pem(&key), &c).unwrap());
    assert_eq!(server_recovers(&key, &ct, &NONCE), b"secret\0");
    // Reproducible with a seed.
    let (mut st2, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &c).unwrap();
    st2.more_data(&[0x04], &c).unwrap();
    assert_eq!(sent(st2.more_data(&spki_pem(&key), &c).unwrap()), ct);
    // Only one key.
    assert_eq!(
        st.more_data(&spki_pem(&key), &c),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn caching_sha2_configured_key_wins_over_fetching() {
    let key = test_key();
    let c = AuthConfig {
        server_public_key: Some(spki_pem(&key)),
        get_server_public_key: true,
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"pw", &c).unwrap();
    assert_eq!(sent(st.more_data(&[0x04], &c).unwrap()).len(), 128);
}

#[test]
fn caching_sha2_secure_transport_wins_over_keys() {
    let key = test_key();
    let c = AuthConfig {
        secure_transport: true,
        server_public_key: Some(spki_pem(&key)),
        get_server_public_key: true,
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"pw", &c).unwrap();
    assert_eq!(sent(st.more_data(&[0x04], &c).unwrap()), b"pw\0");
}

#[test]
fn caching_sha2_full_auth_insecure_is_refused() {
    let (mut st, _) =
        AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &cfg()).unwrap();
    let err = st.more_data(&[0x04], &cfg()).unwrap_err();
    let AuthError::Insecure(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("server-public-key-path"), "{msg}");
    assert!(msg.contains("get-server-public-key=true"), "{msg}");
    // The cleartext-plugin switch does not unlock it.
    let c = AuthConfig {
        enable_cleartext_plugin: true,
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"secret", &c).unwrap();
    assert!(is_insecure(st.more_data(&[0x04], &c)));
}

#[test]
fn caching_sha2_unexpected_data() {
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"pw", &cfg()).unwrap();
    assert_eq!(
        st.more_data(&[], &cfg()),
        Err(AuthError::UnexpectedData(None))
    );
    assert_eq!(
        st.more_data(&[0x05], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x05)))
    );
    assert_eq!(
        st.more_data(&[0x03, 0x00], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x03)))
    );
    // A key before anybody asked for one.
    assert_eq!(
        st.more_data(b"-----BEGIN PUBLIC KEY-----", &cfg()),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn caching_sha2_bad_keys() {
    // Bad configured key.
    let c = AuthConfig {
        server_public_key: Some(b"garbage".to_vec()),
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"pw", &c).unwrap();
    assert!(matches!(
        st.more_data(&[0x04], &c),
        Err(AuthError::PublicKey(_))
    ));
    // Bad key from the server; empty key payload.
    let c = AuthConfig {
        get_server_public_key: true,
        ..cfg()
    };
    let (mut st, _) = AuthState::start(b"caching_sha2_password", &NONCE, b"pw", &c).unwrap();
    st.more_data(&[0x04], &c).unwrap();
    assert_eq!(st.more_data(&[], &c), Err(AuthError::UnexpectedData(None)));
    assert!(matches!(
        st.more_data(b"-----BEGIN PUBLIC KEY-----\nxx\n", &c),
        Err(AuthError::PublicKey(_))
    ));
}

// ---- sha256_password ----

#[test]
fn sha256_empty_password_is_one_zero_byte() {
    let (mut st, first) = AuthState::start(b"sha256_password", &NONCE, b"", &cfg()).unwrap();
    assert_eq!(first, [0x00]);
    assert_eq!(
        st.more_data(&[0x01], &cfg()),
        Err(AuthError::UnexpectedData(Some(0x01)))
    );
}

#[test]
fn sha256_secure_sends_clear_password() {
    let (mut st, first) =
        AuthState::start(b"sha256_password", &NONCE, b"secret", &secure()).unwrap();
    assert_eq!(first, b"secret\0");
    assert_eq!(
        st.more_data(b"-----BEGIN PUBLIC KEY-----", &secure()),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn sha256_with_configured_key_encrypts_first_response() {
    let key = test_key();
    let c = AuthConfig {
        server_public_key: Some(spki_pem(&key)),
        ..cfg()
    };
    let (mut st, first) = AuthState::start(b"sha256_password", &NONCE, b"secret", &c).unwrap();
    assert_eq!(server_recovers(&key, &first, &NONCE), b"secret\0");
    assert_eq!(
        st.more_data(&spki_pem(&key), &c),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn sha256_fetching_the_key() {
    let key = test_key();
    let c = AuthConfig {
        get_server_public_key: true,
        ..cfg()
    };
    let (mut st, first) = AuthState::start(b"sha256_password", &NONCE, b"secret", &c).unwrap();
    assert_eq!(first, [0x01]);
    let ct = sent(st.more_data(&spki_pem(&key), &c).unwrap());
    assert_eq!(server_recovers(&key, &ct, &NONCE), b"secret\0");
    assert_eq!(
        st.more_data(&spki_pem(&key), &c),
        Err(AuthError::UnexpectedData(Some(b'-')))
    );
}

#[test]
fn sha256_insecure_is_refused_before_anything_is_sent() {
    let c = AuthConfig {
        enable_cleartext_plugin: true,
        ..cfg()
    };
    for c in [cfg(), c] {
        let err = AuthState::start(b"sha256_password", &NONCE, b"secret", &c).unwrap_err();
        let AuthError::Insecure(msg) = err else {
            panic!("{err:?}")
        };
        assert!(msg.contains("server-public-key-path"), "{msg}");
        assert!(msg.contains("get-server-public-key=true"), "{msg}");
    }
}

#[test]
fn sha256_bad_configured_key() {
    let c = AuthConfig {
        server_public_key: Some(b"-----BEGIN RSA PUBLIC KEY-----\n".to_vec()),
        ..cfg()
    };
    assert!(matches!(
        AuthState::start(b"sha256_password", &NONCE, b"secret", &c),
        Err(AuthError::PublicKey(_))
    ));
}

// ---- mysql_clear_password ----

#[test]
fn cleartext_allowed_to_verified_peer_or_when_enabled() {
    let enabled = AuthConfig {
        enable_cleartext_plugin: true,
        ..cfg()
    };
    let enabled_tls = AuthConfig {
        enable_cleartext_plugin: true,
        ..secure()
    };
    for c in [verified(), enabled, enabled_tls] {
        let (mut st, first) = AuthState::start(b"mysql_clear_password", &NONCE, b"pw", &c).unwrap();
        assert_eq!(first, b"pw\0");
        assert!(st.response_is_secret());
        assert_eq!(
            st.more_data(&[1], &c),
            Err(AuthError::UnexpectedData(Some(1)))
        );
    }
    let (_, first) = AuthState::start(b"mysql_clear_password", &NONCE, b"", &verified()).unwrap();
    assert_eq!(first, [0]);
}

#[test]
fn cleartext_over_unverified_tls_is_refused() {
    // Encrypted, but to whoever answered the SSLRequest: a man in the middle would read it.
    let with_key = AuthConfig {
        get_server_public_key: true,
        server_public_key: Some(spki_pem(&test_key())),
        ..secure()
    };
    for c in [secure(), with_key] {
        for pw in [&b"pw"[..], b""] {
            let err = AuthState::start(b"mysql_clear_password", &NONCE, pw, &c).unwrap_err();
            assert_eq!(err, AuthError::UnverifiedPeer);
            let msg = err.to_string();
            for way in ["Unix socket", "VERIFY_CA", "enable-cleartext-plugin=true"] {
                assert!(msg.contains(way), "{msg}");
            }
        }
    }
}

#[test]
fn cleartext_insecure_is_refused() {
    // A public key does not make cleartext safe.
    let c = AuthConfig {
        get_server_public_key: true,
        server_public_key: Some(spki_pem(&test_key())),
        ..cfg()
    };
    for c in [cfg(), c] {
        let err = AuthState::start(b"mysql_clear_password", &NONCE, b"pw", &c).unwrap_err();
        let AuthError::Insecure(msg) = err else {
            panic!("{err:?}")
        };
        for way in ["Unix socket", "VERIFY_CA", "enable-cleartext-plugin=true"] {
            assert!(msg.contains(way), "{msg}");
        }
    }
}

// ---- client_ed25519, unix_socket ----

#[test]
fn ed25519_signs_the_switch_nonce() {
    let nonce = [0xabu8; 32];
    let (mut st, first) = AuthState::start(b"client_ed25519", &nonce, b"secret", &cfg()).unwrap();
    assert_eq!(first, ed25519::sign(&nonce, b"secret").unwrap());
    assert_eq!(first.len(), 64);
    assert_eq!(
        st.more_data(&[0], &cfg()),
        Err(AuthError::UnexpectedData(Some(0)))
    );
    assert_eq!(
        AuthState::start(b"client_ed25519", &NONCE, b"secret", &cfg()).unwrap_err(),
        AuthError::BadNonce {
            plugin: "client_ed25519",
            len: 20
        }
    );
}

#[test]
fn unix_socket_sends_empty_response() {
    let (st, first) = AuthState::start(b"unix_socket", &NONCE, b"pw", &cfg()).unwrap();
    assert!(first.is_empty());
    assert!(!st.response_is_secret());
}

#[test]
fn errors_display() {
    let errs = [
        AuthError::UnsupportedPlugin("dialog".into()),
        AuthError::UnexpectedData(Some(4)),
        AuthError::UnexpectedData(None),
        AuthError::Insecure(INSECURE_CLEARTEXT),
        AuthError::UnverifiedPeer,
        AuthError::PublicKey("x".into()),
        AuthError::Encrypt("y".into()),
        AuthError::BadNonce {
            plugin: "client_ed25519",
            len: 3,
        },
    ];
    for e in errs {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn max_auth_rounds() {
    assert_eq!(MAX_AUTH_ROUNDS, 8);
}
