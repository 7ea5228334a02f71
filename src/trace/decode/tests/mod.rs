//! Prepared-statement conversations built with the codec's encoders, decoded: the helpers
//! here; a whole conversation and statements the capture never saw prepared in
//! `conversation`; pipelined commands, cursors, direct execution, bulk responses, cached
//! metadata and the memory caps in `pipeline` and `caps`.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::BytesMut;

use super::{Conversation, Decoded, Typed, Value};
use crate::codec::response::{encode_eof, encode_ok, EofPacket, OkPacket};
use crate::codec::resultset::ColumnFields;
use crate::codec::stmt::{encode_stmt_execute, encode_stmt_prepare, PrepareOk, StmtExecute};
use crate::codec::value::ToParam;
use crate::codec::{CapabilityFlags, ColumnFlags, ColumnType, StatusFlags};
use crate::trace::Direction;

struct Conv {
    c: Conversation,
    caps: CapabilityFlags,
    eof: bool,
    seq: u8,
}

impl Conv {
    fn new(deprecate_eof: bool) -> Self {
        let mut caps = CapabilityFlags::PROTOCOL_41
            | CapabilityFlags::TRANSACTIONS
            | CapabilityFlags::SECURE_CONNECTION;
        if deprecate_eof {
            caps |= CapabilityFlags::DEPRECATE_EOF;
        }
        Conv {
            c: Conversation::after_handshake(caps, true),
            caps,
            eof: !deprecate_eof,
            seq: 0,
        }
    }

    fn client(&mut self, build: impl FnOnce(&mut BytesMut)) -> Decoded {
        let mut b = BytesMut::new();
        build(&mut b);
        self.seq = 1;
        let d = self.c.packet(Direction::ClientToServer, 0, b.freeze());
        assert_ne!(d.kind, "Malformed", "{d:?}");
        d
    }

    fn server(&mut self, payload: BytesMut) -> Decoded {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let d = self
            .c
            .packet(Direction::ServerToClient, seq, payload.freeze());
        assert_ne!(d.kind, "Malformed", "{d:?}");
        d
    }

    fn ok(&mut self) -> Decoded {
        let mut b = BytesMut::new();
        encode_ok(&OkPacket::default(), 0x00, self.caps, &mut b);
        self.server(b)
    }

    /// The EOF after definitions (nothing with CLIENT_DEPRECATE_EOF).
    fn defs_eof(&mut self) {
        if self.eof {
            let mut b = BytesMut::new();
            encode_eof(
                &EofPacket {
                    warnings: 0,
                    status: StatusFlags::AUTOCOMMIT,
                },
                &mut b,
            );
            assert_eq!(self.server(b).kind, "EOF");
        }
    }

    /// The end of the rows: an EOF, or an OK with header 0xFE.
    fn rows_end(&mut self) -> Decoded {
        let mut b = BytesMut::new();
        if self.eof {
            encode_eof(
                &EofPacket {
                    warnings: 0,
                    status: StatusFlags::AUTOCOMMIT,
                },
                &mut b,
            );
        } else {
            encode_ok(&OkPacket::default(), 0xFE, self.caps, &mut b);
        }
        self.server(b)
    }

    /// The end of an execute that opened a cursor, as MariaDB 10.11 sends it: after the
    /// definitions an EOF with SERVER_STATUS_CURSOR_EXISTS, or (CLIENT_DEPRECATE_EOF) an OK
    /// with header 0xFE and that status; no rows.
    fn cursor_opened(&mut self) -> Decoded {
        let mut b = BytesMut::new();
        let status = StatusFlags::AUTOCOMMIT | StatusFlags::CURSOR_EXISTS;
        if self.eof {
            encode_eof(
                &EofPacket {
                    warnings: 0,
                    status,
                },
                &mut b,
            );
        } else {
            encode_ok(
                &OkPacket {
                    status,
                    ..OkPacket::default()
                },
                0xFE,
                self.caps,
                &mut b,
            );
        }
        self.server(b)
    }

    fn def(&mut self, name: &str, t: ColumnType, flags: ColumnFlags) -> Decoded {
        let mut b = BytesMut::new();
        ColumnFields {
            catalog: b"def",
            schema: b"",
            table: b"",
            org_table: b"",
            name: name.as_bytes(),
            org_name: b"",
            extended_metadata: None,
            charset: 63,
            column_length: 20,
            column_type: t,
            flags,
            decimals: 0,
        }
        .encode(&mut b);
        self.server(b)
    }

    fn prepare(&mut self, sql: &str, id: u32, params: &[ColumnType], columns: &[ColumnType]) {
        let d = self.client(|b| encode_stmt_prepare(b, sql.as_bytes()));
        assert_eq!(d.kind, "COM_STMT_PREPARE");
        assert_eq!(d.field("sql"), Some(&Value::Text(sql.as_bytes().to_vec())));
        self.prepare_response(sql, id, params, columns);
        assert!(self.c.is_idle());
    }

    /// PREPARE_OK and the definitions (the response to a prepare of `sql`).
    fn prepare_response(
        &mut self,
        sql: &str,
        id: u32,
        params: &[ColumnType],
        columns: &[ColumnType],
    ) {
        self.seq = 1;
        let mut b = BytesMut::new();
        PrepareOk {
            statement_id: id,
            num_columns: u16::try_from(columns.len()).unwrap(),
            num_params: u16::try_from(params.len()).unwrap(),
            warning_count: Some(0),
            metadata: None,
        }
        .encode(&mut b);
        let d = self.server(b);
        assert_eq!(d.kind, "PrepareOK");
        assert_eq!(d.field("statement_id"), Some(&Value::Int(id.into())));
        assert_eq!(d.field("sql"), Some(&Value::Text(sql.as_bytes().to_vec())));
        for &t in params {
            assert_eq!(
                self.def("?", t, ColumnFlags::empty()).kind,
                "ParamDefinition"
            );
        }
        if !params.is_empty() {
            self.defs_eof();
        }
        for &t in columns {
            assert_eq!(
                self.def("c", t, ColumnFlags::empty()).kind,
                "ColumnDefinition"
            );
        }
        if !columns.is_empty() {
            self.defs_eof();
        }
    }
}

fn num(s: &str) -> Typed {
    Typed::Number(s.into())
}

fn text(s: &str) -> Typed {
    Typed::Text(s.as_bytes().to_vec())
}

fn execute(
    c: &mut Conv,
    id: u32,
    num_params: u16,
    params: &[&dyn ToParam],
    send_types: bool,
    long: Option<usize>,
) -> Decoded {
    let caps = c.caps;
    let d = c.client(|b| {
        let mut e = StmtExecute::new(id, num_params, params);
        e.send_types = send_types;
        e.long_data_threshold = long;
        encode_stmt_execute(b, &e, caps).unwrap();
    });
    assert_eq!(d.kind, "COM_STMT_EXECUTE");
    assert_eq!(d.field("statement_id"), Some(&Value::Int(id.into())));
    d
}

mod caps;
mod conversation;
mod pipeline;
