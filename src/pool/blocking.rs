//! The blocking pool over [`crate::session::blocking::Session`]: the same rules as the async
//! [`super::Pool`] ([`PoolOptions`]), with threads waiting on a condition variable in ticket
//! order (first come, first served). A connection given back is cleaned in the dropping
//! thread (one round trip for COM_RESET_CONNECTION) before it is made idle; the session's own
//! read and write timeouts bound that cleaning.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

use super::{acquire_timed_out, Age, CloseReason, Counters, PoolMetrics, PoolOptions};
use super::{is_unknown_command, ResetMode, Verdict};
use crate::session::blocking::Session;
use crate::{Error, Options};

struct State {
    idle: Vec<Conn>,
    size: usize,
    /// Capacity not handed out (`max_size` minus connections in use or being opened).
    free: usize,
    /// Tickets of the waiting acquires, in arrival order.
    queue: VecDeque<u64>,
    next_ticket: u64,
    closed: bool,
}

struct Inner {
    opts: Options,
    popts: PoolOptions,
    state: Mutex<State>,
    turn: Condvar,
    counters: Counters,
    /// The server answered COM_RESET_CONNECTION with "Unknown command": reset by
    /// COM_CHANGE_USER.
    no_reset_command: AtomicBool,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One unit of capacity, given back when dropped.
struct Permit(Arc<Inner>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.state().free += 1;
        self.0.turn.notify_all();
    }
}

/// Counts one open connection in `size` until dropped (weak, as in the async pool).
struct Slot(Weak<Inner>);

impl Slot {
    fn new(inner: &Arc<Inner>) -> Slot {
        inner.state().size += 1;
        Slot(Arc::downgrade(inner))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(inner) = self.0.upgrade() {
            let mut st = inner.state();
            st.size = st.size.saturating_sub(1);
        }
    }
}

struct Conn {
    s: Session,
    age: Age,
    _slot: Slot,
}

/// A pool of blocking sessions (see [`PoolOptions`]). Cloning it shares the pool.
///
/// ```no_run
/// # fn demo() -> Result<(), mywire::Error> {
/// use mywire::pool::{blocking::Pool, PoolOptions};
/// let pool = Pool::new(mywire::Options::from_url("mysql://app@127.0.0.1/shop")?, PoolOptions::default())?;
/// let mut s = pool.get()?;
/// s.query_drop("UPDATE counters SET n = n + 1")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Pool")
            .field("options", &self.inner.popts)
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool that connects with `opts` (nothing is connected yet; `min_idle` is kept by the
    /// async pool's background task only, so here it only spares idle connections from
    /// `idle_timeout`).
    pub fn new(opts: Options, popts: PoolOptions) -> Result<Pool, Error> {
        popts.checked()?;
        Ok(Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    idle: Vec::new(),
                    size: 0,
                    free: popts.max_size,
                    queue: VecDeque::new(),
                    next_ticket: 0,
                    closed: false,
                }),
                opts,
                popts,
                turn: Condvar::new(),
                counters: Counters::default(),
                no_reset_command: AtomicBool::new(false),
            }),
        })
    }

    fn permit(&self, deadline: Instant) -> Result<Permit, Error> {
        let inner = &self.inner;
        let mut st = inner.state();
        let ticket = st.next_ticket;
        st.next_ticket = st.next_ticket.wrapping_add(1);
        st.queue.push_back(ticket);
        loop {
            if st.closed {
                st.queue.retain(|&t| t != ticket);
                return Err(Error::Usage("the pool is closed".into()));
            }
            if st.queue.front() == Some(&ticket) && st.free > 0 {
                st.queue.pop_front();
                st.free -= 1;
                drop(st);
                // The next in line may be able to go too.
                inner.turn.notify_all();
                return Ok(Permit(Arc::clone(inner)));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.queue.retain(|&t| t != ticket);
                drop(st);
                inner.turn.notify_all();
                inner.counters.failed();
                return Err(acquire_timed_out());
            }
            st = inner
                .turn
                .wait_timeout(st, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// A connection: an idle one that passes the checks, or a new one; waits in turn while
    /// `max_size` are in use, for at most `acquire_timeout`.
    pub fn get(&self) -> Result<PooledSession, Error> {
        let inner = &self.inner;
        let start = Instant::now();
        let deadline = start + inner.popts.acquire_timeout;
        let permit = self.permit(deadline)?;
        loop {
            let candidate = {
                let mut st = inner.state();
                let spare = st.idle.len() > inner.popts.min_idle;
                st.idle.pop().map(|c| (c, spare))
            };
            let Some((mut conn, spare)) = candidate else {
                break;
            };
            match inner.popts.verdict(conn.age, Instant::now(), spare) {
                Verdict::Use => return Ok(self.hand_out(conn, permit, start)),
                Verdict::Close(reason) => {
                    inner.counters.closed(reason);
                    let _ = conn.s.close();
                }
                Verdict::Check => match conn.s.ping() {
                    Ok(()) => return Ok(self.hand_out(conn, permit, start)),
                    Err(_) => inner.counters.closed(CloseReason::HealthCheck),
                },
            }
        }
        let slot = Slot::new(inner);
        let mut opts = inner.opts.clone();
        let left = deadline.saturating_duration_since(Instant::now());
        opts.connect_timeout = Some(opts.connect_timeout.map_or(left, |t| t.min(left)));
        match Session::connect(opts) {
            Ok(s) => {
                inner.counters.opened();
                let now = Instant::now();
                let age = Age {
                    created: now,
                    returned: now,
                };
                let conn = Conn {
                    s,
                    age,
                    _slot: slot,
                };
                Ok(self.hand_out(conn, permit, start))
            }
            Err(e) => {
                inner.counters.failed();
                Err(e)
            }
        }
    }

    fn hand_out(&self, conn: Conn, permit: Permit, start: Instant) -> PooledSession {
        self.inner.counters.acquired(start.elapsed());
        PooledSession {
            conn: Some(conn),
            permit: Some(permit),
        }
    }

    /// The pool's state and counters now.
    pub fn metrics(&self) -> PoolMetrics {
        let st = self.inner.state();
        self.inner
            .counters
            .snapshot(st.size, st.idle.len(), st.queue.len())
    }

    /// Closes the pool: waiting and later acquires fail, idle connections are closed now,
    /// connections in use when they are given back.
    pub fn close(&self) {
        let idle = {
            let mut st = self.inner.state();
            st.closed = true;
            std::mem::take(&mut st.idle)
        };
        self.inner.turn.notify_all();
        for c in idle {
            self.inner.counters.closed(CloseReason::PoolClosed);
            let _ = c.s.close();
        }
    }
}

/// A connection from a blocking [`Pool`]: a [`Session`] until dropped, when it is cleaned and
/// made idle (in the dropping thread), or closed if broken.
pub struct PooledSession {
    conn: Option<Conn>,
    permit: Option<Permit>,
}

impl std::fmt::Debug for PooledSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::PooledSession")
            .field("session", &self.conn.as_ref().map(|c| &c.s))
            .finish_non_exhaustive()
    }
}

impl Deref for PooledSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        match &self.conn {
            Some(c) => &c.s,
            None => super::tokio_pool::unreachable_session(),
        }
    }
}

impl DerefMut for PooledSession {
    fn deref_mut(&mut self) -> &mut Session {
        match &mut self.conn {
            Some(c) => &mut c.s,
            None => super::tokio_pool::unreachable_session(),
        }
    }
}

impl Drop for PooledSession {
    fn drop(&mut self) {
        let (Some(mut conn), Some(permit)) = (self.conn.take(), self.permit.take()) else {
            return;
        };
        let inner = Arc::clone(&permit.0);
        if conn.s.is_broken() {
            inner.counters.closed(CloseReason::Broken);
            return;
        }
        let s = &mut conn.s;
        let cleaned = match inner.popts.reset {
            ResetMode::Reset if !inner.no_reset_command.load(Ordering::Relaxed) => {
                match s.reset() {
                    Err(e) if is_unknown_command(&e) => {
                        inner.no_reset_command.store(true, Ordering::Relaxed);
                        s.reset_by_change_user()
                    }
                    r => r,
                }
            }
            ResetMode::Reset | ResetMode::ChangeUser => s.reset_by_change_user(),
            ResetMode::None if s.in_transaction() => s.query_drop("ROLLBACK").map(drop),
            ResetMode::None if s.is_idle() => Ok(()),
            ResetMode::None => s.ping(),
        };
        if cleaned.is_err() {
            inner.counters.closed(CloseReason::ResetFailed);
            return;
        }
        conn.age.returned = Instant::now();
        let mut st = inner.state();
        if st.closed {
            drop(st);
            inner.counters.closed(CloseReason::PoolClosed);
            let _ = conn.s.close();
        } else {
            st.idle.push(conn);
        }
        // `permit` is dropped last: the next waiter finds the connection idle.
    }
}
