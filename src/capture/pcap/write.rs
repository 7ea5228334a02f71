//! The pcapng writer: synthesizes a clean Ethernet/IPv4-or-IPv6/TCP conversation (handshake,
//! segments with checksums and acks, close) around MySQL payloads.

use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::parse::{BLOCK_EPB, BLOCK_IDB, PCAPNG_BOM, PCAPNG_SHB};
use super::*;
use crate::trace::Direction;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone)]
struct Side {
    /// Next sequence number this side sends.
    next_seq: u32,
    /// Bytes this side sent that the peer has not acknowledged yet in the file.
    unacked: usize,
    ip_id: u16,
}

#[derive(Debug, Clone)]
struct WriterFlow {
    client: Side,
    server: Side,
}

/// The window the writer advertises (scaled by 2^[`WINDOW_SCALE`] after a handshake).
const WINDOW: u16 = 65535;
/// The window-scale shift announced in SYN and SYN-ACK.
const WINDOW_SCALE: u8 = 7;
/// The writer emits a pure ACK from the receiver once this many bytes are unacknowledged.
const ACK_EVERY: usize = 256 * 1024;

pub(super) const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub(super) const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// A pcapng writer: one section, one Ethernet interface (nanosecond timestamps), and enhanced
/// packet blocks. Its TCP helpers synthesize Ethernet + IPv4/IPv6 + TCP headers with correct
/// lengths and checksums and track sequence and acknowledgment numbers per connection, so that
/// Wireshark sees a clean stream.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    flows: HashMap<(SocketAddr, SocketAddr), WriterFlow>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header block and the interface description block.
    pub fn new(mut out: W) -> io::Result<Self> {
        // SHB: type, len, BOM, major 1, minor 0, section length -1 (unknown), no options, len.
        let mut shb = Vec::with_capacity(28);
        shb.extend_from_slice(&PCAPNG_SHB.to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        shb.extend_from_slice(&PCAPNG_BOM.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        out.write_all(&shb)?;
        // IDB: link type, reserved, snaplen, if_tsresol = 9 (nanoseconds), opt_endofopt.
        let mut idb = Vec::with_capacity(32);
        idb.extend_from_slice(&BLOCK_IDB.to_le_bytes());
        idb.extend_from_slice(&32u32.to_le_bytes());
        idb.extend_from_slice(&LINKTYPE_ETHERNET_U16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&WRITER_SNAPLEN.to_le_bytes());
        idb.extend_from_slice(&9u16.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 0, 0]);
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&32u32.to_le_bytes());
        out.write_all(&idb)?;
        Ok(PcapngWriter {
            out,
            flows: HashMap::new(),
        })
    }

    /// Writes one raw Ethernet frame as an enhanced packet block.
    pub fn write_frame(&mut self, timestamp_nanos: u64, frame: &[u8]) -> io::Result<()> {
        let len = u32::try_from(frame.len())
            .ok()
            .filter(|&l| l <= WRITER_SNAPLEN)
            .ok_or_else(|| invalid("frame longer than the snaplen"))?;
        let padded = pad4(frame.len());
        let total = u32::try_from(padded)
            .ok()
            .and_then(|p| p.checked_add(32))
            .ok_or_else(|| invalid("frame longer than the snaplen"))?;
        let mut b = Vec::with_capacity(total as usize);
        b.extend_from_slice(&BLOCK_EPB.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        // Timestamp high 32 bits, then low 32 bits, each little-endian.
        let [t0, t1, t2, t3, t4, t5, t6, t7] = timestamp_nanos.to_le_bytes();
        b.extend_from_slice(&[t4, t5, t6, t7, t0, t1, t2, t3]);
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(frame);
        b.resize(28 + padded, 0);
        b.extend_from_slice(&total.to_le_bytes());
        self.out.write_all(&b)
    }

    fn flow(&mut self, client: SocketAddr, server: SocketAddr) -> io::Result<&mut WriterFlow> {
        if client.is_ipv4() != server.is_ipv4() {
            return Err(invalid("client and server must both be IPv4 or both IPv6"));
        }
        Ok(self.flows.entry((client, server)).or_insert_with(|| {
            // Deterministic initial sequence numbers derived from the ports.
            let c = u32::from(client.port());
            let s = u32::from(server.port());
            WriterFlow {
                client: Side {
                    next_seq: c.wrapping_mul(0x9E37_79B9) ^ 0x1000_0000,
                    unacked: 0,
                    ip_id: 1,
                },
                server: Side {
                    next_seq: s.wrapping_mul(0x85EB_CA6B) ^ c ^ 0x2000_0000,
                    unacked: 0,
                    ip_id: 1,
                },
            }
        }))
    }

    /// Emits one segment from `dir`'s sender; advances its sequence number by `payload.len()`
    /// plus one for SYN and FIN.
    fn segment(
        &mut self,
        ts: u64,
        client: SocketAddr,
        server: SocketAddr,
        dir: Direction,
        flags: u8,
        payload: &[u8],
    ) -> io::Result<()> {
        let flow = self.flow(client, server)?;
        let (me, peer) = match dir {
            Direction::ClientToServer => (&mut flow.client, &flow.server),
            Direction::ServerToClient => (&mut flow.server, &flow.client),
        };
        let seq = me.next_seq;
        let ack = if flags & TcpFlags::ACK != 0 {
            peer.next_seq
        } else {
            0
        };
        let ip_id = me.ip_id;
        me.ip_id = me.ip_id.wrapping_add(1);
        let mut consumed =
            u32::try_from(payload.len()).map_err(|_| invalid("segment payload too long"))?;
        if flags & (TcpFlags::SYN | TcpFlags::FIN) != 0 {
            consumed = consumed.wrapping_add(1);
        }
        me.next_seq = me.next_seq.wrapping_add(consumed);
        me.unacked = me.unacked.saturating_add(payload.len());
        if flags & TcpFlags::ACK != 0 {
            // This segment acknowledges everything the peer sent.
            match dir {
                Direction::ClientToServer => flow.server.unacked = 0,
                Direction::ServerToClient => flow.client.unacked = 0,
            }
        }
        let (src, dst, smac, dmac) = match dir {
            Direction::ClientToServer => (client, server, CLIENT_MAC, SERVER_MAC),
            Direction::ServerToClient => (server, client, SERVER_MAC, CLIENT_MAC),
        };
        let frame = build_frame(&FrameSpec {
            src,
            dst,
            src_mac: smac,
            dst_mac: dmac,
            seq,
            ack,
            flags,
            ip_id,
            payload,
        })?;
        self.write_frame(ts, &frame)
    }

    /// Writes the three-way handshake (SYN, SYN-ACK, ACK) of the connection `client` → `server`.
    /// Call it before the first payload so that Wireshark sees the whole connection.
    pub fn write_handshake(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> io::Result<()> {
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::SYN, &[])?;
        let syn_ack = TcpFlags::SYN | TcpFlags::ACK;
        self.segment(timestamp_nanos, client, server, s2c, syn_ack, &[])?;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::ACK, &[])
    }

    /// Writes `payload` sent in `direction` on the connection `client` ↔ `server`, split into
    /// segments of at most [`MAX_SEGMENT_PAYLOAD`] bytes, each its own frame, with PSH on the
    /// last. Every segment acknowledges all the peer sent; when many bytes are in flight the
    /// peer's pure ACKs are emitted too.
    pub fn write_tcp_payload(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
        direction: Direction,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut chunks = payload.chunks(MAX_SEGMENT_PAYLOAD).peekable();
        while let Some(chunk) = chunks.next() {
            let mut flags = TcpFlags::ACK;
            if chunks.peek().is_none() {
                flags |= TcpFlags::PSH;
            }
            self.segment(timestamp_nanos, client, server, direction, flags, chunk)?;
            let unacked = {
                let flow = self.flow(client, server)?;
                match direction {
                    Direction::ClientToServer => flow.client.unacked,
                    Direction::ServerToClient => flow.server.unacked,
                }
            };
            if unacked >= ACK_EVERY {
                let rev = direction.reverse();
                self.segment(timestamp_nanos, client, server, rev, TcpFlags::ACK, &[])?;
            }
        }
        Ok(())
    }

    /// Writes the close of the connection: FIN/ACK from the client, FIN/ACK from the server, and
    /// the client's final ACK.
    pub fn write_close(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> io::Result<()> {
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        let fin_ack = TcpFlags::FIN | TcpFlags::ACK;
        self.segment(timestamp_nanos, client, server, c2s, fin_ack, &[])?;
        self.segment(timestamp_nanos, client, server, s2c, fin_ack, &[])?;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::ACK, &[])?;
        self.flows.remove(&(client, server));
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

pub(super) struct FrameSpec<'p> {
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) src_mac: [u8; 6],
    pub(super) dst_mac: [u8; 6],
    pub(super) seq: u32,
    pub(super) ack: u32,
    pub(super) flags: u8,
    pub(super) ip_id: u16,
    pub(super) payload: &'p [u8],
}

/// Builds an Ethernet + IPv4/IPv6 + TCP frame with correct lengths and checksums.
pub(super) fn build_frame(spec: &FrameSpec<'_>) -> io::Result<Vec<u8>> {
    if spec.payload.len() > MAX_SEGMENT_PAYLOAD {
        return Err(invalid("TCP payload larger than one segment"));
    }
    // TCP header, with MSS and window-scale options on SYNs.
    let mut tcp = Vec::with_capacity(28 + spec.payload.len());
    tcp.extend_from_slice(&spec.src.port().to_be_bytes());
    tcp.extend_from_slice(&spec.dst.port().to_be_bytes());
    tcp.extend_from_slice(&spec.seq.to_be_bytes());
    tcp.extend_from_slice(&spec.ack.to_be_bytes());
    let syn = spec.flags & TcpFlags::SYN != 0;
    let hdr_len: u8 = if syn { 28 } else { 20 };
    tcp.push((hdr_len / 4) << 4);
    tcp.push(spec.flags);
    tcp.extend_from_slice(&WINDOW.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    if syn {
        let mss = u16::try_from(MAX_SEGMENT_PAYLOAD).map_err(|_| invalid("MSS above 65535"))?;
        tcp.extend_from_slice(&[2, 4]);
        tcp.extend_from_slice(&mss.to_be_bytes());
        tcp.extend_from_slice(&[1, 3, 3, WINDOW_SCALE]);
    }
    tcp.extend_from_slice(spec.payload);
    let tcp_len = tcp.len();

    let mut frame = Vec::with_capacity(14 + 40 + tcp_len);
    frame.extend_from_slice(&spec.dst_mac);
    frame.extend_from_slice(&spec.src_mac);
    let mut pseudo = Vec::with_capacity(40);
    match (spec.src.ip(), spec.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let total = u16::try_from(20 + tcp_len).map_err(|_| invalid("IPv4 packet too long"))?;
            let mut ip = [0u8; 20];
            ip[0] = 0x45;
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[4..6].copy_from_slice(&spec.ip_id.to_be_bytes());
            ip[6] = 0x40; // don't fragment
            ip[8] = 64; // TTL
            ip[9] = 6;
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let c = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            frame.extend_from_slice(&ip);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 6]);
            // `tcp_len` < `total`, a u16.
            let tcp_len = u16::try_from(tcp_len).map_err(|_| invalid("IPv4 packet too long"))?;
            pseudo.extend_from_slice(&tcp_len.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
            let plen = u16::try_from(tcp_len).map_err(|_| invalid("IPv6 payload too long"))?;
            frame.extend_from_slice(&[0x60, 0, 0, 0]);
            frame.extend_from_slice(&plen.to_be_bytes());
            frame.extend_from_slice(&[6, 64]);
            frame.extend_from_slice(&s.octets());
            frame.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&u32::from(plen).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 6]);
        }
        _ => return Err(invalid("client and server must both be IPv4 or both IPv6")),
    }
    let c = checksum(&[&pseudo, &tcp]);
    if let Some(slot) = tcp.get_mut(16..18) {
        slot.copy_from_slice(&c.to_be_bytes());
    }
    frame.extend_from_slice(&tcp);
    Ok(frame)
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`; every part but the last
/// must have even length.
pub(super) fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            if let [a, b] = c {
                sum += u64::from(u16::from_be_bytes([*a, *b]));
            }
        }
        if let [a] = chunks.remainder() {
            sum += u64::from(u16::from_be_bytes([*a, 0]));
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    // The loop leaves `sum` <= 0xFFFF; the mask makes the conversion visibly lossless.
    !u16::try_from(sum & 0xFFFF).unwrap_or(u16::MAX)
}
