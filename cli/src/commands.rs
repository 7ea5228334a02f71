//! The client's own commands, recognised as the mariadb client recognises them: `\x` at the
//! start of a line (or of a statement), or a command name as the first word of a line when
//! no statement is pending, or of a statement ended by the delimiter (`use db;`). A name
//! with arguments counts only for the commands that take one (`status x` is SQL).

/// A client command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Help,
    Clear,
    Connect,
    Delimiter,
    Edit,
    Ego,
    Go,
    Quit,
    Nopager,
    Notee,
    Pager,
    Print,
    Prompt,
    Rehash,
    Source,
    Status,
    System,
    Tee,
    Use,
    Charset,
    Warnings,
    NoWarnings,
}

/// `(name, \x letter, takes an argument, what it does)`, in the client's order.
pub const COMMANDS: &[(&str, char, bool, Cmd, &str)] = &[
    ("?", '?', true, Cmd::Help, "Same as help."),
    (
        "clear",
        'c',
        false,
        Cmd::Clear,
        "Drop the statement typed so far.",
    ),
    (
        "connect",
        'r',
        true,
        Cmd::Connect,
        "Not supported by mywire.",
    ),
    (
        "delimiter",
        'd',
        true,
        Cmd::Delimiter,
        "Change the statement delimiter.",
    ),
    ("edit", 'e', false, Cmd::Edit, "Not supported by mywire."),
    (
        "ego",
        'G',
        false,
        Cmd::Ego,
        "Run the statement, print its rows vertically.",
    ),
    (
        "exit",
        'q',
        false,
        Cmd::Quit,
        "Leave mywire (same as quit).",
    ),
    ("go", 'g', false, Cmd::Go, "Run the statement."),
    (
        "help",
        'h',
        true,
        Cmd::Help,
        "This list; `help TOPIC` asks the server.",
    ),
    (
        "nopager",
        'n',
        false,
        Cmd::Nopager,
        "Not supported by mywire.",
    ),
    ("notee", 't', false, Cmd::Notee, "Not supported by mywire."),
    ("pager", 'P', true, Cmd::Pager, "Not supported by mywire."),
    (
        "print",
        'p',
        false,
        Cmd::Print,
        "Show the statement typed so far.",
    ),
    ("prompt", 'R', true, Cmd::Prompt, "Not supported by mywire."),
    ("quit", 'q', false, Cmd::Quit, "Leave mywire."),
    (
        "rehash",
        '#',
        false,
        Cmd::Rehash,
        "Accepted; mywire has no completion.",
    ),
    (
        "source",
        '.',
        true,
        Cmd::Source,
        "Run the statements of a file.",
    ),
    (
        "status",
        's',
        false,
        Cmd::Status,
        "Show the connection and the server.",
    ),
    ("system", '!', true, Cmd::System, "Not supported by mywire."),
    ("tee", 'T', true, Cmd::Tee, "Not supported by mywire."),
    ("use", 'u', true, Cmd::Use, "Change the default database."),
    (
        "charset",
        'C',
        true,
        Cmd::Charset,
        "Not supported by mywire.",
    ),
    (
        "warnings",
        'W',
        false,
        Cmd::Warnings,
        "Show warnings after every statement.",
    ),
    (
        "nowarning",
        'w',
        false,
        Cmd::NoWarnings,
        "Stop showing warnings.",
    ),
];

/// The command `text` starts with, if any. `delimiter`: a line holding it (other than a
/// `delimiter` command) is left to the statement splitter, as is one holding `\g`.
pub fn find(text: &str, delimiter: Option<&str>) -> Option<Cmd> {
    let t = text.trim_start();
    if delimiter.is_some() {
        let is_delim_cmd = t
            .get(..9)
            .is_some_and(|h| h.eq_ignore_ascii_case("delimiter"));
        if t.contains("\\g") || (delimiter.is_some_and(|d| t.contains(d)) && !is_delim_cmd) {
            return None;
        }
    }
    if let Some(rest) = t.strip_prefix('\\') {
        let c = rest.chars().next()?;
        return COMMANDS
            .iter()
            .find(|(_, k, _, _, _)| *k == c)
            .map(|(_, _, _, cmd, _)| *cmd);
    }
    let end = t.find(char::is_whitespace).unwrap_or(t.len());
    let (word, args) = t.split_at(end);
    let has_args = !args.trim().is_empty();
    COMMANDS
        .iter()
        .find(|(name, _, takes, _, _)| word.eq_ignore_ascii_case(name) && (!has_args || *takes))
        .map(|(_, _, _, cmd, _)| *cmd)
}

/// The first argument of a command line, as the client reads it: after the command word
/// (or `\x`), up to a space, or in `'…'`, `"…"`, `` `…` `` quotes (a doubled quote stands
/// for itself, a backslash protects the next character).
pub fn first_arg(text: &str) -> Option<String> {
    let t = text.trim_start();
    let rest = match t.strip_prefix('\\') {
        Some(r) => r.get(r.chars().next()?.len_utf8()..)?,
        None => t.get(t.find(char::is_whitespace)?..)?,
    };
    let rest = rest.trim_start();
    let mut chars = rest.chars().peekable();
    let quote = match chars.peek() {
        Some(&q @ ('\'' | '"' | '`')) => {
            chars.next();
            Some(q)
        }
        _ => None,
    };
    let mut out = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
                continue;
            }
        }
        match quote {
            Some(q) if c == q => {
                if chars.peek() == Some(&q) {
                    chars.next();
                    out.push(q);
                    continue;
                }
                return (!out.is_empty()).then_some(out);
            }
            None if c.is_whitespace() => break,
            _ => out.push(c),
        }
    }
    if quote.is_some() || out.is_empty() {
        return None;
    }
    Some(out)
}

/// The rest of a command line after the command word, trimmed (`source` takes it whole).
pub fn rest_arg(text: &str) -> String {
    let t = text.trim_start();
    let rest = match t.strip_prefix('\\') {
        Some(r) => r
            .get(r.chars().next().map_or(0, char::len_utf8)..)
            .unwrap_or(""),
        None => t
            .get(t.find(char::is_whitespace).unwrap_or(t.len())..)
            .unwrap_or(""),
    };
    rest.trim()
        .trim_end_matches(|c: char| c.is_control())
        .to_string()
}

/// The `help` list.
pub fn help_text() -> String {
    let mut s = String::from(
        "\nmywire: a MySQL / MariaDB client speaking the wire protocol.\n\n\
         Client commands (a command goes on a line of its own, or ends with the delimiter):\n",
    );
    for (name, c, _, _, doc) in COMMANDS {
        s.push_str(&format!("{name:<10}(\\{c}) {doc}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognised_as_the_client_does() {
        assert_eq!(find("use db", Some(";")), Some(Cmd::Use));
        assert_eq!(find("  USE db", None), Some(Cmd::Use));
        assert_eq!(find("use db;", Some(";")), None);
        assert_eq!(find("delimiter //", Some(";")), Some(Cmd::Delimiter));
        assert_eq!(find("status", None), Some(Cmd::Status));
        assert_eq!(find("status x", None), None);
        assert_eq!(find("\\s", None), Some(Cmd::Status));
        assert_eq!(find("\\q", Some(";")), Some(Cmd::Quit));
        assert_eq!(find("quit", None), Some(Cmd::Quit));
        assert_eq!(find("select 1", None), None);
        assert_eq!(find("source a.sql", Some(";")), Some(Cmd::Source));
        assert_eq!(find("users", None), None);
    }

    #[test]
    fn arguments() {
        assert_eq!(first_arg("use db").as_deref(), Some("db"));
        assert_eq!(first_arg("use `my db` x").as_deref(), Some("my db"));
        assert_eq!(first_arg("\\u 'a''b'").as_deref(), Some("a'b"));
        assert_eq!(first_arg("use"), None);
        assert_eq!(first_arg("use `open"), None);
        assert_eq!(rest_arg("source  /tmp/a b.sql "), "/tmp/a b.sql");
        assert_eq!(rest_arg("\\. x.sql"), "x.sql");
        assert!(help_text().contains("source    (\\.) "));
    }
}
