//! A room's mixing rate changes as wideband legs come and go: what its narrowband listeners hear
//! goes on without a click or a gap.
//!
//! Pass criteria, around each change (the frames from [`AROUND`] before to [`AROUND`] after it):
//! - the largest step between consecutive samples, frame edges included, is at most
//!   [`MAX_STEP_RATIO`] times the steady state's;
//! - no [`WINDOW`] of samples has an RMS below [`MIN_RMS_RATIO`] of the steady state's (no gap);
//! - the residual of the frames there (what is left besides the best-fitting tone) is reported.
//!
//! A conversion whose rates change goes on from what it was last fed; a listener's must go on
//! from what the listener last heard, however that was sent (relayed, a cached silence), and
//! not from what came before a break in its stream (a hold, the end of a prompt): a tone of
//! [`GHOST`] Hz heard long before is not heard again after the change.

mod common;

use std::f64::consts::TAU;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{Codec, LegId, MediaDirection, PlayId, Prompt, RoomId, Worker};

const TALKER: LegId = LegId(1);
/// Two listeners: while the room is narrowband, the second is sent what the first's encoder
/// made of the mix (G.711 keeps no state), and its own encoder sees none of it.
const LISTENERS: [LegId; 2] = [LegId(2), LegId(4)];
const WIDE: LegId = LegId(3);
const LEAD: Duration = Duration::from_millis(5);
const TONE: f64 = 440.0;
/// Samples in a 20 ms frame at 8 kHz.
const FRAME: usize = 160;
/// The first frame kept of what the listener hears.
const FIRST: usize = 10;
/// The frames at which the wide leg joins (the rate goes up) and leaves (back down).
const JOIN: usize = 30;
const LEAVE: usize = 60;
/// How many frames on either side of a change are checked.
const AROUND: usize = 3;
/// The largest step allowed around a change, relative to the steady state's.
const MAX_STEP_RATIO: f64 = 1.5;
/// 5 ms at 8 kHz: any window this long around a change keeps this share of the steady RMS.
const WINDOW: usize = 40;
const MIN_RMS_RATIO: f64 = 0.5;

/// What each of the PCMU [`LISTENERS`] hears of a PCMU talker's tone while a `wide` leg joins
/// the room at frame [`JOIN`] and leaves at frame [`LEAVE`]: frames [`FIRST`] to 90.
fn heard_across_rate_changes(wide: Codec) -> Vec<Vec<i16>> {
    let start = Instant::now();
    let mut worker = worker_at(start, 9, &[(TALKER, Codec::Pcmu)]);
    let room = RoomId("r".into());
    worker.join(TALKER, room.clone());
    for leg in LISTENERS {
        worker.add_leg(start, leg, params(Codec::Pcmu, 5000 + leg.0 as u16));
        worker.join(leg, room.clone());
    }
    let mut talker = TonePeer::new(TALKER, Codec::Pcmu, TONE);
    let mut listeners = LISTENERS.map(|leg| Listener::new(leg, Codec::Pcmu));
    for frame in 0..90 {
        match frame {
            JOIN => {
                worker.add_leg(start, WIDE, params(wide, 5000 + WIDE.0 as u16));
                worker.join(WIDE, room.clone());
            }
            LEAVE => worker.leave(WIDE),
            _ => {}
        }
        talker.send(&mut worker, LEAD);
        let sent = tick(&mut worker);
        for listener in &mut listeners {
            listener.take(&sent);
        }
    }
    listeners
        .into_iter()
        .map(|mut listener| listener.heard.split_off(FIRST * FRAME))
        .collect()
}

/// What is left of `frame` (8 kHz) besides the one sine of [`TONE`] that fits it best (least
/// squares), as a share of that sine's power; a gap, a jump in time or a click leaves much more
/// than the codec's quantization noise does.
fn residual(frame: &[i16]) -> f64 {
    let basis = |i: usize| {
        let phase = TAU * TONE * i as f64 / 8000.0;
        (phase.sin(), phase.cos())
    };
    // The normal equations of x ≈ a·sin + b·cos.
    let (mut ss, mut sc, mut cc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &x) in frame.iter().enumerate() {
        let (s, c) = basis(i);
        let x = f64::from(x);
        (ss, sc, cc, xs, xc) = (ss + s * s, sc + s * c, cc + c * c, xs + x * s, xc + x * c);
    }
    let det = ss * cc - sc * sc;
    let (a, b) = ((xs * cc - xc * sc) / det, (xc * ss - xs * sc) / det);
    let (mut error, mut tone) = (0.0, 0.0);
    for (i, &x) in frame.iter().enumerate() {
        let (s, c) = basis(i);
        let fit = a * s + b * c;
        error += (f64::from(x) - fit).powi(2);
        tone += fit * fit;
    }
    error / tone
}

/// The largest step between two consecutive samples of `pcm`, frame edges included.
fn largest_step(pcm: &[i16]) -> i32 {
    pcm.windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap()
}

fn rms(pcm: &[i16]) -> f64 {
    (pcm.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt()
}

/// The samples of `heard` from [`AROUND`] frames before the change at `frame` to [`AROUND`]
/// after it, and the index in `heard` of the first of them.
fn around(heard: &[i16], frame: usize) -> (usize, &[i16]) {
    let first = (frame - FIRST - AROUND) * FRAME;
    (first, &heard[first..(frame - FIRST + AROUND) * FRAME])
}

#[test]
fn a_narrowband_listener_hears_the_room_s_rate_change_neither_up_nor_down() {
    for wide in [Codec::G722, Codec::Opus] {
        for (heard, leg) in heard_across_rate_changes(wide).iter().zip(LISTENERS) {
            check(heard, &format!("{wide:?} to {leg:?}"));
        }
    }
}

/// Checks the pass criteria (see the top) on what one listener `heard`.
fn check(heard: &[i16], who: &str) {
    // Steady state at 8 kHz (frames 10..25) and at the higher rate (40..55).
    let steady = [&heard[..15 * FRAME], &heard[30 * FRAME..45 * FRAME]];
    let steady_residual = steady
        .iter()
        .flat_map(|pcm| pcm.chunks_exact(FRAME).map(residual))
        .fold(0.0, f64::max);
    assert!(steady_residual < 1e-3, "{who}: steady {steady_residual}");
    let steady_step = steady.iter().map(|pcm| largest_step(pcm)).max().unwrap();
    let steady_rms = steady.iter().map(|pcm| rms(pcm)).fold(f64::MAX, f64::min);
    for (change, frame) in [("up", JOIN), ("down", LEAVE)] {
        let (first, pcm) = around(heard, frame);
        let residuals: Vec<String> = pcm
            .chunks_exact(FRAME)
            .map(|f| format!("{:.1e}", residual(f)))
            .collect();
        let step = largest_step(pcm);
        assert!(
            f64::from(step) <= MAX_STEP_RATIO * f64::from(steady_step),
            "{who} {change}: a step of {step} (steady {steady_step})"
        );
        let (at, quietest) = pcm
            .windows(WINDOW)
            .map(rms)
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        println!(
            "{who} {change}: residuals from frame {}: {residuals:?} (steady {steady_residual:.1e}); \
             largest step {step} (steady {steady_step}); quietest 5 ms RMS {quietest:.0} \
             (steady {steady_rms:.0})",
            first / FRAME + FIRST
        );
        assert!(
            quietest >= MIN_RMS_RATIO * steady_rms,
            "{who} {change}: RMS {quietest:.0} at sample {} (steady {steady_rms:.0})",
            first + at + FIRST * FRAME
        );
    }
}

/// The two legs of a bridge whose rate changes.
const A: LegId = LegId(11);
const B: LegId = LegId(12);
/// The tone heard long before a change of rates.
const GHOST: f64 = 3000.0;
/// The most of [`GHOST`] allowed in the frame after the change: its level where nothing of it
/// is left (a fresh G.722 stream's onset, the tone's own spectrum) is far below, a primed
/// filter's ghost of it far above.
const MAX_GHOST: f64 = 150.0;

/// A PCMU–PCMU bridge of [`A`] and [`B`], and a PCMU listener on A.
fn pcmu_bridge(start: Instant) -> (Worker, Listener) {
    let mut worker = worker_at(start, 9, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    (worker, Listener::new(A, Codec::Pcmu))
}

/// Runs `ticks` ticks with `peer` (B) sending a packet before each; returns what A heard of
/// the last.
fn run(worker: &mut Worker, peer: &mut TonePeer, a: &mut Listener, ticks: usize) -> Vec<i16> {
    run_losing(worker, peer, a, ticks, None)
}

/// [`run`], but the packet before the tick of index `lost`, if any, is lost.
fn run_losing(
    worker: &mut Worker,
    peer: &mut TonePeer,
    a: &mut Listener,
    ticks: usize,
    lost: Option<usize>,
) -> Vec<i16> {
    for i in 0..ticks {
        if Some(i) == lost {
            peer.next_packet();
        } else {
            peer.send(worker, LEAD);
        }
        a.take(&tick(worker));
    }
    a.heard[a.heard.len() - FRAME..].to_vec()
}

/// B re-INVITEs to G.722 at `now`: the pair's rate goes to 16 kHz. Returns B's new peer.
fn b_moves_to_g722(worker: &mut Worker, now: Instant) -> TonePeer {
    worker.update_leg(now, B, params(Codec::G722, 5000 + B.0 as u16));
    TonePeer::new(B, Codec::G722, TONE)
}

#[test]
fn a_relayed_listener_s_conversion_goes_on_from_what_it_was_relayed() {
    let start = Instant::now();
    let (mut worker, mut a) = pcmu_bridge(start);
    let mut peer = TonePeer::new(B, Codec::Pcmu, GHOST);
    // The lost packet's concealment is encoded for A; the frames after it are relayed.
    let before = run_losing(&mut worker, &mut peer, &mut a, 25, Some(15));
    assert!(
        goertzel(&before, GHOST, 8000.0) > 4000.0,
        "A heard the tone"
    );
    peer.freq = TONE;
    run(&mut worker, &mut peer, &mut a, 100);
    let mut peer = b_moves_to_g722(&mut worker, start + 125 * TICK);
    let after = run(&mut worker, &mut peer, &mut a, 1);
    let ghost = goertzel(&after, GHOST, 8000.0);
    assert!(ghost < MAX_GHOST, "A hears {ghost} of {GHOST} Hz");
}

#[test]
fn a_listener_sent_silence_goes_on_from_silence() {
    let start = Instant::now();
    let (mut worker, mut a) = pcmu_bridge(start);
    let mut peer = TonePeer::new(B, Codec::Pcmu, GHOST);
    run(&mut worker, &mut peer, &mut a, 25);
    // A is sent the silence encoded once for every listener of its codec.
    worker.set_muted(B, true);
    run(&mut worker, &mut peer, &mut a, 10);
    let mut peer = b_moves_to_g722(&mut worker, start + 35 * TICK);
    let after = run(&mut worker, &mut peer, &mut a, 1);
    let ghost = goertzel(&after, GHOST, 8000.0);
    assert!(ghost < MAX_GHOST, "A hears {ghost} of {GHOST} Hz");
}

#[test]
fn a_listener_back_from_hold_hears_nothing_of_what_it_heard_before() {
    let start = Instant::now();
    let (mut worker, mut a) = pcmu_bridge(start);
    let mut peer = TonePeer::new(B, Codec::Pcmu, GHOST);
    run(&mut worker, &mut peer, &mut a, 25);
    let mut held = params(Codec::Pcmu, 5000 + A.0 as u16);
    held.direction = MediaDirection::RecvOnly;
    worker.update_leg(start + 25 * TICK, A, held);
    peer.freq = TONE;
    run(&mut worker, &mut peer, &mut a, 10);
    // The pair's rate changes while nothing is encoded for A.
    let mut peer = b_moves_to_g722(&mut worker, start + 35 * TICK);
    run(&mut worker, &mut peer, &mut a, 10);
    worker.update_leg(start + 45 * TICK, A, params(Codec::Pcmu, 5000 + A.0 as u16));
    let after = run(&mut worker, &mut peer, &mut a, 1);
    let ghost = goertzel(&after, GHOST, 8000.0);
    assert!(ghost < MAX_GHOST, "A hears {ghost} of {GHOST} Hz");
}

#[test]
fn a_prompt_starts_from_silence_not_from_the_end_of_the_last() {
    let start = Instant::now();
    let mut worker = worker_at(start, 9, &[(A, Codec::Pcmu), (B, Codec::G722)]);
    let mut a = Listener::new(A, Codec::Pcmu);
    let prompt = |freq| vec![Arc::new(Prompt::from_pcm(tone(freq, 6000.0, 0, 8000)))];
    worker.play(A, prompt(GHOST), true, PlayId(1));
    for _ in 0..10 {
        a.take(&tick(&mut worker));
    }
    let before = &a.heard[a.heard.len() - FRAME..];
    assert!(
        goertzel(before, GHOST, 8000.0) > 4000.0,
        "A heard the prompt"
    );
    worker.stop_playback(A);
    for _ in 0..5 {
        a.take(&tick(&mut worker));
    }
    // A's prompts now go to 16 kHz, while none plays.
    worker.bridge(A, B);
    for _ in 0..5 {
        a.take(&tick(&mut worker));
    }
    worker.play(A, prompt(TONE), false, PlayId(1));
    a.take(&tick(&mut worker));
    let after = &a.heard[a.heard.len() - FRAME..];
    let ghost = goertzel(after, GHOST, 8000.0);
    assert!(ghost < MAX_GHOST, "A hears {ghost} of {GHOST} Hz");
}
