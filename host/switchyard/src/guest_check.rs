//! `check-config`'s look at the configured guests: each loaded as the server loads it at start
//! (compiled, instantiated, asked to check its config table), with a host that serves nothing;
//! and a guest's failure at start placed in the file as `check-config` places it.

use crate::config::{Config, ConfigError, KeyPath};
use crate::guest_loader::{ConfigProblem, GuestLoader, UnusablePath};
use std::path::Path;
use switchyard_guest::{GuestError, Runtime, on_one_line};

/// The first guest configured in `config` (read from `file`) that could not load at start, as
/// an error at its key: a component that cannot be read, does not compile, targets no WIT
/// version this host serves or cannot start (`guests.<name>.wasm`), a records directory that
/// is gone (`guests.<name>.records_dir`), or a check that finds its table wrong
/// (`guests.<name>.config.<key>`).
pub fn check_guests(file: &Path, config: &Config) -> Result<(), ConfigError> {
    // Without the compile cache: a check writes nothing (it may run as another user than the
    // server, whose cache it would fill).
    let runtime = Runtime::new(config.runtime_limits())
        .map_err(|e| ConfigError::at_key(file, KeyPath::from(["limits"]), e.to_string()))?;
    let loader = GuestLoader::new(runtime, config);
    for name in loader.names() {
        if let Err(e) = loader.load_configured(name) {
            return Err(located(file, config, name, &e));
        }
    }
    Ok(())
}

/// `error`, which stopped the server configured by `config` (read from `file`) as it started,
/// at the key it concerns when a guest met it as it loaded (its component could not be read,
/// compile, start or pass its own check; its records directory was gone), as [`check_guests`]
/// places it; `None` for any other error.
pub fn start_error_at(file: &Path, config: &Config, error: &anyhow::Error) -> Option<ConfigError> {
    let name = guest_that_failed(error)?;
    config
        .guests
        .contains_key(name)
        .then(|| located(file, config, name, error))
}

/// The guest whose load or check `error` is, as it names itself.
fn guest_that_failed(error: &anyhow::Error) -> Option<&str> {
    if let Some(found) = error.downcast_ref::<ConfigProblem>() {
        return Some(&found.guest);
    }
    if let Some(found) = error.downcast_ref::<UnusablePath>() {
        return Some(&found.guest);
    }
    match error.downcast_ref::<GuestError>()? {
        GuestError::Load { guest, .. }
        | GuestError::Timeout { guest, .. }
        | GuestError::OutOfFuel { guest, .. }
        | GuestError::Trap { guest, .. }
        | GuestError::BadResult { guest, .. } => Some(guest),
        GuestError::Engine(_) => None,
    }
}

/// `error`, which loading the guest `name` of `config` met, at the key of `file` it concerns:
/// the key its config check names or of the path it could not use, else the guest's `wasm`
/// (when `config` sets one) or its table.
fn located(file: &Path, config: &Config, name: &str, error: &anyhow::Error) -> ConfigError {
    if let Some(found) = error.downcast_ref::<ConfigProblem>() {
        return problem_at(file, found);
    }
    if let Some(found) = error.downcast_ref::<UnusablePath>() {
        return unusable_at(file, found);
    }
    let table = KeyPath::from(["guests"]).key(name);
    let key = match config.guests.get(name).is_some_and(|g| g.wasm.is_some()) {
        true => table.key("wasm"),
        false => table,
    };
    ConfigError::at_key(file, key, on_one_line(&format!("{error:#}")))
}

/// What a guest's config check `found`, at the key of `file` it names (else at the guest's
/// table).
fn problem_at(file: &Path, found: &ConfigProblem) -> ConfigError {
    let table = format!("guests.{}.config", found.guest);
    let (key, message) = match found.problem.split_once(": ") {
        Some((key, message)) if is_key_path(key) => (format!("{table}.{key}"), message),
        _ => (table, found.problem.as_str()),
    };
    ConfigError::at_key(file, key, message.to_owned())
}

/// The path a guest's table names that its load `found` unusable, at that key of `file`, said
/// as the config check says what is wrong with a path.
fn unusable_at(file: &Path, found: &UnusablePath) -> ConfigError {
    let key = KeyPath::from(["guests"]).key(&found.guest).key(found.key);
    let message = format!("{}: {}", found.path.display(), found.error);
    ConfigError::at_key(file, key, message)
}

/// Whether `text` reads as a dotted key path (`rooms.101.pin`), as a guest's problem starts.
fn is_key_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_that_is_no_webassembly_fails_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junk.wasm"), b"not wasm").unwrap();
        let file = dir.path().join("switchyard.toml");
        std::fs::write(&file, "[guests.junk]\nwasm = \"junk.wasm\"\n").unwrap();
        let config = Config::load(&file).expect("a component file that is there");

        let checked = check_guests(&file, &config).expect_err("no WebAssembly");
        let shown = checked.to_string();
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert_eq!(checked.key.as_deref(), Some("guests.junk.wasm"), "{shown}");
        assert!(shown.contains("bad magic number"), "{shown}");
    }

    #[test]
    fn a_records_directory_gone_after_the_config_check_fails_at_its_key_at_check_and_start() {
        let records = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        let text = format!(
            "[guests.nway]\n# records\nrecords_dir = {:?}\n",
            records.path().display().to_string()
        );
        std::fs::write(&file, text).unwrap();
        let config = Config::load(&file).expect("a records directory that is there");
        // Only a directory removed between the config check and the load gets this far.
        let gone = records.path().to_owned();
        records.close().unwrap();

        let checked = check_guests(&file, &config).expect_err("a records directory gone");
        assert_eq!(checked.key.as_deref(), Some("guests.nway.records_dir"));
        assert_eq!(checked.position.map(|p| p.0), Some(3), "{checked}");
        assert!(
            checked
                .message
                .starts_with(&format!("{}: ", gone.display())),
            "{checked}"
        );

        let runtime = Runtime::new(config.runtime_limits()).unwrap();
        let Err(failed) = GuestLoader::new(runtime, &config).load_configured("nway") else {
            panic!("expected a records directory gone to fail the load");
        };
        let at_start = start_error_at(&file, &config, &failed).expect("placed at a key");
        assert_eq!(at_start.to_string(), checked.to_string());
    }
}
