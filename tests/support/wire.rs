//! The ways a session can frame the same conversation: with or without CLIENT_DEPRECATE_EOF,
//! and uncompressed or compressed (zlib). Suites that must hold in every one of them (queries,
//! types, cancellation) iterate over [`Wire::ALL`] instead of being copied.

use std::fmt;

/// One way of framing a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// Negotiate CLIENT_DEPRECATE_EOF (result sets end with an OK, not an EOF).
    pub deprecate_eof: bool,
    /// The compressed protocol (zlib, the one MariaDB has).
    pub compress: bool,
}

impl Wire {
    /// The default: CLIENT_DEPRECATE_EOF, uncompressed.
    pub const PLAIN: Wire = Wire {
        deprecate_eof: true,
        compress: false,
    };

    /// Every combination.
    pub const ALL: [Wire; 4] = [
        Wire {
            deprecate_eof: true,
            compress: false,
        },
        Wire {
            deprecate_eof: false,
            compress: false,
        },
        Wire {
            deprecate_eof: true,
            compress: true,
        },
        Wire {
            deprecate_eof: false,
            compress: true,
        },
    ];

    /// The URL parameters that select it (`deprecate-eof=…&compress=…`).
    pub fn params(self) -> String {
        format!(
            "deprecate-eof={}&compress={}",
            self.deprecate_eof,
            if self.compress { "zlib" } else { "off" }
        )
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.params())
    }
}
