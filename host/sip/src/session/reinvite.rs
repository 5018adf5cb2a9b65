//! Our re-INVITE (RFC 3261 §14.1): its offer, its CSeq number, the INVITE client transaction
//! that carries it and the ACK of its 2xx.

use std::time::Instant;

use crate::call::CallKey;
use crate::transaction::{InviteClient, Machine};
use crate::transmit::Outbox;
use crate::transport::TransportAddr;

/// One re-INVITE of ours and its offer.
#[derive(Debug)]
pub(crate) struct Reinvite {
    /// The top Via branch, which its responses carry.
    pub(crate) branch: String,
    /// The CSeq number, which the ACK repeats (§13.2.2.4, §17.1.1.3).
    pub(crate) cseq: u32,
    /// The SDP offer the request carries.
    pub(crate) offer: String,
    /// The client transaction (§17.1.1).
    pub(crate) tx: InviteClient,
    /// The ACK of the 2xx and where it went, sent again for each retransmission of the 2xx
    /// (§13.2.2.4): the transaction passes those on rather than absorbing them.
    pub(crate) ack: Option<(Vec<u8>, TransportAddr)>,
}

impl Reinvite {
    /// Sends `request`, `call`'s re-INVITE with Via branch `branch` and CSeq number `cseq`
    /// carrying `offer`, to `destination` at `now`.
    ///
    /// Timer B bounds "Proceeding" too: §17.1.1.2 leaves a provisionally answered INVITE
    /// unbounded, but a re-INVITE is answered at once by a working peer (§14.2), so one
    /// without a final response in 64*T1 counts as timed out rather than holding the
    /// dialog's offer/answer forever.
    pub(crate) fn send(
        now: Instant,
        call: CallKey,
        destination: TransportAddr,
        request: Vec<u8>,
        (branch, cseq): (String, u32),
        offer: String,
        out: &mut Outbox,
    ) -> Self {
        Self {
            branch,
            cseq,
            offer,
            tx: InviteClient::new(now, destination, request, call, out).bounded(),
            ack: None,
        }
    }

    /// Whether no final response arrived yet: the offer is outstanding (§14.1).
    pub(crate) fn is_pending(&self) -> bool {
        self.tx.is_pending()
    }

    /// When the transaction next needs its timers run.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.tx.deadline()
    }
}
