//! Incremental reassembly, for captures read as a stream: [`Reassembler::drain`] takes the events
//! each conversation gained since the previous call, and drops the conversations that are over
//! (both FINs, a RST, or idle for too long), so that memory stays bounded on an endless capture:
//! what is kept is the live conversations' state (at most
//! [`ReassemblyConfig::max_buffered_per_flow`] out-of-order bytes each) and the 4-tuples of
//! recently dropped ones.
//!
//! Concatenating every update's events of one conversation gives the events
//! [`Reassembler::finish`] would have returned for it, except that a conversation dropped as idle
//! (or closed with out-of-order bytes still waiting behind a gap) has its gaps given up on at that
//! point (stamped with that time, not the end of the capture), and a segment arriving on a
//! dropped 4-tuple within
//! [`DrainConfig::linger_nanos`] is ignored (a last ACK after the FINs); after that, or with a
//! new SYN, it starts a new conversation.

use super::*;

/// When [`Reassembler::drain`] lets go of conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainConfig {
    /// A conversation with no segment for this long (capture time) is flushed (its gaps
    /// reported and skipped) and dropped. Default 10 minutes.
    pub idle_nanos: u64,
    /// How long a dropped conversation's 4-tuple is remembered, so that its late segments are
    /// ignored rather than taken for a new conversation started mid-stream. Default 60 s.
    pub linger_nanos: u64,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig {
            idle_nanos: 600 * 1_000_000_000,
            linger_nanos: 60 * 1_000_000_000,
        }
    }
}

/// What one conversation gained since the previous [`Reassembler::drain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationUpdate {
    /// The conversation's number: 0 for the first conversation of the capture, then in order of
    /// first segment (its index in what [`Reassembler::finish`] would return, had nothing been
    /// dropped).
    pub id: u64,
    /// The conversation as it stands, with only the new events in `events`.
    pub conversation: Conversation,
    /// True when this is its last update: it is over and was dropped.
    pub finished: bool,
}

impl Reassembler {
    /// The events every conversation gained since the previous call (conversations without new
    /// events and not finished are left out), in order of first segment; then drops the
    /// conversations that are over: closed (both FINs delivered, or a RST), or idle for
    /// `config.idle_nanos` of capture time (flushed first, their gaps reported).
    pub fn drain(&mut self, config: DrainConfig) -> Vec<ConversationUpdate> {
        let now = self.last_ts;
        let mut out = Vec::new();
        let mut dropped_any = false;
        for c in &mut self.convs {
            let idle = now.saturating_sub(c.last_seen) >= config.idle_nanos;
            if idle || c.closed {
                // Out-of-order bytes left behind a gap (after a RST, say) are given up on now.
                flush(c, now);
                c.closed = true;
            }
            if c.conv.events.is_empty() && !c.closed {
                continue;
            }
            dropped_any |= c.closed;
            // Taken first, so that the clone below copies no events.
            let events = std::mem::take(&mut c.conv.events);
            out.push(ConversationUpdate {
                id: c.id,
                conversation: Conversation {
                    events,
                    ..c.conv.clone()
                },
                finished: c.closed,
            });
        }
        if dropped_any {
            for c in self.convs.iter().filter(|c| c.closed) {
                self.dropped.insert(tuple(&c.conv), now);
            }
            self.convs.retain(|c| !c.closed);
            self.index = self
                .convs
                .iter()
                .enumerate()
                .map(|(i, c)| (tuple(&c.conv), i))
                .collect();
        }
        self.dropped
            .retain(|_, at| now.saturating_sub(*at) < config.linger_nanos);
        // In order of first segment ([`push_and_take`](Self::push_and_take) reorders the
        // conversations held).
        out.sort_by_key(|u| u.id);
        out
    }

    /// Feeds one segment (as [`push`](Self::push)) and takes at once what its conversation
    /// gained: `None` when the segment brought no event and started no conversation (an ACK, a
    /// retransmission, a late segment of a dropped conversation). A conversation the segment
    /// closed (its second FIN, or a RST) is flushed, returned as `finished` and dropped, as
    /// [`drain`](Self::drain) would; idle ones are left to `drain`, which a caller of this
    /// method calls now and then (its updates then hold only what the idle conversations'
    /// flushes added).
    ///
    /// This is what a decoder of an endless capture uses: each segment's bytes are decoded
    /// (and printed) as they arrive, and no conversation is visited but the segment's own.
    pub fn push_and_take(&mut self, seg: &TcpSegment<'_>) -> Option<ConversationUpdate> {
        let created = self.created;
        self.push(seg);
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let i = self.index.get(&key).copied()?;
        let now = self.last_ts;
        let c = self.convs.get_mut(i)?;
        let new = self.created != created;
        if c.closed {
            flush(c, now);
        }
        if c.conv.events.is_empty() && !c.closed && !new {
            return None;
        }
        let events = std::mem::take(&mut c.conv.events);
        let update = ConversationUpdate {
            id: c.id,
            conversation: Conversation {
                events,
                ..c.conv.clone()
            },
            finished: c.closed,
        };
        if update.finished {
            self.dropped.insert(key, now);
            self.index.remove(&key);
            self.convs.swap_remove(i);
            // The conversation moved into slot `i` (if any) is found there from now on.
            if let Some(moved) = self.convs.get(i) {
                self.index.insert(tuple(&moved.conv), i);
            }
        }
        Some(update)
    }

    /// Conversations held (not yet dropped by [`drain`](Self::drain)).
    pub fn live_conversations(&self) -> usize {
        self.convs.len()
    }

    /// 4-tuples of dropped conversations still remembered (see [`DrainConfig::linger_nanos`]).
    pub fn lingering_tuples(&self) -> usize {
        self.dropped.len()
    }
}

/// The normalized 4-tuple of a conversation (lower address first), as `push` keys it.
fn tuple(c: &Conversation) -> (SocketAddr, SocketAddr) {
    if c.client <= c.server {
        (c.client, c.server)
    } else {
        (c.server, c.client)
    }
}

#[cfg(test)]
// Test fixtures: casts of small known lengths into sequence numbers. A truncation here would
// fail a test; it cannot misread data from a peer.
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;
    use crate::capture::pcap::TcpFlags;
    use std::net::{IpAddr, Ipv4Addr};

    const SYN: u8 = TcpFlags::SYN;
    const ACK: u8 = TcpFlags::ACK;
    const FIN: u8 = TcpFlags::FIN | TcpFlags::ACK;
    const SEC: u64 = 1_000_000_000;

    fn addr(last: u8, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port)
    }

    /// An owned segment: (src, dst, seq, ack, flags, payload).
    type Seg = (SocketAddr, SocketAddr, u32, u32, u8, Vec<u8>);

    fn as_segment(s: &Seg, ts: u64) -> TcpSegment<'_> {
        TcpSegment {
            src: s.0,
            dst: s.1,
            seq: s.2,
            ack: s.3,
            flags: TcpFlags(s.4),
            window: 1000,
            payload: &s.5,
            truncated: false,
            timestamp_nanos: ts,
        }
    }

    /// Conversation `i`: handshake, a request, a response in two segments sent out of order,
    /// both FINs and the last ACK.
    fn conversation(i: u16) -> Vec<Seg> {
        let c = addr(1, 40000 + i);
        let s = addr(2, 3306);
        let (ci, si) = (1000 * u32::from(i), 7);
        let req = format!("request {i}").into_bytes();
        let (r1, r2) = (vec![b'a'; 10 + usize::from(i % 5)], b"tail".to_vec());
        let rl = (r1.len() + r2.len()) as u32;
        vec![
            (c, s, ci, 0, SYN, vec![]),
            (s, c, si, ci + 1, SYN | ACK, vec![]),
            (c, s, ci + 1, si + 1, ACK, vec![]),
            (c, s, ci + 1, si + 1, ACK, req.clone()),
            (s, c, si + 1 + r1.len() as u32, ci + 1, ACK, r2),
            (s, c, si + 1, ci + 1, ACK, r1),
            (c, s, ci + 1 + req.len() as u32, si + 1 + rl, FIN, vec![]),
            (s, c, si + 1 + rl, ci + 2 + req.len() as u32, FIN, vec![]),
            (c, s, ci + 2 + req.len() as u32, si + 2 + rl, ACK, vec![]),
        ]
    }

    /// Conversations `0..n` interleaved three at a time, each segment a millisecond apart.
    fn interleaved(n: u16) -> Vec<(Seg, u64)> {
        let mut out = Vec::new();
        let mut ts = SEC;
        for group in (0..n).collect::<Vec<_>>().chunks(3) {
            let convs: Vec<Vec<Seg>> = group.iter().map(|&i| conversation(i)).collect();
            for k in 0..9 {
                for c in &convs {
                    out.push((c[k].clone(), ts));
                    ts += 1_000_000;
                }
            }
        }
        out
    }

    #[test]
    fn drained_events_add_up_to_finish_and_memory_stays_flat() {
        let segs = interleaved(300);
        let mut whole = Reassembler::default();
        for (s, ts) in &segs {
            whole.push(&as_segment(s, *ts));
        }
        let expect = whole.finish();
        assert_eq!(expect.len(), 300);

        let mut r = Reassembler::default();
        let mut got: BTreeMap<u64, Vec<StreamEvent>> = BTreeMap::new();
        let mut finished = 0;
        let mut max_live = 0;
        for (s, ts) in &segs {
            r.push(&as_segment(s, *ts));
            for u in r.drain(DrainConfig::default()) {
                assert!(!u.conversation.damaged);
                got.entry(u.id).or_default().extend(u.conversation.events);
                finished += usize::from(u.finished);
            }
            max_live = max_live.max(r.live_conversations());
        }
        assert_eq!(finished, 300, "every conversation finished and dropped");
        assert!(max_live <= 3, "live conversations: {max_live}");
        assert_eq!(r.live_conversations(), 0);
        // The late ACKs after the FINs started nothing.
        assert!(r.finish().is_empty());
        let got: Vec<_> = got.into_values().collect();
        let want: Vec<_> = expect.into_iter().map(|c| c.events).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn idle_conversations_are_flushed_and_tuples_forgotten() {
        let conv = conversation(1);
        let mut r = Reassembler::default();
        // Handshake, request, and only the second part of the response: a gap stays open.
        for (k, s) in conv.iter().take(5).enumerate() {
            r.push(&as_segment(s, SEC + k as u64));
        }
        let cfg = DrainConfig {
            idle_nanos: 10 * SEC,
            linger_nanos: 20 * SEC,
        };
        let first = r.drain(cfg);
        assert_eq!(first.len(), 1);
        assert!(!first[0].finished);
        assert_eq!(r.live_conversations(), 1);
        // Another conversation's traffic 11 s later: the first one is idle.
        let other = conversation(2);
        r.push(&as_segment(&other[0], 12 * SEC));
        let u = r.drain(cfg);
        let old = u.iter().find(|u| u.id == 0).unwrap();
        assert!(old.finished && old.conversation.damaged);
        assert!(matches!(
            old.conversation.events.first(),
            Some(StreamEvent::Gap { missing: 11, .. })
        ));
        assert_eq!(r.live_conversations(), 1);
        assert_eq!(r.lingering_tuples(), 1);
        // A late segment of the dropped conversation is ignored within the linger time ...
        r.push(&as_segment(&conv[5], 13 * SEC));
        assert!(r.drain(cfg).iter().all(|u| u.id != 2));
        assert_eq!(r.live_conversations(), 1);
        // ... and forgotten after it; a new SYN on the tuple starts a new conversation at once.
        r.push(&as_segment(&other[1], 40 * SEC));
        r.drain(cfg);
        assert_eq!(r.lingering_tuples(), 0);
        for s in conv.iter().take(4) {
            r.push(&as_segment(s, 41 * SEC));
        }
        assert_eq!(r.live_conversations(), 2);
        let u = r.drain(cfg);
        assert!(u.iter().any(|u| u.id == 2 && !u.finished), "{u:?}");
    }

    #[test]
    fn a_reset_conversation_is_flushed_before_it_is_dropped() {
        let conv = conversation(3);
        let (c, srv) = (conv[0].0, conv[0].1);
        // The response's second part only (a gap before it), then the server resets.
        let mut segs: Vec<Seg> = conv.iter().take(5).cloned().collect();
        segs.push((srv, c, 9999, 0, TcpFlags::RST, vec![]));
        let mut whole = Reassembler::default();
        let mut r = Reassembler::default();
        let mut got = Vec::new();
        for (k, s) in segs.iter().enumerate() {
            whole.push(&as_segment(s, SEC + k as u64));
            r.push(&as_segment(s, SEC + k as u64));
            for u in r.drain(DrainConfig::default()) {
                got.extend(u.conversation.events);
                if u.finished {
                    assert!(u.conversation.damaged);
                }
            }
        }
        assert_eq!(r.live_conversations(), 0);
        let want = whole.finish().remove(0).events;
        assert!(want.iter().any(|e| matches!(e, StreamEvent::Gap { .. })));
        assert_eq!(got, want);
    }
}
