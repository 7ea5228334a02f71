//! The session layer (in progress).
/// Connection options (in progress).
#[derive(Debug, Clone, Default)]
pub struct Options;
/// A session (in progress).
#[derive(Debug)]
pub struct Session;
