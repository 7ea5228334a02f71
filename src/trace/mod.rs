//! Packet traces of live sessions.
//!
//! A [`Tracer`] installed on a session sees every logical packet (continuations joined) in both
//! directions, with its sequence id and the connection phase, before the session acts on it.
//! The conversation decoder ([`decode`]), built on the codec's parsers, turns those events into
//! text or JSON lines ([`mod@format`]). Capture files (reading pcap/pcapng, the live pcapng tracer)
//! are in `crate::capture`, behind the `capture` feature.

// Every cast of a wire value is checked (protocol-notes/threat-model.md, row 5): `try_from` with
// a typed error, `From` where it widens, or a narrow `#[allow]` that says why it cannot lose bits.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod decode;
pub mod digest;
pub mod fingerprint;
pub mod format;
pub mod requests;
pub mod slowlog;

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server.
    ClientToServer,
    /// Server to client.
    ServerToClient,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// `"C->S"` or `"S->C"`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ClientToServer => "C->S",
            Direction::ServerToClient => "S->C",
        }
    }
}

/// The phase of the connection a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The greeting and the client's first packet (SSLRequest or HandshakeResponse41).
    Handshake,
    /// The authentication exchange after the handshake response.
    Auth,
    /// The command phase.
    Command,
}

/// One packet as the session saw it.
#[derive(Debug, Clone, Copy)]
pub struct PacketEvent<'a> {
    /// Direction.
    pub direction: Direction,
    /// Sequence id of the (first chunk of the) packet.
    pub seq: u8,
    /// Connection phase.
    pub phase: Phase,
    /// The joined payload, headers removed.
    pub payload: &'a [u8],
}

/// One packet of the compressed protocol as the session sent or received it. It comes before
/// the [`PacketEvent`]s of the packets it carries (a compressed packet may carry several, or a
/// piece of one).
#[derive(Debug, Clone, Copy)]
pub struct CompressedEvent<'a> {
    /// Direction.
    pub direction: Direction,
    /// The compressed sequence id.
    pub seq: u8,
    /// Bytes of payload on the wire (after the 7-byte header).
    pub compressed_len: usize,
    /// The payload's length before compression; 0 when it was sent uncompressed.
    pub uncompressed_len: usize,
    /// The packet as it went over the wire: its header and its (compressed) payload.
    pub wire: &'a [u8],
}

/// Receives packet events from a live session.
pub trait Tracer: Send {
    /// Called for every packet, in order.
    fn packet(&mut self, event: &PacketEvent<'_>);
    /// Called once when TLS starts (after the SSLRequest); later payloads are the plaintext.
    fn tls_started(&mut self) {}
    /// Called for every packet of the compressed protocol, before the packets it carries (once
    /// compression is on, after the handshake response).
    fn compressed(&mut self, _event: &CompressedEvent<'_>) {}
}
