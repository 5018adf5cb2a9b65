//! The writer of one recording: drains its queue into its WAV files (the mix, and the tracks
//! of a recording with tracks) on a thread of its own, off the timing cores, checkpointing the
//! files every [`CHECKPOINT_INTERVAL`].

use super::space::Space;
use super::wav_file::{BYTES_PER_SAMPLE, MAX_SAMPLES, WavFile};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use switchyard_core::CallId;
use switchyard_media::{LegId, MAX_RECORDED_TRACKS, RecordedFrame};

/// How often the files' headers are brought up to date and the files synced to disk: a crash
/// of the process loses at most this much of the recording (plus what is queued); see
/// [`wav_file`](super::wav_file) for a power loss.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// How often at most a recording that runs short of space measures it again, before it
/// stops: files deleted by hand meanwhile free theirs, and a full directory is not scanned
/// at every frame.
const REMEASURE_INTERVAL: Duration = Duration::from_secs(10);

/// What a finished recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Samples in each of its files.
    pub samples: u64,
    /// Samples per second.
    pub rate: u32,
    /// Frames that did not come (the queue was full, the worker skipped their ticks, or they
    /// were the silence before the room's first mix) and were written as silence.
    pub silence_frames: u64,
    /// Its tracks' files.
    pub tracks: usize,
    /// The limit that completed the files while the recording was still going on, if one did.
    pub stopped_at: Option<Limit>,
}

/// What can complete a recording's files before its recording ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The most samples a file may hold.
    FileSize,
    /// The space left to the recordings together.
    Space,
}

/// Opens the track of a leg, at a rate: a new file holding no samples.
pub type OpenTrack<'a> = dyn FnMut(LegId, u32) -> std::io::Result<WavFile> + 'a;

/// Writes every frame from `frames` into `file` (open for writing, as
/// [`create_new`](super::wav_file::create_new) made it), and each track into the file
/// `open_track` creates for its leg when the leg is first heard, until the queue's tap is
/// gone, the files hold `max_samples` each (at most [`MAX_SAMPLES`], what a WAV header can
/// describe) or `space` has no more bytes for their samples, then completes the files. Every
/// file holds as many samples as the mix, aligned with it: a track starts with silence up to
/// where the mix stood when its leg was first heard, and holds silence wherever its leg was
/// not heard. A leg whose track cannot be opened, or whose leading silence `space` has no
/// room for, has no track: it is in the mix only, and a warning says so once. The mix's
/// header is rewritten at the first frame, at its rate; a frame's dropped predecessors become
/// silence of its length in every file. `None`: no frame came, and the file is left as it
/// was. The queue is dropped on return, with the rest unread, so the worker stops recording:
/// on full files, and on an error, after which the files hold what was written up to the
/// last checkpoint. A file deleted while being written (by hand, or with its directory) is
/// an error too, found at the next checkpoint, which first completes every other file (as a
/// limit does), and the only one of kind [`NotFound`](std::io::ErrorKind::NotFound): the
/// deleted file would otherwise grow unseen, outside every measure of the space, until the
/// recording ends.
pub fn write(
    frames: Receiver<RecordedFrame>,
    file: File,
    max_samples: u64,
    space: &Space,
    open_track: &mut OpenTrack<'_>,
) -> std::io::Result<Option<Written>> {
    let Ok(first) = frames.recv() else {
        return Ok(None);
    };
    let mut written = Written {
        samples: 0,
        rate: first.rate,
        silence_frames: 0,
        tracks: 0,
        stopped_at: None,
    };
    let max_samples = max_samples.min(MAX_SAMPLES);
    let mut files = Files {
        mix: WavFile::create(file, first.rate)?,
        tracks: BTreeMap::new(),
        skipped: BTreeSet::new(),
        measured: None,
    };
    let mut frame = Some(first);
    let mut checkpointed = Instant::now();
    loop {
        if let Some(frame) = frame.take() {
            let stopped = files.write_frame(&frame, max_samples, space, open_track)?;
            written.silence_frames += u64::from(frame.dropped_before);
            if stopped.is_some() {
                written.stopped_at = stopped;
                break;
            }
        }
        if checkpointed.elapsed() >= CHECKPOINT_INTERVAL {
            files.checkpoint()?;
            checkpointed = Instant::now();
        }
        match frames.recv_timeout(CHECKPOINT_INTERVAL) {
            Ok(next) => frame = Some(next),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    written.samples = files.mix.samples();
    written.tracks = files.tracks.len();
    files.checkpoint()?;
    Ok(Some(written))
}

/// The files of a recording being written.
struct Files {
    mix: WavFile,
    tracks: BTreeMap<LegId, WavFile>,
    /// The legs heard that have no track: in the mix only.
    skipped: BTreeSet<LegId>,
    /// When this recording last measured the space, having run short of it.
    measured: Option<Instant>,
}

impl Files {
    /// Writes `frame` (its gap, then its samples) into the mix and every track, opening the
    /// tracks of legs heard for the first time; the limit it reached, if any, where every file
    /// stops at the same sample.
    fn write_frame(
        &mut self,
        frame: &RecordedFrame,
        max_samples: u64,
        space: &Space,
        open_track: &mut OpenTrack<'_>,
    ) -> std::io::Result<Option<Limit>> {
        for (leg, _) in frame.samples.tracks() {
            if !self.tracks.contains_key(&leg) && !self.skipped.contains(&leg) {
                self.open_track(leg, frame.rate, space, open_track)?;
            }
        }
        let len = frame.samples.len() as u64;
        let gap = u64::from(frame.dropped_before) * len;
        let files = 1 + self.tracks.len() as u64;
        let wanted = (gap + len).min(max_samples - self.mix.samples());
        let taken = self.take(space, wanted * files * BYTES_PER_SAMPLE);
        // Every file gets as many samples as the space allows all of them.
        let granted = taken / BYTES_PER_SAMPLE / files;
        space.give(taken - granted * files * BYTES_PER_SAMPLE);
        let silence = gap.min(granted);
        // At most the frame: `wanted` is at most the gap and the frame.
        let sounded = (granted - silence) as usize;
        self.mix.write_silence(silence)?;
        self.mix.write(&frame.samples[..sounded])?;
        for (leg, track) in self.tracks.iter_mut() {
            track.write_silence(silence)?;
            match frame.samples.tracks().find(|&(heard, _)| heard == *leg) {
                Some((_, samples)) => track.write(&samples[..sounded])?,
                None => track.write_silence(sounded as u64)?,
            }
        }
        Ok(if granted < wanted {
            Some(Limit::Space)
        } else if self.mix.samples() == max_samples {
            Some(Limit::FileSize)
        } else {
            None
        })
    }

    /// Opens the track of `leg`, first heard at `rate`, with the silence before it; or, when
    /// its file cannot be created or `space` has no room for that silence, records `leg` as
    /// having no track, with a warning.
    fn open_track(
        &mut self,
        leg: LegId,
        rate: u32,
        space: &Space,
        open_track: &mut OpenTrack<'_>,
    ) -> std::io::Result<()> {
        let call = CallId(leg.0);
        let before = self.mix.samples();
        let granted = self.take(space, before * BYTES_PER_SAMPLE);
        if granted < before * BYTES_PER_SAMPLE {
            space.give(granted);
            self.skipped.insert(leg);
            tracing::warn!(
                %call,
                "no track for the call: the recordings took all of recording.max_total_mb; \
                 it is in the mix only"
            );
            return Ok(());
        }
        match open_track(leg, rate) {
            Ok(mut track) => {
                track.write_silence(before)?;
                self.tracks.insert(leg, track);
            }
            Err(e) => {
                space.give(granted);
                self.skipped.insert(leg);
                tracing::warn!(%call, "no track for the call: {e}; it is in the mix only");
            }
        }
        if self.tracks.len() + self.skipped.len() == MAX_RECORDED_TRACKS {
            tracing::warn!(
                "the recording has had {MAX_RECORDED_TRACKS} calls heard, the most it keeps \
                 tracks of: calls heard from now on are in the mix only"
            );
        }
        Ok(())
    }

    /// Takes `bytes` of `space`, or all that is left when less is; returns how many were
    /// taken. Short of them, it measures the space again first (see [`Space::measure`]),
    /// unless this recording did within [`REMEASURE_INTERVAL`].
    fn take(&mut self, space: &Space, bytes: u64) -> u64 {
        let taken = space.take(bytes);
        if taken == bytes
            || self
                .measured
                .is_some_and(|at| at.elapsed() < REMEASURE_INTERVAL)
        {
            return taken;
        }
        self.measured = Some(Instant::now());
        space.give(taken);
        if let Err(why) = space.measure() {
            tracing::warn!("could not measure the space left to recordings: {why}");
        }
        space.take(bytes)
    }

    /// Brings every file still named up to date, then syncs each to disk: the outcome is that
    /// of the recording's own files alone, whatever other files on their file system do. A
    /// file found deleted fails the checkpoint, named, once every other file is complete.
    fn checkpoint(&mut self) -> std::io::Result<()> {
        let (mut named, deleted) = self.named_files()?;
        // Every file is updated before any is synced, so that one journal commit (on ext4,
        // XFS) tends to carry all their new sizes. A sync of the whole file system (`syncfs`)
        // would cost fewer calls, but reports any write error on that file system since the
        // file was opened, other programs' included, and so would fail every recording there.
        for file in &mut named {
            file.update()?;
        }
        for file in &named {
            file.sync()?;
        }
        deleted.map_or(Ok(()), Err)
    }

    /// The files that still have a name, and the error naming the first of those deleted
    /// while being written, if any.
    fn named_files(&mut self) -> std::io::Result<(Vec<&mut WavFile>, Option<std::io::Error>)> {
        let mut named = Vec::with_capacity(1 + self.tracks.len());
        let mut deleted = None;
        let files = std::iter::once((None, &mut self.mix)).chain(
            self.tracks
                .iter_mut()
                .map(|(leg, track)| (Some(*leg), track)),
        );
        for (leg, file) in files {
            if !file.is_deleted()? {
                named.push(file);
            } else if deleted.is_none() {
                deleted = Some(deleted_error(leg));
            }
        }
        Ok((named, deleted))
    }
}

/// The error of a recording whose file was deleted while being written: the mix (`None`), or
/// the track of a leg.
fn deleted_error(leg: Option<LegId>) -> std::io::Error {
    let what = match leg {
        None => "the recording's file".to_owned(),
        Some(leg) => format!("the track of call {}", CallId(leg.0)),
    };
    std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("{what} was deleted while being recorded"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hound::WavReader;
    use switchyard_media::recording_queue;

    fn plenty() -> Space {
        Space::new(u64::MAX, None)
    }

    /// The track opener of a recording without tracks, which never asks for one.
    fn no_tracks(leg: LegId, _: u32) -> std::io::Result<WavFile> {
        panic!("no track to open, yet {leg:?} was asked for")
    }

    /// A frame at 8 kHz of `len` samples of `value` in the mix, and of each level of `heard`
    /// in its leg's track.
    fn tracked(
        len: usize,
        value: i16,
        dropped_before: u32,
        heard: &[(LegId, i16)],
    ) -> RecordedFrame {
        let mut samples = vec![value; len];
        let legs: Vec<LegId> = heard.iter().map(|&(leg, _)| leg).collect();
        for &(_, level) in heard {
            samples.extend(vec![level; len]);
        }
        RecordedFrame {
            rate: 8000,
            dropped_before,
            samples: switchyard_media::RecordedSamples::with_tracks(samples, legs),
        }
    }

    fn read(path: &std::path::Path) -> Vec<i16> {
        WavReader::open(path)
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }

    fn frame(rate: u32, value: i16, dropped_before: u32) -> RecordedFrame {
        RecordedFrame {
            rate,
            dropped_before,
            samples: vec![value; 320].into(),
        }
    }

    /// A file whose writes succeed and whose every sync fails (`EINVAL`: a device without
    /// one), as a file of the recording's own that cannot reach the disk.
    fn unsyncable() -> WavFile {
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        WavFile::create(null, 8000).unwrap()
    }

    #[test]
    fn a_checkpoint_stands_or_falls_with_each_of_the_recording_s_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let create = |name: &str| WavFile::create_new(&dir.path().join(name), 8000).unwrap();
        let mut files = Files {
            mix: create("mix.wav"),
            tracks: BTreeMap::from([(LegId(1), create("1.wav"))]),
            skipped: BTreeSet::new(),
            measured: None,
        };
        files.checkpoint().unwrap();
        // On a file system other than the mix's: only a sync of the track itself sees it.
        files.tracks.insert(LegId(2), unsyncable());
        let error = files.checkpoint().unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EINVAL), "{error}");
    }

    #[test]
    fn a_file_deleted_while_being_written_ends_the_recording_at_the_next_checkpoint() {
        let a = LegId(1);
        for (deleted, named) in [("mix.wav", "the recording's file"), ("1.wav", "call c1")] {
            let dir = tempfile::tempdir().unwrap();
            let file = File::create(dir.path().join("mix.wav")).unwrap();
            let (sender, frames) = std::sync::mpsc::sync_channel(8);
            sender.send(tracked(160, 1, 0, &[(a, 10)])).unwrap();
            let tracks = dir.path().to_owned();
            let (done, finished) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut open_track = |leg: LegId, rate| {
                    WavFile::create_new(&tracks.join(format!("{}.wav", leg.0)), rate)
                };
                done.send(write(frames, file, MAX_SAMPLES, &plenty(), &mut open_track))
            });
            let track = dir.path().join("1.wav");
            let opened = Instant::now();
            while !track.exists() && opened.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::fs::remove_file(dir.path().join(deleted)).unwrap();
            // The tap is still there: the writer ends on its own, or never.
            let error = finished
                .recv_timeout(Duration::from_secs(10))
                .expect("the writer stops once a file of its recording is deleted")
                .unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{deleted}");
            let message = error.to_string();
            assert!(
                message.contains(named) && message.contains("deleted while being recorded"),
                "{message}"
            );
            assert!(
                sender.send(tracked(160, 2, 0, &[])).is_err(),
                "the queue is gone, so the worker ends the recording"
            );
        }
    }

    #[test]
    fn a_deleted_track_ends_the_recording_with_every_other_file_complete() {
        let (a, b) = (LegId(1), LegId(2));
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        for _ in 0..3 {
            sender
                .send(tracked(160, 1, 0, &[(a, 10), (b, 20)]))
                .unwrap();
        }
        drop(sender);
        // The track of `a` is deleted by hand as soon as it appears, before any checkpoint.
        let mut open_track = |leg: LegId, rate| {
            let track = path(&format!("{}.wav", leg.0));
            let opened = WavFile::create_new(&track, rate);
            if leg == a {
                std::fs::remove_file(&track).unwrap();
            }
            opened
        };
        let file = File::create(path("mix.wav")).unwrap();
        let error = write(frames, file, MAX_SAMPLES, &plenty(), &mut open_track).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{error}");
        assert!(error.to_string().contains("call c1"), "{error}");
        for (name, level) in [("mix.wav", 1), ("2.wav", 20)] {
            let bytes = std::fs::read(path(name)).unwrap();
            let data = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
            assert_eq!(
                data,
                480 * 2,
                "{name}: its header counts every sample written"
            );
            assert_eq!(
                bytes.len() as u64,
                44 + 480 * 2,
                "{name}: they are all in it"
            );
            assert_eq!(read(&path(name)), [level; 480], "{name}");
        }
        assert!(!path("1.wav").exists());
    }

    #[test]
    fn frames_and_their_gaps_become_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.wav");
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(frame(16_000, 100, 0)).unwrap();
        sender.send(frame(16_000, 200, 2)).unwrap();
        drop(sender);
        let written = write(
            frames,
            File::create(&path).unwrap(),
            MAX_SAMPLES,
            &plenty(),
            &mut no_tracks,
        )
        .unwrap();
        assert_eq!(
            written,
            Some(Written {
                samples: 4 * 320,
                rate: 16_000,
                silence_frames: 2,
                tracks: 0,
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
            write(
                frames,
                File::create(&path).unwrap(),
                MAX_SAMPLES,
                &plenty(),
                &mut no_tracks
            )
            .unwrap(),
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
        std::thread::spawn(move || {
            done.send(write(frames, file, LIMIT, &plenty(), &mut no_tracks).unwrap())
        });
        let written = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("the writer stops at the limit");
        assert_eq!(
            written,
            Some(Written {
                samples: LIMIT,
                rate: 8000,
                silence_frames: 1,
                tracks: 0,
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
        let space = Space::new(700 * BYTES_PER_SAMPLE, None);
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let written = write(frames, file, MAX_SAMPLES, &space, &mut no_tracks).unwrap();
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
                tracks: 0,
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

    #[test]
    fn space_freed_by_hand_is_measured_before_a_recording_stops_for_want_of_it() {
        let recordings = tempfile::tempdir().unwrap();
        let (a, b) = (
            recordings.path().join("a.wav"),
            recordings.path().join("b.wav"),
        );
        std::fs::write(&a, vec![0; 5000]).unwrap();
        std::fs::write(&b, vec![0; 4900]).unwrap();
        let space = Space::new(10_000, Some(recordings.path().to_owned()));
        assert_eq!(space.measure(), Ok(9900));
        // Deleted by hand: no measure has seen it go.
        std::fs::remove_file(&a).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let path = elsewhere.path().join("space.wav");
        let file = File::create(&path).unwrap();
        // A meeting point: each send returns once the writer is done with the frame before.
        let (sender, frames) = std::sync::mpsc::sync_channel(0);
        let writer = std::thread::spawn(move || {
            write(frames, file, MAX_SAMPLES, &space, &mut no_tracks).unwrap()
        });
        // 640 bytes, of the 100 left: measured again, 5100 are.
        sender.send(frame(8000, 100, 0)).unwrap();
        sender.send(frame(8000, 200, 0)).unwrap();
        sender.send(frame(8000, 300, 0)).unwrap();
        // The second and third took 1280 of the 4460 left. Deleted by hand too, but within
        // REMEASURE_INTERVAL of the last measure: 2240 samples wanted, the 3180 bytes left
        // room for 1590.
        std::fs::remove_file(&b).unwrap();
        let _ = sender.send(frame(8000, 400, 6));
        drop(sender);
        let written = writer.join().unwrap().unwrap();
        assert_eq!(
            (written.samples, written.stopped_at),
            (960 + 1590, Some(Limit::Space))
        );
    }

    #[test]
    fn every_track_is_aligned_with_the_mix_and_silent_where_its_leg_was_not_heard() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mix.wav");
        let (a, b) = (LegId(1), LegId(2));
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(tracked(4, 1, 0, &[])).unwrap();
        sender.send(tracked(4, 2, 0, &[(a, 10)])).unwrap();
        sender.send(tracked(4, 3, 1, &[(b, 20)])).unwrap();
        sender.send(tracked(4, 4, 0, &[(a, 11), (b, 21)])).unwrap();
        drop(sender);
        let mut opened = Vec::new();
        let mut open_track = |leg: LegId, rate| {
            opened.push(leg);
            WavFile::create_new(&dir.path().join(format!("{}.wav", leg.0)), rate)
        };
        let written = write(
            frames,
            File::create(&path).unwrap(),
            MAX_SAMPLES,
            &plenty(),
            &mut open_track,
        )
        .unwrap()
        .unwrap();
        assert_eq!((written.samples, written.tracks), (20, 2));
        assert_eq!(opened, [a, b], "each opened once, when first heard");
        let q = |v: i16| [v; 4];
        assert_eq!(read(&path), [q(1), q(2), q(0), q(3), q(4)].concat());
        assert_eq!(
            read(&dir.path().join("1.wav")),
            [q(0), q(10), q(0), q(0), q(11)].concat(),
            "silence before its leg was heard and while it was not"
        );
        assert_eq!(
            read(&dir.path().join("2.wav")),
            [q(0), q(0), q(0), q(20), q(21)].concat()
        );
    }

    #[test]
    fn a_late_track_s_silence_and_long_gaps_are_not_written_sample_by_sample() {
        // Seven minutes at 8 kHz dropped before the first frame, then a leg is first heard.
        const GAP_FRAMES: u32 = 20_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mix.wav");
        let a = LegId(1);
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(tracked(160, 1, GAP_FRAMES, &[])).unwrap();
        sender.send(tracked(160, 2, 0, &[(a, 10)])).unwrap();
        drop(sender);
        let mut open_track = |leg: LegId, rate| {
            WavFile::create_new(&dir.path().join(format!("{}.wav", leg.0)), rate)
        };
        let written = write(
            frames,
            File::create(&path).unwrap(),
            MAX_SAMPLES,
            &plenty(),
            &mut open_track,
        )
        .unwrap()
        .unwrap();
        let samples = u64::from(GAP_FRAMES + 2) * 160;
        assert_eq!((written.samples, written.tracks), (samples, 1));
        for file in [path, dir.path().join("1.wav")] {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&file).unwrap();
            assert_eq!(meta.len(), super::super::wav_file::HEADER_LEN + 2 * samples);
            assert!(
                meta.blocks() * 512 < meta.len() / 4,
                "{}: {} bytes on disk of {}: silence was written",
                file.display(),
                meta.blocks() * 512,
                meta.len()
            );
            let read = read(&file);
            assert_eq!(read.len() as u64, samples);
            let heard = &read[read.len() - 160..];
            assert!(heard.iter().all(|&s| s == 2 || s == 10), "{file:?}");
            assert!(read[..read.len() - 320].iter().all(|&s| s == 0));
        }
    }

    #[test]
    fn a_track_that_cannot_be_opened_or_has_no_room_is_left_out_and_the_rest_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mix.wav");
        let (a, b, c) = (LegId(1), LegId(2), LegId(3));
        let (sender, frames) = std::sync::mpsc::sync_channel(8);
        sender.send(tracked(4, 1, 0, &[(a, 10), (b, 20)])).unwrap();
        sender.send(tracked(4, 2, 0, &[(a, 11), (b, 21)])).unwrap();
        sender.send(tracked(4, 3, 0, &[])).unwrap();
        sender.send(tracked(4, 4, 0, &[(c, 31), (b, 22)])).unwrap();
        drop(sender);
        // Room for the mix and one track, not for the 12 samples of silence c starts with.
        let space = Space::new(2 * 16 * BYTES_PER_SAMPLE + 2 * BYTES_PER_SAMPLE, None);
        let mut asked = Vec::new();
        let mut open_track = |leg: LegId, rate| {
            asked.push(leg);
            if leg == a {
                return Err(std::io::Error::other("a directory of that name"));
            }
            WavFile::create_new(&dir.path().join(format!("{}.wav", leg.0)), rate)
        };
        let written = write(
            frames,
            File::create(&path).unwrap(),
            MAX_SAMPLES,
            &space,
            &mut open_track,
        )
        .unwrap()
        .unwrap();
        assert_eq!(asked, [a, b], "each asked for once");
        assert_eq!(
            (written.samples, written.tracks, written.stopped_at),
            (16, 1, None)
        );
        let q = |v: i16| [v; 4];
        assert_eq!(read(&path), [q(1), q(2), q(3), q(4)].concat());
        assert_eq!(
            read(&dir.path().join("2.wav")),
            [q(20), q(21), q(0), q(22)].concat()
        );
        assert!(!dir.path().join("1.wav").exists() && !dir.path().join("3.wav").exists());
    }
}
