//! Our re-INVITE (RFC 3261 §14.1): its offer, its CSeq number, the INVITE client transaction
//! that carries it, its CANCEL when it goes unanswered (§9.1) and the ACK of its 2xx; and the
//! ACKs it still needs once its call ended.

use std::time::{Duration, Instant};

use crate::call::CallKey;
use crate::dialog::Dialog;
use crate::expiring::Expiring;
use crate::ids::Ids;
use crate::timer::Timer;
use crate::transaction::{InviteClient, Machine};
use crate::transmit::Outbox;
use crate::transport::{Routed, TransportAddr};

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
    /// The ACK of the 2xx, routed by its size (§18.1.1), sent again as last sent for each
    /// retransmission of the 2xx (§13.2.2.4): the transaction passes those on rather than
    /// absorbing them.
    pub(crate) ack: Option<Routed>,
    /// The credentials header lines the request carries (answering a challenge to the one
    /// before), which the ACK of its 2xx repeats (§13.2.2.4).
    pub(crate) credentials: Vec<(&'static str, String)>,
    /// When it is cancelled if it got a provisional response and no final one by then.
    cancel_at: Instant,
    /// Whether its CANCEL went.
    cancelled: bool,
}

/// How long after it went our re-INVITE may wait for its final response if a provisional
/// one came: Timer B's 64*T1, which bounds the wait for any response (§17.1.1.2) and which
/// the provisional response stopped. A working peer answers a re-INVITE at once (§14.2); one
/// that does not has it cancelled (§9.1), and the session stays as it was (§14.1).
const CANCEL_AFTER: Duration = Timer::B.duration();

impl Reinvite {
    /// Sends `request`, `call`'s re-INVITE with Via branch `branch` and CSeq number `cseq`
    /// carrying `offer` and the credentials header lines `credentials`, to `destination` at
    /// `now`. Without any response it times out with Timer B (§17.1.1.2); with a provisional
    /// one and no final one [`CANCEL_AFTER`] from `now`, it is due to be cancelled
    /// ([`Reinvite::cancel_due`]).
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
            tx: InviteClient::new(now, destination, request, call, out),
            ack: None,
            credentials,
            cancel_at: now + CANCEL_AFTER,
            cancelled: false,
        }
    }

    /// Whether it is to be cancelled at `now`: it got a provisional response, and no final
    /// one within [`CANCEL_AFTER`] of being sent.
    pub(crate) fn cancel_due(&self, now: Instant) -> bool {
        self.cancel_deadline().is_some_and(|at| at <= now)
    }

    /// When it is to be cancelled, while it waits with a provisional response and no CANCEL
    /// went.
    fn cancel_deadline(&self) -> Option<Instant> {
        (self.tx.is_proceeding() && !self.cancelled).then_some(self.cancel_at)
    }

    /// Whether its CANCEL went.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// Its CANCEL, sent at `now`, and where it goes: built from the re-INVITE as sent and
    /// sent where it went (§9.1), whatever target refresh the dialog saw since; the
    /// re-INVITE is given 64*T1 more for its final response.
    pub(crate) fn cancel(&mut self, now: Instant) -> (Vec<u8>, TransportAddr) {
        self.cancelled = true;
        self.tx.cancel(now)
    }

    /// Whether no final response arrived yet: the offer is outstanding (§14.1).
    pub(crate) fn is_pending(&self) -> bool {
        self.tx.is_pending()
    }

    /// When it next needs its timers run, or its CANCEL sent.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        [self.tx.deadline(), self.cancel_deadline()]
            .into_iter()
            .flatten()
            .min()
    }
}

/// Orphaned re-INVITEs kept at most: each is a pair of ACKs, and calls that end with one
/// under way are few; past this the oldest go first.
const ORPHANS_MAX: usize = 4096;

/// The ACKs one re-INVITE still needs once its call dropped it.
#[derive(Debug)]
pub(crate) struct Orphan {
    /// Of a 300-699, built from the INVITE as sent and going where it went (§17.1.1.3).
    non_2xx: (Vec<u8>, TransportAddr),
    /// Of a 2xx, a transaction of its own (§13.2.2.4), routed by its size (§18.1.1).
    ok: Routed,
    /// Whether `ok` went, for a 2xx: only then may a failure of TCP send it again over UDP.
    ok_sent: bool,
    /// The call that reported it refused and kept its session, until a 2xx shows the peer
    /// took its offer after all.
    refused_in: Option<CallKey>,
}

impl Orphan {
    /// The ACK to send for a final response with status `code`, and where it goes (a
    /// provisional response needs none); that of a 2xx counts as sent.
    pub(crate) fn ack_to_send(&mut self, code: u16) -> Option<(&[u8], TransportAddr)> {
        match code {
            ..=199 => None,
            200..=299 => {
                self.ok_sent = true;
                Some((self.ok.request(), self.ok.destination()))
            }
            _ => Some((&self.non_2xx.0, self.non_2xx.1)),
        }
    }
}

/// Re-INVITEs of ours that their call dropped before their transaction ended (the call
/// ended, or a new re-INVITE replaced one refused with 491 or a challenge), or that were
/// cancelled and given up without a final response, by Via branch. The peer may still
/// answer one (a 487 after our BYE, §15.1.2; a 2xx after our CANCEL, §9.1) or send its final
/// response again, and a final response nobody acknowledges is retransmitted for 64*T1
/// (§17.2.1, §13.3.1.4), so each is acknowledged as the call would have, for 64*T1 after it
/// was dropped.
#[derive(Debug)]
pub(crate) struct OrphanedReinvites {
    /// The re-INVITEs, by Via branch.
    orphans: Expiring<String, Orphan>,
    /// The branches of those whose ACK of a 2xx goes over TCP for its size only, bound for
    /// UDP: the ones a failure of TCP may send it again over UDP (§18.1.1). Each expires with
    /// its re-INVITE, and is read only while that is kept: their bound and expiry are the
    /// re-INVITEs'.
    acks_moved_for_size: Expiring<String, ()>,
}

impl Default for OrphanedReinvites {
    fn default() -> Self {
        OrphanedReinvites {
            orphans: Expiring::new(ORPHANS_MAX),
            acks_moved_for_size: Expiring::new(ORPHANS_MAX),
        }
    }
}

impl OrphanedReinvites {
    /// Keeps `orphan`, the ACKs of the re-INVITE with branch `branch`, dropped at `now`.
    fn insert(&mut self, now: Instant, branch: String, orphan: Orphan) {
        let until = now + Timer::H.duration();
        if orphan.ok.moved_for_size() {
            self.acks_moved_for_size.insert(until, branch.clone(), ());
        }
        self.orphans.insert(until, branch, orphan);
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
        self.keep(now, reinvite, None, dialog, (ids, user_agent));
    }

    /// Keeps the ACKs of `reinvite`, a re-INVITE of `call` in the dialog `dialog` that was
    /// cancelled and given up at `now` without a final response, and reported refused: a
    /// 2xx may still come (§9.1 lets one cross the CANCEL), which must be ACKed
    /// (§13.2.2.4) and is reported by [`OrphanedReinvites::take_refused`].
    pub(crate) fn adopt_given_up(
        &mut self,
        now: Instant,
        call: CallKey,
        reinvite: Reinvite,
        dialog: &Dialog,
        (ids, user_agent): (&mut Ids, &str),
    ) {
        self.keep(now, reinvite, Some(call), dialog, (ids, user_agent));
    }

    fn keep(
        &mut self,
        now: Instant,
        reinvite: Reinvite,
        refused_in: Option<CallKey>,
        dialog: &Dialog,
        (ids, user_agent): (&mut Ids, &str),
    ) {
        let non_2xx = reinvite.tx.non_2xx_ack();
        let ok_sent = reinvite.ack.is_some();
        let ok = reinvite.ack.unwrap_or_else(|| {
            dialog.ack(
                reinvite.cseq,
                &ids.branch(),
                user_agent,
                &reinvite.credentials,
            )
        });
        let orphan = Orphan {
            non_2xx,
            ok,
            ok_sent,
            refused_in,
        };
        self.insert(now, reinvite.branch, orphan);
    }

    /// The re-INVITE with branch `branch`, if it is kept.
    pub(crate) fn get_mut(&mut self, branch: &str) -> Option<&mut Orphan> {
        self.orphans.get_mut(branch)
    }

    /// The call that reported the re-INVITE with branch `branch` refused, once: a 2xx to it
    /// came, and the peer now holds the offer that call gave up.
    pub(crate) fn take_refused(&mut self, branch: &str) -> Option<CallKey> {
        self.orphans.get_mut(branch)?.refused_in.take()
    }

    /// Sends again by `out`, over UDP, each ACK of a 2xx kept that went to `failed` over TCP
    /// for its size only ([`Routed::resend_over_udp_from`]); it is kept so for the 2xx's
    /// retransmissions (§13.2.2.4).
    pub(crate) fn resend_acks_over_udp(&mut self, failed: TransportAddr, out: &mut Outbox) {
        for branch in self.acks_moved_for_size.keys() {
            let sent = self.orphans.get_mut(branch).filter(|orphan| orphan.ok_sent);
            if let Some(orphan) = sent {
                orphan.ok.resend_over_udp_from(failed, out);
            }
        }
    }

    /// Forgets the re-INVITEs whose 64*T1 ran out by `now`.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.orphans.expire(now);
        self.acks_moved_for_size.expire(now);
    }

    /// When the oldest is forgotten.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.orphans.next_expiry()
    }

    /// How many are kept.
    pub(crate) fn len(&self) -> usize {
        self.orphans.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    fn ack(text: &str) -> (Vec<u8>, TransportAddr) {
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
            let orphan = Orphan {
                non_2xx: ack("non-2xx"),
                ok: {
                    let (ok, to) = ack("2xx");
                    Routed::new(ok, to)
                },
                ok_sent: false,
                refused_in: (n == ORPHANS_MAX).then(|| CallKey::new(7)),
            };
            orphans.insert(t0, format!("z9hG4bK{n}"), orphan);
        }
        assert_eq!(orphans.len(), ORPHANS_MAX);
        assert!(
            orphans.get_mut("z9hG4bK0").is_none(),
            "the oldest went first"
        );
        let last = format!("z9hG4bK{ORPHANS_MAX}");
        let orphan = orphans.get_mut(&last).unwrap();
        assert_eq!(orphan.ack_to_send(487).unwrap().0, b"non-2xx");
        assert_eq!(orphan.ack_to_send(200).unwrap().0, b"2xx");
        assert!(orphan.ack_to_send(180).is_none());
        assert_eq!(orphans.take_refused(&last), Some(CallKey::new(7)));
        assert_eq!(orphans.take_refused(&last), None, "once");
        orphans.expire(t0 + Timer::H.duration() - Duration::from_millis(1));
        assert_eq!(orphans.len(), ORPHANS_MAX);
        orphans.expire(t0 + Timer::H.duration());
        assert_eq!(orphans.len(), 0);
        assert!(orphans.get_mut(&last).is_none());
        assert_eq!(orphans.next_expiry(), None);
    }
}
