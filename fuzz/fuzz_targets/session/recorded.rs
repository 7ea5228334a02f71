//! Inputs made from a recorded exchange with a real server (`fuzz/record_seeds`, `--session`):
//! the server's bytes verbatim after a small header naming the client's options and the
//! commands it ran. libFuzzer mutates them like any input, so the fuzzing starts from real
//! PREPARE_OK packets, definitions and binary rows instead of having to find them.
//!
//! Layout: [`MAGIC`], a flags byte (bit 0 deprecate-eof, 1 session-track, 2 multi-statements,
//! 3 a database, 4 a password, 5 read like the blocking driver), the statement-cache size, a
//! chunk size (0: the script whole), the number of commands `n`, `n` commands of 3 bytes
//! (code, a, b; [`command`]), then the server's bytes, frame headers included, to the end.

use super::script::{Greeting, Plugin};
use super::stmt::FParam;
use super::{Cmd, Input, Simple};

/// The first bytes of a recorded input.
pub const MAGIC: &[u8] = b"MYWIRE-RECORDED-1\n";

/// The parameter lists of recorded executes, by the `b` byte (cycled to the statement's
/// count): several types; one long value; one integer.
fn param_set(b: u8) -> Vec<FParam> {
    match b % 3 {
        0 => vec![
            FParam::Int(41),
            FParam::Text("hi".into()),
            FParam::Double(2.5),
            FParam::DateTime(2024, 2, 29, 23, 59, 58, 123_456),
            FParam::Null,
            FParam::Bytes(vec![0, 0xff, 7]),
        ],
        1 => vec![FParam::Long {
            byte: b'y',
            extra: 10,
        }],
        _ => vec![FParam::Int(-7)],
    }
}

/// One command: 0 query `a`; 1 prepare `a`; 2 execute statement `a` with parameter set `b`;
/// 3 reset statement `a`; 4 close statement `a`; 5 ping; 6 `exec` of SQL `a` with set `b`;
/// 7 quit; else drain.
pub fn command(code: u8, a: u8, b: u8) -> Cmd {
    match code {
        0 => Cmd::Query {
            sql: a,
            rows: u8::MAX,
            results: u8::MAX,
            drain: false,
        },
        1 => Cmd::Prepare(a),
        2 => Cmd::Execute {
            stmt: a,
            params: param_set(b),
            exact: false,
            rows: u8::MAX,
            results: u8::MAX,
            drain: false,
        },
        3 => Cmd::ResetStmt(a),
        4 => Cmd::CloseStmt(a),
        5 => Cmd::Simple(Simple::Ping),
        6 => Cmd::ExecCached {
            sql: a,
            params: param_set(b),
            rows: u8::MAX,
        },
        7 => Cmd::Quit,
        _ => Cmd::Drain,
    }
}

/// The input and the server's bytes of a recorded input, `None` if `data` is not one.
pub fn input(data: &[u8]) -> Option<(Input, &[u8])> {
    let rest = data.strip_prefix(MAGIC)?;
    let (&[flags, cache, chunk, n], rest) = rest.split_first_chunk::<4>()?;
    let (ops, wire) = rest.split_at_checked(usize::from(n) * 3)?;
    let bit = |i: u8| flags & (1 << i) != 0;
    let cmds = ops
        .chunks_exact(3)
        .map(|o| command(o[0], o[1], o[2]))
        .collect();
    let input = Input {
        greeting: Greeting {
            err_instead: None,
            version: String::new(),
            connection_id: 0,
            nonce: [0; 20],
            extra_nonce: Vec::new(),
            caps: 0,
            no_protocol41: false,
            charset: 0,
            status: 0,
            mariadb_caps: 0,
            plugin: Plugin::None,
        },
        packets: Vec::new(),
        deprecate_eof: bit(0),
        session_track: bit(1),
        multi_statements: bit(2),
        with_database: bit(3),
        with_password: bit(4),
        get_server_public_key: false,
        tls: 0,
        read_space: bit(5),
        stmt_cache: cache,
        chunks: if chunk == 0 {
            Vec::new()
        } else {
            vec![u16::from(chunk)]
        },
        cmds,
        compress: 0,
        zip: super::script::Zip::default(),
    };
    Some((input, wire))
}

/// Where the greeting ends in recorded server bytes: after its frame.
pub fn greeting_end(wire: &[u8]) -> usize {
    match wire {
        [a, b, c, _, ..] => {
            (4 + usize::from(*a) + (usize::from(*b) << 8) + (usize::from(*c) << 16)).min(wire.len())
        }
        _ => wire.len(),
    }
}
