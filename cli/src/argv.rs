//! Arguments spelled as the mariadb client spells them, rewritten into what the clap parser
//! of [`crate::args::Args`] reads.
//!
//! - `-p` takes its value only attached (`-pSECRET`, `--password=SECRET`): `-p` alone (or
//!   `--password`) asks for the password, and a following word is the database, as in mariadb.
//! - `_` and `-` are the same in option names (`--default_character_set`).
//! - `--skip-X` / `--disable-X` turn a boolean option off (`--X=0`), `--enable-X` on;
//!   `--loose-X` is `--X`, silently dropped when mywire has no `X`.
//! - Short options may be bundled (`-vvv`, `-BN`); a short option with a value takes the rest
//!   of the word or the next argument (`-uroot`, `-u root`).
//!
//! Settings from option files go through the same rewriting, and those mywire does not know
//! are dropped (an option file is shared with other programs), as are `--loose-` ones.

use std::collections::HashMap;
use std::ffi::OsString;

/// Where an argument comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The command line: unknown options are left for clap to reject.
    CommandLine,
    /// An option file: unknown options are dropped.
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A flag without a value (`--help`, a count like `-v`).
    Flag,
    /// `--name VALUE` / `--name=VALUE`.
    Value,
    /// `--name[=VALUE]`: an attached value only (booleans, `--password`).
    Optional,
}

/// What the parser accepts: each long and short name, and whether it takes a value.
#[derive(Debug, Default)]
pub struct Spec {
    long: HashMap<String, Kind>,
    short: HashMap<char, (Kind, String)>,
}

impl Spec {
    /// The names of `cmd`'s top-level arguments.
    pub fn of(cmd: &clap::Command) -> Self {
        let mut spec = Spec::default();
        for a in cmd.get_arguments() {
            let kind = if !a.get_action().takes_values() {
                Kind::Flag
            } else if a.get_num_args().is_some_and(|n| n.min_values() == 0) {
                Kind::Optional
            } else {
                Kind::Value
            };
            let Some(long) = a.get_long() else { continue };
            spec.long.insert(long.to_string(), kind);
            for alias in a.get_all_aliases().unwrap_or_default() {
                spec.long.insert(alias.to_string(), kind);
            }
            if let Some(s) = a.get_short() {
                spec.short.insert(s, (kind, long.to_string()));
            }
        }
        spec
    }

    /// True if `name` (a long name, `-` spelling) takes `=0` / `=1`.
    fn is_boolean(&self, name: &str) -> bool {
        self.long.get(name) == Some(&Kind::Optional) && name != "password"
    }

    /// Rewrites `args` (no program name) as described in the module documentation.
    pub fn normalize(&self, args: &[OsString], source: Source) -> Vec<OsString> {
        let mut out = Vec::with_capacity(args.len());
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(s) = arg.to_str() else {
                out.push(arg.clone());
                continue;
            };
            if s == "--" {
                out.push(arg.clone());
                out.extend(it.cloned());
                break;
            }
            if let Some(long) = s.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n.replace('_', "-"), Some(v)),
                    None => (long.replace('_', "-"), None),
                };
                match self.long_option(&name, value, source) {
                    Some((arg, kind)) => {
                        out.push(OsString::from(arg));
                        if kind == Kind::Value && value.is_none() {
                            if let Some(v) = it.next() {
                                out.push(v.clone());
                            }
                        }
                    }
                    None if source == Source::CommandLine && !name.starts_with("loose-") => {
                        out.push(arg.clone())
                    }
                    None => {}
                }
            } else if let Some(cluster) = s.strip_prefix('-').filter(|c| !c.is_empty()) {
                self.short_options(cluster, &mut it, &mut out);
            } else {
                out.push(arg.clone());
            }
        }
        out
    }

    /// `--name[=value]` as the parser spells it, or `None` if it has no such option.
    fn long_option(
        &self,
        name: &str,
        value: Option<&str>,
        source: Source,
    ) -> Option<(String, Kind)> {
        let name = name.strip_prefix("loose-").unwrap_or(name);
        let with = |n: &str, v: Option<&str>| match v {
            Some(v) => format!("--{n}={v}"),
            None => format!("--{n}"),
        };
        if let Some(&kind) = self.long.get(name) {
            return Some((with(name, value), kind));
        }
        if name == "skip-password" {
            return Some(("--password=".to_string(), Kind::Optional));
        }
        for (prefix, on) in [("skip-", "0"), ("disable-", "0"), ("enable-", "1")] {
            if let Some(base) = name.strip_prefix(prefix) {
                if self.is_boolean(base) {
                    return Some((with(base, Some(on)), Kind::Optional));
                }
            }
        }
        // mariadb's `--maximum-X` (an upper bound for a session variable): nothing here.
        if source == Source::File || name.starts_with("maximum-") {
            return None;
        }
        None
    }

    /// A bundle of short options (`-vvv`, `-uroot`, `-pSECRET`, `-Bp`).
    fn short_options<'a>(
        &self,
        cluster: &str,
        rest: &mut impl Iterator<Item = &'a OsString>,
        out: &mut Vec<OsString>,
    ) {
        for (i, c) in cluster.char_indices() {
            let after = cluster.get(i + c.len_utf8()..).unwrap_or_default();
            // `-N` is `--skip-column-names`, that is `--column-names=0`.
            if c == 'N' && self.is_boolean("column-names") {
                out.push("--column-names=0".into());
                continue;
            }
            match self.short.get(&c) {
                Some((Kind::Flag, _)) => out.push(format!("-{c}").into()),
                Some((Kind::Optional, long)) => {
                    // `-pSECRET`, `-p`; for a boolean `-E` the rest is more flags.
                    if long == "password" {
                        out.push(match after {
                            "" => "--password".into(),
                            v => format!("--password={v}").into(),
                        });
                        return;
                    }
                    out.push(format!("--{long}").into());
                }
                Some((Kind::Value, _)) => {
                    out.push(format!("-{c}").into());
                    if after.is_empty() {
                        if let Some(v) = rest.next() {
                            out.push(v.clone());
                        }
                    } else {
                        out.push(after.into());
                    }
                    return;
                }
                // Unknown: left for the parser to reject.
                None => out.push(format!("-{c}").into()),
            }
        }
    }
}

/// A mariadb boolean option value: `1`/`0`, `true`/`false`, `on`/`off` (any case).
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(format!("`{s}` is not a boolean (1/0, true/false, on/off)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn norm(v: &[&str], source: Source) -> Vec<String> {
        let spec = Spec::of(&crate::args::Args::command());
        let args: Vec<OsString> = v.iter().map(OsString::from).collect();
        spec.normalize(&args, source)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn password_forms_as_mariadb() {
        let c = Source::CommandLine;
        assert_eq!(norm(&["-p"], c), ["--password"]);
        assert_eq!(norm(&["-psecret", "db"], c), ["--password=secret", "db"]);
        assert_eq!(norm(&["-p", "db"], c), ["--password", "db"]);
        assert_eq!(norm(&["-Np"], c), ["--column-names=0", "--password"]);
        assert_eq!(norm(&["-BE"], c), ["--batch", "--vertical"]);
        assert_eq!(norm(&["--password=x"], c), ["--password=x"]);
        assert_eq!(norm(&["--skip-password"], c), ["--password="]);
    }

    #[test]
    fn names_prefixes_and_bundles() {
        let c = Source::CommandLine;
        assert_eq!(
            norm(&["-vvv", "-uroot", "-e", "-p"], c),
            ["-v", "-v", "-v", "-u", "root", "-e", "-p"]
        );
        assert_eq!(
            norm(
                &["--skip-column-names", "--skip-vertical", "--enable-force"],
                c
            ),
            ["--column-names=0", "--vertical=0", "--force=1"]
        );
        assert_eq!(
            norm(
                &[
                    "--default_character_set",
                    "utf8",
                    "--loose-nothing",
                    "--nothing"
                ],
                c
            ),
            ["--default-character-set", "utf8", "--nothing"]
        );
        assert_eq!(
            norm(&["--execute", "--skip-x", "--", "-p"], c),
            ["--execute", "--skip-x", "--", "-p"]
        );
        // Option files: what mywire does not know is dropped.
        assert_eq!(
            norm(
                &["--user=u", "--no-such=1", "--loose-vertical", "--socket=/s"],
                Source::File
            ),
            ["--user=u", "--vertical", "--socket=/s"]
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("ON"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
