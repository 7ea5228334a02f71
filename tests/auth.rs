//! Authentication exchanges against a scripted MySQL 8 server (`tests/support/mysql8.rs`):
//! caching_sha2_password (fast path, full path over TLS / RSA with a pinned key / RSA with a
//! fetched key / refused), sha256_password, mysql_clear_password, auth switches, the bound on
//! switches, empty passwords. The server checks what the client sends with its own code and
//! records every byte, so "nothing was sent" is asserted on the bytes received.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mysql8.rs"]
mod mysql8;

use std::net::SocketAddr;
use std::time::Duration;

use mysql8::{
    caching_sha2_check, greeting, native_check, rsa_decrypt_password, server_rsa, server_tls,
    sha2_stage2, spawn, Conn, NONCE, NONCE2, R,
};
use mywire::codec::auth::MAX_AUTH_ROUNDS;
use mywire::{Error, Options, Session};
use tokio::task::JoinHandle;

const USER: &str = "alice";
const PW: &str = "s3cret-pässword";

fn opts(addr: SocketAddr, password: &str) -> Options {
    Options::new()
        .host("127.0.0.1")
        .port(addr.port())
        .user(USER)
        .password(password)
        .connect_timeout(Some(Duration::from_secs(20)))
}

/// Options for TLS to the scripted server, fully verified against its certificate.
fn tls_opts(addr: SocketAddr, password: &str) -> Options {
    let mut o = opts(addr, password);
    o.set("ssl-mode", "VERIFY_IDENTITY").unwrap();
    o.ssl_ca = Some(server_tls().cert_pem_path.clone());
    o
}

async fn run<T>(o: Options, h: JoinHandle<R<T>>) -> (Result<Session, Error>, T) {
    let client = Session::connect(o).await;
    let server = tokio::time::timeout(Duration::from_secs(20), h)
        .await
        .expect("scripted server timed out")
        .expect("server task panicked");
    match server {
        Ok(t) => (client, t),
        Err(e) => panic!("scripted server: {e}; client: {client:?}"),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads the hello and checks the caching_sha2 scramble over `NONCE`.
async fn hello_caching_sha2(c: &mut Conn, pw: &str) -> R<()> {
    let hello = c.recv_hello(true).await?;
    if hello.user != USER.as_bytes() {
        return Err(format!("user {:?}", hello.user));
    }
    if hello.auth_plugin.as_deref() != Some(&b"caching_sha2_password"[..]) {
        return Err(format!("plugin {:?}", hello.auth_plugin));
    }
    if !caching_sha2_check(&sha2_stage2(pw.as_bytes()), &NONCE, &hello.auth_response) {
        return Err(format!("bad scramble {:02x?}", hello.auth_response));
    }
    Ok(())
}

// ---- caching_sha2_password ----------------------------------------------------------------------

#[tokio::test]
async fn caching_sha2_fast_path() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", false))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        c.send(&[0x01, 0x03]).await?; // fast auth success
        c.send_ok().await?;
        Ok(c.tls)
    })
    .await;
    let (s, tls) = run(opts(addr, PW), h).await;
    let s = s.expect("fast path login");
    assert!(!s.is_tls() && !tls);
    assert_eq!(s.server_version(), "8.0.36-scripted");
}

#[tokio::test]
async fn caching_sha2_full_path_over_tls_sends_password_in_tls() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", true))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        if !c.tls {
            return Err("no TLS".into());
        }
        c.send_more(&[0x04]).await?; // perform full authentication
        let f = c.recv().await?;
        let mut want = PW.as_bytes().to_vec();
        want.push(0);
        if f.seq != 4 || f.payload[..] != want[..] {
            return Err(format!("seq {} payload {:02x?}", f.seq, &f.payload[..]));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let (s, ()) = run(tls_opts(addr, PW), h).await;
    let s = s.expect("full path over TLS");
    assert!(s.is_tls());
}

#[tokio::test]
async fn caching_sha2_full_path_rsa_with_pinned_key() {
    let key_path = server_rsa().public_pem_path.clone();
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", false))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        c.send_more(&[0x04]).await?;
        let f = c.recv().await?;
        if f.payload.len() != 128 {
            return Err(format!("ciphertext of {} bytes", f.payload.len()));
        }
        let pw = rsa_decrypt_password(&f.payload, &NONCE)?;
        if pw != PW.as_bytes() {
            return Err(format!("decrypted {pw:?}"));
        }
        if contains(&c.received, PW.as_bytes()) {
            return Err("password in clear on the wire".into());
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let mut o = opts(addr, PW);
    o.set("server-public-key-path", key_path.to_str().unwrap())
        .unwrap();
    let (s, ()) = run(o, h).await;
    assert!(!s.expect("RSA login").is_tls());
}

#[tokio::test]
async fn caching_sha2_full_path_fetches_key_when_allowed() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", false))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        c.send_more(&[0x04]).await?;
        let f = c.recv().await?;
        if f.payload[..] != [0x02] {
            return Err(format!(
                "expected key request 02, got {:02x?}",
                &f.payload[..]
            ));
        }
        c.send_more(server_rsa().public_pem.as_bytes()).await?;
        let f = c.recv().await?;
        let pw = rsa_decrypt_password(&f.payload, &NONCE)?;
        if pw != PW.as_bytes() {
            return Err(format!("decrypted {pw:?}"));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let o = Options::from_url(&format!(
        "mysql://{USER}:s3cret-p%C3%A4ssword@127.0.0.1:{}/?get-server-public-key=true",
        addr.port()
    ))
    .unwrap();
    assert_eq!(o.password.expose(), PW);
    let (s, ()) = run(o, h).await;
    s.expect("login with a fetched key");
}

#[tokio::test]
async fn caching_sha2_full_path_over_plain_tcp_without_key_sends_no_password() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", false))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        let after_hello = c.received.len();
        c.send_more(&[0x04]).await?;
        let total = c.expect_eof().await?;
        Ok((after_hello, total, c.received.clone()))
    })
    .await;
    let (s, (after_hello, total, bytes)) = run(opts(addr, PW), h).await;
    let e = s.expect_err("must refuse").to_string();
    assert!(
        e.contains("server-public-key-path") && e.contains("get-server-public-key"),
        "{e}"
    );
    assert_eq!(
        after_hello, total,
        "nothing may follow the handshake response"
    );
    assert!(!contains(&bytes, PW.as_bytes()));
}

#[tokio::test]
async fn caching_sha2_wrong_password_gets_1045() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", true))
            .await?;
        let hello = c.recv_hello(true).await?;
        // The cached hash is that of PW; the client's scramble does not match: full auth.
        if caching_sha2_check(&sha2_stage2(PW.as_bytes()), &NONCE, &hello.auth_response) {
            return Err("wrong password passed the fast path".into());
        }
        c.send_more(&[0x04]).await?;
        let f = c.recv().await?;
        if f.payload[..] != b"wrong\0"[..] {
            return Err(format!("payload {:02x?}", &f.payload[..]));
        }
        c.send_access_denied(&hello.user).await?;
        Ok(())
    })
    .await;
    let (s, ()) = run(tls_opts(addr, "wrong"), h).await;
    let e = s.expect_err("wrong password");
    let se = e.server_error().expect("server error");
    assert_eq!((se.code, se.sql_state.as_str()), (1045, "28000"), "{e}");
}

// ---- auth switches --------------------------------------------------------------------------

#[tokio::test]
async fn switch_native_to_caching_sha2() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("mysql_native_password", false))
            .await?;
        let hello = c.recv_hello(false).await?;
        if !native_check(PW.as_bytes(), &NONCE, &hello.auth_response) {
            return Err("bad native scramble".into());
        }
        c.send_switch("caching_sha2_password", &NONCE2).await?;
        let f = c.recv().await?;
        if !caching_sha2_check(&sha2_stage2(PW.as_bytes()), &NONCE2, &f.payload) {
            return Err("bad caching_sha2 scramble after switch".into());
        }
        c.send(&[0x01, 0x03]).await?;
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let (s, ()) = run(opts(addr, PW), h).await;
    s.expect("switch to caching_sha2");
}

#[tokio::test]
async fn switch_caching_sha2_to_native() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("caching_sha2_password", false))
            .await?;
        hello_caching_sha2(&mut c, PW).await?;
        c.send_switch("mysql_native_password", &NONCE2).await?;
        let f = c.recv().await?;
        if !native_check(PW.as_bytes(), &NONCE2, &f.payload) {
            return Err(format!("bad native scramble {:02x?}", &f.payload[..]));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let (s, ()) = run(opts(addr, PW), h).await;
    s.expect("switch to native");
}

#[tokio::test]
async fn endless_switches_stop_at_the_bound() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        let mut answered = 0usize;
        loop {
            if c.send_switch("mysql_native_password", &NONCE2)
                .await
                .is_err()
            {
                break;
            }
            match c.recv_opt().await {
                Ok(Some(_)) => answered += 1,
                _ => break,
            }
            if answered > 100 {
                return Err("the client never gave up".into());
            }
        }
        Ok(answered)
    })
    .await;
    let (s, answered) = run(opts(addr, PW), h).await;
    let e = s.expect_err("must give up");
    assert!(
        matches!(
            e,
            Error::Auth(mywire::codec::auth::AuthError::TooManyRounds(_))
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("giving up"), "{e}");
    assert_eq!(answered, MAX_AUTH_ROUNDS);
}

// ---- sha256_password ------------------------------------------------------------------------

#[tokio::test]
async fn sha256_over_tls_sends_password() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("sha256_password", true)).await?;
        let hello = c.recv_hello(true).await?;
        let mut want = PW.as_bytes().to_vec();
        want.push(0);
        if !c.tls || hello.auth_response != want {
            return Err(format!(
                "tls {} response {:02x?}",
                c.tls, hello.auth_response
            ));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let (s, ()) = run(tls_opts(addr, PW), h).await;
    s.expect("sha256 over TLS");
}

#[tokio::test]
async fn sha256_pinned_key_over_plain_tcp() {
    let key_path = server_rsa().public_pem_path.clone();
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("sha256_password", false)).await?;
        let hello = c.recv_hello(false).await?;
        let pw = rsa_decrypt_password(&hello.auth_response, &NONCE)?;
        if pw != PW.as_bytes() {
            return Err(format!("decrypted {pw:?}"));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let mut o = opts(addr, PW);
    o.server_public_key_path = Some(key_path);
    let (s, ()) = run(o, h).await;
    s.expect("sha256 with pinned key");
}

#[tokio::test]
async fn sha256_fetched_key_after_switch() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        c.send_switch("sha256_password", &NONCE2).await?;
        let f = c.recv().await?;
        if f.payload[..] != [0x01] {
            return Err(format!(
                "expected key request 01, got {:02x?}",
                &f.payload[..]
            ));
        }
        c.send_more(server_rsa().public_pem.as_bytes()).await?;
        let f = c.recv().await?;
        let pw = rsa_decrypt_password(&f.payload, &NONCE2)?;
        if pw != PW.as_bytes() {
            return Err(format!("decrypted {pw:?}"));
        }
        c.send_ok().await?;
        Ok(())
    })
    .await;
    let mut o = opts(addr, PW);
    o.get_server_public_key = true;
    let (s, ()) = run(o, h).await;
    s.expect("sha256 with fetched key");
}

#[tokio::test]
async fn sha256_default_plugin_over_plain_tcp_without_key_sends_nothing() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("sha256_password", false)).await?;
        c.expect_eof().await
    })
    .await;
    let (s, received) = run(opts(addr, PW), h).await;
    let e = s.expect_err("must refuse").to_string();
    assert!(e.contains("server-public-key-path"), "{e}");
    assert_eq!(received, 0, "not even the user name may be sent");
}

#[tokio::test]
async fn sha256_switch_over_plain_tcp_without_key_sends_no_password() {
    let (addr, h) = spawn(|mut c| async move {
        c.send_greeting(&greeting("mysql_native_password", false))
            .await?;
        c.recv_hello(false).await?;
        let n = c.received.len();
        c.send_switch("sha256_password", &NONCE2).await?;
        Ok((n, c.expect_eof().await?))
    })
    .await;
    let (s, (n, total)) = run(opts(addr, PW), h).await;
    assert!(s.is_err());
    assert_eq!(n, total);
}

// ---- mysql_clear_password -------------------------------------------------------------------

async fn clear_script(mut c: Conn) -> R<(usize, usize, Vec<u8>)> {
    c.send_greeting(&greeting("mysql_native_password", false))
        .await?;
    c.recv_hello(false).await?;
    let n = c.received.len();
    c.send_switch("mysql_clear_password", &[]).await?;
    match c.recv_opt().await? {
        None => Ok((n, c.received.len(), Vec::new())),
        Some(f) => {
            c.send_ok().await?;
            Ok((n, c.received.len(), f.payload.to_vec()))
        }
    }
}

#[tokio::test]
async fn clear_password_refused_over_plain_tcp() {
    let (addr, h) = spawn(clear_script).await;
    let (s, (n, total, _)) = run(opts(addr, PW), h).await;
    let e = s.expect_err("must refuse").to_string();
    assert!(e.contains("enable-cleartext-plugin"), "{e}");
    assert_eq!(n, total, "the password must not be sent");
}

#[tokio::test]
async fn clear_password_allowed_with_option() {
    let (addr, h) = spawn(clear_script).await;
    let mut o = opts(addr, PW);
    o.set("enable-cleartext-plugin", "true").unwrap();
    let (s, (_, _, payload)) = run(o, h).await;
    s.expect("cleartext allowed");
    let mut want = PW.as_bytes().to_vec();
    want.push(0);
    assert_eq!(payload, want);
}

// ---- empty passwords ------------------------------------------------------------------------

/// For each plugin (as the greeting's default): the first auth response the client sends with
/// an empty password, over plain TCP with no options.
#[tokio::test]
async fn empty_password_per_plugin() {
    for (plugin, want) in [
        ("mysql_native_password", Vec::new()),
        ("caching_sha2_password", Vec::new()),
        ("sha256_password", vec![0u8]),
    ] {
        let (addr, h) = spawn(move |mut c| async move {
            c.send_greeting(&greeting(plugin, false)).await?;
            let hello = c.recv_hello(false).await?;
            c.send_ok().await?;
            Ok(hello.auth_response)
        })
        .await;
        let (s, got) = run(opts(addr, ""), h).await;
        s.unwrap_or_else(|e| panic!("{plugin}: {e}"));
        assert_eq!(got, want, "{plugin}");
    }
    // mysql_clear_password with an empty password still needs permission over plain TCP, and
    // then sends a lone NUL.
    let (addr, h) = spawn(clear_script).await;
    let mut o = opts(addr, "");
    o.enable_cleartext_plugin = true;
    let (s, (_, _, payload)) = run(o, h).await;
    s.expect("empty cleartext");
    assert_eq!(payload, vec![0]);
}
