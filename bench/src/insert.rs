//! The `insert` workload: `--insert-rows` rows (100,000 by default) of five typed columns into
//! `ins (id INT PRIMARY KEY, k BIGINT, name VARCHAR(32), score DOUBLE, created DATETIME)`,
//! each client one way of sending them.
//!
//! Per run, outside the timed part, a second connection (mywire's blocking session, the same
//! for every client) truncates the table and reads the server's global counters; after the
//! timed part it reads them again and checks the table: the row count and sums over every
//! column, against the values the rows were made from (`verified=ok`, else `BAD`). The counter
//! deltas (COM_STMT_EXECUTE and INSERT statements the server counted, bytes it received) follow
//! the check after ` | ` and are reported as notes, not compared.
//!
//! The rows are made before the clock starts as typed Rust values (`Row`); each client's own
//! parameter form is then built where its API takes it: borrowed references (mywire,
//! zero-mysql) before the clock, owned or bound values (mysql_async's `Params`, sqlx's `bind`),
//! the SQL text of `mywire-multirow` and the raw baseline's encoding inside it. Autocommit
//! is on, as a client would run it: one commit per statement (the throwaway server runs
//! with `innodb_flush_log_at_trx_commit=0`, so no commit waits for a disk flush).

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::clients::{Measured, Params, Res, Timer};
use crate::raw::{Raw, Target};

pub const INSERT_SQL: &str = "INSERT INTO ins VALUES (?, ?, ?, ?, ?)";
/// Rows per statement of `mywire-multirow`.
pub const MULTIROW: usize = 1000;

pub const TABLE_SQL: &str = "DROP TABLE IF EXISTS ins;\n\
     CREATE TABLE ins (id INT PRIMARY KEY, k BIGINT NOT NULL, name VARCHAR(32) NOT NULL, \
     score DOUBLE NOT NULL, created DATETIME NOT NULL);\n";

/// One row to insert.
pub struct Row {
    pub id: i32,
    pub k: i64,
    pub name: String,
    pub score: f64,
    pub created: NaiveDateTime,
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date")
}

/// Row i of n (1-based): exact in every protocol (score is a multiple of 1/8).
pub fn rows(n: usize) -> Vec<Row> {
    (1..=n as i64)
        .map(|i| Row {
            id: i as i32,
            k: i * 1_000_003,
            name: format!("name-{i}"),
            score: i as f64 / 8.0,
            created: epoch() + TimeDelta::seconds(i),
        })
        .collect()
}

/// What the table must hold after the insert, in the form `verify` reports it.
fn expected(n: usize) -> String {
    let n = n as i128;
    let s = n * (n + 1) / 2;
    let names: i128 = (1..=n).map(|i| 5 + i.to_string().len() as i128).sum();
    format!(
        "rows={n} sum_id={s} sum_k={} name_len={names} score={} secs={s}",
        s * 1_000_003,
        s as f64 / 8.0
    )
}

const COUNTERS: &[&str] = &["Com_stmt_execute", "Com_insert", "Bytes_received"];

/// The second connection: truncates before, verifies after.
pub struct Admin {
    s: mywire::session::blocking::Session,
    before: Vec<u64>,
}

impl Admin {
    pub fn start(url: &str) -> Res<Admin> {
        let mut s = mywire::session::blocking::Session::connect(mywire::Options::from_url(url)?)?;
        s.query_drop("TRUNCATE TABLE ins")?;
        let before = counters(&mut s)?;
        Ok(Admin { s, before })
    }

    /// The check string: the table's facts (` BAD` when they are not the expected ones), then
    /// ` | ` and the counter deltas.
    pub fn verify(mut self, n: usize) -> Res<String> {
        let after = counters(&mut self.s)?;
        let mut rs = self.s.query(
            "SELECT COUNT(*), SUM(id), SUM(k), SUM(LENGTH(name)), SUM(score), \
             SUM(TIMESTAMPDIFF(SECOND, '2024-01-01 00:00:00', created)) FROM ins",
        )?;
        let mut got = String::new();
        while let Some(row) = rs.next_row()? {
            let cell = |i| {
                row.bytes(i)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .unwrap_or("NULL")
                    .to_string()
            };
            let score = cell(4).parse::<f64>().unwrap_or(f64::NAN);
            got = format!(
                "rows={} sum_id={} sum_k={} name_len={} score={score} secs={}",
                cell(0),
                cell(1),
                cell(2),
                cell(3),
                cell(5)
            );
        }
        let mut check = if got == expected(n) {
            format!("rows={n} verified=ok")
        } else {
            format!("BAD {got}")
        };
        check.push_str(" |");
        for (name, (a, b)) in COUNTERS.iter().zip(self.before.iter().zip(&after)) {
            let _ = write!(check, " {name}={}", b.saturating_sub(*a));
        }
        self.s.close()?;
        Ok(check)
    }
}

fn counters(s: &mut mywire::session::blocking::Session) -> Res<Vec<u64>> {
    let mut v = vec![0; COUNTERS.len()];
    let mut rs = s.query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN \
         ('Com_stmt_execute', 'Com_insert', 'Bytes_received')",
    )?;
    while let Some(row) = rs.next_row()? {
        let name = row.bytes(0).unwrap_or_default();
        let val = row
            .bytes(1)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if let Some(i) = COUNTERS.iter().position(|c| c.as_bytes() == name) {
            v[i] = val;
        }
    }
    Ok(v)
}

/// Runs `body` (the timed insert) between an `Admin` start and its verification.
macro_rules! timed_insert {
    ($p:expr, $n:expr, $body:block) => {{
        let admin = Admin::start(&$p.url)?;
        let tm = Timer::start();
        let affected: u64 = $body;
        let mut m = tm.stop(0, String::new());
        let mut check = admin.verify($n)?;
        if affected != $n as u64 {
            check.insert_str(0, &format!("BAD affected={affected} "));
        }
        m.check = check;
        m
    }};
}

// ---- raw baseline: one COM_STMT_EXECUTE per row, encoded by hand ----------------------------

pub fn raw_ps(p: &Params, n: usize) -> Res<Measured> {
    let data = rows(n);
    let mut c = Raw::connect(&Target::from_url(&p.url))?;
    let id = c.prepare(INSERT_SQL.as_bytes())?;
    // MYSQL_TYPE_LONG, LONGLONG, VAR_STRING, DOUBLE, DATETIME; all signed.
    let types = [0x03, 0, 0x08, 0, 0xFD, 0, 0x05, 0, 0x0C, 0];
    let mut v = Vec::with_capacity(64);
    let m = timed_insert!(p, n, {
        for r in &data {
            v.clear();
            v.extend_from_slice(&r.id.to_le_bytes());
            v.extend_from_slice(&r.k.to_le_bytes());
            v.push(r.name.len() as u8); // < 251: a one-byte length
            v.extend_from_slice(r.name.as_bytes());
            v.extend_from_slice(&r.score.to_le_bytes());
            put_datetime(&mut v, &r.created);
            c.execute_params(id, 5, &types, &v)?;
        }
        n as u64
    });
    c.quit()?;
    Ok(m)
}

fn put_datetime(v: &mut Vec<u8>, t: &NaiveDateTime) {
    use chrono::{Datelike, Timelike};
    v.push(7);
    v.extend_from_slice(&(t.year() as u16).to_le_bytes());
    v.extend_from_slice(&[
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    ]);
}

// ---- mywire ---------------------------------------------------------------------------------

/// How a mywire client inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// `exec_batch` (COM_STMT_BULK_EXECUTE on MariaDB).
    Bulk,
    /// `exec_batch` with `Options::bulk = false`: pipelined COM_STMT_EXECUTEs.
    Pipelined,
    /// One `execute` per row, each awaited.
    Rows,
    /// Multi-row text INSERTs of `MULTIROW` rows through `query_drop`.
    MultiRow,
}

pub fn mywire_datetime(t: &NaiveDateTime) -> mywire::codec::value::DateTime {
    use chrono::{Datelike, Timelike};
    use mywire::codec::value::{Date, DateTime};
    let d = Date::new(t.year() as u16, t.month() as u8, t.day() as u8).expect("date");
    DateTime::new(d, t.hour() as u8, t.minute() as u8, t.second() as u8, 0).expect("time")
}

/// `INSERT INTO ins VALUES (…), (…), …` for `rows` (the names need no escaping).
pub fn multirow_sql(rows: &[Row], out: &mut String) {
    out.clear();
    out.push_str("INSERT INTO ins VALUES ");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "({},{},'{}',{},'{}')",
            r.id,
            r.k,
            r.name,
            r.score,
            r.created.format("%Y-%m-%d %H:%M:%S")
        );
    }
}

macro_rules! mywire_insert {
    ($name:ident, $session:path, [$($aw:tt)*], $($kw:tt)*) => {
        pub $($kw)* fn $name(p: &Params, n: usize, way: Way) -> Res<Measured> {
            use mywire::ToParam;
            use $session as Session;
            let data = rows(n);
            let times: Vec<_> = data.iter().map(|r| mywire_datetime(&r.created)).collect();
            let refs: Vec<[&dyn ToParam; 5]> = data
                .iter()
                .zip(&times)
                .map(|(r, t)| -> [&dyn ToParam; 5] { [&r.id, &r.k, &r.name, &r.score, t] })
                .collect();
            let mut opts = mywire::Options::from_url(&p.url)?;
            opts.bulk = way != Way::Pipelined;
            let mut s = Session::connect(opts)$($aw)*?;
            let st = s.prepare(INSERT_SQL)$($aw)*?;
            let mut sql = String::new();
            let m = timed_insert!(p, n, {
                match way {
                    Way::Bulk | Way::Pipelined => s.exec_batch(&st, &refs)$($aw)*?.affected_rows,
                    Way::Rows => {
                        let mut a = 0;
                        for r in &refs {
                            a += s.execute(&st, r)$($aw)*?.affected_rows();
                        }
                        a
                    }
                    Way::MultiRow => {
                        let mut a = 0;
                        for chunk in data.chunks(MULTIROW) {
                            multirow_sql(chunk, &mut sql);
                            a += s.query_drop(&sql)$($aw)*?.affected_rows;
                        }
                        a
                    }
                }
            });
            s.close_statement(st)$($aw)*?;
            s.close()$($aw)*?;
            Ok(m)
        }
    };
}

mywire_insert!(mywire, mywire::Session, [.await], async);
mywire_insert!(mywire_sync, mywire::session::blocking::Session, [],);

// ---- peers ----------------------------------------------------------------------------------

/// zero-mysql's `exec_bulk_insert_or_update` (COM_STMT_BULK_EXECUTE on MariaDB, types sent).
pub async fn zero_mysql_bulk(p: &Params, n: usize) -> Res<Measured> {
    use zero_mysql::handler::DropHandler;
    use zero_mysql::protocol::command::bulk_exec::BulkFlags;
    let data = rows(n);
    let params: Vec<(i32, i64, &str, f64, NaiveDateTime)> = data
        .iter()
        .map(|r| (r.id, r.k, r.name.as_str(), r.score, r.created))
        .collect();
    let mut opts = zero_mysql::Opts::try_from(p.url.as_str())?;
    opts.upgrade_to_unix_socket = false;
    let mut c = zero_mysql::tokio::Conn::new(opts).await?;
    let mut st = c.prepare(INSERT_SQL).await?;
    let m = timed_insert!(p, n, {
        let mut h = DropHandler::default();
        c.exec_bulk_insert_or_update(
            &mut st,
            &params[..],
            BulkFlags::SEND_TYPES_TO_SERVER,
            &mut h,
        )
        .await?;
        h.affected_rows()
    });
    drop(c);
    Ok(m)
}

/// mysql_async's `exec_batch` (COM_STMT_BULK_EXECUTE when the server offers it).
pub async fn mysql_async_bulk(p: &Params, n: usize) -> Res<Measured> {
    use mysql_async::prelude::*;
    use mysql_async::{Conn, Opts, OptsBuilder};
    let data = rows(n);
    let opts: Opts = OptsBuilder::from_opts(Opts::from_url(&p.url)?)
        .prefer_socket(false)
        .into();
    let mut c = Conn::new(opts).await?;
    let st = c.prep(INSERT_SQL).await?;
    let m = timed_insert!(p, n, {
        c.exec_batch(
            &st,
            data.iter()
                .map(|r| (r.id, r.k, r.name.as_str(), r.score, r.created)),
        )
        .await?;
        c.affected_rows()
    });
    c.disconnect().await?;
    Ok(m)
}

/// sqlx, one `query(..).bind(..).execute()` per row (sqlx prepares once and caches).
pub async fn sqlx(p: &Params, n: usize) -> Res<Measured> {
    use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
    use sqlx::Connection;
    use std::str::FromStr;
    let data = rows(n);
    let opts = MySqlConnectOptions::from_str(&p.url)?.ssl_mode(MySqlSslMode::Disabled);
    let mut c = MySqlConnection::connect_with(&opts).await?;
    let m = timed_insert!(p, n, {
        let mut a = 0;
        for r in &data {
            a += sqlx::query(INSERT_SQL)
                .bind(r.id)
                .bind(r.k)
                .bind(r.name.as_str())
                .bind(r.score)
                .bind(r.created)
                .execute(&mut c)
                .await?
                .rows_affected();
        }
        a
    });
    c.close().await?;
    Ok(m)
}
