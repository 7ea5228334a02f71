//! Records real server packets as fuzz seeds.
//!
//! `record-seeds [URL] [CORPUS_DIR]` (default `mysql://root@127.0.0.1:3306/` and `fuzz/corpus`)
//! connects with a tracer, runs a few statements covering many column types, an error, an OK
//! and a multi-result, and writes each packet payload, in the input format of the target that
//! parses it, to `CORPUS_DIR/<target>/seed-<kind>-<n>`.
//!
//! `record-seeds --session URL [CORPUS_DIR]` records a prepared-statement exchange instead, as
//! seeds of the whole-session target (module `session`), with and without DEPRECATE_EOF.
//!
//! `record-seeds --compressed URL [CORPUS_DIR]` records a compressed session's wire bytes and
//! builds zlib and zstd streams (bombs and length lies among them) as seeds of the
//! `compressed` target (module `compressed`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mywire::codec::resultset::{parse_column_definition, RowCells};
use mywire::trace::{Direction, PacketEvent, Phase, Tracer};
use mywire::{Options, Session};

mod compressed;
mod session;

#[derive(Default)]
struct Rec {
    dir: PathBuf,
    n: usize,
    caps: u32,
    /// Column definitions still expected, then column types of the current result set.
    left: u64,
    types: Vec<(u8, u16)>,
    in_rows: bool,
}

impl Rec {
    fn write(&mut self, target: &str, kind: &str, bytes: &[u8]) {
        let d = self.dir.join(target);
        std::fs::create_dir_all(&d).expect("corpus dir");
        self.n += 1;
        std::fs::write(d.join(format!("seed-{kind}-{:03}", self.n)), bytes).expect("write seed");
    }

    fn with_caps(&self, p: &[u8]) -> Vec<u8> {
        let mut v = self.caps.to_le_bytes().to_vec();
        v.extend_from_slice(p);
        v
    }

    fn server_packet(&mut self, phase: Phase, p: &[u8]) {
        match (phase, p.first()) {
            (Phase::Handshake, _) => self.write("handshake", "greeting", p),
            (Phase::Auth, Some(0xFE)) | (Phase::Auth, Some(0x01)) => {
                self.write("auth_switch", "auth", p)
            }
            (Phase::Auth, _) => self.write("ok_err_eof", "auth-ok", &self.with_caps(p)),
            (Phase::Command, _) if self.left > 0 => {
                self.left -= 1;
                let mut v = vec![0u8];
                v.extend_from_slice(p);
                self.write("column_definition", "coldef", &v);
                if let Ok(c) = parse_column_definition(&Bytes::copy_from_slice(p), false) {
                    self.types.push((c.column_type.0, c.flags.0));
                }
                self.in_rows = self.left == 0;
            }
            (Phase::Command, Some(0xFE))
            | (Phase::Command, Some(0xFF))
            | (Phase::Command, Some(0x00))
                if p.len() < 0xFF_FFFF =>
            {
                self.write("ok_err_eof", "response", &self.with_caps(p));
                self.in_rows = false;
            }
            (Phase::Command, _) if self.in_rows => {
                let n = self.types.len();
                let flags = self.types.first().map_or(0, |t| t.1);
                let mut v = vec![n as u8];
                v.extend_from_slice(&flags.to_le_bytes());
                v.extend_from_slice(p);
                self.write("row", "row", &v);
                let mut cells = RowCells::new();
                if cells.parse(p, n).is_ok() {
                    for (i, &(ty, fl)) in self.types.clone().iter().enumerate() {
                        if let Some(cell) = cells.get(p, i) {
                            let mut v = vec![ty];
                            v.extend_from_slice(&fl.to_le_bytes());
                            v.extend_from_slice(cell);
                            self.write("value", "cell", &v);
                        }
                    }
                }
            }
            (Phase::Command, _) => {
                // A column count starts a result set.
                self.write("ok_err_eof", "colcount", &self.with_caps(p));
                let mut r = mywire::codec::Reader::new(p, mywire::codec::Packet::ColumnCount);
                self.left = r.lenenc("column_count").unwrap_or(0);
                self.types.clear();
            }
        }
    }
}

struct Shared(Arc<Mutex<Rec>>);

impl Tracer for Shared {
    fn packet(&mut self, e: &PacketEvent<'_>) {
        let mut r = self.0.lock().expect("lock");
        match e.direction {
            Direction::ServerToClient => r.server_packet(e.phase, e.payload),
            Direction::ClientToServer if e.phase == Phase::Handshake => {
                r.caps = e
                    .payload
                    .get(..4)
                    .map_or(0, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                r.write("client_hello", "hello", e.payload);
            }
            Direction::ClientToServer => {}
        }
    }
}

const STATEMENTS: &[&str] = &[
    "SELECT 1 AS a, -5 AS b, 3.14 AS c, 1e10 AS d, 'text' AS e, NULL AS f",
    "SELECT NOW(6), CURDATE(), CURTIME(), CAST('-838:59:59.5' AS TIME(1)), TIMESTAMP'2024-02-29 12:34:56.789'",
    "SELECT CAST(1.50 AS DECIMAL(5,2)), b'101', x'00ff', CAST(255 AS UNSIGNED), 18446744073709551615, YEAR(NOW())",
    "SELECT CAST(0.1 AS FLOAT), CAST(0.1 AS DOUBLE), JSON_OBJECT('k', 1), _utf8mb4'h\u{e9}llo \u{1f600}'",
    "SELECT ENGINE, SUPPORT, TRANSACTIONS FROM information_schema.ENGINES LIMIT 3",
    "SELECT * FROM no_such_db.no_such_table",
    "DO 1",
    "SET @x = 1",
    "SELECT 1; SELECT 'two', 2",
];

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--compressed") {
        args.next();
        let url = args.next().expect("--compressed URL [CORPUS_DIR]");
        let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
        compressed::record(&url, &dir).await;
        return;
    }
    if args.peek().map(String::as_str) == Some("--session") {
        args.next();
        let url = args.next().expect("--session URL [CORPUS_DIR]");
        let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
        let sep = if url.contains('?') { '&' } else { '?' };
        for eof in [true, false] {
            let u = format!("{url}{sep}ssl-mode=DISABLED&deprecate-eof={eof}");
            let name = if eof { "prepared" } else { "prepared-eof" };
            session::record(&u, &dir, name).await;
        }
        return;
    }
    let url = args
        .next()
        .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/?multi-statements=true".into());
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    let rec = Arc::new(Mutex::new(Rec {
        dir: dir.clone(),
        ..Rec::default()
    }));
    let opts = Options::from_url(&url).expect("URL");
    let mut s = Session::connect_traced(opts, Some(Box::new(Shared(rec.clone()))))
        .await
        .expect("connect");
    let caps = s.capabilities().bits();
    rec.lock().expect("lock").caps = caps;
    for sql in STATEMENTS {
        match s.query_drop(sql).await {
            Ok(_) => eprintln!("ok   {sql}"),
            Err(e) => eprintln!("err  {sql}: {e}"),
        }
    }
    s.ping().await.expect("ping");
    s.close().await.expect("close");
    // Option strings for the url target.
    for (i, u) in [
        "mysql://root@127.0.0.1:3306/test",
        "mariadb://us%40er:p%3Ass@[::1]:3307/my%20db?max-packet=2048&read-timeout=1.5",
        "mysql://h/?socket=/run/mysqld/mysqld.sock&multi-statements=true&deprecate-eof=false",
        "mysql://u:pw@h:1/?connect-timeout=0&write-timeout=2&session_track=off&local-infile=0",
    ]
    .iter()
    .enumerate()
    {
        let d = dir.join("url");
        std::fs::create_dir_all(&d).expect("dir");
        std::fs::write(d.join(format!("seed-url-{i}")), u).expect("write");
    }
    let n = rec.lock().expect("lock").n;
    eprintln!("wrote {n} seeds under {}", dir.display());
}
