//! Runs statements on a session and prints their results.

use std::fmt;
use std::io::{self, Write};

use std::ops::Range;

use mywire::codec::value::write_binary_as_text;
use mywire::session::{QueryResult, Row};
use mywire::{Error, ServerError, Session};

use crate::batch;
use crate::table::{self, Table};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Tab-separated, like `mariadb --batch`.
    Batch,
    /// Aligned tables with `N rows in set` / `Query OK, N rows affected`.
    Table,
}

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

    /// A line of advice printed after [`Failure::message`], if any.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Failure::Unpreparable(_) => Some(
                "mywire: this statement cannot be run as a prepared statement; run it without \
                 --prepared",
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

/// Runs `sql` (possibly several statements) and prints every result to `out` in `format`.
/// Rows are streamed in batch format; tables are buffered to compute the widths. What was
/// printed before an error stays printed (the caller flushes `out`).
pub async fn execute<W: Write>(
    session: &mut Session,
    sql: &str,
    format: Format,
    out: &mut W,
) -> Result<(), Failure> {
    let result = session.query(sql).await?;
    print_results(result, format, out).await
}

/// Prints every result of a response (text or binary rows alike): a binary row's cells go
/// through [`cells`], so both print the same bytes.
pub async fn print_results<W: Write>(
    mut result: QueryResult<'_>,
    format: Format,
    out: &mut W,
) -> Result<(), Failure> {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    loop {
        if result.is_result_set() {
            match format {
                Format::Batch => {
                    let mut first = true;
                    while let Some(row) = result.next_row().await? {
                        if first {
                            first = false;
                            batch::write_header(out, row.columns().iter().map(|c| c.name_bytes()))?;
                        }
                        if row.is_binary() {
                            cells(&row, &mut buf, &mut spans)?;
                            batch::write_row(out, spans.iter().map(|s| cell(&buf, s)))?;
                        } else {
                            batch::write_row(out, (0..row.len()).map(|i| row.bytes(i)))?;
                        }
                    }
                }
                Format::Table => {
                    let mut t = Table::new(
                        result
                            .columns()
                            .iter()
                            .map(|c| (c.name().into_owned(), c.column_type.is_numeric())),
                    );
                    while let Some(row) = result.next_row().await? {
                        if row.is_binary() {
                            cells(&row, &mut buf, &mut spans)?;
                            t.push(
                                spans
                                    .iter()
                                    .map(|s| {
                                        cell(&buf, s)
                                            .map(|c| String::from_utf8_lossy(c).into_owned())
                                    })
                                    .collect(),
                            );
                        } else {
                            t.push(
                                (0..row.len())
                                    .map(|i| row.text(i).map(|c| c.into_owned()))
                                    .collect(),
                            );
                        }
                    }
                    out.write_all(t.render().as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
        } else if format == Format::Table {
            out.write_all(table::query_ok(result.affected_rows()).as_bytes())?;
            out.write_all(b"\n")?;
        }
        if !result.next_result().await? {
            break;
        }
    }
    Ok(())
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
    format: Format,
    out: &mut W,
) -> Result<(), Failure> {
    let stmt = match session.prepare(sql).await {
        Ok(s) => s,
        Err(Error::Server(e)) if e.code == ER_UNSUPPORTED_PS => {
            return Err(Failure::Unpreparable(e))
        }
        Err(e) => return Err(e.into()),
    };
    let printed = match session.execute(&stmt, &[]).await {
        Ok(result) => print_results(result, format, out).await,
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
    printed?;
    closed.map_err(Failure::from)
}
