//! One direction of a captured conversation in the compressed protocol: the byte stream cut into
//! compressed packets and inflated, with the codec's framing
//! ([`peek_compressed_header`], [`check_header`], [`Inflater`]); the plain bytes they carry go on
//! to the usual packet framing. Used by the offline decoder ([`super::offline`]) and fuzzed as it
//! is (`fuzz/fuzz_targets/compressed.rs`).
//!
//! Every header is checked against the limit before anything is allocated, so a lying length
//! or a decompression bomb costs at most one limit's worth of memory and ends in a typed error
//! ([`Packet::Compressed`](crate::codec::Packet::Compressed)).

use bytes::BytesMut;

use crate::codec::compress::{
    check_header, inflate_limit, peek_compressed_header, Algorithm, CompressedHeader, Inflater,
    COMPRESSED_HEADER, MIN_INFLATE_LIMIT,
};
use crate::codec::ParseError;

/// The four bytes a zstd frame starts with (RFC 8878, section 3.1.1: 0xFD2FB528 little-endian).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The algorithm of a compressed payload, told by its first bytes: zstd frames start with their
/// magic number, anything else is taken as zlib (whose header is checked by inflating).
pub fn sniff_algorithm(payload: &[u8]) -> Algorithm {
    if payload.starts_with(&ZSTD_MAGIC) {
        Algorithm::Zstd
    } else {
        Algorithm::Zlib
    }
}

/// One direction's compressed packets, de-framed and inflated.
#[derive(Debug)]
pub struct CompressedStream {
    /// `None` until known: a capture that started mid-connection tells it by the first
    /// compressed payload.
    algorithm: Option<Algorithm>,
    inflater: Option<Inflater>,
    /// Received bytes not yet taken as a whole compressed packet.
    wire: BytesMut,
    limit: usize,
}

impl CompressedStream {
    /// A stream of `algorithm` (`None`: told by the first compressed payload) whose packets
    /// carry at most `limit` plain bytes each (see [`inflate_limit`]).
    pub fn new(algorithm: Option<Algorithm>, limit: usize) -> Self {
        CompressedStream {
            algorithm,
            inflater: None,
            wire: BytesMut::new(),
            limit,
        }
    }

    /// A stream for a capture decoder whose packets are limited to `max_packet` bytes.
    pub fn for_max_packet(algorithm: Option<Algorithm>, max_packet: usize) -> Self {
        Self::new(algorithm, inflate_limit(max_packet))
    }

    /// The algorithm, once known.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.algorithm
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.wire.extend_from_slice(bytes);
    }

    /// Bytes received and not yet taken as a whole compressed packet.
    pub fn buffered(&self) -> usize {
        self.wire.len()
    }

    /// Drops what is buffered (framing was lost).
    pub fn clear(&mut self) {
        self.wire.clear();
    }

    /// Takes the next whole compressed packet off the stream and appends the plain bytes it
    /// carries to `plain`; its header, or `None` when it has not all arrived. A header over
    /// the limit, or a payload that does not inflate to exactly the length announced, is an
    /// error (and `plain` is left as it was).
    pub fn next_packet(
        &mut self,
        plain: &mut BytesMut,
    ) -> Result<Option<CompressedHeader>, ParseError> {
        let Some(h) = peek_compressed_header(&self.wire) else {
            return Ok(None);
        };
        check_header(&h, self.limit)?;
        if self.wire.len() < h.wire_len() {
            return Ok(None);
        }
        let packet = self.wire.split_to(h.wire_len());
        let body = packet.get(COMPRESSED_HEADER..).unwrap_or_default();
        if !h.is_compressed() {
            plain.extend_from_slice(body);
            return Ok(Some(h));
        }
        let algorithm = *self.algorithm.get_or_insert_with(|| sniff_algorithm(body));
        let inflater = self
            .inflater
            .get_or_insert_with(|| Inflater::new(algorithm));
        let start = plain.len();
        // At most the limit (checked above).
        plain.resize(start.saturating_add(h.plain_len()), 0);
        let r = inflater.inflate(body, plain.get_mut(start..).unwrap_or_default());
        if let Err(e) = r {
            plain.truncate(start);
            return Err(e);
        }
        Ok(Some(h))
    }
}

/// What the bytes an unsynchronised client side has gathered say about the compressed
/// protocol ([`compressed_command_start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// They begin a compressed packet that carries a command, and its algorithm when the
    /// payload told it (`None`: sent as is).
    Command(Option<Algorithm>),
    /// They may begin one: gather the client's next bytes and ask again.
    NeedMore,
    /// They do not.
    No,
}

/// Most bytes gathered to recognise the first compressed packet of a command.
pub(crate) const MAX_START: usize = MIN_INFLATE_LIMIT;

/// True when `b` can begin a compressed payload of `algorithm` (or of either): a zlib header
/// (RFC 1950: method 8, the check bits) or zstd's magic number; fewer bytes than that say yes.
fn plausible_payload(b: &[u8], algorithm: Option<Algorithm>) -> bool {
    let zlib = match b {
        [cmf, flg, ..] => cmf & 0x0F == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => true,
    };
    let zstd = b.len() < 4 || b.starts_with(&ZSTD_MAGIC);
    match algorithm {
        Some(Algorithm::Zlib) => zlib,
        Some(Algorithm::Zstd) => zstd,
        None => zlib || zstd,
    }
}

/// Whether `buf` (the bytes an unsynchronised client side gathered, from a chunk boundary on)
/// begins with a compressed packet that starts a command: compressed sequence id 0, at most
/// [`MAX_START`] bytes either way, and what it carries starting with a plain packet that
/// `looks_like_command` (sent as is, or inflated with `algorithm`, or the one its first bytes
/// tell). Early bytes that cannot begin one say [`Start::No`] at once.
pub(crate) fn compressed_command_start(
    buf: &[u8],
    algorithm: Option<Algorithm>,
    looks_like_command: impl Fn(&[u8]) -> bool,
) -> Start {
    let Some(h) = peek_compressed_header(buf) else {
        return Start::No;
    };
    if h.seq != 0
        || h.compressed_len == 0
        || h.compressed_len > MAX_START
        || h.plain_len() < 5
        || h.plain_len() > MAX_START
    {
        return Start::No;
    }
    let end = h.wire_len().min(buf.len());
    let body = buf.get(COMPRESSED_HEADER..end).unwrap_or_default();
    let plausible = if h.is_compressed() {
        plausible_payload(body, algorithm)
    } else {
        body.len() < 5 || looks_like_command(body)
    };
    if !plausible {
        return Start::No;
    }
    if buf.len() < h.wire_len() {
        return Start::NeedMore;
    }
    if !h.is_compressed() {
        return Start::Command(algorithm);
    }
    let algorithm = algorithm.unwrap_or_else(|| sniff_algorithm(body));
    let mut plain = vec![0u8; h.plain_len()];
    match Inflater::new(algorithm).inflate(body, &mut plain) {
        Ok(()) if looks_like_command(&plain) => Start::Command(Some(algorithm)),
        _ => Start::No,
    }
}

#[cfg(test)]
mod tests;
