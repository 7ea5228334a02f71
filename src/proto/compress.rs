//! The compressed protocol in the engine: a layer under the framing. Received bytes go to a
//! buffer of their own; the engine inflates one compressed packet at a time into the plain
//! receive buffer, only when the framing needs more bytes (so what waits inflated is at most
//! one compressed packet). Packets to send are framed as usual and then deflated, one
//! command (or one reply within an exchange) at a time.
//!
//! Sequence ids (protocol-notes/compression.md): the compressed sequence id starts at 0 with
//! each command and counts compressed packets in both directions; it is checked on every
//! packet received. The ids of the packets inside are not checked (the servers do not keep
//! them in step with the compressed ones: they resynchronise the inner counter to the
//! compressed one when they flush, so a multi-result response's inner ids can go back).

use bytes::{Bytes, BytesMut};

use crate::codec::compress::{
    check_header, inflate_limit, peek_compressed_header, Algorithm, Deflater, Inflater,
    COMPRESSED_HEADER,
};
use crate::codec::frame::{peek_header, HEADER, MAX_CHUNK};
use crate::codec::{ErrorKind, Packet, ParseError};
use crate::error::Error;
use crate::trace::{CompressedEvent, Direction, Tracer};

use super::Engine;

/// Room a blocking read of compressed bytes gets at a time.
const ROOM: usize = 64 * 1024;

/// Bytes kept in reserve for an async read of compressed bytes.
const READ_CHUNK: usize = 64 * 1024;

/// Byte counts of a compressed connection, both directions, since compression started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompressionStats {
    /// Compressed packets received.
    pub packets_received: u64,
    /// Bytes received on the wire (compressed packets, headers included).
    pub wire_received: u64,
    /// Plain protocol bytes they carried.
    pub plain_received: u64,
    /// Compressed packets sent.
    pub packets_sent: u64,
    /// Bytes sent on the wire.
    pub wire_sent: u64,
    /// Plain protocol bytes they carried.
    pub plain_sent: u64,
}

/// The compression state of a connection (see the module documentation).
pub(super) struct Compression {
    inflater: Inflater,
    deflater: Deflater,
    /// Compressed bytes received and not inflated yet.
    zin: BytesMut,
    /// Initialized room for blocking reads (zeroed once).
    room: Vec<u8>,
    /// The compressed sequence id expected next from the server.
    rseq: u8,
    /// The compressed sequence id of the next packet sent.
    wseq: u8,
    /// Most plain bytes one compressed packet may announce.
    limit: usize,
    /// A packet being framed before it is deflated.
    plain: BytesMut,
    stats: CompressionStats,
}

impl std::fmt::Debug for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compression")
            .field("algorithm", &self.inflater.algorithm())
            .field("rseq", &self.rseq)
            .field("wseq", &self.wseq)
            .finish_non_exhaustive()
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Compression {
    fn new(algorithm: Algorithm, level: i32, max_packet: usize, seq: u8) -> Self {
        Compression {
            inflater: Inflater::new(algorithm),
            deflater: Deflater::new(algorithm, level),
            zin: BytesMut::new(),
            room: Vec::new(),
            rseq: seq,
            wseq: seq,
            limit: inflate_limit(max_packet),
            plain: BytesMut::new(),
            stats: CompressionStats::default(),
        }
    }

    /// Deflates `plain` (whole packets, headers included, starting a command when the first
    /// packet's sequence id is 0) into `out`; returns the compressed sequence id after it.
    fn send(&mut self, plain: &[u8], out: &mut BytesMut, mut tracer: Option<&mut Box<dyn Tracer>>) {
        if peek_header(plain).map(|(_, seq)| seq) == Some(0) {
            self.wseq = 0;
        } else {
            // A reply within an exchange follows on from what was received.
            self.wseq = self.rseq;
        }
        let from = out.len();
        self.wseq = self.deflater.frame(plain, self.wseq, out);
        self.stats.plain_sent = self.stats.plain_sent.saturating_add(count(plain.len()));
        self.stats.wire_sent = self
            .stats
            .wire_sent
            .saturating_add(count(out.len().saturating_sub(from)));
        let mut at = from;
        while let Some(h) = out.get(at..).and_then(peek_compressed_header) {
            self.stats.packets_sent = self.stats.packets_sent.saturating_add(1);
            let end = at.saturating_add(h.wire_len());
            if let Some(t) = tracer.as_mut() {
                t.compressed(&CompressedEvent {
                    direction: Direction::ClientToServer,
                    seq: h.seq,
                    compressed_len: h.compressed_len,
                    uncompressed_len: h.uncompressed_len,
                    wire: out.get(at..end).unwrap_or_default(),
                });
            }
            at = end;
        }
    }

    /// Deflates a run of framed commands (each starting with a packet of sequence id 0; a
    /// multi-chunk packet's chunks stay together) command by command; returns the compressed
    /// sequence id the last one's response starts with.
    fn send_commands(
        &mut self,
        plain: &[u8],
        out: &mut BytesMut,
        mut tracer: Option<&mut Box<dyn Tracer>>,
    ) -> u8 {
        let (mut start, mut at, mut continued) = (0usize, 0usize, false);
        while let Some((len, seq)) = plain.get(at..).and_then(peek_header) {
            if seq == 0 && at > start && !continued {
                let t = tracer.as_deref_mut();
                self.send(plain.get(start..at).unwrap_or_default(), out, t);
                start = at;
            }
            at = at.saturating_add(HEADER).saturating_add(len);
            continued = len == MAX_CHUNK;
        }
        self.send(plain.get(start..).unwrap_or_default(), out, tracer);
        self.wseq
    }
}

impl Engine {
    /// Turns compression on, at the OK that ends the connection phase (which is not
    /// compressed).
    pub(super) fn start_compression(&mut self, algorithm: Algorithm, level: i32) {
        let max = self.codec.max_payload();
        let seq = self.codec.next_seq();
        let mut z = Box::new(Compression::new(algorithm, level, max, seq));
        // Bytes that arrived behind the OK (a server has no reason to send any before a
        // command, but one may) are compressed bytes: they go to the compressed buffer, as if
        // they had arrived after it (the framing must not depend on how reads cut the stream).
        if let Some(rest) = self.batch.get(self.batch_pos..) {
            z.zin.extend_from_slice(rest);
        }
        self.batch = Bytes::new();
        self.batch_pos = 0;
        z.zin.extend_from_slice(&self.rbuf);
        self.rbuf.clear();
        self.zip = Some(z);
        // The servers do not keep the inner ids in step (see the module documentation).
        self.codec.set_check_seq(false);
    }

    /// The negotiated compression algorithm (`None`: uncompressed).
    pub fn compression(&self) -> Option<Algorithm> {
        self.zip.as_ref().map(|z| z.inflater.algorithm())
    }

    /// Byte counts of the compressed protocol (`None`: uncompressed).
    pub fn compression_stats(&self) -> Option<CompressionStats> {
        self.zip.as_ref().map(|z| z.stats)
    }

    /// The async driver's read buffer while compression is on (the plain one otherwise).
    pub(super) fn zip_read_buf(&mut self) -> &mut BytesMut {
        match self.zip.as_deref_mut() {
            Some(z) => {
                if z.zin.capacity() - z.zin.len() < READ_CHUNK / 4 {
                    z.zin.reserve(READ_CHUNK);
                }
                &mut z.zin
            }
            None => &mut self.rbuf,
        }
    }

    /// The blocking driver's read room while compression is on (the plain one otherwise).
    pub(super) fn zip_read_space(&mut self) -> &mut [u8] {
        match self.zip.as_deref_mut() {
            Some(z) => {
                if z.room.len() < ROOM {
                    z.room.resize(ROOM, 0);
                }
                &mut z.room[..]
            }
            None => &mut self.spare[..],
        }
    }

    /// Keeps what a blocking read put in the room; false when compression is off.
    pub(super) fn zip_commit_read(&mut self, n: usize) -> bool {
        let Some(z) = self.zip.as_mut() else {
            return false;
        };
        let Compression { zin, room, .. } = &mut **z;
        zin.extend_from_slice(room.get(..n).unwrap_or(room));
        true
    }

    /// True when compressed bytes wait to be inflated.
    pub(super) fn zip_has_unread(&self) -> bool {
        self.zip.as_ref().is_some_and(|z| !z.zin.is_empty())
    }

    /// Queues one framed packet: deflated when compression is on (then the reply's compressed
    /// sequence id follows on from it).
    pub(super) fn send_framed(&mut self, parts: &[&[u8]]) -> u8 {
        let Some(z) = self.zip.as_mut() else {
            return self.codec.encode_parts(parts, &mut self.wbuf);
        };
        let mut plain = std::mem::take(&mut z.plain);
        plain.clear();
        let seq = self.codec.encode_parts(parts, &mut plain);
        z.send(&plain, &mut self.wbuf, self.tracer.as_mut());
        z.rseq = z.wseq;
        z.plain = plain;
        seq
    }

    /// Queues framed commands (a pipeline's); returns the compressed sequence id the last
    /// one's response starts with, or `seq` (its plain one) when compression is off.
    /// `whole`: `bytes` is all of the buffer it was encoded in; with nothing else queued and
    /// nobody else holding it (a bulk execute's one buffer), it becomes the transmit buffer
    /// without a copy.
    pub(super) fn send_commands(&mut self, bytes: Bytes, seq: u8, whole: bool) -> u8 {
        match self.zip.as_mut() {
            Some(z) => z.send_commands(&bytes, &mut self.wbuf, self.tracer.as_mut()),
            None if whole && self.wbuf.is_empty() => {
                match bytes.try_into_mut() {
                    Ok(b) => self.wbuf = b,
                    Err(b) => self.wbuf.extend_from_slice(&b),
                }
                seq
            }
            None => {
                self.wbuf.extend_from_slice(&bytes);
                seq
            }
        }
    }

    /// Sets the sequence id the next response starts with: the compressed one too when
    /// compression is on (then both are what the server's counter says: the inner one is not
    /// checked).
    pub(super) fn expect_seq(&mut self, seq: u8) {
        self.codec.set_seq(seq);
        if let Some(z) = self.zip.as_mut() {
            z.rseq = seq;
        }
    }

    /// Inflates the next compressed packet into the receive buffer; false when none has
    /// arrived whole (or compression is off).
    pub(super) fn inflate_next(&mut self) -> Result<bool, Error> {
        let Some(z) = self.zip.as_mut() else {
            return Ok(false);
        };
        let Some(h) = peek_compressed_header(&z.zin) else {
            return Ok(false);
        };
        if let Err(e) = check_header(&h, z.limit) {
            return Err(self.proto(e));
        }
        if h.seq != z.rseq {
            // An ERR sent as is, whole, with the server's counter (MySQL 8.0.24+'s 4031 to an
            // idle client): the server's last word, as uncompressed.
            // The decision waits for the whole packet, as uncompressed.
            if !h.is_compressed() && h.compressed_len <= super::last_word::LAST_WORD_MAX {
                if z.zin.len() < h.wire_len() {
                    return Ok(false);
                }
                let wire = z.zin.split_to(h.wire_len());
                if let Some(e) = self.last_word(wire.get(COMPRESSED_HEADER..).unwrap_or_default()) {
                    return Err(e);
                }
            }
            return Err(self.proto(ParseError::new(
                Packet::Compressed,
                "sequence_id",
                ErrorKind::SequenceMismatch,
            )));
        }
        if z.zin.len() < h.wire_len() {
            // Room for the rest (at most what the checked header announced).
            let want = h.wire_len().saturating_sub(z.zin.len());
            z.zin.reserve(want.min(1 << 20));
            return Ok(false);
        }
        z.rseq = z.rseq.wrapping_add(1);
        let wire = z.zin.split_to(h.wire_len());
        let body = wire.get(COMPRESSED_HEADER..).unwrap_or_default();
        z.stats.packets_received = z.stats.packets_received.saturating_add(1);
        z.stats.wire_received = z.stats.wire_received.saturating_add(count(wire.len()));
        z.stats.plain_received = z.stats.plain_received.saturating_add(count(h.plain_len()));
        if let Some(t) = self.tracer.as_mut() {
            t.compressed(&CompressedEvent {
                direction: Direction::ServerToClient,
                seq: h.seq,
                compressed_len: h.compressed_len,
                uncompressed_len: h.uncompressed_len,
                wire: &wire,
            });
        }
        if !h.is_compressed() {
            self.rbuf.extend_from_slice(body);
            return Ok(true);
        }
        let start = self.rbuf.len();
        self.rbuf.reserve(h.plain_len().max(READ_CHUNK));
        self.rbuf.resize(start.saturating_add(h.plain_len()), 0);
        let r = z
            .inflater
            .inflate(body, self.rbuf.get_mut(start..).unwrap_or_default());
        if let Err(e) = r {
            self.rbuf.truncate(start);
            return Err(self.proto(e));
        }
        Ok(true)
    }
}
