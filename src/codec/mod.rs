//! The sans-IO protocol layer.
//!
//! Every function here takes bytes and returns typed values or a [`ParseError`], or appends an
//! encoded message to a [`bytes::BytesMut`]. The live session, the trace decoder and the fuzz
//! targets all call these same functions.

// Every cast of a wire value is checked (protocol-notes/threat-model.md, row 5): `try_from` with
// a typed error, `From` where it widens, or a narrow `#[allow]` that says why it cannot lose bits.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod auth;
pub mod binary;
pub mod command;
pub mod compress;
pub mod error;
pub mod flags;
pub mod frame;
pub mod handshake;
pub mod reader;
pub mod response;
pub mod resultset;
pub mod stmt;
pub mod value;
pub mod writer;

pub use error::{ErrorKind, Packet, ParseError, ParseResult};
pub use flags::{CapabilityFlags, ColumnFlags, ColumnType, MariaDbCapabilities, StatusFlags};
pub use reader::{Lenenc, Reader};

/// Helpers shared by the codec's unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    /// Bytes from a hex string (test vectors).
    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    use super::flags::{ColumnFlags, ColumnType};
    use super::resultset::{parse_column_definition, ColumnDefinition, ColumnFields};

    /// A column definition `c` of type `t` (binary charset), as the server would send it.
    pub(crate) fn column_def(
        t: ColumnType,
        flags: ColumnFlags,
        decimals: u8,
        length: u32,
    ) -> ColumnDefinition {
        let mut b = bytes::BytesMut::new();
        ColumnFields {
            catalog: b"def",
            schema: b"",
            table: b"",
            org_table: b"",
            name: b"c",
            org_name: b"",
            extended_metadata: None,
            charset: 63,
            column_length: length,
            column_type: t,
            flags,
            decimals,
        }
        .encode(&mut b);
        parse_column_definition(&b.freeze(), false).unwrap()
    }
}
