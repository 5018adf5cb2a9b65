//! RFC 3261 §17 transactions over UDP and TCP: the INVITE server (§17.2.1, with the "Accepted"
//! state of RFC 6026), the INVITE client (§17.1.1, likewise), the non-INVITE server (§17.2.2)
//! and the non-INVITE client (§17.1.2). Over TCP they retransmit nothing and end as soon as
//! their final response is settled ([`Transport::is_reliable`](crate::Transport::is_reliable)).
//!
//! The INVITE server and both clients are state machines that own their timers as
//! data. Server transactions that have settled their final response move to [`Lingering`],
//! a compact table where they only absorb retransmissions until their timer ends them; the
//! non-INVITE server starts there, as the endpoint answers every non-INVITE request at once.
//! Inputs come with `now`; messages go to an [`Outbox`].

mod expiring;
mod invite_client;
mod invite_server;
mod lingering;
mod non_invite_client;
mod refused;
mod sent_invite;

use std::hash::{Hash, Hasher};
use std::time::Instant;

pub(crate) use invite_client::InviteClient;
pub(crate) use invite_server::InviteServer;
pub(crate) use lingering::{Absorbed, InviteLinger, Lingering};
pub(crate) use non_invite_client::{ClientOutcome, NonInviteClient};
pub(crate) use refused::RefusedInvites;

use crate::call::CallKey;
use crate::method::Method;
use crate::timer::{Timer, Timers};
use crate::transmit::Outbox;
use crate::transport::{Routed, TransportAddr};

/// What every transaction state machine tells the endpoint: when it next needs its timers run
/// and whether it is over.
pub(crate) trait Machine {
    /// The timers the machine has armed.
    fn timers(&self) -> &Timers;

    /// Whether the transaction is over and can be forgotten.
    fn is_terminated(&self) -> bool;

    /// When the machine next needs its `on_timeout`.
    fn deadline(&self) -> Option<Instant> {
        self.timers().next_deadline()
    }
}

/// A client transaction's request as last sent, and where it went.
#[derive(Debug)]
struct Sent(Routed);

impl Sent {
    /// Sends `request` to `destination` at `now`, over TCP rather than UDP if it is too large
    /// for UDP ([`Routed::new`], §18.1.1), and returns it with its timers armed (see
    /// [`Sent::send`]).
    fn start(
        now: Instant,
        destination: TransportAddr,
        request: Vec<u8>,
        timers: [Timer; 2],
        out: &mut Outbox,
    ) -> (Self, Timers) {
        let sent = Self(Routed::new(request, destination));
        let timers = sent.send(now, timers, out);
        (sent, timers)
    }

    /// The request as sent.
    fn request(&self) -> &[u8] {
        self.0.request()
    }

    /// Where the request went, over the transport its top Via names.
    fn destination(&self) -> TransportAddr {
        self.0.destination()
    }

    /// Sends the request again over UDP at `now` if it went over TCP for its size only,
    /// returning its timers armed anew; `None`, sending nothing, otherwise
    /// ([`Routed::back_to_udp`]).
    fn retry_over_udp(
        &mut self,
        now: Instant,
        timers: [Timer; 2],
        out: &mut Outbox,
    ) -> Option<Timers> {
        self.0.back_to_udp().then(|| self.send(now, timers, out))
    }

    /// Sends the request at `now` and returns its timers armed: `retransmit` (Timer A or E),
    /// except over a reliable transport, and `give_up` (Timer B or F), each for its first
    /// duration (§17.1.1.2, §17.1.2.2).
    fn send(&self, now: Instant, [retransmit, give_up]: [Timer; 2], out: &mut Outbox) -> Timers {
        let destination = self.destination();
        out.send(destination, self.request().to_vec());
        let mut timers = Timers::default();
        if !destination.transport.is_reliable() {
            timers.arm(retransmit, now + retransmit.duration());
        }
        timers.arm(give_up, now + give_up.duration());
        timers
    }
}

/// Implements [`Machine`] for a transaction with a `state` field (whose enum has a `Terminated`
/// variant) and a `timers` field, and gives it `terminate`, which moves to "Terminated" and
/// disarms every timer.
macro_rules! machine {
    ($transaction:ident) => {
        impl $transaction {
            /// Moves to "Terminated", disarming every timer.
            fn terminate(&mut self) {
                self.state = State::Terminated;
                self.timers.clear();
            }
        }

        impl super::Machine for $transaction {
            fn timers(&self) -> &crate::timer::Timers {
                &self.timers
            }

            fn is_terminated(&self) -> bool {
                self.state == State::Terminated
            }
        }
    };
}
use machine;

/// How a server transaction is found (§17.2.3): its identity (top Via branch and sent-by, or
/// the RFC 2543 fields) and its method (an ACK looks for the INVITE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerKey {
    /// The identity, [`Request::transaction_id`](crate::message::Request::transaction_id).
    pub(crate) id: Box<str>,
    /// The method of the request that created the transaction.
    pub(crate) method: Method,
}

impl ServerKey {
    /// The key of identity `id` and method `method`.
    pub(crate) fn new(id: &str, method: Method) -> Self {
        Self {
            id: id.into(),
            method,
        }
    }
}

impl Hash for ServerKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_key(&self.id, self.method, state);
    }
}

/// Hashes a server transaction key given as its parts.
fn hash_key<H: Hasher>(id: &str, method: Method, state: &mut H) {
    id.hash(state);
    method.hash(state);
}

/// Identifies one transaction inside the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TxId(pub(crate) u64);

/// Any transaction the endpoint runs.
#[derive(Debug)]
pub(crate) enum Transaction {
    /// §17.2.1 with RFC 6026.
    InviteServer(InviteServer),
    /// §17.1.1 with RFC 6026.
    InviteClient(InviteClient),
    /// §17.1.2.
    NonInviteClient(NonInviteClient),
}

impl Transaction {
    /// When the transaction next needs [`Transaction::on_timeout`].
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::InviteServer(tx) => tx.deadline(),
            Self::InviteClient(tx) => tx.deadline(),
            Self::NonInviteClient(tx) => tx.deadline(),
        }
    }

    /// Whether the transaction is over and can be forgotten.
    pub(crate) fn is_terminated(&self) -> bool {
        match self {
            Self::InviteServer(tx) => tx.is_terminated(),
            Self::InviteClient(tx) => tx.is_terminated(),
            Self::NonInviteClient(tx) => tx.is_terminated(),
        }
    }

    /// Runs the timers due at `now`; a client transaction may report its outcome.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> Option<ClientOutcome> {
        match self {
            Self::InviteServer(tx) => {
                tx.on_timeout(now, out);
                None
            }
            Self::InviteClient(tx) => tx.on_timeout(now, out),
            Self::NonInviteClient(tx) => tx.on_timeout(now, out),
        }
    }

    /// Where a client transaction's request went (see [`InviteClient::destination`]); `None`
    /// for a server transaction.
    pub(crate) fn sent_to(&self) -> Option<TransportAddr> {
        match self {
            Self::InviteServer(_) => None,
            Self::InviteClient(tx) => Some(tx.destination()),
            Self::NonInviteClient(tx) => Some(tx.destination()),
        }
    }

    /// The transport to a client transaction's destination failed at `now`: its request is
    /// sent again over UDP if it went over TCP for its size only and had no response
    /// ([`InviteClient::retry_over_udp`]); returns whether it was.
    pub(crate) fn retry_over_udp(&mut self, now: Instant, out: &mut Outbox) -> bool {
        match self {
            Self::InviteServer(_) => false,
            Self::InviteClient(tx) => tx.retry_over_udp(now, out),
            Self::NonInviteClient(tx) => tx.retry_over_udp(now, out),
        }
    }

    /// The call waiting for this non-INVITE client transaction's outcome.
    pub(crate) fn waiting_call(&self) -> Option<CallKey> {
        match self {
            Self::NonInviteClient(tx) => tx.owner(),
            Self::InviteServer(_) | Self::InviteClient(_) => None,
        }
    }
}
