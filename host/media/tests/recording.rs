//! Recording a room's mix through the worker, on virtual time.

mod common;

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, FRAME_LEN, LegId, MediaEvent, RecordedFrame, RoomId, Worker, recording_queue,
};

/// The rate of a room of PCMU legs, and so of its recording.
const NARROWBAND: u32 = 8000;

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const C: LegId = LegId(3);

fn room() -> RoomId {
    RoomId("r".into())
}

/// A worker whose legs A, B (talking 440 Hz and 1000 Hz) and C (silent) are in room "r".
fn conference() -> (Worker, Vec<TonePeer>) {
    let mut worker = worker_at(
        Instant::now(),
        3,
        &[(A, Codec::Pcmu), (B, Codec::Pcma), (C, Codec::Pcmu)],
    );
    for leg in [A, B, C] {
        worker.join(leg, room());
    }
    let peers = vec![
        TonePeer::new(A, Codec::Pcmu, 440.0),
        TonePeer::new(B, Codec::Pcma, 1000.0),
    ];
    (worker, peers)
}

fn run(worker: &mut Worker, peers: &mut [TonePeer], ticks: usize) {
    for _ in 0..ticks {
        for peer in peers.iter_mut() {
            peer.send(worker, Duration::from_millis(5));
        }
        tick(worker);
    }
}

fn received(receiver: &Receiver<RecordedFrame>) -> Vec<RecordedFrame> {
    receiver.try_iter().collect()
}

fn samples(frames: &[RecordedFrame]) -> Vec<i16> {
    frames
        .iter()
        .flat_map(|f| f.samples.iter().copied())
        .collect()
}

#[test]
fn the_recording_holds_every_talker_at_the_room_rate() {
    let (mut worker, mut peers) = conference();
    run(&mut worker, &mut peers, 10);
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 50);

    let frames = received(&receiver);
    assert_eq!(frames.len(), 50, "one frame a tick");
    assert!(
        frames
            .iter()
            .all(|f| f.rate == NARROWBAND && f.samples.len() == FRAME_LEN && f.dropped_before == 0)
    );
    let pcm = samples(&frames);
    let rate = f64::from(NARROWBAND);
    // Both talkers, unlike either talker's own mix-minus.
    for freq in [440.0, 1000.0] {
        let level = goertzel(&pcm, freq, rate);
        assert!(level > 4000.0, "{freq} Hz at {level:.0}");
    }
    assert!(goertzel(&pcm, 1700.0, rate) < 200.0);
    assert_eq!(worker.stats().recorded_frames, 50);
}

#[test]
fn stopping_ends_the_queue_after_what_is_in_it() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 5);
    worker.stop_recording(&room());
    run(&mut worker, &mut peers, 5);
    assert_eq!(received(&receiver).len(), 5);
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_room_without_members_records_silence_and_goes_on_when_joined_again() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 5);
    assert_eq!(received(&receiver).len(), 5);
    for leg in [A, B, C] {
        worker.leave(leg);
    }
    run(&mut worker, &mut peers, 10);
    let quiet = received(&receiver);
    assert_eq!(quiet.len(), 10, "the recording keeps time");
    assert!(
        quiet
            .iter()
            .all(|f| f.rate == NARROWBAND && f.dropped_before == 0)
    );
    assert!(samples(&quiet).iter().all(|&s| s == 0));

    worker.join(A, room());
    run(&mut worker, &mut peers, 25);
    let pcm = samples(&received(&receiver));
    assert!(goertzel(&pcm, 440.0, f64::from(NARROWBAND)) > 4000.0);
}

#[test]
fn a_full_queue_never_holds_the_tick_up() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(10);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 25);
    let stats = worker.stats();
    assert_eq!(
        (stats.recorded_frames, stats.recording_dropped_frames),
        (10, 15)
    );
    assert_eq!(stats.ticks, 25, "every tick ran");
    assert_eq!(received(&receiver).len(), 10);
    run(&mut worker, &mut peers, 1);
    let next = received(&receiver);
    assert_eq!(next[0].dropped_before, 15, "the writer learns of the gap");
}

fn recordings_ended(worker: &mut Worker) -> Vec<RoomId> {
    events(worker)
        .into_iter()
        .filter_map(|event| match event {
            MediaEvent::RecordingEnded { room, .. } => Some(room),
            _ => None,
        })
        .collect()
}

#[test]
fn a_recording_whose_writer_is_gone_ends_and_says_so_once() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    // A room with no member here yet has nothing to queue until one joins, and ends then.
    let empty = RoomId("empty".into());
    let (empty_tap, empty_receiver) = recording_queue(100);
    worker.start_recording(empty.clone(), empty_tap);
    run(&mut worker, &mut peers, 3);
    assert_eq!(recordings_ended(&mut worker), []);
    drop(receiver);
    drop(empty_receiver);
    run(&mut worker, &mut peers, 3);
    assert_eq!(worker.stats().recorded_frames, 3);
    assert_eq!(worker.stats().recording_dropped_frames, 0);
    assert_eq!(recordings_ended(&mut worker), [room()]);
    worker.join(C, empty.clone());
    run(&mut worker, &mut peers, 3);
    assert_eq!(
        recordings_ended(&mut worker),
        [empty],
        "once a frame is due"
    );
    run(&mut worker, &mut peers, 3);
    assert_eq!(recordings_ended(&mut worker), [], "once");
}

#[test]
fn silence_before_a_rooms_first_mix_is_recorded_at_that_mixs_rate() {
    let mut worker = worker_at(Instant::now(), 3, &[(A, Codec::G722), (B, Codec::G722)]);
    let mut peers = vec![TonePeer::new(A, Codec::G722, 440.0)];
    let (tap, receiver) = recording_queue(100);
    // Recorded before anyone joined: no rate to record silence at yet.
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 10);
    assert!(received(&receiver).is_empty());
    for leg in [A, B] {
        worker.join(leg, room());
    }
    run(&mut worker, &mut peers, 5);
    let frames = received(&receiver);
    let shapes: Vec<_> = frames
        .iter()
        .map(|f| (f.rate, f.samples.len(), f.dropped_before))
        .collect();
    // The ten silent ticks come before the first, at its 16 kHz.
    assert_eq!(shapes[0], (16_000, 320, 10));
    assert!(shapes[1..].iter().all(|&shape| shape == (16_000, 320, 0)));
    assert_eq!(frames.len(), 5);
}

#[test]
fn a_room_nobody_joins_is_recorded_as_silence_at_the_prompt_rate() {
    // Nobody joins within a second: the silence waits no longer, and goes out at 8 kHz.
    let mut worker = worker_at(Instant::now(), 3, &[(A, Codec::G722)]);
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut [], 55);
    let frames = received(&receiver);
    let shapes: Vec<_> = frames
        .iter()
        .map(|f| (f.rate, f.samples.len(), f.dropped_before))
        .collect();
    assert_eq!(shapes[0], (8000, 160, 50));
    assert_eq!(shapes.len(), 5);
    // Stopped while its silence waits: what waited is written all the same.
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut [], 7);
    worker.stop_recording(&room());
    let frames = received(&receiver);
    let told: Vec<_> = frames.iter().map(|f| (f.rate, f.dropped_before)).collect();
    assert_eq!(told, [(8000, 6)], "seven ticks of silence");
}

#[test]
fn ticks_the_worker_skips_are_told_to_the_recording() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(100);
    worker.start_recording(room(), tap);
    run(&mut worker, &mut peers, 5);
    // The shell wakes 180 ms late: ten ticks are due, the last three run.
    let late = worker.next_tick() + 9 * TICK;
    worker.handle_timeout(late);
    assert_eq!(worker.stats().skipped_ticks, 7);
    run(&mut worker, &mut peers, 5);
    let frames = received(&receiver);
    assert_eq!(frames.len(), 5 + 3 + 5);
    // What the writer learns the recording holds: every tick of the 20.
    let told: u32 = frames.iter().map(|f| 1 + f.dropped_before).sum();
    assert_eq!(told, 20);
    assert_eq!(
        frames[5].dropped_before, 7,
        "ahead of the first tick run late"
    );
    assert_eq!(
        worker.stats().recording_dropped_frames,
        0,
        "none for a full queue"
    );
}

#[test]
fn a_recording_stopped_or_replaced_raises_nothing() {
    let (mut worker, mut peers) = conference();
    let (first, _first_receiver) = recording_queue(100);
    worker.start_recording(room(), first);
    let (second, _second_receiver) = recording_queue(100);
    worker.start_recording(room(), second);
    run(&mut worker, &mut peers, 3);
    worker.stop_recording(&room());
    run(&mut worker, &mut peers, 3);
    assert_eq!(recordings_ended(&mut worker), []);
}

/// `leg`'s track as a writer lays it out: its frame where the room heard it, silence where
/// it did not.
fn track(frames: &[RecordedFrame], leg: LegId) -> Vec<i16> {
    frames
        .iter()
        .flat_map(|frame| {
            let mut samples = vec![0; frame.samples.len()];
            if let Some((_, heard)) = frame.samples.tracks().find(|&(of, _)| of == leg) {
                samples.copy_from_slice(heard);
            }
            samples
        })
        .collect()
}

#[test]
fn each_track_holds_its_member_alone_aligned_with_the_mix_and_silent_while_away() {
    let (mut worker, mut peers) = conference();
    let (tap, receiver) = recording_queue(200);
    worker.start_recording(room(), tap.with_tracks());
    run(&mut worker, &mut peers, 50);
    worker.leave(A);
    run(&mut worker, &mut peers, 25);
    worker.join(A, room());
    run(&mut worker, &mut peers, 50);

    let frames = received(&receiver);
    assert_eq!(frames.len(), 125, "one frame a tick");
    for frame in &frames {
        for (_, heard) in frame.samples.tracks() {
            assert_eq!(heard.len(), frame.samples.len(), "as long as the mix");
        }
    }
    let (mix, a, b) = (samples(&frames), track(&frames, A), track(&frames, B));
    let rate = f64::from(NARROWBAND);
    let ticks = |from: usize, to: usize| from * FRAME_LEN..to * FRAME_LEN;
    let (before, away, back) = (ticks(10, 50), ticks(50, 75), ticks(85, 125));
    for (own, other, heard) in [(440.0, 1000.0, &a), (1000.0, 440.0, &b)] {
        let level = goertzel(&heard[before.clone()], own, rate);
        assert!(level > 4000.0, "{own} Hz in its own track at {level:.0}");
        let leak = goertzel(&heard[before.clone()], other, rate);
        assert!(
            leak < 200.0,
            "{other} Hz leaks into the {own} Hz track: {leak:.0}"
        );
    }
    assert!(a[away.clone()].iter().all(|&s| s == 0), "silent while away");
    assert!(goertzel(&b[away], 1000.0, rate) > 4000.0);
    assert!(
        goertzel(&a[back.clone()], 440.0, rate) > 4000.0,
        "the same track goes on after a rejoin"
    );
    // The mix is the sum of the tracks, sample for sample (C is silent; nothing is limited at
    // these levels).
    let summed: Vec<i16> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    let off = mix
        .iter()
        .zip(&summed)
        .filter(|(mix, sum)| mix.abs_diff(**sum) > 1)
        .count();
    assert_eq!(off, 0, "tracks aligned with the mix");
    assert_eq!(track(&frames, C).iter().filter(|&&s| s != 0).count(), 0);
}
