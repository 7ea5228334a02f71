//! Binary-protocol cells to typed Rust values: the `from_binary` half of
//! [`FromValue`](super::FromValue). The rules are the table in the [module
//! documentation](super); this file holds the decoders the trait implementations call.
//!
//! A cell is what [`BinaryRowCells::get`](crate::codec::binary::BinaryRowCells::get) returns:
//! the fixed bytes of a number, the bytes after the length byte of a temporal, the string of any
//! other type. Cells of the length-encoded types carry the same bytes as in the text protocol,
//! so they are decoded by the text rules (`from_text`), which is what makes the two protocols
//! agree.

use std::fmt::{self, Write as _};

use super::super::binary::BinaryLayout;
use super::super::error::{ErrorKind, ParseError};
use super::super::flags::{ColumnFlags, ColumnType};
use super::{err, Date, DateTime, Decimal, FromValue, Time};

/// What a binary cell holds, by its column's layout, decoded as far as the layout says.
pub(super) enum Cell<'a> {
    /// An integer column (`TINY`, `SHORT`, `YEAR`, `INT24`, `LONG`, `LONGLONG`), with its sign
    /// taken from the `UNSIGNED` flag.
    Int(i128),
    /// A `FLOAT` column.
    F32(f32),
    /// A `DOUBLE` column.
    F64(f64),
    /// A `DATE` / `DATETIME` / `TIMESTAMP` column; `date_only` for `DATE`.
    DateTime { value: DateTime, date_only: bool },
    /// A `TIME` column.
    Time(Time),
    /// A length-encoded column: the same bytes as a text-protocol cell.
    Text(&'a [u8]),
}

/// The decoded cell, or the error kind (`InvalidValue` for a wrong size, a non-finite float, a
/// bad sign byte; `OutOfRange` for a temporal part out of range).
#[inline]
pub(super) fn cell(
    bytes: &[u8],
    col: ColumnType,
    flags: ColumnFlags,
) -> Result<Cell<'_>, ErrorKind> {
    let unsigned = flags.contains(ColumnFlags::UNSIGNED);
    match BinaryLayout::of(col) {
        BinaryLayout::Fixed(_) => fixed(bytes, col, unsigned),
        BinaryLayout::DateTime => Ok(Cell::DateTime {
            value: datetime(bytes)?,
            date_only: col == ColumnType::DATE,
        }),
        BinaryLayout::Time => time(bytes).map(Cell::Time),
        // A NULL-typed column has no value in a binary row (the row parser refuses one); given
        // bytes anyway, they are read as text, as the text protocol would.
        BinaryLayout::Null | BinaryLayout::LengthEncoded => Ok(Cell::Text(bytes)),
    }
}

#[inline]
fn array<const N: usize>(b: &[u8]) -> Result<[u8; N], ErrorKind> {
    <[u8; N]>::try_from(b).map_err(|_| ErrorKind::InvalidValue)
}

#[inline]
fn fixed(b: &[u8], col: ColumnType, unsigned: bool) -> Result<Cell<'_>, ErrorKind> {
    Ok(match col.0 {
        0x04 => Cell::F32(finite32(f32::from_le_bytes(array(b)?))?),
        0x05 => Cell::F64(finite64(f64::from_le_bytes(array(b)?))?),
        0x01 => {
            let [x] = array::<1>(b)?;
            Cell::Int(if unsigned {
                i128::from(x)
            } else {
                i128::from(i8::from_le_bytes([x]))
            })
        }
        0x02 | 0x0d => {
            let a = array::<2>(b)?;
            Cell::Int(if unsigned {
                i128::from(u16::from_le_bytes(a))
            } else {
                i128::from(i16::from_le_bytes(a))
            })
        }
        0x03 | 0x09 => {
            let a = array::<4>(b)?;
            Cell::Int(if unsigned {
                i128::from(u32::from_le_bytes(a))
            } else {
                i128::from(i32::from_le_bytes(a))
            })
        }
        _ => {
            let a = array::<8>(b)?;
            Cell::Int(if unsigned {
                i128::from(u64::from_le_bytes(a))
            } else {
                i128::from(i64::from_le_bytes(a))
            })
        }
    })
}

#[inline]
fn finite32(v: f32) -> Result<f32, ErrorKind> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ErrorKind::InvalidValue)
    }
}

#[inline]
fn finite64(v: f64) -> Result<f64, ErrorKind> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ErrorKind::InvalidValue)
    }
}

/// The payload of a binary DATE / DATETIME / TIMESTAMP (after its length byte): 0, 4, 7 or 11
/// bytes. Parts out of range (month 13, hour 24, …) are `OutOfRange`, as in the text protocol.
#[inline]
pub(super) fn datetime(b: &[u8]) -> Result<DateTime, ErrorKind> {
    let (date, time): ([u8; 4], [u8; 7]) = match *b {
        [] => ([0; 4], [0; 7]),
        [y0, y1, mo, d] => ([y0, y1, mo, d], [0; 7]),
        [y0, y1, mo, d, h, mi, s] => ([y0, y1, mo, d], [h, mi, s, 0, 0, 0, 0]),
        [y0, y1, mo, d, h, mi, s, u0, u1, u2, u3] => ([y0, y1, mo, d], [h, mi, s, u0, u1, u2, u3]),
        _ => return Err(ErrorKind::InvalidValue),
    };
    let [y0, y1, mo, d] = date;
    let [h, mi, s, u0, u1, u2, u3] = time;
    let date = Date::new(u16::from_le_bytes([y0, y1]), mo, d).map_err(|_| ErrorKind::OutOfRange)?;
    DateTime::new(date, h, mi, s, u32::from_le_bytes([u0, u1, u2, u3]))
        .map_err(|_| ErrorKind::OutOfRange)
}

/// The payload of a binary TIME (after its length byte): 0, 8 or 12 bytes. The sign byte must
/// be 0 or 1 and the hour of the day below 24 (else `InvalidValue` / `OutOfRange`); the hours
/// are `days * 24 + hour`, at most 838 as in the text protocol.
pub(super) fn time(b: &[u8]) -> Result<Time, ErrorKind> {
    let (neg, days, h, mi, s, us) = match *b {
        [] => (0, [0; 4], 0, 0, 0, [0; 4]),
        [n, d0, d1, d2, d3, h, mi, s] => (n, [d0, d1, d2, d3], h, mi, s, [0; 4]),
        [n, d0, d1, d2, d3, h, mi, s, u0, u1, u2, u3] => {
            (n, [d0, d1, d2, d3], h, mi, s, [u0, u1, u2, u3])
        }
        _ => return Err(ErrorKind::InvalidValue),
    };
    let negative = match neg {
        0 => false,
        1 => true,
        _ => return Err(ErrorKind::InvalidValue),
    };
    if h > 23 {
        return Err(ErrorKind::OutOfRange);
    }
    let hours = u64::from(u32::from_le_bytes(days))
        .saturating_mul(24)
        .saturating_add(u64::from(h));
    let hours = u32::try_from(hours).map_err(|_| ErrorKind::OutOfRange)?;
    Time::new(negative, hours, mi, s, u32::from_le_bytes(us)).map_err(|_| ErrorKind::OutOfRange)
}

// ---------------------------------------------------------------------------------------------
// Getters
// ---------------------------------------------------------------------------------------------

/// An integer getter: integer cells by range, text cells by the text rules, the rest
/// `InvalidValue`.
#[inline]
pub(super) fn int<'a, T>(
    bytes: &'a [u8],
    col: ColumnType,
    flags: ColumnFlags,
    name: &'static str,
) -> Result<T, ParseError>
where
    T: FromValue<'a> + TryFrom<i128>,
{
    // INT, the common case, without the general cell (the same value and errors).
    if col.0 == 0x03 {
        let a = array::<4>(bytes).map_err(|k| err(name, k))?;
        let v = if flags.contains(ColumnFlags::UNSIGNED) {
            i128::from(u32::from_le_bytes(a))
        } else {
            i128::from(i32::from_le_bytes(a))
        };
        return T::try_from(v).map_err(|_| err(name, ErrorKind::OutOfRange));
    }
    match cell(bytes, col, flags).map_err(|k| err(name, k))? {
        Cell::Int(v) => T::try_from(v).map_err(|_| err(name, ErrorKind::OutOfRange)),
        Cell::Text(b) => T::from_text(b, col, flags),
        _ => Err(err(name, ErrorKind::InvalidValue)),
    }
}

pub(super) fn bool_(bytes: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<bool, ParseError> {
    match cell(bytes, col, flags).map_err(|k| err("bool", k))? {
        Cell::Int(v) => Ok(v != 0),
        Cell::Text(b) => bool::from_text(b, col, flags),
        _ => Err(err("bool", ErrorKind::InvalidValue)),
    }
}

/// An `f64` from any number. FLOAT widens exactly (the text protocol would give the f64
/// nearest to the server's decimal text of the f32 instead: see the module docs).
#[inline]
pub(super) fn f64_(bytes: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<f64, ParseError> {
    // DOUBLE, the common case, without the general cell (the same value and errors).
    if col == ColumnType::DOUBLE {
        return array::<8>(bytes)
            .and_then(|a| finite64(f64::from_le_bytes(a)))
            .map_err(|k| err("f64", k));
    }
    match cell(bytes, col, flags).map_err(|k| err("f64", k))? {
        // Integer-to-float `as` rounds to nearest, ties to even: the same f64 that parsing the
        // integer's decimal text gives.
        #[allow(clippy::cast_precision_loss)]
        Cell::Int(v) => Ok(v as f64),
        Cell::F32(v) => Ok(f64::from(v)),
        Cell::F64(v) => Ok(v),
        Cell::Text(b) => f64::from_text(b, col, flags),
        _ => Err(err("f64", ErrorKind::InvalidValue)),
    }
}

/// An `f32` from any number. A DOUBLE is rounded the way the text protocol rounds it: its
/// shortest decimal form, parsed as an `f32` (too large is `OutOfRange`).
pub(super) fn f32_(bytes: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<f32, ParseError> {
    let v = match cell(bytes, col, flags).map_err(|k| err("f32", k))? {
        #[allow(clippy::cast_precision_loss)]
        Cell::Int(v) => v as f32,
        Cell::F32(v) => v,
        Cell::F64(v) => {
            let mut buf = StackText::new();
            write!(buf, "{v:e}").map_err(|_| err("f32", ErrorKind::InvalidValue))?;
            buf.as_str()
                .parse::<f32>()
                .map_err(|_| err("f32", ErrorKind::InvalidValue))?
        }
        Cell::Text(b) => return f32::from_text(b, col, flags),
        _ => return Err(err("f32", ErrorKind::InvalidValue)),
    };
    if v.is_finite() {
        Ok(v)
    } else {
        Err(err("f32", ErrorKind::OutOfRange))
    }
}

#[inline]
pub(super) fn decimal<'a>(
    bytes: &'a [u8],
    col: ColumnType,
    flags: ColumnFlags,
) -> Result<Decimal<'a>, ParseError> {
    // DECIMAL (and every length-encoded cell) is text: no general cell to build.
    if BinaryLayout::of(col) == BinaryLayout::LengthEncoded {
        return Decimal::from_text(bytes, col, flags);
    }
    match cell(bytes, col, flags).map_err(|k| err("decimal", k))? {
        Cell::Int(v) => Ok(Decimal::from_integer(v)),
        Cell::Text(b) => Decimal::from_text(b, col, flags),
        _ => Err(err("decimal", ErrorKind::InvalidValue)),
    }
}

pub(super) fn date(bytes: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<Date, ParseError> {
    match cell(bytes, col, flags).map_err(|k| err("date", k))? {
        Cell::DateTime { value, .. } if value.is_midnight() => Ok(value.date()),
        Cell::Text(b) => Date::from_text(b, col, flags),
        _ => Err(err("date", ErrorKind::InvalidValue)),
    }
}

#[inline]
pub(super) fn datetime_(
    bytes: &[u8],
    col: ColumnType,
    flags: ColumnFlags,
) -> Result<DateTime, ParseError> {
    // DATETIME / TIMESTAMP / DATE cells without the general cell (the same value and errors).
    if BinaryLayout::of(col) == BinaryLayout::DateTime {
        return datetime(bytes).map_err(|k| err("datetime", k));
    }
    match cell(bytes, col, flags).map_err(|k| err("datetime", k))? {
        Cell::DateTime { value, .. } => Ok(value),
        Cell::Text(b) => DateTime::from_text(b, col, flags),
        _ => Err(err("datetime", ErrorKind::InvalidValue)),
    }
}

pub(super) fn time_(bytes: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<Time, ParseError> {
    match cell(bytes, col, flags).map_err(|k| err("time", k))? {
        Cell::Time(v) => Ok(v),
        Cell::Text(b) => Time::from_text(b, col, flags),
        _ => Err(err("time", ErrorKind::InvalidValue)),
    }
}

/// `&str` and `&[u8]` borrow the cell: only length-encoded cells have bytes to lend.
#[inline]
pub(super) fn text_bytes<'a>(
    bytes: &'a [u8],
    col: ColumnType,
    flags: ColumnFlags,
    name: &'static str,
) -> Result<&'a [u8], ParseError> {
    match BinaryLayout::of(col) {
        BinaryLayout::LengthEncoded | BinaryLayout::Null => Ok(bytes),
        _ => {
            // A malformed cell reports its own error first, as every other getter does.
            cell(bytes, col, flags).map_err(|k| err(name, k))?;
            Err(err(name, ErrorKind::InvalidValue))
        }
    }
}

/// `String` (and `Vec<u8>`): a length-encoded cell's text, or the value formatted: integers in
/// decimal, floats in Rust's shortest round-trip form, `DATE` as `YYYY-MM-DD`, datetimes and
/// times by their `Display` (fraction trimmed).
pub(super) fn string(
    bytes: &[u8],
    col: ColumnType,
    flags: ColumnFlags,
    name: &'static str,
) -> Result<Option<String>, ParseError> {
    Ok(Some(
        match cell(bytes, col, flags).map_err(|k| err(name, k))? {
            Cell::Text(_) => return Ok(None),
            Cell::Int(v) => v.to_string(),
            Cell::F32(v) => v.to_string(),
            Cell::F64(v) => v.to_string(),
            Cell::DateTime {
                value,
                date_only: true,
            } if value.is_midnight() => value.date().to_string(),
            Cell::DateTime { value, .. } => value.to_string(),
            Cell::Time(v) => v.to_string(),
        },
    ))
}

/// A small stack buffer for formatting one float (the longest `{:e}` of an f64 is 24 bytes).
pub(super) struct StackText {
    buf: [u8; 40],
    len: usize,
}

impl StackText {
    pub(super) fn new() -> Self {
        StackText {
            buf: [0; 40],
            len: 0,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Param, ParamType, ToParam};
    use super::*;
    use crate::codec::binary::{encode_binary_row, BinaryRowCells};
    use crate::codec::error::Packet;
    use bytes::BytesMut;

    const NOF: ColumnFlags = ColumnFlags::empty();
    const UNS: ColumnFlags = ColumnFlags::UNSIGNED;

    fn get<'a, T: FromValue<'a>>(
        b: &'a [u8],
        col: ColumnType,
        f: ColumnFlags,
    ) -> Result<T, ParseError> {
        T::from_binary(b, col, f)
    }

    fn kind<'a, T: FromValue<'a> + fmt::Debug>(
        b: &'a [u8],
        col: ColumnType,
        f: ColumnFlags,
    ) -> ErrorKind {
        get::<T>(b, col, f).unwrap_err().kind
    }

    #[test]
    fn integers_by_width_and_sign() {
        assert_eq!(get::<i64>(&[0xff], ColumnType::TINY, NOF), Ok(-1));
        assert_eq!(get::<i64>(&[0xff], ColumnType::TINY, UNS), Ok(255));
        assert_eq!(get::<i64>(&[0xff, 0xff], ColumnType::SHORT, NOF), Ok(-1));
        assert_eq!(get::<i64>(&[0xff, 0xff], ColumnType::YEAR, UNS), Ok(65535));
        assert_eq!(get::<i64>(&[0xff; 4], ColumnType::INT24, NOF), Ok(-1));
        assert_eq!(
            get::<i64>(&[0xff; 4], ColumnType::LONG, UNS),
            Ok(4_294_967_295)
        );
        assert_eq!(
            get::<u64>(&[0xff; 8], ColumnType::LONGLONG, UNS),
            Ok(u64::MAX)
        );
        assert_eq!(get::<i64>(&[0xff; 8], ColumnType::LONGLONG, NOF), Ok(-1));
        // Ranges as in the text protocol: SHORT 300 into i8, -1 into u64, u64::MAX into i64.
        let e = get::<i8>(&300i16.to_le_bytes(), ColumnType::SHORT, NOF).unwrap_err();
        assert_eq!(
            e,
            ParseError::new(Packet::Value, "i8", ErrorKind::OutOfRange)
        );
        assert_eq!(
            kind::<u64>(&[0xff; 8], ColumnType::LONGLONG, NOF),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<i64>(&[0xff; 8], ColumnType::LONGLONG, UNS),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            get::<u8>(&255u16.to_le_bytes(), ColumnType::SHORT, NOF),
            Ok(255)
        );
        assert_eq!(
            kind::<u8>(&256u16.to_le_bytes(), ColumnType::SHORT, NOF),
            ErrorKind::OutOfRange
        );
        // Wrong sizes.
        for (col, n) in [
            (ColumnType::TINY, 2),
            (ColumnType::SHORT, 1),
            (ColumnType::LONG, 3),
            (ColumnType::LONGLONG, 4),
        ] {
            let b = vec![0u8; n];
            assert_eq!(kind::<i64>(&b, col, NOF), ErrorKind::InvalidValue, "{col}");
            assert_eq!(kind::<bool>(&b, col, NOF), ErrorKind::InvalidValue, "{col}");
            assert_eq!(
                kind::<String>(&b, col, NOF),
                ErrorKind::InvalidValue,
                "{col}"
            );
            assert_eq!(
                kind::<&[u8]>(&b, col, NOF),
                ErrorKind::InvalidValue,
                "{col}"
            );
        }
        // bool, Decimal, f64 from integers.
        assert_eq!(get::<bool>(&[0], ColumnType::TINY, NOF), Ok(false));
        assert_eq!(get::<bool>(&[0, 1], ColumnType::SHORT, NOF), Ok(true));
        assert_eq!(
            get::<Decimal>(&[0xff; 8], ColumnType::LONGLONG, UNS)
                .unwrap()
                .as_str(),
            "18446744073709551615"
        );
        assert_eq!(
            get::<Decimal>(&[0xfb], ColumnType::TINY, NOF)
                .unwrap()
                .as_str(),
            "-5"
        );
        assert_eq!(
            get::<f64>(&[0xff; 8], ColumnType::LONGLONG, UNS),
            Ok(18_446_744_073_709_551_615.0)
        );
        assert_eq!(
            get::<f32>(&16_777_217i32.to_le_bytes(), ColumnType::LONG, NOF),
            Ok(16_777_216.0)
        );
        // Integers are not temporals.
        for t in [ColumnType::DATE, ColumnType::DATETIME, ColumnType::TIME] {
            assert_eq!(
                kind::<Date>(&[1], ColumnType::TINY, NOF),
                ErrorKind::InvalidValue,
                "{t}"
            );
        }
        assert_eq!(
            kind::<Time>(&[1], ColumnType::TINY, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<DateTime>(&[1, 0, 0, 0], ColumnType::LONG, NOF),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn floats() {
        let f = 10.2f32.to_le_bytes();
        assert_eq!(get::<f32>(&f, ColumnType::FLOAT, NOF), Ok(10.2));
        assert_eq!(
            get::<f64>(&f, ColumnType::FLOAT, NOF),
            Ok(f64::from(10.2f32))
        );
        let d = 1e39f64.to_le_bytes();
        assert_eq!(get::<f64>(&d, ColumnType::DOUBLE, NOF), Ok(1e39));
        assert_eq!(
            get::<f32>(&d, ColumnType::DOUBLE, NOF).unwrap_err(),
            ParseError::new(Packet::Value, "f32", ErrorKind::OutOfRange)
        );
        assert_eq!(
            get::<f32>(&0.1f64.to_le_bytes(), ColumnType::DOUBLE, NOF),
            Ok(0.1f32)
        );
        for (bad, bad32) in [
            (f64::NAN, f32::NAN),
            (f64::INFINITY, f32::INFINITY),
            (f64::NEG_INFINITY, f32::NEG_INFINITY),
        ] {
            assert_eq!(
                kind::<f64>(&bad.to_le_bytes(), ColumnType::DOUBLE, NOF),
                ErrorKind::InvalidValue
            );
            assert_eq!(
                kind::<f32>(&bad32.to_le_bytes(), ColumnType::FLOAT, NOF),
                ErrorKind::InvalidValue
            );
        }
        // Floats are not integers, decimals or booleans (as in the text protocol).
        assert_eq!(
            kind::<i64>(&f, ColumnType::FLOAT, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<bool>(&d, ColumnType::DOUBLE, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<Decimal>(&d, ColumnType::DOUBLE, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<f64>(&[0; 4], ColumnType::DOUBLE, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            get::<String>(&f, ColumnType::FLOAT, NOF).as_deref(),
            Ok("10.2")
        );
        assert_eq!(
            get::<String>(&(-0.5f64).to_le_bytes(), ColumnType::DOUBLE, NOF).as_deref(),
            Ok("-0.5")
        );
    }

    #[test]
    fn temporals() {
        let day = Date::new(2024, 2, 29).unwrap();
        let dt = |b: &[u8]| get::<DateTime>(b, ColumnType::DATETIME, NOF);
        assert_eq!(dt(&[]), Ok(DateTime::from(Date::ZERO)));
        assert_eq!(dt(&[0xe8, 0x07, 2, 29]), Ok(DateTime::from(day)));
        assert_eq!(
            dt(&[0xe8, 0x07, 2, 29, 23, 59, 59]),
            Ok(DateTime::new(day, 23, 59, 59, 0).unwrap())
        );
        assert_eq!(
            dt(&[0xe8, 0x07, 2, 29, 0, 0, 0, 0x3f, 0x42, 0x0f, 0]),
            Ok(DateTime::new(day, 0, 0, 0, 999_999).unwrap())
        );
        for bad in [
            &[0xe8, 0x07, 13, 1][..],
            &[0xe8, 0x07, 1, 32],
            &[0x10, 0x27, 1, 1],
            &[0xe8, 0x07, 1, 1, 24, 0, 0],
            &[0xe8, 0x07, 1, 1, 0, 60, 0],
            &[0xe8, 0x07, 1, 1, 0, 0, 60],
            &[0xe8, 0x07, 1, 1, 0, 0, 0, 0x40, 0x42, 0x0f, 0],
        ] {
            assert_eq!(dt(bad).unwrap_err().kind, ErrorKind::OutOfRange, "{bad:?}");
            assert_eq!(
                kind::<Date>(bad, ColumnType::DATE, NOF),
                ErrorKind::OutOfRange,
                "{bad:?}"
            );
            assert_eq!(
                kind::<String>(bad, ColumnType::DATE, NOF),
                ErrorKind::OutOfRange,
                "{bad:?}"
            );
        }
        for bad in [&[0u8; 1][..], &[0; 5], &[0; 8], &[0; 12]] {
            assert_eq!(
                dt(bad).unwrap_err().kind,
                ErrorKind::InvalidValue,
                "{bad:?}"
            );
        }
        // Date from a datetime only at midnight; DateTime from a DATE at midnight.
        assert_eq!(
            get::<Date>(&[0xe8, 0x07, 2, 29, 0, 0, 0], ColumnType::DATETIME, NOF),
            Ok(day)
        );
        assert_eq!(
            kind::<Date>(&[0xe8, 0x07, 2, 29, 0, 0, 1], ColumnType::TIMESTAMP, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            get::<DateTime>(&[0xe8, 0x07, 2, 29], ColumnType::DATE, NOF),
            Ok(DateTime::from(day))
        );
        assert_eq!(
            get::<String>(&[0xe8, 0x07, 2, 29], ColumnType::DATE, NOF).as_deref(),
            Ok("2024-02-29")
        );
        assert_eq!(
            get::<String>(&[0xe8, 0x07, 2, 29], ColumnType::DATETIME, NOF).as_deref(),
            Ok("2024-02-29 00:00:00")
        );
        assert_eq!(
            get::<Vec<u8>>(&[], ColumnType::DATE, NOF),
            Ok(b"0000-00-00".to_vec())
        );
        // Temporals are not numbers, and DATE is not TIME.
        assert_eq!(
            kind::<i64>(&[0xe8, 0x07, 2, 29], ColumnType::DATE, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<f64>(&[], ColumnType::TIME, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<Time>(&[], ColumnType::DATE, NOF),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<Date>(&[], ColumnType::TIME, NOF),
            ErrorKind::InvalidValue
        );

        let tm = |b: &[u8]| get::<Time>(b, ColumnType::TIME, NOF);
        assert_eq!(tm(&[]), Ok(Time::new(false, 0, 0, 0, 0).unwrap()));
        // -838:59:59.999999 as MariaDB sends it: 34 days, 22 hours.
        let max = [1, 34, 0, 0, 0, 22, 59, 59, 0x3f, 0x42, 0x0f, 0];
        assert_eq!(tm(&max), Ok(Time::new(true, 838, 59, 59, 999_999).unwrap()));
        assert_eq!(
            tm(&[0, 1, 0, 0, 0, 1, 0, 0]),
            Ok(Time::new(false, 25, 0, 0, 0).unwrap())
        );
        // A negative zero is zero.
        assert_eq!(
            tm(&[1, 0, 0, 0, 0, 0, 0, 0]),
            Ok(Time::new(false, 0, 0, 0, 0).unwrap())
        );
        for bad in [
            &[0, 34, 0, 0, 0, 23, 0, 0][..],
            &[0, 0, 0, 0, 0, 24, 0, 0],
            &[0, 0, 0, 0, 0, 0, 60, 0],
            &[0, 0, 0, 0, 0, 0, 0, 60],
            &[0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0],
        ] {
            let e = tm(bad).unwrap_err();
            assert_eq!(
                (e.field, e.kind),
                ("time", ErrorKind::OutOfRange),
                "{bad:?}"
            );
        }
        assert_eq!(
            tm(&[2, 0, 0, 0, 0, 1, 0, 0]).unwrap_err().kind,
            ErrorKind::InvalidValue
        );
        for n in [1, 4, 7, 9, 11, 13] {
            assert_eq!(
                tm(&vec![0; n]).unwrap_err().kind,
                ErrorKind::InvalidValue,
                "{n}"
            );
        }
        assert_eq!(
            get::<String>(&max, ColumnType::TIME, NOF).as_deref(),
            Ok("-838:59:59.999999")
        );
        assert_eq!(
            kind::<&str>(&max, ColumnType::TIME, NOF),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn length_encoded_cells_follow_the_text_rules() {
        for col in [
            ColumnType::VAR_STRING,
            ColumnType::NEWDECIMAL,
            ColumnType::BLOB,
            ColumnType(0x77),
        ] {
            for b in [
                &b"42"[..],
                b"-1.50",
                b"",
                b"\xff",
                b"2024-01-01",
                b"12:00:00",
            ] {
                macro_rules! same {
                    ($($t:ty),*) => {$(
                        assert_eq!(get::<$t>(b, col, NOF), <$t>::from_text(b, col, NOF), "{col} {b:?}");
                    )*};
                }
                same!(
                    i8,
                    u64,
                    bool,
                    f32,
                    f64,
                    Decimal,
                    Date,
                    DateTime,
                    Time,
                    &str,
                    String,
                    &[u8],
                    Vec<u8>
                );
            }
        }
        // BIT is raw bytes in both protocols.
        assert_eq!(get::<u16>(b"\x02\x01", ColumnType::BIT, UNS), Ok(0x0201));
        // A NULL-typed column has no binary value; bytes given anyway read as text.
        assert_eq!(get::<i64>(b"7", ColumnType::NULL, NOF), Ok(7));
    }

    /// Every value encoded as a parameter reads back as itself from a binary row.
    #[test]
    fn parameters_read_back() {
        let d = Date::new(2024, 2, 29).unwrap();
        let values: Vec<Param<'static>> = vec![
            Param::Int(-7),
            Param::UInt(u64::MAX),
            Param::Float(1.5),
            Param::Double(-2.25),
            Param::from("text"),
            Param::Bytes(vec![0, 1, 2].into()),
            Param::Decimal(Decimal::parse("3.14").unwrap().into_owned()),
            Param::Date(d),
            Param::DateTime(DateTime::new(d, 1, 2, 3, 4).unwrap()),
            Param::Time(Time::new(true, 100, 0, 0, 0).unwrap()),
            Param::Null,
        ];
        let refs: Vec<&dyn ToParam> = values.iter().map(|v| v as &dyn ToParam).collect();
        let mut row = BytesMut::new();
        encode_binary_row(&refs, &mut row);
        let types: Vec<ParamType> = refs.iter().map(|p| p.param_type()).collect();
        let mut cells = BinaryRowCells::new();
        cells
            .parse_types(&row, types.iter().map(|t| t.column_type))
            .unwrap();
        let c = |i: usize| {
            (
                cells.get(&row, i).unwrap(),
                types[i].column_type,
                types[i].column_flags(),
            )
        };
        let (b, t, f) = c(0);
        assert_eq!(get::<i64>(b, t, f), Ok(-7));
        let (b, t, f) = c(1);
        assert_eq!(get::<u64>(b, t, f), Ok(u64::MAX));
        let (b, t, f) = c(2);
        assert_eq!(get::<f32>(b, t, f), Ok(1.5));
        let (b, t, f) = c(3);
        assert_eq!(get::<f64>(b, t, f), Ok(-2.25));
        let (b, t, f) = c(4);
        assert_eq!(get::<&str>(b, t, f), Ok("text"));
        let (b, t, f) = c(5);
        assert_eq!(get::<&[u8]>(b, t, f), Ok(&[0u8, 1, 2][..]));
        let (b, t, f) = c(6);
        assert_eq!(get::<Decimal>(b, t, f).unwrap().as_str(), "3.14");
        let (b, t, f) = c(7);
        assert_eq!(get::<Date>(b, t, f), Ok(d));
        let (b, t, f) = c(8);
        assert_eq!(get::<DateTime>(b, t, f).unwrap().micros(), 4);
        let (b, t, f) = c(9);
        assert_eq!(get::<Time>(b, t, f).unwrap().to_string(), "-100:00:00");
        assert!(cells.is_null(10));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// A value of every parameter type, with the text MariaDB sends for it in a text row of
        /// a column of that type.
        fn value() -> impl Strategy<Value = (Param<'static>, String)> {
            let date =
                (0..=9999u16, 0..=12u8, 0..=31u8).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap());
            let datetime = (
                date.clone(),
                0..=23u8,
                0..=59u8,
                0..=59u8,
                prop_oneof![Just(0u32), 0..=999_999u32],
            )
                .prop_map(|(d, h, mi, s, us)| DateTime::new(d, h, mi, s, us).unwrap());
            let time = (
                any::<bool>(),
                0..=838u32,
                0..=59u8,
                0..=59u8,
                prop_oneof![Just(0u32), 0..=999_999u32],
            )
                .prop_map(|(n, h, m, s, us)| Time::new(n, h, m, s, us).unwrap());
            let finite32 = any::<f32>().prop_filter("finite", |v| v.is_finite());
            let finite64 = any::<f64>().prop_filter("finite", |v| v.is_finite());
            let decimal = ("-?[0-9]{1,30}(\\.[0-9]{1,20})?")
                .prop_map(|s| Decimal::parse(&s).unwrap().into_owned());
            prop_oneof![
                any::<i8>().prop_map(|v| (Param::Int(v.into()), v.to_string())),
                any::<i64>().prop_map(|v| (Param::Int(v), v.to_string())),
                any::<u64>().prop_map(|v| (Param::UInt(v), v.to_string())),
                (-1000i64..1000).prop_map(|v| (Param::Int(v), v.to_string())),
                finite32.prop_map(|v| (Param::Float(v), v.to_string())),
                finite64.prop_map(|v| (Param::Double(v), v.to_string())),
                decimal.prop_map(|v| {
                    let t = v.to_string();
                    (Param::Decimal(v), t)
                }),
                ".{0,20}".prop_map(|s| (Param::Text(s.clone().into()), s)),
                "[0-9 :.-]{0,20}".prop_map(|s| (Param::Text(s.clone().into()), s)),
                date.prop_map(|v| (Param::Date(v), v.to_string())),
                datetime.prop_map(|v| (Param::DateTime(v), v.to_string())),
                time.prop_map(|v| (Param::Time(v), v.to_string())),
            ]
        }

        /// The binary cell of `p`, as a binary row carries it.
        fn cell(p: &Param<'_>) -> (Vec<u8>, ColumnType, ColumnFlags) {
            let mut row = BytesMut::new();
            encode_binary_row(&[p as &dyn ToParam], &mut row);
            let t = p.param_type();
            let mut cells = BinaryRowCells::new();
            cells.parse_types(&row, [t.column_type]).unwrap();
            (
                cells.get(&row, 0).unwrap().to_vec(),
                t.column_type,
                t.column_flags(),
            )
        }

        proptest! {
            /// The key property: a value reads the same from its text cell and from its binary
            /// cell, for every getter (the same value or the same error), but for the
            /// documented differences.
            #[test]
            fn text_and_binary_read_the_same((p, text) in value()) {
                let (bin, col, flags) = cell(&p);
                let text = text.as_bytes();
                macro_rules! same {
                    ($($t:ty),*) => {$(
                        prop_assert_eq!(
                            <$t>::from_binary(&bin, col, flags),
                            <$t>::from_text(text, col, flags),
                            "{} {:?} as {}", col, p, stringify!($t)
                        );
                    )*};
                }
                same!(i8, i16, i32, i64, u8, u16, u32, u64, bool, Decimal, Date, DateTime, Time);
                // Temporals and integers print as their own Display, which is the text here.
                same!(String, Vec<u8>);
                if col == ColumnType::FLOAT {
                    same!(f32);
                    let t = f32::from_text(text, col, flags).unwrap();
                    prop_assert_eq!(f64::from_binary(&bin, col, flags), Ok(f64::from(t)));
                } else {
                    same!(f32, f64);
                }
                if BinaryLayout::of(col) == BinaryLayout::LengthEncoded {
                    same!(&str, &[u8]);
                } else {
                    prop_assert_eq!(<&str>::from_binary(&bin, col, flags).unwrap_err().kind, ErrorKind::InvalidValue);
                    prop_assert_eq!(<&[u8]>::from_binary(&bin, col, flags).unwrap_err().kind, ErrorKind::InvalidValue);
                }
            }

            /// A DATETIME's text at the column's full scale (`{:.6}`, as a DATETIME(6) column
            /// prints) reads the same too, for every getter but the strings.
            #[test]
            fn datetime_at_full_scale(
                d in (0..=9999u16, 0..=12u8, 0..=31u8, 0..=23u8, 0..=59u8, 0..=59u8, 0..=999_999u32)
            ) {
                let v = DateTime::new(Date::new(d.0, d.1, d.2).unwrap(), d.3, d.4, d.5, d.6).unwrap();
                let p = Param::DateTime(v);
                let (bin, col, flags) = cell(&p);
                let text = format!("{v:.6}");
                prop_assert_eq!(DateTime::from_binary(&bin, col, flags), DateTime::from_text(text.as_bytes(), col, flags));
                prop_assert_eq!(Date::from_binary(&bin, col, flags), Date::from_text(text.as_bytes(), col, flags));
            }

            /// Arbitrary bytes as any column type: every getter returns, never panics.
            #[test]
            fn any_cell_any_type(b in proptest::collection::vec(any::<u8>(), 0..16), code in any::<u8>(), fl in any::<u16>()) {
                let (col, flags) = (ColumnType(code), ColumnFlags(fl));
                let _ = (
                    get::<i8>(&b, col, flags), get::<u64>(&b, col, flags), get::<bool>(&b, col, flags),
                    get::<f32>(&b, col, flags), get::<f64>(&b, col, flags), get::<Decimal>(&b, col, flags),
                    get::<Date>(&b, col, flags), get::<DateTime>(&b, col, flags), get::<Time>(&b, col, flags),
                    get::<&str>(&b, col, flags), get::<String>(&b, col, flags), get::<&[u8]>(&b, col, flags),
                    get::<Vec<u8>>(&b, col, flags),
                );
            }
        }
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use proptest::prelude::*;

    /// What the getters gave before their fast paths: the general cell, then the conversion.
    fn general_i32(b: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<i32, ParseError> {
        match cell(b, col, flags).map_err(|k| err("i32", k))? {
            Cell::Int(v) => i32::try_from(v).map_err(|_| err("i32", ErrorKind::OutOfRange)),
            Cell::Text(t) => i32::from_text(t, col, flags),
            _ => Err(err("i32", ErrorKind::InvalidValue)),
        }
    }

    fn general_u16(b: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<u16, ParseError> {
        match cell(b, col, flags).map_err(|k| err("u16", k))? {
            Cell::Int(v) => u16::try_from(v).map_err(|_| err("u16", ErrorKind::OutOfRange)),
            Cell::Text(t) => u16::from_text(t, col, flags),
            _ => Err(err("u16", ErrorKind::InvalidValue)),
        }
    }

    fn general_f64(b: &[u8], col: ColumnType, flags: ColumnFlags) -> Result<f64, ParseError> {
        #[allow(clippy::cast_precision_loss)]
        match cell(b, col, flags).map_err(|k| err("f64", k))? {
            Cell::Int(v) => Ok(v as f64),
            Cell::F32(v) => Ok(f64::from(v)),
            Cell::F64(v) => Ok(v),
            Cell::Text(t) => f64::from_text(t, col, flags),
            _ => Err(err("f64", ErrorKind::InvalidValue)),
        }
    }

    fn general_datetime(
        b: &[u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<DateTime, ParseError> {
        match cell(b, col, flags).map_err(|k| err("datetime", k))? {
            Cell::DateTime { value, .. } => Ok(value),
            Cell::Text(t) => DateTime::from_text(t, col, flags),
            _ => Err(err("datetime", ErrorKind::InvalidValue)),
        }
    }

    fn general_decimal<'a>(
        b: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Decimal<'a>, ParseError> {
        match cell(b, col, flags).map_err(|k| err("decimal", k))? {
            Cell::Int(v) => Ok(Decimal::from_integer(v)),
            Cell::Text(t) => Decimal::from_text(t, col, flags),
            _ => Err(err("decimal", ErrorKind::InvalidValue)),
        }
    }

    proptest! {
        /// The getters' fast paths (INT, DOUBLE, the temporals, DECIMAL) give exactly what the
        /// general cell gives: the same value or the same error, for any bytes.
        #[test]
        fn fast_paths_agree_with_the_general_cell(
            b in proptest::collection::vec(
                prop_oneof![Just(0u8), Just(1), Just(b'5'), Just(b'.'), Just(0xff), any::<u8>()], 0..13),
            code in prop_oneof![Just(0x03u8), Just(0x05), Just(0x07), Just(0x0a), Just(0x0c),
                Just(0xf6), Just(0x09), Just(0x08), Just(0xfd), any::<u8>()],
            unsigned in any::<bool>(),
        ) {
            let col = ColumnType(code);
            let flags = if unsigned { ColumnFlags::UNSIGNED } else { ColumnFlags::empty() };
            prop_assert_eq!(int::<i32>(&b, col, flags, "i32"), general_i32(&b, col, flags));
            prop_assert_eq!(int::<u16>(&b, col, flags, "u16"), general_u16(&b, col, flags));
            let (fast, general) = (f64_(&b, col, flags), general_f64(&b, col, flags));
            prop_assert_eq!(fast.map(f64::to_bits), general.map(f64::to_bits));
            prop_assert_eq!(datetime_(&b, col, flags), general_datetime(&b, col, flags));
            prop_assert_eq!(decimal(&b, col, flags), general_decimal(&b, col, flags));
        }
    }
}
