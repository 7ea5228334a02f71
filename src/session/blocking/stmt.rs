//! The blocking session's prepared statements (the async session's, `super::super::Session`,
//! call for call).

use crate::codec::value::ToParam;
use crate::proto::{BatchResult, Statement};
use crate::Error;

use super::{Pipeline, QueryResult, Session};

impl Session {
    /// COM_QUERY with query attributes (see [`super::super::Session::query_with_attributes`]).
    pub fn query_with_attributes(
        &mut self,
        sql: &str,
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        self.engine.start_query_with_attributes(sql, attributes)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// COM_STMT_EXECUTE with query attributes (see [`super::super::Session::execute_with_attributes`]).
    pub fn execute_with_attributes(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        self.engine
            .start_execute_with_attributes(stmt, params, attributes)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// COM_STMT_PREPARE (see [`super::super::Session::prepare`]).
    pub fn prepare(&mut self, sql: &str) -> Result<Statement, Error> {
        self.ready()?;
        self.engine.start_prepare(sql)?;
        self.respond(|e| e.prepare_step())
    }

    /// COM_STMT_EXECUTE (see [`super::super::Session::execute`]).
    pub fn execute(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        self.engine.start_execute(stmt, params)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// A cached prepared statement for `sql`, executed (see [`super::super::Session::exec`]).
    pub fn exec(&mut self, sql: &str, params: &[&dyn ToParam]) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        let cached = self.engine.start_execute_cached(sql, params)?;
        if !cached {
            self.engine.make_room_in_cache();
        }
        if !cached && self.opts.direct_execute && self.engine.can_prepare_execute(params) {
            // MariaDB: prepare and execute in one round trip.
            self.engine.start_prepare_execute(sql, params)?;
            let st = self.respond(|e| e.prepare_step())?;
            let want = st.params().len();
            self.engine.cache_executed(sql, st)?;
            if want != params.len() {
                // The server refuses the execute; its answer is drained by the next call.
                return Err(Error::Usage(format!(
                    "the statement takes {want} parameter(s), {} given",
                    params.len()
                )));
            }
        } else if !cached {
            self.engine.start_prepare(sql)?;
            let st = self.respond(|e| e.prepare_step())?;
            self.engine.cache_statement(sql, st)?;
            if !self.engine.start_execute_cached(sql, params)? {
                return Err(Error::Usage("the statement cache lost a statement".into()));
            }
        }
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// COM_STMT_EXECUTE with a read-only cursor (see [`super::super::Session::execute_cursor`]).
    pub fn execute_cursor(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        rows_per_fetch: u32,
    ) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        self.engine
            .start_execute_cursor(stmt, params, rows_per_fetch)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// One statement for many rows of parameters (see [`super::super::Session::exec_batch`]).
    pub fn exec_batch<'p, R: AsRef<[&'p dyn ToParam]>>(
        &mut self,
        stmt: &Statement,
        rows: &[R],
    ) -> Result<BatchResult, Error> {
        self.ready()?;
        let mut b = self.engine.start_exec_batch(stmt, rows, self.opts.bulk)?;
        self.drive(|e| e.exec_batch_step(&mut b, stmt, rows))?;
        b.finish()
    }

    /// COM_STMT_RESET (see [`super::super::Session::reset_statement`]).
    pub fn reset_statement(&mut self, stmt: &Statement) -> Result<(), Error> {
        self.ready()?;
        self.engine.start_reset_statement(stmt)?;
        self.respond(|e| e.simple_step())
    }

    /// COM_STMT_CLOSE (see [`super::super::Session::close_statement`]).
    pub fn close_statement(&mut self, stmt: Statement) -> Result<(), Error> {
        self.ready()?;
        self.engine.start_close_statement(&stmt)?;
        self.flush()
    }

    /// Pipelined executes of one statement (see [`super::super::Session::pipeline_executes`]).
    pub fn pipeline_executes<'p, R: AsRef<[&'p dyn ToParam]>>(
        &mut self,
        stmt: &Statement,
        rows: &[R],
    ) -> Result<Pipeline<'_>, Error> {
        self.ready()?;
        let cursor = self.engine.queue_pipeline_executes(stmt, rows)?;
        self.top_up()?;
        Ok(Pipeline { s: self, cursor })
    }
}
