//! UUIDs (feature `uuid`): from the 16 bytes of a binary column (`BINARY(16)`) or from text
//! (`CHAR(36)`, MariaDB's `UUID` type); sent as 16 bytes (`Uuid`) or as 36 characters
//! (`uuid::fmt::Hyphenated`).
//!
//! ```no_run
//! # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
//! use uuid::Uuid;
//! let id = Uuid::parse_str("0e5a6c3e-8b9b-4d4c-9f1e-2a3b4c5d6e7f").unwrap();
//! s.exec("INSERT INTO docs (id, ref) VALUES (?, ?)", &[&id, &id.hyphenated()]).await?; // BINARY(16), CHAR(36)
//! let back: Option<(Uuid, Uuid)> = s.exec_first("SELECT id, ref FROM docs WHERE id = ?", &[&id]).await?;
//! assert_eq!(back, Some((id, id)));
//! # Ok(()) }
//! ```

use bytes::BytesMut;
use uuid::Uuid;

use super::super::param::ParamType;
use super::super::{FromValue, ToParam};
use super::err;
use crate::codec::writer::put_lenenc_bytes;
use crate::codec::{ColumnFlags, ColumnType, ErrorKind, ParseError};

const NAME: &str = "uuid::Uuid";

/// 16 bytes of a binary column are the UUID itself; anything else must be one of its text
/// forms.
fn parse(b: &[u8], flags: ColumnFlags) -> Result<Uuid, ParseError> {
    if b.len() == 16 && flags.contains(ColumnFlags::BINARY) {
        return Uuid::from_slice(b).map_err(|_| err(NAME, ErrorKind::InvalidValue));
    }
    Uuid::try_parse_ascii(b).map_err(|_| err(NAME, ErrorKind::InvalidText))
}

impl<'a> FromValue<'a> for Uuid {
    fn from_text(b: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError> {
        // Only string-like columns (as a binary row's number or temporal has no text).
        if super::super::class(col) != super::super::Class::Text {
            return Err(err(NAME, ErrorKind::InvalidValue));
        }
        let b = <&[u8]>::from_text(b, col, flags).map_err(super::renamed(NAME))?;
        parse(b, flags)
    }

    fn from_binary(b: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError> {
        let b = <&[u8]>::from_binary(b, col, flags).map_err(super::renamed(NAME))?;
        parse(b, flags)
    }
}

impl<'a> FromValue<'a> for uuid::fmt::Hyphenated {
    fn from_text(b: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError> {
        Uuid::from_text(b, col, flags).map(Uuid::hyphenated)
    }

    fn from_binary(b: &'a [u8], col: ColumnType, flags: ColumnFlags) -> Result<Self, ParseError> {
        Uuid::from_binary(b, col, flags).map(Uuid::hyphenated)
    }
}

impl ToParam for Uuid {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::BLOB)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        put_lenenc_bytes(out, self.as_bytes());
    }
}

impl ToParam for uuid::fmt::Hyphenated {
    fn param_type(&self) -> ParamType {
        ParamType::signed(ColumnType::VAR_STRING)
    }
    fn encode_value(&self, out: &mut BytesMut) {
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        put_lenenc_bytes(out, self.encode_lower(&mut buf).as_bytes());
    }
}
