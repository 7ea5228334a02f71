//! Packet traces of live sessions and decoding of captures.

pub mod pcap;
pub mod reassembly;
