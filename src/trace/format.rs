//! Rendering decoded packets as text lines or JSON lines, and the live tracers that use them.
//!
//! JSON lines carry stable field names (documented in protocol-notes/trace-formats.md):
//! `dir` (`"C->S"` / `"S->C"`), `seq`, `len`, `phase` (`handshake`/`auth`/`command`), `type`,
//! then the packet's own fields, and `hex` when hex dumps are on.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)] // TODO(h/lints): cleaned after the h/tracevals / h/mitm merge

use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;

use super::decode::{hex, Conversation, Decoded, Value};
use super::pcap::PcapngWriter;
use super::{Direction, PacketEvent, Phase, Tracer};
use crate::codec::CapabilityFlags;

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

/// Appends `s` as a JSON string literal (quotes and escapes included).
pub fn json_str(out: &mut String, s: &str) {
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

/// True if a field of the packet was redacted: its hex dump would show the secret, so it is
/// withheld too.
fn has_secret(d: &Decoded) -> bool {
    d.fields
        .iter()
        .any(|(_, v)| matches!(v, Value::Redacted(_)))
}

/// Renders one packet as a JSON object (no trailing newline). The hex dump of a packet with a
/// redacted field is redacted as well.
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
        if has_secret(d) {
            json_str(&mut out, &format!("<redacted {} bytes>", d.payload.len()));
        } else {
            json_str(&mut out, &hex(&d.payload));
        }
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

/// Renders one packet as a text line (plus hex-dump lines when asked; withheld for a packet
/// with a redacted field).
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
        if has_secret(d) {
            out.push_str(&format!(
                "    <hex dump of {} bytes withheld: the packet carries a secret>",
                d.payload.len()
            ));
        } else {
            out.push_str(&hex_dump(&d.payload));
        }
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
///
/// Over TLS the capture must still read as a plaintext session, or tshark and `mywire decode`
/// take everything after the SSLRequest for TLS records: so the SSLRequest is left out,
/// CLIENT_SSL is cleared in the HandshakeResponse (tshark switches to TLS on that bit too), and
/// the sequence ids of the later handshake and auth packets are lowered by one, as in a
/// plaintext session. Command-phase packets are unchanged (their ids restart with each command).
pub struct PcapngTracer<W: Write + Send> {
    w: PcapngWriter<W>,
    renumber: bool,
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
            renumber: false,
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
        let client_hello =
            ev.direction == Direction::ClientToServer && ev.phase == Phase::Handshake;
        let mut seq = ev.seq;
        let mut hello;
        let mut payload = ev.payload;
        if client_hello && is_ssl_request(ev.payload) {
            self.renumber = true;
            return;
        }
        if self.renumber && ev.phase != Phase::Command {
            seq = seq.wrapping_sub(1);
            if client_hello {
                hello = ev.payload.to_vec();
                if let Some(b) = hello.get_mut(1) {
                    *b &= !((CapabilityFlags::SSL.bits() >> 8) as u8);
                }
                payload = &hello;
            }
        }
        // Re-frame the logical packet exactly as it went on the wire (continuations included).
        let mut codec = crate::codec::frame::PacketCodec::default();
        codec.set_seq(seq);
        let mut wire = bytes::BytesMut::with_capacity(payload.len() + 8);
        codec.encode_parts(&[payload], &mut wire);
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

/// An SSLRequest: exactly the 32-byte head of a HandshakeResponse41, with CLIENT_SSL set.
fn is_ssl_request(payload: &[u8]) -> bool {
    payload.len() == 32
        && payload
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .is_some_and(|b| CapabilityFlags(u32::from_le_bytes(b)).contains(CapabilityFlags::SSL))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::handshake::{
        encode_handshake_response, encode_ssl_request, HandshakeResponse,
    };
    use crate::codec::MariaDbCapabilities;
    use crate::trace::decode::Decoded;
    use crate::trace::offline::decode_capture;
    use bytes::{Bytes, BytesMut};
    use std::sync::{Arc, Mutex};

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
        let t = render(&secret, Format::Text, true);
        assert!(t.contains("withheld") && !t.contains("61 62 63"), "{t}");
        let j = render(&secret, Format::Json, true);
        assert!(
            j.ends_with(",\"hex\":\"<redacted 3 bytes>\"}") && !j.contains("616263"),
            "{j}"
        );
        let plain = packet(vec![("user", Value::Str("u".into()))]);
        assert!(render(&plain, Format::Text, true).contains("61 62 63"));
        assert!(render(&plain, Format::Json, true).ends_with(",\"hex\":\"616263\"}"));
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A TLS session's plaintext, captured, must read as a plaintext session.
    #[test]
    fn tls_session_capture_reads_as_plaintext() {
        let out = Shared::default();
        let mut t = PcapngTracer::new(
            out.clone(),
            "127.0.0.1:50000".parse().unwrap(),
            "127.0.0.1:3306".parse().unwrap(),
        )
        .unwrap();
        let caps = CapabilityFlags(0x01ae_a205) | CapabilityFlags::SSL;
        let mut greeting = BytesMut::new();
        crate::codec::handshake::encode_handshake(
            &crate::codec::handshake::Handshake {
                protocol_version: 10,
                server_version: "5.5.5-10.11.19-MariaDB".into(),
                connection_id: 1,
                nonce: vec![b'n'; 20],
                capabilities: CapabilityFlags(0x81fff7fe) | CapabilityFlags::SSL,
                charset: 45,
                status: crate::codec::StatusFlags::AUTOCOMMIT,
                mariadb_capabilities: MariaDbCapabilities(0x1d),
                auth_plugin: Some("mysql_native_password".into()),
            },
            &mut greeting,
        );
        let mut ssl = BytesMut::new();
        encode_ssl_request(caps, 1 << 24, 45, MariaDbCapabilities::empty(), &mut ssl);
        let mut hello = BytesMut::new();
        encode_handshake_response(
            &HandshakeResponse {
                capabilities: caps,
                max_packet_size: 1 << 24,
                charset: 45,
                user: b"root".to_vec(),
                auth_plugin: Some(b"mysql_native_password".to_vec()),
                ..Default::default()
            },
            &mut hello,
        );
        let ev = |direction, seq, phase, payload: &[u8]| {
            let payload = payload.to_vec();
            (direction, seq, phase, payload)
        };
        let (c2s, s2c) = (Direction::ClientToServer, Direction::ServerToClient);
        for (direction, seq, phase, payload) in [
            ev(s2c, 0, Phase::Handshake, &greeting),
            ev(c2s, 1, Phase::Handshake, &ssl),
            ev(c2s, 2, Phase::Handshake, &hello),
            ev(s2c, 3, Phase::Auth, &[0, 0, 0, 2, 0, 0, 0]),
            ev(c2s, 0, Phase::Command, &[0x0e]),
            ev(s2c, 1, Phase::Command, &[0, 0, 0, 2, 0, 0, 0]),
        ] {
            t.packet(&PacketEvent {
                direction,
                seq,
                phase,
                payload: &payload,
            });
        }
        drop(t);
        let bytes = out.0.lock().unwrap().clone();
        let d = decode_capture(&bytes, 3306, true).unwrap();
        let c = &d.conversations[0];
        let kinds: Vec<_> = c.packets.iter().map(|p| (p.kind, p.seq)).collect();
        assert_eq!(
            kinds,
            [
                ("Greeting", 0),
                ("HandshakeResponse", 1),
                ("OK", 2),
                ("COM_PING", 0),
                ("OK", 1)
            ],
            "{:?}",
            c.notes
        );
        let Some(Value::List(flags)) = c.packets[1].field("capabilities") else {
            panic!("no capabilities");
        };
        assert!(!flags.iter().any(|f| f == "SSL"));
    }
}
