//! The `records` import: files a guest appends to or empties, inside the one
//! directory its config gives it, each change on disk before the call returns,
//! none grown past its cap.

use crate::Error;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most bytes one `append` may write.
pub const MAX_APPEND_BYTES: usize = 64 * 1024;
/// The longest file name taken.
const MAX_NAME_BYTES: usize = 255;
/// The size a record file may grow to unless [`RecordFiles::with_max_file_bytes`]
/// says otherwise: 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// A guest's records directory, or none (`RecordFiles::default()`): then every
/// call is refused.
#[derive(Debug, Clone)]
pub struct RecordFiles {
    dir: Option<PathBuf>,
    /// No append takes a file past this.
    max_file_bytes: u64,
}

impl Default for RecordFiles {
    fn default() -> Self {
        RecordFiles {
            dir: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl RecordFiles {
    /// Records in `dir`, which must exist and be a directory. The directory
    /// is resolved once (symbolic links followed), so absolute file names are
    /// compared against what it really is.
    pub fn new(dir: &Path) -> std::io::Result<RecordFiles> {
        let dir = dir.canonicalize()?;
        if !dir.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
        Ok(RecordFiles {
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

    /// Appends `text` to `file` in one write and syncs it to disk; refused if
    /// the file would grow past its cap.
    pub fn append(&self, file: &str, text: &str) -> Result<(), Error> {
        if text.len() > MAX_APPEND_BYTES {
            return Err(Error::InvalidArgument(format!(
                "records: {} bytes is more than one append may write ({MAX_APPEND_BYTES})",
                text.len()
            )));
        }
        let path = self.path(file)?;
        let failed = |e: std::io::Error| Error::Failed(format!("records: {file}: {e}"));
        let mut handle = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(failed)?;
        let size = handle.metadata().map_err(failed)?.len();
        if size.saturating_add(text.len() as u64) > self.max_file_bytes {
            return Err(Error::Failed(format!(
                "records: {file}: {} more bytes would take it past its cap of {} bytes",
                text.len(),
                self.max_file_bytes
            )));
        }
        // One write of the whole text: a process killed meanwhile leaves all of
        // it or none (O_APPEND writes of a regular file are not split).
        handle.write_all(text.as_bytes()).map_err(failed)?;
        handle.sync_data().map_err(failed)
    }

    /// Empties `file` (creating it) and syncs it to disk.
    pub fn truncate(&self, file: &str) -> Result<(), Error> {
        let path = self.path(file)?;
        let failed = |e: std::io::Error| Error::Failed(format!("records: {file}: {e}"));
        let handle = File::create(&path).map_err(failed)?;
        handle.sync_all().map_err(failed)
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

    fn records() -> (tempfile::TempDir, RecordFiles) {
        let dir = tempfile::tempdir().unwrap();
        let records = RecordFiles::new(dir.path()).unwrap();
        (dir, records)
    }

    #[test]
    fn appends_accumulate_and_truncate_empties() {
        let (dir, records) = records();
        records.append("feedback.txt", "one\n").unwrap();
        records.append("feedback.txt", "two\n").unwrap();
        let path = dir.path().join("feedback.txt");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        records.truncate("feedback.txt").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn an_absolute_path_in_the_directory_is_the_same_file() {
        let (dir, records) = records();
        let absolute = dir.path().join("f.txt");
        records.append(absolute.to_str().unwrap(), "x").unwrap();
        records.append("f.txt", "y").unwrap();
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
                matches!(records.append(name, "x"), Err(Error::InvalidArgument(_))),
                "{name:?}"
            );
        }
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            records.truncate(&long),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn too_much_text_is_refused_and_nothing_is_written() {
        let (dir, records) = records();
        let text = "x".repeat(MAX_APPEND_BYTES + 1);
        assert!(matches!(
            records.append("f", &text),
            Err(Error::InvalidArgument(_))
        ));
        assert!(!dir.path().join("f").exists());
    }

    #[test]
    fn an_append_past_the_file_cap_is_refused_whole() {
        let (dir, records) = records();
        let records = records.with_max_file_bytes(10);
        records.append("f", "12345").unwrap();
        records.append("f", "67890").unwrap();
        let refused = records.append("f", "x");
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.contains("cap of 10 bytes")),
            "{refused:?}"
        );
        let path = dir.path().join("f");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1234567890");
        records.truncate("f").unwrap();
        records.append("f", "x").unwrap();
    }

    #[test]
    fn without_a_directory_every_call_is_refused() {
        let records = RecordFiles::default();
        assert!(matches!(
            records.append("f", "x"),
            Err(Error::WrongState(_))
        ));
        assert!(matches!(records.truncate("f"), Err(Error::WrongState(_))));
    }

    #[test]
    fn a_directory_that_is_not_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap();
        assert!(RecordFiles::new(&file).is_err());
        assert!(RecordFiles::new(&dir.path().join("missing")).is_err());
    }
}
