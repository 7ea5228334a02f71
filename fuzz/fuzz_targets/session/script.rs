//! The scripted server of the whole-session target: a greeting from fields (or an ERR in its
//! place), then packets of every kind, framed validly most of the time and broken (wrong
//! sequence ids, lying or missing headers, cut payloads) some of the time.

use arbitrary::Arbitrary;
use bytes::BytesMut;
use mywire::codec::compress::Deflater;
use mywire::codec::flags::{CapabilityFlags, MariaDbCapabilities, StatusFlags};
use mywire::codec::handshake::{encode_auth_switch, encode_handshake, AuthSwitch, Handshake};
use mywire::codec::response::{encode_eof, encode_err, encode_ok, EofPacket, ErrPacket, OkPacket};
use mywire::codec::resultset::{encode_row, ColumnFields};
use mywire::codec::writer::put_lenenc;
use mywire::codec::{ColumnFlags, ColumnType};
use mywire::Compression;

use super::stmt::{self, FParam};
use super::Input;

#[derive(Arbitrary, Debug)]
pub enum Plugin {
    None,
    Native,
    CachingSha2,
    Sha256,
    Clear,
    Ed25519,
    UnixSocket,
    Other(String),
}

impl Plugin {
    pub fn name(&self) -> Option<String> {
        Some(
            match self {
                Plugin::None => return None,
                Plugin::Native => "mysql_native_password",
                Plugin::CachingSha2 => "caching_sha2_password",
                Plugin::Sha256 => "sha256_password",
                Plugin::Clear => "mysql_clear_password",
                Plugin::Ed25519 => "client_ed25519",
                Plugin::UnixSocket => "unix_socket",
                Plugin::Other(s) => s,
            }
            .to_string(),
        )
    }
}

#[derive(Arbitrary, Debug)]
pub struct Greeting {
    /// An ERR packet (code, message) instead of a greeting.
    pub err_instead: Option<(u16, String)>,
    pub version: String,
    pub connection_id: u32,
    pub nonce: [u8; 20],
    pub extra_nonce: Vec<u8>,
    pub caps: u32,
    /// Clear CLIENT_PROTOCOL_41 (the client must refuse).
    pub no_protocol41: bool,
    pub charset: u8,
    pub status: u16,
    pub mariadb_caps: u32,
    pub plugin: Plugin,
}

#[derive(Arbitrary, Debug)]
pub enum Body {
    Ok {
        fe: bool,
        affected: u64,
        last_id: u64,
        status: u16,
        warnings: u16,
        info: String,
    },
    Err {
        code: u16,
        state: Option<[u8; 5]>,
        message: String,
    },
    Eof {
        warnings: u16,
        status: u16,
    },
    ColumnCount(u64),
    Column {
        name: Vec<u8>,
        table: Vec<u8>,
        ty: u8,
        flags: u16,
        charset: u16,
        len: u32,
        dec: u8,
    },
    Row(Vec<Option<Vec<u8>>>),
    LocalInfile(Vec<u8>),
    AuthSwitch {
        plugin: Plugin,
        data: Vec<u8>,
    },
    AuthMore(Vec<u8>),
    Raw(Vec<u8>),
    /// COM_STMT_PREPARE_OK (12 bytes, or the 9-byte form).
    PrepareOk {
        id: u32,
        columns: u8,
        params: u8,
        warnings: u16,
        short: bool,
    },
    /// A binary row of these values (header, NULL bitmap, values).
    BinaryRow(Vec<FParam>),
}

/// How the packets after the connection phase's OK are put in compressed packets when
/// compression is negotiated: each response (a packet whose `seq_sel` says "first reply to a
/// new command") starts a compressed packet with compressed sequence id 1, the packets after
/// it join it; one of them may be broken.
#[derive(Arbitrary, Debug, Default)]
pub struct Zip {
    /// Break compressed packet `.0` (mod the count): 0 sequence id + `.2`, 1 uncompressed
    /// length `.2` (24 bits), 2 payload length `.2` (24 bits), 3 payload cut to `.2` bytes,
    /// 4 sequence id left unchanged but the payload sent as announced compressed while raw.
    pub lie: Option<(u8, u8, u32)>,
    /// Start a new compressed packet after every packet, not only at responses.
    pub one_per_packet: bool,
}

/// The algorithm the engine will choose: the first of `prefs` the greeting offers.
fn chosen(prefs: &[Compression], caps: u32) -> Option<Compression> {
    let caps = CapabilityFlags(caps);
    prefs.iter().copied().find(|a| {
        caps.contains(match a {
            Compression::Zlib => CapabilityFlags::COMPRESS,
            Compression::Zstd => CapabilityFlags::ZSTD_COMPRESSION_ALGORITHM,
        })
    })
}

/// Puts `groups` (runs of framed packets, each a compressed packet's worth) into compressed
/// packets, breaking one as `zip.lie` says.
fn compressed(algo: Compression, groups: &[Vec<u8>], zip: &Zip, wire: &mut Vec<u8>) {
    let mut d = Deflater::new(algo, algo.default_level());
    let mut out = BytesMut::new();
    let broken = zip
        .lie
        .map(|(n, _, _)| usize::from(n) % groups.len().max(1));
    for (i, g) in groups.iter().enumerate() {
        out.clear();
        d.frame(g, 1, &mut out);
        if let (Some(b), Some((_, kind, arg))) = (broken, zip.lie) {
            if b == i && out.len() >= 7 {
                let a24 = (arg & 0xFF_FFFF).to_le_bytes();
                match kind % 5 {
                    0 => out[3] = out[3].wrapping_add(arg as u8),
                    1 => out[4..7].copy_from_slice(&a24[..3]),
                    2 => out[..3].copy_from_slice(&a24[..3]),
                    3 => out.truncate(7 + (arg as usize).min(out.len() - 7)),
                    _ => {
                        // Raw bytes announced as compressed.
                        let n = g.len().min(0xFF_FFFF) as u32;
                        out.clear();
                        out.extend_from_slice(&n.to_le_bytes()[..3]);
                        out.extend_from_slice(&[1]);
                        out.extend_from_slice(&n.to_le_bytes()[..3]);
                        out.extend_from_slice(&g[..n as usize]);
                    }
                }
            }
        }
        wire.extend_from_slice(&out);
    }
}

#[derive(Arbitrary, Debug)]
pub struct Pkt {
    pub body: Body,
    /// Sequence id: 0..=95 previous + 1, 96..=191 previous + 2 (the client spoke), 192..=239
    /// 1 (first reply to a new command), 240..=255 `arg` as is.
    pub seq_sel: u8,
    /// Framing: 0..=223 valid, 224..=239 payload cut to `arg` bytes (header unchanged),
    /// 240..=247 header length `arg` (24 bits), 248..=255 no header at all.
    pub frame_sel: u8,
    pub arg: u32,
}

/// Encodes `b` into `out` (cleared first; one buffer serves every packet of the script).
pub fn body_bytes(b: &Body, out: &mut BytesMut) {
    out.clear();
    match b {
        Body::Ok {
            fe,
            affected,
            last_id,
            status,
            warnings,
            info,
        } => {
            let ok = OkPacket {
                affected_rows: *affected,
                last_insert_id: *last_id,
                status: StatusFlags(*status),
                warnings: *warnings,
                info: info.clone(),
                session_state: Vec::new(),
            };
            let caps = CapabilityFlags::PROTOCOL_41 | CapabilityFlags::SESSION_TRACK;
            encode_ok(&ok, if *fe { 0xFE } else { 0 }, caps, out);
        }
        Body::Err {
            code,
            state,
            message,
        } => encode_err(
            &ErrPacket {
                code: *code,
                sql_state: *state,
                message: message.clone(),
            },
            out,
        ),
        Body::Eof { warnings, status } => encode_eof(
            &EofPacket {
                warnings: *warnings,
                status: StatusFlags(*status),
            },
            out,
        ),
        Body::ColumnCount(n) => put_lenenc(out, *n),
        Body::Column {
            name,
            table,
            ty,
            flags,
            charset,
            len,
            dec,
        } => ColumnFields {
            catalog: b"def",
            schema: b"",
            table,
            org_table: table,
            name,
            org_name: name,
            extended_metadata: None,
            charset: *charset,
            column_length: *len,
            column_type: ColumnType(*ty),
            flags: ColumnFlags(*flags),
            decimals: *dec,
        }
        .encode(out),
        Body::Row(cells) => {
            let cells: Vec<Option<&[u8]>> = cells.iter().map(|c| c.as_deref()).collect();
            encode_row(&cells, out);
        }
        Body::LocalInfile(name) => {
            out.extend_from_slice(&[0xFB]);
            out.extend_from_slice(name);
        }
        Body::AuthSwitch { plugin, data } => encode_auth_switch(
            &AuthSwitch {
                plugin: plugin.name().unwrap_or_default(),
                data: data.clone(),
            },
            out,
        ),
        Body::AuthMore(d) => {
            out.extend_from_slice(&[0x01]);
            out.extend_from_slice(d);
        }
        Body::Raw(r) => out.extend_from_slice(r),
        Body::PrepareOk {
            id,
            columns,
            params,
            warnings,
            short,
        } => stmt::prepare_ok(*id, *columns, *params, *warnings, *short, out),
        Body::BinaryRow(cells) => stmt::binary_row(cells, out),
    }
}

/// The server's bytes, and where its greeting ends (nothing after it may arrive before the
/// client has answered it: a server sends nothing before the SSLRequest).
pub fn script(inp: &Input) -> (Vec<u8>, usize) {
    let g = &inp.greeting;
    let mut greeting = BytesMut::new();
    match &g.err_instead {
        Some((code, message)) => encode_err(
            &ErrPacket {
                code: *code,
                sql_state: None,
                message: message.clone(),
            },
            &mut greeting,
        ),
        None => {
            let mut caps = g.caps | CapabilityFlags::PROTOCOL_41.bits();
            if g.no_protocol41 {
                caps &= !CapabilityFlags::PROTOCOL_41.bits();
            }
            let mut nonce = g.nonce.to_vec();
            nonce.extend(g.extra_nonce.iter().take(64));
            encode_handshake(
                &Handshake {
                    protocol_version: 10,
                    server_version: g.version.clone(),
                    connection_id: g.connection_id,
                    nonce,
                    capabilities: CapabilityFlags(caps),
                    charset: g.charset,
                    status: StatusFlags(g.status),
                    mariadb_capabilities: MariaDbCapabilities(g.mariadb_caps),
                    auth_plugin: g.plugin.name(),
                },
                &mut greeting,
            );
        }
    }
    let mut wire = Vec::with_capacity(greeting.len() + 4 + 64 * inp.packets.len().min(256));
    let len = greeting.len() as u32;
    wire.extend_from_slice(&len.to_le_bytes()[..3]);
    wire.push(0);
    wire.extend_from_slice(&greeting);
    let greeting_end = wire.len();
    let zip_algo = match &g.err_instead {
        None => chosen(&super::compress_prefs(inp), g.caps),
        Some(_) => None,
    };
    // Once compressed: the framed packets of each compressed packet to be.
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut compressing = false;
    let mut seq: u8 = 0;
    let mut body = BytesMut::new();
    for p in inp.packets.iter().take(256) {
        if compressing
            && (groups.is_empty() || inp.zip.one_per_packet || (192..=239).contains(&p.seq_sel))
        {
            groups.push(Vec::new());
        }
        let at = wire.len();
        body_bytes(&p.body, &mut body);
        seq = match p.seq_sel {
            0..=95 => seq.wrapping_add(1),
            96..=191 => seq.wrapping_add(2),
            192..=239 => 1,
            _ => p.arg as u8,
        };
        let body = &body[..body.len().min(0xFF_FFFE)];
        let mut len = body.len() as u32;
        let mut payload: &[u8] = body;
        match p.frame_sel {
            224..=239 => payload = &body[..body.len().min(p.arg as usize)],
            240..=247 => len = p.arg & 0xFF_FFFF,
            _ => {}
        }
        if p.frame_sel < 248 {
            wire.extend_from_slice(&len.to_le_bytes()[..3]);
            wire.push(seq);
        }
        wire.extend_from_slice(payload);
        if compressing {
            let framed = wire.split_off(at);
            if let Some(g) = groups.last_mut() {
                g.extend_from_slice(&framed);
            }
        } else if zip_algo.is_some() && matches!(p.body, Body::Ok { fe: false, .. }) {
            // The connection phase ends with this OK: what follows is compressed.
            compressing = true;
        }
    }
    if let Some(algo) = zip_algo {
        compressed(algo, &groups, &inp.zip, &mut wire);
    }
    (wire, greeting_end)
}
