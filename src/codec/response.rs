//! Generic response packets: OK (with session-state changes), ERR, EOF, and the LOCAL INFILE
//! request. See protocol-notes/command-phase.md.

use bytes::{BufMut, BytesMut};

use super::error::{ErrorKind, Packet, ParseResult};
use super::flags::{CapabilityFlags, StatusFlags};
use super::reader::Reader;
use super::writer::{put_lenenc, put_lenenc_bytes};

/// An OK packet (or an OK sent as EOF, header 0xFE, with CLIENT_DEPRECATE_EOF).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OkPacket {
    /// Rows changed / inserted / deleted (found rows with CLIENT_FOUND_ROWS).
    pub affected_rows: u64,
    /// The last AUTO_INCREMENT id generated.
    pub last_insert_id: u64,
    /// Server status after the statement.
    pub status: StatusFlags,
    /// Warning count.
    pub warnings: u16,
    /// Human-readable info (e.g. `Rows matched: 1  Changed: 1  Warnings: 0`).
    pub info: String,
    /// Session-state changes (with CLIENT_SESSION_TRACK and SERVER_SESSION_STATE_CHANGED).
    pub session_state: Vec<SessionStateChange>,
}

/// One session-state-tracker entry of an OK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStateChange {
    /// 0: SESSION_TRACK_SYSTEM_VARIABLES.
    SystemVariable {
        /// Variable name.
        name: String,
        /// New value.
        value: String,
    },
    /// 1: SESSION_TRACK_SCHEMA: the current database changed.
    Schema(String),
    /// 2: SESSION_TRACK_STATE_CHANGE: session state changed (`"1"`).
    StateChange(String),
    /// 3: SESSION_TRACK_GTIDS (encoding specification, GTID text).
    Gtids(String),
    /// 4: SESSION_TRACK_TRANSACTION_CHARACTERISTICS.
    TransactionCharacteristics(String),
    /// 5: SESSION_TRACK_TRANSACTION_STATE.
    TransactionState(String),
    /// Any other tracker type, raw.
    Other {
        /// Tracker type byte.
        kind: u8,
        /// Raw entry data.
        data: Vec<u8>,
    },
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// True if the payload is an ERR packet.
pub fn is_err(payload: &[u8]) -> bool {
    payload.first() == Some(&0xFF)
}

/// True if the payload is an OK packet (header 0x00, at least 7 bytes).
pub fn is_ok(payload: &[u8]) -> bool {
    payload.first() == Some(&0x00) && payload.len() >= 7
}

/// True if the payload ends a result set: an EOF packet (0xFE and under 9 bytes), or with
/// CLIENT_DEPRECATE_EOF an OK packet with header 0xFE. A row whose first value is 16 MiB or more
/// also starts with 0xFE but is then at least 0xFFFFFF bytes long, so length tells them apart.
pub fn is_result_end(payload: &[u8], deprecate_eof: bool) -> bool {
    payload.first() == Some(&0xFE)
        && if deprecate_eof {
            payload.len() < super::frame::MAX_CHUNK
        } else {
            payload.len() < 9
        }
}

/// Parses an OK packet (header 0x00 or 0xFE).
#[inline]
pub fn parse_ok(payload: &[u8], caps: CapabilityFlags) -> ParseResult<OkPacket> {
    // The usual OK (and end of rows): one-byte counts, status, warnings and nothing after
    // them, which every branch below reads the same way (no info, no session state).
    if let [0x00 | 0xFE, affected @ 0..=0xFA, id @ 0..=0xFA, s0, s1, w0, w1] = *payload {
        if caps.contains(CapabilityFlags::PROTOCOL_41) {
            return Ok(OkPacket {
                affected_rows: u64::from(affected),
                last_insert_id: u64::from(id),
                status: StatusFlags(u16::from_le_bytes([s0, s1])),
                warnings: u16::from_le_bytes([w0, w1]),
                ..Default::default()
            });
        }
    }
    parse_ok_fields(payload, caps)
}

/// [`parse_ok`] field by field.
#[inline(never)]
fn parse_ok_fields(payload: &[u8], caps: CapabilityFlags) -> ParseResult<OkPacket> {
    let mut r = Reader::new(payload, Packet::Ok);
    let h = r.u8("header")?;
    if h != 0x00 && h != 0xFE {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    let mut ok = OkPacket {
        affected_rows: r.lenenc("affected_rows")?,
        last_insert_id: r.lenenc("last_insert_id")?,
        ..Default::default()
    };
    if caps.contains(CapabilityFlags::PROTOCOL_41) || caps.contains(CapabilityFlags::TRANSACTIONS) {
        ok.status = StatusFlags(r.u16("status_flags")?);
    }
    if caps.contains(CapabilityFlags::PROTOCOL_41) {
        ok.warnings = r.u16("warnings")?;
    }
    if caps.contains(CapabilityFlags::SESSION_TRACK) {
        if !r.is_empty() {
            ok.info = text(r.lenenc_bytes("info")?);
        }
        if ok.status.contains(StatusFlags::SESSION_STATE_CHANGED) && !r.is_empty() {
            let state = r.lenenc_bytes("session_state_info")?;
            ok.session_state = parse_session_state(state)?;
        }
        r.finish("trailing")?;
    } else if caps.contains(CapabilityFlags::LONG_PASSWORD) {
        // CLIENT_MYSQL negotiated (a MySQL server): string<EOF>, as the MySQL docs say.
        ok.info = text(r.eof_bytes());
    } else {
        // MariaDB (CLIENT_MYSQL clear) sends string<lenenc> even without CLIENT_SESSION_TRACK
        // (seen on 10.11; protocol-notes/command-phase.md). Fall back to the rest of the packet
        // when the prefix does not account for exactly the remaining bytes.
        let rest = r.eof_bytes();
        let mut l = Reader::new(rest, Packet::Ok);
        ok.info = match l.lenenc_bytes("info") {
            Ok(s) if l.is_empty() => text(s),
            _ => text(rest),
        };
    }
    Ok(ok)
}

fn parse_session_state(state: &[u8]) -> ParseResult<Vec<SessionStateChange>> {
    let mut out = Vec::new();
    let mut r = Reader::new(state, Packet::Ok);
    while !r.is_empty() {
        let kind = r.u8("session_state_type")?;
        let data = r.lenenc_bytes("session_state_data")?;
        let mut d = Reader::new(data, Packet::Ok);
        let change = match kind {
            0 => {
                let name = text(d.lenenc_bytes("system_variable_name")?);
                let value = text(d.lenenc_bytes("system_variable_value")?);
                SessionStateChange::SystemVariable { name, value }
            }
            1 => SessionStateChange::Schema(text(d.lenenc_bytes("schema")?)),
            2 => SessionStateChange::StateChange(text(d.lenenc_bytes("state_change")?)),
            3 => {
                d.u8("gtid_encoding")?;
                SessionStateChange::Gtids(text(d.lenenc_bytes("gtids")?))
            }
            4 => SessionStateChange::TransactionCharacteristics(text(
                d.lenenc_bytes("transaction_characteristics")?,
            )),
            5 => SessionStateChange::TransactionState(text(d.lenenc_bytes("transaction_state")?)),
            _ => {
                out.push(SessionStateChange::Other {
                    kind,
                    data: data.to_vec(),
                });
                continue;
            }
        };
        d.finish("session_state_data")?;
        out.push(change);
    }
    Ok(out)
}

/// Encodes an OK packet with header `header` (0x00, or 0xFE for OK-as-EOF).
pub fn encode_ok(ok: &OkPacket, header: u8, caps: CapabilityFlags, out: &mut BytesMut) {
    out.put_u8(header);
    put_lenenc(out, ok.affected_rows);
    put_lenenc(out, ok.last_insert_id);
    out.put_u16_le(ok.status.bits());
    out.put_u16_le(ok.warnings);
    if caps.contains(CapabilityFlags::SESSION_TRACK) {
        let has_state = ok.status.contains(StatusFlags::SESSION_STATE_CHANGED);
        if !ok.info.is_empty() || has_state {
            put_lenenc_bytes(out, ok.info.as_bytes());
        }
        if has_state {
            let mut st = BytesMut::new();
            for c in &ok.session_state {
                let mut d = BytesMut::new();
                let kind = match c {
                    SessionStateChange::SystemVariable { name, value } => {
                        put_lenenc_bytes(&mut d, name.as_bytes());
                        put_lenenc_bytes(&mut d, value.as_bytes());
                        0
                    }
                    SessionStateChange::Schema(s) => {
                        put_lenenc_bytes(&mut d, s.as_bytes());
                        1
                    }
                    SessionStateChange::StateChange(s) => {
                        put_lenenc_bytes(&mut d, s.as_bytes());
                        2
                    }
                    SessionStateChange::Gtids(s) => {
                        d.put_u8(0);
                        put_lenenc_bytes(&mut d, s.as_bytes());
                        3
                    }
                    SessionStateChange::TransactionCharacteristics(s) => {
                        put_lenenc_bytes(&mut d, s.as_bytes());
                        4
                    }
                    SessionStateChange::TransactionState(s) => {
                        put_lenenc_bytes(&mut d, s.as_bytes());
                        5
                    }
                    SessionStateChange::Other { kind, data } => {
                        d.put_slice(data);
                        *kind
                    }
                };
                st.put_u8(kind);
                put_lenenc_bytes(&mut st, &d);
            }
            put_lenenc_bytes(out, &st);
        }
    } else if caps.contains(CapabilityFlags::LONG_PASSWORD) {
        out.put_slice(ok.info.as_bytes());
    } else if !ok.info.is_empty() {
        put_lenenc_bytes(out, ok.info.as_bytes());
    }
}

/// An ERR packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrPacket {
    /// Error code.
    pub code: u16,
    /// SQLSTATE (absent before the handshake completes on old servers, and in progress reports).
    pub sql_state: Option<[u8; 5]>,
    /// Message.
    pub message: String,
}

/// Parses an ERR packet. The SQLSTATE marker `#` is optional: the ERR that replaces a greeting is
/// sent before capabilities are known and may lack it.
pub fn parse_err(payload: &[u8]) -> ParseResult<ErrPacket> {
    let mut r = Reader::new(payload, Packet::Err);
    if r.u8("header")? != 0xFF {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    let code = r.u16("error_code")?;
    let sql_state = if r.peek() == Some(b'#') {
        r.skip(1, "sql_state_marker")?;
        let s = r.take(5, "sql_state")?;
        let mut a = [0u8; 5];
        a.copy_from_slice(s);
        Some(a)
    } else {
        None
    };
    let message = text(r.eof_bytes());
    Ok(ErrPacket {
        code,
        sql_state,
        message,
    })
}

/// Encodes an ERR packet.
pub fn encode_err(e: &ErrPacket, out: &mut BytesMut) {
    out.put_u8(0xFF);
    out.put_u16_le(e.code);
    if let Some(s) = &e.sql_state {
        out.put_u8(b'#');
        out.put_slice(s);
    }
    out.put_slice(e.message.as_bytes());
}

/// An EOF packet (without CLIENT_DEPRECATE_EOF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EofPacket {
    /// Warning count.
    pub warnings: u16,
    /// Server status.
    pub status: StatusFlags,
}

/// Parses an EOF packet (0xFE + warnings + status with PROTOCOL_41; a bare 0xFE before 4.1).
pub fn parse_eof(payload: &[u8]) -> ParseResult<EofPacket> {
    let mut r = Reader::new(payload, Packet::Eof);
    if r.u8("header")? != 0xFE {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    if r.is_empty() {
        return Ok(EofPacket::default());
    }
    let warnings = r.u16("warnings")?;
    let status = StatusFlags(r.u16("status_flags")?);
    r.finish("trailing")?;
    Ok(EofPacket { warnings, status })
}

/// Encodes an EOF packet.
pub fn encode_eof(e: &EofPacket, out: &mut BytesMut) {
    out.put_u8(0xFE);
    out.put_u16_le(e.warnings);
    out.put_u16_le(e.status.bits());
}

/// Parses a LOCAL INFILE request (0xFB + file name) and returns the file name.
pub fn parse_local_infile(payload: &[u8]) -> ParseResult<String> {
    let mut r = Reader::new(payload, Packet::LocalInfile);
    if r.u8("header")? != 0xFB {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    Ok(text(r.eof_bytes()))
}

/// The first packet of a COM_QUERY response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryResponse {
    /// OK: no result set.
    Ok(OkPacket),
    /// ERR.
    Err(ErrPacket),
    /// LOCAL INFILE request, with the file name the server asked for.
    LocalInfile(String),
    /// A result set with this many columns follows.
    ResultSet(u64),
}

/// Upper bound on the column count of a result set (MySQL and MariaDB allow 4096 columns per
/// table; a select list is bounded by the packet size anyway). Larger counts are refused before
/// anything is allocated.
pub const MAX_COLUMNS: u64 = 65_535;

/// Classifies the first packet of a COM_QUERY response.
#[inline]
pub fn parse_query_response(payload: &[u8], caps: CapabilityFlags) -> ParseResult<QueryResponse> {
    match *payload {
        // The usual column count, one byte: what the reader below accepts as it is (inlined;
        // every other response is read out of line).
        [n @ 1..=0xFA] if u64::from(n) <= MAX_COLUMNS => Ok(QueryResponse::ResultSet(u64::from(n))),
        _ => parse_query_response_fields(payload, caps),
    }
}

/// [`parse_query_response`] of anything but a one-byte column count.
#[inline(never)]
fn parse_query_response_fields(
    payload: &[u8],
    caps: CapabilityFlags,
) -> ParseResult<QueryResponse> {
    match payload.first() {
        Some(0x00) => parse_ok(payload, caps).map(QueryResponse::Ok),
        Some(0xFF) => parse_err(payload).map(QueryResponse::Err),
        Some(0xFB) => parse_local_infile(payload).map(QueryResponse::LocalInfile),
        _ => column_count_fields(payload).map(QueryResponse::ResultSet),
    }
}

/// A column count packet read field by field.
fn column_count_fields(payload: &[u8]) -> ParseResult<u64> {
    let mut r = Reader::new(payload, Packet::ColumnCount);
    let n = r.lenenc("column_count")?;
    r.finish("column_count")?;
    if n == 0 {
        return Err(r.error("column_count", ErrorKind::InvalidValue));
    }
    if n > MAX_COLUMNS {
        return Err(r.error("column_count", ErrorKind::TooLarge));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    /// The one-byte column count read at once is what the field reader reads.
    #[test]
    fn one_byte_column_count_is_the_field_reader() {
        use super::*;
        for b in 0x01..=0xFEu8 {
            if b == 0xFB {
                continue;
            }
            let caps = CapabilityFlags::PROTOCOL_41;
            assert_eq!(
                parse_query_response(&[b], caps),
                column_count_fields(&[b]).map(QueryResponse::ResultSet),
                "{b:#x}"
            );
        }
    }

    /// The short-OK fast path reads what the field-by-field parser reads, for every 7-byte
    /// payload shape and every capability combination that matters to an OK.
    #[test]
    fn short_ok_fast_path_is_the_field_parser() {
        use super::*;
        let flags = [
            CapabilityFlags::PROTOCOL_41,
            CapabilityFlags::TRANSACTIONS,
            CapabilityFlags::SESSION_TRACK,
            CapabilityFlags::LONG_PASSWORD,
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for n in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut p = x.to_le_bytes();
            // Headers and counts around the edges of the fast path.
            p[0] = [0x00, 0xFE, 0xFF, p[0]][(n % 4) as usize];
            p[1] = [0, 0xFA, 0xFB, 0xFC, p[1]][(n % 5) as usize];
            p[2] = [0, 0xFA, 0xFB, p[2]][(n % 7 % 4) as usize];
            let mut caps = CapabilityFlags::empty();
            for (i, f) in flags.iter().enumerate() {
                if (n >> (i + 3)) & 1 == 1 {
                    caps |= *f;
                }
            }
            for len in [6, 7, 8] {
                let payload = &p[..len];
                assert_eq!(
                    parse_ok(payload, caps),
                    parse_ok_fields(payload, caps),
                    "{payload:02x?} {caps:?}"
                );
            }
        }
    }

    use super::*;

    const CAPS: CapabilityFlags = CapabilityFlags(
        CapabilityFlags::PROTOCOL_41.0
            | CapabilityFlags::SESSION_TRACK.0
            | CapabilityFlags::TRANSACTIONS.0,
    );

    #[test]
    fn use_schema_ok_from_mariadb() {
        // `USE test` with CLIENT_SESSION_TRACK: live probe against MariaDB 10.11.19 on this
        // project's test server (raw socket client; see protocol-notes/command-phase.md).
        let b = [
            0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x07, 0x01, 0x05, 0x04, b't', b'e',
            b's', b't',
        ];
        let ok = parse_ok(&b, CAPS).unwrap();
        assert_eq!(
            ok.session_state,
            vec![SessionStateChange::Schema("test".into())]
        );
        let mut out = BytesMut::new();
        encode_ok(&ok, 0, CAPS, &mut out);
        assert_eq!(&out[..], &b[..]);
    }

    #[test]
    fn plain_ok_is_seven_bytes() {
        let ok = parse_ok(&[0, 1, 5, 2, 0, 0, 0], CAPS).unwrap();
        assert_eq!((ok.affected_rows, ok.last_insert_id), (1, 5));
        assert!(parse_ok(&[0, 1, 5, 2, 0, 0, 0, 9], CAPS).is_err());
    }

    #[test]
    fn err_with_and_without_sqlstate() {
        let e = parse_err(b"\xff\x7a\x04#42S02Table 'x.y' doesn't exist").unwrap();
        assert_eq!(e.code, 1146);
        assert_eq!(&e.sql_state.unwrap(), b"42S02");
        let e = parse_err(b"\xff\x15\x04Host is blocked").unwrap();
        assert_eq!(e.sql_state, None);
        assert!(parse_err(b"\xff\x15").is_err());
    }

    #[test]
    fn result_end_vs_big_row() {
        assert!(is_result_end(&[0xFE, 0, 0, 2, 0], false));
        assert!(is_result_end(&[0xFE, 0, 0, 2, 0, 0, 0], true));
        let mut big = vec![0xFE, 0, 0, 0, 1, 0, 0, 0, 0];
        big.resize(super::super::frame::MAX_CHUNK, b'x');
        assert!(!is_result_end(&big, true));
        assert!(!is_result_end(&big, false));
    }

    #[test]
    fn column_count_limits() {
        assert_eq!(
            parse_query_response(&[2], CAPS).unwrap(),
            QueryResponse::ResultSet(2)
        );
        let e = parse_query_response(&[0xFE, 0, 0, 0, 0, 1, 0, 0, 0], CAPS).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert!(parse_query_response(&[], CAPS).is_err());
    }
}
