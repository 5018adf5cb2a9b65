//! Rooms, end to end through the real binary: muting a participant over
//! XML-RPC (the `misbehave` guest's `mute`/`unmute`, and the webconference
//! guest's, by room, pin and call tag, as SEMS clients call it), and finished
//! participants leaving a room's list after `rooms.participants_expire_delay_s`
//! (the webconference guest's `roomInfo`).

mod support;

use std::time::Duration;
use support::audio::power;
use support::phone::Phone;
use support::server::{Server, base_config, misbehave_config};
use support::webconference::{create_room, random_room};
use support::xmlrpc::{python, rpc};

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// The callers in room `ok` and their tones, apart from each other and from
/// each other's harmonics.
const CALLERS: [&str; 3] = ["m1", "m2", "m3"];
const TONES: [f64; 3] = [500.0, 900.0, 1300.0];
/// How long all three talk in each window (before, muted, after).
const WINDOW: Duration = Duration::from_secs(2);
/// What each window's analysis skips: the first 300 ms after a change.
const SKIP_SAMPLES: usize = 2_400;
/// The least analysed samples per window: 1.2 s.
const MIN_ANALYSED: usize = 9_600;
/// A tone that is heard reads about 0.06 (mixing.rs); this is the floor.
const HEARD: f64 = 0.01;
/// A muted tone reads below this, or 1000× below the tones heard with it.
const SILENT: f64 = 1e-4;

/// All three talk for [`WINDOW`]; returns what each heard, less the first
/// [`SKIP_SAMPLES`] (and less what was queued before the window began).
fn talk_window(phones: &[Phone]) -> Vec<Vec<i16>> {
    for phone in phones {
        phone.discard_received();
    }
    std::thread::scope(|scope| {
        let talkers: Vec<_> = phones
            .iter()
            .zip(TONES)
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, WINDOW)))
            .collect();
        talkers
            .into_iter()
            .enumerate()
            .map(|(index, t)| {
                let heard = t.join().unwrap();
                assert!(
                    heard.len() >= SKIP_SAMPLES + MIN_ANALYSED,
                    "expected caller {index} to hear at least {} samples in a window, heard {}",
                    SKIP_SAMPLES + MIN_ANALYSED,
                    heard.len()
                );
                heard[SKIP_SAMPLES..].to_vec()
            })
            .collect()
    })
}

/// The power of every caller's tone in what caller `listener` heard.
fn powers(heard: &[Vec<i16>], listener: usize) -> [f64; 3] {
    TONES.map(|tone| power(&heard[listener], tone))
}

/// Asserts that `listener` hears caller `talker` (`heard`), or does not.
fn check(window: &str, heard: &[Vec<i16>], listener: usize, talker: usize, expected: bool) {
    let all = powers(heard, listener);
    let theirs = all[talker];
    let shown: Vec<String> = TONES
        .iter()
        .zip(all)
        .map(|(tone, p)| format!("{tone} Hz: {p:.2e}"))
        .collect();
    eprintln!("{window}: caller {listener} hears {}", shown.join(", "));
    if expected {
        assert!(
            theirs > HEARD,
            "{window}: expected caller {listener} to hear caller {talker} above {HEARD}, got {all:?}"
        );
    } else {
        let loudest_other = (0..3)
            .filter(|&c| c != talker && c != listener)
            .map(|c| all[c])
            .fold(0.0, f64::max);
        assert!(
            theirs < SILENT || theirs * 1000.0 < loudest_other,
            "{window}: expected caller {listener} not to hear muted caller {talker} (below \
             {SILENT} or 1000x below the others), got {all:?}"
        );
    }
}

/// Three callers talk in three windows: before `mute` (a Python XML-RPC
/// expression muting the first caller), while muted, and after `unmute`.
fn mute_and_unmute_the_first_caller(server: &Server, phones: Vec<Phone>, mute: &str, unmute: &str) {
    let before = talk_window(&phones);
    let answer = rpc(server, mute);
    assert!(
        answer.starts_with("[0, 'OK', "),
        "expected {mute} to answer [0, 'OK', info], got {answer}"
    );
    let during = talk_window(&phones);
    let answer = rpc(server, unmute);
    assert!(
        answer.starts_with("[0, 'OK', "),
        "expected {unmute} to answer [0, 'OK', info], got {answer}"
    );
    let after = talk_window(&phones);

    for listener in 1..3 {
        check("before mute", &before, listener, 0, true);
        check("muted", &during, listener, 0, false);
        check("after unmute", &after, listener, 0, true);
        // The other unmuted caller stays heard throughout.
        let other = 3 - listener;
        check("muted", &during, listener, other, true);
    }
    // A muted participant still hears the room.
    check("muted", &during, 0, 1, true);
    check("muted", &during, 0, 2, true);
    for phone in phones {
        phone.hang_up();
    }
}

#[test]
fn a_muted_participant_is_not_heard_until_unmuted() {
    let server = Server::start_with(&misbehave_config());
    // Any Request-URI user the misbehave guest does not treat specially joins room `ok`.
    let phones: Vec<Phone> = CALLERS
        .iter()
        .map(|caller| Phone::call(server.sip, "conference", caller, &[]))
        .collect();
    let muted = server.call_id_of(CALLERS[0], DEADLINE);
    mute_and_unmute_the_first_caller(
        &server,
        phones,
        &format!("s.mute({muted:?})"),
        &format!("s.unmute({muted:?})"),
    );
}

#[test]
fn webconference_mute_by_call_tag_silences_the_caller_until_unmute() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let phones: Vec<Phone> = CALLERS
        .iter()
        .map(|caller| Phone::call(server.sip, &format!("000777{room}"), caller, &[]))
        .collect();
    let tag = server.call_id_of(CALLERS[0], DEADLINE);
    mute_and_unmute_the_first_caller(
        &server,
        phones,
        &format!("s.mute({room:?}, {pin:?}, {tag:?})"),
        &format!("s.unmute({room:?}, {pin:?}, {tag:?})"),
    );
}

/// Looks up room 123 right away, then every 50 ms until its list is empty
/// (at most 20 s); prints the first answer's code, list length and first
/// participant's status (-1 if none), the first answer, and after how many
/// seconds the list was empty (None if it never was).
const WATCH_ROOM_123: &str = r#"
first = s.roomInfo("123", "")
started = time.monotonic()
gone = None
for _ in range(600):
    if time.monotonic() - started > 20:
        break
    if not s.roomInfo("123", "")[2]:
        gone = time.monotonic() - started
        break
    time.sleep(0.05)
listed = first[2]
print(first[0], len(listed), listed[0][2] if listed else -1)
print(repr(first))
print(repr(gone))
"#;

#[test]
fn finished_participants_leave_the_list_after_the_expire_delay() {
    let config = format!(
        "{}[rooms]\nparticipants_expire_delay_s = 5\n",
        base_config()
    );
    let server = Server::start_with(&config);
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    phone.hang_up();
    let out = python(&server, WATCH_ROOM_123);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "expected three lines from the watcher:\n{out}"
    );
    eprintln!(
        "right after the hang-up: {}; gone after {} s",
        lines[1], lines[2]
    );
    assert_eq!(
        lines[0], "0 1 5",
        "expected roomInfo right after the hang-up to answer 0 with one participant of \
         status 5 (finished), got {}",
        lines[1]
    );
    assert_ne!(
        lines[2],
        "None",
        "expected the finished participant to leave room 123's list within 20 s \
         (participants_expire_delay_s = 5); log:\n{}",
        server.log()
    );
}
