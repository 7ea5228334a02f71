//! Integers, booleans, floats and exact decimals from text.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::super::error::{ErrorKind, ParseError};
use super::super::flags::{ColumnFlags, ColumnType};
use super::{binary, class, err, Class, FromValue};

/// Parses `-?[0-9]+` into (negative, magnitude).
#[inline]
fn parse_int_text(b: &[u8]) -> Result<(bool, u64), ErrorKind> {
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(ErrorKind::InvalidText);
    }
    if digits.len() <= 19 {
        // 19 decimal digits are below 10^19 < 2^64: no overflow check needed.
        let mut v: u64 = 0;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return Err(ErrorKind::InvalidText);
            }
            v = v * 10 + u64::from(d);
        }
        Ok((neg, v))
    } else {
        parse_long_int(neg, digits)
    }
}

/// The cold path: more than 19 digits (leading zeros or overflow).
#[cold]
fn parse_long_int(neg: bool, digits: &[u8]) -> Result<(bool, u64), ErrorKind> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(ErrorKind::InvalidText);
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(ErrorKind::OutOfRange)?;
    }
    Ok((neg, v))
}

/// `5.000` → `5`; a nonzero (or empty) fraction is invalid text for an integer.
#[inline]
fn strip_zero_fraction(b: &[u8]) -> Result<&[u8], ErrorKind> {
    match b.iter().position(|&c| c == b'.') {
        None => Ok(b),
        Some(p) => match b.split_at_checked(p) {
            Some((int, [b'.', frac @ ..]))
                if !frac.is_empty() && frac.iter().all(|&c| c == b'0') =>
            {
                Ok(int)
            }
            _ => Err(ErrorKind::InvalidText),
        },
    }
}

/// BIT(n): 1 to 8 raw bytes, big-endian.
#[inline]
fn bit_value(b: &[u8]) -> Result<u64, ErrorKind> {
    if b.is_empty() {
        return Err(ErrorKind::InvalidValue);
    }
    if b.len() > 8 {
        return Err(ErrorKind::OutOfRange);
    }
    Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// (negative, magnitude) of an integer cell, according to the column class.
#[inline]
fn int_source(b: &[u8], col: ColumnType) -> Result<(bool, u64), ErrorKind> {
    match class(col) {
        Class::Int | Class::Text => parse_int_text(b),
        Class::Decimal => parse_int_text(strip_zero_fraction(b)?),
        Class::Bit => Ok((false, bit_value(b)?)),
        _ => Err(ErrorKind::InvalidValue),
    }
}

macro_rules! impl_unsigned {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl<'a> FromValue<'a> for $t {
            #[inline]
            fn from_text(
                bytes: &'a [u8],
                col: ColumnType,
                _flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                let (neg, mag) = int_source(bytes, col).map_err(|k| err($name, k))?;
                if neg && mag != 0 {
                    return Err(err($name, ErrorKind::OutOfRange));
                }
                <$t>::try_from(mag).map_err(|_| err($name, ErrorKind::OutOfRange))
            }

            #[inline]
            fn from_binary(
                bytes: &'a [u8],
                col: ColumnType,
                flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                binary::int(bytes, col, flags, $name)
            }
        }
    )*};
}

macro_rules! impl_signed {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl<'a> FromValue<'a> for $t {
            #[inline]
            fn from_text(
                bytes: &'a [u8],
                col: ColumnType,
                _flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                let (neg, mag) = int_source(bytes, col).map_err(|k| err($name, k))?;
                // Every u64 and its negation fit in an i128; try_from checks the range
                // (|MIN| = MAX + 1).
                let v = if neg { -i128::from(mag) } else { i128::from(mag) };
                <$t>::try_from(v).map_err(|_| err($name, ErrorKind::OutOfRange))
            }

            #[inline]
            fn from_binary(
                bytes: &'a [u8],
                col: ColumnType,
                flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                binary::int(bytes, col, flags, $name)
            }
        }
    )*};
}

impl_unsigned!(u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64");
impl_signed!(i8 => "i8", i16 => "i16", i32 => "i32", i64 => "i64");

/// True when the integer text `-?[0-9]+` is not zero (any length).
#[inline]
fn int_text_nonzero(b: &[u8]) -> Result<bool, ErrorKind> {
    let digits = match b {
        [b'-', rest @ ..] => rest,
        _ => b,
    };
    if digits.is_empty() {
        return Err(ErrorKind::InvalidText);
    }
    let mut nonzero = false;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(ErrorKind::InvalidText);
        }
        nonzero |= c != b'0';
    }
    Ok(nonzero)
}

impl<'a> FromValue<'a> for bool {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        let r = match class(col) {
            Class::Int | Class::Text => int_text_nonzero(bytes),
            Class::Decimal => strip_zero_fraction(bytes).and_then(int_text_nonzero),
            Class::Bit if bytes.is_empty() => Err(ErrorKind::InvalidValue),
            Class::Bit => Ok(bytes.iter().any(|&x| x != 0)),
            _ => Err(ErrorKind::InvalidValue),
        };
        r.map_err(|k| err("bool", k))
    }

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::bool_(bytes, col, flags)
    }
}

// ---------------------------------------------------------------------------------------------
// Floats
// ---------------------------------------------------------------------------------------------

/// Number of leading ASCII digits and the rest.
#[inline]
fn skip_digits(b: &[u8]) -> (usize, &[u8]) {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (n, b.get(n..).unwrap_or_default())
}

/// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn valid_float_text(b: &[u8]) -> bool {
    let b = match b {
        [b'-', rest @ ..] => rest,
        _ => b,
    };
    let (n, mut rest) = skip_digits(b);
    if n == 0 {
        return false;
    }
    if let [b'.', frac @ ..] = rest {
        let (n, r) = skip_digits(frac);
        if n == 0 {
            return false;
        }
        rest = r;
    }
    if let [b'e' | b'E', exp @ ..] = rest {
        let exp = match exp {
            [b'+' | b'-', e @ ..] => e,
            _ => exp,
        };
        let (n, r) = skip_digits(exp);
        if n == 0 {
            return false;
        }
        rest = r;
    }
    rest.is_empty()
}

/// The validated float text of a cell, according to the column class.
#[inline]
fn float_source(b: &[u8], col: ColumnType) -> Result<&str, ErrorKind> {
    match class(col) {
        Class::Int | Class::Decimal | Class::Float | Class::Text => {}
        _ => return Err(ErrorKind::InvalidValue),
    }
    if !valid_float_text(b) {
        return Err(ErrorKind::InvalidText);
    }
    std::str::from_utf8(b).map_err(|_| ErrorKind::InvalidText)
}

/// Powers of ten that are exact doubles (10^0 to 10^22).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common float text, `-?[0-9]+(\.[0-9]+)?` with at most 15 digits in all, read in one
/// pass without the general parser: its digits make an integer below 2^53 and its fraction a
/// power of ten up to 10^22, both exact doubles, so one IEEE division rounds the quotient
/// correctly (Clinger's fast path, W. D. Clinger, "How to Read Floating Point Numbers
/// Accurately", PLDI 1990). Anything else (an exponent, more digits) is `None` and takes the
/// general path, as does a column class the float getters refuse.
fn fast_f64(b: &[u8], col: ColumnType) -> Option<f64> {
    if !matches!(
        class(col),
        Class::Int | Class::Decimal | Class::Float | Class::Text
    ) {
        return None;
    }
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    // 15 digits and a point at most: the mantissa stays below 10^15, so the arithmetic below
    // cannot wrap.
    if digits.len() > 16 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut point = None;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && point.is_none() && i > 0 {
            point = Some(i);
        } else {
            return None;
        }
    }
    let (count, frac) = match point {
        None => (digits.len(), 0),
        // A digit after the point too.
        Some(p) => match digits.len().checked_sub(p)?.checked_sub(1)? {
            0 => return None,
            f => (digits.len().checked_sub(1)?, f),
        },
    };
    if count == 0 || count > 15 {
        return None;
    }
    let scale = POW10.get(frac)?;
    // Exact: the mantissa is below 10^15 < 2^53.
    #[allow(clippy::cast_precision_loss)]
    let v = mantissa as f64 / scale;
    Some(if neg { -v } else { v })
}

/// The fast path of a float getter, where there is one.
trait FastFloat: Sized {
    fn fast(b: &[u8], col: ColumnType) -> Option<Self>;
}

impl FastFloat for f64 {
    #[inline]
    fn fast(b: &[u8], col: ColumnType) -> Option<f64> {
        fast_f64(b, col)
    }
}

impl FastFloat for f32 {
    /// None: rounding to a double and then to a float could round twice.
    #[inline]
    fn fast(_b: &[u8], _col: ColumnType) -> Option<f32> {
        None
    }
}

macro_rules! impl_float {
    ($($t:ty => $name:literal, $binary:path),* $(,)?) => {$(
        impl<'a> FromValue<'a> for $t {
            #[inline]
            fn from_text(
                bytes: &'a [u8],
                col: ColumnType,
                _flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                if let Some(v) = <$t as FastFloat>::fast(bytes, col) {
                    return Ok(v);
                }
                let s = float_source(bytes, col).map_err(|k| err($name, k))?;
                let v: $t = s.parse().map_err(|_| err($name, ErrorKind::InvalidText))?;
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(err($name, ErrorKind::OutOfRange))
                }
            }

            #[inline]
            fn from_binary(
                bytes: &'a [u8],
                col: ColumnType,
                flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                $binary(bytes, col, flags)
            }
        }
    )*};
}

impl_float!(f32 => "f32", binary::f32_, f64 => "f64", binary::f64_);

// ---------------------------------------------------------------------------------------------
// Decimal
// ---------------------------------------------------------------------------------------------

/// An exact decimal number (`DECIMAL`/`NUMERIC`), kept as its validated text.
///
/// The text matches `-?[0-9]+(\.[0-9]+)?`. It is borrowed from the cell when decoded with
/// [`FromValue`] and can be made owned with [`Decimal::into_owned`]. It never goes through a
/// float. Equality and hashing are on the text: `1.0` and `1.00` are different values (as
/// they are different column scales).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal<'a>(Cow<'a, str>);

/// `-?[0-9]+(\.[0-9]+)?`
fn valid_decimal_text(b: &[u8]) -> bool {
    let b = match b {
        [b'-', rest @ ..] => rest,
        _ => b,
    };
    let (n, rest) = skip_digits(b);
    if n == 0 {
        return false;
    }
    match rest {
        [] => true,
        [b'.', frac @ ..] => {
            let (n, r) = skip_digits(frac);
            n > 0 && r.is_empty()
        }
        _ => false,
    }
}

impl<'a> Decimal<'a> {
    /// Validates `s` and borrows it.
    pub fn parse(s: &'a str) -> Result<Self, ParseError> {
        if valid_decimal_text(s.as_bytes()) {
            Ok(Decimal(Cow::Borrowed(s)))
        } else {
            Err(err("decimal", ErrorKind::InvalidText))
        }
    }

    /// Validates `b` (ASCII text) and borrows it.
    pub fn from_bytes(b: &'a [u8]) -> Result<Self, ParseError> {
        if !valid_decimal_text(b) {
            return Err(err("decimal", ErrorKind::InvalidText));
        }
        std::str::from_utf8(b)
            .map(|s| Decimal(Cow::Borrowed(s)))
            .map_err(|_| err("decimal", ErrorKind::InvalidText))
    }

    /// The text, e.g. `"-12.50"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An owned copy that no longer borrows the cell.
    pub fn into_owned(self) -> Decimal<'static> {
        Decimal(Cow::Owned(self.0.into_owned()))
    }

    /// True when the value is below zero (`-0.00` is not).
    pub fn is_negative(&self) -> bool {
        self.0.starts_with('-') && self.0.bytes().any(|c| matches!(c, b'1'..=b'9'))
    }

    /// The digits before the point, without the sign (`"12"` for `-12.50`).
    pub fn integer_part(&self) -> &str {
        let s = self.0.strip_prefix('-').unwrap_or(&self.0);
        s.split_once('.').map_or(s, |(i, _)| i)
    }

    /// The digits after the point (`"50"` for `-12.50`, `""` for `7`).
    pub fn fraction_part(&self) -> &str {
        self.0.split_once('.').map_or("", |(_, f)| f)
    }

    /// The number of digits after the point.
    pub fn scale(&self) -> usize {
        self.fraction_part().len()
    }

    /// An integer as a decimal of scale 0 (owned): how a binary-protocol integer cell reads
    /// as a `Decimal`.
    pub(super) fn from_integer(v: i128) -> Decimal<'static> {
        Decimal(Cow::Owned(v.to_string()))
    }
}

macro_rules! decimal_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal<'static> {
            /// The integer as a decimal of scale 0.
            fn from(v: $t) -> Self {
                Decimal::from_integer(i128::from(v))
            }
        }
    )*};
}

decimal_from_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl FromStr for Decimal<'static> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        Decimal::parse(s).map(Decimal::into_owned)
    }
}

impl AsRef<str> for Decimal<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Decimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl<'a> FromValue<'a> for Decimal<'a> {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        match class(col) {
            Class::Int | Class::Decimal | Class::Text => Decimal::from_bytes(bytes),
            _ => Err(err("decimal", ErrorKind::InvalidValue)),
        }
    }

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::decimal(bytes, col, flags)
    }
}

// ---------------------------------------------------------------------------------------------
// Date, DateTime, Time
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod fast_float_tests {
    use super::*;

    /// The fast path gives the bits the general parser gives, for every shape it takes (and
    /// declines the ones it must not take).
    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        let col = ColumnType::DOUBLE;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..200_000u32 {
            // xorshift: digits of every length 1..=17, points anywhere, signs both ways.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = usize::try_from(x % 17).unwrap() + 1;
            let digits: String = format!("{:017}", x % 100_000_000_000_000_000)
                .chars()
                .take(len)
                .collect();
            let point = usize::try_from((x >> 20) % (u64::try_from(len).unwrap() + 1)).unwrap();
            let mut text = String::new();
            if i % 3 == 0 {
                text.push('-');
            }
            if point == 0 || point == len {
                text.push_str(&digits);
            } else {
                text.push_str(&digits[..point]);
                text.push('.');
                text.push_str(&digits[point..]);
            }
            let std: f64 = text.parse().unwrap();
            match fast_f64(text.as_bytes(), col) {
                Some(v) => assert_eq!(v.to_bits(), std.to_bits(), "{text}"),
                None => assert!(len > 15, "{text} declined"),
            }
            let got: f64 =
                FromValue::from_text(text.as_bytes(), col, ColumnFlags::empty()).unwrap();
            assert_eq!(got.to_bits(), std.to_bits(), "{text}");
        }
        for declined in [
            &b"1e5"[..],
            b"1.",
            b".5",
            b"-",
            b"",
            b"1.2.3",
            b"+1",
            b" 1",
            b"1_0",
        ] {
            assert_eq!(fast_f64(declined, col), None, "{declined:?}");
        }
        assert_eq!(fast_f64(b"1", ColumnType::DATE), None);
        assert_eq!(fast_f64(b"-0", col).map(f64::is_sign_negative), Some(true));
        assert_eq!(fast_f64(b"0.1", col), Some(0.1));
        assert_eq!(
            fast_f64(b"123456789012345", col),
            Some(123_456_789_012_345.0)
        );
        assert_eq!(fast_f64(b"1234567890123456", col), None);
    }
}
