//! ITU-T G.711 companding: µ-law (PCMU) and A-law (PCMA), one byte per 16-bit linear sample.
//!
//! The per-sample functions come from the `audio-codec-algorithms` crate, which is checked
//! bit-exact against the ITU-T G.191 reference tools for all 65 536 inputs; this module adds the
//! slice loops the codecs use.

pub use audio_codec_algorithms::{decode_alaw, decode_ulaw, encode_alaw, encode_ulaw};

/// Encodes each sample of `pcm` to µ-law into `out`, which must be exactly as long.
///
/// # Panics
/// If `out.len() != pcm.len()`.
pub fn encode_ulaw_slice(pcm: &[i16], out: &mut [u8]) {
    assert_eq!(pcm.len(), out.len(), "one µ-law byte per sample");
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = encode_ulaw(s);
    }
}

/// Encodes each sample of `pcm` to A-law into `out`, which must be exactly as long.
///
/// # Panics
/// If `out.len() != pcm.len()`.
pub fn encode_alaw_slice(pcm: &[i16], out: &mut [u8]) {
    assert_eq!(pcm.len(), out.len(), "one A-law byte per sample");
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = encode_alaw(s);
    }
}

/// Decodes each µ-law byte of `codes` into `out`, which must be exactly as long.
///
/// # Panics
/// If `out.len() != codes.len()`.
pub fn decode_ulaw_slice(codes: &[u8], out: &mut [i16]) {
    assert_eq!(codes.len(), out.len(), "one sample per µ-law byte");
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = decode_ulaw(c);
    }
}

/// Decodes each A-law byte of `codes` into `out`, which must be exactly as long.
///
/// # Panics
/// If `out.len() != codes.len()`.
pub fn decode_alaw_slice(codes: &[u8], out: &mut [i16]) {
    assert_eq!(codes.len(), out.len(), "one sample per A-law byte");
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = decode_alaw(c);
    }
}

/// Converts µ-law bytes to A-law in place (each decoded, then encoded again).
pub fn ulaw_to_alaw(codes: &mut [u8]) {
    for code in codes {
        *code = encode_alaw(decode_ulaw(*code));
    }
}

/// Converts A-law bytes to µ-law in place (each decoded, then encoded again).
pub fn alaw_to_ulaw(codes: &mut [u8]) {
    for code in codes {
        *code = encode_ulaw(decode_alaw(*code));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference pairs from ITU-T G.711 Tables 1 and 2 as produced by the G.191 tools (16-bit
    // linear in, even-bit-inverted A-law / inverted µ-law out).
    #[test]
    fn ulaw_matches_itu_reference_values() {
        for (linear, code) in [
            (0i16, 0xFF),
            (-1, 0x7F),
            (32767, 0x80),
            (-32768, 0x00),
            (1000, 0xCE),
            (-1000, 0x4E),
            (8000, 0xA0),
        ] {
            assert_eq!(encode_ulaw(linear), code, "encode {linear}");
        }
        for (code, linear) in [
            (0xFFu8, 0i16),
            (0x7F, 0),
            (0x80, 32124),
            (0x00, -32124),
            (0xCE, 988),
            (0xA0, 7932),
        ] {
            assert_eq!(decode_ulaw(code), linear, "decode {code:#04x}");
        }
    }

    #[test]
    fn alaw_matches_itu_reference_values() {
        for (linear, code) in [
            (0i16, 0xD5),
            (-1, 0x55),
            (32767, 0xAA),
            (-32768, 0x2A),
            (1000, 0xFA),
            (-1000, 0x7A),
        ] {
            assert_eq!(encode_alaw(linear), code, "encode {linear}");
        }
        for (code, linear) in [
            (0xD5u8, 8i16),
            (0x55, -8),
            (0xAA, 32256),
            (0x2A, -32256),
            (0xFA, 1008),
        ] {
            assert_eq!(decode_alaw(code), linear, "decode {code:#04x}");
        }
    }

    #[test]
    fn every_code_word_round_trips() {
        for code in 0..=255u8 {
            // µ-law has two zeros (0xFF and 0x7F); both decode to 0, which encodes to 0xFF.
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(
                encode_ulaw(decode_ulaw(code)),
                expected,
                "µ-law {code:#04x}"
            );
            assert_eq!(encode_alaw(decode_alaw(code)), code, "A-law {code:#04x}");
        }
    }

    #[test]
    fn quantisation_error_is_within_half_a_step() {
        // Segment s spans steps of 2^(s+3) (µ-law) / 2^(s+4) (A-law, s ≥ 1) in 16-bit units, so
        // the error of a mid-step decoder stays below |x|/32 plus the smallest step.
        for x in i16::MIN..=i16::MAX {
            let mag = i32::from(x).abs();
            let mu = (i32::from(decode_ulaw(encode_ulaw(x))) - i32::from(x)).abs();
            // µ-law clips at ±32124 (G.711 Table 2's last decision value).
            let clip = (mag - 32124).max(0);
            assert!(mu <= 8 + mag / 32 + clip, "µ-law {x}: error {mu}");
            let a = (i32::from(decode_alaw(encode_alaw(x))) - i32::from(x)).abs();
            assert!(a <= 16 + mag / 32, "A-law {x}: error {a}");
        }
    }

    #[test]
    fn slices_match_the_sample_functions() {
        let pcm: Vec<i16> = (0..160).map(|i| (i * 409 - 32000) as i16).collect();
        let mut mu = [0u8; 160];
        let mut a = [0u8; 160];
        encode_ulaw_slice(&pcm, &mut mu);
        encode_alaw_slice(&pcm, &mut a);
        let mut back = [0i16; 160];
        decode_ulaw_slice(&mu, &mut back);
        for i in 0..160 {
            assert_eq!(mu[i], encode_ulaw(pcm[i]));
            assert_eq!(back[i], decode_ulaw(mu[i]));
        }
        decode_alaw_slice(&a, &mut back);
        for i in 0..160 {
            assert_eq!(a[i], encode_alaw(pcm[i]));
            assert_eq!(back[i], decode_alaw(a[i]));
        }
    }
}
