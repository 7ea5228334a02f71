//! The streaming capture reader: classic pcap or pcapng from any [`Read`] (a pipe from
//! `tcpdump -U -w -`, standard input, a file), yielding each record as soon as it has arrived.
//!
//! The buffer holds at most one unit (a record or block, at most [`MAX_RECORD_LEN`] plus a record
//! header) plus one read's worth of bytes: a header announcing more than that is a typed error
//! before anything is buffered for it, and the input is never read whole. A read may end
//! anywhere, in the middle of a header or of a packet: the reader reads again until the unit is
//! complete. The parsing is [`super::parse`], the same as [`CaptureReader`](super::CaptureReader)'s,
//! so both yield the same frames and the same error for the same bytes.

use super::parse::{Parser, PCAP_FILE_HEADER_LEN};
use super::read::{CaptureFormat, CapturedFrame};
use super::*;

/// How many bytes one read asks for (more when a unit needs more).
const READ_CHUNK: usize = 64 * 1024;

/// What stops a [`CaptureStream`]: the input failed, or the capture is malformed.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed.
    Io(io::Error),
    /// The capture is malformed or ends inside a record ([`CaptureError`], with its record
    /// index and byte offset in the stream).
    Capture(CaptureError),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(e) => write!(f, "capture: reading the input: {e}"),
            StreamError::Capture(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Io(e) => Some(e),
            StreamError::Capture(e) => Some(e),
        }
    }
}

impl From<CaptureError> for StreamError {
    fn from(e: CaptureError) -> Self {
        StreamError::Capture(e)
    }
}

/// A pcap or pcapng capture read from a [`Read`] as it arrives.
///
/// [`next_frame`](Self::next_frame) returns each packet record, borrowed from the reader's
/// buffer until the next call; at the end of the input `None`; on a malformed or truncated
/// capture or a failed read one error, and then `None` for ever. Unknown pcapng blocks are
/// skipped. The reader asks the input only for what it lacks, so a record that has arrived is
/// returned without waiting for the next one.
#[derive(Debug)]
pub struct CaptureStream<R> {
    input: Input<R>,
    parser: Parser,
    done: bool,
}

impl<R: Read> CaptureStream<R> {
    /// Opens a capture stream: reads (waiting for) the pcap file header, or the start of the
    /// pcapng section header.
    pub fn new(inner: R) -> Result<Self, StreamError> {
        let mut input = Input {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
        };
        input.fill(PCAP_FILE_HEADER_LEN).map_err(StreamError::Io)?;
        let (parser, used) = Parser::open(input.pending())?;
        input.start = input.start.saturating_add(used);
        Ok(CaptureStream {
            input,
            parser,
            done: false,
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.parser.format()
    }

    /// Byte offset in the stream of the next record to read.
    pub fn position(&self) -> u64 {
        self.parser.offset()
    }

    /// The input, with whatever was read from it but not parsed lost.
    pub fn into_inner(self) -> R {
        self.input.inner
    }

    /// How many bytes the buffer holds (read, not yet returned): at most one unit plus one read.
    pub fn buffered(&self) -> usize {
        self.input.buffered()
    }

    /// The buffer's allocated size: at most one unit ([`MAX_RECORD_LEN`] plus a record header)
    /// plus one read's worth of bytes, whatever the length of the stream.
    pub fn buffer_capacity(&self) -> usize {
        self.input.buf.len()
    }

    /// The next packet record, waiting for the input as needed.
    pub fn next_frame(&mut self) -> Option<Result<CapturedFrame<'_>, StreamError>> {
        if self.done {
            return None;
        }
        // Non-packet units (pcapng section headers, interfaces, unknown blocks) are consumed
        // here; the loop stops with a packet's unit complete in the buffer.
        let result = loop {
            match self.fill_unit() {
                Ok(false) => break Ok(None),
                Ok(true) => {}
                Err(e) => break Err(e),
            }
            match self.parser.next_unit(self.input.pending()) {
                Ok((len, None)) => self.input.consume(len),
                Ok((len, Some(frame))) => break Ok(Some((self.input.start, len, frame))),
                Err(e) => break Err(StreamError::Capture(e)),
            }
        };
        match result {
            Ok(Some((at, len, frame))) => {
                self.input.consume(len);
                let unit = self.input.buf.get(at..self.input.start).unwrap_or(&[]);
                Some(
                    frame
                        .frame(unit)
                        .ok_or_else(|| self.parser.lost_frame().into()),
                )
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Makes the next unit complete in the buffer: `Ok(true)` when it is, `Ok(false)` at a clean
    /// end of input (nothing pending). A unit cut by the end of the input is left for the parser
    /// to report as truncated (`Ok(true)`), as [`CaptureReader`](super::CaptureReader) does.
    fn fill_unit(&mut self) -> Result<bool, StreamError> {
        loop {
            let have = self.input.buffered();
            if have == 0 {
                if self.input.eof {
                    return Ok(false);
                }
                self.input.fill(1).map_err(StreamError::Io)?;
                continue;
            }
            match self.parser.unit_len(self.input.pending()) {
                Ok(len) if len <= have => return Ok(true),
                _ if self.input.eof => return Ok(true),
                Ok(len) => self.input.fill(len).map_err(StreamError::Io)?,
                // The header itself is cut (it is at most 16 bytes): read on.
                Err(e) if e.kind == ErrorKind::Truncated => self
                    .input
                    .fill(have.saturating_add(1))
                    .map_err(StreamError::Io)?,
                Err(e) => return Err(StreamError::Capture(e)),
            }
        }
    }
}

/// The input and its buffer: `buf[start..end]` is read but not yet parsed.
#[derive(Debug)]
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn pending(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    fn buffered(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
    }

    /// Reads until `want` bytes are pending or the input ends. `want` is at most one unit
    /// (checked against `MAX_RECORD_LEN` by the parser before it gets here), so the buffer never
    /// grows past one unit plus [`READ_CHUNK`].
    fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.buffered() < want && !self.eof {
            let room = want.max(READ_CHUNK);
            // Move the pending bytes to the front when the tail is too short for the unit.
            if self.start > 0 && self.buf.len().saturating_sub(self.start) < room {
                let pending = self.buffered();
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = pending;
            }
            let need = self.start.saturating_add(room);
            if self.buf.len() < need {
                self.buf.resize(need, 0);
            }
            let Some(space) = self.buf.get_mut(self.end..) else {
                return Err(io::Error::other("capture stream: buffer out of step"));
            };
            let space_len = space.len();
            match self.inner.read(space) {
                Ok(0) => self.eof = true,
                // A `Read` never reports more than it was given; `min` keeps a buggy one in step.
                Ok(n) => self.end = self.end.saturating_add(n.min(space_len)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
