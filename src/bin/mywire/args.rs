//! Command-line arguments.
//!
//! Connection flags live in [`ConnectArgs`]; [`ConnectArgs::apply_to`] is the one place that
//! turns them into [`Options`], so a new flag (e.g. TLS) is a field plus a line there.

use std::path::PathBuf;

use clap::{ArgAction, Args as ClapArgs, Parser};
use mywire::{Error, Options};

/// The URL used when neither `--url` nor `DATABASE_URL` is given.
pub const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306";

/// mywire: run SQL on a MySQL/MariaDB server and print the results.
///
/// Statements come from `-e`, or else from standard input (`;`-terminated). Output is an
/// aligned table, or tab-separated with `--batch` (the default when standard input is not a
/// terminal and `-e` is not given), escaped like `mariadb --batch`.
#[derive(Parser, Debug)]
#[command(name = "mywire", version, disable_help_flag = true)]
pub struct Args {
    /// Print help (`-h` is the host, as in the mariadb client).
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Run these statements (several allowed, `;`-separated) and exit.
    #[arg(short = 'e', long, value_name = "SQL")]
    pub execute: Option<String>,

    /// Tab-separated output with escapes, like `mariadb --batch`.
    #[arg(short = 'B', long)]
    pub batch: bool,

    /// Aligned table output, even when standard input is not a terminal.
    #[arg(short = 't', long, conflicts_with = "batch")]
    pub table: bool,

    /// Continue a script after a statement fails (the exit status is still 1).
    #[arg(short = 'f', long)]
    pub force: bool,
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

    /// Password (`-pSECRET` or `-p SECRET`).
    #[arg(short = 'p', long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// Database to use.
    #[arg(short = 'D', long, value_name = "DATABASE")]
    pub database: Option<String>,

    /// Unix socket path (used instead of TCP).
    #[arg(short = 'S', long, value_name = "SOCKET")]
    pub socket: Option<PathBuf>,

    /// Database to use (as the mariadb client's positional argument; `-D` wins).
    #[arg(value_name = "DATABASE")]
    pub database_positional: Option<String>,
}

impl ConnectArgs {
    /// The options: the URL (`--url`, else `DATABASE_URL`, else the default), then the flags.
    pub fn options(&self, env_url: Option<String>) -> Result<Options, Error> {
        let url = self
            .url
            .clone()
            .or(env_url)
            .unwrap_or_else(|| DEFAULT_URL.to_string());
        let mut o = Options::from_url(&url)?;
        self.apply_to(&mut o);
        Ok(o)
    }

    /// Overrides the parts of `o` that flags were given for.
    pub fn apply_to(&self, o: &mut Options) {
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
        if let Some(p) = &self.password {
            o.password = p.clone();
        }
        if let Some(d) = self.database.as_ref().or(self.database_positional.as_ref()) {
            o.database = Some(d.clone());
        }
        if let Some(s) = &self.socket {
            o.socket = Some(s.clone());
        }
        // Several statements in `-e` (and in one line of a script) are sent as one query.
        o.multi_statements = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("mywire").chain(v.iter().copied()))
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
        assert_eq!(o.password, "SECRET");
        assert_eq!(o.database.as_deref(), Some("y"));
        assert!(o.multi_statements);
        assert_eq!(a.execute.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn url_sources_and_password_forms() {
        let a = parse(&["-p", "s e", "-S", "/tmp/sock", "-P", "3310", "db"]).unwrap();
        let o = a
            .connect
            .options(Some("mysql://u@envhost:1/".into()))
            .unwrap();
        assert_eq!((o.host.as_str(), o.port), ("envhost", 3310));
        assert_eq!(o.password, "s e");
        assert_eq!(o.user, "u");
        assert_eq!(o.socket, Some(PathBuf::from("/tmp/sock")));
        assert_eq!(o.database.as_deref(), Some("db"));
        let o = parse(&[]).unwrap().connect.options(None).unwrap();
        assert_eq!(o.endpoint(), "127.0.0.1:3306");
        assert_eq!(o.user, "root");
    }

    #[test]
    fn usage_errors() {
        assert!(parse(&["-P", "x"]).is_err());
        assert!(parse(&["--batch", "--table"]).is_err());
        assert!(parse(&["-p"]).is_err());
        let e = parse(&["--help"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(parse(&["--url", "postgres://x"])
            .unwrap()
            .connect
            .options(None)
            .is_err());
    }
}
