//! The `records` import: files a guest appends to or empties, inside the one
//! directory its config gives it, each change on disk before the call returns,
//! none grown past its cap, and the directory's files past theirs neither.

use crate::Error;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// The most bytes one `append` may write.
pub const MAX_APPEND_BYTES: usize = 64 * 1024;
/// The longest file name taken.
const MAX_NAME_BYTES: usize = 255;
/// The size a record file may grow to unless [`RecordFiles::with_max_file_bytes`]
/// says otherwise: 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
/// What the files of the directory may hold together unless
/// [`RecordFiles::with_max_total_bytes`] says otherwise: 10 GiB.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 10 << 30;
/// The most files the directory may hold: an append that would make one more is refused.
const MAX_FILES: usize = 10_000;

/// A guest's records directory, or none (`RecordFiles::default()`): then every
/// call is an [`Error::WrongState`], whatever its arguments.
#[derive(Debug, Clone)]
pub struct RecordFiles {
    dir: Option<PathBuf>,
    /// No append takes a file past this.
    max_file_bytes: u64,
    /// No append takes the directory's files together past this.
    max_total_bytes: u64,
    /// No append makes a file past this many.
    max_files: usize,
    /// Held while an append writes, by every [`RecordFiles`] of the directory in the
    /// process (each version of a guest has its own): one cut short can then be taken
    /// back to where it began without taking another's with it.
    writing: Arc<Mutex<()>>,
}

impl Default for RecordFiles {
    fn default() -> Self {
        RecordFiles {
            dir: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_files: MAX_FILES,
            writing: Arc::default(),
        }
    }
}

impl RecordFiles {
    /// Records in `dir`, which must exist and be a directory: when nothing is
    /// there, or something other than a directory, the error is of the kind
    /// [`ErrorKind::NotADirectory`] and its text, `not a directory`, names no
    /// path (the caller has `dir`). The directory is resolved once (symbolic
    /// links followed), so absolute file names are compared against what it
    /// really is.
    pub fn new(dir: &Path) -> std::io::Result<RecordFiles> {
        let dir = dir.canonicalize().map_err(|error| match error.kind() {
            ErrorKind::NotFound => ErrorKind::NotADirectory.into(),
            _ => error,
        })?;
        if !dir.is_dir() {
            return Err(ErrorKind::NotADirectory.into());
        }
        Ok(RecordFiles {
            writing: writing_lock(&dir),
            dir: Some(dir),
            ..RecordFiles::default()
        })
    }

    /// The same records, with no file grown past `bytes` in place of
    /// [`DEFAULT_MAX_FILE_BYTES`]: an append that would is refused whole.
    pub fn with_max_file_bytes(self, bytes: u64) -> RecordFiles {
        RecordFiles {
            max_file_bytes: bytes,
            ..self
        }
    }

    /// The same records, with the directory's files holding no more than
    /// `bytes` together in place of the default 10 GiB: an append that would
    /// take them past it is refused whole.
    pub fn with_max_total_bytes(self, bytes: u64) -> RecordFiles {
        RecordFiles {
            max_total_bytes: bytes,
            ..self
        }
    }

    /// Appends `text` to `file` in one write and syncs it to disk (and the directory, when
    /// the append made the file, so that its name is there with it); an
    /// [`Error::WrongState`] without a directory, whatever the arguments; refused if `file`
    /// is not a name in the directory, `text` is more than [`MAX_APPEND_BYTES`],
    /// the file would grow past its cap, the directory's files past theirs, or
    /// a new file would make more than 10,000. The directory is counted at each
    /// append (whoever else writes or removes its files), so appends under way
    /// at once may pass the caps by what they write together (64 KiB each).
    /// `admit` is asked once `file` and `text` are known to be acceptable, before the
    /// directory is touched: its refusal is the append's, and an append refused before it
    /// does not ask.
    pub fn append(
        &self,
        file: &str,
        text: &str,
        admit: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.append_synced(file, text, admit).map(drop)
    }

    /// [`RecordFiles::append`], saying what it synced.
    fn append_synced(
        &self,
        file: &str,
        text: &str,
        admit: impl FnOnce() -> Result<(), Error>,
    ) -> Result<Synced, Error> {
        // `path` refuses a missing directory before anything else: without one every call
        // is `wrong-state` (`records` in the WIT), however long its text.
        let path = self.path(file)?;
        if text.len() > MAX_APPEND_BYTES {
            return Err(Error::InvalidArgument(format!(
                "records: {} bytes is more than one append may write ({MAX_APPEND_BYTES})",
                text.len()
            )));
        }
        admit()?;
        let room = self.check_room_for(file, &path)?;
        if room.count.bytes.saturating_add(text.len() as u64) > self.max_total_bytes {
            return Err(Error::Failed(format!(
                "records: {file}: {} more bytes would take the records directory's files \
                 past their cap of {} bytes together",
                text.len(),
                self.max_total_bytes
            )));
        }
        self.append_within_file_cap(file, &path, text)?;
        self.sync_entry(file, &room)
    }

    /// Appends `text` to `file` at `path` once it is known to stay within its cap: the file
    /// holds all of it or, when the write fails partway (a full disk, the file size limit),
    /// none of it.
    fn append_within_file_cap(&self, file: &str, path: &Path, text: &str) -> Result<(), Error> {
        let failed = io_failure(file);
        let mut handle = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(failed)?;
        let writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let size = handle.metadata().map_err(failed)?.len();
        if size.saturating_add(text.len() as u64) > self.max_file_bytes {
            return Err(Error::Failed(format!(
                "records: {file}: {} more bytes would take it past its cap of {} bytes",
                text.len(),
                self.max_file_bytes
            )));
        }
        if let Err(e) = handle.write_all(text.as_bytes()) {
            // What reached the file of a write cut short goes, or the next record would
            // follow half of this one.
            let _ = handle.set_len(size);
            return Err(failed(e));
        }
        drop(writing);
        handle.sync_data().map_err(failed)
    }

    /// Empties `file` (creating it) and syncs it to disk (and the directory, when the call
    /// made the file, so that its name is there with it); an [`Error::WrongState`] without a
    /// directory, whatever `file` is. `admit` is asked once `file` is known to be
    /// acceptable, before the directory is touched: its refusal is the call's, and a call
    /// refused before it does not ask.
    pub fn truncate(
        &self,
        file: &str,
        admit: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.truncate_synced(file, admit).map(drop)
    }

    /// [`RecordFiles::truncate`], saying what it synced.
    fn truncate_synced(
        &self,
        file: &str,
        admit: impl FnOnce() -> Result<(), Error>,
    ) -> Result<Synced, Error> {
        let path = self.path(file)?;
        admit()?;
        let room = self.check_room_for(file, &path)?;
        File::create(&path)
            .and_then(|handle| handle.sync_all())
            .map_err(io_failure(file))?;
        self.sync_entry(file, &room)
    }

    /// What the directory holds now and whether `file` (at `path`) is new to it; refused
    /// when it is new and the directory holds the most files already.
    fn check_room_for(&self, file: &str, path: &Path) -> Result<Room, Error> {
        let failed = io_failure(file);
        let count = self.count().map_err(failed)?;
        let new = !path.exists();
        if new && count.files >= self.max_files {
            return Err(Error::Failed(format!(
                "records: {file}: the records directory holds {} files already",
                self.max_files
            )));
        }
        Ok(Room { count, new })
    }

    /// Syncs the directory once `file`, synced itself, was made by the call: a file's fsync
    /// need not commit its entry in the directory (POSIX fsync()), so without this a crash
    /// could lose a file the guest was told is on disk. A file two calls both found new is
    /// synced by both, which costs only time.
    fn sync_entry(&self, file: &str, room: &Room) -> Result<Synced, Error> {
        let Some(dir) = self.dir.as_ref().filter(|_| room.new) else {
            return Ok(Synced::File);
        };
        File::open(dir)
            .and_then(|handle| handle.sync_all())
            .map_err(io_failure(file))?;
        Ok(Synced::FileAndDirectory)
    }

    /// The regular files of the directory and what they hold.
    fn count(&self) -> std::io::Result<Count> {
        let mut count = Count::default();
        let Some(dir) = &self.dir else {
            return Ok(count);
        };
        for entry in std::fs::read_dir(dir)? {
            let meta = match entry?.metadata() {
                Ok(meta) => meta,
                // Removed while the directory is read: not counted.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.is_file() {
                count.files += 1;
                count.bytes += meta.len();
            }
        }
        Ok(count)
    }

    /// Where `file` is: a plain name inside the directory, or an absolute path
    /// whose directory is the records directory.
    fn path(&self, file: &str) -> Result<PathBuf, Error> {
        let Some(dir) = &self.dir else {
            return Err(Error::WrongState(
                "records: this guest has no records_dir configured".to_owned(),
            ));
        };
        let invalid = |why: &str| Err(Error::InvalidArgument(format!("records: {file:?}: {why}")));
        let given = Path::new(file);
        let name = if given.is_absolute() {
            let parent = given.parent().map(Path::canonicalize);
            if !matches!(parent, Some(Ok(ref p)) if p == dir) {
                return invalid(&format!("not in the records directory {}", dir.display()));
            }
            given.file_name().and_then(|n| n.to_str()).unwrap_or("")
        } else {
            file
        };
        if let Err(why) = check_file_name(name) {
            return invalid(why);
        }
        Ok(dir.join(name))
    }
}

/// The error for an I/O failure on `file`.
fn io_failure(file: &str) -> impl Fn(std::io::Error) -> Error + Copy + '_ {
    move |e| Error::Failed(format!("records: {file}: {e}"))
}

/// What a records directory holds.
#[derive(Debug, Default)]
struct Count {
    files: usize,
    bytes: u64,
}

/// What the directory held when a call that writes `file` looked, before it wrote.
struct Room {
    count: Count,
    /// `file` was not there.
    new: bool,
}

/// What a call that wrote a file synced to disk.
#[derive(Debug, PartialEq, Eq)]
enum Synced {
    /// The file, which was there before the call.
    File,
    /// The file, which the call made, and the directory's entry for it.
    FileAndDirectory,
}

/// The lock of appends to the files of `dir` (resolved), shared by every [`RecordFiles`] of
/// it alive in the process; the directories no longer in use are forgotten here.
fn writing_lock(dir: &Path) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<Vec<(PathBuf, Weak<Mutex<()>>)>> = Mutex::new(Vec::new());
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    locks.retain(|(_, lock)| lock.strong_count() > 0);
    let kept = locks
        .iter()
        .find(|(kept, _)| kept == dir)
        .and_then(|(_, lock)| lock.upgrade());
    kept.unwrap_or_else(|| {
        let lock = Arc::default();
        locks.push((dir.to_owned(), Arc::downgrade(&lock)));
        lock
    })
}

/// Checks that `name` is a plain file name the host writes guests' files under: 1 to 255 bytes,
/// no `/`, `\\` or NUL, not starting with `.` (so neither hidden nor `.` or `..`); else says why.
pub fn check_file_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err("a file name has 1 to 255 bytes");
    }
    if name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        return Err("a file name has no '/', '\\' or NUL and does not start with '.'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Admits every call.
    fn admit_all() -> Result<(), Error> {
        Ok(())
    }

    fn records() -> (tempfile::TempDir, RecordFiles) {
        let dir = tempfile::tempdir().unwrap();
        let records = RecordFiles::new(dir.path()).unwrap();
        (dir, records)
    }

    /// Tells the process the test below starts that it is the one to append under a file
    /// size limit, in the directory it names.
    const UNDER_A_SIZE_LIMIT: &str = "SWITCHYARD_RECORDS_TEST_UNDER_A_SIZE_LIMIT";

    #[test]
    fn an_append_cut_short_by_the_file_size_limit_leaves_the_file_as_it_was() {
        const NAME: &str =
            "records::tests::an_append_cut_short_by_the_file_size_limit_leaves_the_file_as_it_was";
        if let Some(dir) = std::env::var_os(UNDER_A_SIZE_LIMIT) {
            // Here the kernel writes no file past 8 or 16 KiB (blocks of 512 or 1024 bytes,
            // as the shell counts them): the record's write stops there.
            let records = RecordFiles::new(Path::new(&dir)).unwrap();
            records.append("f.txt", "first\n", admit_all).unwrap();
            let cut = records.append("f.txt", &"x".repeat(60 * 1024), admit_all);
            assert!(matches!(cut, Err(Error::Failed(_))), "{cut:?}");
            let kept = std::fs::read_to_string(Path::new(&dir).join("f.txt")).unwrap();
            assert_eq!(kept, "first\n", "none of the record cut short is kept");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let test = std::env::current_exe().unwrap();
        // The limit and the signal it raises, ignored (else the second write kills the
        // process), are the shell's to set: both last across its exec of the test.
        let out = std::process::Command::new("sh")
            .args(["-c", "ulimit -f 16 && trap '' XFSZ && exec \"$0\" \"$@\""])
            .arg(&test)
            .args([NAME, "--exact", "--test-threads=1", "--nocapture"])
            .env(UNDER_A_SIZE_LIMIT, dir.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("1 passed"),
            "{said}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn every_records_of_one_directory_appends_under_one_lock_and_its_entry_goes_with_them() {
        let (dir, first) = records();
        let second = RecordFiles::new(dir.path()).unwrap();
        assert!(Arc::ptr_eq(&first.writing, &second.writing));
        let (_, other) = records();
        assert!(!Arc::ptr_eq(&first.writing, &other.writing));
        let lock = Arc::downgrade(&first.writing);
        drop((first, second));
        assert_eq!(lock.strong_count(), 0, "nothing keeps the directory's lock");
        drop(dir);
    }

    #[test]
    fn calls_refused_for_their_arguments_or_a_missing_directory_take_no_record_write() {
        use crate::call_allowance::{CallAllowance, MAX_RECORD_WRITES};
        let mut allowance = CallAllowance::default();
        let none = RecordFiles::default();
        for _ in 0..2 * MAX_RECORD_WRITES {
            let refused = none.append("f.txt", "x", || allowance.record_write());
            assert!(matches!(refused, Err(Error::WrongState(_))), "{refused:?}");
            let refused = none.truncate("f.txt", || allowance.record_write());
            assert!(matches!(refused, Err(Error::WrongState(_))), "{refused:?}");
        }
        let (dir, records) = records();
        let long = "x".repeat(MAX_APPEND_BYTES + 1);
        for _ in 0..2 * MAX_RECORD_WRITES {
            for refused in [
                records.append("../f.txt", "x", || allowance.record_write()),
                records.append("f.txt", &long, || allowance.record_write()),
                records.truncate(".hidden", || allowance.record_write()),
            ] {
                assert!(
                    matches!(refused, Err(Error::InvalidArgument(_))),
                    "{refused:?}"
                );
            }
        }
        records
            .append("f.txt", "x", || allowance.record_write())
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
            "x"
        );
    }

    #[test]
    fn a_file_a_call_makes_has_its_directory_synced_and_only_that_one() {
        let (dir, records) = records();
        let append = |name| records.append_synced(name, "x", admit_all).unwrap();
        let truncate = |name| records.truncate_synced(name, admit_all).unwrap();
        assert_eq!(append("a"), Synced::FileAndDirectory, "a new file");
        assert_eq!(append("a"), Synced::File, "a file that was there");
        assert_eq!(
            truncate("a"),
            Synced::File,
            "emptying a file that was there"
        );
        assert_eq!(truncate("b"), Synced::FileAndDirectory, "a new empty file");
        std::fs::remove_file(dir.path().join("a")).unwrap();
        assert_eq!(append("a"), Synced::FileAndDirectory, "made again");
    }

    #[test]
    fn appends_accumulate_and_truncate_empties() {
        let (dir, records) = records();
        records.append("feedback.txt", "one\n", admit_all).unwrap();
        records.append("feedback.txt", "two\n", admit_all).unwrap();
        let path = dir.path().join("feedback.txt");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        records.truncate("feedback.txt", admit_all).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn an_absolute_path_in_the_directory_is_the_same_file() {
        let (dir, records) = records();
        let absolute = dir.path().join("f.txt");
        records
            .append(absolute.to_str().unwrap(), "x", admit_all)
            .unwrap();
        records.append("f.txt", "y", admit_all).unwrap();
        assert_eq!(std::fs::read_to_string(&absolute).unwrap(), "xy");
    }

    #[test]
    fn names_outside_the_directory_are_refused() {
        let (_dir, records) = records();
        for name in [
            "",
            "..",
            ".hidden",
            "../escape",
            "sub/file",
            "/etc/passwd",
            "/tmp/f.txt",
            "a\0b",
        ] {
            assert!(
                matches!(
                    records.append(name, "x", admit_all),
                    Err(Error::InvalidArgument(_))
                ),
                "{name:?}"
            );
        }
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            records.truncate(&long, admit_all),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn too_much_text_is_refused_and_nothing_is_written() {
        let (dir, records) = records();
        let text = "x".repeat(MAX_APPEND_BYTES + 1);
        assert!(matches!(
            records.append("f", &text, admit_all),
            Err(Error::InvalidArgument(_))
        ));
        assert!(!dir.path().join("f").exists());
    }

    #[test]
    fn an_append_past_the_file_cap_is_refused_whole() {
        let (dir, records) = records();
        let records = records.with_max_file_bytes(10);
        records.append("f", "12345", admit_all).unwrap();
        records.append("f", "67890", admit_all).unwrap();
        let refused = records.append("f", "x", admit_all);
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.contains("cap of 10 bytes")),
            "{refused:?}"
        );
        let path = dir.path().join("f");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1234567890");
        records.truncate("f", admit_all).unwrap();
        records.append("f", "x", admit_all).unwrap();
    }

    #[test]
    fn without_a_directory_every_call_is_refused() {
        let records = RecordFiles::default();
        assert!(matches!(
            records.append("f", "x", admit_all),
            Err(Error::WrongState(_))
        ));
        assert!(matches!(
            records.truncate("f", admit_all),
            Err(Error::WrongState(_))
        ));
    }

    #[test]
    fn without_a_directory_every_call_is_wrong_state_whatever_its_arguments() {
        let records = RecordFiles::default();
        let long = "x".repeat(MAX_APPEND_BYTES + 1);
        let bad_names = ["", "..", ".hidden", "../f", "sub/f", "/etc/passwd", "a\0b"];
        let mut refusals = vec![records.append("f", &long, admit_all)];
        for name in bad_names {
            refusals.push(records.append(name, "x", admit_all));
            refusals.push(records.append(name, &long, admit_all));
            refusals.push(records.truncate(name, admit_all));
        }
        for refused in refusals {
            assert!(matches!(refused, Err(Error::WrongState(_))), "{refused:?}");
        }
    }

    #[test]
    fn a_directory_that_is_not_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap();
        for path in [file, dir.path().join("missing")] {
            let error = RecordFiles::new(&path).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::NotADirectory, "{path:?}");
            assert_eq!(error.to_string(), "not a directory", "{path:?}");
        }
    }

    #[test]
    fn the_directorys_files_hold_no_more_than_their_cap_together() {
        let (dir, records) = records();
        let records = records.with_max_total_bytes(10);
        records.append("a", "12345", admit_all).unwrap();
        records.append("b", "6789", admit_all).unwrap();
        let refused = records.append("c", "xy", admit_all);
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.contains("cap of 10 bytes together")),
            "{refused:?}"
        );
        assert!(!dir.path().join("c").exists(), "refused whole");
        // Another instance of the guest, or another version of it, counts the same files.
        let other = RecordFiles::new(dir.path())
            .unwrap()
            .with_max_total_bytes(10);
        other.append("c", "x", admit_all).unwrap();
        assert!(records.append("c", "x", admit_all).is_err());
        // Emptied, or removed by hand: there is room.
        records.truncate("a", admit_all).unwrap();
        records.append("c", "xyz", admit_all).unwrap();
        std::fs::remove_file(dir.path().join("b")).unwrap();
        records.append("d", "1234", admit_all).unwrap();
    }

    #[test]
    fn no_append_makes_a_file_past_the_most_the_directory_holds() {
        let (dir, records) = records();
        let records = RecordFiles {
            max_files: 3,
            ..records
        };
        for name in ["a", "b", "c"] {
            records.append(name, "x", admit_all).unwrap();
        }
        let refused = records.append("d", "x", admit_all);
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.contains("holds 3 files")),
            "{refused:?}"
        );
        assert!(records.truncate("e", admit_all).is_err());
        records.append("a", "more", admit_all).unwrap();
        assert!(!dir.path().join("d").exists());
    }
}
