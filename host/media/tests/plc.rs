//! G.711 packet-loss concealment end to end on virtual time: a leg's lost packets are heard as
//! concealment by its room, a paused leg as silence.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchyard_media::{Codec, FRAME_LEN, LegId, RoomId};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const LEAD: Duration = Duration::from_millis(1);
const TONE: f64 = 400.0;
const FRAMES: usize = 1000;

/// What B hears, frame by frame, of A's 400 Hz tone in a room when A's packets marked in
/// `lost` never arrive, and the worker's concealed-frame count.
fn heard_through_the_room(lost: &[bool]) -> (Vec<Vec<i16>>, u64) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut peer = TonePeer::new(A, Codec::Pcmu, TONE);
    let mut heard = Vec::new();
    for &lost in lost {
        let packet = peer.next_packet();
        if !lost {
            let now = worker.next_tick() - LEAD;
            worker.handle_rtp(now, A, sdp_addr(A), &packet);
        }
        heard.push(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    (heard, worker.stats().jitter.concealed)
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

#[test]
fn concealment_keeps_a_tone_through_five_percent_loss() {
    let mut rng = SmallRng::seed_from_u64(11);
    let lost: Vec<bool> = (0..FRAMES)
        .map(|k| k >= 10 && rng.random_bool(0.05))
        .collect();
    let lost_frames: Vec<usize> = (0..FRAMES).filter(|&k| lost[k]).collect();
    assert!(lost_frames.len() > 30, "{} lost", lost_frames.len());
    let (clean, _) = heard_through_the_room(&[false; FRAMES]);
    let (concealed, count) = heard_through_the_room(&lost);
    assert_eq!(
        count,
        lost_frames.len() as u64,
        "one concealed frame per lost packet"
    );
    // A packet sent just before tick k plays at tick k.
    let tone_at = |frames: &[Vec<i16>], k: usize| goertzel(&frames[k], TONE, 8000.0);
    let (mut clean_tone, mut concealed_tone) = (0.0, 0.0);
    let (mut signal, mut concealment_error) = (0.0, 0.0);
    for &k in &lost_frames {
        clean_tone += tone_at(&clean, k);
        concealed_tone += tone_at(&concealed, k);
        for (&c, &x) in clean[k].iter().zip(&concealed[k]) {
            signal += f64::from(c).powi(2);
            concealment_error += (f64::from(c) - f64::from(x)).powi(2);
        }
    }
    // Zero-fill would give silence in every lost frame: no tone, and an error as large as
    // the signal (0 dB SNR).
    let zero_fill: Vec<Vec<i16>> = (0..FRAMES)
        .map(|k| {
            if lost[k] {
                vec![0; FRAME_LEN]
            } else {
                clean[k].clone()
            }
        })
        .collect();
    let zero_tone: f64 = lost_frames.iter().map(|&k| tone_at(&zero_fill, k)).sum();
    let level = db(concealed_tone / clean_tone);
    let snr = 10.0 * (signal / concealment_error).log10();
    eprintln!("lost frames: tone {level:.2} dB of clean, SNR {snr:.1} dB");
    assert!(level > -3.0, "concealed tone {level:.2} dB below clean");
    assert!(level < 1.0, "concealed tone {level:.2} dB above clean");
    assert!(zero_tone < clean_tone / 1000.0, "zero-fill loses the tone");
    assert!(snr > 6.0, "concealment SNR {snr:.1} dB, zero-fill 0 dB");
    // Over the whole call the tone holds within a fraction of a dB.
    let whole = |frames: &[Vec<i16>]| goertzel(&frames[10..].concat(), TONE, 8000.0);
    let whole_level = db(whole(&concealed) / whole(&clean));
    let zero_level = db(whole(&zero_fill) / whole(&clean));
    assert!(whole_level > -0.3, "whole call {whole_level:.2} dB");
    assert!(
        whole_level > zero_level + 0.2,
        "{whole_level:.2} vs {zero_level:.2} dB"
    );
}

#[test]
fn a_paused_talker_is_heard_as_silence_not_concealment() {
    // A talks for 50 frames, sends nothing for 50, then talks again.
    let lost: Vec<bool> = (0..150).map(|k| (50..100).contains(&k)).collect();
    let (heard, concealed) = heard_through_the_room(&lost);
    // The pause cannot be told from a loss for 60 ms; after that it is silence.
    assert_eq!(concealed, 3);
    assert!(
        goertzel(&heard[50], TONE, 8000.0) > 4000.0,
        "concealed at first"
    );
    assert!(
        heard[53..100].iter().all(|f| f.iter().all(|&s| s == 0)),
        "silence while A pauses"
    );
    assert!(
        goertzel(&heard[101], TONE, 8000.0) > 4000.0,
        "A heard again"
    );
}

/// The 1 kHz tone that marks the packet after the lost one.
const MARK: f64 = 1000.0;

/// What B hears, tick by tick, of A in a room when A sends PCMU packets of `ptime_ms`, each
/// just before the tick its first sample plays in: a 400 Hz tone, except packet 21, a 1 kHz
/// one, which comes a packet early. With `lose_20`, packet 20 is lost. Also the worker's
/// counts of concealed frames and of underruns.
fn one_long_packet_lost(ptime_ms: usize, lose_20: bool) -> (Vec<Vec<i16>>, u64, u64) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let ticks_per_packet = ptime_ms / 20;
    let samples = 8 * ptime_ms;
    let packet = |i: usize| {
        let freq = if i == 21 { MARK } else { TONE };
        let mut payload = Vec::new();
        switchyard_media::Encoder::new(Codec::Pcmu)
            .encode(&tone(freq, 6000.0, i * samples, samples), &mut payload);
        rtp(0, i as u16, (i * samples) as u32, 0xA, i == 0, &payload)
    };
    let mut heard = Vec::new();
    for k in 0..40 * ticks_per_packet {
        let due = (k % ticks_per_packet == 0).then_some(k / ticks_per_packet);
        // Packet 21 comes with packet 20, before packet 20's first tick.
        let sent: &[usize] = match due {
            Some(20) => &[20, 21],
            Some(21) => &[],
            Some(i) => &[i][..],
            None => &[],
        };
        let now = worker.next_tick() - LEAD;
        for &i in sent.iter().filter(|&&i| !(lose_20 && i == 20)) {
            worker.handle_rtp(now, A, sdp_addr(A), &packet(i));
        }
        heard.push(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    let stats = worker.stats().jitter;
    (heard, stats.concealed, stats.underruns)
}

#[test]
fn a_lost_packet_longer_than_a_tick_is_concealed_for_as_long_as_it_lasted() {
    for ptime_ms in [40, 60] {
        let ticks_per_packet = ptime_ms / 20;
        let marked = |heard: &[Vec<i16>]| -> Vec<usize> {
            (0..heard.len())
                .filter(|&k| goertzel(&heard[k], MARK, 8000.0) > 4000.0)
                .collect()
        };
        let (clean, none, clean_underruns) = one_long_packet_lost(ptime_ms, false);
        assert_eq!(none, 0);
        let (lossy, concealed, underruns) = one_long_packet_lost(ptime_ms, true);
        assert_eq!(
            concealed, ticks_per_packet as u64,
            "{ptime_ms} ms: one tick of concealment per 20 ms lost"
        );
        assert_eq!(
            marked(&lossy),
            marked(&clean),
            "{ptime_ms} ms: the packet after the loss plays when it would have"
        );
        assert_eq!(marked(&clean).len(), ticks_per_packet);
        assert_eq!(underruns, clean_underruns, "{ptime_ms} ms");
        let first_lost = 20 * ticks_per_packet;
        for (k, frame) in lossy
            .iter()
            .enumerate()
            .skip(first_lost)
            .take(ticks_per_packet)
        {
            assert!(
                goertzel(frame, TONE, 8000.0) > 1000.0,
                "{ptime_ms} ms: tick {k} conceals the tone"
            );
        }
    }
}
