//! Rooms mixing G.711, G.722 and Opus legs: each hears the others and not itself, through its
//! own decoder; Opus under loss; a listener's stream stays continuous as it starts and stops
//! talking, and an Opus one goes back to the shared stream while the room still talks, or
//! leaves it for new parameters or a hold; Opus listeners hearing the plain mix share one
//! encode per set of parameters.

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, Encoder, LegId, LegParams, MediaDirection, OpusParams, RoomId, Worker, WorkerConfig,
};

const LEAD: Duration = Duration::from_millis(5);

fn room(codecs: &[(LegId, Codec)], config: WorkerConfig) -> Worker {
    let start = Instant::now();
    let mut worker = Worker::new(config, start, 9);
    for &(leg, codec) in codecs {
        worker.add_leg(start, leg, params(codec, 5000 + leg.0 as u16));
        worker.join(leg, RoomId("r".into()));
    }
    worker
}

#[test]
fn g711_g722_and_opus_legs_hear_each_other_and_not_themselves() {
    let talkers = [
        (LegId(1), Codec::Pcmu, 440.0),
        (LegId(2), Codec::Pcma, 700.0),
        (LegId(3), Codec::G722, 1000.0),
        (LegId(4), Codec::Opus, 1700.0),
    ];
    let codecs: Vec<(LegId, Codec)> = talkers.iter().map(|&(l, c, _)| (l, c)).collect();
    let mut worker = room(&codecs, WorkerConfig::default());
    let mut peers: Vec<TonePeer> = talkers
        .iter()
        .map(|&(leg, codec, freq)| TonePeer::new(leg, codec, freq))
        .collect();
    let mut listeners: Vec<Listener> = codecs.iter().map(|&(l, c)| Listener::new(l, c)).collect();
    for _ in 0..100 {
        for peer in &mut peers {
            peer.send(&mut worker, LEAD);
        }
        let out = tick(&mut worker);
        for listener in &mut listeners {
            listener.take(&out);
        }
    }
    for (listener, &(leg, codec, own)) in listeners.iter().zip(&talkers) {
        let rate = codec.audio_rate();
        // The last second, past the jitter buffer's and the codecs' start-up.
        let settled = &listener.heard[listener.heard.len() / 2..];
        for &(_, _, freq) in &talkers {
            let level = goertzel(settled, freq, f64::from(rate));
            if freq == own {
                assert!(level < 150.0, "{leg:?} ({codec:?}) hears itself: {level}");
            } else {
                assert!(
                    (4500.0..7000.0).contains(&level),
                    "{leg:?} ({codec:?}) hears {freq} Hz at {level}"
                );
            }
        }
    }
}

#[test]
fn opus_under_five_percent_loss_stays_steady() {
    let (talker, listener) = (LegId(1), LegId(2));
    // A playout delay of two frames, so the packet after a loss is there to recover it from.
    let config = WorkerConfig {
        jitter_delay: Duration::from_millis(40),
        ..WorkerConfig::default()
    };
    let mut worker = room(&[(talker, Codec::Opus), (listener, Codec::Pcmu)], config);
    // A peer that sends in-band FEC, as we ask of Opus peers (`useinbandfec=1`).
    let fec = OpusParams {
        inband_fec: true,
        ..OpusParams::default()
    };
    let mut peer = TonePeer::new(talker, Codec::Opus, 1000.0)
        .with_encoder(Encoder::with_opus(Codec::Opus, &fec));
    let mut heard = Listener::new(listener, Codec::Pcmu);
    for frame in 0..200 {
        let packet = peer.next_packet();
        // Every 20th packet lost: 5 %.
        if frame % 20 != 10 {
            let now = worker.next_tick() - LEAD;
            worker.handle_rtp(now, talker, peer.source, &packet);
        }
        heard.take(&tick(&mut worker));
    }
    let stats = worker.stats().jitter;
    assert!(stats.lost >= 9, "losses seen: {}", stats.lost);
    let levels = frame_levels(&heard.heard, 1000.0, 8000);
    // Past start-up, every frame carries the tone near its level: lost ones were recovered
    // (in-band FEC) or concealed, with no drop-out.
    for (i, level) in levels.iter().enumerate().skip(20) {
        assert!((4000.0..7500.0).contains(level), "frame {i}: {level}");
    }
}

#[test]
fn a_listener_starting_and_stopping_talking_hears_a_continuous_stream() {
    for codec in [Codec::G722, Codec::Opus] {
        let (talker, listener) = (LegId(1), LegId(2));
        let mut worker = room(
            &[(talker, Codec::Pcmu), (listener, codec)],
            WorkerConfig::default(),
        );
        let mut voice = TonePeer::new(talker, Codec::Pcmu, 440.0);
        let mut own = TonePeer::new(listener, codec, 1500.0);
        let mut heard = Listener::new(listener, codec);
        for frame in 0..150 {
            voice.send(&mut worker, LEAD);
            // It talks for a second in the middle: its stream moves from the room's shared mix
            // to its own mix-minus and back.
            own.amplitude = if (50..100).contains(&frame) {
                6000.0
            } else {
                0.0
            };
            own.send(&mut worker, LEAD);
            heard.take(&tick(&mut worker));
        }
        let rate = codec.audio_rate();
        let samples = &heard.heard[heard.heard.len() / 5..];
        assert_continuous_tone(&codec, samples, rate);
    }
}

/// Runs one tick, gives every listener what was sent to it, and returns the encodes it took.
fn tick_to(worker: &mut Worker, listeners: &mut [Listener]) -> u64 {
    let before = worker.stats().encodes;
    let out = tick(worker);
    for listener in listeners {
        listener.take(&out);
    }
    worker.stats().encodes - before
}

#[test]
fn an_opus_listener_that_stops_talking_rejoins_the_shared_stream_while_the_room_talks() {
    let (talker, speaker, silent) = (LegId(1), LegId(2), LegId(3));
    let mut worker = room(
        &[
            (talker, Codec::Pcmu),
            (speaker, Codec::Opus),
            (silent, Codec::Opus),
        ],
        WorkerConfig::default(),
    );
    let mut voice = TonePeer::new(talker, Codec::Pcmu, 440.0);
    let mut own = TonePeer::new(speaker, Codec::Opus, 1500.0);
    let mut quiet = TonePeer::new(silent, Codec::Opus, 440.0);
    quiet.amplitude = 0.0;
    let mut heard = [
        Listener::new(speaker, Codec::Opus),
        Listener::new(silent, Codec::Opus),
    ];
    let mut encodes_per_tick = Vec::new();
    for frame in 0..150 {
        voice.send(&mut worker, LEAD);
        // The speaker talks for a second; the talker never stops, so the room is never quiet.
        own.amplitude = if (50..100).contains(&frame) {
            6000.0
        } else {
            0.0
        };
        own.send(&mut worker, LEAD);
        quiet.send(&mut worker, LEAD);
        encodes_per_tick.push(tick_to(&mut worker, &mut heard));
    }
    // While the speaker talks: the talker's PCMU, the speaker's own Opus mix and the shared
    // Opus stream; once it stopped (talking ends after its hangover), two: both Opus listeners
    // on the shared stream.
    assert!(
        encodes_per_tick[60..95].iter().all(|&n| n == 3),
        "{encodes_per_tick:?}"
    );
    assert!(
        encodes_per_tick[130..].iter().all(|&n| n == 2),
        "{encodes_per_tick:?}"
    );
    // From its return on, the speaker's decoder takes the bytes the silent listener's takes,
    // and (the frame it returned at coded without prediction) decodes exactly the same audio.
    let returned = 100
        + encodes_per_tick[100..]
            .iter()
            .position(|&n| n == 2)
            .expect("the speaker returned to the shared stream");
    for frame in returned + 1..150 {
        let samples = frame * 960..(frame + 1) * 960;
        assert_eq!(
            heard[0].heard[samples.clone()],
            heard[1].heard[samples],
            "frame {frame} (returned at {returned})"
        );
    }
    // The speaker hears the talker alone all along; the silent listener hears the speaker too
    // until frame 100 (and its abrupt end): judged from frame 103 on, across the speaker's
    // return to the shared stream.
    for (listener, from_frame) in heard.iter().zip([30, 103]) {
        let samples = &listener.heard[from_frame * 960..];
        assert_continuous_tone(&listener.leg, samples, 48_000);
    }
}

#[test]
fn a_room_with_wideband_legs_mixes_wideband_and_narrowband_legs_hear_no_alias() {
    let (g722, opus, pcmu) = (LegId(1), LegId(2), LegId(3));
    let mut worker = room(
        &[
            (g722, Codec::G722),
            (opus, Codec::Opus),
            (pcmu, Codec::Pcmu),
        ],
        WorkerConfig::default(),
    );
    // 5 kHz: above narrowband, within G.722's band.
    let mut peer = TonePeer::new(g722, Codec::G722, 5000.0);
    let mut heard = [
        Listener::new(opus, Codec::Opus),
        Listener::new(pcmu, Codec::Pcmu),
    ];
    for _ in 0..100 {
        peer.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        for listener in &mut heard {
            listener.take(&out);
        }
    }
    let settled = |pcm: &[i16]| pcm[pcm.len() / 2..].to_vec();
    let wide = goertzel(&settled(&heard[0].heard), 5000.0, 48_000.0);
    assert!(
        (4500.0..7000.0).contains(&wide),
        "the Opus leg hears 5 kHz at {wide}"
    );
    // At 8 kHz, 5 kHz would fold to 3 kHz: the PCMU leg hears nothing of it above −50 dB.
    let narrow = settled(&heard[1].heard);
    let folded = goertzel(&narrow, 3000.0, 8000.0);
    assert!(
        folded < 6000.0 * 10f64.powf(-50.0 / 20.0),
        "alias at {folded}"
    );
}

#[test]
fn opus_listeners_hearing_the_plain_mix_share_one_encode_per_parameter_set() {
    let start = Instant::now();
    let mut worker = Worker::new(WorkerConfig::default(), start, 4);
    let talker = LegId(1);
    let listeners: Vec<LegId> = (10..18).map(LegId).collect();
    worker.add_leg(start, talker, params(Codec::Pcmu, 5001));
    for &leg in &listeners {
        // Half of them decode in-band FEC: two sets of parameters, two shared encoders.
        let opus = OpusParams {
            inband_fec: leg.0 % 2 == 0,
            ..OpusParams::default()
        };
        let leg_params = LegParams {
            opus,
            ..params(Codec::Opus, 5000 + leg.0 as u16)
        };
        worker.add_leg(start, leg, leg_params);
    }
    // Alone first, their streams started by their own encoders: entering the room is a cut
    // their far ends cannot tell the shared stream's state from.
    for _ in 0..10 {
        tick(&mut worker);
    }
    for &leg in std::iter::once(&talker).chain(&listeners) {
        worker.join(leg, RoomId("r".into()));
    }
    let mut voice = TonePeer::new(talker, Codec::Pcmu, 440.0);
    let mut silent: Vec<TonePeer> = listeners
        .iter()
        .map(|&leg| {
            let mut peer = TonePeer::new(leg, Codec::Opus, 440.0);
            peer.amplitude = 0.0;
            peer
        })
        .collect();
    let mut heard: Vec<Listener> = listeners
        .iter()
        .map(|&leg| Listener::new(leg, Codec::Opus))
        .collect();
    let mut encodes_per_tick = Vec::new();
    for _ in 0..60 {
        voice.send(&mut worker, LEAD);
        for peer in &mut silent {
            peer.send(&mut worker, LEAD);
        }
        encodes_per_tick.push(tick_to(&mut worker, &mut heard));
    }
    // The talker's own mix (PCMU), and one Opus encode per parameter set.
    assert!(
        encodes_per_tick[5..].iter().all(|&n| n == 3),
        "{encodes_per_tick:?}"
    );
    for listener in &heard {
        let levels = frame_levels(&listener.heard, 440.0, 48_000);
        for (i, level) in levels.iter().enumerate().skip(10) {
            assert!(
                (4000.0..7500.0).contains(level),
                "{:?} frame {i}: {level}",
                listener.leg
            );
        }
    }
}

/// A change of a leg's parameters, as a re-INVITE makes.
type Renegotiation = fn(LegParams) -> LegParams;

/// What an Opus listener hears, through one decoder, of an Opus talker's 440 Hz tone in their
/// room, its stream the room's shared one from the start: 50 ticks, then each of `moves`, a
/// renegotiation that many ticks later, then 50 more ticks.
fn shared_listener_across(moves: &[(usize, Renegotiation)]) -> Vec<i16> {
    let (talker, listener) = (LegId(1), LegId(2));
    let mut worker = room(
        &[(talker, Codec::Opus), (listener, Codec::Opus)],
        WorkerConfig::default(),
    );
    let mut voice = TonePeer::new(talker, Codec::Opus, 440.0);
    let mut heard = Listener::new(listener, Codec::Opus);
    let mut current = params(Codec::Opus, 5000 + listener.0 as u16);
    let last = moves.last().map_or(0, |&(at, _)| at);
    for frame in 0..50 + last + 50 {
        if let Some(&(_, change)) = moves.iter().find(|&&(at, _)| at + 50 == frame) {
            current = change(current);
            worker.update_leg(worker.next_tick(), listener, current.clone());
        }
        voice.send(&mut worker, LEAD);
        heard.take(&tick(&mut worker));
    }
    heard.heard
}

/// Its peer asks for in-band FEC, or no longer does.
fn toggle_inband_fec(params: LegParams) -> LegParams {
    let opus = OpusParams {
        inband_fec: !params.opus.inband_fec,
        ..params.opus
    };
    LegParams { opus, ..params }
}

/// On hold: it sends nothing.
fn hold(params: LegParams) -> LegParams {
    LegParams {
        direction: MediaDirection::RecvOnly,
        ..params
    }
}

/// Off hold.
fn resume(params: LegParams) -> LegParams {
    LegParams {
        direction: MediaDirection::SendRecv,
        ..params
    }
}

#[test]
fn a_shared_opus_listener_given_new_parameters_hears_a_continuous_stream() {
    let heard = shared_listener_across(&[(0, toggle_inband_fec)]);
    // From past the start-up of the jitter buffer and the codecs.
    assert_continuous_tone(&"the listener", &heard[20 * 960..], 48_000);
}

#[test]
fn a_shared_opus_listener_held_and_resumed_hears_a_continuous_stream() {
    // Held for 100 ms: 44 whole periods of the tone, which goes on in phase after the gap.
    let heard = shared_listener_across(&[(0, hold), (5, resume)]);
    assert_continuous_tone(&"the listener", &heard[20 * 960..], 48_000);
}
