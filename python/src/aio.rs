//! `mywire._mywire.AsyncSession`: mywire's async session for asyncio.
//!
//! Each method returns an asyncio future of the running loop; the operation is a future of
//! the async session polled on the loop's thread, its socket watched by the loop's selector
//! (see [`crate::bridge`]). The session lives behind an async mutex, one operation at a time,
//! and a second operation started while one runs is an error, never a wait in the dark. An
//! operation whose future was cancelled is dropped when it is next woken or when the next one
//! starts (the session then finishes or discards its response first, as after any dropped
//! command). Rows become Python objects by the same conversion the blocking `Session` uses.

use std::sync::{Arc, Mutex as StdMutex};

use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::IntoPyObjectExt;
use tokio::sync::Mutex;

use mywire::session::{QueryResult, Received, ResultTicket};
use mywire::{Session, ToParam};

use crate::bridge::{bridge_for, on_loop, spawn, Bridge, Fail};
use crate::{head_of, interface_error, options_of, params_of, tracer_of, Columns, Head, RowBatch};

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
    fn session(&mut self) -> Result<&mut Session, Fail> {
        open(&mut self.s)
    }
}

fn open(s: &mut Option<Session>) -> Result<&mut Session, Fail> {
    s.as_mut()
        .ok_or_else(|| Fail::Interface("the connection is closed".into()))
}

/// mywire's async session, for `mywire.aio`.
#[pyclass(module = "mywire._mywire", name = "AsyncSession")]
pub(crate) struct PyAsyncSession {
    inner: Arc<Mutex<Inner>>,
    bridge: Py<Bridge>,
    /// The latest operation: its future and its task.
    last: StdMutex<Option<(Py<PyAny>, u64)>>,
}

fn busy() -> PyErr {
    interface_error("another operation is in progress on this connection (one at a time)")
}

#[pymethods]
impl PyAsyncSession {
    /// A session of the running loop, not connected yet (see `connect`).
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        Ok(PyAsyncSession {
            inner: Arc::new(Mutex::new(Inner { s: None, cur: None })),
            bridge: bridge_for(py)?,
            last: StdMutex::new(None),
        })
    }
    /// Connects (a future of None): the arguments of `Session`.
    #[pyo3(signature = (url=None, options=Vec::new(), trace=None, trace_format="text"))]
    fn connect<'py>(
        &self,
        py: Python<'py>,
        url: Option<&str>,
        options: Vec<(String, String)>,
        trace: Option<&str>,
        trace_format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = on_loop(py, &self.bridge, options_of(url, &options)?)?;
        let tracer = tracer_of(trace, trace_format)?;
        self.run(py, move |mut g| async move {
            if g.s.is_some() {
                return Err(Fail::Interface("already connected".into()));
            }
            let s = match tracer {
                None => Session::connect(opts).await,
                Some(t) => Session::connect_traced(opts, Some(t)).await,
            }?;
            g.s = Some(s);
            Ok(())
        })
    }

    /// COM_QUERY: a future of the first result's head; with `rows`, of `(head, rows)`, the
    /// whole first result set read in the same operation (None for a result without columns).
    #[pyo3(signature = (sql, rows=false))]
    fn query<'py>(&self, py: Python<'py>, sql: String, rows: bool) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |mut g| async move {
            let inner = &mut *g;
            inner.cur = None;
            let s = open(&mut inner.s)?;
            let r = s.query(&sql).await?;
            finish_head(&mut inner.cur, r, rows).await
        })
    }

    /// A cached prepared statement executed with `params`: a future of the head, or with
    /// `rows` of `(head, rows)`, as `query`.
    #[pyo3(signature = (sql, params, rows=false))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: &Bound<'py, PyAny>,
        rows: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = params_of(params)?;
        self.run(py, move |mut g| async move {
            let inner = &mut *g;
            inner.cur = None;
            let s = open(&mut inner.s)?;
            let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
            let r = s.exec(&sql, &refs).await?;
            finish_head(&mut inner.cur, r, rows).await
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
        self.run(py, |mut g| async move {
            g.cur = None;
            let s = g.session()?;
            let refs: Vec<Vec<&dyn ToParam>> = all
                .iter()
                .map(|r| r.iter().map(|p| p as &dyn ToParam).collect())
                .collect();
            let stmt = s.prepare(&sql).await?;
            let r = s.exec_batch(&stmt, &refs).await;
            let closed = s.close_statement(stmt).await;
            let r = r?;
            closed?;
            Ok((r.affected_rows, r.last_insert_id, r.warnings))
        })
    }

    /// Up to `max` rows of the current result set (all for None): an awaitable of a list of
    /// tuples, empty at the end.
    #[pyo3(signature = (max=None))]
    fn fetch<'py>(&self, py: Python<'py>, max: Option<usize>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |mut g| async move {
            let Some((ticket, columns)) =
                g.cur.as_ref().map(|c| (c.ticket, Arc::clone(&c.columns)))
            else {
                return Ok(Python::attach(|py| PyList::empty(py).unbind()));
            };
            let s = g.session()?;
            read_rows(&mut s.resume(ticket), columns, max.unwrap_or(usize::MAX)).await
        })
    }

    /// Skips the rest of the current result and reads the next head: an awaitable of the head,
    /// or None when there is no further result.
    fn next_result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |mut g| async move {
            let Some(cur) = g.cur.take() else {
                return Ok(None);
            };
            let s = g.session()?;
            let mut r = s.resume(cur.ticket);
            if !r.next_result().await? {
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
        self.run(py, |mut g| async move {
            let Some(cur) = g.cur.take() else {
                return Ok(());
            };
            let s = g.session()?;
            s.resume(cur.ticket).drain().await.map_err(Fail::from)
        })
    }

    /// COM_PING.
    fn ping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |mut g| async move {
            g.cur = None;
            g.session()?.ping().await.map_err(Fail::from)
        })
    }

    /// COM_QUIT and close (a second close does nothing).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Waits for a running operation: closing is never refused.
        self.start(py, true, |mut g| async move {
            g.cur = None;
            match g.s.take() {
                Some(s) => s.close().await.map_err(Fail::from),
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

/// What a command's head becomes: the head (the result is current, to be fetched), or with
/// `rows` the head and every row of its result set.
async fn finish_head(
    cur: &mut Option<Current>,
    mut r: QueryResult<'_>,
    rows: bool,
) -> Result<Headed, Fail> {
    let (head, columns) = head_of(r.columns(), r.ok(), r.has_more_results());
    let out = if !rows {
        Headed::Head(head)
    } else if columns.defs.is_empty() {
        Headed::WithRows(head, None)
    } else {
        let batch = read_rows(&mut r, Arc::clone(&columns), usize::MAX).await?;
        Headed::WithRows(head, Some(batch))
    };
    *cur = Some(Current {
        ticket: r.detach(),
        columns,
    });
    Ok(out)
}

/// A command's head, or its head and rows.
enum Headed {
    Head(Head),
    WithRows(Head, Option<Py<PyList>>),
}

impl<'py> IntoPyObject<'py> for Headed {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        match self {
            Headed::Head(h) => h.into_bound_py_any(py),
            Headed::WithRows(h, rows) => (h, rows).into_bound_py_any(py),
        }
    }
}

/// Up to `want` rows of the result set, as a list of tuples. The rows already received are
/// converted while the next ones arrive (this future runs on the loop's thread, which holds
/// the GIL while it polls), at most `BATCH` packets held at a time.
async fn read_rows(
    r: &mut QueryResult<'_>,
    columns: Arc<Columns>,
    want: usize,
) -> Result<Py<PyList>, Fail> {
    let out = Python::attach(|py| PyList::empty(py).unbind());
    if columns.defs.is_empty() {
        return Ok(out);
    }
    let mut pending = RowBatch {
        packets: Vec::with_capacity(want.min(256)),
        binary: false,
        columns,
    };
    let mut split = None;
    let mut convert = |pending: &mut RowBatch| {
        let r = Python::attach(|py| pending.append_to(py, out.bind(py), &mut split));
        pending.packets.clear();
        r.map_err(Fail::Py)
    };
    let mut n = 0usize;
    while n < want {
        let row = match r.next_row_received()? {
            Received::Row(row) => row,
            Received::End => break,
            Received::NotYet => {
                convert(&mut pending)?;
                match r.next_row().await? {
                    Some(row) => row,
                    None => break,
                }
            }
        };
        pending.binary = row.is_binary();
        pending.packets.push(row.packet());
        n += 1;
        if pending.packets.len() >= crate::BATCH {
            convert(&mut pending)?;
        }
    }
    convert(&mut pending)?;
    Ok(out)
}

impl PyAsyncSession {
    /// Runs `f` on the session (a future of its outcome); refused while an operation runs.
    fn run<'py, F, Fut, T>(&self, py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(tokio::sync::OwnedMutexGuard<Inner>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, Fail>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        self.start(py, false, f)
    }

    /// Starts `f` once the session is free. The latest operation's future tells whether one
    /// runs: not done, and this one is refused (or, with `wait`, queued behind it); cancelled,
    /// and its task is aborted (the lock then passes to this one when the task has let go).
    fn start<'py, F, Fut, T>(
        &self,
        py: Python<'py>,
        wait: bool,
        f: F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(tokio::sync::OwnedMutexGuard<Inner>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, Fail>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((fut, task)) = last.as_ref() {
            let fut = fut.bind(py);
            if fut.call_method0("done")?.is_truthy()? {
                if fut.call_method0("cancelled")?.is_truthy()? {
                    self.bridge.get().abandon(*task);
                }
            } else if !wait {
                return Err(busy());
            }
        }
        let inner = Arc::clone(&self.inner);
        let (fut, task) = spawn(py, &self.bridge, async move {
            let guard = inner.lock_owned().await;
            f(guard).await
        })?;
        *last = Some((fut.clone().unbind(), task));
        Ok(fut)
    }

    /// `f` on the idle session (an error while an operation runs or once closed).
    fn with<T>(&self, f: impl FnOnce(&Session) -> T) -> PyResult<T> {
        let g = self.inner.try_lock().map_err(|_| busy())?;
        match g.s.as_ref() {
            Some(s) => Ok(f(s)),
            None => Err(interface_error("the connection is closed")),
        }
    }
}
