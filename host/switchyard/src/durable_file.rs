//! Files replaced whole: a crash at any moment leaves the old content or the
//! new, never a mix.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use switchyard_control::regular_file;

/// The mode of a file only its owner may read: one holding rooms' PINs or a
/// configuration's passwords.
pub const PRIVATE: u32 = 0o600;

/// How often a write that keeps failing is logged again.
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Replaces `path` with `bytes` durably: written to a new hidden file beside
/// it ([`temporary_beside`]), synced, renamed over `path`, and the directory
/// synced, since the rename is durable only once the directory is (fsync(2)).
/// The hidden file is removed when any step fails; no other file is touched.
///
/// The new file has `mode`, less what the replaced file's mode does not
/// grant: a file made stricter by hand stays so.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mode = match std::fs::metadata(path) {
        Ok(existing) => existing.permissions().mode() & mode,
        Err(_) => mode,
    };
    let (temporary, mut file) = temporary_beside(path, mode)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temporary, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    sync_dir(path)
}

/// The bytes of the file at `path`, `None` when there is none. One that is no regular file
/// is the error [`regular_file::open`] gives, found without waiting: a FIFO would hold up the
/// read, and the start it is part of, until some writer came.
pub fn read(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = match regular_file::open(path) {
        Ok((file, _)) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// A file created in `path`'s directory with `mode` under a name no other
/// writer uses, `.<name>.<pid>.<n>.tmp` (hidden, and never a name someone
/// keeps beside `path`, such as `<name>.new`), and that name.
fn temporary_beside(path: &Path, mode: u32) -> std::io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{}: not a file name", path.display())))?;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let hidden = temporary_name(name, std::process::id(), n);
        let temporary = path.with_file_name(hidden);
        // One a crashed process of the same id left is not reused: its mode may differ.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The name of the temporary `n` of process `pid` for the file `name`.
fn temporary_name(name: &OsStr, pid: u32, n: u64) -> OsString {
    let mut hidden = OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".{pid}.{n}.tmp"));
    hidden
}

/// Whether `candidate` is the name of a temporary ([`temporary_name`]) of any process
/// for the file `name`.
fn is_temporary_of(name: &OsStr, candidate: &OsStr) -> bool {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let numbers = candidate
        .as_bytes()
        .strip_prefix(prefix.as_bytes())
        .and_then(|rest| rest.strip_suffix(b".tmp"));
    let Some(numbers) = numbers else {
        return false;
    };
    let mut parts = numbers.split(|&b| b == b'.');
    let is_number = |part: Option<&[u8]>| {
        part.is_some_and(|digits| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
    };
    is_number(parts.next()) && is_number(parts.next()) && parts.next().is_none()
}

/// Writes `bytes` to `path`, which must not exist (else `AlreadyExists`),
/// with `mode`, durably and whole: written to a new hidden file beside it
/// ([`temporary_beside`]), synced, moved to `path` only if nothing is there
/// yet, and the directory synced. A failure before the move leaves no file at
/// `path` and removes the hidden one (a failure to sync the directory, after
/// it, is returned with the file in place); a file already at `path` is never
/// touched.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    create_new_with(path, mode, |file| file.write_all(bytes))
}

/// [`create_new`], the content written by `write`.
fn create_new_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (temporary, mut file) = temporary_beside(path, mode)?;
    let created = write(&mut file)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            move_if_absent(&temporary, path)
        });
    if let Err(e) = created {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    sync_dir(path)
}

/// Moves `from` to `to` if nothing is at `to` (else `AlreadyExists`, and
/// `from` stays): a rename that does not replace (renameat2(2)'s
/// `RENAME_NOREPLACE`) or, where the file system or a sandbox refuses it, a
/// hard link made and `from` removed, or failing that a copy.
fn move_if_absent(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(e) if refused_as_unsupported(e) => link_if_absent(from, to),
        Err(e) => Err(e.into()),
    }
}

/// Whether `errno` says the call itself is not to be had here, rather than
/// that it failed: not implemented, not supported by the file system, or
/// refused by a sandbox (a seccomp filter answers EPERM for calls it does not
/// know).
fn refused_as_unsupported(errno: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    matches!(
        errno,
        Errno::INVAL | Errno::NOSYS | Errno::NOTSUP | Errno::PERM
    )
}

/// [`move_if_absent`] by a hard link to `from` made at `to`, which fails with
/// `AlreadyExists` where a file is, and `from` then removed; on a file system
/// without hard links, by [`copy_if_absent`].
fn link_if_absent(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Err(e) = std::fs::hard_link(from, to) {
        let unsupported = rustix::io::Errno::from_io_error(&e).is_some_and(refused_as_unsupported);
        return if unsupported {
            copy_if_absent(from, to)
        } else {
            Err(e)
        };
    }
    // `to` is whole from here on: a name left beside it is no failure to create it.
    if let Err(e) = std::fs::remove_file(from) {
        tracing::warn!("cannot remove {}: {e}", from.display());
    }
    Ok(())
}

/// [`move_if_absent`] by a copy of `from` into a file created at `to` only if
/// none is there (`O_EXCL`), with `from`'s mode, synced, and `from` then
/// removed; a copy that fails removes what it made of `to`.
fn copy_if_absent(from: &Path, to: &Path) -> std::io::Result<()> {
    let mode = std::fs::metadata(from)?.permissions().mode();
    let mut target = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)?;
    let copied = std::io::copy(&mut File::open(from)?, &mut target).and_then(|_| target.sync_all());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(to);
        return Err(e);
    }
    if let Err(e) = std::fs::remove_file(from) {
        tracing::warn!("cannot remove {}: {e}", from.display());
    }
    Ok(())
}

/// Syncs the directory `path` is in.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// How long the writes still to come once `stop` has resolved (the one in flight, then
/// the last) are waited for in all by [`keep`]: a write on a hung disk is left unfinished
/// after it, so that a stop never waits on the disk for ever.
pub const STOP_WAIT: Duration = Duration::from_secs(5);

/// Keeps `path` up to date until `stop` resolves, and once more after it:
/// every `interval`, `changed` is given the key of what was last written (none
/// yet at first) and returns the key and bytes of a new content, or none when
/// nothing changed. The file is replaced ([`replace`], with `mode`) off the
/// async threads; a failed write is tried again at the next look, and logged
/// as [`FailureLog`] says, but for the last one, after `stop`, which is always
/// logged.
///
/// Before its first write it removes the temporaries of `path`'s name that an
/// earlier process left (killed, or the machine lost power, while writing):
/// one process keeps a file ([`crate::file_owner::FileOwner`]), so none of them is
/// another's write in flight.
/// `stop` is heeded while a write is in flight: the writes from then on get
/// [`STOP_WAIT`] in all, and one still running after it is logged and left.
pub async fn keep<K>(
    path: std::path::PathBuf,
    mode: u32,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
    changed: impl FnMut(Option<&K>) -> Option<(K, Vec<u8>)>,
) {
    let write = move |target: &Path, bytes: &[u8], first: bool| {
        if first {
            remove_leftovers(target);
        }
        replace(target, bytes, mode)
    };
    keep_with(path, interval, STOP_WAIT, stop, changed, write).await;
}

/// [`keep`], writing with `write` (given whether it is the first write) and waiting
/// `stop_wait` for the writes after `stop`.
async fn keep_with<K>(
    path: PathBuf,
    interval: Duration,
    stop_wait: Duration,
    stop: impl std::future::Future<Output = ()>,
    mut changed: impl FnMut(Option<&K>) -> Option<(K, Vec<u8>)>,
    write: impl Fn(&Path, &[u8], bool) -> std::io::Result<()> + Clone + Send + 'static,
) {
    let mut kept = Kept {
        path,
        interval,
        written: None,
        failures: FailureLog::default(),
        first: true,
    };
    let mut ticks = tokio::time::interval(interval);
    tokio::pin!(stop);
    let until = loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = &mut stop => break tokio::time::Instant::now() + stop_wait,
        }
        let Some((key, bytes)) = changed(kept.written.as_ref()) else {
            continue;
        };
        let mut in_flight = kept.start(&write, bytes);
        tokio::select! {
            result = &mut in_flight => kept.done(key, result, false),
            () = &mut stop => {
                let until = tokio::time::Instant::now() + stop_wait;
                match tokio::time::timeout_at(until, in_flight).await {
                    Ok(result) => kept.done(key, result, false),
                    Err(_) => return kept.left(stop_wait),
                }
                break until;
            }
        }
    };
    let Some((key, bytes)) = changed(kept.written.as_ref()) else {
        return;
    };
    match tokio::time::timeout_at(until, kept.start(&write, bytes)).await {
        Ok(result) => kept.done(key, result, true),
        Err(_) => kept.left(stop_wait),
    }
}

/// What [`keep_with`] knows of its file between writes.
struct Kept<K> {
    path: PathBuf,
    interval: Duration,
    /// The key of what was last written.
    written: Option<K>,
    failures: FailureLog,
    /// No write was started yet.
    first: bool,
}

/// A write in flight on a blocking thread.
type InFlight = tokio::task::JoinHandle<std::io::Result<()>>;

impl<K> Kept<K> {
    /// Starts writing `bytes` with `write` off the async threads.
    fn start(
        &mut self,
        write: &(impl Fn(&Path, &[u8], bool) -> std::io::Result<()> + Clone + Send + 'static),
        bytes: Vec<u8>,
    ) -> InFlight {
        let (write, target, first) = (write.clone(), self.path.clone(), self.first);
        self.first = false;
        tokio::task::spawn_blocking(move || write(&target, &bytes, first))
    }

    /// The write of the content `key` ended with `result`: a failure logged as
    /// [`FailureLog`] says, or always if it was the `last`.
    fn done(
        &mut self,
        key: K,
        result: Result<std::io::Result<()>, tokio::task::JoinError>,
        last: bool,
    ) {
        let now = Instant::now();
        match result.map_err(std::io::Error::other).and_then(|r| r) {
            Ok(()) => {
                self.written = Some(key);
                if let Some(failed_for) = self.failures.succeeded(now) {
                    tracing::info!(
                        "writing {} works again, after failing for {} s",
                        self.path.display(),
                        failed_for.as_secs()
                    );
                }
            }
            Err(e) if last => tracing::error!(
                "writing {} at stop: {e}; what it would have held is lost",
                self.path.display()
            ),
            Err(e) => {
                if let Some(again) = self.failures.failed(now) {
                    tracing::warn!(
                        "writing {}: {e}; trying again every {} ms{}",
                        self.path.display(),
                        self.interval.as_millis(),
                        if again { ", still failing" } else { "" }
                    );
                }
            }
        }
    }

    /// A write was still running `waited` after the stop.
    fn left(&self, waited: Duration) {
        tracing::error!(
            "writing {} at stop: still not done after {waited:?} (a hung disk?); left \
             unfinished, and what it would have held may be lost",
            self.path.display()
        );
    }
}

/// Removes the temporaries of `path`'s name ([`temporary_beside`]) in its directory,
/// logging how many; a directory that cannot be read is left to the write to report.
fn remove_leftovers(path: &Path) {
    let (Some(name), Some(dir)) = (path.file_name(), path.parent()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let removed = entries
        .filter_map(Result::ok)
        .filter(|entry| is_temporary_of(name, &entry.file_name()))
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count();
    if removed > 0 {
        tracing::info!(
            "removed {removed} temporary file(s) an earlier process left unfinished beside {}",
            path.display()
        );
    }
}

/// When a write that keeps failing is logged: at its first failure, then at
/// most once every [`FAILURE_LOG_INTERVAL`] while it fails; its recovery
/// once.
#[derive(Debug, Default)]
struct FailureLog {
    /// Since when, and when it was last logged, while writes fail.
    failing: Option<(Instant, Instant)>,
}

impl FailureLog {
    /// A write failed at `now`: whether to log it (`Some`), and whether it
    /// had failed before (`Some(true)`).
    fn failed(&mut self, now: Instant) -> Option<bool> {
        match &mut self.failing {
            None => {
                self.failing = Some((now, now));
                Some(false)
            }
            Some((_, logged)) if now.duration_since(*logged) >= FAILURE_LOG_INTERVAL => {
                *logged = now;
                Some(true)
            }
            Some(_) => None,
        }
    }

    /// A write succeeded at `now`: how long writes had failed, if they had.
    fn succeeded(&mut self, now: Instant) -> Option<Duration> {
        self.failing
            .take()
            .map(|(since, _)| now.duration_since(since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_replaced_file_holds_the_new_bytes_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        replace(&path, b"old", PRIVATE).unwrap();
        replace(&path, b"new", PRIVATE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["state"]);
    }

    #[test]
    fn files_beside_the_one_replaced_are_left_alone_whatever_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchyard.toml");
        let beside = [
            "switchyard.toml.new",
            "switchyard.toml.tmp",
            ".switchyard.toml",
        ];
        for name in beside {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        replace(&path, b"x = 1\n", PRIVATE).unwrap();
        replace(&path, b"x = 2\n", PRIVATE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x = 2\n");
        for name in beside {
            assert_eq!(
                std::fs::read(dir.path().join(name)).unwrap(),
                name.as_bytes()
            );
        }
        assert_eq!(
            names(dir.path()).len(),
            beside.len() + 1,
            "no temporary left"
        );
    }

    #[test]
    fn a_failed_replace_removes_its_temporary_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory in the way: the rename over it fails.
        let path = dir.path().join("rooms.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"kept").unwrap();
        assert!(replace(&path, b"{}", PRIVATE).is_err());
        assert_eq!(names(dir.path()), ["rooms.json"]);
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
    }

    #[test]
    fn written_files_have_their_mode_and_a_stricter_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rooms.json");
        replace(&path, b"{}", PRIVATE).unwrap();
        assert_eq!(mode(&path), 0o600, "a new file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        replace(&path, b"{}", PRIVATE).unwrap();
        assert_eq!(mode(&path), 0o600, "a readable one becomes private");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        replace(&path, b"{}", PRIVATE).unwrap();
        assert_eq!(mode(&path), 0o400, "a stricter one stays so");
        // A file beside it readable by all lends it nothing.
        let stats = dir.path().join("stats");
        std::fs::write(dir.path().join("stats.new"), b"").unwrap();
        std::fs::set_permissions(
            dir.path().join("stats.new"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        replace(&stats, b"1\n0\n0\n", PRIVATE).unwrap();
        assert_eq!(mode(&stats), 0o600);

        let created = dir.path().join("switchyard.toml");
        create_new(&created, b"x", PRIVATE).unwrap();
        assert_eq!(mode(&created), 0o600);
        let again = create_new(&created, b"y", PRIVATE).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&created).unwrap(), b"x");
    }

    #[test]
    fn a_create_new_that_fails_leaves_nothing_and_can_be_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchyard.toml");
        let failed = create_new_with(&path, PRIVATE, |file| {
            file.write_all(b"[sip]\nlis")?;
            Err(std::io::Error::other("no space left"))
        });
        assert_eq!(failed.unwrap_err().to_string(), "no space left");
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
        create_new(&path, b"[sip]\n", PRIVATE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[sip]\n");
        assert_eq!(names(dir.path()), ["switchyard.toml"]);
    }

    #[test]
    fn a_create_new_over_an_existing_file_leaves_it_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchyard.toml");
        std::fs::write(&path, b"kept").unwrap();
        let again = create_new(&path, b"new", PRIVATE).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert_eq!(names(dir.path()), ["switchyard.toml"]);
    }

    #[test]
    fn a_move_that_must_not_replace_leaves_an_existing_file_by_rename_link_or_copy() {
        for mover in [move_if_absent, link_if_absent, copy_if_absent] {
            let dir = tempfile::tempdir().unwrap();
            let (from, to) = (dir.path().join(".new"), dir.path().join("kept"));
            std::fs::write(&from, b"new").unwrap();
            std::fs::write(&to, b"old").unwrap();
            let refused = mover(&from, &to).unwrap_err();
            assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
            assert_eq!(std::fs::read(&to).unwrap(), b"old");
            std::fs::remove_file(&to).unwrap();
            mover(&from, &to).unwrap();
            assert_eq!(std::fs::read(&to).unwrap(), b"new");
            assert_eq!(names(dir.path()), ["kept"]);
        }
    }

    #[test]
    fn a_call_a_sandbox_or_file_system_does_not_offer_is_told_from_one_that_failed() {
        use rustix::io::Errno;
        for unsupported in [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::PERM] {
            assert!(refused_as_unsupported(unsupported), "{unsupported:?}");
        }
        for failed in [Errno::EXIST, Errno::ACCESS, Errno::NOSPC, Errno::IO] {
            assert!(!refused_as_unsupported(failed), "{failed:?}");
        }
    }

    #[test]
    fn a_failing_write_is_logged_once_a_minute_and_its_recovery_once() {
        let mut log = FailureLog::default();
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(log.failed(at(0)), Some(false), "the first failure");
        for ms in (250..60_000).step_by(250) {
            assert_eq!(log.failed(at(ms)), None, "at {ms} ms");
        }
        assert_eq!(log.failed(at(60_000)), Some(true), "a minute on");
        assert_eq!(log.failed(at(60_250)), None);
        assert_eq!(log.succeeded(at(61_000)), Some(Duration::from_secs(61)));
        assert_eq!(log.succeeded(at(61_250)), None, "recovered once");
        assert_eq!(log.failed(at(62_000)), Some(false), "a new failure");
    }

    /// The log of running `work` to its end on a runtime of its own; blocking
    /// tasks still running then are left running.
    fn logged(work: impl std::future::Future<Output = ()>) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let ((), text) = crate::test_log::logged(|| runtime.block_on(work));
        runtime.shutdown_background();
        text
    }

    #[test]
    fn the_last_write_failing_after_stop_is_logged_however_soon_after_another() {
        let dir = tempfile::tempdir().unwrap();
        // Its directory does not exist: every write fails.
        let path = dir.path().join("gone").join("state");
        let mut version = 0_u32;
        let text = logged(async {
            let stop = tokio::time::sleep(Duration::from_millis(100));
            keep(path, PRIVATE, Duration::from_millis(10), stop, |_| {
                version += 1;
                Some((version, version.to_string().into_bytes()))
            })
            .await;
        });
        assert_eq!(
            text.lines().count(),
            2,
            "the first failure and the last:\n{text}"
        );
        assert!(
            text.contains("at stop") && text.contains("is lost"),
            "{text}"
        );
    }

    /// Keeps a file whose content changes at every look, writing it with
    /// `write`, every `interval`, until a stop 50 ms on, with 200 ms for the
    /// writes after it: the log, once it returned (at most 10 s on).
    fn kept_with(
        interval: Duration,
        write: impl Fn(&Path, &[u8], bool) -> std::io::Result<()> + Clone + Send + 'static,
    ) -> String {
        let mut version = 0_u32;
        logged(async {
            let stop = tokio::time::sleep(Duration::from_millis(50));
            let kept = keep_with(
                PathBuf::from("state"),
                interval,
                Duration::from_millis(200),
                stop,
                |_| {
                    version += 1;
                    Some((version, Vec::new()))
                },
                write,
            );
            let returned = tokio::time::timeout(Duration::from_secs(10), kept).await;
            assert!(returned.is_ok(), "expected keep to return");
        })
    }

    /// A write that waits until `gate` is free, when `hangs` says so of a
    /// write, first or not.
    fn held_by(
        gate: &Arc<Mutex<()>>,
        hangs: fn(bool) -> bool,
    ) -> impl Fn(&Path, &[u8], bool) -> std::io::Result<()> + Clone + Send + 'static {
        let gate = gate.clone();
        move |_: &Path, _: &[u8], first: bool| {
            if hangs(first) {
                drop(gate.lock());
            }
            Ok(())
        }
    }

    #[test]
    fn a_stop_while_a_write_hangs_returns_once_the_stop_wait_is_over() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let text = kept_with(Duration::from_millis(10), held_by(&gate, |_| true));
        drop(held);
        assert!(
            text.contains("at stop: still not done after 200ms") && text.contains("left"),
            "{text}"
        );
    }

    #[test]
    fn a_last_write_that_hangs_is_left_once_the_stop_wait_is_over() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        // The first write, at once, does not hang; the last, at the stop, does.
        let text = kept_with(Duration::from_secs(3600), held_by(&gate, |first| !first));
        drop(held);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("still not done after 200ms"), "{text}");
    }

    #[test]
    fn temporaries_an_earlier_process_left_are_removed_before_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rooms.json");
        let left = [".rooms.json.4242.0.tmp", ".rooms.json.1.17.tmp"];
        let others = [
            ".rooms.json.tmp",
            ".rooms.json.x.1.tmp",
            ".rooms.json.1.2.3.tmp",
            ".stats.1.0.tmp",
            "rooms.json.1.0.tmp",
            "rooms.json.new",
        ];
        for name in left.iter().chain(&others) {
            std::fs::write(dir.path().join(name), b"{}").unwrap();
        }
        logged(async {
            keep(path, PRIVATE, Duration::from_secs(3600), async {}, |_| {
                Some(((), b"{}".to_vec()))
            })
            .await;
        });
        let mut kept: Vec<&str> = others.to_vec();
        kept.push("rooms.json");
        kept.sort_unstable();
        assert_eq!(names(dir.path()), kept);
    }
}
