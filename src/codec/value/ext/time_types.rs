//! `time` (feature `time`): `Date`, `PrimitiveDateTime`, `OffsetDateTime` (UTC), `Time` and
//! `Duration`, through [`Date`], [`DateTime`] and [`Time`].
//!
//! ```no_run
//! # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
//! use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};
//! let day = Date::from_calendar_date(1999, Month::December, 31).unwrap();
//! let mut r = s.exec("SELECT ?, NOW(6)", &[&day]).await?;
//! let row = r.next_row().await?.unwrap();
//! assert_eq!(row.get::<Date>(0)?, Some(day));
//! let now: PrimitiveDateTime = row.value(1)?;
//! let utc: OffsetDateTime = row.value(1)?; // taken as UTC: use a UTC session
//! # Ok(()) }
//! ```

use time::{Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::super::{Date, DateTime, Time};
use super::{err, param_via, time_from_micros, via};
use crate::codec::{ErrorKind, ParseError};

fn date_to_time(d: Date, name: &'static str) -> Result<time::Date, ParseError> {
    let month = Month::try_from(d.month()).map_err(|_| err(name, ErrorKind::OutOfRange))?;
    time::Date::from_calendar_date(i32::from(d.year()), month, d.day())
        .map_err(|_| err(name, ErrorKind::OutOfRange))
}

fn datetime_to_time(v: DateTime, name: &'static str) -> Result<PrimitiveDateTime, ParseError> {
    let d = date_to_time(v.date(), name)?;
    let t = time::Time::from_hms_micro(v.hour(), v.minute(), v.second(), v.micros())
        .map_err(|_| err(name, ErrorKind::OutOfRange))?;
    Ok(PrimitiveDateTime::new(d, t))
}

via!(time::Date, Date, "time::Date", |d| date_to_time(
    d,
    "time::Date"
));
via!(
    PrimitiveDateTime,
    DateTime,
    "time::PrimitiveDateTime",
    |v| datetime_to_time(v, "time::PrimitiveDateTime")
);
via!(OffsetDateTime, DateTime, "time::OffsetDateTime", |v| {
    datetime_to_time(v, "time::OffsetDateTime").map(PrimitiveDateTime::assume_utc)
});
via!(time::Time, Time, "time::Time", |t: Time| {
    let name = "time::Time";
    if t.is_negative() || t.hours() >= 24 {
        return Err(err(name, ErrorKind::OutOfRange));
    }
    let h = u8::try_from(t.hours()).map_err(|_| err(name, ErrorKind::OutOfRange))?;
    time::Time::from_hms_micro(h, t.minutes(), t.seconds(), t.micros())
        .map_err(|_| err(name, ErrorKind::OutOfRange))
});
via!(time::Duration, Time, "time::Duration", |t: Time| Ok::<
    _,
    ParseError,
>(
    time::Duration::microseconds(t.total_micros())
));

fn date_from_time(d: &time::Date, name: &'static str) -> Result<Date, ParseError> {
    let year = u16::try_from(d.year()).map_err(|_| err(name, ErrorKind::OutOfRange))?;
    Date::new(year, u8::from(d.month()), d.day()).map_err(|_| err(name, ErrorKind::OutOfRange))
}

/// Nanoseconds are truncated to microseconds.
fn datetime_from_time(v: &PrimitiveDateTime, name: &'static str) -> Result<DateTime, ParseError> {
    let d = date_from_time(&v.date(), name)?;
    let (h, m, s, us) = v.time().as_hms_micro();
    DateTime::new(d, h, m, s, us).map_err(|_| err(name, ErrorKind::OutOfRange))
}

param_via!(time::Date, Date, |d: &time::Date| date_from_time(
    d,
    "time::Date"
));
param_via!(PrimitiveDateTime, DateTime, |v: &PrimitiveDateTime| {
    datetime_from_time(v, "time::PrimitiveDateTime")
});
param_via!(OffsetDateTime, DateTime, |v: &OffsetDateTime| {
    let name = "time::OffsetDateTime";
    let utc = v
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| err(name, ErrorKind::OutOfRange))?;
    datetime_from_time(&PrimitiveDateTime::new(utc.date(), utc.time()), name)
});
param_via!(time::Time, Time, |t: &time::Time| {
    let (h, m, s, us) = t.as_hms_micro();
    Time::new(false, u32::from(h), m, s, us).map_err(|_| err("time::Time", ErrorKind::OutOfRange))
});
param_via!(time::Duration, Time, |d: &time::Duration| {
    let name = "time::Duration";
    let micros =
        i64::try_from(d.whole_microseconds()).map_err(|_| err(name, ErrorKind::OutOfRange))?;
    time_from_micros(micros).ok_or_else(|| err(name, ErrorKind::OutOfRange))
});
