//! LOAD DATA LOCAL INFILE, sans-IO: which file names the statement sent allows, the state of
//! one transfer, and the packets it is made of (protocol-notes/local-infile.md).
//!
//! The server answers a COM_QUERY with `0xFB` + file name; the client answers with the file's
//! contents in packets (sequence ids continuing), then an empty packet, and the server's OK or
//! ERR ends the statement. An empty packet at once means "no file". The engine answers that way
//! unless the connection opted in (CLIENT_LOCAL_FILES negotiated) *and* the name is one a
//! `LOAD DATA | XML ... LOCAL INFILE 'name'` of the query names: a rogue server cannot choose
//! a file. Opening and reading the file is the driver's ([`Engine::infile_wanted`]): the engine
//! frames what it is given.

use crate::codec::CapabilityFlags;
use crate::codec::StatusFlags;
use crate::error::{Error, InfileRefusalReason, LocalInfileRefusal};

use super::response::Expect;
use super::Engine;

/// Largest data packet the engine sends: far below the 0xFFFFFF that would make the server
/// expect a continuation (after which the closing empty packet would end the continuation,
/// not the file), and below any `max_allowed_packet` a server is likely to run with.
pub const INFILE_PACKET: usize = 64 * 1024;

/// One LOCAL INFILE transfer the engine is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Infile {
    /// Granted: the driver opens the file ([`InfileWant::Open`]).
    Open(String),
    /// Data packets are being sent; `sent` bytes so far.
    Sending { name: String, sent: u64 },
    /// The data ended (or was refused with an empty packet): the server's verdict is owed.
    Reply {
        name: String,
        refusal: Option<InfileRefusalReason>,
    },
}

/// What the driver must do for the LOCAL INFILE request the engine is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfileWant<'a> {
    /// Open the file the statement named (it equals what the server asked for), check it
    /// against the session's policy, then [`Engine::infile_data`] or
    /// [`Engine::infile_refuse`].
    Open(&'a str),
    /// Read the next chunk: [`Engine::infile_data`], [`Engine::infile_end`] at the end of the
    /// file, or [`Engine::infile_stop`] on a failure.
    Send,
}

impl Engine {
    /// Remembers which LOCAL INFILE names `sql` allows (only with CLIENT_LOCAL_FILES
    /// negotiated; nothing otherwise).
    pub(super) fn grant_infile(&mut self, sql: &str) {
        self.infile_names.clear();
        if self.caps.contains(CapabilityFlags::LOCAL_FILES) {
            let backslash = !self.status().contains(StatusFlags::NO_BACKSLASH_ESCAPES);
            self.infile_names = local_infile_names(sql, backslash);
        }
    }

    /// The server asked for `name`: granted (the driver opens it) or refused now.
    pub(super) fn on_infile_request(&mut self, name: String) {
        let refusal = if !self.caps.contains(CapabilityFlags::LOCAL_FILES) {
            Some(InfileRefusalReason::NotEnabled)
        } else if let Some(i) = self.infile_names.iter().position(|n| *n == name) {
            // Each LOCAL INFILE of the statement is served once.
            self.infile_names.swap_remove(i);
            None
        } else {
            Some(InfileRefusalReason::NotInStatement)
        };
        match refusal {
            None => self.infile = Some(Infile::Open(name)),
            Some(reason) => self.answer_no_file(name, reason),
        }
    }

    /// Answers "no data" (one empty packet); the server's verdict is read next.
    fn answer_no_file(&mut self, name: String, reason: InfileRefusalReason) {
        self.queue_packet(&[]);
        self.resp.on_infile_data(0);
        self.infile = Some(Infile::Reply {
            name,
            refusal: Some(reason),
        });
    }

    /// What the driver must do for a LOCAL INFILE request now (`None`: nothing; the usual
    /// case). A step returns `Ok(None)` while this is `Some`, and reading would wait forever:
    /// the server waits for the file.
    pub fn infile_wanted(&self) -> Option<InfileWant<'_>> {
        match &self.infile {
            Some(Infile::Open(name)) => Some(InfileWant::Open(name)),
            Some(Infile::Sending { .. }) => Some(InfileWant::Send),
            _ => None,
        }
    }

    /// Refuses the granted request before any data (the driver's policy said no, or the file
    /// cannot be opened): an empty packet is queued and the step then returns
    /// [`Error::LocalInfileRefused`] with `reason` once the server's verdict is read.
    pub fn infile_refuse(&mut self, reason: InfileRefusalReason) {
        if let Some(Infile::Open(name)) = self.infile.take() {
            self.answer_no_file(name, reason);
        }
    }

    /// Queues `chunk` of the file as data packets of at most [`INFILE_PACKET`] bytes (an
    /// empty chunk queues nothing: only [`Engine::infile_end`] ends the data).
    pub fn infile_data(&mut self, chunk: &[u8]) {
        let (name, mut sent) = match self.infile.take() {
            Some(Infile::Open(name)) => (name, 0u64),
            Some(Infile::Sending { name, sent }) => (name, sent),
            other => {
                self.infile = other;
                return;
            }
        };
        for piece in chunk.chunks(INFILE_PACKET) {
            self.queue_packet(&[piece]);
            sent = sent.saturating_add(u64::try_from(piece.len()).unwrap_or(u64::MAX));
        }
        self.infile = Some(Infile::Sending { name, sent });
    }

    /// The end of the file: queues the empty packet; the step then reads the server's verdict
    /// (the statement's OK or ERR).
    pub fn infile_end(&mut self) {
        let name = match self.infile.take() {
            Some(Infile::Open(name) | Infile::Sending { name, .. }) => name,
            other => {
                self.infile = other;
                return;
            }
        };
        self.queue_packet(&[]);
        self.resp.on_infile_data(0);
        self.infile = Some(Infile::Reply {
            name,
            refusal: None,
        });
    }

    /// Reading the file failed (`error`), or the transfer was abandoned (`None`). With nothing
    /// sent yet this is a refusal like [`Engine::infile_refuse`] (`Ok`: the step reads the
    /// verdict next). After data was sent, an empty packet would make the server load a
    /// truncated file: the engine is marked broken instead and the returned error says so;
    /// the driver closes the connection, which aborts the statement.
    pub fn infile_stop(&mut self, error: Option<String>) -> Result<(), Error> {
        match self.infile.take() {
            Some(Infile::Open(name)) | Some(Infile::Sending { name, sent: 0 }) => {
                let reason = match error {
                    Some(e) => InfileRefusalReason::Unreadable(e),
                    None => InfileRefusalReason::Abandoned { sent: 0 },
                };
                self.answer_no_file(name, reason);
                Ok(())
            }
            Some(Infile::Sending { name, sent }) => {
                let reason = match error {
                    Some(error) => InfileRefusalReason::Interrupted { sent, error },
                    None => InfileRefusalReason::Abandoned { sent },
                };
                let e = Error::LocalInfileRefused(Box::new(LocalInfileRefusal { name, reason }));
                self.mark_broken(&e);
                // Nothing more goes out on this connection.
                self.resp.set(Expect::Idle);
                Err(e)
            }
            other => {
                self.infile = other;
                Ok(())
            }
        }
    }

    /// Bytes of the file sent so far in the current transfer.
    pub fn infile_sent(&self) -> u64 {
        match &self.infile {
            Some(Infile::Sending { sent, .. }) => *sent,
            _ => 0,
        }
    }

    /// The file name and refusal of a transfer whose verdict was just read.
    pub(super) fn take_infile_reply(&mut self) -> (String, Option<InfileRefusalReason>) {
        match self.infile.take() {
            Some(Infile::Reply { name, refusal }) => (name, refusal),
            Some(Infile::Open(name) | Infile::Sending { name, .. }) => {
                (name, Some(InfileRefusalReason::NotEnabled))
            }
            None => (String::new(), Some(InfileRefusalReason::NotEnabled)),
        }
    }
}

/// The file names of every `LOAD DATA [LOW_PRIORITY | CONCURRENT] LOCAL INFILE 'name'` (and
/// `LOAD XML ... LOCAL INFILE`) in `sql`, the literals unescaped as the server reads them:
/// `''` / `""` for a quote, and with `backslash_escapes` (no NO_BACKSLASH_ESCAPES in the
/// sql_mode) `\n`, `\t`, `\0`, `\r`, `\b`, `\Z`, `\\` and `\x` for any other x (`\%` and `\_`
/// keep their backslash). Comments (`-- `, `#`, `/* */`) and other literals and quoted
/// identifiers are skipped; the text of executable comments (`/*! */`, `/*M! */`) counts.
pub fn local_infile_names(sql: &str, backslash_escapes: bool) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        Start,
        Load,
        Kind,
        Priority,
        Local,
        Infile,
    }
    let mut names = Vec::new();
    let mut at = At::Start;
    let mut lexer = Lexer {
        s: sql,
        pos: 0,
        backslash: backslash_escapes,
    };
    while let Some(tok) = lexer.next_token() {
        let word = match &tok {
            Token::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        };
        let w = word.as_deref();
        at = match (at, w, tok) {
            (At::Infile, _, Token::Str(name)) => {
                names.push(name);
                At::Start
            }
            (At::Load, Some("DATA" | "XML"), _) => At::Kind,
            (At::Kind, Some("LOW_PRIORITY" | "CONCURRENT"), _) => At::Priority,
            (At::Kind | At::Priority, Some("LOCAL"), _) => At::Local,
            (At::Local, Some("INFILE"), _) => At::Infile,
            (_, Some("LOAD"), _) => At::Load,
            _ => At::Start,
        };
    }
    names
}

enum Token {
    Word(String),
    Str(String),
    Other,
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    backslash: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn bump(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.s.len());
    }

    /// Skips to the end of the line (a `--` or `#` comment).
    fn skip_line(&mut self) {
        match self.rest().find('\n') {
            Some(i) => self.bump(i + 1),
            None => self.pos = self.s.len(),
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        loop {
            let rest = self.rest();
            let c = rest.chars().next()?;
            if c.is_whitespace() {
                self.bump(c.len_utf8());
                continue;
            }
            if c == '#' {
                self.skip_line();
                continue;
            }
            if let Some(after) = rest.strip_prefix("--") {
                // `--` starts a comment only before whitespace, a control character or the end.
                if after
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c.is_control())
                {
                    self.skip_line();
                    continue;
                }
            }
            if let Some(after) = rest.strip_prefix("/*") {
                let exec = after.strip_prefix('!').or_else(|| after.strip_prefix("M!"));
                if let Some(code) = exec {
                    // An executable comment: its text is SQL (after the optional version).
                    let digits = code.bytes().take_while(u8::is_ascii_digit).count();
                    let skip = rest.len() - code.len() + digits;
                    self.bump(skip);
                } else {
                    match after.find("*/") {
                        Some(i) => self.bump(i + 4),
                        None => self.pos = self.s.len(),
                    }
                }
                continue;
            }
            if rest.starts_with("*/") {
                // The end of an executable comment.
                self.bump(2);
                continue;
            }
            if c == '\'' || c == '"' {
                self.bump(1);
                return Some(Token::Str(self.string(c)));
            }
            if c == '`' {
                self.bump(1);
                let _ = self.quoted('`', false);
                return Some(Token::Other);
            }
            if c.is_alphanumeric() || c == '_' || c == '$' {
                let len = rest
                    .char_indices()
                    .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .map_or(rest.len(), |(i, _)| i);
                let w = rest.get(..len).unwrap_or("").to_string();
                self.bump(len);
                return Some(Token::Word(w));
            }
            self.bump(c.len_utf8());
            return Some(Token::Other);
        }
    }

    /// A string literal after its opening `quote`.
    fn string(&mut self, quote: char) -> String {
        self.quoted(quote, self.backslash)
    }

    /// The text up to the closing `quote` (doubled: one quote), unescaped.
    fn quoted(&mut self, quote: char, backslash: bool) -> String {
        let mut out = String::new();
        let mut chars = self.rest().char_indices().peekable();
        let mut end = self.rest().len();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                if chars.peek().is_some_and(|&(_, n)| n == quote) {
                    out.push(quote);
                    chars.next();
                    continue;
                }
                end = i + c.len_utf8();
                break;
            }
            if c == '\\' && backslash {
                match chars.next() {
                    Some((_, e)) => match e {
                        '0' => out.push('\0'),
                        'b' => out.push('\u{8}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'Z' => out.push('\u{1a}'),
                        '%' | '_' => {
                            out.push('\\');
                            out.push(e);
                        }
                        other => out.push(other),
                    },
                    None => out.push('\\'),
                }
                continue;
            }
            out.push(c);
        }
        self.bump(end);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::local_infile_names;

    fn names(sql: &str) -> Vec<String> {
        local_infile_names(sql, true)
    }

    #[test]
    fn the_literal_after_local_infile() {
        assert_eq!(
            names("LOAD DATA LOCAL INFILE '/tmp/a.csv' INTO TABLE t"),
            ["/tmp/a.csv"]
        );
        assert_eq!(
            names("load data low_priority local infile \"b.tsv\" into table t"),
            ["b.tsv"]
        );
        assert_eq!(
            names("LOAD XML CONCURRENT LOCAL INFILE 'x.xml' INTO TABLE t ROWS IDENTIFIED BY '<r>'"),
            ["x.xml"]
        );
        assert_eq!(
            names(
                "LOAD DATA LOCAL INFILE 'a' INTO TABLE t; LOAD DATA LOCAL INFILE 'b' INTO TABLE u"
            ),
            ["a", "b"]
        );
    }

    #[test]
    fn no_local_no_name() {
        for sql in [
            "SELECT 1",
            "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
            "SELECT 'LOAD DATA LOCAL INFILE ''/etc/passwd'''",
            "SELECT 1 -- LOAD DATA LOCAL INFILE '/etc/passwd'",
            "SELECT 1 # LOAD DATA LOCAL INFILE '/etc/passwd'",
            "SELECT /* LOAD DATA LOCAL INFILE '/etc/passwd' */ 1",
            "SELECT `LOAD DATA LOCAL INFILE '/etc/passwd'`",
            "LOAD DATA LOCAL INFILE",
            "LOAD DATA LOCAL INFILE x",
            "DO 'LOAD', 'DATA' LOCAL INFILE 'x'",
        ] {
            assert_eq!(names(sql), Vec::<String>::new(), "{sql}");
        }
        // `--` without a space is no comment: `1--1` is arithmetic.
        assert_eq!(
            names("SELECT 1--1;\nLOAD DATA LOCAL INFILE 'f' INTO TABLE t"),
            ["f"]
        );
    }

    #[test]
    fn escapes_and_quotes() {
        assert_eq!(
            names(r"LOAD DATA LOCAL INFILE 'it''s' INTO TABLE t"),
            ["it's"]
        );
        assert_eq!(
            names(r#"LOAD DATA LOCAL INFILE "a""b" INTO TABLE t"#),
            ["a\"b"]
        );
        assert_eq!(
            names(r"LOAD DATA LOCAL INFILE 'C:\\dir\\f\'s\n\%' INTO TABLE t"),
            ["C:\\dir\\f's\n\\%"]
        );
        // NO_BACKSLASH_ESCAPES: a backslash is itself.
        assert_eq!(
            local_infile_names(r"LOAD DATA LOCAL INFILE 'C:\dir\f' INTO TABLE t", false),
            [r"C:\dir\f"]
        );
        assert_eq!(
            names("LOAD DATA LOCAL INFILE 'ünï cødé' INTO TABLE t"),
            ["ünï cødé"]
        );
    }

    #[test]
    fn executable_comments_count() {
        assert_eq!(
            names("/*!40000 LOAD DATA LOCAL INFILE 'v' INTO TABLE t */"),
            ["v"]
        );
        assert_eq!(
            names("/*M!100500 LOAD DATA LOCAL INFILE 'm' INTO TABLE t */"),
            ["m"]
        );
        assert_eq!(
            names("LOAD /* hint */ DATA -- x\n LOCAL\tINFILE\n'c' INTO TABLE t"),
            ["c"]
        );
    }

    #[test]
    fn unterminated_text_is_no_panic() {
        for sql in [
            "'",
            "\"abc",
            "`",
            "/*",
            "LOAD DATA LOCAL INFILE 'x",
            "/*!",
            "\\",
            "é'\\",
        ] {
            let _ = names(sql);
        }
        assert_eq!(
            names("LOAD DATA LOCAL INFILE 'unterminated"),
            ["unterminated"]
        );
    }
}
