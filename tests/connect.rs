//! Connecting and the simple commands, against the throwaway MariaDB.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// `drop(result)` marks where a `QueryResult` is abandoned (possibly unread): that is what
// these tests exercise, even though the type has no `Drop` impl.
#![allow(clippy::drop_non_drop)]

mod support;

use std::time::{Duration, Instant};

use mywire::{Error, Options, Session};
use support::{server, DATABASE, NOPW_USER, PASSWORD, USER};

/// `url` with `deprecate-eof` set (appends `?` or `&`).
fn with_eof(url: &str, eof: bool) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}deprecate-eof={eof}")
}

async fn connect(url: &str) -> Session {
    Session::connect(Options::from_url(url).expect("url"))
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

/// All cells of all rows of the first result, as text (`None` for NULL).
async fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut r = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    while let Some(row) = r.next_row().await.expect("row") {
        out.push(
            (0..row.len())
                .map(|i| row.text(i).map(|c| c.into_owned()))
                .collect(),
        );
    }
    out
}

async fn scalar(s: &mut Session, sql: &str) -> Option<String> {
    let r = rows(s, sql).await;
    assert_eq!(r.len(), 1, "{sql}: expected one row, got {r:?}");
    r[0][0].clone()
}

fn server_err(e: &Error) -> (u16, &str) {
    match e {
        Error::Server(se) => (se.code, se.sql_state.as_str()),
        other => panic!("expected Error::Server, got {other:?}"),
    }
}

async fn check_identity(url: &str) {
    for eof in [true, false] {
        let mut s = connect(&with_eof(url, eof)).await;
        assert!(
            s.server_version().contains("MariaDB"),
            "server_version {:?}",
            s.server_version()
        );
        assert!(
            !s.server_version().starts_with("5.5.5-"),
            "the 5.5.5- prefix should be removed: {:?}",
            s.server_version()
        );
        assert!(s.connection_id() > 0);
        let id = scalar(&mut s, "SELECT CONNECTION_ID()").await.unwrap();
        assert_eq!(id, s.connection_id().to_string());
        let mut r = s.query("SELECT CONNECTION_ID()").await.unwrap();
        let row = r.next_row().await.unwrap().unwrap();
        let typed: u32 = row.get(0).unwrap().unwrap();
        drop(r);
        assert_eq!(typed, s.connection_id());
        assert!(!s.is_broken());
        s.close().await.unwrap();
    }
}

#[tokio::test]
async fn tcp_connect_reports_mariadb_version_and_connection_id() {
    check_identity(&server().url()).await;
}

#[tokio::test]
async fn unix_socket_connect_reports_mariadb_version_and_connection_id() {
    let url = server().socket_url();
    check_identity(&url).await;
    // And it really is the socket: the server sees a localhost connection, not 127.0.0.1.
    let mut s = connect(&url).await;
    let host = scalar(
        &mut s,
        "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()",
    )
    .await
    .unwrap();
    assert_eq!(host, "localhost");
}

#[tokio::test]
async fn wrong_password_is_server_error_1045_28000() {
    let url = server().url_for(USER, "not-the-password");
    let e = Session::connect(Options::from_url(&url).unwrap())
        .await
        .expect_err("wrong password must fail");
    let (code, state) = server_err(&e);
    assert_eq!((code, state), (1045, "28000"), "{e}");
    assert!(e.to_string().contains("Access denied"), "{e}");
}

#[tokio::test]
async fn unknown_database_is_server_error_1049_42000() {
    let url = format!(
        "mysql://{USER}:{PASSWORD}@127.0.0.1:{}/no_such_db_here",
        server().port
    );
    for eof in [true, false] {
        let e = Session::connect(Options::from_url(&with_eof(&url, eof)).unwrap())
            .await
            .expect_err("unknown database must fail");
        assert_eq!(server_err(&e), (1049, "42000"), "{e}");
    }
}

#[tokio::test]
async fn user_with_empty_password_connects() {
    let url = server().url_for(NOPW_USER, "");
    for eof in [true, false] {
        let mut s = connect(&with_eof(&url, eof)).await;
        let who = scalar(&mut s, "SELECT CURRENT_USER()").await.unwrap();
        assert!(who.starts_with(&format!("{NOPW_USER}@")), "{who}");
        s.close().await.unwrap();
    }
    // A password for a password-less account is refused.
    let e = Session::connect(Options::from_url(&server().url_for(NOPW_USER, "x")).unwrap())
        .await
        .expect_err("password for an account without one");
    assert_eq!(server_err(&e).0, 1045);
}

#[tokio::test]
async fn closed_port_is_io_error_naming_the_address() {
    let port = support::free_port();
    let url = format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}");
    let t0 = Instant::now();
    let e = Session::connect(Options::from_url(&url).unwrap())
        .await
        .expect_err("nothing listens there");
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
    match &e {
        Error::Io(io) => {
            assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{io}")
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert!(
        e.to_string().contains(&format!("127.0.0.1:{port}")),
        "message should name the address: {e}"
    );
}

#[tokio::test]
async fn missing_socket_is_io_error_naming_the_path() {
    let path = server().tmp_dir.join("no-such.sock");
    let url = format!(
        "mysql://{USER}:{PASSWORD}@localhost/{DATABASE}?socket={}",
        support::pct_encode(&path.to_string_lossy(), true)
    );
    let e = Session::connect(Options::from_url(&url).unwrap())
        .await
        .expect_err("no socket there");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert!(e.to_string().contains("no-such.sock"), "{e}");
}

#[tokio::test]
async fn database_from_url_is_selected() {
    for eof in [true, false] {
        let mut s = connect(&with_eof(&server().url(), eof)).await;
        assert_eq!(
            scalar(&mut s, "SELECT DATABASE()").await.as_deref(),
            Some(DATABASE)
        );
    }
    // Without a database in the URL there is none.
    let url = format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{}", server().port);
    let mut s = connect(&url).await;
    assert_eq!(scalar(&mut s, "SELECT DATABASE()").await, None);
}

#[tokio::test]
async fn connect_attributes_reach_the_server() {
    let mut o = Options::from_url(&server().url()).unwrap();
    o.attributes
        .push(("test_attr".to_string(), "wire-42".to_string()));
    let mut s = Session::connect(o).await.unwrap();
    let ps = scalar(&mut s, "SELECT @@performance_schema").await.unwrap();
    if ps != "1" {
        return support::skip_or_fail(
            "performance_schema is off on this server: connect attributes cannot be checked",
        );
    }
    let sql = format!(
        "SELECT ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs \
         WHERE PROCESSLIST_ID = {} ORDER BY ATTR_NAME",
        s.connection_id()
    );
    let attrs = rows(&mut s, &sql).await;
    let get = |k: &str| {
        attrs
            .iter()
            .find(|r| r[0].as_deref() == Some(k))
            .and_then(|r| r[1].clone())
    };
    assert_eq!(get("_client_name").as_deref(), Some("mywire"));
    assert_eq!(get("test_attr").as_deref(), Some("wire-42"));
    assert_eq!(get("_pid"), Some(std::process::id().to_string()));
}

#[tokio::test]
async fn ping_init_db_and_statistics() {
    server().sql("CREATE DATABASE IF NOT EXISTS mywire_connect_other");
    for eof in [true, false] {
        let mut s = connect(&with_eof(&server().url(), eof)).await;
        s.ping().await.unwrap();
        s.init_db("mywire_connect_other").await.unwrap();
        assert_eq!(
            scalar(&mut s, "SELECT DATABASE()").await.as_deref(),
            Some("mywire_connect_other")
        );
        let e = s.init_db("no_such_db_here").await.unwrap_err();
        assert_eq!(server_err(&e), (1049, "42000"));
        assert!(!s.is_broken(), "a server error must not break the session");
        // Still on the old database.
        assert_eq!(
            scalar(&mut s, "SELECT DATABASE()").await.as_deref(),
            Some("mywire_connect_other")
        );
        let st = s.statistics().await.unwrap();
        assert!(
            st.contains("Uptime:") && st.contains("Threads:"),
            "statistics: {st}"
        );
        s.ping().await.unwrap();
        s.close().await.unwrap();
    }
}

#[tokio::test]
async fn reset_clears_user_variables_and_keeps_the_connection() {
    for eof in [true, false] {
        let mut s = connect(&with_eof(&server().url(), eof)).await;
        let id = s.connection_id();
        s.query_drop("SET @v = 42").await.unwrap();
        assert_eq!(scalar(&mut s, "SELECT @v").await.as_deref(), Some("42"));
        s.reset().await.unwrap();
        assert_eq!(scalar(&mut s, "SELECT @v").await, None);
        assert_eq!(
            scalar(&mut s, "SELECT CONNECTION_ID()").await,
            Some(id.to_string())
        );
        // The default database survives a reset.
        assert_eq!(
            scalar(&mut s, "SELECT DATABASE()").await.as_deref(),
            Some(DATABASE)
        );
    }
}

#[tokio::test]
async fn close_ends_the_server_side_connection() {
    let mut s = connect(&server().url()).await;
    let id = s.connection_id();
    let mut watcher = connect(&server().url()).await;
    let sql = format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {id}");
    assert_eq!(scalar(&mut watcher, &sql).await.as_deref(), Some("1"));
    // A pending unread result does not stop close().
    let _ = s.query("SELECT 1").await.unwrap();
    s.close().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if scalar(&mut watcher, &sql).await.as_deref() == Some("0") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "connection {id} still listed after close()"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn password_with_url_special_characters_connects() {
    const U: &str = "mywire_special";
    const P: &str = "p@ss:w/rd%?&#=+ é";
    let sql_pw = P.replace('\\', "\\\\").replace('\'', "\\'");
    for host in ["%", "localhost"] {
        server().sql(&format!(
            "CREATE USER IF NOT EXISTS '{U}'@'{host}' IDENTIFIED BY '{sql_pw}'; \
             GRANT ALL ON {DATABASE}.* TO '{U}'@'{host}'"
        ));
    }
    let url = server().url_for(U, P);
    let mut s = connect(&url).await;
    let who = scalar(&mut s, "SELECT CURRENT_USER()").await.unwrap();
    assert!(who.starts_with(&format!("{U}@")), "{who}");
    // Over the socket too (the password is sent the same way).
    let mut o = Options::from_url(&server().socket_url()).unwrap();
    o.user = U.into();
    o.password = P.into();
    let mut s = Session::connect(o).await.unwrap();
    let who = scalar(&mut s, "SELECT CURRENT_USER()").await.unwrap();
    assert!(who.starts_with(&format!("{U}@")), "{who}");
}

#[tokio::test]
async fn silent_server_hits_the_connect_timeout() {
    // Accepts TCP but never sends a greeting.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_sock, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let url = format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{port}/?connect-timeout=0.5");
    let t0 = Instant::now();
    let e = Session::connect(Options::from_url(&url).unwrap())
        .await
        .expect_err("no greeting");
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    hold.abort();
}

#[tokio::test]
async fn server_closing_before_the_greeting_is_an_io_error() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (sock, _) = l.accept().await.unwrap();
        drop(sock);
    });
    let url = format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{port}/");
    let e = tokio::time::timeout(
        Duration::from_secs(10),
        Session::connect(Options::from_url(&url).unwrap()),
    )
    .await
    .expect("hung")
    .expect_err("closed");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
}

/// `Options::transport` sees the stream each connect opens (TCP, and the Unix socket), and the
/// session runs on what it returns: here a wrapper that counts the bytes read, so the test
/// knows the whole conversation went through it. TLS runs over the wrapper.
#[tokio::test]
async fn transport_adapter_carries_the_whole_session() {
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use mywire::session::Stream;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    #[derive(Debug)]
    struct Counted(Stream, Arc<AtomicUsize>);
    impl AsyncRead for Counted {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let before = buf.filled().len();
            let r = Pin::new(&mut self.0).poll_read(cx, buf);
            self.1
                .fetch_add(buf.filled().len() - before, Ordering::Relaxed);
            r
        }
    }
    impl AsyncWrite for Counted {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }

    for (url, unix) in [(server().url(), false), (server().socket_url(), true)] {
        let (read, calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (r, c) = (Arc::clone(&read), Arc::clone(&calls));
        let opts = Options::from_url(&url).unwrap().transport(move |s| {
            c.fetch_add(1, Ordering::Relaxed);
            assert_eq!(matches!(s, Stream::Unix(_)), unix);
            Ok(Stream::Other(Box::new(Counted(s, Arc::clone(&r)))))
        });
        let mut s = Session::connect(opts)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // The server offers TLS and PREFERRED takes it, over the Unix socket too: the session
        // cannot tell what the adapted stream wraps, so it treats it as a network one.
        assert!(s.is_tls(), "{url}");
        let at_connect = read.load(Ordering::Relaxed);
        assert!(at_connect > 0);
        assert_eq!(
            scalar(&mut s, "SELECT REPEAT('x', 1000)")
                .await
                .unwrap()
                .len(),
            1000
        );
        assert!(read.load(Ordering::Relaxed) >= at_connect + 1000, "{url}");
        s.close().await.unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 1, "{url}");
    }
}

/// An adapter's error fails the connect, as a connect error naming the server.
#[tokio::test]
async fn transport_adapter_error_fails_the_connect() {
    let opts = Options::from_url(&server().url())
        .unwrap()
        .transport(|_| Err(std::io::Error::other("refused by the adapter")));
    let e = Session::connect(opts).await.expect_err("connect must fail");
    assert!(e.to_string().contains("refused by the adapter"), "{e}");
}
