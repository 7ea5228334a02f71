//! The streaming capture reader (`mywire::capture::pcap::CaptureStream`) on real captures: the
//! checked-in fixtures (pcapng from dumpcap), their classic pcap variants written by
//! `editcap -F pcap` and `-F nsecpcap`, and those byte-swapped to big-endian, fed 1 byte, 7 bytes
//! and random small sizes at a time, whole and truncated: always the frames and the error of the
//! in-memory `CaptureReader`.
//!
//! And live: dumpcap writing pcapng to a pipe (`dumpcap -w -`, as `tcpdump -U -w -` would) while a
//! session queries the throwaway server: the query's frame comes out of the stream while dumpcap
//! is still capturing.
//!
//! The editcap variants and the live test need tshark's editcap and dumpcap: without them the
//! tests print SKIPPED (and fail under `CI=true`); the fixtures themselves are always checked.

#![cfg(feature = "capture")]
// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use mywire::capture::pcap::{
    decode_frame, CaptureError, CaptureFormat, CaptureReader, CaptureStream, CapturedFrame,
    StreamError,
};
use mywire::capture::reassembly::{
    reassemble_capture, DrainConfig, Reassembler, ReassemblyConfig, StreamEvent,
};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

type Owned = (u64, u32, u32, u32, Vec<u8>);
type Outcome = Result<(Vec<Owned>, Option<CaptureError>), CaptureError>;

fn own(f: &CapturedFrame<'_>) -> Owned {
    (
        f.timestamp_nanos,
        f.link_type,
        f.interface,
        f.original_len,
        f.data.to_vec(),
    )
}

fn in_memory(buf: &[u8]) -> Outcome {
    let mut frames = Vec::new();
    let mut err = None;
    for item in CaptureReader::new(buf)? {
        match item {
            Ok(f) => frames.push(own(&f)),
            Err(e) => err = Some(e),
        }
    }
    Ok((frames, err))
}

/// A reader returning `sizes[i % len]` bytes on its i-th read, like a pipe.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.sizes[self.i % self.sizes.len()]
            .min(out.len())
            .min(self.data.len());
        self.i += 1;
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn streamed(data: &[u8], sizes: &[usize]) -> Outcome {
    let r = Chunked { data, sizes, i: 0 };
    let mut s = match CaptureStream::new(r) {
        Ok(s) => s,
        Err(StreamError::Capture(e)) => return Err(e),
        Err(e) => panic!("{e}"),
    };
    let mut frames = Vec::new();
    let mut err = None;
    while let Some(item) = s.next_frame() {
        match item {
            Ok(f) => frames.push(own(&f)),
            Err(StreamError::Capture(e)) => err = Some(e),
            Err(e) => panic!("{e}"),
        }
    }
    Ok((frames, err))
}

fn random_sizes(mut x: u64) -> Vec<usize> {
    (0..101)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % 48).unwrap() + 1
        })
        .collect()
}

/// The whole file and a few cuts of it, through every read schedule.
fn check(name: &str, file: &[u8], want: CaptureFormat) {
    assert_eq!(CaptureReader::new(file).unwrap().format(), want, "{name}");
    let (frames, err) = in_memory(file).unwrap();
    assert!(err.is_none(), "{name}: {err:?}");
    assert!(frames.len() > 10, "{name}: {} frames", frames.len());
    let schedules = [
        vec![1],
        vec![7],
        random_sizes(file.len() as u64),
        vec![1 << 20],
    ];
    for sizes in &schedules {
        assert_eq!(
            streamed(file, sizes),
            in_memory(file),
            "{name}, reads of {:?}",
            &sizes[..sizes.len().min(3)]
        );
    }
    let step = (file.len() / 37).max(1);
    for n in (0..file.len())
        .step_by(step)
        .chain([file.len() - 1, file.len() - 5])
    {
        let cut = &file[..n];
        assert_eq!(
            streamed(cut, &random_sizes(n as u64)),
            in_memory(cut),
            "{name} cut at {n}"
        );
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .collect();
    v.sort();
    assert!(!v.is_empty());
    v
}

/// A little-endian classic pcap rewritten big-endian (file header and record headers).
fn to_big_endian(le: &[u8]) -> Vec<u8> {
    let swap = |b: &mut [u8]| b.reverse();
    let mut out = le.to_vec();
    for (at, len) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
        swap(&mut out[at..at + len]);
    }
    let mut pos = 24;
    while pos + 16 <= out.len() {
        let incl = u32::from_le_bytes(out[pos + 8..pos + 12].try_into().unwrap()) as usize;
        for k in 0..4 {
            swap(&mut out[pos + 4 * k..pos + 4 * k + 4]);
        }
        pos += 16 + incl;
    }
    out
}

#[test]
fn fixtures_stream_like_in_memory() {
    for path in fixtures() {
        let file = std::fs::read(&path).unwrap();
        check(&path.display().to_string(), &file, CaptureFormat::Pcapng);
    }
}

#[test]
fn fixtures_reassemble_incrementally_like_whole() {
    for path in fixtures() {
        let file = std::fs::read(&path).unwrap();
        // The fixture's server port: in its `.port` file, or on the first line of its golden
        // text output.
        let port: u16 = match std::fs::read_to_string(path.with_extension("port")) {
            Ok(p) => p.trim().parse().unwrap(),
            Err(_) => std::fs::read_to_string(path.with_extension("txt"))
                .unwrap()
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("server port "))
                .unwrap()
                .parse()
                .unwrap(),
        };
        let config = ReassemblyConfig {
            server_port: port,
            ..Default::default()
        };
        let whole = reassemble_capture(&file, config).unwrap();
        assert!(!whole.conversations.is_empty());
        let sizes = random_sizes(3);
        let mut s = CaptureStream::new(Chunked {
            data: &file,
            sizes: &sizes,
            i: 0,
        })
        .unwrap();
        let mut r = Reassembler::new(config);
        let mut got: BTreeMap<u64, Vec<StreamEvent>> = BTreeMap::new();
        while let Some(f) = s.next_frame() {
            if let Ok(seg) = decode_frame(&f.unwrap()) {
                r.push(&seg);
            }
            for u in r.drain(DrainConfig::default()) {
                got.entry(u.id).or_default().extend(u.conversation.events);
            }
        }
        // What is still live (no FIN captured) is flushed as `finish` flushes it: a last drain
        // that takes every conversation for idle.
        for u in r.drain(DrainConfig {
            idle_nanos: 0,
            ..DrainConfig::default()
        }) {
            assert!(u.finished);
            got.entry(u.id).or_default().extend(u.conversation.events);
        }
        assert_eq!(r.live_conversations(), 0);
        let got: Vec<Vec<StreamEvent>> = got.into_values().collect();
        let want: Vec<_> = whole.conversations.into_iter().map(|c| c.events).collect();
        assert_eq!(got, want, "{}", path.display());
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn editcap_pcap_variants_stream_like_in_memory() {
    if !have("editcap") {
        support::skip_or_fail("`editcap` is not installed (tshark's package brings it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mywire-capture-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in fixtures() {
        for (fmt, want) in [
            ("pcap", CaptureFormat::PcapMicros),
            ("nsecpcap", CaptureFormat::PcapNanos),
        ] {
            let out = dir.join(format!(
                "{}.{fmt}",
                path.file_stem().unwrap().to_string_lossy()
            ));
            let st = Command::new("editcap")
                .args(["-F", fmt])
                .arg(&path)
                .arg(&out)
                .status()
                .unwrap();
            assert!(st.success(), "editcap -F {fmt} {}", path.display());
            let file = std::fs::read(&out).unwrap();
            let name = out.display().to_string();
            check(&name, &file, want);
            // The same frames as the pcapng original (editcap keeps the nanosecond timestamps
            // of nsecpcap; pcap rounds them to microseconds).
            let ng = in_memory(&std::fs::read(&path).unwrap()).unwrap().0;
            let got = in_memory(&file).unwrap().0;
            assert_eq!(got.len(), ng.len(), "{name}");
            for (a, b) in got.iter().zip(&ng) {
                assert_eq!(a.4, b.4, "{name}: frame bytes");
                assert_eq!(a.0 / 1000, b.0 / 1000, "{name}: timestamps");
            }
            let be = to_big_endian(&file);
            check(&format!("{name} (big-endian)"), &be, want);
            assert_eq!(in_memory(&be).unwrap().0, got, "{name}: big-endian");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dumpcap_pipe_yields_frames_while_capturing() {
    if !have("dumpcap") {
        support::skip_or_fail("`dumpcap` is not installed (tshark's package brings it)");
        return;
    }
    let server = support::server();
    let mut dumpcap = Command::new("dumpcap")
        .args(["-q", "-i", "lo", "-f", &format!("tcp port {}", server.port)])
        .args(["-w", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dumpcap");
    let pipe = dumpcap.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut s = CaptureStream::new(pipe).expect("the pcapng header");
        assert_eq!(s.format(), CaptureFormat::Pcapng);
        let mut frames = 0u64;
        while let Some(f) = s.next_frame() {
            let Ok(f) = f else { break };
            frames += 1;
            if tx.send(f.data.to_vec()).is_err() {
                break;
            }
        }
        frames
    });
    // Without TLS, so that the query is readable in the frame.
    let opts = mywire::Options::from_url(&format!("{}?ssl-mode=DISABLED", server.url())).unwrap();
    let marker = b"mywire-stream-marker";
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = false;
    // Query until the query's frame comes out (dumpcap needs a moment to start capturing).
    'outer: while Instant::now() < deadline {
        let mut session = mywire::session::blocking::Session::connect(opts.clone()).unwrap();
        session
            .query_drop("SELECT 'mywire-stream-marker' AS m")
            .unwrap();
        let until = Instant::now() + Duration::from_millis(500);
        while let Ok(data) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            if data.windows(marker.len()).any(|w| w == marker) {
                seen = true;
                break 'outer;
            }
        }
    }
    let running = dumpcap.try_wait().unwrap().is_none();
    let _ = dumpcap.kill();
    let _ = dumpcap.wait();
    drop(rx);
    let frames = reader.join().unwrap();
    assert!(
        seen,
        "no frame with the query came out of the pipe ({frames} frames)"
    );
    assert!(
        running,
        "dumpcap had stopped: the frame came from its exit, not from the stream"
    );
}
