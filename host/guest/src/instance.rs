//! One instance of a guest: the exports the host calls, each under a deadline.

use crate::context::{Context, one_line};
use crate::exports::Exports;
use crate::guest::arm;
use crate::runtime::Resolved;
use crate::{Event, Fault, InviteInfo, Value};
use std::sync::Arc;
use thiserror::Error;
use wasmtime::{Store, Trap};

/// Why a guest could not be loaded or did not complete a call.
///
/// Its messages quote what the guest chose (the names in its component, the
/// functions of a backtrace, its answers), so each is made one line of the log
/// of at most 4 KiB as a guest's log lines are, by the constructors this crate
/// builds every `GuestError` with.
///
/// After any error from an [`Instance`] method the instance must be dropped: a
/// trapped component cannot be entered again.
#[derive(Debug, Error)]
pub enum GuestError {
    /// The engine could not be set up.
    #[error("guest runtime: {0}")]
    Engine(String),
    /// The bytes are not a valid component, or do not fit a WIT world the host serves.
    #[error("guest {guest}: cannot load: {message}")]
    Load {
        /// The guest's name.
        guest: String,
        /// What was wrong.
        message: String,
    },
    /// The export ran past its deadline and was interrupted.
    #[error("guest {guest}: {export} ran past its deadline and was stopped")]
    Timeout {
        /// The guest's name.
        guest: String,
        /// The export that was running.
        export: &'static str,
    },
    /// The export burnt its fuel budget and was stopped.
    #[error("guest {guest}: {export} used up its fuel and was stopped")]
    OutOfFuel {
        /// The guest's name.
        guest: String,
        /// The export that was running.
        export: &'static str,
    },
    /// The guest trapped (a panic, an out-of-bounds access, memory exhausted, …).
    #[error("guest {guest}: {export} failed: {message}")]
    Trap {
        /// The guest's name.
        guest: String,
        /// The export that was running.
        export: &'static str,
        /// The trap, as wasmtime describes it: its cause first, then its
        /// backtrace naming the guest's modules and functions as the guest
        /// chose, so that a line cut at its cap keeps why the guest trapped.
        message: String,
    },
    /// The guest returned a value tree that is not a tree.
    #[error("guest {guest}: control answered a malformed value: {message}")]
    BadResult {
        /// The guest's name.
        guest: String,
        /// What was wrong with it.
        message: String,
    },
}

impl GuestError {
    /// The engine could not be set up, for `reason`.
    pub(crate) fn engine(reason: impl std::fmt::Display) -> Self {
        GuestError::Engine(one_line(&reason.to_string()))
    }

    /// `guest` could not be loaded, for `reason`.
    pub(crate) fn load(guest: &str, reason: &str) -> Self {
        GuestError::Load {
            guest: guest.to_owned(),
            message: one_line(reason),
        }
    }

    /// `guest`'s control answered a value that is not a tree, for `reason`.
    pub(crate) fn bad_result(guest: &str, reason: &str) -> Self {
        GuestError::BadResult {
            guest: guest.to_owned(),
            message: one_line(reason),
        }
    }

    /// The export `export` of `guest` failed with `error`: a timeout, fuel run
    /// out, or else a trap.
    pub(crate) fn from_wasmtime(guest: &str, export: &'static str, error: wasmtime::Error) -> Self {
        let guest = guest.to_owned();
        let trap = error.downcast_ref::<Trap>();
        if trap == Some(&Trap::Interrupt) {
            GuestError::Timeout { guest, export }
        } else if trap == Some(&Trap::OutOfFuel) {
            GuestError::OutOfFuel { guest, export }
        } else {
            GuestError::Trap {
                guest,
                export,
                message: one_line(&cause_first(&error)),
            }
        }
    }
}

/// `error` with its root cause (the trap, or what a host function refused)
/// first, then `; ` and the context wasmtime wrapped around it (the
/// backtrace), which wasmtime writes before the cause.
fn cause_first(error: &wasmtime::Error) -> String {
    let mut around: Vec<String> = error.chain().map(ToString::to_string).collect();
    let cause = around.pop().unwrap_or_default();
    match around.is_empty() {
        true => cause,
        false => format!("{cause}; {}", around.join(": ")),
    }
}

/// The fault code of a control function the guest does not have: XML-RPC's
/// "unknown method name", as the SDK's guests answer it.
const UNKNOWN_FUNCTION: i32 = 504;

/// A live instance of a guest.
pub struct Instance {
    guest: Arc<str>,
    store: Store<Context>,
    exports: Exports,
    limits: Resolved,
}

impl Instance {
    pub(crate) fn new(
        guest: Arc<str>,
        store: Store<Context>,
        exports: Exports,
        limits: Resolved,
    ) -> Self {
        Instance {
            guest,
            store,
            exports,
            limits,
        }
    }

    /// `handler.on-invite`. The instance serves `invite.call` from now on.
    pub fn on_invite(&mut self, invite: &InviteInfo) -> Result<(), GuestError> {
        self.serve(&invite.call);
        arm(&mut self.store, &self.limits);
        self.exports
            .on_invite(&mut self.store, invite)
            .map_err(|e| GuestError::from_wasmtime(&self.guest, "on-invite", e))
    }

    /// `handler.on-event`. The instance serves `call` from now on.
    pub fn on_event(&mut self, call: &str, event: Event) -> Result<(), GuestError> {
        self.serve(call);
        arm(&mut self.store, &self.limits);
        self.exports
            .on_event(&mut self.store, call, &event)
            .map_err(|e| GuestError::from_wasmtime(&self.guest, "on-event", e))
    }

    /// `handler.on-message`: the instance serving `from` ("" for a control
    /// request's) sent `message` to `call`, which this instance serves from
    /// now on. `Ok(false)`, and the guest is not called, when its WIT version
    /// has no `on-message` (before 0.3.0).
    pub fn on_message(
        &mut self,
        call: &str,
        from: &str,
        message: &str,
    ) -> Result<bool, GuestError> {
        self.serve(call);
        arm(&mut self.store, &self.limits);
        self.exports
            .on_message(&mut self.store, call, from, message)
            .map_err(|e| GuestError::from_wasmtime(&self.guest, "on-message", e))
    }

    // The call its `messages.send` names as the sender.
    fn serve(&mut self, call: &str) {
        let served = &mut self.store.data_mut().call;
        if served != call {
            call.clone_into(served);
        }
    }

    /// `control.handle`: the guest's answer to a control function, which is either
    /// a value or a fault of the guest's choosing. A guest of world `call-flow`
    /// has no `control`: its answer is fault 504 (unknown method name), saying so.
    pub fn handle_control(
        &mut self,
        function: &str,
        params: &[Value],
    ) -> Result<Result<Value, Fault>, GuestError> {
        arm(&mut self.store, &self.limits);
        let params = Value::Array(params.to_vec());
        let Some(answer) = self.exports.handle(&mut self.store, function, &params) else {
            return Ok(Err(self.no_control(function)));
        };
        let answer = answer.map_err(|e| GuestError::from_wasmtime(&self.guest, "handle", e))?;
        match answer {
            Ok(value) => value
                .map(Ok)
                .map_err(|e| GuestError::bad_result(&self.guest, &e.to_string())),
            Err(fault) => Ok(Err(fault)),
        }
    }

    /// The fault that answers `function` for a guest without `control`.
    fn no_control(&self, function: &str) -> Fault {
        Fault {
            code: UNKNOWN_FUNCTION,
            message: format!(
                "unknown method name '{function}': guest {} has no control API (world call-flow)",
                self.guest
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MAX_LOG_LINE;
    use crate::test_wasm::{section, sized};
    use wasmtime::{Engine, Module};

    /// A core module whose one export `f`, named `function` in its name
    /// section as the module is named `module`, traps at once.
    fn trapping_module(module: &str, function: &str) -> Vec<u8> {
        let names = [
            sized(b"name"),
            section(0, &sized(module.as_bytes())),
            section(1, &[vec![1, 0], sized(function.as_bytes())].concat()),
        ]
        .concat();
        [
            b"\0asm\x01\0\0\0".to_vec(),
            section(1, &[1, 0x60, 0, 0]),
            section(3, &[1, 0]),
            section(7, &[vec![1], sized(b"f"), vec![0, 0]].concat()),
            // One body: no locals, `unreachable`, `end`.
            section(10, &[1, 3, 0, 0x00, 0x0b]),
            section(0, &names),
        ]
        .concat()
    }

    #[test]
    fn a_trap_is_one_line_of_the_log_however_the_guest_named_its_functions() {
        let forged = format!(
            "f\nERROR switchyard: forged\r{}",
            "x".repeat(3 * MAX_LOG_LINE)
        );
        let engine = Engine::default();
        let module =
            Module::new(&engine, trapping_module("m\nforged", &forged)).expect("a valid module");
        let mut store = Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("an instance");
        let f = instance
            .get_typed_func::<(), ()>(&mut store, "f")
            .expect("the export");
        let trap = f.call(&mut store, ()).expect_err("`unreachable` traps");
        let error = GuestError::from_wasmtime("g", "on-event", trap);
        let GuestError::Trap { message, .. } = &error else {
            panic!("a trap, not {error:?}");
        };
        assert!(
            message.starts_with("wasm trap: wasm `unreachable` instruction executed; "),
            "{message}"
        );
        assert!(
            message.contains(r"m\nforged!f\nERROR switchyard: forged\rxxx"),
            "{message}"
        );
        assert!(!error.to_string().contains(['\n', '\r']), "{error}");
        assert!(
            message.len() <= MAX_LOG_LINE + '…'.len_utf8(),
            "{}",
            message.len()
        );
    }
}
