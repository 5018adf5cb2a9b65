//! Files replaced whole: a crash at any moment leaves the old content or the
//! new, never a mix.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// A file created in `path`'s directory with `mode` under a name no other
/// writer uses, `.<name>.<pid>.<n>.tmp` (hidden, and never a name someone
/// keeps beside `path`, such as `<name>.new`), and that name.
fn temporary_beside(path: &Path, mode: u32) -> std::io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{}: not a file name", path.display())))?;
    loop {
        let mut hidden = OsString::from(".");
        hidden.push(name);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        hidden.push(format!(".{}.{n}.tmp", std::process::id()));
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

/// Writes `bytes` to `path`, which must not exist (else `AlreadyExists`),
/// with `mode`, and syncs it and its directory.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    sync_dir(path)
}

/// Syncs the directory `path` is in.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// Keeps `path` up to date until `stop` resolves, and once more after it:
/// every `interval`, `changed` is given the key of what was last written (none
/// yet at first) and returns the key and bytes of a new content, or none when
/// nothing changed. The file is replaced ([`replace`], with `mode`) off the
/// async threads; a failed write is tried again at the next look, and logged
/// as [`FailureLog`] says, but for the last one, after `stop`, which is always
/// logged.
pub async fn keep<K>(
    path: std::path::PathBuf,
    mode: u32,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
    mut changed: impl FnMut(Option<&K>) -> Option<(K, Vec<u8>)>,
) {
    let mut written = None;
    let mut failures = FailureLog::default();
    let mut ticks = tokio::time::interval(interval);
    tokio::pin!(stop);
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            () = &mut stop => true,
        };
        if let Some((key, bytes)) = changed(written.as_ref()) {
            let target = path.clone();
            let result = tokio::task::spawn_blocking(move || replace(&target, &bytes, mode))
                .await
                .map_err(std::io::Error::other)
                .and_then(|replaced| replaced);
            let now = Instant::now();
            match result {
                Ok(()) => {
                    written = Some(key);
                    if let Some(failed_for) = failures.succeeded(now) {
                        tracing::info!(
                            "writing {} works again, after failing for {} s",
                            path.display(),
                            failed_for.as_secs()
                        );
                    }
                }
                Err(e) if stopping => tracing::error!(
                    "writing {} at stop: {e}; what it would have held is lost",
                    path.display()
                ),
                Err(e) => {
                    if let Some(again) = failures.failed(now) {
                        tracing::warn!(
                            "writing {}: {e}; trying again every {} ms{}",
                            path.display(),
                            interval.as_millis(),
                            if again { ", still failing" } else { "" }
                        );
                    }
                }
            }
        }
        if stopping {
            return;
        }
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

    /// What a test's log holds.
    #[derive(Clone, Default)]
    struct LogLines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for LogLines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_last_write_failing_after_stop_is_logged_however_soon_after_another() {
        let dir = tempfile::tempdir().unwrap();
        // Its directory does not exist: every write fails.
        let path = dir.path().join("gone").join("state");
        let log = LogLines::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut version = 0_u32;
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                let stop = tokio::time::sleep(Duration::from_millis(100));
                keep(path, PRIVATE, Duration::from_millis(10), stop, |_| {
                    version += 1;
                    Some((version, version.to_string().into_bytes()))
                })
                .await;
            });
        });
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
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
}
