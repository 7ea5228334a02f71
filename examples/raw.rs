//! The raw request/response level: send a command's bytes, read the response packets yourself,
//! and decode them with the codec. `cargo run --example raw`.
use mywire::codec::command::COM_QUERY;
use mywire::codec::response::{is_result_end, parse_query_response, QueryResponse};
use mywire::codec::resultset::{parse_column_definition, RowCells};
use mywire::codec::CapabilityFlags;
use mywire::{Error, Options, Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let mut s = Session::connect(Options::from_url(&url)?).await?;
    let caps = s.capabilities();

    let mut cmd = vec![COM_QUERY];
    cmd.extend_from_slice(b"SELECT 'hello' AS greeting, 42 AS answer");
    s.send_command(&cmd).await?;

    let head = s.read_packet().await?;
    println!(
        "seq {} column count packet: {:02x?}",
        head.seq,
        &head.payload[..]
    );
    let QueryResponse::ResultSet(n) = parse_query_response(&head.payload, caps)? else {
        return Err(Error::Usage("expected a result set".into()));
    };
    for _ in 0..n {
        let f = s.read_packet().await?;
        let col = parse_column_definition(&f.payload, false)?;
        println!(
            "seq {} column {} type {}",
            f.seq,
            col.name(),
            col.column_type
        );
    }
    let mut cells = RowCells::new();
    loop {
        let f = s.read_packet().await?;
        if is_result_end(&f.payload, caps.contains(CapabilityFlags::DEPRECATE_EOF)) {
            // The session follows COM_QUERY: this packet ended the raw exchange, and a further
            // read_packet() would be refused (Error::Usage) rather than wait forever.
            println!("seq {} end of rows: {:02x?}", f.seq, &f.payload[..]);
            break;
        }
        cells.parse(&f.payload, n as usize)?;
        let values: Vec<_> = (0..cells.len())
            .map(|i| cells.get(&f.payload, i).map(String::from_utf8_lossy))
            .collect();
        println!("seq {} row {:?}", f.seq, values);
    }
    s.close().await
}
