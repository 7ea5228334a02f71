//! MariaDB's CACHE_METADATA in the engine: each open statement's latest column definitions,
//! for the executes whose definitions the server does not resend (`metadata_follows` 0).

use crate::codec::stmt::DIRECT_STATEMENT_ID;
use crate::codec::{ErrorKind, Packet, ParseError};
use crate::error::Error;

use super::Engine;

impl Engine {
    /// Sets what the response about to be read executes: binary rows when `stmt` is some
    /// (0xFFFFFFFF, direct execution, names the statement prepared just before).
    #[inline]
    pub(super) fn set_exec(&mut self, stmt: Option<u32>) {
        self.binary = stmt.is_some();
        self.exec_stmt = match stmt {
            Some(DIRECT_STATEMENT_ID) => self.last_prepared,
            s => s,
        };
    }

    /// With MariaDB's CACHE_METADATA: the column definitions of the statement being executed
    /// when the server did not resend them (`metadata_follows` 0), as its prepare or its last
    /// execute that sent them described them; `count` must match.
    pub(super) fn cached_columns(&mut self, count: u64) -> Result<(), Error> {
        let count_ok = |n: usize| u64::try_from(n) == Ok(count);
        // The same statement's definitions are still in place (its last result): nothing to
        // copy.
        if self.exec_stmt.is_some()
            && self.columns_of == self.exec_stmt
            && count_ok(self.columns.len())
        {
            return Ok(());
        }
        let cached = self.exec_stmt.and_then(|id| self.stmt_columns.get(&id));
        match cached {
            Some(c) if count_ok(c.len()) => {
                self.columns.set(c);
                self.columns_of = self.exec_stmt;
                Ok(())
            }
            _ => Err(self.proto(ParseError::new(
                Packet::ColumnCount,
                "metadata_follows",
                ErrorKind::Unexpected,
            ))),
        }
    }

    /// Drops what CACHE_METADATA kept for statement `id` (closed).
    pub(super) fn forget_columns(&mut self, id: u32) {
        self.stmt_columns.remove(&id);
        if self.columns_of == Some(id) {
            self.columns_of = None;
        }
    }

    /// Remembers the column definitions just read for the statement being executed (the
    /// server resends them only when they change).
    pub(super) fn remember_columns(&mut self) {
        if let Some(id) = self.exec_stmt {
            if self.resp.caches_metadata() {
                self.stmt_columns.insert(id, self.columns.to_vec());
                self.columns_of = Some(id);
            }
        }
    }
}
