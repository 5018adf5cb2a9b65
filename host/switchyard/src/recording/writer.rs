//! The writer of one recording: drains its queue into its WAV file on a thread of its own,
//! off the timing cores, checkpointing the file every [`CHECKPOINT_INTERVAL`].

use super::wav_file::WavFile;
use std::fs::File;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use switchyard_media::RecordedFrame;

/// How often the file's header is brought up to date and the file synced to disk: a crash
/// loses at most this much of the recording (plus what is queued).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// What a finished recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Samples in the file.
    pub samples: u64,
    /// Samples per second.
    pub rate: u32,
    /// Frames dropped on the way (the queue was full) and written as silence.
    pub dropped_frames: u64,
}

/// Writes every frame from `frames` into `file` (empty, open for writing) until the queue's
/// tap is gone, then completes the file. The WAV header is written at the first frame, at its
/// rate; a frame's dropped predecessors become silence of its length. `None`: no frame came,
/// and the file is left empty. On an error the queue is
/// dropped with the rest unread, so the worker stops recording; the file holds what was written
/// up to the last checkpoint.
pub fn write(frames: Receiver<RecordedFrame>, file: File) -> hound::Result<Option<Written>> {
    let Ok(first) = frames.recv() else {
        return Ok(None);
    };
    let mut written = Written {
        samples: 0,
        rate: first.rate,
        dropped_frames: 0,
    };
    let mut wav = WavFile::create(file, first.rate)?;
    let mut frame = Some(first);
    let mut checkpointed = Instant::now();
    loop {
        if let Some(frame) = frame.take() {
            let gap = frame.dropped_before as usize * frame.samples.len();
            wav.write_silence(gap)?;
            wav.write(&frame.samples)?;
            written.dropped_frames += u64::from(frame.dropped_before);
        }
        if checkpointed.elapsed() >= CHECKPOINT_INTERVAL {
            wav.checkpoint()?;
            checkpointed = Instant::now();
        }
        match frames.recv_timeout(CHECKPOINT_INTERVAL) {
            Ok(next) => frame = Some(next),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    written.samples = wav.samples();
    wav.finish()?;
    Ok(Some(written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hound::WavReader;
    use switchyard_media::recording_queue;

    fn frame(rate: u32, value: i16, dropped_before: u32) -> RecordedFrame {
        RecordedFrame {
            rate,
            dropped_before,
            samples: vec![value; 320].into(),
        }
    }

    #[test]
    fn frames_and_their_gaps_become_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.wav");
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(frame(16_000, 100, 0)).unwrap();
        sender.send(frame(16_000, 200, 2)).unwrap();
        drop(sender);
        let written = write(frames, File::create(&path).unwrap()).unwrap();
        assert_eq!(
            written,
            Some(Written {
                samples: 4 * 320,
                rate: 16_000,
                dropped_frames: 2
            })
        );
        let mut reader = WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        let expected: Vec<i16> = [vec![100; 320], vec![0; 640], vec![200; 320]].concat();
        assert_eq!(samples, expected);
    }

    #[test]
    fn a_recording_without_frames_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.wav");
        let (tap, frames) = recording_queue(8);
        drop(tap);
        assert_eq!(write(frames, File::create(&path).unwrap()).unwrap(), None);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }
}
