//! A call's session after the first offer/answer: the peer's offer waiting for the
//! application (RFC 3264 §8, RFC 3311), our re-INVITE (`reinvite`) or UPDATE, the session
//! timer (`timer`, RFC 4028) and our SDP's o= line (`origin`).

mod origin;
pub(crate) mod reinvite;
pub(crate) mod timer;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rsip::headers::UntypedHeader;
use rsip::prelude::HasHeaders;

use origin::Origin;
use reinvite::Reinvite;
use timer::{Agreed, SessionTimers};

use crate::fields;
use crate::message::Request;
use crate::sdp::{self, Direction, Format, Offer, Stream};
use crate::timer::T1;
use crate::transaction::TxId;
use crate::transport::TransportAddr;

/// The request that carried an offer from the peer, waiting for
/// [`Endpoint::accept_offer`](crate::Endpoint::accept_offer) or
/// [`Endpoint::refuse_offer`](crate::Endpoint::refuse_offer).
#[derive(Debug)]
pub(crate) enum IncomingOffer {
    /// A re-INVITE and its server transaction.
    Reinvite { request: Box<Request>, tx: TxId },
    /// An UPDATE (answered at once, no ACK).
    Update { request: Box<Request> },
}

impl IncomingOffer {
    /// The request.
    pub(crate) fn request(&self) -> &Request {
        match self {
            Self::Reinvite { request, .. } | Self::Update { request } => request,
        }
    }
}

/// The final response to an UPDATE, sent again for its retransmissions (§17.2.2): unlike the
/// endpoint's other non-INVITE responses it cannot be rebuilt from the request.
#[derive(Debug)]
pub(crate) struct UpdateReply {
    pub(crate) cseq: u32,
    pub(crate) response: Vec<u8>,
    pub(crate) destination: TransportAddr,
}

/// How many times our refresh is sent again after refusals since the session was last
/// refreshed ([`Session::retry_refresh`]).
const REFRESH_RETRIES: u32 = 3;

/// How long a refused refresh waits before it goes again when its refusal names no
/// Retry-After: a few seconds, for a peer or proxy briefly overloaded.
const REFRESH_RETRY_WAIT: Duration = Duration::from_secs(5);

/// How long after it falls due a 491 retry may wait for an exchange under way to end before
/// it is given up: 64*T1, as long as our 2xx waits for its ACK (§13.3.1.4).
const RETRY_BOUND: Duration = T1.saturating_mul(64);

/// Our offer that waits to go: sent again after a 491 to our re-INVITE or UPDATE (§14.1, RFC
/// 3311 §5.1), made while our UPDATE without one was unanswered, or refused by UPDATE and
/// going by re-INVITE. The offer, whether it went before, the session it was made in, when it
/// falls due, and the latest it may still go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retry {
    pub(crate) at: Instant,
    pub(crate) offer: String,
    /// Whether `offer` went before, stamped; else it is the application's as made, stamped
    /// when it goes.
    sent: bool,
    /// Our description (what we answered or offered last) when the offer was made.
    made_in: String,
    until: Instant,
}

impl Retry {
    /// `offer`, sent before while our description was `made_in`, to send again at `at`, or
    /// as late as [`RETRY_BOUND`] after it if it cannot go then.
    pub(crate) fn new(at: Instant, offer: String, made_in: Option<&str>) -> Self {
        Self::waiting(at, offer, true, made_in)
    }

    /// Like [`Retry::new`], for `offer` not sent yet: it is stamped when it goes, so that the
    /// versions sent rise by one each (RFC 3264 §8) whatever goes before it.
    pub(crate) fn unsent(at: Instant, offer: String, made_in: Option<&str>) -> Self {
        Self::waiting(at, offer, false, made_in)
    }

    fn waiting(at: Instant, offer: String, sent: bool, made_in: Option<&str>) -> Self {
        Self {
            at,
            offer,
            sent,
            made_in: made_in.unwrap_or_default().to_owned(),
            until: at + RETRY_BOUND,
        }
    }

    /// The retry, which could not go at `now`, tried again at `later` or at its bound if that
    /// comes first; itself as `Err` once the bound has passed.
    pub(crate) fn postponed(self, now: Instant, later: Instant) -> Result<Self, Self> {
        if now < self.until {
            Ok(Self {
                at: later.min(self.until),
                ..self
            })
        } else {
            Err(self)
        }
    }
}

/// How the endpoint sends its own new offers and session refreshes in a confirmed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OfferMethod {
    /// re-INVITE (RFC 3261 §14), which every peer supports. The default.
    #[default]
    Reinvite,
    /// UPDATE (RFC 3311) to a peer whose Allow header lists it, re-INVITE to any other: one
    /// transaction without ACK. A refresh by UPDATE carries no offer (RFC 4028 §7.4).
    Update,
}

/// Our UPDATE in a confirmed call, until its transaction ends.
#[derive(Debug)]
pub(crate) struct OutgoingUpdate {
    /// The SDP offer it carries; `None` for a session refresh.
    pub(crate) offer: Option<String>,
}

/// The mid-dialog state of one call.
#[derive(Debug, Default)]
pub(crate) struct Session {
    origin: Origin,
    /// The peer's offer waiting for the application.
    pub(crate) incoming: Option<IncomingOffer>,
    /// The session timer the request of `incoming` asks for, applied when it is accepted.
    pub(crate) incoming_timer: Option<Agreed>,
    /// Our latest re-INVITE, until its transaction ends.
    pub(crate) outgoing: Option<Reinvite>,
    /// Our UPDATE, until its transaction ends.
    pub(crate) update: Option<OutgoingUpdate>,
    /// Whether the peer's Allow header (in its INVITE or its 2xx to ours) lists UPDATE.
    pub(crate) peer_allows_update: bool,
    /// Our offer to send again after a 491 ([`Session::glared`]), or to send once our UPDATE
    /// ends.
    pub(crate) retry: Option<Retry>,
    /// Requests sent with our latest offer so far.
    pub(crate) attempts: u32,
    /// Our offer in the 2xx to an offerless re-INVITE: the ACK brings the answer.
    pub(crate) offer_in_2xx: Option<String>,
    /// The direction of the last offer of ours the peer answered (sendrecv until one is):
    /// what we want of the media, whatever our answers to the peer's offers said since, and
    /// what an offer of ours in a 2xx states again (RFC 3264 §8.4).
    pub(crate) own_direction: Direction,
    /// The last UPDATE's final response.
    pub(crate) update_reply: Option<UpdateReply>,
    /// The agreed session timer, if any.
    pub(crate) timer: Option<Agreed>,
    /// The Min-SE our requests in the call state, if larger than our configured one: that
    /// of our INVITE that placed the call, or the larger one a 422 to a request of ours
    /// named (RFC 4028 §7.3); 0 while none.
    pub(crate) min_se: u32,
    /// Whether a 422 raised the interval of our latest refresh: the request sent again for it
    /// is its one retry ([`Session::raise_min_se`]), until a 2xx refreshes the session.
    min_se_raised: bool,
    /// Whether the request of ours under way, or the offer waiting in `retry` after its 491,
    /// is our refresh (RFC 4028 §10) rather than an offer of the application's, or the
    /// session offered again while no refresh is owed ([`Session::take_refreshing`],
    /// [`Session::restoring`]).
    pub(crate) refreshing: bool,
    /// Times our refresh was sent again after a refusal since the session was last refreshed.
    refresh_retries: u32,
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
    /// When the current session is to be offered again: the peer took an offer of ours that
    /// was reported refused, and holds another session than ours.
    restore_at: Option<Instant>,
}

/// What is due when the session's deadline comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Due {
    /// The session interval ran out without a refresh (RFC 4028 §10).
    Expired,
    /// Our waiting offer: again after a 491 (§14.1), or once our UPDATE ended.
    Retry(Retry),
    /// Our refresh (RFC 4028 §10, half the interval).
    Refresh,
    /// Our offer of the current session, to bring the peer back to it.
    Restore,
}

impl Session {
    /// `sdp` with the o= line it must be sent with (RFC 3264 §8).
    pub(crate) fn stamp(&mut self, sdp: &str) -> String {
        self.origin.stamp(sdp)
    }

    /// An offer of the current session, `local_sdp` (what we answered or offered last), in
    /// our own direction: not the one of our last answer, which mirrored the peer's (a recvonly
    /// answer to its hold, offered again, would keep the call on hold one way). Stamped with
    /// the o= line it must be sent with (RFC 3264 §8, §8.4).
    pub(crate) fn offer_current(&mut self, local_sdp: Option<&str>) -> String {
        self.offer_session(local_sdp.unwrap_or_default(), self.own_direction)
    }

    /// An offer of the session `local_sdp` in `direction`, stamped (RFC 3264 §8).
    fn offer_session(&mut self, local_sdp: &str, direction: Direction) -> String {
        let offer = sdp::with_direction(local_sdp, direction);
        self.stamp(&offer)
    }

    /// Our offer `sdp` was answered: its direction is what we want from now on.
    pub(crate) fn own_offer_answered(&mut self, sdp: &str) {
        self.own_direction = offered_direction(sdp).unwrap_or_default();
    }

    /// The offer `retry` sends now, our description being `local_sdp`. Unless the peer's
    /// offer accepted in the wait changed the session ([`session_changed`]: a refresh of the
    /// peer's changes nothing), the offer itself: stamped if it never went, else its o=
    /// version raised if another description went since (see [`Origin::restamp`]). Once the
    /// peer's offer changed it (a stream added, another codec), the offer made before would
    /// drop what was added (RFC 3264 §8: an offer keeps every m= line) or undo the change:
    /// the session as it now stands goes, in the direction the offer asked for (a hold or
    /// resume, §8.4).
    pub(crate) fn retried_offer(&mut self, retry: &Retry, local_sdp: Option<&str>) -> String {
        let current = local_sdp.unwrap_or_default();
        if session_changed(&retry.made_in, current) {
            let direction = offered_direction(&retry.offer).unwrap_or(self.own_direction);
            return self.offer_session(current, direction);
        }
        if retry.sent {
            self.origin.restamp(&retry.offer)
        } else {
            self.stamp(&retry.offer)
        }
    }

    /// The server transaction of the peer's re-INVITE whose offer waits for the application,
    /// if one does.
    pub(crate) fn incoming_reinvite(&self) -> Option<TxId> {
        match &self.incoming {
            Some(IncomingOffer::Reinvite { tx, .. }) => Some(*tx),
            _ => None,
        }
    }

    /// Whether the peer's UPDATE `request` is the one whose offer waits for the application
    /// (a retransmission of it).
    pub(crate) fn awaits_answer(&self, request: &Request) -> bool {
        matches!(
            &self.incoming,
            Some(IncomingOffer::Update { request: waiting })
                if waiting.transaction_id == request.transaction_id
        )
    }

    /// Whether an offer/answer exchange is open in either direction, so that no new offer
    /// can start (§14.1, RFC 3311 §5.1).
    pub(crate) fn negotiating(&self) -> bool {
        self.incoming.is_some()
            || self.offer_in_2xx.is_some()
            || self.outgoing.as_ref().is_some_and(Reinvite::is_pending)
            || self.update.as_ref().is_some_and(|u| u.offer.is_some())
    }

    /// The session was set up or refreshed at `now` (a 2xx to an INVITE or UPDATE either
    /// way) under the session timer `agreed` (none: no timer): it starts over (RFC 4028
    /// §10), and since both sides now hold it, no offer of it again is due.
    pub(crate) fn refreshed(&mut self, now: Instant, agreed: Option<Agreed>) {
        self.restore_at = None;
        self.min_se_raised = false;
        self.refreshing = false;
        self.refresh_retries = 0;
        self.timer = agreed;
        self.refresh_at = self.timer.and_then(|t| t.refresh_at(now));
        self.expires_at = self.timer.map(|t| t.expires_at(now));
    }

    /// Whether our offers and refreshes go by UPDATE when the endpoint prefers `method`.
    pub(crate) fn by_update(&self, method: OfferMethod) -> bool {
        method == OfferMethod::Update && self.peer_allows_update
    }

    /// Our offer was refused with 491, or by UPDATE (405, 501) to go by re-INVITE: `retry`
    /// sends it again (§14.1), unless the retry of another offer already waits. Only the
    /// endpoint's own offers of the current session (a refresh, the session kept offered
    /// again) can go in that wait, the application's new offer dropping any retry; the
    /// waiting offer is kept, so no offer of the application's is lost, and the session is
    /// offered again after it ([`Due::Restore`]): the waiting offer may be refused, and then
    /// neither would the session be refreshed (RFC 4028 §10) nor the peer brought back to it.
    pub(crate) fn glared(&mut self, retry: Retry) {
        match &self.retry {
            None => self.retry = Some(retry),
            Some(waiting) => {
                // The refresh's offer is dropped: the waiting one goes first, and the
                // session offered again after it stands for the refresh (`restoring`).
                self.refreshing = false;
                let after = waiting.at;
                self.restore_at = Some(self.restore_at.map_or(after, |at| at.min(after)));
            }
        }
    }

    /// Takes `response`, a 422 to our request that refreshes the session (RFC 4028 §7.3):
    /// the interval asked for next is raised to the Min-SE it names, which our later requests
    /// state as theirs. False, and nothing changes, without a timer, when a 422 raised it
    /// already since the session was last refreshed, or when it is not to be asked for again
    /// ([`timer::retry_interval`]).
    pub(crate) fn raise_min_se(
        &mut self,
        response: &impl HasHeaders,
        config: &SessionTimers,
    ) -> bool {
        // A peer names its fixed minimum (§7.3), which one retry meets: one that names
        // another each time would otherwise have requests sent without end.
        let Some(agreed) = self.timer.filter(|_| !self.min_se_raised) else {
            return false;
        };
        let Some(interval) = timer::retry_interval(response, agreed.interval, config) else {
            return false;
        };
        self.timer = Some(Agreed { interval, ..agreed });
        self.min_se = interval;
        self.min_se_raised = true;
        true
    }

    /// Moves our due refresh to `at`.
    pub(crate) fn postpone_refresh(&mut self, at: Instant) {
        self.refresh_at = Some(at);
    }

    /// Whether the request of ours whose transaction just ended, refused, was our refresh;
    /// from now on none is under way.
    pub(crate) fn take_refreshing(&mut self) -> bool {
        std::mem::take(&mut self.refreshing)
    }

    /// Our refresh gives way at `now`, if the request under way or the offer waiting after
    /// a 491 still stands for it (no 2xx refreshed the session since): to the application's
    /// offer sent in its place, or to a re-INVITE after the peer refused our UPDATE. The
    /// refresh stays due, and goes once no exchange is under way unless a 2xx refreshes the
    /// session first (RFC 4028 §10).
    pub(crate) fn refresh_gives_way(&mut self, now: Instant) {
        if self.take_refreshing() {
            self.refresh_at = Some(now);
        }
    }

    /// Our offer of the current session goes ([`Due::Restore`]): it is our refresh, its 2xx
    /// refreshing the session (RFC 4028 §10), if one is owed; that refresh's own offer gave
    /// way to another ([`Session::glared`]).
    pub(crate) fn restoring(&mut self) {
        self.refreshing = self.refresh_owed();
    }

    /// Whether we refresh the session and our refresh fell due, with no 2xx refreshing the
    /// session since and none scheduled.
    fn refresh_owed(&self) -> bool {
        self.timer.is_some_and(|t| t.we_refresh) && self.refresh_at.is_none()
    }

    /// Our refresh was refused at `now`, the response asking for a wait of `retry_after` if
    /// it named one. If the refresh is still owed (it fell due, and no 2xx refreshed the
    /// session since), it is due again (RFC 4028 §10 lets the refresher retry until the
    /// session expires): after `retry_after`, else after [`REFRESH_RETRY_WAIT`]; at most
    /// [`REFRESH_RETRIES`] times since the session was last refreshed, and never at or past
    /// the expiry. A `retry_after` that reaches the expiry is honoured (RFC 3261 §21.5.4: no
    /// further request until it is over): the session then expires. Whether it is due again.
    pub(crate) fn retry_refresh(&mut self, now: Instant, retry_after: Option<Duration>) -> bool {
        let Some(expires_at) = self
            .expires_at
            .filter(|_| self.refresh_owed() && self.refresh_retries < REFRESH_RETRIES)
        else {
            return false;
        };
        // A wait too long for the clock reaches past any expiry.
        let Some(at) = now
            .checked_add(retry_after.unwrap_or(REFRESH_RETRY_WAIT))
            .filter(|&at| at < expires_at)
        else {
            return false;
        };
        self.refresh_retries += 1;
        self.refresh_at = Some(at);
        true
    }

    /// Has the current session offered again at `at` ([`Due::Restore`]).
    pub(crate) fn restore(&mut self, at: Instant) {
        self.restore_at = Some(at);
    }

    /// Stops the session timer, for a call that is ending.
    pub(crate) fn stop(&mut self) {
        self.refresh_at = None;
        self.expires_at = None;
        self.retry = None;
        self.restore_at = None;
        self.refreshing = false;
    }

    /// When the session expires without a refresh (RFC 4028 §10); none while a re-INVITE or
    /// UPDATE of ours awaits its final response.
    fn expiry(&self) -> Option<Instant> {
        self.expires_at.filter(|_| !self.refresh_in_flight())
    }

    /// Whether a request of ours that refreshes the session (it states the session timer,
    /// RFC 4028 §7.4) awaits its final response, which its transaction's timeout bounds.
    /// §10: its 2xx refreshes the session, and its timeout or 408 or 481 ends the call, so
    /// the refresher waits for it; so does the non-refresher, whose peer's refreshes get 491
    /// meanwhile (RFC 3261 §14.2).
    fn refresh_in_flight(&self) -> bool {
        self.timer.is_some()
            && (self.outgoing.as_ref().is_some_and(Reinvite::is_pending) || self.update.is_some())
    }

    /// When our waiting offer goes: not while our UPDATE is unanswered, since we send one
    /// request at a time; at once when that ends, if it fell due meanwhile.
    fn retry_at(&self) -> Option<Instant> {
        self.retry
            .as_ref()
            .filter(|_| self.update.is_none())
            .map(|r| r.at)
    }

    /// The earliest thing due at `now`, taken off the schedule.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<Due> {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        if due(self.expiry()) {
            self.stop();
            return Some(Due::Expired);
        }
        if due(self.retry_at()) {
            return self.retry.take().map(Due::Retry);
        }
        if due(self.restore_at) {
            self.restore_at = None;
            return Some(Due::Restore);
        }
        if due(self.refresh_at) {
            self.refresh_at = None;
            return Some(Due::Refresh);
        }
        None
    }

    /// When the session next needs the endpoint: our re-INVITE's timers, a retry, a
    /// restore, a refresh or the expiry ([`Session::expiry`]).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        [
            self.outgoing.as_ref().and_then(Reinvite::deadline),
            self.retry_at(),
            self.restore_at,
            self.refresh_at,
            self.expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// The direction our offer `sdp` gives our side, if it has one audio stream alone, as ours do.
fn offered_direction(sdp: &str) -> Option<Direction> {
    let offer = Offer::parse(sdp.as_bytes()).ok()?;
    offer.sole_stream().map(|stream| stream.direction)
}

/// Whether our description `after`, which followed `before`, states a session that the
/// peer's offer changed: its m= lines are others (one added, RFC 3264 §8.1), or our audio
/// stream is gone, elsewhere, or sends a codec `before` did not list. The codecs listed
/// alone change nothing: our answer to the peer's refresh of the session names the codec in
/// use, where our offer before it named every one we take (§6.1). A description that cannot
/// be read tells of no change.
fn session_changed(before: &str, after: &str) -> bool {
    let (Ok(before), Ok(after)) = (
        Offer::parse(before.as_bytes()),
        Offer::parse(after.as_bytes()),
    ) else {
        return false;
    };
    media_kinds(&before) != media_kinds(&after)
        || audio_changed(before.sole_stream(), after.sole_stream())
}

/// The media and transport of each m= line of `description`, in order.
fn media_kinds(description: &Offer) -> Vec<(&str, &str)> {
    description
        .media
        .iter()
        .map(|line| (line.media.as_str(), line.proto.as_str()))
        .collect()
}

/// Whether our audio stream `after` is not `before` as the peer's offer may leave it: gone
/// or come, at another m= line or address, or first listing (sending, §6.1) a codec `before`
/// did not list.
fn audio_changed(before: Option<&Stream>, after: Option<&Stream>) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return before.is_some() != after.is_some();
    };
    let at = |stream: &Stream| -> (usize, SocketAddr) { (stream.index, stream.connection) };
    let listed_before = |sent: &Format| before.formats.iter().any(|f| same_codec(f, sent));
    at(before) != at(after) || !after.formats.first().is_some_and(listed_before)
}

/// Whether the formats `a` and `b` are one codec, whatever their payload types (RFC 3264
/// §6.1: an answer takes the offer's): encoding name (case-insensitive), clock rate and
/// channels.
fn same_codec(a: &Format, b: &Format) -> bool {
    a.encoding.eq_ignore_ascii_case(&b.encoding)
        && a.clock_rate == b.clock_rate
        && a.channels == b.channels
}

/// Whether an Allow header among `headers` lists UPDATE (method names are case-sensitive,
/// §7.1).
pub(crate) fn allows_update(headers: &rsip::Headers) -> bool {
    headers.iter().any(|header| match header {
        rsip::Header::Allow(allow) => allow
            .value()
            .split(',')
            .any(|method| method.trim() == "UPDATE"),
        _ => false,
    })
}

/// The wait a Retry-After header among `headers` asks for (§20.33: delta-seconds, then a
/// comment and parameters, ignored), one above 2^32 - 1 seconds read as 2^32 - 1 as in an
/// Expires (§20.19); `None` without a readable one.
pub(crate) fn retry_after(headers: &rsip::Headers) -> Option<Duration> {
    headers.iter().find_map(|header| match header {
        rsip::Header::RetryAfter(retry_after) => {
            let value = retry_after.value().trim_start();
            let digits = value
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(value.len());
            fields::expires(&value[..digits]).map(|seconds| Duration::from_secs(seconds.into()))
        }
        _ => None,
    })
}

/// §14.1: the wait before re-sending a re-INVITE that got 491, from `random` (any u32), in
/// units of 10 ms: 2.1 to 4 s when we chose the dialog's Call-ID (`call_id_is_ours`), 0 to 2 s
/// when the peer did, so the two sides of a glare do not retry together.
pub(crate) fn glare_wait(random: u32, call_id_is_ours: bool) -> Duration {
    let (from_ms, steps) = if call_id_is_ours {
        (2100, 191)
    } else {
        (0, 201)
    };
    Duration::from_millis(from_ms + u64::from(random % steps) * 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;

    #[test]
    fn expiry_comes_before_retry_and_refresh_and_stops_them() {
        let t0 = test_epoch();
        let mut session = Session::default();
        assert_eq!(session.deadline(), None);
        session.refreshed(
            t0,
            Some(Agreed {
                interval: 90,
                we_refresh: true,
                peer_supports: true,
            }),
        );
        assert_eq!(session.deadline(), Some(t0 + Duration::from_secs(45)));
        assert_eq!(session.take_due(t0), None);
        assert_eq!(
            session.take_due(t0 + Duration::from_secs(45)),
            Some(Due::Refresh)
        );
        session.retry = Some(Retry::new(t0 + Duration::from_secs(46), "v=0".into(), None));
        let late = t0 + Duration::from_secs(60);
        assert_eq!(session.take_due(late), Some(Due::Expired));
        assert_eq!(session.take_due(late), None);
        assert_eq!(session.deadline(), None);
    }

    /// A session refreshed at `t0` for 120 s, that we refresh, whose refresh fell due.
    fn refresh_taken(t0: Instant) -> Session {
        let mut session = Session::default();
        let agreed = Agreed {
            interval: 120,
            we_refresh: true,
            peer_supports: true,
        };
        session.refreshed(t0, Some(agreed));
        let half = t0 + Duration::from_secs(60);
        assert_eq!(session.take_due(half), Some(Due::Refresh));
        session
    }

    #[test]
    fn a_refused_refresh_is_due_again_after_its_retry_after_unless_that_reaches_the_expiry() {
        let t0 = test_epoch();
        let mut session = refresh_taken(t0);
        let refused = t0 + Duration::from_secs(60);
        assert!(session.retry_refresh(refused, Some(Duration::from_secs(10))));
        let again = refused + Duration::from_secs(10);
        assert_eq!(session.deadline(), Some(again));
        assert_eq!(session.take_due(again), Some(Due::Refresh));
        // The session expires 88 s after t0, 18 s from the second refusal: no retry sooner.
        assert!(!session.retry_refresh(again, Some(Duration::from_secs(18))));
        assert_eq!(session.deadline(), Some(t0 + Duration::from_secs(88)));
    }

    #[test]
    fn a_retry_after_too_long_for_the_clock_reaches_past_the_expiry() {
        let t0 = test_epoch();
        let longest_read = Duration::from_secs(u32::MAX.into());
        for wait in [Duration::MAX, Duration::from_secs(u64::MAX), longest_read] {
            let mut session = refresh_taken(t0);
            assert!(!session.retry_refresh(t0 + Duration::from_secs(60), Some(wait)));
            assert_eq!(session.deadline(), Some(t0 + Duration::from_secs(88)));
        }
    }

    #[test]
    fn a_refused_refresh_is_due_again_a_few_times_and_never_at_or_past_the_expiry() {
        let t0 = test_epoch();
        let mut session = refresh_taken(t0);
        let mut now = t0 + Duration::from_secs(60);
        for _ in 0..REFRESH_RETRIES {
            assert!(session.retry_refresh(now, None));
            now += REFRESH_RETRY_WAIT;
            assert_eq!(session.take_due(now), Some(Due::Refresh));
        }
        assert!(!session.retry_refresh(now, None), "retries spent");
        assert_eq!(session.deadline(), Some(t0 + Duration::from_secs(88)));
        let mut session = refresh_taken(t0);
        let late = t0 + Duration::from_secs(83);
        assert!(
            !session.retry_refresh(late, None),
            "it would go at the expiry"
        );
        let in_time = Some(Duration::from_secs(1));
        assert!(
            session.retry_refresh(late, in_time),
            "a Retry-After in time"
        );
    }

    #[test]
    fn a_refusal_owes_no_refresh_while_one_is_scheduled_or_the_peer_refreshes() {
        let t0 = test_epoch();
        let mut session = refresh_taken(t0);
        session.postpone_refresh(t0 + Duration::from_secs(62));
        assert!(!session.retry_refresh(t0 + Duration::from_secs(61), None));
        let mut theirs = Session::default();
        let agreed = Agreed {
            interval: 120,
            we_refresh: false,
            peer_supports: true,
        };
        theirs.refreshed(t0, Some(agreed));
        assert!(!theirs.retry_refresh(t0 + Duration::from_secs(61), None));
        assert!(!Session::default().retry_refresh(t0, None), "no timer");
    }

    #[test]
    fn a_refresh_waiting_after_a_491_that_gives_way_to_another_offer_stays_due() {
        let t0 = test_epoch();
        let mut session = refresh_taken(t0);
        let now = t0 + Duration::from_secs(61);
        // Our refresh, refused 491, waits to go again.
        session.refreshing = true;
        session.refresh_gives_way(now);
        assert!(!session.refreshing);
        assert_eq!(session.take_due(now), Some(Due::Refresh));
        let mut scheduled = Session::default();
        scheduled.refreshed(t0, session.timer);
        scheduled.refresh_gives_way(now);
        let half = t0 + Duration::from_secs(60);
        assert_eq!(scheduled.deadline(), Some(half), "no refresh waited");
    }

    #[test]
    fn the_session_offered_again_is_our_refresh_while_one_is_owed() {
        let t0 = test_epoch();
        let mut session = refresh_taken(t0);
        session.restoring();
        assert!(session.refreshing);
        assert!(session.take_refreshing());
        session.refreshed(t0 + Duration::from_secs(61), session.timer);
        session.restoring();
        assert!(!session.refreshing, "refreshed since");
        let mut theirs = Session::default();
        let agreed = Agreed {
            interval: 120,
            we_refresh: false,
            peer_supports: true,
        };
        theirs.refreshed(t0, Some(agreed));
        theirs.restoring();
        assert!(!theirs.refreshing, "the peer refreshes");
    }

    #[test]
    fn retry_after_reads_the_delta_seconds_before_any_comment_or_parameter() {
        let headers = |value: &str| {
            let mut headers = rsip::Headers::default();
            headers.push(rsip::Header::RetryAfter(rsip::headers::RetryAfter::new(
                value,
            )));
            headers
        };
        let seconds = |value| retry_after(&headers(value)).map(|d| d.as_secs());
        assert_eq!(seconds("120"), Some(120));
        assert_eq!(seconds(" 18000;duration=3600"), Some(18000));
        assert_eq!(seconds("5 (overloaded) ;duration=60"), Some(5));
        assert_eq!(seconds("4294967295"), Some(u32::MAX.into()));
        for huge in [
            "4294967296",
            "18446744073709551615",
            "99999999999999999999999 (a)",
        ] {
            assert_eq!(seconds(huge), Some(u32::MAX.into()), "{huge}");
        }
        assert_eq!(seconds("soon"), None);
        assert_eq!(retry_after(&rsip::Headers::default()), None);
    }

    #[test]
    fn a_postponed_retry_goes_no_later_than_64_t1_after_it_fell_due() {
        let t0 = test_epoch();
        let retry = Retry::new(t0, "v=0".into(), None);
        let bound = t0 + T1 * 64;
        let later = retry.clone().postponed(t0, t0 + T1).unwrap();
        assert_eq!((later.at, later.offer.as_str()), (t0 + T1, "v=0"));
        let near = bound - T1 / 2;
        assert_eq!(retry.clone().postponed(near, near + T1).unwrap().at, bound);
        assert_eq!(retry.clone().postponed(bound, bound + T1), Err(retry));
    }

    /// Our description: audio at `port` with the payload types `formats` and their rtpmap
    /// lines `rtpmaps`, then the m= lines `more`.
    fn ours(port: u16, formats: &str, rtpmaps: &str, more: &str) -> String {
        format!(
            "v=0\r\no=switchyard 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
             t=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n{rtpmaps}a=sendrecv\r\n{more}"
        )
    }

    #[test]
    fn the_peers_offer_changes_the_session_by_its_m_lines_our_address_or_the_codec_sent() {
        let pcmu = "a=rtpmap:0 PCMU/8000\r\n";
        let pcma = "a=rtpmap:8 PCMA/8000\r\n";
        let events = "a=rtpmap:101 telephone-event/8000\r\n";
        let offered = ours(6000, "0 8 101", &format!("{pcmu}{pcma}{events}"), "");
        let answered = ours(6000, "0 101", &format!("{pcmu}{events}"), "");
        assert!(
            !session_changed(&offered, &answered),
            "the codec in use named"
        );
        let held = sdp::with_direction(&answered, Direction::SendOnly)
            .replace("switchyard 1 1", "switchyard 1 7");
        assert!(!session_changed(&answered, &held), "o= and direction aside");
        let other_codec = ours(6000, "8 101", &format!("{pcma}{events}"), "");
        assert!(session_changed(&answered, &other_codec));
        let elsewhere = ours(6002, "0 101", &format!("{pcmu}{events}"), "");
        assert!(session_changed(&answered, &elsewhere));
        let with_video = ours(6000, "0 101", pcmu, "m=video 0 RTP/AVP 96\r\n");
        assert!(session_changed(&answered, &with_video));
        let opus = |pt: u8| format!("a=rtpmap:{pt} opus/48000/2\r\n");
        let opus_96 = ours(6000, "96", &opus(96), "");
        let opus_111 = ours(6000, "111", &opus(111), "");
        assert!(!session_changed(&opus_96, &opus_111), "payload types aside");
        assert!(
            !session_changed("v=0\r\n", &answered),
            "unreadable: no change"
        );
    }

    #[test]
    fn glare_wait_is_0_to_2_s_in_10_ms_steps_for_the_peers_call_id() {
        assert_eq!(glare_wait(0, false), Duration::ZERO);
        assert_eq!(glare_wait(200, false), Duration::from_secs(2));
        assert_eq!(glare_wait(201, false), Duration::ZERO);
        assert_eq!(glare_wait(u32::MAX, false).as_millis() % 10, 0);
        assert!(glare_wait(u32::MAX, false) <= Duration::from_secs(2));
    }

    #[test]
    fn glare_wait_is_2_1_to_4_s_in_10_ms_steps_for_our_call_id() {
        assert_eq!(glare_wait(0, true), Duration::from_millis(2100));
        assert_eq!(glare_wait(190, true), Duration::from_secs(4));
        assert_eq!(glare_wait(191, true), Duration::from_millis(2100));
        assert_eq!(glare_wait(u32::MAX, true).as_millis() % 10, 0);
        assert!(glare_wait(u32::MAX, true) <= Duration::from_secs(4));
    }
}
