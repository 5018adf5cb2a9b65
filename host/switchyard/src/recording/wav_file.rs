//! A WAV file (16-bit PCM mono) that is a valid WAV at every moment, and stays readable while
//! it grows: it appears under its name with its header in place, its 44-byte header is only
//! ever written whole, in one write at offset 0, and each checkpoint rewrites it to cover the
//! samples already in the file, then syncs the file to disk. A process killed at any moment
//! (`kill -9`, a panic, an out-of-memory kill) leaves a valid file of everything up to its last
//! checkpoint, as the kernel still writes out what the process wrote. A power loss or a kernel
//! crash may not: the samples and the header are synced together, in no order between them, so
//! the file can be left with a header that claims more samples than reached the disk (players
//! that read to the end of the file still play those that did).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The most bytes of a file name (Linux's `NAME_MAX`).
const MAX_FILE_NAME_BYTES: usize = 255;

/// The most bytes of the name of a file [`create_new`] creates: the hidden name it is
/// created under, [`HIDDEN_PREFIX`] and [`HIDDEN_SUFFIX`] added, must fit in a file name's
/// 255 bytes too.
pub const MAX_NAME_BYTES: usize = MAX_FILE_NAME_BYTES - HIDDEN_PREFIX.len() - HIDDEN_SUFFIX.len();

/// What the hidden name of a file being created adds before its name.
const HIDDEN_PREFIX: &str = ".";

/// What the hidden name of a file being created adds after its name.
const HIDDEN_SUFFIX: &str = ".new";

/// What the hidden name of a file being deleted adds after its name (as long as
/// [`HIDDEN_SUFFIX`], which [`MAX_NAME_BYTES`] counts).
const DELETED_SUFFIX: &str = ".del";

/// The length of the header: RIFF, `fmt ` (PCM) and `data` chunk headers.
pub const HEADER_LEN: u64 = 44;

/// The most samples a file can hold: its header's RIFF size, a 32-bit byte count, covers the
/// 16-bit samples and the rest of the header. About 12.4 h at 48 kHz.
pub const MAX_SAMPLES: u64 = (u32::MAX as u64 - (HEADER_LEN - 8)) / BYTES_PER_SAMPLE;

/// Each sample is 16 bits.
pub const BYTES_PER_SAMPLE: u64 = 2;

/// The most sample bytes kept before they are written to the file; silence longer than that
/// is not written but added by extending the file, whose new bytes read as zeros.
const BUFFERED_BYTES: usize = 64 * 1024;

/// The header of a mono 16-bit PCM WAV at `rate` Hz holding `samples` samples (at most
/// [`MAX_SAMPLES`]).
fn header(rate: u32, samples: u64) -> [u8; HEADER_LEN as usize] {
    let data = (samples * BYTES_PER_SAMPLE) as u32;
    let mut header = [0; HEADER_LEN as usize];
    let fields: [&[u8]; 12] = [
        b"RIFF",
        &(data + (HEADER_LEN as u32 - 8)).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(), // PCM
        &1u16.to_le_bytes(), // mono
        &rate.to_le_bytes(),
        &(rate * BYTES_PER_SAMPLE as u32).to_le_bytes(),
        &(BYTES_PER_SAMPLE as u16).to_le_bytes(), // block align
        &16u16.to_le_bytes(),
        b"data",
        &data.to_le_bytes(),
    ];
    let mut at = 0;
    for field in fields {
        header[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    header
}

/// Creates the file at `path`, which must not exist (a file, link, directory or anything else
/// of that name is never replaced: [`ErrorKind::AlreadyExists`]), as a WAV of no samples at
/// `rate` Hz: the header is written under a hidden name beside it (`.<name>.new`, replacing a
/// file of that name a crash left), synced, and then linked to `path`, so that the name never
/// shows a file without its header, even after a power loss. Readable by its owner and group
/// only: what a room said is not for every user of the host. The directory is not synced.
pub fn create_new(path: &Path, rate: u32) -> std::io::Result<File> {
    let hidden = hidden_name(path);
    match std::fs::remove_file(&hidden) {
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(&hidden)?;
    // The link may reach the disk before unsynced data does (ext4's delayed allocation).
    let linked = file
        .write_all_at(&header(rate, 0), 0)
        .and_then(|()| file.sync_data())
        .and_then(|()| std::fs::hard_link(&hidden, path));
    if let Err(e) = std::fs::remove_file(&hidden)
        && linked.is_ok()
    {
        tracing::warn!(path = %hidden.display(), "could not remove: {e}");
    }
    linked.map(|()| file)
}

/// `.<name>.new` beside `path`.
fn hidden_name(path: &Path) -> PathBuf {
    hidden_with(path, HIDDEN_SUFFIX)
}

/// `.<name><suffix>` beside `path`.
fn hidden_with(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!("{HIDDEN_PREFIX}{name}{suffix}"))
}

/// Whether the file `path` can be [set aside](set_aside): its hidden name fits in a file
/// name, as it does for any name [`MAX_NAME_BYTES`] long at most.
pub fn can_set_aside(path: &Path) -> bool {
    let hidden = hidden_with(path, DELETED_SUFFIX);
    hidden.file_name().unwrap_or_default().len() <= MAX_FILE_NAME_BYTES
}

/// Takes the name `path` from its file at once, moving the file to a hidden name beside it
/// (`.<name>.del`, replacing one a crash left), which is returned for the file to be removed
/// from: removing a large file may take long, and the name is free meanwhile.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let aside = hidden_with(path, DELETED_SUFFIX);
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

/// The name whose hidden name (`.<name>.new` of [`create_new`], `.<name>.del` of
/// [`set_aside`]) `file_name` is, if it is one.
pub fn visible_name(file_name: &str) -> Option<&str> {
    let hidden = file_name.strip_prefix(HIDDEN_PREFIX)?;
    hidden
        .strip_suffix(HIDDEN_SUFFIX)
        .or_else(|| hidden.strip_suffix(DELETED_SUFFIX))
}

/// A growing WAV file.
#[derive(Debug)]
pub struct WavFile {
    file: File,
    rate: u32,
    /// Samples in the file, those in `pending` included.
    samples: u64,
    /// The bytes of the last samples, not written yet.
    pending: Vec<u8>,
}

impl WavFile {
    /// Starts over, at `rate` Hz, the WAV in `file` (open for writing, as [`create_new`] made
    /// it, at any rate): its header is rewritten, in one write, for no samples at `rate`.
    pub fn create(file: File, rate: u32) -> std::io::Result<WavFile> {
        file.write_all_at(&header(rate, 0), 0)?;
        Ok(WavFile::empty(file, rate))
    }

    /// Creates the file at `path` (see [`create_new`]), a WAV of no samples at `rate` Hz.
    pub fn create_new(path: &Path, rate: u32) -> std::io::Result<WavFile> {
        Ok(WavFile::empty(create_new(path, rate)?, rate))
    }

    fn empty(file: File, rate: u32) -> WavFile {
        WavFile {
            file,
            rate,
            samples: 0,
            pending: Vec::with_capacity(BUFFERED_BYTES),
        }
    }

    /// Appends `samples`; they are in the file's header from the next [update](Self::update) on. The
    /// caller keeps the file within [`MAX_SAMPLES`]: past it, the header's sizes wrap.
    pub fn write(&mut self, samples: &[i16]) -> std::io::Result<()> {
        self.pending
            .extend(samples.iter().flat_map(|sample| sample.to_le_bytes()));
        self.samples += samples.len() as u64;
        if self.pending.len() >= BUFFERED_BYTES {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Appends `count` samples of silence: buffered when short, else by extending the file,
    /// which writes nothing (the file system keeps a hole where it can).
    pub fn write_silence(&mut self, count: u64) -> std::io::Result<()> {
        let bytes = count * BYTES_PER_SAMPLE;
        if self.pending.len() as u64 + bytes <= BUFFERED_BYTES as u64 {
            self.pending.resize(self.pending.len() + bytes as usize, 0);
            self.samples += count;
            return Ok(());
        }
        self.write_pending()?;
        self.samples += count;
        self.file.set_len(self.end())
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Writes what is buffered, then rewrites the header to cover every sample: the file, as
    /// it stands, holds all of them. Not synced to disk: see [`sync`](Self::sync).
    pub fn update(&mut self) -> std::io::Result<()> {
        self.write_pending()?;
        self.file.write_all_at(&header(self.rate, self.samples), 0)
    }

    /// Syncs to disk what was written to the file (its samples and its size); an error is
    /// this file's own: one that befell it since the last sync.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Whether the file has lost its last name (deleted by hand, or its directory removed)
    /// while open: it still takes space, unseen in its directory, until it is closed.
    pub fn is_deleted(&self) -> std::io::Result<bool> {
        Ok(self.file.metadata()?.nlink() == 0)
    }

    /// The file's length with every sample written.
    fn end(&self) -> u64 {
        HEADER_LEN + self.samples * BYTES_PER_SAMPLE
    }

    fn write_pending(&mut self) -> std::io::Result<()> {
        let at = self.end() - self.pending.len() as u64;
        self.file.write_all_at(&self.pending, at)?;
        self.pending.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hound::WavReader;
    use std::os::unix::fs::MetadataExt;

    fn samples_in(path: &Path) -> (u32, Vec<i16>) {
        let mut reader = WavReader::open(path).unwrap();
        let samples = reader.samples::<i16>().map(Result::unwrap).collect();
        let spec = reader.spec();
        assert_eq!((spec.channels, spec.bits_per_sample), (1, 16));
        (spec.sample_rate, samples)
    }

    /// The RIFF and data sizes of the file at `path`, checked to be within the file.
    fn sizes(path: &Path) -> (u64, u64) {
        let bytes = std::fs::read(path).unwrap();
        let at = |i: usize| u64::from(u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()));
        let (riff, data) = (at(4), at(40));
        assert_eq!(riff, data + 36, "the RIFF size covers the data");
        assert!(
            HEADER_LEN + data <= bytes.len() as u64,
            "no size past the data"
        );
        (riff, data)
    }

    /// Brings `wav` up to date and syncs it, as a recording's checkpoint does.
    fn checkpoint(wav: &mut WavFile) {
        wav.update().unwrap();
        wav.sync().unwrap();
    }

    fn ramp(n: usize) -> Vec<i16> {
        (0..n).map(|i| (i % 30_000) as i16).collect()
    }

    #[test]
    fn a_file_holds_every_sample_at_its_rate_and_is_valid_at_each_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let mut wav = WavFile::create_new(&path, 16_000).unwrap();
        assert_eq!(samples_in(&path), (16_000, vec![]), "valid from the start");
        assert_eq!(sizes(&path), (36, 0));
        wav.write(&ramp(1000)).unwrap();
        wav.write_silence(10).unwrap();
        assert_eq!(wav.samples(), 1010);
        checkpoint(&mut wav);
        assert_eq!(sizes(&path), (36 + 2020, 2020));
        let (rate, samples) = samples_in(&path);
        assert_eq!((rate, samples.len()), (16_000, 1010));
        assert_eq!(&samples[..1000], &ramp(1000)[..]);
        assert!(samples[1000..].iter().all(|&s| s == 0));
    }

    #[test]
    fn an_existing_name_is_never_replaced_and_nothing_hidden_is_left() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kept.wav"), b"precious").unwrap();
        std::fs::create_dir(dir.path().join("dir.wav")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("link.wav")).unwrap();
        for taken in ["kept.wav", "dir.wav", "link.wav"] {
            let error = WavFile::create_new(&dir.path().join(taken), 8000).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::AlreadyExists, "{taken}");
        }
        assert_eq!(
            std::fs::read(dir.path().join("kept.wav")).unwrap(),
            b"precious"
        );
        // A hidden file a crash left is replaced.
        std::fs::write(dir.path().join(".new.wav.new"), b"stale").unwrap();
        assert_eq!(visible_name(".new.wav.new"), Some("new.wav"));
        WavFile::create_new(&dir.path().join("new.wav"), 8000).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["dir.wav", "kept.wav", "link.wav", "new.wav"]);
    }

    #[test]
    fn a_file_is_started_over_at_the_rate_known_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.wav");
        let file = create_new(&path, 8000).unwrap();
        assert_eq!(samples_in(&path), (8000, vec![]));
        let mut wav = WavFile::create(file, 16_000).unwrap();
        assert_eq!(samples_in(&path), (16_000, vec![]));
        wav.write(&ramp(100)).unwrap();
        checkpoint(&mut wav);
        assert_eq!(samples_in(&path), (16_000, ramp(100)));
    }

    #[test]
    fn long_silence_extends_the_file_without_writing_it() {
        const LONG: u64 = 4_000_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quiet.wav");
        let mut wav = WavFile::create_new(&path, 8000).unwrap();
        wav.write(&[7; 10]).unwrap();
        wav.write_silence(LONG).unwrap();
        wav.write(&[9; 10]).unwrap();
        checkpoint(&mut wav);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), HEADER_LEN + (LONG + 20) * BYTES_PER_SAMPLE);
        assert!(
            meta.blocks() * 512 < meta.len() / 4,
            "{} bytes on disk for {}",
            meta.blocks() * 512,
            meta.len()
        );
        let (_, samples) = samples_in(&path);
        assert_eq!(samples.len() as u64, LONG + 20);
        assert_eq!(
            (samples[9], samples[10], samples[LONG as usize + 10]),
            (7, 0, 9)
        );
        assert!(samples[10..LONG as usize + 10].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_writer_that_dies_leaves_everything_up_to_its_last_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.wav");
        let mut wav = WavFile::create_new(&path, 8000).unwrap();
        wav.write(&ramp(16_000)).unwrap();
        checkpoint(&mut wav);
        // A second more, partly written to the file, never checkpointed; then the process
        // state is lost without anything completing the file.
        wav.write(&ramp(40_000)).unwrap();
        std::mem::forget(wav);
        assert_eq!(sizes(&path).1, 32_000);
        let (rate, samples) = samples_in(&path);
        assert_eq!(rate, 8000);
        assert_eq!(samples, ramp(16_000), "two seconds, up to the checkpoint");
    }
}
