//! The bridge between asyncio and the tokio runtime `mywire.aio` runs its sessions on.
//!
//! An operation is an asyncio future made on the running loop, and a tokio task on one runtime
//! thread of our own. The task never touches Python: it posts its outcome (plain Rust values)
//! to the loop's mailbox and writes one byte to a socket the loop watches (`add_reader`); the
//! loop's callback, on the loop's thread with the GIL, turns the outcomes into Python objects
//! and completes the futures. No foreign thread ever takes the GIL, so nothing can race the
//! interpreter's shutdown, and no operation waits for the GIL on another thread.
//!
//! Cost per operation: a future, a map entry, a task; one wake byte per burst of completions.

use std::collections::HashMap;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{intern, IntoPyObjectExt};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::{interface_error, to_py};

/// Why an operation failed, in plain Rust (a task has no GIL to build a Python exception).
pub(crate) enum Fail {
    Db(mywire::Error),
    Interface(String),
}

impl From<mywire::Error> for Fail {
    fn from(e: mywire::Error) -> Self {
        Fail::Db(e)
    }
}

impl Fail {
    fn into_py(self) -> PyErr {
        match self {
            Fail::Db(e) => to_py(e),
            Fail::Interface(m) => interface_error(m),
        }
    }
}

/// What an operation ended with, turned into a Python object on the loop's thread.
type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind: keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Outcomes waiting for the loop, and the socket that wakes it.
struct Mailbox {
    done: Mutex<Vec<(u64, Outcome)>>,
    /// A wake byte is on its way (or the loop has not emptied the mailbox yet).
    armed: AtomicBool,
    tx: UnixStream,
}

impl Mailbox {
    fn post(&self, id: u64, out: Outcome) {
        lock(&self.done).push((id, out));
        if !self.armed.swap(true, Ordering::AcqRel) {
            // Non-blocking: a full socket already holds a wake byte for the loop.
            let _ = (&self.tx).write(&[1]);
        }
    }
}

/// Posts an "aborted" outcome if the task ends without posting (it panicked, or it was
/// aborted because its future was cancelled, when nobody reads the outcome).
struct Posting {
    mailbox: Arc<Mailbox>,
    id: u64,
    posted: bool,
}

impl Posting {
    fn post(mut self, out: Outcome) {
        self.posted = true;
        self.mailbox.post(self.id, out);
    }
}

impl Drop for Posting {
    fn drop(&mut self) {
        if !self.posted {
            self.mailbox.post(
                self.id,
                Box::new(|_| Err(interface_error("the operation was aborted"))),
            );
        }
    }
}

/// The bridge of one event loop: its mailbox, the futures it owes, and the loop (weakly).
#[pyclass(module = "mywire._mywire", name = "_Bridge", frozen)]
pub(crate) struct Bridge {
    mailbox: Arc<Mailbox>,
    rx: UnixStream,
    pending: Mutex<HashMap<u64, Py<PyAny>>>,
    next: AtomicU64,
    /// `weakref.ref(loop)`.
    owner: Py<PyAny>,
}

#[pymethods]
impl Bridge {
    /// The loop's reader callback: completes the futures whose outcomes arrived.
    fn _wake(&self, py: Python<'_>) -> PyResult<()> {
        let mut sink = [0u8; 256];
        loop {
            match (&self.rx).read(&mut sink) {
                Ok(0) => break,
                Ok(n) if n < sink.len() => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        // Disarm before emptying: an outcome posted after the swap below writes a new byte.
        self.mailbox.armed.store(false, Ordering::Release);
        let outcomes = std::mem::take(&mut *lock(&self.mailbox.done));
        for (id, out) in outcomes {
            let Some(fut) = lock(&self.pending).remove(&id) else {
                continue;
            };
            let fut = fut.bind(py);
            if fut.call_method0(intern!(py, "cancelled"))?.is_truthy()? {
                continue;
            }
            match out(py) {
                Ok(v) => fut.call_method1(intern!(py, "set_result"), (v,))?,
                Err(e) => fut.call_method1(intern!(py, "set_exception"), (e.into_value(py),))?,
            };
        }
        Ok(())
    }
}

/// The runtime thread: one current-thread tokio runtime for every `mywire.aio` session.
fn runtime() -> PyResult<&'static Handle> {
    static RT: OnceLock<Result<Handle, String>> = OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("mywire-aio".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .map_err(|e| e.to_string())?;
        Ok(handle)
    })
    .as_ref()
    .map_err(|e| interface_error(format!("cannot start the async runtime: {e}")))
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET.import(py, "asyncio", "get_running_loop")?.call0()
}

/// The running loop's bridge, made and registered with the loop the first time.
pub(crate) fn bridge_for(py: Python<'_>) -> PyResult<Py<Bridge>> {
    static BRIDGES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let bridges = BRIDGES
        .get_or_try_init(py, || {
            py.import("weakref")?
                .getattr("WeakKeyDictionary")?
                .call0()
                .map(Bound::unbind)
        })?
        .bind(py);
    let lp = running_loop(py)?;
    if let Some(b) = bridges
        .call_method1("get", (&lp,))?
        .extract::<Option<Py<Bridge>>>()?
    {
        return Ok(b);
    }
    let (rx, tx) = UnixStream::pair().map_err(|e| interface_error(e.to_string()))?;
    rx.set_nonblocking(true)
        .and_then(|()| tx.set_nonblocking(true))
        .map_err(|e| interface_error(e.to_string()))?;
    let fd = rx.as_raw_fd();
    let owner = py
        .import("weakref")?
        .getattr("ref")?
        .call1((&lp,))?
        .unbind();
    let b = Py::new(
        py,
        Bridge {
            mailbox: Arc::new(Mailbox {
                done: Mutex::new(Vec::new()),
                armed: AtomicBool::new(false),
                tx,
            }),
            rx,
            pending: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            owner,
        },
    )?;
    lp.call_method1("add_reader", (fd, b.getattr(py, "_wake")?))?;
    bridges.set_item(&lp, &b)?;
    Ok(b)
}

/// Starts `work` on the runtime: returns its asyncio future (of the running loop, which must
/// be the bridge's) and the task's abort handle.
pub(crate) fn spawn<'py, W, T>(
    py: Python<'py>,
    bridge: &Py<Bridge>,
    work: W,
) -> PyResult<(Bound<'py, PyAny>, AbortHandle)>
where
    W: Future<Output = Result<T, Fail>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let b = bridge.get();
    let lp = running_loop(py)?;
    if !b.owner.bind(py).call0()?.is(&lp) {
        return Err(interface_error(
            "this connection belongs to another event loop",
        ));
    }
    let handle = runtime()?;
    let fut = lp.call_method0(intern!(py, "create_future"))?;
    let id = b.next.fetch_add(1, Ordering::Relaxed);
    lock(&b.pending).insert(id, fut.clone().unbind());
    let posting = Posting {
        mailbox: Arc::clone(&b.mailbox),
        id,
        posted: false,
    };
    let task = handle.spawn(async move {
        let r = work.await;
        posting.post(Box::new(move |py| match r {
            Ok(v) => v.into_py_any(py),
            Err(e) => Err(e.into_py()),
        }));
    });
    Ok((fut, task.abort_handle()))
}
