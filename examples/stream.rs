//! Streams a large result row by row with typed getters; memory stays flat however many rows
//! come back, because each row is a view into the received packet.
//! `cargo run --release --example stream -- 1000000` (needs MariaDB's Sequence engine and a
//! default database, as in the default URL).
use mywire::codec::value::{DateTime, Decimal};
use mywire::{Error, Options, Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut s = Session::connect(Options::from_url(&url)?).await?;
    let sql = format!(
        "SELECT seq, CONCAT('name-', seq), seq * 1.25, \
         '2024-01-01 00:00:00' + INTERVAL seq SECOND, IF(seq % 10 = 0, NULL, seq / 7) \
         FROM seq_1_to_{n}"
    );
    let mut result = s.query(&sql).await?;
    let (mut rows, mut sum, mut nulls, mut bytes) = (0u64, 0i64, 0u64, 0usize);
    let mut last: Option<DateTime> = None;
    while let Some(row) = result.next_row().await? {
        let id: i64 = row.get(0)?.unwrap_or_default();
        let name: &str = row.get(1)?.unwrap_or_default();
        let amount: Option<Decimal<'_>> = row.get(2)?; // exact, never through f64
        last = row.get(3)?;
        let ratio: Option<f64> = row.get(4)?;
        rows += 1;
        sum += id;
        bytes += name.len() + amount.map_or(0, |a| a.as_str().len());
        nulls += u64::from(ratio.is_none());
    }
    println!("{rows} rows, sum of ids {sum}, {nulls} NULLs, {bytes} text bytes, last {last:?}");
    s.close().await
}
