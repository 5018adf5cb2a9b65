//! What the endpoint lets in before a request reaches a transaction: the answers to refused
//! requests, the per-source rate limit on new ones, and the bounds on transactions, overall
//! and per source host.

use std::net::SocketAddr;
use std::time::Instant;

use super::{Endpoint, is_new_invite};
use crate::build::ResponseBuilder;
use crate::dialog::DialogId;
use crate::expiring::Expiring;
use crate::hosts::Host;
use crate::message::Request;
use crate::method::Method;
use crate::timer::Timer;
use crate::transaction::ServerKey;
use crate::transport::TransportAddr;
use crate::wire::RawRequest;

/// A source host's share of the transaction table once it is loaded: one place in 64 (16,384
/// of [`Limits::MAX_TRANSACTIONS`](crate::Limits::MAX_TRANSACTIONS)).
const HOST_SHARE_DIVISOR: usize = 64;

/// When the table counts as loaded, and a host over its share is refused: from half full on
/// (524,288 places). Below that one host may hold more, as an upstream proxy bringing many
/// callers does; above it the other half goes only to hosts within their share.
const LOADED_DIVISOR: usize = 2;

/// The places beyond the cap kept for requests that ease the load ([`Endpoint::eases_load`]):
/// one in 16 of the cap (65,536), rounded up.
const RESERVE_DIVISOR: usize = 16;

/// How many new INVITEs refused for want of room [`OverloadRefusals`] keeps at most: Timer H
/// (64*T1) of refusals at 4,000 a second (the oldest goes first; its retransmission would
/// then be counted as a refusal of its own).
const OVERLOAD_REFUSALS_MAX: usize = 131_072;

/// The new INVITEs recently refused for want of room ([`Endpoint::overloaded`]), by server
/// transaction key, with the To tag of their 503, each for Timer H (64*T1) after its refusal.
//
// RFC 3261 §17.2.3 makes a retransmitted INVITE match the transaction its first copy started,
// and §17.2.1 has that transaction send its final response again for each one. A transaction
// would take the place in the table whose want the 503 reports, and keep a timer per refusal;
// this memory takes no place and keeps a key and a tag: the retransmission of an INVITE whose
// 503 was lost gets the same 503 again, and is not counted as a new refusal. Timer H is as
// long as such a transaction would wait, and longer than the caller retransmits (Timer B,
// §17.1.1.2).
#[derive(Debug)]
pub(super) struct OverloadRefusals(Expiring<ServerKey, String>);

impl Default for OverloadRefusals {
    fn default() -> Self {
        Self::new(OVERLOAD_REFUSALS_MAX)
    }
}

impl OverloadRefusals {
    /// An empty memory of at most `max` refusals.
    fn new(max: usize) -> Self {
        Self(Expiring::new(max))
    }

    /// Keeps the refusal at `now` of the INVITE of key `key` with a 503 that added `to_tag`.
    fn remember(&mut self, now: Instant, key: ServerKey, to_tag: String) {
        self.0.insert(now + Timer::H.duration(), key, to_tag);
    }

    /// The To tag of the 503 that refused the INVITE of key `key`, if it is kept.
    fn to_tag(&self, key: &ServerKey) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Forgets the refusals kept until `now` or before.
    pub(super) fn expire(&mut self, now: Instant) {
        self.0.expire(now);
    }

    /// When the oldest refusal is forgotten.
    pub(super) fn next_expiry(&self) -> Option<Instant> {
        self.0.next_expiry()
    }

    /// How many places are taken.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

impl Endpoint {
    /// Answers a refused request outside any transaction (the answer depends only on the
    /// request, so a retransmission gets it again); an ACK is never answered (§17.1.1.3).
    pub(super) fn refuse_stateless(
        &mut self,
        now: Instant,
        source: SocketAddr,
        raw: &RawRequest,
        destination: TransportAddr,
        code: u16,
        reason: &str,
    ) {
        if &*raw.line.method == "ACK" {
            self.stats.dropped_acks += 1;
            return;
        }
        if !self.admit(now, source) {
            return;
        }
        let tag = self.ids.tag();
        let response =
            ResponseBuilder::new(raw, code, reason, Some(&tag), &self.user_agent).build();
        self.out.send(destination, response);
        match code {
            400 => self.stats.bad_requests_sent += 1,
            513 => self.stats.too_large_sent += 1,
            _ => {}
        }
    }

    /// Whether the new request `request` may start a transaction. One that eases the load
    /// ([`Endpoint::eases_load`]) may until the cap and its reserve are taken
    /// ([`RESERVE_DIVISOR`]); any other until the cap is
    /// ([`Limits::MAX_TRANSACTIONS`](crate::Limits::MAX_TRANSACTIONS)), and, once the table is
    /// loaded ([`LOADED_DIVISOR`]), while its source host ([`Host`]) holds less than its share
    /// of live and lingering transactions ([`HOST_SHARE_DIVISOR`]): a few hosts cannot take
    /// every place from the others.
    pub(super) fn has_room_for(&self, request: &Request) -> bool {
        let (cap, active) = (self.max_transactions, self.active_transactions());
        let over_share = || {
            active >= cap / LOADED_DIVISOR
                && self.held_by(Host::of(request.source.ip())) >= cap / HOST_SHARE_DIVISOR
        };
        let fits = active < cap && !over_share();
        let reserve = cap.div_ceil(RESERVE_DIVISOR);
        fits || (active < cap + reserve && self.eases_load(request))
    }

    /// Whether `request` eases the load rather than adds to it: a request within a dialog the
    /// endpoint has (a BYE frees the call; the others keep a call going that already holds
    /// its places), or a CANCEL of a transaction it has (which it ends sooner, §9.2).
    fn eases_load(&self, request: &Request) -> bool {
        if request.method == Method::CANCEL {
            return self.invite_to_cancel(&request.transaction_id).is_some();
        }
        if request.to_tag.is_none() {
            return false;
        }
        let dialog = DialogId::of_request(request);
        self.dialogs.contains_key(&dialog) || self.placed_in_early_dialog(&dialog).is_some()
    }

    /// Refuses the new request `request` of server transaction key `key` as it finds no room
    /// ([`Endpoint::has_room_for`]): `503 Service Unavailable` with `Retry-After`, outside any
    /// transaction, as a transaction would take a place. A new INVITE refused so is counted
    /// ([`Stats::invites_refused_overloaded`](super::Stats::invites_refused_overloaded)) and
    /// remembered ([`OverloadRefusals`]).
    pub(super) fn overloaded(&mut self, now: Instant, key: ServerKey, request: &Request) {
        let tag = self.ids.tag();
        let response = overload_response(&request.raw, &tag, &self.user_agent);
        self.out.send(request.destination, response);
        if is_new_invite(request) {
            self.stats.invites_refused_overloaded += 1;
            self.overload_refusals.remember(now, key, tag);
        }
    }

    /// Sends the 503 again if `request`, of server transaction key `key`, is the retransmission
    /// of a new INVITE refused for want of room ([`OverloadRefusals`]); whether it was.
    pub(super) fn resent_overload_refusal(&mut self, key: &ServerKey, request: &Request) -> bool {
        if !is_new_invite(request) {
            return false;
        }
        let Some(tag) = self.overload_refusals.to_tag(key) else {
            return false;
        };
        let response = overload_response(&request.raw, tag, &self.user_agent);
        self.out.resend(request.destination, &response);
        self.stats.request_retransmissions_received += 1;
        true
    }

    /// Whether a new request from `source` is within the rate limit; counts it if not.
    pub(super) fn admit(&mut self, now: Instant, source: SocketAddr) -> bool {
        let admitted = self
            .rate_limit
            .as_mut()
            .is_none_or(|limit| limit.admit(now, source.ip()));
        if !admitted {
            self.stats.dropped_rate_limited += 1;
        }
        admitted
    }
}

/// The `503 Service Unavailable` refusing `request` for want of room, adding the To tag `tag`,
/// with Server `server`.
fn overload_response(request: &RawRequest, tag: &str, server: &str) -> Vec<u8> {
    // §21.5.4: the client may retry after Retry-After; lingering transactions, the bulk of the
    // table, end 32 s after they started, so places come free within seconds.
    ResponseBuilder::new(request, 503, "Service Unavailable", Some(tag), server)
        .extra_headers(&[("Retry-After", "5")])
        .build()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    #[test]
    fn overload_refusals_keep_the_newest_within_their_bound_each_until_timer_h() {
        let t0 = test_epoch();
        let key = |n: u32| ServerKey::new(&format!("z9hG4bK{n} 192.0.2.7:5060"), Method::INVITE);
        let at = |n: u32| t0 + Duration::from_millis(n.into());
        let mut refusals = OverloadRefusals::new(4);
        for n in 0..100 {
            refusals.remember(at(n), key(n), format!("tag{n}"));
            assert!(refusals.len() <= 4, "{n}: {} kept", refusals.len());
        }
        assert_eq!(refusals.to_tag(&key(95)), None, "the oldest went first");
        assert_eq!(refusals.to_tag(&key(99)), Some("tag99"));
        refusals.expire(at(99) + Timer::H.duration() - Duration::from_nanos(1));
        assert_eq!(
            refusals.to_tag(&key(99)),
            Some("tag99"),
            "kept until Timer H"
        );
        refusals.expire(at(99) + Timer::H.duration());
        assert_eq!((refusals.len(), refusals.next_expiry()), (0, None));
    }
}
