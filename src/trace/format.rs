//! Rendering decoded packets as text lines or JSON lines, and the live tracers that use them.
//!
//! JSON lines carry stable field names (documented in protocol-notes/trace-formats.md):
//! `dir` (`"C->S"` / `"S->C"`), `seq`, `len`, `phase` (`handshake`/`auth`/`command`), `type`,
//! then the packet's own fields, and `hex` when hex dumps are on. A packet of the compressed
//! protocol ([`Decoded::compressed`]) is a line of its own before the packets it carries: text
//! `S->C z#1     1278B -> 3108B compressed`, JSON `"type":"Compressed"` with `compressed_len`
//! and `uncompressed_len`, never a hex dump.

use std::io::Write;

use bytes::Bytes;

use super::decode::{hex, Conversation, Decoded, Typed, Value};
use super::{CompressedEvent, PacketEvent, Phase, Tracer};

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
        Value::Typed(l) => {
            out.push('[');
            for (i, t) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match t {
                    Typed::Null => out.push_str("null"),
                    Typed::Number(n) => out.push_str(n),
                    Typed::Text(b) => json_bytes(out, b),
                    Typed::LongData(n) => out.push_str(&format!("{{\"long_data\":{n}}}")),
                    Typed::Indicator(i) => out.push_str(&format!("{{\"indicator\":\"{i}\"}}")),
                }
            }
            out.push(']');
        }
        Value::Unknown => out.push_str("null"),
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
    if with_hex && !d.is_compressed_packet() {
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
    // Bytes that may start something to escape: C0 controls, DEL, the backslash, the quote, and
    // the lead bytes of U+0080..U+009F (0xC2) and U+2028/U+2029 (0xE2). Runs of other bytes are
    // copied as they are; a quote that is not ASCII sends every character the slow way.
    let quote_byte = match quote {
        Some(q) => u8::try_from(q).ok().filter(u8::is_ascii),
        None => None,
    };
    let slow = quote.is_some() && quote_byte.is_none();
    let look = |x: u8| {
        x < 0x20 || x == 0x7f || x == b'\\' || x == 0xC2 || x == 0xE2 || Some(x) == quote_byte
    };
    for chunk in b.utf8_chunks() {
        let mut rest = chunk.valid();
        while !rest.is_empty() {
            let run = if slow {
                0
            } else {
                rest.bytes().position(look).unwrap_or(rest.len())
            };
            // `run` is at a character boundary: the byte found is ASCII or a lead byte.
            let Some((plain, tail)) = rest.split_at_checked(run) else {
                break;
            };
            out.push_str(plain);
            let mut chars = tail.chars();
            let Some(c) = chars.next() else {
                break;
            };
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
            rest = chars.as_str();
        }
        for &x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
}

/// Appends `b` as a double-quoted text-trace string.
fn text_quoted(out: &mut String, b: &[u8]) {
    out.reserve(b.len().saturating_add(2));
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
        Value::Typed(l) => {
            out.push('[');
            for (i, t) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match t {
                    Typed::Null => out.push_str("NULL"),
                    Typed::Number(n) => out.push_str(n),
                    Typed::Text(b) => text_quoted(out, b),
                    Typed::LongData(n) => out.push_str(&format!("<long data {n} bytes>")),
                    Typed::Indicator(i) => out.push_str(i),
                }
            }
            out.push(']');
        }
        Value::Unknown => out.push_str("<unknown>"),
    }
}

/// Renders one packet as a text line (plus hex-dump lines when asked; withheld for a packet
/// with a redacted field).
pub fn to_text(d: &Decoded, with_hex: bool) -> String {
    if d.is_compressed_packet() {
        return compressed_text(d);
    }
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

/// A packet of the compressed protocol as a text line: `S->C z#1     1234B -> 16384B
/// compressed`, or `C->S z#0        25B sent as is` (no hex dump: the packets it carries have
/// theirs).
fn compressed_text(d: &Decoded) -> String {
    let head = format!("{} z#{:<3}{:>7}B", d.direction.arrow(), d.seq, d.len);
    match d.field("uncompressed_len") {
        Some(Value::Int(n)) if *n != 0 => format!("{head} -> {n}B compressed"),
        _ => format!("{head} sent as is"),
    }
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

    fn compressed(&mut self, ev: &CompressedEvent<'_>) {
        let d = Decoded::compressed(ev.direction, ev.seq, ev.compressed_len, ev.uncompressed_len);
        let _ = writeln!(self.out, "{}", render(&d, self.format, self.hex));
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
    fn compressed(&mut self, ev: &CompressedEvent<'_>) {
        for t in &mut self.0 {
            t.compressed(ev);
        }
    }
}

#[cfg(test)]
mod tests;
