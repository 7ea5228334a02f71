//! The compressed protocol's framing (CLIENT_COMPRESS: zlib; CLIENT_ZSTD_COMPRESSION_ALGORITHM:
//! zstd), sans-IO: the 7-byte header, inflating one compressed packet to exactly the length it
//! announces, and deflating a run of plain bytes into compressed packets.
//!
//! Rules (MySQL dev docs "Compressed Packet"; protocol-notes/compression.md):
//! - A compressed packet is a 3-byte length of its payload, a compressed sequence id, and a
//!   3-byte length of the payload before compression; 0 there means the payload is sent as it
//!   is (short or incompressible data, and the server's error packets).
//! - The payload is any run of the plain protocol's bytes: part of a packet, one packet or
//!   several, headers included. The compressed sequence id starts at 0 with each command and
//!   counts compressed packets in either direction, independently of the packets inside.
//! - Both lengths are 3 bytes: a compressed packet carries at most 0xFFFFFF plain bytes.
//!
//! Limits: the announced plain length is checked against a limit before anything is allocated,
//! and inflation writes into a buffer of exactly that length: a stream that would produce more
//! (a decompression bomb, or a header that lies) is an error, as is one that produces less or
//! leaves input unread.

// The framing arithmetic on header lengths is checked (as in frame.rs).
#![deny(clippy::arithmetic_side_effects)]

use bytes::{BufMut, BytesMut};

use super::error::{ErrorKind, Packet, ParseError};

/// Bytes of a compressed packet's header: 3 of payload length, 1 of sequence id, 3 of plain
/// length.
pub const COMPRESSED_HEADER: usize = 7;

/// Most plain bytes one compressed packet can carry (its length fields are 3 bytes).
pub const MAX_COMPRESSED_CHUNK: usize = 0xFF_FFFF;

/// Payloads shorter than this are sent uncompressed (plain length 0), as the servers do
/// (`MIN_COMPRESS_LENGTH` in MariaDB's and MySQL's `my_compress`).
pub const MIN_COMPRESS_LENGTH: usize = 50;

/// The least limit on one compressed packet's plain length, whatever `max-packet` is: servers
/// gather many small packets into one compressed packet the size of their network buffer
/// (MariaDB's and MySQL's `net_buffer_length`, at most 1 MiB).
pub const MIN_INFLATE_LIMIT: usize = 1 << 20;

/// The compression algorithm of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// zlib (RFC 1950 framing of deflate), CLIENT_COMPRESS.
    Zlib,
    /// zstd, CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8.0.18+).
    Zstd,
}

impl Algorithm {
    /// The name the official clients use (`--compression-algorithms`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Zlib => "zlib",
            Algorithm::Zstd => "zstd",
        }
    }

    /// The default level: zlib's own default (6), and MySQL's default zstd level (3).
    pub fn default_level(self) -> i32 {
        match self {
            Algorithm::Zlib => 6,
            Algorithm::Zstd => 3,
        }
    }

    /// Levels the algorithm takes: zlib 1–9, zstd 1–22.
    pub fn max_level(self) -> i32 {
        match self {
            Algorithm::Zlib => 9,
            Algorithm::Zstd => 22,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compressed packet's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressedHeader {
    /// Bytes of payload after the header (as sent).
    pub compressed_len: usize,
    /// The compressed sequence id.
    pub seq: u8,
    /// The payload's length before compression; 0 when it was sent uncompressed.
    pub uncompressed_len: usize,
}

impl CompressedHeader {
    /// The plain bytes the packet carries.
    pub fn plain_len(&self) -> usize {
        if self.uncompressed_len == 0 {
            self.compressed_len
        } else {
            self.uncompressed_len
        }
    }

    /// True when the payload is compressed (not sent as it is).
    pub fn is_compressed(&self) -> bool {
        self.uncompressed_len != 0
    }

    /// The packet's length on the wire, header included.
    pub fn wire_len(&self) -> usize {
        self.compressed_len.saturating_add(COMPRESSED_HEADER)
    }
}

fn u24([a, b, c]: [u8; 3]) -> usize {
    // 24 bits fit a usize on every target Rust supports.
    usize::try_from(u32::from_le_bytes([a, b, c, 0])).unwrap_or(MAX_COMPRESSED_CHUNK)
}

fn put_u24(out: &mut BytesMut, n: usize) {
    let [a, b, c, _] = u32::try_from(n.min(MAX_COMPRESSED_CHUNK))
        .unwrap_or(0xFF_FFFF)
        .to_le_bytes();
    out.put_slice(&[a, b, c]);
}

/// The compressed packet header at the front of `b`, or `None` when fewer than 7 bytes are
/// there. The one place it is parsed: the engine and the capture decoder both call it.
pub fn peek_compressed_header(b: &[u8]) -> Option<CompressedHeader> {
    let &[c0, c1, c2, seq, u0, u1, u2] = b.get(..COMPRESSED_HEADER)? else {
        return None;
    };
    Some(CompressedHeader {
        compressed_len: u24([c0, c1, c2]),
        seq,
        uncompressed_len: u24([u0, u1, u2]),
    })
}

/// The limit on one compressed packet's plain length for a connection whose packets are
/// limited to `max_packet` bytes: one packet and its header, but never less than
/// [`MIN_INFLATE_LIMIT`] (nor more than the format can say).
pub fn inflate_limit(max_packet: usize) -> usize {
    max_packet
        .saturating_add(super::frame::HEADER)
        .clamp(MIN_INFLATE_LIMIT, MAX_COMPRESSED_CHUNK)
}

fn bad(field: &'static str, kind: ErrorKind) -> ParseError {
    ParseError::new(Packet::Compressed, field, kind)
}

/// Checks a header against the limit on plain bytes: an error names the field that is too
/// large before anything is allocated.
pub fn check_header(h: &CompressedHeader, limit: usize) -> Result<(), ParseError> {
    if h.uncompressed_len > limit {
        return Err(bad("uncompressed_length", ErrorKind::TooLarge));
    }
    if !h.is_compressed() && h.compressed_len > limit {
        return Err(bad("compressed_length", ErrorKind::TooLarge));
    }
    Ok(())
}

/// Decompresses payloads of one algorithm, keeping its state between packets.
pub struct Inflater {
    algorithm: Algorithm,
    zlib: Option<flate2::Decompress>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// An inflater for `algorithm` (its state is made at the first packet).
    pub fn new(algorithm: Algorithm) -> Self {
        Inflater {
            algorithm,
            zlib: None,
            zstd: None,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Decompresses `src` (one packet's whole compressed payload) into `out`, which must come
    /// out exactly full: more output is [`ErrorKind::TooLarge`], less
    /// [`ErrorKind::Truncated`], input left over [`ErrorKind::TrailingBytes`], a corrupt
    /// stream [`ErrorKind::InvalidValue`].
    pub fn inflate(&mut self, src: &[u8], out: &mut [u8]) -> Result<(), ParseError> {
        match self.algorithm {
            Algorithm::Zlib => self.inflate_zlib(src, out),
            Algorithm::Zstd => self.inflate_zstd(src, out),
        }
    }

    fn inflate_zlib(&mut self, src: &[u8], out: &mut [u8]) -> Result<(), ParseError> {
        use flate2::{FlushDecompress, Status};
        let z = self
            .zlib
            .get_or_insert_with(|| flate2::Decompress::new(true));
        z.reset(true);
        let corrupt = || bad("compressed_payload", ErrorKind::InvalidValue);
        let mut status = z
            .decompress(src, out, FlushDecompress::Finish)
            .map_err(|_| corrupt())?;
        let (mut read, written) = (counted(z.total_in()), counted(z.total_out()));
        if status != Status::StreamEnd && written == out.len() {
            // The output is full: the stream may still end (its checksum left to read), or it
            // has more to give than was announced. One byte of room tells which.
            let mut extra = [0u8; 1];
            status = z
                .decompress(
                    src.get(read..).unwrap_or_default(),
                    &mut extra,
                    FlushDecompress::Finish,
                )
                .map_err(|_| corrupt())?;
            if counted(z.total_out()) > written {
                return Err(bad("uncompressed_length", ErrorKind::TooLarge));
            }
            read = counted(z.total_in());
        }
        if status != Status::StreamEnd {
            return Err(if written < out.len() {
                bad("uncompressed_length", ErrorKind::Truncated)
            } else {
                corrupt()
            });
        }
        if written != out.len() {
            return Err(bad("uncompressed_length", ErrorKind::Truncated));
        }
        if read != src.len() {
            return Err(bad("compressed_payload", ErrorKind::TrailingBytes));
        }
        Ok(())
    }

    fn inflate_zstd(&mut self, src: &[u8], out: &mut [u8]) -> Result<(), ParseError> {
        let corrupt = || bad("compressed_payload", ErrorKind::InvalidValue);
        if self.zstd.is_none() {
            self.zstd = Some(zstd::bulk::Decompressor::new().map_err(|_| corrupt())?);
        }
        let Some(z) = self.zstd.as_mut() else {
            return Err(corrupt());
        };
        // Frames that declare more content than `out` holds fail before any is written
        // (ZSTD_decompressDCtx checks the destination's size), as does a frame that runs past it.
        match z.decompress_to_buffer(src, out) {
            Ok(n) if n == out.len() => Ok(()),
            Ok(_) => Err(bad("uncompressed_length", ErrorKind::Truncated)),
            Err(e) if e.to_string().contains("Destination buffer is too small") => {
                Err(bad("uncompressed_length", ErrorKind::TooLarge))
            }
            Err(_) => Err(corrupt()),
        }
    }
}

/// A zlib byte count (a `u64`) as a `usize`, saturating (it never exceeds a slice's length).
fn counted(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Compresses payloads of one algorithm at one level, keeping its state between packets.
pub struct Deflater {
    algorithm: Algorithm,
    level: i32,
    zlib: Option<flate2::Compress>,
    zstd: Option<zstd::bulk::Compressor<'static>>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("algorithm", &self.algorithm)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A deflater for `algorithm` at `level` (clamped to the algorithm's levels).
    pub fn new(algorithm: Algorithm, level: i32) -> Self {
        Deflater {
            algorithm,
            level: level.clamp(1, algorithm.max_level()),
            zlib: None,
            zstd: None,
            scratch: Vec::new(),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Appends `plain` to `out` as compressed packets of at most [`MAX_COMPRESSED_CHUNK`] plain
    /// bytes each, with sequence ids from `seq` on; returns the sequence id after the last.
    /// Short payloads, and payloads that do not get smaller, go as they are. An empty `plain`
    /// still makes one (empty) packet.
    pub fn frame(&mut self, plain: &[u8], mut seq: u8, out: &mut BytesMut) -> u8 {
        let mut rest = plain;
        loop {
            let n = rest.len().min(MAX_COMPRESSED_CHUNK);
            let (chunk, tail) = rest.split_at(n);
            seq = self.frame_one(chunk, seq, out);
            rest = tail;
            if rest.is_empty() {
                return seq;
            }
        }
    }

    fn frame_one(&mut self, chunk: &[u8], seq: u8, out: &mut BytesMut) -> u8 {
        let packed = chunk.len() >= MIN_COMPRESS_LENGTH && self.compress(chunk);
        let (payload, ulen): (&[u8], usize) = if packed {
            (&self.scratch, chunk.len())
        } else {
            (chunk, 0)
        };
        out.reserve(payload.len().saturating_add(COMPRESSED_HEADER));
        put_u24(out, payload.len());
        out.put_u8(seq);
        put_u24(out, ulen);
        out.put_slice(payload);
        seq.wrapping_add(1)
    }

    /// Compresses `chunk` into `scratch`; false when it did not get smaller (or failed).
    fn compress(&mut self, chunk: &[u8]) -> bool {
        self.scratch.clear();
        // Room for less than the input: output that would not be smaller is not wanted.
        self.scratch.reserve(chunk.len().saturating_sub(1));
        match self.algorithm {
            Algorithm::Zlib => {
                use flate2::{Compression, FlushCompress, Status};
                let level = u32::try_from(self.level).unwrap_or(6);
                let z = self
                    .zlib
                    .get_or_insert_with(|| flate2::Compress::new(Compression::new(level), true));
                z.reset();
                // `compress_vec` writes into the spare capacity only: a stream that does not
                // fit ends short of StreamEnd.
                matches!(
                    z.compress_vec(chunk, &mut self.scratch, FlushCompress::Finish),
                    Ok(Status::StreamEnd)
                ) && self.scratch.len() < chunk.len()
            }
            Algorithm::Zstd => {
                if self.zstd.is_none() {
                    self.zstd = zstd::bulk::Compressor::new(self.level).ok();
                }
                let Some(z) = self.zstd.as_mut() else {
                    return false;
                };
                matches!(z.compress_to_buffer(chunk, &mut self.scratch), Ok(n) if n < chunk.len())
            }
        }
    }
}

#[cfg(test)]
mod tests;
