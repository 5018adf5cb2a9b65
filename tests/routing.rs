//! Several guests in one server, end to end: `[[routing.rules]]` send each
//! incoming call to its guest by Request-URI or header, control functions
//! reach a guest by its name, each guest runs under its own limits, and a
//! guest that traps or spins harms no call of another guest.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use support::audio::power;
use support::phone::Phone;
use support::server::{Server, base_config, test_guest_wasm};
use support::sipp::Sipp;
use support::xmlrpc::{await_live_calls, python, rpc};

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// The tones of the two webconference participants.
const TONES: [f64; 2] = [700.0, 1200.0];

/// The webconference guest for every call but those of the rules: users
/// `alone`, `spin` and `panic`, and calls with `X-Guest: misbehave`, go to
/// the `misbehave` guest, which burns a fuel budget of its own rather than
/// running into the (long) global deadline.
fn two_guests_config() -> String {
    format!(
        "{}[limits]\ncall_deadline_ms = 10000\n\
         [routing]\nguest = \"webconference\"\n\
         [[routing.rules]]\nguest = \"misbehave\"\nuri = \"^sip:(alone|spin|panic)@\"\n\
         [[routing.rules]]\nguest = \"misbehave\"\nheaders = {{ \"X-Guest\" = \"^misbehave$\" }}\n\
         [guests.misbehave]\nwasm = \"{}\"\n\
         [guests.misbehave.limits]\nfuel = 200000000\n",
        base_config(),
        test_guest_wasm("misbehave")
    )
}

#[test]
fn calls_and_control_functions_reach_the_guest_named_for_them() {
    let server = Server::start_with(&two_guests_config());

    let alone = Phone::call(server.sip, "alone", "anna", &[]);
    let conference = Phone::call(server.sip, "000777123", "bert", &[]);
    let by_header = Phone::call(server.sip, "hello", "carl", &["X-Guest: misbehave"]);
    let not_by_header = Phone::call(server.sip, "000777123", "dora", &["X-Guest: other"]);
    await_live_calls(&server, &[("misbehave", 2), ("webconference", 2)], DEADLINE);
    // The misbehave guest put carl in its room `ok`; webconference put bert
    // and dora in room 123.
    let room = rpc(&server, "s.webconference.roomInfo('123', '')");
    assert!(
        room.contains("<sip:bert@") && room.contains("<sip:dora@") && !room.contains("carl"),
        "expected room 123 to list bert and dora only, got {room}"
    );

    assert!(
        rpc(&server, "s.misbehave.anything()").starts_with("[0, 'OK'"),
        "a dotted call reaches the misbehave guest"
    );
    assert!(
        rpc(&server, "s.di('misbehave', 'anything')").starts_with("[0, 'OK'"),
        "di reaches it too"
    );
    let unnamed = rpc(&server, "s.roomInfo('123', '')");
    assert_eq!(unnamed, room, "a bare name goes to the routing guest");
    let fault = python(
        &server,
        "try:\n    s.nway.listRooms()\nexcept xmlrpc.client.Fault as f:\n    print(f.faultCode, f.faultString)\n",
    );
    assert_eq!(fault.trim_end(), "500 unknown interface 'nway'");

    for phone in [alone, conference, by_header, not_by_header] {
        phone.hang_up();
    }
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}

/// The most seconds the room talks while the other guest misbehaves.
const MAX_TALK_SECONDS: usize = 60;

/// Talks `tone_hz` on `phone` a second at a time: a first one, counted in
/// `settled` as it ends, then on while `misbehaving` holds and a second more
/// (at most [`MAX_TALK_SECONDS`] in all); returns what was heard in each
/// second.
fn talk_while(
    phone: &Phone,
    tone_hz: f64,
    settled: &AtomicUsize,
    misbehaving: &AtomicBool,
) -> Vec<Vec<i16>> {
    let mut seconds = vec![phone.talk(tone_hz, Duration::from_secs(1))];
    settled.fetch_add(1, Ordering::SeqCst);
    while seconds.len() < MAX_TALK_SECONDS {
        let last = !misbehaving.load(Ordering::SeqCst);
        seconds.push(phone.talk(tone_hz, Duration::from_secs(1)));
        if last {
            break;
        }
    }
    seconds
}

#[test]
fn a_guest_that_traps_or_spins_harms_no_call_of_another_guest() {
    let server = Server::start_with(&two_guests_config());
    let anna = Phone::call(server.sip, "000777555", "anna", &[]);
    let bert = Phone::call(server.sip, "000777555", "bert", &[]);
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 2)], DEADLINE);

    let (settled, misbehaving) = (AtomicUsize::new(0), AtomicBool::new(true));
    let (heard, byes, statuses) = std::thread::scope(|scope| {
        let anna_talks = scope.spawn(|| talk_while(&anna, TONES[0], &settled, &misbehaving));
        let bert_talks = scope.spawn(|| talk_while(&bert, TONES[1], &settled, &misbehaving));
        // Once the room's path has settled and while it talks, the other guest
        // spins until its fuel runs out and panics, call after call.
        let waited = std::time::Instant::now();
        while settled.load(Ordering::SeqCst) < 2 && waited.elapsed() < DEADLINE {
            std::thread::sleep(Duration::from_millis(20));
        }
        let statuses: Vec<(&str, u16)> = (0..3)
            .flat_map(|_| ["spin", "panic"])
            .map(|user| {
                let mut phone = Phone::dial(server.sip, user, "mallory", &[]);
                (user, phone.await_answer())
            })
            .collect();
        misbehaving.store(false, Ordering::SeqCst);
        let heard = [anna_talks.join().unwrap(), bert_talks.join().unwrap()];
        let watch = Duration::from_millis(500);
        let byes = [anna.await_bye(watch), bert.await_bye(watch)];
        (heard, byes, statuses)
    });

    for (user, status) in statuses {
        assert_eq!(
            status, 500,
            "expected 500 to a call whose guest does `{user}`"
        );
    }
    assert!(
        server.log().contains("used up its fuel"),
        "expected the misbehave guest's own fuel budget to stop it; log:\n{}",
        server.log()
    );
    assert_eq!(byes, [false, false], "no BYE to the webconference calls");
    // Every second of the room's talk but the first (the path settling): the
    // misbehaviour's and the one after it, each heard the other.
    for (index, seconds) in heard.iter().enumerate() {
        let other = TONES[1 - index];
        assert!(
            seconds.len() < MAX_TALK_SECONDS,
            "the other guest still misbehaved after {MAX_TALK_SECONDS} s"
        );
        for (second, samples) in seconds.iter().enumerate().skip(1) {
            let level = if samples.is_empty() {
                0.0
            } else {
                power(samples, other)
            };
            assert!(
                level > 0.01,
                "expected participant {index} to hear the other's {other} Hz above 0.01 \
                 in second {second} of {}, got {level} over {} samples",
                seconds.len(),
                samples.len()
            );
        }
    }
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 2)], DEADLINE);
    anna.hang_up();
    bert.hang_up();
}

#[test]
fn a_placed_call_is_served_by_the_guest_that_placed_it() {
    let server = Server::start_with(&two_guests_config());
    let callee = Sipp::callee("uas_answer_wait_bye.xml");
    let answer = rpc(
        &server,
        &format!("s.misbehave.dial({:?})", callee.uri("bob")),
    );
    let call = answer
        .strip_prefix("[0, '")
        .and_then(|rest| rest.split_once('\''))
        .map(|(call, _)| call.to_owned())
        .unwrap_or_else(|| panic!("expected dial to answer [0, call, …], got {answer}"));
    // Not the routing guest's: the placed call's instance is misbehave's.
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 0)], DEADLINE);
    rpc(&server, &format!("s.misbehave.hangup({call:?})"));
    callee.finish("the placed call answered, then our BYE", &server);
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}
