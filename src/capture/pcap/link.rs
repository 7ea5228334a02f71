//! Link-layer, IPv4/IPv6 and TCP header decoding of captured frames.
//!
//! Ethernet II and its VLAN tags, IPv4, IPv6 with its extension headers and TCP are read with
//! `etherparse`'s header slices (bounds-checked views, no allocation); the link layers it does
//! not know (Linux cooked v1/v2, BSD null / OpenBSD loopback) are read here. Our own rules stay
//! on top: padding trimmed to the IP length, a frame cut by the snaplen or a first IPv4 fragment
//! marked truncated, other fragments skipped, and every failure a [`SkipReason`] naming the
//! layer and the field. Why a crate and which: protocol-notes/crates.md.

use super::*;
use etherparse::{
    Ethernet2HeaderSlice, IpNumber, Ipv4HeaderSlice, Ipv6ExtensionsSlice, Ipv6HeaderSlice,
    SingleVlanHeaderSlice, TcpHeaderSlice,
};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

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
            let eth = Ethernet2HeaderSlice::from_slice(data)
                .map_err(|_| malformed("ethernet", "ethertype"))?;
            let mut ethertype = eth.ether_type().0;
            let mut rest = data
                .get(eth.slice().len()..)
                .ok_or(malformed("ethernet", "payload"))?;
            // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag: 2 bytes TCI, then the inner type.
            while matches!(ethertype, 0x8100 | 0x88A8 | 0x9100) {
                let tag = SingleVlanHeaderSlice::from_slice(rest)
                    .map_err(|_| malformed("ethernet", "vlan_tag"))?;
                ethertype = tag.ether_type().0;
                rest = rest
                    .get(tag.slice().len()..)
                    .ok_or(malformed("ethernet", "vlan_tag"))?;
            }
            decode_ethertype(ethertype, rest, ts)
        }
        // etherparse's Linux SLL reader refuses packet types and ARPHRD values it does not list;
        // the protocol field is all we need, so it is read here.
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
    // The version first, so that a short packet of another version is named as such (etherparse
    // checks the length first).
    let b0 = *data.first().ok_or(malformed("ipv4", "version_ihl"))?;
    if b0 >> 4 != 4 {
        return Err(malformed("ipv4", "version"));
    }
    let h = Ipv4HeaderSlice::from_slice(data).map_err(|e| match e {
        etherparse::err::ipv4::HeaderSliceError::Content(
            etherparse::err::ipv4::HeaderError::UnexpectedVersion { .. },
        ) => malformed("ipv4", "version"),
        _ => malformed("ipv4", "ihl"),
    })?;
    let ihl = h.slice().len();
    let total = usize::from(h.total_len());
    if total < ihl {
        return Err(malformed("ipv4", "total_length"));
    }
    let more_fragments = h.more_fragments();
    if h.fragments_offset().value() != 0 {
        return Err(SkipReason::Fragment);
    }
    if h.protocol() != IpNumber::TCP {
        return Err(SkipReason::NotTcp(h.protocol().0));
    }
    let src = IpAddr::V4(h.source_addr());
    let dst = IpAddr::V4(h.destination_addr());
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
    let h = Ipv6HeaderSlice::from_slice(data).map_err(|e| match e {
        etherparse::err::ipv6::HeaderSliceError::Content(_) => malformed("ipv6", "version"),
        etherparse::err::ipv6::HeaderSliceError::Len(_) => malformed("ipv6", "header"),
    })?;
    let plen = usize::from(h.payload_length());
    let src = IpAddr::V6(h.source_addr());
    let dst = IpAddr::V6(h.destination_addr());
    let after = data
        .get(h.slice().len()..)
        .ok_or(malformed("ipv6", "header"))?;
    // Payload length 0 means a jumbogram (or TSO capture): take what was captured.
    let (payload, cut) = if plen == 0 {
        (after, false)
    } else {
        (after.get(..plen).unwrap_or(after), plen > after.len())
    };
    // Hop-by-hop, routing, destination options, fragment and authentication headers, each
    // length checked against the payload by etherparse. The lax walk keeps what it read before
    // a damaged header, so that a fragment is reported as a fragment whatever follows it.
    // Never iterate the slice the lax walk returns with an error: etherparse 0.21.0's
    // `Ipv6ExtensionSliceIter` then reads the damaged header unchecked, out of bounds
    // (protocol-notes/crates.md); `is_fragmenting_payload` is a stored flag.
    let (exts, next, rest, err) = Ipv6ExtensionsSlice::from_slice_lax(h.next_header(), payload);
    if exts.is_fragmenting_payload() {
        return Err(SkipReason::Fragment);
    }
    if let Some((_, layer)) = err {
        return Err(if layer == etherparse::err::Layer::Ipv6FragHeader {
            SkipReason::Fragment
        } else {
            malformed("ipv6", "extension_length")
        });
    }
    if next != IpNumber::TCP {
        return Err(SkipReason::NotTcp(next.0));
    }
    decode_tcp(rest, src, dst, cut, ts)
}

fn decode_tcp(
    seg: &[u8],
    src: IpAddr,
    dst: IpAddr,
    truncated: bool,
    ts: u64,
) -> Result<TcpSegment<'_>, SkipReason> {
    let h = TcpHeaderSlice::from_slice(seg).map_err(|e| match e {
        etherparse::err::tcp::HeaderSliceError::Len(l) if l.required_len <= 20 => {
            malformed("tcp", "header")
        }
        _ => malformed("tcp", "data_offset"),
    })?;
    let payload = seg
        .get(h.slice().len()..)
        .ok_or(malformed("tcp", "data_offset"))?;
    // The flags byte as sent (the eight bits after the data offset nibble and the NS bit).
    let flags = [
        (h.fin(), 0x01u8),
        (h.syn(), 0x02),
        (h.rst(), 0x04),
        (h.psh(), 0x08),
        (h.ack(), 0x10),
        (h.urg(), 0x20),
        (h.ece(), 0x40),
        (h.cwr(), 0x80),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0u8, |acc, (_, bit)| acc | bit);
    Ok(TcpSegment {
        src: SocketAddr::new(src, h.source_port()),
        dst: SocketAddr::new(dst, h.destination_port()),
        seq: h.sequence_number(),
        ack: h.acknowledgment_number(),
        flags: TcpFlags(flags),
        window: h.window_size(),
        payload,
        truncated,
        timestamp_nanos: ts,
    })
}
