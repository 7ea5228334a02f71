//! AuthSwitchRequest and AuthMoreData, then every auth plugin state machine.
//!
//! parse_auth_switch round-trips through encode_auth_switch. Each plugin (and the one named by
//! the switch) is started with AuthState::start and fed the AuthMoreData payloads. Properties: no
//! panic, on an insecure link without enable-cleartext-plugin nothing the client would send
//! contains the password, and mysql_clear_password starts only for a verified peer or with
//! enable-cleartext-plugin.
#![no_main]
use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::auth::{AuthAction, AuthConfig, AuthState};
use mywire::codec::handshake::{encode_auth_switch, parse_auth_more_data, parse_auth_switch};

const PLUGINS: &[&[u8]] = &[
    b"mysql_native_password",
    b"caching_sha2_password",
    b"sha256_password",
    b"mysql_clear_password",
    b"client_ed25519",
    b"unix_socket",
    b"dialog",
];

/// A throwaway 2048-bit RSA public key (generated for the fuzzer; no private key kept).
pub const KEY: &str = include_str!("../keys/fuzz_public_key.pem");

#[derive(Arbitrary, Debug)]
enum Key {
    None,
    Valid,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    switch: Vec<u8>,
    nonce: Vec<u8>,
    password: Vec<u8>,
    secure: bool,
    /// With `secure`: the peer's certificate was verified (or a Unix socket).
    verified: bool,
    get_key: bool,
    cleartext: bool,
    key: Key,
    /// AuthMoreData packets as received (0x01 header included, or not: parse decides).
    more: Vec<Vec<u8>>,
}

fuzz_target!(|inp: Input| {
    let mut plugins: Vec<Vec<u8>> = PLUGINS.iter().map(|p| p.to_vec()).collect();
    if let Ok(sw) = parse_auth_switch(&inp.switch) {
        let mut out = BytesMut::new();
        encode_auth_switch(&sw, &mut out);
        assert_eq!(
            parse_auth_switch(&out).as_ref(),
            Ok(&sw),
            "auth switch round trip"
        );
        plugins.push(sw.plugin.into_bytes());
    }
    let cfg = AuthConfig {
        secure_transport: inp.secure,
        verified_peer: inp.secure && inp.verified,
        server_public_key: match &inp.key {
            Key::None => None,
            Key::Valid => Some(KEY.as_bytes().to_vec()),
            Key::Bytes(b) => Some(b.clone()),
        },
        get_server_public_key: inp.get_key,
        enable_cleartext_plugin: inp.cleartext,
        rng_seed: Some([7; 32]),
    };
    let guard_password = !inp.secure && !inp.cleartext && inp.password.len() >= 6;
    let check = |sent: &[u8]| {
        if guard_password {
            assert!(
                !sent
                    .windows(inp.password.len())
                    .any(|w| w == inp.password.as_slice()),
                "password sent in clear over an insecure link"
            );
        }
    };
    for plugin in &plugins {
        let Ok((mut st, first)) = AuthState::start(plugin, &inp.nonce, &inp.password, &cfg) else {
            continue;
        };
        assert!(
            plugin.as_slice() != b"mysql_clear_password"
                || cfg.verified_peer
                || cfg.enable_cleartext_plugin,
            "mysql_clear_password started for an unauthenticated peer"
        );
        check(&first);
        let _ = (st.plugin_name(), st.response_is_secret(), format!("{st:?}"));
        for m in inp.more.iter().take(8) {
            let data = parse_auth_more_data(m).unwrap_or(m);
            match st.more_data(data, &cfg) {
                Ok(AuthAction::Send(b)) => check(&b),
                Ok(AuthAction::Wait) => {}
                Err(_) => break,
            }
        }
    }
});
