//! One instance of a guest: the exports the host calls, each under a deadline.

use crate::context::Context;
use crate::exports::Exports;
use crate::guest::arm;
use crate::runtime::Resolved;
use crate::{Event, Fault, InviteInfo, Value};
use std::sync::Arc;
use thiserror::Error;
use wasmtime::{Store, Trap};

/// Why a guest could not be loaded or did not complete a call.
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
        /// The trap, as wasmtime describes it.
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
                message: format!("{error:#}"),
            }
        }
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
            Ok(value) => value.map(Ok).map_err(|e| GuestError::BadResult {
                guest: self.guest.to_string(),
                message: e.to_string(),
            }),
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
