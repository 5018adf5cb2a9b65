//! The nway guest's ad-hoc n-way calls, end to end with test phones: a
//! two-party call through the server escalated into a room by the holder of
//! the feature codes (`*0`), the invitee dialled (`number#`), brought in
//! (`*7`) or dropped (`*#`), and a fourth caller invited from inside the
//! room (`0`). Each step is checked by what the phones hear.

mod support;

use std::time::Duration;
use support::nway::{
    DEADLINE, answer_in_background, assert_hears, assert_not_hears, directory, nway_config, press,
    talk_together,
};
use support::phone::{Listening, Phone};
use support::server::Server;
use support::xmlrpc::rpc;

/// The tones of A, B, C and D.
const A: f64 = 600.0;
const B: f64 = 900.0;
const C: f64 = 1150.0;
const D: f64 = 1450.0;
/// The two tones of dial tone (ITU-T E.180, North America).
const DIAL_TONE: [f64; 2] = [350.0, 440.0];
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
    let (b, c) = (Listening::new(), Listening::new());
    let config = nway_config(&directory(&[("102", &b), ("103", &c)]), "");
    let server = Server::start_with(&config);
    let (a, b) = two_party_call(&server, b);
    escalate(&a, &b);
    let c = invite((&a, A), (&b, B), "103", c, C);

    press(&a, "*#");
    assert!(c.await_bye(DEADLINE), "the dropped invitee gets a BYE");
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
