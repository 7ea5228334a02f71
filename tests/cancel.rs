//! Cancellation: dropping a query future or a result stream at any point leaves the session
//! either drained and usable on the next call or marked broken — never delivering a previous
//! query's rows to a later one.
//!
//! Two ways of cutting, both against the real server with `multi-statements=true`:
//! - (a) read k rows/results through the API, then drop the `QueryResult`;
//! - (b) a byte-metering transport in front of the TCP socket lets through exactly `n` bytes
//!   of the response (or of the request) and then stays pending; the future running the query
//!   is then dropped. `n` goes over every byte offset, so every packet boundary (and every
//!   point inside a packet) is a cut point.

// Test code: a failed unwrap, expect, panic or index is a failed test, which is the point
// (the wire-data rules of Cargo.toml's [workspace.lints] are for the library and the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use mywire::session::{QueryResult, Stream};
use mywire::{Error, Options, Session};
use support::server;
use support::wire::Wire;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const MULTI: &str = "SELECT 1 UNION SELECT 2; SELECT 'b1'; DO 1; SELECT 'c1' UNION SELECT 'c2'";

/// What `MULTI` returns: per result, its rows (an OK result has none) and whether it is a
/// result set.
fn expected() -> Vec<(bool, Vec<String>)> {
    vec![
        (true, vec!["1".into(), "2".into()]),
        (true, vec!["b1".into()]),
        (false, vec![]),
        (true, vec!["c1".into(), "c2".into()]),
    ]
}

fn url(eof: Wire) -> String {
    format!("{}?{}&multi-statements=true", server().url(), eof.params())
}

/// Every row of every result of the next query, as text: this must be exactly `SELECT
/// 'next'`'s answer.
async fn next_query_sees_only_its_own_rows(s: &mut Session) -> Result<(), Error> {
    let mut r = s.query("SELECT 'next' AS n").await?;
    let mut all = Vec::new();
    loop {
        assert_eq!(r.columns().len(), 1, "columns of a stale result");
        assert_eq!(r.columns()[0].name(), "n", "columns of a stale result");
        while let Some(row) = r.next_row().await? {
            all.push(row.text(0).map(|c| c.into_owned()));
        }
        if !r.next_result().await? {
            break;
        }
    }
    assert_eq!(all, vec![Some("next".to_string())], "stale rows delivered");
    Ok(())
}

/// After a cut: either the next query gets exactly its own rows, or the session says it is
/// broken (then `Error::Broken` on every call). Returns false if broken.
async fn after_cut(s: &mut Session, what: &str) -> bool {
    match next_query_sees_only_its_own_rows(s).await {
        Ok(()) => {
            assert!(!s.is_broken(), "{what}");
            true
        }
        Err(e) => {
            assert!(s.is_broken(), "{what}: error {e:?} but not broken");
            let e2 = s.ping().await.unwrap_err();
            assert!(matches!(e2, Error::Broken(_)), "{what}: {e2:?}");
            false
        }
    }
}

/// One step through a `QueryResult`: the next row, or (at the end of a result) the next
/// result. Returns false at the very end.
async fn step(r: &mut QueryResult<'_>, seen: &mut Vec<(bool, Vec<String>)>) -> bool {
    match r.next_row().await.unwrap() {
        Some(row) => {
            seen.last_mut()
                .unwrap()
                .1
                .push(row.text(0).unwrap().into_owned());
            true
        }
        None => {
            if r.next_result().await.unwrap() {
                seen.push((r.is_result_set(), Vec::new()));
                true
            } else {
                false
            }
        }
    }
}

/// (a) Read k steps, drop the result, run the next query; for every k.
#[tokio::test]
async fn dropping_the_result_after_k_steps_drains_it() {
    for eof in Wire::ALL {
        let mut s = Session::connect(Options::from_url(&url(eof)).unwrap())
            .await
            .unwrap();
        // The full walk: how many steps there are.
        let mut total = 0;
        {
            let mut r = s.query(MULTI).await.unwrap();
            let mut seen = vec![(r.is_result_set(), Vec::new())];
            while step(&mut r, &mut seen).await {
                total += 1;
            }
            assert_eq!(seen, expected());
        }
        assert!(total >= 8, "{total}");
        for k in 0..=total + 1 {
            {
                let mut r = s.query(MULTI).await.unwrap();
                let mut seen = vec![(r.is_result_set(), Vec::new())];
                for _ in 0..k {
                    if !step(&mut r, &mut seen).await {
                        break;
                    }
                }
                // What was read is a prefix of the real answer.
                let exp = expected();
                assert!(seen.len() <= exp.len());
                for (i, (rs, rows)) in seen.iter().enumerate() {
                    assert_eq!(*rs, exp[i].0);
                    assert!(exp[i].1.starts_with(rows), "k={k}: {seen:?}");
                }
            }
            assert!(
                after_cut(&mut s, &format!("eof={eof} k={k}")).await,
                "dropping a result must drain, not break (k={k})"
            );
        }
        // Dropping after next_result() only (skipping rows), too.
        for k in 0..4 {
            {
                let mut r = s.query(MULTI).await.unwrap();
                for _ in 0..k {
                    r.next_result().await.unwrap();
                }
            }
            assert!(after_cut(&mut s, &format!("eof={eof} results={k}")).await);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (b) A metered transport
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Meter {
    /// Bytes read from the server so far.
    read: AtomicUsize,
    /// Reads stop (pending forever) once `read` reaches this.
    read_limit: AtomicUsize,
    written: AtomicUsize,
    write_limit: AtomicUsize,
    /// Set when a read or write stopped at its limit.
    blocked: AtomicBool,
}

impl Meter {
    fn new() -> Arc<Meter> {
        let m = Meter::default();
        m.read_limit.store(usize::MAX, Ordering::SeqCst);
        m.write_limit.store(usize::MAX, Ordering::SeqCst);
        Arc::new(m)
    }
    fn unlimit(&self) {
        self.read_limit.store(usize::MAX, Ordering::SeqCst);
        self.write_limit.store(usize::MAX, Ordering::SeqCst);
        self.blocked.store(false, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct Metered {
    inner: TcpStream,
    m: Arc<Meter>,
}

impl AsyncRead for Metered {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let done = this.m.read.load(Ordering::SeqCst);
        let left = this
            .m
            .read_limit
            .load(Ordering::SeqCst)
            .saturating_sub(done);
        if left == 0 {
            // Stuck on purpose; no waker: the test drops the future.
            this.m.blocked.store(true, Ordering::SeqCst);
            return Poll::Pending;
        }
        let mut tmp = vec![0u8; left.min(buf.remaining()).min(64 * 1024)];
        let mut sub = ReadBuf::new(&mut tmp);
        match Pin::new(&mut this.inner).poll_read(cx, &mut sub) {
            Poll::Ready(Ok(())) => {
                let n = sub.filled().len();
                buf.put_slice(sub.filled());
                this.m.read.fetch_add(n, Ordering::SeqCst);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Metered {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let done = this.m.written.load(Ordering::SeqCst);
        let left = this
            .m
            .write_limit
            .load(Ordering::SeqCst)
            .saturating_sub(done);
        if left == 0 {
            this.m.blocked.store(true, Ordering::SeqCst);
            return Poll::Pending;
        }
        let n = left.min(buf.len());
        match Pin::new(&mut this.inner).poll_write(cx, &buf[..n]) {
            Poll::Ready(Ok(k)) => {
                this.m.written.fetch_add(k, Ordering::SeqCst);
                Poll::Ready(Ok(k))
            }
            other => other,
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

async fn metered_session(eof: Wire) -> (Session, Arc<Meter>) {
    let opts = Options::from_url(&url(eof)).unwrap();
    let tcp = TcpStream::connect(server().addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let m = Meter::new();
    let stream = Stream::Other(Box::new(Metered {
        inner: tcp,
        m: m.clone(),
    }));
    let s = Session::handshake_on(stream, opts, None).await.unwrap();
    (s, m)
}

/// Runs `fut` until it completes (`Some`) or the meter blocks it (`None`, future dropped).
async fn run_until_blocked<F: Future>(m: &Meter, fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending if m.blocked.load(Ordering::SeqCst) => Poll::Ready(None),
        Poll::Pending => Poll::Pending,
    })
    .await
}

/// The whole walk of `MULTI`, recording what it saw into `seen` as it goes.
async fn walk(s: &mut Session, seen: &mut Vec<(bool, Vec<String>)>) -> Result<(), Error> {
    let mut r = s.query(MULTI).await?;
    seen.push((r.is_result_set(), Vec::new()));
    loop {
        while let Some(row) = r.next_row().await? {
            seen.last_mut()
                .unwrap()
                .1
                .push(row.text(0).unwrap().into_owned());
        }
        if !r.next_result().await? {
            return Ok(());
        }
        seen.push((r.is_result_set(), Vec::new()));
    }
}

fn assert_prefix(seen: &[(bool, Vec<String>)], what: &str) {
    let exp = expected();
    assert!(seen.len() <= exp.len(), "{what}: {seen:?}");
    for (i, (rs, rows)) in seen.iter().enumerate() {
        assert_eq!(*rs, exp[i].0, "{what}: {seen:?}");
        assert!(exp[i].1.starts_with(rows), "{what}: {seen:?}");
        if i + 1 < seen.len() {
            assert_eq!(rows, &exp[i].1, "{what}: {seen:?}");
        }
    }
}

/// (b) Cut the response after every byte count: the query future, a `next_row` or a
/// `next_result` future is dropped wherever it happens to be.
#[tokio::test]
async fn cutting_the_response_at_every_byte_never_leaks_rows() {
    for eof in Wire::ALL {
        let (mut s, mut m) = metered_session(eof).await;
        // Size of the full response.
        let r0 = m.read.load(Ordering::SeqCst);
        let mut seen = Vec::new();
        walk(&mut s, &mut seen).await.unwrap();
        assert_eq!(seen, expected());
        let total = m.read.load(Ordering::SeqCst) - r0;
        assert!(total > 50, "{total}");
        let mut broken = 0;
        for n in 0..=total {
            let what = format!("eof={eof} cut after {n}/{total} response bytes");
            let base = m.read.load(Ordering::SeqCst);
            m.read_limit.store(base + n, Ordering::SeqCst);
            let mut seen = Vec::new();
            let out = run_until_blocked(&m, walk(&mut s, &mut seen)).await;
            match out {
                Some(r) => {
                    r.unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(n, total, "{what}: completed before the cut");
                    assert_eq!(seen, expected(), "{what}");
                }
                None => {
                    assert!(n < total, "{what}: blocked with the whole response allowed");
                    assert_prefix(&seen, &what);
                }
            }
            m.unlimit();
            if !after_cut(&mut s, &what).await {
                broken += 1;
                (s, m) = metered_session(eof).await;
            }
        }
        assert_eq!(broken, 0, "eof={eof}: {broken} cuts broke the session");
    }
}

/// (b) Cut the request: the COM_QUERY is written only up to every byte count, then the
/// future is dropped; the next call must finish the write, drain the answer, and run.
#[tokio::test]
async fn cutting_the_request_write_at_every_byte_never_leaks_rows() {
    for eof in Wire::ALL {
        let (mut s, m) = metered_session(eof).await;
        let len = 4 + 1 + MULTI.len();
        for n in 0..len {
            let what = format!("eof={eof} write cut after {n}/{len} request bytes");
            let base = m.written.load(Ordering::SeqCst);
            m.write_limit.store(base + n, Ordering::SeqCst);
            let mut seen = Vec::new();
            let out = run_until_blocked(&m, walk(&mut s, &mut seen)).await;
            assert!(out.is_none(), "{what}: completed");
            assert!(seen.is_empty(), "{what}");
            m.unlimit();
            assert!(after_cut(&mut s, &what).await, "{what}: broke the session");
        }
    }
}

/// (b) The same cut through a plain single-result query followed by simple commands: ping,
/// init_db and statistics after a cut must answer for themselves.
#[tokio::test]
async fn simple_commands_after_a_cut_get_their_own_answers() {
    for eof in Wire::ALL {
        let (mut s, m) = metered_session(eof).await;
        let base = m.read.load(Ordering::SeqCst);
        {
            let mut r = s.query("SELECT seq FROM seq_1_to_300").await.unwrap();
            while r.next_row().await.unwrap().is_some() {}
        }
        let total = m.read.load(Ordering::SeqCst) - base;
        for n in (0..total).step_by(7) {
            let what = format!("eof={eof} cut after {n}/{total}");
            let base = m.read.load(Ordering::SeqCst);
            m.read_limit.store(base + n, Ordering::SeqCst);
            let out = run_until_blocked(&m, async {
                let mut r = s.query("SELECT seq FROM seq_1_to_300").await?;
                let mut k = 0u32;
                while let Some(row) = r.next_row().await? {
                    k += 1;
                    assert_eq!(row.get::<u32>(0).unwrap(), Some(k));
                }
                Ok::<_, Error>(k)
            })
            .await;
            assert!(out.is_none(), "{what}");
            m.unlimit();
            match n % 3 {
                0 => s.ping().await.unwrap(),
                1 => assert!(s.statistics().await.unwrap().contains("Uptime")),
                _ => s.init_db(support::DATABASE).await.unwrap(),
            }
            assert!(after_cut(&mut s, &what).await, "{what}");
        }
        // Cuts inside the simple commands' own answers.
        for n in [0, 2, 4, 6] {
            for cmd in 0..3 {
                let what = format!("eof={eof} command {cmd} cut after {n}");
                let base = m.read.load(Ordering::SeqCst);
                m.read_limit.store(base + n, Ordering::SeqCst);
                let out = run_until_blocked(&m, async {
                    match cmd {
                        0 => s.ping().await,
                        1 => s.statistics().await.map(drop),
                        _ => s.init_db(support::DATABASE).await,
                    }
                })
                .await;
                assert!(out.is_none(), "{what}");
                m.unlimit();
                assert!(after_cut(&mut s, &what).await, "{what}");
            }
        }
    }
}

/// (b) A cut inside the drain itself: the first walk is cut after `n` bytes, then the next
/// query (which first drains the rest) is cut after `k` more; the third must still be clean.
#[tokio::test]
async fn cutting_the_drain_of_a_cut_query_never_leaks_rows() {
    for eof in Wire::ALL {
        let (mut s, m) = metered_session(eof).await;
        let base = m.read.load(Ordering::SeqCst);
        walk(&mut s, &mut Vec::new()).await.unwrap();
        let total = m.read.load(Ordering::SeqCst) - base;
        for n in (0..total).step_by(5) {
            for k in [1, 4, 9, 17, 40] {
                let what = format!("eof={eof} cut after {n}/{total}, then {k} more");
                let base = m.read.load(Ordering::SeqCst);
                m.read_limit.store(base + n, Ordering::SeqCst);
                let mut seen = Vec::new();
                assert!(
                    run_until_blocked(&m, walk(&mut s, &mut seen))
                        .await
                        .is_none(),
                    "{what}"
                );
                assert_prefix(&seen, &what);
                m.blocked.store(false, Ordering::SeqCst);
                m.read_limit
                    .store(m.read.load(Ordering::SeqCst) + k, Ordering::SeqCst);
                let second = run_until_blocked(&m, next_query_sees_only_its_own_rows(&mut s)).await;
                if let Some(r) = second {
                    r.unwrap_or_else(|e| panic!("{what}: {e}"));
                }
                m.unlimit();
                assert!(after_cut(&mut s, &what).await, "{what}: broke the session");
            }
        }
    }
}
