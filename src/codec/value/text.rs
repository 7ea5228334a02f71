//! A binary-protocol cell as the exact bytes the text protocol sends for the same value.
//!
//! A prepared statement's rows carry numbers and temporals in binary; the text protocol
//! (COM_QUERY) sends the server's own decimal text of them. [`binary_as_text`] and
//! [`write_binary_as_text`] turn a binary cell, with its [`ColumnDefinition`], into that text,
//! so that a program printing either kind of row prints the same bytes (`mywire --prepared
//! --batch` is byte-identical to `mariadb --batch`). The rules were read in MariaDB's source
//! and checked against a live MariaDB 10.11.19 (`protocol-notes/binary-as-text.md` has every
//! rule with its probe):
//!
//! | column | text |
//! |---|---|
//! | length-encoded (`DECIMAL`, strings, blobs, `BIT`, `ENUM`, `SET`, `JSON`, `GEOMETRY`) | the cell's bytes, unchanged (zero-copy) |
//! | integers, `YEAR` | decimal, signed or not by `UNSIGNED` |
//! | `DOUBLE`, decimals ≥ 31 | the shortest digits that read back as the same double; plain notation when the decimal exponent `e` (`d.ddd × 10^e`) is in `-15..=14`, or when the digits reach past the point (`1234567890123456.8`); else `1e15`, `1.2345678901234568e16`, `1e-16`, `-1e20` (no `+`, no padding) |
//! | `FLOAT`, decimals ≥ 31 | the same layout with at most 6 significant digits (the `f32`'s exact value rounded half to even, trailing zeros dropped): `3.14159`, `16777200`, `1.17549e-38` |
//! | `FLOAT` / `DOUBLE`, decimals `d` < 31 | exactly `d` fraction digits, rounded half to even from the exact value: `2.500` |
//! | any number with `ZEROFILL` | left-padded with `0` to the column length (at most 255): `00042`, `000000003.14` |
//! | `DATE` | `YYYY-MM-DD`, zero parts kept: `0000-00-00`, `2024-00-05` |
//! | `DATETIME`, `TIMESTAMP` | `YYYY-MM-DD HH:MM:SS` and, for decimals `d` in 1..=6, `.` and exactly `d` digits: `0000-00-00 00:00:00.000000` |
//! | `TIME` | `[-]HH:MM:SS` (hours = days × 24 + hours, at least two digits) and the fraction as above: `-838:59:59.999999` |
//!
//! A temporal column whose decimals are above 6 (no server sends one) gets its fraction
//! trimmed of trailing zeros. A malformed cell (a `LONG` of 3 bytes, a month 13, a non-finite
//! float) is the same [`ParseError`] the getters give.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

use super::super::error::ParseError;
use super::super::flags::ColumnFlags;
use super::super::resultset::ColumnDefinition;
use super::binary::{self, Cell, StackText};
use super::err;

/// `FLOAT` and `DOUBLE` columns whose decimals are this or more print with the shortest form
/// (MariaDB's `FLOATING_POINT_DECIMALS` / `NOT_FIXED_DEC`); below, with that many decimals.
pub const NOT_FIXED_DEC: u8 = 31;

/// The widest `ZEROFILL` padding honoured: MariaDB's largest display width. A column length
/// above it (only a broken or hostile server sends one) pads to this many characters.
pub const MAX_ZEROFILL_WIDTH: usize = 255;

/// Significant digits of a `FLOAT` in the text protocol (C's `FLT_DIG`).
const FLOAT_DIGITS: usize = 6;

/// Decimal exponents (of the first digit) printed in plain notation: MariaDB's
/// `MAX_DECPT_FOR_F_FORMAT` (`DBL_DIG` = 15) on either side.
const PLAIN_EXP: std::ops::RangeInclusive<i32> = -15..=14;

/// The binary cell `cell` of column `col` as the text protocol would send it: the cell itself
/// for the length-encoded types (borrowed), else the formatted value (owned). See the
/// [module documentation](self) for the rules.
pub fn binary_as_text<'a>(
    cell: &'a [u8],
    col: &ColumnDefinition,
) -> Result<Cow<'a, [u8]>, ParseError> {
    if let Cell::Text(b) = decode(cell, col)? {
        return Ok(Cow::Borrowed(b));
    }
    let mut out = Vec::with_capacity(32);
    write_binary_as_text(cell, col, &mut out)?;
    Ok(Cow::Owned(out))
}

/// Appends the text-protocol bytes of the binary cell `cell` of column `col` to `out` (what
/// [`binary_as_text`] returns), reusing the caller's buffer.
pub fn write_binary_as_text(
    cell: &[u8],
    col: &ColumnDefinition,
    out: &mut Vec<u8>,
) -> Result<(), ParseError> {
    let start = out.len();
    // Writing to a Vec cannot fail.
    let _ = match decode(cell, col)? {
        Cell::Text(b) => {
            out.extend_from_slice(b);
            return Ok(());
        }
        Cell::Int(v) => write!(out, "{v}"),
        Cell::F64(v) => {
            float(out, v, col.decimals, None);
            Ok(())
        }
        Cell::F32(v) => {
            float(out, f64::from(v), col.decimals, Some(FLOAT_DIGITS));
            Ok(())
        }
        Cell::DateTime {
            value,
            date_only: true,
        } => write!(out, "{}", value.date()),
        Cell::DateTime { value, .. } => match fraction_digits(col.decimals) {
            Some(d) => write!(out, "{value:.d$}"),
            None => write!(out, "{value}"),
        },
        Cell::Time(t) => match fraction_digits(col.decimals) {
            Some(d) => write!(out, "{t:.d$}"),
            None => write!(out, "{t}"),
        },
    };
    if col.flags.contains(ColumnFlags::ZEROFILL) {
        zerofill(out, start, col.column_length);
    }
    Ok(())
}

fn decode<'a>(cell: &'a [u8], col: &ColumnDefinition) -> Result<Cell<'a>, ParseError> {
    binary::cell(cell, col.column_type, col.flags).map_err(|k| err("text", k))
}

/// The fraction digits of a temporal column: exactly `decimals` for 0..=6, `None` (trimmed)
/// beyond.
fn fraction_digits(decimals: u8) -> Option<usize> {
    (decimals <= 6).then_some(usize::from(decimals))
}

/// Left-pads `out[start..]` with `0` to `column_length` characters (at most
/// [`MAX_ZEROFILL_WIDTH`]); a longer value is left as it is.
fn zerofill(out: &mut Vec<u8>, start: usize, column_length: u32) {
    let width = usize::try_from(column_length)
        .unwrap_or(usize::MAX)
        .min(MAX_ZEROFILL_WIDTH);
    let len = out.len().saturating_sub(start);
    if len < width {
        let pad = width.saturating_sub(len);
        out.splice(start..start, std::iter::repeat_n(b'0', pad));
    }
}

/// A `FLOAT` (`max_digits` 6, the value widened exactly) or `DOUBLE` (`None`: shortest
/// round-trip digits) as the server prints it with `decimals`.
fn float(out: &mut Vec<u8>, v: f64, decimals: u8, max_digits: Option<usize>) {
    let mut buf = StackText::new();
    if decimals < NOT_FIXED_DEC {
        // Fixed: exactly `decimals` digits, rounded half to even from the exact binary value,
        // as MariaDB's my_fcvt (dtoa mode 3). The longest is 39 + 1 + 30 digits: too long for
        // the stack buffer, so written straight to `out`.
        let _ = write!(out, "{v:.prec$}", prec = usize::from(decimals));
        return;
    }
    // Shortest (`{:e}`), or `max_digits` significant digits rounded half to even (`{:.Ne}`),
    // as dtoa mode 4 gives them to MariaDB's my_gcvt.
    let written = match max_digits {
        Some(n) => write!(buf, "{v:.prec$e}", prec = n.saturating_sub(1)),
        None => write!(buf, "{v:e}"),
    };
    if written.is_err() {
        // Cannot happen (the longest `{:e}` of an f64 is 24 bytes); the shortest form it is.
        let _ = write!(out, "{v}");
        return;
    }
    let s = buf.as_str();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits = StackText::new();
    for c in mantissa.chars().filter(|&c| c != '.') {
        let _ = digits.write_char(c);
    }
    let digits = digits.as_str().trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    layout(out, negative, digits, exp);
}

/// Writes `digits` (`d.ddd × 10^exp`, no trailing zeros) in MariaDB's my_gcvt layout: plain
/// notation for `exp` in [`PLAIN_EXP`] or when the digits reach past the decimal point, else
/// `d.ddde[-]N`.
fn layout(out: &mut Vec<u8>, negative: bool, digits: &str, exp: i32) {
    if negative {
        out.push(b'-');
    }
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // dtoa's decpt: where the decimal point goes, counted from the first digit.
    let decpt = exp.saturating_add(1);
    let bytes = digits.as_bytes();
    if PLAIN_EXP.contains(&exp) || (exp >= 0 && len > decpt) {
        if decpt <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(
                b'0',
                usize::try_from(-decpt).unwrap_or(0),
            ));
            out.extend_from_slice(bytes);
        } else {
            let point = usize::try_from(decpt).unwrap_or(usize::MAX);
            match bytes.split_at_checked(point) {
                Some((int, frac)) if !frac.is_empty() => {
                    out.extend_from_slice(int);
                    out.push(b'.');
                    out.extend_from_slice(frac);
                }
                _ => {
                    out.extend_from_slice(bytes);
                    out.extend(std::iter::repeat_n(b'0', point.saturating_sub(bytes.len())));
                }
            }
        }
    } else {
        let (first, rest) = bytes.split_at_checked(1).unwrap_or((bytes, &[]));
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        // Writing to a Vec cannot fail.
        let _ = write!(out, "e{exp}");
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
