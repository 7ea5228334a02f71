//! Prints a decoded trace of a short session to stderr: `cargo run --example trace`.
//! Writes `trace.pcapng` too, for Wireshark / tshark.
use mywire::capture::PcapngTracer;
use mywire::trace::format::{Format, Tee, WriterTracer};
use mywire::{Error, Options, Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let opts = Options::from_url(&url)?;
    let text = WriterTracer::new(std::io::stderr(), Format::Text, false, false);
    let file = std::fs::File::create("trace.pcapng")?;
    let pcap = PcapngTracer::new(
        std::io::BufWriter::new(file),
        "127.0.0.1:50000"
            .parse()
            .map_err(|_| Error::Usage("addr".into()))?,
        format!("127.0.0.1:{}", opts.port)
            .parse()
            .map_err(|_| Error::Usage("addr".into()))?,
    )?;
    let tracer = Tee(vec![Box::new(text), Box::new(pcap)]);
    let mut s = Session::connect_traced(opts, Some(Box::new(tracer))).await?;
    s.query_drop("SELECT 1 AS a, 'x' AS b UNION SELECT 2, NULL")
        .await?;
    s.query_drop("USE mysql").await?;
    s.ping().await?;
    s.close().await
}
