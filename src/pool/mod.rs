//! Connection pools: [`Pool`] over the async [`crate::Session`] and
//! [`blocking::Pool`] over the blocking one.
//!
//! Both follow the same rules ([`PoolOptions`]):
//! - at most `max_size` connections exist at once; an acquire waits its turn (first come,
//!   first served) for at most `acquire_timeout`, and an acquire that is dropped or times out
//!   while waiting takes nothing;
//! - a connection is handed out only if it is usable: one past `max_lifetime` or idle past
//!   `idle_timeout` is closed instead, and one idle longer than `health_check_after` is pinged
//!   first. A connection the server closed while it was idle (an end of stream, MySQL 8.0.24+'s
//!   ERR 4031) fails that check and is replaced; the caller never sees the error;
//! - a connection given back is made clean before anyone else gets it ([`ResetMode`]): what is
//!   left of a result is read and thrown away, then COM_RESET_CONNECTION ends any open
//!   transaction and clears the session's state. A broken connection, or one whose reset fails
//!   or takes longer than `reset_timeout`, is closed.
//!
//! [`PoolMetrics`] counts what happened, by reason.

pub mod blocking;
mod tokio_pool;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::Error;

pub use tokio_pool::{Pool, PooledSession};

/// What a pool does with a connection given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetMode {
    /// Drain any unread result, then COM_RESET_CONNECTION (variables, temporary tables, open
    /// transactions, prepared statements and locks are let go of). The default. A server
    /// that does not know COM_RESET_CONNECTION (ERR 1047 "Unknown command": MySQL before
    /// 5.7.3, MariaDB before 10.2.4) gets [`ResetMode::ChangeUser`] instead, from then on for
    /// the whole pool.
    Reset,
    /// Drain any unread result and roll back an open transaction, but keep the session's state
    /// (session variables, prepared statements): faster, for callers that leave no state
    /// behind. A connection given back idle and outside a transaction costs no round trip.
    None,
    /// Drain any unread result, then COM_CHANGE_USER as the pool's own user: the same clean
    /// slate as COM_RESET_CONNECTION, on any server, at the cost of an authentication.
    ChangeUser,
}

/// True for the ERR a server without a command answers it with (1047, ER_UNKNOWN_COM_ERROR,
/// "Unknown command"; Galera's not-ready ERR shares the code, not the message).
pub(crate) fn is_unknown_command(e: &Error) -> bool {
    matches!(e, Error::Server(se) if se.code == 1047
        && se.message.to_ascii_lowercase().contains("unknown command"))
}

/// How a pool sizes, checks and recycles its connections.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolOptions {
    /// Most connections open at once (in use and idle). At least 1.
    pub max_size: usize,
    /// Idle connections kept open even past `idle_timeout` (the async pool also opens them in
    /// the background).
    pub min_idle: usize,
    /// Longest an acquire waits for a connection, connecting included.
    pub acquire_timeout: Duration,
    /// A connection older than this is closed instead of being reused (`None`: never). The
    /// default, 30 minutes, is well below the servers' default `wait_timeout` (8 hours) and
    /// below the idle limits proxies and load balancers commonly have.
    pub max_lifetime: Option<Duration>,
    /// An idle connection beyond `min_idle` is closed after this long unused (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// A connection idle at least this long is pinged before it is handed out (`None`: never;
    /// `Some(Duration::ZERO)`: always).
    pub health_check_after: Option<Duration>,
    /// What is done with a connection given back.
    pub reset: ResetMode,
    /// Longest the cleaning of a connection given back may take (draining a result included);
    /// past it the connection is closed.
    pub reset_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(30),
            max_lifetime: Some(Duration::from_secs(30 * 60)),
            idle_timeout: Some(Duration::from_secs(10 * 60)),
            health_check_after: Some(Duration::from_secs(1)),
            reset: ResetMode::Reset,
            reset_timeout: Duration::from_secs(5),
        }
    }
}

impl PoolOptions {
    /// The defaults with `max_size` connections at most.
    pub fn with_max_size(max_size: usize) -> Self {
        PoolOptions {
            max_size,
            ..PoolOptions::default()
        }
    }

    /// Sets [`PoolOptions::max_size`].
    pub fn max_size(mut self, n: usize) -> Self {
        self.max_size = n;
        self
    }

    /// Sets [`PoolOptions::min_idle`].
    pub fn min_idle(mut self, n: usize) -> Self {
        self.min_idle = n;
        self
    }

    /// Sets [`PoolOptions::acquire_timeout`].
    pub fn acquire_timeout(mut self, d: Duration) -> Self {
        self.acquire_timeout = d;
        self
    }

    /// Sets [`PoolOptions::max_lifetime`].
    pub fn max_lifetime(mut self, d: Option<Duration>) -> Self {
        self.max_lifetime = d;
        self
    }

    /// Sets [`PoolOptions::idle_timeout`].
    pub fn idle_timeout(mut self, d: Option<Duration>) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Sets [`PoolOptions::health_check_after`].
    pub fn health_check_after(mut self, d: Option<Duration>) -> Self {
        self.health_check_after = d;
        self
    }

    /// Sets [`PoolOptions::reset`].
    pub fn reset(mut self, mode: ResetMode) -> Self {
        self.reset = mode;
        self
    }

    /// Sets [`PoolOptions::reset_timeout`].
    pub fn reset_timeout(mut self, d: Duration) -> Self {
        self.reset_timeout = d;
        self
    }
}

/// Why a pool closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// It was given back broken (an I/O or protocol error during its use).
    Broken,
    /// It was older than `max_lifetime`.
    Lifetime,
    /// It was idle past `idle_timeout`.
    IdleTimeout,
    /// The health check failed: typically the server or a proxy had closed it.
    HealthCheck,
    /// Cleaning it when it was given back failed or took too long.
    ResetFailed,
    /// The pool was closed.
    PoolClosed,
}

const REASONS: usize = 6;

impl CloseReason {
    fn index(self) -> usize {
        match self {
            CloseReason::Broken => 0,
            CloseReason::Lifetime => 1,
            CloseReason::IdleTimeout => 2,
            CloseReason::HealthCheck => 3,
            CloseReason::ResetFailed => 4,
            CloseReason::PoolClosed => 5,
        }
    }

    /// A short name (`broken`, `lifetime`, `idle_timeout`, `health_check`, `reset_failed`,
    /// `pool_closed`), for logs and exported metrics.
    pub fn name(self) -> &'static str {
        match self {
            CloseReason::Broken => "broken",
            CloseReason::Lifetime => "lifetime",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::HealthCheck => "health_check",
            CloseReason::ResetFailed => "reset_failed",
            CloseReason::PoolClosed => "pool_closed",
        }
    }

    /// Every reason, in a fixed order.
    pub const ALL: [CloseReason; REASONS] = [
        CloseReason::Broken,
        CloseReason::Lifetime,
        CloseReason::IdleTimeout,
        CloseReason::HealthCheck,
        CloseReason::ResetFailed,
        CloseReason::PoolClosed,
    ];
}

/// A pool's state and counters at one moment ([`Pool::metrics`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Connections open (idle, in use, or being cleaned after use).
    pub size: usize,
    /// Connections idle in the pool.
    pub idle: usize,
    /// Connections handed out and not given back yet.
    pub in_use: usize,
    /// Acquires waiting for a connection.
    pub waiting: usize,
    /// Acquires that got a connection.
    pub acquired: u64,
    /// Acquires that gave up (timed out, or failed to connect).
    pub acquire_failed: u64,
    /// Total time acquires that got a connection waited, in microseconds (divide by
    /// `acquired` for the mean).
    pub acquire_wait_us: u64,
    /// Longest such wait, in microseconds.
    pub acquire_wait_max_us: u64,
    /// Connections opened.
    pub opened: u64,
    /// Connections closed, by reason (indexed like [`CloseReason::ALL`]; see
    /// [`PoolMetrics::closed`]).
    pub closed_by: [u64; REASONS],
}

impl PoolMetrics {
    /// Connections closed for `reason`.
    pub fn closed(&self, reason: CloseReason) -> u64 {
        self.closed_by.get(reason.index()).copied().unwrap_or(0)
    }

    /// Connections closed for any reason.
    pub fn closed_total(&self) -> u64 {
        self.closed_by.iter().sum()
    }
}

/// The counters both pools keep.
#[derive(Default)]
struct Counters {
    acquired: AtomicU64,
    acquire_failed: AtomicU64,
    acquire_wait_us: AtomicU64,
    acquire_wait_max_us: AtomicU64,
    opened: AtomicU64,
    closed_by: [AtomicU64; REASONS],
}

impl Counters {
    fn acquired(&self, waited: Duration) {
        let us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.acquired.fetch_add(1, Ordering::Relaxed);
        self.acquire_wait_us.fetch_add(us, Ordering::Relaxed);
        self.acquire_wait_max_us.fetch_max(us, Ordering::Relaxed);
    }

    fn failed(&self) {
        self.acquire_failed.fetch_add(1, Ordering::Relaxed);
    }

    fn opened(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
    }

    fn closed(&self, reason: CloseReason) {
        if let Some(c) = self.closed_by.get(reason.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn snapshot(&self, size: usize, idle: usize, waiting: usize) -> PoolMetrics {
        let mut closed_by = [0; REASONS];
        for (out, c) in closed_by.iter_mut().zip(&self.closed_by) {
            *out = c.load(Ordering::Relaxed);
        }
        PoolMetrics {
            size,
            idle,
            in_use: size.saturating_sub(idle),
            waiting,
            acquired: self.acquired.load(Ordering::Relaxed),
            acquire_failed: self.acquire_failed.load(Ordering::Relaxed),
            acquire_wait_us: self.acquire_wait_us.load(Ordering::Relaxed),
            acquire_wait_max_us: self.acquire_wait_max_us.load(Ordering::Relaxed),
            opened: self.opened.load(Ordering::Relaxed),
            closed_by,
        }
    }
}

/// When an idle connection was made and last given back; what the rules look at.
#[derive(Debug, Clone, Copy)]
struct Age {
    created: std::time::Instant,
    returned: std::time::Instant,
}

/// What to do with an idle connection about to be handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Use,
    Check,
    Close(CloseReason),
}

impl PoolOptions {
    fn verdict(&self, age: Age, now: std::time::Instant, spare: bool) -> Verdict {
        if self
            .max_lifetime
            .is_some_and(|l| now.saturating_duration_since(age.created) >= l)
        {
            return Verdict::Close(CloseReason::Lifetime);
        }
        let idle = now.saturating_duration_since(age.returned);
        if spare && self.idle_timeout.is_some_and(|t| idle >= t) {
            return Verdict::Close(CloseReason::IdleTimeout);
        }
        if self.health_check_after.is_some_and(|t| idle >= t) {
            return Verdict::Check;
        }
        Verdict::Use
    }

    fn checked(&self) -> Result<(), crate::Error> {
        if self.max_size == 0 {
            return Err(crate::Error::Config(
                "pool max_size: must be at least 1".into(),
            ));
        }
        if self.min_idle > self.max_size {
            return Err(crate::Error::Config(format!(
                "pool min_idle: {} is more than max_size {}",
                self.min_idle, self.max_size
            )));
        }
        Ok(())
    }
}

fn acquire_timed_out() -> crate::Error {
    crate::Error::Timeout("acquiring a pooled connection (acquire_timeout)")
}

#[cfg(test)]
mod tests;
