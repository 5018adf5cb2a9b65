//! One incoming stream's decoder, whatever its codec.

use crate::Codec;
use crate::g711;
use crate::g722::G722Decoder;
use crate::opus::OpusDecoder;

/// Decodes one RTP stream's payloads, in order. G.711 keeps no state; G.722 and Opus do, so
/// each stream needs its own decoder.
#[derive(Debug)]
pub struct Decoder {
    codec: Codec,
    state: State,
}

#[derive(Debug)]
enum State {
    Stateless,
    G722(Box<G722Decoder>),
    Opus(OpusDecoder),
}

impl Decoder {
    /// A fresh decoder for `codec`.
    pub fn new(codec: Codec) -> Self {
        let state = match codec {
            Codec::Pcmu | Codec::Pcma => State::Stateless,
            Codec::G722 => State::G722(Box::new(G722Decoder::new())),
            Codec::Opus => State::Opus(OpusDecoder::new()),
        };
        Decoder { codec, state }
    }

    /// Its codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Decodes an RTP payload into the start of `pcm`, at the codec's
    /// [`audio_rate`](Codec::audio_rate), and returns how many samples it wrote: as many as the
    /// payload holds and `pcm` has room for (G.711 and G.722 decode what fits; an Opus packet
    /// longer than `pcm` or not valid Opus writes nothing). Samples past that are untouched.
    pub fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> usize {
        match &mut self.state {
            State::Stateless => {
                let n = payload.len().min(pcm.len());
                if self.codec == Codec::Pcmu {
                    g711::decode_ulaw_slice(&payload[..n], &mut pcm[..n]);
                } else {
                    g711::decode_alaw_slice(&payload[..n], &mut pcm[..n]);
                }
                n
            }
            State::G722(decoder) => decoder.decode(payload, pcm),
            State::Opus(decoder) => decoder.decode(payload, pcm).unwrap_or(0),
        }
    }

    /// Whether the codec conceals lost packets itself ([`conceal`](Self::conceal)): Opus does;
    /// G.711 and G.722 leave it to the caller.
    pub fn conceals(&self) -> bool {
        matches!(self.state, State::Opus(_))
    }

    /// Fills `pcm` (a whole number of 2.5 ms at the audio rate) for a lost packet: Opus recovers
    /// it from the in-band FEC of `next` (the packet after the loss, RFC 7587 §3.3) when that
    /// carries some, else runs its own concealment. Codecs that do not
    /// [`conceal`](Self::conceals) fill silence.
    pub fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) {
        match &mut self.state {
            State::Opus(decoder) => decoder.conceal(next, pcm),
            State::Stateless | State::G722(_) => pcm.fill(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Encoder;

    #[test]
    fn g711_frames_round_trip_within_its_error() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| (8000.0 * (i as f64 * 0.3).sin()) as i16)
            .collect();
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut payload = vec![1, 2, 3];
            Encoder::new(codec).encode(&pcm, &mut payload);
            assert_eq!(payload.len(), 160);
            let mut back = [0i16; 160];
            assert_eq!(Decoder::new(codec).decode(&payload, &mut back), 160);
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
        assert_eq!(Decoder::new(Codec::Pcmu).decode(&[0xFF, 0xFF], &mut pcm), 2);
        assert_eq!(pcm, [0, 0, 7, 7]);
        assert_eq!(Decoder::new(Codec::Pcma).decode(&[0xD5; 9], &mut pcm), 4);
        assert_eq!(pcm, [8; 4]);
        let mut wide = [7i16; 6];
        assert_eq!(Decoder::new(Codec::G722).decode(&[0; 9], &mut wide), 6);
        assert_eq!(Decoder::new(Codec::Opus).decode(&[0xFF], &mut wide), 0);
    }
}
