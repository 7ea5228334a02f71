//! The server's packets of the command phase: each response packet, as the engine's response
//! machine classifies it, turned into named fields, and what it tells the conversation (the
//! columns and types of the rows that follow, a cursor opened, a prepare that failed).

use bytes::Bytes;

use super::fields::{push_column, push_err, push_ok};
use super::{Conversation, Decoded, Value};
use crate::codec::{ParseError, StatusFlags};
use crate::proto::response::{Expect, Seen};

/// The `cursor` field of the packet that ends an execute which opened a cursor.
const CURSOR_OPENED: &str = "opened: rows follow COM_STMT_FETCH";

impl Conversation {
    /// A server packet of the command phase, classified by the engine's response machine.
    pub(super) fn server_response(&mut self, d: &mut Decoded, p: &Bytes) -> Result<(), ParseError> {
        let f = &mut d.fields;
        match self.resp.on_server(p)? {
            Seen::Ok(ok) => {
                d.kind = "OK";
                push_ok(f, &ok);
            }
            Seen::Err(e) => {
                d.kind = "ERR";
                push_err(f, &e);
                if self.pending_prepare.take().is_some() {
                    // A failed prepare: an execute of the direct id after it names nothing.
                    self.last_prepared = None;
                }
            }
            Seen::LocalInfile(name) => {
                d.kind = "LocalInfileRequest";
                f.push(("file", Value::Str(name)));
            }
            Seen::ColumnCount {
                count,
                metadata_follows,
            } => {
                d.kind = "ColumnCount";
                f.push(("columns", Value::Int(count)));
                if let Some(m) = metadata_follows {
                    f.push(("metadata_follows", Value::Bool(m)));
                }
                // Bounded by the response machine (MAX_COLUMNS); cached definitions are reused.
                self.columns = usize::try_from(count).unwrap_or(0);
                if metadata_follows != Some(false) {
                    self.types.clear();
                    self.types_known = true;
                    if let Some(st) = self.executing.and_then(|id| self.statements.get_mut(&id)) {
                        st.columns.clear();
                    }
                }
            }
            Seen::PrepareOk(ok) => {
                d.kind = "PrepareOK";
                self.prepare_ok(f, ok);
            }
            Seen::Param(c) => {
                d.kind = "ParamDefinition";
                push_column(f, &c);
            }
            Seen::Column(c) => {
                let col = (c.column_type, c.flags);
                if let Some(id) = self.preparing {
                    // The prepare's columns: what an execute's rows are when its response
                    // leaves the definitions out (cached metadata).
                    if let Some(st) = self.statements.get_mut(&id) {
                        st.columns.push(col);
                    }
                } else if self.binary {
                    // An execute's columns: its binary rows are split by their types.
                    self.types.push(col);
                    if let Some(st) = self.executing.and_then(|id| self.statements.get_mut(&id)) {
                        st.columns.push(col);
                    }
                }
                d.kind = "ColumnDefinition";
                push_column(f, &c);
            }
            Seen::ColumnsEof(e) => {
                d.kind = "EOF";
                f.push(("warnings", Value::Int(e.warnings.into())));
                f.push(("status", Value::List(e.status.names())));
                if self.cursor && e.status.contains(StatusFlags::CURSOR_EXISTS) {
                    // A cursor was opened: its rows come with COM_STMT_FETCH (without
                    // CLIENT_DEPRECATE_EOF this EOF ends the response; with it, an OK does).
                    f.push(("cursor", Value::Str(CURSOR_OPENED.into())));
                    self.resp.set(Expect::Idle);
                }
            }
            Seen::Row if self.binary && !self.types_known => {
                // Without the column types the cells cannot be split.
                d.kind = "BinaryRow";
                f.push(("values", Value::Unknown));
            }
            Seen::Row if self.binary => {
                d.kind = "BinaryRow";
                self.binary_row(f, p)?;
            }
            Seen::Row => {
                d.kind = "Row";
                self.cells.parse(p, self.columns)?;
                // Each cell is a subslice of `p` (`get` slices the row it is given), so
                // `slice_ref` shares `p`'s buffer instead of copying the cell.
                let cells = (0..self.columns)
                    .map(|i| self.cells.get(p, i).map(|c| p.slice_ref(c)))
                    .collect();
                f.push(("values", Value::Cells(cells)));
            }
            Seen::RowsEnd { ok, eof: true } => {
                d.kind = "EOF";
                f.push(("warnings", Value::Int(ok.warnings.into())));
                f.push(("status", Value::List(ok.status.names())));
            }
            Seen::RowsEnd { ok, eof: false } => {
                d.kind = "OK";
                push_ok(f, &ok);
                if self.cursor && ok.status.contains(StatusFlags::CURSOR_EXISTS) {
                    // With CLIENT_DEPRECATE_EOF the OK after the definitions ends it.
                    f.push(("cursor", Value::Str(CURSOR_OPENED.into())));
                }
            }
            Seen::Text => {
                d.kind = "Statistics";
                f.push(("text", Value::Text(p.to_vec())));
            }
            Seen::Unknown => d.kind = "Response",
            Seen::Unexpected => d.kind = "UnexpectedServerPacket",
        }
        self.next_owed();
        Ok(())
    }
}
