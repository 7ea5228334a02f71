//! MariaDB's COM_STMT_BULK_EXECUTE (one statement, many rows of parameters): its flags, the
//! per-parameter [`Indicator`], the encoder and the parser.

// Offsets are computed with checked arithmetic: a length from the wire never wraps.
#![deny(clippy::arithmetic_side_effects)]

use bytes::{BufMut, BytesMut};

use super::exec_error;
#[cfg(doc)]
use super::ParamValue;
use crate::codec::binary::take_value;
use crate::codec::command::COM_STMT_BULK_EXECUTE;
use crate::codec::error::{ErrorKind, Packet, ParseResult};
use crate::codec::reader::Reader;
use crate::codec::value::{ParamType, ToParam};

/// COM_STMT_BULK_EXECUTE flags: the server answers with a result set of the affected rows and
/// generated ids of every row (needs MARIADB_CLIENT_BULK_UNIT_RESULTS, MariaDB 11.5+).
pub const BULK_SEND_UNIT_RESULTS: u16 = 64;
/// COM_STMT_BULK_EXECUTE flags: the parameter types follow.
pub const BULK_SEND_TYPES_TO_SERVER: u16 = 128;

/// A COM_STMT_BULK_EXECUTE indicator: what one parameter of one row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Indicator {
    /// A value follows.
    None = 0,
    /// SQL NULL (no value follows).
    Null = 1,
    /// The column's default (INSERT / UPDATE).
    Default = 2,
    /// The default for an INSERT; the column is left alone by an UPDATE.
    Ignore = 3,
}

impl Indicator {
    /// The indicator of a byte, if it is one.
    pub const fn from_u8(b: u8) -> Option<Indicator> {
        Some(match b {
            0 => Indicator::None,
            1 => Indicator::Null,
            2 => Indicator::Default,
            3 => Indicator::Ignore,
            _ => return None,
        })
    }
}

/// One parameter of one row of a COM_STMT_BULK_EXECUTE.
#[derive(Clone, Copy)]
pub enum BulkParam<'a> {
    /// A value (a NULL value, [`ToParam::is_null`], is sent as [`Indicator::Null`]).
    Value(&'a dyn ToParam),
    /// SQL NULL.
    Null,
    /// The column's default.
    Default,
    /// The default for an INSERT, left alone by an UPDATE.
    Ignore,
}

impl std::fmt::Debug for BulkParam<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkParam::Value(v) => write!(f, "Value({:?})", v.param_type()),
            BulkParam::Null => f.write_str("Null"),
            BulkParam::Default => f.write_str("Default"),
            BulkParam::Ignore => f.write_str("Ignore"),
        }
    }
}

/// Appends MariaDB's COM_STMT_BULK_EXECUTE (needs MARIADB_CLIENT_STMT_BULK_OPERATIONS):
/// `0xFA`, statement id `int<4>`, bulk flags `int<2>`, the types (2 bytes each) when `flags`
/// has [`BULK_SEND_TYPES_TO_SERVER`], then for every row and every parameter an indicator byte
/// and, for [`Indicator::None`], the value in its binary form.
///
/// `types` declares every parameter's type (sent only with [`BULK_SEND_TYPES_TO_SERVER`]); a
/// value must have its parameter's declared type. Errors (nothing is appended): no rows, a
/// row whose width is not `types.len()`, or a value of another type.
pub fn encode_stmt_bulk_execute<'p, R>(
    out: &mut BytesMut,
    statement_id: u32,
    flags: u16,
    types: &[ParamType],
    rows: &[R],
) -> ParseResult<()>
where
    R: AsRef<[BulkParam<'p>]>,
{
    if rows.is_empty() {
        return Err(exec_error("rows", ErrorKind::InvalidValue));
    }
    for row in rows {
        let row = row.as_ref();
        if row.len() != types.len() {
            return Err(exec_error("row_width", ErrorKind::InvalidValue));
        }
        for (p, t) in row.iter().zip(types) {
            if let BulkParam::Value(v) = p {
                if !v.is_null() && v.param_type() != *t {
                    return Err(exec_error("parameter_type", ErrorKind::InvalidValue));
                }
            }
        }
    }
    put_bulk_head(out, statement_id, flags, types);
    for row in rows {
        for p in row.as_ref() {
            put_bulk_param(out, *p);
        }
    }
    Ok(())
}

/// Appends the head of a COM_STMT_BULK_EXECUTE: `0xFA`, the statement id, `flags`, and the
/// types when `flags` has [`BULK_SEND_TYPES_TO_SERVER`]. The rows follow, each parameter by
/// [`put_bulk_param`].
pub fn put_bulk_head(out: &mut BytesMut, statement_id: u32, flags: u16, types: &[ParamType]) {
    out.put_u8(COM_STMT_BULK_EXECUTE);
    out.put_u32_le(statement_id);
    out.put_u16_le(flags);
    if flags & BULK_SEND_TYPES_TO_SERVER != 0 {
        for t in types {
            out.put_slice(&t.to_bytes());
        }
    }
}

/// Appends one parameter of one row: its indicator and, for a value, the value's binary form
/// (a NULL value, [`ToParam::is_null`], is [`Indicator::Null`]). The caller checks that a
/// value has its parameter's declared type.
pub fn put_bulk_param(out: &mut BytesMut, p: BulkParam<'_>) {
    match p {
        BulkParam::Value(v) if !v.is_null() => {
            out.put_u8(Indicator::None as u8);
            v.encode_value(out);
        }
        BulkParam::Value(_) | BulkParam::Null => out.put_u8(Indicator::Null as u8),
        BulkParam::Default => out.put_u8(Indicator::Default as u8),
        BulkParam::Ignore => out.put_u8(Indicator::Ignore as u8),
    }
}

/// One parameter of one row of a parsed COM_STMT_BULK_EXECUTE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkValue<'a> {
    /// A value's bytes (as [`ParamValue::Value`]).
    Value(&'a [u8]),
    /// NULL.
    Null,
    /// DEFAULT.
    Default,
    /// IGNORE.
    Ignore,
}

/// A parsed COM_STMT_BULK_EXECUTE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkExecuteRequest<'a> {
    /// The statement id.
    pub statement_id: u32,
    /// The bulk flags.
    pub flags: u16,
    /// The parameter types (sent, or given to the parser).
    pub types: Vec<ParamType>,
    /// The rows.
    pub rows: Vec<Vec<BulkValue<'a>>>,
}

/// Parses a COM_STMT_BULK_EXECUTE payload (command byte included) of a statement with
/// `num_params` parameters; `bound` are the types when the packet does not send them. Rows run
/// to the end of the packet; there must be at least one.
pub fn parse_stmt_bulk_execute<'a>(
    payload: &'a [u8],
    num_params: u16,
    bound: &[ParamType],
) -> ParseResult<BulkExecuteRequest<'a>> {
    let mut r = Reader::new(payload, Packet::StmtExecute);
    if r.u8("command")? != COM_STMT_BULK_EXECUTE {
        return Err(r.error("command", ErrorKind::InvalidValue));
    }
    let statement_id = r.u32("statement_id")?;
    let flags = r.u16("bulk_flags")?;
    let n = usize::from(num_params);
    let types: Vec<ParamType> = if flags & BULK_SEND_TYPES_TO_SERVER != 0 {
        let mut t = Vec::with_capacity(n.min(r.remaining() / 2));
        for _ in 0..n {
            let a = r.u8("parameter_type")?;
            let b = r.u8("parameter_type")?;
            t.push(ParamType::from_bytes([a, b]));
        }
        t
    } else if bound.len() >= n {
        bound.iter().take(n).copied().collect()
    } else {
        return Err(r.error("parameter_type", ErrorKind::Unexpected));
    };
    if n == 0 {
        // Rows of no parameters carry no bytes: "until the end of the packet" never ends.
        return Err(r.error("parameter_count", ErrorKind::InvalidValue));
    }
    let mut rows = Vec::new();
    loop {
        let mut row = Vec::with_capacity(n.min(r.remaining()));
        for t in &types {
            let ind = r.u8("indicator")?;
            row.push(match Indicator::from_u8(ind) {
                Some(Indicator::None) => {
                    BulkValue::Value(take_value(&mut r, t.column_type, "parameter_value")?)
                }
                Some(Indicator::Null) => BulkValue::Null,
                Some(Indicator::Default) => BulkValue::Default,
                Some(Indicator::Ignore) => BulkValue::Ignore,
                None => return Err(r.error("indicator", ErrorKind::InvalidValue)),
            });
        }
        rows.push(row);
        if r.is_empty() {
            break;
        }
    }
    Ok(BulkExecuteRequest {
        statement_id,
        flags,
        types,
        rows,
    })
}
