//! Reads a capture through `CaptureStream` (from a file, one record buffered), decodes each
//! frame's headers and feeds `Reassembler`, draining it every 64 frames (finished conversations
//! dropped): the streaming input path without the MySQL decoder. Built and run by
//! bench/scripts/decode-capture.sh (as its own little crate under /tmp).
//! usage: stream-probe CAPTURE PORT
use mywire::capture::pcap::{decode_frame, CaptureStream};
use mywire::capture::reassembly::{DrainConfig, Reassembler, ReassemblyConfig, StreamEvent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(port)) = (args.next(), args.next()) else {
        return Err("usage: stream-probe CAPTURE PORT".into());
    };
    let config = ReassemblyConfig {
        server_port: port.parse()?,
        ..Default::default()
    };
    let mut s = CaptureStream::new(std::fs::File::open(path)?)?;
    let mut r = Reassembler::new(config);
    let (mut frames, mut data, mut finished, mut max_live) = (0u64, 0u64, 0u64, 0usize);
    while let Some(frame) = s.next_frame() {
        let frame = frame?;
        frames += 1;
        if let Ok(seg) = decode_frame(&frame) {
            r.push(&seg);
        }
        if frames % 64 == 0 {
            for u in r.drain(DrainConfig::default()) {
                finished += u64::from(u.finished);
                for e in &u.conversation.events {
                    if let StreamEvent::Data { bytes, .. } = e {
                        data += bytes.len() as u64;
                    }
                }
            }
            max_live = max_live.max(r.live_conversations());
        }
    }
    for u in r.drain(DrainConfig::default()) {
        finished += u64::from(u.finished);
    }
    println!(
        "{frames} frames, {data} bytes reassembled, {finished} conversations finished, at most {max_live} live, buffer {} bytes",
        s.buffer_capacity()
    );
    Ok(())
}
