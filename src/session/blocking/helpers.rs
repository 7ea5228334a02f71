//! The session's row helpers: a query's or an execute's rows read whole, as
//! [`FromRow`] values (`query_first`, `query_all`, `query_map`, and the same for `exec` and
//! `execute`), on top of [`QueryResult::first`], [`QueryResult::all`] and
//! [`QueryResult::map`].

use crate::codec::value::ToParam;
use crate::error::Error;
use crate::proto::{FromRow, Row, Statement};

use super::{QueryResult, Session};

impl QueryResult<'_> {
    /// Skips the rest of the response, result by result, so that a later statement's error
    /// is returned (a drain would drop it).
    fn finish(mut self) -> Result<(), Error> {
        while self.next_result()? {}
        Ok(())
    }

    /// The first row of the current result set as `T` (`None` if it has none, or for an OK
    /// result); the rest of the response is read and discarded, so that an error in a later
    /// statement is returned here. Add `LIMIT 1` to a query whose other rows are not wanted.
    pub fn first<T: for<'r> FromRow<'r>>(mut self) -> Result<Option<T>, Error> {
        let first = match self.next_row()? {
            Some(row) => Some(T::from_row(&row)?),
            None => None,
        };
        self.finish()?;
        Ok(first)
    }

    /// Every row of the current result set as `T` (none for an OK result); the rest of the
    /// response is read and discarded, as for [`QueryResult::first`].
    pub fn all<T: for<'r> FromRow<'r>>(self) -> Result<Vec<T>, Error> {
        self.map(|row| T::from_row(row))
    }

    /// `f` of every row of the current result set, in order; the first error (from `f` or
    /// the server) is returned. The rest of the response is read and discarded.
    pub fn map<U, F>(mut self, mut f: F) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        let mut out = Vec::new();
        while let Some(row) = self.next_row()? {
            out.push(f(&row)?);
        }
        self.finish()?;
        Ok(out)
    }
}

impl Session {
    /// [`Session::query`], then the first row as `T` ([`QueryResult::first`]):
    /// `let n: Option<(i64,)> = s.query_first("SELECT COUNT(*) FROM t")?`.
    pub fn query_first<T: for<'r> FromRow<'r>>(&mut self, sql: &str) -> Result<Option<T>, Error> {
        self.query(sql)?.first()
    }

    /// [`Session::query`], then every row as `T` ([`QueryResult::all`]).
    pub fn query_all<T: for<'r> FromRow<'r>>(&mut self, sql: &str) -> Result<Vec<T>, Error> {
        self.query(sql)?.all()
    }

    /// [`Session::query`], then `f` of every row ([`QueryResult::map`]).
    pub fn query_map<U, F>(&mut self, sql: &str, f: F) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.query(sql)?.map(f)
    }

    /// [`Session::exec`] (prepared once, cached), then the first row as `T`.
    pub fn exec_first<T: for<'r> FromRow<'r>>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<Option<T>, Error> {
        self.exec(sql, params)?.first()
    }

    /// [`Session::exec`], then every row as `T`.
    pub fn exec_all<T: for<'r> FromRow<'r>>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<Vec<T>, Error> {
        self.exec(sql, params)?.all()
    }

    /// [`Session::exec`], then `f` of every row.
    pub fn exec_map<U, F>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
        f: F,
    ) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.exec(sql, params)?.map(f)
    }

    /// [`Session::execute`], then the first row as `T`.
    pub fn execute_first<T: for<'r> FromRow<'r>>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<Option<T>, Error> {
        self.execute(stmt, params)?.first()
    }

    /// [`Session::execute`], then every row as `T`.
    pub fn execute_all<T: for<'r> FromRow<'r>>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<Vec<T>, Error> {
        self.execute(stmt, params)?.all()
    }

    /// [`Session::execute`], then `f` of every row.
    pub fn execute_map<U, F>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        f: F,
    ) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.execute(stmt, params)?.map(f)
    }
}
