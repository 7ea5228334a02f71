//! Connection phase messages: HandshakeV10, HandshakeResponse41, SSLRequest, AuthSwitchRequest,
//! AuthMoreData.
//!
//! Layouts: MySQL dev docs "Protocol::HandshakeV10" / "Protocol::HandshakeResponse41"; MariaDB KB
//! "Connection" for the extended capabilities in the reserved bytes. See protocol-notes/connection.md.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::error::{ErrorKind, Packet, ParseResult};
use super::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use super::reader::Reader;
use super::writer::{lenenc_size, put_lenenc, put_lenenc_bytes, put_nul_bytes};

/// The server's greeting (protocol version 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Always 10 (version 9 is refused).
    pub protocol_version: u8,
    /// The server version string as sent (MariaDB prefixes `5.5.5-`).
    pub server_version: String,
    /// The connection (thread) id.
    pub connection_id: u32,
    /// The auth plugin data (the nonce, normally 20 bytes), without the trailing NUL.
    pub nonce: Vec<u8>,
    /// The server's capabilities (lower and upper 16 bits joined).
    pub capabilities: CapabilityFlags,
    /// The server's default collation id (low byte).
    pub charset: u8,
    /// The server status.
    pub status: StatusFlags,
    /// MariaDB extended capabilities (0 unless CLIENT_MYSQL, bit 0, is clear).
    pub mariadb_capabilities: MariaDbCapabilities,
    /// The default auth plugin named by the server, if any.
    pub auth_plugin: Option<String>,
}

impl Handshake {
    /// True for a MariaDB server (CLIENT_MYSQL clear, which MySQL always sets).
    pub fn is_mariadb(&self) -> bool {
        !self.capabilities.contains(CapabilityFlags::LONG_PASSWORD)
    }

    /// The version with MariaDB's `5.5.5-` compatibility prefix removed.
    pub fn display_version(&self) -> &str {
        self.server_version
            .strip_prefix("5.5.5-")
            .unwrap_or(&self.server_version)
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses a greeting payload. (An ERR in place of the greeting starts with 0xFF: check with
/// [`super::response::is_err`] first.)
pub fn parse_handshake(payload: &[u8]) -> ParseResult<Handshake> {
    let mut r = Reader::new(payload, Packet::Handshake);
    let protocol_version = r.u8("protocol_version")?;
    if protocol_version != 10 {
        return Err(r.error("protocol_version", ErrorKind::InvalidValue));
    }
    let server_version = lossy(r.nul_bytes("server_version")?);
    let connection_id = r.u32("connection_id")?;
    let mut nonce = r.take(8, "auth_plugin_data_part_1")?.to_vec();
    r.skip(1, "filler")?;
    let cap_lo = r.u16("capability_flags_1")?;
    let mut hs = Handshake {
        protocol_version,
        server_version,
        connection_id,
        nonce: Vec::new(),
        capabilities: CapabilityFlags(u32::from(cap_lo)),
        charset: 0,
        status: StatusFlags::empty(),
        mariadb_capabilities: MariaDbCapabilities::empty(),
        auth_plugin: None,
    };
    if r.is_empty() {
        // Pre-4.1 servers may end here; the docs call the rest optional.
        hs.nonce = nonce;
        return Ok(hs);
    }
    hs.charset = r.u8("character_set")?;
    hs.status = StatusFlags(r.u16("status_flags")?);
    let cap_hi = r.u16("capability_flags_2")?;
    hs.capabilities = CapabilityFlags(u32::from(cap_lo) | (u32::from(cap_hi) << 16));
    let auth_len = r.u8("auth_plugin_data_len")?;
    r.skip(6, "reserved")?;
    let ext = r.u32("mariadb_capabilities")?;
    if !hs.capabilities.contains(CapabilityFlags::LONG_PASSWORD) {
        hs.mariadb_capabilities = MariaDbCapabilities(ext);
    }
    if hs.capabilities.contains(CapabilityFlags::SECURE_CONNECTION) {
        // Part 2 is max(13, auth_plugin_data_len - 8) bytes; the last is a NUL. (u8 arithmetic
        // here must not wrap: a length below 8 means 13.)
        let n = usize::from(auth_len).saturating_sub(8).max(13);
        let part2 = r.take(n, "auth_plugin_data_part_2")?;
        let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
        nonce.extend_from_slice(part2);
    }
    hs.nonce = nonce;
    if hs.capabilities.contains(CapabilityFlags::PLUGIN_AUTH) && !r.is_empty() {
        // Some MySQL 5.5 servers omit the final NUL (Bug#59453): accept the rest as the name.
        let rest = r.rest();
        let name = match rest.iter().position(|&b| b == 0) {
            Some(_) => r.nul_bytes("auth_plugin_name")?,
            None => r.eof_bytes(),
        };
        hs.auth_plugin = Some(lossy(name));
    }
    Ok(hs)
}

/// Encodes a greeting (used by test servers and fuzz round-trips).
pub fn encode_handshake(hs: &Handshake, out: &mut BytesMut) {
    out.put_u8(hs.protocol_version);
    put_nul_bytes(out, hs.server_version.as_bytes());
    out.put_u32_le(hs.connection_id);
    let (p1, p2) = hs.nonce.split_at(hs.nonce.len().min(8));
    out.put_slice(p1);
    out.put_bytes(0, 8 - p1.len());
    out.put_u8(0);
    let [c0, c1, c2, c3] = hs.capabilities.bits().to_le_bytes();
    out.put_slice(&[c0, c1]);
    out.put_u8(hs.charset);
    out.put_u16_le(hs.status.bits());
    out.put_slice(&[c2, c3]);
    let sc = hs.capabilities.contains(CapabilityFlags::SECURE_CONNECTION);
    let auth_len = if sc || hs.capabilities.contains(CapabilityFlags::PLUGIN_AUTH) {
        u8::try_from(hs.nonce.len().saturating_add(1)).unwrap_or(u8::MAX)
    } else {
        0
    };
    out.put_u8(auth_len);
    out.put_bytes(0, 6);
    out.put_u32_le(hs.mariadb_capabilities.bits());
    if sc {
        // Part 2 is exactly max(13, auth_plugin_data_len - 8) bytes, NUL-padded.
        let n = usize::from(auth_len.saturating_sub(8).max(13));
        out.put_slice(p2);
        out.put_bytes(0, n.saturating_sub(p2.len()));
    }
    if let Some(p) = &hs.auth_plugin {
        put_nul_bytes(out, p.as_bytes());
    }
}

/// The client's HandshakeResponse41.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandshakeResponse {
    /// Negotiated capabilities.
    pub capabilities: CapabilityFlags,
    /// Max packet size the client will send.
    pub max_packet_size: u32,
    /// Client collation id.
    pub charset: u8,
    /// MariaDB extended capabilities (sent only when CLIENT_MYSQL is clear).
    pub mariadb_capabilities: MariaDbCapabilities,
    /// User name.
    pub user: Vec<u8>,
    /// The auth plugin's first response.
    pub auth_response: Vec<u8>,
    /// Initial database (sent with CLIENT_CONNECT_WITH_DB).
    pub database: Option<Vec<u8>>,
    /// Auth plugin name (sent with CLIENT_PLUGIN_AUTH).
    pub auth_plugin: Option<Vec<u8>>,
    /// Connection attributes (sent with CLIENT_CONNECT_ATTRS). Borrowed where the values are
    /// static (a session's default attributes), owned where parsed.
    pub attributes: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// The zstd level the server is to compress with (sent, last, with
    /// CLIENT_ZSTD_COMPRESSION_ALGORITHM).
    pub zstd_level: Option<u8>,
}

/// Appends the 32-byte fixed head shared by SSLRequest and HandshakeResponse41.
fn put_fixed_head(
    out: &mut BytesMut,
    caps: CapabilityFlags,
    max_packet: u32,
    charset: u8,
    ext: MariaDbCapabilities,
) {
    out.put_u32_le(caps.bits());
    out.put_u32_le(max_packet);
    out.put_u8(charset);
    out.put_bytes(0, 19);
    if caps.contains(CapabilityFlags::LONG_PASSWORD) {
        out.put_u32_le(0);
    } else {
        out.put_u32_le(ext.bits());
    }
}

/// Encodes an SSLRequest (the first 32 bytes of a HandshakeResponse41, CLIENT_SSL set).
pub fn encode_ssl_request(
    caps: CapabilityFlags,
    max_packet: u32,
    charset: u8,
    ext: MariaDbCapabilities,
    out: &mut BytesMut,
) {
    put_fixed_head(out, caps | CapabilityFlags::SSL, max_packet, charset, ext);
}

/// Encodes a HandshakeResponse41 with the fields its capabilities call for.
pub fn encode_handshake_response(r: &HandshakeResponse, out: &mut BytesMut) {
    let caps = r.capabilities;
    // The attribute block's length prefix needs its size; computing it also sizes the buffer
    // once, so no part of the packet is copied twice.
    let block = attributes_size(&r.attributes);
    out.reserve(
        32 + r.user.len()
            + 1
            + lenenc_str_size(r.auth_response.len())
            + r.database.as_ref().map_or(0, |d| d.len() + 1)
            + r.auth_plugin.as_ref().map_or(1, |p| p.len() + 1)
            + lenenc_str_size(block),
    );
    put_fixed_head(
        out,
        caps,
        r.max_packet_size,
        r.charset,
        r.mariadb_capabilities,
    );
    put_nul_bytes(out, &r.user);
    if caps.contains(CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        put_lenenc_bytes(out, &r.auth_response);
    } else if caps.contains(CapabilityFlags::SECURE_CONNECTION) {
        let n = u8::try_from(r.auth_response.len()).unwrap_or(u8::MAX);
        out.put_u8(n);
        out.put_slice(r.auth_response.get(..usize::from(n)).unwrap_or(&[]));
    } else {
        put_nul_bytes(out, &r.auth_response);
    }
    if caps.contains(CapabilityFlags::CONNECT_WITH_DB) {
        put_nul_bytes(out, r.database.as_deref().unwrap_or(&[]));
    }
    // The parser takes a missing tail (no plugin name, no attributes) as absent, so write
    // each part only when there is something to say; an attribute block needs a name before it
    // (an empty one if none was given: the wire cannot say "attributes but no plugin"). The
    // zstd level comes last, so with it every part its capabilities call for is written.
    let zstd = caps.contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM);
    let attrs = caps.contains(CapabilityFlags::CONNECT_ATTRS) && (zstd || !r.attributes.is_empty());
    if caps.contains(CapabilityFlags::PLUGIN_AUTH) {
        match &r.auth_plugin {
            Some(p) => put_nul_bytes(out, p),
            None if attrs || zstd => put_nul_bytes(out, &[]),
            None => {}
        }
    }
    if attrs {
        put_attributes(out, &r.attributes, block);
    }
    if zstd {
        out.put_u8(r.zstd_level.unwrap_or(3));
    }
}

/// Connection attributes as the wire carries them: key, value.
pub type Attributes = Vec<(Cow<'static, str>, Cow<'static, str>)>;

/// The size of an attribute block's key-value pairs (what its length prefix says).
fn attributes_size(attrs: &[(Cow<'static, str>, Cow<'static, str>)]) -> usize {
    attrs
        .iter()
        .map(|(k, v)| lenenc_str_size(k.len()) + lenenc_str_size(v.len()))
        .sum()
}

/// Appends an attribute block: its length (`block`, from [`attributes_size`]), then each key
/// and value as `string<lenenc>`.
fn put_attributes(
    out: &mut BytesMut,
    attrs: &[(Cow<'static, str>, Cow<'static, str>)],
    block: usize,
) {
    put_lenenc(out, block as u64);
    for (k, v) in attrs {
        put_lenenc_bytes(out, k.as_bytes());
        put_lenenc_bytes(out, v.as_bytes());
    }
}

/// Reads an attribute block (its length prefix, then key-value pairs that fill it exactly).
fn parse_attributes(r: &mut Reader<'_>, packet: Packet) -> ParseResult<Attributes> {
    let attrs = r.lenenc_bytes("connect_attrs_length")?;
    let mut a = Reader::new(attrs, packet);
    let mut out = Vec::new();
    while !a.is_empty() {
        let k = lossy(a.lenenc_bytes("connect_attr_key")?);
        let v = lossy(a.lenenc_bytes("connect_attr_value")?);
        out.push((k.into(), v.into()));
    }
    Ok(out)
}

/// A COM_CHANGE_USER command: the session re-authenticates as `user` and starts afresh (the
/// server ends its transaction, drops its temporary tables, prepared statements and user
/// variables). Its response is an authentication exchange, as after a HandshakeResponse41.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeUser {
    /// User name.
    pub user: Vec<u8>,
    /// The auth plugin's first response (at most 255 bytes with CLIENT_SECURE_CONNECTION).
    pub auth_response: Vec<u8>,
    /// The new default schema (empty: none).
    pub database: Vec<u8>,
    /// Collation id (two bytes here, one in the handshake response).
    pub charset: u16,
    /// Auth plugin name (sent with CLIENT_PLUGIN_AUTH).
    pub auth_plugin: Option<Vec<u8>>,
    /// Connection attributes (sent with CLIENT_CONNECT_ATTRS).
    pub attributes: Attributes,
}

/// Encodes COM_CHANGE_USER, command byte first, for a connection with the negotiated
/// capabilities `caps`. Returns false, writing nothing, when the auth response is longer
/// than the one-byte length CLIENT_SECURE_CONNECTION gives it (255 bytes).
pub fn encode_change_user(c: &ChangeUser, caps: CapabilityFlags, out: &mut BytesMut) -> bool {
    let secure = caps.contains(CapabilityFlags::SECURE_CONNECTION);
    if secure && c.auth_response.len() > usize::from(u8::MAX) {
        return false;
    }
    let block = attributes_size(&c.attributes);
    out.reserve(
        1 + c.user.len()
            + 1
            + 1
            + c.auth_response.len()
            + c.database.len()
            + 1
            + 2
            + c.auth_plugin.as_ref().map_or(1, |p| p.len() + 1)
            + lenenc_str_size(block),
    );
    out.put_u8(super::command::COM_CHANGE_USER);
    put_nul_bytes(out, &c.user);
    if secure {
        // Checked above: the length fits.
        out.put_u8(u8::try_from(c.auth_response.len()).unwrap_or(u8::MAX));
        out.put_slice(&c.auth_response);
    } else {
        put_nul_bytes(out, &c.auth_response);
    }
    put_nul_bytes(out, &c.database);
    out.put_u16_le(c.charset);
    if caps.contains(CapabilityFlags::PLUGIN_AUTH) {
        put_nul_bytes(out, c.auth_plugin.as_deref().unwrap_or(&[]));
    }
    if caps.contains(CapabilityFlags::CONNECT_ATTRS) {
        put_attributes(out, &c.attributes, block);
    }
    true
}

/// Parses a COM_CHANGE_USER (command byte included) sent on a connection with the negotiated
/// capabilities `caps` (traces, test servers, fuzzing). The part after the database is
/// optional on the wire (pre-4.1 clients end there).
pub fn parse_change_user(payload: &[u8], caps: CapabilityFlags) -> ParseResult<ChangeUser> {
    let mut r = Reader::new(payload, Packet::ChangeUser);
    if r.u8("command")? != super::command::COM_CHANGE_USER {
        return Err(r.error("command", ErrorKind::InvalidValue));
    }
    let mut out = ChangeUser {
        user: r.nul_bytes("user")?.to_vec(),
        ..ChangeUser::default()
    };
    out.auth_response = if caps.contains(CapabilityFlags::SECURE_CONNECTION) {
        let n = r.u8("auth_plugin_data_len")?;
        r.take(usize::from(n), "auth_plugin_data")?.to_vec()
    } else {
        r.nul_bytes("auth_plugin_data")?.to_vec()
    };
    out.database = r.nul_bytes("database")?.to_vec();
    if r.is_empty() {
        return Ok(out);
    }
    out.charset = r.u16("character_set")?;
    if caps.contains(CapabilityFlags::PLUGIN_AUTH) && !r.is_empty() {
        out.auth_plugin = Some(r.nul_bytes("auth_plugin_name")?.to_vec());
    }
    if caps.contains(CapabilityFlags::CONNECT_ATTRS) && !r.is_empty() {
        out.attributes = parse_attributes(&mut r, Packet::ChangeUser)?;
    }
    r.finish("change_user")?;
    Ok(out)
}

/// The encoded size of a `string<lenenc>` of `n` bytes.
fn lenenc_str_size(n: usize) -> usize {
    lenenc_size(n as u64).saturating_add(n)
}

/// What the client sent first: an SSLRequest (32 bytes) or a full HandshakeResponse41.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientHello {
    /// An SSLRequest: TLS starts next.
    SslRequest(HandshakeResponse),
    /// A HandshakeResponse41.
    Response(HandshakeResponse),
}

/// Parses the client's first packet (for traces, test servers and fuzzing).
pub fn parse_client_hello(payload: &[u8]) -> ParseResult<ClientHello> {
    let mut r = Reader::new(payload, Packet::HandshakeResponse);
    let caps = CapabilityFlags(r.u32("capability_flags")?);
    if !caps.contains(CapabilityFlags::PROTOCOL_41) {
        return Err(r.error("capability_flags", ErrorKind::InvalidValue));
    }
    let mut out = HandshakeResponse {
        capabilities: caps,
        max_packet_size: r.u32("max_packet_size")?,
        charset: r.u8("character_set")?,
        ..Default::default()
    };
    r.skip(19, "filler")?;
    let ext = r.u32("mariadb_capabilities")?;
    if !caps.contains(CapabilityFlags::LONG_PASSWORD) {
        out.mariadb_capabilities = MariaDbCapabilities(ext);
    }
    if r.is_empty() && caps.contains(CapabilityFlags::SSL) {
        return Ok(ClientHello::SslRequest(out));
    }
    out.user = r.nul_bytes("username")?.to_vec();
    out.auth_response = if caps.contains(CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        r.lenenc_bytes("auth_response")?.to_vec()
    } else if caps.contains(CapabilityFlags::SECURE_CONNECTION) {
        let n = r.u8("auth_response_length")?;
        r.take(usize::from(n), "auth_response")?.to_vec()
    } else {
        r.nul_bytes("auth_response")?.to_vec()
    };
    if caps.contains(CapabilityFlags::CONNECT_WITH_DB) {
        out.database = Some(r.nul_bytes("database")?.to_vec());
    }
    if caps.contains(CapabilityFlags::PLUGIN_AUTH) && !r.is_empty() {
        out.auth_plugin = Some(r.nul_bytes("client_plugin_name")?.to_vec());
    }
    if caps.contains(CapabilityFlags::CONNECT_ATTRS) && !r.is_empty() {
        out.attributes = parse_attributes(&mut r, Packet::HandshakeResponse)?;
    }
    // With zstd the level byte is required (the server reads it), and the encoder writes it.
    if caps.contains(CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM) {
        out.zstd_level = Some(r.u8("zstd_compression_level")?);
    }
    r.finish("handshake_response")?;
    Ok(ClientHello::Response(out))
}

/// An AuthSwitchRequest: 0xFE, plugin name, plugin data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitch {
    /// The plugin to switch to.
    pub plugin: String,
    /// Its data (a new nonce), trailing NUL removed.
    pub data: Vec<u8>,
}

/// Parses an AuthSwitchRequest payload (starting with 0xFE).
pub fn parse_auth_switch(payload: &[u8]) -> ParseResult<AuthSwitch> {
    let mut r = Reader::new(payload, Packet::AuthSwitch);
    if r.u8("header")? != 0xFE {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    if r.is_empty() {
        // The old (pre-4.1) "switch to mysql_old_password" request: refuse clearly.
        return Err(r.error("plugin_name", ErrorKind::Truncated));
    }
    let plugin = lossy(r.nul_bytes("plugin_name")?);
    let data = r.eof_bytes();
    let data = data.strip_suffix(&[0]).unwrap_or(data).to_vec();
    Ok(AuthSwitch { plugin, data })
}

/// Encodes an AuthSwitchRequest (test servers, fuzz round-trips).
pub fn encode_auth_switch(s: &AuthSwitch, out: &mut BytesMut) {
    out.put_u8(0xFE);
    put_nul_bytes(out, s.plugin.as_bytes());
    out.put_slice(&s.data);
    out.put_u8(0);
}

/// Parses AuthMoreData (0x01 + data) and returns the data.
pub fn parse_auth_more_data(payload: &[u8]) -> ParseResult<&[u8]> {
    let mut r = Reader::new(payload, Packet::AuthMoreData);
    if r.u8("header")? != 0x01 {
        return Err(r.error("header", ErrorKind::InvalidValue));
    }
    Ok(r.eof_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mariadb_greeting() -> Handshake {
        Handshake {
            protocol_version: 10,
            server_version: "5.5.5-10.11.19-MariaDB-0+deb12u1".into(),
            connection_id: 42,
            nonce: (1..=20).collect(),
            capabilities: CapabilityFlags(0x81fff7fe),
            charset: 8,
            status: StatusFlags::AUTOCOMMIT,
            mariadb_capabilities: MariaDbCapabilities(0x1d),
            auth_plugin: Some("mysql_native_password".into()),
        }
    }

    #[test]
    fn greeting_round_trips_and_is_mariadb() {
        let hs = mariadb_greeting();
        let mut b = BytesMut::new();
        encode_handshake(&hs, &mut b);
        let back = parse_handshake(&b).unwrap();
        assert_eq!(back, hs);
        assert!(back.is_mariadb());
        assert_eq!(back.display_version(), "10.11.19-MariaDB-0+deb12u1");
    }

    #[test]
    fn auth_data_len_above_127_does_not_panic() {
        // A trap seen in peers: i8 arithmetic on this byte. 128..=255 must just work.
        for len in [0u8, 7, 8, 21, 128, 135, 255] {
            let mut b = BytesMut::new();
            encode_handshake(&mariadb_greeting(), &mut b);
            let pos = 1 + "5.5.5-10.11.19-MariaDB-0+deb12u1".len() + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2;
            b[pos] = len;
            let _ = parse_handshake(&b);
        }
    }

    #[test]
    fn truncated_greetings_are_errors() {
        let mut b = BytesMut::new();
        encode_handshake(&mariadb_greeting(), &mut b);
        for n in 0..20 {
            assert!(parse_handshake(&b[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn response_round_trips() {
        let r = HandshakeResponse {
            capabilities: CapabilityFlags(0x01ae_a205)
                | CapabilityFlags::CONNECT_WITH_DB
                | CapabilityFlags::CONNECT_ATTRS,
            max_packet_size: 1 << 24,
            charset: 45,
            mariadb_capabilities: MariaDbCapabilities::empty(),
            user: b"root".to_vec(),
            auth_response: vec![7; 20],
            database: Some(b"test".to_vec()),
            auth_plugin: Some(b"mysql_native_password".to_vec()),
            attributes: vec![("_client_name".into(), "mywire".into())],
            zstd_level: None,
        };
        let mut b = BytesMut::new();
        encode_handshake_response(&r, &mut b);
        assert_eq!(parse_client_hello(&b).unwrap(), ClientHello::Response(r));
    }

    #[test]
    fn the_zstd_level_comes_last_after_every_part() {
        // No attributes and no plugin name: with zstd both are still written (an empty name,
        // an empty attribute block), or the server would read the level as one of them.
        let r = HandshakeResponse {
            capabilities: CapabilityFlags(0x01ae_a205)
                | CapabilityFlags::CONNECT_ATTRS
                | CapabilityFlags::PLUGIN_AUTH
                | CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM,
            max_packet_size: 1 << 24,
            charset: 45,
            user: b"u".to_vec(),
            zstd_level: Some(7),
            ..Default::default()
        };
        let mut b = BytesMut::new();
        encode_handshake_response(&r, &mut b);
        assert_eq!(
            b[b.len() - 3..],
            [0, 0, 7],
            "empty name, empty block, level"
        );
        let ClientHello::Response(back) = parse_client_hello(&b).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(back.zstd_level, Some(7));
        assert_eq!(back.auth_plugin, Some(Vec::new()));
    }

    #[test]
    fn auth_switch_round_trips() {
        let s = AuthSwitch {
            plugin: "caching_sha2_password".into(),
            data: vec![9; 20],
        };
        let mut b = BytesMut::new();
        encode_auth_switch(&s, &mut b);
        assert_eq!(parse_auth_switch(&b).unwrap(), s);
        assert!(parse_auth_switch(&[0xFE]).is_err());
    }
}
