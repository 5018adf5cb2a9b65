//! What `switchyard:call@0.3.0` added, end to end through the real binary
//! with a guest of that version (`guests/wit03-probe`): a deaf participant
//! hears its prompt and nothing of its room, keys sent to a phone arrive as
//! RFC 4733 events, and a message from one call's instance makes another
//! call's instance of the same guest play a prompt, while an instance of
//! another guest never gets it; an instance serving a control request sends
//! from no call.

mod support;

use std::time::Duration;
use support::audio::power;
use support::phone::{Phone, Received};
use support::server::{Server, base_config, test_guest_wasm};
use support::xmlrpc::rpc;
use switchyard_media::DtmfReceiver;

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// The two tones of the dial tone prompt the probe plays.
const DIAL_TONE: [f64; 2] = [350.0, 440.0];

/// Every call goes to the probe guest (as `probe`), but those to user
/// `stranger`, which go to the same component loaded as `stranger`.
fn probe_config() -> String {
    let wasm = test_guest_wasm("wit03_probe");
    format!(
        "{}[routing]\nguest = \"probe\"\n\
         [[routing.rules]]\nguest = \"stranger\"\nuri = \"^sip:stranger@\"\n\
         [guests.probe]\nwasm = \"{wasm}\"\n\
         [guests.stranger]\nwasm = \"{wasm}\"\n",
        base_config()
    )
}

/// The power of the dial tone's weaker tone in the last second of `heard`
/// (8 kHz), which must be that long.
fn dial_tone_power(heard: &[i16]) -> f64 {
    assert!(heard.len() >= 8000, "heard only {} samples", heard.len());
    let tail = &heard[heard.len() - 8000..];
    DIAL_TONE
        .map(|tone| power(tail, tone))
        .into_iter()
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn a_deaf_participant_hears_its_prompt_and_not_the_room() {
    let server = Server::start_with(&probe_config());
    let talker = Phone::call(server.sip, "probe", "talker", &[]);
    let deaf = Phone::call(server.sip, "deaf", "deaf", &[]);
    let tones = [900.0, 1300.0];
    let heard: Vec<Vec<i16>> = std::thread::scope(|scope| {
        let talking = [&talker, &deaf]
            .into_iter()
            .zip(tones)
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, Duration::from_secs(3))))
            .collect::<Vec<_>>();
        talking.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let (talker_heard, deaf_heard) = (&heard[0], &heard[1]);
    let tail = |heard: &[i16]| heard[heard.len() - 8000..].to_vec();
    let room_at_deaf = power(&tail(deaf_heard), tones[0]);
    let prompt_at_deaf = dial_tone_power(deaf_heard);
    let deaf_at_talker = power(&tail(talker_heard), tones[1]);
    eprintln!(
        "deaf hears the talker at {room_at_deaf:.2e} and its prompt at {prompt_at_deaf:.2e}; \
         the talker hears the deaf one at {deaf_at_talker:.2e}"
    );
    assert!(room_at_deaf < 1e-4, "the deaf participant hears the room");
    assert!(
        prompt_at_deaf > 1e-3,
        "the deaf participant's prompt is not heard"
    );
    assert!(deaf_at_talker > 0.01, "the deaf participant is not heard");
    assert!(
        dial_tone_power(talker_heard) < 1e-4,
        "the prompt is the deaf participant's own"
    );
}

#[test]
fn keys_sent_to_a_phone_arrive_as_rfc_4733_events() {
    let server = Server::start_with(&probe_config());
    let phone = Phone::call(server.sip, "probe", "keyed", &[]);
    phone.discard_received();
    phone.send_dtmf('5');
    let received = phone.receive(Duration::from_secs(2));
    for refused in [
        "send-dtmf 1x: Err(Error::InvalidArgument(\"'x' is not a DTMF key",
        "send-dtmf 33 keys: Err(Error::InvalidArgument(\"0 keys are waiting and 33 more",
    ] {
        server.wait_for_log(refused, DEADLINE).unwrap();
    }
    let events: Vec<&Received> = received.iter().filter(|r| r.is_event()).collect();
    let mut receiver = DtmfReceiver::new();
    let keys: String = events
        .iter()
        .filter_map(|e| receiver.receive(1, e.timestamp, &e.payload).unwrap())
        .collect();
    assert_eq!(keys, "19#D");
    for key in events.chunk_by(|a, b| a.timestamp == b.timestamp) {
        assert_eq!(
            key.len(),
            7,
            "five packets while it sounds, the end twice more"
        );
        assert!(key[0].marker && key[1..].iter().all(|e| !e.marker));
        let ends = key.iter().filter(|e| e.payload[1] & 0x80 != 0).count();
        assert_eq!(ends, 3, "the end packet is sent three times");
    }
    // The events are part of the call's one RTP stream.
    let first = received.iter().position(Received::is_event).unwrap();
    for pair in received[first - 1..].windows(2) {
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
    }
}

#[test]
fn a_message_reaches_an_instance_of_the_same_guest_only() {
    let server = Server::start_with(&probe_config());
    let lobby = Phone::call(server.sip, "lobby", "waiting", &[]);
    let stranger = Phone::call(server.sip, "stranger", "stranger", &[]);
    let before = lobby.talk(1000.0, Duration::from_millis(1200));
    assert!(
        dial_tone_power(&before) < 1e-4,
        "nothing plays before the message"
    );
    let _notify = Phone::call(server.sip, "notify", "notifier", &[]);
    let delivered = server.wait_for_log("message from \"c", DEADLINE).unwrap();
    assert!(delivered.contains(": play"), "{delivered}");
    server
        .wait_for_log("a message from another guest: dropped", DEADLINE)
        .unwrap();
    let heard: Vec<Vec<i16>> = std::thread::scope(|scope| {
        let talking = [(&lobby, 1000.0), (&stranger, 1500.0)]
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, Duration::from_secs(2))));
        talking.map(|t| t.join().unwrap()).to_vec()
    });
    assert!(
        dial_tone_power(&heard[0]) > 1e-3,
        "the lobby's instance plays the dial tone on the message"
    );
    assert!(
        dial_tone_power(&heard[1]) < 1e-4,
        "the stranger's instance got no message"
    );
    // An instance serving a control request sends from no call.
    let sent = rpc(&server, "s.message('c1', 'hi')");
    assert!(sent.contains("Ok(())"), "{sent}");
    server
        .wait_for_log("message from \"\" to c1: hi", DEADLINE)
        .unwrap();
}
