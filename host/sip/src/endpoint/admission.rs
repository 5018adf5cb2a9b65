//! What the endpoint lets in before a request reaches a transaction: the answers to refused
//! requests, the per-source rate limit on new ones, and the bounds on transactions, overall
//! and per source host.

use std::net::SocketAddr;
use std::time::Instant;

use super::Endpoint;
use crate::build::ResponseBuilder;
use crate::dialog::DialogId;
use crate::hosts::Host;
use crate::message::Request;
use crate::method::Method;
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

    /// Refuses the new request `request` as it finds no room ([`Endpoint::has_room_for`]):
    /// `503 Service Unavailable` with `Retry-After`, outside any transaction, as a
    /// transaction would take a place. A new INVITE refused so is counted
    /// ([`Stats::invites_refused_overloaded`](super::Stats::invites_refused_overloaded)).
    pub(super) fn overloaded(&mut self, request: &Request) {
        if request.method == Method::INVITE && request.to_tag.is_none() {
            self.stats.invites_refused_overloaded += 1;
        }
        let tag = self.ids.tag();
        // §21.5.4: the client may retry after Retry-After; lingering transactions, the bulk of
        // the table, end 32 s after they started, so places come free within seconds.
        let response = ResponseBuilder::new(
            &request.raw,
            503,
            "Service Unavailable",
            Some(&tag),
            &self.user_agent,
        )
        .extra_headers(&[("Retry-After", "5")])
        .build();
        self.out.send(request.destination, response);
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
