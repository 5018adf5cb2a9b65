//! The nway guest's ad-hoc n-way calls, end to end with test phones: a
//! two-party call through the server escalated into a room by the holder of
//! the feature codes (`*0`), the invitee dialled (`number#`), brought in
//! (`*7`) or dropped (`*#`), and a fourth caller invited from inside the
//! room (`0`); the room private and outliving the caller who escalated; an
//! invitation refused by the room's lock, its size or a time-out; a two-party
//! call with RTP bound to another address than SIP. Each step is checked by
//! what the phones hear, or by who is called.

mod support;

use std::time::Duration;
use support::audio::power;
use support::nway::{
    DEADLINE, answer_in_background, assert_hears, assert_not_hears, await_listed, directory,
    nway_config, press, talk_together,
};
use support::phone::{Listening, Phone};
use support::rest::host_rooms;
use support::server::{Server, with_rtp_address};
use support::xmlrpc::rpc;

/// The tones of A, B, C and D.
const A: f64 = 600.0;
const B: f64 = 900.0;
const C: f64 = 1150.0;
const D: f64 = 1450.0;
/// The two tones of dial tone (ITU-T E.180, North America).
const DIAL_TONE: [f64; 2] = [350.0, 440.0];
/// The two tones of ringback (North America).
const RINGBACK: [f64; 2] = [440.0, 480.0];
/// How long each check talks.
const TALK: Duration = Duration::from_secs(2);

/// A (100) calls B (102) through the server; both hear each other.
fn two_party_call(server: &Server, b: Listening) -> (Phone, Phone) {
    let mut a = Phone::dial(server.sip, "102", "100", &[]);
    let b = b.answer(DEADLINE);
    assert_eq!(
        a.await_answer(),
        200,
        "the caller is answered when the callee is"
    );
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    assert_hears(&heard[0], B, "A in the two-party call");
    assert_hears(&heard[1], A, "B in the two-party call");
    (a, b)
}

/// A (100) called B (102), escalated the call and invited C (103), who
/// answered and talks privately with A: the server and the three phones.
fn escalated_and_invited() -> (Server, Phone, Phone, Phone) {
    let (b, c) = (Listening::new(), Listening::new());
    let config = nway_config(&directory(&[("102", &b), ("103", &c)]), "");
    let server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    let c = invite((&a, A), (&b, B), "103", c, C);
    (server, a, b, c)
}

/// `*0`: B is alone in a new room and A hears dial tone, not B.
fn escalate(a: &Phone, b: &Phone) {
    press(a, "*0");
    let heard = talk_together(&[a, b], &[A, B], TALK);
    for tone in DIAL_TONE {
        assert_hears(&heard[0], tone, "A after *0 (dial tone)");
    }
    assert_not_hears(&heard[0], B, "A after *0");
    assert_not_hears(&heard[1], A, "B after *0");
}

/// The holder dials `number#`; the callee answers; the two talk privately
/// while the room hears neither.
fn invite(
    holder: (&Phone, f64),
    room: (&Phone, f64),
    number: &str,
    callee: Listening,
    tone: f64,
) -> Phone {
    let answering = answer_in_background(callee);
    press(holder.0, &format!("{number}#"));
    let invitee = answering.join().unwrap();
    let heard = talk_together(
        &[holder.0, room.0, &invitee],
        &[holder.1, room.1, tone],
        TALK,
    );
    assert_hears(&heard[0], tone, "the holder talking privately");
    assert_hears(&heard[2], holder.1, "the invitee talking privately");
    assert_not_hears(&heard[0], room.1, "the holder talking privately");
    assert_not_hears(
        &heard[1],
        holder.1,
        "the room while the holder talks privately",
    );
    assert_not_hears(&heard[1], tone, "the room while the holder talks privately");
    invitee
}

#[test]
fn a_two_party_call_becomes_a_room_of_three_then_four() {
    let (b, c, d) = (Listening::new(), Listening::new(), Listening::new());
    let config = nway_config(&directory(&[("102", &b), ("103", &c), ("104", &d)]), "");
    let server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    let c = invite((&a, A), (&b, B), "103", c, C);

    press(&a, "*7");
    let heard = talk_together(&[&a, &b, &c], &[A, B, C], TALK);
    for (index, (who, own)) in [("A", A), ("B", B), ("C", C)].into_iter().enumerate() {
        for other in [A, B, C].into_iter().filter(|&t| t != own) {
            assert_hears(&heard[index], other, &format!("{who} in the room of three"));
        }
    }

    // B, in the room, invites D with `0`.
    press(&b, "0");
    let d = invite((&b, B), (&a, A), "104", d, D);
    press(&b, "*7");
    let heard = talk_together(&[&a, &b, &c, &d], &[A, B, C, D], TALK);
    let tones = [A, B, C, D];
    for (index, who) in ["A", "B", "C", "D"].into_iter().enumerate() {
        for (_, &other) in tones.iter().enumerate().filter(|&(i, _)| i != index) {
            assert_hears(&heard[index], other, &format!("{who} in the room of four"));
        }
    }
    let rooms = rpc(
        &server,
        "[(r['room'], r['members']) for r in s.nway.listRooms()['rooms']]",
    );
    assert_eq!(rooms, "[('9000', 4)]", "the first free room holds all four");
}

#[test]
fn the_drop_code_hangs_up_the_invitee_and_the_holder_is_back_in_the_room() {
    let (server, a, b, c) = escalated_and_invited();

    press(&a, "*#");
    assert!(c.await_bye(DEADLINE), "the dropped invitee gets a BYE");
    server
        .wait_for_log("ended before it joined room 9000", DEADLINE)
        .expect("the dropped invitee, unbridged as it ends, does not join");
    assert!(
        !server.log().contains("cannot join room"),
        "a drop is no error: {}",
        server.log()
    );
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    assert_hears(&heard[0], B, "A back in the room");
    assert_hears(&heard[1], A, "B with A back");

    // A number with no route: A is back in the room at once.
    press(&a, "0");
    press(&a, "555#");
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    assert_hears(&heard[1], A, "B after A's failed invitation");
    server
        .wait_for_log("no route to 555", DEADLINE)
        .expect("the failed invitation is logged");
}

#[test]
fn with_rtp_on_another_address_than_sip_both_parties_send_their_media_there() {
    let b = Listening::new();
    let config = nway_config(&directory(&[("102", &b)]), "");
    let server = Server::start_with(&with_rtp_address(&config, "127.0.0.2"));
    let (a, b) = two_party_call(&server, b);
    let media: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    assert_eq!(a.media_address().ip(), media, "the answer's c= line");
    assert_eq!(b.media_address().ip(), media, "the placed call's offer");
}

#[test]
fn the_callee_may_hold_the_codes_keyed_in_time_and_the_room_is_numbered_after_the_caller() {
    let b = Listening::new();
    let keys = format!(
        "{}\nholder = \"callee\"\nroom_scheme = \"offset\"\nroom_offset = 10000\ninterdigit_ms = 1000",
        directory(&[("102", &b)])
    );
    let server = Server::start_with(&nway_config(&keys, ""));
    let (a, b) = two_party_call(&server, b);
    // The caller's codes do nothing now.
    press(&a, "*0");
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    assert_hears(&heard[0], B, "A after its own *0");

    // Keys further apart than the inter-digit time-out are no code.
    press(&b, "*");
    b.talk(B, Duration::from_millis(1500));
    press(&b, "0");
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    assert_hears(&heard[0], B, "A after B's * and 0 1.5 s apart");

    press(&b, "*0");
    let heard = talk_together(&[&a, &b], &[A, B], TALK);
    for tone in DIAL_TONE {
        assert_hears(&heard[1], tone, "B after *0 (dial tone)");
    }
    assert_not_hears(&heard[0], B, "A moved to the room");
    let members = rpc(
        &server,
        "[m['number'] for m in s.nway.listMembers('10100')['members']]",
    );
    assert_eq!(members, "['100']", "A is alone in room 10000 + 100");
}

#[test]
fn an_invitee_whose_holder_hangs_up_is_refused_by_a_room_locked_meanwhile() {
    let (server, a, _b, c) = escalated_and_invited();
    assert_eq!(rpc(&server, "s.nway.lock('9000')"), "1");
    a.hang_up();
    let told = c.talk(0.0, Duration::from_millis(1500));
    let loudest = told.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(
        loudest > 1000,
        "the invitee hears why (loudest sample {loudest})"
    );
    assert!(
        c.await_bye(DEADLINE),
        "the invitee is hung up, not let into the locked room"
    );
    server
        .wait_for_log("room 9000: invitee 103 refused: locked", DEADLINE)
        .expect("the refusal is logged");
    assert_eq!(rpc(&server, "s.nway.count('9000')"), "1", "B alone");
}

#[test]
fn the_room_goes_on_when_the_caller_who_escalated_hangs_up() {
    let (_server, a, b, c) = escalated_and_invited();
    press(&a, "*7");
    let heard = talk_together(&[&a, &b, &c], &[A, B, C], TALK);
    assert_hears(&heard[1], A, "B in the room of three");

    a.hang_up();
    assert!(
        !b.await_bye(Duration::from_secs(2)),
        "B, once forwarded from A, stays when A hangs up"
    );
    let heard = talk_together(&[&b, &c], &[B, C], TALK);
    assert_hears(&heard[0], C, "B after A left");
    assert_hears(&heard[1], B, "C after A left");
}

#[test]
fn an_escalated_room_cannot_be_dialled_into() {
    let b = Listening::new();
    let config = nway_config(&directory(&[("102", &b)]), "");
    let server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);

    let mut intruder = Phone::dial(server.sip, "89000", "200", &[]);
    assert_eq!(
        intruder.await_answer(),
        404,
        "a caller dialling the escalated room 9000 is refused"
    );
    let members = rpc(
        &server,
        "[m['number'] for m in s.nway.listMembers('9000')['members']]",
    );
    assert_eq!(members, "['102']", "B is alone in its room");
}

/// A room whose participants invite (`X`), of at most 3, where invitee 103
/// is marked (`A`).
const INVITING_ROOM: &str = r#"
[guests.nway.config.rooms.208]
options = "Xq1"
max_members = 3
callers = { "103" = "A" }
"#;

/// `number` is never called (within 3 s).
fn never_called(callee: &Listening, number: &str) {
    assert!(
        !callee.invited_within(Duration::from_secs(3)),
        "{number} is not called"
    );
}

/// `inviter` (caller `from`, sending `tone`) invites `number` in room 208,
/// which refuses it for `why`: `callee` is never called, the refusal is
/// logged, and `other` (sending `other_tone`) hears the inviter back in the
/// room.
fn invitation_refused(
    server: &Server,
    (inviter, from, tone): (&Phone, &str, f64),
    (other, other_tone): (&Phone, f64),
    (number, callee): (&str, &Listening),
    why: &str,
) {
    press(inviter, &format!("0{number}#"));
    never_called(callee, &format!("{number}, the room {why},"));
    server
        .wait_for_log(
            &format!("room 208: {from} may not invite {number}: {why}"),
            DEADLINE,
        )
        .expect("the refusal is logged");
    let heard = talk_together(&[inviter, other], &[tone, other_tone], TALK);
    assert_hears(&heard[1], tone, "the room, the refused inviter back");
}

#[test]
fn invitations_respect_the_rooms_lock_and_size_and_invitees_get_its_options() {
    let (c, d) = (Listening::new(), Listening::new());
    let config = nway_config(&directory(&[("103", &c), ("104", &d)]), INVITING_ROOM);
    let server = Server::start_with(&config);
    let first = Phone::call(server.sip, "8208", "300", &[]);
    let second = Phone::call(server.sip, "8208", "301", &[]);

    assert_eq!(rpc(&server, "s.nway.lock('208')"), "1");
    invitation_refused(
        &server,
        (&first, "300", A),
        (&second, B),
        ("103", &c),
        "locked",
    );

    assert_eq!(rpc(&server, "s.nway.unlock('208')"), "1");
    press(&first, "0");
    let c = invite((&first, A), (&second, B), "103", c, C);
    press(&first, "*7");
    await_listed(&server, "208", &["103", "300", "301"]);
    let heard = talk_together(&[&first, &second, &c], &[A, B, C], TALK);
    assert_hears(&heard[1], C, "the room with the invitee in");
    let options = rpc(
        &server,
        "[m['options'] for m in s.nway.listMembers('208')['members'] if m['number'] == '103']",
    );
    assert_eq!(
        options, "['AqX1']",
        "the invitee has the room's options for 103"
    );

    // Three are in: one more would be a fourth.
    invitation_refused(
        &server,
        (&second, "301", B),
        (&first, A),
        ("104", &d),
        "full",
    );
}

/// Room 210, which ends with its last marked user (`x`) and whose
/// participants may invite (`X`): the server, the marked user (100) and
/// another participant (300), both in.
fn room_ending_with_its_marked_user() -> (Server, Phone, Phone) {
    let room = r#"
[guests.nway.config.rooms.210]
options = "xXq1"
callers = { "100" = "A" }
"#;
    let server = Server::start_with(&nway_config("", room));
    let marked = Phone::call(server.sip, "8210", "100", &[]);
    let other = Phone::call(server.sip, "8210", "300", &[]);
    await_listed(&server, "210", &["100", "300"]);
    (server, marked, other)
}

#[test]
fn a_marked_user_hanging_up_while_out_inviting_ends_a_room_that_ends_with_it() {
    let (server, marked, other) = room_ending_with_its_marked_user();
    // Dial tone: the marked user is out of the room, inviting.
    press(&marked, "0");
    await_listed(&server, "210", &["300"]);
    marked.hang_up();
    assert!(
        other.await_bye(DEADLINE),
        "the room ends with its last marked user, also one out inviting"
    );
}

#[test]
fn one_out_inviting_when_its_room_closes_is_hung_up_when_it_comes_back() {
    let (server, marked, away) = room_ending_with_its_marked_user();
    // Out inviting (dial tone) while the last marked user leaves: the room
    // closes; `*` then goes back to no room.
    press(&away, "0");
    await_listed(&server, "210", &["100"]);
    marked.hang_up();
    server
        .wait_for_log("the last marked user left; closing it", DEADLINE)
        .expect("the room closes");
    press(&away, "*");
    assert!(
        away.await_bye(DEADLINE),
        "the one out inviting is hung up, not left alone in a new room"
    );
    server
        .wait_for_log("room 210: closed while", DEADLINE)
        .expect("its hang-up is logged");
}

#[test]
fn a_number_left_unfinished_times_out_and_is_not_called() {
    let callee = Listening::new();
    let keys = format!(
        "route = \"{}\"\ndial_timeout_ms = 2500",
        callee.uri("{number}")
    );
    let server = Server::start_with(&nway_config(&keys, INVITING_ROOM));
    let first = Phone::call(server.sip, "8208", "300", &[]);
    let second = Phone::call(server.sip, "8208", "301", &[]);
    await_listed(&server, "208", &["300", "301"]);

    // Out of the room: dial tone, and the room hears it no more.
    press(&first, "0");
    let heard = talk_together(&[&first, &second], &[A, B], Duration::from_millis(1500));
    for tone in DIAL_TONE {
        assert_hears(&heard[0], tone, "the inviter out of the room (dial tone)");
    }
    assert_not_hears(&heard[1], A, "the room while the inviter is out");
    press(&first, "10");
    // Typing, before the time-out: still out.
    let heard = talk_together(&[&first, &second], &[A, B], Duration::from_millis(1500));
    assert_not_hears(&heard[0], B, "the inviter still typing");
    never_called(&callee, "the number typed before the time-out");
    let heard = talk_together(&[&first, &second], &[A, B], TALK);
    assert_hears(&heard[0], B, "the inviter back in the room");
    assert_hears(&heard[1], A, "the room with the inviter back");
}

#[test]
fn the_conference_goes_on_while_its_only_other_member_is_out_inviting() {
    let (server, a, b, c) = escalated_and_invited();
    // B, the only one in the room, hangs up while A talks privately with C.
    b.hang_up();
    press(&a, "*7");
    let heard = talk_together(&[&a, &c], &[A, C], TALK);
    assert_hears(&heard[0], C, "A, back in the room with C");
    assert_hears(&heard[1], A, "C, in the room with A");
    // Room 9000 is still the escalated call's: nobody dials into it.
    let mut intruder = Phone::dial(server.sip, "89000", "200", &[]);
    assert_eq!(
        intruder.await_answer(),
        404,
        "a caller dialling the escalated room is still refused"
    );
}

#[test]
fn a_join_code_pressed_while_the_invitee_rings_leaves_the_ringback_on() {
    let (b, c) = (Listening::new(), Listening::new());
    let config = nway_config(&directory(&[("102", &b), ("103", &c)]), "");
    let server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    press(&a, "103#");
    assert!(c.invited_within(DEADLINE), "103 is called");
    press(&a, "*7");
    // The beep that says "not yet", then the ringback again (2 s on, 4 s off).
    let heard = a.talk(A, Duration::from_millis(2500));
    let ringback: f64 = RINGBACK.iter().map(|&hz| power(&heard, hz)).sum();
    assert!(
        ringback > 1e-3,
        "A still hears ringback after *7 with the invitee ringing: {ringback:.2e}"
    );
}

/// The From header of the first INVITE `socket` (a callee's SIP socket)
/// receives within the deadline, without its tag.
fn from_of_invite(socket: &std::net::UdpSocket) -> String {
    let deadline = std::time::Instant::now() + DEADLINE;
    let mut buffer = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(!left.is_zero(), "no INVITE within {DEADLINE:?}");
        socket.set_read_timeout(Some(left)).unwrap();
        let (length, _) = socket.recv_from(&mut buffer).expect("an INVITE");
        let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
        if message.starts_with("INVITE ") {
            let from = support::phone::header(&message, "From").expect("a From header");
            return from.split(";tag=").next().unwrap_or(from).to_owned();
        }
    }
}

/// A server whose callees 102 and 103 are the sockets `b` and `c`, with
/// `keys` more and room 208 ([`INVITING_ROOM`]).
fn server_calling(b: &std::net::UdpSocket, c: &std::net::UdpSocket, keys: &str) -> Server {
    let keys = format!(
        "directory = {{ \"102\" = \"sip:102@{}\", \"103\" = \"sip:103@{}\" }}\n{keys}",
        b.local_addr().unwrap(),
        c.local_addr().unwrap()
    );
    Server::start_with(&nway_config(&keys, INVITING_ROOM))
}

/// Two sockets standing for callees.
fn callee_sockets() -> (std::net::UdpSocket, std::net::UdpSocket) {
    (
        std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
        std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
    )
}

#[test]
fn callees_see_the_server_calling_unless_a_trusted_proxy_vouches_for_the_caller() {
    let (b, c) = callee_sockets();
    let server = server_calling(&b, &c, "");
    let _a = Phone::dial(server.sip, "102", "ceo", &[]);
    assert_eq!(
        from_of_invite(&b),
        "<sip:switchyard@127.0.0.1>",
        "a From nobody vouches for is not passed on"
    );
    let inviter = Phone::call(server.sip, "8208", "300", &[]);
    await_listed(&server, "208", &["300"]);
    press(&inviter, "0103#");
    assert_eq!(
        from_of_invite(&c),
        "<sip:switchyard@127.0.0.1>",
        "nor is it in an invitation"
    );
}

#[test]
fn callees_see_who_calls_them_and_who_invites_them_through_a_trusted_proxy() {
    let (b, c) = callee_sockets();
    let server = server_calling(&b, &c, "trusted_proxies = \"127.0.0.1\"");
    // The phone's From is <sip:%2B4930@127.0.0.1>: its host, not the callee's, and
    // its escape as it was.
    let _a = Phone::dial(server.sip, "102", "%2B4930", &[]);
    assert_eq!(
        from_of_invite(&b),
        "<sip:%2B4930@127.0.0.1>",
        "the forwarded call is from the caller"
    );

    let inviter = Phone::call(server.sip, "8208", "103", &[]);
    await_listed(&server, "208", &["103"]);
    assert_eq!(
        rpc(
            &server,
            "[m['options'] for m in s.nway.listMembers('208')['members']]"
        ),
        "['AqX1']",
        "103's callers options apply through the trusted proxy"
    );
    press(&inviter, "0103#");
    assert_eq!(
        from_of_invite(&c),
        "<sip:103@127.0.0.1>",
        "the invitation is from the inviting member"
    );
}

#[test]
fn invitations_call_only_numbers_invite_allow_takes_and_so_many_at_once() {
    let callee = Listening::new();
    let keys = format!(
        "route = \"{}\"\ninvite_allow = \"^1[0-9]{{2}}$\"\nmax_invites_per_room = 1\n\
         dial_timeout_ms = 60000",
        callee.uri("{number}")
    );
    let rooms = format!("{INVITING_ROOM}[guests.nway.config.rooms.209]\noptions = \"Xq1\"\n");
    let server = Server::start_with(&nway_config(&keys, &rooms));
    let first = Phone::call(server.sip, "8208", "300", &[]);
    let second = Phone::call(server.sip, "8208", "301", &[]);
    await_listed(&server, "208", &["300", "301"]);

    press(&first, "000119001234567#");
    never_called(&callee, "a number invite_allow does not take");
    server
        .wait_for_log(
            "room 208: 300 may not invite 00119001234567: not allowed",
            DEADLINE,
        )
        .expect("the refusal is logged");
    let heard = talk_together(&[&first, &second], &[A, B], TALK);
    assert_hears(&heard[1], A, "the room, the refused inviter back");

    // One member out inviting already (dial tone): another may not go out.
    press(&first, "0");
    await_listed(&server, "208", &["301"]);
    press(&second, "0");
    server
        .wait_for_log(
            "room 208: 301 may not go out inviting: too many members out inviting",
            DEADLINE,
        )
        .expect("the refusal is logged");

    // The limit fills while 300 is out dialling: room 209's member out
    // inviting is merged in. The number 300 types is checked again.
    let other = Phone::call(server.sip, "8209", "302", &[]);
    await_listed(&server, "209", &["302"]);
    press(&other, "0");
    await_listed(&server, "209", &[]);
    assert_eq!(rpc(&server, "s.nway.merge('209', '208')"), "1");
    server.await_value(
        "the members of room 208 out inviting",
        &"['300', '302']".to_owned(),
        DEADLINE,
        || {
            rpc(
                &server,
                "sorted(m['number'] for m in s.nway.listMembers('208')['out'])",
            )
        },
    );
    press(&first, "103#");
    server
        .wait_for_log(
            "room 208: 300 may not invite 103: too many members out inviting",
            DEADLINE,
        )
        .expect("the refusal is logged");
    never_called(&callee, "a number past max_invites_per_room");
}

#[test]
fn escalation_takes_neither_a_live_conference_nor_a_configured_room() {
    let (b, d, f) = (Listening::new(), Listening::new(), Listening::new());
    let keys = format!(
        "{}\nroom_scheme = \"offset\"\nroom_offset = 10000",
        directory(&[("102", &b), ("104", &d), ("105", &f)])
    );
    let profile = "[guests.nway.config.rooms.10101]\npin = \"4321\"\n";
    let server = Server::start_with(&nway_config(&keys, profile));
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    // A abandons the number: back in room 10100 with B.
    press(&a, "*");
    await_listed(&server, "10100", &["100", "102"]);

    // A second call from 100: its room 10100 is a live conference.
    let mut again = Phone::dial(server.sip, "104", "100", &[]);
    let d = d.answer(DEADLINE);
    assert_eq!(again.await_answer(), 200);
    escalate(&again, &d);
    await_listed(&server, "9000", &["104"]);
    await_listed(&server, "10100", &["100", "102"]);

    // 101's room 10101 has a profile: its escalation goes to the next free room.
    let mut third = Phone::dial(server.sip, "105", "101", &[]);
    let f = f.answer(DEADLINE);
    assert_eq!(third.await_answer(), 200);
    escalate(&third, &f);
    await_listed(&server, "9001", &["105"]);
    let rooms = host_rooms(&server);
    assert!(
        rooms.contains("'9001'") && !rooms.contains("'10101'"),
        "the escalation never opened room 10101: {rooms}"
    );
}

#[test]
fn a_conference_outlives_its_room_expiring_while_its_only_member_is_out() {
    let b = Listening::new();
    let expiring = "[rooms]\nexpire_delay_s = 1\nparticipants_expire_delay_s = 0\n";
    let server = Server::start_with(&nway_config(&directory(&[("102", &b)]), expiring));
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    // B leaves while A is out: nobody is in room 9000, which the host keeps
    // past its expiry delay for A.
    b.hang_up();
    await_listed(&server, "9000", &[]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        host_rooms(&server),
        "['9000']",
        "the host keeps the empty room"
    );

    let mut intruder = Phone::dial(server.sip, "89000", "200", &[]);
    assert_eq!(
        intruder.await_answer(),
        404,
        "the escalated conference is private still"
    );
    press(&a, "*");
    assert!(
        !a.await_bye(Duration::from_secs(2)),
        "A comes back to its conference, not to a closed one"
    );
    await_listed(&server, "9000", &["100"]);

    // Nobody is out any more: the room, once empty, expires as any.
    a.hang_up();
    server.await_value("the rooms", &"[]".to_owned(), DEADLINE, || {
        host_rooms(&server)
    });
}

#[test]
fn a_marked_user_out_inviting_keeps_a_room_that_ends_with_its_marked_users() {
    let room = r#"
[guests.nway.config.rooms.213]
options = "xXq1"
callers = { "100" = "A", "101" = "A" }
"#;
    let server = Server::start_with(&nway_config("", room));
    let away = Phone::call(server.sip, "8213", "100", &[]);
    let leaving = Phone::call(server.sip, "8213", "101", &[]);
    let staying = Phone::call(server.sip, "8213", "300", &[]);
    await_listed(&server, "213", &["100", "101", "300"]);
    press(&away, "0");
    await_listed(&server, "213", &["101", "300"]);
    leaving.hang_up();
    assert!(
        !staying.await_bye(Duration::from_secs(2)),
        "a marked user is still out inviting: the room goes on"
    );
    away.hang_up();
    assert!(
        staying.await_bye(DEADLINE),
        "the room ends with its last marked user"
    );
}

#[test]
fn a_conference_closed_while_a_member_is_out_leaves_the_next_one_in_its_room_alone() {
    let room = r#"
[guests.nway.config.rooms.214]
options = "xXq1"
max_members = 2
callers = { "100" = "A" }
"#;
    let server = Server::start_with(&nway_config("", room));
    let marked = Phone::call(server.sip, "8214", "100", &[]);
    let away = Phone::call(server.sip, "8214", "300", &[]);
    await_listed(&server, "214", &["100", "300"]);
    press(&away, "0");
    await_listed(&server, "214", &["100"]);
    marked.hang_up();
    server
        .wait_for_log("the last marked user left; closing it", DEADLINE)
        .expect("the room closes");

    // A new conference in room 214 while 300 is still out of the closed one:
    // 300 holds no place in it, and its members come back from inviting.
    let first = Phone::call(server.sip, "8214", "301", &[]);
    let second = Phone::call(server.sip, "8214", "302", &[]);
    await_listed(&server, "214", &["301", "302"]);
    press(&second, "0");
    await_listed(&server, "214", &["301"]);
    press(&second, "*");
    await_listed(&server, "214", &["301", "302"]);
    let heard = talk_together(&[&first, &second], &[A, B], TALK);
    assert_hears(&heard[0], B, "301, 302 back from inviting");
    assert_hears(&heard[1], A, "302 back from inviting");

    press(&away, "*");
    assert!(
        away.await_bye(DEADLINE),
        "300 is hung up when it comes back to its closed conference"
    );
    await_listed(&server, "214", &["301", "302"]);
}

#[test]
fn an_invitee_whose_holder_hangs_up_joins_the_holders_conference_in_an_empty_room() {
    let (server, a, b, _c) = escalated_and_invited();
    // B leaves: nobody is in room 9000, A is out talking with C.
    b.hang_up();
    await_listed(&server, "9000", &[]);
    a.hang_up();
    await_listed(&server, "9000", &["103"]);
    assert_eq!(
        rpc(
            &server,
            "[m['options'] for m in s.nway.listMembers('9000')['members']]"
        ),
        "['qX1']",
        "C has the options of everyone in an escalated room"
    );
    let mut intruder = Phone::dial(server.sip, "89000", "200", &[]);
    assert_eq!(
        intruder.await_answer(),
        404,
        "the escalated conference is private still"
    );
}

#[test]
fn an_invitee_whose_holder_hangs_up_in_an_empty_locked_room_is_refused() {
    let (server, a, b, c) = escalated_and_invited();
    assert_eq!(rpc(&server, "s.nway.lock('9000')"), "1");
    // B leaves: the lock is the conference's, which A, out, is still in.
    b.hang_up();
    await_listed(&server, "9000", &[]);
    a.hang_up();
    assert!(
        c.await_bye(DEADLINE),
        "the invitee is refused by the lock its conference kept"
    );
    server
        .wait_for_log("room 9000: invitee 103 refused: locked", DEADLINE)
        .expect("the refusal is logged");
}

#[test]
fn a_caller_typing_a_new_pin_is_refused_a_room_an_escalation_took_meanwhile() {
    let b = Listening::new();
    let keys = format!(
        "{}\nconference_options = \"Dq1\"",
        directory(&[("102", &b)])
    );
    let server = Server::start_with(&nway_config(&keys, ""));
    // 300 is asked for a pin for the vacant room 9000 ...
    let entering = Phone::call(server.sip, "89000", "300", &[]);
    // ... which an escalation, the first free room, takes meanwhile.
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    await_listed(&server, "9000", &["102"]);
    press(&entering, "55#");
    assert!(
        entering.await_bye(DEADLINE),
        "the caller is not let into the escalated call"
    );
    server
        .wait_for_log(
            "room 9000: 300 refused: an escalated call took it",
            DEADLINE,
        )
        .expect("the refusal is logged");
    await_listed(&server, "9000", &["102"]);
}

/// `count` callees, numbered 300, 301, …: their numbers, and the config keys
/// that route them.
fn callees(count: usize) -> (Vec<(String, Listening)>, String) {
    let callees: Vec<(String, Listening)> = (0..count)
        .map(|n| (format!("30{n}"), Listening::new()))
        .collect();
    let entries: Vec<(&str, &Listening)> = callees
        .iter()
        .map(|(number, callee)| (number.as_str(), callee))
        .collect();
    let keys = directory(&entries);
    (callees, keys)
}

/// Callers 100, 101, … each call one of `callees`, who answer.
fn two_party_calls(server: &Server, callees: Vec<(String, Listening)>) -> Vec<(Phone, Phone)> {
    callees
        .into_iter()
        .enumerate()
        .map(|(n, (number, callee))| {
            let mut caller = Phone::dial(server.sip, &number, &format!("10{n}"), &[]);
            let callee = callee.answer(DEADLINE);
            assert_eq!(caller.await_answer(), 200, "{number} answers");
            (caller, callee)
        })
        .collect()
}

/// The members of each room with someone in it, as listed by room.
fn members_by_room(server: &Server) -> String {
    rpc(
        server,
        "sorted((r['room'], r['members']) for r in s.nway.listRooms()['rooms'])",
    )
}

#[test]
fn both_sides_escalating_at_once_end_up_in_one_room() {
    // Each call a try: the two sides' flows race to tell each other.
    let (callees, keys) = callees(3);
    let server = Server::start_with(&nway_config(&format!("{keys}\nholder = \"both\""), ""));
    let calls = two_party_calls(&server, callees);
    let phones: Vec<&Phone> = calls.iter().flat_map(|(a, b)| [a, b]).collect();
    for phone in &phones {
        phone.send_dtmf('*');
    }
    std::thread::sleep(Duration::from_millis(200));
    // Both sides' `0`s before either side's flow can tell the other it escalated.
    for phone in &phones {
        phone.send_dtmf('0');
    }
    let heard = talk_together(&phones[..2], &[A, B], TALK);
    for (index, who) in ["100", "300"].into_iter().enumerate() {
        for tone in DIAL_TONE {
            assert_hears(&heard[index], tone, &format!("{who} after *0 (dial tone)"));
        }
    }

    // Both sides abandon the number: back in the one room of their call.
    for phone in &phones {
        press(phone, "*");
    }
    server.await_value(
        "the members of the escalated rooms",
        &"[2, 2, 2]".to_owned(),
        DEADLINE,
        || {
            rpc(
                &server,
                "[r['members'] for r in s.nway.listRooms()['rooms']]",
            )
        },
    );
    let heard = talk_together(&phones[..2], &[A, B], TALK);
    assert_hears(&heard[0], B, "100 back in the room");
    assert_hears(&heard[1], A, "300 back in the room");
}

#[test]
fn escalations_at_once_never_share_an_open_vacant_room() {
    let (callees, keys) = callees(4);
    let keys = format!("{keys}\nroom_first = 9000\nroom_last = 9003");
    // Every room of the range exists and is vacant: escalations take open rooms.
    let rooms = "[rooms]\npredefined = [\"9000\", \"9001\", \"9002\", \"9003\"]\n";
    let server = Server::start_with(&nway_config(&keys, rooms));
    let calls = two_party_calls(&server, callees);
    for (caller, _) in &calls {
        caller.send_dtmf('*');
    }
    std::thread::sleep(Duration::from_millis(200));
    for (caller, _) in &calls {
        caller.send_dtmf('0');
    }
    server.await_value(
        "the escalated rooms and their members",
        &"[('9000', 1), ('9001', 1), ('9002', 1), ('9003', 1)]".to_owned(),
        DEADLINE,
        || members_by_room(&server),
    );
}

#[test]
fn a_keep_a_restart_left_with_an_escalated_room_goes_at_the_next_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let (b, d) = (Listening::new(), Listening::new());
    let rooms = format!("[rooms]\nstate_file = {file:?}\nexpire_delay_s = 1\n");
    let config = nway_config(&directory(&[("102", &b), ("104", &d)]), &rooms);
    let mut server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    await_kept(&file, "9000");
    // Killed while A is out inviting: its mark is lost, the room's keep is not.
    server.signal("KILL");
    server.wait(DEADLINE);
    drop((a, b));

    let server = Server::start_with(&config);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        host_rooms(&server),
        "['9000']",
        "the keep outlived the restart"
    );
    let mut caller = Phone::dial(server.sip, "104", "100", &[]);
    let d = d.answer(DEADLINE);
    assert_eq!(caller.await_answer(), 200);
    escalate(&caller, &d);
    await_listed(&server, "9001", &["104"]);
    server.await_value("the rooms", &"['9001']".to_owned(), DEADLINE, || {
        host_rooms(&server)
    });
}

/// Waits until the rooms file holds `room` with its `keep` meta set.
fn await_kept(file: &std::path::Path, room: &str) {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let kept: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let keep = kept["rooms"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["room"] == room)
            .and_then(|r| r["meta"]["keep"].as_str().map(str::to_owned));
        if keep.as_deref() == Some("1") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected room {room} kept in the rooms file, got {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_parties_an_escalation_found_no_room_for_end_together() {
    let (b, d) = (Listening::new(), Listening::new());
    let keys = format!(
        "{}\nroom_first = 9000\nroom_last = 9000\n",
        directory(&[("102", &b), ("104", &d)])
    );
    let server = Server::start_with(&nway_config(&keys, ""));
    // The only room escalations may take has a call ringing into it: it looks vacant,
    // and each escalation joins it to claim it, and finds that call there.
    let holding = Phone::call(server.sip, "89000", "300", &[]);
    await_listed(&server, "9000", &["300"]);
    let ringing = Listening::new();
    let placed = rpc(
        &server,
        &format!("s.switchyard.dialout('9000', '{}')", ringing.uri("ringing")),
    );
    assert!(placed.starts_with("'c"), "the call into the room: {placed}");
    assert!(
        ringing.invited_within(DEADLINE),
        "the call into the room rings"
    );
    holding.hang_up();
    await_listed(&server, "9000", &[]);
    // Either side hanging up ends the other's call, as before the escalation.
    let calls = [(b, "102", true), (d, "104", false)];
    for (failed, (callee, number, callee_hangs_up)) in (1..).zip(calls) {
        let mut a = Phone::dial(server.sip, number, "100", &[]);
        let callee = callee.answer(DEADLINE);
        assert_eq!(a.await_answer(), 200);
        press(&a, "*0");
        server.await_value("escalations that found no room", &failed, DEADLINE, || {
            server.log().matches("no free room to escalate to").count()
        });
        let heard = talk_together(&[&a, &callee], &[A, B], TALK);
        assert_hears(&heard[0], B, "A, the escalation having found no room");
        assert_hears(
            &heard[1],
            A,
            "the callee, the escalation having found no room",
        );
        let (gone, left) = if callee_hangs_up {
            (callee, a)
        } else {
            (a, callee)
        };
        gone.hang_up();
        assert!(
            left.await_bye(DEADLINE),
            "the other side is hung up (callee hangs up: {callee_hangs_up}); log:\n{}",
            server.log()
        );
    }
}

#[test]
fn a_number_dialled_with_escapes_is_called_and_listed_as_its_digits() {
    let b = Listening::new();
    let server = Server::start_with(&nway_config(&directory(&[("102", &b)]), ""));
    // RFC 3261 §19.1.4: `%31` is `1`.
    let mut a = Phone::dial(server.sip, "%3102", "100", &[]);
    let b = b.answer(DEADLINE);
    assert_eq!(a.await_answer(), 200, "102's directory entry is called");
    escalate(&a, &b);
    await_listed(&server, "9000", &["102"]);
}

#[test]
fn a_number_dialled_with_an_escaped_control_character_is_not_found() {
    let callee = Listening::new();
    let keys = format!(
        "route = \"{}\"\ncall_pattern = \"^9\"",
        callee.uri("{number}")
    );
    let server = Server::start_with(&nway_config(&keys, ""));
    // `%0A` is a line feed: no number holds one, however permissive the pattern.
    let mut a = Phone::dial(server.sip, "9%0A1", "100", &[]);
    assert_eq!(a.await_answer(), 404, "nobody is called at 9\\n1");
    never_called(&callee, "9\\n1");
}

#[test]
fn a_marked_invitee_refused_in_its_holders_place_ends_a_room_that_ends_with_it() {
    let c = Listening::new();
    let room = r#"
[guests.nway.config.rooms.215]
options = "xXq1"
callers = { "100" = "A", "103" = "A" }
"#;
    let server = Server::start_with(&nway_config(&directory(&[("103", &c)]), room));
    let marked = Phone::call(server.sip, "8215", "100", &[]);
    let other = Phone::call(server.sip, "8215", "300", &[]);
    await_listed(&server, "215", &["100", "300"]);
    press(&marked, "0");
    await_listed(&server, "215", &["300"]);
    let answering = answer_in_background(c);
    press(&marked, "103#");
    let invitee = answering.join().unwrap();
    let heard = talk_together(&[&marked, &invitee], &[A, C], TALK);
    assert_hears(&heard[1], A, "103 talking privately with 100");
    // The host's lock refuses 103 without listing it in the room for a moment.
    let locked = "print(rest('PUT', '/api/v1/rooms/215/lock')[2])";
    assert_eq!(support::rest::rest_script(&server, locked).trim(), "True");
    // 103, marked, holds 100's place once 100 hangs up: the last marked user
    // leaves when it is refused, or when it hangs up once told why.
    marked.hang_up();
    server
        .wait_for_log(
            "room 215: invitee 103 refused: locked by the host",
            DEADLINE,
        )
        .expect("the refusal is logged");
    let _told = invitee.talk(0.0, Duration::from_millis(1500));
    assert!(invitee.await_bye(DEADLINE), "103 is hung up once told");
    assert!(
        other.await_bye(DEADLINE),
        "the room ends with its last marked user, an invitee never let in"
    );
    server
        .wait_for_log("room 215: the last marked user left; closing it", DEADLINE)
        .expect("the closing is logged");
}
