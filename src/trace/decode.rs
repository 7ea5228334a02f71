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

use bytes::Bytes;

use crate::codec::command::{command_name, parse_command, Command};
use crate::codec::handshake::{
    parse_auth_more_data, parse_auth_switch, parse_client_hello, parse_handshake, ClientHello,
};
use crate::codec::response::{
    is_result_end, parse_eof, parse_err, parse_ok, parse_query_response, ErrPacket, OkPacket,
    QueryResponse, SessionStateChange,
};
use crate::codec::resultset::{parse_column_definition, ColumnDefinition, RowCells};
use crate::codec::{CapabilityFlags, MariaDbCapabilities, ParseError, StatusFlags};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Capture started mid-connection: waiting for a command (client packet, seq 0).
    Unsynced,
    Greeting,
    ClientHello,
    Auth,
    /// TLS began after an SSLRequest and the decoder cannot see inside.
    Encrypted,
    Idle,
    /// Waiting for the response to a command of this kind.
    Response(Expect),
    Columns {
        left: u64,
    },
    ColumnsEnd,
    Rows,
    /// After a LOCAL INFILE request: the client sends data packets until an empty one.
    InfileData,
    InfileReply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Query,
    Simple,
    Text,
    Unknown,
    None,
}

/// Decoder state of one conversation.
#[derive(Debug)]
pub struct Conversation {
    state: State,
    server_caps: CapabilityFlags,
    caps: CapabilityFlags,
    /// True until the conversation's capabilities were seen in its handshake.
    caps_inferred: bool,
    ext_metadata: bool,
    /// MARIADB_CLIENT_CACHE_METADATA negotiated: the column count is followed by a
    /// `metadata_follows` byte.
    cache_metadata: bool,
    server_mariadb_caps: MariaDbCapabilities,
    columns: Vec<ColumnDefinition>,
    cells: RowCells,
    redact: bool,
    auth_plugin_secret: bool,
    /// Packets that could not be decoded.
    pub errors: u64,
}

impl Conversation {
    /// A conversation seen from its first packet (the greeting).
    pub fn new(redact_secrets: bool) -> Self {
        Conversation {
            state: State::Greeting,
            server_caps: CapabilityFlags::empty(),
            caps: CapabilityFlags::empty(),
            caps_inferred: false,
            ext_metadata: false,
            cache_metadata: false,
            server_mariadb_caps: MariaDbCapabilities::empty(),
            columns: Vec::new(),
            cells: RowCells::new(),
            redact: redact_secrets,
            auth_plugin_secret: true,
            errors: 0,
        }
    }

    /// A conversation whose handshake is done, with `caps` negotiated: the next packet is a
    /// command. The session uses this to follow raw exchanges.
    pub fn after_handshake(caps: CapabilityFlags, redact_secrets: bool) -> Self {
        let mut c = Self::new(redact_secrets);
        c.state = State::Idle;
        c.caps = caps;
        c
    }

    /// True between responses: the last command's response (all its results) is complete.
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// False when waiting for the response to a command this decoder cannot follow (its end
    /// cannot be known).
    pub fn can_follow(&self) -> bool {
        !matches!(
            self.state,
            State::Response(Expect::Unknown) | State::Encrypted
        )
    }

    /// True when the client is to send the next packet of the exchange (LOCAL INFILE data),
    /// rather than the server.
    pub fn awaits_client_packet(&self) -> bool {
        self.state == State::InfileData
    }

    /// A conversation picked up mid-connection: decoding starts at the next command.
    pub fn mid_stream(redact_secrets: bool) -> Self {
        let mut c = Self::new(redact_secrets);
        c.state = State::Unsynced;
        c.caps_inferred = true;
        c.caps = CapabilityFlags::PROTOCOL_41
            | CapabilityFlags::TRANSACTIONS
            | CapabilityFlags::SECURE_CONNECTION
            | CapabilityFlags::DEPRECATE_EOF
            | CapabilityFlags::SESSION_TRACK;
        c
    }

    /// The connection phase the next packet belongs to.
    pub fn phase(&self) -> Phase {
        match self.state {
            State::Greeting | State::ClientHello => Phase::Handshake,
            State::Auth => Phase::Auth,
            _ => Phase::Command,
        }
    }

    /// True after an SSLRequest when the decoder cannot see the plaintext.
    pub fn is_encrypted(&self) -> bool {
        self.state == State::Encrypted
    }

    /// True while waiting for a command after a capture began mid-connection.
    pub fn is_unsynced(&self) -> bool {
        self.state == State::Unsynced
    }

    /// The capabilities in force (negotiated, or inferred for a mid-stream capture).
    pub fn capabilities(&self) -> CapabilityFlags {
        self.caps
    }

    /// Framing was lost (a gap in a capture): decode again from the next command, keeping
    /// what was negotiated.
    pub fn resync(&mut self) {
        if self.state != State::Encrypted {
            self.state = State::Unsynced;
            self.columns.clear();
        }
    }

    /// TLS started and the plaintext will follow (live traces): the client's handshake
    /// response comes next.
    pub fn tls_started(&mut self) {
        if self.state == State::Encrypted {
            self.state = State::ClientHello;
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
        match (self.state, d.direction) {
            (State::Encrypted, _) => {
                d.kind = "Encrypted";
            }
            (State::Unsynced, ClientToServer) if d.seq == 0 => {
                self.state = State::Idle;
                return self.decode_into(d, p);
            }
            (State::Unsynced, _) => {
                d.kind = "Unsynced";
                f.push((
                    "note",
                    Value::Str(
                        "capture started mid-connection; waiting for the next command".into(),
                    ),
                ));
            }
            (State::Greeting, ServerToClient) => {
                if p.first() == Some(&0xFF) {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                    self.state = State::Idle;
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
                self.state = State::ClientHello;
            }
            (State::ClientHello, ClientToServer) => match parse_client_hello(p)? {
                ClientHello::SslRequest(r) => {
                    d.kind = "SSLRequest";
                    f.push(("capabilities", Value::List(r.capabilities.names())));
                    self.state = State::Encrypted;
                }
                ClientHello::Response(r) => {
                    d.kind = "HandshakeResponse";
                    self.caps = r.capabilities & self.server_caps;
                    self.caps_inferred = false;
                    let mariadb = !r.capabilities.contains(CapabilityFlags::LONG_PASSWORD);
                    let ext = r.mariadb_capabilities & self.server_mariadb_caps;
                    self.ext_metadata =
                        mariadb && ext.contains(MariaDbCapabilities::EXTENDED_METADATA);
                    self.cache_metadata =
                        mariadb && ext.contains(MariaDbCapabilities::CACHE_METADATA);
                    f.push(("capabilities", Value::List(r.capabilities.names())));
                    if self.ext_metadata || r.mariadb_capabilities.bits() != 0 {
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
                    self.state = State::Auth;
                }
            },
            (State::Auth, ServerToClient) => match p.first() {
                Some(0x00) => {
                    d.kind = "OK";
                    let ok = parse_ok(p, self.caps)?;
                    push_ok(f, &ok);
                    self.state = State::Idle;
                }
                Some(0xFF) => {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                    self.state = State::Idle;
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
            (State::Auth, ClientToServer) => {
                d.kind = "AuthResponse";
                let v = if self.auth_plugin_secret {
                    self.secret(p)
                } else {
                    Value::Str(hex(p))
                };
                f.push(("data", v));
            }
            (State::Idle, ClientToServer) | (State::Response(_), ClientToServer) => {
                let cmd = parse_command(p)?;
                d.kind = command_name(cmd.code()).unwrap_or("COM_UNKNOWN");
                let expect = match cmd {
                    Command::Query(sql) => {
                        f.push(("sql", Value::Text(sql.to_vec())));
                        Expect::Query
                    }
                    Command::InitDb(db) => {
                        f.push(("schema", Value::Text(db.to_vec())));
                        Expect::Simple
                    }
                    Command::Ping | Command::ResetConnection => Expect::Simple,
                    Command::Statistics => Expect::Text,
                    Command::Quit => Expect::None,
                    Command::Other(code, args) => {
                        f.push(("code", Value::Int(code.into())));
                        f.push(("args_len", Value::Int(args.len() as u64)));
                        Expect::Unknown
                    }
                };
                self.state = if expect == Expect::None {
                    State::Idle
                } else {
                    State::Response(expect)
                };
            }
            (State::Response(Expect::Query), ServerToClient) => {
                // With MariaDB's CACHE_METADATA the column count carries one more byte,
                // `metadata_follows` (MariaDB KB "Result Set Packets").
                let (head, metadata_follows) = match p.first() {
                    Some(0x00 | 0xFF | 0xFB) | None => (&p[..], None),
                    Some(_) if self.cache_metadata => match p.split_last() {
                        Some((&m, rest)) => (rest, Some(m)),
                        None => (&p[..], None),
                    },
                    Some(_) => (&p[..], None),
                };
                match parse_query_response(head, self.caps)? {
                    QueryResponse::Ok(ok) => {
                        d.kind = "OK";
                        push_ok(f, &ok);
                        self.after_end(ok.status);
                    }
                    QueryResponse::Err(e) => {
                        d.kind = "ERR";
                        push_err(f, &e);
                        self.state = State::Idle;
                    }
                    QueryResponse::LocalInfile(name) => {
                        d.kind = "LocalInfileRequest";
                        f.push(("file", Value::Str(name)));
                        self.state = State::InfileData;
                    }
                    QueryResponse::ResultSet(n) => {
                        d.kind = "ColumnCount";
                        f.push(("columns", Value::Int(n)));
                        self.columns.clear();
                        self.state = State::Columns { left: n };
                        if let Some(m) = metadata_follows {
                            f.push(("metadata_follows", Value::Bool(m != 0)));
                            if m == 0 {
                                // Column definitions cached by the client are not resent.
                                self.state = State::ColumnsEnd;
                            }
                        }
                    }
                }
            }
            (State::Response(Expect::Simple), ServerToClient)
            | (State::InfileReply, ServerToClient) => {
                self.simple_reply(&mut d.kind, &mut d.fields, p)?;
            }
            (State::Response(Expect::Text), ServerToClient) => {
                if p.first() == Some(&0xFF) {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                } else {
                    d.kind = "Statistics";
                    f.push(("text", Value::Text(p.to_vec())));
                }
                self.state = State::Idle;
            }
            (State::Response(_), ServerToClient) => {
                d.kind = "Response";
            }
            (State::Columns { left }, ServerToClient) => {
                let c = parse_column_definition(p, self.ext_metadata)?;
                d.kind = "ColumnDefinition";
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
                self.columns.push(c);
                let left = left.saturating_sub(1);
                self.state = if left > 0 {
                    State::Columns { left }
                } else {
                    State::ColumnsEnd
                };
            }
            (State::ColumnsEnd, ServerToClient) => {
                let eof_follows = !self.caps.contains(CapabilityFlags::DEPRECATE_EOF)
                    || (self.caps_inferred && p.first() == Some(&0xFE) && p.len() < 9);
                if eof_follows {
                    if self.caps_inferred {
                        self.caps.set(CapabilityFlags::DEPRECATE_EOF, false);
                    }
                    d.kind = "EOF";
                    let e = parse_eof(p)?;
                    f.push(("warnings", Value::Int(e.warnings.into())));
                    f.push(("status", Value::List(e.status.names())));
                    self.state = State::Rows;
                } else {
                    self.state = State::Rows;
                    return self.decode_into(d, p);
                }
            }
            (State::Rows, ServerToClient) => {
                let deprecate_eof = self.caps.contains(CapabilityFlags::DEPRECATE_EOF);
                if p.first() == Some(&0xFF) {
                    d.kind = "ERR";
                    push_err(f, &parse_err(p)?);
                    self.state = State::Idle;
                } else if is_result_end(p, deprecate_eof) {
                    let status = if deprecate_eof {
                        d.kind = "OK";
                        let ok = self.parse_ok_any(p)?;
                        push_ok(f, &ok);
                        ok.status
                    } else {
                        d.kind = "EOF";
                        let e = parse_eof(p)?;
                        f.push(("warnings", Value::Int(e.warnings.into())));
                        f.push(("status", Value::List(e.status.names())));
                        e.status
                    };
                    self.after_end(status);
                } else {
                    d.kind = "Row";
                    self.cells.parse(p, self.columns.len())?;
                    let cells = (0..self.columns.len())
                        .map(|i| self.cells.get(p, i).map(<[u8]>::to_vec))
                        .collect();
                    f.push(("values", Value::Cells(cells)));
                }
            }
            (State::InfileData, ClientToServer) => {
                d.kind = "LocalInfileData";
                f.push(("data_len", Value::Int(p.len() as u64)));
                if p.is_empty() {
                    self.state = State::InfileReply;
                }
            }
            (_, dir) => {
                d.kind = match dir {
                    ClientToServer => "UnexpectedClientPacket",
                    ServerToClient => "UnexpectedServerPacket",
                };
            }
        }
        Ok(())
    }

    fn simple_reply(
        &mut self,
        kind: &mut &'static str,
        f: &mut Vec<(&'static str, Value)>,
        p: &[u8],
    ) -> Result<(), ParseError> {
        if p.first() == Some(&0xFF) {
            *kind = "ERR";
            push_err(f, &parse_err(p)?);
            self.state = State::Idle;
        } else {
            *kind = "OK";
            let ok = self.parse_ok_any(p)?;
            push_ok(f, &ok);
            self.after_end(ok.status);
        }
        Ok(())
    }

    /// Parses an OK with the negotiated capabilities; when they were only inferred, retries
    /// without session tracking.
    fn parse_ok_any(&mut self, p: &[u8]) -> Result<OkPacket, ParseError> {
        match parse_ok(p, self.caps) {
            Err(e) if self.caps_inferred => {
                let mut c = self.caps;
                c.set(CapabilityFlags::SESSION_TRACK, false);
                parse_ok(p, c).map_err(|_| e)
            }
            r => r,
        }
    }

    fn after_end(&mut self, status: StatusFlags) {
        self.state = if status.contains(StatusFlags::MORE_RESULTS_EXISTS) {
            State::Response(Expect::Query)
        } else {
            State::Idle
        };
    }

    fn secret(&self, b: &[u8]) -> Value {
        if self.redact {
            Value::Redacted(b.len())
        } else {
            Value::Str(hex(b))
        }
    }
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
