//! Runs statements on a session and prints their results.

use std::fmt;
use std::io::{self, Write};

use mywire::{Error, Session};

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

/// Why a statement failed: the server or connection, or writing the output.
#[derive(Debug)]
pub enum Failure {
    /// An error from the session (server error, lost connection, …).
    Db(Error),
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
                None => e.to_string(),
            },
            Failure::Db(e) => format!("mywire: {e}"),
            Failure::Output(e) => format!("mywire: cannot write the output: {e}"),
        }
    }

    /// True if nothing more can be done (the session or standard output is gone).
    pub fn is_fatal(&self) -> bool {
        match self {
            Failure::Db(e) => e.is_fatal(),
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
    let mut result = session.query(sql).await?;
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
                        batch::write_row(out, (0..row.len()).map(|i| row.bytes(i)))?;
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
                        t.push(
                            (0..row.len())
                                .map(|i| row.text(i).map(|c| c.into_owned()))
                                .collect(),
                        );
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
