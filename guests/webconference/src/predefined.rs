//! `predefined_rooms = room:pin;room2:pin2`: rooms that exist from the start,
//! each with its admin pin.

/// One predefined room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predefined {
    /// The room's name.
    pub room: String,
    /// Its admin pin.
    pub pin: String,
}

/// The rooms a `predefined_rooms` value lists, in order, and the entries that
/// are not `<room>:<pin>` with both parts non-empty (for the config check). Empty
/// entries (`a:1;;b:2;`) are skipped silently, as SEMS skips them.
pub fn parse(value: &str) -> (Vec<Predefined>, Vec<String>) {
    let mut rooms = Vec::new();
    let mut bad = Vec::new();
    for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.split(':').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(room), Some(pin), None) if !room.is_empty() && !pin.is_empty() => {
                rooms.push(Predefined {
                    room: room.to_owned(),
                    pin: pin.to_owned(),
                });
            }
            _ => bad.push(entry.to_owned()),
        }
    }
    (rooms, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(bad, vec!["nopin", ":2", "b:", "c:3:4"]);
    }

    #[test]
    fn an_empty_value_lists_nothing() {
        assert_eq!(parse(""), (Vec::new(), Vec::new()));
        assert_eq!(parse(" ; "), (Vec::new(), Vec::new()));
    }
}
