//! The client's first packet (SSLRequest or HandshakeResponse41), as parsed by test servers and
//! the trace decoder: no panic; parse -> encode -> parse is the identity.

// Fuzz target: a failed expect, assert or index is how it reports a broken property (libFuzzer
// records the input); the wire-data rules are for the library it drives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::handshake::{
    encode_handshake_response, encode_ssl_request, parse_client_hello, ClientHello,
};

fuzz_target!(|data: &[u8]| {
    let Ok(hello) = parse_client_hello(data) else {
        return;
    };
    let mut out = BytesMut::new();
    match &hello {
        ClientHello::SslRequest(r) => encode_ssl_request(
            r.capabilities,
            r.max_packet_size,
            r.charset,
            r.mariadb_capabilities,
            &mut out,
        ),
        ClientHello::Response(r) => encode_handshake_response(r, &mut out),
    }
    let back = parse_client_hello(&out).expect("a re-encoded client hello parses");
    assert_eq!(back, hello, "client hello round trip");
});
