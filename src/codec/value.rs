//! Text-protocol values to typed Rust values.
//!
//! In the text protocol every non-NULL cell is a byte string (NULL is handled by the row, not
//! here). The column definition's [`ColumnType`] and [`ColumnFlags`] say how to read it; the
//! [`FromText`] trait turns one cell into a typed value, or into a [`ParseError`] with
//! [`Packet::Value`] and a field name naming the requested type (`"i64"`, `"date"`, …).
//!
//! # Rules
//!
//! A getter that does not fit the value returns an error, never a wrong value. We are
//! permissive about the *column type* (a number stored in a `VARCHAR` reads fine as an `i64`)
//! and strict about the *text itself* (exactly what MariaDB/MySQL prints, nothing else).
//!
//! | Rust type | Columns accepted | Text accepted |
//! |---|---|---|
//! | `i8`…`i64`, `u8`…`u64` | integer types (incl. `YEAR`), `DECIMAL`, `BIT`, string-like | `-?[0-9]+` (leading zeros allowed, for `ZEROFILL`); from a `DECIMAL` column also a fraction of only zeros (`5.00`). `BIT(n)`: the raw bytes, big-endian, 1 to 8 of them |
//! | `bool` | same as the integers | any integer; nonzero is `true`. `BIT`: any nonzero byte is `true` |
//! | `f32`, `f64` | integer, `DECIMAL`, `FLOAT`/`DOUBLE`, string-like | `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` (no `inf`, `nan`, `+`, spaces) |
//! | [`Decimal`] | integer, `DECIMAL`, string-like | `-?[0-9]+(\.[0-9]+)?`, kept as text, never through `f64` |
//! | [`Date`] | `DATE`, `DATETIME`/`TIMESTAMP`, string-like | `YYYY-MM-DD`, or a datetime whose time part is zero (else `InvalidValue`) |
//! | [`DateTime`] | `DATE`, `DATETIME`/`TIMESTAMP`, string-like | `YYYY-MM-DD HH:MM:SS[.f]` with 1 to 6 fraction digits, or `YYYY-MM-DD` (midnight) |
//! | [`Time`] | `TIME`, string-like | `[-]HH:MM:SS[.f]`, hours with 2 or 3 digits, at most 838 |
//! | `&str`, `String` | any | valid UTF-8 |
//! | `&[u8]`, `Vec<u8>` | any | anything |
//!
//! "String-like" means every type not named above: `VARCHAR`, `VAR_STRING`, `STRING`, the
//! blobs, `ENUM`, `SET`, `JSON`, `NULL` and unknown type codes. `GEOMETRY` (binary WKB) is
//! accepted only by the string and byte getters. Column flags are currently not needed: the
//! text itself carries the sign, and `UNSIGNED` values out of range for a signed getter are
//! reported as [`ErrorKind::OutOfRange`].
//!
//! # Error kinds
//!
//! - [`ErrorKind::InvalidText`]: the text is malformed (`"1.5"` for an `i64`, `"+1"`, `" 1"`,
//!   empty input, invalid UTF-8 for `&str`).
//! - [`ErrorKind::OutOfRange`]: well-formed, but the number does not fit (`"300"` for an `i8`,
//!   `"-1"` for a `u64`, month 13, hour 24, `"839:00:00"`, `"1e39"` for an `f32`, a `BIT`
//!   value of more than 8 bytes).
//! - [`ErrorKind::InvalidValue`]: the column type does not fit the getter (an `i64` from a
//!   `DATETIME` column), a `Date` from a datetime with a nonzero time part, an empty `BIT`.
//!
//! # Display
//!
//! [`Date`], [`DateTime`], [`Time`] and [`Decimal`] print in MariaDB's text format. For
//! [`DateTime`] and [`Time`], `{}` prints the fraction with trailing zeros trimmed (none at all
//! when it is zero), and a precision prints exactly that many fraction digits, like a column of
//! that scale: `format!("{:.6}", t)` gives `-838:59:59.000000`, `{:.0}` drops the fraction.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)] // TODO(h/lints): cleaned after the h/tracevals / h/mitm merge

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::error::{ErrorKind, Packet, ParseError};
use super::flags::{ColumnFlags, ColumnType};

// ---------------------------------------------------------------------------------------------
// Column classes
// ---------------------------------------------------------------------------------------------

/// What a column type means to the getters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Int,
    Bit,
    Decimal,
    Float,
    Date,
    DateTime,
    Time,
    Geometry,
    Text,
}

#[inline]
fn class(col: ColumnType) -> Class {
    match col.0 {
        0x01 | 0x02 | 0x03 | 0x08 | 0x09 | 0x0d => Class::Int,
        0x10 => Class::Bit,
        0x00 | 0xf6 => Class::Decimal,
        0x04 | 0x05 => Class::Float,
        0x0a | 0x0e => Class::Date,
        0x07 | 0x0c | 0x11 | 0x12 => Class::DateTime,
        0x0b | 0x13 => Class::Time,
        0xff => Class::Geometry,
        _ => Class::Text,
    }
}

#[inline]
fn err(field: &'static str, kind: ErrorKind) -> ParseError {
    ParseError::new(Packet::Value, field, kind)
}

// ---------------------------------------------------------------------------------------------
// The trait
// ---------------------------------------------------------------------------------------------

/// Decodes one non-NULL text-protocol cell.
///
/// `'a` is the lifetime of the cell bytes, so that borrowed types (`&'a str`, `&'a [u8]`,
/// [`Decimal<'a>`]) need no allocation. See the [module documentation](self) for which columns
/// and which texts each type accepts.
pub trait FromText<'a>: Sized {
    /// Decodes `bytes`, the cell of a column of type `col` with flags `flags`.
    fn from_text(bytes: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError>;
}

// ---------------------------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------------------------

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
        impl<'a> FromText<'a> for $t {
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
        }
    )*};
}

macro_rules! impl_signed {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl<'a> FromText<'a> for $t {
            #[inline]
            fn from_text(
                bytes: &'a [u8],
                col: ColumnType,
                _flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                let (neg, mag) = int_source(bytes, col).map_err(|k| err($name, k))?;
                // |MIN| = MAX + 1.
                let limit = <$t>::MAX as u64 + u64::from(neg);
                if mag > limit {
                    return Err(err($name, ErrorKind::OutOfRange));
                }
                // mag <= 2^63 here; 2^63 becomes i64::MIN, whose negation is itself.
                let v = mag as i64;
                Ok((if neg { v.wrapping_neg() } else { v }) as $t)
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

impl<'a> FromText<'a> for bool {
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

macro_rules! impl_float {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl<'a> FromText<'a> for $t {
            #[inline]
            fn from_text(
                bytes: &'a [u8],
                col: ColumnType,
                _flags: ColumnFlags,
            ) -> Result<Self, ParseError> {
                let s = float_source(bytes, col).map_err(|k| err($name, k))?;
                let v: $t = s.parse().map_err(|_| err($name, ErrorKind::InvalidText))?;
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(err($name, ErrorKind::OutOfRange))
                }
            }
        }
    )*};
}

impl_float!(f32 => "f32", f64 => "f64");

// ---------------------------------------------------------------------------------------------
// Decimal
// ---------------------------------------------------------------------------------------------

/// An exact decimal number (`DECIMAL`/`NUMERIC`), kept as its validated text.
///
/// The text matches `-?[0-9]+(\.[0-9]+)?`. It is borrowed from the cell when decoded with
/// [`FromText`] and can be made owned with [`Decimal::into_owned`]. It never goes through a
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
}

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

impl<'a> FromText<'a> for Decimal<'a> {
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
}

// ---------------------------------------------------------------------------------------------
// Date, DateTime, Time
// ---------------------------------------------------------------------------------------------

/// A calendar date (`DATE`). Zero dates and zero parts (`0000-00-00`, `2024-00-00`) are allowed,
/// as MariaDB allows them; month is `0..=12` and day `0..=31`, with no per-month check (as with
/// `ALLOW_INVALID_DATES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year, `0..=9999`.
    pub year: u16,
    /// Month, `0..=12` (0 only in zero dates).
    pub month: u8,
    /// Day, `0..=31` (0 only in zero dates).
    pub day: u8,
}

impl Date {
    /// A date, or `None` when a part is out of range.
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year <= 9999 && month <= 12 && day <= 31 {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// True for `0000-00-00`.
    pub const fn is_zero(self) -> bool {
        self.year == 0 && self.month == 0 && self.day == 0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date and time of day (`DATETIME`, `TIMESTAMP`), with microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// Hour, `0..=23`.
    pub hour: u8,
    /// Minute, `0..=59`.
    pub minute: u8,
    /// Second, `0..=59`.
    pub second: u8,
    /// Microseconds, `0..=999_999`.
    pub micros: u32,
}

impl DateTime {
    /// A datetime, or `None` when a part is out of range.
    pub const fn new(date: Date, hour: u8, minute: u8, second: u8, micros: u32) -> Option<Self> {
        if hour <= 23 && minute <= 59 && second <= 59 && micros <= 999_999 {
            Some(DateTime {
                date,
                hour,
                minute,
                second,
                micros,
            })
        } else {
            None
        }
    }

    /// True when the time of day is `00:00:00.000000`.
    pub const fn is_midnight(self) -> bool {
        self.hour == 0 && self.minute == 0 && self.second == 0 && self.micros == 0
    }
}

impl From<Date> for DateTime {
    /// Midnight of `date`.
    fn from(date: Date) -> Self {
        DateTime {
            date,
            hour: 0,
            minute: 0,
            second: 0,
            micros: 0,
        }
    }
}

/// Writes `.ffffff`: `precision` digits if given (at most 6), else trimmed of trailing zeros.
fn write_fraction(f: &mut fmt::Formatter<'_>, micros: u32) -> fmt::Result {
    match f.precision() {
        Some(p) => {
            let p = p.min(6);
            if p == 0 {
                return Ok(());
            }
            let digits = micros / 10u32.pow(6 - p as u32);
            write!(f, ".{:0width$}", digits, width = p)
        }
        None => {
            if micros == 0 {
                return Ok(());
            }
            let (mut digits, mut width) = (micros, 6usize);
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, ".{:0width$}", digits, width = width)
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )?;
        write_fraction(f, self.micros)
    }
}

/// A time of day or a duration (`TIME`), `-838:59:59.999999` to `838:59:59.999999`.
///
/// Negative zero is normalized to zero by the parser and by [`Time::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// True for a negative duration.
    pub negative: bool,
    /// Hours, `0..=838`.
    pub hours: u32,
    /// Minutes, `0..=59`.
    pub minutes: u8,
    /// Seconds, `0..=59`.
    pub seconds: u8,
    /// Microseconds, `0..=999_999`.
    pub micros: u32,
}

impl Time {
    /// The largest magnitude of a `TIME`, in hours.
    pub const MAX_HOURS: u32 = 838;

    /// A time, or `None` when a part is out of range. A negative zero becomes zero.
    pub const fn new(
        negative: bool,
        hours: u32,
        minutes: u8,
        seconds: u8,
        micros: u32,
    ) -> Option<Self> {
        if hours > Self::MAX_HOURS || minutes > 59 || seconds > 59 || micros > 999_999 {
            return None;
        }
        let zero = hours == 0 && minutes == 0 && seconds == 0 && micros == 0;
        Some(Time {
            negative: negative && !zero,
            hours,
            minutes,
            seconds,
            micros,
        })
    }

    /// The signed duration in microseconds.
    pub const fn total_micros(self) -> i64 {
        let secs = self.hours as i64 * 3600 + self.minutes as i64 * 60 + self.seconds as i64;
        let m = secs * 1_000_000 + self.micros as i64;
        if self.negative {
            -m
        } else {
            m
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}:{:02}:{:02}",
            if self.negative { "-" } else { "" },
            self.hours,
            self.minutes,
            self.seconds
        )?;
        write_fraction(f, self.micros)
    }
}

#[inline]
fn digit(c: u8) -> Result<u8, ErrorKind> {
    let d = c.wrapping_sub(b'0');
    if d > 9 {
        Err(ErrorKind::InvalidText)
    } else {
        Ok(d)
    }
}

#[inline]
fn two_digits(a: u8, b: u8) -> Result<u8, ErrorKind> {
    Ok(digit(a)? * 10 + digit(b)?)
}

/// `YYYY-MM-DD`
fn parse_date(b: &[u8]) -> Result<Date, ErrorKind> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return Err(ErrorKind::InvalidText);
    };
    let year = u16::from(two_digits(y0, y1)?) * 100 + u16::from(two_digits(y2, y3)?);
    let (month, day) = (two_digits(m0, m1)?, two_digits(d0, d1)?);
    Date::new(year, month, day).ok_or(ErrorKind::OutOfRange)
}

/// Empty, or `.` and 1 to 6 digits, as microseconds.
fn parse_fraction(b: &[u8]) -> Result<u32, ErrorKind> {
    match b {
        [] => Ok(0),
        [b'.', digits @ ..] if (1..=6).contains(&digits.len()) => {
            let mut v: u32 = 0;
            for &c in digits {
                v = v * 10 + u32::from(digit(c)?);
            }
            for _ in digits.len()..6 {
                v *= 10;
            }
            Ok(v)
        }
        _ => Err(ErrorKind::InvalidText),
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f]` or `YYYY-MM-DD`.
fn parse_datetime(b: &[u8]) -> Result<DateTime, ErrorKind> {
    let Some((date, time)) = b.split_at_checked(10) else {
        return Err(ErrorKind::InvalidText);
    };
    let date = parse_date(date)?;
    if time.is_empty() {
        return Ok(DateTime::from(date));
    }
    let [b' ', h0, h1, b':', m0, m1, b':', s0, s1, frac @ ..] = time else {
        return Err(ErrorKind::InvalidText);
    };
    let (hour, minute, second) = (
        two_digits(*h0, *h1)?,
        two_digits(*m0, *m1)?,
        two_digits(*s0, *s1)?,
    );
    let micros = parse_fraction(frac)?;
    DateTime::new(date, hour, minute, second, micros).ok_or(ErrorKind::OutOfRange)
}

/// `[-]HH:MM:SS[.f]`, hours with 2 or 3 digits.
fn parse_time(b: &[u8]) -> Result<Time, ErrorKind> {
    let (negative, rest) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let hours_len = rest
        .iter()
        .take(4)
        .position(|&c| c == b':')
        .ok_or(ErrorKind::InvalidText)?;
    if !(2..=3).contains(&hours_len) {
        return Err(ErrorKind::InvalidText);
    }
    let Some((hour_digits, rest)) = rest.split_at_checked(hours_len) else {
        return Err(ErrorKind::InvalidText);
    };
    let mut hours: u32 = 0;
    for &c in hour_digits {
        hours = hours * 10 + u32::from(digit(c)?);
    }
    let [b':', m0, m1, b':', s0, s1, frac @ ..] = rest else {
        return Err(ErrorKind::InvalidText);
    };
    let (minutes, seconds) = (two_digits(*m0, *m1)?, two_digits(*s0, *s1)?);
    let micros = parse_fraction(frac)?;
    Time::new(negative, hours, minutes, seconds, micros).ok_or(ErrorKind::OutOfRange)
}

impl<'a> FromText<'a> for Date {
    fn from_text(
        bytes: &'a [u8],
        col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        let r = match class(col) {
            Class::Date | Class::DateTime | Class::Text => {
                if bytes.len() == 10 {
                    parse_date(bytes)
                } else {
                    parse_datetime(bytes).and_then(|dt| {
                        if dt.is_midnight() {
                            Ok(dt.date)
                        } else {
                            Err(ErrorKind::InvalidValue)
                        }
                    })
                }
            }
            _ => Err(ErrorKind::InvalidValue),
        };
        r.map_err(|k| err("date", k))
    }
}

impl<'a> FromText<'a> for DateTime {
    fn from_text(
        bytes: &'a [u8],
        col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        match class(col) {
            Class::Date | Class::DateTime | Class::Text => parse_datetime(bytes),
            _ => Err(ErrorKind::InvalidValue),
        }
        .map_err(|k| err("datetime", k))
    }
}

impl<'a> FromText<'a> for Time {
    fn from_text(
        bytes: &'a [u8],
        col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        match class(col) {
            Class::Time | Class::Text => parse_time(bytes),
            _ => Err(ErrorKind::InvalidValue),
        }
        .map_err(|k| err("time", k))
    }
}

impl FromStr for Date {
    type Err = ParseError;

    /// Parses `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_date(s.as_bytes()).map_err(|k| err("date", k))
    }
}

impl FromStr for DateTime {
    type Err = ParseError;

    /// Parses `YYYY-MM-DD HH:MM:SS[.f]` or `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_datetime(s.as_bytes()).map_err(|k| err("datetime", k))
    }
}

impl FromStr for Time {
    type Err = ParseError;

    /// Parses `[-]HH:MM:SS[.f]`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_time(s.as_bytes()).map_err(|k| err("time", k))
    }
}

// ---------------------------------------------------------------------------------------------
// Strings and bytes
// ---------------------------------------------------------------------------------------------

impl<'a> FromText<'a> for &'a str {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        std::str::from_utf8(bytes).map_err(|_| err("str", ErrorKind::InvalidText))
    }
}

impl<'a> FromText<'a> for String {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| err("string", ErrorKind::InvalidText))
    }
}

impl<'a> FromText<'a> for &'a [u8] {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        Ok(bytes)
    }
}

impl<'a> FromText<'a> for Vec<u8> {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOF: ColumnFlags = ColumnFlags::empty();

    fn get<'a, T: FromText<'a>>(b: &'a [u8], col: ColumnType) -> Result<T, ParseError> {
        T::from_text(b, col, NOF)
    }

    fn kind<'a, T: FromText<'a> + fmt::Debug>(b: &'a [u8], col: ColumnType) -> ErrorKind {
        get::<T>(b, col).unwrap_err().kind
    }

    /// min/max round-trip, one past each end is OutOfRange.
    macro_rules! int_bounds {
        ($($t:ty),*) => {$(
            let col = ColumnType::LONGLONG;
            let min = <$t>::MIN.to_string();
            let max = <$t>::MAX.to_string();
            assert_eq!(get::<$t>(min.as_bytes(), col).unwrap(), <$t>::MIN, "{}", min);
            assert_eq!(get::<$t>(max.as_bytes(), col).unwrap(), <$t>::MAX, "{}", max);
            let below = (i128::from(<$t>::MIN) - 1).to_string();
            let above = (i128::from(<$t>::MAX) + 1).to_string();
            assert_eq!(kind::<$t>(below.as_bytes(), col), ErrorKind::OutOfRange, "{}", below);
            assert_eq!(kind::<$t>(above.as_bytes(), col), ErrorKind::OutOfRange, "{}", above);
            assert_eq!(get::<$t>(b"-0", col).unwrap(), 0);
            assert_eq!(get::<$t>(b"0", col).unwrap(), 0);
            assert_eq!(get::<$t>(b"007", col).unwrap(), 7);
            for bad in [&b""[..], b"-", b"+1", b" 1", b"1 ", b"1.5", b"1e3", b"0x1", b"--1", b"1-"] {
                assert_eq!(kind::<$t>(bad, col), ErrorKind::InvalidText, "{:?}", bad);
            }
        )*};
    }

    #[test]
    fn integer_bounds() {
        int_bounds!(i8, i16, i32, i64, u8, u16, u32, u64);
    }

    #[test]
    fn integer_errors() {
        let e = get::<i8>(b"300", ColumnType::TINY).unwrap_err();
        assert_eq!(
            e,
            ParseError::new(Packet::Value, "i8", ErrorKind::OutOfRange)
        );
        assert_eq!(
            kind::<u64>(b"-1", ColumnType::LONGLONG),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<i64>(b"1.5", ColumnType::STRING),
            ErrorKind::InvalidText
        );
        assert_eq!(
            get::<i64>(b"1.5", ColumnType::STRING).unwrap_err().field,
            "i64"
        );
        // Long inputs: overflow vs garbage vs leading zeros.
        assert_eq!(
            kind::<u64>(b"99999999999999999999999", ColumnType::LONGLONG),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<u64>(b"9999999999999999999999x", ColumnType::LONGLONG),
            ErrorKind::InvalidText
        );
        assert_eq!(
            get::<u64>(b"000000000000000000000000042", ColumnType::LONGLONG).unwrap(),
            42
        );
        assert_eq!(
            get::<i64>(
                b"-000000000000000000009223372036854775808",
                ColumnType::LONGLONG
            )
            .unwrap(),
            i64::MIN
        );
        assert_eq!(
            get::<u64>(b"18446744073709551615", ColumnType::LONGLONG).unwrap(),
            u64::MAX
        );
        assert_eq!(
            kind::<u64>(b"18446744073709551616", ColumnType::LONGLONG),
            ErrorKind::OutOfRange
        );
        // Non-ASCII bytes.
        assert_eq!(
            kind::<i32>("١".as_bytes(), ColumnType::STRING),
            ErrorKind::InvalidText
        );
    }

    #[test]
    fn integer_column_types() {
        // String-like columns holding a number are fine.
        for col in [
            ColumnType::VAR_STRING,
            ColumnType::STRING,
            ColumnType::VARCHAR,
            ColumnType::BLOB,
            ColumnType(0x77),
        ] {
            assert_eq!(get::<i32>(b"-42", col).unwrap(), -42);
        }
        assert_eq!(get::<u16>(b"2024", ColumnType::YEAR).unwrap(), 2024);
        // DECIMAL with an all-zero fraction; a nonzero fraction is not an integer.
        assert_eq!(get::<i64>(b"5", ColumnType::NEWDECIMAL).unwrap(), 5);
        assert_eq!(get::<i64>(b"-5.000", ColumnType::NEWDECIMAL).unwrap(), -5);
        assert_eq!(
            kind::<i64>(b"5.010", ColumnType::NEWDECIMAL),
            ErrorKind::InvalidText
        );
        assert_eq!(
            kind::<i64>(b"5.", ColumnType::NEWDECIMAL),
            ErrorKind::InvalidText
        );
        assert_eq!(
            kind::<i64>(b"5.00", ColumnType::VAR_STRING),
            ErrorKind::InvalidText
        );
        // Wrong column types.
        for col in [
            ColumnType::DOUBLE,
            ColumnType::DATE,
            ColumnType::DATETIME,
            ColumnType::TIME,
            ColumnType::GEOMETRY,
        ] {
            assert_eq!(kind::<i64>(b"1", col), ErrorKind::InvalidValue, "{}", col);
            assert_eq!(kind::<bool>(b"1", col), ErrorKind::InvalidValue, "{}", col);
        }
    }

    #[test]
    fn bit_columns() {
        let bit = ColumnType::BIT;
        assert_eq!(get::<u8>(b"\x01", bit).unwrap(), 1);
        assert!(get::<bool>(b"\x01", bit).unwrap());
        assert!(!get::<bool>(b"\x00", bit).unwrap());
        assert_eq!(get::<u64>(&[0xff; 8], bit).unwrap(), u64::MAX);
        assert_eq!(kind::<i64>(&[0xff; 8], bit), ErrorKind::OutOfRange);
        assert_eq!(
            get::<i64>(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], bit).unwrap(),
            i64::MAX
        );
        assert_eq!(get::<u16>(b"\x01\x02", bit).unwrap(), 0x0102);
        assert_eq!(get::<u32>(b"\x00\x01\x02", bit).unwrap(), 0x0102);
        assert_eq!(kind::<i8>(b"\xff", bit), ErrorKind::OutOfRange);
        assert_eq!(kind::<u8>(b"\x01\x00", bit), ErrorKind::OutOfRange);
        assert_eq!(kind::<u64>(&[0; 9], bit), ErrorKind::OutOfRange);
        assert_eq!(kind::<u64>(b"", bit), ErrorKind::InvalidValue);
        assert_eq!(kind::<bool>(b"", bit), ErrorKind::InvalidValue);
        // Raw bytes are still available.
        assert_eq!(get::<&[u8]>(b"\x80", bit).unwrap(), b"\x80");
    }

    #[test]
    fn bools() {
        let col = ColumnType::TINY;
        assert!(!get::<bool>(b"0", col).unwrap());
        assert!(!get::<bool>(b"-0", col).unwrap());
        assert!(get::<bool>(b"1", col).unwrap());
        assert!(get::<bool>(b"-1", col).unwrap());
        assert!(get::<bool>(b"99999999999999999999999999", col).unwrap());
        assert!(!get::<bool>(b"0.00", ColumnType::NEWDECIMAL).unwrap());
        for bad in [&b""[..], b"-", b"true", b"1.5", b" 1"] {
            let e = get::<bool>(bad, col).unwrap_err();
            assert_eq!(
                (e.field, e.kind),
                ("bool", ErrorKind::InvalidText),
                "{:?}",
                bad
            );
        }
    }

    #[test]
    fn floats() {
        let col = ColumnType::DOUBLE;
        assert_eq!(get::<f64>(b"1e100", col).unwrap(), 1e100);
        assert_eq!(get::<f64>(b"-0.5", col).unwrap(), -0.5);
        assert_eq!(
            get::<f64>(b"1.7976931348623157e308", col).unwrap(),
            f64::MAX
        );
        assert_eq!(
            get::<f64>(b"2.2250738585072014e-308", col).unwrap(),
            f64::MIN_POSITIVE
        );
        assert_eq!(get::<f64>(b"1.5E-7", col).unwrap(), 1.5e-7);
        assert_eq!(get::<f64>(b"1e+5", col).unwrap(), 1e5);
        assert_eq!(get::<f64>(b"0", col).unwrap(), 0.0);
        assert!(get::<f64>(b"-0", col).unwrap().is_sign_negative());
        assert_eq!(get::<f32>(b"2.5", ColumnType::FLOAT).unwrap(), 2.5f32);
        assert_eq!(get::<f64>(b"42", ColumnType::LONG).unwrap(), 42.0);
        assert_eq!(
            get::<f64>(b"-12.50", ColumnType::NEWDECIMAL).unwrap(),
            -12.5
        );
        assert_eq!(get::<f64>(b"0.25", ColumnType::VAR_STRING).unwrap(), 0.25);
        assert_eq!(
            kind::<f32>(b"1e39", ColumnType::DOUBLE),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<f64>(b"1e400", ColumnType::DOUBLE),
            ErrorKind::OutOfRange
        );
        for bad in [
            &b""[..],
            b"-",
            b"inf",
            b"-inf",
            b"nan",
            b"NaN",
            b"infinity",
            b"+1",
            b" 1",
            b"1 ",
            b".5",
            b"1.",
            b"1e",
            b"1e+",
            b"1.5.5",
            b"0x10",
            b"1_0",
        ] {
            let e = get::<f64>(bad, col).unwrap_err();
            assert_eq!(
                (e.field, e.kind),
                ("f64", ErrorKind::InvalidText),
                "{:?}",
                bad
            );
        }
        assert_eq!(kind::<f64>(b"1", ColumnType::DATE), ErrorKind::InvalidValue);
        assert_eq!(
            kind::<f64>(b"\x01", ColumnType::BIT),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn decimals() {
        let col = ColumnType::NEWDECIMAL;
        let text = "-12345678901234567890.123456789";
        let d: Decimal = get(text.as_bytes(), col).unwrap();
        assert_eq!(d.as_str(), text);
        assert_eq!(d.to_string(), text);
        assert!(d.is_negative());
        assert_eq!(d.integer_part(), "12345678901234567890");
        assert_eq!(d.fraction_part(), "123456789");
        assert_eq!(d.scale(), 9);
        let owned: Decimal<'static> = d.clone().into_owned();
        assert_eq!(owned, d);
        // Long values are exact, not rounded through f64.
        let long = "99999999999999999999999999999999999.999999999999999999999999999999";
        assert_eq!(get::<Decimal>(long.as_bytes(), col).unwrap().as_str(), long);
        assert_eq!(get::<Decimal>(b"7", col).unwrap().scale(), 0);
        assert!(!get::<Decimal>(b"-0.00", col).unwrap().is_negative());
        assert_eq!(
            get::<Decimal>(b"42", ColumnType::LONGLONG)
                .unwrap()
                .as_str(),
            "42"
        );
        assert_eq!(
            get::<Decimal>(b"1.5", ColumnType::VAR_STRING)
                .unwrap()
                .as_str(),
            "1.5"
        );
        assert_eq!("3.25".parse::<Decimal<'static>>().unwrap().as_str(), "3.25");
        assert_eq!(Decimal::parse("0.1").unwrap().integer_part(), "0");
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.",
            b".5",
            b"1e5",
            b"1.2.3",
            b" 1",
            b"1,5",
            b"\xff",
        ] {
            let e = get::<Decimal>(bad, col).unwrap_err();
            assert_eq!(
                (e.field, e.kind),
                ("decimal", ErrorKind::InvalidText),
                "{:?}",
                bad
            );
        }
        assert_eq!(
            kind::<Decimal>(b"1.5", ColumnType::DOUBLE),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            format!("[{:>6}]", Decimal::parse("1.5").unwrap()),
            "[   1.5]"
        );
    }

    #[test]
    fn dates() {
        let col = ColumnType::DATE;
        let d: Date = get(b"2024-02-29", col).unwrap();
        assert_eq!(
            d,
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        let z: Date = get(b"0000-00-00", col).unwrap();
        assert!(z.is_zero());
        assert_eq!(z.to_string(), "0000-00-00");
        for s in [
            "2024-02-29",
            "0000-00-00",
            "9999-12-31",
            "0001-01-01",
            "2024-00-00",
        ] {
            assert_eq!(get::<Date>(s.as_bytes(), col).unwrap().to_string(), s);
            assert_eq!(s.parse::<Date>().unwrap().to_string(), s);
        }
        let e = get::<Date>(b"2024-13-01", col).unwrap_err();
        assert_eq!((e.field, e.kind), ("date", ErrorKind::OutOfRange));
        assert_eq!(kind::<Date>(b"2024-01-32", col), ErrorKind::OutOfRange);
        for bad in [
            &b""[..],
            b"2024-1-01",
            b"2024/01/01",
            b"24-01-01",
            b"2024-01-01 ",
            b"2024-0a-01",
            b" 2024-01-01",
        ] {
            assert_eq!(kind::<Date>(bad, col), ErrorKind::InvalidText, "{:?}", bad);
        }
        // From datetime columns only at midnight.
        let dt = ColumnType::DATETIME;
        assert_eq!(
            get::<Date>(b"2024-01-02 00:00:00", dt).unwrap(),
            Date::new(2024, 1, 2).unwrap()
        );
        assert_eq!(
            get::<Date>(b"2024-01-02 00:00:00.000", dt).unwrap(),
            Date::new(2024, 1, 2).unwrap()
        );
        assert_eq!(
            kind::<Date>(b"2024-01-02 00:00:01", dt),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<Date>(b"2024-01-02 00:00:00.5", ColumnType::TIMESTAMP),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            get::<Date>(b"2024-01-02", ColumnType::VAR_STRING)
                .unwrap()
                .day,
            2
        );
        assert_eq!(
            kind::<Date>(b"2024", ColumnType::YEAR),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<Date>(b"12:00:00", ColumnType::TIME),
            ErrorKind::InvalidValue
        );
        assert_eq!(Date::new(2024, 13, 1), None);
    }

    #[test]
    fn datetimes() {
        let col = ColumnType::DATETIME;
        let cases: [(&str, u32); 6] = [
            ("2024-01-01 00:00:00", 0),
            ("2024-01-01 00:00:00.5", 500_000),
            ("2024-01-01 00:00:00.123", 123_000),
            ("2024-01-01 00:00:00.123456", 123_456),
            ("2024-01-01 00:00:00.000001", 1),
            ("2024-01-01 00:00:00.000000", 0),
        ];
        for (s, micros) in cases {
            let dt: DateTime = get(s.as_bytes(), col).unwrap();
            assert_eq!(dt.micros, micros, "{}", s);
            assert_eq!(dt.date, Date::new(2024, 1, 1).unwrap());
        }
        let dt: DateTime = get(b"2038-01-19 03:14:07.999999", ColumnType::TIMESTAMP).unwrap();
        assert_eq!(
            (dt.hour, dt.minute, dt.second, dt.micros),
            (3, 14, 7, 999_999)
        );
        // Display: `{}` is the shortest form, `{:.N}` the column scale.
        for s in [
            "2024-01-01 00:00:00",
            "2024-01-01 00:00:00.5",
            "2024-01-01 00:00:00.123",
            "2024-01-01 00:00:00.123456",
            "0000-00-00 00:00:00",
            "9999-12-31 23:59:59.999999",
        ] {
            assert_eq!(get::<DateTime>(s.as_bytes(), col).unwrap().to_string(), s);
            assert_eq!(s.parse::<DateTime>().unwrap().to_string(), s);
        }
        let dt: DateTime = get(b"2024-01-01 00:00:00.120000", col).unwrap();
        assert_eq!(format!("{:.6}", dt), "2024-01-01 00:00:00.120000");
        assert_eq!(format!("{:.3}", dt), "2024-01-01 00:00:00.120");
        assert_eq!(format!("{:.1}", dt), "2024-01-01 00:00:00.1");
        assert_eq!(format!("{:.0}", dt), "2024-01-01 00:00:00");
        assert_eq!(format!("{}", dt), "2024-01-01 00:00:00.12");
        // From a DATE column (or date-only text): midnight.
        let m: DateTime = get(b"2024-05-06", ColumnType::DATE).unwrap();
        assert_eq!(m, DateTime::from(Date::new(2024, 5, 6).unwrap()));
        assert!(m.is_midnight());
        assert_eq!(m.to_string(), "2024-05-06 00:00:00");
        // Errors.
        for bad in [
            &b"2024-01-01 00:00:00."[..],
            b"2024-01-01 00:00:00.1234567",
            b"2024-01-01T00:00:00",
            b"2024-01-01 0:00:00",
            b"2024-01-01 00:00",
            b"2024-01-01 00:00:00 ",
            b"2024-01-01 00:00:00.12a",
            b"",
        ] {
            let e = get::<DateTime>(bad, col).unwrap_err();
            assert_eq!(
                (e.field, e.kind),
                ("datetime", ErrorKind::InvalidText),
                "{:?}",
                bad
            );
        }
        assert_eq!(
            kind::<DateTime>(b"2024-13-01 00:00:00", col),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<DateTime>(b"2024-01-01 24:00:00", col),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<DateTime>(b"2024-01-01 23:60:00", col),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<DateTime>(b"2024-01-01 23:00:60", col),
            ErrorKind::OutOfRange
        );
        assert_eq!(
            kind::<DateTime>(b"12:00:00", ColumnType::TIME),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind::<DateTime>(b"20240101", ColumnType::LONG),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn times() {
        let col = ColumnType::TIME;
        let t: Time = get(b"838:59:59", col).unwrap();
        assert_eq!(
            t,
            Time {
                negative: false,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 0
            }
        );
        let t: Time = get(b"-838:59:59.000000", col).unwrap();
        assert_eq!(
            t,
            Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 0
            }
        );
        assert_eq!(format!("{:.6}", t), "-838:59:59.000000");
        assert_eq!(t.to_string(), "-838:59:59");
        let t: Time = get(b"-00:00:01.5", col).unwrap();
        assert_eq!(
            t,
            Time {
                negative: true,
                hours: 0,
                minutes: 0,
                seconds: 1,
                micros: 500_000
            }
        );
        assert_eq!(t.total_micros(), -1_500_000);
        let t: Time = get(b"-838:59:59.999999", col).unwrap();
        assert_eq!(
            t.total_micros(),
            -(838 * 3600 + 59 * 60 + 59) * 1_000_000 - 999_999
        );
        // Negative zero is zero.
        let t: Time = get(b"-00:00:00", col).unwrap();
        assert!(!t.negative);
        assert_eq!(t, Time::new(false, 0, 0, 0, 0).unwrap());
        for s in [
            "838:59:59",
            "-838:59:59.999999",
            "-00:00:01.5",
            "00:00:00",
            "12:34:56.789",
            "100:00:00",
            "-01:02:03",
        ] {
            assert_eq!(get::<Time>(s.as_bytes(), col).unwrap().to_string(), s);
            assert_eq!(s.parse::<Time>().unwrap().to_string(), s);
        }
        let e = get::<Time>(b"839:00:00", col).unwrap_err();
        assert_eq!((e.field, e.kind), ("time", ErrorKind::OutOfRange));
        assert_eq!(kind::<Time>(b"999:00:00", col), ErrorKind::OutOfRange);
        assert_eq!(kind::<Time>(b"00:60:00", col), ErrorKind::OutOfRange);
        assert_eq!(kind::<Time>(b"00:00:60", col), ErrorKind::OutOfRange);
        for bad in [
            &b"12:00"[..],
            b"1:00:00",
            b"1000:00:00",
            b"",
            b"-",
            b"+12:00:00",
            b" 12:00:00",
            b"12:00:00.",
            b"12:00:00.1234567",
            b"1 12:00:00",
            b"12:0:00",
            b"--12:00:00",
            b"1a:00:00",
        ] {
            assert_eq!(kind::<Time>(bad, col), ErrorKind::InvalidText, "{:?}", bad);
        }
        assert_eq!(
            get::<Time>(b"12:00:00", ColumnType::VAR_STRING)
                .unwrap()
                .hours,
            12
        );
        assert_eq!(
            kind::<Time>(b"2024-01-01 12:00:00", ColumnType::DATETIME),
            ErrorKind::InvalidValue
        );
        assert_eq!(Time::new(false, 839, 0, 0, 0), None);
    }

    #[test]
    fn strings_and_bytes() {
        let col = ColumnType::VAR_STRING;
        assert_eq!(get::<&str>("héllo".as_bytes(), col).unwrap(), "héllo");
        assert_eq!(get::<String>(b"", col).unwrap(), "");
        assert_eq!(get::<&str>(b"12", ColumnType::LONG).unwrap(), "12");
        let e = get::<&str>(b"a\xff", col).unwrap_err();
        assert_eq!(
            e,
            ParseError::new(Packet::Value, "str", ErrorKind::InvalidText)
        );
        let e = get::<String>(b"\xc3", col).unwrap_err();
        assert_eq!(
            e,
            ParseError::new(Packet::Value, "string", ErrorKind::InvalidText)
        );
        assert_eq!(get::<&[u8]>(b"a\xff", ColumnType::BLOB).unwrap(), b"a\xff");
        assert_eq!(
            get::<Vec<u8>>(b"a\xff", ColumnType::BLOB).unwrap(),
            b"a\xff".to_vec()
        );
    }
}
