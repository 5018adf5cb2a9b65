//! `check-config`'s look at the configured guests: each loaded as the server loads it at start
//! (compiled, instantiated, asked to check its config table), with a host that serves nothing.

use crate::config::{Config, ConfigError};
use crate::guest_loader::{ConfigProblem, GuestLoader};
use std::path::Path;
use switchyard_guest::Runtime;

/// The first guest configured in `config` (read from `file`) that could not load at start, as
/// an error at its key: a component that does not compile, targets no WIT version this host
/// serves or cannot start (`guests.<name>.wasm`), or whose check finds its table wrong
/// (`guests.<name>.config.<key>`).
pub fn check_guests(file: &Path, config: &Config) -> Result<(), ConfigError> {
    // Without the compile cache: a check writes nothing (it may run as another user than the
    // server, whose cache it would fill).
    let runtime = Runtime::new(config.runtime_limits())
        .map_err(|e| ConfigError::at_key(file, "limits".to_owned(), e.to_string()))?;
    let loader = GuestLoader::new(runtime, config);
    for name in loader.names() {
        if let Err(e) = loader.load_configured(name) {
            let wasm_set = config.guests.get(name).is_some_and(|g| g.wasm.is_some());
            return Err(located(file, name, wasm_set, &e));
        }
    }
    Ok(())
}

/// `error`, which loading the guest `name` met, at the key of `file` it concerns: the key its
/// config check names, else the guest's `wasm` (when `wasm_set`) or its table.
fn located(file: &Path, name: &str, wasm_set: bool, error: &anyhow::Error) -> ConfigError {
    if let Some(found) = error.downcast_ref::<ConfigProblem>() {
        return problem_at(file, found);
    }
    let key = match wasm_set {
        true => format!("guests.{name}.wasm"),
        false => format!("guests.{name}"),
    };
    ConfigError::at_key(file, key, format!("{error:#}"))
}

/// What a guest's config check `found`, at the key of `file` it names (else at the guest's
/// table).
pub fn problem_at(file: &Path, found: &ConfigProblem) -> ConfigError {
    let table = format!("guests.{}.config", found.guest);
    let (key, message) = match found.problem.split_once(": ") {
        Some((key, message)) if is_key_path(key) => (format!("{table}.{key}"), message),
        _ => (table, found.problem.as_str()),
    };
    ConfigError::at_key(file, key, message.to_owned())
}

/// Whether `text` reads as a dotted key path (`rooms.101.pin`), as a guest's problem starts.
fn is_key_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
}
