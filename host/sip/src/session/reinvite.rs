//! Our re-INVITE's client transaction over UDP (RFC 3261 §17.1.1, Figure 5, with the
//! "Accepted" state of RFC 6026 §7.2), kept small and private to mid-dialog offers: Timer A
//! retransmits the request, Timer B gives up, and the ACK of the final response (built by the
//! endpoint from the dialog) is sent again for each retransmitted final response until
//! Timer D (non-2xx, §17.1.1.2) or Timer M (2xx, RFC 6026) ends the transaction.
//!
//! Timer B keeps running in "Proceeding": §17.1.1.2 leaves a provisionally answered INVITE
//! unbounded, but a re-INVITE is answered at once by a working peer (§14.2), so one without a
//! final response in 64*T1 counts as timed out rather than holding the dialog's offer/answer
//! forever.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::timer::T1;
use crate::transmit::Outbox;

/// 64*T1: Timer B (§17.1.1.2), and Timers D and M over UDP (32 s, RFC 6026 §8.4).
const WAIT: Duration = T1.saturating_mul(64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Timer A retransmits.
    Calling,
    /// A provisional response arrived: no more retransmissions.
    Proceeding,
    /// A final response arrived; its ACK (once sent) answers the retransmissions.
    Completed,
    Terminated,
}

/// What a response did to the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Received {
    /// Nothing for the core: a provisional response or a retransmitted final one.
    Nothing,
    /// The first final response: the core must build its ACK and hand it to
    /// [`ReinviteClient::acknowledge`].
    Final,
}

/// One re-INVITE of ours and its offer.
#[derive(Debug)]
pub(crate) struct ReinviteClient {
    branch: String,
    cseq: u32,
    offer: String,
    destination: SocketAddr,
    request: Vec<u8>,
    state: State,
    ack: Option<Vec<u8>>,
    interval: Duration,
    retransmit_at: Option<Instant>,
    end_at: Instant,
}

impl ReinviteClient {
    /// Sends `request`, a re-INVITE with Via branch `branch` and CSeq number `cseq` carrying
    /// `offer`, to `destination` at `now`.
    pub(crate) fn new(
        now: Instant,
        destination: SocketAddr,
        request: Vec<u8>,
        (branch, cseq): (String, u32),
        offer: String,
        out: &mut Outbox,
    ) -> Self {
        out.send(destination, request.clone());
        Self {
            branch,
            cseq,
            offer,
            destination,
            request,
            state: State::Calling,
            ack: None,
            interval: T1,
            retransmit_at: Some(now + T1),
            end_at: now + WAIT,
        }
    }

    /// The top Via branch, which its responses carry.
    pub(crate) fn branch(&self) -> &str {
        &self.branch
    }

    /// The CSeq number, which the ACK repeats (§13.2.2.4, §17.1.1.3).
    pub(crate) fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The SDP offer the request carries.
    pub(crate) fn offer(&self) -> &str {
        &self.offer
    }

    /// Whether no final response arrived yet: the offer is outstanding (§14.1).
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    /// A response with status `code` arrived at `now`.
    pub(crate) fn on_response(&mut self, now: Instant, code: u16, out: &mut Outbox) -> Received {
        match self.state {
            State::Calling | State::Proceeding if code < 200 => {
                // §17.1.1.2: a provisional response stops Timer A.
                self.state = State::Proceeding;
                self.retransmit_at = None;
                Received::Nothing
            }
            State::Calling | State::Proceeding => {
                self.state = State::Completed;
                self.retransmit_at = None;
                self.end_at = now + WAIT;
                Received::Final
            }
            State::Completed => {
                // §17.1.1.2 (non-2xx) and §13.2.2.4 (2xx): every retransmission is ACKed.
                if let Some(ack) = &self.ack {
                    out.resend(self.destination, ack);
                }
                Received::Nothing
            }
            State::Terminated => Received::Nothing,
        }
    }

    /// Sends `ack`, the ACK of the final response, and keeps it for retransmissions of that
    /// response.
    pub(crate) fn acknowledge(&mut self, ack: Vec<u8>, out: &mut Outbox) {
        out.send(self.destination, ack.clone());
        self.ack = Some(ack);
    }

    /// Runs the timers due at `now`; `true` when Timer B fired (no final response in
    /// 64*T1: a 408 for the core, §17.1.1.2).
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> bool {
        if self.state == State::Terminated {
            return false;
        }
        if now >= self.end_at {
            let timed_out = self.is_pending();
            self.state = State::Terminated;
            self.retransmit_at = None;
            return timed_out;
        }
        if let Some(at) = self.retransmit_at.filter(|at| *at <= now) {
            out.resend(self.destination, &self.request);
            // §17.1.1.2: Timer A doubles with no cap.
            self.interval = self.interval.saturating_mul(2);
            self.retransmit_at = Some(at.max(now) + self.interval);
        }
        false
    }

    /// When [`ReinviteClient::on_timeout`] is next needed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Terminated => None,
            _ => Some(
                self.retransmit_at
                    .map_or(self.end_at, |at| at.min(self.end_at)),
            ),
        }
    }

    /// Whether the transaction is over.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;

    fn client(out: &mut Outbox) -> ReinviteClient {
        ReinviteClient::new(
            test_epoch(),
            "192.0.2.1:5060".parse().unwrap(),
            b"INVITE".to_vec(),
            ("z9hG4bKr".into(), 2),
            "v=0".into(),
            out,
        )
    }

    #[test]
    fn timer_a_doubles_until_timer_b() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = client(&mut out);
        let mut sends = vec![];
        let mut timed_out = false;
        while let Some(at) = tx.deadline() {
            let before = out.retransmissions();
            timed_out |= tx.on_timeout(at, &mut out);
            if out.retransmissions() > before {
                sends.push((at - t0).as_millis());
            }
        }
        assert!(timed_out);
        assert_eq!(sends, [500, 1500, 3500, 7500, 15500, 31500]);
        assert!(tx.is_terminated());
    }

    #[test]
    fn final_response_is_acked_again_on_each_retransmission() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = client(&mut out);
        assert_eq!(tx.on_response(t0, 100, &mut out), Received::Nothing);
        assert_eq!(tx.deadline(), Some(t0 + WAIT));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(tx.on_response(t1, 200, &mut out), Received::Final);
        assert!(!tx.is_pending());
        tx.acknowledge(b"ACK".to_vec(), &mut out);
        let before = out.retransmissions();
        assert_eq!(tx.on_response(t1, 200, &mut out), Received::Nothing);
        assert_eq!(out.retransmissions(), before + 1);
        assert!(!tx.on_timeout(t1 + WAIT, &mut out));
        assert!(tx.is_terminated());
        assert_eq!((tx.branch(), tx.cseq(), tx.offer()), ("z9hG4bKr", 2, "v=0"));
    }
}
