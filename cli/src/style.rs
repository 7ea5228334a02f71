//! How the session prints, decided as the mariadb client decides it.
//!
//! - Batch mode: `-B`, `-e`, or standard input or output not a terminal. Then results are
//!   tab-separated (`--silent` is 1 unless given more often) unless `-t`, errors say
//!   `at line N`, and the `N rows in set` / `Query OK` lines are printed only with `-vv`.
//! - Interactive: tables, and after each result its summary with the time taken
//!   (`1 row in set (0.001 sec)`), then an empty line.
//! - Per result set: `--html`, else `--xml`, else `--json` (mywire's), else vertical (`-E`,
//!   or `\G` for one statement), else tab-separated when silent (and `-v` at most twice, and
//!   no `-t`), else a table.

use std::time::Duration;

/// The layout of one result set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Tab-separated (`--batch`).
    Tab,
    /// Aligned table.
    Table,
    /// `column: value` lines per row.
    Vertical,
    /// `<TABLE BORDER=1>`.
    Html,
    /// `<resultset>`.
    Xml,
    /// One JSON object per row.
    Json,
}

/// The output settings of a session.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// Batch mode (see the module documentation).
    pub batch: bool,
    /// `-s` level (1 in batch mode unless given more often).
    pub silent: u8,
    /// `-v` level.
    pub verbose: u8,
    /// `-t`.
    pub tables: bool,
    /// `-E`.
    pub vertical: bool,
    /// Column names (off with `-N`).
    pub column_names: bool,
    /// `-r`: no escapes in tab-separated output.
    pub raw: bool,
    pub html: bool,
    pub xml: bool,
    pub json: bool,
    /// `--show-warnings` (or `\W`).
    pub show_warnings: bool,
    /// `at line N` in batch errors (off with `-L`).
    pub line_numbers: bool,
    /// In batch mode without `-v`, print the failing statement before its error.
    pub print_query_on_error: bool,
    /// `-f`: go on after an error.
    pub force: bool,
    /// `--prepared`.
    pub prepared: bool,
    /// `--comments`: keep comments in statements.
    pub comments: bool,
    /// `--binary-mode`.
    pub binary_mode: bool,
    /// `--abort-source-on-error`: a sourced file stops at its first error.
    pub abort_source_on_error: bool,
}

impl Style {
    /// The layout of a result set; `ego`: the statement ended with `\G`.
    pub fn layout(&self, ego: bool) -> Layout {
        if self.html {
            Layout::Html
        } else if self.xml {
            Layout::Xml
        } else if self.json {
            Layout::Json
        } else if self.vertical || ego {
            Layout::Vertical
        } else if self.silent > 0 && self.verbose <= 2 && !self.tables {
            Layout::Tab
        } else {
            Layout::Table
        }
    }

    /// Whether the summary lines (`N rows in set`, `Query OK`, the server's info, the empty
    /// line after them) are printed.
    pub fn summaries(&self) -> bool {
        if self.batch {
            self.verbose > 1
        } else {
            self.silent == 0
        }
    }

    /// Whether the summary says how long the statement took.
    pub fn timing(&self) -> bool {
        self.verbose >= 3 || self.silent == 0
    }

    /// Whether the tab-separated layout has its header line.
    pub fn tab_header(&self) -> bool {
        self.silent < 2 && self.column_names
    }

    /// Whether each statement is echoed before it runs (`-v`).
    pub fn echo(&self) -> bool {
        self.verbose > 0
    }
}

/// The echo of a statement (`-v`, and a failing statement in batch mode): the text between
/// two lines of dashes, then an empty line.
pub fn echo(sql: &str) -> String {
    let mut s = String::with_capacity(sql.len() + 40);
    s.push_str("--------------\n");
    s.push_str(sql);
    if !sql.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("--------------\n\n");
    s
}

/// ` (0.001 sec)`, ` (1 min 2.500 sec)`: the mariadb client's duration.
pub fn duration(d: Duration) -> String {
    let mut secs = d.as_secs_f64();
    let mut out = String::from(" (");
    for (unit, one, many) in [
        (86_400.0, " day ", " days "),
        (3_600.0, " hour ", " hours "),
        (60.0, " min ", " min "),
    ] {
        if secs >= unit {
            let n = (secs / unit).floor();
            secs -= n * unit;
            out.push_str(&format!("{n}{}", if n > 1.0 { many } else { one }));
        }
    }
    out.push_str(&format!("{secs:.3} sec)"));
    out
}

/// The summary of a result: `Empty set`, `N rows in set`, `Query OK, N rows affected`, with
/// `, N warnings` when there are any.
pub fn summary(rows: Option<u64>, affected: u64, warnings: u16) -> String {
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    let mut s = match rows {
        Some(0) => "Empty set".to_string(),
        Some(n) => format!("{n} {} in set", plural(n, "row", "rows")),
        None if affected == u64::MAX => "Query OK".to_string(),
        None => format!(
            "Query OK, {affected} {} affected",
            plural(affected, "row", "rows")
        ),
    };
    if warnings > 0 {
        let w = u64::from(warnings);
        s.push_str(&format!(", {w} {}", plural(w, "warning", "warnings")));
    }
    s
}

/// mariadb's IS_NUM: the types printed right-aligned in tables (and as JSON numbers):
/// DECIMAL, TINY, SHORT, LONG, FLOAT, DOUBLE, NULL, LONGLONG, INT24, YEAR, NEWDECIMAL.
pub fn is_num(type_code: u8) -> bool {
    (type_code <= 9 && type_code != 7) || type_code == 13 || type_code == 246
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_summaries() {
        assert_eq!(duration(Duration::from_micros(1_200)), " (0.001 sec)");
        assert_eq!(
            duration(Duration::from_millis(62_500)),
            " (1 min 2.500 sec)"
        );
        assert_eq!(
            duration(Duration::from_secs(2 * 86_400 + 3_600)),
            " (2 days 1 hour 0.000 sec)"
        );
        assert_eq!(summary(Some(0), 0, 0), "Empty set");
        assert_eq!(summary(Some(1), 0, 2), "1 row in set, 2 warnings");
        assert_eq!(summary(None, 3, 1), "Query OK, 3 rows affected, 1 warning");
        assert_eq!(summary(None, 1, 0), "Query OK, 1 row affected");
    }

    #[test]
    fn layouts() {
        let mut s = Style {
            silent: 1,
            ..Style::default()
        };
        assert_eq!(s.layout(false), Layout::Tab);
        assert_eq!(s.layout(true), Layout::Vertical);
        s.verbose = 3;
        assert_eq!(s.layout(false), Layout::Table);
        s.xml = true;
        assert_eq!(s.layout(true), Layout::Xml);
    }
}
