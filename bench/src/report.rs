//! The markdown the harness prints: checks compared across clients, one table per mode
//! (medians), the derived lines under it, and the notes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::catalog::{baseline, protocol, PS_CLIENTS, TEXT_CLIENTS};
use crate::stats::{fmt_dur, fmt_mib, med, median_dur, median_u64, Key, Med, Sample};
use crate::{run_list, split_client, targets, Cfg, COMPARABLE};

pub fn markdown(
    cfg: &Cfg,
    samples: &BTreeMap<Key, Vec<Sample>>,
    load: &BTreeMap<bool, (String, String)>,
    mut notes: Vec<String>,
    builds: &str,
    workloads: &[&str],
    started: Instant,
) -> String {
    // Checks must agree across the clients of a workload. The raw baselines only frame, so
    // they report fewer facts: their check must be a prefix of the others' (`rows=N`); in
    // `insert` the server checks the table, so raw-ps's check is the others'. What follows ` | `
    // (insert's server counters) differs by design and is reported, not compared.
    let facts = |c: &str| c.split(" | ").next().unwrap_or("").to_string();
    for &w in workloads {
        let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for ((_, ww, c), v) in samples {
            if ww == w && (!c.starts_with("raw") || w == "insert") {
                for s in v {
                    seen.entry(facts(&s.check)).or_default().insert(c.clone());
                }
            }
        }
        for ((_, ww, c), v) in samples {
            if ww == w && c.starts_with("raw") && w.starts_with("bulk") {
                for s in v {
                    if !seen.keys().all(|k| k.starts_with(&s.check)) {
                        seen.entry(s.check.clone()).or_default().insert(c.clone());
                    }
                }
            }
        }
        if seen.len() > 1 {
            let parts: Vec<String> = seen
                .iter()
                .map(|(k, v)| {
                    format!(
                        "`{k}` ({})",
                        v.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            notes.push(format!("{w}: results differ: {}", parts.join("; ")));
        }
    }
    if workloads.contains(&"insert") {
        let mut seen = BTreeSet::new();
        let mut parts = Vec::new();
        for ((_, ww, c), v) in samples {
            if ww == "insert" && seen.insert(c.clone()) {
                if let Some((_, counters)) = v.first().and_then(|s| s.check.split_once(" | ")) {
                    parts.push(format!("{c}: {counters}"));
                }
            }
        }
        if !parts.is_empty() {
            notes.push(format!(
                "insert, what the server counted around the timed part (global status deltas, first run): {}",
                parts.join("; ")
            ));
        }
    }

    let mut md = String::new();
    md.push_str(&format!(
        "Parameters: {} rows; roundtrip/ping/pipeline n = {}; connect n = {}; blob {} MiB; insert {} rows; \
         {} repetition(s), medians; server: {}; {builds}.\n\n",
        cfg.rows, cfg.n, cfg.connects, cfg.blob >> 20, cfg.insert_rows, cfg.reps,
        match (&cfg.url, cfg.server_defaults) {
            (Some(_), _) => "external (--url)",
            (None, true) => "InnoDB defaults (--server-defaults)",
            (None, false) => "1 GiB buffer pool",
        }
    ));
    for &pinned in &cfg.modes {
        let (lb, la) = load.get(&pinned).cloned().unwrap_or_default();
        md.push_str(&format!(
            "### {} (load average before: {lb}; after: {la})\n\n",
            if pinned {
                "Pinned: client and server on CPU 0"
            } else {
                "Unpinned"
            }
        ));
        md.push_str("| workload | client | protocol | wall | per op | client CPU | server CPU | peak RSS | wall / base | CPU / base |\n");
        md.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for &w in workloads {
            let ops = match w {
                "bulk" | "cli" | "zbulk" => cfg.rows,
                "bulk1k" => 1000.min(cfg.rows),
                "connect" => cfg.connects,
                "blob" => 1,
                "insert" | "zinsert" => cfg.insert_rows,
                _ => cfg.n,
            };
            for c in run_list(cfg, w) {
                let c = c.as_str();
                let Some(Med {
                    wall,
                    cpu,
                    srv_cpu,
                    rss,
                }) = med(samples, pinned, w, c)
                else {
                    if w == "cli" && c == "mywire-cli" {
                        md.push_str(&format!(
                            "| {w} | {c} | {} | missing | | | | | |\n",
                            protocol(c, w)
                        ));
                    }
                    continue;
                };
                let (cb, _) = split_client(c);
                let base = med(samples, pinned, w, baseline(cb, w));
                let (rw, rc) = match base {
                    Some(Med {
                        wall: bw, cpu: bc, ..
                    }) => (
                        format!("{:.2}×", wall.as_secs_f64() / bw.as_secs_f64()),
                        format!("{:.2}×", cpu.as_secs_f64() / bc.as_secs_f64().max(1e-9)),
                    ),
                    None => ("".into(), "".into()),
                };
                let wrong = samples
                    .get(&(pinned, w.to_string(), c.to_string()))
                    .is_some_and(|v| v.iter().any(|s| s.check.contains("BAD")));
                md.push_str(&format!(
                    "| {w} | {c}{} | {} | {} | {} | {} | {} | {} | {rw} | {rc} |\n",
                    if wrong { " ⚠ wrong result" } else { "" },
                    protocol(cb, w),
                    fmt_dur(wall),
                    fmt_dur(wall / ops.max(1) as u32),
                    fmt_dur(cpu),
                    srv_cpu.map(fmt_dur).unwrap_or_else(|| "-".into()),
                    fmt_mib(rss),
                ));
            }
        }
        md.push('\n');
        // This build against the --compare-exe build, row by row.
        if cfg.compare_exe.is_some() {
            let l = &cfg.compare_label;
            md.push_str(&format!(
                "This build (new) against `@{l}` (old), medians of the same run:\n\n\
                 | workload | client | wall @{l} | wall new | new / old | client CPU @{l} | client CPU new | new / old | server CPU @{l} | server CPU new | new / old |\n\
                 |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            ));
            let ratio = |n: Duration, o: Duration| {
                format!("{:.3}×", n.as_secs_f64() / o.as_secs_f64().max(1e-9))
            };
            for &w in workloads {
                for c in COMPARABLE {
                    let twin = format!("{c}@{l}");
                    let (Some(n), Some(o)) =
                        (med(samples, pinned, w, c), med(samples, pinned, w, &twin))
                    else {
                        continue;
                    };
                    let (so, sn, sr) = match (o.srv_cpu, n.srv_cpu) {
                        (Some(a), Some(b)) => (fmt_dur(a), fmt_dur(b), ratio(b, a)),
                        _ => ("-".into(), "-".into(), "".into()),
                    };
                    md.push_str(&format!(
                        "| {w} | {c} | {} | {} | **{}** | {} | {} | {} | {so} | {sn} | {sr} |\n",
                        fmt_dur(o.wall),
                        fmt_dur(n.wall),
                        ratio(n.wall, o.wall),
                        fmt_dur(o.cpu),
                        fmt_dur(n.cpu),
                        ratio(n.cpu, o.cpu),
                    ));
                }
            }
            md.push('\n');
        }
        md.push_str(&crate::compress::table(samples, pinned));
        // Derived figures.
        let get = |w: &str, c: &str| samples.get(&(pinned, w.to_string(), c.to_string()));
        let medw = |w: &str, c: &str| {
            get(w, c).map(|v| median_dur(&mut v.iter().map(|s| s.wall).collect::<Vec<_>>()))
        };
        md.push_str(&targets::lines(&|w, c| {
            med(samples, pinned, w, c).map(|m| (m.wall, m.cpu))
        }));
        let twin = format!("mywire@{}", cfg.compare_label);
        for c in ["mywire", twin.as_str()] {
            if let (Some(p), Some(s)) = (medw("pipeline", c), medw("roundtrip", c)) {
                md.push_str(&format!(
                    "- pipeline: {c} {} SELECT 1 pipelined in {} vs sequential {}: **{:.1}×** the throughput\n",
                    cfg.n, fmt_dur(p), fmt_dur(s), s.as_secs_f64() / p.as_secs_f64()
                ));
            }
        }
        for c in TEXT_CLIENTS.iter().chain(PS_CLIENTS) {
            let rss = |w: &str| {
                get(w, c).map(|v| median_u64(&mut v.iter().map(|s| s.peak_kb).collect::<Vec<_>>()))
            };
            if let (Some(big), Some(small)) = (rss("bulk"), rss("bulk1k")) {
                md.push_str(&format!(
                    "- memory, {c}: peak RSS streaming {} rows {} vs 1,000 rows {}: {:.2}×\n",
                    cfg.rows,
                    fmt_mib(big),
                    fmt_mib(small),
                    big as f64 / small as f64
                ));
            }
        }
        for c in TEXT_CLIENTS.iter().chain(PS_CLIENTS) {
            if let Some(v) = get("blob", c) {
                let mut extra: Vec<u64> = v
                    .iter()
                    .map(|s| s.peak_kb.saturating_sub(s.base_kb))
                    .collect();
                let e = median_u64(&mut extra);
                md.push_str(&format!(
                    "- blob, {c}: peak RSS above the pre-payload RSS {} = **{:.2}** copies of the {} MiB payload\n",
                    fmt_mib(e), e as f64 * 1024.0 / cfg.blob as f64, cfg.blob >> 20
                ));
            }
        }
        md.push('\n');
    }
    let mut seen_notes = BTreeSet::new();
    notes.retain(|n| seen_notes.insert(n.clone()));
    if !notes.is_empty() {
        md.push_str("Notes:\n\n");
        for n in &notes {
            md.push_str(&format!("- {n}\n"));
        }
        md.push('\n');
    }
    md.push_str(&format!("Total harness time {:.0?}.\n", started.elapsed()));
    md
}
