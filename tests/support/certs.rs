//! Test PKI generated at test time with the `openssl` CLI.
//!
//! Layout (all PEM; keys are unencrypted PKCS#8 `BEGIN PRIVATE KEY`, ECDSA P-256
//! because RSA key generation costs ~0.25 s per key on this 2-core box; switch
//! [`KEY_ALG`] to RSA if a TLS stack under test needs it):
//! - `ca.crt` / `ca.key`: the test CA (basicConstraints CA:TRUE, keyCertSign).
//! - `server.crt` / `server.key`: signed by the CA, CN=localhost,
//!   subjectAltName `DNS:localhost,IP:127.0.0.1`, EKU serverAuth.
//! - `client.crt` / `client.key`: signed by the CA, CN=mywire_x509, EKU clientAuth
//!   (for `REQUIRE X509` accounts).
//! - `wrong-ca.crt` / `wrong-ca.key`: an unrelated self-signed CA for negative tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Paths of the generated PKI files.
#[derive(Debug, Clone)]
pub struct Certs {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub wrong_ca_cert: PathBuf,
}

/// `openssl req -newkey` arguments for every key.
pub const KEY_ALG: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
// pub const KEY_ALG: &[&str] = &["-newkey", "rsa:2048"];

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl (is the openssl CLI installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {:?} failed ({}):\n{}",
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn self_signed_ca(dir: &Path, name: &str, cn: &str) -> Result<(), String> {
    let key = format!("{name}.key");
    let crt = format!("{name}.crt");
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "30",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]
        .iter()
        .chain(KEY_ALG)
        .copied()
        .collect::<Vec<_>>(),
    )
}

fn leaf(dir: &Path, name: &str, cn: &str, serial: &str, ext: &str) -> Result<(), String> {
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let crt = format!("{name}.crt");
    let extf = format!("{name}.ext");
    let subj = format!("/CN={cn}");
    std::fs::write(dir.join(&extf), ext).map_err(|e| format!("write {extf}: {e}"))?;
    openssl(
        dir,
        &[
            "req", "-new", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj,
        ]
        .iter()
        .chain(KEY_ALG)
        .copied()
        .collect::<Vec<_>>(),
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            serial,
            "-days",
            "30",
            "-out",
            &crt,
            "-extfile",
            &extf,
        ],
    )
}

/// Generate the whole PKI into `dir` (which must exist). Takes ~50 ms with EC keys.
pub fn generate(dir: &Path) -> Result<Certs, String> {
    self_signed_ca(dir, "ca", "mywire-test-ca")?;
    leaf(
        dir,
        "server",
        "localhost",
        "0x1001",
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )?;
    leaf(
        dir,
        "client",
        "mywire_x509",
        "0x1002",
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n",
    )?;
    self_signed_ca(dir, "wrong-ca", "mywire-unrelated-ca")?;
    Ok(Certs {
        ca_cert: dir.join("ca.crt"),
        ca_key: dir.join("ca.key"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
        wrong_ca_cert: dir.join("wrong-ca.crt"),
    })
}
