//! One function per (client, workload). Each connects (untimed unless the workload is
//! `connect`), then runs the workload between `Timer::start` and `Timer::stop`, and returns a
//! check string that the parent compares across clients.

use std::time::{Duration, Instant};

use crate::measure;
use crate::raw::{self, Raw, Target};

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Clone)]
pub struct Params {
    pub url: String,
    /// Bulk rows in the table (for the check only).
    pub n: usize,
    pub connects: usize,
    pub blob: usize,
}

pub struct Timer {
    t: Instant,
    u: Duration,
    s: Duration,
}

pub struct Measured {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    /// VmRSS right before the workload's own data existed (blob: before the payload).
    pub base_kb: u64,
    pub check: String,
}

impl Timer {
    pub fn start() -> Timer {
        let (u, s) = measure::cpu_self();
        Timer {
            t: Instant::now(),
            u,
            s,
        }
    }
    pub fn stop(self, base_kb: u64, check: String) -> Measured {
        let wall = self.t.elapsed();
        let (u, s) = measure::cpu_self();
        Measured {
            wall,
            user: u - self.u,
            sys: s - self.s,
            base_kb,
            check,
        }
    }
}

pub const BULK_SQL: &str = "SELECT * FROM t";
pub const BULK_1K_SQL: &str = "SELECT * FROM t LIMIT 1000";
pub const BLOB_READ_SQL: &str = "SELECT b FROM blobt WHERE id = 1";

/// The blob payload: bytes that need no escaping inside a quoted SQL string.
fn blob_byte(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

/// `REPLACE INTO blobt VALUES (1, '<payload>')`, built in place (one copy of the payload).
pub fn blob_insert_sql(n: usize) -> String {
    let head = "REPLACE INTO blobt VALUES (1, '";
    let mut v = Vec::with_capacity(head.len() + n + 2);
    v.extend_from_slice(head.as_bytes());
    v.extend((0..n).map(blob_byte));
    v.extend_from_slice(b"')");
    String::from_utf8(v).expect("ascii")
}

pub fn blob_payload(n: usize) -> Vec<u8> {
    (0..n).map(blob_byte).collect()
}

fn blob_check(b: &[u8]) -> String {
    let ok = b.len() > 1000 && (0..b.len()).step_by(4099).all(|i| b[i] == blob_byte(i));
    format!(
        "blob_len={} pattern={}",
        b.len(),
        if ok { "ok" } else { "BAD" }
    )
}

fn bulk_check(rows: u64, sum_id: i64) -> String {
    format!("rows={rows} sum_id={sum_id}")
}

// ---- raw baselines ------------------------------------------------------------------------

pub fn raw(w: &str, p: &Params, prepared: bool) -> Res<Measured> {
    let t = Target::from_url(&p.url);
    if w == "connect" {
        let tm = Timer::start();
        for _ in 0..p.connects {
            Raw::connect(&t)?.quit()?;
        }
        return Ok(tm.stop(0, format!("connects={}", p.connects)));
    }
    let mut c = Raw::connect(&t)?;
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            if prepared {
                let id = c.prepare(sql.as_bytes())?;
                let tm = Timer::start();
                let rows = c.execute(id)?;
                tm.stop(0, format!("rows={rows}"))
            } else {
                let tm = Timer::start();
                let rows = c.query(sql.as_bytes())?;
                tm.stop(0, format!("rows={rows}"))
            }
        }
        "roundtrip" => {
            if prepared {
                let id = c.prepare(b"SELECT 1")?;
                let tm = Timer::start();
                for _ in 0..p.n {
                    c.execute(id)?;
                }
                tm.stop(0, format!("n={}", p.n))
            } else {
                let tm = Timer::start();
                for _ in 0..p.n {
                    c.query(b"SELECT 1")?;
                }
                tm.stop(0, format!("n={}", p.n))
            }
        }
        "ping" => {
            let tm = Timer::start();
            for _ in 0..p.n {
                c.ping()?;
            }
            tm.stop(0, format!("n={}", p.n))
        }
        "pipeline" => {
            // The same window as mywire: at most 256 queries in flight, refilled at half.
            const W: usize = 256;
            let mut out = Vec::new();
            let tm = Timer::start();
            let (mut sent, mut done) = (0usize, 0usize);
            while done < p.n {
                if sent - done <= W / 2 && sent < p.n {
                    let k = (W - (sent - done)).min(p.n - sent);
                    out.clear();
                    raw::encode_queries(b"SELECT 1", k, &mut out);
                    c.write_raw(&out)?;
                    sent += k;
                }
                c.response()?;
                done += 1;
            }
            tm.stop(0, format!("n={}", p.n))
        }
        "blob" => {
            let base = measure::rss_kb();
            let tm = Timer::start();
            if prepared {
                let payload = blob_payload(p.blob);
                let id = c.prepare(b"REPLACE INTO blobt VALUES (1, ?)")?;
                c.execute_blob(id, &payload)?;
                drop(payload);
                let id = c.prepare(BLOB_READ_SQL.as_bytes())?;
                c.bytes = 0;
                c.execute(id)?;
            } else {
                let q = blob_insert_sql(p.blob);
                c.query(q.as_bytes())?;
                drop(q);
                c.bytes = 0;
                c.query(BLOB_READ_SQL.as_bytes())?;
            }
            let framed = c.bytes;
            tm.stop(base, format!("framed_bytes>={}", (framed >= p.blob as u64)))
        }
        _ => return Err(format!("raw: no workload {w}").into()),
    };
    c.quit()?;
    Ok(m)
}

// ---- mywire -------------------------------------------------------------------------------

/// One body for both mywire APIs: `mywire` (async, on tokio) and `mywire_sync`
/// (`mywire::session::blocking`, no runtime). `$aw` is `.await` or nothing.
///
/// `Mode::Std`: the cells are taken as bytes and decoded exactly as the zero-mysql handler does
/// (INT and DOUBLE with the standard library's parsers, the rest checked as UTF-8): the same
/// work on the same protocol, to compare the two clients like with like. `Mode::Prepared`:
/// bulk and roundtrip run a statement prepared before the clock starts (binary rows, the same
/// typed getters), like `raw-ps`.
macro_rules! mywire_client {
    ($name:ident, $session:path, [$($aw:tt)*], $($kw:tt)*) => {
        #[allow(clippy::drop_non_drop)]
        pub $($kw)* fn $name(w: &str, p: &Params, mode: Mode) -> Res<Measured> {
            let std_parse = mode == Mode::Std;
            use mywire::codec::value::{DateTime, Decimal};
            use mywire::Options;
            use $session as Session;
            let mut url = p.url.clone();
            if w == "blob" {
                url.push_str("?max-packet=268435456");
            }
            let opts = Options::from_url(&url)?;
            if w == "connect" {
                let tm = Timer::start();
                for _ in 0..p.connects {
                    Session::connect(opts.clone())$($aw)*?.close()$($aw)*?;
                }
                return Ok(tm.stop(0, format!("connects={}", p.connects)));
            }
            let mut s = Session::connect(opts)$($aw)*?;
            let m = match w {
                "bulk" | "bulk1k" => {
                    let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
                    let st = match mode {
                        Mode::Prepared => Some(s.prepare(sql)$($aw)*?),
                        _ => None,
                    };
                    let tm = Timer::start();
                    let (mut rows, mut sum, mut bytes) = (0u64, 0i64, 0usize);
                    let mut rs = match &st {
                        Some(st) => s.execute(st, &[])$($aw)*?,
                        None => s.query(sql)$($aw)*?,
                    };
                    if std_parse {
                        let mut score_sum = 0f64;
                        while let Some(row) = rs.next_row()$($aw)*? {
                            let text = |i| row.bytes(i).and_then(|b| std::str::from_utf8(b).ok());
                            let id: i32 = text(0).and_then(|s| s.parse().ok()).unwrap_or(i32::MIN);
                            let name = text(1).unwrap_or("");
                            let amount = text(2).unwrap_or("");
                            let created = text(3).unwrap_or("");
                            let score: f64 =
                                text(4).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
                            let note = text(5);
                            rows += 1;
                            sum += i64::from(id);
                            bytes += name.len()
                                + amount.len()
                                + created.len()
                                + note.map_or(0, str::len);
                            score_sum += score;
                        }
                        std::hint::black_box((bytes, score_sum));
                        drop(rs);
                        let m = tm.stop(0, bulk_check(rows, sum));
                        s.close()$($aw)*?;
                        return Ok(m);
                    }
                    while let Some(row) = rs.next_row()$($aw)*? {
                        let id: i32 = row.get(0)?.ok_or("null id")?;
                        let name: &str = row.get(1)?.ok_or("null name")?;
                        let amount: Decimal = row.get(2)?.ok_or("null amount")?;
                        let created: DateTime = row.get(3)?.ok_or("null created")?;
                        let score: f64 = row.get(4)?.ok_or("null score")?;
                        let note: Option<&str> = row.get(5)?;
                        rows += 1;
                        sum += i64::from(id);
                        bytes += name.len()
                            + amount.as_str().len()
                            + usize::from(created.second())
                            + note.map_or(0, str::len);
                        std::hint::black_box(score);
                    }
                    std::hint::black_box(bytes);
                    tm.stop(0, bulk_check(rows, sum))
                }
                "roundtrip" => {
                    let st = match mode {
                        Mode::Prepared => Some(s.prepare("SELECT 1")$($aw)*?),
                        _ => None,
                    };
                    let tm = Timer::start();
                    let mut sum = 0i64;
                    for _ in 0..p.n {
                        let mut rs = match &st {
                            Some(st) => s.execute(st, &[])$($aw)*?,
                            None => s.query("SELECT 1")$($aw)*?,
                        };
                        while let Some(row) = rs.next_row()$($aw)*? {
                            sum += row.get::<i64>(0)?.unwrap_or(0);
                        }
                    }
                    tm.stop(0, format!("n={sum}"))
                }
                "ping" => {
                    let tm = Timer::start();
                    for _ in 0..p.n {
                        s.ping()$($aw)*?;
                    }
                    tm.stop(0, format!("n={}", p.n))
                }
                "blob" => {
                    let base = measure::rss_kb();
                    let tm = Timer::start();
                    let q = blob_insert_sql(p.blob);
                    s.query_drop(&q)$($aw)*?;
                    drop(q);
                    let mut rs = s.query(BLOB_READ_SQL)$($aw)*?;
                    let mut check = String::new();
                    while let Some(row) = rs.next_row()$($aw)*? {
                        check = blob_check(row.bytes(0).ok_or("null blob")?);
                    }
                    tm.stop(base, check)
                }
                _ => return Err(format!("{}: no workload {w}", stringify!($name)).into()),
            };
            s.close()$($aw)*?;
            Ok(m)
        }
    };
}

mywire_client!(mywire_common, mywire::Session, [.await], async);
mywire_client!(mywire_sync, mywire::session::blocking::Session, [],);

/// How a mywire client decodes (see [`mywire_client`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Typed,
    Std,
    Prepared,
}

pub async fn mywire(w: &str, p: &Params, mode: Mode) -> Res<Measured> {
    if w != "pipeline" {
        return mywire_common(w, p, mode).await;
    }
    let mut s = mywire::Session::connect(mywire::Options::from_url(&p.url)?).await?;
    let tm = Timer::start();
    let mut sum = 0i64;
    let mut pl = s.pipeline(std::iter::repeat_n("SELECT 1", p.n)).await?;
    while let Some(r) = pl.next().await {
        let mut r = r?;
        while let Some(row) = r.next_row().await? {
            sum += row.get::<i64>(0)?.unwrap_or(0);
        }
    }
    drop(pl);
    let m = tm.stop(0, format!("n={sum}"));
    s.close().await?;
    Ok(m)
}

// ---- zero-mysql (tokio, text protocol) ----------------------------------------------------

mod zm {
    use zero_mysql::error::Result;
    use zero_mysql::protocol::command::ColumnDefinition;
    use zero_mysql::protocol::primitive::read_string_lenenc;
    use zero_mysql::protocol::r#trait::TextResultSetHandler;
    use zero_mysql::protocol::response::OkPayloadBytes;
    use zero_mysql::protocol::TextRowPayload;

    /// Splits each text row into its cells with zero-mysql's lenenc reader and decodes them
    /// with the standard library (zero-mysql offers no typed decoding of text rows): INT and
    /// DOUBLE parsed, the other columns checked as UTF-8 text.
    #[derive(Default)]
    pub struct Bulk {
        pub rows: u64,
        pub sum: i64,
        pub bytes: usize,
        pub score: f64,
    }

    fn cells<'a>(mut b: &'a [u8], out: &mut [Option<&'a [u8]>]) -> Result<()> {
        for c in out.iter_mut() {
            if b.first() == Some(&0xFB) {
                *c = None;
                b = &b[1..];
            } else {
                let (v, rest) = read_string_lenenc(b)?;
                *c = Some(v);
                b = rest;
            }
        }
        Ok(())
    }

    fn text(b: Option<&[u8]>) -> Option<&str> {
        b.and_then(|b| std::str::from_utf8(b).ok())
    }

    impl TextResultSetHandler for Bulk {
        fn no_result_set(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
        fn resultset_start(&mut self, _: &[ColumnDefinition<'_>]) -> Result<()> {
            Ok(())
        }
        fn row(&mut self, _: &[ColumnDefinition<'_>], row: TextRowPayload<'_>) -> Result<()> {
            let mut c = [None; 6];
            cells(row.0, &mut c)?;
            let id: i32 = text(c[0]).and_then(|s| s.parse().ok()).unwrap_or(i32::MIN);
            let name = text(c[1]).unwrap_or("");
            let amount = text(c[2]).unwrap_or("");
            let created = text(c[3]).unwrap_or("");
            let score: f64 = text(c[4]).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
            let note = text(c[5]);
            self.rows += 1;
            self.sum += i64::from(id);
            self.bytes += name.len() + amount.len() + created.len() + note.map_or(0, str::len);
            self.score += score;
            Ok(())
        }
        fn resultset_end(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
    }

    /// First cell of each row as i64 (SELECT 1) or its length (the blob).
    #[derive(Default)]
    pub struct First {
        pub sum: i64,
        pub blob: Option<(usize, bool)>,
        pub want_blob: bool,
    }

    impl TextResultSetHandler for First {
        fn no_result_set(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
        fn resultset_start(&mut self, _: &[ColumnDefinition<'_>]) -> Result<()> {
            Ok(())
        }
        fn row(&mut self, _: &[ColumnDefinition<'_>], row: TextRowPayload<'_>) -> Result<()> {
            let mut c = [None; 1];
            cells(row.0, &mut c)?;
            if self.want_blob {
                let b = c[0].unwrap_or(&[]);
                let ok = b.len() > 1000
                    && (0..b.len())
                        .step_by(4099)
                        .all(|i| b[i] == super::blob_byte(i));
                self.blob = Some((b.len(), ok));
            } else {
                self.sum += text(c[0]).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
            }
            Ok(())
        }
        fn resultset_end(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
    }
}

macro_rules! zero_mysql_client {
    ($name:ident, $conn:path, [$($aw:tt)*], $($kw:tt)*) => {
pub $($kw)* fn $name(w: &str, p: &Params) -> Res<Measured> {
    use $conn as Conn;
    use zero_mysql::Opts;
    let mut opts = Opts::try_from(p.url.as_str())?;
    // Stay on TCP like every other client (its default reconnects to the Unix socket).
    opts.upgrade_to_unix_socket = false;
    if w == "connect" {
        let tm = Timer::start();
        for _ in 0..p.connects {
            // zero-mysql has no explicit close: dropping the connection closes the socket.
            drop(Conn::new(opts.clone())$($aw)*?);
        }
        return Ok(tm.stop(0, format!("connects={}", p.connects)));
    }
    let mut c = Conn::new(opts)$($aw)*?;
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            let tm = Timer::start();
            let mut h = zm::Bulk::default();
            c.query(sql, &mut h)$($aw)*?;
            std::hint::black_box((h.bytes, h.score));
            tm.stop(0, bulk_check(h.rows, h.sum))
        }
        "roundtrip" => {
            let tm = Timer::start();
            let mut h = zm::First::default();
            for _ in 0..p.n {
                c.query("SELECT 1", &mut h)$($aw)*?;
            }
            tm.stop(0, format!("n={}", h.sum))
        }
        "ping" => {
            let tm = Timer::start();
            for _ in 0..p.n {
                c.ping()$($aw)*?;
            }
            tm.stop(0, format!("n={}", p.n))
        }
        "blob" => {
            let base = measure::rss_kb();
            let tm = Timer::start();
            let q = blob_insert_sql(p.blob);
            c.query_drop(&q)$($aw)*?;
            drop(q);
            let mut h = zm::First {
                want_blob: true,
                ..Default::default()
            };
            c.query(BLOB_READ_SQL, &mut h)$($aw)*?;
            let (len, ok) = h.blob.unwrap_or((0, false));
            tm.stop(
                base,
                format!("blob_len={len} pattern={}", if ok { "ok" } else { "BAD" }),
            )
        }
        _ => return Err(format!("{}: no workload {w}", stringify!($name)).into()),
    };
    drop(c);
    Ok(m)
}
    };
}

// zero-mysql on tokio and its blocking API, from one body.
zero_mysql_client!(zero_mysql, zero_mysql::tokio::Conn, [.await], async);
zero_mysql_client!(zero_mysql_sync, zero_mysql::sync::Conn, [],);

// ---- mysql_async (text protocol) ----------------------------------------------------------

pub async fn mysql_async(w: &str, p: &Params) -> Res<Measured> {
    use chrono::NaiveDateTime;
    use mysql_async::prelude::*;
    use mysql_async::{Conn, Opts, OptsBuilder};
    use rust_decimal::Decimal;
    let opts: Opts = OptsBuilder::from_opts(Opts::from_url(&p.url)?)
        .prefer_socket(false)
        .into();
    if w == "connect" {
        let tm = Timer::start();
        for _ in 0..p.connects {
            Conn::new(opts.clone()).await?.disconnect().await?;
        }
        return Ok(tm.stop(0, format!("connects={}", p.connects)));
    }
    let mut c = Conn::new(opts).await?;
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            let tm = Timer::start();
            let (mut rows, mut sum, mut bytes) = (0u64, 0i64, 0usize);
            let mut r = c.query_iter(sql).await?;
            r.for_each(|row| {
                let (id, name, amount, created, score, note): (
                    i32,
                    String,
                    Decimal,
                    NaiveDateTime,
                    f64,
                    Option<String>,
                ) = mysql_async::from_row(row);
                rows += 1;
                sum += i64::from(id);
                bytes += name.len()
                    + amount.scale() as usize
                    + created.and_utc().timestamp_subsec_micros() as usize
                    + note.map_or(0, |n| n.len());
                std::hint::black_box(score);
            })
            .await?;
            drop(r);
            std::hint::black_box(bytes);
            tm.stop(0, bulk_check(rows, sum))
        }
        "roundtrip" => {
            let tm = Timer::start();
            let mut sum = 0i64;
            for _ in 0..p.n {
                sum += c.query_first::<i64, _>("SELECT 1").await?.unwrap_or(0);
            }
            tm.stop(0, format!("n={sum}"))
        }
        "ping" => {
            let tm = Timer::start();
            for _ in 0..p.n {
                c.ping().await?;
            }
            tm.stop(0, format!("n={}", p.n))
        }
        "blob" => {
            let base = measure::rss_kb();
            let tm = Timer::start();
            let q = blob_insert_sql(p.blob);
            c.query_drop(q).await?;
            let b: Vec<u8> = c.query_first(BLOB_READ_SQL).await?.ok_or("no blob row")?;
            tm.stop(base, blob_check(&b))
        }
        _ => return Err(format!("mysql_async: no workload {w}").into()),
    };
    c.disconnect().await?;
    Ok(m)
}

// ---- sqlx (prepared statements, binary protocol; `sqlx-text`: raw_sql, text protocol) ------

pub async fn sqlx(w: &str, p: &Params, text: bool) -> Res<Measured> {
    use chrono::NaiveDateTime;
    use futures_util::TryStreamExt;
    use rust_decimal::Decimal;
    use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow, MySqlSslMode};
    use sqlx::{Connection, Row};
    use std::str::FromStr;
    let opts = MySqlConnectOptions::from_str(&p.url)?.ssl_mode(MySqlSslMode::Disabled);
    if w == "connect" {
        let tm = Timer::start();
        for _ in 0..p.connects {
            MySqlConnection::connect_with(&opts).await?.close().await?;
        }
        return Ok(tm.stop(0, format!("connects={}", p.connects)));
    }
    let mut c = MySqlConnection::connect_with(&opts).await?;
    fn touch(row: &MySqlRow, rows: &mut u64, sum: &mut i64, bytes: &mut usize) -> Res<()> {
        let id: i32 = row.try_get(0)?;
        let name: &str = row.try_get(1)?;
        let amount: Decimal = row.try_get(2)?;
        let created: NaiveDateTime = row.try_get(3)?;
        let score: f64 = row.try_get(4)?;
        let note: Option<&str> = row.try_get(5)?;
        *rows += 1;
        *sum += i64::from(id);
        *bytes += name.len()
            + amount.scale() as usize
            + created.and_utc().timestamp_subsec_micros() as usize
            + note.map_or(0, str::len);
        std::hint::black_box(score);
        Ok(())
    }
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            let tm = Timer::start();
            let (mut rows, mut sum, mut bytes) = (0u64, 0i64, 0usize);
            if text {
                let mut st = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch(&mut c);
                while let Some(row) = st.try_next().await? {
                    touch(&row, &mut rows, &mut sum, &mut bytes)?;
                }
            } else {
                let mut st = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut c);
                while let Some(row) = st.try_next().await? {
                    touch(&row, &mut rows, &mut sum, &mut bytes)?;
                }
            }
            std::hint::black_box(bytes);
            tm.stop(0, bulk_check(rows, sum))
        }
        "roundtrip" => {
            let tm = Timer::start();
            let mut sum = 0i64;
            for _ in 0..p.n {
                let row = if text {
                    sqlx::raw_sql("SELECT 1").fetch_one(&mut c).await?
                } else {
                    sqlx::query("SELECT 1").fetch_one(&mut c).await?
                };
                sum += row.try_get::<i64, _>(0)?;
            }
            tm.stop(0, format!("n={sum}"))
        }
        "ping" => {
            let tm = Timer::start();
            for _ in 0..p.n {
                c.ping().await?;
            }
            tm.stop(0, format!("n={}", p.n))
        }
        "blob" => {
            let base = measure::rss_kb();
            let tm = Timer::start();
            if text {
                let q = blob_insert_sql(p.blob);
                sqlx::raw_sql(sqlx::AssertSqlSafe(q))
                    .execute(&mut c)
                    .await?;
                let row = sqlx::raw_sql(BLOB_READ_SQL).fetch_one(&mut c).await?;
                let b: &[u8] = row.try_get(0)?;
                tm.stop(base, blob_check(b))
            } else {
                let payload = blob_payload(p.blob);
                sqlx::query("REPLACE INTO blobt VALUES (1, ?)")
                    .bind(&payload[..])
                    .execute(&mut c)
                    .await?;
                drop(payload);
                let row = sqlx::query(BLOB_READ_SQL).fetch_one(&mut c).await?;
                let b: &[u8] = row.try_get(0)?;
                tm.stop(base, blob_check(b))
            }
        }
        _ => return Err(format!("sqlx: no workload {w}").into()),
    };
    c.close().await?;
    Ok(m)
}
