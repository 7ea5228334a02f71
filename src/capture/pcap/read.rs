//! The capture-file reader: classic pcap (both byte orders, micro- and nanosecond
//! resolution) and pcapng (sections, interfaces, enhanced/simple/obsolete packet blocks).

use super::*;

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

pub(super) const PCAP_MAGIC_MICROS: u32 = 0xA1B2_C3D4;
pub(super) const PCAP_MAGIC_NANOS: u32 = 0xA1B2_3C4D;
pub(super) const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub(super) const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
pub(super) const BLOCK_IDB: u32 = 1;
pub(super) const BLOCK_OPB: u32 = 2;
pub(super) const BLOCK_SPB: u32 = 3;
pub(super) const BLOCK_EPB: u32 = 6;

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
