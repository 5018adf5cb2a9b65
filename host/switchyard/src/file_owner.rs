//! One process per kept file or directory. A server that keeps a file across restarts (the
//! rooms file, the stats file) holds an exclusive lock (flock(2)) on a hidden
//! `.<name>.lock` beside it for as long as it runs, and one that writes in a directory it
//! cleans up at start (the recordings') on a hidden `.lock` in it, so a second server
//! pointed at the same file or directory refuses to start, rather than the two overwriting
//! each other's writes and removing each other's temporaries. The kernel lets the
//! lock go when the process ends, however it ends: a crash leaves nothing to
//! clean up (the empty lock file stays, and is harmless). The lock is taken
//! through a read-only handle, so a lock file another user left (a server run
//! once by hand as root) stands in no one's way; a file system that keeps no
//! such locks is warned of, and the file kept unlocked, as before.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use switchyard_control::regular_file;

/// The lock file's mode: it is empty, and any user running a server may lock it.
const LOCK_MODE: u32 = 0o644;

/// The name of a claimed directory's lock file, in it.
const DIR_LOCK_NAME: &str = ".lock";

/// This process's claim on a kept file, held until dropped.
#[derive(Debug)]
pub struct FileOwner {
    _lock: File,
}

impl FileOwner {
    /// Claims `path` for this process. Fails, saying why, when another process
    /// (or another claim of this one) holds it, or when its lock file cannot be
    /// created, opened or locked, but for a file system that keeps no locks.
    pub fn claim(path: &Path) -> Result<FileOwner, String> {
        Self::lock(&lock_path(path)?, "file")
    }

    /// Claims the directory `dir` for this process, as [`claim`](Self::claim) claims a file,
    /// through the lock file `.lock` in it.
    pub fn claim_dir(dir: &Path) -> Result<FileOwner, String> {
        Self::lock(&dir.join(DIR_LOCK_NAME), "directory")
    }

    /// Locks the lock file `lock_path` of a `what` (`file`, `directory`), created first if it
    /// is not there.
    fn lock(lock_path: &Path, what: &str) -> Result<FileOwner, String> {
        let lock = open_or_create(lock_path)
            .map_err(|e| format!("cannot open its lock file {}: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(format!(
                    "another running process keeps this {what} (it holds the lock on {}); \
                     give each server a {what} of its own",
                    lock_path.display()
                ));
            }
            Err(TryLockError::Error(e)) if keeps_no_locks(&e) => tracing::warn!(
                "{}: the file system keeps no locks ({e}): nothing stops a second server \
                 from keeping this {what} too",
                lock_path.display(),
            ),
            Err(TryLockError::Error(e)) => {
                return Err(format!(
                    "cannot lock its lock file {}: {e}",
                    lock_path.display()
                ));
            }
        }
        Ok(FileOwner { _lock: lock })
    }
}

/// `path` opened to read (all a lock needs), created first if it is not there. One that is
/// no regular file is refused without waiting ([`regular_file::open`]): opening a FIFO would
/// hold up the start until some writer came.
fn open_or_create(path: &Path) -> std::io::Result<File> {
    match regular_file::open(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        opened => return opened.map(|(file, _)| file),
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(LOCK_MODE)
        .open(path)
    {
        // Another process created it meanwhile.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    regular_file::open(path).map(|(file, _)| file)
}

/// Whether `error`, from taking a lock, says the file system keeps none (ENOLCK: an NFS
/// mount without its lock daemon; EOPNOTSUPP: some FUSE file systems).
fn keeps_no_locks(error: &std::io::Error) -> bool {
    error.kind() == ErrorKind::Unsupported || error.raw_os_error() == Some(libc::ENOLCK)
}

/// `.<name>.lock` in `path`'s directory.
fn lock_path(path: &Path) -> Result<PathBuf, String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let mut hidden = OsString::from(".");
    hidden.push(name);
    hidden.push(".lock");
    Ok(path.with_file_name(hidden))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// What `open` made of `path`, run on a thread of its own: an open that waits fails the
    /// test rather than hang it.
    pub(crate) fn within_a_second<T: Send + 'static>(
        path: &Path,
        open: impl FnOnce(&Path) -> T + Send + 'static,
    ) -> T {
        let (done, outcome) = mpsc::channel();
        let path = path.to_owned();
        std::thread::spawn(move || done.send(open(&path)));
        outcome
            .recv_timeout(Duration::from_secs(1))
            .expect("the open waited, as for a writer to a FIFO")
    }

    /// Makes a FIFO at `path`, which no one writes.
    pub(crate) fn make_fifo(path: &Path) {
        let made = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(made.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn a_file_claimed_is_refused_to_a_second_claim_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("rooms.json");
        let first = FileOwner::claim(&kept).expect("the first claim");
        let refused = FileOwner::claim(&kept).expect_err("a second claim while the first holds");
        let lock = dir.path().join(".rooms.json.lock");
        assert!(
            refused.contains("another running process keeps this file")
                && refused.contains(&lock.display().to_string()),
            "{refused}"
        );
        drop(first);
        FileOwner::claim(&kept).expect("a claim once the first is gone");
        assert!(!kept.exists(), "claiming creates only the lock file");
    }

    #[test]
    fn files_side_by_side_are_claimed_apart() {
        let dir = tempfile::tempdir().unwrap();
        let _rooms = FileOwner::claim(&dir.path().join("rooms.json")).unwrap();
        FileOwner::claim(&dir.path().join("other.json")).expect("another file's claim");
    }

    #[test]
    fn the_lock_is_taken_through_a_handle_that_only_reads_so_any_user_may_take_it() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("stats");
        let created = FileOwner::claim(&kept).unwrap();
        assert!(
            (&created._lock).write_all(b"x").is_err(),
            "a lock file another user left needs no write access"
        );
        drop(created);
        let opened = FileOwner::claim(&kept).expect("a lock file that is there");
        assert!((&opened._lock).write_all(b"x").is_err());
    }

    #[test]
    fn a_lock_file_that_is_a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        make_fifo(&dir.path().join(".rooms.json.lock"));
        let kept = dir.path().join("rooms.json");
        let refused = within_a_second(&kept, |kept| FileOwner::claim(kept).map(drop)).unwrap_err();
        assert_eq!(
            refused,
            format!(
                "cannot open its lock file {}/.rooms.json.lock: not a regular file (a FIFO, a \
                 device or a directory)",
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_directory_claimed_is_refused_to_a_second_claim_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = FileOwner::claim_dir(dir.path()).expect("the first claim");
        let refused = FileOwner::claim_dir(dir.path()).expect_err("a second claim");
        assert_eq!(
            refused,
            format!(
                "another running process keeps this directory (it holds the lock on {}/.lock); \
                 give each server a directory of its own",
                dir.path().display()
            )
        );
        drop(first);
        FileOwner::claim_dir(dir.path()).expect("a claim once the first is gone");
    }

    #[test]
    fn a_directory_that_cannot_take_the_lock_file_is_named() {
        let missing = Path::new("/nonexistent-switchyard-dir/rooms.json");
        let refused = FileOwner::claim(missing).unwrap_err();
        assert!(
            refused.starts_with(
                "cannot open its lock file /nonexistent-switchyard-dir/.rooms.json.lock: "
            ),
            "{refused}"
        );
    }
}
