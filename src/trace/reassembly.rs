//! TCP stream reassembly: turns captured [`TcpSegment`]s into per-conversation, per-direction
//! in-order byte streams, interleaved in the order the bytes became contiguous so that a MySQL
//! decoder can alternate requests and responses.
//!
//! Handles out-of-order segments (buffered, with a per-flow memory limit), retransmissions and
//! overlaps (the first copy of a byte wins), sequence-number wraparound, captures that start
//! mid-connection, FIN and RST, and gaps that never fill (reported as [`StreamEvent::Gap`], then
//! skipped so the stream goes on).

use super::pcap::{decode_frame, CaptureError, CaptureReader, Direction, SkipReason, TcpSegment};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// Reassembly settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// The MySQL server port: when a connection's SYN was not captured, the side using this port
    /// is taken as the server. Default 3306.
    pub server_port: u16,
    /// The most out-of-order bytes buffered per direction of a flow. Beyond it the flow is marked
    /// damaged and the oldest gap is given up on (reported as a [`StreamEvent::Gap`]). Default
    /// 64 MiB.
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

impl DirState {
    /// The stream offset of `seq`: relative to the next expected byte, within ±2^31.
    fn offset_of(&self, seq: u32, base_seq: u32) -> Option<u64> {
        let rel = seq.wrapping_sub(base_seq) as i32;
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
        });
        let i = self.convs.len() - 1;
        self.index.insert(key, i);
        i
    }

    /// Flushes every flow (remaining gaps are reported and skipped) and returns the
    /// conversations in order of their first segment.
    pub fn finish(self) -> Vec<Conversation> {
        let ts = self.last_ts;
        self.convs
            .into_iter()
            .map(|mut c| {
                for d in [Direction::ClientToServer, Direction::ServerToClient] {
                    while !c.dir_mut(d).pending.is_empty() {
                        force_gap(&mut c, d, ts);
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
                    check_fin(&mut c, d);
                }
                c.conv
            })
            .collect()
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
        let skip = (next - start) as usize;
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
    // Bounded memory: give up on the oldest gap until the buffer fits again.
    while c.dir_mut(dir).buffered > limit {
        force_gap(c, dir, ts);
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
                *ns = ns.wrapping_add(fresh.len() as u32);
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
            *ns = ns.wrapping_add(missing as u32);
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

/// The result of reading and reassembling a whole capture.
#[derive(Debug, Clone, Default)]
pub struct CaptureReport {
    /// The conversations, in order of their first segment.
    pub conversations: Vec<Conversation>,
    /// Frames read.
    pub frames: u64,
    /// Frames that carried no TCP segment.
    pub skipped_frames: u64,
    /// The first few reasons for skipping frames, as `(frame index, reason)` (at most
    /// [`MAX_SKIP_NOTES`]).
    pub skip_notes: Vec<(u64, SkipReason)>,
    /// The error that stopped the reading, if the file is malformed or truncated; the frames
    /// before it were used.
    pub error: Option<CaptureError>,
}

/// The most skip notes a [`CaptureReport`] keeps.
pub const MAX_SKIP_NOTES: usize = 100;

/// Reads a pcap or pcapng capture and reassembles all its TCP conversations.
pub fn reassemble_capture(
    capture: &[u8],
    config: ReassemblyConfig,
) -> Result<CaptureReport, CaptureError> {
    let reader = CaptureReader::new(capture)?;
    let mut r = Reassembler::new(config);
    let mut report = CaptureReport::default();
    for item in reader {
        match item {
            Ok(frame) => {
                let n = report.frames;
                report.frames += 1;
                match decode_frame(&frame) {
                    Ok(seg) => r.push(&seg),
                    Err(why) => {
                        report.skipped_frames += 1;
                        if report.skip_notes.len() < MAX_SKIP_NOTES {
                            report.skip_notes.push((n, why));
                        }
                    }
                }
            }
            Err(e) => report.error = Some(e),
        }
    }
    report.conversations = r.finish();
    Ok(report)
}
