//! Decoding a capture as it is read: frames in, [`CaptureEvent`]s out, with memory that stays
//! flat on an endless capture (`tcpdump -U -w - | mywire decode -`).
//!
//! A [`CaptureDecoder`] is fed the capture's frames in order ([`CaptureDecoder::push_frame`]).
//! Each TCP segment between a client and one of the server ports is reassembled
//! ([`Reassembler::push_and_take`]) and the bytes it made contiguous are decoded at once by that
//! conversation's decoder, so a packet is reported as soon as its last byte was captured. A
//! conversation is dropped when it is over (both FINs, a RST) or has been idle for
//! [`DecoderConfig::drain`]'s idle time; what is kept is the live conversations' state (their
//! reassembly buffers, bounded by [`ReassemblyConfig::max_buffered_per_flow`], the partial
//! packets, the prepared statements' SQL) and nothing of what was reported. Segments of other
//! TCP ports and frames that are not TCP are counted in the [`CaptureSummary`], not kept.
//!
//! [`decode_capture`](super::offline::decode_capture) is this decoder with every event
//! collected.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use super::offline::conv::{Decoder, Out, Zip};
use super::offline::Limits;
use super::pcap::{decode_frame, CapturedFrame, SkipReason};
use super::reassembly::{
    Conversation as Flow, ConversationUpdate, DrainConfig, Reassembler, ReassemblyConfig,
    StreamEvent, MAX_SKIP_NOTES,
};
use crate::codec::compress::Algorithm;
use crate::trace::decode::{Conversation, Decoded};
use crate::trace::requests::RequestRecord;
use crate::trace::Direction;

/// How a [`CaptureDecoder`] decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The servers' TCP ports: conversations with one of them on either side are decoded (the
    /// first is the reassembler's [`ReassemblyConfig::server_port`]). Default: 3306.
    pub server_ports: Vec<u16>,
    /// Auth responses and other secrets redacted in the decoded packets. Default: true.
    pub redact_secrets: bool,
    /// The decoder's limits.
    pub limits: Limits,
    /// The most out-of-order bytes buffered per conversation
    /// ([`ReassemblyConfig::max_buffered_per_flow`]).
    pub max_buffered_per_flow: usize,
    /// When conversations are let go of: idle ones after `idle_nanos` of capture time (default
    /// 1 hour; the rest of such a conversation, if it goes on, is decoded as one begun
    /// mid-connection).
    pub drain: DrainConfig,
    /// Frames between two sweeps for idle and closed conversations (at least 1). Default
    /// 4096: a sweep looks at every live conversation.
    pub drain_every: u32,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            server_ports: vec![3306],
            redact_secrets: true,
            limits: Limits::default(),
            max_buffered_per_flow: ReassemblyConfig::default().max_buffered_per_flow,
            drain: DrainConfig {
                idle_nanos: 3600 * 1_000_000_000,
                ..DrainConfig::default()
            },
            drain_every: DRAIN_EVERY,
        }
    }
}

/// The start of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationStart {
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// The capture did not hold the connection's start: decoded from the next command on.
    pub started_mid_stream: bool,
}

/// The end of a conversation: what [`DecodedConversation`](super::offline::DecodedConversation)
/// says of it besides its packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationEnd {
    /// Something was lost (gaps, unparseable framing, a compressed packet that does not
    /// inflate).
    pub damaged: bool,
    /// The conversation used the compressed protocol.
    pub compressed: bool,
    /// Its algorithm, when known.
    pub compression: Option<Algorithm>,
    /// The user of the handshake response (empty when not captured).
    pub user: String,
    /// The connection id of the greeting (0 when not captured).
    pub connection_id: u32,
    /// Requests whose responses were not seen whole (never reported).
    pub incomplete_requests: u64,
    /// Executes of statements whose SQL the capture does not hold (never reported).
    pub unknown_statements: u64,
}

/// What the decoder found, in capture order. `conversation` numbers the decoded conversations
/// from 1 in order of their first segment.
#[derive(Debug, Clone)]
pub enum CaptureEvent {
    /// A conversation's first segment.
    Started {
        /// Its number.
        conversation: usize,
        /// Who talks.
        start: ConversationStart,
    },
    /// A decoded packet.
    Packet {
        /// Its conversation.
        conversation: usize,
        /// Its index in the conversation (from 0).
        index: usize,
        /// Capture time of the segment that brought its last byte, ns since the Unix epoch.
        time_nanos: u64,
        /// The packet.
        packet: Decoded,
    },
    /// A request (a query or an execute) whose response just ended, after the packet that
    /// ended it.
    Request {
        /// Its conversation.
        conversation: usize,
        /// The request.
        record: RequestRecord,
        /// The user of the conversation's handshake response (empty when not captured).
        user: String,
        /// The connection id of its greeting (0 when not captured).
        connection_id: u32,
    },
    /// A note on the conversation: synchronisation, a gap, damage, encryption, compression.
    Note {
        /// Its conversation.
        conversation: usize,
        /// The note.
        note: String,
    },
    /// The conversation is over (closed, idle, or the end of the capture): its last event.
    Finished {
        /// Its number.
        conversation: usize,
        /// What is known of it at the end.
        end: ConversationEnd,
    },
}

impl CaptureEvent {
    /// The conversation the event belongs to.
    pub fn conversation(&self) -> usize {
        match self {
            CaptureEvent::Started { conversation, .. }
            | CaptureEvent::Packet { conversation, .. }
            | CaptureEvent::Request { conversation, .. }
            | CaptureEvent::Note { conversation, .. }
            | CaptureEvent::Finished { conversation, .. } => *conversation,
        }
    }
}

/// The most ports of other traffic a [`CaptureSummary`] names.
pub const MAX_OTHER_PORTS: usize = 16;

/// What a capture held besides the decoded packets: the frames read and what was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Frames read.
    pub frames: u64,
    /// Frames that carried no TCP segment (another protocol, a truncated header).
    pub skipped_frames: u64,
    /// The first few of them, as `(frame index, reason)` (at most [`MAX_SKIP_NOTES`]).
    pub skip_notes: Vec<(u64, SkipReason)>,
    /// TCP segments of other traffic (neither side on a server port), not decoded.
    pub other_segments: u64,
    /// Those segments by the lower of their two ports (at most [`MAX_OTHER_PORTS`] ports
    /// named; the segments of further ports are in `other_segments` only).
    pub other_ports: BTreeMap<u16, u64>,
    /// Conversations decoded.
    pub conversations: u64,
    /// Of which the capture did not hold the start (decoded from their next command on).
    pub started_mid_stream: u64,
    /// Of which something was lost (and decoding resynchronised at the next command).
    pub damaged: u64,
    /// Bytes the capture lacked (gaps in the streams, skipped).
    pub missing_bytes: u64,
}

impl CaptureSummary {
    /// True when nothing was skipped: every frame was a segment of a decoded conversation,
    /// every conversation was captured whole from its start.
    pub fn is_clean(&self) -> bool {
        self.skipped_frames == 0
            && self.other_segments == 0
            && self.started_mid_stream == 0
            && self.damaged == 0
            && self.missing_bytes == 0
    }
}

/// A live conversation.
struct Live {
    number: usize,
    dec: Decoder,
    /// The reassembler took the server for the client (begun mid-connection, the server's
    /// segment first, on a server port other than the first): directions are swapped.
    flip: bool,
    /// TLS bytes each way (client to server first).
    encrypted: [u64; 2],
    /// The reassembly lost bytes.
    damaged: bool,
}

/// Decodes a capture frame by frame (see the module documentation).
pub struct CaptureDecoder {
    reassembler: Reassembler,
    config: DecoderConfig,
    live: HashMap<u64, Live>,
    summary: CaptureSummary,
    /// Frames since the reassembler was last drained of idle conversations.
    since_drain: u32,
}

/// Frames between two sweeps for idle conversations, by default.
const DRAIN_EVERY: u32 = 4096;

impl CaptureDecoder {
    /// A decoder with `config`.
    pub fn new(config: DecoderConfig) -> Self {
        let server_port = config.server_ports.first().copied().unwrap_or(3306);
        CaptureDecoder {
            reassembler: Reassembler::new(ReassemblyConfig {
                server_port,
                max_buffered_per_flow: config.max_buffered_per_flow,
            }),
            config,
            live: HashMap::new(),
            summary: CaptureSummary::default(),
            since_drain: 0,
        }
    }

    /// What was read and skipped so far.
    pub fn summary(&self) -> &CaptureSummary {
        &self.summary
    }

    /// Conversations being decoded now.
    pub fn live_conversations(&self) -> usize {
        self.live.len()
    }

    /// Decodes one frame, appending what it brought to `out`.
    pub fn push_frame(&mut self, frame: &CapturedFrame<'_>, out: &mut Vec<CaptureEvent>) {
        let n = self.summary.frames;
        self.summary.frames = n.saturating_add(1);
        match decode_frame(frame) {
            Ok(seg) => {
                let ports = &self.config.server_ports;
                if !ports.contains(&seg.src.port()) && !ports.contains(&seg.dst.port()) {
                    self.other(seg.src.port().min(seg.dst.port()));
                } else if let Some(u) = self.reassembler.push_and_take(&seg) {
                    self.update(u, out);
                }
            }
            Err(why) => {
                self.summary.skipped_frames = self.summary.skipped_frames.saturating_add(1);
                if self.summary.skip_notes.len() < MAX_SKIP_NOTES {
                    self.summary.skip_notes.push((n, why));
                }
            }
        }
        self.since_drain = self.since_drain.saturating_add(1);
        if self.since_drain >= self.config.drain_every.max(1) {
            self.since_drain = 0;
            for u in self.reassembler.drain(self.config.drain) {
                self.update(u, out);
            }
        }
    }

    /// The end of the capture: every conversation still live is flushed and finished.
    pub fn finish(mut self, out: &mut Vec<CaptureEvent>) -> CaptureSummary {
        let flows = std::mem::take(&mut self.reassembler).finish_with_ids();
        for (id, flow) in flows {
            self.update(
                ConversationUpdate {
                    id,
                    conversation: flow,
                    finished: true,
                },
                out,
            );
        }
        // Conversations whose flow the reassembler no longer holds (replaced by a new one on
        // the same 4-tuple): finished too, in order.
        let mut rest: Vec<Live> = self.live.drain().map(|(_, l)| l).collect();
        rest.sort_by_key(|l| l.number);
        for l in rest {
            Self::end(&mut self.summary, l, out);
        }
        self.summary
    }

    /// A segment of other traffic.
    fn other(&mut self, port: u16) {
        let s = &mut self.summary;
        s.other_segments = s.other_segments.saturating_add(1);
        if s.other_ports.len() < MAX_OTHER_PORTS || s.other_ports.contains_key(&port) {
            let n = s.other_ports.entry(port).or_insert(0);
            *n = n.saturating_add(1);
        }
    }

    /// What one conversation gained.
    fn update(&mut self, u: ConversationUpdate, out: &mut Vec<CaptureEvent>) {
        let live = match self.live.remove(&u.id) {
            Some(l) => l,
            None => self.start(&u.conversation, out),
        };
        let mut live = live;
        live.damaged |= u.conversation.damaged;
        for ev in u.conversation.events {
            Self::event(&mut self.summary, &mut live, ev);
        }
        Self::emit(&mut live, out);
        if u.finished {
            Self::end(&mut self.summary, live, out);
        } else {
            self.live.insert(u.id, live);
        }
    }

    /// A new conversation.
    fn start(&mut self, flow: &Flow, out: &mut Vec<CaptureEvent>) -> Live {
        let s = &mut self.summary;
        s.conversations = s.conversations.saturating_add(1);
        let number = usize::try_from(s.conversations).unwrap_or(usize::MAX);
        let mid = flow.started_mid_stream;
        let ports = &self.config.server_ports;
        let flip =
            mid && ports.contains(&flow.client.port()) && !ports.contains(&flow.server.port());
        let (client, server) = if flip {
            (flow.server, flow.client)
        } else {
            (flow.client, flow.server)
        };
        let redact = self.config.redact_secrets;
        let (conv, zip) = if mid {
            s.started_mid_stream = s.started_mid_stream.saturating_add(1);
            (Conversation::mid_stream(redact), Zip::Unknown)
        } else {
            (Conversation::new(redact), Zip::Off)
        };
        out.push(CaptureEvent::Started {
            conversation: number,
            start: ConversationStart {
                client,
                server,
                started_mid_stream: mid,
            },
        });
        let mut dec = Decoder::new(conv, !mid, zip, self.config.limits);
        if mid {
            dec.note("capture started mid-connection: decoding from the next command on".into());
        }
        Live {
            number,
            dec,
            flip,
            encrypted: [0, 0],
            damaged: false,
        }
    }

    /// One reassembly event of a conversation.
    fn event(summary: &mut CaptureSummary, live: &mut Live, ev: StreamEvent) {
        let flip = live.flip;
        let turn = |d: Direction| match (flip, d) {
            (false, d) => d,
            (true, Direction::ClientToServer) => Direction::ServerToClient,
            (true, Direction::ServerToClient) => Direction::ClientToServer,
        };
        match ev {
            StreamEvent::Data {
                direction,
                bytes,
                timestamp_nanos,
            } => {
                let direction = turn(direction);
                live.dec.now = timestamp_nanos;
                if live.dec.conv.is_encrypted() {
                    let i = usize::from(direction == Direction::ServerToClient);
                    let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                    if let Some(e) = live.encrypted.get_mut(i) {
                        *e = e.saturating_add(n);
                    }
                    return;
                }
                live.dec.data(direction, &bytes);
            }
            StreamEvent::Gap {
                direction, missing, ..
            } => {
                summary.missing_bytes = summary.missing_bytes.saturating_add(missing);
                live.dec.resync(format!(
                    "{}: {missing} bytes missing from the capture; resynchronising at the next command",
                    turn(direction).arrow()
                ));
            }
            StreamEvent::Fin { .. } | StreamEvent::Rst { .. } => {}
        }
    }

    /// Moves what the conversation's decoder produced to `out`.
    fn emit(live: &mut Live, out: &mut Vec<CaptureEvent>) {
        let conversation = live.number;
        for o in live.dec.out.drain(..) {
            out.push(match o {
                Out::Packet {
                    packet,
                    time_nanos,
                    index,
                } => CaptureEvent::Packet {
                    conversation,
                    index,
                    time_nanos,
                    packet,
                },
                Out::Request(record) => CaptureEvent::Request {
                    conversation,
                    record,
                    user: live.dec.requests.user.clone(),
                    connection_id: live.dec.requests.connection_id,
                },
                Out::Note(note) => CaptureEvent::Note { conversation, note },
            });
        }
    }

    /// A conversation is over.
    fn end(summary: &mut CaptureSummary, mut live: Live, out: &mut Vec<CaptureEvent>) {
        live.dec.finish(live.encrypted);
        Self::emit(&mut live, out);
        let damaged = live.damaged || live.dec.damaged;
        if damaged {
            summary.damaged = summary.damaged.saturating_add(1);
        }
        let (compressed, compression) = (live.dec.compressed(), live.dec.compression());
        let r = &mut live.dec.requests;
        out.push(CaptureEvent::Finished {
            conversation: live.number,
            end: ConversationEnd {
                damaged,
                compressed,
                compression,
                user: std::mem::take(&mut r.user),
                connection_id: r.connection_id,
                incomplete_requests: r.incomplete,
                unknown_statements: r.unknown_sql,
            },
        });
    }
}

#[cfg(test)]
mod tests;
