//! `chrono` (feature `chrono`): `NaiveDate`, `NaiveDateTime`, `DateTime<Utc>`, `NaiveTime` and
//! `TimeDelta`, through [`Date`], [`DateTime`] and [`Time`].
//!
//! ```no_run
//! # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
//! use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
//! let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
//! let mut r = s.exec("SELECT ?, TIMESTAMP'2024-02-29 12:00:00', TIME'07:30:00', TIME'-100:00:00'", &[&day]).await?;
//! let row = r.next_row().await?.unwrap();
//! assert_eq!(row.get::<NaiveDate>(0)?, Some(day));
//! let at: NaiveDateTime = row.value(1)?;
//! let t: NaiveTime = row.value(2)?;
//! let d: TimeDelta = row.value(3)?; // a TIME beyond 24 h: a duration, not a time of day
//! assert!(row.get::<NaiveTime>(3).is_err()); // an error naming the column
//! # Ok(()) }
//! ```

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};

use super::super::{Date, DateTime, Time};
use super::{err, param_via, time_from_micros, via};
use crate::codec::{ErrorKind, ParseError};

fn date_to_chrono(d: Date, name: &'static str) -> Result<NaiveDate, ParseError> {
    NaiveDate::from_ymd_opt(
        i32::from(d.year()),
        u32::from(d.month()),
        u32::from(d.day()),
    )
    .ok_or_else(|| err(name, ErrorKind::OutOfRange))
}

fn datetime_to_chrono(v: DateTime, name: &'static str) -> Result<NaiveDateTime, ParseError> {
    let d = date_to_chrono(v.date(), name)?;
    let t = NaiveTime::from_hms_micro_opt(
        u32::from(v.hour()),
        u32::from(v.minute()),
        u32::from(v.second()),
        v.micros(),
    )
    .ok_or_else(|| err(name, ErrorKind::OutOfRange))?;
    Ok(d.and_time(t))
}

via!(NaiveDate, Date, "chrono::NaiveDate", |d| date_to_chrono(
    d,
    "chrono::NaiveDate"
));
via!(NaiveDateTime, DateTime, "chrono::NaiveDateTime", |v| {
    datetime_to_chrono(v, "chrono::NaiveDateTime")
});
via!(
    chrono::DateTime<Utc>,
    DateTime,
    "chrono::DateTime<Utc>",
    |v| datetime_to_chrono(v, "chrono::DateTime<Utc>").map(|n| n.and_utc())
);
via!(NaiveTime, Time, "chrono::NaiveTime", |t: Time| {
    let name = "chrono::NaiveTime";
    if t.is_negative() || t.hours() >= 24 {
        return Err(err(name, ErrorKind::OutOfRange));
    }
    NaiveTime::from_hms_micro_opt(
        t.hours(),
        u32::from(t.minutes()),
        u32::from(t.seconds()),
        t.micros(),
    )
    .ok_or_else(|| err(name, ErrorKind::OutOfRange))
});
via!(TimeDelta, Time, "chrono::TimeDelta", |t: Time| Ok::<
    _,
    ParseError,
>(
    TimeDelta::microseconds(t.total_micros())
));

/// A part of a chrono value as the narrower integer of [`Date`] / [`DateTime`] / [`Time`].
fn part<T: TryFrom<u32>>(v: u32, name: &'static str) -> Result<T, ParseError> {
    T::try_from(v).map_err(|_| err(name, ErrorKind::OutOfRange))
}

fn date_from_chrono(d: &NaiveDate, name: &'static str) -> Result<Date, ParseError> {
    let year = u16::try_from(d.year()).map_err(|_| err(name, ErrorKind::OutOfRange))?;
    Date::new(year, part(d.month(), name)?, part(d.day(), name)?)
        .map_err(|_| err(name, ErrorKind::OutOfRange))
}

/// The time of day of a chrono value; a leap second (nanoseconds past 1e9) is refused, other
/// nanoseconds are truncated to microseconds.
fn hms_from_chrono(t: &NaiveTime, name: &'static str) -> Result<(u8, u8, u8, u32), ParseError> {
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return Err(err(name, ErrorKind::OutOfRange));
    }
    Ok((
        part(t.hour(), name)?,
        part(t.minute(), name)?,
        part(t.second(), name)?,
        nanos / 1000,
    ))
}

fn datetime_from_chrono(v: &NaiveDateTime, name: &'static str) -> Result<DateTime, ParseError> {
    let d = date_from_chrono(&v.date(), name)?;
    let (h, m, s, us) = hms_from_chrono(&v.time(), name)?;
    DateTime::new(d, h, m, s, us).map_err(|_| err(name, ErrorKind::OutOfRange))
}

param_via!(NaiveDate, Date, |d: &NaiveDate| date_from_chrono(
    d,
    "chrono::NaiveDate"
));
param_via!(NaiveDateTime, DateTime, |v: &NaiveDateTime| {
    datetime_from_chrono(v, "chrono::NaiveDateTime")
});
param_via!(chrono::DateTime<Utc>, DateTime, |v: &chrono::DateTime<
    Utc,
>| {
    datetime_from_chrono(&v.naive_utc(), "chrono::DateTime<Utc>")
});
param_via!(NaiveTime, Time, |t: &NaiveTime| {
    let name = "chrono::NaiveTime";
    let (h, m, s, us) = hms_from_chrono(t, name)?;
    Time::new(false, u32::from(h), m, s, us).map_err(|_| err(name, ErrorKind::OutOfRange))
});
param_via!(TimeDelta, Time, |d: &TimeDelta| {
    let name = "chrono::TimeDelta";
    let micros = d
        .num_microseconds()
        .ok_or_else(|| err(name, ErrorKind::OutOfRange))?;
    time_from_micros(micros).ok_or_else(|| err(name, ErrorKind::OutOfRange))
});
