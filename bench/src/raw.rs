//! The raw baseline: the least a client can do. It authenticates with mywire's codec
//! (`PacketCodec`, `parse_handshake`, `encode_handshake_response`, the native scramble), then
//! only frames packets: it reads into one big buffer, steps over 4-byte headers, looks at the
//! first bytes of a packet only where the protocol needs them to find the end of a response
//! (`is_result_end`), and never decodes a cell. Synchronous std TCP, no runtime.
//!
//! What it measures is the server's cost plus framing: the limit a client can approach.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use bytes::BytesMut;
use mywire::codec::auth::native::scramble;
use mywire::codec::frame::{PacketCodec, MAX_CHUNK};
use mywire::codec::handshake::{
    encode_handshake_response, parse_auth_switch, parse_handshake, HandshakeResponse,
};
use mywire::codec::{CapabilityFlags, MariaDbCapabilities};

const BUF: usize = 256 * 1024;

fn err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

pub struct Raw {
    s: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    deprecate_eof: bool,
    /// Packets and payload bytes framed since the last reset.
    pub packets: u64,
    pub bytes: u64,
}

/// Where the options come from: `mysql://user:pass@host:port/db`.
pub struct Target {
    pub addr: String,
    pub user: String,
    pub pass: String,
    pub db: String,
}

impl Target {
    pub fn from_url(url: &str) -> Target {
        let o = mywire::Options::from_url(url).expect("url");
        Target {
            addr: format!("{}:{}", o.host, o.port),
            user: o.user,
            pass: o.password.expose().to_string(),
            db: o.database.unwrap_or_default(),
        }
    }
}

impl Raw {
    pub fn connect(t: &Target) -> io::Result<Raw> {
        let mut s = TcpStream::connect(&t.addr)?;
        s.set_nodelay(true)?;
        let mut codec = PacketCodec::new(1 << 30);
        let mut rb = BytesMut::with_capacity(4096);
        let greeting = read_frame(&mut s, &mut codec, &mut rb)?;
        let hs = parse_handshake(&greeting).map_err(|e| err(format!("greeting: {e}")))?;
        let wanted = CapabilityFlags::LONG_PASSWORD
            | CapabilityFlags::LONG_FLAG
            | CapabilityFlags::PROTOCOL_41
            | CapabilityFlags::TRANSACTIONS
            | CapabilityFlags::SECURE_CONNECTION
            | CapabilityFlags::MULTI_RESULTS
            | CapabilityFlags::PLUGIN_AUTH
            | CapabilityFlags::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CapabilityFlags::DEPRECATE_EOF
            | CapabilityFlags::CONNECT_WITH_DB;
        let caps = wanted & hs.capabilities;
        let resp = HandshakeResponse {
            capabilities: caps,
            max_packet_size: 1 << 30,
            charset: 45,
            mariadb_capabilities: MariaDbCapabilities::empty(),
            user: t.user.as_bytes().to_vec(),
            auth_response: scramble(&hs.nonce, t.pass.as_bytes()),
            database: Some(t.db.as_bytes().to_vec()),
            auth_plugin: Some(b"mysql_native_password".to_vec()),
            attributes: Vec::new(),
            zstd_level: None,
        };
        let mut payload = BytesMut::new();
        encode_handshake_response(&resp, &mut payload);
        let mut out = BytesMut::new();
        codec.encode_parts(&[&payload], &mut out);
        s.write_all(&out)?;
        loop {
            let f = read_frame(&mut s, &mut codec, &mut rb)?;
            match f.first() {
                Some(0x00) => break,
                Some(0xFE) => {
                    let sw = parse_auth_switch(&f).map_err(|e| err(format!("auth switch: {e}")))?;
                    if sw.plugin != "mysql_native_password" {
                        return Err(err(format!(
                            "raw baseline: unsupported auth plugin {}",
                            sw.plugin
                        )));
                    }
                    let r = scramble(&sw.data, t.pass.as_bytes());
                    out.clear();
                    codec.encode_parts(&[&r], &mut out);
                    s.write_all(&out)?;
                }
                _ => return Err(err(format!("auth failed: {}", String::from_utf8_lossy(&f)))),
            }
        }
        if !rb.is_empty() {
            return Err(err("raw baseline: bytes after the auth OK"));
        }
        Ok(Raw {
            s,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            deprecate_eof: caps.contains(CapabilityFlags::DEPRECATE_EOF),
            packets: 0,
            bytes: 0,
        })
    }

    /// COM_QUIT, then close.
    pub fn quit(mut self) -> io::Result<()> {
        self.s.write_all(&[1, 0, 0, 0, 0x01])?;
        Ok(())
    }

    // ---- writing ------------------------------------------------------------------------

    /// Sends one command (`parts` concatenated) with sequence id 0, in chunks of at most
    /// MAX_CHUNK bytes, without joining the parts into one buffer.
    pub fn send(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total < 64 * 1024 {
            let mut small = Vec::with_capacity(total + 4);
            put_header(&mut small, total, 0);
            for p in parts {
                small.extend_from_slice(p);
            }
            return self.s.write_all(&small);
        }
        let mut seq = 0u8;
        let mut left = total;
        let mut in_chunk = 0usize;
        let mut hdr = Vec::with_capacity(4);
        let mut need_header = true;
        for p in parts {
            let mut p: &[u8] = p;
            while !p.is_empty() {
                if need_header {
                    let n = left.min(MAX_CHUNK);
                    hdr.clear();
                    put_header(&mut hdr, n, seq);
                    self.s.write_all(&hdr)?;
                    seq = seq.wrapping_add(1);
                    in_chunk = n;
                    need_header = false;
                }
                let k = in_chunk.min(p.len());
                self.s.write_all(&p[..k])?;
                p = &p[k..];
                in_chunk -= k;
                left -= k;
                if in_chunk == 0 {
                    need_header = true;
                }
            }
        }
        // A payload that is an exact multiple of MAX_CHUNK ends with an empty chunk.
        if total.is_multiple_of(MAX_CHUNK) {
            hdr.clear();
            put_header(&mut hdr, 0, seq);
            self.s.write_all(&hdr)?;
        }
        Ok(())
    }

    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.s.write_all(bytes)
    }

    // ---- framing ------------------------------------------------------------------------

    fn fill(&mut self, need: usize) -> io::Result<()> {
        while self.end - self.pos < need {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            let n = self.s.read(&mut self.buf[self.end..])?;
            if n == 0 {
                return Err(err("server closed the connection"));
            }
            self.end += n;
        }
        Ok(())
    }

    /// Frames one logical packet (continuation chunks included) and returns its length and up
    /// to its first 16 bytes; the rest is stepped over without being looked at.
    fn packet(&mut self) -> io::Result<(usize, [u8; 16])> {
        let mut head = [0u8; 16];
        let mut total = 0usize;
        let mut first = true;
        loop {
            self.fill(4)?;
            let h = &self.buf[self.pos..self.pos + 4];
            let len = usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16;
            self.pos += 4;
            if first {
                let k = len.min(16);
                self.fill(k)?;
                head[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
                first = false;
            }
            // Step over the body.
            let mut left = len;
            loop {
                let avail = self.end - self.pos;
                if avail >= left {
                    self.pos += left;
                    break;
                }
                left -= avail;
                self.pos = 0;
                self.end = 0;
                let n = self.s.read(&mut self.buf[..])?;
                if n == 0 {
                    return Err(err("server closed the connection"));
                }
                self.end = n;
            }
            total += len;
            if len < MAX_CHUNK {
                break;
            }
        }
        self.packets += 1;
        self.bytes += total as u64;
        Ok((total, head))
    }

    /// Frames a complete COM_QUERY / COM_STMT_EXECUTE response; returns the number of rows
    /// (packets between the column definitions and the end).
    pub fn response(&mut self) -> io::Result<u64> {
        let (len, h) = self.packet()?;
        let cols = match h[0] {
            0x00 if len >= 7 => return Ok(0),
            0xFF => {
                return Err(err(format!(
                    "server error: {}",
                    String::from_utf8_lossy(&h[..len.min(16)])
                )))
            }
            0xFB => return Err(err("LOCAL INFILE request")),
            b if b < 0xFB => u64::from(b),
            0xFC => u64::from(u16::from_le_bytes([h[1], h[2]])),
            _ => return Err(err("column count too large")),
        };
        for _ in 0..cols {
            self.packet()?;
        }
        if !self.deprecate_eof {
            self.packet()?;
        }
        let mut rows = 0;
        loop {
            let (len, h) = self.packet()?;
            if h[0] == 0xFF {
                return Err(err("server error in rows"));
            }
            // `codec::response::is_result_end`, from the first byte and the length alone.
            let end = h[0] == 0xFE
                && if self.deprecate_eof {
                    len < MAX_CHUNK
                } else {
                    len < 9
                };
            if end {
                return Ok(rows);
            }
            rows += 1;
        }
    }

    /// Reads one OK (COM_PING and friends).
    pub fn ok(&mut self) -> io::Result<()> {
        let (_, h) = self.packet()?;
        match h[0] {
            0x00 => Ok(()),
            _ => Err(err("expected OK")),
        }
    }

    pub fn query(&mut self, sql: &[u8]) -> io::Result<u64> {
        self.send(&[&[0x03], sql])?;
        self.response()
    }

    pub fn ping(&mut self) -> io::Result<()> {
        self.send(&[&[0x0e]])?;
        self.ok()
    }

    /// COM_STMT_PREPARE; frames the parameter and column definitions; returns the statement id.
    pub fn prepare(&mut self, sql: &[u8]) -> io::Result<u32> {
        self.send(&[&[0x16], sql])?;
        let (_, h) = self.packet()?;
        if h[0] != 0 {
            return Err(err("prepare failed"));
        }
        let id = u32::from_le_bytes([h[1], h[2], h[3], h[4]]);
        let cols = u16::from_le_bytes([h[5], h[6]]);
        let params = u16::from_le_bytes([h[7], h[8]]);
        for n in [params, cols] {
            for _ in 0..n {
                self.packet()?;
            }
            if n > 0 && !self.deprecate_eof {
                self.packet()?;
            }
        }
        Ok(id)
    }

    /// COM_STMT_EXECUTE without parameters; frames the binary result set.
    pub fn execute(&mut self, id: u32) -> io::Result<u64> {
        let mut p = [0u8; 10];
        p[0] = 0x17;
        p[1..5].copy_from_slice(&id.to_le_bytes());
        p[5] = 0; // CURSOR_TYPE_NO_CURSOR
        p[6..10].copy_from_slice(&1u32.to_le_bytes());
        self.send(&[&p])?;
        self.response()
    }

    /// COM_STMT_EXECUTE with `n` (< 9) non-NULL parameters: their types (two bytes each) and
    /// their binary values, already encoded; frames the response (an OK for an INSERT).
    pub fn execute_params(
        &mut self,
        id: u32,
        n: u8,
        types: &[u8],
        values: &[u8],
    ) -> io::Result<u64> {
        let mut p = [0u8; 12];
        p[0] = 0x17;
        p[1..5].copy_from_slice(&id.to_le_bytes());
        p[5] = 0;
        p[6..10].copy_from_slice(&1u32.to_le_bytes());
        p[10] = 0; // null bitmap: one byte for up to 8 parameters, none NULL
        p[11] = 1; // new params bound
        debug_assert!(n > 0 && n < 9 && types.len() == 2 * usize::from(n));
        self.send(&[&p, types, values])?;
        self.response()
    }

    /// COM_STMT_EXECUTE with one LONG_BLOB parameter.
    pub fn execute_blob(&mut self, id: u32, blob: &[u8]) -> io::Result<u64> {
        let mut p = Vec::with_capacity(32);
        p.push(0x17);
        p.extend_from_slice(&id.to_le_bytes());
        p.push(0);
        p.extend_from_slice(&1u32.to_le_bytes());
        p.push(0); // null bitmap (1 parameter)
        p.push(1); // new params bound
        p.extend_from_slice(&[0xFB, 0x00]); // MYSQL_TYPE_LONG_BLOB
        lenenc(&mut p, blob.len() as u64);
        self.send(&[&p, blob])?;
        self.response()
    }
}

fn put_header(v: &mut Vec<u8>, len: usize, seq: u8) {
    v.extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, seq]);
}

fn lenenc(v: &mut Vec<u8>, n: u64) {
    if n < 251 {
        v.push(n as u8);
    } else if n < 1 << 16 {
        v.push(0xFC);
        v.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n < 1 << 24 {
        v.push(0xFD);
        v.extend_from_slice(&n.to_le_bytes()[..3]);
    } else {
        v.push(0xFE);
        v.extend_from_slice(&n.to_le_bytes());
    }
}

fn read_frame(
    s: &mut TcpStream,
    codec: &mut PacketCodec,
    rb: &mut BytesMut,
) -> io::Result<bytes::Bytes> {
    loop {
        if let Some(f) = codec
            .decode_frame(rb)
            .map_err(|e| err(format!("framing: {e}")))?
        {
            return Ok(f.payload);
        }
        let mut tmp = [0u8; 4096];
        let n = s.read(&mut tmp)?;
        if n == 0 {
            return Err(err("server closed the connection"));
        }
        rb.extend_from_slice(&tmp[..n]);
    }
}

/// Encodes `n` COM_QUERY packets of `sql` back to back (for pipelining).
pub fn encode_queries(sql: &[u8], n: usize, out: &mut Vec<u8>) {
    for _ in 0..n {
        put_header(out, sql.len() + 1, 0);
        out.push(0x03);
        out.extend_from_slice(sql);
    }
}
