//! The mariadb client's options, with its names and meanings (`mariadb --help`): output
//! formats, script handling, and the connection options that are spelled differently from
//! the URL parameters (`--protocol`, `--default-character-set`, `--ssl`, …).
//!
//! Boolean options are `--NAME[=BOOL]` (`1/0`, `on/off`, `true/false`); `--skip-NAME` and
//! `--disable-NAME` are `--NAME=0`, `--enable-NAME` is `--NAME=1` (see `crate::argv`).

use clap::{ArgAction, Args as ClapArgs};
use mywire::session::LocalInfile;
use mywire::{Error, Options};

use crate::argv::parse_bool;

/// How results are printed and scripts are read.
#[derive(ClapArgs, Debug, Default, Clone)]
pub struct OutputArgs {
    /// Print each row vertically (`column: value` lines), as `\G` does for one statement.
    #[arg(short = 'E', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub vertical: Option<bool>,

    /// Print column names (the default); `-N` / `--skip-column-names`: do not (the last of
    /// them wins, as in the mariadb client).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub column_names: Option<bool>,

    /// Tab-separated output without the escapes (a TAB in a value prints as a TAB).
    #[arg(short = 'r', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub raw: Option<bool>,

    /// Be more silent: tab-separated output; twice: no column names either.
    #[arg(short = 's', long, action = ArgAction::Count)]
    pub silent: u8,

    /// Write more: echo each statement; twice: also the `N rows in set` lines in batch mode;
    /// three times: tables and timing.
    #[arg(short = 'v', long, action = ArgAction::Count)]
    pub verbose: u8,

    /// HTML output (`<TABLE BORDER=1>…`).
    #[arg(short = 'H', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub html: Option<bool>,

    /// XML output (`<resultset>` / `<row>` / `<field name="…">`).
    #[arg(short = 'X', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub xml: Option<bool>,

    /// One JSON object per row (`{"column": value}`), typed: numbers as numbers, NULL as
    /// null, everything else as strings (not a mariadb option).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub json: Option<bool>,

    /// After each statement, print its warnings (`SHOW WARNINGS`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub show_warnings: Option<bool>,

    /// Send comments to the server (the default, --skip-comments, strips `--`, `#` and
    /// `/* */` comments from statements; `/*! */` always goes).
    #[arg(short = 'c', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub comments: Option<bool>,

    /// Binary mode: `\r\n` and NUL bytes are kept in statements, and client commands other
    /// than `DELIMITER` (and `\C`) are not recognised in scripts.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub binary_mode: Option<bool>,

    /// The statement delimiter (default `;`).
    #[arg(long, value_name = "STRING")]
    pub delimiter: Option<String>,

    /// Write line numbers in errors (the default).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub line_numbers: Option<bool>,

    /// Accepted, and like the mariadb 10.11 client's `-L` it changes nothing (use
    /// --line-numbers=0 to leave the line numbers out of errors).
    #[arg(short = 'L', long)]
    pub skip_line_numbers: bool,

    /// In batch mode, print a failing statement before its error (the default).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL", hide = true)]
    pub print_query_on_error: Option<bool>,

    /// SQL to run right after connecting.
    #[arg(long, value_name = "SQL")]
    pub init_command: Option<String>,

    /// Accepted for the mariadb client's sake, no effect in mywire (completion, paging,
    /// buffering, progress reports and reconnection are not mywire's).
    #[arg(short = 'A', long, hide = true)]
    pub no_auto_rehash: bool,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub auto_rehash: Option<bool>,
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub quick: Option<bool>,
    #[arg(short = 'n', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub unbuffered: Option<bool>,
    #[arg(short = 'b', long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub no_beep: Option<bool>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub reconnect: Option<bool>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub progress_reports: Option<bool>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub sigint_ignore: Option<bool>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, hide = true)]
    pub abort_source_on_error: Option<bool>,
    #[arg(long, value_name = "PROMPT", hide = true)]
    pub prompt: Option<String>,
}

/// The mariadb client's connection options that are not URL parameter names.
#[derive(ClapArgs, Debug, Default, Clone)]
pub struct MariadbConnectArgs {
    /// TCP or SOCKET (the mariadb client's `--protocol`; case does not matter).
    #[arg(long, value_name = "TCP|SOCKET")]
    pub protocol: Option<String>,

    /// The connection's character set: utf8mb4 (the default), utf8mb3 / utf8, latin1,
    /// ascii, binary.
    #[arg(long, value_name = "CHARSET")]
    pub default_character_set: Option<String>,

    /// TLS if the server offers it (the default); --skip-ssl: never.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub ssl: Option<bool>,

    /// Require TLS and verify the server's certificate and name (VERIFY_IDENTITY).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub ssl_verify_server_cert: Option<bool>,

    /// The largest packet to accept, in bytes (`K`, `M`, `G` suffixes; default 64M).
    #[arg(long, value_name = "BYTES")]
    pub max_allowed_packet: Option<String>,

    /// Seconds to wait for the connection.
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<String>,

    /// Allow LOAD DATA LOCAL INFILE of the file a statement names (relative to the working
    /// directory); off by default. A server asking for any other file is refused.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "1", value_parser = parse_bool, value_name = "BOOL")]
    pub local_infile: Option<bool>,

    /// Allow LOAD DATA LOCAL INFILE only of files inside DIR (symbolic links resolved), as
    /// MySQL's client option does; --local-infile=1 allows any file the statement names.
    #[arg(long, value_name = "DIR")]
    pub load_data_local_dir: Option<std::path::PathBuf>,
}

/// The default collation id of a character set name, as the server numbers them.
fn collation_of(charset: &str) -> Option<u8> {
    Some(match charset.to_ascii_lowercase().as_str() {
        "utf8mb4" | "auto" => 45,
        "utf8" | "utf8mb3" => 33,
        "latin1" => 8,
        "ascii" => 11,
        "binary" => 63,
        "latin2" => 9,
        "cp1251" => 51,
        "ucs2" => 35,
        "utf16" => 54,
        "utf32" => 60,
        _ => return None,
    })
}

/// `16M` / `1G` / `4096` → bytes.
fn byte_count(s: &str) -> Option<u64> {
    let t = s.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return None,
            };
            (t.get(..i)?, m)
        }
        _ => (t, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

impl MariadbConnectArgs {
    /// Applies these options to `o` (after the URL and the other flags).
    pub fn apply_to(&self, o: &mut Options) -> Result<(), Error> {
        let config = |m: String| Error::Config(m);
        if let Some(cs) = &self.default_character_set {
            o.collation = collation_of(cs).ok_or_else(|| {
                config(format!(
                    "--default-character-set: unknown character set `{cs}`"
                ))
            })?;
        }
        if self.ssl == Some(false) {
            o.set("ssl-mode", "DISABLED")?;
        }
        if self.ssl_verify_server_cert == Some(true) {
            o.set("ssl-mode", "VERIFY_IDENTITY")?;
        }
        if let Some(p) = &self.max_allowed_packet {
            let n = byte_count(p).ok_or_else(|| {
                config(format!(
                    "--max-allowed-packet: must be a byte count, not `{p}`"
                ))
            })?;
            o.set("max-packet", &n.to_string())?;
        }
        // The mysql client's rule: --local-infile=1 allows any file the statement names;
        // otherwise --load-data-local-dir allows the files inside that directory.
        if let Some(d) = &self.load_data_local_dir {
            if o.local_infile != Some(LocalInfile::Any) {
                o.local_infile = Some(LocalInfile::Dirs(vec![d.clone()]));
            }
        }
        match self.local_infile {
            Some(true) => o.local_infile = Some(LocalInfile::Any),
            Some(false) if o.local_infile == Some(LocalInfile::Any) => {
                o.local_infile = self
                    .load_data_local_dir
                    .as_ref()
                    .map(|d| LocalInfile::Dirs(vec![d.clone()]));
            }
            _ => {}
        }
        if let Some(t) = &self.connect_timeout {
            // 0: the mariadb client's "no timeout".
            if t.trim() != "0" {
                o.set("connect-timeout", t)?;
            }
        }
        Ok(())
    }

    /// `--protocol`: `Some(true)` for SOCKET, `Some(false)` for TCP.
    pub fn socket_protocol(&self) -> Result<Option<bool>, Error> {
        match self
            .protocol
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("") => Ok(None),
            Some("tcp") => Ok(Some(false)),
            Some("socket") => Ok(Some(true)),
            Some(p) => Err(Error::Config(format!(
                "--protocol: must be TCP or SOCKET, not `{p}`"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infile(a: MariadbConnectArgs, url: &str) -> Option<LocalInfile> {
        let mut o = Options::from_url(url).unwrap();
        a.apply_to(&mut o).unwrap();
        o.local_infile
    }

    #[test]
    fn local_infile_flags_as_the_mysql_client_has_them() {
        let none = MariadbConnectArgs::default();
        assert_eq!(infile(none.clone(), "mysql://h/"), None);
        let on = MariadbConnectArgs {
            local_infile: Some(true),
            ..Default::default()
        };
        assert_eq!(infile(on, "mysql://h/"), Some(LocalInfile::Any));
        let dir = MariadbConnectArgs {
            load_data_local_dir: Some("/d".into()),
            ..Default::default()
        };
        assert_eq!(
            infile(dir.clone(), "mysql://h/"),
            Some(LocalInfile::Dirs(vec!["/d".into()]))
        );
        // Enabled (here by the URL) wins over the directory.
        assert_eq!(
            infile(dir.clone(), "mysql://h/?local-infile=1"),
            Some(LocalInfile::Any)
        );
        let off = MariadbConnectArgs {
            local_infile: Some(false),
            ..dir
        };
        assert_eq!(
            infile(off.clone(), "mysql://h/?local-infile=1"),
            Some(LocalInfile::Dirs(vec!["/d".into()]))
        );
        let off = MariadbConnectArgs {
            load_data_local_dir: None,
            ..off
        };
        assert_eq!(infile(off, "mysql://h/?local-infile=1"), None);
    }

    #[test]
    fn sizes_and_charsets() {
        assert_eq!(byte_count("16M"), Some(16 << 20));
        assert_eq!(byte_count("4096"), Some(4096));
        assert_eq!(byte_count("1g"), Some(1 << 30));
        assert_eq!(byte_count("x"), None);
        assert_eq!(collation_of("UTF8"), Some(33));
        assert_eq!(collation_of("klingon"), None);
    }
}
