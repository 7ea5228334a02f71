//! Integration tests of the `mywire` binary against the throwaway MariaDB of `tests/support`
//! (or `MYWIRE_TEST_URL`; the comparisons with the `mariadb` CLI need the local server).

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

#[path = "../../tests/support/scripted.rs"]
mod scripted;

use std::process::{Command, Output, Stdio};

/// `mywire --url URL ARGS…` with `stdin` as standard input (none: /dev/null).
fn mywire_at(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    support::run_mywire(url, args, stdin)
}

fn mywire(args: &[&str], stdin: Option<&str>) -> Output {
    mywire_at(&support::test_url(), args, stdin)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

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

/// `mariadb --batch` on the throwaway server's socket. With `--no-defaults` the client's
/// character set is utf8mb3 (emoji become `????`); mywire always asks for utf8mb4.
fn mariadb_batch(s: &support::TestServer, sql: &str, flags: &[&str]) -> Vec<u8> {
    let o = s
        .mariadb_command()
        .args(["--batch", "--default-character-set=utf8mb4"])
        .args(flags)
        .arg("-S")
        .arg(&s.socket)
        .args(["-u", "mywire", "-pmywire-pass", "mywire_test", "-e", sql])
        .output()
        .expect("run mariadb");
    assert!(o.status.success(), "mariadb failed: {}", stderr(&o));
    o.stdout
}

const TRICKY: &str = r"SELECT 'a\tb' AS 'tab\there', 'c\nd' AS nl, 'e\\f' AS bs,
    CONCAT('x', CHAR(0), 'y') AS nul, NULL AS n, '' AS empty, 'emoji 😀 é ü' AS u,
    42 AS i, -1.50 AS d, 1e100 AS f, 'cr\rhere' AS cr, '\\t is not a tab' AS lit
  UNION ALL SELECT '\t', '\n\n', '\\\\', CHAR(0), 'NULL', NULL, '中文', 0, 0.00, -2.5e-5, '', ' '";

/// The byte-identical comparisons run uncompressed and compressed (`--compress` on both
/// clients), and the compressed output must equal the uncompressed one.
const COMPRESS_FLAGS: [&[&str]; 2] = [&[], &["--compress"]];

#[test]
fn batch_output_is_byte_identical_to_mariadb() {
    let s = require_local_server!();
    let big = "SELECT seq, REPEAT(CONCAT('r', seq, '\t'), seq % 97) AS r, seq * 1.5 AS f \
               FROM seq_1_to_20000";
    for sql in [
        TRICKY,
        "SELECT 1 AS a; SELECT 'x' AS b, NULL AS c; SELECT 1 FROM DUAL WHERE 0; DO 1; SELECT 2",
        big,
    ] {
        let mut outputs = Vec::new();
        for flags in COMPRESS_FLAGS {
            let expected = mariadb_batch(s, sql, flags);
            let args = [flags, &["--batch", "-e", sql][..]].concat();
            let o = mywire_at(&s.url(), &args, None);
            success(&o);
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&expected),
                "for {sql} {flags:?}"
            );
            assert_eq!(o.stdout, expected, "for {sql} {flags:?}");
            outputs.push(o.stdout);
        }
        assert!(
            outputs[0] == outputs[1],
            "compressed output differs for {sql}"
        );
    }
    // Both clients did compress.
    let sql = "SHOW SESSION STATUS LIKE 'Compression'";
    assert_eq!(
        mariadb_batch(s, sql, &["--compress"]),
        b"Variable_name\tValue\nCompression\tON\n"
    );
    let o = mywire_at(&s.url(), &["-C", "--batch", "-e", sql], None);
    success(&o);
    assert_eq!(stdout(&o), "Variable_name\tValue\nCompression\tON\n");
}

#[test]
fn batch_escapes_cells_but_not_header_names() {
    let o = mywire(
        &["-B", "-e", r"SELECT 'a\tb' AS 'h\tx', NULL AS n, '' AS e"],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "h\tx\tn\te\na\\tb\tNULL\t\n");
}

#[test]
fn empty_results_print_nothing_in_batch() {
    let o = mywire(
        &["--batch", "-e", "SELECT 1 AS a FROM DUAL WHERE 0; DO 1"],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

#[test]
fn multi_statement_execute_prints_each_result() {
    let o = mywire(
        &[
            "--batch",
            "-e",
            "SELECT 1 AS a; SELECT 'x' AS b UNION ALL SELECT 'y'",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "a\n1\nb\nx\ny\n");
}

#[test]
fn table_output_with_cells_wider_than_a_format_width() {
    // 70,000 characters: more than a format width can say (u16::MAX); it used to panic.
    let o = mywire(
        &["-t", "-e", "SELECT REPEAT('a', 70000) AS x, 7 AS n"],
        None,
    );
    success(&o);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0].len(), 2 + 70_000 + 3 + 1 + 2, "border");
    assert_eq!(lines[3], format!("| {} | 7 |", "a".repeat(70_000)));
    // As the mariadb client pads them: a name to 1024 cells at most.
    assert_eq!(lines[1], format!("| x{} | n |", " ".repeat(1023)));
}

#[test]
fn table_output() {
    let sql = "CREATE TEMPORARY TABLE t (id INT, name VARCHAR(10), note TEXT); \
               INSERT INTO t VALUES (1, 'alice', NULL), (22, 'bob', 'héllo'); \
               SELECT id, name, note FROM t ORDER BY id; \
               SELECT 'only' AS one; \
               SELECT 1 AS x FROM DUAL WHERE 0";
    // -vv: the summaries too (batch mode prints them only then), without timing.
    let o = mywire(&["-t", "-vv", "-e", sql], None);
    success(&o);
    let out = stdout(&o);
    // As the mariadb client sizes columns: in bytes (`héllo` is 6), NULL-able ones at least 4.
    assert!(
        out.contains(
            "\
+------+-------+--------+
| id   | name  | note   |
+------+-------+--------+
|    1 | alice | NULL   |
|   22 | bob   | héllo  |
+------+-------+--------+
2 rows in set

"
        ),
        "{out}"
    );
    assert!(
        out.contains("Query OK, 2 rows affected\nRecords: 2  Duplicates: 0  Warnings: 0\n\n"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "--------------\nSELECT 1 AS x FROM DUAL WHERE 0\n--------------\n\nEmpty set\n\nBye\n"
        ),
        "{out}"
    );
}

/// Server text must not drive the terminal: control characters in an error message (an ESC
/// sequence that would clear the screen, a bell) from a hostile server are printed escaped.
/// (MariaDB itself escapes them in SIGNAL texts, so a scripted server sends the raw bytes.)
#[test]
fn server_error_text_cannot_drive_the_terminal() {
    use scripted::Step;
    let mut script = scripted::login();
    script.push(Step::ReadPacket);
    script.push(Step::Send(scripted::err(
        1,
        1644,
        b"45000",
        "\u{1b}[2Jwiped\u{7}",
    )));
    script.push(Step::ReadPacket);
    let server = scripted::Server::start(script);
    let o = support::run_mywire(&server.url(""), &["-e", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "--------------\nSELECT 1\n--------------\n\nERROR 1644 (45000) at line 1: \\x1b[2Jwiped\\x07\n",
        "{:?}",
        stderr(&o)
    );
    assert!(!o.stderr.contains(&0x1b));
}

#[test]
fn server_error_message_and_exit_code() {
    let o = mywire(&["-e", "SELECT * FROM no_such_table"], None);
    assert_eq!(o.status.code(), Some(1));
    // As the mariadb client: the failing statement first, and its line in the -e text.
    assert_eq!(
        stderr(&o),
        "--------------\nSELECT * FROM no_such_table\n--------------\n\n\
         ERROR 1146 (42S02) at line 1: Table 'mywire_test.no_such_table' doesn't exist\n"
    );
    assert_eq!(stdout(&o), "");
    // Results before the failing statement are printed; nothing after it runs.
    let o = mywire(
        &[
            "-B",
            "-e",
            "SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 2",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "a\n1\n");
    assert!(
        stderr(&o).contains("\nERROR 1146 (42S02) at line 1: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn stdin_script_with_delimiters_in_quotes_and_comments() {
    let script = "\
CREATE TEMPORARY TABLE t (s TEXT);
INSERT INTO t VALUES ('a;b'), (\"c -- d;\");  -- a comment; with a semicolon
/* a block; comment */ INSERT INTO t
  VALUES ('e\\';f') # a hash comment; too
;
SELECT s FROM t ORDER BY s;
SELECT 'last' AS l";
    let o = mywire(&[], Some(script));
    success(&o);
    // Standard input is not a terminal: batch output, as the mariadb client does.
    assert_eq!(stdout(&o), "s\na;b\nc -- d;\ne';f\nl\nlast\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn stdin_script_error_names_the_line_and_stops() {
    let o = mywire(
        &[],
        Some("SELECT 1 AS a;\n\nSELECT *\nFROM nope;\nSELECT 2 AS b;\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "a\n1\n");
    assert_eq!(
        stderr(&o),
        "--------------\nSELECT *\nFROM nope\n--------------\n\n\
         ERROR 1146 (42S02) at line 3: Table 'mywire_test.nope' doesn't exist\n"
    );
    // --force goes on, and then exits 0, as the mariadb client does.
    let o = mywire(&["--force"], Some(SCRIPT_WITH_ERROR));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "a\n1\nb\n2\n");
}

const SCRIPT_WITH_ERROR: &str = "SELECT 1 AS a;\nSELECT * FROM nope;\nSELECT 2 AS b;\n";

#[test]
fn stdin_script_table_mode() {
    let o = mywire(&["--table"], Some("SELECT 1 AS a;\nDO 1;"));
    success(&o);
    assert_eq!(stdout(&o), "+---+\n| a |\n+---+\n| 1 |\n+---+\n");
}

#[test]
fn flags_override_the_url_and_socket_works() {
    let s = require_local_server!();
    let port = s.port.to_string();
    let o = mywire_at(
        "mysql://nobody:wrong@127.0.0.1:1/nodb",
        &[
            "-P",
            &port,
            "-u",
            "mywire",
            "-pmywire-pass",
            "-D",
            "mywire_test",
            "-B",
            "-e",
            "SELECT DATABASE() AS db",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "db\nmywire_test\n");
    let socket = s.socket.to_string_lossy().into_owned();
    let o = mywire_at(
        "mysql://root@127.0.0.1:1",
        &[
            "-S",
            &socket,
            "-u",
            "mywire",
            "-pmywire-pass",
            "mywire_test",
            "-B",
            "-e",
            "SELECT DATABASE() AS db",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "db\nmywire_test\n");
}

#[test]
fn database_url_from_the_environment() {
    let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env("DATABASE_URL", support::test_url())
        .args(["-B", "-e", "SELECT 7 AS seven"])
        .stdin(Stdio::null())
        .output()
        .expect("run mywire");
    success(&o);
    assert_eq!(stdout(&o), "seven\n7\n");
}

#[test]
fn connection_failure_says_what_and_where() {
    let port = support::free_port();
    let o = mywire_at(
        &format!("mysql://root@127.0.0.1:{port}"),
        &["-e", "SELECT 1"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("mywire: cannot connect to 127.0.0.1:{port}: Connection refused\n")
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = mywire_at("mysql://root@127.0.0.1:1", &["-P", "not-a-port"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = mywire_at("postgres://x", &["-e", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("mywire: "), "{}", stderr(&o));
    let o = mywire_at("mysql://root@127.0.0.1:1", &["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("--host <HOST>"), "{}", stdout(&o));
}

#[test]
fn ssl_mode_flags() {
    let s = require_local_server!();
    let o = mywire_at(
        &s.url(),
        &[
            "--ssl-mode=REQUIRED",
            "--batch",
            "-e",
            "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
        ],
        None,
    );
    success(&o);
    let out = stdout(&o);
    let cipher = out
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("Ssl_cipher\t"))
        .unwrap_or("");
    assert!(!cipher.is_empty(), "no cipher in {out:?}");
    // The flags win over the URL, with the same names as the URL parameters.
    let o = mywire_at(
        &format!("{}?ssl-mode=REQUIRED", s.url()),
        &[
            "--ssl-mode",
            "disabled",
            "-B",
            "-e",
            "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "Variable_name\tValue\nSsl_cipher\t\n");
    // The wrong CA: a clear message naming the CA file, and exit 1.
    let wrong = s.wrong_ca_cert.to_string_lossy().into_owned();
    let o = mywire_at(
        &s.url(),
        &["--ssl-mode=VERIFY_CA", "--ssl-ca", &wrong, "-e", "SELECT 1"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("mywire: "), "{err}");
    assert!(err.contains("unknown issuer"), "{err}");
    assert!(err.contains(&wrong), "{err}");
    assert!(err.contains("VERIFY_CA"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(stdout(&o), "");
    // VERIFY_CA with the right CA and a client certificate.
    let ca = s.ca_cert.to_string_lossy().into_owned();
    let cert = s.client_cert.to_string_lossy().into_owned();
    let key = s.client_key.to_string_lossy().into_owned();
    let o = mywire_at(
        &s.url_for(support::X509_USER, support::X509_PASSWORD),
        &[
            "--ssl-mode=VERIFY_CA",
            "--ssl-ca",
            &ca,
            "--ssl-cert",
            &cert,
            "--ssl-key",
            &key,
            "-B",
            "-e",
            "SELECT CURRENT_USER() LIKE 'mywire_x509@%' AS x",
        ],
        None,
    );
    success(&o);
    assert_eq!(stdout(&o), "x\n1\n");
    // A bad mode is a usage error.
    let o = mywire_at(&s.url(), &["--ssl-mode=sometimes", "-e", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ssl-mode"), "{}", stderr(&o));
}

/// Library bug reproducer: `Options::from_url` quotes parts of the password in its errors
/// (a bad percent-escape quotes the rest of the component; an unencoded `/` in the password
/// makes the part after `:` a "bad port").
#[test]
fn url_errors_do_not_show_the_password() {
    // A bad escape in the password: a usage error that does not quote it.
    let o = mywire_at("mysql://u:se%zzcret@h/", &["-e", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains("cret"), "{err}");
    // An unencoded `/` in the password is accepted (the user info ends at the last `@`); the
    // connection then fails, and no message shows the password.
    let o = mywire_at("mysql://u:pa/ss@127.0.0.1:1/", &["-e", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(!err.contains("pa/ss") && !err.contains("`pa`"), "{err}");
}

/// The CLI (not the library) honours SSLKEYLOGFILE, as curl does, and says so in `--help`.
#[test]
fn sslkeylogfile_is_honoured_by_the_cli() {
    let s = require_local_server!();
    let help = stdout(&mywire_at(&s.url(), &["--help"], None));
    assert!(help.contains("SSLKEYLOGFILE"), "{help}");
    assert!(help.contains("--ssl-key-log <FILE>"), "{help}");
    let path = s.tmp_dir.join("cli-sslkeylogfile.txt");
    let _ = std::fs::remove_file(&path);
    let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env_remove("DATABASE_URL")
        .env("SSLKEYLOGFILE", &path)
        .args([
            "--url",
            &s.url(),
            "--ssl-mode=REQUIRED",
            "-B",
            "-e",
            "SELECT 1",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run mywire");
    success(&o);
    let log = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        log.lines()
            .any(|l| l.starts_with("CLIENT_RANDOM ") || l.starts_with("CLIENT_TRAFFIC_SECRET_0 ")),
        "key log: {log:?}"
    );
}
