//! `--trace`, `--trace-file` and `--digest`: packet traces of the session, rendered with the
//! library's decoder (`mywire::trace`); `mywire decode` is in `decode.rs`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};

use mywire::capture::PcapngTracer;
use mywire::trace::digest::{Digest, DigestTracer};
use mywire::trace::format::{Format, Tee, WriterTracer};
use mywire::trace::Tracer;
use mywire::Options;

use crate::args::{TraceArgs, TraceFormat};

/// The client port in synthesized captures (`--trace-file`).
pub const PCAP_CLIENT_PORT: u16 = 50000;

impl From<TraceFormat> for Format {
    fn from(f: TraceFormat) -> Format {
        match f {
            TraceFormat::Text => Format::Text,
            TraceFormat::Json => Format::Json,
        }
    }
}

/// The first write error of the `--trace-file` writer, reported after the session.
pub type WriteError = Arc<Mutex<Option<io::Error>>>;

/// A writer that remembers its first error (the pcapng tracer ignores them).
struct Watched<W: Write> {
    inner: W,
    error: WriteError,
}

impl<W: Write> Watched<W> {
    fn note<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            if let Ok(mut slot) = self.error.lock() {
                if slot.is_none() {
                    *slot = Some(io::Error::new(e.kind(), e.to_string()));
                }
            }
        }
        r
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }
    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

/// The addresses written in a `--trace-file` capture: the client is synthesized (the library
/// does not expose the local address), the server is the real one (resolved), or
/// 127.0.0.1:3306 for a Unix socket.
pub fn pcap_addresses(opts: &Options) -> (SocketAddr, SocketAddr) {
    let v4 = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if opts.socket.is_some() {
        return (v4(PCAP_CLIENT_PORT), v4(3306));
    }
    let ip = opts.host.parse::<IpAddr>().ok().or_else(|| {
        (opts.host.as_str(), opts.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .map(|a| a.ip())
    });
    let server = SocketAddr::new(ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)), opts.port);
    let client_port = if opts.port == PCAP_CLIENT_PORT {
        PCAP_CLIENT_PORT + 1
    } else {
        PCAP_CLIENT_PORT
    };
    let client = match server.ip() {
        IpAddr::V4(_) => v4(client_port),
        IpAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, client_port)),
    };
    (client, server)
}

/// The tracer of the trace flags (`None` when tracing is off), the error slot of the
/// `--trace-file` writer, and the `--digest` being recorded.
pub type Tracing = (
    Option<Box<dyn Tracer>>,
    Option<WriteError>,
    Option<Arc<Mutex<Digest>>>,
);

/// Most fingerprints a live `--digest` keeps.
const LIVE_DIGEST_LIMIT: usize = 10_000;

/// The tracer for the trace flags, or `None` when tracing is off (the session then runs
/// without any tracing cost). Fails if the `--trace-file` cannot be created.
pub fn tracer_for(t: &TraceArgs, opts: &Options) -> Result<Tracing, String> {
    let mut tracers: Vec<Box<dyn Tracer>> = Vec::new();
    if t.trace {
        let format = t.trace_format.unwrap_or(TraceFormat::Text).into();
        if format == Format::Text {
            eprintln!("-- mywire trace of {}", opts.redacted_url());
        }
        tracers.push(Box::new(WriterTracer::new(
            io::stderr(),
            format,
            t.trace_hex,
            t.trace_secrets,
        )));
    }
    let mut watch = None;
    if let Some(path) = &t.trace_file {
        let file = File::create(path)
            .map_err(|e| format!("mywire: cannot create {}: {e}", path.display()))?;
        let error = WriteError::default();
        let out = Watched {
            inner: BufWriter::new(file),
            error: error.clone(),
        };
        let (client, server) = pcap_addresses(opts);
        let p = PcapngTracer::new(out, client, server)
            .map_err(|e| format!("mywire: cannot write {}: {e}", path.display()))?;
        tracers.push(Box::new(p));
        watch = Some(error);
    }
    let digest = t
        .digest
        .then(|| Arc::new(Mutex::new(Digest::new(LIVE_DIGEST_LIMIT))));
    if let Some(d) = &digest {
        tracers.push(Box::new(DigestTracer::new(d.clone())));
    }
    let tracer: Option<Box<dyn Tracer>> = match tracers.len() {
        0 => None,
        1 => tracers.pop(),
        _ => Some(Box::new(Tee(tracers))),
    };
    Ok((tracer, watch, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_addresses() {
        let mut o = Options::from_url("mysql://u:p@127.0.0.1:3310/").unwrap();
        let (c, s) = pcap_addresses(&o);
        assert_eq!(c, "127.0.0.1:50000".parse().unwrap());
        assert_eq!(s, "127.0.0.1:3310".parse().unwrap());
        o.port = PCAP_CLIENT_PORT;
        assert_eq!(pcap_addresses(&o).0.port(), PCAP_CLIENT_PORT + 1);
        let o = Options::from_url("mysql://u@[::1]:3307/").unwrap();
        assert_eq!(pcap_addresses(&o).0, "[::1]:50000".parse().unwrap());
        let o = Options::from_url("mysql://u@localhost/?socket=/tmp/s").unwrap();
        assert_eq!(
            pcap_addresses(&o),
            (
                "127.0.0.1:50000".parse().unwrap(),
                "127.0.0.1:3306".parse().unwrap()
            )
        );
    }
}
