//! The statement cache: statements `exec` keeps prepared by SQL text, least recently used
//! closed first, so the session never holds more than its size of the server's
//! `max_prepared_stmt_count`.

use crate::codec::value::ToParam;
use crate::error::Error;

use super::{Engine, Statement};

/// The statements a session keeps prepared, by SQL text, least recently used evicted first.
#[derive(Debug, Default)]
pub(super) struct StmtCache {
    /// Most statements kept (0: none kept beyond the one in use).
    pub(super) cap: usize,
    pub(super) entries: Vec<(String, Statement, u64)>,
    tick: u64,
    /// A statement was inserted and not yet looked up (with `cap` 0 only that lookup hits).
    pub(super) fresh: bool,
}

impl StmtCache {
    fn find(&mut self, sql: &str) -> Option<usize> {
        let fresh = std::mem::take(&mut self.fresh);
        if self.cap == 0 && !fresh {
            return None;
        }
        let i = self.entries.iter().position(|(s, _, _)| s == sql)?;
        self.tick = self.tick.wrapping_add(1);
        if let Some(e) = self.entries.get_mut(i) {
            e.2 = self.tick;
        }
        Some(i)
    }

    /// Removes entries until one more fits (at most `cap` once it is in; with `cap` 0 the
    /// newest is kept, it is the one about to run, and goes at the next insertion); returns
    /// the ids removed (to close).
    fn make_room(&mut self) -> Vec<u32> {
        let mut evicted = Vec::new();
        while self.entries.len() >= self.cap.max(1) {
            let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.2)
                .map(|(i, _)| i)
            else {
                break;
            };
            let (_, old, _) = self.entries.swap_remove(oldest);
            evicted.push(old.id());
        }
        evicted
    }

    /// Adds `st` for `sql`; returns the ids of the statements that no longer fit (to close).
    fn insert(&mut self, sql: &str, st: Statement) -> Vec<u32> {
        let evicted = self.make_room();
        self.tick = self.tick.wrapping_add(1);
        self.entries.push((sql.to_owned(), st, self.tick));
        self.fresh = true;
        evicted
    }
}

impl Engine {
    /// Sets how many statements [`Engine::start_execute_cached`] keeps prepared (0 turns the
    /// cache off: each statement is closed when the next one is prepared).
    pub fn set_stmt_cache(&mut self, cap: usize) {
        self.stmt_cache.cap = cap;
    }

    /// Queues COM_STMT_EXECUTE of the cached statement for `sql` with `params`; `Ok(false)`
    /// when none is cached (then prepare it, hand it to [`Engine::cache_statement`], and call
    /// this again).
    pub fn start_execute_cached(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<bool, Error> {
        // Before a prepare can go out for it.
        crate::codec::value::param::check_params(params)?;
        let Some(i) = self.stmt_cache.find(sql) else {
            return Ok(false);
        };
        // Out of the cache while it is used (the engine is borrowed mutably), then back.
        let (key, st, tick) = self.stmt_cache.entries.swap_remove(i);
        let r = self.start_execute(&st, params);
        self.stmt_cache.entries.push((key, st, tick));
        r.map(|()| true)
    }

    /// Keeps `st`, prepared for `sql`, in the statement cache; statements evicted to make room
    /// are closed (COM_STMT_CLOSE queued, no answer), so the cache never holds more of the
    /// server's `max_prepared_stmt_count` than its size.
    pub fn cache_statement(&mut self, sql: &str, st: Statement) -> Result<(), Error> {
        self.check_owner(&st)?;
        for id in self.stmt_cache.insert(sql, st) {
            self.queue_close_statement(id);
        }
        Ok(())
    }

    /// Before a statement is prepared for the cache: closes the least recently used ones
    /// that would not fit beside it (the COM_STMT_CLOSEs go out ahead of the prepare), so the
    /// session never holds more than the cache's size of the server's
    /// `max_prepared_stmt_count`, not even for a moment.
    pub fn make_room_in_cache(&mut self) {
        for id in self.stmt_cache.make_room() {
            self.queue_close_statement(id);
        }
    }

    /// [`Engine::cache_statement`] of a statement already executed (direct execution): with
    /// a cache of size 0 it is not looked up again.
    pub fn cache_executed(&mut self, sql: &str, st: Statement) -> Result<(), Error> {
        self.cache_statement(sql, st)?;
        self.stmt_cache.fresh = false;
        Ok(())
    }

    /// Empties the statement cache without closing anything (the server has dropped them:
    /// COM_RESET_CONNECTION).
    pub(super) fn forget_statements(&mut self) {
        self.stmt_cache.entries.clear();
        self.stmt_columns.clear();
        self.columns_of = None;
    }

    /// Number of statements in the cache.
    pub fn cached_statements(&self) -> usize {
        self.stmt_cache.entries.len()
    }
}
