//! A guest of `switchyard:call@0.3.0` (`wit/v0.3.0/`, world `app`), for the
//! host's end-to-end tests of what 0.3.0 added: `rooms.set-deaf`,
//! `media.send-dtmf` and `messages`.
//!
//! Every call but one to `forward-rooms` is answered. The Request-URI user
//! picks what follows:
//! - `forward-rooms`: forwarded to `sip:long-room@192.0.2.9` with a room
//!   named by 64 KiB, then to `sip:long-options@192.0.2.9` with a room whose
//!   participant's number is 64 KiB (both past what `rooms.join` takes,
//!   both ignored by `forward`), logging each outcome;
//! - `deaf`: joins room `probe`, is made deaf, and hears the dial tone
//!   (looped) as its own prompt;
//! - `lobby` (or any user routed to another guest, which is this one under
//!   another name): joins room `lobby`;
//! - `notify`: sends the message `play` to every participant of room
//!   `lobby`, logging each outcome;
//! - `probe`: joins room `probe`;
//! - anything else (`lobby`, or a user routed to another guest, which is this
//!   component under another name): joins room `lobby`.
//!
//! A key the caller presses makes its instance send the keys `19#D` back,
//! after logging what the host answers to keys it must refuse (`1x`, and 33
//! keys). An instance that receives a message logs it with its sender and plays the
//! dial tone (looped). Control function `message(call, text)` sends `text`
//! to `call` from the control request's instance; anything else is fault
//! 404.

#[cfg(target_arch = "wasm32")]
#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.3.0",
        world: "app",
    });
}

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::exports::switchyard::call::{control, handler};
    use crate::bindings::switchyard::call::log::{Level, log};
    use crate::bindings::switchyard::call::rooms::{self, JoinOptions};
    use crate::bindings::switchyard::call::signaling::DialRequest;
    use crate::bindings::switchyard::call::types::{Event, InviteInfo};
    use crate::bindings::switchyard::call::{media, messages, signaling};

    struct Probe;

    fn join(call: &str, room: &str, number: &str) {
        let options = JoinOptions {
            number: number.to_owned(),
            reason: "entered".to_owned(),
            participant_id: String::new(),
        };
        if let Err(e) = rooms::join(call, room, &options) {
            log(Level::Error, &format!("join {room}: {e:?}"));
        }
    }

    fn dial_tone(call: &str) {
        if let Err(e) = media::play(call, &["dial_tone".to_owned()], true) {
            log(Level::Error, &format!("play: {e:?}"));
        }
    }

    /// Forwards `call` with rooms `forward` ignores, each past what `rooms.join` takes:
    /// one named by 64 KiB, then one whose participant's number is 64 KiB.
    fn forward_with_rooms(call: &str) {
        let long = "x".repeat(64 * 1024);
        let options = |number: &str| JoinOptions {
            number: number.to_owned(),
            reason: String::new(),
            participant_id: String::new(),
        };
        let rooms = [
            ("sip:long-room@192.0.2.9", long.clone(), options("")),
            (
                "sip:long-options@192.0.2.9",
                "lobby".to_owned(),
                options(&long),
            ),
        ];
        for (uri, room, options) in rooms {
            let request = DialRequest {
                uri: uri.to_owned(),
                from: String::new(),
                to: String::new(),
                headers: Vec::new(),
                credentials: None,
                context: String::new(),
                room: Some((room, options)),
            };
            let answer = signaling::forward(call, &request);
            log(Level::Info, &format!("forward to {uri}: {answer:?}"));
        }
    }

    impl handler::Guest for Probe {
        fn on_invite(invite: InviteInfo) {
            let call = &invite.call;
            if invite.request_user == "forward-rooms" {
                forward_with_rooms(call);
                return;
            }
            if let Err(e) = signaling::answer(call) {
                log(Level::Error, &format!("answer: {e:?}"));
                return;
            }
            match invite.request_user.as_str() {
                "deaf" => {
                    join(call, "probe", &invite.from_user);
                    if let Err(e) = rooms::set_deaf(call, true) {
                        log(Level::Error, &format!("set-deaf: {e:?}"));
                    }
                    dial_tone(call);
                }
                "notify" => {
                    let lobby = rooms::info("lobby").map(|r| r.participants);
                    for participant in lobby.unwrap_or_default() {
                        let answer = messages::send(&participant.call, "play");
                        log(
                            Level::Info,
                            &format!("message to {}: {answer:?}", participant.call),
                        );
                    }
                }
                "probe" => join(call, "probe", &invite.from_user),
                _ => join(call, "lobby", &invite.from_user),
            }
        }

        fn on_event(call: String, event: Event) {
            if let Event::Dtmf(_) = event {
                let refused = [("1x".to_owned(), "1x"), ("1".repeat(33), "33 keys")];
                for (digits, what) in refused {
                    let answer = media::send_dtmf(&call, &digits);
                    log(Level::Info, &format!("send-dtmf {what}: {answer:?}"));
                }
                if let Err(e) = media::send_dtmf(&call, "19#D") {
                    log(Level::Error, &format!("send-dtmf: {e:?}"));
                }
            }
        }

        fn on_message(call: String, from: String, message: String) {
            log(
                Level::Info,
                &format!("message from {from:?} to {call}: {message}"),
            );
            dial_tone(&call);
        }
    }

    impl control::Guest for Probe {
        fn handle(
            function: String,
            params: control::ValueTree,
        ) -> Result<control::ValueTree, control::Fault> {
            use control::ValueNode;
            // The root is the array of parameters; each names its node.
            let text = |index: usize| match params.nodes.first() {
                Some(ValueNode::Array(members)) => match members
                    .get(index)
                    .and_then(|&node| params.nodes.get(node as usize))
                {
                    Some(ValueNode::Text(text)) => Some(text.clone()),
                    _ => None,
                },
                _ => None,
            };
            match (function.as_str(), text(0), text(1)) {
                ("message", Some(call), Some(message)) => {
                    let answer = messages::send(&call, &message);
                    Ok(control::ValueTree {
                        nodes: vec![ValueNode::Text(format!("{answer:?}"))],
                    })
                }
                _ => Err(control::Fault {
                    code: 404,
                    message: format!("{function}: no such function"),
                }),
            }
        }
    }

    // The export glue is generated here, not in a dependency as with the SDK.
    #[allow(unsafe_code)]
    mod export {
        use super::Probe;
        crate::bindings::export!(Probe with_types_in crate::bindings);
    }
}
