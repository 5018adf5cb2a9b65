//! The room names the host takes: 1 to [`MAX_ROOM_CHARS`] characters, other
//! than `.` and `..`. A guest checks a name it is given (dialled, typed, or
//! from a client) before it answers for a room, so that a name no room can
//! have is refused where it comes in rather than when the call joins.

/// The longest room name the host takes, in characters.
pub const MAX_ROOM_CHARS: usize = 64;

/// Whether the host takes `room` as a room name: 1 to [`MAX_ROOM_CHARS`]
/// characters, other than `.` and `..`.
pub fn is_room_name(room: &str) -> bool {
    // RFC 3986 §5.2.4: a URL path drops `.` and `..` segments, so the host's REST
    // API could not name such a room.
    !room.is_empty() && room != "." && room != ".." && room.chars().count() <= MAX_ROOM_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_have_1_to_64_characters() {
        assert!(is_room_name("1"));
        assert!(is_room_name(&"r".repeat(MAX_ROOM_CHARS)));
        assert!(is_room_name(&"é".repeat(MAX_ROOM_CHARS)));
        assert!(!is_room_name(""));
        assert!(!is_room_name(&"r".repeat(MAX_ROOM_CHARS + 1)));
    }

    #[test]
    fn dot_segments_are_no_room_names() {
        assert!(!is_room_name("."));
        assert!(!is_room_name(".."));
        assert!(is_room_name("..."));
        assert!(is_room_name(".1"));
    }
}
