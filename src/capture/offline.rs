//! Decoding capture files: reassembled TCP streams → MySQL packets → the same conversation
//! decoder the live trace uses.
//!
//! Each direction's byte stream is framed with the codec's [`PacketCodec`] (sequence checks
//! off: the conversation decoder reports them instead). A conversation whose start was not
//! captured is synchronised at the first client chunk that looks like a command (sequence id 0,
//! a known command byte) and decoded from there, and says so. After an SSLRequest the rest is
//! shown as encrypted. A gap in a stream (lost segments) resynchronises the same way. A damaged
//! capture file gives a note, and decoding goes on with what was read.
//!
//! The compressed protocol: when the greeting and the handshake response both ask for it
//! (CLIENT_COMPRESS: zlib, or CLIENT_ZSTD_COMPRESSION_ALGORITHM: zstd; zlib when both), both
//! directions are compressed packets from the OK that ends authentication on. They are cut and
//! inflated by [`CompressedStream`] (each header checked against the limit before anything is
//! allocated) and what they carry goes to the same framing (inner sequence ids are not kept in
//! step by the servers, and are not checked). Each compressed packet is listed
//! ([`Decoded::compressed`]) before the packets it carries. A compressed packet over the limit,
//! or one that does not inflate to exactly what it announces, marks the conversation damaged
//! and decoding resynchronises at the next command. A capture begun mid-connection on a
//! compressed connection is recognised at the first client chunk that begins a compressed
//! packet (sequence id 0, gathered whole over the next chunks, at most 1 MiB) carrying a
//! command, sent as is or inflating (zlib, or zstd told by its magic number) to one; it is
//! noted as detected, the handshake not captured.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::codec::compress::Algorithm;
use crate::codec::CapabilityFlags;
use crate::proto::compression_flag;

use super::decoder::{CaptureDecoder, CaptureEvent, DecoderConfig};
use super::pcap::{CaptureError, CaptureReader};
use super::reassembly::DrainConfig;
use crate::trace::decode::{Conversation, Decoded};
use crate::trace::requests::RequestRecord;
use crate::trace::Direction;

pub(crate) mod conv;
use conv::{Decoder, Out, Zip};

/// One decoded MySQL conversation of a capture.
#[derive(Debug, Clone)]
pub struct DecodedConversation {
    /// Client address.
    pub client: SocketAddr,
    /// Server address.
    pub server: SocketAddr,
    /// The capture did not include the connection's start.
    pub started_mid_stream: bool,
    /// Something was lost (gaps, unparseable framing, a compressed packet that does not
    /// inflate).
    pub damaged: bool,
    /// The conversation uses the compressed protocol (negotiated in the handshake, or detected
    /// in a capture begun mid-connection).
    pub compressed: bool,
    /// Its algorithm, when known (a capture begun mid-connection tells it by the first
    /// compressed payload).
    pub compression: Option<Algorithm>,
    /// Human-readable notes (synchronisation, gaps, encryption).
    pub notes: Vec<String>,
    /// The decoded packets in order.
    pub packets: Vec<Decoded>,
    /// The capture time of each packet of `packets` (same index): the segment that brought its
    /// last byte, nanoseconds since the Unix epoch.
    pub packet_times_nanos: Vec<u64>,
    /// The requests (queries and executes) whose responses were seen whole, in the order
    /// their responses ended ([`crate::trace::requests`]).
    pub requests: Vec<RequestRecord>,
    /// The user the handshake response named (empty when not captured).
    pub user: String,
    /// The connection id of the server's greeting (0 when not captured).
    pub connection_id: u32,
    /// Requests whose responses were not seen whole (not in `requests`).
    pub incomplete_requests: u64,
    /// Executes of statements whose SQL the capture does not hold (not in `requests`).
    pub unknown_statements: u64,
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
pub const MAX_CAPTURED_PACKET: usize = 1 << 30;

/// Limits of the capture decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet accepted (a larger one is damage: decoding resynchronises at the next
    /// command). Compressed packets carry at most `inflate_limit(max_packet)` plain bytes.
    pub max_packet: usize,
    /// Most plain bytes inflated from one conversation's compressed packets: past them the
    /// rest of the conversation is not decoded (noted as damage). A few KB of zstd can inflate
    /// to gigabytes of tiny packets, each a decoded packet kept in memory: this bounds what a
    /// hostile capture can make the decoder take.
    pub max_inflated: u64,
}

impl Default for Limits {
    /// What `mywire decode` uses: packets of up to [`MAX_CAPTURED_PACKET`], no bound on the
    /// bytes inflated.
    fn default() -> Self {
        Limits {
            max_packet: MAX_CAPTURED_PACKET,
            max_inflated: u64::MAX,
        }
    }
}

/// Decodes every conversation with `server_port` on either side in a pcap / pcapng capture,
/// with packets of at most [`MAX_CAPTURED_PACKET`] bytes.
pub fn decode_capture(
    capture: &[u8],
    server_port: u16,
    redact_secrets: bool,
) -> Result<DecodedCapture, CaptureError> {
    decode_capture_with_limits(capture, server_port, redact_secrets, Limits::default())
}

/// [`decode_capture`] with other [`Limits`] (on a compressed connection a few KB of capture can
/// carry packets of any size and any number: zstd frames of repeated bytes are tiny).
///
/// This is the streaming [`CaptureDecoder`] with every event kept: a caller that does not need
/// the whole capture in memory uses that instead.
pub fn decode_capture_with_limits(
    capture: &[u8],
    server_port: u16,
    redact_secrets: bool,
    limits: Limits,
) -> Result<DecodedCapture, CaptureError> {
    let reader = CaptureReader::new(capture)?;
    let mut dec = CaptureDecoder::new(DecoderConfig {
        server_ports: vec![server_port],
        redact_secrets,
        limits,
        // The whole capture is at hand: no conversation is let go of as idle.
        drain: DrainConfig {
            idle_nanos: u64::MAX,
            ..DrainConfig::default()
        },
        ..DecoderConfig::default()
    });
    let mut collect = Collector::default();
    let mut events = Vec::new();
    let mut error = None;
    for item in reader {
        match item {
            Ok(frame) => dec.push_frame(&frame, &mut events),
            Err(e) => error = Some(e),
        }
        collect.take(&mut events);
    }
    let summary = dec.finish(&mut events);
    collect.take(&mut events);
    Ok(DecodedCapture {
        conversations: collect.done.into_values().collect(),
        frames: summary.frames,
        error,
    })
}

/// Gathers a [`CaptureDecoder`]'s events into whole conversations.
#[derive(Default)]
struct Collector {
    live: HashMap<usize, DecodedConversation>,
    /// Finished conversations by number.
    done: BTreeMap<usize, DecodedConversation>,
}

impl Collector {
    fn take(&mut self, events: &mut Vec<CaptureEvent>) {
        for ev in events.drain(..) {
            let n = ev.conversation();
            match ev {
                CaptureEvent::Started { start, .. } => {
                    self.live.insert(
                        n,
                        DecodedConversation {
                            client: start.client,
                            server: start.server,
                            started_mid_stream: start.started_mid_stream,
                            damaged: false,
                            compressed: false,
                            compression: None,
                            notes: Vec::new(),
                            packets: Vec::new(),
                            packet_times_nanos: Vec::new(),
                            requests: Vec::new(),
                            user: String::new(),
                            connection_id: 0,
                            incomplete_requests: 0,
                            unknown_statements: 0,
                        },
                    );
                }
                CaptureEvent::Packet {
                    packet, time_nanos, ..
                } => {
                    if let Some(c) = self.live.get_mut(&n) {
                        c.packets.push(packet);
                        c.packet_times_nanos.push(time_nanos);
                    }
                }
                CaptureEvent::Request { record, .. } => {
                    if let Some(c) = self.live.get_mut(&n) {
                        c.requests.push(record);
                    }
                }
                CaptureEvent::Note { note, .. } => {
                    if let Some(c) = self.live.get_mut(&n) {
                        c.notes.push(note);
                    }
                }
                CaptureEvent::Finished { end, .. } => {
                    if let Some(mut c) = self.live.remove(&n) {
                        c.damaged = end.damaged;
                        c.compressed = end.compressed;
                        c.compression = end.compression;
                        c.user = end.user;
                        c.connection_id = end.connection_id;
                        c.incomplete_requests = end.incomplete_requests;
                        c.unknown_statements = end.unknown_statements;
                        self.done.insert(n, c);
                    }
                }
            }
        }
    }
}

/// The packets a conversation's decoder produced.
fn packets(dec: &mut Decoder) -> Vec<Decoded> {
    dec.out
        .drain(..)
        .filter_map(|o| match o {
            Out::Packet { packet, .. } => Some(packet),
            Out::Request(_) | Out::Note(_) => None,
        })
        .collect()
}

/// Decodes the packets of an already reassembled pair of streams (for tests and tools that
/// have the byte streams at hand): `chunks` in the order they were seen, from the greeting on
/// (compression negotiated in the handshake is followed).
pub fn decode_streams<'a>(
    chunks: impl IntoIterator<Item = (Direction, &'a [u8])>,
    redact_secrets: bool,
) -> Vec<Decoded> {
    let mut dec = Decoder::new(
        Conversation::new(redact_secrets),
        true,
        Zip::Off,
        Limits::default(),
    );
    let mut out = Vec::new();
    for (dir, bytes) in chunks {
        dec.data(dir, bytes);
        out.extend(packets(&mut dec));
    }
    out
}

/// Decodes the command phase of a compressed conversation from its two byte streams (`chunks`
/// in the order they were seen, both directions compressed packets of `algorithm`): what
/// `mywire decode` does after the OK that ends authentication, within `limits` (`mywire
/// decode`: [`Limits::default`]). Returns the packets (each compressed packet before
/// those it carries) and the notes on damage (a compressed packet over the limit or that does
/// not inflate, broken framing: each one resynchronises at the next command).
pub fn decode_compressed_streams<'a>(
    chunks: impl IntoIterator<Item = (Direction, &'a [u8])>,
    algorithm: Algorithm,
    limits: Limits,
    redact_secrets: bool,
) -> (Vec<Decoded>, Vec<String>) {
    let caps = CapabilityFlags::PROTOCOL_41
        | CapabilityFlags::TRANSACTIONS
        | CapabilityFlags::SECURE_CONNECTION
        | CapabilityFlags::DEPRECATE_EOF
        | CapabilityFlags::SESSION_TRACK
        | compression_flag(algorithm);
    let conv = Conversation::after_handshake(caps, redact_secrets);
    let mut dec = Decoder::new(conv, true, Zip::On(Some(algorithm)), limits);
    let (mut packets, mut notes) = (Vec::new(), Vec::new());
    for (dir, bytes) in chunks {
        dec.data(dir, bytes);
        for o in dec.out.drain(..) {
            match o {
                Out::Packet { packet, .. } => packets.push(packet),
                Out::Note(n) => notes.push(n),
                Out::Request(_) => {}
            }
        }
    }
    (packets, notes)
}

#[cfg(test)]
pub(crate) mod tests;
