//! Rendering decoded packets as text lines or JSON lines, and the live tracers that use them.
//!
//! JSON lines carry stable field names (documented in protocol-notes/trace-formats.md):
//! `dir` (`"C->S"` / `"S->C"`), `seq`, `len`, `phase` (`handshake`/`auth`/`command`), `type`,
//! then the packet's own fields, and `hex` when hex dumps are on.

use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;

use super::decode::{hex, Conversation, Decoded, Value};
use super::pcap::PcapngWriter;
use super::{PacketEvent, Phase, Tracer};

/// Output format of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One human-readable line per packet (plus an optional hex dump).
    Text,
    /// One JSON object per line.
    Json,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Handshake => "handshake",
        Phase::Auth => "auth",
        Phase::Command => "command",
    }
}

fn json_str(out: &mut String, s: &str) {
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
}

fn json_value(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => json_str(out, s),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(l) => {
            out.push('[');
            for (i, s) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(out, s);
            }
            out.push(']');
        }
        Value::Cells(l) => {
            out.push('[');
            for (i, s) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match s {
                    Some(s) => json_str(out, s),
                    None => out.push_str("null"),
                }
            }
            out.push(']');
        }
        Value::Redacted(n) => json_str(out, &format!("<redacted {n} bytes>")),
    }
}

/// Renders one packet as a JSON object (no trailing newline).
pub fn to_json(d: &Decoded, with_hex: bool) -> String {
    let mut out = String::with_capacity(128);
    out.push_str("{\"dir\":");
    json_str(&mut out, d.direction.arrow());
    out.push_str(&format!(",\"seq\":{},\"len\":{},\"phase\":", d.seq, d.len));
    json_str(&mut out, phase_name(d.phase));
    out.push_str(",\"type\":");
    json_str(&mut out, d.kind);
    for (k, v) in &d.fields {
        out.push(',');
        json_str(&mut out, k);
        out.push(':');
        json_value(&mut out, v);
    }
    if with_hex {
        out.push_str(",\"hex\":");
        json_str(&mut out, &hex(&d.payload));
    }
    out.push('}');
    out
}

fn text_value(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => {
            out.push('"');
            out.push_str(&s.escape_debug().to_string());
            out.push('"');
        }
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(l) => {
            out.push('[');
            out.push_str(&l.join(" | "));
            out.push(']');
        }
        Value::Cells(l) => {
            out.push('[');
            for (i, c) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match c {
                    Some(s) => {
                        out.push('"');
                        out.push_str(&s.escape_debug().to_string());
                        out.push('"');
                    }
                    None => out.push_str("NULL"),
                }
            }
            out.push(']');
        }
        Value::Redacted(n) => out.push_str(&format!("<redacted {n} bytes>")),
    }
}

/// Renders one packet as a text line (plus hex-dump lines when asked).
pub fn to_text(d: &Decoded, with_hex: bool) -> String {
    let mut out = format!(
        "{} #{:<3} {:>7}B {:<9} {}",
        d.direction.arrow(),
        d.seq,
        d.len,
        phase_name(d.phase),
        d.kind
    );
    for (k, v) in &d.fields {
        out.push(' ');
        out.push_str(k);
        out.push('=');
        text_value(&mut out, v);
    }
    if with_hex {
        out.push('\n');
        out.push_str(&hex_dump(&d.payload));
    }
    out
}

/// A classic hex dump: offset, 16 bytes in hex, printable ASCII.
pub fn hex_dump(b: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in b.chunks(16).enumerate() {
        out.push_str(&format!("    {:06x}  ", i * 16));
        for j in 0..16 {
            match chunk.get(j) {
                Some(x) => out.push_str(&format!("{x:02x} ")),
                None => out.push_str("   "),
            }
        }
        out.push(' ');
        for &x in chunk {
            out.push(if x.is_ascii_graphic() || x == b' ' {
                char::from(x)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Renders a decoded packet in `format`.
pub fn render(d: &Decoded, format: Format, with_hex: bool) -> String {
    match format {
        Format::Text => to_text(d, with_hex),
        Format::Json => to_json(d, with_hex),
    }
}

/// A live tracer that decodes every packet and writes one line each to `out`.
pub struct WriterTracer<W: Write + Send> {
    conv: Conversation,
    out: W,
    format: Format,
    hex: bool,
}

impl<W: Write + Send> WriterTracer<W> {
    /// Writes to `out` in `format`; secrets are redacted unless `show_secrets`.
    pub fn new(out: W, format: Format, hex: bool, show_secrets: bool) -> Self {
        WriterTracer {
            conv: Conversation::new(!show_secrets),
            out,
            format,
            hex,
        }
    }
}

impl<W: Write + Send> Tracer for WriterTracer<W> {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        let d = self
            .conv
            .packet(ev.direction, ev.seq, Bytes::copy_from_slice(ev.payload));
        let line = render(&d, self.format, self.hex);
        // A trace must never break the session: write errors are ignored.
        let _ = writeln!(self.out, "{line}");
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

/// A live tracer that writes the session as a pcapng capture with synthesized Ethernet/IP/TCP
/// headers around the real (plaintext) MySQL packets, for Wireshark / tshark.
pub struct PcapngTracer<W: Write + Send> {
    w: PcapngWriter<W>,
    client: SocketAddr,
    server: SocketAddr,
    start: std::time::Instant,
    base_nanos: u64,
    failed: bool,
}

impl<W: Write + Send> PcapngTracer<W> {
    /// Starts a capture of a connection between `client` and `server` (use the real addresses
    /// or loopback ones for a Unix socket); writes the TCP handshake frames.
    pub fn new(out: W, client: SocketAddr, server: SocketAddr) -> std::io::Result<Self> {
        let base_nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut w = PcapngWriter::new(out)?;
        w.write_handshake(base_nanos, client, server)?;
        Ok(PcapngTracer {
            w,
            client,
            server,
            start: std::time::Instant::now(),
            base_nanos,
            failed: false,
        })
    }

    fn now(&self) -> u64 {
        self.base_nanos
            .saturating_add(self.start.elapsed().as_nanos() as u64)
    }
}

impl<W: Write + Send> Tracer for PcapngTracer<W> {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        if self.failed {
            return;
        }
        // Re-frame the logical packet exactly as it went on the wire (continuations included).
        let mut codec = crate::codec::frame::PacketCodec::default();
        codec.set_seq(ev.seq);
        let mut wire = bytes::BytesMut::with_capacity(ev.payload.len() + 8);
        codec.encode_parts(&[ev.payload], &mut wire);
        let ts = self.now();
        let r = self
            .w
            .write_tcp_payload(ts, self.client, self.server, ev.direction, &wire)
            .and_then(|_| self.w.flush());
        if r.is_err() {
            self.failed = true;
        }
    }
}

impl<W: Write + Send> Drop for PcapngTracer<W> {
    fn drop(&mut self) {
        if !self.failed {
            let ts = self.now();
            let _ = self.w.write_close(ts, self.client, self.server);
            let _ = self.w.flush();
        }
    }
}

/// Directs one tracer's events to several.
pub struct Tee(pub Vec<Box<dyn Tracer>>);

impl Tracer for Tee {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        for t in &mut self.0 {
            t.packet(ev);
        }
    }
    fn tls_started(&mut self) {
        for t in &mut self.0 {
            t.tls_started();
        }
    }
}
