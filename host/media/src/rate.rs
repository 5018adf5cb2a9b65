//! Streaming sample-rate conversion by whole factors (8 ↔ 16 ↔ 48 kHz), for each leg between
//! its codec's audio rate and its room's rate.
//!
//! A Kaiser-windowed sinc low-pass at the higher rate does both jobs: after zero-stuffing it
//! removes the images (upsampling), before decimation it removes what would alias
//! (downsampling). Its passband ends at 42.5 % of the lower rate and its stopband starts at the
//! lower rate's Nyquist frequency with at least 70 dB of attenuation, so nothing folds back above
//! −70 dB and a tone in the passband comes through unchanged.

use std::f64::consts::PI;
use std::sync::{Arc, Mutex};

/// Filter taps per output phase: with a transition band of 7.5 % of the lower rate, Kaiser's
/// estimate for 70 dB is 57.6 taps per unit of the factor (Oppenheim & Schafer, eq. 7.63).
const TAPS_PER_PHASE: usize = 58;
/// Stopband attenuation the window is shaped for, in dB.
const ATTENUATION_DB: f64 = 70.0;
/// The cutoff (−6 dB) of the filter, as a fraction of the lower rate: midway between the
/// passband edge (0.425) and Nyquist (0.5).
const CUTOFF: f64 = 0.4625;

/// Converts one stream of 16-bit samples from one rate to another whose ratio is a whole
/// number, keeping the filter history from call to call (no click at frame edges), and moving to
/// other rates without a gap or a click (see [`retarget`](Self::retarget)).
#[derive(Clone, Debug)]
pub(crate) struct RateConverter {
    from: u32,
    to: u32,
    factor: usize,
    up: bool,
    // The low-pass, at the higher rate (`TAPS_PER_PHASE * factor` taps), laid out so that each
    // output is one dot product with the history, oldest sample first: reversed, and when
    // upsampling split into `factor` phases of `TAPS_PER_PHASE` taps each. Designed once per
    // (factor, direction) and shared by every converter of that kind.
    taps: Arc<[f32]>,
    // The last inputs (newest last): `TAPS_PER_PHASE` at the lower rate when upsampling, the
    // whole filter length at the higher rate when downsampling, followed by the current input.
    history: Vec<f32>,
    // The last inputs (newest last), `record_len(from)` of them (7.25 ms): enough to fill the
    // history of any converter that takes over from this one.
    record: Vec<i16>,
    // The conversion before the rates last changed, until the next output has been spliced
    // from what it would have made of it.
    previous: Option<Box<RateConverter>>,
}

/// The lowest rate converted from or to.
const LOWEST_RATE: u32 = 8000;
/// The input a converter keeps to prime the one that replaces it: `TAPS_PER_PHASE` samples at
/// [`LOWEST_RATE`] (7.25 ms), the longest history of any converter.
fn record_len(rate: u32) -> usize {
    TAPS_PER_PHASE * rate as usize / LOWEST_RATE as usize
}

/// The cross-fade from the old conversion to the new one when the rates change lasts one
/// `SPLICES_PER_SECOND`-th of a second: 2.5 ms. A new filter delays the stream by another amount than the old one (up
/// to 7.25 ms more or less), so cutting from one to the other steps back or forward in time,
/// a click; fading removes the step, and the two copies a few ms apart, which filter each other
/// like a comb while they overlap, are heard together only this long.
const SPLICES_PER_SECOND: u32 = 400;

impl RateConverter {
    /// Takes `other`'s state (a converter between the same rates): its filter history, its last
    /// inputs and any change of rates it is fading, so that it goes on exactly where `other` is.
    pub(crate) fn copy_state_from(&mut self, other: &RateConverter) {
        if self.history.len() == other.history.len() {
            self.history.copy_from_slice(&other.history);
            self.record.copy_from_slice(&other.record);
            self.previous.clone_from(&other.previous);
        }
    }

    /// Forgets the inputs so far, as a new converter would: for a stream that starts again
    /// after a break.
    pub(crate) fn reset(&mut self) {
        self.history.fill(0.0);
        self.record.fill(0);
        self.previous = None;
    }

    /// A converter from `from` Hz to `to` Hz.
    ///
    /// # Panics
    /// If neither rate is a whole multiple of the other.
    pub(crate) fn new(from: u32, to: u32) -> Self {
        let (low, high) = (from.min(to), from.max(to));
        assert!(
            low > 0 && high % low == 0,
            "no whole-factor conversion from {from} Hz to {to} Hz"
        );
        let factor = (high / low) as usize;
        let up = to > from;
        let taps = shared_taps(factor, up);
        let kept = if up { TAPS_PER_PHASE } else { taps.len() };
        RateConverter {
            from,
            to,
            factor,
            up,
            taps,
            history: vec![0.0; kept],
            record: vec![0; record_len(from)],
            previous: None,
        }
    }

    /// Converts from `from` Hz to `to` Hz (rates as for [`new`](Self::new)) from the next call
    /// of [`process`](Self::process) on, going on from the stream so far without a gap or a
    /// click: the new filter starts full of the last inputs (brought to `from` Hz), and the
    /// next output fades from what the old conversion makes of it to what the new one makes.
    pub(crate) fn retarget(&mut self, from: u32, to: u32) {
        if (from, to) == (self.from, self.to) {
            return;
        }
        let mut next = RateConverter::new(from, to);
        resample_coarsely(&self.record, &mut next.record);
        next.prime();
        let mut replaced = std::mem::replace(self, next);
        // Rates changed twice before an output: the fade starts from the conversion last heard.
        self.previous = Some(
            replaced
                .previous
                .take()
                .unwrap_or_else(|| Box::new(replaced)),
        );
    }

    // Fills the history from the record, as if the record had just been converted.
    fn prime(&mut self) {
        let record = self.record.clone();
        // A whole number of `factor` samples when downsampling.
        let len = self.input_len(self.output_len(record.len()));
        let mut discarded = vec![0; self.output_len(len)];
        self.convert(&record[record.len() - len..], &mut discarded);
    }

    /// Samples out for `input` samples in (the output rate's share of them).
    pub(crate) fn output_len(&self, input: usize) -> usize {
        if self.up {
            input * self.factor
        } else {
            input / self.factor
        }
    }

    /// Samples in for `output` samples out (`output` a whole number of `factor` samples when
    /// upsampling).
    pub(crate) fn input_len(&self, output: usize) -> usize {
        if self.up {
            output / self.factor
        } else {
            output * self.factor
        }
    }

    /// Whether the rates are the same and no change of rates is being faded: samples pass
    /// unchanged, and only the record of the last inputs is kept.
    pub(crate) fn is_identity(&self) -> bool {
        self.factor == 1 && self.previous.is_none()
    }

    /// Notes `input` as converted without converting it (another stream's conversion of the
    /// same input was used), so that a later [`retarget`](Self::retarget) goes on from it.
    pub(crate) fn skip(&mut self, input: &[i16]) {
        let len = self.record.len();
        let kept = len.saturating_sub(input.len());
        self.record.copy_within(len - kept.., 0);
        self.record[kept..].copy_from_slice(&input[input.len() - (len - kept)..]);
    }

    /// Converts `input` into `output`, which must hold [`output_len`](Self::output_len) samples;
    /// when downsampling, `input` must be a whole number of `factor` samples.
    pub(crate) fn process(&mut self, input: &[i16], output: &mut [i16]) {
        self.convert(input, output);
        // Nothing out yet (a tick with nothing heard): the fade is owed to the first output.
        if input.is_empty() {
            return;
        }
        if let Some(mut previous) = self.previous.take() {
            previous.splice(input, self.from, output, self.to);
        }
    }

    // Fades the first 1/`SPLICES_PER_SECOND` s of `output` (at `to` Hz, converted from `input` at
    // `from` Hz by the conversion that replaced this one) in from what this one makes of
    // `input`, both brought coarsely to its rates: only for these few ms, and ever less heard.
    fn splice(&mut self, input: &[i16], from: u32, output: &mut [i16], to: u32) {
        let mut own_input = vec![0; input.len() * self.from as usize / from as usize];
        resample_coarsely(input, &mut own_input);
        let mut own_output = vec![0; self.output_len(own_input.len())];
        self.convert(&own_input, &mut own_output);
        let mut continued = vec![0; output.len()];
        resample_coarsely(&own_output, &mut continued);
        let len = (to / SPLICES_PER_SECOND) as usize;
        for (i, (out, &old)) in output.iter_mut().zip(&continued).take(len).enumerate() {
            // A raised cosine: from 0 to 1 with no step in the slope at either end.
            let new = 0.5 - 0.5 * (PI * (i as f64 + 0.5) / len as f64).cos();
            let faded = f64::from(*out) * new + f64::from(old) * (1.0 - new);
            *out = faded.round() as i16;
        }
    }

    // Converts `input` into `output`, keeping the history and the record.
    fn convert(&mut self, input: &[i16], output: &mut [i16]) {
        debug_assert_eq!(output.len(), self.output_len(input.len()));
        self.skip(input);
        if self.factor == 1 {
            output.copy_from_slice(input);
            return;
        }
        let kept = self.history.len();
        self.history.extend(input.iter().map(|&s| f32::from(s)));
        let factor = self.factor;
        if self.up {
            // Output sample `m·factor + p` sums input `m − j` times tap `p + j·factor`; the
            // zero-stuffed samples between contribute nothing. The gain of `factor` restores the
            // level the zeros took away.
            for (m, chunk) in output.chunks_exact_mut(factor).enumerate() {
                let window = &self.history[m + 1..=kept + m];
                for (phase, out) in self.taps.chunks_exact(TAPS_PER_PHASE).zip(chunk) {
                    *out = saturate(dot(phase, window) * factor as f32);
                }
            }
        } else {
            let len = self.taps.len();
            for (m, out) in output.iter_mut().enumerate() {
                let newest = kept + (m + 1) * factor - 1;
                let window = &self.history[newest + 1 - len..=newest];
                *out = saturate(dot(&self.taps, window));
            }
        }
        self.history.drain(..self.history.len() - kept);
    }
}

// Brings `input` to the rate of `output` (as many samples in the same time) cheaply: by linear
// interpolation, holding the last sample, to a higher rate; by taking every n-th sample to a
// lower one. Good enough to fill a filter's history, or for a few ms under a fade.
fn resample_coarsely(input: &[i16], output: &mut [i16]) {
    if output.len() >= input.len() {
        let factor = output.len() / input.len().max(1);
        for (i, out) in output.iter_mut().enumerate() {
            let (at, part) = (i / factor, (i % factor) as f32 / factor as f32);
            let (a, b) = (input[at], input[(at + 1).min(input.len() - 1)]);
            *out = (f32::from(a) + (f32::from(b) - f32::from(a)) * part).round() as i16;
        }
    } else {
        let factor = input.len() / output.len();
        for (out, &x) in output.iter_mut().zip(input.iter().step_by(factor)) {
            *out = x;
        }
    }
}

// The dot product of two slices of one length, in eight lanes so that it vectorizes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a8, a_rest) = a.as_chunks::<8>();
    let (b8, b_rest) = b.as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for (x, y) in a8.iter().zip(b8) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

fn saturate(x: f32) -> i16 {
    x.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

// The taps of a converter by `factor`, up or down, laid out as `RateConverter::taps` says:
// designed the first time they are asked for, then shared. The rates are 8, 16 and 48 kHz, so
// the cache holds at most six filters.
fn shared_taps(factor: usize, up: bool) -> Arc<[f32]> {
    /// A filter's key: the factor, and whether it converts up.
    type Kind = (usize, bool);
    static DESIGNED: Mutex<Vec<(Kind, Arc<[f32]>)>> = Mutex::new(Vec::new());
    let mut designed = DESIGNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, taps)) = designed.iter().find(|(key, _)| *key == (factor, up)) {
        return taps.clone();
    }
    let taps: Arc<[f32]> = match factor {
        1 => Arc::from([]),
        _ if up => {
            let taps = low_pass(factor);
            (0..factor)
                .flat_map(|p| (0..TAPS_PER_PHASE).rev().map(move |j| p + j * factor))
                .map(|i| taps[i])
                .collect()
        }
        _ => low_pass(factor).into_iter().rev().collect(),
    };
    designed.push(((factor, up), taps.clone()));
    taps
}

// The Kaiser-windowed sinc low-pass at `factor` times the lower rate, unity DC gain.
fn low_pass(factor: usize) -> Vec<f32> {
    let len = TAPS_PER_PHASE * factor;
    let centre = (len - 1) as f64 / 2.0;
    let fc = CUTOFF / factor as f64;
    let beta = 0.1102 * (ATTENUATION_DB - 8.7);
    let taps: Vec<f64> = (0..len)
        .map(|i| {
            let x = i as f64 - centre;
            let sinc = if x == 0.0 {
                2.0 * fc
            } else {
                (2.0 * PI * fc * x).sin() / (PI * x)
            };
            let r = x / centre;
            sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(beta)
        })
        .collect();
    let gain: f64 = taps.iter().sum();
    taps.iter().map(|t| (t / gain) as f32).collect()
}

// The zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..50 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| (10_000.0 * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as i16)
            .collect()
    }

    // Amplitude of `freq` in `pcm` at `rate` (Goertzel, normalised to the sine's amplitude).
    fn level(pcm: &[i16], freq: f64, rate: u32) -> f64 {
        let coeff = 2.0 * (2.0 * PI * freq / f64::from(rate)).cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in pcm {
            let s = f64::from(x) + coeff * s1 - s2;
            (s2, s1) = (s1, s);
        }
        2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0).sqrt() / pcm.len() as f64
    }

    // Converts `input` frame by frame (20 ms at `from`), as a leg does.
    fn convert(input: &[i16], from: u32, to: u32) -> Vec<i16> {
        let mut converter = RateConverter::new(from, to);
        let mut out = Vec::new();
        for frame in input.chunks(from as usize / 50) {
            let mut converted = vec![0; converter.output_len(frame.len())];
            converter.process(frame, &mut converted);
            out.extend(converted);
        }
        out
    }

    #[test]
    fn converters_of_one_kind_share_their_filter() {
        let a = RateConverter::new(8000, 48000);
        let b = RateConverter::new(8000, 48000);
        assert!(Arc::ptr_eq(&a.taps, &b.taps));
        assert_eq!(a.taps.len(), TAPS_PER_PHASE * 6);
        let down = RateConverter::new(48000, 8000);
        assert!(
            !Arc::ptr_eq(&a.taps, &down.taps),
            "down and up are laid out apart"
        );
    }

    #[test]
    fn tones_pass_at_their_level_across_frames() {
        for (from, to, freq) in [
            (8000, 16_000, 1000.0),
            (16_000, 8000, 3000.0),
            (8000, 48_000, 440.0),
            (48_000, 8000, 3300.0),
            (16_000, 48_000, 6000.0),
            (48_000, 16_000, 6000.0),
        ] {
            let out = convert(&tone(freq, from, from as usize), from, to);
            // Past the filter's delay, in whole cycles' worth of samples.
            let settled = &out[out.len() / 2..];
            let got = level(settled, freq, to);
            assert!((9700.0..10_300.0).contains(&got), "{from}→{to}: {got}");
            // No other tone: the whole signal has the power of the one sine.
            let power =
                settled.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / settled.len() as f64;
            let tone_power = got * got / 2.0;
            assert!(power < tone_power * 1.01, "{from}→{to}: extra power");
        }
    }

    // The largest step between consecutive samples of `pcm`.
    fn largest_step(pcm: &[i16]) -> i32 {
        pcm.windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap()
    }

    #[test]
    fn a_change_of_rates_leaves_neither_a_gap_nor_a_step() {
        // The output's rate changes (a decoder's or a prompt's conversion to its room), or the
        // input's (an encoder's from its room): 200 ms at each rate of `rates` in turn.
        for (input_changes, rates) in [(false, [8000, 48_000, 8000]), (true, [8000, 16_000, 8000])]
        {
            let mut converter = RateConverter::new(8000, 8000);
            let mut parts: Vec<(u32, Vec<i16>)> = Vec::new();
            for (i, rate) in rates.into_iter().enumerate() {
                let (from, to) = if input_changes {
                    (rate, 8000)
                } else {
                    (8000, rate)
                };
                converter.retarget(from, to);
                let fifth = from as usize / 5;
                let input = &tone(440.0, from, (i + 1) * fifth)[i * fifth..];
                let mut part = vec![0; converter.output_len(input.len())];
                let out_frame = part.len() / 10;
                for (frame, out) in input.chunks(fifth / 10).zip(part.chunks_mut(out_frame)) {
                    converter.process(frame, out);
                }
                parts.push((to, part));
            }
            // The last 100 ms of a part are steady; the first 40 ms of the next are checked.
            let steady = |(rate, part): &(u32, Vec<i16>)| {
                let settled = &part[part.len() / 2..];
                let rms = settled.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
                (
                    largest_step(settled),
                    (rms / settled.len() as f64).sqrt(),
                    *rate,
                )
            };
            for pair in parts.windows(2) {
                let ((before_step, _, _), (after_step, after_rms, rate)) =
                    (steady(&pair[0]), steady(&pair[1]));
                let start = &pair[1].1[..rate as usize / 25];
                let edge = [*pair[0].1.last().unwrap(), start[0]];
                let step = largest_step(start).max(largest_step(&edge));
                let limit = 1.5 * f64::from(before_step.max(after_step));
                assert!(
                    f64::from(step) <= limit,
                    "to {rate}: step {step} over {limit}"
                );
                let quietest = start
                    .windows(rate as usize / 200)
                    .map(|w| {
                        (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64)
                            .sqrt()
                    })
                    .fold(f64::MAX, f64::min);
                assert!(
                    quietest >= 0.5 * after_rms,
                    "to {rate}: RMS {quietest} in 5 ms"
                );
            }
        }
    }

    #[test]
    fn a_change_of_rates_fades_the_first_output_even_after_an_empty_one() {
        let input = tone(440.0, 8000, 1600);
        let (before, after) = input.split_at(800);
        let converted = |empty_first: bool| {
            let mut converter = RateConverter::new(8000, 8000);
            let mut out = vec![0; before.len()];
            converter.process(before, &mut out);
            converter.retarget(8000, 48_000);
            if empty_first {
                converter.process(&[], &mut []);
            }
            let mut out = vec![0; converter.output_len(after.len())];
            converter.process(after, &mut out);
            out
        };
        assert_eq!(converted(true), converted(false));
    }

    #[test]
    fn what_would_alias_is_removed() {
        // 5 kHz and 11 kHz cannot be represented at 8 kHz: nothing of them may fold down (to 3
        // and 3 kHz) above −50 dB relative to their level.
        for (from, freq, folded) in [(16_000, 5000.0, 3000.0), (48_000, 11_000.0, 3000.0)] {
            let out = convert(&tone(freq, from, from as usize), from, 8000);
            let got = level(&out[out.len() / 2..], folded, 8000);
            assert!(got < 10_000.0 * 10f64.powf(-50.0 / 20.0), "{from}: {got}");
        }
        // An 8 kHz tone at 3.9 kHz upsampled leaves no image at 4.1 kHz.
        let out = convert(&tone(3900.0, 8000, 8000), 8000, 48_000);
        let image = level(&out[out.len() / 2..], 4100.0, 48_000);
        assert!(image < 10_000.0 * 10f64.powf(-50.0 / 20.0), "image {image}");
    }
}
