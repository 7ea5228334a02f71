//! Prepared statements: the COM_STMT_* commands, the COM_STMT_PREPARE_OK response and the
//! query attributes of COM_QUERY. See protocol-notes/prepared-statements.md for the packet
//! sequences around them.
//!
//! The encoders append one command payload (command byte first) to a `BytesMut`, as
//! [`Command::encode`](super::command::Command::encode) does; framing is the caller's. The
//! parsers of the client commands are for test servers, traces and fuzz round trips.
//!
//! This module holds COM_STMT_PREPARE and its response, and COM_STMT_EXECUTE with the
//! parameter block it shares with COM_QUERY. The rest is in submodules, re-exported here:
//! `simple` (COM_STMT_SEND_LONG_DATA, RESET, CLOSE, FETCH), `bulk` (MariaDB's
//! COM_STMT_BULK_EXECUTE) and `attributes` (COM_QUERY with query attributes).

// Offsets are computed with checked arithmetic: a length from the wire never wraps.
#![deny(clippy::arithmetic_side_effects)]

mod attributes;
mod bulk;
mod simple;

pub use attributes::{encode_query_with_attributes, parse_query_with_attributes, QueryAttribute};
pub use bulk::{
    encode_stmt_bulk_execute, parse_stmt_bulk_execute, put_bulk_head, put_bulk_param,
    BulkExecuteRequest, BulkParam, BulkValue, Indicator, BULK_SEND_TYPES_TO_SERVER,
    BULK_SEND_UNIT_RESULTS,
};
pub use simple::{
    encode_stmt_close, encode_stmt_fetch, encode_stmt_reset, encode_stmt_send_long_data,
    parse_stmt_command, StmtCommand,
};

use bytes::{BufMut, BytesMut};

use super::binary::{bit_is_set, null_bitmap_len, set_bit, take_value};
use super::command::{COM_STMT_EXECUTE, COM_STMT_PREPARE};
use super::error::{ErrorKind, Packet, ParseError, ParseResult};
use super::flags::CapabilityFlags;
use super::reader::Reader;
use super::value::{ParamType, ToParam};
use super::writer::{put_lenenc, put_lenenc_bytes};

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/// COM_STMT_EXECUTE flags (`enum_cursor_type`): no cursor, the whole result set follows.
pub const CURSOR_TYPE_NO_CURSOR: u8 = 0x00;
/// COM_STMT_EXECUTE flags: open a read-only cursor; rows come with COM_STMT_FETCH.
pub const CURSOR_TYPE_READ_ONLY: u8 = 0x01;
/// COM_STMT_EXECUTE flags: a cursor for update (not implemented by the servers).
pub const CURSOR_TYPE_FOR_UPDATE: u8 = 0x02;
/// COM_STMT_EXECUTE flags: a scrollable cursor (not implemented by the servers).
pub const CURSOR_TYPE_SCROLLABLE: u8 = 0x04;
/// COM_STMT_EXECUTE flags (MySQL 8.0.26+, with CLIENT_QUERY_ATTRIBUTES): `parameter_count` is
/// sent even when the statement has no parameters (to send query attributes only).
pub const PARAMETER_COUNT_AVAILABLE: u8 = 0x08;

/// MariaDB (10.2+): the statement id meaning "the statement prepared last on this connection".
/// A COM_STMT_EXECUTE with it may be sent right behind its COM_STMT_PREPARE, before the
/// prepare's response is read ("direct execution"); if the prepare failed the execute fails
/// with an unknown-statement error.
pub const DIRECT_STATEMENT_ID: u32 = 0xFFFF_FFFF;

// ---------------------------------------------------------------------------------------------
// COM_STMT_PREPARE and its response
// ---------------------------------------------------------------------------------------------

/// Appends COM_STMT_PREPARE: the command byte and the SQL text.
pub fn encode_stmt_prepare(out: &mut BytesMut, sql: &[u8]) {
    out.put_u8(COM_STMT_PREPARE);
    out.put_slice(sql);
}

/// MySQL's `enum_resultset_metadata`: the `metadata_follows` byte of
/// CLIENT_OPTIONAL_RESULTSET_METADATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultsetMetadata {
    /// `RESULTSET_METADATA_NONE` (0): no parameter or column definitions follow.
    None,
    /// `RESULTSET_METADATA_FULL` (1): the definitions follow.
    Full,
}

/// COM_STMT_PREPARE_OK: the first packet of a successful COM_STMT_PREPARE response. (A failed
/// prepare is an ERR packet, first byte 0xFF, which the caller handles.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrepareOk {
    /// The statement id for COM_STMT_EXECUTE / RESET / CLOSE / FETCH / SEND_LONG_DATA.
    pub statement_id: u32,
    /// Columns of the result set the statement returns (0 if it returns none).
    pub num_columns: u16,
    /// `?` placeholders.
    pub num_params: u16,
    /// Warnings of the prepare; `None` in the 9-byte form (no filler, no warning count) of
    /// servers older than MySQL 4.1.1.
    pub warning_count: Option<u16>,
    /// MySQL 8's `metadata_follows`: `Some` exactly when CLIENT_OPTIONAL_RESULTSET_METADATA is
    /// negotiated (and the packet is not the 9-byte form).
    pub metadata: Option<ResultsetMetadata>,
}

impl PrepareOk {
    /// The warning count (0 in the 9-byte form).
    pub fn warnings(&self) -> u16 {
        self.warning_count.unwrap_or(0)
    }

    /// True unless the server said it sends no parameter and column definitions
    /// (`RESULTSET_METADATA_NONE`).
    pub fn metadata_follows(&self) -> bool {
        self.metadata != Some(ResultsetMetadata::None)
    }

    /// How many packets follow this one in the prepare response: the parameter definitions
    /// (and their EOF unless `deprecate_eof`) when `num_params > 0`, then the column
    /// definitions (and their EOF unless `deprecate_eof`) when `num_columns > 0`; none of them
    /// when the metadata is skipped.
    pub fn packets_following(&self, deprecate_eof: bool) -> usize {
        if !self.metadata_follows() {
            return 0;
        }
        let block = |n: u16| match (n, deprecate_eof) {
            (0, _) => 0,
            (n, true) => usize::from(n),
            (n, false) => usize::from(n).saturating_add(1),
        };
        block(self.num_params).saturating_add(block(self.num_columns))
    }

    /// Appends this packet: 9 bytes without a warning count, else 12, and 13 with the
    /// metadata byte.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(0x00);
        out.put_u32_le(self.statement_id);
        out.put_u16_le(self.num_columns);
        out.put_u16_le(self.num_params);
        if let Some(w) = self.warning_count {
            out.put_u8(0x00);
            out.put_u16_le(w);
            match self.metadata {
                Some(ResultsetMetadata::None) => out.put_u8(0),
                Some(ResultsetMetadata::Full) => out.put_u8(1),
                None => {}
            }
        }
    }
}

/// Parses COM_STMT_PREPARE_OK with the negotiated capabilities `caps` (only
/// CLIENT_OPTIONAL_RESULTSET_METADATA matters).
///
/// Accepted: the 9-byte form (status, statement id, column and parameter counts); the 12-byte
/// form (then a `0x00` filler and the warning count); and, only when
/// CLIENT_OPTIONAL_RESULTSET_METADATA is negotiated, a 13th byte `metadata_follows` (0 or 1),
/// which that capability makes mandatory in the long form.
pub fn parse_prepare_ok(payload: &[u8], caps: CapabilityFlags) -> ParseResult<PrepareOk> {
    let mut r = Reader::new(payload, Packet::PrepareOk);
    if r.u8("status")? != 0x00 {
        return Err(r.error("status", ErrorKind::InvalidValue));
    }
    let statement_id = r.u32("statement_id")?;
    let num_columns = r.u16("num_columns")?;
    let num_params = r.u16("num_params")?;
    let mut ok = PrepareOk {
        statement_id,
        num_columns,
        num_params,
        warning_count: None,
        metadata: None,
    };
    if r.is_empty() {
        return Ok(ok);
    }
    if r.u8("reserved_1")? != 0x00 {
        return Err(r.error("reserved_1", ErrorKind::InvalidValue));
    }
    ok.warning_count = Some(r.u16("warning_count")?);
    if caps.contains(CapabilityFlags::OPTIONAL_RESULTSET_METADATA) {
        ok.metadata = Some(match r.u8("metadata_follows")? {
            0 => ResultsetMetadata::None,
            1 => ResultsetMetadata::Full,
            _ => return Err(r.error("metadata_follows", ErrorKind::InvalidValue)),
        });
    }
    r.finish("trailing")?;
    Ok(ok)
}

// ---------------------------------------------------------------------------------------------
// COM_STMT_EXECUTE
// ---------------------------------------------------------------------------------------------

/// The arguments of one COM_STMT_EXECUTE.
#[derive(Clone, Copy)]
pub struct StmtExecute<'a> {
    /// The statement id (or [`DIRECT_STATEMENT_ID`] on MariaDB).
    pub statement_id: u32,
    /// The flags byte: a `CURSOR_TYPE_*` value. [`PARAMETER_COUNT_AVAILABLE`] is added by the
    /// encoder when it is needed.
    pub flags: u8,
    /// The statement's parameter count from its [`PrepareOk`].
    pub num_params: u16,
    /// The parameter values, in order. Without CLIENT_QUERY_ATTRIBUTES there must be exactly
    /// `num_params` of them; with it, values past `num_params` are query attributes.
    pub params: &'a [&'a dyn ToParam],
    /// Parameter names (CLIENT_QUERY_ATTRIBUTES only): `names[i]` names `params[i]`; a missing
    /// or empty name means none. Ignored without the capability.
    pub names: &'a [&'a [u8]],
    /// Send the parameter types (`new_params_bind_flag` = 1). Must be true on the first
    /// execute of a statement, after a COM_STMT_RESET, and whenever a type differs from the
    /// previous execute's; false reuses the types bound before (the values must then have
    /// those same types).
    pub send_types: bool,
    /// A string or byte-string parameter whose [`ToParam::long_data`] is at least this long was
    /// sent with COM_STMT_SEND_LONG_DATA (see [`long_data_params`]): its value is left out.
    pub long_data_threshold: Option<usize>,
}

impl std::fmt::Debug for StmtExecute<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StmtExecute")
            .field("statement_id", &self.statement_id)
            .field("flags", &self.flags)
            .field("num_params", &self.num_params)
            .field("params", &self.params.len())
            .field("names", &self.names)
            .field("send_types", &self.send_types)
            .field("long_data_threshold", &self.long_data_threshold)
            .finish()
    }
}

impl<'a> StmtExecute<'a> {
    /// An execute of `statement_id` (no cursor) with `params`, sending their types.
    pub fn new(statement_id: u32, num_params: u16, params: &'a [&'a dyn ToParam]) -> Self {
        StmtExecute {
            statement_id,
            flags: CURSOR_TYPE_NO_CURSOR,
            num_params,
            params,
            names: &[],
            send_types: true,
            long_data_threshold: None,
        }
    }
}

/// True if parameter `p` is sent with COM_STMT_SEND_LONG_DATA under `threshold`.
fn is_long(p: &dyn ToParam, threshold: Option<usize>) -> bool {
    match (threshold, p.long_data()) {
        (Some(t), Some(b)) => !p.is_null() && b.len() >= t,
        _ => false,
    }
}

/// The parameters to send with COM_STMT_SEND_LONG_DATA before an execute whose
/// [`StmtExecute::long_data_threshold`] is `threshold`: `(param_id, bytes)` of every string or
/// byte-string parameter at least that long. The execute leaves exactly these values out.
pub fn long_data_params<'p>(
    params: &'p [&'p dyn ToParam],
    threshold: usize,
) -> impl Iterator<Item = (u16, &'p [u8])> + 'p {
    params
        .iter()
        .enumerate()
        .filter(move |(_, p)| is_long(**p, Some(threshold)))
        .filter_map(|(i, p)| Some((u16::try_from(i).ok()?, p.long_data()?)))
}

fn exec_error(field: &'static str, kind: ErrorKind) -> ParseError {
    ParseError::new(Packet::StmtExecute, field, kind)
}

/// Appends the parameter block shared by COM_STMT_EXECUTE and COM_QUERY with attributes, from
/// the NULL bitmap on: bitmap, `new_params_bind_flag`, the types (each followed by its name
/// when `with_names`), then the values.
fn put_params(
    out: &mut BytesMut,
    params: &[&dyn ToParam],
    names: Option<&[&[u8]]>,
    send_types: bool,
    long_data_threshold: Option<usize>,
) {
    let bitmap_at = out.len();
    out.put_bytes(0, null_bitmap_len(params.len(), 0));
    for (i, p) in params.iter().enumerate() {
        if p.is_null() {
            if let Some(bitmap) = out.get_mut(bitmap_at..) {
                set_bit(bitmap, i);
            }
        }
    }
    out.extend_from_slice(&[u8::from(send_types)]);
    if send_types {
        for (i, p) in params.iter().enumerate() {
            out.extend_from_slice(&p.param_type().to_bytes());
            if let Some(names) = names {
                put_lenenc_bytes(out, names.get(i).copied().unwrap_or_default());
            }
        }
    }
    for p in params {
        if !is_long(*p, long_data_threshold) {
            p.encode_value(out);
        }
    }
}

/// Appends COM_STMT_EXECUTE. `caps` are the negotiated capabilities (only
/// CLIENT_QUERY_ATTRIBUTES matters).
///
/// Layout: `0x17`, statement id `int<4>`, flags `int<1>`, iteration count `int<4>` = 1; then,
/// if `num_params > 0` or (CLIENT_QUERY_ATTRIBUTES and [`PARAMETER_COUNT_AVAILABLE`]):
/// `parameter_count` `int<lenenc>` (CLIENT_QUERY_ATTRIBUTES only), and if the count is not
/// zero the NULL bitmap `(count + 7) / 8`, `new_params_bind_flag`, the types (2 bytes each,
/// plus a `string<lenenc>` name with CLIENT_QUERY_ATTRIBUTES) when the flag is 1, and the
/// values of the non-NULL parameters. With CLIENT_QUERY_ATTRIBUTES and attributes on a
/// statement without parameters the encoder sets [`PARAMETER_COUNT_AVAILABLE`] itself.
///
/// Errors (nothing is appended): without CLIENT_QUERY_ATTRIBUTES, a parameter count other
/// than `num_params`; with it, fewer than `num_params` or more than 65535.
pub fn encode_stmt_execute(
    out: &mut BytesMut,
    e: &StmtExecute<'_>,
    caps: CapabilityFlags,
) -> ParseResult<()> {
    let attrs = caps.contains(CapabilityFlags::QUERY_ATTRIBUTES);
    let n = e.params.len();
    let expected = usize::from(e.num_params);
    if (!attrs && n != expected) || n < expected {
        return Err(exec_error("parameter_count", ErrorKind::InvalidValue));
    }
    if u16::try_from(n).is_err() {
        return Err(exec_error("parameter_count", ErrorKind::TooLarge));
    }
    let mut flags = e.flags;
    if attrs && e.num_params == 0 && n > 0 {
        flags |= PARAMETER_COUNT_AVAILABLE;
    }
    // The fixed part in one write: command, statement id, flags, iteration count 1.
    let [a, b, c, d] = e.statement_id.to_le_bytes();
    out.extend_from_slice(&[COM_STMT_EXECUTE, a, b, c, d, flags, 1, 0, 0, 0]);
    if e.num_params == 0 && !(attrs && flags & PARAMETER_COUNT_AVAILABLE != 0) {
        return Ok(());
    }
    if attrs {
        put_lenenc(out, n as u64);
    }
    if n > 0 {
        put_params(
            out,
            e.params,
            attrs.then_some(e.names),
            e.send_types,
            e.long_data_threshold,
        );
    }
    Ok(())
}

/// One parameter of a parsed COM_STMT_EXECUTE (or COM_QUERY attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamValue<'a> {
    /// SQL NULL (its bit in the NULL bitmap).
    Null,
    /// Sent before with COM_STMT_SEND_LONG_DATA: no bytes here.
    LongData,
    /// The binary value's bytes, as a binary row cell: the fixed bytes of a number, the bytes
    /// after the length byte of a temporal, the string of any other type. Decode with
    /// [`FromValue::from_binary`](super::value::FromValue::from_binary) and the parameter's type.
    Value(&'a [u8]),
}

/// A parsed COM_STMT_EXECUTE (test servers, traces, fuzz round trips).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtExecuteRequest<'a> {
    /// The statement id.
    pub statement_id: u32,
    /// The flags byte.
    pub flags: u8,
    /// The iteration count (always 1 from real clients).
    pub iteration_count: u32,
    /// `new_params_bind_flag`: the types were sent.
    pub types_sent: bool,
    /// The type of every parameter (sent, or the ones given to the parser).
    pub types: Vec<ParamType>,
    /// The name of every parameter (empty without CLIENT_QUERY_ATTRIBUTES, or when the types
    /// were not sent).
    pub names: Vec<&'a [u8]>,
    /// The value of every parameter.
    pub values: Vec<ParamValue<'a>>,
}

/// The parameter block of a parsed execute or query.
struct ReadParams<'a> {
    types_sent: bool,
    types: Vec<ParamType>,
    names: Vec<&'a [u8]>,
    values: Vec<ParamValue<'a>>,
}

/// Reads `count` parameters from the NULL bitmap on (the inverse of `put_params`). `bound` are
/// the types used when `new_params_bind_flag` is 0; `long_data` the ids sent with
/// COM_STMT_SEND_LONG_DATA.
fn read_params<'a>(
    r: &mut Reader<'a>,
    count: usize,
    with_names: bool,
    bound: &[ParamType],
    long_data: &[u16],
) -> ParseResult<ReadParams<'a>> {
    let bitmap = r.take(null_bitmap_len(count, 0), "null_bitmap")?;
    let types_sent = match r.u8("new_params_bind_flag")? {
        0 => false,
        1 => true,
        _ => return Err(r.error("new_params_bind_flag", ErrorKind::InvalidValue)),
    };
    // Each parameter takes at least one bit; counts beyond the packet are refused before
    // anything is allocated for them.
    let cap = count.min(r.remaining().saturating_add(1).saturating_mul(8));
    let mut types = Vec::with_capacity(cap);
    let mut names = Vec::new();
    if types_sent {
        for _ in 0..count {
            let [t, f] = <[u8; 2]>::try_from(r.take(2, "parameter_type")?)
                .map_err(|_| r.error("parameter_type", ErrorKind::Truncated))?;
            types.push(ParamType::from_bytes([t, f]));
            if with_names {
                names.push(r.lenenc_bytes("parameter_name")?);
            }
        }
    } else {
        if bound.len() < count {
            return Err(r.error("parameter_type", ErrorKind::Unexpected));
        }
        types.extend(bound.iter().take(count));
    }
    let mut values = Vec::with_capacity(cap);
    for (i, t) in types.iter().enumerate() {
        if bit_is_set(bitmap, i) {
            values.push(ParamValue::Null);
        } else if u16::try_from(i).is_ok_and(|i| long_data.contains(&i)) {
            values.push(ParamValue::LongData);
        } else {
            values.push(ParamValue::Value(take_value(
                r,
                t.column_type,
                "parameter_value",
            )?));
        }
    }
    Ok(ReadParams {
        types_sent,
        types,
        names,
        values,
    })
}

/// Parses a COM_STMT_EXECUTE payload (command byte included) of a statement with `num_params`
/// parameters, with the negotiated `caps` (CLIENT_QUERY_ATTRIBUTES). `bound` are the types
/// bound by an earlier execute, used when this one does not send types; `long_data` the
/// parameter ids sent with COM_STMT_SEND_LONG_DATA since.
pub fn parse_stmt_execute<'a>(
    payload: &'a [u8],
    num_params: u16,
    caps: CapabilityFlags,
    bound: &[ParamType],
    long_data: &[u16],
) -> ParseResult<StmtExecuteRequest<'a>> {
    let mut r = Reader::new(payload, Packet::StmtExecute);
    if r.u8("command")? != COM_STMT_EXECUTE {
        return Err(r.error("command", ErrorKind::InvalidValue));
    }
    let statement_id = r.u32("statement_id")?;
    let flags = r.u8("flags")?;
    let iteration_count = r.u32("iteration_count")?;
    let attrs = caps.contains(CapabilityFlags::QUERY_ATTRIBUTES);
    let mut req = StmtExecuteRequest {
        statement_id,
        flags,
        iteration_count,
        types_sent: false,
        types: Vec::new(),
        names: Vec::new(),
        values: Vec::new(),
    };
    if num_params == 0 && !(attrs && flags & PARAMETER_COUNT_AVAILABLE != 0) {
        r.finish("trailing")?;
        return Ok(req);
    }
    let count = if attrs {
        let n = r.lenenc("parameter_count")?;
        let n = u16::try_from(n).map_err(|_| r.error("parameter_count", ErrorKind::TooLarge))?;
        if n < num_params {
            return Err(r.error("parameter_count", ErrorKind::InvalidValue));
        }
        usize::from(n)
    } else {
        usize::from(num_params)
    };
    if count > 0 {
        let p = read_params(&mut r, count, attrs, bound, long_data)?;
        req.types_sent = p.types_sent;
        req.types = p.types;
        req.names = p.names;
        req.values = p.values;
    }
    r.finish("trailing")?;
    Ok(req)
}

#[cfg(test)]
mod tests;
