//! What a command's response looks like, packet by packet: the one response state machine.
//!
//! The engine reads responses with it, its raw mode follows exchanges it does not interpret
//! with it, and the trace decoder ([`crate::trace::decode::Conversation`]) observes captured and
//! live conversations with it. A new command or response packet is therefore learned here, once:
//! [`expect_for`] says what a command's response looks like, and [`Response::on_server`]
//! classifies each server packet and moves on.

use bytes::Bytes;

use crate::codec::command::{
    Command, COM_STMT_BULK_EXECUTE, COM_STMT_CLOSE, COM_STMT_EXECUTE, COM_STMT_FETCH,
    COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
};
use crate::codec::response::{
    is_result_end, parse_eof, parse_err, parse_ok, parse_query_response, EofPacket, ErrPacket,
    OkPacket, QueryResponse,
};
use crate::codec::resultset::{parse_column_definition, ColumnDefinition};
use crate::codec::stmt::{parse_prepare_ok, PrepareOk};
use crate::codec::{CapabilityFlags, ErrorKind, Packet, ParseError, StatusFlags};

/// What the next packet of the exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing is owed: the client sends a command next.
    Idle,
    /// The first packet of a query response (OK / ERR / LOCAL INFILE / column count).
    Head,
    /// Column definitions, `left` still to come.
    Columns {
        /// Definitions still to come.
        left: u64,
    },
    /// After the column definitions: an EOF (without CLIENT_DEPRECATE_EOF), or, when the
    /// capabilities are only inferred, whatever comes.
    ColumnsEnd,
    /// Rows, until the terminating EOF / OK (or an ERR).
    Rows,
    /// The client sends LOCAL INFILE data packets, ending with an empty one.
    InfileData,
    /// The server's verdict after the LOCAL INFILE data.
    InfileReply,
    /// One OK or ERR (COM_PING, COM_INIT_DB, COM_RESET_CONNECTION, …).
    Simple,
    /// One string packet (COM_STATISTICS) or an ERR.
    Text,
    /// The first packet of a COM_STMT_PREPARE response: PREPARE_OK or ERR.
    PrepareOk,
    /// The definitions after PREPARE_OK, in order: `params` parameter definitions, an EOF if
    /// `params_eof`, `columns` column definitions, an EOF if `columns_eof`.
    PrepareDefs {
        /// Parameter definitions still to come.
        params: u16,
        /// An EOF follows the parameter definitions.
        params_eof: bool,
        /// Column definitions still to come.
        columns: u16,
        /// An EOF follows the column definitions.
        columns_eof: bool,
    },
    /// The response of a command whose response shape is not known: where it ends cannot be
    /// told.
    Unknown,
}

impl Expect {
    /// After one more packet of a prepare response's definitions: what is left, `Idle` at the
    /// end.
    fn prepare_defs(params: u16, params_eof: bool, columns: u16, columns_eof: bool) -> Expect {
        if params == 0 && !params_eof && columns == 0 && !columns_eof {
            Expect::Idle
        } else {
            Expect::PrepareDefs {
                params,
                params_eof,
                columns,
                columns_eof,
            }
        }
    }
}

/// What a command's response looks like.
pub fn expect_for(cmd: &Command<'_>) -> Expect {
    match cmd {
        Command::Query(_) => Expect::Head,
        Command::InitDb(_) | Command::Ping | Command::ResetConnection => Expect::Simple,
        Command::Statistics => Expect::Text,
        Command::Quit => Expect::Idle,
        Command::Other(code, _) => match *code {
            COM_STMT_PREPARE => Expect::PrepareOk,
            // An execute is answered like a query (its rows are binary), a fetch by rows.
            COM_STMT_EXECUTE => Expect::Head,
            // MariaDB's bulk execute: an OK or ERR (a result set with unit results).
            COM_STMT_BULK_EXECUTE => Expect::Head,
            COM_STMT_FETCH => Expect::Rows,
            COM_STMT_RESET => Expect::Simple,
            // No response at all.
            COM_STMT_SEND_LONG_DATA | COM_STMT_CLOSE => Expect::Idle,
            _ => Expect::Unknown,
        },
    }
}

/// One server packet of a response, classified (the payload itself stays with the caller).
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// An OK: a result without rows ended, or a simple command succeeded. More results may
    /// follow ([`Response::expect`] is then [`Expect::Head`]).
    Ok(OkPacket),
    /// An ERR: the response is over.
    Err(ErrPacket),
    /// A LOCAL INFILE request naming this file: the client answers with data packets.
    LocalInfile(String),
    /// A result set with this many columns; with MariaDB's CACHE_METADATA, whether the column
    /// definitions follow.
    ColumnCount {
        /// Number of columns.
        count: u64,
        /// `Some(false)`: the client's cached definitions are reused and none are sent.
        metadata_follows: Option<bool>,
    },
    /// One column definition.
    Column(ColumnDefinition),
    /// The EOF after the column definitions.
    ColumnsEof(EofPacket),
    /// A row (its cells are the caller's to split).
    Row,
    /// The end of the rows, as an OK (CLIENT_DEPRECATE_EOF) or an EOF; more results may follow.
    RowsEnd {
        /// The closing packet (an EOF's status and warnings, the rest zero).
        ok: OkPacket,
        /// True when it was an EOF packet (0xFE, no CLIENT_DEPRECATE_EOF).
        eof: bool,
    },
    /// A string response (COM_STATISTICS).
    Text,
    /// COM_STMT_PREPARE succeeded; definitions follow as it says.
    PrepareOk(PrepareOk),
    /// One parameter definition of a prepare response.
    Param(ColumnDefinition),
    /// A packet of a response whose shape is not known.
    Unknown,
    /// A server packet where none was expected (the client was to speak).
    Unexpected,
}

/// The response state machine of one connection.
#[derive(Debug, Clone)]
pub struct Response {
    expect: Expect,
    caps: CapabilityFlags,
    /// The capabilities were not seen (a capture begun mid-connection): infer DEPRECATE_EOF and
    /// SESSION_TRACK from the packets.
    inferred: bool,
    /// MariaDB extended metadata in column definitions.
    ext_metadata: bool,
    /// MariaDB CACHE_METADATA: the column count is followed by a `metadata_follows` byte.
    cache_metadata: bool,
}

impl Response {
    /// A machine for a connection with `caps` negotiated, idle.
    pub fn new(caps: CapabilityFlags) -> Self {
        Response {
            expect: Expect::Idle,
            caps,
            inferred: false,
            ext_metadata: false,
            cache_metadata: false,
        }
    }

    /// A machine whose capabilities are guessed (`caps`) and corrected from what the packets
    /// show: a capture begun mid-connection.
    pub fn inferred(caps: CapabilityFlags) -> Self {
        Response {
            inferred: true,
            ..Response::new(caps)
        }
    }

    /// True when MariaDB's CACHE_METADATA was negotiated (`metadata_follows` after column
    /// counts).
    pub fn caches_metadata(&self) -> bool {
        self.cache_metadata
    }

    /// Sets what was negotiated (the handshake response was seen), including MariaDB's
    /// extended metadata and metadata caching.
    pub fn negotiated(&mut self, caps: CapabilityFlags, ext_metadata: bool, cache_metadata: bool) {
        self.caps = caps;
        self.inferred = false;
        self.ext_metadata = ext_metadata;
        self.cache_metadata = cache_metadata;
    }

    /// The capabilities in force.
    pub fn capabilities(&self) -> CapabilityFlags {
        self.caps
    }

    /// What comes next.
    #[inline]
    pub fn expect(&self) -> Expect {
        self.expect
    }

    /// Sets what comes next (a command was sent, a pipelined response starts, an exchange is
    /// abandoned).
    #[inline]
    pub fn set(&mut self, expect: Expect) {
        self.expect = expect;
    }

    /// True when nothing is owed.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.expect == Expect::Idle
    }

    /// The client sent a command: its response is expected next.
    pub fn on_command(&mut self, cmd: &Command<'_>) {
        self.expect = expect_for(cmd);
    }

    /// The client sent a LOCAL INFILE data packet; the empty one ends the data.
    pub fn on_infile_data(&mut self, len: usize) {
        if self.expect == Expect::InfileData && len == 0 {
            self.expect = Expect::InfileReply;
        }
    }

    /// Classifies the server packet `p` and moves on. A packet that does not parse is an error
    /// naming the packet and field; the state is then unchanged.
    pub fn on_server(&mut self, p: &Bytes) -> Result<Seen, ParseError> {
        match self.expect {
            Expect::Head => self.head(p),
            Expect::Columns { left } => {
                let c = parse_column_definition(p, self.ext_metadata)?;
                let left = left.saturating_sub(1);
                self.expect = if left > 0 {
                    Expect::Columns { left }
                } else {
                    self.after_columns()
                };
                Ok(Seen::Column(c))
            }
            Expect::ColumnsEnd => {
                let deprecate_eof = self.caps.contains(CapabilityFlags::DEPRECATE_EOF);
                // Inferred capabilities: an EOF here shows there is no CLIENT_DEPRECATE_EOF.
                let eof_follows =
                    !deprecate_eof || (self.inferred && p.first() == Some(&0xFE) && p.len() < 9);
                if eof_follows {
                    let e = parse_eof(p)?;
                    if self.inferred {
                        self.caps.set(CapabilityFlags::DEPRECATE_EOF, false);
                    }
                    // An execute that opened a cursor (SERVER_STATUS_CURSOR_EXISTS) ends
                    // here: its rows come in answer to COM_STMT_FETCH.
                    self.expect = if e.status.contains(StatusFlags::CURSOR_EXISTS) {
                        Expect::Idle
                    } else {
                        Expect::Rows
                    };
                    Ok(Seen::ColumnsEof(e))
                } else {
                    self.expect = Expect::Rows;
                    self.rows(p)
                }
            }
            Expect::Rows => self.rows(p),
            Expect::Simple | Expect::InfileReply => {
                if p.first() == Some(&0xFF) {
                    self.expect = Expect::Idle;
                    return Ok(Seen::Err(parse_err(p)?));
                }
                if p.first() != Some(&0x00) && self.expect == Expect::InfileReply {
                    return Err(ParseError::new(
                        Packet::LocalInfile,
                        "reply",
                        ErrorKind::Unexpected,
                    ));
                }
                if p.first() != Some(&0x00) {
                    return Err(ParseError::new(Packet::Ok, "header", ErrorKind::Unexpected));
                }
                let ok = self.ok(p)?;
                if self.expect == Expect::Simple {
                    // One packet, whatever its status says.
                    self.expect = Expect::Idle;
                } else {
                    self.after_end(ok.status);
                }
                Ok(Seen::Ok(ok))
            }
            Expect::Text => {
                self.expect = Expect::Idle;
                if p.first() == Some(&0xFF) {
                    return Ok(Seen::Err(parse_err(p)?));
                }
                Ok(Seen::Text)
            }
            Expect::PrepareOk => {
                if p.first() == Some(&0xFF) {
                    self.expect = Expect::Idle;
                    return Ok(Seen::Err(parse_err(p)?));
                }
                let ok = parse_prepare_ok(p, self.caps)?;
                // MySQL 8's optional metadata: with RESULTSET_METADATA_NONE no definitions
                // follow at all.
                let (params, columns) = if ok.metadata_follows() {
                    (ok.num_params, ok.num_columns)
                } else {
                    (0, 0)
                };
                // Inferred capabilities: an EOF may come at each place one can (see
                // `prepare_def`).
                let eofs = !self.caps.contains(CapabilityFlags::DEPRECATE_EOF) || self.inferred;
                self.expect =
                    Expect::prepare_defs(params, eofs && params > 0, columns, eofs && columns > 0);
                Ok(Seen::PrepareOk(ok))
            }
            Expect::PrepareDefs {
                params,
                params_eof,
                columns,
                columns_eof,
            } => self.prepare_def(p, params, params_eof, columns, columns_eof),
            Expect::Unknown => Ok(Seen::Unknown),
            Expect::Idle | Expect::InfileData => Ok(Seen::Unexpected),
        }
    }

    /// [`Response::on_server`] for the packets whose classification needs no shared handle
    /// on the payload: a query response's first packet and a packet among rows (what a
    /// reader looks at in place). `None`, with nothing changed, for every other state.
    #[inline]
    pub fn on_server_slice(&mut self, p: &[u8]) -> Option<Result<Seen, ParseError>> {
        match self.expect {
            Expect::Head => Some(self.head(p)),
            Expect::Rows => Some(self.rows(p)),
            _ => None,
        }
    }

    /// One packet of a prepare response's definitions.
    fn prepare_def(
        &mut self,
        p: &Bytes,
        params: u16,
        params_eof: bool,
        columns: u16,
        columns_eof: bool,
    ) -> Result<Seen, ParseError> {
        if params > 0 {
            let c = parse_column_definition(p, self.ext_metadata)?;
            self.expect =
                Expect::prepare_defs(params.saturating_sub(1), params_eof, columns, columns_eof);
            return Ok(Seen::Param(c));
        }
        if !params_eof && columns > 0 {
            let c = parse_column_definition(p, self.ext_metadata)?;
            self.expect = Expect::prepare_defs(0, false, columns.saturating_sub(1), columns_eof);
            return Ok(Seen::Column(c));
        }
        // An EOF's place. With inferred capabilities it may not be there: a packet that is no
        // EOF shows CLIENT_DEPRECATE_EOF, and is what comes next.
        if self.inferred && !(p.first() == Some(&0xFE) && p.len() < 9) {
            self.caps.set(CapabilityFlags::DEPRECATE_EOF, true);
            self.expect = Expect::prepare_defs(0, false, columns, false);
            return if self.expect == Expect::Idle {
                Ok(Seen::Unexpected)
            } else {
                self.on_server(p)
            };
        }
        let e = parse_eof(p)?;
        if self.inferred {
            self.caps.set(CapabilityFlags::DEPRECATE_EOF, false);
        }
        self.expect = if params_eof {
            Expect::prepare_defs(0, false, columns, columns_eof)
        } else {
            Expect::Idle
        };
        Ok(Seen::ColumnsEof(e))
    }

    fn head(&mut self, p: &[u8]) -> Result<Seen, ParseError> {
        // With MariaDB's CACHE_METADATA the column count carries one more byte,
        // `metadata_follows` (MariaDB KB "Result Set Packets").
        let whole: &[u8] = p;
        let (head, metadata_follows) = match p.first() {
            Some(0x00 | 0xFF | 0xFB) | None => (whole, None),
            Some(_) if self.cache_metadata => match p.split_last() {
                Some((&m, rest)) => (rest, Some(m != 0)),
                None => (whole, None),
            },
            Some(_) => (whole, None),
        };
        let r = match parse_query_response(head, self.caps) {
            // Inferred capabilities: an OK that does not parse with session tracking may be
            // one without it.
            Err(e) if self.inferred && p.first() == Some(&0x00) => {
                QueryResponse::Ok(self.ok(p).map_err(|_| e)?)
            }
            r => r?,
        };
        Ok(match r {
            QueryResponse::Ok(ok) => {
                self.after_end(ok.status);
                Seen::Ok(ok)
            }
            QueryResponse::Err(e) => {
                self.expect = Expect::Idle;
                Seen::Err(e)
            }
            QueryResponse::LocalInfile(name) => {
                self.expect = Expect::InfileData;
                Seen::LocalInfile(name)
            }
            QueryResponse::ResultSet(count) => {
                self.expect = if metadata_follows == Some(false) {
                    // Column definitions cached by the client are not resent.
                    self.after_columns()
                } else {
                    Expect::Columns { left: count }
                };
                Seen::ColumnCount {
                    count,
                    metadata_follows,
                }
            }
        })
    }

    /// After the last column definition: with CLIENT_DEPRECATE_EOF (known, not inferred) the
    /// rows start at once; otherwise an EOF may come first.
    fn after_columns(&self) -> Expect {
        if self.caps.contains(CapabilityFlags::DEPRECATE_EOF) && !self.inferred {
            Expect::Rows
        } else {
            Expect::ColumnsEnd
        }
    }

    fn rows(&mut self, p: &[u8]) -> Result<Seen, ParseError> {
        let deprecate_eof = self.caps.contains(CapabilityFlags::DEPRECATE_EOF);
        if p.first() == Some(&0xFF) {
            let e = parse_err(p)?;
            self.expect = Expect::Idle;
            return Ok(Seen::Err(e));
        }
        if !is_result_end(p, deprecate_eof) {
            return Ok(Seen::Row);
        }
        let (ok, eof) = if deprecate_eof {
            (self.ok(p)?, false)
        } else {
            let e = parse_eof(p)?;
            let ok = OkPacket {
                status: e.status,
                warnings: e.warnings,
                ..Default::default()
            };
            (ok, true)
        };
        self.after_end(ok.status);
        Ok(Seen::RowsEnd { ok, eof })
    }

    /// Parses an OK with the capabilities in force; when they are only inferred, retries
    /// without session tracking.
    fn ok(&mut self, p: &[u8]) -> Result<OkPacket, ParseError> {
        match parse_ok(p, self.caps) {
            Err(e) if self.inferred => {
                let mut c = self.caps;
                c.set(CapabilityFlags::SESSION_TRACK, false);
                parse_ok(p, c).map_err(|_| e)
            }
            r => r,
        }
    }

    fn after_end(&mut self, status: StatusFlags) {
        self.expect = if status.contains(StatusFlags::MORE_RESULTS_EXISTS) {
            Expect::Head
        } else {
            Expect::Idle
        };
    }
}
