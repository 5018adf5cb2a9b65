//! One call: an INVITE dialog (the UAS side, or the UAC side once our INVITE was answered),
//! its phase, and the retransmission of its 2xx responses until they are acknowledged
//! (RFC 3261 §13.3.1.4).

use std::fmt;

use std::time::{Duration, Instant};

use crate::dialog::Dialog;
use crate::message::Request;
use crate::prack::Reliable;
use crate::session::Session;
use crate::timer::{Timer, Timers, backoff};
use crate::transaction::TxId;
use crate::transmit::Outbox;
use crate::transport::TransportAddr;

/// Opaque handle of one call (one INVITE dialog). Displays as `c<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey(u64);

impl CallKey {
    /// The handle numbered `n`.
    pub(crate) fn new(n: u64) -> Self {
        Self(n)
    }
}

impl fmt::Display for CallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The INVITE waits for the application's answer or reject.
    Offered,
    /// The 2xx was sent; its ACK has not arrived.
    Answered,
    /// The ACK arrived.
    Confirmed,
    /// Our BYE is under way.
    Ending,
}

impl Phase {
    /// Words for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Offered => "not answered yet",
            Self::Answered => "already answered",
            Self::Confirmed => "already answered",
            Self::Ending => "ending",
        }
    }
}

/// What an ACK did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acked {
    /// It acknowledged the 2xx to the initial INVITE: the call is confirmed.
    Confirmed,
    /// It acknowledged the 2xx to a re-INVITE.
    Refreshed,
}

/// What a call's timers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallTimeout {
    /// Nothing ends the call.
    Nothing,
    /// No ACK came for our 2xx within 64*T1: the session must end with a BYE (§13.3.1.4).
    NoAck,
    /// No PRACK came for our reliable provisional response within 64*T1: the INVITE must be
    /// rejected with a 5xx (RFC 3262 §3).
    NoPrack,
    /// The INVITE's Expires ran out before its final response: the invitation is withdrawn,
    /// and the INVITE gets 487 (§13.3.1).
    Expired,
}

/// A sent 2xx waiting for its ACK.
#[derive(Debug)]
struct Pending2xx {
    cseq: u32,
    response: Vec<u8>,
    destination: TransportAddr,
    interval: Duration,
}

/// The state of one call.
#[derive(Debug)]
pub(crate) struct Call {
    /// The initial INVITE, for building its responses (ours, read back, for a call we
    /// placed).
    pub(crate) invite: Request,
    /// Its server transaction.
    pub(crate) invite_tx: TxId,
    /// The dialog it creates.
    pub(crate) dialog: Dialog,
    /// Where the call stands.
    pub(crate) phase: Phase,
    /// Our current session description: the answer sent with the 2xx, then the latest
    /// offer or answer that took effect.
    pub(crate) local_sdp: Option<String>,
    /// Offers and answers after the first, and the session timer.
    pub(crate) session: Session,
    /// The application asked to hang up before the ACK came (§15: the BYE waits for it).
    pub(crate) hangup_requested: bool,
    /// Its provisional responses go reliably: the INVITE required it (RFC 3262).
    pub(crate) reliable: Option<Reliable>,
    /// When the INVITE's Expires runs out (§13.3.1), if it has one: the call is withdrawn
    /// unless answered or rejected by then.
    pub(crate) expires_at: Option<Instant>,
    pending: Option<Pending2xx>,
    /// The last provisional response sent unreliably while the call is offered, repeated
    /// every minute until the final one (§13.3.1.1).
    provisional: Option<Vec<u8>>,
    timers: Timers,
}

impl Call {
    /// A call in the "Offered" phase.
    pub(crate) fn new(invite: Request, invite_tx: TxId, dialog: Dialog) -> Self {
        Self {
            invite,
            invite_tx,
            dialog,
            phase: Phase::Offered,
            local_sdp: None,
            session: Session::default(),
            hangup_requested: false,
            reliable: None,
            expires_at: None,
            pending: None,
            provisional: None,
            timers: Timers::default(),
        }
    }

    /// The provisional `response` (not 100 Trying) was sent unreliably: it goes again every
    /// minute while the call is offered (§13.3.1.1).
    pub(crate) fn ringing(&mut self, now: Instant, response: Vec<u8>) {
        self.provisional = Some(response);
        self.timers.arm(
            Timer::RepeatProvisional,
            now + Timer::RepeatProvisional.duration(),
        );
    }

    /// The initial INVITE was answered with `response` carrying `sdp`.
    pub(crate) fn answered(&mut self, now: Instant, sdp: String, response: Vec<u8>) {
        self.phase = Phase::Answered;
        self.provisional = None;
        self.timers.cancel(Timer::RepeatProvisional);
        self.local_sdp = Some(sdp);
        let (cseq, destination) = (self.invite.cseq, self.invite.destination);
        self.await_ack(now, cseq, response, destination);
    }

    /// A 2xx to the INVITE with `cseq` was sent to `destination`: retransmit it at T1,
    /// doubling up to T2, until the ACK, and give up after 64*T1 (§13.3.1.4).
    pub(crate) fn await_ack(
        &mut self,
        now: Instant,
        cseq: u32,
        response: Vec<u8>,
        destination: TransportAddr,
    ) {
        let interval = Timer::Retransmit2xx.duration();
        self.pending = Some(Pending2xx {
            cseq,
            response,
            destination,
            interval,
        });
        self.timers.arm(Timer::Retransmit2xx, now + interval);
        self.timers
            .arm(Timer::AckTimeout, now + Timer::AckTimeout.duration());
    }

    /// Whether a 2xx waits for its ACK.
    pub(crate) fn awaiting_ack(&self) -> bool {
        self.pending.is_some()
    }

    /// An ACK with `cseq` arrived in the dialog; `None` if it acknowledged nothing pending
    /// (a retransmitted ACK).
    pub(crate) fn on_ack(&mut self, cseq: u32) -> Option<Acked> {
        if self.pending.as_ref()?.cseq != cseq {
            return None;
        }
        self.stop_retransmitting();
        if self.phase == Phase::Answered {
            self.phase = Phase::Confirmed;
            Some(Acked::Confirmed)
        } else {
            Some(Acked::Refreshed)
        }
    }

    /// Stops waiting for any ACK.
    pub(crate) fn stop_retransmitting(&mut self) {
        self.pending = None;
        self.timers.clear();
    }

    /// Runs the timers due at `now`: retransmissions, and what ends the call.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> CallTimeout {
        if self.expiry().is_some_and(|at| at <= now) {
            return CallTimeout::Expired;
        }
        if let Some(reliable) = self.reliable.as_mut()
            && reliable.on_timeout(now, out)
        {
            return CallTimeout::NoPrack;
        }
        while let Some(timer) = self.timers.pop_expired(now) {
            match (timer, self.pending.as_mut()) {
                (Timer::Retransmit2xx, Some(pending)) => {
                    out.resend(pending.destination, &pending.response);
                    pending.interval = backoff(pending.interval);
                    self.timers
                        .arm(Timer::Retransmit2xx, now + pending.interval);
                }
                (Timer::AckTimeout, Some(_)) => {
                    self.stop_retransmitting();
                    return CallTimeout::NoAck;
                }
                (Timer::RepeatProvisional, None) if self.phase == Phase::Offered => {
                    if let Some(provisional) = &self.provisional {
                        out.resend(self.invite.destination, provisional);
                        self.timers.arm(
                            Timer::RepeatProvisional,
                            now + Timer::RepeatProvisional.duration(),
                        );
                    }
                }
                _ => {}
            }
        }
        CallTimeout::Nothing
    }

    /// When [`Call::on_timeout`] is next needed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let reliable = self.reliable.as_ref().and_then(Reliable::deadline);
        [self.timers.next_deadline(), reliable, self.expiry()]
            .into_iter()
            .flatten()
            .min()
    }

    /// When the invitation expires, while it still waits for its final response.
    fn expiry(&self) -> Option<Instant> {
        self.expires_at.filter(|_| self.phase == Phase::Offered)
    }
}
