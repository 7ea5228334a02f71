//! Decoding capture files: reassembled TCP streams → MySQL packets → the same conversation
//! decoder the live trace uses.
//!
//! Each direction's byte stream is framed with the codec's [`PacketCodec`] (sequence checks
//! off: the conversation decoder reports them instead). A conversation whose start was not
//! captured is synchronised at the first client chunk that looks like a command (sequence id 0,
//! a known command byte) and decoded from there, and says so. After an SSLRequest the rest is
//! shown as encrypted. A gap in a stream (lost segments) resynchronises the same way. A damaged
//! capture file gives a note, and decoding goes on with what was read.

use std::net::SocketAddr;

use bytes::BytesMut;

use crate::codec::command::command_name;
use crate::codec::frame::PacketCodec;

use super::pcap::CaptureError;
use super::reassembly::{reassemble_capture, ReassemblyConfig, StreamEvent};
use crate::trace::decode::{Conversation, Decoded};
use crate::trace::Direction;

/// One decoded MySQL conversation of a capture.
#[derive(Debug, Clone)]
pub struct DecodedConversation {
    /// Client address.
    pub client: SocketAddr,
    /// Server address.
    pub server: SocketAddr,
    /// The capture did not include the connection's start.
    pub started_mid_stream: bool,
    /// Something was lost (gaps, unparseable framing).
    pub damaged: bool,
    /// Human-readable notes (synchronisation, gaps, encryption).
    pub notes: Vec<String>,
    /// The decoded packets in order.
    pub packets: Vec<Decoded>,
}

/// Everything decoded from one capture.
#[derive(Debug, Clone, Default)]
pub struct DecodedCapture {
    /// The MySQL conversations, in order of their first segment.
    pub conversations: Vec<DecodedConversation>,
    /// Frames read from the file.
    pub frames: u64,
    /// The error that stopped reading the file early, if any.
    pub error: Option<CaptureError>,
}

/// Largest packet accepted while decoding a capture.
const MAX_CAPTURED_PACKET: usize = 1 << 30;

struct Side {
    codec: PacketCodec,
    buf: BytesMut,
    synced: bool,
}

impl Side {
    fn new(synced: bool) -> Self {
        let mut codec = PacketCodec::new(MAX_CAPTURED_PACKET);
        codec.set_check_seq(false);
        Side {
            codec,
            buf: BytesMut::new(),
            synced,
        }
    }
}

/// True if `chunk` plausibly starts with a client command packet.
fn looks_like_command(chunk: &[u8]) -> bool {
    match chunk {
        [l0, l1, l2, 0, cmd, ..] => {
            let len = usize::from(*l0) | (usize::from(*l1) << 8) | (usize::from(*l2) << 16);
            len >= 1 && command_name(*cmd).is_some() && (len + 4 >= chunk.len() || len < 0xFF_FFFF)
        }
        _ => false,
    }
}

/// Decodes every conversation with `server_port` on either side in a pcap / pcapng capture.
pub fn decode_capture(
    capture: &[u8],
    server_port: u16,
    redact_secrets: bool,
) -> Result<DecodedCapture, CaptureError> {
    let report = reassemble_capture(
        capture,
        ReassemblyConfig {
            server_port,
            ..ReassemblyConfig::default()
        },
    )?;
    let mut out = DecodedCapture {
        frames: report.frames,
        error: report.error,
        conversations: Vec::new(),
    };
    for c in report.conversations {
        if c.server.port() != server_port && c.client.port() != server_port {
            continue;
        }
        let mid = c.started_mid_stream;
        let mut conv = if mid {
            Conversation::mid_stream(redact_secrets)
        } else {
            Conversation::new(redact_secrets)
        };
        let mut d = DecodedConversation {
            client: c.client,
            server: c.server,
            started_mid_stream: mid,
            damaged: c.damaged,
            notes: Vec::new(),
            packets: Vec::new(),
        };
        if mid {
            d.notes
                .push("capture started mid-connection: decoding from the next command on".into());
        }
        let mut client = Side::new(!mid);
        let mut server = Side::new(!mid);
        let mut encrypted_bytes = [0u64; 2];
        for ev in &c.events {
            match ev {
                StreamEvent::Data {
                    direction, bytes, ..
                } => {
                    if conv.is_encrypted() {
                        let i = usize::from(*direction == Direction::ServerToClient);
                        if let Some(n) = encrypted_bytes.get_mut(i) {
                            *n += bytes.len() as u64;
                        }
                        continue;
                    }
                    let (side, other) = match direction {
                        Direction::ClientToServer => (&mut client, &mut server),
                        Direction::ServerToClient => (&mut server, &mut client),
                    };
                    if !side.synced {
                        let ok = match direction {
                            Direction::ClientToServer => looks_like_command(bytes),
                            // The server side syncs at its first chunk after the client's.
                            Direction::ServerToClient => other.synced,
                        };
                        if !ok {
                            continue;
                        }
                        side.synced = true;
                        side.buf.clear();
                    }
                    side.buf.extend_from_slice(bytes);
                    loop {
                        match side.codec.decode_frame(&mut side.buf) {
                            Ok(Some(f)) => {
                                if conv.is_encrypted() {
                                    break;
                                }
                                d.packets.push(conv.packet(*direction, f.seq, f.payload));
                            }
                            Ok(None) => break,
                            Err(e) => {
                                d.damaged = true;
                                d.notes.push(format!(
                                    "{}: {e}; resynchronising at the next command",
                                    direction.arrow()
                                ));
                                client = Side::new(false);
                                server = Side::new(false);
                                conv.resync();
                                break;
                            }
                        }
                    }
                }
                StreamEvent::Gap {
                    direction, missing, ..
                } => {
                    d.damaged = true;
                    d.notes.push(format!(
                        "{}: {missing} bytes missing from the capture; resynchronising at the next command",
                        direction.arrow()
                    ));
                    client = Side::new(false);
                    server = Side::new(false);
                    conv.resync();
                }
                StreamEvent::Fin { .. } | StreamEvent::Rst { .. } => {}
            }
        }
        if conv.is_encrypted() {
            let [c2s, s2c] = encrypted_bytes;
            d.notes.push(format!(
                "TLS after the SSLRequest: {c2s} bytes client to server and {s2c} bytes server to client encrypted"
            ));
        }
        for (side, dir) in [
            (&client, Direction::ClientToServer),
            (&server, Direction::ServerToClient),
        ] {
            if !side.buf.is_empty() && !conv.is_encrypted() {
                d.notes.push(format!(
                    "{}: {} bytes of an incomplete packet at the end of the capture",
                    dir.arrow(),
                    side.buf.len()
                ));
            }
        }
        out.conversations.push(d);
    }
    Ok(out)
}

/// Decodes the packets of an already reassembled pair of streams (for tests and tools that
/// have the byte streams at hand): `chunks` in the order they were seen.
pub fn decode_streams<'a>(
    chunks: impl IntoIterator<Item = (Direction, &'a [u8])>,
    redact_secrets: bool,
) -> Vec<Decoded> {
    let mut conv = Conversation::new(redact_secrets);
    let mut client = Side::new(true);
    let mut server = Side::new(true);
    let mut out = Vec::new();
    for (dir, bytes) in chunks {
        let side = match dir {
            Direction::ClientToServer => &mut client,
            Direction::ServerToClient => &mut server,
        };
        side.buf.extend_from_slice(bytes);
        while let Ok(Some(f)) = side.codec.decode_frame(&mut side.buf) {
            out.push(conv.packet(dir, f.seq, f.payload));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::pcap::PcapngWriter;
    use crate::codec::flags::{CapabilityFlags, ColumnFlags, ColumnType, MariaDbCapabilities};
    use crate::codec::handshake::{
        encode_handshake, encode_handshake_response, encode_ssl_request, Handshake,
        HandshakeResponse,
    };
    use crate::codec::response::{encode_ok, OkPacket};
    use crate::codec::resultset::{encode_row, ColumnFields};
    use crate::codec::StatusFlags;

    const CAPS: CapabilityFlags = CapabilityFlags(0x01ae_a205 | (1 << 24) | (1 << 23));

    fn framed(seq: u8, payload: &[u8]) -> Vec<u8> {
        let mut c = PacketCodec::default();
        c.set_seq(seq);
        let mut b = BytesMut::new();
        c.encode_parts(&[payload], &mut b);
        b.to_vec()
    }

    fn greeting() -> Vec<u8> {
        let mut b = BytesMut::new();
        encode_handshake(
            &Handshake {
                protocol_version: 10,
                server_version: "5.5.5-10.11.19-MariaDB".into(),
                connection_id: 7,
                nonce: vec![b'n'; 20],
                capabilities: CapabilityFlags(0x81fff7fe),
                charset: 45,
                status: StatusFlags::AUTOCOMMIT,
                mariadb_capabilities: MariaDbCapabilities(0x1d),
                auth_plugin: Some("mysql_native_password".into()),
            },
            &mut b,
        );
        framed(0, &b)
    }

    fn login() -> Vec<u8> {
        let mut b = BytesMut::new();
        encode_handshake_response(
            &HandshakeResponse {
                capabilities: CAPS,
                max_packet_size: 1 << 24,
                charset: 45,
                user: b"root".to_vec(),
                auth_response: vec![0xAA; 20],
                auth_plugin: Some(b"mysql_native_password".to_vec()),
                ..Default::default()
            },
            &mut b,
        );
        framed(1, &b)
    }

    fn ok(seq: u8, header: u8) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode_ok(
            &OkPacket {
                status: StatusFlags::AUTOCOMMIT,
                ..Default::default()
            },
            header,
            CAPS,
            &mut b,
        );
        framed(seq, &b)
    }

    fn query_and_result() -> (Vec<u8>, Vec<u8>) {
        let q = framed(0, b"\x03SELECT 1 AS a");
        let mut r = framed(1, &[1]);
        let mut col = BytesMut::new();
        ColumnFields {
            catalog: b"def",
            schema: b"",
            table: b"",
            org_table: b"",
            name: b"a",
            org_name: b"",
            extended_metadata: None,
            charset: 63,
            column_length: 1,
            column_type: ColumnType::LONG,
            flags: ColumnFlags::NOT_NULL,
            decimals: 0,
        }
        .encode(&mut col);
        r.extend(framed(2, &col));
        let mut row = BytesMut::new();
        encode_row(&[Some(b"1")], &mut row);
        r.extend(framed(3, &row));
        r.extend(ok(4, 0xFE));
        (q, r)
    }

    fn capture(parts: &[(Direction, Vec<u8>)], handshake: bool) -> Vec<u8> {
        let c: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let s: SocketAddr = "10.0.0.2:3306".parse().unwrap();
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        if handshake {
            w.write_handshake(1, c, s).unwrap();
        }
        for (i, (dir, bytes)) in parts.iter().enumerate() {
            // Split each message in two segments to exercise reassembly.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            w.write_tcp_payload(10 + i as u64, c, s, *dir, a).unwrap();
            w.write_tcp_payload(10 + i as u64, c, s, *dir, b).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn kinds(d: &DecodedConversation) -> Vec<&'static str> {
        d.packets.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn whole_conversation_decodes_with_redaction() {
        let (q, r) = query_and_result();
        let cap = capture(
            &[
                (Direction::ServerToClient, greeting()),
                (Direction::ClientToServer, login()),
                (Direction::ServerToClient, ok(2, 0)),
                (Direction::ClientToServer, q),
                (Direction::ServerToClient, r),
            ],
            true,
        );
        let out = decode_capture(&cap, 3306, true).unwrap();
        assert_eq!(out.conversations.len(), 1);
        let c = &out.conversations[0];
        assert!(!c.started_mid_stream && !c.damaged, "{:?}", c.notes);
        assert_eq!(
            kinds(c),
            [
                "Greeting",
                "HandshakeResponse",
                "OK",
                "COM_QUERY",
                "ColumnCount",
                "ColumnDefinition",
                "Row",
                "OK"
            ]
        );
        assert_eq!(
            c.packets[1].field("auth_response"),
            Some(&crate::trace::decode::Value::Redacted(20))
        );
    }

    #[test]
    fn mid_stream_capture_syncs_at_next_command() {
        let (q, r) = query_and_result();
        let junk_tail = r[3..].to_vec(); // the end of some earlier response
        let cap = capture(
            &[
                (Direction::ServerToClient, junk_tail),
                (Direction::ClientToServer, q),
                (Direction::ServerToClient, r),
            ],
            false,
        );
        let out = decode_capture(&cap, 3306, true).unwrap();
        let c = &out.conversations[0];
        assert!(c.started_mid_stream);
        assert!(c.notes[0].contains("mid-connection"));
        assert_eq!(
            kinds(c),
            ["COM_QUERY", "ColumnCount", "ColumnDefinition", "Row", "OK"]
        );
    }

    #[test]
    fn tls_after_ssl_request_is_shown_encrypted() {
        let mut ssl = BytesMut::new();
        encode_ssl_request(CAPS, 1 << 24, 45, MariaDbCapabilities::empty(), &mut ssl);
        let cap = capture(
            &[
                (Direction::ServerToClient, greeting()),
                (Direction::ClientToServer, framed(1, &ssl)),
                (
                    Direction::ClientToServer,
                    vec![0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5],
                ),
                (Direction::ServerToClient, vec![0x16, 3, 3, 0, 2, 9, 9]),
            ],
            true,
        );
        let out = decode_capture(&cap, 3306, true).unwrap();
        let c = &out.conversations[0];
        assert_eq!(kinds(c), ["Greeting", "SSLRequest"]);
        assert!(c
            .notes
            .iter()
            .any(|n| n.contains("TLS") && n.contains("10 bytes")));
    }

    #[test]
    fn damaged_file_still_yields_what_was_read() {
        let (q, r) = query_and_result();
        let mut cap = capture(
            &[
                (Direction::ServerToClient, greeting()),
                (Direction::ClientToServer, login()),
                (Direction::ServerToClient, ok(2, 0)),
                (Direction::ClientToServer, q),
                (Direction::ServerToClient, r),
            ],
            true,
        );
        cap.truncate(cap.len() - 30);
        let out = decode_capture(&cap, 3306, true).unwrap();
        assert!(out.error.is_some());
        assert!(kinds(&out.conversations[0]).starts_with(&["Greeting", "HandshakeResponse"]));
    }
}
