//! Admin pins: SEMS's rule for looking a room up with (room, adminpin), and
//! the pins `roomCreate` makes.

/// The room meta key holding a room's admin pin ("" or missing: none yet).
pub const META_KEY: &str = "adminpin";

/// The longest admin pin a room keeps, in bytes: the host keeps 128 KiB of
/// keys and values with a room, and a pin this long leaves most of it to the
/// room's other values. SEMS takes a pin of any length.
pub const MAX_PIN_BYTES: usize = 4096;

/// Whether a room can keep `pin` as its admin pin (see [`MAX_PIN_BYTES`]).
pub fn can_keep(pin: &str) -> bool {
    pin.len() <= MAX_PIN_BYTES
}

/// A new pin from a random number: six decimal digits, leading zeros kept, as
/// SEMS makes them.
pub fn new_pin(random: u64) -> String {
    format!("{:06}", random % 1_000_000)
}

/// What to do with a (room, adminpin) lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinDecision {
    /// The room does not exist: open it with the given pin.
    OpenWithPin,
    /// The room exists without a pin: the given pin becomes its pin.
    TakePin,
    /// The pin matches (or pins are ignored).
    Accept,
    /// Wrong pin, or an unknown room when rooms are private.
    Refuse,
}

/// Decides a lookup. `current` is `None` for an unknown room, else the room's
/// pin ("" when it has none).
pub fn decide(
    current: Option<&str>,
    given: &str,
    private_rooms: bool,
    ignore_pin: bool,
) -> PinDecision {
    match current {
        None if private_rooms => PinDecision::Refuse,
        None => PinDecision::OpenWithPin,
        Some("") => PinDecision::TakePin,
        Some(_) if ignore_pin => PinDecision::Accept,
        Some(pin) if pin == given => PinDecision::Accept,
        Some(_) => PinDecision::Refuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_up_to_4_kib_are_kept() {
        assert!(can_keep(&"7".repeat(MAX_PIN_BYTES)));
        assert!(!can_keep(&"7".repeat(MAX_PIN_BYTES + 1)));
        assert!(can_keep(""));
    }

    #[test]
    fn new_pins_have_six_digits() {
        assert_eq!(new_pin(42), "000042");
        assert_eq!(new_pin(u64::MAX), "551615");
        assert_eq!(new_pin(1_999_999), "999999");
    }

    #[test]
    fn unknown_rooms_open_unless_private() {
        assert_eq!(decide(None, "1", false, false), PinDecision::OpenWithPin);
        assert_eq!(decide(None, "1", true, false), PinDecision::Refuse);
    }

    #[test]
    fn a_room_without_pin_takes_the_first() {
        assert_eq!(decide(Some(""), "99", false, false), PinDecision::TakePin);
    }

    #[test]
    fn pins_must_match_unless_ignored() {
        assert_eq!(decide(Some("12"), "12", false, false), PinDecision::Accept);
        assert_eq!(decide(Some("12"), "13", false, false), PinDecision::Refuse);
        assert_eq!(decide(Some("12"), "13", false, true), PinDecision::Accept);
    }
}
