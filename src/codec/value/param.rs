//! Rust values as binary-protocol parameters (COM_STMT_EXECUTE, COM_STMT_BULK_EXECUTE, the
//! query attributes of COM_QUERY). See protocol-notes/prepared-statements.md.
//!
//! A parameter is declared with two bytes, its type and a flag byte (0x80 = unsigned), and sent
//! in the same binary form a binary result row uses for a value of that type: so
//! [`ToParam::encode_value`] is also how test servers and fuzz seeds build binary rows.
//!
//! | Rust type | declared type | value |
//! |---|---|---|
//! | `i8` / `u8` | `TINY` (unsigned for `u8`) | 1 byte |
//! | `i16` / `u16` | `SHORT` | 2 bytes, little-endian |
//! | `i32` / `u32` | `LONG` | 4 bytes |
//! | `i64` / `u64` | `LONGLONG` | 8 bytes |
//! | `bool` | `TINY` | 1 byte, 0 or 1 |
//! | `f32` / `f64` | `FLOAT` / `DOUBLE` | IEEE 754, 4 / 8 bytes, little-endian |
//! | `&str`, `String` | `VAR_STRING` | `string<lenenc>` (the server converts it from the connection character set) |
//! | `&[u8]`, `Vec<u8>` | `BLOB` | `string<lenenc>` (binary: the server converts nothing) |
//! | [`Decimal`] | `NEWDECIMAL` | its text as `string<lenenc>` (exact, never through a float) |
//! | [`Date`] | `DATE` | length byte 0 (zero date) or 4, then year `int<2>`, month, day |
//! | [`DateTime`] | `DATETIME` | length 0, 4, 7 or 11: the shortest that is exact (year, month, day, hour, minute, second, microseconds `int<4>`) |
//! | [`Time`] | `TIME` | length 0, 8 or 12: is_negative, days `int<4>`, hour (< 24), minute, second, microseconds `int<4>` |
//! | `Option<T>` | `T`'s, or `NULL` (type 0x06) for `None` | `T`'s; `None` is a bit of the NULL bitmap and sends no bytes |
//! | `&T` | `T`'s | `T`'s |
//!
//! The trait is object-safe: a statement's parameters are a `&[&dyn ToParam]`, e.g.
//! `&[&1i32, &"x", &None::<i64>]`. [`Param`] is an owned (or borrowed) value of any of these
//! types, for parameter lists built at run time.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::super::error::ParseError;
use super::super::flags::ColumnType;
use super::super::writer::put_lenenc_bytes;
use super::{Date, DateTime, Decimal, Time};

/// The flag byte of a parameter type: the value is unsigned.
pub const UNSIGNED_FLAG: u8 = 0x80;

/// The declared type of a parameter: its [`ColumnType`] and whether it is unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamType {
    /// The type byte (`enum_field_types`).
    pub column_type: ColumnType,
    /// The high bit of the flag byte.
    pub unsigned: bool,
}

impl ParamType {
    /// The type of a NULL parameter (`MYSQL_TYPE_NULL`).
    pub const NULL: ParamType = ParamType::signed(ColumnType::NULL);

    /// A signed (or sign-less) type.
    pub const fn signed(column_type: ColumnType) -> Self {
        ParamType {
            column_type,
            unsigned: false,
        }
    }

    /// An unsigned type.
    pub const fn unsigned(column_type: ColumnType) -> Self {
        ParamType {
            column_type,
            unsigned: true,
        }
    }

    /// The two bytes sent for this type: the type byte, then the flag byte.
    pub const fn to_bytes(self) -> [u8; 2] {
        [
            self.column_type.0,
            if self.unsigned { UNSIGNED_FLAG } else { 0 },
        ]
    }

    /// The type declared by two bytes (flag bits other than [`UNSIGNED_FLAG`] are ignored).
    pub const fn from_bytes(b: [u8; 2]) -> Self {
        ParamType {
            column_type: ColumnType(b[0]),
            unsigned: b[1] & UNSIGNED_FLAG != 0,
        }
    }

    /// The column flags a binary row carries for a column of this type (`UNSIGNED` or none):
    /// what a value encoded by [`ToParam::encode_value`] is read back with.
    pub fn column_flags(self) -> super::ColumnFlags {
        if self.unsigned {
            super::ColumnFlags::UNSIGNED
        } else {
            super::ColumnFlags::empty()
        }
    }
}

/// A value that can be sent as a binary-protocol parameter. See the [module
/// documentation](self) for the types and encodings.
///
/// `Sync`, so that `&dyn ToParam` is `Send` and the async session's futures that take
/// parameters (`exec`, `execute`, `exec_batch`, …) can be spawned on a multi-threaded runtime.
pub trait ToParam: Sync {
    /// The type to declare for this value ([`ParamType::NULL`] for SQL NULL).
    fn param_type(&self) -> ParamType;

    /// True for SQL NULL: the value is a bit of the NULL bitmap and sends no bytes.
    fn is_null(&self) -> bool {
        false
    }

    /// Appends the binary value (nothing for NULL): exactly the bytes a binary result row
    /// carries for a value of [`param_type`](Self::param_type).
    fn encode_value(&self, out: &mut BytesMut);

    /// The bytes of a string or byte-string value, which COM_STMT_SEND_LONG_DATA can send
    /// ahead of the execute instead; `None` for every other type and for NULL. Its length
    /// tells whether a value is worth sending that way.
    fn long_data(&self) -> Option<&[u8]> {
        None
    }

    /// Checks that the value can be sent as it is: an error ([`OutOfRange`](super::super::ErrorKind::OutOfRange),
    /// `field` naming the type) for a value the declared type cannot carry (a `chrono` date
    /// past year 9999, a duration beyond 838 hours). The sessions check every parameter before
    /// anything is sent; [`encode_value`](Self::encode_value) of a value that fails this
    /// check sends a zero value. Every type of this module passes.
    fn check(&self) -> Result<(), ParseError> {
        Ok(())
    }
}

/// [`ToParam::check`] of every parameter: the first failure as [`crate::Error::Usage`],
/// naming the parameter (0-based) and the type.
pub fn check_params(params: &[&dyn ToParam]) -> Result<(), crate::Error> {
    for (i, p) in params.iter().enumerate() {
        if let Err(e) = p.check() {
            return Err(crate::Error::Usage(format!(
                "parameter {i} ({}): {}; nothing was sent",
                e.field, e.kind
            )));
        }
    }
    Ok(())
}

macro_rules! int_param {
    ($($t:ty => $col:ident, $unsigned:literal;)*) => {$(
        impl ToParam for $t {
            fn param_type(&self) -> ParamType {
                ParamType { column_type: ColumnType::$col, unsigned: $unsigned }
            }
            fn encode_value(&self, out: &mut BytesMut) {
                // `extend_from_slice` is inlined (BufMut's `put_*` is a call per value).
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

int_param! {
    i8 => TINY, false;
    u8 => TINY, true;
    i16 => SHORT, false;
    u16 => SHORT, true;
    i32 => LONG, false;
    u32 => LONG, true;
    i64 => LONGLONG, false;
    u64 => LONGLONG, true;
    f32 => FLOAT, false;
    f64 => DOUBLE, false;
}

impl ToParam for bool {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::TINY)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        out.extend_from_slice(&[u8::from(*self)]);
    }
}

impl ToParam for str {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::VAR_STRING)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.as_bytes());
    }
    fn long_data(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

impl ToParam for String {
    fn param_type(&self) -> ParamType {
        self.as_str().param_type()
    }
    fn encode_value(&self, out: &mut BytesMut) {
        self.as_str().encode_value(out);
    }
    fn long_data(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

impl ToParam for [u8] {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::BLOB)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self);
    }
    fn long_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl ToParam for Vec<u8> {
    fn param_type(&self) -> ParamType {
        self.as_slice().param_type()
    }
    fn encode_value(&self, out: &mut BytesMut) {
        self.as_slice().encode_value(out);
    }
    fn long_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl<const N: usize> ToParam for [u8; N] {
    fn param_type(&self) -> ParamType {
        self.as_slice().param_type()
    }
    fn encode_value(&self, out: &mut BytesMut) {
        self.as_slice().encode_value(out);
    }
    fn long_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl ToParam for Decimal<'_> {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::NEWDECIMAL)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.as_str().as_bytes());
    }
}

impl ToParam for Date {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::DATE)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_binary_datetime(out, &DateTime::from(*self));
    }
}

impl ToParam for DateTime {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::DATETIME)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_binary_datetime(out, self);
    }
}

impl ToParam for Time {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::TIME)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_binary_time(out, self);
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn param_type(&self) -> ParamType {
        match self {
            Some(v) => v.param_type(),
            None => ParamType::NULL,
        }
    }
    fn is_null(&self) -> bool {
        self.as_ref().is_none_or(ToParam::is_null)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        if let Some(v) = self {
            v.encode_value(out);
        }
    }
    fn long_data(&self) -> Option<&[u8]> {
        self.as_ref().and_then(ToParam::long_data)
    }
    fn check(&self) -> Result<(), ParseError> {
        self.as_ref().map_or(Ok(()), ToParam::check)
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn param_type(&self) -> ParamType {
        (**self).param_type()
    }
    fn is_null(&self) -> bool {
        (**self).is_null()
    }
    fn encode_value(&self, out: &mut BytesMut) {
        (**self).encode_value(out);
    }
    fn long_data(&self) -> Option<&[u8]> {
        (**self).long_data()
    }
    fn check(&self) -> Result<(), ParseError> {
        (**self).check()
    }
}

/// Appends a DATE / DATETIME / TIMESTAMP value in its binary form: a length byte (0, 4, 7 or
/// 11, the shortest that keeps every nonzero part, as the server itself chooses) and the parts.
#[inline]
pub fn put_binary_datetime(out: &mut BytesMut, v: &DateTime) {
    let d = v.date();
    let len: u8 = if v.micros() != 0 {
        11
    } else if v.hour() != 0 || v.minute() != 0 || v.second() != 0 {
        7
    } else if !d.is_zero() {
        4
    } else {
        0
    };
    // The length byte and every part, then as many as the length keeps: one append.
    let [y0, y1] = d.year().to_le_bytes();
    let [m0, m1, m2, m3] = v.micros().to_le_bytes();
    let all = [
        len,
        y0,
        y1,
        d.month(),
        d.day(),
        v.hour(),
        v.minute(),
        v.second(),
        m0,
        m1,
        m2,
        m3,
    ];
    out.extend_from_slice(
        all.get(..usize::from(len).saturating_add(1))
            .unwrap_or(&all),
    );
}

/// Appends a TIME value in its binary form: a length byte (0, 8 or 12, the shortest that
/// keeps every nonzero part), is_negative, the whole days and the hour of the day (the hours of
/// a [`Time`] split as `days * 24 + hour`), minute, second, microseconds.
pub fn put_binary_time(out: &mut BytesMut, v: &Time) {
    let len: u8 = if v.micros() != 0 {
        12
    } else if v.hours() != 0 || v.minutes() != 0 || v.seconds() != 0 {
        8
    } else {
        0
    };
    out.put_u8(len);
    if len >= 8 {
        let hours = v.hours();
        out.put_u8(u8::from(v.is_negative()));
        out.put_u32_le(hours / 24);
        // hours % 24 < 24 fits a byte; the fallback is never taken.
        out.put_u8(u8::try_from(hours % 24).unwrap_or(0));
        out.put_u8(v.minutes());
        out.put_u8(v.seconds());
    }
    if len == 12 {
        out.put_u32_le(v.micros());
    }
}

/// A parameter value of any supported type, owned or borrowed: for parameter lists built at
/// run time (a `Vec<Param>` is `&[&dyn ToParam]`-ready with `iter().map(|p| p as &dyn
/// ToParam)`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Param<'a> {
    /// SQL NULL.
    Null,
    /// A signed integer, sent as `LONGLONG`.
    Int(i64),
    /// An unsigned integer, sent as unsigned `LONGLONG`.
    UInt(u64),
    /// A `FLOAT`.
    Float(f32),
    /// A `DOUBLE`.
    Double(f64),
    /// Text, sent as `VAR_STRING`.
    Text(Cow<'a, str>),
    /// Bytes, sent as `BLOB`.
    Bytes(Cow<'a, [u8]>),
    /// An exact decimal, sent as `NEWDECIMAL` text.
    Decimal(Decimal<'a>),
    /// A `DATE`.
    Date(Date),
    /// A `DATETIME`.
    DateTime(DateTime),
    /// A `TIME`.
    Time(Time),
}

impl ToParam for Param<'_> {
    fn param_type(&self) -> ParamType {
        match self {
            Param::Null => ParamType::NULL,
            Param::Int(v) => v.param_type(),
            Param::UInt(v) => v.param_type(),
            Param::Float(v) => v.param_type(),
            Param::Double(v) => v.param_type(),
            Param::Text(v) => v.as_ref().param_type(),
            Param::Bytes(v) => v.as_ref().param_type(),
            Param::Decimal(v) => v.param_type(),
            Param::Date(v) => v.param_type(),
            Param::DateTime(v) => v.param_type(),
            Param::Time(v) => v.param_type(),
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Param::Null)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        match self {
            Param::Null => {}
            Param::Int(v) => v.encode_value(out),
            Param::UInt(v) => v.encode_value(out),
            Param::Float(v) => v.encode_value(out),
            Param::Double(v) => v.encode_value(out),
            Param::Text(v) => v.as_ref().encode_value(out),
            Param::Bytes(v) => v.as_ref().encode_value(out),
            Param::Decimal(v) => v.encode_value(out),
            Param::Date(v) => v.encode_value(out),
            Param::DateTime(v) => v.encode_value(out),
            Param::Time(v) => v.encode_value(out),
        }
    }
    fn long_data(&self) -> Option<&[u8]> {
        match self {
            Param::Text(v) => Some(v.as_bytes()),
            Param::Bytes(v) => Some(v),
            _ => None,
        }
    }
}

macro_rules! param_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Param<'_> {
            fn from(v: $t) -> Self {
                Param::$variant(v.into())
            }
        }
    )*};
}

param_from!(
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    u8 => UInt, u16 => UInt, u32 => UInt, u64 => UInt,
    f32 => Float, f64 => Double,
    String => Text, Vec<u8> => Bytes,
    Date => Date, DateTime => DateTime, Time => Time,
);

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Bytes(Cow::Borrowed(v))
    }
}

impl<'a> From<Decimal<'a>> for Param<'a> {
    fn from(v: Decimal<'a>) -> Self {
        Param::Decimal(v)
    }
}

impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Int(i64::from(v))
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(p: &dyn ToParam) -> (ParamType, Vec<u8>) {
        let mut out = BytesMut::new();
        p.encode_value(&mut out);
        (p.param_type(), out.to_vec())
    }

    fn t(code: ColumnType, unsigned: bool) -> ParamType {
        ParamType {
            column_type: code,
            unsigned,
        }
    }

    /// The values sent to MariaDB 10.11 and echoed back unchanged in a binary row
    /// (protocol-notes/prepared-statements.md).
    #[test]
    fn encodings_seen_echoed_by_mariadb() {
        let date = Date::new(2024, 2, 29).unwrap();
        let cases: [(&dyn ToParam, ParamType, &[u8]); 19] = [
            (&-5i8, t(ColumnType::TINY, false), &[0xfb]),
            (&250u8, t(ColumnType::TINY, true), &[0xfa]),
            (&-300i16, t(ColumnType::SHORT, false), &[0xd4, 0xfe]),
            (&65535u16, t(ColumnType::SHORT, true), &[0xff, 0xff]),
            (
                &-70000i32,
                t(ColumnType::LONG, false),
                &[0x90, 0xee, 0xfe, 0xff],
            ),
            (
                &4_000_000_000u32,
                t(ColumnType::LONG, true),
                &[0x00, 0x28, 0x6b, 0xee],
            ),
            (
                &i64::MIN,
                t(ColumnType::LONGLONG, false),
                &[0, 0, 0, 0, 0, 0, 0, 0x80],
            ),
            (&u64::MAX, t(ColumnType::LONGLONG, true), &[0xff; 8]),
            (&true, t(ColumnType::TINY, false), &[1]),
            (
                &10.2f32,
                t(ColumnType::FLOAT, false),
                &[0x33, 0x33, 0x23, 0x41],
            ),
            (
                &-1.5e100f64,
                t(ColumnType::DOUBLE, false),
                &[0x3b, 0x25, 0x5f, 0xb8, 0x83, 0x6e, 0xbb, 0xd4],
            ),
            (
                &"héllo",
                t(ColumnType::VAR_STRING, false),
                b"\x06h\xc3\xa9llo",
            ),
            (&b"\x00\xff", t(ColumnType::BLOB, false), &[2, 0, 0xff]),
            (
                &Decimal::parse("-12.50").unwrap(),
                t(ColumnType::NEWDECIMAL, false),
                b"\x06-12.50",
            ),
            (&date, t(ColumnType::DATE, false), &[4, 0xe8, 0x07, 2, 29]),
            (
                &DateTime::new(date, 13, 14, 15, 500_000).unwrap(),
                t(ColumnType::DATETIME, false),
                &[11, 0xe8, 0x07, 2, 29, 13, 14, 15, 0x20, 0xa1, 0x07, 0x00],
            ),
            (
                &Time::new(true, 100, 2, 3, 0).unwrap(),
                t(ColumnType::TIME, false),
                &[8, 1, 4, 0, 0, 0, 4, 2, 3],
            ),
            (&None::<i32>, ParamType::NULL, &[]),
            (&Date::ZERO, t(ColumnType::DATE, false), &[0]),
        ];
        for (p, ty, bytes) in cases {
            assert_eq!(enc(p), (ty, bytes.to_vec()), "{ty:?}");
        }
        assert!(None::<i32>.is_null() && !Some(1).is_null() && !1.is_null());
    }

    #[test]
    fn temporal_forms_are_the_shortest_exact() {
        let d = Date::new(2010, 10, 17).unwrap();
        let dt = |h, m, s, us| enc(&DateTime::new(d, h, m, s, us).unwrap()).1;
        // The MySQL docs' examples (sect_protocol_binary_resultset_row_value_date).
        assert_eq!(
            dt(19, 27, 30, 1),
            [0x0b, 0xda, 0x07, 0x0a, 0x11, 0x13, 0x1b, 0x1e, 1, 0, 0, 0]
        );
        assert_eq!(dt(0, 0, 0, 0), [0x04, 0xda, 0x07, 0x0a, 0x11]);
        assert_eq!(enc(&d).1, [0x04, 0xda, 0x07, 0x0a, 0x11]);
        assert_eq!(dt(0, 0, 1, 0).len(), 8);
        assert_eq!(dt(0, 1, 0, 0)[0], 7);
        assert_eq!(dt(1, 0, 0, 0)[0], 7);
        assert_eq!(dt(0, 0, 0, 1)[0], 11);
        assert_eq!(enc(&DateTime::from(Date::ZERO)).1, [0]);
        // A zero date with a time of day keeps the zero date parts.
        let z = DateTime::new(Date::ZERO, 1, 0, 0, 0).unwrap();
        assert_eq!(enc(&z).1, [7, 0, 0, 0, 0, 1, 0, 0]);
        // TIME: the MySQL docs' "-120d 19:27:30.000001" shape, within TIME's range here.
        let tm = |n, h, m, s, us| enc(&Time::new(n, h, m, s, us).unwrap()).1;
        assert_eq!(
            tm(true, 24 * 34 + 22, 59, 59, 999_999),
            [12, 1, 34, 0, 0, 0, 22, 59, 59, 0x3f, 0x42, 0x0f, 0]
        );
        assert_eq!(tm(false, 25, 0, 0, 0), [8, 0, 1, 0, 0, 0, 1, 0, 0]);
        assert_eq!(tm(true, 0, 0, 1, 0), [8, 1, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(tm(true, 0, 0, 0, 0), [0]);
        assert_eq!(tm(false, 0, 0, 0, 5)[0], 12);
    }

    #[test]
    fn types_bytes_and_wrappers() {
        assert_eq!(
            ParamType::unsigned(ColumnType::LONGLONG).to_bytes(),
            [0x08, 0x80]
        );
        assert_eq!(
            ParamType::signed(ColumnType::VAR_STRING).to_bytes(),
            [0xfd, 0x00]
        );
        assert_eq!(
            ParamType::from_bytes([0x08, 0x80]),
            ParamType::unsigned(ColumnType::LONGLONG)
        );
        assert_eq!(
            ParamType::from_bytes([0x01, 0x40]),
            ParamType::signed(ColumnType::TINY)
        );
        assert_eq!(ParamType::NULL.to_bytes(), [0x06, 0x00]);
        assert!(ParamType::unsigned(ColumnType::TINY)
            .column_flags()
            .contains(super::super::ColumnFlags::UNSIGNED));
        // &T, Option<T>, String, Vec<u8> delegate.
        let s = String::from("abc");
        assert_eq!(enc(&&s), enc(&"abc"));
        assert_eq!(enc(&Some(7u16)), enc(&7u16));
        assert_eq!(enc(&vec![1u8, 2]), enc(&[1u8, 2]));
        assert_eq!(enc(&Some(None::<u8>)), (ParamType::NULL, vec![]));
        assert!(Some(None::<u8>).is_null());
        // Long data: strings and bytes only.
        assert_eq!(s.long_data(), Some(&b"abc"[..]));
        assert_eq!("x".long_data(), Some(&b"x"[..]));
        assert_eq!(Some(vec![9u8]).long_data(), Some(&[9u8][..]));
        assert_eq!(None::<String>.long_data(), None);
        assert_eq!(5i32.long_data(), None);
        assert_eq!(Date::ZERO.long_data(), None);
        let long = "y".repeat(70_000);
        assert_eq!(enc(&long.as_str()).1[..3], [0xfd, 0x70, 0x11]);
    }

    #[test]
    fn param_enum_matches_the_typed_values() {
        let d = Date::new(2024, 1, 2).unwrap();
        let (dec, dt, tm) = (
            Decimal::parse("1.5").unwrap(),
            DateTime::from(d),
            Time::new(false, 1, 2, 3, 4).unwrap(),
        );
        let pairs: Vec<(Param<'_>, &dyn ToParam)> = vec![
            (Param::from(-3i32), &-3i64),
            (Param::from(3u8), &3u64),
            (Param::from(true), &1i64),
            (Param::from(1.5f32), &1.5f32),
            (Param::from(2.5f64), &2.5f64),
            (Param::from("t"), &"t"),
            (Param::from(String::from("t")), &"t"),
            (Param::from(&b"b"[..]), &b"b"),
            (Param::from(vec![0u8]), &[0u8]),
            (Param::from(dec.clone()), &dec),
            (Param::from(d), &d),
            (Param::from(dt), &dt),
            (Param::from(tm), &tm),
            (Param::from(None::<i32>), &None::<i64>),
            (Param::from(Some(4i64)), &4i64),
        ];
        for (p, v) in &pairs {
            assert_eq!(enc(p), enc(*v), "{p:?}");
            assert_eq!(p.is_null(), v.is_null());
            assert_eq!(p.long_data(), v.long_data());
        }
        assert_eq!(Decimal::from(-42i64).as_str(), "-42");
        assert_eq!(Decimal::from(u64::MAX).as_str(), "18446744073709551615");
    }
}
