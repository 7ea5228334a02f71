//! Typed text values: every FromValue::from_text getter on arbitrary bytes as every column type;
//! values that parse print (Display) to text that parses back to the same value.
//! Input: column type byte, 2 bytes of column flags, then the cell.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::codec::value::{Date, DateTime, Decimal, FromValue, Time};
use mywire::codec::{ColumnFlags, ColumnType};
use mywire_fuzz::{all_getters, COLUMN_TYPES};

const TEXT: ColumnType = ColumnType::VARCHAR;

fuzz_target!(|data: &[u8]| {
    let Some((&[t, f0, f1], cell)) = data.split_first_chunk::<3>() else {
        return;
    };
    let flags = ColumnFlags(u16::from_le_bytes([f0, f1]));
    std::hint::black_box(all_getters(cell, ColumnType(t), flags));
    for &ty in COLUMN_TYPES {
        std::hint::black_box(all_getters(cell, ColumnType(ty), flags));
    }
    let nof = ColumnFlags::empty();
    if let Ok(v) = i64::from_text(cell, TEXT, nof) {
        assert_eq!(
            i64::from_text(v.to_string().as_bytes(), TEXT, nof).ok(),
            Some(v)
        );
    }
    if let Ok(v) = u64::from_text(cell, TEXT, nof) {
        assert_eq!(
            u64::from_text(v.to_string().as_bytes(), TEXT, nof).ok(),
            Some(v)
        );
    }
    if let Ok(v) = f64::from_text(cell, TEXT, nof) {
        let back = f64::from_text(v.to_string().as_bytes(), TEXT, nof).expect("f64 display parses");
        assert_eq!(back.to_bits(), v.to_bits(), "f64 round trip of {v}");
    }
    if let Ok(v) = f32::from_text(cell, TEXT, nof) {
        let back = f32::from_text(v.to_string().as_bytes(), TEXT, nof).expect("f32 display parses");
        assert_eq!(back.to_bits(), v.to_bits(), "f32 round trip of {v}");
    }
    if let Ok(v) = Decimal::from_text(cell, TEXT, nof) {
        assert_eq!(
            v.to_string().parse::<Decimal<'static>>().ok(),
            Some(v.clone().into_owned())
        );
        let _ = (
            v.is_negative(),
            v.integer_part(),
            v.fraction_part(),
            v.scale(),
        );
    }
    if let Ok(v) = Date::from_text(cell, TEXT, nof) {
        assert_eq!(
            v.to_string().parse::<Date>().ok(),
            Some(v),
            "date round trip"
        );
    }
    if let Ok(v) = DateTime::from_text(cell, TEXT, nof) {
        assert_eq!(
            v.to_string().parse::<DateTime>().ok(),
            Some(v),
            "datetime round trip"
        );
        assert_eq!(
            format!("{v:.6}").parse::<DateTime>().ok(),
            Some(v),
            "datetime {{:.6}}"
        );
    }
    if let Ok(v) = Time::from_text(cell, TEXT, nof) {
        assert_eq!(
            v.to_string().parse::<Time>().ok(),
            Some(v),
            "time round trip"
        );
        assert_eq!(
            format!("{v:.6}").parse::<Time>().ok(),
            Some(v),
            "time {{:.6}}"
        );
        let _ = v.total_micros();
    }
});
