//! Runs statements and client commands from lines of input, as the mariadb client's
//! read-and-execute loop does: for `-e` text, standard input, `source FILE` and the prompt.
//!
//! Errors are the client's: `ERROR 1146 (42S02) at line 3: …` in batch mode (`in file: 'F'`
//! for a sourced file; no line with `-L`), preceded there by the failing statement between
//! dashed lines (`--print-query-on-error`, unless `-v` echoed it already); without the line
//! at the prompt. A script stops at the first error unless `--force` (then the exit status
//! is 0, as the client's); statements of a sourced file go on after errors.

use std::io::{self, BufRead, BufWriter, Write};

use mywire::{Error, Session};

use crate::commands::{self, Cmd};
use crate::run::{execute, execute_prepared, Failure, Outcome};
use crate::splitter::{Splitter, Statement};
use crate::style::{echo, Style};
use crate::{status, terminal_safe, OUT_BUFFER};

/// What to do after a line or a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Go,
    /// `quit` / `exit` / `\q`.
    Quit,
    /// An error ends the input (batch mode without `--force`, or a lost connection).
    Stop,
}

/// The state of a session's input.
pub struct Runner<'r> {
    pub rt: &'r tokio::runtime::Runtime,
    pub session: &'r mut Session,
    pub style: Style,
    pub splitter: Splitter,
    /// The database in use, as far as `use` and the connection tell.
    pub database: Option<String>,
    /// How the session is connected, for `status` (`Localhost via UNIX socket`, …).
    pub endpoint: status::Endpoint,
    /// A statement failed (the exit status is 1 unless `--force`).
    pub failed: bool,
    /// The sourced file being read (named in errors).
    file: Option<String>,
    /// Nested `source` depth.
    depth: usize,
}

/// `source` nesting deeper than this is refused (a file that sources itself).
const MAX_SOURCE_DEPTH: usize = 16;

impl<'r> Runner<'r> {
    /// A runner with `style`'s comment handling and the `--delimiter`.
    pub fn new(
        rt: &'r tokio::runtime::Runtime,
        session: &'r mut Session,
        style: Style,
        delimiter: Option<&str>,
        database: Option<String>,
        endpoint: status::Endpoint,
    ) -> Self {
        let mut splitter = Splitter::new();
        splitter.strip_comments(!style.comments);
        if let Some(d) = delimiter.filter(|d| !d.is_empty()) {
            splitter.set_delimiter(d);
        }
        Runner {
            rt,
            session,
            style,
            splitter,
            database,
            endpoint,
            failed: false,
            file: None,
            depth: 0,
        }
    }

    /// Feeds one line (its terminator optional).
    pub fn line(&mut self, line: &str) -> Flow {
        let bare = line.trim_end_matches(['\n', '\r']);
        // --binary-mode: in a script, no client command but DELIMITER (the splitter's).
        let commands_on = !(self.style.binary_mode && self.style.batch);
        if commands_on && !self.splitter.is_pending() {
            if let Some(cmd) = commands::find(bare, Some(self.splitter.delimiter())) {
                if cmd != Cmd::Delimiter {
                    // A command line still counts as a line for the error line numbers.
                    self.splitter.push_line("");
                    return self.command(cmd, bare);
                }
            }
        }
        for st in self.splitter.push_line(line) {
            let flow = self.statement(st);
            if flow != Flow::Go {
                return flow;
            }
        }
        Flow::Go
    }

    /// The end of the input: the last statement, even without a delimiter.
    pub fn finish(&mut self) -> Flow {
        match self.splitter.finish() {
            Some(st) => self.statement(st),
            None => Flow::Go,
        }
    }

    /// Feeds every line of `input`; `Err` if it cannot be read.
    pub fn read_all<R: BufRead>(&mut self, mut input: R) -> Result<Flow, io::Error> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                return Ok(self.finish());
            }
            let line = String::from_utf8_lossy(&buf);
            let flow = self.line(&line);
            if flow != Flow::Go {
                return Ok(flow);
            }
        }
    }

    /// A statement ended by the delimiter, `\g` or `\G`: a client command or SQL.
    fn statement(&mut self, st: Statement) -> Flow {
        let commands_on = !(self.style.binary_mode && self.style.batch);
        if let Some(cmd) = commands::find(&st.sql, None).filter(|_| commands_on) {
            if !matches!(cmd, Cmd::Go | Cmd::Ego | Cmd::Clear) {
                return self.command(cmd, &st.sql);
            }
        }
        self.run_sql(&st.sql, &st.shown, st.ego, st.line)
    }

    /// Runs SQL and prints its results, then its warnings with `--show-warnings`.
    pub fn sql(&mut self, sql: &str, ego: bool, line: usize) -> Flow {
        self.run_sql(sql, sql, ego, line)
    }

    fn run_sql(&mut self, sql: &str, shown: &str, ego: bool, line: usize) -> Flow {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(OUT_BUFFER, stdout.lock());
        if self.style.echo() {
            let _ = out.write_all(echo(sql).as_bytes());
        }
        let style = self.style.clone();
        let r = if style.prepared {
            self.rt.block_on(execute_prepared(
                self.session,
                sql,
                shown,
                &style,
                ego,
                &mut out,
            ))
        } else {
            self.rt
                .block_on(execute(self.session, sql, shown, &style, ego, &mut out))
        };
        // Rows printed before an error are kept, and come out before the message.
        let flushed = out.flush();
        drop(out);
        let r = match (r, flushed) {
            (Ok(o), Ok(())) => Ok(o),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(Failure::Output(e)),
        };
        match r {
            Ok(Outcome { warnings }) => {
                if self.style.show_warnings && warnings > 0 {
                    self.show_warnings(None);
                }
                if sql_is_use(sql) {
                    self.database = commands::first_arg(sql);
                }
                Flow::Go
            }
            Err(e) => {
                self.report(&e, sql, line);
                if self.style.show_warnings {
                    if let Failure::Db(Error::Server(s)) = &e {
                        self.show_warnings(Some(s.code));
                    }
                }
                self.after_error(e.is_fatal())
            }
        }
    }

    fn after_error(&mut self, fatal: bool) -> Flow {
        self.failed = true;
        if fatal || (self.style.batch && !self.style.force) {
            Flow::Stop
        } else {
            Flow::Go
        }
    }

    /// Prints a failure as the client does.
    fn report(&self, e: &Failure, sql: &str, line: usize) {
        if matches!(e, Failure::Output(o) if o.kind() == io::ErrorKind::BrokenPipe) {
            return;
        }
        if self.style.batch && self.style.print_query_on_error && !self.style.echo() {
            eprint!("{}", echo(sql));
        }
        let msg = match e.server() {
            Some(s) => format!(
                "ERROR {} ({}){}: {}",
                s.code,
                s.sql_state,
                self.at_line(line),
                s.message
            ),
            None => e.message(None),
        };
        eprintln!("{}", terminal_safe(&msg));
        if let Some(hint) = e.hint() {
            eprintln!("{hint}");
        }
    }

    /// ` at line N` (` in file: 'F'`) in batch mode.
    fn at_line(&self, line: usize) -> String {
        if !self.style.batch || !self.style.line_numbers || line == 0 {
            return String::new();
        }
        match &self.file {
            Some(f) => format!(" at line {line} in file: '{f}'"),
            None => format!(" at line {line}"),
        }
    }

    /// A client-side error (`ERROR: USE must be followed by a database name`): the client
    /// goes on after most (`stops`: false), as it does after a bad `use` or `delimiter`.
    fn client_error(&mut self, msg: &str, stops: bool) -> Flow {
        let line = self.splitter.lines();
        eprintln!("ERROR{}: {msg}", self.at_line(line));
        if stops {
            self.after_error(false)
        } else {
            Flow::Go
        }
    }

    /// An informational line (`Database changed`), printed at the prompt only.
    fn info(&self, msg: &str) {
        if !self.style.batch && self.style.silent == 0 {
            println!("{msg}");
        }
    }

    /// `SHOW WARNINGS` as `Level (Code N): message` lines; the error itself is not repeated
    /// when it is the only one.
    fn show_warnings(&mut self, error: Option<u16>) {
        let rows = match self
            .rt
            .block_on(status::rows(self.session, "SHOW WARNINGS"))
        {
            Ok(r) => r,
            Err(_) => return,
        };
        if rows.len() == 1
            && error.is_some_and(|c| {
                rows.first().and_then(|r| r.get(1)).map(String::as_str) == Some(&c.to_string())
            })
        {
            return;
        }
        for r in &rows {
            let get = |i: usize| r.get(i).map(String::as_str).unwrap_or("");
            let line = format!("{} (Code {}): {}", get(0), get(1), get(2));
            println!("{}", terminal_safe(&line));
        }
    }

    /// Runs a client command; `text` is its line (or statement).
    fn command(&mut self, cmd: Cmd, text: &str) -> Flow {
        match cmd {
            Cmd::Quit => Flow::Quit,
            Cmd::Clear => {
                self.splitter.reset();
                Flow::Go
            }
            Cmd::Go | Cmd::Ego => {
                if !self.style.batch {
                    return self.client_error("No query specified\n", true);
                }
                Flow::Go
            }
            Cmd::Delimiter => match commands::first_arg(text) {
                None => self.client_error(
                    "DELIMITER must be followed by a 'delimiter' character or string",
                    false,
                ),
                Some(d) if d.contains('\\') => {
                    self.client_error("DELIMITER cannot contain a backslash character", false)
                }
                Some(d) => {
                    self.splitter.set_delimiter(&d);
                    Flow::Go
                }
            },
            Cmd::Use => self.use_database(text),
            Cmd::Source => self.source(text),
            Cmd::Status => {
                let s = self.rt.block_on(status::render(
                    self.session,
                    &self.endpoint,
                    self.splitter.delimiter(),
                ));
                for line in s.split_inclusive('\n') {
                    let (text, nl) = match line.strip_suffix('\n') {
                        Some(t) => (t, "\n"),
                        None => (line, ""),
                    };
                    // The layout's TABs stay; anything else the server put in is escaped.
                    let safe: Vec<_> = text.split('\t').map(terminal_safe).collect();
                    print!("{}{nl}", safe.join("\t"));
                }
                Flow::Go
            }
            Cmd::Help => {
                let topic = commands::rest_arg(text);
                if topic.is_empty() {
                    print!("{}", commands::help_text());
                    self.info("\nFor server side help, type 'help contents'\n");
                    Flow::Go
                } else {
                    let sql = format!(
                        "help '{}'",
                        topic.replace('\\', "\\\\").replace('\'', "\\'")
                    );
                    self.sql(&sql, false, self.splitter.lines())
                }
            }
            Cmd::Warnings => {
                self.style.show_warnings = true;
                self.info("Show warnings enabled.");
                Flow::Go
            }
            Cmd::NoWarnings => {
                self.style.show_warnings = false;
                self.info("Show warnings disabled.");
                Flow::Go
            }
            Cmd::Print => {
                print!("{}", echo(""));
                Flow::Go
            }
            // Accepted without effect: there is no completion to rebuild, and in batch mode
            // the client ignores its pager and tee too.
            Cmd::Rehash => Flow::Go,
            Cmd::Pager | Cmd::Nopager | Cmd::Tee | Cmd::Notee if self.style.batch => Flow::Go,
            Cmd::Connect
            | Cmd::Edit
            | Cmd::Nopager
            | Cmd::Notee
            | Cmd::Pager
            | Cmd::Prompt
            | Cmd::System
            | Cmd::Tee
            | Cmd::Charset => {
                let name = commands::COMMANDS
                    .iter()
                    .find(|c| c.3 == cmd)
                    .map_or("?", |c| c.0);
                eprintln!("mywire: the `{name}` command is not supported");
                Flow::Go
            }
        }
    }

    fn use_database(&mut self, text: &str) -> Flow {
        let Some(db) = commands::first_arg(text) else {
            return self.client_error("USE must be followed by a database name", false);
        };
        let sql = format!("USE `{}`", db.replace('`', "``"));
        let line = self.splitter.lines();
        let r = self.rt.block_on(self.session.query_drop(&sql));
        match r {
            Ok(_) => {
                self.database = Some(db);
                self.info("Database changed");
                Flow::Go
            }
            Err(e) => {
                let e = Failure::Db(e);
                self.report(&e, text.trim(), line);
                self.after_error(e.is_fatal())
            }
        }
    }

    /// `source FILE` / `\. FILE`: the file's statements in batch fashion; errors in it are
    /// reported with the file's name and do not stop it unless --abort-source-on-error.
    fn source(&mut self, text: &str) -> Flow {
        let name = commands::rest_arg(text);
        if name.is_empty() {
            return self.client_error("Usage: \\. <filename> | source <filename>", true);
        }
        if self.depth >= MAX_SOURCE_DEPTH {
            return self.client_error("source files nested too deeply", true);
        }
        let file = match std::fs::File::open(&name) {
            Ok(f) => f,
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(0);
                return self.client_error(
                    &format!("Failed to open file '{name}', error: {code}"),
                    true,
                );
            }
        };
        let saved_splitter = std::mem::take(&mut self.splitter);
        self.splitter.strip_comments(!self.style.comments);
        self.splitter.set_delimiter(saved_splitter.delimiter());
        let saved_file = self.file.replace(name);
        let saved_force = self.style.force;
        self.style.force = !self.style.abort_source_on_error || saved_force;
        self.depth += 1;
        let flow = match self.read_all(io::BufReader::new(file)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("mywire: cannot read the file: {e}");
                Flow::Stop
            }
        };
        self.depth -= 1;
        self.style.force = saved_force;
        self.file = saved_file;
        self.splitter = saved_splitter;
        match flow {
            Flow::Quit => Flow::Quit,
            Flow::Stop if self.style.batch && !self.style.force => Flow::Stop,
            _ => Flow::Go,
        }
    }
}

/// `USE db` sent as SQL (with `--comments`, or spelled in a way the command reader skips).
fn sql_is_use(sql: &str) -> bool {
    let t = sql.trim_start();
    t.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("use ")) && !t.contains(';')
}
