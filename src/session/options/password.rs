//! [`Password`]: zeroed on drop, never shown.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A password: its bytes are overwritten with zeros when it is dropped (also the copies made by
/// `clone`), and `Debug` never shows it (`"***"`, or `""` for an empty password).
///
/// Built with `Password::from("...")` (or `"...".into()`); read with [`Password::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(pub(super) Zeroizing<String>);

impl Password {
    /// A password holding `s`.
    pub fn new(s: impl Into<String>) -> Self {
        Password(Zeroizing::new(s.into()))
    }

    /// The password itself. Do not log it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// True for the empty password (no password).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password::new(s)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = if self.is_empty() { "" } else { "***" };
        std::fmt::Debug::fmt(shown, f)
    }
}

impl Zeroize for Password {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// The inner `Zeroizing<String>` zeroes the bytes when the `Password` is dropped.
impl ZeroizeOnDrop for Password {}
