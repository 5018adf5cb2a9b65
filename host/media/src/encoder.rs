//! One outgoing stream's encoder, whatever its codec.

use crate::Codec;
use crate::g711;
use crate::g722::G722Encoder;
use crate::opus::{OpusEncoder, OpusParams};

/// Encodes one RTP stream's frames. G.711 keeps no state; G.722 and Opus do, so each stream
/// needs its own encoder, fed every frame in order.
#[derive(Debug)]
pub struct Encoder {
    codec: Codec,
    state: State,
}

#[derive(Debug)]
enum State {
    Stateless,
    G722(Box<G722Encoder>),
    Opus(OpusEncoder),
}

impl Encoder {
    /// A fresh encoder for `codec` (Opus: mono, 32 kbit/s, with RFC 7587's default
    /// parameters).
    pub fn new(codec: Codec) -> Self {
        Self::with_opus(codec, &OpusParams::default())
    }

    /// A fresh encoder for `codec`; an Opus one sends what the peer's `opus` parameters ask.
    pub fn with_opus(codec: Codec, opus: &OpusParams) -> Self {
        let state = match codec {
            Codec::Pcmu | Codec::Pcma => State::Stateless,
            Codec::G722 => State::G722(Box::new(G722Encoder::new())),
            Codec::Opus => State::Opus(OpusEncoder::new(opus)),
        };
        Encoder { codec, state }
    }

    /// Sends what the peer's `opus` parameters ask from the next frame on (nothing for other
    /// codecs); the stream's state carries on.
    pub fn configure_opus(&mut self, opus: &OpusParams) {
        if let State::Opus(encoder) = &mut self.state {
            encoder.configure(opus);
        }
    }

    /// Its codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Whether [`copy_state_from`](Self::copy_state_from) works for it: it keeps state that
    /// can be copied (Opus).
    pub(crate) fn copies_state(&self) -> bool {
        matches!(self.state, State::Opus(_))
    }

    /// Takes `other`'s state, so that this encoder goes on exactly where `other` is; false (and
    /// nothing changes) unless both are Opus encoders.
    pub(crate) fn copy_state_from(&mut self, other: &Encoder) -> bool {
        match (&mut self.state, &other.state) {
            (State::Opus(own), State::Opus(theirs)) => {
                own.copy_state_from(theirs);
                true
            }
            _ => false,
        }
    }

    /// Codes the next frames without prediction from earlier ones, or with it again (see
    /// [`OpusEncoder::set_independent`]); nothing for codecs other than Opus.
    pub(crate) fn set_independent(&mut self, independent: bool) {
        if let State::Opus(encoder) = &mut self.state {
            encoder.set_independent(independent);
        }
    }

    /// Whether it keeps no state between frames, so one encode can serve several streams.
    pub fn is_stateless(&self) -> bool {
        matches!(self.state, State::Stateless)
    }

    /// Encodes one frame of PCM at the codec's [`audio_rate`](Codec::audio_rate) into `out`,
    /// replacing its contents: one byte per sample for G.711, per two samples for G.722, one
    /// Opus packet for Opus (whose frame must be 2.5, 5, 10, 20, 40 or 60 ms).
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        match &mut self.state {
            State::Stateless => {
                out.clear();
                out.resize(pcm.len(), 0);
                if self.codec == Codec::Pcmu {
                    g711::encode_ulaw_slice(pcm, out);
                } else {
                    g711::encode_alaw_slice(pcm, out);
                }
            }
            State::G722(encoder) => encoder.encode(pcm, out),
            State::Opus(encoder) => encoder.encode(pcm, out),
        }
    }
}
