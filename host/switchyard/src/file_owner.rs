//! One process per kept file or directory. A server that keeps a file across restarts (the
//! rooms file, the stats file) holds an exclusive lock (flock(2)) on a hidden
//! `.<name>.lock` beside it for as long as it runs, and one that writes in a directory it
//! cleans up at start (the recordings') on a hidden `.lock` in it, so a second server
//! pointed at the same file or directory refuses to start, rather than the two overwriting
//! each other's writes and removing each other's temporaries. The kernel lets the
//! lock go when the process ends, however it ends: a crash leaves nothing to
//! clean up (the empty lock file stays, and is harmless). The lock is taken through a
//! handle that writes where this user may write the lock file, as NFS needs (flock(2), "NFS
//! details": the lock is a byte-range write lock there), and else through one that only
//! reads, so a lock file another user left (a server run once by hand as root, which creates
//! it readable by all whatever its umask) stands in no one's way; a file system that keeps
//! no such locks is warned of, and the file kept unlocked, as before.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, Permissions, TryLockError};
use std::io::{self, ErrorKind};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
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
        Self::lock(&lock_file(path)?, "file")
    }

    /// Claims the directory `dir` for this process, as [`claim`](Self::claim) claims a file,
    /// through the lock file [`dir_lock_file`] in it.
    pub fn claim_dir(dir: &Path) -> Result<FileOwner, String> {
        Self::lock(&dir_lock_file(dir), "directory")
    }

    /// Locks the lock file `lock_path` of a `what` (`file`, `directory`), created first if it
    /// is not there.
    fn lock(lock_path: &Path, what: &str) -> Result<FileOwner, String> {
        let lock = open_or_create(lock_path).map_err(|e| {
            // One left by another user under a strict umask, before lock files were made
            // readable by all, is nothing but a name; a directory this user may not write
            // or enter is another matter.
            let unreadable_lock = e.kind() == ErrorKind::PermissionDenied
                && std::fs::symlink_metadata(lock_path).is_ok_and(|m| m.is_file());
            let hint = if unreadable_lock {
                "; one this user may not read is of no use to it: remove it while no server \
                 runs"
            } else {
                ""
            };
            format!(
                "cannot open its lock file {}: {e}{hint}",
                lock_path.display()
            )
        })?;
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
                "{}: the file system keeps no locks this server can take ({e}): nothing \
                 stops a second server from keeping this {what} too",
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

/// The lock file a claim of the file `path` takes ([`FileOwner::claim`]): `.<name>.lock` in
/// `path`'s directory.
pub fn lock_file(path: &Path) -> Result<PathBuf, String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let mut hidden = OsString::from(".");
    hidden.push(name);
    hidden.push(".lock");
    Ok(path.with_file_name(hidden))
}

/// The lock file a claim of the directory `dir` takes ([`FileOwner::claim_dir`]): `.lock` in
/// it.
pub fn dir_lock_file(dir: &Path) -> PathBuf {
    dir.join(DIR_LOCK_NAME)
}

/// The lock file `path`, opened as [`open_existing`] opens it, or created if it is not there.
fn open_or_create(path: &Path) -> io::Result<File> {
    match open_existing(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        opened => return opened,
    }
    match create(path) {
        // Another process created it meanwhile.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => open_existing(path),
        created => created,
    }
}

/// The existing lock file `path`, opened to write where this user may, and else to read (one
/// another user left, or on a read-only mount). One that is no regular file is refused
/// without waiting ([`regular_file::open`]): opening a FIFO would hold up the start until
/// some writer came.
fn open_existing(path: &Path) -> io::Result<File> {
    let (read_only, _) = regular_file::open(path)?;
    // A regular file a moment ago: the second open is checked too, in case it was replaced
    // meanwhile.
    let writable = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    match writable {
        Ok(file) if file.metadata()?.is_file() => Ok(file),
        Ok(_) => Err(io::Error::other(
            "replaced, while being opened, by what is not a regular file",
        )),
        Err(e) if may_not_write(&e) => Ok(read_only),
        Err(e) => Err(e),
    }
}

/// A new lock file at `path`, open to write, of [`LOCK_MODE`] whatever the umask: a server
/// run once by hand under a strict umask (077) would else leave one the server's own user
/// cannot open. A file system that keeps no such mode (FAT's) is warned of: the lock holds
/// all the same.
fn create(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(LOCK_MODE)
        .open(path)?;
    if let Err(e) = file.set_permissions(Permissions::from_mode(LOCK_MODE)) {
        tracing::warn!(
            "{}: cannot give it mode {LOCK_MODE:o} ({e}): a server run as another user may \
             not open it",
            path.display()
        );
    }
    Ok(file)
}

/// Whether `error`, from opening a lock file to write, says this process may not write it
/// (EACCES, EPERM: another user's; EROFS: a read-only mount), where reading it will do.
fn may_not_write(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
    )
}

/// Whether `error`, from taking a lock, says the file system keeps none (ENOLCK: an NFS
/// mount without its lock daemon; EOPNOTSUPP: some FUSE file systems) or none through the
/// handle at hand (EBADF: NFS takes the lock as a write lock, which a lock file this user may
/// only read cannot take).
fn keeps_no_locks(error: &io::Error) -> bool {
    error.kind() == ErrorKind::Unsupported
        || matches!(error.raw_os_error(), Some(libc::ENOLCK | libc::EBADF))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
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

    /// Tells the process a test starts that it is the one to claim the file it names (as
    /// another user, under a strict umask), where the test's own process cannot.
    const CLAIM: &str = "SWITCHYARD_FILE_OWNER_TEST_CLAIM";

    /// The user a test running as root claims as another user.
    const NOBODY: u32 = 65534;

    /// Runs this module's test `name` again, alone, with [`CLAIM`] set to `kept`, through
    /// `sh -c <shell>` (which ends by `exec "$0" "$@"`), as the user nobody when `as_nobody`
    /// and this process is root's; panics unless it passed.
    fn claimed_in_a_process_of_its_own(name: &str, kept: &Path, shell: &str, as_nobody: bool) {
        let as_nobody = as_nobody && is_roots(kept.parent().unwrap());
        let mut test = std::env::current_exe().unwrap();
        if as_nobody {
            // Where the tests were built may be closed to other users: nobody runs a copy
            // beside the kept file, in a directory any user may enter.
            let copy = kept.with_file_name("test-binary");
            std::fs::copy(&test, &copy).unwrap();
            std::fs::set_permissions(&copy, Permissions::from_mode(0o755)).unwrap();
            test = copy;
        }
        let mut command = std::process::Command::new("sh");
        command
            .args(["-c", shell])
            .arg(&test)
            .args([
                &format!("file_owner::tests::{name}"),
                "--exact",
                "--nocapture",
            ])
            .env(CLAIM, kept);
        if as_nobody {
            command.uid(NOBODY).gid(NOBODY);
        }
        let out = command.output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("1 passed"),
            "{said}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Whether `path`, made by this process, is root's: a mode binds it only in a process of
    /// another user.
    fn is_roots(path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().uid() == 0
    }

    /// A temporary directory any user may enter, as the directories of kept files are.
    fn open_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        dir
    }

    /// Whether `owner` holds its lock through a handle that writes.
    fn writes(owner: &FileOwner) -> bool {
        owner._lock.set_len(0).is_ok()
    }

    #[test]
    fn the_lock_is_taken_through_a_handle_that_writes_as_nfs_needs() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("stats");
        let created = FileOwner::claim(&kept).unwrap();
        assert!(writes(&created), "a lock file just created");
        drop(created);
        let opened = FileOwner::claim(&kept).expect("a lock file that is there");
        assert!(writes(&opened), "a lock file that was there");
        drop(opened);
        let dir_owner = FileOwner::claim_dir(dir.path()).unwrap();
        assert!(writes(&dir_owner), "a directory's lock file");
    }

    #[test]
    fn a_lock_file_this_user_may_not_write_is_locked_through_a_handle_that_reads() {
        if let Some(kept) = std::env::var_os(CLAIM) {
            let kept = Path::new(&kept);
            let owner = FileOwner::claim(kept).expect("a lock file it may only read");
            assert!(!writes(&owner));
            let refused = FileOwner::claim(kept).expect_err("the lock is held");
            assert!(
                refused.contains("another running process keeps this file"),
                "{refused}"
            );
            return;
        }
        let dir = open_dir();
        let lock = dir.path().join(".rooms.json.lock");
        std::fs::write(&lock, "").unwrap();
        std::fs::set_permissions(&lock, Permissions::from_mode(0o444)).unwrap();
        claimed_in_a_process_of_its_own(
            "a_lock_file_this_user_may_not_write_is_locked_through_a_handle_that_reads",
            &dir.path().join("rooms.json"),
            "exec \"$0\" \"$@\"",
            true,
        );
        // Those a read-only mount gives.
        assert!(may_not_write(&io::Error::from_raw_os_error(libc::EROFS)));
        assert!(!may_not_write(&io::Error::from_raw_os_error(libc::EIO)));
    }

    #[test]
    fn a_lock_file_this_user_may_not_read_is_refused_saying_to_remove_it() {
        if let Some(kept) = std::env::var_os(CLAIM) {
            let refused = FileOwner::claim(Path::new(&kept)).expect_err("an unreadable lock");
            assert!(
                refused.contains("Permission denied")
                    && refused.ends_with("remove it while no server runs"),
                "{refused}"
            );
            return;
        }
        let dir = open_dir();
        let lock = dir.path().join(".rooms.json.lock");
        std::fs::write(&lock, "").unwrap();
        std::fs::set_permissions(&lock, Permissions::from_mode(0o000)).unwrap();
        claimed_in_a_process_of_its_own(
            "a_lock_file_this_user_may_not_read_is_refused_saying_to_remove_it",
            &dir.path().join("rooms.json"),
            "exec \"$0\" \"$@\"",
            true,
        );
    }

    #[test]
    fn a_directory_this_user_may_not_write_is_no_lock_file_to_remove() {
        if let Some(kept) = std::env::var_os(CLAIM) {
            let refused = FileOwner::claim(Path::new(&kept)).expect_err("no lock file made");
            assert!(
                refused.contains("Permission denied") && !refused.contains("remove it"),
                "{refused}"
            );
            return;
        }
        let dir = open_dir();
        let kept = dir.path().join("rooms.json");
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o555)).unwrap();
        claimed_in_a_process_of_its_own(
            "a_directory_this_user_may_not_write_is_no_lock_file_to_remove",
            &kept,
            "exec \"$0\" \"$@\"",
            true,
        );
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn a_lock_nfs_refuses_to_a_handle_that_only_reads_is_no_lock_kept() {
        for errno in [libc::EBADF, libc::ENOLCK, libc::EOPNOTSUPP] {
            assert!(
                keeps_no_locks(&io::Error::from_raw_os_error(errno)),
                "{}",
                io::Error::from_raw_os_error(errno)
            );
        }
        assert!(!keeps_no_locks(&io::Error::from_raw_os_error(libc::EIO)));
    }

    #[test]
    fn a_lock_file_created_under_a_strict_umask_is_readable_by_all() {
        if let Some(kept) = std::env::var_os(CLAIM) {
            FileOwner::claim(Path::new(&kept)).expect("the claim");
            return;
        }
        let dir = open_dir();
        let kept = dir.path().join("rooms.json");
        // The umask is the process's, shared by the tests running meanwhile.
        claimed_in_a_process_of_its_own(
            "a_lock_file_created_under_a_strict_umask_is_readable_by_all",
            &kept,
            "umask 077 && exec \"$0\" \"$@\"",
            false,
        );
        let lock = dir.path().join(".rooms.json.lock");
        let mode = std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
        assert_eq!(format!("{mode:o}"), "644", "{}", lock.display());
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
