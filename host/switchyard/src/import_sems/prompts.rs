//! SEMS's prompt files against `media.prompts_dir`: Switchyard plays
//! `<prompts_dir>/<name>.wav`, so SEMS's prompts carry over only when every
//! one is `<key>.wav` in one directory (with the digits' `0.wav` … `9.wav`).

use super::parse::Setting;
use std::path::Path;

/// The SEMS keys naming a prompt file, each also the prompt's name here, and
/// the file SEMS plays when the key is unset (WebConferenceFactory::onLoad),
/// in [`SEMS_PROMPTS_DIR`].
pub const PROMPTS: [(&str, &str); 7] = [
    ("enter_pin", "enter_pin.wav"),
    ("wrong_pin", "wrong_pin.wav"),
    ("wrong_pin_bye", "wrong_pin_bye.wav"),
    ("entering_conference", "entering_conference.wav"),
    ("first_participant", "first_paricipant.wav"),
    ("join_sound", "beep.wav"),
    ("drop_sound", "beep.wav"),
];

/// Where SEMS's webconference module takes its own prompts from
/// (`WEBCONF_ANNOUNCE_PATH`).
pub const SEMS_PROMPTS_DIR: &str = "/usr/local/lib/sems/audio/webconference/";

/// Whether `key` names a prompt file.
pub fn is_prompt(key: &str) -> bool {
    PROMPTS.iter().any(|(prompt, _)| *prompt == key)
}

/// The SEMS key naming the directory of the digits `0.wav` … `9.wav`.
pub const DIGITS_DIR: &str = "digits_dir";

/// The directory every prompt file and the digits are in, when each prompt
/// file is `<key>.wav` there and the directory is absolute (a relative one
/// means SEMS's working directory, unknown here). None when there are no
/// prompt settings at all.
pub fn shared_dir(prompts: &[&Setting]) -> Option<String> {
    let mut shared: Option<&str> = None;
    for setting in prompts {
        let dir = if setting.key == DIGITS_DIR {
            setting.value.as_str()
        } else {
            let path = Path::new(&setting.value);
            if path.file_name()?.to_str()? != format!("{}.wav", setting.key) {
                return None;
            }
            path.parent()?.to_str()?
        };
        let dir = without_trailing_slashes(dir);
        if !Path::new(dir).is_absolute() || shared.is_some_and(|shared| shared != dir) {
            return None;
        }
        shared = Some(dir);
    }
    shared.map(str::to_owned)
}

/// `dir` without trailing `/`, except for the root itself.
fn without_trailing_slashes(dir: &str) -> &str {
    match dir.trim_end_matches('/') {
        "" if dir.starts_with('/') => "/",
        trimmed => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(key: &str, value: &str) -> Setting {
        Setting {
            file: "webconference.conf".to_owned(),
            line: 1,
            index: 0,
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    fn shared(settings: &[(&str, &str)]) -> Option<String> {
        let settings: Vec<_> = settings.iter().map(|(k, v)| setting(k, v)).collect();
        shared_dir(&settings.iter().collect::<Vec<_>>())
    }

    #[test]
    fn prompts_named_after_their_key_in_one_directory_share_it() {
        assert_eq!(
            shared(&[
                ("enter_pin", "/srv/prompts/enter_pin.wav"),
                ("join_sound", "/srv/prompts//join_sound.wav"),
                ("digits_dir", "/srv/prompts/"),
            ]),
            Some("/srv/prompts".to_owned())
        );
        assert_eq!(
            shared(&[("digits_dir", "/srv/digits")]),
            Some("/srv/digits".to_owned())
        );
        assert_eq!(
            shared(&[("wrong_pin", "/wrong_pin.wav"), ("digits_dir", "//")]),
            Some("/".to_owned())
        );
    }

    #[test]
    fn other_names_directories_or_relative_paths_share_none() {
        let cases: [&[(&str, &str)]; 6] = [
            &[],
            &[("enter_pin", "/srv/prompts/pin_prompt.wav")],
            &[
                ("enter_pin", "/srv/a/enter_pin.wav"),
                ("wrong_pin", "/srv/b/wrong_pin.wav"),
            ],
            &[
                ("enter_pin", "/srv/a/enter_pin.wav"),
                ("digits_dir", "/srv/digits/"),
            ],
            &[("enter_pin", "enter_pin.wav")],
            &[("digits_dir", "digits")],
        ];
        for settings in cases {
            assert_eq!(shared(settings), None, "for {settings:?}");
        }
    }
}
