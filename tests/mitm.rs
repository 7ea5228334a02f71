//! A man in the middle with a real TLS stack (`tests/support/tls_server.rs`): it answers the
//! SSLRequest with a freshly generated self-signed certificate and then asks for the password
//! in clear (an AuthSwitchRequest to `mysql_clear_password`, or caching_sha2's full
//! authentication). The server records what it decrypts, so the tests see exactly what an
//! attacker would read.
//!
//! * `mysql_clear_password` over TLS whose certificate was not verified (ssl-mode PREFERRED,
//!   REQUIRED) is refused with [`AuthError::UnverifiedPeer`] before any byte of the password is
//!   written;
//! * it is sent with `enable-cleartext-plugin=true` (which also shows the recorder sees it), and
//!   over VERIFY_CA / VERIFY_IDENTITY with the server's certificate as `ssl-ca`;
//! * caching_sha2_password full authentication and sha256_password over unverified TLS send the
//!   password: the documented behaviour, as in the MySQL clients (protocol-notes/threat-model.md,
//!   row 9).

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use mywire::codec::auth::AuthError;
use mywire::session::SslMode;
use mywire::{Error, Options, Session};
use support::tls_server::{Record, Script, TlsServer};

const PW: &str = "mitm-Secret-pw7";

fn opts(server: &TlsServer, mode: SslMode) -> Options {
    Options::new()
        .host("127.0.0.1")
        .port(server.addr.port())
        .user("alice")
        .password(PW)
        .ssl_mode(mode)
        .connect_timeout(Some(Duration::from_secs(20)))
}

/// Connects, drops the session if it opened, and returns the client's result with what the
/// server received.
async fn run(server: TlsServer, o: Options) -> (Result<(), Error>, Record) {
    let r = Session::connect(o).await.map(drop);
    let rec = server.finish();
    assert!(rec.tls, "the TLS handshake must have completed: {rec:?}");
    (r, rec)
}

fn password_nul() -> Vec<u8> {
    let mut v = PW.as_bytes().to_vec();
    v.push(0);
    v
}

#[tokio::test]
async fn clear_password_refused_over_unverified_tls() {
    for mode in [SslMode::Preferred, SslMode::Required] {
        let server = TlsServer::start(Script::ClearPasswordSwitch);
        let o = opts(&server, mode);
        let (r, rec) = run(server, o).await;
        let e = r.expect_err("the password must not go to an unverified peer");
        assert!(
            matches!(e, Error::Auth(AuthError::UnverifiedPeer)),
            "{mode}: got {e:?}"
        );
        let msg = e.to_string();
        for way in ["Unix socket", "VERIFY_CA", "enable-cleartext-plugin=true"] {
            assert!(
                msg.contains(way),
                "{mode}: the message must name `{way}`: {msg}"
            );
        }
        assert_eq!(rec.answer, None, "{mode}: no answer to the switch");
        assert!(
            rec.after_request.is_empty(),
            "{mode}: sent after the switch: {:02x?}",
            rec.after_request
        );
        assert!(!rec.contains(PW.as_bytes()), "{mode}: the password leaked");
    }
}

#[tokio::test]
async fn clear_password_sent_when_enabled_explicitly() {
    for mode in [SslMode::Preferred, SslMode::Required] {
        let server = TlsServer::start(Script::ClearPasswordSwitch);
        let mut o = opts(&server, mode);
        o.set("enable-cleartext-plugin", "true").expect("option");
        let (r, rec) = run(server, o).await;
        r.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(rec.answer, Some(password_nul()), "{mode}");
        assert!(rec.contains(PW.as_bytes()));
    }
}

#[tokio::test]
async fn clear_password_sent_to_a_verified_peer() {
    for mode in [SslMode::VerifyCa, SslMode::VerifyIdentity] {
        let server = TlsServer::start(Script::ClearPasswordSwitch);
        let mut o = opts(&server, mode);
        o.ssl_ca = Some(server.cert_pem_path.clone());
        let (r, rec) = run(server, o).await;
        r.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(rec.answer, Some(password_nul()), "{mode}");
    }
}

#[tokio::test]
async fn preferred_with_ssl_ca_is_a_verified_peer() {
    // PREFERRED with an ssl-ca means VERIFY_CA (as in MySQL's client).
    let server = TlsServer::start(Script::ClearPasswordSwitch);
    let mut o = opts(&server, SslMode::Preferred);
    o.ssl_ca = Some(server.cert_pem_path.clone());
    let (r, rec) = run(server, o).await;
    r.expect("verified through ssl-ca");
    assert_eq!(rec.answer, Some(password_nul()));
}

#[tokio::test]
async fn caching_sha2_full_auth_over_unverified_tls_sends_the_password() {
    // Documented behaviour (threat-model row 9): as the MySQL clients do, the full
    // authentication of caching_sha2_password sends the password inside any TLS, verified or
    // not. A man in the middle with a self-signed certificate reads it.
    for mode in [SslMode::Preferred, SslMode::Required] {
        let server = TlsServer::start(Script::CachingSha2FullAuth);
        let o = opts(&server, mode);
        let (r, rec) = run(server, o).await;
        r.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(rec.answer, Some(password_nul()), "{mode}");
    }
}

#[tokio::test]
async fn sha256_switch_over_unverified_tls_sends_the_password() {
    // The same documented behaviour for sha256_password: over any TLS the password goes in
    // clear inside it, so refusing mysql_clear_password alone does not keep a man in the middle
    // from reading it under PREFERRED / REQUIRED. Only a verified certificate does.
    for mode in [SslMode::Preferred, SslMode::Required] {
        let server = TlsServer::start(Script::Sha256Switch);
        let o = opts(&server, mode);
        let (r, rec) = run(server, o).await;
        r.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(rec.answer, Some(password_nul()), "{mode}");
    }
}
