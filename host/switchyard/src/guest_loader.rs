//! Loading guests: a configured one at start, or a new version of one from
//! a file while the server runs, each with its `[guests.<name>]` table.

use crate::component_file::read_component;
use crate::config::{Config, GuestEntry};
use crate::guest_registry::Digest;
use anyhow::{Context, anyhow};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use switchyard_guest::{Guest, GuestConfig, GuestLimits, NoServer, RecordFiles, Runtime, bundled};
use tracing::info;

/// What the registry shows as the file of a guest embedded in the binary.
pub const EMBEDDED: &str = "(embedded)";

/// What a guest's check of its config table (`switchyard:settings/check`) found wrong.
#[derive(Debug)]
pub struct ConfigProblem {
    /// The guest's name.
    pub guest: String,
    /// The problem, in the guest's words: by convention its key path first, then `: ` and
    /// what is wrong. One line of the log of at most 4 KiB, as
    /// [`Guest::config_problem`] gives it: it may be logged and shown as it is.
    pub problem: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "guests.{}.config: {}", self.guest, self.problem)
    }
}

impl std::error::Error for ConfigProblem {}

/// A file or directory a guest's `[guests.<name>]` table names that its load could not use.
#[derive(Debug)]
pub struct UnusablePath {
    /// The guest's name.
    pub guest: String,
    /// The key of its table that names the path: `wasm` or `records_dir`.
    pub key: &'static str,
    /// The path, as the table names it.
    pub path: PathBuf,
    /// Why it could not be used.
    pub error: std::io::Error,
}

impl UnusablePath {
    fn new(guest: &str, key: &'static str, path: &Path, error: std::io::Error) -> UnusablePath {
        UnusablePath {
            guest: guest.to_owned(),
            key,
            path: path.to_owned(),
            error,
        }
    }
}

impl std::fmt::Display for UnusablePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "guests.{}.{}: {}",
            self.guest,
            self.key,
            self.path.display()
        )
    }
}

impl std::error::Error for UnusablePath {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A component's bytes as read, with their SHA-256: what one version is compiled from.
pub struct Component {
    wasm: Vec<u8>,
    digest: Digest,
}

impl Component {
    /// `wasm`, hashed.
    pub fn new(wasm: Vec<u8>) -> Component {
        let digest = <Sha256 as sha2::Digest>::digest(&wasm).into();
        Component { wasm, digest }
    }

    /// The component at `path`, read (as [`read_component`] reads it) for the guest `name`.
    pub fn read(name: &str, path: &Path) -> anyhow::Result<Component> {
        read(name, path).map(Component::new)
    }

    /// The component at `path`, or the one embedded under `name` when `path` is [`EMBEDDED`]
    /// (as the registry shows the file of an embedded guest's version).
    pub fn of_file(name: &str, path: &Path) -> anyhow::Result<Component> {
        if path == Path::new(EMBEDDED) {
            Ok(Component::new(embedded(name)?.to_vec()))
        } else {
            Component::read(name, path)
        }
    }

    /// The SHA-256 of its bytes.
    pub fn digest(&self) -> Digest {
        self.digest
    }
}

/// What a guest is compiled with: its `[guests.<name>]` entry and its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestSettings {
    /// Its entry in the configuration.
    pub entry: GuestEntry,
    /// Its limits, `[limits]`' where the entry sets none.
    pub limits: GuestLimits,
}

impl GuestSettings {
    /// The settings of the guest `name` as `config` has them; `None` when it has no such
    /// guest.
    pub fn of(config: &Config, name: &str) -> Option<GuestSettings> {
        let entry = config.guests.get(name)?.clone();
        Some(GuestSettings {
            entry,
            limits: config.guest_limits(name),
        })
    }
}

/// Compiles guests with one runtime, each with the settings it loads with now: the configured
/// ones at start, replaced by those a new version was loaded with since
/// ([`GuestLoader::adopt`]).
pub struct GuestLoader {
    runtime: Runtime,
    /// The guests are those configured at start; their settings change.
    settings: BTreeMap<String, RwLock<GuestSettings>>,
}

impl GuestLoader {
    /// Loads with `runtime`, each guest with its entry in `config.guests`
    /// and its limits.
    pub fn new(runtime: Runtime, config: &Config) -> GuestLoader {
        let settings = config
            .guests
            .keys()
            .filter_map(|name| Some((name.clone(), RwLock::new(GuestSettings::of(config, name)?))))
            .collect();
        GuestLoader { runtime, settings }
    }

    /// The names of the configured guests, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.settings.keys().map(String::as_str)
    }

    /// The guest `name` from its configured file, else the embedded one,
    /// checked as [`GuestLoader::load_file`] checks it; with the file's name as
    /// the registry shows it and the SHA-256 of the bytes compiled. A configured file that
    /// cannot be read (as [`read_component`] reads it) is an [`UnusablePath`] at `wasm`.
    pub fn load_configured(&self, name: &str) -> anyhow::Result<(Guest, String, Digest)> {
        let settings = self.settings(name)?;
        let (component, file) = match &settings.entry.wasm {
            Some(path) => {
                let wasm = read_component(path)
                    .map_err(|error| UnusablePath::new(name, "wasm", path, error))?;
                (Component::new(wasm), path.display().to_string())
            }
            None => {
                let wasm = embedded(name).context("no `wasm` file is configured")?;
                (Component::new(wasm.to_vec()), EMBEDDED.to_owned())
            }
        };
        let guest = self.start(name, &settings, &component.wasm)?;
        Ok((guest, file, component.digest))
    }

    /// A new version of `name` from the component at `path`, or from the one embedded under
    /// that name when `path` is [`EMBEDDED`] (the way back from a bad version of an embedded
    /// guest), checked before it serves: instantiated once, so that a component which cannot
    /// start is refused, and asked to check its config table. With the SHA-256 of the bytes
    /// compiled.
    pub fn load_file(&self, name: &str, path: &Path) -> anyhow::Result<(Guest, Digest)> {
        let component = Component::of_file(name, path)?;
        let guest = self.load_component(name, &component)?;
        Ok((guest, component.digest))
    }

    /// A new version of `name` from `component`, already read, checked as
    /// [`GuestLoader::load_file`] checks it.
    pub fn load_component(&self, name: &str, component: &Component) -> anyhow::Result<Guest> {
        let settings = self.settings(name)?;
        self.start(name, &settings, &component.wasm)
    }

    /// A new version of `name` from `component` compiled with `settings` rather than those
    /// it loads with now, checked as [`GuestLoader::load_file`] checks it. The settings it
    /// loads with stay as they are: [`GuestLoader::adopt`] makes `settings` theirs once the
    /// version is taken.
    pub fn load_with(
        &self,
        name: &str,
        component: &Component,
        settings: &GuestSettings,
    ) -> anyhow::Result<Guest> {
        // As every load: only of a guest configured, whose settings it may then adopt.
        self.slot(name)?;
        self.start(name, settings, &component.wasm)
    }

    /// Makes `settings` those every later load of `name` compiles it with (a guest not
    /// configured has none to replace).
    pub fn adopt(&self, name: &str, settings: GuestSettings) {
        if let Some(slot) = self.settings.get(name) {
            *slot.write().unwrap_or_else(|p| p.into_inner()) = settings;
        }
    }

    /// `wasm` compiled as `name`, instantiated once and asked to check its config table: a
    /// component that compiles but cannot start (its memory over its `memory_mb`, a start
    /// function that traps), or whose check finds its table wrong ([`ConfigProblem`]), is
    /// refused here rather than at each of its calls; so is a `records_dir` that is no
    /// directory ([`UnusablePath`]). The instance's host serves nothing
    /// ([`NoServer`]): the check judges the table alone, the same at `check-config`, at
    /// start-up and at a load, and changes nothing.
    fn start(&self, name: &str, settings: &GuestSettings, wasm: &[u8]) -> anyhow::Result<Guest> {
        let guest = self.compile(name, settings, wasm)?;
        if let Some(problem) = guest.config_problem(Arc::new(NoServer))? {
            return Err(ConfigProblem {
                guest: name.to_owned(),
                problem,
            }
            .into());
        }
        Ok(guest)
    }

    /// The settings `name` loads with now.
    fn settings(&self, name: &str) -> anyhow::Result<GuestSettings> {
        let slot = self.slot(name)?;
        let settings = slot.read().unwrap_or_else(|p| p.into_inner());
        Ok(settings.clone())
    }

    fn slot(&self, name: &str) -> anyhow::Result<&RwLock<GuestSettings>> {
        self.settings
            .get(name)
            .ok_or_else(|| anyhow!("no guest named {name:?} is configured"))
    }

    fn compile(
        &self,
        name: &str,
        GuestSettings { entry, limits }: &GuestSettings,
        wasm: &[u8],
    ) -> anyhow::Result<Guest> {
        let records = match &entry.records_dir {
            None => RecordFiles::default(),
            Some(dir) => RecordFiles::new(dir)
                .map_err(|error| UnusablePath::new(name, "records_dir", dir, error))?,
        };
        let records = match entry.records_max_file_mb {
            Some(mb) => records.with_max_file_bytes(mb << 20),
            None => records,
        };
        let records = match entry.records_max_total_mb {
            Some(mb) => records.with_max_total_bytes(mb << 20),
            None => records,
        };
        let guest_config = Config::guest_config(entry)
            .collect::<GuestConfig>()
            .with_records(records)
            .with_limits(*limits);
        let started = Instant::now();
        let guest = self.runtime.load(name, wasm, guest_config)?;
        info!(
            "guest {name}: {}, {} in {} ms",
            guest.wit_version(),
            if guest.from_cache() {
                "taken from the compile cache"
            } else {
                "compiled"
            },
            started.elapsed().as_millis()
        );
        Ok(guest)
    }
}

/// The component embedded in the binary under `name`.
fn embedded(name: &str) -> anyhow::Result<&'static [u8]> {
    bundled::named(name)
        .ok_or_else(|| anyhow!("guest {name}: no component is embedded under that name"))
}

fn read(name: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    read_component(path).with_context(|| format!("guest {name}: reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_check::start_error_at;

    #[test]
    fn a_records_directory_gone_or_made_a_file_after_the_config_check_is_no_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        let gone = dir.path().join("records");
        std::fs::create_dir(&gone).unwrap();
        let text = format!(
            "[guests.nway]\nrecords_dir = {:?}\n",
            gone.display().to_string()
        );
        std::fs::write(&file, text).unwrap();
        let config = Config::load(&file).expect("a records directory that is there");
        // Only a directory removed between the config check and the load gets this far.
        std::fs::remove_dir(&gone).unwrap();
        let loader = GuestLoader::new(Runtime::new(config.runtime_limits()).unwrap(), &config);

        for made_a_file in [false, true] {
            if made_a_file {
                std::fs::write(&gone, "").unwrap();
            }
            let Err(failed) = loader.load_configured("nway") else {
                panic!("expected a records directory that is no more to fail the load");
            };
            assert_eq!(
                format!("{failed:#}"),
                format!(
                    "guests.nway.records_dir: {}: not a directory",
                    gone.display()
                ),
                "made a file: {made_a_file}"
            );
            let at_start = start_error_at(&file, &config, &failed).expect("placed at a key");
            assert_eq!(
                at_start.to_string(),
                format!(
                    "{}:2:1: guests.nway.records_dir: {}: not a directory",
                    file.display(),
                    gone.display()
                ),
                "made a file: {made_a_file}"
            );
        }
    }
}
