//! The protocol engine: one connection's state machine, sans-IO.
//!
//! [`Engine`] owns everything a connection knows about the protocol: the negotiated
//! capabilities, the sequence counter, the framing (one header parser, continuations joined,
//! packets that arrived together split off as one batch), the connection phase (greeting, the TLS upgrade point,
//! authentication), and the queue of commands in flight with what each response looks like.
//! It does no I/O: a driver reads whatever arrives into [`Engine::read_buf`], asks the engine
//! to make progress (each `*_step` method returns `Ok(None)` when it needs more bytes), and
//! writes out what the engine queued in [`Engine::transmit`].
//!
//! ```text
//!            bytes in                                   bytes out
//!   socket ───────────▶ read_buf ──▶ ┌──────────────┐ ──▶ transmit ───────────▶ socket
//!                                    │    Engine    │
//!   driver ── command, step() ─────▶ │ phase, caps, │ ──▶ events: StartTls, Connected,
//!   (async Session,                  │ seq, queue,  │     result head (columns), row view,
//!    blocking Session)               │ rows batch   │     result end (OK), server error,
//!                                    └──────────────┘     LOCAL INFILE wanted, raw frame
//! ```
//!
//! The two drivers, [`crate::session::Session`] (tokio) and
//! [`crate::session::blocking::Session`] (std sockets), are small loops around the same
//! engine: `loop { if let Some(x) = engine.step()? { return x } write(transmit); read(read_buf) }`.
//! Because every bit of protocol state lives here, a driver call that is cancelled (a dropped
//! future, a timeout) loses nothing: the next call finishes the write and drains what was not
//! read.

// The engine turns wire bytes into lengths and counts: no unchecked casts (threat model row 5).
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod attributes;
mod batch;
mod buffers;
mod columns;
mod compress;
mod connect;
mod cursor;
mod engine;
mod from_row;
mod infile;
mod last_word;
mod metadata;
mod pipeline;
mod raw;
mod read;
pub mod response;
mod row;
mod stmt;
mod stmt_cache;
#[cfg(test)]
mod tests;

pub use batch::{BatchError, BatchResult, ExecBatch, BULK_CHUNK_BYTES};
pub use compress::CompressionStats;
pub use connect::{
    client_capabilities, compression_flag, negotiated_compression, ConnectConfig, ConnectEvent,
};
pub use engine::{Engine, PIPELINE_WINDOW, PIPELINE_WINDOW_BYTES};
pub use from_row::{ColumnIndex, FromCell, FromRow, OwnedRow};
pub use infile::{local_infile_names, InfileWant, INFILE_PACKET};
pub use pipeline::PipelineCursor;
pub use row::Row;
pub use stmt::{Statement, LONG_DATA_THRESHOLD, UNSUPPORTED_PS_HINT};

/// The outcome of one step of the engine: `Ok(None)` means "feed me more bytes".
pub type Step<T> = Result<Option<T>, crate::Error>;
