//! The async session's row helpers: a query's or an execute's rows read whole, as
//! [`FromRow`] values (`query_first`, `query_all`, `query_map`, and the same for `exec` and
//! `execute`), on top of [`QueryResult::first`], [`QueryResult::all`] and
//! [`QueryResult::map`].

use crate::codec::value::ToParam;
use crate::error::Error;
use crate::proto::{FromRow, Row, Statement};

use super::super::result::QueryResult;
use super::Session;

impl QueryResult<'_> {
    /// Skips the rest of the response, result by result, so that a later statement's error
    /// is returned (a drain would drop it).
    async fn finish(mut self) -> Result<(), Error> {
        while self.next_result().await? {}
        Ok(())
    }

    /// The first row of the current result set as `T` (`None` if it has none, or for an OK
    /// result); the rest of the response is read and discarded, so that an error in a later
    /// statement is returned here. Add `LIMIT 1` to a query whose other rows are not wanted.
    pub async fn first<T: for<'r> FromRow<'r>>(mut self) -> Result<Option<T>, Error> {
        let first = match self.next_row().await? {
            Some(row) => Some(T::from_row(&row)?),
            None => None,
        };
        self.finish().await?;
        Ok(first)
    }

    /// Every row of the current result set as `T` (none for an OK result); the rest of the
    /// response is read and discarded, as for [`QueryResult::first`].
    pub async fn all<T: for<'r> FromRow<'r>>(self) -> Result<Vec<T>, Error> {
        self.map(|row| T::from_row(row)).await
    }

    /// `f` of every row of the current result set, in order; the first error (from `f` or
    /// the server) is returned. The rest of the response is read and discarded.
    pub async fn map<U, F>(mut self, mut f: F) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        let mut out = Vec::new();
        while let Some(row) = self.next_row().await? {
            out.push(f(&row)?);
        }
        self.finish().await?;
        Ok(out)
    }
}

impl Session {
    /// [`Session::query`], then the first row as `T` ([`QueryResult::first`]):
    /// `let n: Option<(i64,)> = s.query_first("SELECT COUNT(*) FROM t").await?`.
    pub async fn query_first<T: for<'r> FromRow<'r>>(
        &mut self,
        sql: &str,
    ) -> Result<Option<T>, Error> {
        self.query(sql).await?.first().await
    }

    /// [`Session::query`], then every row as `T` ([`QueryResult::all`]).
    pub async fn query_all<T: for<'r> FromRow<'r>>(&mut self, sql: &str) -> Result<Vec<T>, Error> {
        self.query(sql).await?.all().await
    }

    /// [`Session::query`], then `f` of every row ([`QueryResult::map`]).
    pub async fn query_map<U, F>(&mut self, sql: &str, f: F) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.query(sql).await?.map(f).await
    }

    /// [`Session::exec`] (prepared once, cached), then the first row as `T`.
    pub async fn exec_first<T: for<'r> FromRow<'r>>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<Option<T>, Error> {
        self.exec(sql, params).await?.first().await
    }

    /// [`Session::exec`], then every row as `T`.
    pub async fn exec_all<T: for<'r> FromRow<'r>>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<Vec<T>, Error> {
        self.exec(sql, params).await?.all().await
    }

    /// [`Session::exec`], then `f` of every row.
    pub async fn exec_map<U, F>(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
        f: F,
    ) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.exec(sql, params).await?.map(f).await
    }

    /// [`Session::execute`], then the first row as `T`.
    pub async fn execute_first<T: for<'r> FromRow<'r>>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<Option<T>, Error> {
        self.execute(stmt, params).await?.first().await
    }

    /// [`Session::execute`], then every row as `T`.
    pub async fn execute_all<T: for<'r> FromRow<'r>>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<Vec<T>, Error> {
        self.execute(stmt, params).await?.all().await
    }

    /// [`Session::execute`], then `f` of every row.
    pub async fn execute_map<U, F>(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        f: F,
    ) -> Result<Vec<U>, Error>
    where
        F: FnMut(&Row<'_>) -> Result<U, Error>,
    {
        self.execute(stmt, params).await?.map(f).await
    }
}
