//! A bounds-checked cursor over one packet payload.
//!
//! Every read checks the length against what remains before touching the bytes, and every
//! failure names the packet and the field. Strings are returned as sub-slices of the payload;
//! callers that hold the payload as [`bytes::Bytes`] turn them into zero-copy `Bytes` with
//! [`bytes::Bytes::slice_ref`].

// Offsets are computed with checked arithmetic (clippy::arithmetic_side_effects): a length field
// from the wire can never wrap `pos` around, in release builds included.
#![deny(clippy::arithmetic_side_effects)]

use super::error::{ErrorKind, Packet, ParseError, ParseResult};

/// A length-encoded integer as read from the wire: a value, or the NULL marker 0xFB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lenenc {
    /// The integer value.
    Value(u64),
    /// 0xFB: SQL NULL (only meaningful in text-protocol rows).
    Null,
}

/// A cursor over a packet payload.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    packet: Packet,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; errors will name `packet`.
    pub fn new(buf: &'a [u8], packet: Packet) -> Self {
        Reader {
            buf,
            pos: 0,
            packet,
        }
    }

    /// The packet this reader reports errors for.
    pub fn packet(&self) -> Packet {
        self.packet
    }

    /// An error for `field` of this reader's packet.
    pub fn error(&self, field: &'static str, kind: ErrorKind) -> ParseError {
        ParseError::new(self.packet, field, kind)
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The current offset from the start of the payload.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// The next byte, without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Takes exactly `n` bytes, or fails with `Truncated` naming `field`.
    pub fn take(&mut self, n: usize, field: &'static str) -> ParseResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.error(field, ErrorKind::Truncated))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.error(field, ErrorKind::Truncated))?;
        self.pos = end;
        Ok(s)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, field: &'static str) -> ParseResult<()> {
        self.take(n, field).map(|_| ())
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> ParseResult<[u8; N]> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// `int<1>`.
    pub fn u8(&mut self, field: &'static str) -> ParseResult<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    /// `int<2>`, little-endian.
    pub fn u16(&mut self, field: &'static str) -> ParseResult<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// `int<3>`, little-endian.
    pub fn u24(&mut self, field: &'static str) -> ParseResult<u32> {
        let [a, b, c] = self.array::<3>(field)?;
        Ok(u32::from_le_bytes([a, b, c, 0]))
    }

    /// `int<4>`, little-endian.
    pub fn u32(&mut self, field: &'static str) -> ParseResult<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// `int<6>`, little-endian.
    pub fn u48(&mut self, field: &'static str) -> ParseResult<u64> {
        let [a, b, c, d, e, f] = self.array::<6>(field)?;
        Ok(u64::from_le_bytes([a, b, c, d, e, f, 0, 0]))
    }

    /// `int<8>`, little-endian.
    pub fn u64(&mut self, field: &'static str) -> ParseResult<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// `int<lenenc>`, with 0xFB reported as [`Lenenc::Null`].
    ///
    /// Prefixes (MySQL "Integer Types"): `< 0xFB` is the value itself; 0xFC, 0xFD, 0xFE are
    /// followed by 2, 3, 8 bytes. 0xFF is never a valid prefix (it starts an ERR packet).
    pub fn lenenc_or_null(&mut self, field: &'static str) -> ParseResult<Lenenc> {
        let first = self.u8(field)?;
        Ok(match first {
            0..=0xFA => Lenenc::Value(u64::from(first)),
            0xFB => Lenenc::Null,
            0xFC => Lenenc::Value(u64::from(self.u16(field)?)),
            0xFD => Lenenc::Value(u64::from(self.u24(field)?)),
            0xFE => Lenenc::Value(self.u64(field)?),
            0xFF => return Err(self.error(field, ErrorKind::InvalidLenencPrefix)),
        })
    }

    /// `int<lenenc>` where NULL is not allowed.
    pub fn lenenc(&mut self, field: &'static str) -> ParseResult<u64> {
        match self.lenenc_or_null(field)? {
            Lenenc::Value(v) => Ok(v),
            Lenenc::Null => Err(self.error(field, ErrorKind::UnexpectedNull)),
        }
    }

    /// A length as `usize`, checked against what remains in the packet (so it can never ask
    /// for more than the packet holds, whatever the server claims).
    pub fn len_checked(&mut self, field: &'static str) -> ParseResult<usize> {
        let n = self.lenenc(field)?;
        let n = usize::try_from(n).map_err(|_| self.error(field, ErrorKind::Truncated))?;
        if n > self.remaining() {
            return Err(self.error(field, ErrorKind::Truncated));
        }
        Ok(n)
    }

    /// `string<lenenc>` (NULL not allowed).
    pub fn lenenc_bytes(&mut self, field: &'static str) -> ParseResult<&'a [u8]> {
        let n = self.len_checked(field)?;
        self.take(n, field)
    }

    /// `string<lenenc>` or NULL.
    pub fn lenenc_bytes_or_null(&mut self, field: &'static str) -> ParseResult<Option<&'a [u8]>> {
        match self.lenenc_or_null(field)? {
            Lenenc::Null => Ok(None),
            Lenenc::Value(n) => {
                let n = usize::try_from(n).map_err(|_| self.error(field, ErrorKind::Truncated))?;
                self.take(n, field).map(Some)
            }
        }
    }

    /// `string<NUL>`: bytes up to a NUL, which is consumed and not returned.
    pub fn nul_bytes(&mut self, field: &'static str) -> ParseResult<&'a [u8]> {
        let rest = self.rest();
        let i = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.error(field, ErrorKind::MissingNul))?;
        let s = self.take(i, field)?;
        self.skip(1, field)?;
        Ok(s)
    }

    /// `string<EOF>`: everything that remains.
    pub fn eof_bytes(&mut self) -> &'a [u8] {
        let s = self.rest();
        self.pos = self.buf.len();
        s
    }

    /// Fails with `TrailingBytes` naming `field` if anything is left.
    pub fn finish(&self, field: &'static str) -> ParseResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(field, ErrorKind::TrailingBytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_prefixes() {
        let mut r = Reader::new(
            &[
                0xFA, 0xFC, 0x34, 0x12, 0xFD, 1, 2, 3, 0xFE, 1, 0, 0, 0, 0, 0, 0, 0x80, 0xFB,
            ],
            Packet::Ok,
        );
        assert_eq!(r.lenenc("a").unwrap(), 0xFA);
        assert_eq!(r.lenenc("b").unwrap(), 0x1234);
        assert_eq!(r.lenenc("c").unwrap(), 0x030201);
        assert_eq!(r.lenenc("d").unwrap(), 0x8000_0000_0000_0001);
        assert_eq!(
            r.lenenc("e").unwrap_err(),
            ParseError::new(Packet::Ok, "e", ErrorKind::UnexpectedNull)
        );
    }

    #[test]
    fn lenenc_ff_and_short_prefix_are_errors() {
        let mut r = Reader::new(&[0xFF], Packet::Row);
        assert_eq!(
            r.lenenc("x").unwrap_err().kind,
            ErrorKind::InvalidLenencPrefix
        );
        let mut r = Reader::new(&[0xFC, 0x01], Packet::Row);
        assert_eq!(r.lenenc("x").unwrap_err().kind, ErrorKind::Truncated);
        let mut r = Reader::new(&[0xFE, 1, 2, 3], Packet::Row);
        assert_eq!(r.lenenc("x").unwrap_err().kind, ErrorKind::Truncated);
    }

    #[test]
    fn huge_declared_length_is_truncated_not_allocated() {
        let mut r = Reader::new(&[0xFE, 0, 0, 0, 0, 0, 0, 0, 0x80, b'a'], Packet::Row);
        assert_eq!(
            r.lenenc_bytes("cell").unwrap_err().kind,
            ErrorKind::Truncated
        );
    }

    #[test]
    fn strings() {
        let mut r = Reader::new(b"\x03abcxy\0rest", Packet::Handshake);
        assert_eq!(r.lenenc_bytes("a").unwrap(), b"abc");
        assert_eq!(r.nul_bytes("b").unwrap(), b"xy");
        assert!(r.finish("c").is_err());
        assert_eq!(r.eof_bytes(), b"rest");
        assert!(r.finish("c").is_ok());
        let mut r = Reader::new(b"abc", Packet::Handshake);
        assert_eq!(r.nul_bytes("n").unwrap_err().kind, ErrorKind::MissingNul);
    }

    #[test]
    fn fixed_ints() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9], Packet::Ok);
        assert_eq!(r.u24("a").unwrap(), 0x030201);
        assert_eq!(r.u48("b").unwrap(), 0x0908_0706_0504);
        assert_eq!(r.u8("c").unwrap_err().kind, ErrorKind::Truncated);
    }
}
