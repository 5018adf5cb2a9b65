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
