//! What the endpoint lets in before a request reaches a transaction: the answers to refused
//! requests, the per-source rate limit on new ones, and the bounds on transactions, overall
//! and per source host.

use std::net::SocketAddr;
use std::time::Instant;

use rsip::headers::UntypedHeader;
use rsip::prelude::HeadersExt;

use super::{Endpoint, is_new_invite};
use crate::address;
use crate::build::ResponseBuilder;
use crate::dialog::DialogId;
use crate::hosts::Host;
use crate::message::Request;
use crate::method::Method;
use crate::reply::Reply;
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

/// How many new INVITEs refused for want of room the endpoint remembers at most
/// ([`Endpoint::answered_as_refused`]): Timer H (64*T1) of refusals at 4,000 a second (the
/// oldest goes first; its retransmission would then be counted as a refusal of its own).
pub(super) const OVERLOAD_REFUSALS_MAX: usize = 131_072;

impl Endpoint {
    /// Answers a refused request outside any transaction (the answer depends only on the
    /// request, so a retransmission gets it again); an ACK is never answered (§17.1.1.3). A
    /// new INVITE refused with 416 or 505 is counted under its cause (see
    /// [`Stats`](super::Stats)).
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
        // No transaction tells a retransmission from a first copy here: each copy refused is
        // counted, as it is answered, again.
        match code {
            400 => self.stats.bad_requests_sent += 1,
            513 => self.stats.too_large_sent += 1,
            416 if is_new_invite_line(raw) => {
                self.stats.invites_refused_unsupported_uri_scheme += 1
            }
            505 if is_new_invite_line(raw) => self.stats.invites_refused_version_not_supported += 1,
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
    /// `503 Service Unavailable` with `Retry-After`, outside any transaction, as a transaction
    /// would take a place. A new INVITE refused so is counted
    /// ([`Stats::invites_refused_overloaded`](super::Stats::invites_refused_overloaded)) and
    /// remembered ([`RefusedInvites`](crate::transaction::RefusedInvites)).
    pub(super) fn overloaded(&mut self, now: Instant, request: &Request) {
        let tag = self.ids.tag();
        let response = overload_response(&request.raw, &tag, &self.user_agent);
        self.out.send(request.destination, response);
        if is_new_invite(request) {
            self.stats.invites_refused_overloaded += 1;
            self.overload_refusals
                .remember(now, &request.transaction_id, &tag);
        }
    }

    /// Answers `request` as the server transaction of a new INVITE refused for want of room
    /// would, if it belongs to one ([`RefusedInvites`](crate::transaction::RefusedInvites));
    /// whether it did. The INVITE sent again gets the 503 again and is counted as a
    /// retransmission, not as a refusal; the ACK of the 503 is absorbed (§17.2.1); a CANCEL
    /// gets `200 OK` with the 503's To tag, outside any transaction as the 503 was, and
    /// changes nothing (§9.2); the CANCEL sent again gets the 200 again, both counted as
    /// retransmissions as the CANCEL's own transaction would count them (§17.2.2).
    pub(super) fn answered_as_refused(&mut self, request: &Request) -> bool {
        let belongs =
            is_new_invite(request) || matches!(request.method, Method::ACK | Method::CANCEL);
        if !belongs {
            return false;
        }
        let Some(tag) = self.overload_refusals.to_tag(&request.transaction_id) else {
            return false;
        };
        match request.method {
            Method::ACK => {}
            Method::CANCEL => {
                let response = Reply::Ok.build(&request.raw, Some(&tag), &self.user_agent);
                if self
                    .overload_refusals
                    .note_cancel_answered(&request.transaction_id)
                {
                    self.answer_retransmission(request, &response);
                } else {
                    self.out.send(request.destination, response);
                }
            }
            _ => {
                let response = overload_response(&request.raw, &tag, &self.user_agent);
                self.answer_retransmission(request, &response);
            }
        }
        true
    }

    /// Sends `response` again for `request`, a retransmission of a request answered outside
    /// any transaction, counting both as the transaction would have.
    fn answer_retransmission(&mut self, request: &Request, response: &[u8]) {
        self.out.resend(request.destination, response);
        self.stats.request_retransmissions_received += 1;
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

/// Whether `raw`, a request refused before it was read whole, is a new INVITE: its start line
/// names INVITE, and its To has no tag (one that cannot be read is not taken for one).
fn is_new_invite_line(raw: &RawRequest) -> bool {
    &*raw.line.method == "INVITE"
        && raw
            .to_header()
            .ok()
            .and_then(|to| address::parse(to.value()))
            .is_some_and(|to| to.tag().is_none())
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
