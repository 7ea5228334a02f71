//! What both drivers do before the engine sees a byte: the capabilities and attributes to ask
//! for, the files to read, and the TLS configuration.

use std::borrow::Cow;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::codec::auth::AuthConfig;
use crate::codec::CapabilityFlags;
use crate::proto::{ConnectConfig, Engine};
use crate::Error;

use super::options::{Options, SslMode};
use super::tls;

/// The connection attributes every session sends (before the caller's own). All static, so a
/// connect copies none of them.
fn default_attributes() -> [(Cow<'static, str>, Cow<'static, str>); 5] {
    static PID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let pid = PID.get_or_init(|| std::process::id().to_string());
    [
        ("_client_name".into(), "mywire".into()),
        ("_client_version".into(), env!("CARGO_PKG_VERSION").into()),
        ("_os".into(), std::env::consts::OS.into()),
        ("_platform".into(), std::env::consts::ARCH.into()),
        ("_pid".into(), pid.as_str().into()),
    ]
}

/// A failed connect (or socket setup right after it), naming where to.
pub(crate) fn connect_error(opts: &Options, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("cannot connect to {}: {e}", opts.endpoint()),
    ))
}

fn wanted_capabilities(opts: &Options) -> CapabilityFlags {
    let mut c = crate::proto::client_capabilities(
        opts.database.is_some(),
        opts.multi_statements,
        opts.deprecate_eof,
        opts.session_track,
    );
    // Announced only when opted in: MariaDB then refuses LOAD DATA LOCAL itself (ERR 4166)
    // before asking for a file.
    c.set(CapabilityFlags::LOCAL_FILES, opts.local_infile.is_some());
    c.set(CapabilityFlags::FOUND_ROWS, opts.found_rows);
    c
}

/// What the driver needs at the TLS point.
pub(crate) struct TlsSetup {
    pub mode: SslMode,
    config: Option<Arc<rustls::ClientConfig>>,
}

/// Reads every file the options name (so a bad file fails the same way whatever the server
/// offers) and makes the engine, waiting for the greeting.
pub(crate) fn prepare(opts: &Options, unix: bool) -> Result<(Engine, TlsSetup), Error> {
    let mode = tls::effective_mode(opts);
    // Over a Unix socket PREFERRED means plaintext (as with the official clients); REQUIRED
    // and stricter still mean TLS.
    let wants_tls = match mode {
        SslMode::Disabled => false,
        SslMode::Preferred => !unix,
        _ => true,
    };
    // A configuration that reads files (CA, client certificate) is built now; one that
    // reads nothing is built only if the server offers TLS, which keeps connecting to a
    // server without TLS free of rustls setup.
    let tls_config = (wants_tls && tls::reads_files(opts, mode))
        .then(|| tls::client_config(opts, mode))
        .transpose()?;
    let cfg = connect_config(opts, unix, wants_tls, mode)?;
    let mut engine = Engine::connect(opts.max_packet, cfg);
    engine.set_stmt_cache(opts.stmt_cache);
    engine.set_fetch_size(opts.fetch_size);
    Ok((
        engine,
        TlsSetup {
            mode,
            config: tls_config,
        },
    ))
}

/// `opts` with another login: what a session that ran COM_CHANGE_USER connects as from then on.
pub(crate) fn with_login(
    opts: &Options,
    user: &str,
    password: &str,
    database: Option<&str>,
) -> Options {
    let mut o = opts.clone();
    o.user = user.to_owned();
    o.password = super::options::Password::new(password);
    o.database = database.map(str::to_owned);
    o
}

/// What COM_CHANGE_USER needs to log in as `opts`' user (with its password and database) on a
/// connection the engine has: the same attributes and auth settings as a connect.
pub(crate) fn change_user_config(opts: &Options, unix: bool) -> Result<ConnectConfig, Error> {
    connect_config(opts, unix, false, tls::effective_mode(opts))
}

fn connect_config(
    opts: &Options,
    unix: bool,
    wants_tls: bool,
    mode: SslMode,
) -> Result<ConnectConfig, Error> {
    let server_public_key = match &opts.server_public_key_path {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Error::Config(format!(
                "server-public-key-path `{}` cannot be read: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    let defaults = default_attributes();
    let mut attributes = Vec::with_capacity(defaults.len() + opts.attributes.len());
    attributes.extend(defaults);
    attributes.extend(
        opts.attributes
            .iter()
            .map(|(k, v)| (Cow::Owned(k.clone()), Cow::Owned(v.clone()))),
    );
    Ok(ConnectConfig {
        capabilities: wanted_capabilities(opts),
        wants_tls,
        requires_tls: mode.requires_tls(),
        verifies_peer: tls::verifies_peer(mode),
        ssl_mode: mode,
        endpoint: if mode.requires_tls() {
            opts.endpoint()
        } else {
            String::new()
        },
        unix,
        max_packet: u32::try_from(opts.max_packet).unwrap_or(u32::MAX),
        collation: opts.collation,
        user: opts.user.as_bytes().to_vec(),
        password: Zeroizing::new(opts.password.expose().as_bytes().to_vec()),
        database: opts.database.as_ref().map(|d| d.as_bytes().to_vec()),
        attributes,
        auth: AuthConfig {
            secure_transport: false,
            verified_peer: false,
            server_public_key,
            get_server_public_key: opts.get_server_public_key,
            enable_cleartext_plugin: opts.enable_cleartext_plugin,
            rng_seed: None,
        },
        compress: opts.compress.clone(),
        compress_level: opts.compress_level,
    })
}

impl TlsSetup {
    /// The TLS client configuration (built now if it was not built up front).
    pub fn client_config(&mut self, opts: &Options) -> Result<Arc<rustls::ClientConfig>, Error> {
        match self.config.take() {
            Some(c) => Ok(c),
            None => tls::client_config(opts, self.mode),
        }
    }
}
