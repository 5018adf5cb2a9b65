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
// Points of the low-pass's impulse response tabulated per input sample of distance, linearly
// interpolated between, which errs by at most 2e-5 of its peak (−94 dB): (2π·0.45)² / 8 / 256²
// at the highest cutoff, 0.45 of the rate, where the response curves most.
const TABLE_STEPS: usize = 256;

/// Converts mono samples in [-1, 1] at `rate` Hz (not 0) to 16-bit PCM at [`PROMPT_RATE`],
/// saturating.
///
/// Upsampling uses dasp's sinc interpolator. Downsampling needs a low-pass, which dasp's
/// interpolator, reconstructing the signal at the source rate, does not apply (a 6 kHz
/// component of a 44.1 kHz prompt would fold down to 2 kHz), so each output sample is a
/// windowed-sinc low-pass evaluated at its own instant in the input instead: `rate / 250`
/// multiply-adds per output sample, about 32 per input sample whatever the rate.
pub(crate) fn to_room_rate(mono: &[f32], rate: u32) -> Vec<i16> {
    if rate == PROMPT_RATE {
        return mono.iter().map(|s| s.to_sample::<i16>()).collect();
    }
    let out_len = (mono.len() as u64 * u64::from(PROMPT_RATE)).div_ceil(u64::from(rate)) as usize;
    if rate > PROMPT_RATE {
        low_pass_at_room_rate(mono, rate, out_len)
    } else {
        interpolate(mono.iter().map(|&s| f64::from(s)), out_len, rate)
    }
}

/// `out_len` samples at [`PROMPT_RATE`] sinc-interpolated from `source` at `rate` Hz.
fn interpolate(source: impl Iterator<Item = f64>, out_len: usize, rate: u32) -> Vec<i16> {
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

/// `out_len` samples at [`PROMPT_RATE`] of `input` at `rate` Hz (above it), each the
/// Blackman-windowed sinc low-pass at [`CUTOFF_HZ`] of `input` at that sample's instant:
/// zero-phase (centred taps), `rate / 250` taps, the input taken as silent beyond its ends.
fn low_pass_at_room_rate(input: &[f32], rate: u32, out_len: usize) -> Vec<i16> {
    let half = (rate / 500) as usize;
    let response = ImpulseResponse::new(rate, half);
    let mut weights = vec![0.0; 2 * half + 1];
    (0..out_len)
        .map(|j| {
            // Exactly where the output sample falls in the input: `frac` past sample `at`, which
            // `out_len` keeps within the input.
            let position = j as u64 * u64::from(rate);
            let at = (position / u64::from(PROMPT_RATE)) as usize;
            let frac = (position % u64::from(PROMPT_RATE)) as f64 / f64::from(PROMPT_RATE);
            response.centre(frac, &mut weights);
            let (lo, hi) = (at.saturating_sub(half), input.len().min(at + half + 1));
            dot(&input[lo..hi], &weights[lo + half - at..hi + half - at]).to_sample::<i16>()
        })
        .collect()
}

/// The low-pass's impulse response, tabulated: row `s` of [`TABLE_STEPS`] + 1 holds it at the
/// distances `k + s / TABLE_STEPS` input samples from its centre, `k` from 0 to `half`.
struct ImpulseResponse {
    rows: Vec<Vec<f64>>,
}

impl ImpulseResponse {
    /// The response cut off at [`CUTOFF_HZ`] of `rate`, in a Blackman window `half` input
    /// samples wide each side, normalised so that its values at whole samples add up to 1 (a
    /// gain of 1 at 0 Hz).
    fn new(rate: u32, half: usize) -> ImpulseResponse {
        let fc = CUTOFF_HZ / f64::from(rate);
        let width = half as f64;
        let exact = |d: f64| {
            if d >= width {
                return 0.0;
            }
            let sinc = if d == 0.0 {
                2.0 * fc
            } else {
                (2.0 * PI * fc * d).sin() / (PI * d)
            };
            let phase = PI * d / width;
            sinc * (0.42 + 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos())
        };
        let gain = exact(0.0) + 2.0 * (1..half).map(|k| exact(k as f64)).sum::<f64>();
        let rows = (0..=TABLE_STEPS)
            .map(|s| {
                let step = s as f64 / TABLE_STEPS as f64;
                (0..=half).map(|k| exact(k as f64 + step) / gain).collect()
            })
            .collect();
        ImpulseResponse { rows }
    }

    /// Fills `weights` (`2 * half + 1` of them) with the response centred `frac` (0 to 1) past
    /// the middle one: the weight of each input sample around the instant of an output sample.
    fn centre(&self, frac: f64, weights: &mut [f64]) {
        let half = weights.len() / 2;
        let (earlier, later) = weights.split_at_mut(half + 1);
        for (weight, response) in earlier.iter_mut().rev().zip(self.at(frac)) {
            *weight = response;
        }
        for (weight, response) in later.iter_mut().zip(self.at(1.0 - frac)) {
            *weight = response;
        }
    }

    /// The response at `d`, `d + 1`, `d + 2`… input samples from its centre (`d` from 0 to 1),
    /// interpolated linearly between the rows around `d`.
    fn at(&self, d: f64) -> impl Iterator<Item = f64> + '_ {
        let x = d * TABLE_STEPS as f64;
        let s = (x as usize).min(TABLE_STEPS - 1);
        let t = x - s as f64;
        let (below, above) = (&self.rows[s], &self.rows[s + 1]);
        below.iter().zip(above).map(move |(b, a)| b + (a - b) * t)
    }
}

/// The sum of the products of `samples` and `weights`, as many, in four running sums the
/// processor can add to side by side.
fn dot(samples: &[f32], weights: &[f64]) -> f64 {
    let mut sums = [0.0; 4];
    let (samples4, weights4) = (samples.chunks_exact(4), weights.chunks_exact(4));
    let rest: f64 = samples4
        .remainder()
        .iter()
        .zip(weights4.remainder())
        .map(|(&s, &w)| f64::from(s) * w)
        .sum();
    for (samples, weights) in samples4.zip(weights4) {
        for ((sum, &s), &w) in sums.iter_mut().zip(samples).zip(weights) {
            *sum += f64::from(s) * w;
        }
    }
    sums.iter().sum::<f64>() + rest
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
        for rate in [
            4000, 8000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000,
        ] {
            // A click half a second in, slightly smeared so every rate can represent it.
            let n = rate as usize;
            let mono: Vec<f32> = (0..n)
                .map(|i| {
                    let t = (i as f64 - n as f64 / 2.0) / rate as f64 * 2000.0;
                    (0.8 * (-t * t).exp()) as f32
                })
                .collect();
            let out = to_room_rate(&mono, rate);
            assert_eq!(out.len(), 8000, "{rate} Hz");
            let at = peak(&out);
            assert!(at.abs_diff(4000) <= 1, "{rate} Hz: click at {at}");
        }
    }

    /// One second at `rate` Hz of a `freq` Hz tone at half of full scale.
    fn tone(rate: u32, freq: f64) -> Vec<f32> {
        (0..rate)
            .map(|i| (0.5 * (2.0 * PI * freq * f64::from(i) / f64::from(rate)).sin()) as f32)
            .collect()
    }

    /// The amplitude of the `freq` Hz tone in `samples` at [`PROMPT_RATE`] (a whole number of
    /// its periods long), and the RMS of what is left once it is taken away.
    fn tone_and_rest(samples: &[i16], freq: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / f64::from(PROMPT_RATE);
        let n = samples.len() as f64;
        let at = |i: usize| f64::from(samples[i]);
        let sin = 2.0 / n
            * (0..samples.len())
                .map(|i| at(i) * (w * i as f64).sin())
                .sum::<f64>();
        let cos = 2.0 / n
            * (0..samples.len())
                .map(|i| at(i) * (w * i as f64).cos())
                .sum::<f64>();
        let rest = (0..samples.len())
            .map(|i| at(i) - sin * (w * i as f64).sin() - cos * (w * i as f64).cos())
            .map(|r| r * r)
            .sum::<f64>();
        (sin.hypot(cos), (rest / n).sqrt())
    }

    #[test]
    fn downsampling_keeps_a_tone_clean_and_folds_nothing_down() {
        // −50 dB of the tones' amplitude.
        let faint = 16_384.0 * 10f64.powf(-50.0 / 20.0);
        for rate in [11_025, 16_000, 44_100, 48_000, 96_000, 192_000] {
            // The filter's edges left out, 900 periods of 1 kHz.
            let middle = 400..7600;
            let out = to_room_rate(&tone(rate, 1000.0), rate);
            let (amplitude, rest) = tone_and_rest(&out[middle.clone()], 1000.0);
            assert!(
                (amplitude - 16_384.0).abs() < 16_384.0 * 0.01,
                "{rate} Hz: {amplitude}"
            );
            assert!(
                rest < faint / 2f64.sqrt(),
                "{rate} Hz: {rest} beside the tone"
            );
            for freq in [5000.0, 7000.0, 9000.0, 15_000.0, 17_000.0, 47_000.0] {
                if freq < f64::from(rate) / 2.0 {
                    let out = to_room_rate(&tone(rate, freq), rate);
                    let loudest = out[middle.clone()].iter().map(|s| s.unsigned_abs()).max();
                    assert!(
                        loudest.is_some_and(|s| f64::from(s) < faint),
                        "{rate} Hz: {freq} Hz folded down to {loudest:?}"
                    );
                }
            }
        }
    }
}
