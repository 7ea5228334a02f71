//! Parses one recorded column definition N times (default 100,000), for instruction counts:
//!
//! `valgrind --tool=callgrind target/release/examples/coldef_loop 100000`, then again with
//! 200000; the difference divided by 100,000 is the cost of one parse and drop.
//!
//! The payload is the `id` column of `SELECT * FROM mywire_scratch.t AS x` recorded from
//! MariaDB 10.11 (protocol-notes/resultset.md), held as the frame decoder holds it (a split,
//! frozen `BytesMut`).

use bytes::BytesMut;
use mywire::codec::resultset::parse_column_definition;
use std::hint::black_box;

const RECORDED: &[u8] = b"\x03def\x0emywire_scratch\x01x\x01t\x02id\x02id\x0c\x3f\x00\x0a\x00\x00\x00\x03\x23\x42\x00\x00\x00";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 100_000,
    };
    let payload = BytesMut::from(RECORDED).split().freeze();
    let mut sum = 0u64;
    for _ in 0..n {
        let col = parse_column_definition(black_box(&payload), false)?;
        sum += u64::from(col.column_type.0) + u64::from(col.flags.0);
        drop(black_box(col));
    }
    println!("{sum}");
    Ok(())
}
