//! # mywire
//!
//! A MySQL/MariaDB wire-protocol client written from the wire up.
//!
//! - [`codec`]: the sans-IO protocol layer. Parsers take bytes and return typed values or typed
//!   [`codec::ParseError`]s; encoders append to a buffer. No I/O, no tokio (except the
//!   tokio-util `Decoder`/`Encoder` adapter of the frame codec).
//! - [`session`]: a thin async session over TCP or a Unix socket (and the same session as a
//!   blocking API, [`session::blocking`]) that exposes the protocol:
//!   commands, OK/ERR packets, column definitions and rows streamed one at a time.
//! - [`trace`]: packet traces of live sessions (text or JSON lines), decoded with the same parsers.
//! - `capture` (feature `capture`): capture files: pcap/pcapng reading and writing, TCP
//!   reassembly, offline decoding of captures, the live pcapng tracer `capture::PcapngTracer`.
//!
//! ## Features
//!
//! A plain dependency is lean: no feature is on by default. The command-line program is its own
//! crate (`mywire-cli`, in the repository's `cli/`), so none of its dependencies are built here.
//!
//! - `capture`: the `capture` module (about 3,000 lines of capture-file code). Off by default;
//!   the CLI turns it on.
//! - `chrono`, `time`, `rust_decimal`, `bigdecimal`, `serde_json`, `uuid`: those crates' types
//!   as row values (both protocols) and as parameters; see [`codec::value::ext`].
//! - `derive`: `#[derive(FromRow)]` ([`FromRow`]), a struct read from a row by column name.
//!
//! Rows are read by index or by column name ([`Row::get`], [`Row::get_by_name`]), whole as
//! tuples or structs ([`FromRow`]: `query_first`, `query_all`, `query_map`, `exec_*`,
//! `execute_*`), and kept past their result with [`Row::to_owned`]. Transactions:
//! [`Session::begin`] and its guard [`session::Transaction`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), mywire::Error> {
//! use mywire::{Options, Session};
//! let mut s = Session::connect(Options::from_url("mysql://root@127.0.0.1:3306/test")?).await?;
//! let mut rs = s.query("SELECT 1 AS a, NULL AS b").await?;
//! while let Some(row) = rs.next_row().await? {
//!     let a: i64 = row.get(0)?.unwrap();
//!     assert_eq!(a, 1);
//!     assert!(row.bytes(1).is_none());
//! }
//! s.close().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
// No unwrap/expect/panic/unchecked indexing: denied in Cargo.toml ([workspace.lints]), with unit
// tests exempt through clippy.toml. Checked casts: denied in `codec`, `trace`, `capture` and
// `proto` (their mod.rs).

#[cfg(feature = "capture")]
#[cfg_attr(docsrs, doc(cfg(feature = "capture")))]
pub mod capture;
pub mod codec;
mod error;
pub mod pool;
pub mod proto;
pub mod session;
pub mod trace;

pub use codec::compress::Algorithm as Compression;
pub use codec::value::ToParam;
pub use error::{
    ColumnError, Error, ErrorKind, InfileRefusalReason, LocalInfileRefusal, ServerError, TlsError,
    TlsErrorKind,
};
/// `#[derive(FromRow)]` (feature `derive`): a struct read from a row, fields by column name
/// (`#[mywire(rename = "col")]`, `#[mywire(default)]` for a column that may be absent;
/// `Option<T>` fields read NULL as `None`), a tuple struct by position.
///
/// ```no_run
/// # async fn demo(s: &mut mywire::Session) -> Result<(), mywire::Error> {
/// #[derive(mywire::FromRow)]
/// struct User {
///     id: u64,
///     #[mywire(rename = "user_name")]
///     name: String,
///     email: Option<String>,
///     #[mywire(default)]
///     score: f64,
/// }
/// let users: Vec<User> = s.query_all("SELECT id, user_name, email FROM users").await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use mywire_derive::FromRow;
pub use proto::{BatchError, BatchResult, FromRow, OwnedRow, Row, Statement};
pub use session::{Options, Session};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
