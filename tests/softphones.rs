//! Real softphones (baresip) against the real binary: callers on Opus, G.722
//! (over TCP) and PCMU in one room each hear the two others and not themselves; an
//! Opus softphone whose keys are telephone-event at 8 kHz enters a room by
//! keypad; a softphone's hold and resume (re-INVITEs) are answered, and once
//! resumed it is heard in its room again; a dial-out reaches a softphone
//! that answers by itself, with audio both ways; and a call between two
//! softphones, relayed by the nway guest, becomes a room at the caller's keys.

mod support;

use std::time::{Duration, Instant};
use support::audio::power_at;
use support::nway::nway_config;
use support::server::Server;
use support::softphone::{Answer, Heard, Softphone, TONE_AMPLITUDE};
use support::webconference::{create_room, random_room, server_with, wait_for_participant, wc};

/// How long a call may take to be set up.
const SETUP: Duration = Duration::from_secs(10);
/// A tone heard in the room: it reads about `TONE_AMPLITUDE`² (0.06) when
/// heard whole, so this is over 20 dB below.
const HEARD: f64 = TONE_AMPLITUDE * TONE_AMPLITUDE / 100.0;
/// A tone not heard: 40 dB below one heard whole.
const ABSENT: f64 = TONE_AMPLITUDE * TONE_AMPLITUDE / 10_000.0;
/// The tones, apart from each other, their harmonics and the room's sounds
/// (880 and 1320 Hz).
const TONES: [f64; 3] = [450.0, 1050.0, 1650.0];

/// The power of `hz` in `samples` of `heard`.
fn power(heard: &Heard, samples: &[i16], hz: f64) -> f64 {
    power_at(heard.rate, samples, hz)
}

/// The recording in blocks of 100 ms, and how each holds `hz`: `#` heard (above
/// [`HEARD`]), `.` not heard (below [`ABSENT`]), `~` between the two.
fn blocks(heard: &Heard, hz: f64) -> Vec<char> {
    let block = heard.rate as usize / 10;
    heard
        .samples
        .chunks_exact(block)
        .map(|samples| match power(heard, samples, hz) {
            level if level > HEARD => '#',
            level if level < ABSENT => '.',
            _ => '~',
        })
        .collect()
}

/// Asserts that `heard` has `hz` (what `who` is), then not for at least `gap`
/// from about `from` on, then again. The stretch without it is found in the
/// recording rather than cut at the test's times: a softphone's recording
/// falls behind the test's clock by every frame it drops while the machine is
/// busy, so it may begin up to 1.5 s either side of `from`; the tone must be
/// heard within 1.5 s before it and after it.
fn assert_silenced_for(heard: &Heard, hz: f64, who: &str, from: Duration, gap: Duration) {
    const BLOCK: Duration = Duration::from_millis(100);
    const SLACK: usize = 15;
    let blocks = blocks(heard, hz);
    let pattern: String = blocks.iter().collect();
    eprintln!("{who} ({hz} Hz, 100 ms each): {pattern}");
    let expected = (from.as_millis() / BLOCK.as_millis()) as usize;
    // The longest stretch without it that begins near `from` (the recording may begin with
    // silence of its own, before the other party's call is up).
    let (mut start, mut len, mut run) = (0, 0, 0);
    for (index, &block) in blocks.iter().enumerate() {
        run = if block == '.' { run + 1 } else { 0 };
        let begins = index + 1 - run;
        if run > len && begins.abs_diff(expected) <= SLACK {
            (start, len) = (begins, run);
        }
    }
    assert!(
        BLOCK * len as u32 >= gap && start.abs_diff(expected) <= SLACK,
        "{who}: expected at least {gap:?} without it from about {from:?}, \
         the longest stretch near it is {:?} from {:?}: {pattern}",
        BLOCK * len as u32,
        BLOCK * start as u32,
    );
    let end = start + len;
    let before = &blocks[start.saturating_sub(SLACK)..start];
    let after = &blocks[end..(end + SLACK).min(blocks.len())];
    assert!(
        before.contains(&'#') && after.contains(&'#'),
        "{who}: expected it heard just before and just after the stretch without it: {pattern}"
    );
}

/// `000777<room>` at the server: the room, directly.
fn room_uri(server: &Server, room: &str) -> String {
    format!("sip:000777{room}@{}", server.sip)
}

#[test]
fn softphones_on_opus_g722_and_pcmu_in_one_room_hear_the_two_others_and_not_themselves() {
    let server = Server::start();
    let room = random_room();
    let codecs = [
        ("opus/48000/2", 48_000),
        ("G722/16000/1", 16_000),
        ("PCMU/8000/1", 8_000),
    ];
    let phones: Vec<Softphone> = codecs
        .iter()
        .zip(TONES)
        .enumerate()
        .map(|(index, ((codec, _), tone))| {
            Softphone::start(&format!("p{index}"), codec, tone, Answer::Manual)
        })
        .collect();
    // The G.722 phone signals over TCP, the others over UDP.
    for (phone, transport) in phones.iter().zip(["", ";transport=tcp", ""]) {
        phone.dial(&format!("{}{transport}", room_uri(&server, &room)));
    }
    for phone in &phones {
        phone.await_event("CALL_ESTABLISHED", SETUP);
    }
    // The first hears the first-participant prompt (about 3 s) at the start.
    std::thread::sleep(Duration::from_secs(6));
    for phone in &phones {
        phone.hang_up();
    }
    for (index, (phone, (codec, rate))) in phones.into_iter().zip(codecs).enumerate() {
        let heard = phone.finish();
        assert_eq!(
            heard.rate, rate,
            "p{index} decoded {codec}, at {rate} Hz: the codec it offered alone"
        );
        let tail = heard.tail();
        for (other, hz) in TONES.into_iter().enumerate() {
            let level = power(&heard, tail, hz);
            eprintln!("p{index} ({codec}) hears {hz} Hz at {level:.2e}");
            if other == index {
                assert!(
                    level < ABSENT,
                    "p{index} hears its own {hz} Hz at {level:.2e}, expected below {ABSENT:.2e}"
                );
            } else {
                assert!(
                    level > HEARD,
                    "p{index} ({codec}) hears p{other}'s {hz} Hz at {level:.2e}, expected above {HEARD:.2e}; log:\n{}",
                    server.log()
                );
            }
        }
    }
}

#[test]
fn an_opus_softphone_with_keys_at_8_khz_enters_a_room_by_keypad() {
    let server = server_with("");
    let phone = Softphone::start("keypad", "opus/48000/2", TONES[0], Answer::Manual);
    phone.dial(&format!("sip:100@{}", server.sip));
    phone.await_event("CALL_ESTABLISHED", SETUP);
    std::thread::sleep(Duration::from_millis(500));
    phone.press("4711#");
    let listed = wait_for_participant(&server, "4711", "", "'keypad@' in p[1]");
    assert!(
        listed.contains("'entered'"),
        "expected the softphone in room 4711, entered by its keys, got {listed}"
    );
    phone.hang_up();
}

#[test]
fn a_softphone_holding_and_resuming_is_answered_and_heard_in_its_room_again() {
    // baresip sends nothing while it holds, so what it would play is not tested here: the
    // room's deafness to a holding phone that goes on sending is (tests/mixing.rs).
    let server = Server::start();
    let room = random_room();
    let holder = Softphone::start("holder", "opus/48000/2", TONES[0], Answer::Manual);
    let listener = Softphone::start("listener", "PCMU/8000/1", TONES[2], Answer::Manual);
    listener.dial(&room_uri(&server, &room));
    listener.await_event("CALL_ESTABLISHED", SETUP);
    let start = Instant::now();
    holder.dial(&room_uri(&server, &room));
    holder.await_event("CALL_ESTABLISHED", SETUP);
    std::thread::sleep(Duration::from_secs(4));

    let held = start.elapsed();
    holder.renegotiate("hold");
    std::thread::sleep(Duration::from_secs(3));
    let resumed = start.elapsed();
    holder.renegotiate("resume");
    std::thread::sleep(Duration::from_secs(3));
    holder.hang_up();
    listener.hang_up();
    holder.finish();

    // The listener's recording runs from its call's start, a little before
    // `start`: heard, then not for about the 3 s on hold, then again.
    let heard = listener.finish();
    let on_hold = resumed - held;
    assert_silenced_for(
        &heard,
        TONES[0],
        "the listener hears the holder",
        held,
        on_hold - Duration::from_secs(1),
    );
}

#[test]
fn a_dial_out_reaches_a_softphone_that_answers_and_audio_flows_both_ways() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let caller = Softphone::start("caller", "G722/16000/1", TONES[1], Answer::Manual);
    let callee = Softphone::start("callee", "opus/48000/2", TONES[0], Answer::Auto);
    caller.dial(&room_uri(&server, &room));
    caller.await_event("CALL_ESTABLISHED", SETUP);
    let answer = wc(
        &server,
        &format!(
            "s.dialout({room:?}, {pin:?}, 'callee', 'conf', 'switchyard.test', '', '', '', {:?})",
            callee.sip.to_string()
        ),
    );
    assert!(
        answer.starts_with("[0, 'OK', '"),
        "expected dialout to answer [0, 'OK', tag], got {answer}"
    );
    callee.await_event("CALL_ESTABLISHED", SETUP);
    std::thread::sleep(Duration::from_secs(4));
    callee.hang_up();
    caller.hang_up();
    for (phone, hears, who) in [(caller, TONES[0], "callee"), (callee, TONES[1], "caller")] {
        let name = phone.name.clone();
        let heard = phone.finish();
        let tail = heard.tail();
        let level = power(&heard, tail, hears);
        eprintln!("the {name} hears the {who} at {level:.2e}");
        assert!(
            level > HEARD,
            "the {name} hears the {who}'s {hears} Hz at {level:.2e}, expected above {HEARD:.2e}; log:\n{}",
            server.log()
        );
    }
}

#[test]
fn a_call_between_softphones_becomes_a_room_at_the_callers_keys() {
    let callee = Softphone::start("callee", "opus/48000/2", TONES[0], Answer::Auto);
    let server = Server::start_with(&nway_config(
        &format!("directory = {{ \"102\" = \"sip:callee@{}\" }}", callee.sip),
        "",
    ));
    let caller = Softphone::start("caller", "opus/48000/2", TONES[1], Answer::Manual);
    caller.dial(&format!("sip:102@{}", server.sip));
    callee.await_event("CALL_ESTABLISHED", SETUP);
    let start = Instant::now();
    caller.await_event("CALL_ESTABLISHED", SETUP);
    std::thread::sleep(Duration::from_secs(3));
    // *0: the callee goes into a new room, the caller hears dial tone.
    let escalated = start.elapsed();
    caller.press("*0");
    if let Err(log) = server.wait_for_log("escalated into room", SETUP) {
        panic!("the caller's *0 (telephone-event at 8 kHz beside Opus) escalated nothing: {log}");
    }
    std::thread::sleep(Duration::from_secs(3));
    // *: the caller goes back, into the room.
    let back = start.elapsed();
    caller.press("*");
    std::thread::sleep(Duration::from_secs(4));
    caller.hang_up();
    callee.hang_up();
    caller.finish();

    // The callee's recording starts with its call, a little after `start`:
    // the caller relayed, then not for about the 3 s escalated, then in the room.
    let heard = callee.finish();
    assert_silenced_for(
        &heard,
        TONES[1],
        "the callee hears the caller",
        escalated,
        back - escalated - Duration::from_secs(1),
    );
}
