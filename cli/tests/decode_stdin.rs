//! `tcpdump -U -w - port P | mywire decode -`: a live pcap stream on standard input, decoded as
//! it arrives. The queries of a session against the throwaway MariaDB appear in mywire's
//! output (the query and its rows) while tcpdump is still capturing, a second session's too,
//! and when tcpdump stops, `mywire decode -` ends cleanly at the end of the stream; with
//! `--digest` the stream's requests are digested when it ends.
//!
//! tcpdump missing (CI installs it): SKIPPED, a failure under `CI=true`.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One capture at a time: each test's tcpdump sees only its own sessions.
static CAPTURE: Mutex<()> = Mutex::new(());

fn have_tcpdump() -> bool {
    Command::new("tcpdump")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A running `tcpdump -U -w - tcp port P | mywire decode - ARGS`, with mywire's output lines
/// arriving on a channel.
struct Pipe {
    tcpdump: Child,
    decode: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Pipe {
    /// `None` (after SKIPPED, or a panic under `CI=true`) without tcpdump.
    fn start(port: u16, args: &[&str]) -> Option<Pipe> {
        if !have_tcpdump() {
            support::skip_or_fail("`tcpdump` is not installed (CI installs it)");
            return None;
        }
        let mut tcpdump = Command::new("tcpdump")
            .args(["-U", "-n", "-i", "lo", "-w", "-"])
            .arg(format!("tcp port {port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump");
        // tcpdump says `listening on lo` once its filter is in place.
        let mut err = BufReader::new(tcpdump.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).expect("tcpdump's stderr");
        assert!(
            first.contains("listening on"),
            "tcpdump cannot capture on lo: {first}"
        );
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
        });
        let mut decode = Command::new(env!("CARGO_BIN_EXE_mywire"))
            .args(["decode", "-", "--port", &port.to_string()])
            .args(args)
            .stdin(tcpdump.stdout.take().unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mywire decode -");
        let out = BufReader::new(decode.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in out.lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Some(Pipe {
            tcpdump,
            decode,
            lines,
            seen: Vec::new(),
        })
    }

    /// Waits (at most 20 s) for an output line for which `f` holds, while tcpdump runs.
    #[track_caller]
    fn wait_for(&mut self, what: &str, f: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = f(&l);
                    self.seen.push(l);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no {what} from `mywire decode -` while tcpdump runs; its output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Stops tcpdump (it flushes and closes the pipe) and returns the rest of mywire's output
    /// and its stderr, after checking it ended successfully at the end of the stream.
    fn finish(mut self) -> (Vec<String>, String) {
        assert!(
            self.tcpdump.try_wait().unwrap().is_none(),
            "tcpdump stopped early"
        );
        let kill = Command::new("kill")
            .args(["-INT", &self.tcpdump.id().to_string()])
            .status()
            .expect("kill -INT tcpdump");
        assert!(kill.success());
        self.tcpdump.wait().expect("wait for tcpdump");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = self.decode.try_wait().unwrap() {
                break st;
            }
            assert!(
                Instant::now() < deadline,
                "mywire decode - did not end when the stream did"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        self.decode
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "mywire decode - failed ({status}): {err}");
        let mut rest = std::mem::take(&mut self.seen);
        rest.extend(self.lines.iter());
        (rest, err)
    }
}

fn query(url: &str, sql: &str) {
    let o = support::run_mywire(url, &["--ssl-mode=DISABLED", "-e", sql], None);
    assert!(
        o.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn tcpdump_stream_is_decoded_as_it_arrives() {
    let s = support::server();
    let _one = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut pipe) = Pipe::start(s.port, &[]) else {
        return;
    };
    let url = s.url();
    query(&url, "SELECT 'streamed-one' AS a");
    // The query, then its row, are printed while the capture goes on.
    pipe.wait_for("COM_QUERY of the first session", |l| {
        l.contains("COM_QUERY") && l.contains("streamed-one")
    });
    pipe.wait_for("row of the first session", |l| {
        l.contains("Row") && l.contains("\"streamed-one\"")
    });
    // A second session, later in the same stream.
    query(&url, "SELECT 'streamed-two' AS b");
    pipe.wait_for("COM_QUERY of the second session", |l| {
        l.contains("COM_QUERY") && l.contains("streamed-two")
    });
    pipe.wait_for("row of the second session", |l| {
        l.contains("Row") && l.contains("\"streamed-two\"")
    });
    // Its COM_QUIT too, before tcpdump is stopped (under load the last packet can still be on
    // its way when the client has exited; the first session's was read above).
    pipe.wait_for("COM_QUIT of the second session", |l| l.contains("COM_QUIT"));
    let (all, err) = pipe.finish();
    // Two conversations, each with its header; each logged off (COM_QUIT) within the stream.
    let headers = all
        .iter()
        .filter(|l| l.starts_with("== conversation"))
        .count();
    assert!(headers >= 2, "{}", all.join("\n"));
    assert_eq!(
        all.iter().filter(|l| l.contains("COM_QUIT")).count(),
        2,
        "{}",
        all.join("\n")
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn tcpdump_stream_digest_when_the_stream_ends() {
    let s = support::server();
    let _one = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(pipe) = Pipe::start(s.port, &["--digest", "--format", "json"]) else {
        return;
    };
    let url = s.url();
    for n in [11, 22, 33] {
        query(&url, &format!("SELECT {n} + 1 AS stdin_digest"));
    }
    // tcpdump (without --immediate-mode) gets packets from the kernel's ring a block at a
    // time, at the latest after its 1-second timeout; packets still in the ring when it is
    // interrupted are not written. Wait past that timeout.
    std::thread::sleep(Duration::from_millis(2500));
    let (all, err) = pipe.finish();
    let rows: Vec<serde_json::Value> = all
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let ours: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["fingerprint"] == "select ? + ? as stdin_digest")
        .collect();
    assert_eq!(ours.len(), 1, "{}", all.join("\n"));
    assert_eq!(ours[0]["count"], 3, "{}", all.join("\n"));
    assert_eq!(ours[0]["rows"], 3, "{}", all.join("\n"));
    assert!(
        ours[0]["example"]
            .as_str()
            .is_some_and(|e| e.contains("AS stdin_digest")),
        "{}",
        all.join("\n")
    );
    assert!(!err.contains("panicked"), "{err}");
}
