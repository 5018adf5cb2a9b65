//! The non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8).
//!
//! The endpoint answers every non-INVITE request at once with a final response, so the
//! transaction starts in "Completed".

use std::net::SocketAddr;
use std::time::Instant;

use crate::timer::{Timer, Timers};
use crate::transmit::Outbox;

/// One non-INVITE server transaction over UDP, created with its final response.
#[derive(Debug)]
pub(crate) struct NonInviteServer {
    destination: SocketAddr,
    response: Vec<u8>,
    timers: Timers,
    terminated: bool,
}

impl NonInviteServer {
    /// Sends `response` to `destination` and enters "Completed", where Timer J keeps the
    /// response for request retransmissions (§17.2.2).
    pub(crate) fn new(
        now: Instant,
        destination: SocketAddr,
        response: Vec<u8>,
        out: &mut Outbox,
    ) -> Self {
        out.send(destination, response.clone());
        let mut timers = Timers::default();
        timers.arm(Timer::J, now + Timer::J.duration());
        Self {
            destination,
            response,
            timers,
            terminated: false,
        }
    }

    /// §17.2.2: a retransmitted request gets the final response again.
    pub(crate) fn on_request_retransmission(&self, out: &mut Outbox) {
        out.resend(self.destination, &self.response);
    }

    /// Runs the timers due at `now`: Timer J ends the transaction.
    pub(crate) fn on_timeout(&mut self, now: Instant) {
        if self.timers.pop_expired(now).is_some() {
            self.terminated = true;
        }
    }

    /// When [`NonInviteServer::on_timeout`] is next needed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Whether the transaction is over.
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;

    #[test]
    fn answers_retransmissions_until_timer_j() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = NonInviteServer::new(
            t0,
            "192.0.2.1:5060".parse().unwrap(),
            b"200".to_vec(),
            &mut out,
        );
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 1);
        assert_eq!(out.pop().unwrap().payload, b"200");
        assert_eq!(out.pop().unwrap().payload, b"200");
        assert_eq!(tx.deadline(), Some(t0 + Timer::J.duration()));
        tx.on_timeout(t0 + Timer::J.duration());
        assert!(tx.is_terminated());
    }
}
