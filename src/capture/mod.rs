//! Capture files: reading pcap/pcapng, link-layer / IP / TCP decoding, TCP reassembly, offline
//! decoding of the MySQL conversations in a capture, and writing a live session as pcapng.
//!
//! Only built with the `capture` feature. The MySQL side (the conversation decoder, the text and
//! JSON renderings, the live text/JSON tracers) lives in [`crate::trace`], which this module uses.
//!
//! - [`pcap`]: the readers ([`pcap::CaptureReader`] in memory, [`pcap::CaptureStream`] from any
//!   `Read` as records arrive), header decoding ([`pcap::decode_frame`]) and writer
//!   ([`pcap::PcapngWriter`]).
//! - [`reassembly`]: captured TCP segments → per-direction, in-order byte streams (whole, or
//!   incrementally with [`reassembly::Reassembler::drain`]).
//! - [`compressed`]: one direction's compressed packets, cut and inflated.
//! - [`decoder`]: frames → decoded conversations as the capture is read
//!   ([`decoder::CaptureDecoder`]: flat memory on an endless stream).
//! - [`offline`]: a capture file → decoded MySQL conversations ([`offline::decode_capture`]).
//! - [`PcapngTracer`]: a [`Tracer`](crate::trace::Tracer) that writes a live session as pcapng.

// Every cast of a wire value is checked (protocol-notes/threat-model.md, row 5): `try_from` with
// a typed error, `From` where it widens, or a narrow `#[allow]` that says why it cannot lose bits.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod compressed;
pub mod decoder;
pub mod offline;
pub mod pcap;
pub mod reassembly;
mod tracer;

pub use tracer::PcapngTracer;
