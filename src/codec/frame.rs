//! Packet framing: a 3-byte little-endian payload length and a 1-byte sequence id.
//!
//! Rules (MySQL dev docs "MySQL Packets"; protocol-notes/framing.md):
//! - A payload of 0xFFFFFF bytes or more is sent as 0xFFFFFF-byte chunks, each with its own
//!   header, and ends with a chunk shorter than 0xFFFFFF — an empty one when the payload is an
//!   exact multiple. [`PacketCodec`] joins these on read and splits on write.
//! - The sequence id starts at 0 with each command (and with the greeting) and increases by one,
//!   wrapping at 255, for every chunk in either direction. A mismatch is an error: the codec never
//!   resynchronises silently.
//! - The joined payload length is checked against a configured maximum from the header alone,
//!   before any of the body is buffered.
//! - Buffers grow with the bytes that have arrived, never with the length a header announces: a
//!   peer that announces 16 MiB and sends 10 bytes costs [`READ_AHEAD`] bytes of read buffer,
//!   not 16 MiB. While a chunk arrives, [`PacketCodec::decode_frame`] reserves at most
//!   [`READ_AHEAD`] bytes beyond what is buffered, and only when less than half of that is free,
//!   so growth it causes keeps the read buffer's capacity within twice the bytes buffered plus
//!   [`READ_AHEAD`] (`BytesMut` grows geometrically, so the copying stays linear). The
//!   joining buffer of a multi-chunk payload is sized only once a whole 0xFFFFFF-byte chunk has
//!   arrived, to twice that chunk (capped by the maximum payload).

// The framing arithmetic on header lengths is checked too (clippy::arithmetic_side_effects): every
// `+`, `-`, `*` is `checked_*`/`saturating_*` or a widening conversion, so a hostile length can
// never overflow a buffer size computation, in release builds included. Tractable here because
// this file is small and is where the wire's lengths first meet `usize`.
#![deny(clippy::arithmetic_side_effects)]

use bytes::{Buf, Bytes, BytesMut};

use super::error::{ErrorKind, Packet, ParseError};

/// Largest payload of one chunk; a chunk of exactly this size is continued by the next.
pub const MAX_CHUNK: usize = 0xFF_FFFF;

/// Default maximum joined payload: 64 MiB (URL option `max-packet`).
pub const DEFAULT_MAX_PAYLOAD: usize = 64 << 20;

/// The payload length and sequence id of the packet header at the front of `b`, or `None`
/// when fewer than 4 bytes are there. The one place a header is parsed: the frame decoder, the
/// engine's batched row scan and the capture decoder all call it.
#[inline]
pub fn peek_header(b: &[u8]) -> Option<(usize, u8)> {
    let &[l0, l1, l2, seq] = b.get(..HEADER)? else {
        return None;
    };
    // 24 bits fit a usize on every target Rust supports; `try_from` says so without a cast.
    let len = usize::try_from(u32::from_le_bytes([l0, l1, l2, 0])).ok()?;
    Some((len, seq))
}

/// Bytes of a chunk still arriving that [`PacketCodec::decode_frame`] reserves room for, at most,
/// beyond what is already buffered.
pub const READ_AHEAD: usize = 64 * 1024;

/// Bytes of a chunk header: 3 of length, 1 of sequence id.
pub const HEADER: usize = 4;

/// The header of a chunk of `len` bytes (at most [`MAX_CHUNK`]) with sequence id `seq`.
#[inline]
pub(crate) fn chunk_header(len: usize, seq: u8) -> [u8; HEADER] {
    // At most 0xFFFFFF: fits in a u32 whose top byte is zero, on every target.
    let [l0, l1, l2, _] = u32::try_from(len.min(MAX_CHUNK))
        .unwrap_or(0xFF_FFFF)
        .to_le_bytes();
    [l0, l1, l2, seq]
}

/// One logical packet: the sequence id of its first chunk and its joined payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Sequence id of the first chunk.
    pub seq: u8,
    /// The payload, continuations joined, headers removed.
    pub payload: Bytes,
}

/// The framing state of one connection: the shared sequence counter, the limit, and a
/// partially joined payload.
#[derive(Debug)]
pub struct PacketCodec {
    next_seq: u8,
    max_payload: usize,
    check_seq: bool,
    /// Reserve room in the read buffer while a chunk arrives (off when the caller provides the
    /// room itself).
    grow_buffer: bool,
    partial: BytesMut,
    partial_seq: Option<u8>,
}

impl Default for PacketCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl PacketCodec {
    /// A codec that accepts joined payloads up to `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        PacketCodec {
            next_seq: 0,
            max_payload,
            check_seq: true,
            grow_buffer: true,
            partial: BytesMut::new(),
            partial_seq: None,
        }
    }

    /// Whether [`PacketCodec::decode_frame`] reserves room in the read buffer while a chunk
    /// arrives (on by default). A caller that keeps its own initialized room after the buffer
    /// (the engine's blocking reads) turns it off, so the buffer is never moved away from it.
    pub fn set_grow_buffer(&mut self, on: bool) {
        self.grow_buffer = on;
    }

    /// True unless sequence checking is off.
    #[inline]
    pub fn checks_seq(&self) -> bool {
        self.check_seq
    }

    /// Turns sequence checking off (for decoding captures that start mid-stream, and for the
    /// packets inside compressed ones).
    pub fn set_check_seq(&mut self, on: bool) {
        self.check_seq = on;
    }

    /// True when `seq` is the sequence id expected next, or checking is off.
    #[inline]
    pub fn seq_ok(&self, seq: u8) -> bool {
        !self.check_seq || seq == self.next_seq
    }

    /// The sequence id expected (or to be used) next.
    #[inline]
    pub fn next_seq(&self) -> u8 {
        self.next_seq
    }

    /// Sets the next sequence id (0 at the start of every command).
    #[inline]
    pub fn set_seq(&mut self, seq: u8) {
        self.next_seq = seq;
    }

    /// The configured maximum joined payload.
    #[inline]
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// True while a multi-chunk payload is partly read.
    #[inline]
    pub fn is_mid_packet(&self) -> bool {
        self.partial_seq.is_some()
    }

    /// Fails with `SequenceMismatch` unless `seq` is the one expected next (or checking is off).
    fn check_seq_of(&self, seq: u8) -> Result<(), ParseError> {
        if self.check_seq && seq != self.next_seq {
            return Err(ParseError::new(
                Packet::Frame,
                "sequence_id",
                ErrorKind::SequenceMismatch,
            ));
        }
        Ok(())
    }

    /// Accepts the header of a whole single-chunk packet its caller framed itself (a packet of
    /// a run split off the read buffer at once): checks its sequence id as
    /// [`PacketCodec::decode_frame`] would, and advances past it.
    pub fn accept_seq(&mut self, seq: u8) -> Result<(), ParseError> {
        self.check_seq_of(seq)?;
        self.next_seq = seq.wrapping_add(1);
        Ok(())
    }

    /// Decodes one logical packet from the front of `src`, or returns `Ok(None)` when more bytes
    /// are needed. Consumes only whole chunks.
    pub fn decode_frame(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, ParseError> {
        loop {
            let Some((len, seq)) = peek_header(src) else {
                return Ok(None);
            };
            self.check_seq_of(seq)?;
            let joined = self.partial.len().saturating_add(len);
            if joined > self.max_payload {
                return Err(ParseError::new(
                    Packet::Frame,
                    "payload_length",
                    ErrorKind::TooLarge,
                ));
            }
            let arrived = src.len().saturating_sub(HEADER);
            if arrived < len {
                // Room for the next bytes, not for what the header announces: the buffer grows
                // as the peer actually sends. Growing only when less than READ_AHEAD / 2 is free
                // keeps the capacity within 2 * buffered + READ_AHEAD (`BytesMut::reserve` grows
                // to at most the larger of twice the capacity and len + the request).
                let want = len.saturating_sub(arrived).min(READ_AHEAD);
                if self.grow_buffer
                    && src.capacity().saturating_sub(src.len()) < want.min(READ_AHEAD / 2)
                {
                    src.reserve(want);
                }
                return Ok(None);
            }
            self.next_seq = seq.wrapping_add(1);
            src.advance(HEADER);
            if len == MAX_CHUNK || self.partial_seq.is_some() {
                // Continuations are copied into `partial`'s own buffer. (`unsplit` into an empty
                // `partial` would make it a view of the read buffer, and every later chunk would
                // then reallocate and copy the whole payload again: 2.25 copies of a 64 MiB
                // value resident at the peak instead of 2, measured in bench/.)
                let first = *self.partial_seq.get_or_insert(seq);
                if self.partial.is_empty() {
                    // A whole 0xFFFFFF-byte chunk has arrived (`arrived >= len` above).
                    self.partial
                        .reserve(MAX_CHUNK.saturating_mul(2).min(self.max_payload));
                }
                self.partial
                    .extend_from_slice(src.get(..len).unwrap_or_default());
                src.advance(len);
                if len == MAX_CHUNK {
                    continue;
                }
                self.partial_seq = None;
                return Ok(Some(Frame {
                    seq: first,
                    payload: std::mem::take(&mut self.partial).freeze(),
                }));
            }
            // A single-chunk packet: a zero-copy view of the read buffer.
            return Ok(Some(Frame {
                seq,
                payload: src.split_to(len).freeze(),
            }));
        }
    }

    /// Appends `parts` (concatenated, one logical payload) to `dst` as one or more chunks with
    /// headers, using and advancing the sequence counter. Returns the first sequence id used.
    pub fn encode_parts(&mut self, parts: &[&[u8]], dst: &mut BytesMut) -> u8 {
        let first = self.next_seq;
        // Saturating: parts adding up to more than usize::MAX bytes could not be buffered anyway.
        let total = parts
            .iter()
            .fold(0usize, |sum, p| sum.saturating_add(p.len()));
        if total < MAX_CHUNK {
            // The common case: one chunk, one header.
            dst.reserve(total.saturating_add(HEADER));
            dst.extend_from_slice(&chunk_header(total, first));
            for part in parts {
                dst.extend_from_slice(part);
            }
            self.next_seq = first.wrapping_add(1);
            return first;
        }
        let chunks = (total / MAX_CHUNK).saturating_add(1);
        dst.reserve(total.saturating_add(HEADER.saturating_mul(chunks)));
        let mut left_in_chunk = 0usize;
        let mut chunk_len = 0usize;
        let mut left_total = total;
        let mut need_header = true;
        for part in parts {
            let mut part: &[u8] = part;
            while !part.is_empty() || (need_header && left_total == 0) {
                if need_header {
                    let n = left_total.min(MAX_CHUNK);
                    dst.extend_from_slice(&chunk_header(n, self.next_seq));
                    self.next_seq = self.next_seq.wrapping_add(1);
                    left_in_chunk = n;
                    chunk_len = n;
                    need_header = false;
                    if n == 0 {
                        break;
                    }
                }
                let n = left_in_chunk.min(part.len());
                let (now, later) = part.split_at(n);
                dst.extend_from_slice(now);
                part = later;
                // `n` is at most both (it is the smaller of `left_in_chunk` and the part, which is
                // within `left_total`): these never saturate.
                left_in_chunk = left_in_chunk.saturating_sub(n);
                left_total = left_total.saturating_sub(n);
                if left_in_chunk == 0 {
                    // A full chunk needs a successor (possibly empty); a short one ends it all.
                    need_header = left_total > 0 || chunk_len == MAX_CHUNK;
                }
            }
        }
        if need_header {
            // Covers the empty payload and the empty chunk after an exact multiple of 0xFFFFFF.
            dst.extend_from_slice(&chunk_header(0, self.next_seq));
            self.next_seq = self.next_seq.wrapping_add(1);
        }
        first
    }
}

impl tokio_util::codec::Decoder for PacketCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        self.decode_frame(src)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

impl tokio_util::codec::Encoder<&[u8]> for PacketCodec {
    type Error = std::io::Error;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), std::io::Error> {
        self.encode_parts(&[payload], dst);
        Ok(())
    }
}

#[cfg(test)]
// Test arithmetic on small known lengths: an overflow would fail the test, not misread a peer.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn roundtrip(len: usize) {
        let payload: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
        let mut enc = PacketCodec::default();
        enc.set_seq(7);
        let mut wire = BytesMut::new();
        enc.encode_parts(&[&payload[..len / 2], &payload[len / 2..]], &mut wire);
        let chunks = len / MAX_CHUNK + 1;
        assert_eq!(wire.len(), len + 4 * chunks);
        let mut dec = PacketCodec::default();
        dec.set_seq(7);
        let f = dec.decode_frame(&mut wire).unwrap().unwrap();
        assert_eq!(f.seq, 7);
        assert_eq!(&f.payload[..], &payload[..]);
        assert!(wire.is_empty());
        assert_eq!(dec.next_seq(), enc.next_seq());
        assert_eq!(
            enc.next_seq(),
            7u8.wrapping_add(u8::try_from(chunks).unwrap())
        );
    }

    #[test]
    fn roundtrips_at_chunk_boundaries() {
        for len in [
            0,
            1,
            100,
            MAX_CHUNK - 1,
            MAX_CHUNK,
            MAX_CHUNK + 1,
            2 * MAX_CHUNK,
        ] {
            roundtrip(len);
        }
    }

    #[test]
    fn needs_more_bytes() {
        let mut dec = PacketCodec::default();
        let mut b = BytesMut::from(&[3, 0, 0, 0, b'a'][..]);
        assert_eq!(dec.decode_frame(&mut b).unwrap(), None);
        b.extend_from_slice(b"bc\x01\x00");
        let f = dec.decode_frame(&mut b).unwrap().unwrap();
        assert_eq!(&f.payload[..], b"abc");
        assert_eq!(dec.decode_frame(&mut b).unwrap(), None);
    }

    #[test]
    fn sequence_mismatch_is_an_error() {
        let mut dec = PacketCodec::default();
        let mut b = BytesMut::from(&[1, 0, 0, 5, 0][..]);
        let e = dec.decode_frame(&mut b).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SequenceMismatch);
    }

    #[test]
    fn oversized_header_rejected_before_buffering() {
        let mut dec = PacketCodec::new(1024);
        let mut b = BytesMut::from(&[0x01, 0x04, 0, 0][..]); // 1025 bytes claimed
        let e = dec.decode_frame(&mut b).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert!(b.capacity() < 1024);
    }

    #[test]
    fn joined_payload_limit_counts_continuations() {
        let mut dec = PacketCodec::new(MAX_CHUNK + 10);
        let mut b = BytesMut::new();
        b.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0]);
        b.resize(4 + MAX_CHUNK, 0);
        b.extend_from_slice(&[11, 0, 0, 1]);
        let e = dec.decode_frame(&mut b).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge);
    }

    #[test]
    fn announced_length_does_not_size_the_buffers() {
        // A header announcing a full 16 MiB chunk, then 10 bytes of it.
        let mut dec = PacketCodec::default();
        let mut b = BytesMut::from(&[0xFF, 0xFF, 0xFF, 0][..]);
        b.extend_from_slice(&[b'x'; 10]);
        assert_eq!(dec.decode_frame(&mut b).unwrap(), None);
        assert!(
            b.capacity() <= 14 + READ_AHEAD,
            "read buffer: {}",
            b.capacity()
        );
        assert!(
            dec.partial.capacity() <= READ_AHEAD,
            "{}",
            dec.partial.capacity()
        );
        // Bytes that keep arriving grow the buffer with them, not to the announced length.
        for _ in 0..64 {
            b.extend_from_slice(&[b'x'; 4096]);
            assert_eq!(dec.decode_frame(&mut b).unwrap(), None);
            assert!(
                b.capacity() <= 2 * b.len() + READ_AHEAD,
                "{} for {}",
                b.capacity(),
                b.len()
            );
        }
        assert!(b.capacity() < 1 << 20);
        // The rest arrives: the chunk (a continued one) and an empty last chunk decode.
        b.resize(4 + MAX_CHUNK, b'x');
        b.extend_from_slice(&[0, 0, 0, 1]);
        let f = dec.decode_frame(&mut b).unwrap().unwrap();
        assert_eq!(f.payload.len(), MAX_CHUNK);
        assert!(b.is_empty());
    }

    #[test]
    fn sequence_wraps_at_255() {
        let mut enc = PacketCodec::default();
        enc.set_seq(255);
        let mut b = BytesMut::new();
        enc.encode_parts(&[b"x"], &mut b);
        assert_eq!(b[3], 255);
        assert_eq!(enc.next_seq(), 0);
    }
}
