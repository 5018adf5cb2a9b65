//! Messages between the guest instances of calls (`messages.send`).

use crate::call::CallId;
use crate::effect::{Effect, GuestOp, Message};
use crate::{CallCore, CoreError};

/// The longest message one instance may send another, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

impl CallCore {
    /// Queues `text` from an instance of the guest named `guest`, serving the
    /// call `from` (`None`: a control request's), for the instance of `call`:
    /// it reaches it as [`GuestOp::Message`] after the events queued for
    /// `call` before it. [`CoreError::NoSuchCall`] for a call that does not
    /// exist; a message over [`MAX_MESSAGE_BYTES`] is an invalid argument.
    pub fn send_message(
        &mut self,
        guest: &str,
        from: Option<CallId>,
        call: CallId,
        text: &str,
    ) -> Result<(), CoreError> {
        // A placed call still resolving its target has its instance already.
        if !self.has_call(call) {
            return Err(CoreError::NoSuchCall);
        }
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(CoreError::InvalidArgument(format!(
                "a message is at most {MAX_MESSAGE_BYTES} bytes, not {}",
                text.len()
            )));
        }
        let message = Box::new(Message {
            guest: guest.to_owned(),
            from,
            text: text.to_owned(),
        });
        self.effects
            .push_back(Effect::Guest(GuestOp::Message { call, message }));
        Ok(())
    }
}
