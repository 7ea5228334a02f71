use super::link::{malformed, ETHERTYPE_IPV4};
use super::parse::{
    ts_to_nanos, BLOCK_EPB, BLOCK_IDB, BLOCK_SPB, PCAPNG_BOM, PCAPNG_SHB, PCAP_MAGIC_MICROS,
    PCAP_MAGIC_NANOS,
};
use super::write::{build_frame, checksum, FrameSpec, CLIENT_MAC, SERVER_MAC};
use super::*;
use crate::trace::Direction;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

mod classic;
mod limits;
mod pcapng;
mod stream;
mod write;
