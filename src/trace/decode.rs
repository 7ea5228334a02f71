//! Decoding a conversation packet by packet, with the same parsers the session uses.
//!
//! A [`Conversation`] follows one connection: the greeting, the client's capabilities, the
//! authentication exchange, then commands and their responses. It tracks what was negotiated
//! (CLIENT_DEPRECATE_EOF, CLIENT_SESSION_TRACK, MariaDB extended metadata) exactly as the live
//! session does, so a decoded trace shows what the client understood. Each packet becomes a
//! [`Decoded`]: a kind and an ordered list of named fields, rendered as text or JSON lines by
//! [`super::format`].
//!
//! A conversation that starts mid-connection (a capture begun late) is decoded from the next
//! command on (a client packet with sequence id 0); capabilities it never saw are inferred from
//! the packets (an EOF after column definitions means no CLIENT_DEPRECATE_EOF).
//!
//! The command phase is followed by the engine's own response state machine
//! ([`crate::proto::response::Response`]), the one the session reads responses with: the
//! decoder is the engine observing both directions, so a response packet is learned in one
//! place. What stays here is what only an observer does: parsing the client's packets of the
//! connection phase, and turning every packet into named fields.

use std::collections::HashMap;

use bytes::Bytes;

use crate::codec::binary::BinaryRowCells;
use crate::codec::command::{
    command_name, parse_command, Command, COM_STMT_BULK_EXECUTE, COM_STMT_CLOSE, COM_STMT_EXECUTE,
    COM_STMT_FETCH, COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
};
use crate::codec::error::{ErrorKind, Packet};
use crate::codec::handshake::{
    parse_auth_more_data, parse_auth_switch, parse_client_hello, parse_handshake, ClientHello,
};
use crate::codec::reader::Reader;
use crate::codec::response::{parse_err, parse_ok, ErrPacket, OkPacket, SessionStateChange};
use crate::codec::resultset::RowCells;
use crate::codec::stmt::{
    parse_stmt_bulk_execute, parse_stmt_command, parse_stmt_execute, BulkValue, ParamValue,
    StmtCommand, BULK_SEND_TYPES_TO_SERVER, BULK_SEND_UNIT_RESULTS, CURSOR_TYPE_FOR_UPDATE,
    CURSOR_TYPE_READ_ONLY, CURSOR_TYPE_SCROLLABLE, DIRECT_STATEMENT_ID, PARAMETER_COUNT_AVAILABLE,
};
use crate::codec::value::{FromValue, ParamType};
use crate::codec::{CapabilityFlags, ColumnFlags, ColumnType, MariaDbCapabilities, ParseError};
use crate::proto::response::{Expect, Response, Seen};

use super::{Direction, Phase};

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
    Cells(Vec<Option<Vec<u8>>>),
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

/// Where the conversation stands outside the command phase's responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Capture started mid-connection: waiting for a command (client packet, seq 0).
    Unsynced,
    Greeting,
    ClientHello,
    Auth,
    /// TLS began after an SSLRequest and the decoder cannot see inside.
    Encrypted,
    /// Commands and their responses, followed by `Conversation::resp`.
    Command,
}

/// What the decoder remembers of a prepared statement.
#[derive(Debug, Default)]
struct Statement {
    /// Its SQL (`None` if the prepare was not seen).
    sql: Option<Vec<u8>>,
    num_params: u16,
    /// The parameter types bound by the last execute that sent types.
    types: Vec<ParamType>,
    /// The result columns (from the prepare response, then from each execute's).
    columns: Vec<(ColumnType, ColumnFlags)>,
    /// Parameters sent with COM_STMT_SEND_LONG_DATA since the last execute: id and length.
    long_data: Vec<(u16, u64)>,
}

/// At most this many statements are remembered (the servers' default
/// `max_prepared_stmt_count` is 16382); past it a prepare is shown but not remembered.
const MAX_STATEMENTS: usize = 16384;

/// Decoder state of one conversation.
#[derive(Debug)]
pub struct Conversation {
    stage: Stage,
    /// The command phase: what the next packet is (the engine's own response machine).
    resp: Response,
    server_caps: CapabilityFlags,
    server_mariadb_caps: MariaDbCapabilities,
    /// Number of columns of the current result set (to split its rows).
    columns: usize,
    cells: RowCells,
    /// The current result's rows are binary (COM_STMT_EXECUTE, COM_STMT_FETCH), split by
    /// these column types.
    binary: bool,
    types: Vec<(ColumnType, ColumnFlags)>,
    /// False when the column types of the binary rows are not known (a fetch, or an execute
    /// with cached metadata, of a statement never seen prepared).
    types_known: bool,
    binary_cells: BinaryRowCells,
    /// Prepared statements by id.
    statements: HashMap<u32, Statement>,
    /// The SQL of the COM_STMT_PREPARE awaiting its response.
    pending_prepare: Option<Vec<u8>>,
    /// The statement whose prepare response is being read.
    preparing: Option<u32>,
    /// The statement whose execute or fetch response is being read.
    executing: Option<u32>,
    /// The statement prepared last (what MariaDB's [`DIRECT_STATEMENT_ID`] means).
    last_prepared: Option<u32>,
    redact: bool,
    auth_plugin_secret: bool,
    /// Packets that could not be decoded.
    pub errors: u64,
}

impl Conversation {
    /// A conversation seen from its first packet (the greeting).
    pub fn new(redact_secrets: bool) -> Self {
        Conversation {
            stage: Stage::Greeting,
            resp: Response::new(CapabilityFlags::empty()),
            server_caps: CapabilityFlags::empty(),
            server_mariadb_caps: MariaDbCapabilities::empty(),
            columns: 0,
            cells: RowCells::new(),
            binary: false,
            types: Vec::new(),
            types_known: true,
            binary_cells: BinaryRowCells::new(),
            statements: HashMap::new(),
            pending_prepare: None,
            preparing: None,
            executing: None,
            last_prepared: None,
            redact: redact_secrets,
            auth_plugin_secret: true,
            errors: 0,
        }
    }

    /// A conversation whose handshake is done, with `caps` negotiated: the next packet is a
    /// command. The session uses this to follow raw exchanges.
    pub fn after_handshake(caps: CapabilityFlags, redact_secrets: bool) -> Self {
        let mut c = Self::new(redact_secrets);
        c.stage = Stage::Command;
        c.resp = Response::new(caps);
        c
    }

    /// True between responses: the last command's response (all its results) is complete.
    pub fn is_idle(&self) -> bool {
        self.stage == Stage::Command && self.resp.is_idle()
    }

    /// False when waiting for the response to a command this decoder cannot follow (its end
    /// cannot be known).
    pub fn can_follow(&self) -> bool {
        match self.stage {
            Stage::Encrypted => false,
            Stage::Command => self.resp.expect() != Expect::Unknown,
            _ => true,
        }
    }

    /// True when the client is to send the next packet of the exchange (LOCAL INFILE data),
    /// rather than the server.
    pub fn awaits_client_packet(&self) -> bool {
        self.stage == Stage::Command && self.resp.expect() == Expect::InfileData
    }

    /// A conversation picked up mid-connection: decoding starts at the next command.
    pub fn mid_stream(redact_secrets: bool) -> Self {
        let mut c = Self::new(redact_secrets);
        c.stage = Stage::Unsynced;
        c.resp = Response::inferred(
            CapabilityFlags::PROTOCOL_41
                | CapabilityFlags::TRANSACTIONS
                | CapabilityFlags::SECURE_CONNECTION
                | CapabilityFlags::DEPRECATE_EOF
                | CapabilityFlags::SESSION_TRACK,
        );
        c
    }

    /// The connection phase the next packet belongs to.
    pub fn phase(&self) -> Phase {
        match self.stage {
            Stage::Greeting | Stage::ClientHello => Phase::Handshake,
            Stage::Auth => Phase::Auth,
            _ => Phase::Command,
        }
    }

    /// True after an SSLRequest when the decoder cannot see the plaintext.
    pub fn is_encrypted(&self) -> bool {
        self.stage == Stage::Encrypted
    }

    /// True while waiting for a command after a capture began mid-connection.
    pub fn is_unsynced(&self) -> bool {
        self.stage == Stage::Unsynced
    }

    /// The capabilities in force (negotiated, or inferred for a mid-stream capture).
    pub fn capabilities(&self) -> CapabilityFlags {
        self.resp.capabilities()
    }

    /// Framing was lost (a gap in a capture): decode again from the next command, keeping
    /// what was negotiated.
    pub fn resync(&mut self) {
        if self.stage != Stage::Encrypted {
            self.stage = Stage::Unsynced;
            self.resp.set(Expect::Idle);
            self.columns = 0;
        }
    }

    /// TLS started and the plaintext will follow (live traces): the client's handshake
    /// response comes next.
    pub fn tls_started(&mut self) {
        if self.stage == Stage::Encrypted {
            self.stage = Stage::ClientHello;
        }
    }

    /// Decodes the next packet of the conversation.
    pub fn packet(&mut self, direction: Direction, seq: u8, payload: Bytes) -> Decoded {
        let phase = self.phase();
        let mut d = Decoded {
            direction,
            seq,
            len: payload.len(),
            phase,
            kind: "Unknown",
            fields: Vec::new(),
            payload: payload.clone(),
        };
        if let Err(e) = self.decode_into(&mut d, &payload) {
            self.errors += 1;
            d.kind = "Malformed";
            d.fields.push(("error", Value::Str(e.to_string())));
            // Where the exchange stands is unknown now: decode again from the next command.
            self.resync();
        }
        d
    }

    fn decode_into(&mut self, d: &mut Decoded, p: &Bytes) -> Result<(), ParseError> {
        use Direction::*;
        let f = &mut d.fields;
        match (self.stage, d.direction) {
            (Stage::Encrypted, _) => {
                d.kind = "Encrypted";
            }
            (Stage::Unsynced, ClientToServer) if d.seq == 0 => {
                self.stage = Stage::Command;
                return self.decode_into(d, p);
            }
            (Stage::Unsynced, _) => {
                d.kind = "Unsynced";
                f.push((
                    "note",
                    Value::Str(
                        "capture started mid-connection; waiting for the next command".into(),
                    ),
                ));
            }
            (Stage::Greeting, ServerToClient) => {
                if p.first() == Some(&0xFF) {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                    self.stage = Stage::Command;
                    return Ok(());
                }
                let hs = parse_handshake(p)?;
                d.kind = "Greeting";
                f.push(("protocol_version", Value::Int(hs.protocol_version.into())));
                f.push(("server_version", Value::Str(hs.server_version.clone())));
                f.push(("connection_id", Value::Int(hs.connection_id.into())));
                f.push(("capabilities", Value::List(hs.capabilities.names())));
                if hs.is_mariadb() {
                    f.push((
                        "mariadb_capabilities",
                        Value::List(hs.mariadb_capabilities.names()),
                    ));
                }
                f.push(("charset", Value::Int(hs.charset.into())));
                f.push(("status", Value::List(hs.status.names())));
                f.push(("auth_plugin", opt_str(hs.auth_plugin.as_deref())));
                f.push(("nonce_len", Value::Int(hs.nonce.len() as u64)));
                self.server_caps = hs.capabilities;
                self.server_mariadb_caps = hs.mariadb_capabilities;
                self.stage = Stage::ClientHello;
            }
            (Stage::ClientHello, ClientToServer) => match parse_client_hello(p)? {
                ClientHello::SslRequest(r) => {
                    d.kind = "SSLRequest";
                    f.push(("capabilities", Value::List(r.capabilities.names())));
                    self.stage = Stage::Encrypted;
                }
                ClientHello::Response(r) => {
                    d.kind = "HandshakeResponse";
                    let mariadb = !r.capabilities.contains(CapabilityFlags::LONG_PASSWORD);
                    let ext = r.mariadb_capabilities & self.server_mariadb_caps;
                    let ext_metadata =
                        mariadb && ext.contains(MariaDbCapabilities::EXTENDED_METADATA);
                    let cache_metadata =
                        mariadb && ext.contains(MariaDbCapabilities::CACHE_METADATA);
                    self.resp.negotiated(
                        r.capabilities & self.server_caps,
                        ext_metadata,
                        cache_metadata,
                    );
                    f.push(("capabilities", Value::List(r.capabilities.names())));
                    if ext_metadata || r.mariadb_capabilities.bits() != 0 {
                        f.push((
                            "mariadb_capabilities",
                            Value::List(r.mariadb_capabilities.names()),
                        ));
                    }
                    f.push(("max_packet_size", Value::Int(r.max_packet_size.into())));
                    f.push(("charset", Value::Int(r.charset.into())));
                    f.push(("user", Value::Text(r.user.to_vec())));
                    f.push(("auth_response", self.secret(&r.auth_response)));
                    if let Some(db) = &r.database {
                        f.push(("database", Value::Text(db.to_vec())));
                    }
                    let plugin = r.auth_plugin.as_deref().map(lossy);
                    self.auth_plugin_secret = plugin.as_deref() != Some("unix_socket");
                    f.push(("auth_plugin", opt_str(plugin.as_deref())));
                    if !r.attributes.is_empty() {
                        f.push((
                            "attributes",
                            Value::List(
                                r.attributes
                                    .iter()
                                    .map(|(k, v)| format!("{k}={v}"))
                                    .collect(),
                            ),
                        ));
                    }
                    self.stage = Stage::Auth;
                }
            },
            (Stage::Auth, ServerToClient) => match p.first() {
                Some(0x00) => {
                    d.kind = "OK";
                    let ok = parse_ok(p, self.resp.capabilities())?;
                    push_ok(f, &ok);
                    self.stage = Stage::Command;
                }
                Some(0xFF) => {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                    self.stage = Stage::Command;
                }
                Some(0xFE) => {
                    d.kind = "AuthSwitchRequest";
                    let s = parse_auth_switch(p)?;
                    self.auth_plugin_secret = s.plugin != "unix_socket";
                    f.push(("plugin", Value::Str(s.plugin)));
                    f.push(("data_len", Value::Int(s.data.len() as u64)));
                }
                _ => {
                    d.kind = "AuthMoreData";
                    let data = parse_auth_more_data(p)?;
                    match data {
                        [0x03] => f.push(("status", Value::Str("fast auth success".into()))),
                        [0x04] => {
                            f.push(("status", Value::Str("perform full authentication".into())))
                        }
                        _ if data.starts_with(b"-----BEGIN") => {
                            f.push(("public_key", Value::Text(data.to_vec())))
                        }
                        _ => f.push(("data_len", Value::Int(data.len() as u64))),
                    }
                }
            },
            (Stage::Auth, ClientToServer) => {
                d.kind = "AuthResponse";
                let v = if self.auth_plugin_secret {
                    self.secret(p)
                } else {
                    Value::Str(hex(p))
                };
                f.push(("data", v));
            }
            (Stage::Command, ClientToServer) => self.client_command(d, p)?,
            (Stage::Command, ServerToClient) => self.server_response(d, p)?,
            (_, dir) => {
                d.kind = match dir {
                    ClientToServer => "UnexpectedClientPacket",
                    ServerToClient => "UnexpectedServerPacket",
                };
            }
        }
        Ok(())
    }

    /// A client packet of the command phase: a command, or LOCAL INFILE data.
    fn client_command(&mut self, d: &mut Decoded, p: &Bytes) -> Result<(), ParseError> {
        let f = &mut d.fields;
        match self.resp.expect() {
            Expect::InfileData => {
                d.kind = "LocalInfileData";
                f.push(("data_len", Value::Int(p.len() as u64)));
                self.resp.on_infile_data(p.len());
            }
            // A command: when nothing is owed, or while a response has not started (a
            // pipelining client, or a response whose shape is unknown).
            Expect::Idle
            | Expect::Head
            | Expect::Simple
            | Expect::Text
            | Expect::PrepareOk
            | Expect::Unknown => {
                let cmd = parse_command(p)?;
                d.kind = command_name(cmd.code()).unwrap_or("COM_UNKNOWN");
                self.binary = false;
                self.types.clear();
                self.preparing = None;
                self.executing = None;
                self.pending_prepare = None;
                match cmd {
                    Command::Query(sql) => f.push(("sql", Value::Text(sql.to_vec()))),
                    Command::InitDb(db) => f.push(("schema", Value::Text(db.to_vec()))),
                    Command::Other(COM_STMT_PREPARE, sql) => {
                        f.push(("sql", Value::Text(sql.to_vec())));
                        self.pending_prepare = Some(sql.to_vec());
                    }
                    Command::Other(COM_STMT_EXECUTE, _) => self.stmt_execute(f, p)?,
                    Command::Other(COM_STMT_BULK_EXECUTE, _) => self.stmt_bulk_execute(f, p)?,
                    Command::Other(
                        COM_STMT_SEND_LONG_DATA | COM_STMT_CLOSE | COM_STMT_RESET | COM_STMT_FETCH,
                        _,
                    ) => self.stmt_command(f, p)?,
                    Command::Other(code, args) => {
                        f.push(("code", Value::Int(code.into())));
                        f.push(("args_len", Value::Int(args.len() as u64)));
                    }
                    // The server deallocates every prepared statement.
                    Command::ResetConnection => self.statements.clear(),
                    Command::Ping | Command::Statistics | Command::Quit => {}
                }
                self.resp.on_command(&cmd);
            }
            _ => d.kind = "UnexpectedClientPacket",
        }
        Ok(())
    }

    /// A server packet of the command phase, classified by the engine's response machine.
    fn server_response(&mut self, d: &mut Decoded, p: &Bytes) -> Result<(), ParseError> {
        let f = &mut d.fields;
        match self.resp.on_server(p)? {
            Seen::Ok(ok) => {
                d.kind = "OK";
                push_ok(f, &ok);
            }
            Seen::Err(e) => {
                d.kind = "ERR";
                push_err(f, &e);
            }
            Seen::LocalInfile(name) => {
                d.kind = "LocalInfileRequest";
                f.push(("file", Value::Str(name)));
            }
            Seen::ColumnCount {
                count,
                metadata_follows,
            } => {
                d.kind = "ColumnCount";
                f.push(("columns", Value::Int(count)));
                if let Some(m) = metadata_follows {
                    f.push(("metadata_follows", Value::Bool(m)));
                }
                // Bounded by the response machine (MAX_COLUMNS); cached definitions are reused.
                self.columns = usize::try_from(count).unwrap_or(0);
                if metadata_follows != Some(false) {
                    self.types.clear();
                    self.types_known = true;
                    if let Some(st) = self.executing.and_then(|id| self.statements.get_mut(&id)) {
                        st.columns.clear();
                    }
                }
            }
            Seen::PrepareOk(ok) => {
                d.kind = "PrepareOK";
                let sql = self.pending_prepare.take();
                f.push(("statement_id", Value::Int(ok.statement_id.into())));
                f.push(("sql", sql.clone().map_or(Value::Unknown, Value::Text)));
                f.push(("columns", Value::Int(ok.num_columns.into())));
                f.push(("params", Value::Int(ok.num_params.into())));
                f.push(("warnings", Value::Int(ok.warnings().into())));
                if self.statements.len() < MAX_STATEMENTS
                    || self.statements.contains_key(&ok.statement_id)
                {
                    self.statements.insert(
                        ok.statement_id,
                        Statement {
                            sql,
                            num_params: ok.num_params,
                            ..Statement::default()
                        },
                    );
                }
                self.preparing = Some(ok.statement_id);
                self.last_prepared = Some(ok.statement_id);
            }
            Seen::Param(c) => {
                d.kind = "ParamDefinition";
                push_column(f, &c);
            }
            Seen::Column(c) => {
                let col = (c.column_type, c.flags);
                if let Some(id) = self.preparing {
                    // The prepare's columns: what an execute's rows are when its response
                    // leaves the definitions out (cached metadata).
                    if let Some(st) = self.statements.get_mut(&id) {
                        st.columns.push(col);
                    }
                } else if self.binary {
                    // An execute's columns: its binary rows are split by their types.
                    self.types.push(col);
                    if let Some(st) = self.executing.and_then(|id| self.statements.get_mut(&id)) {
                        st.columns.push(col);
                    }
                }
                d.kind = "ColumnDefinition";
                push_column(f, &c);
            }
            Seen::ColumnsEof(e) => {
                d.kind = "EOF";
                f.push(("warnings", Value::Int(e.warnings.into())));
                f.push(("status", Value::List(e.status.names())));
            }
            Seen::Row if self.binary && !self.types_known => {
                // Without the column types the cells cannot be split.
                d.kind = "BinaryRow";
                f.push(("values", Value::Unknown));
            }
            Seen::Row if self.binary => {
                d.kind = "BinaryRow";
                self.binary_cells
                    .parse_types(p, self.types.iter().map(|&(t, _)| t))?;
                let cells = self
                    .types
                    .iter()
                    .enumerate()
                    .map(|(i, &(t, fl))| {
                        self.binary_cells.get(p, i).map(|b| {
                            String::from_binary(b, t, fl)
                                .map_or_else(|_| b.to_vec(), String::into_bytes)
                        })
                    })
                    .collect();
                f.push(("values", Value::Cells(cells)));
            }
            Seen::Row => {
                d.kind = "Row";
                self.cells.parse(p, self.columns)?;
                let cells = (0..self.columns)
                    .map(|i| self.cells.get(p, i).map(<[u8]>::to_vec))
                    .collect();
                f.push(("values", Value::Cells(cells)));
            }
            Seen::RowsEnd { ok, eof: true } => {
                d.kind = "EOF";
                f.push(("warnings", Value::Int(ok.warnings.into())));
                f.push(("status", Value::List(ok.status.names())));
            }
            Seen::RowsEnd { ok, eof: false } => {
                d.kind = "OK";
                push_ok(f, &ok);
            }
            Seen::Text => {
                d.kind = "Statistics";
                f.push(("text", Value::Text(p.to_vec())));
            }
            Seen::Unknown => d.kind = "Response",
            Seen::Unexpected => d.kind = "UnexpectedServerPacket",
        }
        Ok(())
    }

    fn secret(&self, b: &[u8]) -> Value {
        if self.redact {
            Value::Redacted(b.len())
        } else {
            Value::Str(hex(b))
        }
    }
}

impl Conversation {
    /// The statement an id names: MariaDB's [`DIRECT_STATEMENT_ID`] is the one prepared last.
    fn statement_id(&self, id: u32) -> u32 {
        match (id, self.last_prepared) {
            (DIRECT_STATEMENT_ID, Some(last)) => last,
            _ => id,
        }
    }

    /// The `sql` field of a statement.
    fn sql_of(&self, id: u32) -> Value {
        match self.statements.get(&id).and_then(|s| s.sql.as_ref()) {
            Some(sql) => Value::Text(sql.clone()),
            None => Value::Unknown,
        }
    }

    /// COM_STMT_EXECUTE: the header always; the parameters when the statement is known (its
    /// parameter count, and the types bound before when the execute sends none).
    fn stmt_execute(&mut self, f: &mut Fields, p: &[u8]) -> Result<(), ParseError> {
        let mut r = Reader::new(p, Packet::StmtExecute);
        r.u8("command")?;
        let wire_id = r.u32("statement_id")?;
        let flags = r.u8("flags")?;
        let iterations = r.u32("iteration_count")?;
        let id = self.statement_id(wire_id);
        f.push(("statement_id", Value::Int(wire_id.into())));
        f.push(("sql", self.sql_of(id)));
        f.push(("flags", Value::List(execute_flag_names(flags))));
        if iterations != 1 {
            f.push(("iteration_count", Value::Int(iterations.into())));
        }
        self.binary = true;
        self.executing = Some(id);
        let caps = self.resp.capabilities();
        self.types_known = self.statements.contains_key(&id);
        let Some(st) = self.statements.get_mut(&id) else {
            f.push(("params", Value::Unknown));
            return Ok(());
        };
        self.types.clone_from(&st.columns);
        let long: Vec<u16> = st.long_data.iter().map(|&(i, _)| i).collect();
        let req = match parse_stmt_execute(p, st.num_params, caps, &st.types, &long) {
            Ok(req) => req,
            // Types bound by an execute before the capture began: the values cannot be split.
            Err(e) if e.field == "parameter_type" && e.kind == ErrorKind::Unexpected => {
                f.push(("new_params_bound", Value::Bool(false)));
                f.push(("params", Value::Unknown));
                st.long_data.clear();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if st.num_params > 0 || !req.values.is_empty() {
            f.push(("new_params_bound", Value::Bool(req.types_sent)));
            f.push((
                "param_types",
                Value::List(req.types.iter().map(|&t| param_type_name(t)).collect()),
            ));
        }
        if req.names.iter().any(|n| !n.is_empty()) {
            f.push((
                "param_names",
                Value::List(req.names.iter().map(|n| lossy(n)).collect()),
            ));
        }
        let values = req
            .types
            .iter()
            .zip(&req.values)
            .enumerate()
            .map(|(i, (&t, v))| match v {
                ParamValue::Null => Typed::Null,
                ParamValue::LongData => Typed::LongData(
                    st.long_data
                        .iter()
                        .find(|&&(id, _)| usize::from(id) == i)
                        .map_or(0, |&(_, n)| n),
                ),
                ParamValue::Value(b) => typed(b, t.column_type, t.column_flags()),
            })
            .collect();
        f.push(("params", Value::Typed(values)));
        if req.types_sent {
            st.types = req.types;
        }
        st.long_data.clear();
        Ok(())
    }

    /// COM_STMT_SEND_LONG_DATA, CLOSE, RESET, FETCH.
    fn stmt_command(&mut self, f: &mut Fields, p: &[u8]) -> Result<(), ParseError> {
        match parse_stmt_command(p)? {
            StmtCommand::SendLongData {
                statement_id,
                param_id,
                data,
            } => {
                let id = self.statement_id(statement_id);
                f.push(("statement_id", Value::Int(statement_id.into())));
                f.push(("sql", self.sql_of(id)));
                f.push(("param_id", Value::Int(param_id.into())));
                f.push(("data_len", Value::Int(data.len() as u64)));
                if let Some(st) = self.statements.get_mut(&id) {
                    let n = data.len() as u64;
                    match st.long_data.iter_mut().find(|(i, _)| *i == param_id) {
                        Some((_, len)) => *len = len.saturating_add(n),
                        // Bounded by the statement's parameters.
                        None if param_id < st.num_params => st.long_data.push((param_id, n)),
                        None => {}
                    }
                }
            }
            StmtCommand::Reset(statement_id) => {
                let id = self.statement_id(statement_id);
                f.push(("statement_id", Value::Int(statement_id.into())));
                f.push(("sql", self.sql_of(id)));
                if let Some(st) = self.statements.get_mut(&id) {
                    st.long_data.clear();
                }
            }
            StmtCommand::Close(statement_id) => {
                let id = self.statement_id(statement_id);
                f.push(("statement_id", Value::Int(statement_id.into())));
                f.push(("sql", self.sql_of(id)));
                self.statements.remove(&id);
            }
            StmtCommand::Fetch {
                statement_id,
                num_rows,
            } => {
                let id = self.statement_id(statement_id);
                f.push(("statement_id", Value::Int(statement_id.into())));
                f.push(("sql", self.sql_of(id)));
                f.push(("rows", Value::Int(num_rows.into())));
                // The rows are the cursor's: the columns of the statement's execute.
                self.binary = true;
                self.executing = Some(id);
                self.types_known = self.statements.contains_key(&id);
                if let Some(st) = self.statements.get(&id) {
                    self.types.clone_from(&st.columns);
                }
            }
        }
        Ok(())
    }

    /// MariaDB's COM_STMT_BULK_EXECUTE: the header always; the rows when the statement is
    /// known.
    fn stmt_bulk_execute(&mut self, f: &mut Fields, p: &[u8]) -> Result<(), ParseError> {
        let mut r = Reader::new(p, Packet::StmtExecute);
        r.u8("command")?;
        let wire_id = r.u32("statement_id")?;
        let flags = r.u16("bulk_flags")?;
        let id = self.statement_id(wire_id);
        f.push(("statement_id", Value::Int(wire_id.into())));
        f.push(("sql", self.sql_of(id)));
        f.push(("flags", Value::List(bulk_flag_names(flags))));
        let Some(st) = self.statements.get_mut(&id) else {
            f.push(("rows", Value::Unknown));
            return Ok(());
        };
        match parse_stmt_bulk_execute(p, st.num_params, &st.types) {
            Ok(req) => {
                f.push(("rows", Value::Int(req.rows.len() as u64)));
                if let Some(first) = req.rows.first() {
                    let values = first
                        .iter()
                        .zip(&req.types)
                        .map(|(v, t)| match v {
                            BulkValue::Value(b) => typed(b, t.column_type, t.column_flags()),
                            BulkValue::Null => Typed::Null,
                            BulkValue::Default => Typed::Indicator("DEFAULT"),
                            BulkValue::Ignore => Typed::Indicator("IGNORE"),
                        })
                        .collect();
                    f.push(("first_row", Value::Typed(values)));
                }
                if flags & BULK_SEND_TYPES_TO_SERVER != 0 {
                    st.types = req.types;
                }
            }
            Err(e) if e.field == "parameter_type" && e.kind == ErrorKind::Unexpected => {
                f.push(("rows", Value::Unknown));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

type Fields = Vec<(&'static str, Value)>;

/// A binary value (parameter or cell) decoded by its type: numbers as numbers, everything
/// else as the text [`String::from_binary`] makes of it, or the raw bytes when it refuses.
fn typed(b: &[u8], t: ColumnType, flags: ColumnFlags) -> Typed {
    let number = matches!(
        t,
        ColumnType::TINY
            | ColumnType::SHORT
            | ColumnType::LONG
            | ColumnType::INT24
            | ColumnType::LONGLONG
            | ColumnType::YEAR
            | ColumnType::FLOAT
            | ColumnType::DOUBLE
    );
    match String::from_binary(b, t, flags) {
        Ok(s) if number => Typed::Number(s),
        Ok(s) => Typed::Text(s.into_bytes()),
        Err(_) => Typed::Text(b.to_vec()),
    }
}

fn param_type_name(t: ParamType) -> String {
    if t.unsigned {
        format!("{} UNSIGNED", t.column_type)
    } else {
        t.column_type.to_string()
    }
}

/// The flags of COM_STMT_EXECUTE by name (the cursor type and PARAMETER_COUNT_AVAILABLE).
fn execute_flag_names(flags: u8) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = flags;
    for (bit, name) in [
        (CURSOR_TYPE_READ_ONLY, "CURSOR_TYPE_READ_ONLY"),
        (CURSOR_TYPE_FOR_UPDATE, "CURSOR_TYPE_FOR_UPDATE"),
        (CURSOR_TYPE_SCROLLABLE, "CURSOR_TYPE_SCROLLABLE"),
        (PARAMETER_COUNT_AVAILABLE, "PARAMETER_COUNT_AVAILABLE"),
    ] {
        if flags & bit != 0 {
            v.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        v.push(format!("0x{rest:02x}"));
    }
    if flags & (CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE) == 0 {
        v.insert(0, "CURSOR_TYPE_NO_CURSOR".to_string());
    }
    v
}

/// The flags of COM_STMT_BULK_EXECUTE by name.
fn bulk_flag_names(flags: u16) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = flags;
    for (bit, name) in [
        (BULK_SEND_UNIT_RESULTS, "SEND_UNIT_RESULTS"),
        (BULK_SEND_TYPES_TO_SERVER, "SEND_TYPES_TO_SERVER"),
    ] {
        if flags & bit != 0 {
            v.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        v.push(format!("0x{rest:04x}"));
    }
    v
}

fn push_column(f: &mut Fields, c: &crate::codec::resultset::ColumnDefinition) {
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

impl Decoded {
    /// The field named `name`, if present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn opt_str(s: Option<&str>) -> Value {
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

fn push_ok(f: &mut Vec<(&'static str, Value)>, ok: &OkPacket) {
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

fn push_err(f: &mut Vec<(&'static str, Value)>, e: &ErrPacket) {
    f.push(("code", Value::Int(e.code.into())));
    if let Some(s) = &e.sql_state {
        f.push(("sql_state", Value::Text(s.to_vec())));
    }
    f.push(("message", Value::Str(e.message.clone())));
}

#[cfg(test)]
mod tests;
