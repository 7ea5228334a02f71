//! Capture files: a reader for classic pcap and pcapng, link-layer / IP / TCP decoding, and a
//! pcapng writer that synthesizes a clean TCP conversation around MySQL payloads.
//!
//! The container formats are ours (Ethernet/VLAN, IPv4, IPv6 and TCP headers are read with
//! `etherparse`, see `link`): [`CaptureReader`] takes a byte slice (see
//! [`read_capture_bytes`] to load one from any [`Read`] with a size limit), [`CaptureStream`]
//! reads records from any [`Read`] as they arrive (one record buffered), both through the same
//! parser; the writer writes to any [`Write`](std::io::Write). Capture files are untrusted input: every length is checked against what remains
//! and against a limit before it is used, nothing panics, and a malformed file yields the frames
//! before the damage and then one [`CaptureError`] that names the record, byte offset and field.
//!
//! Timestamps are nanoseconds since the Unix epoch throughout.

use crate::codec::ErrorKind;
use std::fmt;
use std::io::{self, Read};

mod link;
mod parse;
mod read;
mod stream;
mod write;

pub use link::{decode_frame, decode_ip, decode_link, SkipReason, TcpFlags, TcpSegment};
pub use read::{CaptureFormat, CaptureReader, CapturedFrame};
pub use stream::{CaptureStream, StreamError};
pub use write::PcapngWriter;

/// `LINKTYPE_NULL`: BSD loopback, 4-byte address family in the capturing host's byte order.
pub const LINKTYPE_NULL: u32 = 0;
/// `LINKTYPE_ETHERNET`: Ethernet II, with optional 802.1Q / 802.1ad VLAN tags.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// [`LINKTYPE_ETHERNET`] as the 16-bit field of a pcapng interface description block.
const LINKTYPE_ETHERNET_U16: u16 = 1;
const _: () = assert!(LINKTYPE_ETHERNET_U16 as u32 == LINKTYPE_ETHERNET);
/// `DLT_RAW` as numbered on some BSDs: raw IPv4 or IPv6.
pub const LINKTYPE_RAW_BSD: u32 = 12;
/// `LINKTYPE_RAW`: raw IPv4 or IPv6, told apart by the version nibble.
pub const LINKTYPE_RAW: u32 = 101;
/// `LINKTYPE_LOOP`: OpenBSD loopback, 4-byte address family in network byte order.
pub const LINKTYPE_LOOP: u32 = 108;
/// `LINKTYPE_LINUX_SLL`: Linux "cooked" capture, version 1 (16-byte header).
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// `LINKTYPE_IPV4`: raw IPv4.
pub const LINKTYPE_IPV4: u32 = 228;
/// `LINKTYPE_IPV6`: raw IPv6.
pub const LINKTYPE_IPV6: u32 = 229;
/// `LINKTYPE_LINUX_SLL2`: Linux "cooked" capture, version 2 (20-byte header).
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// The largest record or block the reader accepts (a pcapng block, or a classic pcap record's
/// captured length). Real captures stay far below: the usual snaplen is 262144.
pub const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// The largest TCP payload the writer puts in one frame: 65535 − 20 (IP) − 20 (TCP), so that the
/// IPv4 total length always fits in 16 bits.
pub const MAX_SEGMENT_PAYLOAD: usize = 65535 - 40;

/// The snaplen the writer declares in its interface description block.
pub const WRITER_SNAPLEN: u32 = 262_144;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A malformed capture file: which record (0-based count of records/blocks read so far), at which
/// byte offset of the file, which field, and what was wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaptureError {
    /// Index of the record (classic pcap) or block (pcapng) being read; the file header is 0 for
    /// pcap, and every block including the section header counts for pcapng.
    pub record: u64,
    /// Byte offset in the file where that record starts.
    pub offset: u64,
    /// The field, a stable lowercase name such as `"block_total_length"`.
    pub field: &'static str,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "capture: record {} at byte offset {}: field `{}`: {}",
            self.record, self.offset, self.field, self.kind
        )
    }
}

impl std::error::Error for CaptureError {}

/// Reads a whole capture from `r` into memory, refusing more than `limit` bytes (the buffer grows
/// with the data actually read, never from a declared length).
pub fn read_capture_bytes<R: Read>(r: R, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("capture file larger than the limit of {limit} bytes"),
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Byte helpers (bounds-checked, never panic)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

fn u16_at(buf: &[u8], off: usize, e: Endian) -> Option<u16> {
    let b: [u8; 2] = buf.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u16::from_le_bytes(b),
        Endian::Big => u16::from_be_bytes(b),
    })
}

fn u32_at(buf: &[u8], off: usize, e: Endian) -> Option<u32> {
    let b: [u8; 4] = buf.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

fn be16(buf: &[u8], off: usize) -> Option<u16> {
    u16_at(buf, off, Endian::Big)
}

fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

#[cfg(test)]
// Test fixtures: casts of small known values (loop counters, constants) into wire fields. A
// truncation here would fail a test; it cannot misread data from a peer.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
mod tests;
