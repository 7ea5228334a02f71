//! A capture file (pcap or pcapng, any link type) through the reader, TCP reassembly, framing and
//! the conversation decoder (`mywire decode`): no panic, no hang, bounded memory. The first byte
//! picks the server port so that conversations are found.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::capture::offline::decode_capture;

fuzz_target!(|data: &[u8]| {
    let Some((&port, capture)) = data.split_first() else {
        return;
    };
    let port = if port & 1 == 0 {
        3306
    } else {
        u16::from(port) << 4
    };
    if let Ok(d) = decode_capture(capture, port, true) {
        for c in &d.conversations {
            assert!(c.packets.len() <= capture.len(), "more packets than bytes");
        }
    }
});
