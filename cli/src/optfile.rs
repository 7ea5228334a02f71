//! Option files, read as the `mariadb` client reads them (MariaDB docs, "Configuring MariaDB
//! with Option Files"; `mariadb --help` lists the files and groups of the local build).
//!
//! - Files, in order, later overriding earlier: `/etc/my.cnf`, `/etc/mysql/my.cnf`, the
//!   `--defaults-extra-file`, then `~/.my.cnf`. `--defaults-file=F` reads only `F` (which must
//!   exist); `--no-defaults` reads none. These options count only before any other argument,
//!   as in the mariadb client.
//! - Groups: `[client]`, `[client-server]`, `[client-mariadb]`, `[mysql]`, `[mariadb-client]`
//!   (the mariadb client's) and `[mywire]`; with `--defaults-group-suffix=S` also each of them
//!   with `S` appended. Within and across files the last setting wins; the command line wins
//!   over all of them (the file settings are put before its arguments).
//! - Lines: `[group]`, `name`, `name = value` (`_` and `-` alike in names), `#` / `;` comment
//!   lines, `#` comments after a value (outside quotes), values in `'…'` / `"…"`, the escapes
//!   `\b \t \n \r \\ \s \" \'`; `!include FILE` and `!includedir DIR` (its `*.cnf` files in
//!   name order; relative names from the current directory, as mariadb takes them); a missing
//!   included file is skipped, a missing included directory is an error, as in mariadb.
//! - Errors are the mariadb client's: an option before any group, a bad group line, a missing
//!   `--defaults-file`; each names the file (and line).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The system-wide files the Debian build of the mariadb client reads, in order.
pub const SYSTEM_FILES: [&str; 2] = ["/etc/my.cnf", "/etc/mysql/my.cnf"];

/// The groups read (each also with the `--defaults-group-suffix`).
pub const GROUPS: [&str; 6] = [
    "client",
    "client-server",
    "client-mariadb",
    "mysql",
    "mariadb-client",
    "mywire",
];

/// `!include` nesting deeper than this is ignored (it also ends include cycles).
const MAX_INCLUDE_DEPTH: usize = 10;

/// An option file that cannot be used: the messages are the mariadb client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptFileError {
    /// `--defaults-file` (or `--defaults-extra-file`) names a file that cannot be read.
    Open(PathBuf),
    /// An option line before the first `[group]`.
    NoGroup { path: PathBuf, line: usize },
    /// A `[group` line without its `]`.
    BadGroup { path: PathBuf, line: usize },
    /// A leading defaults option without its value (`--defaults-file` alone).
    MissingValue(String),
    /// An `!includedir` that cannot be listed: the directory as written, errno, reason.
    Dir(String, i32, String),
}

impl fmt::Display for OptFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptFileError::Open(p) => {
                write!(f, "Could not open required defaults file: {}", p.display())
            }
            OptFileError::NoGroup { path, line } => write!(
                f,
                "error: Found option without preceding group in config file: {} at line: {line}",
                path.display()
            ),
            OptFileError::BadGroup { path, line } => write!(
                f,
                "error: Wrong group definition in config file: {} at line {line}",
                path.display()
            ),
            OptFileError::MissingValue(o) => write!(f, "error: {o} needs a value"),
            // With the bell the mariadb client rings for this one.
            OptFileError::Dir(d, errno, why) => write!(
                f,
                "\u{7}mywire: Can't read dir of '{d}' (Errcode: {errno} \"{why}\")"
            ),
        }?;
        // The mariadb client's second line.
        write!(f, "\nFatal error in defaults handling. Program aborted")
    }
}

/// One setting from an option file: `--name` or `--name=value`, as mariadb passes it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The name as written (`default_character_set`), without `--`.
    pub name: String,
    /// The value, unquoted and unescaped; `None` for a bare `name` line.
    pub value: Option<String>,
}

impl Setting {
    /// `--name` / `--name=value`.
    pub fn to_arg(&self) -> String {
        match &self.value {
            Some(v) => format!("--{}={v}", self.name),
            None => format!("--{}", self.name),
        }
    }
}

/// What the leading defaults options and the files gave.
#[derive(Debug, Default)]
pub struct Defaults {
    /// The settings of the files, in order (later ones win).
    pub settings: Vec<Setting>,
    /// `--print-defaults` was given.
    pub print: bool,
    /// The arguments after the program name and the leading defaults options.
    pub rest: Vec<OsString>,
}

/// Where the files are: the home directory (`~/.my.cnf`), the current directory (relative
/// file names are shown absolute in messages, as mariadb shows them) and the system files.
#[derive(Debug, Clone)]
pub struct Env {
    pub home: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub system_files: Vec<PathBuf>,
}

impl Env {
    /// This process's environment.
    pub fn from_process() -> Self {
        Env {
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            cwd: std::env::current_dir().ok(),
            system_files: SYSTEM_FILES.iter().map(PathBuf::from).collect(),
        }
    }

    fn absolute(&self, p: &Path) -> PathBuf {
        match &self.cwd {
            Some(c) if p.is_relative() => c.join(p),
            _ => p.to_path_buf(),
        }
    }
}

/// Reads the leading defaults options of `args` (without the program name) and the files
/// they select.
pub fn load(args: &[OsString], env: &Env) -> Result<Defaults, OptFileError> {
    let mut no_defaults = false;
    let mut defaults_file = None;
    let mut extra_file = None;
    let mut suffix = None;
    let mut print = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let Some(s) = a.to_str() else { break };
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (s, None),
        };
        let name = name.replace('_', "-");
        let needs = |v: Option<String>| v.ok_or_else(|| OptFileError::MissingValue(name.clone()));
        match name.as_str() {
            "--no-defaults" => no_defaults = true,
            "--print-defaults" => print = true,
            "--defaults-file" => defaults_file = Some(PathBuf::from(needs(value)?)),
            "--defaults-extra-file" => extra_file = Some(PathBuf::from(needs(value)?)),
            "--defaults-group-suffix" => suffix = Some(needs(value)?),
            _ => break,
        }
        i += 1;
    }
    let rest = args.get(i..).unwrap_or_default().to_vec();
    let mut reader = Reader::new(suffix.as_deref());
    if !no_defaults {
        match defaults_file {
            Some(f) => {
                let f = env.absolute(&f);
                if !reader.file(&f, 0)? {
                    return Err(OptFileError::Open(f));
                }
            }
            None => {
                for f in &env.system_files {
                    reader.file(f, 0)?;
                }
                if let Some(f) = extra_file {
                    let f = env.absolute(&f);
                    if !reader.file(&f, 0)? {
                        return Err(OptFileError::Open(f));
                    }
                }
                if let Some(h) = &env.home {
                    reader.file(&h.join(".my.cnf"), 0)?;
                }
            }
        }
    }
    Ok(Defaults {
        settings: reader.settings,
        print,
        rest,
    })
}

/// `--print-defaults`: what mariadb prints (`PROGRAM would have been started with the
/// following arguments:`, then every argument followed by a space, then a newline).
pub fn print_defaults(program: &str, settings: &[Setting], rest: &[OsString]) -> String {
    let mut out = format!("{program} would have been started with the following arguments:\n");
    for s in settings {
        out.push_str(&s.to_arg());
        out.push(' ');
    }
    for a in rest {
        out.push_str(&a.to_string_lossy());
        out.push(' ');
    }
    out.push('\n');
    out
}

struct Reader {
    groups: Vec<String>,
    settings: Vec<Setting>,
}

impl Reader {
    fn new(suffix: Option<&str>) -> Self {
        let mut groups: Vec<String> = GROUPS.iter().map(|g| g.to_string()).collect();
        if let Some(s) = suffix.filter(|s| !s.is_empty()) {
            groups.extend(GROUPS.iter().map(|g| format!("{g}{s}")));
        }
        Reader {
            groups,
            settings: Vec::new(),
        }
    }

    /// Reads one file; `Ok(false)` if it cannot be read (a missing file is not an error
    /// unless it was asked for by name).
    fn file(&mut self, path: &Path, depth: usize) -> Result<bool, OptFileError> {
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(false);
        };
        self.text(&String::from_utf8_lossy(&bytes), path, depth)?;
        Ok(true)
    }

    fn text(&mut self, text: &str, path: &Path, depth: usize) -> Result<(), OptFileError> {
        // None: no group yet; Some(b): in a group, read or not.
        let mut in_group: Option<bool> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(directive) = line.strip_prefix('!') {
                self.directive(directive, path, depth)?;
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(end) = rest.find(']') else {
                    return Err(OptFileError::BadGroup {
                        path: path.to_path_buf(),
                        line: line_no,
                    });
                };
                // As mariadb: trailing spaces go, leading ones stay; case does not matter.
                let name = rest.get(..end).unwrap_or_default().trim_end();
                in_group = Some(self.groups.iter().any(|g| g.eq_ignore_ascii_case(name)));
                continue;
            }
            match in_group {
                None => {
                    return Err(OptFileError::NoGroup {
                        path: path.to_path_buf(),
                        line: line_no,
                    })
                }
                Some(false) => {}
                Some(true) => {
                    if let Some(s) = setting(line) {
                        self.settings.push(s);
                    }
                }
            }
        }
        Ok(())
    }

    fn directive(&mut self, d: &str, path: &Path, depth: usize) -> Result<(), OptFileError> {
        if depth >= MAX_INCLUDE_DEPTH {
            return Ok(());
        }
        let word_end = d.find(char::is_whitespace).unwrap_or(d.len());
        let (word, arg) = d.split_at(word_end);
        let arg = arg.trim();
        if arg.is_empty() {
            return Ok(());
        }
        let _ = path;
        let target = PathBuf::from(arg);
        match word {
            "include" => {
                self.file(&target, depth + 1)?;
            }
            "includedir" => {
                let entries = match std::fs::read_dir(&target) {
                    Ok(e) => e,
                    Err(e) => {
                        let why = e.to_string();
                        let why = match why.rfind(" (os error ") {
                            Some(i) => why.get(..i).unwrap_or_default().to_string(),
                            None => why,
                        };
                        return Err(OptFileError::Dir(
                            arg.to_string(),
                            e.raw_os_error().unwrap_or(0),
                            why,
                        ));
                    }
                };
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "cnf") && p.is_file())
                    .collect();
                files.sort();
                for f in files {
                    self.file(&f, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `name`, `name = value`, with the end comment removed, the value unquoted and unescaped.
fn setting(line: &str) -> Option<Setting> {
    let line = strip_end_comment(line).trim();
    let (name, value) = match line.split_once('=') {
        Some((n, v)) => (n.trim_end(), Some(unquote(v.trim()))),
        None => (line, None),
    };
    if name.is_empty() && value.is_none() {
        return None;
    }
    Some(Setting {
        name: name.to_string(),
        value,
    })
}

/// The line up to a `#` outside quotes (a backslash inside quotes protects a quote).
fn strip_end_comment(line: &str) -> &str {
    let mut quote = None;
    let mut escape = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return line.get(..i).unwrap_or(line),
            (None, '\'' | '"') if !escape => quote = Some(c),
            (Some(q), _) if c == q && !escape => quote = None,
            _ => {}
        }
        escape = quote.is_some() && c == '\\' && !escape;
    }
    line
}

/// Removes one pair of matching surrounding quotes, then resolves the escapes.
fn unquote(v: &str) -> String {
    let inner = ['\'', '"']
        .iter()
        .find_map(|&q| {
            v.strip_prefix(q)
                .and_then(|r| r.strip_suffix(q))
                .filter(|_| v.len() >= 2)
        })
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('s') => out.push(' '),
            Some(e @ ('\\' | '"' | '\'')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(home: Option<&Path>) -> Env {
        Env {
            home: home.map(Path::to_path_buf),
            cwd: None,
            system_files: Vec::new(),
        }
    }

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn read(text: &str) -> Result<Vec<String>, OptFileError> {
        let mut r = Reader::new(Some("_x"));
        r.text(text, Path::new("/t/my.cnf"), 0)?;
        Ok(r.settings.iter().map(Setting::to_arg).collect())
    }

    #[test]
    fn lines_groups_quotes_and_escapes() {
        let got = read(
            "# c\n; c\n[client]\nuser = u   # trailing\npassword=\"p w\\\"x # not a comment\"\n\
             [mysqld]\ndatadir=/x\n[mysql]\ndefault_character_set = 'utf8mb4'\nskip-column-names\n\
             [mysql_x]\nhost=h\\ty\\sz\\q\nempty=\n",
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "--user=u",
                "--password=p w\"x # not a comment",
                "--default_character_set=utf8mb4",
                "--skip-column-names",
                "--host=h\ty z\\q",
                "--empty=",
            ]
        );
        assert_eq!(read("[other]\nx=1\n").unwrap(), Vec::<String>::new());
        assert_eq!(read("[ mysql]\nx=1\n").unwrap(), Vec::<String>::new());
        assert_eq!(read("[MySQL  ]\nx\n=v\n").unwrap(), ["--x", "--=v"]);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let e = read("\n\nuser=x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error: Found option without preceding group in config file: /t/my.cnf at line: 3\n\
             Fatal error in defaults handling. Program aborted"
        );
        let e = read("[client]\n[mysql\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error: Wrong group definition in config file: /t/my.cnf at line 2\n\
             Fatal error in defaults handling. Program aborted"
        );
        // Unknown directives and missing includes are skipped, as mariadb skips them.
        assert!(read("[client]\n!foo\n!include /no/such/file\n").is_ok());
    }

    #[test]
    fn leading_options_and_file_order() {
        let dir = std::env::temp_dir().join(format!("mywire-optfile-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inc")).unwrap();
        std::fs::write(dir.join(".my.cnf"), "[client]\nuser=home\n").unwrap();
        std::fs::write(dir.join("extra.cnf"), "[client]\nuser=extra\n").unwrap();
        std::fs::write(
            dir.join("only.cnf"),
            format!(
                "[client]\nuser=only\n!include {0}/inc/a.cnf\n!includedir {0}/inc\n",
                dir.display()
            ),
        )
        .unwrap();
        std::fs::write(dir.join("inc/a.cnf"), "[mysql]\nport=1\n").unwrap();
        std::fs::write(dir.join("inc/b.cnf"), "[mysql]\nport=2\n").unwrap();
        std::fs::write(dir.join("inc/c.txt"), "[mysql]\nport=3\n").unwrap();
        let e = env(Some(&dir));
        let extra = format!("--defaults-extra-file={}", dir.join("extra.cnf").display());
        let d = load(&args(&[&extra, "-uA", "--no-defaults"]), &e).unwrap();
        let got: Vec<_> = d.settings.iter().map(Setting::to_arg).collect();
        assert_eq!(got, ["--user=extra", "--user=home"]);
        assert_eq!(d.rest, args(&["-uA", "--no-defaults"]));
        let only = format!("--defaults-file={}", dir.join("only.cnf").display());
        let d = load(&args(&["--print-defaults", &only, &extra]), &e).unwrap();
        let got: Vec<_> = d.settings.iter().map(Setting::to_arg).collect();
        assert_eq!(got, ["--user=only", "--port=1", "--port=1", "--port=2"]);
        assert!(d.print);
        assert_eq!(
            print_defaults("mywire", &d.settings, &args(&["-e", "x"])),
            "mywire would have been started with the following arguments:\n\
             --user=only --port=1 --port=1 --port=2 -e x \n"
        );
        let d = load(&args(&["--no-defaults", &only]), &e).unwrap();
        assert!(d.settings.is_empty());
        let missing = format!("--defaults-file={}", dir.join("nope.cnf").display());
        assert!(matches!(
            load(&args(&[&missing]), &e),
            Err(OptFileError::Open(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
