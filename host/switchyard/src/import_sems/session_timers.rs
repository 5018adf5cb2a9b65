//! SEMS's session timer keys against `[sip]`. SEMS's webconference module
//! runs session timers only when `enable_session_timer` is exactly `yes` (and
//! its session_timer plug-in is loaded), and then with that plug-in's values,
//! each defaulting when unset; the conversion writes those effective values,
//! fitted into the ranges Switchyard takes, so that the result is what SEMS
//! ran with and loads.
//!
//! SEMS grants a caller the interval it asks for, at most `session_expires`
//! and at least the Min-SE (SessionTimer::updateTimer), so
//! `sip.session_max_s` is `session_expires` too. Its `maximum_timer` is no
//! cap on that: it is the largest Min-SE SEMS accepts in a 422 to its own
//! INVITE or UPDATE (RFC 4028 §6), which has no counterpart here.

use super::parse::Setting;
use super::str2int::{Reading, SIGNED_LARGEST, str2int};
use super::{Converter, ImportError, SIGNED_OVERFLOW};
use crate::config::{MAX_SESSION_S, MIN_SESSION_MIN_SE_S, SipConfig};
use toml::Value;

/// The key that turns session timers on.
pub const ENABLE: &str = "enable_session_timer";

/// The interval keys: SEMS's key, its default there (the session_timer
/// plug-in's `MINIMUM_TIMER` and `SESSION_EXPIRES`), and the `[sip]` key it
/// goes to. In this order each value's range starts at the one before it.
const INTERVALS: [(&str, u32, &str); 2] = [
    ("minimum_timer", 90, "session_min_se_s"),
    ("session_expires", 120, "session_expires_s"),
];

/// SEMS's cap on the Min-SE of a 422 to its own request: read, never mapped.
const MAXIMUM_TIMER: &str = "maximum_timer";

/// Whether `key` is one of SEMS's session timer keys.
pub fn is_key(key: &str) -> bool {
    key == ENABLE || key == MAXIMUM_TIMER || INTERVALS.iter().any(|(sems, _, _)| *sems == key)
}

/// What glibc's `sscanf("%u")` stores from a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scanned {
    /// The number stored.
    number: u32,
    /// Text follows the number, which it ignores.
    rest_ignored: bool,
    /// The number written is below 0 or above `u32::MAX`, so that another
    /// is stored.
    wrapped: bool,
}

/// `value` read as glibc's `sscanf("%u")` reads it: blanks skipped (C's
/// `isspace`), an optional `+` or `-`, then decimal digits, what follows
/// ignored. The digits are read as `strtoul` reads them (its `unsigned
/// long` saturating, a `-` negating modulo 2^64) and the low 32 bits
/// stored. None when no digit comes, which the plug-in refuses.
fn scan_unsigned(value: &str) -> Option<Scanned> {
    let start = value.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, unsigned) = match start.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, start.strip_prefix('+').unwrap_or(start)),
    };
    let end = unsigned
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unsigned.len());
    let digits = &unsigned[..end];
    if digits.is_empty() {
        return None;
    }
    let magnitude = digits.bytes().try_fold(0_u64, |number, digit| {
        number.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    });
    let read = match magnitude {
        Some(magnitude) if negative => magnitude.wrapping_neg(),
        Some(magnitude) => magnitude,
        None => u64::MAX,
    };
    let wrapped = magnitude.is_none_or(|m| m > u64::from(u32::MAX) || (negative && m != 0));
    Some(Scanned {
        // An unsigned long stored in an unsigned int: its low 32 bits.
        number: read as u32,
        rest_ignored: end < unsigned.len(),
        wrapped,
    })
}

/// Switchyard's own default of the `[sip]` key `host_key`.
fn own_default(host_key: &str) -> u32 {
    let sip = SipConfig::default();
    match host_key {
        "session_min_se_s" => sip.session_min_se_s,
        _ => sip.session_expires_s,
    }
}

impl Converter<'_> {
    /// Maps the session timer keys (`settings`, each set once; only an
    /// interval may be empty): `sip.session_timers` always, and with timers
    /// on every interval and `sip.session_max_s` (as `session_expires`), with
    /// a remark on each default written and each value moved into range. An
    /// empty interval, or a `maximum_timer` SEMS refuses, with timers on is
    /// an error, as SEMS then answers no call. Returns whether timers are on.
    pub(super) fn session_timers(&mut self, settings: &[&Setting]) -> Result<bool, ImportError> {
        let find = |key: &str| settings.iter().copied().find(|s| s.key == key);
        let enable = find(ENABLE);
        let on = match enable {
            Some(setting) => {
                let on = self.sems_yes(setting);
                if on {
                    self.needs_plugin(setting);
                }
                on
            }
            None => {
                self.unset_remark(
                    ENABLE,
                    "not set, so SEMS runs without session timers: sip.session_timers is set to \
                     false (Switchyard's own default is true)"
                        .to_owned(),
                );
                false
            }
        };
        self.set(enable, &["sip"], "session_timers", Value::Boolean(on));
        let maximum_timer = find(MAXIMUM_TIMER);
        if !on {
            let keys = INTERVALS.map(|(key, _, _)| key);
            for key in keys.into_iter().chain([MAXIMUM_TIMER]) {
                if let Some(setting) = find(key) {
                    self.ignored_without_timers(setting);
                }
            }
            return Ok(false);
        }
        if let Some(setting) = maximum_timer {
            self.maximum_timer(setting)?;
        }
        let mut low = MIN_SESSION_MIN_SE_S;
        for (key, sems_default, host_key) in INTERVALS {
            let setting = find(key);
            let value = match setting {
                Some(setting) if setting.value.is_empty() => {
                    return Err(self.refused(setting, "empty"));
                }
                Some(setting) => self.scanned_number(setting)?,
                None => i64::from(sems_default),
            };
            let fitted = value.clamp(i64::from(low), i64::from(MAX_SESSION_S));
            let range = format!("it must be {low} to {MAX_SESSION_S}");
            match setting {
                Some(setting) if fitted != value => self.remark(
                    setting,
                    format!("{value} is out of range ({range}): sip.{host_key} is set to {fitted}"),
                ),
                Some(_) => {}
                None if fitted != value => self.unset_remark(
                    key,
                    format!(
                        "not set, so SEMS uses {sems_default}, which is out of range ({range}): \
                         sip.{host_key} is set to {fitted}"
                    ),
                ),
                None => self.unset_remark(
                    key,
                    format!(
                        "not set, so SEMS uses {sems_default}: sip.{host_key} is set to it \
                         (Switchyard's own default is {})",
                        own_default(host_key)
                    ),
                ),
            }
            self.set(setting, &["sip"], host_key, Value::Integer(fitted));
            low = u32::try_from(fitted).expect("clamped to a u32 range");
        }
        // SEMS grants at most session_expires (SessionTimer::updateTimer).
        let expires = find("session_expires");
        self.set(
            expires,
            &["sip"],
            "session_max_s",
            Value::Integer(i64::from(low)),
        );
        Ok(true)
    }

    /// A remark that SEMS runs session timers only with its session_timer
    /// plug-in loaded (WebConferenceFactory::onLoad), which sems.conf decides
    /// (AmPlugIn::load: the modules in `load_plugins`, else every one in
    /// `plugin_path` not in `exclude_plugins`) and the config
    /// `enable_session_timer = yes` (`setting`) cannot tell.
    fn needs_plugin(&mut self, setting: &Setting) {
        self.remark(
            setting,
            "SEMS applies it only with its session_timer plug-in loaded: listed in sems.conf's \
             load_plugins, or load_plugins unset and session_timer not in exclude_plugins (the \
             shipped sems.conf.sample sets load_plugins without it); if SEMS does not load it, \
             it runs no session timers: then set sip.session_timers to false"
                .to_owned(),
        );
    }

    /// `maximum_timer` with timers on: checked as SEMS reads it, with the
    /// signed [`str2int`] (a whole number above 0, else SEMS answers no call,
    /// and at most [`SIGNED_LARGEST`], above which its int overflows), then
    /// not mapped.
    fn maximum_timer(&mut self, setting: &Setting) -> Result<(), ImportError> {
        // AmSessionTimerConfig::readFromConfig reads maximum_timer with the
        // signed str2int, which takes a `-` but no `+` (unlike the intervals'
        // sscanf("%u")), into an int, and refuses a value of 0 or less.
        let value = &setting.value;
        if value.is_empty() {
            return Err(self.refused(setting, "empty"));
        }
        let magnitude = match str2int(value, true) {
            Reading::Number {
                magnitude,
                negative: false,
                ..
            } if magnitude > 0 => magnitude,
            Reading::TooManyDigits => {
                return Err(self.refused(setting, &format!("{value}, more than 10 digits")));
            }
            _ => {
                let what = format!("{value:?}, not a whole number above 0 in digits alone");
                return Err(self.refused(setting, &what));
            }
        };
        if magnitude > SIGNED_LARGEST {
            return Err(self.error(
                setting,
                format!("{magnitude} is more than {SIGNED_LARGEST}: SEMS would {SIGNED_OVERFLOW}"),
            ));
        }
        self.not_mapped(
            setting,
            "SEMS's cap on the Min-SE of a 422 answering its own INVITE or UPDATE, no cap on the \
             interval a caller asks for; Switchyard's cap on that, sip.session_max_s, is set to \
             session_expires, the most SEMS grants"
                .to_owned(),
        );
        Ok(())
    }

    /// `session_expires` or `minimum_timer` (`setting`, not empty) as the
    /// session_timer plug-in reads it, with `sscanf("%u")` ([`scan_unsigned`]),
    /// with a remark when that is not the number written: text after it is
    /// ignored, or a number below 0 or above 4294967295 is stored as another.
    /// No number at all is an error, as SEMS refuses it.
    fn scanned_number(&mut self, setting: &Setting) -> Result<i64, ImportError> {
        let value = &setting.value;
        let Some(scanned) = scan_unsigned(value) else {
            return Err(self.refused(
                setting,
                &format!("{value:?}, in which sscanf(\"%u\") finds no number"),
            ));
        };
        let mut why = Vec::new();
        if scanned.wrapped {
            why.push("it stores a number below 0 or above 4294967295 as its low 32 bits");
        }
        if scanned.rest_ignored {
            why.push("it ignores what follows the number");
        }
        if !why.is_empty() {
            self.remark(
                setting,
                format!(
                    "SEMS reads {value:?} as {}, with sscanf(\"%u\"): {}",
                    scanned.number,
                    why.join(", and ")
                ),
            );
        }
        Ok(i64::from(scanned.number))
    }

    /// The error for a session timer `setting` whose value, `what`, SEMS
    /// refuses with timers on.
    fn refused(&self, setting: &Setting, what: &str) -> ImportError {
        self.error(
            setting,
            format!("{what}, which SEMS refuses: with {ENABLE} = yes it then answers no call"),
        )
    }

    /// A remark that `setting`, which SEMS reads with session timers on
    /// only, is ignored, as they are off.
    pub(super) fn ignored_without_timers(&mut self, setting: &Setting) {
        self.remark(
            setting,
            format!("ignored, as {ENABLE} is not yes (as in SEMS)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`scan_unsigned`] reads of `value`: the number, whether text
    /// after it was ignored, and whether another number was stored.
    fn scanned(value: &str) -> Option<(u32, bool, bool)> {
        scan_unsigned(value).map(|s| (s.number, s.rest_ignored, s.wrapped))
    }

    #[test]
    fn scan_unsigned_reads_as_glibc_sscanf_reads_percent_u() {
        for (value, read) in [
            ("1800", (1800, false, false)),
            (" \t\x0b\x0c\r+1800", (1800, false, false)),
            ("1800s", (1800, true, false)),
            ("12 34", (12, true, false)),
            ("0x10", (0, true, false)),
            ("-0", (0, false, false)),
            ("-5", (u32::MAX - 4, false, true)),
            ("4294967295", (u32::MAX, false, false)),
            ("4294967297", (1, false, true)),
            // strtoul saturates at ULONG_MAX, whatever the sign.
            ("99999999999999999999999", (u32::MAX, false, true)),
            ("-99999999999999999999999", (u32::MAX, false, true)),
        ] {
            assert_eq!(scanned(value), Some(read), "{value:?}");
        }
        for value in ["", " ", "x1", "+", "-", "- 5", "+-5", "\u{a0}5"] {
            assert_eq!(scanned(value), None, "{value:?}");
        }
    }
}
