//! Prepared statements as the decoder follows them: what it remembers of each statement (its
//! SQL, parameter count, bound types, result columns, long data), the decoding of the
//! COM_STMT_* client packets against that memory, the PREPARE_OK that fills it, and the
//! binary rows split by the remembered column types.

use bytes::Bytes;

use super::fields::{lossy, Fields, Typed, Value};
use super::owed::{OwedKind, Target};
use super::Conversation;
use crate::codec::error::{ErrorKind, Packet};
use crate::codec::reader::Reader;
use crate::codec::stmt::{
    parse_query_with_attributes, parse_stmt_bulk_execute, parse_stmt_command, parse_stmt_execute,
    BulkValue, ParamValue, PrepareOk, StmtCommand, StmtExecuteRequest, BULK_SEND_TYPES_TO_SERVER,
    BULK_SEND_UNIT_RESULTS, CURSOR_TYPE_FOR_UPDATE, CURSOR_TYPE_READ_ONLY, CURSOR_TYPE_SCROLLABLE,
    DIRECT_STATEMENT_ID, PARAMETER_COUNT_AVAILABLE,
};
use crate::codec::value::{FromValue, ParamType};
use crate::codec::{ColumnFlags, ColumnType, ParseError};

/// What the decoder remembers of a prepared statement.
#[derive(Debug, Default)]
pub(super) struct Statement {
    /// Its SQL (`None` if the prepare was not seen, or its SQL was over the budget).
    sql: Option<Vec<u8>>,
    /// The SQL was seen but not kept ([`MAX_SQL_BYTES`]).
    sql_forgotten: bool,
    num_params: u16,
    /// The parameter types bound by the last execute that sent types.
    types: Vec<ParamType>,
    /// The result columns (from the prepare response, then from each execute's).
    pub(super) columns: Vec<(ColumnType, ColumnFlags)>,
    /// Parameters sent with COM_STMT_SEND_LONG_DATA since the last execute: id and length.
    long_data: Vec<(u16, u64)>,
}

impl Statement {
    /// Types sent by an execute: what later executes without types use.
    pub(super) fn bind(&mut self, types: Vec<ParamType>) {
        if types.len() <= usize::from(self.num_params) {
            self.types = types;
        }
    }
}

/// At most this many statements are remembered (the servers' default
/// `max_prepared_stmt_count` is 16382); past it a prepare is shown but not remembered.
pub(super) const MAX_STATEMENTS: usize = 16384;

/// At most this many bytes of SQL are remembered, over all statements (and the prepares
/// waiting for their responses); a statement prepared past it is remembered without its SQL,
/// and its commands say so.
pub(super) const MAX_SQL_BYTES: usize = 16 << 20;

/// The note on a command whose statement, or its SQL, the decoder did not keep.
const FORGOTTEN: &str = "not remembered: over the decoder's caps (16384 statements, 16 MiB of SQL)";

impl Conversation {
    /// The statement an id names: MariaDB's [`DIRECT_STATEMENT_ID`] is the one prepared last.
    pub(super) fn statement_id(&self, id: u32) -> u32 {
        match (id, self.last_prepared) {
            (DIRECT_STATEMENT_ID, Some(last)) => last,
            _ => id,
        }
    }

    /// The `sql` field of a statement, and a note when the decoder did not keep it.
    fn push_sql(&self, f: &mut Fields, id: u32) {
        match self.statements.get(&id) {
            Some(Statement { sql: Some(sql), .. }) => f.push(("sql", Value::Text(sql.clone()))),
            Some(Statement {
                sql_forgotten: true,
                ..
            }) => {
                f.push(("sql", Value::Unknown));
                f.push(("note", Value::Str(format!("SQL {FORGOTTEN}"))));
            }
            Some(_) => f.push(("sql", Value::Unknown)),
            None => {
                f.push(("sql", Value::Unknown));
                if self.forgot {
                    f.push((
                        "note",
                        Value::Str(format!("unknown statement; some were {FORGOTTEN}")),
                    ));
                }
            }
        }
    }

    /// The SQL of a prepare, kept while it waits for its response if the budget allows.
    pub(super) fn keep_queued_sql(&mut self, sql: &[u8]) -> Option<Vec<u8>> {
        let used = self.sql_bytes.saturating_add(self.queued_sql);
        if used.saturating_add(sql.len()) <= MAX_SQL_BYTES {
            Some(sql.to_vec())
        } else {
            self.forgot = true;
            None
        }
    }

    /// COM_STMT_EXECUTE: the header always; the parameters when the statement is known (its
    /// parameter count, and the types bound before when the execute sends none). An execute
    /// of MariaDB's direct id sent before its prepare was answered names that prepare's SQL,
    /// and its parameters are split by the number of `?` in it (checked: they must fill the
    /// packet exactly).
    pub(super) fn stmt_execute(
        &mut self,
        f: &mut Fields,
        p: &[u8],
    ) -> Result<OwedKind, ParseError> {
        let mut r = Reader::new(p, Packet::StmtExecute);
        r.u8("command")?;
        let wire_id = r.u32("statement_id")?;
        let flags = r.u8("flags")?;
        let iterations = r.u32("iteration_count")?;
        let cursor =
            flags & (CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE) != 0;
        f.push(("statement_id", Value::Int(wire_id.into())));
        let caps = self.resp.capabilities();
        if let Some(sql) = self.unanswered_prepare(wire_id) {
            let sql = sql.map(<[u8]>::to_vec);
            f.push(("sql", sql.clone().map_or(Value::Unknown, Value::Text)));
            f.push(("flags", Value::List(execute_flag_names(flags))));
            if iterations != 1 {
                f.push(("iteration_count", Value::Int(iterations.into())));
            }
            let guess = sql.as_deref().map(placeholders);
            let req = guess.and_then(|n| parse_stmt_execute(p, n, caps, &[], &[]).ok());
            let bound = match req {
                Some(req) => {
                    push_params(f, &req, &[]);
                    req.types_sent.then_some(req.types)
                }
                None => {
                    f.push(("params", Value::Unknown));
                    None
                }
            };
            return Ok(OwedKind::Execute {
                target: Target::Prepared,
                cursor,
                bound,
            });
        }
        let id = self.statement_id(wire_id);
        self.push_sql(f, id);
        f.push(("flags", Value::List(execute_flag_names(flags))));
        if iterations != 1 {
            f.push(("iteration_count", Value::Int(iterations.into())));
        }
        let owed = OwedKind::Execute {
            target: Target::Id(id),
            cursor,
            bound: None,
        };
        let Some(st) = self.statements.get_mut(&id) else {
            f.push(("params", Value::Unknown));
            return Ok(owed);
        };
        let long: Vec<u16> = st.long_data.iter().map(|&(i, _)| i).collect();
        let req = match parse_stmt_execute(p, st.num_params, caps, &st.types, &long) {
            Ok(req) => req,
            // Types bound by an execute before the capture began: the values cannot be split.
            Err(e) if e.field == "parameter_type" && e.kind == ErrorKind::Unexpected => {
                f.push(("new_params_bound", Value::Bool(false)));
                f.push(("params", Value::Unknown));
                st.long_data.clear();
                return Ok(owed);
            }
            Err(e) => return Err(e),
        };
        if st.num_params > 0 || !req.values.is_empty() {
            push_params(f, &req, &st.long_data);
        }
        if req.types_sent {
            st.types = req.types;
        }
        st.long_data.clear();
        Ok(owed)
    }

    /// COM_STMT_SEND_LONG_DATA, CLOSE, RESET, FETCH; the statement named (a fetch's rows are
    /// its cursor's).
    pub(super) fn stmt_command(&mut self, f: &mut Fields, p: &[u8]) -> Result<Target, ParseError> {
        let cmd = parse_stmt_command(p)?;
        let wire_id = match cmd {
            StmtCommand::SendLongData { statement_id, .. }
            | StmtCommand::Reset(statement_id)
            | StmtCommand::Close(statement_id)
            | StmtCommand::Fetch { statement_id, .. } => statement_id,
        };
        f.push(("statement_id", Value::Int(wire_id.into())));
        let target = if let Some(sql) = self.unanswered_prepare(wire_id) {
            f.push((
                "sql",
                sql.map_or(Value::Unknown, |s| Value::Text(s.to_vec())),
            ));
            Target::Prepared
        } else {
            let id = self.statement_id(wire_id);
            self.push_sql(f, id);
            Target::Id(id)
        };
        let st = match target {
            Target::Id(id) => self.statements.get_mut(&id),
            Target::Prepared => None,
        };
        match cmd {
            StmtCommand::SendLongData { param_id, data, .. } => {
                f.push(("param_id", Value::Int(param_id.into())));
                f.push(("data_len", Value::Int(data.len() as u64)));
                if let Some(st) = st {
                    let n = data.len() as u64;
                    match st.long_data.iter_mut().find(|(i, _)| *i == param_id) {
                        Some((_, len)) => *len = len.saturating_add(n),
                        // Bounded by the statement's parameters.
                        None if param_id < st.num_params => st.long_data.push((param_id, n)),
                        None => {}
                    }
                }
            }
            StmtCommand::Reset(_) => {
                if let Some(st) = st {
                    st.long_data.clear();
                }
            }
            StmtCommand::Close(_) => {
                if let Target::Id(id) = target {
                    self.forget(id);
                }
            }
            StmtCommand::Fetch { num_rows, .. } => {
                f.push(("rows", Value::Int(num_rows.into())));
            }
        }
        Ok(target)
    }

    /// The statement `id` is closed.
    fn forget(&mut self, id: u32) {
        if let Some(st) = self.statements.remove(&id) {
            let n = st.sql.map_or(0, |s| s.len());
            self.sql_bytes = self.sql_bytes.saturating_sub(n);
        }
    }

    /// COM_QUERY once CLIENT_QUERY_ATTRIBUTES is negotiated: the attributes (names, types,
    /// values; none is the common case) and the SQL text after them.
    pub(super) fn query_with_attributes(
        &mut self,
        f: &mut Fields,
        p: &[u8],
    ) -> Result<(), ParseError> {
        let (attrs, sql) = parse_query_with_attributes(p)?;
        f.push(("sql", Value::Text(sql.to_vec())));
        if !attrs.is_empty() {
            f.push((
                "attribute_names",
                Value::List(attrs.iter().map(|a| lossy(a.name)).collect()),
            ));
            f.push((
                "attribute_types",
                Value::List(
                    attrs
                        .iter()
                        .map(|a| param_type_name(a.param_type))
                        .collect(),
                ),
            ));
            // (Attributes have no long data.)
            let values = attrs
                .iter()
                .map(|a| param_value(a.value, a.param_type, 0))
                .collect();
            f.push(("attributes", Value::Typed(values)));
        }
        Ok(())
    }

    /// MariaDB's COM_STMT_BULK_EXECUTE: the header always; the rows when the statement is
    /// known (or, sent before its prepare was answered, by the `?` in that prepare's SQL).
    pub(super) fn stmt_bulk_execute(
        &mut self,
        f: &mut Fields,
        p: &[u8],
    ) -> Result<OwedKind, ParseError> {
        let mut r = Reader::new(p, Packet::StmtExecute);
        r.u8("command")?;
        let wire_id = r.u32("statement_id")?;
        let flags = r.u16("bulk_flags")?;
        f.push(("statement_id", Value::Int(wire_id.into())));
        let (target, guess) = match self.unanswered_prepare(wire_id) {
            Some(sql) => {
                f.push((
                    "sql",
                    sql.map_or(Value::Unknown, |s| Value::Text(s.to_vec())),
                ));
                (Target::Prepared, Some(sql.map(placeholders)))
            }
            None => {
                let id = self.statement_id(wire_id);
                self.push_sql(f, id);
                (Target::Id(id), None)
            }
        };
        f.push(("flags", Value::List(bulk_flag_names(flags))));
        let mut owed = OwedKind::Execute {
            target,
            cursor: false,
            bound: None,
        };
        let (num_params, bound) = match (target, guess) {
            (Target::Prepared, Some(Some(n))) => (n, Vec::new()),
            (Target::Id(id), _) if self.statements.contains_key(&id) => {
                let st = self.statements.get(&id);
                (
                    st.map_or(0, |s| s.num_params),
                    st.map(|s| s.types.clone()).unwrap_or_default(),
                )
            }
            _ => {
                f.push(("rows", Value::Unknown));
                return Ok(owed);
            }
        };
        match parse_stmt_bulk_execute(p, num_params, &bound) {
            Ok(req) => {
                f.push(("rows", Value::Int(req.rows.len() as u64)));
                if let Some(first) = req.rows.first() {
                    let values = first
                        .iter()
                        .zip(&req.types)
                        .map(|(v, t)| match v {
                            BulkValue::Value(b) => typed(b, t.column_type, t.column_flags()),
                            BulkValue::Null => Typed::Null,
                            BulkValue::Default => Typed::Indicator("DEFAULT"),
                            BulkValue::Ignore => Typed::Indicator("IGNORE"),
                        })
                        .collect();
                    f.push(("first_row", Value::Typed(values)));
                }
                if flags & BULK_SEND_TYPES_TO_SERVER != 0 {
                    match target {
                        Target::Id(id) => {
                            if let Some(st) = self.statements.get_mut(&id) {
                                st.types = req.types;
                            }
                        }
                        Target::Prepared => {
                            owed = OwedKind::Execute {
                                target,
                                cursor: false,
                                bound: Some(req.types),
                            }
                        }
                    }
                }
            }
            Err(e) if e.field == "parameter_type" && e.kind == ErrorKind::Unexpected => {
                f.push(("rows", Value::Unknown));
            }
            // A guessed parameter count that does not fit: the rows are not shown.
            Err(_) if target == Target::Prepared => f.push(("rows", Value::Unknown)),
            Err(e) => return Err(e),
        }
        Ok(owed)
    }

    /// COM_STMT_PREPARE_OK: the statement is remembered (with the SQL of the pending prepare)
    /// and its parameter and column definitions follow.
    pub(super) fn prepare_ok(&mut self, f: &mut Fields, ok: PrepareOk) {
        let sql = self.pending_prepare.take();
        let forgotten = matches!(sql, Some(None));
        let sql = sql.flatten();
        f.push(("statement_id", Value::Int(ok.statement_id.into())));
        f.push(("sql", sql.clone().map_or(Value::Unknown, Value::Text)));
        f.push(("columns", Value::Int(ok.num_columns.into())));
        f.push(("params", Value::Int(ok.num_params.into())));
        f.push(("warnings", Value::Int(ok.warnings().into())));
        self.forget(ok.statement_id);
        let len = sql.as_ref().map_or(0, Vec::len);
        if self.statements.len() >= MAX_STATEMENTS {
            self.forgot = true;
            f.push(("note", Value::Str(format!("statement {FORGOTTEN}"))));
        } else {
            let (sql, sql_forgotten) = if self.sql_bytes.saturating_add(len) <= MAX_SQL_BYTES {
                self.sql_bytes = self.sql_bytes.saturating_add(len);
                (sql, forgotten)
            } else {
                (None, true)
            };
            if sql_forgotten {
                self.forgot = true;
                f.push(("note", Value::Str(format!("SQL {FORGOTTEN}"))));
            }
            self.statements.insert(
                ok.statement_id,
                Statement {
                    sql,
                    sql_forgotten,
                    num_params: ok.num_params,
                    ..Statement::default()
                },
            );
        }
        self.preparing = Some(ok.statement_id);
        self.last_prepared = Some(ok.statement_id);
    }

    /// A binary row of an execute or fetch whose column types are known: its cells decoded by
    /// those types.
    pub(super) fn binary_row(&mut self, f: &mut Fields, p: &Bytes) -> Result<(), ParseError> {
        self.binary_cells
            .parse_types(p, self.types.iter().map(|&(t, _)| t))?;
        let cells = self
            .types
            .iter()
            .enumerate()
            .map(|(i, &(t, fl))| {
                self.binary_cells.get(p, i).map(|b| {
                    String::from_binary(b, t, fl).map_or_else(|_| p.slice_ref(b), Bytes::from)
                })
            })
            .collect();
        f.push(("values", Value::Cells(cells)));
        Ok(())
    }
}

/// A binary value (parameter or cell) decoded by its type: numbers as numbers, everything
/// else as the text [`String::from_binary`] makes of it, or the raw bytes when it refuses.
fn typed(b: &[u8], t: ColumnType, flags: ColumnFlags) -> Typed {
    let number = matches!(
        t,
        ColumnType::TINY
            | ColumnType::SHORT
            | ColumnType::LONG
            | ColumnType::INT24
            | ColumnType::LONGLONG
            | ColumnType::YEAR
            | ColumnType::FLOAT
            | ColumnType::DOUBLE
    );
    match String::from_binary(b, t, flags) {
        Ok(s) if number => Typed::Number(s),
        Ok(s) => Typed::Text(s.into_bytes()),
        Err(_) => Typed::Text(b.to_vec()),
    }
}

/// A parameter (or query attribute) as shown: NULL, long data of `long` bytes, or the value
/// decoded by its type.
fn param_value(v: ParamValue<'_>, t: ParamType, long: u64) -> Typed {
    match v {
        ParamValue::Null => Typed::Null,
        ParamValue::LongData => Typed::LongData(long),
        ParamValue::Value(b) => typed(b, t.column_type, t.column_flags()),
    }
}

fn param_type_name(t: ParamType) -> String {
    if t.unsigned {
        format!("{} UNSIGNED", t.column_type)
    } else {
        t.column_type.to_string()
    }
}

/// The names of the bits of `flags` that `table` names, then what is left in hex (`width`
/// digits: the field's size).
fn bit_names(flags: u16, table: &[(u16, &str)], width: usize) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = flags;
    for &(bit, name) in table {
        if flags & bit != 0 {
            v.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        v.push(format!("0x{rest:0width$x}"));
    }
    v
}

/// The flags of COM_STMT_EXECUTE by name (the cursor type and PARAMETER_COUNT_AVAILABLE).
fn execute_flag_names(flags: u8) -> Vec<String> {
    let mut v = bit_names(
        flags.into(),
        &[
            (CURSOR_TYPE_READ_ONLY.into(), "CURSOR_TYPE_READ_ONLY"),
            (CURSOR_TYPE_FOR_UPDATE.into(), "CURSOR_TYPE_FOR_UPDATE"),
            (CURSOR_TYPE_SCROLLABLE.into(), "CURSOR_TYPE_SCROLLABLE"),
            (
                PARAMETER_COUNT_AVAILABLE.into(),
                "PARAMETER_COUNT_AVAILABLE",
            ),
        ],
        2,
    );
    if flags & (CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE) == 0 {
        v.insert(0, "CURSOR_TYPE_NO_CURSOR".to_string());
    }
    v
}

/// The flags of COM_STMT_BULK_EXECUTE by name.
fn bulk_flag_names(flags: u16) -> Vec<String> {
    bit_names(
        flags,
        &[
            (BULK_SEND_UNIT_RESULTS, "SEND_UNIT_RESULTS"),
            (BULK_SEND_TYPES_TO_SERVER, "SEND_TYPES_TO_SERVER"),
        ],
        4,
    )
}

/// The number of `?` in `sql`: the parameter count a direct execution is split by before its
/// PREPARE_OK is seen (a `?` in a literal or comment makes it wrong, and the parse fails).
fn placeholders(sql: &[u8]) -> u16 {
    u16::try_from(sql.iter().filter(|&&b| b == b'?').count()).unwrap_or(u16::MAX)
}

/// The parameters of an execute: types, names (query attributes), values typed.
fn push_params(f: &mut Fields, req: &StmtExecuteRequest<'_>, long_data: &[(u16, u64)]) {
    f.push(("new_params_bound", Value::Bool(req.types_sent)));
    f.push((
        "param_types",
        Value::List(req.types.iter().map(|&t| param_type_name(t)).collect()),
    ));
    if req.names.iter().any(|n| !n.is_empty()) {
        f.push((
            "param_names",
            Value::List(req.names.iter().map(|n| lossy(n)).collect()),
        ));
    }
    let values = req
        .types
        .iter()
        .zip(&req.values)
        .enumerate()
        .map(|(i, (&t, v))| {
            let long = long_data
                .iter()
                .find(|&&(id, _)| usize::from(id) == i)
                .map_or(0, |&(_, n)| n);
            param_value(*v, t, long)
        })
        .collect();
    f.push(("params", Value::Typed(values)));
}
