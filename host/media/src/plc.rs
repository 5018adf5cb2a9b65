//! Packet-loss concealment for G.711 after ITU-T G.711 Appendix I: pitch-period waveform
//! substitution with overlap-add, on one fixed buffer (no allocation).
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

/// Samples per 10 ms: Appendix I's erasure steps.
const STEP: usize = 80;
/// Shortest pitch period searched: 5 ms (200 Hz).
const PITCH_MIN: usize = 40;
/// Longest pitch period searched: 15 ms (66.7 Hz).
const PITCH_MAX: usize = 120;
/// The correlation window of the pitch search: 20 ms.
const CORR_LEN: usize = 160;
/// The longest loop overlap: a quarter of the longest period.
const OVERLAP_MAX: usize = PITCH_MAX / 4;
/// History kept: three longest periods plus an overlap (48.75 ms).
const HISTORY: usize = 3 * PITCH_MAX + OVERLAP_MAX;
/// The pitch search's energy floor, so near-silence does not yield a spurious match.
const CORR_MIN_POWER: f32 = 250.0;
/// Most periods repeated: three, from 20 ms into the erasure.
const MAX_PERIODS: usize = 3;
/// Fade per sample from 10 ms into the erasure: 20 % per 10 ms.
const FADE_PER_SAMPLE: f32 = 0.2 / STEP as f32;
/// Samples after which concealment is silence: 60 ms.
const SILENT_AFTER: usize = 6 * STEP;
/// How much the closing overlap grows per further 10 ms erased: 4 ms.
const CLOSE_STEP: usize = 32;

/// Concealment state of one 8 kHz G.711 stream.
#[derive(Clone, Debug)]
pub(crate) struct Plc {
    // The last `HISTORY` good (or concealed-then-closed) samples, a ring whose oldest sample
    // is at `head` (recording a frame writes over the oldest, no shifting). During an erasure
    // it holds still: it is the pitch buffer (see `pitch_sample`).
    history: [i16; HISTORY],
    head: usize,
    pitch: usize,
    // Periods of the pitch buffer's end that repeat: 1 to `MAX_PERIODS`.
    periods: usize,
    // Position in the repeating span, the pitch buffer's `HISTORY - periods × pitch..`.
    pos: usize,
    // Samples concealed in the current erasure; 0 when there is none.
    erased: usize,
}

impl Default for Plc {
    fn default() -> Self {
        Plc {
            history: [0; HISTORY],
            head: 0,
            pitch: PITCH_MIN,
            periods: 1,
            pos: 0,
            erased: 0,
        }
    }
}

impl Plc {
    /// Takes decoded samples that arrived: records them as history and, right after an
    /// erasure, overlap-adds their start with the continued concealment (so `pcm` may change).
    pub(crate) fn good(&mut self, pcm: &mut [i16]) {
        if pcm.is_empty() {
            return;
        }
        if self.erased > 0 {
            let extra_steps = self.erased.div_ceil(STEP) - 1;
            let len = (self.pitch / 4 + extra_steps * CLOSE_STEP)
                .min(STEP)
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
        let audible = self.erased < SILENT_AFTER;
        for sample in out.iter_mut() {
            *sample = to_i16(self.synthesize());
        }
        // The concealment is not history: after the erasure, history is what came before it
        // plus what arrives, as Appendix I keeps it.
        audible
    }

    fn remember(&mut self, pcm: &[i16]) {
        let mut rest = &pcm[pcm.len() - pcm.len().min(HISTORY)..];
        while !rest.is_empty() {
            let take = (HISTORY - self.head).min(rest.len());
            self.history[self.head..self.head + take].copy_from_slice(&rest[..take]);
            self.head = (self.head + take) % HISTORY;
            rest = &rest[take..];
        }
    }

    // The history oldest first, into `out`.
    fn unroll_history(&self, out: &mut [f32; HISTORY]) {
        let (newer, older) = self.history.split_at(self.head);
        for (slot, &sample) in out.iter_mut().zip(older.iter().chain(newer)) {
            *slot = f32::from(sample);
        }
    }

    fn begin_erasure(&mut self) {
        let mut history = [0.0; HISTORY];
        self.unroll_history(&mut history);
        self.pitch = find_pitch(&history);
        self.periods = 1;
        self.pos = 0;
    }

    // Sample `at` (oldest first) of the pitch buffer: the history as the erasure began, the
    // end of its last period blended into the samples one period before it, whose successor is
    // where each repetition starts again.
    fn pitch_sample(&self, at: usize) -> f32 {
        let sample = |at: usize| f32::from(self.history[(self.head + at) % HISTORY]);
        let overlap = self.pitch / 4;
        let Some(i) = at.checked_sub(HISTORY - overlap) else {
            return sample(at);
        };
        let w = (i + 1) as f32 / (overlap + 1) as f32;
        // A period is at least 4 overlaps long, so `at - pitch` is never itself blended.
        sample(at) * (1.0 - w) + sample(at - self.pitch) * w
    }

    // The next concealment sample, faded; advances the erasure by one sample.
    fn synthesize(&mut self) -> f32 {
        if self.erased >= SILENT_AFTER {
            self.erased += 1;
            return 0.0;
        }
        if self.erased > 0 && self.erased.is_multiple_of(STEP) && self.periods < MAX_PERIODS {
            // One more period, taken from further back: the same sample plays next, the
            // repeating span now starts a period earlier.
            self.periods += 1;
            self.pos += self.pitch;
        }
        let span = self.periods * self.pitch;
        let sample = self.pitch_sample(HISTORY - span + self.pos);
        self.pos = (self.pos + 1) % span;
        let gain = 1.0 - self.erased.saturating_sub(STEP) as f32 * FADE_PER_SAMPLE;
        self.erased += 1;
        sample * gain.max(0.0)
    }
}

// The period in `PITCH_MIN..=PITCH_MAX` whose lagged window best matches the last `CORR_LEN`
// samples (normalised cross-correlation); the shortest of equal matches.
fn find_pitch(history: &[f32; HISTORY]) -> usize {
    let recent = &history[HISTORY - CORR_LEN..];
    let mut best = (PITCH_MIN, f32::MIN);
    for lag in PITCH_MIN..=PITCH_MAX {
        let start = HISTORY - CORR_LEN - lag;
        let candidate = &history[start..start + CORR_LEN];
        let (mut corr, mut energy) = (0.0f32, 0.0f32);
        for (&a, &b) in recent.iter().zip(candidate) {
            corr += a * b;
            energy += b * b;
        }
        let score = corr / energy.max(CORR_MIN_POWER).sqrt();
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

    fn sine(freq: f32, start: usize, out: &mut [i16]) {
        for (i, s) in out.iter_mut().enumerate() {
            *s = (8000.0 * (2.0 * PI * freq * (start + i) as f32 / 8000.0).sin()) as i16;
        }
    }

    #[test]
    fn finds_the_period_of_a_voiced_like_signal() {
        let mut plc = Plc::default();
        let mut frame = [0i16; 400];
        // 100 Hz: an 80-sample period, within 40..=120.
        sine(100.0, 0, &mut frame);
        plc.good(&mut frame);
        let mut history = [0.0; HISTORY];
        plc.unroll_history(&mut history);
        assert_eq!(find_pitch(&history), 80);
    }

    #[test]
    fn conceals_a_tone_in_phase_then_fades_to_silence() {
        let mut plc = Plc::default();
        let mut frame = [0i16; 160];
        for k in 0..3 {
            sine(400.0, 160 * k, &mut frame);
            plc.good(&mut frame);
        }
        let mut concealed = [0i16; 160];
        assert!(plc.conceal(&mut concealed));
        let mut expected = [0i16; 160];
        sine(400.0, 480, &mut expected);
        // The first 10 ms repeat the tone in phase, unfaded.
        for i in 0..STEP {
            let err = (i32::from(concealed[i]) - i32::from(expected[i])).abs();
            assert!(err < 300, "sample {i}: {} vs {}", concealed[i], expected[i]);
        }
        assert!(plc.conceal(&mut concealed), "20–40 ms");
        assert!(plc.conceal(&mut concealed), "40–60 ms");
        assert!(concealed[150..].iter().all(|s| s.abs() < 500), "faded out");
        assert!(!plc.conceal(&mut concealed), "silent from 60 ms");
        assert!(concealed.iter().all(|&s| s == 0));
    }

    #[test]
    fn the_first_good_frame_blends_in() {
        let mut plc = Plc::default();
        let mut frame = [0i16; 160];
        sine(400.0, 0, &mut frame);
        plc.good(&mut frame);
        let mut concealed = [0i16; 160];
        plc.conceal(&mut concealed);
        let mut good = [1000i16; 160];
        plc.good(&mut good);
        assert_ne!(good[0], 1000, "overlap-added");
        assert_eq!(good[159], 1000, "only the start");
        assert!(plc.erased == 0);
    }
}
