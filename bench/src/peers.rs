//! The peers' text-protocol clients (zero-mysql on tokio and blocking, mysql_async) and sqlx
//! (prepared by default, `raw_sql` for `sqlx-text`), one function per client; see
//! `clients.rs` for the conventions.

use crate::clients::{
    blob_check, blob_insert_sql, blob_payload, bulk_check, Measured, Params, Res, Timer,
    BLOB_READ_SQL, BULK_1K_SQL, BULK_SQL,
};
use crate::measure;

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
                        .all(|i| b[i] == crate::clients::blob_byte(i));
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
