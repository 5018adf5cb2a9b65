//! What `mute` and `unmute` come to for a participant whose call was up when
//! its tag was looked up.

use switchyard_sdk::busy_fault;
use switchyard_sdk::control::Fault;
use switchyard_sdk::types::Error;

/// Whether the flag of a participant whose call was up is set, given the
/// host's answer to setting it (`set`). Refused, the call may have finished
/// since: then it is whether the flag is kept as a finished participant's
/// (`keep_finished`, called only then). A busy host's refusal is its fault
/// (see [`busy_fault`]): the call is still up, and the same request may be
/// made again.
pub fn set_live(
    set: Result<(), Error>,
    keep_finished: impl FnOnce() -> bool,
) -> Result<bool, Fault> {
    match set {
        Ok(()) => Ok(true),
        Err(e) => busy_fault(&e).map_or_else(|| Ok(keep_finished()), Err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: &str = "busy: media worker 0: 16384 commands waiting";

    #[test]
    fn a_busy_host_is_the_busy_fault_and_the_call_is_not_taken_for_finished() {
        let busy = set_live(Err(Error::Failed(BUSY.to_owned())), || {
            panic!("a call refused as busy is still up")
        })
        .unwrap_err();
        assert_eq!((busy.code, busy.message.as_str()), (-32603, BUSY));
    }

    #[test]
    fn a_call_gone_since_the_lookup_has_its_flag_kept_if_listed_finished() {
        assert!(set_live(Err(Error::NoSuchCall), || true).unwrap());
        assert!(!set_live(Err(Error::NoSuchCall), || false).unwrap());
        let failed = Error::Failed("gone".to_owned());
        assert!(!set_live(Err(failed), || false).unwrap());
    }

    #[test]
    fn a_flag_set_is_done() {
        assert!(set_live(Ok(()), || false).unwrap());
    }
}
