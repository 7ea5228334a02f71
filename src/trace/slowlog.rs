//! The MySQL slow query log format, written from decoded requests, so that pt-query-digest and
//! every other slow-log tool reads a capture (protocol-notes/digest.md).
//!
//! Each entry is written as MySQL 5.7 and later write it (MySQL manual, "The Slow Query
//! Log"):
//!
//! ```text
//! # Time: 2025-12-02T10:11:12.123456Z
//! # User@Host: app[app] @  [10.0.0.5]  Id:    42
//! # Query_time: 0.000123  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0
//! use shop;
//! SET timestamp=1764670272;
//! SELECT 1;
//! ```
//!
//! `Lock_time` and `Rows_examined` are not on the wire: they are written as 0. A `use` line
//! comes before an entry whose database differs from the previous entry's.

use std::io::{self, Write};

/// One request for the slow log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowLogEntry<'a> {
    /// When the request was sent, microseconds since the Unix epoch (UTC).
    pub time_us: i64,
    /// The user the connection logged in as (empty if unknown).
    pub user: &'a str,
    /// The client's address.
    pub client: &'a str,
    /// The connection id (from the server's greeting; 0 if unknown).
    pub connection_id: u32,
    /// Server response time, microseconds.
    pub query_time_us: u64,
    /// Rows sent.
    pub rows_sent: u64,
    /// The default database at the time, if known.
    pub database: Option<&'a str>,
    /// The SQL text.
    pub sql: &'a str,
}

/// Days since 1970-01-01 as a (year, month, day) of the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// `2025-12-02T10:11:12.123456Z` for microseconds since the epoch.
pub fn format_time(time_us: i64) -> String {
    let secs = time_us.div_euclid(1_000_000);
    let micros = time_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// Seconds with six decimals, as the slow log writes times.
fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// Writes slow-log entries, remembering the database of the previous one.
#[derive(Debug, Default)]
pub struct SlowLogWriter {
    database: Option<String>,
}

impl SlowLogWriter {
    /// A writer whose first entry with a database gets a `use` line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the file header line the server writes when it opens the log (tools accept a
    /// log without it).
    pub fn header(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "mywire, Version: {} (captured traffic). started with:",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(out, "Tcp port: 0  Unix socket: (none)")?;
        writeln!(out, "Time                 Id Command    Argument")
    }

    /// Writes one entry.
    pub fn write(&mut self, out: &mut impl Write, e: &SlowLogEntry<'_>) -> io::Result<()> {
        writeln!(out, "# Time: {}", format_time(e.time_us))?;
        // Neither name may break the line: control characters become spaces.
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        let user = clean(e.user);
        writeln!(
            out,
            "# User@Host: {user}[{user}] @  [{}]  Id: {:>5}",
            clean(e.client),
            e.connection_id
        )?;
        writeln!(
            out,
            "# Query_time: {}  Lock_time: 0.000000 Rows_sent: {}  Rows_examined: 0",
            seconds(e.query_time_us),
            e.rows_sent
        )?;
        if let Some(db) = e.database {
            if self.database.as_deref() != Some(db) {
                writeln!(out, "use {};", clean(db))?;
                self.database = Some(db.to_string());
            }
        }
        writeln!(out, "SET timestamp={};", e.time_us.div_euclid(1_000_000))?;
        let sql = e
            .sql
            .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
        writeln!(out, "{sql};")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_microseconds() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000000Z");
        // 2025-12-02T10:11:12.123456Z (date -u -d @1764670272).
        assert_eq!(
            format_time(1_764_670_272_123_456),
            "2025-12-02T10:11:12.123456Z"
        );
        assert_eq!(
            format_time(951_782_400_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(format_time(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(seconds(1_234_567), "1.234567");
    }

    #[test]
    fn entries_as_the_server_writes_them() {
        let mut w = SlowLogWriter::new();
        let mut out = Vec::new();
        let e = SlowLogEntry {
            time_us: 1_764_670_272_123_456,
            user: "app",
            client: "10.0.0.5",
            connection_id: 42,
            query_time_us: 123,
            rows_sent: 1,
            database: Some("shop"),
            sql: "SELECT 1 ;\n",
        };
        w.write(&mut out, &e).unwrap();
        w.write(
            &mut out,
            &SlowLogEntry {
                sql: "SELECT 2",
                ..e.clone()
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# Time: 2025-12-02T10:11:12.123456Z\n\
             # User@Host: app[app] @  [10.0.0.5]  Id:    42\n\
             # Query_time: 0.000123  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0\n\
             use shop;\n\
             SET timestamp=1764670272;\n\
             SELECT 1;\n\
             # Time: 2025-12-02T10:11:12.123456Z\n\
             # User@Host: app[app] @  [10.0.0.5]  Id:    42\n\
             # Query_time: 0.000123  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0\n\
             SET timestamp=1764670272;\n\
             SELECT 2;\n"
        );
    }
}
