//! Connecting the async session: opening the TCP or Unix socket (one host or several), then
//! the handshake, TLS and authentication on it.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::error::Error;
use crate::proto::ConnectEvent;
use crate::trace::Tracer;

use super::super::hosts;
use super::super::options::Options;
use super::super::setup::{connect_error, prepare, TlsSetup};
use super::super::stream::Stream;
use super::super::tls;
use super::{cancel, Session};

async fn with_timeout<T>(
    limit: Option<Duration>,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match limit {
        Some(d) => tokio::time::timeout(d, fut)
            .await
            .map_err(|_| Error::Timeout(what))?,
        None => fut.await,
    }
}

/// The stream a connect opened, through the caller's [`Options::transport`] if any.
fn adapt(opts: &Options, s: Stream) -> Result<Stream, Error> {
    match &opts.transport {
        None => Ok(s),
        Some(t) => (t.0)(s).map_err(|e| connect_error(opts, e)),
    }
}

impl Session {
    /// Connects over TCP or the Unix socket named in `opts`, and authenticates.
    ///
    /// With several hosts ([`Options::hosts`]) it tries them in the order of
    /// `host_selection`, hosts that failed recently last, and uses the first that connects and
    /// is ready (a Galera node not ready, ERR 1047, or a read-only server with
    /// `require_writable`, is skipped); all failing, the last error is returned.
    pub async fn connect(opts: Options) -> Result<Session, Error> {
        if opts.hosts.len() > 1 {
            return Box::pin(Self::connect_any(opts)).await;
        }
        Self::connect_traced(opts, None).await
    }

    async fn connect_any(opts: Options) -> Result<Session, Error> {
        let mut last = None;
        for (h, p) in hosts::order(&opts) {
            match Self::connect_traced(hosts::for_host(&opts, &h, p), None).await {
                Ok(mut s) => {
                    let probe = s
                        .query_first::<(Option<i64>,)>(hosts::PROBE)
                        .await
                        .map(|r| r.and_then(|(v,)| v));
                    match hosts::judge(&s.opts, probe) {
                        Ok(()) => {
                            hosts::succeeded(&h, p);
                            return Ok(s);
                        }
                        Err(e) => {
                            hosts::failed(&h, p);
                            let _ = s.close().await;
                            last = Some(e);
                        }
                    }
                }
                Err(e) => {
                    hosts::failed(&h, p);
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Config("host: no host to connect to".into())))
    }

    /// Like [`Session::connect`], with a tracer that sees every packet from the greeting on.
    /// It connects to `host` and `port` only (the first of several hosts).
    pub async fn connect_traced(
        opts: Options,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Session, Error> {
        let limit = opts.connect_timeout;
        // Boxed: the connect future is large, and a future is copied whole each time it is
        // moved (into the timeout, into the caller's own future).
        with_timeout(
            limit,
            "connect",
            Box::pin(async move {
                let stream = Self::open(&opts).await?;
                Self::handshake_on(stream, opts, tracer).await
            }),
        )
        .await
    }

    async fn open(opts: &Options) -> Result<Stream, Error> {
        let wrap = |e| connect_error(opts, e);
        if let Some(path) = &opts.socket {
            #[cfg(unix)]
            {
                let s = tokio::net::UnixStream::connect(path).await.map_err(wrap)?;
                return adapt(opts, Stream::Unix(s));
            }
            #[cfg(not(unix))]
            {
                let _ = path;
                return Err(Error::Config(
                    "socket: Unix sockets are not available on this platform".into(),
                ));
            }
        }
        let s = tokio::net::TcpStream::connect((opts.host.as_str(), opts.port))
            .await
            .map_err(wrap)?;
        s.set_nodelay(true).map_err(wrap)?;
        if let Some(idle) = opts.tcp_keepalive {
            super::super::stream::set_tcp_keepalive(&s, idle).map_err(wrap)?;
        }
        adapt(opts, Stream::Tcp(s))
    }

    /// Runs the handshake and authentication on an already connected stream (any duplex stream:
    /// tests and fuzzing use in-memory ones). Applies no timeout of its own.
    pub async fn handshake_on(
        stream: Stream,
        opts: Options,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Session, Error> {
        let (mut engine, mut setup) = prepare(&opts, stream.is_unix())?;
        engine.set_tracer(tracer);
        let mut s = Session {
            stream,
            engine,
            opts,
            tls: false,
            flush_owed: false,
            rollback_owed: false,
            killer: None,
            infile_src: None,
        };
        match s.run_connect(&mut setup).await {
            Ok(()) => {
                if s.opts.kill_on_cancel {
                    s.killer = Some(cancel::Killer::new(&s.opts, s.connection_id()));
                }
                Ok(s)
            }
            Err(e) => {
                let _ = s.stream.shutdown().await;
                Err(e)
            }
        }
    }

    async fn run_connect(&mut self, setup: &mut TlsSetup) -> Result<(), Error> {
        loop {
            match self.drive(|e| e.connect_step()).await? {
                ConnectEvent::Connected => return Ok(()),
                ConnectEvent::StartTls => {
                    let config = setup.client_config(&self.opts)?;
                    let name = tls::server_name(&self.opts, self.stream.is_unix())?;
                    let plain = std::mem::replace(
                        &mut self.stream,
                        Stream::Other(Box::new(tokio::io::empty())),
                    );
                    let connector = tokio_rustls::TlsConnector::from(config);
                    // Boxed: the TLS handshake future is large, and keeping it inline would
                    // make every connect future (TLS or not) that much larger to move around.
                    let stream = Box::pin(connector.connect(name, plain))
                        .await
                        .map_err(|e| tls::handshake_error(e, &self.opts, setup.mode))?;
                    self.stream = Stream::Tls(Box::new(stream));
                    self.tls = true;
                    self.engine.tls_established()?;
                }
            }
        }
    }
}
