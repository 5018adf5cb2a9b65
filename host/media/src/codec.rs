//! Audio codecs a leg can speak, and one-frame encode/decode for each.

use std::time::Duration;

use crate::g711;

/// A negotiated audio codec.
///
/// A `Codec` is a plain descriptor: G.711 is stateless, so encode and decode are methods here. A
/// stateful codec (Opus) would add a variant plus per-stream encoder/decoder state, without
/// changing how the mixer or worker call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codec {
    /// G.711 µ-law, RTP/AVP static payload type 0.
    Pcmu,
    /// G.711 A-law, RTP/AVP static payload type 8.
    Pcma,
}

/// Every `(encoding name, clock rate)` pair this crate can encode and decode, in order of
/// preference, as the shell passes them to SDP offer/answer.
pub const SUPPORTED_ENCODINGS: &[(&str, u32)] = &[
    (Codec::Pcmu.encoding_name(), Codec::Pcmu.clock_rate()),
    (Codec::Pcma.encoding_name(), Codec::Pcma.clock_rate()),
];

impl Codec {
    /// The static RTP payload type (RFC 3551 §6, Table 4): 0 for PCMU, 8 for PCMA.
    pub const fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name as written in SDP `a=rtpmap` ("PCMU", "PCMA").
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The RTP clock rate in Hz (8000 for G.711, RFC 3551 §4.5.14).
    pub const fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
        }
    }

    /// The codec for an SDP encoding name (case-insensitive, as media subtype names are) and
    /// clock rate, or `None` if this crate does not support that pair.
    pub fn from_encoding(name: &str, rate: u32) -> Option<Codec> {
        [Codec::Pcmu, Codec::Pcma]
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.clock_rate() == rate)
    }

    /// Samples (and RTP timestamp units) in one frame of `packet_time` at this codec's clock
    /// rate: 160 for G.711 at 20 ms.
    pub fn samples_per_frame(self, packet_time: Duration) -> usize {
        let per_second = u128::from(self.clock_rate());
        (per_second * packet_time.as_nanos() / 1_000_000_000) as usize
    }

    /// Encodes one frame of 16-bit PCM at the codec's clock rate, replacing the contents of `out`
    /// with the RTP payload (one byte per sample for G.711).
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        out.clear();
        out.resize(pcm.len(), 0);
        match self {
            Codec::Pcmu => g711::encode_ulaw_slice(pcm, out),
            Codec::Pcma => g711::encode_alaw_slice(pcm, out),
        }
    }

    /// Samples an RTP payload of this codec carries (one per byte for G.711).
    pub(crate) fn payload_samples(self, payload: &[u8]) -> usize {
        match self {
            Codec::Pcmu | Codec::Pcma => payload.len(),
        }
    }

    /// Bytes of RTP payload that carry `samples` samples (one per sample for G.711).
    pub(crate) fn payload_len(self, samples: usize) -> usize {
        match self {
            Codec::Pcmu | Codec::Pcma => samples,
        }
    }

    /// Decodes an RTP payload into a whole frame: a payload shorter than the frame (part of a
    /// frame whose next packet is missing) is padded with silence, a longer one is cut to it.
    pub(crate) fn decode_frame(self, payload: &[u8], frame: &mut [i16]) {
        let n = self.decode(payload, frame);
        frame[n..].fill(0);
    }

    /// Decodes an RTP payload into the start of `pcm` and returns how many samples it wrote:
    /// `min(payload samples, pcm.len())`. Samples past that are left untouched.
    pub fn decode(self, payload: &[u8], pcm: &mut [i16]) -> usize {
        let n = payload.len().min(pcm.len());
        match self {
            Codec::Pcmu => g711::decode_ulaw_slice(&payload[..n], &mut pcm[..n]),
            Codec::Pcma => g711::decode_alaw_slice(&payload[..n], &mut pcm[..n]),
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_follow_rfc_3551() {
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(SUPPORTED_ENCODINGS, &[("PCMU", 8000), ("PCMA", 8000)]);
        assert_eq!(Codec::from_encoding("pcmu", 8000), Some(Codec::Pcmu));
        assert_eq!(Codec::from_encoding("PCMA", 8000), Some(Codec::Pcma));
        assert_eq!(Codec::from_encoding("PCMA", 16000), None);
        assert_eq!(Codec::from_encoding("opus", 48000), None);
        assert_eq!(
            Codec::Pcmu.samples_per_frame(Duration::from_millis(20)),
            160
        );
        assert_eq!(
            Codec::Pcma.samples_per_frame(Duration::from_millis(30)),
            240
        );
    }

    #[test]
    fn frames_round_trip_within_g711_error() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| (8000.0 * (i as f64 * 0.3).sin()) as i16)
            .collect();
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut payload = vec![1, 2, 3];
            codec.encode(&pcm, &mut payload);
            assert_eq!(payload.len(), 160);
            let mut back = [0i16; 160];
            assert_eq!(codec.decode(&payload, &mut back), 160);
            for (a, b) in pcm.iter().zip(back) {
                let err = (i32::from(*a) - i32::from(b)).abs();
                assert!(
                    err <= 16 + i32::from(*a).abs() / 32,
                    "{codec:?}: {a} -> {b}"
                );
            }
        }
    }

    #[test]
    fn short_and_long_payloads_decode_what_fits() {
        let mut pcm = [7i16; 4];
        assert_eq!(Codec::Pcmu.decode(&[0xFF, 0xFF], &mut pcm), 2);
        assert_eq!(pcm, [0, 0, 7, 7]);
        assert_eq!(Codec::Pcma.decode(&[0xD5; 9], &mut pcm), 4);
        assert_eq!(pcm, [8; 4]);
    }
}
