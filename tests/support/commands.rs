//! A tracer that records the commands a session sends: each command packet's (sequence id 0)
//! command byte and the four bytes after it (a statement id, for the statement commands).

use std::sync::{Arc, Mutex};

use mywire::trace::{Direction, PacketEvent, Tracer};
use mywire::{Options, Session};

/// One command: its command byte and the 4 bytes after it (zeros when shorter).
pub type Sent = (u8, [u8; 4]);

/// Records the client's commands, and counts the server's packets; clones share the record
/// (install one, keep the other).
#[derive(Clone, Default)]
pub struct CommandLog(Arc<Mutex<Vec<Sent>>>, Arc<Mutex<usize>>);

impl Tracer for CommandLog {
    fn packet(&mut self, ev: &PacketEvent<'_>) {
        if ev.direction == Direction::ServerToClient {
            *self.1.lock().unwrap() += 1;
            return;
        }
        if ev.seq != 0 {
            return;
        }
        let p = ev.payload;
        if let Some(&c) = p.first() {
            let mut id = [0; 4];
            if let Some(b) = p.get(1..5) {
                id.copy_from_slice(b);
            }
            self.0.lock().unwrap().push((c, id));
        }
    }
}

impl CommandLog {
    /// Commands with command byte `code` since the last `take` / `clear`.
    pub fn count(&self, code: u8) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.0 == code)
            .count()
    }

    /// Like [`CommandLog::count`], and forgets everything recorded.
    pub fn take_count(&self, code: u8) -> usize {
        let n = self.count(code);
        self.clear();
        n
    }

    /// Everything recorded, forgotten.
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// Forgets everything recorded.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
        *self.1.lock().unwrap() = 0;
    }

    /// The server's packets since the last `clear` (or `take_server_packets`), forgotten.
    pub fn take_server_packets(&self) -> usize {
        std::mem::take(&mut *self.1.lock().unwrap())
    }
}

/// A session to the throwaway server (URL parameters `extra`) with a [`CommandLog`] installed.
pub async fn connect_logged(extra: &str) -> (Session, CommandLog) {
    let u = format!("{}?{extra}", super::server().url());
    let mut s = Session::connect(Options::from_url(&u).unwrap())
        .await
        .unwrap_or_else(|e| panic!("connect {u}: {e}"));
    let t = CommandLog::default();
    s.set_tracer(Some(Box::new(t.clone())));
    (s, t)
}
