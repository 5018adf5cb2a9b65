//! G.711 Appendix I packet-loss concealment end to end on virtual time: a leg's lost packets
//! are heard as concealment by its room (G.711 at 8 kHz, G.722 at 16 kHz), a paused leg as
//! silence; a lost packet, Opus's too, is concealed for as long as it lasted.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchyard_media::{Codec, Encoder, FRAME_LEN, LegId, RoomId, Worker, WorkerStats};

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

/// What B hears, tick by tick, of A in a room when A sends 400 Hz in PCMU packets of
/// `ptime_ms`, each just before the tick its first sample plays in: packet 20 is lost, and A
/// pauses after packet 30. Also the worker's count of concealed frames.
fn long_packets_with_a_loss_and_a_pause(ptime_ms: usize) -> (Vec<Vec<i16>>, u64) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut peer = TonePeer::new(A, Codec::Pcmu, TONE);
    peer.packet_time = Duration::from_millis(ptime_ms as u64);
    let ticks_per_packet = ptime_ms / 20;
    let mut heard = Vec::new();
    for k in 0..40 * ticks_per_packet {
        let due = (k % ticks_per_packet == 0).then_some(k / ticks_per_packet);
        if let Some(i) = due.filter(|&i| i <= 30) {
            let packet = peer.next_packet();
            if i != 20 {
                let now = worker.next_tick() - LEAD;
                worker.handle_rtp(now, A, sdp_addr(A), &packet);
            }
        }
        heard.push(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    (heard, worker.stats().jitter.concealed)
}

#[test]
fn a_packet_of_80_ms_or_more_lost_while_the_buffer_runs_dry_is_concealed_not_silent() {
    for ptime_ms in [80, 120] {
        let ticks_per_packet = ptime_ms / 20;
        let (heard, concealed) = long_packets_with_a_loss_and_a_pause(ptime_ms);
        let lost = 20 * ticks_per_packet..21 * ticks_per_packet;
        // G.711 Appendix I concealment fades to silence over its first 60 ms.
        for k in lost.clone().take(3) {
            assert!(
                goertzel(&heard[k], TONE, 8000.0) > 1000.0,
                "{ptime_ms} ms: tick {k} conceals the tone"
            );
        }
        assert!(
            goertzel(&heard[lost.end], TONE, 8000.0) > 4000.0,
            "{ptime_ms} ms: the packet after the loss is heard"
        );
        // The pause cannot be told from a loss until a packet's audio later; then silence.
        let paused = 31 * ticks_per_packet;
        assert!(
            heard[paused + ticks_per_packet..]
                .iter()
                .all(|f| f.iter().all(|&s| s == 0)),
            "{ptime_ms} ms: silence while A pauses"
        );
        assert_eq!(
            concealed,
            2 * ticks_per_packet as u64,
            "{ptime_ms} ms: the lost packet and the pause's first packet time"
        );
    }
}

/// The 1 kHz tone that marks the packet after the lost one./// The 1 kHz tone that marks the packet after the lost one.
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

/// `n` samples from absolute sample `start` of a low voice's vowel at `rate` Hz: 100 Hz (a
/// 10 ms period) and its next two harmonics, weaker each.
fn low_voice(rate: u32, start: usize, n: usize) -> Vec<i16> {
    let partials = [(100.0, 5000.0), (200.0, 2500.0), (300.0, 1200.0)];
    let mut voice = vec![0i16; n];
    for (freq, amplitude) in partials {
        for (sum, partial) in voice
            .iter_mut()
            .zip(tone_at(rate, freq, amplitude, start, n))
        {
            *sum += partial;
        }
    }
    voice
}

/// What B hears, frame by frame at its codec's rate, of A's low voice in a room of two `codec`
/// legs when A's packet `lost` never arrives.
fn low_voice_heard(codec: Codec, lost: Option<usize>) -> Vec<Vec<i16>> {
    let mut worker = worker_at(Instant::now(), 7, &[(A, codec), (B, codec)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let rate = codec.audio_rate();
    let n = rate as usize / 50;
    let mut encoder = Encoder::new(codec);
    let mut listener = Listener::new(B, codec);
    for k in 0..30 {
        let mut payload = Vec::new();
        encoder.encode(&low_voice(rate, k * n, n), &mut payload);
        if lost != Some(k) {
            let timestamp = (k * codec.samples_per_frame(TICK)) as u32;
            let packet = rtp(
                codec.payload_type(),
                k as u16,
                timestamp,
                0xA,
                k == 0,
                &payload,
            );
            worker.handle_rtp(worker.next_tick() - LEAD, A, sdp_addr(A), &packet);
        }
        listener.take(&tick(&mut worker));
    }
    listener.heard.chunks(n).map(<[i16]>::to_vec).collect()
}

#[test]
fn a_low_voice_is_concealed_as_well_at_16_khz_as_at_8() {
    // The share of the voice's power that the concealment of a lost packet misses, over the
    // frame it plays in and the next, which the codecs' delays and the closing overlap reach.
    let missed = |codec| {
        let clean = low_voice_heard(codec, None);
        let lossy = low_voice_heard(codec, Some(20));
        let (mut power, mut error) = (0.0, 0.0);
        for (&c, &x) in clean[20..22].concat().iter().zip(&lossy[20..22].concat()) {
            power += f64::from(c).powi(2);
            error += (f64::from(c) - f64::from(x)).powi(2);
        }
        error / power
    };
    let (narrowband, wideband) = (missed(Codec::Pcmu), missed(Codec::G722));
    eprintln!("PCMU {narrowband:.4}, G.722 {wideband:.4} of the power missed");
    // The voice repeats in phase, faded to 80 % by the frame's end: about 1 % missed. A pitch
    // search short of its 10 ms period misses most of it.
    assert!(narrowband < 0.02, "PCMU: {narrowband:.4}");
    assert!(wideband < 0.02, "G.722: {wideband:.4}");
}

/// The sample at which B first hears the marker in A's stream of PCMU packets of `ptime_ms`
/// (10 or 30: packet 20 starts on a tick boundary), and the worker's count of concealed
/// frames. Packet 22 is the marker, a 1 kHz tone; the others are 400 Hz. Each packet is sent
/// as soon as the tick time reaches its first sample, packet 21 with packet 20 (so that 20 is
/// known to be missing when its turn comes); with `lose_20`, packet 20 never arrives. The
/// marker comes after packet 21, whose start the closing overlap-add of the concealment blends.
fn marker_after_a_short_loss(ptime_ms: usize, lose_20: bool) -> (usize, u64) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let samples = 8 * ptime_ms;
    let packet = |i: usize| {
        let freq = if i == 22 { MARK } else { TONE };
        let mut payload = Vec::new();
        Encoder::new(Codec::Pcmu).encode(&tone(freq, 6000.0, i * samples, samples), &mut payload);
        rtp(0, i as u16, (i * samples) as u32, 0xA, i == 0, &payload)
    };
    let heard = feed_with_20_late(&mut worker, (60, FRAME_LEN), samples, lose_20, packet);
    // 5 ms windows: 400 Hz and 1 kHz are whole periods in them, so neither reads at the other.
    (marker_start(&heard, 40), worker.stats().jitter.concealed)
}

/// What B hears while A's packets `packet(i)`, of `samples` clock units each, reach `worker`
/// for `ticks` ticks of `tick_samples`: each as soon as the tick time reaches its first sample,
/// packet 21 with packet 20 (so that 20 is known to be missing when its turn comes), and packet
/// 20 never with `lose_20`.
fn feed_with_20_late(
    worker: &mut Worker,
    (ticks, tick_samples): (usize, usize),
    samples: usize,
    lose_20: bool,
    packet: impl Fn(usize) -> Vec<u8>,
) -> Vec<i16> {
    let mut heard = Vec::new();
    let mut next = 0;
    for tick_start in (0..ticks).map(|k| k * tick_samples) {
        let now = worker.next_tick() - LEAD;
        while next * samples <= tick_start {
            let sent: &[usize] = match next {
                20 => &[20, 21],
                21 => &[],
                _ => &[next],
            };
            for &i in sent.iter().filter(|&&i| !(lose_20 && i == 20)) {
                worker.handle_rtp(now, A, sdp_addr(A), &packet(i));
            }
            next += 1;
        }
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(worker), B)[0]));
    }
    heard
}

/// The first sample of `heard` from which `window` samples read the marker.
fn marker_start(heard: &[i16], window: usize) -> usize {
    heard
        .windows(window)
        .position(|w| goertzel(w, MARK, 8000.0) > 3000.0)
        .expect("the marker is heard")
}

#[test]
fn a_lost_packet_shorter_than_a_tick_or_ending_within_one_is_concealed_as_long_as_it_lasted() {
    for (ptime_ms, concealed_ticks) in [(10, 1), (30, 2)] {
        let (clean, none) = marker_after_a_short_loss(ptime_ms, false);
        assert_eq!(none, 0, "{ptime_ms} ms");
        let (lossy, concealed) = marker_after_a_short_loss(ptime_ms, true);
        assert_eq!(
            lossy, clean,
            "{ptime_ms} ms: the packets after the loss play when they would have"
        );
        assert_eq!(concealed, concealed_ticks, "{ptime_ms} ms");
    }
}

/// The sample at which B, a PCMU leg, first hears the marker in A's stream of Opus packets of
/// `ptime_ms` (10 or 40), all from one encoder, and the worker's count of concealed frames.
/// The marker is 20 ms (or one packet) of a 1 kHz tone; the rest is 400 Hz. Each packet is sent
/// as soon as the tick time reaches its first sample, packet 21 with packet 20 (so that 20 is
/// known to be missing when its turn comes); `twentieth` says what becomes of packet 20. The
/// marker starts with the first packet 30 ms or more after the lost one: a predictive decoder
/// takes a few packets to find its way back after a loss, and what it decodes meanwhile is
/// off in level, which would move where the marker crosses the detector's threshold.
fn marker_after_a_lost_opus_packet(ptime_ms: usize, twentieth: Twentieth) -> (usize, WorkerStats) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Opus), (B, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut peer = TonePeer::new(A, Codec::Opus, TONE);
    peer.packet_time = Duration::from_millis(ptime_ms as u64);
    let first_marked = (21 * ptime_ms + 30).div_ceil(ptime_ms);
    let marker = first_marked..first_marked + (20 / ptime_ms).max(1);
    // Enough packets that A talks to the end: a pause at its end would be concealed too.
    let ticks = 70;
    let packets: Vec<Vec<u8>> = (0..=ticks * 20 / ptime_ms)
        .map(|i| {
            peer.freq = if marker.contains(&i) { MARK } else { TONE };
            peer.next_packet()
        })
        .collect();
    let samples = Codec::Opus.samples_per_frame(peer.packet_time);
    let tick_samples = Codec::Opus.samples_per_frame(TICK);
    let lose_20 = twentieth == Twentieth::Lost;
    let heard = feed_with_20_late(&mut worker, (ticks, tick_samples), samples, lose_20, |i| {
        match (i, twentieth) {
            // Its RTP header (12 bytes), then a TOC byte of code 1 (two 20 ms frames of equal
            // length) and an odd number of bytes for them (RFC 6716 §3.2.3).
            (20, Twentieth::Malformed) => [&packets[i][..12], &[0x79, 0, 0, 0]].concat(),
            _ => packets[i].clone(),
        }
    });
    // 10 ms windows at 8 kHz, whole periods of both tones. Opus's own concealment is no clean
    // tone: it has 5 ms bursts of 1 kHz at over half the marker's level, which a 5 ms window
    // would take for it.
    (marker_start(&heard, 80), worker.stats())
}

/// What becomes of packet 20 of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Twentieth {
    Sent,
    Lost,
    /// Replaced by one whose Opus framing is invalid.
    Malformed,
}

#[test]
fn a_lost_opus_packet_of_10_or_40_ms_is_concealed_as_long_as_it_lasted() {
    for (ptime_ms, concealed_ticks) in [(10, 1), (40, 2)] {
        let (clean, stats) = marker_after_a_lost_opus_packet(ptime_ms, Twentieth::Sent);
        assert_eq!(stats.jitter.concealed, 0, "{ptime_ms} ms");
        let (lossy, stats) = marker_after_a_lost_opus_packet(ptime_ms, Twentieth::Lost);
        let concealed = stats.jitter.concealed;
        // Both runs go through the same decoders: the loss may only nudge where the marker
        // crosses the threshold, by far less than the 80 samples of 10 ms.
        assert!(
            clean.abs_diff(lossy) <= 8,
            "{ptime_ms} ms: the marker starts at {lossy} after the loss, at {clean} without"
        );
        assert_eq!(concealed, concealed_ticks, "{ptime_ms} ms");
    }
}

#[test]
fn an_opus_packet_framed_against_rfc_6716_is_dropped_as_malformed_and_concealed_as_lost() {
    for ptime_ms in [10, 40] {
        let (lost_at, lost) = marker_after_a_lost_opus_packet(ptime_ms, Twentieth::Lost);
        let (malformed_at, malformed) =
            marker_after_a_lost_opus_packet(ptime_ms, Twentieth::Malformed);
        assert_eq!(
            (lost.malformed_packets, malformed.malformed_packets),
            (0, 1),
            "{ptime_ms} ms"
        );
        // Dropped on arrival, it is a lost packet like any other: the jitter buffer never
        // sees it, and its place is concealed as long as the stream's packets last.
        assert_eq!(malformed.jitter, lost.jitter, "{ptime_ms} ms");
        assert_eq!(malformed_at, lost_at, "{ptime_ms} ms");
    }
}
