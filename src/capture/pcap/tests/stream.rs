//! The streaming reader: the same frames and the same error as [`CaptureReader`] whatever the
//! reads' sizes, for both byte orders, both pcap resolutions and pcapng; bounded buffering; a
//! record handed out as soon as it has arrived.

use super::*;
use std::collections::VecDeque;
use std::sync::mpsc;

/// A frame with its bytes owned, for comparisons.
type Owned = (u64, u32, u32, u32, Vec<u8>);

fn own(f: &CapturedFrame<'_>) -> Owned {
    (
        f.timestamp_nanos,
        f.link_type,
        f.interface,
        f.original_len,
        f.data.to_vec(),
    )
}

/// A reader that hands out `sizes` bytes per read in turn (cycling), like a pipe.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        // An interrupted read now and then, which the reader must retry.
        if self.i % 5 == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Small pseudo-random read sizes (1..=40, and now and then a few hundred).
fn random_sizes(seed: u64) -> Vec<usize> {
    let mut x = seed | 1;
    (0..257)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 11 == 0 {
                (x % 700) as usize + 1
            } else {
                (x % 40) as usize + 1
            }
        })
        .collect()
}

fn in_memory(buf: &[u8]) -> Result<(Vec<Owned>, Option<CaptureError>), CaptureError> {
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

fn streamed<R: Read>(r: R) -> Result<(Vec<Owned>, Option<CaptureError>), CaptureError> {
    let mut s = match CaptureStream::new(r) {
        Ok(s) => s,
        Err(StreamError::Capture(e)) => return Err(e),
        Err(StreamError::Io(e)) => panic!("io: {e}"),
    };
    let mut frames = Vec::new();
    let mut err = None;
    while let Some(item) = s.next_frame() {
        match item {
            Ok(f) => frames.push(own(&f)),
            Err(StreamError::Capture(e)) => err = Some(e),
            Err(StreamError::Io(e)) => panic!("io: {e}"),
        }
        assert!(s.buffer_capacity() <= MAX_RECORD_LEN + 16 + 64 * 1024);
    }
    assert!(s.next_frame().is_none(), "fused");
    Ok((frames, err))
}

/// Every read schedule gives what the in-memory reader gives for `file`.
pub(super) fn check_same(file: &[u8]) {
    let expect = in_memory(file);
    let schedules: Vec<Vec<usize>> = vec![
        vec![usize::MAX],
        vec![1],
        vec![7],
        vec![3, 1, 16, 2],
        random_sizes(file.len() as u64),
        random_sizes(0x9E37_79B9_7F4A_7C15),
    ];
    for sizes in schedules {
        let got = streamed(Chunked {
            data: file,
            sizes: sizes.clone(),
            i: 0,
        });
        assert_eq!(got, expect, "read sizes {:?}", &sizes[..sizes.len().min(4)]);
    }
}

fn sample_frames() -> Vec<(u64, Vec<u8>)> {
    let c = v4([10, 0, 0, 1], 50000);
    let s = v4([10, 0, 0, 2], 3306);
    (0..6u32)
        .map(|i| {
            let payload = vec![b'a' + i as u8; 1 + 300 * i as usize];
            (
                u64::from(i) * 1_000_123,
                eth_frame(c, s, i, TcpFlags::ACK, &payload),
            )
        })
        .collect()
}

fn sample_pcapng() -> Vec<u8> {
    let eth = eth_frame(
        v4([10, 1, 1, 2], 3306),
        v4([10, 1, 1, 1], 4000),
        2,
        0x18,
        b"two",
    );
    let ip = ip_packet(v4([10, 1, 1, 1], 4000), v4([10, 1, 1, 2], 3306), 1, b"one");
    let mut file = Vec::new();
    file.extend(shb(true));
    file.extend(idb(true, LINKTYPE_RAW as u16, None));
    file.extend(idb(true, LINKTYPE_ETHERNET as u16, Some(0x80 | 10)));
    file.extend(block(true, 0x0000_0BAD, b"custom block body"));
    file.extend(epb(true, 0, 1_500_000, &ip));
    file.extend(epb(true, 1, 3 * 1024, &eth));
    file.extend(shb(false));
    file.extend(idb(false, LINKTYPE_ETHERNET as u16, Some(9)));
    let mut spb = (eth.len() as u32).to_le_bytes().to_vec();
    spb.extend_from_slice(&eth);
    file.extend(block(false, BLOCK_SPB, &spb));
    file.extend(epb(false, 0, 7, &eth));
    file
}

#[test]
fn same_frames_as_in_memory_for_every_format_and_read_size() {
    let frames = sample_frames();
    for big in [false, true] {
        for nanos in [false, true] {
            let file = classic(big, nanos, LINKTYPE_ETHERNET, &frames);
            assert_eq!(in_memory(&file).unwrap().0.len(), frames.len());
            check_same(&file);
            let s = CaptureStream::new(&file[..]).unwrap();
            let want = if nanos {
                CaptureFormat::PcapNanos
            } else {
                CaptureFormat::PcapMicros
            };
            assert_eq!(s.format(), want);
        }
    }
    let file = sample_pcapng();
    assert_eq!(in_memory(&file).unwrap().0.len(), 4);
    check_same(&file);
    let mut s = CaptureStream::new(&file[..]).unwrap();
    assert_eq!(s.format(), CaptureFormat::Pcapng);
    while let Some(f) = s.next_frame() {
        f.unwrap();
    }
    assert_eq!(s.position(), file.len() as u64);
    // An empty capture, a header only.
    check_same(&classic(false, false, 1, &[]));
    check_same(&shb(false));
}

#[test]
fn truncated_and_damaged_inputs_give_the_same_error() {
    let pcap = classic(false, true, LINKTYPE_ETHERNET, &sample_frames());
    let ng = sample_pcapng();
    for file in [&pcap, &ng] {
        // Every cut: the same frames before it and the same error (or none at a boundary).
        for n in 0..file.len() {
            let cut = &file[..n];
            let expect = in_memory(cut);
            let got = streamed(Chunked {
                data: cut,
                sizes: vec![5, 1, 9],
                i: 0,
            });
            assert_eq!(got, expect, "cut at {n}");
        }
        // Flipped bytes in headers and lengths.
        let mut seed = 0x1234_5678_u64;
        for _ in 0..300 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut bad = file.clone();
            let at = (seed >> 33) as usize % bad.len();
            bad[at] ^= 1 << ((seed >> 20) % 8);
            let expect = in_memory(&bad);
            let got = streamed(Chunked {
                data: &bad,
                sizes: random_sizes(seed),
                i: 0,
            });
            assert_eq!(got, expect, "flipped byte {at}");
        }
    }
}

/// An endless input: a record header followed by zeros for ever.
struct Endless {
    head: VecDeque<u8>,
    served: usize,
}

impl Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < out.len() {
            out[n] = self.head.pop_front().unwrap_or(0);
            n += 1;
        }
        self.served += n;
        Ok(n)
    }
}

#[test]
fn oversized_headers_are_refused_before_buffering() {
    // A classic record announcing one byte more than the limit.
    let mut head = classic(false, false, 1, &[]);
    head.extend_from_slice(&[0; 8]);
    head.extend_from_slice(&(MAX_RECORD_LEN as u32 + 1).to_le_bytes());
    head.extend_from_slice(&[0; 4]);
    let mut s = CaptureStream::new(Endless {
        head: head.into(),
        served: 0,
    })
    .unwrap();
    match s.next_frame() {
        Some(Err(StreamError::Capture(e))) => {
            assert_eq!(
                (e.field, e.kind, e.offset),
                ("incl_len", ErrorKind::TooLarge, 24)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(s.next_frame().is_none());
    assert!(s.into_inner().served <= 2 * 64 * 1024);
    // A pcapng block announcing almost 4 GiB.
    let mut head = shb(false);
    head.extend_from_slice(&BLOCK_EPB.to_le_bytes());
    head.extend_from_slice(&0xFFFF_FFFCu32.to_le_bytes());
    let mut s = CaptureStream::new(Endless {
        head: head.into(),
        served: 0,
    })
    .unwrap();
    match s.next_frame() {
        Some(Err(StreamError::Capture(e))) => {
            assert_eq!(
                (e.field, e.kind, e.offset),
                ("block_total_length", ErrorKind::TooLarge, 28)
            );
        }
        other => panic!("{other:?}"),
    }
    // A record of exactly the limit is read (and its buffer is one record plus one read).
    let mut head = classic(false, false, 1, &[]);
    head.extend_from_slice(&[0; 8]);
    head.extend_from_slice(&(MAX_RECORD_LEN as u32).to_le_bytes());
    head.extend_from_slice(&[0; 4]);
    let mut s = CaptureStream::new(Endless {
        head: head.into(),
        served: 0,
    })
    .unwrap();
    let f = s.next_frame().unwrap().unwrap();
    assert_eq!(f.data.len(), MAX_RECORD_LEN);
    assert!(s.buffer_capacity() <= MAX_RECORD_LEN + 16 + 64 * 1024);
    // The zeros after it are empty records (an all-zero header: 0 bytes captured).
    for _ in 0..1000 {
        assert!(s.next_frame().unwrap().unwrap().data.is_empty());
    }
    assert!(s.buffer_capacity() <= MAX_RECORD_LEN + 16 + 64 * 1024);
}

#[test]
fn a_long_stream_keeps_the_buffer_small() {
    // 20,000 records through 1-to-40-byte reads: the buffer never holds more than one read's
    // allocation (the records are small).
    let frames: Vec<_> = (0..20_000u64)
        .map(|i| (i * 1000, vec![i as u8; 60]))
        .collect();
    let file = classic(false, false, LINKTYPE_ETHERNET, &frames);
    let mut s = CaptureStream::new(Chunked {
        data: &file,
        sizes: random_sizes(7),
        i: 0,
    })
    .unwrap();
    let mut n = 0u64;
    while let Some(f) = s.next_frame() {
        let f = f.unwrap();
        assert_eq!(f.timestamp_nanos, n * 1000);
        n += 1;
        assert!(s.buffer_capacity() <= 64 * 1024);
    }
    assert_eq!(n, 20_000);
}

/// A pipe: each read returns one message from the channel, blocking until it comes.
struct Pipe {
    rx: mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            match self.rx.recv() {
                Ok(v) => self.pending = v,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn records_come_out_as_they_arrive() {
    // The writer sends the next piece only after the reader has had the previous record: a
    // reader that waited for more than one record would deadlock (the test would hang).
    let frames = sample_frames();
    for file in [classic(true, false, LINKTYPE_ETHERNET, &frames), {
        let mut f = shb(false);
        f.extend(idb(false, LINKTYPE_ETHERNET as u16, None));
        for (ts, d) in &frames {
            f.extend(epb(false, 0, *ts, d));
        }
        f
    }] {
        let units = in_memory(&file).unwrap().0;
        // Where each frame's unit ends, from the in-memory reader.
        let mut r = CaptureReader::new(&file).unwrap();
        let mut ends = Vec::new();
        while let Some(f) = r.next() {
            f.unwrap();
            ends.push(r.position());
        }
        let (tx, rx) = mpsc::channel();
        let (ack_tx, ack_rx) = mpsc::channel::<()>();
        // The header and first record in two pieces (the cut inside the record), then each
        // further record once the previous one came out.
        let writer = {
            let file = file.clone();
            std::thread::spawn(move || {
                tx.send(file[..40].to_vec()).unwrap();
                tx.send(file[40..ends[0]].to_vec()).unwrap();
                for w in ends.windows(2) {
                    ack_rx.recv().unwrap();
                    tx.send(file[w[0]..w[1]].to_vec()).unwrap();
                }
            })
        };
        let mut s = CaptureStream::new(Pipe {
            rx,
            pending: Vec::new(),
        })
        .unwrap();
        let mut got = Vec::new();
        while let Some(f) = s.next_frame() {
            got.push(own(&f.unwrap()));
            let _ = ack_tx.send(());
        }
        writer.join().unwrap();
        assert_eq!(got, units);
    }
}
