//! The nway guest end to end: a server routing every call to it, callers
//! and callees, and what they hear.

use super::audio::{peak_power, power};
use super::phone::{Listening, Phone};
use super::server::{Server, base_config};
use super::xmlrpc::python;
use std::time::Duration;

/// How long anything the tests wait for may take.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// One second of 8 kHz audio.
const SECOND: usize = 8_000;
/// What a window's first 300 ms may hold of before it, while the room's
/// jitter buffer fills: the samples [`assert_never_hears`] skips.
const SETTLING: usize = 2_400;
/// A tone at least this strong is heard.
pub const HEARD: f64 = 0.01;
/// A tone at most this strong is not.
pub const NOT_HEARD: f64 = 0.001;

/// [`base_config`] with every call and control function routed to the
/// embedded nway guest, whose config table holds `keys` (lines of
/// `key = value`) and is followed by `tables` (e.g. room profiles). Unless
/// `keys` set them, joins and leaves are quiet and nobody hears "only
/// person" (`escalated_options = "Xq1"`, `conference_options = "q1"`), so
/// what a phone hears is the others' tones.
pub fn nway_config(keys: &str, tables: &str) -> String {
    let mut table = String::new();
    for (key, value) in [("escalated_options", "Xq1"), ("conference_options", "q1")] {
        if !keys.lines().any(|line| line.trim_start().starts_with(key)) {
            table.push_str(&format!("{key} = \"{value}\"\n"));
        }
    }
    format!(
        "{}[routing]\nguest = \"nway\"\n[guests.nway]\n[guests.nway.config]\n{table}{keys}\n{tables}",
        base_config()
    )
}

/// A `directory` entry for each (number, callee).
pub fn directory(callees: &[(&str, &Listening)]) -> String {
    let entries: Vec<String> = callees
        .iter()
        .map(|(number, callee)| format!("\"{number}\" = \"{}\"", callee.uri(number)))
        .collect();
    format!("directory = {{ {} }}", entries.join(", "))
}

/// Presses `keys` one after the other, 120 ms apart (the phone sends
/// silence in between, as a phone's stream goes on).
pub fn press(phone: &Phone, keys: &str) {
    for key in keys.chars() {
        phone.send_dtmf(key);
        phone.talk(0.0, Duration::from_millis(120));
    }
}

/// Every phone talks its tone for `duration` at once; what each heard.
pub fn talk_together(phones: &[&Phone], tones: &[f64], duration: Duration) -> Vec<Vec<i16>> {
    std::thread::scope(|scope| {
        let talkers: Vec<_> = phones
            .iter()
            .zip(tones)
            .map(|(phone, &tone)| scope.spawn(move || phone.talk(tone, duration)))
            .collect();
        talkers.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// The power of `tone` in the last second of `heard`.
pub fn last_second(heard: &[i16], tone: f64) -> f64 {
    assert!(
        heard.len() >= SECOND,
        "expected a second of audio at least, heard {} samples",
        heard.len()
    );
    power(&heard[heard.len() - SECOND..], tone)
}

/// Asserts that `who` heard `tone` in its last second.
pub fn assert_hears(heard: &[i16], tone: f64, who: &str) {
    let level = last_second(heard, tone);
    eprintln!("{who} hears {tone} Hz at {level:.2e}");
    assert!(
        level > HEARD,
        "expected {who} to hear {tone} Hz above {HEARD}, got {level:.2e}"
    );
}

/// Asserts that `who` did not hear `tone` in its last second.
pub fn assert_not_hears(heard: &[i16], tone: f64, who: &str) {
    let level = last_second(heard, tone);
    eprintln!("{who} hears {tone} Hz at {level:.2e}");
    assert!(
        level < NOT_HEARD,
        "expected {who} not to hear {tone} Hz (below {NOT_HEARD}), got {level:.2e}"
    );
}

/// Asserts that `who` heard `tone` in no 60 ms of `heard` once the room's
/// jitter buffer settled: not a moment of it, where [`assert_not_hears`]
/// looks at the last second only.
pub fn assert_never_hears(heard: &[i16], tone: f64, who: &str) {
    assert!(
        heard.len() >= SETTLING + SECOND,
        "expected {who} to hear {} samples at least, heard {}",
        SETTLING + SECOND,
        heard.len()
    );
    let level = peak_power(&heard[SETTLING..], tone);
    eprintln!("{who} hears {tone} Hz at {level:.2e} at most");
    assert!(
        level < NOT_HEARD,
        "expected {who} never to hear {tone} Hz (below {NOT_HEARD}), got {level:.2e}"
    );
}

/// A callee answering on its own thread: the phone once it answered.
pub fn answer_in_background(callee: Listening) -> std::thread::JoinHandle<Phone> {
    std::thread::spawn(move || callee.answer(DEADLINE))
}

/// Waits until exactly `numbers` are listed in `room` (in any order; none
/// for a room not open). The guest answers a caller before it joins the
/// room, so only the listing says it is in, and which joined last.
pub fn await_listed(server: &Server, room: &str, numbers: &[&str]) {
    let mut expected: Vec<String> = numbers.iter().map(|n| format!("'{n}'")).collect();
    expected.sort();
    let expected = format!("[{}]", expected.join(", "));
    let script = format!(
        "try:\n    print(sorted(m['number'] for m in s.nway.listMembers('{room}')['members']))\n\
         except xmlrpc.client.Fault:\n    print([])\n"
    );
    server.await_value(
        &format!("the members of room {room}"),
        &expected,
        DEADLINE,
        || python(server, &script).trim().to_owned(),
    );
}

/// Waits until `room` is `locked` or not (a lock by key is handled after
/// the key arrives).
pub fn await_locked(server: &Server, room: &str, locked: bool) {
    let script = format!(
        "print([r['locked'] for r in s.nway.listRooms()['rooms'] if r['room'] == '{room}'])"
    );
    let expected = if locked { "[True]" } else { "[False]" }.to_owned();
    server.await_value(
        &format!("room {room} locked: {locked}"),
        &expected,
        DEADLINE,
        || python(server, &script).trim().to_owned(),
    );
}
