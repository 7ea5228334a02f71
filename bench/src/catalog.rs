//! Which clients run which workload, what protocol each row uses, and what it is divided by.

/// Text-protocol clients.
pub const TEXT_CLIENTS: &[&str] = &[
    "raw",
    "mywire",
    "mywire-sync",
    "mywire-std",
    "zero-mysql",
    "zero-mysql-sync",
    "mysql_async",
    "sqlx-text",
];
/// Prepared-statement (binary protocol) clients of `bulk`, `bulk1k` and `roundtrip`.
pub const PS_CLIENTS: &[&str] = &[
    "raw-ps",
    "mywire-ps",
    "mywire-sync-ps",
    "zero-mysql-ps",
    "zero-mysql-sync-ps",
    "mysql_async-ps",
    "sqlx",
];
/// The clients of `insert` (each one way of inserting the rows; see `insert.rs`).
pub const INSERT_CLIENTS: &[&str] = &[
    "raw-ps",
    "mywire-bulk",
    "mywire-sync-bulk",
    "mywire-ps-pipelined",
    "mywire-ps-rows",
    "mywire-multirow",
    "zero-mysql-bulk",
    "mysql_async-bulk",
    "sqlx",
];
pub const CLI_CLIENTS: &[&str] = &["mariadb-cli", "mywire-cli"];
pub const WORKLOADS: &[&str] = &[
    "bulk",
    "bulk1k",
    "roundtrip",
    "ping",
    "connect",
    "pipeline",
    "blob",
    "insert",
    "cli",
    "zbulk",
    "zinsert",
];

/// The peers' prepared clients written for bulk and roundtrip only (no blob body).
const PS_PEERS: &[&str] = &["zero-mysql-ps", "zero-mysql-sync-ps", "mysql_async-ps"];

pub fn clients_for(w: &str) -> Vec<&'static str> {
    match w {
        "bulk" | "bulk1k" => TEXT_CLIENTS.iter().chain(PS_CLIENTS).copied().collect(),
        "roundtrip" | "blob" => TEXT_CLIENTS
            .iter()
            .chain(PS_CLIENTS)
            .copied()
            .filter(|c| *c != "mywire-std")
            // Their blob run would be the text protocol's.
            .filter(|c| w != "blob" || !c.starts_with("mywire"))
            .filter(|c| w != "blob" || !PS_PEERS.contains(c))
            .collect(),
        "ping" | "connect" => vec![
            "raw",
            "mywire",
            "mywire-sync",
            "zero-mysql",
            "zero-mysql-sync",
            "mysql_async",
            "sqlx",
        ],
        "pipeline" => vec!["raw", "mywire"],
        "insert" => INSERT_CLIENTS.to_vec(),
        "cli" => CLI_CLIENTS.to_vec(),
        "zbulk" | "zinsert" => crate::compress::CLIENTS.to_vec(),
        _ => vec![],
    }
}

pub fn protocol(c: &str, w: &str) -> &'static str {
    match (c, w) {
        (_, "zbulk" | "zinsert") => crate::compress::protocol(c, w),
        (_, "ping" | "connect") => "-",
        (_, "pipeline") => "text, pipelined",
        ("raw-ps", "insert") => "COM_STMT_EXECUTE per row, framing only",
        ("mywire-bulk" | "mywire-sync-bulk", _) => "exec_batch: COM_STMT_BULK_EXECUTE",
        ("mywire-ps-pipelined", _) => "exec_batch, bulk=false: pipelined COM_STMT_EXECUTE",
        ("mywire-ps-rows", _) => "COM_STMT_EXECUTE per row, each awaited",
        ("mywire-multirow", _) => "text INSERT, 1,000 rows a statement",
        ("zero-mysql-bulk", _) => "exec_bulk_insert_or_update: COM_STMT_BULK_EXECUTE",
        ("mysql_async-bulk", _) => "exec_batch: COM_STMT_BULK_EXECUTE",
        ("sqlx", "insert") => "COM_STMT_EXECUTE per row (cached statement)",
        ("raw-ps", _) => "binary (prepared), framing only",
        (
            "mywire-ps" | "mywire-sync-ps" | "zero-mysql-ps" | "zero-mysql-sync-ps"
            | "mysql_async-ps" | "sqlx",
            "bulk" | "bulk1k",
        ) => "binary (prepared); every cell typed",
        ("mywire-ps" | "mywire-sync-ps" | "zero-mysql-ps" | "zero-mysql-sync-ps", _) => {
            "binary (prepared)"
        }
        ("mysql_async-ps" | "sqlx", _) => "binary (prepared)",
        ("mywire-std" | "zero-mysql" | "zero-mysql-sync", "bulk" | "bulk1k") => {
            "text; INT/DOUBLE std-parsed, rest UTF-8 checked"
        }
        ("raw", _) => "text, framing only",
        ("mywire" | "mywire-sync", "bulk" | "bulk1k") => "text; every cell typed",
        ("mysql_async" | "sqlx-text", "bulk" | "bulk1k") => "text; every cell typed",
        ("mariadb-cli" | "mywire-cli", _) => "text, CLI to /dev/null",
        _ => "text",
    }
}

pub fn baseline(c: &str, w: &str) -> &'static str {
    match (c, w) {
        (_, "cli") => "mariadb-cli",
        // The compression set divides by mywire uncompressed.
        (_, "zbulk" | "zinsert") => "mywire",
        // One COM_STMT_EXECUTE per row, framing only.
        (_, "insert") => "raw-ps",
        (_, "bulk" | "bulk1k" | "roundtrip" | "blob") if PS_CLIENTS.contains(&c) => "raw-ps",
        _ => "raw",
    }
}
