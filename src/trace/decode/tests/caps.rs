//! What the decoder remembers is bounded: statements, their SQL, commands waiting for their
//! responses; and it says so when it forgot.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::{execute, Conv};
use crate::codec::command::COM_QUERY;
use crate::codec::stmt::{encode_stmt_close, encode_stmt_prepare};
use crate::codec::ColumnType;
use crate::trace::decode::owed::MAX_OWED;
use crate::trace::decode::stmt::{MAX_SQL_BYTES, MAX_STATEMENTS};
use crate::trace::decode::Value;
use crate::trace::format::{render, Format};

fn prepare_ok(id: u32, params: u16) -> bytes::BytesMut {
    let mut b = bytes::BytesMut::new();
    crate::codec::stmt::PrepareOk {
        statement_id: id,
        num_columns: 0,
        num_params: params,
        warning_count: Some(0),
        metadata: None,
    }
    .encode(&mut b);
    b
}

fn note(d: &super::Decoded) -> String {
    match d.field("note") {
        Some(Value::Str(s)) => s.clone(),
        other => panic!("no note: {other:?} in a {}", d.kind),
    }
}

/// Past the SQL budget a statement is remembered without its SQL: its commands say so, and
/// its parameters still decode. Closing a statement gives its bytes back.
#[test]
fn sql_past_the_budget_is_forgotten_and_said() {
    let mut c = Conv::new(true);
    let big = format!("SELECT ? /* {} */", "x".repeat(MAX_SQL_BYTES / 2 + 1));
    c.prepare(&big, 1, &[ColumnType::LONGLONG], &[]);
    // The second does not fit: shown in its prepare, not remembered.
    let d = c.client(|b| encode_stmt_prepare(b, big.as_bytes()));
    assert!(matches!(d.field("sql"), Some(Value::Text(t)) if t.len() == big.len()));
    c.seq = 1;
    let d = c.server(prepare_ok(2, 1));
    assert_eq!(d.field("sql"), Some(&Value::Unknown));
    assert!(note(&d).starts_with("SQL not remembered"), "{:?}", d.kind);
    c.def(
        "?",
        ColumnType::LONGLONG,
        crate::codec::ColumnFlags::empty(),
    );
    let d = execute(&mut c, 2, 1, &[&5i64], true, None);
    assert_eq!(d.field("sql"), Some(&Value::Unknown));
    assert!(note(&d).starts_with("SQL not remembered: over the decoder's caps"));
    assert_eq!(
        d.field("params"),
        Some(&Value::Typed(vec![super::num("5")]))
    );
    let t = render(&d, Format::Text, false);
    assert!(t.contains("sql=<unknown> note=\"SQL not remembered"), "{t}");
    let j = render(&d, Format::Json, false);
    assert!(
        j.contains(r#""sql":null,"note":"SQL not remembered"#),
        "{j}"
    );
    c.ok();
    // Closing the first frees its bytes: the next big one is kept.
    c.client(|b| encode_stmt_close(b, 1));
    c.prepare(&big, 3, &[ColumnType::LONGLONG], &[]);
    let d = execute(&mut c, 3, 1, &[&6i64], true, None);
    assert!(matches!(d.field("sql"), Some(Value::Text(t)) if t.len() == big.len()));
    assert_eq!(d.field("note"), None);
    assert!(c.c.sql_bytes <= MAX_SQL_BYTES);
}

/// Past [`MAX_STATEMENTS`] a prepare is shown but not remembered; an unknown id says some
/// statements were forgotten.
#[test]
fn statements_past_the_count_are_forgotten_and_said() {
    let mut c = Conv::new(true);
    let n = u32::try_from(MAX_STATEMENTS).unwrap();
    for id in 1..=n {
        c.prepare("DO 1", id, &[], &[]);
    }
    let d = c.client(|b| encode_stmt_prepare(b, b"DO 2"));
    assert_eq!(d.kind, "COM_STMT_PREPARE");
    c.seq = 1;
    let d = c.server(prepare_ok(n + 1, 0));
    assert_eq!(d.kind, "PrepareOK");
    assert!(note(&d).starts_with("statement not remembered"));
    let d = execute(&mut c, n + 1, 0, &[], false, None);
    assert_eq!(d.field("sql"), Some(&Value::Unknown));
    assert!(note(&d).starts_with("unknown statement; some were not remembered"));
    assert_eq!(c.c.statements.len(), MAX_STATEMENTS);
}

/// A client that writes commands and never reads: past [`MAX_OWED`] waiting responses the
/// decoder gives up their order and resynchronises at the next command.
#[test]
fn owed_responses_are_bounded() {
    let mut c = Conv::new(true);
    // One read now, MAX_OWED waiting, and one too many.
    for _ in 0..MAX_OWED + 2 {
        c.client(|b| {
            b.extend_from_slice(&[COM_QUERY]);
            b.extend_from_slice(b"DO 1");
        });
        assert!(c.c.queue.len() <= MAX_OWED);
    }
    assert!(c.c.is_unsynced());
    assert!(c.c.queue.is_empty());
    let d = c.client(|b| {
        b.extend_from_slice(&[COM_QUERY]);
        b.extend_from_slice(b"DO 2");
    });
    assert_eq!(d.kind, "COM_QUERY");
    assert_eq!(c.ok().kind, "OK");
    assert!(c.c.is_idle());
}

/// With CLIENT_QUERY_ATTRIBUTES negotiated (MySQL 8.0.23+) every COM_QUERY carries an
/// attribute block before its SQL: the decoder shows the SQL as sent and the attributes,
/// typed; a plain query's empty block leaves just the SQL.
#[test]
fn query_attributes_are_decoded_when_negotiated() {
    use crate::codec::stmt::encode_query_with_attributes;
    use crate::codec::CapabilityFlags;
    use crate::trace::decode::Conversation;
    let caps = CapabilityFlags::PROTOCOL_41
        | CapabilityFlags::SECURE_CONNECTION
        | CapabilityFlags::DEPRECATE_EOF
        | CapabilityFlags::QUERY_ATTRIBUTES;
    let mut c = Conv {
        c: Conversation::after_handshake(caps, true),
        caps,
        eof: false,
        seq: 0,
    };
    let d = c.client(|b| encode_query_with_attributes(b, b"SELECT 1", &[]).unwrap());
    assert_eq!(d.kind, "COM_QUERY");
    assert_eq!(d.field("sql"), Some(&Value::Text(b"SELECT 1".to_vec())));
    assert_eq!(d.field("attributes"), None);
    c.ok();
    let d = c.client(|b| {
        encode_query_with_attributes(b, b"SELECT 2", &[(b"trace_id", &"abc"), (b"n", &5i32)])
            .unwrap()
    });
    assert_eq!(d.field("sql"), Some(&Value::Text(b"SELECT 2".to_vec())));
    assert_eq!(
        d.field("attribute_names"),
        Some(&Value::List(vec!["trace_id".into(), "n".into()]))
    );
    let line = render(&d, Format::Text, false);
    assert!(line.contains("trace_id"), "{line}");
    assert!(line.contains("abc") && line.contains('5'), "{line}");
}
