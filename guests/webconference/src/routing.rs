//! Which room an incoming call asks for (SEMS webconference's dial-in routing).

use regex_lite::Regex;

/// The routing settings of the guest's config table. The default is SEMS's
/// documented one: `direct_room_re = "^000777"`, `direct_room_strip = 6`.
#[derive(Debug, Clone)]
pub struct RoutingConfig {
    /// `direct_room_re`: a Request-URI user matching it goes straight to a room.
    pub direct_room_re: Option<Regex>,
    /// `direct_room_strip`: characters cut from the front of the user to get the room.
    pub direct_room_strip: usize,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            direct_room_re: Some(Regex::new("^000777").expect("a valid regex")),
            direct_room_strip: 6,
        }
    }
}

/// The `direct_room_re` a config value gives: an empty value turns direct
/// rooms off (`None`), anything else is compiled.
pub fn direct_room_re(value: &str) -> Result<Option<Regex>, regex_lite::Error> {
    if value.is_empty() {
        return Ok(None);
    }
    Regex::new(value).map(Some)
}

/// Where a new call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Straight into this room (`P-App-Param: room=…` or `direct_room_re`).
    Room {
        /// The room.
        room: String,
        /// The participant reason SEMS shows for this entry.
        reason: &'static str,
    },
    /// The caller is asked for the room number.
    AskForRoom,
    /// `direct_room_re` would name the room by the Request-URI user, which
    /// has a broken escape or decodes to no text: no room can be named by it.
    BadUser,
}

/// The parameters of a `P-App-Param` header value (`a=b;c=d`), in order.
pub fn app_params(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter_map(|part| {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            Some((
                name.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

/// Routes a call by, in SEMS's order: `P-App-Param: enter_room=true` (ask),
/// `P-App-Param: room=<r>` (`room=` with no value: ask), `direct_room_re` on the
/// Request-URI user (its first
/// `direct_room_strip` characters stripped when it is longer, else whole), else
/// ask. Both named rooms enter with SEMS's reason "direct access: entered".
/// `request_user` is the decoded user (`None`: it decodes to no text), which
/// matters only when `direct_room_re` is set and no parameter named the room.
pub fn route(config: &RoutingConfig, request_user: Option<&str>, app_param: Option<&str>) -> Route {
    let params = app_param.map(app_params).unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if param("enter_room") == Some("true") {
        return Route::AskForRoom;
    }
    match param("room") {
        // SEMS takes a `room` parameter whatever its value, and an empty one names no room:
        // the caller is asked for it.
        Some("") => return Route::AskForRoom,
        Some(room) => {
            return Route::Room {
                room: room.to_owned(),
                reason: "direct access: entered",
            };
        }
        None => {}
    }
    let Some(re) = &config.direct_room_re else {
        return Route::AskForRoom;
    };
    let Some(request_user) = request_user else {
        return Route::BadUser;
    };
    if re.is_match(request_user) {
        let room: String = if request_user.chars().count() > config.direct_room_strip {
            request_user
                .chars()
                .skip(config.direct_room_strip)
                .collect()
        } else {
            request_user.to_owned()
        };
        return Route::Room {
            room,
            reason: "direct access: entered",
        };
    }
    Route::AskForRoom
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_direct_room() -> RoutingConfig {
        RoutingConfig {
            direct_room_re: None,
            direct_room_strip: 0,
        }
    }

    #[test]
    fn the_default_is_semss_direct_room() {
        let config = RoutingConfig::default();
        assert_eq!(
            config.direct_room_re.as_ref().map(Regex::as_str),
            Some("^000777"),
            "expected SEMS's default direct_room_re"
        );
        assert_eq!(
            config.direct_room_strip, 6,
            "expected SEMS's default direct_room_strip"
        );
    }

    #[test]
    fn direct_room_re_values() {
        assert!(
            direct_room_re("").unwrap().is_none(),
            "an empty direct_room_re must turn direct rooms off"
        );
        let re = direct_room_re("^555").unwrap().expect("a regex for ^555");
        assert!(re.is_match("555123"), "^555 must match 555123");
        assert!(
            direct_room_re("(").is_err(),
            "an unbalanced regex must be an error"
        );
    }

    #[test]
    fn direct_room_strips_the_prefix() {
        assert_eq!(
            route(&RoutingConfig::default(), Some("000777123"), None),
            Route::Room {
                room: "123".into(),
                reason: "direct access: entered"
            }
        );
    }

    #[test]
    fn a_direct_room_no_longer_than_the_strip_is_the_whole_user() {
        assert_eq!(
            route(&RoutingConfig::default(), Some("000777"), None),
            Route::Room {
                room: "000777".into(),
                reason: "direct access: entered"
            }
        );
    }

    #[test]
    fn unmatched_users_are_asked() {
        assert_eq!(
            route(&RoutingConfig::default(), Some("555"), None),
            Route::AskForRoom
        );
        assert_eq!(
            route(&no_direct_room(), Some("000777123"), None),
            Route::AskForRoom
        );
    }

    #[test]
    fn app_param_room_wins_over_direct_room() {
        assert_eq!(
            route(
                &RoutingConfig::default(),
                Some("000777123"),
                Some("room=42;x=y")
            ),
            Route::Room {
                room: "42".into(),
                reason: "direct access: entered"
            }
        );
    }

    #[test]
    fn app_param_enter_room_forces_pin_entry() {
        assert_eq!(
            route(
                &RoutingConfig::default(),
                Some("000777123"),
                Some("enter_room=true;room=42")
            ),
            Route::AskForRoom
        );
    }

    #[test]
    fn app_param_room_without_a_value_asks_for_the_room_as_sems_does() {
        assert_eq!(
            route(
                &RoutingConfig::default(),
                Some("000777123"),
                Some("room=;x=y")
            ),
            Route::AskForRoom
        );
    }

    #[test]
    fn parses_app_params() {
        assert_eq!(
            app_params(" room=\"7\" ; flag ;;a=b"),
            vec![
                ("room".to_owned(), "7".to_owned()),
                ("flag".to_owned(), String::new()),
                ("a".to_owned(), "b".to_owned())
            ]
        );
    }

    #[test]
    fn a_user_that_decodes_to_no_text_matters_only_to_direct_rooms() {
        let config = RoutingConfig::default();
        assert_eq!(route(&config, None, None), Route::BadUser);
        assert_eq!(
            route(&config, None, Some("room=42")),
            Route::Room {
                room: "42".into(),
                reason: "direct access: entered",
            }
        );
        assert_eq!(
            route(&config, None, Some("enter_room=true")),
            Route::AskForRoom
        );
        assert_eq!(route(&no_direct_room(), None, None), Route::AskForRoom);
    }
}
