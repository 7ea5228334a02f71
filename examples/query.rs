//! Runs one query and prints every result: `cargo run --example query -- 'SELECT 1'`.
//! The server comes from `DATABASE_URL` (default `mysql://root@127.0.0.1:3306`).
use mywire::{Error, Options, Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let sql = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "SELECT VERSION()".into());
    let mut opts = Options::from_url(&url)?;
    opts.multi_statements = true;
    let mut session = Session::connect(opts).await?;
    println!(
        "connected to {} (id {})",
        session.server_version(),
        session.connection_id()
    );
    let mut result = session.query(&sql).await?;
    loop {
        if result.is_result_set() {
            let names: Vec<_> = result
                .columns()
                .iter()
                .map(|c| c.name().into_owned())
                .collect();
            println!("{}", names.join("\t"));
            while let Some(row) = result.next_row().await? {
                let cells: Vec<String> = (0..row.len())
                    .map(|i| {
                        row.text(i)
                            .map(|t| t.into_owned())
                            .unwrap_or_else(|| "NULL".into())
                    })
                    .collect();
                println!("{}", cells.join("\t"));
            }
        } else {
            println!("OK, {} rows affected", result.affected_rows());
        }
        if !result.next_result().await? {
            break;
        }
    }
    session.close().await
}
