//! The names of a recording's tracks: `<name>-<call>.wav` beside its mix `<name>.wav`, one per
//! participant, named by the call id the control API lists the participant by (`c17`).

use switchyard_core::CallId;
use switchyard_media::LegId;

/// What a track's name adds to its recording's stem at most: `-c` and the longest call id.
const LONGEST_SUFFIX: &str = "-c18446744073709551615";

/// The file name of the track of `leg` (the leg of the call of the same number) in the
/// recording whose mix is `<stem>.wav`.
pub fn file_name(stem: &str, leg: LegId) -> String {
    format!("{stem}-{}{}", CallId(leg.0), super::EXTENSION)
}

/// The most bytes of the stem of a recording with tracks: room for the longest call id in its
/// tracks' names, each of which is then as valid a name as the mix's.
pub const MAX_STEM_BYTES: usize = super::MAX_STEM_BYTES - LONGEST_SUFFIX.len();

/// Whether `file_name` is the name of a track of the recording `<stem>.wav`.
pub fn is_track_of(stem: &str, file_name: &str) -> bool {
    file_name
        .strip_suffix(super::EXTENSION)
        .and_then(|name| name.strip_prefix(stem))
        .and_then(|call| call.strip_prefix('-'))
        .is_some_and(|call| call.parse::<CallId>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_is_named_after_its_recording_and_its_call() {
        assert_eq!(file_name("board", LegId(17)), "board-c17.wav");
        assert!(is_track_of("board", "board-c17.wav"));
        for other in [
            "board.wav",
            "board-c.wav",
            "board-x17.wav",
            "boards-c1.wav",
            "b-c1.wav",
        ] {
            assert!(!is_track_of("board", other), "{other}");
        }
        let longest = file_name(&"n".repeat(MAX_STEM_BYTES), LegId(u64::MAX));
        assert_eq!(
            longest.len(),
            super::super::MAX_STEM_BYTES + super::super::EXTENSION.len(),
            "the longest track's name is as long as the longest mix's"
        );
    }
}
