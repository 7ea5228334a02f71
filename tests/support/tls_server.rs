//! A scripted man in the middle with a real TLS stack: it greets with CLIENT_SSL, answers the
//! client's SSLRequest with a rustls handshake using a certificate generated for this one server
//! (rcgen, self-signed, valid for `localhost` and `127.0.0.1`), reads the HandshakeResponse41
//! inside TLS, and then plays one [`Script`] (an AuthSwitchRequest to `mysql_clear_password` or
//! `sha256_password`, or caching_sha2_password's "perform full authentication").
//!
//! Every byte the client sends is recorded: before TLS as received, after TLS as decrypted by
//! the server, so tests can check exactly what an attacker holding the TLS session would read.
//! The server runs on its own thread with its own current-thread runtime (like
//! `scripted.rs`), so any client runtime works.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use mywire::codec::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::codec::handshake::{
    encode_auth_switch, encode_handshake, parse_client_hello, AuthSwitch, ClientHello, Handshake,
};
use mywire::codec::response::{encode_ok, OkPacket};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long the server waits for each client packet.
const WAIT: Duration = Duration::from_secs(10);

/// MySQL 8's capability word, CLIENT_SSL included.
const CAPS: u32 = 0xdfff_ffff;

/// What the server does once the client's HandshakeResponse41 arrived inside TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Greet with `mysql_native_password`, then send an AuthSwitchRequest for
    /// `mysql_clear_password`; OK whatever comes back.
    ClearPasswordSwitch,
    /// Greet with `caching_sha2_password`, then send AuthMoreData 0x04 ("perform full
    /// authentication", the server's cache is cold); OK whatever comes back.
    CachingSha2FullAuth,
    /// Greet with `mysql_native_password`, then send an AuthSwitchRequest for
    /// `sha256_password`; OK whatever comes back.
    Sha256Switch,
}

/// A certificate and key made for one server.
pub struct Identity {
    /// The rustls server configuration presenting the certificate.
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate as PEM (usable as the client's `ssl-ca`).
    pub cert_pem_path: PathBuf,
}

/// Generates a fresh self-signed certificate for `localhost` and `127.0.0.1`.
pub fn fresh_identity() -> Identity {
    static N: AtomicUsize = AtomicUsize::new(0);
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("rcgen");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![ck.cert.der().clone()], key)
    .expect("server cert");
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("mywire-tls-server-{}-{n}.pem", std::process::id()));
    std::fs::write(&path, ck.cert.pem()).expect("write certificate");
    Identity {
        config: Arc::new(config),
        cert_pem_path: path,
    }
}

/// A test CA made with rcgen, to sign server certificates that are expired, not yet valid,
/// or made out to another name (the negative TLS tests).
pub struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
    /// The CA certificate as PEM (usable as the client's `ssl-ca`).
    pub pem_path: PathBuf,
}

fn temp_pem(what: &str, pem: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mywire-{what}-{}-{n}.pem", std::process::id()));
    std::fs::write(&path, pem).expect("write certificate");
    path
}

/// A certificate's validity: from and to, as (year, month, day).
pub type Validity = ((i32, u8, u8), (i32, u8, u8));

/// Valid from 2000 to 2999: good now.
pub const VALID: Validity = ((2000, 1, 1), (2999, 1, 1));
/// Expired at the start of 2001.
pub const EXPIRED: Validity = ((2000, 1, 1), (2001, 1, 1));
/// Valid from 2990 on.
pub const NOT_YET_VALID: Validity = ((2990, 1, 1), (2999, 1, 1));

impl TestCa {
    /// A fresh self-signed CA named `cn`.
    pub fn new(cn: &str) -> TestCa {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2999, 1, 1);
        let cert = params.self_signed(&key).expect("CA certificate");
        let pem_path = temp_pem("test-ca", &cert.pem());
        TestCa {
            cert,
            key,
            pem_path,
        }
    }

    /// A server identity signed by this CA for `names` (DNS names or IP addresses), valid
    /// over `validity`.
    pub fn issue(&self, names: &[&str], validity: Validity) -> Identity {
        let key = rcgen::KeyPair::generate().expect("server key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("params");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("x"),
        );
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let ((y0, m0, d0), (y1, m1, d1)) = validity;
        params.not_before = rcgen::date_time_ymd(y0, m0, d0);
        params.not_after = rcgen::date_time_ymd(y1, m1, d1);
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("server certificate");
        let der = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .expect("server cert");
        Identity {
            config: Arc::new(config),
            cert_pem_path: temp_pem("test-leaf", &cert.pem()),
        }
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_path);
    }
}

/// What the client sent.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Bytes received before TLS (the SSLRequest).
    pub plain: Vec<u8>,
    /// Bytes received inside TLS, as decrypted by the server, in order.
    pub decrypted: Vec<u8>,
    /// The part of `decrypted` that arrived after the server sent the script's request (the
    /// switch or the full-authentication request).
    pub after_request: Vec<u8>,
    /// The payload of the client's answer to that request, if it sent one.
    pub answer: Option<Vec<u8>>,
    /// True once the server's TLS handshake completed.
    pub tls: bool,
    /// Why the script stopped early, if it did.
    pub error: Option<String>,
}

impl Record {
    /// True if `needle` occurs anywhere in what the client sent, before or inside TLS.
    pub fn contains(&self, needle: &[u8]) -> bool {
        let has = |hay: &[u8]| !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle);
        has(&self.plain) || has(&self.decrypted)
    }
}

/// A running TLS server.
pub struct TlsServer {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    /// Its certificate as PEM.
    pub cert_pem_path: PathBuf,
    handle: Option<JoinHandle<Record>>,
}

impl TlsServer {
    /// Binds 127.0.0.1:0 with a fresh identity and plays `script` for the first connection.
    pub fn start(script: Script) -> TlsServer {
        TlsServer::start_with(fresh_identity(), script)
    }

    /// Like [`TlsServer::start`], presenting `id`'s certificate.
    pub fn start_with(id: Identity, script: Script) -> TlsServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let config = id.config.clone();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut rec = Record::default();
                if let Err(e) = serve(listener, config, script, &mut rec).await {
                    rec.error = Some(e);
                }
                rec
            })
        });
        TlsServer {
            addr,
            cert_pem_path: id.cert_pem_path,
            handle: Some(handle),
        }
    }

    /// Waits for the script to end and returns what the client sent.
    pub fn finish(mut self) -> Record {
        let rec = self
            .handle
            .take()
            .expect("finished once")
            .join()
            .expect("server thread");
        let _ = std::fs::remove_file(&self.cert_pem_path);
        rec
    }
}

fn header(len: usize, seq: u8) -> [u8; 4] {
    let l = u32::try_from(len).expect("length").to_le_bytes();
    [l[0], l[1], l[2], seq]
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, seq: u8, payload: &[u8]) -> Result<(), String> {
    let mut out = header(payload.len(), seq).to_vec();
    out.extend_from_slice(payload);
    s.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
    s.flush().await.map_err(|e| format!("flush: {e}"))
}

/// Reads exactly one packet (never a byte more: the TLS ClientHello may follow the SSLRequest)
/// and appends its bytes to `log`. `None` when the client closed the connection.
async fn recv<S: AsyncRead + Unpin>(
    s: &mut S,
    log: &mut Vec<u8>,
) -> Result<Option<(u8, Vec<u8>)>, String> {
    let mut head = [0u8; 4];
    match tokio::time::timeout(WAIT, s.read_exact(&mut head)).await {
        Err(_) => return Err("timed out waiting for a client packet".into()),
        Ok(Err(_)) => return Ok(None),
        Ok(Ok(_)) => {}
    }
    log.extend_from_slice(&head);
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    let mut body = vec![0u8; len];
    match tokio::time::timeout(WAIT, s.read_exact(&mut body)).await {
        Err(_) => return Err("timed out inside a client packet".into()),
        Ok(Err(e)) => return Err(format!("EOF inside a client packet: {e}")),
        Ok(Ok(_)) => {}
    }
    log.extend_from_slice(&body);
    Ok(Some((head[3], body)))
}

async fn serve(
    listener: std::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    script: Script,
    rec: &mut Record,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let (mut sock, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .map_err(|_| "no client connected".to_string())?
        .map_err(|e| format!("accept: {e}"))?;

    let plugin = match script {
        Script::ClearPasswordSwitch | Script::Sha256Switch => "mysql_native_password",
        Script::CachingSha2FullAuth => "caching_sha2_password",
    };
    let mut greeting = BytesMut::new();
    encode_handshake(
        &Handshake {
            protocol_version: 10,
            server_version: "8.0.36-mitm".into(),
            connection_id: 9,
            nonce: b"0123456789abcdefghij".to_vec(),
            capabilities: CapabilityFlags(CAPS),
            charset: 255,
            status: StatusFlags::AUTOCOMMIT,
            mariadb_capabilities: MariaDbCapabilities::empty(),
            auth_plugin: Some(plugin.into()),
        },
        &mut greeting,
    );
    send(&mut sock, 0, &greeting).await?;

    let Some((1, req)) = recv(&mut sock, &mut rec.plain).await? else {
        return Err("no SSLRequest with sequence id 1".into());
    };
    if !matches!(parse_client_hello(&req), Ok(ClientHello::SslRequest(_))) {
        return Err(format!("expected an SSLRequest, got {req:02x?}"));
    }
    let mut tls = tokio_rustls::TlsAcceptor::from(config)
        .accept(sock)
        .await
        .map_err(|e| format!("server TLS handshake: {e}"))?;
    rec.tls = true;

    let Some((2, hello)) = recv(&mut tls, &mut rec.decrypted).await? else {
        return Err("no HandshakeResponse41 with sequence id 2 inside TLS".into());
    };
    let caps = match parse_client_hello(&hello) {
        Ok(ClientHello::Response(r)) => r.capabilities,
        other => return Err(format!("expected a HandshakeResponse41, got {other:?}")),
    };

    let mut request = BytesMut::new();
    match script {
        Script::ClearPasswordSwitch => encode_auth_switch(
            &AuthSwitch {
                plugin: "mysql_clear_password".into(),
                data: Vec::new(),
            },
            &mut request,
        ),
        Script::CachingSha2FullAuth => request.extend_from_slice(&[0x01, 0x04]),
        Script::Sha256Switch => encode_auth_switch(
            &AuthSwitch {
                plugin: "sha256_password".into(),
                data: b"ABCDEFGHIJklmnopqrst".to_vec(),
            },
            &mut request,
        ),
    }
    send(&mut tls, 3, &request).await?;
    let start = rec.decrypted.len();
    let answer = recv(&mut tls, &mut rec.decrypted).await;
    if let Ok(Some((_, payload))) = &answer {
        rec.answer = Some(payload.clone());
        let mut ok = BytesMut::new();
        let packet = OkPacket {
            status: StatusFlags::AUTOCOMMIT,
            ..OkPacket::default()
        };
        encode_ok(&packet, 0x00, caps, &mut ok);
        send(&mut tls, 5, &ok).await?;
    }
    // Whatever else the client sends until it hangs up (COM_QUIT, or nothing).
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        rec.decrypted.extend_from_slice(&buf[..n]);
    }
    rec.after_request = rec.decrypted[start..].to_vec();
    answer.map(|_| ())
}
