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
//!
//! This module holds the conversation's state and its dispatch: the connection phase and the
//! commands. The server's responses of the command phase are decoded in `response`. The
//! prepared statements it remembers and the COM_STMT_* packets decoded against them are in
//! `stmt`; the decoded packet and its field values ([`Decoded`], [`Value`], [`Typed`]) in
//! `fields`, re-exported here.

mod fields;
mod owed;
mod response;
mod stmt;

pub use fields::{hex, Decoded, Typed, Value, COMPRESSED};

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::codec::binary::BinaryRowCells;
use crate::codec::command::{
    command_name, parse_command, Command, COM_CHANGE_USER, COM_STMT_BULK_EXECUTE, COM_STMT_CLOSE,
    COM_STMT_EXECUTE, COM_STMT_FETCH, COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
};
use crate::codec::handshake::{
    parse_auth_more_data, parse_auth_switch, parse_change_user, parse_client_hello,
    parse_handshake, ClientHello,
};
use crate::codec::response::{parse_err, parse_ok};
use crate::codec::resultset::RowCells;
use crate::codec::{CapabilityFlags, ColumnFlags, ColumnType, MariaDbCapabilities, ParseError};
use crate::proto::response::{expect_for, Expect, Response};

use super::{Direction, Phase};
use fields::{lossy, opt_str, push_err, push_ok};
use owed::{Owed, OwedKind};
use stmt::Statement;

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
    /// The COM_STMT_PREPARE whose response is read next, with its SQL (`None` when it was
    /// over the budget).
    pending_prepare: Option<Option<Vec<u8>>>,
    /// The statement whose prepare response is being read.
    preparing: Option<u32>,
    /// The statement whose execute or fetch response is being read.
    executing: Option<u32>,
    /// That execute asked for a cursor: its rows come with COM_STMT_FETCH.
    cursor: bool,
    /// The responses owed to the commands sent after the one being read (pipelining).
    queue: VecDeque<Owed>,
    /// Bytes of SQL held by queued prepares.
    queued_sql: usize,
    /// Bytes of SQL remembered with the statements.
    sql_bytes: usize,
    /// A statement or its SQL was not remembered (over the caps): unknown ids may be those.
    forgot: bool,
    /// The statement prepared last (what MariaDB's
    /// [`DIRECT_STATEMENT_ID`](crate::codec::stmt::DIRECT_STATEMENT_ID) means).
    last_prepared: Option<u32>,
    redact: bool,
    auth_plugin_secret: bool,
    /// Commands that owed a response, counted when decoded ([`Conversation::requests_seen`]).
    requests_seen: u64,
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
            cursor: false,
            queue: VecDeque::new(),
            queued_sql: 0,
            sql_bytes: 0,
            forgot: false,
            last_prepared: None,
            redact: redact_secrets,
            auth_plugin_secret: true,
            requests_seen: 0,
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
        self.stage == Stage::Command && self.resp.is_idle() && self.queue.is_empty()
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

    /// A conversation joined between two commands of a live session whose negotiated
    /// capabilities are known (`caps`, and MariaDB's extended ones): decoding starts with the
    /// next command, exactly (a tracer attached after the handshake).
    pub fn attached(
        redact_secrets: bool,
        caps: CapabilityFlags,
        mariadb: MariaDbCapabilities,
    ) -> Self {
        let mut c = Self::new(redact_secrets);
        c.stage = Stage::Command;
        c.resp = Response::new(caps);
        c.resp.negotiated(
            caps,
            mariadb.contains(MariaDbCapabilities::EXTENDED_METADATA),
            mariadb.contains(MariaDbCapabilities::CACHE_METADATA),
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
            self.queue.clear();
            self.queued_sql = 0;
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
        if self.resp.expect() == Expect::InfileData {
            d.kind = "LocalInfileData";
            f.push(("data_len", Value::Int(p.len() as u64)));
            self.resp.on_infile_data(p.len());
            return Ok(());
        }
        // A command: when nothing is owed, or sent before the responses owed were read (a
        // pipelining client); its response is read after theirs.
        let cmd = parse_command(p)?;
        d.kind = command_name(cmd.code()).unwrap_or("COM_UNKNOWN");
        if cmd.code() == COM_CHANGE_USER {
            return self.change_user(f, p);
        }
        let expect = expect_for(&cmd);
        let kind = match cmd {
            Command::Query(sql) => {
                if self
                    .resp
                    .capabilities()
                    .contains(CapabilityFlags::QUERY_ATTRIBUTES)
                {
                    self.query_with_attributes(f, p)?;
                } else {
                    f.push(("sql", Value::Text(sql.to_vec())));
                }
                OwedKind::Plain
            }
            Command::InitDb(db) => {
                f.push(("schema", Value::Text(db.to_vec())));
                OwedKind::Plain
            }
            Command::Other(COM_STMT_PREPARE, sql) => {
                f.push(("sql", Value::Text(sql.to_vec())));
                OwedKind::Prepare(self.keep_queued_sql(sql))
            }
            Command::Other(COM_STMT_EXECUTE, _) => self.stmt_execute(f, p)?,
            Command::Other(COM_STMT_BULK_EXECUTE, _) => self.stmt_bulk_execute(f, p)?,
            Command::Other(COM_STMT_FETCH, _) => {
                let id = self.stmt_command(f, p)?;
                OwedKind::Fetch(id)
            }
            Command::Other(COM_STMT_SEND_LONG_DATA | COM_STMT_CLOSE | COM_STMT_RESET, _) => {
                self.stmt_command(f, p)?;
                OwedKind::Plain
            }
            Command::Other(code, args) => {
                f.push(("code", Value::Int(code.into())));
                f.push(("args_len", Value::Int(args.len() as u64)));
                OwedKind::Plain
            }
            // The server deallocates every prepared statement.
            Command::ResetConnection => {
                self.statements.clear();
                self.sql_bytes = 0;
                OwedKind::Plain
            }
            Command::Ping | Command::Statistics | Command::Quit => OwedKind::Plain,
        };
        self.owe(Owed { expect, kind });
        Ok(())
    }

    /// COM_CHANGE_USER: its response is an authentication exchange, as after the handshake
    /// response, and the server forgets the session's prepared statements.
    fn change_user(
        &mut self,
        f: &mut Vec<(&'static str, Value)>,
        p: &Bytes,
    ) -> Result<(), ParseError> {
        let c = parse_change_user(p, self.resp.capabilities())?;
        f.push(("user", Value::Text(c.user.clone())));
        f.push(("auth_response", self.secret(&c.auth_response)));
        f.push(("database", Value::Text(c.database.clone())));
        f.push(("charset", Value::Int(c.charset.into())));
        let plugin = c.auth_plugin.as_deref().map(lossy);
        self.auth_plugin_secret = plugin.as_deref() != Some("unix_socket");
        f.push(("auth_plugin", opt_str(plugin.as_deref())));
        if !c.attributes.is_empty() {
            f.push((
                "attributes",
                Value::List(
                    c.attributes
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect(),
                ),
            ));
        }
        self.statements.clear();
        self.sql_bytes = 0;
        self.stage = Stage::Auth;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
