//! `--trace`, `--trace-file` and `mywire decode`: packet traces of the session and decoding of
//! captures, rendered with the library's decoder (`mywire::trace`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex};

use mywire::capture::offline::{decode_capture, DecodedConversation};
use mywire::capture::pcap::read_capture_bytes;
use mywire::capture::PcapngTracer;
use mywire::trace::decode::Decoded;
use mywire::trace::format::{render, Format, Tee, WriterTracer};
use mywire::trace::Tracer;
use mywire::Options;

use crate::args::{DecodeArgs, TraceArgs, TraceFormat};

/// The client port in synthesized captures (`--trace-file`).
pub const PCAP_CLIENT_PORT: u16 = 50000;

/// Largest capture `mywire decode` reads (it is decoded in memory).
const MAX_CAPTURE: u64 = 4 << 30;

impl From<TraceFormat> for Format {
    fn from(f: TraceFormat) -> Format {
        match f {
            TraceFormat::Text => Format::Text,
            TraceFormat::Json => Format::Json,
        }
    }
}

/// One packet as a line in `format`, with the hex dump when `hex` (withheld for a packet with
/// a redacted field: the library renders it so).
pub fn render_packet(d: &Decoded, format: Format, hex: bool) -> String {
    render(d, format, hex)
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

/// The tracer of the trace flags (`None` when tracing is off) and the error slot of the
/// `--trace-file` writer.
pub type Tracing = (Option<Box<dyn Tracer>>, Option<WriteError>);

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
    let tracer: Option<Box<dyn Tracer>> = match tracers.len() {
        0 => None,
        1 => tracers.pop(),
        _ => Some(Box::new(Tee(tracers))),
    };
    Ok((tracer, watch))
}

/// `"conversation":N` first, then the rest of the packet's JSON object.
fn with_conversation(n: usize, json: &str) -> String {
    match json.strip_prefix('{') {
        Some(rest) => format!("{{\"conversation\":{n},{rest}"),
        None => json.to_string(),
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    mywire::trace::format::json_str(&mut out, s);
    out
}

/// The header of conversation `n`: a text line followed by the notes as `-- note` lines, or one
/// JSON object (no `dir` key) with the same information.
pub fn conversation_header(n: usize, c: &DecodedConversation, format: Format) -> String {
    match format {
        Format::Text => {
            let mut s = format!("== conversation {n}: {} -> {}", c.client, c.server);
            if c.started_mid_stream {
                s.push_str(" (started mid-connection)");
            }
            if c.damaged {
                s.push_str(" (damaged)");
            }
            for note in &c.notes {
                s.push_str("\n-- ");
                s.push_str(note);
            }
            s
        }
        Format::Json => {
            let notes: Vec<String> = c.notes.iter().map(|n| json_str(n)).collect();
            format!(
                "{{\"conversation\":{n},\"client\":{},\"server\":{},\"started_mid_stream\":{},\"damaged\":{},\"notes\":[{}]}}",
                json_str(&c.client.to_string()),
                json_str(&c.server.to_string()),
                c.started_mid_stream,
                c.damaged,
                notes.join(",")
            )
        }
    }
}

/// `mywire decode`: returns the exit status (0, or 1 when the capture cannot be read at all or
/// the output cannot be written).
pub fn decode(a: &DecodeArgs) -> u8 {
    let name = a.capture.display().to_string();
    let bytes = if a.capture == Path::new("-") {
        read_capture_bytes(io::stdin().lock(), MAX_CAPTURE)
    } else {
        File::open(&a.capture).and_then(|f| read_capture_bytes(f, MAX_CAPTURE))
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("mywire: cannot read {name}: {e}");
            return 1;
        }
    };
    let capture = match decode_capture(&bytes, a.port, !a.secrets) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mywire: {name}: not a readable capture: {e}");
            return 1;
        }
    };
    let format: Format = a.format.into();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(crate::OUT_BUFFER, stdout.lock());
    let mut write = || -> io::Result<()> {
        for (i, c) in capture.conversations.iter().enumerate() {
            let n = i + 1;
            writeln!(out, "{}", conversation_header(n, c, format))?;
            for d in &c.packets {
                let line = render_packet(d, format, a.hex);
                match format {
                    Format::Text => writeln!(out, "{line}")?,
                    Format::Json => writeln!(out, "{}", with_conversation(n, &line))?,
                }
            }
        }
        out.flush()
    };
    if let Err(e) = write() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("mywire: cannot write the output: {e}");
        }
        return 1;
    }
    if capture.conversations.is_empty() {
        eprintln!(
            "mywire: {name}: no MySQL conversation on port {} in {} frames (another port: --port)",
            a.port, capture.frames
        );
    }
    if let Some(e) = &capture.error {
        eprintln!("mywire: {name}: damaged capture, decoded what was read before: {e}");
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_key_comes_first() {
        assert_eq!(
            with_conversation(2, "{\"dir\":\"C->S\"}"),
            "{\"conversation\":2,\"dir\":\"C->S\"}"
        );
    }

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
