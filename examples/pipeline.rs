//! Pipelining: many queries written before their responses are read.
//! `cargo run --release --example pipeline` compares 20,000 sequential `SELECT 1` with a pipeline.
use mywire::{Error, Options, Session};
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let mut s = Session::connect(Options::from_url(&url)?).await?;

    // One failing query in the middle: the others still get their own responses, in order.
    let mut p = s
        .pipeline(["SELECT 'a'", "SELECT * FROM no_such_db.t", "SELECT 'c'"])
        .await?;
    while let Some(r) = p.next().await {
        match r {
            Ok(mut rs) => {
                while let Some(row) = rs.next_row().await? {
                    println!("row: {}", row.text(0).unwrap_or_default());
                }
            }
            Err(e) => println!("error: {e}"),
        }
    }
    drop(p);

    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        s.query_drop("SELECT 1").await?;
    }
    let seq = t.elapsed();
    let t = Instant::now();
    let mut p = s.pipeline(std::iter::repeat_n("SELECT 1", n)).await?;
    let mut rows = 0;
    while let Some(r) = p.next().await {
        let mut rs = r?;
        while rs.next_row().await?.is_some() {
            rows += 1;
        }
    }
    drop(p);
    let pipe = t.elapsed();
    assert_eq!(rows, n);
    println!(
        "{n} x SELECT 1: sequential {seq:?}, pipelined {pipe:?} ({:.1}x)",
        seq.as_secs_f64() / pipe.as_secs_f64()
    );
    s.close().await
}
