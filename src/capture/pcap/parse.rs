//! The one parser of capture containers: the classic pcap file header and records, and pcapng
//! blocks. Both readers drive it — [`CaptureReader`](super::CaptureReader) over a buffer held in
//! memory, [`CaptureStream`](super::CaptureStream) over a bounded buffer refilled from a
//! [`Read`](std::io::Read) — so a record parses the same way whichever way it arrives.
//!
//! [`Parser::unit_len`] tells from a record's or block's header how many bytes the whole unit
//! takes (checked against [`MAX_RECORD_LEN`] before anyone buffers that much), and
//! [`Parser::next_unit`] parses one unit from the start of a slice. A truncated unit is a
//! [`CaptureError`] with kind `Truncated`: at the end of a file it is damage, on a stream it means
//! "read more".

use super::read::{CaptureFormat, CapturedFrame};
use super::*;
use std::ops::Range;

/// A packet record as parsed: its fields, and where its captured bytes lie within the unit (so
/// that a reader can hand out a frame borrowed from its own buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FrameAt {
    timestamp_nanos: u64,
    link_type: u32,
    interface: u32,
    original_len: u32,
    /// The captured bytes, as a range of the unit's slice given to [`Parser::next_unit`].
    data: Range<usize>,
}

impl FrameAt {
    /// The frame, borrowed from `unit` (the slice given to [`Parser::next_unit`]). `None` only if
    /// `unit` is not that slice.
    pub(super) fn frame<'a>(&self, unit: &'a [u8]) -> Option<CapturedFrame<'a>> {
        Some(CapturedFrame {
            timestamp_nanos: self.timestamp_nanos,
            link_type: self.link_type,
            interface: self.interface,
            original_len: self.original_len,
            data: unit.get(self.data.clone())?,
        })
    }
}

/// Byte offset of a pcapng block's body within the block.
const BLOCK_BODY_OFFSET: usize = 8;

#[derive(Debug, Clone)]
pub(super) struct Interface {
    pub(super) link_type: u32,
    pub(super) snaplen: u32,
    /// `if_tsresol`: bit 7 clear = 10^-n seconds, set = 2^-n seconds. Default 6 (microseconds).
    pub(super) tsresol: u8,
    /// `if_tsoffset`: seconds added to every timestamp.
    pub(super) tsoffset: i64,
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

/// Length of the classic pcap file header.
pub(super) const PCAP_FILE_HEADER_LEN: usize = 24;
/// Length of a classic pcap record header.
const PCAP_RECORD_HEADER_LEN: usize = 16;

pub(super) const PCAP_MAGIC_MICROS: u32 = 0xA1B2_C3D4;
pub(super) const PCAP_MAGIC_NANOS: u32 = 0xA1B2_3C4D;
pub(super) const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub(super) const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
pub(super) const BLOCK_IDB: u32 = 1;
pub(super) const BLOCK_OPB: u32 = 2;
pub(super) const BLOCK_SPB: u32 = 3;
pub(super) const BLOCK_EPB: u32 = 6;

/// The container state between units: format, byte order, pcapng interfaces, and where the
/// next unit starts (its index and byte offset, for errors).
#[derive(Debug, Clone)]
pub(super) struct Parser {
    state: State,
    format: CaptureFormat,
    /// Index of the next record (pcap: the file header is 0) or block (pcapng).
    record: u64,
    /// Byte offset in the capture of the next unit.
    offset: u64,
    last_ts: u64,
}

impl Parser {
    /// Opens a capture from its first bytes: parses the classic pcap file header (24 bytes) or
    /// recognises the pcapng section header magic (that block is then parsed as the first unit).
    /// Returns the parser and how many bytes of `head` it consumed. `head` needs at most
    /// [`PCAP_FILE_HEADER_LEN`] bytes; fewer is a `Truncated` error when the header needs them.
    pub(super) fn open(head: &[u8]) -> Result<(Parser, usize), CaptureError> {
        let err = |field, kind| CaptureError {
            record: 0,
            offset: 0,
            field,
            kind,
        };
        let magic_le = u32_at(head, 0, Endian::Little).ok_or(err("magic", ErrorKind::Truncated))?;
        if magic_le == PCAPNG_SHB {
            let parser = Parser {
                state: State::Pcapng {
                    endian: Endian::Little,
                    interfaces: Vec::new(),
                },
                format: CaptureFormat::Pcapng,
                record: 0,
                offset: 0,
                last_ts: 0,
            };
            return Ok((parser, 0));
        }
        let (endian, nanos) = match magic_le {
            PCAP_MAGIC_MICROS => (Endian::Little, false),
            PCAP_MAGIC_NANOS => (Endian::Little, true),
            m if m.swap_bytes() == PCAP_MAGIC_MICROS => (Endian::Big, false),
            m if m.swap_bytes() == PCAP_MAGIC_NANOS => (Endian::Big, true),
            _ => return Err(err("magic", ErrorKind::InvalidValue)),
        };
        let major = u16_at(head, 4, endian).ok_or(err("version_major", ErrorKind::Truncated))?;
        if major != 2 {
            return Err(err("version_major", ErrorKind::InvalidValue));
        }
        let network = u32_at(head, 20, endian).ok_or(err("linktype", ErrorKind::Truncated))?;
        let parser = Parser {
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
            record: 1,
            offset: PCAP_FILE_HEADER_LEN as u64,
            last_ts: 0,
        };
        Ok((parser, PCAP_FILE_HEADER_LEN))
    }

    /// The container format.
    pub(super) fn format(&self) -> CaptureFormat {
        self.format
    }

    /// The error for a frame whose range does not fit the unit it was parsed from (a reader
    /// bug, never the capture's: the range was checked against that unit).
    pub(super) fn lost_frame(&self) -> CaptureError {
        self.err("packet_data", ErrorKind::Truncated)
    }

    /// Byte offset in the capture of the next unit.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    fn err(&self, field: &'static str, kind: ErrorKind) -> CaptureError {
        CaptureError {
            record: self.record,
            offset: self.offset,
            field,
            kind,
        }
    }

    /// The whole length of the unit starting at `rest`, from its header alone. A `Truncated`
    /// error means the header itself is incomplete (at most 16 bytes are needed); every other
    /// error is damage. The length is at most `MAX_RECORD_LEN` plus a record header.
    pub(super) fn unit_len(&self, rest: &[u8]) -> Result<usize, CaptureError> {
        match self.state {
            State::Pcap { endian, .. } => {
                let incl = u32_at(rest, 8, endian)
                    .ok_or_else(|| self.err("record_header", ErrorKind::Truncated))?;
                if rest.len() < PCAP_RECORD_HEADER_LEN {
                    return Err(self.err("record_header", ErrorKind::Truncated));
                }
                let incl =
                    usize::try_from(incl).map_err(|_| self.err("incl_len", ErrorKind::TooLarge))?;
                if incl > MAX_RECORD_LEN {
                    return Err(self.err("incl_len", ErrorKind::TooLarge));
                }
                Ok(PCAP_RECORD_HEADER_LEN.saturating_add(incl))
            }
            State::Pcapng { endian, .. } => {
                let btype_le = u32_at(rest, 0, Endian::Little)
                    .ok_or_else(|| self.err("block_type", ErrorKind::Truncated))?;
                let endian = if btype_le == PCAPNG_SHB {
                    shb_endian(rest).map_err(|(field, kind)| self.err(field, kind))?
                } else if self.record == 0 {
                    // The first block of a pcapng file must be a section header.
                    return Err(self.err("block_type", ErrorKind::Unexpected));
                } else {
                    endian
                };
                let total = u32_at(rest, 4, endian)
                    .ok_or_else(|| self.err("block_total_length", ErrorKind::Truncated))?;
                let total = usize::try_from(total)
                    .map_err(|_| self.err("block_total_length", ErrorKind::TooLarge))?;
                if total < 12 || total % 4 != 0 {
                    return Err(self.err("block_total_length", ErrorKind::InvalidValue));
                }
                if total > MAX_RECORD_LEN {
                    return Err(self.err("block_total_length", ErrorKind::TooLarge));
                }
                Ok(total)
            }
        }
    }

    /// Parses the unit at the start of `rest` (which may hold more after it): returns how many
    /// bytes it took and the frame, if it was a packet record (`None` for a pcapng section
    /// header, interface description or unknown block). On error nothing is consumed.
    pub(super) fn next_unit(
        &mut self,
        rest: &[u8],
    ) -> Result<(usize, Option<FrameAt>), CaptureError> {
        let len = self.unit_len(rest)?;
        let frame = match self.state {
            State::Pcap {
                endian,
                nanos,
                link_type,
            } => {
                if rest.len() < len {
                    return Err(self.err("packet_data", ErrorKind::Truncated));
                }
                let sec = u32_at(rest, 0, endian).unwrap_or(0);
                let frac = u32_at(rest, 4, endian).unwrap_or(0);
                let orig = u32_at(rest, 12, endian).unwrap_or(0);
                let sub = if nanos {
                    u64::from(frac)
                } else {
                    u64::from(frac).saturating_mul(1000)
                };
                let ts = u64::from(sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(sub);
                self.last_ts = ts;
                Some(FrameAt {
                    timestamp_nanos: ts,
                    link_type,
                    interface: 0,
                    original_len: orig,
                    data: PCAP_RECORD_HEADER_LEN..len,
                })
            }
            State::Pcapng { .. } => self.pcapng_block(rest, len)?,
        };
        self.offset = self.offset.saturating_add(len as u64);
        self.record = self.record.saturating_add(1);
        Ok((len, frame))
    }

    /// One pcapng block of `total` bytes (already checked by `unit_len`).
    fn pcapng_block(&mut self, rest: &[u8], total: usize) -> Result<Option<FrameAt>, CaptureError> {
        let btype_le = u32_at(rest, 0, Endian::Little).unwrap_or(0);
        if btype_le == PCAPNG_SHB {
            let endian = shb_endian(rest).map_err(|(field, kind)| self.err(field, kind))?;
            let body = self.block_body(rest, total, endian)?;
            let major = u16_at(body, 4, endian)
                .ok_or_else(|| self.err("major_version", ErrorKind::Truncated))?;
            if major != 1 {
                return Err(self.err("major_version", ErrorKind::InvalidValue));
            }
            self.state = State::Pcapng {
                endian,
                interfaces: Vec::new(),
            };
            return Ok(None);
        }
        let State::Pcapng { endian, .. } = self.state else {
            return Err(self.err("block_type", ErrorKind::Unexpected));
        };
        let btype = u32_at(rest, 0, endian).unwrap_or(0);
        let body = self.block_body(rest, total, endian)?;
        Ok(match btype {
            BLOCK_IDB => {
                self.read_idb(body, endian)?;
                None
            }
            BLOCK_EPB | BLOCK_OPB => Some(self.read_epb(body, endian, btype == BLOCK_OPB)?),
            BLOCK_SPB => Some(self.read_spb(body, endian)?),
            _ => None,
        })
    }

    /// Checks that the block is all there and its trailing length copy, and returns its body.
    fn block_body<'a>(
        &self,
        rest: &'a [u8],
        total: usize,
        endian: Endian,
    ) -> Result<&'a [u8], CaptureError> {
        if total > rest.len() {
            return Err(self.err("block_total_length", ErrorKind::Truncated));
        }
        let trailer = u32_at(rest, total.saturating_sub(4), endian)
            .ok_or_else(|| self.err("block_total_length_trailer", ErrorKind::Truncated))?;
        if u64::from(trailer) != total as u64 {
            return Err(self.err("block_total_length_trailer", ErrorKind::InvalidValue));
        }
        rest.get(BLOCK_BODY_OFFSET..total.saturating_sub(4))
            .ok_or_else(|| self.err("block_body", ErrorKind::Truncated))
    }

    fn interface(&self, id: u32) -> Result<Interface, CaptureError> {
        match &self.state {
            State::Pcapng { interfaces, .. } => usize::try_from(id)
                .ok()
                .and_then(|i| interfaces.get(i))
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
            let len = usize::from(u16_at(opts, 2, endian).unwrap_or(0));
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
        let err = self.err("interface_count", ErrorKind::TooLarge);
        match &mut self.state {
            State::Pcapng { interfaces, .. } if interfaces.len() < MAX_INTERFACES => {
                interfaces.push(iface);
                Ok(())
            }
            _ => Err(err),
        }
    }

    fn read_epb(
        &mut self,
        body: &[u8],
        endian: Endian,
        obsolete: bool,
    ) -> Result<FrameAt, CaptureError> {
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
            .ok_or_else(|| self.err("captured_len", ErrorKind::Truncated))?;
        let orig = u32_at(body, 16, endian)
            .ok_or_else(|| self.err("original_len", ErrorKind::Truncated))?;
        let data = usize::try_from(caplen)
            .ok()
            .and_then(|c| body.get(20..20usize.saturating_add(c)))
            .ok_or_else(|| self.err("captured_len", ErrorKind::Truncated))?;
        let data = body_range(20, data.len());
        let iface = self.interface(iface_id)?;
        let raw = (u64::from(hi) << 32) | u64::from(lo);
        let ts = ts_to_nanos(raw, iface.tsresol, iface.tsoffset);
        self.last_ts = ts;
        Ok(FrameAt {
            timestamp_nanos: ts,
            link_type: iface.link_type,
            interface: iface_id,
            original_len: orig,
            data,
        })
    }

    fn read_spb(&mut self, body: &[u8], endian: Endian) -> Result<FrameAt, CaptureError> {
        let orig = u32_at(body, 0, endian)
            .ok_or_else(|| self.err("original_len", ErrorKind::Truncated))?;
        let iface = self.interface(0)?;
        let avail = body.len().saturating_sub(4);
        let mut caplen = usize::try_from(orig).unwrap_or(usize::MAX).min(avail);
        if iface.snaplen != 0 {
            caplen = caplen.min(usize::try_from(iface.snaplen).unwrap_or(usize::MAX));
        }
        if body.get(4..4 + caplen).is_none() {
            return Err(self.err("packet_data", ErrorKind::Truncated));
        }
        Ok(FrameAt {
            // A simple packet block has no timestamp: reuse the previous frame's.
            timestamp_nanos: self.last_ts,
            link_type: iface.link_type,
            interface: 0,
            original_len: orig,
            data: body_range(4, caplen),
        })
    }
}

/// Where `len` bytes at `start` of a pcapng block's body lie within the block (both already
/// checked against the body).
fn body_range(start: usize, len: usize) -> Range<usize> {
    let from = BLOCK_BODY_OFFSET.saturating_add(start);
    from..from.saturating_add(len)
}

/// The byte order of a pcapng section header block, from its byte-order magic.
fn shb_endian(rest: &[u8]) -> Result<Endian, (&'static str, ErrorKind)> {
    let bom = u32_at(rest, 8, Endian::Little).ok_or(("byte_order_magic", ErrorKind::Truncated))?;
    if bom == PCAPNG_BOM {
        Ok(Endian::Little)
    } else if bom.swap_bytes() == PCAPNG_BOM {
        Ok(Endian::Big)
    } else {
        Err(("byte_order_magic", ErrorKind::InvalidValue))
    }
}

/// Converts a pcapng timestamp in `if_tsresol` units (plus `if_tsoffset` seconds) to nanoseconds,
/// saturating.
pub(super) fn ts_to_nanos(raw: u64, tsresol: u8, tsoffset: i64) -> u64 {
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
