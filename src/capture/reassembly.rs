//! TCP stream reassembly: turns captured [`TcpSegment`]s into per-conversation, per-direction
//! in-order byte streams, interleaved in the order the bytes became contiguous so that a MySQL
//! decoder can alternate requests and responses.
//!
//! Handles out-of-order segments (buffered, with a per-flow memory limit), retransmissions and
//! overlaps (the first copy of a byte wins), sequence-number wraparound, captures that start
//! mid-connection, FIN and RST, and gaps that never fill (reported as [`StreamEvent::Gap`], then
//! skipped so the stream goes on).

use super::pcap::{decode_frame, CaptureError, CaptureReader, SkipReason, TcpSegment};
use crate::trace::Direction;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

mod incremental;
mod whole;
pub use incremental::{ConversationUpdate, DrainConfig};
pub use whole::{reassemble_capture, CaptureReport, MAX_SKIP_NOTES};

/// Reassembly settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// The MySQL server port: when a connection's SYN was not captured, the side using this port
    /// is taken as the server. Default 3306.
    pub server_port: u16,
    /// The most out-of-order bytes buffered per flow (both directions together). Beyond it the
    /// flow is marked damaged and the oldest gap is given up on (reported as a
    /// [`StreamEvent::Gap`]) until the buffer fits again. Default 64 MiB.
    pub max_buffered_per_flow: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            server_port: 3306,
            max_buffered_per_flow: 64 * 1024 * 1024,
        }
    }
}

/// One event of a conversation, in the order it happened in the reassembled streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Bytes that just became contiguous in `direction`'s stream.
    Data {
        /// Which way the bytes travel.
        direction: Direction,
        /// Capture time of the segment that made them contiguous (ns since the epoch).
        timestamp_nanos: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Bytes of `direction`'s stream that were never captured and were skipped.
    Gap {
        /// Which way the missing bytes travel.
        direction: Direction,
        /// Capture time at which the gap was given up on.
        timestamp_nanos: u64,
        /// How many bytes are missing.
        missing: u64,
    },
    /// The sender of `direction` closed its side (FIN), after all its bytes.
    Fin {
        /// The closing side's direction.
        direction: Direction,
        /// Capture time of the FIN.
        timestamp_nanos: u64,
    },
    /// The sender of `direction` reset the connection.
    Rst {
        /// The resetting side's direction.
        direction: Direction,
        /// Capture time of the RST.
        timestamp_nanos: u64,
    },
}

/// One TCP connection with its reassembled streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The client: the side that sent the SYN, or when no SYN was captured, the side not using
    /// the server port.
    pub client: SocketAddr,
    /// The server.
    pub server: SocketAddr,
    /// True when the connection's handshake was not captured.
    pub started_mid_stream: bool,
    /// True when bytes were lost: a gap was skipped or the buffer limit was reached.
    pub damaged: bool,
    /// Capture time of the first segment.
    pub first_timestamp_nanos: u64,
    /// Segments (or parts) dropped as retransmissions or overlaps of bytes already seen.
    pub retransmitted_bytes: u64,
    /// The events, in order.
    pub events: Vec<StreamEvent>,
}

impl Conversation {
    /// All the bytes of one direction concatenated (gaps simply omitted).
    pub fn stream(&self, direction: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            if let StreamEvent::Data {
                direction: d,
                bytes,
                ..
            } = e
            {
                if *d == direction {
                    out.extend_from_slice(bytes);
                }
            }
        }
        out
    }

    /// The data chunks as `(direction, timestamp, bytes)`, in order.
    pub fn chunks(&self) -> impl Iterator<Item = (Direction, u64, &[u8])> {
        self.events.iter().filter_map(|e| match e {
            StreamEvent::Data {
                direction,
                timestamp_nanos,
                bytes,
            } => Some((*direction, *timestamp_nanos, bytes.as_slice())),
            _ => None,
        })
    }
}

/// One direction of a flow. Positions are 64-bit offsets from the first byte of the stream, so
/// sequence-number wraparound is invisible past [`DirState::offset_of`].
#[derive(Debug, Clone, Default)]
struct DirState {
    /// Sequence number of the next expected byte, once known.
    next_seq: Option<u32>,
    /// Stream offset of the next expected byte.
    next_off: u64,
    /// Out-of-order data, keyed by stream offset; entries never overlap.
    pending: BTreeMap<u64, (Vec<u8>, u64)>,
    buffered: usize,
    /// Stream offset at which the FIN sits, once seen.
    fin_at: Option<u64>,
    fin_ts: u64,
    fin_done: bool,
    rst: bool,
}

/// `seq + n` in TCP sequence space, mod 2^32: only the low 32 bits of `n` count.
fn seq_advance(seq: u32, n: u64) -> u32 {
    let [_, _, _, _, b4, b5, b6, b7] = n.to_be_bytes();
    seq.wrapping_add(u32::from_be_bytes([b4, b5, b6, b7]))
}

impl DirState {
    /// The stream offset of `seq`: relative to the next expected byte, within ±2^31.
    fn offset_of(&self, seq: u32, base_seq: u32) -> Option<u64> {
        // Serial-number arithmetic (RFC 1982): the u32 distance read as two's complement.
        let rel = i32::from_ne_bytes(seq.wrapping_sub(base_seq).to_ne_bytes());
        let off = i128::from(self.next_off) + i128::from(rel);
        u64::try_from(off).ok()
    }
}

#[derive(Debug)]
struct ConvState {
    conv: Conversation,
    c2s: DirState,
    s2c: DirState,
    handshake_seen: bool,
    /// Client ISN when the SYN was seen (to tell a reused 4-tuple).
    client_isn: Option<u32>,
    closed: bool,
    /// The conversation's number, in order of first segment from 0 (for [`Reassembler::drain`]).
    id: u64,
    /// Capture time of its latest segment.
    last_seen: u64,
}

impl ConvState {
    fn dir_mut(&mut self, d: Direction) -> &mut DirState {
        match d {
            Direction::ClientToServer => &mut self.c2s,
            Direction::ServerToClient => &mut self.s2c,
        }
    }
}

/// Reassembles TCP conversations from segments fed in capture order.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    convs: Vec<ConvState>,
    /// Normalized 4-tuple (lower address first) → index of the current conversation.
    index: HashMap<(SocketAddr, SocketAddr), usize>,
    last_ts: u64,
    /// Conversations created so far (the next one's id).
    created: u64,
    /// 4-tuples of conversations [`Reassembler::drain`] dropped, with the capture time they were
    /// dropped at: their late segments (a last ACK) are ignored instead of starting a new
    /// conversation, for [`DrainConfig::linger_nanos`].
    dropped: HashMap<(SocketAddr, SocketAddr), u64>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler::new(ReassemblyConfig::default())
    }
}

impl Reassembler {
    /// A reassembler with `config`.
    pub fn new(config: ReassemblyConfig) -> Self {
        Reassembler {
            config,
            convs: Vec::new(),
            index: HashMap::new(),
            last_ts: 0,
            created: 0,
            dropped: HashMap::new(),
        }
    }

    /// Feeds one segment, in capture order.
    pub fn push(&mut self, seg: &TcpSegment<'_>) {
        self.last_ts = self.last_ts.max(seg.timestamp_nanos);
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let syn_only = seg.flags.syn() && !seg.flags.ack();
        let existing = self.index.get(&key).copied();
        if existing.is_none() && !syn_only && self.dropped.contains_key(&key) {
            // A late segment of a conversation `drain` already finished and dropped.
            return;
        }
        let idx = match existing {
            // A new SYN on a 4-tuple whose connection is over (or another ISN): a new connection.
            Some(i)
                if syn_only
                    && self.convs.get(i).is_some_and(|c| {
                        c.closed || c.client_isn.is_some_and(|isn| isn != seg.seq)
                    }) =>
            {
                self.new_conv(key, seg)
            }
            Some(i) => i,
            None => self.new_conv(key, seg),
        };
        let limit = self.config.max_buffered_per_flow;
        if let Some(c) = self.convs.get_mut(idx) {
            c.last_seen = c.last_seen.max(seg.timestamp_nanos);
            process(c, seg, limit);
        }
    }

    fn new_conv(&mut self, key: (SocketAddr, SocketAddr), seg: &TcpSegment<'_>) -> usize {
        let f = seg.flags;
        // SYN: its sender is the client; SYN-ACK: its receiver. Otherwise the server port
        // decides, and when neither side uses it the sender is taken as the client.
        let sender_is_client = if f.syn() {
            !f.ack()
        } else {
            seg.dst.port() == self.config.server_port || seg.src.port() != self.config.server_port
        };
        let (client, server) = if sender_is_client {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let handshake_seen = f.syn();
        let conv = Conversation {
            client,
            server,
            started_mid_stream: !handshake_seen,
            damaged: false,
            first_timestamp_nanos: seg.timestamp_nanos,
            retransmitted_bytes: 0,
            events: Vec::new(),
        };
        self.convs.push(ConvState {
            conv,
            c2s: DirState::default(),
            s2c: DirState::default(),
            handshake_seen,
            client_isn: None,
            closed: false,
            id: self.created,
            last_seen: seg.timestamp_nanos,
        });
        self.created = self.created.saturating_add(1);
        self.dropped.remove(&key);
        let i = self.convs.len() - 1;
        self.index.insert(key, i);
        i
    }

    /// Flushes every flow (remaining gaps are reported and skipped) and returns the
    /// conversations in order of their first segment.
    pub fn finish(self) -> Vec<Conversation> {
        self.finish_with_ids().into_iter().map(|(_, c)| c).collect()
    }

    /// [`finish`](Self::finish), each conversation with its number (as
    /// [`ConversationUpdate::id`] gives it).
    pub fn finish_with_ids(self) -> Vec<(u64, Conversation)> {
        let ts = self.last_ts;
        let mut convs = self.convs;
        // In order of first segment ([`Reassembler::push_and_take`] reorders them).
        convs.sort_by_key(|c| c.id);
        convs
            .into_iter()
            .map(|mut c| {
                flush(&mut c, ts);
                (c.id, c.conv)
            })
            .collect()
    }
}

/// Gives up on every gap left in `c` (reported and skipped), so that all its bytes are delivered.
fn flush(c: &mut ConvState, ts: u64) {
    for d in [Direction::ClientToServer, Direction::ServerToClient] {
        while !c.dir_mut(d).pending.is_empty() {
            force_gap(c, d, ts);
        }
        // Bytes lost just before a FIN: report them so the FIN still shows.
        let st = c.dir_mut(d);
        if let Some(at) = st.fin_at.filter(|&at| at > st.next_off && !st.rst) {
            let missing = at - st.next_off;
            st.next_off = at;
            c.conv.damaged = true;
            c.conv.events.push(StreamEvent::Gap {
                direction: d,
                timestamp_nanos: ts,
                missing,
            });
        }
        check_fin(c, d);
    }
}

fn process(c: &mut ConvState, seg: &TcpSegment<'_>, limit: usize) {
    let dir = if seg.src == c.conv.client {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    let ts = seg.timestamp_nanos;
    let f = seg.flags;
    if f.syn() && dir == Direction::ClientToServer && !f.ack() {
        c.client_isn.get_or_insert(seg.seq);
    }
    // Learn where the peer's stream starts from our ACK, when the handshake was seen (the SYN-ACK
    // itself may be missing).
    if f.ack() && c.handshake_seen {
        let peer = c.dir_mut(dir.reverse());
        if peer.next_seq.is_none() {
            peer.next_seq = Some(seg.ack);
        }
    }
    let st = c.dir_mut(dir);
    // The sequence number of the first payload byte (a SYN takes one number).
    let data_seq = if f.syn() {
        seg.seq.wrapping_add(1)
    } else {
        seg.seq
    };
    let base = match st.next_seq {
        Some(b) => b,
        None => {
            st.next_seq = Some(data_seq);
            data_seq
        }
    };
    if f.rst() {
        st.rst = true;
        c.closed = true;
        c.conv.events.push(StreamEvent::Rst {
            direction: dir,
            timestamp_nanos: ts,
        });
        return;
    }
    let Some(start) = st.offset_of(data_seq, base) else {
        // Points before the start of the stream: an old retransmission.
        c.conv.retransmitted_bytes += seg.payload.len() as u64;
        return;
    };
    let end = start + seg.payload.len() as u64;
    if f.fin() && st.fin_at.is_none() {
        st.fin_at = Some(end);
        st.fin_ts = ts;
    }
    if !seg.payload.is_empty() {
        insert(c, dir, start, seg.payload, ts, limit);
    }
    check_fin(c, dir);
    if c.c2s.fin_done && c.s2c.fin_done {
        c.closed = true;
    }
}

/// Inserts `payload` at stream offset `start`, keeping any bytes already received, and delivers
/// whatever became contiguous.
fn insert(c: &mut ConvState, dir: Direction, start: u64, payload: &[u8], ts: u64, limit: usize) {
    let end = start + payload.len() as u64;
    let st = c.dir_mut(dir);
    let next = st.next_off;
    if end <= next {
        c.conv.retransmitted_bytes += payload.len() as u64;
        return;
    }
    // Cut off what was already delivered.
    let mut dup = 0u64;
    let (start, payload) = if start < next {
        let skip = usize::try_from(next - start).unwrap_or(usize::MAX);
        dup += skip as u64;
        (next, payload.get(skip..).unwrap_or(&[]))
    } else {
        (start, payload)
    };
    // Split into the pieces not already buffered (first copy wins).
    let mut pieces: Vec<(u64, &[u8])> = Vec::new();
    let mut cursor = start;
    let covered: Vec<(u64, u64)> = {
        let prev = st
            .pending
            .range(..start)
            .next_back()
            .map(|(&s, (b, _))| (s, s + b.len() as u64));
        prev.into_iter()
            .chain(
                st.pending
                    .range(start..end)
                    .map(|(&s, (b, _))| (s, s + b.len() as u64)),
            )
            .filter(|&(_, e)| e > start)
            .collect()
    };
    for (s, e) in covered {
        if s > cursor {
            let piece_end = s.min(end);
            pieces.push((cursor, slice(payload, start, cursor, piece_end)));
        }
        let ce = e.min(end);
        if ce > cursor {
            dup += ce - cursor.max(s);
            cursor = ce;
        }
    }
    if cursor < end {
        pieces.push((cursor, slice(payload, start, cursor, end)));
    }
    c.conv.retransmitted_bytes += dup;
    let st = c.dir_mut(dir);
    for (s, bytes) in pieces {
        if bytes.is_empty() {
            continue;
        }
        st.buffered += bytes.len();
        st.pending.insert(s, (bytes.to_vec(), ts));
    }
    deliver(c, dir, ts);
    // Bounded memory (both directions together): give up on the oldest gap until it fits.
    while c.c2s.buffered.saturating_add(c.s2c.buffered) > limit {
        let d = if c.dir_mut(dir).pending.is_empty() {
            dir.reverse()
        } else {
            dir
        };
        if c.dir_mut(d).pending.is_empty() {
            break;
        }
        force_gap(c, d, ts);
    }
}

/// The part `[from, to)` of `payload`, which starts at stream offset `start`.
fn slice(payload: &[u8], start: u64, from: u64, to: u64) -> &[u8] {
    let a = usize::try_from(from - start).unwrap_or(usize::MAX);
    let b = usize::try_from(to - start).unwrap_or(usize::MAX);
    payload.get(a..b).unwrap_or(&[])
}

/// Delivers the pending entries that are now contiguous as one `Data` event stamped `ts`.
fn deliver(c: &mut ConvState, dir: Direction, ts: u64) {
    let st = c.dir_mut(dir);
    let mut out: Vec<u8> = Vec::new();
    while let Some(entry) = st.pending.first_entry() {
        let s = *entry.key();
        if s > st.next_off {
            break;
        }
        let (bytes, _) = entry.remove();
        st.buffered = st.buffered.saturating_sub(bytes.len());
        let skip = usize::try_from(st.next_off - s).unwrap_or(usize::MAX);
        if let Some(fresh) = bytes.get(skip..) {
            st.next_off += fresh.len() as u64;
            if let Some(ns) = st.next_seq.as_mut() {
                *ns = seq_advance(*ns, fresh.len() as u64);
            }
            if out.is_empty() {
                out = if skip == 0 { bytes } else { fresh.to_vec() };
            } else {
                out.extend_from_slice(fresh);
            }
        }
    }
    if !out.is_empty() {
        c.conv.events.push(StreamEvent::Data {
            direction: dir,
            timestamp_nanos: ts,
            bytes: out,
        });
    }
}

/// Gives up on the gap before the first pending entry: reports it, skips it and delivers.
fn force_gap(c: &mut ConvState, dir: Direction, ts: u64) {
    let st = c.dir_mut(dir);
    let Some((&s, _)) = st.pending.first_key_value() else {
        return;
    };
    let missing = s.saturating_sub(st.next_off);
    if missing > 0 {
        st.next_off = s;
        if let Some(ns) = st.next_seq.as_mut() {
            *ns = seq_advance(*ns, missing);
        }
        c.conv.damaged = true;
        c.conv.events.push(StreamEvent::Gap {
            direction: dir,
            timestamp_nanos: ts,
            missing,
        });
    }
    deliver(c, dir, ts);
}

/// Emits the FIN event once every byte before it was delivered.
fn check_fin(c: &mut ConvState, dir: Direction) {
    let st = c.dir_mut(dir);
    if st.fin_done || st.rst {
        return;
    }
    if let Some(at) = st.fin_at {
        if st.next_off >= at {
            st.fin_done = true;
            let ts = st.fin_ts;
            c.conv.events.push(StreamEvent::Fin {
                direction: dir,
                timestamp_nanos: ts,
            });
        }
    }
}

#[cfg(test)]
// Test fixtures: casts of small known values (loop counters, constants) into wire fields. A
// truncation here would fail a test; it cannot misread data from a peer.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
mod tests {
    use super::*;
    use crate::capture::pcap::{PcapngWriter, TcpFlags, LINKTYPE_LINUX_SLL2};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const C2S: Direction = Direction::ClientToServer;
    const S2C: Direction = Direction::ServerToClient;

    fn client() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 50000)
    }
    fn server() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 3306)
    }

    fn seg<'a>(
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: u8,
        payload: &'a [u8],
        ts: u64,
    ) -> TcpSegment<'a> {
        TcpSegment {
            src,
            dst,
            seq,
            ack: 0,
            flags: TcpFlags(flags),
            window: 1000,
            payload,
            truncated: false,
            timestamp_nanos: ts,
        }
    }

    const A: u8 = TcpFlags::ACK;

    /// A MySQL packet: 3-byte length, sequence id, payload.
    fn mysql(seq_id: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = (payload.len() as u32).to_le_bytes()[..3].to_vec();
        p.push(seq_id);
        p.extend_from_slice(payload);
        p
    }

    fn data_events(c: &Conversation) -> Vec<(Direction, Vec<u8>)> {
        c.chunks().map(|(d, _, b)| (d, b.to_vec())).collect()
    }

    #[test]
    fn writer_conversation_split_and_coalesced_packets() {
        let (c, s) = (client(), server());
        let greeting = mysql(0, b"\x0a8.0.36\0greeting-bytes");
        let login = mysql(1, b"login-response-with-some-length");
        let oks: Vec<u8> = [
            mysql(2, b"\0\0\0\x02\0\0\0"),
            mysql(3, b"x"),
            mysql(4, b"yz"),
        ]
        .concat();
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(10, c, s).unwrap();
        w.write_tcp_payload(20, c, s, S2C, &greeting).unwrap();
        // One MySQL packet across 3 segments.
        w.write_tcp_payload(30, c, s, C2S, &login[..5]).unwrap();
        w.write_tcp_payload(31, c, s, C2S, &login[5..20]).unwrap();
        w.write_tcp_payload(32, c, s, C2S, &login[20..]).unwrap();
        // Three packets in one segment.
        w.write_tcp_payload(40, c, s, S2C, &oks).unwrap();
        w.write_close(50, c, s).unwrap();
        let file = w.into_inner().unwrap();

        let report = reassemble_capture(&file, ReassemblyConfig::default()).unwrap();
        assert!(report.error.is_none());
        assert_eq!(report.frames, 3 + 1 + 3 + 1 + 3);
        assert_eq!(report.skipped_frames, 0);
        assert_eq!(report.conversations.len(), 1);
        let conv = &report.conversations[0];
        assert_eq!((conv.client, conv.server), (c, s));
        assert!(!conv.started_mid_stream && !conv.damaged);
        assert_eq!(conv.retransmitted_bytes, 0);
        assert_eq!(conv.stream(C2S), login);
        assert_eq!(conv.stream(S2C), oks_with(&greeting, &oks));
        let chunks: Vec<_> = conv.chunks().map(|(d, t, b)| (d, t, b.len())).collect();
        assert_eq!(
            chunks,
            [
                (S2C, 20, greeting.len()),
                (C2S, 30, 5),
                (C2S, 31, 15),
                (C2S, 32, login.len() - 20),
                (S2C, 40, oks.len()),
            ]
        );
        let fins: Vec<_> = conv
            .events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Fin { direction, .. } => Some(*direction),
                _ => None,
            })
            .collect();
        assert_eq!(fins, [C2S, S2C]);
    }

    fn oks_with(a: &[u8], b: &[u8]) -> Vec<u8> {
        [a, b].concat()
    }

    #[test]
    fn out_of_order_duplicates_and_overlaps() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        r.push(&seg(c, s, 999, TcpFlags::SYN, b"", 1));
        r.push(&seg(s, c, 4999, TcpFlags::SYN | A, b"", 2));
        r.push(&seg(c, s, 1000, A, b"", 3));
        r.push(&seg(s, c, 5000, A, b"HELLO", 4));
        // Client data arrives 3rd, 1st, 2nd.
        r.push(&seg(c, s, 1008, A, b"ijkl", 5));
        r.push(&seg(c, s, 1000, A, b"abcd", 6));
        // Duplicate of the buffered segment with different bytes: the first copy wins.
        r.push(&seg(c, s, 1008, A, b"XXXX", 7));
        r.push(&seg(c, s, 1004, A, b"efgh", 8));
        // Retransmission of delivered data, and an overlap that extends past it.
        r.push(&seg(c, s, 1000, A, b"abcd", 9));
        r.push(&seg(c, s, 1010, A, b"ZZm", 10));
        // Server data: a segment that overlaps two buffered ones and the gap between them.
        r.push(&seg(s, c, 5007, A, b"78", 11));
        r.push(&seg(s, c, 5011, A, b"BC", 12));
        r.push(&seg(s, c, 5005, A, b"5_____A__D", 13));
        let conv = &r.finish()[0];
        assert_eq!(conv.stream(C2S), b"abcdefghijklm");
        assert_eq!(conv.stream(S2C), b"HELLO5_78__BC_D");
        assert!(!conv.damaged && !conv.started_mid_stream);
        assert_eq!(conv.retransmitted_bytes, 4 + 4 + 2 + 4);
        assert_eq!(
            data_events(conv),
            [
                (S2C, b"HELLO".to_vec()),
                (C2S, b"abcd".to_vec()),
                (C2S, b"efghijkl".to_vec()),
                (C2S, b"m".to_vec()),
                (S2C, b"5_78__BC_D".to_vec()),
            ]
        );
        // The chunk that filled the gap carries the time it became contiguous.
        assert_eq!(conv.chunks().nth(2).map(|c| c.1), Some(8));
    }

    #[test]
    fn missing_syn_uses_server_port() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        // The capture starts with a server response.
        r.push(&seg(s, c, 777, A, b"resp1", 1));
        r.push(&seg(c, s, 123, A, b"query2", 2));
        r.push(&seg(s, c, 782, A, b"resp2", 3));
        let convs = r.finish();
        assert_eq!(convs.len(), 1);
        let conv = &convs[0];
        assert_eq!((conv.client, conv.server), (c, s));
        assert!(conv.started_mid_stream);
        assert_eq!(conv.stream(S2C), b"resp1resp2");
        assert_eq!(conv.stream(C2S), b"query2");

        // A custom server port.
        let mut r = Reassembler::new(ReassemblyConfig {
            server_port: 50000,
            ..ReassemblyConfig::default()
        });
        r.push(&seg(s, c, 1, A, b"x", 1));
        let conv = &r.finish()[0];
        assert_eq!((conv.client, conv.server), (s, c));
    }

    #[test]
    fn sequence_wraparound() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        let isn = u32::MAX - 3;
        r.push(&seg(c, s, isn, TcpFlags::SYN, b"", 1));
        r.push(&seg(c, s, isn.wrapping_add(7), A, b"4567", 3));
        r.push(&seg(c, s, isn.wrapping_add(1), A, b"012", 2));
        r.push(&seg(c, s, isn.wrapping_add(4), A, b"3", 4));
        r.push(&seg(
            c,
            s,
            isn.wrapping_add(11),
            A | TcpFlags::FIN,
            b"89",
            5,
        ));
        let conv = &r.finish()[0];
        assert_eq!(conv.stream(C2S), b"0123456789");
        assert!(matches!(
            conv.events.last(),
            Some(StreamEvent::Fin { direction: C2S, .. })
        ));
    }

    #[test]
    fn gap_that_never_fills_is_reported_and_skipped() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        r.push(&seg(c, s, 0, TcpFlags::SYN, b"", 1));
        r.push(&seg(c, s, 1, A, b"aaaa", 2).with_ack(100));
        // Bytes 5..9 lost.
        r.push(&seg(c, s, 9, A, b"cccc", 3).with_ack(100));
        r.push(&seg(s, c, 100, A, b"reply", 4));
        let conv = &r.finish()[0];
        assert!(conv.damaged);
        assert_eq!(
            conv.events,
            [
                StreamEvent::Data {
                    direction: C2S,
                    timestamp_nanos: 2,
                    bytes: b"aaaa".to_vec()
                },
                StreamEvent::Data {
                    direction: S2C,
                    timestamp_nanos: 4,
                    bytes: b"reply".to_vec()
                },
                StreamEvent::Gap {
                    direction: C2S,
                    timestamp_nanos: 4,
                    missing: 4
                },
                StreamEvent::Data {
                    direction: C2S,
                    timestamp_nanos: 4,
                    bytes: b"cccc".to_vec()
                },
            ]
        );
    }

    #[test]
    fn buffer_limit_marks_flow_damaged_and_moves_on() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::new(ReassemblyConfig {
            server_port: 3306,
            max_buffered_per_flow: 10,
        });
        r.push(&seg(c, s, 0, TcpFlags::SYN, b"", 1));
        r.push(&seg(c, s, 1, A, b"ab", 2));
        // Lost: 3..5. Buffered: 5..11 (6 bytes), then 11..17 would make 12 > 10.
        r.push(&seg(c, s, 5, A, b"ef", 3));
        r.push(&seg(c, s, 7, A, b"ghij", 4));
        r.push(&seg(c, s, 11, A, b"klmnop", 5));
        // The lost bytes arrive too late: old data, dropped.
        r.push(&seg(c, s, 3, A, b"cd", 6));
        r.push(&seg(c, s, 17, A, b"q", 7));
        let conv = &r.finish()[0];
        assert!(conv.damaged);
        assert_eq!(conv.stream(C2S), b"abefghijklmnopq");
        assert_eq!(
            conv.events[1],
            StreamEvent::Gap {
                direction: C2S,
                timestamp_nanos: 5,
                missing: 2
            }
        );
        assert_eq!(conv.retransmitted_bytes, 2);

        // The limit covers both directions together.
        let mut r = Reassembler::new(ReassemblyConfig {
            server_port: 3306,
            max_buffered_per_flow: 10,
        });
        r.push(&seg(c, s, 100, A, b"", 1));
        r.push(&seg(s, c, 200, A, b"", 2));
        r.push(&seg(c, s, 110, A, b"123456", 3));
        r.push(&seg(s, c, 210, A, b"abcdef", 4));
        let conv = &r.finish()[0];
        assert_eq!(
            conv.events,
            [
                StreamEvent::Gap {
                    direction: S2C,
                    timestamp_nanos: 4,
                    missing: 10
                },
                StreamEvent::Data {
                    direction: S2C,
                    timestamp_nanos: 4,
                    bytes: b"abcdef".to_vec()
                },
                StreamEvent::Gap {
                    direction: C2S,
                    timestamp_nanos: 4,
                    missing: 10
                },
                StreamEvent::Data {
                    direction: C2S,
                    timestamp_nanos: 4,
                    bytes: b"123456".to_vec()
                },
            ]
        );
    }

    #[test]
    fn rst_and_reused_four_tuple() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        r.push(&seg(c, s, 10, TcpFlags::SYN, b"", 1));
        r.push(&seg(c, s, 11, A, b"one", 2));
        r.push(&seg(s, c, 0, TcpFlags::RST, b"", 3));
        r.push(&seg(c, s, 5000, TcpFlags::SYN, b"", 4));
        r.push(&seg(c, s, 5001, A, b"two", 5));
        let convs = r.finish();
        assert_eq!(convs.len(), 2);
        assert_eq!(convs[0].stream(C2S), b"one");
        assert!(matches!(
            convs[0].events.last(),
            Some(StreamEvent::Rst { direction: S2C, .. })
        ));
        assert_eq!(convs[1].stream(C2S), b"two");
        assert_eq!(convs[1].first_timestamp_nanos, 4);
    }

    #[test]
    fn syn_ack_only_and_fin_after_lost_data() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::default();
        // The client's SYN was not captured; the SYN-ACK tells both starts.
        r.push(&seg(s, c, 300, TcpFlags::SYN | A, b"", 1).with_ack(51));
        r.push(&seg(c, s, 51, A, b"hi", 2));
        r.push(&seg(s, c, 301, A, b"yo", 3));
        // The server's last bytes are lost, its FIN is not.
        r.push(&seg(s, c, 305, A | TcpFlags::FIN, b"", 4));
        let conv = &r.finish()[0];
        assert_eq!((conv.client, conv.server), (c, s));
        assert!(!conv.started_mid_stream);
        assert_eq!(conv.stream(C2S), b"hi");
        assert_eq!(
            &conv.events[2..],
            [
                StreamEvent::Gap {
                    direction: S2C,
                    timestamp_nanos: 4,
                    missing: 2
                },
                StreamEvent::Fin {
                    direction: S2C,
                    timestamp_nanos: 4
                },
            ]
        );
    }

    trait WithAck {
        fn with_ack(self, ack: u32) -> Self;
    }
    impl WithAck for TcpSegment<'_> {
        fn with_ack(mut self, ack: u32) -> Self {
            self.ack = ack;
            self
        }
    }

    #[test]
    fn ipv6_capture_end_to_end() {
        let ip = |n| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n));
        let (c, s) = (SocketAddr::new(ip(1), 41000), SocketAddr::new(ip(2), 3306));
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(1, c, s).unwrap();
        w.write_tcp_payload(2, c, s, S2C, b"greeting").unwrap();
        w.write_tcp_payload(3, c, s, C2S, b"login").unwrap();
        w.write_close(4, c, s).unwrap();
        let report =
            reassemble_capture(&w.into_inner().unwrap(), ReassemblyConfig::default()).unwrap();
        let conv = &report.conversations[0];
        assert_eq!((conv.client, conv.server), (c, s));
        assert_eq!(
            data_events(conv),
            [(S2C, b"greeting".to_vec()), (C2S, b"login".to_vec())]
        );
    }

    /// A little-endian classic pcap file.
    fn classic(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
        let mut f = 0xA1B2_C3D4u32.to_le_bytes().to_vec();
        f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&link.to_le_bytes());
        for (i, d) in frames.iter().enumerate() {
            f.extend_from_slice(&(i as u32).to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&(d.len() as u32).to_le_bytes());
            f.extend_from_slice(&(d.len() as u32).to_le_bytes());
            f.extend_from_slice(d);
        }
        f
    }

    /// Ethernet frames of a conversation, from the writer, without the pcapng framing.
    fn frames_of(file: &[u8]) -> Vec<Vec<u8>> {
        CaptureReader::new(file)
            .unwrap()
            .map(|f| f.unwrap().data.to_vec())
            .collect()
    }

    #[test]
    fn linux_cooked_v2_capture_mid_stream() {
        let (c, s) = (client(), server());
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_tcp_payload(0, c, s, S2C, b"resultset").unwrap();
        w.write_tcp_payload(0, c, s, C2S, b"COM_QUIT").unwrap();
        let eth = frames_of(&w.into_inner().unwrap());
        let sll2: Vec<Vec<u8>> = eth
            .iter()
            .map(|e| {
                let mut f = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
                f.extend_from_slice(&e[6..12]);
                f.extend_from_slice(&[0, 0]);
                f.extend_from_slice(&e[14..]);
                f
            })
            .collect();
        // Plus an ARP frame (not IP), which is skipped with a note.
        let mut arp = vec![0x08, 0x06];
        arp.extend_from_slice(&[0; 18]);
        let mut all = sll2;
        all.push(arp);
        let report =
            reassemble_capture(&classic(LINKTYPE_LINUX_SLL2, &all), Default::default()).unwrap();
        assert_eq!(report.frames, 3);
        assert_eq!(report.skipped_frames, 1);
        assert_eq!(report.skip_notes, [(2, SkipReason::NotIp(0x0806))]);
        let conv = &report.conversations[0];
        assert!(conv.started_mid_stream);
        assert_eq!((conv.client, conv.server), (c, s));
        assert_eq!(
            data_events(conv),
            [(S2C, b"resultset".to_vec()), (C2S, b"COM_QUIT".to_vec())]
        );
    }

    #[test]
    fn truncated_capture_keeps_earlier_conversation_data() {
        let (c, s) = (client(), server());
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(1, c, s).unwrap();
        w.write_tcp_payload(2, c, s, S2C, b"greeting").unwrap();
        w.write_tcp_payload(3, c, s, C2S, b"login-packet").unwrap();
        let file = w.into_inner().unwrap();
        let report = reassemble_capture(&file[..file.len() - 7], Default::default()).unwrap();
        let err = report.error.unwrap();
        assert_eq!(err.kind, crate::codec::ErrorKind::Truncated);
        assert_eq!(report.frames, 4);
        assert_eq!(report.conversations[0].stream(S2C), b"greeting");
        assert!(report.conversations[0].stream(C2S).is_empty());
        assert!(reassemble_capture(b"nope", Default::default()).is_err());
    }

    #[test]
    fn hostile_segments_do_not_panic_or_blow_up() {
        let (c, s) = (client(), server());
        let mut r = Reassembler::new(ReassemblyConfig {
            server_port: 3306,
            max_buffered_per_flow: 1000,
        });
        let junk = [0x55u8; 300];
        let mut x: u32 = 12345;
        for i in 0..5000u64 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let flags = (x >> 8) as u8 & 0x17;
            let len = (x >> 16) as usize % 300;
            let (a, b) = if x & 1 == 0 { (c, s) } else { (s, c) };
            r.push(&seg(a, b, x.rotate_left(7) % 4000, flags, &junk[..len], i));
        }
        for conv in r.finish() {
            let buffered_ok = conv.stream(C2S).len() < 1 << 20;
            assert!(buffered_ok);
        }
    }
}
