//! Aligned tables as the `mariadb` client draws them:
//!
//! ```text
//! +------+-------+------+
//! | a    | name  | n    |
//! +------+-------+------+
//! |    1 | alice | NULL |
//! +------+-------+------+
//! ```
//!
//! The rules are the client's: a column is as wide as its longest value or name in *bytes*
//! (at least 4, room for `NULL`, when the column may be NULL); a cell is padded to that width
//! counting terminal cells (a multi-byte character takes one, an East Asian wide one two), so
//! a column holding multi-byte text is wider than its text. Numeric columns are
//! right-aligned. Wider than 1024 bytes, a column's cells and name are padded to 1024 cells
//! only (the border keeps the full width). A NUL byte prints as a space. Values are printed
//! as they are, without escaping.

use std::io::{self, Write};

/// The longest padding the client gives a cell or a name.
const MAX_COLUMN_LENGTH: usize = 1024;

/// A column as the table needs it.
#[derive(Debug, Clone)]
pub struct Col {
    /// The name, as the server sent it.
    pub name: Vec<u8>,
    /// Right-aligned (mariadb's IS_NUM types).
    pub numeric: bool,
    /// NOT_NULL flag: no room reserved for `NULL`.
    pub not_null: bool,
}

/// A buffered result set, ready to render.
#[derive(Debug, Default)]
pub struct Table {
    cols: Vec<Col>,
    names: bool,
    rows: Vec<Vec<Option<Vec<u8>>>>,
}

impl Table {
    /// A table with these columns; `names`: print the header (off with `-N`).
    pub fn new(cols: Vec<Col>, names: bool) -> Self {
        Table {
            cols,
            names,
            rows: Vec::new(),
        }
    }

    /// Adds a row (`None` = NULL).
    pub fn push(&mut self, row: Vec<Option<Vec<u8>>>) {
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self
            .cols
            .iter()
            .map(|c| if self.names { c.name.len() } else { 0 })
            .collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                let n = cell.as_deref().map_or(0, <[u8]>::len);
                if let Some(wi) = w.get_mut(i) {
                    *wi = (*wi).max(n);
                }
            }
        }
        for (wi, c) in w.iter_mut().zip(&self.cols) {
            if *wi < 4 && !c.not_null {
                *wi = 4;
            }
        }
        w
    }

    /// Writes the table (nothing for a table without rows).
    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let widths = self.widths();
        let mut border = Vec::from(&b"+"[..]);
        for w in &widths {
            border.extend(std::iter::repeat_n(b'-', w.saturating_add(2)));
            border.push(b'+');
        }
        border.push(b'\n');
        out.write_all(&border)?;
        if self.names {
            out.write_all(b"|")?;
            for (c, &w) in self.cols.iter().zip(&widths) {
                out.write_all(b" ")?;
                out.write_all(&c.name)?;
                let pad = w.min(MAX_COLUMN_LENGTH).saturating_sub(cells(&c.name));
                spaces(out, pad)?;
                out.write_all(b" |")?;
            }
            out.write_all(b"\n")?;
            out.write_all(&border)?;
        }
        for row in &self.rows {
            out.write_all(b"|")?;
            for ((cell, &w), c) in row.iter().zip(&widths).zip(&self.cols) {
                let text = cell.as_deref().unwrap_or(b"NULL");
                let (target, right) = if w > MAX_COLUMN_LENGTH {
                    (MAX_COLUMN_LENGTH, false)
                } else {
                    (w, c.numeric)
                };
                let pad = target.saturating_sub(cells(text));
                out.write_all(b" ")?;
                if right {
                    spaces(out, pad)?;
                }
                write_nul_as_space(out, text)?;
                if !right {
                    spaces(out, pad)?;
                }
                out.write_all(b" |")?;
            }
            out.write_all(b"\n")?;
        }
        out.write_all(&border)
    }
}

/// `n` spaces.
pub fn spaces<W: Write>(out: &mut W, n: usize) -> io::Result<()> {
    const CHUNK: [u8; 64] = [b' '; 64];
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK.len());
        out.write_all(CHUNK.get(..k).unwrap_or_default())?;
        left -= k;
    }
    Ok(())
}

/// `b` with NUL bytes printed as spaces, as the client prints cells.
pub fn write_nul_as_space<W: Write>(out: &mut W, mut b: &[u8]) -> io::Result<()> {
    while let Some(i) = b.iter().position(|&c| c == 0) {
        let (plain, rest) = b.split_at(i);
        out.write_all(plain)?;
        out.write_all(b" ")?;
        b = rest.get(1..).unwrap_or_default();
    }
    out.write_all(b)
}

/// Terminal cells of UTF-8 text: one per character, two for East Asian wide characters,
/// one per byte that is not UTF-8.
pub fn cells(b: &[u8]) -> usize {
    let mut n = 0usize;
    for chunk in b.utf8_chunks() {
        n += chunk
            .valid()
            .chars()
            .map(|c| if is_wide(c) { 2 } else { 1 })
            .sum::<usize>();
        n += chunk.invalid().len();
    }
    n
}

/// East Asian Wide and Fullwidth ranges (Hangul Jamo, CJK, Hangul syllables, compatibility
/// forms, fullwidth forms, the supplementary ideographic planes).
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x2FFFD
        | 0x30000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, numeric: bool, not_null: bool) -> Col {
        Col {
            name: name.as_bytes().to_vec(),
            numeric,
            not_null,
        }
    }

    fn s(x: &str) -> Option<Vec<u8>> {
        Some(x.as_bytes().to_vec())
    }

    fn render(t: &Table) -> String {
        let mut v = Vec::new();
        t.write(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn layout() {
        let mut t = Table::new(
            vec![
                col("a", true, true),
                col("name", false, false),
                col("n", false, false),
            ],
            true,
        );
        t.push(vec![s("1"), s("alice"), None]);
        t.push(vec![s("22"), s("héllo"), s("")]);
        assert_eq!(
            render(&t),
            "\
+----+--------+------+
| a  | name   | n    |
+----+--------+------+
|  1 | alice  | NULL |
| 22 | héllo  |      |
+----+--------+------+
"
        );
        let mut t = Table::new(vec![col("x", false, true)], false);
        assert_eq!(render(&t), "");
        t.push(vec![s("v\0w")]);
        assert_eq!(render(&t), "+-----+\n| v w |\n+-----+\n");
    }

    #[test]
    fn cell_counts() {
        assert_eq!(cells("abc".as_bytes()), 3);
        assert_eq!(cells("é".as_bytes()), 1);
        assert_eq!(cells("中文".as_bytes()), 4);
        assert_eq!(cells(b"\xff\xfe"), 2);
    }
}
