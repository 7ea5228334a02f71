//! `mywire --prepared` against the throwaway MariaDB of `tests/support`: its binary rows print
//! the very bytes of the text protocol's, in `--batch` (compared with `mariadb --batch`) and in
//! tables (compared with `mywire` without `--prepared`), for a corpus table with every column
//! type and its edge values and for expression SELECTs (protocol-notes/binary-as-text.md).

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Output;
use std::sync::Once;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn success(o: &Output) {
    assert!(
        o.status.success(),
        "mywire failed ({:?}): {}",
        o.status,
        stderr(o)
    );
}

/// `mariadb --batch -e SQL` as the test user over the socket, utf8mb4 as mywire.
fn mariadb_batch(s: &support::TestServer, sql: &str) -> Vec<u8> {
    let o = s
        .mariadb_command()
        .args(["--batch", "--default-character-set=utf8mb4"])
        .arg("-S")
        .arg(&s.socket)
        .args(["-u", "mywire", "-pmywire-pass", "mywire_test", "-e", sql])
        .output()
        .expect("run mariadb");
    assert!(o.status.success(), "mariadb failed: {}", stderr(&o));
    o.stdout
}

/// The corpus: every column type with its edge values, one row of NULLs. Zero dates need a
/// sql_mode without NO_ZERO_DATE / NO_ZERO_IN_DATE / STRICT for the insert.
const CORPUS: &str = r#"
SET NAMES utf8mb4;
SET SESSION sql_mode = '';
CREATE TABLE IF NOT EXISTS corpus (
  id INT PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, t1 TINYINT(1), si SMALLINT, su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
  zi INT(6) ZEROFILL, zs SMALLINT ZEROFILL, zb BIGINT ZEROFILL,
  f FLOAT, d DOUBLE, f2 FLOAT(7,2), d3 DOUBLE(12,3), fz FLOAT ZEROFILL, dz DOUBLE(8,2) ZEROFILL,
  dec65 DECIMAL(65,30), dec0 DECIMAL(10,0), decz DECIMAL(6,2) ZEROFILL,
  dt DATE, dtm DATETIME, dtm6 DATETIME(6), dtm3 DATETIME(3), ts TIMESTAMP(2) NULL DEFAULT NULL,
  tm TIME, tm6 TIME(6), tm1 TIME(1), y YEAR,
  b1 BIT(1), b64 BIT(64), b10 BIT(10),
  e ENUM('x','y z'), st SET('p','q'), j JSON, g POINT,
  vc VARCHAR(40) CHARACTER SET utf8mb4, ch CHAR(3), tx TEXT, bl BLOB
);
INSERT INTO corpus VALUES
 (1, -128, 0, 1, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  7, 0, 0,
  3.1415927, 3.141592653589793, 3.14159, 2.5, 3.14, 3.14159,
  -12345678901234567890123456789012345.123456789012345678901234567890, -9999999999, 3.5,
  '0000-00-00', '0000-00-00 00:00:00', '1000-01-01 00:00:00', '2024-01-02 03:04:05.5',
  '2024-01-02 03:04:05.01', '-838:59:59', '-838:59:59.999999', '00:00:00', 0,
  b'1', b'1111111111111111111111111111111111111111111111111111111111111111', b'0000000101',
  'y z', 'p,q', '{"k": [1, 2.5, "é"]}', POINT(1, 2),
  'héllo 😀 中文', 'ab', 'tab\there\nnl\\bs', CONCAT('a', CHAR(0), '\t\n\\', CHAR(255))),
 (2, 127, 255, -1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  123456, 65535, 18446744073709551615,
  16777217, 1e15, -1.005, -0.0, 1e-5, 1.5,
  0, 0, 0,
  '2024-00-05', '2024-01-02 03:04:05', '9999-12-31 23:59:59.999999', '2024-01-02 00:00:00',
  '0000-00-00 00:00:00', '838:59:59', '838:59:59', '-00:00:00.5', 1901,
  b'0', 0, 1023,
  'x', '', '[]', POINT(-0.5, 1e300),
  '', '', '', ''),
 (3, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1,
  0, 1, 1,
  1e-5, 1e-15, 0, 1e6, 1e20, 0,
  0.000000000000000000000000000001, 1, 9999.99,
  '2024-02-00', '2024-01-02 00:00:00', '0000-00-00 00:00:00', '0000-01-01 00:00:00.001',
  '2038-01-19 03:14:07.99', '24:00:00', '-01:02:03.000004', '100:00:00', 2155,
  NULL, 1, 0,
  NULL, 'q', 'null', NULL,
  'NULL', 'N', '\\N', 'NULL'),
 (4, -1, 254, 0, -1, 65534, -1, 16777214, -1, 4294967294, -1, 18446744073709551614,
  1, 1, 1,
  -0.0, -0.0, -0.0, 123456.789, 0.1, 12345.67,
  -0.5, -1, 0.01,
  '1000-01-01', '1000-01-01 00:00:00', '2024-06-30 12:00:00.000001', '2024-06-30 12:00:00.999',
  '1970-01-01 00:00:01', '-00:00:01', '00:00:00.000001', '-00:00:00.1', 1999,
  1, 9223372036854775808, 512,
  'y z', 'q,p', '{}', NULL,
  ' ', 'c', 'é', CHAR(0)),
 (5, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  10, 11, 12,
  1.17549435e-38, 1.7976931348623157e308, 99999.99, -1e-16, 3.4e38, 0.01,
  99999999999999999999999999999999999.999999999999999999999999999999, 42, 0,
  '9999-12-31', '9999-12-31 23:59:59', '2024-01-01 00:00:00.5', '2024-01-01 00:00:00',
  NULL, '12:34:56', '-12:34:56.5', '838:59:59.9', 2000,
  0, 18446744073709551615, 1,
  'x', 'p', '"s"', POINT(0, 0),
  'x', 'xyz', 'x', 'x'),
 (6, 2, 3, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  11, 12, 13,
  1234567, 1e-16, 1, 1, 1e15, 1,
  1.5, 2, 1,
  '2024-12-31', '2024-12-31 23:59:59', '2024-01-01 00:00:00', '2024-01-01 00:00:00.1',
  NULL, '-00:00:00', '00:00:00', '00:00:00', 1970,
  1, 2, 3,
  'y z', 'p,q', '1.5e0', NULL,
  '', '', '', ''),
 (7, 3, 4, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  12, 13, 14,
  123456.7, 1e16, 2, 2, 1e-4, 2,
  2.5, 3, 2,
  '2024-01-01', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '2024-01-01 00:00:00',
  NULL, '00:00:00', '00:00:00', '00:00:00', 2001,
  0, 3, 4,
  'x', 'p', '1', NULL,
  '', '', '', ''),
 (8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL,
  NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL,
  NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL);
"#;

/// DOUBLE and FLOAT values around the server's plain / exponent switch (10^15, 10^-15) and
/// at the edges of their digits.
const FLOATS: &str = r"
CREATE TABLE IF NOT EXISTS floats (id INT PRIMARY KEY AUTO_INCREMENT, d DOUBLE, f FLOAT);
INSERT INTO floats (d, f) VALUES
 (1e14, 1e14), (999999999999999, 999999), (1e15, 1e15), (1.5e15, 1.5e15),
 (1234567890123456.7, 1234567), (12345678901234567, 12345678), (1e16, 1e16),
 (1e-4, 1e-4), (1e-5, 1e-5), (1e-14, 1e-14), (1e-15, 1e-15), (1.5e-15, 1.5e-15),
 (1e-16, 1e-16), (1.2345678901234567e-7, 1.2345678e-7), (0.1, 0.1), (0.30000000000000004, 0.3),
 (-1e20, -1e20), (1e100, 1e30), (-1e-300, -1e-30), (5e-324, 1.4e-45),
 (2.2250738585072014e-308, 1.17549435e-38), (123456789012345678, 1234565), (0.5, 1234575),
 (-0.0, -0.0), (100, 100), (1.7976931348623157e308, 3.4028235e38);
";

static SETUP: Once = Once::new();

fn server() -> Option<&'static support::TestServer> {
    let s = support::local_server()?;
    SETUP.call_once(|| {
        s.sql(&format!(
            "USE mywire_test; DROP TABLE IF EXISTS corpus, floats; {CORPUS} {FLOATS}"
        ));
    });
    Some(s)
}

/// The expression SELECTs of the issue and of the probes.
const EXPRESSIONS: &[&str] = &[
    "SELECT 1.5e0, 1/3, 0.1e0 + 0.2e0, 2e0 / 3, 1e15, 1e14, 1e-5, 1e20, -1e20, 1e100, -0.0e0",
    "SELECT NOW(6) > '2000-01-01' AS later, DATE(NOW()) = CURDATE() AS today",
    "SELECT CAST('12:34:56.789' AS TIME), CAST('12:34:56.789' AS TIME(2)), \
     CAST('-1 02:03:04' AS TIME), SEC_TO_TIME(-1.5), MAKETIME(838, 59, 59.999999)",
    "SELECT CAST('2020-01-01' AS DATETIME(6)), CONVERT('2020-01-01 10:00:00.5', DATETIME(2)), \
     STR_TO_DATE('2020-01-02 03:04', '%Y-%m-%d %H:%i'), DATE'2024-02-29', TIMESTAMP'2024-01-01 00:00:00.25'",
    "SELECT NULL, 1, -1, 'a', X'00ff', b'101', 18446744073709551615, TRUE, 1.0, 1e0, \
     CAST(1 AS UNSIGNED), 3.0e0 DIV 2, AVG(1), SUM(1.5e0), CAST(3 AS DECIMAL(5,2))",
    "SELECT ROUND(2.5e0, 3), ROUND(-0.001e0, 2), ROUND(1.23456e0, 4), TRUNCATE(1e0/3, 10), \
     CAST(1234565 AS FLOAT), CAST(0.1 AS FLOAT), CAST(-3.4e38 AS FLOAT), CAST(1.5 AS DOUBLE)",
    "SELECT f * 2, d / 3, f2 + 0, d3 * 1, dz + 0, tm + 0, dtm6 + 0, y + 0, b10 + 0 FROM corpus ORDER BY id",
    "SELECT COALESCE(dtm3, dtm6), GREATEST(tm, tm6), IFNULL(f, d), CONCAT(f), CONCAT(d) FROM corpus ORDER BY id",
    "SELECT id, JSON_EXTRACT(j, '$.k'), ST_AsText(g), HEX(b64), e + 0, st + 0 FROM corpus ORDER BY id",
    "SELECT * FROM corpus WHERE id = 99",
];

/// `mywire --prepared --batch -e SQL` gives exactly `mariadb --batch -e SQL`'s bytes.
#[track_caller]
fn assert_batch_same(s: &support::TestServer, sql: &str) {
    let expected = mariadb_batch(s, sql);
    let o = support::run_mywire(&s.url(), &["--prepared", "--batch", "-e", sql], None);
    success(&o);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&expected),
        "{sql}"
    );
    assert_eq!(o.stdout, expected, "{sql}");
}

/// `mywire --prepared -e SQL` prints the same tables as `mywire -e SQL`.
#[track_caller]
fn assert_table_same(s: &support::TestServer, sql: &str) {
    let text = support::run_mywire(&s.url(), &["-t", "-e", sql], None);
    success(&text);
    let prepared = support::run_mywire(&s.url(), &["--prepared", "-t", "-e", sql], None);
    success(&prepared);
    assert_eq!(
        String::from_utf8_lossy(&prepared.stdout),
        String::from_utf8_lossy(&text.stdout),
        "{sql}"
    );
}

#[test]
fn corpus_batch_is_byte_identical_to_mariadb() {
    let Some(s) = server() else { return };
    assert_batch_same(s, "SELECT * FROM corpus ORDER BY id");
    assert_batch_same(s, "SELECT * FROM floats ORDER BY id");
}

#[test]
fn corpus_table_is_identical_to_the_text_protocol() {
    let Some(s) = server() else { return };
    assert_table_same(s, "SELECT * FROM corpus ORDER BY id");
    assert_table_same(s, "SELECT * FROM floats ORDER BY id");
}

#[test]
fn expressions_are_identical_in_batch_and_table() {
    let Some(s) = server() else { return };
    for sql in EXPRESSIONS {
        assert_batch_same(s, sql);
        assert_table_same(s, sql);
    }
}

/// Several statements in `-e`, results and non-results alike: split and run one by one,
/// printed as the multi-statement query prints them.
#[test]
fn statements_of_e_run_one_by_one() {
    let Some(s) = server() else { return };
    let sql = "CREATE TEMPORARY TABLE tmp_p (a INT); INSERT INTO tmp_p VALUES (1), (2); \
               SELECT * FROM tmp_p; UPDATE tmp_p SET a = a + 1; SELECT 'x;y' AS `semi;colon`, a FROM tmp_p; \
               DO 1; SELECT 1 FROM DUAL WHERE 0";
    assert_batch_same(s, sql);
    assert_table_same(s, sql);
    // -vv: batch mode's summaries.
    let o = support::run_mywire(&s.url(), &["--prepared", "-vv", "-e", sql], None);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Query OK, 2 rows affected"), "{out}");
    assert!(out.contains("Empty set"), "{out}");
}

/// A script on standard input goes statement by statement too (batch output by default).
#[test]
fn a_script_on_stdin() {
    let Some(s) = server() else { return };
    let script = "SELECT f, d FROM corpus WHERE id <= 2 ORDER BY id;\nSELECT tm6\n  FROM corpus ORDER BY id;\n";
    let text = support::run_mywire(&s.url(), &[], Some(script));
    success(&text);
    let prepared = support::run_mywire(&s.url(), &["--prepared"], Some(script));
    success(&prepared);
    assert_eq!(prepared.stdout, text.stdout);
}

/// Each statement is closed after its result: the session's counters, read by a (prepared)
/// SHOW at the end, count 3 prepares and the 2 closes before it.
#[test]
fn every_statement_is_closed() {
    let Some(s) = server() else { return };
    let o = support::run_mywire(
        &s.url(),
        &[
            "--prepared",
            "--batch",
            "-e",
            "SELECT 1; SELECT 2; SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_close')",
        ],
        None,
    );
    success(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Com_stmt_close\t2\n"), "{out}");
    assert!(out.contains("Com_stmt_prepare\t3\n"), "{out}");
}

/// What MariaDB 10.11 cannot prepare (PREPARE, EXECUTE, DEALLOCATE: error 1295) is an error
/// that says so; the statements before it ran, the ones after do not, the exit status is 1.
/// SHOW and USE prepare fine.
#[test]
fn an_unpreparable_statement_is_a_clear_error() {
    let Some(s) = server() else { return };
    let o = support::run_mywire(
        &s.url(),
        &[
            "--prepared",
            "--batch",
            "-e",
            "USE mywire_test; SHOW TABLES LIKE 'corpus'; PREPARE st FROM 'SELECT 1'; SELECT 3",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Tables_in_mywire_test (corpus)\ncorpus\n"
    );
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "--------------\nPREPARE st FROM 'SELECT 1'\n--------------\n\n\
                         ERROR 1295 (HY000) at line 1: This command is not supported in the \
                         prepared statement protocol yet\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("cannot be run as a prepared statement; run it without --prepared"),
        "{err}"
    );
    // In a script with --force the next statements still run.
    let o = support::run_mywire(
        &s.url(),
        &["--prepared", "--force"],
        Some("SELECT 1 AS a;\nEXECUTE st;\nSELECT 2 AS b;\n"),
    );
    // As the mariadb client: with --force the exit status is 0.
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\n1\nb\n2\n");
    assert!(
        stderr(&o).contains("ERROR 1295 (HY000) at line 2:"),
        "{}",
        stderr(&o)
    );
}

/// The one value the binary protocol cannot carry: a negative TIME that is zero at the
/// column's precision. The text protocol prints `-00:00:00.000000`; the binary TIME of zero is
/// the empty cell, with no sign, so `--prepared` prints `00:00:00.000000`
/// (protocol-notes/binary-as-text.md).
#[test]
fn negative_zero_time_loses_its_sign_in_the_binary_protocol() {
    let Some(s) = server() else { return };
    let sql = "SELECT SEC_TO_TIME(-0.0000001) AS t";
    assert_eq!(mariadb_batch(s, sql), b"t\n-00:00:00.000000\n");
    let o = support::run_mywire(&s.url(), &["--prepared", "--batch", "-e", sql], None);
    success(&o);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "t\n00:00:00.000000\n");
}
