use super::*;
use crate::codec::flags::ColumnType;
use crate::codec::test_util::unhex;
use crate::codec::value::{Date, DateTime, Decimal, FromValue, Time};

const NO_CAPS: CapabilityFlags = CapabilityFlags::empty();
const QA: CapabilityFlags = CapabilityFlags::QUERY_ATTRIBUTES;
const META: CapabilityFlags = CapabilityFlags::OPTIONAL_RESULTSET_METADATA;

/// Every cut of `payload` shorter than the whole must fail, never panic.
fn every_cut_fails(payload: &[u8], fails: impl Fn(&[u8]) -> bool) {
    for n in 0..payload.len() {
        assert!(fails(&payload[..n]), "cut at {n} of {}", payload.len());
    }
}

// ---- COM_STMT_PREPARE_OK ---------------------------------------------------------------------

/// `SELECT * FROM t` (22 columns, no parameters), recorded from MariaDB 10.11
/// (protocol-notes/prepared-statements.md).
const PREPARE_OK_22_COLUMNS: &str = "000100000016000000000000";
/// `SELECT ?, ?, …` with 19 placeholders, recorded from MariaDB 10.11.
const PREPARE_OK_19_PARAMS: &str = "000200000013001300000000";

#[test]
fn prepare_ok_recorded_from_mariadb() {
    let ok = parse_prepare_ok(&unhex(PREPARE_OK_22_COLUMNS), NO_CAPS).unwrap();
    assert_eq!(
        ok,
        PrepareOk {
            statement_id: 1,
            num_columns: 22,
            num_params: 0,
            warning_count: Some(0),
            metadata: None,
        }
    );
    assert!(ok.metadata_follows());
    assert_eq!(ok.packets_following(true), 22);
    assert_eq!(ok.packets_following(false), 23);
    let ok = parse_prepare_ok(&unhex(PREPARE_OK_19_PARAMS), NO_CAPS).unwrap();
    assert_eq!(
        (ok.statement_id, ok.num_columns, ok.num_params),
        (2, 19, 19)
    );
    assert_eq!(ok.packets_following(true), 38);
    assert_eq!(ok.packets_following(false), 40);
    for hex in [PREPARE_OK_22_COLUMNS, PREPARE_OK_19_PARAMS] {
        let b = unhex(hex);
        let mut out = BytesMut::new();
        parse_prepare_ok(&b, NO_CAPS).unwrap().encode(&mut out);
        assert_eq!(&out[..], &b[..]);
    }
}

#[test]
fn prepare_ok_short_form_and_metadata_byte() {
    // The 9-byte form: no filler, no warning count, and no metadata byte even with the cap.
    let short = unhex("000700000001000200");
    for caps in [NO_CAPS, META] {
        let ok = parse_prepare_ok(&short, caps).unwrap();
        assert_eq!(ok.warning_count, None);
        assert_eq!(ok.warnings(), 0);
        assert_eq!(ok.metadata, None);
        let mut out = BytesMut::new();
        ok.encode(&mut out);
        assert_eq!(&out[..], &short[..]);
    }
    // MySQL 8 with CLIENT_OPTIONAL_RESULTSET_METADATA: 13 bytes.
    for (byte, meta) in [(0u8, ResultsetMetadata::None), (1, ResultsetMetadata::Full)] {
        let mut b = unhex("000300000002000100000500");
        b.push(byte);
        let ok = parse_prepare_ok(&b, META).unwrap();
        assert_eq!(ok.metadata, Some(meta));
        assert_eq!(ok.warnings(), 5);
        assert_eq!(ok.metadata_follows(), meta == ResultsetMetadata::Full);
        assert_eq!(ok.packets_following(true), if byte == 1 { 3 } else { 0 });
        let mut out = BytesMut::new();
        ok.encode(&mut out);
        assert_eq!(out, b);
        // Without the capability the 13th byte is trailing.
        let e = parse_prepare_ok(&b, NO_CAPS).unwrap_err();
        assert_eq!((e.field, e.kind), ("trailing", ErrorKind::TrailingBytes));
    }
}

#[test]
fn prepare_ok_errors_name_the_field() {
    let err = |hex: &str, caps| {
        let e = parse_prepare_ok(&unhex(hex), caps).unwrap_err();
        assert_eq!(e.packet, Packet::PrepareOk);
        (e.field, e.kind)
    };
    assert_eq!(err("", NO_CAPS), ("status", ErrorKind::Truncated));
    assert_eq!(
        err("ff01000000160000000000", NO_CAPS),
        ("status", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err("000100", NO_CAPS),
        ("statement_id", ErrorKind::Truncated)
    );
    assert_eq!(
        err("0001000000", NO_CAPS),
        ("num_columns", ErrorKind::Truncated)
    );
    assert_eq!(
        err("000100000016", NO_CAPS),
        ("num_columns", ErrorKind::Truncated)
    );
    assert_eq!(
        err("00010000001600", NO_CAPS),
        ("num_params", ErrorKind::Truncated)
    );
    assert_eq!(
        err("00010000001600000001", NO_CAPS),
        ("reserved_1", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err("00010000001600000000", NO_CAPS),
        ("warning_count", ErrorKind::Truncated)
    );
    assert_eq!(
        err("0001000000160000000000", NO_CAPS),
        ("warning_count", ErrorKind::Truncated)
    );
    assert_eq!(
        err(PREPARE_OK_22_COLUMNS, META),
        ("metadata_follows", ErrorKind::Truncated)
    );
    assert_eq!(
        err("00010000001600000000000002", META),
        ("metadata_follows", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err("00010000001600000000000001ff", META),
        ("trailing", ErrorKind::TrailingBytes)
    );
    // Every cut: all fail except the 9-byte form.
    let b = unhex("00010000001600000000000001");
    for n in 0..b.len() {
        let r = parse_prepare_ok(&b[..n], META);
        assert_eq!(r.is_ok(), n == 9, "cut at {n}: {r:?}");
    }
}

// ---- COM_STMT_EXECUTE ------------------------------------------------------------------------

/// A parameter of any declared type with raw value bytes (to reproduce documented packets).
struct Raw(ParamType, &'static [u8]);

impl ToParam for Raw {
    fn param_type(&self) -> ParamType {
        self.0
    }
    fn encode_value(&self, out: &mut BytesMut) {
        out.put_slice(self.1);
    }
}

#[test]
fn execute_example_from_the_mysql_docs() {
    // MySQL dev docs, page_protocol_com_stmt_execute.html, example: statement 1, one VARCHAR
    // parameter "foo" (frame header `12 00 00 00` removed).
    let doc = unhex("170100000000010000000001" /* bitmap, bound */);
    let doc = [doc, unhex("0f0003666f6f")].concat();
    let foo = Raw(ParamType::signed(ColumnType::VARCHAR), b"\x03foo");
    let params: [&dyn ToParam; 1] = [&foo];
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &StmtExecute::new(1, 1, &params), NO_CAPS).unwrap();
    assert_eq!(&out[..], &doc[..]);
    let req = parse_stmt_execute(&doc, 1, NO_CAPS, &[], &[]).unwrap();
    assert_eq!(req.statement_id, 1);
    assert_eq!(
        (req.flags, req.iteration_count, req.types_sent),
        (0, 1, true)
    );
    assert_eq!(req.types, vec![ParamType::signed(ColumnType::VARCHAR)]);
    assert_eq!(req.values, vec![ParamValue::Value(b"foo")]);
    assert!(req.names.is_empty());
    every_cut_fails(&doc, |b| {
        parse_stmt_execute(b, 1, NO_CAPS, &[], &[]).is_err()
    });
}

/// The 19-parameter execute this encoder sent to MariaDB 10.11, which echoed every value back
/// unchanged in a binary row (protocol-notes/prepared-statements.md, "Seen live").
const LIVE_EXECUTE_19: &str = "17 02 00 00 00 00 01 00 00 00 00 00 02 01 01 00 01 80 02 00 02 80 03 00 03 80 08 00 08 80 01 00 04 00 05 00 fd 00 fc 00 f6 00 0a 00 0c 00 0b 00 06 00 0a 00 fb fa d4 fe ff ff 90 ee fe ff 00 28 6b ee 00 00 00 00 00 00 00 80 ff ff ff ff ff ff ff ff 01 33 33 23 41 3b 25 5f b8 83 6e bb d4 06 68 c3 a9 6c 6c 6f 02 00 ff 06 2d 31 32 2e 35 30 04 e8 07 02 1d 0b e8 07 02 1d 0d 0e 0f 20 a1 07 00 08 01 04 00 00 00 04 02 03 00";

fn live_params() -> (Decimal<'static>, Date, DateTime, Time) {
    let date = Date::new(2024, 2, 29).unwrap();
    (
        Decimal::parse("-12.50").unwrap().into_owned(),
        date,
        DateTime::new(date, 13, 14, 15, 500_000).unwrap(),
        Time::new(true, 100, 2, 3, 0).unwrap(),
    )
}

#[test]
fn execute_recorded_against_mariadb() {
    let (dec, date, dtm, tm) = live_params();
    let params: [&dyn ToParam; 19] = [
        &-5i8,
        &250u8,
        &-300i16,
        &65535u16,
        &-70000i32,
        &4_000_000_000u32,
        &i64::MIN,
        &u64::MAX,
        &true,
        &10.2f32,
        &-1.5e100f64,
        &"héllo",
        &b"\x00\xff",
        &dec,
        &date,
        &dtm,
        &tm,
        &None::<i32>,
        &Date::ZERO,
    ];
    let want = unhex(&LIVE_EXECUTE_19.replace(' ', ""));
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &StmtExecute::new(2, 19, &params), NO_CAPS).unwrap();
    assert_eq!(&out[..], &want[..]);
    let req = parse_stmt_execute(&want, 19, NO_CAPS, &[], &[]).unwrap();
    assert_eq!(req.values[17], ParamValue::Null);
    for (i, p) in params.iter().enumerate() {
        assert_eq!(req.types[i], p.param_type(), "type of {i}");
    }
    // Values read back with the binary getters.
    let v = |i: usize| match req.values[i] {
        ParamValue::Value(b) => b,
        other => panic!("{other:?}"),
    };
    let t = |i: usize| (req.types[i].column_type, req.types[i].column_flags());
    assert_eq!(i8::from_binary(v(0), t(0).0, t(0).1), Ok(-5));
    assert_eq!(u8::from_binary(v(1), t(1).0, t(1).1), Ok(250));
    assert_eq!(u64::from_binary(v(7), t(7).0, t(7).1), Ok(u64::MAX));
    assert_eq!(f32::from_binary(v(9), t(9).0, t(9).1), Ok(10.2));
    assert_eq!(<&str>::from_binary(v(11), t(11).0, t(11).1), Ok("héllo"));
    assert_eq!(
        Decimal::from_binary(v(13), t(13).0, t(13).1),
        Ok(dec.clone())
    );
    assert_eq!(DateTime::from_binary(v(15), t(15).0, t(15).1), Ok(dtm));
    assert_eq!(Time::from_binary(v(16), t(16).0, t(16).1), Ok(tm));
    assert_eq!(Date::from_binary(v(18), t(18).0, t(18).1), Ok(Date::ZERO));
    every_cut_fails(&want, |b| {
        parse_stmt_execute(b, 19, NO_CAPS, &[], &[]).is_err()
    });

    // The re-execute without types (also recorded): bound flag 0, no type bytes.
    let mut e = StmtExecute::new(2, 19, &params);
    e.send_types = false;
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, NO_CAPS).unwrap();
    let types_at = 10 + 3;
    assert_eq!(out[types_at], 0);
    assert_eq!(&out[types_at + 1..], &want[types_at + 1 + 38..]);
    let again = parse_stmt_execute(&out, 19, NO_CAPS, &req.types, &[]).unwrap();
    assert!(!again.types_sent);
    assert_eq!(again.values, req.values);
    // Without bound types the values cannot be split.
    let e = parse_stmt_execute(&out, 19, NO_CAPS, &[], &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("parameter_type", ErrorKind::Unexpected));
}

#[test]
fn execute_without_parameters_and_cursor_flags() {
    for flags in [
        CURSOR_TYPE_NO_CURSOR,
        CURSOR_TYPE_READ_ONLY,
        CURSOR_TYPE_FOR_UPDATE,
        CURSOR_TYPE_SCROLLABLE,
    ] {
        let mut e = StmtExecute::new(5, 0, &[]);
        e.flags = flags;
        let mut out = BytesMut::new();
        encode_stmt_execute(&mut out, &e, NO_CAPS).unwrap();
        // Recorded: `17 05 00 00 00 01 01 00 00 00` opened a read-only cursor on MariaDB.
        assert_eq!(&out[..], &[0x17, 5, 0, 0, 0, flags, 1, 0, 0, 0]);
        // With CLIENT_QUERY_ATTRIBUTES and nothing to send: the same 10 bytes.
        let mut qa = BytesMut::new();
        encode_stmt_execute(&mut qa, &e, QA).unwrap();
        assert_eq!(qa, out);
        let req = parse_stmt_execute(&out, 0, QA, &[], &[]).unwrap();
        assert_eq!((req.flags, req.values.len()), (flags, 0));
    }
    let e = parse_stmt_execute(&unhex("17050000000001000000ff"), 0, NO_CAPS, &[], &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("trailing", ErrorKind::TrailingBytes));
    let e = parse_stmt_execute(&unhex("16050000000001000000"), 0, NO_CAPS, &[], &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("command", ErrorKind::InvalidValue));
}

#[test]
fn execute_parameter_count_must_match() {
    let params: [&dyn ToParam; 2] = [&1i32, &2i32];
    for (caps, num_params, ok) in [
        (NO_CAPS, 2, true),
        (NO_CAPS, 1, false),
        (NO_CAPS, 3, false),
        (QA, 2, true),
        (QA, 1, true), // one attribute past the placeholder
        (QA, 3, false),
    ] {
        let mut out = BytesMut::new();
        let r = encode_stmt_execute(&mut out, &StmtExecute::new(1, num_params, &params), caps);
        assert_eq!(r.is_ok(), ok, "{caps:?} {num_params}");
        if let Err(e) = r {
            assert_eq!(
                e,
                ParseError::new(
                    Packet::StmtExecute,
                    "parameter_count",
                    ErrorKind::InvalidValue
                )
            );
            assert!(out.is_empty());
        }
    }
}

#[test]
fn execute_with_query_attributes() {
    // One placeholder plus one named attribute (MySQL 8.0.26+ layout).
    let params: [&dyn ToParam; 2] = [&7i64, &"trace-1"];
    let names: [&[u8]; 2] = [b"", b"traceparent"];
    let mut e = StmtExecute::new(9, 1, &params);
    e.names = &names;
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, QA).unwrap();
    let want = [
        &[0x17, 9, 0, 0, 0, 0, 1, 0, 0, 0][..],
        &[2],              // parameter_count
        &[0x00, 0x01],     // NULL bitmap, new_params_bind_flag
        &[0x08, 0x00, 0],  // LONGLONG, no name
        &[0xfd, 0x00, 11], // VAR_STRING, name
        b"traceparent",
        &7i64.to_le_bytes(),
        b"\x07trace-1",
    ]
    .concat();
    assert_eq!(&out[..], &want[..]);
    let req = parse_stmt_execute(&out, 1, QA, &[], &[]).unwrap();
    assert_eq!(req.names, vec![&b""[..], b"traceparent"]);
    assert_eq!(req.values[1], ParamValue::Value(b"trace-1"));
    every_cut_fails(&out, |b| parse_stmt_execute(b, 1, QA, &[], &[]).is_err());
    // Without the capability the same statement takes no count and no names.
    let mut plain = BytesMut::new();
    encode_stmt_execute(&mut plain, &StmtExecute::new(9, 1, &params[..1]), NO_CAPS).unwrap();
    assert_eq!(
        &plain[..],
        &unhex("17090000000001000000000108000700000000000000")[..]
    );

    // Attributes on a statement without placeholders: PARAMETER_COUNT_AVAILABLE is set.
    let attrs: [&dyn ToParam; 1] = [&"x"];
    let mut e = StmtExecute::new(3, 0, &attrs);
    e.names = &[b"a"];
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, QA).unwrap();
    assert_eq!(out[5], PARAMETER_COUNT_AVAILABLE);
    assert_eq!(&out[10..], &unhex("010001fd0001610178")[..]);
    let req = parse_stmt_execute(&out, 0, QA, &[], &[]).unwrap();
    assert_eq!(req.names, vec![&b"a"[..]]);
    // The flag with a zero count: the count only.
    let mut e = StmtExecute::new(3, 0, &[]);
    e.flags = PARAMETER_COUNT_AVAILABLE;
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, QA).unwrap();
    assert_eq!(&out[10..], &[0]);
    assert!(parse_stmt_execute(&out, 0, QA, &[], &[])
        .unwrap()
        .values
        .is_empty());
    // A count below the statement's placeholders, or beyond 65535.
    let e = parse_stmt_execute(&unhex("1709000000000100000001"), 2, QA, &[], &[]).unwrap_err();
    assert_eq!(
        (e.field, e.kind),
        ("parameter_count", ErrorKind::InvalidValue)
    );
    let huge = unhex(&["17", "09000000", "00", "01000000", "fe0000010000000000"].concat());
    let e = parse_stmt_execute(&huge, 2, QA, &[], &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("parameter_count", ErrorKind::TooLarge));
}

#[test]
fn execute_null_bitmap_has_no_offset() {
    // Parameter i is bit i: nine parameters, the 1st and 9th NULL.
    let params: Vec<Option<i8>> = (0..9).map(|i| (i % 8 != 0).then_some(i)).collect();
    let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &StmtExecute::new(1, 9, &refs), NO_CAPS).unwrap();
    assert_eq!(&out[10..12], &[0x01, 0x01]);
    assert_eq!(out[12], 1);
    // NULL parameters are declared as MYSQL_TYPE_NULL.
    assert_eq!(&out[13..15], &[0x06, 0x00]);
    assert_eq!(&out[15..17], &[0x01, 0x00]);
    let req = parse_stmt_execute(&out, 9, NO_CAPS, &[], &[]).unwrap();
    assert_eq!(req.values[0], ParamValue::Null);
    assert_eq!(req.values[8], ParamValue::Null);
    assert_eq!(req.values[3], ParamValue::Value(&[3]));
}

#[test]
fn long_data_is_left_out_of_the_execute() {
    let big = "x".repeat(300);
    let params: [&dyn ToParam; 4] = [&big, &b"abc", &None::<String>, &5i32];
    let long: Vec<_> = long_data_params(&params, 100).collect();
    assert_eq!(long, vec![(0u16, big.as_bytes())]);
    assert_eq!(long_data_params(&params, 3).count(), 2);
    let mut e = StmtExecute::new(6, 4, &params);
    e.long_data_threshold = Some(100);
    let mut out = BytesMut::new();
    encode_stmt_execute(&mut out, &e, NO_CAPS).unwrap();
    // Recorded against MariaDB with the first two parameters: `… 00 01 fd 00 fc 00 03 61 62 63`.
    assert_eq!(
        &out[10..],
        &unhex(
            "0401fd00fc000600030003616263050000 00"
                .replace(' ', "")
                .as_str()
        )[..]
    );
    let req = parse_stmt_execute(&out, 4, NO_CAPS, &[], &[0]).unwrap();
    assert_eq!(
        req.values,
        vec![
            ParamValue::LongData,
            ParamValue::Value(b"abc"),
            ParamValue::Null,
            ParamValue::Value(&[5, 0, 0, 0])
        ]
    );
    // The chunks.
    let mut out = BytesMut::new();
    encode_stmt_send_long_data(&mut out, 6, 0, &big.as_bytes()[..150]);
    assert_eq!(&out[..7], &[0x18, 6, 0, 0, 0, 0, 0]);
    assert_eq!(
        parse_stmt_command(&out).unwrap(),
        StmtCommand::SendLongData {
            statement_id: 6,
            param_id: 0,
            data: &big.as_bytes()[..150]
        }
    );
}

#[test]
fn reset_close_fetch() {
    // MySQL dev docs examples (page_protocol_com_stmt_reset.html, …_close.html), frame header
    // removed; FETCH recorded against MariaDB 10.11.
    let mut out = BytesMut::new();
    encode_stmt_reset(&mut out, 1);
    assert_eq!(&out[..], &unhex("1a01000000")[..]);
    assert_eq!(parse_stmt_command(&out).unwrap(), StmtCommand::Reset(1));
    let mut out = BytesMut::new();
    encode_stmt_close(&mut out, 1);
    assert_eq!(&out[..], &unhex("1901000000")[..]);
    assert_eq!(parse_stmt_command(&out).unwrap(), StmtCommand::Close(1));
    let mut out = BytesMut::new();
    encode_stmt_fetch(&mut out, 5, 2);
    assert_eq!(&out[..], &unhex("1c0500000002000000")[..]);
    assert_eq!(
        parse_stmt_command(&out).unwrap(),
        StmtCommand::Fetch {
            statement_id: 5,
            num_rows: 2
        }
    );
    every_cut_fails(&out, |b| parse_stmt_command(b).is_err());
    every_cut_fails(&unhex("1a01000000"), |b| parse_stmt_command(b).is_err());
    every_cut_fails(&unhex("18010000000000"), |b| parse_stmt_command(b).is_err());
    let e = parse_stmt_command(&unhex("1a0100000000")).unwrap_err();
    assert_eq!((e.field, e.kind), ("trailing", ErrorKind::TrailingBytes));
    let e = parse_stmt_command(&unhex("0301000000")).unwrap_err();
    assert_eq!((e.field, e.kind), ("command", ErrorKind::InvalidValue));
    let mut out = BytesMut::new();
    encode_stmt_prepare(&mut out, b"SELECT ?");
    assert_eq!(&out[..], b"\x16SELECT ?");
}

// ---- COM_STMT_BULK_EXECUTE -------------------------------------------------------------------

#[test]
fn bulk_execute_round_trips() {
    let types = [1i32.param_type(), "".param_type()];
    let rows = [
        [BulkParam::Value(&1i32), BulkParam::Value(&"a")],
        [BulkParam::Null, BulkParam::Default],
        [BulkParam::Value(&None::<i32>), BulkParam::Ignore],
    ];
    let mut out = BytesMut::new();
    encode_stmt_bulk_execute(&mut out, 7, BULK_SEND_TYPES_TO_SERVER, &types, &rows).unwrap();
    assert_eq!(
        &out[..],
        &unhex(
            "fa07000000800003 00fd00 000100000000 0161 0102 0103"
                .replace(' ', "")
                .as_str()
        )[..]
    );
    let req = parse_stmt_bulk_execute(&out, 2, &[]).unwrap();
    assert_eq!(req.statement_id, 7);
    assert_eq!(req.flags, BULK_SEND_TYPES_TO_SERVER);
    assert_eq!(req.types, types);
    assert_eq!(
        req.rows,
        vec![
            vec![BulkValue::Value(&[1, 0, 0, 0]), BulkValue::Value(b"a")],
            vec![BulkValue::Null, BulkValue::Default],
            vec![BulkValue::Null, BulkValue::Ignore],
        ]
    );
    for n in 0..out.len() {
        // A cut between rows is a shorter valid packet; every other cut fails.
        if let Ok(r) = parse_stmt_bulk_execute(&out[..n], 2, &[]) {
            assert!(r.rows.len() < 3 && matches!(n, 19 | 21), "cut at {n}");
        }
    }
    // Without the types flag the statement's bound types are used.
    let mut out = BytesMut::new();
    encode_stmt_bulk_execute(&mut out, 7, 0, &types, &rows).unwrap();
    assert_eq!(&out[5..7], &[0, 0]);
    assert_eq!(
        parse_stmt_bulk_execute(&out, 2, &types).unwrap().rows,
        req.rows
    );
    let e = parse_stmt_bulk_execute(&out, 2, &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("parameter_type", ErrorKind::Unexpected));
}

#[test]
fn bulk_execute_checks_rows_and_types() {
    let types = [1i32.param_type()];
    let mut out = BytesMut::new();
    let no_rows: [[BulkParam; 1]; 0] = [];
    let err = |r: ParseResult<()>| r.map_err(|e| (e.field, e.kind));
    assert_eq!(
        err(encode_stmt_bulk_execute(&mut out, 1, 0, &types, &no_rows)),
        Err(("rows", ErrorKind::InvalidValue))
    );
    assert_eq!(
        err(encode_stmt_bulk_execute(
            &mut out,
            1,
            0,
            &types,
            &[[BulkParam::Null, BulkParam::Null]]
        )),
        Err(("row_width", ErrorKind::InvalidValue))
    );
    assert_eq!(
        err(encode_stmt_bulk_execute(
            &mut out,
            1,
            0,
            &types,
            &[[BulkParam::Value(&1i64)]]
        )),
        Err(("parameter_type", ErrorKind::InvalidValue))
    );
    assert!(out.is_empty());
    // A bad indicator; a statement without parameters.
    let e = parse_stmt_bulk_execute(&unhex("fa010000008000030004"), 1, &[]).unwrap_err();
    assert_eq!((e.field, e.kind), ("indicator", ErrorKind::InvalidValue));
    let e = parse_stmt_bulk_execute(&unhex("fa010000000000"), 0, &[]).unwrap_err();
    assert_eq!(
        (e.field, e.kind),
        ("parameter_count", ErrorKind::InvalidValue)
    );
    let e = parse_stmt_bulk_execute(&unhex("fa0100000000000001"), 1, &types).unwrap_err();
    assert_eq!((e.field, e.kind), ("parameter_value", ErrorKind::Truncated));
}

// ---- COM_QUERY with query attributes ---------------------------------------------------------

#[test]
fn query_attributes() {
    let mut out = BytesMut::new();
    encode_query_with_attributes(&mut out, b"SELECT 1", &[]).unwrap();
    assert_eq!(&out[..], b"\x03\x00\x01SELECT 1");
    let (attrs, sql) = parse_query_with_attributes(&out).unwrap();
    assert!(attrs.is_empty());
    assert_eq!(sql, b"SELECT 1");

    let mut out = BytesMut::new();
    let attrs: [(&[u8], &dyn ToParam); 2] = [(b"traceparent", &"00-ab"), (b"n", &None::<u8>)];
    encode_query_with_attributes(
        &mut out,
        b"SELECT mysql_query_attribute_string('n')",
        &attrs,
    )
    .unwrap();
    let want = [
        &b"\x03\x02\x01"[..],
        &[0x02, 0x01],
        &[0xfd, 0x00, 11],
        b"traceparent",
        &[0x06, 0x00, 1, b'n'],
        b"\x0500-ab",
        b"SELECT mysql_query_attribute_string('n')",
    ]
    .concat();
    assert_eq!(&out[..], &want[..]);
    let (parsed, sql) = parse_query_with_attributes(&out).unwrap();
    assert_eq!(sql, b"SELECT mysql_query_attribute_string('n')");
    assert_eq!(
        parsed,
        vec![
            QueryAttribute {
                name: b"traceparent",
                param_type: ParamType::signed(ColumnType::VAR_STRING),
                value: ParamValue::Value(b"00-ab"),
            },
            QueryAttribute {
                name: b"n",
                param_type: ParamType::NULL,
                value: ParamValue::Null,
            },
        ]
    );
    // Cuts inside the attribute block fail (cuts in the SQL text are shorter queries).
    every_cut_fails(&out[..want.len() - sql.len()], |b| {
        parse_query_with_attributes(b).is_err()
    });
    let e = parse_query_with_attributes(b"\x03\x00\x02SELECT 1").unwrap_err();
    assert_eq!(
        (e.field, e.kind),
        ("parameter_set_count", ErrorKind::InvalidValue)
    );
    let e = parse_query_with_attributes(b"\x03\x01\x01\x00\x00\x06\x00\x00").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unexpected);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A parameter of a random supported type.
    fn param() -> impl Strategy<Value = crate::codec::value::Param<'static>> {
        use crate::codec::value::Param;
        prop_oneof![
            Just(Param::Null),
            any::<i64>().prop_map(Param::Int),
            any::<u64>().prop_map(Param::UInt),
            any::<f32>().prop_map(Param::Float),
            any::<f64>().prop_map(Param::Double),
            ".{0,40}".prop_map(|s| Param::Text(s.into())),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| Param::Bytes(b.into())),
            (0..=9999u16, 0..=12u8, 0..=31u8)
                .prop_map(|(y, m, d)| Param::Date(Date::new(y, m, d).unwrap())),
            (
                0..=838u32,
                0..=59u8,
                0..=59u8,
                0..=999_999u32,
                any::<bool>()
            )
                .prop_map(|(h, m, s, us, n)| Param::Time(Time::new(n, h, m, s, us).unwrap())),
        ]
    }

    proptest! {
        /// encode -> parse gives back every parameter's type and bytes; every cut fails.
        #[test]
        fn execute_round_trips(
            params in proptest::collection::vec(param(), 0..20),
            attrs in any::<bool>(),
            send_types in any::<bool>(),
        ) {
            let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
            let caps = if attrs { QA } else { NO_CAPS };
            let n = u16::try_from(params.len()).unwrap();
            let mut e = StmtExecute::new(42, n, &refs);
            e.send_types = send_types;
            let mut out = BytesMut::new();
            encode_stmt_execute(&mut out, &e, caps).unwrap();
            let types: Vec<ParamType> = refs.iter().map(|p| p.param_type()).collect();
            let req = parse_stmt_execute(&out, n, caps, &types, &[]).unwrap();
            prop_assert_eq!(req.statement_id, 42);
            prop_assert_eq!(&req.types, &types);
            for (p, v) in refs.iter().zip(&req.values) {
                let mut want = BytesMut::new();
                p.encode_value(&mut want);
                match v {
                    ParamValue::Null => prop_assert!(p.is_null()),
                    ParamValue::Value(b) => prop_assert!(want.ends_with(b)),
                    ParamValue::LongData => prop_assert!(false),
                }
            }
            for cut in 0..out.len() {
                prop_assert!(parse_stmt_execute(&out[..cut], n, caps, &types, &[]).is_err());
            }
        }
    }
}
