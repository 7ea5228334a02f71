//! `--html` and `--xml` output, as the `mariadb` client writes them.
//!
//! - HTML: one line per result set with no newline at all:
//!   `<TABLE BORDER=1><TR><TH>a</TH></TR><TR><TD>1</TD></TR></TABLE>`; an empty name is
//!   ` &nbsp; `, NULL is `NULL`, `-N` drops the header row. Nothing for an empty result.
//! - XML: `<?xml version="1.0"?>`, an empty line, `<resultset statement="SQL" xmlns:xsi=…>`,
//!   then per row `\n  <row>\n`, a `\t<field name="a">1</field>` line per column (NULL:
//!   `\t<field name="a" xsi:nil="true" />`) and `  </row>\n`, then `</resultset>\n` (also
//!   for an empty result).
//! - Both escape `&`, `<`, `>`, `"` as entities and print a NUL byte as a space.

use std::io::{self, Write};

/// Writes `b` with `& < > "` as entities and NUL as a space.
pub fn write_encoded<W: Write>(out: &mut W, b: &[u8]) -> io::Result<()> {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            0 => b" ",
            _ => continue,
        };
        out.write_all(b.get(start..i).unwrap_or_default())?;
        out.write_all(rep)?;
        start = i + 1;
    }
    out.write_all(b.get(start..).unwrap_or_default())
}

/// The opening of an HTML table, with its header row when `names`.
pub fn html_start<W: Write>(out: &mut W, names: &[Vec<u8>], show: bool) -> io::Result<()> {
    out.write_all(b"<TABLE BORDER=1><TR>")?;
    if show {
        for n in names {
            out.write_all(b"<TH>")?;
            if n.is_empty() {
                out.write_all(b" &nbsp; ")?;
            } else {
                write_encoded(out, n)?;
            }
            out.write_all(b"</TH>")?;
        }
        out.write_all(b"</TR>")?;
    }
    Ok(())
}

/// One HTML row.
pub fn html_row<W: Write>(out: &mut W, cells: &[Option<&[u8]>]) -> io::Result<()> {
    out.write_all(b"<TR>")?;
    for c in cells {
        out.write_all(b"<TD>")?;
        write_encoded(out, c.unwrap_or(b"NULL"))?;
        out.write_all(b"</TD>")?;
    }
    out.write_all(b"</TR>")
}

/// The end of an HTML table.
pub fn html_end<W: Write>(out: &mut W) -> io::Result<()> {
    out.write_all(b"</TABLE>")
}

/// The XML declaration and the `<resultset>` element's start tag.
pub fn xml_start<W: Write>(out: &mut W, statement: &str) -> io::Result<()> {
    out.write_all(b"<?xml version=\"1.0\"?>\n\n<resultset statement=\"")?;
    write_encoded(out, statement.as_bytes())?;
    out.write_all(b"\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">")
}

/// One `<row>`.
pub fn xml_row<W: Write>(
    out: &mut W,
    names: &[Vec<u8>],
    cells: &[Option<&[u8]>],
) -> io::Result<()> {
    out.write_all(b"\n  <row>\n")?;
    for (n, c) in names.iter().zip(cells) {
        out.write_all(b"\t<field name=\"")?;
        write_encoded(out, n)?;
        match c {
            Some(v) => {
                out.write_all(b"\">")?;
                write_encoded(out, v)?;
                out.write_all(b"</field>\n")?;
            }
            None => out.write_all(b"\" xsi:nil=\"true\" />\n")?,
        }
    }
    out.write_all(b"  </row>\n")
}

/// The end of the `<resultset>`.
pub fn xml_end<W: Write>(out: &mut W) -> io::Result<()> {
    out.write_all(b"</resultset>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_xml() {
        let names = vec![b"a".to_vec(), Vec::new()];
        let mut v = Vec::new();
        html_start(&mut v, &names, true).unwrap();
        html_row(&mut v, &[Some(b"<&\">"), None]).unwrap();
        html_end(&mut v).unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<TABLE BORDER=1><TR><TH>a</TH><TH> &nbsp; </TH></TR>\
             <TR><TD>&lt;&amp;&quot;&gt;</TD><TD>NULL</TD></TR></TABLE>"
        );
        let mut v = Vec::new();
        xml_start(&mut v, "select '<'").unwrap();
        xml_row(&mut v, &names[..1], &[None]).unwrap();
        xml_end(&mut v).unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<?xml version=\"1.0\"?>\n\n<resultset statement=\"select '&lt;'\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <row>\n\
             \t<field name=\"a\" xsi:nil=\"true\" />\n  </row>\n</resultset>\n"
        );
    }
}
