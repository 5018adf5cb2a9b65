//! Feedback records, one line each, in SEMS's format: fields separated and
//! ended by `|||`, the time in unix seconds last; a room's record starts
//! `RO ` and the room, with a space, as SEMS writes it. And the file they go
//! to, named as the host's records take it: the config's `feedback_file`, or
//! the one `resetFeedback` chose while that `feedback_file` was configured.

use crate::fields;
use switchyard_sdk::store::Kv;
use switchyard_sdk::types::Error;

/// The field separator (and terminator) of a feedback line.
const SEPARATOR: &str = "|||";
/// The longest file name the host's records take, in bytes.
const MAX_FILE_NAME_BYTES: usize = 255;
/// The key-value key of the file `resetFeedback` chose: a record
/// ([`fields::join`]) of the configured `feedback_file` it replaced and the
/// file chosen.
const CHOSEN_FILE_KEY: &str = "feedback_file";

/// What keeps `value` (the `feedback_file` setting) from ever naming a file
/// the host's records write: "" is unset (no feedback is written); a plain
/// name is a file of the guest's records directory; an absolute path is
/// taken here and judged by the host at the first write, which takes it only
/// in that directory (the guest does not know where that is). Refused: a
/// relative path with a directory, a path through `..`, and a file name the
/// host never takes (1 to 255 bytes, no `/`, `\` or NUL, not starting with
/// `.`, so neither a hidden file nor `.` or `..`).
pub fn file_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    let name = match value.strip_prefix('/') {
        Some(path) if path.split('/').any(|part| part == "..") => {
            return Some("a path has no '..'");
        }
        Some(path) => path.rsplit('/').next().unwrap_or_default(),
        None => value,
    };
    if name.is_empty() || name.len() > MAX_FILE_NAME_BYTES {
        return Some("a file name has 1 to 255 bytes");
    }
    if name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        return Some(
            "a file name has no '/', '\\' or NUL and does not start with '.' \
             (a path is absolute)",
        );
    }
    None
}

/// Why `resetFeedback` failed.
#[derive(Debug, Clone)]
pub enum ResetRefusal {
    /// No file name was given.
    NoName,
    /// The file could not be emptied: the host's error.
    NotOpened(Error),
    /// The choice could not be kept in the key-value store: its error.
    NotKept(Error),
}

/// `resetFeedback(file)` while `configured` is the `feedback_file` setting
/// ("": unset): empties `file` with `truncate` and keeps it in `store` as
/// the feedback file for as long as `configured` stays configured. As in
/// SEMS, which closes its file first, a reset without a name or of a file
/// that cannot be emptied leaves feedback going nowhere ("") until a reset
/// succeeds or the configuration names another `feedback_file`.
pub fn reset(
    store: &impl Kv,
    configured: &str,
    file: &str,
    truncate: impl FnOnce(&str) -> Result<(), Error>,
) -> Result<(), ResetRefusal> {
    let outcome = if file.is_empty() {
        Err(ResetRefusal::NoName)
    } else {
        truncate(file).map_err(ResetRefusal::NotOpened)
    };
    let chosen = if outcome.is_ok() { file } else { "" };
    store
        .set(CHOSEN_FILE_KEY, &fields::join(&[configured, chosen]))
        .map_err(ResetRefusal::NotKept)?;
    outcome
}

/// The file feedback goes to ("": nowhere) while `configured` is the
/// `feedback_file` setting: the one `resetFeedback` chose under that same
/// setting, else `configured`. A choice found under another setting is
/// deleted, as the config that named a new file since overrides it; a
/// choice of one field, kept by a version of the guest that did not note the
/// setting, is taken as made under this one, and kept so from then on.
pub fn current_file(store: &impl Kv, configured: &str) -> String {
    let Some(record) = store.get(CHOSEN_FILE_KEY) else {
        return configured.to_owned();
    };
    match fields::split(&record).as_slice() {
        [replaced, chosen] if replaced == configured => chosen.clone(),
        [chosen] => {
            // Noted now, a later reload naming another file overrides it as any choice.
            let _ = store.set(CHOSEN_FILE_KEY, &fields::join(&[configured, chosen]));
            chosen.clone()
        }
        _ => {
            store.delete(CHOSEN_FILE_KEY);
            configured.to_owned()
        }
    }
}

/// Feedback on a room (`vqRoomFeedback`):
/// `RO room|||pin|||opinion|||unixtime|||`.
pub fn room_line(room: &str, pin: &str, opinion: i32, unix_time: u64) -> String {
    line(&[
        &format!("RO {room}"),
        pin,
        &opinion.to_string(),
        &unix_time.to_string(),
    ])
}

/// Feedback on one call (`vqCallFeedback`):
/// `CA|||room|||pin|||tag|||opinion|||unixtime|||`.
pub fn call_line(room: &str, pin: &str, call_tag: &str, opinion: i32, unix_time: u64) -> String {
    line(&[
        "CA",
        room,
        pin,
        call_tag,
        &opinion.to_string(),
        &unix_time.to_string(),
    ])
}

/// Feedback on the conference with a comment (`vqConferenceFeedback`):
/// `CO|||room|||pin|||opinion|||sender|||comment|||unixtime|||`.
pub fn conference_line(
    room: &str,
    pin: &str,
    sender: &str,
    comment: &str,
    opinion: i32,
    unix_time: u64,
) -> String {
    line(&[
        "CO",
        room,
        pin,
        &opinion.to_string(),
        sender,
        comment,
        &unix_time.to_string(),
    ])
}

/// The fields joined and ended by the separator, and a newline. A line break
/// inside a field becomes a space: one record is always one line (SEMS writes
/// it as given, so a comment with a line break splits its record).
fn line(fields: &[&str]) -> String {
    let mut line = String::new();
    for field in fields {
        line.extend(field.chars().map(|c| match c {
            '\r' | '\n' => ' ',
            c => c,
        }));
        line.push_str(SEPARATOR);
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_sdk::store::MemoryKv;

    /// A `truncate` that empties every file.
    fn emptied(_file: &str) -> Result<(), Error> {
        Ok(())
    }

    #[test]
    fn a_reset_file_takes_feedback_until_the_configured_file_changes() {
        let store = MemoryKv::default();
        assert_eq!(current_file(&store, "a.txt"), "a.txt");
        assert!(reset(&store, "a.txt", "b.txt", emptied).is_ok());
        assert_eq!(current_file(&store, "a.txt"), "b.txt");
        assert_eq!(
            current_file(&store, "c.txt"),
            "c.txt",
            "a reload naming another feedback_file overrides the reset"
        );
        assert_eq!(
            current_file(&store, "a.txt"),
            "a.txt",
            "the overridden choice is gone, not back with the old setting"
        );
        assert!(reset(&store, "", "d.txt", emptied).is_ok());
        assert_eq!(current_file(&store, ""), "d.txt", "chosen with none set");
    }

    #[test]
    fn a_choice_kept_in_one_field_is_taken_as_made_under_the_setting() {
        let store = MemoryKv::default();
        store.set(CHOSEN_FILE_KEY, "b.txt").unwrap();
        assert_eq!(current_file(&store, "a.txt"), "b.txt");
        assert_eq!(current_file(&store, "a.txt"), "b.txt", "kept");
        assert_eq!(
            current_file(&store, "c.txt"),
            "c.txt",
            "a reload naming another file overrides it"
        );
        store.set(CHOSEN_FILE_KEY, "").unwrap();
        assert_eq!(current_file(&store, "a.txt"), "", "a failed reset's");
    }

    #[test]
    fn a_failed_reset_sends_feedback_nowhere_until_the_configured_file_changes() {
        let store = MemoryKv::default();
        assert!(reset(&store, "a.txt", "b.txt", emptied).is_ok());
        assert!(matches!(
            reset(&store, "a.txt", "", emptied),
            Err(ResetRefusal::NoName)
        ));
        assert_eq!(current_file(&store, "a.txt"), "");
        assert!(reset(&store, "a.txt", "b.txt", emptied).is_ok());
        let refused = |_: &str| Err(Error::InvalidArgument("outside".to_owned()));
        assert!(matches!(
            reset(&store, "a.txt", "/etc/x", refused),
            Err(ResetRefusal::NotOpened(Error::InvalidArgument(_)))
        ));
        assert_eq!(current_file(&store, "a.txt"), "");
        assert_eq!(current_file(&store, "c.txt"), "c.txt");
    }

    #[test]
    fn lines_have_the_sems_shapes() {
        assert_eq!(
            room_line("123", "4711", 5, 1_700_000_000),
            "RO 123|||4711|||5|||1700000000|||\n"
        );
        assert_eq!(
            call_line("123", "4711", "tag-1", -1, 1_700_000_000),
            "CA|||123|||4711|||tag-1|||-1|||1700000000|||\n"
        );
        assert_eq!(
            conference_line("123", "4711", "ann", "clear audio", 4, 1_700_000_000),
            "CO|||123|||4711|||4|||ann|||clear audio|||1700000000|||\n"
        );
    }

    #[test]
    fn a_feedback_file_is_unset_a_plain_name_or_an_absolute_path() {
        for value in [
            "",
            "feedback.txt",
            &"f".repeat(255),
            "/var/lib/switchyard/records/feedback.txt",
        ] {
            assert_eq!(file_problem(value), None, "expected {value:?} taken");
        }
        for value in [
            ".",
            "..",
            ".hidden",
            "logs/feedback.txt",
            "../feedback.txt",
            "/var/log/../feedback.txt",
            "/var/log/",
            "/var/log/.hidden",
            "a\\b",
            "a\0b",
            &"f".repeat(256),
        ] {
            assert!(
                file_problem(value).is_some(),
                "expected {value:?} to be refused"
            );
        }
    }

    #[test]
    fn a_line_break_in_a_field_stays_inside_its_line() {
        let line = conference_line("1", "", "bob", "one\r\ntwo\nthree", 1, 7);
        assert_eq!(line, "CO|||1||||||1|||bob|||one  two three|||7|||\n");
        assert_eq!(line.matches('\n').count(), 1);
    }
}
