//! The async pool: [`Pool`] hands out [`PooledSession`]s.
//!
//! Fairness and cancellation come from tokio's semaphore: it holds `max_size` permits, queues
//! acquires first come first served, and a waiting acquire that is dropped leaves the queue
//! with nothing taken. A permit is held for as long as its connection is in use or being
//! cleaned; every open connection also holds a [`Slot`], which keeps `size` right whatever
//! drops it (an acquire cancelled while it pings or connects included).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{acquire_timed_out, Age, CloseReason, Counters, PoolMetrics, PoolOptions};
use super::{is_unknown_command, ResetMode, Verdict};
use crate::{Error, Options, Session};

struct State {
    /// Idle connections, the most recently given back last (handed out first).
    idle: Vec<Conn>,
    /// Open connections (each [`Slot`]), and connections being opened.
    size: usize,
    waiting: usize,
    closed: bool,
}

struct Inner {
    opts: Options,
    popts: PoolOptions,
    permits: Arc<Semaphore>,
    state: Mutex<State>,
    counters: Counters,
    /// The server answered COM_RESET_CONNECTION with "Unknown command": reset by
    /// COM_CHANGE_USER.
    no_reset_command: AtomicBool,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A clean connection back among the idle ones (closed instead if the pool was closed).
    fn put_back(&self, mut conn: Conn) {
        conn.age.returned = Instant::now();
        let mut st = self.state();
        if st.closed {
            drop(st);
            self.close(conn, CloseReason::PoolClosed);
        } else {
            st.idle.push(conn);
        }
    }

    /// Makes a returned session clean for the next user (see [`ResetMode`]): what is left of
    /// a response is read (the session's next command does that), then the reset.
    async fn clean(&self, s: &mut Session) -> Result<(), Error> {
        match self.popts.reset {
            ResetMode::Reset if !self.no_reset_command.load(Ordering::Relaxed) => {
                match s.reset().await {
                    Err(e) if is_unknown_command(&e) => {
                        self.no_reset_command.store(true, Ordering::Relaxed);
                        s.reset_by_change_user().await
                    }
                    r => r,
                }
            }
            ResetMode::Reset | ResetMode::ChangeUser => s.reset_by_change_user().await,
            ResetMode::None => {
                if s.in_transaction() {
                    s.query_drop("ROLLBACK").await.map(drop)
                } else {
                    s.ping().await
                }
            }
        }
    }

    /// Closes `s` politely (COM_QUIT) in the background when a runtime is there; otherwise
    /// drops it (the socket is closed).
    fn close(&self, conn: Conn, reason: CloseReason) {
        self.counters.closed(reason);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let Conn { s, slot, .. } = conn;
                let _ = tokio::time::timeout(Duration::from_secs(1), s.close()).await;
                drop(slot);
            });
        }
    }
}

/// Counts one open connection in `size` until dropped. Weak: idle connections live in the
/// pool's own state, which must not keep itself alive.
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

/// An open connection and its bookkeeping.
struct Conn {
    s: Session,
    age: Age,
    slot: Slot,
}

/// Counts one waiting acquire until dropped.
struct Waiting<'a>(&'a Inner);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut st = self.0.state();
        st.waiting = st.waiting.saturating_sub(1);
    }
}

/// A pool of async sessions to one server ([`PoolOptions`] has the rules). Cloning it is cheap
/// and shares the pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), mywire::Error> {
/// use mywire::pool::{Pool, PoolOptions};
/// let opts = mywire::Options::from_url("mysql://app:secret@127.0.0.1:3306/shop")?;
/// let pool = Pool::new(opts, PoolOptions::with_max_size(16))?;
/// let mut s = pool.get().await?; // a PooledSession: a Session while it lives
/// let n: Option<(i64,)> = s.query_first("SELECT COUNT(*) FROM orders").await?;
/// drop(s); // cleaned (COM_RESET_CONNECTION) and made idle in the background
/// # let _ = n; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("options", &self.inner.popts)
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool that connects with `opts`. Nothing is connected yet; with `min_idle` above 0 and a
    /// tokio runtime running, a background task opens that many connections and keeps them.
    pub fn new(opts: Options, popts: PoolOptions) -> Result<Pool, Error> {
        popts.checked()?;
        let inner = Arc::new(Inner {
            permits: Arc::new(Semaphore::new(popts.max_size)),
            opts,
            popts,
            state: Mutex::new(State {
                idle: Vec::new(),
                size: 0,
                waiting: 0,
                closed: false,
            }),
            counters: Counters::default(),
            no_reset_command: AtomicBool::new(false),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(maintain(Arc::downgrade(&inner)));
        }
        Ok(Pool { inner })
    }

    /// A connection: an idle one that passes the checks, or a new one. Waits (first come,
    /// first served) while `max_size` are in use, for at most `acquire_timeout` in all.
    /// Dropping the future while it waits takes nothing from the pool.
    pub async fn get(&self) -> Result<PooledSession, Error> {
        let inner = &self.inner;
        let start = Instant::now();
        let deadline = tokio::time::Instant::from_std(start + inner.popts.acquire_timeout);
        let permit = {
            inner.state().waiting += 1;
            let _waiting = Waiting(inner);
            let acquire = Arc::clone(&inner.permits).acquire_owned();
            match tokio::time::timeout_at(deadline, acquire).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => return Err(pool_closed()),
                Err(_) => {
                    inner.counters.failed();
                    return Err(acquire_timed_out());
                }
            }
        };
        loop {
            let candidate = {
                let mut st = inner.state();
                if st.closed {
                    return Err(pool_closed());
                }
                let spare = st.idle.len() > inner.popts.min_idle;
                st.idle.pop().map(|c| (c, spare))
            };
            let Some((mut conn, spare)) = candidate else {
                break;
            };
            match inner.popts.verdict(conn.age, Instant::now(), spare) {
                Verdict::Use => return Ok(self.hand_out(conn, permit, start)),
                Verdict::Close(reason) => inner.close(conn, reason),
                Verdict::Check => {
                    match tokio::time::timeout_at(deadline, conn.s.ping()).await {
                        Ok(Ok(())) => return Ok(self.hand_out(conn, permit, start)),
                        Ok(Err(_)) => {
                            // Closed under us (an EOF, ERR 4031, a reset): replaced, unseen.
                            inner.counters.closed(CloseReason::HealthCheck);
                            drop(conn);
                        }
                        Err(_) => {
                            inner.counters.closed(CloseReason::HealthCheck);
                            inner.counters.failed();
                            return Err(acquire_timed_out());
                        }
                    }
                }
            }
        }
        let slot = Slot::new(inner);
        match tokio::time::timeout_at(deadline, Session::connect(inner.opts.clone())).await {
            Ok(Ok(s)) => {
                inner.counters.opened();
                let now = Instant::now();
                let age = Age {
                    created: now,
                    returned: now,
                };
                Ok(self.hand_out(Conn { s, age, slot }, permit, start))
            }
            Ok(Err(e)) => {
                inner.counters.failed();
                Err(e)
            }
            Err(_) => {
                inner.counters.failed();
                Err(acquire_timed_out())
            }
        }
    }

    fn hand_out(&self, conn: Conn, permit: OwnedSemaphorePermit, start: Instant) -> PooledSession {
        self.inner.counters.acquired(start.elapsed());
        PooledSession {
            conn: Some(conn),
            permit: Some(permit),
            inner: Arc::clone(&self.inner),
        }
    }

    /// The pool's state and counters now.
    pub fn metrics(&self) -> PoolMetrics {
        let st = self.inner.state();
        self.inner
            .counters
            .snapshot(st.size, st.idle.len(), st.waiting)
    }

    /// The pool's rules.
    pub fn pool_options(&self) -> &PoolOptions {
        &self.inner.popts
    }

    /// Closes the pool: waiting and later acquires fail, idle connections are closed now
    /// (COM_QUIT), connections in use are closed when they are given back.
    pub async fn close(&self) {
        let idle = {
            let mut st = self.inner.state();
            st.closed = true;
            std::mem::take(&mut st.idle)
        };
        self.inner.permits.close();
        for Conn { s, slot, .. } in idle {
            self.inner.counters.closed(CloseReason::PoolClosed);
            let _ = tokio::time::timeout(Duration::from_secs(1), s.close()).await;
            drop(slot);
        }
    }
}

fn pool_closed() -> Error {
    Error::Usage("the pool is closed".into())
}

/// A connection from a [`Pool`]: a [`Session`] (through `Deref`) until dropped, when it goes
/// back to the pool to be cleaned ([`crate::pool::ResetMode`]) and reused, or is closed if it
/// is broken.
pub struct PooledSession {
    conn: Option<Conn>,
    permit: Option<OwnedSemaphorePermit>,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PooledSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledSession")
            .field("session", &self.conn.as_ref().map(|c| &c.s))
            .finish_non_exhaustive()
    }
}

impl PooledSession {
    /// Takes the session out of the pool for good: it no longer counts against `max_size` and
    /// is not given back.
    pub fn detach(mut self) -> Option<Session> {
        self.conn.take().map(|Conn { s, slot, .. }| {
            drop(slot);
            s
        })
    }
}

impl Deref for PooledSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        match &self.conn {
            Some(c) => &c.s,
            // Only `detach` and `drop` take it, and both consume the guard.
            None => unreachable_session(),
        }
    }
}

impl DerefMut for PooledSession {
    fn deref_mut(&mut self) -> &mut Session {
        match &mut self.conn {
            Some(c) => &mut c.s,
            None => unreachable_session(),
        }
    }
}

#[allow(clippy::panic)]
#[cold]
pub(super) fn unreachable_session() -> ! {
    // Not wire data: an invariant of this type (the session is taken only by consuming it).
    panic!("PooledSession used after its session was taken")
}

impl Drop for PooledSession {
    fn drop(&mut self) {
        let (Some(conn), Some(permit)) = (self.conn.take(), self.permit.take()) else {
            return;
        };
        let inner = Arc::clone(&self.inner);
        if conn.s.is_broken() {
            inner.counters.closed(CloseReason::Broken);
            drop(conn);
            return;
        }
        if inner.state().closed {
            inner.close(conn, CloseReason::PoolClosed);
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            // Dropped outside a runtime: it cannot be cleaned, so it is not reused.
            inner.counters.closed(CloseReason::ResetFailed);
            return;
        };
        if inner.popts.reset == ResetMode::None && conn.s.is_idle() && !conn.s.in_transaction() {
            // Nothing to clean: back at once, without a task or a round trip.
            inner.put_back(conn);
            drop(permit);
            return;
        }
        // The permit moves with the connection: capacity is given back only once it is clean.
        rt.spawn(async move {
            let mut conn = conn;
            let limit = inner.popts.reset_timeout;
            match tokio::time::timeout(limit, inner.clean(&mut conn.s)).await {
                Ok(Ok(())) => inner.put_back(conn),
                _ => inner.counters.closed(CloseReason::ResetFailed),
            }
            drop(permit);
        });
    }
}

/// The background upkeep: closes idle connections past their lifetime or idle timeout (beyond
/// `min_idle`) and opens connections up to `min_idle`. Ends with the pool.
async fn maintain(pool: Weak<Inner>) {
    let tick = {
        let Some(inner) = pool.upgrade() else { return };
        let p = &inner.popts;
        [p.idle_timeout, p.max_lifetime]
            .into_iter()
            .flatten()
            .map(|d| d / 4)
            .min()
            .unwrap_or(Duration::from_secs(1))
            .clamp(Duration::from_millis(50), Duration::from_secs(1))
    };
    loop {
        tokio::time::sleep(tick).await;
        let Some(inner) = pool.upgrade() else { return };
        let expired = {
            let mut st = inner.state();
            if st.closed {
                return;
            }
            let now = Instant::now();
            let mut keep = Vec::with_capacity(st.idle.len());
            let mut expired = Vec::new();
            let mut spare = st.idle.len().saturating_sub(inner.popts.min_idle);
            // Oldest returned first: those are the ones idle longest.
            for c in std::mem::take(&mut st.idle) {
                match inner.popts.verdict(c.age, now, spare > 0) {
                    Verdict::Close(r) => {
                        spare = spare.saturating_sub(1);
                        expired.push((c, r));
                    }
                    _ => keep.push(c),
                }
            }
            st.idle = keep;
            expired
        };
        for (c, r) in expired {
            inner.close(c, r);
        }
        // Top up to min_idle, one connection at a time, without waiting for capacity.
        while inner.state().idle.len() < inner.popts.min_idle {
            let Ok(permit) = Arc::clone(&inner.permits).try_acquire_owned() else {
                break;
            };
            let slot = Slot::new(&inner);
            let limit = inner.popts.acquire_timeout;
            match tokio::time::timeout(limit, Session::connect(inner.opts.clone())).await {
                Ok(Ok(s)) => {
                    inner.counters.opened();
                    let now = Instant::now();
                    let age = Age {
                        created: now,
                        returned: now,
                    };
                    inner.state().idle.insert(0, Conn { s, age, slot });
                    drop(permit);
                }
                _ => break,
            }
        }
    }
}
