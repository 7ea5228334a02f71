//! The connection phase: greeting, auth switch, TLS point, refusals.

use super::*;

// ---- connection phase -------------------------------------------------------------------

#[test]
fn connect_recorded_greeting_native_password() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut log = Vec::new();
        let mut w = Wire::new(chunk, &pkt(0, GREETING));
        let mut e = Engine::connect(MAX_PACKET, config(true, false));
        // The greeting alone: the handshake response is queued, the verdict awaited.
        assert!(w.pump(&mut e, |e| e.connect_step()).unwrap().is_none());
        log.push(format!("{:?} sent {}", e.phase(), packets(&w.tx).len()));
        w.server(&pkt(2, &AUTH_OK[4..]));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!(
            "{ev:?} {:?} status={:#x}",
            e.phase(),
            e.status().bits()
        ));
        assert!(w.all_read() && e.is_idle() && !e.is_broken());
        (log, w.tx)
    });
    assert_eq!(log, ["Auth sent 1", "Connected Command status=0x2"]);
    let p = packets(&tx);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, 1, "the handshake response has sequence id 1");
    let ClientHello::Response(r) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not a handshake response");
    };
    let hs = parse_handshake(GREETING).unwrap();
    assert_eq!(hs.server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
    assert_eq!(r.user, b"alice");
    assert_eq!(
        r.auth_plugin.as_deref(),
        Some(&b"mysql_native_password"[..])
    );
    assert_eq!(r.auth_response, native::scramble(&hs.nonce, PASSWORD));
    assert_eq!(
        r.capabilities,
        config(true, false).capabilities & hs.capabilities
    );
    assert!(r.capabilities.contains(CapabilityFlags::DEPRECATE_EOF));
}

#[test]
fn connect_with_auth_switch() {
    let nonce2 = *b"ZYXWVUTSRQPONMLKJIH0";
    let mut switch = BytesMut::new();
    encode_auth_switch(
        &AuthSwitch {
            plugin: "mysql_native_password".into(),
            data: nonce2.to_vec(),
        },
        &mut switch,
    );
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut s = greeting_with(|hs| hs.auth_plugin = Some("caching_sha2_password".into()));
        s.extend(pkt(2, &switch));
        s.extend(pkt(4, &AUTH_OK[4..]));
        let mut w = Wire::new(chunk, &s);
        let mut e = Engine::connect(MAX_PACKET, config(true, false));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        assert!(w.all_read());
        (vec![format!("{ev:?}")], w.tx)
    });
    assert_eq!(log, ["Connected"]);
    let p = packets(&tx);
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].0, p[1].0),
        (1, 3),
        "response seq 1, switch answer seq 3"
    );
    let ClientHello::Response(r) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not a handshake response");
    };
    assert_eq!(
        r.auth_plugin.as_deref(),
        Some(&b"caching_sha2_password"[..])
    );
    assert_eq!(r.auth_response.len(), 32);
    assert_eq!(p[1].1, native::scramble(&nonce2, PASSWORD));
}

#[test]
fn connect_tls_upgrade() {
    let (log, tx) = same_for_all_chunks(&CHUNKS, |chunk| {
        let mut log = Vec::new();
        let greeting = greeting_with(|hs| hs.capabilities |= CapabilityFlags::SSL);
        let mut w = Wire::new(chunk, &greeting);
        let mut e = Engine::connect(MAX_PACKET, config(true, true));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!("{ev:?} sent {}", packets(&w.tx).len()));
        // Until the driver says TLS runs, stepping is a usage error (not a broken engine).
        assert!(matches!(e.connect_step(), Err(Error::Usage(_))));
        assert!(!e.is_broken());
        e.tls_established().unwrap();
        w.take_tx(&mut e);
        log.push(format!("tls sent {}", packets(&w.tx).len()));
        // Everything after the TLS point comes "through TLS".
        w.server(&pkt(3, &AUTH_OK[4..]));
        let ev = w.drive(&mut e, |e| e.connect_step()).unwrap();
        log.push(format!("{ev:?}"));
        assert!(matches!(e.tls_established(), Err(Error::Usage(_))));
        (log, w.tx)
    });
    assert_eq!(log, ["StartTls sent 1", "tls sent 2", "Connected"]);
    let p = packets(&tx);
    assert_eq!((p[0].0, p[1].0), (1, 2));
    let ClientHello::SslRequest(req) = parse_client_hello(&p[0].1).unwrap() else {
        panic!("not an SSLRequest");
    };
    assert!(req.capabilities.contains(CapabilityFlags::SSL));
    assert!(req.user.is_empty());
    let ClientHello::Response(r) = parse_client_hello(&p[1].1).unwrap() else {
        panic!("not a handshake response");
    };
    assert!(r.capabilities.contains(CapabilityFlags::SSL));
    assert_eq!(r.user, b"alice");
}

#[test]
fn tls_refuses_bytes_after_the_greeting() {
    // Only meaningful when the stray bytes arrive with the greeting: one run, whole stream.
    let mut s = greeting_with(|hs| hs.capabilities |= CapabilityFlags::SSL);
    s.extend(pkt(1, b"injected"));
    let mut w = Wire::new(usize::MAX, &s);
    let mut e = Engine::connect(MAX_PACKET, config(true, true));
    assert!(matches!(
        w.drive(&mut e, |e| e.connect_step()),
        Err(Error::Protocol(_))
    ));
    assert!(e.is_broken());
    assert!(w.tx.is_empty(), "nothing may be sent");
}

#[test]
fn requires_tls_refuses_a_server_without_it() {
    for chunk in CHUNKS {
        let mut w = Wire::new(chunk, &pkt(0, GREETING));
        let mut cfg = config(true, true);
        cfg.requires_tls = true;
        let mut e = Engine::connect(MAX_PACKET, cfg);
        match w.drive(&mut e, |e| e.connect_step()) {
            Err(Error::Tls(t)) => {
                assert_eq!(t.kind(), crate::error::TlsErrorKind::NotOffered);
                assert!(t.to_string().contains("does not offer TLS"), "{t}");
            }
            other => panic!("expected a TLS error, got {other:?}"),
        }
        assert!(w.tx.is_empty(), "nothing may be sent");
        // A refused connect leaves nothing to use.
        assert!(matches!(e.connect_step(), Err(Error::Broken(_))));
        assert!(matches!(e.start_query("DO 1"), Err(Error::Broken(_))));
        assert!(!e.wants_write());
    }
}

#[test]
fn an_err_instead_of_a_greeting_ends_the_connection() {
    for chunk in CHUNKS {
        let mut w = Wire::new(chunk, &err(0, 1130, "Host is not allowed to connect"));
        let mut e = Engine::connect(MAX_PACKET, config(false, true));
        match w.drive(&mut e, |e| e.connect_step()) {
            Err(Error::Server(s)) => assert_eq!(s.code, 1130),
            other => panic!("expected the server's error, got {other:?}"),
        }
        assert!(e.is_broken());
        assert!(matches!(e.connect_step(), Err(Error::Broken(_))));
        assert!(matches!(e.start_query("DO 1"), Err(Error::Broken(_))));
        assert!(w.tx.is_empty());
    }
}
