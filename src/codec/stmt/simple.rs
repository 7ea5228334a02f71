//! COM_STMT_SEND_LONG_DATA, COM_STMT_RESET, COM_STMT_CLOSE and COM_STMT_FETCH: the small
//! commands that name a statement by id, their encoders and the parser of all four.

// Offsets are computed with checked arithmetic: a length from the wire never wraps.
#![deny(clippy::arithmetic_side_effects)]

use bytes::{BufMut, BytesMut};

use crate::codec::command::{
    COM_STMT_CLOSE, COM_STMT_FETCH, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
};
use crate::codec::error::{ErrorKind, Packet, ParseResult};
use crate::codec::reader::Reader;

/// Appends COM_STMT_SEND_LONG_DATA: statement id `int<4>`, parameter id `int<2>`, then `data`
/// to the end of the packet. No response; repeated sends append to the parameter. The
/// parameter's value is then left out of the next COM_STMT_EXECUTE.
pub fn encode_stmt_send_long_data(
    out: &mut BytesMut,
    statement_id: u32,
    param_id: u16,
    data: &[u8],
) {
    out.put_u8(COM_STMT_SEND_LONG_DATA);
    out.put_u32_le(statement_id);
    out.put_u16_le(param_id);
    out.put_slice(data);
}

/// Appends COM_STMT_RESET (statement id): discards long data sent for the statement and closes
/// its cursor. Answered with OK or ERR.
pub fn encode_stmt_reset(out: &mut BytesMut, statement_id: u32) {
    out.put_u8(COM_STMT_RESET);
    out.put_u32_le(statement_id);
}

/// Appends COM_STMT_CLOSE (statement id): deallocates the statement. The server sends no
/// response at all.
pub fn encode_stmt_close(out: &mut BytesMut, statement_id: u32) {
    out.put_u8(COM_STMT_CLOSE);
    out.put_u32_le(statement_id);
}

/// Appends COM_STMT_FETCH: statement id `int<4>`, number of rows `int<4>`, for a statement
/// executed with a cursor. Answered with up to `num_rows` binary rows and an EOF (or OK with
/// DEPRECATE_EOF) whose status says whether the cursor has more (LAST_ROW_SENT when not).
pub fn encode_stmt_fetch(out: &mut BytesMut, statement_id: u32, num_rows: u32) {
    out.put_u8(COM_STMT_FETCH);
    out.put_u32_le(statement_id);
    out.put_u32_le(num_rows);
}

/// A parsed COM_STMT_SEND_LONG_DATA, RESET, CLOSE or FETCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StmtCommand<'a> {
    /// COM_STMT_SEND_LONG_DATA.
    SendLongData {
        /// Statement id.
        statement_id: u32,
        /// Parameter id.
        param_id: u16,
        /// The data (to the end of the packet).
        data: &'a [u8],
    },
    /// COM_STMT_RESET.
    Reset(u32),
    /// COM_STMT_CLOSE.
    Close(u32),
    /// COM_STMT_FETCH.
    Fetch {
        /// Statement id.
        statement_id: u32,
        /// Rows asked for.
        num_rows: u32,
    },
}

/// Parses COM_STMT_SEND_LONG_DATA, RESET, CLOSE or FETCH (command byte included).
pub fn parse_stmt_command(payload: &[u8]) -> ParseResult<StmtCommand<'_>> {
    let mut r = Reader::new(payload, Packet::Command);
    let code = r.u8("command")?;
    let statement_id = r.u32("statement_id")?;
    let c = match code {
        COM_STMT_SEND_LONG_DATA => {
            let param_id = r.u16("param_id")?;
            StmtCommand::SendLongData {
                statement_id,
                param_id,
                data: r.eof_bytes(),
            }
        }
        COM_STMT_RESET => StmtCommand::Reset(statement_id),
        COM_STMT_CLOSE => StmtCommand::Close(statement_id),
        COM_STMT_FETCH => StmtCommand::Fetch {
            statement_id,
            num_rows: r.u32("num_rows")?,
        },
        _ => return Err(r.error("command", ErrorKind::InvalidValue)),
    };
    r.finish("trailing")?;
    Ok(c)
}
