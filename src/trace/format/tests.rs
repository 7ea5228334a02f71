use super::*;
use crate::trace::decode::Decoded;
use crate::trace::Direction;
use bytes::Bytes;

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
fn compressed_packets_render_with_both_lengths() {
    let s2c = Direction::ServerToClient;
    let d = Decoded::compressed(s2c, 1, 1234, 16384);
    assert_eq!(
        render(&d, Format::Text, true),
        "S->C z#1     1234B -> 16384B compressed"
    );
    assert_eq!(
        render(&d, Format::Json, true),
        r#"{"dir":"S->C","seq":1,"len":1234,"phase":"command","type":"Compressed","compressed_len":1234,"uncompressed_len":16384}"#
    );
    let d = Decoded::compressed(Direction::ClientToServer, 0, 25, 0);
    assert_eq!(
        render(&d, Format::Text, false),
        "C->S z#0       25B sent as is"
    );
    // Aligned with the packets' lines: the lengths end in the same column.
    let p = render(&packet(vec![]), Format::Text, false);
    assert_eq!(p.find("3B"), Some(16));
    assert_eq!(render(&d, Format::Text, false).find("25B"), Some(15));
}

/// The live tracer writes a compressed packet's line, also through a `Tee`.
#[test]
fn live_tracers_show_compressed_packets() {
    use std::sync::{Arc, Mutex};
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
    let (text, json) = (Shared::default(), Shared::default());
    let mut tee = Tee(vec![
        Box::new(WriterTracer::new(text.clone(), Format::Text, true, false)),
        Box::new(WriterTracer::new(json.clone(), Format::Json, true, false)),
    ]);
    tee.compressed(&CompressedEvent {
        direction: Direction::ServerToClient,
        seq: 3,
        compressed_len: 40,
        uncompressed_len: 900,
        wire: &[0; 47],
    });
    let text = String::from_utf8(text.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text, "S->C z#3       40B -> 900B compressed\n");
    let json = String::from_utf8(json.0.lock().unwrap().clone()).unwrap();
    assert!(json.contains(r#""type":"Compressed","compressed_len":40,"uncompressed_len":900}"#));
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
    let cells = Value::Cells(vec![
        Some(b"'a'".to_vec().into()),
        None,
        Some(b"".to_vec().into()),
    ]);
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

/// The fast path (runs of plain bytes copied at once) escapes exactly as a character at a time:
/// every sequence of three fragments from a set that covers each rule and its neighbours.
#[test]
fn text_escape_runs_match_one_char_at_a_time() {
    fn reference(out: &mut String, b: &[u8], quote: Option<char>) {
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
                        out.push_str(&format!("\\x{:02x}", u32::from(c)));
                    }
                    '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => {
                        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
                    }
                    c => out.push(c),
                }
            }
            for &x in chunk.invalid() {
                out.push_str(&format!("\\x{x:02x}"));
            }
        }
    }
    let fragments: [&[u8]; 16] = [
        b"ab",
        b"\\",
        b"\"",
        b"'",
        b"\n",
        b"\x01",
        b"\x7f",
        "\u{85}".as_bytes(),
        "\u{a9}".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{2022}".as_bytes(),
        "\u{e9}".as_bytes(),
        "中".as_bytes(),
        b"\xff",
        b"\xc2",
        b"\xe2\x80",
    ];
    for a in fragments {
        for b in fragments {
            for c in fragments {
                let input = [a, b, c].concat();
                for quote in [None, Some('"'), Some('\u{e9}')] {
                    let (mut fast, mut slow) = (String::new(), String::new());
                    super::text_escape(&mut fast, &input, quote);
                    reference(&mut slow, &input, quote);
                    assert_eq!(fast, slow, "{input:?} quote {quote:?}");
                }
            }
        }
    }
}
