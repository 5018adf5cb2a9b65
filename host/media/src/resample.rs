//! Sample-rate conversion of mono audio to the prompt rate, for prompts.

use std::f64::consts::PI;

use dasp::interpolate::sinc::Sinc;
use dasp::{Sample, Signal, ring_buffer, signal};

use crate::PROMPT_RATE;

// Sinc interpolation depth in source frames each side (ring buffer holds twice this).
const SINC_DEPTH: usize = 16;
// Anti-alias corner below the room's Nyquist frequency (4 kHz at 8 kHz), with room for the
// filter's transition band.
const CUTOFF_HZ: f64 = 3600.0;

/// Converts mono samples in [-1, 1] at `rate` Hz (not 0; the filter below has `rate / 250`
/// taps) to 16-bit PCM at [`PROMPT_RATE`], saturating.
///
/// dasp's sinc interpolator reconstructs the signal at the source rate and does not band-limit
/// it to the target rate, so when downsampling a windowed-sinc low-pass runs first; without it a
/// 6 kHz component of a 44.1 kHz prompt would fold down to 2 kHz.
pub(crate) fn to_room_rate(mono: &[f64], rate: u32) -> Vec<i16> {
    if rate == PROMPT_RATE {
        return mono.iter().map(|s| s.to_sample::<i16>()).collect();
    }
    if rate > PROMPT_RATE {
        interpolate(low_pass(mono, rate), mono.len(), rate)
    } else {
        interpolate(mono.iter().copied(), mono.len(), rate)
    }
}

/// The `len` samples of `source` at `rate` Hz, sinc-interpolated at [`PROMPT_RATE`].
fn interpolate(source: impl Iterator<Item = f64>, len: usize, rate: u32) -> Vec<i16> {
    let out_len = (len as u64 * u64::from(PROMPT_RATE)).div_ceil(u64::from(rate)) as usize;
    let sinc = Sinc::new(ring_buffer::Fixed::from([0.0f64; 2 * SINC_DEPTH]));
    // The interpolator's ring buffer delays the signal by SINC_DEPTH − 1 source frames (measured
    // in the test below): drop that much from the start and read as much further at the end.
    let lead = (SINC_DEPTH - 1) as f64 * f64::from(PROMPT_RATE) / f64::from(rate);
    let mut converted = signal::from_iter(source)
        .from_hz_to_hz(sinc, f64::from(rate), f64::from(PROMPT_RATE))
        .take(out_len + lead.ceil() as usize + 1);
    (&mut converted).take(lead.round() as usize).for_each(drop);
    converted
        .take(out_len)
        .map(|s| s.to_sample::<i16>())
        .collect()
}

// Blackman-windowed sinc low-pass at CUTOFF_HZ, zero-phase (centred taps), as many samples as
// the input, computed as they are read so that no second copy of a long prompt is held.
fn low_pass(input: &[f64], rate: u32) -> impl Iterator<Item = f64> + '_ {
    let half = (rate / 500) as usize;
    let fc = CUTOFF_HZ / f64::from(rate);
    let len = 2 * half + 1;
    let mut taps: Vec<f64> = (0..len)
        .map(|i| {
            let x = i as f64 - half as f64;
            let sinc = if x == 0.0 {
                2.0 * fc
            } else {
                (2.0 * PI * fc * x).sin() / (PI * x)
            };
            let phase = 2.0 * PI * i as f64 / (len - 1) as f64;
            sinc * (0.42 - 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos())
        })
        .collect();
    let gain: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= gain);
    (0..input.len()).map(move |n| {
        let lo = n.saturating_sub(half);
        let hi = (n + half + 1).min(input.len());
        (lo..hi).map(|k| input[k] * taps[k + half - n]).sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(samples: &[i16]) -> usize {
        (0..samples.len())
            .max_by_key(|&i| samples[i].abs())
            .unwrap()
    }

    #[test]
    fn keeps_length_and_timing() {
        for rate in [4000, 8000, 11_025, 16_000, 22_050, 44_100, 48_000] {
            // A click half a second in, slightly smeared so every rate can represent it.
            let n = rate as usize;
            let mono: Vec<f64> = (0..n)
                .map(|i| {
                    let t = (i as f64 - n as f64 / 2.0) / rate as f64 * 2000.0;
                    0.8 * (-t * t).exp()
                })
                .collect();
            let out = to_room_rate(&mono, rate);
            assert_eq!(out.len(), 8000, "{rate} Hz");
            let at = peak(&out);
            assert!(at.abs_diff(4000) <= 1, "{rate} Hz: click at {at}");
        }
    }
}
