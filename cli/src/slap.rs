//! `mywire slap`: a load generator in the spirit of `mariadb-slap`. `--concurrency` clients
//! share a [`mywire::pool::Pool`] and take query numbers 1..=M from one counter, so each
//! number is run once; each query is a pool acquire, the query with its result read and
//! dropped, and the release. At the end: throughput, latency percentiles (nearest rank) and
//! errors by kind ([`mywire::ErrorKind`]), as text or one JSON object.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mywire::pool::{Pool, PoolOptions, ResetMode};
use mywire::trace::digest::{render_json, render_text, Digest, DigestTracer};
use mywire::{Error, Options};

use crate::args::{SlapArgs, DEFAULT_URL};

/// One piece of a query template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `{n}`.
    Seq,
    /// `{rand}` (0..2^31) or `{rand:A:B}` (A..=B).
    Rand(i64, i64),
}

/// Parses `{n}`, `{rand}` and `{rand:A:B}`; `{{` and `}}` are literal braces.
fn template(sql: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            text.push(c);
            rest = rest.get(2..).unwrap_or("");
            continue;
        }
        if c != '{' {
            text.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
            continue;
        }
        let Some(end) = rest.find('}') else {
            return Err(format!("unclosed `{{` in the query: {sql}"));
        };
        let name = rest.get(1..end).unwrap_or("");
        let part = match name.split(':').collect::<Vec<_>>().as_slice() {
            ["n"] => Part::Seq,
            ["rand"] => Part::Rand(0, i64::from(i32::MAX)),
            ["rand", a, b] => {
                let (Ok(a), Ok(b)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>()) else {
                    return Err(format!("`{{{name}}}`: bounds must be integers"));
                };
                if a > b {
                    return Err(format!("`{{{name}}}`: the lower bound is above the upper"));
                }
                Part::Rand(a, b)
            }
            _ => {
                return Err(format!(
                    "unknown placeholder `{{{name}}}` (known: {{n}}, {{rand}}, {{rand:A:B}}; \
                     `{{{{` for a brace)"
                ))
            }
        };
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(part);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// A small xorshift64* generator (load values need no cryptographic randomness).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn between(&mut self, a: i64, b: i64) -> i64 {
        let span = b.abs_diff(a).saturating_add(1);
        let off = if span == 0 {
            self.next()
        } else {
            self.next() % span
        };
        a.wrapping_add_unsigned(off)
    }
}

fn render(parts: &[Part], n: u64, rng: &mut Rng) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Seq => out.push_str(&n.to_string()),
            Part::Rand(a, b) => out.push_str(&rng.between(*a, *b).to_string()),
        }
    }
    out
}

/// `CamelCase` to `snake_case`, for error kinds in the report.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn kind_name(e: &Error) -> String {
    snake(&format!("{:?}", e.kind()))
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
    ok: Vec<u64>,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    // ceil(q * n) as a 1-based rank; n is far below 2^52, so the float is exact enough.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).copied().unwrap_or(0)
}

fn load_queries(a: &SlapArgs) -> Result<Vec<Vec<Part>>, String> {
    let lines: Vec<String> = match (&a.sql, &a.query_file) {
        (Some(sql), _) => vec![sql.clone()],
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with('#'))
            .map(String::from)
            .collect(),
        (None, None) => return Err("give the query with -e SQL or --query-file FILE".into()),
    };
    if lines.is_empty() {
        return Err("the query file has no query".into());
    }
    lines.iter().map(|l| template(l)).collect()
}

/// Runs `mywire slap`; the exit status: 0 when every query ran (errors are reported, not
/// fatal), 1 when none succeeded, 2 for bad arguments.
pub fn slap(a: &SlapArgs) -> u8 {
    let queries = match load_queries(a) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("mywire slap: {e}");
            return 2;
        }
    };
    let url = a
        .url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_URL.into());
    let opts = match Options::from_url(&url) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mywire slap: {e}");
            return 2;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mywire slap: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(run(a, opts, Arc::new(queries)))
}

async fn run(a: &SlapArgs, opts: Options, queries: Arc<Vec<Vec<Part>>>) -> u8 {
    let size = a.connections.unwrap_or(a.concurrency);
    let popts = PoolOptions::with_max_size(usize::try_from(size).unwrap_or(1)).reset(if a.reset {
        ResetMode::Reset
    } else {
        ResetMode::None
    });
    let pool = match Pool::new(opts, popts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mywire slap: {e}");
            return 2;
        }
    };
    let digest = a.digest.then(|| Arc::new(Mutex::new(Digest::new(10_000))));
    let traced: Arc<Mutex<HashSet<u32>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(1));
    let done = Arc::new(AtomicU64::new(0));
    let total = a.queries;
    let start = Instant::now();
    let seed = u64::try_from(start.elapsed().as_nanos()).unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
    let mut tasks = Vec::new();
    for c in 0..a.concurrency {
        let (pool, queries, next, done) = (
            pool.clone(),
            Arc::clone(&queries),
            Arc::clone(&next),
            Arc::clone(&done),
        );
        let (digest, traced) = (digest.clone(), Arc::clone(&traced));
        let mut rng = Rng::new(seed ^ u64::from(c).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n > total {
                    break;
                }
                let len = u64::try_from(queries.len()).unwrap_or(1).max(1);
                let idx = usize::try_from((n - 1) % len).unwrap_or(0);
                let sql = queries
                    .get(idx)
                    .map_or_else(String::new, |p| render(p, n, &mut rng));
                let t0 = Instant::now();
                let r = async {
                    let mut s = pool.get().await?;
                    if let Some(d) = &digest {
                        let fresh = traced
                            .lock()
                            .map(|mut ids| ids.insert(s.connection_id()))
                            .unwrap_or(false);
                        if fresh {
                            let t = DigestTracer::attached(
                                Arc::clone(d),
                                s.capabilities(),
                                s.engine().mariadb_capabilities(),
                            );
                            s.set_tracer(Some(Box::new(t)));
                        }
                    }
                    s.query_drop(&sql).await
                }
                .await;
                let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                match r {
                    Ok(_) => {
                        t.latencies_us.push(us);
                        t.ok.push(n);
                    }
                    Err(e) => *t.errors.entry(kind_name(&e)).or_insert(0) += 1,
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            t
        }));
    }
    let progress = (!a.quiet && !a.json && std::io::stderr().is_terminal()).then(|| {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let d = done.load(Ordering::Relaxed);
                let secs = start.elapsed().as_secs_f64();
                #[allow(clippy::cast_precision_loss)]
                let qps = d as f64 / secs.max(1e-9);
                eprint!("\r{d}/{total} queries, {qps:.0} q/s   ");
            }
        })
    });
    let mut all = Tally::default();
    for t in tasks {
        match t.await {
            Ok(mut t) => {
                all.latencies_us.append(&mut t.latencies_us);
                all.ok.append(&mut t.ok);
                for (k, v) in t.errors {
                    *all.errors.entry(k).or_insert(0) += v;
                }
            }
            Err(e) => *all.errors.entry(format!("client_task: {e}")).or_insert(0) += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if let Some(p) = progress {
        p.abort();
        eprintln!();
    }
    pool.close().await;
    report(a, &mut all, total, secs, digest.as_deref())
}

fn report(
    a: &SlapArgs,
    all: &mut Tally,
    total: u64,
    secs: f64,
    digest: Option<&Mutex<Digest>>,
) -> u8 {
    all.latencies_us.sort_unstable();
    all.ok.sort_unstable();
    let ok = u64::try_from(all.ok.len()).unwrap_or(u64::MAX);
    let failed: u64 = all.errors.values().sum();
    let l = &all.latencies_us;
    let (p50, p95, p99) = (
        percentile(l, 0.50),
        percentile(l, 0.95),
        percentile(l, 0.99),
    );
    let max = l.last().copied().unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let qps = ok as f64 / secs.max(1e-9);
    let mut out = String::new();
    if a.json {
        let errors: Vec<String> = all
            .errors
            .iter()
            .map(|(k, v)| {
                let mut key = Vec::new();
                let _ = crate::json::write_string(&mut key, k.as_bytes());
                format!("{}:{v}", String::from_utf8_lossy(&key))
            })
            .collect();
        out.push_str(&format!(
            "{{\"queries\":{total},\"ok\":{ok},\"errors\":{{{}}},\"seconds\":{secs:.6},\"qps\":{qps:.1},\
             \"latency_us\":{{\"p50\":{p50},\"p95\":{p95},\"p99\":{p99},\"max\":{max}}}}}\n",
            errors.join(",")
        ));
    } else {
        let errors = if all.errors.is_empty() {
            "0".to_string()
        } else {
            let kinds: Vec<String> = all
                .errors
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            format!("{failed} ({})", kinds.join(", "))
        };
        out.push_str(&format!(
            "queries: {total}  ok: {ok}  errors: {errors}\n\
             seconds: {secs:.3}  qps: {qps:.1}\n\
             latency: p50 {p50}us  p95 {p95}us  p99 {p99}us  max {max}us\n"
        ));
    }
    if let Some(d) = digest {
        let d = d.lock().unwrap_or_else(|e| e.into_inner());
        let rows = d.rows();
        if a.json {
            for r in &rows {
                out.push_str(&render_json(r));
                out.push('\n');
            }
        } else {
            out.push_str(&render_text(&rows, d.dropped()));
        }
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return 1;
    }
    if let Some(f) = &a.ok_log {
        let lines: String = all.ok.iter().map(|n| format!("{n}\n")).collect();
        if let Err(e) = std::fs::write(f, lines) {
            eprintln!("mywire slap: {}: {e}", f.display());
            return 1;
        }
    }
    if ok == 0 && failed > 0 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_placeholders_and_braces() {
        assert_eq!(
            template("INSERT INTO t VALUES ({n}, {rand:5:7}, '{{x}}')").unwrap(),
            vec![
                Part::Text("INSERT INTO t VALUES (".into()),
                Part::Seq,
                Part::Text(", ".into()),
                Part::Rand(5, 7),
                Part::Text(", '{x}')".into()),
            ]
        );
        assert!(template("SELECT {nope}")
            .unwrap_err()
            .contains("unknown placeholder"));
        assert!(template("SELECT {rand:9:1}").is_err());
        assert!(template("SELECT {n").is_err());
        let mut rng = Rng::new(7);
        let p = template("{rand:-2:2}").unwrap();
        for _ in 0..200 {
            let v: i64 = render(&p, 1, &mut rng).parse().unwrap();
            assert!((-2..=2).contains(&v));
        }
        assert_eq!(render(&template("x{n}").unwrap(), 42, &mut rng), "x42");
        let full = template("{rand:-9223372036854775808:9223372036854775807}").unwrap();
        render(&full, 1, &mut rng).parse::<i64>().unwrap();
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.50), 50);
        assert_eq!(percentile(&v, 0.95), 95);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(snake("NodeNotReady"), "node_not_ready");
    }
}
