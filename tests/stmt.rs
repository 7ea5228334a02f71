//! Prepared statements against the throwaway MariaDB: prepare, execute with typed parameters,
//! binary rows read with the same getters as text rows (and giving the same values), NULLs,
//! long data, errors before sending, statements of another session, reset and close, and the
//! blocking session.

// Test code: a failed unwrap, expect, panic or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a result is abandoned, possibly unread (drained by the next call).
#![allow(clippy::drop_non_drop)]

mod support;

use mywire::codec::value::{Date, DateTime, Decimal, Time};
use mywire::{Error, Options, Session, ToParam};
use support::server;

async fn connect(eof: bool) -> Session {
    let u = format!("{}?deprecate-eof={eof}", server().url());
    Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {u}: {e}"))
}

#[tokio::test]
async fn prepare_execute_select_with_parameters() {
    for eof in [true, false] {
        let mut s = connect(eof).await;
        let st = s
            .prepare("SELECT ? + 1 AS n, CONCAT(?, '!') AS t, ? AS z")
            .await
            .unwrap();
        assert_eq!(st.params().len(), 3);
        assert_eq!(st.columns().len(), 3);
        let mut r = s
            .execute(&st, &[&41i64, &"hi", &None::<i32>])
            .await
            .unwrap();
        let names: Vec<_> = r.columns().iter().map(|c| c.name().into_owned()).collect();
        assert_eq!(names, ["n", "t", "z"]);
        let row = r.next_row().await.unwrap().expect("a row");
        assert!(row.is_binary());
        assert_eq!(row.get::<i64>(0).unwrap(), Some(42));
        assert_eq!(row.get::<&str>(1).unwrap(), Some("hi!"));
        assert_eq!(row.get::<i64>(2).unwrap(), None);
        assert!(row.is_null(2));
        assert!(r.next_row().await.unwrap().is_none());
        // The statement runs again with other values (and other types).
        let mut r = s
            .execute(&st, &[&-5i8, &String::from("x"), &7u64])
            .await
            .unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), Some(-4));
        assert_eq!(row.get::<String>(1).unwrap().as_deref(), Some("x!"));
        assert_eq!(row.get::<u64>(2).unwrap(), Some(7));
        drop(r);
        s.close_statement(st).await.unwrap();
        s.ping().await.unwrap();
    }
}

/// Every column type, written with prepared parameters and read back by the text protocol
/// (COM_QUERY) and by the binary one (COM_STMT_EXECUTE): each getter gives the same value.
#[tokio::test]
async fn a_value_reads_the_same_by_text_and_binary() {
    let mut s = connect(true).await;
    s.query_drop(
        "CREATE TEMPORARY TABLE tv (id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, \
         mi MEDIUMINT, i INT UNSIGNED, bi BIGINT, ub BIGINT UNSIGNED, f FLOAT, d DOUBLE, \
         dec_ DECIMAL(20,6), y YEAR, dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, \
         tm TIME(6), vc VARCHAR(40), tx TEXT, bl BLOB, bt BIT(12), en ENUM('a','b'), \
         js JSON, n INT NULL)",
    )
    .await
    .unwrap();
    let ins = s
        .prepare("INSERT INTO tv VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .await
        .unwrap();
    let dtm = DateTime::new(Date::new(2024, 2, 29).unwrap(), 23, 59, 58, 123_456).unwrap();
    let tm = Time::new(true, 838, 59, 59, 0).unwrap();
    let dec = Decimal::parse("-12345678901234.500001").unwrap();
    let bit: &[u8] = &[0x0A, 0xBC];
    let rows: [[&dyn ToParam; 22]; 2] = [
        [
            &1i32,
            &-128i8,
            &65535u16,
            &-8_388_608i32,
            &4_294_967_295u32,
            &i64::MIN,
            &u64::MAX,
            &1.5f32,
            &-2.25e-300f64,
            &dec,
            &2155u16,
            &Date::new(2024, 2, 29).unwrap(),
            &dtm,
            &dtm,
            &tm,
            &"héllo",
            &"a longer text",
            &&b"\x00\xffbin"[..],
            &bit,
            &"b",
            &"{\"k\": [1, 2]}",
            &None::<i32>,
        ],
        [
            &2i32,
            &0i8,
            &0u16,
            &0i32,
            &0u32,
            &0i64,
            &0u64,
            &0f32,
            &0f64,
            &Decimal::parse("0.000000").unwrap(),
            &1901u16,
            &Date::new(1000, 1, 1).unwrap(),
            &DateTime::from(Date::new(1970, 1, 1).unwrap()),
            &None::<DateTime>,
            &Time::new(false, 0, 0, 0, 0).unwrap(),
            &"",
            &"",
            &&b""[..],
            &&[0u8, 0][..],
            &"a",
            &"null",
            &Some(5i32),
        ],
    ];
    for r in &rows {
        let ok = s.execute(&ins, r).await.unwrap();
        drop(ok);
    }
    s.close_statement(ins).await.unwrap();

    // Read every cell with one getter per column through both protocols and compare.
    let sql = "SELECT * FROM tv ORDER BY id";
    let sel = s.prepare(sql).await.unwrap();
    let text = collect(&mut s, None, sql).await;
    let binary = collect(&mut s, Some(&sel), sql).await;
    assert_eq!(text.len(), 2);
    for (t, b) in text.iter().zip(&binary) {
        assert_eq!(t, b, "text vs binary");
    }
    // Spot checks of what was stored.
    assert_eq!(text[0][6], "u64 Some(18446744073709551615)");
    assert_eq!(text[0][12], format!("datetime Some({dtm})"));
    assert_eq!(text[0][14], "time Some(-838:59:59)");
    assert_eq!(text[0][9], "decimal Some(-12345678901234.500001)");
    assert_eq!(text[0][21], "i32 None");
    assert_eq!(text[1][21], "i32 Some(5)");
}

/// Each cell of each row read with the getter its column calls for, as text.
async fn collect(s: &mut Session, stmt: Option<&mywire::Statement>, sql: &str) -> Vec<Vec<String>> {
    let mut r = match stmt {
        Some(st) => s.execute(st, &[]).await.unwrap(),
        None => s.query(sql).await.unwrap(),
    };
    let mut out = Vec::new();
    while let Some(row) = r.next_row().await.unwrap() {
        let binary = row.is_binary();
        assert_eq!(binary, stmt.is_some());
        let mut cells = Vec::new();
        for i in 0..row.len() {
            let c = match i {
                0 | 3 | 21 => format!("i32 {:?}", row.get::<i32>(i).unwrap()),
                1 => format!("i8 {:?}", row.get::<i8>(i).unwrap()),
                2 => format!("u16 {:?}", row.get::<u16>(i).unwrap()),
                4 => format!("u32 {:?}", row.get::<u32>(i).unwrap()),
                5 => format!("i64 {:?}", row.get::<i64>(i).unwrap()),
                6 => format!("u64 {:?}", row.get::<u64>(i).unwrap()),
                7 => format!("f32 {:?}", row.get::<f32>(i).unwrap()),
                8 => format!("f64 {:?}", row.get::<f64>(i).unwrap()),
                9 => format!(
                    "decimal {:?}",
                    row.get::<Decimal>(i).unwrap().map(|d| d.to_string())
                ),
                10 => format!("year {:?}", row.get::<u16>(i).unwrap()),
                11 => format!(
                    "date {:?}",
                    row.get::<Date>(i).unwrap().map(|d| d.to_string())
                ),
                12 | 13 => format!(
                    "datetime {:?}",
                    row.get::<DateTime>(i).unwrap().map(|d| d.to_string())
                ),
                14 => format!(
                    "time {:?}",
                    row.get::<Time>(i).unwrap().map(|d| d.to_string())
                ),
                15 | 16 | 19 | 20 => format!("str {:?}", row.get::<String>(i).unwrap()),
                17 | 18 => format!("bytes {:?}", row.get::<Vec<u8>>(i).unwrap()),
                _ => unreachable!(),
            };
            let c = c.replace("Some(\"", "Some(").replace("\")", ")");
            cells.push(c);
        }
        out.push(cells);
    }
    out
}

#[tokio::test]
async fn long_values_go_ahead_with_send_long_data() {
    let mut s = connect(true).await;
    s.query_drop("CREATE TEMPORARY TABLE tl (id INT, b LONGBLOB)")
        .await
        .unwrap();
    let big: Vec<u8> = (0..(mywire::proto::LONG_DATA_THRESHOLD * 3 + 17))
        .map(|i| (i % 251) as u8)
        .collect();
    let st = s.prepare("INSERT INTO tl VALUES (?, ?)").await.unwrap();
    drop(s.execute(&st, &[&1i32, &big]).await.unwrap());
    drop(s.execute(&st, &[&2i32, &&big[..10]]).await.unwrap());
    let sel = s.prepare("SELECT b FROM tl WHERE id = ?").await.unwrap();
    for (id, want) in [(1i32, &big[..]), (2, &big[..10])] {
        let mut r = s.execute(&sel, &[&id]).await.unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.get::<&[u8]>(0).unwrap(), Some(want));
    }
}

#[tokio::test]
async fn refusals_and_errors_leave_the_session_usable() {
    let mut s = connect(true).await;
    // A syntax error is the server's ERR, not a broken session.
    match s.prepare("SELEKT 1").await {
        Err(Error::Server(e)) => assert_eq!(e.code, 1064),
        other => panic!("{other:?}"),
    }
    let st = s.prepare("SELECT ?").await.unwrap();
    // A wrong parameter count is refused before anything is sent.
    for params in [&[][..], &[&1i32 as &dyn ToParam, &2i32][..]] {
        match s.execute(&st, params).await {
            Err(Error::Usage(m)) => assert!(m.contains("1 parameter"), "{m}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    // A statement of another session is refused.
    let mut other = connect(true).await;
    match other.execute(&st, &[&1i32]).await {
        Err(Error::Usage(m)) => assert!(m.contains("another connection"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Reset, then run it again; a result dropped unread is drained by the next command.
    s.reset_statement(&st).await.unwrap();
    let r = s.execute(&st, &[&"abc"]).await.unwrap();
    drop(r);
    let mut r = s.execute(&st, &[&3.5f64]).await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<f64>(0).unwrap(), Some(3.5));
    drop(r);
    // A closed statement is unknown to the server.
    let id = st.id();
    let copy = st.clone();
    s.close_statement(st).await.unwrap();
    match s.execute(&copy, &[&1i32]).await {
        Err(Error::Server(e)) => assert_eq!(e.code, 1243, "statement {id}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert_eq!(s.query_drop("DO 1").await.unwrap().affected_rows, 0);
    // An execute without a result set: its OK.
    s.query_drop("CREATE TEMPORARY TABLE tn (a INT)")
        .await
        .unwrap();
    let ins = s.prepare("INSERT INTO tn VALUES (?), (?)").await.unwrap();
    let r = s.execute(&ins, &[&1i32, &2i32]).await.unwrap();
    drop(r);
    assert_eq!(s.last_ok().affected_rows, 2);
}

#[test]
fn blocking_session_prepares_and_executes() {
    use mywire::session::blocking::Session;
    let mut s = Session::connect(Options::from_url(&server().url()).unwrap()).unwrap();
    let st = s.prepare("SELECT ? * 2, ?").unwrap();
    let mut r = s.execute(&st, &[&21u8, &Some("z")]).unwrap();
    let row = r.next_row().unwrap().unwrap();
    assert!(row.is_binary());
    assert_eq!(row.get::<u32>(0).unwrap(), Some(42));
    assert_eq!(row.get::<&str>(1).unwrap(), Some("z"));
    assert!(r.next_row().unwrap().is_none());
    s.close_statement(st).unwrap();
    s.ping().unwrap();
    for i in 0..3i32 {
        let mut r = s.exec("SELECT ? * 3", &[&i]).unwrap();
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(row.get::<i32>(0).unwrap(), Some(i * 3));
    }
    assert_eq!(s.engine().cached_statements(), 1);
}

/// The session's own counters: (Com_stmt_prepare, Com_stmt_close).
async fn stmt_counters(s: &mut Session) -> (u64, u64) {
    let mut r = s
        .query(
            "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_STATUS \
             WHERE VARIABLE_NAME IN ('COM_STMT_PREPARE', 'COM_STMT_CLOSE')",
        )
        .await
        .unwrap();
    let (mut prepare, mut close) = (0, 0);
    while let Some(row) = r.next_row().await.unwrap() {
        let v: u64 = row.get(1).unwrap().unwrap();
        match row.get::<&str>(0).unwrap().unwrap() {
            "COM_STMT_PREPARE" => prepare = v,
            "COM_STMT_CLOSE" => close = v,
            other => panic!("{other}"),
        }
    }
    (prepare, close)
}

async fn exec_one(s: &mut Session, sql: &str) -> i64 {
    let mut r = s.exec(sql, &[&1i64]).await.unwrap();
    let v = r
        .next_row()
        .await
        .unwrap()
        .unwrap()
        .get::<i64>(0)
        .unwrap()
        .unwrap();
    while r.next_row().await.unwrap().is_some() {}
    v
}

/// `exec` prepares a statement once and keeps it; the least recently used is closed when the
/// cache is full, so the server never holds more than `stmt-cache` of them for the session.
#[tokio::test]
async fn exec_caches_statements_and_closes_the_evicted() {
    let u = format!("{}?stmt-cache=2", server().url());
    let mut s = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap();
    let base = stmt_counters(&mut s).await;
    let (a, b, c) = ("SELECT ? + 0", "SELECT ? + 1", "SELECT ? + 2");
    assert_eq!(exec_one(&mut s, a).await, 1);
    assert_eq!(exec_one(&mut s, b).await, 2);
    assert_eq!(exec_one(&mut s, a).await, 1); // cached
    assert_eq!(exec_one(&mut s, c).await, 3); // evicts b, the least recently used
    assert_eq!(exec_one(&mut s, a).await, 1); // still cached
    assert_eq!(exec_one(&mut s, b).await, 2); // prepared again, evicts c
    assert_eq!(s.engine().cached_statements(), 2);
    let now = stmt_counters(&mut s).await;
    assert_eq!((now.0 - base.0, now.1 - base.1), (4, 2), "prepares, closes");
    // COM_RESET_CONNECTION drops the server's statements: the cache forgets them too.
    s.reset().await.unwrap();
    assert_eq!(s.engine().cached_statements(), 0);
    assert_eq!(exec_one(&mut s, a).await, 1);

    // stmt-cache=0: nothing is kept beyond the statement running.
    let u = format!("{}?stmt-cache=0", server().url());
    let mut s = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap();
    let base = stmt_counters(&mut s).await;
    for _ in 0..3 {
        assert_eq!(exec_one(&mut s, a).await, 1);
    }
    let now = stmt_counters(&mut s).await;
    assert_eq!((now.0 - base.0, now.1 - base.1), (3, 2), "prepares, closes");
}

/// The futures of commands with parameters are `Send` (`ToParam: Sync`): they run in tasks
/// spawned on the multi-threaded runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_with_parameters_run_in_spawned_tasks() {
    let task = tokio::spawn(async {
        let mut s = connect(true).await;
        let n: i64 = 41;
        let text = String::from("x");
        let params: [&dyn ToParam; 2] = [&n, &text];
        let mut r = s.exec("SELECT ? + 1, ?", &params).await.unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        let v: i64 = row.get(0).unwrap().unwrap();
        let t: String = row.get(1).unwrap().unwrap();
        drop(r);
        s.query_drop("CREATE TEMPORARY TABLE spawned (v VARCHAR(10))")
            .await
            .unwrap();
        let stmt = s.prepare("INSERT INTO spawned VALUES (?)").await.unwrap();
        let rows: [[&dyn ToParam; 1]; 2] = [[&n], [&text]];
        let b = s.exec_batch(&stmt, &rows).await.unwrap();
        assert_eq!(b.affected_rows, 2);
        (v, t)
    });
    assert_eq!(task.await.unwrap(), (42, "x".to_string()));
}
