//! `mywire --trace` and `--trace-file` on a compressed session (`compress=zlib`): the live trace
//! shows each compressed packet before the packets it carries, and the pcapng file (the
//! compressed packets as they went on the wire) decodes with `mywire decode` to the same lines,
//! in text and in JSON.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const SQL: &str = "SELECT seq, CONCAT('row-', seq) AS label FROM seq_1_to_100; \
                   SELECT REPEAT('abcdefgh', 4000) AS big; DO 1";

fn tmp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mywire-trace-compress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir.join(name)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn success(o: &Output) {
    assert!(
        o.status.success(),
        "mywire failed ({:?}): {}",
        o.status,
        text(&o.stderr)
    );
}

fn decode(file: &PathBuf, port: u16, format: &str) -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_mywire"))
        .arg("decode")
        .arg(file)
        .args(["--port", &port.to_string(), "--format", format])
        .stdin(Stdio::null())
        .output()
        .expect("run mywire decode");
    success(&o);
    text(&o.stdout).lines().map(str::to_string).collect()
}

#[test]
fn compressed_session_trace_and_trace_file_agree() {
    let s = support::server();
    // Plaintext: over TLS the live trace shows the SSLRequest, which the capture leaves out.
    let url = format!("{}?compress=zlib&ssl-mode=disabled", s.url());
    for format in ["text", "json"] {
        let file = tmp_file(&format!("session-{format}.pcapng"));
        let file_arg = file.to_str().unwrap();
        let args = [
            "--trace",
            "--trace-format",
            format,
            "--trace-file",
            file_arg,
            "-e",
            SQL,
        ];
        let o = support::run_mywire(&url, &args, None);
        success(&o);
        let live: Vec<String> = text(&o.stderr)
            .lines()
            .filter(|l| !l.starts_with("-- mywire trace of"))
            .map(str::to_string)
            .collect();
        let decoded: Vec<String> = decode(&file, s.port, format)
            .into_iter()
            .filter(|l| !l.starts_with("== conversation") && !l.starts_with("-- "))
            .filter(|l| !l.starts_with("{\"conversation\":1,\"client\""))
            // The conversation's notes and its end (JSON objects without `dir`).
            .filter(|l| !l.starts_with("{\"conversation\":1,\"type\":"))
            .map(|l| l.replacen("{\"conversation\":1,", "{", 1))
            .collect();
        let zipped = live
            .iter()
            .filter(|l| l.contains(" z#") || l.contains("\"type\":\"Compressed\""))
            .count();
        assert!(zipped >= 6, "{format}: {zipped} compressed packets shown");
        let first = live.iter().zip(&decoded).position(|(a, b)| a != b);
        assert!(
            live == decoded,
            "{format}: {} live lines, {} decoded; first difference at {first:?}:\n{:.300?}\n{:.300?}",
            live.len(),
            decoded.len(),
            first.map(|i| &live[i]),
            first.map(|i| &decoded[i])
        );
        let _ = std::fs::remove_file(&file);
    }
}
