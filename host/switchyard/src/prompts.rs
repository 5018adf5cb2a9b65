//! The prompt library: the embedded English prompts, overridden or extended by
//! the WAV files of `media.prompts_dir`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
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

/// Every `<name>.wav` in `dir`, decoded, by name; a file that cannot be read or decoded is
/// the error naming it.
fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, Prompt)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("prompt directory {}: {e}", dir.display()))?;
    let mut prompts = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let (Some(name), Some("wav")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let bytes =
            std::fs::read(&path).map_err(|e| anyhow::anyhow!("prompt {}: {e}", path.display()))?;
        let prompt = Prompt::from_wav(&bytes)
            .map_err(|e| anyhow::anyhow!("prompt {}: {e}", path.display()))?;
        prompts.push((name.to_owned(), prompt));
    }
    Ok(prompts)
}

/// Prompts by name, decoded to the room rate once at start.
#[derive(Debug, Default)]
pub struct PromptLibrary {
    prompts: HashMap<String, Arc<Prompt>>,
}

impl PromptLibrary {
    /// The embedded prompts, then every `<name>.wav` in `dir` (replacing an
    /// embedded prompt of the same name). A file that does not decode is an
    /// error naming it.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<PromptLibrary> {
        let mut prompts = HashMap::new();
        for (name, wav) in EMBEDDED {
            let prompt = Prompt::from_wav(wav)
                .map_err(|e| anyhow::anyhow!("embedded prompt {name}: {e}"))?;
            prompts.insert((*name).to_owned(), Arc::new(prompt));
        }
        if let Some(dir) = dir {
            for (name, prompt) in read_dir(dir)? {
                prompts.insert(name, Arc::new(prompt));
            }
        }
        Ok(PromptLibrary { prompts })
    }

    /// Checks that every `<name>.wav` in `dir` decodes, as [`PromptLibrary::load`] would;
    /// the error names the file that does not.
    pub fn check_dir(dir: &Path) -> anyhow::Result<()> {
        read_dir(dir).map(drop)
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

    #[test]
    fn unknown_names_are_reported() {
        let library = PromptLibrary::load(None).unwrap();
        let names = ["1".to_owned(), "nope".to_owned()];
        assert_eq!(library.resolve(&names).unwrap_err(), "nope");
    }
}
