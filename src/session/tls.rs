//! TLS for the session: rustls client configuration per `ssl-mode`, and readable errors.
//!
//! rustls with the `ring` provider. Certificate checks by mode:
//! * `PREFERRED` / `REQUIRED`: none — any certificate is accepted, but the handshake signatures
//!   are still verified against the certificate's key (so the link is encrypted to *someone*;
//!   only eavesdroppers are kept out). The peer is not authenticated, so `mysql_clear_password`
//!   is refused over such a link unless `enable-cleartext-plugin` is set
//!   ([`crate::codec::auth::AuthError::UnverifiedPeer`]); caching_sha2 / sha256 full
//!   authentication still sends the password (protocol-notes/threat-model.md, row 9).
//! * `VERIFY_CA`: the chain must lead to a CA from `ssl-ca` (or, without `ssl-ca`, from the OS
//!   trust store via `rustls-native-certs`); the certificate must be valid now and for server
//!   authentication. The host name is not checked.
//! * `VERIFY_IDENTITY`: as `VERIFY_CA`, plus the certificate must name the host connected to
//!   (DNS name, or IP address SAN when connecting to an address; `localhost` over a Unix socket).
//!
//! A caller's own configuration ([`Options::tls_config`]) replaces all of the above: its
//! verifier decides; the mode still decides whether TLS is used and required.
//!
//! Handshake failures become [`Error::Tls`] ([`crate::TlsErrorKind`]: unknown issuer, name
//! mismatch, expired, …) with rustls's error as the source.
//!
//! Only when `ssl-key-log` names a file are the session secrets appended to it (NSS key log
//! format), so that captures can be decrypted, e.g. by Wireshark. `SSLKEYLOGFILE` in the
//! environment is ignored: a program that links mywire and merely inherits that variable does
//! not write its keys anywhere (the `mywire` CLI maps it to `ssl-key-log` itself, as curl does).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use zeroize::Zeroizing;

use super::options::{Options, SslMode};
use crate::error::TlsError;
use crate::Error;

fn config_err(msg: String) -> Error {
    Error::Config(msg)
}

/// The mode in force: `PREFERRED` with an `ssl-ca` means `VERIFY_CA` (as in MySQL's client).
pub(crate) fn effective_mode(opts: &Options) -> SslMode {
    if opts.ssl_mode == SslMode::Preferred && opts.ssl_ca.is_some() {
        SslMode::VerifyCa
    } else {
        opts.ssl_mode
    }
}

/// The name the certificate is checked against (and sent as SNI when it is a DNS name).
pub(crate) fn server_name(opts: &Options, unix: bool) -> Result<ServerName<'static>, Error> {
    let host = if unix {
        "localhost"
    } else {
        opts.host.as_str()
    };
    // `[::1]` style hosts come without brackets from the URL parser; accept them anyway.
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(host.to_string()).map_err(|e| {
        config_err(format!(
            "host: `{host}` cannot be used as a TLS server name: {e}"
        ))
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| config_err(format!("{what} `{}`: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(config_err(format!(
            "{what} `{}` contains no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn roots(opts: &Options) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match &opts.ssl_ca {
        Some(path) => {
            let certs = load_certs(path, "ssl-ca")?;
            let (added, _ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(config_err(format!(
                    "ssl-ca `{}`: no usable CA certificate in the file",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(config_err(
                    "ssl-ca: not given, and no CA certificates found in the OS trust store; \
                     set ssl-ca to the CA that signed the server's certificate"
                        .into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// True if `mode` verifies the server's certificate (`VERIFY_CA`, `VERIFY_IDENTITY`): only then
/// is a TLS peer authenticated (see [`crate::codec::auth::AuthConfig::verified_peer`]).
pub(crate) fn verifies_peer(mode: SslMode) -> bool {
    matches!(mode, SslMode::VerifyCa | SslMode::VerifyIdentity)
}

/// True if [`client_config`] reads or opens files for `mode` (the CA roots for VERIFY_CA and
/// VERIFY_IDENTITY, a client certificate and key, the key log), or checks a caller's own
/// configuration against them: then it runs before the server is asked anything.
pub(crate) fn reads_files(opts: &Options, mode: SslMode) -> bool {
    opts.custom_tls_config().is_some()
        || verifies_peer(mode)
        || opts.ssl_cert.is_some()
        || opts.ssl_key.is_some()
        || opts.ssl_key_log.is_some()
}

/// Builds the rustls client configuration for `mode` (not `DISABLED`), or hands out the
/// caller's own ([`Options::tls_config`]), which the file options cannot be combined with.
pub(crate) fn client_config(opts: &Options, mode: SslMode) -> Result<Arc<ClientConfig>, Error> {
    if let Some(custom) = opts.custom_tls_config() {
        let set = [
            ("ssl-ca", opts.ssl_ca.is_some()),
            ("ssl-cert", opts.ssl_cert.is_some()),
            ("ssl-key", opts.ssl_key.is_some()),
            ("ssl-key-log", opts.ssl_key_log.is_some()),
        ];
        if let Some((name, _)) = set.iter().find(|(_, on)| *on) {
            return Err(config_err(format!(
                "{name}: cannot be combined with a custom TLS configuration \
                 (Options::tls_config); put it in the rustls ClientConfig instead"
            )));
        }
        return Ok(custom.clone());
    }
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disabled | SslMode::Preferred | SslMode::Required => Arc::new(CertCheck {
            roots: None,
            provider: provider.clone(),
        }),
        SslMode::VerifyCa => Arc::new(CertCheck {
            roots: Some(Arc::new(roots(opts)?)),
            provider: provider.clone(),
        }),
        SslMode::VerifyIdentity => {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(opts)?), provider.clone())
                .build()
                .map_err(|e| config_err(format!("ssl-ca: no certificate verifier: {e}")))?
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_err(format!("ssl-mode: TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (&opts.ssl_cert, &opts.ssl_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = load_certs(cert, "ssl-cert")?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| config_err(format!("ssl-key `{}`: {e}", key.display())))?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                config_err(format!(
                    "ssl-cert `{}` / ssl-key `{}`: {e}",
                    cert.display(),
                    key.display()
                ))
            })?
        }
        (Some(_), None) => {
            return Err(config_err(
                "ssl-key: not set, but ssl-cert is (give both or neither)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(config_err(
                "ssl-cert: not set, but ssl-key is (give both or neither)".into(),
            ))
        }
    };
    // Without `ssl-key-log` the default `NoKeyLog` stays: nothing is written.
    if let Some(path) = &opts.ssl_key_log {
        config.key_log = Arc::new(KeyLogWriter::open(path)?);
    }
    Ok(Arc::new(config))
}

/// Appends TLS secrets to the `ssl-key-log` file in the NSS key log format: one line
/// `LABEL <client random, hex> <secret, hex>` per secret (`CLIENT_RANDOM` for TLS 1.2; the
/// `*_TRAFFIC_SECRET_*` labels and `EXPORTER_SECRET` for TLS 1.3).
///
/// Used instead of `rustls::KeyLogFile`, which reads `SSLKEYLOGFILE` from the environment: the
/// library logs keys only when the caller names a file. The file is opened (created with mode
/// 0600 on Unix, appended to) when the TLS configuration is built, so a bad path is a
/// configuration error before anything is sent; a failed write later is ignored (the
/// connection does not depend on the log).
struct KeyLogWriter {
    path: PathBuf,
    file: File,
}

impl KeyLogWriter {
    fn open(path: &Path) -> Result<KeyLogWriter, Error> {
        let mut o = OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o
            .open(path)
            .map_err(|e| config_err(format!("ssl-key-log `{}`: {e}", path.display())))?;
        Ok(KeyLogWriter {
            path: path.to_path_buf(),
            file,
        })
    }
}

/// One key log line; zeroed when dropped, like the secret it spells out.
fn key_log_line(label: &str, client_random: &[u8], secret: &[u8]) -> Zeroizing<String> {
    use std::fmt::Write as _;
    let mut line = Zeroizing::new(String::with_capacity(
        label.len() + 3 + 2 * (client_random.len() + secret.len()),
    ));
    line.push_str(label);
    for bytes in [client_random, secret] {
        line.push(' ');
        for b in bytes {
            // Writing to a String cannot fail.
            let _ = write!(line, "{b:02x}");
        }
    }
    line.push('\n');
    line
}

impl rustls::KeyLog for KeyLogWriter {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = key_log_line(label, client_random, secret);
        // One write per line on a file opened for appending: lines of concurrent sessions do
        // not interleave.
        let _ = (&self.file).write_all(line.as_bytes());
    }
}

impl std::fmt::Debug for KeyLogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLogWriter")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Turns a failed TLS handshake into an error that says what failed and where: a rustls error
/// (tokio-rustls and rustls's blocking stream both hand it over inside an `io::Error`) becomes
/// [`Error::Tls`] with that error as its source; anything else (a reset, a timeout) stays an
/// I/O error of the same kind, with the context added.
pub(crate) fn handshake_error(e: io::Error, opts: &Options, mode: SslMode) -> Error {
    let ca = if opts.custom_tls_config().is_some() {
        ", custom TLS configuration".to_string()
    } else {
        match (&opts.ssl_ca, mode) {
            (_, SslMode::Disabled | SslMode::Preferred | SslMode::Required) => String::new(),
            (Some(p), _) => format!(", ssl-ca `{}`", p.display()),
            (None, _) => ", CA: OS trust store".to_string(),
        }
    };
    if let Some(r) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        // The name the certificate was checked against (see `server_name`).
        let name = if opts.socket.is_some() {
            "localhost"
        } else {
            opts.host.as_str()
        };
        return Error::Tls(Box::new(TlsError::handshake(
            r.clone(),
            mode,
            opts.endpoint(),
            ca,
            name,
        )));
    }
    Error::Io(io::Error::new(
        e.kind(),
        format!(
            "TLS handshake with {} failed (ssl-mode={mode}{ca}): {e}",
            opts.endpoint()
        ),
    ))
}

/// The verifier for `REQUIRED` (`roots: None`: any certificate is accepted, but the handshake
/// signatures are still checked, so the server must hold the key of the certificate it sent) and
/// for `VERIFY_CA` (`roots: Some`: the chain must lead to a trusted root; the name is not
/// checked). `VERIFY_IDENTITY` uses rustls's own WebPKI verifier.
#[derive(Debug)]
struct CertCheck {
    roots: Option<Arc<RootCertStore>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for CertCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_with_ca_means_verify_ca() {
        let mut o = Options::default();
        assert_eq!(effective_mode(&o), SslMode::Preferred);
        o.ssl_ca = Some("/x".into());
        assert_eq!(effective_mode(&o), SslMode::VerifyCa);
        o.ssl_mode = SslMode::Required;
        assert_eq!(effective_mode(&o), SslMode::Required);
    }

    #[test]
    fn server_names() {
        let mut o = Options::default();
        assert!(matches!(
            server_name(&o, false).unwrap(),
            ServerName::IpAddress(_)
        ));
        assert_eq!(server_name(&o, true).unwrap().to_str(), "localhost");
        o.host = "::1".into();
        assert!(matches!(
            server_name(&o, false).unwrap(),
            ServerName::IpAddress(_)
        ));
        o.host = "db.example".into();
        assert!(matches!(
            server_name(&o, false).unwrap(),
            ServerName::DnsName(_)
        ));
    }

    #[test]
    fn missing_files_are_named() {
        let mut o = Options {
            ssl_ca: Some("/nonexistent/ca.pem".into()),
            ..Options::default()
        };
        let e = client_config(&o, SslMode::VerifyCa)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        o.ssl_ca = None;
        o.ssl_cert = Some("/nonexistent/cert.pem".into());
        let e = client_config(&o, SslMode::Required)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ssl-key"), "{e}");
        o.ssl_key = Some("/nonexistent/key.pem".into());
        let e = client_config(&o, SslMode::Required)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
        assert!(client_config(&Options::default(), SslMode::Required).is_ok());
        let o = Options {
            ssl_key_log: Some("/nonexistent/keys.log".into()),
            ..Options::default()
        };
        assert!(reads_files(&o, SslMode::Required));
        let e = client_config(&o, SslMode::Required)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ssl-key-log `/nonexistent/keys.log`"), "{e}");
    }

    #[test]
    fn key_log_lines_are_nss_format() {
        let line = key_log_line("CLIENT_RANDOM", &[0x00, 0xab, 0x7f], &[0xff, 0x01]);
        assert_eq!(line.as_str(), "CLIENT_RANDOM 00ab7f ff01\n");
    }

    #[test]
    fn key_log_file_is_private_and_appended() {
        let dir = std::env::temp_dir().join(format!("mywire-keylog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.log");
        let _ = std::fs::remove_file(&path);
        for secret in [[1u8; 2], [2u8; 2]] {
            let w = KeyLogWriter::open(&path).unwrap();
            rustls::KeyLog::log(&w, "SERVER_TRAFFIC_SECRET_0", &[0xcd; 2], &secret);
            assert!(format!("{w:?}").contains("keys.log"));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "SERVER_TRAFFIC_SECRET_0 cdcd 0101\nSERVER_TRAFFIC_SECRET_0 cdcd 0202\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
