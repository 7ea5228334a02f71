//! `mywire._mywire.AsyncSession`: mywire's async session (tokio) for asyncio.
//!
//! Each method returns an asyncio awaitable (pyo3-async-runtimes bridges the tokio future to
//! the running event loop); the session lives behind an async mutex, one operation at a time,
//! and a second operation started while one runs is an error, never a wait in the dark. Rows
//! are read as zero-copy packets without the GIL and become Python objects when the awaitable
//! completes, by the same conversion the blocking `Session` uses.

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyList;
use tokio::sync::Mutex;

use mywire::session::ResultTicket;
use mywire::{Session, ToParam};

use crate::{head_of, interface_error, options_of, params_of, to_py, tracer_of, Columns, RowBatch};

/// The result being read.
struct Current {
    ticket: ResultTicket,
    columns: Arc<Columns>,
}

struct Inner {
    s: Option<Session>,
    cur: Option<Current>,
}

impl Inner {
    fn session(&mut self) -> PyResult<&mut Session> {
        self.s
            .as_mut()
            .ok_or_else(|| interface_error("the connection is closed"))
    }
}

/// mywire's async session, for `mywire.aio`.
#[pyclass(module = "mywire._mywire", name = "AsyncSession")]
pub(crate) struct PyAsyncSession {
    inner: Arc<Mutex<Inner>>,
}

type Shared = Arc<Mutex<Inner>>;

fn busy() -> PyErr {
    interface_error("another operation is in progress on this connection (one at a time)")
}

/// Runs `f` on the session once the lock is free, as an awaitable.
fn run<'py, F, Fut, T>(py: Python<'py>, inner: &Shared, f: F) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce(tokio::sync::OwnedMutexGuard<Inner>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let inner = Arc::clone(inner);
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let guard = inner.try_lock_owned().map_err(|_| busy())?;
        f(guard).await
    })
}

#[pymethods]
impl PyAsyncSession {
    /// Connects (an awaitable of the session): the arguments of `Session`.
    #[staticmethod]
    #[pyo3(signature = (url=None, options=Vec::new(), trace=None, trace_format="text"))]
    fn connect<'py>(
        py: Python<'py>,
        url: Option<&str>,
        options: Vec<(String, String)>,
        trace: Option<&str>,
        trace_format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = options_of(url, &options)?;
        let tracer = tracer_of(trace, trace_format)?;
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let s = match tracer {
                None => Session::connect(opts).await,
                Some(t) => Session::connect_traced(opts, Some(t)).await,
            }
            .map_err(to_py)?;
            Ok(PyAsyncSession {
                inner: Arc::new(Mutex::new(Inner {
                    s: Some(s),
                    cur: None,
                })),
            })
        })
    }

    /// COM_QUERY: an awaitable of the first result's head.
    fn query<'py>(&self, py: Python<'py>, sql: String) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, |mut g| async move {
            g.cur = None;
            let s = g.session()?;
            let r = s.query(&sql).await.map_err(to_py)?;
            let (head, columns) = head_of(r.columns(), r.ok(), r.has_more_results());
            let ticket = r.detach();
            g.cur = Some(Current { ticket, columns });
            Ok(head)
        })
    }

    /// A cached prepared statement executed with `params`: an awaitable of the head.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = params_of(params)?;
        run(py, &self.inner, |mut g| async move {
            g.cur = None;
            let s = g.session()?;
            let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
            let r = s.exec(&sql, &refs).await.map_err(to_py)?;
            let (head, columns) = head_of(r.columns(), r.ok(), r.has_more_results());
            let ticket = r.detach();
            g.cur = Some(Current { ticket, columns });
            Ok(head)
        })
    }

    /// One statement for many rows of parameters: an awaitable of `(affected_rows,
    /// last_insert_id, warnings)`.
    fn execute_many<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        rows: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut all = Vec::new();
        for row in rows.try_iter()? {
            all.push(params_of(&row?)?);
        }
        run(py, &self.inner, |mut g| async move {
            g.cur = None;
            let s = g.session()?;
            let refs: Vec<Vec<&dyn ToParam>> = all
                .iter()
                .map(|r| r.iter().map(|p| p as &dyn ToParam).collect())
                .collect();
            let stmt = s.prepare(&sql).await.map_err(to_py)?;
            let r = s.exec_batch(&stmt, &refs).await;
            let closed = s.close_statement(stmt).await;
            let r = r.map_err(to_py)?;
            closed.map_err(to_py)?;
            Ok((r.affected_rows, r.last_insert_id, r.warnings))
        })
    }

    /// Up to `max` rows of the current result set (all for None): an awaitable of a list of
    /// tuples, empty at the end.
    #[pyo3(signature = (max=None))]
    fn fetch<'py>(&self, py: Python<'py>, max: Option<usize>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, move |mut g| async move {
            let Some((ticket, columns)) =
                g.cur.as_ref().map(|c| (c.ticket, Arc::clone(&c.columns)))
            else {
                return Ok(RowBatch {
                    packets: Vec::new(),
                    binary: false,
                    columns: Arc::new(Columns::new(&[])),
                });
            };
            let s = g.session()?;
            let mut r = s.resume(ticket);
            let want = max.unwrap_or(usize::MAX);
            let mut packets: Vec<Bytes> = Vec::with_capacity(want.min(256));
            let mut binary = false;
            if !columns.defs.is_empty() {
                while packets.len() < want {
                    match r.next_row().await.map_err(to_py)? {
                        Some(row) => {
                            binary = row.is_binary();
                            packets.push(row.packet());
                        }
                        None => break,
                    }
                }
            }
            Ok(RowBatch {
                packets,
                binary,
                columns,
            })
        })
    }

    /// Skips the rest of the current result and reads the next head: an awaitable of the head,
    /// or None when there is no further result.
    fn next_result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, |mut g| async move {
            let Some(cur) = g.cur.take() else {
                return Ok(None);
            };
            let s = g.session()?;
            let mut r = s.resume(cur.ticket);
            if !r.next_result().await.map_err(to_py)? {
                return Ok(None);
            }
            let (head, columns) = head_of(r.columns(), r.ok(), r.has_more_results());
            g.cur = Some(Current {
                ticket: cur.ticket,
                columns,
            });
            Ok(Some(head))
        })
    }

    /// Reads and discards what is left of the current response.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, |mut g| async move {
            let Some(cur) = g.cur.take() else {
                return Ok(());
            };
            let s = g.session()?;
            s.resume(cur.ticket).drain().await.map_err(to_py)
        })
    }

    /// COM_PING.
    fn ping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, |mut g| async move {
            g.cur = None;
            g.session()?.ping().await.map_err(to_py)
        })
    }

    /// COM_QUIT and close (a second close does nothing).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = Arc::clone(&self.inner);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            // Waits for a running operation: closing is never refused.
            let mut g = inner.lock().await;
            g.cur = None;
            match g.s.take() {
                Some(s) => s.close().await.map_err(to_py),
                None => Ok(()),
            }
        })
    }

    /// Closes without COM_QUIT, now (for a pool that gives up on a connection).
    fn terminate(&self) {
        if let Ok(mut g) = self.inner.try_lock() {
            g.cur = None;
            g.s = None;
        }
    }

    /// `(affected_rows, last_insert_id, warnings)` of the latest OK.
    fn last_ok(&self) -> PyResult<(u64, u64, u16)> {
        self.with(|s| {
            let ok = s.last_ok();
            (ok.affected_rows, ok.last_insert_id, ok.warnings)
        })
    }

    /// SERVER_STATUS_* of the latest OK/EOF.
    fn status(&self) -> PyResult<u16> {
        self.with(|s| s.status().bits())
    }

    fn in_transaction(&self) -> PyResult<bool> {
        self.with(|s| s.status().contains(mywire::codec::StatusFlags::IN_TRANS))
    }

    fn autocommit(&self) -> PyResult<bool> {
        self.with(|s| s.status().contains(mywire::codec::StatusFlags::AUTOCOMMIT))
    }

    fn no_backslash_escapes(&self) -> PyResult<bool> {
        self.with(|s| {
            s.status()
                .contains(mywire::codec::StatusFlags::NO_BACKSLASH_ESCAPES)
        })
    }

    fn server_version(&self) -> PyResult<String> {
        self.with(|s| s.server_version().to_string())
    }

    fn connection_id(&self) -> PyResult<u32> {
        self.with(|s| s.connection_id())
    }

    fn is_tls(&self) -> PyResult<bool> {
        self.with(|s| s.is_tls())
    }

    /// True once closed or broken.
    fn is_closed(&self) -> bool {
        match self.inner.try_lock() {
            Ok(g) => g.s.as_ref().is_none_or(|s| s.is_broken()),
            // Busy: open.
            Err(_) => false,
        }
    }

    /// `(name, type, flags, charset, table, org_name, org_table, schema)` of each column.
    fn column_info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let g = self.inner.try_lock().map_err(|_| busy())?;
        let items = g
            .cur
            .as_ref()
            .map(|c| crate::column_info_of(&c.columns))
            .unwrap_or_default();
        PyList::new(py, items)
    }
}

impl PyAsyncSession {
    /// `f` on the idle session (an error while an operation runs or once closed).
    fn with<T>(&self, f: impl FnOnce(&Session) -> T) -> PyResult<T> {
        let g = self.inner.try_lock().map_err(|_| busy())?;
        match g.s.as_ref() {
            Some(s) => Ok(f(s)),
            None => Err(interface_error("the connection is closed")),
        }
    }
}
