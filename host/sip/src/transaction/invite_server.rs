//! The INVITE server transaction, RFC 3261 §17.2.1 (Figure 7) as updated by RFC 6026 §7.1.
//!
//! This machine covers the states that send responses ("Proceeding", "Completed"). Once the
//! final response is settled ("Accepted" after a 2xx, "Confirmed" after the ACK of a non-2xx)
//! the transaction only absorbs retransmissions; [`InviteServer::lingers`] tells the endpoint
//! to move it to the [`Lingering`](super::Lingering) table, which runs Timers L and I.

use std::time::{Duration, Instant};

use super::InviteLinger;
use crate::call::CallKey;
use crate::timer::{Timer, Timers, backoff};
use crate::transmit::Outbox;
use crate::transport::{Transport, TransportAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Proceeding,
    Completed,
    Lingering(InviteLinger),
    Terminated,
}

/// One INVITE server transaction.
#[derive(Debug)]
pub(crate) struct InviteServer {
    state: State,
    destination: TransportAddr,
    last_response: Option<Vec<u8>>,
    /// The 100 (Trying) that goes when [`Timer::Trying`] fires.
    trying: Option<Vec<u8>>,
    interval: Duration,
    timers: Timers,
    call: Option<CallKey>,
    /// The To tag its responses add to the INVITE's To, which has none: ours (§8.2.6.2).
    to_tag: Option<Box<str>>,
}

impl InviteServer {
    /// A transaction in the "Proceeding" state for an INVITE whose responses go to
    /// `destination`; `call` is the call it belongs to, if any (the one it offers, or the one
    /// it re-INVITEs in), and `to_tag` the To tag its responses add, if the INVITE has none.
    pub(crate) fn new(
        destination: TransportAddr,
        call: Option<CallKey>,
        to_tag: Option<&str>,
    ) -> Self {
        Self {
            state: State::Proceeding,
            destination,
            last_response: None,
            trying: None,
            interval: Timer::G.duration(),
            timers: Timers::default(),
            call,
            to_tag: to_tag.map(Box::from),
        }
    }

    /// The transport its responses go over.
    pub(crate) fn transport(&self) -> Transport {
        self.destination.transport
    }

    /// The call this INVITE belongs to, if any.
    pub(crate) fn call(&self) -> Option<CallKey> {
        self.call
    }

    /// The To tag its responses add, if the INVITE has none; a CANCEL's 200 carries it too
    /// (§9.2).
    pub(crate) fn to_tag(&self) -> Option<&str> {
        self.to_tag.as_deref()
    }

    /// Whether no final response was sent yet (so a CANCEL still has an effect, §9.2).
    pub(crate) fn is_proceeding(&self) -> bool {
        self.state == State::Proceeding
    }

    /// The state the transaction lingers in, once it only absorbs retransmissions.
    pub(crate) fn lingers(&self) -> Option<InviteLinger> {
        match self.state {
            State::Lingering(state) => Some(state),
            _ => None,
        }
    }

    /// Sends `trying`, a 100 (Trying), once [`Timer::Trying`] (200 ms) passed from `now`
    /// without another response: the TU may not answer that soon (§17.2.1).
    pub(crate) fn trying_unless_answered(&mut self, now: Instant, trying: Vec<u8>) {
        if self.state == State::Proceeding {
            self.trying = Some(trying);
            self.timers
                .arm(Timer::Trying, now + Timer::Trying.duration());
        }
    }

    /// Sends a provisional response (§17.2.1: only while "Proceeding").
    pub(crate) fn send_provisional(&mut self, response: Vec<u8>, out: &mut Outbox) {
        if self.state == State::Proceeding {
            self.no_trying();
            out.send(self.destination, response.clone());
            self.last_response = Some(response);
        }
    }

    /// A response went: no 100 (Trying) is due any more.
    fn no_trying(&mut self) {
        self.trying = None;
        self.timers.cancel(Timer::Trying);
    }

    /// Sends the final response with status `code`. A 2xx moves to "Accepted" (RFC 6026 §7.1;
    /// its retransmissions are the UAS core's job, §13.3.1.4); 300-699 moves to "Completed"
    /// with Timer G retransmitting it (not over a reliable transport) and Timer H bounding the
    /// wait for the ACK (§17.2.1).
    pub(crate) fn send_final(
        &mut self,
        now: Instant,
        code: u16,
        response: Vec<u8>,
        out: &mut Outbox,
    ) {
        if self.state != State::Proceeding {
            return;
        }
        self.no_trying();
        out.send(self.destination, response.clone());
        if (200..300).contains(&code) {
            self.last_response = None;
            self.state = State::Lingering(InviteLinger::Accepted);
        } else {
            self.last_response = Some(response);
            self.state = State::Completed;
            if !self.destination.transport.is_reliable() {
                self.timers.arm(Timer::G, now + self.interval);
            }
            self.timers.arm(Timer::H, now + Timer::H.duration());
        }
    }

    /// §17.2.1: a retransmitted INVITE gets the last response again while "Proceeding" or
    /// "Completed" (before any response, there is nothing to send).
    pub(crate) fn on_request_retransmission(&self, out: &mut Outbox) {
        if let Some(response) = &self.last_response {
            out.resend(self.destination, response);
        }
    }

    /// The ACK for a non-2xx final response: "Completed" moves to "Confirmed" (§17.2.1).
    pub(crate) fn on_ack(&mut self) {
        if self.state == State::Completed {
            self.state = State::Lingering(InviteLinger::Confirmed);
            self.last_response = None;
            self.timers.clear();
        }
    }

    /// Runs the timers due at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) {
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::G => {
                    if let Some(response) = &self.last_response {
                        out.resend(self.destination, response);
                    }
                    self.interval = backoff(self.interval);
                    self.timers.arm(Timer::G, now + self.interval);
                }
                Timer::Trying => {
                    if let Some(trying) = self.trying.take() {
                        self.send_provisional(trying, out);
                    }
                }
                // Timer H, the only other one armed: no ACK ever came (§17.2.1).
                _ => {
                    self.terminate();
                }
            }
        }
    }
}

super::machine!(InviteServer);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::T2;
    use crate::timer::test_epoch;
    use crate::transaction::Machine;

    fn dest() -> TransportAddr {
        TransportAddr::udp("192.0.2.1:5060".parse().unwrap())
    }

    #[test]
    fn non_2xx_is_retransmitted_by_timer_g_until_timer_h() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = InviteServer::new(dest(), None, None);
        tx.send_provisional(b"100".to_vec(), &mut out);
        tx.send_final(t0, 486, b"486".to_vec(), &mut out);
        let mut sends = vec![];
        let mut now = t0;
        while let Some(at) = tx.deadline() {
            now = at;
            let before = out.retransmissions();
            tx.on_timeout(now, &mut out);
            if out.retransmissions() > before {
                sends.push((now - t0).as_millis());
            }
        }
        assert!(tx.is_terminated());
        assert_eq!(now - t0, Timer::H.duration());
        assert_eq!(&sends[..5], [500, 1500, 3500, 7500, 11500]);
        assert!(
            sends
                .windows(2)
                .skip(3)
                .all(|w| w[1] - w[0] == T2.as_millis())
        );
    }

    #[test]
    fn over_tcp_a_non_2xx_is_not_retransmitted() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let tcp = TransportAddr::new(Transport::Tcp, dest().addr);
        let mut tx = InviteServer::new(tcp, None, None);
        tx.send_final(t0, 486, b"486".to_vec(), &mut out);
        assert_eq!(tx.deadline(), Some(t0 + Timer::H.duration()), "no Timer G");
        assert_eq!(tx.transport(), Transport::Tcp);
    }

    #[test]
    fn ack_confirms_and_hands_over_to_timer_i() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = InviteServer::new(dest(), None, None);
        tx.send_final(t0, 487, b"487".to_vec(), &mut out);
        assert_eq!(tx.lingers(), None, "Completed still retransmits");
        tx.on_ack();
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 0);
        assert_eq!(tx.lingers(), Some(InviteLinger::Confirmed));
        assert_eq!(
            tx.deadline(),
            None,
            "Timer G and H are off; Timer I is the table's"
        );
        assert!(!tx.is_terminated());
    }

    #[test]
    fn trying_goes_after_200_ms_unless_a_response_goes_first() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = InviteServer::new(dest(), None, None);
        tx.trying_unless_answered(t0, b"100".to_vec());
        assert_eq!(tx.deadline(), Some(t0 + Duration::from_millis(200)));
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 0, "nothing to repeat yet");
        tx.on_timeout(t0 + Duration::from_millis(200), &mut out);
        assert_eq!(tx.deadline(), None);
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 1, "the 100 went and goes again");

        let mut answered = InviteServer::new(dest(), None, None);
        answered.trying_unless_answered(t0, b"100".to_vec());
        answered.send_final(t0, 200, b"200".to_vec(), &mut out);
        assert_eq!(answered.deadline(), None, "no 100 after the final response");
    }

    #[test]
    fn retransmitted_invite_gets_last_response_and_2xx_is_accepted() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = InviteServer::new(dest(), None, None);
        tx.send_provisional(b"100".to_vec(), &mut out);
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 1);
        tx.send_final(t0, 200, b"200".to_vec(), &mut out);
        assert_eq!(tx.lingers(), Some(InviteLinger::Accepted));
        tx.on_request_retransmission(&mut out);
        assert_eq!(out.retransmissions(), 1);
        assert_eq!(tx.deadline(), None, "Timer L is the table's");
    }
}
