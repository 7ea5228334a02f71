//! COM_STMT_EXECUTE: docs and recorded vectors, parameter counts, query attributes, long data; RESET, CLOSE, FETCH.

use super::*;

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
