//! COM_STMT_BULK_EXECUTE and COM_QUERY with query attributes.

use super::*;

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
