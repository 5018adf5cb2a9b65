//! SEMS's session timer keys against `[sip]`. SEMS's webconference module
//! runs session timers only when `enable_session_timer` is exactly `yes`, and
//! then with its session_timer plug-in's values, each defaulting when unset;
//! the conversion writes those effective values, fitted into the ranges
//! Switchyard takes, so that the result is what SEMS ran with and loads.

use super::parse::Setting;
use super::{Converter, ImportError};
use crate::config::{MAX_SESSION_S, MIN_SESSION_MIN_SE_S, SipConfig};
use toml::Value;

/// The key that turns session timers on.
pub const ENABLE: &str = "enable_session_timer";

/// The interval keys: SEMS's key, its default there (the session_timer
/// plug-in's `MINIMUM_TIMER`, `SESSION_EXPIRES` and `MAXIMUM_TIMER`), and the
/// `[sip]` key it goes to. In this order each value's range starts at the
/// one before it.
const INTERVALS: [(&str, u32, &str); 3] = [
    ("minimum_timer", 90, "session_min_se_s"),
    ("session_expires", 120, "session_expires_s"),
    ("maximum_timer", 900, "session_max_s"),
];

/// Whether `key` is one of SEMS's session timer keys.
pub fn is_key(key: &str) -> bool {
    key == ENABLE || INTERVALS.iter().any(|(sems, _, _)| *sems == key)
}

/// Switchyard's own default of the `[sip]` key `host_key`.
fn own_default(host_key: &str) -> u32 {
    let sip = SipConfig::default();
    match host_key {
        "session_min_se_s" => sip.session_min_se_s,
        "session_expires_s" => sip.session_expires_s,
        _ => sip.session_max_s,
    }
}

impl Converter<'_> {
    /// Maps the session timer keys (`settings`, each set once; only an
    /// interval may be empty): `sip.session_timers` always, and with timers
    /// on every interval, with a remark on each default written and each
    /// value moved into range. An empty interval with timers on is an error,
    /// as SEMS then answers no call. Returns whether timers are on.
    pub(super) fn session_timers(&mut self, settings: &[&Setting]) -> Result<bool, ImportError> {
        let find = |key: &str| settings.iter().copied().find(|s| s.key == key);
        let enable = find(ENABLE);
        let on = match enable {
            Some(setting) => self.sems_yes(setting),
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
        if !on {
            for (key, _, _) in INTERVALS {
                if let Some(setting) = find(key) {
                    self.ignored_without_timers(setting);
                }
            }
            return Ok(false);
        }
        let mut low = MIN_SESSION_MIN_SE_S;
        for (key, sems_default, host_key) in INTERVALS {
            let setting = find(key);
            let value = match setting {
                Some(setting) if setting.value.is_empty() => {
                    return Err(self.error(
                        setting,
                        format!(
                            "empty, which SEMS refuses: with {ENABLE} = yes it then answers no call"
                        ),
                    ));
                }
                Some(setting) => self.number(setting)?,
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
        Ok(true)
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
