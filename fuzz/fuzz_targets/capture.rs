//! A capture file (pcap or pcapng, any link type) through the reader, TCP reassembly, framing and
//! the conversation decoder (`mywire decode`, compressed conversations included): no panic, no
//! hang, bounded memory. The first byte picks the server port so that conversations are found.
//! Packets and the bytes inflated per conversation are limited to 1 MiB (`mywire decode`: 1 GiB
//! packets, no bound on inflation): a compressed conversation's few bytes can announce huge
//! packets, or very many; a decoded packet takes at least 4 plain bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::capture::offline::{decode_capture_with_limits, Limits};
use mywire::codec::compress::inflate_limit;

fuzz_target!(|data: &[u8]| {
    let Some((&port, capture)) = data.split_first() else {
        return;
    };
    let port = if port & 1 == 0 {
        3306
    } else {
        u16::from(port) << 4
    };
    let limits = Limits {
        max_packet: 1 << 20,
        max_inflated: 1 << 20,
    };
    if let Ok(d) = decode_capture_with_limits(capture, port, true, limits) {
        // Inflation past the limit stops at the compressed packet that crossed it.
        let inflated = (1 << 20) + inflate_limit(1 << 20);
        for c in &d.conversations {
            assert!(
                c.packets.len() <= capture.len() + inflated / 4,
                "more packets than bytes"
            );
        }
    }
});
