//! Binary rows recorded from MariaDB, read the same by both protocols.

use super::*;

fn recorded() -> (Vec<u8>, BinaryRowCells) {
    let row = unhex(&RECORDED_ROW.replace(' ', ""));
    let codes: Vec<u8> = TABLE_TYPES.iter().map(|t| t.0).collect();
    let cells = parse(&row, &codes).unwrap();
    (row, cells)
}

#[test]
fn recorded_mariadb_row() {
    let (row, cells) = recorded();
    assert_eq!(row.len(), 126);
    assert_eq!(cells.len(), 22);
    let col = |i: usize| (ColumnType(TABLE_TYPES[i].0), ColumnFlags(TABLE_TYPES[i].1));
    let cell = |i: usize| cells.get(&row, i).unwrap();
    macro_rules! get {
        ($t:ty, $i:expr) => {
            <$t>::from_binary(cell($i), col($i).0, col($i).1)
        };
    }
    assert_eq!(get!(i8, 0), Ok(-5));
    assert_eq!(get!(u8, 1), Ok(250));
    assert_eq!(get!(i8, 1).unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(get!(i16, 2), Ok(-300));
    assert_eq!(get!(i8, 2).unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(get!(i32, 3), Ok(-8_388_608));
    assert_eq!(get!(u32, 4), Ok(16_777_215));
    assert_eq!(get!(i32, 5), Ok(i32::MIN));
    assert_eq!(get!(i64, 6), Ok(i64::MIN));
    assert_eq!(get!(u64, 7), Ok(u64::MAX));
    assert_eq!(get!(i64, 7).unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(get!(u16, 8), Ok(2024));
    assert_eq!(get!(f32, 9), Ok(10.2));
    assert_eq!(get!(f64, 10), Ok(-1.5e100));
    assert_eq!(get!(f32, 10).unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(get!(Decimal, 11).unwrap().as_str(), "-15.50");
    assert_eq!(get!(Date, 12), Ok(Date::new(2010, 10, 17).unwrap()));
    assert_eq!(
        get!(DateTime, 13).unwrap().to_string(),
        "2010-10-17 19:27:30.000001"
    );
    assert_eq!(
        get!(DateTime, 14).unwrap().to_string(),
        "2024-01-02 03:04:05.678"
    );
    assert_eq!(get!(Time, 15).unwrap().total_micros(), -3_020_399_999_999);
    assert_eq!(get!(&str, 16), Ok("héllo"));
    assert_eq!(get!(&[u8], 17), Ok(&b"\x00\xff"[..]));
    assert_eq!(get!(u16, 18), Ok(0x0201));
    assert_eq!(get!(String, 19).as_deref(), Ok("b"));
    assert_eq!(get!(&str, 20), Ok("{\"a\":1}"));
    assert_eq!(get!(u32, 21), Ok(42));
    // Re-encoding the cells gives the recorded row back.
    let cell_list: Vec<Option<&[u8]>> = (0..22).map(|i| cells.get(&row, i)).collect();
    let mut out = BytesMut::new();
    encode_binary_row_cells(&types(&TABLE_TYPES.map(|t| t.0)), &cell_list, &mut out);
    assert_eq!(&out[..], &row[..]);
    // Every cut fails.
    for n in 0..row.len() {
        assert!(
            parse(&row[..n], &TABLE_TYPES.map(|t| t.0)).is_err(),
            "cut at {n}"
        );
    }
}

/// Every getter gives the same result from the recorded binary row as from the recorded text
/// row, but for the documented differences.
#[test]
fn recorded_row_reads_the_same_by_both_protocols() {
    let (row, cells) = recorded();
    for (i, &(code, flags)) in TABLE_TYPES.iter().enumerate() {
        let (col, flags) = (ColumnType(code), ColumnFlags(flags));
        let bin = cells.get(&row, i).unwrap();
        let text = RECORDED_TEXT[i];
        macro_rules! same {
            ($($t:ty),*) => {$(
                assert_eq!(
                    <$t>::from_binary(bin, col, flags),
                    <$t>::from_text(text, col, flags),
                    "{} as {}", i, stringify!($t)
                );
            )*};
        }
        same!(i8, i16, i32, i64, u8, u16, u32, u64, bool, Date, DateTime, Time);
        if flags.contains(ColumnFlags::ZEROFILL) && col != ColumnType::YEAR {
            // The text protocol pads ZEROFILL integers ("0042"); the binary value has no padding.
            assert_eq!(
                Decimal::from_binary(bin, col, flags).unwrap().as_str(),
                "42"
            );
            assert_eq!(
                Decimal::from_text(text, col, flags).unwrap().as_str(),
                "0042"
            );
        } else {
            same!(Decimal);
        }
        if code != 0x04 {
            // FLOAT differs by design for f64 (the exact f32 against the parsed text).
            same!(f32, f64);
        } else {
            assert_eq!(f64::from_binary(bin, col, flags), Ok(f64::from(10.2f32)));
        }
        match BinaryLayout::of(col) {
            BinaryLayout::LengthEncoded => {
                same!(&str, String, &[u8], Vec<u8>);
            }
            _ => {
                assert_eq!(
                    <&str>::from_binary(bin, col, flags).unwrap_err().kind,
                    ErrorKind::InvalidValue
                );
                assert_eq!(
                    <&[u8]>::from_binary(bin, col, flags).unwrap_err().kind,
                    ErrorKind::InvalidValue
                );
            }
        }
    }
    // The owned strings of binary cells: the value's own text.
    let s = |i: usize| {
        let (code, flags) = TABLE_TYPES[i];
        String::from_binary(
            cells.get(&row, i).unwrap(),
            ColumnType(code),
            ColumnFlags(flags),
        )
        .unwrap()
    };
    assert_eq!(s(0), "-5");
    assert_eq!(s(9), "10.2");
    assert_eq!(s(12), "2010-10-17");
    assert_eq!(s(15), "-838:59:59.999999");
    assert_eq!(s(21), "42"); // the text protocol says "0042" (ZEROFILL)
}

#[test]
fn recorded_rows_with_zeros_and_nulls() {
    // Row 2 of the table: zeros, zero dates, the zero TIME (length 0), TIMESTAMP at midnight
    // (length 4); rows 3 and 4: NULLs and `25:00:00` as 1 day + 1 hour.
    let codes = TABLE_TYPES.map(|t| t.0);
    let row2 = unhex("000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004302e3030000004e80701020000000200000161046e756c6c00000000");
    let cells = parse(&row2, &codes).unwrap();
    let nof = ColumnFlags::empty();
    assert_eq!(cells.get(&row2, 12), Some(&[][..]));
    assert_eq!(
        Date::from_binary(cells.get(&row2, 12).unwrap(), ColumnType::DATE, nof),
        Ok(Date::ZERO)
    );
    assert_eq!(
        Date::from_binary(cells.get(&row2, 14).unwrap(), ColumnType::TIMESTAMP, nof),
        Ok(Date::new(2024, 1, 2).unwrap())
    );
    assert!(Time::from_binary(cells.get(&row2, 15).unwrap(), ColumnType::TIME, nof).is_ok());
    let row3 = unhex("00fcffff");
    let cells = parse(&row3, &codes).unwrap();
    assert!((0..22).all(|i| cells.is_null(i) && cells.get(&row3, i).is_none()));
    let row4 = unhex("00fc3ffd04e807021d07e807021d0d0e0f080001000000010000");
    let cells = parse(&row4, &codes).unwrap();
    let t = Time::from_binary(cells.get(&row4, 15).unwrap(), ColumnType::TIME, nof).unwrap();
    assert_eq!(t.to_string(), "25:00:00");
    let dt =
        DateTime::from_binary(cells.get(&row4, 13).unwrap(), ColumnType::DATETIME, nof).unwrap();
    assert_eq!(dt.to_string(), "2024-02-29 13:14:15");
    // A two-column cursor row of NULLs (`00 0c`).
    let cells = parse(&[0x00, 0x0c], &[0x03, 0xfd]).unwrap();
    assert!(cells.is_null(0) && cells.is_null(1));
}
