//! Prompts: decoded mono PCM at the prompt rate (8 kHz), loaded from WAV.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::time::Duration;

use dasp::Sample;
use dasp::sample::I24;
use hound::{SampleFormat, WavReader, WavSpec};
use thiserror::Error;

use crate::{PROMPT_RATE, g711, resample};

/// Why a WAV file could not become a prompt.
#[derive(Debug, Error)]
pub enum PromptError {
    /// The bytes are not a WAV file hound can read.
    #[error("cannot read WAV: {0}")]
    Wav(#[from] hound::Error),
    /// The file could not be read.
    #[error("cannot read WAV: {0}")]
    Io(#[from] io::Error),
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
    /// A file of more than [`Prompt::MAX_FILE_BYTES`] bytes, this many.
    #[error(
        "{bytes} bytes, more than the {most} MiB a prompt file may take",
        bytes = .0,
        most = Prompt::MAX_FILE_BYTES >> 20
    )]
    TooLarge(u64),
    /// A header whose samples play longer than [`Prompt::MAX_DURATION`], this long.
    #[error(
        "{} s of audio, more than the {} s a prompt may play",
        .0.as_secs(),
        Prompt::MAX_DURATION.as_secs()
    )]
    TooLong(Duration),
}

/// The sample rates a WAV prompt may have, in Hz.
const WAV_RATES: std::ops::RangeInclusive<u32> = 1_000..=192_000;

/// The WAV format tags of G.711 A-law and µ-law (RFC 2361), which hound does not read.
const WAVE_FORMAT_ALAW: u16 = 6;
const WAVE_FORMAT_MULAW: u16 = 7;

/// What a WAV file's header says of its audio.
struct WavHeader {
    /// Samples a second of each channel.
    rate: u32,
    /// Channels, averaged to mono when decoded.
    channels: u16,
    /// Samples of each channel, as the header counts them.
    frames: u64,
}

impl WavHeader {
    /// How long the samples play.
    fn duration(&self) -> Duration {
        let nanos = u128::from(self.frames) * 1_000_000_000 / u128::from(self.rate.max(1));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// How a WAV file's samples are stored.
enum Encoding {
    /// A-law or µ-law codes, decoded by `decode`, at `data` in the file.
    G711 {
        decode: fn(u8) -> i16,
        data: Range<u64>,
    },
    /// Samples hound reads.
    Pcm(PcmFormat),
}

/// The sample formats of hound's that a prompt may have.
enum PcmFormat {
    Float32,
    Int8,
    Int16,
    Int24,
    Int32,
}

/// The encoding and the header of the WAV file `reader` holds, checked (see [`Prompt::check_wav`]).
fn checked_header<R: Read + Seek>(reader: &mut R) -> Result<(Encoding, WavHeader), PromptError> {
    let len = reader.seek(SeekFrom::End(0))?;
    if len > Prompt::MAX_FILE_BYTES {
        return Err(PromptError::TooLarge(len));
    }
    let (encoding, header) = match g711_header(reader, len)? {
        Some(found) => found,
        None => pcm_header(reader)?,
    };
    // The header may state any rate, 0 included.
    if !WAV_RATES.contains(&header.rate) {
        return Err(PromptError::UnsupportedRate(header.rate));
    }
    if header.duration() > Prompt::MAX_DURATION {
        return Err(PromptError::TooLong(header.duration()));
    }
    Ok((encoding, header))
}

/// A prompt: mono 16-bit PCM at [`PROMPT_RATE`] (8 kHz), ready to be played to a leg. Shared
/// between legs as `Arc<Prompt>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    samples: Vec<i16>,
}

impl Prompt {
    /// The largest WAV file a prompt is read from, 64 MiB: over six minutes of 44.1 kHz
    /// 16-bit stereo music, an hour of 8 kHz 16-bit mono. Decoding holds 4 bytes for each
    /// frame of the file while its rate is converted.
    pub const MAX_FILE_BYTES: u64 = 64 << 20;

    /// The longest a prompt may play, an hour: music on hold loops long before that.
    pub const MAX_DURATION: Duration = Duration::from_secs(3600);

    /// Checks the header of the WAV file `reader` holds, without its samples, as
    /// [`Prompt::from_wav`] does before decoding them: a file of at most
    /// [`Prompt::MAX_FILE_BYTES`], in a sample format it decodes, at a rate within 1–192 kHz,
    /// playing at most [`Prompt::MAX_DURATION`]; how long it plays. Reads the chunk headers
    /// and the format chunk (and, for a file hound reads, any chunk before the data), seeking
    /// from the start of `reader`.
    pub fn check_wav<R: Read + Seek>(reader: &mut R) -> Result<Duration, PromptError> {
        checked_header(reader).map(|(_, header)| header.duration())
    }

    /// Decodes a WAV file of any rate from 1 to 192 kHz, channel count and sample format that
    /// hound reads (8/16/24/32-bit integer, 32-bit float) or that SEMS's wav plug-in plays
    /// besides 16-bit PCM (8-bit A-law and µ-law, format tags 6 and 7): channels are averaged
    /// to mono and the rate converted to 8 kHz. Its header is checked first, as
    /// [`Prompt::check_wav`] checks it, with the same errors.
    pub fn from_wav(bytes: &[u8]) -> Result<Prompt, PromptError> {
        let (encoding, header) = checked_header(&mut Cursor::new(bytes))?;
        // No more frames than bytes, whatever a header cut short by the file's end claims.
        let frames = usize::try_from(header.frames).map_or(bytes.len(), |f| f.min(bytes.len()));
        let mono = match encoding {
            Encoding::G711 { decode, data } => {
                let codes = &bytes[data.start as usize..data.end as usize];
                let samples = codes.iter().map(|&code| Ok(decode(code).to_sample()));
                mono::<PromptError>(samples, header.channels, frames)?
            }
            Encoding::Pcm(format) => pcm_mono(bytes, format, header.channels, frames)?,
        };
        Ok(Prompt::from_pcm(resample::to_room_rate(&mono, header.rate)))
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

/// The header of a WAV file hound reads, from the start of `reader`.
fn pcm_header<R: Read + Seek>(reader: &mut R) -> Result<(Encoding, WavHeader), PromptError> {
    reader.seek(SeekFrom::Start(0))?;
    let wav = WavReader::new(&mut *reader)?;
    let spec = wav.spec();
    let header = WavHeader {
        rate: spec.sample_rate,
        channels: spec.channels,
        frames: u64::from(wav.duration()),
    };
    Ok((Encoding::Pcm(pcm_format(spec)?), header))
}

/// The format of samples as `spec` gives them, if a prompt may have it.
fn pcm_format(spec: WavSpec) -> Result<PcmFormat, PromptError> {
    let float = spec.sample_format == SampleFormat::Float;
    match (float, spec.bits_per_sample) {
        (true, 32) => Ok(PcmFormat::Float32),
        (false, 8) => Ok(PcmFormat::Int8),
        (false, 16) => Ok(PcmFormat::Int16),
        (false, 24) => Ok(PcmFormat::Int24),
        (false, 32) => Ok(PcmFormat::Int32),
        (float, bits) => Err(PromptError::UnsupportedFormat { bits, float }),
    }
}

/// The samples, averaged to mono, of the WAV file `bytes` that hound reads, of `channels`
/// channels in `format`, about `frames` frames.
fn pcm_mono(
    bytes: &[u8],
    format: PcmFormat,
    channels: u16,
    frames: usize,
) -> Result<Vec<f32>, PromptError> {
    let reader = WavReader::new(Cursor::new(bytes))?;
    let mono = match format {
        PcmFormat::Float32 => mono(read(reader, |s: f32| s.to_sample()), channels, frames),
        PcmFormat::Int8 => mono(read(reader, |s: i8| s.to_sample()), channels, frames),
        PcmFormat::Int16 => mono(read(reader, |s: i16| s.to_sample()), channels, frames),
        PcmFormat::Int24 => mono(
            read(reader, |s: i32| I24::new_unchecked(s).to_sample()),
            channels,
            frames,
        ),
        PcmFormat::Int32 => mono(read(reader, |s: i32| s.to_sample()), channels, frames),
    };
    Ok(mono?)
}

/// Each frame of the interleaved `samples` (full scale ±1.0) of `channels` channels (none
/// counts as one), the average of its channels, as an `f32` (4 bytes a frame, as precise as a
/// 24-bit sample); a last frame short of a channel is left out.
/// Room is made for `frames` frames at first. The first error is the outcome.
fn mono<E>(
    samples: impl Iterator<Item = Result<f64, E>>,
    channels: u16,
    frames: usize,
) -> Result<Vec<f32>, E> {
    let channels = usize::from(channels.max(1));
    let mut mono = Vec::with_capacity(frames);
    let (mut sum, mut summed) = (0.0, 0);
    for sample in samples {
        sum += sample?;
        summed += 1;
        if summed == channels {
            mono.push((sum / channels as f64) as f32);
            (sum, summed) = (0.0, 0);
        }
    }
    Ok(mono)
}

/// The header of an A-law or µ-law WAV file of `len` bytes that `reader` holds; None for any
/// other file, left to hound.
fn g711_header<R: Read + Seek>(
    reader: &mut R,
    len: u64,
) -> Result<Option<(Encoding, WavHeader)>, PromptError> {
    let Some(chunks) = wave_chunks(reader, len)? else {
        return Ok(None);
    };
    let Some(fmt) = chunks.fmt.filter(|fmt| fmt.end - fmt.start >= 16) else {
        return Ok(None);
    };
    let fmt: [u8; 16] = read_at(reader, fmt.start)?;
    let decode = match u16::from_le_bytes(bytes_at(&fmt, 0)) {
        WAVE_FORMAT_ALAW => g711::decode_alaw,
        WAVE_FORMAT_MULAW => g711::decode_ulaw,
        _ => return Ok(None),
    };
    if u16::from_le_bytes(bytes_at(&fmt, 14)) != 8 {
        return Err(PromptError::MalformedG711("samples are not 8 bits"));
    }
    let data = chunks
        .data
        .ok_or(PromptError::MalformedG711("no data chunk"))?;
    let channels = u16::from_le_bytes(bytes_at(&fmt, 2));
    let header = WavHeader {
        rate: u32::from_le_bytes(bytes_at(&fmt, 4)),
        channels,
        frames: (data.end - data.start) / u64::from(channels.max(1)),
    };
    Ok(Some((Encoding::G711 { decode, data }, header)))
}

/// Where the bodies of the first format and data chunks of a RIFF WAVE file are.
#[derive(Default)]
struct WaveChunks {
    fmt: Option<Range<u64>>,
    data: Option<Range<u64>>,
}

/// The chunks of the RIFF WAVE file of `len` bytes that `reader` holds, as [`riff_chunks`]
/// finds them with a pad byte after each chunk of odd size, unless only a walk without pad
/// bytes finds a data chunk; None when it is not one.
fn wave_chunks<R: Read + Seek>(reader: &mut R, len: u64) -> io::Result<Option<WaveChunks>> {
    let Some(padded) = riff_chunks(reader, len, true)? else {
        return Ok(None);
    };
    if padded.data.is_some() {
        return Ok(Some(padded));
    }
    // SEMS reads no pad byte (wav_read_header seeks past the chunk's size only), so a file
    // written without them plays there.
    let unpadded = riff_chunks(reader, len, false)?.filter(|unpadded| unpadded.data.is_some());
    Ok(Some(unpadded.unwrap_or(padded)))
}

/// The first format and data chunks of the RIFF WAVE file of `len` bytes that `reader` holds,
/// each chunk of odd size followed by a pad byte if `padded`; None when it is not one. A body
/// the file ends inside is cut short there. Reads the chunks' headers alone, up to the second
/// of the two.
fn riff_chunks<R: Read + Seek>(
    reader: &mut R,
    len: u64,
    padded: bool,
) -> io::Result<Option<WaveChunks>> {
    if len < 12 {
        return Ok(None);
    }
    let riff: [u8; 12] = read_at(reader, 0)?;
    if &riff[..4] != b"RIFF" || &riff[8..] != b"WAVE" {
        return Ok(None);
    }
    let mut found = WaveChunks::default();
    let mut at = 12;
    while at + 8 <= len && (found.fmt.is_none() || found.data.is_none()) {
        let header: [u8; 8] = read_at(reader, at)?;
        let size = u64::from(u32::from_le_bytes(bytes_at(&header, 4)));
        let body = at + 8;
        let range = body..body + size.min(len - body);
        match &header[..4] {
            b"fmt " if found.fmt.is_none() => found.fmt = Some(range),
            b"data" if found.data.is_none() => found.data = Some(range),
            _ => {}
        }
        let pad = if padded { size & 1 } else { 0 };
        at = body + size + pad;
    }
    Ok(Some(found))
}

/// The `N` bytes at `at` in what `reader` holds, which must hold them.
fn read_at<const N: usize, R: Read + Seek>(reader: &mut R, at: u64) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    reader.seek(SeekFrom::Start(at))?;
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// The `N` bytes at `at` in `bytes`, which must hold them.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes[at..at + N].try_into().expect("N bytes")
}

/// The samples of `reader`, each made full scale ±1.0 by `convert`.
fn read<S: hound::Sample>(
    reader: WavReader<Cursor<&[u8]>>,
    convert: impl Fn(S) -> f64,
) -> impl Iterator<Item = Result<f64, hound::Error>> {
    reader.into_samples::<S>().map(move |s| s.map(&convert))
}
