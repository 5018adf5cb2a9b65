//! Prompt::from_wav with WAV files written by hound in the test.

mod common;

use std::io::Cursor;
use std::time::Duration;

use common::goertzel;
use hound::{SampleFormat, WavSpec, WavWriter};
use switchyard_media::{Prompt, PromptError, g711};

/// One second of `freq` Hz at amplitude 0.5 (full scale 1.0), `channels` identical or, for two
/// channels, the right one at `right_freq`.
fn wav(rate: u32, channels: u16, bits: u16, float: bool, freq: f64, right_freq: f64) -> Vec<u8> {
    let spec = WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            SampleFormat::Float
        } else {
            SampleFormat::Int
        },
    };
    let mut bytes = Cursor::new(Vec::new());
    let mut writer = WavWriter::new(&mut bytes, spec).unwrap();
    let full = f64::from((1u32 << (bits - 1)) - 1);
    for i in 0..rate {
        for ch in 0..channels {
            let f = if ch == 1 { right_freq } else { freq };
            let x = 0.5 * (2.0 * std::f64::consts::PI * f * f64::from(i) / f64::from(rate)).sin();
            if float {
                writer.write_sample(x as f32).unwrap();
            } else if bits == 8 {
                writer.write_sample((x * full) as i8).unwrap();
            } else if bits == 16 {
                writer.write_sample((x * full) as i16).unwrap();
            } else {
                writer.write_sample((x * full) as i32).unwrap();
            }
        }
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

fn assert_one_second_tone(prompt: &Prompt, freq: f64, amplitude: f64) {
    assert_eq!(prompt.duration(), Duration::from_secs(1));
    assert_eq!(prompt.samples().len(), 8000);
    // Skip the filter's edges.
    let level = goertzel(&prompt.samples()[400..7600], freq, 8000.0);
    assert!(
        (level - amplitude).abs() < amplitude * 0.05,
        "{freq} Hz at {level}, want {amplitude}"
    );
}

#[test]
fn mono_16_bit_at_common_rates() {
    for rate in [8000, 16_000, 22_050, 44_100] {
        let prompt = Prompt::from_wav(&wav(rate, 1, 16, false, 1000.0, 0.0)).unwrap();
        assert_one_second_tone(&prompt, 1000.0, 16_384.0);
    }
}

#[test]
fn other_bit_depths_and_float() {
    for (bits, float) in [(8, false), (24, false), (32, false), (32, true)] {
        let prompt = Prompt::from_wav(&wav(16_000, 1, bits, float, 1000.0, 0.0)).unwrap();
        assert_one_second_tone(&prompt, 1000.0, 16_384.0);
    }
}

#[test]
fn stereo_is_averaged_to_mono() {
    let prompt = Prompt::from_wav(&wav(44_100, 2, 16, false, 600.0, 1500.0)).unwrap();
    assert_one_second_tone(&prompt, 600.0, 8192.0);
    assert_one_second_tone(&prompt, 1500.0, 8192.0);
}

#[test]
fn content_above_4_khz_does_not_alias() {
    // Without an anti-alias filter, 6 kHz at 44.1 kHz would fold down to 2 kHz.
    let prompt = Prompt::from_wav(&wav(44_100, 1, 16, false, 6000.0, 0.0)).unwrap();
    let samples = &prompt.samples()[400..7600];
    assert!(goertzel(samples, 2000.0, 8000.0) < 100.0);
    assert!(samples.iter().all(|s| s.abs() < 300));
}

#[test]
fn garbage_is_an_error() {
    assert!(matches!(
        Prompt::from_wav(b"RIFF\x04\0\0\0WAVEnope"),
        Err(PromptError::Wav(_))
    ));
}

#[test]
fn a_rate_of_zero_or_beyond_192_khz_is_an_error() {
    for rate in [0u32, 999, 192_001, 1_000_000_000] {
        // hound writes no such header, but reads one: a valid file's rate fields rewritten.
        let mut bytes = wav(8000, 1, 16, false, 1000.0, 0.0);
        bytes[24..28].copy_from_slice(&rate.to_le_bytes());
        bytes[28..32].copy_from_slice(&(2 * rate).to_le_bytes());
        assert!(
            matches!(
                Prompt::from_wav(&bytes),
                Err(PromptError::UnsupportedRate(r)) if r == rate
            ),
            "{rate} Hz"
        );
    }
}

/// A G.711 WAV file as SEMS's wav plug-in reads it: format tag `tag` (6 A-law, 7 µ-law), 8 kHz
/// mono, an 18-byte fmt chunk, an odd-sized chunk before the data, followed by its pad byte if
/// `padded` (RIFF has one; SEMS reads files with or without).
fn g711_wav(tag: u16, codes: &[u8], padded: bool) -> Vec<u8> {
    let mut fmt = Vec::new();
    for field in [tag, 1] {
        fmt.extend(field.to_le_bytes());
    }
    for field in [8000u32, 8000] {
        fmt.extend(field.to_le_bytes());
    }
    for field in [1u16, 8, 0] {
        fmt.extend(field.to_le_bytes());
    }
    let mut body = b"WAVE".to_vec();
    for (id, chunk) in [
        (b"fmt ", &fmt[..]),
        (b"LIST", &b"odd"[..]),
        (b"data", codes),
    ] {
        body.extend(id);
        body.extend(u32::try_from(chunk.len()).unwrap().to_le_bytes());
        body.extend(chunk);
        if padded && chunk.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut file = b"RIFF".to_vec();
    file.extend(u32::try_from(body.len()).unwrap().to_le_bytes());
    file.extend(body);
    file
}

#[test]
fn a_law_and_mu_law_files_decode_to_their_samples() {
    let pcm: Vec<i16> = (0..800)
        .map(|i| (12_000.0 * (f64::from(i) * 0.3).sin()) as i16)
        .collect();
    type Codec = (fn(u8) -> i16, fn(i16) -> u8);
    let laws: [(u16, Codec); 2] = [
        (6, (g711::decode_alaw, g711::encode_alaw)),
        (7, (g711::decode_ulaw, g711::encode_ulaw)),
    ];
    for (tag, (decode, encode)) in laws {
        let codes: Vec<u8> = pcm.iter().map(|&s| encode(s)).collect();
        let prompt = Prompt::from_wav(&g711_wav(tag, &codes, true)).unwrap();
        let expected: Vec<i16> = codes.iter().map(|&c| decode(c)).collect();
        assert_eq!(prompt.samples(), expected, "format {tag}");
        assert_eq!(
            prompt.duration(),
            Duration::from_millis(100),
            "format {tag}"
        );
    }
}

#[test]
fn a_g711_file_without_the_pad_byte_of_an_odd_sized_chunk_decodes_as_in_sems() {
    let codes: Vec<u8> = (0..=255).collect();
    let prompt = Prompt::from_wav(&g711_wav(6, &codes, false)).unwrap();
    let expected: Vec<i16> = codes.iter().map(|&c| g711::decode_alaw(c)).collect();
    assert_eq!(prompt.samples(), expected);
}

#[test]
fn a_g711_file_needs_8_bit_samples_and_data() {
    let mut wide = g711_wav(6, &[0xd5; 8], true);
    // bits_per_sample, at byte 34.
    wide[34] = 16;
    assert!(matches!(
        Prompt::from_wav(&wide),
        Err(PromptError::MalformedG711(_))
    ));
    let no_data = g711_wav(7, &[], true)[..46].to_vec();
    assert!(matches!(
        Prompt::from_wav(&no_data),
        Err(PromptError::MalformedG711("no data chunk"))
    ));
}

/// `bytes` with the size of its data chunk (hound writes it at byte 40) set to `size`.
fn with_data_size(mut bytes: Vec<u8>, size: u32) -> Vec<u8> {
    bytes[40..44].copy_from_slice(&size.to_le_bytes());
    bytes
}

#[test]
fn the_check_reads_the_header_alone() {
    let whole = wav(16_000, 2, 16, false, 1000.0, 0.0);
    assert_eq!(
        Prompt::check_wav(&mut Cursor::new(&whole)).unwrap(),
        Duration::from_secs(1)
    );
    // Its header alone: the check finds nothing wrong, while decoding finds no samples.
    let header = &whole[..44];
    assert_eq!(
        Prompt::check_wav(&mut Cursor::new(header)).unwrap(),
        Duration::from_secs(1)
    );
    assert!(matches!(Prompt::from_wav(header), Err(PromptError::Wav(_))));
    let codes = [0xd5; 800];
    assert_eq!(
        Prompt::check_wav(&mut Cursor::new(g711_wav(6, &codes, false))).unwrap(),
        Duration::from_millis(100)
    );
}

#[test]
fn a_prompt_playing_longer_than_an_hour_is_refused_from_its_header() {
    // 8 kHz 16-bit mono: 16,000 bytes a second.
    let longest = 16_000 * 3600;
    let hour = with_data_size(wav(8000, 1, 16, false, 1000.0, 0.0), longest);
    assert_eq!(
        Prompt::check_wav(&mut Cursor::new(&hour)).unwrap(),
        Prompt::MAX_DURATION
    );
    let longer = with_data_size(hour, longest + 16_000);
    for outcome in [
        Prompt::check_wav(&mut Cursor::new(&longer)).map(drop),
        Prompt::from_wav(&longer).map(drop),
    ] {
        assert!(
            matches!(outcome, Err(PromptError::TooLong(d)) if d == Duration::from_secs(3601)),
            "{outcome:?}"
        );
    }
    assert_eq!(
        PromptError::TooLong(Duration::from_secs(3601)).to_string(),
        "3601 s of audio, more than the 3600 s a prompt may play"
    );
}

#[test]
fn a_file_larger_than_64_mib_is_refused_before_it_is_read() {
    let mut bytes = wav(8000, 1, 16, false, 1000.0, 0.0);
    bytes.resize(64 << 20, 0);
    assert!(Prompt::check_wav(&mut Cursor::new(&bytes)).is_ok());
    bytes.push(0);
    let too_large = (64 << 20) + 1;
    for outcome in [
        Prompt::check_wav(&mut Cursor::new(&bytes)).map(drop),
        Prompt::from_wav(&bytes).map(drop),
    ] {
        assert!(
            matches!(outcome, Err(PromptError::TooLarge(n)) if n == too_large),
            "{outcome:?}"
        );
    }
    assert_eq!(
        PromptError::TooLarge(too_large).to_string(),
        "67108865 bytes, more than the 64 MiB a prompt file may take"
    );
}

#[test]
fn the_check_refuses_what_decoding_refuses() {
    let mut zero_rate = wav(8000, 1, 16, false, 1000.0, 0.0);
    zero_rate[24..28].copy_from_slice(&0u32.to_le_bytes());
    let mut wide_g711 = g711_wav(6, &[0xd5; 8], true);
    wide_g711[34] = 16;
    let bad = [
        b"RIFF\x04\0\0\0WAVEnope".to_vec(),
        zero_rate,
        wide_g711,
        g711_wav(7, &[], true)[..46].to_vec(),
    ];
    for bytes in bad {
        let checked = Prompt::check_wav(&mut Cursor::new(&bytes)).unwrap_err();
        let decoded = Prompt::from_wav(&bytes).unwrap_err();
        assert_eq!(checked.to_string(), decoded.to_string());
    }
}
