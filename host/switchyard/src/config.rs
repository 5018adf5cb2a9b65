//! The configuration file (TOML): its shape, its defaults, and its errors.
//!
//! Every key has a default, so an empty file (or no file at all) is a complete
//! configuration; `examples/switchyard.toml` lists every key with its default.
//! Errors name the file, the line and column, and the key:
//! `switchyard.toml:7:12: rtp.port_max: must not be below rtp.port_min (20000)`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// `[routing]`.
    pub routing: RoutingConfig,
    /// `[guests.<name>]`: the guests to load. A guest named here that has a
    /// default (the embedded `webconference`) keeps every default config key the
    /// file does not set.
    pub guests: BTreeMap<String, GuestEntry>,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter (`info`, `switchyard=debug,info`, …); `RUST_LOG` overrides it.
    pub level: String,
}

/// `[sip]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Where SIP over UDP is received.
    pub listen: SocketAddr,
    /// The address put in Contact headers and SDP. By default the local address
    /// the host's routing table uses to reach each peer.
    pub advertise: Option<IpAddr>,
}

/// `[rtp]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtpConfig {
    /// The address RTP sockets bind to.
    pub address: IpAddr,
    /// The lowest RTP port used.
    pub port_min: u16,
    /// The highest RTP port used.
    pub port_max: u16,
    /// A call that sends no RTP for this many seconds is hung up; 0 turns it off.
    pub timeout_s: u64,
}

/// `[control]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Where the XML-RPC endpoint listens (paths `/` and `/RPC2`).
    pub listen: SocketAddr,
}

/// `[media]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Timing cores (media workers); 0 means one per CPU core.
    pub workers: usize,
    /// A directory of `<name>.wav` prompts that replace or add to the embedded ones.
    pub prompts_dir: Option<PathBuf>,
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// How long one call into a guest may run, in milliseconds.
    pub call_deadline_ms: u64,
    /// The most memory one guest instance may use, in MiB.
    pub memory_mb: u32,
    /// How many guest instances may exist at once.
    pub max_instances: u32,
}

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The guest every incoming call goes to; also the guest that answers
    /// XML-RPC functions called without an interface name.
    pub guest: String,
}

/// `[guests.<name>]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestEntry {
    /// The component file; relative paths are relative to the config file.
    /// Without it the guest must be one embedded in the binary.
    pub wasm: Option<PathBuf>,
    /// The guest's own table, served to it by the `config.get` import.
    #[serde(default)]
    pub config: toml::Table,
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
            routing: RoutingConfig::default(),
            guests: default_guests(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 5060),
            advertise: None,
        }
    }
}

impl Default for RtpConfig {
    fn default() -> Self {
        RtpConfig {
            address: Ipv4Addr::UNSPECIFIED.into(),
            port_min: 10000,
            port_max: 20000,
            timeout_s: 300,
        }
    }
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            listen: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 8090),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            call_deadline_ms: 100,
            memory_mb: 32,
            max_instances: 1000,
        }
    }
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            guest: "webconference".to_owned(),
        }
    }
}

/// The embedded guests and their default config tables.
fn default_guests() -> BTreeMap<String, GuestEntry> {
    let mut webconference = toml::Table::new();
    webconference.insert("direct_room_re".into(), "^000777".into());
    webconference.insert("direct_room_strip".into(), 6.into());
    BTreeMap::from([(
        "webconference".to_owned(),
        GuestEntry {
            wasm: None,
            config: webconference,
        },
    )])
}

impl RtpConfig {
    /// The RTP inactivity timeout, if any.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_s > 0).then(|| Duration::from_secs(self.timeout_s))
    }
}

/// A configuration error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column of the offending key or value, when known.
    pub position: Option<(usize, usize)>,
    /// The dotted key path (`rtp.port_max`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads, parses and checks a configuration file.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_owned(),
            position: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(file, &text)
    }

    /// Parses and checks configuration text; `file` names it in errors and is
    /// the base of relative paths.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let error = |position, key, message| ConfigError {
            file: file.to_owned(),
            position,
            key,
            message,
        };
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|e| error(position_of(text, e.span()), None, e.message().to_owned()))?;
        let mut config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let position = position_of(text, inner.span()).or_else(|| locate(text, &key));
            error(
                position,
                (key != ".").then_some(key),
                inner.message().to_owned(),
            )
        })?;
        config.merge_guest_defaults();
        config.resolve_paths(file);
        config
            .check()
            .map_err(|(key, message)| error(locate(text, &key), Some(key), message))?;
        Ok(config)
    }

    fn merge_guest_defaults(&mut self) {
        for (name, defaults) in default_guests() {
            let entry = self.guests.entry(name).or_insert_with(|| defaults.clone());
            for (key, value) in defaults.config {
                entry.config.entry(key).or_insert(value);
            }
        }
    }

    fn resolve_paths(&mut self, file: &Path) {
        let base = file.parent().unwrap_or(Path::new("."));
        for entry in self.guests.values_mut() {
            if let Some(wasm) = &mut entry.wasm {
                *wasm = base.join(&*wasm);
            }
        }
        if let Some(dir) = &mut self.media.prompts_dir {
            *dir = base.join(&*dir);
        }
    }

    /// Checks what types alone cannot: returns the key path and the problem.
    fn check(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, message: String| Err((key.to_owned(), message));
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return fail("log.level", format!("not a log filter: {e}"));
        }
        if self.rtp.port_min == 0 {
            return fail("rtp.port_min", "must be at least 1".to_owned());
        }
        if self.rtp.port_max < self.rtp.port_min {
            return fail(
                "rtp.port_max",
                format!("must not be below rtp.port_min ({})", self.rtp.port_min),
            );
        }
        if self.media.workers > 1024 {
            return fail("media.workers", "must be at most 1024".to_owned());
        }
        if let Some(dir) = &self.media.prompts_dir
            && !dir.is_dir()
        {
            return fail(
                "media.prompts_dir",
                format!("{} is not a directory", dir.display()),
            );
        }
        if !(1..=10_000).contains(&self.limits.call_deadline_ms) {
            return fail("limits.call_deadline_ms", "must be 1 to 10000".to_owned());
        }
        if !(1..=4096).contains(&self.limits.memory_mb) {
            return fail("limits.memory_mb", "must be 1 to 4096".to_owned());
        }
        if !(1..=100_000).contains(&self.limits.max_instances) {
            return fail("limits.max_instances", "must be 1 to 100000".to_owned());
        }
        if !self.guests.contains_key(&self.routing.guest) {
            return fail(
                "routing.guest",
                format!(
                    "no guest named {:?} is configured under [guests]",
                    self.routing.guest
                ),
            );
        }
        for (name, entry) in &self.guests {
            if let Some(wasm) = &entry.wasm
                && !wasm.is_file()
            {
                return fail(
                    &format!("guests.{name}.wasm"),
                    format!("{} is not a file", wasm.display()),
                );
            }
            for (key, value) in &entry.config {
                if value.is_table() || value.is_array() {
                    return fail(
                        &format!("guests.{name}.config.{key}"),
                        "guest config values must be strings, numbers or booleans".to_owned(),
                    );
                }
            }
        }
        Ok(())
    }

    /// A guest's config table as the text values `config.get` serves.
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

/// The 1-based line and column of a byte offset's span start.
fn position_of(text: &str, span: Option<std::ops::Range<usize>>) -> Option<(usize, usize)> {
    let start = span?.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, column))
}

/// Where the dotted key path (`rtp.port_max`) is written in `text`, or the
/// nearest enclosing table that is.
fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    for part in key.split('.') {
        let (name, value) = table.get_key_value(part)?;
        found = Some(name.span());
        match value.get_ref() {
            toml::de::DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    position_of(text, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("test.toml"), text)
    }

    #[test]
    fn an_empty_file_is_the_default() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_example_file_is_the_default() {
        let example = include_str!("../../../examples/switchyard.toml");
        assert_eq!(parse(example).unwrap(), Config::default());
    }

    #[test]
    fn guest_tables_merge_over_their_defaults() {
        let config = parse("[guests.webconference.config]\nprivate_rooms = true\n").unwrap();
        let table: BTreeMap<_, _> = Config::guest_config(&config.guests["webconference"]).collect();
        assert_eq!(table["private_rooms"], "true");
        assert_eq!(table["direct_room_re"], "^000777");
        assert_eq!(table["direct_room_strip"], "6");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse("[sip]\nlisten = \"0.0.0.0:5060\"\nadvertise = \n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.to_string().starts_with("test.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_keys_name_their_path_and_line() {
        let err = parse("[sip]\nlisen = \"0.0.0.0:5060\"\n").unwrap_err();
        assert_eq!(err.position, Some((2, 1)), "{err}");
        assert!(err.message.contains("unknown field `lisen`"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key_and_line() {
        let err = parse("[rtp]\nport_min = 1\n\n[control]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
    }

    #[test]
    fn semantic_errors_name_their_key_and_line() {
        let err = parse("[rtp]\nport_min = 3000\nport_max = 2000\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:3:1: rtp.port_max: must not be below rtp.port_min (3000)"
        );
        let err = parse("[routing]\nguest = \"nway\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routing.guest"));
        assert_eq!(err.position, Some((2, 1)));
        let err = parse("[guests.webconference.config]\nx = [1]\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("guests.webconference.config.x"));
        assert_eq!(err.position, Some((2, 1)));
    }

    #[test]
    fn missing_files_are_named() {
        let err = Config::load(Path::new("/nonexistent/switchyard.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/switchyard.toml: cannot read:"),
            "{err}"
        );
    }
}
