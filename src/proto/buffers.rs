//! The engine's byte buffers: the receive buffer and the initialized read room after it (for
//! both kinds of driver), the batch of whole packets split off it at once, and the transmit
//! buffer.

use bytes::{Bytes, BytesMut};

use crate::codec::frame::{peek_header, HEADER, MAX_CHUNK};
use crate::error::Error;

use super::Engine;

/// Read buffer capacity kept in reserve for the async driver's reads.
const READ_CHUNK: usize = 64 * 1024;

/// Initialized read room a driver that reads into initialized memory gets at a time (the
/// blocking driver: a std read needs an initialized slice), zeroed once per buffer, not per
/// read. The first buffer is small (a connection that only connects zeroes 4 KiB, not 256), and
/// each next one twice the last, up to the largest.
pub(super) const SPARE_FIRST: usize = 4 * 1024;
const SPARE_ALLOC: usize = 256 * 1024;

/// Below this much room left, [`Engine::read_space`] starts a new buffer. Well below the first
/// buffer, so that a connect (a greeting, an OK, perhaps an auth round) fits in the first.
const SPARE_MIN: usize = 1024;

/// Largest write buffer kept between commands.
const WBUF_KEEP: usize = 1 << 20;

impl Engine {
    /// The receive buffer with room for a read: an async driver reads into its spare capacity
    /// (`read_buf`), and the engine consumes from its front.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        if self.zip.is_some() {
            return self.zip_read_buf();
        }
        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
            // `reserve` reuses the buffer in place when nothing else holds it.
            self.release_consumed();
            self.rbuf.reserve(READ_CHUNK);
        }
        &mut self.rbuf
    }

    /// Initialized room right after the received bytes, for a driver that reads into
    /// initialized memory (a std read); then [`Engine::commit_read`] with what the read
    /// returned. The room is zeroed once per buffer (the crate forbids `unsafe`, so memory is
    /// initialized before a read can fill it), not once per read, and read bytes join the
    /// received ones without a copy.
    pub fn read_space(&mut self) -> &mut [u8] {
        if self.zip.is_some() {
            return self.zip_read_space();
        }
        if self.spare.len() < SPARE_MIN {
            self.new_spare();
        }
        &mut self.spare[..]
    }

    /// Starts a new buffer: the received bytes not consumed yet (a packet still arriving) move
    /// to its front, the rest is zeroed once and becomes the room for reads.
    fn new_spare(&mut self) {
        let keep = self.rbuf.len();
        let room = keep.max(self.spare_next);
        self.spare_next = self.spare_next.saturating_mul(2).min(SPARE_ALLOC);
        // Reuse the buffer when nothing else holds it any more (no column definition, row or
        // batch of this buffer is alive): the bytes not consumed yet move to its front. Its
        // memory is warm and mapped; a new buffer per 256 KiB received would touch new pages
        // all the time (a page fault each 4 KiB, and the cache the server shares with us when
        // both run on one CPU).
        self.spare = BytesMut::new();
        self.release_consumed();
        if self.rbuf.try_reclaim(room) {
            self.rbuf.resize(keep.saturating_add(room), 0);
            self.spare = self.rbuf.split_off(keep);
            return;
        }
        let mut buf = BytesMut::with_capacity(keep.saturating_add(room));
        buf.extend_from_slice(&self.rbuf);
        buf.resize(keep.saturating_add(room), 0);
        self.spare = buf.split_off(keep);
        self.rbuf = buf;
        // The frame decoder must not grow `rbuf` on its own: that would move it away from the
        // room after it, and every later read would be copied.
        self.codec.set_grow_buffer(false);
    }

    /// Lets go of the batch and the row packet once read through (called before a read, when
    /// no row is current), so that the buffer under them can be reused.
    fn release_consumed(&mut self) {
        if self.batch_pos >= self.batch.len() {
            self.batch = Bytes::new();
            self.batch_pos = 0;
        }
        self.row_packet = Bytes::new();
        self.row_range = (0, 0);
    }

    /// Keeps the first `n` bytes of the room [`Engine::read_space`] offered (what the read
    /// returned) as received bytes.
    pub fn commit_read(&mut self, n: usize) {
        if self.zip_commit_read(n) {
            return;
        }
        let got = self.spare.split_to(n.min(self.spare.len()));
        // O(1): `got` starts where `rbuf` ends, in the same buffer.
        self.rbuf.unsplit(got);
    }

    /// The error for an end of stream, saying whether it cut a packet.
    pub fn eof_error(&mut self) -> Error {
        let e = Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            if !self.has_unread_bytes() {
                "the server closed the connection"
            } else {
                "the server closed the connection in the middle of a packet"
            },
        ));
        self.mark_broken(&e);
        e
    }

    /// Bytes queued for the server; a driver writes them and advances the buffer past what was
    /// written.
    #[inline]
    pub fn transmit(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// True when bytes are queued for the server.
    #[inline]
    pub fn wants_write(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Called by a driver once everything queued reached the transport.
    #[inline]
    pub fn written(&mut self) {
        // Do not keep a large command's buffer for the rest of the session.
        if self.wbuf.capacity() > WBUF_KEEP {
            self.wbuf = BytesMut::with_capacity(1024);
        }
    }

    /// True when received bytes are waiting to be consumed (nothing may precede TLS). A driver
    /// that has just sent a command and sees none reads before stepping: the response cannot
    /// have arrived before the command was sent.
    #[inline]
    pub fn has_unread_bytes(&self) -> bool {
        !self.rbuf.is_empty()
            || self.codec.is_mid_packet()
            || self.batch_pos < self.batch.len()
            || self.zip_has_unread()
    }

    /// The next packet of `batch` (refilled from the read buffer when used up), without taking
    /// it: its sequence id and its payload's range in `batch`.
    #[inline]
    pub(super) fn next_batched(&mut self) -> Option<(u8, usize, usize)> {
        if self.batch_pos >= self.batch.len() {
            // A run is two packets at least: a lone or partial first one is left to the
            // decoder without a scan.
            let (len, _) = peek_header(&self.rbuf)?;
            if self.rbuf.len() <= len.saturating_add(2 * HEADER) || !self.refill_batch() {
                return None;
            }
        }
        let pos = self.batch_pos;
        let (len, seq) = peek_header(self.batch.get(pos..)?)?;
        let start = pos.checked_add(HEADER)?;
        let end = start.checked_add(len).filter(|&e| e <= self.batch.len())?;
        Some((seq, start, end))
    }

    /// Splits off the front of the read buffer the longest run of whole single-chunk packets
    /// (at most the payload limit each) whose sequence ids follow on from the expected one, as
    /// `batch`. Sequence ids are checked again as each packet is taken (the expected one changes
    /// between pipelined responses). A run of one packet is left to the frame decoder, which
    /// splits it as cheaply. False when no batch was made.
    #[inline(never)]
    fn refill_batch(&mut self) -> bool {
        if self.codec.is_mid_packet() {
            return false;
        }
        let mut seq = self.codec.next_seq();
        let max = self.codec.max_payload().min(MAX_CHUNK - 1);
        let (mut pos, mut count) = (0usize, 0usize);
        while let Some((len, sq)) = self.rbuf.get(pos..).and_then(peek_header) {
            let Some(end) = pos.checked_add(HEADER).and_then(|s| s.checked_add(len)) else {
                break;
            };
            if (sq != seq && self.codec.checks_seq()) || len > max || end > self.rbuf.len() {
                break;
            }
            pos = end;
            count = count.saturating_add(1);
            seq = seq.wrapping_add(1);
        }
        if count < 2 {
            return false;
        }
        self.batch = self.rbuf.split_to(pos).freeze();
        self.batch_pos = 0;
        true
    }

    /// The received bytes not consumed yet (not counting `batch`).
    #[cfg(test)]
    pub(super) fn rbuf(&self) -> &BytesMut {
        &self.rbuf
    }

    /// Consumes the first `n` received bytes.
    #[cfg(test)]
    pub(super) fn split_rbuf(&mut self, n: usize) -> Bytes {
        self.rbuf.split_to(n.min(self.rbuf.len())).freeze()
    }
}

#[cfg(test)]
mod read_hint_tests {
    use super::*;
    use crate::codec::CapabilityFlags;
    use crate::proto::{ConnectConfig, Engine};

    fn engine() -> Engine {
        Engine::connect(
            1 << 20,
            ConnectConfig {
                compress: Vec::new(),
                compress_level: None,
                capabilities: CapabilityFlags::PROTOCOL_41,
                wants_tls: false,
                requires_tls: false,
                verifies_peer: false,
                ssl_mode: crate::session::SslMode::Disabled,
                endpoint: "test".into(),
                unix: false,
                max_packet: 1 << 20,
                collation: 45,
                user: Vec::new(),
                password: Default::default(),
                database: None,
                attributes: Vec::new(),
                auth: Default::default(),
            },
        )
    }

    #[test]
    fn room_offered_but_not_committed_is_never_data() {
        let mut e = engine();
        e.read_space();
        e.read_space()
            .get_mut(..3)
            .unwrap()
            .copy_from_slice(&[1, 2, 3]);
        e.commit_read(3);
        assert_eq!(&e.rbuf()[..], &[1, 2, 3]);
        e.read_space();
        assert_eq!(e.rbuf().len(), 3, "room not committed is not data");
        e.commit_read(0);
        assert_eq!(&e.rbuf()[..], &[1, 2, 3]);
    }

    #[test]
    fn reads_join_the_received_bytes_in_place() {
        let mut e = engine();
        // Buffers start small and double: full reads (consumed at once) reach the largest.
        let mut sizes = Vec::new();
        for _ in 0..8 {
            let n = e.read_space().len();
            sizes.push(n);
            e.commit_read(n);
            let all = e.rbuf().len();
            e.split_rbuf(all);
        }
        assert_eq!(sizes.first(), Some(&SPARE_FIRST));
        assert_eq!(sizes.last(), Some(&SPARE_ALLOC));
        let first = e.read_space().as_ptr();
        for i in 0..100u8 {
            let room = e.read_space();
            // Each read lands right after the bytes before it: no copy, no new buffer.
            assert_eq!(room.as_ptr(), first.wrapping_add(usize::from(i) * 20));
            room.get_mut(..20).unwrap().fill(i);
            e.commit_read(20);
        }
        assert_eq!(e.rbuf().len(), 2000);
        assert_eq!(e.rbuf().as_ptr(), first);
        assert!(e
            .rbuf()
            .iter()
            .enumerate()
            .all(|(k, &b)| usize::from(b) == k / 20));
    }

    #[test]
    fn a_packet_still_arriving_moves_to_the_next_buffer() {
        let mut e = engine();
        // Fill the room but for less than SPARE_MIN; the next read starts a new buffer and
        // keeps the bytes not consumed yet.
        let n = e.read_space().len() - SPARE_MIN / 2;
        e.read_space().get_mut(..n).unwrap().fill(7);
        e.commit_read(n);
        assert!(e.read_space().len() >= 2 * SPARE_FIRST);
        e.commit_read(0);
        assert_eq!(e.rbuf().len(), n);
        assert!(e.rbuf().iter().all(|&b| b == 7));
    }
}
