use super::*;

#[track_caller]
fn fp(sql: &str, want: &str) {
    assert_eq!(fingerprint(sql), want, "fingerprint of {sql:?}");
}

#[test]
fn literals_become_placeholders() {
    fp(
        "select * from t1 where id=5",
        "select * from t1 where id = ?",
    );
    fp(
        "SELECT * FROM t1 WHERE id = 5",
        "select * from t1 where id = ?",
    );
    fp(
        "select 0x1F, X'ab', 1.5e10, -3, b'101', 0b11, .5, 5., N'x' from dual",
        "select ?, ?, ?, ?, ?, ?, ?, ?, ? from dual",
    );
    fp(
        r#"select NULL, 'it''s', "dq", 'a\'b', '' from t"#,
        "select ?, ?, ?, ?, ? from t",
    );
    fp(
        "select a-1, a - -1, (1)+2, f(-1) from t",
        "select a - ?, a - ?, (?) + ?, f(?) from t",
    );
    fp(
        "select * from t where a = ? and b = ?",
        "select * from t where a = ? and b = ?",
    );
    fp(
        "select 1abc, a1, `col 2` from `T`",
        "select 1abc, a1, `col 2` from `t`",
    );
}

#[test]
fn lists_collapse() {
    fp(
        "SELECT a,b FROM users WHERE name='bob' AND x IN (1,2,3) LIMIT 10",
        "select a, b from users where name = ? and x in(?+) limit ?",
    );
    fp(
        "select * from t where x in ( 1 , 2 ) and y in(3) and z in (select 1)",
        "select * from t where x in(?+) and y in(?+) and z in(select ?)",
    );
    fp(
        "insert into t (a,b) values (1,'x'),(2,'y'), (3, NULL)",
        "insert into t(a, b) values(?+)",
    );
    fp("INSERT INTO t VALUE (1)", "insert into t value(?+)");
    fp(
        "insert into t values (1, now())",
        "insert into t values(?, now())",
    );
}

#[test]
fn comments_whitespace_and_case() {
    fp("SELECT /* hi */ 1 -- c", "select ?");
    fp("select 1 # note\n from t", "select ? from t");
    fp("SELECT\n\t a\r\n FROM  t", "select a from t");
    fp(
        "select /*!40001 SQL_NO_CACHE */ a from t",
        "select /*!40001 sql_no_cache */ a from t",
    );
    fp("select a--1 from t", "select a - ? from t");
    fp(
        "SELECT @x := 1, @@session.sql_mode",
        "select @x := ?, @@session.sql_mode",
    );
}

#[test]
fn limit_order_by_union_call_use() {
    fp("SELECT a FROM t LIMIT 5, 10", "select a from t limit ?");
    fp(
        "SELECT a FROM t LIMIT 5 OFFSET 10",
        "select a from t limit ?",
    );
    fp(
        "SELECT a FROM t ORDER BY a ASC, b DESC",
        "select a from t order by a, b desc",
    );
    fp(
        "select 1 union select 2 union select 3",
        "select ? /*repeat union*/",
    );
    fp(
        "select a from t union all select a from t",
        "select a from t /*repeat union all*/",
    );
    fp(
        "select a from t union select b from u",
        "select a from t union select b from u",
    );
    fp("CALL proc(1,2)", "call proc");
    fp("use db5", "use ?");
}

#[test]
fn odd_input_never_panics_and_stays_bounded() {
    for s in [
        "",
        "'",
        "\"",
        "`",
        "/*",
        "--",
        "#",
        "0x",
        "0b",
        "-",
        "+.",
        ".",
        "x'",
        "@",
        "@@",
        "select 'unterminated",
        "é1",
        "1é",
        "in (",
        "values (1,",
        "limit",
        "limit ?,",
        "order by",
        "union",
        " union  union ",
        "\u{0}",
        "\u{ffff}",
        "select 1e",
        "1e+",
    ] {
        let _ = fingerprint(s);
    }
    let long = format!("select {}", "a, ".repeat(20_000));
    let f = fingerprint(&long);
    assert!(f.len() <= MAX_FINGERPRINT + '…'.len_utf8());
    assert!(f.ends_with('…'));
}
