//! Tab-separated output as `mariadb --batch` prints it.
//!
//! - The header row holds the column names as they come from the server (not escaped).
//! - Data cells escape TAB as `\t`, LF as `\n`, backslash as `\\` and NUL as `\0`; every other
//!   byte (CR included) is copied as is. SQL NULL prints `NULL`.
//! - A result set with no rows prints nothing, not even the header.
//!
//! Checked byte for byte against MariaDB 10.11's `mariadb --batch`; `cli/tests/cli.rs` compares the
//! two programs' outputs.

use std::io::{self, Write};

/// For each byte: the letter that follows the backslash in its escape, or 0 if copied as is.
// Constant indices into a 256-entry table, evaluated at compile time: an index out of range
// would fail the build, it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[0] = b'0';
    t[b'\t' as usize] = b't';
    t[b'\n' as usize] = b'n';
    t[b'\\' as usize] = b'\\';
    t
};

/// The escape letter of `b` (0: copied as is). A table look-up per byte, no branch per special
/// character; `get` on a 256-entry table by a `u8` always succeeds (the bound check folds away).
#[inline]
fn escape(b: u8) -> u8 {
    ESCAPE.get(usize::from(b)).copied().unwrap_or(0)
}

/// Writes `cell` with the batch escapes: runs of plain bytes are copied in one call.
#[inline]
pub fn write_escaped<W: Write>(out: &mut W, mut cell: &[u8]) -> io::Result<()> {
    while let Some(i) = cell.iter().position(|&b| escape(b) != 0) {
        // `i` is the index of a byte of `cell`, so the split always has it first on the right.
        let Some((plain, [special, rest @ ..])) = cell.split_at_checked(i) else {
            break;
        };
        out.write_all(plain)?;
        out.write_all(&[b'\\', escape(*special)])?;
        cell = rest;
    }
    out.write_all(cell)
}

/// Writes one data row: escaped cells separated by TAB, `NULL` for NULL, then LF.
#[inline]
pub fn write_row<'a, W: Write>(
    out: &mut W,
    cells: impl Iterator<Item = Option<&'a [u8]>>,
) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        match cell {
            Some(c) => write_escaped(out, c)?,
            None => out.write_all(b"NULL")?,
        }
    }
    out.write_all(b"\n")
}

/// Writes one data row without escapes (`--raw`): cells as they are, `NULL` for NULL.
pub fn write_raw_row<'a, W: Write>(
    out: &mut W,
    cells: impl Iterator<Item = Option<&'a [u8]>>,
) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        out.write_all(cell.unwrap_or(b"NULL"))?;
    }
    out.write_all(b"\n")
}

/// Writes the header row: names as they are, separated by TAB, then LF.
pub fn write_header<'a, W: Write>(
    out: &mut W,
    names: impl Iterator<Item = &'a [u8]>,
) -> io::Result<()> {
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        out.write_all(name)?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(b: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_escaped(&mut v, b).unwrap();
        v
    }

    #[test]
    fn escapes_like_mariadb_batch() {
        assert_eq!(esc(b"a\tb"), b"a\\tb");
        assert_eq!(esc(b"c\nd"), b"c\\nd");
        assert_eq!(esc(b"e\\f"), b"e\\\\f");
        assert_eq!(esc(b"x\0y"), b"x\\0y");
        // CR, other controls and UTF-8 are copied unchanged.
        assert_eq!(esc(b"x\ry\x01"), b"x\ry\x01");
        assert_eq!(esc("é😀".as_bytes()), "é😀".as_bytes());
        assert_eq!(esc(b""), b"");
        assert_eq!(esc(b"\t\t\\\n\0"), b"\\t\\t\\\\\\n\\0");
        assert_eq!(esc(b"plain"), b"plain");
    }

    #[test]
    fn rows_and_header() {
        let mut v = Vec::new();
        write_header(&mut v, [&b"a\tb"[..], b"c"].into_iter()).unwrap();
        write_row(
            &mut v,
            [Some(&b"1\t2"[..]), None, Some(&b""[..])].into_iter(),
        )
        .unwrap();
        assert_eq!(v, b"a\tb\tc\n1\\t2\tNULL\t\n");
        let mut v = Vec::new();
        write_raw_row(&mut v, [Some(&b"1\t\\2"[..]), None].into_iter()).unwrap();
        assert_eq!(v, b"1\t\\2\tNULL\n");
    }
}
