//! Audio codecs a leg can speak: what SDP and RTP say about each.

use std::time::Duration;

use crate::g711;
use crate::g722::G722_RATE;
use crate::opus::{self, OPUS_RATE};

/// A negotiated audio codec. Its per-stream state is an [`Encoder`](crate::Encoder) or a
/// [`Decoder`](crate::Decoder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codec {
    /// G.711 µ-law, RTP/AVP static payload type 0, 8 kHz.
    Pcmu,
    /// G.711 A-law, RTP/AVP static payload type 8, 8 kHz.
    Pcma,
    /// G.722 at 64 kbit/s, static payload type 9: 16 kHz audio on an 8 kHz RTP clock (RFC 3551
    /// §4.5.2).
    G722,
    /// Opus (RFC 7587), dynamic payload type, 48 kHz RTP clock; sent mono, received mono or
    /// stereo (down-mixed).
    Opus,
}

/// Every codec, in our order of preference: the widest band first.
const ALL: [Codec; 4] = [Codec::Opus, Codec::G722, Codec::Pcmu, Codec::Pcma];

/// Every `(encoding name, clock rate)` pair this crate can encode and decode, in order of
/// preference, as the shell passes them to SDP offer/answer.
pub const SUPPORTED_ENCODINGS: &[(&str, u32)] = &[
    (ALL[0].encoding_name(), ALL[0].clock_rate()),
    (ALL[1].encoding_name(), ALL[1].clock_rate()),
    (ALL[2].encoding_name(), ALL[2].clock_rate()),
    (ALL[3].encoding_name(), ALL[3].clock_rate()),
];

impl Codec {
    /// The RTP payload type we use for it when we choose: the static one (RFC 3551 §6, Table 4:
    /// 0 for PCMU, 8 for PCMA, 9 for G.722), 111 for Opus (dynamic, RFC 3551 §3).
    pub const fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::G722 => 9,
            Codec::Opus => 111,
        }
    }

    /// The encoding name as written in SDP `a=rtpmap` ("PCMU", "PCMA", "G722", "opus").
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
            Codec::Opus => "opus",
        }
    }

    /// The RTP clock rate in Hz, as in SDP: 8000 for G.711 and G.722 (RFC 3551 §4.5.2: G.722's
    /// clock runs at half its sampling rate, for historical reasons), 48 000 for Opus.
    pub const fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G722 => 8000,
            Codec::Opus => OPUS_RATE,
        }
    }

    /// The sampling rate of the audio the codec carries, in Hz: 8000, 8000, 16 000, 48 000.
    /// [`Encoder`](crate::Encoder) and [`Decoder`](crate::Decoder) take and give PCM at it.
    pub const fn audio_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::G722 => G722_RATE,
            Codec::Opus => OPUS_RATE,
        }
    }

    /// The channels in its SDP `a=rtpmap` (RFC 7587 §7: always 2 for Opus, whatever is sent).
    pub const fn sdp_channels(self) -> u16 {
        match self {
            Codec::Opus => 2,
            Codec::Pcmu | Codec::Pcma | Codec::G722 => 1,
        }
    }

    /// The codec for an SDP encoding name (case-insensitive, as media subtype names are) and
    /// clock rate, or `None` if this crate does not support that pair.
    pub fn from_encoding(name: &str, rate: u32) -> Option<Codec> {
        ALL.into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.clock_rate() == rate)
    }

    /// RTP timestamp units in one frame of `packet_time`: 160 for G.711 and G.722 at 20 ms,
    /// 960 for Opus.
    pub fn samples_per_frame(self, packet_time: Duration) -> usize {
        let per_second = u128::from(self.clock_rate());
        (per_second * packet_time.as_nanos() / 1_000_000_000) as usize
    }

    /// RTP timestamp units an RTP payload of this codec carries (one per byte for G.711 and
    /// G.722; from its TOC byte for Opus), or `None` for an Opus packet whose framing is
    /// invalid (RFC 6716 §3.2), which cannot be decoded.
    pub(crate) fn payload_samples(self, payload: &[u8]) -> Option<usize> {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G722 => Some(payload.len()),
            Codec::Opus => opus::packet_samples(payload),
        }
    }

    /// The other G.711 law, for PCMU and PCMA.
    pub const fn other_law(self) -> Option<Codec> {
        match self {
            Codec::Pcmu => Some(Codec::Pcma),
            Codec::Pcma => Some(Codec::Pcmu),
            Codec::G722 | Codec::Opus => None,
        }
    }

    /// Converts, in place, a payload of the [`other_law`](Self::other_law) to this codec's;
    /// leaves any other codec's as it is.
    pub(crate) fn convert_from_other_law(self, payload: &mut [u8]) {
        match self {
            Codec::Pcmu => g711::alaw_to_ulaw(payload),
            Codec::Pcma => g711::ulaw_to_alaw(payload),
            Codec::G722 | Codec::Opus => {}
        }
    }

    /// Bytes of RTP payload that carry `samples` RTP timestamp units, for codecs whose payload
    /// can be cut and joined anywhere (one byte per unit for G.711 and G.722); `None` for Opus,
    /// whose packets are sent and taken whole.
    pub(crate) fn payload_len(self, samples: usize) -> Option<usize> {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G722 => Some(samples),
            Codec::Opus => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_follow_rfc_3551_and_7587() {
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::G722.payload_type(), 9);
        assert_eq!(
            SUPPORTED_ENCODINGS,
            &[
                ("opus", 48_000),
                ("G722", 8000),
                ("PCMU", 8000),
                ("PCMA", 8000)
            ]
        );
        assert_eq!(Codec::from_encoding("pcmu", 8000), Some(Codec::Pcmu));
        assert_eq!(Codec::from_encoding("PCMA", 8000), Some(Codec::Pcma));
        assert_eq!(Codec::from_encoding("g722", 8000), Some(Codec::G722));
        assert_eq!(Codec::from_encoding("OPUS", 48_000), Some(Codec::Opus));
        assert_eq!(Codec::from_encoding("PCMA", 16000), None);
        assert_eq!(Codec::from_encoding("G722", 16000), None);
        assert_eq!(Codec::from_encoding("opus", 16000), None);
        let frame = Duration::from_millis(20);
        assert_eq!(Codec::Pcmu.samples_per_frame(frame), 160);
        assert_eq!(Codec::G722.samples_per_frame(frame), 160);
        assert_eq!(Codec::Opus.samples_per_frame(frame), 960);
        assert_eq!(
            Codec::Pcma.samples_per_frame(Duration::from_millis(30)),
            240
        );
        assert_eq!(Codec::G722.audio_rate(), 16_000);
        assert_eq!(Codec::Opus.sdp_channels(), 2);
    }
}
