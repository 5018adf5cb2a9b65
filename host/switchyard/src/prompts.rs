//! The prompt library: the embedded English prompts, overridden or extended by
//! the WAV files of `media.prompts_dir`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_control::regular_file;
use switchyard_media::Prompt;

/// Embeds `prompts/en/<name>.wav` for each name.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../prompts/en/", $name, ".wav")))),*]
    };
}

/// The embedded prompts (made by `prompts/generate.sh`).
const EMBEDDED: &[(&str, &[u8])] = embedded![
    "enter_pin",
    "wrong_pin",
    "wrong_pin_bye",
    "entering_conference",
    "first_participant",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "enter_number",
    "conference_locked",
    "conference_full",
    "muted",
    "unmuted",
    "only_person",
    "there_are",
    "participants",
    "wait_for_leader",
    "kicked",
    "goodbye",
    "enter_conference_number",
    "enter_conference_pin",
    "enter_new_pin",
    "wrong_conference_pin",
    "conference_unlocked",
    "call_failed",
    "participant_joined",
    "participant_left",
    "music_on_hold",
    "join_sound",
    "drop_sound",
    "beep",
    "dial_tone",
    "ringback",
];

/// Every `<name>.wav` in `dir`, by name, with its path.
fn prompt_files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("prompt directory {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let (Some(name), Some("wav")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        files.push((name.to_owned(), path));
    }
    Ok(files)
}

/// The prompt file at `path`, opened and its header checked (see [`Prompt::check_wav`]): a
/// regular file, or a link to one. Anything else is an error: a FIFO, which is opened without
/// waiting for a writer (and so holds up neither the start nor a reload), a device, a
/// directory.
fn open_checked(path: &Path) -> io::Result<File> {
    let (mut file, _) = regular_file::open(path)?;
    Prompt::check_wav(&mut BufReader::new(&mut file)).map_err(io::Error::other)?;
    Ok(file)
}

/// The prompt in the file at `path`, decoded once its header is checked.
fn decode(path: &Path) -> io::Result<Prompt> {
    let mut file = open_checked(path)?;
    file.rewind()?;
    // The file may have grown since its header was checked: decoding refuses it whole.
    let mut bytes = Vec::new();
    file.take(Prompt::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Prompt::from_wav(&bytes).map_err(io::Error::other)
}

/// `what` done to the prompt file at `path`, its error naming the file.
fn named<T>(path: &Path, what: fn(&Path) -> io::Result<T>) -> anyhow::Result<T> {
    what(path).map_err(|e| anyhow::anyhow!("prompt {}: {e}", path.display()))
}

/// Prompts by name, decoded to the room rate once at start.
#[derive(Debug, Default)]
pub struct PromptLibrary {
    prompts: HashMap<String, Arc<Prompt>>,
}

impl PromptLibrary {
    /// The embedded prompts, then every `<name>.wav` in `dir` (replacing an
    /// embedded prompt of the same name). A file that [`PromptLibrary::check_dir`]
    /// refuses, or that does not decode, is an error naming it.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<PromptLibrary> {
        let mut prompts = HashMap::new();
        for (name, wav) in EMBEDDED {
            let prompt = Prompt::from_wav(wav)
                .map_err(|e| anyhow::anyhow!("embedded prompt {name}: {e}"))?;
            prompts.insert((*name).to_owned(), Arc::new(prompt));
        }
        if let Some(dir) = dir {
            for (name, path) in prompt_files(dir)? {
                prompts.insert(name, Arc::new(named(&path, decode)?));
            }
        }
        Ok(PromptLibrary { prompts })
    }

    /// Checks every `<name>.wav` in `dir` as [`PromptLibrary::load`] does before decoding
    /// it, from its header alone: a regular file (or a link to one) that
    /// [`Prompt::check_wav`] takes. The error names the first file refused.
    pub fn check_dir(dir: &Path) -> anyhow::Result<()> {
        for (_, path) in prompt_files(dir)? {
            named(&path, open_checked)?;
        }
        Ok(())
    }

    /// The prompts named, in order; the first unknown name is the error.
    pub fn resolve(&self, names: &[String]) -> Result<Vec<Arc<Prompt>>, String> {
        names
            .iter()
            .map(|name| self.prompts.get(name).cloned().ok_or_else(|| name.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_prompt_decodes() {
        let library = PromptLibrary::load(None).unwrap();
        assert_eq!(library.prompts.len(), EMBEDDED.len());
        let enter_pin = &library.resolve(&["enter_pin".to_owned()]).unwrap()[0];
        assert!(enter_pin.duration().as_secs_f64() > 2.0);
    }

    /// A second of silence at 8 kHz, 16-bit mono, written to `path`.
    fn write_wav(path: &Path) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        (0..8000).for_each(|_| writer.write_sample(0i16).unwrap());
        writer.finalize().unwrap();
    }

    /// What the check and the load of `dir` made of it, run on a thread of their own: one
    /// that hangs fails the test rather than hang it.
    fn checked_and_loaded(dir: &Path) -> (anyhow::Result<()>, anyhow::Result<PromptLibrary>) {
        let (done, outcome) = std::sync::mpsc::channel();
        let dir = dir.to_owned();
        std::thread::spawn(move || {
            let _ = done.send((
                PromptLibrary::check_dir(&dir),
                PromptLibrary::load(Some(&dir)),
            ));
        });
        outcome
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the check or the load waited, as for a writer to a FIFO")
    }

    /// Asserts that both the check and the load of `dir` refuse `file` of it for `why`.
    fn assert_refused(dir: &Path, file: &str, why: &str) {
        let (checked, loaded) = checked_and_loaded(dir);
        let want = format!("prompt {}: {why}", dir.join(file).display());
        assert_eq!(checked.unwrap_err().to_string(), want);
        assert_eq!(loaded.unwrap_err().to_string(), want);
    }

    #[test]
    fn a_prompt_file_and_a_link_to_one_are_loaded() {
        let dir = tempfile::tempdir().unwrap();
        write_wav(&dir.path().join("hold.wav"));
        std::os::unix::fs::symlink("hold.wav", dir.path().join("beep.wav")).unwrap();
        let (checked, loaded) = checked_and_loaded(dir.path());
        checked.unwrap();
        let names = ["hold".to_owned(), "beep".to_owned()];
        let prompts = loaded.unwrap().resolve(&names).unwrap();
        assert!(prompts.iter().all(|p| p.samples().len() == 8000));
    }

    #[test]
    fn a_fifo_or_a_device_among_the_prompts_is_refused_without_waiting() {
        let not_regular = "not a regular file (a FIFO, a device or a directory)";
        let dir = tempfile::tempdir().unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("hold.wav"))
            .status()
            .expect("mkfifo (coreutils)");
        assert!(made.success());
        assert_refused(dir.path(), "hold.wav", not_regular);
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.wav")).unwrap();
        assert_refused(dir.path(), "zero.wav", not_regular);
    }

    #[test]
    fn a_prompt_file_past_the_limit_is_refused_by_the_check_and_the_load_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hold.wav");
        write_wav(&path);
        // Sparse: it takes no space.
        let len = Prompt::MAX_FILE_BYTES + 1;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len)
            .unwrap();
        let why = format!("{len} bytes, more than the 64 MiB a prompt file may take");
        assert_refused(dir.path(), "hold.wav", &why);
    }

    #[test]
    fn the_check_reads_no_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hold.wav");
        write_wav(&path);
        // The header alone, claiming a second of samples: the check, which decodes nothing,
        // passes it; the load, which decodes, does not.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..44]).unwrap();
        let (checked, loaded) = checked_and_loaded(dir.path());
        checked.unwrap();
        let refused = loaded.unwrap_err().to_string();
        assert!(
            refused.starts_with(&format!("prompt {}: cannot read WAV", path.display())),
            "{refused}"
        );
    }

    #[test]
    fn unknown_names_are_reported() {
        let library = PromptLibrary::load(None).unwrap();
        let names = ["1".to_owned(), "nope".to_owned()];
        assert_eq!(library.resolve(&names).unwrap_err(), "nope");
    }
}
