//! The session layer: a thin async client over TCP or a Unix socket.
//!
//! [`Session`] drives the sans-IO codec. It exposes the protocol as it is: a query returns an
//! OK or a result set whose rows are streamed one at a time as views into the received packet.

pub mod blocking;
mod connection;
mod hosts;
mod infile;
mod options;
mod result;
mod setup;
mod stream;
mod tls;
mod transaction;

pub use crate::codec::auth::MAX_AUTH_ROUNDS;
pub use crate::proto::{Row, PIPELINE_WINDOW, PIPELINE_WINDOW_BYTES};
pub use connection::transaction::Transaction;
pub use connection::Session;
pub use infile::{InfileOpener, LocalInfile};
pub use options::{percent_decode, HostSelection, Options, Password, SslMode};
pub use result::{Pipeline, QueryResult, Received, ResultTicket};
pub use stream::{BlockingSocket, Duplex, Stream};
pub use transaction::{IsolationLevel, TxOptions};
