//! The binary-as-text rules, each with the values of its live probe against MariaDB 10.11.19
//! (`protocol-notes/binary-as-text.md`): the binary cell the server sent by COM_STMT_EXECUTE,
//! and the text it sent for the same value by COM_QUERY.

// The probe values are the server's (3.1415927 is what was inserted, not PI).
#![allow(clippy::approx_constant)]

use super::*;
use crate::codec::flags::{ColumnFlags, ColumnType};

const NOF: ColumnFlags = ColumnFlags::empty();
/// UNSIGNED | ZEROFILL, as the server flags a ZEROFILL column (0x0060).
const ZF: ColumnFlags = ColumnFlags(0x0060);

fn col(t: ColumnType, flags: ColumnFlags, decimals: u8, length: u32) -> ColumnDefinition {
    crate::codec::test_util::column_def(t, flags, decimals, length)
}

fn text(cell: &[u8], c: &ColumnDefinition) -> String {
    String::from_utf8(binary_as_text(cell, c).unwrap().into_owned()).unwrap()
}

fn dbl(v: f64) -> String {
    text(&v.to_le_bytes(), &col(ColumnType::DOUBLE, NOF, 31, 22))
}

fn flt(v: f32) -> String {
    text(&v.to_le_bytes(), &col(ColumnType::FLOAT, NOF, 31, 12))
}

#[test]
fn length_encoded_cells_are_borrowed_unchanged() {
    for t in [
        ColumnType::NEWDECIMAL,
        ColumnType::BIT,
        ColumnType::BLOB,
        ColumnType::VAR_STRING,
        ColumnType::STRING,
        ColumnType::JSON,
        ColumnType::GEOMETRY,
    ] {
        let cell = b"\x00\t\n\\A\xff";
        let c = col(t, NOF, 0, 10);
        let got = binary_as_text(cell, &c).unwrap();
        assert!(matches!(got, Cow::Borrowed(_)), "{t}");
        assert_eq!(&*got, cell);
    }
    // DECIMAL ZEROFILL: the server pads the binary cell itself ("0003.50"); not padded twice.
    assert_eq!(
        text(b"0003.50", &col(ColumnType::NEWDECIMAL, ZF, 2, 7)),
        "0003.50"
    );
}

#[test]
fn integers_signed_unsigned_and_zerofill() {
    let tiny = col(ColumnType::TINY, NOF, 0, 4);
    assert_eq!(text(&[0x80], &tiny), "-128");
    assert_eq!(
        text(&[0xff], &col(ColumnType::TINY, ColumnFlags::UNSIGNED, 0, 3)),
        "255"
    );
    assert_eq!(
        text(&[0xff; 8], &col(ColumnType::LONGLONG, ZF, 0, 20)),
        "18446744073709551615"
    );
    assert_eq!(
        text(&[0; 8], &col(ColumnType::LONGLONG, ZF, 0, 20)),
        "00000000000000000000"
    );
    assert_eq!(
        text(
            &[0, 0, 0, 0, 0, 0, 0, 0x80],
            &col(ColumnType::LONGLONG, NOF, 0, 20)
        ),
        "-9223372036854775808"
    );
    // smallint zerofill 7, mediumint(5) zerofill 42 and 123456 (wider than the column).
    assert_eq!(text(&[7, 0], &col(ColumnType::SHORT, ZF, 0, 5)), "00007");
    assert_eq!(
        text(&[42, 0, 0, 0], &col(ColumnType::INT24, ZF, 0, 5)),
        "00042"
    );
    assert_eq!(
        text(&[0x40, 0xe2, 0x01, 0], &col(ColumnType::INT24, ZF, 0, 5)),
        "123456"
    );
    // YEAR is flagged ZEROFILL with length 4 (YEAR(2): length 2).
    assert_eq!(text(&[0, 0], &col(ColumnType::YEAR, ZF, 0, 4)), "0000");
    assert_eq!(
        text(&[0x6d, 0x07], &col(ColumnType::YEAR, ZF, 0, 4)),
        "1901"
    );
    assert_eq!(text(&[99, 0], &col(ColumnType::YEAR, ZF, 0, 2)), "99");
    assert_eq!(text(&[5, 0], &col(ColumnType::YEAR, ZF, 0, 2)), "05");
    // TINYINT(1) is a number like any other.
    assert_eq!(text(&[0xff], &col(ColumnType::TINY, NOF, 0, 1)), "-1");
}

#[test]
fn zerofill_width_is_capped() {
    let c = col(ColumnType::LONG, ZF, 0, u32::MAX);
    assert_eq!(text(&[1, 0, 0, 0], &c).len(), MAX_ZEROFILL_WIDTH);
}

#[test]
fn double_shortest_digits_and_exponent_switch() {
    assert_eq!(dbl(1.5), "1.5");
    assert_eq!(dbl(1.0), "1");
    assert_eq!(dbl(0.1 + 0.2), "0.30000000000000004");
    assert_eq!(dbl(2.0 / 3.0), "0.6666666666666666");
    assert_eq!(dbl(3.141592653589793), "3.141592653589793");
    // Plain up to 10^14 (decimal point 15 places in), exponent from 10^15.
    assert_eq!(dbl(1e14), "100000000000000");
    assert_eq!(dbl(1e15), "1e15");
    assert_eq!(dbl(1e16), "1e16");
    assert_eq!(dbl(1e20), "1e20");
    assert_eq!(dbl(-1e20), "-1e20");
    assert_eq!(dbl(1e100), "1e100");
    assert_eq!(dbl(1.7976931348623157e308), "1.7976931348623157e308");
    assert_eq!(dbl(12345678901234567.0), "1.2345678901234568e16");
    assert_eq!(dbl(123456789012345678.0), "1.2345678901234568e17");
    // Digits past the decimal point keep the plain form beyond 10^15.
    assert_eq!(dbl(1234567890123456.7), "1234567890123456.8");
    // Small: plain down to 10^-15, exponent below.
    assert_eq!(dbl(1e-4), "0.0001");
    assert_eq!(dbl(1e-5), "0.00001");
    assert_eq!(dbl(1e-15), "0.000000000000001");
    assert_eq!(dbl(1e-16), "1e-16");
    assert_eq!(dbl(1.2345678901234567e-7), "0.00000012345678901234566");
    assert_eq!(dbl(0.0), "0");
    // Not seen from MariaDB (it sends +0 for -0e0), but my_gcvt keeps dtoa's sign.
    assert_eq!(dbl(-0.0), "-0");
}

#[test]
fn float_six_significant_digits() {
    assert_eq!(flt(3.1415927), "3.14159");
    assert_eq!(flt(16777216.0), "16777200");
    assert_eq!(flt(1234567.0), "1234570");
    assert_eq!(flt(123456.7), "123457");
    assert_eq!(flt(1e-5), "0.00001");
    assert_eq!(flt(0.1), "0.1");
    assert_eq!(flt(f32::MIN_POSITIVE), "1.17549e-38");
    assert_eq!(flt(-3.4e38), "-3.4e38");
    assert_eq!(flt(1e20), "1e20");
    assert_eq!(flt(0.0), "0");
    // Exact ties round half to even: CAST(1234565 AS FLOAT), CAST(1234575 AS FLOAT).
    assert_eq!(flt(1234565.0), "1234560");
    assert_eq!(flt(1234575.0), "1234580");
}

#[test]
fn fixed_decimals() {
    let d3 = col(ColumnType::DOUBLE, NOF, 3, 10);
    assert_eq!(text(&2.5f64.to_le_bytes(), &d3), "2.500");
    assert_eq!(text(&1e6f64.to_le_bytes(), &d3), "1000000.000");
    assert_eq!(text(&123456.789f64.to_le_bytes(), &d3), "123456.789");
    assert_eq!(text(&0f64.to_le_bytes(), &d3), "0.000");
    let f2 = col(ColumnType::FLOAT, NOF, 2, 7);
    assert_eq!(text(&3.14f32.to_le_bytes(), &f2), "3.14");
    assert_eq!(text(&(-1f32).to_le_bytes(), &f2), "-1.00");
    assert_eq!(text(&99999.99f32.to_le_bytes(), &f2), "99999.99");
    // ROUND(x, 2) of a double: decimals 2 on an expression.
    let e2 = col(ColumnType::DOUBLE, ColumnFlags(0x81), 2, 19);
    assert_eq!(text(&0f64.to_le_bytes(), &e2), "0.00");
    // DECIMAL-like maximum: 30 fraction digits.
    let d30 = col(ColumnType::DOUBLE, NOF, 30, 50);
    assert_eq!(
        text(&0.5f64.to_le_bytes(), &d30),
        "0.500000000000000000000000000000"
    );
}

#[test]
fn float_zerofill() {
    let fz = col(ColumnType::FLOAT, ZF, 31, 12);
    assert_eq!(text(&3.14f32.to_le_bytes(), &fz), "000000003.14");
    assert_eq!(text(&1e20f32.to_le_bytes(), &fz), "000000001e20");
    assert_eq!(text(&3.4e38f32.to_le_bytes(), &fz), "0000003.4e38");
    assert_eq!(text(&1e-5f32.to_le_bytes(), &fz), "000000.00001");
    let dz = col(ColumnType::DOUBLE, ZF, 2, 8);
    assert_eq!(text(&3.14159f64.to_le_bytes(), &dz), "00003.14");
    assert_eq!(text(&12345.67f64.to_le_bytes(), &dz), "12345.67");
}

#[test]
fn dates_and_datetimes() {
    let date = col(ColumnType::DATE, NOF, 0, 10);
    assert_eq!(text(&[], &date), "0000-00-00");
    assert_eq!(text(&[0xe8, 0x07, 0, 5], &date), "2024-00-05");
    assert_eq!(text(&[0xe8, 0x07, 2, 0], &date), "2024-02-00");
    let dt0 = col(ColumnType::DATETIME, NOF, 0, 19);
    assert_eq!(text(&[], &dt0), "0000-00-00 00:00:00");
    assert_eq!(text(&[0xe8, 0x07, 1, 2], &dt0), "2024-01-02 00:00:00");
    assert_eq!(
        text(&[0xe8, 0x07, 1, 2, 3, 4, 5], &dt0),
        "2024-01-02 03:04:05"
    );
    let dt6 = col(ColumnType::DATETIME, NOF, 6, 26);
    assert_eq!(text(&[], &dt6), "0000-00-00 00:00:00.000000");
    assert_eq!(
        text(&[0xe8, 0x03, 1, 1], &dt6),
        "1000-01-01 00:00:00.000000"
    );
    assert_eq!(
        text(&[0x0f, 0x27, 12, 31, 23, 59, 59, 0x3f, 0x42, 0x0f, 0], &dt6),
        "9999-12-31 23:59:59.999999"
    );
    let dt3 = col(ColumnType::DATETIME, NOF, 3, 23);
    assert_eq!(
        text(&[0xe8, 0x07, 1, 2, 3, 4, 5, 0x20, 0xa1, 0x07, 0], &dt3),
        "2024-01-02 03:04:05.500"
    );
    assert_eq!(
        text(&[0, 0, 1, 1, 0, 0, 0, 0xe8, 0x03, 0, 0], &dt3),
        "0000-01-01 00:00:00.001"
    );
    let ts2 = col(ColumnType::TIMESTAMP, ColumnFlags(0xa0), 2, 22);
    assert_eq!(text(&[], &ts2), "0000-00-00 00:00:00.00");
    assert_eq!(
        text(&[0xe8, 0x07, 1, 2, 3, 4, 5, 0x10, 0x27, 0, 0], &ts2),
        "2024-01-02 03:04:05.01"
    );
    // Decimals beyond 6 (never sent): the fraction trimmed.
    let odd = col(ColumnType::DATETIME, NOF, 31, 26);
    assert_eq!(
        text(&[0xe8, 0x07, 1, 2, 3, 4, 5, 0x20, 0xa1, 0x07, 0], &odd),
        "2024-01-02 03:04:05.5"
    );
}

#[test]
fn times() {
    let t0 = col(ColumnType::TIME, NOF, 0, 10);
    assert_eq!(
        text(&[1, 0x22, 0, 0, 0, 0x16, 0x3b, 0x3b], &t0),
        "-838:59:59"
    );
    assert_eq!(
        text(&[0, 0x22, 0, 0, 0, 0x16, 0x3b, 0x3b], &t0),
        "838:59:59"
    );
    assert_eq!(text(&[0, 1, 0, 0, 0, 0, 0, 0], &t0), "24:00:00");
    assert_eq!(text(&[1, 1, 0, 0, 0, 2, 3, 4], &t0), "-26:03:04");
    assert_eq!(text(&[], &t0), "00:00:00");
    let t6 = col(ColumnType::TIME, NOF, 6, 17);
    assert_eq!(
        text(
            &[1, 0x22, 0, 0, 0, 0x16, 0x3b, 0x3b, 0x3f, 0x42, 0x0f, 0],
            &t6
        ),
        "-838:59:59.999999"
    );
    assert_eq!(
        text(&[0, 0x22, 0, 0, 0, 0x16, 0x3b, 0x3b], &t6),
        "838:59:59.000000"
    );
    assert_eq!(
        text(&[1, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0], &t6),
        "-01:02:03.000004"
    );
    let t1 = col(ColumnType::TIME, NOF, 1, 12);
    assert_eq!(text(&[], &t1), "00:00:00.0");
    assert_eq!(
        text(&[1, 0, 0, 0, 0, 0, 0, 0, 0x20, 0xa1, 0x07, 0], &t1),
        "-00:00:00.5"
    );
    assert_eq!(text(&[0, 4, 0, 0, 0, 4, 0, 0], &t1), "100:00:00.0");
    // CAST('12:34:56.789' AS TIME(2)): the server truncates the binary micros to 780000.
    let t2 = col(ColumnType::TIME, NOF, 2, 13);
    assert_eq!(
        text(&[0, 0, 0, 0, 0, 12, 34, 56, 0xe0, 0xe6, 0x0b, 0], &t2),
        "12:34:56.78"
    );
}

#[test]
fn malformed_cells_are_errors() {
    use crate::codec::error::ErrorKind;
    let cases: [(&[u8], ColumnType); 5] = [
        (&[1, 2, 3], ColumnType::LONG),
        (&[0, 0, 0xc0, 0x7f], ColumnType::FLOAT),
        (&[0xe8, 0x07, 13, 1], ColumnType::DATE),
        (&[2, 0, 0, 0, 0, 0, 0, 0], ColumnType::TIME),
        (&[0; 5], ColumnType::DATETIME),
    ];
    for (cell, t) in cases {
        let e = binary_as_text(cell, &col(t, NOF, 0, 10)).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::InvalidValue | ErrorKind::OutOfRange),
            "{t}: {e}"
        );
    }
}

#[test]
fn write_appends_to_the_buffer() {
    let mut out = b"x".to_vec();
    write_binary_as_text(&[7, 0], &col(ColumnType::SHORT, ZF, 0, 5), &mut out).unwrap();
    write_binary_as_text(b"ab", &col(ColumnType::VAR_STRING, NOF, 0, 5), &mut out).unwrap();
    assert_eq!(out, b"x00007ab");
}

/// Every finite double: the text reads back as the same double (the digits are the shortest
/// round trip), and the plain/exponent choice follows the decimal exponent.
#[test]
fn property_double_text_round_trips() {
    use proptest::prelude::*;
    proptest!(|(bits in any::<u64>())| {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        let s = dbl(v);
        let back: f64 = s.parse().unwrap();
        prop_assert_eq!(back.to_bits(), v.to_bits(), "{}", s);
        let exp: i32 = format!("{v:e}").split_once('e').unwrap().1.parse().unwrap();
        let digits = format!("{:e}", v.abs()).split_once('e').unwrap().0.replace('.', "");
        let past_point = exp >= 0 && i32::try_from(digits.len()).unwrap() > exp + 1;
        prop_assert_eq!(s.contains('e'), !((-15..=14).contains(&exp) || past_point), "{}", s);
    });
}

/// Every finite float: at most 6 significant digits, within half a unit of the 6th digit of
/// the exact value.
#[test]
fn property_float_six_digits() {
    use proptest::prelude::*;
    proptest!(|(bits in any::<u32>())| {
        let v = f32::from_bits(bits);
        prop_assume!(v.is_finite());
        let s = flt(v);
        let sig: String = s
            .split('e')
            .next()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let sig = sig.trim_start_matches('0').trim_end_matches('0');
        prop_assert!(sig.len() <= 6, "{}", s);
        let back: f64 = s.parse().unwrap();
        let want: f64 = format!("{:.5e}", f64::from(v)).parse().unwrap();
        prop_assert_eq!(back, want, "{}", s);
    });
}

/// Hostile cells and column definitions: never a panic, and the text of a fixed-size cell is
/// bounded (at most the ZEROFILL cap, or a 30-decimal float's ~340 characters).
#[test]
fn property_any_cell_any_column_is_bounded() {
    use proptest::prelude::*;
    proptest!(|(
        cell in proptest::collection::vec(any::<u8>(), 0..16),
        ty in any::<u8>(),
        flags in any::<u16>(),
        decimals in any::<u8>(),
        length in any::<u32>(),
    )| {
        let c = col(ColumnType(ty), ColumnFlags(flags), decimals, length);
        if let Ok(t) = binary_as_text(&cell, &c) {
            prop_assert!(t.len() <= cell.len().max(MAX_ZEROFILL_WIDTH).max(400), "{}", t.len());
        }
    });
}

/// Integers: the text reads back, by the text getter, as the value the binary getter gives.
#[test]
fn property_integers_agree_with_the_getters() {
    use crate::codec::value::FromValue;
    use proptest::prelude::*;
    proptest!(|(v in any::<i64>(), unsigned in any::<bool>())| {
        let flags = if unsigned { ColumnFlags::UNSIGNED } else { NOF };
        let cell = v.to_le_bytes();
        let c = col(ColumnType::LONGLONG, flags, 0, 20);
        let t = text(&cell, &c);
        let by_text = i128::from(i64::from_text(t.as_bytes(), ColumnType::LONGLONG, flags).unwrap_or(0))
            + i128::from(u64::from_text(t.as_bytes(), ColumnType::LONGLONG, flags).unwrap_or(0));
        let by_binary = i128::from(i64::from_binary(&cell, ColumnType::LONGLONG, flags).unwrap_or(0))
            + i128::from(u64::from_binary(&cell, ColumnType::LONGLONG, flags).unwrap_or(0));
        prop_assert_eq!(by_text, by_binary, "{}", t);
    });
}
