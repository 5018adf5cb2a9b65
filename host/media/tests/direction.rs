//! Hold and resume: each leg's direction (RFC 3264) on virtual time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, FRAME_LEN, LegId, LegParams, MediaDirection, MediaEvent, Prompt, RoomId, Worker,
    WorkerConfig,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const LEAD: Duration = Duration::from_millis(1);

fn directed(leg: LegId, direction: MediaDirection) -> LegParams {
    LegParams {
        direction,
        ..params(Codec::Pcmu, 5000 + leg.0 as u16)
    }
}

/// A leg whose peer holds the call: its new offer was `sendonly`.
fn holding(leg: LegId) -> LegParams {
    LegParams {
        peer_holds: true,
        ..directed(leg, MediaDirection::RecvOnly)
    }
}

/// A and B in one room, A's peer sending a 1 kHz tone.
fn room_of_two() -> (Worker, TonePeer) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    (worker, TonePeer::new(A, Codec::Pcmu, 1000.0))
}

/// What B hears over `ticks` ticks while A's peer sends its tone.
fn what_b_hears(worker: &mut Worker, peer: &mut TonePeer, ticks: usize) -> Vec<i16> {
    let mut heard = Vec::new();
    for _ in 0..ticks {
        peer.send(worker, LEAD);
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(worker), B)[0]));
    }
    heard
}

#[test]
fn on_hold_a_leg_sends_nothing_stays_in_its_room_and_resumes_its_stream() {
    let (mut worker, mut peer) = room_of_two();
    let mut last_a = None;
    for _ in 0..5 {
        peer.send(&mut worker, LEAD);
        last_a = Some(header(sent_by(&tick(&mut worker), A)[0]));
    }
    let (seq0, ts0, ssrc0, _) = last_a.unwrap();
    let now = worker.next_tick();
    // The peer put us on hold (its a=sendonly, our a=recvonly) and plays its hold music.
    worker.update_leg(now, A, holding(A));
    let mut heard_b = Vec::new();
    for _ in 0..10 {
        peer.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        assert!(sent_by(&out, A).is_empty(), "no RTP at all to a held leg");
        heard_b.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(
        goertzel(&heard_b, 1000.0, 8000.0) < 100.0,
        "the room does not hear a held leg's music"
    );
    worker.update_leg(now, A, directed(A, MediaDirection::SendRecv));
    let out = tick(&mut worker);
    let resumed = sent_by(&out, A);
    assert_eq!(resumed.len(), 1);
    assert_eq!(
        header(resumed[0]),
        (
            seq0.wrapping_add(1),
            ts0.wrapping_add(11 * FRAME_LEN as u32),
            ssrc0,
            true
        ),
        "next sequence number, same SSRC, timestamp on past the held media time, marked"
    );
}

#[test]
fn a_bridge_peer_hears_the_hold_music_of_the_leg_holding_it() {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let now = worker.next_tick();
    worker.update_leg(now, A, holding(A));
    let heard_b = what_b_hears(&mut worker, &mut peer, 10);
    assert!(
        goertzel(&heard_b, 1000.0, 8000.0) > 4000.0,
        "B hears the music A's phone holds it with"
    );
}

#[test]
fn a_prompt_said_for_a_leg_whose_peer_holds_is_heard_in_its_room() {
    let (mut worker, mut peer) = room_of_two();
    let now = worker.next_tick();
    worker.update_leg(now, A, holding(A));
    let says = Arc::new(Prompt::from_pcm(tone(425.0, 5000.0, 0, 8000)));
    worker.speak(A, vec![says], true);
    let heard_b = what_b_hears(&mut worker, &mut peer, 10);
    assert!(
        goertzel(&heard_b, 425.0, 8000.0) > 4000.0,
        "B hears what is said for A"
    );
    assert!(
        goertzel(&heard_b, 1000.0, 8000.0) < 100.0,
        "and not A's hold music"
    );
}

#[test]
fn a_sendonly_peer_that_holds_nothing_is_heard_in_its_room() {
    // Early media of a placed call, or an announcement, as sendonly from the start.
    let (mut worker, mut peer) = room_of_two();
    let now = worker.next_tick();
    worker.update_leg(now, A, directed(A, MediaDirection::RecvOnly));
    let heard_b = what_b_hears(&mut worker, &mut peer, 10);
    assert!(
        goertzel(&heard_b, 1000.0, 8000.0) > 4000.0,
        "B hears A's early media"
    );
}

#[test]
fn a_held_leg_has_no_rtp_timeout_until_it_is_resumed() {
    const C: LegId = LegId(3);
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_secs(1)),
        ..WorkerConfig::default()
    };
    let start = Instant::now();
    let mut worker = Worker::new(config, start, 7);
    worker.add_leg(start, A, directed(A, MediaDirection::SendOnly));
    worker.add_leg(start, B, directed(B, MediaDirection::Inactive));
    // Its peer holds the call (a=sendonly) with its music on hold off: it sends nothing.
    worker.add_leg(start, C, directed(C, MediaDirection::RecvOnly));
    for _ in 0..150 {
        let out = tick(&mut worker);
        assert_eq!(sent_by(&out, A).len(), 1, "a sendonly leg sends");
        assert!(sent_by(&out, B).is_empty(), "an inactive leg does not");
        assert!(sent_by(&out, C).is_empty(), "nor does a recvonly one");
    }
    assert!(events(&mut worker).is_empty(), "3 s of silence, no timeout");
    let resumed = worker.next_tick();
    worker.update_leg(resumed, A, directed(A, MediaDirection::SendRecv));
    let mut timeouts = Vec::new();
    for _ in 0..100 {
        let deadline = worker.next_tick();
        tick(&mut worker);
        timeouts.extend(events(&mut worker).into_iter().map(|e| (e, deadline)));
    }
    assert_eq!(
        timeouts,
        vec![(
            MediaEvent::RtpTimeout { leg: A },
            resumed + Duration::from_secs(1)
        )],
        "the timeout counts from the resume"
    );
}

#[test]
fn a_leg_that_does_not_receive_ignores_audio_and_dtmf() {
    let (mut worker, mut peer) = room_of_two();
    let start = worker.next_tick();
    worker.update_leg(start, A, directed(A, MediaDirection::SendOnly));
    let mut heard_b = Vec::new();
    for k in 0..20u16 {
        peer.send(&mut worker, LEAD);
        let press = rtp(101, k, 0, 0xD7, k == 0, &[5, 10, 0, 160]);
        worker.handle_rtp(start, A, sdp_addr(A), &press);
        let out = tick(&mut worker);
        assert_eq!(sent_by(&out, A).len(), 1, "A still hears the room");
        heard_b.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(heard_b.iter().all(|&s| s == 0), "B hears nothing from A");
    assert!(events(&mut worker).is_empty(), "no DTMF taken");
    let stats = worker.stats();
    assert_eq!(stats.not_receiving, 40);
    assert_eq!(stats.jitter.received, 0);
}

#[test]
fn a_held_leg_stays_held_across_a_handover() {
    let t0 = Instant::now();
    let mut from = worker_at(t0, 1, &[(A, Codec::Pcmu)]);
    let mut to = worker_at(t0 + Duration::from_millis(7), 2, &[]);
    let (seq0, ts0, ssrc0, _) = header(&tick(&mut from)[0]);
    from.update_leg(t0, A, directed(A, MediaDirection::Inactive));
    assert!(tick(&mut from).is_empty());
    to.attach(A, from.detach(A).unwrap());
    assert!(tick(&mut to).is_empty(), "still inactive on the new worker");
    to.update_leg(t0, A, directed(A, MediaDirection::SendRecv));
    let (seq, ts, ssrc, _) = header(&tick(&mut to)[0]);
    assert_eq!(
        (seq, ts, ssrc),
        (seq0.wrapping_add(1), ts0.wrapping_add(3 * 160), ssrc0)
    );
}

#[test]
fn updating_an_unknown_leg_does_nothing() {
    let (mut worker, _) = room_of_two();
    let now = worker.next_tick();
    worker.update_leg(now, LegId(9), directed(LegId(9), MediaDirection::SendRecv));
    let out = tick(&mut worker);
    assert_eq!(out.len(), 2);
    assert!(sent_by(&out, LegId(9)).is_empty());
}
