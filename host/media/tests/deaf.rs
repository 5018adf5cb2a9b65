//! A deaf participant: it hears nothing of its room, only its own prompts, and is still heard.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::g711::{decode_ulaw, encode_ulaw};
use switchyard_media::{Codec, LegId, PlayId, Prompt, RoomId, Worker};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

/// Both peers send their tone for `ticks` ticks; what A and B heard, decoded.
fn run(worker: &mut Worker, peers: &mut [TonePeer; 2], ticks: usize) -> [Listener; 2] {
    let mut heard = [Listener::new(A, Codec::Pcmu), Listener::new(B, Codec::Pcmu)];
    for _ in 0..ticks {
        for peer in peers.iter_mut() {
            peer.send(worker, Duration::from_millis(5));
        }
        let sent = tick(worker);
        for listener in &mut heard {
            listener.take(&sent);
        }
    }
    heard
}

/// The level of `freq` in the last 10 frames of `pcm`.
fn level(pcm: &[i16], freq: f64) -> f64 {
    goertzel(&pcm[pcm.len() - 10 * 160..], freq, 8000.0)
}

#[test]
fn a_deaf_leg_hears_only_its_prompt_until_it_leaves() {
    let mut worker = worker_at(Instant::now(), 5, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room.clone());
    let mut peers = [
        TonePeer::new(A, Codec::Pcmu, 440.0),
        TonePeer::new(B, Codec::Pcmu, 1000.0),
    ];
    let [a, _] = run(&mut worker, &mut peers, 30);
    assert!(level(&a.heard, 1000.0) > 3000.0, "A hears B before");

    worker.set_deaf(A, true);
    worker.play(
        A,
        vec![Arc::new(Prompt::from_pcm(vec![1000; 160 * 40]))],
        false,
        PlayId(1),
    );
    let [a, b] = run(&mut worker, &mut peers, 20);
    let prompt = decode_ulaw(encode_ulaw(1000));
    assert_eq!(a.heard.len(), 20 * 160);
    assert!(
        a.heard.iter().all(|&s| s == prompt),
        "a deaf leg hears its prompt and nothing else"
    );
    assert!(level(&b.heard, 440.0) > 3000.0, "B still hears A");

    worker.stop_playback(A);
    worker.leave(A);
    worker.join(A, room);
    let [a, _] = run(&mut worker, &mut peers, 30);
    assert!(
        level(&a.heard, 1000.0) > 3000.0,
        "rejoined, A hears B again"
    );
}

#[test]
fn only_a_leg_in_a_room_becomes_deaf() {
    let mut worker = worker_at(Instant::now(), 5, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    worker.set_deaf(A, true);
    let mut peers = [
        TonePeer::new(A, Codec::Pcmu, 440.0),
        TonePeer::new(B, Codec::Pcmu, 1000.0),
    ];
    let [a, _] = run(&mut worker, &mut peers, 30);
    assert!(level(&a.heard, 1000.0) > 3000.0, "bridged, A hears B");
}
