//! `mywire`: run SQL on a MySQL/MariaDB server and print the results like the `mariadb` client.
//!
//! `mywire [--url URL] [-h HOST] [-P PORT] [-u USER] [-p PASSWORD] [-D DATABASE] [-S SOCKET]
//! [-e SQL] [--batch | --table] [--force] [--prepared] [--ssl-mode MODE …] [--trace …] [--trace-file FILE]`
//!
//! `mywire decode CAPTURE [--port PORT] [--format text|json] [--hex] [--secrets]`
//!
//! Option files (`~/.my.cnf`, `--defaults-file`, …) and the mariadb client's options and
//! output rules: see `optfile`, `argv`, `style` and `script`.
//!
//! Exit status, as the mariadb client's: 0 on success (also after errors with `--force`, or
//! at the prompt), 1 after a connection or server error or a bad option file, 2 for usage
//! errors.
#![forbid(unsafe_code)]

mod args;
mod argv;
mod batch;
mod commands;
mod decode;
mod interactive;
mod json;
mod markup;
mod optfile;
mod password;
mod run;
mod script;
mod slap;
mod splitter;
mod status;
mod style;
mod table;
mod trace;
mod vertical;

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use mywire::{Error, Options, Session};

use args::{Args, Command, ConnectArgs, MariadbConnectArgs, DEFAULT_URL};
use script::{Flow, Runner};
use style::Style;

/// Output buffer size: large, so that streaming a big result makes few `write` calls.
pub const OUT_BUFFER: usize = 256 * 1024;

/// The socket the Debian build of the mariadb client uses when none is named.
const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

fn main() -> ExitCode {
    let raw: Vec<OsString> = std::env::args_os().collect();
    let prog = raw.first().cloned().unwrap_or_else(|| "mywire".into());
    let rest = raw.get(1..).unwrap_or_default();
    // `mywire decode …` reads no option file.
    if rest.first().is_some_and(|a| a == "decode" || a == "slap") {
        return match Args::parse_from(&raw).command {
            Some(Command::Decode(d)) => ExitCode::from(decode::decode(&d)),
            Some(Command::Slap(a)) => ExitCode::from(slap::slap(&a)),
            None => ExitCode::from(2),
        };
    }
    let defaults = match optfile::load(rest, &optfile::Env::from_process()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if defaults.print {
        print!(
            "{}",
            optfile::print_defaults("mywire", &defaults.settings, &defaults.rest)
        );
        return ExitCode::SUCCESS;
    }
    let spec = argv::Spec::of(&Args::command());
    let from_files: Vec<OsString> = defaults
        .settings
        .iter()
        .map(|s| OsString::from(s.to_arg()))
        .collect();
    let file_args = spec.normalize(&from_files, argv::Source::File);
    let cmd_args = spec.normalize(&defaults.rest, argv::Source::CommandLine);
    let with = |a: &[OsString]| -> Vec<OsString> {
        std::iter::once(prog.clone())
            .chain(a.iter().cloned())
            .collect()
    };
    // The files' settings first: the command line's win (clap keeps the last value).
    let args = Args::parse_from(with(&[file_args.clone(), cmd_args.clone()].concat()));
    match &args.command {
        Some(Command::Decode(d)) => return ExitCode::from(decode::decode(d)),
        Some(Command::Slap(a)) => return ExitCode::from(slap::slap(a)),
        None => {}
    }
    let cmd_only = Args::try_parse_from(with(&cmd_args)).ok();
    let force_survives = force_after_execute(&[file_args, cmd_args].concat());
    let mut opts = match connection(&args, cmd_only.as_ref()) {
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
    let place = match &opts.socket {
        Some(p) => status::Endpoint::Socket(p.clone()),
        None => status::Endpoint::Tcp {
            host: opts.host.clone(),
            port: opts.port,
        },
    };
    let database = opts.database.clone();
    // The session owns the tracers: the pcapng capture is finished when the session is dropped
    // (by `close` below, or here on a failed connect); `main` returns instead of calling
    // `process::exit`, so that always happens.
    let connected = rt.block_on(Session::connect_traced(opts, tracer));
    let ok = match connected {
        Ok(session) => run_session(&rt, session, &args, database, place, force_survives),
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

/// The connection options. A URL given on the command line or in `DATABASE_URL` names the
/// whole connection, and only the command line's flags change it; otherwise the option
/// files' settings and the `MYSQL_HOST` / `MYSQL_TCP_PORT` / `MYSQL_UNIX_PORT` variables
/// apply too (below the command line), as in the mariadb client. The password: `-p` alone
/// asks for it; else the flags', the URL's, or `MYSQL_PWD`.
fn connection(args: &Args, cmd_only: Option<&Args>) -> Result<Options, Error> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let env_url = env("DATABASE_URL");
    let cmd_url = cmd_only.and_then(|a| a.connect.url.clone());
    let (connect, mariadb, mut o): (&ConnectArgs, &MariadbConnectArgs, Options) =
        match (cmd_only, cmd_url.or(env_url)) {
            (Some(c), Some(url)) => (&c.connect, &c.mariadb, Options::from_url(&url)?),
            _ => {
                let url = args.connect.url.as_deref().unwrap_or(DEFAULT_URL);
                let mut o = Options::from_url(url)?;
                if let Some(h) = env("MYSQL_HOST") {
                    o.host = h;
                }
                if let Some(p) = env("MYSQL_TCP_PORT") {
                    o.set("port", &p)?;
                }
                if let Some(s) = env("MYSQL_UNIX_PORT") {
                    o.set("socket", &s)?;
                }
                (&args.connect, &args.mariadb, o)
            }
        };
    connect.apply_to(&mut o)?;
    mariadb.apply_to(&mut o)?;
    match mariadb.socket_protocol()? {
        // `-h HOST` other than localhost means TCP, as in the mariadb client (even with
        // --protocol=SOCKET).
        _ if connect.host.as_deref().is_some_and(|h| h != "localhost") => o.socket = None,
        Some(false) => o.socket = None,
        Some(true) if o.socket.is_none() => o.set("socket", DEFAULT_SOCKET)?,
        Some(true) | None => {}
    }
    match &connect.password {
        Some(None) => {
            o.password = password::prompt()
                .map_err(|e| Error::Config(format!("password: cannot read it: {e}")))?
        }
        Some(Some(_)) => {}
        None if o.password.is_empty() => {
            if let Some(p) = env("MYSQL_PWD") {
                o.password = mywire::session::Password::from(p.as_str());
            }
        }
        None => {}
    }
    Ok(o)
}

/// False if `--force` is given only before the first `-e`: as in the mariadb client, `-e`
/// turns off a `--force` that came before it (one after it counts).
fn force_after_execute(args: &[OsString]) -> bool {
    let is = |a: &OsString, short: &str, long: &str| {
        a.to_str()
            .is_some_and(|s| s == short || s == long || s.starts_with(&format!("{long}=")))
    };
    let first_e = args.iter().position(|a| is(a, "-e", "--execute"));
    let last_f = args.iter().rposition(|a| is(a, "-f", "--force"));
    match (first_e, last_f) {
        (Some(e), Some(f)) => f > e,
        _ => true,
    }
}

/// The output settings, decided as the mariadb client decides them (see [`style`]).
fn style_of(args: &Args, force_survives: bool) -> Style {
    let o = &args.out;
    let on = |b: Option<bool>| b == Some(true);
    let piped = !io::stdin().is_terminal() || !io::stdout().is_terminal();
    let mut silent = u8::from(piped).saturating_add(o.silent);
    if on(args.batch) {
        silent = silent.max(1);
    }
    Style {
        batch: piped || on(args.batch) || args.execute.is_some(),
        silent,
        verbose: o.verbose,
        tables: on(args.table),
        vertical: on(o.vertical),
        column_names: o.column_names != Some(false),
        raw: on(o.raw),
        html: on(o.html),
        xml: on(o.xml),
        json: on(o.json),
        show_warnings: on(o.show_warnings),
        line_numbers: o.line_numbers != Some(false),
        print_query_on_error: o.print_query_on_error != Some(false),
        force: on(args.force) && force_survives,
        prepared: args.prepared,
        comments: on(o.comments),
        binary_mode: on(o.binary_mode),
        abort_source_on_error: on(o.abort_source_on_error),
    }
}

/// Runs the statements of `args` and closes the session (dropping its tracers).
fn run_session(
    rt: &tokio::runtime::Runtime,
    mut session: Session,
    args: &Args,
    database: Option<String>,
    place: status::Endpoint,
    force_survives: bool,
) -> bool {
    let style = style_of(args, force_survives);
    if let Some(init) = &args.out.init_command {
        if let Err(e) = rt.block_on(session.query_drop(init)) {
            eprintln!("{}", terminal_safe(&run::Failure::Db(e).message(None)));
            let _ = rt.block_on(session.close());
            return false;
        }
    }
    let interactive = !style.batch;
    let bye = if style.batch {
        style.verbose > 1
    } else {
        style.silent == 0
    };
    let mut runner = Runner::new(
        rt,
        &mut session,
        style,
        args.out.delimiter.as_deref(),
        database,
        place,
    );
    let flow = match &args.execute {
        Some(sql) if args.one_query && !args.prepared => runner.sql(sql, false, 1),
        Some(sql) => {
            let mut flow = Flow::Go;
            for line in sql.split_inclusive('\n') {
                flow = runner.line(line);
                if flow != Flow::Go {
                    break;
                }
            }
            if flow == Flow::Go {
                flow = runner.finish();
            }
            flow
        }
        None if interactive => interactive::run(&mut runner),
        None => match runner.read_all(io::stdin().lock()) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("mywire: cannot read standard input: {e}");
                Flow::Stop
            }
        },
    };
    drop(runner);
    if bye {
        println!("Bye");
    }
    // The server closes the session anyway; a failing COM_QUIT changes nothing.
    let _ = rt.block_on(session.close());
    flow != Flow::Stop
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
