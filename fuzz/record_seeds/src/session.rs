//! Seeds for the whole-session target from a real prepared-statement exchange: the server's
//! bytes (frame headers rebuilt from the traced payloads and sequence ids) after the header of
//! `fuzz_targets/session/recorded.rs`, which names the client's options and the commands run.
//! The commands here mirror that file's codes; the real SQL differs from the target's texts
//! (the replayed server answers whatever is sent), only the statements' parameter counts and
//! the order of the responses have to agree.

use std::path::Path;
use std::sync::{Arc, Mutex};

use mywire::codec::value::{Date, DateTime, Param};
use mywire::trace::{Direction, PacketEvent, Tracer};
use mywire::{Options, Session, Statement, ToParam};

/// `recorded::MAGIC` of the session target.
const MAGIC: &[u8] = b"MYWIRE-RECORDED-1\n";

/// The texts behind the query indices of the commands below.
const QUERIES: &[&str] = &[
    "SELECT 1 AS one",
    "CREATE TEMPORARY TABLE t (a INT, s VARCHAR(20), d DECIMAL(65,30), dt DATETIME(6), \
     tm TIME(6), f FLOAT, db DOUBLE, u BIGINT UNSIGNED, y YEAR, b BLOB, j JSON, \
     e ENUM('x','y'), bt BIT(9), dd DATE, ts TIMESTAMP(6) NULL, n INT NULL)",
    "INSERT INTO t VALUES (1, 'one', '-99999999999999999999999999999999999.999999999999999999999999999999', \
     '9999-12-31 23:59:59.999999', '-838:59:59.999999', 1.5, -0.25, 18446744073709551615, 2155, \
     x'00ff', '{\"k\": [1]}', 'y', b'101010101', '0000-00-00', '2038-01-19 03:14:07.999999', NULL), \
     (2, '', 0, '1000-01-01 00:00:00', '00:00:00', 0, 5e-324, 0, 0, '', 'null', 'x', 0, '1000-01-01', \
     NULL, 7)",
];

/// The texts behind the prepare indices, with their parameter counts (the target's
/// `PREPARE_SQL` has the same counts at the same indices).
const PREPARES: &[(&str, usize)] = &[
    ("SELECT ? AS v", 1),
    ("SELECT ? AS i, ? AS t, ? AS d, ? AS dt, ? AS n, ? AS b", 6),
    ("SELECT * FROM t WHERE a >= ? ORDER BY a", 1),
    ("INSERT INTO t (a, s) VALUES (?, ?)", 2),
    ("SELECT LENGTH(?) AS len", 1),
];

/// The target's parameter sets (`recorded::param_set`), cycled to `n`.
fn params(set: u8, n: usize) -> Vec<Param<'static>> {
    let dt = DateTime::new(Date::new(2024, 2, 29).expect("date"), 23, 59, 58, 123_456)
        .expect("datetime");
    let list: Vec<Param<'static>> = match set % 3 {
        0 => vec![
            Param::Int(41),
            Param::Text("hi".into()),
            Param::Double(2.5),
            Param::DateTime(dt),
            Param::Null,
            Param::Bytes(vec![0, 0xff, 7].into()),
        ],
        1 => vec![Param::Bytes(
            vec![b'y'; mywire::proto::LONG_DATA_THRESHOLD + 10].into(),
        )],
        _ => vec![Param::Int(-7)],
    };
    list.iter().cycle().take(n).cloned().collect()
}

/// The prepared exchange: (code, a, b) as in `recorded::command`.
const OPS: &[[u8; 3]] = &[
    [1, 1, 0], // prepare the 6-parameter SELECT
    [2, 0, 0], // execute it: int, text, double, datetime, NULL, bytes
    [2, 0, 0], // again (with CACHE_METADATA the definitions are skipped)
    [3, 0, 0], // reset it
    [2, 0, 2], // execute after the reset, other types
    [1, 4, 0], // prepare SELECT LENGTH(?)
    [2, 1, 1], // execute it with a long value (COM_STMT_SEND_LONG_DATA)
    [0, 1, 0], // create a table of many types
    [0, 2, 0], // two rows of extremes
    [1, 2, 0], // prepare SELECT * FROM t
    [2, 2, 2], // execute: binary rows of every type
    [4, 0, 0], // close the first statement
    [2, 0, 0], // execute it again: ERR 1243
    [6, 0, 2], // exec SELECT ? (prepared, cached)
    [6, 0, 2], // exec it again (cache hit)
    [6, 3, 0], // exec the INSERT
    [5, 0, 0], // ping
    [7, 0, 0], // quit
];

#[derive(Default)]
struct Wire(Vec<u8>);

struct Rec(Arc<Mutex<Wire>>);

impl Tracer for Rec {
    fn packet(&mut self, e: &PacketEvent<'_>) {
        if e.direction != Direction::ServerToClient {
            return;
        }
        let mut w = self.0.lock().expect("lock");
        // Rebuild the frames: 0xFFFFFF-byte chunks and the rest, sequence ids counting up.
        let mut seq = e.seq;
        let mut rest = e.payload;
        loop {
            let n = rest.len().min(0xFF_FFFF);
            let len = u32::try_from(n).expect("chunk length").to_le_bytes();
            w.0.extend_from_slice(&[len[0], len[1], len[2], seq]);
            w.0.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            seq = seq.wrapping_add(1);
            if n < 0xFF_FFFF {
                break;
            }
        }
    }
}

async fn run(s: &mut Session, stmts: &mut Vec<Statement>) {
    for &[code, a, b] in OPS {
        let a = usize::from(a);
        let pick = |stmts: &Vec<Statement>| stmts[a % stmts.len()].clone();
        let r = match code {
            0 => s.query_drop(QUERIES[a]).await.map(|_| ()),
            1 => match s.prepare(PREPARES[a].0).await {
                Ok(st) => {
                    assert_eq!(st.params().len(), PREPARES[a].1, "{}", PREPARES[a].0);
                    stmts.push(st);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            2 => {
                let st = pick(stmts);
                let p = params(b, st.params().len());
                let refs: Vec<&dyn ToParam> = p.iter().map(|p| p as &dyn ToParam).collect();
                match s.execute(&st, &refs).await {
                    Ok(mut r) => loop {
                        match r.next_row().await {
                            Ok(Some(_)) => {}
                            Ok(None) => match r.next_result().await {
                                Ok(true) => {}
                                Ok(false) => break Ok(()),
                                Err(e) => break Err(e),
                            },
                            Err(e) => break Err(e),
                        }
                    },
                    Err(e) => Err(e),
                }
            }
            3 => s.reset_statement(&pick(stmts)).await,
            4 => s.close_statement(pick(stmts)).await,
            5 => s.ping().await,
            6 => {
                let (sql, n) = PREPARES[a];
                let p = params(b, n);
                let refs: Vec<&dyn ToParam> = p.iter().map(|p| p as &dyn ToParam).collect();
                match s.exec(sql, &refs).await {
                    Ok(mut r) => loop {
                        match r.next_row().await {
                            Ok(Some(_)) => {}
                            Ok(None) => break Ok(()),
                            Err(e) => break Err(e),
                        }
                    },
                    Err(e) => Err(e),
                }
            }
            _ => return,
        };
        match r {
            Ok(()) => eprintln!("ok   op {code} {a} {b}"),
            Err(e) => eprintln!("err  op {code} {a} {b}: {e}"),
        }
    }
}

/// Records the exchange with `url` (deprecate-eof as the URL says) and writes
/// `dir/session/seed-recorded-<name>` (and `…-chunked`, the same bytes read in 7-byte chunks).
pub async fn record(url: &str, dir: &Path, name: &str) {
    let opts = Options::from_url(url).expect("URL");
    let wire = Arc::new(Mutex::new(Wire::default()));
    let flags = u8::from(opts.deprecate_eof)
        | u8::from(opts.session_track) << 1
        | u8::from(opts.multi_statements) << 2
        | u8::from(opts.database.is_some()) << 3
        | u8::from(!opts.password.is_empty()) << 4;
    let mut s = Session::connect_traced(opts, Some(Box::new(Rec(wire.clone()))))
        .await
        .expect("connect");
    let mut stmts = Vec::new();
    run(&mut s, &mut stmts).await;
    drop(s);
    let wire = std::mem::take(&mut wire.lock().expect("lock").0);
    let d = dir.join("session");
    std::fs::create_dir_all(&d).expect("corpus dir");
    // Whole, and in 7-byte chunks read like the blocking driver (flag bit 5). The cache must
    // keep the two `exec` texts (the recording's session kept 32), or the replay prepares
    // again where the recording did not.
    for (suffix, chunk, read_space) in [("", 0u8, 0u8), ("-chunked", 7, 1 << 5)] {
        let mut seed = MAGIC.to_vec();
        let n = u8::try_from(OPS.len()).expect("ops");
        seed.extend_from_slice(&[flags | read_space, 4, chunk, n]);
        for op in OPS {
            seed.extend_from_slice(op);
        }
        seed.extend_from_slice(&wire);
        let path = d.join(format!("seed-recorded-{name}{suffix}"));
        std::fs::write(&path, &seed).expect("write seed");
        eprintln!("wrote {} ({} bytes)", path.display(), seed.len());
    }
}
