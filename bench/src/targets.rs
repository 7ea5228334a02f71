//! The targets for the prepared workloads and the bulk insert, as lines under each
//! table: ratios of medians from the same run and mode.

use std::time::Duration;

/// The binary-protocol peers whose client CPU mywire's prepared rows must stay below.
const PEERS: &[&str] = &[
    "zero-mysql-ps",
    "zero-mysql-sync-ps",
    "mysql_async-ps",
    "sqlx",
];

fn x(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// (wall, client CPU) medians of a (workload, client) row, if it ran.
type Medians<'a> = &'a dyn Fn(&str, &str) -> Option<(Duration, Duration)>;

/// The target lines, from `med(workload, client)`.
pub fn lines(med: Medians<'_>) -> String {
    let mut md = String::new();
    for w in ["bulk", "roundtrip"] {
        let Some((raw_wall, _)) = med(w, "raw-ps") else {
            continue;
        };
        for c in ["mywire-ps", "mywire-sync-ps"] {
            let Some((wall, cpu)) = med(w, c) else {
                continue;
            };
            let peers: Vec<(&str, Duration)> = PEERS
                .iter()
                .filter_map(|p| med(w, p).map(|(_, pc)| (*p, pc)))
                .collect();
            let lowest = peers.iter().min_by_key(|(_, pc)| *pc);
            let cpu_part = match lowest {
                Some((p, pc)) => format!(
                    "client CPU {:.2}× the lowest peer's ({p}): {}",
                    x(cpu, *pc),
                    if cpu < *pc {
                        "below every peer (target met)"
                    } else {
                        "**not** below every peer"
                    }
                ),
                None => "no peer rows".into(),
            };
            md.push_str(&format!(
                "- target, {w} {c}: wall **{:.3}×** raw-ps ({}; target ≤ 1.03×); {cpu_part}\n",
                x(wall, raw_wall),
                if x(wall, raw_wall) <= 1.03 {
                    "met"
                } else {
                    "not met"
                },
            ));
        }
    }
    if let Some((bulk, _)) = med("insert", "mywire-bulk") {
        for (c, what) in [
            ("mywire-ps-rows", "one execute per row (target ≥ 10×)"),
            ("mywire-ps-pipelined", "pipelined executes"),
            ("mywire-multirow", "multi-row text INSERTs"),
        ] {
            if let Some((wall, _)) = med("insert", c) {
                md.push_str(&format!(
                    "- insert: mywire-bulk {:.3} s vs {c} {:.3} s ({what}): **{:.1}×** faster\n",
                    bulk.as_secs_f64(),
                    wall.as_secs_f64(),
                    x(wall, bulk)
                ));
            }
        }
    }
    md
}
