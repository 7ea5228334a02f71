//! The async session's transactions: [`Session::begin`] and its guard, [`Transaction`].

use std::ops::{Deref, DerefMut};

use crate::codec::StatusFlags;
use crate::error::Error;

use super::super::transaction::{savepoint_sql, TxOptions};
use super::Session;

/// A transaction on the async session, from [`Session::begin`] or [`Session::begin_with`]:
/// the session itself while it lasts (it derefs to [`Session`], so `tx.query(...)`,
/// `tx.exec(...)` and the rest run inside it). End it with [`Transaction::commit`] or
/// [`Transaction::rollback`]; a guard dropped without either rolls the transaction back:
/// the session sends ROLLBACK before its next command (a drop cannot wait for the server,
/// so until then the transaction, and its locks, stay open on the server).
///
/// ```no_run
/// # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
/// use mywire::session::{IsolationLevel, TxOptions};
/// let mut tx = s.begin().await?;
/// tx.query_drop("INSERT INTO orders (item) VALUES ('book')").await?;
/// tx.savepoint("lines").await?;
/// if tx.query_drop("INSERT INTO lines (item) VALUES ('book')").await.is_err() {
///     tx.rollback_to("lines").await?;
/// }
/// tx.commit().await?;
///
/// let opts = TxOptions::new().isolation(IsolationLevel::Serializable).read_only(true);
/// let mut tx = s.begin_with(opts).await?;
/// let n: Option<(i64,)> = tx.query_first("SELECT COUNT(*) FROM orders").await?;
/// drop(tx); // rolled back: ROLLBACK goes out before the session's next command
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Transaction<'s> {
    s: &'s mut Session,
    done: bool,
}

impl Session {
    /// `START TRANSACTION`, and a guard that ends it ([`Transaction`]). A transaction already
    /// open on the session (the server's `SERVER_STATUS_IN_TRANS`) is [`Error::Usage`]: use
    /// savepoints for nesting ([`Transaction::savepoint`]).
    pub async fn begin(&mut self) -> Result<Transaction<'_>, Error> {
        self.begin_with(TxOptions::new()).await
    }

    /// [`Session::begin`] with an isolation level, read-only or read-write, and a consistent
    /// snapshot ([`TxOptions`]); the isolation level applies to this transaction only.
    pub async fn begin_with(&mut self, opts: TxOptions) -> Result<Transaction<'_>, Error> {
        // A ROLLBACK owed by a dropped guard goes first (and ends that transaction).
        self.ready().await?;
        if self.status().contains(StatusFlags::IN_TRANS) {
            return Err(Error::Usage(
                "a transaction is already open on this session (use a savepoint to nest)".into(),
            ));
        }
        for sql in opts.statements() {
            self.query_drop(&sql).await?;
        }
        Ok(Transaction {
            s: self,
            done: false,
        })
    }

    /// True if the server says a transaction is open (`SERVER_STATUS_IN_TRANS` of the last
    /// OK), or a dropped [`Transaction`]'s ROLLBACK is still owed.
    pub fn in_transaction(&self) -> bool {
        self.rollback_owed || self.status().contains(StatusFlags::IN_TRANS)
    }
}

impl Transaction<'_> {
    /// `COMMIT`.
    pub async fn commit(mut self) -> Result<(), Error> {
        self.done = true;
        self.s.query_drop("COMMIT").await.map(drop)
    }

    /// `ROLLBACK`.
    pub async fn rollback(mut self) -> Result<(), Error> {
        self.done = true;
        self.s.query_drop("ROLLBACK").await.map(drop)
    }

    /// `SAVEPOINT name` (the name quoted as an identifier).
    pub async fn savepoint(&mut self, name: &str) -> Result<(), Error> {
        self.s
            .query_drop(&savepoint_sql("SAVEPOINT", name))
            .await
            .map(drop)
    }

    /// `ROLLBACK TO SAVEPOINT name`: undoes what followed the savepoint, which stays.
    pub async fn rollback_to(&mut self, name: &str) -> Result<(), Error> {
        self.s
            .query_drop(&savepoint_sql("ROLLBACK TO SAVEPOINT", name))
            .await
            .map(drop)
    }

    /// `RELEASE SAVEPOINT name`: forgets the savepoint, keeps the work.
    pub async fn release(&mut self, name: &str) -> Result<(), Error> {
        self.s
            .query_drop(&savepoint_sql("RELEASE SAVEPOINT", name))
            .await
            .map(drop)
    }
}

impl Deref for Transaction<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.s
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        self.s
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.s.rollback_owed = true;
        }
    }
}
