//! The public error type.
use crate::codec::auth::AuthError;
use crate::codec::ParseError;
use std::fmt;

/// An ERR packet from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The error code (e.g. 1045).
    pub code: u16,
    /// The five-character SQLSTATE (e.g. `28000`), `HY000` when the server sent none.
    pub sql_state: String,
    /// The message, as the server sent it.
    pub message: String,
    /// Advice mywire adds for this error (not from the server), shown after the message:
    /// e.g. for ER_UNSUPPORTED_PS on a prepare, that `query` runs the statement.
    pub hint: Option<&'static str>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ERROR {} ({}): {}",
            self.code, self.sql_state, self.message
        )?;
        match self.hint {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ServerError {}

/// Every error mywire returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on the connection.
    Io(std::io::Error),
    /// The server sent bytes that do not follow the protocol.
    Protocol(ParseError),
    /// The server answered with an ERR packet.
    Server(ServerError),
    /// Authentication could not proceed on the client side.
    Auth(AuthError),
    /// The options or URL are invalid.
    Config(String),
    /// The session was broken by an earlier error; the string says which.
    Broken(String),
    /// A timeout elapsed.
    Timeout(&'static str),
    /// The server asked for a local file (LOAD DATA LOCAL INFILE), which mywire never sends.
    /// The request was answered with an empty packet and the server's reply consumed.
    LocalInfileRefused(String),
    /// A cell could not be converted to the requested type.
    Value(ParseError),
    /// The API was used in a way that cannot work (e.g. a column index out of range).
    Usage(String),
    /// A batch of executes (`exec_batch`) failed: the first error, the rows it concerns, and
    /// what the commands that succeeded did.
    Batch(Box<crate::proto::BatchError>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Server(e) => e.fmt(f),
            Error::Auth(e) => write!(f, "authentication error: {e}"),
            Error::Config(e) => write!(f, "configuration error: {e}"),
            Error::Broken(e) => write!(f, "connection broken by an earlier error: {e}"),
            Error::Timeout(what) => write!(f, "{what} timed out"),
            Error::LocalInfileRefused(name) => write!(
                f,
                "the server asked for local file `{name}`; LOCAL INFILE is refused, nothing was sent"
            ),
            Error::Value(e) => write!(f, "value conversion failed: {e}"),
            Error::Usage(e) => f.write_str(e),
            Error::Batch(e) => e.fmt(f),
        }
    }
}

impl Error {
    /// The server error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(e) => Some(e),
            Error::Batch(b) => b.error.server_error(),
            _ => None,
        }
    }

    /// True if this error left the session unusable.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Io(_) | Error::Protocol(_) | Error::Broken(_) | Error::Timeout(_)
        )
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Protocol(e) => Some(e),
            Error::Auth(e) => Some(e),
            Error::Value(e) => Some(e),
            Error::Batch(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}
impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Protocol(e)
    }
}
impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_a_std_error_that_crosses_threads() {
        fn assert_bounds<T: std::error::Error + Send + Sync + 'static>() {}
        assert_bounds::<Error>();
        assert_bounds::<ServerError>();
        let e = Error::Server(ServerError {
            code: 1146,
            sql_state: "42S02".into(),
            message: "Table 'x.y' doesn't exist".into(),
            hint: None,
        });
        assert_eq!(
            e.to_string(),
            "ERROR 1146 (42S02): Table 'x.y' doesn't exist"
        );
        assert!(!e.is_fatal());
        assert!(Error::Broken("x".into()).is_fatal());
    }
}
