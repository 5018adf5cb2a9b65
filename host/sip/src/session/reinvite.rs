//! Our re-INVITE (RFC 3261 §14.1): its offer, its CSeq number, the INVITE client transaction
//! that carries it and the ACK of its 2xx, and the ACKs it still needs once its call ended.

use std::time::Instant;

use crate::call::CallKey;
use crate::dialog::Dialog;
use crate::expiring::Expiring;
use crate::ids::Ids;
use crate::timer::Timer;
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
    /// The credentials header lines the request carries (answering a challenge to the one
    /// before), which the ACK of its 2xx repeats (§13.2.2.4).
    pub(crate) credentials: Vec<(&'static str, String)>,
}

impl Reinvite {
    /// Sends `request`, `call`'s re-INVITE with Via branch `branch` and CSeq number `cseq`
    /// carrying `offer` and the credentials header lines `credentials`, to `destination` at
    /// `now`.
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
        (offer, credentials): (String, Vec<(&'static str, String)>),
        out: &mut Outbox,
    ) -> Self {
        Self {
            branch,
            cseq,
            offer,
            tx: InviteClient::new(now, destination, request, call, out).bounded(),
            ack: None,
            credentials,
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

/// Orphaned re-INVITEs kept at most: each is a pair of ACKs, and calls that end with one
/// under way are few; past this the oldest go first.
const ORPHANS_MAX: usize = 4096;

/// An ACK and where it goes.
type Ack = (Vec<u8>, TransportAddr);

/// The ACKs one re-INVITE still needs once its call dropped it.
#[derive(Debug)]
pub(crate) struct Orphan {
    /// Of a 300-699, with the INVITE's branch (§17.1.1.3).
    non_2xx: Ack,
    /// Of a 2xx, a transaction of its own (§13.2.2.4).
    ok: Ack,
}

impl Orphan {
    /// The ACK of a final response with status `code` (a provisional response needs none).
    pub(crate) fn ack(&self, code: u16) -> Option<&Ack> {
        match code {
            ..=199 => None,
            200..=299 => Some(&self.ok),
            _ => Some(&self.non_2xx),
        }
    }
}

/// Re-INVITEs of ours that their call dropped before their transaction ended (the call
/// ended, or a new re-INVITE replaced one refused with 491 or a challenge), by Via branch.
/// The peer may still answer one (a 487 after our BYE, §15.1.2) or send its final response
/// again, and a final response nobody acknowledges is retransmitted for 64*T1 (§17.2.1,
/// §13.3.1.4), so each is acknowledged as the call would have, for 64*T1 after it was
/// dropped.
#[derive(Debug)]
pub(crate) struct OrphanedReinvites(Expiring<String, Orphan>);

impl Default for OrphanedReinvites {
    fn default() -> Self {
        OrphanedReinvites(Expiring::new(ORPHANS_MAX))
    }
}

impl OrphanedReinvites {
    /// Keeps the ACKs of the re-INVITE with branch `branch`, dropped at `now`: of a 300-699
    /// (`non_2xx`) and of a 2xx (`ok`).
    fn insert(&mut self, now: Instant, branch: String, non_2xx: Ack, ok: Ack) {
        self.0
            .insert(now + Timer::H.duration(), branch, Orphan { non_2xx, ok });
    }

    /// Keeps the ACKs of `reinvite`, a re-INVITE of the dialog `dialog` that the call dropped
    /// at `now` (the call ended, or a new re-INVITE replaced it) while its transaction may
    /// still see a final response; `ids` gives the branch of an ACK of a 2xx not yet sent.
    pub(crate) fn adopt(
        &mut self,
        now: Instant,
        reinvite: Reinvite,
        dialog: &Dialog,
        ids: &mut Ids,
        user_agent: &str,
    ) {
        if reinvite.tx.is_terminated() {
            return;
        }
        let non_2xx = dialog.ack(reinvite.cseq, &reinvite.branch, user_agent, &[]);
        let ok = reinvite.ack.unwrap_or_else(|| {
            dialog.ack(
                reinvite.cseq,
                &ids.branch(),
                user_agent,
                &reinvite.credentials,
            )
        });
        self.insert(now, reinvite.branch, non_2xx, ok);
    }

    /// The re-INVITE with branch `branch`, if it is kept.
    pub(crate) fn get(&self, branch: &str) -> Option<&Orphan> {
        self.0.get(branch)
    }

    /// Forgets the re-INVITEs whose 64*T1 ran out by `now`.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.0.expire(now);
    }

    /// When the oldest is forgotten.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.0.next_expiry()
    }

    /// How many are kept.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    fn ack(text: &str) -> Ack {
        (
            text.as_bytes().to_vec(),
            TransportAddr::udp("192.0.2.1:5060".parse().unwrap()),
        )
    }

    #[test]
    fn orphans_are_kept_64_t1_and_at_most_their_cap() {
        let t0 = test_epoch();
        let mut orphans = OrphanedReinvites::default();
        for n in 0..=ORPHANS_MAX {
            orphans.insert(t0, format!("z9hG4bK{n}"), ack("non-2xx"), ack("2xx"));
        }
        assert_eq!(orphans.len(), ORPHANS_MAX);
        assert!(orphans.get("z9hG4bK0").is_none(), "the oldest went first");
        let last = format!("z9hG4bK{ORPHANS_MAX}");
        assert_eq!(orphans.get(&last).unwrap().ack(487).unwrap().0, b"non-2xx");
        assert_eq!(orphans.get(&last).unwrap().ack(200).unwrap().0, b"2xx");
        assert!(orphans.get(&last).unwrap().ack(180).is_none());
        orphans.expire(t0 + Timer::H.duration() - Duration::from_millis(1));
        assert_eq!(orphans.len(), ORPHANS_MAX);
        orphans.expire(t0 + Timer::H.duration());
        assert_eq!(orphans.len(), 0);
        assert!(orphans.get(&last).is_none());
        assert_eq!(orphans.next_expiry(), None);
    }
}
