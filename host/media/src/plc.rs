//! Packet-loss concealment after ITU-T G.711 Appendix I: pitch-period waveform substitution
//! with overlap-add, on a buffer sized once for the stream's rate (no allocation after that).
//!
//! Appendix I states its settings for 8 kHz; here they are durations, so G.722's 16 kHz audio
//! gets the same concealment in twice the samples.
//!
//! - Every good sample goes into a 48.75 ms history.
//! - At the start of an erasure the pitch period P (5–15 ms) is the lag whose 20 ms window best
//!   matches the last 20 ms of history (normalised cross-correlation). The history, which no
//!   sample enters until the erasure ends, is the pitch buffer; its last P/4 samples are read
//!   overlap-added with those one period earlier, so the repeated period loops without a click.
//! - The erasure is filled by repeating the last period; from 10 ms on the last two periods,
//!   from 20 ms the last three (Appendix I: fewer repeats of one period sound less buzzy).
//! - From the second 10 ms the output fades linearly by 20 % per 10 ms, so it is silent from
//!   60 ms on.
//! - The first good samples after the erasure are overlap-added with the continued synthetic
//!   signal over P/4 plus 4 ms per further 10 ms erased, at most 10 ms.
//!
//! One departure: Appendix I delays its output by 3.75 ms so that it can overlap-add across the
//! last good samples before the erasure. Here the output is not delayed (it would add latency to
//! every G.711 leg and set decoded audio apart from payload relayed as is); the first repeated
//! sample follows the last good one, which is where the pitch search matched best.

/// Appendix I's erasure steps, in ms.
const STEP_MS: u32 = 10;
/// Shortest pitch period searched, in ms (200 Hz).
const PITCH_MIN_MS: u32 = 5;
/// Longest pitch period searched, in ms (66.7 Hz).
const PITCH_MAX_MS: u32 = 15;
/// The correlation window of the pitch search, in ms.
const CORR_MS: u32 = 20;
/// How much the closing overlap grows per further 10 ms erased, in ms.
const CLOSE_STEP_MS: u32 = 4;
/// The pitch search's energy floor per sample of its window (Appendix I's 250 over 160
/// samples), so near-silence does not yield a spurious match.
const CORR_MIN_MEAN_POWER: f32 = 250.0 / 160.0;
/// Most periods repeated: three, from 20 ms into the erasure.
const MAX_PERIODS: usize = 3;
/// Steps after which concealment is silence: 60 ms.
const SILENT_AFTER_STEPS: usize = 6;
/// The fade per step from the second on: 20 %, silent by the sixth's end.
const FADE_PER_STEP: f32 = 0.2;

/// Appendix I's settings in samples at one rate.
#[derive(Clone, Copy, Debug)]
struct Scale {
    step: usize,
    pitch_min: usize,
    pitch_max: usize,
    corr_len: usize,
    /// Samples of history kept: three longest periods plus an overlap (48.75 ms).
    history: usize,
    close_step: usize,
    /// The fade per sample from the second step on.
    fade_per_sample: f32,
}

impl Scale {
    fn at(rate: u32) -> Self {
        let samples = |ms: u32| (u64::from(rate) * u64::from(ms) / 1000) as usize;
        let (step, pitch_max) = (samples(STEP_MS), samples(PITCH_MAX_MS));
        Scale {
            step,
            pitch_min: samples(PITCH_MIN_MS),
            pitch_max,
            corr_len: samples(CORR_MS),
            // The longest loop overlap is a quarter of the longest period.
            history: 3 * pitch_max + pitch_max / 4,
            close_step: samples(CLOSE_STEP_MS),
            fade_per_sample: FADE_PER_STEP / step as f32,
        }
    }
}

/// Concealment state of one stream of decoded audio (G.711 at 8 kHz, G.722 at 16 kHz).
#[derive(Clone, Debug)]
pub(crate) struct Plc {
    scale: Scale,
    // The last `scale.history` good (or concealed-then-closed) samples, a ring whose oldest
    // sample is at `head` (recording a frame writes over the oldest, no shifting). During an
    // erasure it holds still, unrolled (`head` 0): it is the pitch buffer (see
    // `pitch_sample`).
    history: Vec<i16>,
    head: usize,
    pitch: usize,
    // Periods of the pitch buffer's end that repeat: 1 to `MAX_PERIODS`.
    periods: usize,
    // Position in the repeating span, the pitch buffer's `history - periods × pitch..`.
    pos: usize,
    // Samples concealed in the current erasure; 0 when there is none.
    erased: usize,
}

impl Plc {
    /// Concealment for a stream of `rate` Hz that has had no sample yet.
    pub(crate) fn new(rate: u32) -> Self {
        let scale = Scale::at(rate);
        Plc {
            scale,
            history: vec![0; scale.history],
            head: 0,
            pitch: scale.pitch_min,
            periods: 1,
            pos: 0,
            erased: 0,
        }
    }

    /// Takes decoded samples that arrived: records them as history and, right after an
    /// erasure, overlap-adds their start with the continued concealment (so `pcm` may change).
    pub(crate) fn good(&mut self, pcm: &mut [i16]) {
        if pcm.is_empty() {
            return;
        }
        if self.erased > 0 {
            let Scale {
                step, close_step, ..
            } = self.scale;
            let extra_steps = self.erased.div_ceil(step) - 1;
            let len = (self.pitch / 4 + extra_steps * close_step)
                .min(step)
                .min(pcm.len());
            for (i, sample) in pcm[..len].iter_mut().enumerate() {
                let synthetic = self.synthesize();
                let w = (i + 1) as f32 / (len + 1) as f32;
                *sample = to_i16(synthetic * (1.0 - w) + f32::from(*sample) * w);
            }
            self.erased = 0;
        }
        self.remember(pcm);
    }

    /// Fills `out` with concealment for missing samples, continuing any erasure in progress.
    /// Returns whether any of it is audible (the erasure is under 60 ms old).
    pub(crate) fn conceal(&mut self, out: &mut [i16]) -> bool {
        if out.is_empty() {
            return false;
        }
        if self.erased == 0 {
            self.begin_erasure();
        }
        let audible = self.erased < self.silent_after();
        for sample in out.iter_mut() {
            *sample = to_i16(self.synthesize());
        }
        // The concealment is not history: after the erasure, history is what came before it
        // plus what arrives, as Appendix I keeps it.
        audible
    }

    fn silent_after(&self) -> usize {
        SILENT_AFTER_STEPS * self.scale.step
    }

    fn remember(&mut self, pcm: &[i16]) {
        let len = self.history.len();
        let mut rest = &pcm[pcm.len() - pcm.len().min(len)..];
        while !rest.is_empty() {
            let take = (len - self.head).min(rest.len());
            self.history[self.head..self.head + take].copy_from_slice(&rest[..take]);
            self.head = (self.head + take) % len;
            rest = &rest[take..];
        }
    }

    fn begin_erasure(&mut self) {
        self.history.rotate_left(self.head);
        self.head = 0;
        self.pitch = find_pitch(&self.history, &self.scale);
        self.periods = 1;
        self.pos = 0;
    }

    // Sample `at` (oldest first) of the pitch buffer: the history as the erasure began, the
    // end of its last period blended into the samples one period before it, whose successor is
    // where each repetition starts again.
    fn pitch_sample(&self, at: usize) -> f32 {
        let sample = |at: usize| f32::from(self.history[at]);
        let overlap = self.pitch / 4;
        let Some(i) = at.checked_sub(self.history.len() - overlap) else {
            return sample(at);
        };
        let w = (i + 1) as f32 / (overlap + 1) as f32;
        // A period is at least 4 overlaps long, so `at - pitch` is never itself blended.
        sample(at) * (1.0 - w) + sample(at - self.pitch) * w
    }

    // The next concealment sample, faded; advances the erasure by one sample.
    fn synthesize(&mut self) -> f32 {
        if self.erased >= self.silent_after() {
            self.erased += 1;
            return 0.0;
        }
        let step = self.scale.step;
        if self.erased > 0 && self.erased.is_multiple_of(step) && self.periods < MAX_PERIODS {
            // One more period, taken from further back: the same sample plays next, the
            // repeating span now starts a period earlier.
            self.periods += 1;
            self.pos += self.pitch;
        }
        let span = self.periods * self.pitch;
        let sample = self.pitch_sample(self.history.len() - span + self.pos);
        self.pos = (self.pos + 1) % span;
        let gain = 1.0 - self.erased.saturating_sub(step) as f32 * self.scale.fade_per_sample;
        self.erased += 1;
        sample * gain.max(0.0)
    }
}

// The period in `pitch_min..=pitch_max` whose lagged window best matches the last `corr_len`
// samples of `history` (oldest first; normalised cross-correlation); the shortest of equal
// matches.
fn find_pitch(history: &[i16], scale: &Scale) -> usize {
    let end = history.len();
    let recent = &history[end - scale.corr_len..];
    let floor = CORR_MIN_MEAN_POWER * scale.corr_len as f32;
    let mut best = (scale.pitch_min, f32::MIN);
    for lag in scale.pitch_min..=scale.pitch_max {
        let start = end - scale.corr_len - lag;
        let candidate = &history[start..start + scale.corr_len];
        let (mut corr, mut energy) = (0.0f32, 0.0f32);
        for (&a, &b) in recent.iter().zip(candidate) {
            let (a, b) = (f32::from(a), f32::from(b));
            corr += a * b;
            energy += b * b;
        }
        let score = corr / energy.max(floor).sqrt();
        if score > best.1 {
            best = (lag, score);
        }
    }
    best.0
}

fn to_i16(x: f32) -> i16 {
    x.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    /// G.711's rate and G.722's.
    const RATES: [u32; 2] = [8000, 16_000];

    fn sine(rate: u32, freq: f32, start: usize, out: &mut [i16]) {
        for (i, s) in out.iter_mut().enumerate() {
            let t = (start + i) as f32 / rate as f32;
            *s = (8000.0 * (2.0 * PI * freq * t).sin()) as i16;
        }
    }

    /// A low voice's vowel: 100 Hz and its next two harmonics, weaker each.
    fn voiced(rate: u32, start: usize, out: &mut [i16]) {
        for (i, s) in out.iter_mut().enumerate() {
            let t = (start + i) as f32 / rate as f32;
            let partials = [(100.0, 5000.0), (200.0, 2500.0), (300.0, 1200.0)];
            let x: f32 = partials
                .iter()
                .map(|&(freq, amplitude)| amplitude * (2.0 * PI * freq * t).sin())
                .sum();
            *s = x as i16;
        }
    }

    fn frame_len(rate: u32) -> usize {
        rate as usize / 50
    }

    #[test]
    fn finds_the_period_of_a_low_voice_at_either_rate() {
        for rate in RATES {
            let mut plc = Plc::new(rate);
            // 50 ms: more than the history holds.
            let mut speech = vec![0i16; rate as usize / 20];
            voiced(rate, 0, &mut speech);
            plc.good(&mut speech);
            plc.begin_erasure();
            assert_eq!(plc.pitch, rate as usize / 100, "{rate} Hz: a 10 ms period");
        }
    }

    #[test]
    fn conceals_a_low_voice_alike_at_either_rate() {
        // The share of the voice's power the first concealed 20 ms miss, at each rate.
        let miss: Vec<f32> = RATES
            .into_iter()
            .map(|rate| {
                let len = frame_len(rate);
                let mut plc = Plc::new(rate);
                let mut frame = vec![0i16; len];
                for k in 0..3 {
                    voiced(rate, len * k, &mut frame);
                    plc.good(&mut frame);
                }
                let mut concealed = vec![0i16; len];
                assert!(plc.conceal(&mut concealed));
                let mut expected = vec![0i16; len];
                voiced(rate, 3 * len, &mut expected);
                let power = |x: &mut dyn Iterator<Item = f32>| x.map(|v| v * v).sum::<f32>();
                let error = power(
                    &mut concealed
                        .iter()
                        .zip(&expected)
                        .map(|(&c, &e)| f32::from(c) - f32::from(e)),
                );
                error / power(&mut expected.iter().map(|&e| f32::from(e)))
            })
            .collect();
        // The waveform repeats in phase: only the fade of the second 10 ms (to 80 %) misses
        // some of its power, under 1 % of the frame's.
        for (rate, miss) in RATES.into_iter().zip(&miss) {
            assert!(*miss < 0.01, "{rate} Hz: {miss:.4} of the power missed");
        }
        assert!((miss[0] - miss[1]).abs() < 0.001, "{miss:?}");
    }

    #[test]
    fn conceals_a_tone_in_phase_then_fades_to_silence_at_either_rate() {
        for rate in RATES {
            let (len, step) = (frame_len(rate), frame_len(rate) / 2);
            let mut plc = Plc::new(rate);
            let mut frame = vec![0i16; len];
            for k in 0..3 {
                sine(rate, 400.0, len * k, &mut frame);
                plc.good(&mut frame);
            }
            let mut concealed = vec![0i16; len];
            assert!(plc.conceal(&mut concealed));
            let mut expected = vec![0i16; len];
            sine(rate, 400.0, 3 * len, &mut expected);
            // The first 10 ms repeat the tone in phase, unfaded.
            for i in 0..step {
                let err = (i32::from(concealed[i]) - i32::from(expected[i])).abs();
                assert!(
                    err < 300,
                    "{rate} Hz sample {i}: {} vs {}",
                    concealed[i],
                    expected[i]
                );
            }
            assert!(plc.conceal(&mut concealed), "{rate} Hz: 20–40 ms");
            assert!(plc.conceal(&mut concealed), "{rate} Hz: 40–60 ms");
            assert!(
                concealed[len - len / 16..].iter().all(|s| s.abs() < 500),
                "{rate} Hz: faded out"
            );
            assert!(!plc.conceal(&mut concealed), "{rate} Hz: silent from 60 ms");
            assert!(concealed.iter().all(|&s| s == 0));
        }
    }

    #[test]
    fn the_first_good_frame_blends_in() {
        for rate in RATES {
            let len = frame_len(rate);
            let mut plc = Plc::new(rate);
            let mut frame = vec![0i16; len];
            sine(rate, 400.0, 0, &mut frame);
            plc.good(&mut frame);
            let mut concealed = vec![0i16; len];
            plc.conceal(&mut concealed);
            let mut good = vec![1000i16; len];
            plc.good(&mut good);
            assert_ne!(good[0], 1000, "{rate} Hz: overlap-added");
            assert_eq!(good[len - 1], 1000, "{rate} Hz: only the start");
            assert!(plc.erased == 0);
        }
    }
}
