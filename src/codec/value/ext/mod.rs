//! Conversions for other crates' types, each behind its feature (all off by default): both
//! ways, [`FromValue`](super::FromValue) for row values of either protocol and
//! [`ToParam`](super::ToParam) for parameters. Each goes through this module's own types
//! ([`Date`](super::Date), [`DateTime`](super::DateTime), [`Time`](super::Time),
//! [`Decimal`](super::Decimal), the string and byte getters), so a value reads identically
//! from the text and the binary protocol and accepts the same column types. A value the
//! other type cannot hold is an error, never a wrong value: a zero date or a `TIME` beyond
//! 24 hours into `chrono::NaiveTime` is [`ErrorKind::OutOfRange`](super::super::ErrorKind)
//! (the row names the column), and a parameter the server's types cannot carry (a year past
//! 9999) is refused before anything is sent ([`ToParam::check`](super::ToParam::check)).
//!
//! | feature | Rust type | reads | sends |
//! |---|---|---|---|
//! | `chrono` | `NaiveDate` | as [`Date`](super::Date); a zero date or a zero part is `OutOfRange` | `DATE` |
//! | `chrono` | `NaiveDateTime` | as [`DateTime`](super::DateTime) | `DATETIME` (nanoseconds truncated to microseconds) |
//! | `chrono` | `DateTime<Utc>` | a `DATETIME` / `TIMESTAMP` taken as UTC (set the session's `time_zone = '+00:00'` for `TIMESTAMP`) | `DATETIME` in UTC |
//! | `chrono` | `NaiveTime` | a `TIME` from `00:00:00` to `23:59:59.999999`; negative or 24 hours and more is `OutOfRange` | `TIME` |
//! | `chrono` | `TimeDelta` | any `TIME` (±838:59:59.999999) | `TIME`; beyond 838 hours refused |
//! | `time` | `Date`, `PrimitiveDateTime`, `OffsetDateTime` (UTC), `Time`, `Duration` | as the `chrono` rows | as the `chrono` rows (`OffsetDateTime` converted to UTC) |
//! | `rust_decimal` | `Decimal` | as [`Decimal`](super::Decimal) (exact); more than 28 fraction digits or 96 bits is `OutOfRange` | `NEWDECIMAL` text |
//! | `bigdecimal` | `BigDecimal` | as [`Decimal`](super::Decimal), any size | `NEWDECIMAL` text (plain, no exponent) |
//! | `serde_json` | `Value` | the cell's text parsed as JSON (`JSON` columns, any string); not JSON is `InvalidText` | `VAR_STRING` JSON text |
//! | `uuid` | `Uuid` | 16 bytes of a binary column (`BINARY(16)`), or the text forms of `CHAR(36)` / MariaDB's `UUID` (hyphenated, simple, braced, URN); else `InvalidText` | `BLOB` of 16 bytes (for `BINARY(16)`) |
//! | `uuid` | `uuid::fmt::Hyphenated` | as `Uuid` | `VAR_STRING` of 36 characters (for `CHAR(36)`, `UUID`) |

use super::super::error::{ErrorKind, Packet, ParseError};

#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub mod chrono_types;
#[cfg(any(feature = "rust_decimal", feature = "bigdecimal"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "rust_decimal", feature = "bigdecimal")))
)]
pub mod decimal_types;
#[cfg(feature = "serde_json")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde_json")))]
pub mod json;
#[cfg(feature = "time")]
#[cfg_attr(docsrs, doc(cfg(feature = "time")))]
pub mod time_types;
#[cfg(feature = "uuid")]
#[cfg_attr(docsrs, doc(cfg(feature = "uuid")))]
pub mod uuid_types;

/// A conversion error naming the Rust type `field`.
#[allow(dead_code)]
fn err(field: &'static str, kind: ErrorKind) -> ParseError {
    ParseError::new(Packet::Value, field, kind)
}

/// `e` (from one of this module's own getters) renamed to the Rust type `field`, same kind.
#[allow(dead_code)]
fn renamed(field: &'static str) -> impl Fn(ParseError) -> ParseError {
    move |e| ParseError::new(e.packet, field, e.kind)
}

const MICROS_PER_HOUR: u64 = 3_600_000_000;

/// A `TIME` of `micros` microseconds (negative for a negative time); `None` beyond 838 hours.
#[allow(dead_code)]
fn time_from_micros(micros: i64) -> Option<super::Time> {
    let abs = micros.unsigned_abs();
    let per_hour = MICROS_PER_HOUR;
    let hours = u32::try_from(abs / per_hour).ok()?;
    let rest = abs % per_hour;
    let minutes = u8::try_from(rest / 60_000_000).ok()?;
    let seconds = u8::try_from(rest % 60_000_000 / 1_000_000).ok()?;
    let us = u32::try_from(rest % 1_000_000).ok()?;
    super::Time::new(micros < 0, hours, minutes, seconds, us).ok()
}

/// Implements [`FromValue`](super::FromValue) for `$t` by reading `$via` and converting it
/// with `$conv` (a `fn($via) -> Result<$t, ParseError>`), errors renamed to `$name`.
#[allow(unused_macros)]
macro_rules! via {
    ($t:ty, $via:ty, $name:literal, $conv:expr) => {
        impl<'a> $crate::codec::value::FromValue<'a> for $t {
            fn from_text(
                bytes: &'a [u8],
                col: $crate::codec::ColumnType,
                flags: $crate::codec::ColumnFlags,
            ) -> Result<Self, $crate::codec::ParseError> {
                let v = <$via as $crate::codec::value::FromValue<'a>>::from_text(bytes, col, flags)
                    .map_err(super::renamed($name))?;
                ($conv)(v)
            }

            fn from_binary(
                bytes: &'a [u8],
                col: $crate::codec::ColumnType,
                flags: $crate::codec::ColumnFlags,
            ) -> Result<Self, $crate::codec::ParseError> {
                let v =
                    <$via as $crate::codec::value::FromValue<'a>>::from_binary(bytes, col, flags)
                        .map_err(super::renamed($name))?;
                ($conv)(v)
            }
        }
    };
}
#[allow(unused_imports)]
use via;

/// Implements [`ToParam`](super::ToParam) for `$t` as `$via` (a [`super::Date`],
/// [`super::DateTime`], [`super::Time`]) made by `$conv` (`fn(&$t) -> Result<$via,
/// ParseError>`): a value `$conv` refuses fails [`ToParam::check`](super::ToParam::check).
#[allow(unused_macros)]
macro_rules! param_via {
    ($t:ty, $via:ty, $conv:expr) => {
        impl $crate::codec::value::ToParam for $t {
            fn param_type(&self) -> $crate::codec::value::ParamType {
                <$via as $crate::codec::value::ToParam>::param_type(&<$via>::default())
            }
            fn encode_value(&self, out: &mut bytes::BytesMut) {
                let v: $via = ($conv)(self).unwrap_or_default();
                $crate::codec::value::ToParam::encode_value(&v, out);
            }
            fn check(&self) -> Result<(), $crate::codec::ParseError> {
                ($conv)(self).map(drop)
            }
        }
    };
}
#[allow(unused_imports)]
use param_via;
