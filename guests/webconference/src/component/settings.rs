//! The guest's settings, read from its config table (SEMS webconference.conf keys).

use crate::dialout::Allow;
use crate::routing::{self, RoutingConfig};
use crate::{feedback, predefined};
use switchyard_sdk::config;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::source_limit::{self, Policy, SourceGuard};

// What the host checks the config table against when it loads the guest.
switchyard_sdk::config_keys! {
    "direct_room_re": regex,
    "direct_room_strip": number,
    "participant_id_header": text,
    "participant_id_param": text,
    "private_rooms": flag,
    "ignore_pin": flag,
    "loop_first_participant_prompt": flag,
    "max_room_attempts": number,
    "master_password": text,
    "support_rooms_timeout": flag,
    "max_dialouts_per_room": number,
    "feedback_file": text,
    "room_entry_digit_timeout": number,
    "room_entry_timeout": number,
    "max_failed_entries_per_source": number,
    "failed_entries_window_s": number,
    "trusted_proxies": addresses,
    "lonely_user_timer": number,
    "predefined_rooms": text,
    "room_pin_split": number,
    "dialout_allow": regex,
}

/// The key prefix of the per-source records of refused room entries.
const FAILED_ENTRIES_PREFIX: &str = "failed_entries/";

/// Everything the guest reads from its config table.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `direct_room_re` (default `^000777`; empty turns direct rooms off) and
    /// `direct_room_strip` (default 6).
    pub routing: RoutingConfig,
    /// `participant_id_header` (default `X-ParticipantID`).
    pub participant_id_header: String,
    /// `private_rooms`: callers and lookups may only use rooms that exist.
    pub private_rooms: bool,
    /// `ignore_pin`: adminpins are not checked.
    pub ignore_pin: bool,
    /// `loop_first_participant_prompt`: repeat `first_participant` until someone joins.
    pub loop_first_participant_prompt: bool,
    /// `max_room_attempts` (default 3; 0: no limit): how many empty or wrong
    /// room entries a caller gets before being hung up. Without a limit,
    /// `room_entry_timeout` and `max_failed_entries_per_source` still end the
    /// entry.
    pub max_room_attempts: Option<u32>,
    /// `master_password`: `getRoomPassword` and `listRooms` exist only with one.
    pub master_password: Option<String>,
    /// `support_rooms_timeout`: a room created with a timeout is deleted when
    /// it runs out (on its next access).
    pub support_rooms_timeout: bool,
    /// `max_dialouts_per_room` (default 10; 0: no limit): dial-outs of one
    /// room being placed at once.
    pub max_dialouts_per_room: usize,
    /// `feedback_file`: where feedback lines go (a plain file name in the
    /// guest's records directory; anything else refuses the config) until
    /// `resetFeedback` names another; unset: nowhere.
    pub feedback_file: Option<String>,
    /// `room_entry_digit_timeout` (seconds, default 10; 0: none): the longest
    /// wait for the next key of a room number, from the end of the prompt or
    /// the last key. With digits typed it ends the entry as `#` would; with
    /// none the caller hears `wrong_pin_bye` and is hung up.
    pub room_entry_digit_timeout_s: u32,
    /// `room_entry_timeout` (seconds, default 60; 0: none): the longest the
    /// whole room entry may take, every attempt included, from its first
    /// prompt; then `wrong_pin_bye` and hang-up.
    pub room_entry_timeout_s: u32,
    /// `max_failed_entries_per_source` (default 10; 0: no limit) refused room
    /// entries within `failed_entries_window_s` (default 300) from one source
    /// address refuse its calls (403) until they age out; a call from one of
    /// `trusted_proxies` (IP addresses separated by commas, default none)
    /// counts against its caller (its From URI).
    pub source_guard: SourceGuard,
    /// `lonely_user_timer` (seconds, default 0: off): a participant alone in
    /// its room that long is hung up.
    pub lonely_user_timer_s: u32,
    /// `predefined_rooms` (`room:pin;room2:pin2`, default none): rooms that
    /// exist from the start with those admin pins, as written.
    pub predefined_rooms: String,
    /// `room_pin_split` (a position; unset: off): the room number dialled or
    /// typed is the room up to that position and the participant id after it.
    pub room_pin_split: Option<usize>,
    /// `participant_id_param` (unset: off): the `P-App-Param` parameter
    /// carrying the participant id; when set, `participant_id_header` is not read.
    pub participant_id_param: Option<String>,
}

impl Settings {
    /// Reads the settings; keys the table does not set take the guest's
    /// defaults, and values that do not parse are logged and replaced by their
    /// defaults, so a bad key never takes calls down.
    pub fn load() -> Settings {
        let defaults = RoutingConfig::default();
        let direct_room_re = match config::get("direct_room_re") {
            None => defaults.direct_room_re,
            Some(text) => routing::direct_room_re(&text).unwrap_or_else(|e| {
                log(
                    Level::Error,
                    &format!(
                        "direct_room_re {text:?} is not a valid regex: {e}; using the default"
                    ),
                );
                defaults.direct_room_re
            }),
        };
        Settings {
            routing: RoutingConfig {
                direct_room_re,
                direct_room_strip: number("direct_room_strip", defaults.direct_room_strip),
            },
            participant_id_header: config::get("participant_id_header")
                .unwrap_or_else(|| "X-ParticipantID".to_owned()),
            private_rooms: flag("private_rooms"),
            ignore_pin: flag("ignore_pin"),
            loop_first_participant_prompt: flag("loop_first_participant_prompt"),
            max_room_attempts: Some(number("max_room_attempts", 3)).filter(|&n| n > 0),
            master_password: config::get("master_password").filter(|p| !p.is_empty()),
            support_rooms_timeout: flag("support_rooms_timeout"),
            max_dialouts_per_room: number("max_dialouts_per_room", 10),
            feedback_file: config::get("feedback_file"),
            room_entry_digit_timeout_s: number("room_entry_digit_timeout", 10),
            room_entry_timeout_s: number("room_entry_timeout", 60),
            source_guard: SourceGuard {
                policy: Policy {
                    max_failures: number("max_failed_entries_per_source", 10),
                    window_s: number("failed_entries_window_s", 300),
                },
                prefix: FAILED_ENTRIES_PREFIX,
                trusted_proxies: source_limit::addresses(
                    &config::get("trusted_proxies").unwrap_or_default(),
                ),
            },
            lonely_user_timer_s: number("lonely_user_timer", 0),
            predefined_rooms: config::get("predefined_rooms").unwrap_or_default(),
            room_pin_split: config::get("room_pin_split")
                .filter(|v| !v.is_empty())
                .and_then(|text| {
                    text.parse()
                        .map_err(|_| {
                            log(
                                Level::Error,
                                &format!(
                                    "room_pin_split = {text:?} is not a number; not splitting"
                                ),
                            );
                        })
                        .ok()
                }),
            participant_id_param: config::get("participant_id_param").filter(|p| !p.is_empty()),
        }
    }
}

/// What the kinds the host checks cannot say of the table: a `predefined_rooms`
/// entry that is not `<room>:<pin>` or names no room the host takes (SEMS
/// skips it: a room its users expect would be missing), or a value longer
/// than the guest can remember (see [`predefined::problem`]), a `feedback_file` that can never name a file of the
/// records directory (see [`feedback::file_problem`]: no feedback could be
/// written), a
/// `dialout_allow` that cannot be matched whole.
pub fn problem() -> Option<String> {
    let predefined = config::get("predefined_rooms").unwrap_or_default();
    if let Some(problem) = predefined::problem(&predefined) {
        return Some(problem);
    }
    if let Some(file) = config::get("feedback_file")
        && let Some(why) = feedback::file_problem(&file)
    {
        return Some(format!(
            "feedback_file: {file:?} is no file name of the guest's records_dir: {why}"
        ));
    }
    let allow = config::get("dialout_allow").unwrap_or_default();
    Allow::from_config(Some(&allow)).1.map(|e| {
        format!("dialout_allow: {allow:?} is not a regular expression this guest takes: {e}")
    })
}

/// `dialout_allow`: a regex the Request-URI of a dial-out must match (empty or
/// missing: any). Read only by `dialout`, so that an invalid pattern is logged
/// where it matters; it then allows nothing.
pub fn dialout_allow() -> Allow {
    let value = config::get("dialout_allow");
    let (allow, error) = Allow::from_config(value.as_deref());
    if let Some(e) = error {
        log(
            Level::Error,
            &format!("dialout_allow {value:?} is not a valid regex: {e}; refusing every dial-out"),
        );
    }
    allow
}

fn flag(key: &str) -> bool {
    matches!(config::get(key).as_deref(), Some("true" | "yes" | "1"))
}

fn number<T: std::str::FromStr + Copy>(key: &str, default: T) -> T {
    match config::get(key) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            log(
                Level::Error,
                &format!("{key} = {text:?} is not a number; using the default"),
            );
            default
        }),
    }
}
