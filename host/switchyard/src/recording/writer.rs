//! The writer of one recording: drains its queue into its WAV file on a thread of its own,
//! off the timing cores, checkpointing the file every [`CHECKPOINT_INTERVAL`].

use super::space::Space;
use super::wav_file::{MAX_SAMPLES, WavFile};
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
    /// Frames that did not come (the queue was full, the worker skipped their ticks, or they
    /// were the silence before the room's first mix) and were written as silence.
    pub silence_frames: u64,
    /// The limit that completed the file while the recording was still going on, if one did.
    pub stopped_at: Option<Limit>,
}

/// What can complete a recording's file before its recording ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The most samples the file may hold.
    FileSize,
    /// The space left to the recordings together.
    Space,
}

/// Each sample is 16 bits.
const BYTES_PER_SAMPLE: u64 = 2;

/// Writes every frame from `frames` into `file` (empty, open for writing) until the queue's
/// tap is gone, the file holds `max_samples` (at most [`MAX_SAMPLES`], what a WAV header can
/// describe) or `space` has no more bytes for its samples, then completes the file. The WAV
/// header is written at the first frame, at its rate; a frame's dropped predecessors become
/// silence of its length. `None`: no frame came, and the file is left empty. The queue is
/// dropped on return, with the rest unread, so the worker stops recording: on a full file, and
/// on an error, after which the file holds what was written up to the last checkpoint.
pub fn write(
    frames: Receiver<RecordedFrame>,
    file: File,
    max_samples: u64,
    space: &Space,
) -> hound::Result<Option<Written>> {
    let Ok(first) = frames.recv() else {
        return Ok(None);
    };
    let mut written = Written {
        samples: 0,
        rate: first.rate,
        silence_frames: 0,
        stopped_at: None,
    };
    let max_samples = max_samples.min(MAX_SAMPLES);
    let mut wav = WavFile::create(file, first.rate)?;
    let mut frame = Some(first);
    let mut checkpointed = Instant::now();
    loop {
        if let Some(frame) = frame.take() {
            let gap = u64::from(frame.dropped_before) * frame.samples.len() as u64;
            let wanted = (gap + frame.samples.len() as u64).min(max_samples - wav.samples());
            let granted = space.take(wanted * BYTES_PER_SAMPLE) / BYTES_PER_SAMPLE;
            let silence = gap.min(granted);
            wav.write_silence(silence as usize)?;
            // At most the frame: `wanted` is at most the gap and the frame.
            wav.write(&frame.samples[..(granted - silence) as usize])?;
            written.silence_frames += u64::from(frame.dropped_before);
            if granted < wanted {
                written.stopped_at = Some(Limit::Space);
                break;
            }
            if wav.samples() == max_samples {
                written.stopped_at = Some(Limit::FileSize);
                break;
            }
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

    fn plenty() -> Space {
        Space::new(u64::MAX)
    }

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
        let written = write(frames, File::create(&path).unwrap(), MAX_SAMPLES, &plenty()).unwrap();
        assert_eq!(
            written,
            Some(Written {
                samples: 4 * 320,
                rate: 16_000,
                silence_frames: 2,
                stopped_at: None,
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
        assert_eq!(
            write(frames, File::create(&path).unwrap(), MAX_SAMPLES, &plenty()).unwrap(),
            None
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn a_full_file_is_completed_at_the_limit_and_the_recording_ends() {
        const LIMIT: u64 = 1000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("full.wav");
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(frame(8000, 100, 0)).unwrap();
        sender.send(frame(8000, 200, 1)).unwrap();
        sender.send(frame(8000, 300, 0)).unwrap();
        let file = File::create(&path).unwrap();
        // The tap is still there: the writer ends on its own, or never.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(write(frames, file, LIMIT, &plenty()).unwrap()));
        let written = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("the writer stops at the limit");
        assert_eq!(
            written,
            Some(Written {
                samples: LIMIT,
                rate: 8000,
                silence_frames: 1,
                stopped_at: Some(Limit::FileSize),
            })
        );
        assert!(
            sender.send(frame(8000, 400, 0)).is_err(),
            "the queue is gone, so the worker ends the recording"
        );
        let mut reader = WavReader::open(&path).unwrap();
        assert_eq!(reader.len(), LIMIT as u32);
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        let expected: Vec<i16> =
            [vec![100; 320], vec![0; 320], vec![200; 320], vec![300; 40]].concat();
        assert_eq!(samples, expected);
    }

    #[test]
    fn a_recording_stops_where_the_space_left_to_recordings_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("space.wav");
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(frame(8000, 100, 0)).unwrap();
        sender.send(frame(8000, 200, 1)).unwrap();
        let file = File::create(&path).unwrap();
        let space = Space::new(700 * BYTES_PER_SAMPLE);
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let written = write(frames, file, MAX_SAMPLES, &space).unwrap();
            done.send((written, space.take(u64::MAX)))
        });
        let (written, left) = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("the writer stops when the space is taken");
        assert_eq!(
            written,
            Some(Written {
                samples: 700,
                rate: 8000,
                silence_frames: 1,
                stopped_at: Some(Limit::Space),
            })
        );
        assert_eq!(left, 0);
        assert!(
            sender.send(frame(8000, 300, 0)).is_err(),
            "the queue is gone, so the worker ends the recording"
        );
        let mut reader = WavReader::open(&path).unwrap();
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        let expected: Vec<i16> = [vec![100; 320], vec![0; 320], vec![200; 60]].concat();
        assert_eq!(samples, expected);
    }
}
