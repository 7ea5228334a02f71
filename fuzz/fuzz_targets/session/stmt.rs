//! The binary protocol in the whole-session target: prepare, execute (parameters of every
//! type, one long value sent ahead with COM_STMT_SEND_LONG_DATA), `exec` through the statement
//! cache, reset and close, and the server's side of it (PREPARE_OK, binary rows built from
//! parameter values).

use arbitrary::Arbitrary;
use bytes::BytesMut;
use mywire::codec::binary::encode_binary_row;
use mywire::codec::stmt::PrepareOk;
use mywire::codec::value::{Date, DateTime, Decimal, Param, Time, ToParam};
use mywire::proto::LONG_DATA_THRESHOLD;
use mywire::{Error, Statement};

use super::Driver;

/// Statements kept by the driver (the oldest is forgotten, not closed, past this).
const MAX_STMTS: usize = 8;
/// Most parameters built for one execute (a statement may declare up to 65535).
const MAX_PARAMS: usize = 300;

/// The SQL texts prepared (the server's script answers whatever is sent; these matter only as
/// the statement cache's keys).
pub const PREPARE_SQL: [&str; 6] = [
    "SELECT ?",
    "SELECT ?, ?, ?, ?, ?, ?",
    "SELECT * FROM t WHERE a = ?",
    "INSERT INTO t VALUES (?, ?)",
    "SELECT LENGTH(?)",
    "CALL p(?)",
];

/// A parameter (or a binary row cell) as the input describes it.
#[derive(Arbitrary, Debug, Clone)]
pub enum FParam {
    Null,
    Int(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    Text(String),
    Bytes(Vec<u8>),
    Decimal(String),
    Date(u16, u8, u8),
    DateTime(u16, u8, u8, u8, u8, u8, u32),
    Time(bool, u16, u8, u8, u32),
    /// A value of at least LONG_DATA_THRESHOLD bytes (the first of an input only; later ones,
    /// and every one in a server row, are 16 bytes).
    Long {
        byte: u8,
        extra: u16,
    },
}

impl FParam {
    /// The library's parameter for this description (an invalid date or decimal is NULL).
    /// `long` allows a long value.
    pub fn to_param(&self, long: &mut bool) -> Param<'static> {
        match self {
            FParam::Null => Param::Null,
            FParam::Int(v) => Param::Int(*v),
            FParam::UInt(v) => Param::UInt(*v),
            FParam::Float(v) => Param::Float(*v),
            FParam::Double(v) => Param::Double(*v),
            FParam::Text(s) => Param::Text(s.clone().into()),
            FParam::Bytes(b) => Param::Bytes(b.clone().into()),
            FParam::Decimal(s) => match Decimal::parse(s) {
                Ok(d) => Param::Decimal(d.into_owned()),
                Err(_) => Param::Null,
            },
            FParam::Date(y, m, d) => Date::new(*y, *m, *d).map_or(Param::Null, Param::Date),
            FParam::DateTime(y, mo, d, h, mi, s, us) => Date::new(*y, *mo, *d)
                .and_then(|d| DateTime::new(d, *h, *mi, *s, us % 1_000_000))
                .map_or(Param::Null, Param::DateTime),
            FParam::Time(neg, h, m, s, us) => {
                Time::new(*neg, u32::from(*h) % 1000, *m, *s, us % 1_000_000)
                    .map_or(Param::Null, Param::Time)
            }
            FParam::Long { byte, extra } => {
                let n = if std::mem::take(long) {
                    LONG_DATA_THRESHOLD + usize::from(*extra % 4096)
                } else {
                    16
                };
                Param::Bytes(vec![*byte; n].into())
            }
        }
    }
}

/// A binary row (header, NULL bitmap, values) of these cells, as a server sends one.
pub fn binary_row(cells: &[FParam], out: &mut BytesMut) {
    let mut no_long = false;
    let params: Vec<Param<'static>> = cells
        .iter()
        .take(64)
        .map(|c| c.to_param(&mut no_long))
        .collect();
    let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
    encode_binary_row(&refs, out);
}

/// COM_STMT_PREPARE_OK from fields: 12 bytes, or the 9-byte form of old servers.
pub fn prepare_ok(
    id: u32,
    columns: u8,
    params: u8,
    warnings: u16,
    short: bool,
    out: &mut BytesMut,
) {
    PrepareOk {
        statement_id: id,
        num_columns: u16::from(columns),
        num_params: u16::from(params),
        warning_count: (!short).then_some(warnings),
        metadata: None,
    }
    .encode(out);
}

impl Driver<'_> {
    fn stmt(&self, i: u8) -> Option<Statement> {
        let n = self.stmts.len();
        (n > 0).then(|| self.stmts[usize::from(i) % n].clone())
    }

    /// The parameters for a statement taking `n`: the input's list as is (`exact`, which
    /// the engine refuses unless the count fits), else cycled or cut to `n`.
    fn params_for(&mut self, given: &[FParam], n: usize, exact: bool) -> Vec<Param<'static>> {
        let long = &mut self.long_left;
        if exact || given.is_empty() {
            let take = if exact {
                given.len()
            } else {
                n.min(MAX_PARAMS)
            };
            return (0..take.min(MAX_PARAMS))
                .map(|i| given.get(i).map_or(Param::Null, |p| p.to_param(long)))
                .collect();
        }
        given
            .iter()
            .cycle()
            .take(n.min(MAX_PARAMS))
            .map(|p| p.to_param(long))
            .collect()
    }

    pub fn prepare(&mut self, sql: u8) -> Result<(), Error> {
        self.ready()?;
        self.e
            .start_prepare(PREPARE_SQL[usize::from(sql) % PREPARE_SQL.len()])?;
        let st = self.drive(|e| e.prepare_step())?;
        self.note(b'p');
        self.log.extend_from_slice(&st.id().to_le_bytes());
        let _ = (st.params().len(), st.columns().len(), st.warnings());
        if self.stmts.len() >= MAX_STMTS {
            self.stmts.remove(0);
        }
        self.stmts.push(st);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn execute(
        &mut self,
        stmt: u8,
        given: &[FParam],
        exact: bool,
        rows: u8,
        results: u8,
        drain: bool,
    ) -> Result<(), Error> {
        let Some(st) = self.stmt(stmt) else {
            self.note(b'-');
            return Ok(());
        };
        self.ready()?;
        let params = self.params_for(given, st.params().len(), exact);
        let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
        let queued = self.e.transmit().len();
        if let Err(e) = self.e.start_execute(&st, &refs) {
            // Refused before anything is sent (a wrong count): nothing queued.
            if let Error::Usage(_) = e {
                assert_eq!(
                    self.e.transmit().len(),
                    queued,
                    "a refused execute queued bytes"
                );
            }
            return Err(e);
        }
        let id = self.e.completed();
        self.drive(|e| e.head_step())?;
        self.note(b'X');
        self.result(id, rows, results)?;
        if drain {
            self.drive(|e| e.drain_step(Some(id)))?;
        }
        Ok(())
    }

    /// `exec(sql, params)` as the sessions run it: the cached statement, or a prepare whose
    /// statement goes into the cache (evicted ones are closed), then the execute. The input's
    /// parameters are cycled to the statement's count (known from the prepare).
    pub fn exec_cached(&mut self, sql: u8, given: &[FParam], rows: u8) -> Result<(), Error> {
        let sql = PREPARE_SQL[usize::from(sql) % PREPARE_SQL.len()];
        self.ready()?;
        let known = self.exec_counts.iter().find(|c| c.0 == sql).map(|c| c.1);
        let params = self.params_for(given, known.unwrap_or(0), false);
        let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
        if !self.e.start_execute_cached(sql, &refs)? {
            self.e.start_prepare(sql)?;
            let st = self.drive(|e| e.prepare_step())?;
            let n = st.params().len();
            self.exec_counts.retain(|c| c.0 != sql);
            self.exec_counts.push((sql, n));
            let params = self.params_for(given, n, false);
            self.e.cache_statement(sql, st)?;
            assert!(self.e.cached_statements() <= self.cache_cap.max(1));
            let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
            if !self.e.start_execute_cached(sql, &refs)? {
                panic!("the statement cache lost the statement just cached");
            }
        }
        let id = self.e.completed();
        self.drive(|e| e.head_step())?;
        self.note(b'x');
        self.result(id, rows, 0)
    }

    pub fn reset_statement(&mut self, stmt: u8) -> Result<(), Error> {
        let Some(st) = self.stmt(stmt) else {
            return Ok(());
        };
        self.ready()?;
        self.e.start_reset_statement(&st)?;
        self.drive(|e| e.simple_step())?;
        self.note(b'z');
        Ok(())
    }

    pub fn close_statement(&mut self, stmt: u8) -> Result<(), Error> {
        let Some(st) = self.stmt(stmt) else {
            return Ok(());
        };
        self.ready()?;
        self.e.start_close_statement(&st)?;
        self.flush();
        // No answer: the engine is ready for the next command at once.
        assert!(self.e.is_idle(), "COM_STMT_CLOSE waits for an answer");
        self.note(b'c');
        Ok(())
    }

    /// After a fatal error, the statement commands are refused too, and queue nothing.
    pub fn stmt_calls_broken(&mut self, what: &Error) {
        let broken = |r: Result<(), Error>, call: &str| match r {
            Err(Error::Broken(_)) => {}
            other => panic!("after fatal {what:?}, {call} gave {other:?} instead of Error::Broken"),
        };
        broken(self.e.start_prepare("SELECT 1"), "start_prepare");
        // Nothing cached for the text: Ok(false) (the prepare that follows is refused);
        // never a queued execute.
        match self.e.start_execute_cached("SELECT 1 + ?", &[&1i32]) {
            Ok(false) | Err(Error::Broken(_)) => {}
            other => panic!("after fatal {what:?}, start_execute_cached gave {other:?}"),
        }
        if let Some(st) = self.stmt(0) {
            let refs: Vec<&dyn ToParam> = vec![&1i32; st.params().len().min(MAX_PARAMS)];
            broken(self.e.start_execute(&st, &refs), "start_execute");
            broken(self.e.start_reset_statement(&st), "start_reset_statement");
            broken(self.e.start_close_statement(&st), "start_close_statement");
        }
    }
}
