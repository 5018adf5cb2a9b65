//! The nway guest's MeetMe-style rooms, end to end with test phones: each
//! option is checked by what the phones hear or by the SIP outcome (a BYE,
//! a caller let in or not), and the admin functions over XML-RPC.

mod support;

use std::time::{Duration, Instant};
use support::audio::{peak_power, power};
use support::nway::{
    DEADLINE, answer_in_background, assert_hears, assert_never_hears, assert_not_hears,
    await_listed, await_locked, last_second, nway_config, press, talk_together,
};
use support::phone::{Listening, Phone};
use support::server::Server;
use support::xmlrpc::{python, rpc};
use switchyard_media::DtmfReceiver;

/// The participants' tones.
const TONES: [f64; 4] = [600.0, 900.0, 1150.0, 1450.0];
/// The notes of the music on hold (C5 E5 G5).
const MUSIC: [f64; 3] = [523.25, 659.25, 783.99];
/// Music at least this strong is heard (its notes come and go within a second).
const MUSIC_HEARD: f64 = 0.004;
/// How long each check talks.
const TALK: Duration = Duration::from_secs(2);

/// The rooms the tests use: 100 is marked (`A`) or admin (`a`) where it matters.
const ROOMS: &str = r#"
[guests.nway.config.rooms.201]
options = "wq1"
callers = { "100" = "A" }
[guests.nway.config.rooms.202]
options = "xq1"
callers = { "100" = "A" }
[guests.nway.config.rooms.203]
options = "q1T"
callers = { "301" = "m", "302" = "t" }
[guests.nway.config.rooms.204]
options = "sq1"
max_members = 3
callers = { "100" = "a" }
[guests.nway.config.rooms.205]
pin = "4321"
options = "q1"
[guests.nway.config.rooms.206]
options = "Mpq1"
[guests.nway.config.rooms.207]
options = "Fq1"
[guests.nway.config.rooms.208]
options = "q1"
callers = { "300" = "M" }
[guests.nway.config.rooms.209]
options = "sq1"
callers = { "300" = "w", "100" = "A" }
[guests.nway.config.rooms.211]
options = "q1"
callers = { "300" = "r" }
[guests.nway.config.rooms.212]
options = "MXq1"
max_members = 2
[guests.nway.config.rooms.213]
options = "Mq"
"#;

fn server() -> Server {
    Server::start_with(&nway_config("", ROOMS))
}

/// The music's strength in the last second of `heard`.
fn music(heard: &[i16]) -> f64 {
    MUSIC.iter().map(|&note| last_second(heard, note)).sum()
}

/// Asserts that the music heard at `before` stopped in `heard`: a tenth of it at most.
fn assert_music_stopped(heard: &[i16], before: f64) {
    let after = music(heard);
    assert!(
        after < before / 10.0,
        "the music stops: {after:.2e} against {before:.2e}"
    );
}

/// A caller enters `room` (through the access number `8<room>`) as `number`.
/// `caller` is hung up, and the server logs it refused from `room` for `why`.
fn assert_refused(server: &Server, caller: &Phone, room: &str, number: &str, why: &str) {
    assert!(
        caller.await_bye(DEADLINE),
        "{number}, refused from {room} ({why}), is hung up"
    );
    server
        .wait_for_log(&format!("room {room}: {number} refused: {why}"), DEADLINE)
        .expect("the refusal is logged");
}

/// 300 and then 301 entering `room`, once both are listed in it.
fn two_in(server: &Server, room: &str) -> (Phone, Phone) {
    let first = enter(server, room, "300");
    let second = enter(server, room, "301");
    await_listed(server, room, &["300", "301"]);
    (first, second)
}

/// 300 and 301 in room 212, then 301 gone out to invite (`0`): 300 alone listed.
fn one_gone_out_inviting(server: &Server) -> (Phone, Phone) {
    let (staying, inviting) = two_in(server, "212");
    press(&inviting, "0");
    await_listed(server, "212", &["300"]);
    (staying, inviting)
}

fn enter(server: &Server, room: &str, number: &str) -> Phone {
    Phone::call(server.sip, &format!("8{room}"), number, &[])
}

#[test]
fn a_caller_waiting_for_the_marked_user_hears_music_until_it_joins() {
    let server = server();
    let waiting = enter(&server, "201", "300");
    // "Please wait for the conference leader to join", then music.
    let heard = waiting.talk(TONES[0], Duration::from_secs(6));
    let before = music(&heard);
    eprintln!("the waiting caller hears music at {before:.2e}");
    assert!(
        before > MUSIC_HEARD,
        "expected music while waiting, got {before:.2e}"
    );

    let marked = enter(&server, "201", "100");
    let heard = talk_together(&[&waiting, &marked], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "the waiting caller once the marked user is in",
    );
    assert_hears(&heard[1], TONES[0], "the marked user");
    assert_music_stopped(&heard[0], before);
}

#[test]
fn everyone_gets_a_bye_when_the_last_marked_user_leaves() {
    let server = server();
    let marked = enter(&server, "202", "100");
    let others = [enter(&server, "202", "300"), enter(&server, "202", "301")];
    let heard = talk_together(&[&marked, &others[0]], &TONES[..2], TALK);
    assert_hears(&heard[1], TONES[0], "a participant with the marked user");
    marked.hang_up();
    for (index, phone) in others.iter().enumerate() {
        assert!(phone.await_bye(DEADLINE), "participant {index} gets a BYE");
    }
}

#[test]
fn a_listen_only_participant_is_never_heard_and_a_talk_only_one_hears_nothing() {
    let server = server();
    let phones = [
        enter(&server, "203", "300"),
        enter(&server, "203", "301"),
        enter(&server, "203", "302"),
    ];
    let [normal, listen_only, talk_only] = &phones;
    let heard = talk_together(&[normal, listen_only, talk_only], &TONES[..3], TALK);
    assert_hears(
        &heard[0],
        TONES[2],
        "the ordinary participant (the talk-only one)",
    );
    assert_never_hears(
        &heard[0],
        TONES[1],
        "the ordinary participant (the listen-only one)",
    );
    assert_hears(&heard[1], TONES[0], "the listen-only participant");
    assert_hears(&heard[1], TONES[2], "the listen-only participant");
    assert_never_hears(&heard[2], TONES[0], "the talk-only participant");
    assert_never_hears(&heard[2], TONES[1], "the talk-only participant");
    // Option T: who talks is logged, with the level.
    let line = server
        .wait_for_log("room 203: ", DEADLINE)
        .expect("talkers are logged in a room with option T");
    assert!(
        line.contains(" talks (") && line.contains("dBov)"),
        "{line}"
    );
}

#[test]
fn the_star_menu_mutes_and_an_admin_locks_and_kicks_the_last_joined() {
    let server = server();
    let admin = enter(&server, "204", "100");
    await_listed(&server, "204", &["100"]);
    let member = enter(&server, "204", "300");
    await_listed(&server, "204", &["100", "300"]);
    press(&member, "*1");
    let heard = talk_together(&[&admin, &member], &TONES[..2], Duration::from_secs(3));
    assert_not_hears(&heard[0], TONES[1], "the admin, the member muted");
    assert_hears(&heard[1], TONES[0], "the member muted, the admin");
    press(&member, "*1");
    let heard = talk_together(&[&admin, &member], &TONES[..2], Duration::from_secs(3));
    assert_hears(&heard[0], TONES[1], "the admin, the member unmuted");

    // *2 locks: the next caller hears why and is hung up; unlocked, one gets in.
    press(&admin, "*2");
    await_locked(&server, "204", true);
    let refused = enter(&server, "204", "301");
    let told = refused.talk(0.0, Duration::from_millis(1500));
    let loudest = told.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(
        loudest > 1000,
        "the refused caller hears why (loudest sample {loudest})"
    );
    assert_refused(&server, &refused, "204", "301", "locked");
    press(&admin, "*2");
    await_locked(&server, "204", false);
    let last = enter(&server, "204", "302");
    await_listed(&server, "204", &["100", "300", "302"]);
    let heard = talk_together(&[&admin, &last], &[TONES[0], TONES[2]], TALK);
    assert_hears(&heard[1], TONES[0], "a caller once the room is unlocked");

    // The room holds 3: a fourth is refused as full.
    let full = enter(&server, "204", "303");
    assert_refused(&server, &full, "204", "303", "full");

    // *3 kicks the last joined.
    press(&admin, "*3");
    assert!(last.await_bye(DEADLINE), "the last joined is kicked");
    let heard = talk_together(&[&admin, &member], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "the admin still hears the member");
}

#[test]
fn a_pin_protected_room_takes_only_its_pin() {
    let server = server();
    let inside = enter(&server, "205", "300");
    press(&inside, "4321#");
    let caller = enter(&server, "205", "301");
    press(&caller, "1111#");
    let heard = talk_together(&[&inside, &caller], &TONES[..2], TALK);
    assert_not_hears(&heard[0], TONES[1], "a participant, the caller's pin wrong");
    press(&caller, "4321#");
    let heard = talk_together(&[&inside, &caller], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "a participant, the caller's pin right");
    assert_hears(&heard[1], TONES[0], "the caller let in");
    let wrong = enter(&server, "205", "302");
    for _ in 0..3 {
        press(&wrong, "9#");
    }
    assert!(wrong.await_bye(DEADLINE), "three wrong pins hang up");
}

#[test]
fn a_pin_entry_left_empty_uses_a_try_but_not_the_sources_allowance() {
    let server = Server::start_with(&nway_config("pin_failures_per_source = 2", ROOMS));
    let hesitant = enter(&server, "205", "310");
    // Three empty entries use up the call's pin_attempts (3)...
    press(&hesitant, "###");
    assert!(
        hesitant.await_bye(DEADLINE),
        "the caller out of tries is hung up"
    );
    // ...but no wrong pin came from its address: the next call is answered.
    let next = enter(&server, "205", "311");
    press(&next, "4321#");
    await_listed(&server, "205", &["311"]);
}

#[test]
fn wrong_pins_from_one_source_lock_it_out_across_calls_until_they_age_out() {
    // Long enough for the hang-up's prompts and a new call within it: the
    // failures are kept in whole seconds, so one may age out up to a second
    // early.
    let window = Duration::from_secs(10);
    let server = Server::start_with(&nway_config(
        "pin_failures_per_source = 3\npin_failures_window_s = 10",
        ROOMS,
    ));
    let guessing = enter(&server, "205", "310");
    let first_failure = Instant::now();
    press(&guessing, "1#");
    press(&guessing, "2#");
    let second = enter(&server, "205", "311");
    // The third wrong pin from this address, in another call, locks it out:
    // that call is hung up before its own pin_attempts (3) run out.
    press(&second, "3#");
    assert!(
        second.await_bye(DEADLINE),
        "the caller whose wrong pin reached the source's limit is hung up"
    );
    let mut refused = Phone::dial(server.sip, "8205", "312", &[]);
    assert_eq!(
        refused.await_answer(),
        403,
        "a new call from a locked-out source is refused; log:\n{}",
        server.log()
    );
    server
        .wait_for_log("too many wrong pins from there; 403", DEADLINE)
        .unwrap();
    // The lock-out expires with the failures.
    std::thread::sleep(window.saturating_sub(first_failure.elapsed()) + Duration::from_secs(1));
    let inside = enter(&server, "205", "313");
    press(&inside, "4321#");
    let late = enter(&server, "205", "314");
    press(&late, "4321#");
    let heard = talk_together(&[&inside, &late], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "the caller let in once the lock-out expired",
    );
}

#[test]
fn admin_functions_list_mute_kick_lock_and_merge_rooms() {
    let server = server();
    let phones = [
        enter(&server, "301", "300"),
        enter(&server, "301", "301"),
        enter(&server, "302", "302"),
    ];
    await_listed(&server, "301", &["300", "301"]);
    await_listed(&server, "302", &["302"]);
    // Members are listed in the order they joined the room, which need not
    // be the order their calls were answered in: name them by number.
    let members = python(
        &server,
        "for m in s.nway.listMembers('301')['members']: print(m['number'], m['call'])",
    );
    let members: Vec<(&str, &str)> = members
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    assert_eq!(members.len(), 2, "two members in room 301: {members:?}");
    let second = members
        .iter()
        .find(|(number, _)| *number == "301")
        .map(|(_, call)| *call)
        .unwrap_or_else(|| panic!("301 is listed in room 301: {members:?}"));
    assert_eq!(rpc(&server, "s.nway.count('301')"), "2");
    assert_eq!(
        rpc(
            &server,
            "sorted((r['room'], r['members']) for r in s.nway.listRooms()['rooms'])"
        ),
        "[('301', 2), ('302', 1)]"
    );

    assert_eq!(
        rpc(&server, &format!("s.nway.mute('301', '{second}')")),
        "1"
    );
    let heard = talk_together(&[&phones[0], &phones[1]], &TONES[..2], TALK);
    assert_not_hears(
        &heard[0],
        TONES[1],
        "a participant, the other muted by the admin",
    );
    assert_eq!(rpc(&server, "s.nway.unmuteAll('301')"), "2");
    let heard = talk_together(&[&phones[0], &phones[1]], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "a participant, the other unmuted");

    // Room 302 merged into 301: its participant hears the others.
    assert_eq!(rpc(&server, "s.nway.merge('302', '301')"), "1");
    let heard = talk_together(&[&phones[0], &phones[2]], &[TONES[0], TONES[2]], TALK);
    assert_hears(&heard[1], TONES[0], "the merged participant");
    assert_hears(&heard[0], TONES[2], "a participant of the room merged into");

    let faults = python(
        &server,
        "for call in ['s.nway.count(\"999\")', 's.nway.kick(\"301\", \"c0\")', 's.nway.count()', 's.nway.nothing()', 's.nway.merge(\"301\", \"\")']:\n\
         \x20   try:\n        eval(call)\n    except xmlrpc.client.Fault as f:\n        print(f.faultCode, f.faultString)\n",
    );
    let faults: Vec<&str> = faults.lines().collect();
    assert_eq!(faults.len(), 5, "{faults:?}");
    assert!(
        faults[0].starts_with("404 nobody is in room 999"),
        "{faults:?}"
    );
    assert!(
        faults[1].starts_with("404 c0 is not in room 301"),
        "{faults:?}"
    );
    assert!(
        faults[2].starts_with("300 count: expected 1 arguments"),
        "{faults:?}"
    );
    assert!(
        faults[3].starts_with("504 unknown method name"),
        "{faults:?}"
    );
    assert!(
        faults[4].starts_with("300 \"\" is no room name"),
        "a merge into no room is refused, not answered 0: {faults:?}"
    );

    // Locked by the API: a new caller is refused; unlocked, one gets in and
    // is kicked alone.
    assert_eq!(rpc(&server, "s.nway.lock('301')"), "1");
    let refused = enter(&server, "301", "303");
    assert!(
        refused.await_bye(DEADLINE),
        "a caller to a locked room is hung up"
    );
    assert_eq!(rpc(&server, "s.nway.unlock('301')"), "1");
    let late = enter(&server, "301", "304");
    await_listed(&server, "301", &["300", "301", "302", "304"]);
    let late_call = python(
        &server,
        "print([m['call'] for m in s.nway.listMembers('301')['members'] if m['number'] == '304'][0])",
    );
    assert_eq!(
        rpc(
            &server,
            &format!("s.nway.kick('301', '{}')", late_call.trim())
        ),
        "1"
    );
    assert!(
        late.await_bye(DEADLINE),
        "the kicked participant gets a BYE"
    );

    assert_eq!(rpc(&server, "s.nway.muteAll('301')"), "3");
    let heard = talk_together(&[&phones[0], &phones[1]], &TONES[..2], TALK);
    assert_not_hears(&heard[0], TONES[1], "a participant, everyone muted");
    assert_not_hears(&heard[1], TONES[0], "a participant, everyone muted");

    assert_eq!(rpc(&server, "s.nway.kickAll('301')"), "3");
    for (index, phone) in phones.iter().enumerate() {
        assert!(phone.await_bye(DEADLINE), "participant {index} is kicked");
    }
}

/// Mutes the member of `room` whose number is `number` through the host's REST API; its call.
fn mute_through_the_hosts_api(server: &Server, room: &str, number: &str) -> String {
    let call = member_call(server, room, number);
    assert_eq!(
        rest(
            server,
            &format!("print(rest('POST', '/api/v1/rooms/{room}/participants/{call}/mute')[2])")
        ),
        "True"
    );
    call
}

/// The marked user 100 joins room 209, where `waiting` (300), muted while it waited, and
/// `inside` (301) are: asserts that the room does not hear `waiting` (`unheard` says who
/// would) and that `waiting` hears the room (`hearing` says who does).
fn assert_muted_once_the_marked_user_is_in(
    server: &Server,
    [waiting, inside]: [&Phone; 2],
    unheard: &str,
    hearing: &str,
) {
    let marked = enter(server, "209", "100");
    await_listed(server, "209", &["100", "300", "301"]);
    let heard = talk_together(&[waiting, inside, &marked], &TONES[..3], TALK);
    assert_not_hears(&heard[1], TONES[0], unheard);
    assert_hears(&heard[0], TONES[1], hearing);
}

/// `inviting` abandons the number it was typing (`*`): asserts that it is back in `room`,
/// listed with `listed`, and not hung up (`why` says so).
fn assert_back_from_inviting(
    server: &Server,
    inviting: &Phone,
    room: &str,
    listed: &[&str],
    why: &str,
) {
    press(inviting, "*");
    await_listed(server, room, listed);
    assert!(!inviting.await_bye(Duration::from_secs(1)), "{why}");
}

/// The call of the member of `room` whose number is `number`.
fn member_call(server: &Server, room: &str, number: &str) -> String {
    python(
        server,
        &format!(
            "print([m['call'] for m in s.nway.listMembers('{room}')['members'] if m['number'] == '{number}'][0])"
        ),
    )
    .trim()
    .to_owned()
}

#[test]
fn a_member_muted_by_the_admin_cannot_unmute_itself_and_star_3_spares_admins() {
    let server = server();
    let member = enter(&server, "204", "300");
    await_listed(&server, "204", &["300"]);
    let admin = enter(&server, "204", "100");
    await_listed(&server, "204", &["100", "300"]);
    // The admin joined last: `*3` would kick itself, so it kicks nobody.
    press(&admin, "*3");
    assert!(
        !member.await_bye(Duration::from_secs(2)),
        "the member is not kicked when the admin joined last; log:\n{}",
        server.log()
    );
    let muted = member_call(&server, "204", "300");
    assert_eq!(rpc(&server, &format!("s.nway.mute('204', '{muted}')")), "1");
    // Each press would toggle a self-mute; neither undoes the admin's.
    press(&member, "*1");
    press(&member, "*1");
    let heard = talk_together(&[&admin, &member], &TONES[..2], TALK);
    assert_not_hears(&heard[0], TONES[1], "the admin, the member muted by it");
    assert_eq!(
        rpc(&server, &format!("s.nway.unmute('204', '{muted}')")),
        "1"
    );
    let heard = talk_together(&[&admin, &member], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "the admin, the member unmuted by it");
}

#[test]
fn a_merge_keeps_listen_only_and_talk_only_participants_so() {
    let server = server();
    let phones = [
        enter(&server, "203", "300"),
        enter(&server, "203", "301"),
        enter(&server, "203", "302"),
    ];
    await_listed(&server, "203", &["300", "301", "302"]);
    assert_eq!(rpc(&server, "s.nway.merge('203', '299')"), "3");
    let heard = talk_together(&[&phones[0], &phones[1], &phones[2]], &TONES[..3], TALK);
    assert_hears(&heard[1], TONES[0], "the listen-only participant, merged");
    assert_not_hears(
        &heard[0],
        TONES[1],
        "a participant, the listen-only one merged with it",
    );
    assert_hears(
        &heard[0],
        TONES[2],
        "a participant, the talk-only one merged with it",
    );
    assert_not_hears(&heard[2], TONES[0], "the talk-only participant, merged");
}

#[test]
fn a_merge_moving_the_marked_user_first_leaves_nobody_waiting_for_it() {
    let server = server();
    let marked = enter(&server, "209", "100");
    await_listed(&server, "209", &["100"]);
    let waits = enter(&server, "209", "300");
    await_listed(&server, "209", &["100", "300"]);
    // The marked user moves first; 300 (option w) came with it, so it does
    // not wait, and hears.
    assert_eq!(rpc(&server, "s.nway.merge('209', '298')"), "2");
    let heard = talk_together(&[&marked, &waits], &TONES[..2], TALK);
    assert_hears(
        &heard[1],
        TONES[0],
        "a `w` participant merged with the marked user",
    );
    assert_hears(&heard[0], TONES[1], "the marked user, merged");
}

#[test]
fn a_participant_the_admin_muted_while_it_waited_stays_muted_once_the_marked_user_is_in() {
    let server = server();
    let (waiting, inside) = two_in(&server, "209");
    let call = member_call(&server, "209", "300");
    assert_eq!(rpc(&server, &format!("s.nway.mute('209', '{call}')")), "1");
    assert_muted_once_the_marked_user_is_in(
        &server,
        [&waiting, &inside],
        "the room, the one the admin muted while it waited",
        "the one the admin muted, no longer waiting",
    );
}

#[test]
fn the_admin_cannot_unmute_a_participant_waiting_for_the_marked_user() {
    let server = server();
    let (waiting, inside) = two_in(&server, "209");
    let call = member_call(&server, "209", "300");
    let fault = python(
        &server,
        &format!(
            "try:\n    s.nway.unmute('209', '{call}')\nexcept xmlrpc.client.Fault as f:\n    print(f.faultCode, f.faultString)\n"
        ),
    );
    assert!(fault.starts_with("409 "), "{fault}");
    assert_eq!(
        rpc(&server, "s.nway.unmuteAll('209')"),
        "1",
        "only the participant not waiting"
    );
    let heard = talk_together(&[&inside, &waiting], &TONES[..2], TALK);
    assert_not_hears(&heard[0], TONES[1], "a participant, the other waiting");
}

#[test]
fn a_waiting_participant_waits_again_once_the_marked_user_leaves() {
    let server = server();
    let waiting = enter(&server, "209", "300");
    let inside = enter(&server, "209", "301");
    let marked = enter(&server, "209", "100");
    let heard = talk_together(&[&inside, &waiting], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "a participant, the marked user in");
    marked.hang_up();
    // "Please wait for the conference leader", then music; muted meanwhile.
    let heard = talk_together(&[&inside, &waiting], &TONES[..2], Duration::from_secs(4));
    assert_not_hears(&heard[0], TONES[1], "a participant, the marked user gone");
    assert_not_hears(&heard[1], TONES[0], "the participant waiting again");
}

#[test]
fn a_room_number_that_leads_nowhere_is_asked_again() {
    let server = server();
    let inside = enter(&server, "205", "300");
    press(&inside, "4321#");
    let caller = Phone::call(server.sip, "8", "301", &[]);
    // `#` alone names no room (any number names one: rooms need not be listed).
    press(&caller, "#");
    assert!(
        !caller.await_bye(Duration::from_secs(2)),
        "a room number that leads nowhere is asked again"
    );
    press(&caller, "205#");
    press(&caller, "4321#");
    let heard = talk_together(&[&inside, &caller], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "a participant, the caller in at its second try",
    );
    let hesitant = Phone::call(server.sip, "8", "302", &[]);
    for _ in 0..3 {
        press(&hesitant, "#");
    }
    assert!(
        hesitant.await_bye(DEADLINE),
        "three numbers leading nowhere hang up"
    );
}

#[test]
fn a_room_number_of_more_keys_than_an_entry_takes_is_asked_again() {
    let server = server();
    let caller = Phone::call(server.sip, "8", "301", &[]);
    // 33 keys: no room, though dynamic rooms would take the first 32 as one.
    press(&caller, &format!("{}#", "3".repeat(33)));
    press(&caller, "208#");
    // Asked again, the caller gets into the room it names next: it never
    // joined the room of the first 32 keys.
    await_listed(&server, "208", &["301"]);
}

#[test]
fn a_rooms_recording_ends_with_its_conference() {
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("{ROOMS}[recording]\ndir = \"{}\"\n", dir.path().display());
    let server = Server::start_with(&nway_config("", &tables));
    let recorded = enter(&server, "211", "300");
    recorded.talk(TONES[0], TALK);
    recorded.hang_up();
    server
        .wait_for_log("recording complete", DEADLINE)
        .expect("the recording ends when the last participant leaves");
    let stop = || {
        python(
            &server,
            "try:\n    print(s.nway.stopRecording('211'))\nexcept xmlrpc.client.Fault as f:\n    print(f.faultCode)\n",
        )
        .trim()
        .to_owned()
    };
    assert_eq!(stop(), "409", "nothing is being recorded any more");
    // The next conference, whose caller has no `r`, is not recorded.
    let next = enter(&server, "211", "301");
    next.talk(TONES[1], TALK);
    assert_eq!(stop(), "409", "the next conference is not recorded");
}

#[test]
fn a_recording_started_and_stopped_by_the_api_holds_the_mixed_tones() {
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("[recording]\ndir = \"{}\"\n", dir.path().display());
    let server = Server::start_with(&nway_config("", &tables));
    let phones = [enter(&server, "401", "300"), enter(&server, "401", "301")];
    assert_eq!(
        rpc(&server, "s.nway.startRecording('401', 'board')"),
        "'board.wav'",
        "the name it is listed and served by"
    );
    talk_together(&[&phones[0], &phones[1]], &TONES[..2], TALK);
    assert_eq!(rpc(&server, "s.nway.stopRecording('401')"), "1");
    server
        .wait_for_log("recording complete", DEADLINE)
        .expect("the recording completes");
    let mut reader = hound::WavReader::open(dir.path().join("board.wav")).unwrap();
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    assert!(
        samples.len() >= 8_000,
        "at least a second: {}",
        samples.len()
    );
    let middle = &samples[samples.len() / 2 - 4_000..samples.len() / 2 + 4_000];
    for tone in &TONES[..2] {
        let level = power(middle, *tone);
        assert!(level > 0.01, "the recording holds {tone} Hz: {level:.2e}");
    }
}

#[test]
fn a_lone_participant_hears_music_and_the_hash_key_leaves() {
    let server = server();
    let first = enter(&server, "206", "300");
    let alone = music(&first.talk(TONES[0], TALK));
    assert!(
        alone > MUSIC_HEARD,
        "expected music while alone, got {alone:.2e}"
    );
    let second = enter(&server, "206", "301");
    let heard = talk_together(&[&first, &second], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "the first participant, no longer alone",
    );
    assert_music_stopped(&heard[0], alone);
    press(&second, "#");
    assert!(second.await_bye(DEADLINE), "# leaves the room");
    let again = music(&first.talk(TONES[0], TALK));
    assert!(
        again > MUSIC_HEARD,
        "the music is back once alone again: {again:.2e}"
    );
}

#[test]
fn a_caller_naming_no_room_gets_an_empty_one_and_sets_its_pin() {
    let server = Server::start_with(&nway_config("conference_options = \"eDq1\"", ""));
    let first = enter(&server, "", "300");
    press(&first, "55#");
    // The first empty room is 9000.
    await_listed(&server, "9000", &["300"]);
    let second = enter(&server, "9000", "301");
    press(&second, "12#");
    let heard = talk_together(&[&first, &second], &TONES[..2], TALK);
    assert_not_hears(
        &heard[0],
        TONES[1],
        "the first caller, the second's pin wrong",
    );
    press(&second, "55#");
    let heard = talk_together(&[&first, &second], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "the first caller, the second let in by the pin it set",
    );
    let third = enter(&server, "", "302");
    press(&third, "#");
    // The next caller naming no room gets the next empty one.
    await_listed(&server, "9001", &["302"]);
}

#[test]
fn keys_pressed_in_a_room_with_option_f_reach_the_others() {
    let server = server();
    let (presser, listener) = (enter(&server, "207", "300"), enter(&server, "207", "301"));
    // Answered before it is listed: a key pressed before then reaches nobody.
    await_listed(&server, "207", &["300", "301"]);
    listener.discard_received();
    let received = std::thread::scope(|scope| {
        scope.spawn(|| press(&presser, "57#"));
        listener.receive(Duration::from_secs(3))
    });
    let mut receiver = DtmfReceiver::new();
    let keys: String = received
        .iter()
        .filter(|packet| packet.is_event())
        .filter_map(|event| {
            receiver
                .receive(1, event.timestamp, &event.payload)
                .unwrap()
        })
        .collect();
    assert_eq!(
        keys, "57#",
        "the other participant gets the keys as RFC 4733 events"
    );
}

#[test]
fn music_for_a_lone_participant_follows_its_own_option() {
    let server = server();
    let with_music = enter(&server, "208", "300");
    let leaving = enter(&server, "208", "301");
    leaving.hang_up();
    let alone = music(&with_music.talk(TONES[0], TALK));
    assert!(
        alone > MUSIC_HEARD,
        "300 (option M) alone hears music: {alone:.2e}"
    );

    let without_music = enter(&server, "208", "302");
    await_listed(&server, "208", &["300", "302"]);
    with_music.hang_up();
    let alone = music(&without_music.talk(TONES[0], TALK));
    assert!(
        alone < MUSIC_HEARD / 10.0,
        "302 (no option M) alone hears no music: {alone:.2e}"
    );
}

#[test]
fn the_music_of_one_alone_ends_with_its_conference() {
    let server = server();
    let with_music = enter(&server, "208", "300");
    let alone = music(&with_music.talk(TONES[0], TALK));
    assert!(
        alone > MUSIC_HEARD,
        "300 (option M) alone hears music: {alone:.2e}"
    );
    with_music.hang_up();
    // The room stays open, empty, for the next conference.
    await_listed(&server, "208", &[]);

    // A call the control API dials into the room has no flow of the guest
    // that could stop the music: the conference's end stopped it.
    let callee = Listening::new();
    let uri = callee.uri("400");
    let answering = answer_in_background(callee);
    let placed = rest(
        &server,
        &format!("print(rest('POST', '/api/v1/rooms/208/dialout', {{'uri': '{uri}'}})[0])"),
    );
    assert_eq!(placed, "200", "the dial-out is placed");
    let dialled = answering.join().unwrap();
    let heard = music(&dialled.talk(TONES[1], TALK));
    assert!(
        heard < MUSIC_HEARD / 10.0,
        "a call dialled into the room hears no music: {heard:.2e}"
    );
    dialled.hang_up();
    await_listed(&server, "208", &[]);

    let next = enter(&server, "208", "302");
    await_listed(&server, "208", &["302"]);
    let heard = music(&next.talk(TONES[1], TALK));
    assert!(
        heard < MUSIC_HEARD / 10.0,
        "302 (no option M), alone in the next conference, hears no music: {heard:.2e}"
    );
}

/// The tone `only_person` plays in [`only_person_then_music_for_one_alone`].
const ONLY_PERSON_TONE: f64 = 1000.0;

/// A server whose `only_person` is [`ONLY_PERSON_TONE`] (which no note of
/// the music shares) for `samples` at 8 kHz, in the directory returned with it.
fn only_person_server(samples: u32) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(dir.path().join("only_person.wav"), spec).unwrap();
    for n in 0..samples {
        let phase = 2.0 * std::f64::consts::PI * ONLY_PERSON_TONE * f64::from(n) / 8_000.0;
        wav.write_sample((phase.sin() * 8_000.0) as i16).unwrap();
    }
    wav.finalize().unwrap();
    let media = format!("[media]\nprompts_dir = \"{}\"\n", dir.path().display());
    let config = nway_config("", ROOMS).replacen("[media]\n", &media, 1);
    (Server::start_with(&config), dir)
}

/// The last second of `during` is `only_person` (`who`: the one alone, as it
/// hears it) with no music over it.
fn assert_only_person_without_music(during: &[i16], who: &str) {
    assert_hears(during, ONLY_PERSON_TONE, who);
    let music_during = music(during);
    assert!(
        music_during < MUSIC_HEARD / 10.0,
        "no music over only_person: {music_during:.2e}"
    );
}

/// The last second of `after`, heard by 300 once `only_person` is over, is
/// music and no longer the prompt.
fn assert_music_after_only_person(after: &[i16]) {
    assert_not_hears(after, ONLY_PERSON_TONE, "300, only_person over");
    let music_after = music(after);
    assert!(
        music_after > MUSIC_HEARD,
        "music once only_person is over: {music_after:.2e}"
    );
}

#[test]
fn only_person_then_music_for_one_alone() {
    // `only_person` lasts 4 s: the second half of the first 1.5 s is within
    // it, and the last second of the next 5 s well after it.
    let (server, _prompts) = only_person_server(32_000);
    let alone = enter(&server, "213", "300");
    let during = alone.talk(0.0, Duration::from_millis(1_500));
    assert_only_person_without_music(&during, "300, alone, hearing only_person");
    let after = alone.talk(0.0, Duration::from_secs(5));
    assert_music_after_only_person(&after);
}

#[test]
fn one_joining_and_leaving_during_only_person_leaves_the_music_until_it_ends() {
    // `only_person` lasts 12 s: the second caller comes and goes, and the
    // second after is heard, well within it even on a loaded machine.
    let (server, _prompts) = only_person_server(96_000);
    let alone = enter(&server, "213", "300");
    let passing = enter(&server, "213", "301");
    await_listed(&server, "213", &["300", "301"]);
    passing.hang_up();
    await_listed(&server, "213", &["300"]);
    let during = alone.talk(0.0, Duration::from_secs(1));
    assert_only_person_without_music(&during, "300, alone again, hearing only_person");
    // Its last second comes at least 12 s after 300 entered: the prompt is over.
    let after = alone.talk(0.0, Duration::from_secs(12));
    assert_music_after_only_person(&after);
}

#[test]
fn a_room_name_longer_than_the_host_takes_is_no_such_conference() {
    let server = server();
    let mut too_long = Phone::dial(server.sip, &format!("8{}", "1".repeat(65)), "300", &[]);
    assert_eq!(too_long.await_answer(), 404, "65 characters name no room");
    let longest = "2".repeat(64);
    let mut caller = Phone::dial(server.sip, &format!("8{longest}"), "301", &[]);
    assert_eq!(caller.await_answer(), 200, "64 characters name a room");
    await_listed(&server, &longest, &["301"]);
    let log = server.log();
    assert!(
        !log.contains("cannot join room"),
        "no join fails on a room name:\n{log}"
    );
}

#[test]
fn a_caller_waiting_for_the_marked_user_cannot_unmute_itself() {
    let server = server();
    let waiting = enter(&server, "209", "300");
    let inside = enter(&server, "209", "301");
    press(&waiting, "*1");
    press(&waiting, "*1");
    let heard = talk_together(&[&waiting, &inside], &TONES[..2], TALK);
    assert_not_hears(&heard[1], TONES[0], "the room, the other caller waiting");

    // The two presses left it unmuted: it is heard once the marked user is in.
    let marked = enter(&server, "209", "100");
    let heard = talk_together(&[&waiting, &inside, &marked], &TONES[..3], TALK);
    assert_hears(&heard[1], TONES[0], "the room, the marked user in");
}

#[test]
fn a_rooms_pin_and_lock_end_with_its_last_participant() {
    let server = Server::start_with(&nway_config("conference_options = \"Dq1\"", ROOMS));
    let setter = enter(&server, "500", "300");
    press(&setter, "55#");
    setter.hang_up();
    // The next caller opens the room anew: asked for a new pin, it sets none.
    let opener = enter(&server, "500", "301");
    press(&opener, "#");
    await_listed(&server, "500", &["301"]);
    let joining = enter(&server, "500", "302");
    let heard = talk_together(&[&opener, &joining], &TONES[..2], TALK);
    assert_hears(
        &heard[0],
        TONES[1],
        "the room's opener, the next caller let in without a pin",
    );

    // Room 204 locked by its admin, who then leaves: the next callers get in.
    let admin = enter(&server, "204", "100");
    press(&admin, "*2");
    await_locked(&server, "204", true);
    admin.hang_up();
    let phones = [enter(&server, "204", "300"), enter(&server, "204", "301")];
    let heard = talk_together(&[&phones[0], &phones[1]], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "a caller of the room its locker left");
    assert_hears(&heard[1], TONES[0], "a caller of the room its locker left");
}

#[test]
fn a_pin_of_more_keys_than_an_entry_takes_is_wrong_though_it_begins_with_the_pin() {
    let keys = "conference_options = \"Dq1\"\npin_attempts = 1";
    let server = Server::start_with(&nway_config(keys, ROOMS));
    let pin = "5".repeat(32);
    let setter = enter(&server, "500", "300");
    press(&setter, &format!("{pin}#"));
    await_listed(&server, "500", &["300"]);
    let guesser = enter(&server, "500", "301");
    press(&guesser, &format!("{pin}5#"));
    assert!(
        guesser.await_bye(DEADLINE),
        "33 keys are a wrong pin: the one try is used up"
    );
    await_listed(&server, "500", &["300"]);
}

#[test]
fn a_member_out_inviting_keeps_its_place_and_the_one_left_alone_hears_music() {
    let server = server();
    let (staying, inviting) = two_in(&server, "212");
    press(&inviting, "0");
    let alone = music(&staying.talk(TONES[0], TALK));
    assert!(
        alone > MUSIC_HEARD,
        "300 (option M), left alone while 301 is out inviting, hears music: {alone:.2e}"
    );

    // Room 212 takes two: the one out inviting keeps its place.
    let third = enter(&server, "212", "302");
    assert_refused(&server, &third, "212", "302", "full");

    // `*` abandons the number: 301 is back, and the music stops.
    press(&inviting, "*");
    let heard = talk_together(&[&staying, &inviting], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "300, 301 back from inviting");
    assert_music_stopped(&heard[0], alone);
}

#[test]
fn a_merge_that_brings_company_stops_the_music_of_one_alone() {
    let server = server();
    let alone = enter(&server, "206", "300");
    let before = music(&alone.talk(TONES[0], TALK));
    assert!(before > MUSIC_HEARD, "alone in 206: {before:.2e}");
    let merged = enter(&server, "211", "301");
    await_listed(&server, "211", &["301"]);
    assert_eq!(rpc(&server, "s.nway.merge('211', '206')"), "1");
    let heard = talk_together(&[&alone, &merged], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "300, the merged participant in");
    assert_music_stopped(&heard[0], before);
}

/// How many are listed in `room` ("0" for a room nobody is in).
fn count(server: &Server, room: &str) -> String {
    let script = format!(
        "try:\n    print(s.nway.count('{room}'))\nexcept xmlrpc.client.Fault:\n    print(0)\n"
    );
    python(server, &script).trim().to_owned()
}

#[test]
fn a_new_pin_is_awaited_from_the_end_of_its_prompt_and_never_set_by_a_time_out() {
    let server = Server::start_with(&nway_config("conference_options = \"Dq1\"", ""));
    // `enter_new_pin` lasts 6.6 s: keys 11 s after the answer are in time.
    let setter = enter(&server, "500", "300");
    setter.talk(0.0, Duration::from_secs(11));
    press(&setter, "55#");
    await_listed(&server, "500", &["300"]);
    let second = enter(&server, "500", "301");
    second.talk(0.0, Duration::from_secs(2));
    assert_eq!(
        count(&server, "500"),
        "1",
        "the pin set is asked of the next caller"
    );

    // Nothing typed: the time-out asks again, and sets no pin.
    let hesitating = enter(&server, "501", "302");
    hesitating.talk(0.0, Duration::from_secs(18));
    assert_eq!(count(&server, "501"), "0", "no room opened without a pin");
    assert!(
        !hesitating.await_bye(Duration::from_millis(100)),
        "the caller is asked again"
    );
}

#[test]
fn a_merge_brings_members_out_inviting_back_to_the_room_merged_into() {
    let server = server();
    let (staying, inviting) = one_gone_out_inviting(&server);
    assert_eq!(rpc(&server, "s.nway.merge('212', '208')"), "2");
    press(&inviting, "*");
    await_listed(&server, "208", &["300", "301"]);
    let heard = talk_together(&[&staying, &inviting], &TONES[..2], TALK);
    assert_hears(&heard[0], TONES[1], "300, 301 back in the room merged into");
}

/// A server with `conference_options`, where 300 named no room and holds 9000, the first
/// empty one, asked for a new pin; and 301, having entered 9000, listed there alone. The
/// phones of 300 and 301.
fn one_typing_a_pin_and_one_in_its_room(conference_options: &str) -> (Server, Phone, Phone) {
    let server = Server::start_with(&nway_config(
        &format!("conference_options = \"{conference_options}\""),
        "",
    ));
    let typing = enter(&server, "", "300");
    let member = enter(&server, "9000", "301");
    press(&member, "#");
    await_listed(&server, "9000", &["301"]);
    (server, typing, member)
}

#[test]
fn a_caller_typing_a_pin_in_the_room_it_picked_is_no_member_of_its_conference() {
    // The room's conference is over but for the one typing: 301 opens it anew.
    let (server, typing, _member) = one_typing_a_pin_and_one_in_its_room("eDq1");
    let other = enter(&server, "", "302");
    press(&other, "#");
    await_listed(&server, "9001", &["302"]);
    assert_eq!(rpc(&server, "s.nway.merge('9000', '9001')"), "1");
    await_listed(&server, "9001", &["301", "302"]);
    let heard = talk_together(&[&typing, &other], &TONES[..2], TALK);
    assert_not_hears(
        &heard[0],
        TONES[1],
        "300, typing a pin, of the room merged into",
    );
    press(&typing, "55#");
    await_listed(&server, "9000", &["300"]);
}

#[test]
fn without_dynamic_rooms_option_e_picks_only_a_free_configured_room() {
    let room = "[guests.nway.config.rooms.9001]\noptions = \"q1\"\n";
    let server = Server::start_with(&nway_config(
        "dynamic_rooms = false\nconference_options = \"eq1\"",
        room,
    ));
    let _first = enter(&server, "", "300");
    await_listed(&server, "9001", &["300"]);
    let mut second = Phone::dial(server.sip, "8", "301", &[]);
    assert_eq!(
        second.await_answer(),
        486,
        "no free configured room is left"
    );
}

#[test]
fn callers_options_apply_only_to_calls_from_a_trusted_proxy_once_one_is_set() {
    let server = Server::start_with(&nway_config("trusted_proxies = \"192.0.2.1\"", ROOMS));
    let _caller = enter(&server, "204", "100");
    await_listed(&server, "204", &["100"]);
    assert_eq!(
        rpc(
            &server,
            "[m['options'] for m in s.nway.listMembers('204')['members']]"
        ),
        "['qs1']",
        "100's admin option is for calls through the trusted proxy only"
    );
}

/// Waits up to `timeout` for the BYE of each of `phones` at once: which got one.
fn byes(phones: &[Phone], timeout: Duration) -> Vec<bool> {
    std::thread::scope(|scope| {
        let waits: Vec<_> = phones
            .iter()
            .map(|phone| scope.spawn(move || phone.await_bye(timeout)))
            .collect();
        waits.into_iter().map(|w| w.join().unwrap()).collect()
    })
}

/// Which of `numbers` the server logs refused from `room` as full.
fn refused_as_full<'a>(server: &Server, room: &str, numbers: &[&'a str]) -> Vec<&'a str> {
    let log = server.log();
    numbers
        .iter()
        .copied()
        .filter(|number| log.contains(&format!("room {room}: {number} refused: full")))
        .collect()
}

#[test]
fn callers_entering_at_once_never_fill_a_room_past_its_size() {
    let server = server();
    for round in 0..5 {
        let numbers: Vec<String> = (0..6).map(|n| format!("3{round}{n}")).collect();
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        // Sent together: each caller's flow judges the room while the others join it.
        let mut callers: Vec<Phone> = numbers
            .iter()
            .map(|number| Phone::dial(server.sip, "8204", number, &[]))
            .collect();
        for caller in &mut callers {
            assert_eq!(caller.await_answer(), 200, "round {round}: answered");
        }
        // A refusal is logged as its flow judges, before its prompt and BYE.
        server.await_value(
            &format!("round {round}: the callers refused as room 204 is full"),
            &3,
            DEADLINE,
            || refused_as_full(&server, "204", &numbers).len(),
        );
        assert_eq!(
            count(&server, "204"),
            "3",
            "round {round}: room 204 holds its max_members, 3; log:\n{}",
            server.log()
        );
        let refused = refused_as_full(&server, "204", &numbers);
        let admitted: Vec<&str> = numbers
            .iter()
            .copied()
            .filter(|number| !refused.contains(number))
            .collect();
        await_listed(&server, "204", &admitted);
        for (caller, number) in callers.into_iter().zip(&numbers) {
            if refused.contains(number) {
                assert!(
                    caller.await_bye(DEADLINE),
                    "round {round}: {number}, turned away, is hung up"
                );
            } else {
                caller.hang_up();
            }
        }
        await_listed(&server, "204", &[]);
    }
}

#[test]
fn wrong_pins_guessed_at_once_from_one_source_all_count_against_it() {
    // 18 calls at once (the test server's RTP ports are for 20), each guessing its three
    // tries as fast as it can: 54 wrong pins, 52 allowed. The source is locked out only if
    // at most two of them go uncounted.
    let server = Server::start_with(&nway_config("pin_failures_per_source = 52", ROOMS));
    let mut guessing: Vec<Phone> = (0..18)
        .map(|n| Phone::dial(server.sip, "8205", &format!("4{n:02}"), &[]))
        .collect();
    for phone in &mut guessing {
        assert_eq!(phone.await_answer(), 200, "each guesser is asked the pin");
    }
    // The guesses reach the guest together, each call's in its own flow.
    std::thread::scope(|scope| {
        for phone in &guessing {
            scope.spawn(move || press(phone, "9#9#9#"));
        }
    });
    let hung_up = byes(&guessing, DEADLINE);
    assert!(
        hung_up.iter().all(|&bye| bye),
        "each guesser is hung up, out of tries or locked out: {hung_up:?}"
    );
    let mut next = Phone::dial(server.sip, "8205", "499", &[]);
    assert_eq!(
        next.await_answer(),
        403,
        "54 wrong pins at once lock the source out (52 allowed); log:\n{}",
        server.log()
    );
}

#[test]
fn admin_functions_count_lock_and_kick_members_out_inviting() {
    let server = server();
    let (staying, inviting) = one_gone_out_inviting(&server);
    assert_eq!(
        count(&server, "212"),
        "2",
        "the member out inviting counts, as it does against max_members"
    );
    assert_eq!(
        rpc(
            &server,
            "[m['number'] for m in s.nway.listMembers('212')['out']]"
        ),
        "['301']",
        "the member out inviting is listed apart"
    );
    assert_eq!(rpc(&server, "s.nway.kickAll('212')"), "2");
    assert!(staying.await_bye(DEADLINE), "the one in the room is kicked");
    assert!(
        inviting.await_bye(DEADLINE),
        "the one out inviting is kicked too, not left to come back"
    );
    await_listed(&server, "212", &[]);

    // The only member is out inviting: the room is still its conference's.
    let alone = enter(&server, "212", "302");
    await_listed(&server, "212", &["302"]);
    press(&alone, "0");
    await_listed(&server, "212", &[]);
    assert_eq!(rpc(&server, "s.nway.lock('212')"), "1");
    let refused = enter(&server, "212", "303");
    assert_refused(&server, &refused, "212", "303", "locked");
    let away = python(
        &server,
        "print(s.nway.listMembers('212')['out'][0]['call'])",
    );
    assert_eq!(
        rpc(&server, &format!("s.nway.kick('212', '{}')", away.trim())),
        "1"
    );
    assert!(
        alone.await_bye(DEADLINE),
        "the member out inviting is kicked"
    );
}

/// Runs `body` against `server` with its REST API (`rest(method, path)`); what it printed.
fn rest(server: &Server, body: &str) -> String {
    support::rest::rest_script(server, body).trim().to_owned()
}

#[test]
fn the_hosts_own_lock_refuses_a_member_coming_back_and_a_caller_with_a_prompt() {
    let server = server();
    let (staying, inviting) = one_gone_out_inviting(&server);
    assert_eq!(
        rest(&server, "print(rest('PUT', '/api/v1/rooms/212/lock')[2])"),
        "True"
    );
    // `*` abandons the number: the room the host locked does not take 301 back.
    press(&inviting, "*");
    server
        .wait_for_log("may not come back: locked by the host", DEADLINE)
        .expect("the refusal is logged");
    assert!(inviting.await_bye(DEADLINE), "301 is hung up once told");
    assert!(
        !server.log().contains("ended before it joined"),
        "301's call was not ending; log:\n{}",
        server.log()
    );
    let caller = enter(&server, "212", "302");
    assert_refused(&server, &caller, "212", "302", "locked by the host");
    await_listed(&server, "212", &["300"]);
    staying.hang_up();
}

#[test]
fn a_mute_set_through_the_hosts_api_outlasts_a_trip_out_inviting() {
    let server = server();
    let (muted, other) = two_in(&server, "212");
    let call = mute_through_the_hosts_api(&server, "212", "300");
    press(&muted, "0");
    await_listed(&server, "212", &["301"]);
    press(&muted, "*");
    await_listed(&server, "212", &["300", "301"]);
    let script = format!(
        "print([p['muted'] for p in s.switchyard.room('212')['participants'] if p['call'] == '{call}'])"
    );
    // Listed anew as it comes back, then muted again.
    server.await_value("300 muted", &"[True]".to_owned(), DEADLINE, || {
        python(&server, &script).trim().to_owned()
    });
    let heard = talk_together(&[&muted, &other], &TONES[..2], TALK);
    assert_not_hears(&heard[1], TONES[0], "301, 300 muted through the host's API");
}

#[test]
fn the_room_hears_a_member_leave_to_invite_and_nothing_of_one_never_let_in() {
    let server = Server::start_with(&nway_config(
        "",
        "[guests.nway.config.rooms.213]\noptions = \"X1\"\ncallers = { \"300\" = \"w\" }\n",
    ));
    // The join sound is 880 Hz then 1320 Hz for 120 ms each, the drop sound the
    // other way round: the strongest 60 ms of either tone tells them.
    let strongest = |heard: &[i16]| {
        [880.0, 1320.0]
            .iter()
            .map(|&hz| peak_power(heard, hz))
            .fold(0.0, f64::max)
    };
    let listening = enter(&server, "213", "301");
    let inviting = enter(&server, "213", "302");
    await_listed(&server, "213", &["301", "302"]);
    // Past 302's join sound.
    listening.talk(0.0, Duration::from_secs(1));
    let heard = std::thread::scope(|scope| {
        let heard = scope.spawn(|| listening.talk(0.0, Duration::from_secs(2)));
        std::thread::sleep(Duration::from_millis(300));
        press(&inviting, "0");
        heard.join().unwrap()
    });
    let level = strongest(&heard);
    assert!(
        level > support::nway::HEARD,
        "301 hears 302 leave to invite: {level:.2e}"
    );

    // 300 waits for a marked user, unheard: its join is not announced, nor its leave.
    let waiting = enter(&server, "213", "300");
    await_listed(&server, "213", &["300", "301"]);
    // What the room sent 301 since 300 called waits in 301's socket: a join
    // sound would be read in this second.
    let joining = strongest(&listening.talk(0.0, Duration::from_secs(1)));
    let heard = std::thread::scope(|scope| {
        let heard = scope.spawn(|| listening.talk(0.0, Duration::from_secs(2)));
        std::thread::sleep(Duration::from_millis(300));
        waiting.hang_up();
        heard.join().unwrap()
    });
    let leaving = strongest(&heard);
    eprintln!("301 hears 300 join at {joining:.2e}, leave at {leaving:.2e}");
    assert!(
        joining < support::nway::NOT_HEARD,
        "301 hears nothing of 300, never let in, joining: {joining:.2e}"
    );
    assert!(
        leaving < support::nway::NOT_HEARD,
        "301 hears nothing of 300, never let in, leaving: {leaving:.2e}"
    );
}

#[test]
fn a_merge_into_a_room_the_host_locked_moves_nobody_out_inviting_or_not() {
    let server = server();
    let (_staying, inviting) = one_gone_out_inviting(&server);
    let _other = enter(&server, "208", "302");
    await_listed(&server, "208", &["302"]);
    assert_eq!(
        rest(&server, "print(rest('PUT', '/api/v1/rooms/208/lock')[2])"),
        "True"
    );
    let fault = python(
        &server,
        "try:\n    print(s.nway.merge('212', '208'))\nexcept xmlrpc.client.Fault as f:\n    print(f.faultCode, f.faultString)\n",
    );
    assert!(
        fault.starts_with("409 room 208 is locked by the host"),
        "{fault}"
    );
    // 301 is back in its own room, which takes it.
    assert_back_from_inviting(
        &server,
        &inviting,
        "212",
        &["300", "301"],
        "301 was not sent to the locked room",
    );
}

#[test]
fn a_merge_of_members_out_inviting_into_no_room_name_is_refused() {
    let server = server();
    let inviting = enter(&server, "212", "300");
    await_listed(&server, "212", &["300"]);
    press(&inviting, "0");
    await_listed(&server, "212", &[]);
    let faults = python(
        &server,
        "for into in ['', '..', 'r' * 65]:\n\
         \x20   try:\n        print(s.nway.merge('212', into))\n    except xmlrpc.client.Fault as f:\n        print(f.faultCode)\n",
    );
    assert_eq!(
        faults.lines().collect::<Vec<_>>(),
        ["300", "300", "300"],
        "no member out inviting is sent where it could never come back"
    );
    assert_back_from_inviting(
        &server,
        &inviting,
        "212",
        &["300"],
        "300 is back in its own room",
    );
}

#[test]
fn the_last_marked_user_leaving_closes_the_room_of_a_member_with_x_out_inviting() {
    let server = Server::start_with(&nway_config(
        "",
        "[guests.nway.config.rooms.214]\noptions = \"q1\"\ncallers = { \"300\" = \"A\", \"301\" = \"xX\" }\n",
    ));
    let (marked, inviting) = two_in(&server, "214");
    press(&inviting, "0");
    await_listed(&server, "214", &["300"]);
    marked.hang_up();
    server
        .wait_for_log("room 214: the last marked user left; closing it", DEADLINE)
        .expect("the room of 301 (option x) closes");
    press(&inviting, "*");
    assert!(
        inviting.await_bye(DEADLINE),
        "301, out inviting as its room closed, is hung up as it comes back"
    );
}

#[test]
fn a_caller_typing_the_pin_of_the_room_it_picked_is_no_company() {
    let (_server, _typing, member) = one_typing_a_pin_and_one_in_its_room("eD1M");
    let alone = music(&member.talk(TONES[1], TALK));
    assert!(
        alone > MUSIC_HEARD,
        "301, alone but for a caller typing a pin, hears music: {alone:.2e}"
    );
}

#[test]
fn a_mute_set_through_the_hosts_api_while_one_waits_outlasts_the_wait() {
    let server = server();
    let (waiting, inside) = two_in(&server, "209");
    mute_through_the_hosts_api(&server, "209", "300");
    assert_muted_once_the_marked_user_is_in(
        &server,
        [&waiting, &inside],
        "the room, 300 muted through the host's API while it waited",
        "300, no longer waiting",
    );
}
