//! Capture files: a reader for classic pcap and pcapng, link-layer / IP / TCP decoding, and a
//! pcapng writer that synthesizes a clean TCP conversation around MySQL payloads.
//!
//! Everything here is sans-IO and hand-written: the reader takes a byte slice (see
//! [`read_capture_bytes`] to load one from any [`Read`] with a size limit), the writer writes to
//! any [`Write`]. Capture files are untrusted input: every length is checked against what remains
//! and against a limit before it is used, nothing panics, and a malformed file yields the frames
//! before the damage and then one [`CaptureError`] that names the record, byte offset and field.
//!
//! Timestamps are nanoseconds since the Unix epoch throughout.

use crate::codec::ErrorKind;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

fn be32(buf: &[u8], off: usize) -> Option<u32> {
    u32_at(buf, off, Endian::Big)
}

fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/// One captured frame, borrowed from the capture bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedFrame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp_nanos: u64,
    /// The link-layer type (`LINKTYPE_*`) of the interface the frame was captured on.
    pub link_type: u32,
    /// Interface index within the pcapng section (always 0 for classic pcap).
    pub interface: u32,
    /// The frame's length on the wire; larger than `data.len()` when the snaplen cut it.
    pub original_len: u32,
    /// The captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
}

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap format, microsecond timestamps.
    PcapMicros,
    /// Classic libpcap format, nanosecond timestamps.
    PcapNanos,
    /// pcapng.
    Pcapng,
}

#[derive(Debug, Clone)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// `if_tsresol`: bit 7 clear = 10^-n seconds, set = 2^-n seconds. Default 6 (microseconds).
    tsresol: u8,
    /// `if_tsoffset`: seconds added to every timestamp.
    tsoffset: i64,
}

#[derive(Debug, Clone)]
enum State {
    Pcap {
        endian: Endian,
        nanos: bool,
        link_type: u32,
    },
    Pcapng {
        endian: Endian,
        interfaces: Vec<Interface>,
    },
}

/// The largest number of interfaces accepted in one pcapng section.
const MAX_INTERFACES: usize = 4096;

const PCAP_MAGIC_MICROS: u32 = 0xA1B2_C3D4;
const PCAP_MAGIC_NANOS: u32 = 0xA1B2_3C4D;
const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
const BLOCK_IDB: u32 = 1;
const BLOCK_OPB: u32 = 2;
const BLOCK_SPB: u32 = 3;
const BLOCK_EPB: u32 = 6;

/// An iterator over the frames of a classic pcap or pcapng capture held in memory.
///
/// Yields `Ok(frame)` for every packet record in file order and, if the file is malformed or
/// truncated, one `Err(CaptureError)` after the last good frame; it then stops (it is fused).
/// Unknown pcapng block types are skipped.
#[derive(Debug, Clone)]
pub struct CaptureReader<'a> {
    buf: &'a [u8],
    pos: usize,
    record: u64,
    state: State,
    format: CaptureFormat,
    last_ts: u64,
    done: bool,
}

impl<'a> CaptureReader<'a> {
    /// Opens a capture: reads the pcap file header or checks the pcapng section header magic.
    pub fn new(buf: &'a [u8]) -> Result<Self, CaptureError> {
        let err = |field, kind| CaptureError {
            record: 0,
            offset: 0,
            field,
            kind,
        };
        let magic_le = u32_at(buf, 0, Endian::Little).ok_or(err("magic", ErrorKind::Truncated))?;
        if magic_le == PCAPNG_SHB {
            // The section header is parsed as the first block by `next`, which sets the state.
            return Ok(CaptureReader {
                buf,
                pos: 0,
                record: 0,
                state: State::Pcapng {
                    endian: Endian::Little,
                    interfaces: Vec::new(),
                },
                format: CaptureFormat::Pcapng,
                last_ts: 0,
                done: false,
            });
        }
        let (endian, nanos) = match magic_le {
            PCAP_MAGIC_MICROS => (Endian::Little, false),
            PCAP_MAGIC_NANOS => (Endian::Little, true),
            m if m.swap_bytes() == PCAP_MAGIC_MICROS => (Endian::Big, false),
            m if m.swap_bytes() == PCAP_MAGIC_NANOS => (Endian::Big, true),
            _ => return Err(err("magic", ErrorKind::InvalidValue)),
        };
        let major = u16_at(buf, 4, endian).ok_or(err("version_major", ErrorKind::Truncated))?;
        if major != 2 {
            return Err(err("version_major", ErrorKind::InvalidValue));
        }
        let network = u32_at(buf, 20, endian).ok_or(err("linktype", ErrorKind::Truncated))?;
        Ok(CaptureReader {
            buf,
            pos: 24,
            record: 1,
            state: State::Pcap {
                endian,
                nanos,
                // The upper bits may carry FCS information; the link type is the low 16 bits.
                link_type: network & 0xFFFF,
            },
            format: if nanos {
                CaptureFormat::PcapNanos
            } else {
                CaptureFormat::PcapMicros
            },
            last_ts: 0,
            done: false,
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Byte offset of the next record to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn err(&self, field: &'static str, kind: ErrorKind) -> CaptureError {
        CaptureError {
            record: self.record,
            offset: self.pos as u64,
            field,
            kind,
        }
    }

    fn next_pcap(
        &mut self,
        endian: Endian,
        nanos: bool,
        link_type: u32,
    ) -> Option<Result<CapturedFrame<'a>, CaptureError>> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        let Some(hdr) = rest.get(..16) else {
            return Some(Err(self.err("record_header", ErrorKind::Truncated)));
        };
        let sec = u32_at(hdr, 0, endian).unwrap_or(0);
        let frac = u32_at(hdr, 4, endian).unwrap_or(0);
        let incl = u32_at(hdr, 8, endian).unwrap_or(0) as usize;
        let orig = u32_at(hdr, 12, endian).unwrap_or(0);
        if incl > MAX_RECORD_LEN {
            return Some(Err(self.err("incl_len", ErrorKind::TooLarge)));
        }
        let Some(data) = rest.get(16..16usize.saturating_add(incl)) else {
            return Some(Err(self.err("packet_data", ErrorKind::Truncated)));
        };
        let sub = if nanos {
            u64::from(frac)
        } else {
            u64::from(frac).saturating_mul(1000)
        };
        let ts = u64::from(sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(sub);
        self.pos = self.pos.saturating_add(16 + incl);
        self.record = self.record.saturating_add(1);
        self.last_ts = ts;
        Some(Ok(CapturedFrame {
            timestamp_nanos: ts,
            link_type,
            interface: 0,
            original_len: orig,
            data,
        }))
    }

    /// Reads one pcapng block; `Ok(None)` means a non-packet block was consumed.
    fn next_pcapng_block(&mut self) -> Result<Option<CapturedFrame<'a>>, CaptureError> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let btype_le = u32_at(rest, 0, Endian::Little)
            .ok_or_else(|| self.err("block_type", ErrorKind::Truncated))?;
        if btype_le == PCAPNG_SHB {
            let bom = u32_at(rest, 8, Endian::Little)
                .ok_or_else(|| self.err("byte_order_magic", ErrorKind::Truncated))?;
            let endian = if bom == PCAPNG_BOM {
                Endian::Little
            } else if bom.swap_bytes() == PCAPNG_BOM {
                Endian::Big
            } else {
                return Err(self.err("byte_order_magic", ErrorKind::InvalidValue));
            };
            let body = self.block_body(rest, endian)?;
            let major = u16_at(body, 4, endian)
                .ok_or_else(|| self.err("major_version", ErrorKind::Truncated))?;
            if major != 1 {
                return Err(self.err("major_version", ErrorKind::InvalidValue));
            }
            self.state = State::Pcapng {
                endian,
                interfaces: Vec::new(),
            };
            self.advance(rest, endian);
            return Ok(None);
        }
        let State::Pcapng { endian, .. } = self.state else {
            return Err(self.err("block_type", ErrorKind::Unexpected));
        };
        if self.record == 0 {
            // The first block of a pcapng file must be a section header.
            return Err(self.err("block_type", ErrorKind::Unexpected));
        }
        let btype = u32_at(rest, 0, endian).unwrap_or(0);
        let body = self.block_body(rest, endian)?;
        let frame = match btype {
            BLOCK_IDB => {
                self.read_idb(body, endian)?;
                None
            }
            BLOCK_EPB | BLOCK_OPB => Some(self.read_epb(body, endian, btype == BLOCK_OPB)?),
            BLOCK_SPB => Some(self.read_spb(body, endian)?),
            _ => None,
        };
        self.advance(rest, endian);
        Ok(frame)
    }

    /// Checks the block's total length (leading and trailing copies) and returns its body.
    fn block_body(&self, rest: &'a [u8], endian: Endian) -> Result<&'a [u8], CaptureError> {
        let total = u32_at(rest, 4, endian)
            .ok_or_else(|| self.err("block_total_length", ErrorKind::Truncated))?
            as usize;
        if total < 12 || total % 4 != 0 {
            return Err(self.err("block_total_length", ErrorKind::InvalidValue));
        }
        if total > MAX_RECORD_LEN {
            return Err(self.err("block_total_length", ErrorKind::TooLarge));
        }
        if total > rest.len() {
            return Err(self.err("block_total_length", ErrorKind::Truncated));
        }
        let trailer = u32_at(rest, total - 4, endian)
            .ok_or_else(|| self.err("block_total_length_trailer", ErrorKind::Truncated))?;
        if trailer as usize != total {
            return Err(self.err("block_total_length_trailer", ErrorKind::InvalidValue));
        }
        rest.get(8..total - 4)
            .ok_or_else(|| self.err("block_body", ErrorKind::Truncated))
    }

    fn advance(&mut self, rest: &[u8], endian: Endian) {
        let total = u32_at(rest, 4, endian).unwrap_or(0) as usize;
        self.pos = self.pos.saturating_add(total.max(12));
        self.record = self.record.saturating_add(1);
    }

    fn interfaces_mut(&mut self) -> Option<&mut Vec<Interface>> {
        match &mut self.state {
            State::Pcapng { interfaces, .. } => Some(interfaces),
            State::Pcap { .. } => None,
        }
    }

    fn interface(&self, id: u32) -> Result<Interface, CaptureError> {
        match &self.state {
            State::Pcapng { interfaces, .. } => interfaces
                .get(id as usize)
                .cloned()
                .ok_or_else(|| self.err("interface_id", ErrorKind::InvalidValue)),
            State::Pcap { .. } => Err(self.err("interface_id", ErrorKind::Unexpected)),
        }
    }

    fn read_idb(&mut self, body: &[u8], endian: Endian) -> Result<(), CaptureError> {
        let link_type =
            u16_at(body, 0, endian).ok_or_else(|| self.err("link_type", ErrorKind::Truncated))?;
        let snaplen =
            u32_at(body, 4, endian).ok_or_else(|| self.err("snaplen", ErrorKind::Truncated))?;
        let mut iface = Interface {
            link_type: u32::from(link_type),
            snaplen,
            tsresol: 6,
            tsoffset: 0,
        };
        let mut opts = body.get(8..).unwrap_or(&[]);
        while opts.len() >= 4 {
            let code = u16_at(opts, 0, endian).unwrap_or(0);
            let len = u16_at(opts, 2, endian).unwrap_or(0) as usize;
            if code == 0 {
                break;
            }
            let value = opts
                .get(4..4 + len)
                .ok_or_else(|| self.err("option_length", ErrorKind::Truncated))?;
            match (code, value) {
                (9, [r]) => iface.tsresol = *r,
                (14, v) if v.len() == 8 => {
                    let raw = u32_at(v, 0, endian).unwrap_or(0);
                    let raw2 = u32_at(v, 4, endian).unwrap_or(0);
                    let x = match endian {
                        Endian::Little => u64::from(raw) | (u64::from(raw2) << 32),
                        Endian::Big => (u64::from(raw) << 32) | u64::from(raw2),
                    };
                    // if_tsoffset is a signed 64-bit integer (two's complement).
                    iface.tsoffset = i64::from_ne_bytes(x.to_ne_bytes());
                }
                _ => {}
            }
            opts = opts.get(4 + pad4(len)..).unwrap_or(&[]);
        }
        let over = self
            .interfaces_mut()
            .map(|v| v.len() >= MAX_INTERFACES)
            .unwrap_or(true);
        if over {
            return Err(self.err("interface_count", ErrorKind::TooLarge));
        }
        if let Some(v) = self.interfaces_mut() {
            v.push(iface);
        }
        Ok(())
    }

    fn read_epb(
        &mut self,
        body: &'a [u8],
        endian: Endian,
        obsolete: bool,
    ) -> Result<CapturedFrame<'a>, CaptureError> {
        // EPB: iface u32, ts_hi, ts_lo, caplen, origlen. OPB: iface u16, drops u16, then the same.
        let iface_id = if obsolete {
            u16_at(body, 0, endian).map(u32::from)
        } else {
            u32_at(body, 0, endian)
        }
        .ok_or_else(|| self.err("interface_id", ErrorKind::Truncated))?;
        let hi =
            u32_at(body, 4, endian).ok_or_else(|| self.err("timestamp", ErrorKind::Truncated))?;
        let lo =
            u32_at(body, 8, endian).ok_or_else(|| self.err("timestamp", ErrorKind::Truncated))?;
        let caplen = u32_at(body, 12, endian)
            .ok_or_else(|| self.err("captured_len", ErrorKind::Truncated))?
            as usize;
        let orig = u32_at(body, 16, endian)
            .ok_or_else(|| self.err("original_len", ErrorKind::Truncated))?;
        let data = body
            .get(20..20usize.saturating_add(caplen))
            .ok_or_else(|| self.err("captured_len", ErrorKind::Truncated))?;
        let iface = self.interface(iface_id)?;
        let raw = (u64::from(hi) << 32) | u64::from(lo);
        let ts = ts_to_nanos(raw, iface.tsresol, iface.tsoffset);
        self.last_ts = ts;
        Ok(CapturedFrame {
            timestamp_nanos: ts,
            link_type: iface.link_type,
            interface: iface_id,
            original_len: orig,
            data,
        })
    }

    fn read_spb(
        &mut self,
        body: &'a [u8],
        endian: Endian,
    ) -> Result<CapturedFrame<'a>, CaptureError> {
        let orig = u32_at(body, 0, endian)
            .ok_or_else(|| self.err("original_len", ErrorKind::Truncated))?;
        let iface = self.interface(0)?;
        let avail = body.len().saturating_sub(4);
        let mut caplen = (orig as usize).min(avail);
        if iface.snaplen != 0 {
            caplen = caplen.min(iface.snaplen as usize);
        }
        let data = body
            .get(4..4 + caplen)
            .ok_or_else(|| self.err("packet_data", ErrorKind::Truncated))?;
        Ok(CapturedFrame {
            // A simple packet block has no timestamp: reuse the previous frame's.
            timestamp_nanos: self.last_ts,
            link_type: iface.link_type,
            interface: 0,
            original_len: orig,
            data,
        })
    }
}

/// Converts a pcapng timestamp in `if_tsresol` units (plus `if_tsoffset` seconds) to nanoseconds,
/// saturating.
fn ts_to_nanos(raw: u64, tsresol: u8, tsoffset: i64) -> u64 {
    let exp = u32::from(tsresol & 0x7F);
    let nanos: u128 = if tsresol & 0x80 != 0 {
        // 2^-exp seconds per unit.
        (u128::from(raw) * 1_000_000_000) >> exp
    } else if exp <= 9 {
        u128::from(raw) * 10u128.pow(9 - exp)
    } else {
        match 10u128.checked_pow(exp - 9) {
            Some(d) => u128::from(raw) / d,
            None => 0,
        }
    };
    let off = i128::from(tsoffset) * 1_000_000_000;
    let total = i128::try_from(nanos)
        .unwrap_or(i128::MAX)
        .saturating_add(off)
        .max(0);
    u64::try_from(total).unwrap_or(u64::MAX)
}

impl<'a> Iterator for CaptureReader<'a> {
    type Item = Result<CapturedFrame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.state {
            State::Pcap {
                endian,
                nanos,
                link_type,
            } => self.next_pcap(endian, nanos, link_type),
            State::Pcapng { .. } => loop {
                if self.pos >= self.buf.len() {
                    break None;
                }
                match self.next_pcapng_block() {
                    Ok(Some(f)) => break Some(Ok(f)),
                    Ok(None) => continue,
                    Err(e) => break Some(Err(e)),
                }
            },
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for CaptureReader<'_> {}

// ---------------------------------------------------------------------------------------------
// Link layer, IP, TCP
// ---------------------------------------------------------------------------------------------

/// TCP header flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;

    /// True when the FIN bit is set.
    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    /// True when the SYN bit is set.
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    /// True when the RST bit is set.
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    /// True when the ACK bit is set.
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    /// True when the PSH bit is set.
    pub fn psh(self) -> bool {
        self.0 & Self::PSH != 0
    }
}

/// One TCP segment decoded from a captured frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when `flags.ack()`).
    pub ack: u32,
    /// Header flags.
    pub flags: TcpFlags,
    /// Receive window as sent (unscaled).
    pub window: u16,
    /// The TCP payload (IP/Ethernet padding removed).
    pub payload: &'a [u8],
    /// True when the segment's payload is incomplete: the snaplen cut the frame, or this is the
    /// first fragment of a fragmented IP datagram. The missing bytes show up as a gap.
    pub truncated: bool,
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp_nanos: u64,
}

/// Why a frame yielded no TCP segment. Not an error of the capture file: a note for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The link type is not one this decoder knows.
    UnsupportedLinkType(u32),
    /// The link layer carries something other than IPv4/IPv6 (ethertype or address family).
    NotIp(u32),
    /// The IP payload is another protocol than TCP (IP protocol number / IPv6 next header).
    NotTcp(u8),
    /// A non-first IPv4 fragment, or an IPv6 fragment: fragments are not reassembled.
    Fragment,
    /// A header was too short or held an impossible value; `layer` and `field` say which.
    Malformed {
        /// `"ethernet"`, `"sll"`, `"ipv4"`, `"ipv6"`, `"tcp"`, ...
        layer: &'static str,
        /// The field.
        field: &'static str,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::UnsupportedLinkType(t) => write!(f, "unsupported link type {t}"),
            SkipReason::NotIp(t) => write!(f, "not IP (protocol 0x{t:04x})"),
            SkipReason::NotTcp(p) => write!(f, "not TCP (IP protocol {p})"),
            SkipReason::Fragment => f.write_str("IP fragment (not reassembled)"),
            SkipReason::Malformed { layer, field } => {
                write!(f, "malformed {layer} header: field `{field}`")
            }
        }
    }
}

fn malformed(layer: &'static str, field: &'static str) -> SkipReason {
    SkipReason::Malformed { layer, field }
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;

/// Decodes a captured frame down to its TCP segment.
pub fn decode_frame<'a>(frame: &CapturedFrame<'a>) -> Result<TcpSegment<'a>, SkipReason> {
    decode_link(frame.link_type, frame.data, frame.timestamp_nanos)
}

/// Decodes link-layer bytes of type `link_type` down to the TCP segment.
pub fn decode_link(link_type: u32, data: &[u8], ts: u64) -> Result<TcpSegment<'_>, SkipReason> {
    match link_type {
        LINKTYPE_ETHERNET => {
            let mut ethertype = be16(data, 12).ok_or(malformed("ethernet", "ethertype"))?;
            let mut off = 14usize;
            // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag: 2 bytes TCI, then the inner type.
            while matches!(ethertype, 0x8100 | 0x88A8 | 0x9100) {
                ethertype = be16(data, off + 2).ok_or(malformed("ethernet", "vlan_tag"))?;
                off += 4;
            }
            let rest = data.get(off..).ok_or(malformed("ethernet", "payload"))?;
            decode_ethertype(ethertype, rest, ts)
        }
        LINKTYPE_LINUX_SLL => {
            let proto = be16(data, 14).ok_or(malformed("sll", "protocol"))?;
            decode_ethertype(proto, data.get(16..).unwrap_or(&[]), ts)
        }
        LINKTYPE_LINUX_SLL2 => {
            let proto = be16(data, 0).ok_or(malformed("sll2", "protocol"))?;
            let rest = data.get(20..).ok_or(malformed("sll2", "header"))?;
            decode_ethertype(proto, rest, ts)
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            let endian = if link_type == LINKTYPE_LOOP {
                Endian::Big
            } else {
                // Host byte order of the capturing machine: whichever reading is small.
                match u32_at(data, 0, Endian::Little) {
                    Some(v) if v < 0x100 => Endian::Little,
                    _ => Endian::Big,
                }
            };
            let family = u32_at(data, 0, endian).ok_or(malformed("loopback", "family"))?;
            let rest = data.get(4..).unwrap_or(&[]);
            match family {
                2 => decode_ipv4(rest, ts),
                // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS.
                10 | 24 | 28 | 30 => decode_ipv6(rest, ts),
                f => Err(SkipReason::NotIp(f)),
            }
        }
        LINKTYPE_RAW | LINKTYPE_RAW_BSD => decode_ip(data, ts),
        LINKTYPE_IPV4 => decode_ipv4(data, ts),
        LINKTYPE_IPV6 => decode_ipv6(data, ts),
        other => Err(SkipReason::UnsupportedLinkType(other)),
    }
}

fn decode_ethertype(ethertype: u16, rest: &[u8], ts: u64) -> Result<TcpSegment<'_>, SkipReason> {
    match ethertype {
        ETHERTYPE_IPV4 => decode_ipv4(rest, ts),
        ETHERTYPE_IPV6 => decode_ipv6(rest, ts),
        other => Err(SkipReason::NotIp(u32::from(other))),
    }
}

/// Decodes an IPv4 or IPv6 packet (told apart by the version nibble) down to TCP.
pub fn decode_ip(data: &[u8], ts: u64) -> Result<TcpSegment<'_>, SkipReason> {
    match data.first().map(|b| b >> 4) {
        Some(4) => decode_ipv4(data, ts),
        Some(6) => decode_ipv6(data, ts),
        _ => Err(malformed("ip", "version")),
    }
}

fn decode_ipv4(data: &[u8], ts: u64) -> Result<TcpSegment<'_>, SkipReason> {
    let b0 = *data.first().ok_or(malformed("ipv4", "version_ihl"))?;
    if b0 >> 4 != 4 {
        return Err(malformed("ipv4", "version"));
    }
    let ihl = usize::from(b0 & 0x0F) * 4;
    if ihl < 20 || data.len() < ihl {
        return Err(malformed("ipv4", "ihl"));
    }
    let total = usize::from(be16(data, 2).ok_or(malformed("ipv4", "total_length"))?);
    if total < ihl {
        return Err(malformed("ipv4", "total_length"));
    }
    let frag = be16(data, 6).ok_or(malformed("ipv4", "fragment"))?;
    let more_fragments = frag & 0x2000 != 0;
    if frag & 0x1FFF != 0 {
        return Err(SkipReason::Fragment);
    }
    let proto = *data.get(9).ok_or(malformed("ipv4", "protocol"))?;
    if proto != 6 {
        return Err(SkipReason::NotTcp(proto));
    }
    let src = IpAddr::V4(Ipv4Addr::new(
        *data.get(12).ok_or(malformed("ipv4", "src"))?,
        *data.get(13).ok_or(malformed("ipv4", "src"))?,
        *data.get(14).ok_or(malformed("ipv4", "src"))?,
        *data.get(15).ok_or(malformed("ipv4", "src"))?,
    ));
    let dst = IpAddr::V4(Ipv4Addr::new(
        *data.get(16).ok_or(malformed("ipv4", "dst"))?,
        *data.get(17).ok_or(malformed("ipv4", "dst"))?,
        *data.get(18).ok_or(malformed("ipv4", "dst"))?,
        *data.get(19).ok_or(malformed("ipv4", "dst"))?,
    ));
    // Trim link-layer padding; a frame shorter than the total length was cut by the snaplen.
    let end = total.min(data.len());
    let cut = total > data.len();
    let l4 = data
        .get(ihl..end)
        .ok_or(malformed("ipv4", "total_length"))?;
    decode_tcp(l4, src, dst, cut || more_fragments, ts)
}

fn decode_ipv6(data: &[u8], ts: u64) -> Result<TcpSegment<'_>, SkipReason> {
    let b0 = *data.first().ok_or(malformed("ipv6", "version"))?;
    if b0 >> 4 != 6 {
        return Err(malformed("ipv6", "version"));
    }
    let plen = usize::from(be16(data, 4).ok_or(malformed("ipv6", "payload_length"))?);
    let mut next = *data.get(6).ok_or(malformed("ipv6", "next_header"))?;
    let addr = |off: usize| -> Result<IpAddr, SkipReason> {
        let b: [u8; 16] = data
            .get(off..off + 16)
            .and_then(|s| s.try_into().ok())
            .ok_or(malformed("ipv6", "address"))?;
        Ok(IpAddr::V6(Ipv6Addr::from(b)))
    };
    let src = addr(8)?;
    let dst = addr(24)?;
    let after = data.get(40..).ok_or(malformed("ipv6", "header"))?;
    // Payload length 0 means a jumbogram (or TSO capture): take what was captured.
    let (mut payload, cut) = if plen == 0 {
        (after, false)
    } else {
        (after.get(..plen).unwrap_or(after), plen > after.len())
    };
    // Walk the extension headers commonly seen; bounded by the payload length.
    let mut hops = 0;
    loop {
        match next {
            6 => break,
            0 | 43 | 60 | 51 => {
                hops += 1;
                if hops > 16 {
                    return Err(malformed("ipv6", "extension_headers"));
                }
                let nh = *payload
                    .first()
                    .ok_or(malformed("ipv6", "extension_header"))?;
                let l = usize::from(
                    *payload
                        .get(1)
                        .ok_or(malformed("ipv6", "extension_length"))?,
                );
                let len = if next == 51 { (l + 2) * 4 } else { (l + 1) * 8 };
                payload = payload
                    .get(len..)
                    .ok_or(malformed("ipv6", "extension_length"))?;
                next = nh;
            }
            44 => return Err(SkipReason::Fragment),
            other => return Err(SkipReason::NotTcp(other)),
        }
    }
    decode_tcp(payload, src, dst, cut, ts)
}

fn decode_tcp(
    seg: &[u8],
    src: IpAddr,
    dst: IpAddr,
    truncated: bool,
    ts: u64,
) -> Result<TcpSegment<'_>, SkipReason> {
    let sport = be16(seg, 0).ok_or(malformed("tcp", "src_port"))?;
    let dport = be16(seg, 2).ok_or(malformed("tcp", "dst_port"))?;
    let seq = be32(seg, 4).ok_or(malformed("tcp", "seq"))?;
    let ack = be32(seg, 8).ok_or(malformed("tcp", "ack"))?;
    let doff = usize::from(*seg.get(12).ok_or(malformed("tcp", "data_offset"))? >> 4) * 4;
    let flags = *seg.get(13).ok_or(malformed("tcp", "flags"))?;
    let window = be16(seg, 14).ok_or(malformed("tcp", "window"))?;
    if doff < 20 {
        return Err(malformed("tcp", "data_offset"));
    }
    let payload = seg.get(doff..).ok_or(malformed("tcp", "data_offset"))?;
    Ok(TcpSegment {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        seq,
        ack,
        flags: TcpFlags(flags),
        window,
        payload,
        truncated,
        timestamp_nanos: ts,
    })
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

pub use super::Direction;

#[derive(Debug, Clone)]
struct Side {
    /// Next sequence number this side sends.
    next_seq: u32,
    /// Bytes this side sent that the peer has not acknowledged yet in the file.
    unacked: usize,
    ip_id: u16,
}

#[derive(Debug, Clone)]
struct WriterFlow {
    client: Side,
    server: Side,
}

/// The window the writer advertises (scaled by 2^[`WINDOW_SCALE`] after a handshake).
const WINDOW: u16 = 65535;
/// The window-scale shift announced in SYN and SYN-ACK.
const WINDOW_SCALE: u8 = 7;
/// The writer emits a pure ACK from the receiver once this many bytes are unacknowledged.
const ACK_EVERY: usize = 256 * 1024;

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// A pcapng writer: one section, one Ethernet interface (nanosecond timestamps), and enhanced
/// packet blocks. Its TCP helpers synthesize Ethernet + IPv4/IPv6 + TCP headers with correct
/// lengths and checksums and track sequence and acknowledgment numbers per connection, so that
/// Wireshark sees a clean stream.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    flows: HashMap<(SocketAddr, SocketAddr), WriterFlow>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header block and the interface description block.
    pub fn new(mut out: W) -> io::Result<Self> {
        // SHB: type, len, BOM, major 1, minor 0, section length -1 (unknown), no options, len.
        let mut shb = Vec::with_capacity(28);
        shb.extend_from_slice(&PCAPNG_SHB.to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        shb.extend_from_slice(&PCAPNG_BOM.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        out.write_all(&shb)?;
        // IDB: link type, reserved, snaplen, if_tsresol = 9 (nanoseconds), opt_endofopt.
        let mut idb = Vec::with_capacity(32);
        idb.extend_from_slice(&BLOCK_IDB.to_le_bytes());
        idb.extend_from_slice(&32u32.to_le_bytes());
        idb.extend_from_slice(&LINKTYPE_ETHERNET_U16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&WRITER_SNAPLEN.to_le_bytes());
        idb.extend_from_slice(&9u16.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 0, 0]);
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&32u32.to_le_bytes());
        out.write_all(&idb)?;
        Ok(PcapngWriter {
            out,
            flows: HashMap::new(),
        })
    }

    /// Writes one raw Ethernet frame as an enhanced packet block.
    pub fn write_frame(&mut self, timestamp_nanos: u64, frame: &[u8]) -> io::Result<()> {
        let len = u32::try_from(frame.len())
            .ok()
            .filter(|&l| l <= WRITER_SNAPLEN)
            .ok_or_else(|| invalid("frame longer than the snaplen"))?;
        let padded = pad4(frame.len());
        let total = u32::try_from(padded)
            .ok()
            .and_then(|p| p.checked_add(32))
            .ok_or_else(|| invalid("frame longer than the snaplen"))?;
        let mut b = Vec::with_capacity(total as usize);
        b.extend_from_slice(&BLOCK_EPB.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        // Timestamp high 32 bits, then low 32 bits, each little-endian.
        let [t0, t1, t2, t3, t4, t5, t6, t7] = timestamp_nanos.to_le_bytes();
        b.extend_from_slice(&[t4, t5, t6, t7, t0, t1, t2, t3]);
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(frame);
        b.resize(28 + padded, 0);
        b.extend_from_slice(&total.to_le_bytes());
        self.out.write_all(&b)
    }

    fn flow(&mut self, client: SocketAddr, server: SocketAddr) -> io::Result<&mut WriterFlow> {
        if client.is_ipv4() != server.is_ipv4() {
            return Err(invalid("client and server must both be IPv4 or both IPv6"));
        }
        Ok(self.flows.entry((client, server)).or_insert_with(|| {
            // Deterministic initial sequence numbers derived from the ports.
            let c = u32::from(client.port());
            let s = u32::from(server.port());
            WriterFlow {
                client: Side {
                    next_seq: c.wrapping_mul(0x9E37_79B9) ^ 0x1000_0000,
                    unacked: 0,
                    ip_id: 1,
                },
                server: Side {
                    next_seq: s.wrapping_mul(0x85EB_CA6B) ^ c ^ 0x2000_0000,
                    unacked: 0,
                    ip_id: 1,
                },
            }
        }))
    }

    /// Emits one segment from `dir`'s sender; advances its sequence number by `payload.len()`
    /// plus one for SYN and FIN.
    fn segment(
        &mut self,
        ts: u64,
        client: SocketAddr,
        server: SocketAddr,
        dir: Direction,
        flags: u8,
        payload: &[u8],
    ) -> io::Result<()> {
        let flow = self.flow(client, server)?;
        let (me, peer) = match dir {
            Direction::ClientToServer => (&mut flow.client, &flow.server),
            Direction::ServerToClient => (&mut flow.server, &flow.client),
        };
        let seq = me.next_seq;
        let ack = if flags & TcpFlags::ACK != 0 {
            peer.next_seq
        } else {
            0
        };
        let ip_id = me.ip_id;
        me.ip_id = me.ip_id.wrapping_add(1);
        let mut consumed =
            u32::try_from(payload.len()).map_err(|_| invalid("segment payload too long"))?;
        if flags & (TcpFlags::SYN | TcpFlags::FIN) != 0 {
            consumed = consumed.wrapping_add(1);
        }
        me.next_seq = me.next_seq.wrapping_add(consumed);
        me.unacked = me.unacked.saturating_add(payload.len());
        if flags & TcpFlags::ACK != 0 {
            // This segment acknowledges everything the peer sent.
            match dir {
                Direction::ClientToServer => flow.server.unacked = 0,
                Direction::ServerToClient => flow.client.unacked = 0,
            }
        }
        let (src, dst, smac, dmac) = match dir {
            Direction::ClientToServer => (client, server, CLIENT_MAC, SERVER_MAC),
            Direction::ServerToClient => (server, client, SERVER_MAC, CLIENT_MAC),
        };
        let frame = build_frame(&FrameSpec {
            src,
            dst,
            src_mac: smac,
            dst_mac: dmac,
            seq,
            ack,
            flags,
            ip_id,
            payload,
        })?;
        self.write_frame(ts, &frame)
    }

    /// Writes the three-way handshake (SYN, SYN-ACK, ACK) of the connection `client` → `server`.
    /// Call it before the first payload so that Wireshark sees the whole connection.
    pub fn write_handshake(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> io::Result<()> {
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::SYN, &[])?;
        let syn_ack = TcpFlags::SYN | TcpFlags::ACK;
        self.segment(timestamp_nanos, client, server, s2c, syn_ack, &[])?;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::ACK, &[])
    }

    /// Writes `payload` sent in `direction` on the connection `client` ↔ `server`, split into
    /// segments of at most [`MAX_SEGMENT_PAYLOAD`] bytes, each its own frame, with PSH on the
    /// last. Every segment acknowledges all the peer sent; when many bytes are in flight the
    /// peer's pure ACKs are emitted too.
    pub fn write_tcp_payload(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
        direction: Direction,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut chunks = payload.chunks(MAX_SEGMENT_PAYLOAD).peekable();
        while let Some(chunk) = chunks.next() {
            let mut flags = TcpFlags::ACK;
            if chunks.peek().is_none() {
                flags |= TcpFlags::PSH;
            }
            self.segment(timestamp_nanos, client, server, direction, flags, chunk)?;
            let unacked = {
                let flow = self.flow(client, server)?;
                match direction {
                    Direction::ClientToServer => flow.client.unacked,
                    Direction::ServerToClient => flow.server.unacked,
                }
            };
            if unacked >= ACK_EVERY {
                let rev = direction.reverse();
                self.segment(timestamp_nanos, client, server, rev, TcpFlags::ACK, &[])?;
            }
        }
        Ok(())
    }

    /// Writes the close of the connection: FIN/ACK from the client, FIN/ACK from the server, and
    /// the client's final ACK.
    pub fn write_close(
        &mut self,
        timestamp_nanos: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> io::Result<()> {
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        let fin_ack = TcpFlags::FIN | TcpFlags::ACK;
        self.segment(timestamp_nanos, client, server, c2s, fin_ack, &[])?;
        self.segment(timestamp_nanos, client, server, s2c, fin_ack, &[])?;
        self.segment(timestamp_nanos, client, server, c2s, TcpFlags::ACK, &[])?;
        self.flows.remove(&(client, server));
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

struct FrameSpec<'p> {
    src: SocketAddr,
    dst: SocketAddr,
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    seq: u32,
    ack: u32,
    flags: u8,
    ip_id: u16,
    payload: &'p [u8],
}

/// Builds an Ethernet + IPv4/IPv6 + TCP frame with correct lengths and checksums.
fn build_frame(spec: &FrameSpec<'_>) -> io::Result<Vec<u8>> {
    if spec.payload.len() > MAX_SEGMENT_PAYLOAD {
        return Err(invalid("TCP payload larger than one segment"));
    }
    // TCP header, with MSS and window-scale options on SYNs.
    let mut tcp = Vec::with_capacity(28 + spec.payload.len());
    tcp.extend_from_slice(&spec.src.port().to_be_bytes());
    tcp.extend_from_slice(&spec.dst.port().to_be_bytes());
    tcp.extend_from_slice(&spec.seq.to_be_bytes());
    tcp.extend_from_slice(&spec.ack.to_be_bytes());
    let syn = spec.flags & TcpFlags::SYN != 0;
    let hdr_len: u8 = if syn { 28 } else { 20 };
    tcp.push((hdr_len / 4) << 4);
    tcp.push(spec.flags);
    tcp.extend_from_slice(&WINDOW.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    if syn {
        let mss = u16::try_from(MAX_SEGMENT_PAYLOAD).map_err(|_| invalid("MSS above 65535"))?;
        tcp.extend_from_slice(&[2, 4]);
        tcp.extend_from_slice(&mss.to_be_bytes());
        tcp.extend_from_slice(&[1, 3, 3, WINDOW_SCALE]);
    }
    tcp.extend_from_slice(spec.payload);
    let tcp_len = tcp.len();

    let mut frame = Vec::with_capacity(14 + 40 + tcp_len);
    frame.extend_from_slice(&spec.dst_mac);
    frame.extend_from_slice(&spec.src_mac);
    let mut pseudo = Vec::with_capacity(40);
    match (spec.src.ip(), spec.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let total = u16::try_from(20 + tcp_len).map_err(|_| invalid("IPv4 packet too long"))?;
            let mut ip = [0u8; 20];
            ip[0] = 0x45;
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[4..6].copy_from_slice(&spec.ip_id.to_be_bytes());
            ip[6] = 0x40; // don't fragment
            ip[8] = 64; // TTL
            ip[9] = 6;
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let c = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            frame.extend_from_slice(&ip);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 6]);
            // `tcp_len` < `total`, a u16.
            let tcp_len = u16::try_from(tcp_len).map_err(|_| invalid("IPv4 packet too long"))?;
            pseudo.extend_from_slice(&tcp_len.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
            let plen = u16::try_from(tcp_len).map_err(|_| invalid("IPv6 payload too long"))?;
            frame.extend_from_slice(&[0x60, 0, 0, 0]);
            frame.extend_from_slice(&plen.to_be_bytes());
            frame.extend_from_slice(&[6, 64]);
            frame.extend_from_slice(&s.octets());
            frame.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&u32::from(plen).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 6]);
        }
        _ => return Err(invalid("client and server must both be IPv4 or both IPv6")),
    }
    let c = checksum(&[&pseudo, &tcp]);
    if let Some(slot) = tcp.get_mut(16..18) {
        slot.copy_from_slice(&c.to_be_bytes());
    }
    frame.extend_from_slice(&tcp);
    Ok(frame)
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`; every part but the last
/// must have even length.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            if let [a, b] = c {
                sum += u64::from(u16::from_be_bytes([*a, *b]));
            }
        }
        if let [a] = chunks.remainder() {
            sum += u64::from(u16::from_be_bytes([*a, 0]));
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    // The loop leaves `sum` <= 0xFFFF; the mask makes the conversion visibly lossless.
    !u16::try_from(sum & 0xFFFF).unwrap_or(u16::MAX)
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

    fn v4(a: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), port)
    }

    fn v6(last: u16, port: u16) -> SocketAddr {
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last)),
            port,
        )
    }

    /// An Ethernet frame carrying one TCP segment, built by the writer's frame builder.
    fn eth_frame(src: SocketAddr, dst: SocketAddr, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        build_frame(&FrameSpec {
            src,
            dst,
            src_mac: CLIENT_MAC,
            dst_mac: SERVER_MAC,
            seq,
            ack: 0,
            flags,
            ip_id: 7,
            payload,
        })
        .unwrap()
    }

    /// The IP packet inside an Ethernet frame from `eth_frame`.
    fn ip_packet(src: SocketAddr, dst: SocketAddr, seq: u32, payload: &[u8]) -> Vec<u8> {
        eth_frame(src, dst, seq, TcpFlags::ACK | TcpFlags::PSH, payload)[14..].to_vec()
    }

    /// A classic pcap file with the given byte order, resolution, link type and frames.
    fn classic(big: bool, nanos: bool, link: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w16 = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut f = Vec::new();
        f.extend_from_slice(&w32(if nanos {
            PCAP_MAGIC_NANOS
        } else {
            PCAP_MAGIC_MICROS
        }));
        f.extend_from_slice(&w16(2));
        f.extend_from_slice(&w16(4));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(65535));
        f.extend_from_slice(&w32(link));
        for (ts, data) in frames {
            let sec = (ts / 1_000_000_000) as u32;
            let sub = (ts % 1_000_000_000) as u32;
            f.extend_from_slice(&w32(sec));
            f.extend_from_slice(&w32(if nanos { sub } else { sub / 1000 }));
            f.extend_from_slice(&w32(data.len() as u32));
            f.extend_from_slice(&w32(data.len() as u32));
            f.extend_from_slice(data);
        }
        f
    }

    fn all_frames(buf: &[u8]) -> (Vec<CapturedFrame<'_>>, Option<CaptureError>) {
        let mut frames = Vec::new();
        let mut err = None;
        for item in CaptureReader::new(buf).unwrap() {
            match item {
                Ok(f) => frames.push(f),
                Err(e) => err = Some(e),
            }
        }
        (frames, err)
    }

    fn verify_checksums(frame: &[u8]) {
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let ip = &frame[14..];
        let (pseudo, tcp) = if ethertype == ETHERTYPE_IPV4 {
            assert_eq!(checksum(&[&ip[..20]]), 0, "IPv4 header checksum");
            let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
            assert_eq!(total, ip.len(), "IPv4 total length");
            let tcp = &ip[20..];
            let mut p = Vec::new();
            p.extend_from_slice(&ip[12..20]);
            p.extend_from_slice(&[0, 6]);
            p.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            (p, tcp)
        } else {
            let plen = u16::from_be_bytes([ip[4], ip[5]]) as usize;
            assert_eq!(plen + 40, ip.len(), "IPv6 payload length");
            let tcp = &ip[40..];
            let mut p = Vec::new();
            p.extend_from_slice(&ip[8..40]);
            p.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, 6]);
            (p, tcp)
        };
        assert_eq!(checksum(&[&pseudo, tcp]), 0, "TCP checksum");
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
        // An odd-length tail is padded with zero.
        assert_eq!(checksum(&[&[0x01]]), !0x0100);
    }

    #[test]
    fn writer_round_trip_ipv4() {
        let client = v4([10, 0, 0, 1], 50000);
        let server = v4([10, 0, 0, 2], 3306);
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(1_700_000_000_123_456_789, client, server)
            .unwrap();
        w.write_tcp_payload(
            1_700_000_000_200_000_000,
            client,
            server,
            Direction::ServerToClient,
            b"greeting",
        )
        .unwrap();
        w.write_tcp_payload(
            1_700_000_000_300_000_000,
            client,
            server,
            Direction::ClientToServer,
            b"login",
        )
        .unwrap();
        w.write_close(1_700_000_000_400_000_000, client, server)
            .unwrap();
        let file = w.into_inner().unwrap();

        let reader = CaptureReader::new(&file).unwrap();
        assert_eq!(reader.format(), CaptureFormat::Pcapng);
        let (frames, err) = all_frames(&file);
        assert!(err.is_none());
        assert_eq!(frames.len(), 8);
        assert_eq!(frames[0].timestamp_nanos, 1_700_000_000_123_456_789);
        assert_eq!(frames[0].link_type, LINKTYPE_ETHERNET);
        for f in &frames {
            verify_checksums(f.data);
        }
        let segs: Vec<_> = frames.iter().map(|f| decode_frame(f).unwrap()).collect();
        // SYN, SYN-ACK, ACK.
        assert!(segs[0].flags.syn() && !segs[0].flags.ack());
        assert!(segs[1].flags.syn() && segs[1].flags.ack());
        assert_eq!(segs[1].ack, segs[0].seq.wrapping_add(1));
        assert_eq!(segs[2].ack, segs[1].seq.wrapping_add(1));
        // The greeting from the server, then the client's reply acknowledging it.
        assert_eq!(segs[3].src, server);
        assert_eq!(segs[3].payload, b"greeting");
        assert_eq!(segs[3].seq, segs[1].seq.wrapping_add(1));
        assert_eq!(segs[4].src, client);
        assert_eq!(segs[4].payload, b"login");
        assert_eq!(segs[4].ack, segs[3].seq.wrapping_add(8));
        // FIN/ACK, FIN/ACK, ACK.
        assert!(segs[5].flags.fin() && segs[5].src == client);
        assert!(segs[6].flags.fin() && segs[6].src == server);
        assert_eq!(segs[6].ack, segs[5].seq.wrapping_add(1));
        assert_eq!(segs[7].ack, segs[6].seq.wrapping_add(1));
        assert!(segs[7].flags.ack() && !segs[7].flags.fin());
    }

    #[test]
    fn writer_ipv6_and_mixed_families_rejected() {
        let client = v6(1, 40000);
        let server = v6(2, 3306);
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(5, client, server).unwrap();
        w.write_tcp_payload(6, client, server, Direction::ClientToServer, b"abc")
            .unwrap();
        assert!(w
            .write_tcp_payload(
                7,
                v4([1, 2, 3, 4], 1),
                server,
                Direction::ClientToServer,
                b"x"
            )
            .is_err());
        let file = w.into_inner().unwrap();
        let (frames, err) = all_frames(&file);
        assert!(err.is_none());
        assert_eq!(frames.len(), 4);
        for f in &frames {
            verify_checksums(f.data);
        }
        let s = decode_frame(&frames[3]).unwrap();
        assert_eq!((s.src, s.dst, s.payload), (client, server, &b"abc"[..]));
    }

    #[test]
    fn writer_splits_large_payloads() {
        let client = v4([127, 0, 0, 1], 50001);
        let server = v4([127, 0, 0, 1], 3306);
        let big: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(0, client, server).unwrap();
        w.write_tcp_payload(1, client, server, Direction::ServerToClient, &big)
            .unwrap();
        let file = w.into_inner().unwrap();
        let (frames, err) = all_frames(&file);
        assert!(err.is_none());
        let mut got = Vec::with_capacity(big.len());
        let mut data_frames = 0;
        let mut expect_seq = None;
        for f in &frames[3..] {
            let s = decode_frame(f).unwrap();
            assert!(s.payload.len() <= MAX_SEGMENT_PAYLOAD);
            if s.src == server {
                data_frames += 1;
                if let Some(e) = expect_seq {
                    assert_eq!(s.seq, e);
                }
                expect_seq = Some(s.seq.wrapping_add(s.payload.len() as u32));
                got.extend_from_slice(s.payload);
            } else {
                // The client's pure ACKs acknowledge exactly what was sent so far.
                assert!(s.payload.is_empty());
                assert_eq!(Some(s.ack), expect_seq);
            }
        }
        assert_eq!(data_frames, big.len().div_ceil(MAX_SEGMENT_PAYLOAD));
        assert!(got == big);
        verify_checksums(frames[3].data);
        verify_checksums(frames.last().unwrap().data);
    }

    #[test]
    fn classic_pcap_both_orders_and_resolutions() {
        let c = v4([192, 168, 1, 10], 51000);
        let s = v4([192, 168, 1, 20], 3306);
        let f1 = eth_frame(c, s, 100, TcpFlags::ACK, b"hello");
        let f2 = eth_frame(s, c, 900, TcpFlags::ACK, b"world!");
        let ts1 = 1_600_000_000_000_001_000;
        let ts2 = 1_600_000_001_999_999_000;
        for (big, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
            let file = classic(
                big,
                nanos,
                LINKTYPE_ETHERNET,
                &[(ts1, f1.clone()), (ts2, f2.clone())],
            );
            let r = CaptureReader::new(&file).unwrap();
            let want = if nanos {
                CaptureFormat::PcapNanos
            } else {
                CaptureFormat::PcapMicros
            };
            assert_eq!(r.format(), want);
            let (frames, err) = all_frames(&file);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames.len(), 2);
            assert_eq!(frames[0].timestamp_nanos, ts1);
            assert_eq!(frames[1].timestamp_nanos, ts2);
            let a = decode_frame(&frames[0]).unwrap();
            assert_eq!((a.src, a.dst, a.seq, a.payload), (c, s, 100, &b"hello"[..]));
            let b = decode_frame(&frames[1]).unwrap();
            assert_eq!((b.src, b.payload), (s, &b"world!"[..]));
        }
    }

    #[test]
    fn link_layers() {
        let c = v4([10, 1, 1, 1], 40000);
        let s = v4([10, 1, 1, 2], 3306);
        let ip = ip_packet(c, s, 42, b"payload");
        let ip6 = ip_packet(v6(1, 40000), v6(2, 3306), 42, b"payload");
        let check = |link: u32, data: Vec<u8>, src: SocketAddr| {
            let seg = decode_link(link, &data, 9).unwrap_or_else(|e| panic!("link {link}: {e}"));
            assert_eq!(seg.src, src, "link {link}");
            assert_eq!(seg.payload, b"payload", "link {link}");
            assert_eq!(seg.seq, 42);
            assert_eq!(seg.timestamp_nanos, 9);
        };
        // Ethernet with an 802.1Q tag and with QinQ, plus trailing padding.
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&[0xEE; 6]);
        check(LINKTYPE_ETHERNET, eth, c);
        let mut qinq = vec![0u8; 12];
        qinq.extend_from_slice(&[0x88, 0xA8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x05, 0x86, 0xDD]);
        qinq.extend_from_slice(&ip6);
        check(LINKTYPE_ETHERNET, qinq, v6(1, 40000));
        // Linux cooked v1: protocol at offset 14.
        let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        check(LINKTYPE_LINUX_SLL, sll, c);
        // Linux cooked v2: protocol at offset 0, 20-byte header.
        let mut sll2 = vec![0x86, 0xDD, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6];
        sll2.extend_from_slice(&[0; 8]);
        sll2.extend_from_slice(&ip6);
        check(LINKTYPE_LINUX_SLL2, sll2, v6(1, 40000));
        // BSD null: host byte order, either way; AF_INET6 = 30 (macOS) / 24 / 28 / 10.
        let mut null_le = 2u32.to_le_bytes().to_vec();
        null_le.extend_from_slice(&ip);
        check(LINKTYPE_NULL, null_le, c);
        let mut null_be = 30u32.to_be_bytes().to_vec();
        null_be.extend_from_slice(&ip6);
        check(LINKTYPE_NULL, null_be, v6(1, 40000));
        let mut lo = 24u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ip6);
        check(LINKTYPE_LOOP, lo, v6(1, 40000));
        // Raw IP in its four numberings.
        check(LINKTYPE_RAW, ip.clone(), c);
        check(LINKTYPE_RAW_BSD, ip6.clone(), v6(1, 40000));
        check(LINKTYPE_IPV4, ip.clone(), c);
        check(LINKTYPE_IPV6, ip6.clone(), v6(1, 40000));
        // Unknown and mismatched.
        assert_eq!(
            decode_link(147, &ip, 0),
            Err(SkipReason::UnsupportedLinkType(147))
        );
        assert_eq!(
            decode_link(LINKTYPE_IPV6, &ip, 0),
            Err(malformed("ipv6", "version"))
        );
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(
            decode_link(LINKTYPE_ETHERNET, &arp, 0),
            Err(SkipReason::NotIp(0x0806))
        );
    }

    #[test]
    fn ipv4_options_fragments_and_non_tcp() {
        let c = v4([10, 1, 1, 1], 40000);
        let s = v4([10, 1, 1, 2], 3306);
        let ip = ip_packet(c, s, 1, b"data");
        // Insert a 4-byte option (NOPs + EOL): IHL 6, total length + 4.
        let mut opt = ip[..20].to_vec();
        opt[0] = 0x46;
        let total = u16::from_be_bytes([ip[2], ip[3]]) + 4;
        opt[2..4].copy_from_slice(&total.to_be_bytes());
        opt.extend_from_slice(&[1, 1, 1, 0]);
        opt.extend_from_slice(&ip[20..]);
        let seg = decode_ip(&opt, 0).unwrap();
        assert_eq!(seg.payload, b"data");
        assert!(!seg.truncated);
        // First fragment (MF set, offset 0): decoded, marked truncated.
        let mut first = ip.clone();
        first[6] = 0x20;
        assert!(decode_ip(&first, 0).unwrap().truncated);
        // A later fragment is skipped.
        let mut later = ip.clone();
        later[6] = 0x00;
        later[7] = 0x10;
        assert_eq!(decode_ip(&later, 0), Err(SkipReason::Fragment));
        // UDP.
        let mut udp = ip.clone();
        udp[9] = 17;
        assert_eq!(decode_ip(&udp, 0), Err(SkipReason::NotTcp(17)));
        // Cut by the snaplen: what is there, flagged.
        let cut = &ip[..ip.len() - 2];
        let seg = decode_ip(cut, 0).unwrap();
        assert_eq!(seg.payload, b"da");
        assert!(seg.truncated);
        // Bad IHL / data offset / short headers never panic.
        let mut bad = ip.clone();
        bad[0] = 0x44;
        assert!(decode_ip(&bad, 0).is_err());
        let mut bad = ip.clone();
        bad[32] = 0x10;
        assert_eq!(decode_ip(&bad, 0), Err(malformed("tcp", "data_offset")));
        for n in 0..ip.len() {
            let _ = decode_ip(&ip[..n], 0);
        }
    }

    #[test]
    fn ipv6_extension_headers() {
        let ip6 = ip_packet(v6(1, 40000), v6(2, 3306), 5, b"six");
        let (hdr, tcp) = ip6.split_at(40);
        // Hop-by-hop (8 bytes) → destination options (16 bytes) → TCP.
        let mut pkt = hdr.to_vec();
        pkt[6] = 0;
        let plen = (tcp.len() + 24) as u16;
        pkt[4..6].copy_from_slice(&plen.to_be_bytes());
        pkt.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
        pkt.extend_from_slice(&[6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        pkt.extend_from_slice(tcp);
        let seg = decode_ip(&pkt, 0).unwrap();
        assert_eq!(seg.payload, b"six");
        assert_eq!(seg.dst, v6(2, 3306));
        // A fragment header is skipped.
        let mut frag = hdr.to_vec();
        frag[6] = 44;
        frag.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 1]);
        frag.extend_from_slice(tcp);
        assert_eq!(decode_ip(&frag, 0), Err(SkipReason::Fragment));
        for n in 0..pkt.len() {
            let _ = decode_ip(&pkt[..n], 0);
        }
    }

    /// A pcapng block in the given byte order.
    fn block(big: bool, btype: u32, body: &[u8]) -> Vec<u8> {
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let total = (12 + pad4(body.len())) as u32;
        let mut b = w32(btype).to_vec();
        b.extend_from_slice(&w32(total));
        b.extend_from_slice(body);
        b.resize(total as usize - 4, 0);
        b.extend_from_slice(&w32(total));
        b
    }

    fn shb(big: bool) -> Vec<u8> {
        let mut body = if big {
            PCAPNG_BOM.to_be_bytes()
        } else {
            PCAPNG_BOM.to_le_bytes()
        }
        .to_vec();
        body.extend_from_slice(&if big {
            1u16.to_be_bytes()
        } else {
            1u16.to_le_bytes()
        });
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&[0xFF; 8]);
        block(big, PCAPNG_SHB, &body)
    }

    fn idb(big: bool, link: u16, tsresol: Option<u8>) -> Vec<u8> {
        let w16 = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut body = w16(link).to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&w32(0));
        // An unknown option first (if_name), then if_tsresol, then end of options.
        body.extend_from_slice(&w16(2));
        body.extend_from_slice(&w16(3));
        body.extend_from_slice(b"lo\0\0");
        if let Some(r) = tsresol {
            body.extend_from_slice(&w16(9));
            body.extend_from_slice(&w16(1));
            body.extend_from_slice(&[r, 0, 0, 0]);
        }
        body.extend_from_slice(&[0, 0, 0, 0]);
        block(big, BLOCK_IDB, &body)
    }

    fn epb(big: bool, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut body = w32(iface).to_vec();
        body.extend_from_slice(&w32((ts >> 32) as u32));
        body.extend_from_slice(&w32(ts as u32));
        body.extend_from_slice(&w32(data.len() as u32));
        body.extend_from_slice(&w32(data.len() as u32));
        body.extend_from_slice(data);
        block(big, BLOCK_EPB, &body)
    }

    #[test]
    fn pcapng_sections_interfaces_spb_and_unknown_blocks() {
        let c = v4([10, 1, 1, 1], 40000);
        let s = v4([10, 1, 1, 2], 3306);
        let ip = ip_packet(c, s, 1, b"one");
        let eth = eth_frame(s, c, 2, TcpFlags::ACK, b"two");
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6];
        sll2.extend_from_slice(&[0; 8]);
        sll2.extend_from_slice(&ip);
        let mut file = Vec::new();
        // Section 1, big-endian: raw IP (µs default) and SLL2 (2^-10 s) interfaces.
        file.extend(shb(true));
        file.extend(idb(true, LINKTYPE_RAW as u16, None));
        file.extend(idb(true, LINKTYPE_LINUX_SLL2 as u16, Some(0x80 | 10)));
        file.extend(block(true, 0x0000_0BAD, b"custom block body"));
        file.extend(epb(true, 0, 1_500_000, &ip));
        file.extend(epb(true, 1, 3 * 1024, &sll2));
        // Section 2, little-endian: Ethernet interface, an SPB (no timestamp), an EPB in ns.
        file.extend(shb(false));
        file.extend(idb(false, LINKTYPE_ETHERNET as u16, Some(9)));
        let mut spb = (eth.len() as u32).to_le_bytes().to_vec();
        spb.extend_from_slice(&eth);
        file.extend(block(false, BLOCK_SPB, &spb));
        file.extend(epb(false, 0, 7, &eth));
        let (frames, err) = all_frames(&file);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[0].link_type, LINKTYPE_RAW);
        assert_eq!(frames[0].timestamp_nanos, 1_500_000_000);
        assert_eq!(frames[1].link_type, LINKTYPE_LINUX_SLL2);
        assert_eq!(frames[1].interface, 1);
        assert_eq!(frames[1].timestamp_nanos, 3_000_000_000);
        assert_eq!(frames[2].link_type, LINKTYPE_ETHERNET);
        assert_eq!(
            frames[2].timestamp_nanos, 3_000_000_000,
            "SPB reuses the last timestamp"
        );
        assert_eq!(frames[3].timestamp_nanos, 7);
        let payloads: Vec<_> = frames
            .iter()
            .map(|f| decode_frame(f).unwrap().payload)
            .collect();
        assert_eq!(payloads, [&b"one"[..], b"one", b"two", b"two"]);
        // An EPB naming an interface of the previous section is an error.
        let mut bad = file.clone();
        bad.extend(epb(false, 1, 0, &eth));
        let (frames, err) = all_frames(&bad);
        assert_eq!(frames.len(), 4);
        let err = err.unwrap();
        assert_eq!(
            (err.field, err.kind),
            ("interface_id", ErrorKind::InvalidValue)
        );
        assert_eq!(err.record, 10);
    }

    #[test]
    fn tsresol_conversions() {
        assert_eq!(ts_to_nanos(5, 6, 0), 5_000);
        assert_eq!(ts_to_nanos(5, 9, 0), 5);
        assert_eq!(ts_to_nanos(5_000, 12, 0), 5);
        assert_eq!(ts_to_nanos(1 << 20, 0x80 | 20, 0), 1_000_000_000);
        assert_eq!(ts_to_nanos(u64::MAX, 0, 0), u64::MAX);
        assert_eq!(ts_to_nanos(u64::MAX, 0x7F, 0), 0);
        assert_eq!(ts_to_nanos(u64::MAX, 0xFF, 0), 0);
        assert_eq!(ts_to_nanos(1, 0, 10), 11_000_000_000);
        assert_eq!(ts_to_nanos(1, 0, -10), 0);
    }

    #[test]
    fn truncated_files_keep_earlier_frames() {
        let client = v4([10, 0, 0, 1], 50000);
        let server = v4([10, 0, 0, 2], 3306);
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        w.write_handshake(1, client, server).unwrap();
        w.write_tcp_payload(2, client, server, Direction::ServerToClient, b"greeting")
            .unwrap();
        let file = w.into_inner().unwrap();
        let cut = &file[..file.len() - 10];
        let (frames, err) = all_frames(cut);
        assert_eq!(frames.len(), 3);
        let err = err.unwrap();
        assert_eq!(err.kind, ErrorKind::Truncated);
        assert_eq!(err.field, "block_total_length");
        let msg = err.to_string();
        assert!(
            msg.contains("record 5") && msg.contains("truncated"),
            "{msg}"
        );

        let f = eth_frame(client, server, 1, TcpFlags::ACK, b"abc");
        let pcap = classic(false, false, LINKTYPE_ETHERNET, &[(1, f.clone()), (2, f)]);
        let (frames, err) = all_frames(&pcap[..pcap.len() - 1]);
        assert_eq!(frames.len(), 1);
        assert_eq!(err.unwrap().field, "packet_data");
        let (frames, err) = all_frames(&pcap[..24 + 16 + 60 + 7]);
        assert_eq!(frames.len(), 1);
        assert_eq!(err.unwrap().field, "record_header");

        // Every prefix of both files: no panic, never more frames than the whole file.
        for file in [&file, &pcap] {
            for n in 0..file.len() {
                if let Ok(r) = CaptureReader::new(&file[..n]) {
                    assert!(r.count() <= 6);
                }
            }
        }
        assert_eq!(CaptureReader::new(b"\xd4\xc3").unwrap_err().field, "magic");
        assert_eq!(
            CaptureReader::new(b"garbage!").unwrap_err().kind,
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        // A pcapng block that claims (almost) 4 GiB.
        let mut file = shb(false);
        file.extend_from_slice(&BLOCK_EPB.to_le_bytes());
        file.extend_from_slice(&0xFFFF_FFFCu32.to_le_bytes());
        file.extend_from_slice(&[0; 32]);
        let (frames, err) = all_frames(&file);
        assert!(frames.is_empty());
        let err = err.unwrap();
        assert_eq!(
            (err.field, err.kind, err.offset),
            ("block_total_length", ErrorKind::TooLarge, 28)
        );
        // An EPB whose captured length exceeds its block.
        let mut file = shb(false);
        file.extend(idb(false, 1, None));
        let mut e = epb(false, 0, 0, &[0; 8]);
        e[20..24].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        file.extend(e);
        let err = all_frames(&file).1.unwrap();
        assert_eq!(
            (err.field, err.kind),
            ("captured_len", ErrorKind::Truncated)
        );
        // A classic record that claims 4 GiB.
        let mut pcap = classic(true, false, 1, &[]);
        pcap.extend_from_slice(&[
            0, 0, 0, 1, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        let err = all_frames(&pcap).1.unwrap();
        assert_eq!((err.field, err.kind), ("incl_len", ErrorKind::TooLarge));
        // An IDB option whose length runs past the block.
        let mut body = 1u16.to_le_bytes().to_vec();
        body.extend_from_slice(&[0; 6]);
        body.extend_from_slice(&[9, 0, 0xFF, 0xFF]);
        let mut file = shb(false);
        file.extend(block(false, BLOCK_IDB, &body));
        assert_eq!(all_frames(&file).1.unwrap().field, "option_length");
        // A block length that is not a multiple of 4, and a mismatched trailer.
        let mut file = shb(false);
        file.extend_from_slice(&[1, 0, 0, 0, 13, 0, 0, 0]);
        assert_eq!(all_frames(&file).1.unwrap().kind, ErrorKind::InvalidValue);
        let mut file = shb(false);
        let mut b = idb(false, 1, None);
        let n = b.len();
        b[n - 4] ^= 4;
        file.extend(b);
        assert_eq!(
            all_frames(&file).1.unwrap().field,
            "block_total_length_trailer"
        );
    }

    #[test]
    fn read_capture_bytes_enforces_limit() {
        let data = [7u8; 100];
        assert_eq!(read_capture_bytes(&data[..], 100).unwrap().len(), 100);
        assert!(read_capture_bytes(&data[..], 99).is_err());
    }
}
