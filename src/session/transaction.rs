//! Transactions, shared by both sessions: the options of `begin_with` ([`TxOptions`]) and the
//! SQL they come to. The guards are each session's ([`super::Transaction`],
//! [`super::blocking::Transaction`]): `commit()` or `rollback()` ends one; a guard dropped
//! without either leaves a ROLLBACK owed, which the session sends before its next command
//! (a drop cannot wait for the server).

use std::fmt::Write as _;

/// A transaction isolation level (`SET TRANSACTION ISOLATION LEVEL ...`, for the next
/// transaction only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// `READ UNCOMMITTED`.
    ReadUncommitted,
    /// `READ COMMITTED`.
    ReadCommitted,
    /// `REPEATABLE READ` (InnoDB's default).
    RepeatableRead,
    /// `SERIALIZABLE`.
    Serializable,
}

impl IsolationLevel {
    /// The level as SQL spells it.
    pub fn as_sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }
}

/// How `begin_with` starts a transaction: the isolation level, read-only or read-write (the
/// server's default, `transaction_read_only`, when neither), and `WITH CONSISTENT SNAPSHOT`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TxOptions {
    /// The isolation level; the session's own when `None`.
    pub isolation: Option<IsolationLevel>,
    /// `Some(true)`: `READ ONLY`; `Some(false)`: `READ WRITE`; `None`: the session's default.
    pub read_only: Option<bool>,
    /// `WITH CONSISTENT SNAPSHOT`: InnoDB takes the snapshot at once, not at the first read.
    pub consistent_snapshot: bool,
}

impl TxOptions {
    /// The default options: `START TRANSACTION`.
    pub fn new() -> Self {
        TxOptions::default()
    }

    /// With this isolation level.
    pub fn isolation(mut self, level: IsolationLevel) -> Self {
        self.isolation = Some(level);
        self
    }

    /// Read-only (`true`) or read-write (`false`).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }

    /// `WITH CONSISTENT SNAPSHOT`.
    pub fn consistent_snapshot(mut self) -> Self {
        self.consistent_snapshot = true;
        self
    }

    /// The statements that start the transaction, in order: `SET TRANSACTION ISOLATION LEVEL
    /// ...` when a level is set, then `START TRANSACTION ...`.
    pub fn statements(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(2);
        if let Some(level) = self.isolation {
            out.push(format!(
                "SET TRANSACTION ISOLATION LEVEL {}",
                level.as_sql()
            ));
        }
        let mut start = String::from("START TRANSACTION");
        let mut sep = " ";
        if self.consistent_snapshot {
            start.push_str(" WITH CONSISTENT SNAPSHOT");
            sep = ", ";
        }
        match self.read_only {
            Some(true) => {
                let _ = write!(start, "{sep}READ ONLY");
            }
            Some(false) => {
                let _ = write!(start, "{sep}READ WRITE");
            }
            None => {}
        }
        out.push(start);
        out
    }
}

/// `name` as a quoted identifier (backticks, a backtick doubled), for savepoint names.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// What a savepoint command looks like.
pub(crate) fn savepoint_sql(verb: &str, name: &str) -> String {
    format!("{verb} {}", quote_ident(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        assert_eq!(TxOptions::new().statements(), ["START TRANSACTION"]);
        assert_eq!(
            TxOptions::new()
                .isolation(IsolationLevel::Serializable)
                .read_only(true)
                .consistent_snapshot()
                .statements(),
            [
                "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"
            ]
        );
        assert_eq!(
            TxOptions::new().read_only(false).statements(),
            ["START TRANSACTION READ WRITE"]
        );
        assert_eq!(savepoint_sql("SAVEPOINT", "a`b"), "SAVEPOINT `a``b`");
    }
}
