//! Multi-host URLs ([`Options::hosts`]): the order a connect tries the hosts in, and the
//! per-host back-off after failures. Sans-IO: both sessions ask [`order`] for the candidates,
//! connect, and report each outcome with [`failed`] / [`succeeded`].
//!
//! Back-off is process-wide, per `host:port`: after `k` failures in a row a host is put last
//! for 250 ms × 2^(k−1), at most 30 s, so the connects of a whole pool stop knocking on a dead
//! server while it stays dead, and come back to it once it answers again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::options::{HostSelection, Options};
use crate::error::{Error, ErrorKind};

const BASE: Duration = Duration::from_millis(250);
const MAX: Duration = Duration::from_secs(30);

/// Failures in a row and when the host may be tried first again.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    until: Instant,
}

fn registry() -> MutexGuard<'static, HashMap<(String, u16), Backoff>> {
    static R: OnceLock<Mutex<HashMap<(String, u16), Backoff>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn backoff(failures: u32) -> Duration {
    let shift = failures.saturating_sub(1).min(16);
    BASE.saturating_mul(1u32 << shift).min(MAX)
}

/// Records a failed connect (or a host skipped as not ready / read-only).
pub(crate) fn failed(host: &str, port: u16) {
    let mut r = registry();
    let e = r.entry((host.to_string(), port)).or_insert(Backoff {
        failures: 0,
        until: Instant::now(),
    });
    e.failures = e.failures.saturating_add(1);
    e.until = Instant::now() + backoff(e.failures);
}

/// Records a good connect: the host's back-off is over.
pub(crate) fn succeeded(host: &str, port: u16) {
    registry().remove(&(host.to_string(), port));
}

/// A xorshift step, for the random order (no cryptographic need).
fn mix(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// The hosts in the order to try: by `host_selection`, then those in back-off moved to the
/// end (soonest retry first), so a connect still tries them when every host is backing off.
pub(crate) fn order(opts: &Options) -> Vec<(String, u16)> {
    static TURN: AtomicUsize = AtomicUsize::new(0);
    let mut hosts = opts.hosts.clone();
    let n = hosts.len();
    if n == 0 {
        return vec![(opts.host.clone(), opts.port)];
    }
    match opts.host_selection {
        HostSelection::Sequential => {}
        HostSelection::RoundRobin => hosts.rotate_left(TURN.fetch_add(1, Ordering::Relaxed) % n),
        HostSelection::Random => {
            let t = Instant::now().elapsed().as_nanos();
            let clock = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let turn = TURN.fetch_add(1, Ordering::Relaxed);
            let mut x = u64::from(clock) ^ (u64::try_from(t).unwrap_or(0) << 32)
                | u64::try_from(turn)
                    .unwrap_or(0)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                | 1;
            // Fisher–Yates.
            for i in (1..n).rev() {
                x = mix(x);
                let j = usize::try_from(x % u64::try_from(i + 1).unwrap_or(1)).unwrap_or(0);
                hosts.swap(i, j);
            }
        }
    }
    let now = Instant::now();
    let r = registry();
    let wait = |h: &(String, u16)| r.get(h).map(|b| b.until).filter(|u| *u > now);
    let (mut ready, mut later): (Vec<_>, Vec<_>) =
        hosts.into_iter().partition(|h| wait(h).is_none());
    later.sort_by_key(|h| wait(h));
    ready.append(&mut later);
    ready
}

/// `opts` for one of its hosts.
pub(crate) fn for_host(opts: &Options, host: &str, port: u16) -> Options {
    let mut o = opts.clone();
    o.host = host.to_string();
    o.port = port;
    o.hosts = Vec::new();
    o
}

/// The query a multi-host connect runs on a new connection before using it: a node that is not
/// ready (Galera's ERR 1047) fails it, and its answer says whether the server is read-only.
///
/// It reads from a derived table on purpose: MariaDB's wsrep gate lets a SELECT without tables
/// (and reads of information_schema / performance_schema) through on a node outside the
/// primary component, so `SELECT @@global.read_only` alone succeeds there while every query on
/// a table gets ERR 1047 (live probe against MariaDB 10.11.19 + galera-4 26.4.23 on
/// 2026-12-03, protocol-notes/galera.md). A derived table counts as a table for that gate and
/// needs no privilege anywhere.
pub(crate) const PROBE: &str = "SELECT @@global.read_only FROM (SELECT 1) AS probe";

/// What the probe's outcome means for the host: `Ok(())` to use it, or the error to skip it
/// with.
pub(crate) fn judge(opts: &Options, probe: Result<Option<i64>, Error>) -> Result<(), Error> {
    match probe {
        Ok(Some(ro)) if ro != 0 && opts.require_writable => Err(Error::Config(format!(
            "require-writable: {}:{} is read-only",
            opts.host, opts.port
        ))),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NodeNotReady => Err(e),
        // Any other failure of the probe (a server without @@read_only, say) is not a reason
        // to skip the host: the connection works.
        Err(e) if e.server_error().is_some() => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[(&str, u16)], sel: HostSelection) -> Options {
        Options {
            hosts: list.iter().map(|(h, p)| (h.to_string(), *p)).collect(),
            host_selection: sel,
            ..Options::default()
        }
    }

    #[test]
    fn sequential_round_robin_and_random_orders() {
        let list = [("a.test", 1), ("b.test", 2), ("c.test", 3)];
        let o = opts(&list, HostSelection::Sequential);
        let names = |v: Vec<(String, u16)>| v.into_iter().map(|(h, _)| h).collect::<Vec<_>>();
        assert_eq!(names(order(&o)), ["a.test", "b.test", "c.test"]);
        let rr = opts(&list, HostSelection::RoundRobin);
        let firsts: std::collections::BTreeSet<String> =
            (0..6).map(|_| names(order(&rr))[0].clone()).collect();
        assert_eq!(firsts.len(), 3, "round-robin starts at each host in turn");
        let rnd = opts(&list, HostSelection::Random);
        for _ in 0..20 {
            let mut v = names(order(&rnd));
            v.sort();
            assert_eq!(v, ["a.test", "b.test", "c.test"]);
        }
    }

    #[test]
    fn a_failed_host_goes_last_until_its_backoff_ends() {
        let list = [("x1.test", 7), ("x2.test", 7), ("x3.test", 7)];
        let o = opts(&list, HostSelection::Sequential);
        failed("x1.test", 7);
        let v = order(&o);
        assert_eq!(v[0].0, "x2.test");
        assert_eq!(v[2].0, "x1.test");
        failed("x2.test", 7);
        failed("x2.test", 7);
        // x1 retries sooner than x2 (one failure against two).
        let v = order(&o);
        assert_eq!(
            v.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["x3.test", "x1.test", "x2.test"]
        );
        succeeded("x1.test", 7);
        succeeded("x2.test", 7);
        assert_eq!(order(&o)[0].0, "x1.test");
        assert_eq!(backoff(1), BASE);
        assert_eq!(backoff(3), BASE * 4);
        assert_eq!(backoff(40), MAX);
    }

    #[test]
    fn urls_with_several_hosts() {
        let o = Options::from_url(
            "mysql://u:p@h1:3307,[::1]:3308,h3/db?host-selection=round-robin&require-writable=1",
        )
        .unwrap();
        assert_eq!(
            o.hosts,
            vec![
                ("h1".to_string(), 3307),
                ("::1".to_string(), 3308),
                ("h3".to_string(), 3306)
            ]
        );
        assert_eq!((o.host.as_str(), o.port), ("h1", 3307));
        assert_eq!(o.host_selection, HostSelection::RoundRobin);
        assert!(o.require_writable);
        assert_eq!(o.database.as_deref(), Some("db"));
        assert!(Options::from_url("mysql://h1,,h2/").is_err());
        assert!(Options::from_url("mysql://h1?host-selection=nearest").is_err());
        let one = Options::from_url("mysql://h9:1234").unwrap();
        assert!(one.hosts.is_empty());
    }
}
