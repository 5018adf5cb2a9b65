//! Files replaced whole: a crash at any moment leaves the old content or the
//! new, never a mix.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` durably: written to `<path>.new`, synced,
/// renamed over `path`, and the directory synced, since the rename is durable
/// only once the directory is (fsync(2)).
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// Keeps `path` up to date until `stop` resolves, and once more after it:
/// every `interval`, `changed` is given the key of what was last written (none
/// yet at first) and returns the key and bytes of a new content, or none when
/// nothing changed. The file is replaced off the async threads; a failed write
/// is logged and tried again at the next look.
pub async fn keep<K>(
    path: std::path::PathBuf,
    interval: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
    mut changed: impl FnMut(Option<&K>) -> Option<(K, Vec<u8>)>,
) {
    let mut written = None;
    let mut ticks = tokio::time::interval(interval);
    tokio::pin!(stop);
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            () = &mut stop => true,
        };
        if let Some((key, bytes)) = changed(written.as_ref()) {
            let target = path.clone();
            let result = tokio::task::spawn_blocking(move || replace(&target, &bytes))
                .await
                .map_err(std::io::Error::other)
                .and_then(|replaced| replaced);
            match result {
                Ok(()) => written = Some(key),
                Err(e) => tracing::warn!("writing {}: {e}", path.display()),
            }
        }
        if stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_replaced_file_holds_the_new_bytes_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        super::replace(&path, b"old").unwrap();
        super::replace(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!dir.path().join("state.new").exists());
    }
}
