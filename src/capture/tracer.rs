//! The live pcapng tracer: a session written as a capture file for Wireshark / tshark.

use std::io::Write;
use std::net::SocketAddr;

use super::pcap::PcapngWriter;
use crate::codec::CapabilityFlags;
use crate::trace::{CompressedEvent, Direction, PacketEvent, Phase, Tracer};

/// A live tracer that writes the session as a pcapng capture with synthesized Ethernet/IP/TCP
/// headers around the real (plaintext) MySQL packets, for Wireshark / tshark.
///
/// Over TLS the capture must still read as a plaintext session, or tshark and `mywire decode`
/// take everything after the SSLRequest for TLS records: so the SSLRequest is left out,
/// CLIENT_SSL is cleared in the HandshakeResponse (tshark switches to TLS on that bit too), and
/// the sequence ids of the later handshake and auth packets are lowered by one, as in a
/// plaintext session. Command-phase packets are unchanged (their ids restart with each command).
///
/// On a compressed connection, from the OK that ends authentication on, the frames carry the
/// compressed packets exactly as they went over the wire ([`CompressedEvent::wire`]), not the
/// packets inside them: the file reads like a real capture of the session.
pub struct PcapngTracer<W: Write + Send> {
    w: PcapngWriter<W>,
    renumber: bool,
    /// Compression is on: the compressed packets are written, not the packets they carry.
    compressed: bool,
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
            compressed: false,
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

impl<W: Write + Send> PcapngTracer<W> {
    fn write(&mut self, direction: Direction, wire: &[u8]) {
        let ts = self.now();
        let r = self
            .w
            .write_tcp_payload(ts, self.client, self.server, direction, wire)
            .and_then(|_| self.w.flush());
        if r.is_err() {
            self.failed = true;
        }
    }
}

impl<W: Write + Send> Tracer for PcapngTracer<W> {
    fn compressed(&mut self, ev: &CompressedEvent<'_>) {
        // Every packet after this one is carried by compressed packets (both ways).
        self.compressed = true;
        if !self.failed {
            self.write(ev.direction, ev.wire);
        }
    }

    fn packet(&mut self, ev: &PacketEvent<'_>) {
        if self.failed || self.compressed {
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
        self.write(ev.direction, &wire);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::offline::decode_capture;
    use crate::codec::handshake::{
        encode_handshake_response, encode_ssl_request, HandshakeResponse,
    };
    use crate::codec::MariaDbCapabilities;
    use crate::trace::decode::Value;
    use bytes::BytesMut;
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

    /// On a compressed session the compressed packets are written as they went on the wire,
    /// and the packets they carry (also traced) are not written again.
    #[test]
    fn compressed_session_capture_holds_the_wire_bytes() {
        use crate::codec::compress::{Algorithm, Deflater};
        use crate::trace::CompressedEvent;
        let out = Shared::default();
        let mut t = PcapngTracer::new(
            out.clone(),
            "127.0.0.1:50000".parse().unwrap(),
            "127.0.0.1:3306".parse().unwrap(),
        )
        .unwrap();
        let caps = CapabilityFlags(0x01ae_a205) | CapabilityFlags::COMPRESS;
        let mut greeting = BytesMut::new();
        crate::codec::handshake::encode_handshake(
            &crate::codec::handshake::Handshake {
                protocol_version: 10,
                server_version: "5.5.5-10.11.19-MariaDB".into(),
                connection_id: 1,
                nonce: vec![b'n'; 20],
                capabilities: CapabilityFlags(0x81fff7fe),
                charset: 45,
                status: crate::codec::StatusFlags::AUTOCOMMIT,
                mariadb_capabilities: MariaDbCapabilities(0x1d),
                auth_plugin: Some("mysql_native_password".into()),
            },
            &mut greeting,
        );
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
        let (c2s, s2c) = (Direction::ClientToServer, Direction::ServerToClient);
        let ok = [0u8, 0, 0, 2, 0, 0, 0];
        for (direction, seq, phase, payload) in [
            (s2c, 0, Phase::Handshake, &greeting[..]),
            (c2s, 1, Phase::Handshake, &hello[..]),
            (s2c, 2, Phase::Auth, &ok[..]),
        ] {
            t.packet(&PacketEvent {
                direction,
                seq,
                phase,
                payload,
            });
        }
        // A ping, and an OK padded with info text so that it is compressed.
        let mut z = Deflater::new(Algorithm::Zlib, 6);
        let mut info = ok.to_vec();
        info.push(200);
        info.extend_from_slice(&[b'i'; 200]);
        for (direction, plain) in [(c2s, vec![0x0e]), (s2c, info)] {
            let mut framed = BytesMut::new();
            let mut codec = crate::codec::frame::PacketCodec::default();
            codec.set_seq(u8::from(direction == s2c));
            codec.encode_parts(&[&plain], &mut framed);
            let mut wire = BytesMut::new();
            z.frame(&framed, u8::from(direction == s2c), &mut wire);
            let h = crate::codec::compress::peek_compressed_header(&wire).unwrap();
            t.compressed(&CompressedEvent {
                direction,
                seq: h.seq,
                compressed_len: h.compressed_len,
                uncompressed_len: h.uncompressed_len,
                wire: &wire,
            });
            t.packet(&PacketEvent {
                direction,
                seq: u8::from(direction == s2c),
                phase: Phase::Command,
                payload: &plain,
            });
        }
        drop(t);
        let bytes = out.0.lock().unwrap().clone();
        let d = decode_capture(&bytes, 3306, true).unwrap();
        let c = &d.conversations[0];
        assert!(c.compressed && !c.damaged, "{:?}", c.notes);
        let kinds: Vec<_> = c.packets.iter().map(|p| (p.kind, p.len)).collect();
        assert_eq!(
            kinds[3..],
            [
                ("Compressed", 5),
                ("COM_PING", 1),
                ("Compressed", c.packets[5].len),
                ("OK", 208)
            ]
        );
        assert_eq!(
            c.packets[5].field("uncompressed_len"),
            Some(&Value::Int(212))
        );
    }
}
