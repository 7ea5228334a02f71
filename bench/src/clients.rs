//! One function per (client, workload): the raw baselines and mywire here, the peers in
//! `peers.rs` and `peers_ps.rs`, the insert clients in `insert.rs`. Each connects (untimed
//! unless the workload is `connect`), then runs the workload between `Timer::start` and
//! `Timer::stop`, and returns a check string that the parent compares across clients.

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
    /// Rows of the `insert` workload.
    pub insert_rows: usize,
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
pub fn blob_byte(i: usize) -> u8 {
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

pub fn blob_check(b: &[u8]) -> String {
    let ok = b.len() > 1000 && (0..b.len()).step_by(4099).all(|i| b[i] == blob_byte(i));
    format!(
        "blob_len={} pattern={}",
        b.len(),
        if ok { "ok" } else { "BAD" }
    )
}

pub fn bulk_check(rows: u64, sum_id: i64) -> String {
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
