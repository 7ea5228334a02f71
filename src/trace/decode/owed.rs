//! The responses a conversation owes: the one being read and the ones of commands a client
//! sent before it (pipelining, MariaDB's direct execution: COM_STMT_PREPARE and an execute of
//! statement id 0xFFFFFFFF in one write).
//!
//! A command is decoded when it is seen; what its response needs (the SQL of a prepare, the
//! statement whose binary rows follow) is kept in an [`Owed`] until the responses before it
//! are over, then set up by [`Conversation::start`]. The queue and the SQL it holds are
//! bounded: past [`MAX_OWED`] commands the decoder resynchronises, and a queued prepare whose
//! SQL does not fit the SQL budget ([`super::stmt::MAX_SQL_BYTES`]) is remembered without it.

use super::{Conversation, Stage};
use crate::codec::stmt::DIRECT_STATEMENT_ID;
use crate::codec::value::ParamType;
use crate::proto::response::Expect;

/// At most this many commands wait for their responses behind the one being read.
pub(super) const MAX_OWED: usize = 4096;

/// Which statement an execute, fetch or bulk execute names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A statement id.
    Id(u32),
    /// [`DIRECT_STATEMENT_ID`] sent before the response of the prepare it follows: the
    /// statement that prepare's PREPARE_OK names.
    Prepared,
}

/// What a response needs from its command.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OwedKind {
    /// Nothing (its rows, if any, are text).
    Plain,
    /// COM_STMT_PREPARE, with its SQL (`None`: over the budget).
    Prepare(Option<Vec<u8>>),
    /// COM_STMT_EXECUTE / COM_STMT_BULK_EXECUTE: binary rows of the statement's columns.
    /// `cursor`: a cursor was asked for (no rows until COM_STMT_FETCH). `bound`: parameter
    /// types sent for a statement not yet known (direct execution), kept once it is.
    Execute {
        target: Target,
        cursor: bool,
        bound: Option<Vec<ParamType>>,
    },
    /// COM_STMT_FETCH: the cursor's binary rows.
    Fetch(Target),
}

/// A response owed to a command.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Owed {
    pub(super) expect: Expect,
    pub(super) kind: OwedKind,
}

impl Conversation {
    /// A command was decoded: its response is read now if nothing else is owed, or after the
    /// ones before it. A command without a response (`Expect::Idle`) owes nothing.
    pub(super) fn owe(&mut self, owed: Owed) {
        if owed.expect == Expect::Idle {
            return;
        }
        self.requests_seen = self.requests_seen.saturating_add(1);
        // Nothing owed, or a response whose end cannot be known: this command's starts now.
        if self.resp.is_idle() || self.resp.expect() == Expect::Unknown {
            self.queue.clear();
            self.queued_sql = 0;
            self.start(owed);
            return;
        }
        if self.queue.len() >= MAX_OWED {
            // A client that never reads: the order of the responses is lost.
            self.requests_seen = self.requests_seen.saturating_sub(1);
            self.resync();
            return;
        }
        if let OwedKind::Prepare(Some(sql)) = &owed.kind {
            self.queued_sql = self.queued_sql.saturating_add(sql.len());
        }
        self.queue.push_back(owed);
    }

    /// The responses owed now: the one being read (if any) and those queued behind it. It
    /// drops by one at the packet that ends a response, and to 0 when the decoder
    /// resynchronises (what was owed is then not followed to its end).
    pub fn responses_owed(&self) -> usize {
        let reading = usize::from(self.stage == Stage::Command && !self.resp.is_idle());
        reading.saturating_add(self.queue.len())
    }

    /// Commands that owed a response so far (a command a response is owed to is decoded, the
    /// count goes up by one; commands without a response, such as COM_STMT_CLOSE, are not
    /// counted). With [`Self::responses_owed`], what an observer needs to pair each command
    /// with the end of its response (`trace::requests`).
    pub fn requests_seen(&self) -> u64 {
        self.requests_seen
    }

    /// The response being read is over: the next owed one starts.
    pub(super) fn next_owed(&mut self) {
        if self.resp.is_idle() {
            if let Some(o) = self.queue.pop_front() {
                if let OwedKind::Prepare(Some(sql)) = &o.kind {
                    self.queued_sql = self.queued_sql.saturating_sub(sql.len());
                }
                self.start(o);
            }
        }
    }

    /// Sets up the reading of `owed`'s response.
    fn start(&mut self, owed: Owed) {
        self.resp.set(owed.expect);
        self.binary = false;
        self.types.clear();
        self.types_known = true;
        self.preparing = None;
        self.executing = None;
        self.pending_prepare = None;
        self.cursor = false;
        let target = match owed.kind {
            OwedKind::Plain => return,
            OwedKind::Prepare(sql) => {
                self.pending_prepare = Some(sql);
                return;
            }
            OwedKind::Execute {
                target,
                cursor,
                bound,
            } => {
                self.cursor = cursor;
                let id = self.resolve(target);
                if let (Some(types), Some(st)) =
                    (bound, id.and_then(|i| self.statements.get_mut(&i)))
                {
                    st.bind(types);
                }
                id
            }
            OwedKind::Fetch(target) => self.resolve(target),
        };
        self.binary = true;
        self.executing = target;
        match target.and_then(|id| self.statements.get(&id)) {
            Some(st) => self.types.clone_from(&st.columns),
            None => self.types_known = false,
        }
    }

    fn resolve(&self, t: Target) -> Option<u32> {
        match t {
            Target::Id(id) => Some(self.statement_id(id)),
            Target::Prepared => self.last_prepared,
        }
    }

    /// What [`DIRECT_STATEMENT_ID`] names when a command is decoded: the statement of a
    /// prepare whose response has not come yet, if there is one (the SQL it is known by:
    /// `Some(None)` when over the budget), else `None` (the statement prepared last).
    pub(super) fn unanswered_prepare(&self, wire_id: u32) -> Option<Option<&[u8]>> {
        if wire_id != DIRECT_STATEMENT_ID {
            return None;
        }
        let queued = self.queue.iter().rev().find_map(|o| match &o.kind {
            OwedKind::Prepare(sql) => Some(sql.as_deref()),
            _ => None,
        });
        queued.or_else(|| {
            self.pending_prepare
                .as_ref()
                .filter(|_| self.resp.expect() == Expect::PrepareOk)
                .map(Option::as_deref)
        })
    }
}
