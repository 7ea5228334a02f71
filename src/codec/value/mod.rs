//! Cell values to typed Rust values, for both protocols, and Rust values to parameters.
//!
//! In the text protocol every non-NULL cell is a byte string; in the binary protocol (the rows
//! of a prepared statement) numbers and temporals are fixed binary forms and everything else is
//! the same byte string as in the text protocol (NULL is handled by the row, not here). The
//! column definition's [`ColumnType`] and [`ColumnFlags`] say how to read a cell; the
//! [`FromValue`] trait turns one cell into a typed value, with [`FromValue::from_text`] or
//! [`FromValue::from_binary`], or into a [`ParseError`] with [`Packet::Value`] and a field name
//! naming the requested type (`"i64"`, `"date"`, …). [`ToParam`] goes the other way: Rust
//! values as the binary parameters of COM_STMT_EXECUTE (module [`param`]). Other crates'
//! types (`chrono`, `time`, `rust_decimal`, `bigdecimal`, `serde_json`, `uuid`, each behind
//! its feature) convert both ways through these same getters: module [`ext`]. Through a row
//! ([`Row::get`](crate::proto::Row::get)) a [`ParseError`] becomes
//! [`Error::Column`](crate::Error::Column), which adds the column's index, name and SQL type.
//!
//! # Rules (text protocol)
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
//! # Rules (binary protocol)
//!
//! The same value reads the same by either protocol: the binary getters accept the same
//! column types as the text getters, give the same value and fail with the same error kind,
//! with the exceptions marked below. A cell of a length-encoded type (`DECIMAL`, the strings,
//! blobs, `JSON`, `BIT`, `ENUM`, `SET`, `GEOMETRY`, unknown codes) holds the very bytes of the
//! text protocol and is read by the text rules above. The other cells are binary:
//!
//! | Rust type | integer cell (`TINY`, `SHORT`, `YEAR`, `INT24`, `LONG`, `LONGLONG`) | `FLOAT` / `DOUBLE` cell | `DATE`, `DATETIME`, `TIMESTAMP` cell | `TIME` cell |
//! |---|---|---|---|---|
//! | `i8`…`u64` | the value, signed or unsigned by the column's `UNSIGNED` flag; `OutOfRange` if it does not fit (binary 300 into `i8`, as text `"300"`) | `InvalidValue` | `InvalidValue` | `InvalidValue` |
//! | `bool` | nonzero is `true` | `InvalidValue` | `InvalidValue` | `InvalidValue` |
//! | `f64` | the nearest `f64` (as parsing the decimal text gives) | `DOUBLE`: the value. `FLOAT`: the exact `f32` widened (**differs** from text, which parses the server's decimal text of the `f32`: `10.2` gives `10.2f64` by text, `10.199999809265137` by binary) | `InvalidValue` | `InvalidValue` |
//! | `f32` | the nearest `f32` | `FLOAT`: the value. `DOUBLE`: its shortest decimal form parsed as `f32`, as the text protocol does; `OutOfRange` past `f32::MAX` | `InvalidValue` | `InvalidValue` |
//! | [`Decimal`] | the integer as decimal text, owned (as text, except that `ZEROFILL` padding is not reproduced: text `"0042"`, binary `"42"`) | `InvalidValue` | `InvalidValue` | `InvalidValue` |
//! | [`Date`] | `InvalidValue` | `InvalidValue` | the date if the time part is zero, else `InvalidValue` | `InvalidValue` |
//! | [`DateTime`] | `InvalidValue` | `InvalidValue` | the value (a `DATE` at midnight) | `InvalidValue` |
//! | [`Time`] | `InvalidValue` | `InvalidValue` | `InvalidValue` | `days * 24 + hour` hours, at most 838 (`OutOfRange` beyond, as text `"839:00:00"`) |
//! | `&str`, `&[u8]` | `InvalidValue`: a borrowed getter lends the cell's text, and a binary number or temporal has none (**differs** from text, which lends `"42"`) | `InvalidValue` | `InvalidValue` | `InvalidValue` |
//! | `String`, `Vec<u8>` | the decimal text (as text, except that `ZEROFILL` padding is not reproduced) | Rust's shortest round-trip text (**differs** from the server's text: MariaDB prints `FLOAT` with 6 significant digits and uses exponents such as `1e100`) | `YYYY-MM-DD` for `DATE`, else the [`DateTime`] `Display`: fraction trimmed (**differs** from a `DATETIME(n)` column's text, which has exactly `n` fraction digits) | the [`Time`] `Display` (fraction trimmed, likewise) |
//!
//! The `String` getter's text of a binary cell is Rust's, not the server's. The server's exact
//! text (which needs the column's `decimals` and `column_length` too: `FLOAT` with 6
//! significant digits, `DATETIME(n)` with `n` fraction digits, `ZEROFILL` padding) is
//! [`binary_as_text`]'s, which [`Row::text`](crate::proto::Row::text) uses.
//!
//! Malformed binary cells: a cell whose size does not fit its column type (3 bytes for a
//! `LONG`, a temporal of length 5), a non-finite `FLOAT`/`DOUBLE`, a `TIME` sign byte other
//! than 0 or 1 are `InvalidValue`; a temporal part out of range (month 13, hour 24, a `TIME`
//! hour-of-day byte of 24 or more) is `OutOfRange`, whatever the getter.
//!
//! # Error kinds
//!
//! - [`ErrorKind::InvalidText`]: the text is malformed (`"1.5"` for an `i64`, `"+1"`, `" 1"`,
//!   empty input, invalid UTF-8 for `&str`).
//! - [`ErrorKind::OutOfRange`]: well-formed, but the number does not fit (`"300"` for an `i8`,
//!   `"-1"` for a `u64`, month 13, hour 24, `"839:00:00"`, `"1e39"` for an `f32`, a `BIT`
//!   value of more than 8 bytes).
//! - [`ErrorKind::InvalidValue`]: the column type does not fit the getter (an `i64` from a
//!   `DATETIME` column), a `Date` from a datetime with a nonzero time part, an empty `BIT`, a
//!   malformed binary cell.
//!
//! # Display
//!
//! [`Date`], [`DateTime`], [`Time`] and [`Decimal`] print in MariaDB's text format. For
//! [`DateTime`] and [`Time`], `{}` prints the fraction with trailing zeros trimmed (none at all
//! when it is zero), and a precision prints exactly that many fraction digits, like a column of
//! that scale: `format!("{:.6}", t)` gives `-838:59:59.000000`, `{:.0}` drops the fraction.
//!
//! # Construction
//!
//! The fields of [`Date`], [`DateTime`] and [`Time`] are private: a value comes from a parser or
//! from a constructor that checks MariaDB's ranges and returns a [`ValueError`] naming the part
//! out of range (`Date::new(2024, 13, 1)` is an error, `Date::new(2024, 0, 0)` a zero-part
//! date). So every value formats to text that parses back to it, and no formatting or
//! conversion can overflow.

use super::error::{ErrorKind, Packet, ParseError};
use super::flags::{ColumnFlags, ColumnType};

mod binary;
pub mod ext;
mod number;
pub mod param;
mod temporal;
pub mod text;

pub use number::Decimal;
pub use param::{Param, ParamType, ToParam};
pub use temporal::{Date, DateTime, Time, ValueError};
pub use text::{binary_as_text, write_binary_as_text, MAX_ZEROFILL_WIDTH, NOT_FIXED_DEC};

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

/// Decodes one non-NULL cell of either protocol.
///
/// `'a` is the lifetime of the cell bytes, so that borrowed types (`&'a str`, `&'a [u8]`,
/// [`Decimal<'a>`]) need no allocation. See the [module documentation](self) for which columns
/// and which cells each type accepts, and where the two protocols differ.
pub trait FromValue<'a>: Sized {
    /// Decodes `bytes`, the text-protocol cell of a column of type `col` with flags `flags`.
    fn from_text(bytes: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError>;

    /// Decodes `bytes`, the binary-protocol cell of a column of type `col` with flags `flags`
    /// (as [`BinaryRowCells::get`](super::binary::BinaryRowCells::get) returns it: the fixed
    /// bytes of a number, the bytes after the length byte of a temporal, the string of any
    /// other type).
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError>;
}

// ---------------------------------------------------------------------------------------------
// Strings and bytes
// ---------------------------------------------------------------------------------------------

impl<'a> FromValue<'a> for &'a str {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        std::str::from_utf8(bytes).map_err(|_| err("str", ErrorKind::InvalidText))
    }

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        Self::from_text(binary::text_bytes(bytes, col, flags, "str")?, col, flags)
    }
}

impl<'a> FromValue<'a> for String {
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

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        match binary::string(bytes, col, flags, "string")? {
            Some(s) => Ok(s),
            None => Self::from_text(bytes, col, flags),
        }
    }
}

impl<'a> FromValue<'a> for &'a [u8] {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        Ok(bytes)
    }

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::text_bytes(bytes, col, flags, "bytes")
    }
}

impl<'a> FromValue<'a> for Vec<u8> {
    #[inline]
    fn from_text(
        bytes: &'a [u8],
        _col: ColumnType,
        _flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        Ok(bytes.to_vec())
    }

    #[inline]
    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        match binary::string(bytes, col, flags, "bytes")? {
            Some(s) => Ok(s.into_bytes()),
            None => Ok(bytes.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::temporal::write_fraction;
    use super::*;
    use std::fmt;

    const NOF: ColumnFlags = ColumnFlags::empty();

    fn get<'a, T: FromValue<'a>>(b: &'a [u8], col: ColumnType) -> Result<T, ParseError> {
        T::from_text(b, col, NOF)
    }

    fn kind<'a, T: FromValue<'a> + fmt::Debug>(b: &'a [u8], col: ColumnType) -> ErrorKind {
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
        assert_eq!(d, Date::new(2024, 2, 29).unwrap());
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
                .day(),
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
        assert_eq!(Date::new(2024, 13, 1).map_err(|e| e.part()), Err("month"));
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
            assert_eq!(dt.micros(), micros, "{}", s);
            assert_eq!(dt.date(), Date::new(2024, 1, 1).unwrap());
        }
        let dt: DateTime = get(b"2038-01-19 03:14:07.999999", ColumnType::TIMESTAMP).unwrap();
        assert_eq!(
            (dt.hour(), dt.minute(), dt.second(), dt.micros()),
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
        assert_eq!(t, Time::new(false, 838, 59, 59, 0).unwrap());
        let t: Time = get(b"-838:59:59.000000", col).unwrap();
        assert_eq!(t, Time::new(true, 838, 59, 59, 0).unwrap());
        assert_eq!(format!("{:.6}", t), "-838:59:59.000000");
        assert_eq!(t.to_string(), "-838:59:59");
        let t: Time = get(b"-00:00:01.5", col).unwrap();
        assert_eq!(t, Time::new(true, 0, 0, 1, 500_000).unwrap());
        assert_eq!(t.total_micros(), -1_500_000);
        let t: Time = get(b"-838:59:59.999999", col).unwrap();
        assert_eq!(
            t.total_micros(),
            -(838 * 3600 + 59 * 60 + 59) * 1_000_000 - 999_999
        );
        // Negative zero is zero.
        let t: Time = get(b"-00:00:00", col).unwrap();
        assert!(!t.is_negative());
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
                .hours(),
            12
        );
        assert_eq!(
            kind::<Time>(b"2024-01-01 12:00:00", ColumnType::DATETIME),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            Time::new(false, 839, 0, 0, 0).map_err(|e| e.part()),
            Err("hours")
        );
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

    /// The constructors say which part is out of range; the MySQL ranges are the limits.
    #[test]
    fn constructors_check_every_part() {
        let part = |r: Result<(), ValueError>| r.map_err(|e| (e.part(), e.value(), e.max()));
        let date = |y, m, d| part(Date::new(y, m, d).map(drop));
        assert_eq!(date(9999, 12, 31), Ok(()));
        assert_eq!(date(0, 0, 0), Ok(()));
        assert_eq!(date(10_000, 1, 1), Err(("year", 10_000, 9999)));
        assert_eq!(date(u16::MAX, 255, 255), Err(("year", 65_535, 9999)));
        assert_eq!(date(2024, 13, 1), Err(("month", 13, 12)));
        assert_eq!(date(2024, 1, 32), Err(("day", 32, 31)));
        let d = Date::ZERO;
        let dt = |h, m, s, us| part(DateTime::new(d, h, m, s, us).map(drop));
        assert_eq!(dt(23, 59, 59, 999_999), Ok(()));
        assert_eq!(dt(24, 0, 0, 0), Err(("hour", 24, 23)));
        assert_eq!(dt(0, 60, 0, 0), Err(("minute", 60, 59)));
        assert_eq!(dt(0, 0, 60, 0), Err(("second", 60, 59)));
        assert_eq!(
            dt(0, 0, 0, 1_000_000),
            Err(("microsecond", 1_000_000, 999_999))
        );
        let tm = |h, m, s, us| part(Time::new(true, h, m, s, us).map(drop));
        assert_eq!(tm(838, 59, 59, 999_999), Ok(()));
        assert_eq!(tm(839, 0, 0, 0), Err(("hours", 839, 838)));
        assert_eq!(tm(u32::MAX, 0, 0, 0), Err(("hours", u32::MAX, 838)));
        assert_eq!(tm(0, 60, 0, 0), Err(("minute", 60, 59)));
        assert_eq!(tm(0, 0, 60, 0), Err(("second", 60, 59)));
        assert_eq!(
            tm(0, 0, 0, u32::MAX),
            Err(("microsecond", u32::MAX, 999_999))
        );
        let e = Date::new(2024, 13, 1).unwrap_err();
        assert_eq!(e.to_string(), "month 13 out of range (0..=12)");
        // The extremes format and convert without overflow.
        let t = Time::new(true, 838, 59, 59, 999_999).unwrap();
        assert_eq!(t.total_micros(), -3_020_399_999_999);
        assert_eq!(format!("{t:.6}"), "-838:59:59.999999");
        assert_eq!(format!("{t:.9}"), "-838:59:59.999999");
        assert_eq!(
            format!("{:.6}", Time::new(true, 0, 0, 0, 0).unwrap()),
            "00:00:00.000000"
        );
    }

    /// The fraction writer never panics, whatever it is given (the types never give it more
    /// than 999_999; it used to underflow a width on 10_000_000).
    #[test]
    fn fraction_writer_is_total() {
        struct F(u32);
        impl fmt::Display for F {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_fraction(f, self.0)
            }
        }
        assert_eq!(F(10_000_000).to_string(), "");
        assert_eq!(F(u32::MAX).to_string(), ".967295");
        assert_eq!(format!("{:.3}", F(u32::MAX)), ".967");
        assert_eq!(F(120_000).to_string(), ".12");
        assert_eq!(format!("{:.0}", F(120_000)), "");
        assert_eq!(format!("{:.20}", F(1)), ".000001");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn date() -> impl Strategy<Value = Date> {
            (0..=9999u16, 0..=12u8, 0..=31u8).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
        }

        fn datetime() -> impl Strategy<Value = DateTime> {
            (date(), 0..=23u8, 0..=59u8, 0..=59u8, 0..=999_999u32)
                .prop_map(|(d, h, m, s, us)| DateTime::new(d, h, m, s, us).unwrap())
        }

        fn time() -> impl Strategy<Value = Time> {
            (
                any::<bool>(),
                0..=838u32,
                0..=59u8,
                0..=59u8,
                0..=999_999u32,
            )
                .prop_map(|(n, h, m, s, us)| Time::new(n, h, m, s, us).unwrap())
        }

        /// Some text near a valid one: a valid rendering with a few bytes replaced, inserted or
        /// cut, to reach the parsers' deeper paths.
        fn mutated(valid: String) -> impl Strategy<Value = Vec<u8>> {
            let n = valid.len();
            proptest::collection::vec((0..=n, any::<u8>(), 0..3u8), 0..4).prop_map(move |edits| {
                let mut b = valid.clone().into_bytes();
                for (at, byte, op) in edits {
                    let at = at.min(b.len());
                    match op {
                        0 => b.insert(at, byte),
                        1 if at < b.len() => b[at] = byte,
                        _ => b.truncate(at),
                    }
                }
                b
            })
        }

        fn parse_all(b: &[u8]) {
            for col in [
                ColumnType::DATE,
                ColumnType::DATETIME,
                ColumnType::TIME,
                ColumnType::VARCHAR,
            ] {
                for v in [
                    get::<Date>(b, col).ok().map(|v| v.to_string()),
                    get::<DateTime>(b, col).ok().map(|v| format!("{v:.6}")),
                    get::<Time>(b, col)
                        .ok()
                        .map(|v| format!("{v} {}", v.total_micros())),
                ] {
                    std::hint::black_box(v);
                }
            }
            let s = String::from_utf8_lossy(b);
            let _ = (s.parse::<Date>(), s.parse::<DateTime>(), s.parse::<Time>());
        }

        proptest! {
            /// (a) Every in-range value prints to text that parses back to it, at every precision
            /// that keeps its digits, from every column type that carries it.
            #[test]
            fn in_range_values_round_trip(d in date(), dt in datetime(), t in time()) {
                prop_assert_eq!(d.to_string().parse::<Date>(), Ok(d));
                prop_assert_eq!(get::<Date>(d.to_string().as_bytes(), ColumnType::DATE), Ok(d));
                prop_assert_eq!(Date::new(d.year(), d.month(), d.day()), Ok(d));
                for s in [dt.to_string(), format!("{dt:.6}")] {
                    prop_assert_eq!(s.parse::<DateTime>(), Ok(dt));
                    prop_assert_eq!(get::<DateTime>(s.as_bytes(), ColumnType::DATETIME), Ok(dt));
                }
                prop_assert_eq!(
                    DateTime::new(dt.date(), dt.hour(), dt.minute(), dt.second(), dt.micros()),
                    Ok(dt)
                );
                for s in [t.to_string(), format!("{t:.6}")] {
                    prop_assert_eq!(s.parse::<Time>(), Ok(t));
                    prop_assert_eq!(get::<Time>(s.as_bytes(), ColumnType::TIME), Ok(t));
                }
                prop_assert_eq!(
                    Time::new(t.is_negative(), t.hours(), t.minutes(), t.seconds(), t.micros()),
                    Ok(t)
                );
                let m = i64::from(t.hours()) * 3_600_000_000
                    + i64::from(t.minutes()) * 60_000_000
                    + i64::from(t.seconds()) * 1_000_000
                    + i64::from(t.micros());
                prop_assert_eq!(t.total_micros(), if t.is_negative() { -m } else { m });
                for p in 0..=8 {
                    let _ = (format!("{dt:.p$}"), format!("{t:.p$}"));
                }
            }

            /// (b) The constructors take any input: a value exactly when every part is in
            /// range, else an error naming the first part that is not; never a panic.
            #[test]
            fn constructors_reject_out_of_range(
                y in any::<u16>(), mo in any::<u8>(), d in any::<u8>(),
                h in any::<u8>(), mi in any::<u8>(), s in any::<u8>(), us in any::<u32>(),
                th in prop_oneof![0..=900u32, any::<u32>()], neg in any::<bool>(),
            ) {
                let first_bad = |parts: &[(&'static str, u32, u32)]| {
                    parts.iter().find(|&&(_, v, max)| v > max).map(|&(p, _, _)| p)
                };
                let want = first_bad(&[
                    ("year", y.into(), 9999), ("month", mo.into(), 12), ("day", d.into(), 31),
                ]);
                prop_assert_eq!(Date::new(y, mo, d).err().map(|e| e.part()), want);
                let want = first_bad(&[
                    ("hour", h.into(), 23), ("minute", mi.into(), 59),
                    ("second", s.into(), 59), ("microsecond", us, 999_999),
                ]);
                let r = DateTime::new(Date::ZERO, h, mi, s, us);
                prop_assert_eq!(r.err().map(|e| e.part()), want);
                let want = first_bad(&[
                    ("hours", th, 838), ("minute", mi.into(), 59),
                    ("second", s.into(), 59), ("microsecond", us, 999_999),
                ]);
                let r = Time::new(neg, th, mi, s, us);
                prop_assert_eq!(r.err().map(|e| e.part()), want);
                if let Ok(t) = r {
                    prop_assert!(t.total_micros().unsigned_abs() <= 3_020_399_999_999);
                    let _ = format!("{t:.6}");
                }
            }

            /// (c) Arbitrary bytes into the text parsers: never a panic.
            #[test]
            fn parsers_take_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..40)) {
                parse_all(&b);
            }

            /// (c) Near-valid text too: valid renderings with a few bytes changed.
            #[test]
            fn parsers_take_near_valid_text(
                b in prop_oneof![
                    datetime().prop_flat_map(|v| mutated(format!("{v:.6}"))),
                    time().prop_flat_map(|v| mutated(format!("{v:.6}"))),
                    date().prop_flat_map(|v| mutated(v.to_string())),
                ]
            ) {
                parse_all(&b);
            }
        }
    }
}
