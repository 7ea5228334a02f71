//! Criterion micro-benchmarks of the codec alone: decoding a recorded text result set from
//! memory, no I/O. The recording has the shape of the `bulk` workload of `bench/` (the table
//! `t`: INT, VARCHAR(64), DECIMAL(12,2), DATETIME(6), DOUBLE, TEXT NULL), encoded with the
//! codec's own encoders as MariaDB 10.11 sends it with CLIENT_DEPRECATE_EOF: column count,
//! six column definitions, the rows, and the closing OK (0xFE).
//!
//! Three levels: `frame` (PacketCodec only), `cells` (plus `RowCells::parse`), `typed` (plus
//! every cell decoded as its type with `FromValue::from_text`). Reported per row and per byte. A
//! fourth group, `column_definition`, parses (and drops) the recording's six column definitions,
//! framed zero-copy as the session frames them; reported per column.
//!
//! `cargo bench --bench codec`

// Benchmark code, not library code: its input is the recording built below, and a failed unwrap,
// expect, panic or index aborts the run, which is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mywire::codec::frame::PacketCodec;
use mywire::codec::response::{encode_ok, is_result_end, OkPacket};
use mywire::codec::resultset::{encode_row, parse_column_definition, ColumnFields, RowCells};
use mywire::codec::value::{DateTime, Decimal, FromValue};
use mywire::codec::writer::put_lenenc;
use mywire::codec::{CapabilityFlags, ColumnFlags, ColumnType};
use std::hint::black_box;

const ROWS: u64 = 10_000;

fn coldef(
    name: &str,
    t: ColumnType,
    charset: u16,
    len: u32,
    flags: u16,
    decimals: u8,
) -> ColumnFields<'_> {
    ColumnFields {
        catalog: b"def",
        schema: b"mywire_test",
        table: b"t",
        org_table: b"t",
        name: name.as_bytes(),
        org_name: name.as_bytes(),
        extended_metadata: None,
        charset,
        column_length: len,
        column_type: t,
        flags: ColumnFlags(flags),
        decimals,
    }
}

/// The recorded response (all packets, framed) and the number of payload bytes of its rows.
fn recording() -> (Bytes, usize) {
    let cols = [
        coldef("id", ColumnType::LONG, 63, 11, 0x4203, 0),
        coldef("name", ColumnType::VAR_STRING, 45, 256, 0, 0),
        coldef("amount", ColumnType::NEWDECIMAL, 63, 14, 0, 2),
        coldef("created", ColumnType::DATETIME, 63, 26, 0x0080, 6),
        coldef("score", ColumnType::DOUBLE, 63, 22, 0, 31),
        coldef("note", ColumnType::BLOB, 45, 262_140, 0x0010, 0),
    ];
    let mut codec = PacketCodec::default();
    codec.set_seq(1);
    let mut out = BytesMut::new();
    let mut p = BytesMut::new();
    put_lenenc(&mut p, cols.len() as u64);
    codec.encode_parts(&[&p], &mut out);
    for c in &cols {
        p.clear();
        c.encode(&mut p);
        codec.encode_parts(&[&p], &mut out);
    }
    let mut row_bytes = 0;
    for seq in 1..=ROWS {
        let id = seq.to_string();
        let name = format!("name-{seq}");
        let amount = format!("{}.{:02}", seq * 125 / 100, seq * 125 % 100);
        let s = seq % 86_400;
        let created = format!(
            "2024-01-{:02} {:02}:{:02}:{:02}.000000",
            1 + seq / 86_400,
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let score = format!("{}", seq as f64 / 7.0);
        let note = "x".repeat((seq % 50) as usize);
        let cells: [Option<&[u8]>; 6] = [
            Some(id.as_bytes()),
            Some(name.as_bytes()),
            Some(amount.as_bytes()),
            Some(created.as_bytes()),
            Some(score.as_bytes()),
            if seq % 10 == 0 {
                None
            } else {
                Some(note.as_bytes())
            },
        ];
        p.clear();
        encode_row(&cells, &mut p);
        row_bytes += p.len();
        codec.encode_parts(&[&p], &mut out);
    }
    p.clear();
    encode_ok(
        &OkPacket::default(),
        0xFE,
        CapabilityFlags::PROTOCOL_41 | CapabilityFlags::DEPRECATE_EOF,
        &mut p,
    );
    codec.encode_parts(&[&p], &mut out);
    (out.freeze(), row_bytes)
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Frame,
    Cells,
    Typed,
}

/// Decodes the whole recording; returns a checksum so that nothing is optimised away.
fn decode(rec: &mut BytesMut, level: Level) -> u64 {
    let mut codec = PacketCodec::default();
    codec.set_seq(1);
    let head = codec.decode_frame(rec).unwrap().unwrap();
    let n = head.payload[0] as usize;
    let mut cols = Vec::with_capacity(n);
    for _ in 0..n {
        let f = codec.decode_frame(rec).unwrap().unwrap();
        cols.push(parse_column_definition(&f.payload, false).unwrap());
    }
    let mut cells = RowCells::new();
    let mut sum = 0u64;
    loop {
        let f = codec.decode_frame(rec).unwrap().unwrap();
        let row = &f.payload;
        if is_result_end(row, true) {
            return sum;
        }
        match level {
            Level::Frame => sum += row.len() as u64,
            Level::Cells => {
                cells.parse(row, n).unwrap();
                sum += cells.get(row, 1).map_or(0, |c| c.len()) as u64;
            }
            Level::Typed => {
                cells.parse(row, n).unwrap();
                let get = |i: usize| cells.get(row, i);
                let c = &cols;
                let id = i32::from_text(get(0).unwrap(), c[0].column_type, c[0].flags).unwrap();
                let name =
                    <&str>::from_text(get(1).unwrap(), c[1].column_type, c[1].flags).unwrap();
                let amount =
                    Decimal::from_text(get(2).unwrap(), c[2].column_type, c[2].flags).unwrap();
                let created =
                    DateTime::from_text(get(3).unwrap(), c[3].column_type, c[3].flags).unwrap();
                let score = f64::from_text(get(4).unwrap(), c[4].column_type, c[4].flags).unwrap();
                let note =
                    get(5).map(|b| <&str>::from_text(b, c[5].column_type, c[5].flags).unwrap());
                sum += id as u64
                    + name.len() as u64
                    + amount.scale() as u64
                    + u64::from(created.micros());
                sum += note.map_or(0, |s| s.len()) as u64 + black_box(score) as u64;
            }
        }
    }
}

/// The payloads of the recording's column definitions, as the frame decoder hands them out.
fn column_payloads(rec: &Bytes) -> Vec<Bytes> {
    let mut buf = BytesMut::from(&rec[..]);
    let mut codec = PacketCodec::default();
    codec.set_seq(1);
    let head = codec.decode_frame(&mut buf).unwrap().unwrap();
    (0..head.payload[0])
        .map(|_| codec.decode_frame(&mut buf).unwrap().unwrap().payload)
        .collect()
}

fn bench(c: &mut Criterion) {
    let (rec, row_bytes) = recording();
    let payloads = column_payloads(&rec);
    let mut g = c.benchmark_group("column_definition");
    g.throughput(Throughput::Elements(payloads.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            let mut sum = 0usize;
            for p in &payloads {
                let col = parse_column_definition(black_box(p), false).unwrap();
                sum += col.name().len() + usize::from(col.column_type.0);
            }
            black_box(sum)
        })
    });
    g.finish();
    for (group, tp) in [
        ("decode_rows", Throughput::Elements(ROWS)),
        ("decode_bytes", Throughput::Bytes(row_bytes as u64)),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(tp);
        for (name, level) in [
            ("frame", Level::Frame),
            ("cells", Level::Cells),
            ("typed", Level::Typed),
        ] {
            g.bench_function(name, |b| {
                b.iter_batched_ref(
                    || BytesMut::from(&rec[..]),
                    |r| black_box(decode(r, level)),
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
