#![allow(dead_code)]
//! A scripted MySQL 8 server for authentication tests: a tokio TCP listener on 127.0.0.1:0
//! that plays the server side of one connection, written as an async block per test.
//!
//! Include it with `#[path = "support/mysql8.rs"] mod mysql8;` (it does not need the MariaDB
//! harness). The server side is built from the library's encoders (`encode_handshake`,
//! `encode_auth_switch`, `encode_ok`, `encode_err`, `PacketCodec`), but it *checks* what the
//! client sends with independent code: caching_sha2 scrambles are verified the way the server
//! does it (from the stored SHA256(SHA256(password))), RSA ciphertexts are decrypted with a key
//! pair generated here, TLS is a real rustls server with an rcgen certificate.
//!
//! Every byte the client sends (plaintext, i.e. inside TLS after the SSLRequest) is recorded in
//! [`Conn::received`], so tests can assert that no password left the client.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use mywire::codec::frame::{Frame, PacketCodec};
use mywire::codec::handshake::{
    encode_auth_switch, encode_handshake, parse_client_hello, AuthSwitch, ClientHello, Handshake,
    HandshakeResponse,
};
use mywire::codec::response::{encode_err, encode_ok, ErrPacket, OkPacket};
use mywire::codec::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::session::Duplex;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::{Oaep, RsaPrivateKey};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The nonce every scripted greeting uses (20 bytes, no NUL inside).
pub const NONCE: [u8; 20] = *b"0123456789abcdefghij";
/// A second nonce for auth switches.
pub const NONCE2: [u8; 20] = *b"ABCDEFGHIJklmnopqrst";

/// MySQL 8's capability word minus CLIENT_SSL (CLIENT_MYSQL / LONG_PASSWORD set: not MariaDB).
pub fn mysql8_caps(tls: bool) -> CapabilityFlags {
    let mut c = CapabilityFlags(0xdfff_ffff) & !CapabilityFlags::SSL;
    c.set(CapabilityFlags::SSL, tls);
    c
}

/// The greeting of a MySQL 8.0 server with `plugin` as default.
pub fn greeting(plugin: &str, tls: bool) -> Handshake {
    Handshake {
        protocol_version: 10,
        server_version: "8.0.36-scripted".into(),
        connection_id: 42,
        nonce: NONCE.to_vec(),
        capabilities: mysql8_caps(tls),
        charset: 255,
        status: StatusFlags(2),
        mariadb_capabilities: MariaDbCapabilities::empty(),
        auth_plugin: Some(plugin.into()),
    }
}

/// One server-side connection.
pub struct Conn {
    io: Box<dyn Duplex>,
    codec: PacketCodec,
    rbuf: BytesMut,
    /// Every byte received from the client (inside TLS: the plaintext), in order.
    pub received: Vec<u8>,
    /// The client's capabilities from its HandshakeResponse41.
    pub client_caps: CapabilityFlags,
    /// True once TLS is up.
    pub tls: bool,
    /// The compressed protocol, once [`Conn::start_compression`] turned it on.
    zip: Option<Zip>,
}

/// The compressed protocol's state on the server side, written from the MySQL dev docs
/// ("Compression", "Compressed Packet") with the compression crates directly, not with the
/// library's framing: a 7-byte header (3 bytes of payload length, the compressed sequence id,
/// 3 bytes of length before compression, 0 when sent as is), one counter for both directions
/// restarting at 0 with each command.
struct Zip {
    zstd: bool,
    seq: u8,
    /// Compressed bytes received, not yet inflated.
    raw: BytesMut,
}

pub type R<T> = Result<T, String>;

impl Conn {
    /// Sends one packet with the running sequence id (in a compressed packet of its own once
    /// compression is on).
    pub async fn send(&mut self, payload: &[u8]) -> R<()> {
        let mut out = BytesMut::new();
        self.codec.encode_parts(&[payload], &mut out);
        if self.zip.is_some() {
            out = BytesMut::from(&self.compressed(&out)[..]);
        }
        self.send_wire(&out).await
    }

    /// Sends bytes exactly as given.
    pub async fn send_wire(&mut self, out: &[u8]) -> R<()> {
        self.io
            .write_all(out)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.io.flush().await.map_err(|e| format!("flush: {e}"))
    }

    /// Turns the compressed protocol on (after the connection phase's OK), zstd or zlib.
    pub fn start_compression(&mut self, zstd: bool) {
        self.zip = Some(Zip {
            zstd,
            seq: 0,
            raw: BytesMut::new(),
        });
    }

    /// `plain` (packets with their headers, or any run of bytes) as compressed packets of at
    /// most 16 MiB - 1 plain bytes each, compressed when 50 bytes or longer, with the running
    /// compressed sequence ids.
    pub fn compressed(&mut self, plain: &[u8]) -> Vec<u8> {
        let zip = self.zip.as_mut().expect("compression is on");
        let mut out = Vec::new();
        for chunk in plain.chunks(0xFF_FFFF) {
            let (body, ulen) = if chunk.len() >= 50 {
                let packed = if zip.zstd {
                    zstd::bulk::compress(chunk, 3).expect("zstd")
                } else {
                    use std::io::Write;
                    let mut z =
                        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                    z.write_all(chunk).expect("zlib");
                    z.finish().expect("zlib")
                };
                (packed, chunk.len())
            } else {
                (chunk.to_vec(), 0)
            };
            out.extend_from_slice(&u24(body.len()));
            out.push(zip.seq);
            out.extend_from_slice(&u24(ulen));
            out.extend_from_slice(&body);
            zip.seq = zip.seq.wrapping_add(1);
        }
        out
    }

    /// The compressed sequence id of the next compressed packet.
    pub fn compressed_seq(&self) -> u8 {
        self.zip.as_ref().map_or(0, |z| z.seq)
    }

    /// Inflates every whole compressed packet received into the plain buffer (compressed
    /// sequence ids checked).
    fn inflate_received(&mut self) -> R<()> {
        let Some(zip) = self.zip.as_mut() else {
            return Ok(());
        };
        while zip.raw.len() >= 7 {
            let len = usize::from(zip.raw[0])
                | usize::from(zip.raw[1]) << 8
                | usize::from(zip.raw[2]) << 16;
            let ulen = usize::from(zip.raw[4])
                | usize::from(zip.raw[5]) << 8
                | usize::from(zip.raw[6]) << 16;
            if zip.raw.len() < 7 + len {
                break;
            }
            if zip.raw[3] != zip.seq {
                return Err(format!(
                    "compressed sequence id {} where {} was due",
                    zip.raw[3], zip.seq
                ));
            }
            zip.seq = zip.seq.wrapping_add(1);
            let pkt = zip.raw.split_to(7 + len);
            let body = &pkt[7..];
            if ulen == 0 {
                self.rbuf.extend_from_slice(body);
            } else if zip.zstd {
                let plain = zstd::bulk::decompress(body, ulen).map_err(|e| format!("zstd: {e}"))?;
                self.rbuf.extend_from_slice(&plain);
            } else {
                use std::io::Read;
                let mut plain = Vec::new();
                flate2::read::ZlibDecoder::new(body)
                    .read_to_end(&mut plain)
                    .map_err(|e| format!("zlib: {e}"))?;
                if plain.len() != ulen {
                    return Err(format!("inflated {} bytes, announced {ulen}", plain.len()));
                }
                self.rbuf.extend_from_slice(&plain);
            }
        }
        Ok(())
    }

    /// Reads one packet (sequence id checked); `None` at EOF between packets.
    pub async fn recv_opt(&mut self) -> R<Option<Frame>> {
        loop {
            self.inflate_received()?;
            if let Some(f) = self
                .codec
                .decode_frame(&mut self.rbuf)
                .map_err(|e| format!("client packet: {e}"))?
            {
                return Ok(Some(f));
            }
            let mut buf = [0u8; 8192];
            let n = match self.io.read(&mut buf).await {
                Ok(n) => n,
                // The client dropping the TLS connection without close_notify is an EOF here.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(format!("read: {e}")),
            };
            if n == 0 {
                return if self.rbuf.is_empty() {
                    Ok(None)
                } else {
                    Err(format!("EOF inside a packet: {:02x?}", &self.rbuf[..]))
                };
            }
            self.received.extend_from_slice(&buf[..n]);
            match self.zip.as_mut() {
                Some(z) => z.raw.extend_from_slice(&buf[..n]),
                None => self.rbuf.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Reads the client's next command (sequence ids, the compressed one too, at 0 again);
    /// `None` at EOF.
    pub async fn recv_command(&mut self) -> R<Option<Frame>> {
        self.codec.set_seq(0);
        if let Some(z) = self.zip.as_mut() {
            z.seq = 0;
        }
        self.recv_opt().await
    }

    /// Reads exactly one packet from the socket, not a byte more (the client may send its TLS
    /// ClientHello right behind the SSLRequest, and those bytes belong to the TLS acceptor).
    pub async fn recv_exact(&mut self) -> R<Frame> {
        if !self.rbuf.is_empty() {
            return Err("bytes buffered before the client's first packet".into());
        }
        let mut head = [0u8; 4];
        self.io
            .read_exact(&mut head)
            .await
            .map_err(|e| format!("read header: {e}"))?;
        let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
        let mut body = vec![0u8; len];
        self.io
            .read_exact(&mut body)
            .await
            .map_err(|e| format!("read payload: {e}"))?;
        self.received.extend_from_slice(&head);
        self.received.extend_from_slice(&body);
        self.rbuf.extend_from_slice(&head);
        self.rbuf.extend_from_slice(&body);
        self.codec
            .decode_frame(&mut self.rbuf)
            .map_err(|e| format!("client packet: {e}"))?
            .ok_or_else(|| "incomplete first packet".to_string())
    }

    /// Reads one packet; EOF is an error.
    pub async fn recv(&mut self) -> R<Frame> {
        self.recv_opt()
            .await?
            .ok_or_else(|| "the client closed the connection".to_string())
    }

    /// Expects the client to close the connection without sending anything more; returns the
    /// number of bytes received so far in total.
    pub async fn expect_eof(&mut self) -> R<usize> {
        match self.recv_opt().await? {
            None => Ok(self.received.len()),
            Some(f) => Err(format!(
                "expected the client to hang up, got packet seq {} {:02x?}",
                f.seq,
                &f.payload[..]
            )),
        }
    }

    /// Sends a greeting.
    pub async fn send_greeting(&mut self, hs: &Handshake) -> R<()> {
        let mut p = BytesMut::new();
        encode_handshake(hs, &mut p);
        self.send(&p).await
    }

    /// Reads the client's HandshakeResponse41; when it starts with an SSLRequest, runs the TLS
    /// handshake first (with the scripted server's certificate) — unless `allow_tls` is false.
    pub async fn recv_hello(&mut self, allow_tls: bool) -> R<HandshakeResponse> {
        let f = self.recv_exact().await?;
        if f.seq != 1 {
            return Err(format!("first client packet has seq {}", f.seq));
        }
        match parse_client_hello(&f.payload).map_err(|e| format!("client hello: {e}"))? {
            ClientHello::Response(r) => {
                self.client_caps = r.capabilities;
                Ok(r)
            }
            ClientHello::SslRequest(_) if !allow_tls => Err("unexpected SSLRequest".into()),
            ClientHello::SslRequest(ssl) => {
                self.start_tls().await?;
                let f = self.recv().await?;
                if f.seq != 2 {
                    return Err(format!("response inside TLS has seq {}", f.seq));
                }
                match parse_client_hello(&f.payload).map_err(|e| format!("client hello: {e}"))? {
                    ClientHello::Response(r) => {
                        if r.capabilities != ssl.capabilities {
                            return Err(format!(
                                "capabilities differ: SSLRequest {:?}, response {:?}",
                                ssl.capabilities, r.capabilities
                            ));
                        }
                        self.client_caps = r.capabilities;
                        Ok(r)
                    }
                    ClientHello::SslRequest(_) => Err("second SSLRequest".into()),
                }
            }
        }
    }

    async fn start_tls(&mut self) -> R<()> {
        if !self.rbuf.is_empty() {
            return Err("client sent bytes after the SSLRequest before TLS".into());
        }
        let acceptor = tokio_rustls::TlsAcceptor::from(server_tls().config.clone());
        let io = std::mem::replace(&mut self.io, Box::new(tokio::io::empty()));
        let tls = acceptor
            .accept(io)
            .await
            .map_err(|e| format!("server TLS handshake: {e}"))?;
        self.io = Box::new(tls);
        self.tls = true;
        Ok(())
    }

    /// Sends an OK packet.
    pub async fn send_ok(&mut self) -> R<()> {
        let mut p = BytesMut::new();
        let ok = OkPacket {
            status: StatusFlags(2),
            ..Default::default()
        };
        encode_ok(&ok, 0x00, self.client_caps, &mut p);
        self.send(&p).await
    }

    /// Sends an ERR packet.
    pub async fn send_err(&mut self, code: u16, state: &str, msg: &str) -> R<()> {
        let mut p = BytesMut::new();
        encode_err(
            &ErrPacket {
                code,
                sql_state: Some(state.as_bytes().try_into().map_err(|_| "bad sqlstate")?),
                message: msg.into(),
            },
            &mut p,
        );
        self.send(&p).await
    }

    /// Sends ERR 1045 / 28000 "Access denied".
    pub async fn send_access_denied(&mut self, user: &[u8]) -> R<()> {
        let msg = format!(
            "Access denied for user '{}'@'localhost' (using password: YES)",
            String::from_utf8_lossy(user)
        );
        self.send_err(1045, "28000", &msg).await
    }

    /// Sends an AuthSwitchRequest.
    pub async fn send_switch(&mut self, plugin: &str, data: &[u8]) -> R<()> {
        let mut p = BytesMut::new();
        encode_auth_switch(
            &AuthSwitch {
                plugin: plugin.into(),
                data: data.to_vec(),
            },
            &mut p,
        );
        self.send(&p).await
    }

    /// Sends AuthMoreData (0x01 + data).
    pub async fn send_more(&mut self, data: &[u8]) -> R<()> {
        let mut p = vec![0x01];
        p.extend_from_slice(data);
        self.send(&p).await
    }
}

/// A 3-byte little-endian length.
fn u24(n: usize) -> [u8; 3] {
    let b = u32::try_from(n).expect("24 bits").to_le_bytes();
    assert_eq!(b[3], 0, "more than 24 bits");
    [b[0], b[1], b[2]]
}

/// Starts a listener on 127.0.0.1:0 and runs `script` on the first connection.
pub async fn spawn<F, Fut, T>(script: F) -> (SocketAddr, JoinHandle<R<T>>)
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = R<T>> + Send + 'static,
    T: Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("local_addr");
    let h = tokio::spawn(async move {
        let (s, _) = l.accept().await.map_err(|e| format!("accept: {e}"))?;
        let conn = Conn {
            io: Box::new(s),
            codec: PacketCodec::new(1 << 24),
            rbuf: BytesMut::new(),
            received: Vec::new(),
            client_caps: CapabilityFlags::empty(),
            tls: false,
            zip: None,
        };
        script(conn).await
    });
    (addr, h)
}

/// Like [`spawn`], for `n` connections in turn: `script(i, conn)` plays the `i`-th (from 0).
/// The handle gives the first error, or the scripts' results in order.
pub async fn spawn_many<F, Fut, T>(n: usize, script: F) -> (SocketAddr, JoinHandle<R<Vec<T>>>)
where
    F: Fn(usize, Conn) -> Fut + Send + 'static,
    Fut: Future<Output = R<T>> + Send + 'static,
    T: Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("local_addr");
    let h = tokio::spawn(async move {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let (s, _) = l.accept().await.map_err(|e| format!("accept: {e}"))?;
            let conn = Conn {
                io: Box::new(s),
                codec: PacketCodec::new(1 << 24),
                rbuf: BytesMut::new(),
                received: Vec::new(),
                client_caps: CapabilityFlags::empty(),
                tls: false,
                zip: None,
            };
            out.push(script(i, conn).await?);
        }
        Ok(out)
    });
    (addr, h)
}

// ---- what the real server computes ------------------------------------------------------------

/// SHA256(SHA256(password)): what a MySQL 8 server keeps in its cache.
pub fn sha2_stage2(password: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(password)).into()
}

/// The server's check of a caching_sha2 fast-path scramble: XOR it with
/// SHA256(stage2 ‖ nonce) to get SHA256(password), whose SHA256 must be stage2.
pub fn caching_sha2_check(stage2: &[u8; 32], nonce: &[u8], scramble: &[u8]) -> bool {
    if scramble.len() != 32 {
        return false;
    }
    let mut h = Sha256::new();
    h.update(stage2);
    h.update(nonce);
    let mix = h.finalize();
    let stage1: Vec<u8> = scramble
        .iter()
        .zip(mix.iter())
        .map(|(a, b)| a ^ b)
        .collect();
    Sha256::digest(&stage1)[..] == stage2[..]
}

/// The server's check of a mysql_native_password scramble (SHA1 based), computed here
/// independently: SHA1(nonce ‖ SHA1(SHA1(pw))) XOR scramble must be SHA1(pw).
pub fn native_check(password: &[u8], nonce: &[u8], scramble: &[u8]) -> bool {
    use sha1::Sha1;
    if password.is_empty() {
        return scramble.is_empty();
    }
    let s1 = Sha1::digest(password);
    let s2 = Sha1::digest(s1);
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(s2);
    let mix = h.finalize();
    let cand: Vec<u8> = scramble
        .iter()
        .zip(mix.iter())
        .map(|(a, b)| a ^ b)
        .collect();
    scramble.len() == 20 && cand[..] == s1[..]
}

// ---- RSA key pair (one per test binary) -------------------------------------------------------

/// The scripted server's RSA key pair.
pub struct ServerRsa {
    pub key: RsaPrivateKey,
    /// SPKI PEM (`BEGIN PUBLIC KEY`), as MySQL's `public_key.pem`.
    pub public_pem: String,
    /// The PEM written to a temp file (for `server-public-key-path`).
    pub public_pem_path: PathBuf,
}

/// Generated on first use (1024-bit: key generation in a debug build is slow; the protocol is
/// the same for 2048).
pub fn server_rsa() -> &'static ServerRsa {
    static K: OnceLock<ServerRsa> = OnceLock::new();
    K.get_or_init(|| {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).expect("RSA keygen");
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("PEM");
        let dir = std::env::temp_dir().join(format!("mywire-mysql8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let public_pem_path = dir.join("public_key.pem");
        std::fs::write(&public_pem_path, &public_pem).expect("write PEM");
        ServerRsa {
            key,
            public_pem,
            public_pem_path,
        }
    })
}

/// Decrypts an RSA-OAEP (SHA-1) password packet and undoes the XOR with the nonce; returns
/// the password with its trailing NUL removed (error if the NUL is missing).
pub fn rsa_decrypt_password(ct: &[u8], nonce: &[u8]) -> R<Vec<u8>> {
    let pt = server_rsa()
        .key
        .decrypt(Oaep::new::<sha1::Sha1>(), ct)
        .map_err(|e| format!("RSA decrypt: {e}"))?;
    let mut pw: Vec<u8> = pt
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ nonce[i % nonce.len()])
        .collect();
    match pw.pop() {
        Some(0) => Ok(pw),
        _ => Err(format!("decrypted password lacks its NUL: {pw:02x?}")),
    }
}

// ---- TLS for the scripted server --------------------------------------------------------------

/// The scripted server's TLS identity: a self-signed rcgen certificate for `localhost` and
/// `127.0.0.1`, also written as PEM so clients can use it as `ssl-ca`.
pub struct ServerTls {
    pub config: Arc<rustls::ServerConfig>,
    pub cert_pem_path: PathBuf,
}

/// Generated on first use.
pub fn server_tls() -> &'static ServerTls {
    static T: OnceLock<ServerTls> = OnceLock::new();
    T.get_or_init(|| {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("rcgen");
        let cert_der = ck.cert.der().clone();
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .expect("server cert");
        let dir = std::env::temp_dir().join(format!("mywire-mysql8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cert_pem_path = dir.join("server-cert.pem");
        std::fs::write(&cert_pem_path, ck.cert.pem()).expect("write cert");
        ServerTls {
            config: Arc::new(config),
            cert_pem_path,
        }
    })
}
