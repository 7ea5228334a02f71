use super::*;

fn req(sql: &str, latency_us: u64) -> Request<'_> {
    Request {
        sql,
        latency_us,
        error: None,
        rows: 1,
        bytes_in: 10,
        bytes_out: 20,
    }
}

#[test]
fn buckets_are_exact_below_32_and_within_a_32nd_above() {
    for v in 0..SUB {
        assert_eq!(bucket_value(bucket(v)), v);
    }
    let mut last = 0;
    for v in [
        32u64,
        33,
        63,
        64,
        100,
        1000,
        12_345,
        1 << 20,
        u64::MAX / 3,
        u64::MAX,
    ] {
        let b = bucket(v);
        assert!(b >= last, "buckets grow with the value");
        last = b;
        let mid = bucket_value(b);
        let err = mid.abs_diff(v) as f64 / v as f64;
        assert!(err <= 1.0 / 32.0, "{v}: bucket {b} middle {mid}");
    }
}

#[test]
fn groups_by_fingerprint_with_counts_errors_and_percentiles() {
    let mut d = Digest::new(100);
    for i in 1..=100u64 {
        d.record(&Request {
            error: (i % 10 == 0).then_some(1213),
            ..req(&format!("SELECT * FROM t WHERE id = {i}"), i * 100)
        });
    }
    d.record(&req("SELECT 1", 5));
    d.record(&Request {
        error: Some(1146),
        ..req("select * from nope", 7)
    });
    let rows = d.rows();
    assert_eq!(rows.len(), 3);
    let r = &rows[0];
    assert_eq!(r.fingerprint, "select * from t where id = ?");
    assert_eq!(r.example, "SELECT * FROM t WHERE id = 1");
    assert_eq!(
        (r.count, r.rows, r.bytes_in, r.bytes_out),
        (100, 100, 1000, 2000)
    );
    assert_eq!(r.errors, BTreeMap::from([(1213, 10)]));
    assert_eq!(r.total_us, (1..=100).map(|i| i * 100).sum::<u64>());
    assert_eq!(r.max_us, 10_000);
    for (got, exact) in [(r.p50_us, 5_000u64), (r.p95_us, 9_500), (r.p99_us, 9_900)] {
        assert!(got.abs_diff(exact) * 32 <= exact, "{got} vs {exact}");
    }
    // Sorted by total time: the ERR (7 µs) before SELECT 1 (5 µs).
    assert_eq!(rows[1].fingerprint, "select * from nope");
    assert_eq!(rows[1].errors, BTreeMap::from([(1146, 1)]));
    assert_eq!(rows[2].fingerprint, "select ?");
    assert_eq!((rows[2].p50_us, rows[2].p99_us, rows[2].max_us), (5, 5, 5));
}

#[test]
fn the_number_of_fingerprints_is_bounded() {
    let mut d = Digest::new(2);
    for t in ["a", "b", "c", "a", "d"] {
        d.record(&req(&format!("SELECT * FROM {t}"), 1));
    }
    let rows = d.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(d.dropped(), 2, "c and d");
    assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 3);
    let long = "x".repeat(MAX_EXAMPLE * 2);
    let mut d = Digest::new(1);
    d.record(&req(&format!("SELECT '{long}'"), 1));
    assert!(d.rows()[0].example.len() <= MAX_EXAMPLE + 3);
}

#[test]
fn text_and_json_renderings() {
    let mut d = Digest::new(10);
    d.record(&Request {
        error: Some(1213),
        ..req("UPDATE t SET a = 1 WHERE id = 2", 1_500)
    });
    d.record(&req("UPDATE t SET a = 5 WHERE id = 9", 2_500_000));
    d.record(&req("SELECT '\u{1b}[31m'", 12));
    let rows = d.rows();
    let text = render_text(&rows, 3);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("fingerprint"));
    assert!(lines[1].starts_with("    2.50s        2"), "{}", lines[1]);
    assert!(
        lines[1].ends_with("1213x1  update t set a = ? where id = ?"),
        "{}",
        lines[1]
    );
    assert!(lines[2].ends_with("example: UPDATE t SET a = 1 WHERE id = 2"));
    assert!(
        lines[4].contains("example: SELECT '\\x1b[31m'"),
        "escaped: {}",
        lines[4]
    );
    assert!(lines[5].starts_with("-- 3 request(s)"));
    assert_eq!(
        render_json(&rows[0]),
        "{\"fingerprint\":\"update t set a = ? where id = ?\",\"count\":2,\"errors\":{\"1213\":1},\
         \"rows\":2,\"bytes_in\":20,\"bytes_out\":40,\"latency_us\":{\"total\":2501500,\
         \"p50\":1500,\"p95\":2500000,\"p99\":2500000,\"max\":2500000},\
         \"example\":\"UPDATE t SET a = 1 WHERE id = 2\"}"
    );
    let v: Vec<char> = render_json(&rows[1]).chars().collect();
    assert!(
        !v.iter().any(|c| c.is_control()),
        "JSON lines hold no raw control character"
    );
}
