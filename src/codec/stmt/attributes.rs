//! COM_QUERY with query attributes (MySQL 8.0.23+, CLIENT_QUERY_ATTRIBUTES): the encoder, the
//! parser and the parsed [`QueryAttribute`]. The attributes use the parameter block of
//! COM_STMT_EXECUTE, with names.

// Offsets are computed with checked arithmetic: a length from the wire never wraps.
#![deny(clippy::arithmetic_side_effects)]

use bytes::{BufMut, BytesMut};

use super::{exec_error, put_params, read_params, ParamValue};
use crate::codec::command::COM_QUERY;
use crate::codec::error::{ErrorKind, Packet, ParseResult};
use crate::codec::reader::Reader;
use crate::codec::value::{ParamType, ToParam};
use crate::codec::writer::put_lenenc;

/// Appends COM_QUERY as it must be sent once CLIENT_QUERY_ATTRIBUTES is negotiated:
/// `0x03`, `parameter_count` `int<lenenc>`, `parameter_set_count` `int<lenenc>` = 1, and when
/// the count is not zero the NULL bitmap, `new_params_bind_flag` = 1, every attribute's type
/// and name, the values; then the SQL text. With the capability every COM_QUERY carries this
/// prefix, `00 01` when there are no attributes.
///
/// Errors (nothing is appended): more than 65535 attributes.
pub fn encode_query_with_attributes(
    out: &mut BytesMut,
    sql: &[u8],
    attributes: &[(&[u8], &dyn ToParam)],
) -> ParseResult<()> {
    let n = attributes.len();
    if u16::try_from(n).is_err() {
        return Err(exec_error("parameter_count", ErrorKind::TooLarge));
    }
    out.put_u8(COM_QUERY);
    put_lenenc(out, n as u64);
    put_lenenc(out, 1);
    if n > 0 {
        let names: Vec<&[u8]> = attributes.iter().map(|(name, _)| *name).collect();
        let values: Vec<&dyn ToParam> = attributes.iter().map(|(_, v)| *v).collect();
        put_params(out, &values, Some(&names), true, None);
    }
    out.put_slice(sql);
    Ok(())
}

/// One query attribute of a parsed COM_QUERY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryAttribute<'a> {
    /// Its name.
    pub name: &'a [u8],
    /// Its type.
    pub param_type: ParamType,
    /// Its value.
    pub value: ParamValue<'a>,
}

/// Parses a COM_QUERY payload (command byte included) sent with CLIENT_QUERY_ATTRIBUTES:
/// the attributes, then the SQL text.
pub fn parse_query_with_attributes(
    payload: &[u8],
) -> ParseResult<(Vec<QueryAttribute<'_>>, &[u8])> {
    let mut r = Reader::new(payload, Packet::StmtExecute);
    if r.u8("command")? != COM_QUERY {
        return Err(r.error("command", ErrorKind::InvalidValue));
    }
    let n = r.lenenc("parameter_count")?;
    let n = u16::try_from(n).map_err(|_| r.error("parameter_count", ErrorKind::TooLarge))?;
    if r.lenenc("parameter_set_count")? != 1 {
        return Err(r.error("parameter_set_count", ErrorKind::InvalidValue));
    }
    let mut attrs = Vec::new();
    if n > 0 {
        let p = read_params(&mut r, usize::from(n), true, &[], &[])?;
        if !p.types_sent {
            // A query has no statement to take bound types from.
            return Err(r.error("new_params_bind_flag", ErrorKind::InvalidValue));
        }
        for ((name, param_type), value) in p.names.into_iter().zip(p.types).zip(p.values) {
            attrs.push(QueryAttribute {
                name,
                param_type,
                value,
            });
        }
    }
    Ok((attrs, r.eof_bytes()))
}
