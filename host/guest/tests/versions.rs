//! Each supported WIT version through the real runtime: the bundled guests
//! target the current one, and a guest built for the draft 0.1.0 still loads
//! and is served by the same host implementation.

mod support;

use std::sync::Arc;
use support::{FakeHost, invite, misbehave_wasm, small_limits};
use switchyard_guest::{Event, Guest, GuestConfig, HostApi, Runtime, Value, WitVersion, bundled};

/// The draft guest, loaded; the runtime is returned to keep its deadline
/// thread alive.
fn draft() -> (Runtime, Guest) {
    let wasm = std::fs::read(env!("SWITCHYARD_GUEST_DRAFT"))
        .expect("the build script built the draft guest");
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime
        .load("draft", &wasm, GuestConfig::default())
        .unwrap();
    (runtime, guest)
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
    assert_eq!(webconference.wit_version(), WitVersion::V0_2);
    assert_eq!(misbehave.wit_version(), WitVersion::V0_2);
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
