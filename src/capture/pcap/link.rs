//! Link-layer, IPv4/IPv6 and TCP header decoding of captured frames.

use super::*;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

pub(super) fn malformed(layer: &'static str, field: &'static str) -> SkipReason {
    SkipReason::Malformed { layer, field }
}

pub(super) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(super) const ETHERTYPE_IPV6: u16 = 0x86DD;

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
