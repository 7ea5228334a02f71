//! Shared by the feature value tests: a session, and a value read by both protocols.

use mywire::codec::value::FromValue;
use mywire::{Error, Options, Session, ToParam};

use super::support::server;

/// A strict, UTC session (TIMESTAMP values are not shifted; out-of-range inserts fail).
pub async fn connect() -> Session {
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap())
        .await
        .unwrap();
    s.query_drop("SET sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00'")
        .await
        .unwrap();
    s
}

/// Cell 0 of `sql`'s first row as `T`, by the text protocol (COM_QUERY) and by the binary
/// protocol (the same SQL prepared and executed without parameters).
pub async fn both<T: for<'a> FromValue<'a>>(
    s: &mut Session,
    sql: &str,
) -> [Result<Option<T>, Error>; 2] {
    let text = {
        let mut r = s.query(sql).await.unwrap();
        let row = r.next_row().await.unwrap().expect("a row");
        row.get::<T>(0)
    };
    let binary = {
        let mut r = s.exec(sql, &[]).await.unwrap();
        let row = r.next_row().await.unwrap().expect("a row");
        assert!(row.is_binary());
        row.get::<T>(0)
    };
    [text, binary]
}

/// Cell 0 of `sql` as `T`, the same by both protocols.
pub async fn read<T: for<'a> FromValue<'a> + PartialEq + std::fmt::Debug>(
    s: &mut Session,
    sql: &str,
) -> Option<T> {
    let [text, binary] = both::<T>(s, sql).await;
    let text = text.unwrap_or_else(|e| panic!("{sql} by text: {e}"));
    let binary = binary.unwrap_or_else(|e| panic!("{sql} by binary: {e}"));
    assert_eq!(text, binary, "{sql}: text and binary differ");
    text
}

/// The error both protocols give for cell 0 of `sql` as `T`: the same message, naming the
/// column, its SQL type and the Rust type.
pub async fn refused<T: for<'a> FromValue<'a> + std::fmt::Debug>(
    s: &mut Session,
    sql: &str,
) -> String {
    let [text, binary] = both::<T>(s, sql).await;
    let text = text.expect_err(sql).to_string();
    let binary = binary.expect_err(sql).to_string();
    assert_eq!(text, binary, "{sql}: the two protocols fail differently");
    text
}

/// `v` sent as a parameter (`SELECT ?` through `CAST(? AS <sql_type>)`), its server text and
/// its value read back as `T` by both protocols from a column of that type.
pub async fn round_trip<P, T>(s: &mut Session, v: &P, sql_type: &str) -> (String, T)
where
    P: ToParam,
    T: for<'a> FromValue<'a> + PartialEq + std::fmt::Debug,
{
    s.query_drop("DROP TEMPORARY TABLE IF EXISTS rt")
        .await
        .unwrap();
    s.query_drop(&format!("CREATE TEMPORARY TABLE rt (v {sql_type})"))
        .await
        .unwrap();
    s.exec("INSERT INTO rt VALUES (?)", &[v]).await.unwrap();
    let text: String = read(s, "SELECT CAST(v AS CHAR) FROM rt").await.unwrap();
    let back: T = read(s, "SELECT v FROM rt").await.unwrap();
    (text, back)
}
