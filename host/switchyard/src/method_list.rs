//! `system.listMethods`: every function name the control endpoint answers.
//!
//! A guest has no call that lists its functions, so the names of the
//! embedded webconference guest's functions are kept here, and listed when
//! the routing guest is named `webconference`; another guest's functions are
//! reachable but not listed.

use crate::{host_functions, session_functions};

/// The host's own functions, besides the session functions.
const HOST: [&str; 6] = [
    "calls",
    "configReload",
    "guestList",
    "guestLoad",
    "serverInfo",
    "stats",
];

/// The call forms that are not function names of their own.
const FORMS: [&str; 3] = ["di", "system.listMethods", "system.multicall"];

/// The functions the embedded webconference guest answers.
pub const WEBCONFERENCE: [&str; 17] = [
    "addParticipant",
    "changeRoomAdminpin",
    "dialout",
    "findParticipant",
    "flushFeedback",
    "getRoomPassword",
    "kickout",
    "listRooms",
    "mute",
    "resetFeedback",
    "roomCreate",
    "roomDelete",
    "roomInfo",
    "unmute",
    "vqCallFeedback",
    "vqConferenceFeedback",
    "vqRoomFeedback",
];

/// The names, sorted: the host's, the session functions, `di`,
/// `system.listMethods`, `system.multicall`, and the webconference guest's if
/// `guest` is it.
pub fn list_methods(guest: &str) -> Vec<String> {
    let guest_functions: &[&str] = if guest == "webconference" {
        &WEBCONFERENCE
    } else {
        &[]
    };
    let mut names: Vec<String> = HOST
        .iter()
        .chain(&session_functions::NAMES)
        .chain(&host_functions::NAMES)
        .chain(&FORMS)
        .chain(guest_functions)
        .map(|name| (*name).to_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_names_the_guest_functions_of_webconference_only() {
        let names = list_methods("webconference");
        assert!(names.is_sorted());
        for name in [
            "calls",
            "configReload",
            "guestLoad",
            "guestList",
            "get_cpsmax",
            "set_loglevel",
            "roomInfo",
            "system.listMethods",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique, names, "no name twice");
        assert!(!list_methods("misbehave").iter().any(|n| n == "roomInfo"));
    }
}
