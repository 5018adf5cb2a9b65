//! Rooms, end to end through the real binary: muting a participant over
//! XML-RPC (the `misbehave` guest's `mute`/`unmute`, and the webconference
//! guest's, by room, pin and call tag, as SEMS clients call it), and finished
//! participants leaving a room's list after `rooms.participants_expire_delay_s`
//! (the webconference guest's `roomInfo`).

mod support;

use std::time::{Duration, Instant};
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

/// The `participants_expire_delay_s` of the expiry test's first server; each
/// server after it has twice the one before.
const FIRST_EXPIRE_DELAY: Duration = Duration::from_secs(5);
/// How many servers the expiry test tries before it gives up.
const EXPIRE_TRIES: usize = 3;
/// How long before the delay is over a look-up must be answered to tell
/// whether the participant left too early.
const STILL_LISTED_MARGIN: Duration = Duration::from_millis(500);
/// How long past the delay the removal may come on a loaded machine.
const EXPIRE_MARGIN: Duration = Duration::from_secs(15);

/// Room 123's list as `roomInfo` answers it: its code, how many are listed,
/// the first one's status (-1 if none); then the answer itself.
fn room_123(server: &Server) -> (String, String) {
    let out = python(
        server,
        "r = s.roomInfo('123', '')\n\
         listed = r[2]\n\
         print(r[0], len(listed), listed[0][2] if listed else -1)\n\
         print(repr(r))\n",
    );
    let (summary, answer) = out
        .split_once('\n')
        .unwrap_or_else(|| panic!("expected two lines from roomInfo, got {out:?}"));
    (summary.to_owned(), answer.trim_end().to_owned())
}

/// Asserts that room 123 lists one participant, finished (status 5), if
/// `roomInfo` answered soon enough after `before_bye` for that to be certain:
/// a participant cannot leave before `delay` has passed from its finish,
/// which came after `before_bye`. Whether it answered so.
fn assert_still_listed(server: &Server, before_bye: Instant, delay: Duration) -> bool {
    let (listed, answer) = room_123(server);
    let answered = before_bye.elapsed();
    eprintln!("{answered:?} after the BYE: {answer}");
    if answered + STILL_LISTED_MARGIN >= delay {
        eprintln!(
            "answered too close to the {delay:?} delay: whether the participant left too \
             early is not known"
        );
        return false;
    }
    assert_eq!(
        listed,
        "0 1 5",
        "expected roomInfo {answered:?} after the hang-up to answer 0 with one participant \
         of status 5 (finished) (participants_expire_delay_s = {}), got {answer}",
        delay.as_secs()
    );
    true
}

/// A server whose finished participants leave its rooms after `delay`, and
/// a caller in room 123 that hangs up: the server and when the caller hung
/// up, once the participant was found listed as finished right after the
/// hang-up and again halfway through `delay`; `None` where a look-up was
/// answered too late to tell.
fn hung_up_and_still_listed(delay: Duration) -> Option<(Server, Instant)> {
    let config = format!(
        "{}[rooms]\nparticipants_expire_delay_s = {}\n",
        base_config(),
        delay.as_secs()
    );
    let server = Server::start_with(&config);
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    // The server finishes the participant once the BYE is sent, after this.
    let before_bye = Instant::now();
    phone.hang_up();
    let hung_up = Instant::now();
    if !assert_still_listed(&server, before_bye, delay) {
        return None;
    }
    if let Some(wait) = (delay / 2).checked_sub(before_bye.elapsed()) {
        std::thread::sleep(wait);
    }
    assert_still_listed(&server, before_bye, delay).then_some((server, hung_up))
}

/// Asserts that room 123 of `server` is found empty within `delay` and
/// [`EXPIRE_MARGIN`] of `hung_up`; looked up every 200 ms.
fn assert_gone_after(server: &Server, hung_up: Instant, delay: Duration) {
    let deadline = delay + EXPIRE_MARGIN;
    for _ in 0..500 {
        let (now, answer) = room_123(server);
        if now == "0 0 -1" {
            eprintln!("gone {:?} after the hang-up", hung_up.elapsed());
            return;
        }
        assert!(
            hung_up.elapsed() < deadline,
            "expected the finished participant to leave room 123's list within {deadline:?} \
             of the hang-up (participants_expire_delay_s = {}), still {answer}; log:\n{}",
            delay.as_secs(),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("room 123 was looked up 500 times within {deadline:?} and never found empty");
}

#[test]
fn finished_participants_leave_the_list_after_the_expire_delay() {
    // Where a look-up came too late to tell whether the participant left
    // early (a loaded machine), a new server with twice the delay.
    let mut delay = FIRST_EXPIRE_DELAY;
    let mut tried = Vec::new();
    for _ in 0..EXPIRE_TRIES {
        if let Some((server, hung_up)) = hung_up_and_still_listed(delay) {
            assert_gone_after(&server, hung_up, delay);
            return;
        }
        tried.push(delay);
        delay *= 2;
    }
    panic!(
        "room 123 was looked up too late after the hang-up to tell whether the finished \
         participant was still listed, with each delay tried: {tried:?}"
    );
}
