//! How `mywire.aio` runs mywire's async session on an asyncio event loop.
//!
//! Each operation is a Rust future polled **on the loop's thread**, inside callbacks of the
//! loop, and an asyncio future the loop's coroutines await. The session's socket is watched
//! by the loop's own selector ([`LoopSocket`], installed with [`Options::transport`]): when it
//! becomes readable the loop calls us, we wake the waiting operation and poll it right there.
//! A round trip therefore involves no other thread, as in a pure asyncio driver.
//!
//! A tokio runtime on one thread of ours is still there for what the session needs of tokio
//! besides its socket: the connect itself (DNS, the TCP or Unix connect, before the socket is
//! handed to the loop) and timers (`connect_timeout`, `read_timeout`). What it wakes is
//! queued, and the loop is told with one byte on a socket pair it watches. No thread but the
//! loop's ever takes the GIL.

use std::collections::HashMap;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{intern, IntoPyObjectExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::runtime::Handle;

use mywire::session::Stream;
use mywire::Options;

use crate::{interface_error, to_py};

/// Why an operation failed, in plain Rust (converted to a Python exception on completion).
pub(crate) enum Fail {
    Db(mywire::Error),
    Interface(String),
    /// Made on the loop's thread (a row that would not convert).
    Py(PyErr),
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
            Fail::Py(e) => e,
        }
    }
}

/// What an operation ended with, turned into a Python object by the loop.
type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

type TaskFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind: keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The tasks that were woken, and the socket pair that tells the loop about wakes from other
/// threads.
struct Core {
    ready: Mutex<Vec<u64>>,
    /// A wake byte is on its way and the loop has not run the ready tasks since.
    armed: AtomicBool,
    /// True while the loop's thread runs ready tasks (a wake then needs no byte).
    running: AtomicBool,
    loop_thread: ThreadId,
    tx: UnixStream,
}

impl Core {
    fn wake(&self, id: u64) {
        lock(&self.ready).push(id);
        if self.running.load(Ordering::Acquire) && std::thread::current().id() == self.loop_thread {
            return;
        }
        if !self.armed.swap(true, Ordering::AcqRel) {
            // Non-blocking: a full socket already holds a wake byte for the loop.
            let _ = (&self.tx).write(&[1]);
        }
    }
}

struct TaskWaker {
    id: u64,
    core: Arc<Core>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.core.wake(self.id);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.core.wake(self.id);
    }
}

struct Task {
    fut: TaskFuture,
    waker: Waker,
    /// The asyncio future the outcome goes to.
    result: Py<PyAny>,
}

/// The bridge of one event loop: its tasks and its wake socket.
#[pyclass(module = "mywire._mywire", name = "_Bridge", frozen)]
pub(crate) struct Bridge {
    core: Arc<Core>,
    rx: UnixStream,
    tasks: Mutex<HashMap<u64, Task>>,
    next: AtomicU64,
    /// `weakref.ref(loop)`.
    owner: Py<PyAny>,
}

#[pymethods]
impl Bridge {
    /// The wake socket's reader callback: runs the tasks woken from other threads.
    fn _wake(&self, py: Python<'_>) -> PyResult<()> {
        let mut sink = [0u8; 64];
        loop {
            match (&self.rx).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        // Disarm before running: a wake from another thread after this writes a new byte.
        self.core.armed.store(false, Ordering::Release);
        self.run_ready(py)
    }
}

impl Bridge {
    /// Polls every woken task (and those woken meanwhile) on the loop's thread; a task that
    /// finishes completes its asyncio future, unless that was cancelled.
    fn run_ready(&self, py: Python<'_>) -> PyResult<()> {
        self.core.running.store(true, Ordering::Release);
        let r = self.run_ready_inner(py);
        self.core.running.store(false, Ordering::Release);
        r
    }

    fn run_ready_inner(&self, py: Python<'_>) -> PyResult<()> {
        let handle = runtime()?;
        let _in_runtime = handle.enter();
        loop {
            let ids = std::mem::take(&mut *lock(&self.core.ready));
            if ids.is_empty() {
                return Ok(());
            }
            for id in ids {
                // Out of the map while it runs: a wake during its poll only queues its id.
                let Some(mut task) = lock(&self.tasks).remove(&id) else {
                    continue;
                };
                let result = task.result.bind(py);
                if result.call_method0(intern!(py, "cancelled"))?.is_truthy()? {
                    // Dropped here, on the loop's thread: the session finishes or discards
                    // the abandoned response before its next command.
                    continue;
                }
                let mut cx = Context::from_waker(&task.waker);
                match task.fut.as_mut().poll(&mut cx) {
                    Poll::Pending => {
                        lock(&self.tasks).insert(id, task);
                    }
                    Poll::Ready(out) => {
                        let result = task.result.bind(py);
                        match out(py) {
                            Ok(v) => result.call_method1(intern!(py, "set_result"), (v,))?,
                            Err(e) => result
                                .call_method1(intern!(py, "set_exception"), (e.into_value(py),))?,
                        };
                    }
                }
            }
        }
    }

    /// Drops the task `id` if it has not finished (its future was cancelled).
    pub(crate) fn abandon(&self, id: u64) {
        let task = lock(&self.tasks).remove(&id);
        drop(task);
    }
}

/// The runtime thread: one current-thread tokio runtime for what the sessions need of tokio
/// besides their sockets (connecting, timers).
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
            core: Arc::new(Core {
                ready: Mutex::new(Vec::new()),
                armed: AtomicBool::new(false),
                running: AtomicBool::new(false),
                loop_thread: std::thread::current().id(),
                tx,
            }),
            rx,
            tasks: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            owner,
        },
    )?;
    lp.call_method1("add_reader", (fd, b.getattr(py, "_wake")?))?;
    bridges.set_item(&lp, &b)?;
    Ok(b)
}

/// Starts `work` on the loop: polls it once now (a command is on its way before this
/// returns), then whenever it is woken. Returns its asyncio future and its task id.
pub(crate) fn spawn<'py, W, T>(
    py: Python<'py>,
    bridge: &Py<Bridge>,
    work: W,
) -> PyResult<(Bound<'py, PyAny>, u64)>
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
    let result = lp.call_method0(intern!(py, "create_future"))?;
    let id = b.next.fetch_add(1, Ordering::Relaxed);
    let fut: TaskFuture = Box::pin(async move {
        let r = work.await;
        Box::new(move |py: Python<'_>| match r {
            Ok(v) => v.into_py_any(py),
            Err(e) => Err(e.into_py()),
        }) as Outcome
    });
    let waker = Waker::from(Arc::new(TaskWaker {
        id,
        core: Arc::clone(&b.core),
    }));
    lock(&b.tasks).insert(
        id,
        Task {
            fut,
            waker,
            result: result.clone().unbind(),
        },
    );
    lock(&b.core.ready).push(id);
    b.run_ready(py)?;
    Ok((result, id))
}

/// Options whose TCP or Unix socket, once connected, is driven by the running loop.
pub(crate) fn on_loop(py: Python<'_>, bridge: &Py<Bridge>, opts: Options) -> PyResult<Options> {
    let lp = running_loop(py)?.unbind();
    let bridge = bridge.clone_ref(py);
    Ok(opts.transport(move |s| {
        let sock = match s {
            Stream::Tcp(t) => Sock::Tcp(t.into_std()?),
            Stream::Unix(u) => Sock::Unix(u.into_std()?),
            other => return Ok(other),
        };
        Python::attach(|py| LoopSocket::new(py, sock, &lp, &bridge))
            .map(|s| Stream::Other(Box::new(s)))
            .map_err(|e| std::io::Error::other(e.to_string()))
    }))
}

/// A connected socket, non-blocking.
#[derive(Debug)]
enum Sock {
    Tcp(std::net::TcpStream),
    Unix(UnixStream),
}

impl Sock {
    fn fd(&self) -> RawFd {
        match self {
            Sock::Tcp(s) => s.as_raw_fd(),
            Sock::Unix(s) => s.as_raw_fd(),
        }
    }

    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Sock::Tcp(s) => (&*s).read(buf),
            Sock::Unix(s) => (&*s).read(buf),
        }
    }

    fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sock::Tcp(s) => (&*s).write(buf),
            Sock::Unix(s) => (&*s).write(buf),
        }
    }

    fn shutdown(&self) -> std::io::Result<()> {
        match self {
            Sock::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Sock::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        }
    }
}

/// One direction of a socket the loop watches: who waits for it, and whether the loop's
/// selector has it.
#[derive(Default)]
struct Direction {
    waiter: Mutex<Option<Waker>>,
    watched: AtomicBool,
}

/// The loop's callbacks of one socket.
#[pyclass(module = "mywire._mywire", name = "_SocketWatch", frozen)]
struct Watch {
    fd: RawFd,
    read: Direction,
    write: Direction,
    lp: Py<PyAny>,
    bridge: Py<Bridge>,
}

#[pymethods]
impl Watch {
    fn _readable(&self, py: Python<'_>) -> PyResult<()> {
        self.ready(py, &self.read, "remove_reader")
    }

    fn _writable(&self, py: Python<'_>) -> PyResult<()> {
        self.ready(py, &self.write, "remove_writer")
    }
}

impl Watch {
    /// The socket is ready in one direction: wake whoever waits and run it now; with nobody
    /// waiting, stop watching (a readable socket nobody reads would call us in a loop).
    fn ready(&self, py: Python<'_>, d: &Direction, remove: &str) -> PyResult<()> {
        // Taken out first: the guard must not live while the woken task runs (it waits here
        // again).
        let waiter = lock(&d.waiter).take();
        match waiter {
            Some(w) => {
                w.wake();
                self.bridge.get().run_ready(py)
            }
            None => {
                d.watched.store(false, Ordering::Release);
                self.lp.bind(py).call_method1(remove, (self.fd,))?;
                Ok(())
            }
        }
    }

    /// Waits for `d`: the waker is kept, and the loop watches the socket if it did not.
    fn wait(
        slf: &Py<Watch>,
        d: &Direction,
        cx: &Context<'_>,
        add: &str,
        cb: &str,
    ) -> std::io::Result<()> {
        *lock(&d.waiter) = Some(cx.waker().clone());
        if d.watched.load(Ordering::Acquire) {
            return Ok(());
        }
        Python::attach(|py| {
            let w = slf.get();
            let callback = slf.getattr(py, cb)?;
            w.lp.bind(py).call_method1(add, (w.fd, callback))?;
            d.watched.store(true, Ordering::Release);
            Ok::<_, PyErr>(())
        })
        .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// The session's socket, driven by the loop's selector.
struct LoopSocket {
    sock: Sock,
    watch: Py<Watch>,
}

impl std::fmt::Debug for LoopSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopSocket")
            .field("sock", &self.sock)
            .finish()
    }
}

impl LoopSocket {
    fn new(py: Python<'_>, sock: Sock, lp: &Py<PyAny>, bridge: &Py<Bridge>) -> PyResult<Self> {
        let watch = Py::new(
            py,
            Watch {
                fd: sock.fd(),
                read: Direction::default(),
                write: Direction::default(),
                lp: lp.clone_ref(py),
                bridge: bridge.clone_ref(py),
            },
        )?;
        Ok(LoopSocket { sock, watch })
    }
}

impl LoopSocket {
    /// One non-blocking read (`reading`) or write: retried when interrupted; when it would
    /// block, the waker is kept and the loop watches the socket for that direction.
    fn step<T>(
        &mut self,
        cx: &Context<'_>,
        reading: bool,
        mut op: impl FnMut(&Sock) -> std::io::Result<T>,
    ) -> Poll<std::io::Result<T>> {
        loop {
            match op(&self.sock) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let w = self.watch.get();
                    let waited = if reading {
                        Watch::wait(&self.watch, &w.read, cx, "add_reader", "_readable")
                    } else {
                        Watch::wait(&self.watch, &w.write, cx, "add_writer", "_writable")
                    };
                    return match waited {
                        Ok(()) => Poll::Pending,
                        Err(e) => Poll::Ready(Err(e)),
                    };
                }
                r => return Poll::Ready(r),
            }
        }
    }
}

impl Drop for LoopSocket {
    fn drop(&mut self) {
        // The loop's selector must forget the descriptor before it is closed (a later socket
        // with the same number would otherwise be taken for this one).
        let w = self.watch.get();
        let (r, wr) = (
            w.read.watched.load(Ordering::Acquire),
            w.write.watched.load(Ordering::Acquire),
        );
        if r || wr {
            let _ = Python::try_attach(|py| {
                let lp = w.lp.bind(py);
                if r {
                    let _ = lp.call_method1("remove_reader", (w.fd,));
                }
                if wr {
                    let _ = lp.call_method1("remove_writer", (w.fd,));
                }
            });
        }
    }
}

impl AsyncRead for LoopSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let n = std::task::ready!(this.step(cx, true, |s| s.read(buf.initialize_unfilled())))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for LoopSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().step(cx, false, |s| s.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.sock.shutdown())
    }
}
