//! A whole capture read and reassembled at once: [`reassemble_capture`].

use super::*;

/// The result of reading and reassembling a whole capture.
#[derive(Debug, Clone, Default)]
pub struct CaptureReport {
    /// The conversations, in order of their first segment.
    pub conversations: Vec<Conversation>,
    /// Frames read.
    pub frames: u64,
    /// Frames that carried no TCP segment.
    pub skipped_frames: u64,
    /// The first few reasons for skipping frames, as `(frame index, reason)` (at most
    /// [`MAX_SKIP_NOTES`]).
    pub skip_notes: Vec<(u64, SkipReason)>,
    /// The error that stopped the reading, if the file is malformed or truncated; the frames
    /// before it were used.
    pub error: Option<CaptureError>,
}

/// The most skip notes a [`CaptureReport`] keeps.
pub const MAX_SKIP_NOTES: usize = 100;

/// Reads a pcap or pcapng capture and reassembles all its TCP conversations.
pub fn reassemble_capture(
    capture: &[u8],
    config: ReassemblyConfig,
) -> Result<CaptureReport, CaptureError> {
    let reader = CaptureReader::new(capture)?;
    let mut r = Reassembler::new(config);
    let mut report = CaptureReport::default();
    for item in reader {
        match item {
            Ok(frame) => {
                let n = report.frames;
                report.frames += 1;
                match decode_frame(&frame) {
                    Ok(seg) => r.push(&seg),
                    Err(why) => {
                        report.skipped_frames += 1;
                        if report.skip_notes.len() < MAX_SKIP_NOTES {
                            report.skip_notes.push((n, why));
                        }
                    }
                }
            }
            Err(e) => report.error = Some(e),
        }
    }
    report.conversations = r.finish();
    Ok(report)
}
