//! Splits a script into statements, fed one line at a time.
//!
//! A statement ends at the delimiter (`;` unless changed by a `DELIMITER xx` line), except
//! inside `'...'`, `"..."` or `` `...` `` (backslash escapes in the first two; doubled quotes
//! work as they simply close and reopen), `-- ` / `#` comments to the end of the line, and
//! `/* ... */` comments. Comments stay in the statement text (the server ignores them, and
//! `/*! ... */` executable comments must reach it), but a statement made only of comments and
//! whitespace is dropped, as the `mariadb` client does. With [`Splitter::strip_comments`]
//! (the client's default, `--skip-comments`) `--`, `#` and non-executable `/* */` comments
//! are cut out of the text instead.
//!
//! Outside quotes and comments, `\g` ends a statement as the delimiter does, `\G` ends it for
//! vertical output, and `\c` clears the statement typed so far.

/// One complete statement and the line (1-based) where its first token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text, without the delimiter.
    pub sql: String,
    /// Line of its first token.
    pub line: usize,
    /// It ended with `\G`: print its results vertically.
    pub ego: bool,
    /// The text as the client quotes it in XML output: the whitespace before the
    /// delimiter kept, and the newline of the last line when the input ended it.
    pub shown: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Quote(u8),
    LineComment,
    BlockComment,
}

/// The splitter's state between lines.
#[derive(Debug)]
pub struct Splitter {
    buf: String,
    state: State,
    delimiter: String,
    line: usize,
    /// Line of the first token of the statement being collected (`None`: only
    /// whitespace/comments so far).
    start: Option<usize>,
    /// Cut comments out of statements.
    strip: bool,
    /// Inside a block comment being cut out.
    cutting: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            buf: String::new(),
            state: State::Normal,
            delimiter: ";".into(),
            line: 0,
            start: None,
            strip: false,
            cutting: false,
        }
    }
}

impl Splitter {
    /// A splitter with the `;` delimiter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts comments out of statements (`true`), or keeps them (`false`, the default here).
    pub fn strip_comments(&mut self, strip: bool) {
        self.strip = strip;
    }

    /// The current delimiter.
    pub fn delimiter(&self) -> &str {
        &self.delimiter
    }

    /// Sets the delimiter (`--delimiter`, the `delimiter` command).
    pub fn set_delimiter(&mut self, d: &str) {
        self.delimiter = d.to_string();
    }

    /// The number of lines fed so far.
    pub fn lines(&self) -> usize {
        self.line
    }

    /// The state of an unfinished statement, for the continuation prompt: `'`, `"`, `` ` ``
    /// inside a quote, `*` inside a comment, `-` otherwise.
    pub fn pending_kind(&self) -> char {
        match self.state {
            State::Quote(q) => char::from(q),
            State::BlockComment => '*',
            _ => '-',
        }
    }

    /// True while a statement is partly read (for the continuation prompt).
    pub fn is_pending(&self) -> bool {
        self.start.is_some() || self.state != State::Normal
    }

    /// Drops the statement being collected (the delimiter stays).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.state = State::Normal;
        self.start = None;
        self.cutting = false;
    }

    /// Feeds one line (with or without its line terminator); returns the statements it ends.
    pub fn push_line(&mut self, line: &str) -> Vec<Statement> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        self.line += 1;
        let mut out = Vec::new();
        if self.state == State::Normal && self.start.is_none() {
            if let Some(d) = delimiter_command(line) {
                self.buf.clear();
                self.delimiter = d.to_string();
                return out;
            }
        }
        let b = line.as_bytes();
        let delimiter = self.delimiter.clone();
        let delim = delimiter.as_bytes();
        let mut seg = 0;
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            match self.state {
                State::Normal => {
                    if b.get(i..).is_some_and(|rest| rest.starts_with(delim)) {
                        self.buf.push_str(line.get(seg..i).unwrap_or_default());
                        self.emit(&mut out, false);
                        i += delim.len();
                        seg = i;
                        continue;
                    }
                    let next = b.get(i + 1).copied();
                    if c == b'\\' && matches!(next, Some(b'g' | b'G' | b'c')) {
                        self.buf.push_str(line.get(seg..i).unwrap_or_default());
                        if next == Some(b'c') {
                            self.reset();
                        } else {
                            self.emit(&mut out, next == Some(b'G'));
                        }
                        i += 2;
                        seg = i;
                        continue;
                    }
                    let comment_starts = match c {
                        b'#' => true,
                        b'-' => next == Some(b'-') && !matches!(b.get(i + 2), Some(&d) if d > b' '),
                        b'/' => {
                            next == Some(b'*')
                                && !matches!(b.get(i + 2), Some(b'!'))
                                && b.get(i + 2..i + 4) != Some(b"M!")
                        }
                        _ => false,
                    };
                    if comment_starts && self.strip {
                        self.buf.push_str(line.get(seg..i).unwrap_or_default());
                        seg = b.len();
                        if c == b'/' {
                            self.cutting = true;
                            self.state = State::BlockComment;
                            i += 2;
                            continue;
                        }
                        self.state = State::LineComment;
                        break;
                    }
                    match c {
                        b'\'' | b'"' | b'`' => {
                            self.mark();
                            self.state = State::Quote(c);
                        }
                        b'#' => self.state = State::LineComment,
                        b'-' if next == Some(b'-')
                            && !matches!(b.get(i + 2), Some(&d) if d > b' ') =>
                        {
                            self.state = State::LineComment
                        }
                        b'/' if next == Some(b'*') => {
                            // `/*!...*/` and `/*M!...*/` are executable: they count as content.
                            if matches!(b.get(i + 2), Some(b'!'))
                                || b.get(i + 2..i + 4) == Some(b"M!")
                            {
                                self.mark();
                            }
                            self.state = State::BlockComment;
                            i += 2;
                            continue;
                        }
                        c if c.is_ascii_whitespace() => {}
                        _ => self.mark(),
                    }
                }
                State::Quote(q) => {
                    if c == b'\\' && q != b'`' {
                        i += 2;
                        continue;
                    }
                    if c == q {
                        self.state = State::Normal;
                    }
                }
                State::LineComment => break,
                State::BlockComment => {
                    if c == b'*' && b.get(i + 1) == Some(&b'/') {
                        self.state = State::Normal;
                        i += 2;
                        if self.cutting {
                            self.cutting = false;
                            seg = i;
                        }
                        continue;
                    }
                }
            }
            i += 1;
        }
        if self.state == State::LineComment {
            self.state = State::Normal;
        }
        if !self.cutting {
            self.buf.push_str(line.get(seg..).unwrap_or(""));
        }
        self.buf.push('\n');
        out
    }

    /// Ends the input: the last statement if it had no delimiter.
    pub fn finish(&mut self) -> Option<Statement> {
        let mut out = Vec::new();
        self.emit(&mut out, false);
        self.state = State::Normal;
        out.pop()
    }

    fn mark(&mut self) {
        if self.start.is_none() {
            self.start = Some(self.line);
        }
    }

    fn emit(&mut self, out: &mut Vec<Statement>, ego: bool) {
        let sql = std::mem::take(&mut self.buf);
        if let Some(line) = self.start.take() {
            out.push(Statement {
                sql: sql.trim().to_string(),
                line,
                ego,
                shown: sql.trim_start().to_string(),
            });
        }
    }
}

/// `DELIMITER xx` (case-insensitive) → `xx`.
fn delimiter_command(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let head = t.get(..9)?;
    if !head.eq_ignore_ascii_case("delimiter") {
        return None;
    }
    let rest = t.get(9..)?;
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let d = rest.split_whitespace().next()?;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(script: &str) -> Vec<(String, usize)> {
        let mut s = Splitter::new();
        let mut v: Vec<_> = script.lines().flat_map(|l| s.push_line(l)).collect();
        v.extend(s.finish());
        v.into_iter().map(|s| (s.sql, s.line)).collect()
    }

    fn sqls(script: &str) -> Vec<String> {
        split(script).into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn simple_and_several_per_line() {
        assert_eq!(sqls("SELECT 1;SELECT 2 ;\n"), ["SELECT 1", "SELECT 2"]);
        assert_eq!(
            split("\n\nSELECT\n*\nFROM t\n;"),
            [("SELECT\n*\nFROM t".into(), 3)]
        );
    }

    #[test]
    fn delimiters_inside_quotes() {
        assert_eq!(
            sqls("SELECT 'a;b', \"c;d\", `e;f`;"),
            ["SELECT 'a;b', \"c;d\", `e;f`"]
        );
        assert_eq!(
            sqls(r"SELECT 'it\'s;', 'x''y;';"),
            [r"SELECT 'it\'s;', 'x''y;'"]
        );
        assert_eq!(sqls(r#"SELECT "a\";b";"#), [r#"SELECT "a\";b""#]);
        assert_eq!(
            sqls(r"SELECT 'a\\'; SELECT 2;"),
            [r"SELECT 'a\\'", "SELECT 2"]
        );
        // Backslash is not an escape in backticks.
        assert_eq!(
            sqls(r"SELECT 1 AS `a\`; SELECT 2;"),
            [r"SELECT 1 AS `a\`", "SELECT 2"]
        );
        // A quote spanning lines.
        assert_eq!(sqls("SELECT 'a\n;b';"), ["SELECT 'a\n;b'"]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            sqls("SELECT 1; -- c; d\nSELECT 2 # x; y\n;"),
            ["SELECT 1", "-- c; d\nSELECT 2 # x; y"]
        );
        assert_eq!(sqls("SELECT /* ; */ 1;"), ["SELECT /* ; */ 1"]);
        assert_eq!(sqls("/* a\n; b */ SELECT 1;"), ["/* a\n; b */ SELECT 1"]);
        // `--` needs a space or control character after it to start a comment.
        assert_eq!(sqls("SELECT 1--1;"), ["SELECT 1--1"]);
        assert_eq!(sqls("SELECT 1 --\n;"), ["SELECT 1 --"]);
        // Only comments: nothing to run.
        assert!(sqls("-- one\n# two\n/* three */\n").is_empty());
        assert!(sqls(";;").is_empty());
        // Executable comments are statements.
        assert_eq!(
            sqls("/*!40101 SET NAMES utf8 */;"),
            ["/*!40101 SET NAMES utf8 */"]
        );
    }

    #[test]
    fn trailing_statement_and_lines() {
        assert_eq!(
            split("SELECT 1;\n\n  SELECT 2"),
            [("SELECT 1".into(), 1), ("SELECT 2".into(), 3)]
        );
        let mut s = Splitter::new();
        assert!(s.push_line("SELECT").is_empty());
        assert!(s.is_pending());
        assert_eq!(s.push_line("1;").len(), 1);
        assert!(!s.is_pending());
    }

    #[test]
    fn comments_cut_as_the_client_cuts_them() {
        let mut s = Splitter::new();
        s.strip_comments(true);
        let mut v = Vec::new();
        for l in [
            "select 1 -- c",
            ", 2 # h",
            ", /* b */ 3 /*! ,4 */;",
            "/* a",
            "b */ select 5; -- x",
        ] {
            v.extend(s.push_line(l));
        }
        let v: Vec<_> = v.into_iter().map(|s| s.sql).collect();
        assert_eq!(v, ["select 1 \n, 2 \n,  3 /*! ,4 */", "select 5"]);
    }

    #[test]
    fn go_ego_and_clear() {
        let mut s = Splitter::new();
        let v = s.push_line("select 1\\G select 2\\g select 3 \\c select 4;");
        assert_eq!(
            v.iter()
                .map(|s| (s.sql.as_str(), s.ego))
                .collect::<Vec<_>>(),
            [("select 1", true), ("select 2", false), ("select 4", false)]
        );
        assert_eq!(sqls("select '\\G';"), ["select '\\G'"]);
    }

    #[test]
    fn delimiter_command_changes_the_delimiter() {
        let script = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\ndelimiter ;\nSELECT 3;";
        assert_eq!(
            sqls(script),
            [
                "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
                "SELECT 3"
            ]
        );
    }
}
