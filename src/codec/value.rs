//! Text-protocol values to typed Rust values (filled in by the value work).
