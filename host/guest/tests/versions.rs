//! Each supported WIT version through the real runtime: the bundled guests
//! target the SDK's, the current 0.4.0, a guest built for the draft 0.1.0
//! still loads and is served by the same host implementation, a guest of
//! 0.3.0 reaches what that version added (deaf, keys, messages), and a guest
//! of world `call-flow` (no `control`) handles calls like one of world `app`.

mod support;

use std::cell::RefCell;
use std::sync::{Arc, Once};
use support::{FakeHost, invite, misbehave_wasm, small_limits};
use switchyard_guest::{Event, Guest, GuestConfig, HostApi, Runtime, Value, WitVersion, bundled};

/// The test guest the build script built at `path`, loaded as `name`; the
/// runtime is returned to keep its deadline thread alive.
fn load(name: &str, path: &str) -> (Runtime, Guest) {
    let wasm = std::fs::read(path).expect("the build script built the test guests");
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime.load(name, &wasm, GuestConfig::default()).unwrap();
    (runtime, guest)
}

/// The draft guest, loaded.
fn draft() -> (Runtime, Guest) {
    load("draft", env!("SWITCHYARD_GUEST_DRAFT"))
}

#[test]
fn the_bundled_guests_target_the_current_version() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let config = GuestConfig::default;
    let webconference = runtime
        .load("webconference", bundled::WEBCONFERENCE, config())
        .unwrap();
    let misbehave = runtime
        .load("misbehave", &misbehave_wasm(), config())
        .unwrap();
    let nway = runtime.load("nway", bundled::NWAY, config()).unwrap();
    for guest in [webconference, misbehave, nway] {
        assert_eq!(guest.wit_version(), WitVersion::V0_4);
    }
}

#[test]
fn a_guest_of_0_4_0_swaps_a_rooms_meta_through_the_host() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let webconference = runtime
        .load(
            "webconference",
            bundled::WEBCONFERENCE,
            GuestConfig::default(),
        )
        .unwrap();
    assert_eq!(webconference.wit_version(), WitVersion::V0_4);
    let host = Arc::new(FakeHost::default());
    let mut control = webconference.instantiate(host.clone()).unwrap();
    // Webconference keeps a room's invitations in its meta, written by `swap-meta`
    // from the value it read.
    let answer = control
        .handle_control("addParticipant", &["7".into(), "p1".into(), "100".into()])
        .unwrap()
        .unwrap();
    assert_eq!(answer, Value::Array(vec![Value::Int(200), "OK".into()]));
    let log = host.log();
    let swapped = log
        .iter()
        .find_map(|line| line.strip_prefix("swap-meta 7 "))
        .unwrap_or_else(|| panic!("no swap-meta in {log:?}"));
    let (key, value) = swapped
        .split_once(" None->")
        .unwrap_or_else(|| panic!("not swapped from an unset key: {swapped}"));
    assert!(value.contains("p1"), "{value}");
    assert_eq!(host.get_meta("7", key).as_deref(), Some(value));
}

#[test]
fn the_host_serves_0_4_0_as_current_beside_every_older_version() {
    assert_eq!(
        WitVersion::SUPPORTED,
        [
            WitVersion::V0_1,
            WitVersion::V0_2,
            WitVersion::V0_3,
            WitVersion::V0_4
        ]
    );
    let v0_4 = ["switchyard:call/kv@0.4.0", "switchyard:call/handler@0.4.0"];
    assert_eq!(WitVersion::detect(v0_4), Ok(WitVersion::V0_4));
    let refused = WitVersion::detect(["switchyard:call/handler@0.5.0"]).unwrap_err();
    assert!(
        refused.ends_with("switchyard:call@0.3.0 and switchyard:call@0.4.0"),
        "{refused}"
    );
}

#[test]
fn a_draft_guest_starts_and_cancels_timers_of_its_own_call_only() {
    let (_runtime, guest) = draft();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "timers", &[])).unwrap();
    let log = host.log();
    assert_eq!(log[..2], ["start-timer c1 1000 -> 1", "cancel-timer c1 1"]);
    assert!(
        log[2].starts_with("reject c1 400 Err(Error::InvalidArgument(")
            && log[2].contains("not the call this instance serves"),
        "{log:?}"
    );
}

#[test]
fn a_draft_guest_handles_calls_through_the_same_imports() {
    let (_runtime, guest) = draft();
    assert_eq!(guest.wit_version(), WitVersion::V0_1);
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "100", &[])).unwrap();
    call.on_event("c1", Event::Dtmf('5')).unwrap();
    call.on_event("c1", Event::Hangup).unwrap();
    assert_eq!(
        host.log(),
        [
            "join c1 draft alice \"entered\"",
            "answer c1",
            "dial sip:5@192.0.2.9 as \"draft\"",
        ]
    );
    let room = host.room_info("draft").unwrap();
    assert_eq!(room.participants[0].call, "c1");
}

#[test]
fn a_draft_guest_serves_control_values_and_faults() {
    let (_runtime, guest) = draft();
    let mut control = guest.instantiate(Arc::new(FakeHost::default())).unwrap();
    let params = vec![
        Value::Int(7),
        "text".into(),
        Value::Struct(vec![("ok".to_owned(), Value::Bool(true))]),
        Value::Double(0.5),
        Value::Base64(vec![1, 2]),
        Value::Nil,
    ];
    let answer = control.handle_control("echo", &params).unwrap().unwrap();
    assert_eq!(answer, Value::Array(params));
    let fault = control.handle_control("other", &[]).unwrap().unwrap_err();
    assert_eq!(
        (fault.code, fault.message.as_str()),
        (504, "other: no such function")
    );
}

/// The 0.3.0 probe guest, loaded as `probe`.
fn probe() -> (Runtime, Guest) {
    load("probe", env!("SWITCHYARD_GUEST_WIT03_PROBE"))
}

#[test]
fn a_guest_of_0_3_0_reaches_deaf_keys_and_messages() {
    let (_runtime, guest) = probe();
    assert_eq!(guest.wit_version(), WitVersion::V0_3);
    let host = Arc::new(FakeHost::default());
    let mut deaf = guest.instantiate(host.clone()).unwrap();
    deaf.on_invite(&invite("c1", "deaf", &[])).unwrap();
    let mut keys = guest.instantiate(host.clone()).unwrap();
    keys.on_invite(&invite("c2", "probe", &[])).unwrap();
    keys.on_event("c2", Event::Dtmf('5')).unwrap();
    let mut lobby = guest.instantiate(host.clone()).unwrap();
    lobby.on_invite(&invite("c3", "lobby", &[])).unwrap();
    let mut notify = guest.instantiate(host.clone()).unwrap();
    notify.on_invite(&invite("c4", "notify", &[])).unwrap();
    assert!(lobby.on_message("c3", "c4", "play").unwrap());
    let mut control = guest.instantiate(host.clone()).unwrap();
    control
        .handle_control("message", &["c3".into(), "hi".into()])
        .unwrap()
        .unwrap();
    assert_eq!(
        host.log(),
        [
            "answer c1",
            "join c1 probe alice \"entered\"",
            "set-deaf c1 true",
            "play c1 dial_tone looped=true",
            "answer c2",
            "join c2 probe alice \"entered\"",
            "send-dtmf c2 1x",
            &format!("send-dtmf c2 {}", "1".repeat(33)),
            "send-dtmf c2 19#D",
            "answer c3",
            "join c3 lobby alice \"entered\"",
            "answer c4",
            "send-message probe c4 c3 play",
            "play c3 dial_tone looped=true",
            "send-message probe  c3 hi",
        ]
    );
}

#[test]
fn a_guest_before_0_3_0_is_not_called_with_messages() {
    let (_runtime, guest) = draft();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "100", &[])).unwrap();
    assert!(!call.on_message("c1", "c2", "play").unwrap());
    assert_eq!(host.log().len(), 2, "{:?}", host.log());
}

#[test]
fn a_forward_ignores_its_room_however_long_its_texts() {
    let (_runtime, guest) = probe();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    // The probe forwards with a room named by 64 KiB, then with one whose participant's
    // number is 64 KiB, logging each answer as `forward to {uri}: {answer:?}`.
    let log = Captured::logged(|| call.on_invite(&invite("c1", "forward-rooms", &[])).unwrap());
    assert_eq!(
        host.log(),
        [
            "forward c1 sip:long-room@192.0.2.9",
            "forward c1 sip:long-options@192.0.2.9",
        ]
    );
    let answers: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("forward to"))
        .collect();
    assert_eq!(
        answers,
        [
            r#"INFO message=forward to sip:long-room@192.0.2.9: Ok("c98") guest="probe""#,
            r#"INFO message=forward to sip:long-options@192.0.2.9: Ok("c98") guest="probe""#,
        ]
    );
}

/// The events logged on the thread of a test, one line each: the level, then
/// each field as `name=value`. It is the process's subscriber, installed once, and
/// keeps what each thread logs while that thread captures: a subscriber set for
/// one thread only would share tracing's process-wide interest in each place that
/// logs with the other tests' threads, and could miss an event while another
/// thread's capture ends.
struct Captured;

thread_local! {
    /// What this thread logged since it began capturing; `None` when it is not.
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
}

impl Captured {
    /// What was logged on this thread while `f` ran.
    fn logged(f: impl FnOnce()) -> String {
        static INSTALLED: Once = Once::new();
        INSTALLED.call_once(|| {
            tracing::subscriber::set_global_default(Captured)
                .expect("no other subscriber is set in this test binary");
        });
        CAPTURED.with(|captured| *captured.borrow_mut() = Some(String::new()));
        f();
        CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default())
    }
}

impl tracing::Subscriber for Captured {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        CAPTURED.with(|captured| {
            let mut captured = captured.borrow_mut();
            let Some(log) = captured.as_mut() else {
                return;
            };
            log.push_str(event.metadata().level().as_str());
            event.record(
                &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                    log.push_str(&format!(" {field}={value:?}"));
                },
            );
            log.push('\n');
        });
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_guest_log_call_is_one_line_of_the_host_log_tagged_with_the_guest() {
    let (_runtime, guest) = probe();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "probe", &[])).unwrap();
    let forged = "a\r\nb\n2025-01-01T00:00:00Z  WARN switchyard::control: refused\u{1b}[2K";
    let log = Captured::logged(|| assert!(call.on_message("c1", "c2", forged).unwrap()));
    // The probe logs a message it receives as `message from {from:?} to {call}: {message}`.
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [concat!(
            r#"INFO message=message from "c2" to c1: "#,
            r#"a\r\nb\n2025-01-01T00:00:00Z  WARN switchyard::control: refused\u{1b}[2K guest="probe""#,
        )],
    );
}

/// The guest of world `call-flow` (WIT 0.3.0), loaded as `flow`.
fn call_flow() -> (Runtime, Guest) {
    load("flow", env!("SWITCHYARD_GUEST_CALL_FLOW"))
}

#[test]
fn a_call_flow_guest_loads_and_handles_calls() {
    let (_runtime, guest) = call_flow();
    assert_eq!(guest.wit_version(), WitVersion::V0_3);
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "100", &[])).unwrap();
    call.on_event("c1", Event::Dtmf('5')).unwrap();
    assert!(call.on_message("c1", "c2", "play").unwrap());
    call.on_event("c1", Event::Hangup).unwrap();
    assert_eq!(host.log(), ["answer c1", "play c1 dial_tone looped=false"]);
}

#[test]
fn a_control_request_to_a_call_flow_guest_is_an_unknown_function() {
    let (_runtime, guest) = call_flow();
    let mut control = guest.instantiate(Arc::new(FakeHost::default())).unwrap();
    let fault = control
        .handle_control("roomInfo", &["7".into()])
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (fault.code, fault.message.as_str()),
        (
            504,
            "unknown method name 'roomInfo': guest flow has no control API (world call-flow)"
        )
    );
}
