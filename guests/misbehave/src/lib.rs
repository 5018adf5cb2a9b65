//! A guest that misbehaves on request, for testing the host's limits and fallbacks.
//!
//! The Request-URI user of a call (or the control function's name) picks the
//! behaviour: `spin` loops forever, `grow` allocates until memory runs out,
//! `panic` panics; anything else is answered and put in room `ok`.

#[cfg(target_arch = "wasm32")]
mod component {
    use switchyard_sdk::control::{Fault, ValueTree};
    use switchyard_sdk::rooms::{self, JoinOptions};
    use switchyard_sdk::types::{Event, InviteInfo};
    use switchyard_sdk::{Value, signaling, to_tree};

    struct Misbehave;

    fn misbehave(what: &str) {
        match what {
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("asked to panic"),
            _ => {}
        }
    }

    impl switchyard_sdk::handler::Guest for Misbehave {
        fn on_invite(invite: InviteInfo) {
            misbehave(&invite.request_user);
            let options = JoinOptions {
                number: invite.from_user.clone(),
                reason: "entered".to_owned(),
                participant_id: String::new(),
            };
            // The host's answers are what the tests check; errors need no handling here.
            let _ = rooms::join(&invite.call, "ok", &options);
            let _ = signaling::answer(&invite.call);
        }

        fn on_event(_call: String, event: Event) {
            if let Event::Dtmf(key) = event {
                misbehave(match key {
                    '1' => "spin",
                    '2' => "grow",
                    '3' => "panic",
                    _ => "",
                });
            }
        }
    }

    impl switchyard_sdk::control::Guest for Misbehave {
        fn handle(function: String, _params: ValueTree) -> Result<ValueTree, Fault> {
            misbehave(&function);
            Ok(to_tree(&Value::Array(vec![Value::Int(0), "OK".into()])))
        }
    }

    switchyard_sdk::export!(Misbehave);
}
