//! Vertical output (`-E`, `\G`), as the `mariadb` client prints it:
//!
//! ```text
//! *************************** 1. row ***************************
//!    a: 1
//! name: alice
//! ```
//!
//! Names are right-aligned to the longest name (in bytes); values are printed as they are,
//! NUL bytes as spaces, SQL NULL as `NULL`. With `-N` the names are left out.

use std::io::{self, Write};

use crate::table::{spaces, write_nul_as_space};

/// Prints rows one by one.
#[derive(Debug)]
pub struct Vertical {
    names: Vec<Vec<u8>>,
    width: usize,
    show_names: bool,
    rows: u64,
}

impl Vertical {
    /// For columns with these names; `show_names`: off with `-N`.
    pub fn new(names: Vec<Vec<u8>>, show_names: bool) -> Self {
        let width = names.iter().map(Vec::len).max().unwrap_or(0);
        Vertical {
            names,
            width,
            show_names,
            rows: 0,
        }
    }

    /// Writes one row.
    pub fn row<W: Write>(&mut self, out: &mut W, cells: &[Option<&[u8]>]) -> io::Result<()> {
        self.rows = self.rows.saturating_add(1);
        writeln!(
            out,
            "*************************** {}. row ***************************",
            self.rows
        )?;
        for (name, cell) in self.names.iter().zip(cells) {
            if self.show_names {
                spaces(out, self.width.saturating_sub(name.len()))?;
                out.write_all(name)?;
                out.write_all(b": ")?;
            }
            match cell {
                Some(v) => write_nul_as_space(out, v)?,
                None => out.write_all(b"NULL")?,
            }
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows() {
        let mut v = Vertical::new(vec![b"a".to_vec(), b"name".to_vec()], true);
        let mut out = Vec::new();
        v.row(&mut out, &[Some(b"1"), None]).unwrap();
        v.row(&mut out, &[Some(b"x\0y"), Some(b"")]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*************************** 1. row ***************************\n   a: 1\nname: NULL\n\
             *************************** 2. row ***************************\n   a: x y\nname: \n"
        );
        let mut v = Vertical::new(vec![b"a".to_vec()], false);
        let mut out = Vec::new();
        v.row(&mut out, &[Some(b"1")]).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("row ***************************\n1\n"));
    }
}
