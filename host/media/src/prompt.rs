//! Prompts: decoded mono PCM at the prompt rate (8 kHz), loaded from WAV.

use std::io::Cursor;
use std::time::Duration;

use dasp::Sample;
use dasp::sample::I24;
use hound::{SampleFormat, WavReader};
use thiserror::Error;

use crate::{PROMPT_RATE, g711, resample};

/// Why a WAV file could not become a prompt.
#[derive(Debug, Error)]
pub enum PromptError {
    /// The bytes are not a WAV file hound can read.
    #[error("cannot read WAV: {0}")]
    Wav(#[from] hound::Error),
    /// A sample format other than 8/16/24/32-bit integer or 32-bit float.
    #[error("unsupported WAV sample format: {bits}-bit {}", if *.float { "float" } else { "integer" })]
    UnsupportedFormat {
        /// Bits per sample.
        bits: u16,
        /// Whether samples are floating point.
        float: bool,
    },
    /// An A-law or µ-law WAV file whose samples cannot be read: not 8 bits each, or no data.
    #[error("malformed G.711 WAV: {0}")]
    MalformedG711(&'static str),
    /// A sample rate outside 1–192 kHz, 0 among them: no audio, or more samples a second than
    /// any recording holds, whose conversion would take a filter of as many taps.
    #[error("unsupported WAV sample rate: {0} Hz (not within 1–192 kHz)")]
    UnsupportedRate(u32),
}

/// The sample rates a WAV prompt may have, in Hz.
const WAV_RATES: std::ops::RangeInclusive<u32> = 1_000..=192_000;

/// The WAV format tags of G.711 A-law and µ-law (RFC 2361), which hound does not read.
const WAVE_FORMAT_ALAW: u16 = 6;
const WAVE_FORMAT_MULAW: u16 = 7;

/// A WAV file's samples, before they become a prompt.
struct Samples {
    rate: u32,
    channels: u16,
    /// Full scale ±1.0, channels interleaved.
    interleaved: Vec<f64>,
}

/// A prompt: mono 16-bit PCM at [`PROMPT_RATE`] (8 kHz), ready to be played to a leg. Shared
/// between legs as `Arc<Prompt>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    samples: Vec<i16>,
}

impl Prompt {
    /// Decodes a WAV file of any rate from 1 to 192 kHz, channel count and sample format that
    /// hound reads (8/16/24/32-bit integer, 32-bit float) or that SEMS's wav plug-in plays
    /// besides 16-bit PCM (8-bit A-law and µ-law, format tags 6 and 7): channels are averaged
    /// to mono and the rate converted to 8 kHz.
    pub fn from_wav(bytes: &[u8]) -> Result<Prompt, PromptError> {
        let samples = match g711_samples(bytes)? {
            Some(samples) => samples,
            None => pcm_samples(bytes)?,
        };
        // The header may state any rate, 0 included.
        if !WAV_RATES.contains(&samples.rate) {
            return Err(PromptError::UnsupportedRate(samples.rate));
        }
        let channels = usize::from(samples.channels.max(1));
        let mono: Vec<f64> = samples
            .interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f64>() / channels as f64)
            .collect();
        Ok(Prompt::from_pcm(resample::to_room_rate(
            &mono,
            samples.rate,
        )))
    }

    /// A prompt from mono 16-bit PCM already at [`PROMPT_RATE`].
    pub fn from_pcm(samples: Vec<i16>) -> Prompt {
        Prompt { samples }
    }

    /// The samples, mono at [`PROMPT_RATE`].
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// How long the prompt plays.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.samples.len() as u64 * 1_000_000_000 / u64::from(PROMPT_RATE))
    }
}

/// The samples of a WAV file hound reads.
fn pcm_samples(bytes: &[u8]) -> Result<Samples, PromptError> {
    let reader = WavReader::new(Cursor::new(bytes))?;
    let spec = reader.spec();
    let float = spec.sample_format == SampleFormat::Float;
    let interleaved: Vec<f64> = match (float, spec.bits_per_sample) {
        (true, 32) => read(reader, |s: f32| s.to_sample())?,
        (false, 8) => read(reader, |s: i8| s.to_sample())?,
        (false, 16) => read(reader, |s: i16| s.to_sample())?,
        (false, 24) => read(reader, |s: i32| I24::new_unchecked(s).to_sample())?,
        (false, 32) => read(reader, |s: i32| s.to_sample())?,
        (float, bits) => return Err(PromptError::UnsupportedFormat { bits, float }),
    };
    Ok(Samples {
        rate: spec.sample_rate,
        channels: spec.channels,
        interleaved,
    })
}

/// The samples of an A-law or µ-law WAV file; None for any other file, left to hound.
fn g711_samples(bytes: &[u8]) -> Result<Option<Samples>, PromptError> {
    let Some(chunks) = wave_chunks(bytes) else {
        return Ok(None);
    };
    let Some(fmt) = chunk(&chunks, b"fmt ").filter(|fmt| fmt.len() >= 16) else {
        return Ok(None);
    };
    let decode = match u16::from_le_bytes(bytes_at(fmt, 0)) {
        WAVE_FORMAT_ALAW => g711::decode_alaw,
        WAVE_FORMAT_MULAW => g711::decode_ulaw,
        _ => return Ok(None),
    };
    if u16::from_le_bytes(bytes_at(fmt, 14)) != 8 {
        return Err(PromptError::MalformedG711("samples are not 8 bits"));
    }
    let data = chunk(&chunks, b"data").ok_or(PromptError::MalformedG711("no data chunk"))?;
    Ok(Some(Samples {
        rate: u32::from_le_bytes(bytes_at(fmt, 4)),
        channels: u16::from_le_bytes(bytes_at(fmt, 2)),
        interleaved: data.iter().map(|&code| decode(code).to_sample()).collect(),
    }))
}

/// The chunks of a RIFF WAVE file as [`riff_chunks`] reads them, with a pad byte after each
/// chunk of odd size, unless only a walk without pad bytes finds a data chunk; None when `bytes`
/// is not one.
fn wave_chunks(bytes: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let padded = riff_chunks(bytes, true)?;
    if chunk(&padded, b"data").is_some() {
        return Some(padded);
    }
    // SEMS reads no pad byte (wav_read_header seeks past the chunk's size only), so a file
    // written without them plays there.
    riff_chunks(bytes, false)
        .filter(|unpadded| chunk(unpadded, b"data").is_some())
        .or(Some(padded))
}

/// The chunks of a RIFF WAVE file, as (id, body) in file order, each of odd size followed by a
/// pad byte if `padded`; None when `bytes` is not one. A body the file ends inside is cut short
/// there.
fn riff_chunks(bytes: &[u8], padded: bool) -> Option<Vec<(&[u8], &[u8])>> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut chunks = Vec::new();
    let mut rest = &bytes[12..];
    while rest.len() >= 8 {
        let size = usize::try_from(u32::from_le_bytes(bytes_at(rest, 4))).unwrap_or(usize::MAX);
        let body = &rest[8..];
        chunks.push((&rest[..4], &body[..size.min(body.len())]));
        let pad = if padded { size & 1 } else { 0 };
        rest = body.get(size.saturating_add(pad)..).unwrap_or_default();
    }
    Some(chunks)
}

/// The body of the first chunk `id` of `chunks`.
fn chunk<'b>(chunks: &[(&[u8], &'b [u8])], id: &[u8; 4]) -> Option<&'b [u8]> {
    chunks
        .iter()
        .find(|(chunk_id, _)| chunk_id == id)
        .map(|(_, body)| *body)
}

/// The `N` bytes at `at` in `bytes`, which must hold them.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes[at..at + N].try_into().expect("N bytes")
}

fn read<S: hound::Sample>(
    reader: WavReader<Cursor<&[u8]>>,
    convert: impl Fn(S) -> f64,
) -> Result<Vec<f64>, hound::Error> {
    reader
        .into_samples::<S>()
        .map(|s| s.map(&convert))
        .collect()
}
