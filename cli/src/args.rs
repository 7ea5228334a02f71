//! Command-line arguments.
//!
//! Connection flags live in [`ConnectArgs`]; [`ConnectArgs::apply_to`] is the one place that
//! turns them into [`Options`], so a new flag (e.g. TLS) is a field plus a line there.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args as ClapArgs, Parser, Subcommand, ValueEnum};
use mywire::session::Password;
use mywire::{Error, Options};

mod compat;
mod decode;
mod slap;
pub use compat::{MariadbConnectArgs, OutputArgs};
pub use decode::DecodeArgs;
pub use slap::SlapArgs;

use crate::argv::parse_bool;

/// The URL used when neither `--url` nor `DATABASE_URL` is given.
pub const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306";

/// mywire: run SQL on a MySQL/MariaDB server and print the results.
///
/// Statements come from `-e`, or else from standard input (`;`-terminated), or from the
/// prompt when standard input and output are a terminal. Options, option files and output
/// are the mariadb client's: tab-separated and escaped like `mariadb --batch` when either
/// is not a terminal (or with -B / -e), aligned tables (-t) and summaries as the client
/// prints them otherwise; see README.md, "mariadb client compatibility".
///
/// Option files: /etc/my.cnf, /etc/mysql/my.cnf, --defaults-extra-file, ~/.my.cnf; groups
/// [client] [client-server] [client-mariadb] [mysql] [mariadb-client] [mywire]. Given first:
/// --no-defaults, --defaults-file=F, --defaults-extra-file=F, --defaults-group-suffix=S,
/// --print-defaults.
///
/// `mywire decode CAPTURE` decodes the MySQL conversations of a pcap/pcapng capture instead
/// (`mywire decode --help`).
///
/// Environment: DATABASE_URL (the URL when --url is not given; a URL names the whole
/// connection, option files then change none of it); MYSQL_PWD, MYSQL_HOST, MYSQL_TCP_PORT,
/// MYSQL_UNIX_PORT (below option files and flags, without a URL); SSLKEYLOGFILE (as in curl:
/// append the TLS session secrets to that file when neither --ssl-key-log nor the URL's
/// ssl-key-log names one; the mywire library itself never reads SSLKEYLOGFILE).
#[derive(Parser, Debug)]
#[command(
    name = "mywire",
    version,
    disable_help_flag = true,
    disable_help_subcommand = true,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Args {
    /// Print help (`-h` is the host, as in the mariadb client).
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Without a subcommand: connect and run SQL.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub connect: ConnectArgs,

    #[command(flatten)]
    pub mariadb: MariadbConnectArgs,

    #[command(flatten)]
    pub trace: TraceArgs,

    #[command(flatten)]
    pub out: OutputArgs,

    /// Run these statements (several allowed, `;`-separated) and exit.
    #[arg(short = 'e', long, value_name = "SQL")]
    pub execute: Option<String>,

    /// Tab-separated output with escapes, like `mariadb --batch`; no interactive behaviour.
    #[arg(short = 'B', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub batch: Option<bool>,

    /// Aligned table output, even when standard input is not a terminal.
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub table: Option<bool>,

    /// Continue a script after a statement fails (the exit status is still 1).
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub force: Option<bool>,

    /// Run every statement as a prepared statement (COM_STMT_PREPARE, COM_STMT_EXECUTE,
    /// COM_STMT_CLOSE; binary rows) instead of COM_QUERY. The output is the same bytes: binary
    /// values are printed as the server prints them as text. `-e` text is split into
    /// statements (`;`) first. A statement the server cannot prepare (error 1295, e.g.
    /// `PREPARE`, `EXECUTE`) is an error; run it without --prepared.
    #[arg(long)]
    pub prepared: bool,

    /// Send the `-e` text as one COM_QUERY (several statements make one multi-statement
    /// query, their results printed in turn) instead of statement by statement as the mariadb
    /// client does (not with --prepared, which runs statements one by one).
    #[arg(long)]
    pub one_query: bool,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Decode the MySQL conversations of a pcap / pcapng capture (e.g. from tcpdump, dumpcap
    /// or `--trace-file`). Plaintext only: after an SSLRequest the rest is counted as
    /// encrypted. Exit status: 0 (also when the file is damaged: what was read is decoded and
    /// the damage is reported on standard error), 1 if the capture cannot be read at all, 2
    /// for arguments that do not fit it (`--conversation` past the last one) or each other.
    Decode(DecodeArgs),
    /// Generate load: run queries from many clients at once through a connection pool, then
    /// report throughput, latency percentiles and errors by kind (like mariadb-slap).
    Slap(SlapArgs),
}

/// `--trace-format` / `decode --format`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// One human-readable line per packet.
    Text,
    /// One JSON object per line (keys in protocol-notes/trace-formats.md).
    Json,
}

/// Packet traces of the session (all off by default, at no cost).
#[derive(ClapArgs, Debug, Default, Clone)]
pub struct TraceArgs {
    /// Print every packet of the session to standard error (results still go to standard
    /// output). Secrets are redacted unless --trace-secrets.
    #[arg(long)]
    pub trace: bool,

    /// Format of --trace: text lines or JSON lines.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "trace")]
    pub trace_format: Option<TraceFormat>,

    /// Add hex dumps to --trace (withheld for packets carrying a secret unless
    /// --trace-secrets).
    #[arg(long, requires = "trace")]
    pub trace_hex: bool,

    /// Show secrets (auth responses) in --trace as hex instead of redacting them.
    #[arg(long)]
    pub trace_secrets: bool,

    /// Write the session as a pcapng capture (plaintext, even over TLS) for Wireshark /
    /// tshark; can be combined with --trace. The TCP addresses are synthesized: the server's
    /// real address and port, and 127.0.0.1:50000 (::1 for IPv6) as the client; over a Unix
    /// socket 127.0.0.1:50000 -> 127.0.0.1:3306.
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,

    /// At the end, print a digest of the session's requests to standard error: each
    /// fingerprint's count, errors, rows, bytes and response times (as `mywire decode
    /// --digest` does for a capture); can be combined with --trace.
    #[arg(long)]
    pub digest: bool,
}

/// Where and as whom to connect.
#[derive(ClapArgs, Debug, Default, Clone)]
pub struct ConnectArgs {
    /// Server URL, `mysql://user:password@host:port/database?param=value` [env: DATABASE_URL;
    /// default: mysql://root@127.0.0.1:3306]. The flags below override its parts.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Server host (TCP; clears a socket given in the URL).
    #[arg(short = 'h', long, value_name = "HOST")]
    pub host: Option<String>,

    /// Server TCP port (clears a socket given in the URL).
    #[arg(short = 'P', long, value_name = "PORT")]
    pub port: Option<u16>,

    /// User name.
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,

    /// Password (`-pSECRET`, `--password=SECRET`); `-p` alone asks for it on the terminal,
    /// without echo [env: MYSQL_PWD, below the option files].
    #[arg(short = 'p', long, value_name = "PASSWORD", value_parser = password, num_args = 0..=1, require_equals = true)]
    pub password: Option<Option<Password>>,

    /// Database to use.
    #[arg(short = 'D', long, value_name = "DATABASE")]
    pub database: Option<String>,

    /// Unix socket path (used instead of TCP).
    #[arg(short = 'S', long, value_name = "SOCKET")]
    pub socket: Option<PathBuf>,

    /// Database to use (as the mariadb client's positional argument; `-D` wins).
    #[arg(value_name = "DATABASE")]
    pub database_positional: Option<String>,

    /// When to use TLS: DISABLED, PREFERRED (default), REQUIRED, VERIFY_CA, VERIFY_IDENTITY.
    #[arg(long, value_name = "MODE")]
    pub ssl_mode: Option<String>,

    /// PEM file of CA certificates for VERIFY_CA / VERIFY_IDENTITY (default: the OS trust store).
    #[arg(long, value_name = "FILE")]
    pub ssl_ca: Option<PathBuf>,

    /// PEM client certificate (chain); needs --ssl-key.
    #[arg(long, value_name = "FILE")]
    pub ssl_cert: Option<PathBuf>,

    /// PEM private key of --ssl-cert.
    #[arg(long, value_name = "FILE")]
    pub ssl_key: Option<PathBuf>,

    /// Append the TLS session secrets to FILE (NSS key log format, for Wireshark); anyone who
    /// reads FILE can decrypt the session, password included [env: SSLKEYLOGFILE].
    #[arg(long, value_name = "FILE")]
    pub ssl_key_log: Option<PathBuf>,

    /// PEM RSA public key of the server (caching_sha2 / sha256 password over plain TCP).
    #[arg(long, value_name = "FILE")]
    pub server_public_key_path: Option<PathBuf>,

    /// Ask the server for its RSA public key over plain TCP (a man in the middle can swap it).
    #[arg(long)]
    pub get_server_public_key: bool,

    /// Allow mysql_clear_password without a verified peer (plain TCP, or TLS without a
    /// certificate check): the password goes in clear to whoever answers.
    #[arg(long)]
    pub enable_cleartext_plugin: bool,

    /// Compress the protocol (zlib, CLIENT_COMPRESS), as the mariadb client's -C does; the
    /// connection is uncompressed if the server offers no compression.
    #[arg(short = 'C', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub compress: Option<bool>,

    /// Compression algorithms in order of preference, as MySQL's client spells them:
    /// `zlib`, `zstd`, `uncompressed` (comma-separated; the first the server offers is used;
    /// wins over -C).
    #[arg(long, value_name = "LIST")]
    pub compression_algorithms: Option<String>,

    /// The zstd level (1-22; default 3). mywire has one level for both algorithms: it is also
    /// zlib's, capped at 9.
    #[arg(long, value_name = "N")]
    pub zstd_compression_level: Option<String>,
}

/// `-p`: kept as a [`Password`] (zeroed on drop, redacted in `Debug`) from the start.
fn password(s: &str) -> Result<Password, std::convert::Infallible> {
    Ok(Password::from(s))
}

impl ConnectArgs {
    /// The options: the URL (`--url`, else `DATABASE_URL`, else the default), then the flags
    /// (`main` does more: option files and the mariadb client's variables).
    #[cfg(test)]
    pub fn options(&self, env_url: Option<String>) -> Result<Options, Error> {
        let url = self
            .url
            .clone()
            .or(env_url)
            .unwrap_or_else(|| DEFAULT_URL.to_string());
        let mut o = Options::from_url(&url)?;
        self.apply_to(&mut o)?;
        Ok(o)
    }

    /// Overrides the parts of `o` that flags were given for. TLS and auth flags go through
    /// [`Options::set`] with the URL parameter names, so they are checked the same way.
    pub fn apply_to(&self, o: &mut Options) -> Result<(), Error> {
        if let Some(h) = &self.host {
            o.host = h.clone();
            o.socket = None;
        }
        if let Some(p) = self.port {
            o.port = p;
            o.socket = None;
        }
        if let Some(u) = &self.user {
            o.user = u.clone();
        }
        if let Some(Some(p)) = &self.password {
            o.password = p.clone();
        }
        if let Some(d) = self.database.as_ref().or(self.database_positional.as_ref()) {
            o.database = Some(d.clone());
        }
        if let Some(s) = &self.socket {
            o.socket = Some(s.clone());
        }
        if let Some(m) = &self.ssl_mode {
            o.set("ssl-mode", m)?;
        }
        for (key, path) in [
            ("ssl-ca", &self.ssl_ca),
            ("ssl-cert", &self.ssl_cert),
            ("ssl-key", &self.ssl_key),
            ("ssl-key-log", &self.ssl_key_log),
            ("server-public-key-path", &self.server_public_key_path),
        ] {
            if let Some(p) = path {
                // Options keeps paths as `PathBuf`; a non-UTF-8 path is set directly.
                match p.to_str() {
                    Some(s) => o.set(key, s)?,
                    None => match key {
                        "ssl-ca" => o.ssl_ca = Some(p.clone()),
                        "ssl-cert" => o.ssl_cert = Some(p.clone()),
                        "ssl-key" => o.ssl_key = Some(p.clone()),
                        "ssl-key-log" => o.ssl_key_log = Some(p.clone()),
                        _ => o.server_public_key_path = Some(p.clone()),
                    },
                }
            }
        }
        if self.get_server_public_key {
            o.set("get-server-public-key", "true")?;
        }
        if self.enable_cleartext_plugin {
            o.set("enable-cleartext-plugin", "true")?;
        }
        match (&self.compression_algorithms, self.compress) {
            (Some(list), _) => o.set("compress", list)?,
            (None, Some(true)) => o.set("compress", "zlib")?,
            (None, _) => {}
        }
        if let Some(n) = &self.zstd_compression_level {
            o.set("compress-level", n)?;
        }
        // Several statements in `-e` (and in one line of a script) are sent as one query.
        o.multi_statements = true;
        Ok(())
    }
}

/// `SSLKEYLOGFILE`, read the way curl reads it: the key log file when neither `--ssl-key-log`
/// nor the URL names one (an empty value is ignored). Only the CLI does this; the library
/// writes keys only for an explicit `ssl-key-log`.
pub fn key_log_from_env(o: &mut Options, env: Option<OsString>) {
    if o.ssl_key_log.is_none() {
        o.ssl_key_log = env.filter(|v| !v.is_empty()).map(PathBuf::from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `main` parses the command line: rewritten the mariadb way first (`crate::argv`).
    fn parse(v: &[&str]) -> Result<Args, clap::Error> {
        use clap::CommandFactory;
        let spec = crate::argv::Spec::of(&Args::command());
        let raw: Vec<OsString> = v.iter().map(OsString::from).collect();
        let args = spec.normalize(&raw, crate::argv::Source::CommandLine);
        Args::try_parse_from(std::iter::once(OsString::from("mywire")).chain(args))
    }

    #[test]
    fn compression_flags_as_the_official_clients_spell_them() {
        use mywire::Compression::{Zlib, Zstd};
        let o = |v: &[&str]| {
            parse(&[v, &["-e", "SELECT 1"][..]].concat())
                .unwrap()
                .connect
                .options(None)
        };
        assert_eq!(o(&[]).unwrap().compress, []);
        assert_eq!(o(&["-C"]).unwrap().compress, [Zlib]);
        assert_eq!(o(&["--compress"]).unwrap().compress, [Zlib]);
        let a = o(&["--compression-algorithms=zstd,zlib", "-C"]).unwrap();
        assert_eq!(a.compress, [Zstd, Zlib]);
        let a = o(&["--compression-algorithms", "uncompressed"]).unwrap();
        assert_eq!(a.compress, []);
        let a = o(&[
            "--zstd-compression-level=19",
            "--compression-algorithms=zstd",
        ])
        .unwrap();
        assert_eq!((a.compress, a.compress_level), (vec![Zstd], Some(19)));
        let e = o(&["--compression-algorithms=lz4"]).unwrap_err();
        assert!(e.to_string().contains("compress: "), "{e}");
        let e = o(&["--zstd-compression-level=0"]).unwrap_err();
        assert!(e.to_string().contains("compress-level: "), "{e}");
        // The URL's parameter, overridden by a flag.
        let a = parse(&["--url", "mysql://h/?compress=zstd", "-C", "-e", "x"]).unwrap();
        assert_eq!(a.connect.options(None).unwrap().compress, [Zlib]);
    }

    #[test]
    fn flags_override_the_url() {
        let a = parse(&[
            "--url",
            "mysql://a:b@db:3307/x?socket=/s",
            "-h",
            "h2",
            "-uroot",
            "-pSECRET",
            "-D",
            "y",
            "-e",
            "SELECT 1",
        ])
        .unwrap();
        let o = a.connect.options(None).unwrap();
        assert_eq!(o.host, "h2");
        assert_eq!(o.port, 3307);
        assert_eq!(o.socket, None);
        assert_eq!(o.user, "root");
        assert_eq!(o.password.expose(), "SECRET");
        assert_eq!(o.database.as_deref(), Some("y"));
        assert!(o.multi_statements);
        assert_eq!(a.execute.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn url_sources_and_password_forms() {
        let a = parse(&["-ps e", "-S", "/tmp/sock", "-P", "3310", "db"]).unwrap();
        let o = a
            .connect
            .options(Some("mysql://u@envhost:1/".into()))
            .unwrap();
        assert_eq!((o.host.as_str(), o.port), ("envhost", 3310));
        assert_eq!(o.password.expose(), "s e");
        assert_eq!(o.user, "u");
        assert_eq!(o.socket, Some(PathBuf::from("/tmp/sock")));
        assert_eq!(o.database.as_deref(), Some("db"));
        let o = parse(&[]).unwrap().connect.options(None).unwrap();
        assert_eq!(o.endpoint(), "127.0.0.1:3306");
        assert_eq!(o.user, "root");
    }

    #[test]
    fn tls_flags_use_the_url_parameter_names() {
        let a = parse(&[
            "--url",
            "mysql://u@h/?ssl-mode=DISABLED&enable-cleartext-plugin=false",
            "--ssl-mode=verify_ca",
            "--ssl-ca",
            "/c/ca.pem",
            "--ssl-cert=/c/cert.pem",
            "--ssl-key=/c/key.pem",
            "--server-public-key-path=/k/pub.pem",
            "--get-server-public-key",
            "--enable-cleartext-plugin",
        ])
        .unwrap();
        let o = a.connect.options(None).unwrap();
        assert_eq!(o.ssl_mode, mywire::session::SslMode::VerifyCa);
        assert_eq!(o.ssl_ca, Some(PathBuf::from("/c/ca.pem")));
        assert_eq!(o.ssl_cert, Some(PathBuf::from("/c/cert.pem")));
        assert_eq!(o.ssl_key, Some(PathBuf::from("/c/key.pem")));
        assert_eq!(o.server_public_key_path, Some(PathBuf::from("/k/pub.pem")));
        assert!(o.get_server_public_key && o.enable_cleartext_plugin);
        let o = parse(&[]).unwrap().connect.options(None).unwrap();
        assert!(!o.get_server_public_key && !o.enable_cleartext_plugin);
        assert!(parse(&["--ssl-mode=maybe"])
            .unwrap()
            .connect
            .options(None)
            .is_err());
    }

    #[test]
    fn ssl_key_log_flag_url_and_environment() {
        let env = || Some(OsString::from("/env/keys.log"));
        let mut o = parse(&[]).unwrap().connect.options(None).unwrap();
        key_log_from_env(&mut o, None);
        assert_eq!(o.ssl_key_log, None);
        key_log_from_env(&mut o, Some(OsString::new()));
        assert_eq!(o.ssl_key_log, None);
        key_log_from_env(&mut o, env());
        assert_eq!(o.ssl_key_log, Some(PathBuf::from("/env/keys.log")));
        // The URL and the flag (which wins over the URL) win over the environment.
        let a = parse(&["--url", "mysql://u@h/?ssl-key-log=/url/keys.log"]).unwrap();
        let mut o = a.connect.options(None).unwrap();
        key_log_from_env(&mut o, env());
        assert_eq!(o.ssl_key_log, Some(PathBuf::from("/url/keys.log")));
        let a = parse(&[
            "--url",
            "mysql://u@h/?ssl-key-log=/url/keys.log",
            "--ssl-key-log",
            "/flag/keys.log",
        ])
        .unwrap();
        let mut o = a.connect.options(None).unwrap();
        key_log_from_env(&mut o, env());
        assert_eq!(o.ssl_key_log, Some(PathBuf::from("/flag/keys.log")));
    }

    #[test]
    fn decode_subcommand_and_trace_flags() {
        let a = parse(&["decode", "-", "--port", "3310", "--format", "json", "--hex"]).unwrap();
        match a.command {
            Some(Command::Decode(d)) => {
                assert_eq!(d.capture, PathBuf::from("-"));
                assert_eq!(d.ports, [3310]);
                assert_eq!(d.format, TraceFormat::Json);
                assert!(d.hex && !d.secrets);
            }
            c => panic!("{c:?}"),
        }
        let a = parse(&["decode", "cap.pcap"]).unwrap();
        assert!(
            matches!(a.command, Some(Command::Decode(d)) if d.ports == [3306] && d.format == TraceFormat::Text)
        );
        let a = parse(&[
            "decode",
            "cap.pcap",
            "--port",
            "3307,3308",
            "--port",
            "3309",
        ])
        .unwrap();
        assert!(matches!(a.command, Some(Command::Decode(d)) if d.ports == [3307, 3308, 3309]));
        // Without a subcommand the connection flags work as before; a database named like the
        // subcommand needs -D, or comes after another flag.
        let a = parse(&["-uroot", "decode"]).unwrap();
        assert!(a.command.is_none());
        assert_eq!(a.connect.database_positional.as_deref(), Some("decode"));
        let a = parse(&[
            "--trace",
            "--trace-format=json",
            "--trace-hex",
            "--trace-file",
            "x.pcapng",
            "db",
        ])
        .unwrap();
        assert!(a.trace.trace && a.trace.trace_hex && !a.trace.trace_secrets);
        assert_eq!(a.trace.trace_format, Some(TraceFormat::Json));
        assert_eq!(a.trace.trace_file, Some(PathBuf::from("x.pcapng")));
        assert_eq!(a.connect.database_positional.as_deref(), Some("db"));
        assert!(parse(&["--trace-hex"]).is_err());
        assert!(parse(&["--trace-format=xml", "--trace"]).is_err());
        assert!(parse(&["decode"]).is_err());
        let a = parse(&[
            "decode",
            "c.pcap",
            "--digest",
            "--digest-limit",
            "5",
            "--match",
            "(?i)select",
            "--min-latency",
            "1.5ms",
            "--errors-only",
            "--conversation",
            "2",
            "--slow-log",
            "-",
        ])
        .unwrap();
        match a.command {
            Some(Command::Decode(d)) => {
                assert!(d.digest && d.errors_only && d.filters_requests());
                assert_eq!(d.digest_limit, 5);
                assert!(d.matching.unwrap().is_match("SELECT 1"));
                assert_eq!(d.min_latency, Some(1500));
                assert_eq!(d.conversation, Some(2));
                assert_eq!(d.slow_log, Some(PathBuf::from("-")));
            }
            c => panic!("{c:?}"),
        }
        assert!(parse(&["decode", "c", "--digest-limit", "5"]).is_err());
        assert!(parse(&["decode", "c", "--match", "("]).is_err());
        assert!(parse(&["decode", "c", "--conversation", "0"]).is_err());
        let e = parse(&["decode", "--help"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn usage_errors() {
        assert!(parse(&["-P", "x"]).is_err());
        assert!(parse(&["--batch=maybe"]).is_err());
        // `-p` alone asks for the password; the next word is the database, as in mariadb.
        let a = parse(&["-p", "shop"]).unwrap();
        assert!(matches!(a.connect.password, Some(None)));
        assert_eq!(a.connect.database_positional.as_deref(), Some("shop"));
        let e = parse(&["--help"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(parse(&["--url", "postgres://x"])
            .unwrap()
            .connect
            .options(None)
            .is_err());
    }
}
