//! A participant's MeetMe options: one letter each, as MeetMe takes them.

use std::fmt;

/// What a participant may do and how the room treats it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `a`: admin: the `*` menu also locks and unlocks (2) and kicks the
    /// last joined (3); a locked room still lets an admin in.
    pub admin: bool,
    /// `A`: marked user.
    pub marked: bool,
    /// `w`: waits for a marked user, hearing music, before it hears or is
    /// heard by the room.
    pub wait_marked: bool,
    /// `x`: the room is closed (everyone hung up) when the last marked user leaves.
    pub end_on_marked_leave: bool,
    /// `c`: hears how many are in the room when it joins.
    pub announce_count: bool,
    /// `I` (or MeetMe's `i`): joins and leaves are announced in words ("a
    /// participant has joined"), not by sounds.
    pub announce_joins: bool,
    /// `q`: quiet: no join and leave sounds or words.
    pub quiet: bool,
    /// `M`: music on hold while alone in the room.
    pub music_alone: bool,
    /// `m`: listen only.
    pub listen_only: bool,
    /// `t`: talk only.
    pub talk_only: bool,
    /// `p`: `#` leaves the room.
    pub hash_leaves: bool,
    /// `s`: `*` opens the menu (`*1` mute/unmute self; admins `*2`, `*3`).
    pub menu: bool,
    /// `D`: a caller opening a room asks for the room's pin (`#` for none).
    pub ask_new_pin: bool,
    /// `e`: a caller who names no room is put in the first empty one.
    pub pick_empty: bool,
    /// `E`: as `e`, an empty room without a pin.
    pub pick_empty_without_pin: bool,
    /// `r`: the room is recorded from this participant's join until the
    /// conference ends (its last participant leaves), the room closes or an
    /// admin stops it.
    pub record: bool,
    /// `T`: talk start and stop are logged with the level.
    pub talker_events: bool,
    /// `F`: every key this participant presses is sent to the others.
    pub pass_dtmf: bool,
    /// `X`: the invite code (default `0`) leaves the room to invite someone.
    pub invite: bool,
    /// `1`: no "only person" prompt for the first participant.
    pub no_only_person: bool,
}

/// Every letter of an option [`Options`] holds, in the order it writes them.
const LETTERS: &str = "aAwxcIqMmtpsDeErTFX1";

/// MeetMe's letters [`Options::parse`] takes besides [`LETTERS`]: `d` and
/// `P`, which change nothing, and `i`, read as `I`.
const MEETME_LETTERS: &str = "dPi";

impl Options {
    /// Whether the participant hears and is heard only while a marked user is in the room
    /// (`w`, not marked itself).
    pub fn waits_for_marked(&self) -> bool {
        self.wait_marked && !self.marked
    }

    /// The options of `letters`; an unknown letter is an error naming it.
    pub fn parse(letters: &str) -> Result<Options, String> {
        let mut options = Options::default();
        for letter in letters.chars() {
            match letter {
                // Every room is dynamic (`d`) unless the config says
                // otherwise, and a room's pin is always asked (`P`).
                'd' | 'P' => {}
                // Nothing records a caller's name, so joins are announced
                // in words as with `I`.
                'i' => options.announce_joins = true,
                letter => {
                    *options.flag(letter).ok_or_else(|| {
                        format!(
                            "unknown option {letter:?} (options are letters of {LETTERS:?} \
                             or {MEETME_LETTERS:?})"
                        )
                    })? = true;
                }
            }
        }
        Ok(options)
    }

    /// Every option of `self` and of `other`.
    pub fn with(self, other: Options) -> Options {
        let mut both = self;
        for letter in other.to_string().chars() {
            if let Some(flag) = both.flag(letter) {
                *flag = true;
            }
        }
        both
    }

    fn flag(&mut self, letter: char) -> Option<&mut bool> {
        Some(match letter {
            'a' => &mut self.admin,
            'A' => &mut self.marked,
            'w' => &mut self.wait_marked,
            'x' => &mut self.end_on_marked_leave,
            'c' => &mut self.announce_count,
            'I' => &mut self.announce_joins,
            'q' => &mut self.quiet,
            'M' => &mut self.music_alone,
            'm' => &mut self.listen_only,
            't' => &mut self.talk_only,
            'p' => &mut self.hash_leaves,
            's' => &mut self.menu,
            'D' => &mut self.ask_new_pin,
            'e' => &mut self.pick_empty,
            'E' => &mut self.pick_empty_without_pin,
            'r' => &mut self.record,
            'T' => &mut self.talker_events,
            'F' => &mut self.pass_dtmf,
            'X' => &mut self.invite,
            '1' => &mut self.no_only_person,
            _ => return None,
        })
    }
}

impl fmt::Display for Options {
    /// The letters of the options set, in a fixed order: what the room's
    /// participant list shows as the participant id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut copy = *self;
        for letter in LETTERS.chars() {
            if copy.flag(letter).is_some_and(|flag| *flag) {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_set_their_options_and_read_back_in_order() {
        let options = Options::parse("xAwa1").unwrap();
        assert!(options.admin && options.marked && options.wait_marked);
        assert!(options.end_on_marked_leave && options.no_only_person);
        assert!(!options.quiet && !options.listen_only);
        assert_eq!(options.to_string(), "aAwx1");
        assert_eq!(Options::parse("").unwrap(), Options::default());
        let all = Options::parse(LETTERS).unwrap();
        assert_eq!(all.to_string(), LETTERS);
    }

    #[test]
    fn meetme_letters_with_no_option_of_their_own_are_taken() {
        for letters in ["1pdMX", "pdMX", "aApdxXM", "P"] {
            assert!(Options::parse(letters).is_ok(), "{letters}");
        }
        assert_eq!(Options::parse("1pdMX").unwrap().to_string(), "MpX1");
        let named = Options::parse("i").unwrap();
        assert!(named.announce_joins);
        assert_eq!(named.to_string(), "I");
    }

    #[test]
    fn unknown_letters_are_named() {
        let error = Options::parse("aZ").unwrap_err();
        assert!(error.starts_with("unknown option 'Z'"), "{error}");
    }

    #[test]
    fn options_combine() {
        let room = Options::parse("qM").unwrap();
        let caller = Options::parse("aA").unwrap();
        assert_eq!(room.with(caller).to_string(), "aAqM");
    }
}
