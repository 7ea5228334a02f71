//! A blocking session: the same [`Session`](super::Session) over a blocking std socket, with
//! no async runtime.
//!
//! Every method here runs the async session's own code, so the protocol handling (state
//! machine, draining, broken state, TLS, tracing) is the same code path. What differs is the
//! transport: a [`Stream::Blocking`] socket performs each system call at once and returns
//! `Ready`, so each future completes in one poll and no reactor is involved. A command is then
//! one `send` and one blocking `recv`, as in a hand-written blocking client, instead of
//! `send`, `epoll_wait` and `recv` on an async runtime.
//!
//! Timeouts are socket timeouts here (`SO_RCVTIMEO` / `SO_SNDTIMEO`): `connect_timeout`
//! bounds the TCP connect and each read of the handshake, `read_timeout` and `write_timeout`
//! bound each read and write after it. A timeout ends the call with an I/O error
//! (`WouldBlock` or `TimedOut`) and breaks the session, as any I/O error does.
//!
//! ```no_run
//! # fn demo() -> Result<(), mywire::Error> {
//! use mywire::session::blocking::Session;
//! use mywire::Options;
//! let mut s = Session::connect(Options::from_url("mysql://root@127.0.0.1:3306/test")?)?;
//! let mut rs = s.query("SELECT 1 AS a")?;
//! while let Some(row) = rs.next_row()? {
//!     assert_eq!(row.get::<i64>(0)?, Some(1));
//! }
//! s.close()?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::net::ToSocketAddrs;
use std::task::{Context, Poll, Waker};

use super::connection::connect_error;
use super::stream::{BlockingSocket, Stream};
use super::{Options, Row};
use crate::codec::response::OkPacket;
use crate::codec::resultset::ColumnDefinition;
use crate::Error;

/// Drives a future of the async API to completion on a blocking session (one poll).
///
/// Every future of [`super::Session`], [`super::QueryResult`] and [`super::Pipeline`] completes
/// this way on a session opened by [`Session::connect`] (reach it with
/// [`Session::as_async_mut`]): `block_on(s.as_async_mut().pipeline(queries))??`. A future that
/// would have to wait (one on a stream that is not a blocking socket) is dropped, which a
/// session survives as it survives any cancelled call, and the result is an
/// [`Error::Usage`].
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, Error> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Ok(v),
        Poll::Pending => Err(Error::Usage(
            "blocking session: the operation would have waited (its stream is not a blocking \
             socket)"
                .into(),
        )),
    }
}

/// [`block_on`] for the session's own calls, which return `Result<T, Error>`.
fn run<T>(fut: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    block_on(fut)?
}

/// A blocking session. See the [module documentation](self).
///
/// It dereferences to the async [`super::Session`] for its accessors (`server_version`,
/// `status`, `last_ok`, …).
#[derive(Debug)]
pub struct Session {
    inner: super::Session,
    /// The options as given (the inner session's have no timeouts: those are the socket's).
    opts: Options,
}

impl std::ops::Deref for Session {
    type Target = super::Session;
    fn deref(&self) -> &super::Session {
        &self.inner
    }
}

fn open(opts: &Options) -> Result<BlockingSocket, Error> {
    if let Some(path) = &opts.socket {
        #[cfg(unix)]
        {
            let s = std::os::unix::net::UnixStream::connect(path)
                .map_err(|e| connect_error(opts, e))?;
            return Ok(BlockingSocket::unix(s));
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            return Err(Error::Config("Unix sockets are not available here".into()));
        }
    }
    let addrs = (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .map_err(|e| connect_error(opts, e))?;
    let mut last = None;
    for addr in addrs {
        let r = match opts.connect_timeout {
            Some(d) if !d.is_zero() => std::net::TcpStream::connect_timeout(&addr, d),
            _ => std::net::TcpStream::connect(addr),
        };
        match r {
            Ok(s) => {
                s.set_nodelay(true).map_err(|e| connect_error(opts, e))?;
                return Ok(BlockingSocket::tcp(s));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(connect_error(
        opts,
        last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host")
        }),
    ))
}

impl Session {
    /// Connects over TCP or the Unix socket named in `opts`, and authenticates.
    pub fn connect(opts: Options) -> Result<Session, Error> {
        let sock = open(&opts)?;
        // A zero timeout means "none" for the socket calls (which would refuse zero).
        let nonzero = |d: Option<std::time::Duration>| d.filter(|d| !d.is_zero());
        let handshake_limit = nonzero(opts.connect_timeout);
        if handshake_limit.is_some() {
            sock.set_read_timeout(handshake_limit)
                .map_err(|e| connect_error(&opts, e))?;
        }
        let mut inner_opts = opts.clone();
        inner_opts.connect_timeout = None;
        inner_opts.read_timeout = None;
        inner_opts.write_timeout = None;
        let inner = run(super::Session::handshake_on(
            Stream::Blocking(sock),
            inner_opts,
            None,
        ))?;
        let (read, write) = (nonzero(opts.read_timeout), nonzero(opts.write_timeout));
        if let Some(sock) = inner.stream().blocking_socket() {
            if read != handshake_limit {
                sock.set_read_timeout(read).map_err(Error::Io)?;
            }
            if write.is_some() {
                sock.set_write_timeout(write).map_err(Error::Io)?;
            }
        }
        Ok(Session { inner, opts })
    }

    /// The options this session was opened with (timeouts included).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The async session underneath, for what this type does not wrap (pipelining, raw
    /// packets, tracers): drive its futures with [`block_on`].
    pub fn as_async_mut(&mut self) -> &mut super::Session {
        &mut self.inner
    }

    /// COM_QUERY: the first result (an OK or a result set whose rows are then streamed).
    pub fn query(&mut self, sql: &str) -> Result<QueryResult<'_>, Error> {
        run(self.inner.query(sql)).map(QueryResult)
    }

    /// COM_QUERY, reading and discarding every result; returns the last OK.
    pub fn query_drop(&mut self, sql: &str) -> Result<OkPacket, Error> {
        run(self.inner.query_drop(sql))
    }

    /// COM_PING.
    pub fn ping(&mut self) -> Result<(), Error> {
        run(self.inner.ping())
    }

    /// COM_INIT_DB: makes `database` the default database.
    pub fn init_db(&mut self, database: &str) -> Result<(), Error> {
        run(self.inner.init_db(database))
    }

    /// COM_RESET_CONNECTION.
    pub fn reset(&mut self) -> Result<(), Error> {
        run(self.inner.reset())
    }

    /// COM_STATISTICS: the server's status line.
    pub fn statistics(&mut self) -> Result<String, Error> {
        run(self.inner.statistics())
    }

    /// Sends COM_QUIT and closes the connection.
    pub fn close(self) -> Result<(), Error> {
        run(self.inner.close())
    }
}

/// The response to a query on a blocking session: see [`super::QueryResult`].
#[derive(Debug)]
pub struct QueryResult<'s>(super::QueryResult<'s>);

impl QueryResult<'_> {
    /// The column definitions of the current result set (empty for an OK result).
    pub fn columns(&self) -> &[ColumnDefinition] {
        self.0.columns()
    }

    /// True if the current result is a result set (has columns).
    pub fn is_result_set(&self) -> bool {
        self.0.is_result_set()
    }

    /// The OK of the current result (see [`super::QueryResult::ok`]).
    pub fn ok(&self) -> &OkPacket {
        self.0.ok()
    }

    /// Affected rows of the latest OK.
    pub fn affected_rows(&self) -> u64 {
        self.0.affected_rows()
    }

    /// Last insert id of the latest OK.
    pub fn last_insert_id(&self) -> u64 {
        self.0.last_insert_id()
    }

    /// The next row (a view into the received packet), or `None` at the end of the current
    /// result set.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, Error> {
        run(self.0.next_row())
    }

    /// True if another result follows the current one (see
    /// [`super::QueryResult::has_more_results`]).
    pub fn has_more_results(&self) -> bool {
        self.0.has_more_results()
    }

    /// Skips the rest of the current result set and reads the head of the next result.
    /// Returns `false` when there is none.
    pub fn next_result(&mut self) -> Result<bool, Error> {
        run(self.0.next_result())
    }

    /// Reads and discards everything left of this response.
    pub fn drain(self) -> Result<(), Error> {
        run(self.0.drain())
    }
}
