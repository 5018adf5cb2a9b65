//! What tells one version of a file from the next without reading it: its stamp.

use std::path::Path;
use std::time::SystemTime;

/// A file as one look at it saw it, a symlink followed: its modification time, size,
/// status-change time, device and inode. Any difference between two stamps of a path means
/// the file changed or was replaced in between: written over in place, another file renamed
/// onto it, or a symlink on the way pointed elsewhere. No clock is compared, so a file put
/// back with an older time is a change like any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// Its modification time, where the platform has one.
    modified: Option<SystemTime>,
    /// Its size.
    size: u64,
    // The modification time alone misses a file written with an earlier time kept (`cp -p`,
    // `rsync -t`, `install -p`, a build with SOURCE_DATE_EPOCH, a Nix store's time of 1):
    // the status-change time, which no one can set, moves with any write in place, and the
    // device and inode change when another file is renamed into place or a symlink is
    // pointed elsewhere.
    /// Its status-change time, seconds and nanoseconds (zero off Unix).
    changed: (i64, i64),
    /// Its device and inode (zero off Unix).
    file: (u64, u64),
}

impl FileStamp {
    /// `path`'s stamp now, a symlink followed; `None` when it cannot be looked at (it is
    /// missing, say; then reading it fails too).
    pub fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (changed, file) = {
            use std::os::unix::fs::MetadataExt;
            (
                (metadata.ctime(), metadata.ctime_nsec()),
                (metadata.dev(), metadata.ino()),
            )
        };
        #[cfg(not(unix))]
        let (changed, file) = ((0, 0), (0, 0));
        Some(Self {
            modified: metadata.modified().ok(),
            size: metadata.len(),
            changed,
            file,
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    /// Writes `bytes` to `path` in place, its modification time set to `modified`.
    fn write_at(path: &Path, bytes: &[u8], modified: SystemTime) {
        std::fs::write(path, bytes).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(modified).unwrap();
    }

    /// Long enough for the status-change time to move on a file system whose clock is coarse.
    fn tick() {
        std::thread::sleep(Duration::from_millis(20));
    }

    /// Points the symlink `link` at `target` as a deploy does: a new symlink renamed over it.
    fn point_at(link: &Path, target: &Path) {
        let next = link.with_extension("next");
        symlink(target, &next).unwrap();
        std::fs::rename(&next, link).unwrap();
    }

    #[test]
    fn a_file_rewritten_in_place_with_its_size_and_time_kept_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        let kept = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
        write_at(&path, b"version A", kept);
        let before = FileStamp::of(&path).unwrap();
        tick();
        write_at(&path, b"version B", kept);
        let after = FileStamp::of(&path).unwrap();
        assert_eq!(
            (after.modified, after.size),
            (before.modified, before.size),
            "as `cp -p` leaves it"
        );
        assert_ne!(after, before);
    }

    #[test]
    fn another_file_put_in_place_with_the_same_size_and_time_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        let kept = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
        write_at(&path, b"version A", kept);
        let before = FileStamp::of(&path);
        // As `rsync -t` or `install -p` put it.
        let next = dir.path().join("next.wasm");
        write_at(&next, b"version B", kept);
        std::fs::rename(&next, &path).unwrap();
        assert_ne!(FileStamp::of(&path), before);
    }

    #[test]
    fn a_symlink_pointed_at_another_file_of_the_same_size_and_time_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let kept = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
        let (a, b) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
        write_at(&a, b"version A", kept);
        write_at(&b, b"version B", kept);
        let link = dir.path().join("guest.wasm");
        symlink(&a, &link).unwrap();
        let before = FileStamp::of(&link);
        assert_eq!(before, FileStamp::of(&a), "the symlink is followed");
        point_at(&link, &b);
        assert_ne!(FileStamp::of(&link), before);
        assert_eq!(FileStamp::of(&link), FileStamp::of(&b));
    }

    #[test]
    fn a_symlink_pointed_back_looks_as_its_target_and_a_write_after_a_look_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
        std::fs::write(&a, b"version A").unwrap();
        std::fs::write(&b, b"version B").unwrap();
        let link = dir.path().join("guest.wasm");
        point_at(&link, &a);
        let at_a = FileStamp::of(&link);
        point_at(&link, &b);
        let at_b = FileStamp::of(&link);
        assert_ne!(at_b, at_a);
        // Back to the older release, untouched since: it looks as it did, and not as the
        // release it replaces does.
        point_at(&link, &a);
        assert_eq!(FileStamp::of(&link), at_a);
        assert_ne!(FileStamp::of(&link), at_b);
        // A write through the link right after a look is seen at the next.
        std::fs::write(&link, b"version A, patched").unwrap();
        assert_ne!(FileStamp::of(&link), at_a);
    }

    #[test]
    fn a_missing_file_has_no_stamp() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(FileStamp::of(&dir.path().join("gone.wasm")), None);
    }
}
