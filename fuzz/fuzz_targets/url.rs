//! Options::from_url on arbitrary strings (as is, and behind a `mysql://` prefix): no panic; the
//! Debug output and the redacted URL do not depend on the password's content (so never show it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mywire::Options;

fn check(url: &str) {
    let Ok(o) = Options::from_url(url) else {
        return;
    };
    let _ = o.endpoint();
    let mut other = o.clone();
    if !o.password.is_empty() {
        other.password = "x".into();
    }
    assert_eq!(
        format!("{o:?}"),
        format!("{other:?}"),
        "Debug output shows the password"
    );
    assert_eq!(
        o.redacted_url(),
        other.redacted_url(),
        "redacted URL shows the password"
    );
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    check(&s);
    check(&format!("mysql://{s}"));
});
