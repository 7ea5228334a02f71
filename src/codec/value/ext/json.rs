//! JSON (feature `serde_json`): `serde_json::Value` from a cell's text (MariaDB's `JSON` is a
//! `LONGTEXT`; any string column, and a number's text, parse too), sent as JSON text.
//!
//! ```no_run
//! # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
//! use serde_json::{json, Value};
//! let doc = json!({"tags": ["a", "b"], "n": 1});
//! let mut r = s.exec("SELECT JSON_EXTRACT(?, '$.tags')", &[&doc]).await?;
//! let row = r.next_row().await?.unwrap();
//! assert_eq!(row.get::<Value>(0)?, Some(json!(["a", "b"])));
//! # Ok(()) }
//! ```

use bytes::BytesMut;

use super::super::param::ParamType;
use super::super::ToParam;
use super::{err, via};
use crate::codec::writer::put_lenenc_bytes;
use crate::codec::{ColumnType, ErrorKind};

via!(serde_json::Value, Vec<u8>, "serde_json::Value", |b: Vec<
    u8,
>| {
    serde_json::from_slice(&b).map_err(|_| err("serde_json::Value", ErrorKind::InvalidText))
});

impl ToParam for serde_json::Value {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::VAR_STRING)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.to_string().as_bytes());
    }
}
