//! The SEMS webconference XML-RPC functions against the real binary, driven
//! the way SEMS's pyqt GUI drives them (Python's stock `xmlrpc.client`), with
//! SIPp callers and callees on loopback.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::phone::Phone;
use support::server::{Server, base_config};
use support::sipp::Sipp;
use support::webconference::{
    create_room, dial_in, fault, random_room, server_with, tag_of, wait_for_participant, wc,
};
use support::xmlrpc::{python, rpc};

/// The time-out of the rooms created to time out, in seconds.
const TIMEOUT_S: u64 = 5;
/// Long enough for such a room to have timed out (time-outs count whole seconds).
const PAST_TIMEOUT: Duration = Duration::from_millis(TIMEOUT_S * 1000 + 1500);

#[test]
fn a_gui_session_creates_a_room_mutes_kicks_out_and_deletes_it() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    assert_eq!(
        wc(&server, &format!("s.roomCreate({room:?})")),
        "[1, 'room already opened', '']"
    );
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, {pin:?})")),
        "[0, 'OK', []]"
    );
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, 'wrong')")),
        "[1, 'wrong adminpin or inexisting room', []]"
    );

    // A caller dials in and is listed, Connected.
    let alice = dial_in(&server, &room, "alice");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        "p[1].startswith('alice <sip:alice@127.0.0.1:') and p[2] == 3",
    );
    let tag = tag_of(&listed);
    // As SEMS lists a caller: the From's display name and URI, no tag.
    assert!(
        listed.starts_with(&format!("['{tag}', 'alice <sip:alice@127.0.0.1:"))
            && listed.ends_with(">', 3, 'direct access: entered', 0, '']"),
        "{listed}"
    );

    // Mute and unmute by call tag.
    assert_eq!(
        wc(&server, &format!("s.mute({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']"
    );
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[4] == 1"),
    );
    assert_eq!(
        wc(&server, &format!("s.unmute({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']"
    );
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[4] == 0"),
    );

    // Wrong pins and unknown calls.
    assert_eq!(
        wc(&server, &format!("s.mute({room:?}, 'wrong', {tag:?})")),
        "[1, 'wrong adminpin or inexisting room']"
    );
    for function in ["mute", "unmute", "kickout"] {
        assert_eq!(
            wc(&server, &format!("s.{function}({room:?}, {pin:?}, 'c999')")),
            "[2, 'call does not exist']",
            "{function} of an unknown call"
        );
    }

    // Kicked out: the caller gets a BYE; the participant then drops off.
    assert_eq!(
        wc(&server, &format!("s.kickout({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']"
    );
    alice.finish("a BYE after kickout", &server);
    // Listed as SEMS lists a call it hung up: Disconnecting, then Finished,
    // "disconnect".
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 5 and p[3] == 'disconnect'"),
    );
    assert_eq!(
        wc(&server, &format!("s.kickout({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']",
        "a finished call is found, as in SEMS, until it expires"
    );
    assert_eq!(
        wc(&server, &format!("s.kickout({room:?}, {pin:?}, 'c999999')")),
        "[2, 'call does not exist']",
        "a call never listed does not exist"
    );

    // roomDelete hangs everyone up and removes the room.
    let bob = dial_in(&server, &room, "bob");
    wait_for_participant(
        &server,
        &room,
        &pin,
        "p[1].startswith('bob <sip:bob@127.0.0.1:') and p[2] == 3",
    );
    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, 'wrong')")),
        "[1, 'wrong adminpin or inexisting room']"
    );
    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    bob.finish("a BYE after roomDelete", &server);
    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[2, 'room does not exist\\n']"
    );
    // The room is gone: a new roomCreate gets it, with a new pin.
    create_room(&server, &room);
}

/// How many clients create each room at once in the test below.
const RACING_CLIENTS: usize = 12;

#[test]
fn clients_changing_a_room_at_once_take_turns() {
    let server = Server::start();
    // Many rounds, so that one without turns is all but sure to see two pins.
    let rooms: Vec<String> = (0..16).map(|n| format!("{}-{n}", random_room())).collect();
    // Each client thread has its own connection; a barrier starts them together.
    let answers = python(
        &server,
        &format!(
            "import threading\n\
             rooms = {rooms:?}\n\
             start = threading.Barrier({RACING_CLIENTS})\n\
             answers = {{r: [] for r in rooms}}\n\
             def create(url):\n\
             \x20   c = xmlrpc.client.ServerProxy(url)\n\
             \x20   for r in rooms:\n\
             \x20       start.wait(30)\n\
             \x20       answers[r].append(c.roomCreate(r)[:-1])\n\
             threads = [threading.Thread(target=create, args=(sys.argv[1],)) for _ in range({RACING_CLIENTS})]\n\
             for t in threads: t.start()\n\
             for t in threads: t.join(60)\n\
             for r in rooms:\n\
             \x20   print(sum(a[0] == 0 for a in answers[r]), sum(a == [1, 'room already opened', ''] for a in answers[r]))\n"
        ),
    );
    let expected = format!("1 {}\n", RACING_CLIENTS - 1).repeat(rooms.len());
    assert_eq!(answers, expected, "per room: pins given, refusals");

    // Invitations added at once to one room are all kept. Each room is new:
    // the first addParticipant opens it with no pin, the pin roomInfo gives
    // becomes its pin.
    let invited = python(
        &server,
        &format!(
            "import threading\n\
             rooms = [r + '-invited' for r in {rooms:?}]\n\
             start = threading.Barrier({RACING_CLIENTS})\n\
             def invite(url, n):\n\
             \x20   c = xmlrpc.client.ServerProxy(url)\n\
             \x20   for r in rooms:\n\
             \x20       start.wait(30)\n\
             \x20       c.addParticipant(r, 'p%d' % n, '10%d' % n)\n\
             threads = [threading.Thread(target=invite, args=(sys.argv[1], n)) for n in range({RACING_CLIENTS})]\n\
             for t in threads: t.start()\n\
             for t in threads: t.join(60)\n\
             for r in rooms:\n\
             \x20   print(len(s.roomInfo(r, '1')[2]))\n"
        ),
    );
    let expected = format!("{RACING_CLIENTS}\n").repeat(rooms.len());
    assert_eq!(invited, expected, "per room: invitations listed");
}

#[test]
fn admin_pins_change_and_invited_participants_are_found_three_ways() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    assert_eq!(
        wc(
            &server,
            &format!("s.changeRoomAdminpin({room:?}, 'wrong', '1')")
        ),
        "[1, 'wrong adminpin or inexisting room']"
    );
    assert_eq!(
        wc(
            &server,
            &format!("s.webconference.changeRoomAdminpin({room:?}, {pin:?}, '4711')")
        ),
        "[0, 'OK']"
    );
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, {pin:?})")),
        "[1, 'wrong adminpin or inexisting room', []]",
        "the old pin no longer opens the room"
    );

    assert_eq!(
        wc(
            &server,
            &format!("s.addParticipant({room:?}, 'p-7', '555')")
        ),
        "[200, 'OK']"
    );
    let info = "[0, 'OK', [['', '555', 0, '', 0, 'p-7']]]";
    for spelling in [
        "s.roomInfo(",
        "s.webconference.roomInfo(",
        "s.di('webconference', 'roomInfo', ",
    ] {
        assert_eq!(
            wc(&server, &format!("{spelling}{room:?}, '4711')")),
            info,
            "{spelling}"
        );
    }
    for spelling in [
        "s.findParticipant(",
        "s.webconference.findParticipant(",
        "s.di('webconference', 'findParticipant', ",
    ] {
        assert_eq!(
            wc(&server, &format!("{spelling}'p-7')")),
            format!("[[{room:?}]]").replace('"', "'"),
            "{spelling}"
        );
        assert_eq!(wc(&server, &format!("{spelling}'nobody')")), "[[]]");
    }
    // SEMS reads the arguments it needs and ignores any more.
    assert_eq!(
        wc(
            &server,
            &format!("s.roomInfo({room:?}, '4711', 'extra', 7)")
        ),
        info,
        "extra arguments"
    );
    assert_eq!(
        fault(&server, "s.changeRoomAdminpin('1', '2')"),
        "(300, 'changeRoomAdminpin: expected at least 3 arguments, got 2')"
    );

    // A second invitation of the same id replaces the first where it is.
    for (id, number) in [("p-8", "556"), ("p-7", "557")] {
        assert_eq!(
            wc(
                &server,
                &format!("s.addParticipant({room:?}, {id:?}, {number:?})")
            ),
            "[200, 'OK']"
        );
    }
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, '4711')")),
        "[0, 'OK', [['', '557', 0, '', 0, 'p-7'], ['', '556', 0, '', 0, 'p-8']]]"
    );

    // A name that can be no room is refused, not answered as if opened.
    let rule = "a room name has 1 to 64 characters and is neither . nor ..";
    for (call, name) in [
        (
            "s.roomCreate('')",
            "roomCreate: argument 1: no room can be named \"\"",
        ),
        (
            "s.roomCreate('.')",
            "roomCreate: argument 1: no room can be named \".\"",
        ),
        (
            "s.addParticipant('..', 'p-9', '558')",
            "addParticipant: argument 1: no room can be named \"..\"",
        ),
    ] {
        assert_eq!(fault(&server, call), format!("(300, '{name}: {rule}')"));
    }
    let too_long = fault(&server, "s.addParticipant('7' * 65, 'p-9', '558')");
    assert!(
        too_long.starts_with("(300, 'addParticipant: argument 1: no room can be named \"7777"),
        "{too_long}"
    );

    // SEMS's two functions beside its list.
    assert_eq!(wc(&server, "s.help()"), "['help text goes here']");
    let names = wc(&server, "s.di('webconference', '_list')");
    assert!(
        names.starts_with("['roomCreate', 'roomDelete', 'roomInfo', 'dialout'")
            && names.ends_with("'getRoomPassword', 'listRooms', 'findParticipant']"),
        "{names}"
    );
}

/// Both functions of the master password refuse `password`, as SEMS answers.
fn assert_master_password_refused(server: &Server, password: &str) {
    assert_eq!(
        wc(server, &format!("s.getRoomPassword({password:?}, '1')")),
        "[403, 'Wrong Master Password.']"
    );
    assert_eq!(
        wc(server, &format!("s.listRooms({password:?})")),
        "[407, ['Wrong Master Password.']]"
    );
}

#[test]
fn without_a_master_password_every_password_is_wrong() {
    let server = Server::start();
    for password in ["", "x"] {
        assert_master_password_refused(&server, password);
    }
}

#[test]
fn a_master_password_lists_rooms_and_tells_their_pins() {
    let server = server_with("master_password = \"m4ster\"\n");
    let room = random_room();
    let pin = create_room(&server, &room);
    let short = format!("{room}-short");
    // Created and listed in one script, well within its time-out even on a
    // loaded machine.
    let listed = python(
        &server,
        &format!(
            "s.roomCreate({short:?}, {TIMEOUT_S})\n\
             print(repr(s.listRooms('m4ster')[:-1]))\n"
        ),
    );
    assert!(listed.contains(&format!("'{room}'")), "{listed}");
    assert!(listed.contains(&format!("'{short}'")), "{listed}");

    assert_eq!(
        wc(&server, &format!("s.getRoomPassword('m4ster', {room:?})")),
        format!("[0, '{pin}']")
    );
    assert_master_password_refused(&server, "wrong");
    assert_eq!(
        wc(&server, "s.getRoomPassword('m4ster', 'no-such-room')"),
        "[404, 'Room does not exist.']"
    );
    // Past its time-out the short room is still listed: without
    // `support_rooms_timeout` a time-out ends nothing.
    std::thread::sleep(PAST_TIMEOUT);
    let rooms = wc(&server, "s.listRooms('m4ster')");
    assert!(rooms.contains(&format!("'{room}'")), "{rooms}");
    assert!(rooms.contains(&format!("'{short}'")), "{rooms}");
}

#[test]
fn with_rooms_timeout_support_a_timed_out_room_is_deleted() {
    let server = server_with(
        "support_rooms_timeout = true\n\
         master_password = \"m4ster\"\n",
    );
    let room = random_room();
    // Created and looked at in one script, well within its time-out even on
    // a loaded machine.
    let pin = python(
        &server,
        &format!(
            "pin = s.roomCreate({room:?}, {TIMEOUT_S})[2]\n\
             assert s.roomInfo({room:?}, pin)[:-1] == [0, 'OK', []]\n\
             assert s.addParticipant({room:?}, 'p-late', '1')[:-1] == [200, 'OK']\n\
             print(pin)\n"
        ),
    );
    let pin = pin.trim_end();
    std::thread::sleep(PAST_TIMEOUT);
    assert_eq!(
        wc(&server, "s.findParticipant('p-late')"),
        "[[]]",
        "a room past its time-out lists nobody"
    );
    assert_eq!(
        wc(&server, &format!("s.getRoomPassword('m4ster', {room:?})")),
        "[404, 'Room does not exist.']",
        "the access that finds the room timed out deletes it"
    );
    // Gone, as SEMS's cleaner leaves it: a look with a pin opens it anew, empty.
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, {pin:?})")),
        "[0, 'OK', []]"
    );
    assert_eq!(
        wc(&server, &format!("s.getRoomPassword('m4ster', {room:?})")),
        format!("[0, '{pin}']")
    );
}

#[test]
fn with_rooms_timeout_support_a_room_with_callers_ends_at_its_time_out() {
    let server = server_with("support_rooms_timeout = true\n");
    let room = random_room();
    let pin = wc(&server, &format!("s.roomCreate({room:?}, {TIMEOUT_S})"));
    assert!(pin.starts_with("[0, 'OK', '"), "{pin}");
    // Nothing looks at the room again: the caller's own timer ends it.
    let bob = dial_in(&server, &room, "bob");
    bob.finish("a BYE when the room's time-out runs out", &server);
    let log = server.log();
    assert!(
        log.contains(&format!("room {room:?} timed out: deleting it")),
        "expected the room deleted for its time-out; log:\n{log}"
    );
}

#[test]
fn dialout_places_a_call_that_joins_the_room() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_answer_wait_bye.xml");
    let domain = callee.addr.to_string();
    assert_eq!(
        wc(
            &server,
            &format!("s.dialout({room:?}, 'wrong', 'bob', 'conf', 'switchyard.test', '', '')")
        ),
        "[1, 'wrong adminpin or inexisting room', '']"
    );
    let answer = wc(
        &server,
        &format!(
            "s.dialout({room:?}, {pin:?}, 'bob', 'conf', 'switchyard.test', '', '', \
             'X-Conference: {room}|X-Other: 1', {domain:?}, 'p-bob')"
        ),
    );
    let tag = answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"));
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    // Listed, as SEMS lists a dial-out, by the URI called.
    assert_eq!(
        listed,
        format!("['{tag}', 'sip:bob@{domain}', 3, '200 OK', 0, 'p-bob']")
    );
    assert_eq!(
        wc(&server, "s.findParticipant('p-bob')"),
        format!("[['{room}']]")
    );
    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a BYE when the room is deleted", &server);
    assert_eq!(
        fault(&server, "s.dialout('1', '2', '3')"),
        "(300, 'dialout: expected at least 7 arguments, got 3')"
    );
}

#[test]
fn dialout_policy_refuses_callees_not_allowed_and_too_many_dialouts() {
    let server = server_with(
        "dialout_allow = \"sip:1[0-9]*@.*\"\n\
         max_dialouts_per_room = 1\n",
    );
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_ring_until_cancel.xml");
    let domain = callee.addr.to_string();
    let dialout = |callee: &str| dial_out(&server, &room, &pin, &domain, callee);
    assert_eq!(dialout("bob"), "[2, 'callee not allowed', '']");
    // Refused by the host, which says why (no host part in the Request-URI),
    // or for a header line that is not one.
    assert_eq!(
        wc(
            &server,
            &format!("s.dialout({room:?}, {pin:?}, '100', 'conf', '', '', '')")
        ),
        "[2, 'failed: dial URI \"sip:100@\" has no host', '']"
    );
    assert_eq!(
        wc(
            &server,
            &format!("s.dialout({room:?}, {pin:?}, '100', 'conf', {domain:?}, '', '', 'oops')")
        ),
        "[2, 'bad header line \"oops\"', '']"
    );
    let answer = dialout("100");
    let tag = answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"));
    assert_too_many_dial_outs(&dialout("101"));
    // Kicking the ringing dial-out out cancels it.
    assert_eq!(
        wc(&server, &format!("s.kickout({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']"
    );
    callee.finish("a CANCEL for the kicked-out dial-out", &server);
}

/// `dialout` in `room` (admin pin `pin`) of `callee` at `domain`, as the Python client shows it.
fn dial_out(server: &Server, room: &str, pin: &str, domain: &str, callee: &str) -> String {
    wc(
        server,
        &format!("s.dialout({room:?}, {pin:?}, {callee:?}, 'conf', {domain:?}, '', '')"),
    )
}

/// `answer` is `dialout`'s refusal of one dial-out more than the room takes at once.
fn assert_too_many_dial_outs(answer: &str) {
    assert_eq!(
        answer,
        "[2, 'too many dial-outs in progress in this room', '']"
    );
}

#[test]
fn callers_not_yet_acknowledged_are_not_counted_as_dial_outs_in_progress() {
    let server = server_with("max_dialouts_per_room = 1\n");
    let room = random_room();
    let pin = create_room(&server, &room);
    // It never sends its ACK: listed Connecting until the server gives up on it.
    let _caller = Phone::dial(server.sip, &format!("000777{room}"), "noack", &[]);
    wait_for_participant(
        &server,
        &room,
        &pin,
        "p[1] == '<sip:noack@127.0.0.1>' and p[2] == 1",
    );
    let callee = Sipp::callee("uas_ring_until_cancel.xml");
    let domain = callee.addr.to_string();
    let dialout = |callee: &str| dial_out(&server, &room, &pin, &domain, callee);
    let answer = dialout("100");
    assert!(
        answer.starts_with("[0, 'OK', '"),
        "expected the dial-out placed beside the caller, got {answer}"
    );
    assert_too_many_dial_outs(&dialout("101"));
    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a CANCEL when the room is deleted", &server);
}

#[test]
fn an_adminpin_too_long_to_keep_is_refused_before_any_room_is_opened() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    for (long, bytes) in [("'7' * 4097", 4097), ("'7' * 70000", 70000)] {
        assert_eq!(
            fault(
                &server,
                &format!("s.changeRoomAdminpin({room:?}, {pin:?}, {long})")
            ),
            format!(
                "(300, 'changeRoomAdminpin: argument 3: an adminpin has at most 4096 bytes, \
                 got {bytes}')"
            )
        );
    }
    assert_eq!(
        wc(&server, &format!("s.roomInfo({room:?}, {pin:?})")),
        "[0, 'OK', []]",
        "the room keeps its pin"
    );

    let unknown = random_room();
    let long = "'7' * 70000";
    for (function, rest) in [
        ("roomInfo", ""),
        ("kickout", ", 'tag'"),
        ("mute", ", ''"),
        ("dialout", ", '100', 'conf', 'example.com', '', ''"),
    ] {
        let call = format!("s.{function}({unknown:?}, {long}{rest})");
        assert_eq!(
            fault(&server, &call),
            format!(
                "(300, '{function}: argument 2: an adminpin has at most 4096 bytes, got 70000')"
            ),
            "{call}"
        );
    }
    assert_eq!(
        wc(&server, &format!("s.roomDelete({unknown:?}, '1')")),
        "[2, 'room does not exist\\n']",
        "no room was opened"
    );
}

#[test]
fn invitations_without_an_id_are_each_listed_until_the_room_holds_too_many() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    for number in ["100", "200"] {
        assert_eq!(
            wc(
                &server,
                &format!("s.addParticipant({room:?}, '', {number:?})")
            ),
            "[200, 'OK']"
        );
    }
    let caller = Phone::call(server.sip, &format!("000777{room}"), "cy", &[]);
    wait_for_participant(&server, &room, &pin, "p[1] == '<sip:cy@127.0.0.1>'");
    let invitees = python(
        &server,
        &format!("print(repr([p for p in s.roomInfo({room:?}, {pin:?})[2] if not p[0]]))"),
    );
    assert_eq!(
        invitees.trim_end(),
        "[['', '100', 0, '', 0, ''], ['', '200', 0, '', 0, '']]",
        "both invitations listed beside a call without an id"
    );
    caller.hang_up();

    // Invitations with the longest number a participant is listed with fill
    // what the host keeps with a room after about 30.
    let full = python(
        &server,
        &format!(
            "for i in range(100):\n    \
                 try:\n        \
                     s.addParticipant({room:?}, 'p%d' % i, '1' * 2048)\n    \
                 except xmlrpc.client.Fault as f:\n        \
                     print(i, f.faultCode, f.faultString)\n        \
                     break\n"
        ),
    );
    assert!(
        full.contains(&format!(
            " 500 room {room:?} holds too many invitations to take this one: "
        )),
        "expected a fault saying the room holds too many invitations, got {full:?}"
    );
}

#[test]
fn mute_and_kickout_find_finished_participants_and_invitations_as_sems_does() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let call = |function: &str, tag: &str| {
        wc(
            &server,
            &format!("s.{function}({room:?}, {pin:?}, {tag:?})"),
        )
    };
    assert_eq!(call("mute", ""), "[2, 'call does not exist']");

    // The empty tag roomInfo shows for an invitation finds the first one.
    assert_eq!(
        wc(
            &server,
            &format!("s.addParticipant({room:?}, 'inv', '100')")
        ),
        "[200, 'OK']"
    );
    let invitee = |muted: u8| format!("[0, 'OK', [['', '100', 0, '', {muted}, 'inv']]]");
    let info = || wc(&server, &format!("s.roomInfo({room:?}, {pin:?})"));
    assert_eq!(call("mute", ""), "[0, 'OK']");
    assert_eq!(info(), invitee(1), "the invitation listed muted");
    assert_eq!(call("kickout", ""), "[0, 'OK']");
    assert_eq!(
        info(),
        invitee(1),
        "kicking an invitation out leaves it listed"
    );
    assert_eq!(call("unmute", ""), "[0, 'OK']");
    assert_eq!(info(), invitee(0));

    // A finished participant, listed until it expires, keeps its flag.
    let phone = Phone::call(server.sip, &format!("000777{room}"), "fin", &[]);
    let tag = tag_of(&wait_for_participant(
        &server,
        &room,
        &pin,
        "p[1] == '<sip:fin@127.0.0.1>'",
    ));
    phone.hang_up();
    let finished = |muted: u8| format!("p[0] == {tag:?} and p[2] == 5 and p[4] == {muted}");
    wait_for_participant(&server, &room, &pin, &finished(0));
    assert_eq!(call("mute", &tag), "[0, 'OK']");
    wait_for_participant(&server, &room, &pin, &finished(1));
    assert_eq!(call("unmute", &tag), "[0, 'OK']");
    wait_for_participant(&server, &room, &pin, &finished(0));
}

/// `phone`'s call, listed by `tag` in `room` (admin pin `pin`), hangs up; returns once the
/// listing shows it Finished.
fn hang_up_until_finished(server: &Server, room: &str, pin: &str, phone: Phone, tag: &str) {
    phone.hang_up();
    wait_for_participant(server, room, pin, &format!("p[0] == {tag:?} and p[2] == 5"));
}

#[test]
fn an_id_invited_again_after_its_call_finished_is_listed_and_muted_as_an_invitation() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let invite = |number: &str| {
        wc(
            &server,
            &format!("s.addParticipant({room:?}, 'p1', {number:?})"),
        )
    };
    assert_eq!(invite("100"), "[200, 'OK']");
    let phone = Phone::call(
        server.sip,
        &format!("000777{room}"),
        "one",
        &["X-ParticipantID: p1"],
    );
    let tag = tag_of(&wait_for_participant(
        &server,
        &room,
        &pin,
        "p[2] == 3 and p[5] == 'p1'",
    ));
    hang_up_until_finished(&server, &room, &pin, phone, &tag);

    // Invited again while the finished call is still listed (10 s).
    assert_eq!(invite("n2"), "[200, 'OK']");
    let listing = format!(
        "print(repr([(p[0] == {tag:?}, p[1:]) if p[0] else p for p in s.roomInfo({room:?}, {pin:?})[2]]))"
    );
    let listed = |muted: u8| {
        format!(
            "[(True, ['<sip:one@127.0.0.1>', 5, 'BYE', 0, 'p1']), ['', 'n2', 0, '', {muted}, 'p1']]"
        )
    };
    assert_eq!(python(&server, &listing).trim_end(), listed(0));
    assert_eq!(
        wc(&server, &format!("s.mute({room:?}, {pin:?}, '')")),
        "[0, 'OK']",
        "the empty tag finds the new invitation"
    );
    assert_eq!(python(&server, &listing).trim_end(), listed(1));
}

#[test]
fn ids_and_callees_too_long_for_a_listing_are_cut_or_refused_honestly() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let (id, cut) = ("q".repeat(300), "q".repeat(256));
    assert_eq!(
        wc(
            &server,
            &format!("s.addParticipant({room:?}, {id:?}, 'bob')")
        ),
        "[200, 'OK']"
    );
    // Nobody answers at port 9: the dial-out is listed all the same.
    let answer = wc(
        &server,
        &format!(
            "s.dialout({room:?}, {pin:?}, 'bob', 'conf', 'switchyard.test', '', '', '', \
             '127.0.0.1:9', {id:?})"
        ),
    );
    let tag = answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"));
    let listed = wait_for_participant(&server, &room, &pin, &format!("p[0] == {tag:?}"));
    assert!(
        listed.ends_with(&format!(", '{cut}']")),
        "expected the dial-out listed with the id cut, got {listed}"
    );
    let count = rpc(&server, &format!("len(s.roomInfo({room:?}, {pin:?})[2])"));
    assert_eq!(count, "1", "the dial-out took the invitation's place");

    let callee = "1".repeat(2048);
    assert_eq!(
        wc(
            &server,
            &format!("s.dialout({room:?}, {pin:?}, {callee:?}, 'conf', 'switchyard.test', '', '')")
        ),
        "[2, 'Request-URI too long (2068 bytes, at most 2048)', '']"
    );
}

/// A server keeping its rooms in a file in `dir`, with `rooms` keys and
/// webconference `keys` added; and that file.
fn server_keeping_rooms(dir: &Path, rooms: &str, keys: &str) -> (Server, PathBuf) {
    let file = dir.join("rooms.json");
    let server = Server::start_with(&format!(
        "{}[rooms]\nstate_file = {file:?}\n{rooms}[guests.webconference.config]\n{keys}",
        base_config()
    ));
    (server, file)
}

/// Waits (at most 5 s) until the rooms file holds `room` with a meta value
/// of `key` (`None`: none) for which `holds` is true; panics with the file
/// otherwise.
fn await_meta(file: &Path, room: &str, key: &str, holds: impl Fn(Option<&str>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut text = String::new();
    while Instant::now() < deadline {
        text = std::fs::read_to_string(file).unwrap_or_default();
        let kept: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let listed = kept["rooms"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["room"] == room);
        if let Some(listed) = listed
            && holds(listed["meta"][key].as_str())
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("expected room {room:?} with meta {key:?} as asked in the rooms file, got {text}");
}

#[test]
fn a_finished_participants_mute_flag_is_kept_with_the_room_until_it_leaves_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = server_keeping_rooms(dir.path(), "participants_expire_delay_s = 3\n", "");
    let room = random_room();
    let pin = create_room(&server, &room);
    let phone = Phone::call(server.sip, &format!("000777{room}"), "fin", &[]);
    let tag = tag_of(&wait_for_participant(
        &server,
        &room,
        &pin,
        "p[1] == '<sip:fin@127.0.0.1>'",
    ));
    hang_up_until_finished(&server, &room, &pin, phone, &tag);
    let mute = format!("s.mute({room:?}, {pin:?}, {tag:?})");
    assert_eq!(wc(&server, &mute), "[0, 'OK']");
    await_meta(&file, &room, "finished_muted", |flags| {
        flags.is_some_and(|f| f.contains(&tag))
    });

    // Off the list, its flag goes at the next look at the room.
    let info = format!("s.roomInfo({room:?}, {pin:?})");
    let deadline = Instant::now() + Duration::from_secs(15);
    while wc(&server, &info).contains(&tag) {
        assert!(
            Instant::now() < deadline,
            "expected {tag} to leave the list"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    await_meta(&file, &room, "finished_muted", |flags| {
        !flags.unwrap_or_default().contains(&tag)
    });
}

#[test]
fn invitations_keep_a_room_until_its_time_out_if_it_has_one() {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = server_keeping_rooms(dir.path(), "", "support_rooms_timeout = true\n");
    let invite = |room: &str| {
        let add = format!("s.addParticipant({room:?}, 'inv', '100')");
        assert_eq!(wc(&server, &add), "[200, 'OK']");
        await_meta(&file, room, "invited", |list| {
            list.is_some_and(|l| l.contains("inv"))
        });
    };
    let kept = random_room();
    create_room(&server, &kept);
    invite(&kept);
    await_meta(&file, &kept, "keep", |keep| keep == Some("1"));

    let timed = random_room();
    let created = wc(&server, &format!("s.roomCreate({timed:?}, 3600)"));
    assert!(created.starts_with("[0, 'OK'"), "got {created}");
    invite(&timed);
    await_meta(&file, &timed, "keep", |keep| keep == Some("1"));
}

#[test]
fn an_invitee_enters_a_room_without_a_pin_kept_from_before_rooms_were_private() {
    let dir = tempfile::tempdir().unwrap();
    let (server, file) = server_keeping_rooms(dir.path(), "", "");
    let room = random_room();
    let add = format!("s.addParticipant({room:?}, 'inv', '100')");
    assert_eq!(wc(&server, &add), "[200, 'OK']");
    await_meta(&file, &room, "invited", |list| {
        list.is_some_and(|l| l.contains("inv"))
    });
    drop(server);

    let (server, _) = server_keeping_rooms(dir.path(), "", "private_rooms = true\n");
    assert_eq!(
        wc(&server, "s.findParticipant('inv')"),
        format!("[['{room}']]"),
        "the invitation came back with the room"
    );
    let phone = Phone::call(
        server.sip,
        &format!("000777{room}"),
        "inv",
        &["X-ParticipantID: inv"],
    );
    // The room has no pin: the first one given is taken.
    let listed = wait_for_participant(&server, &room, "4321", "p[0] and p[2] == 3");
    assert!(
        listed.ends_with(", 'inv']"),
        "expected the invitee listed with its id, got {listed}"
    );
    assert!(
        !phone.await_bye(Duration::from_secs(1)),
        "the invitee was hung up"
    );
    assert_eq!(
        wc(&server, "s.findParticipant('inv')"),
        format!("[['{room}']]")
    );
}

#[test]
fn a_client_sending_latin1_is_understood_and_one_sending_windows_1252_only_in_ascii() {
    let server = Server::start();
    let room = format!("Zürich-{}", random_room());
    let ascii_room = format!("Zurich-{}", random_room());
    // Python writes `<?xml version='1.0' encoding='iso-8859-1'?>` and Latin-1
    // bytes; the room it creates is the one a UTF-8 client finds by name.
    // A windows-1252 client is answered while its bytes are all ASCII; its
    // first byte above 0x7F is refused, where the body Python sends
    // (`dumps(...).encode(encoding, 'xmlcharrefreplace')`) has it.
    let answers = python(
        &server,
        &format!(
            "l = xmlrpc.client.ServerProxy(sys.argv[1], encoding='iso-8859-1')\n\
             r = l.roomCreate({room:?})\n\
             assert r[:2] == [0, 'OK'], r\n\
             print(repr(s.roomInfo({room:?}, r[2])[:-1]))\n\
             print(repr(l.vqConferenceFeedback({room:?}, r[2], 'Müller', 'très bien', 4)[:-1]))\n\
             w = xmlrpc.client.ServerProxy(sys.argv[1], encoding='windows-1252')\n\
             a = w.roomCreate({ascii_room:?})\n\
             assert a[:2] == [0, 'OK'], a\n\
             print(repr(w.roomInfo({ascii_room:?}, a[2])[:-1]))\n\
             body = xmlrpc.client.dumps(({room:?}, r[2]), 'roomInfo', encoding='windows-1252')\n\
             print(body.encode('windows-1252', 'xmlcharrefreplace').index(b'\\xfc'))\n\
             try:\n\
             \x20   w.roomInfo({room:?}, r[2])\n\
             except xmlrpc.client.Fault as f:\n\
             \x20   print(f.faultCode, f.faultString)\n"
        ),
    );
    let lines: Vec<_> = answers.lines().collect();
    assert_eq!(lines.len(), 5, "{answers}");
    let at = lines[3];
    assert_eq!(
        [lines[0], lines[1], lines[2], lines[4]],
        [
            "[0, 'OK', []]",
            "[0, 'OK']",
            "[0, 'OK', []]",
            &format!(
                "-32700 parse error: encoding windows-1252 is not supported for byte 0xFC \
                 at {at}: send UTF-8 or ISO-8859-1"
            ),
        ],
        "{answers}"
    );
}
