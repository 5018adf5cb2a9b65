//! The guest's settings, read from its config table (`[guests.nway.config]`).

use crate::caller_id;
use crate::digits::MAX_KEYS;
use crate::keys::{KICK_LAST_CODE, LEAVE_CODE, LOCK_CODE, MUTE_CODE, NamedCode, first_shadowing};
use crate::options::Options;
use regex_lite::Regex;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;
use switchyard_sdk::source_limit::{self, Policy, SourceGuard};

/// The key prefix of the per-source records of wrong pins.
const PIN_FAILURES_PREFIX: &str = "pin_failures/";
/// The most keys of a feature code.
const MAX_CODE_KEYS: usize = 8;

/// Who may use the feature codes of a two-party call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The caller (`holder = "caller"`, the default).
    Caller,
    /// The callee (`"callee"`).
    Callee,
    /// Either of them (`"both"`).
    Both,
}

/// How the room an escalated call moves to is numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomScheme {
    /// `room_scheme = "first_free"`: the first room of `room_first..=room_last`
    /// that is free.
    FirstFree,
    /// `"offset"`: `room_offset` plus the caller's number (10000 + 100 is
    /// room 10100); a caller whose number is not a number gets a free room.
    Offset(u64),
}

/// The feature codes (each a string of keys; an empty one is turned off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCodes {
    /// `escalate_code` (default `*0`): a two-party call becomes a room.
    pub escalate: String,
    /// `join_codes` (default `*7,**`): the invitee joins the room.
    pub join: Vec<String>,
    /// `drop_code` (default `*#`): the invitee is hung up.
    pub drop: String,
    /// `invite_code` (default `0`): a participant with option `X` leaves the
    /// room to invite someone.
    pub invite: String,
    /// `interdigit_ms` (default 3000): the keys of one code come at most this far apart.
    pub interdigit: Duration,
    /// `dial_timeout_ms` (default 10000): the longest wait for the next key
    /// of a number being dialled (then the dialler is back in its room).
    pub dial_timeout: Duration,
}

impl FeatureCodes {
    /// A code that another listened for at the same time keeps from ever
    /// being reached, as an error naming both: the join and drop codes while
    /// consulting an invitee; in a room, the invite code and those of the
    /// room's own codes ([`LEAVE_CODE`] and the menu's) that the options
    /// participants may get, `possible`, turn on with it.
    fn shadowing(&self, possible: Options) -> Option<String> {
        let consulting: Vec<NamedCode<'_>> = self
            .join
            .iter()
            .map(|code| ("join_codes", code.as_str()))
            .chain([("drop_code", self.drop.as_str())])
            .collect();
        let room_codes = [
            ("invite_code", self.invite.as_str(), possible.invite),
            ("the room's leave code", LEAVE_CODE, possible.hash_leaves),
            ("the room's mute code", MUTE_CODE, possible.menu),
            (
                "the room's lock code",
                LOCK_CODE,
                possible.menu && possible.admin,
            ),
            (
                "the room's kick code",
                KICK_LAST_CODE,
                possible.menu && possible.admin,
            ),
        ];
        let in_room: Vec<NamedCode<'_>> = room_codes
            .into_iter()
            .filter(|(_, _, on)| *on)
            .map(|(key, code, _)| (key, code))
            .collect();
        [consulting.as_slice(), in_room.as_slice()]
            .into_iter()
            .find_map(first_shadowing)
            .map(|((short_key, short), (long_key, long))| {
                // Named by the key to change: the shorter, unless it is fixed.
                let (key, code, other_key, other) = if short_key.starts_with("the room's") {
                    (long_key, long, short_key, short)
                } else {
                    (short_key, short, long_key, long)
                };
                format!(
                    "{key}: {code:?} and {other_key} {other:?} are listened for together, \
                     and {short:?} is taken as soon as it is typed: {long:?} would never be reached"
                )
            })
    }
}

/// One room's own settings (`[guests.nway.config.rooms.<room>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomProfile {
    /// `pin`: the pin callers must type to enter.
    pub pin: Option<String>,
    /// `options`: every participant's options.
    pub options: Options,
    /// `callers`: more options for callers by number, e.g. `{ "100" = "aA" }`.
    pub callers: BTreeMap<String, Options>,
    /// `max_members`: the most participants at once (0: no limit).
    pub max_members: u32,
}

/// Everything the guest reads from its config table.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `call_pattern` (default `^[0-9]+$`): a Request-URI user it matches is
    /// a two-party call to that number.
    pub call_pattern: Regex,
    /// `invite_allow` (default: `call_pattern`): a number a participant
    /// invites must match it, or nobody is called.
    pub invite_allow: Regex,
    /// `max_invites_per_room` (default 3; 1 to 100): the most members of one
    /// room out inviting at once; one more dialling a number is refused.
    pub max_invites_per_room: u32,
    /// `route` (e.g. `sip:{number}@192.0.2.7`): where a number is called,
    /// `{number}` replaced; unset: only `directory` numbers can be called.
    pub route: Option<String>,
    /// `directory`: numbers with a URI of their own, e.g. `{ "102" = "sip:bob@192.0.2.9" }`.
    pub directory: BTreeMap<String, String>,
    /// `holder`.
    pub holder: Holder,
    /// The feature codes.
    pub codes: FeatureCodes,
    /// `room_scheme`.
    pub room_scheme: RoomScheme,
    /// `room_first` and `room_last` (default 9000 and 9999): the rooms
    /// escalated calls and `e`/`E` callers are given.
    pub free_rooms: (u64, u64),
    /// `escalated_options` (default `MX`: music while alone, `0` invites):
    /// the options of everyone in a room made from a two-party call.
    pub escalated_options: Options,
    /// `conference_pattern` (default `^8([0-9]*)$`; tried before
    /// `call_pattern`): a Request-URI user it matches enters a conference,
    /// the room being its first group ("" asks for one, or picks one with `e`/`E`).
    pub conference_pattern: Regex,
    /// `conference_options` (default none): the options of participants of
    /// rooms without a profile.
    pub conference_options: Options,
    /// `dynamic_rooms` (default true): callers may open rooms that have no
    /// profile; false: such rooms are refused.
    pub dynamic_rooms: bool,
    /// `pin_attempts` (default 3): wrong pins before the caller is hung up.
    pub pin_attempts: u32,
    /// `pin_failures_per_source` (default 10; 0: no limit) wrong pins and
    /// unknown rooms typed within `pin_failures_window_s` (default 300) from
    /// one source address, across calls, refuse its calls (403) until they
    /// age out; a call from one of `trusted_proxies` (IP addresses separated
    /// by commas, default none) counts against its caller (its From URI).
    pub source_guard: SourceGuard,
    /// `rooms`: rooms with settings of their own.
    pub rooms: BTreeMap<String, RoomProfile>,
}

// What the host checks the config table against when it loads the guest.
switchyard_sdk::config_keys! {
    "call_pattern": regex,
    "invite_allow": regex,
    "max_invites_per_room": number,
    "route": text,
    "directory": text,
    "holder": text,
    "escalate_code": text,
    "join_codes": text,
    "drop_code": text,
    "invite_code": text,
    "interdigit_ms": number,
    "dial_timeout_ms": number,
    "room_scheme": text,
    "room_offset": number,
    "room_first": number,
    "room_last": number,
    "escalated_options": text,
    "conference_pattern": regex,
    "conference_options": text,
    "dynamic_rooms": flag,
    "pin_attempts": number,
    "pin_failures_per_source": number,
    "pin_failures_window_s": number,
    "trusted_proxies": addresses,
    "rooms": text,
}

impl Settings {
    /// Reads the settings from `get` (the config table's values as text).
    /// Unset keys take the defaults above; a value that does not parse is an
    /// error naming the key and what is wrong.
    pub fn load(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let text = |key: &str, default: &str| get(key).unwrap_or_else(|| default.to_owned());
        let options = |key: &str, default: &str| {
            Options::parse(&text(key, default)).map_err(|e| format!("{key}: {e}"))
        };
        let call_pattern = text("call_pattern", "^[0-9]+$");
        let codes = FeatureCodes {
            escalate: code("escalate_code", &text("escalate_code", "*0"))?,
            join: text("join_codes", "*7,**")
                .split(',')
                .map(|c| code("join_codes", c.trim()))
                .collect::<Result<_, _>>()?,
            drop: code("drop_code", &text("drop_code", "*#"))?,
            invite: code("invite_code", &text("invite_code", "0"))?,
            interdigit: millis("interdigit_ms", &text("interdigit_ms", "3000"))?,
            dial_timeout: millis("dial_timeout_ms", &text("dial_timeout_ms", "10000"))?,
        };
        let settings = Settings {
            call_pattern: regex("call_pattern", &call_pattern)?,
            invite_allow: regex("invite_allow", &text("invite_allow", &call_pattern))?,
            max_invites_per_room: match number(
                "max_invites_per_room",
                &text("max_invites_per_room", "3"),
            )? {
                n @ 1..=100 => n as u32,
                n => return Err(format!("max_invites_per_room: {n} is not 1 to 100")),
            },
            route: get("route").filter(|r| !r.is_empty()),
            directory: string_table("directory", get("directory"))?,
            holder: match text("holder", "caller").as_str() {
                "caller" => Holder::Caller,
                "callee" => Holder::Callee,
                "both" => Holder::Both,
                other => {
                    return Err(format!(
                        "holder: {other:?} is not \"caller\", \"callee\" or \"both\""
                    ));
                }
            },
            codes,
            room_scheme: match text("room_scheme", "first_free").as_str() {
                "first_free" => RoomScheme::FirstFree,
                "offset" => {
                    RoomScheme::Offset(number("room_offset", &text("room_offset", "10000"))?)
                }
                other => {
                    return Err(format!(
                        "room_scheme: {other:?} is not \"first_free\" or \"offset\""
                    ));
                }
            },
            free_rooms: match (
                number("room_first", &text("room_first", "9000"))?,
                number("room_last", &text("room_last", "9999"))?,
            ) {
                (first, last) if first <= last && last - first < 100_000 => (first, last),
                (first, last) => {
                    return Err(format!(
                        "room_first, room_last: {first}..={last} is not a range of at most 100000 rooms"
                    ));
                }
            },
            escalated_options: options("escalated_options", "MX")?,
            conference_pattern: regex(
                "conference_pattern",
                &text("conference_pattern", "^8([0-9]*)$"),
            )?,
            conference_options: options("conference_options", "")?,
            dynamic_rooms: flag("dynamic_rooms", &text("dynamic_rooms", "true"))?,
            pin_attempts: match number("pin_attempts", &text("pin_attempts", "3"))? {
                n @ 1..=10 => n as u32,
                n => return Err(format!("pin_attempts: {n} is not 1 to 10")),
            },
            source_guard: SourceGuard {
                policy: Policy {
                    max_failures: match number(
                        "pin_failures_per_source",
                        &text("pin_failures_per_source", "10"),
                    )? {
                        n @ 0..=1000 => n as u32,
                        n => return Err(format!("pin_failures_per_source: {n} is not 0 to 1000")),
                    },
                    window_s: match number(
                        "pin_failures_window_s",
                        &text("pin_failures_window_s", "300"),
                    )? {
                        n @ 1..=86_400 => n,
                        n => return Err(format!("pin_failures_window_s: {n} is not 1 to 86400")),
                    },
                },
                prefix: PIN_FAILURES_PREFIX,
                trusted_proxies: source_limit::addresses(&text("trusted_proxies", "")),
            },
            rooms: room_profiles(get("rooms"))?,
        };
        match settings.codes.shadowing(settings.possible_options()) {
            Some(problem) => Err(problem),
            None => Ok(settings),
        }
    }

    /// Every option some participant may get, from any of the settings that
    /// give options (options combine, a caller's with its room's).
    fn possible_options(&self) -> Options {
        self.rooms
            .values()
            .flat_map(|profile| profile.callers.values().chain([&profile.options]))
            .fold(
                self.escalated_options.with(self.conference_options),
                |all, options| all.with(*options),
            )
    }

    /// The SIP URI `number` (text: a user decoded, or keys typed) is called
    /// at: its directory entry, else `route` with `number` as a URI's user.
    pub fn uri_of(&self, number: &str) -> Option<String> {
        self.directory.get(number).cloned().or_else(|| {
            let route = self.route.as_ref()?;
            Some(route.replace("{number}", &caller_id::uri_user(number)))
        })
    }

    /// Whether the From user of a call from `source` ("ip:port") is taken as
    /// its caller's number for the options `callers` gives: from anywhere
    /// when `trusted_proxies` is unset, else only from one of them (a proxy
    /// that authenticates its callers and vouches for their From).
    pub fn vouches_for(&self, source: &str) -> bool {
        self.source_guard.trusted_proxies.is_empty() || self.proxied(source)
    }

    /// Whether a call from `source` ("ip:port") came through one of
    /// `trusted_proxies` (none when it is unset): its From is the caller's
    /// own, and may be passed on to the calls placed for it.
    pub fn proxied(&self, source: &str) -> bool {
        source_limit::source_ip(source)
            .parse::<IpAddr>()
            .is_ok_and(|ip| {
                self.source_guard
                    .trusted_proxies
                    .iter()
                    .any(|proxy| proxy.to_canonical() == ip.to_canonical())
            })
    }

    /// The most participants `room` takes (0: no limit), as its profile says;
    /// a room without one has no limit.
    pub fn max_members(&self, room: &str) -> u32 {
        self.profile(room).map_or(0, |p| p.max_members)
    }

    /// The profile of `room`: its own, or one with `conference_options` for
    /// a room without (`None` there when `dynamic_rooms` is off).
    pub fn profile(&self, room: &str) -> Option<RoomProfile> {
        match self.rooms.get(room) {
            Some(profile) => Some(profile.clone()),
            None if self.dynamic_rooms => Some(RoomProfile {
                options: self.conference_options,
                ..RoomProfile::default()
            }),
            None => None,
        }
    }
}

impl RoomProfile {
    /// The options of the caller `number` in this room.
    pub fn options_of(&self, number: &str) -> Options {
        self.callers
            .get(number)
            .map_or(self.options, |own| self.options.with(*own))
    }
}

fn regex(key: &str, text: &str) -> Result<Regex, String> {
    Regex::new(text).map_err(|e| format!("{key}: {text:?} is not a regular expression: {e}"))
}

/// A feature code: keys of the keypad, at most [`MAX_CODE_KEYS`].
fn code(key: &str, text: &str) -> Result<String, String> {
    keypad_keys(key, text, MAX_CODE_KEYS)
}

/// `text`, the value of `key`, as keys of the keypad, at most `max` of them.
fn keypad_keys(key: &str, text: &str, max: usize) -> Result<String, String> {
    match text
        .chars()
        .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
    {
        Some(c) => Err(format!("{key}: {text:?} has {c:?}, which is no key")),
        None if text.len() > max => Err(format!("{key}: {text:?} is longer than {max} keys")),
        None => Ok(text.to_owned()),
    }
}

/// A room's pin: keys a caller can type into a pin entry, where `#` ends
/// the entry and `*` cancels it, so neither can be part of a pin; and at
/// most as many as an entry takes ([`MAX_KEYS`], as for a pin a `D` caller
/// sets).
fn pin_code(key: &str, text: &str) -> Result<String, String> {
    match text.chars().find(|c| matches!(c, '*' | '#')) {
        Some(c) => Err(format!(
            "{key}: {text:?} has {c:?}, which ends or cancels a pin entry: no caller could type it"
        )),
        None => keypad_keys(key, text, MAX_KEYS),
    }
}

fn number(key: &str, text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{key}: {text:?} is not a whole number"))
}

fn millis(key: &str, text: &str) -> Result<Duration, String> {
    match number(key, text)? {
        ms @ 100..=600_000 => Ok(Duration::from_millis(ms)),
        ms => Err(format!("{key}: {ms} is not 100 to 600000 ms")),
    }
}

fn flag(key: &str, text: &str) -> Result<bool, String> {
    match text {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(format!("{key}: {other:?} is not true or false")),
    }
}

/// A table value as the host gives it (TOML text, e.g. `{ "102" = "sip:…" }`).
fn table(key: &str, text: Option<String>) -> Result<toml::Table, String> {
    let Some(text) = text else {
        return Ok(toml::Table::new());
    };
    let document: toml::Table = format!("value = {text}")
        .parse()
        .map_err(|e| format!("{key}: not a table: {e}"))?;
    match document.get("value") {
        Some(toml::Value::Table(table)) => Ok(table.clone()),
        _ => Err(format!("{key}: not a table")),
    }
}

fn string_table(key: &str, text: Option<String>) -> Result<BTreeMap<String, String>, String> {
    table(key, text)?
        .into_iter()
        .map(|(name, value)| match value {
            toml::Value::String(s) => Ok((name, s)),
            other => Err(format!("{key}.{name}: {other} is not a string")),
        })
        .collect()
}

fn room_profiles(text: Option<String>) -> Result<BTreeMap<String, RoomProfile>, String> {
    table("rooms", text)?
        .into_iter()
        .map(|(room, value)| {
            let key = format!("rooms.{room}");
            let toml::Value::Table(fields) = value else {
                return Err(format!("{key}: not a table"));
            };
            let mut profile = RoomProfile::default();
            for (field, value) in fields {
                let at = format!("{key}.{field}");
                match (field.as_str(), value) {
                    ("pin", toml::Value::String(pin)) if !pin.is_empty() => {
                        profile.pin = Some(pin_code(&at, &pin)?);
                    }
                    ("options", toml::Value::String(letters)) => {
                        profile.options = Options::parse(&letters).map_err(|e| format!("{at}: {e}"))?;
                    }
                    ("max_members", toml::Value::Integer(n)) if (0..=10_000).contains(&n) => {
                        profile.max_members = n as u32;
                    }
                    ("callers", callers @ toml::Value::Table(_)) => {
                        for (number, letters) in string_table(&at, Some(callers.to_string()))? {
                            let options = Options::parse(&letters)
                                .map_err(|e| format!("{at}.{number}: {e}"))?;
                            profile.callers.insert(number, options);
                        }
                    }
                    (_, value) => {
                        return Err(format!(
                            "{at}: {value} is not taken (a room has pin, options, max_members 0-10000 and callers)"
                        ));
                    }
                }
            }
            Ok((room, profile))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let table: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(|key| table.get(key).cloned())
    }

    #[test]
    fn defaults_are_the_caller_holding_the_usual_codes() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.holder, Holder::Caller);
        assert_eq!(settings.codes.escalate, "*0");
        assert_eq!(settings.codes.join, ["*7", "**"]);
        assert_eq!(settings.codes.drop, "*#");
        assert_eq!(settings.codes.interdigit, Duration::from_millis(3000));
        assert_eq!(settings.room_scheme, RoomScheme::FirstFree);
        assert_eq!(settings.free_rooms, (9000, 9999));
        assert!(settings.escalated_options.invite);
        assert!(settings.escalated_options.music_alone);
        assert!(settings.conference_pattern.is_match("8101"));
        assert!(settings.call_pattern.is_match("102"));
        assert_eq!(settings.uri_of("102"), None);
        assert_eq!(settings.source_guard.policy.max_failures, 10);
        assert_eq!(settings.source_guard.policy.window_s, 300);
        assert_eq!(settings.source_guard.prefix, "pin_failures/");
    }

    #[test]
    fn numbers_are_routed_by_directory_then_template() {
        let settings = load(&[
            ("route", "sip:{number}@192.0.2.7:5070"),
            ("directory", r#"{ "102" = "sip:bob@192.0.2.9" }"#),
        ])
        .unwrap();
        assert_eq!(settings.uri_of("102").as_deref(), Some("sip:bob@192.0.2.9"));
        assert_eq!(
            settings.uri_of("103").as_deref(),
            Some("sip:103@192.0.2.7:5070")
        );
        assert_eq!(
            settings.uri_of("1@x;a").as_deref(),
            Some("sip:1%40x%3Ba@192.0.2.7:5070"),
            "the number stays the route's user"
        );
    }

    #[test]
    fn room_profiles_give_each_caller_its_options() {
        let settings = load(&[
            ("dynamic_rooms", "false"),
            (
                "rooms",
                r#"{ "101" = { pin = "1234", options = "wx", max_members = 5, callers = { "100" = "aA" } } }"#,
            ),
        ])
        .unwrap();
        let profile = settings.profile("101").unwrap();
        assert_eq!(profile.pin.as_deref(), Some("1234"));
        assert_eq!(profile.max_members, 5);
        assert_eq!(profile.options_of("100").to_string(), "aAwx");
        assert_eq!(profile.options_of("200").to_string(), "wx");
        assert!(settings.profile("102").is_none(), "dynamic rooms are off");
    }

    #[test]
    fn invitations_are_limited_as_two_party_calls_unless_told_otherwise() {
        let settings = load(&[("call_pattern", "^1[0-9]{2}$")]).unwrap();
        assert!(settings.invite_allow.is_match("103"));
        assert!(!settings.invite_allow.is_match("00119001234567"));
        assert_eq!(settings.max_invites_per_room, 3);
        let own = load(&[("call_pattern", "^1[0-9]{2}$"), ("invite_allow", "^2")]).unwrap();
        assert!(own.invite_allow.is_match("200") && !own.invite_allow.is_match("103"));
    }

    #[test]
    fn callers_are_vouched_for_by_trusted_proxies_once_there_are_some() {
        let open = load(&[]).unwrap();
        assert!(open.vouches_for("198.51.100.7:5060"));
        assert!(
            !open.proxied("198.51.100.7:5060"),
            "without trusted proxies no call is proxied"
        );
        let guarded = load(&[("trusted_proxies", "192.0.2.1, 2001:db8::1")]).unwrap();
        assert!(guarded.vouches_for("192.0.2.1:5060"));
        assert!(guarded.vouches_for("[2001:db8::1]:5060"));
        assert!(!guarded.vouches_for("198.51.100.7:5060"));
        assert!(!guarded.vouches_for("junk"));
        assert!(guarded.proxied("192.0.2.1:5060") && !guarded.proxied("198.51.100.7:5060"));
    }

    #[test]
    fn the_invite_code_is_checked_against_the_room_codes_options_turn_on_with_it() {
        assert!(
            load(&[("invite_code", "*")]).is_ok(),
            "no participant gets the menu"
        );
        let error = load(&[("invite_code", "*"), ("escalated_options", "MXs")]).unwrap_err();
        assert!(
            error.starts_with(
                "invite_code: \"*\" and the room's mute code \"*1\" are listened for together"
            ),
            "{error}"
        );
        let profile = r#"{ "5" = { callers = { "100" = "p" } } }"#;
        let error = load(&[("invite_code", "#1"), ("rooms", profile)]).unwrap_err();
        assert!(
            error.starts_with(
                "invite_code: \"#1\" and the room's leave code \"#\" are listened for together, \
                 and \"#\" is taken as soon as it is typed: \"#1\" would never be reached"
            ),
            "{error}"
        );
        let nobody_invites = [
            ("invite_code", "#1"),
            ("rooms", profile),
            ("escalated_options", "M"),
        ];
        assert!(load(&nobody_invites).is_ok(), "no participant may invite");
    }

    #[test]
    fn a_room_pin_takes_as_many_keys_as_a_pin_entry() {
        let pin_of = |pin: &str| {
            let rooms = format!(r#"{{ "1" = {{ pin = "{pin}" }} }}"#);
            load(&[("rooms", &rooms)]).map(|settings| settings.rooms["1"].pin.clone())
        };
        for keys in 9..=32 {
            let pin = "1".repeat(keys);
            assert_eq!(pin_of(&pin), Ok(Some(pin.clone())), "{keys} keys");
        }
        let error = pin_of(&"1".repeat(33)).unwrap_err();
        assert!(error.ends_with("is longer than 32 keys"), "{error}");
        let code = load(&[("escalate_code", "123456789")]).unwrap_err();
        assert!(code.ends_with("is longer than 8 keys"), "{code}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (("holder", "boss"), "holder: \"boss\" is not"),
            (("escalate_code", "*x"), "escalate_code: \"*x\" has 'x'"),
            (
                ("interdigit_ms", "5"),
                "interdigit_ms: 5 is not 100 to 600000 ms",
            ),
            (
                ("call_pattern", "("),
                "call_pattern: \"(\" is not a regular expression",
            ),
            (
                ("escalated_options", "Xz"),
                "escalated_options: unknown option 'z'",
            ),
            (
                ("rooms", r#"{ "1" = { pin = "12a" } }"#),
                "rooms.1.pin: \"12a\" has 'a'",
            ),
            (
                ("rooms", r#"{ "1" = { pin = "12#4" } }"#),
                "rooms.1.pin: \"12#4\" has '#', which ends or cancels",
            ),
            (
                ("rooms", r#"{ "1" = { pin = "*12" } }"#),
                "rooms.1.pin: \"*12\" has '*'",
            ),
            (
                ("rooms", r#"{ "1" = { colour = "red" } }"#),
                "rooms.1.colour: \"red\" is not taken",
            ),
            (
                ("pin_failures_per_source", "5000"),
                "pin_failures_per_source: 5000 is not 0 to 1000",
            ),
            (
                ("pin_failures_window_s", "0"),
                "pin_failures_window_s: 0 is not 1 to 86400",
            ),
            (
                ("invite_allow", "("),
                "invite_allow: \"(\" is not a regular expression",
            ),
            (
                ("max_invites_per_room", "0"),
                "max_invites_per_room: 0 is not 1 to 100",
            ),
            (
                ("room_first", "20000"),
                "room_first, room_last: 20000..=9999 is not a range",
            ),
            (
                ("drop_code", "*"),
                "drop_code: \"*\" and join_codes \"*7\" are listened for together, \
                 and \"*\" is taken as soon as it is typed: \"*7\" would never be reached",
            ),
            (
                ("join_codes", "*7,*#"),
                "join_codes: \"*#\" and drop_code \"*#\" are listened for together",
            ),
        ];
        for ((key, value), expected) in cases {
            let error = load(&[(key, value)]).unwrap_err();
            assert!(error.starts_with(expected), "{key} = {value}: {error}");
        }
    }
}
