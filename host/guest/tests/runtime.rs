//! The guest runtime against real components: the bundled webconference guest,
//! and the `misbehave` guest for deadlines, memory caps and traps.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{FakeHost, invite, misbehave_wasm, small_limits};
use switchyard_guest::{
    Event, Guest, GuestConfig, GuestError, HostApi, Limits, NoServer, RecordFiles, Runtime, Value,
    bundled,
};

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

/// The misbehave test guest under [`small_limits`]. The runtime is returned to keep its
/// deadline thread alive.
fn misbehave() -> (Runtime, Guest) {
    let runtime = Runtime::new(small_limits()).unwrap();
    let guest = runtime
        .load("misbehave", &misbehave_wasm(), GuestConfig::default())
        .unwrap();
    (runtime, guest)
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
            // The predefined rooms are settled once: none configured, none to keep.
            "kv-get webconference predefined_rooms_kept",
            "kv-get webconference predefined_rooms",
            "kv-set webconference predefined_rooms_kept=",
            "kv-list webconference failed_entries/9:127.0.0.1/",
            "join c1 123 <sip:alice@127.0.0.1> \"direct access: entered\"",
            "answer c1",
            "play c1 first_participant looped=false",
            // Settled already.
            "kv-get webconference predefined_rooms_kept",
            "kv-list webconference failed_entries/9:127.0.0.1/",
            "join c2 123 <sip:alice@127.0.0.1> \"direct access: entered\"",
            "answer c2",
            // The room's looped first-participant prompts are looked for: who comes next ends them.
            "kv-list webconference looping/123/",
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
            "kv-get webconference predefined_rooms_kept",
            "kv-get webconference predefined_rooms",
            "kv-set webconference predefined_rooms_kept=",
            "kv-list webconference failed_entries/9:127.0.0.1/",
            "answer c1",
            // The whole entry's time-out, then each prompt's digit time-out.
            "start-timer c1 60000 -> 1",
            "play c1 enter_pin looped=false",
            "play c1 wrong_pin looped=false",
            "stop c1",
            "start-timer c1 10000 -> 2",
            "cancel-timer c1 2",
            "start-timer c1 10000 -> 3",
            "cancel-timer c1 3",
            "cancel-timer c1 1",
            "play c1 4,2,entering_conference looped=false",
            "join c1 42 <sip:alice@127.0.0.1> \"entered\"",
            "play c1 first_participant looped=false",
        ]
    );
}

#[test]
fn too_many_empty_entries_say_goodbye_and_hang_up() {
    let (_runtime, guest, host) = webconference();
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "conference", &[])).unwrap();
    // `max_room_attempts` (3) entries of nothing but `#`.
    for _ in 0..3 {
        call.on_event("c1", Event::Dtmf('#')).unwrap();
    }
    call.on_event("c1", Event::PromptDone).unwrap();
    let log = host.log();
    assert!(!log.iter().any(|line| line.starts_with("join")), "{log:?}");
    assert_eq!(
        log[log.len() - 2..],
        ["play c1 wrong_pin_bye looped=false", "hangup c1"],
        "{log:?}"
    );
}

#[test]
fn a_guest_places_and_forwards_calls_through_the_host() {
    let (_runtime, guest) = misbehave();
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
    // The context misbehave's `dial` gives its calls, which join room ok when answered.
    placed_call
        .on_event("c99", Event::Dialed("join ok when answered".into()))
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
        (300, "roomInfo: expected at least 2 arguments, got 1")
    );
    let fault = control
        .handle_control("noSuchThing", &[])
        .unwrap()
        .unwrap_err();
    assert_eq!(fault.code, 504);
}

#[test]
fn a_spinning_guest_is_stopped_at_its_deadline() {
    let (_runtime, guest) = misbehave();
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
fn a_guest_whose_thread_waits_past_its_deadline_is_not_stopped() {
    let (_runtime, guest) = misbehave();
    // Four deadlines of waiting inside the call, none of them running.
    let mut host = FakeHost::default();
    host.answer_stall = Duration::from_millis(200);
    let host = Arc::new(host);
    let mut call = guest.instantiate(host.clone()).unwrap();
    let started = Instant::now();
    call.on_invite(&invite("c1", "alone", &[]))
        .expect("a call that waited, not ran, goes on past its wall-clock deadline");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(host.log(), ["answer c1"]);
    // A call that spins is still stopped at its deadline.
    let err = call.on_invite(&invite("c2", "spin", &[])).unwrap_err();
    assert!(matches!(err, GuestError::Timeout { .. }), "{err}");
}

#[test]
fn a_guest_that_exhausts_its_memory_traps_without_harming_others() {
    let (_runtime, guest) = misbehave();
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

#[test]
fn a_config_table_the_guest_does_not_declare_is_refused_at_load_naming_the_key() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let table = |key: &str, value: &str| -> GuestConfig {
        [(key.to_owned(), value.to_owned())].into_iter().collect()
    };
    for (guest, wasm, key, value, problem) in [
        (
            "webconference",
            bundled::WEBCONFERENCE,
            "privte_rooms",
            "true",
            "not a key of this guest",
        ),
        (
            "webconference",
            bundled::WEBCONFERENCE,
            "private_rooms",
            "on",
            "\"on\" is not true, false, yes or no",
        ),
        (
            "webconference",
            bundled::WEBCONFERENCE,
            "direct_room_re",
            "(",
            "is not a regular expression",
        ),
        (
            "nway",
            bundled::NWAY,
            "pin_attempts",
            "-1",
            "is not a whole number",
        ),
    ] {
        let refused = runtime.load(guest, wasm, table(key, value)).err();
        let message = refused.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with(&format!("guest {guest}: cannot load: config key {key}: "))
                && message.contains(problem),
            "{key} = {value:?}: {message}"
        );
    }
    assert!(
        runtime
            .load(
                "webconference",
                bundled::WEBCONFERENCE,
                table("private_rooms", "yes")
            )
            .is_ok()
    );
}

#[test]
fn a_guest_checks_what_its_declared_kinds_cannot_say_before_it_serves() {
    let runtime = Runtime::new(small_limits()).unwrap();
    let table = |pairs: &[(&str, &str)]| -> GuestConfig {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let problem = |name: &str, wasm: &[u8], pairs: &[(&str, &str)]| {
        let guest = runtime.load(name, wasm, table(pairs)).unwrap();
        guest.config_problem(Arc::new(NoServer)).unwrap()
    };
    // More than the guest's key-value store holds, where it remembers the rooms it opened.
    let predefined_too_long = "a:1;".repeat(16_385);
    // Tables whose every value is of its declared kind, but that no call could be served with.
    for (name, wasm, pairs, expected) in [
        (
            "nway",
            bundled::NWAY,
            &[("rooms", r#"{ "101" = { pin = "12#" } }"#)][..],
            "rooms.101.pin: \"12#\" has '#'",
        ),
        (
            "nway",
            bundled::NWAY,
            &[("holder", "bogus")],
            "holder: \"bogus\"",
        ),
        (
            "nway",
            bundled::NWAY,
            &[("pin_attempts", "50")],
            "pin_attempts: 50 is not 1 to 10",
        ),
        (
            "webconference",
            bundled::WEBCONFERENCE,
            &[("predefined_rooms", "a:1;nopin")],
            "predefined_rooms: \"nopin\" is not <room>:<pin>",
        ),
        (
            "webconference",
            bundled::WEBCONFERENCE,
            &[("predefined_rooms", predefined_too_long.as_str())],
            "predefined_rooms: 65540 bytes, more than the 65536",
        ),
    ] {
        let found = problem(name, wasm, pairs).unwrap_or_default();
        assert!(found.starts_with(expected), "{name} {pairs:?}: {found:?}");
    }
    for (name, wasm) in [
        ("nway", bundled::NWAY),
        ("webconference", bundled::WEBCONFERENCE),
    ] {
        assert_eq!(problem(name, wasm, &[]), None, "{name}'s defaults serve");
    }
    assert_eq!(
        problem(
            "webconference",
            bundled::WEBCONFERENCE,
            &[("predefined_rooms", "a:1;b:2;")]
        ),
        None
    );
    // A component of another language's toolchain, or an older one, exports no check.
    let draft = std::fs::read(env!("SWITCHYARD_GUEST_DRAFT")).unwrap();
    assert_eq!(problem("draft", &draft, &[("anything", "x")]), None);
    // A problem without words still refuses, saying so.
    for (given, said) in [
        ("", "its check found it wrong but gave no reason"),
        (
            "rooms.7.pin: ",
            "rooms.7.pin: its check found it wrong but gave no reason",
        ),
    ] {
        let silent = runtime
            .load(
                "misbehave",
                &misbehave_wasm(),
                table(&[("config_problem", given)]),
            )
            .unwrap();
        assert_eq!(
            silent
                .config_problem(Arc::new(NoServer))
                .unwrap()
                .as_deref(),
            Some(said)
        );
    }
    // A check writes no records, though the guest has a directory for them.
    let records = tempfile::tempdir().unwrap();
    let writer = runtime
        .load(
            "misbehave",
            &misbehave_wasm(),
            table(&[("config_problem", "records")])
                .with_records(RecordFiles::new(records.path()).unwrap()),
        )
        .unwrap();
    assert_eq!(
        writer
            .config_problem(Arc::new(NoServer))
            .unwrap()
            .as_deref(),
        Some("records")
    );
    assert_eq!(std::fs::read_dir(records.path()).unwrap().count(), 0);
    // The check runs under the guest's limits.
    let spinning = runtime
        .load(
            "misbehave",
            &misbehave_wasm(),
            table(&[("config_problem", "spin")]),
        )
        .unwrap();
    let started = Instant::now();
    let stopped = spinning.config_problem(Arc::new(NoServer));
    assert!(
        matches!(
            stopped,
            Err(GuestError::Timeout {
                export: "check",
                ..
            })
        ),
        "{stopped:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_answer_whose_strings_all_point_at_one_large_string_is_refused_before_the_host_copies_it() {
    let (_runtime, guest) = misbehave();
    // Strings of a mebibyte out of a guest of 8 MiB: the host copies no more than four times
    // the guest's memory, and refuses the rest (40 MiB, or 100 GB).
    for count in [40, 100_000] {
        let mut instance = guest.instantiate(Arc::new(FakeHost::default())).unwrap();
        let message = match instance.handle_control("aliased-answer", &[Value::Int(count)]) {
            Err(refused) => refused.to_string(),
            Ok(_) => panic!("{count} strings of a mebibyte taken from a guest of 8 MiB"),
        };
        assert!(message.contains("too much data"), "{count}: {message}");
    }
    // One such string is an answer like any other.
    let mut instance = guest.instantiate(Arc::new(FakeHost::default())).unwrap();
    let answer = instance
        .handle_control("aliased-answer", &[Value::Int(1)])
        .unwrap()
        .expect("no fault");
    assert_eq!(
        answer,
        Value::Array(vec![Value::String("x".repeat(1 << 20))])
    );
}

#[test]
fn lists_whose_entries_all_point_at_one_large_string_are_refused_before_the_host_copies_them() {
    let (_runtime, guest) = misbehave();
    // 256 prompts, or 200 extra headers of a dial, of a mebibyte each, in a guest of 8 MiB:
    // lists the canonical ABI allows when every entry points at the same string.
    for (user, refusal) in [
        ("aliased-prompts", "reject c1 400 prompts refused"),
        ("aliased-headers", "reject c1 400 headers refused"),
    ] {
        let host = Arc::new(FakeHost::default());
        let mut call = guest.instantiate(host.clone()).unwrap();
        call.on_invite(&invite("c1", user, &[])).unwrap();
        assert_eq!(host.log(), [refusal], "{user}");
    }
}

#[test]
fn long_texts_of_a_listing_a_dial_or_a_rejection_are_refused_before_the_host_copies_them() {
    let (_runtime, guest) = misbehave();
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    // Three listings and five dials (one into a room named by a mebibyte), each with a text
    // of a mebibyte, and a rejection with a reason phrase of 257 bytes: none reaches the host.
    call.on_invite(&invite("c1", "long-texts", &[])).unwrap();
    let log: Vec<String> = host
        .log()
        .iter()
        .map(|line| line.chars().take(80).collect())
        .collect();
    assert_eq!(log, ["reject c1 400 long texts refused"]);
}
