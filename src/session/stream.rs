//! The byte stream under a session: TCP or a Unix socket, possibly wrapped in TLS.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;

/// A connected transport.
#[derive(Debug)]
pub enum Stream {
    /// TCP.
    Tcp(TcpStream),
    /// A Unix domain socket.
    #[cfg(unix)]
    Unix(UnixStream),
    /// TLS over one of the other variants (after the SSLRequest).
    Tls(Box<tokio_rustls::client::TlsStream<Stream>>),
    /// Any other duplex byte stream (in-memory tests, fuzzing).
    Other(Box<dyn Duplex>),
}

/// A connected blocking socket (TCP or Unix) under [`crate::session::blocking::Session`],
/// possibly carrying TLS (rustls's own blocking stream: an async TLS adapter over a blocking
/// socket would block in a read while the handshake still has bytes to write).
#[derive(Debug)]
pub struct BlockingSocket {
    io: BlockingIo,
}

#[derive(Debug)]
enum BlockingIo {
    Plain(StdSocket),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, StdSocket>>),
    /// A TLS handshake failed half-way: the socket is gone.
    Closed,
}

/// A blocking std socket.
#[derive(Debug)]
enum StdSocket {
    Tcp(std::net::TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl io::Read for StdSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            StdSocket::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            StdSocket::Unix(s) => s.read(buf),
        }
    }
}

impl io::Write for StdSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            StdSocket::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            StdSocket::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the socket was closed")
}

/// Retries a call interrupted by a signal.
fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

impl BlockingSocket {
    /// Wraps a connected blocking TCP socket.
    pub fn tcp(s: std::net::TcpStream) -> Self {
        Self::new(StdSocket::Tcp(s))
    }

    /// Wraps a connected blocking Unix socket.
    #[cfg(unix)]
    pub fn unix(s: std::os::unix::net::UnixStream) -> Self {
        Self::new(StdSocket::Unix(s))
    }

    fn new(sock: StdSocket) -> Self {
        BlockingSocket {
            io: BlockingIo::Plain(sock),
        }
    }

    fn socket(&self) -> Option<&StdSocket> {
        match &self.io {
            BlockingIo::Plain(s) => Some(s),
            BlockingIo::Tls(t) => Some(&t.sock),
            BlockingIo::Closed => None,
        }
    }

    /// Runs the TLS handshake on this socket (after the SSLRequest).
    pub(crate) fn start_tls(
        &mut self,
        config: std::sync::Arc<rustls::ClientConfig>,
        name: rustls_pki_types::ServerName<'static>,
    ) -> io::Result<()> {
        let BlockingIo::Plain(mut sock) = std::mem::replace(&mut self.io, BlockingIo::Closed)
        else {
            return Err(io::Error::other("TLS is already running on this socket"));
        };
        let mut conn = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
        while conn.is_handshaking() {
            retry(|| conn.complete_io(&mut sock))?;
        }
        self.io = BlockingIo::Tls(Box::new(rustls::StreamOwned::new(conn, sock)));
        Ok(())
    }

    /// True once TLS runs on the socket.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.io, BlockingIo::Tls(_))
    }

    /// Sets the socket's read timeout (`None`: block for ever).
    pub fn set_read_timeout(&self, d: Option<std::time::Duration>) -> io::Result<()> {
        match self.socket() {
            Some(StdSocket::Tcp(s)) => s.set_read_timeout(d),
            #[cfg(unix)]
            Some(StdSocket::Unix(s)) => s.set_read_timeout(d),
            None => Err(closed()),
        }
    }

    /// Sets the socket's write timeout (`None`: block for ever).
    pub fn set_write_timeout(&self, d: Option<std::time::Duration>) -> io::Result<()> {
        match self.socket() {
            Some(StdSocket::Tcp(s)) => s.set_write_timeout(d),
            #[cfg(unix)]
            Some(StdSocket::Unix(s)) => s.set_write_timeout(d),
            None => Err(closed()),
        }
    }

    pub(crate) fn is_unix(&self) -> bool {
        match self.socket() {
            Some(StdSocket::Tcp(_)) | None => false,
            #[cfg(unix)]
            Some(StdSocket::Unix(_)) => true,
        }
    }

    /// One blocking read straight into `dst` (the engine's receive buffer).
    pub(crate) fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        match &mut self.io {
            BlockingIo::Plain(s) => retry(|| s.read(dst)),
            BlockingIo::Tls(t) => retry(|| t.read(dst)),
            BlockingIo::Closed => Err(closed()),
        }
    }

    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use std::io::Write;
        match &mut self.io {
            BlockingIo::Plain(s) => retry(|| s.write(buf)),
            BlockingIo::Tls(t) => retry(|| t.write(buf)),
            BlockingIo::Closed => Err(closed()),
        }
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        use std::io::Write;
        match &mut self.io {
            BlockingIo::Plain(_) | BlockingIo::Closed => Ok(()),
            BlockingIo::Tls(t) => retry(|| t.flush()),
        }
    }

    pub(crate) fn shutdown(&mut self) -> io::Result<()> {
        use std::io::Write;
        if let BlockingIo::Tls(t) = &mut self.io {
            t.conn.send_close_notify();
            retry(|| t.flush())?;
        }
        let r = match self.socket() {
            Some(StdSocket::Tcp(s)) => s.shutdown(std::net::Shutdown::Write),
            #[cfg(unix)]
            Some(StdSocket::Unix(s)) => s.shutdown(std::net::Shutdown::Write),
            None => Ok(()),
        };
        match r {
            // The peer may have closed first.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }
}

/// An async byte stream in both directions.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Duplex for T {}

impl Stream {
    /// True for a Unix socket (a secure transport for cleartext passwords).
    pub fn is_unix(&self) -> bool {
        #[cfg(unix)]
        if matches!(self, Stream::Unix(_)) {
            return true;
        }
        if let Stream::Tls(t) = self {
            return t.get_ref().0.is_unix();
        }
        false
    }

    /// True when TLS is layered on the transport.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Other(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Other(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
            Stream::Other(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Other(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Turns TCP keepalive on with probes after `idle` without traffic (`tcp-keepalive`).
pub(crate) fn set_tcp_keepalive<S>(sock: &S, idle: std::time::Duration) -> std::io::Result<()>
where
    for<'a> socket2::SockRef<'a>: From<&'a S>,
{
    socket2::SockRef::from(sock).set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(idle))
}
