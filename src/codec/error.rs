//! Typed parse errors: which packet, which field, what was wrong.
//!
//! A malformed packet from the server must never panic, hang or allocate a huge buffer. Every
//! parser returns a [`ParseError`] instead, small and `Copy`, that names the packet and the field
//! so that a fuzz finding or a user report points at the exact place.

use std::fmt;

/// The packet (or message) a parser was reading when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Packet {
    /// The 4-byte frame header or a multi-frame payload.
    Frame,
    /// The initial handshake (protocol version 10) from the server.
    Handshake,
    /// The client's HandshakeResponse41.
    HandshakeResponse,
    /// The client's SSLRequest.
    SslRequest,
    /// An AuthSwitchRequest (0xFE during authentication).
    AuthSwitch,
    /// An AuthMoreData packet (0x01 during authentication).
    AuthMoreData,
    /// An OK packet.
    Ok,
    /// An ERR packet.
    Err,
    /// An EOF packet.
    Eof,
    /// The column-count packet that starts a result set.
    ColumnCount,
    /// A ColumnDefinition41 packet.
    ColumnDefinition,
    /// A text-protocol row.
    Row,
    /// A LOCAL INFILE request (0xFB).
    LocalInfile,
    /// A client command packet.
    Command,
    /// A typed value read from a text-protocol or binary-protocol cell.
    Value,
    /// The COM_STMT_PREPARE_OK packet that answers a COM_STMT_PREPARE.
    PrepareOk,
    /// A binary-protocol row (the rows of a COM_STMT_EXECUTE result set).
    BinaryRow,
    /// A COM_STMT_EXECUTE (or MariaDB COM_STMT_BULK_EXECUTE) command, or the parameters of a
    /// COM_QUERY with query attributes.
    StmtExecute,
    /// A connection URL or option.
    Options,
    /// A capture file (pcap / pcapng) or a frame inside it.
    Capture,
    /// A packet of the compressed protocol (its 7-byte header or its payload).
    Compressed,
    /// A COM_CHANGE_USER command.
    ChangeUser,
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Packet::Frame => "packet frame",
            Packet::Handshake => "initial handshake",
            Packet::HandshakeResponse => "handshake response",
            Packet::SslRequest => "SSL request",
            Packet::AuthSwitch => "auth switch request",
            Packet::AuthMoreData => "auth more data",
            Packet::Ok => "OK packet",
            Packet::Err => "ERR packet",
            Packet::Eof => "EOF packet",
            Packet::ColumnCount => "column count",
            Packet::ColumnDefinition => "column definition",
            Packet::Row => "row",
            Packet::LocalInfile => "LOCAL INFILE request",
            Packet::Command => "command",
            Packet::Value => "value",
            Packet::PrepareOk => "COM_STMT_PREPARE_OK",
            Packet::BinaryRow => "binary row",
            Packet::StmtExecute => "COM_STMT_EXECUTE",
            Packet::Options => "options",
            Packet::Capture => "capture",
            Packet::Compressed => "compressed packet",
            Packet::ChangeUser => "COM_CHANGE_USER",
        };
        f.write_str(s)
    }
}

/// What was wrong with the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The packet ended before the field did.
    Truncated,
    /// Bytes were left over after the last field.
    TrailingBytes,
    /// A length-encoded integer began with 0xFF (not a valid prefix).
    InvalidLenencPrefix,
    /// A length-encoded integer was 0xFB (NULL) where NULL is not allowed.
    UnexpectedNull,
    /// A declared length is larger than the configured limit.
    TooLarge,
    /// A NUL-terminated string had no NUL.
    MissingNul,
    /// A field held a value the protocol does not allow here.
    InvalidValue,
    /// The sequence id was not the expected one.
    SequenceMismatch,
    /// A packet of this kind was not expected at this point of the exchange.
    Unexpected,
    /// Text that must be UTF-8 (or ASCII digits) was not.
    InvalidText,
    /// A number did not fit the requested type.
    OutOfRange,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ErrorKind::Truncated => "truncated",
            ErrorKind::TrailingBytes => "unexpected trailing bytes",
            ErrorKind::InvalidLenencPrefix => "invalid length-encoded integer prefix 0xFF",
            ErrorKind::UnexpectedNull => "unexpected NULL (0xFB)",
            ErrorKind::TooLarge => "length exceeds the configured limit",
            ErrorKind::MissingNul => "missing NUL terminator",
            ErrorKind::InvalidValue => "invalid value",
            ErrorKind::SequenceMismatch => "sequence id mismatch",
            ErrorKind::Unexpected => "unexpected packet",
            ErrorKind::InvalidText => "invalid text",
            ErrorKind::OutOfRange => "value out of range",
        };
        f.write_str(s)
    }
}

/// A parse failure: `packet`/`field` locate it, `kind` says what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// The packet being parsed.
    pub packet: Packet,
    /// The field being parsed (a stable, lowercase name such as `"auth_plugin_data_len"`).
    pub field: &'static str,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl ParseError {
    /// Builds an error.
    pub const fn new(packet: Packet, field: &'static str, kind: ErrorKind) -> Self {
        ParseError {
            packet,
            field,
            kind,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: field `{}`: {}", self.packet, self.field, self.kind)
    }
}

impl std::error::Error for ParseError {}

/// Shorthand result for the codec.
pub type ParseResult<T> = Result<T, ParseError>;
