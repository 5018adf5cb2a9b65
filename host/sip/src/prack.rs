//! Reliable provisional responses (RFC 3262) to an INVITE whose caller requires them
//! (`Require: 100rel`): each carries an `RSeq` and is retransmitted until the caller's PRACK
//! names it, one at a time; what the application sends meanwhile waits for that PRACK.

use std::time::{Duration, Instant};

use crate::dialog::DialogId;
use crate::expiring::Expiring;
use crate::timer::{T1, Timer};
use crate::transmit::Outbox;
use crate::transport::TransportAddr;

/// The option tag of reliable provisional responses (RFC 3262 §3).
pub(crate) const RELIABLE_TAG: &str = "100rel";

/// Calls that ended owing a PRACK kept at most: each is a dialog's identifiers and two
/// numbers; past this the oldest go first.
const LATE_PRACKS_MAX: usize = 4096;

/// A provisional response the application asked for: status, reason phrase, SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Provisional {
    pub(crate) code: u16,
    pub(crate) reason: String,
    pub(crate) sdp: Option<String>,
}

/// What waits for the PRACK of the provisional response sent, and goes once it comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// A later provisional response (only the latest is kept: it supersedes the others).
    Provisional(Provisional),
    /// The 2xx, with its SDP answer (RFC 3262 §3: a 2xx may not overtake a reliable
    /// provisional response that carried a session description).
    Answer(String),
}

/// A reliable provisional response sent and not yet acknowledged.
#[derive(Debug)]
struct Unacknowledged {
    rseq: u32,
    /// It carried a session description.
    with_sdp: bool,
    response: Vec<u8>,
    destination: TransportAddr,
    interval: Duration,
    next: Instant,
    give_up: Instant,
}

/// The reliable provisional responses of one INVITE.
#[derive(Debug)]
pub(crate) struct Reliable {
    next_rseq: u32,
    unacknowledged: Option<Unacknowledged>,
    /// The RSeq of the one the 2xx overtook: its PRACK may still be on its way, and gets 200
    /// (RFC 3262 §3: the UAS must be prepared to process it).
    overtaken: Option<u32>,
    provisional: Option<Provisional>,
    answer: Option<String>,
    /// One that carried a session description was PRACKed.
    sdp_acknowledged: bool,
    /// One that carried a session description was sent.
    sdp_sent: bool,
}

/// What a PRACK's `RAck` header names (RFC 3262 §7.2): the provisional response's `RSeq`, and
/// the CSeq number and method of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RAck {
    pub(crate) rseq: u32,
    pub(crate) cseq: u32,
    pub(crate) method: String,
}

impl RAck {
    /// Reads an `RAck` value (`776656 1 INVITE`); `None` if it is not one.
    pub(crate) fn parse(value: &str) -> Option<RAck> {
        let mut fields = value.split_whitespace();
        let rseq = fields.next()?.parse().ok()?;
        let cseq = fields.next()?.parse().ok()?;
        let method = fields.next()?.to_owned();
        fields
            .next()
            .is_none()
            .then_some(RAck { rseq, cseq, method })
    }
}

impl Reliable {
    /// Nothing sent yet; the first response is numbered `first_rseq` (RFC 3262 §3: chosen at
    /// random, at most 2^31 - 1).
    pub(crate) fn new(first_rseq: u32) -> Self {
        Reliable {
            next_rseq: first_rseq.clamp(1, (1 << 31) - 1),
            unacknowledged: None,
            overtaken: None,
            provisional: None,
            answer: None,
            sdp_acknowledged: false,
            sdp_sent: false,
        }
    }

    /// The `RSeq` of the provisional response whose PRACK may still come: the one waiting
    /// for it, or the one the final response overtook.
    pub(crate) fn outstanding(&self) -> Option<u32> {
        self.unacknowledged
            .as_ref()
            .map(|sent| sent.rseq)
            .or(self.overtaken)
    }

    /// Whether a provisional response sent waits for its PRACK.
    pub(crate) fn unacknowledged(&self) -> bool {
        self.unacknowledged.is_some()
    }

    /// Whether the 2xx must wait: a provisional response that carried a session description
    /// waits for its PRACK (RFC 3262 §3; one without may be overtaken, and then goes no more).
    pub(crate) fn holds_the_answer(&self) -> bool {
        self.unacknowledged
            .as_ref()
            .is_some_and(|sent| sent.with_sdp)
    }

    /// Whether one that carried a session description (the answer to the INVITE's offer) was
    /// PRACKed: the INVITE's offer/answer exchange is then complete (RFC 3262 §5), and the
    /// caller may make a new offer in the early dialog (RFC 3311 §5.1).
    pub(crate) fn answer_acknowledged(&self) -> bool {
        self.sdp_acknowledged
    }

    /// Whether one that carried a session description (the answer to the INVITE's offer) was
    /// sent: a later one carries none, since a session description in a reliable provisional
    /// response after the answer is a new offer (RFC 6337 §3.1.1), which ours never are.
    pub(crate) fn answer_sent(&self) -> bool {
        self.sdp_sent
    }

    /// The `RSeq` of the next provisional response; it is taken.
    pub(crate) fn take_rseq(&mut self) -> u32 {
        let rseq = self.next_rseq;
        self.next_rseq = self.next_rseq.wrapping_add(1);
        rseq
    }

    /// The provisional response `response`, numbered `rseq` and carrying a session description
    /// if `with_sdp`, went to `destination` at `now`: it goes again at T1, doubling (RFC 3262
    /// §3, without Timer G's cap), until its PRACK, for 64*T1 at most.
    pub(crate) fn sent(
        &mut self,
        now: Instant,
        (rseq, with_sdp): (u32, bool),
        response: Vec<u8>,
        destination: TransportAddr,
    ) {
        self.sdp_sent |= with_sdp;
        self.unacknowledged = Some(Unacknowledged {
            rseq,
            with_sdp,
            response,
            destination,
            interval: T1,
            next: now + T1,
            give_up: now + T1 * 64,
        });
    }

    /// Keeps `waiting` to go once the PRACK comes: a provisional response replaces one kept
    /// before it, taking its session description if it has none (the caller's early media
    /// needs it); the 2xx is kept beside.
    pub(crate) fn wait(&mut self, waiting: Waiting) {
        match waiting {
            Waiting::Provisional(mut provisional) => {
                if provisional.sdp.is_none() {
                    provisional.sdp = self.provisional.take().and_then(|kept| kept.sdp);
                }
                self.provisional = Some(provisional);
            }
            Waiting::Answer(sdp) => self.answer = Some(sdp),
        }
    }

    /// Takes a PRACK naming `rack` for the INVITE of CSeq `invite_cseq`: whether it
    /// acknowledges the provisional response waiting for one (RFC 3262 §4); if so, that one
    /// is no longer sent.
    pub(crate) fn acknowledge(&mut self, rack: &RAck, invite_cseq: u32) -> bool {
        if rack.cseq != invite_cseq || rack.method != "INVITE" {
            return false;
        }
        if self.overtaken == Some(rack.rseq) {
            self.overtaken = None;
            return true;
        }
        let Some(sent) = self.unacknowledged.take_if(|sent| sent.rseq == rack.rseq) else {
            return false;
        };
        self.sdp_acknowledged |= sent.with_sdp;
        true
    }

    /// What goes now that nothing waits for a PRACK: the 2xx if it was asked for (a
    /// provisional response kept would be moot), else the provisional response kept.
    pub(crate) fn next(&mut self) -> Option<Waiting> {
        if self.unacknowledged.is_some() {
            return None;
        }
        match self.answer.take() {
            Some(sdp) => {
                self.provisional = None;
                Some(Waiting::Answer(sdp))
            }
            None => self.provisional.take().map(Waiting::Provisional),
        }
    }

    /// Stops sending: the INVITE got its final response. The PRACK of the one it overtook
    /// is still taken.
    pub(crate) fn stop(&mut self) {
        let overtaken = self.unacknowledged.as_ref().map(|sent| sent.rseq);
        *self = Reliable::new(self.next_rseq);
        self.overtaken = overtaken;
    }

    /// When [`on_timeout`](Self::on_timeout) is next needed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.unacknowledged
            .as_ref()
            .map(|sent| sent.next.min(sent.give_up))
    }

    /// Retransmits what is due at `now`; `true` when no PRACK came within 64*T1 (RFC 3262 §3:
    /// the INVITE is then to be rejected with a 5xx).
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> bool {
        let Some(sent) = self.unacknowledged.as_mut() else {
            return false;
        };
        if now >= sent.give_up {
            self.stop();
            return true;
        }
        if now >= sent.next {
            out.resend(sent.destination, &sent.response);
            sent.interval = sent.interval.saturating_mul(2);
            sent.next = now + sent.interval;
        }
        false
    }
}

/// The PRACKs owed to calls that ended, by dialog: the `RSeq` of a reliable provisional
/// response still unacknowledged when the call ended and the CSeq number of its INVITE. A
/// PRACK for it may have crossed the INVITE's final response, and the UAS must still take it
/// (RFC 3262 §3); the final response is retransmitted for 64*T1 at most, so each is kept that
/// long.
#[derive(Debug)]
pub(crate) struct LatePracks(Expiring<DialogId, (u32, u32)>);

impl Default for LatePracks {
    fn default() -> Self {
        LatePracks(Expiring::new(LATE_PRACKS_MAX))
    }
}

impl LatePracks {
    /// The call of `dialog`, whose INVITE had CSeq number `invite_cseq`, ended at `now` owing
    /// the PRACK of the response numbered `rseq`.
    pub(crate) fn owe(&mut self, now: Instant, dialog: DialogId, rseq: u32, invite_cseq: u32) {
        self.0
            .insert(now + Timer::H.duration(), dialog, (rseq, invite_cseq));
    }

    /// Takes a PRACK naming `rack` in the ended call of `dialog`: whether it is the one owed,
    /// which is then owed no more.
    pub(crate) fn take(&mut self, dialog: &DialogId, rack: &RAck) -> bool {
        let owed = self.0.get(dialog).is_some_and(|&(rseq, invite_cseq)| {
            rack.rseq == rseq && rack.cseq == invite_cseq && rack.method == "INVITE"
        });
        if owed {
            self.0.remove(dialog);
        }
        owed
    }

    /// Forgets what is owed since 64*T1 by `now`.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.0.expire(now);
    }

    /// When the oldest is forgotten.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.0.next_expiry()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination() -> TransportAddr {
        TransportAddr::udp("192.0.2.1:5060".parse().unwrap())
    }

    fn rack(rseq: u32, cseq: u32, method: &str) -> RAck {
        RAck {
            rseq,
            cseq,
            method: method.to_owned(),
        }
    }

    #[test]
    fn rack_values_are_read_strictly() {
        assert_eq!(
            RAck::parse("776656 1 INVITE"),
            Some(rack(776_656, 1, "INVITE"))
        );
        assert_eq!(RAck::parse("  5\t2   INVITE "), Some(rack(5, 2, "INVITE")));
        for bad in [
            "",
            "1 INVITE",
            "x 1 INVITE",
            "1 y INVITE",
            "1 2 INVITE extra",
        ] {
            assert_eq!(RAck::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_response_goes_again_doubling_until_its_prack_names_it() {
        let start = Instant::now();
        let mut reliable = Reliable::new(41);
        assert_eq!(reliable.take_rseq(), 41);
        reliable.sent(start, (41, true), b"183".to_vec(), destination());
        assert!(reliable.holds_the_answer());
        let mut out = Outbox::default();
        let mut resent_at = Vec::new();
        let mut now = start;
        while let Some(next) = reliable.deadline().filter(|&at| at < start + T1 * 20) {
            now = next;
            let before = out.retransmissions();
            assert!(!reliable.on_timeout(now, &mut out));
            if out.retransmissions() > before {
                resent_at.push(now - start);
            }
        }
        // At T1, 3*T1, 7*T1 and 15*T1: the interval doubles without a cap.
        assert_eq!(resent_at, [1, 3, 7, 15].map(|n| T1 * n));
        // A PRACK of another response, request or method acknowledges nothing.
        for wrong in [
            rack(40, 1, "INVITE"),
            rack(41, 2, "INVITE"),
            rack(41, 1, "UPDATE"),
        ] {
            assert!(!reliable.acknowledge(&wrong, 1), "{wrong:?}");
        }
        let provisional = |code, sdp: Option<&str>| {
            Waiting::Provisional(Provisional {
                code,
                reason: "Progress".into(),
                sdp: sdp.map(str::to_owned),
            })
        };
        // A 183 with SDP, then a 180 without: the 180 is kept, with the 183's SDP.
        reliable.wait(provisional(183, Some("early")));
        reliable.wait(provisional(180, None));
        assert_eq!(reliable.next(), None, "nothing overtakes the response");
        assert!(reliable.acknowledge(&rack(41, 1, "INVITE"), 1));
        assert_eq!(reliable.deadline(), None);
        assert_eq!(reliable.next(), Some(provisional(180, Some("early"))));
        // Once the 2xx is asked for, a provisional response kept goes no more.
        reliable.sent(now, (42, false), b"180".to_vec(), destination());
        assert!(!reliable.holds_the_answer());
        reliable.wait(provisional(181, None));
        reliable.wait(Waiting::Answer("sdp".into()));
        assert!(reliable.acknowledge(&rack(42, 1, "INVITE"), 1));
        assert_eq!(reliable.next(), Some(Waiting::Answer("sdp".into())));
        assert_eq!(reliable.next(), None);
        assert!(now < start + T1 * 64);
    }

    #[test]
    fn without_a_prack_for_64_t1_the_invite_is_to_be_rejected() {
        let start = Instant::now();
        let mut reliable = Reliable::new(0);
        let rseq = reliable.take_rseq();
        assert_eq!(rseq, 1, "RSeq starts at 1 at least");
        reliable.sent(start, (rseq, false), b"180".to_vec(), destination());
        let mut out = Outbox::default();
        let mut given_up = None;
        for _ in 0..20 {
            let Some(at) = reliable.deadline() else { break };
            if reliable.on_timeout(at, &mut out) {
                given_up = Some(at - start);
            }
        }
        assert_eq!(given_up, Some(T1 * 64));
        assert!(!reliable.unacknowledged());
    }
}
