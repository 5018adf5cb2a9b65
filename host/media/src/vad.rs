//! Voice activity of one leg, frame by frame: the frame's level against a noise floor that
//! follows the leg's quiet moments, with a hangover so that the gaps between words do not end
//! a talkspurt.
//!
//! A frame is voiced when its level is above the noise floor by [`ABOVE_FLOOR_DB`], within
//! [`MIN_THRESHOLD_DBOV`]..=[`MAX_THRESHOLD_DBOV`]: steady background noise is not a talker, and
//! anything louder than the upper bound always is (a tone or music held for minutes keeps being
//! heard). A talkspurt takes in up to [`HANGOVER_FRAMES`] unvoiced frames after its last voiced
//! one; the unvoiced frame after those ends it.
//!
//! Besides each frame's level, the detector keeps the leg's talker level: its frames' power
//! averaged over a few hundred ms, which a syllable's rise and fall barely move.

/// How far above the noise floor a frame must be to be voiced, in dB.
const ABOVE_FLOOR_DB: f32 = 10.0;
/// The lowest threshold: quieter frames are never voiced, in dBov.
const MIN_THRESHOLD_DBOV: f32 = -50.0;
/// The highest threshold: louder frames are always voiced, in dBov.
const MAX_THRESHOLD_DBOV: f32 = -35.0;
/// How fast the noise floor rises towards louder frames, in dB per frame (2.5 dB/s at 20 ms);
/// it falls to a quieter frame at once.
const FLOOR_RISE_DB: f32 = 0.05;
/// Unvoiced frames that still belong to a talkspurt: 200 ms at 20 ms frames.
pub const HANGOVER_FRAMES: u8 = 10;
/// The level reported for digital silence, in dBov (RFC 6464's floor).
pub const SILENCE_DBOV: i8 = -127;
/// How far the talker level's power moves towards each frame's: an exponential average with a
/// time constant of ten frames (200 ms at 20 ms frames).
const TALKER_LEVEL_GAIN: f32 = 0.1;

/// A change of a leg's talking state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TalkChange {
    /// A talkspurt began, at this level (dBov, RFC 6464's scale: 0 is full scale).
    Started {
        /// The level of the frame that began it.
        level_dbov: i8,
    },
    /// The talkspurt ended, at the unvoiced frame after the hangover's [`HANGOVER_FRAMES`].
    Stopped,
}

/// The voice activity detector of one leg.
#[derive(Clone, Debug)]
pub struct VoiceActivity {
    noise_floor_dbov: f32,
    level_dbov: i8,
    // The talker level's mean power, relative to a full-scale square wave.
    talker_power: f32,
    active: bool,
    hangover_left: u8,
}

impl Default for VoiceActivity {
    fn default() -> Self {
        VoiceActivity {
            noise_floor_dbov: MIN_THRESHOLD_DBOV - ABOVE_FLOOR_DB,
            level_dbov: SILENCE_DBOV,
            talker_power: 0.0,
            active: false,
            hangover_left: 0,
        }
    }
}

impl VoiceActivity {
    /// Takes the leg's decoded frame of this tick; returns the change it makes, if any.
    pub fn update(&mut self, frame: &[i16]) -> Option<TalkChange> {
        let power = mean_power(frame);
        self.talker_power += (power - self.talker_power) * TALKER_LEVEL_GAIN;
        let level = dbov(power);
        self.level_dbov = level as i8;
        if level < self.noise_floor_dbov {
            self.noise_floor_dbov = level.max(f32::from(SILENCE_DBOV));
        } else {
            self.noise_floor_dbov += (level - self.noise_floor_dbov).min(FLOOR_RISE_DB);
        }
        let threshold =
            (self.noise_floor_dbov + ABOVE_FLOOR_DB).clamp(MIN_THRESHOLD_DBOV, MAX_THRESHOLD_DBOV);
        self.step(level > threshold)
    }

    /// A tick without sound from the leg (no packet, or muted): an unvoiced frame.
    pub fn silent(&mut self) -> Option<TalkChange> {
        self.level_dbov = SILENCE_DBOV;
        self.talker_power -= self.talker_power * TALKER_LEVEL_GAIN;
        self.step(false)
    }

    /// Whether the leg is in a talkspurt (hangover included).
    pub fn active(&self) -> bool {
        self.active
    }

    /// The level of the last frame, in dBov.
    pub fn level_dbov(&self) -> i8 {
        self.level_dbov
    }

    /// The talker level, in dBov: the power of the last few hundred ms of frames (an
    /// exponential average with a 200 ms time constant; a tick without sound counts as
    /// silence). It follows a talker's loudness, not each syllable's.
    pub fn talker_level_dbov(&self) -> i8 {
        dbov(self.talker_power) as i8
    }

    fn step(&mut self, voiced: bool) -> Option<TalkChange> {
        if voiced {
            self.hangover_left = HANGOVER_FRAMES;
            if !self.active {
                self.active = true;
                return Some(TalkChange::Started {
                    level_dbov: self.level_dbov,
                });
            }
        } else if self.active {
            if self.hangover_left == 0 {
                self.active = false;
                return Some(TalkChange::Stopped);
            }
            self.hangover_left -= 1;
        }
        None
    }
}

/// The frame's mean power relative to a full-scale square wave (0 for an empty frame).
fn mean_power(frame: &[i16]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let energy: i64 = frame.iter().map(|&s| i64::from(s) * i64::from(s)).sum();
    energy as f32 / frame.len() as f32 / (32768.0 * 32768.0)
}

/// A mean power relative to a full-scale square wave in dB (dBov), at least [`SILENCE_DBOV`].
fn dbov(power: f32) -> f32 {
    if power <= 0.0 {
        return f32::from(SILENCE_DBOV);
    }
    (10.0 * power.log10()).max(f32::from(SILENCE_DBOV))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(amplitude: f64, frame: usize) -> Vec<i16> {
        (0..160)
            .map(|n| {
                let t = (frame * 160 + n) as f64 / 8000.0;
                (amplitude * (2.0 * std::f64::consts::PI * 400.0 * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn a_tone_starts_a_talkspurt_that_ends_after_the_hangover() {
        let mut vad = VoiceActivity::default();
        assert_eq!(vad.update(&[0; 160]), None);
        let started = vad.update(&tone(8000.0, 1));
        // A sine of amplitude a has power a²/2: 8000 → about -15 dBov.
        assert_eq!(started, Some(TalkChange::Started { level_dbov: -15 }));
        for frame in 2..50 {
            assert_eq!(vad.update(&tone(8000.0, frame)), None);
        }
        for _ in 0..HANGOVER_FRAMES {
            assert_eq!(vad.update(&[0; 160]), None, "still within the hangover");
            assert!(vad.active());
        }
        assert_eq!(vad.update(&[0; 160]), Some(TalkChange::Stopped));
        assert!(!vad.active());
    }

    #[test]
    fn short_gaps_between_words_keep_the_talkspurt() {
        let mut vad = VoiceActivity::default();
        vad.update(&tone(8000.0, 0));
        for round in 0..20 {
            for _ in 0..5 {
                assert_eq!(vad.silent(), None, "round {round}");
            }
            assert_eq!(vad.update(&tone(8000.0, round)), None);
        }
        assert!(vad.active());
    }

    #[test]
    fn steady_quiet_noise_is_not_a_talker_but_a_held_loud_tone_always_is() {
        let mut vad = VoiceActivity::default();
        // -47 dBov of noise-like signal (a tone is as good for a level detector).
        let quiet = tone(200.0, 0);
        let mut changes = Vec::new();
        for _ in 0..3000 {
            changes.extend(vad.update(&quiet));
        }
        assert!(
            !vad.active(),
            "after a minute the noise is the floor: {changes:?}"
        );

        let mut vad = VoiceActivity::default();
        for frame in 0..30_000 {
            vad.update(&tone(8000.0, frame));
        }
        assert!(vad.active(), "ten minutes of a loud tone is still heard");
    }

    #[test]
    fn the_talker_level_follows_the_mean_power_of_loud_and_soft_syllables() {
        let mut vad = VoiceActivity::default();
        for frame in 0..100 {
            let amplitude = if frame % 2 == 0 { 8000.0 } else { 1200.0 };
            vad.update(&tone(amplitude, frame));
            if frame >= 50 {
                // The mean power of 8000 and 1200: about -18 dBov, while frames read -15 and
                // -31.
                assert!(
                    (-19..=-17).contains(&vad.talker_level_dbov()),
                    "frame {frame}: {}",
                    vad.talker_level_dbov()
                );
            }
        }
        for _ in 0..10 {
            vad.silent();
        }
        // Ten silent frames: the power falls to 0.9^10 of it, about 4.6 dB down.
        assert!(
            (-24..=-22).contains(&vad.talker_level_dbov()),
            "{}",
            vad.talker_level_dbov()
        );
    }

    #[test]
    fn digital_silence_reads_the_floor_level() {
        let mut vad = VoiceActivity::default();
        vad.update(&[0; 160]);
        assert_eq!(vad.level_dbov(), SILENCE_DBOV);
        vad.update(&[i16::MAX; 160]);
        assert_eq!(vad.level_dbov(), 0);
    }
}
