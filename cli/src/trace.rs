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
use mywire::trace::digest::{render_json, render_text, Digest, DigestTracer};
use mywire::trace::format::{render, Format, Tee, WriterTracer};
use mywire::trace::requests::RequestRecord;
use mywire::trace::slowlog::{SlowLogEntry, SlowLogWriter};
use mywire::trace::Direction;
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

/// The requests of conversation `c` that the filters keep.
fn kept<'a>(
    a: &'a DecodeArgs,
    c: &'a DecodedConversation,
) -> impl Iterator<Item = &'a RequestRecord> {
    c.requests.iter().filter(move |r| {
        a.matching.as_ref().is_none_or(|re| re.is_match(&r.sql))
            && a.min_latency.is_none_or(|min| r.latency_us() >= min)
            && (!a.errors_only || r.error.is_some())
    })
}

/// Which packets of `c` belong to the kept requests: each command, and its response's packets
/// (with its LOCAL INFILE data); the compressed packets' own lines are left out.
fn packet_mask(a: &DecodeArgs, c: &DecodedConversation) -> Vec<bool> {
    let mut mask = vec![false; c.packets.len()];
    for r in kept(a, c) {
        if let Some(m) = mask.get_mut(r.command_index) {
            *m = true;
        }
        let last = r.response_last.min(c.packets.len().saturating_sub(1));
        for i in r.response_first..=last {
            let ours = c.packets.get(i).is_some_and(|d| {
                !d.is_compressed_packet()
                    && (d.direction == Direction::ServerToClient || d.kind == "LocalInfileData")
            });
            if let (true, Some(m)) = (ours, mask.get_mut(i)) {
                *m = true;
            }
        }
    }
    mask
}

/// The slow log of the kept requests of `convs`.
fn write_slow_log(
    a: &DecodeArgs,
    convs: &[(usize, &DecodedConversation)],
    out: &mut impl Write,
) -> io::Result<()> {
    let mut w = SlowLogWriter::new();
    w.header(out)?;
    for (_, c) in convs {
        let client = c.client.ip().to_string();
        for r in kept(a, c) {
            w.write(
                out,
                &SlowLogEntry {
                    time_us: i64::try_from(r.sent_nanos / 1000).unwrap_or(i64::MAX),
                    user: &c.user,
                    client: &client,
                    connection_id: c.connection_id,
                    query_time_us: r.latency_us(),
                    rows_sent: r.rows,
                    database: r.database.as_deref(),
                    sql: &r.sql,
                },
            )?;
        }
    }
    out.flush()
}

/// The digest of the kept requests of `convs`, as a text table or JSON lines; what was not
/// counted is said after the table (text) or on standard error (JSON).
fn write_digest(
    a: &DecodeArgs,
    convs: &[(usize, &DecodedConversation)],
    format: Format,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut d = Digest::new(a.digest_limit);
    let (mut incomplete, mut unknown) = (0u64, 0u64);
    for (_, c) in convs {
        for r in kept(a, c) {
            d.record(&r.as_request());
        }
        incomplete = incomplete.saturating_add(c.incomplete_requests);
        unknown = unknown.saturating_add(c.unknown_statements);
    }
    let rows = d.rows();
    let mut notes = Vec::new();
    if incomplete > 0 {
        notes.push(format!(
            "{incomplete} request(s) whose response the capture does not hold whole not counted"
        ));
    }
    if unknown > 0 {
        notes.push(format!(
            "{unknown} execute(s) of statements whose SQL the capture does not hold (prepared before it began) not counted"
        ));
    }
    match format {
        Format::Text => {
            out.write_all(render_text(&rows, d.dropped()).as_bytes())?;
            for n in &notes {
                writeln!(out, "-- {n}")?;
            }
        }
        Format::Json => {
            for r in &rows {
                writeln!(out, "{}", render_json(r))?;
            }
            if d.dropped() > 0 {
                eprintln!(
                    "mywire: {} request(s) of further fingerprints not counted (--digest-limit)",
                    d.dropped()
                );
            }
            for n in &notes {
                eprintln!("mywire: {n}");
            }
        }
    }
    out.flush()
}

/// The packets of `convs` (only those of the kept requests when a filter selects requests).
fn write_packets(
    a: &DecodeArgs,
    convs: &[(usize, &DecodedConversation)],
    format: Format,
    out: &mut impl Write,
) -> io::Result<()> {
    for &(n, c) in convs {
        let mask = a.filters_requests().then(|| packet_mask(a, c));
        if mask.as_ref().is_some_and(|m| !m.contains(&true)) {
            continue;
        }
        writeln!(out, "{}", conversation_header(n, c, format))?;
        for (i, d) in c.packets.iter().enumerate() {
            if mask
                .as_ref()
                .is_some_and(|m| !m.get(i).copied().unwrap_or(false))
            {
                continue;
            }
            let line = render_packet(d, format, a.hex);
            match format {
                Format::Text => writeln!(out, "{line}")?,
                Format::Json => writeln!(out, "{}", with_conversation(n, &line))?,
            }
        }
    }
    out.flush()
}

/// `mywire decode`: returns the exit status (0, or 1 when the capture cannot be read at all or
/// the output cannot be written, 2 for arguments that do not fit the capture).
pub fn decode(a: &DecodeArgs) -> u8 {
    let name = a.capture.display().to_string();
    let slow_to_stdout = a.slow_log.as_deref() == Some(Path::new("-"));
    if slow_to_stdout && a.digest {
        eprintln!("mywire: --slow-log - and --digest both write to standard output: give --slow-log a file");
        return 2;
    }
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
    let all = capture.conversations.len();
    let convs: Vec<(usize, &DecodedConversation)> = capture
        .conversations
        .iter()
        .enumerate()
        .map(|(i, c)| (i + 1, c))
        .filter(|(n, _)| {
            a.conversation
                .is_none_or(|k| u64::try_from(*n).is_ok_and(|n| n == k))
        })
        .collect();
    if let (Some(k), true) = (a.conversation, convs.is_empty() && all > 0) {
        eprintln!("mywire: {name}: no conversation {k} (the capture has {all})");
        return 2;
    }
    let format: Format = a.format.into();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(crate::OUT_BUFFER, stdout.lock());
    let mut write = || -> io::Result<()> {
        match a.slow_log.as_deref() {
            Some(_) if slow_to_stdout => return write_slow_log(a, &convs, &mut out),
            Some(path) => {
                let file = File::create(path).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
                })?;
                write_slow_log(a, &convs, &mut BufWriter::new(file))?;
            }
            None => {}
        }
        if a.digest {
            write_digest(a, &convs, format, &mut out)
        } else {
            write_packets(a, &convs, format, &mut out)
        }
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
