//! Client commands of the command phase. See protocol-notes/command-phase.md.

use bytes::BytesMut;

use super::error::{ErrorKind, Packet, ParseResult};
use super::frame::PacketCodec;
use super::reader::Reader;

/// COM_QUIT.
pub const COM_QUIT: u8 = 0x01;
/// COM_INIT_DB.
pub const COM_INIT_DB: u8 = 0x02;
/// COM_QUERY.
pub const COM_QUERY: u8 = 0x03;
/// COM_FIELD_LIST (deprecated).
pub const COM_FIELD_LIST: u8 = 0x04;
/// COM_STATISTICS.
pub const COM_STATISTICS: u8 = 0x09;
/// COM_PROCESS_KILL.
pub const COM_PROCESS_KILL: u8 = 0x0c;
/// COM_PING.
pub const COM_PING: u8 = 0x0e;
/// COM_CHANGE_USER.
pub const COM_CHANGE_USER: u8 = 0x11;
/// COM_STMT_PREPARE.
pub const COM_STMT_PREPARE: u8 = 0x16;
/// COM_STMT_EXECUTE.
pub const COM_STMT_EXECUTE: u8 = 0x17;
/// COM_STMT_SEND_LONG_DATA.
pub const COM_STMT_SEND_LONG_DATA: u8 = 0x18;
/// COM_STMT_CLOSE.
pub const COM_STMT_CLOSE: u8 = 0x19;
/// COM_STMT_RESET.
pub const COM_STMT_RESET: u8 = 0x1a;
/// COM_SET_OPTION.
pub const COM_SET_OPTION: u8 = 0x1b;
/// COM_STMT_FETCH.
pub const COM_STMT_FETCH: u8 = 0x1c;
/// COM_RESET_CONNECTION.
pub const COM_RESET_CONNECTION: u8 = 0x1f;
/// COM_STMT_BULK_EXECUTE (MariaDB 10.2+, needs MARIADB_CLIENT_STMT_BULK_OPERATIONS).
pub const COM_STMT_BULK_EXECUTE: u8 = 0xfa;

/// The name of a command byte (`"COM_QUERY"`), or `None` if unknown.
pub fn command_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "COM_SLEEP",
        COM_QUIT => "COM_QUIT",
        COM_INIT_DB => "COM_INIT_DB",
        COM_QUERY => "COM_QUERY",
        COM_FIELD_LIST => "COM_FIELD_LIST",
        0x05 => "COM_CREATE_DB",
        0x06 => "COM_DROP_DB",
        0x07 => "COM_REFRESH",
        0x08 => "COM_SHUTDOWN",
        COM_STATISTICS => "COM_STATISTICS",
        0x0a => "COM_PROCESS_INFO",
        0x0b => "COM_CONNECT",
        COM_PROCESS_KILL => "COM_PROCESS_KILL",
        0x0d => "COM_DEBUG",
        COM_PING => "COM_PING",
        0x0f => "COM_TIME",
        0x10 => "COM_DELAYED_INSERT",
        COM_CHANGE_USER => "COM_CHANGE_USER",
        0x12 => "COM_BINLOG_DUMP",
        0x13 => "COM_TABLE_DUMP",
        0x14 => "COM_CONNECT_OUT",
        0x15 => "COM_REGISTER_SLAVE",
        COM_STMT_PREPARE => "COM_STMT_PREPARE",
        COM_STMT_EXECUTE => "COM_STMT_EXECUTE",
        COM_STMT_SEND_LONG_DATA => "COM_STMT_SEND_LONG_DATA",
        COM_STMT_CLOSE => "COM_STMT_CLOSE",
        COM_STMT_RESET => "COM_STMT_RESET",
        COM_SET_OPTION => "COM_SET_OPTION",
        COM_STMT_FETCH => "COM_STMT_FETCH",
        0x1d => "COM_DAEMON",
        0x1e => "COM_BINLOG_DUMP_GTID",
        COM_RESET_CONNECTION => "COM_RESET_CONNECTION",
        COM_STMT_BULK_EXECUTE => "COM_STMT_BULK_EXECUTE",
        _ => return None,
    })
}

/// A command as the client sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// COM_QUERY with SQL text (no query attributes).
    Query(&'a [u8]),
    /// COM_PING.
    Ping,
    /// COM_QUIT.
    Quit,
    /// COM_INIT_DB with a schema name.
    InitDb(&'a [u8]),
    /// COM_RESET_CONNECTION.
    ResetConnection,
    /// COM_STATISTICS.
    Statistics,
    /// Any other command: code and raw argument bytes.
    Other(u8, &'a [u8]),
}

impl<'a> Command<'a> {
    /// The command byte.
    pub fn code(&self) -> u8 {
        match self {
            Command::Query(_) => COM_QUERY,
            Command::Ping => COM_PING,
            Command::Quit => COM_QUIT,
            Command::InitDb(_) => COM_INIT_DB,
            Command::ResetConnection => COM_RESET_CONNECTION,
            Command::Statistics => COM_STATISTICS,
            Command::Other(c, _) => *c,
        }
    }

    /// The argument bytes after the command byte.
    pub fn args(&self) -> &'a [u8] {
        match self {
            Command::Query(a) | Command::InitDb(a) | Command::Other(_, a) => a,
            _ => &[],
        }
    }

    /// Encodes the command as a new packet sequence (sequence id reset to 0) into `out`.
    pub fn encode(&self, codec: &mut PacketCodec, out: &mut BytesMut) {
        codec.set_seq(0);
        codec.encode_parts(&[&[self.code()], self.args()], out);
    }
}

/// Parses a command payload sent by a client (traces, test servers).
pub fn parse_command(payload: &[u8]) -> ParseResult<Command<'_>> {
    let mut r = Reader::new(payload, Packet::Command);
    let code = r.u8("command")?;
    let args = r.eof_bytes();
    let no_args = |c: Command<'static>| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(r.error("trailing", ErrorKind::TrailingBytes))
        }
    };
    match code {
        COM_QUERY => Ok(Command::Query(args)),
        COM_INIT_DB => Ok(Command::InitDb(args)),
        COM_PING => no_args(Command::Ping),
        COM_QUIT => no_args(Command::Quit),
        COM_RESET_CONNECTION => no_args(Command::ResetConnection),
        COM_STATISTICS => no_args(Command::Statistics),
        c => Ok(Command::Other(c, args)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips() {
        let mut codec = PacketCodec::default();
        let mut out = BytesMut::new();
        Command::Query(b"SELECT 1").encode(&mut codec, &mut out);
        assert_eq!(&out[..4], &[9, 0, 0, 0]);
        assert_eq!(
            parse_command(&out[4..]).unwrap(),
            Command::Query(b"SELECT 1")
        );
        assert_eq!(parse_command(&[COM_PING]).unwrap(), Command::Ping);
        assert!(parse_command(&[COM_PING, 1]).is_err());
        assert!(parse_command(&[]).is_err());
    }
}
