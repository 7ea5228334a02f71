//! DATE, DATETIME / TIMESTAMP and TIME: checked values, their text form and parsers.

use std::fmt;
use std::str::FromStr;

use super::super::error::{ErrorKind, ParseError};
use super::super::flags::{ColumnFlags, ColumnType};
use super::{binary, class, err, Class, FromValue};

/// A date or time part out of range: what [`Date::new`], [`DateTime::new`] and [`Time::new`]
/// return instead of a value that cannot exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValueError {
    part: &'static str,
    value: u32,
    max: u32,
}

impl ValueError {
    const fn new(part: &'static str, value: u32, max: u32) -> Self {
        ValueError { part, value, max }
    }

    /// The part that is out of range: `"year"`, `"month"`, `"day"`, `"hour"`, `"minute"`,
    /// `"second"`, `"microsecond"`, or `"hours"` (of a `TIME`).
    pub const fn part(&self) -> &'static str {
        self.part
    }

    /// The value given.
    pub const fn value(&self) -> u32 {
        self.value
    }

    /// The largest value allowed (the smallest is always 0).
    pub const fn max(&self) -> u32 {
        self.max
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} out of range (0..={})",
            self.part, self.value, self.max
        )
    }
}

impl std::error::Error for ValueError {}

/// `Ok` when `value <= max` (the smallest value of every part is 0).
fn check(part: &'static str, value: impl Into<u32>, max: u32) -> Result<(), ValueError> {
    let value = value.into();
    if value <= max {
        Ok(())
    } else {
        Err(ValueError::new(part, value, max))
    }
}

/// A calendar date (`DATE`): year `0..=9999`, month `0..=12`, day `0..=31`. Zero dates and zero
/// parts (`0000-00-00`, `2024-00-00`) are allowed, as MariaDB allows them, with no per-month
/// check (as with `ALLOW_INVALID_DATES`). Only [`Date::new`] and the parsers make one, so every
/// `Date` is in range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The largest year.
    pub const MAX_YEAR: u16 = 9999;
    /// The zero date `0000-00-00`.
    pub const ZERO: Date = Date {
        year: 0,
        month: 0,
        day: 0,
    };

    /// A date, or the first part out of range.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, ValueError> {
        check("year", year, u32::from(Self::MAX_YEAR))?;
        check("month", month, 12)?;
        check("day", day, 31)?;
        Ok(Date { year, month, day })
    }

    /// The year, `0..=9999`.
    #[inline]
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, `0..=12` (0 in zero dates).
    #[inline]
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, `0..=31` (0 in zero dates).
    #[inline]
    pub const fn day(self) -> u8 {
        self.day
    }

    /// True for `0000-00-00`.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.year == 0 && self.month == 0 && self.day == 0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date and time of day (`DATETIME`, `TIMESTAMP`), with microseconds: hour `0..=23`, minute
/// and second `0..=59`, microsecond `0..=999_999`. Only [`DateTime::new`], `From<Date>` and
/// the parsers make one, so every `DateTime` is in range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    micros: u32,
}

impl DateTime {
    /// A datetime, or the first part out of range.
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        micros: u32,
    ) -> Result<Self, ValueError> {
        check("hour", hour, 23)?;
        check("minute", minute, 59)?;
        check("second", second, 59)?;
        check("microsecond", micros, MAX_MICROS)?;
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            micros,
        })
    }

    /// The date.
    #[inline]
    pub const fn date(self) -> Date {
        self.date
    }

    /// The hour, `0..=23`.
    #[inline]
    pub const fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, `0..=59`.
    #[inline]
    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// The second, `0..=59`.
    #[inline]
    pub const fn second(self) -> u8 {
        self.second
    }

    /// The microseconds, `0..=999_999`.
    #[inline]
    pub const fn micros(self) -> u32 {
        self.micros
    }

    /// True when the time of day is `00:00:00.000000`.
    #[inline]
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

/// The largest microseconds part.
const MAX_MICROS: u32 = 999_999;

/// Writes `.ffffff`: `precision` digits if given (at most 6), else trimmed of trailing zeros;
/// nothing when that leaves no digit. The six digits are those of `micros` (at most 999_999 by
/// the types' invariants; a larger value would print its last six digits, never panic).
pub(super) fn write_fraction(f: &mut fmt::Formatter<'_>, micros: u32) -> fmt::Result {
    let mut buf = [b'0'; 6];
    let mut m = micros;
    for b in buf.iter_mut().rev() {
        *b = b'0' + u8::try_from(m % 10).unwrap_or(0);
        m /= 10;
    }
    let len = match f.precision() {
        Some(p) => p.min(buf.len()),
        None => buf.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1),
    };
    match buf.get(..len).map(std::str::from_utf8) {
        Some(Ok("")) => Ok(()),
        Some(Ok(digits)) => write!(f, ".{digits}"),
        _ => Err(fmt::Error),
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

/// A time of day or a duration (`TIME`), `-838:59:59.999999` to `838:59:59.999999`: hours
/// `0..=838`, minutes and seconds `0..=59`, microseconds `0..=999_999`, and a sign. Only
/// [`Time::new`] and the parsers make one, so every `Time` is in range.
///
/// Negative zero is normalized to zero by the parser and by [`Time::new`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Time {
    negative: bool,
    hours: u32,
    minutes: u8,
    seconds: u8,
    micros: u32,
}

impl Time {
    /// The largest magnitude of a `TIME`, in hours.
    pub const MAX_HOURS: u32 = 838;

    /// A time, or the first part out of range. A negative zero becomes zero.
    pub fn new(
        negative: bool,
        hours: u32,
        minutes: u8,
        seconds: u8,
        micros: u32,
    ) -> Result<Self, ValueError> {
        check("hours", hours, Self::MAX_HOURS)?;
        check("minute", minutes, 59)?;
        check("second", seconds, 59)?;
        check("microsecond", micros, MAX_MICROS)?;
        let zero = hours == 0 && minutes == 0 && seconds == 0 && micros == 0;
        Ok(Time {
            negative: negative && !zero,
            hours,
            minutes,
            seconds,
            micros,
        })
    }

    /// True for a negative duration (never for zero).
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.negative
    }

    /// The hours of the magnitude, `0..=838`.
    #[inline]
    pub const fn hours(self) -> u32 {
        self.hours
    }

    /// The minutes, `0..=59`.
    #[inline]
    pub const fn minutes(self) -> u8 {
        self.minutes
    }

    /// The seconds, `0..=59`.
    #[inline]
    pub const fn seconds(self) -> u8 {
        self.seconds
    }

    /// The microseconds, `0..=999_999`.
    #[inline]
    pub const fn micros(self) -> u32 {
        self.micros
    }

    /// The signed duration in microseconds, within ±3_020_399_999_999.
    pub fn total_micros(self) -> i64 {
        // The constructors bound the magnitude to 3_020_399_999_999 us, far inside i64; the
        // arithmetic saturates rather than overflows all the same, so it cannot panic.
        let secs = u64::from(self.hours)
            .saturating_mul(3600)
            .saturating_add(u64::from(self.minutes) * 60)
            .saturating_add(u64::from(self.seconds));
        let m = secs
            .saturating_mul(1_000_000)
            .saturating_add(u64::from(self.micros));
        let m = i64::try_from(m).unwrap_or(i64::MAX);
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
    Date::new(year, month, day).map_err(|_| ErrorKind::OutOfRange)
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
    DateTime::new(date, hour, minute, second, micros).map_err(|_| ErrorKind::OutOfRange)
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
    Time::new(negative, hours, minutes, seconds, micros).map_err(|_| ErrorKind::OutOfRange)
}

impl<'a> FromValue<'a> for Date {
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

    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::date(bytes, col, flags)
    }
}

impl<'a> FromValue<'a> for DateTime {
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

    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::datetime_(bytes, col, flags)
    }
}

impl<'a> FromValue<'a> for Time {
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

    fn from_binary(
        bytes: &'a [u8],
        col: ColumnType,
        flags: ColumnFlags,
    ) -> Result<Self, ParseError> {
        binary::time_(bytes, col, flags)
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
