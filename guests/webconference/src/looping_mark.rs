//! The marks of participants looping `first_participant` until someone
//! joins (`looping/<room>/<call>`), in the key-value store: whoever joins the
//! room next ends every loop marked there. The room is its
//! [`fields::key_segment`], so that a key never passes the host's 256 bytes
//! whatever the room's name.

use crate::fields;

/// The longest key the host takes, in bytes.
const MAX_KEY_BYTES: usize = 256;

/// The longest call id, in bytes: a `u64` in decimal.
const MAX_CALL_BYTES: usize = 20;

/// The key prefix of the marks of `room`: its name escaped whenever a key
/// held it so before names were ever digested (only longer ones are), so
/// that versions of the guest find each other's marks.
pub fn prefix(room: &str) -> String {
    const ROOM_BYTES: usize = MAX_KEY_BYTES - "looping/".len() - "/".len() - MAX_CALL_BYTES;
    format!("looping/{}/", fields::key_segment(room, ROOM_BYTES))
}

/// The key of the mark of `call` in `room`.
pub fn key(room: &str, call: &str) -> String {
    format!("{}{}", prefix(room), fields::escape(call))
}

/// The call a key listed under `prefix` (see [`prefix`]) marks.
pub fn call_of(key: &str, prefix: &str) -> String {
    fields::unescape(key.strip_prefix(prefix).unwrap_or(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_of_a_room_share_its_prefix_and_name_their_call() {
        let key = key("room/1", "call/7");
        assert_eq!(key, "looping/room%2F1/call%2F7");
        assert_eq!(call_of(&key, &prefix("room/1")), "call/7");
    }

    #[test]
    fn names_a_key_held_escaped_stay_escaped() {
        let room = "r".repeat(227);
        assert_eq!(prefix(&room), format!("looping/{room}/"));
        assert!(prefix(&"r".repeat(228)).starts_with("looping/%H"));
    }

    #[test]
    fn marks_fit_a_key_whatever_the_room_name() {
        let call = "18446744073709551615";
        for room in ["𝄞".repeat(64), "/".repeat(64), "%".repeat(64)] {
            let key = key(&room, call);
            assert!(key.len() <= MAX_KEY_BYTES, "{} bytes: {key}", key.len());
            assert!(key.starts_with(&prefix(&room)));
            assert_eq!(call_of(&key, &prefix(&room)), call);
        }
    }
}
