use super::*;
use std::time::{Duration, Instant};

fn age(created_ago: u64, returned_ago: u64, now: Instant) -> Age {
    Age {
        created: now - Duration::from_secs(created_ago),
        returned: now - Duration::from_secs(returned_ago),
    }
}

#[test]
fn verdicts_follow_lifetime_idle_timeout_and_health_check() {
    let p = PoolOptions {
        max_lifetime: Some(Duration::from_secs(100)),
        idle_timeout: Some(Duration::from_secs(50)),
        health_check_after: Some(Duration::from_secs(5)),
        ..PoolOptions::default()
    };
    let now = Instant::now() + Duration::from_secs(1000);
    assert_eq!(p.verdict(age(10, 1, now), now, true), Verdict::Use);
    assert_eq!(p.verdict(age(10, 6, now), now, true), Verdict::Check);
    assert_eq!(
        p.verdict(age(100, 1, now), now, false),
        Verdict::Close(CloseReason::Lifetime)
    );
    assert_eq!(
        p.verdict(age(60, 55, now), now, true),
        Verdict::Close(CloseReason::IdleTimeout)
    );
    // Within min_idle (not spare): kept, but checked.
    assert_eq!(p.verdict(age(60, 55, now), now, false), Verdict::Check);
    let never = PoolOptions {
        max_lifetime: None,
        idle_timeout: None,
        health_check_after: None,
        ..PoolOptions::default()
    };
    assert_eq!(never.verdict(age(999, 999, now), now, true), Verdict::Use);
    let always = PoolOptions {
        health_check_after: Some(Duration::ZERO),
        ..never
    };
    assert_eq!(always.verdict(age(0, 0, now), now, true), Verdict::Check);
}

#[test]
fn sizes_are_checked() {
    assert!(PoolOptions::with_max_size(0).checked().is_err());
    let p = PoolOptions {
        min_idle: 3,
        ..PoolOptions::with_max_size(2)
    };
    let e = p.checked().unwrap_err().to_string();
    assert!(e.contains("min_idle"), "{e}");
    assert!(PoolOptions::with_max_size(1).checked().is_ok());
}

#[test]
fn metrics_count_by_reason() {
    let c = Counters::default();
    c.closed(CloseReason::HealthCheck);
    c.closed(CloseReason::HealthCheck);
    c.closed(CloseReason::Broken);
    c.opened();
    c.acquired(Duration::from_micros(30));
    c.acquired(Duration::from_micros(10));
    let m = c.snapshot(3, 1, 2);
    assert_eq!((m.size, m.idle, m.in_use, m.waiting), (3, 1, 2, 2));
    assert_eq!(m.closed(CloseReason::HealthCheck), 2);
    assert_eq!(m.closed(CloseReason::Broken), 1);
    assert_eq!(m.closed_total(), 3);
    assert_eq!(
        (m.acquired, m.acquire_wait_us, m.acquire_wait_max_us),
        (2, 40, 30)
    );
    let names: Vec<_> = CloseReason::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names.len(), 6);
}
