//! Compiled components on disk, so that a restart does not compile a guest
//! again.
//!
//! An entry is named by the SHA-256 of the component's bytes and of the
//! engine's compilation settings, and holds wasmtime's serialized component
//! behind a SHA-256 of itself. An entry that is unreadable, torn, corrupt or
//! made by another engine is ignored and replaced. Entries are written aside
//! and renamed into place, so concurrent hosts sharing the directory never
//! read a partial one; past `max_entries` the least recently used go.

use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The first bytes of every entry: the format, so another layout is a miss.
const MAGIC: &[u8; 8] = b"SYCWASM1";
/// The extension of entries; nothing else in the directory is touched.
const EXTENSION: &str = "cwasm";
/// How the names of entries being written begin (they are renamed into place when whole).
const PARTIAL: &str = ".partial-";
/// How old an entry being written is when it is taken for one a killed process left: a write
/// takes a second or two.
const STALE_PARTIAL: std::time::Duration = std::time::Duration::from_secs(600);

/// A directory of compiled components, at most `max_entries` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileCache {
    dir: PathBuf,
    max_entries: usize,
}

impl CompileCache {
    /// A cache in `dir` (created when first written) keeping at most
    /// `max_entries` compiled components (at least one).
    pub fn new(dir: impl Into<PathBuf>, max_entries: usize) -> CompileCache {
        CompileCache {
            dir: dir.into(),
            max_entries: max_entries.max(1),
        }
    }

    /// `switchyard/components` in the user's cache directory:
    /// `$XDG_CACHE_HOME`, else `$HOME/.cache`; none if neither is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|dir| !dir.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache"))
            })?;
        Some(base.join("switchyard").join("components"))
    }

    /// `wasm` compiled for `engine`: from its entry when there is a usable
    /// one (then `true`), else compiled and stored (`false`). Only compiling
    /// fails; a cache that cannot be read or written is logged and bypassed.
    pub(crate) fn component(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let path = self.entry_path(engine, wasm);
        match self.read(engine, &path) {
            Ok(Some(component)) => return Ok((component, true)),
            Ok(None) => {}
            Err(reason) => tracing::warn!(
                "compiled guest cache: ignoring {}: {reason}; compiling again",
                path.display()
            ),
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.write(&path, &component) {
            tracing::warn!(
                "compiled guest cache: cannot store {}: {e:#}",
                path.display()
            );
        }
        Ok((component, false))
    }

    /// The entry of `wasm` compiled by `engine`.
    fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut settings = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut settings);
        let key = Sha256::new()
            .chain_update(settings.finish().to_le_bytes())
            .chain_update(wasm)
            .finalize();
        let name: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
        self.dir.join(name).with_extension(EXTENSION)
    }

    /// The component in the entry at `path`: none if there is no entry, an
    /// error saying what is wrong with one that cannot be used.
    fn read(&self, engine: &Engine, path: &Path) -> Result<Option<Component>, String> {
        // Entries are native code the host runs: only a directory nobody else can write in
        // holds entries it may trust.
        match fs::metadata(&self.dir) {
            Ok(dir) => trusted(&dir).map_err(|why| format!("{}: {why}", self.dir.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        }
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let serialized = bytes
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.split_at_checked(32))
            .filter(|(sum, serialized)| Sha256::digest(serialized).as_slice() == *sum)
            .map(|(_, serialized)| serialized)
            .ok_or("not a complete entry (torn or corrupt)")?;
        // SAFETY: `deserialize` trusts its input to be wasmtime's own output.
        // These bytes are: the checksum shows they are what `write` stored,
        // nobody but this user can write in the directory (see `trusted`), and
        // `write` stores only `Component::serialize`'s output. Wasmtime
        // itself refuses output of another version or engine configuration.
        #[allow(unsafe_code)]
        let component =
            unsafe { Component::deserialize(engine, serialized) }.map_err(|e| format!("{e:#}"))?;
        // Touched, so that eviction takes the least recently used.
        if let Err(e) = fs::File::options()
            .append(true)
            .open(path)
            .and_then(|file| file.set_modified(SystemTime::now()))
        {
            tracing::debug!("compiled guest cache: cannot touch {}: {e}", path.display());
        }
        Ok(Some(component))
    }

    /// Stores `component` at `path` (written aside, then renamed), then
    /// removes the least recently used entries past `max_entries` and what
    /// writes of killed processes left. Nothing is stored in a directory whose
    /// entries would not be trusted.
    fn write(&self, path: &Path, component: &Component) -> wasmtime::Result<()> {
        let serialized = component.serialize()?;
        let mut entry = Vec::with_capacity(MAGIC.len() + 32 + serialized.len());
        entry.extend_from_slice(MAGIC);
        entry.extend_from_slice(&Sha256::digest(&serialized));
        entry.extend_from_slice(&serialized);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        trusted(&fs::metadata(&self.dir)?).map_err(wasmtime::Error::msg)?;
        let mut aside = tempfile::Builder::new()
            .prefix(PARTIAL)
            .tempfile_in(&self.dir)?;
        aside.write_all(&entry)?;
        aside.persist(path)?;
        self.evict()?;
        Ok(())
    }

    /// Removes the least recently used entries past `max_entries`, and the
    /// entries being written that are older than [`STALE_PARTIAL`].
    fn evict(&self) -> std::io::Result<()> {
        // A clock set before 1970 plus ten minutes takes nothing for stale.
        let stale = SystemTime::now()
            .checked_sub(STALE_PARTIAL)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut entries = Vec::new();
        for entry in fs::read_dir(&self.dir)?.filter_map(Result::ok) {
            let path = entry.path();
            let Some(modified) = fs::metadata(&path).and_then(|m| m.modified()).ok() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(PARTIAL) {
                if modified < stale {
                    let _ = fs::remove_file(&path);
                }
            } else if path.extension().is_some_and(|ext| ext == EXTENSION) {
                entries.push((modified, path));
            }
        }
        entries.sort_by(|a, b| b.cmp(a));
        for (_, path) in entries.iter().skip(self.max_entries) {
            // Another host sharing the directory may have removed it first.
            let _ = fs::remove_file(path);
        }
        Ok(())
    }
}

/// Whether a directory with metadata `dir` may hold entries the host trusts: owned by the
/// user the host runs as, and writable by nobody else.
fn trusted(dir: &fs::Metadata) -> Result<(), &'static str> {
    if dir.uid() != rustix::process::geteuid().as_raw() {
        return Err("not owned by the user the server runs as: its entries are not trusted");
    }
    if dir.mode() & 0o022 != 0 {
        return Err("writable by others: its entries are not trusted");
    }
    Ok(())
}
