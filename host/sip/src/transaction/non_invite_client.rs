//! The non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6), used for BYE.

use std::time::{Duration, Instant};

use super::Sent;
use crate::call::CallKey;
use crate::timer::{T2, Timer, Timers, backoff};
use crate::transmit::Outbox;
use crate::transport::TransportAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// How a client transaction ended, reported once to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientOutcome {
    /// A final response arrived.
    Final,
    /// Timer F (§17.1.2.2), or Timer B of an INVITE (§17.1.1.2), fired before any final
    /// response.
    Timeout,
}

/// One non-INVITE client transaction.
#[derive(Debug)]
pub(crate) struct NonInviteClient {
    state: State,
    sent: Sent,
    interval: Duration,
    timers: Timers,
    owner: Option<CallKey>,
}

impl NonInviteClient {
    /// Sends `request` to `destination` in "Trying", arming Timer E (retransmit; not over a
    /// reliable transport) and Timer F (give up) (§17.1.2.2); over TCP instead of UDP if it
    /// is too large for UDP (§18.1.1). `owner` is the call that waits for the outcome, if
    /// any.
    pub(crate) fn new(
        now: Instant,
        destination: TransportAddr,
        request: Vec<u8>,
        owner: Option<CallKey>,
        out: &mut Outbox,
    ) -> Self {
        let (sent, timers) = Sent::start(now, destination, request, [Timer::E, Timer::F], out);
        Self {
            state: State::Trying,
            sent,
            interval: Timer::E.duration(),
            timers,
            owner,
        }
    }

    /// Where the request went: the destination it was given, over TCP if it was too large
    /// for UDP and its TCP connection did not fail ([`NonInviteClient::retry_over_udp`]).
    pub(crate) fn destination(&self) -> TransportAddr {
        self.sent.destination()
    }

    /// The transport to the request's destination failed at `now` before any response: a
    /// request that went over TCP for its size only is sent again over UDP, its top Via
    /// naming UDP, with Timers E and F armed anew (§18.1.1); returns whether it was.
    pub(crate) fn retry_over_udp(&mut self, now: Instant, out: &mut Outbox) -> bool {
        if self.state != State::Trying {
            return false;
        }
        let Some(timers) = self.sent.retry_over_udp(now, [Timer::E, Timer::F], out) else {
            return false;
        };
        self.timers = timers;
        self.interval = Timer::E.duration();
        true
    }

    /// The call waiting for this transaction's outcome.
    pub(crate) fn owner(&self) -> Option<CallKey> {
        self.owner
    }

    /// A response with status `code` matched this transaction (§17.1.3). Returns the outcome
    /// on the first final response; "Completed" then absorbs retransmissions until Timer K.
    pub(crate) fn on_response(&mut self, now: Instant, code: u16) -> Option<ClientOutcome> {
        match self.state {
            State::Trying | State::Proceeding if code < 200 => {
                self.state = State::Proceeding;
                None
            }
            State::Trying | State::Proceeding => {
                self.state = State::Completed;
                self.timers.clear();
                let wait = Timer::K.duration_over(self.sent.destination().transport);
                self.timers.arm(Timer::K, now + wait);
                Some(ClientOutcome::Final)
            }
            State::Completed | State::Terminated => None,
        }
    }

    /// Runs the timers due at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> Option<ClientOutcome> {
        let mut outcome = None;
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::E => {
                    out.resend(self.sent.destination(), self.sent.request());
                    // §17.1.2.2: doubling up to T2 while "Trying", T2 once "Proceeding".
                    self.interval = match self.state {
                        State::Proceeding => T2,
                        _ => backoff(self.interval),
                    };
                    self.timers.arm(Timer::E, now + self.interval);
                }
                Timer::F => {
                    self.terminate();
                    outcome = Some(ClientOutcome::Timeout);
                }
                // Timer K: response retransmissions are no longer expected.
                _ => {
                    self.terminate();
                }
            }
        }
        outcome
    }
}

super::machine!(NonInviteClient);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;
    use crate::transaction::Machine;

    fn run(
        tx: &mut NonInviteClient,
        out: &mut Outbox,
        t0: Instant,
    ) -> (Vec<u128>, Option<ClientOutcome>) {
        let mut sends = vec![];
        let mut outcome = None;
        while let Some(at) = tx.deadline() {
            let before = out.retransmissions();
            outcome = outcome.or(tx.on_timeout(at, out));
            if out.retransmissions() > before {
                sends.push((at - t0).as_millis());
            }
        }
        (sends, outcome)
    }

    #[test]
    fn over_tcp_nothing_is_retransmitted_and_timer_k_is_zero() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let tcp = TransportAddr::new(crate::Transport::Tcp, "192.0.2.1:5060".parse().unwrap());
        let mut tx = NonInviteClient::new(t0, tcp, b"BYE".to_vec(), None, &mut out);
        assert_eq!(tx.deadline(), Some(t0 + Timer::F.duration()), "no Timer E");
        let at = t0 + Duration::from_secs(1);
        assert_eq!(tx.on_response(at, 200), Some(ClientOutcome::Final));
        assert_eq!(tx.deadline(), Some(at), "Timer K fires at once");
        assert_eq!(run(&mut tx, &mut out, t0), (vec![], None));
        assert!(tx.is_terminated());
    }

    #[test]
    fn timer_e_backs_off_and_timer_f_times_out() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = NonInviteClient::new(
            t0,
            TransportAddr::udp("192.0.2.1:5060".parse().unwrap()),
            b"BYE".to_vec(),
            None,
            &mut out,
        );
        let (sends, outcome) = run(&mut tx, &mut out, t0);
        assert_eq!(outcome, Some(ClientOutcome::Timeout));
        assert_eq!(&sends[..5], [500, 1500, 3500, 7500, 11500]);
        assert_eq!(*sends.last().unwrap(), 31500);
        assert!(tx.is_terminated());
    }

    #[test]
    fn provisional_switches_to_t2_and_final_completes_once() {
        let t0 = test_epoch();
        let mut out = Outbox::default();
        let mut tx = NonInviteClient::new(
            t0,
            TransportAddr::udp("192.0.2.1:5060".parse().unwrap()),
            b"BYE".to_vec(),
            None,
            &mut out,
        );
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(tx.on_timeout(ms(500), &mut out), None);
        assert_eq!(tx.on_response(ms(600), 100), None);
        assert_eq!(tx.on_timeout(ms(1500), &mut out), None);
        assert_eq!(tx.deadline(), Some(ms(1500) + T2));
        assert_eq!(tx.on_response(ms(1600), 200), Some(ClientOutcome::Final));
        assert_eq!(tx.on_response(ms(1700), 200), None);
        assert_eq!(tx.deadline(), Some(ms(1600) + Timer::K.duration()));
        assert_eq!(
            tx.on_timeout(ms(1600) + Timer::K.duration(), &mut out),
            None
        );
        assert!(tx.is_terminated());
    }
}
