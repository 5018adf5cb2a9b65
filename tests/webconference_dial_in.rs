//! The webconference guest's dial-in, end to end through the real binary:
//! room entry by keypad (RFC 4733) with its bounds (attempts, time-outs, the
//! per-source limit on refused entries), the sounds and the lonely-user timer
//! of a room, predefined rooms and `room_pin_split`.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::audio::{peak_power, rms};
use support::phone::Phone;
use support::rest::host_rooms;
use support::server::{Server, base_config};
use support::webconference::{create_room, random_room, server_with, wait_for_participant, wc};
use support::xmlrpc::{python, rpc};

/// How long a call waits for its BYE after the goodbye prompt starts: the
/// prompt takes about 3 s.
const BYE_WAIT: Duration = Duration::from_secs(15);
/// The pause between two key presses.
const KEY_GAP: Duration = Duration::from_millis(120);
/// The tone the listening phone sends, away from the sounds' 880 and 1320 Hz.
const TALK_HZ: f64 = 400.0;
/// A sound heard reads about 0.16 (amplitude 0.4); silence reads ~0.
const HEARD: f64 = 0.01;

/// Presses `keys` one after the other.
fn press(phone: &Phone, keys: &str) {
    for key in keys.chars() {
        phone.send_dtmf(key);
        std::thread::sleep(KEY_GAP);
    }
}

/// Calls the non-direct number 100 as `caller` and waits until its media runs.
fn call_for_room_entry(server: &Server, caller: &str) -> Phone {
    let phone = Phone::call(server.sip, "100", caller, &[]);
    std::thread::sleep(Duration::from_millis(300));
    phone
}

/// Polls `roomInfo(room, pin)` until `caller` is listed; returns its entry as
/// a Python literal.
fn await_participant(server: &Server, room: &str, pin: &str, caller: &str) -> String {
    wait_for_participant(
        server,
        room,
        pin,
        &format!("p[1] == '<sip:{caller}@127.0.0.1>'"),
    )
}

/// Listens on `phone` (sending [`TALK_HZ`]) until the server's BYE, at most
/// [`BYE_WAIT`]; returns whether it came and what was heard meanwhile.
fn listen_until_bye(phone: &Phone) -> (bool, Vec<i16>) {
    std::thread::scope(|scope| {
        let bye = scope.spawn(|| phone.await_bye(BYE_WAIT));
        let mut heard = Vec::new();
        while !bye.is_finished() {
            heard.extend(phone.talk(TALK_HZ, Duration::from_millis(200)));
        }
        (bye.join().unwrap(), heard)
    })
}

/// Asserts a goodbye: something (the `wrong_pin_bye` prompt) is heard, then
/// the server's BYE comes.
fn assert_goodbye(server: &Server, phone: &Phone, why: &str) {
    let (bye, heard) = listen_until_bye(phone);
    assert!(
        bye,
        "expected a BYE within {BYE_WAIT:?} {why}; log:\n{}",
        server.log()
    );
    let level = rms(&heard);
    eprintln!("{why}: heard {} samples at RMS {level:.4}", heard.len());
    assert!(
        level > 0.01,
        "expected a goodbye prompt before the BYE {why}, heard RMS {level}"
    );
}

#[test]
fn a_caller_types_the_room_number_and_enters_that_room() {
    let server = server_with("");
    let phone = call_for_room_entry(&server, "alice");
    press(&phone, "4711#");
    let listed = await_participant(&server, "4711", "", "alice");
    assert!(
        listed.contains("'entered'"),
        "expected alice listed in room 4711 with reason 'entered', got {listed}"
    );
    phone.hang_up();
}

#[test]
fn a_phone_without_telephone_event_types_the_room_number_in_band() {
    let server = server_with("");
    let phone = Phone::call_without_events(server.sip, "100", "inband");
    std::thread::sleep(Duration::from_millis(300));
    for key in "4712#".chars() {
        phone.press_inband(key);
    }
    let listed = await_participant(&server, "4712", "", "inband");
    assert!(
        listed.contains("'entered'"),
        "expected the caller listed in room 4712 with reason 'entered', got {listed}"
    );
    phone.hang_up();
}

#[test]
fn a_wrong_room_then_the_right_one() {
    let server = server_with("private_rooms = true\n");
    let pin = create_room(&server, "555");
    let phone = call_for_room_entry(&server, "bob");
    press(&phone, "999#");
    press(&phone, "555#");
    let listed = await_participant(&server, "555", &pin, "bob");
    assert!(
        listed.contains("'entered'"),
        "expected bob listed in room 555 with reason 'entered', got {listed}"
    );
    let missing = rpc(&server, "s.roomInfo('999', '')");
    assert!(
        missing.starts_with("[1, 'wrong adminpin or inexisting room'"),
        "expected the wrong room 999 not to exist with private rooms, got {missing}"
    );
    phone.hang_up();
}

#[test]
fn an_entry_longer_than_32_digits_is_refused_not_cut_to_another_room() {
    let server = server_with("");
    let phone = call_for_room_entry(&server, "carol");
    // Cut to its first 32 digits it would name a room of its own, and the
    // caller would be in it; refused, it is asked again.
    press(&phone, &format!("{}#", "1".repeat(33)));
    press(&phone, "4711#");
    let listed = await_participant(&server, "4711", "", "carol");
    assert!(listed.contains("'entered'"), "{listed}");
    phone.hang_up();
}

#[test]
fn too_many_wrong_rooms_end_with_a_goodbye_and_a_bye() {
    let server = server_with("private_rooms = true\nmax_room_attempts = 3\n");
    let phone = call_for_room_entry(&server, "carol");
    press(&phone, "1#2#");
    // Two failures leave the call up, asking again.
    assert!(
        !phone.await_bye(Duration::from_secs(1)),
        "expected no BYE after two of three attempts; log:\n{}",
        server.log()
    );
    press(&phone, "3#");
    assert_goodbye(&server, &phone, "after three wrong rooms");
}

#[test]
fn max_room_attempts_0_sets_no_bound_on_room_entries() {
    // More wrong rooms than the default bound of 3 attempts, and fewer than
    // the default per-source limit of 10 refused entries, which would end the
    // call too.
    const WRONG: u32 = 5;
    let server = server_with("private_rooms = true\nmax_room_attempts = 0\n");
    let pin = create_room(&server, "556");
    let phone = call_for_room_entry(&server, "bill");
    for wrong in 1..=WRONG {
        press(&phone, &format!("99{wrong}#"));
    }
    // A bound would have said goodbye at its last attempt: its BYE follows the
    // prompt (about 3 s) that began while the last wrong rooms were typed.
    assert!(
        !phone.await_bye(Duration::from_secs(5)),
        "expected no BYE after {WRONG} wrong rooms with max_room_attempts = 0; log:\n{}",
        server.log()
    );
    press(&phone, "556#");
    let listed = await_participant(&server, "556", &pin, "bill");
    assert!(
        listed.contains("'entered'"),
        "expected bill listed in room 556 after {WRONG} wrong rooms, got {listed}"
    );
    phone.hang_up();
}

#[test]
fn an_entry_with_nothing_typed_times_out() {
    let server = server_with("room_entry_digit_timeout = 1\nroom_entry_timeout = 0\n");
    let phone = call_for_room_entry(&server, "dave");
    let started = Instant::now();
    assert_goodbye(&server, &phone, "after nothing was typed");
    // enter_pin plays first (about 5 s); the digit time-out runs from its end.
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "expected the digit time-out to run from the end of enter_pin, BYE after {:?}",
        started.elapsed()
    );
}

#[test]
fn the_whole_entry_times_out_even_while_keys_are_pressed() {
    let server = server_with("room_entry_digit_timeout = 0\nroom_entry_timeout = 2\n");
    let phone = call_for_room_entry(&server, "erin");
    let goodbye = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // One key a second until the goodbye, never ending the entry: a time-out each key
        // put off would never come.
        scope.spawn(|| {
            let started = Instant::now();
            while !goodbye.load(Ordering::Relaxed) && started.elapsed() < BYE_WAIT {
                press(&phone, "1");
                std::thread::sleep(Duration::from_millis(900));
            }
        });
        assert_goodbye(&server, &phone, "after the room entry time-out");
        goodbye.store(true, Ordering::Relaxed);
    });
}

#[test]
fn a_digit_time_out_after_digits_ends_the_entry() {
    let server = server_with("room_entry_digit_timeout = 1\n");
    let phone = call_for_room_entry(&server, "fred");
    // No `#`: the digit time-out ends the entry.
    press(&phone, "4242");
    let listed = await_participant(&server, "4242", "", "fred");
    assert!(
        listed.contains("'entered'"),
        "expected fred listed in room 4242 with reason 'entered', got {listed}"
    );
    phone.hang_up();
}

/// Two refused entries from one source and a third call from it, on a server
/// whose window for refused entries is `window`: the third call refused with
/// 403. Returns the server and when the first refusal came, or `None` if the
/// third call was answered too late to be sure both refusals were still
/// inside the window (hung up if it was answered).
fn refusals_then_a_refused_call(window: Duration) -> Option<(Server, Instant)> {
    let server = server_with(&format!(
        "private_rooms = true\nmax_room_attempts = 5\n\
         max_failed_entries_per_source = 2\nfailed_entries_window_s = {}\n",
        window.as_secs()
    ));
    let first = call_for_room_entry(&server, "gus");
    // The server notes the refusal between these two instants.
    let before_first_failure = Instant::now();
    press(&first, "1#");
    let first_failure = Instant::now();
    assert!(
        !first.await_bye(Duration::from_secs(1)),
        "expected no BYE after one refused entry; log:\n{}",
        server.log()
    );
    press(&first, "2#");
    assert_goodbye(&server, &first, "at the source's second refused entry");

    // Another call from the same address is refused before it is answered.
    let mut next = Phone::dial(server.sip, "100", "gus2", &[]);
    let status = next.await_answer();
    // Refusals are noted in whole seconds of the clock: one stays in the
    // window at least its length less a second.
    if before_first_failure.elapsed() + Duration::from_secs(1) >= window {
        if status == 200 {
            next.hang_up();
        }
        return None;
    }
    assert_eq!(
        status, 403,
        "expected 403 to a call from a source over its limit"
    );
    Some((server, first_failure))
}

#[test]
fn refused_entries_are_limited_per_source_across_calls() {
    // Long enough for the second entry's goodbye prompt and the next call on a
    // busy machine; where those took longer, the window is twice what they
    // took, on a new server (three tries).
    let mut window = Duration::from_secs(12);
    let mut tried = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let Some((server, first_failure)) = refusals_then_a_refused_call(window) else {
            tried.push(window);
            window = Duration::from_secs(2 * started.elapsed().as_secs() + 2);
            continue;
        };
        // Once the first failure leaves the window, the source may call again.
        std::thread::sleep(
            window.saturating_sub(first_failure.elapsed()) + Duration::from_millis(1500),
        );
        let status = Phone::dial(server.sip, "100", "gus3", &[]).await_answer();
        assert_eq!(
            status, 200,
            "expected a call to be answered after the refused entries aged out"
        );
        return;
    }
    panic!("the refused entries and the next call outlasted each window tried: {tried:?}");
}

#[test]
fn behind_a_trusted_proxy_refused_entries_count_against_their_caller() {
    // Every test call comes from 127.0.0.1: here it plays the proxy in front.
    let server = server_with(
        "private_rooms = true\nmax_room_attempts = 5\n\
         max_failed_entries_per_source = 2\nfailed_entries_window_s = 60\n\
         trusted_proxies = \"192.0.2.1, 127.0.0.1\"\n",
    );
    let guessing = call_for_room_entry(&server, "ivan");
    press(&guessing, "1#");
    press(&guessing, "2#");
    assert_goodbye(&server, &guessing, "at ivan's second refused entry");
    let status = Phone::dial(server.sip, "100", "ivan", &[]).await_answer();
    assert_eq!(status, 403, "ivan, over its limit, calls again");
    // Another caller through the same proxy is not locked out.
    let status = Phone::dial(server.sip, "100", "judy", &[]).await_answer();
    assert_eq!(status, 200, "judy, behind the same proxy, is answered");
}

/// Listens on `phone` for `duration` while `during` runs after `lead`;
/// returns what came before `during` began and what came from then on.
fn listen_around(
    phone: &Phone,
    lead: Duration,
    duration: Duration,
    during: impl FnOnce() + Send,
) -> (Vec<i16>, Vec<i16>) {
    std::thread::scope(|scope| {
        let listening = scope.spawn(|| phone.talk_timed(TALK_HZ, duration));
        std::thread::sleep(lead);
        // Split where `during` began, however many packets a stall held back.
        let cut = Instant::now();
        during();
        listening.join().unwrap().split_at(cut)
    })
}

/// Asserts `heard` holds the two-tone sound (880 and 1320 Hz) and `before` not.
fn assert_sound(before: &[i16], heard: &[i16], what: &str) {
    for hz in [880.0, 1320.0] {
        let (quiet, loud) = (peak_power(before, hz), peak_power(heard, hz));
        eprintln!("{what}: {hz} Hz peaks at {quiet:.2e} before, {loud:.2e} after");
        assert!(
            quiet < HEARD,
            "expected no {hz} Hz before {what}, got {quiet}"
        );
        assert!(
            loud > HEARD,
            "expected {what} to be heard at {hz} Hz, got {loud}"
        );
    }
}

#[test]
fn the_others_hear_a_participant_join_and_leave() {
    let server = server_with("");
    let anna = Phone::call(server.sip, "000777321", "anna", &[]);
    // first_participant (about 3 s) ends before the listening starts.
    anna.talk(TALK_HZ, Duration::from_secs(4));

    let mut bert = None;
    let mut bert_heard = Vec::new();
    let (before, after) = listen_around(
        &anna,
        Duration::from_secs(1),
        Duration::from_secs(3),
        || {
            let phone = Phone::call(server.sip, "000777321", "bert", &[]);
            bert_heard = phone.talk(TALK_HZ, Duration::from_secs(1));
            bert = Some(phone);
        },
    );
    assert_sound(&before, &after, "bert joining");
    // The one joining hears the others, not its own join_sound.
    let own = peak_power(&bert_heard, 880.0);
    assert!(
        bert_heard.len() > 4000 && own < HEARD,
        "expected bert to hear the room but not the join_sound ({} samples, 880 Hz at {own})",
        bert_heard.len()
    );

    let bert = bert.expect("bert called");
    let (before, after) = listen_around(
        &anna,
        Duration::from_secs(1),
        Duration::from_secs(3),
        || bert.hang_up(),
    );
    assert_sound(&before, &after, "bert leaving");
    anna.hang_up();
}

#[test]
fn a_lonely_participant_is_hung_up() {
    let server = server_with("lonely_user_timer = 2\n");
    let phone = Phone::call(server.sip, "000777654", "lone", &[]);
    let joined = Instant::now();
    assert!(
        phone.await_bye(Duration::from_secs(10)),
        "expected a BYE to the participant alone with lonely_user_timer = 2; log:\n{}",
        server.log()
    );
    assert!(
        joined.elapsed() > Duration::from_millis(1500),
        "expected the BYE after about 2 s alone, got it after {:?}",
        joined.elapsed()
    );
}

#[test]
fn a_participant_left_alone_is_hung_up() {
    let server = server_with("lonely_user_timer = 3\n");
    let anna = Phone::call(server.sip, "000777987", "anna", &[]);
    let bert = Phone::call(server.sip, "000777987", "bert", &[]);
    // Anna's first timer runs out while bert is there: she stays.
    assert!(
        !anna.await_bye(Duration::from_secs(5)),
        "expected no BYE while another participant is in the room; log:\n{}",
        server.log()
    );
    bert.hang_up();
    let left = Instant::now();
    let bye = anna.await_bye_at(Duration::from_secs(10));
    let after = bye.map(|at| at.duration_since(left));
    eprintln!("anna's BYE after bert left: {after:?}");
    assert!(
        after.is_some_and(|a| a > Duration::from_secs(2)),
        "expected a BYE to anna about 3 s after she was left alone, got {after:?}; log:\n{}",
        server.log()
    );
}

#[test]
fn predefined_rooms_exist_with_their_pins() {
    let server = server_with("private_rooms = true\npredefined_rooms = \"777:secret;888:pw;\"\n");
    let room = rpc(&server, "s.roomInfo('777', 'secret')");
    assert!(
        room.starts_with("[0, 'OK', []"),
        "expected predefined room 777 to exist with pin 'secret', got {room}"
    );
    let wrong = rpc(&server, "s.roomInfo('777', 'other')");
    assert!(
        wrong.starts_with("[1, 'wrong adminpin or inexisting room'"),
        "expected a wrong pin to be refused for room 777, got {wrong}"
    );
    // A caller finds the other one, private as rooms are.
    let phone = Phone::call(server.sip, "000777888", "pia", &[]);
    let listed = await_participant(&server, "888", "pw", "pia");
    assert!(
        listed.contains("'direct access: entered'"),
        "expected pia in predefined room 888, got {listed}"
    );
    phone.hang_up();
}

/// Creates room 1234 and invites ivy with participant id 56; the room's pin.
fn room_1234_inviting_ivy_as_56(server: &Server) -> String {
    let pin = create_room(server, "1234");
    let invited = rpc(server, "s.addParticipant('1234', '56', 'ivy')");
    assert!(
        invited.starts_with("[200, 'OK'"),
        "expected addParticipant to answer [200, 'OK', …], got {invited}"
    );
    pin
}

#[test]
fn room_pin_split_admits_invited_participants_only() {
    let server = server_with("private_rooms = true\nroom_pin_split = 4\n");
    let pin = room_1234_inviting_ivy_as_56(&server);
    // 12345 is room 1234 with id 5: not invited.
    let stranger = Phone::call(server.sip, "00077712345", "stranger", &[]);
    assert_goodbye(&server, &stranger, "for an uninvited participant id");
    let short = Phone::call(server.sip, "0007771234", "y", &[]);
    assert_goodbye(&server, &short, "for a direct room too short to split");

    let ivy = Phone::call(server.sip, "000777123456", "ivy", &[]);
    let listed = await_participant(&server, "1234", &pin, "ivy");
    assert!(
        listed.ends_with("'56']"),
        "expected ivy listed with participant id 56, got {listed}"
    );
    ivy.hang_up();
}

#[test]
fn an_invitation_is_taken_by_the_call_that_uses_it() {
    // Finished calls leave the list after 2 s.
    let server = Server::start_with(&format!(
        "{}[rooms]\nparticipants_expire_delay_s = 2\n\
         [guests.webconference.config]\nprivate_rooms = true\nroom_pin_split = 4\n",
        base_config()
    ));
    let pin = room_1234_inviting_ivy_as_56(&server);
    let ivy = Phone::call(server.sip, "000777123456", "ivy", &[]);
    await_participant(&server, "1234", &pin, "ivy");
    ivy.hang_up();
    // While its finished call is listed, the id may come back, as in SEMS.
    let again = Phone::call(server.sip, "000777123456", "ivy-again", &[]);
    let listed = await_participant(&server, "1234", &pin, "ivy-again");
    assert!(
        listed.ends_with("'56']"),
        "expected ivy's second call listed with participant id 56, got {listed}"
    );
    again.hang_up();
    // Once both calls drop off, neither the invitation nor the id is left.
    let gone = python(
        &server,
        &format!(
            "for _ in range(100):\n    \
                 r = s.roomInfo('1234', {pin:?})\n    \
                 if not r[2]:\n        \
                     break\n    \
                 time.sleep(0.2)\n\
             print(repr(r[:-1]))\n"
        ),
    );
    assert_eq!(
        gone.trim_end(),
        "[0, 'OK', []]",
        "the invitation is not listed again"
    );
    assert_eq!(wc(&server, "s.findParticipant('56')"), "[[]]");
    let late = Phone::call(server.sip, "000777123456", "ivy-late", &[]);
    assert_goodbye(&server, &late, "for an id no longer listed");
}

#[test]
fn the_participant_id_comes_from_p_app_param_or_the_header() {
    let cases: [(&str, &str, &str, &[&str], &str); 2] = [
        (
            "participant_id_param = \"participantid\"\n",
            "100",
            "4242",
            &[
                "P-App-Param: room=4242;participantid=p-quinn",
                "X-ParticipantID: ignored",
            ],
            "p-quinn",
        ),
        (
            "",
            "0007774243",
            "4243",
            &["X-ParticipantID: p-rhea"],
            "p-rhea",
        ),
    ];
    for (keys, user, room, headers, id) in cases {
        let server = server_with(keys);
        let pin = create_room(&server, room);
        let phone = Phone::call(server.sip, user, id, headers);
        let listed = await_participant(&server, room, &pin, id);
        assert!(
            listed.ends_with(&format!(", '{id}']")),
            "with {keys:?} and {headers:?}, expected the participant id {id}, got {listed}"
        );
        // A room named by P-App-Param is entered as a direct room is, as in SEMS.
        assert!(
            listed.contains("'direct access: entered'"),
            "with {headers:?}, expected the reason of a direct room, got {listed}"
        );
        phone.hang_up();
    }
}

#[test]
fn a_participant_id_too_long_to_list_is_cut_and_still_matches_its_invitation() {
    let server = server_with("private_rooms = true\nroom_pin_split = 4\n");
    let pin = create_room(&server, "1234");
    let (id, cut) = ("5".repeat(300), "5".repeat(256));
    let invited = rpc(
        &server,
        &format!("s.addParticipant('1234', {id:?}, '1' * 3000)[:2]"),
    );
    assert_eq!(invited, "[200, 'OK']");
    assert_eq!(
        wc(&server, &format!("s.roomInfo('1234', {pin:?})")),
        format!(
            "[0, 'OK', [['', '{}', 0, '', 0, '{cut}']]]",
            "1".repeat(2048)
        ),
        "the invitation is listed with its id and number cut to the host's sizes"
    );
    assert_eq!(
        wc(&server, &format!("s.findParticipant({id:?})")),
        "[['1234']]"
    );

    // The caller dials the room and the whole long id: it is let in as invited.
    let ivy = Phone::call(server.sip, &format!("0007771234{id}"), "ivy", &[]);
    let listed = await_participant(&server, "1234", &pin, "ivy");
    assert!(
        listed.ends_with(&format!(", '{cut}']")),
        "expected ivy listed with the id cut, got {listed}"
    );
    let count = rpc(&server, &format!("len(s.roomInfo('1234', {pin:?})[2])"));
    assert_eq!(count, "1", "the call took the invitation's place");
    ivy.hang_up();

    let open = server_with("");
    let room = random_room();
    let pin = create_room(&open, &room);
    let header = format!("X-ParticipantID: {}", "p".repeat(300));
    let pat = Phone::call(open.sip, &format!("000777{room}"), "pat", &[&header]);
    let listed = await_participant(&open, &room, &pin, "pat");
    assert!(
        listed.ends_with(&format!(", '{}']", "p".repeat(256))),
        "expected the header's id cut to 256 bytes, got {listed}"
    );
    pat.hang_up();
}

#[test]
fn a_room_name_too_long_for_any_room_is_refused_with_a_goodbye() {
    let server = server_with("");
    let room = "7".repeat(65);
    let mut phone = Phone::dial(
        server.sip,
        "100",
        "rob",
        &[&format!("P-App-Param: room={room}")],
    );
    let status = phone.await_answer();
    assert_eq!(
        status,
        200,
        "expected the call answered to hear why, got {status}; log:\n{}",
        server.log()
    );
    assert_goodbye(&server, &phone, "for a room name of 65 characters");
}

#[test]
fn a_dot_segment_is_no_room_name_and_the_caller_hears_a_goodbye() {
    let server = server_with("");
    // RFC 3986 §5.2.4: /api/v1/rooms/.. is /api/v1/, so no REST request could act on it.
    for user in ["000777.", "000777.."] {
        let mut phone = Phone::dial(server.sip, user, "dot", &[]);
        let status = phone.await_answer();
        assert_eq!(
            status,
            200,
            "{user}: answered to hear why; log:\n{}",
            server.log()
        );
        assert_goodbye(&server, &phone, &format!("for {user}"));
    }
    assert_eq!(host_rooms(&server), "[]", "no room opened");
    assert_eq!(guest_errors(&server), Vec::<String>::new());
}

#[test]
fn a_room_holding_invitations_outlives_the_expire_delay_until_they_are_taken() {
    let server = Server::start_with(&format!(
        "{}[rooms]\nexpire_delay_s = 1\nparticipants_expire_delay_s = 0\n",
        base_config()
    ));
    let (invited, empty) = (random_room(), random_room() + "0");
    let pin = create_room(&server, &invited);
    create_room(&server, &empty);
    assert_eq!(
        wc(
            &server,
            &format!("s.addParticipant({invited:?}, 'p-1', '555')")
        ),
        "[200, 'OK']"
    );
    let kept = format!("['{invited}']");
    let deadline = Instant::now() + Duration::from_secs(10);
    while host_rooms(&server) != kept && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Twice the expiry delay on, the room holding an invitation is still there.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        host_rooms(&server),
        kept,
        "an empty room without invitations expires; one holding an invitation is kept, \
         as SEMS keeps a room listing anyone"
    );

    // The invitee calls, takes its invitation and leaves: the room expires then.
    let ivy = Phone::call(
        server.sip,
        &format!("000777{invited}"),
        "ivy",
        &["X-ParticipantID: p-1"],
    );
    await_participant(&server, &invited, &pin, "ivy");
    ivy.hang_up();
    let deadline = Instant::now() + Duration::from_secs(10);
    while host_rooms(&server) != "[]" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        host_rooms(&server),
        "[]",
        "with its invitation taken, the emptied room expires"
    );
}

/// The log lines of `server`'s guests at ERROR level: failures operators are
/// alerted to.
fn guest_errors(server: &Server) -> Vec<String> {
    server
        .log()
        .lines()
        .filter(|line| line.contains("ERROR") && line.contains("guest{"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_locked_room_refuses_callers_as_a_normal_outcome() {
    let server = server_with("");
    let room = random_room();
    create_room(&server, &room);
    assert_eq!(
        rpc(&server, &format!("s.switchyard.lock({room:?})")),
        "True"
    );

    // Dialled straight to the room: rejected before it is answered.
    let mut eve = Phone::dial(server.sip, &format!("000777{room}"), "eve", &[]);
    assert_eq!(eve.await_answer(), 480, "a locked room's caller is refused");
    let refused = server
        .wait_for_log("not let into room", Duration::from_secs(5))
        .unwrap();
    assert!(
        refused.contains("INFO") && refused.contains("is locked"),
        "the refusal is logged as a normal outcome, saying why: {refused}"
    );

    // Typed by keypad, once answered: told so, then hung up.
    let frank = call_for_room_entry(&server, "frank");
    press(&frank, &format!("{room}#"));
    assert_goodbye(&server, &frank, "after typing a locked room");
    assert_eq!(
        guest_errors(&server),
        Vec::<String>::new(),
        "a locked room is normal operation, not a guest failure"
    );
}

#[test]
fn an_escaped_room_number_dials_the_room_it_stands_for() {
    let server = server_with("");
    // RFC 3261 §19.1.4: `%C3%A9` is `é` however its hex digits are written,
    // and `%34%32` is `42`.
    let upper = Phone::call(server.sip, "000777%C3%A9", "alice", &[]);
    let lower = Phone::call(server.sip, "000777%c3%a9", "bob", &[]);
    await_participant(&server, "\u{e9}", "", "alice");
    await_participant(&server, "\u{e9}", "", "bob");
    let escaped = Phone::call(server.sip, "000777%34%32", "carol", &[]);
    let plain = Phone::call(server.sip, "00077742", "dave", &[]);
    await_participant(&server, "42", "", "carol");
    await_participant(&server, "42", "", "dave");
    assert_eq!(
        host_rooms(&server),
        "['42', '\u{e9}']",
        "one room however its name is escaped"
    );

    // A broken escape, or bytes that are no text, name no room.
    for user in ["000777%zz", "000777%FF"] {
        let mut phone = Phone::dial(server.sip, user, "eve", &[]);
        assert_eq!(phone.await_answer(), 400, "{user}");
    }
    assert_eq!(host_rooms(&server), "['42', '\u{e9}']");
    for phone in [upper, lower, escaped, plain] {
        phone.hang_up();
    }
}

#[test]
fn a_user_that_is_no_text_is_refused_only_where_it_would_name_the_room() {
    let server = server_with("");
    // P-App-Param names the room before the Request-URI user is looked at, as in SEMS.
    let named = Phone::call(server.sip, "%E9", "alice", &["P-App-Param: room=42"]);
    await_participant(&server, "42", "", "alice");
    let mut dialled = Phone::dial(server.sip, "%E9", "bob", &[]);
    assert_eq!(dialled.await_answer(), 400, "where direct_room_re reads it");
    named.hang_up();

    // No direct rooms: the caller is asked for the room whatever it dialled.
    let asked = server_with("direct_room_re = \"\"\n");
    let mut phone = Phone::dial(asked.sip, "%E9", "carol", &[]);
    assert_eq!(phone.await_answer(), 200, "asked for its room");
    phone.hang_up();
}
