//! Query fingerprints and digests on arbitrary SQL text (a capture's queries are the server's
//! and the client's untrusted bytes): `trace::fingerprint::fingerprint` never panics, is
//! deterministic and stays within its bound; a digest of the text (and of its halves) renders
//! as a text table and as JSON lines that hold no raw character below U+0020.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::trace::digest::{render_json, render_text, Digest, Request};
use mywire::trace::fingerprint::{fingerprint, MAX_FINGERPRINT};

fuzz_target!(|data: &[u8]| {
    let sql = String::from_utf8_lossy(data);
    let f = fingerprint(&sql);
    assert!(
        f.len() <= MAX_FINGERPRINT + '…'.len_utf8(),
        "fingerprint of {} bytes",
        f.len()
    );
    assert_eq!(f, fingerprint(&sql), "not deterministic");
    let mut d = Digest::new(2);
    let half = sql.len() / 2;
    let cut = (0..=half)
        .rev()
        .find(|&i| sql.is_char_boundary(i))
        .unwrap_or(0);
    for (i, s) in [&sql[..], &sql[..cut], &sql[cut..]].into_iter().enumerate() {
        d.record(&Request {
            sql: s,
            latency_us: (data.len() as u64).wrapping_mul(i as u64 + 1),
            error: (i == 1).then_some(1213),
            rows: i as u64,
            bytes_in: data.len() as u64,
            bytes_out: 0,
        });
    }
    let rows = d.rows();
    assert!(rows.len() <= 2, "the fingerprint limit");
    let _ = render_text(&rows, d.dropped());
    for r in &rows {
        let j = render_json(r);
        assert!(
            !j.chars().any(|c| c < ' '),
            "a raw character below U+0020 in a JSON line (JSON requires them escaped; DEL and C1 \
             controls may be copied, as the trace's JSON lines do)"
        );
    }
});
