//! Aligned tables like the `mariadb` client's, without timing:
//!
//! ```text
//! +---+-------+------+
//! | a | name  | n    |
//! +---+-------+------+
//! | 1 | alice | NULL |
//! +---+-------+------+
//! 1 row in set
//! ```
//!
//! Header names are left-aligned; cells are left-aligned, or right-aligned in numeric columns.
//! Widths count characters (not terminal columns: wide characters and combining marks are
//! not measured specially). Values are printed as they are, without escaping.

/// A buffered result set, ready to render.
#[derive(Debug, Default)]
pub struct Table {
    names: Vec<String>,
    numeric: Vec<bool>,
    rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// A table with these columns: `(name, is_numeric)`.
    pub fn new(columns: impl IntoIterator<Item = (String, bool)>) -> Self {
        let (names, numeric) = columns.into_iter().unzip();
        Table {
            names,
            numeric,
            rows: Vec::new(),
        }
    }

    /// Adds a row (`None` = NULL).
    pub fn push(&mut self, row: Vec<Option<String>>) {
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.names.iter().map(|n| n.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                let n = cell.as_deref().map_or(4, |c| c.chars().count());
                if let Some(wi) = w.get_mut(i) {
                    *wi = (*wi).max(n);
                }
            }
        }
        w
    }

    /// Renders the table and the `N rows in set` line (`Empty set` when there are no rows).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.rows.is_empty() {
            out.push_str("Empty set\n");
            return out;
        }
        let widths = self.widths();
        let mut border = String::from("+");
        for w in &widths {
            border.push_str(&"-".repeat(w + 2));
            border.push('+');
        }
        border.push('\n');
        out.push_str(&border);
        let names = self.names.iter().map(|n| Some(n.as_str()));
        line(&mut out, names, &widths, &vec![false; widths.len()]);
        out.push_str(&border);
        for row in &self.rows {
            line(
                &mut out,
                row.iter().map(|c| c.as_deref()),
                &widths,
                &self.numeric,
            );
        }
        out.push_str(&border);
        out.push_str(&rows_in_set(self.rows.len()));
        out
    }
}

fn line<'a>(
    out: &mut String,
    cells: impl Iterator<Item = Option<&'a str>>,
    widths: &[usize],
    right: &[bool],
) {
    out.push('|');
    for ((cell, &w), &r) in cells.zip(widths).zip(right) {
        let text = cell.unwrap_or("NULL");
        let pad = w.saturating_sub(text.chars().count());
        // Padding by hand: a format width is at most u16::MAX, and a cell can be wider.
        out.push(' ');
        if r {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(text);
        } else {
            out.push_str(text);
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(" |");
    }
    out.push('\n');
}

/// `1 row in set` / `N rows in set`.
pub fn rows_in_set(n: usize) -> String {
    format!("{n} {} in set\n", if n == 1 { "row" } else { "rows" })
}

/// `Query OK, 1 row affected` / `Query OK, N rows affected`.
pub fn query_ok(affected: u64) -> String {
    format!(
        "Query OK, {affected} {} affected\n",
        if affected == 1 { "row" } else { "rows" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    #[test]
    fn layout() {
        let mut t = Table::new([
            ("a".to_string(), true),
            ("name".to_string(), false),
            ("n".to_string(), false),
        ]);
        t.push(vec![s("1"), s("alice"), None]);
        t.push(vec![s("22"), s("é😀"), s("")]);
        assert_eq!(
            t.render(),
            "\
+----+-------+------+
| a  | name  | n    |
+----+-------+------+
|  1 | alice | NULL |
| 22 | é😀    |      |
+----+-------+------+
2 rows in set
"
        );
    }

    #[test]
    fn one_row_and_empty() {
        let mut t = Table::new([("x".to_string(), false)]);
        assert_eq!(t.render(), "Empty set\n");
        t.push(vec![s("v")]);
        assert_eq!(
            t.render(),
            "+---+\n| x |\n+---+\n| v |\n+---+\n1 row in set\n"
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(query_ok(1), "Query OK, 1 row affected\n");
        assert_eq!(query_ok(0), "Query OK, 0 rows affected\n");
        assert_eq!(rows_in_set(3), "3 rows in set\n");
    }
}
