//! What a decoded packet is made of: [`Decoded`], its field [`Value`]s and [`Typed`] values,
//! and the helpers that turn parsed packets (OK, ERR, column definitions) into fields.

use bytes::Bytes;

use super::super::{Direction, Phase};
use crate::codec::response::{ErrPacket, OkPacket, SessionStateChange};

/// A field value in a decoded packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text made by the decoder or already decoded by a parser (valid UTF-8).
    Str(String),
    /// Text as it was on the wire (query text, names, row cells): the exact bytes, which need
    /// not be valid UTF-8. The text format shows invalid bytes as `\xNN`; JSON as U+FFFD.
    Text(Vec<u8>),
    /// An unsigned number.
    Int(u64),
    /// A flag.
    Bool(bool),
    /// A list of texts (flag names, cells).
    List(Vec<String>),
    /// A list of nullable texts as they were on the wire (row cells).
    Cells(Vec<Option<Bytes>>),
    /// Omitted for secrecy: the number of bytes hidden.
    Redacted(usize),
    /// Values decoded by their types (the parameters of COM_STMT_EXECUTE).
    Typed(Vec<Typed>),
    /// Not known to the decoder (the SQL of a statement it never saw prepared).
    Unknown,
}

/// One value decoded by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// SQL NULL.
    Null,
    /// An integer or a float, as decimal text (shown unquoted).
    Number(String),
    /// Any other value as text: a string or byte string as sent, a DECIMAL as its exact text,
    /// a date or time formatted (`YYYY-MM-DD HH:MM:SS[.f]`), raw bytes when a value does not
    /// decode.
    Text(Vec<u8>),
    /// Sent before with COM_STMT_SEND_LONG_DATA: the number of bytes sent.
    LongData(u64),
    /// A COM_STMT_BULK_EXECUTE indicator without a value: `DEFAULT` or `IGNORE`.
    Indicator(&'static str),
}

/// One decoded packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Direction.
    pub direction: Direction,
    /// Sequence id.
    pub seq: u8,
    /// Payload length.
    pub len: usize,
    /// Connection phase.
    pub phase: Phase,
    /// What the packet is (`"Greeting"`, `"COM_QUERY"`, `"OK"`, `"Row"`, …).
    pub kind: &'static str,
    /// Decoded fields in wire order.
    pub fields: Vec<(&'static str, Value)>,
    /// The payload (for hex dumps).
    pub payload: Bytes,
}

pub(super) type Fields = Vec<(&'static str, Value)>;

pub(super) fn push_column(f: &mut Fields, c: &crate::codec::resultset::ColumnDefinition) {
    f.push(("schema", Value::Text(c.schema().to_vec())));
    f.push(("table", Value::Text(c.table().to_vec())));
    f.push(("org_table", Value::Text(c.org_table().to_vec())));
    f.push(("name", Value::Text(c.name_bytes().to_vec())));
    f.push(("org_name", Value::Text(c.org_name().to_vec())));
    f.push(("charset", Value::Int(c.charset.into())));
    f.push(("length", Value::Int(c.column_length.into())));
    f.push(("type", Value::Str(c.column_type.to_string())));
    f.push(("flags", Value::List(c.flags.names())));
    f.push(("decimals", Value::Int(c.decimals.into())));
}

/// The `kind` of a packet of the compressed protocol ([`Decoded::compressed`]).
pub const COMPRESSED: &str = "Compressed";

impl Decoded {
    /// The field named `name`, if present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// A packet of the compressed protocol, shown before the packets it carries: `seq` is its
    /// compressed sequence id, `len` its payload's length on the wire, and its fields
    /// `compressed_len` and `uncompressed_len` (0: the payload was sent as it is). No payload:
    /// the packets it carries are shown (and dumped) on their own.
    pub fn compressed(
        direction: Direction,
        seq: u8,
        compressed_len: usize,
        uncompressed_len: usize,
    ) -> Decoded {
        let n = |v: usize| Value::Int(u64::try_from(v).unwrap_or(u64::MAX));
        Decoded {
            direction,
            seq,
            len: compressed_len,
            phase: Phase::Command,
            kind: COMPRESSED,
            fields: vec![
                ("compressed_len", n(compressed_len)),
                ("uncompressed_len", n(uncompressed_len)),
            ],
            payload: Bytes::new(),
        }
    }

    /// True for a packet of the compressed protocol ([`Decoded::compressed`]).
    pub fn is_compressed_packet(&self) -> bool {
        self.kind == COMPRESSED
    }
}

pub(super) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn opt_str(s: Option<&str>) -> Value {
    Value::Str(s.unwrap_or("").to_string())
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

pub(super) fn push_ok(f: &mut Vec<(&'static str, Value)>, ok: &OkPacket) {
    f.push(("affected_rows", Value::Int(ok.affected_rows)));
    f.push(("last_insert_id", Value::Int(ok.last_insert_id)));
    f.push(("status", Value::List(ok.status.names())));
    f.push(("warnings", Value::Int(ok.warnings.into())));
    if !ok.info.is_empty() {
        f.push(("info", Value::Str(ok.info.clone())));
    }
    if !ok.session_state.is_empty() {
        let s = ok
            .session_state
            .iter()
            .map(|c| match c {
                SessionStateChange::SystemVariable { name, value } => format!("{name}={value}"),
                SessionStateChange::Schema(s) => format!("schema={s}"),
                SessionStateChange::StateChange(s) => format!("state_change={s}"),
                SessionStateChange::Gtids(s) => format!("gtids={s}"),
                SessionStateChange::TransactionCharacteristics(s) => {
                    format!("transaction_characteristics={s}")
                }
                SessionStateChange::TransactionState(s) => format!("transaction_state={s}"),
                SessionStateChange::Other { kind, data } => format!("type{kind}={}", hex(data)),
            })
            .collect();
        f.push(("session_state", Value::List(s)));
    }
}

pub(super) fn push_err(f: &mut Vec<(&'static str, Value)>, e: &ErrPacket) {
    f.push(("code", Value::Int(e.code.into())));
    if let Some(s) = &e.sql_state {
        f.push(("sql_state", Value::Text(s.to_vec())));
    }
    f.push(("message", Value::Str(e.message.clone())));
}

impl super::Conversation {
    /// A secret's field: redacted (its length only) unless the conversation shows secrets.
    pub(super) fn secret(&self, b: &[u8]) -> Value {
        if self.redact {
            Value::Redacted(b.len())
        } else {
            Value::Str(hex(b))
        }
    }
}
