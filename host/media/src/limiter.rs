//! A room's limiter: one gain for everything the room's mix gives its members, so that many
//! loud talkers at once neither clip nor wrap.
//!
//! The mixer sums in i32 and knows a whole frame before it is sent, so the limiter looks at the
//! frame's peak (over the shared mix and every talker's mix-minus) before any of it is rendered:
//!
//! - Attack: when the peak would pass [`LIMIT_CEILING`] (−1 dBFS) at the current gain, the gain
//!   falls to the one that brings that peak to the ceiling, on a linear ramp over the first
//!   quarter of the frame (5 ms of a 20 ms frame) rather than a step, which would click. Only
//!   within that ramp can a sample still reach full scale, where it saturates.
//! - Release: otherwise the gain rises back by [`RELEASE_DB_PER_FRAME`] per 20 ms frame (20 dB/s:
//!   6 dB of reduction is gone in 300 ms), ramped across the frame and never above what the
//!   frame's peak allows, until it is exactly 1 again.
//!
//! At unity the mix passes bit-exact: a room that never comes near full scale is untouched.

/// The level the limiter holds a room's mix under: −1 dBFS of a 16-bit sample (32767 × 10^(−1/20)).
pub const LIMIT_CEILING: i32 = 29_204;

/// How fast a reduced gain recovers, in dB per 20 ms frame (20 dB/s).
pub const RELEASE_DB_PER_FRAME: f32 = 0.4;

/// One room's limiter state: the gain reached at the end of the last frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limiter {
    gain: f32,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter { gain: 1.0 }
    }
}

impl Limiter {
    /// The gain reached at the end of the last frame, in (0, 1]; exactly 1 when not limiting.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Moves on by one frame of `N` samples (20 ms) whose loudest sample, before any gain, has
    /// magnitude `peak`. Fills `ramp` with the gain for each sample and returns true, or returns
    /// false, leaving `ramp` as it was, when the whole frame is at unity.
    pub fn next_frame<const N: usize>(&mut self, peak: i32, ramp: &mut [f32; N]) -> bool {
        let allowed = if peak > LIMIT_CEILING {
            LIMIT_CEILING as f32 / peak as f32
        } else {
            1.0
        };
        let from = self.gain;
        let (to, len) = if allowed < from {
            (allowed, (N / 4).max(1))
        } else {
            let released = from * 10f32.powf(RELEASE_DB_PER_FRAME / 20.0);
            (released.min(allowed), N)
        };
        self.gain = to;
        if from == 1.0 && to == 1.0 {
            return false;
        }
        let step = (to - from) / len as f32;
        for (i, g) in ramp.iter_mut().enumerate() {
            *g = if i < len {
                from + step * (i + 1) as f32
            } else {
                to
            };
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_frames_stay_at_unity() {
        let mut limiter = Limiter::default();
        let mut ramp = [7.0f32; 8];
        assert!(!limiter.next_frame(LIMIT_CEILING, &mut ramp));
        assert_eq!(ramp, [7.0; 8], "untouched");
        assert_eq!(limiter.gain(), 1.0);
    }

    #[test]
    fn attacks_within_a_quarter_frame_then_releases_slowly_to_exact_unity() {
        let mut limiter = Limiter::default();
        let mut ramp = [0.0f32; 160];
        assert!(limiter.next_frame(LIMIT_CEILING * 4, &mut ramp));
        assert!(ramp[..40].windows(2).all(|w| w[1] < w[0]), "a ramp down");
        assert!(ramp[..39].iter().all(|&g| g > 0.25));
        assert!(ramp[39..].iter().all(|&g| (g - 0.25).abs() < 1e-6));
        // Quiet again: up by 0.4 dB per frame, ramped, back to exactly 1 after 12 dB / 0.4 dB.
        let mut frames = 0;
        while limiter.next_frame(0, &mut ramp) {
            assert!(ramp.windows(2).all(|w| w[1] >= w[0]));
            frames += 1;
        }
        assert_eq!(frames, 31);
        assert_eq!(limiter.gain(), 1.0);
    }

    #[test]
    fn release_never_lets_the_peak_past_the_ceiling() {
        let mut limiter = Limiter::default();
        let mut ramp = [0.0f32; 160];
        limiter.next_frame(LIMIT_CEILING * 2, &mut ramp);
        limiter.next_frame(LIMIT_CEILING * 2, &mut ramp);
        assert!(ramp.iter().all(|&g| g <= 0.5 + 1e-6));
    }
}
