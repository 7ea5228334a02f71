//! The async session's prepared statements: prepare, execute (with a cursor, with query
//! attributes), `exec` through the statement cache, many rows (`exec_batch`, pipelined
//! executes), reset and close; and COM_QUERY with query attributes.

use crate::codec::value::ToParam;
use crate::error::Error;
use crate::proto::{BatchResult, Statement};

use super::super::result::{Pipeline, QueryResult};
use super::Session;

impl Session {
    /// COM_QUERY with query attributes, name and value pairs the statement can read
    /// (MySQL 8.0.23+, `mysql_query_attribute_string('name')`); otherwise like
    /// [`Session::query`]. A server without CLIENT_QUERY_ATTRIBUTES (MariaDB, older MySQL)
    /// gets nothing: [`Error::Usage`] says why.
    pub async fn query_with_attributes(
        &mut self,
        sql: &str,
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        self.engine.start_query_with_attributes(sql, attributes)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// COM_STMT_EXECUTE with query attributes after the parameters (MySQL 8.0.23+); otherwise
    /// like [`Session::execute`].
    pub async fn execute_with_attributes(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        self.engine
            .start_execute_with_attributes(stmt, params, attributes)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// COM_STMT_PREPARE: prepares `sql` (with `?` placeholders) on the server. The statement
    /// belongs to this session; close it with [`Session::close_statement`] when done (the
    /// server drops it with the connection otherwise).
    pub async fn prepare(&mut self, sql: &str) -> Result<Statement, Error> {
        self.ready().await?;
        self.engine.start_prepare(sql)?;
        self.respond(|e| e.prepare_step()).await
    }

    /// COM_STMT_EXECUTE: runs `stmt` with `params` (one per `?`, in order; `None` is NULL) and
    /// reads the response head, like [`Session::query`]. Rows come in the binary protocol and
    /// read with the same [`crate::proto::Row::get`]. A wrong number of parameters is an
    /// error before anything is sent.
    pub async fn execute(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        self.engine.start_execute(stmt, params)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// Runs `sql` as a prepared statement with `params`, preparing it only the first time:
    /// the session keeps the statements it prepared this way by SQL text (`stmt-cache` of
    /// them, 32 by default; the least recently used is closed to make room, so the cache never
    /// holds more than that many of the server's `max_prepared_stmt_count`). With the
    /// `direct-execute` option on MariaDB the first run prepares and executes in one round
    /// trip (statement id 0xFFFFFFFF), unless a value goes by long data or a fetch size is
    /// set; it is off by default because MariaDB 10.11 then runs the statement prepared
    /// before when the prepare fails for `max_prepared_stmt_count` (see
    /// protocol-notes/prepared-statements.md). The result is [`Session::execute`]'s.
    pub async fn exec(
        &mut self,
        sql: &str,
        params: &[&dyn ToParam],
    ) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        let cached = self.engine.start_execute_cached(sql, params)?;
        if !cached {
            self.engine.make_room_in_cache();
        }
        if !cached && self.opts.direct_execute && self.engine.can_prepare_execute(params) {
            // MariaDB: prepare and execute in one round trip.
            self.engine.start_prepare_execute(sql, params)?;
            let st = self.respond(|e| e.prepare_step()).await?;
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
            let st = self.respond(|e| e.prepare_step()).await?;
            self.engine.cache_statement(sql, st)?;
            if !self.engine.start_execute_cached(sql, params)? {
                return Err(Error::Usage("the statement cache lost a statement".into()));
            }
        }
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// COM_STMT_EXECUTE with a read-only cursor: like [`Session::execute`], but the server
    /// keeps the result and sends it `rows_per_fetch` rows at a time, each batch fetched
    /// (COM_STMT_FETCH) once the previous one has been read. The `fetch-size` option does
    /// this for every execute. Rows left unread are not fetched.
    pub async fn execute_cursor(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        rows_per_fetch: u32,
    ) -> Result<QueryResult<'_>, Error> {
        self.ready().await?;
        self.engine
            .start_execute_cursor(stmt, params, rows_per_fetch)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step()).await?;
        Ok(QueryResult::new(self, id))
    }

    /// Executes `stmt` once per row of `rows` (each row one value per `?`) and adds up the
    /// OKs. On MariaDB this is COM_STMT_BULK_EXECUTE: the rows go in as few commands as fit
    /// ([`crate::proto::BULK_CHUNK_BYTES`] each), one round trip per command. Elsewhere, or
    /// with the `bulk` option off, one COM_STMT_EXECUTE per row, pipelined. Every row's width
    /// is checked before anything is sent. A server error is [`Error::Batch`]: the first
    /// error, the rows it concerns and what the rest did (commands not yet sent are dropped).
    /// Rows of result sets are skipped.
    pub async fn exec_batch<'p, R: AsRef<[&'p dyn ToParam]>>(
        &mut self,
        stmt: &Statement,
        rows: &[R],
    ) -> Result<BatchResult, Error> {
        self.ready().await?;
        let mut b = self.engine.start_exec_batch(stmt, rows, self.opts.bulk)?;
        self.drive(|e| e.exec_batch_step(&mut b, stmt, rows))
            .await?;
        b.finish()
    }

    /// COM_STMT_RESET: drops long data sent for `stmt` and closes its cursor.
    pub async fn reset_statement(&mut self, stmt: &Statement) -> Result<(), Error> {
        self.ready().await?;
        self.engine.start_reset_statement(stmt)?;
        self.respond(|e| e.simple_step()).await
    }

    /// COM_STMT_CLOSE: deallocates `stmt` on the server (no response is sent).
    pub async fn close_statement(&mut self, stmt: Statement) -> Result<(), Error> {
        self.ready().await?;
        self.engine.start_close_statement(&stmt)?;
        self.flush().await
    }

    /// Sends one COM_STMT_EXECUTE of `stmt` per row of `rows` without waiting for the
    /// responses (like [`Session::pipeline`] for queries) and returns them in order, each a
    /// result whose binary rows are streamed as usual. Rows of the wrong width are refused
    /// before anything is sent.
    pub async fn pipeline_executes<'p, R: AsRef<[&'p dyn ToParam]>>(
        &mut self,
        stmt: &Statement,
        rows: &[R],
    ) -> Result<Pipeline<'_>, Error> {
        self.ready().await?;
        let cursor = self.engine.queue_pipeline_executes(stmt, rows)?;
        self.top_up().await?;
        Ok(Pipeline::new(self, cursor))
    }
}
