//! Who may enter a room by dial-in: `room_pin_split` (the number entered is
//! the room followed by the participant's id) and `private_rooms` (only rooms
//! that exist; with the split, only participants the room lists: invited by
//! `addParticipant`, or a call of theirs not yet dropped off).

use crate::limits;

/// What a caller asked for: a room and, with `room_pin_split`, its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The room.
    pub room: String,
    /// The participant id the number carried; `None` without `room_pin_split`.
    pub participant_id: Option<String>,
}

/// Splits what the caller dialled or typed: with `split_at` (`room_pin_split`)
/// the first `split_at` characters are the room and the rest the participant
/// id, cut to the host's size ([`limits::participant_id`]); `None` if nothing
/// is left for the id (SEMS wants at least one character). Without `split_at`
/// it is all room. `None` too for a room the host takes for none (empty, or
/// longer than [`limits::MAX_ROOM_CHARS`] characters): no room can be entered.
pub fn parse(number: &str, split_at: Option<usize>) -> Option<Entry> {
    let entry = match split_at {
        None => Entry {
            room: number.to_owned(),
            participant_id: None,
        },
        Some(at) => {
            if number.chars().count() <= at {
                return None;
            }
            let cut = number.char_indices().nth(at).map_or(0, |(i, _)| i);
            Entry {
                room: number[..cut].to_owned(),
                participant_id: Some(limits::participant_id(&number[cut..])),
            }
        }
    };
    limits::is_room_name(&entry.room).then_some(entry)
}

/// Whether the caller may enter, as SEMS decides it: any room unless rooms are
/// private; else only a room that exists, and with `room_pin_split` only when
/// the id it carried is among the room's participant ids (`ids`: those invited
/// and those of the calls listed, Finished ones too until they drop off).
pub fn admits(private_rooms: bool, room_exists: bool, entry: &Entry, ids: &[&str]) -> bool {
    if !private_rooms {
        return true;
    }
    room_exists
        && entry
            .participant_id
            .as_deref()
            .is_none_or(|id| ids.contains(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(room: &str, id: Option<&str>) -> Entry {
        Entry {
            room: room.to_owned(),
            participant_id: id.map(str::to_owned),
        }
    }

    #[test]
    fn without_split_the_number_is_the_room() {
        assert_eq!(parse("1234", None), Some(entry("1234", None)));
    }

    #[test]
    fn a_room_the_host_takes_for_none_is_no_entry() {
        assert_eq!(parse("", None), None);
        let longest = "7".repeat(limits::MAX_ROOM_CHARS);
        assert_eq!(parse(&longest, None), Some(entry(&longest, None)));
        assert_eq!(parse(&format!("{longest}7"), None), None);
        assert_eq!(parse("56", Some(0)), None);
    }

    #[test]
    fn a_long_participant_id_is_cut_as_the_host_lists_it() {
        let id = "5".repeat(300);
        let parsed = parse(&format!("1234{id}"), Some(4)).expect("an entry");
        assert_eq!(
            parsed.participant_id,
            Some(limits::participant_id(&id)),
            "expected the id cut to {} bytes",
            limits::MAX_PARTICIPANT_ID_BYTES
        );
    }

    #[test]
    fn split_cuts_room_and_participant_id() {
        assert_eq!(parse("123456", Some(4)), Some(entry("1234", Some("56"))));
        assert_eq!(parse("12345", Some(4)), Some(entry("1234", Some("5"))));
    }

    #[test]
    fn split_needs_a_participant_id() {
        assert_eq!(parse("1234", Some(4)), None);
        assert_eq!(parse("12", Some(4)), None);
        assert_eq!(parse("", Some(0)), None);
    }

    #[test]
    fn open_rooms_admit_anyone() {
        assert!(admits(false, false, &entry("1", None), &[]));
        assert!(admits(false, false, &entry("1", Some("9")), &[]));
    }

    #[test]
    fn private_rooms_must_exist() {
        assert!(!admits(true, false, &entry("1", None), &[]));
        assert!(admits(true, true, &entry("1", None), &[]));
    }

    #[test]
    fn private_split_rooms_admit_the_rooms_ids_only() {
        let ids = ["56", "77"];
        assert!(admits(true, true, &entry("1234", Some("56")), &ids));
        assert!(!admits(true, true, &entry("1234", Some("57")), &ids));
        assert!(!admits(true, false, &entry("1234", Some("56")), &ids));
    }
}
