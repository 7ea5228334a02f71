//! The peers on their prepared-statement (binary protocol) paths, for `bulk`, `bulk1k` and
//! `roundtrip`: zero-mysql (tokio and blocking, one body) and mysql_async. Each prepares its
//! statement before the clock starts, like `raw-ps` and `mywire-ps`, and decodes every cell
//! as its type with the client's own typed decoding (the same types as sqlx and mysql_async's
//! text rows: `i32`, `&str`/`String`, `rust_decimal::Decimal`, `NaiveDateTime`, `f64`,
//! `Option<&str>`/`Option<String>`), so the work matches the other typed rows.

use crate::clients::{bulk_check, Measured, Params, Res, Timer, BULK_1K_SQL, BULK_SQL};

// ---- zero-mysql (binary protocol) ---------------------------------------------------------

pub mod zmb {
    use chrono::NaiveDateTime;
    use rust_decimal::Decimal;
    use zero_mysql::error::Result;
    use zero_mysql::protocol::command::ColumnDefinition;
    use zero_mysql::protocol::response::OkPayloadBytes;
    use zero_mysql::protocol::{BinaryResultSetHandler, BinaryRowPayload};
    use zero_mysql::raw::FromRow;

    /// Decodes each binary row with zero-mysql's own `FromRow` for a tuple of typed cells
    /// (borrowing the strings from its buffer).
    #[derive(Default)]
    pub struct Bulk {
        pub rows: u64,
        pub sum: i64,
        pub bytes: usize,
    }

    type BulkRow<'a> = (i32, &'a str, Decimal, NaiveDateTime, f64, Option<&'a str>);

    impl BinaryResultSetHandler for Bulk {
        fn no_result_set(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
        fn resultset_start(&mut self, _: &[ColumnDefinition<'_>]) -> Result<()> {
            Ok(())
        }
        fn row(&mut self, cols: &[ColumnDefinition<'_>], row: BinaryRowPayload<'_>) -> Result<()> {
            let (id, name, amount, created, score, note) = BulkRow::from_row(cols, row)?;
            self.rows += 1;
            self.sum += i64::from(id);
            self.bytes += name.len()
                + amount.scale() as usize
                + created.and_utc().timestamp_subsec_micros() as usize
                + note.map_or(0, str::len);
            std::hint::black_box(score);
            Ok(())
        }
        fn resultset_end(&mut self, _: OkPayloadBytes) -> Result<()> {
            Ok(())
        }
    }
}

macro_rules! zero_mysql_ps_client {
    ($name:ident, $conn:path, [$($aw:tt)*], $($kw:tt)*) => {
pub $($kw)* fn $name(w: &str, p: &Params) -> Res<Measured> {
    use $conn as Conn;
    use zero_mysql::Opts;
    let mut opts = Opts::try_from(p.url.as_str())?;
    opts.upgrade_to_unix_socket = false;
    let mut c = Conn::new(opts)$($aw)*?;
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            let mut st = c.prepare(sql)$($aw)*?;
            let tm = Timer::start();
            let mut h = zmb::Bulk::default();
            c.exec(&mut st, (), &mut h)$($aw)*?;
            std::hint::black_box(h.bytes);
            tm.stop(0, bulk_check(h.rows, h.sum))
        }
        "roundtrip" => {
            let mut st = c.prepare("SELECT 1")$($aw)*?;
            let tm = Timer::start();
            let mut sum = 0i64;
            for _ in 0..p.n {
                let r: Option<(i64,)> = c.exec_first(&mut st, ())$($aw)*?;
                sum += r.map_or(0, |r| r.0);
            }
            tm.stop(0, format!("n={sum}"))
        }
        _ => return Err(format!("{}: no workload {w}", stringify!($name)).into()),
    };
    drop(c);
    Ok(m)
}
    };
}

zero_mysql_ps_client!(zero_mysql_ps, zero_mysql::tokio::Conn, [.await], async);
zero_mysql_ps_client!(zero_mysql_sync_ps, zero_mysql::sync::Conn, [],);

// ---- mysql_async (binary protocol) --------------------------------------------------------

pub async fn mysql_async_ps(w: &str, p: &Params) -> Res<Measured> {
    use chrono::NaiveDateTime;
    use mysql_async::prelude::*;
    use mysql_async::{Conn, Opts, OptsBuilder};
    use rust_decimal::Decimal;
    let opts: Opts = OptsBuilder::from_opts(Opts::from_url(&p.url)?)
        .prefer_socket(false)
        .into();
    let mut c = Conn::new(opts).await?;
    let m = match w {
        "bulk" | "bulk1k" => {
            let sql = if w == "bulk" { BULK_SQL } else { BULK_1K_SQL };
            let st = c.prep(sql).await?;
            let tm = Timer::start();
            let (mut rows, mut sum, mut bytes) = (0u64, 0i64, 0usize);
            let mut r = c.exec_iter(&st, ()).await?;
            r.for_each(|row| {
                let (id, name, amount, created, score, note): (
                    i32,
                    String,
                    Decimal,
                    NaiveDateTime,
                    f64,
                    Option<String>,
                ) = mysql_async::from_row(row);
                rows += 1;
                sum += i64::from(id);
                bytes += name.len()
                    + amount.scale() as usize
                    + created.and_utc().timestamp_subsec_micros() as usize
                    + note.map_or(0, |n| n.len());
                std::hint::black_box(score);
            })
            .await?;
            drop(r);
            std::hint::black_box(bytes);
            tm.stop(0, bulk_check(rows, sum))
        }
        "roundtrip" => {
            let st = c.prep("SELECT 1").await?;
            let tm = Timer::start();
            let mut sum = 0i64;
            for _ in 0..p.n {
                sum += c.exec_first::<i64, _, _>(&st, ()).await?.unwrap_or(0);
            }
            tm.stop(0, format!("n={sum}"))
        }
        _ => return Err(format!("mysql_async-ps: no workload {w}").into()),
    };
    c.disconnect().await?;
    Ok(m)
}
