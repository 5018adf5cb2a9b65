//! A WAV file (16-bit PCM mono) that stays readable while it grows: each checkpoint rewrites
//! the header's RIFF and data sizes to cover what was written and syncs the file to disk, so a
//! process killed at any moment leaves a valid file of everything up to its last checkpoint.

use hound::{SampleFormat, WavSpec, WavWriter};
use std::fs::File;
use std::io::BufWriter;

/// The most samples a file can hold: its header's RIFF and data sizes are 32-bit byte counts
/// (the RIFF size covering the rest of the header too), so the data of 16-bit samples must
/// stay within `u32::MAX` less the longest header written. About 12.4 h at 48 kHz.
pub const MAX_SAMPLES: u64 = (u32::MAX as u64 - LONGEST_HEADER) / 2;

/// hound's longest header (WAVE_FORMAT_EXTENSIBLE); this file's is shorter.
pub const LONGEST_HEADER: u64 = 68;

/// A growing WAV file.
pub struct WavFile {
    writer: WavWriter<BufWriter<File>>,
    // The same open file, to sync it: the writer owns the buffered handle.
    sync: File,
    samples: u64,
}

impl WavFile {
    /// Starts a mono 16-bit PCM WAV at `rate` Hz in `file` (empty and open for writing): the
    /// header, for no samples yet, is written and synced at once, so the file is a valid WAV
    /// from the start.
    pub fn create(file: File, rate: u32) -> hound::Result<WavFile> {
        let sync = file.try_clone()?;
        let spec = WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        let writer = WavWriter::new(BufWriter::new(file), spec)?;
        let mut wav = WavFile {
            writer,
            sync,
            samples: 0,
        };
        wav.checkpoint()?;
        Ok(wav)
    }

    /// Appends `samples`; they are in the file's header from the next checkpoint on. The
    /// caller keeps the file within [`MAX_SAMPLES`]: past it, the header's sizes wrap.
    pub fn write(&mut self, samples: &[i16]) -> hound::Result<()> {
        let mut out = self.writer.get_i16_writer(samples.len() as u32);
        for &sample in samples {
            out.write_sample(sample);
        }
        out.flush()?;
        self.samples += samples.len() as u64;
        Ok(())
    }

    /// Appends `count` samples of silence.
    pub fn write_silence(&mut self, count: usize) -> hound::Result<()> {
        for _ in 0..count {
            self.writer.write_sample(0i16)?;
        }
        self.samples += count as u64;
        Ok(())
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Rewrites the header to cover every sample written and syncs the file to disk.
    pub fn checkpoint(&mut self) -> hound::Result<()> {
        // hound's flush rewrites the header's sizes, then flushes the buffer to the file.
        self.writer.flush()?;
        self.sync.sync_data()?;
        Ok(())
    }

    /// Completes the file (header included) and syncs it to disk.
    pub fn finish(self) -> hound::Result<()> {
        self.writer.finalize()?;
        self.sync.sync_all()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hound::WavReader;
    use std::path::Path;

    fn samples_in(path: &Path) -> (WavSpec, Vec<i16>) {
        let mut reader = WavReader::open(path).unwrap();
        let samples = reader.samples::<i16>().map(Result::unwrap).collect();
        (reader.spec(), samples)
    }

    fn ramp(n: usize) -> Vec<i16> {
        (0..n).map(|i| (i % 30_000) as i16).collect()
    }

    #[test]
    fn finished_holds_every_sample_at_its_rate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let mut wav = WavFile::create(File::create(&path).unwrap(), 16_000).unwrap();
        wav.write(&ramp(1000)).unwrap();
        wav.write_silence(10).unwrap();
        assert_eq!(wav.samples(), 1010);
        wav.finish().unwrap();
        let (spec, samples) = samples_in(&path);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 16_000, 16)
        );
        assert_eq!(samples.len(), 1010);
        assert_eq!(&samples[..1000], &ramp(1000)[..]);
        assert!(samples[1000..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_writer_that_dies_leaves_everything_up_to_its_last_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.wav");
        let mut wav = WavFile::create(File::create(&path).unwrap(), 8000).unwrap();
        assert_eq!(samples_in(&path).1.len(), 0, "valid from the start");
        wav.write(&ramp(16_000)).unwrap();
        wav.checkpoint().unwrap();
        // Half a second more, never checkpointed; then the process state is lost without
        // anything completing the file (hound's own drop would).
        wav.write(&ramp(4000)).unwrap();
        std::mem::forget(wav);
        let (spec, samples) = samples_in(&path);
        assert_eq!(spec.sample_rate, 8000);
        assert_eq!(samples.len(), 16_000, "two seconds, up to the checkpoint");
        assert_eq!(samples, ramp(16_000));
    }
}
