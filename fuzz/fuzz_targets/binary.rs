//! The binary protocol: COM_STMT_PREPARE_OK, binary rows with arbitrary column types and every
//! `FromValue::from_binary` getter on every cell, and the client's statement commands
//! (COM_STMT_EXECUTE, BULK_EXECUTE, query attributes, SEND_LONG_DATA / RESET / CLOSE / FETCH).
//! Whatever parses re-encodes to bytes that parse to the same thing; parameters built from the
//! input encode and read back as themselves.
//!
//! Input: a flags byte (bit 0 CLIENT_QUERY_ATTRIBUTES, bit 1 CLIENT_OPTIONAL_RESULTSET_METADATA),
//! a count byte `n` (mod 33), `n` column / parameter descriptions of 3 bytes (type byte, flags
//! `int<2>`), then the payload, which every parser is given.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use bytes::{BufMut, BytesMut};
use libfuzzer_sys::fuzz_target;
use mywire::codec::binary::{
    encode_binary_row, encode_binary_row_cells, put_binary_cell, BinaryRowCells,
};
use mywire::codec::stmt::{
    encode_query_with_attributes, encode_stmt_bulk_execute, encode_stmt_close, encode_stmt_execute,
    encode_stmt_fetch, encode_stmt_reset, encode_stmt_send_long_data, long_data_params,
    parse_prepare_ok, parse_query_with_attributes, parse_stmt_bulk_execute, parse_stmt_command,
    parse_stmt_execute, BulkParam, BulkValue, ParamValue, PrepareOk, ResultsetMetadata,
    StmtCommand, StmtExecute,
};
use mywire::codec::value::{Date, DateTime, Decimal, FromValue, Param, ParamType, Time, ToParam};
use mywire::codec::{CapabilityFlags, ColumnFlags, ColumnType};
use mywire_fuzz::all_binary_getters;

/// A parameter re-encoded from parsed bytes: a declared type and the value's cell bytes.
struct Raw<'a> {
    ty: ParamType,
    value: Option<&'a [u8]>,
}

impl ToParam for Raw<'_> {
    fn param_type(&self) -> ParamType {
        self.ty
    }
    fn is_null(&self) -> bool {
        self.value.is_none()
    }
    fn encode_value(&self, out: &mut BytesMut) {
        if let Some(v) = self.value {
            put_binary_cell(out, self.ty.column_type, v);
        }
    }
}

fn rows_and_getters(payload: &[u8], cols: &[(ColumnType, ColumnFlags)]) {
    let mut cells = BinaryRowCells::new();
    if cells
        .parse_types(payload, cols.iter().map(|c| c.0))
        .is_err()
    {
        return;
    }
    assert_eq!(cells.len(), cols.len());
    let mut list = Vec::with_capacity(cols.len());
    for (i, &(ty, flags)) in cols.iter().enumerate() {
        let cell = cells.get(payload, i);
        assert_eq!(cell.is_none(), cells.is_null(i));
        if let Some(b) = cell {
            std::hint::black_box(all_binary_getters(b, ty, flags));
        }
        list.push(cell);
    }
    let types: Vec<ColumnType> = cols.iter().map(|c| c.0).collect();
    let mut out = BytesMut::new();
    encode_binary_row_cells(&types, &list, &mut out);
    let mut again = BinaryRowCells::new();
    again
        .parse_types(&out, types.iter().copied())
        .expect("a re-encoded binary row parses");
    for (i, c) in list.iter().enumerate() {
        assert_eq!(again.get(&out, i), *c, "binary row round trip, cell {i}");
    }
}

fn execute_round_trip(payload: &[u8], n: u16, caps: CapabilityFlags, bound: &[ParamType]) {
    let Ok(req) = parse_stmt_execute(payload, n, caps, bound, &[]) else {
        return;
    };
    let raws: Vec<Raw<'_>> = req
        .types
        .iter()
        .zip(&req.values)
        .map(|(&ty, v)| Raw {
            ty,
            value: match v {
                ParamValue::Value(b) => Some(b),
                _ => None,
            },
        })
        .collect();
    let params: Vec<&dyn ToParam> = raws.iter().map(|r| r as &dyn ToParam).collect();
    let e = StmtExecute {
        statement_id: req.statement_id,
        flags: req.flags,
        num_params: n,
        params: &params,
        names: &req.names,
        send_types: req.types_sent,
        long_data_threshold: None,
    };
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, caps).expect("a parsed execute re-encodes");
    let again = parse_stmt_execute(&out, n, caps, bound, &[]).expect("a re-encoded execute parses");
    assert_eq!(again.iteration_count, 1);
    assert_eq!(again.statement_id, req.statement_id);
    assert_eq!(again.types, req.types);
    assert_eq!(again.values, req.values);
    assert_eq!(again.types_sent, req.types_sent);
    if req.types_sent {
        assert_eq!(again.names, req.names);
    }
}

fn bulk_round_trip(payload: &[u8], n: u16, bound: &[ParamType]) {
    let Ok(req) = parse_stmt_bulk_execute(payload, n, bound) else {
        return;
    };
    let raws: Vec<Vec<Raw<'_>>> = req
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&req.types)
                .map(|(v, &ty)| Raw {
                    ty,
                    value: match v {
                        BulkValue::Value(b) => Some(b),
                        _ => None,
                    },
                })
                .collect()
        })
        .collect();
    let rows: Vec<Vec<BulkParam<'_>>> = req
        .rows
        .iter()
        .zip(&raws)
        .map(|(row, raw)| {
            row.iter()
                .zip(raw)
                .map(|(v, r)| match v {
                    BulkValue::Value(_) => BulkParam::Value(r),
                    BulkValue::Null => BulkParam::Null,
                    BulkValue::Default => BulkParam::Default,
                    BulkValue::Ignore => BulkParam::Ignore,
                })
                .collect()
        })
        .collect();
    let mut out = BytesMut::new();
    encode_stmt_bulk_execute(&mut out, req.statement_id, req.flags, &req.types, &rows)
        .expect("a parsed bulk execute re-encodes");
    let again = parse_stmt_bulk_execute(&out, n, bound).expect("a re-encoded bulk execute parses");
    assert_eq!(again, req);
}

fn query_round_trip(payload: &[u8]) {
    let Ok((attrs, sql)) = parse_query_with_attributes(payload) else {
        return;
    };
    let raws: Vec<Raw<'_>> = attrs
        .iter()
        .map(|a| Raw {
            ty: a.param_type,
            value: match a.value {
                ParamValue::Value(b) => Some(b),
                _ => None,
            },
        })
        .collect();
    let list: Vec<(&[u8], &dyn ToParam)> = attrs
        .iter()
        .zip(&raws)
        .map(|(a, r)| (a.name, r as &dyn ToParam))
        .collect();
    let mut out = BytesMut::new();
    encode_query_with_attributes(&mut out, sql, &list).expect("parsed attributes re-encode");
    assert_eq!(parse_query_with_attributes(&out).unwrap(), (attrs, sql));
}

fn command_round_trip(payload: &[u8]) {
    let Ok(c) = parse_stmt_command(payload) else {
        return;
    };
    let mut out = BytesMut::new();
    match c {
        StmtCommand::SendLongData {
            statement_id,
            param_id,
            data,
        } => encode_stmt_send_long_data(&mut out, statement_id, param_id, data),
        StmtCommand::Reset(id) => encode_stmt_reset(&mut out, id),
        StmtCommand::Close(id) => encode_stmt_close(&mut out, id),
        StmtCommand::Fetch {
            statement_id,
            num_rows,
        } => encode_stmt_fetch(&mut out, statement_id, num_rows),
    }
    assert_eq!(&out[..], payload);
}

/// Up to 16 parameters of every supported type, built from the input bytes.
fn params_from(mut b: &[u8]) -> Vec<Param<'_>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = b.split_at_checked(n)?;
        *b = rest;
        Some(head)
    }
    fn arr<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
        take(b, N)?.try_into().ok()
    }
    let mut out = Vec::new();
    while out.len() < 16 {
        let Some([tag]) = arr::<1>(&mut b) else { break };
        let p = match tag % 11 {
            0 => Param::Null,
            1 => Param::Int(i64::from_le_bytes(arr(&mut b).unwrap_or_default())),
            2 => Param::UInt(u64::from_le_bytes(arr(&mut b).unwrap_or_default())),
            3 => Param::Float(f32::from_le_bytes(arr(&mut b).unwrap_or_default())),
            4 => Param::Double(f64::from_le_bytes(arr(&mut b).unwrap_or_default())),
            5 | 6 => {
                let [n] = arr::<1>(&mut b).unwrap_or_default();
                let bytes = take(&mut b, usize::from(n)).unwrap_or_default();
                match std::str::from_utf8(bytes) {
                    Ok(s) if tag % 11 == 5 => Param::Text(s.into()),
                    _ => Param::Bytes(bytes.into()),
                }
            }
            7 => {
                let [y0, y1, m, d] = arr(&mut b).unwrap_or_default();
                match Date::new(u16::from_le_bytes([y0, y1]), m, d) {
                    Ok(v) => Param::Date(v),
                    Err(_) => continue,
                }
            }
            8 => {
                let [y0, y1, m, d, h, mi, s, u0, u1, u2] = arr(&mut b).unwrap_or_default();
                let micros = u32::from_le_bytes([u0, u1, u2, 0]) % 1_000_000;
                let v = Date::new(u16::from_le_bytes([y0, y1]), m, d)
                    .and_then(|d| DateTime::new(d, h, mi, s, micros));
                match v {
                    Ok(v) => Param::DateTime(v),
                    Err(_) => continue,
                }
            }
            9 => {
                let [n, h0, h1, mi, s, u0, u1, u2] = arr(&mut b).unwrap_or_default();
                let hours = u32::from(u16::from_le_bytes([h0, h1]));
                match Time::new(
                    n & 1 == 1,
                    hours,
                    mi,
                    s,
                    u32::from_le_bytes([u0, u1, u2, 0]),
                ) {
                    Ok(v) => Param::Time(v),
                    Err(_) => continue,
                }
            }
            _ => {
                let [n] = arr::<1>(&mut b).unwrap_or_default();
                let bytes = take(&mut b, usize::from(n % 40)).unwrap_or_default();
                match std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|s| Decimal::parse(s).ok())
                {
                    Some(d) => Param::Decimal(d),
                    None => continue,
                }
            }
        };
        out.push(p);
    }
    out
}

/// `bytes` (a cell of `p`'s type) reads back as `p`.
fn reads_back(p: &Param<'_>, bytes: &[u8]) {
    let t = p.param_type();
    let (col, flags) = (t.column_type, t.column_flags());
    match p {
        Param::Null => panic!("a NULL parameter has no value"),
        Param::Int(v) => assert_eq!(i64::from_binary(bytes, col, flags), Ok(*v)),
        Param::UInt(v) => assert_eq!(u64::from_binary(bytes, col, flags), Ok(*v)),
        Param::Float(v) => match f32::from_binary(bytes, col, flags) {
            Ok(got) => assert_eq!(got.to_bits(), v.to_bits()),
            Err(_) => assert!(!v.is_finite()),
        },
        Param::Double(v) => match f64::from_binary(bytes, col, flags) {
            Ok(got) => assert_eq!(got.to_bits(), v.to_bits()),
            Err(_) => assert!(!v.is_finite()),
        },
        Param::Text(v) => assert_eq!(<&str>::from_binary(bytes, col, flags), Ok(v.as_ref())),
        Param::Bytes(v) => assert_eq!(<&[u8]>::from_binary(bytes, col, flags), Ok(v.as_ref())),
        Param::Decimal(v) => assert_eq!(Decimal::from_binary(bytes, col, flags).as_ref(), Ok(v)),
        Param::Date(v) => assert_eq!(Date::from_binary(bytes, col, flags), Ok(*v)),
        Param::DateTime(v) => assert_eq!(DateTime::from_binary(bytes, col, flags), Ok(*v)),
        Param::Time(v) => assert_eq!(Time::from_binary(bytes, col, flags), Ok(*v)),
        _ => {}
    }
}

/// The execute the engine sends with long data: every string or byte-string parameter of at
/// least `threshold` bytes goes ahead in COM_STMT_SEND_LONG_DATA pieces (which parse back to
/// their statement, parameter and bytes), the execute leaves exactly those out, and the rest
/// still read back as themselves.
fn long_data_round_trip(params: &[Param<'_>], n: u16, caps: CapabilityFlags, threshold: usize) {
    let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
    let refs = &refs[..];
    let long: Vec<(u16, &[u8])> = long_data_params(refs, threshold).collect();
    let ids: Vec<u16> = long.iter().map(|l| l.0).collect();
    let mut piece = BytesMut::new();
    for &(param, data) in &long {
        assert!(data.len() >= threshold);
        let mut joined = Vec::with_capacity(data.len());
        // Pieces as the engine cuts them (its 1 MiB, scaled down to the threshold).
        for chunk in data.chunks(threshold.max(1)) {
            piece.clear();
            encode_stmt_send_long_data(&mut piece, 7, param, chunk);
            match parse_stmt_command(&piece) {
                Ok(StmtCommand::SendLongData {
                    statement_id: 7,
                    param_id,
                    data,
                }) if param_id == param => joined.extend_from_slice(data),
                other => panic!("SEND_LONG_DATA round trip: {other:?}"),
            }
        }
        assert_eq!(joined, data, "the pieces join to the value");
    }
    let e = StmtExecute {
        long_data_threshold: Some(threshold),
        ..StmtExecute::new(9, n, refs)
    };
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, caps).unwrap();
    let req =
        parse_stmt_execute(&out, n, caps, &[], &ids).expect("an execute with long data parses");
    assert_eq!(req.values.len(), params.len());
    for (i, (p, v)) in params.iter().zip(&req.values).enumerate() {
        let sent_ahead = ids.contains(&u16::try_from(i).unwrap());
        match v {
            ParamValue::LongData => assert!(sent_ahead, "parameter {i} left out"),
            ParamValue::Null => assert!(p.is_null() && !sent_ahead),
            ParamValue::Value(b) => {
                assert!(!sent_ahead, "parameter {i} sent twice");
                reads_back(p, b);
            }
        }
    }
}

/// COM_STMT_PREPARE_OK built from fields encodes to bytes that parse to the same fields.
fn prepare_ok_from_fields(b: &[u8]) {
    let Some((&[i0, i1, i2, i3, c0, c1, p0, p1, w0, w1, form], _)) = b.split_first_chunk::<11>()
    else {
        return;
    };
    let warning_count = (form % 4 != 0).then(|| u16::from_le_bytes([w0, w1]));
    let metadata = match (form % 4, warning_count) {
        (2, Some(_)) => Some(ResultsetMetadata::None),
        (3, Some(_)) => Some(ResultsetMetadata::Full),
        _ => None,
    };
    let ok = PrepareOk {
        statement_id: u32::from_le_bytes([i0, i1, i2, i3]),
        num_columns: u16::from_le_bytes([c0, c1]),
        num_params: u16::from_le_bytes([p0, p1]),
        warning_count,
        metadata,
    };
    let mut caps = CapabilityFlags::empty();
    caps.set(
        CapabilityFlags::OPTIONAL_RESULTSET_METADATA,
        metadata.is_some(),
    );
    let mut out = BytesMut::new();
    ok.encode(&mut out);
    let len = match (warning_count, metadata) {
        (None, _) => 9,
        (Some(_), None) => 12,
        (Some(_), Some(_)) => 13,
    };
    assert_eq!(out.len(), len, "PREPARE_OK length");
    assert_eq!(
        parse_prepare_ok(&out, caps),
        Ok(ok),
        "PREPARE_OK encode -> parse"
    );
    if metadata.is_some() {
        // Without the capability the 13-byte form is refused (a trailing byte).
        assert!(parse_prepare_ok(&out, CapabilityFlags::empty()).is_err());
    }
}

fn params_round_trip(payload: &[u8], caps: CapabilityFlags, threshold: usize) {
    let params = params_from(payload);
    let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
    let n = u16::try_from(refs.len()).unwrap();
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &StmtExecute::new(7, n, &refs), caps).unwrap();
    let req = parse_stmt_execute(&out, n, caps, &[], &[]).expect("an encoded execute parses");
    for (p, v) in params.iter().zip(&req.values) {
        match v {
            ParamValue::Null => assert!(p.is_null()),
            ParamValue::Value(b) => reads_back(p, b),
            ParamValue::LongData => panic!("no long data was sent"),
        }
    }
    // Again without the types (bound by the execute above): the same values.
    let e = StmtExecute {
        send_types: false,
        ..StmtExecute::new(7, n, &refs)
    };
    let mut bare = BytesMut::new();
    encode_stmt_execute(&mut bare, &e, caps).unwrap();
    let again = parse_stmt_execute(&bare, n, caps, &req.types, &[]).expect("parses without types");
    assert!(!again.types_sent);
    assert_eq!(again.values, req.values, "values without the types");
    long_data_round_trip(&params, n, caps, threshold);
    // The same values as a binary row.
    let mut row = BytesMut::new();
    encode_binary_row(&refs, &mut row);
    let mut cells = BinaryRowCells::new();
    cells
        .parse_types(&row, refs.iter().map(|p| p.param_type().column_type))
        .expect("an encoded binary row parses");
    for (i, p) in params.iter().enumerate() {
        match cells.get(&row, i) {
            None => assert!(p.is_null()),
            Some(b) => reads_back(p, b),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&[bits, n], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let n = usize::from(n) % 33;
    let Some((desc, payload)) = rest.split_at_checked(n * 3) else {
        return;
    };
    let mut caps = CapabilityFlags::empty();
    caps.set(CapabilityFlags::QUERY_ATTRIBUTES, bits & 1 != 0);
    caps.set(CapabilityFlags::OPTIONAL_RESULTSET_METADATA, bits & 2 != 0);
    let cols: Vec<(ColumnType, ColumnFlags)> = desc
        .chunks_exact(3)
        .map(|c| {
            (
                ColumnType(c[0]),
                ColumnFlags(u16::from_le_bytes([c[1], c[2]])),
            )
        })
        .collect();
    let bound: Vec<ParamType> = desc
        .chunks_exact(3)
        .map(|c| ParamType::from_bytes([c[0], c[2]]))
        .collect();

    if let Ok(ok) = parse_prepare_ok(payload, caps) {
        let mut out = BytesMut::new();
        ok.encode(&mut out);
        assert_eq!(&out[..], payload, "PREPARE_OK round trip");
        let _ = (ok.packets_following(true), ok.packets_following(false));
    }
    rows_and_getters(payload, &cols);
    let n16 = u16::try_from(n).unwrap();
    execute_round_trip(payload, n16, caps, &bound);
    bulk_round_trip(payload, n16, &bound);
    query_round_trip(payload);
    command_round_trip(payload);
    // A long-data threshold from the input: 1..=64 bytes, so that inputs reach it.
    params_round_trip(payload, caps, usize::from(bits >> 2) + 1);
    prepare_ok_from_fields(payload);
    // A payload with a command byte in front, for the command parsers.
    let mut with_cmd = BytesMut::with_capacity(payload.len() + 1);
    with_cmd.put_u8(0x17);
    with_cmd.put_slice(payload);
    execute_round_trip(&with_cmd, n16, caps, &bound);
});
