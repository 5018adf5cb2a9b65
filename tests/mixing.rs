//! Three callers in one room each hear the two others and never themselves
//! (mix-minus), in one codec or in Opus, G.722 and PCMU at once, with packets
//! moved by io_uring or by the sweep; and RTP sent to a call's port from
//! anywhere but its caller is dropped; a caller whose phone holds the call is
//! not heard in its room, whatever it sends, until it resumes; end to end
//! through the real binary.

mod support;

use std::time::Duration;
use support::audio::power_at;
use support::phone::Phone;
use support::server::{Server, base_config};
use switchyard_media::Codec;

/// The tones the three callers send, chosen apart from each other and from
/// each other's harmonics.
const TONES: [f64; 3] = [500.0, 900.0, 1300.0];
/// How long each caller talks. The first caller hears `first_participant`
/// (about 3 s) on top of the room first; only the end is analysed.
const TALK: Duration = Duration::from_secs(7);
/// The analysed tail of what each caller heard: the last 1.5 s.
const TAIL_SAMPLES: usize = 12_000;

/// Three callers, each offering its codec only, call `user` (a direct room)
/// of a server whose `media.packet_io` is `packet_io` and send `TONES` at
/// once: each hears the two others and not itself, in the last 1.5 s of what
/// it heard. `auto` must choose io_uring: the machines this suite runs on
/// allow it.
fn three_callers_hear_each_other_and_not_themselves(
    packet_io: &str,
    user: &str,
    callers: [(&str, Codec); 3],
) {
    // The base config ends in `[media]`.
    let server = Server::start_with(&format!("{}packet_io = \"{packet_io}\"\n", base_config()));
    let used = if packet_io == "auto" {
        "io_uring"
    } else {
        packet_io
    };
    if let Err(log) = server.wait_for_log(&format!("packet_io={used}"), Duration::from_secs(5)) {
        panic!("the media workers do not use {used}; the kernel may refuse io_uring:\n{log}");
    }
    let phones: Vec<Phone> = callers
        .iter()
        .map(|&(caller, codec)| Phone::call_with(server.sip, user, caller, &[], codec))
        .collect();
    let heard: Vec<Vec<i16>> = std::thread::scope(|scope| {
        let talkers: Vec<_> = phones
            .iter()
            .zip(TONES)
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, TALK)))
            .collect();
        talkers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for ((index, samples), phone) in heard.iter().enumerate().zip(&phones) {
        let rate = phone.audio_rate();
        // The same 1.5 s at this phone's rate.
        let tail_len = TAIL_SAMPLES * rate as usize / 8000;
        assert!(
            samples.len() > tail_len,
            "caller {index} heard only {} samples",
            samples.len()
        );
        let tail = &samples[samples.len() - tail_len..];
        let own = power_at(rate, tail, TONES[index]);
        for (other, tone) in TONES.iter().enumerate().filter(|(o, _)| *o != index) {
            let theirs = power_at(rate, tail, *tone);
            eprintln!("caller {index} hears {tone} Hz at {theirs:.2e}, itself at {own:.2e}");
            // A -6 dBFS-ish tone reads ~0.06; codecs and mixing keep it within a few dB.
            assert!(
                theirs > 0.01,
                "caller {index} does not hear caller {other}: {theirs}"
            );
            assert!(
                theirs > own * 1000.0,
                "caller {index} hears itself: own {own}, caller {other} {theirs}"
            );
        }
    }
    for phone in phones {
        phone.hang_up();
    }
}

#[test]
fn each_caller_hears_the_two_others_and_not_itself() {
    three_callers_hear_each_other_and_not_themselves(
        "auto",
        "000777123",
        [
            ("alice", Codec::Pcmu),
            ("bob", Codec::Pcmu),
            ("carol", Codec::Pcmu),
        ],
    );
}

#[test]
fn opus_g722_and_pcmu_callers_hear_each_other_and_not_themselves() {
    three_callers_hear_each_other_and_not_themselves(
        "auto",
        "000777124",
        [
            ("olga", Codec::Opus),
            ("gina", Codec::G722),
            ("paul", Codec::Pcmu),
        ],
    );
}

/// The same checks as with io_uring above, with the sweep moving the packets (and a
/// PCMA caller among PCMU ones); what each caller heard is not compared across the two.
#[test]
fn with_the_sweep_moving_packets_callers_hear_each_other_and_not_themselves() {
    three_callers_hear_each_other_and_not_themselves(
        "sweep",
        "000777125",
        [
            ("sam", Codec::Pcmu),
            ("sue", Codec::Pcma),
            ("sid", Codec::Pcmu),
        ],
    );
}

#[test]
fn rtp_injected_from_elsewhere_is_dropped_and_never_heard() {
    let server = Server::start();
    let talker = Phone::call(server.sip, "000777321", "tala", &[]);
    let listener = Phone::call(server.sip, "000777321", "lisa", &[]);
    // The talker's first packets latch its leg onto the talker's socket.
    talker.talk(TONES[0], Duration::from_millis(600));
    let before = support::xmlrpc::stats(&server).get("packets_foreign_source");
    let rogue = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // What the talker said before is not what is measured.
    std::thread::sleep(Duration::from_millis(200));
    listener.discard_received();
    let injected = 50;
    let heard = std::thread::scope(|scope| {
        let listening = scope.spawn(|| listener.talk(TONES[2], Duration::from_secs(2)));
        for n in 0..injected {
            let payload = [0x10u8; 160]; // loud µ-law codes
            let packet = rtp_rs::RtpPacketBuilder::new()
                .payload_type(0)
                .ssrc(0xBAD)
                .sequence(rtp_rs::Seq::from(n as u16))
                .timestamp(n * 160)
                .payload(&payload)
                .build()
                .unwrap();
            rogue.send_to(&packet, talker.media_address()).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        listening.join().unwrap()
    });
    let dropped = support::xmlrpc::stats(&server).get("packets_foreign_source") - before;
    assert_eq!(
        dropped,
        i64::from(injected),
        "every injected packet is dropped"
    );
    // The rogue's packets decode to a loud constant level; with nobody
    // talking, the listener hears near silence unless one got through.
    // The first 200 ms may still carry the end of what the talker said.
    let tail = &heard[heard.len().min(1600)..];
    let level = tail.iter().map(|&s| i64::from(s).abs()).max().unwrap_or(0);
    assert!(
        level < 100,
        "the listener hears nothing injected (peak {level})"
    );
    talker.hang_up();
    listener.hang_up();
}

#[test]
fn a_caller_whose_phone_holds_the_call_is_not_heard_in_its_room_until_it_resumes() {
    let server = Server::start();
    let mut holder = Phone::call(server.sip, "000777654", "hold", &[]);
    let listener = Phone::call(server.sip, "000777654", "lisa", &[]);
    let together = |holder: &Phone| {
        let heard = support::nway::talk_together(
            &[holder, &listener],
            &[TONES[0], TONES[2]],
            Duration::from_secs(2),
        );
        // The last second, past the jitter buffer and any room sound.
        power_at(8000, &heard[1][heard[1].len() - 8000..], TONES[0])
    };
    let before = together(&holder);
    // The phone holds the call, and goes on sending: its music on hold.
    let answer = holder.reoffer("sendonly");
    assert!(answer.contains("a=recvonly"), "{answer}");
    let held = together(&holder);
    let answer = holder.reoffer("sendrecv");
    assert!(answer.contains("a=sendrecv"), "{answer}");
    let resumed = together(&holder);
    eprintln!(
        "the listener hears the holder at {before:.2e}, held {held:.2e}, resumed {resumed:.2e}"
    );
    assert!(before > 0.01, "heard before the hold: {before:.2e}");
    assert!(held < 1e-4, "not heard while it holds: {held:.2e}");
    assert!(resumed > 0.01, "heard once resumed: {resumed:.2e}");
    holder.hang_up();
    listener.hang_up();
}
