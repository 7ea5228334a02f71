//! The mariadb client's connection options, spelled its way, against the throwaway MariaDB of
//! `tests/support`: `--protocol`, `-h` over `-S`, `--ssl` / `--skip-ssl` /
//! `--ssl-verify-server-cert`, `--default-character-set`, `--max-allowed-packet`,
//! `--connect-timeout`, `--init-command`, and the exit status of a failed connection.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::{Command, Output, Stdio};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `mywire --no-defaults -u mywire -pPASS ARGS…` (no URL: the flags say everything).
fn mywire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mywire"))
        .env_remove("DATABASE_URL")
        .env_remove("MYSQL_PWD")
        .args(["--no-defaults", "-u", support::USER])
        .arg(format!("-p{}", support::PASSWORD))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[track_caller]
fn out(o: &Output) -> String {
    assert!(o.status.success(), "mywire failed: {}", text(&o.stderr));
    text(&o.stdout)
}

/// How this session reached the server: `socket` or `tcp`.
const HOW: &str =
    "SELECT IF(HOST = 'localhost', 'socket', 'tcp') FROM information_schema.PROCESSLIST \
                   WHERE ID = CONNECTION_ID()";

#[test]
fn protocol_host_and_socket_as_mariadb_chooses() {
    let s = require_local_server!();
    let sock = s.socket.display().to_string();
    let port = s.port.to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["-S", &sock], "socket\n"),
        // A host other than localhost means TCP, whatever the socket says.
        (&["-S", &sock, "-h", "127.0.0.1", "-P", &port], "tcp\n"),
        (&["-S", &sock, "--protocol=TCP", "-P", &port], "tcp\n"),
        (
            &["-S", &sock, "--protocol=socket", "-h", "localhost"],
            "socket\n",
        ),
        (
            &["--protocol", "tcp", "-h", "127.0.0.1", "--port", &port],
            "tcp\n",
        ),
    ];
    for (flags, how) in cases {
        let mut a = flags.to_vec();
        a.extend(["-N", "-e", HOW]);
        assert_eq!(out(&mywire(&a)), how, "{flags:?}");
        let m = s
            .mariadb_command()
            .args(["-u", support::USER])
            .arg(format!("-p{}", support::PASSWORD))
            .args(&a)
            .output()
            .unwrap();
        assert_eq!(
            text(&m.stdout),
            how,
            "mariadb {flags:?}: {}",
            text(&m.stderr)
        );
    }
    let o = mywire(&["--protocol=pipe", "-e", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--protocol"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn ssl_options_spelled_as_mariadb() {
    let s = require_local_server!();
    let port = s.port.to_string();
    let tcp = ["-h", "127.0.0.1", "-P", port.as_str()];
    let cipher = "SHOW SESSION STATUS LIKE 'Ssl_cipher'";
    let with = |extra: &[&str]| {
        let mut a = tcp.to_vec();
        a.extend_from_slice(extra);
        a.extend(["-N", "-e", cipher]);
        out(&mywire(&a))
    };
    // TLS when the server offers it (the default, and --ssl), none with --skip-ssl.
    assert!(with(&[]).len() > "Ssl_cipher\t\n".len(), "{}", with(&[]));
    assert!(with(&["--ssl"]).len() > "Ssl_cipher\t\n".len());
    assert_eq!(with(&["--skip-ssl"]), "Ssl_cipher\t\n");
    assert_eq!(with(&["--ssl=0"]), "Ssl_cipher\t\n");
    // --ssl-verify-server-cert: the CA and the name are checked.
    let ca = format!("--ssl-ca={}", s.ca_cert.display());
    assert!(with(&["--ssl-verify-server-cert", &ca]).len() > "Ssl_cipher\t\n".len());
    let wrong = format!("--ssl-ca={}", s.wrong_ca_cert.display());
    let mut a = tcp.to_vec();
    a.extend(["--ssl-verify-server-cert", wrong.as_str(), "-e", "SELECT 1"]);
    let o = mywire(&a);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("VERIFY_IDENTITY"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn charset_packet_size_timeout_and_init_command() {
    let s = require_local_server!();
    let sock = s.socket.display().to_string();
    let cs = "SELECT @@character_set_client, @@character_set_results";
    for charset in ["latin1", "utf8mb4", "utf8"] {
        let flag = format!("--default-character-set={charset}");
        let w = out(&mywire(&["-S", &sock, &flag, "-N", "-e", cs]));
        let m = s
            .mariadb_command()
            .args(["-S", &sock, "-u", support::USER])
            .arg(format!("-p{}", support::PASSWORD))
            .args([&flag, "-N", "-e", cs])
            .output()
            .unwrap();
        assert_eq!(w, text(&m.stdout), "{charset}");
    }
    // Bytes as the server sends them in the connection's character set.
    let w = mywire(&[
        "-S",
        &sock,
        "--default-character-set=latin1",
        "-N",
        "-e",
        "SELECT _utf8mb4 X'C3A9'",
    ]);
    assert_eq!(w.stdout, b"\xe9\n");
    let o = mywire(&[
        "-S",
        &sock,
        "--default-character-set=klingon",
        "-e",
        "SELECT 1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A result bigger than --max-allowed-packet is refused.
    let o = mywire(&[
        "-S",
        &sock,
        "--max-allowed-packet=4K",
        "-e",
        "SELECT REPEAT('a', 100000)",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert_eq!(
        out(&mywire(&[
            "-S",
            &sock,
            "--max_allowed_packet=16M",
            "-N",
            "-e",
            "SELECT LENGTH(REPEAT('a', 100000))"
        ])),
        "100000\n"
    );
    assert_eq!(
        out(&mywire(&[
            "-S",
            &sock,
            "--connect-timeout=5",
            "-N",
            "-e",
            "SELECT 7"
        ])),
        "7\n"
    );
    assert_eq!(
        out(&mywire(&[
            "-S",
            &sock,
            "--init-command=SET @x = 42",
            "-N",
            "-e",
            "SELECT @x"
        ])),
        "42\n"
    );
    // A connection that fails: exit status 1, as mariadb's.
    let port = support::free_port().to_string();
    let o = mywire(&["-h", "127.0.0.1", "-P", &port, "-e", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(1));
    let m = s
        .mariadb_command()
        .args(["-h", "127.0.0.1", "-P", &port, "-e", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(m.status.code(), Some(1));
}
