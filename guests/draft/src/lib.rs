//! A guest of the draft `switchyard:call@0.1.0` (`wit/v0.1.0/`, world `app`),
//! for the host's tests: it proves that a component built for that version
//! still loads and that every kind of value crosses its boundary.
//!
//! A call is logged, joins room `draft` and is answered; each key it presses
//! places a call to `sip:<key>@192.0.2.9` with credentials, listed in room
//! `draft`. A call to `timers` instead starts a timer on call `c99` and one on
//! itself, cancels the second, and is rejected with 400 and the outcome of the
//! first as the reason. Control functions: `echo` answers its parameters,
//! anything else is fault 504.

#[cfg(target_arch = "wasm32")]
#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1.0",
        world: "app",
    });
}

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::exports::switchyard::call::{control, handler};
    use crate::bindings::switchyard::call::log::{Level, log};
    use crate::bindings::switchyard::call::rooms::{self, JoinOptions};
    use crate::bindings::switchyard::call::signaling::{self, Credentials, DialRequest};
    use crate::bindings::switchyard::call::timers;
    use crate::bindings::switchyard::call::types::{Event, InviteInfo};

    struct Draft;

    fn listed(number: &str) -> JoinOptions {
        JoinOptions {
            number: number.to_owned(),
            reason: "entered".to_owned(),
            participant_id: String::new(),
        }
    }

    // The host's answers are what the tests check; errors need no handling here.
    impl handler::Guest for Draft {
        fn on_invite(invite: InviteInfo) {
            log(Level::Info, &format!("invite {}", invite.call));
            if invite.request_user == "timers" {
                let elsewhere = timers::start("c99", 1000);
                if let Ok(own) = timers::start(&invite.call, 1000) {
                    timers::cancel(own);
                }
                let _ = signaling::reject(&invite.call, 400, &format!("{elsewhere:?}"));
                return;
            }
            let _ = rooms::join(&invite.call, "draft", &listed(&invite.from_user));
            let _ = signaling::answer(&invite.call);
        }

        fn on_event(_call: String, event: Event) {
            if let Event::Dtmf(key) = event {
                let _ = signaling::dial(&DialRequest {
                    uri: format!("sip:{key}@192.0.2.9"),
                    from: String::new(),
                    to: String::new(),
                    headers: Vec::new(),
                    credentials: Some(Credentials {
                        username: "draft".to_owned(),
                        password: "s3cret".to_owned(),
                    }),
                    context: String::new(),
                    room: Some(("draft".to_owned(), listed(&key.to_string()))),
                });
            }
        }
    }

    impl control::Guest for Draft {
        fn handle(
            function: String,
            params: control::ValueTree,
        ) -> Result<control::ValueTree, control::Fault> {
            match function.as_str() {
                "echo" => Ok(params),
                _ => Err(control::Fault {
                    code: 504,
                    message: format!("{function}: no such function"),
                }),
            }
        }
    }

    // The export glue is generated here, not in a dependency as with the SDK.
    #[allow(unsafe_code)]
    mod export {
        use super::Draft;
        crate::bindings::export!(Draft with_types_in crate::bindings);
    }
}
