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

mod bulk_and_attributes;
mod execute;
mod props;
