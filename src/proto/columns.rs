//! The current result set's column definitions, with each column's binary layout kept beside
//! them, so that a binary row is split without looking the layouts up again per row.

use crate::codec::binary::BinaryLayout;
use crate::codec::resultset::ColumnDefinition;

/// Column definitions and their binary layouts, changed only together.
#[derive(Debug, Default)]
pub(super) struct Columns {
    defs: Vec<ColumnDefinition>,
    layouts: Vec<BinaryLayout>,
}

impl Columns {
    /// Removes every column.
    pub(super) fn clear(&mut self) {
        self.defs.clear();
        self.layouts.clear();
    }

    /// Room for `n` more columns.
    pub(super) fn reserve(&mut self, n: usize) {
        self.defs.reserve(n);
        self.layouts.reserve(n);
    }

    /// Appends one column.
    pub(super) fn push(&mut self, c: ColumnDefinition) {
        self.layouts.push(BinaryLayout::of(c.column_type));
        self.defs.push(c);
    }

    /// Replaces every column with `defs`.
    pub(super) fn set(&mut self, defs: &[ColumnDefinition]) {
        self.clear();
        self.defs.extend_from_slice(defs);
        self.layouts
            .extend(defs.iter().map(|c| BinaryLayout::of(c.column_type)));
    }

    /// The binary layout of every column, in order.
    pub(super) fn layouts(&self) -> &[BinaryLayout] {
        &self.layouts
    }
}

impl std::ops::Deref for Columns {
    type Target = [ColumnDefinition];

    fn deref(&self) -> &[ColumnDefinition] {
        &self.defs
    }
}
