//! Recording rooms to WAV files in the configured directory. The room's media worker pushes
//! its mix into a bounded queue ([`recording_queue`]); a thread per recording drains it into
//! the file, so disk I/O never holds a tick up.

mod space;
mod wav_file;
mod writer;

use space::Space;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};
use switchyard_guest::{Error, check_file_name};
use switchyard_media::{RecordedFrame, RecordingTap, recording_queue};
use writer::Limit;

/// Frames a recording's queue holds (5 s of 20 ms frames): how long its writer may stall, on a
/// slow disk, before frames are dropped.
const QUEUE_FRAMES: usize = 250;

/// Why recordings are refused when no directory is configured.
pub const NO_DIRECTORY: &str = "no recording directory is configured ([recording] dir)";

/// The least space a recording starts with: less would end it within seconds.
const MIN_START_BYTES: u64 = 1 << 20;

/// What every recording file name ends with; added when a name lacks it.
const EXTENSION: &str = ".wav";

/// Creates recordings in one directory, or refuses them all when none is configured, keeps
/// them within the space they may take together, and deletes those no longer written.
#[derive(Debug)]
pub struct Recorder {
    dir: Option<PathBuf>,
    max_bytes: u64,
    space: Arc<Space>,
    writing: Writing,
}

/// The files being written: at most `recording.max_active`, each removed when its writer ends
/// (or its recording is given up) by the [`Written`] it holds.
type Writing = Arc<Mutex<HashSet<PathBuf>>>;

/// Marks a file as being written while it lives.
#[derive(Debug)]
struct Written {
    writing: Writing,
    path: PathBuf,
}

impl Drop for Written {
    fn drop(&mut self) {
        lock(&self.writing).remove(&self.path);
    }
}

fn lock(writing: &Writing) -> std::sync::MutexGuard<'_, HashSet<PathBuf>> {
    writing.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The files being written, to wait for at shutdown.
#[derive(Debug, Clone)]
pub struct Writers(Writing);

impl Writers {
    /// Waits, at most `within`, for every file being written to be complete (its recording
    /// was stopped); whether they all are.
    pub fn wait(&self, within: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + within;
        loop {
            if lock(&self.0).is_empty() {
                return true;
            }
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// A recording whose file (at `written.path`) exists, empty, before it has a writer.
#[derive(Debug)]
pub struct NewRecording {
    file: File,
    frames: Receiver<RecordedFrame>,
    written: Written,
    space: Arc<Space>,
}

/// Why a recording was not deleted.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteError {
    /// No recording directory is configured.
    NoDirectory,
    /// The name is no recording's: not a plain file name ending in `.wav`.
    NotARecording(String),
    /// A room is being recorded to it.
    BeingWritten(String),
    /// There is no such file.
    NotFound(String),
    /// The file could not be removed.
    Failed(String),
}

impl Recorder {
    /// Recordings in `dir` (an existing directory), taking at most `max_bytes` there
    /// together; `None` refuses every recording.
    pub fn new(dir: Option<PathBuf>, max_bytes: u64) -> Recorder {
        Recorder {
            dir,
            max_bytes,
            space: Arc::new(Space::new(max_bytes)),
            writing: Writing::default(),
        }
    }

    /// What tells when the recordings being written now are complete.
    pub fn writers(&self) -> Writers {
        Writers(self.writing.clone())
    }

    /// Deletes the recording `name` (a plain file name ending in `.wav`, as listed), unless a
    /// room is being recorded to it.
    pub fn delete(&self, name: &str) -> Result<(), DeleteError> {
        let Some(dir) = &self.dir else {
            return Err(DeleteError::NoDirectory);
        };
        if !switchyard_control::files::is_recording_name(name) {
            return Err(DeleteError::NotARecording(name.to_owned()));
        }
        let path = dir.join(name);
        // Held while the file goes, so that no recording of that name starts meanwhile.
        let writing = lock(&self.writing);
        if writing.contains(&path) {
            return Err(DeleteError::BeingWritten(name.to_owned()));
        }
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(DeleteError::NotARecording(name.to_owned())),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(DeleteError::NotFound(name.to_owned()));
            }
            Err(e) => return Err(DeleteError::Failed(format!("{}: {e}", path.display()))),
        }
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => DeleteError::NotFound(name.to_owned()),
            _ => DeleteError::Failed(format!("{}: {e}", path.display())),
        })?;
        drop(writing);
        // Measured anew, not given back: the file may never have been counted (copied in
        // since the last measure).
        if let Err(e) = self.measure_space(dir) {
            tracing::warn!("{e}");
        }
        tracing::info!(path = %path.display(), "recording deleted");
        Ok(())
    }

    /// The directory recordings are written in, if one is configured.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    /// Creates the empty file `name` (`.wav` added when missing) in the directory, and its
    /// queue: the tap for the room's worker, and the [`NewRecording`] that writes what comes
    /// through. A path or a name already taken is [`Error::InvalidArgument`]; no directory
    /// configured, or less than [`MIN_START_BYTES`] left of the space the recordings may take,
    /// [`Error::WrongState`]; a directory that cannot be read or a file that cannot be created
    /// [`Error::Failed`].
    pub fn create(&self, name: &str) -> Result<(RecordingTap, NewRecording), Error> {
        let Some(dir) = &self.dir else {
            return Err(Error::WrongState(format!("recording: {NO_DIRECTORY}")));
        };
        // `.WAV` is written `.wav`, the name the recordings are listed and served by.
        let stem = if has_extension(name) {
            &name[..name.len() - EXTENSION.len()]
        } else {
            name
        };
        let file_name = format!("{stem}{EXTENSION}");
        check_file_name(&file_name)
            .and_then(|()| quotable(&file_name))
            .map_err(|why| Error::InvalidArgument(format!("recording: {name:?}: {why}")))?;
        let used = self.measure_space(dir)?;
        if self.max_bytes.saturating_sub(used) < MIN_START_BYTES {
            return Err(Error::WrongState(format!(
                "recording: the recordings in {} take {used} bytes of the {} \
                 recording.max_total_mb allows: delete some first",
                dir.display(),
                self.max_bytes
            )));
        }
        let path = dir.join(&file_name);
        let mut writing = lock(&self.writing);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            // What a room said is not for every user of the host: readable by the group (a
            // web server's, say) at most.
            .mode(0o640)
            .open(&path)
            .map_err(|e| match e.kind() {
                ErrorKind::AlreadyExists => Error::InvalidArgument(format!(
                    "recording: {file_name:?} exists already in {}",
                    dir.display()
                )),
                _ => Error::Failed(format!("recording: {}: {e}", path.display())),
            })?;
        writing.insert(path.clone());
        drop(writing);
        let written = Written {
            writing: Arc::clone(&self.writing),
            path,
        };
        let (tap, frames) = recording_queue(QUEUE_FRAMES);
        let recording = NewRecording {
            file,
            frames,
            written,
            space: Arc::clone(&self.space),
        };
        Ok((tap, recording))
    }

    /// Measures what the recordings in `dir` take, and so the space left to them (when a
    /// recording starts or one is deleted): files being written count as far as they reached
    /// the disk, which is within a checkpoint of what their writers took. Returns the bytes
    /// taken.
    fn measure_space(&self, dir: &Path) -> Result<u64, Error> {
        let used: u64 = switchyard_control::files::recordings(dir)
            .map_err(|why| Error::Failed(format!("recording: {why}")))?
            .iter()
            .map(|(_, meta)| meta.len())
            .sum();
        self.space.set(self.max_bytes.saturating_sub(used));
        Ok(used)
    }
}

impl NewRecording {
    /// The name of its file, `.wav` included: what the recordings are listed and served by.
    pub fn file_name(&self) -> String {
        self.written
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Starts the thread that writes the recording until its tap is gone. When it cannot be
    /// started the file is removed and the error is [`Error::Failed`].
    pub fn start(self) -> Result<(), Error> {
        let NewRecording {
            file,
            frames,
            written,
            space,
        } = self;
        let path = written.path.clone();
        std::thread::Builder::new()
            .name("recording".to_owned())
            .spawn(move || {
                let outcome = writer::write(frames, file, wav_file::MAX_SAMPLES, &space);
                finish(&written.path, outcome);
            })
            .map(drop)
            .map_err(|e| {
                remove(&path);
                Error::Failed(format!("recording: no writer thread: {e}"))
            })
    }

    /// Gives the recording up before it started: its file is removed.
    pub fn abandon(self) {
        remove(&self.written.path);
    }
}

/// Logs how the recording at `path` ended; one that never got a frame, or failed before any
/// audio reached its file, leaves no file.
fn finish(path: &Path, outcome: hound::Result<Option<writer::Written>>) {
    match outcome {
        Ok(Some(written)) => {
            let seconds = written.samples as f64 / f64::from(written.rate);
            let silence_frames = written.silence_frames;
            let path = path.display();
            match written.stopped_at {
                None => tracing::info!(%path, seconds, silence_frames, "recording complete"),
                Some(limit) => tracing::warn!(
                    %path,
                    seconds,
                    silence_frames,
                    "recording stopped {}: the file is complete up to there",
                    match limit {
                        Limit::FileSize => "at the WAV size limit (4 GiB)",
                        Limit::Space => "where the recordings took all of recording.max_total_mb",
                    }
                ),
            }
        }
        Ok(None) => {
            remove(path);
            tracing::info!(path = %path.display(), "recording ended before any audio: no file");
        }
        Err(e) if holds_no_audio(path) => {
            remove(path);
            tracing::error!(
                path = %path.display(),
                "recording failed before any audio reached its file: removed: {e}"
            );
        }
        Err(e) => tracing::error!(
            path = %path.display(),
            "recording failed, the file holds what was written before: {e}"
        ),
    }
}

/// Whether the file at `path` is no longer than a WAV header: what a writer that failed
/// at its start leaves. A file that cannot be looked at is kept.
fn holds_no_audio(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.len() <= wav_file::LONGEST_HEADER)
}

fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), "could not remove the recording: {e}");
    }
}

/// A recording's name goes into its download's `Content-Disposition` as a quoted string
/// (RFC 6266): no `"` and no control characters.
fn quotable(name: &str) -> Result<(), &'static str> {
    if name.contains(|c: char| c == '"' || c.is_control()) {
        return Err("a recording's name has no '\"' and no control characters");
    }
    Ok(())
}

fn has_extension(name: &str) -> bool {
    name.len() >= EXTENSION.len()
        && name.as_bytes()[name.len() - EXTENSION.len()..]
            .eq_ignore_ascii_case(EXTENSION.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn recorder() -> (tempfile::TempDir, Recorder) {
        let dir = tempfile::tempdir().unwrap();
        let recorder = Recorder::new(Some(dir.path().to_owned()), u64::MAX);
        (dir, recorder)
    }

    #[test]
    fn names_are_plain_file_names_with_the_extension_added() {
        let (dir, recorder) = recorder();
        recorder.create("board").unwrap();
        recorder.create("Loud.WAV").unwrap();
        assert!(dir.path().join("board.wav").is_file());
        // Listed and served by `.wav`, whatever case it was asked for in.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.contains(&"Loud.wav".to_owned()), "{names:?}");
        for bad in [
            "", "../x", "a/b", ".hidden", "a\\b", ".wav", "a\"b", "tab\tbed",
        ] {
            assert!(
                matches!(recorder.create(bad), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_recording_is_refused_while_the_recordings_take_their_space() {
        let dir = tempfile::tempdir().unwrap();
        let recorder = Recorder::new(Some(dir.path().to_owned()), 3 * MIN_START_BYTES);
        let old = vec![0; 2 * MIN_START_BYTES as usize + 1];
        std::fs::write(dir.path().join("old.wav"), old).unwrap();
        // No recording: not counted.
        let notes = vec![0; 4 * MIN_START_BYTES as usize];
        std::fs::write(dir.path().join("notes.txt"), notes).unwrap();
        let refused = recorder.create("new");
        assert!(
            matches!(&refused, Err(Error::WrongState(why)) if why.contains("max_total_mb")),
            "{refused:?}"
        );
        assert!(!dir.path().join("new.wav").exists());
        recorder.delete("old.wav").unwrap();
        recorder.create("new").unwrap();
        assert_eq!(recorder.space.take(u64::MAX), 3 * MIN_START_BYTES);
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let (dir, recorder) = recorder();
        std::fs::write(dir.path().join("kept.wav"), b"precious").unwrap();
        let refused = recorder.create("kept");
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(why)) if why.contains("exists")),
            "{refused:?}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("kept.wav")).unwrap(),
            b"precious"
        );
    }

    #[test]
    fn without_a_directory_every_recording_is_refused() {
        assert!(matches!(
            Recorder::new(None, u64::MAX).create("x"),
            Err(Error::WrongState(_))
        ));
    }

    #[test]
    fn a_recording_that_fails_before_its_file_can_be_read_leaves_no_file() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("broken").unwrap();
        assert_eq!(recording.file_name(), "broken.wav");
        let path = dir.path().join("broken.wav");
        let (sender, frames) = std::sync::mpsc::sync_channel(1);
        let frame = switchyard_media::RecordedFrame {
            rate: 8000,
            dropped_before: 0,
            samples: vec![0; 160].into(),
        };
        sender.send(frame).unwrap();
        drop(sender);
        // A handle that cannot be written, as a full disk fails the header's write.
        let read_only = File::open(&path).unwrap();
        let outcome = writer::write(
            frames,
            read_only,
            wav_file::MAX_SAMPLES,
            &Space::new(1 << 30),
        );
        assert!(outcome.is_err());
        finish(&path, outcome);
        assert!(!path.exists(), "an empty file is no recording to list");

        // One that failed later keeps what it wrote, readable or not just now.
        let (_tap, _recording) = recorder.create("long").unwrap();
        let path = dir.path().join("long.wav");
        std::fs::write(&path, vec![0; 4096]).unwrap();
        finish(
            &path,
            Err(hound::Error::IoError(std::io::Error::other("disk full"))),
        );
        assert!(path.exists());
    }

    #[test]
    fn a_recording_is_readable_by_its_owner_and_group_only() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("private").unwrap();
        let mode = std::fs::metadata(dir.path().join("private.wav"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, mode & 0o040, "{mode:o}");
        recording.abandon();
    }

    #[test]
    fn an_abandoned_recording_leaves_no_file() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("gone").unwrap();
        recording.abandon();
        assert!(!dir.path().join("gone.wav").exists());
    }

    #[test]
    fn a_recording_is_deleted_once_no_room_writes_it() {
        let (dir, recorder) = recorder();
        std::fs::write(dir.path().join("old.wav"), b"RIFF").unwrap();
        assert_eq!(recorder.delete("old.wav"), Ok(()));
        assert!(!dir.path().join("old.wav").exists());
        assert_eq!(
            recorder.delete("old.wav"),
            Err(DeleteError::NotFound("old.wav".into()))
        );
        let (_tap, recording) = recorder.create("board").unwrap();
        assert_eq!(
            recorder.delete("board.wav"),
            Err(DeleteError::BeingWritten("board.wav".into()))
        );
        recording.abandon();
        assert_eq!(
            recorder.delete("board.wav"),
            Err(DeleteError::NotFound("board.wav".into())),
            "given up, it is written no more (and its file is gone)"
        );
        std::fs::create_dir(dir.path().join("dir.wav")).unwrap();
        for name in ["../x.wav", "notes.txt", "", "dir.wav"] {
            assert_eq!(
                recorder.delete(name),
                Err(DeleteError::NotARecording(name.into())),
                "{name:?}"
            );
        }
        assert_eq!(
            Recorder::new(None, u64::MAX).delete("a.wav"),
            Err(DeleteError::NoDirectory)
        );
    }
}
