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
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends wire text as a JSON string: JSON strings are Unicode, so an invalid UTF-8 sequence
/// becomes U+FFFD (the hex dump has the exact bytes).
fn json_bytes(out: &mut String, b: &[u8]) {
    json_str(out, &String::from_utf8_lossy(b));
}

fn json_value(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => json_str(out, s),
        Value::Text(b) => json_bytes(out, b),
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
                    Some(s) => json_bytes(out, s),
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

/// Appends `b` escaped for a one-line text rendering, the rules of
/// protocol-notes/trace-formats.md ("Escaping in text traces"): `\\` for a backslash, `\"` for
/// the closing `quote` (none for unquoted list items), `\n` `\r` `\t`, `\xNN` for the other C0
/// controls, DEL and every byte that is not part of valid UTF-8, `\u{NN}` for the C1 controls
/// and U+2028/U+2029. Everything else, `'` included, is shown as it was sent.
pub fn text_escape(out: &mut String, b: &[u8], quote: Option<char>) {
    use std::fmt::Write;
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if Some(c) == quote => {
                    out.push('\\');
                    out.push(c);
                }
                '\u{0}'..='\u{1f}' | '\u{7f}' => {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for &x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
}

/// Appends `b` as a double-quoted text-trace string.
fn text_quoted(out: &mut String, b: &[u8]) {
    out.push('"');
    text_escape(out, b, Some('"'));
    out.push('"');
}

fn text_value(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => text_quoted(out, s.as_bytes()),
        Value::Text(b) => text_quoted(out, b),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(l) => {
            out.push('[');
            for (i, s) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                text_escape(out, s.as_bytes(), None);
            }
            out.push(']');
        }
        Value::Cells(l) => {
            out.push('[');
            for (i, c) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match c {
                    Some(s) => text_quoted(out, s),
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
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
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
            .saturating_add(u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX))
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
                    // CLIENT_SSL is bit 11: bit 3 of the second byte of the little-endian flags.
                    let [_, ssl, ..] = CapabilityFlags::SSL.bits().to_le_bytes();
                    *b &= !ssl;
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

    fn text_of(v: Value) -> String {
        let t = render(&packet(vec![("sql", v)]), Format::Text, false);
        t.split_once(" sql=")
            .map(|(_, v)| v.to_string())
            .unwrap_or(t)
    }

    fn json_of(v: Value) -> String {
        let j = render(&packet(vec![("sql", v)]), Format::Json, false);
        let v = j
            .split_once(",\"sql\":")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        v.strip_suffix('}').unwrap_or(&v).to_string()
    }

    /// SQL shows as it was sent: a quote of the query is not the rendering's quote.
    #[test]
    fn text_shows_single_quotes_as_sent() {
        let sql = Value::Text(b"SELECT 'x' AS q, `b`".to_vec());
        assert_eq!(text_of(sql.clone()), r#""SELECT 'x' AS q, `b`""#);
        assert_eq!(json_of(sql), r#""SELECT 'x' AS q, `b`""#);
        assert_eq!(text_of(Value::Str("it's".into())), r#""it's""#);
        let cells = Value::Cells(vec![Some(b"'a'".to_vec()), None, Some(b"".to_vec())]);
        assert_eq!(text_of(cells.clone()), r#"["'a'", NULL, ""]"#);
        assert_eq!(json_of(cells), r#"["'a'",null,""]"#);
    }

    /// What a one-line rendering needs escaped, and nothing else.
    #[test]
    fn text_escapes_the_quote_backslash_and_controls() {
        let cases: [(&[u8], &str); 12] = [
            (b"a\"b", r#""a\"b""#),
            (b"a\\b", r#""a\\b""#),
            (b"1\n2\r3\t4", r#""1\n2\r3\t4""#),
            (b"\x1b[31m", r#""\x1b[31m""#),
            (b"\x00\x01\x7f", r#""\x00\x01\x7f""#),
            // C1 controls (here NEL and CSI) and the Unicode line/paragraph separators.
            (
                "\u{85}\u{9b}\u{2028}\u{2029}".as_bytes(),
                r#""\u{85}\u{9b}\u{2028}\u{2029}""#,
            ),
            // Printable non-ASCII is shown as is, U+FFFD included.
            ("中文 é \u{fffd}".as_bytes(), "\"中文 é \u{fffd}\""),
            // Bytes that are not UTF-8 are `\xNN`, distinct from a real U+FFFD.
            (b"a\xffb", r#""a\xffb""#),
            (b"\xc3", r#""\xc3""#),
            (b"\xc3\xa9\xe4\xb8", r#""é\xe4\xb8""#),
            // A backslash before `x` stays distinguishable from a byte escape.
            (b"\\xff", r#""\\xff""#),
            (b"", r#""""#),
        ];
        for (raw, want) in cases {
            assert_eq!(text_of(Value::Text(raw.to_vec())), want, "{raw:?}");
        }
        // Lists are not quoted: only the backslash and the controls are escaped.
        let l = Value::List(vec!["a\"b".into(), "c\nd\\".into()]);
        assert_eq!(text_of(l), r#"[a"b | c\nd\\]"#);
    }

    /// JSON stays standard JSON; invalid UTF-8 is U+FFFD there.
    #[test]
    fn json_escapes_as_json() {
        assert_eq!(
            json_of(Value::Text(b"a\"\\\n\x01'\xff\x7f".to_vec())),
            "\"a\\\"\\\\\\n\\u0001'\u{fffd}\u{7f}\""
        );
    }

    /// A rendering is one line whatever the bytes, and undoing the escapes gives the bytes back.
    #[test]
    fn text_escaping_is_one_line_and_reversible() {
        fn unescape(s: &str) -> Vec<u8> {
            let mut out = Vec::new();
            let mut it = s.chars();
            while let Some(c) = it.next() {
                if c != '\\' {
                    out.extend_from_slice(c.to_string().as_bytes());
                    continue;
                }
                match it.next() {
                    Some('n') => out.push(b'\n'),
                    Some('r') => out.push(b'\r'),
                    Some('t') => out.push(b'\t'),
                    Some('x') => {
                        let h: String = it.by_ref().take(2).collect();
                        out.push(u8::from_str_radix(&h, 16).unwrap());
                    }
                    Some('u') => {
                        let h: String = it.by_ref().skip(1).take_while(|&c| c != '}').collect();
                        let c = char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap();
                        out.extend_from_slice(c.to_string().as_bytes());
                    }
                    Some(c) => out.extend_from_slice(c.to_string().as_bytes()),
                    None => panic!("dangling backslash"),
                }
            }
            out
        }
        let mut all: Vec<u8> = (0..=255).collect();
        all.extend_from_slice("\u{85}\u{2028}é中\u{fffd}\\x41\"'".as_bytes());
        all.extend_from_slice(b"\xe4\xb8\xf0\x9f\x98");
        for raw in [&all[..], &all[128..], b"\\\\\"\"", b"\xff\xfe"] {
            let t = text_of(Value::Text(raw.to_vec()));
            assert!(!t.contains(['\n', '\r', '\u{85}', '\u{2028}']), "{t}");
            let inner = t
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap();
            assert_eq!(unescape(inner), raw, "{t}");
        }
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
