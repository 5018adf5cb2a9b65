//! What the endpoint lets in before a request reaches a transaction: the answers to refused
//! requests, the per-source rate limit on new ones, and the bound on transactions.

use std::net::SocketAddr;
use std::time::Instant;

use super::Endpoint;
use crate::build::ResponseBuilder;
use crate::message::Request;
use crate::transport::TransportAddr;
use crate::wire::RawRequest;

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

    /// Refuses the new request `request` as every transaction the endpoint keeps is taken
    /// ([`Limits::MAX_TRANSACTIONS`](crate::Limits::MAX_TRANSACTIONS)): `503 Service
    /// Unavailable` with `Retry-After`, outside any transaction, as a transaction would take
    /// a place.
    pub(super) fn overloaded(&mut self, request: &Request) {
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
