//! Mono Opus streams (RFC 6716) over the pure-Rust translation of libopus: one encoder or
//! decoder per RTP stream, at 48 kHz.
//!
//! `unsafe-libopus` keeps libopus's C interface (raw pointers to heap state), so this module is
//! the only place in the crate with `unsafe`: each call below passes a state pointer that its
//! owner created and has not destroyed, and buffers whose lengths are passed with them.
#![allow(unsafe_code)]

use std::fmt;

use unsafe_libopus::{
    OPUS_APPLICATION_VOIP, OPUS_OK, OPUS_SET_BITRATE_REQUEST, OPUS_SET_INBAND_FEC_REQUEST,
    OPUS_SET_PACKET_LOSS_PERC_REQUEST, opus_decode, opus_decoder_create, opus_decoder_destroy,
    opus_encode, opus_encoder_create, opus_encoder_destroy, opus_packet_get_nb_samples,
};

/// The rate every Opus stream here is encoded and decoded at (RFC 7587 §4.1: the RTP clock is
/// 48 kHz whatever the audio bandwidth).
pub(crate) const OPUS_RATE: u32 = 48_000;

/// Bit rate of what we send: wideband speech with room for in-band FEC.
const BITRATE: i32 = 32_000;
/// The loss the encoder protects against with in-band FEC (RFC 7587 §3.3: `useinbandfec=1` is
/// what we ask of peers, and we send it too).
const EXPECTED_LOSS_PERCENT: i32 = 5;
/// The largest Opus packet (RFC 6716 §3.4, R5: 1275 bytes per frame, a few more for the TOC).
const MAX_PACKET: usize = 1500;

/// One outgoing mono Opus stream.
pub(crate) struct OpusEncoder(*mut unsafe_libopus::OpusEncoder);

// SAFETY: the state is owned by this value alone and touched only through `&mut self`.
unsafe impl Send for OpusEncoder {}

impl OpusEncoder {
    /// A VoIP encoder at 48 kHz mono, 32 kbit/s, with in-band FEC for 5 % loss.
    pub(crate) fn new() -> Self {
        let mut error = 0;
        // SAFETY: `error` outlives the call; the arguments are valid constants.
        let state =
            unsafe { opus_encoder_create(OPUS_RATE as i32, 1, OPUS_APPLICATION_VOIP, &mut error) };
        assert!(
            error == OPUS_OK && !state.is_null(),
            "opus encoder: {error}"
        );
        // SAFETY: `state` was just created and is valid.
        unsafe {
            unsafe_libopus::opus_encoder_ctl!(state, OPUS_SET_BITRATE_REQUEST, BITRATE);
            unsafe_libopus::opus_encoder_ctl!(state, OPUS_SET_INBAND_FEC_REQUEST, 1);
            unsafe_libopus::opus_encoder_ctl!(
                state,
                OPUS_SET_PACKET_LOSS_PERC_REQUEST,
                EXPECTED_LOSS_PERCENT
            );
        }
        OpusEncoder(state)
    }

    /// Encodes one frame of 48 kHz PCM (2.5 to 60 ms: 120 to 2880 samples) into `out`,
    /// replacing its contents.
    ///
    /// # Panics
    /// If `pcm` is not a valid Opus frame length.
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.clear();
        out.resize(MAX_PACKET, 0);
        // SAFETY: the state is live; `pcm` holds `pcm.len()` samples and `out` `MAX_PACKET` bytes.
        let written = unsafe {
            opus_encode(
                self.0,
                pcm.as_ptr(),
                pcm.len() as i32,
                out.as_mut_ptr(),
                MAX_PACKET as i32,
            )
        };
        assert!(
            written > 0,
            "opus encode of {} samples: {written}",
            pcm.len()
        );
        out.truncate(written as usize);
    }
}

impl Drop for OpusEncoder {
    fn drop(&mut self) {
        // SAFETY: created by `opus_encoder_create`, destroyed once.
        unsafe { opus_encoder_destroy(self.0) }
    }
}

impl fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpusEncoder")
    }
}

/// One incoming Opus stream, decoded to mono (a stereo stream is down-mixed by the decoder).
pub(crate) struct OpusDecoder(*mut unsafe_libopus::OpusDecoder);

// SAFETY: the state is owned by this value alone and touched only through `&mut self`.
unsafe impl Send for OpusDecoder {}

impl OpusDecoder {
    /// A mono decoder at 48 kHz.
    pub(crate) fn new() -> Self {
        let mut error = 0;
        // SAFETY: `error` outlives the call; the arguments are valid constants.
        let state = unsafe { opus_decoder_create(OPUS_RATE as i32, 1, &mut error) };
        assert!(
            error == OPUS_OK && !state.is_null(),
            "opus decoder: {error}"
        );
        OpusDecoder(state)
    }

    /// Decodes `packet` into the start of `pcm`; returns the samples written, or `None` for a
    /// packet that is not valid Opus or holds more than `pcm` (then `pcm` is unspecified).
    pub(crate) fn decode(&mut self, packet: &[u8], pcm: &mut [i16]) -> Option<usize> {
        self.run(packet, pcm, false)
    }

    /// Fills `pcm` (a whole number of 2.5 ms) with the audio of a lost packet: recovered from
    /// the in-band FEC of `next` (the packet after the lost one) when it carries some, else
    /// concealed (RFC 6716 §4.4). Returns whether it was recovered from FEC.
    pub(crate) fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) -> bool {
        if let Some(next) = next
            && self.run(next, pcm, true) == Some(pcm.len())
        {
            return true;
        }
        self.run(&[], pcm, false);
        false
    }

    fn run(&mut self, packet: &[u8], pcm: &mut [i16], fec: bool) -> Option<usize> {
        let data = if packet.is_empty() {
            std::ptr::null()
        } else {
            packet.as_ptr()
        };
        // SAFETY: the state is live; `packet` holds `packet.len()` bytes (or is null with length
        // 0 for concealment) and `pcm` room for `pcm.len()` mono samples.
        let decoded = unsafe {
            opus_decode(
                self.0,
                data,
                packet.len() as i32,
                pcm.as_mut_ptr(),
                pcm.len() as i32,
                i32::from(fec),
            )
        };
        usize::try_from(decoded).ok()
    }
}

impl Drop for OpusDecoder {
    fn drop(&mut self) {
        // SAFETY: created by `opus_decoder_create`, destroyed once.
        unsafe { opus_decoder_destroy(self.0) }
    }
}

impl fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpusDecoder")
    }
}

/// Samples at 48 kHz (RTP timestamp units) an Opus packet holds, from its TOC byte and frame
/// count (RFC 6716 §3.1); `None` for a packet too short or malformed to tell.
pub(crate) fn packet_samples(packet: &[u8]) -> Option<usize> {
    if packet.is_empty() {
        return None;
    }
    // SAFETY: `packet` holds `packet.len()` bytes.
    let samples = unsafe {
        opus_packet_get_nb_samples(packet.as_ptr(), packet.len() as i32, OPUS_RATE as i32)
    };
    usize::try_from(samples).ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frame: usize) -> Vec<i16> {
        (0..960)
            .map(|i| {
                let t = (frame * 960 + i) as f64 / 48_000.0;
                (8000.0 * (std::f64::consts::TAU * 440.0 * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn frames_round_trip_and_report_their_length() {
        let (mut encoder, mut decoder) = (OpusEncoder::new(), OpusDecoder::new());
        let mut packet = Vec::new();
        let mut pcm = [0i16; 960];
        for frame in 0..10 {
            encoder.encode(&tone(frame), &mut packet);
            assert_eq!(packet_samples(&packet), Some(960));
            assert_eq!(decoder.decode(&packet, &mut pcm), Some(960));
        }
        let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((6000..10_000).contains(&peak), "peak {peak}");
        assert_eq!(packet_samples(&[]), None);
        assert_eq!(decoder.decode(&[0xFF, 0xFF, 0xFF], &mut pcm), None);
    }

    #[test]
    fn a_lost_frame_comes_back_from_the_next_ones_fec() {
        let (mut encoder, mut decoder) = (OpusEncoder::new(), OpusDecoder::new());
        let packets: Vec<Vec<u8>> = (0..20)
            .map(|frame| {
                let mut packet = Vec::new();
                encoder.encode(&tone(frame), &mut packet);
                packet
            })
            .collect();
        let mut pcm = [0i16; 960];
        for packet in &packets[..10] {
            decoder.decode(packet, &mut pcm);
        }
        assert!(decoder.conceal(Some(&packets[11]), &mut pcm));
        let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 3000, "recovered peak {peak}");
        assert!(!decoder.conceal(None, &mut pcm));
    }
}
