//! Rows to Rust values: columns by index or by name ([`ColumnIndex`]), a cell whose type says
//! what NULL is ([`FromCell`]), whole rows as tuples or structs ([`FromRow`], and
//! `#[derive(FromRow)]` with the `derive` feature), and rows that outlive their result
//! ([`OwnedRow`]).

use std::sync::Arc;

use bytes::Bytes;

use crate::codec::binary::BinaryRowCells;
use crate::codec::resultset::{ColumnDefinition, RowCells};
use crate::codec::value::FromValue;
use crate::codec::{ErrorKind, Packet, ParseError};
use crate::error::{ColumnError, Error};

use super::row::{Cells, Row};

// ---------------------------------------------------------------------------------------------
// Columns by index or name
// ---------------------------------------------------------------------------------------------

/// What [`Row::get`] takes to name a column: an index (`usize`) or a name (`&str`,
/// `String`), compared exactly first, then ignoring ASCII case (as MariaDB compares column
/// names); the first column of that name wins.
pub trait ColumnIndex {
    /// The index of this column among `columns`, or [`Error::Usage`] saying why there is none.
    fn index_in(&self, columns: &[ColumnDefinition]) -> Result<usize, Error>;
}

impl ColumnIndex for usize {
    #[inline]
    fn index_in(&self, columns: &[ColumnDefinition]) -> Result<usize, Error> {
        if *self < columns.len() {
            Ok(*self)
        } else {
            Err(no_column(*self, columns.len()))
        }
    }
}

impl ColumnIndex for str {
    fn index_in(&self, columns: &[ColumnDefinition]) -> Result<usize, Error> {
        name_index(columns, self).ok_or_else(|| no_name(self, columns))
    }
}

impl ColumnIndex for String {
    fn index_in(&self, columns: &[ColumnDefinition]) -> Result<usize, Error> {
        self.as_str().index_in(columns)
    }
}

impl<T: ColumnIndex + ?Sized> ColumnIndex for &T {
    #[inline]
    fn index_in(&self, columns: &[ColumnDefinition]) -> Result<usize, Error> {
        (**self).index_in(columns)
    }
}

/// The index of the first column named `name`: exact match first, then ASCII case-insensitive.
pub(crate) fn name_index(columns: &[ColumnDefinition], name: &str) -> Option<usize> {
    let name = name.as_bytes();
    columns
        .iter()
        .position(|c| c.name_bytes() == name)
        .or_else(|| {
            columns
                .iter()
                .position(|c| c.name_bytes().eq_ignore_ascii_case(name))
        })
}

#[cold]
pub(crate) fn no_column(i: usize, n: usize) -> Error {
    Error::Usage(format!("column index {i} out of range ({n} columns)"))
}

#[cold]
fn no_name(name: &str, columns: &[ColumnDefinition]) -> Error {
    let names: Vec<String> = columns.iter().map(|c| c.name().into_owned()).collect();
    Error::Usage(format!(
        "no column named `{name}` (columns: {})",
        names.join(", ")
    ))
}

/// The SQL type of a column as its definition declares it: the type name, ` UNSIGNED` when
/// flagged.
fn sql_type(col: &ColumnDefinition) -> String {
    if col.flags.contains(crate::codec::ColumnFlags::UNSIGNED) {
        format!("{} UNSIGNED", col.column_type)
    } else {
        col.column_type.to_string()
    }
}

/// The error of cell `i` of column `col`: [`Error::Column`] naming it.
#[cold]
pub(crate) fn column_error(i: usize, col: &ColumnDefinition, error: ParseError) -> Error {
    Error::Column(Box::new(ColumnError {
        index: i,
        name: col.name().into_owned(),
        sql_type: sql_type(col),
        error,
    }))
}

// ---------------------------------------------------------------------------------------------
// One cell, NULL included
// ---------------------------------------------------------------------------------------------

/// One cell of a row as a type that says what NULL is: `Option<T>` reads NULL as `None`, and
/// every [`FromValue`] type `T` reads a non-NULL cell as `T` and NULL as an error naming the
/// column ([`Error::Column`], kind [`ErrorKind::UnexpectedNull`]). What [`Row::value`], the
/// tuple [`FromRow`]s and `#[derive(FromRow)]` read cells with.
pub trait FromCell<'a>: Sized {
    /// Reads cell `i` (an index in range) of `row`.
    fn from_cell(row: &Row<'a>, i: usize) -> Result<Self, Error>;
}

impl<'a, T: FromValue<'a>> FromCell<'a> for T {
    #[inline]
    fn from_cell(row: &Row<'a>, i: usize) -> Result<Self, Error> {
        match row.get_at::<T>(i)? {
            Some(v) => Ok(v),
            None => Err(null_error::<T>(row, i)),
        }
    }
}

impl<'a, T: FromValue<'a>> FromCell<'a> for Option<T> {
    #[inline]
    fn from_cell(row: &Row<'a>, i: usize) -> Result<Self, Error> {
        row.get_at::<T>(i)
    }
}

#[cold]
fn null_error<T>(row: &Row<'_>, i: usize) -> Error {
    match row.columns().get(i) {
        Some(col) => column_error(
            i,
            col,
            ParseError::new(
                Packet::Value,
                short_type_name::<T>(),
                ErrorKind::UnexpectedNull,
            ),
        ),
        None => no_column(i, row.columns().len()),
    }
}

/// `T`'s name for error messages, as the conversions name their types: the standard
/// library's without their path (`alloc::string::String` → `String`), the feature crates'
/// as `crate::Type` (`chrono::naive::date::NaiveDate` → `chrono::NaiveDate`), this crate's
/// value types by their name; anything else (generic types too) as `type_name` gives it.
fn short_type_name<T>() -> &'static str {
    const KNOWN: &[(&str, &str)] = &[
        ("chrono::naive::date::NaiveDate", "chrono::NaiveDate"),
        (
            "chrono::naive::datetime::NaiveDateTime",
            "chrono::NaiveDateTime",
        ),
        ("chrono::naive::time::NaiveTime", "chrono::NaiveTime"),
        ("chrono::time_delta::TimeDelta", "chrono::TimeDelta"),
        ("time::date::Date", "time::Date"),
        (
            "time::primitive_date_time::PrimitiveDateTime",
            "time::PrimitiveDateTime",
        ),
        (
            "time::offset_date_time::OffsetDateTime",
            "time::OffsetDateTime",
        ),
        ("time::time::Time", "time::Time"),
        ("time::duration::Duration", "time::Duration"),
        ("rust_decimal::decimal::Decimal", "rust_decimal::Decimal"),
        ("serde_json::value::Value", "serde_json::Value"),
        ("mywire::codec::value::temporal::Date", "Date"),
        ("mywire::codec::value::temporal::DateTime", "DateTime"),
        ("mywire::codec::value::temporal::Time", "Time"),
    ];
    let full = std::any::type_name::<T>();
    if let Some(&(_, short)) = KNOWN.iter().find(|(k, _)| *k == full) {
        return short;
    }
    let std_lib = ["alloc::", "core::", "std::"]
        .iter()
        .any(|p| full.starts_with(p));
    match full.rfind("::") {
        Some(at) if std_lib && !full.contains('<') => full.get(at + 2..).unwrap_or(full),
        _ => full,
    }
}

// ---------------------------------------------------------------------------------------------
// Whole rows
// ---------------------------------------------------------------------------------------------

/// A whole row as one Rust value: a tuple (one [`FromCell`] element per column, in order;
/// the row must have exactly as many columns), an [`OwnedRow`], or a struct with
/// `#[derive(FromRow)]` (feature `derive`: fields by column name). What `query_first`,
/// `query_all` and the like return rows as.
///
/// ```no_run
/// # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
/// let rows: Vec<(i64, Option<String>)> = s.query_all("SELECT id, name FROM users").await?;
/// # Ok(()) }
/// ```
pub trait FromRow<'a>: Sized {
    /// Reads `row`.
    fn from_row(row: &Row<'a>) -> Result<Self, Error>;
}

macro_rules! tuple_from_row {
    ($n:literal: $($t:ident $i:tt),+) => {
        impl<'a, $($t: FromCell<'a>),+> FromRow<'a> for ($($t,)+) {
            fn from_row(row: &Row<'a>) -> Result<Self, Error> {
                if row.columns().len() != $n {
                    return Err(Error::Usage(format!(
                        "a tuple of {} read from a row of {} column(s)",
                        $n,
                        row.columns().len()
                    )));
                }
                Ok(($($t::from_cell(row, $i)?,)+))
            }
        }
    };
}

tuple_from_row!(1: A 0);
tuple_from_row!(2: A 0, B 1);
tuple_from_row!(3: A 0, B 1, C 2);
tuple_from_row!(4: A 0, B 1, C 2, D 3);
tuple_from_row!(5: A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(6: A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(9: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(10: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_from_row!(11: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_from_row!(12: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

impl<'a> FromRow<'a> for OwnedRow {
    fn from_row(row: &Row<'a>) -> Result<Self, Error> {
        Ok(row.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Rows that outlive their result
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum OwnedCells {
    Text(RowCells),
    Binary(BinaryRowCells),
}

/// A row that owns what it needs: the row packet (a zero-copy [`Bytes`] of the received
/// buffer), its cell boundaries and the column definitions (shared, [`Arc`]). From
/// [`Row::to_owned`]; [`OwnedRow::row`] lends it as a [`Row`] again, with every getter.
#[derive(Debug, Clone)]
pub struct OwnedRow {
    packet: Bytes,
    cells: OwnedCells,
    columns: Arc<[ColumnDefinition]>,
}

impl OwnedRow {
    /// The row as a [`Row`] view: [`Row::get`], [`Row::get_by_name`], [`Row::text`] and the
    /// rest read it exactly as they read the row it was made from.
    pub fn row(&self) -> Row<'_> {
        let cells = match &self.cells {
            OwnedCells::Text(c) => Cells::Text(c),
            OwnedCells::Binary(c) => Cells::Binary(c),
        };
        Row::new(&self.packet, &self.packet, cells, &self.columns)
    }

    /// [`Row::get`] on [`OwnedRow::row`].
    pub fn get<'r, T: FromValue<'r>>(&'r self, col: impl ColumnIndex) -> Result<Option<T>, Error> {
        self.row().get(col)
    }

    /// [`Row::get_by_name`] on [`OwnedRow::row`].
    pub fn get_by_name<'r, T: FromValue<'r>>(&'r self, name: &str) -> Result<Option<T>, Error> {
        self.row().get(name)
    }

    /// [`Row::value`] on [`OwnedRow::row`].
    pub fn value<'r, T: FromCell<'r>>(&'r self, col: impl ColumnIndex) -> Result<T, Error> {
        self.row().value(col)
    }

    /// The column definitions.
    pub fn columns(&self) -> &[ColumnDefinition] {
        &self.columns
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.row().len()
    }

    /// True for a row with no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> Row<'a> {
    /// A copy of the row that outlives its result: the packet is shared (no copy of the cell
    /// bytes), the cell boundaries and the column definitions are copied (the definitions
    /// once per call: [`OwnedRow`] keeps them in an [`Arc`]).
    #[allow(clippy::wrong_self_convention)]
    pub fn to_owned(&self) -> OwnedRow {
        let cells = match self.cells() {
            Cells::Text(c) => OwnedCells::Text(c.clone()),
            Cells::Binary(c) => OwnedCells::Binary(c.clone()),
        };
        OwnedRow {
            packet: self.packet(),
            cells,
            columns: Arc::from(self.columns()),
        }
    }
}
