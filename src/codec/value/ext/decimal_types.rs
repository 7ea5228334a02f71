//! Exact decimals (features `rust_decimal`, `bigdecimal`): read from the cell's decimal text
//! through [`Decimal`] (so never through a float, and from the same columns), sent as
//! `NEWDECIMAL` text.
//!
//! ```no_run
//! # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
//! # #[cfg(all(feature = "rust_decimal", feature = "bigdecimal"))] {
//! use std::str::FromStr;
//! let price = rust_decimal::Decimal::from_str("19.99").unwrap();
//! let mut r = s.exec("SELECT ? * 3, CAST(? AS DECIMAL(65,30))", &[&price, &price]).await?;
//! let row = r.next_row().await?.unwrap();
//! assert_eq!(row.value::<rust_decimal::Decimal>(0)?.to_string(), "59.97");
//! let wide: bigdecimal::BigDecimal = row.value(1)?; // 65 digits: only BigDecimal holds them all
//! # }
//! # Ok(()) }
//! ```

use bytes::BytesMut;

use super::super::param::ParamType;
use super::super::{Decimal, ToParam};
use super::{err, via};
use crate::codec::writer::put_lenenc_bytes;
use crate::codec::{ColumnType, ErrorKind};

#[cfg(feature = "rust_decimal")]
via!(
    rust_decimal::Decimal,
    Decimal<'a>,
    "rust_decimal::Decimal",
    |d: Decimal<'_>| rust_decimal::Decimal::from_str_exact(d.as_str())
        .map_err(|_| err("rust_decimal::Decimal", ErrorKind::OutOfRange))
);

#[cfg(feature = "rust_decimal")]
impl ToParam for rust_decimal::Decimal {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::NEWDECIMAL)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.to_string().as_bytes());
    }
}

#[cfg(feature = "bigdecimal")]
via!(
    bigdecimal::BigDecimal,
    Decimal<'a>,
    "bigdecimal::BigDecimal",
    |d: Decimal<'_>| d
        .as_str()
        .parse::<bigdecimal::BigDecimal>()
        .map_err(|_| err("bigdecimal::BigDecimal", ErrorKind::InvalidText))
);

#[cfg(feature = "bigdecimal")]
impl ToParam for bigdecimal::BigDecimal {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::NEWDECIMAL)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.to_plain_string().as_bytes());
    }
}
