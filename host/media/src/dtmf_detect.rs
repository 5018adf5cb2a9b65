//! In-band DTMF: the keys of a peer that sends them as ITU-T Q.23 dual tones in its audio
//! rather than as RFC 4733 events (a gateway, an analogue adapter, a phone that offered no
//! `telephone-event`).
//!
//! Each 20 ms frame is one block, whose last 13.25 ms (106 samples at 8 kHz) are looked at: a
//! window long enough to tell the closest Q.23 frequencies apart (73 Hz, about one bin), short
//! enough that a tone 1.5% off its frequency loses at most 1.5 dB. Its power at the eight Q.23
//! frequencies is measured with the Goertzel algorithm, at the frame's own rate. A block holds a
//! key when the strongest tone of each group is loud enough, the two are within the twist
//! allowed between them, each stands well above the other tones of its group, and the pair
//! carries most of the block's power (speech spreads its power over many frequencies).
//!
//! A key is reported once per press, after two blocks in a row hold it (40 ms, the shortest
//! tone ITU-T Q.24 has a receiver take). Once reported, the press outlasts one block without
//! it (a burst of noise, a break of the tone of up to 15 ms: Q.24 has a receiver bridge a
//! short break within a tone) and ends at the second in a row, which a pause of 40 ms, the
//! least Q.24 has between keys, always brings; a block holding another key starts that key at
//! once. A block whose samples never reach one tone's least amplitude (silence, mostly) costs
//! one pass over its samples, before any filter runs.

use std::f32::consts::TAU;

use crate::dtmf_tone::{Q23_HIGH_HZ, Q23_LOW_HZ};

/// The keys by (row, column) of the keypad: rows are the low group, columns the high.
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The weakest tone taken, as an amplitude on the 16-bit scale: about -33 dBFS, below the
/// -25 dBm0 per tone a sender may go down to (ITU-T Q.24).
const MIN_AMPLITUDE: f32 = 730.0;
/// The most one tone of the pair may be stronger than the other, as a power ratio: 8 dB, the
/// twist ITU-T Q.24 has a receiver accept.
const MAX_TWIST: f32 = 6.31;
/// How far the strongest tone of a group must stand above every other tone of its group, as
/// a power ratio: 6 dB.
const MIN_GROUP_LEAD: f32 = 4.0;
/// The share of the window's power the pair must carry: a pair of tones 1.5% off their
/// frequencies (as ITU-T Q.24 has a receiver take) reads above 0.7; voiced speech spreads its
/// power over its harmonics.
const MIN_PAIR_SHARE: f32 = 0.6;
/// The window looked at in each block, in samples at 8 kHz (13.25 ms).
const WINDOW_AT_8K: usize = 106;
/// How many blocks in a row must hold a key for it to be reported.
const BLOCKS_TO_REPORT: u8 = 2;
/// How many blocks in a row without a reported key end its press: one is a break within it.
const BLOCKS_TO_END: u8 = 2;

/// Detects the keys in one stream of frames at one rate.
#[derive(Debug, Clone)]
pub struct InbandDtmf {
    rate: u32,
    /// The window looked at, in samples.
    window: usize,
    /// The Goertzel coefficient (2·cos ω) of each frequency: the low group, then the high.
    coefficients: [f32; 8],
    /// The press under way, if any.
    held: Option<Press>,
}

/// A key heard in the last blocks.
#[derive(Debug, Clone, Copy)]
struct Press {
    key: char,
    /// Blocks that held it, up to [`BLOCKS_TO_REPORT`]: it is reported at that count.
    blocks: u8,
    /// Blocks in a row since without it, after it was reported.
    missed: u8,
}

impl InbandDtmf {
    /// A detector for frames at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let mut coefficients = [0.0; 8];
        for (c, hz) in coefficients
            .iter_mut()
            .zip(Q23_LOW_HZ.iter().chain(&Q23_HIGH_HZ))
        {
            *c = 2.0 * (TAU * hz / rate as f32).cos();
        }
        Self {
            rate,
            window: WINDOW_AT_8K * rate as usize / 8000,
            coefficients,
            held: None,
        }
    }

    /// The rate it detects at.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Takes the next block (a frame at the detector's rate); returns a key once per press,
    /// on the block that makes it certain. A press already reported goes on through one block
    /// without its key.
    pub fn push(&mut self, block: &[i16]) -> Option<char> {
        let window = &block[block.len().saturating_sub(self.window)..];
        let found = key_in(window, &self.coefficients);
        match (&mut self.held, found) {
            (Some(press), Some(key)) if press.key == key => {
                press.missed = 0;
                if press.blocks < BLOCKS_TO_REPORT {
                    press.blocks += 1;
                    return (press.blocks == BLOCKS_TO_REPORT).then_some(key);
                }
                None
            }
            (Some(press), None)
                if press.blocks == BLOCKS_TO_REPORT && press.missed + 1 < BLOCKS_TO_END =>
            {
                press.missed += 1;
                None
            }
            (_, found) => {
                self.held = found.map(|key| Press {
                    key,
                    blocks: 1,
                    missed: 0,
                });
                None
            }
        }
    }

    /// Forgets a press under way: the next block starts afresh (the stream stopped, or its
    /// audio was replaced for a while).
    pub fn interrupt(&mut self) {
        self.held = None;
    }
}

/// The key the samples of `block` hold, if any. A block whose samples never reach one
/// tone's least amplitude (silence, mostly) is ruled out before any filter runs.
fn key_in(block: &[i16], coefficients: &[f32; 8]) -> Option<char> {
    let peak = block.iter().map(|s| s.unsigned_abs()).max()?;
    if f32::from(peak) < MIN_AMPLITUDE {
        return None;
    }
    let sum_of_squares: i64 = block
        .iter()
        .map(|&s| i64::from(i32::from(s) * i32::from(s)))
        .sum();
    let mean_square = sum_of_squares as f32 / block.len() as f32;
    let floor = MIN_AMPLITUDE * MIN_AMPLITUDE;
    // Two tones each of the least amplitude: a mean square of a².
    if mean_square < floor {
        return None;
    }
    let powers = tone_powers(block, coefficients);
    let (low, high) = powers.split_at(4);
    let (row, row_power) = strongest(low, MIN_GROUP_LEAD)?;
    let (column, column_power) = strongest(high, MIN_GROUP_LEAD)?;
    let twist = row_power.max(column_power) / row_power.min(column_power);
    // A sine of amplitude a has a mean square of a²/2.
    let pair_share = (row_power + column_power) / 2.0 / mean_square;
    (row_power >= floor
        && column_power >= floor
        && twist <= MAX_TWIST
        && pair_share >= MIN_PAIR_SHARE)
        .then_some(KEYS[row][column])
}

/// The squared amplitude of each frequency in `block` (Goertzel: a sine of amplitude `a` at
/// one of them reads `a²`). The eight filters run side by side over the samples: each
/// waits on its own previous step, so eight take about the time of one.
fn tone_powers(block: &[i16], coefficients: &[f32; 8]) -> [f32; 8] {
    let mut s1 = [0.0f32; 8];
    let mut s2 = [0.0f32; 8];
    for &sample in block {
        let x = f32::from(sample);
        for k in 0..8 {
            let s0 = x + coefficients[k] * s1[k] - s2[k];
            s2[k] = s1[k];
            s1[k] = s0;
        }
    }
    let half = block.len() as f32 / 2.0;
    std::array::from_fn(|k| {
        let magnitude = s1[k] * s1[k] + s2[k] * s2[k] - coefficients[k] * s1[k] * s2[k];
        magnitude / (half * half)
    })
}

/// The strongest of a group's four powers, with its index, if it leads every other by `lead`.
fn strongest(group: &[f32], lead: f32) -> Option<(usize, f32)> {
    let (index, &power) = group.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    group
        .iter()
        .enumerate()
        .all(|(i, &other)| i == index || other * lead <= power)
        .then_some((index, power))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf_tone::q23_frequencies;

    /// 20 ms of `tones` (frequency, amplitude) at `rate`, from sample `offset` on.
    fn block(rate: u32, tones: &[(f32, f32)], offset: usize) -> Vec<i16> {
        samples(rate, tones, offset, rate as usize / 50)
    }

    /// `len` samples of `tones` (frequency, amplitude) at `rate`, from sample `offset` on.
    fn samples(rate: u32, tones: &[(f32, f32)], offset: usize, len: usize) -> Vec<i16> {
        (offset..offset + len)
            .map(|n| {
                let t = n as f32 / rate as f32;
                let sum: f32 = tones.iter().map(|(hz, a)| a * (TAU * hz * t).sin()).sum();
                sum.clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    /// The keys a detector at `rate` reports over `blocks` blocks of `tones`.
    fn detect(rate: u32, tones: &[(f32, f32)], blocks: usize) -> Vec<char> {
        let mut detector = InbandDtmf::new(rate);
        let len = rate as usize / 50;
        (0..blocks)
            .filter_map(|b| detector.push(&block(rate, tones, b * len)))
            .collect()
    }

    const KEYS_BY_EVENT: &str = "0123456789*#ABCD";

    #[test]
    fn every_key_is_reported_once_per_press_at_every_rate() {
        for rate in [8000, 16_000, 48_000] {
            for (event, key) in KEYS_BY_EVENT.chars().enumerate() {
                let (low, high) = q23_frequencies(event as u8);
                let keys = detect(rate, &[(low, 6000.0), (high, 6000.0)], 5);
                assert_eq!(keys, [key], "{key} at {rate} Hz");
            }
        }
    }

    #[test]
    fn keys_within_the_tolerances_of_q24_are_taken() {
        // 1.5% off frequency, 6 dB of twist either way, and -30 dBFS tones.
        for (low, high) in [
            (697.0 * 1.015, 1209.0 * 0.985),
            (941.0 * 0.985, 1633.0 * 1.015),
        ] {
            for (a_low, a_high) in [(3000.0, 6000.0), (6000.0, 3000.0), (1050.0, 1050.0)] {
                let keys = detect(8000, &[(low, a_low), (high, a_high)], 4);
                assert_eq!(keys.len(), 1, "{low}/{high} Hz at {a_low}/{a_high}");
            }
        }
    }

    #[test]
    fn short_quiet_lone_and_twisted_tones_are_no_key() {
        let (low, high) = (770.0, 1336.0);
        assert!(
            detect(8000, &[(low, 6000.0), (high, 6000.0)], 1).is_empty(),
            "20 ms"
        );
        assert!(
            detect(8000, &[(low, 400.0), (high, 400.0)], 5).is_empty(),
            "-38 dBFS"
        );
        assert!(detect(8000, &[(low, 8000.0)], 5).is_empty(), "one tone");
        assert!(
            detect(8000, &[(low, 8000.0), (high, 1500.0)], 5).is_empty(),
            "14.5 dB twist"
        );
        assert!(detect(8000, &[], 5).is_empty(), "silence");
    }

    #[test]
    fn two_presses_with_a_pause_are_two_keys_and_a_long_one_is_one() {
        let mut detector = InbandDtmf::new(8000);
        let five = [(770.0, 6000.0), (1336.0, 6000.0)];
        let mut keys = Vec::new();
        for (tones, blocks) in [(&five[..], 10), (&[][..], 2), (&five[..], 3)] {
            for b in 0..blocks {
                keys.extend(detector.push(&block(8000, tones, b * 160)));
            }
        }
        assert_eq!(keys, ['5', '5']);
    }

    /// The keys heard in 100 ms of `5`, a pause of `pause_ms` and 100 ms of `5` again, the
    /// whole starting `offset` samples into a block.
    fn keys_around_a_pause(pause_ms: usize, offset: usize) -> Vec<char> {
        let five = [(770.0, 5000.0), (1336.0, 5000.0)];
        let mut stream = vec![0; offset];
        for (tones, len) in [(&five[..], 800), (&[][..], pause_ms * 8), (&five[..], 800)] {
            stream.extend(samples(8000, tones, stream.len(), len));
        }
        stream.resize(stream.len() + 800, 0);
        let mut detector = InbandDtmf::new(8000);
        stream
            .chunks_exact(160)
            .filter_map(|b| detector.push(b))
            .collect()
    }

    #[test]
    fn a_break_within_a_key_is_bridged_and_a_pause_of_40_ms_parts_keys_at_every_phase() {
        for offset in (0..160).step_by(4) {
            for pause_ms in [5, 10, 15] {
                let keys = keys_around_a_pause(pause_ms, offset);
                assert_eq!(keys, ['5'], "{pause_ms} ms break at {offset}");
            }
            for pause_ms in [40, 60] {
                let keys = keys_around_a_pause(pause_ms, offset);
                assert_eq!(keys, ['5', '5'], "{pause_ms} ms pause at {offset}");
            }
        }
    }

    #[test]
    fn a_block_of_noise_within_a_press_is_no_new_key() {
        let tones = [(852.0, 5000.0), (1477.0, 5000.0)];
        let mut state = 0x2545_f491_u32;
        let mut noisy = block(8000, &tones, 5 * 160);
        for s in &mut noisy {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as i32 >> 16) as f32 / 32768.0 * 12_000.0;
            *s = (f32::from(*s) + noise).clamp(-32768.0, 32767.0) as i16;
        }
        let mut alone = InbandDtmf::new(8000);
        assert_eq!(
            [alone.push(&noisy), alone.push(&noisy)],
            [None, None],
            "the noise hides the key"
        );
        let mut detector = InbandDtmf::new(8000);
        let keys: Vec<char> = (0..11)
            .filter_map(|b| match b {
                5 => detector.push(&noisy),
                _ => detector.push(&block(8000, &tones, b * 160)),
            })
            .collect();
        assert_eq!(keys, ['9']);
    }

    #[test]
    fn a_key_is_heard_through_speech_level_noise() {
        // A tone pair at -20 dBFS each with white noise 15 dB below it.
        let mut state = 0x2545_f491_u32;
        let mut detector = InbandDtmf::new(8000);
        let mut keys = Vec::new();
        for b in 0..5 {
            let mut samples = block(8000, &[(852.0, 3300.0), (1477.0, 3300.0)], b * 160);
            for s in &mut samples {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let noise = (state as i32 >> 16) as f32 / 32768.0 * 1000.0;
                *s = (f32::from(*s) + noise) as i16;
            }
            keys.extend(detector.push(&samples));
        }
        assert_eq!(keys, ['9']);
    }

    #[test]
    fn voiced_sounds_rich_in_harmonics_are_no_key() {
        // A glottal-like buzz (every harmonic of its pitch, falling 6 dB an octave), loud,
        // at pitches from 80 to 400 Hz: some harmonics fall on Q.23 frequencies, but they
        // carry a small share of the power.
        for pitch in (80..=400).step_by(3) {
            let harmonics: Vec<(f32, f32)> = (1..)
                .map(|h| (pitch as f32 * h as f32, 12_000.0 / h as f32))
                .take_while(|(hz, _)| *hz < 3800.0)
                .collect();
            assert!(detect(8000, &harmonics, 10).is_empty(), "{pitch} Hz buzz");
        }
    }

    #[test]
    fn two_loud_tones_a_group_apart_are_no_key_unless_one_leads() {
        // Two low-group tones at once: no row leads.
        let tones = [(697.0, 6000.0), (770.0, 6000.0), (1209.0, 6000.0)];
        assert!(detect(8000, &tones, 5).is_empty());
    }

    #[test]
    fn an_interruption_forgets_the_press_under_way() {
        let mut detector = InbandDtmf::new(8000);
        let one = block(8000, &[(697.0, 6000.0), (1209.0, 6000.0)], 0);
        assert_eq!(detector.push(&one), None);
        detector.interrupt();
        assert_eq!(detector.push(&one), None, "counting starts again");
        assert_eq!(detector.push(&one), Some('1'));
    }

    #[test]
    fn the_servers_own_prompts_and_tones_press_no_key() {
        // 70 s of prompts, spoken digits, dial tone, ringback and music on hold.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../switchyard/prompts/en");
        let mut heard = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let mut reader = hound::WavReader::open(&path).unwrap();
            let rate = reader.spec().sample_rate;
            let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
            let mut detector = InbandDtmf::new(rate);
            let keys: Vec<char> = samples
                .chunks_exact(rate as usize / 50)
                .filter_map(|block| detector.push(block))
                .collect();
            assert_eq!(keys, [] as [char; 0], "{}", path.display());
            heard += samples.len() / rate as usize;
        }
        assert!(heard > 60, "{heard} s of prompts");
    }
}
