//! `--trace`, `--trace-file` and `mywire decode`: packet traces of the session and decoding of
//! captures, rendered with the library's decoder (`mywire::trace`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mywire::trace::decode::{Conversation, Decoded, Value};
use mywire::trace::format::{hex_dump, render, Format, PcapngTracer, Tee};
use mywire::trace::offline::{decode_capture, DecodedConversation};
use mywire::trace::pcap::read_capture_bytes;
use mywire::trace::{Direction, PacketEvent, Phase, Tracer};
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

fn has_secret(d: &Decoded) -> bool {
    d.fields
        .iter()
        .any(|(_, v)| matches!(v, Value::Redacted(_)))
}

/// One packet as a line in `format`, with the hex dump when `hex`. The hex dump of a packet
/// with a redacted field is withheld too (it would show the secret).
pub fn render_packet(d: &Decoded, format: Format, hex: bool) -> String {
    let mut line = render(d, format, false);
    if !hex {
        return line;
    }
    let withheld = has_secret(d);
    match format {
        Format::Text => {
            line.push('\n');
            if withheld {
                line.push_str(&format!(
                    "    <hex dump of {} bytes withheld: the packet carries a secret>",
                    d.payload.len()
                ));
            } else {
                line.push_str(&hex_dump(&d.payload));
            }
        }
        Format::Json => {
            line.pop(); // the closing brace
            line.push_str(",\"hex\":\"");
            if withheld {
                line.push_str(&format!("<redacted {} bytes>", d.payload.len()));
            } else {
                line.push_str(&mywire::trace::decode::hex(&d.payload));
            }
            line.push_str("\"}");
        }
    }
    line
}

/// `--trace`: decodes every packet and writes one line (or JSON object) each.
pub struct LiveTracer<W: Write + Send> {
    conv: Conversation,
    out: W,
    format: Format,
    hex: bool,
}

impl<W: Write + Send> Tracer for LiveTracer<W> {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        let d = self
            .conv
            .packet(ev.direction, ev.seq, Bytes::copy_from_slice(ev.payload));
        // A trace must never break the session: write errors are ignored.
        let _ = writeln!(self.out, "{}", render_packet(&d, self.format, self.hex));
        let _ = self.out.flush();
    }

    fn tls_started(&mut self) {
        self.conv.tls_started();
        if self.format == Format::Text {
            let _ = writeln!(
                self.out,
                "-- TLS started; the packets below were encrypted on the wire"
            );
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

/// `--trace-file` over TLS: the capture holds the plaintext of the session and must read as a
/// plaintext session, or tshark and `mywire decode` take what follows the SSLRequest for TLS
/// records and decode nothing. So the SSLRequest is left out, CLIENT_SSL is cleared in the
/// HandshakeResponse's capabilities (tshark switches to TLS on that bit too), and the sequence
/// ids of the later handshake and auth packets are lowered by one (the HandshakeResponse is #1,
/// as in a plaintext session; tshark takes a #2 for a command). The command phase is unchanged
/// (its sequence ids restart at 0 with every command).
struct PlaintextCapture<T: Tracer> {
    inner: T,
    renumber: bool,
}

/// The SSLRequest is the client's first packet, exactly 32 bytes (a HandshakeResponse41 is
/// longer: the same 32 bytes then at least the user name's NUL), with CLIENT_SSL (0x800) set.
fn is_ssl_request(ev: &PacketEvent<'_>) -> bool {
    ev.direction == Direction::ClientToServer
        && ev.phase == Phase::Handshake
        && ev.payload.len() == 32
        && ev.payload[1] & 0x08 != 0
}

impl<T: Tracer> Tracer for PlaintextCapture<T> {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        if is_ssl_request(ev) {
            self.renumber = true;
        } else if self.renumber && ev.phase != Phase::Command {
            let seq = ev.seq.wrapping_sub(1);
            if ev.direction == Direction::ClientToServer && ev.phase == Phase::Handshake {
                let mut hello = ev.payload.to_vec();
                if let Some(b) = hello.get_mut(1) {
                    *b &= !0x08;
                }
                self.inner.packet(&PacketEvent {
                    seq,
                    payload: &hello,
                    ..*ev
                });
            } else {
                self.inner.packet(&PacketEvent { seq, ..*ev });
            }
        } else {
            self.inner.packet(ev);
        }
    }
    fn tls_started(&mut self) {
        self.inner.tls_started();
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
        tracers.push(Box::new(LiveTracer {
            conv: Conversation::new(!t.trace_secrets),
            out: io::stderr(),
            format,
            hex: t.trace_hex,
        }));
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
        tracers.push(Box::new(PlaintextCapture {
            inner: p,
            renumber: false,
        }));
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
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
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

    fn packet(fields: Vec<(&'static str, Value)>) -> Decoded {
        Decoded {
            direction: Direction::ClientToServer,
            seq: 1,
            len: 3,
            phase: Phase::Handshake,
            kind: "HandshakeResponse",
            fields,
            payload: Bytes::from_static(b"abc"),
        }
    }

    #[test]
    fn hex_dumps_of_secret_packets_are_withheld() {
        let secret = packet(vec![("auth_response", Value::Redacted(3))]);
        let t = render_packet(&secret, Format::Text, true);
        assert!(t.contains("withheld") && !t.contains("61 62 63"), "{t}");
        let j = render_packet(&secret, Format::Json, true);
        assert!(
            j.ends_with(",\"hex\":\"<redacted 3 bytes>\"}") && !j.contains("616263"),
            "{j}"
        );
        let plain = packet(vec![("user", Value::Str("u".into()))]);
        assert!(render_packet(&plain, Format::Text, true).contains("61 62 63"));
        assert!(render_packet(&plain, Format::Json, true).ends_with(",\"hex\":\"616263\"}"));
        assert_eq!(
            render_packet(&plain, Format::Json, false),
            render(&plain, Format::Json, false)
        );
    }

    #[test]
    fn ssl_request_is_left_out_of_captures() {
        #[derive(Default)]
        struct Seen(Vec<(u8, usize)>, Vec<u8>);
        impl Tracer for Seen {
            fn packet(&mut self, ev: &PacketEvent<'_>) {
                self.0.push((ev.seq, ev.payload.len()));
                self.1.push(ev.payload.get(1).copied().unwrap_or(0));
            }
        }
        let mut ssl = [0u8; 32];
        ssl[1] = 0x08;
        let mut t = PlaintextCapture {
            inner: Seen::default(),
            renumber: false,
        };
        let ev = |seq, phase, payload: &'static [u8], direction| PacketEvent {
            direction,
            seq,
            phase,
            payload,
        };
        let (c2s, s2c) = (Direction::ClientToServer, Direction::ServerToClient);
        t.packet(&ev(0, Phase::Handshake, b"greeting", s2c));
        t.packet(&PacketEvent {
            direction: c2s,
            seq: 1,
            phase: Phase::Handshake,
            payload: &ssl,
        });
        t.packet(&ev(2, Phase::Handshake, b"\x00\x0f hello", c2s));
        t.packet(&ev(3, Phase::Auth, b"ok", s2c));
        t.packet(&ev(0, Phase::Command, b"q", c2s));
        assert_eq!(t.inner.0, [(0, 8), (1, 8), (2, 2), (0, 1)]);
        // CLIENT_SSL cleared in the HandshakeResponse, the other bits kept.
        assert_eq!(t.inner.1[1], 0x07);
        // No SSLRequest: untouched (a 32-byte packet without CLIENT_SSL is not one).
        let mut t = PlaintextCapture {
            inner: Seen::default(),
            renumber: false,
        };
        let plain = [0u8; 32];
        t.packet(&PacketEvent {
            direction: c2s,
            seq: 1,
            phase: Phase::Handshake,
            payload: &plain,
        });
        t.packet(&ev(2, Phase::Auth, b"ok", s2c));
        assert_eq!(t.inner.0, [(1, 32), (2, 2)]);
    }

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
