//! `mywire`: run SQL on a MySQL/MariaDB server and print the results like the `mariadb` client.
//!
//! `mywire [--url URL] [-h HOST] [-P PORT] [-u USER] [-p PASSWORD] [-D DATABASE] [-S SOCKET]
//! [-e SQL] [--batch | --table] [--force] [--prepared] [--ssl-mode MODE …] [--trace …] [--trace-file FILE]`
//!
//! `mywire decode CAPTURE [--port PORT] [--format text|json] [--hex] [--secrets]`
//!
//! Exit status: 0 on success, 1 after a server, connection or output error, 2 for usage errors.
#![forbid(unsafe_code)]

mod args;
mod batch;
mod decode;
mod interactive;
mod run;
mod splitter;
mod table;
mod trace;

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use mywire::{Error, Session};

use args::{Args, Command};
use run::{execute, execute_prepared, Failure, Format};
use splitter::Splitter;

/// Output buffer size: large, so that streaming a big result makes few `write` calls.
pub const OUT_BUFFER: usize = 256 * 1024;

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Decode(d)) = &args.command {
        return ExitCode::from(decode::decode(d));
    }
    let mut opts = match args
        .connect
        .options(std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mywire: {e}");
            return ExitCode::from(2);
        }
    };
    args::key_log_from_env(&mut opts, std::env::var_os("SSLKEYLOGFILE"));
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mywire: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // No trace flags: no tracer at all, so tracing costs nothing.
    let (tracer, trace_file_error, digest) = match trace::tracer_for(&args.trace, &opts) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::FAILURE;
        }
    };
    let endpoint = opts.endpoint();
    // The session owns the tracers: the pcapng capture is finished when the session is dropped
    // (by `close` below, or here on a failed connect); `main` returns instead of calling
    // `process::exit`, so that always happens.
    let connected = rt.block_on(Session::connect_traced(opts, tracer));
    let ok = match connected {
        Ok(session) => run_session(&rt, session, &args),
        Err(e) => {
            eprintln!("{}", terminal_safe(&connect_error(&endpoint, &e)));
            false
        }
    };
    if let Some(d) = digest.as_ref().and_then(|d| d.lock().ok()) {
        eprint!(
            "{}",
            mywire::trace::digest::render_text(&d.rows(), d.dropped())
        );
    }
    let file_ok = match trace_file_error
        .as_ref()
        .and_then(|e| e.lock().ok()?.take())
    {
        Some(e) => {
            eprintln!("mywire: cannot write the trace file: {e}");
            false
        }
        None => true,
    };
    if ok && file_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the statements of `args` and closes the session (dropping its tracers).
fn run_session(rt: &tokio::runtime::Runtime, mut session: Session, args: &Args) -> bool {
    let stdin_tty = io::stdin().is_terminal();
    let format = if args.batch {
        Format::Batch
    } else if args.table || args.execute.is_some() || stdin_tty {
        Format::Table
    } else {
        // As the mariadb client: a script on standard input gets batch output.
        Format::Batch
    };
    let mode = Mode {
        format,
        prepared: args.prepared,
    };
    let ok = match &args.execute {
        Some(sql) => run_one(rt, &mut session, sql, mode),
        None if stdin_tty => interactive::run(rt, &mut session, mode),
        None => run_script(rt, &mut session, mode, args.force),
    };
    // The server closes the session anyway; a failing COM_QUIT changes nothing.
    let _ = rt.block_on(session.close());
    ok
}

/// `s` with every control character (C0 but for none, DEL, C1) shown as `\xNN` / `\u{N}`:
/// server text (an error message is the server's to choose) must not drive the terminal, e.g.
/// with an ESC sequence that rewrites what was printed before. Everything else, quotes and
/// backslashes included, prints as the mariadb client prints it.
fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !c.is_control() {
            out.push(c);
        } else if let Ok(b) = u8::try_from(u32::from(c)) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `mywire: cannot connect to HOST:PORT: why`, or the server's `ERROR …` (e.g. access denied).
fn connect_error(endpoint: &str, e: &Error) -> String {
    match e {
        Error::Server(s) => s.to_string(),
        // The session already says `cannot connect to …` when the socket cannot be opened.
        Error::Io(io) if io.to_string().starts_with("cannot connect") => {
            format!("mywire: {}", strip_os_error(&io.to_string()))
        }
        Error::Io(io) => format!(
            "mywire: cannot connect to {endpoint}: {}",
            strip_os_error(&io.to_string())
        ),
        e => format!("mywire: cannot connect to {endpoint}: {e}"),
    }
}

/// `Connection refused (os error 111)` → `Connection refused`.
fn strip_os_error(s: &str) -> &str {
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => &s[..i],
        _ => s,
    }
}

/// How statements are run and printed.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Table or batch output.
    pub format: Format,
    /// `--prepared`: each statement through COM_STMT_PREPARE / EXECUTE / CLOSE.
    pub prepared: bool,
}

/// Runs `sql` (the `-e` text, or one statement; one statement when `mode.prepared`) with
/// output to stdout; prints an error to stderr (`line` adds `at line N`).
pub fn exec_print(
    rt: &tokio::runtime::Runtime,
    session: &mut Session,
    sql: &str,
    mode: Mode,
    line: Option<usize>,
) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(OUT_BUFFER, stdout.lock());
    let r = if mode.prepared {
        rt.block_on(execute_prepared(session, sql, mode.format, &mut out))
    } else {
        rt.block_on(execute(session, sql, mode.format, &mut out))
    };
    // Rows printed before an error are kept, and come out before the message.
    let flushed = out.flush();
    if let Err(e) = &r {
        if !is_broken_pipe(e) {
            eprintln!("{}", terminal_safe(&e.message(line)));
            if let Some(hint) = e.hint() {
                eprintln!("{hint}");
            }
        }
    }
    r?;
    flushed.map_err(Failure::Output)
}

fn is_broken_pipe(f: &Failure) -> bool {
    matches!(f, Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
}

/// The `-e` text: one query (several statements go as a multi-statement query), or with
/// `--prepared` its statements one by one, stopping at the first that fails (a prepared
/// statement is a single statement; the server rejects `SELECT 1; SELECT 2` with a syntax
/// error at the second).
fn run_one(rt: &tokio::runtime::Runtime, session: &mut Session, sql: &str, mode: Mode) -> bool {
    if !mode.prepared {
        return exec_print(rt, session, sql, mode, None).is_ok();
    }
    let mut splitter = Splitter::new();
    let mut statements = Vec::new();
    for line in sql.split_inclusive('\n') {
        statements.extend(splitter.push_line(line));
    }
    statements.extend(splitter.finish());
    statements
        .iter()
        .all(|st| exec_print(rt, session, &st.sql, mode, None).is_ok())
}

/// Statements from standard input, `;`-terminated. Stops at the first error unless `force`.
fn run_script(
    rt: &tokio::runtime::Runtime,
    session: &mut Session,
    mode: Mode,
    force: bool,
) -> bool {
    let mut input = io::stdin().lock();
    let mut splitter = Splitter::new();
    let mut line = Vec::new();
    let mut ok = true;
    loop {
        line.clear();
        let statements = match input.read_until(b'\n', &mut line) {
            Ok(0) => splitter.finish().into_iter().collect(),
            Ok(_) => splitter.push_line(&String::from_utf8_lossy(&line)),
            Err(e) => {
                eprintln!("mywire: cannot read standard input: {e}");
                return false;
            }
        };
        for st in statements {
            if let Err(e) = exec_print(rt, session, &st.sql, mode, Some(st.line)) {
                ok = false;
                if !force || e.is_fatal() {
                    return false;
                }
            }
        }
        if line.is_empty() {
            return ok;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_messages() {
        let refused = Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "cannot connect to 127.0.0.1:3307: Connection refused (os error 111)",
        ));
        assert_eq!(
            connect_error("127.0.0.1:3307", &refused),
            "mywire: cannot connect to 127.0.0.1:3307: Connection refused"
        );
        assert_eq!(
            connect_error("h:1", &Error::Timeout("connect")),
            "mywire: cannot connect to h:1: connect timed out"
        );
    }
}
