//! Seeds of the `compressed` target: a real compressed session's wire bytes (both directions,
//! as the tracer saw them after the OK that ends authentication), and streams built with the
//! library's `Deflater` (zstd, which MariaDB does not speak), a decompression bomb, length
//! lies, a corrupt payload and a packet cut short.
//!
//! The target's input: a flags byte (bit 0: zstd), then chunks `[hdr][len][bytes]` (`hdr` bit
//! 7: server to client; length = (`hdr` & 0x7F) << 8 | `len`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use mywire::codec::compress::{Algorithm, Deflater};
use mywire::codec::frame::PacketCodec;
use mywire::trace::{CompressedEvent, Direction, PacketEvent, Tracer};
use mywire::{Options, Session};

/// Chunks of the target's input.
#[derive(Default)]
struct Input(Vec<u8>);

impl Input {
    fn new(algorithm: Algorithm) -> Self {
        Input(vec![u8::from(algorithm == Algorithm::Zstd)])
    }

    fn chunk(&mut self, dir: Direction, bytes: &[u8]) {
        for piece in bytes.chunks(0x7FFF) {
            let [hi, lo] = u16::try_from(piece.len()).expect("short").to_be_bytes();
            let d = if dir == Direction::ServerToClient {
                0x80
            } else {
                0
            };
            self.0.push(d | hi);
            self.0.push(lo);
            self.0.extend_from_slice(piece);
        }
    }
}

struct Wire(Arc<Mutex<Input>>);

impl Tracer for Wire {
    fn packet(&mut self, _: &PacketEvent<'_>) {}
    fn compressed(&mut self, ev: &CompressedEvent<'_>) {
        self.0.lock().expect("lock").chunk(ev.direction, ev.wire);
    }
}

fn framed(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut c = PacketCodec::default();
    c.set_seq(seq);
    let mut b = BytesMut::new();
    c.encode_parts(&[payload], &mut b);
    b.to_vec()
}

fn zipped(a: Algorithm, plain: &[u8], seq: u8) -> Vec<u8> {
    let mut out = BytesMut::new();
    Deflater::new(a, 6).frame(plain, seq, &mut out);
    out.to_vec()
}

/// A compressed packet with the header given around `payload`.
fn packet(seq: u8, uncompressed_len: usize, payload: &[u8]) -> Vec<u8> {
    let [c0, c1, c2, ..] = payload.len().to_le_bytes();
    let [u0, u1, u2, ..] = uncompressed_len.to_le_bytes();
    let mut out = vec![c0, c1, c2, seq, u0, u1, u2];
    out.extend_from_slice(payload);
    out
}

/// `plain` deflated as one payload (no framing).
fn raw(a: Algorithm, plain: &[u8]) -> Vec<u8> {
    let z = zipped(a, plain, 0);
    z.get(7..).expect("packet").to_vec()
}

/// A query, a result of many rows in one compressed packet, and a ping.
fn synthetic(a: Algorithm) -> Input {
    let mut i = Input::new(a);
    i.chunk(
        Direction::ClientToServer,
        &zipped(
            a,
            &framed(0, b"\x03SELECT seq FROM seq_1_to_100 -- padding padding"),
            0,
        ),
    );
    let mut r = framed(1, &[1]);
    r.extend(framed(
        2,
        b"\x03def\x00\x00\x00\x03seq\x00\x0c\x3f\x00\x14\x00\x00\x00\x08\x01\x00\x00\x00\x00",
    ));
    for n in 1..=100u8 {
        let cell = n.to_string();
        let mut row = vec![u8::try_from(cell.len()).expect("short")];
        row.extend_from_slice(cell.as_bytes());
        r.extend(framed(n.wrapping_add(2), &row));
    }
    r.extend(framed(103, &[0xFE, 0, 0, 2, 0, 0, 0]));
    let (head, tail) = r.split_at(r.len() / 2);
    i.chunk(Direction::ServerToClient, &zipped(a, head, 1));
    i.chunk(Direction::ServerToClient, &zipped(a, tail, 2));
    i.chunk(
        Direction::ClientToServer,
        &zipped(a, &framed(0, &[0x0e]), 0),
    );
    i.chunk(
        Direction::ServerToClient,
        &zipped(a, &framed(1, &[0, 0, 0, 2, 0, 0, 0]), 1),
    );
    i
}

fn write(dir: &Path, name: &str, input: &Input) {
    std::fs::write(dir.join(format!("seed-{name}")), &input.0).expect("write seed");
}

/// Writes the seeds to `corpus/compressed/`; the recorded session is made against `url`.
pub async fn record(url: &str, corpus: &Path) {
    let dir = corpus.join("compressed");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let rec = Arc::new(Mutex::new(Input::new(Algorithm::Zlib)));
    let sep = if url.contains('?') { '&' } else { '?' };
    let opts =
        Options::from_url(&format!("{url}{sep}compress=zlib&ssl-mode=DISABLED")).expect("URL");
    let mut s = Session::connect_traced(opts, Some(Box::new(Wire(rec.clone()))))
        .await
        .expect("connect");
    for sql in [
        "SELECT 1 AS a, 'x' AS b",
        "SELECT seq, CONCAT('row-', seq) FROM seq_1_to_100",
        "SELECT REPEAT('abcdefgh', 2500) AS big",
        "SELECT nosuchcolumn",
        "DO 1",
    ] {
        if let Ok(r) = s.query(sql).await {
            r.drain().await.expect("drain");
        }
    }
    s.close().await.expect("close");
    write(&dir, "recorded-zlib", &rec.lock().expect("lock"));
    for a in [Algorithm::Zlib, Algorithm::Zstd] {
        let name = a.as_str();
        let good = synthetic(a);
        write(&dir, &format!("{name}-rows"), &good);
        let q = zipped(a, &framed(0, b"\x03SELECT 1"), 0);
        let bad = |payload: Vec<u8>| {
            let mut i = Input::new(a);
            i.chunk(Direction::ClientToServer, &q);
            i.chunk(Direction::ServerToClient, &payload);
            i.chunk(
                Direction::ClientToServer,
                &zipped(a, &framed(0, &[0x0e]), 0),
            );
            i.chunk(
                Direction::ServerToClient,
                &zipped(a, &framed(1, &[0, 0, 0, 2, 0, 0, 0]), 1),
            );
            i
        };
        // A bomb: 100 bytes announced, 16 MiB of zeros inside.
        let zeros = vec![0u8; 0xFF_FFFF];
        write(
            &dir,
            &format!("{name}-bomb"),
            &bad(packet(1, 100, &raw(a, &zeros))),
        );
        // Lies: more announced than inside, and the most the format can say.
        write(
            &dir,
            &format!("{name}-lie-short"),
            &bad(packet(1, 5000, &raw(a, &[7; 100]))),
        );
        write(
            &dir,
            &format!("{name}-lie-max"),
            &bad(packet(1, 0xFF_FFFF, &raw(a, b"x"))),
        );
        // Corrupt, and a packet cut short.
        let mut corrupt = raw(a, &[9; 400]);
        if let Some(b) = corrupt.get_mut(5) {
            *b ^= 0x55;
        }
        write(
            &dir,
            &format!("{name}-corrupt"),
            &bad(packet(1, 400, &corrupt)),
        );
        let mut cut = good.0.clone();
        cut.truncate(cut.len() - 9);
        write(&dir, &format!("{name}-cut"), &Input(cut));
    }
}
