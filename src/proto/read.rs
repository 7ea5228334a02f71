//! Reading responses: result heads, rows (with the batched row scan), one-packet responses,
//! and draining what nobody reads.

use crate::codec::resultset::ColumnDefinition;
use crate::codec::{ErrorKind, Packet, ParseError};
use crate::error::{Error, LocalInfileRefusal};

use super::engine::server_error;
use super::response::{Expect, Seen};
use super::row::Cells;
use super::{Engine, Row, Step};

impl Engine {
    fn unexpected(&mut self, packet: Packet) -> Error {
        self.proto(ParseError::new(packet, "header", ErrorKind::Unexpected))
    }

    /// Reads a query response's head: through the column definitions until rows can be read,
    /// or to its OK / ERR. `Some(())` when done (rows follow if [`Engine::in_rows`]).
    pub fn head_step(&mut self) -> Step<()> {
        self.check()?;
        loop {
            let expect = self.resp.expect();
            if expect == Expect::InfileData {
                // The driver's move: open and send the file (or refuse it).
                return match self.infile_wanted() {
                    Some(_) => Ok(None),
                    None => Err(Error::Usage(
                        "LOCAL INFILE data is owed that nobody sends".into(),
                    )),
                };
            }
            if !matches!(
                expect,
                Expect::Head | Expect::Columns { .. } | Expect::ColumnsEnd | Expect::InfileReply
            ) {
                if std::mem::take(&mut self.columns_sent) {
                    self.remember_columns();
                }
                return Ok(Some(()));
            }
            let seen = match self.in_place() {
                Some((seen, _)) => seen.map_err(|e| self.proto(e))?,
                None => {
                    let Some(f) = self.poll_frame()? else {
                        return Ok(None);
                    };
                    self.resp.on_server(&f.payload).map_err(|e| self.proto(e))?
                }
            };
            if expect == Expect::InfileReply {
                // The server's verdict on the file sent, or on the empty "file" sent instead
                // of one.
                let (name, refusal) = self.take_infile_reply();
                let server_err = match seen {
                    Seen::Ok(ok) => {
                        self.columns.clear();
                        self.columns_of = None;
                        self.on_ok(ok);
                        None
                    }
                    Seen::Err(e) => Some(e),
                    _ => return Err(self.unexpected(Packet::LocalInfile)),
                };
                self.finish_if_done();
                return match (refusal, server_err) {
                    (Some(reason), _) => {
                        Err(Error::LocalInfileRefused(Box::new(LocalInfileRefusal {
                            name,
                            reason,
                        })))
                    }
                    (None, Some(e)) => Err(server_error(e)),
                    (None, None) => Ok(Some(())),
                };
            }
            match seen {
                Seen::Ok(ok) => {
                    self.columns.clear();
                    self.columns_of = None;
                    self.on_ok(ok);
                    self.finish_if_done();
                    return Ok(Some(()));
                }
                Seen::Err(e) => {
                    self.columns.clear();
                    self.columns_of = None;
                    self.finish_if_done();
                    return Err(server_error(e));
                }
                Seen::LocalInfile(name) => {
                    // Refused at once ("no data", the verdict read next) unless opted in and
                    // named by the statement; granted, the driver opens the file.
                    self.on_infile_request(name);
                }
                Seen::ColumnCount {
                    count,
                    metadata_follows,
                } => {
                    if metadata_follows == Some(false) {
                        // Not resent: the statement's definitions as last seen.
                        self.cached_columns(count)?;
                    } else {
                        self.columns.clear();
                        self.columns_of = None;
                        self.columns
                            .reserve(usize::try_from(count.min(1024)).unwrap_or(1024));
                        self.columns_sent = self.exec_stmt.is_some();
                    }
                }
                Seen::Column(c) => self.columns.push(c),
                Seen::ColumnsEof(e) => {
                    // The execute opened a cursor: its rows are fetched (the response machine
                    // ended the response at this EOF).
                    if self.resp.is_idle() && !self.cursor_fetch(e.status) {
                        self.finish_response();
                    }
                }
                _ => return Err(self.unexpected(Packet::ColumnDefinition)),
            }
        }
    }

    /// The next packet of `batch` classified in place, without a shared handle of its own,
    /// when the response machine needs none for it (a response's first packet, an end of rows
    /// or an ERR among rows) and it is in sequence: `None` (nothing taken) otherwise, or with
    /// a tracer, which sees every packet through [`Engine::poll_frame`]. An out-of-sequence
    /// packet is left to `poll_frame`, which reports it.
    /// Also returns the payload's range in `batch`.
    #[inline]
    fn in_place(&mut self) -> Option<(Result<Seen, ParseError>, (usize, usize))> {
        if self.has_tracer() || !matches!(self.resp.expect(), Expect::Head | Expect::Rows) {
            return None;
        }
        let (seq, start, end) = self.next_batched()?;
        if !self.codec.seq_ok(seq) {
            return None;
        }
        self.classify_at(seq, start, end)
    }

    /// [`Engine::in_place`] of the packet `next_batched` gave (`seq`, its payload at
    /// `start..end` of `batch`), its sequence id already found in order.
    #[inline]
    fn classify_at(
        &mut self,
        seq: u8,
        start: usize,
        end: usize,
    ) -> Option<(Result<Seen, ParseError>, (usize, usize))> {
        let payload = self.batch.get(start..end)?;
        let seen = self.resp.on_server_slice(payload)?;
        self.codec.set_seq(seq.wrapping_add(1));
        self.batch_pos = end;
        Some((seen, (start, end)))
    }

    /// True while rows of a result set are being read.
    #[inline]
    pub fn in_rows(&self) -> bool {
        self.resp.expect() == Expect::Rows && self.raw.is_none()
    }

    /// True when the next result of the current response is still to be read (its head).
    #[inline]
    pub fn at_next_result(&self) -> bool {
        self.resp.expect() == Expect::Head && self.raw.is_none()
    }

    /// Reads the next row: `Some(true)` with a row ready ([`Engine::row`]), `Some(false)` at
    /// the end of the result set.
    pub fn row_step(&mut self) -> Step<bool> {
        self.check()?;
        if !self.in_rows() {
            return Ok(Some(false));
        }
        // Fast path: a row packet of `batch` is read in place, as a range (no `Bytes` of its
        // own). An end of rows (0xFE), an ERR (0xFF), an empty packet or a wrong sequence id
        // take the ordinary path, which the response machine sees. (Skipped with a tracer,
        // which must see every packet as it is read.)
        let mut declined = None;
        if !self.has_tracer() {
            if let Some((seq, start, end)) = self.next_batched() {
                let first = self.batch.get(start).copied();
                if self.codec.seq_ok(seq) {
                    if !matches!(first, None | Some(0xFE | 0xFF)) {
                        self.codec.set_seq(seq.wrapping_add(1));
                        self.batch_pos = end;
                        return self.row_in_batch_at(start, end);
                    }
                    declined = Some((seq, start, end));
                }
            }
        }
        self.row_step_other(declined)
    }

    /// [`Engine::row_step`] of anything but a row read in place (out of line: the fast path
    /// stays small). A packet of `batch` the fast path `declined` (an end of rows, an ERR, an
    /// empty packet: no tracer, rows expected, in sequence) is classified in place, as
    /// [`Engine::in_place`] would, from the position the fast path found; any other (a row
    /// continued over packets, or read the ordinary way, or out of sequence) is a frame of
    /// its own.
    #[inline(never)]
    fn row_step_other(&mut self, declined: Option<(u8, usize, usize)>) -> Step<bool> {
        let placed = declined.and_then(|(seq, start, end)| self.classify_at(seq, start, end));
        let (seen, frame) = match placed {
            Some((seen, range)) => (seen, Err(range)),
            None => {
                let Some(f) = self.poll_frame()? else {
                    return Ok(None);
                };
                (self.resp.on_server(&f.payload), Ok(f))
            }
        };
        match seen.map_err(|e| self.proto(e))? {
            Seen::Err(e) => {
                self.finish_if_done();
                Err(server_error(e))
            }
            Seen::RowsEnd { ok, .. } => {
                let status = ok.status;
                self.on_ok(ok);
                if self.resp.is_idle() && self.cursor_fetch(status) {
                    // The next rows are fetched: they are read once they arrive.
                    return Ok(None);
                }
                self.finish_if_done();
                Ok(Some(false))
            }
            Seen::Row => {
                let f = match frame {
                    Ok(f) => f,
                    Err((start, end)) => return self.row_in_batch_at(start, end),
                };
                let r = if self.binary {
                    let c = &self.columns;
                    self.binary_cells
                        .parse_with_layouts(&f.payload, c, c.layouts())
                } else {
                    self.cells.parse(&f.payload, self.columns.len())
                };
                if let Err(e) = r {
                    return Err(self.proto(e));
                }
                self.row_range = (0, f.payload.len());
                self.row_in_batch = false;
                self.row_packet = f.payload;
                Ok(Some(true))
            }
            _ => Err(self.unexpected(Packet::Row)),
        }
    }

    /// Splits the row packet at `start..end` of `batch` (already taken) into cells: the
    /// current row.
    #[inline(always)]
    fn row_in_batch_at(&mut self, start: usize, end: usize) -> Step<bool> {
        let payload = self.batch.get(start..end).unwrap_or_default();
        let r = if self.binary {
            let c = &self.columns;
            self.binary_cells
                .parse_with_layouts(payload, c, c.layouts())
        } else {
            self.cells.parse(payload, self.columns.len())
        };
        if let Err(e) = r {
            return Err(self.proto(e));
        }
        self.row_in_batch = true;
        self.row_range = (start, end);
        Ok(Some(true))
    }

    /// The row [`Engine::row_step`] made ready.
    #[inline]
    pub fn row(&self) -> Row<'_> {
        let (start, end) = self.row_range;
        let shared = if self.row_in_batch {
            &self.batch
        } else {
            &self.row_packet
        };
        Row::new(
            shared,
            shared.get(start..end).unwrap_or_default(),
            if self.binary {
                Cells::Binary(&self.binary_cells)
            } else {
                Cells::Text(&self.cells)
            },
            &self.columns,
        )
    }

    /// The column definitions of the current result set.
    pub fn columns(&self) -> &[ColumnDefinition] {
        &self.columns
    }

    /// Reads the one-packet response of a command started with [`Engine::start_simple`].
    pub fn simple_step(&mut self) -> Step<()> {
        self.check()?;
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        let seen = self.resp.on_server(&f.payload);
        self.finish_response();
        match seen.map_err(|e| self.proto(e))? {
            Seen::Ok(ok) => {
                self.on_ok(ok);
                Ok(Some(()))
            }
            Seen::Err(e) => Err(server_error(e)),
            _ => Err(self.unexpected(Packet::Ok)),
        }
    }

    /// Reads the string response of a command started with [`Engine::start_text`].
    pub fn text_step(&mut self) -> Step<String> {
        self.check()?;
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        let seen = self.resp.on_server(&f.payload);
        self.finish_response();
        match seen.map_err(|e| self.proto(e))? {
            Seen::Err(e) => Err(server_error(e)),
            _ => Ok(Some(String::from_utf8_lossy(&f.payload).into_owned())),
        }
    }

    /// Reads and discards what is owed: everything (`until` = `None`; pipelined commands not
    /// yet sent are dropped) or the rest of the response whose id is `until`. `Some(())` when
    /// done.
    pub fn drain_step(&mut self, until: Option<u64>) -> Step<()> {
        self.check()?;
        self.check_no_open_auth()?;
        if until.is_none() {
            self.unsent.clear();
        }
        loop {
            let idle = !self.busy();
            let done = match until {
                None => idle,
                Some(id) => self.completed() != id || idle,
            };
            if done {
                return Ok(Some(()));
            }
            let progressed = if self.raw.is_some() {
                self.drain_raw_step()?
            } else {
                match self.resp.expect() {
                    Expect::Idle => Some(()),
                    Expect::Rows => {
                        // Rows nobody reads are not fetched: an open cursor stays open on the
                        // server until the statement is executed again, reset or closed.
                        self.cursor = None;
                        match self.row_step() {
                            Ok(r) => r.map(|_| ()),
                            // An ERR ending rows nobody is waiting for belongs to the abandoned
                            // statement, not to the command that is draining it.
                            Err(e) if e.is_fatal() => return Err(e),
                            Err(_) => Some(()),
                        }
                    }
                    Expect::Simple | Expect::Text => {
                        self.poll_frame()?.map(|_| self.finish_response())
                    }
                    Expect::Head
                    | Expect::Columns { .. }
                    | Expect::ColumnsEnd
                    | Expect::InfileReply => match self.head_step() {
                        Ok(r) => r,
                        // Errors of statements nobody is waiting for any more are dropped;
                        // fatal ones have marked the connection broken and end the drain.
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(_) => Some(()),
                    },
                    Expect::PrepareOk | Expect::PrepareDefs { .. } => match self.prepare_step() {
                        // Nobody took the statement: close it, or it would stay allocated on
                        // the server (against its max_prepared_stmt_count) until disconnect.
                        Ok(Some(st)) => {
                            self.queue_close_statement(st.id());
                            Some(())
                        }
                        Ok(None) => None,
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(_) => Some(()),
                    },
                    // A LOCAL INFILE transfer of the response: the driver's move.
                    Expect::InfileData if self.infile_wanted().is_some() => None,
                    Expect::InfileData | Expect::Unknown => {
                        return Err(Error::Usage(
                            "a response whose end cannot be known is owed".into(),
                        ))
                    }
                }
            };
            if progressed.is_none() {
                return Ok(None);
            }
        }
    }
}
