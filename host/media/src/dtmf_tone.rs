//! ITU-T Q.23 dual tones: the in-band sound of a DTMF key.

use std::f32::consts::TAU;

/// The low-group frequencies of ITU-T Q.23, in Hz, by row of the keypad (1 2 3 A, 4 5 6 B,
/// 7 8 9 C, * 0 # D).
pub const Q23_LOW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high-group frequencies of ITU-T Q.23, in Hz, by column of the keypad.
pub const Q23_HIGH_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The amplitude of each of the two tones: about -14 dBFS, so the pair stays well clear of
/// clipping when added to what the leg hears.
const AMPLITUDE: f32 = 6500.0;

/// The two Q.23 frequencies of a DTMF key given as its RFC 4733 event code (0–15): (low, high).
pub fn q23_frequencies(event: u8) -> (f32, f32) {
    // Keypad (row, column) of event codes 0-9, *, #, A-D.
    const PLACE: [(usize, usize); 16] = [
        (3, 1),
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 0),
        (2, 1),
        (2, 2),
        (3, 0),
        (3, 2),
        (0, 3),
        (1, 3),
        (2, 3),
        (3, 3),
    ];
    let (row, column) = PLACE[usize::from(event) % PLACE.len()];
    (Q23_LOW_HZ[row], Q23_HIGH_HZ[column])
}

/// Renders one key's dual tone frame after frame, its phase carried across frames (and across a
/// change of rate).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DualTone {
    /// Each tone's phase, in cycles (0..1).
    phase: [f32; 2],
}

impl DualTone {
    /// Starts a new key's tone at phase 0.
    pub(crate) fn restart(&mut self) {
        self.phase = [0.0; 2];
    }

    /// Adds the next `out.len()` samples at `rate` Hz of `event`'s two tones to `out`,
    /// saturating.
    pub(crate) fn add(&mut self, event: u8, rate: u32, out: &mut [i16]) {
        let (low, high) = q23_frequencies(event);
        let steps = [low / rate as f32, high / rate as f32];
        for sample in out {
            let mut sum = 0.0;
            for (phase, step) in self.phase.iter_mut().zip(steps) {
                sum += (TAU * *phase).sin() * AMPLITUDE;
                *phase = (*phase + step).fract();
            }
            *sample = sample.saturating_add(sum as i16);
        }
    }
}
