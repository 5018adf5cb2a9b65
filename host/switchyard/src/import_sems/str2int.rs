//! SEMS's `str2int` (AmUtils.cpp), with which it reads most of its whole
//! numbers: `getParameterInt`, `direct_room_strip`, `room_pin_split` and the
//! session timers' `maximum_timer`.
//!
//! Both its forms skip leading spaces (spaces only, not tabs); the signed one
//! then takes a `-` and more spaces. Then come up to 10 digits: an 11th is
//! refused. A space, its separator, ends the number, and what follows is not
//! read (a carriage return, line feed or NUL would too, but no value holds
//! one here); any other character is refused. No digit at all reads 0.
//!
//! Each digit is added as `ret = ret * 10 + *str - '0'`: the unsigned form's
//! `unsigned int` keeps the number modulo 2^32 ([`unsigned_int`]), and the
//! signed form's `int` overflows, which C++ leaves undefined, for a number
//! above [`SIGNED_LARGEST`] ([`signed_int`]).

/// The largest number the signed `str2int` reads without overflowing its
/// `int`: it adds a digit's character code before taking away `'0'`'s, 48,
/// so that `ret * 10 + *str` passes 2147483647 for any number above
/// 2147483599.
pub const SIGNED_LARGEST: u64 = i32::MAX as u64 - b'0' as u64;

/// What `str2int` makes of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading<'v> {
    /// A number.
    Number {
        /// The value of its digits (10 at most), before the sign: what the
        /// two forms store of it is [`unsigned_int`] and [`signed_int`].
        magnitude: u64,
        /// A `-` came before the digits (the signed form only).
        negative: bool,
        /// What follows the number and the spaces after it, not read: ""
        /// when nothing does.
        ignored: &'v str,
    },
    /// More than 10 digits, which it refuses.
    TooManyDigits,
    /// A character it refuses, at byte `at` of the value.
    Refused { at: usize, c: char },
}

/// `value` as the unsigned `str2int` reads it, or the signed one when
/// `signed`.
pub fn str2int(value: &str, signed: bool) -> Reading<'_> {
    let mut rest = value.trim_start_matches(' ');
    let mut negative = false;
    if let Some(after_sign) = rest.strip_prefix('-').filter(|_| signed) {
        negative = true;
        rest = after_sign.trim_start_matches(' ');
    }
    let start = value.len() - rest.len();
    let mut magnitude = 0_u64;
    let mut digits = 0;
    for (at, c) in rest.char_indices() {
        match c.to_digit(10) {
            Some(digit) => {
                digits += 1;
                if digits > 10 {
                    return Reading::TooManyDigits;
                }
                magnitude = magnitude * 10 + u64::from(digit);
            }
            None if c == ' ' => {
                return Reading::Number {
                    magnitude,
                    negative,
                    ignored: rest[at..].trim_start_matches(' '),
                };
            }
            None => return Reading::Refused { at: start + at, c },
        }
    }
    Reading::Number {
        magnitude,
        negative,
        ignored: "",
    }
}

/// What the unsigned `str2int` stores of digits of value `magnitude`: the
/// number modulo 2^32, all its `unsigned int` holds.
pub fn unsigned_int(magnitude: u64) -> u32 {
    (magnitude % (1 << 32)) as u32
}

/// What the signed `str2int` stores of digits of value `magnitude`, after a
/// `-` when `negative`; None above [`SIGNED_LARGEST`], where its `int`
/// overflows reading them and what it stores is undefined.
pub fn signed_int(magnitude: u64, negative: bool) -> Option<i32> {
    let number = i32::try_from(magnitude)
        .ok()
        .filter(|_| magnitude <= SIGNED_LARGEST)?;
    Some(if negative { -number } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(magnitude: u64, negative: bool, ignored: &str) -> Reading<'_> {
        Reading::Number {
            magnitude,
            negative,
            ignored,
        }
    }

    #[test]
    fn leading_spaces_are_skipped_and_a_space_ends_the_number() {
        for (value, read) in [
            ("120", number(120, false, "")),
            ("  120", number(120, false, "")),
            ("120 ", number(120, false, "")),
            ("120  # two minutes", number(120, false, "# two minutes")),
            ("1 2", number(1, false, "2")),
            ("", number(0, false, "")),
            ("  ", number(0, false, "")),
            ("4294967296", number(4_294_967_296, false, "")),
            ("9999999999", number(9_999_999_999, false, "")),
            ("0000000001 1", number(1, false, "1")),
        ] {
            assert_eq!(str2int(value, false), read, "{value:?}");
            assert_eq!(str2int(value, true), read, "{value:?}");
        }
    }

    #[test]
    fn the_unsigned_form_stores_a_number_modulo_2_to_the_32() {
        for (magnitude, stored) in [
            (0, 0),
            (4_294_967_295, u32::MAX),
            (4_294_967_296, 0),
            (9_999_999_999, 1_410_065_407),
        ] {
            assert_eq!(unsigned_int(magnitude), stored, "{magnitude}");
        }
    }

    #[test]
    fn the_signed_form_overflows_its_int_above_2147483599() {
        assert_eq!(SIGNED_LARGEST, 2_147_483_599);
        for (magnitude, negative, stored) in [
            (0, true, Some(0)),
            (5, true, Some(-5)),
            (2_147_483_599, false, Some(2_147_483_599)),
            (2_147_483_599, true, Some(-2_147_483_599)),
            (2_147_483_600, false, None),
            (2_147_483_648, true, None),
            (9_999_999_999, false, None),
        ] {
            assert_eq!(signed_int(magnitude, negative), stored, "{magnitude}");
        }
    }

    #[test]
    fn only_the_signed_form_takes_a_minus_and_spaces_after_it() {
        for (value, read) in [
            ("-5", number(5, true, "")),
            (" - 5 x", number(5, true, "x")),
            ("-", number(0, true, "")),
        ] {
            assert_eq!(str2int(value, true), read, "{value:?}");
        }
        assert_eq!(str2int(" -5", false), Reading::Refused { at: 1, c: '-' });
    }

    #[test]
    fn an_eleventh_digit_and_any_other_character_are_refused() {
        for value in ["00000000001", " 12345678901 ", "123456789012x"] {
            assert_eq!(str2int(value, false), Reading::TooManyDigits, "{value:?}");
        }
        for (value, at, c) in [
            ("2m", 1, 'm'),
            ("+5", 0, '+'),
            ("120\t", 3, '\t'),
            ("\t120", 0, '\t'),
            (" 4\u{bd}", 2, '\u{bd}'),
            ("--5", 1, '-'),
        ] {
            assert_eq!(
                str2int(value, true),
                Reading::Refused { at, c },
                "{value:?}"
            );
        }
    }
}
