//! `dialout` against SIPp callees: one behind a proxy that challenges with
//! 407 and then answers (audio both ways), one that declines with 606, and
//! one that only rings (the room hears ringback; `roomDelete` cancels it);
//! and a phone that answers into an empty room (it hears `first_participant`).

mod support;

use std::time::Duration;
use support::audio::{power, rms};
use support::phone::{Listening, Phone};
use support::server::Server;
use support::sipp::{Sipp, free_port};
use support::webconference::{create_room, random_room, wait_for_participant, wc};

/// Above this a tone is heard (a full-scale sine reads about 1).
const HEARD: f64 = 1e-3;
/// Below this a tone is absent.
const ABSENT: f64 = 1e-4;
/// The ringback prompt's frequencies (North American: 440 + 480 Hz).
const RINGBACK_HZ: [f64; 2] = [440.0, 480.0];
/// One whole ringback cycle (2 s on, 4 s off) and a little more.
const RINGBACK_CYCLE: Duration = Duration::from_millis(6500);
/// What the test phone sends.
const PHONE_HZ: f64 = 1000.0;

/// `dialout` of `callee` in `room`, from `conf@switchyard.test`, with these
/// digest credentials; returns the new participant's call tag.
fn dial_out(server: &Server, room: &str, pin: &str, callee: &Sipp, user: &str, pw: &str) -> String {
    dial_out_to(server, room, pin, &callee.addr.to_string(), user, pw)
}

/// [`dial_out`] of `bob` at `domain`.
fn dial_out_to(
    server: &Server,
    room: &str,
    pin: &str,
    domain: &str,
    user: &str,
    pw: &str,
) -> String {
    let answer = wc(
        server,
        &format!(
            "s.dialout({room:?}, {pin:?}, 'bob', 'conf', 'switchyard.test', {user:?}, {pw:?}, \
             '', {domain:?})"
        ),
    );
    answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"))
        .to_owned()
}

/// The power of the ringback tone in `heard`.
fn ringback_power(heard: &[i16]) -> f64 {
    RINGBACK_HZ.iter().map(|&hz| power(heard, hz)).sum()
}

#[test]
fn a_challenged_dial_out_is_connected_with_audio_both_ways() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let media_port = free_port("127.0.0.1").to_string();
    let callee = Sipp::callee_with(
        "uas_407_then_200_wait_bye.xml",
        &["-rtp_echo", "-mp", &media_port],
    );
    let tag = dial_out(&server, &room, &pin, &callee, "alice", "secret");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    assert_eq!(
        listed,
        format!("['{tag}', 'sip:bob@{}', 3, '200 OK', 0, '']", callee.addr)
    );

    // The callee sends back what it gets: a caller in the room hears its own
    // tone only if audio flows from the room to the callee and back.
    let phone = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    let heard = phone.talk(PHONE_HZ, Duration::from_secs(3));
    let settled = &heard[heard.len().min(8000)..];
    let echoed = power(settled, PHONE_HZ);
    assert!(
        echoed > HEARD,
        "expected the callee's echo of the room at {PHONE_HZ} Hz above {HEARD}, got {echoed:.2e}"
    );
    assert!(
        ringback_power(settled) < ABSENT,
        "no ringback once the callee answered"
    );

    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a BYE when the room is deleted", &server);
    assert!(
        phone.await_bye(Duration::from_secs(5)),
        "the caller in the room gets a BYE too"
    );
}

#[test]
fn a_declined_dial_out_is_finished_with_its_reason() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_606.xml");
    let tag = dial_out(&server, &room, &pin, &callee, "", "");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 5"),
    );
    assert_eq!(
        listed,
        format!(
            "['{tag}', 'sip:bob@{}', 5, '606 Declined', 0, '']",
            callee.addr
        )
    );
    callee.finish("a 606 answered with an ACK", &server);
}

#[test]
fn a_ringing_dial_out_rings_in_the_room_until_room_delete_cancels_it() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_ring_until_cancel.xml");
    let tag = dial_out(&server, &room, &pin, &callee, "", "");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 2"),
    );
    assert_eq!(
        listed,
        format!(
            "['{tag}', 'sip:bob@{}', 2, '180 Ringing', 0, '']",
            callee.addr
        )
    );

    let phone = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    let heard = phone.talk(PHONE_HZ, RINGBACK_CYCLE);
    let ringback = ringback_power(&heard);
    assert!(
        ringback > HEARD,
        "expected the room to hear ringback from the ringing callee above {HEARD}, got {ringback:.2e}"
    );

    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a CANCEL when the room is deleted", &server);
    assert!(
        phone.await_bye(Duration::from_secs(5)),
        "the caller in the room gets a BYE"
    );
}

#[test]
fn a_dial_out_answered_into_an_empty_room_hears_first_participant() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Listening::new();
    let domain = callee.uri("bob").trim_start_matches("sip:bob@").to_owned();
    let tag = dial_out_to(&server, &room, &pin, &domain, "", "");
    let phone = callee.answer(Duration::from_secs(10));
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    // Alone in the room, it hears the prompt (about 3 s), not silence.
    let heard = phone.talk(PHONE_HZ, Duration::from_secs(2));
    let level = rms(&heard);
    assert!(
        heard.len() > 8000 && level > 0.01,
        "expected first_participant, heard {} samples at RMS {level:.4}",
        heard.len()
    );
}
