//! What the endpoint lets in before a request reaches a transaction: the answers to refused
//! requests, and the per-source rate limit on new ones.

use std::net::SocketAddr;
use std::time::Instant;

use super::Endpoint;
use crate::build::ResponseBuilder;
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
