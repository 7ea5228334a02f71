//! `mywire decode` arguments: the capture, the output, and the digest, slow-log and filter
//! flags with their parsers.

use std::path::PathBuf;

use clap::{ArgAction, Args as ClapArgs};

use super::TraceFormat;

/// `mywire decode` arguments.
#[derive(ClapArgs, Debug, Clone)]
pub struct DecodeArgs {
    /// Print help.
    #[arg(short = 'h', long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The capture file (`-` for standard input).
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,

    /// The servers' TCP ports (a list, or the option repeated): conversations with one of them
    /// on either side are decoded; other traffic is counted in the summary of what was skipped.
    #[arg(
        long = "port",
        value_name = "PORT",
        value_delimiter = ',',
        action = ArgAction::Append,
        default_value = "3306"
    )]
    pub ports: Vec<u16>,

    /// Output format: one text line per packet, or JSON lines.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,

    /// Add a hex dump of every packet.
    #[arg(long)]
    pub hex: bool,

    /// Show secrets (auth responses) as hex instead of redacting them.
    #[arg(long)]
    pub secrets: bool,

    /// Instead of the packets, the requests grouped by fingerprint (literals replaced): count,
    /// errors by code, rows, bytes each way, response time total / p50 / p95 / p99 / max,
    /// slowest in total first. `--format json`: one JSON object per fingerprint.
    #[arg(long)]
    pub digest: bool,

    /// At most this many fingerprints in the digest (requests of further ones are counted,
    /// not shown).
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "digest")]
    pub digest_limit: usize,

    /// Write the requests as a MySQL slow query log (for pt-query-digest and other slow-log
    /// tools) to FILE; `-`: to standard output, instead of the packets.
    #[arg(long, value_name = "FILE")]
    pub slow_log: Option<PathBuf>,

    /// Only the Nth conversation, as listed (from 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub conversation: Option<u64>,

    /// Only the requests whose SQL matches REGEX (Rust `regex` syntax; `(?i)` for any case).
    /// Without --digest, this filter (as --min-latency and --errors-only) prints only the
    /// packets of the selected requests and of their responses.
    #[arg(long = "match", value_name = "REGEX", value_parser = parse_regex)]
    pub matching: Option<regex::Regex>,

    /// Only the requests whose response took at least DURATION (`200us`, `5ms`, `1.5s`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_us)]
    pub min_latency: Option<u64>,

    /// Only the requests whose response was an error.
    #[arg(long)]
    pub errors_only: bool,
}

impl DecodeArgs {
    /// True when a filter selects requests (so packets outside them are not shown).
    pub fn filters_requests(&self) -> bool {
        self.matching.is_some() || self.min_latency.is_some() || self.errors_only
    }
}

/// `--match`: a regular expression (linear-time matching, so hostile SQL cannot stall it).
fn parse_regex(s: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|e| e.to_string())
}

/// `--min-latency`: a decimal number and a unit (`us` or `µs`, `ms`, `s`) as microseconds
/// (finer fractions are cut).
pub fn parse_duration_us(s: &str) -> Result<u64, String> {
    const HINT: &str = "a number and a unit: us, ms or s (e.g. 200us, 5ms, 1.5s)";
    let s = s.trim();
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| HINT.to_string())?;
    let (num, unit) = s.split_at(at);
    let scale: u64 = match unit.trim() {
        "us" | "µs" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        _ => return Err(HINT.to_string()),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(HINT.to_string());
    }
    let too_long = || "too long a duration".to_string();
    let whole = if int.is_empty() {
        0
    } else {
        int.parse::<u64>().map_err(|_| too_long())?
    };
    let mut f: u128 = 0;
    let mut div: u128 = 1;
    for c in frac.chars().take(12) {
        f = f * 10 + u128::from(c.to_digit(10).unwrap_or(0));
        div *= 10;
    }
    let part = u64::try_from(f * u128::from(scale) / div).map_err(|_| too_long())?;
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(part))
        .ok_or_else(too_long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_us("200us"), Ok(200));
        assert_eq!(parse_duration_us("200µs"), Ok(200));
        assert_eq!(parse_duration_us("5ms"), Ok(5000));
        assert_eq!(parse_duration_us("1.5s"), Ok(1_500_000));
        assert_eq!(parse_duration_us(".25ms"), Ok(250));
        assert_eq!(parse_duration_us("0s"), Ok(0));
        assert_eq!(parse_duration_us("1.0000001s"), Ok(1_000_000));
        for bad in [
            "5",
            "ms",
            "5 min",
            "1.2.3s",
            "-1s",
            "99999999999999999999s",
            ".",
        ] {
            assert!(parse_duration_us(bad).is_err(), "{bad}");
        }
        assert!(parse_duration_us("18446744073710s").is_err());
    }
}
