//! Raw exchanges: commands the caller sends and whose response packets it reads itself. The
//! engine follows each with the response state machine, so it knows where a response it
//! understands ends, and refuses raw reads and writes that would take packets from (or slip
//! packets into) a response it owns.

use crate::codec::command::parse_command;
use crate::codec::frame::Frame;
use crate::error::Error;

use super::response::{Expect, Response};
use super::{Engine, Step};

/// An open raw exchange.
#[derive(Debug)]
pub(crate) struct RawExchange {
    /// Follows the response; `None` once the engine lost track of it (a packet it could not
    /// classify), after which only [`Engine::end_raw`] ends the exchange.
    tracker: Option<Response>,
}

impl RawExchange {
    /// True when the end of the response can be known.
    fn can_follow(&self) -> bool {
        self.tracker
            .as_ref()
            .is_some_and(|t| t.expect() != Expect::Unknown)
    }
}

impl Engine {
    /// Queues a raw command (`payload`, command byte first). The response is read with
    /// [`Engine::raw_frame_step`]; the engine follows the exchange with its response machine
    /// so it knows where a response it understands ends.
    pub fn start_raw(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::Usage(
                "a command needs at least its command byte".into(),
            ));
        }
        self.start(&[payload], Expect::Idle)?;
        let mut tracker = Response::new(self.caps);
        tracker.negotiated(self.caps, false, self.resp.caches_metadata());
        match parse_command(payload) {
            Ok(cmd) => tracker.on_command(&cmd),
            Err(_) => tracker.set(Expect::Unknown),
        }
        if tracker.is_idle() {
            // COM_QUIT and the like: no response to wait for.
            return Ok(());
        }
        self.raw = Some(RawExchange {
            tracker: Some(tracker),
        });
        Ok(())
    }

    /// Refuses a raw read or write outside a raw exchange. The rule: a raw command is a
    /// command like any other (it drains what an abandoned result left unread, then opens a
    /// raw exchange); raw reads and writes work only inside that exchange. When idle, or while
    /// the engine still owns an unread response, they refuse and touch nothing.
    fn raw_exchange_open(&self, what: &str) -> Result<(), Error> {
        self.check()?;
        if self.raw.is_some() {
            Ok(())
        } else if self.is_idle() {
            Err(Error::Usage(format!(
                "{what}: no raw exchange is open (start one with send_command)"
            )))
        } else {
            Err(Error::Usage(format!(
                "{what}: the response to an earlier command is still unread (a QueryResult or \
                 Pipeline was dropped before its end); it belongs to the session, which drains \
                 it at the next command (send_command included)"
            )))
        }
    }

    /// Queues one more packet of the open raw exchange (the sequence id continues), for
    /// exchanges in which the client speaks again (LOCAL INFILE data, authentication rounds).
    /// Refused while the server is still sending the response of a command the engine follows
    /// (the server would read the packet as a new command). In an exchange the engine cannot
    /// follow the packet is sent as is: the caller ends it with [`Engine::end_raw`].
    pub fn raw_packet(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.raw_exchange_open("send_packet_raw")?;
        if let Some(t) = self.raw.as_mut().and_then(|r| r.tracker.as_mut()) {
            match t.expect() {
                Expect::InfileData => t.on_infile_data(payload.len()),
                // An exchange the tracker cannot follow is not fed.
                Expect::Unknown => {}
                _ => {
                    return Err(Error::Usage(
                        "send_packet_raw: the server is still sending the response to the raw \
                         command; read it with read_packet()"
                            .into(),
                    ))
                }
            }
        }
        self.queue_packet(&[payload]);
        Ok(())
    }

    /// The next packet of the open raw exchange. Once the response of a command the engine
    /// understands is complete, the exchange ends by itself.
    pub fn raw_frame_step(&mut self) -> Step<Frame> {
        self.raw_exchange_open("read_packet")?;
        let Some(f) = self.poll_frame()? else {
            return Ok(None);
        };
        let mut done = false;
        if let Some(raw) = self.raw.as_mut() {
            if let Some(t) = raw.tracker.as_mut() {
                match t.on_server(&f.payload) {
                    Ok(_) => done = t.is_idle(),
                    // A packet the tracker could not classify: where the response ends is
                    // unknown now, so the caller must end the exchange.
                    Err(_) => raw.tracker = None,
                }
            }
        }
        if done {
            self.raw = None;
            self.finish_response();
        }
        Ok(Some(f))
    }

    /// One step of draining an open raw exchange (`Some(())` after a packet).
    pub(super) fn drain_raw_step(&mut self) -> Step<()> {
        if !self.raw.as_ref().is_some_and(RawExchange::can_follow) {
            return Err(Error::Usage(
                "a raw exchange whose end cannot be known is still open: read its response with \
                 read_packet() and then call end_raw()"
                    .into(),
            ));
        }
        Ok(self.raw_frame_step()?.map(|_| ()))
    }

    /// Declares the open raw exchange finished (the caller vouches that every response packet
    /// was read).
    pub fn end_raw(&mut self) {
        if self.raw.take().is_some() {
            self.finish_response();
        }
    }
}
