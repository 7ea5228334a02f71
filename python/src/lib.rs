//! `mywire._mywire`: the native core of the `mywire` Python package.
//!
//! One class, `Session`, wraps mywire's blocking session: commands in, rows out as Python
//! tuples. The DB-API 2.0 layer (connections, cursors, paramstyle, client-side interpolation)
//! is Python, in `python/mywire/`; everything that touches the wire is here and in the mywire
//! crate, whose engine is the same one the Rust sessions drive.
//!
//! The GIL is released whenever the session may wait on the network: connecting, sending a
//! command and reading its head, and reading rows, which are collected as zero-copy packets
//! (`Bytes`) in batches without the GIL and turned into Python objects with it.

mod aio;
mod bridge;

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDate, PyDateTime, PyDelta, PyFloat, PyInt, PyList, PyString,
    PyTime, PyTuple, PyType,
};

use mywire::codec::binary::BinaryRowCells;
use mywire::codec::resultset::{ColumnDefinition, RowCells};
use mywire::codec::value::{binary_as_text, Date, DateTime, Decimal, FromValue, Param, Time};
use mywire::codec::{ColumnFlags, StatusFlags};
use mywire::session::blocking::{Received, ResultTicket, Session};
use mywire::trace::format::{Format, WriterTracer};
use mywire::{Error, ErrorKind, Options, ToParam};

// ---------------------------------------------------------------------------------------------
// PEP 249 exceptions
// ---------------------------------------------------------------------------------------------

create_exception!(_mywire, Warning, PyException, "PEP 249 Warning.");
create_exception!(
    _mywire,
    DbError,
    PyException,
    "PEP 249 Error: the base of every error."
);
create_exception!(
    _mywire,
    InterfaceError,
    DbError,
    "An error of the driver, not the database."
);
create_exception!(_mywire, DatabaseError, DbError, "An error of the database.");
create_exception!(
    _mywire,
    DataError,
    DatabaseError,
    "A value that does not fit."
);
create_exception!(
    _mywire,
    OperationalError,
    DatabaseError,
    "Connection, I/O, server state."
);
create_exception!(
    _mywire,
    IntegrityError,
    DatabaseError,
    "A constraint was violated."
);
create_exception!(
    _mywire,
    InternalError,
    DatabaseError,
    "The server's internal error."
);
create_exception!(
    _mywire,
    ProgrammingError,
    DatabaseError,
    "Bad SQL or a misused API."
);
create_exception!(
    _mywire,
    NotSupportedError,
    DatabaseError,
    "Not supported by the server."
);

/// Client error codes (libmysqlclient's CR_* numbers, which SQLAlchemy and applications test).
mod cr {
    pub const CONN_HOST_ERROR: u16 = 2003;
    pub const SERVER_GONE: u16 = 2006;
    pub const SERVER_LOST: u16 = 2013;
    pub const SSL_CONNECTION_ERROR: u16 = 2026;
    pub const MALFORMED_PACKET: u16 = 2027;
    pub const AUTH_PLUGIN_ERR: u16 = 2059;
    pub const LOAD_DATA_LOCAL_INFILE_REJECTED: u16 = 2068;
}

/// The PEP 249 class of a server error code: PyMySQL's classification (pymysql/err.py), so
/// that code written for PyMySQL catches the same classes, with the codes it leaves out that
/// plainly belong to a class (more duplicate-key and constraint codes, wrong values, 1295).
/// The rest is OperationalError, or InternalError below 1000.
fn server_class(py: Python<'_>, code: u16) -> Bound<'_, PyType> {
    match code {
        // PyMySQL's: duplicate entry, foreign keys, cannot add foreign key, NULL into NOT
        // NULL; added: duplicate key (1022), unique (1169), entry with key name (1586),
        // CHECK constraints (MySQL 3819, MariaDB 4025).
        1062 | 1216 | 1217 | 1451 | 1452 | 1215 | 1048 | 1022 | 1169 | 1586 | 3819 | 4025 => {
            py.get_type::<IntegrityError>()
        }
        // PyMySQL's: truncated, NULL to NOT NULL, out of range, no default, NULL in a primary
        // key, too long, datetime overflow; added: incorrect value (1292, 1366, 1367),
        // division by zero (1365).
        1265 | 1263 | 1264 | 1230 | 1171 | 1406 | 1441 | 1292 | 1366 | 1367 | 1365 => {
            py.get_type::<DataError>()
        }
        // PyMySQL's: database exists, syntax, parse, no such table, wrong names, field twice,
        // group function, extension, no columns, not in a transaction.
        1007 | 1149 | 1064 | 1146 | 1102 | 1103 | 1110 | 1111 | 1112 | 1113 | 1179 | 1166 => {
            py.get_type::<ProgrammingError>()
        }
        // PyMySQL's: incomplete rollback, not supported yet, disabled, unknown engine; added:
        // not in the prepared statement protocol (1295).
        1196 | 1235 | 1289 | 1286 | 1295 => py.get_type::<NotSupportedError>(),
        c if c < 1000 => py.get_type::<InternalError>(),
        _ => py.get_type::<OperationalError>(),
    }
}

/// A mywire error as the PEP 249 exception a Python application expects, with
/// `args == (code, message)` as PyMySQL and mysqlclient give them.
pub(crate) fn to_py(e: Error) -> PyErr {
    Python::attach(|py| {
        let (class, code, msg) = match &e {
            _ if e.server_error().is_some() => {
                let (code, msg) = match e.server_error() {
                    Some(s) => (s.code, s.message.clone()),
                    None => (0, e.to_string()),
                };
                (server_class(py, code), code, msg)
            }
            Error::Io(_) | Error::Timeout(_) => {
                let code = if e.kind() == ErrorKind::ConnectFailed {
                    cr::CONN_HOST_ERROR
                } else {
                    cr::SERVER_LOST
                };
                (py.get_type::<OperationalError>(), code, e.to_string())
            }
            Error::Broken(_) => (
                py.get_type::<OperationalError>(),
                cr::SERVER_GONE,
                e.to_string(),
            ),
            Error::Protocol(_) => (
                py.get_type::<OperationalError>(),
                cr::MALFORMED_PACKET,
                e.to_string(),
            ),
            Error::Tls(_) => (
                py.get_type::<OperationalError>(),
                cr::SSL_CONNECTION_ERROR,
                e.to_string(),
            ),
            Error::Auth(_) => (
                py.get_type::<OperationalError>(),
                cr::AUTH_PLUGIN_ERR,
                e.to_string(),
            ),
            Error::LocalInfileRefused(_) => (
                py.get_type::<OperationalError>(),
                cr::LOAD_DATA_LOCAL_INFILE_REJECTED,
                e.to_string(),
            ),
            Error::Value(_) | Error::Column(_) => (py.get_type::<DataError>(), 0, e.to_string()),
            Error::Usage(_) => (py.get_type::<ProgrammingError>(), 0, e.to_string()),
            Error::Config(_) => (py.get_type::<InterfaceError>(), 0, e.to_string()),
            _ => match e.kind() {
                ErrorKind::ConnectFailed => (
                    py.get_type::<OperationalError>(),
                    cr::CONN_HOST_ERROR,
                    e.to_string(),
                ),
                ErrorKind::ConnectionLost | ErrorKind::ClosedByServer => (
                    py.get_type::<OperationalError>(),
                    cr::SERVER_LOST,
                    e.to_string(),
                ),
                _ => (py.get_type::<OperationalError>(), 0, e.to_string()),
            },
        };
        PyErr::from_type(class, (code, msg))
    })
}

pub(crate) fn interface_error(msg: impl Into<String>) -> PyErr {
    InterfaceError::new_err((0u16, msg.into()))
}

fn data_error(msg: impl Into<String>) -> PyErr {
    DataError::new_err((0u16, msg.into()))
}

// ---------------------------------------------------------------------------------------------
// Values: cells to Python objects
// ---------------------------------------------------------------------------------------------

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `datetime.date.fromisoformat` and `datetime.datetime.fromisoformat`, looked up once.
static FROM_ISO_DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static FROM_ISO_DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn from_iso<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    class: &str,
    iso: &str,
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        py.import("datetime")?
            .getattr(class)?
            .getattr("fromisoformat")
            .map(Bound::unbind)
    })?
    .bind(py)
    .call1((iso,))
}

/// Writes `v` as `width` decimal digits (zero-padded, the high digits dropped) at the front
/// of `out`.
fn digits(out: &mut [u8], mut v: u32) {
    for b in out.iter_mut().rev() {
        // `v % 10` < 10: the cast cannot truncate.
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// `YYYY-MM-DD` (a year of 1 to 9999, as DATE holds): what `date.fromisoformat` reads on
/// every Python from 3.7.
fn iso_date(buf: &mut [u8; 10], d: Date) -> &str {
    let (y, rest) = buf.split_at_mut(4);
    digits(y, u32::from(d.year()));
    let (sep1, rest) = rest.split_at_mut(1);
    sep1.fill(b'-');
    let (m, rest) = rest.split_at_mut(2);
    digits(m, u32::from(d.month()));
    let (sep2, day) = rest.split_at_mut(1);
    sep2.fill(b'-');
    digits(day, u32::from(d.day()));
    // Digits and dashes only.
    std::str::from_utf8(buf).unwrap_or("")
}

/// True when `v` is a datetime Python can hold, in the digits `iso_datetime` writes.
fn iso_fits(v: &DateTime) -> bool {
    let d = v.date();
    (1..=9999).contains(&d.year())
        && d.month() != 0
        && d.day() != 0
        && v.hour() <= 23
        && v.minute() <= 59
        && v.second() <= 59
        && v.micros() < 1_000_000
}

/// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS.ffffff`: the two forms
/// `datetime.fromisoformat` reads on every Python from 3.7 (a fraction of 6 digits).
fn iso_datetime<'b>(buf: &'b mut [u8; 26], v: &DateTime) -> &'b str {
    let mut date = [0u8; 10];
    iso_date(&mut date, v.date());
    let (d, rest) = buf.split_at_mut(10);
    d.copy_from_slice(&date);
    let fields = [
        (b' ', u32::from(v.hour())),
        (b':', u32::from(v.minute())),
        (b':', u32::from(v.second())),
    ];
    let mut rest = rest;
    for (sep, val) in fields {
        let (s, r) = rest.split_at_mut(1);
        s.fill(sep);
        let (two, r) = r.split_at_mut(2);
        digits(two, val);
        rest = r;
    }
    let len = if v.micros() == 0 {
        19
    } else {
        let (dot, frac) = rest.split_at_mut(1);
        dot.fill(b'.');
        digits(frac, v.micros());
        26
    };
    std::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or("")
}

/// How the cells of one column become Python objects (decided once per result set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    UInt,
    /// FLOAT: read through its shortest text form, so 0.1 reads as 0.1 in both protocols.
    Float,
    Double,
    Decimal,
    Date,
    DateTime,
    Time,
    Bytes,
    Str,
}

fn kind(c: &ColumnDefinition) -> Kind {
    let unsigned = c.flags.contains(ColumnFlags::UNSIGNED);
    match c.column_type.0 {
        0x01..=0x03 | 0x08 | 0x09 | 0x0d if unsigned => Kind::UInt,
        0x01..=0x03 | 0x08 | 0x09 | 0x0d => Kind::Int,
        0x04 => Kind::Float,
        0x05 => Kind::Double,
        0x00 | 0xf6 => Kind::Decimal,
        0x0a | 0x0e => Kind::Date,
        0x07 | 0x0c | 0x11 | 0x12 => Kind::DateTime,
        0x0b | 0x13 => Kind::Time,
        // BIT and GEOMETRY are bytes whatever their character set.
        0x10 | 0xff => Kind::Bytes,
        _ if c.charset == 63 => Kind::Bytes,
        _ => Kind::Str,
    }
}

/// One result set's columns, with the conversion of each.
pub(crate) struct Columns {
    defs: Vec<ColumnDefinition>,
    kinds: Vec<Kind>,
}

impl Columns {
    fn new(defs: &[ColumnDefinition]) -> Self {
        Columns {
            defs: defs.to_vec(),
            kinds: defs.iter().map(kind).collect(),
        }
    }
}

fn decode<'a, T: FromValue<'a>>(
    cell: &'a [u8],
    col: &ColumnDefinition,
    binary: bool,
) -> Result<T, Error> {
    let r = if binary {
        T::from_binary(cell, col.column_type, col.flags)
    } else {
        T::from_text(cell, col.column_type, col.flags)
    };
    r.map_err(Error::Value)
}

/// The text form of a cell (the text protocol's bytes, or the binary value formatted the way
/// the server formats it as text).
fn text_form<'a>(cell: &'a [u8], col: &ColumnDefinition, binary: bool) -> PyResult<Cow<'a, [u8]>> {
    if binary {
        binary_as_text(cell, col).map_err(|e| to_py(Error::Value(e)))
    } else {
        Ok(Cow::Borrowed(cell))
    }
}

fn text_str<'py>(py: Python<'py>, b: &[u8], col: &ColumnDefinition) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(b) {
        Ok(s) => Ok(PyString::new(py, s).into_any()),
        Err(_) => Err(data_error(format!(
            "column {:?}: the value is not valid UTF-8 (connect with a utf8mb4 charset)",
            col.name()
        ))),
    }
}

fn cell_to_py<'py>(
    py: Python<'py>,
    cell: &[u8],
    col: &ColumnDefinition,
    kind: Kind,
    binary: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let named = |e: Error| {
        to_py(match e {
            Error::Value(p) => Error::Usage(format!("column {:?}: {p}", col.name())),
            other => other,
        })
    };
    Ok(match kind {
        Kind::Int => decode::<i64>(cell, col, binary)
            .map_err(named)?
            .into_pyobject(py)?
            .into_any(),
        Kind::UInt => decode::<u64>(cell, col, binary)
            .map_err(named)?
            .into_pyobject(py)?
            .into_any(),
        Kind::Double => {
            PyFloat::new(py, decode::<f64>(cell, col, binary).map_err(named)?).into_any()
        }
        Kind::Float => {
            let t = text_form(cell, col, binary)?;
            let v = std::str::from_utf8(&t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or_else(|| data_error(format!("column {:?}: not a FLOAT", col.name())))?;
            PyFloat::new(py, v).into_any()
        }
        Kind::Decimal => {
            let t = text_form(cell, col, binary)?;
            let s = text_str(py, &t, col)?;
            DECIMAL.import(py, "decimal", "Decimal")?.call1((s,))?
        }
        Kind::Date => match decode::<Date>(cell, col, binary) {
            Ok(d)
                if !d.is_zero()
                    && d.month() != 0
                    && d.day() != 0
                    && d.year() != 0
                    && d.year() <= 9999 =>
            {
                let mut buf = [0u8; 10];
                let iso = iso_date(&mut buf, d);
                match from_iso(py, &FROM_ISO_DATE, "date", iso) {
                    Ok(v) => v,
                    Err(_) => text_str(py, &text_form(cell, col, binary)?, col)?,
                }
            }
            // Zero dates (and dates Python cannot hold) come back as the server's text.
            _ => text_str(py, &text_form(cell, col, binary)?, col)?,
        },
        Kind::DateTime => match decode::<DateTime>(cell, col, binary) {
            Ok(v) if iso_fits(&v) => {
                // Through `fromisoformat` on a string we format: one argument, where the
                // constructor's seven are parsed as keywords-or-positionals (abi3 has no
                // direct constructor), at less than half the cost.
                let mut buf = [0u8; 26];
                let iso = iso_datetime(&mut buf, &v);
                match from_iso(py, &FROM_ISO_DATETIME, "datetime", iso) {
                    Ok(v) => v,
                    Err(_) => text_str(py, &text_form(cell, col, binary)?, col)?,
                }
            }
            _ => text_str(py, &text_form(cell, col, binary)?, col)?,
        },
        Kind::Time => {
            let t = decode::<Time>(cell, col, binary).map_err(named)?;
            let total = t.total_micros();
            // |TIME| <= 838:59:59.999999: the seconds fit an i32.
            let secs = i32::try_from(total / 1_000_000)
                .map_err(|_| data_error(format!("column {:?}: TIME out of range", col.name())))?;
            let micros = i32::try_from(total % 1_000_000).unwrap_or(0);
            PyDelta::new(py, 0, secs, micros, true)?.into_any()
        }
        Kind::Bytes => PyBytes::new(py, cell).into_any(),
        Kind::Str => text_str(py, cell, col)?,
    })
}

/// A row packet's cells, split by the protocol it came in.
enum Splitter {
    Text(RowCells),
    Binary(BinaryRowCells),
}

fn row_to_py<'py>(
    py: Python<'py>,
    payload: &[u8],
    cols: &Columns,
    split: &mut Splitter,
    out: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let binary = matches!(split, Splitter::Binary(_));
    match split {
        Splitter::Text(c) => c.parse(payload, cols.defs.len()),
        Splitter::Binary(c) => c.parse(payload, &cols.defs),
    }
    .map_err(|e| to_py(Error::Protocol(e)))?;
    out.clear();
    for (i, (col, kind)) in cols.defs.iter().zip(&cols.kinds).enumerate() {
        let cell = match split {
            Splitter::Text(c) => c.get(payload, i),
            Splitter::Binary(c) => c.get(payload, i),
        };
        out.push(match cell {
            None => py.None().into_bound(py),
            Some(cell) => cell_to_py(py, cell, col, *kind, binary)?,
        });
    }
    PyTuple::new(py, out.drain(..))
}

// ---------------------------------------------------------------------------------------------
// Values: Python objects to parameters
// ---------------------------------------------------------------------------------------------

fn int_attr(o: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    o.getattr(name)?.extract::<i64>()
}

fn narrow<T: TryFrom<i64>>(v: i64, what: &str) -> PyResult<T> {
    T::try_from(v).map_err(|_| data_error(format!("parameter: {what} {v} out of range")))
}

fn py_to_param(o: &Bound<'_, PyAny>, pos: usize) -> PyResult<Param<'static>> {
    let bad =
        |e: mywire::codec::value::ValueError| data_error(format!("parameter {}: {e}", pos + 1));
    if o.is_none() {
        return Ok(Param::Null);
    }
    if o.is_instance_of::<PyBool>() {
        return Ok(Param::Int(i64::from(o.extract::<bool>()?)));
    }
    if o.is_instance_of::<PyInt>() {
        if let Ok(v) = o.extract::<i64>() {
            return Ok(Param::Int(v));
        }
        return match o.extract::<u64>() {
            Ok(v) => Ok(Param::UInt(v)),
            Err(_) => Err(data_error(format!(
                "parameter {}: the integer does not fit 64 bits",
                pos + 1
            ))),
        };
    }
    if o.is_instance_of::<PyFloat>() {
        let v = o.extract::<f64>()?;
        if !v.is_finite() {
            return Err(data_error(format!(
                "parameter {}: {v} has no SQL value",
                pos + 1
            )));
        }
        return Ok(Param::Double(v));
    }
    if o.is_instance_of::<PyString>() {
        return Ok(Param::Text(Cow::Owned(o.extract::<String>()?)));
    }
    if o.is_instance_of::<PyBytes>() || o.is_instance_of::<PyByteArray>() {
        return Ok(Param::Bytes(Cow::Owned(o.extract::<Vec<u8>>()?)));
    }
    if o.is_instance_of::<PyDateTime>() {
        let date = Date::new(
            narrow(int_attr(o, "year")?, "year")?,
            narrow(int_attr(o, "month")?, "month")?,
            narrow(int_attr(o, "day")?, "day")?,
        )
        .map_err(bad)?;
        let v = DateTime::new(
            date,
            narrow(int_attr(o, "hour")?, "hour")?,
            narrow(int_attr(o, "minute")?, "minute")?,
            narrow(int_attr(o, "second")?, "second")?,
            narrow(int_attr(o, "microsecond")?, "microsecond")?,
        )
        .map_err(bad)?;
        return Ok(Param::DateTime(v));
    }
    if o.is_instance_of::<PyDate>() {
        let v = Date::new(
            narrow(int_attr(o, "year")?, "year")?,
            narrow(int_attr(o, "month")?, "month")?,
            narrow(int_attr(o, "day")?, "day")?,
        )
        .map_err(bad)?;
        return Ok(Param::Date(v));
    }
    if o.is_instance_of::<PyTime>() {
        let v = Time::new(
            false,
            narrow(int_attr(o, "hour")?, "hour")?,
            narrow(int_attr(o, "minute")?, "minute")?,
            narrow(int_attr(o, "second")?, "second")?,
            narrow(int_attr(o, "microsecond")?, "microsecond")?,
        )
        .map_err(bad)?;
        return Ok(Param::Time(v));
    }
    if o.is_instance_of::<PyDelta>() {
        let days = int_attr(o, "days")?;
        let secs = int_attr(o, "seconds")?;
        let micros = int_attr(o, "microseconds")?;
        let total = days
            .checked_mul(86_400_000_000)
            .and_then(|d| d.checked_add(secs.checked_mul(1_000_000)?))
            .and_then(|d| d.checked_add(micros))
            .ok_or_else(|| data_error(format!("parameter {}: TIME out of range", pos + 1)))?;
        let negative = total < 0;
        let abs = total.unsigned_abs();
        let hours = u32::try_from(abs / 3_600_000_000)
            .map_err(|_| data_error(format!("parameter {}: TIME out of range", pos + 1)))?;
        let rest = abs % 3_600_000_000;
        let v = Time::new(
            negative,
            hours,
            u8::try_from(rest / 60_000_000).unwrap_or(0),
            u8::try_from(rest % 60_000_000 / 1_000_000).unwrap_or(0),
            u32::try_from(rest % 1_000_000).unwrap_or(0),
        )
        .map_err(bad)?;
        return Ok(Param::Time(v));
    }
    let decimal = DECIMAL.import(o.py(), "decimal", "Decimal")?;
    if o.is_instance(decimal)? {
        // Positional notation: `Decimal('1E-7')` is sent as 0.0000001.
        let s: String = o.call_method1("__format__", ("f",))?.extract()?;
        let d = Decimal::parse(&s)
            .map_err(|_| data_error(format!("parameter {}: {s} is not an SQL DECIMAL", pos + 1)))?;
        return Ok(Param::Decimal(d.into_owned()));
    }
    // A UUID travels as its canonical text (CHAR(36), MariaDB's UUID type), as other
    // drivers send it.
    if o.is_instance(UUID.import(o.py(), "uuid", "UUID")?)? {
        return Ok(Param::Text(Cow::Owned(o.str()?.extract()?)));
    }
    Err(ProgrammingError::new_err((
        0u16,
        format!(
            "parameter {}: a {} cannot be sent (supported: None, bool, int, float, str, bytes, \
             bytearray, decimal.Decimal, datetime.date, datetime.datetime, datetime.time, \
             datetime.timedelta, uuid.UUID)",
            pos + 1,
            o.get_type().name()?
        ),
    )))
}

pub(crate) fn params_of(seq: &Bound<'_, PyAny>) -> PyResult<Vec<Param<'static>>> {
    let mut out = Vec::new();
    for (i, item) in seq.try_iter()?.enumerate() {
        out.push(py_to_param(&item?, i)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------

/// The result being read: its ticket and its columns.
struct Current {
    ticket: ResultTicket,
    columns: Arc<Columns>,
}

/// Rows collected without the GIL per batch.
const BATCH: usize = 4096;

/// mywire's blocking session, for the DB-API layer.
#[pyclass(module = "mywire._mywire", name = "Session")]
struct PySession {
    /// The session. PyO3 hands out `&mut self` to one caller at a time (a second thread gets
    /// a borrow error, never a data race), so the mutex is never locked: it only makes the
    /// class `Sync` as PyO3 requires; `get_mut` reaches the session.
    s: Mutex<Option<Session>>,
    cur: Option<Current>,
}

impl PySession {
    fn slot(&mut self) -> &mut Option<Session> {
        self.s.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    fn session(&mut self) -> PyResult<&mut Session> {
        self.slot()
            .as_mut()
            .ok_or_else(|| interface_error("the connection is closed"))
    }

    /// The head of the result just started, and the result kept for fetching.
    fn head(&mut self, py: Python<'_>, ticket: ResultTicket) -> PyResult<Py<PyAny>> {
        let s = self.session()?;
        let r = s.resume(ticket);
        let (head, columns) = head_of(r.columns(), r.ok(), r.has_more_results());
        self.cur = Some(Current { ticket, columns });
        Ok(head.into_pyobject(py)?.into_any().unbind())
    }
}

/// A PEP 249 description item: `(name, type_code, display_size, internal_size, precision,
/// scale, null_ok)` (flags, charset and the rest: `column_info`).
type DescItem = (String, u8, Option<u32>, u32, u32, u8, bool);

/// The head of a result, owned: `(description or None, affected_rows, last_insert_id,
/// warnings, info, has_more)` in Python.
pub(crate) struct Head {
    desc: Option<Vec<DescItem>>,
    affected: u64,
    insert_id: u64,
    warnings: u16,
    info: String,
    more: bool,
}

impl<'py> IntoPyObject<'py> for Head {
    type Target = PyTuple;
    type Output = Bound<'py, PyTuple>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        (
            self.desc,
            self.affected,
            self.insert_id,
            self.warnings,
            self.info,
            self.more,
        )
            .into_pyobject(py)
    }
}

/// The head of the result whose columns are `cols` and latest OK `ok`, and its columns with
/// their conversions.
pub(crate) fn head_of(
    cols: &[ColumnDefinition],
    ok: &mywire::codec::response::OkPacket,
    more: bool,
) -> (Head, Arc<Columns>) {
    let columns = Arc::new(Columns::new(cols));
    let desc = (!cols.is_empty()).then(|| {
        cols.iter()
            .map(|c| {
                (
                    c.name().into_owned(),
                    c.column_type.0,
                    None,
                    c.column_length,
                    c.column_length,
                    c.decimals,
                    !c.flags.contains(ColumnFlags::NOT_NULL),
                )
            })
            .collect()
    });
    let head = Head {
        desc,
        affected: ok.affected_rows,
        insert_id: ok.last_insert_id,
        warnings: ok.warnings,
        info: ok.info.clone(),
        more,
    };
    (head, columns)
}

/// Row packets read without the GIL, and what turns them into tuples.
pub(crate) struct RowBatch {
    pub(crate) packets: Vec<Bytes>,
    pub(crate) binary: bool,
    pub(crate) columns: Arc<Columns>,
}

impl RowBatch {
    /// Appends the rows to `out`, splitting cells with `split` (made on first use).
    fn append_to(
        &self,
        py: Python<'_>,
        out: &Bound<'_, PyList>,
        split: &mut Option<Splitter>,
    ) -> PyResult<()> {
        let split = split.get_or_insert_with(|| {
            if self.binary {
                Splitter::Binary(BinaryRowCells::new())
            } else {
                Splitter::Text(RowCells::new())
            }
        });
        // One vector of cells for every row of the batch.
        let mut cells = Vec::with_capacity(self.columns.defs.len());
        for p in &self.packets {
            out.append(row_to_py(py, p, &self.columns, split, &mut cells)?)?;
        }
        Ok(())
    }
}

impl<'py> IntoPyObject<'py> for RowBatch {
    type Target = PyList;
    type Output = Bound<'py, PyList>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        let out = PyList::empty(py);
        self.append_to(py, &out, &mut None)?;
        Ok(out)
    }
}

/// A row of `column_info`.
type ColumnInfo = (String, u8, u16, u16, String, String, String, String);

pub(crate) fn column_info_of(columns: &Columns) -> Vec<ColumnInfo> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    columns
        .defs
        .iter()
        .map(|c| {
            (
                c.name().into_owned(),
                c.column_type.0,
                c.flags.bits(),
                c.charset,
                text(c.table()),
                text(c.org_name()),
                text(c.org_table()),
                text(c.schema()),
            )
        })
        .collect()
}

/// Options from a URL (or the defaults) and (name, value) pairs applied after it.
pub(crate) fn options_of(url: Option<&str>, options: &[(String, String)]) -> PyResult<Options> {
    let mut opts = match url {
        Some(u) => Options::from_url(u).map_err(to_py)?,
        None => Options::new(),
    };
    for (k, v) in options {
        opts.set(k, v).map_err(to_py)?;
    }
    Ok(opts)
}

/// The packet tracer writing to the file `trace`, if any.
pub(crate) fn tracer_of(
    trace: Option<&str>,
    format: &str,
) -> PyResult<Option<Box<dyn mywire::trace::Tracer>>> {
    let Some(path) = trace else {
        return Ok(None);
    };
    let format = format_of(format)?;
    let f = std::fs::File::create(path)
        .map_err(|e| interface_error(format!("trace: cannot create {path:?}: {e}")))?;
    let w = WriterTracer::new(std::io::BufWriter::new(f), format, false, false);
    Ok(Some(Box::new(w)))
}

fn format_of(s: &str) -> PyResult<Format> {
    match s {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        other => Err(interface_error(format!(
            "trace_format: {other:?} is not text or json"
        ))),
    }
}

#[pymethods]
impl PySession {
    /// Connects: `url` (a mywire URL, or None) and `options`, a list of (name, value) pairs in
    /// mywire's URL option spelling, applied after the URL. `trace` is a file path for a packet
    /// trace (`trace_format` "text" or "json").
    #[new]
    #[pyo3(signature = (url=None, options=Vec::new(), trace=None, trace_format="text"))]
    fn new(
        py: Python<'_>,
        url: Option<&str>,
        options: Vec<(String, String)>,
        trace: Option<&str>,
        trace_format: &str,
    ) -> PyResult<Self> {
        let opts = options_of(url, &options)?;
        let tracer = tracer_of(trace, trace_format)?;
        let s = py
            .detach(move || match tracer {
                None => Session::connect(opts),
                Some(t) => Session::connect_traced(opts, Some(t)),
            })
            .map_err(to_py)?;
        Ok(PySession {
            s: Mutex::new(Some(s)),
            cur: None,
        })
    }

    /// COM_QUERY (the text protocol): the head of the first result.
    fn query(&mut self, py: Python<'_>, sql: &str) -> PyResult<Py<PyAny>> {
        self.cur = None;
        let s = self.session()?;
        let t = py
            .detach(|| s.query(sql).map(|r| r.detach()))
            .map_err(to_py)?;
        self.head(py, t)
    }

    /// A prepared statement (from the session's statement cache) executed with `params`, a
    /// sequence: the head of the first result.
    fn execute(
        &mut self,
        py: Python<'_>,
        sql: &str,
        params: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        self.cur = None;
        let params = params_of(params)?;
        let s = self.session()?;
        let t = py
            .detach(|| {
                let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
                s.exec(sql, &refs).map(|r| r.detach())
            })
            .map_err(to_py)?;
        self.head(py, t)
    }

    /// One statement, many rows of parameters: COM_STMT_BULK_EXECUTE where the server has it,
    /// pipelined executes elsewhere. Returns `(affected_rows, last_insert_id, warnings)`.
    fn execute_many(
        &mut self,
        py: Python<'_>,
        sql: &str,
        rows: &Bound<'_, PyAny>,
    ) -> PyResult<(u64, u64, u32)> {
        self.cur = None;
        let mut all = Vec::new();
        for row in rows.try_iter()? {
            all.push(params_of(&row?)?);
        }
        let s = self.session()?;
        let r = py
            .detach(|| {
                let refs: Vec<Vec<&dyn ToParam>> = all
                    .iter()
                    .map(|r| r.iter().map(|p| p as &dyn ToParam).collect())
                    .collect();
                let stmt = s.prepare(sql)?;
                let r = s.exec_batch(&stmt, &refs);
                let closed = s.close_statement(stmt);
                let r = r?;
                closed.map(|()| r)
            })
            .map_err(to_py)?;
        Ok((r.affected_rows, r.last_insert_id, r.warnings))
    }

    /// Up to `max` rows of the current result set (all of them for None) as a list of
    /// tuples; an empty list at its end.
    #[pyo3(signature = (max=None))]
    fn fetch(&mut self, py: Python<'_>, max: Option<usize>) -> PyResult<Py<PyList>> {
        let Some(cur) = self.cur.as_ref() else {
            return Ok(PyList::empty(py).unbind());
        };
        let (ticket, cols) = (cur.ticket, Arc::clone(&cur.columns));
        let out = PyList::empty(py);
        if cols.defs.is_empty() {
            return Ok(out.unbind());
        }
        let mut left = max.unwrap_or(usize::MAX);
        let mut split: Option<Splitter> = None;
        let s = self.session()?;
        while left > 0 {
            let want = left.min(BATCH);
            // Without the GIL: wait for one row, then take the rows already received, and
            // convert them while the next ones arrive (a read that would wait comes only
            // when there is nothing left to convert).
            let (packets, binary, end) = py
                .detach(|| {
                    let mut r = s.resume(ticket);
                    let mut v: Vec<Bytes> = Vec::with_capacity(want.min(256));
                    let Some(row) = r.next_row()? else {
                        return Ok::<_, Error>((v, false, true));
                    };
                    let binary = row.is_binary();
                    v.push(row.packet());
                    while v.len() < want {
                        match r.next_row_received()? {
                            Received::Row(row) => v.push(row.packet()),
                            Received::End => return Ok((v, binary, true)),
                            Received::NotYet => break,
                        }
                    }
                    Ok((v, binary, false))
                })
                .map_err(to_py)?;
            let n = packets.len();
            let batch = RowBatch {
                packets,
                binary,
                columns: Arc::clone(&cols),
            };
            batch.append_to(py, &out, &mut split)?;
            left -= n;
            if end {
                break;
            }
        }
        Ok(out.unbind())
    }

    /// Skips what is left of the current result and reads the next one's head; None when
    /// the response has no more results.
    fn next_result(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(cur) = self.cur.take() else {
            return Ok(None);
        };
        let s = self.session()?;
        let more = py
            .detach(|| s.resume(cur.ticket).next_result())
            .map_err(to_py)?;
        if more {
            self.head(py, cur.ticket).map(Some)
        } else {
            Ok(None)
        }
    }

    /// True if the current result has another after it (known once its rows are read).
    fn has_more(&mut self) -> PyResult<bool> {
        let Some(t) = self.cur.as_ref().map(|c| c.ticket) else {
            return Ok(false);
        };
        Ok(self.session()?.resume(t).has_more_results())
    }

    /// Reads and discards what is left of the current response.
    fn drain(&mut self, py: Python<'_>) -> PyResult<()> {
        let Some(cur) = self.cur.take() else {
            return Ok(());
        };
        let s = self.session()?;
        py.detach(|| s.resume(cur.ticket).drain()).map_err(to_py)
    }

    /// `(affected_rows, last_insert_id, warnings)` of the latest OK (the end of a result set
    /// included).
    fn last_ok(&mut self) -> PyResult<(u64, u64, u16)> {
        let ok = self.session()?.last_ok();
        Ok((ok.affected_rows, ok.last_insert_id, ok.warnings))
    }

    /// COM_PING.
    fn ping(&mut self, py: Python<'_>) -> PyResult<()> {
        self.cur = None;
        let s = self.session()?;
        py.detach(|| s.ping()).map_err(to_py)
    }

    /// COM_INIT_DB.
    fn select_db(&mut self, py: Python<'_>, db: &str) -> PyResult<()> {
        self.cur = None;
        let s = self.session()?;
        py.detach(|| s.init_db(db)).map_err(to_py)
    }

    /// COM_QUIT and close (a second close does nothing).
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.cur = None;
        match self.slot().take() {
            Some(s) => py.detach(|| s.close()).map_err(to_py),
            None => Ok(()),
        }
    }

    /// The server status flags of the latest OK/EOF (SERVER_STATUS_*).
    fn status(&mut self) -> PyResult<u16> {
        Ok(self.session()?.status().bits())
    }

    /// True while a transaction is open (SERVER_STATUS_IN_TRANS).
    fn in_transaction(&mut self) -> PyResult<bool> {
        Ok(self.session()?.status().contains(StatusFlags::IN_TRANS))
    }

    /// True if the server runs with autocommit (SERVER_STATUS_AUTOCOMMIT).
    fn autocommit(&mut self) -> PyResult<bool> {
        Ok(self.session()?.status().contains(StatusFlags::AUTOCOMMIT))
    }

    /// True if string literals must not use backslash escapes (NO_BACKSLASH_ESCAPES).
    fn no_backslash_escapes(&mut self) -> PyResult<bool> {
        Ok(self
            .session()?
            .status()
            .contains(StatusFlags::NO_BACKSLASH_ESCAPES))
    }

    fn server_version(&mut self) -> PyResult<String> {
        Ok(self.session()?.server_version().to_string())
    }

    fn connection_id(&mut self) -> PyResult<u32> {
        Ok(self.session()?.connection_id())
    }

    fn is_tls(&mut self) -> PyResult<bool> {
        Ok(self.session()?.is_tls())
    }

    /// True once closed, or broken by an I/O or protocol error (every later call fails).
    fn is_closed(&mut self) -> bool {
        match self.slot() {
            None => true,
            Some(s) => s.is_broken(),
        }
    }

    /// The name of the compression algorithm in use, or None.
    fn compression(&mut self) -> PyResult<Option<String>> {
        Ok(self
            .session()?
            .compression()
            .map(|a| format!("{a:?}").to_lowercase()))
    }

    /// `(name, type, flags, charset, table, org_name, org_table, schema)` of each column of
    /// the current result set.
    fn column_info(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let Some(cur) = self.cur.as_ref() else {
            return Ok(PyList::empty(py).unbind());
        };
        let items = column_info_of(&cur.columns);
        Ok(PyList::new(py, items)?.unbind())
    }
}

#[pymodule]
fn _mywire(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PySession>()?;
    m.add_class::<aio::PyAsyncSession>()?;
    m.add("Warning", py.get_type::<Warning>())?;
    m.add("Error", py.get_type::<DbError>())?;
    m.add("InterfaceError", py.get_type::<InterfaceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OperationalError", py.get_type::<OperationalError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("ProgrammingError", py.get_type::<ProgrammingError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
