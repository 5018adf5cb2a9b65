//! The guest runtime against real components: the bundled webconference guest,
//! and the `misbehave` guest for deadlines, memory caps and traps.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_guest::{
    DialRequest, Error, Event, Guest, GuestConfig, GuestError, HostApi, InviteInfo, JoinOptions,
    Limits, ParticipantInfo, ParticipantStatus, RoomInfo, Runtime, SipHeader, Value, bundled,
};

/// A room of the fake host: name, participants, meta values.
type FakeRoom = (String, Vec<ParticipantInfo>, Vec<(String, String)>);

/// A host that records what guests ask of it and keeps rooms in memory.
#[derive(Default)]
struct FakeHost {
    log: Mutex<Vec<String>>,
    rooms: Mutex<Vec<FakeRoom>>,
    kv: Mutex<Vec<(String, String)>>,
    /// Timers started so far: the next timer's id is one more.
    timers: Mutex<u64>,
}

impl FakeHost {
    fn record(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl HostApi for FakeHost {
    fn answer(&self, call: &str) -> Result<(), Error> {
        self.record(format!("answer {call}"));
        Ok(())
    }
    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error> {
        self.record(format!("reject {call} {code} {reason}"));
        Ok(())
    }
    fn hangup(&self, call: &str) -> Result<(), Error> {
        self.record(format!("hangup {call}"));
        Ok(())
    }
    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.record(format!("play {call} {} looped={looped}", prompts.join(",")));
        Ok(())
    }
    fn stop(&self, call: &str) -> Result<(), Error> {
        self.record(format!("stop {call}"));
        Ok(())
    }
    fn speak(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.record(format!(
            "speak {call} {} looped={looped}",
            prompts.join(",")
        ));
        Ok(())
    }
    fn announce(&self, room: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.record(format!(
            "announce {room} {} looped={looped}",
            prompts.join(",")
        ));
        Ok(())
    }
    fn stop_announcement(&self, room: &str) -> Result<(), Error> {
        self.record(format!("stop-announcement {room}"));
        Ok(())
    }
    fn set_gain(&self, call: &str, gain_db: f32) -> Result<(), Error> {
        self.record(format!("set-gain {call} {gain_db}"));
        Ok(())
    }
    fn stop_speaking(&self, call: &str) -> Result<(), Error> {
        self.record(format!("stop-speaking {call}"));
        Ok(())
    }
    fn open_room(&self, room: &str) -> bool {
        self.record(format!("open {room}"));
        let mut rooms = self.rooms.lock().unwrap();
        if rooms.iter().any(|r| r.0 == room) {
            return false;
        }
        rooms.push((room.to_owned(), Vec::new(), Vec::new()));
        true
    }
    fn room_info(&self, room: &str) -> Option<RoomInfo> {
        let rooms = self.rooms.lock().unwrap();
        rooms.iter().find(|r| r.0 == room).map(|r| RoomInfo {
            room: r.0.clone(),
            participants: r.1.clone(),
        })
    }
    fn list_rooms(&self) -> Vec<String> {
        self.rooms
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.0.clone())
            .collect()
    }
    fn close_room(&self, room: &str) -> Result<(), Error> {
        self.record(format!("close {room}"));
        Ok(())
    }
    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<u32, Error> {
        self.record(format!(
            "join {call} {room} {} {:?}",
            options.number, options.reason
        ));
        let mut rooms = self.rooms.lock().unwrap();
        let participant = ParticipantInfo {
            call: call.to_owned(),
            number: options.number,
            status: ParticipantStatus::Connected,
            reason: options.reason,
            muted: false,
            participant_id: options.participant_id,
            listen_only: false,
            talking: false,
        };
        match rooms.iter_mut().find(|r| r.0 == room) {
            Some(r) => {
                let others =
                    r.1.iter()
                        .filter(|p| p.status != ParticipantStatus::Finished)
                        .count();
                r.1.push(participant);
                Ok(u32::try_from(others).unwrap_or(u32::MAX))
            }
            None => {
                rooms.push((room.to_owned(), vec![participant], Vec::new()));
                Ok(0)
            }
        }
    }
    fn leave(&self, call: &str) -> Result<(), Error> {
        self.record(format!("leave {call}"));
        Ok(())
    }
    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(format!("set-meta {room} {key}={value}"));
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms
            .iter_mut()
            .find(|r| r.0 == room)
            .ok_or(Error::NoSuchRoom)?;
        r.2.retain(|(k, _)| k != key);
        r.2.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
    fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        let rooms = self.rooms.lock().unwrap();
        let r = rooms.iter().find(|r| r.0 == room)?;
        r.2.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn start_recording(&self, room: &str, name: &str) -> Result<(), Error> {
        self.record(format!("start-recording {room} {name}"));
        Ok(())
    }
    fn stop_recording(&self, room: &str) -> Result<(), Error> {
        self.record(format!("stop-recording {room}"));
        Ok(())
    }
    fn bridge(&self, a: &str, b: &str) -> Result<(), Error> {
        self.record(format!("bridge {a} {b}"));
        Ok(())
    }
    fn unbridge(&self, call: &str) -> Result<(), Error> {
        self.record(format!("unbridge {call}"));
        Ok(())
    }
    fn hold(&self, call: &str, held: bool) -> Result<(), Error> {
        self.record(format!("hold {call} {held}"));
        Ok(())
    }
    fn dial(&self, request: DialRequest) -> Result<String, Error> {
        let user = request.credentials.map(|c| c.username).unwrap_or_default();
        self.record(format!("dial {} as {user:?}", request.uri));
        Ok("c99".to_owned())
    }
    fn forward(&self, call: &str, request: DialRequest) -> Result<String, Error> {
        self.record(format!("forward {call} {}", request.uri));
        Ok("c98".to_owned())
    }
    fn set_muted(&self, call: &str, muted: bool) -> Result<(), Error> {
        self.record(format!("set-muted {call} {muted}"));
        Ok(())
    }
    fn set_listen_only(&self, call: &str, listen_only: bool) -> Result<(), Error> {
        self.record(format!("set-listen-only {call} {listen_only}"));
        Ok(())
    }
    fn kick(&self, call: &str) -> Result<(), Error> {
        self.record(format!("kick {call}"));
        Ok(())
    }
    fn start_timer(&self, call: &str, ms: u32) -> Result<u64, Error> {
        let mut timers = self.timers.lock().unwrap();
        *timers += 1;
        self.record(format!("start-timer {call} {ms} -> {timers}"));
        Ok(*timers)
    }
    fn cancel_timer(&self, timer: u64) -> bool {
        self.record(format!("cancel-timer {timer}"));
        true
    }
    fn kv_get(&self, guest: &str, key: &str) -> Option<String> {
        self.record(format!("kv-get {guest} {key}"));
        self.kv
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
    fn kv_set(&self, guest: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(format!("kv-set {guest} {key}={value}"));
        let mut kv = self.kv.lock().unwrap();
        kv.retain(|(k, _)| k != key);
        kv.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
    fn kv_delete(&self, guest: &str, key: &str) -> bool {
        self.record(format!("kv-delete {guest} {key}"));
        let mut kv = self.kv.lock().unwrap();
        let before = kv.len();
        kv.retain(|(k, _)| k != key);
        kv.len() != before
    }
    fn kv_list(&self, _guest: &str, prefix: &str, limit: u32) -> Vec<String> {
        let kv = self.kv.lock().unwrap();
        kv.iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k.starts_with(prefix))
            .take(limit as usize)
            .collect()
    }
}

fn invite(call: &str, user: &str, headers: &[(&str, &str)]) -> InviteInfo {
    InviteInfo {
        call: call.to_owned(),
        request_uri: format!("sip:{user}@127.0.0.1"),
        request_user: user.to_owned(),
        from_uri: "sip:alice@127.0.0.1".to_owned(),
        from_user: "alice".to_owned(),
        from_display_name: None,
        to_uri: format!("sip:{user}@127.0.0.1"),
        sip_call_id: "abc@127.0.0.1".to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| SipHeader {
                name: (*n).to_owned(),
                value: (*v).to_owned(),
            })
            .collect(),
        source: "127.0.0.1:5062".to_owned(),
    }
}

fn sems_config() -> GuestConfig {
    [("direct_room_re", "^000777"), ("direct_room_strip", "6")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The bundled webconference guest with SEMS's direct-room settings, and a
/// fresh fake host. The runtime is returned to keep its deadline thread alive.
fn webconference() -> (Runtime, Guest, Arc<FakeHost>) {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let guest = runtime
        .load("webconference", bundled::WEBCONFERENCE, sems_config())
        .unwrap();
    (runtime, guest, Arc::new(FakeHost::default()))
}

fn misbehave_wasm() -> Vec<u8> {
    std::fs::read(env!("SWITCHYARD_GUEST_MISBEHAVE"))
        .expect("the build script built the misbehave guest")
}

fn small_limits() -> Limits {
    Limits {
        call_deadline: Duration::from_millis(50),
        memory_bytes: 8 << 20,
        max_instances: 8,
        ..Limits::default()
    }
}

#[test]
fn direct_room_call_is_answered_and_joined_and_hears_first_participant() {
    let (_runtime, guest, host) = webconference();
    let mut first = guest.instantiate(host.clone()).unwrap();
    first.on_invite(&invite("c1", "000777123", &[])).unwrap();
    let mut second = guest.instantiate(host.clone()).unwrap();
    second
        .on_invite(&invite("c2", "000777123", &[("X-ParticipantID", "p2")]))
        .unwrap();
    assert_eq!(
        host.log(),
        [
            "kv-get webconference failed_entries/127.0.0.1",
            "join c1 123 alice \"direct access: entered\"",
            "answer c1",
            "play c1 first_participant looped=false",
            "kv-get webconference failed_entries/127.0.0.1",
            "join c2 123 alice \"direct access: entered\"",
            "answer c2",
            // The first participant hears the second join, in place of its prompt.
            "play c1 join_sound looped=false",
        ]
    );
    let info = host.room_info("123").unwrap();
    assert_eq!(info.participants[1].participant_id, "p2");
}

#[test]
fn room_number_entry_by_keypad_reads_the_number_back_then_joins() {
    let (_runtime, guest, host) = webconference();
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "conference", &[])).unwrap();
    call.on_event("c1", Event::Dtmf('#')).unwrap();
    for key in ['4', '2', '#'] {
        call.on_event("c1", Event::Dtmf(key)).unwrap();
    }
    call.on_event("c1", Event::PromptDone).unwrap();
    assert_eq!(
        host.log(),
        [
            "kv-get webconference failed_entries/127.0.0.1",
            "answer c1",
            // The whole entry's time-out, then each prompt's digit time-out.
            "start-timer c1 60000 -> 1",
            "play c1 enter_pin looped=false",
            "play c1 wrong_pin looped=false",
            "stop c1",
            "start-timer c1 10000 -> 2",
            "cancel-timer 2",
            "start-timer c1 10000 -> 3",
            "cancel-timer 3",
            "cancel-timer 1",
            "play c1 4,2,entering_conference looped=false",
            "join c1 42 alice \"entered\"",
            "play c1 first_participant looped=false",
        ]
    );
}

#[test]
fn too_many_empty_entries_say_goodbye_and_hang_up() {
    let (_runtime, guest, host) = webconference();
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "000777", &[])).unwrap();
    call.on_event("c1", Event::PromptDone).unwrap();
    assert_eq!(
        host.log(),
        [
            "kv-get webconference failed_entries/127.0.0.1",
            "answer c1",
            "play c1 wrong_pin_bye looped=false",
            "hangup c1"
        ]
    );
}

#[test]
fn a_guest_places_and_forwards_calls_through_the_host() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime
        .load("misbehave", &misbehave_wasm(), GuestConfig::default())
        .unwrap();
    let host = Arc::new(FakeHost::default());
    let mut control = guest.instantiate(host.clone()).unwrap();
    let placed = control
        .handle_control(
            "dial",
            &["sip:bob@192.0.2.9".into(), "alice".into(), "s3cret".into()],
        )
        .unwrap()
        .unwrap();
    assert_eq!(placed, Value::Array(vec![Value::Int(0), "c99".into()]));
    let fault = control
        .handle_control("dial", &["sip:bob@192.0.2.9".into(), "alice".into()])
        .unwrap()
        .unwrap_err();
    assert_eq!(fault.code, 300, "{}", fault.message);

    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite(
        "c1",
        "forward",
        &[("X-Forward-To", "sip:carol@192.0.2.10")],
    ))
    .unwrap();
    call.on_event("c1", Event::Hangup).unwrap();
    let mut placed_call = guest.instantiate(host.clone()).unwrap();
    placed_call
        .on_event("c99", Event::Dialed(String::new()))
        .unwrap();
    placed_call.on_event("c99", Event::Answered).unwrap();
    assert_eq!(
        host.log(),
        [
            "dial sip:bob@192.0.2.9 as \"alice\"",
            "forward c1 sip:carol@192.0.2.10",
            "join c99 ok dialed \"answered\"",
        ]
    );
}

#[test]
fn room_info_opens_unknown_rooms_and_checks_the_pin() {
    let (_runtime, guest, host) = webconference();
    let mut control = guest.instantiate(host.clone()).unwrap();
    let ok = control
        .handle_control("roomInfo", &["7".into(), "1234".into()])
        .unwrap()
        .unwrap();
    assert_eq!(
        ok,
        Value::Array(vec![Value::Int(0), "OK".into(), Value::Array(vec![])])
    );
    let wrong = control
        .handle_control("roomInfo", &["7".into(), "999".into()])
        .unwrap()
        .unwrap();
    assert_eq!(
        wrong,
        Value::Array(vec![
            Value::Int(1),
            "wrong adminpin or inexisting room".into(),
            Value::Array(vec![])
        ])
    );
    let fault = control
        .handle_control("roomInfo", &["7".into()])
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (fault.code, fault.message.as_str()),
        (300, "roomInfo: expected 2 arguments, got 1")
    );
    let fault = control
        .handle_control("noSuchThing", &[])
        .unwrap()
        .unwrap_err();
    assert_eq!(fault.code, 504);
}

#[test]
fn a_spinning_guest_is_stopped_at_its_deadline() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime
        .load("misbehave", &misbehave_wasm(), GuestConfig::default())
        .unwrap();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    let started = Instant::now();
    let err = call.on_invite(&invite("c1", "spin", &[])).unwrap_err();
    assert!(
        matches!(
            err,
            GuestError::Timeout {
                export: "on-invite",
                ..
            }
        ),
        "{err}"
    );
    // The deadline is 50 ms; allow for a loaded machine, but not for "never".
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(host.log().is_empty());
}

#[test]
fn a_guest_that_exhausts_its_memory_traps_without_harming_others() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime
        .load("misbehave", &misbehave_wasm(), GuestConfig::default())
        .unwrap();
    let host = Arc::new(FakeHost::default());
    let mut hog = guest.instantiate(host.clone()).unwrap();
    let err = hog.on_invite(&invite("c1", "grow", &[])).unwrap_err();
    assert!(
        matches!(
            err,
            GuestError::Trap {
                export: "on-invite",
                ..
            }
        ),
        "{err}"
    );
    let mut panicky = guest.instantiate(host.clone()).unwrap();
    let err = panicky.handle_control("panic", &[]).unwrap_err();
    assert!(
        matches!(
            err,
            GuestError::Trap {
                export: "handle",
                ..
            }
        ),
        "{err}"
    );
    let mut fine = guest.instantiate(host.clone()).unwrap();
    fine.on_invite(&invite("c2", "hello", &[])).unwrap();
    assert_eq!(host.log(), ["join c2 ok alice \"entered\"", "answer c2"]);
}

#[test]
fn bytes_that_are_not_a_component_fail_to_load_with_a_message() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let err = runtime
        .load("junk", b"\0asm\x01\0\0\0", GuestConfig::default())
        .err()
        .expect("a core module is not a component");
    let message = err.to_string();
    assert!(message.starts_with("guest junk: cannot load:"), "{message}");
}
