//! One run's sample, medians of a row's samples, and the table's number formats.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    /// The server's CPU time around the whole child (local server only).
    pub srv_cpu: Option<Duration>,
    pub peak_kb: u64,
    pub base_kb: u64,
    pub check: String,
}

pub fn median_dur(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn median_u64(v: &mut [u64]) -> u64 {
    v.sort();
    v[v.len() / 2]
}

pub fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

pub fn fmt_mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

pub type Key = (bool, String, String); // (pinned, workload, client)

/// Medians of one (mode, workload, client).
pub struct Med {
    pub wall: Duration,
    pub cpu: Duration,
    pub srv_cpu: Option<Duration>,
    pub rss: u64,
}

pub fn med(samples: &BTreeMap<Key, Vec<Sample>>, pinned: bool, w: &str, c: &str) -> Option<Med> {
    let v = samples.get(&(pinned, w.to_string(), c.to_string()))?;
    let mut wall: Vec<_> = v.iter().map(|s| s.wall).collect();
    let mut cpu: Vec<_> = v.iter().map(|s| s.cpu).collect();
    let mut srv: Vec<_> = v.iter().filter_map(|s| s.srv_cpu).collect();
    let mut rss: Vec<_> = v.iter().map(|s| s.peak_kb).collect();
    Some(Med {
        wall: median_dur(&mut wall),
        cpu: median_dur(&mut cpu),
        srv_cpu: (srv.len() == v.len()).then(|| median_dur(&mut srv)),
        rss: median_u64(&mut rss),
    })
}
