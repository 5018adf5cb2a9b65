//! The sizes the host takes for a room's name and in its participant list.
//! SEMS takes any length; here a longer participant id or number is cut to
//! the host's size, at a character boundary, wherever it comes in (a call's
//! header or room number, `addParticipant`, `dialout`, `findParticipant`), so
//! that one long id always names one participant. A room name the host takes
//! for none is refused where it comes in.

/// The longest participant id the host lists, in bytes.
pub const MAX_PARTICIPANT_ID_BYTES: usize = 256;
/// The longest number the host lists a participant with, in bytes; also the
/// longest Request-URI, From and To of a call it places.
pub const MAX_NUMBER_BYTES: usize = 2048;
pub use switchyard_sdk::room_name::{MAX_ROOM_CHARS, is_room_name};

/// What a room name is ([`is_room_name`]), for the messages refusing one.
pub fn room_name_rule() -> String {
    format!("a room name has 1 to {MAX_ROOM_CHARS} characters and is neither . nor ..")
}

/// Why `room`, which [`is_room_name`] refuses, names no room, quoting it
/// ([`quoted`]).
pub fn no_room_named(room: &str) -> String {
    format!(
        "no room can be named {}: {}",
        quoted(room),
        room_name_rule()
    )
}

/// The most characters of a client's text a fault or reason quotes.
pub const MAX_QUOTED_CHARS: usize = 64;

/// `text` quoted with its control characters escaped, cut after
/// [`MAX_QUOTED_CHARS`] characters and then marked `…`.
// The text is the client's, of any length, and what quotes it goes back in
// the answer whole.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// `id` cut to its first [`MAX_PARTICIPANT_ID_BYTES`], at a character boundary.
pub fn participant_id(id: &str) -> String {
    cut(id, MAX_PARTICIPANT_ID_BYTES).to_owned()
}

/// `number` cut to its first [`MAX_NUMBER_BYTES`], at a character boundary.
pub fn number(number: &str) -> String {
    cut(number, MAX_NUMBER_BYTES).to_owned()
}

/// `text` cut to its first `most` bytes, at a character boundary.
pub(crate) fn cut(text: &str, most: usize) -> &str {
    &text[..text.floor_char_boundary(most)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_room_name_is_quoted_short() {
        let problem = no_room_named(&"7".repeat(1_000_000));
        assert_eq!(
            problem,
            format!(
                "no room can be named {:?}…: {}",
                "7".repeat(MAX_QUOTED_CHARS),
                room_name_rule()
            )
        );
        assert_eq!(
            no_room_named(".."),
            format!("no room can be named \"..\": {}", room_name_rule())
        );
    }

    #[test]
    fn long_ids_and_numbers_are_cut_to_the_hosts_sizes() {
        let id = "p".repeat(300);
        assert_eq!(participant_id(&id), "p".repeat(MAX_PARTICIPANT_ID_BYTES));
        let uri = format!("sip:{}@example.com", "1".repeat(3000));
        assert_eq!(number(&uri).len(), MAX_NUMBER_BYTES);
        assert!(uri.starts_with(&number(&uri)));
    }

    #[test]
    fn short_ones_are_kept_whole() {
        assert_eq!(participant_id("56"), "56");
        assert_eq!(participant_id(""), "");
        assert_eq!(number("<sip:alice@192.0.2.7>"), "<sip:alice@192.0.2.7>");
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        // 'é' is two bytes: 128 of them fill the id exactly, 129 do not fit.
        assert_eq!(participant_id(&"é".repeat(129)), "é".repeat(128));
        // A three-byte character across the limit is left out whole.
        let id = format!("{}€", "a".repeat(MAX_PARTICIPANT_ID_BYTES - 1));
        assert_eq!(
            participant_id(&id),
            "a".repeat(MAX_PARTICIPANT_ID_BYTES - 1)
        );
    }
}
