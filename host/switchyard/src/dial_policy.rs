//! Which calls the host places, whoever asks (a guest's dial or forward, the
//! control API's dial-out), against toll fraud: the Request-URIs `[dialout]
//! allow` lets through, and at most `[dialout] max_per_second` new ones a second.

use crate::call_routing::whole_pattern_of;
use regex::Regex;
use std::sync::Mutex;
use std::time::Instant;
use switchyard_core::CallRate;

/// The dial-out policy; shared by every caller of the host API.
#[derive(Debug)]
pub struct DialPolicy {
    allow: Option<Regex>,
    rate: Mutex<CallRate>,
}

impl DialPolicy {
    /// A policy allowing the URIs `allow` matches whole (any, without one) at up to
    /// `max_per_second` placed calls a second (0: no limit). A bad pattern is
    /// an error naming `dialout.allow`.
    pub fn new(allow: Option<&str>, max_per_second: u32) -> Result<DialPolicy, (String, String)> {
        // A whole match, as an allowlist against toll fraud must be: `sip:[0-9]{4}@pbx`
        // must not let `sip:1234@pbx.attacker.example` through.
        let allow = allow
            .map(|pattern| whole_pattern_of("dialout.allow", pattern))
            .transpose()?;
        let mut rate = CallRate::default();
        rate.set_limit(max_per_second);
        Ok(DialPolicy {
            allow,
            rate: Mutex::new(rate),
        })
    }

    /// Whether a call to `uri` may be placed at `now`; counts it if so. The
    /// error says why not.
    pub fn admit(&self, uri: &str, now: Instant) -> Result<(), String> {
        if let Some(allow) = &self.allow
            && !allow.is_match(uri)
        {
            return Err(format!("{uri} is not allowed by dialout.allow"));
        }
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        if !rate.admit(now) {
            return Err(format!(
                "more than dialout.max_per_second ({}) calls placed this second",
                rate.limit()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_allowed_uris_are_placed() {
        let policy = DialPolicy::new(Some(r"^sip:\+?[0-9]{3,6}@gw\.example\.com$"), 0).unwrap();
        let now = Instant::now();
        assert!(policy.admit("sip:1234@gw.example.com", now).is_ok());
        let refused = policy
            .admit("sip:0090123456789@gw.example.com", now)
            .unwrap_err();
        assert_eq!(
            refused,
            "sip:0090123456789@gw.example.com is not allowed by dialout.allow"
        );
    }

    #[test]
    fn a_uri_must_match_the_pattern_whole() {
        let policy = DialPolicy::new(Some(r"sip:[0-9]{4}@pbx\.example\.com"), 0).unwrap();
        let now = Instant::now();
        assert!(policy.admit("sip:1234@pbx.example.com", now).is_ok());
        for uri in [
            "sip:1234@pbx.example.com.attacker.example",
            "sips:sip:1234@pbx.example.com",
            "sip:12345@pbx.example.com",
        ] {
            assert!(policy.admit(uri, now).is_err(), "{uri}");
        }
        // A pattern as long as a pattern may be is taken, anchors aside.
        let longest = "a".repeat(1024);
        assert!(DialPolicy::new(Some(&longest), 0).is_ok());
        // Alternatives are each matched whole too.
        let either = DialPolicy::new(Some("sip:1@a|sip:2@b"), 0).unwrap();
        assert!(either.admit("sip:2@b", now).is_ok());
        assert!(either.admit("sip:1@a.evil", now).is_err());
    }

    #[test]
    fn the_rate_is_held_per_second() {
        let policy = DialPolicy::new(None, 2).unwrap();
        let start = Instant::now();
        assert!(policy.admit("sip:a@b", start).is_ok());
        assert!(policy.admit("sip:a@b", start).is_ok());
        let over = policy.admit("sip:a@b", start).unwrap_err();
        assert!(over.contains("dialout.max_per_second (2)"), "{over}");
        assert!(
            policy
                .admit("sip:a@b", start + Duration::from_secs(1))
                .is_ok()
        );
    }

    #[test]
    fn a_bad_pattern_names_its_key() {
        let (key, message) = DialPolicy::new(Some("("), 1).unwrap_err();
        assert_eq!(key, "dialout.allow");
        assert!(message.starts_with("not a regular expression"), "{message}");
    }
}
