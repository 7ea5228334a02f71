//! Process-level measurements: CPU time (getrusage, all threads), peak and current RSS
//! (/proc/self/status), and CPU affinity.

use std::time::Duration;

/// User and system CPU time of this whole process (all threads).
pub fn cpu_self() -> (Duration, Duration) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    (tv(ru.ru_utime), tv(ru.ru_stime))
}

pub fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

fn status_kb(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix(key) {
            return rest
                .trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(0);
        }
    }
    0
}

/// Peak resident set size (VmHWM) in KiB.
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM")
}

/// Current resident set size (VmRSS) in KiB.
pub fn rss_kb() -> u64 {
    status_kb("VmRSS")
}

/// Restricts thread/process `tid` (0 = the calling thread) to `cpus` (empty = every CPU).
pub fn set_affinity(tid: i32, cpus: &[usize]) -> std::io::Result<()> {
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let all: Vec<usize> = (0..n.max(libc::CPU_SETSIZE as usize).min(1024)).collect();
    let list = if cpus.is_empty() { &all[..] } else { cpus };
    for &c in list {
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    let r = unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The load average line of /proc/loadavg.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
