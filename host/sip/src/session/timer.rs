//! Session timers (RFC 4028): reading Session-Expires, Min-SE and `Supported: timer` from a
//! request, choosing the interval and the refresher (§9), the headers that state the choice,
//! taking the choice of the peer's 2xx (§7.2) or asking again after its 422 (§7.3), and when
//! to refresh or give up (§10).

use std::time::{Duration, Instant};

use rsip::prelude::HasHeaders;

use crate::header_text::{has_tag, text};

/// The option tag of the extension (RFC 4028 §3).
pub(crate) const TIMER_TAG: &str = "timer";

/// The endpoint's session-timer settings (RFC 4028), set with
/// [`Endpoint::with_session_timers`](crate::Endpoint::with_session_timers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimers {
    /// Whether the endpoint takes part at all. Off: it acts as a UAS without the extension
    /// (§9 ignores the headers then) and no session expires; no Supported header of its
    /// requests and responses lists `timer`, and a request with `Require: timer` gets 420
    /// (RFC 3261 §8.2.2.3). Default on.
    pub enabled: bool,
    /// The smallest session interval accepted, in seconds: a request asking for less gets
    /// `422 Session Interval Too Small` naming it in Min-SE if its UAC supports the
    /// extension, else its interval is taken (§9: that UAC could not retry). Our own INVITEs
    /// and session refreshes state it as their Min-SE (§7.1, §7.4). Default
    /// [`SessionTimers::DEFAULT_MIN_SE`].
    pub min_se: u32,
    /// The interval the endpoint chooses, in seconds, when the peer supports session timers
    /// but asks for no interval (§9 leaves the choice to the UAS). Default
    /// [`SessionTimers::DEFAULT_INTERVAL`].
    pub default_interval: u32,
    /// The largest interval the endpoint accepts, in seconds: a longer one asked for is
    /// shortened to it (§9 lets the UAS reduce it, never below the Min-SE), and a 422 to our
    /// own request naming a larger Min-SE is not retried (§7.3). Default
    /// [`SessionTimers::DEFAULT_MAX_INTERVAL`].
    pub max_interval: u32,
}

impl SessionTimers {
    /// 90 s, the smallest Min-SE RFC 4028 allows (§5).
    pub const DEFAULT_MIN_SE: u32 = 90;
    /// 1800 s, the interval RFC 4028 §4 recommends.
    pub const DEFAULT_INTERVAL: u32 = 1800;
    /// 86,400 s, a day.
    pub const DEFAULT_MAX_INTERVAL: u32 = 86_400;
}

impl Default for SessionTimers {
    fn default() -> Self {
        Self {
            enabled: true,
            min_se: Self::DEFAULT_MIN_SE,
            default_interval: Self::DEFAULT_INTERVAL,
            max_interval: Self::DEFAULT_MAX_INTERVAL,
        }
    }
}

/// The session timer agreed for a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Agreed {
    /// The session interval in seconds.
    pub(crate) interval: u32,
    /// Whether the endpoint refreshes the session (else the peer does).
    pub(crate) we_refresh: bool,
    /// Whether the peer supports the extension (`Supported: timer`).
    pub(crate) peer_supports: bool,
}

/// A request's Session-Expires is below our minimum: 422 with this Min-SE (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooSmall(pub(crate) u32);

/// The session timer for the peer's dialog-creating or refreshing `request` (the peer is the
/// UAC of its transaction), per RFC 4028 §9; `None` when neither side asked for one.
pub(crate) fn negotiate(
    request: &impl HasHeaders,
    config: &SessionTimers,
) -> Result<Option<Agreed>, TooSmall> {
    if !config.enabled {
        return Ok(None);
    }
    let peer_supports = has_tag(request, "Supported", TIMER_TAG);
    let their_min = text(request, "Min-SE").and_then(delta_seconds).unwrap_or(0);
    let floor = config.min_se.max(their_min);
    let ceiling = config.max_interval.max(floor);
    let Some(value) = text(request, "Session-Expires") else {
        return Ok(peer_supports.then(|| Agreed {
            interval: config.default_interval.clamp(floor, ceiling),
            // §9: the UAS may choose "uac" when the UAC supports the extension.
            we_refresh: false,
            peer_supports,
        }));
    };
    let Some(interval) = delta_seconds(value) else {
        // An unreadable Session-Expires is ignored, as if the request had none.
        return Ok(None);
    };
    if interval < config.min_se && peer_supports {
        return Err(TooSmall(floor));
    }
    // §9: a UAC without the extension could not retry after a 422 (a proxy asked for the
    // timer): the UAS must take the interval, and may never increase it. Only §5's absolute
    // minimum holds, which no proxy may go below either.
    let interval = interval.max(SessionTimers::DEFAULT_MIN_SE).min(ceiling);
    let we_refresh = match refresher(value) {
        Some("uac") => false,
        Some("uas") => true,
        // §9: absent a choice, "uac" if the UAC supports the extension, else us.
        _ => !peer_supports,
    };
    Ok(Some(Agreed {
        interval,
        we_refresh,
        peer_supports,
    }))
}

/// The session timer the peer's 2xx to our own INVITE, re-INVITE or UPDATE states in its
/// Session-Expires: the peer, UAS of that request, has the last word. `None` without one:
/// §7.2 turns the timer off ("there is no session expiration"); `None` too when `config`
/// has session timers off, whatever a proxy put in the 2xx (§8), since no session of ours
/// expires then. The interval is taken as stated even when it is below the Min-SE our request
/// named (§9 forbids that to the UAS): the peer ends the session by the interval it stated,
/// so a longer one would let it expire there. Only an interval below §5's absolute minimum
/// of 90 s is raised to it: taken as it is, 0 would end the call at once and 1 refresh it
/// in a loop.
pub(crate) fn from_answer(
    response: &impl HasHeaders,
    previous: Option<Agreed>,
    config: &SessionTimers,
) -> Option<Agreed> {
    if !config.enabled {
        return None;
    }
    let value = text(response, "Session-Expires")?;
    let interval = delta_seconds(value)?.max(SessionTimers::DEFAULT_MIN_SE);
    Some(Agreed {
        interval,
        // We are the UAC of our own request.
        we_refresh: refresher(value) != Some("uas"),
        peer_supports: has_tag(response, "Require", TIMER_TAG)
            || previous.is_some_and(|p| p.peer_supports),
    })
}

impl Agreed {
    /// The header lines our response to the peer's request carries (§9): Session-Expires
    /// with the refresher as the peer (the UAC) sees it, and `Require: timer` when the peer
    /// supports the extension.
    pub(crate) fn response_headers(&self) -> Vec<(&'static str, String)> {
        let refresher = if self.we_refresh { "uas" } else { "uac" };
        let mut headers = vec![(
            "Session-Expires",
            format!("{};refresher={refresher}", self.interval),
        )];
        if self.peer_supports {
            headers.push(("Require", TIMER_TAG.to_owned()));
        }
        headers
    }

    /// The header lines of a request we send in the session (§7.4), of which we are the
    /// UAC: Session-Expires, and Min-SE stating `min_se` (our minimum, or a larger one a 422
    /// named) so that §9 binds the peer's answer to it; never above the interval itself,
    /// which the peer could then refuse with 422.
    pub(crate) fn request_headers(&self, min_se: u32) -> [(&'static str, String); 2] {
        let refresher = if self.we_refresh { "uac" } else { "uas" };
        [
            (
                "Session-Expires",
                format!("{};refresher={refresher}", self.interval),
            ),
            ("Min-SE", min_se.min(self.interval).to_string()),
        ]
    }

    /// When the endpoint refreshes a session refreshed at `at`: half the interval (§10).
    pub(crate) fn refresh_at(&self, at: Instant) -> Option<Instant> {
        self.we_refresh
            .then(|| at + Duration::from_secs(u64::from(self.interval / 2)))
    }

    /// When a session refreshed at `at` expires without a new refresh: the interval less a
    /// third of it, at most 32 s (§10).
    pub(crate) fn expires_at(&self, at: Instant) -> Instant {
        let margin = (self.interval / 3).min(32);
        at + Duration::from_secs(u64::from(self.interval - margin))
    }
}

/// The interval to ask for after `response`, a 422 to our request that asked for `asked`
/// seconds (§7.3): the Min-SE it names. `None` unless that is larger than `asked` and within
/// `config`'s largest interval, so that the retries end.
pub(crate) fn retry_interval(
    response: &impl HasHeaders,
    asked: u32,
    config: &SessionTimers,
) -> Option<u32> {
    text(response, "Min-SE")
        .and_then(delta_seconds)
        .filter(|&min_se| min_se > asked && min_se <= config.max_interval)
}

/// The delta-seconds before any parameter (`1800;refresher=uac` → 1800).
fn delta_seconds(value: &str) -> Option<u32> {
    value.split(';').next()?.trim().parse().ok()
}

/// The refresher parameter, lower-cased.
fn refresher(value: &str) -> Option<&'static str> {
    value.split(';').skip(1).find_map(|p| {
        let (name, v) = p.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("refresher") {
            return None;
        }
        match v.trim() {
            v if v.eq_ignore_ascii_case("uac") => Some("uac"),
            v if v.eq_ignore_ascii_case("uas") => Some("uas"),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_request;

    fn request(extra: &str) -> crate::wire::RawRequest {
        parse_request(&format!(
            "INVITE sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 INVITE\r\n{extra}\r\n"
        ))
    }

    fn agree(extra: &str) -> Result<Option<Agreed>, TooSmall> {
        negotiate(&request(extra), &SessionTimers::default())
    }

    #[test]
    fn no_timer_unless_asked_or_supported() {
        assert_eq!(agree(""), Ok(None));
        assert_eq!(
            agree("Supported: 100rel, timer\r\n"),
            Ok(Some(Agreed {
                interval: 1800,
                we_refresh: false,
                peer_supports: true
            }))
        );
        assert_eq!(
            agree("k: timer\r\nMin-SE: 3600\r\n")
                .unwrap()
                .unwrap()
                .interval,
            3600
        );
    }

    #[test]
    fn refresher_is_taken_or_chosen() {
        let uas = agree("Session-Expires: 600;refresher=uas\r\nSupported: timer\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((uas.interval, uas.we_refresh), (600, true));
        assert_eq!(
            uas.response_headers(),
            [
                ("Session-Expires", "600;refresher=uas".to_owned()),
                ("Require", "timer".to_owned())
            ]
        );
        let chosen = agree("x: 300\r\nSupported: timer\r\n").unwrap().unwrap();
        assert!(!chosen.we_refresh);
        // A proxy asked for timers the UAC does not support: we refresh, no Require.
        let proxy = agree("Session-Expires: 300\r\n").unwrap().unwrap();
        assert!(proxy.we_refresh);
        assert_eq!(proxy.response_headers().len(), 1);
        assert_eq!(
            proxy.request_headers(90),
            [
                ("Session-Expires", "300;refresher=uac".to_owned()),
                ("Min-SE", "90".to_owned())
            ]
        );
        // Never a Min-SE above the interval asked for in the same request.
        assert_eq!(proxy.request_headers(1800)[1].1, "300");
    }

    #[test]
    fn off_there_is_no_timer_and_no_minimum() {
        let off = SessionTimers {
            enabled: false,
            ..SessionTimers::default()
        };
        for extra in [
            "Supported: timer\r\n",
            "Session-Expires: 600;refresher=uas\r\n",
            "Session-Expires: 30\r\n",
        ] {
            assert_eq!(negotiate(&request(extra), &off), Ok(None), "{extra}");
        }
        // RFC 4028 §8: a proxy may put a Session-Expires in the 2xx to our own request.
        for value in ["90;refresher=uac", "90;refresher=uas"] {
            assert_eq!(from_answer(&answer(value), None, &off), None, "{value}");
        }
    }

    #[test]
    fn a_longer_interval_is_shortened_to_the_maximum_but_never_below_min_se() {
        let config = SessionTimers {
            max_interval: 900,
            ..SessionTimers::default()
        };
        let agreed = |extra| negotiate(&request(extra), &config).unwrap().unwrap();
        assert_eq!(agreed("Session-Expires: 3600\r\n").interval, 900);
        assert_eq!(agreed("Session-Expires: 600\r\n").interval, 600);
        assert_eq!(
            agreed("Session-Expires: 3600\r\nMin-SE: 1200\r\n").interval,
            1200
        );
    }

    #[test]
    fn too_small_names_the_larger_minimum() {
        assert_eq!(
            agree("Session-Expires: 60\r\nSupported: timer\r\n"),
            Err(TooSmall(90))
        );
        assert_eq!(
            agree("Session-Expires: 60\r\nMin-SE: 120\r\nSupported: timer\r\n"),
            Err(TooSmall(120))
        );
        assert_eq!(
            agree("Session-Expires: soon\r\nSupported: timer\r\n"),
            Ok(None)
        );
    }

    #[test]
    fn a_small_interval_from_a_uac_without_timers_is_taken_never_below_90() {
        let config = SessionTimers {
            min_se: 300,
            ..SessionTimers::default()
        };
        let agreed = |extra| negotiate(&request(extra), &config);
        let taken = agreed("Session-Expires: 120\r\n").unwrap().unwrap();
        assert_eq!((taken.interval, taken.we_refresh), (120, true));
        assert_eq!(
            agreed("Session-Expires: 60\r\n").unwrap().unwrap().interval,
            90
        );
        assert_eq!(
            agreed("Session-Expires: 120\r\nSupported: timer\r\n"),
            Err(TooSmall(300))
        );
    }

    /// A response to our INVITE with the status line's `status` and the header line `line`.
    fn response(status: &str, line: &str) -> rsip::Response {
        let text = format!(
            "SIP/2.0 {status}\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
             From: <sip:sut@192.0.2.1>;tag=a\r\nTo: <sip:b@192.0.2.7>;tag=b\r\n\
             Call-ID: cid\r\nCSeq: 2 INVITE\r\n{line}\r\n\r\n"
        );
        let Some(crate::wire::Datagram::Response(response)) = crate::wire::parse(text.as_bytes())
        else {
            panic!("not a response: {text}");
        };
        *response
    }

    fn answer(session_expires: &str) -> rsip::Response {
        response("200 OK", &format!("Session-Expires: {session_expires}"))
    }

    fn answered(session_expires: &str) -> Option<Agreed> {
        from_answer(&answer(session_expires), None, &SessionTimers::default())
    }

    #[test]
    fn an_answers_interval_is_taken_but_never_below_90() {
        let at = |interval, we_refresh| {
            Some(Agreed {
                interval,
                we_refresh,
                peer_supports: false,
            })
        };
        assert_eq!(answered("1800;refresher=uas"), at(1800, false));
        // 0 would expire the session at once, 1 refresh it in a loop.
        assert_eq!(answered("0"), at(90, true));
        assert_eq!(answered("1;refresher=uac"), at(90, true));
        assert_eq!(answered("soon"), None);
        // Below our Min-SE yet at least 90 s: the peer ends the session by what it said.
        let config = SessionTimers {
            min_se: 1800,
            ..SessionTimers::default()
        };
        assert_eq!(
            from_answer(&answer("900;refresher=uac"), None, &config),
            at(900, true)
        );
    }

    #[test]
    fn a_422_is_retried_only_with_a_larger_interval_within_the_maximum() {
        let config = SessionTimers::default();
        let retry = |min_se, asked| {
            let refused = response(
                "422 Session Interval Too Small",
                &format!("Min-SE: {min_se}"),
            );
            retry_interval(&refused, asked, &config)
        };
        assert_eq!(retry("1800", 90), Some(1800));
        assert_eq!(retry("1800", 1800), None);
        assert_eq!(retry("600", 1800), None);
        assert_eq!(retry("86401", 90), None);
        assert_eq!(retry("soon", 90), None);
    }

    #[test]
    fn the_longest_interval_an_answer_can_state_is_scheduled_without_overflow() {
        let t0 = crate::timer::test_epoch();
        let longest = answered("4294967295;refresher=uac").unwrap();
        let s = |n: u32| t0 + Duration::from_secs(n.into());
        assert_eq!(longest.refresh_at(t0), Some(s(u32::MAX / 2)));
        assert_eq!(longest.expires_at(t0), s(u32::MAX - 32));
        assert_eq!(answered("4294967296"), None, "no delta-seconds of 32 bits");
    }

    #[test]
    fn refresh_at_half_and_expiry_before_the_end() {
        let t0 = crate::timer::test_epoch();
        let s = |n| t0 + Duration::from_secs(n);
        let ours = Agreed {
            interval: 90,
            we_refresh: true,
            peer_supports: true,
        };
        assert_eq!(ours.refresh_at(t0), Some(s(45)));
        assert_eq!(ours.expires_at(t0), s(60));
        let theirs = Agreed {
            interval: 1800,
            we_refresh: false,
            ..ours
        };
        assert_eq!(theirs.refresh_at(t0), None);
        assert_eq!(theirs.expires_at(t0), s(1768));
    }
}
