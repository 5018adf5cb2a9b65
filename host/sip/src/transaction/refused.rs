//! New INVITEs refused outside any transaction, remembered for a while so that what belongs
//! to the transaction they did not get still finds them: the INVITE sent again, the ACK of
//! its refusal, a CANCEL of it.
//!
//! RFC 3261 §17.2.3 makes a retransmitted INVITE, and the ACK of its non-2xx final response,
//! match the transaction its first copy started; §17.2.1 has that transaction send its final
//! response again for each retransmission and absorb the ACK, and §9.2 answers a CANCEL
//! matching it with 200, changing nothing; §17.2.2 has the CANCEL's own transaction send that
//! 200 again for each retransmission of the CANCEL. A transaction would take a place in the table
//! whose want the refusal may report; a refusal kept here takes none, and plays that part
//! without a transaction. Like a lingering transaction ([`super::Lingering`]), it keeps a
//! keyed fingerprint of the transaction key rather than the key, and the To tag of the
//! refusal inline when it is one of the endpoint's own: an entry has a fixed small size,
//! whatever the size of the request a peer sent.

use std::cell::Cell;
use std::time::Instant;

use super::expiring::{Expiring, Fingerprint, FingerprintKeys};
use super::hash_key;
use super::lingering::Tag;
use crate::method::Method;
use crate::timer::Timer;

/// A refusal kept: what finds it, the To tag the refusal added, and whether a CANCEL of the
/// INVITE was answered.
#[derive(Debug)]
struct Refusal {
    /// Of the INVITE's server transaction key, which is not kept.
    fingerprint: Fingerprint,
    to_tag: Tag,
    /// A `Cell`: a refusal kept is reached by shared reference only.
    cancel_answered: Cell<bool>,
}

/// The new INVITEs refused outside any transaction, at most a given number, each for Timer H
/// (64*T1) after its refusal: as long as the INVITE server transaction would have waited for
/// the ACK (§17.2.1), and longer than the caller retransmits (Timer B, §17.1.1.2).
#[derive(Debug)]
pub(crate) struct RefusedInvites {
    max: usize,
    fingerprints: FingerprintKeys,
    refusals: Expiring<Refusal>,
}

impl RefusedInvites {
    /// An empty memory of at most `max` refusals.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            fingerprints: FingerprintKeys::default(),
            refusals: Expiring::default(),
        }
    }

    /// Keeps until Timer H after `now` the refusal of the INVITE of server transaction
    /// identity `id` with a response that added the To tag `to_tag`; the oldest refusal kept
    /// goes first if `max` are kept.
    pub(crate) fn remember(&mut self, now: Instant, id: &str, to_tag: &str) {
        if self.refusals.len() >= self.max {
            self.refusals.drop_oldest(|refusal| refusal.fingerprint);
        }
        let fingerprint = self.fingerprint(id);
        let refusal = Refusal {
            fingerprint,
            to_tag: Tag::new(Some(to_tag)),
            cancel_answered: Cell::new(false),
        };
        self.refusals
            .push(fingerprint, now + Timer::H.duration(), refusal);
    }

    /// The To tag of the response that refused the INVITE of server transaction identity
    /// `id`, if the refusal is kept.
    pub(crate) fn to_tag(&self, id: &str) -> Option<String> {
        self.refusals.get(self.fingerprint(id))?.to_tag.text()
    }

    /// Notes that a CANCEL of the refused INVITE of server transaction identity `id` is
    /// answered, if the refusal is kept; whether one was answered before, which makes this one a
    /// retransmission of that CANCEL (a CANCEL has its INVITE's identity, §9.2).
    pub(crate) fn note_cancel_answered(&mut self, id: &str) -> bool {
        self.refusals
            .get(self.fingerprint(id))
            .is_some_and(|refusal| refusal.cancel_answered.replace(true))
    }

    /// Forgets the refusals kept until `now` or before.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.refusals.expire(now, |refusal| refusal.fingerprint);
    }

    /// When the oldest refusal kept is forgotten.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.refusals.next_expiry()
    }

    /// How many refusals are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.refusals.len()
    }

    /// The fingerprint of the INVITE server transaction key of identity `id`.
    fn fingerprint(&self, id: &str) -> Fingerprint {
        self.fingerprints
            .fingerprint(|hasher| hash_key(id, Method::INVITE, hasher))
    }
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    /// The identity of the INVITE `n`.
    fn id(n: u32) -> String {
        format!("z9hG4bK{n} 192.0.2.7:5060")
    }

    /// A To tag of the endpoint's own (16 hex digits).
    fn ours(n: u32) -> String {
        format!("{n:016x}")
    }

    #[test]
    fn refusals_keep_the_newest_within_their_bound_each_until_timer_h() {
        let t0 = test_epoch();
        let at = |n: u32| t0 + Duration::from_millis(n.into());
        let mut refusals = RefusedInvites::new(4);
        for n in 0..100 {
            refusals.remember(at(n), &id(n), &ours(n));
            assert!(refusals.len() <= 4, "{n}: {} kept", refusals.len());
        }
        assert_eq!(refusals.to_tag(&id(95)), None, "the oldest went first");
        assert_eq!(refusals.to_tag(&id(99)), Some(ours(99)));
        assert_eq!(refusals.to_tag("x-1"), None);
        refusals.expire(at(99) + Timer::H.duration() - Duration::from_nanos(1));
        assert_eq!(
            refusals.to_tag(&id(99)),
            Some(ours(99)),
            "kept until Timer H"
        );
        refusals.expire(at(99) + Timer::H.duration());
        assert_eq!((refusals.len(), refusals.next_expiry()), (0, None));
        assert!(refusals.refusals.is_empty(), "{refusals:?}");
    }

    #[test]
    fn a_cancel_of_a_refusal_kept_is_answered_first_then_retransmitted() {
        let t0 = test_epoch();
        let mut refusals = RefusedInvites::new(4);
        refusals.remember(t0, &id(1), &ours(1));
        refusals.remember(t0, &id(2), &ours(2));
        assert!(!refusals.note_cancel_answered(&id(1)), "the first CANCEL");
        assert!(refusals.note_cancel_answered(&id(1)), "a copy of it");
        assert!(refusals.note_cancel_answered(&id(1)), "another copy");
        assert!(!refusals.note_cancel_answered(&id(2)), "another INVITE's");
        assert!(!refusals.note_cancel_answered(&id(3)), "no refusal kept");
        refusals.expire(t0 + Timer::H.duration());
        assert!(!refusals.note_cancel_answered(&id(1)), "forgotten with it");
    }

    /// What a refusal takes, on 64-bit targets, whatever the size of the INVITE's key (up to
    /// the message size limit): its queue slot (the expiry in milliseconds, 8 bytes; the key's
    /// fingerprint, 16; the To tag, 24, one of ours inline; whether its CANCEL was answered, 8
    /// with padding) and its place in the index (the fingerprint and a sequence number, 24
    /// bytes and a control byte). At the endpoint's bound of 131,072 refusals that is under
    /// 14 MiB.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_refusal_takes_a_fixed_small_size_whatever_its_key() {
        assert_eq!(size_of::<(u64, Refusal)>(), 56);
        assert_eq!(size_of::<(Fingerprint, u64)>(), 24);
        let t0 = test_epoch();
        let huge = format!("rfc2543 {} 1 ft", "c".repeat(16 * 1024));
        let mut refusals = RefusedInvites::new(2);
        for n in 0..3 {
            refusals.remember(t0, &format!("{huge}{n}"), &ours(n));
        }
        assert_eq!(refusals.len(), 2, "at most the bound");
        assert_eq!(refusals.to_tag(&format!("{huge}2")), Some(ours(2)));
        assert!(
            refusals
                .refusals
                .get(refusals.fingerprint(&format!("{huge}2")))
                .is_some_and(|refusal| matches!(refusal.to_tag, Tag::Ours(_))),
            "our tag is kept without an allocation"
        );
    }
}
