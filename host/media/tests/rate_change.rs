//! A room's mixing rate changes as wideband legs come and go: what its narrowband listeners hear
//! goes on without a click or a gap.
//!
//! Pass criteria, around each change (the frames from [`AROUND`] before to [`AROUND`] after it):
//! - the largest step between consecutive samples, frame edges included, is at most
//!   [`MAX_STEP_RATIO`] times the steady state's;
//! - no [`WINDOW`] of samples has an RMS below [`MIN_RMS_RATIO`] of the steady state's (no gap);
//! - the residual of the frames there (what is left besides the best-fitting tone) is reported.

mod common;

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{Codec, LegId, RoomId};

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
