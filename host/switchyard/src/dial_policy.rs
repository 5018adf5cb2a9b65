//! Which calls the host places, whoever asks (a guest's dial or forward, the
//! control API's dial-out), against toll fraud: the Request-URIs `[dialout]
//! allow` lets through, and at most `[dialout] max_per_second` new ones a second.

use crate::call_routing::whole_pattern_of;
use crate::config::KeyPath;
use regex::Regex;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use switchyard_core::{CallRate, Counted};

/// The dial-out policy; shared by every caller of the host API, and replaced in place
/// when the configuration is read again ([`DialPolicy::adopt`]).
#[derive(Debug)]
pub struct DialPolicy {
    // Each check takes its own hold on the pattern, so a replacement never waits for a
    // match, nor a match for a replacement.
    allow: RwLock<Option<Arc<Regex>>>,
    rate: Mutex<CallRate>,
}

impl DialPolicy {
    /// A policy allowing the URIs `allow` matches whole (any, without one) at up to
    /// `max_per_second` placed calls a second (0: no limit). A bad pattern is
    /// an error naming `dialout.allow`.
    pub fn new(allow: Option<&str>, max_per_second: u32) -> Result<DialPolicy, (KeyPath, String)> {
        // A whole match, as an allowlist against toll fraud must be: `sip:[0-9]{4}@pbx`
        // must not let `sip:1234@pbx.attacker.example` through.
        let allow = allow
            .map(|pattern| whole_pattern_of(&KeyPath::from(["dialout", "allow"]), pattern))
            .transpose()?;
        let mut rate = CallRate::default();
        rate.set_limit(max_per_second);
        Ok(DialPolicy {
            allow: RwLock::new(allow.map(Arc::new)),
            rate: Mutex::new(rate),
        })
    }

    /// Holds the calls placed from now on to `new`'s pattern and rate limit. The calls
    /// already counted in the current second still count against the new limit, so that
    /// a change opens no burst past it.
    pub fn adopt(&self, new: DialPolicy) {
        let DialPolicy { allow, rate } = new;
        let limit = rate.into_inner().unwrap_or_else(|e| e.into_inner()).limit();
        *self.allow.write().unwrap_or_else(|e| e.into_inner()) =
            allow.into_inner().unwrap_or_else(|e| e.into_inner());
        self.rate().set_limit(limit);
    }

    /// Whether `dialout.allow` lets a call to `uri` be placed; the error says why not.
    /// Nothing is counted.
    pub fn allows(&self, uri: &str) -> Result<(), String> {
        match self.allow() {
            Some(allow) if !allow.is_match(uri) => {
                Err(format!("{uri} is not allowed by dialout.allow"))
            }
            _ => Ok(()),
        }
    }

    /// Whether one more call may be placed at `now` within `dialout.max_per_second`;
    /// counts it if so. The error names the limit. A call then refused for anything else
    /// is [given back](Self::give_back), so that it uses up nothing.
    pub fn admit(&self, now: Instant) -> Result<Counted, String> {
        let mut rate = self.rate();
        rate.count(now).ok_or_else(|| {
            format!(
                "more than dialout.max_per_second ({}) calls placed this second",
                rate.limit()
            )
        })
    }

    /// Takes back a call [`admit`](Self::admit) counted that was not placed after all.
    pub fn give_back(&self, counted: Counted) {
        self.rate().give_back(counted);
    }

    fn allow(&self) -> Option<Arc<Regex>> {
        self.allow.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn rate(&self) -> std::sync::MutexGuard<'_, CallRate> {
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_allowed_uris_are_placed() {
        let policy = DialPolicy::new(Some(r"^sip:\+?[0-9]{3,6}@gw\.example\.com$"), 0).unwrap();
        assert!(policy.allows("sip:1234@gw.example.com").is_ok());
        let refused = policy
            .allows("sip:0090123456789@gw.example.com")
            .unwrap_err();
        assert_eq!(
            refused,
            "sip:0090123456789@gw.example.com is not allowed by dialout.allow"
        );
    }

    #[test]
    fn a_uri_must_match_the_pattern_whole() {
        let policy = DialPolicy::new(Some(r"sip:[0-9]{4}@pbx\.example\.com"), 0).unwrap();
        assert!(policy.allows("sip:1234@pbx.example.com").is_ok());
        for uri in [
            "sip:1234@pbx.example.com.attacker.example",
            "sips:sip:1234@pbx.example.com",
            "sip:12345@pbx.example.com",
        ] {
            assert!(policy.allows(uri).is_err(), "{uri}");
        }
        // A pattern as long as a pattern may be is taken, anchors aside.
        let longest = "a".repeat(1024);
        assert!(DialPolicy::new(Some(&longest), 0).is_ok());
        // Alternatives are each matched whole too.
        let either = DialPolicy::new(Some("sip:1@a|sip:2@b"), 0).unwrap();
        assert!(either.allows("sip:2@b").is_ok());
        assert!(either.allows("sip:1@a.evil").is_err());
    }

    #[test]
    fn the_rate_is_held_per_second() {
        let policy = DialPolicy::new(None, 2).unwrap();
        let start = Instant::now();
        assert!(policy.admit(start).is_ok());
        assert!(policy.admit(start).is_ok());
        let over = policy.admit(start).unwrap_err();
        assert!(over.contains("dialout.max_per_second (2)"), "{over}");
        assert!(policy.admit(start + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn an_adopted_policy_holds_the_next_calls_and_keeps_this_seconds_count() {
        let policy = DialPolicy::new(Some("sip:1@a"), 3).unwrap();
        let start = Instant::now();
        assert!(policy.admit(start).is_ok());
        assert!(policy.admit(start).is_ok());

        policy.adopt(DialPolicy::new(Some("sip:2@b"), 2).unwrap());
        assert!(policy.allows("sip:1@a").is_err());
        assert!(policy.allows("sip:2@b").is_ok());
        let over = policy.admit(start).unwrap_err();
        assert!(over.contains("dialout.max_per_second (2)"), "{over}");
        assert!(policy.admit(start + Duration::from_secs(1)).is_ok());

        policy.adopt(DialPolicy::new(None, 0).unwrap());
        assert!(policy.allows("sip:3@c").is_ok());
        assert!((0..100).all(|_| policy.admit(start).is_ok()));
    }

    #[test]
    fn a_bad_pattern_names_its_key() {
        let (key, message) = DialPolicy::new(Some("("), 1).unwrap_err();
        assert_eq!(key.to_string(), "dialout.allow");
        assert!(message.starts_with("not a regular expression"), "{message}");
    }

    #[test]
    fn an_empty_pattern_is_refused_rather_than_refusing_every_call() {
        let (key, message) = DialPolicy::new(Some(""), 1).unwrap_err();
        assert_eq!(key.to_string(), "dialout.allow");
        assert_eq!(message, "must not be empty");
    }
}
