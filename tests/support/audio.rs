//! Tones and their detection.

/// `count` samples of a sine at `frequency` Hz, 8 kHz, starting at sample `offset`.
pub fn tone(frequency: f64, amplitude: f64, offset: usize, count: usize) -> Vec<i16> {
    tone_at(8000, frequency, amplitude, offset, count)
}

/// [`tone`] at `rate` Hz.
pub fn tone_at(rate: u32, frequency: f64, amplitude: f64, offset: usize, count: usize) -> Vec<i16> {
    (offset..offset + count)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            (amplitude * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16
        })
        .collect()
}

/// The power of `frequency` in `samples` (Goertzel), normalised so that a
/// full-scale sine reads about 1.
pub fn power(samples: &[i16], frequency: f64) -> f64 {
    power_at(8000, samples, frequency)
}

/// The most [`power`] of `hz` in any 60 ms of `samples`, at 8 kHz.
pub fn peak_power(samples: &[i16], hz: f64) -> f64 {
    samples
        .windows(480)
        .step_by(160)
        .map(|w| power(w, hz))
        .fold(0.0, f64::max)
}

/// [`power`] of `samples` at `rate` Hz.
pub fn power_at(rate: u32, samples: &[i16], frequency: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / f64::from(rate)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &sample in samples {
        let s0 = f64::from(sample) / 32768.0 + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let n = samples.len() as f64;
    (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n / 4.0)
}

/// The root mean square of `samples`, full scale 1.
pub fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

/// Asserts that each of two participants, who sent `tones` (8 kHz), heard
/// the other's tone (power above 0.01) in the last second of what it heard.
pub fn assert_each_hears_the_other(heard: &[Vec<i16>; 2], tones: [f64; 2]) {
    const TAIL_SAMPLES: usize = 8_000;
    for (index, samples) in heard.iter().enumerate() {
        assert!(
            samples.len() > TAIL_SAMPLES,
            "expected participant {index} to keep hearing the room, heard {} samples",
            samples.len()
        );
        let tail = &samples[samples.len() - TAIL_SAMPLES..];
        let other = tones[1 - index];
        let theirs = power(tail, other);
        eprintln!("participant {index} hears {other} Hz at {theirs:.2e}");
        assert!(
            theirs > 0.01,
            "expected participant {index} to hear the other's {other} Hz above 0.01, got {theirs}"
        );
    }
}
