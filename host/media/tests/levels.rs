//! Levels on virtual time: the room limiter and per-leg gain.

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchyard_media::g711::{decode_ulaw, encode_ulaw};
use switchyard_media::{Codec, Decoder, FRAME_LEN, LegId, RoomId, Worker};

const LEAD: Duration = Duration::from_millis(1);
const LISTENER: LegId = LegId(20);
// What a sample at full scale is after μ-law: its largest magnitude.
fn ulaw_full_scale() -> i16 {
    decode_ulaw(encode_ulaw(i16::MAX))
}

/// The longest run of consecutive samples at full scale.
fn longest_full_scale_run(samples: &[i16]) -> usize {
    let full = ulaw_full_scale();
    let (mut longest, mut run) = (0, 0);
    for &s in samples {
        run = if s.saturating_abs() >= full {
            run + 1
        } else {
            0
        };
        longest = longest.max(run);
    }
    longest
}

#[test]
fn ten_full_scale_talkers_are_limited_and_stay_audible() {
    let talkers: Vec<LegId> = (1..=10).map(LegId).collect();
    let freqs: Vec<f64> = (0..10).map(|i| 310.0 + 290.0 * f64::from(i)).collect();
    let mut legs: Vec<(LegId, Codec)> = talkers.iter().map(|&t| (t, Codec::Pcmu)).collect();
    legs.push((LISTENER, Codec::Pcmu));
    let mut worker = worker_at(Instant::now(), 7, &legs);
    for &(leg, _) in &legs {
        worker.join(leg, RoomId("loud".into()));
    }
    let mut peers: Vec<TonePeer> = talkers
        .iter()
        .zip(&freqs)
        .map(|(&leg, &freq)| {
            let mut peer = TonePeer::new(leg, Codec::Pcmu, freq);
            peer.amplitude = 32_767.0;
            peer
        })
        .collect();
    let (mut listener, mut first) = (Vec::new(), Vec::new());
    for _ in 0..150 {
        for peer in &mut peers {
            peer.send(&mut worker, LEAD);
        }
        let out = tick(&mut worker);
        listener.extend(decode(Codec::Pcmu, sent_by(&out, LISTENER)[0]));
        first.extend(decode(Codec::Pcmu, sent_by(&out, talkers[0])[0]));
    }
    // The limiter's attack is a quarter frame; nothing stays at full scale longer.
    for (who, heard) in [("the listener", &listener), ("a talker", &first)] {
        assert!(
            longest_full_scale_run(heard) <= FRAME_LEN / 4,
            "{who}: {} samples in a row at full scale",
            longest_full_scale_run(heard)
        );
    }
    let settled = &listener[50 * FRAME_LEN..];
    let full = ulaw_full_scale();
    let clipped = settled
        .iter()
        .filter(|s| s.saturating_abs() >= full)
        .count();
    assert!(
        clipped * 1000 < settled.len(),
        "{clipped} of {} samples at full scale",
        settled.len()
    );
    for &freq in &freqs {
        let level = goertzel(settled, freq, 8000.0);
        assert!(level > 1500.0, "{freq} Hz heard at {level:.0}");
    }
    // A talker still hears everyone but itself.
    let settled = &first[50 * FRAME_LEN..];
    assert!(goertzel(settled, freqs[0], 8000.0) < 100.0);
    assert!(goertzel(settled, freqs[9], 8000.0) > 1500.0);
}

/// What `B` is sent while only `A` talks at `amplitude`, and what `A`'s peer sent, as payloads.
fn one_talker(amplitude: f64, gain_db: Option<f32>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (a, b) = (LegId(1), LegId(2));
    let mut worker = worker_at(Instant::now(), 7, &[(a, Codec::Pcmu), (b, Codec::Pcmu)]);
    worker.join(a, RoomId("r".into()));
    worker.join(b, RoomId("r".into()));
    if let Some(db) = gain_db {
        worker.set_gain(a, db);
    }
    let mut peer = TonePeer::new(a, Codec::Pcmu, 1010.0);
    peer.amplitude = amplitude;
    let (mut said, mut heard) = (Vec::new(), Vec::new());
    for _ in 0..60 {
        said.push(rtp_payload(&peer.send(&mut worker, LEAD)).to_vec());
        heard.push(rtp_payload(&sent_by(&tick(&mut worker), b)[0].payload).to_vec());
    }
    (said, heard)
}

#[test]
fn a_single_talker_passes_bit_exact_at_any_level_under_the_ceiling() {
    for amplitude in [6000.0, 28_000.0] {
        let (said, heard) = one_talker(amplitude, None);
        // A packet on time plays at the first tick after it came.
        assert_eq!(heard, said, "at amplitude {amplitude}");
    }
}

#[test]
fn a_legs_gain_scales_what_the_room_hears_from_it() {
    let level = |gain_db: Option<f32>| {
        let (_, heard) = one_talker(6000.0, gain_db);
        let pcm: Vec<i16> = heard[4..]
            .iter()
            .flat_map(|p| {
                let mut pcm = vec![0; p.len()];
                Decoder::new(Codec::Pcmu).decode(p, &mut pcm);
                pcm
            })
            .collect();
        goertzel(&pcm, 1010.0, 8000.0)
    };
    let unity = level(None);
    for (db, ratio) in [(-6.0, 0.501), (6.0, 1.995), (-12.0, 0.251)] {
        let measured = level(Some(db)) / unity;
        assert!(
            (measured - ratio).abs() < ratio * 0.02,
            "{db} dB: ratio {measured:.3}, expected {ratio}"
        );
    }
    assert_eq!(level(Some(0.0)), unity);
}

#[test]
fn a_legs_gain_applies_across_a_bridge_too() {
    let (a, b) = (LegId(1), LegId(2));
    let mut worker: Worker = worker_at(Instant::now(), 7, &[(a, Codec::Pcmu), (b, Codec::Pcmu)]);
    worker.bridge(a, b);
    worker.set_gain(a, -6.0);
    let mut peer = TonePeer::new(a, Codec::Pcmu, 1010.0);
    let mut heard = Vec::new();
    for _ in 0..40 {
        peer.send(&mut worker, LEAD);
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), b)[0]));
    }
    let level = goertzel(&heard[4 * FRAME_LEN..], 1010.0, 8000.0);
    assert!((level / 6000.0 - 0.501).abs() < 0.02, "level {level:.0}");
}
