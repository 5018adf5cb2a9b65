//! The INVITE client transaction, RFC 3261 §17.1.1 (Figure 5) as updated by RFC 6026 §7.2.

use std::time::{Duration, Instant};

use super::sent_invite::{cancel_of, non_2xx_ack_of};
use super::{ClientOutcome, Sent};
use crate::call::CallKey;
use crate::timer::{Timer, Timers};
use crate::transmit::Outbox;
use crate::transport::TransportAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

/// One INVITE client transaction.
#[derive(Debug)]
pub(crate) struct InviteClient {
    state: State,
    sent: Sent,
    interval: Duration,
    timers: Timers,
    /// The ACK of the non-2xx final response, sent again for each retransmission of it.
    ack: Option<Vec<u8>>,
    owner: CallKey,
}

impl InviteClient {
    /// Sends `request` to `destination` in "Calling", arming Timer A (retransmit; not over a
    /// reliable transport) and Timer B (give up) (§17.1.1.2); over TCP instead of UDP if it
    /// is too large for UDP (§18.1.1), its CANCEL and the ACK of a non-2xx then going over
    /// TCP as well. `owner` is the call the INVITE places.
    pub(crate) fn new(
        now: Instant,
        destination: TransportAddr,
        request: Vec<u8>,
        owner: CallKey,
        out: &mut Outbox,
    ) -> Self {
        let (sent, timers) = Sent::start(now, destination, request, [Timer::A, Timer::B], out);
        Self {
            state: State::Calling,
            sent,
            interval: Timer::A.duration(),
            timers,
            ack: None,
            owner,
        }
    }

    /// Where the INVITE went: the destination it was given, over TCP if it was too large for
    /// UDP and its TCP connection did not fail ([`InviteClient::retry_over_udp`]).
    pub(crate) fn destination(&self) -> TransportAddr {
        self.sent.destination()
    }

    /// The transport to the INVITE's destination failed at `now` before any response: an
    /// INVITE that went over TCP for its size only is sent again over UDP, its top Via
    /// naming UDP, with Timers A and B armed anew (§18.1.1); returns whether it was.
    pub(crate) fn retry_over_udp(&mut self, now: Instant, out: &mut Outbox) -> bool {
        if self.state != State::Calling {
            return false;
        }
        let Some(timers) = self.sent.retry_over_udp(now, [Timer::A, Timer::B], out) else {
            return false;
        };
        self.timers = timers;
        self.interval = Timer::A.duration();
        true
    }

    /// The call the INVITE places.
    pub(crate) fn owner(&self) -> CallKey {
        self.owner
    }

    /// Whether no final response arrived yet ("Calling" or "Proceeding").
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    /// Whether a provisional response arrived and no final one yet ("Proceeding"): the
    /// INVITE may be cancelled (§9.1).
    pub(crate) fn is_proceeding(&self) -> bool {
        self.state == State::Proceeding
    }

    /// A response with status `code` and To value `to` matched this transaction (§17.1.3);
    /// returns whether the core must see it. A provisional response stops Timers A and B
    /// ("Proceeding"); a 2xx moves to "Accepted" for Timer M, passing every further 2xx on
    /// (RFC 6026 §7.2); a 300-699 is acknowledged and moves to "Completed", where Timer D
    /// absorbs its retransmissions, each acknowledged again (§17.1.1.2). That ACK is built
    /// from the INVITE as sent, with `to` (§17.1.1.3), and goes where the INVITE went.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        code: u16,
        to: &str,
        out: &mut Outbox,
    ) -> bool {
        match (self.state, code) {
            (State::Calling, ..=199) => {
                self.state = State::Proceeding;
                self.timers.cancel(Timer::A);
                self.timers.cancel(Timer::B);
                true
            }
            (State::Proceeding, ..=199) => true,
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.timers.clear();
                self.timers.arm(Timer::M, now + Timer::M.duration());
                true
            }
            (State::Accepted, 200..=299) => true,
            (State::Calling | State::Proceeding, _) => {
                let ack = non_2xx_ack_of(self.sent.request(), Some(to));
                out.send(self.sent.destination(), ack.clone());
                self.ack = Some(ack);
                self.state = State::Completed;
                self.timers.clear();
                let wait = Timer::D.duration_over(self.sent.destination().transport);
                self.timers.arm(Timer::D, now + wait);
                true
            }
            (State::Completed, 300..) => {
                if let Some(ack) = &self.ack {
                    out.resend(self.sent.destination(), ack);
                }
                false
            }
            _ => false,
        }
    }

    /// The ACK of a 300-699 final response, and where it goes, for an INVITE whose
    /// transaction its owner dropped before it ended: the one it sent, or one built from the
    /// INVITE as sent with the INVITE's own To, which the responses to an INVITE that had a
    /// To tag (a re-INVITE) repeat (§8.2.6.2, §17.1.1.3).
    pub(crate) fn non_2xx_ack(&self) -> (Vec<u8>, TransportAddr) {
        let ack = self
            .ack
            .clone()
            .unwrap_or_else(|| non_2xx_ack_of(self.sent.request(), None));
        (ack, self.sent.destination())
    }

    /// The CANCEL of the INVITE, sent at `now`, and where it goes: where the INVITE went,
    /// built from the INVITE as sent (§9.1). The INVITE is then given up 64*T1 later if no
    /// final response arrives; Timer B, which "Proceeding" does not run, stands in for that
    /// wait.
    pub(crate) fn cancel(&mut self, now: Instant) -> (Vec<u8>, TransportAddr) {
        if matches!(self.state, State::Calling | State::Proceeding) {
            self.timers.arm(Timer::B, now + Timer::B.duration());
        }
        (cancel_of(self.sent.request()), self.sent.destination())
    }

    /// Runs the timers due at `now`; reports [`ClientOutcome::Timeout`] when Timer B fires.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> Option<ClientOutcome> {
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::A => {
                    out.resend(self.sent.destination(), self.sent.request());
                    // §17.1.1.2: Timer A doubles without the T2 cap of Timer E.
                    self.interval = self.interval.saturating_mul(2);
                    self.timers.arm(Timer::A, now + self.interval);
                }
                Timer::B => {
                    self.terminate();
                    return Some(ClientOutcome::Timeout);
                }
                // Timer D or M: no more responses are expected.
                _ => {
                    self.terminate();
                }
            }
        }
        None
    }
}

super::machine!(InviteClient);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;
    use crate::transaction::Machine;

    /// The To value of the responses.
    const TO: &str = "<sip:bob@example.com>;tag=tt";

    fn start(out: &mut Outbox) -> (Instant, InviteClient) {
        let t0 = test_epoch();
        let tx = InviteClient::new(
            t0,
            TransportAddr::udp("192.0.2.1:5060".parse().unwrap()),
            b"INVITE".to_vec(),
            CallKey::new(1),
            out,
        );
        (t0, tx)
    }

    #[test]
    fn timer_a_doubles_without_cap_until_timer_b() {
        let mut out = Outbox::default();
        let (t0, mut tx) = start(&mut out);
        let mut sends = vec![];
        let mut outcome = None;
        while let Some(at) = tx.deadline() {
            let before = out.retransmissions();
            outcome = outcome.or(tx.on_timeout(at, &mut out));
            if out.retransmissions() > before {
                sends.push((at - t0).as_millis());
            }
        }
        assert_eq!(sends, [500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(outcome, Some(ClientOutcome::Timeout));
        assert!(tx.is_terminated());
    }

    #[test]
    fn provisional_stops_timers_and_non_2xx_is_acked_again_until_timer_d() {
        let mut out = Outbox::default();
        let (t0, mut tx) = start(&mut out);
        let ms = |n| t0 + Duration::from_millis(n);
        assert!(tx.on_response(ms(100), 180, TO, &mut out));
        assert_eq!(tx.deadline(), None, "Proceeding runs no timer");
        assert!(tx.on_response(ms(200), 486, TO, &mut out));
        let (ack, destination) = tx.non_2xx_ack();
        assert!(ack.starts_with(b"ACK "));
        assert_eq!(destination, tx.destination());
        assert!(!tx.on_response(ms(300), 486, TO, &mut out));
        assert_eq!(out.retransmissions(), 1, "the ACK was sent again");
        assert!(!tx.on_response(ms(400), 200, TO, &mut out));
        assert_eq!(tx.deadline(), Some(ms(200) + Timer::D.duration()));
        assert_eq!(tx.on_timeout(ms(200) + Timer::D.duration(), &mut out), None);
        assert!(tx.is_terminated());
    }

    #[test]
    fn accepted_passes_every_2xx_until_timer_m() {
        let mut out = Outbox::default();
        let (t0, mut tx) = start(&mut out);
        assert!(tx.on_response(t0, 200, TO, &mut out));
        assert!(tx.on_response(t0, 200, TO, &mut out));
        assert!(!tx.on_response(t0, 180, TO, &mut out));
        assert_eq!(tx.deadline(), Some(t0 + Timer::M.duration()));
        tx.cancel(t0);
        assert_eq!(tx.on_timeout(t0 + Timer::M.duration(), &mut out), None);
        assert!(tx.is_terminated());
    }

    #[test]
    fn over_tcp_nothing_is_retransmitted_and_timer_d_is_zero() {
        let mut out = Outbox::default();
        let t0 = test_epoch();
        let tcp = TransportAddr::new(crate::Transport::Tcp, "192.0.2.1:5060".parse().unwrap());
        let mut tx = InviteClient::new(t0, tcp, b"INVITE".to_vec(), CallKey::new(1), &mut out);
        assert_eq!(tx.deadline(), Some(t0 + Timer::B.duration()), "no Timer A");
        let at = t0 + Duration::from_secs(1);
        assert!(tx.on_response(at, 486, TO, &mut out));
        assert_eq!(tx.deadline(), Some(at), "Timer D fires at once");
        assert_eq!(tx.on_timeout(at, &mut out), None);
        assert!(tx.is_terminated());
        assert_eq!(out.retransmissions(), 0);
    }

    #[test]
    fn cancel_rearms_timer_b_in_proceeding() {
        let mut out = Outbox::default();
        let (t0, mut tx) = start(&mut out);
        assert!(!tx.is_proceeding());
        assert!(tx.on_response(t0, 100, TO, &mut out));
        assert!(tx.is_proceeding() && tx.is_pending());
        let later = t0 + Duration::from_secs(10);
        let (cancel, destination) = tx.cancel(later);
        assert!(cancel.starts_with(b"CANCEL "));
        assert_eq!(destination, tx.destination());
        assert_eq!(
            tx.on_timeout(later + Timer::B.duration(), &mut out),
            Some(ClientOutcome::Timeout)
        );
    }
}
