//! The in-memory capture reader: classic pcap (both byte orders, micro- and nanosecond
//! resolution) and pcapng (sections, interfaces, enhanced/simple/obsolete packet blocks) held in
//! one byte slice. The parsing itself is [`super::parse`], shared with the streaming reader.

use super::parse::Parser;
use super::*;

/// One captured frame, borrowed from the capture bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedFrame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp_nanos: u64,
    /// The link-layer type (`LINKTYPE_*`) of the interface the frame was captured on.
    pub link_type: u32,
    /// Interface index within the pcapng section (always 0 for classic pcap).
    pub interface: u32,
    /// The frame's length on the wire; larger than `data.len()` when the snaplen cut it.
    pub original_len: u32,
    /// The captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
}

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap format, microsecond timestamps.
    PcapMicros,
    /// Classic libpcap format, nanosecond timestamps.
    PcapNanos,
    /// pcapng.
    Pcapng,
}

/// An iterator over the frames of a classic pcap or pcapng capture held in memory.
///
/// Yields `Ok(frame)` for every packet record in file order and, if the file is malformed or
/// truncated, one `Err(CaptureError)` after the last good frame; it then stops (it is fused).
/// Unknown pcapng block types are skipped.
#[derive(Debug, Clone)]
pub struct CaptureReader<'a> {
    buf: &'a [u8],
    pos: usize,
    parser: Parser,
    done: bool,
}

impl<'a> CaptureReader<'a> {
    /// Opens a capture: reads the pcap file header or checks the pcapng section header magic.
    pub fn new(buf: &'a [u8]) -> Result<Self, CaptureError> {
        let (parser, pos) = Parser::open(buf)?;
        Ok(CaptureReader {
            buf,
            pos,
            parser,
            done: false,
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.parser.format()
    }

    /// Byte offset of the next record to read.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for CaptureReader<'a> {
    type Item = Result<CapturedFrame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let buf: &'a [u8] = self.buf;
        let item = loop {
            let rest = buf.get(self.pos..).unwrap_or(&[]);
            if rest.is_empty() {
                break None;
            }
            match self.parser.next_unit(rest) {
                Ok((len, frame)) => {
                    self.pos = self.pos.saturating_add(len);
                    if let Some(f) = frame {
                        break Some(f.frame(rest).ok_or_else(|| self.parser.lost_frame()));
                    }
                }
                Err(e) => break Some(Err(e)),
            }
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for CaptureReader<'_> {}
