//! Prompts: decoded mono PCM at the prompt rate (8 kHz), loaded from WAV.

use std::io::Cursor;
use std::time::Duration;

use dasp::Sample;
use dasp::sample::I24;
use hound::{SampleFormat, WavReader};
use thiserror::Error;

use crate::{PROMPT_RATE, resample};

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
    /// A sample rate outside 1–192 kHz, 0 among them: no audio, or more samples a second than
    /// any recording holds, whose conversion would take a filter of as many taps.
    #[error("unsupported WAV sample rate: {0} Hz (not within 1–192 kHz)")]
    UnsupportedRate(u32),
}

/// The sample rates a WAV prompt may have, in Hz.
const WAV_RATES: std::ops::RangeInclusive<u32> = 1_000..=192_000;

/// A prompt: mono 16-bit PCM at [`PROMPT_RATE`] (8 kHz), ready to be played to a leg. Shared
/// between legs as `Arc<Prompt>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    samples: Vec<i16>,
}

impl Prompt {
    /// Decodes a WAV file of any rate from 1 to 192 kHz, channel count and bit depth hound
    /// reads (8/16/24/32-bit integer, 32-bit float): channels are averaged to mono and the rate
    /// converted to 8 kHz.
    pub fn from_wav(bytes: &[u8]) -> Result<Prompt, PromptError> {
        let reader = WavReader::new(Cursor::new(bytes))?;
        let spec = reader.spec();
        // hound takes any rate the header states, 0 included.
        if !WAV_RATES.contains(&spec.sample_rate) {
            return Err(PromptError::UnsupportedRate(spec.sample_rate));
        }
        let float = spec.sample_format == SampleFormat::Float;
        let interleaved: Vec<f64> = match (float, spec.bits_per_sample) {
            (true, 32) => read(reader, |s: f32| s.to_sample())?,
            (false, 8) => read(reader, |s: i8| s.to_sample())?,
            (false, 16) => read(reader, |s: i16| s.to_sample())?,
            (false, 24) => read(reader, |s: i32| I24::new_unchecked(s).to_sample())?,
            (false, 32) => read(reader, |s: i32| s.to_sample())?,
            (float, bits) => return Err(PromptError::UnsupportedFormat { bits, float }),
        };
        let channels = usize::from(spec.channels.max(1));
        let mono: Vec<f64> = interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f64>() / channels as f64)
            .collect();
        Ok(Prompt::from_pcm(resample::to_room_rate(
            &mono,
            spec.sample_rate,
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

fn read<S: hound::Sample>(
    reader: WavReader<Cursor<&[u8]>>,
    convert: impl Fn(S) -> f64,
) -> Result<Vec<f64>, hound::Error> {
    reader
        .into_samples::<S>()
        .map(|s| s.map(&convert))
        .collect()
}
