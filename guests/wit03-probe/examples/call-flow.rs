//! A guest of `switchyard:call@0.3.0` (`wit/v0.3.0/`) of world `call-flow`:
//! it exports `handler` and no `control`, for the host's tests of components
//! that serve no control API.
//!
//! Every call is answered. A key the caller presses plays the dial tone
//! (once); a message is logged with its sender.

#[cfg(target_arch = "wasm32")]
#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.3.0",
        world: "call-flow",
    });
}

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::exports::switchyard::call::handler;
    use crate::bindings::switchyard::call::log::{Level, log};
    use crate::bindings::switchyard::call::types::{Event, InviteInfo};
    use crate::bindings::switchyard::call::{media, signaling};

    struct Flow;

    impl handler::Guest for Flow {
        fn on_invite(invite: InviteInfo) {
            if let Err(e) = signaling::answer(&invite.call) {
                log(Level::Error, &format!("answer: {e:?}"));
            }
        }

        fn on_event(call: String, event: Event) {
            if let Event::Dtmf(_) = event
                && let Err(e) = media::play(&call, &["dial_tone".to_owned()], false)
            {
                log(Level::Error, &format!("play: {e:?}"));
            }
        }

        fn on_message(call: String, from: String, message: String) {
            log(
                Level::Info,
                &format!("message from {from:?} to {call}: {message}"),
            );
        }
    }

    // The export glue is generated here, not in a dependency as with the SDK.
    #[allow(unsafe_code)]
    mod export {
        use super::Flow;
        crate::bindings::export!(Flow with_types_in crate::bindings);
    }
}
