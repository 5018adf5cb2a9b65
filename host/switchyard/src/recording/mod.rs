//! Recording rooms to WAV files in the configured directory: the mix, and optionally one track
//! per participant. The room's media worker pushes its frames into a bounded queue
//! ([`recording_queue`]); a thread per recording drains it into the files, so disk I/O never
//! holds a tick up.

mod space;
mod tracks;
mod wav_file;
mod writer;

use crate::file_owner::FileOwner;
use space::Space;
use std::collections::HashMap;
use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use switchyard_guest::{Error, check_file_name};
use switchyard_media::{
    LegId, PROMPT_RATE, RecordedFrame, RecordingId, RecordingTap, recording_queue,
};
use wav_file::WavFile;
use writer::Limit;

/// Frames a recording's queue holds (5 s of 20 ms frames): how long its writer may stall, on a
/// slow disk, before frames are dropped; less for frames with many tracks, which the queue
/// holds at most [`MAX_RECORDING_BYTES`](switchyard_media::MAX_RECORDING_BYTES) of.
const QUEUE_FRAMES: usize = 250;

/// Why recordings are refused when no directory is configured.
pub const NO_DIRECTORY: &str = "no recording directory is configured ([recording] dir)";

/// The least space a recording starts with: less would end it within seconds.
const MIN_START_BYTES: u64 = 1 << 20;

/// What every recording file name ends with; added when a name lacks it.
const EXTENSION: &str = ".wav";

/// The most bytes of a recording's stem (its name before [`EXTENSION`]): its file is created
/// under a hidden name, longer than its own (see [`wav_file::create_new`]).
const MAX_STEM_BYTES: usize = wav_file::MAX_NAME_BYTES - EXTENSION.len();

/// Creates recordings in one directory, or refuses them all when none is configured, keeps
/// them within the space they may take together, and deletes those no longer written.
#[derive(Debug)]
pub struct Recorder {
    dir: Option<PathBuf>,
    space: Arc<Space>,
    writing: Writing,
    /// The claim on `dir` of a server's recorder ([`Recorder::open`]).
    _owner: Option<FileOwner>,
}

/// The files being written: at most `recording.max_active` recordings, each of whose files is
/// registered from its creation until its writer ends (or its recording is given up), by the
/// [`Written`] it holds.
type Writing = Arc<Mutex<Registry>>;

/// What the recordings being written hold.
#[derive(Debug, Default)]
struct Registry {
    /// Each file being written, with the recording that writes it.
    files: HashMap<PathBuf, RecordingId>,
    /// The stem (`board` of `board.wav`) of each recording with tracks, whose tracks' names
    /// (see [`tracks`]) it keeps for itself.
    tracked: HashMap<String, RecordingId>,
}

impl Registry {
    /// The stem of the recording with tracks that `file_name` is a track name of, if any.
    fn track_owner(&self, file_name: &str) -> Option<&str> {
        self.tracked
            .keys()
            .map(String::as_str)
            .find(|stem| tracks::is_track_of(stem, file_name))
    }
}

/// Marks a recording's files as being written while it lives: on drop it ends its own
/// registrations, never those of a later recording of the same name, and removes its files
/// (the mix and every track it opened) first when they are to be discarded, under the same
/// lock, so that no recording of their names starts between the two.
#[derive(Debug)]
struct Written {
    writing: Writing,
    path: PathBuf,
    id: RecordingId,
    /// Which files go with the mark.
    discard: Discard,
}

/// Which of a recording's files its mark removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discard {
    /// None: a recording that holds audio, or failed after some reached its file.
    Nothing,
    /// Every one: a recording given up, or ended before any audio.
    Every,
    /// Each that holds no audio, each other kept: a recording stopped by the deletion of one
    /// of its files, whose others stand or fall by their own content.
    Silent,
}

impl Discard {
    /// Whether the file at `path` goes.
    fn removes(self, path: &Path) -> bool {
        match self {
            Discard::Nothing => false,
            Discard::Every => true,
            Discard::Silent => holds_no_audio(path),
        }
    }
}

impl Written {
    /// Creates (see [`wav_file::create_new`]) and registers the file of `leg`'s track at
    /// `rate`, beside the mix, for the recording whose tracks are named after `stem` (`None`:
    /// a recording without tracks, which has none to open).
    fn open_track(&self, stem: Option<&str>, leg: LegId, rate: u32) -> std::io::Result<WavFile> {
        let stem = stem.ok_or_else(|| std::io::Error::other("a recording without tracks"))?;
        let path = self.path.with_file_name(tracks::file_name(stem, leg));
        let mut writing = lock(&self.writing);
        let track = WavFile::create_new(&path, rate)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        writing.files.insert(path, self.id);
        Ok(track)
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        let mut writing = lock(&self.writing);
        writing.files.retain(|path, id| {
            if *id != self.id {
                return true;
            }
            if self.discard.removes(path) {
                remove(path);
            }
            false
        });
        writing.tracked.retain(|_, id| *id != self.id);
    }
}

fn lock(writing: &Writing) -> std::sync::MutexGuard<'_, Registry> {
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
            // The registry is locked while a file is created or removed, which a hung disk
            // holds up for as long as it hangs: that is no complete file, and no reason to
            // wait past `within`.
            let complete = match self.0.try_lock() {
                Ok(registry) => registry.files.is_empty(),
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().files.is_empty(),
                Err(TryLockError::WouldBlock) => false,
            };
            if complete {
                return true;
            }
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// A recording whose file (at `written.path`) exists, a WAV of no samples, before it has a
/// writer. Dropped, or [abandoned](Self::abandon), before it is started, it removes its file.
#[derive(Debug)]
pub struct NewRecording {
    file: File,
    frames: Receiver<RecordedFrame>,
    written: Written,
    space: Arc<Space>,
    /// With tracks: the stem their names start with.
    tracks: Option<String>,
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
    /// together; `None` refuses every recording. Claims nothing and removes nothing in `dir`:
    /// [`open`](Self::open) does, for a server's start.
    pub fn new(dir: Option<PathBuf>, max_bytes: u64) -> Recorder {
        Recorder {
            space: Arc::new(Space::new(max_bytes, dir.clone())),
            dir,
            writing: Writing::default(),
            _owner: None,
        }
    }

    /// [`new`](Self::new)'s recordings, `dir` first claimed for this process (a hidden `.lock`
    /// in it: [`FileOwner::claim_dir`]), which fails, naming `recording.dir` and saying why,
    /// while another running process holds it: each removes, at start, the hidden files of
    /// recordings being created or deleted, which would be the other's. Once claimed, those a
    /// crash left are removed, with a log line saying how many (see [`remove_leftovers`]).
    pub fn open(dir: Option<PathBuf>, max_bytes: u64) -> anyhow::Result<Recorder> {
        let Some(dir) = dir else {
            return Ok(Recorder::new(None, max_bytes));
        };
        let owner = FileOwner::claim_dir(&dir)
            .map_err(|e| anyhow::anyhow!("recording.dir: {}: {e}", dir.display()))?;
        log_leftovers_removed(&dir);
        Ok(Recorder {
            _owner: Some(owner),
            ..Recorder::new(Some(dir), max_bytes)
        })
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
        // Held while the name goes, so that no recording of that name starts meanwhile.
        let writing = lock(&self.writing);
        if writing.files.contains_key(&path) {
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
        let failed = |e: std::io::Error| match e.kind() {
            ErrorKind::NotFound => DeleteError::NotFound(name.to_owned()),
            _ => DeleteError::Failed(format!("{}: {e}", path.display())),
        };
        if wav_file::can_set_aside(&path) {
            let aside = wav_file::set_aside(&path).map_err(failed)?;
            drop(writing);
            // Unlinking a large file frees its blocks, which may take long: not under the lock
            // every recording's writer takes.
            if let Err(e) = std::fs::remove_file(&aside) {
                return Err(DeleteError::Failed(format!("{}: {e}", aside.display())));
            }
        } else {
            // A name too long for a hidden one (longer than recordings are named now, but
            // listed: copied in, or of an older version) is unlinked in place, under the lock
            // that keeps a recording of that name from starting meanwhile.
            std::fs::remove_file(&path).map_err(failed)?;
            drop(writing);
        }
        // Measured anew, not given back: the file may never have been counted (copied in
        // since the last measure).
        if let Err(e) = self.measure_space() {
            tracing::warn!("{e}");
        }
        tracing::info!(path = %path.display(), "recording deleted");
        Ok(())
    }

    /// The directory recordings are written in, if one is configured.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    /// Creates the file `name` (`.wav` added when missing) in the directory, a WAV of no
    /// samples synced to disk, and its queue: the tap for the room's worker, and the
    /// [`NewRecording`] that writes what comes through. With `tracks`, the tap asks for them
    /// and the writer creates each participant's file beside the mix as the participant is
    /// first heard (named by [`tracks::file_name`]). A name that is no plain file name, is too
    /// long (more than [`MAX_STEM_BYTES`] before `.wav`, [`tracks::MAX_STEM_BYTES`] with
    /// `tracks`), or is taken (by a file, by a recording being written, by the tracks of one,
    /// or, with `tracks`, a file named as one of its tracks would be) is
    /// [`Error::InvalidArgument`]; no directory configured, or less than [`MIN_START_BYTES`]
    /// left of the space the recordings may take, [`Error::WrongState`]; a directory that
    /// cannot be read or a file that cannot be created [`Error::Failed`].
    pub fn create(&self, name: &str, tracks: bool) -> Result<(RecordingTap, NewRecording), Error> {
        let (dir, stem, file_name) = self.checked_name(name, tracks)?;
        let invalid = |why: &str| Error::InvalidArgument(format!("recording: {name:?}: {why}"));
        let used = self.measure_space()?;
        let max_bytes = self.space.max_bytes();
        if max_bytes.saturating_sub(used) < MIN_START_BYTES {
            return Err(Error::WrongState(format!(
                "recording: the recordings in {} take {used} bytes of the {} \
                 recording.max_total_mb allows: delete some first",
                dir.display(),
                max_bytes
            )));
        }
        let path = dir.join(&file_name);
        let (tap, frames) = recording_queue(QUEUE_FRAMES);
        let mut writing = lock(&self.writing);
        let exists = || invalid(&format!("exists already in {}", dir.display()));
        // A file removed by hand while its recording goes on is still that recording's, until
        // its writer finds it gone and stops (at its next checkpoint).
        if writing.files.contains_key(&path) {
            return Err(if path.exists() {
                exists()
            } else {
                invalid("a room is being recorded to it")
            });
        }
        if let Some(owner) = writing.track_owner(&file_name) {
            return Err(invalid(&format!(
                "the name of a track of the recording {owner}{EXTENSION}"
            )));
        }
        if tracks && let Some(taken) = track_named_entry(dir, stem)? {
            let being_written = writing.files.contains_key(&dir.join(&taken));
            return Err(invalid(&format!(
                "{taken} in {} is named as one of its tracks would be: {}",
                dir.display(),
                if being_written {
                    "a room is being recorded to it; choose another name"
                } else {
                    "delete it or choose another name"
                }
            )));
        }
        let file = wav_file::create_new(&path, PROMPT_RATE).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => exists(),
            _ => Error::Failed(format!("recording: {}: {e}", path.display())),
        })?;
        writing.files.insert(path.clone(), tap.id());
        if tracks {
            writing.tracked.insert(stem.to_owned(), tap.id());
        }
        drop(writing);
        // Discarded until its writer starts.
        let written = Written {
            writing: Arc::clone(&self.writing),
            path,
            id: tap.id(),
            discard: Discard::Every,
        };
        // A crash before the first frame, whatever the crash, leaves no name on a file without
        // its header.
        file.sync_data()
            .map_err(|e| Error::Failed(format!("recording: {}: {e}", written.path.display())))?;
        let recording = NewRecording {
            file,
            frames,
            written,
            space: Arc::clone(&self.space),
            tracks: tracks.then(|| stem.to_owned()),
        };
        let tap = if tracks { tap.with_tracks() } else { tap };
        Ok((tap, recording))
    }

    /// Refuses, as [`create`](Self::create) would, a recording `name` (with `tracks` or not)
    /// that no directory could take: a name that is no plain file name or is too long
    /// ([`Error::InvalidArgument`]), or no directory configured ([`Error::WrongState`]).
    /// Looks at nothing on disk.
    pub fn check_name(&self, name: &str, tracks: bool) -> Result<(), Error> {
        self.checked_name(name, tracks).map(drop)
    }

    /// The directory, the stem (`name` without `.wav`) and the file name of the recording
    /// `name`, unless [`check_name`](Self::check_name) refuses it.
    fn checked_name<'a>(
        &'a self,
        name: &'a str,
        tracks: bool,
    ) -> Result<(&'a Path, &'a str, String), Error> {
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
        let invalid = |why: &str| Error::InvalidArgument(format!("recording: {name:?}: {why}"));
        let (max, room) = if tracks {
            (
                tracks::MAX_STEM_BYTES,
                "with tracks, a name leaves room for a call id: ",
            )
        } else {
            (MAX_STEM_BYTES, "")
        };
        if stem.len() > max {
            return Err(invalid(&format!(
                "too long: {room}{max} bytes at most before {EXTENSION}"
            )));
        }
        check_file_name(&file_name)
            .and_then(|()| quotable(&file_name))
            .map_err(invalid)?;
        Ok((dir, stem, file_name))
    }

    /// Measures what the recordings take, and so the space left to them (see
    /// [`Space::measure`]), when a recording starts or one is deleted. Returns the bytes taken.
    fn measure_space(&self) -> Result<u64, Error> {
        self.space
            .measure()
            .map_err(|why| Error::Failed(format!("recording: {why}")))
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
            tracks,
        } = self;
        // A spawn that fails drops `written`, and with it the file.
        std::thread::Builder::new()
            .name("recording".to_owned())
            .spawn(move || {
                let mut written = written;
                written.discard = Discard::Nothing;
                let _span =
                    tracing::info_span!("recording", path = %written.path.display()).entered();
                let mut open_track = |leg, rate| written.open_track(tracks.as_deref(), leg, rate);
                let outcome =
                    writer::write(frames, file, wav_file::MAX_SAMPLES, &space, &mut open_track);
                finish(written, outcome);
            })
            .map(drop)
            .map_err(|e| Error::Failed(format!("recording: no writer thread: {e}")))
    }

    /// Gives the recording up before it started: its file is removed, as when it is dropped.
    pub fn abandon(self) {
        drop(self);
    }
}

/// Logs how the recording of `written` ended; one that never got a frame, or that a limit
/// stopped or a failure ended before any audio reached its mix, leaves no file, no track
/// either; one stopped by the deletion of one of its files leaves each other file that holds
/// audio.
fn finish(mut written: Written, outcome: std::io::Result<Option<writer::Written>>) {
    let path = written.path.display().to_string();
    match outcome {
        Ok(Some(writer::Written {
            samples: 0,
            stopped_at: Some(limit),
            ..
        })) => {
            written.discard = Discard::Every;
            tracing::warn!(
                %path,
                "recording stopped {} before any audio: no file",
                stopped_where(limit)
            );
        }
        Ok(Some(done)) => {
            let seconds = done.samples as f64 / f64::from(done.rate);
            let (silence_frames, tracks) = (done.silence_frames, done.tracks);
            match done.stopped_at {
                None => {
                    tracing::info!(%path, seconds, silence_frames, tracks, "recording complete")
                }
                Some(limit) => tracing::warn!(
                    %path,
                    seconds,
                    silence_frames,
                    tracks,
                    "recording stopped {}: its files are complete up to there",
                    stopped_where(limit)
                ),
            }
        }
        Ok(None) => {
            written.discard = Discard::Every;
            tracing::info!(%path, "recording ended before any audio: no file");
        }
        // A file deleted while being written (see `writer::write`): no failure of the server.
        Err(e) if e.kind() == ErrorKind::NotFound => {
            written.discard = Discard::Silent;
            tracing::warn!(
                %path,
                "recording stopped: {e}: its other files are complete up to there, \
                 those without audio removed"
            );
        }
        Err(e) if holds_no_audio(&written.path) => {
            written.discard = Discard::Every;
            tracing::error!(
                %path,
                "recording failed before any audio reached its file: removed: {e}"
            );
        }
        Err(e) => tracing::error!(
            %path,
            "recording failed, the file holds what was written before: {e}"
        ),
    }
}

/// Where `limit` stops a recording, for the log.
fn stopped_where(limit: Limit) -> &'static str {
    match limit {
        Limit::FileSize => "at the WAV size limit (4 GiB)",
        Limit::Space => "where the recordings took all of recording.max_total_mb",
    }
}

/// Removes the hidden files a crash left in `dir` ([`remove_leftovers`]), logging how many.
fn log_leftovers_removed(dir: &Path) {
    match remove_leftovers(dir) {
        Ok((0, 0)) => {}
        Ok((removed, 0)) => tracing::info!(
            dir = %dir.display(),
            removed,
            "removed the hidden files of recordings a crash interrupted the creation of"
        ),
        Ok((removed, kept)) => tracing::warn!(
            dir = %dir.display(),
            removed,
            kept,
            "could not remove every hidden file of recordings a crash interrupted the \
             creation of"
        ),
        Err(e) => tracing::warn!(
            dir = %dir.display(),
            "could not remove the hidden files of recordings a crash interrupted the \
             creation of: {e}"
        ),
    }
}

/// Removes the hidden files in `dir` that [`wav_file::create_new`] and a deletion leave when a
/// crash interrupts them: regular files named `.<name>.new` or `.<name>.del` where `<name>` is
/// a recording's (see [`switchyard_control::files::is_recording_name`]), each the second name
/// of a recording (crashed after the link), which would keep its disk space once the recording
/// is deleted, a header alone (crashed before), or a deleted recording not yet removed. Returns how many were removed and how many could not be
/// (each one that fails is passed over, the others still removed); an error only if `dir`
/// cannot be read. Called before any recording starts in `dir`, by the process that claimed it.
fn remove_leftovers(dir: &Path) -> std::io::Result<(usize, usize)> {
    let (mut removed, mut kept) = (0, 0);
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else {
            kept += 1;
            continue;
        };
        let left = entry
            .file_name()
            .to_str()
            .and_then(wav_file::visible_name)
            .is_some_and(switchyard_control::files::is_recording_name);
        if !left || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(_) => kept += 1,
        }
    }
    Ok((removed, kept))
}

/// Whether the file at `path` is no longer than a WAV header: what a writer that failed
/// or stopped at its start leaves. A file that cannot be looked at is kept.
fn holds_no_audio(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.len() <= wav_file::HEADER_LEN)
}

/// The name of an entry of `dir` (of any kind: a file, a directory, a link…) named as a track
/// of the recording `<stem>.wav` would be, if there is one.
fn track_named_entry(dir: &Path, stem: &str) -> Result<Option<String>, Error> {
    let unreadable =
        |e| Error::Failed(format!("recording: {}: cannot be read: {e}", dir.display()));
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let name = entry.map_err(unreadable)?.file_name();
        if let Some(name) = name.to_str().filter(|name| tracks::is_track_of(stem, name)) {
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
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
        let _board = recorder.create("board", false).unwrap();
        let _loud = recorder.create("Loud.WAV", false).unwrap();
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
                matches!(recorder.create(bad, false), Err(Error::InvalidArgument(_))),
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
        let refused = recorder.create("new", false);
        assert!(
            matches!(&refused, Err(Error::WrongState(why)) if why.contains("max_total_mb")),
            "{refused:?}"
        );
        assert!(!dir.path().join("new.wav").exists());
        recorder.delete("old.wav").unwrap();
        recorder.create("new", false).unwrap();
        assert_eq!(recorder.space.take(u64::MAX), 3 * MIN_START_BYTES);
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let (dir, recorder) = recorder();
        std::fs::write(dir.path().join("kept.wav"), b"precious").unwrap();
        let refused = recorder.create("kept", false);
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
            Recorder::new(None, u64::MAX).create("x", false),
            Err(Error::WrongState(_))
        ));
    }

    #[test]
    fn a_recording_that_fails_before_its_file_can_be_read_leaves_no_file() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("broken", false).unwrap();
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
            &Space::new(1 << 30, None),
            &mut |leg, _| panic!("no track to open, yet {leg:?} was asked for"),
        );
        assert!(outcome.is_err());
        finish(started(recording), outcome);
        assert!(!path.exists(), "an empty file is no recording to list");

        // One that failed later keeps what it wrote, readable or not just now.
        let (_tap, recording) = recorder.create("long", false).unwrap();
        let path = dir.path().join("long.wav");
        std::fs::write(&path, vec![0; 4096]).unwrap();
        finish(started(recording), Err(std::io::Error::other("disk full")));
        assert!(path.exists());
        assert_eq!(recorder.delete("long.wav"), Ok(()), "written no more");
    }

    #[test]
    fn a_recording_that_fails_before_any_audio_leaves_none_of_its_files() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("board", true).unwrap();
        let written = started(recording);
        written.open_track(Some("board"), LegId(3), 8000).unwrap();
        assert!(dir.path().join("board-c3.wav").is_file());
        finish(written, Err(std::io::Error::other("disk full")));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
        assert!(recorder.writers().wait(std::time::Duration::ZERO));
    }

    #[test]
    fn a_track_whose_name_was_taken_after_the_start_is_left_out_of_the_recording() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("board", true).unwrap();
        std::fs::create_dir(dir.path().join("board-c3.wav")).unwrap();
        let written = started(recording);
        let outcome = writer::write(
            frames_with_tracks(2, &[3, 4]),
            File::options()
                .write(true)
                .open(dir.path().join("board.wav"))
                .unwrap(),
            wav_file::MAX_SAMPLES,
            &Space::new(1 << 30, None),
            &mut |leg, rate| written.open_track(Some("board"), leg, rate),
        );
        let done = outcome.unwrap().unwrap();
        assert_eq!((done.samples, done.tracks), (320, 1));
        finish(written, Ok(Some(done)));
        for (file, level) in [("board.wav", 1), ("board-c4.wav", 4)] {
            let samples: Vec<i16> = hound::WavReader::open(dir.path().join(file))
                .unwrap()
                .samples::<i16>()
                .map(Result::unwrap)
                .collect();
            assert_eq!(samples, [level; 320], "{file}");
        }
        assert!(dir.path().join("board-c3.wav").is_dir());
    }

    /// `count` frames of 20 ms at 8 kHz, queued and the queue closed behind them: each a mix
    /// of 1s and, for each leg of `legs`, a track of that leg's number.
    fn frames_with_tracks(
        count: usize,
        legs: &[u64],
    ) -> std::sync::mpsc::Receiver<switchyard_media::RecordedFrame> {
        let levels = std::iter::once(1).chain(legs.iter().map(|&leg| i16::try_from(leg).unwrap()));
        let samples: Vec<i16> = levels.flat_map(|level| [level; 160]).collect();
        let (sender, frames) = std::sync::mpsc::sync_channel(count);
        for _ in 0..count {
            let frame = switchyard_media::RecordedFrame {
                rate: 8000,
                dropped_before: 0,
                samples: switchyard_media::RecordedSamples::with_tracks(
                    samples.clone(),
                    legs.iter().copied().map(LegId).collect(),
                ),
            };
            sender.send(frame).unwrap();
        }
        frames
    }

    /// The mark of `recording` as its writer holds it.
    fn started(recording: NewRecording) -> Written {
        let mut written = recording.written;
        written.discard = Discard::Nothing;
        written
    }

    #[test]
    fn a_new_recording_is_a_playable_empty_wav_before_its_first_frame() {
        let (dir, recorder) = recorder();
        let (_tap, _recording) = recorder.create("early", false).unwrap();
        let reader = hound::WavReader::open(dir.path().join("early.wav")).unwrap();
        assert_eq!((reader.spec().sample_rate, reader.len()), (PROMPT_RATE, 0));
    }

    #[test]
    fn a_recording_s_mark_never_ends_a_later_recording_s() {
        let (dir, recorder) = recorder();
        let (_tap, first) = recorder.create("board", false).unwrap();
        // Its file removed by hand: the name is still the live recording's.
        std::fs::remove_file(dir.path().join("board.wav")).unwrap();
        let refused = recorder.create("board", false);
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(why)) if why.contains("being recorded")),
            "{refused:?}"
        );
        first.abandon();
        let (_tap, second) = recorder.create("board", false).unwrap();
        assert_eq!(
            recorder.delete("board.wav"),
            Err(DeleteError::BeingWritten("board.wav".into()))
        );
        // The first one's writer ending takes nothing of the second's.
        let (_tap, third) = recorder.create("other", false).unwrap();
        finish(started(third), Ok(None));
        assert!(dir.path().join("board.wav").is_file());
        assert!(!recorder.writers().wait(std::time::Duration::ZERO));
        second.abandon();
        assert!(recorder.writers().wait(std::time::Duration::ZERO));
    }

    #[test]
    fn a_recording_whose_file_is_deleted_by_hand_stops_and_frees_its_name() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("board", false).unwrap();
        let path = dir.path().join("board.wav");
        let mix = File::options().write(true).open(&path).unwrap();
        let written = started(recording);
        let frame = || switchyard_media::RecordedFrame {
            rate: 8000,
            dropped_before: 0,
            samples: vec![1; 160].into(),
        };
        let (sender, frames) = std::sync::mpsc::sync_channel(1);
        sender.send(frame()).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outcome = writer::write(
                frames,
                mix,
                wav_file::MAX_SAMPLES,
                &Space::new(1 << 30, None),
                &mut |leg, _| panic!("no track to open, yet {leg:?} was asked for"),
            );
            finish(written, outcome);
            done.send(())
        });
        std::fs::remove_file(&path).unwrap();
        // The tap is still there: the writer ends on its own, or never.
        finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the recording stops once its file is deleted");
        assert!(
            sender.send(frame()).is_err(),
            "the queue is gone, so the worker ends the room's recording"
        );
        assert!(recorder.writers().wait(std::time::Duration::ZERO));
        assert_eq!(
            recorder.delete("board.wav"),
            Err(DeleteError::NotFound("board.wav".into())),
            "written no more"
        );
        let (_tap, again) = recorder.create("board", false).unwrap();
        again.abandon();
    }

    #[test]
    fn a_recording_stopped_by_a_deleted_file_keeps_each_other_file_by_its_own_content() {
        for (deleted, space, kept) in [
            ("board-c3.wav", 1 << 30, Some(("board.wav", 1))),
            ("board-c3.wav", 0, None),
            ("board.wav", 1 << 30, Some(("board-c3.wav", 3))),
            ("board.wav", 0, None),
        ] {
            let (dir, recorder) = recorder();
            let path = |name: &str| dir.path().join(name);
            let (_tap, recording) = recorder.create("board", true).unwrap();
            let written = started(recording);
            let mix = File::options().write(true).open(path("board.wav")).unwrap();
            // Deleted by hand as soon as the track appears, before any checkpoint.
            let mut open_track = |leg, rate| {
                let track = written.open_track(Some("board"), leg, rate);
                std::fs::remove_file(path(deleted)).unwrap();
                track
            };
            let outcome = writer::write(
                frames_with_tracks(1, &[3]),
                mix,
                wav_file::MAX_SAMPLES,
                &Space::new(space, None),
                &mut open_track,
            );
            assert!(
                matches!(&outcome, Err(e) if e.kind() == ErrorKind::NotFound),
                "{deleted}, {space}: {outcome:?}"
            );
            finish(written, outcome);
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            let case = format!("{deleted} deleted, {space} bytes of space");
            match kept {
                Some((name, level)) => {
                    assert_eq!(left, [name], "{case}");
                    let samples: Vec<i16> = hound::WavReader::open(path(name))
                        .unwrap()
                        .samples::<i16>()
                        .map(Result::unwrap)
                        .collect();
                    assert_eq!(samples, [level; 160], "{case}");
                }
                None => assert!(left.is_empty(), "{case}: {left:?}"),
            }
            assert!(recorder.writers().wait(std::time::Duration::ZERO));
        }
    }

    #[test]
    fn the_wait_for_the_writers_ends_in_time_while_a_file_is_held_up_being_created() {
        let (_dir, recorder) = recorder();
        let writers = recorder.writers();
        let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let registry = recorder.writing.clone();
        // As `create` holds the registry while a hung disk creates the file.
        let holder = std::thread::spawn(move || {
            let _creating = lock(&registry);
            held.0.send(()).unwrap();
            let _ = release.1.recv_timeout(std::time::Duration::from_secs(10));
        });
        held.1.recv().unwrap();
        let (waited, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            waited
                .send(writers.wait(std::time::Duration::from_millis(50)))
                .unwrap()
        });
        let outcome = done.recv_timeout(std::time::Duration::from_secs(5));
        release.0.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(
            outcome,
            Ok(false),
            "not complete, and not waiting on the lock"
        );
        assert!(recorder.writers().wait(std::time::Duration::ZERO));
    }

    #[test]
    fn a_recording_is_readable_by_its_owner_and_group_only() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("private", false).unwrap();
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
        let (_tap, recording) = recorder.create("gone", false).unwrap();
        recording.abandon();
        assert!(!dir.path().join("gone.wav").exists());
    }

    #[test]
    fn a_recording_is_deleted_once_no_room_writes_it() {
        let (dir, recorder) = recorder();
        std::fs::write(dir.path().join("old.wav"), b"RIFF").unwrap();
        assert_eq!(recorder.delete("old.wav"), Ok(()));
        assert!(!dir.path().join("old.wav").exists());
        assert!(
            !dir.path().join(".old.wav.del").exists(),
            "removed once set aside"
        );
        assert_eq!(
            recorder.delete("old.wav"),
            Err(DeleteError::NotFound("old.wav".into()))
        );
        let (_tap, recording) = recorder.create("board", false).unwrap();
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

    #[test]
    fn a_recording_too_long_named_for_a_hidden_name_is_deleted_in_place() {
        let (dir, recorder) = recorder();
        for name in [
            format!("{}.wav", "x".repeat(251)),
            format!("{}.wav", "y".repeat(246)),
        ] {
            std::fs::write(dir.path().join(&name), b"RIFF").unwrap();
            assert_eq!(recorder.delete(&name), Ok(()), "{} bytes", name.len());
            assert!(!dir.path().join(&name).exists());
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_names_of_a_recording_s_tracks_are_its_own() {
        let (dir, recorder) = recorder();
        std::fs::write(dir.path().join("old-c9.wav"), b"RIFF").unwrap();
        std::fs::create_dir(dir.path().join("dir-c4.wav")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("link-c5.wav")).unwrap();
        for (stem, taken) in [
            ("old", "old-c9.wav"),
            ("dir", "dir-c4.wav"),
            ("link", "link-c5.wav"),
        ] {
            let refused = recorder.create(stem, true);
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(why))
                    if why.contains(taken) && why.contains("delete it")),
                "{refused:?}"
            );
        }
        let _live = recorder.create("live-c7", false).unwrap();
        let refused = recorder.create("live", true);
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(why))
                if why.contains("live-c7.wav") && why.contains("being recorded")
                    && !why.contains("delete")),
            "{refused:?}"
        );
        let _old = recorder.create("old", false).unwrap();
        let _board = recorder.create("board", true).unwrap();
        for taken in ["board-c3", "board-c3.wav"] {
            let refused = recorder.create(taken, false);
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(why)) if why.contains("board.wav")),
                "{refused:?}"
            );
        }
        let _boards = recorder.create("boards-c3", false).unwrap();
        let long = "n".repeat(225);
        assert!(matches!(
            recorder.create(&long, true),
            Err(Error::InvalidArgument(why)) if why.contains("224 bytes")
        ));
        let _long = recorder.create(&long, false).unwrap();
    }

    #[test]
    fn a_name_is_too_long_unless_the_hidden_names_of_its_files_fit_too() {
        let (dir, recorder) = recorder();
        // `.<name>.wav.new`, the longest, has 255 bytes.
        let longest = "n".repeat(246);
        let (_tap, recording) = recorder.create(&longest, false).unwrap();
        assert!(dir.path().join(format!("{longest}.wav")).is_file());
        recording.abandon();
        // As does the hidden name of its track of the longest call id.
        let tracked = "t".repeat(224);
        let (_tap, recording) = recorder.create(&tracked, true).unwrap();
        let written = started(recording);
        written
            .open_track(Some(&tracked), LegId(u64::MAX), 8000)
            .unwrap();
        drop(written);
        for (name, tracks, limit) in [
            ("n".repeat(247), false, "246 bytes"),
            (format!("{}.wav", "n".repeat(247)), false, "246 bytes"),
            ("n".repeat(251), false, "246 bytes"),
            ("t".repeat(225), true, "224 bytes"),
        ] {
            let refused = recorder.create(&name, tracks);
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(why))
                    if why.contains("too long") && why.contains(limit)),
                "{} bytes: {refused:?}",
                name.len()
            );
        }
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 2, "the mix and the track, kept");
    }

    #[test]
    fn the_hidden_files_a_crash_left_are_removed_when_the_recorder_starts() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        // Left between the link and the removal: a second name of a recording.
        std::fs::write(path("linked.wav"), b"RIFF").unwrap();
        std::fs::hard_link(path("linked.wav"), path(".linked.wav.new")).unwrap();
        // Left between the creation and the link: a header alone.
        std::fs::write(path(".orphan.wav.new"), [0; 44]).unwrap();
        // Left by a deletion between setting the file aside and removing it.
        std::fs::write(path(".deleted.wav.del"), b"RIFF").unwrap();
        let others = [
            ".notes.new",
            ".x.WAV.new",
            ".x.wav.new.old",
            "x.wav.new",
            ".wav.new",
            "..x.wav.new",
        ];
        for other in others {
            std::fs::write(path(other), b"kept").unwrap();
        }
        std::fs::create_dir(path(".dir.wav.new")).unwrap();
        let _recorder = Recorder::open(Some(dir.path().to_owned()), u64::MAX).unwrap();
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut kept = [&others[..], &[".dir.wav.new", "linked.wav", ".lock"]].concat();
        kept.sort();
        assert_eq!(left, kept);
        assert_eq!(std::fs::metadata(path("linked.wav")).unwrap().nlink(), 1);
    }

    #[test]
    fn a_directory_another_recorder_keeps_is_refused_and_its_files_being_created_left() {
        let dir = tempfile::tempdir().unwrap();
        let first = Recorder::open(Some(dir.path().to_owned()), u64::MAX).unwrap();
        // The first recorder's recording between its creation and its link.
        let creating = dir.path().join(".board.wav.new");
        std::fs::write(&creating, [0; 44]).unwrap();
        let refused = Recorder::open(Some(dir.path().to_owned()), u64::MAX).unwrap_err();
        let dir_shown = dir.path().display();
        assert_eq!(
            format!("{refused:#}"),
            format!(
                "recording.dir: {dir_shown}: another running process keeps this directory (it \
                 holds the lock on {dir_shown}/.lock); give each server a directory of its own"
            )
        );
        assert!(creating.exists(), "the first recorder's file is left");
        drop(first);
        let _second = Recorder::open(Some(dir.path().to_owned()), u64::MAX).unwrap();
        assert!(!creating.exists(), "left by a process that is gone");
    }

    #[test]
    fn a_recording_stopped_by_the_space_before_any_audio_leaves_none_of_its_files() {
        let (dir, recorder) = recorder();
        let (_tap, recording) = recorder.create("board", true).unwrap();
        let written = started(recording);
        let mix = File::options()
            .write(true)
            .open(dir.path().join("board.wav"))
            .unwrap();
        let outcome = writer::write(
            frames_with_tracks(1, &[3]),
            mix,
            wav_file::MAX_SAMPLES,
            &Space::new(0, None),
            &mut |leg, rate| written.open_track(Some("board"), leg, rate),
        );
        assert!(
            matches!(&outcome, Ok(Some(done)) if (done.samples, done.tracks, done.stopped_at)
                == (0, 1, Some(Limit::Space))),
            "{outcome:?}"
        );
        finish(written, outcome);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
        assert!(recorder.writers().wait(std::time::Duration::ZERO));
    }
}
