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

use std::net::SocketAddr;

use bytes::BytesMut;

use crate::codec::command::command_name;
use crate::codec::compress::Algorithm;
use crate::codec::frame::PacketCodec;
use crate::codec::CapabilityFlags;
use crate::proto::{compression_flag, negotiated_compression};

use super::compressed::{compressed_command_start, CompressedStream, Start, MAX_START};
use super::pcap::CaptureError;
use super::reassembly::{reassemble_capture, ReassemblyConfig, StreamEvent};
use crate::trace::decode::{Conversation, Decoded};
use crate::trace::requests::{RequestRecord, Requests};
use crate::trace::{Direction, Phase};

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

/// One direction: the packet framing, and the compressed packets under it once compression is
/// on.
struct Side {
    codec: PacketCodec,
    /// Plain protocol bytes not yet framed.
    buf: BytesMut,
    synced: bool,
    zip: Option<CompressedStream>,
}

impl Side {
    fn new(synced: bool, zip: Zip, max_packet: usize) -> Self {
        let mut codec = PacketCodec::new(max_packet);
        codec.set_check_seq(false);
        Side {
            codec,
            buf: BytesMut::new(),
            synced,
            zip: match zip {
                Zip::On(a) => Some(CompressedStream::for_max_packet(a, max_packet)),
                Zip::Off | Zip::Unknown => None,
            },
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        match &mut self.zip {
            Some(z) => z.push(bytes),
            None => self.buf.extend_from_slice(bytes),
        }
    }

    /// Bytes received and not decoded yet.
    fn buffered(&self) -> usize {
        self.buf
            .len()
            .saturating_add(self.zip.as_ref().map_or(0, CompressedStream::buffered))
    }

    /// Compression starts: what is buffered (and everything after) is compressed packets.
    fn compress(&mut self, algorithm: Algorithm, max_packet: usize) {
        let mut z = CompressedStream::for_max_packet(Some(algorithm), max_packet);
        z.push(&self.buf);
        self.buf.clear();
        self.zip = Some(z);
    }
}

/// Whether a conversation is in the compressed protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zip {
    /// Not known (a capture begun mid-connection, not synchronised yet).
    Unknown,
    Off,
    /// On: both directions are compressed packets (the algorithm, once known).
    On(Option<Algorithm>),
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

/// The decoder of one conversation: both directions' framing, the compressed protocol, and the
/// conversation decoder, with what it noted.
struct Decoder {
    conv: Conversation,
    client: Side,
    server: Side,
    zip: Zip,
    /// Client bytes gathered while unsynchronised: they may begin a compressed packet.
    gathered: Vec<u8>,
    packets: Vec<Decoded>,
    times: Vec<u64>,
    /// The requests: pairs commands with the ends of their responses.
    requests: Requests,
    done: Vec<RequestRecord>,
    /// Capture time of the bytes being decoded.
    now: u64,
    notes: Vec<String>,
    damaged: bool,
    limits: Limits,
    /// Plain bytes the compressed packets carried so far.
    inflated: u64,
    /// Past [`Limits::max_inflated`]: the rest is not decoded.
    stopped: bool,
}

impl Decoder {
    fn new(conv: Conversation, synced: bool, zip: Zip, limits: Limits) -> Self {
        Decoder {
            conv,
            client: Side::new(synced, zip, limits.max_packet),
            server: Side::new(synced, zip, limits.max_packet),
            limits,
            inflated: 0,
            stopped: false,
            zip,
            gathered: Vec::new(),
            packets: Vec::new(),
            times: Vec::new(),
            requests: Requests::new(),
            done: Vec::new(),
            now: 0,
            notes: Vec::new(),
            damaged: false,
        }
    }

    /// Keeps a decoded packet, with the capture time, and follows the requests with it.
    fn keep(&mut self, d: Decoded) {
        let index = self.packets.len();
        if let Some(r) = self.requests.observe(&self.conv, &d, index, self.now) {
            self.done.push(r);
        }
        self.times.push(self.now);
        self.packets.push(d);
    }

    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ClientToServer => &mut self.client,
            Direction::ServerToClient => &mut self.server,
        }
    }

    /// Framing was lost: both directions wait for the next command (compressed or not, as
    /// before).
    fn resync(&mut self, note: String) {
        self.damaged = true;
        self.notes.push(note);
        self.client = Side::new(false, self.zip, self.limits.max_packet);
        self.server = Side::new(false, self.zip, self.limits.max_packet);
        self.gathered.clear();
        self.conv.resync();
    }

    /// Decides whether an unsynchronised side starts decoding at `bytes`: the bytes to decode
    /// from, or `None` to pass them over.
    fn sync(&mut self, dir: Direction, bytes: &[u8]) -> Option<Vec<u8>> {
        if dir == Direction::ServerToClient {
            // The server side syncs at its first chunk after the client's.
            if !self.client.synced {
                return None;
            }
            self.server = Side::new(true, self.zip, self.limits.max_packet);
            return Some(bytes.to_vec());
        }
        let known = match self.zip {
            Zip::On(a) => a,
            Zip::Off | Zip::Unknown => None,
        };
        let mut gathered = std::mem::take(&mut self.gathered);
        if self.zip != Zip::Off {
            gathered.extend_from_slice(bytes);
            match compressed_command_start(&gathered, known, looks_like_command) {
                Start::Command(a) => {
                    if self.zip == Zip::Unknown {
                        self.notes.push(format!(
                            "compressed protocol ({}) detected: the handshake that negotiated it was not captured",
                            a.map_or("algorithm not known yet", Algorithm::as_str)
                        ));
                    }
                    self.zip = Zip::On(a.or(known));
                    self.client = Side::new(true, self.zip, self.limits.max_packet);
                    self.server = Side::new(false, self.zip, self.limits.max_packet);
                    return Some(gathered);
                }
                Start::NeedMore if gathered.len() <= MAX_START => {
                    self.gathered = gathered;
                    return None;
                }
                Start::NeedMore | Start::No => {}
            }
        } else {
            gathered.extend_from_slice(bytes);
        }
        if !matches!(self.zip, Zip::On(_)) && looks_like_command(&gathered) {
            self.zip = Zip::Off;
            self.client = Side::new(true, self.zip, self.limits.max_packet);
            return Some(gathered);
        }
        None
    }

    /// Bytes that became contiguous in `dir`'s stream.
    fn data(&mut self, dir: Direction, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        if self.side(dir).synced {
            self.side(dir).push(bytes);
        } else {
            let Some(start) = self.sync(dir, bytes) else {
                return;
            };
            self.side(dir).push(&start);
        }
        if let Err(note) = self.drain(dir) {
            self.resync(note);
        }
    }

    /// Decodes every whole packet `dir`'s side holds, inflating compressed packets as the
    /// framing needs them; an error is the note of the damage.
    fn drain(&mut self, dir: Direction) -> Result<(), String> {
        loop {
            if self.conv.is_encrypted() {
                return Ok(());
            }
            let side = self.side(dir);
            match side.codec.decode_frame(&mut side.buf) {
                Ok(Some(f)) => {
                    let was_auth = self.conv.phase() == Phase::Auth;
                    let d = self.conv.packet(dir, f.seq, f.payload);
                    let ends_auth = was_auth && dir == Direction::ServerToClient && d.kind == "OK";
                    self.keep(d);
                    if ends_auth && self.zip == Zip::Off {
                        self.start_compression();
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(format!(
                        "{}: {e}; resynchronising at the next command",
                        dir.arrow()
                    ))
                }
            }
            let side = self.side(dir);
            let Some(z) = side.zip.as_mut() else {
                return Ok(());
            };
            match z.next_packet(&mut side.buf) {
                Ok(Some(h)) => {
                    self.keep(Decoded::compressed(
                        dir,
                        h.seq,
                        h.compressed_len,
                        h.uncompressed_len,
                    ));
                    let n = u64::try_from(h.plain_len()).unwrap_or(u64::MAX);
                    self.inflated = self.inflated.saturating_add(n);
                    if self.inflated > self.limits.max_inflated {
                        self.stop();
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(format!(
                        "{}: {e}; resynchronising at the next command",
                        dir.arrow()
                    ))
                }
            }
        }
    }

    /// Past the limit on inflated bytes: the rest of the conversation is left undecoded.
    fn stop(&mut self) {
        self.stopped = true;
        self.damaged = true;
        self.notes.push(format!(
            "more than {} bytes inflated from compressed packets: the rest of the conversation is not decoded",
            self.limits.max_inflated
        ));
        self.client = Side::new(false, Zip::Off, 0);
        self.server = Side::new(false, Zip::Off, 0);
    }

    /// The OK that ends authentication: when both sides asked for compression, everything
    /// after it is compressed packets, in both directions.
    fn start_compression(&mut self) {
        let Some(a) = negotiated_compression(self.conv.capabilities()) else {
            return;
        };
        self.zip = Zip::On(Some(a));
        self.client.compress(a, self.limits.max_packet);
        self.server.compress(a, self.limits.max_packet);
        self.notes.push(format!(
            "compressed protocol ({a}) after authentication: each compressed packet is shown before the packets it carries"
        ));
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
pub fn decode_capture_with_limits(
    capture: &[u8],
    server_port: u16,
    redact_secrets: bool,
    limits: Limits,
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
        let (conv, zip) = if mid {
            (Conversation::mid_stream(redact_secrets), Zip::Unknown)
        } else {
            (Conversation::new(redact_secrets), Zip::Off)
        };
        let mut dec = Decoder::new(conv, !mid, zip, limits);
        if mid {
            dec.notes
                .push("capture started mid-connection: decoding from the next command on".into());
        }
        let mut encrypted_bytes = [0u64; 2];
        for ev in &c.events {
            match ev {
                StreamEvent::Data {
                    direction,
                    bytes,
                    timestamp_nanos,
                } => {
                    dec.now = *timestamp_nanos;
                    if dec.conv.is_encrypted() {
                        let i = usize::from(*direction == Direction::ServerToClient);
                        if let Some(n) = encrypted_bytes.get_mut(i) {
                            *n += bytes.len() as u64;
                        }
                        continue;
                    }
                    dec.data(*direction, bytes);
                }
                StreamEvent::Gap {
                    direction, missing, ..
                } => {
                    dec.resync(format!(
                        "{}: {missing} bytes missing from the capture; resynchronising at the next command",
                        direction.arrow()
                    ));
                }
                StreamEvent::Fin { .. } | StreamEvent::Rst { .. } => {}
            }
        }
        if dec.conv.is_encrypted() {
            let [c2s, s2c] = encrypted_bytes;
            dec.notes.push(format!(
                "TLS after the SSLRequest: {c2s} bytes client to server and {s2c} bytes server to client encrypted"
            ));
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let n = dec.side(dir).buffered();
            if n != 0 && !dec.conv.is_encrypted() && !dec.stopped {
                dec.notes.push(format!(
                    "{}: {n} bytes of an incomplete packet at the end of the capture",
                    dir.arrow(),
                ));
            }
        }
        dec.requests.finish();
        out.conversations.push(DecodedConversation {
            client: c.client,
            server: c.server,
            started_mid_stream: mid,
            damaged: c.damaged || dec.damaged,
            compressed: matches!(dec.zip, Zip::On(_)),
            compression: match dec.zip {
                Zip::On(a) => a
                    .or_else(|| {
                        dec.client
                            .zip
                            .as_ref()
                            .and_then(CompressedStream::algorithm)
                    })
                    .or_else(|| {
                        dec.server
                            .zip
                            .as_ref()
                            .and_then(CompressedStream::algorithm)
                    }),
                Zip::Off | Zip::Unknown => None,
            },
            notes: dec.notes,
            packets: dec.packets,
            packet_times_nanos: dec.times,
            requests: dec.done,
            user: dec.requests.user,
            connection_id: dec.requests.connection_id,
            incomplete_requests: dec.requests.incomplete,
            unknown_statements: dec.requests.unknown_sql,
        });
    }
    Ok(out)
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
    for (dir, bytes) in chunks {
        dec.data(dir, bytes);
    }
    dec.packets
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
    for (dir, bytes) in chunks {
        dec.data(dir, bytes);
    }
    (dec.packets, dec.notes)
}

#[cfg(test)]
mod tests;
