//! Query digests: requests grouped by [fingerprint](super::fingerprint), with counts, errors by
//! code, rows, bytes each way and server response times (total, p50, p95, p99, max).
//!
//! Memory is bounded: at most `max_fingerprints` groups are kept (requests of new
//! fingerprints beyond that are counted in [`Digest::dropped`]), and response times go into a
//! log-linear histogram per group (sparse: only the buckets hit are kept; 32 buckets per
//! power of two, so a percentile is within about 2 % of the exact one), not a list.

use std::collections::{BTreeMap, HashMap};

use super::fingerprint::fingerprint;

/// Longest example query kept per fingerprint (longer ones are cut, ending in `…`).
pub const MAX_EXAMPLE: usize = 4096;

/// One request and what its response said, as the decoder saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The SQL text (a COM_QUERY's, or a prepared statement's).
    pub sql: &'a str,
    /// Server response time in microseconds: from the request's last packet to the
    /// response's last packet.
    pub latency_us: u64,
    /// The server's error code, if the response was an ERR.
    pub error: Option<u16>,
    /// Rows sent (all result sets of the response).
    pub rows: u64,
    /// Bytes from the client (the request's packets, headers included).
    pub bytes_in: u64,
    /// Bytes to the client (the response's packets, headers included).
    pub bytes_out: u64,
}

/// Sub-buckets per power of two (a bucket is at most 1/32 of its value wide).
const SUB: u64 = 32;

/// The histogram bucket of `v`: exact below [`SUB`], then 32 per power of two.
fn bucket(v: u64) -> u16 {
    if v < SUB {
        return u16::try_from(v).unwrap_or(0);
    }
    let exp = 63 - v.leading_zeros(); // >= 5
    let shift = exp - 5;
    let mantissa = (v >> shift) - SUB; // 0..32
    u16::try_from(u64::from(exp - 4) * SUB + mantissa).unwrap_or(u16::MAX)
}

/// The middle of bucket `b` (its lowest value below [`SUB`]).
fn bucket_value(b: u16) -> u64 {
    let b = u64::from(b);
    if b < SUB {
        return b;
    }
    let exp = b / SUB + 4;
    let mantissa = b % SUB + SUB;
    let shift = exp - 5;
    let low = mantissa << shift;
    low + ((1u64 << shift) >> 1)
}

/// Response times of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Latencies {
    buckets: BTreeMap<u16, u64>,
    total: u64,
    min: u64,
    max: u64,
}

impl Latencies {
    fn add(&mut self, v: u64) {
        self.min = if self.buckets.is_empty() {
            v
        } else {
            self.min.min(v)
        };
        *self.buckets.entry(bucket(v)).or_insert(0) += 1;
        self.total = self.total.saturating_add(v);
        self.max = self.max.max(v);
    }

    /// The `q`-quantile (0 < q ≤ 1) of `n` samples: the value at rank ⌈q·n⌉, to within its
    /// bucket and never outside the smallest and largest samples (the exact max for the top
    /// rank).
    fn quantile(&self, q: f64, n: u64) -> u64 {
        // Rank of the sample, 1-based; `n` is at most the request count (a u64), so the
        // float product's rounding is harmless.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n.max(1));
        if rank == n {
            return self.max;
        }
        let mut seen = 0u64;
        for (&b, &c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return bucket_value(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// One fingerprint's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRow {
    /// The fingerprint.
    pub fingerprint: String,
    /// Requests.
    pub count: u64,
    /// Errors by code.
    pub errors: BTreeMap<u16, u64>,
    /// Rows sent.
    pub rows: u64,
    /// Bytes from the client.
    pub bytes_in: u64,
    /// Bytes to the client.
    pub bytes_out: u64,
    /// Response time, microseconds: total, p50, p95, p99, max.
    pub total_us: u64,
    /// Median response time.
    pub p50_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
    /// The first request's SQL, literals included (cut at [`MAX_EXAMPLE`] bytes).
    pub example: String,
}

#[derive(Debug, Clone)]
struct Group {
    count: u64,
    errors: BTreeMap<u16, u64>,
    rows: u64,
    bytes_in: u64,
    bytes_out: u64,
    latency: Latencies,
    example: String,
}

/// Requests grouped by fingerprint (see the module documentation).
#[derive(Debug, Clone)]
pub struct Digest {
    groups: HashMap<String, Group>,
    max_fingerprints: usize,
    dropped: u64,
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s.get(..end).unwrap_or("").to_string();
    out.push('…');
    out
}

impl Digest {
    /// A digest keeping at most `max_fingerprints` groups.
    pub fn new(max_fingerprints: usize) -> Self {
        Digest {
            groups: HashMap::new(),
            max_fingerprints,
            dropped: 0,
        }
    }

    /// Adds one request.
    pub fn record(&mut self, r: &Request<'_>) {
        let fp = fingerprint(r.sql);
        let full = self.groups.len() >= self.max_fingerprints;
        let g = match self.groups.get_mut(&fp) {
            Some(g) => g,
            None if full => {
                self.dropped = self.dropped.saturating_add(1);
                return;
            }
            None => self.groups.entry(fp).or_insert_with(|| Group {
                count: 0,
                errors: BTreeMap::new(),
                rows: 0,
                bytes_in: 0,
                bytes_out: 0,
                latency: Latencies::default(),
                example: cut(r.sql, MAX_EXAMPLE),
            }),
        };
        g.count = g.count.saturating_add(1);
        if let Some(code) = r.error {
            *g.errors.entry(code).or_insert(0) += 1;
        }
        g.rows = g.rows.saturating_add(r.rows);
        g.bytes_in = g.bytes_in.saturating_add(r.bytes_in);
        g.bytes_out = g.bytes_out.saturating_add(r.bytes_out);
        g.latency.add(r.latency_us);
    }

    /// Requests not counted because `max_fingerprints` groups were already kept.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The groups, slowest in total first (then by fingerprint).
    pub fn rows(&self) -> Vec<DigestRow> {
        let mut out: Vec<DigestRow> = self
            .groups
            .iter()
            .map(|(fp, g)| DigestRow {
                fingerprint: fp.clone(),
                count: g.count,
                errors: g.errors.clone(),
                rows: g.rows,
                bytes_in: g.bytes_in,
                bytes_out: g.bytes_out,
                total_us: g.latency.total,
                p50_us: g.latency.quantile(0.50, g.count),
                p95_us: g.latency.quantile(0.95, g.count),
                p99_us: g.latency.quantile(0.99, g.count),
                max_us: g.latency.max,
                example: g.example.clone(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.total_us
                .cmp(&a.total_us)
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        out
    }
}

/// A live session's digest: a [`super::Tracer`] that decodes the session's packets as they go
/// by, pairs each request with its response (`super::requests`) and records it, timed by the
/// clock, in a digest the caller shares.
pub struct DigestTracer {
    conv: super::decode::Conversation,
    requests: super::requests::Requests,
    index: usize,
    start: std::time::Instant,
    digest: std::sync::Arc<std::sync::Mutex<Digest>>,
}

impl DigestTracer {
    /// A tracer recording into `digest`.
    pub fn new(digest: std::sync::Arc<std::sync::Mutex<Digest>>) -> Self {
        DigestTracer {
            conv: super::decode::Conversation::new(true),
            requests: super::requests::Requests::new(),
            index: 0,
            start: std::time::Instant::now(),
            digest,
        }
    }
}

impl DigestTracer {
    /// A tracer recording into `digest`, for a session already connected: `caps` and
    /// `mariadb` are what the session negotiated ([`crate::Session::capabilities`],
    /// [`crate::proto::Engine::mariadb_capabilities`]); requests are digested from the next
    /// command on.
    pub fn attached(
        digest: std::sync::Arc<std::sync::Mutex<Digest>>,
        caps: crate::codec::CapabilityFlags,
        mariadb: crate::codec::MariaDbCapabilities,
    ) -> Self {
        DigestTracer {
            conv: super::decode::Conversation::attached(true, caps, mariadb),
            ..DigestTracer::new(digest)
        }
    }
}

impl super::Tracer for DigestTracer {
    fn packet(&mut self, ev: &super::PacketEvent<'_>) {
        let d = self.conv.packet(
            ev.direction,
            ev.seq,
            bytes::Bytes::copy_from_slice(ev.payload),
        );
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if let Some(r) = self.requests.observe(&self.conv, &d, self.index, now) {
            if let Ok(mut g) = self.digest.lock() {
                g.record(&r.as_request());
            }
        }
        self.index = self.index.saturating_add(1);
    }

    fn tls_started(&mut self) {
        self.conv.tls_started();
    }
}

/// Microseconds as a short human duration: `850us`, `12.3ms`, `4.56s`.
fn duration(us: u64) -> String {
    match us {
        0..=999 => format!("{us}us"),
        1_000..=999_999 => format!("{}.{}ms", us / 1000, us % 1000 / 100),
        _ => format!("{}.{:02}s", us / 1_000_000, us % 1_000_000 / 10_000),
    }
}

/// Errors as `1213x3 1146x1`, or `-`.
fn errors_text(e: &BTreeMap<u16, u64>) -> String {
    if e.is_empty() {
        return "-".into();
    }
    let parts: Vec<String> = e.iter().map(|(c, n)| format!("{c}x{n}")).collect();
    parts.join(" ")
}

/// The digest as a text table, one line per fingerprint, slowest in total first; the
/// fingerprint and the example are escaped for one line (`format::text_escape`).
pub fn render_text(rows: &[DigestRow], dropped: u64) -> String {
    let mut out = String::new();
    out.push_str(
        "  total      count   p50      p95      p99      max      rows      in/out bytes        errors  fingerprint\n",
    );
    for r in rows {
        let mut fp = String::new();
        super::format::text_escape(&mut fp, r.fingerprint.as_bytes(), None);
        out.push_str(&format!(
            "{:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>19} {:>8}  {fp}\n",
            duration(r.total_us),
            r.count,
            duration(r.p50_us),
            duration(r.p95_us),
            duration(r.p99_us),
            duration(r.max_us),
            r.rows,
            format!("{}/{}", r.bytes_in, r.bytes_out),
            errors_text(&r.errors),
        ));
        let mut ex = String::new();
        super::format::text_escape(&mut ex, r.example.as_bytes(), None);
        out.push_str(&format!("{:>9} example: {ex}\n", ""));
    }
    if dropped > 0 {
        out.push_str(&format!(
            "-- {dropped} request(s) of further fingerprints not counted (fingerprint limit)\n"
        ));
    }
    out
}

/// One fingerprint as a JSON object (one line): `fingerprint`, `count`, `errors` (code →
/// count), `rows`, `bytes_in`, `bytes_out`, `latency_us` (`total`, `p50`, `p95`, `p99`,
/// `max`), `example`.
pub fn render_json(r: &DigestRow) -> String {
    use super::format::json_str;
    let mut out = String::from("{\"fingerprint\":");
    json_str(&mut out, &r.fingerprint);
    out.push_str(&format!(",\"count\":{},\"errors\":{{", r.count));
    for (i, (code, n)) in r.errors.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{code}\":{n}"));
    }
    out.push_str(&format!(
        "}},\"rows\":{},\"bytes_in\":{},\"bytes_out\":{},\"latency_us\":{{\"total\":{},\"p50\":{},\"p95\":{},\"p99\":{},\"max\":{}}},\"example\":",
        r.rows, r.bytes_in, r.bytes_out, r.total_us, r.p50_us, r.p95_us, r.p99_us, r.max_us
    ));
    json_str(&mut out, &r.example);
    out.push('}');
    out
}

#[cfg(test)]
mod tests;
