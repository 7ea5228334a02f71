//! `mywire decode`: a capture file or standard input decoded as it is read
//! ([`mywire::capture::decoder::CaptureDecoder`]), each packet printed when its last byte has
//! been read, each request digested or written to the slow log when its response has ended.
//! Memory stays flat on an endless stream: finished conversations are dropped, the digest keeps
//! at most `--digest-limit` fingerprints, and only the request filters hold packets back (those
//! of a request until its response has ended, when it is known whether it is kept).
//!
//! Text output: a conversation's header line (`== conversation N: client -> server`) when it
//! starts, its packets' lines, and its notes as `-- note` lines when they arise; when the
//! conversation of a line is not that of the line before, a `== conversation N (continued)`
//! line first. JSON output: one object per line, each with `"conversation"` first: a header
//! (with `client`, `server`, `started_mid_stream`, no `dir`), the packets, the notes (`"type":
//! "Note"`), and the end (`"type":"End"`, with `damaged` and `compressed`).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use mywire::capture::decoder::{
    CaptureDecoder, CaptureEvent, CaptureSummary, ConversationEnd, ConversationStart, DecoderConfig,
};
use mywire::capture::pcap::{CaptureStream, StreamError};
use mywire::trace::decode::Decoded;
use mywire::trace::digest::{render_json, render_text, Digest};
use mywire::trace::format::{json_str, render, Format};
use mywire::trace::requests::RequestRecord;
use mywire::trace::slowlog::{SlowLogEntry, SlowLogWriter};
use mywire::trace::Direction;

use crate::args::DecodeArgs;

/// Most packets held back for the request filters per conversation (a response longer than
/// this is shown cut, with a warning).
const MAX_HELD: usize = 1 << 20;

/// Most notes held per conversation until its header is printed.
const MAX_HELD_NOTES: usize = 64;

/// What is shown of one conversation.
struct Shown {
    start: ConversationStart,
    header_printed: bool,
    notes: Vec<String>,
    /// Packets held for the request filters: (index, packet, shown).
    held: VecDeque<(usize, Decoded, bool)>,
    client_ip: String,
}

/// Where the requests and packets go.
struct Sink<'a, W: Write> {
    a: &'a DecodeArgs,
    format: Format,
    out: W,
    /// The packets are printed (neither --digest nor --slow-log -).
    packets: bool,
    slow: Option<(SlowLogWriter, Box<dyn Write>)>,
    digest: Option<Digest>,
    shown: HashMap<usize, Shown>,
    /// The conversation of the last line printed.
    last: Option<usize>,
    conversations: u64,
    incomplete: u64,
    unknown: u64,
    cut_warned: bool,
}

/// One JSON object `{"conversation":N,...}`.
fn json_object(n: usize, rest: &str) -> String {
    if rest.is_empty() {
        format!("{{\"conversation\":{n}}}")
    } else {
        format!("{{\"conversation\":{n},{rest}}}")
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_str(&mut out, s);
    out
}

/// True if the filters keep request `r`.
pub fn kept(a: &DecodeArgs, r: &RequestRecord) -> bool {
    a.matching.as_ref().is_none_or(|re| re.is_match(&r.sql))
        && a.min_latency.is_none_or(|min| r.latency_us() >= min)
        && (!a.errors_only || r.error.is_some())
}

impl<W: Write> Sink<'_, W> {
    fn selected(&self, n: usize) -> bool {
        self.a
            .conversation
            .is_none_or(|k| u64::try_from(n).is_ok_and(|n| n == k))
    }

    fn take(&mut self, events: &mut Vec<CaptureEvent>) -> io::Result<()> {
        for ev in events.drain(..) {
            let n = ev.conversation();
            if let CaptureEvent::Started { .. } = ev {
                self.conversations = self.conversations.saturating_add(1);
            }
            if !self.selected(n) {
                continue;
            }
            match ev {
                CaptureEvent::Started { start, .. } => self.started(n, start)?,
                CaptureEvent::Packet { index, packet, .. } => self.packet(n, index, packet)?,
                CaptureEvent::Request {
                    record,
                    user,
                    connection_id,
                    ..
                } => self.request(n, &record, &user, connection_id)?,
                CaptureEvent::Note { note, .. } => self.note(n, note)?,
                CaptureEvent::Finished { end, .. } => self.finished(n, &end)?,
            }
        }
        Ok(())
    }

    fn started(&mut self, n: usize, start: ConversationStart) -> io::Result<()> {
        let client_ip = start.client.ip().to_string();
        self.shown.insert(
            n,
            Shown {
                start,
                header_printed: false,
                notes: Vec::new(),
                held: VecDeque::new(),
                client_ip,
            },
        );
        if self.packets && !self.a.filters_requests() {
            self.header(n)?;
        }
        Ok(())
    }

    /// Prints conversation `n`'s header (and the notes held for it) if not yet printed, or a
    /// "continued" line if another conversation's line came last.
    fn header(&mut self, n: usize) -> io::Result<()> {
        let Some(s) = self.shown.get_mut(&n) else {
            return Ok(());
        };
        if s.header_printed {
            if self.last != Some(n) && self.format == Format::Text {
                writeln!(self.out, "== conversation {n} (continued)")?;
            }
            self.last = Some(n);
            return Ok(());
        }
        s.header_printed = true;
        let st = &s.start;
        match self.format {
            Format::Text => {
                let mid = if st.started_mid_stream {
                    " (started mid-connection)"
                } else {
                    ""
                };
                writeln!(
                    self.out,
                    "== conversation {n}: {} -> {}{mid}",
                    st.client, st.server
                )?;
            }
            Format::Json => writeln!(
                self.out,
                "{}",
                json_object(
                    n,
                    &format!(
                        "\"client\":{},\"server\":{},\"started_mid_stream\":{}",
                        quoted(&st.client.to_string()),
                        quoted(&st.server.to_string()),
                        st.started_mid_stream
                    )
                )
            )?,
        }
        self.last = Some(n);
        let notes = std::mem::take(&mut s.notes);
        for note in notes {
            self.note_line(n, &note)?;
        }
        Ok(())
    }

    fn note_line(&mut self, n: usize, note: &str) -> io::Result<()> {
        match self.format {
            Format::Text => writeln!(self.out, "-- {note}"),
            Format::Json => writeln!(
                self.out,
                "{}",
                json_object(n, &format!("\"type\":\"Note\",\"note\":{}", quoted(note)))
            ),
        }
    }

    fn packet_line(&mut self, n: usize, d: &Decoded) -> io::Result<()> {
        self.header(n)?;
        let line = render(d, self.format, self.a.hex);
        match self.format {
            Format::Text => writeln!(self.out, "{line}"),
            Format::Json => match line.strip_prefix('{') {
                Some(rest) => writeln!(self.out, "{{\"conversation\":{n},{rest}"),
                None => writeln!(self.out, "{line}"),
            },
        }
    }

    fn packet(&mut self, n: usize, index: usize, d: Decoded) -> io::Result<()> {
        if !self.packets {
            return Ok(());
        }
        if !self.a.filters_requests() {
            return self.packet_line(n, &d);
        }
        let Some(s) = self.shown.get_mut(&n) else {
            return Ok(());
        };
        if s.held.len() >= MAX_HELD {
            s.held.pop_front();
            if !self.cut_warned {
                self.cut_warned = true;
                eprintln!(
                    "mywire: more than {MAX_HELD} packets of one response held for the filters: the oldest are not shown"
                );
            }
        }
        s.held.push_back((index, d, false));
        Ok(())
    }

    fn request(
        &mut self,
        n: usize,
        r: &RequestRecord,
        user: &str,
        connection_id: u32,
    ) -> io::Result<()> {
        let keep = kept(self.a, r);
        if keep {
            if let Some(d) = &mut self.digest {
                d.record(&r.as_request());
            }
            if let (Some((w, out)), Some(s)) = (&mut self.slow, self.shown.get(&n)) {
                w.write(
                    out,
                    &SlowLogEntry {
                        time_us: i64::try_from(r.sent_nanos / 1000).unwrap_or(i64::MAX),
                        user,
                        client: &s.client_ip,
                        connection_id,
                        query_time_us: r.latency_us(),
                        rows_sent: r.rows,
                        database: r.database.as_deref(),
                        sql: &r.sql,
                    },
                )?;
            }
        }
        if !self.packets || !self.a.filters_requests() {
            return Ok(());
        }
        // Marks the request's packets (its command, its response's server packets and its
        // LOCAL INFILE data; not the compressed packets' own lines), then prints and drops
        // the packets no later request can claim: up to its command, and its response's
        // packets up to the first client packet after its command that is a later command.
        let Some(s) = self.shown.get_mut(&n) else {
            return Ok(());
        };
        let ours = |i: usize, d: &Decoded| {
            i == r.command_index
                || (i >= r.response_first
                    && i <= r.response_last
                    && !d.is_compressed_packet()
                    && (d.direction == Direction::ServerToClient || d.kind == "LocalInfileData"))
        };
        for (i, d, show) in s.held.iter_mut() {
            if *i > r.response_last {
                break;
            }
            *show |= keep && ours(*i, d);
        }
        let mut ready = Vec::new();
        while let Some((i, d, _)) = s.held.front() {
            let settled = *i <= r.command_index
                || (*i <= r.response_last
                    && (d.direction == Direction::ServerToClient || d.kind == "LocalInfileData"));
            if !settled {
                break;
            }
            if let Some(p) = s.held.pop_front() {
                ready.push(p);
            }
        }
        for (_, d, show) in ready {
            if show {
                self.packet_line(n, &d)?;
            }
        }
        Ok(())
    }

    fn note(&mut self, n: usize, note: String) -> io::Result<()> {
        if !self.packets {
            return Ok(());
        }
        let Some(s) = self.shown.get_mut(&n) else {
            return Ok(());
        };
        if s.header_printed {
            if self.last != Some(n) {
                self.header(n)?;
            }
            return self.note_line(n, &note);
        }
        if s.notes.len() < MAX_HELD_NOTES {
            s.notes.push(note);
        }
        Ok(())
    }

    fn finished(&mut self, n: usize, end: &ConversationEnd) -> io::Result<()> {
        self.incomplete = self.incomplete.saturating_add(end.incomplete_requests);
        self.unknown = self.unknown.saturating_add(end.unknown_statements);
        let printed = self.shown.remove(&n).is_some_and(|s| s.header_printed);
        if printed && self.packets && self.format == Format::Json {
            let algorithm = end
                .compression
                .map_or("null".to_string(), |a| quoted(a.as_str()));
            writeln!(
                self.out,
                "{}",
                json_object(
                    n,
                    &format!(
                        "\"type\":\"End\",\"damaged\":{},\"compressed\":{},\"compression\":{algorithm}",
                        end.damaged, end.compressed
                    )
                )
            )?;
            self.last = Some(n);
        }
        Ok(())
    }

    /// The end: the digest (text table, or JSON lines; what was not counted after the table
    /// or on standard error), the slow log flushed.
    fn finish(&mut self) -> io::Result<()> {
        if let Some((_, out)) = &mut self.slow {
            out.flush()?;
        }
        if let Some(d) = &self.digest {
            let rows = d.rows();
            let mut notes = Vec::new();
            if self.incomplete > 0 {
                notes.push(format!(
                    "{} request(s) whose response the capture does not hold whole not counted",
                    self.incomplete
                ));
            }
            if self.unknown > 0 {
                notes.push(format!(
                    "{} execute(s) of statements whose SQL the capture does not hold (prepared before it began) not counted",
                    self.unknown
                ));
            }
            match self.format {
                Format::Text => {
                    self.out
                        .write_all(render_text(&rows, d.dropped()).as_bytes())?;
                    for n in &notes {
                        writeln!(self.out, "-- {n}")?;
                    }
                }
                Format::Json => {
                    for r in &rows {
                        writeln!(self.out, "{}", render_json(r))?;
                    }
                    if d.dropped() > 0 {
                        eprintln!(
                            "mywire: {} request(s) of further fingerprints not counted (--digest-limit)",
                            d.dropped()
                        );
                    }
                    for n in &notes {
                        eprintln!("mywire: {n}");
                    }
                }
            }
        }
        self.out.flush()
    }
}

/// `3306,3307`.
fn port_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// What was skipped, for standard error (empty when nothing was).
pub fn summary_line(s: &CaptureSummary, ports: &[u16]) -> Option<String> {
    if s.is_clean() {
        return None;
    }
    let mut parts = Vec::new();
    if s.skipped_frames > 0 {
        let first = s
            .skip_notes
            .first()
            .map(|(i, why)| format!(" (the first, frame {}: {why})", i.saturating_add(1)))
            .unwrap_or_default();
        parts.push(format!(
            "{} frame(s) without a TCP segment{first}",
            s.skipped_frames
        ));
    }
    if s.other_segments > 0 {
        let by_port: Vec<String> = s
            .other_ports
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect();
        parts.push(format!(
            "{} TCP segment(s) of other ports (by lower port: {}; decode them with --port {},PORT)",
            s.other_segments,
            by_port.join(", "),
            port_list(ports)
        ));
    }
    if s.started_mid_stream > 0 {
        parts.push(format!(
            "{} conversation(s) begun before the capture (decoded from their next command)",
            s.started_mid_stream
        ));
    }
    if s.missing_bytes > 0 {
        parts.push(format!(
            "{} byte(s) missing from the capture",
            s.missing_bytes
        ));
    }
    if s.damaged > 0 {
        parts.push(format!(
            "{} damaged conversation(s) (resynchronised at their next command)",
            s.damaged
        ));
    }
    Some(format!(
        "{} frame(s), {} conversation(s) decoded; skipped: {}",
        s.frames,
        s.conversations,
        parts.join("; ")
    ))
}

/// `mywire decode`: returns the exit status (0, or 1 when the capture cannot be read at all or
/// the output cannot be written, 2 for arguments that do not fit the capture).
pub fn decode(a: &DecodeArgs) -> u8 {
    let name = a.capture.display().to_string();
    let slow_to_stdout = a.slow_log.as_deref() == Some(Path::new("-"));
    if slow_to_stdout && a.digest {
        eprintln!("mywire: --slow-log - and --digest both write to standard output: give --slow-log a file");
        return 2;
    }
    let stdin = a.capture == Path::new("-");
    let input: Box<dyn Read> = if stdin {
        Box::new(io::stdin().lock())
    } else {
        match File::open(&a.capture) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("mywire: cannot read {name}: {e}");
                return 1;
            }
        }
    };
    let mut stream = match CaptureStream::new(input) {
        Ok(s) => s,
        Err(StreamError::Io(e)) => {
            eprintln!("mywire: cannot read {name}: {e}");
            return 1;
        }
        Err(StreamError::Capture(e)) => {
            eprintln!("mywire: {name}: not a readable capture: {e}");
            return 1;
        }
    };
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(crate::OUT_BUFFER, stdout.lock());
    let slow: Option<(SlowLogWriter, Box<dyn Write>)> = match a.slow_log.as_deref() {
        None => None,
        Some(_) if slow_to_stdout => Some((
            SlowLogWriter::new(),
            Box::new(BufWriter::with_capacity(crate::OUT_BUFFER, io::stdout())),
        )),
        Some(path) => match File::create(path) {
            Ok(f) => Some((SlowLogWriter::new(), Box::new(BufWriter::new(f)))),
            Err(e) => {
                eprintln!(
                    "mywire: cannot write the output: cannot create {}: {e}",
                    path.display()
                );
                return 1;
            }
        },
    };
    let mut sink = Sink {
        a,
        format: a.format.into(),
        out,
        packets: !a.digest && !slow_to_stdout,
        slow,
        digest: a.digest.then(|| Digest::new(a.digest_limit)),
        shown: HashMap::new(),
        last: None,
        conversations: 0,
        incomplete: 0,
        unknown: 0,
        cut_warned: false,
    };
    let mut dec = CaptureDecoder::new(DecoderConfig {
        server_ports: a.ports.clone(),
        redact_secrets: !a.secrets,
        ..DecoderConfig::default()
    });
    let mut events = Vec::new();
    let mut damage = None;
    let result = (|| -> io::Result<()> {
        if let Some((w, out)) = &mut sink.slow {
            w.header(out)?;
        }
        loop {
            match stream.next_frame() {
                Some(Ok(frame)) => dec.push_frame(&frame, &mut events),
                Some(Err(e)) => {
                    damage = Some(e);
                    break;
                }
                None => break,
            }
            sink.take(&mut events)?;
            // Nothing read is left: the next read may wait for the writer of the stream, so
            // what was decoded is shown first.
            if stdin && stream.buffered() == 0 {
                sink.out.flush()?;
                if let Some((_, out)) = &mut sink.slow {
                    out.flush()?;
                }
            }
        }
        let summary = dec.finish(&mut events);
        sink.take(&mut events)?;
        sink.finish()?;
        if let Some(line) = summary_line(&summary, &a.ports) {
            eprintln!("mywire: {name}: {line}");
        }
        if summary.conversations == 0 {
            eprintln!(
                "mywire: {name}: no MySQL conversation on port {} in {} frames (another port: --port)",
                port_list(&a.ports),
                summary.frames
            );
        }
        Ok(())
    })();
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("mywire: cannot write the output: {e}");
        }
        return 1;
    }
    let mut status = 0;
    match damage {
        Some(StreamError::Capture(e)) => {
            eprintln!("mywire: {name}: damaged capture, decoded what was read before: {e}");
        }
        Some(StreamError::Io(e)) => {
            eprintln!("mywire: cannot read {name}: {e} (decoded what was read before)");
            status = 1;
        }
        None => {}
    }
    if let Some(k) = a.conversation {
        if k > sink.conversations && sink.conversations > 0 {
            eprintln!(
                "mywire: {name}: no conversation {k} (the capture has {})",
                sink.conversations
            );
            return 2;
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_put_the_conversation_first() {
        assert_eq!(json_object(2, "\"x\":1"), "{\"conversation\":2,\"x\":1}");
        assert_eq!(json_object(3, ""), "{\"conversation\":3}");
    }

    #[test]
    fn a_clean_capture_has_no_summary() {
        let s = CaptureSummary {
            frames: 10,
            conversations: 1,
            ..CaptureSummary::default()
        };
        assert_eq!(summary_line(&s, &[3306]), None);
        let s = CaptureSummary {
            other_segments: 3,
            other_ports: [(22, 3)].into_iter().collect(),
            ..s
        };
        let line = summary_line(&s, &[3306]).unwrap();
        assert!(line.contains("3 TCP segment(s) of other ports (by lower port: 22: 3"));
    }
}
