//! SEMS's session functions of xmlrpc2di, answered by the host under their
//! plain names: the log level, the session count, call rates and the limit
//! of new calls per second.
//!
//! | function | answer |
//! |---|---|
//! | `get_loglevel()` | the most verbose level logged, 0 error … 4 trace |
//! | `set_loglevel(n)` | `"200 OK"`; every target logs at level `n` (0–4) |
//! | `get_sessioncount()` | active calls |
//! | `get_callsavg()` | active calls averaged over the last 10 s (each second counting its most) |
//! | `get_callsmax()` | the most calls active at once since start |
//! | `get_cpsavg()` | new calls per second averaged over the last 10 s |
//! | `get_cpsmax()` | the most new calls in one second since start |
//! | `get_cpslimit()` | `"<hard> <current>"`, SEMS's two limits of new calls per second (here the same; 0: none) |
//! | `set_cpslimit(n)` | `"200 OK"`; new calls over `n` a second get 503 (0: no limit) |
//! | `get_shutdownmode()` | whether new calls are refused |
//! | `set_shutdownmode(b)` | `"200 OK"`; while `b` is true, new calls get `503 Server shutting down` and the calls up go on |
//!
//! Averages are rounded to the nearest integer, as SEMS answers integers.

use crate::host_api::{CoreHost, lock};
use crate::log_level::LogLevel;
use std::sync::Arc;
use std::time::Instant;
use switchyard_control::{Fault, Value};
use tracing::info;

/// The functions answered here.
pub const NAMES: [&str; 11] = [
    "get_loglevel",
    "set_loglevel",
    "get_sessioncount",
    "get_callsavg",
    "get_callsmax",
    "get_cpsavg",
    "get_cpsmax",
    "get_cpslimit",
    "set_cpslimit",
    "get_shutdownmode",
    "set_shutdownmode",
];

/// What SEMS's setters answer.
const OK: &str = "200 OK";

/// The session functions over a core and the log filter.
pub struct SessionFunctions {
    host: Arc<CoreHost>,
    log: LogLevel,
}

impl SessionFunctions {
    /// Functions over the core of `host` and the filter behind `log`.
    pub fn new(host: Arc<CoreHost>, log: LogLevel) -> SessionFunctions {
        SessionFunctions { host, log }
    }

    /// Answers `function` if it is one of [`NAMES`]; `None` otherwise.
    /// Wrong argument counts or types are fault 300.
    pub fn answer(&self, function: &str, params: &[Value]) -> Option<Result<Value, Fault>> {
        let answer = match function {
            "get_loglevel" => no_arguments(function, params).and_then(|()| self.log_level()),
            "set_loglevel" => {
                one_integer(function, params).and_then(|level| self.set_log_level(level))
            }
            "get_sessioncount" => {
                no_arguments(function, params).map(|()| self.read(|core| core.active_calls()))
            }
            "get_callsavg" => no_arguments(function, params).map(|()| {
                self.read(|core| rounded(core.call_rate().active_average(Instant::now())))
            }),
            "get_callsmax" => no_arguments(function, params)
                .map(|()| self.read(|core| core.call_rate().active_max() as usize)),
            "get_cpsavg" => no_arguments(function, params).map(|()| {
                self.read(|core| rounded(core.call_rate().new_calls_average(Instant::now())))
            }),
            "get_cpsmax" => no_arguments(function, params)
                .map(|()| self.read(|core| core.call_rate().new_calls_max() as usize)),
            "get_cpslimit" => no_arguments(function, params).map(|()| self.cps_limit()),
            "set_cpslimit" => {
                one_integer(function, params).and_then(|limit| self.set_cps_limit(limit))
            }
            "get_shutdownmode" => no_arguments(function, params)
                .map(|()| Value::Bool(lock(self.host.core()).shutdown_mode())),
            "set_shutdownmode" => one_flag(function, params).map(|on| self.set_shutdown_mode(on)),
            _ => return None,
        };
        Some(answer)
    }

    /// An integer read from the locked core.
    fn read(&self, f: impl FnOnce(&switchyard_core::CallCore) -> usize) -> Value {
        let n = f(&lock(self.host.core()));
        Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// SEMS answers its hard limit and the current one (which it may lower under load) as
    /// one string, `"<hard> <current>"`; here the limit never moves on its own, so both
    /// are the one set.
    fn cps_limit(&self) -> Value {
        let limit = lock(self.host.core()).call_rate().limit();
        Value::from(format!("{limit} {limit}"))
    }

    fn log_level(&self) -> Result<Value, Fault> {
        self.log
            .get()
            .map(Value::Int)
            .map_err(|e| Fault::internal(format!("get_loglevel: {e}")))
    }

    fn set_log_level(&self, number: i32) -> Result<Value, Fault> {
        let level = self
            .log
            .set(number)
            .ok_or_else(|| {
                Fault::bad_params(format!(
                    "set_loglevel: argument 1 (level) must be 0 to 4 \
                     (error, warn, info, debug, trace), got {number}"
                ))
            })?
            .map_err(|e| Fault::internal(format!("set_loglevel: {e}")))?;
        info!(%level, "log level set over XML-RPC");
        Ok(Value::from(OK))
    }

    fn set_cps_limit(&self, limit: i32) -> Result<Value, Fault> {
        let limit = u32::try_from(limit).map_err(|_| {
            Fault::bad_params(format!(
                "set_cpslimit: argument 1 (limit) must be 0 (none) or more, got {limit}"
            ))
        })?;
        lock(self.host.core()).set_cps_limit(limit);
        info!(
            limit,
            "new calls per second limited over XML-RPC (0: no limit)"
        );
        Ok(Value::from(OK))
    }

    fn set_shutdown_mode(&self, on: bool) -> Value {
        lock(self.host.core()).set_shutdown_mode(on);
        info!(
            on,
            "shutdown mode set over XML-RPC: new calls are refused while it is on"
        );
        Value::from(OK)
    }
}

fn rounded(average: f64) -> usize {
    average.round() as usize
}

fn no_arguments(function: &str, params: &[Value]) -> Result<(), Fault> {
    if params.is_empty() {
        Ok(())
    } else {
        Err(wrong_count(function, 0, params.len()))
    }
}

/// The single boolean argument; an integer is taken too (0 is false), as
/// XML-RPC clients without booleans send one.
fn one_flag(function: &str, params: &[Value]) -> Result<bool, Fault> {
    match params {
        [Value::Bool(on)] => Ok(*on),
        [Value::Int(n)] => Ok(*n != 0),
        [other] => Err(wrong_kind(function, "a boolean", other)),
        _ => Err(wrong_count(function, 1, params.len())),
    }
}

/// The single integer argument; a decimal string is taken too, as SEMS
/// clients send numbers either way.
fn one_integer(function: &str, params: &[Value]) -> Result<i32, Fault> {
    match params {
        [Value::Int(n)] => Ok(*n),
        [Value::String(s)] if s.trim().parse::<i32>().is_ok() => {
            Ok(s.trim().parse().expect("checked just above"))
        }
        [other] => Err(wrong_kind(function, "an integer", other)),
        _ => Err(wrong_count(function, 1, params.len())),
    }
}

// The value's kind, never the value: a client's argument may be megabytes
// long, and the message is logged and sent back whole.
fn wrong_kind(function: &str, wanted: &str, got: &Value) -> Fault {
    Fault::bad_params(format!(
        "{function}: argument 1 must be {wanted}, got {}",
        got.kind()
    ))
}

fn wrong_count(function: &str, expected: usize, got: usize) -> Fault {
    let plural = if expected == 1 { "" } else { "s" };
    Fault::bad_params(format!(
        "{function}: expected {expected} argument{plural}, got {got}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_checks_fault_with_300_naming_the_function() {
        assert_eq!(no_arguments("get_cpsavg", &[]), Ok(()));
        let fault = no_arguments("get_cpsavg", &[Value::Int(1)]).unwrap_err();
        assert_eq!(fault.code, 300);
        assert_eq!(fault.message, "get_cpsavg: expected 0 arguments, got 1");

        assert_eq!(one_integer("set_cpslimit", &[Value::Int(5)]), Ok(5));
        assert_eq!(one_integer("set_cpslimit", &[Value::from(" 7 ")]), Ok(7));
        let fault = one_integer("set_cpslimit", &[]).unwrap_err();
        assert_eq!(
            (fault.code, fault.message.as_str()),
            (300, "set_cpslimit: expected 1 argument, got 0")
        );
        let fault = one_integer("set_loglevel", &[Value::from("loud")]).unwrap_err();
        assert_eq!(fault.code, 300);
        assert_eq!(
            fault.message,
            "set_loglevel: argument 1 must be an integer, got string"
        );
    }

    #[test]
    fn a_wrong_argument_is_named_by_its_kind_never_its_value() {
        let large = [Value::Base64(vec![7; 700 * 1024])];
        let fault = one_integer("set_cpslimit", &large).unwrap_err();
        assert_eq!(fault.code, 300);
        assert_eq!(
            fault.message,
            "set_cpslimit: argument 1 must be an integer, got base64"
        );
        let text = [Value::from("x".repeat(700 * 1024))];
        let fault = one_flag("set_shutdownmode", &text).unwrap_err();
        assert_eq!(fault.code, 300);
        assert_eq!(
            fault.message,
            "set_shutdownmode: argument 1 must be a boolean, got string"
        );
    }

    #[test]
    fn averages_round_to_the_nearest_integer() {
        assert_eq!(rounded(0.0), 0);
        assert_eq!(rounded(0.4), 0);
        assert_eq!(rounded(1.5), 2);
    }
}
