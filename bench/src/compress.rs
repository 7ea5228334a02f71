//! The compression case set: `zbulk` (the bulk SELECT of `t`, text protocol, every cell typed
//! as in `bulk`) and `zinsert` (the `insert` rows through one batch: COM_STMT_BULK_EXECUTE),
//! each for mywire uncompressed and with zlib (async and blocking) and mysql_async
//! uncompressed and with zlib (`OptsBuilder::compression(Compression::default())`, level 6,
//! the level mywire's zlib uses by default).
//!
//! Bytes on the wire are the server's own count for the connection: `SHOW SESSION STATUS LIKE
//! 'Bytes_%'` on the measured connection, untimed, three times: twice before the workload and
//! once after. MariaDB counts `Bytes_sent` after compression, as written to the socket, and
//! `Bytes_received` as read from it (sql/net_serv.cc, `net_real_write` / `my_real_read`). The
//! first two readings give what one reading itself adds (its result, sent after the values are
//! taken, and the next reading's query), which is taken off the third delta. For the mywire
//! clients with compression, its own `compression_stats()` around the timed part is reported
//! too (wire and plain bytes both ways), as a cross-check of the server's figures.
//!
//! The byte counts follow the check after ` | ` (`s2c=` server to client, `c2s=` client to
//! server, `z=` the negotiated algorithm, `zin=`/`zout=` mywire's wire bytes received/sent,
//! `pin=`/`pout=` the plain bytes they carried), so the child protocol is unchanged.

use std::fmt::Write as _;

use crate::clients::{bulk_check, Measured, Params, Res, Timer, BULK_SQL};
use crate::insert::{mywire_datetime, rows, Admin, INSERT_SQL};
use crate::stats::{fmt_dur, med, median_u64, Key, Sample};

/// The clients of `zbulk` and `zinsert`.
pub const CLIENTS: &[&str] = &[
    "mywire",
    "mywire-zlib",
    "mywire-sync",
    "mywire-sync-zlib",
    "mysql_async",
    "mysql_async-zlib",
];
pub const WORKLOADS: &[&str] = &["zbulk", "zinsert"];

pub fn is_compression(w: &str) -> bool {
    WORKLOADS.contains(&w)
}

pub fn protocol(c: &str, w: &str) -> &'static str {
    let z = c.ends_with("-zlib");
    match (w, z) {
        ("zbulk", false) => "text; every cell typed; uncompressed",
        ("zbulk", true) => "text; every cell typed; zlib",
        (_, false) => "exec_batch: COM_STMT_BULK_EXECUTE; uncompressed",
        (_, true) => "exec_batch: COM_STMT_BULK_EXECUTE; zlib",
    }
}

/// Runs a (client, workload) of this set in the child.
pub fn run(rt: &tokio::runtime::Runtime, client: &str, w: &str, p: &Params) -> Res<Measured> {
    let (base, zlib) = match client.strip_suffix("-zlib") {
        Some(b) => (b, true),
        None => (client, false),
    };
    match base {
        "mywire" => rt.block_on(mywire(w, p, zlib)),
        "mywire-sync" => mywire_sync(w, p, zlib),
        "mysql_async" => rt.block_on(mysql_async(w, p, zlib)),
        c => Err(format!("{c}: not a client of {w}").into()),
    }
}

/// Server-side byte counters (Bytes_sent, Bytes_received) of one session, read three times.
#[derive(Default)]
struct Counters {
    before: [(u64, u64); 2],
}

impl Counters {
    /// `s2c=… c2s=…`: the deltas from the second reading to `after`, less what one reading adds.
    fn line(&self, after: (u64, u64)) -> String {
        let [b0, b1] = self.before;
        let d = |a: u64, b: u64, x0: u64| a.saturating_sub(b).saturating_sub(b.saturating_sub(x0));
        format!(
            "s2c={} c2s={}",
            d(after.0, b1.0, b0.0),
            d(after.1, b1.1, b0.1)
        )
    }
}

/// Appends mywire's own counts (`None`: uncompressed).
fn stats_line(
    alg: Option<mywire::Compression>,
    a: Option<mywire::proto::CompressionStats>,
    b: Option<mywire::proto::CompressionStats>,
) -> String {
    let mut s = format!(" z={}", alg.map_or("off", |a| a.as_str()));
    if let (Some(a), Some(b)) = (a, b) {
        let _ = write!(
            s,
            " zin={} pin={} zout={} pout={}",
            b.wire_received.saturating_sub(a.wire_received),
            b.plain_received.saturating_sub(a.plain_received),
            b.wire_sent.saturating_sub(a.wire_sent),
            b.plain_sent.saturating_sub(a.plain_sent)
        );
    }
    s
}

fn with_param(url: &str, kv: &str) -> String {
    format!("{url}{}{kv}", if url.contains('?') { '&' } else { '?' })
}

/// `SHOW SESSION STATUS LIKE 'Bytes_%'` on a mywire session: (Bytes_sent, Bytes_received).
macro_rules! session_bytes {
    ($s:expr, [$($aw:tt)*]) => {{
        let (mut sent, mut recv) = (0u64, 0u64);
        let mut rs = $s.query("SHOW SESSION STATUS LIKE 'Bytes_%'")$($aw)*?;
        while let Some(row) = rs.next_row()$($aw)*? {
            let v = row
                .bytes(1)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
            match row.bytes(0) {
                Some(b"Bytes_sent") => sent = v,
                Some(b"Bytes_received") => recv = v,
                _ => {}
            }
        }
        drop(rs);
        (sent, recv)
    }};
}

/// One body for mywire's async and blocking sessions (`$aw` is `.await` or nothing).
macro_rules! mywire_z {
    ($name:ident, $session:path, [$($aw:tt)*], $($kw:tt)*) => {
        #[allow(clippy::drop_non_drop)]
        pub $($kw)* fn $name(w: &str, p: &Params, zlib: bool) -> Res<Measured> {
            use mywire::codec::value::{DateTime, Decimal};
            use mywire::ToParam;
            use $session as Session;
            let url = if zlib { with_param(&p.url, "compress=zlib") } else { p.url.clone() };
            let mut s = Session::connect(mywire::Options::from_url(&url)?)$($aw)*?;
            let alg = s.compression();
            if zlib && alg.is_none() {
                return Err("compress=zlib: the server did not agree to compression".into());
            }
            let mut c = Counters::default();
            match w {
                "zbulk" => {
                    c.before[0] = session_bytes!(s, [$($aw)*]);
                    c.before[1] = session_bytes!(s, [$($aw)*]);
                    let z0 = s.compression_stats();
                    let tm = Timer::start();
                    let (mut rows, mut sum, mut bytes) = (0u64, 0i64, 0usize);
                    let mut rs = s.query(BULK_SQL)$($aw)*?;
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
                    drop(rs);
                    std::hint::black_box(bytes);
                    let mut m = tm.stop(0, bulk_check(rows, sum));
                    let z1 = s.compression_stats();
                    let after = session_bytes!(s, [$($aw)*]);
                    let _ = write!(m.check, " | {}{}", c.line(after), stats_line(alg, z0, z1));
                    s.close()$($aw)*?;
                    Ok(m)
                }
                "zinsert" => {
                    let n = p.insert_rows;
                    let data = rows(n);
                    let times: Vec<_> = data.iter().map(|r| mywire_datetime(&r.created)).collect();
                    let refs: Vec<[&dyn ToParam; 5]> = data
                        .iter()
                        .zip(&times)
                        .map(|(r, t)| -> [&dyn ToParam; 5] { [&r.id, &r.k, &r.name, &r.score, t] })
                        .collect();
                    let st = s.prepare(INSERT_SQL)$($aw)*?;
                    c.before[0] = session_bytes!(s, [$($aw)*]);
                    c.before[1] = session_bytes!(s, [$($aw)*]);
                    let admin = Admin::start(&p.url)?;
                    let z0 = s.compression_stats();
                    let tm = Timer::start();
                    let affected = s.exec_batch(&st, &refs)$($aw)*?.affected_rows;
                    let mut m = tm.stop(0, String::new());
                    let z1 = s.compression_stats();
                    m.check = admin.verify(n)?;
                    if affected != n as u64 {
                        m.check.insert_str(0, &format!("BAD affected={affected} "));
                    }
                    let after = session_bytes!(s, [$($aw)*]);
                    let _ = write!(m.check, " {}{}", c.line(after), stats_line(alg, z0, z1));
                    s.close_statement(st)$($aw)*?;
                    s.close()$($aw)*?;
                    Ok(m)
                }
                _ => Err(format!("{}: no workload {w}", stringify!($name)).into()),
            }
        }
    };
}

mywire_z!(mywire, mywire::Session, [.await], async);
mywire_z!(mywire_sync, mywire::session::blocking::Session, [],);

/// mysql_async, text protocol for `zbulk` (`query_iter` and `from_row`, as in `peers.rs`) and
/// `exec_batch` for `zinsert` (as in `insert.rs`).
pub async fn mysql_async(w: &str, p: &Params, zlib: bool) -> Res<Measured> {
    use chrono::NaiveDateTime;
    use mysql_async::prelude::*;
    use mysql_async::{Conn, Opts, OptsBuilder};
    use rust_decimal::Decimal;
    let mut b = OptsBuilder::from_opts(Opts::from_url(&p.url)?).prefer_socket(false);
    if zlib {
        b = b.compression(mysql_async::Compression::default());
    }
    let mut c = Conn::new(Opts::from(b)).await?;
    async fn bytes(c: &mut Conn) -> Res<(u64, u64)> {
        let v: Vec<(String, u64)> = c.query("SHOW SESSION STATUS LIKE 'Bytes_%'").await?;
        let get = |k: &str| v.iter().find(|(n, _)| n == k).map_or(0, |(_, x)| *x);
        Ok((get("Bytes_sent"), get("Bytes_received")))
    }
    let z = if zlib { " z=zlib(asked)" } else { " z=off" };
    let mut k = Counters::default();
    let m = match w {
        "zbulk" => {
            k.before[0] = bytes(&mut c).await?;
            k.before[1] = bytes(&mut c).await?;
            let tm = Timer::start();
            let (mut rows, mut sum, mut len) = (0u64, 0i64, 0usize);
            let mut r = c.query_iter(BULK_SQL).await?;
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
                len += name.len()
                    + amount.scale() as usize
                    + created.and_utc().timestamp_subsec_micros() as usize
                    + note.map_or(0, |n| n.len());
                std::hint::black_box(score);
            })
            .await?;
            drop(r);
            std::hint::black_box(len);
            let mut m = tm.stop(0, bulk_check(rows, sum));
            let after = bytes(&mut c).await?;
            let _ = write!(m.check, " | {}{z}", k.line(after));
            m
        }
        "zinsert" => {
            let n = p.insert_rows;
            let data = rows(n);
            let st = c.prep(INSERT_SQL).await?;
            k.before[0] = bytes(&mut c).await?;
            k.before[1] = bytes(&mut c).await?;
            let admin = Admin::start(&p.url)?;
            let tm = Timer::start();
            c.exec_batch(
                &st,
                data.iter()
                    .map(|r| (r.id, r.k, r.name.as_str(), r.score, r.created)),
            )
            .await?;
            let affected = c.affected_rows();
            let mut m = tm.stop(0, String::new());
            m.check = admin.verify(n)?;
            if affected != n as u64 {
                m.check.insert_str(0, &format!("BAD affected={affected} "));
            }
            let after = bytes(&mut c).await?;
            let _ = write!(m.check, " {}{z}", k.line(after));
            m
        }
        _ => return Err(format!("mysql_async: no workload {w}").into()),
    };
    c.disconnect().await?;
    Ok(m)
}

// ---- report ---------------------------------------------------------------------------------

/// The value of `key=` after ` | ` in a check string.
fn field(check: &str, key: &str) -> Option<u64> {
    let (_, rest) = check.split_once(" | ")?;
    rest.split_whitespace()
        .find_map(|t| t.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

fn median_field(v: &[Sample], key: &str) -> Option<u64> {
    let mut x: Vec<u64> = v.iter().filter_map(|s| field(&s.check, key)).collect();
    (!x.is_empty()).then(|| median_u64(&mut x))
}

fn mb(b: u64) -> String {
    if b < 100_000 {
        format!("{b} B")
    } else {
        format!("{:.2} MB", b as f64 / 1e6)
    }
}

/// The direction that carries the workload: server to client for `zbulk`, the other for
/// `zinsert`.
fn big(w: &str) -> &'static str {
    if w == "zbulk" {
        "s2c"
    } else {
        "c2s"
    }
}

/// The compression table of one mode: wall, CPU and bytes per client, then the ratios.
pub fn table(samples: &std::collections::BTreeMap<Key, Vec<Sample>>, pinned: bool) -> String {
    let get = |w: &str, c: &str| samples.get(&(pinned, w.to_string(), c.to_string()));
    if !WORKLOADS
        .iter()
        .any(|w| CLIENTS.iter().any(|c| get(w, c).is_some()))
    {
        return String::new();
    }
    let mut md = String::from(
        "Compression (medians; bytes from the server's `SHOW SESSION STATUS`, the same connection):\n\n\
         | workload | client | wall | wall min–max | client CPU | server CPU | server→client | client→server | bytes vs uncompressed | mywire's count: wire in / plain in, wire out / plain out |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for &w in WORKLOADS {
        for &c in CLIENTS {
            let (Some(v), Some(m)) = (get(w, c), med(samples, pinned, w, c)) else {
                continue;
            };
            let s2c = median_field(v, "s2c");
            let c2s = median_field(v, "c2s");
            let plain = c.strip_suffix("-zlib").and_then(|b| get(w, b));
            let vs = match (
                median_field(v, big(w)),
                plain.and_then(|p| median_field(p, big(w))),
            ) {
                (Some(a), Some(b)) => format!("{:.3}×", a as f64 / (b as f64).max(1.0)),
                _ => String::new(),
            };
            let walls = v.iter().map(|s| s.wall);
            let range = match (walls.clone().min(), walls.max()) {
                (Some(lo), Some(hi)) => format!("{}–{}", fmt_dur(lo), fmt_dur(hi)),
                _ => String::new(),
            };
            let own = match (
                median_field(v, "zin"),
                median_field(v, "pin"),
                median_field(v, "zout"),
                median_field(v, "pout"),
            ) {
                (Some(zi), Some(pi), Some(zo), Some(po)) => {
                    format!("{} / {}, {} / {}", mb(zi), mb(pi), mb(zo), mb(po))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "| {w} | {c} | {} | {range} | {} | {} | {} | {} | {vs} | {own} |",
                fmt_dur(m.wall),
                fmt_dur(m.cpu),
                m.srv_cpu.map(fmt_dur).unwrap_or_else(|| "-".into()),
                s2c.map(mb).unwrap_or_default(),
                c2s.map(mb).unwrap_or_default(),
            );
        }
    }
    md.push('\n');
    let x = |a: f64, b: f64| a / b.max(1e-9);
    for &w in WORKLOADS {
        for (a, b) in [
            ("mywire-zlib", "mywire"),
            ("mywire-sync-zlib", "mywire-sync"),
            ("mysql_async-zlib", "mysql_async"),
            ("mywire-zlib", "mysql_async-zlib"),
            ("mywire-sync-zlib", "mysql_async-zlib"),
        ] {
            let (Some(ma), Some(mb_)) = (med(samples, pinned, w, a), med(samples, pinned, w, b))
            else {
                continue;
            };
            let bytes = |k: &str| {
                let (Some(va), Some(vb)) = (get(w, a), get(w, b)) else {
                    return String::new();
                };
                match (median_field(va, k), median_field(vb, k)) {
                    (Some(p), Some(q)) if p.max(q) >= 100_000 => {
                        format!("{:.3}×", x(p as f64, q as f64))
                    }
                    (Some(p), Some(q)) => format!("{} vs {}", mb(p), mb(q)),
                    _ => "?".into(),
                }
            };
            let srv = match (ma.srv_cpu, mb_.srv_cpu) {
                (Some(p), Some(q)) => {
                    format!(", server CPU {:.2}×", x(p.as_secs_f64(), q.as_secs_f64()))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "- {w}: {a} / {b}: wall **{:.2}×**, client CPU **{:.2}×**{srv}, bytes server→client {}, client→server {}",
                x(ma.wall.as_secs_f64(), mb_.wall.as_secs_f64()),
                x(ma.cpu.as_secs_f64(), mb_.cpu.as_secs_f64()),
                bytes("s2c"),
                bytes("c2s"),
            );
        }
    }
    // The server's count against mywire's own, for the compressed mywire rows.
    for &w in WORKLOADS {
        for c in ["mywire-zlib", "mywire-sync-zlib"] {
            let Some(v) = get(w, c) else { continue };
            let gap = |a: &str, b: &str| {
                v.iter()
                    .filter_map(|s| Some(field(&s.check, a)?.abs_diff(field(&s.check, b)?)))
                    .max()
            };
            let (Some(i), Some(o)) = (gap("s2c", "zin"), gap("c2s", "zout")) else {
                continue;
            };
            let _ = writeln!(
                md,
                "- {w}, {c}: the server's Bytes_sent / Bytes_received deltas against mywire's own compressed bytes received / sent: at most {i} / {o} bytes apart over {} runs",
                v.len()
            );
        }
    }
    md.push('\n');
    md
}
