//! Calls across a bad network (tests/support/impair.rs, a relay between one
//! caller and the server): 5% loss, 60 ms of jitter, reordering, duplicates, a
//! 300 ms outage, and lost SIP messages. Calls stay up, the audio stays
//! continuous through concealment, keys still get through, and nothing is left
//! behind when the calls end.

mod support;

use std::time::{Duration, Instant};
use support::audio::power;
use support::impair::{Impairment, Relay};
use support::phone::Phone;
use support::server::Server;
use support::sipp;
use support::webconference::random_room;
use support::xmlrpc::stats;

/// The caller behind the bad network, and the one beside the server.
const TONES: [f64; 2] = [700.0, 1100.0];
/// A 20 ms frame at 8 kHz.
const FRAME: usize = 160;
/// A frame holds a tone when its power is above this (a clean tone reads
/// about 0.06 at the phones' level; silence and other tones well below 1e-3).
const TONE_PRESENT: f64 = 0.005;
/// How long calls and counts may take to settle.
const DEADLINE: Duration = Duration::from_secs(10);

fn bad_network(seed: u64) -> Impairment {
    Impairment {
        loss: 0.05,
        jitter: Duration::from_millis(60),
        duplicate: 0.05,
        reorder: 0.05,
        lose_first_sip: Vec::new(),
        seed,
    }
}

/// The share of 20 ms frames of `heard` holding `tone`, and the longest run of
/// frames without it.
fn presence(heard: &[i16], tone: f64) -> (f64, usize) {
    let frames: Vec<bool> = heard
        .chunks_exact(FRAME)
        .map(|f| power(f, tone) > TONE_PRESENT)
        .collect();
    let present = frames.iter().filter(|&&p| p).count();
    let longest_gap = frames.split(|&p| p).map(<[bool]>::len).max().unwrap_or(0);
    (present as f64 / frames.len().max(1) as f64, longest_gap)
}

/// The server's open file descriptors with no call up, after one call has come
/// and gone: the first call also opens what lasts for the server's lifetime
/// (the memory image of the guest's component, say).
fn fds_at_rest(server: &Server) -> usize {
    let warm_up = Phone::call(
        server.sip,
        &format!("000777{}", random_room()),
        "warm-up",
        &[],
    );
    warm_up.hang_up();
    for counted in ["calls", "participants", "sip_calls"] {
        server.await_value(counted, &0, DEADLINE, || stats(server).get(counted));
    }
    server.open_fds()
}

/// Waits until the server counts no call and no participant, then until its
/// open file descriptors are back to `fds_before`.
fn assert_nothing_left(server: &Server, fds_before: usize) {
    for counted in ["calls", "participants", "sip_calls"] {
        server.await_value(counted, &0, DEADLINE, || stats(server).get(counted));
    }
    server.await_value("open file descriptors", &fds_before, DEADLINE, || {
        server.open_fds()
    });
}

#[test]
fn a_call_through_loss_jitter_reordering_duplicates_and_an_outage_sounds_continuous_and_takes_keys()
{
    let server = Server::start();
    let fds_before = fds_at_rest(&server);
    let relay = Relay::start(server.sip, bad_network(7));
    let room = random_room();
    let beside = Phone::call(server.sip, &format!("000777{room}"), "beside", &[]);

    // The caller behind the bad network enters the room by keypad: every key
    // crosses the loss, the jitter and the reordering as RFC 4733 events.
    let behind = Phone::call(relay.sip, "conference", "behind", &[]);
    std::thread::sleep(Duration::from_millis(1500));
    for key in room.chars().chain(['#']) {
        behind.send_dtmf(key);
        std::thread::sleep(Duration::from_millis(300));
    }
    // The room number is read back, then the entering prompt plays; both
    // talk meanwhile so that the streams run.
    let entered = Instant::now();
    let (heard_beside, heard_behind) = std::thread::scope(|scope| {
        let talking = scope.spawn(|| behind.talk(TONES[0], Duration::from_secs(14)));
        let listening = scope.spawn(|| beside.talk(TONES[1], Duration::from_secs(14)));
        // Halfway through the part that is measured, the link goes for 300 ms.
        std::thread::sleep(Duration::from_secs(11));
        relay.cut(Duration::from_millis(300));
        (listening.join().unwrap(), talking.join().unwrap())
    });
    eprintln!("talked for {:?}", entered.elapsed());

    // The last 6 s: the caller is in the room by then.
    let tail = |heard: &[i16]| heard[heard.len().saturating_sub(6 * 8000)..].to_vec();
    let (share_beside, gap_beside) = presence(&tail(&heard_beside), TONES[0]);
    let (share_behind, gap_behind) = presence(&tail(&heard_behind), TONES[1]);
    let counts = relay.counts();
    eprintln!(
        "relay: {} RTP packets, {} lost; the caller beside hears the other in {:.1}% of frames \
         (longest gap {} frames), the caller behind in {:.1}% (longest gap {})",
        counts.rtp.load(std::sync::atomic::Ordering::Relaxed),
        counts.rtp_lost.load(std::sync::atomic::Ordering::Relaxed),
        share_beside * 100.0,
        gap_beside,
        share_behind * 100.0,
        gap_behind
    );
    // Keys got through: the caller behind is in the room, and heard there.
    // Through concealment the tone holds across the lost packets: only the
    // outage (15 frames) and its edges go quiet.
    assert!(
        share_beside > 0.9,
        "the caller beside hears the caller behind in only {:.1}% of frames; log:\n{}",
        share_beside * 100.0,
        server.log()
    );
    assert!(
        gap_beside <= 30,
        "the caller beside hears a gap of {gap_beside} frames (the outage is 15)"
    );
    // The way back is as bad, and the test phone has no jitter buffer of its
    // own: reordered and late packets play as they come.
    assert!(
        share_behind > 0.8,
        "the caller behind hears the caller beside in only {:.1}% of frames",
        share_behind * 100.0
    );
    assert!(
        gap_behind <= 30,
        "the caller behind hears a gap of {gap_behind} frames (the outage is 15)"
    );
    assert_eq!(
        support::xmlrpc::calls(&server),
        2,
        "both calls are still up after the outage"
    );

    behind.hang_up();
    beside.hang_up();
    drop(relay);
    assert_nothing_left(&server, fds_before);
}

#[test]
fn sip_messages_lost_once_are_sent_again_and_the_call_completes() {
    let server = Server::start();
    let fds_before = fds_at_rest(&server);
    // Lost once each: SIPp's INVITE (SIPp sends it again after 500 ms), the
    // server's 200 (sent again until the ACK), SIPp's BYE and the server's
    // answer to it (SIPp sends the BYE again).
    let relay = Relay::start(
        server.sip,
        Impairment {
            lose_first_sip: vec!["INVITE", "200", "BYE"],
            ..bad_network(11)
        },
    );
    let started = Instant::now();
    sipp::call_to(
        &server,
        relay.sip,
        "127.0.0.1",
        &["-sn", "uac", "-s", "000777555", "-d", "2000"],
        "a call whose INVITE, 200 and BYE were each lost once",
    );
    let sip_lost = relay
        .counts()
        .sip_lost
        .load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "the call took {:?} with {sip_lost} SIP messages lost",
        started.elapsed()
    );
    assert!(
        sip_lost >= 3,
        "expected the relay to lose the first INVITE, 200 and BYE, it lost {sip_lost}"
    );
    drop(relay);
    assert_nothing_left(&server, fds_before);
}
