//! Mono Opus streams (RFC 6716) over the pure-Rust translation of libopus: one encoder or
//! decoder per RTP stream, at 48 kHz.
//!
//! `unsafe-libopus` keeps libopus's C interface (raw pointers to heap state), so this module is
//! the only place in the crate with `unsafe`: each call below passes a state pointer that its
//! owner created and has not destroyed, and buffers whose lengths are passed with them.
#![allow(unsafe_code)]

use std::fmt;

use unsafe_libopus::{
    OPUS_APPLICATION_VOIP, OPUS_BANDWIDTH_FULLBAND, OPUS_BANDWIDTH_MEDIUMBAND,
    OPUS_BANDWIDTH_NARROWBAND, OPUS_BANDWIDTH_SUPERWIDEBAND, OPUS_BANDWIDTH_WIDEBAND, OPUS_OK,
    OPUS_SET_BITRATE_REQUEST, OPUS_SET_INBAND_FEC_REQUEST, OPUS_SET_MAX_BANDWIDTH_REQUEST,
    OPUS_SET_PACKET_LOSS_PERC_REQUEST, OPUS_SET_PREDICTION_DISABLED_REQUEST, OPUS_SET_VBR_REQUEST,
    opus_decode, opus_decoder_create, opus_decoder_destroy, opus_encode, opus_encoder_create,
    opus_encoder_destroy, opus_encoder_get_size, opus_packet_get_nb_samples, opus_packet_parse,
    opus_repacketizer_cat, opus_repacketizer_create, opus_repacketizer_destroy,
    opus_repacketizer_init, opus_repacketizer_out,
};

/// The rate every Opus stream here is encoded and decoded at (RFC 7587 §4.1: the RTP clock is
/// 48 kHz whatever the audio bandwidth).
pub(crate) const OPUS_RATE: u32 = 48_000;

/// Bit rate of what we send, unless the peer's `maxaveragebitrate` is lower: wideband speech
/// with room for in-band FEC.
const BITRATE: u32 = 32_000;
/// The loss the encoder protects against with in-band FEC, for a peer that uses it.
const EXPECTED_LOSS_PERCENT: i32 = 5;

/// What a peer's Opus format parameters (`a=fmtp`, RFC 7587 §6.1) ask of the stream we send it;
/// each describes the peer's receiving side. `stereo` needs nothing: we always send mono, which
/// every Opus decoder takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpusParams {
    /// `maxplaybackrate`: the highest audio rate the peer plays, in Hz; the encoder keeps to
    /// the audio bandwidth it allows (8000: narrowband … above 24000: fullband).
    pub max_playback_rate: u32,
    /// `useinbandfec=1`: the peer can recover a lost packet from the next one's in-band FEC,
    /// so we send some.
    pub inband_fec: bool,
    /// `maxaveragebitrate`: a cap on our bit rate, in bit/s.
    pub max_average_bitrate: Option<u32>,
    /// `cbr=1`: the peer asks for constant bit rate.
    pub cbr: bool,
}

impl Default for OpusParams {
    /// RFC 7587's defaults: 48 kHz playback, no in-band FEC, no bit rate cap, variable bit rate.
    fn default() -> Self {
        OpusParams {
            max_playback_rate: OPUS_RATE,
            inband_fec: false,
            max_average_bitrate: None,
            cbr: false,
        }
    }
}

impl OpusParams {
    // The widest audio bandwidth a decoder playing at `max_playback_rate` can use (RFC 7587
    // §6.1; RFC 6716 §2 table 1).
    fn max_bandwidth(&self) -> i32 {
        match self.max_playback_rate {
            ..=8000 => OPUS_BANDWIDTH_NARROWBAND,
            8001..=12_000 => OPUS_BANDWIDTH_MEDIUMBAND,
            12_001..=16_000 => OPUS_BANDWIDTH_WIDEBAND,
            16_001..=24_000 => OPUS_BANDWIDTH_SUPERWIDEBAND,
            _ => OPUS_BANDWIDTH_FULLBAND,
        }
    }

    fn bitrate(&self) -> i32 {
        self.max_average_bitrate
            .map_or(BITRATE, |cap| cap.min(BITRATE)) as i32
    }
}
/// The largest Opus packet (RFC 6716 §3.4, R5: 1275 bytes per frame, a few more for the TOC).
const MAX_PACKET: usize = 1500;

/// One outgoing mono Opus stream.
pub(crate) struct OpusEncoder(*mut unsafe_libopus::OpusEncoder);

// SAFETY: the state is owned by this value alone and touched only through `&mut self`.
unsafe impl Send for OpusEncoder {}

impl OpusEncoder {
    /// A VoIP encoder at 48 kHz mono, 32 kbit/s (or less), sending what `params` ask.
    pub(crate) fn new(params: &OpusParams) -> Self {
        let mut error = 0;
        // SAFETY: `error` outlives the call; the arguments are valid constants.
        let state =
            unsafe { opus_encoder_create(OPUS_RATE as i32, 1, OPUS_APPLICATION_VOIP, &mut error) };
        assert!(
            error == OPUS_OK && !state.is_null(),
            "opus encoder: {error}"
        );
        let mut encoder = OpusEncoder(state);
        encoder.configure(params);
        encoder
    }

    /// Takes `other`'s whole state (its parameters included), so that this encoder goes on
    /// exactly where `other` is: the next frame encodes to the same bytes on both.
    pub(crate) fn copy_state_from(&mut self, other: &OpusEncoder) {
        // SAFETY: both states were made by `opus_encoder_create` for one channel, so both are
        // `opus_encoder_get_size(1)` bytes; libopus keeps no pointer into its own state (its
        // parts are found by offsets; the CELT mode pointer is to static data), so a byte copy
        // is a valid state.
        unsafe {
            let size = opus_encoder_get_size(1) as usize;
            std::ptr::copy_nonoverlapping(other.0.cast::<u8>(), self.0.cast::<u8>(), size);
        }
    }

    /// Sends what `params` ask from the next frame on; the stream's state carries on.
    pub(crate) fn configure(&mut self, params: &OpusParams) {
        let fec = i32::from(params.inband_fec);
        let loss = if params.inband_fec {
            EXPECTED_LOSS_PERCENT
        } else {
            0
        };
        // SAFETY: the state is live; each request takes one i32.
        unsafe {
            unsafe_libopus::opus_encoder_ctl!(self.0, OPUS_SET_BITRATE_REQUEST, params.bitrate());
            unsafe_libopus::opus_encoder_ctl!(self.0, OPUS_SET_INBAND_FEC_REQUEST, fec);
            unsafe_libopus::opus_encoder_ctl!(self.0, OPUS_SET_PACKET_LOSS_PERC_REQUEST, loss);
            unsafe_libopus::opus_encoder_ctl!(
                self.0,
                OPUS_SET_MAX_BANDWIDTH_REQUEST,
                params.max_bandwidth()
            );
            unsafe_libopus::opus_encoder_ctl!(self.0, OPUS_SET_VBR_REQUEST, i32::from(!params.cbr));
        }
    }

    /// Codes the next frames without prediction from earlier ones (`true`): a decoder that
    /// decoded another stream of the same audio until now decodes them as this stream's own
    /// decoder would, but for the overlap with the last frame; or with prediction again
    /// (`false`, the default).
    pub(crate) fn set_independent(&mut self, independent: bool) {
        // SAFETY: the state is live; the request takes one i32.
        unsafe {
            unsafe_libopus::opus_encoder_ctl!(
                self.0,
                OPUS_SET_PREDICTION_DISABLED_REQUEST,
                i32::from(independent)
            );
        }
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
    /// concealed (RFC 6716 §4.4; libopus conceals by itself when `next` has no FEC).
    pub(crate) fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) {
        if let Some(next) = next
            && self.run(next, pcm, true) == Some(pcm.len())
        {
            return;
        }
        self.run(&[], pcm, false);
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

/// The longest Opus packet: 120 ms (RFC 6716 §3.2.5), in samples at 48 kHz.
pub(crate) const MAX_PACKET_SAMPLES: usize = 5760;

/// Joins consecutive Opus packets into one (RFC 6716 §3.2: a code 3 packet of their frames), as
/// a peer asking for a ptime above 20 ms wants them, or to decode short packets as one.
pub(crate) struct OpusJoiner(*mut unsafe_libopus::OpusRepacketizer);

// SAFETY: the state is owned by this value alone and touched only through `&mut self`.
unsafe impl Send for OpusJoiner {}

impl OpusJoiner {
    pub(crate) fn new() -> Self {
        // SAFETY: no arguments; the result is checked.
        let state = unsafe { opus_repacketizer_create() };
        assert!(!state.is_null(), "opus repacketizer");
        OpusJoiner(state)
    }

    /// Joins the packets that `bytes` holds back to back, `lens` long each, into `out` (its
    /// contents replaced); false, with `out` unspecified, when they cannot be one packet: their
    /// modes, bandwidths or frame sizes differ (RFC 6716 §3.2.5), they are malformed, or they
    /// hold more than 120 ms.
    pub(crate) fn join(&mut self, bytes: &[u8], lens: &[usize], out: &mut Vec<u8>) -> bool {
        // SAFETY: the state is live; each packet slice lies within `bytes`, which outlives
        // the join (the repacketizer keeps pointers into it until `out` is written), and `out`
        // has `capacity` bytes.
        unsafe {
            opus_repacketizer_init(self.0);
            let mut at = 0;
            for &len in lens {
                let Some(packet) = bytes.get(at..at + len) else {
                    return false;
                };
                if opus_repacketizer_cat(self.0, packet.as_ptr(), len as i32) != OPUS_OK {
                    return false;
                }
                at += len;
            }
            let capacity = bytes.len() + 8 * lens.len() + 8;
            out.clear();
            out.resize(capacity, 0);
            let written = opus_repacketizer_out(self.0, out.as_mut_ptr(), capacity as i32);
            match usize::try_from(written) {
                Ok(written) if written > 0 => {
                    out.truncate(written);
                    true
                }
                _ => false,
            }
        }
    }
}

impl Drop for OpusJoiner {
    fn drop(&mut self) {
        // SAFETY: created by `opus_repacketizer_create`, destroyed once.
        unsafe { opus_repacketizer_destroy(self.0) }
    }
}

impl fmt::Debug for OpusJoiner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpusJoiner")
    }
}

/// Samples at 48 kHz (RTP timestamp units) an Opus packet holds, from its TOC byte and frame
/// count (RFC 6716 §3.1); `None` for a packet whose framing is invalid (see [`well_framed`]),
/// which no decoder takes.
pub(crate) fn packet_samples(packet: &[u8]) -> Option<usize> {
    well_framed(packet)
        .then(|| nominal_samples(packet))
        .flatten()
}

/// Samples at 48 kHz an Opus packet's TOC byte and frame count say it holds (RFC 6716 §3.1),
/// whether or not the frames that follow are framed validly; `None` for a packet too short to
/// tell.
pub(crate) fn nominal_samples(packet: &[u8]) -> Option<usize> {
    if packet.is_empty() {
        return None;
    }
    // SAFETY: `packet` holds `packet.len()` bytes.
    let samples = unsafe {
        opus_packet_get_nb_samples(packet.as_ptr(), packet.len() as i32, OPUS_RATE as i32)
    };
    usize::try_from(samples).ok().filter(|&n| n > 0)
}

/// Whether `packet` is framed as RFC 6716 §3.2 requires: a TOC byte, then one frame (code 0),
/// two of equal length (code 1: an even number of bytes), two with the first's length coded
/// (code 2), or a frame count byte and the frames it says (code 3), each frame at most 1275
/// bytes and the packet at most 120 ms (R1–R7, §3.4).
fn well_framed(packet: &[u8]) -> bool {
    let Ok(len) = i32::try_from(packet.len()) else {
        return false;
    };
    // Code 3 counts at most 48 frames of 2.5 ms within its 120 ms.
    let mut frame_lens = [0i16; 48];
    let mut toc = 0;
    // SAFETY: `packet` holds `len` bytes; the frame lengths written are at most 48 (the parser
    // refuses more than 120 ms of frames), into `frame_lens`; the frame pointers and payload
    // offset are not asked for.
    let frames = unsafe {
        opus_packet_parse(
            packet.as_ptr(),
            len,
            &mut toc,
            std::ptr::null_mut(),
            frame_lens.as_mut_ptr(),
            std::ptr::null_mut(),
        )
    };
    frames > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_framed_against_rfc_6716_hold_no_samples() {
        // A 20 ms SILK TOC (config 1) with codes 0–3.
        let valid: [&[u8]; 5] = [
            &[0x08],
            &[0x09, 1, 2],
            &[0x0A, 1, 7, 2],
            &[0x0B, 0x03, 1, 2, 3],
            &[0x0B, 0x83, 1, 1, 7, 2, 3],
        ];
        for packet in valid {
            assert!(packet_samples(packet).is_some(), "{packet:02x?}");
        }
        let invalid: [&[u8]; 7] = [
            // Code 1: an odd number of bytes for its two equal frames.
            &[0x79, 0, 0, 0],
            // Code 2: the first frame longer than the packet.
            &[0x0A, 5, 1],
            // Code 3: no count byte, no frame, more than 120 ms (seven 20 ms frames), and CBR
            // frames that do not divide the bytes evenly.
            &[0x0B],
            &[0x0B, 0x00],
            &[0x0B, 0x07, 1, 2, 3, 4, 5, 6, 7],
            &[0x0B, 0x02, 1, 2, 3],
            // Code 0: a frame longer than 1275 bytes.
            &[0x08; 1277],
        ];
        for packet in invalid {
            assert_eq!(packet_samples(packet), None, "{packet:02x?}");
        }
    }

    // Frame `frame` of a phase-continuous sine of `freq` Hz at 48 kHz.
    fn sine(freq: f64, frame: usize) -> Vec<i16> {
        (0..960)
            .map(|i| {
                let t = (frame * 960 + i) as f64 / 48_000.0;
                (8000.0 * (std::f64::consts::TAU * freq * t).sin()) as i16
            })
            .collect()
    }

    fn tone(frame: usize) -> Vec<i16> {
        sine(440.0, frame)
    }

    #[test]
    fn frames_round_trip_and_report_their_length() {
        let (mut encoder, mut decoder) =
            (OpusEncoder::new(&OpusParams::default()), OpusDecoder::new());
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

    // Frames of a 440 Hz tone, but frame 10 a 1200 Hz one.
    fn signal(frame: usize) -> Vec<i16> {
        sine(if frame == 10 { 1200.0 } else { 440.0 }, frame)
    }

    // The amplitude of `freq` in `pcm` at 48 kHz (Goertzel).
    fn level_at(pcm: &[i16], freq: f64) -> f64 {
        let coeff = 2.0 * (std::f64::consts::TAU * freq / 48_000.0).cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in pcm {
            let s = f64::from(x) + coeff * s1 - s2;
            (s2, s1) = (s1, s);
        }
        2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0).sqrt() / pcm.len() as f64
    }

    // The packets of 20 frames of `source` encoded for a peer with `params`.
    fn packets_with(params: &OpusParams, source: impl Fn(usize) -> Vec<i16>) -> Vec<Vec<u8>> {
        let mut encoder = OpusEncoder::new(params);
        (0..20)
            .map(|frame| {
                let mut packet = Vec::new();
                encoder.encode(&source(frame), &mut packet);
                packet
            })
            .collect()
    }

    // What a decoder renders for frame 10 of `signal` lost, with the packets encoded for a
    // peer with `params`: the 1200 Hz level of it.
    fn recovered_level(params: &OpusParams) -> f64 {
        let packets = packets_with(params, signal);
        let mut decoder = OpusDecoder::new();
        let mut pcm = [0i16; 960];
        for packet in &packets[..10] {
            decoder.decode(packet, &mut pcm);
        }
        decoder.conceal(Some(&packets[11]), &mut pcm);
        level_at(&pcm, 1200.0)
    }

    #[test]
    fn a_lost_frame_comes_back_from_the_next_ones_fec_for_a_peer_that_uses_it() {
        let fec = OpusParams {
            inband_fec: true,
            ..OpusParams::default()
        };
        // Concealment continues the 440 Hz tone; only FEC knows the lost frame was 1200 Hz.
        let with_fec = recovered_level(&fec);
        let without = recovered_level(&OpusParams::default());
        assert!(with_fec > 2000.0, "recovered from FEC: {with_fec}");
        assert!(without < 500.0, "concealed without FEC: {without}");
    }

    #[test]
    fn a_lost_speech_frame_is_concealed_at_the_level_before_it() {
        // 16 kbit/s for a 16 kHz player: SILK, the speech codec of Opus (RFC 6716 §2).
        let speech = OpusParams {
            max_playback_rate: 16_000,
            max_average_bitrate: Some(16_000),
            ..OpusParams::default()
        };
        let packets = packets_with(&speech, tone);
        // RFC 6716 §3.1: TOC configurations 0 to 11 are SILK-only.
        assert!(packets.iter().all(|p| p[0] >> 3 < 12), "SILK packets");
        let mut decoder = OpusDecoder::new();
        let mut pcm = [0i16; 960];
        for packet in &packets[..10] {
            decoder.decode(packet, &mut pcm);
        }
        let before = level_at(&pcm, 440.0);
        let mut concealed = [0i16; 960];
        decoder.conceal(None, &mut concealed);
        let mut after = [0i16; 960];
        decoder.decode(&packets[11], &mut after);
        for (what, pcm) in [("concealed", &concealed), ("next", &after)] {
            let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
            let level = level_at(pcm, 440.0);
            assert!(peak < 12_000, "{what}: peak {peak}");
            assert!(
                level > before / 2.0,
                "{what}: 440 Hz at {level}, {before} before"
            );
        }
    }

    #[test]
    fn joined_packets_decode_as_their_frames_in_order() {
        let packets = packets_with(&OpusParams::default(), tone);
        let mut joiner = OpusJoiner::new();
        let mut joined = Vec::new();
        let bytes = packets[..3].concat();
        let lens: Vec<usize> = packets[..3].iter().map(Vec::len).collect();
        assert!(joiner.join(&bytes, &lens, &mut joined));
        assert_eq!(packet_samples(&joined), Some(3 * 960));
        let (mut whole, mut parts) = (OpusDecoder::new(), OpusDecoder::new());
        let mut from_joined = vec![0i16; 3 * 960];
        assert_eq!(whole.decode(&joined, &mut from_joined), Some(3 * 960));
        let mut one_by_one = Vec::new();
        for packet in &packets[..3] {
            let mut pcm = [0i16; 960];
            parts.decode(packet, &mut pcm);
            one_by_one.extend_from_slice(&pcm);
        }
        assert_eq!(from_joined, one_by_one);
        // Seven 20 ms frames are over 120 ms; a code 3 packet needs its frame count byte; a
        // length beyond the bytes is refused.
        let seven: Vec<u8> = packets[..7].concat();
        let lens: Vec<usize> = packets[..7].iter().map(Vec::len).collect();
        assert!(!joiner.join(&seven, &lens, &mut joined));
        assert!(!joiner.join(&[0x03], &[1], &mut joined));
        assert!(!joiner.join(&bytes[..2], &[5], &mut joined));
    }

    #[test]
    fn a_copied_state_encodes_the_same_bytes() {
        let params = OpusParams {
            inband_fec: true,
            ..OpusParams::default()
        };
        let (mut shared, mut own) = (OpusEncoder::new(&params), OpusEncoder::new(&params));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for frame in 0..5 {
            shared.encode(&tone(frame), &mut a);
        }
        own.copy_state_from(&shared);
        for frame in 5..15 {
            shared.encode(&tone(frame), &mut a);
            own.encode(&tone(frame), &mut b);
            assert_eq!(a, b, "frame {frame}");
        }
    }

    #[test]
    fn max_playback_rate_bounds_the_audio_bandwidth() {
        for (rate, widest) in [
            (8000, OPUS_BANDWIDTH_NARROWBAND),
            (16_000, OPUS_BANDWIDTH_WIDEBAND),
            (48_000, OPUS_BANDWIDTH_FULLBAND),
        ] {
            let params = OpusParams {
                max_playback_rate: rate,
                ..OpusParams::default()
            };
            for packet in packets_with(&params, tone) {
                // SAFETY: the packet holds at least its TOC byte.
                let bandwidth =
                    unsafe { unsafe_libopus::opus_packet_get_bandwidth(packet.as_ptr()) };
                assert!(bandwidth <= widest, "{rate} Hz: bandwidth {bandwidth}");
            }
        }
    }

    #[test]
    fn max_average_bitrate_and_cbr_shape_the_packets() {
        let capped = OpusParams {
            max_average_bitrate: Some(8000),
            ..OpusParams::default()
        };
        // 8 kbit/s is 20 bytes per 20 ms frame; 32 kbit/s, 80.
        let mean =
            |packets: &[Vec<u8>]| packets.iter().map(Vec::len).sum::<usize>() / packets.len();
        assert!(mean(&packets_with(&capped, tone)) <= 24);
        assert!(mean(&packets_with(&OpusParams::default(), tone)) >= 60);
        let cbr = OpusParams {
            cbr: true,
            ..OpusParams::default()
        };
        let sizes: Vec<usize> = packets_with(&cbr, tone).iter().map(Vec::len).collect();
        assert!(sizes[1..].iter().all(|&n| n == sizes[1]), "{sizes:?}");
    }
}
