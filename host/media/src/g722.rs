//! G.722 streams (ITU-T G.722, 64 kbit/s mode 1) over `ezk-g722`'s port of libg722: one
//! encoder or decoder per RTP stream, each keeping its ADPCM state from frame to frame.

use std::fmt;

use ezk_g722::libg722::{Bitrate, decoder::Decoder, encoder::Encoder};

/// The audio rate of G.722 (its RTP clock is 8 kHz: RFC 3551 §4.5.2).
pub(crate) const G722_RATE: u32 = 16_000;

/// One outgoing G.722 stream: two 16 kHz samples per byte.
pub(crate) struct G722Encoder(Encoder);

impl G722Encoder {
    /// A mode-1 (64 kbit/s) encoder of 16 kHz audio, at its reset state.
    pub(crate) fn new() -> Self {
        G722Encoder(Encoder::new(Bitrate::Mode1_64000, false, false))
    }

    /// Encodes 16 kHz PCM (an even number of samples) into `out`, replacing its contents.
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        *out = self.0.encode(pcm);
    }
}

/// One incoming G.722 stream.
pub(crate) struct G722Decoder(Decoder);

impl G722Decoder {
    /// A mode-1 (64 kbit/s) decoder to 16 kHz audio, at its reset state.
    pub(crate) fn new() -> Self {
        G722Decoder(Decoder::new(Bitrate::Mode1_64000, false, false))
    }

    /// Decodes `payload` into the start of `pcm` (two samples per byte, as many as fit); returns
    /// the samples written.
    pub(crate) fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> usize {
        let bytes = payload.len().min(pcm.len() / 2);
        let decoded = self.0.decode(&payload[..bytes]);
        let n = decoded.len().min(pcm.len());
        pcm[..n].copy_from_slice(&decoded[..n]);
        n
    }
}

impl fmt::Debug for G722Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("G722Encoder")
    }
}

impl fmt::Debug for G722Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("G722Decoder")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wideband_tone_round_trips() {
        let (mut encoder, mut decoder) = (G722Encoder::new(), G722Decoder::new());
        let mut payload = Vec::new();
        let mut pcm = [0i16; 320];
        for frame in 0..10 {
            let tone: Vec<i16> = (0..320)
                .map(|i| {
                    let t = (frame * 320 + i) as f64 / 16_000.0;
                    (8000.0 * (std::f64::consts::TAU * 5000.0 * t).sin()) as i16
                })
                .collect();
            encoder.encode(&tone, &mut payload);
            assert_eq!(payload.len(), 160);
            assert_eq!(decoder.decode(&payload, &mut pcm), 320);
        }
        // A 5 kHz tone, above narrowband, survives.
        let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((6000..10_000).contains(&peak), "peak {peak}");
    }
}
