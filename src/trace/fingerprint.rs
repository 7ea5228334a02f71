//! Query fingerprints: the SQL text with its literals replaced, for grouping requests that
//! differ only in their values (digests, slow-log analysis).
//!
//! The rules follow pt-query-digest's (`QueryRewriter::fingerprint` in percona-toolkit; see
//! protocol-notes/digest.md): literals (numbers, strings, hex and bit values, NULL) become `?`,
//! `IN (…)` and `VALUES (…), (…)` lists of literals collapse to `in(?+)` / `values(?+)`,
//! comments go (not `/*! … */`, which the server runs), whitespace is normalised and
//! everything is lower case, `LIMIT ?, ?` and `LIMIT ? OFFSET ?` become `limit ?`, `ASC`
//! after `ORDER BY` goes, a run of identical UNIONed SELECTs collapses, `CALL p(…)` is
//! `call p` and `USE db` is `use ?`.
//!
//! Where ours differ, on purpose (a tokenizer instead of pt's regular expressions):
//! - Digits inside names stay: `t1` and `t2` are two tables (pt makes both `t?`, unless
//!   `--match-embedded-numbers`).
//! - Spacing is canonical, not the query's own: `id=5` and `id = 5` are one fingerprint
//!   (`id = ?`); a space after each comma, none inside parentheses or before `(` after a name.
//! - Strings are whole tokens, escapes and doubled quotes included (`'it''s'` is one `?`,
//!   where pt makes it `??`); `0x1F` is `?` (pt: `?f`), `X'ab'` and `b'01'` are `?` (pt: `x?`).
//! - A sign is part of a number only where an operand is due (`a-1` is `a - ?`; pt: `a?`).

/// Longest fingerprint kept: a query that would make a longer one is cut there (with `…`).
pub const MAX_FINGERPRINT: usize = 16 * 1024;

/// One token of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A name or keyword, lower case.
    Word(String),
    /// A literal (or a `?` placeholder).
    Lit,
    /// Punctuation or an operator.
    Punct(String),
    /// A `/*! … */` comment, kept (lower case).
    Kept(String),
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The byte index after a quoted run starting at `start` (whose byte is the quote `q`):
/// doubled quotes and backslash escapes stay inside.
fn quoted_end(s: &str, start: usize, q: char, backslash: bool) -> usize {
    let mut it = s.get(start..).unwrap_or("").char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        if backslash && c == '\\' {
            it.next();
            continue;
        }
        if c == q {
            // A doubled quote continues the string.
            if s.get(start + i + 1..).is_some_and(|r| r.starts_with(q)) {
                it.next();
                continue;
            }
            return start + i + c.len_utf8();
        }
    }
    s.len()
}

/// True when the previous token ends an operand (so `-`/`+` after it is binary).
fn ends_operand(prev: Option<&Tok>) -> bool {
    match prev {
        Some(Tok::Lit) => true,
        Some(Tok::Punct(p)) => p == ")",
        Some(Tok::Word(w)) => !is_operator_keyword(w),
        _ => false,
    }
}

/// Keywords after which an operand is due.
fn is_operator_keyword(w: &str) -> bool {
    matches!(
        w,
        "select"
            | "where"
            | "and"
            | "or"
            | "not"
            | "on"
            | "set"
            | "values"
            | "value"
            | "in"
            | "is"
            | "like"
            | "between"
            | "when"
            | "then"
            | "else"
            | "return"
            | "limit"
            | "offset"
            | "by"
            | "having"
            | "xor"
            | "div"
            | "mod"
            | "case"
            | "interval"
            | "regexp"
            | "rlike"
            | "escape"
    )
}

const OPERATORS: [&str; 14] = [
    "<=>", "->>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->", "==", "@@",
];

/// The length of the number starting at byte `i` (digits, a fraction, an exponent; `0x…`,
/// `0b…`), or 0.
fn number_len(s: &str, i: usize) -> usize {
    let b = s.as_bytes();
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    let mut k = i;
    if at(k) == b'0' && matches!(at(k + 1), b'x' | b'X' | b'b' | b'B') {
        let hex = matches!(at(k + 1), b'x' | b'X');
        let mut j = k + 2;
        while (hex && at(j).is_ascii_hexdigit()) || (!hex && matches!(at(j), b'0' | b'1')) {
            j += 1;
        }
        // `0x` alone, or `0xg…`, is a name, not a number.
        if j > k + 2 && !is_word_char(char::from(at(j))) {
            return j - i;
        }
    }
    let digits_from = k;
    while at(k).is_ascii_digit() {
        k += 1;
    }
    if at(k) == b'.' && at(k + 1).is_ascii_digit() {
        k += 1;
        while at(k).is_ascii_digit() {
            k += 1;
        }
    } else if at(k) == b'.' && k > digits_from {
        k += 1;
    }
    if k == digits_from || (k == digits_from + 1 && at(digits_from) == b'.') {
        return 0;
    }
    if matches!(at(k), b'e' | b'E') {
        let mut j = k + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            k = j;
        }
    }
    // Digits followed by letters are a name (`1abc` is a valid identifier).
    if at(k) >= 0x80 || at(k).is_ascii_alphabetic() || matches!(at(k), b'_' | b'$') {
        return 0;
    }
    k - i
}

fn tokenize(sql: &str) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    let b = sql.as_bytes();
    while let Some(c) = sql.get(i..).and_then(|r| r.chars().next()) {
        let rest = sql.get(i..).unwrap_or("");
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        // Comments: `-- `, `#` to the end of the line; `/* … */` (kept when `/*!`).
        let dash_comment = rest.starts_with("--")
            && rest
                .get(2..)
                .and_then(|r| r.chars().next())
                .is_none_or(char::is_whitespace);
        if dash_comment || c == '#' {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("/*") {
            let end = rest
                .get(2..)
                .and_then(|r| r.find("*/"))
                .map_or(rest.len(), |e| e + 4);
            if rest.starts_with("/*!") {
                out.push(Tok::Kept(rest.get(..end).unwrap_or(rest).to_lowercase()));
            }
            i += end;
            continue;
        }
        // Strings, hex and bit literals.
        if c == '\'' || c == '"' {
            i = quoted_end(sql, i, c, true);
            out.push(Tok::Lit);
            continue;
        }
        if matches!(c, 'x' | 'X' | 'b' | 'B' | 'n' | 'N') && b.get(i + 1) == Some(&b'\'') {
            i = quoted_end(sql, i + 1, '\'', false);
            out.push(Tok::Lit);
            continue;
        }
        if c == '`' {
            let end = quoted_end(sql, i, '`', false);
            out.push(Tok::Word(sql.get(i..end).unwrap_or("").to_lowercase()));
            i = end;
            continue;
        }
        // Numbers, with a sign where an operand is due.
        let signed = matches!(c, '-' | '+') && !ends_operand(out.last());
        let start = if signed { i + 1 } else { i };
        let n = number_len(sql, start);
        if n > 0 && (signed || c.is_ascii_digit() || c == '.') {
            out.push(Tok::Lit);
            i = start + n;
            continue;
        }
        if c == '?' {
            out.push(Tok::Lit);
            i += 1;
            continue;
        }
        let at_name = c == '@' && rest.get(1..).is_some_and(|r| r.starts_with(is_word_char));
        if is_word_char(c) || at_name {
            let len = rest
                .char_indices()
                .skip(1)
                .find(|&(_, ch)| !is_word_char(ch))
                .map_or(rest.len(), |(k, _)| k);
            let w = rest.get(..len).unwrap_or(rest).to_lowercase();
            out.push(if w == "null" { Tok::Lit } else { Tok::Word(w) });
            i += len;
            continue;
        }
        let op = OPERATORS
            .iter()
            .find(|o| rest.starts_with(**o))
            .map_or_else(|| c.to_string(), |o| (*o).to_string());
        i += op.len();
        out.push(Tok::Punct(op));
    }
    out
}

fn is_punct(t: &Tok, p: &str) -> bool {
    matches!(t, Tok::Punct(x) if x == p)
}

fn is_word(t: &Tok, w: &str) -> bool {
    matches!(t, Tok::Word(x) if x == w)
}

/// Collapses `in (?, ?)` / `values (?, ?), (?)` lists of literals into one `(?+)` group.
fn collapse_lists(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        out.push(t.clone());
        i += 1;
        if !(is_word(t, "in") || is_word(t, "values") || is_word(t, "value")) {
            continue;
        }
        // One or more `( literal [, literal]* )` groups, separated by commas.
        let mut j = i;
        let mut groups = 0;
        loop {
            let mut k = j;
            if groups > 0 {
                if !toks.get(k).is_some_and(|t| is_punct(t, ",")) {
                    break;
                }
                k += 1;
            }
            if !toks.get(k).is_some_and(|t| is_punct(t, "(")) {
                break;
            }
            k += 1;
            while toks
                .get(k)
                .is_some_and(|t| matches!(t, Tok::Lit) || is_punct(t, ","))
            {
                k += 1;
            }
            if !toks.get(k).is_some_and(|t| is_punct(t, ")")) {
                break;
            }
            j = k + 1;
            groups += 1;
        }
        if groups > 0 {
            out.push(Tok::Punct("(?+)".into()));
            i = j;
        }
    }
    out
}

/// `limit ?, ?` and `limit ? offset ?` → `limit ?`; `asc` after `order by` dropped.
fn simplify(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut in_order_by = false;
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        i += 1;
        if is_word(t, "by") && out.last().is_some_and(|p| is_word(p, "order")) {
            in_order_by = true;
        } else if matches!(t, Tok::Word(w) if matches!(w.as_str(), "limit" | "union" | "from" | "where" | "having"))
            || is_punct(t, ")")
        {
            in_order_by = false;
        }
        if in_order_by && is_word(t, "asc") {
            continue;
        }
        out.push(t.clone());
        if is_word(t, "limit") && toks.get(i) == Some(&Tok::Lit) {
            out.push(Tok::Lit);
            i += 1;
            let sep = toks.get(i);
            if sep.is_some_and(|s| is_punct(s, ",") || is_word(s, "offset"))
                && toks.get(i + 1) == Some(&Tok::Lit)
            {
                i += 2;
            }
        }
    }
    out
}

/// Joins the tokens with canonical spacing.
fn render(toks: &[Tok], out: &mut String) {
    let mut prev: Option<&Tok> = None;
    for t in toks {
        let s: &str = match t {
            Tok::Word(w) | Tok::Kept(w) | Tok::Punct(w) => w,
            Tok::Lit => "?",
        };
        let tight_before = matches!(t, Tok::Punct(p) if matches!(p.as_str(), "," | ")" | "." | ";"))
            || (matches!(t, Tok::Punct(p) if p == "(" || p == "(?+)")
                && matches!(prev, Some(Tok::Word(_))));
        let tight_after_prev =
            matches!(prev, Some(Tok::Punct(p)) if p == "(" || p == "." || p == "@@");
        if prev.is_some() && !tight_before && !tight_after_prev {
            out.push(' ');
        }
        out.push_str(s);
        prev = Some(t);
    }
}

/// Collapses consecutive identical `select …` parts joined by `union [all]`.
fn collapse_unions(s: String) -> String {
    if !s.contains(" union ") {
        return s;
    }
    let mut parts: Vec<(&str, &str)> = Vec::new(); // (joiner before, part)
    let mut rest = s.as_str();
    let mut joiner = "";
    loop {
        let next = [" union all ", " union "]
            .iter()
            .filter_map(|j| rest.find(j).map(|p| (p, *j)))
            .min_by_key(|&(p, _)| p);
        match next {
            Some((p, j)) => {
                parts.push((joiner, rest.get(..p).unwrap_or(rest)));
                joiner = j;
                rest = rest.get(p + j.len()..).unwrap_or("");
            }
            None => {
                parts.push((joiner, rest));
                break;
            }
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&(j, p)) = parts.get(i) {
        out.push_str(j);
        out.push_str(p);
        let mut k = i + 1;
        let mut last_joiner = "";
        while let Some(&(j2, p2)) = parts.get(k) {
            if p2 != p || !p.starts_with("select ") {
                break;
            }
            last_joiner = j2;
            k += 1;
        }
        if k > i + 1 {
            out.push_str(" /*repeat");
            out.push_str(last_joiner.trim_end());
            out.push_str("*/");
        }
        i = k;
    }
    out
}

/// The fingerprint of `sql` (see the module documentation), at most [`MAX_FINGERPRINT`]
/// bytes.
pub fn fingerprint(sql: &str) -> String {
    let toks = tokenize(sql);
    // `call p(…)` → `call p`; `use db` → `use ?`.
    match toks.as_slice() {
        [Tok::Word(c), Tok::Word(p), ..] if c == "call" => return format!("call {p}"),
        [Tok::Word(u), Tok::Word(_)] if u == "use" => return "use ?".into(),
        _ => {}
    }
    let toks = simplify(collapse_lists(toks));
    let mut out = String::with_capacity(sql.len().min(MAX_FINGERPRINT));
    render(&toks, &mut out);
    let mut out = collapse_unions(out);
    if out.len() > MAX_FINGERPRINT {
        let mut cut = MAX_FINGERPRINT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
