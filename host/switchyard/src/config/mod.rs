//! The configuration file (TOML): its shape, its defaults, and its errors.
//!
//! Every key has a default, so an empty file (or no file at all) is a complete
//! configuration; `examples/switchyard.toml` lists every key with its default.
//! Errors name the file, the line and column, and the key:
//! `switchyard.toml:7:12: rtp.port_max: must not be below rtp.port_min (20000)`.

mod check;
mod duplicate;
mod error;
mod key_path;
mod sections;
#[cfg(test)]
mod tests;

pub(crate) use check::same_path;
pub use check::{MAX_DELAY_S, MAX_SESSION_S, MIN_SESSION_MIN_SE_S};
pub use error::ConfigError;
pub use key_path::KeyPath;
pub use sections::*;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use switchyard_control::regular_file;
use switchyard_guest::{GuestLimits, Limits};

use crate::call_routing::CallRoutes;
use crate::dial_policy::DialPolicy;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[log]`.
    pub log: LogConfig,
    /// `[sip]`.
    pub sip: SipConfig,
    /// `[rtp]`.
    pub rtp: RtpConfig,
    /// `[control]`.
    pub control: ControlConfig,
    /// `[media]`.
    pub media: MediaConfig,
    /// `[limits]`: what every guest instance runs under.
    pub limits: LimitsConfig,
    /// `[rooms]`: how long rooms and finished participants are kept.
    pub rooms: RoomsConfig,
    /// `[routing]`.
    pub routing: RoutingConfig,
    /// `[records]`.
    pub records: RecordsConfig,
    /// `[recording]`: where rooms are recorded.
    pub recording: RecordingConfig,
    /// `[dialout]`: which calls the host places, and how many a second.
    pub dialout: DialoutConfig,
    /// `[guest_cache]`: compiled guests kept on disk.
    pub guest_cache: GuestCacheConfig,
    /// `[guests.<name>]`: the guests to load. The embedded `webconference` is
    /// always listed, with an empty config table unless the file sets one; a
    /// guest's table holds only what the file sets, and the guest supplies its
    /// own defaults for the rest.
    pub guests: BTreeMap<String, GuestEntry>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            log: LogConfig::default(),
            sip: SipConfig::default(),
            rtp: RtpConfig::default(),
            control: ControlConfig::default(),
            media: MediaConfig::default(),
            limits: LimitsConfig::default(),
            rooms: RoomsConfig::default(),
            routing: RoutingConfig::default(),
            records: RecordsConfig::default(),
            recording: RecordingConfig::default(),
            dialout: DialoutConfig::default(),
            guest_cache: GuestCacheConfig::default(),
            guests: default_guests(),
        }
    }
}

/// The guests embedded in the binary.
const EMBEDDED_GUESTS: [&str; 1] = ["webconference"];

/// The embedded guests, each with an empty config table.
fn default_guests() -> BTreeMap<String, GuestEntry> {
    EMBEDDED_GUESTS
        .into_iter()
        .map(|name| (name.to_owned(), GuestEntry::embedded()))
        .collect()
}

/// The directory of the configuration file `file`, which its relative paths are of.
fn dir_of(file: &Path) -> &Path {
    // A bare file name's parent is "", which names no directory to check.
    file.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `mb` MiB in bytes.
fn mib(mb: u32) -> usize {
    mb as usize * 1024 * 1024
}

/// The most of a configuration file read, 16 MiB: thousands of times a real one, so that a
/// file named by mistake that never ends (`/dev/zero`) is refused rather than read until
/// memory runs out.
pub(crate) const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The bytes of `file`, at most `most` of them, whatever it is: a configuration may come
/// through a pipe (`--config <(…)`), and so may a token to a client run by hand. A longer
/// file is the error `larger than <most>, the most <what> may be`
/// ([`regular_file::read_bounded`]).
pub(crate) fn read_at_most(file: &Path, most: u64, what: &str) -> std::io::Result<Vec<u8>> {
    regular_file::read_bounded(std::fs::File::open(file)?, most, what)
}

/// What the configuration files read are, in the error of one too large.
pub(crate) const A_CONFIGURATION_FILE: &str = "a configuration file";

/// The text of the configuration file `file`: an error if it cannot be read, is larger
/// than [`MAX_CONFIG_BYTES`] or is not UTF-8.
fn read(file: &Path) -> Result<String, ConfigError> {
    text_of(
        file,
        read_at_most(file, MAX_CONFIG_BYTES, A_CONFIGURATION_FILE),
    )
}

/// The text of the configuration file `file` read again, as [`read`] reads it, if it is a
/// regular file (a symbolic link to one included; [`regular_file::read`]). Read through a
/// pipe (`--config <(…)`), it is the error saying so: the pipe would read as empty, the
/// default configuration, or, a FIFO, hold the read until some writer came.
fn read_again(file: &Path) -> Result<String, ConfigError> {
    match regular_file::read(file, MAX_CONFIG_BYTES, A_CONFIGURATION_FILE) {
        Err(e) if regular_file::is_not_regular(&e) => Err(ConfigError {
            file: file.to_owned(),
            position: None,
            key: None,
            message: "not a regular file: a configuration read through a pipe cannot be read \
                      again; restart to change it"
                .to_owned(),
        }),
        bytes => text_of(file, bytes),
    }
}

/// The text of the configuration file `file` from its `bytes`, read: an error if they
/// could not be read or are not UTF-8.
fn text_of(file: &Path, bytes: std::io::Result<Vec<u8>>) -> Result<String, ConfigError> {
    let bytes = bytes.map_err(|e| ConfigError {
        file: file.to_owned(),
        position: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    String::from_utf8(bytes)
        .map_err(|e| ConfigError::of_encoding(file, e.as_bytes(), e.utf8_error()))
}

impl Config {
    /// Reads, parses and checks a configuration file.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        Config::parse(file, &read(file)?)
    }

    /// Reads again, parses and checks the configuration file `file` a server started with,
    /// as a reload does: only a regular file is read again ([`read_again`]), and the error
    /// of any other names it.
    pub fn load_again(file: &Path) -> Result<Config, ConfigError> {
        Config::parse(file, &read_again(file)?)
    }

    /// Reads and parses a configuration file for a client of the server it configures
    /// (`switchyard ctl`, `guest`): what the server alone needs (its files, directories, key,
    /// guests) is not checked, as a client's user may not read it.
    pub fn load_for_client(file: &Path) -> Result<Config, ConfigError> {
        Config::parse_unchecked(file, &read(file)?)
    }

    /// Parses and checks configuration text; `file` names it in errors and is
    /// the base of relative paths.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let config = Config::parse_unchecked(file, text)?;
        config
            .check(file, text)
            .map_err(|(key, message)| ConfigError::in_text(file, text, &key, message))?;
        Ok(config)
    }

    /// Parses configuration text, checking what its types check and nothing more.
    fn parse_unchecked(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let deserializer =
            toml::Deserializer::parse(text).map_err(|e| ConfigError::of_syntax(file, text, &e))?;
        let mut config: Config = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ConfigError::of_value(file, text, e))?;
        config.add_embedded_guests();
        config
            .resolve_paths(file)
            .map_err(|(key, message)| ConfigError::in_text(file, text, &key, message))?;
        Ok(config)
    }

    fn add_embedded_guests(&mut self) {
        for name in EMBEDDED_GUESTS {
            self.guests
                .entry(name.to_owned())
                .or_insert_with(GuestEntry::embedded);
        }
    }

    /// Makes every path the file gives relative to its directory. A path given as `""` is an
    /// error at its key: it would name that directory, never a file, nor a directory meant.
    fn resolve_paths(&mut self, file: &Path) -> Result<(), (KeyPath, String)> {
        let base = dir_of(file);
        for (key, path) in self.paths_mut() {
            let Some(path) = path else {
                continue;
            };
            if path.as_os_str().is_empty() {
                return Err((key, "must not be empty".to_owned()));
            }
            *path = base.join(&*path);
        }
        Ok(())
    }

    /// Every key that names a file or a directory, with its value.
    fn paths_mut(&mut self) -> impl Iterator<Item = (KeyPath, &mut Option<PathBuf>)> {
        let control = &mut self.control;
        let server = [
            (["control", "token_file"], &mut control.token_file),
            (["control", "read_token_file"], &mut control.read_token_file),
            (["control", "tls_cert"], &mut control.tls_cert),
            (["control", "tls_key"], &mut control.tls_key),
            (["sip", "tls_cert"], &mut self.sip.tls_cert),
            (["sip", "tls_key"], &mut self.sip.tls_key),
            (["media", "prompts_dir"], &mut self.media.prompts_dir),
            (["records", "stats_dir"], &mut self.records.stats_dir),
            (["recording", "dir"], &mut self.recording.dir),
            (["guest_cache", "dir"], &mut self.guest_cache.dir),
            (["rooms", "state_file"], &mut self.rooms.state_file),
        ]
        .map(|(key, path)| (KeyPath::from(key), path));
        let guests = self.guests.iter_mut().flat_map(|(name, entry)| {
            let table = KeyPath::from(["guests"]).key(name);
            [
                (table.key("wasm"), &mut entry.wasm),
                (table.key("records_dir"), &mut entry.records_dir),
            ]
        });
        server.into_iter().chain(guests)
    }

    /// `[dialout]` compiled; an error gives the key and what is wrong.
    pub fn dial_policy(&self) -> Result<DialPolicy, (KeyPath, String)> {
        DialPolicy::new(self.dialout.allow.as_deref(), self.dialout.max_per_second)
    }

    /// `[routing]` compiled; an error gives the key and what is wrong.
    pub fn call_routes(&self) -> Result<CallRoutes, (KeyPath, String)> {
        CallRoutes::new(&self.routing.rules, &self.routing.guest)
    }

    /// The limits `name` runs under: its own over `[limits]`' (none of its
    /// own for a guest not configured).
    pub fn guest_limits(&self, name: &str) -> GuestLimits {
        let own = self
            .guests
            .get(name)
            .map(|entry| entry.limits)
            .unwrap_or_default();
        let global = &self.limits;
        GuestLimits {
            call_deadline: Some(Duration::from_millis(
                own.call_deadline_ms.unwrap_or(global.call_deadline_ms),
            )),
            memory_bytes: Some(mib(own.memory_mb.unwrap_or(global.memory_mb))),
            fuel: own.fuel,
        }
    }

    /// The runtime's limits: the most memory any guest may have, and fuel
    /// metered when any guest has a fuel budget.
    pub fn runtime_limits(&self) -> Limits {
        let memory_mb = self
            .guests
            .values()
            .filter_map(|entry| entry.limits.memory_mb)
            .fold(self.limits.memory_mb, u32::max);
        Limits {
            call_deadline: Duration::from_millis(self.limits.call_deadline_ms),
            memory_bytes: mib(memory_mb),
            fuel: self
                .guests
                .values()
                .any(|entry| entry.limits.fuel.is_some()),
            ..Limits::default()
        }
    }

    /// A guest's config table as the text values `config.get` serves: a
    /// string as it is, anything else (a number, a boolean, a table, an
    /// array) as its TOML text, a table inline (`{ "102" = "sip:…" }`).
    pub fn guest_config(entry: &GuestEntry) -> impl Iterator<Item = (String, String)> + '_ {
        entry.config.iter().map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
    }
}
