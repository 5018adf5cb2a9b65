//! A guest for the host's own tests: it misbehaves on request, and drives the
//! host features call logic relies on (timers, the key-value store, bridges,
//! mute), so the tests can watch them end to end.
//!
//! The Request-URI user of a call picks what happens:
//! - `spin`, `grow`, `panic`, `sleep`: loop forever, allocate until memory runs
//!   out, panic, or sleep for an hour, before answering; `random`: ask WASI for
//!   a mebibyte of random bytes, then answer;
//! - `alone`: answer and stay alone;
//! - `aliased-headers`: place a call with 200 extra headers whose values all
//!   point at one string of a mebibyte; answer if the host placed it, else
//!   reject with 400;
//! - `aliased-prompts`: play 256 prompts that all point at one string of a
//!   mebibyte (through the canonical ABI, as no binding writes it); answer if
//!   the host took them, else reject with 400;
//! - `long-texts`: join room `ok` with a number, a reason and a participant id
//!   of a mebibyte each, and place calls with a URI, a From and a To of a
//!   mebibyte each, and one into room `ok` listed with a number of a mebibyte,
//!   and reject the call with a reason phrase of 257 bytes; reject with 400 if
//!   the host refused all of them, else answer;
//! - `refused-dials`: place 1,000 calls to `sip:refused@192.0.2.9`, then
//!   reject with 403 if the host placed none, else answer;
//! - `messages`: send its own call 10,000 messages of 4 KiB, then answer;
//! - `prompts`: play its own call 1,000 lists of 256 prompts, then answer;
//! - `recordings`: start and stop recording room `flood` (opened first) 1,000
//!   times, each to a new file `flood-<n>`, then answer and join room `ok`;
//! - `timer`: answer, start a 500 ms timer, hang up when it fires;
//! - `bridge`: answer; the first such call waits (its id kept in the
//!   key-value store), the next one is bridged to it;
//! - `forward`: forward the call (B2BUA) to the URI of its `X-Forward-To`
//!   header (the two stay bridged), or reject it with 400 when there is none;
//! - anything else: answer and join room `ok`.
//!
//! Afterwards the keys 1, 2 and 3 make the call's instance spin, grow or
//! panic, 4 keeps it busy for 50 ms (a slow guest, within its deadline), and D
//! hangs it up. A key press, timer, prompt's end or talk that reaches a call
//! after its instance hung it up is kept in the key-value store under
//! `heard-after-hangup/<call>`.
//! Control functions: `mute(call)`, `unmute(call)`, `hold(call)`,
//! `resume(call)` and `hangup(call)`; `held(call)` answers the outcome of the last hold or
//! resume (`"true"`, `"false"`, the peer's refusal, or `""` before any);
//! `record(room, name)` and `stoprecord(room)` start and stop recording a room;
//! `dial(uri)` or
//! `dial(uri, user, password)` places a call that joins room `ok` when
//! answered, and answers `[0, call]`; `aliased-answer(count)` answers an array
//! of `count` strings that all point at one string of a mebibyte;
//! `spin`, `grow`, `panic` and `recordings` misbehave as a call's user does;
//! anything else answers `[0, "OK"]`.
//!
//! The check of its config table finds the value of its key `config_problem`
//! wrong, if set (`spin`, `grow` and `panic` misbehave first).
//!
//! A version that misbehaves on every call is this component with the bytes
//! of [`FAULT_ON_EVERY_CALL`] changed in a copy of its file (the tests write
//! `fault-on-every-call:panic` and so on over them, padded with `.`): every
//! call then spins, grows or panics before anything else.

/// What every call does first, as written in the component's data: `none`, or
/// `spin`, `grow` or `panic` in a copy whose bytes were changed.
#[used]
pub static FAULT_ON_EVERY_CALL: [u8; 40] = *b"fault-on-every-call:none................";

/// The fault [`FAULT_ON_EVERY_CALL`] names, read from the component's data
/// as it is (not as it was compiled: the read goes through `black_box`).
pub fn fault_on_every_call() -> String {
    let bytes: &[u8; 40] = std::hint::black_box(&FAULT_ON_EVERY_CALL);
    let text = String::from_utf8_lossy(bytes);
    text.trim_start_matches("fault-on-every-call:")
        .trim_end_matches('.')
        .to_owned()
}

#[cfg(target_arch = "wasm32")]
mod component {
    use switchyard_sdk::control::{Fault, ValueNode, ValueTree};
    use switchyard_sdk::rooms::{self, JoinOptions};
    use switchyard_sdk::types::{Event, InviteInfo};
    use switchyard_sdk::{
        Value, fault, from_tree, kv, media, messages, records, signaling, timers, to_tree,
    };

    /// The key-value key holding the call that waits for a bridge.
    const WAITING: &str = "bridge/waiting";

    struct Misbehave;

    /// The context of a call placed by `dial`, which joins room `ok` when
    /// answered (a forwarded call stays bridged to its caller).
    const JOIN_WHEN_ANSWERED: &str = "join ok when answered";

    thread_local! {
        /// This call's instance stored a hold outcome, to delete at hangup.
        static HELD_KEPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        /// This call was placed by `dial`.
        static JOINS_WHEN_ANSWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        /// This call's instance hung it up.
        static HUNG_UP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Hangs `call` up, and remembers it did.
    fn hang_up(call: &str) {
        let _ = signaling::hangup(call);
        HUNG_UP.set(true);
    }

    /// Keeps, in the key-value store under `heard-after-hangup/<call>`, an event that should
    /// not have reached `call` after its own hang-up: a key press, a timer, a prompt's end or
    /// talk.
    fn note_heard_after_hangup(call: &str, event: &Event) {
        let unheard = matches!(
            event,
            Event::Dtmf(_) | Event::Timer(_) | Event::PromptDone | Event::Talk(_)
        );
        if HUNG_UP.get() && unheard {
            let _ = kv::set(&format!("heard-after-hangup/{call}"), &format!("{event:?}"));
        }
    }

    /// `media.play` through the canonical ABI with `count` prompts that all point at one
    /// string of `len` bytes, as no binding would write it; whether the host took them.
    #[allow(unsafe_code)]
    fn play_aliased(call: &str, count: usize, len: usize) -> bool {
        #[link(wasm_import_module = "switchyard:call/media@0.4.0")]
        unsafe extern "C" {
            #[link_name = "play"]
            fn play(
                call: *const u8,
                call_len: usize,
                prompts: *const [usize; 2],
                prompts_len: usize,
                looped: i32,
                result: *mut u8,
            );
        }
        let name = vec![b'x'; len];
        let prompts = vec![[name.as_ptr() as usize, len]; count];
        let mut result = [0u32; 8];
        // SAFETY: every pointer names memory that lives across the call, and the host
        // writes the result (a discriminant and an error, under 32 bytes) into `result`.
        unsafe {
            play(
                call.as_ptr(),
                call.len(),
                prompts.as_ptr(),
                count,
                0,
                result.as_mut_ptr().cast(),
            );
        }
        result[0] & 0xff == 0
    }

    /// An answer of `count` strings that all point at one string of `len` bytes, as no
    /// binding would build it: every node's `String` is the same buffer. They are never
    /// dropped here, and the host must refuse the answer before the guest's post-return
    /// would free them; the instance is dropped whole then.
    #[allow(unsafe_code)]
    fn aliased_answer(count: u32, len: usize) -> ValueTree {
        let text = std::mem::ManuallyDrop::new(vec![b'x'; len]);
        let mut nodes = Vec::with_capacity(count as usize + 1);
        nodes.push(ValueNode::Array((1..=count).collect()));
        for _ in 0..count {
            // SAFETY: deliberately not upheld for this test: the strings alias one buffer,
            // which nothing writes; the bindings only read their pointers and lengths.
            let alias = unsafe { String::from_raw_parts(text.as_ptr().cast_mut(), len, len) };
            nodes.push(ValueNode::Text(alias));
        }
        ValueTree { nodes }
    }

    /// `signaling.dial` through the canonical ABI with `count` extra headers whose values all
    /// point at one string of `len` bytes; whether the host placed the call.
    #[allow(unsafe_code)]
    fn dial_aliased(count: usize, len: usize) -> bool {
        #[link(wasm_import_module = "switchyard:call/signaling@0.4.0")]
        unsafe extern "C" {
            #[link_name = "dial"]
            fn dial(request: *const DialRequest, result: *mut u8);
        }
        /// `dial-request` as the canonical ABI lays it out: strings and lists are a pointer
        /// and a length, and the options (`credentials`, `room`) are none, all zeros.
        #[repr(C)]
        struct DialRequest {
            uri: [usize; 2],
            from: [usize; 2],
            to: [usize; 2],
            headers: [usize; 2],
            credentials: [u32; 5],
            context: [usize; 2],
            room: [u32; 9],
        }
        let uri = "sip:bob@192.0.2.9";
        let (name, value) = ("X-Aliased", vec![b'x'; len]);
        let headers = vec![
            [
                name.as_ptr() as usize,
                name.len(),
                value.as_ptr() as usize,
                len
            ];
            count
        ];
        let request = DialRequest {
            uri: [uri.as_ptr() as usize, uri.len()],
            from: [0, 0],
            to: [0, 0],
            headers: [headers.as_ptr() as usize, count],
            credentials: [0; 5],
            context: [0, 0],
            room: [0; 9],
        };
        let mut result = [0u32; 8];
        // SAFETY: every pointer names memory that lives across the call, and the host
        // writes the result (a discriminant and a call id or an error) into `result`.
        unsafe { dial(&request, result.as_mut_ptr().cast()) };
        result[0] & 0xff == 0
    }

    /// Makes 4,096 pollables with WASI's clock (which does not block) and drops none, so the
    /// instance holds every one until the host's table refuses more.
    #[allow(unsafe_code)]
    fn hoard_handles() {
        #[link(wasm_import_module = "wasi:clocks/monotonic-clock@0.2.6")]
        unsafe extern "C" {
            #[link_name = "subscribe-duration"]
            fn subscribe_duration(nanoseconds: i64) -> i32;
        }
        for _ in 0..4096 {
            // SAFETY: the import takes a duration and returns a handle; it reads and writes
            // no memory.
            std::hint::black_box(unsafe { subscribe_duration(1_000_000_000) });
        }
    }

    /// `wasi:random/random.get-random-bytes` through the canonical ABI, for `len` bytes.
    #[allow(unsafe_code)]
    fn random_bytes(len: u64) -> Vec<u8> {
        #[link(wasm_import_module = "wasi:random/random@0.2.6")]
        unsafe extern "C" {
            #[link_name = "get-random-bytes"]
            fn get_random_bytes(len: i64, result: *mut [usize; 2]);
        }
        let mut result = [0usize; 2];
        // SAFETY: the host writes the list's pointer and length into `result`; the list
        // was allocated with the guest's `cabi_realloc`, as a `Vec<u8>` of that length.
        unsafe {
            get_random_bytes(len as i64, &mut result);
            Vec::from_raw_parts(result[0] as *mut u8, result[1], result[1])
        }
    }

    /// How many of the long texts of `long-texts` the host refused: a listing of `call`
    /// in room `ok` with each of its texts a mebibyte, a call placed with each of its
    /// addresses a mebibyte, one placed into room `ok` listed with such a number, and a
    /// rejection of `call` with a reason phrase of 257 bytes.
    fn long_texts_refused(call: &str) -> usize {
        let long = "1".repeat(1 << 20);
        let listing = |field: usize| JoinOptions {
            number: if field == 0 { long.clone() } else { "1".into() },
            reason: if field == 1 { long.clone() } else { "r".into() },
            participant_id: if field == 2 { long.clone() } else { "p".into() },
        };
        let joins = (0..3).map(|field| rooms::join(call, "ok", &listing(field)).is_err());
        let address = |field: usize| signaling::DialRequest {
            uri: if field == 0 {
                format!("sip:{long}@192.0.2.9")
            } else {
                "sip:bob@192.0.2.9".into()
            },
            from: if field == 1 {
                long.clone()
            } else {
                String::new()
            },
            to: if field == 2 {
                long.clone()
            } else {
                String::new()
            },
            ..dial_request("", None, "")
        };
        let dials = (0..3).map(|field| signaling::dial(&address(field)).is_err());
        let into_room = signaling::DialRequest {
            room: Some(("ok".into(), listing(0))),
            ..address(3)
        };
        let into_long_room = signaling::DialRequest {
            room: Some((long.clone(), listing(3))),
            ..address(3)
        };
        let refused = joins.chain(dials).filter(|refused| *refused).count();
        let reason = "r".repeat(257);
        refused
            + usize::from(signaling::dial(&into_room).is_err())
            + usize::from(signaling::dial(&into_long_room).is_err())
            + usize::from(signaling::reject(call, 480, &reason).is_err())
    }

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
            "sleep" => std::thread::sleep(std::time::Duration::from_secs(3600)),
            "handles" => hoard_handles(),
            "random" => {
                std::hint::black_box(random_bytes(1 << 20));
            }
            "records" => {
                // Far more record writes than one call may make; the host refuses the rest.
                for _ in 0..1000 {
                    let _ = records::append("flood", "x\n");
                }
            }
            "recordings" => {
                // Far more recordings than one call may start; the host refuses the rest.
                rooms::open("flood");
                for n in 0..1000 {
                    if rooms::start_recording("flood", &format!("flood-{n}")).is_ok() {
                        let _ = rooms::stop_recording("flood");
                    }
                }
            }
            "slow" => {
                // Busy, but well within the deadline.
                let started = std::time::Instant::now();
                while started.elapsed() < std::time::Duration::from_millis(50) {
                    std::hint::black_box(started);
                }
            }
            _ => {}
        }
    }

    // The host's answers are what the tests check; errors need no handling here.
    impl switchyard_sdk::handler::Guest for Misbehave {
        fn on_invite(invite: InviteInfo) {
            misbehave(&crate::fault_on_every_call());
            misbehave(&invite.request_user);
            let call = &invite.call;
            match invite.request_user.as_str() {
                "alone" => {
                    let _ = signaling::answer(call);
                }
                "aliased-headers" => {
                    if dial_aliased(200, 1 << 20) {
                        let _ = signaling::answer(call);
                    } else {
                        let _ = signaling::reject(call, 400, "headers refused");
                    }
                }
                "aliased-prompts" => {
                    if play_aliased(call, 256, 1 << 20) {
                        let _ = signaling::answer(call);
                    } else {
                        let _ = signaling::reject(call, 400, "prompts refused");
                    }
                }
                "long-texts" => {
                    if long_texts_refused(call) == 9 {
                        let _ = signaling::reject(call, 400, "long texts refused");
                    } else {
                        let _ = signaling::answer(call);
                    }
                }
                "refused-dials" => {
                    let refused = (0..1000)
                        .filter(|_| {
                            signaling::dial(&dial_request("sip:refused@192.0.2.9", None, ""))
                                .is_err()
                        })
                        .count();
                    if refused == 1000 {
                        let _ = signaling::reject(call, 403, "dials refused");
                    } else {
                        let _ = signaling::answer(call);
                    }
                }
                "messages" => {
                    // Sends to a call that is gone first: refused, they queue nothing.
                    for _ in 0..2000 {
                        let _ = messages::send("gone", "m");
                    }
                    // Far more than one call may send; the host refuses the rest.
                    let message = "m".repeat(4096);
                    for _ in 0..10_000 {
                        let _ = messages::send(call, &message);
                    }
                    let _ = signaling::answer(call);
                }
                "prompts" => {
                    let prompts = vec!["beep".to_owned(); 256];
                    // Plays to a call that is gone first: refused, they queue nothing.
                    for _ in 0..100 {
                        let _ = media::play("gone", &prompts, false);
                    }
                    // Far more than one call may queue; the host refuses the rest.
                    for _ in 0..1000 {
                        let _ = media::play(call, &prompts, false);
                    }
                    let _ = signaling::answer(call);
                }
                "timer" => {
                    let _ = signaling::answer(call);
                    let _ = timers::start(call, 500);
                }
                "forward" => {
                    let target = invite
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("X-Forward-To"));
                    let result = match target {
                        Some(target) => {
                            signaling::forward(call, &dial_request(&target.value, None, ""))
                                .map(|_| ())
                        }
                        None => signaling::reject(call, 400, "X-Forward-To header missing"),
                    };
                    if let Err(e) = result {
                        let _ = signaling::reject(call, 500, &format!("{e:?}"));
                    }
                }
                "bridge" => {
                    let _ = signaling::answer(call);
                    match kv::get(WAITING) {
                        Some(waiting) if waiting != *call => {
                            kv::delete(WAITING);
                            let _ = signaling::bridge(&waiting, call);
                        }
                        _ => {
                            let _ = kv::set(WAITING, call);
                        }
                    }
                }
                _ => {
                    // Listed before the 200 OK goes out.
                    let options = JoinOptions {
                        number: invite.from_user.clone(),
                        reason: "entered".to_owned(),
                        participant_id: String::new(),
                    };
                    let _ = rooms::join(call, "ok", &options);
                    let _ = signaling::answer(call);
                }
            }
        }

        fn on_event(call: String, event: Event) {
            note_heard_after_hangup(&call, &event);
            match event {
                Event::Timer(_) | Event::Dtmf('D') => hang_up(&call),
                Event::Dtmf(key) => misbehave(match key {
                    '1' => "spin",
                    '2' => "grow",
                    '3' => "panic",
                    '4' => "slow",
                    _ => "",
                }),
                Event::Dialed(context) => {
                    JOINS_WHEN_ANSWERED.set(context == JOIN_WHEN_ANSWERED);
                }
                Event::Answered if JOINS_WHEN_ANSWERED.get() => {
                    let options = JoinOptions {
                        number: "dialed".to_owned(),
                        reason: "answered".to_owned(),
                        participant_id: String::new(),
                    };
                    let _ = rooms::join(&call, "ok", &options);
                }
                Event::Held(outcome) => {
                    let text = match outcome {
                        Ok(held) => held.to_string(),
                        Err(refusal) => refusal,
                    };
                    let _ = kv::set(&held_key(&call), &text);
                    HELD_KEPT.set(true);
                }
                Event::Hangup if HELD_KEPT.get() => {
                    let _ = kv::delete(&held_key(&call));
                }
                Event::PromptDone
                | Event::Unbridged
                | Event::Talk(_)
                | Event::Hangup
                | Event::Answered
                | Event::Progress(_)
                | Event::Failed(_) => {}
            }
        }

        // Its calls send each other no messages.
        fn on_message(_call: String, _from: String, _message: String) {}
    }

    impl switchyard_sdk::control::Guest for Misbehave {
        fn handle(function: String, params: ValueTree) -> Result<ValueTree, Fault> {
            misbehave(&function);
            match function.as_str() {
                "dial" => return dial(params),
                "aliased-answer" => {
                    let count = match from_tree(params)? {
                        Value::Array(items) => match items.first() {
                            Some(Value::Int(count)) => *count as u32,
                            _ => return Err(fault(300, "aliased-answer takes a count")),
                        },
                        _ => return Err(fault(300, "aliased-answer takes a count")),
                    };
                    return Ok(aliased_answer(count, 1 << 20));
                }
                "record" | "stoprecord" => return record(&function, params),
                _ => {}
            }
            let on_call: fn(&str) -> Result<(), signaling::Error> = match function.as_str() {
                "mute" => |call| rooms::set_muted(call, true),
                "unmute" => |call| rooms::set_muted(call, false),
                "hold" => |call| signaling::hold(call, true),
                "resume" => |call| signaling::hold(call, false),
                "hangup" => |call| signaling::hangup(call),
                "held" => {
                    let call = call_param(&function, params)?;
                    let outcome = kv::get(&held_key(&call)).unwrap_or_default();
                    return Ok(to_tree(&Value::Array(vec![Value::Int(0), outcome.into()])));
                }
                _ => return Ok(to_tree(&Value::Array(vec![Value::Int(0), "OK".into()]))),
            };
            let call = call_param(&function, params)?;
            if let Err(e) = on_call(&call) {
                return Err(fault(1, format!("{function} {call}: {e:?}")));
            }
            Ok(to_tree(&Value::Array(vec![Value::Int(0), "OK".into()])))
        }
    }

    /// The call id that is the only parameter of the control function `function`.
    fn call_param(function: &str, params: ValueTree) -> Result<String, Fault> {
        match from_tree(params)? {
            Value::Array(items) => match items.first() {
                Some(Value::String(call)) => Ok(call.clone()),
                _ => Err(fault(300, format!("{function} takes a call id"))),
            },
            _ => Err(fault(300, format!("{function} takes a call id"))),
        }
    }

    /// `record(room, name)` or `stoprecord(room)`: answers `[0, "OK"]`.
    fn record(function: &str, params: ValueTree) -> Result<ValueTree, Fault> {
        let usage = || {
            fault(
                300,
                "record takes a room and a file name, stoprecord a room",
            )
        };
        let Value::Array(items) = from_tree(params)? else {
            return Err(usage());
        };
        let outcome = match (function, items.as_slice()) {
            ("record", [Value::String(room), Value::String(name)]) => {
                rooms::start_recording(room, name)
            }
            ("stoprecord", [Value::String(room)]) => rooms::stop_recording(room),
            _ => return Err(usage()),
        };
        match outcome {
            Ok(()) => Ok(to_tree(&Value::Array(vec![Value::Int(0), "OK".into()]))),
            Err(e) => Err(fault(1, format!("{function}: {e:?}"))),
        }
    }

    /// The key-value key holding the outcome of `call`'s last hold or resume.
    fn held_key(call: &str) -> String {
        format!("held/{call}")
    }

    /// A dial request to `uri`, with digest credentials if given.
    fn dial_request(
        uri: &str,
        credentials: Option<signaling::Credentials>,
        context: &str,
    ) -> signaling::DialRequest {
        signaling::DialRequest {
            uri: uri.to_owned(),
            from: String::new(),
            to: String::new(),
            headers: Vec::new(),
            credentials,
            context: context.to_owned(),
            room: None,
        }
    }

    /// `dial(uri [, user, password])`: places the call, answers `[0, call]`.
    fn dial(params: ValueTree) -> Result<ValueTree, Fault> {
        let usage = || {
            fault(
                300,
                "dial takes a URI, and optionally a user and a password",
            )
        };
        let Value::Array(items) = from_tree(params)? else {
            return Err(usage());
        };
        let text = |index: usize| match items.get(index) {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        let uri = text(0).ok_or_else(usage)?;
        let credentials = match (text(1), text(2)) {
            (Some(username), Some(password)) => Some(signaling::Credentials { username, password }),
            (None, None) => None,
            _ => return Err(usage()),
        };
        match signaling::dial(&dial_request(&uri, credentials, JOIN_WHEN_ANSWERED)) {
            Ok(call) => Ok(to_tree(&Value::Array(vec![Value::Int(0), call.into()]))),
            Err(e) => Err(fault(1, format!("dial {uri}: {e:?}"))),
        }
    }

    // The config key `config_problem` is what the check finds: `spin`, `grow` and `panic`
    // misbehave first.
    impl switchyard_sdk::config_check::Guest for Misbehave {
        fn problem() -> Option<String> {
            let problem = switchyard_sdk::config::get("config_problem")?;
            misbehave(&problem);
            Some(problem)
        }
    }

    switchyard_sdk::export!(Misbehave);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_compiled_component_faults_on_no_call() {
        assert_eq!(super::fault_on_every_call(), "none");
    }
}
