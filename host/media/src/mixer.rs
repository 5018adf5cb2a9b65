//! Mix-minus for one room and one tick (DESIGN.md, Principle 6).
//!
//! Work scales with talkers, not listeners: the talkers' frames are summed once into an i32
//! total; a talker hears `total − own`; everyone else hears `total` itself, rendered once and,
//! for G.711 (stateless), encoded once per codec and shared. Opus listeners of the plain mix
//! share a room's encoder too, whose state a listener's own encoder takes over when it needs
//! its own mix (see `SharedEncoders`); G.722 encodes every listener's frames with that
//! listener's own encoder. Frames are fixed-size `[i16; N]` arrays so the loops vectorize;
//! samples saturate to i16 only at the end, after the room's [`Limiter`] gain.

use crate::{Codec, Limiter, RoomEncoder};

/// One room's mixer for one tick at a time, generic over the frame length `N` (160 for
/// 8 kHz × 20 ms; 320 or 960 for 16 and 48 kHz rooms).
///
/// Per tick: [`begin`](Self::begin), [`add_talker`](Self::add_talker) for every leg that is
/// talking (has a frame and is not muted), optionally [`limit`](Self::limit) with the room's
/// limiter, then [`payload`](Self::payload) for every listener.
#[derive(Debug)]
pub struct MixMinus<const N: usize> {
    total: [i32; N],
    talkers: usize,
    // This tick's talker frames (the first `talkers`), kept so the limiter sees every
    // mix-minus; the storage is reused from tick to tick.
    frames: Vec<[i16; N]>,
    // The limiter's gain per sample this tick, when `limited`.
    ramp: [f32; N],
    limited: bool,
    // The first `shared_len` entries are this tick's; the rest keep their memory for later ticks.
    shared: Vec<(Codec, Vec<u8>)>,
    shared_len: usize,
    private: Vec<u8>,
    encodes: u64,
    // Whether this tick's total is quiet, once asked.
    quiet: Option<bool>,
    // This tick's plain mix, once rendered for a shared payload.
    plain: Option<[i16; N]>,
}

impl<const N: usize> Default for MixMinus<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> MixMinus<N> {
    /// A mixer with an empty tick.
    pub fn new() -> Self {
        MixMinus {
            total: [0; N],
            talkers: 0,
            frames: Vec::new(),
            ramp: [1.0; N],
            limited: false,
            shared: Vec::new(),
            shared_len: 0,
            private: Vec::with_capacity(N),
            encodes: 0,
            quiet: None,
            plain: None,
        }
    }

    /// Starts a new tick: no talkers, silence total, no shared payloads, no gain.
    pub fn begin(&mut self) {
        self.total = [0; N];
        self.talkers = 0;
        self.limited = false;
        self.shared_len = 0;
        self.quiet = None;
        self.plain = None;
    }

    /// Whether this tick's mix (every talker and announcement summed) stays below -60 dBFS: a
    /// listener's decoder cannot tell one encoder's rendering of it from another's.
    pub fn quiet(&mut self) -> bool {
        *self
            .quiet
            .get_or_insert_with(|| peak(self.total.iter().copied()) < QUIET_PEAK)
    }

    /// Counts an encode of this tick's mix done elsewhere (a room's shared stateful encoder).
    pub(crate) fn count_encode(&mut self) {
        self.encodes += 1;
    }

    /// Adds a talker's decoded frame to the total. Call before the first `payload` of the tick.
    /// (The i32 total cannot overflow below 65 536 talkers.)
    pub fn add_talker(&mut self, frame: &[i16; N]) {
        for (t, &s) in self.total.iter_mut().zip(frame) {
            *t += i32::from(s);
        }
        match self.frames.get_mut(self.talkers) {
            Some(kept) => *kept = *frame,
            None => self.frames.push(*frame),
        }
        self.talkers += 1;
    }

    /// Runs `limiter` (the room's, kept from tick to tick) on this tick's mix: the gain it sets
    /// applies to every listener's mix, from the loudest of the shared mix and each talker's
    /// mix-minus, before any prompt is added. Call after the last `add_talker` and before the
    /// first `payload` of the tick; without it the mix passes at unity.
    pub fn limit(&mut self, limiter: &mut Limiter) {
        let mut peak = peak(self.total.iter().copied());
        for own in &self.frames[..self.talkers] {
            let minus = self.total.iter().zip(own).map(|(&t, &s)| t - i32::from(s));
            peak = peak.max(self::peak(minus));
        }
        self.limited = limiter.next_frame(peak, &mut self.ramp);
    }

    /// Number of talkers added this tick.
    pub fn talkers(&self) -> usize {
        self.talkers
    }

    /// Renders what a listener hears into `out`: the total, minus `own` (the listener's frame,
    /// only if it was added as a talker this tick), times the limiter's gain, plus `overlay` (a
    /// private prompt, at its own level), saturated to i16.
    pub fn render(&self, own: Option<&[i16; N]>, overlay: Option<&[i16; N]>, out: &mut [i16; N]) {
        let mut acc = self.total;
        if let Some(own) = own {
            for (a, &s) in acc.iter_mut().zip(own) {
                *a -= i32::from(s);
            }
        }
        if self.limited {
            for (a, &g) in acc.iter_mut().zip(&self.ramp) {
                *a = (*a as f32 * g).round() as i32;
            }
        }
        if let Some(overlay) = overlay {
            for (a, &s) in acc.iter_mut().zip(overlay) {
                *a += i32::from(s);
            }
        }
        for (o, a) in out.iter_mut().zip(acc) {
            *o = a.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
    }

    /// The encoded payload a listener gets this tick from `encoder` (its own), with `own` and
    /// `overlay` as for [`render`](Self::render). A listener with neither, whose encoder keeps
    /// no state, gets the room's shared payload for its codec, encoded on first request in the
    /// tick and the same bytes for everyone after; any other listener gets a private encode.
    pub fn payload(
        &mut self,
        own: Option<&[i16; N]>,
        overlay: Option<&[i16; N]>,
        encoder: &mut RoomEncoder,
    ) -> &[u8] {
        if own.is_none() && overlay.is_none() && encoder.is_stateless() {
            return self.shared_payload(encoder);
        }
        let mut pcm = [0; N];
        self.render(own, overlay, &mut pcm);
        encoder.encode(&pcm, &mut self.private);
        self.encodes += 1;
        &self.private
    }

    /// Frames encoded since construction (a shared payload counts once).
    pub fn encodes(&self) -> u64 {
        self.encodes
    }

    fn shared_payload(&mut self, encoder: &mut RoomEncoder) -> &[u8] {
        if self.plain.is_none() {
            let mut pcm = [0; N];
            self.render(None, None, &mut pcm);
            self.plain = Some(pcm);
        }
        let plain = self.plain.as_ref().expect("rendered above");
        let codec = encoder.codec();
        let current = &self.shared[..self.shared_len];
        let index = match current.iter().position(|(c, _)| *c == codec) {
            Some(index) => {
                encoder.skip(plain);
                index
            }
            None => {
                if self.shared_len == self.shared.len() {
                    self.shared.push((codec, Vec::with_capacity(N)));
                }
                let (slot_codec, bytes) = &mut self.shared[self.shared_len];
                *slot_codec = codec;
                encoder.encode(plain, bytes);
                self.encodes += 1;
                self.shared_len += 1;
                self.shared_len - 1
            }
        };
        &self.shared[index].1
    }
}

/// The peak below which a mix is quiet: -60 dBFS.
const QUIET_PEAK: i32 = 33;

fn peak(samples: impl Iterator<Item = i32>) -> i32 {
    samples.map(i32::saturating_abs).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LIMIT_CEILING, OpusParams};

    #[test]
    fn talkers_hear_everyone_but_themselves() {
        let mut mixer = MixMinus::<4>::new();
        mixer.begin();
        let (a, b, c) = ([100i16; 4], [20; 4], [3; 4]);
        for frame in [&a, &b, &c] {
            mixer.add_talker(frame);
        }
        assert_eq!(mixer.talkers(), 3);
        let mut out = [0i16; 4];
        mixer.render(Some(&a), None, &mut out);
        assert_eq!(out, [23; 4]);
        mixer.render(Some(&c), Some(&[1000; 4]), &mut out);
        assert_eq!(out, [1120; 4]);
        mixer.render(None, None, &mut out);
        assert_eq!(out, [123; 4]);
    }

    #[test]
    fn saturates_only_at_the_end() {
        let mut mixer = MixMinus::<2>::new();
        mixer.begin();
        for frame in [[30_000i16, -30_000], [30_000, -30_000], [-30_000, 30_000]] {
            mixer.add_talker(&frame);
        }
        let mut out = [0i16; 2];
        mixer.render(None, None, &mut out);
        // 30000 + 30000 − 30000 in i32 is 30000: no clipping on the way.
        assert_eq!(out, [30_000, -30_000]);
        mixer.render(Some(&[-30_000, 30_000]), None, &mut out);
        assert_eq!(out, [i16::MAX, i16::MIN]);
    }

    #[test]
    fn the_limiter_keeps_every_mix_off_full_scale_after_its_attack() {
        let mut mixer = MixMinus::<160>::new();
        let mut limiter = Limiter::default();
        let tone = |k: usize, frame: usize| -> [i16; 160] {
            let freq = 310.0 + 290.0 * k as f64;
            std::array::from_fn(|i| {
                let t = (frame * 160 + i) as f64 / 8000.0;
                (32_767.0 * (std::f64::consts::TAU * freq * t).sin()) as i16
            })
        };
        let mut out = [0i16; 160];
        for frame in 0..100 {
            let talkers: Vec<[i16; 160]> = (0..10).map(|k| tone(k, frame)).collect();
            mixer.begin();
            for talker in &talkers {
                mixer.add_talker(talker);
            }
            mixer.limit(&mut limiter);
            for own in std::iter::once(None).chain(talkers.iter().map(Some)) {
                mixer.render(own, None, &mut out);
                let late = out[40..].iter().map(|s| s.saturating_abs()).max();
                assert!(
                    late <= Some(LIMIT_CEILING as i16),
                    "frame {frame}: {late:?}"
                );
            }
        }
        assert!(limiter.gain() < 0.5, "limiting");
    }

    #[test]
    fn at_unity_the_limiter_changes_nothing() {
        let mut mixer = MixMinus::<4>::new();
        let mut limiter = Limiter::default();
        mixer.begin();
        mixer.add_talker(&[29_000, -29_000, 7, -7]);
        mixer.limit(&mut limiter);
        let mut out = [0i16; 4];
        mixer.render(None, Some(&[1, 1, 1, 1]), &mut out);
        assert_eq!(out, [29_001, -28_999, 8, -6]);
        assert_eq!(limiter.gain(), 1.0);
    }

    #[test]
    fn listeners_share_one_encode_per_codec() {
        let mut mixer = MixMinus::<160>::new();
        let [mut pcmu, mut pcma, mut g722, mut opus] =
            [Codec::Pcmu, Codec::Pcma, Codec::G722, Codec::Opus]
                .map(|c| RoomEncoder::new(c, &OpusParams::default(), 8000));
        mixer.begin();
        let voice = [1234i16; 160];
        mixer.add_talker(&voice);
        let shared = mixer.payload(None, None, &mut pcmu).to_vec();
        assert_eq!(mixer.payload(None, None, &mut pcmu), &shared[..]);
        assert_eq!(mixer.encodes(), 1);
        mixer.payload(None, None, &mut pcma);
        assert_eq!(mixer.encodes(), 2);
        // The talker and a listener with a prompt each get their own encode.
        assert_eq!(
            mixer.payload(Some(&voice), None, &mut pcmu),
            &[0xFF; 160][..]
        );
        mixer.payload(None, Some(&voice), &mut pcmu);
        assert_eq!(mixer.encodes(), 4);
        // Stateful codecs encode for each listener.
        mixer.payload(None, None, &mut g722);
        mixer.payload(None, None, &mut opus);
        assert_eq!(mixer.encodes(), 6);
        // A new tick encodes afresh.
        mixer.begin();
        assert_eq!(mixer.payload(None, None, &mut pcmu), &[0xFF; 160][..]);
        assert_eq!(mixer.encodes(), 7);
    }
}
