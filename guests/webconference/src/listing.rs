//! How `roomInfo` shows a participant's reason: as SEMS lists it.

/// The reason SEMS lists for a participant the host lists with `reason`.
/// SEMS lists every call it hangs up, `kickout` ones too, as "disconnect";
/// the host says "kicked" of one kicked out (as its `leave` event does).
pub fn sems_reason(reason: &str) -> &str {
    match reason {
        "kicked" => "disconnect",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kicked_participant_is_listed_as_sems_lists_a_call_it_hung_up() {
        assert_eq!(sems_reason("kicked"), "disconnect");
        assert_eq!(sems_reason("disconnect"), "disconnect");
        assert_eq!(
            sems_reason("direct access: entered"),
            "direct access: entered"
        );
    }
}
