//! Requests: each command of a decoded conversation paired with its response, with what a
//! digest or a slow log needs (protocol-notes/digest.md, "Requests").
//!
//! A [`Requests`] collector sits beside a [`Conversation`] and sees every packet it decoded,
//! with the capture time of the packet's last byte. The conversation says how many responses
//! it owes ([`Conversation::responses_owed`]) and how many commands owed one so far
//! ([`Conversation::requests_seen`]): a command that owes a response starts a request, the
//! packet that makes the owed count drop ends the oldest one (responses come in the order of
//! their commands, also when a client pipelines), and a drop to fewer (the decoder
//! resynchronised, or a command followed one whose end cannot be known) leaves the oldest
//! ones incomplete: they are counted, not reported.
//!
//! A request is what the server ran: COM_QUERY by its text, COM_STMT_EXECUTE and
//! COM_STMT_BULK_EXECUTE by the SQL of the COM_STMT_PREPARE that made the statement (the
//! decoder remembers statements by id). COM_STMT_PREPARE is not one (the statement counts when
//! it runs, so a fingerprint's count is how often it ran, sent as text or prepared), nor are
//! COM_STMT_FETCH, COM_PING, COM_INIT_DB and the other commands without SQL; COM_INIT_DB and a
//! session-tracked schema change do change the database the later requests are logged with.

use std::collections::VecDeque;

use super::decode::{Conversation, Decoded, Value};
use super::digest::Request;
use super::{Direction, Phase};

/// One request and its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The command: `COM_QUERY`, `COM_STMT_EXECUTE` or `COM_STMT_BULK_EXECUTE`.
    pub command: &'static str,
    /// The SQL: the query's text, or the prepared statement's (invalid UTF-8 replaced).
    pub sql: String,
    /// Capture time of the request's last packet, nanoseconds since the Unix epoch.
    pub sent_nanos: u64,
    /// Capture time of the response's last packet.
    pub done_nanos: u64,
    /// The ERR code, if the response (any of its results) was an ERR.
    pub error: Option<u16>,
    /// Rows sent, over all result sets.
    pub rows: u64,
    /// Bytes from the client: the request's packets (and LOCAL INFILE data), headers included.
    pub bytes_in: u64,
    /// Bytes to the client: the response's packets, headers included.
    pub bytes_out: u64,
    /// The default database when the request was sent, if known.
    pub database: Option<String>,
    /// Index of the command in the conversation's decoded packets.
    pub command_index: usize,
    /// Indexes of the response's first and last packets (the server packets between them are
    /// the response's; client packets between them are later, pipelined commands, or this
    /// request's LOCAL INFILE data).
    pub response_first: usize,
    /// See `response_first`.
    pub response_last: usize,
}

impl RequestRecord {
    /// Server response time in microseconds: from the request's last packet to the
    /// response's last packet (0 if the capture's clock went backwards).
    pub fn latency_us(&self) -> u64 {
        self.done_nanos.saturating_sub(self.sent_nanos) / 1000
    }

    /// The request as the digest takes it.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            sql: &self.sql,
            latency_us: self.latency_us(),
            error: self.error,
            rows: self.rows,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
        }
    }
}

/// A command whose response is owed.
#[derive(Debug)]
struct Pending {
    /// `None` for commands that are not requests (their responses are followed all the same).
    record: Option<RequestRecord>,
    /// COM_INIT_DB's schema: the database once its OK comes.
    init_db: Option<String>,
    /// An OK was seen, and no ERR.
    ok: bool,
}

/// The requests of one conversation (see the module documentation).
#[derive(Debug, Default)]
pub struct Requests {
    pending: VecDeque<Pending>,
    seen: u64,
    /// The user of the handshake response (empty if not captured).
    pub user: String,
    /// The connection id of the greeting (0 if not captured).
    pub connection_id: u32,
    /// The default database now.
    pub database: Option<String>,
    /// Requests whose response was not followed to its end (resynchronisation, the end of
    /// the capture): not reported.
    pub incomplete: u64,
    /// Executes of a statement whose SQL is not known (prepared before the capture began, or
    /// over the decoder's caps): not reported.
    pub unknown_sql: u64,
}

/// Bytes of a packet on the wire with its 4-byte header(s): a payload of 16 MiB - 1 or more
/// is sent in several packets.
fn wire_len(payload: usize) -> u64 {
    let len = u64::try_from(payload).unwrap_or(u64::MAX);
    let chunks = len / 0xFF_FFFF + 1;
    len.saturating_add(chunks.saturating_mul(4))
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Text(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

impl Requests {
    /// A collector for a conversation about to be decoded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests not finished (at the end of a capture, they are incomplete).
    pub fn open(&self) -> usize {
        self.pending.iter().filter(|p| p.record.is_some()).count()
    }

    /// The end of the conversation: what is still owed is incomplete.
    pub fn finish(&mut self) {
        let n = u64::try_from(self.open()).unwrap_or(u64::MAX);
        self.incomplete = self.incomplete.saturating_add(n);
        self.pending.clear();
    }

    /// Sees packet `index` of the conversation, `d`, just decoded by `conv`, whose last byte
    /// was captured at `time_nanos`. Returns the request it completed, if any.
    pub fn observe(
        &mut self,
        conv: &Conversation,
        d: &Decoded,
        index: usize,
        time_nanos: u64,
    ) -> Option<RequestRecord> {
        if d.is_compressed_packet() {
            return None;
        }
        if d.phase != Phase::Command {
            self.connection_phase(d);
            return None;
        }
        let bytes = wire_len(d.len);
        let mut done = None;
        match d.direction {
            Direction::ClientToServer => {
                if d.kind == "COM_CHANGE_USER" {
                    self.connection_phase(d);
                }
                let seen = conv.requests_seen();
                if seen > self.seen {
                    self.seen = seen;
                    let p = self.start(d, index, time_nanos, bytes);
                    self.pending.push_back(p);
                } else if d.kind == "LocalInfileData" {
                    if let Some(r) = self.pending.front_mut().and_then(|p| p.record.as_mut()) {
                        r.bytes_in = r.bytes_in.saturating_add(bytes);
                    }
                }
                self.seen = seen;
            }
            Direction::ServerToClient => {
                if let Some(p) = self.pending.front_mut() {
                    match d.kind {
                        "OK" => p.ok = true,
                        "ERR" | "Malformed" => p.ok = false,
                        _ => {}
                    }
                    if let Some(r) = p.record.as_mut() {
                        if r.response_first == usize::MAX {
                            r.response_first = index;
                        }
                        r.response_last = index;
                        r.done_nanos = time_nanos;
                        r.bytes_out = r.bytes_out.saturating_add(bytes);
                        match d.kind {
                            "Row" | "BinaryRow" => r.rows = r.rows.saturating_add(1),
                            "ERR" => {
                                if let Some(Value::Int(c)) = d.field("code") {
                                    r.error = r.error.or(u16::try_from(*c).ok());
                                }
                            }
                            _ => {}
                        }
                    }
                    if d.kind == "OK" {
                        self.track_schema(d);
                    }
                }
                let owed = conv.responses_owed();
                if self.pending.len() == owed.saturating_add(1) && d.kind != "Malformed" {
                    done = self.pending.pop_front().and_then(|p| self.end(p));
                }
            }
        }
        // Fewer owed than pending: the oldest were not followed to their end.
        let owed = conv.responses_owed();
        while self.pending.len() > owed {
            if let Some(p) = self.pending.pop_front() {
                if p.record.is_some() {
                    self.incomplete = self.incomplete.saturating_add(1);
                }
            }
        }
        done
    }

    /// A finished response: its request, if it is one; COM_INIT_DB's OK sets the database.
    fn end(&mut self, p: Pending) -> Option<RequestRecord> {
        if let (Some(db), true) = (&p.init_db, p.ok) {
            self.database = Some(db.clone());
        }
        p.record
    }

    /// A command that owes a response: a request if it carries SQL.
    fn start(&mut self, d: &Decoded, index: usize, time_nanos: u64, bytes: u64) -> Pending {
        let mut p = Pending {
            record: None,
            init_db: None,
            ok: false,
        };
        match d.kind {
            "COM_QUERY" | "COM_STMT_EXECUTE" | "COM_STMT_BULK_EXECUTE" => {
                match text(d.field("sql")) {
                    Some(sql) => {
                        p.record = Some(RequestRecord {
                            command: d.kind,
                            sql,
                            sent_nanos: time_nanos,
                            done_nanos: time_nanos,
                            error: None,
                            rows: 0,
                            bytes_in: bytes,
                            bytes_out: 0,
                            database: self.database.clone(),
                            command_index: index,
                            response_first: usize::MAX,
                            response_last: index,
                        })
                    }
                    None => self.unknown_sql = self.unknown_sql.saturating_add(1),
                }
            }
            "COM_INIT_DB" => p.init_db = text(d.field("schema")),
            _ => {}
        }
        p
    }

    /// The greeting's connection id, the handshake response's user and database.
    fn connection_phase(&mut self, d: &Decoded) {
        match d.kind {
            "Greeting" => {
                if let Some(Value::Int(id)) = d.field("connection_id") {
                    self.connection_id = u32::try_from(*id).unwrap_or(0);
                }
            }
            "HandshakeResponse" => {
                self.user = text(d.field("user")).unwrap_or_default();
                self.database = text(d.field("database"));
            }
            "COM_CHANGE_USER" => {
                self.user = text(d.field("user")).unwrap_or_default();
                self.database = text(d.field("database")).filter(|db| !db.is_empty());
            }
            _ => {}
        }
    }

    /// An OK whose session state tracks a schema change (`USE db`, with
    /// CLIENT_SESSION_TRACK): the database of the requests after it.
    fn track_schema(&mut self, d: &Decoded) {
        if let Some(Value::List(changes)) = d.field("session_state") {
            for c in changes {
                if let Some(db) = c.strip_prefix("schema=") {
                    self.database = Some(db.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CapabilityFlags;
    use bytes::Bytes;

    /// A conversation after its handshake, and its requests.
    struct Run {
        conv: Conversation,
        req: Requests,
        index: usize,
        done: Vec<RequestRecord>,
    }

    impl Run {
        fn new() -> Self {
            let caps = CapabilityFlags::PROTOCOL_41
                | CapabilityFlags::TRANSACTIONS
                | CapabilityFlags::SECURE_CONNECTION
                | CapabilityFlags::DEPRECATE_EOF;
            Run {
                conv: Conversation::after_handshake(caps, true),
                req: Requests::new(),
                index: 0,
                done: Vec::new(),
            }
        }

        fn packet(&mut self, dir: Direction, seq: u8, payload: &[u8], t_us: u64) {
            let d = self.conv.packet(dir, seq, Bytes::copy_from_slice(payload));
            assert_ne!(d.kind, "Malformed", "{d:?}");
            if let Some(r) = self.req.observe(&self.conv, &d, self.index, t_us * 1000) {
                self.done.push(r);
            }
            self.index += 1;
        }

        fn query(&mut self, sql: &str, t_us: u64) {
            let mut p = vec![0x03];
            p.extend_from_slice(sql.as_bytes());
            self.packet(Direction::ClientToServer, 0, &p, t_us);
        }

        fn server(&mut self, seq: u8, payload: &[u8], t_us: u64) {
            self.packet(Direction::ServerToClient, seq, payload, t_us);
        }
    }

    const OK: [u8; 7] = [0x00, 0, 0, 0x02, 0, 0, 0];
    /// The OK that ends a result set with CLIENT_DEPRECATE_EOF.
    const END: [u8; 7] = [0xFE, 0, 0, 0x02, 0, 0, 0];

    fn column() -> Vec<u8> {
        let mut p = Vec::new();
        for s in ["def", "", "", "", "a", ""] {
            p.push(u8::try_from(s.len()).unwrap());
            p.extend_from_slice(s.as_bytes());
        }
        p.extend_from_slice(&[0x0c, 0x21, 0, 1, 0, 0, 0, 0x08, 0, 0, 0, 0, 0]);
        p
    }

    fn err(code: u16) -> Vec<u8> {
        let mut p = vec![0xFF];
        p.extend_from_slice(&code.to_le_bytes());
        p.extend_from_slice(b"#42S02no such table");
        p
    }

    #[test]
    fn pipelined_requests_are_timed_from_their_own_commands() {
        let mut r = Run::new();
        r.query("DO 1", 1000);
        r.query("SELECT 1 UNION SELECT 2", 2000);
        r.query("SELECT * FROM nope", 2500);
        r.server(1, &OK, 5000);
        r.server(1, &[0x01], 6000);
        r.server(2, &column(), 6000);
        r.server(3, &[0x01, b'1'], 6000);
        r.server(4, &[0x01, b'2'], 6000);
        r.server(5, &END, 9000);
        r.server(1, &err(1146), 9500);
        assert_eq!(r.done.len(), 3);
        let [a, b, c] = [&r.done[0], &r.done[1], &r.done[2]];
        assert_eq!((a.sql.as_str(), a.latency_us(), a.rows), ("DO 1", 4000, 0));
        assert_eq!((a.bytes_in, a.bytes_out), (4 + 5, 4 + 7));
        assert_eq!((b.latency_us(), b.rows, b.error), (7000, 2, None));
        assert_eq!(
            (b.command_index, b.response_first, b.response_last),
            (1, 4, 8)
        );
        assert_eq!((c.latency_us(), c.error), (7000, Some(1146)));
        assert_eq!(r.req.incomplete, 0);
        // COM_STMT_CLOSE owes nothing; COM_PING is followed but is no request.
        r.packet(Direction::ClientToServer, 0, &[0x19, 1, 0, 0, 0], 10_000);
        r.packet(Direction::ClientToServer, 0, &[0x0e], 10_000);
        r.server(1, &OK, 10_100);
        assert_eq!(r.done.len(), 3);
        // COM_INIT_DB sets the database of the requests after it.
        let mut p = vec![0x02];
        p.extend_from_slice(b"shop");
        r.packet(Direction::ClientToServer, 0, &p, 11_000);
        r.server(1, &OK, 11_100);
        r.query("DO 2", 12_000);
        r.server(1, &OK, 12_050);
        assert_eq!(r.done[3].database.as_deref(), Some("shop"));
        assert_eq!(r.done[3].latency_us(), 50);
        // A request left unanswered is incomplete at the end.
        r.query("DO 3", 13_000);
        assert_eq!(r.req.open(), 1);
        r.req.finish();
        assert_eq!(r.req.incomplete, 1);
    }

    #[test]
    fn a_resynchronised_decoder_leaves_the_owed_requests_incomplete() {
        let mut r = Run::new();
        r.query("DO 1", 1000);
        r.query("DO 2", 1100);
        r.conv.resync();
        r.query("DO 3", 2000);
        r.server(1, &OK, 2500);
        assert_eq!(r.done.len(), 1);
        assert_eq!(r.done[0].sql, "DO 3");
        assert_eq!(r.req.incomplete, 2);
    }

    #[test]
    fn wire_lengths_count_every_header() {
        assert_eq!(wire_len(0), 4);
        assert_eq!(wire_len(10), 14);
        assert_eq!(wire_len(0xFF_FFFE), 0xFF_FFFE + 4);
        // 16 MiB - 1 goes as a full packet and an empty one.
        assert_eq!(wire_len(0xFF_FFFF), 0xFF_FFFF + 8);
    }
}
