//! The streaming capture reader against the in-memory one: the same bytes, cut into reads of
//! sizes drawn from the input's first byte, give the same frames and the same error as
//! `CaptureReader`, and the stream never buffers more than one record plus one read.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::capture::pcap::{CaptureReader, CaptureStream, StreamError, MAX_RECORD_LEN};
use std::io::{self, Read};

/// Reads of 1..=16 bytes (the low 4 bits of a running xorshift), or whole when `seed` is 0.
struct Chunked<'a> {
    data: &'a [u8],
    x: u32,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = if self.x == 0 {
            out.len()
        } else {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 17;
            self.x ^= self.x << 5;
            usize::try_from(self.x & 15).unwrap_or(0) + 1
        };
        let n = n.min(out.len()).min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        out[..n].copy_from_slice(head);
        self.data = tail;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, capture)) = data.split_first() else {
        return;
    };
    let expect = CaptureReader::new(capture).map(|r| r.collect::<Vec<_>>());
    let stream = CaptureStream::new(Chunked {
        data: capture,
        x: u32::from(seed),
    });
    match (expect, stream) {
        (Err(a), Err(StreamError::Capture(b))) => assert_eq!(a, b, "open"),
        (Ok(items), Ok(mut s)) => {
            let mut items = items.into_iter();
            while let Some(got) = s.next_frame() {
                let want = items
                    .next()
                    .expect("the stream yields more than the reader");
                match (want, got) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(a), Err(StreamError::Capture(b))) => assert_eq!(a, b),
                    (a, b) => panic!("reader {a:?}, stream {b:?}"),
                }
                assert!(s.buffer_capacity() <= MAX_RECORD_LEN + 16 + 64 * 1024);
            }
            assert!(items.next().is_none(), "the stream stops early");
        }
        (a, b) => panic!("open: reader {a:?}, stream {:?}", b.err()),
    }
});
