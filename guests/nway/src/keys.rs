//! Feature codes typed on the keypad: which code the keys so far spell, if
//! any. Keys count as one code only when each comes within the inter-digit
//! time-out of the one before ([`TimedKeys`] forgets them when it runs out).

use std::time::Duration;
use switchyard_sdk::{Call, TimerId};

/// The room's own codes, which a participant's options turn on: `#` leaves
/// (option `p`), `*1` mutes and unmutes (`s`), `*2` locks and unlocks, `*3`
/// hangs up the last one in (`s` with `a`).
pub const LEAVE_CODE: &str = "#";
/// See [`LEAVE_CODE`].
pub const MUTE_CODE: &str = "*1";
/// See [`LEAVE_CODE`].
pub const LOCK_CODE: &str = "*2";
/// See [`LEAVE_CODE`].
pub const KICK_LAST_CODE: &str = "*3";

/// The codes one state of a flow listens for, each with what it means.
#[derive(Debug, Clone)]
pub struct Codes<A> {
    codes: Vec<(String, A)>,
}

/// What the keys typed so far amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<A> {
    /// They spell this code; the buffer is empty again.
    Code(A),
    /// They begin one or more codes: wait for the next key (within the time-out).
    Partial,
    /// They begin no code; the buffer is empty again.
    NoCode,
}

impl<A: Copy> Codes<A> {
    /// Codes and their meanings; empty codes are left out (a code turned off).
    pub fn new(codes: impl IntoIterator<Item = (String, A)>) -> Self {
        Codes {
            codes: codes
                .into_iter()
                .filter(|(code, _)| !code.is_empty())
                .collect(),
        }
    }

    fn exact(&self, typed: &str) -> Option<A> {
        self.codes
            .iter()
            .find(|(code, _)| code == typed)
            .map(|(_, action)| *action)
    }

    fn begins_one(&self, typed: &str) -> bool {
        self.codes.iter().any(|(code, _)| code.starts_with(typed))
    }
}

/// A code with the name it is configured under.
pub type NamedCode<'a> = (&'a str, &'a str);

/// The first two of `codes` (each with its name) listened for together where
/// one begins with the other and they are named apart: the shorter is taken
/// as soon as it is typed ([`KeyBuffer::press`]), so the longer is never
/// reached. Empty codes (turned off) are left out. As `(shorter, longer)`.
pub fn first_shadowing<'a>(codes: &[NamedCode<'a>]) -> Option<(NamedCode<'a>, NamedCode<'a>)> {
    let on: Vec<_> = codes.iter().filter(|(_, code)| !code.is_empty()).collect();
    on.iter().enumerate().find_map(|(i, &&a)| {
        on[i + 1..].iter().find_map(|&&b| {
            if a.0 == b.0 {
                None
            } else if b.1.starts_with(a.1) {
                Some((a, b))
            } else if a.1.starts_with(b.1) {
                Some((b, a))
            } else {
                None
            }
        })
    })
}

/// The keys typed towards a code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyBuffer {
    typed: String,
}

impl KeyBuffer {
    /// Adds `key` and says what the keys now spell. A key that makes the
    /// buffer begin no code starts a new one on its own (so `**0` still finds
    /// `*0` when `**` is no code).
    pub fn press<A: Copy>(&mut self, key: char, codes: &Codes<A>) -> Step<A> {
        self.typed.push(key);
        if let Some(step) = self.step(codes) {
            return step;
        }
        self.typed.clear();
        self.typed.push(key);
        self.step(codes).unwrap_or_else(|| {
            self.typed.clear();
            Step::NoCode
        })
    }

    /// Forgets the keys typed (the inter-digit time-out ran out).
    pub fn clear(&mut self) {
        self.typed.clear();
    }

    fn step<A: Copy>(&mut self, codes: &Codes<A>) -> Option<Step<A>> {
        if let Some(action) = codes.exact(&self.typed) {
            self.typed.clear();
            Some(Step::Code(action))
        } else if codes.begins_one(&self.typed) {
            Some(Step::Partial)
        } else {
            None
        }
    }
}

/// A call's keys towards a code, with the inter-digit timer that forgets
/// them.
#[derive(Debug, Default)]
pub struct TimedKeys {
    keys: KeyBuffer,
    timer: Option<TimerId>,
}

impl TimedKeys {
    /// Feeds `key` of `call`; the code it completes, if any. Keys that only
    /// begin a code are forgotten unless the next comes within `interdigit`.
    pub fn press<A: Copy>(
        &mut self,
        call: &Call,
        key: char,
        codes: &Codes<A>,
        interdigit: Duration,
    ) -> Option<A> {
        if let Some(timer) = self.timer.take() {
            call.cancel_timer(timer);
        }
        match self.keys.press(key, codes) {
            Step::Code(action) => Some(action),
            Step::Partial => {
                self.timer = call.start_timer(interdigit).ok();
                None
            }
            Step::NoCode => None,
        }
    }

    /// Timer `id` fired: true (and the keys forgotten) if it was this one's.
    pub fn timed_out(&mut self, id: TimerId) -> bool {
        if self.timer != Some(id) {
            return false;
        }
        self.timer = None;
        self.keys.clear();
        true
    }

    /// Forgets the keys typed.
    pub fn clear(&mut self) {
        self.keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Codes<u8> {
        Codes::new([
            ("*0".to_owned(), 0),
            ("*7".to_owned(), 7),
            ("**".to_owned(), 7),
            ("*#".to_owned(), 9),
            (String::new(), 1),
        ])
    }

    fn type_keys(buffer: &mut KeyBuffer, keys: &str) -> Vec<Step<u8>> {
        keys.chars()
            .map(|key| buffer.press(key, &codes()))
            .collect()
    }

    #[test]
    fn codes_are_found_key_by_key() {
        let mut buffer = KeyBuffer::default();
        assert_eq!(type_keys(&mut buffer, "*0"), [Step::Partial, Step::Code(0)]);
        assert!(buffer.typed.is_empty());
        assert_eq!(type_keys(&mut buffer, "**"), [Step::Partial, Step::Code(7)]);
        assert_eq!(type_keys(&mut buffer, "*#"), [Step::Partial, Step::Code(9)]);
    }

    #[test]
    fn a_stray_key_starts_over() {
        let mut buffer = KeyBuffer::default();
        assert_eq!(type_keys(&mut buffer, "5"), [Step::NoCode]);
        assert_eq!(
            type_keys(&mut buffer, "*5*0"),
            [Step::Partial, Step::NoCode, Step::Partial, Step::Code(0)]
        );
        // `*1` begins no code, and neither does `1` alone.
        assert_eq!(type_keys(&mut buffer, "*1"), [Step::Partial, Step::NoCode]);
    }

    #[test]
    fn a_cleared_buffer_forgets_the_keys() {
        let mut buffer = KeyBuffer::default();
        assert_eq!(type_keys(&mut buffer, "*"), [Step::Partial]);
        assert_eq!(buffer.typed, "*");
        buffer.clear();
        assert_eq!(type_keys(&mut buffer, "0"), [Step::NoCode]);
    }

    #[test]
    fn a_code_beginning_another_of_another_name_shadows_it() {
        assert_eq!(
            first_shadowing(&[("join", "*7"), ("join", "*"), ("drop", "*#")]),
            Some((("join", "*"), ("drop", "*#")))
        );
        assert_eq!(
            first_shadowing(&[("drop", "*#"), ("join", "*#")]),
            Some((("drop", "*#"), ("join", "*#")))
        );
        assert_eq!(
            first_shadowing(&[("join", "*7"), ("join", "*"), ("drop", "")]),
            None,
            "codes of one name mean the same; an empty code is off"
        );
        assert_eq!(
            first_shadowing(&[("join", "*7"), ("join", "**"), ("drop", "*#")]),
            None
        );
    }

    #[test]
    fn empty_codes_are_turned_off() {
        let mut buffer = KeyBuffer::default();
        assert_eq!(buffer.press('1', &codes()), Step::NoCode);
    }
}
