//! Runs statements on a session and prints their results.

use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::time::Instant;

use mywire::codec::flags::ColumnFlags;
use mywire::codec::resultset::ColumnDefinition;
use mywire::codec::value::write_binary_as_text;
use mywire::session::{QueryResult, Row};
use mywire::{Error, ServerError, Session};

use crate::style::{duration, is_num, summary, Layout, Style};
use crate::table::{Col, Table};
use crate::vertical::Vertical;
use crate::{batch, json, markup};

/// ER_UNSUPPORTED_PS: "This command is not supported in the prepared statement protocol yet".
pub const ER_UNSUPPORTED_PS: u16 = 1295;

/// Why a statement failed: the server or connection, or writing the output.
#[derive(Debug)]
pub enum Failure {
    /// An error from the session (server error, lost connection, …).
    Db(Error),
    /// With `--prepared`: the server cannot prepare this statement (ER_UNSUPPORTED_PS).
    Unpreparable(ServerError),
    /// Standard output could not be written.
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Db(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl Failure {
    /// The message for standard error; `line` adds mariadb's `at line N` to server errors.
    pub fn message(&self, line: Option<usize>) -> String {
        match self {
            Failure::Db(Error::Server(e)) => match line {
                Some(n) => format!(
                    "ERROR {} ({}) at line {n}: {}",
                    e.code, e.sql_state, e.message
                ),
                // The server's own text, as mariadb prints it (the CLI gives its own hints).
                None => format!("ERROR {} ({}): {}", e.code, e.sql_state, e.message),
            },
            Failure::Db(e) => format!("mywire: {e}"),
            Failure::Unpreparable(e) => Failure::Db(Error::Server(e.clone())).message(line),
            Failure::Output(e) => format!("mywire: cannot write the output: {e}"),
        }
    }

    /// The server's error, if it is one.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            Failure::Db(Error::Server(e)) | Failure::Unpreparable(e) => Some(e),
            _ => None,
        }
    }

    /// A line of advice printed after [`Failure::message`], if any.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Failure::Unpreparable(_) => Some(
                "mywire: this statement cannot be run as a prepared statement; run it without \
                 --prepared",
            ),
            // ER_LOAD_INFILE_CAPABILITY_DISABLED: MariaDB refuses LOAD DATA LOCAL from a client
            // that did not announce CLIENT_LOCAL_FILES.
            Failure::Db(Error::Server(e)) if e.code == 4166 => Some(
                "mywire: LOAD DATA LOCAL INFILE is off; --local-infile=1 sends the file the \
                 statement names, --load-data-local-dir=DIR files inside DIR",
            ),
            _ => None,
        }
    }

    /// True if nothing more can be done (the session or standard output is gone).
    pub fn is_fatal(&self) -> bool {
        match self {
            Failure::Db(e) => e.is_fatal(),
            Failure::Unpreparable(_) => false,
            Failure::Output(_) => true,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(None))
    }
}

/// What a statement left for the caller: the warning count of its last result.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Warnings of the last result (for `--show-warnings`).
    pub warnings: u16,
}

/// Runs `sql` (possibly several statements) and prints every result to `out` as `style`
/// says (`shown`: the statement as the XML output quotes it); `ego`: the statement ended with `\G` (vertical output). What was printed before an
/// error stays printed (the caller flushes `out`).
pub async fn execute<W: Write>(
    session: &mut Session,
    sql: &str,
    shown: &str,
    style: &Style,
    ego: bool,
    out: &mut W,
) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let result = session.query(sql).await?;
    print_results(result, style, shown, ego, started, out).await
}

/// The columns of a result set as the printers need them.
struct Cols {
    names: Vec<Vec<u8>>,
    numeric: Vec<bool>,
    not_null: Vec<bool>,
}

impl Cols {
    fn of(columns: &[ColumnDefinition]) -> Self {
        Cols {
            names: columns.iter().map(|c| c.name_bytes().to_vec()).collect(),
            numeric: columns.iter().map(|c| is_num(c.column_type.0)).collect(),
            not_null: columns
                .iter()
                .map(|c| c.flags.contains(ColumnFlags::NOT_NULL))
                .collect(),
        }
    }
}

/// Prints every result of a response (text or binary rows alike): a binary row's cells go
/// through [`cells`], so both print the same bytes. Then, per result and as `style` says, its
/// summary (`N rows in set (0.001 sec)`), the server's info line and an empty line.
pub async fn print_results<W: Write>(
    mut result: QueryResult<'_>,
    style: &Style,
    sql: &str,
    ego: bool,
    started: Instant,
    out: &mut W,
) -> Result<Outcome, Failure> {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    let mut outcome = Outcome::default();
    loop {
        let rows = if result.is_result_set() {
            let cols = Cols::of(result.columns());
            let layout = style.layout(ego);
            let mut table = (layout == Layout::Table).then(|| {
                Table::new(
                    (0..cols.names.len())
                        .map(|i| Col {
                            name: cols.names.get(i).cloned().unwrap_or_default(),
                            numeric: cols.numeric.get(i).copied().unwrap_or(false),
                            not_null: cols.not_null.get(i).copied().unwrap_or(false),
                        })
                        .collect(),
                    style.column_names,
                )
            });
            let mut vertical = (layout == Layout::Vertical)
                .then(|| Vertical::new(cols.names.clone(), style.column_names));
            if layout == Layout::Xml {
                markup::xml_start(out, sql)?;
            }
            let mut n: u64 = 0;
            while let Some(row) = result.next_row().await? {
                if row.is_binary() {
                    cells(&row, &mut buf, &mut spans)?;
                }
                if n == 0 {
                    match layout {
                        Layout::Tab if style.tab_header() => {
                            batch::write_header(out, cols.names.iter().map(Vec::as_slice))?
                        }
                        Layout::Html => markup::html_start(out, &cols.names, style.column_names)?,
                        _ => {}
                    }
                }
                n = n.saturating_add(1);
                // Tab-separated rows (the bulk of big outputs) are written straight from the
                // packet, without collecting the cells.
                if layout == Layout::Tab {
                    match (row.is_binary(), style.raw) {
                        (true, false) => {
                            batch::write_row(out, spans.iter().map(|s| cell(&buf, s)))?
                        }
                        (true, true) => {
                            batch::write_raw_row(out, spans.iter().map(|s| cell(&buf, s)))?
                        }
                        (false, false) => {
                            batch::write_row(out, (0..row.len()).map(|i| row.bytes(i)))?
                        }
                        (false, true) => {
                            batch::write_raw_row(out, (0..row.len()).map(|i| row.bytes(i)))?
                        }
                    }
                    continue;
                }
                let cellv: Vec<Option<&[u8]>> = if row.is_binary() {
                    spans.iter().map(|s| cell(&buf, s)).collect()
                } else {
                    (0..row.len()).map(|i| row.bytes(i)).collect()
                };
                match layout {
                    Layout::Tab => {}
                    Layout::Table => {
                        if let Some(t) = table.as_mut() {
                            t.push(cellv.iter().map(|c| c.map(<[u8]>::to_vec)).collect());
                        }
                    }
                    Layout::Vertical => {
                        if let Some(v) = vertical.as_mut() {
                            v.row(out, &cellv)?;
                        }
                    }
                    Layout::Html => markup::html_row(out, &cellv)?,
                    Layout::Xml => markup::xml_row(out, &cols.names, &cellv)?,
                    Layout::Json => json::write_row(out, &cols.names, &cols.numeric, &cellv)?,
                }
            }
            match layout {
                Layout::Table => {
                    if let Some(t) = &table {
                        t.write(out)?;
                    }
                }
                Layout::Html if n > 0 => markup::html_end(out)?,
                Layout::Xml => markup::xml_end(out)?,
                _ => {}
            }
            Some(n)
        } else {
            None
        };
        let ok = result.ok();
        outcome.warnings = ok.warnings;
        if style.summaries() {
            let mut line = summary(rows, ok.affected_rows, ok.warnings);
            if style.timing() {
                line.push_str(&duration(started.elapsed()));
            }
            writeln!(out, "{line}")?;
            if rows.is_none() && !ok.info.is_empty() {
                writeln!(out, "{}", ok.info)?;
            }
            writeln!(out)?;
        }
        if !result.next_result().await? {
            break;
        }
    }
    Ok(outcome)
}

/// The cells of a binary row as the text protocol would send them
/// ([`mywire::codec::value::write_binary_as_text`]), all in `buf`; `spans[i]` is cell `i`'s
/// range in it, `None` for NULL. A malformed cell is an error (never a guessed value).
fn cells(
    row: &Row<'_>,
    buf: &mut Vec<u8>,
    spans: &mut Vec<Option<Range<usize>>>,
) -> Result<(), Failure> {
    buf.clear();
    spans.clear();
    for (i, col) in row.columns().iter().enumerate().take(row.len()) {
        spans.push(match row.bytes(i) {
            None => None,
            Some(b) => {
                let start = buf.len();
                write_binary_as_text(b, col, buf).map_err(|e| Failure::Db(Error::Value(e)))?;
                Some(start..buf.len())
            }
        });
    }
    Ok(())
}

fn cell<'b>(buf: &'b [u8], span: &Option<Range<usize>>) -> Option<&'b [u8]> {
    span.as_ref()
        .map(|r| buf.get(r.clone()).unwrap_or_default())
}

/// Runs one statement as a prepared statement (COM_STMT_PREPARE, COM_STMT_EXECUTE without
/// parameters, COM_STMT_CLOSE) and prints its results as [`execute`] does. A statement the
/// server cannot prepare is [`Failure::Unpreparable`].
pub async fn execute_prepared<W: Write>(
    session: &mut Session,
    sql: &str,
    shown: &str,
    style: &Style,
    ego: bool,
    out: &mut W,
) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let stmt = match session.prepare(sql).await {
        Ok(s) => s,
        Err(Error::Server(e)) if e.code == ER_UNSUPPORTED_PS => {
            return Err(Failure::Unpreparable(e))
        }
        Err(e) => return Err(e.into()),
    };
    let printed = match session.execute(&stmt, &[]).await {
        Ok(result) => print_results(result, style, shown, ego, started, out).await,
        Err(e) => Err(e.into()),
    };
    // Closed whatever happened (the session drains what is left of the response first), so
    // a script run with --force does not pile statements up on the server; a broken session
    // has nothing left to close.
    let closed = if session.is_broken() {
        Ok(())
    } else {
        session.close_statement(stmt).await
    };
    let outcome = printed?;
    closed.map_err(Failure::from)?;
    Ok(outcome)
}
