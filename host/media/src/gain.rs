//! A fixed gain on one leg's audio: a quiet phone brought up, a loud one down.

/// The lowest gain a leg takes, in dB.
pub const MIN_GAIN_DB: f32 = -24.0;
/// The highest gain a leg takes, in dB.
pub const MAX_GAIN_DB: f32 = 12.0;

/// A linear gain factor, within [`MIN_GAIN_DB`]..=[`MAX_GAIN_DB`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Gain(f32);

impl Gain {
    /// 0 dB: samples pass bit-exact.
    pub(crate) const UNITY: Gain = Gain(1.0);

    /// `db` clamped to the bounds; 0 dB (or NaN) is exactly [`UNITY`](Self::UNITY).
    pub(crate) fn from_db(db: f32) -> Gain {
        if db.is_nan() || db == 0.0 {
            return Gain::UNITY;
        }
        Gain(10f32.powf(db.clamp(MIN_GAIN_DB, MAX_GAIN_DB) / 20.0))
    }

    pub(crate) fn is_unity(self) -> bool {
        self == Gain::UNITY
    }

    /// Scales `samples` in place, rounding to nearest and saturating at full scale.
    pub(crate) fn apply(self, samples: &mut [i16]) {
        if self.is_unity() {
            return;
        }
        for s in samples {
            // `as` saturates from f32, so a boosted peak clips instead of wrapping.
            *s = (f32::from(*s) * self.0).round() as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_within_bounds_and_saturates() {
        let mut frame = [1000i16, -1000, 20_000, i16::MIN];
        Gain::from_db(0.0).apply(&mut frame);
        assert_eq!(frame, [1000, -1000, 20_000, i16::MIN]);
        Gain::from_db(6.0).apply(&mut frame);
        assert_eq!(frame, [1995, -1995, i16::MAX, i16::MIN]);
        let mut quiet = [1000i16];
        Gain::from_db(-100.0).apply(&mut quiet);
        assert_eq!(quiet, [63], "clamped to -24 dB");
        assert_eq!(Gain::from_db(40.0), Gain::from_db(MAX_GAIN_DB));
        assert!(Gain::from_db(f32::NAN).is_unity());
    }
}
