//! The streaming capture decoder (`mywire decode -`) with conversations let go of as it goes:
//! a capture (pcap or pcapng) through `CaptureDecoder` with a sweep after every frame, idle
//! conversations dropped after a capture-time idle drawn from the input, and at most 8 live
//! conversations' worth of state. Besides no panic, hang or huge allocation: the event stream
//! stays well formed whatever the drains cut (each conversation starts once, before any of its
//! events, and finishes once, last; numbers are handed out in order; after `finish` every
//! started conversation has finished) and the live set is bounded by what has not finished.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use mywire::capture::decoder::{CaptureDecoder, CaptureEvent, DecoderConfig};
use mywire::capture::offline::Limits;
use mywire::capture::pcap::CaptureReader;
use mywire::capture::reassembly::DrainConfig;

#[derive(Default)]
struct Check {
    started: HashSet<usize>,
    finished: HashSet<usize>,
    last_number: usize,
}

impl Check {
    fn take(&mut self, events: &mut Vec<CaptureEvent>) {
        for e in events.drain(..) {
            let n = e.conversation();
            match e {
                CaptureEvent::Started { .. } => {
                    assert!(self.started.insert(n), "conversation {n} started twice");
                    assert_eq!(n, self.last_number + 1, "conversations numbered in order");
                    self.last_number = n;
                }
                CaptureEvent::Finished { .. } => {
                    assert!(self.started.contains(&n), "{n} finished before it started");
                    assert!(self.finished.insert(n), "conversation {n} finished twice");
                }
                _ => {
                    assert!(self.started.contains(&n), "an event of {n} before its start");
                    assert!(!self.finished.contains(&n), "an event of {n} after its end");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, capture)) = data.split_first() else {
        return;
    };
    let Ok(reader) = CaptureReader::new(capture) else {
        return;
    };
    // Idle after 0 ns .. about 2 s of capture time; the port as in the capture target.
    let idle_nanos = 1u64 << (knobs & 0x1f);
    let port = if knobs & 0x20 == 0 { 3306 } else { 3307 };
    let mut dec = CaptureDecoder::new(DecoderConfig {
        server_ports: vec![port],
        limits: Limits {
            max_packet: 1 << 20,
            max_inflated: 1 << 20,
        },
        drain: DrainConfig {
            idle_nanos,
            linger_nanos: idle_nanos,
        },
        drain_every: 1,
        ..DecoderConfig::default()
    });
    let mut check = Check::default();
    let mut events = Vec::new();
    for frame in reader {
        let Ok(frame) = frame else {
            break;
        };
        dec.push_frame(&frame, &mut events);
        check.take(&mut events);
        let open = check.started.len() - check.finished.len();
        assert_eq!(
            dec.live_conversations(),
            open,
            "live conversations are the started, unfinished ones"
        );
    }
    let summary = dec.finish(&mut events);
    check.take(&mut events);
    assert_eq!(check.started, check.finished, "every conversation finished");
    assert_eq!(
        u64::try_from(check.started.len()).unwrap(),
        summary.conversations
    );
});
