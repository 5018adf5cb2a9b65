//! Limits of a guest's own (deadline, memory, fuel) over the runtime's, with
//! the `misbehave` guest: each guest is held to its own, and one that needs
//! what the runtime cannot give is refused at load.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{FakeHost, invite, misbehave_wasm, small_limits};
use switchyard_guest::{Guest, GuestConfig, GuestError, GuestLimits, Limits, RecordFiles, Runtime};

/// A runtime whose own deadline is far longer than any test waits.
fn runtime(fuel: bool) -> Runtime {
    Runtime::new(Limits {
        call_deadline: Duration::from_secs(600),
        memory_bytes: 32 << 20,
        fuel,
        ..small_limits()
    })
    .unwrap()
}

fn load(runtime: &Runtime, limits: GuestLimits) -> Result<Guest, GuestError> {
    runtime.load(
        "misbehave",
        &misbehave_wasm(),
        GuestConfig::default().with_limits(limits),
    )
}

#[test]
fn a_guest_is_stopped_at_its_own_deadline() {
    let runtime = runtime(false);
    let guest = load(
        &runtime,
        GuestLimits {
            call_deadline: Some(Duration::from_millis(50)),
            ..GuestLimits::default()
        },
    )
    .unwrap();
    let mut call = guest.instantiate(Arc::new(FakeHost::default())).unwrap();
    let started = Instant::now();
    let err = call.on_invite(&invite("c1", "spin", &[])).unwrap_err();
    assert!(matches!(err, GuestError::Timeout { .. }), "{err}");
    // 50 ms asked; the runtime's own 600 s would hang the test.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_instance_holding_more_wasi_handles_than_its_table_takes_traps() {
    let runtime = runtime(false);
    let guest = load(&runtime, GuestLimits::default()).unwrap();
    let host = Arc::new(FakeHost::default());
    let mut hoarder = guest.instantiate(host.clone()).unwrap();
    let err = hoarder
        .on_invite(&invite("c1", "handles", &[]))
        .unwrap_err();
    assert!(matches!(err, GuestError::Trap { .. }), "{err}");
    let mut fine = guest.instantiate(host.clone()).unwrap();
    fine.on_invite(&invite("c2", "hello", &[])).unwrap();
    assert_eq!(host.log(), ["join c2 ok alice \"entered\"", "answer c2"]);
}

#[test]
fn a_guest_asking_wasi_for_a_mebibyte_of_random_bytes_traps() {
    let runtime = runtime(false);
    let guest = load(&runtime, GuestLimits::default()).unwrap();
    let host = Arc::new(FakeHost::default());
    let mut asker = guest.instantiate(host.clone()).unwrap();
    let err = asker.on_invite(&invite("c1", "random", &[])).unwrap_err();
    assert!(
        err.to_string()
            .contains("requested len 1048576 exceeds limit 65536"),
        "{err}"
    );
    assert_eq!(host.log(), Vec::<String>::new(), "it got no further");
}

#[test]
fn a_guest_is_held_to_its_own_memory_and_cannot_exceed_the_runtimes() {
    let runtime = runtime(false);
    let small = load(
        &runtime,
        GuestLimits {
            memory_bytes: Some(4 << 20),
            ..GuestLimits::default()
        },
    )
    .unwrap();
    let host = Arc::new(FakeHost::default());
    let mut hog = small.instantiate(host.clone()).unwrap();
    let err = hog.on_invite(&invite("c1", "grow", &[])).unwrap_err();
    assert!(matches!(err, GuestError::Trap { .. }), "{err}");
    let mut fine = small.instantiate(host.clone()).unwrap();
    fine.on_invite(&invite("c2", "hello", &[])).unwrap();
    assert_eq!(host.log(), ["join c2 ok alice \"entered\"", "answer c2"]);

    let err = load(
        &runtime,
        GuestLimits {
            memory_bytes: Some(64 << 20),
            ..GuestLimits::default()
        },
    )
    .err()
    .expect("64 MiB is over the runtime's 32");
    assert_eq!(
        err.to_string(),
        "guest misbehave: cannot load: its memory limit (64 MiB) is over the runtime's (32 MiB)"
    );
}

#[test]
fn a_guest_with_a_fuel_budget_is_stopped_when_it_burns_it() {
    let runtime = runtime(true);
    let budgeted = load(
        &runtime,
        GuestLimits {
            fuel: Some(20_000_000),
            ..GuestLimits::default()
        },
    )
    .unwrap();
    let host = Arc::new(FakeHost::default());
    let mut spinner = budgeted.instantiate(host.clone()).unwrap();
    let err = spinner.on_invite(&invite("c1", "spin", &[])).unwrap_err();
    assert!(
        matches!(
            err,
            GuestError::OutOfFuel {
                export: "on-invite",
                ..
            }
        ),
        "{err}"
    );
    // Calls within the budget pass, the same instance again and again.
    let mut call = budgeted.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c2", "hello", &[])).unwrap();
    for _ in 0..20 {
        call.on_event("c2", switchyard_guest::Event::Dtmf('9'))
            .unwrap();
    }
    let unbudgeted = load(&runtime, GuestLimits::default()).unwrap();
    let mut other = unbudgeted.instantiate(host.clone()).unwrap();
    other.on_invite(&invite("c3", "hello", &[])).unwrap();
    assert_eq!(
        host.log(),
        [
            "join c2 ok alice \"entered\"",
            "answer c2",
            "join c3 ok alice \"entered\"",
            "answer c3"
        ]
    );
}

#[test]
fn a_fuel_budget_needs_a_metering_runtime() {
    let err = load(
        &runtime(false),
        GuestLimits {
            fuel: Some(1_000),
            ..GuestLimits::default()
        },
    )
    .err()
    .expect("no metering");
    assert_eq!(
        err.to_string(),
        "guest misbehave: cannot load: it has a fuel budget but the runtime does not meter fuel"
    );
}

#[test]
fn one_call_into_a_guest_makes_at_most_16_record_writes() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(false);
    let guest = runtime
        .load(
            "misbehave",
            &misbehave_wasm(),
            GuestConfig::default().with_records(RecordFiles::new(dir.path()).unwrap()),
        )
        .unwrap();
    let host = Arc::new(FakeHost::default());
    let lines = || {
        std::fs::read_to_string(dir.path().join("flood"))
            .unwrap()
            .lines()
            .count()
    };
    let mut first = guest.instantiate(host.clone()).unwrap();
    first.on_invite(&invite("c1", "records", &[])).unwrap();
    assert_eq!(lines(), 16, "each of 1,000 appends waits for the disk");
    let mut second = guest.instantiate(host.clone()).unwrap();
    second.on_invite(&invite("c2", "records", &[])).unwrap();
    assert_eq!(lines(), 32, "the next call has its own 16");
}

/// The lines of `host`'s log that start with `what`.
fn logged(host: &FakeHost, what: &str) -> usize {
    host.log()
        .iter()
        .filter(|line| line.starts_with(what))
        .count()
}

#[test]
fn one_call_into_a_guest_sends_at_most_1024_messages_and_refused_sends_use_none() {
    let runtime = runtime(false);
    let guest = load(&runtime, GuestLimits::default()).unwrap();
    let host = Arc::new(FakeHost::default());
    let mut first = guest.instantiate(host.clone()).unwrap();
    first.on_invite(&invite("c1", "messages", &[])).unwrap();
    assert_eq!(
        logged(&host, "send-message misbehave c1 c1 "),
        1024,
        "10,000 of 4 KiB asked, after 2,000 refused"
    );
    assert_eq!(logged(&host, "answer c1"), 1, "the guest goes on");
    let mut second = guest.instantiate(host.clone()).unwrap();
    second.on_invite(&invite("c2", "messages", &[])).unwrap();
    assert_eq!(
        logged(&host, "send-message misbehave c2 c2 "),
        1024,
        "the next call has its own"
    );
}

#[test]
fn one_call_into_a_guest_queues_at_most_4096_prompts_and_refused_lists_use_none() {
    let runtime = runtime(false);
    let guest = load(&runtime, GuestLimits::default()).unwrap();
    let host = Arc::new(FakeHost::default());
    let mut first = guest.instantiate(host.clone()).unwrap();
    first.on_invite(&invite("c1", "prompts", &[])).unwrap();
    assert_eq!(
        logged(&host, "play c1 "),
        16,
        "1,000 lists of 256 prompts asked, after 100 refused"
    );
    assert_eq!(logged(&host, "answer c1"), 1, "the guest goes on");
}

#[test]
fn one_call_into_a_guest_starts_at_most_4_recordings() {
    let runtime = runtime(false);
    let guest = load(&runtime, GuestLimits::default()).unwrap();
    let host = Arc::new(FakeHost::default());
    let mut first = guest.instantiate(host.clone()).unwrap();
    first.on_invite(&invite("c1", "recordings", &[])).unwrap();
    assert_eq!(
        logged(&host, "start-recording flood "),
        4,
        "1,000 starts asked, each followed by a stop"
    );
    assert_eq!(logged(&host, "answer c1"), 1, "the guest goes on");
    let mut second = guest.instantiate(host.clone()).unwrap();
    second.on_invite(&invite("c2", "recordings", &[])).unwrap();
    assert_eq!(
        logged(&host, "start-recording flood "),
        8,
        "the next call has its own"
    );
}
