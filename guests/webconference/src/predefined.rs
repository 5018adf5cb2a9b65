//! `predefined_rooms = room:pin;room2:pin2`: rooms that exist from the start,
//! each with its admin pin.

use crate::adminpin::{MAX_PIN_BYTES, can_keep};
use crate::limits::room_name_rule;
use switchyard_sdk::room_name::is_room_name;

/// One predefined room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predefined {
    /// The room's name.
    pub room: String,
    /// Its admin pin.
    pub pin: String,
}

/// An entry of `predefined_rooms` that opens no room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadEntry {
    /// Not `<room>:<pin>` with both parts non-empty.
    NotRoomPin(String),
    /// `<room>:<pin>` whose room is no name the host takes ([`is_room_name`]).
    NoRoomName(String),
    /// `<room>:<pin>` whose pin is longer than a room keeps ([`can_keep`]).
    PinTooLong(String),
}

impl BadEntry {
    /// What is wrong with it, naming it, for the config check.
    pub fn problem(&self) -> String {
        match self {
            BadEntry::NotRoomPin(entry) => {
                format!("{entry:?} is not <room>:<pin> (entries are separated by ;)")
            }
            BadEntry::NoRoomName(entry) => {
                format!("{entry:?} names no room: {}", room_name_rule())
            }
            BadEntry::PinTooLong(entry) => {
                let room = entry.split(':').next().unwrap_or_default().trim();
                format!("the pin of room {room:?} has more than {MAX_PIN_BYTES} bytes")
            }
        }
    }
}

/// The rooms a `predefined_rooms` value lists, in order, and the entries that
/// open no room (for the config check). Empty entries (`a:1;;b:2;`) are
/// skipped silently, as SEMS skips them.
pub fn parse(value: &str) -> (Vec<Predefined>, Vec<BadEntry>) {
    let mut rooms = Vec::new();
    let mut bad = Vec::new();
    for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.split(':').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(room), Some(pin), None) if !room.is_empty() && !pin.is_empty() => {
                if !is_room_name(room) {
                    bad.push(BadEntry::NoRoomName(entry.to_owned()));
                    continue;
                }
                if !can_keep(pin) {
                    bad.push(BadEntry::PinTooLong(entry.to_owned()));
                    continue;
                }
                rooms.push(Predefined {
                    room: room.to_owned(),
                    pin: pin.to_owned(),
                });
            }
            _ => bad.push(BadEntry::NotRoomPin(entry.to_owned())),
        }
    }
    (rooms, bad)
}

/// The rooms the `predefined_rooms` value `before` lists and `now` does not:
/// no longer predefined.
pub fn dropped(before: &str, now: &str) -> Vec<String> {
    let listed: Vec<String> = parse(now).0.into_iter().map(|p| p.room).collect();
    parse(before)
        .0
        .into_iter()
        .map(|p| p.room)
        .filter(|room| !listed.contains(room))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_sdk::room_name::MAX_ROOM_CHARS;

    fn room(room: &str, pin: &str) -> Predefined {
        Predefined {
            room: room.to_owned(),
            pin: pin.to_owned(),
        }
    }

    #[test]
    fn parses_semss_example() {
        assert_eq!(
            parse("discussion:some_pwd;support:other_pwd;"),
            (
                vec![room("discussion", "some_pwd"), room("support", "other_pwd")],
                Vec::new()
            )
        );
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let (rooms, bad) = parse("a:1; nopin ;:2;b:;c:3:4; d : 5 ;;");
        assert_eq!(rooms, vec![room("a", "1"), room("d", "5")]);
        let shapes = ["nopin", ":2", "b:", "c:3:4"];
        let expected: Vec<_> = shapes
            .into_iter()
            .map(|e| BadEntry::NotRoomPin(e.to_owned()))
            .collect();
        assert_eq!(bad, expected);
    }

    #[test]
    fn entries_naming_no_room_the_host_takes_are_reported() {
        let long = "r".repeat(MAX_ROOM_CHARS + 1);
        let (rooms, bad) = parse(&format!("a:1;.:2;..:3;{long}:4;...:5"));
        assert_eq!(rooms, vec![room("a", "1"), room("...", "5")]);
        let expected: Vec<_> = [".:2".to_owned(), "..:3".to_owned(), format!("{long}:4")]
            .into_iter()
            .map(BadEntry::NoRoomName)
            .collect();
        assert_eq!(bad, expected);
        assert_eq!(
            expected[1].problem(),
            "\"..:3\" names no room: a room name has 1 to 64 characters and is neither . nor .."
        );
    }

    #[test]
    fn a_pin_longer_than_a_room_keeps_is_reported() {
        let pin = "7".repeat(MAX_PIN_BYTES + 1);
        let (rooms, bad) = parse(&format!("a:1;b:{pin}"));
        assert_eq!(rooms, vec![room("a", "1")]);
        assert_eq!(bad, vec![BadEntry::PinTooLong(format!("b:{pin}"))]);
        assert_eq!(
            bad[0].problem(),
            "the pin of room \"b\" has more than 4096 bytes"
        );
    }

    #[test]
    fn rooms_the_config_no_longer_lists_are_dropped() {
        assert_eq!(dropped("a:1;b:2;c:3", "b:9;d:4"), ["a", "c"]);
        assert_eq!(dropped("a:1", "a:2"), Vec::<String>::new(), "a new pin");
        assert_eq!(dropped("", "a:1"), Vec::<String>::new());
        assert_eq!(dropped("a:1", ""), ["a"]);
    }

    #[test]
    fn an_empty_value_lists_nothing() {
        assert_eq!(parse(""), (Vec::new(), Vec::new()));
        assert_eq!(parse(" ; "), (Vec::new(), Vec::new()));
    }
}
