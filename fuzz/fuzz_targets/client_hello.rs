//! The client's first packet (SSLRequest or HandshakeResponse41), as parsed by test servers and
//! the trace decoder: no panic; parse -> encode -> parse is the identity.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mywire::codec::handshake::{
    encode_handshake_response, encode_ssl_request, parse_client_hello, ClientHello,
};
use mywire::codec::CapabilityFlags;

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
    // KNOWN (tests/regressions.rs `client_hello_without_plugin_name_round_trips`): with
    // CLIENT_PLUGIN_AUTH and no plugin name the encoder writes an empty name, which parses
    // back as `Some("")`. Normalised here so the fuzzer can look past it; remove once fixed.
    let mut hello = hello;
    if let ClientHello::Response(r) = &mut hello {
        if r.capabilities.contains(CapabilityFlags::PLUGIN_AUTH) && r.auth_plugin.is_none() {
            r.auth_plugin = Some(Vec::new());
        }
    }
    assert_eq!(back, hello, "client hello round trip");
});
