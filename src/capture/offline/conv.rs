//! One conversation's decoder: both directions' framing, the compressed protocol under it, the
//! conversation decoder, and the requests, fed the bytes of the reassembled streams as they
//! become contiguous; what it decodes is queued as [`Out`] items, taken by the caller (the
//! streaming [`CaptureDecoder`](crate::capture::decoder::CaptureDecoder), and through it
//! [`decode_capture`](super::decode_capture)).

use bytes::BytesMut;

use crate::codec::command::command_name;
use crate::codec::compress::Algorithm;
use crate::codec::frame::PacketCodec;
use crate::proto::negotiated_compression;

use super::Limits;
use crate::capture::compressed::{compressed_command_start, CompressedStream, Start, MAX_START};
use crate::trace::decode::{Conversation, Decoded};
use crate::trace::requests::{RequestRecord, Requests};
use crate::trace::{Direction, Phase};

/// What a conversation's decoder produced, in order.
#[derive(Debug, Clone)]
pub(crate) enum Out {
    /// A decoded packet, the capture time of its last byte, and its index in the conversation.
    Packet {
        packet: Decoded,
        time_nanos: u64,
        index: usize,
    },
    /// A request whose response just ended (after the packet that ended it).
    Request(RequestRecord),
    /// A note on the conversation.
    Note(String),
}

/// One direction: the packet framing, and the compressed packets under it once compression is
/// on.
pub(crate) struct Side {
    codec: PacketCodec,
    /// Plain protocol bytes not yet framed.
    buf: BytesMut,
    synced: bool,
    pub(crate) zip: Option<CompressedStream>,
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
    pub(crate) fn buffered(&self) -> usize {
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
pub(crate) enum Zip {
    /// Not known (a capture begun mid-connection, not synchronised yet).
    Unknown,
    Off,
    /// On: both directions are compressed packets (the algorithm, once known).
    On(Option<Algorithm>),
}

/// True if `chunk` plausibly starts with a client command packet.
pub(crate) fn looks_like_command(chunk: &[u8]) -> bool {
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
pub(crate) struct Decoder {
    pub(crate) conv: Conversation,
    pub(crate) client: Side,
    pub(crate) server: Side,
    pub(crate) zip: Zip,
    /// Client bytes gathered while unsynchronised: they may begin a compressed packet.
    gathered: Vec<u8>,
    /// Packets decoded so far (the next one's index).
    count: usize,
    /// The requests: pairs commands with the ends of their responses.
    pub(crate) requests: Requests,
    /// What was decoded and not taken yet, in order.
    pub(crate) out: Vec<Out>,
    /// Capture time of the bytes being decoded.
    pub(crate) now: u64,
    pub(crate) damaged: bool,
    limits: Limits,
    /// Plain bytes the compressed packets carried so far.
    inflated: u64,
    /// Past [`Limits::max_inflated`]: the rest is not decoded.
    pub(crate) stopped: bool,
}

impl Decoder {
    pub(crate) fn new(conv: Conversation, synced: bool, zip: Zip, limits: Limits) -> Self {
        Decoder {
            conv,
            client: Side::new(synced, zip, limits.max_packet),
            server: Side::new(synced, zip, limits.max_packet),
            limits,
            inflated: 0,
            stopped: false,
            zip,
            gathered: Vec::new(),
            count: 0,
            requests: Requests::new(),
            out: Vec::new(),
            now: 0,
            damaged: false,
        }
    }

    /// Keeps a decoded packet, with the capture time, and follows the requests with it.
    fn keep(&mut self, d: Decoded) {
        let index = self.count;
        self.count = self.count.saturating_add(1);
        let done = self.requests.observe(&self.conv, &d, index, self.now);
        self.out.push(Out::Packet {
            packet: d,
            time_nanos: self.now,
            index,
        });
        if let Some(r) = done {
            self.out.push(Out::Request(r));
        }
    }

    /// Notes something about the conversation (synchronisation, damage, compression).
    pub(crate) fn note(&mut self, note: String) {
        self.out.push(Out::Note(note));
    }

    pub(crate) fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ClientToServer => &mut self.client,
            Direction::ServerToClient => &mut self.server,
        }
    }

    /// Framing was lost: both directions wait for the next command (compressed or not, as
    /// before).
    pub(crate) fn resync(&mut self, note: String) {
        self.damaged = true;
        self.note(note);
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
                        self.note(format!(
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
    pub(crate) fn data(&mut self, dir: Direction, bytes: &[u8]) {
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
        self.note(format!(
            "more than {} bytes inflated from compressed packets: the rest of the conversation is not decoded",
            self.limits.max_inflated
        ));
        self.client = Side::new(false, Zip::Off, 0);
        self.server = Side::new(false, Zip::Off, 0);
    }

    /// The OK that ends authentication: when both sides asked for compression, everything
    /// after it is compressed packets, in both directions.
    pub(crate) fn start_compression(&mut self) {
        let Some(a) = negotiated_compression(self.conv.capabilities()) else {
            return;
        };
        self.zip = Zip::On(Some(a));
        self.client.compress(a, self.limits.max_packet);
        self.server.compress(a, self.limits.max_packet);
        self.note(format!(
            "compressed protocol ({a}) after authentication: each compressed packet is shown before the packets it carries"
        ));
    }
}

impl Decoder {
    /// The end of the conversation (closed, dropped as idle, or the end of the capture): notes
    /// what is left undecoded (`encrypted_bytes`: the TLS bytes each way, client to server
    /// first) and counts the requests still owed a response as incomplete.
    pub(crate) fn finish(&mut self, encrypted_bytes: [u64; 2]) {
        if self.conv.is_encrypted() {
            let [c2s, s2c] = encrypted_bytes;
            self.note(format!(
                "TLS after the SSLRequest: {c2s} bytes client to server and {s2c} bytes server to client encrypted"
            ));
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let n = self.side(dir).buffered();
            if n != 0 && !self.conv.is_encrypted() && !self.stopped {
                self.note(format!(
                    "{}: {n} bytes of an incomplete packet at the end of the capture",
                    dir.arrow(),
                ));
            }
        }
        self.requests.finish();
    }

    /// The conversation is in the compressed protocol (negotiated or detected).
    pub(crate) fn compressed(&self) -> bool {
        matches!(self.zip, Zip::On(_))
    }

    /// The compression algorithm, when known (a capture begun mid-connection tells it by the
    /// first compressed payload).
    pub(crate) fn compression(&self) -> Option<Algorithm> {
        match self.zip {
            Zip::On(a) => a
                .or_else(|| {
                    self.client
                        .zip
                        .as_ref()
                        .and_then(CompressedStream::algorithm)
                })
                .or_else(|| {
                    self.server
                        .zip
                        .as_ref()
                        .and_then(CompressedStream::algorithm)
                }),
            Zip::Off | Zip::Unknown => None,
        }
    }
}
