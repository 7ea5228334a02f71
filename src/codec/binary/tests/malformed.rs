//! Malformed rows name their field; every NULL-bitmap pattern; cells reused across rows.

use super::*;

#[test]
fn malformed_rows_name_the_field() {
    assert_eq!(err(&[], &[]), ("header", ErrorKind::Truncated));
    assert_eq!(err(&[0x01, 0x00], &[]), ("header", ErrorKind::InvalidValue));
    assert_eq!(
        err(&[0xfe, 0x00, 0x00, 0x02, 0x00], &[]),
        ("header", ErrorKind::InvalidValue)
    );
    assert_eq!(err(&[0x00], &[]), ("null_bitmap", ErrorKind::Truncated));
    assert_eq!(
        err(&[0x00, 0x00, 0x00], &[0x01; 7]),
        ("value", ErrorKind::Truncated)
    );
    // The reserved bits, and the padding past the last column.
    assert_eq!(
        err(&[0x00, 0x01], &[]),
        ("null_bitmap", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err(&[0x00, 0x02], &[]),
        ("null_bitmap", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err(&[0x00, 0x08, 0x01], &[0x01]),
        ("null_bitmap", ErrorKind::InvalidValue)
    );
    assert_eq!(
        err(&[0x00, 0x80], &[0x01; 5]),
        ("null_bitmap", ErrorKind::InvalidValue)
    );
    assert!(parse(&[0x00, 0x80, 1, 2, 3, 4, 5], &[0x01; 6])
        .unwrap()
        .is_null(5));
    // Temporal lengths.
    for n in [1u8, 2, 3, 5, 6, 8, 9, 10, 12, 13, 0xfb, 0xfc, 0xff] {
        let mut row = vec![0x00, 0x00, n];
        row.resize(3 + usize::from(n), 0);
        assert_eq!(
            err(&row, &[0x0c]),
            ("datetime_length", ErrorKind::InvalidValue),
            "{n}"
        );
        assert_eq!(
            err(&row, &[0x0a]),
            ("datetime_length", ErrorKind::InvalidValue),
            "{n}"
        );
        assert_eq!(
            err(&row, &[0x07]),
            ("datetime_length", ErrorKind::InvalidValue),
            "{n}"
        );
    }
    for n in [1u8, 4, 7, 9, 11, 13, 0xfc] {
        let mut row = vec![0x00, 0x00, n];
        row.resize(3 + usize::from(n), 0);
        assert_eq!(
            err(&row, &[0x0b]),
            ("time_length", ErrorKind::InvalidValue),
            "{n}"
        );
    }
    assert_eq!(
        err(&[0x00, 0x00, 0x0b, 0, 0], &[0x0c]),
        ("value", ErrorKind::Truncated)
    );
    assert_eq!(
        err(&[0x00, 0x00], &[0x0b]),
        ("time_length", ErrorKind::Truncated)
    );
    // A NULL-typed column must be NULL.
    assert_eq!(
        err(&[0x00, 0x00], &[0x06]),
        ("value", ErrorKind::InvalidValue)
    );
    assert!(parse(&[0x00, 0x04], &[0x06]).unwrap().is_null(0));
    // Length-encoded values: a length past the end, 0xFF, NULL (0xFB), an 8-byte length.
    assert_eq!(
        err(&[0x00, 0x00, 0x05, b'a'], &[0xfd]),
        ("value", ErrorKind::Truncated)
    );
    assert_eq!(
        err(&[0x00, 0x00, 0xff], &[0xfd]),
        ("value", ErrorKind::InvalidLenencPrefix)
    );
    assert_eq!(
        err(&[0x00, 0x00, 0xfb], &[0xfd]),
        ("value", ErrorKind::UnexpectedNull)
    );
    assert_eq!(
        err(
            &unhex("0000fe00000000000000 8061".replace(' ', "").as_str()),
            &[0xfc]
        ),
        ("value", ErrorKind::Truncated)
    );
    assert_eq!(
        err(&[0x00, 0x00, 0xfc, 0x01], &[0xfd]),
        ("value", ErrorKind::Truncated)
    );
    // Trailing bytes.
    assert_eq!(
        err(&[0x00, 0x00, 0x07, 0x00], &[0x01]),
        ("trailing", ErrorKind::TrailingBytes)
    );
    assert_eq!(
        err(&[0x00, 0x00, 0x00], &[]),
        ("trailing", ErrorKind::TrailingBytes)
    );
    // A long length prefix for a short value is accepted (as in text rows).
    let cells = parse(&[0x00, 0x00, 0xfc, 0x01, 0x00, b'x'], &[0xfd]).unwrap();
    assert_eq!(
        cells.get(&[0x00, 0x00, 0xfc, 0x01, 0x00, b'x'], 0),
        Some(&b"x"[..])
    );
}

/// The NULL bitmap offset, for 0..=17 columns and every NULL pattern: column `i` is bit
/// `i + 2`, the bitmap is `(n + 9) / 8` bytes, and the encoder and parser agree.
#[test]
fn null_bitmap_every_pattern() {
    for n in 0..=17usize {
        let codes = vec![0x01u8; n];
        for pattern in 0u32..(1 << n) {
            let values: Vec<Option<i8>> = (0..n)
                .map(|i| (pattern & (1 << i) == 0).then_some(i8::try_from(i).unwrap()))
                .collect();
            let refs: Vec<&dyn ToParam> = values.iter().map(|v| v as &dyn ToParam).collect();
            let mut out = BytesMut::new();
            encode_binary_row(&refs, &mut out);
            let bitmap_len = (n + 9) / 8;
            assert_eq!(
                out.len(),
                1 + bitmap_len + (n - pattern.count_ones() as usize)
            );
            let bits = out[1..1 + bitmap_len]
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            assert_eq!(bits, u64::from(pattern) << 2, "n {n} pattern {pattern:#b}");
            let cells = parse(&out, &codes).unwrap();
            for (i, v) in values.iter().enumerate() {
                assert_eq!(cells.is_null(i), v.is_none());
                assert_eq!(cells.get(&out, i).map(|b| i8::from_le_bytes([b[0]])), *v);
            }
        }
    }
}

#[test]
fn cells_are_reused_and_values_round_trip() {
    let mut cells = BinaryRowCells::new();
    let date = Date::new(2024, 2, 29).unwrap();
    let values: [&dyn ToParam; 6] = [&-1i64, &"x", &None::<f64>, &date, &0.5f64, &b"\x01"];
    let mut out = BytesMut::new();
    encode_binary_row(&values, &mut out);
    let col_types: Vec<ColumnType> = values.iter().map(|v| v.param_type().column_type).collect();
    cells.parse_types(&out, col_types.iter().copied()).unwrap();
    assert_eq!(cells.len(), 6);
    assert!(!cells.is_empty());
    assert_eq!(cells.get(&out, 1), Some(&b"x"[..]));
    assert!(cells.is_null(2));
    assert_eq!(
        Date::from_binary(
            cells.get(&out, 3).unwrap(),
            ColumnType::DATE,
            ColumnFlags::empty()
        ),
        Ok(date)
    );
    // A second parse replaces the cells.
    cells
        .parse_types(&[0x00, 0x00], std::iter::empty())
        .unwrap();
    assert!(cells.is_empty());
    // Through column definitions.
    let defs: Vec<_> = col_types.iter().map(|&t| column(t)).collect();
    cells.parse(&out, &defs).unwrap();
    assert_eq!(cells.len(), 6);
    assert!(cells.parse(&out, &defs[..5]).is_err());
}
