//! Encoders append to a [`BytesMut`]; these are the field helpers they share.

use bytes::{BufMut, BytesMut};

/// Appends `int<lenenc>`.
#[inline]
pub fn put_lenenc(buf: &mut BytesMut, v: u64) {
    if let Ok(b @ 0..0xFB) = u8::try_from(v) {
        // `extend_from_slice` is inlined (BufMut's `put_*` is a call).
        buf.extend_from_slice(&[b]);
    } else if let Ok(w) = u16::try_from(v) {
        buf.put_u8(0xFC);
        buf.put_u16_le(w);
    } else if v <= 0xFF_FFFF {
        buf.put_u8(0xFD);
        buf.put_uint_le(v, 3);
    } else {
        buf.put_u8(0xFE);
        buf.put_u64_le(v);
    }
}

/// The encoded size of `int<lenenc>` for `v`.
pub fn lenenc_size(v: u64) -> usize {
    match v {
        0..=0xFA => 1,
        0xFB..=0xFFFF => 3,
        0x1_0000..=0xFF_FFFF => 4,
        _ => 9,
    }
}

/// Appends `string<lenenc>`.
#[inline]
pub fn put_lenenc_bytes(buf: &mut BytesMut, s: &[u8]) {
    put_lenenc(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

/// Appends `string<NUL>`.
pub fn put_nul_bytes(buf: &mut BytesMut, s: &[u8]) {
    buf.put_slice(s);
    buf.put_u8(0);
}

/// Appends `int<3>` (the low 24 bits of `v`).
pub fn put_u24(buf: &mut BytesMut, v: u32) {
    buf.put_uint_le(u64::from(v & 0xFF_FFFF), 3);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::error::Packet;
    use crate::codec::reader::Reader;

    #[test]
    fn lenenc_round_trips_at_every_boundary() {
        for v in [
            0u64,
            0xFA,
            0xFB,
            0xFFFF,
            0x1_0000,
            0xFF_FFFF,
            0x100_0000,
            u64::MAX,
        ] {
            let mut b = BytesMut::new();
            put_lenenc(&mut b, v);
            assert_eq!(lenenc_size(v), b.len(), "size of {v:#x}");
            let mut r = Reader::new(&b, Packet::Ok);
            assert_eq!(r.lenenc("v").unwrap(), v);
            r.finish("v").unwrap();
        }
    }
}
