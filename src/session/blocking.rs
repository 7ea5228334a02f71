//! A blocking session: the protocol [`Engine`] driven over a blocking std socket, with no async
//! runtime and no futures.
//!
//! The driver is a small loop, like rustls's blocking `Stream` over its `ConnectionCommon`:
//! write what the engine queued, read straight into the engine's buffer, step the engine.
//! Connect, TLS upgrade, authentication, draining, the broken state and tracing are the
//! engine's, shared with the async [`super::Session`]. A command is one `send` and one blocking
//! `recv`, as in a hand-written blocking client.
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

use std::net::ToSocketAddrs;

use crate::codec::command::Command;
use crate::codec::frame::Frame;
use crate::codec::response::OkPacket;
use crate::proto::{ConnectEvent, Engine, InfileWant, Step};
use crate::trace::Tracer;
use crate::Error;

use super::setup::{change_user_config, connect_error, prepare, with_login};
use super::stream::BlockingSocket;
use super::{tls, Options};

mod helpers;
mod result;
mod stmt;
mod transaction;

pub use result::{Pipeline, QueryResult, Received, ResultTicket};
pub use transaction::Transaction;

/// A blocking session. See the [module documentation](self).
#[derive(Debug)]
pub struct Session {
    sock: BlockingSocket,
    engine: Engine,
    opts: Options,
    /// A [`Transaction`] was dropped without commit or rollback: the next command is preceded
    /// by a ROLLBACK.
    rollback_owed: bool,
    /// The LOCAL INFILE file being sent, between chunks.
    infile_src: Option<Box<super::infile::Source>>,
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
            return Err(Error::Config(
                "socket: Unix sockets are not available on this platform".into(),
            ));
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
                if let Some(idle) = opts.tcp_keepalive {
                    super::stream::set_tcp_keepalive(&s, idle)
                        .map_err(|e| connect_error(opts, e))?;
                }
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
    ///
    /// Several hosts ([`Options::hosts`]): as the async session's `connect` (order, back-off,
    /// not-ready and read-only hosts skipped).
    pub fn connect(opts: Options) -> Result<Session, Error> {
        if opts.hosts.len() > 1 {
            return Self::connect_any(opts);
        }
        Self::connect_traced(opts, None)
    }

    fn connect_any(opts: Options) -> Result<Session, Error> {
        let mut last = None;
        for (h, p) in super::hosts::order(&opts) {
            match Self::connect_traced(super::hosts::for_host(&opts, &h, p), None) {
                Ok(mut s) => {
                    let probe = s
                        .query_first::<(Option<i64>,)>(super::hosts::PROBE)
                        .map(|r| r.and_then(|(v,)| v));
                    match super::hosts::judge(&s.opts, probe) {
                        Ok(()) => {
                            super::hosts::succeeded(&h, p);
                            return Ok(s);
                        }
                        Err(e) => {
                            super::hosts::failed(&h, p);
                            let _ = s.close();
                            last = Some(e);
                        }
                    }
                }
                Err(e) => {
                    super::hosts::failed(&h, p);
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Config("host: no host to connect to".into())))
    }

    /// Like [`Session::connect`], with a tracer that sees every packet from the greeting on.
    /// It connects to `host` and `port` only (the first of several hosts).
    pub fn connect_traced(
        opts: Options,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Session, Error> {
        let sock = open(&opts)?;
        // A zero timeout means "none" for the socket calls (which would refuse zero).
        let nonzero = |d: Option<std::time::Duration>| d.filter(|d| !d.is_zero());
        let handshake_limit = nonzero(opts.connect_timeout);
        if handshake_limit.is_some() {
            sock.set_read_timeout(handshake_limit)
                .map_err(|e| connect_error(&opts, e))?;
        }
        let (mut engine, mut setup) = prepare(&opts, sock.is_unix())?;
        engine.set_tracer(tracer);
        let mut s = Session {
            sock,
            engine,
            opts,
            rollback_owed: false,
            infile_src: None,
        };
        loop {
            match s.drive(|e| e.connect_step())? {
                ConnectEvent::Connected => break,
                ConnectEvent::StartTls => {
                    let config = setup.client_config(&s.opts)?;
                    let name = tls::server_name(&s.opts, s.sock.is_unix())?;
                    s.sock
                        .start_tls(config, name)
                        .map_err(|e| tls::handshake_error(e, &s.opts, setup.mode))?;
                    s.engine.tls_established()?;
                }
            }
        }
        let (read, write) = (nonzero(s.opts.read_timeout), nonzero(s.opts.write_timeout));
        if read != handshake_limit {
            s.sock.set_read_timeout(read).map_err(Error::Io)?;
        }
        if write.is_some() {
            s.sock.set_write_timeout(write).map_err(Error::Io)?;
        }
        Ok(s)
    }

    // ---- the driver loop ----------------------------------------------------------------

    /// Steps the engine until `step` has its answer: writes what the engine queued, reads what
    /// it needs.
    fn drive<T>(&mut self, mut step: impl FnMut(&mut Engine) -> Step<T>) -> Result<T, Error> {
        loop {
            let r = step(&mut self.engine)?;
            if self.engine.wants_write() {
                self.flush()?;
            }
            match r {
                Some(v) => return Ok(v),
                // The server waits for a LOCAL INFILE file: nothing arrives until it is sent.
                None if self.engine.infile_wanted().is_some() => self.serve_infile()?,
                None => self.fill()?,
            }
        }
    }

    /// One step of a LOCAL INFILE transfer the engine granted: open the file (under the
    /// session's policy), or queue its next chunk, or its end.
    fn serve_infile(&mut self) -> Result<(), Error> {
        match self.engine.infile_wanted() {
            Some(InfileWant::Open(name)) => {
                match super::infile::open(self.opts.local_infile.as_ref(), name) {
                    Ok(src) => {
                        self.infile_src = Some(Box::new(src));
                        self.engine.infile_data(&[]);
                    }
                    Err(reason) => self.engine.infile_refuse(reason),
                }
                Ok(())
            }
            Some(InfileWant::Send) => {
                let Some(mut src) = self.infile_src.take() else {
                    return self.infile_stop(None);
                };
                match src.read_chunk() {
                    Ok(0) => self.engine.infile_end(),
                    Ok(n) => {
                        self.engine.infile_data(src.chunk(n));
                        self.infile_src = Some(src);
                    }
                    Err(e) => return self.infile_stop(Some(e.to_string())),
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The LOCAL INFILE file failed: refused if nothing was sent, else the connection is
    /// closed so that the server aborts the statement.
    fn infile_stop(&mut self, error: Option<String>) -> Result<(), Error> {
        self.infile_src = None;
        let r = self.engine.infile_stop(error);
        if r.is_err() {
            let _ = self.sock.shutdown();
        }
        r
    }

    /// Sends the command just queued and reads its response with `step`. With nothing received
    /// yet, it reads before the first step (which could only find nothing to read).
    fn respond<T>(&mut self, step: impl FnMut(&mut Engine) -> Step<T>) -> Result<T, Error> {
        self.flush()?;
        if !self.engine.has_unread_bytes() {
            self.fill()?;
        }
        self.drive(step)
    }

    /// One blocking read straight into the engine's buffer.
    fn fill(&mut self) -> Result<(), Error> {
        let r = self.sock.read(self.engine.read_space());
        self.engine.commit_read(*r.as_ref().unwrap_or(&0));
        match r {
            Ok(0) => Err(self.engine.eof_error()),
            Ok(_) => Ok(()),
            Err(e) => {
                let e = Error::Io(e);
                self.engine.mark_broken(&e);
                Err(e)
            }
        }
    }

    /// Writes out everything queued.
    fn flush(&mut self) -> Result<(), Error> {
        match self.write_all() {
            Ok(()) => {
                self.engine.written();
                Ok(())
            }
            Err(e) => {
                self.engine.mark_broken(&e);
                Err(e)
            }
        }
    }

    fn write_all(&mut self) -> Result<(), Error> {
        let wbuf = self.engine.transmit();
        while !wbuf.is_empty() {
            let n = self.sock.write(wbuf)?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::WriteZero.into()));
            }
            if n >= wbuf.len() {
                wbuf.clear();
            } else {
                bytes::Buf::advance(wbuf, n);
            }
        }
        self.sock.flush()?;
        Ok(())
    }

    fn ready(&mut self) -> Result<(), Error> {
        self.engine.check()?;
        if self.engine.is_idle() && !self.engine.wants_write() && !self.rollback_owed {
            return Ok(());
        }
        if self.engine.wants_write() {
            self.flush()?;
        }
        self.drive(|e| e.drain_step(None))?;
        if self.rollback_owed {
            // A transaction guard was dropped: its ROLLBACK goes before this command.
            self.rollback_owed = false;
            self.engine.start_query("ROLLBACK")?;
            self.respond(|e| e.head_step())?;
        }
        Ok(())
    }

    // ---- commands -----------------------------------------------------------------------

    /// COM_QUERY: the first result (an OK or a result set whose rows are then streamed).
    pub fn query(&mut self, sql: &str) -> Result<QueryResult<'_>, Error> {
        self.ready()?;
        self.engine.start_query(sql)?;
        let id = self.engine.completed();
        self.respond(|e| e.head_step())?;
        Ok(QueryResult { s: self, id })
    }

    /// COM_QUERY, reading and discarding every result; returns the last OK.
    pub fn query_drop(&mut self, sql: &str) -> Result<OkPacket, Error> {
        let mut r = self.query(sql)?;
        loop {
            while r.next_row()?.is_some() {}
            if !r.next_result()? {
                break;
            }
        }
        Ok(self.engine.last_ok().clone())
    }

    fn simple(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        self.ready()?;
        self.engine.start_simple(cmd)?;
        self.respond(|e| e.simple_step())
    }

    /// COM_PING.
    pub fn ping(&mut self) -> Result<(), Error> {
        self.simple(Command::Ping)
    }

    /// COM_INIT_DB: makes `database` the default database.
    pub fn init_db(&mut self, database: &str) -> Result<(), Error> {
        self.simple(Command::InitDb(database.as_bytes()))
    }

    /// True when nothing of a response is left unread and nothing waits to be sent (a
    /// dropped transaction's ROLLBACK included): the next command goes out at once.
    pub fn is_idle(&self) -> bool {
        self.engine.is_idle() && !self.engine.wants_write() && !self.rollback_owed
    }

    /// COM_RESET_CONNECTION.
    pub fn reset(&mut self) -> Result<(), Error> {
        self.simple(Command::ResetConnection)
    }

    /// COM_CHANGE_USER: logs in again as `user` (see the async
    /// [`Session::change_user`](crate::Session::change_user)). Any failure leaves the session
    /// broken.
    pub fn change_user(
        &mut self,
        user: &str,
        password: &str,
        database: Option<&str>,
    ) -> Result<(), Error> {
        let opts = with_login(&self.opts, user, password, database);
        self.change_user_to(opts)
    }

    /// COM_CHANGE_USER as the session's own user and database: a reset for servers without
    /// COM_RESET_CONNECTION.
    pub fn reset_by_change_user(&mut self) -> Result<(), Error> {
        let opts = self.opts.clone();
        self.change_user_to(opts)
    }

    fn change_user_to(&mut self, opts: Options) -> Result<(), Error> {
        self.ready()?;
        let cfg = change_user_config(&opts, self.sock.is_unix())?;
        self.engine.start_change_user(cfg)?;
        match self.drive(|e| e.connect_step())? {
            ConnectEvent::Connected => {}
            ConnectEvent::StartTls => {
                return Err(Error::Usage(
                    "the engine asked for TLS in a COM_CHANGE_USER exchange".into(),
                ))
            }
        }
        self.opts = opts;
        Ok(())
    }

    /// COM_STATISTICS: the server's status line.
    pub fn statistics(&mut self) -> Result<String, Error> {
        self.ready()?;
        self.engine.start_text(Command::Statistics)?;
        self.respond(|e| e.text_step())
    }

    /// Sends COM_QUIT and closes the connection.
    pub fn close(mut self) -> Result<(), Error> {
        self.engine.check()?;
        if self.engine.wants_write() {
            self.flush()?;
        }
        self.engine.start_quit();
        self.flush()?;
        if self.sock.is_tls() {
            let _ = self.sock.shutdown();
        }
        Ok(())
    }

    /// Sends every query without waiting in between; the responses come in order from the
    /// returned [`Pipeline`] (see [`super::Session::pipeline`]).
    pub fn pipeline<I, S>(&mut self, queries: I) -> Result<Pipeline<'_>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.ready()?;
        let cursor = self.engine.queue_pipeline(queries)?;
        self.top_up()?;
        Ok(Pipeline { s: self, cursor })
    }

    fn top_up(&mut self) -> Result<(), Error> {
        if self.engine.top_up() {
            self.flush()?;
        }
        Ok(())
    }

    // ---- raw level (see the async session's methods of the same names) -----------------

    /// Sends `payload` (command byte first) as a new raw command.
    pub fn send_command(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::Usage(
                "a command needs at least its command byte".into(),
            ));
        }
        self.ready()?;
        self.engine.start_raw(payload)?;
        self.flush()
    }

    /// Sends one more packet of the open raw exchange.
    pub fn send_packet_raw(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.engine.raw_packet(payload)?;
        self.flush()
    }

    /// Reads the next packet of the open raw exchange.
    pub fn read_packet(&mut self) -> Result<Frame, Error> {
        self.engine.check()?;
        self.drive(|e| e.raw_frame_step())
    }

    /// Declares the open raw exchange finished.
    pub fn end_raw(&mut self) {
        self.engine.end_raw();
    }

    // ---- accessors ----------------------------------------------------------------------

    /// The options this session was opened with (timeouts included).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The protocol engine under the session (negotiated state, current result).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The server's greeting.
    pub fn handshake(&self) -> &crate::codec::handshake::Handshake {
        self.engine.handshake()
    }

    /// The server version (MariaDB's `5.5.5-` prefix removed).
    pub fn server_version(&self) -> &str {
        self.engine.handshake().display_version()
    }

    /// The connection id the server assigned.
    pub fn connection_id(&self) -> u32 {
        self.engine.handshake().connection_id
    }

    /// The negotiated capabilities.
    pub fn capabilities(&self) -> crate::codec::CapabilityFlags {
        self.engine.capabilities()
    }

    /// The negotiated compression algorithm (`None`: uncompressed; see
    /// [`crate::Options::compress`]).
    pub fn compression(&self) -> Option<crate::codec::compress::Algorithm> {
        self.engine.compression()
    }

    /// Bytes on the wire and plain bytes carried, both ways, since compression started
    /// (`None`: uncompressed).
    pub fn compression_stats(&self) -> Option<crate::proto::CompressionStats> {
        self.engine.compression_stats()
    }

    /// The server status from the latest OK / EOF.
    pub fn status(&self) -> crate::codec::StatusFlags {
        self.engine.status()
    }

    /// The latest OK packet.
    pub fn last_ok(&self) -> &OkPacket {
        self.engine.last_ok()
    }

    /// Fails with [`Error::Broken`] if an earlier error broke the session.
    pub fn check(&self) -> Result<(), Error> {
        self.engine.check()
    }

    /// True if an earlier error broke the session.
    pub fn is_broken(&self) -> bool {
        self.engine.is_broken()
    }

    /// True if the link is encrypted with TLS.
    pub fn is_tls(&self) -> bool {
        self.sock.is_tls()
    }

    /// Installs or removes the packet tracer.
    pub fn set_tracer(&mut self, tracer: Option<Box<dyn Tracer>>) {
        self.engine.set_tracer(tracer);
    }
}
