//! Moving a leg between two workers (timing cores) whose tick schedules are not aligned.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::g711::{decode_ulaw, encode_ulaw};
use switchyard_media::{
    Codec, DetachedLeg, FRAME_LEN, LegId, MediaEvent, MediaTransmit, PlayId, Prompt, Worker,
};

// The shell sends a detached leg from one worker's task to another's.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<DetachedLeg>();
};

const L: LegId = LegId(1);
const N: LegId = LegId(2);
fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Workers A, ticking at t0 + 20k ms, and B, at t0 + 7 + 20k ms; and t0.
fn two_workers(on_a: &[(LegId, Codec)], on_b: &[(LegId, Codec)]) -> (Worker, Worker, Instant) {
    let t0 = Instant::now();
    (worker_at(t0, 1, on_a), worker_at(t0 + ms(7), 2, on_b), t0)
}

/// Runs every tick of `worker` due at or before `until`, on time, and returns what it sent.
fn run_until(worker: &mut Worker, until: Instant) -> Vec<MediaTransmit> {
    let mut sent = Vec::new();
    while worker.next_tick() <= until {
        sent.extend(tick(worker));
    }
    sent
}

#[test]
fn a_leg_moved_mid_prompt_carries_on_where_it_was() {
    let (mut a, mut b, t0) = two_workers(&[(L, Codec::Pcmu)], &[]);
    // 6640 samples: the last one falls in the 42nd frame.
    let prompt = tone(300.0, 5000.0, 0, 6640);
    a.play(
        L,
        vec![Arc::new(Prompt::from_pcm(prompt.clone()))],
        false,
        PlayId(1),
    );
    let mut sent = run_until(&mut a, t0 + ms(180));
    assert_eq!(sent.len(), 10, "ten frames on A");
    // B has run up to the handover too: its next tick is at 187 ms, A's would be at 200 ms.
    assert!(
        run_until(&mut b, t0 + ms(185)).is_empty(),
        "B has no legs yet"
    );
    let state = a.detach(L).expect("L is on A");
    assert!(a.detach(L).is_none(), "L is no longer on A");
    b.attach(L, state);
    let mut done_at = Vec::new();
    for k in 0..40 {
        sent.extend(tick(&mut b));
        for event in events(&mut b) {
            assert_eq!(
                event,
                MediaEvent::PromptDone {
                    leg: L,
                    play: PlayId(1)
                },
                "only PromptDone"
            );
            done_at.push(k);
        }
    }
    assert_eq!(
        done_at,
        vec![31],
        "done once, on B's 32nd frame (the 42nd in all)"
    );
    assert!(
        run_until(&mut a, t0 + ms(1000)).is_empty(),
        "A sends nothing more for L"
    );
    assert!(events(&mut a).is_empty(), "A reports nothing for L");

    assert_eq!(sent.len(), 50, "one packet per tick, on A then on B");
    let (seq0, ts0, ssrc0, marker0) = header(&sent[0]);
    assert!(marker0, "the stream started on A");
    for (i, transmit) in sent.iter().enumerate().skip(1) {
        let step = i as u32;
        assert_eq!(
            header(transmit),
            (
                seq0.wrapping_add(step as u16),
                ts0.wrapping_add(160 * step),
                ssrc0,
                false
            ),
            "packet {i}: same SSRC, sequence +1, timestamp +160, no new marker"
        );
    }
    let heard: Vec<i16> = sent.iter().flat_map(|t| decode(Codec::Pcmu, t)).collect();
    let expected: Vec<i16> = prompt
        .iter()
        .map(|&s| decode_ulaw(encode_ulaw(s)))
        .chain(std::iter::repeat(0))
        .take(heard.len())
        .collect();
    assert_eq!(
        heard, expected,
        "the prompt goes on from where it was, then silence"
    );
}

#[test]
fn a_slow_handover_advances_the_timestamp_by_the_packet_times_missed() {
    let (mut a, mut b, t0) = two_workers(&[(L, Codec::Pcmu)], &[]);
    let before = run_until(&mut a, t0 + ms(180));
    let state = a.detach(L).unwrap();
    // In transit until 250 ms: B's next tick is at 267 ms, 67 ms after A's next would have been.
    run_until(&mut b, t0 + ms(250));
    b.attach(L, state);
    let after = tick(&mut b);
    let ((seq0, ts0, ssrc0, _), (seq, ts, ssrc, _)) =
        (header(before.last().unwrap()), header(&after[0]));
    assert_eq!(
        (ssrc, seq),
        (ssrc0, seq0.wrapping_add(1)),
        "the stream goes on"
    );
    assert_eq!(
        ts.wrapping_sub(ts0),
        160 * 4,
        "one frame plus the three whole packet times no packet was sent"
    );
}

#[test]
fn buffered_audio_survives_a_handover_and_is_counted_once() {
    let (mut a, mut b, t0) = two_workers(&[(L, Codec::Pcmu)], &[(N, Codec::Pcmu)]);
    let mut peer = TonePeer::new(L, Codec::Pcmu, 1010.0);
    run_until(&mut a, t0);
    // Three packets arrive at 1 ms, to play from the next tick on; L leaves A before it plays
    // any.
    let said: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            let packet = peer.next_packet();
            a.handle_rtp(t0 + ms(1), L, sdp_addr(L), &packet);
            rtp_payload(&packet).to_vec()
        })
        .collect();
    let state = a.detach(L).unwrap();
    b.attach(L, state);
    b.bridge(L, N);
    let heard: Vec<Vec<u8>> = (0..5)
        .map(|_| rtp_payload(&sent_by(&tick(&mut b), N)[0].payload).to_vec())
        .collect();
    // B ticks at 7, 27 and 47 ms, then conceals the end of the stream.
    assert_eq!(heard[..3], said[..], "N hears the audio L buffered on A");
    let (on_a, on_b) = (a.stats().jitter, b.stats().jitter);
    assert_eq!(on_a.received, 3, "A keeps what it received");
    assert_eq!(on_b.received, 0, "B does not count it again");
    assert_eq!(on_b.played, 3, "B counts what it played");
    assert_eq!(on_a.played, 0, "A played none of it");
}

#[test]
fn mute_survives_a_handover() {
    let (mut a, mut b, t0) = two_workers(&[(L, Codec::Pcmu)], &[(N, Codec::Pcmu)]);
    a.set_muted(L, true);
    run_until(&mut a, t0 + ms(100));
    b.attach(L, a.detach(L).unwrap());
    b.bridge(L, N);
    let mut peer = TonePeer::new(L, Codec::Pcmu, 1000.0);
    for _ in 0..10 {
        peer.send(&mut b, ms(1));
        let out = tick(&mut b);
        assert_eq!(
            rtp_payload(&sent_by(&out, N)[0].payload),
            &[0xFF; FRAME_LEN][..],
            "L is still muted on B"
        );
    }
    b.set_muted(L, false);
    peer.send(&mut b, ms(1));
    let out = tick(&mut b);
    assert_ne!(
        rtp_payload(&sent_by(&out, N)[0].payload),
        &[0xFF; FRAME_LEN][..],
        "and can be unmuted there"
    );
}

#[test]
fn detaching_a_bridged_leg_leaves_its_peer_alone() {
    let (mut a, _, _) = two_workers(&[(L, Codec::Pcmu), (N, Codec::Pcmu)], &[]);
    a.bridge(L, N);
    let mut peer = TonePeer::new(L, Codec::Pcmu, 1000.0);
    for _ in 0..5 {
        peer.send(&mut a, ms(1));
        tick(&mut a);
    }
    let relayed = a.stats().relayed_frames;
    assert!(relayed > 0, "bridged first");
    let _moved = a.detach(L).unwrap();
    for _ in 0..5 {
        peer.send(&mut a, ms(1));
        let out = tick(&mut a);
        assert!(sent_by(&out, L).is_empty(), "L is gone from A");
        assert_eq!(
            rtp_payload(&sent_by(&out, N)[0].payload),
            &[0xFF; FRAME_LEN][..],
            "N, alone, hears silence"
        );
    }
    assert_eq!(
        a.stats().relayed_frames,
        relayed,
        "nothing relayed after the detach"
    );
}

#[test]
fn attach_replaces_a_leg_of_the_same_id() {
    let (mut a, mut b, t0) = two_workers(&[(L, Codec::Pcmu)], &[(L, Codec::Pcma)]);
    let on_a = run_until(&mut a, t0);
    let on_b = run_until(&mut b, t0 + ms(7));
    assert_ne!(
        header(&on_a[0]).2,
        header(&on_b[0]).2,
        "two streams at first"
    );
    b.attach(L, a.detach(L).unwrap());
    let out = tick(&mut b);
    let sent = sent_by(&out, L);
    assert_eq!(sent.len(), 1, "one leg L on B");
    assert_eq!(header(sent[0]).2, header(&on_a[0]).2, "the attached stream");
    assert_eq!(
        rtp_payload(&sent[0].payload)[0],
        0xFF,
        "in the attached leg's codec"
    );
}
