//! The guest's settings, read from its config table (SEMS webconference.conf keys).

use crate::dialout::Allow;
use crate::routing::{self, RoutingConfig};
use switchyard_sdk::config;
use switchyard_sdk::log::{Level, log};

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
    /// How many empty or wrong room entries a caller gets before being hung up.
    pub max_room_attempts: u32,
    /// `master_password`: `getRoomPassword` and `listRooms` exist only with one.
    pub master_password: Option<String>,
    /// `support_rooms_timeout`: a room created with a timeout is deleted when
    /// it runs out (on its next access).
    pub support_rooms_timeout: bool,
    /// `max_dialouts_per_room` (default 10): dial-outs of one room being
    /// placed at once.
    pub max_dialouts_per_room: usize,
    /// `feedback_file`: where feedback lines go (a file of the guest's
    /// records directory) until `resetFeedback` names another; unset: nowhere.
    pub feedback_file: Option<String>,
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
            max_room_attempts: number("max_room_attempts", 3),
            master_password: config::get("master_password").filter(|p| !p.is_empty()),
            support_rooms_timeout: flag("support_rooms_timeout"),
            max_dialouts_per_room: number("max_dialouts_per_room", 10),
            feedback_file: config::get("feedback_file").filter(|f| !f.is_empty()),
        }
    }
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
