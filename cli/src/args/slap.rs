//! `mywire slap` arguments.

use std::path::PathBuf;

use clap::{ArgAction, Args as ClapArgs};

/// `mywire slap` arguments.
#[derive(ClapArgs, Debug, Clone)]
pub struct SlapArgs {
    /// Print help.
    #[arg(short = 'h', long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The server (`mysql://user:password@host:port/db?...`); default: DATABASE_URL, else
    /// mysql://root@127.0.0.1:3306.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Clients running queries at once.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Queries to run in all.
    #[arg(short = 'n', long, value_name = "M", default_value_t = 1000)]
    pub queries: u64,

    /// Pooled connections the clients share (default: one per client).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: Option<u32>,

    /// The query. Placeholders: `{n}` the query's own sequence number (1..M, each used once),
    /// `{rand}` a random integer 0..2^31, `{rand:A:B}` a random integer from A to B.
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "SQL",
        conflicts_with = "query_file"
    )]
    pub sql: Option<String>,

    /// Queries from FILE, one per non-empty line (not starting with `--` or `#`), used in turn;
    /// the same placeholders.
    #[arg(long, value_name = "FILE")]
    pub query_file: Option<PathBuf>,

    /// Print one JSON object at the end: queries, ok, errors (kind -> count), seconds, qps,
    /// latency_us (p50, p95, p99, max).
    #[arg(long)]
    pub json: bool,

    /// Write the `{n}` of every acknowledged query to FILE, one per line, in order.
    #[arg(long, value_name = "FILE")]
    pub ok_log: Option<PathBuf>,

    /// Also print the digest of what was run, as `mywire decode --digest` prints it: each
    /// session's packets are decoded as they go by and its requests grouped by fingerprint.
    #[arg(long)]
    pub digest: bool,

    /// No progress line on standard error (it is only shown on a terminal anyway).
    #[arg(long)]
    pub quiet: bool,

    /// Reset each session (COM_RESET_CONNECTION) when a query hands it back to the pool. By
    /// default a session goes back as it is (a transaction left open is rolled back), as
    /// mariadb-slap's clients each keep one session.
    #[arg(long)]
    pub reset: bool,
}
