//! RFC 3261 §17 transactions over UDP: the INVITE server (§17.2.1, with the "Accepted" state of
//! RFC 6026), the non-INVITE server (§17.2.2) and the non-INVITE client (§17.1.2).
//!
//! Each is a state machine that owns its timers as data. Inputs come with `now`; datagrams go
//! to an [`Outbox`](crate::transmit::Outbox).

mod invite_server;
mod non_invite_client;
mod non_invite_server;

use std::time::Instant;

pub(crate) use invite_server::InviteServer;
pub(crate) use non_invite_client::{ClientOutcome, NonInviteClient};
pub(crate) use non_invite_server::NonInviteServer;

use crate::call::CallKey;
use crate::transmit::Outbox;

/// Identifies one transaction inside the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TxId(pub(crate) u64);

/// Any transaction the endpoint runs.
#[derive(Debug)]
pub(crate) enum Transaction {
    /// §17.2.1 with RFC 6026.
    InviteServer(InviteServer),
    /// §17.2.2.
    NonInviteServer(NonInviteServer),
    /// §17.1.2.
    NonInviteClient(NonInviteClient),
}

impl Transaction {
    /// When the transaction next needs [`Transaction::on_timeout`].
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::InviteServer(tx) => tx.deadline(),
            Self::NonInviteServer(tx) => tx.deadline(),
            Self::NonInviteClient(tx) => tx.deadline(),
        }
    }

    /// Whether the transaction is over and can be forgotten.
    pub(crate) fn is_terminated(&self) -> bool {
        match self {
            Self::InviteServer(tx) => tx.is_terminated(),
            Self::NonInviteServer(tx) => tx.is_terminated(),
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
            Self::NonInviteServer(tx) => {
                tx.on_timeout(now);
                None
            }
            Self::NonInviteClient(tx) => tx.on_timeout(now, out),
        }
    }

    /// The call waiting for this (client) transaction's outcome.
    pub(crate) fn waiting_call(&self) -> Option<CallKey> {
        match self {
            Self::NonInviteClient(tx) => tx.owner(),
            Self::InviteServer(_) | Self::NonInviteServer(_) => None,
        }
    }

    /// A request retransmission matched this server transaction (§17.2.3).
    pub(crate) fn on_request_retransmission(&self, out: &mut Outbox) {
        match self {
            Self::InviteServer(tx) => tx.on_request_retransmission(out),
            Self::NonInviteServer(tx) => tx.on_request_retransmission(out),
            Self::NonInviteClient(_) => {}
        }
    }
}
