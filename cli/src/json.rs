//! `--json`: one JSON object per row, `{"column": value, …}`, on its own line.
//!
//! Values are typed by the column: numeric columns (the types the mariadb client
//! right-aligns) whose text is a JSON number are numbers, SQL NULL is `null`, everything else
//! is a string (text that is not UTF-8 gets U+FFFD for its bad bytes). A result set without
//! rows prints nothing. Not a mariadb client option: its output has no reference to match.

use std::io::{self, Write};

/// Writes `s` as a JSON string.
pub fn write_string<W: Write>(out: &mut W, b: &[u8]) -> io::Result<()> {
    let s = String::from_utf8_lossy(b);
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<String> = match c {
            '"' => Some("\\\"".into()),
            '\\' => Some("\\\\".into()),
            '\n' => Some("\\n".into()),
            '\r' => Some("\\r".into()),
            '\t' => Some("\\t".into()),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => Some(format!("\\u{:04x}", u32::from(c))),
            _ => None,
        };
        if let Some(e) = esc {
            out.write_all(s.get(start..i).unwrap_or_default().as_bytes())?;
            out.write_all(e.as_bytes())?;
            start = i + c.len_utf8();
        }
    }
    out.write_all(s.get(start..).unwrap_or_default().as_bytes())?;
    out.write_all(b"\"")
}

/// True if `b` is a number as JSON writes one (`-1.5e10`; not `1.`, `.5`, `+1`, `inf`).
pub fn is_json_number(b: &[u8]) -> bool {
    let mut i = 0;
    let at = |i: usize| b.get(i).copied();
    if at(i) == Some(b'-') {
        i += 1;
    }
    let digits = |mut i: usize| {
        let s = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        (i, i > s)
    };
    match at(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return false,
    }
    if at(i) == Some(b'.') {
        let (j, any) = digits(i + 1);
        if !any {
            return false;
        }
        i = j;
    }
    if matches!(at(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(at(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (j, any) = digits(i);
        if !any {
            return false;
        }
        i = j;
    }
    i == b.len()
}

/// Writes one row as a JSON object line; `numeric[i]`: column `i` is of a numeric type.
pub fn write_row<W: Write>(
    out: &mut W,
    names: &[Vec<u8>],
    numeric: &[bool],
    cells: &[Option<&[u8]>],
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (name, cell)) in names.iter().zip(cells).enumerate() {
        if i > 0 {
            out.write_all(b", ")?;
        }
        write_string(out, name)?;
        out.write_all(b": ")?;
        match cell {
            None => out.write_all(b"null")?,
            Some(v) if numeric.get(i).copied().unwrap_or(false) && is_json_number(v) => {
                out.write_all(v)?
            }
            Some(v) => write_string(out, v)?,
        }
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in [
            "0",
            "-1",
            "1.50",
            "1e100",
            "-2.5e-05",
            "12345678901234567890",
        ] {
            assert!(is_json_number(n.as_bytes()), "{n}");
        }
        for n in [
            "", "-", "01", "1.", ".5", "+1", "inf", "NaN", "1e", "0x1", "1 ",
        ] {
            assert!(!is_json_number(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn rows() {
        let mut v = Vec::new();
        write_row(
            &mut v,
            &[b"i".to_vec(), b"s\"".to_vec(), b"n".to_vec(), b"d".to_vec()],
            &[true, false, false, true],
            &[Some(b"42"), Some(b"a\tb\x01\xff"), None, Some(b"inf")],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "{\"i\": 42, \"s\\\"\": \"a\\tb\\u0001\u{fffd}\", \"n\": null, \"d\": \"inf\"}\n"
        );
    }
}
