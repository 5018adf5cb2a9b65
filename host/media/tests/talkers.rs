//! Voice activity in rooms: only talkers are summed, everyone else shares one encode; talkspurts
//! are reported with their level; a cap sums the loudest talkers only.

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, FRAME_LEN, HANGOVER_FRAMES, LegId, MediaEvent, RoomId, TalkChange, Worker, WorkerConfig,
};

const LEGS: [LegId; 4] = [LegId(1), LegId(2), LegId(3), LegId(4)];

fn room_of(config: WorkerConfig) -> Worker {
    let start = Instant::now();
    let mut worker = Worker::new(config, start, 11);
    for leg in LEGS {
        worker.add_leg(start, leg, params(Codec::Pcmu, 6000 + leg.0 as u16));
        worker.join(leg, RoomId("r".into()));
    }
    worker
}

/// A peer of each of [`LEGS`], sending PCMU: a tone of `tones[i]` at `amplitudes[i]`.
fn tone_peers(tones: [f64; 4], amplitudes: [f64; 4]) -> Vec<TonePeer> {
    LEGS.iter()
        .zip(tones)
        .zip(amplitudes)
        .map(|((&leg, freq), amplitude)| {
            let mut peer = TonePeer::new(leg, Codec::Pcmu, freq);
            peer.amplitude = amplitude;
            peer
        })
        .collect()
}

fn talk_events(events: &[MediaEvent]) -> Vec<(LegId, TalkChange)> {
    events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Talk { leg, change } => Some((*leg, *change)),
            _ => None,
        })
        .collect()
}

#[test]
fn only_talkers_are_summed_and_silent_legs_share_one_encode() {
    let mut worker = room_of(WorkerConfig::default());
    let mut peers: Vec<TonePeer> = LEGS
        .iter()
        .map(|&leg| TonePeer::new(leg, Codec::Pcmu, 700.0))
        .collect();
    // Continuous RTP from everyone, as phones without VAD send it: one tone, three silences.
    for peer in &mut peers[1..] {
        peer.amplitude = 0.0;
    }
    let mut heard = vec![Vec::new(); LEGS.len()];
    let mut all_events = Vec::new();
    let before = worker.stats().encodes;
    for _ in 0..50 {
        for peer in &mut peers {
            peer.send(&mut worker, Duration::from_millis(1));
        }
        let out = tick(&mut worker);
        for (i, &leg) in LEGS.iter().enumerate() {
            heard[i].extend(decode(Codec::Pcmu, sent_by(&out, leg)[0]));
        }
        all_events.extend(events(&mut worker));
    }
    // Each tick: the talker's own (silence, total minus itself) and one shared payload for the
    // three others; 50 ticks.
    let encodes = worker.stats().encodes - before;
    assert!(
        encodes <= 2 * 50,
        "one talker: at most two encodes a tick, got {encodes} in 50 ticks"
    );
    for listener in &heard[1..] {
        assert!(goertzel(&listener[10 * FRAME_LEN..], 700.0, 8000.0) > 3000.0);
    }
    assert!(goertzel(&heard[0][10 * FRAME_LEN..], 700.0, 8000.0) < 50.0);
    let talk = talk_events(&all_events);
    assert_eq!(talk.len(), 1, "only the talker starts talking: {talk:?}");
    let (leg, TalkChange::Started { level_dbov }) = talk[0] else {
        panic!("expected a start, got {talk:?}");
    };
    assert_eq!(leg, LEGS[0]);
    // A sine of amplitude 6000: about -18 dBov.
    assert!((-19..=-17).contains(&level_dbov), "{level_dbov}");

    // The talker falls silent: the talkspurt ends after the hangover.
    peers[0].amplitude = 0.0;
    let mut stopped_after = None;
    for tick_number in 0..40 {
        for peer in &mut peers {
            peer.send(&mut worker, Duration::from_millis(1));
        }
        tick(&mut worker);
        if talk_events(&events(&mut worker)) == [(LEGS[0], TalkChange::Stopped)] {
            stopped_after = Some(tick_number);
            break;
        }
    }
    let stopped_after = stopped_after.expect("the talkspurt ended");
    // The hangover (the jitter buffer plays a packet at the first tick after it came).
    assert!(
        stopped_after >= usize::from(HANGOVER_FRAMES) && stopped_after < 30,
        "stopped after {stopped_after} ticks"
    );
}

#[test]
fn a_cap_sums_the_loudest_talkers_only() {
    let mut worker = room_of(WorkerConfig {
        max_talkers: 2,
        ..WorkerConfig::default()
    });
    let tones = [500.0, 900.0, 1300.0, 1700.0];
    let amplitudes = [2000.0, 8000.0, 4000.0, 10000.0];
    let mut peers = tone_peers(tones, amplitudes);
    let mut heard_by_first = Vec::new();
    for _ in 0..50 {
        for peer in &mut peers {
            peer.send(&mut worker, Duration::from_millis(1));
        }
        heard_by_first.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), LEGS[0])[0]));
    }
    let settled = &heard_by_first[10 * FRAME_LEN..];
    let power = |freq| goertzel(settled, freq, 8000.0);
    // The quietest talker (the listener itself, 500 Hz) and the third loudest (1300 Hz) are
    // left out; the two loudest are heard. What reads at 1300 Hz is the G.711 quantization
    // noise of the two loud tones (summed, 1300 Hz would read about 4000).
    assert!(power(900.0) > 4000.0, "900 Hz: {}", power(900.0));
    assert!(power(1700.0) > 6000.0, "1700 Hz: {}", power(1700.0));
    assert!(power(1300.0) < 400.0, "1300 Hz: {}", power(1300.0));
}

#[test]
fn a_capped_room_keeps_its_talkers_through_a_talker_s_loud_and_soft_syllables() {
    let mut worker = room_of(WorkerConfig {
        max_talkers: 2,
        ..WorkerConfig::default()
    });
    // Leg 1 alternates loud and soft frames, all voiced: louder on average than leg 3, softer
    // than it every other frame. Leg 4 only listens.
    let tones = [500.0, 900.0, 1300.0, 1.0];
    let amplitudes = [8000.0, 6000.0, 3000.0, 0.0];
    let mut peers = tone_peers(tones, amplitudes);
    let mut heard = Vec::new();
    for k in 0..60 {
        peers[0].amplitude = if k % 2 == 0 { 8000.0 } else { 1200.0 };
        for peer in &mut peers {
            peer.send(&mut worker, Duration::from_millis(1));
        }
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), LEGS[3])[0]));
    }
    let settled = &heard[20 * FRAME_LEN..];
    let third: Vec<bool> = frame_levels(settled, 1300.0, 8000)
        .iter()
        .map(|&level| level > 1500.0)
        .collect();
    let changes = third.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        changes <= 2,
        "leg 3 cut in and out {changes} times in {} frames: {third:?}",
        third.len()
    );
    // The two loudest over time are heard: leg 1 (about -18 dBov on average) and leg 2.
    assert!(goertzel(settled, 500.0, 8000.0) > 3000.0);
    assert!(goertzel(settled, 900.0, 8000.0) > 4000.0);
    assert!(goertzel(settled, 1300.0, 8000.0) < 400.0);
}

#[test]
fn a_capped_seat_goes_to_a_new_talker_only_when_clearly_louder() {
    let mut worker = room_of(WorkerConfig {
        max_talkers: 1,
        ..WorkerConfig::default()
    });
    // Leg 1 talks alone; leg 2 joins in a little louder (about 1.3 dB), then much louder
    // (about 6 dB). Legs 3 and 4 listen.
    let mut peers = tone_peers([500.0, 900.0, 1.0, 1.0], [6000.0, 0.0, 0.0, 0.0]);
    let amplitudes = |k: usize| match k {
        0..20 => [6000.0, 0.0],
        20..60 => [6000.0, 7000.0],
        _ => [6000.0, 12000.0],
    };
    let mut heard = Vec::new();
    for k in 0..100 {
        let [first, second] = amplitudes(k);
        (peers[0].amplitude, peers[1].amplitude) = (first, second);
        for peer in &mut peers {
            peer.send(&mut worker, Duration::from_millis(1));
        }
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), LEGS[3])[0]));
    }
    let frames = |from: usize, to: usize| &heard[from * FRAME_LEN..to * FRAME_LEN];
    let a_little_louder = frames(22, 60);
    assert!(
        goertzel(a_little_louder, 500.0, 8000.0) > 5000.0,
        "leg 1 keeps its seat"
    );
    assert!(goertzel(a_little_louder, 900.0, 8000.0) < 400.0);
    let much_louder = frames(70, 100);
    assert!(
        goertzel(much_louder, 900.0, 8000.0) > 10000.0,
        "leg 2 takes the seat"
    );
    assert!(goertzel(much_louder, 500.0, 8000.0) < 400.0);
}
