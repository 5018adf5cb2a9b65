//! Requests of ours stranded by a transport failure (RFC 3261 §8.1.3.1, §17.1.4, §18.4): the
//! shell reports a destination it could not send to, and each request of ours that went there
//! and still waits for its final response (an INVITE: for any response) is given up as if
//! answered 503, at once rather than after Timer B or F.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use super::{Ended, Endpoint, Owner, TxEntry};
use crate::call::CallKey;
use crate::transaction::{InviteClient, Transaction, TxId};
use crate::transport::{Transport, TransportAddr};

/// The client transactions of ours still awaiting their final response
/// ([`TxEntry::awaiting`]), by the transport and address their request went to: the ones a
/// transport failure there may strand, found without reading every transaction, in the
/// order they started.
#[derive(Debug, Default)]
pub(super) struct AwaitingAt(HashMap<(Transport, SocketAddr), BTreeSet<TxId>>);

impl AwaitingAt {
    /// Files transaction `id`, whose request went to `to`.
    pub(super) fn file(&mut self, to: TransportAddr, id: TxId) {
        self.0.entry(place(to)).or_default().insert(id);
    }

    /// Forgets transaction `id`, whose request went to `to`; a place left with none goes.
    pub(super) fn forget(&mut self, to: TransportAddr, id: TxId) {
        if let Some(ids) = self.0.get_mut(&place(to)) {
            ids.remove(&id);
            if ids.is_empty() {
                self.0.remove(&place(to));
            }
        }
    }

    /// The transactions filed under `to`.
    fn at(&self, to: TransportAddr) -> impl Iterator<Item = TxId> + '_ {
        self.0.get(&place(to)).into_iter().flatten().copied()
    }

    /// How many transactions are filed.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.0.values().map(BTreeSet::len).sum()
    }
}

/// What [`TransportAddr::same_place`] compares.
fn place(to: TransportAddr) -> (Transport, SocketAddr) {
    (to.transport, to.addr)
}

/// A request of ours that waited for its final response from where the transport failed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stranded {
    /// A client transaction in the endpoint's table: a placed call's INVITE, or a BYE,
    /// CANCEL, PRACK, UPDATE or OPTIONS.
    Tx(TxId),
    /// The re-INVITE of the call with the Via branch.
    Reinvite(CallKey, String),
}

impl Endpoint {
    /// The transport failed towards `addr` over `transport`: a datagram could not be sent,
    /// a TCP connection could not be opened, or one broke with messages for `addr` unwritten.
    /// A request of ours that went there over TCP only for its size, bound for UDP, and had
    /// no response yet is sent again over UDP, once (§18.1.1), but for the INVITE of a call
    /// the application hung up before any provisional response ([`Endpoint::hangup`]): that
    /// one is given up unsent, rather than ring a callee only to be cancelled. Each other
    /// request of ours sent there that still waits for its final response (an INVITE or
    /// re-INVITE: for any response) is given up as if answered 503 (§8.1.3.1), without
    /// waiting for Timer B or F:
    /// a call being placed fails with [`Event::CallFailed`](crate::Event::CallFailed) 503 and
    /// `try_next` (RFC 3263 §4.3: the next target at once), or ends if the application hung
    /// up; a BYE ends its call; a re-INVITE or UPDATE with an offer is refused with
    /// [`Event::OfferRefused`](crate::Event::OfferRefused) 503 (our session refresh is sent
    /// again instead while the session has time left); an OPTIONS gives
    /// [`Event::ProbeResult`](crate::Event::ProbeResult) 503. A re-INVITE so given up still
    /// has a 2xx that comes later ACKed, and the session the call kept offered again, as after
    /// its CANCEL went unanswered. An INVITE or re-INVITE that had a
    /// provisional response is left to its own timers (and a placed call to whatever bounds
    /// its ringing): its final response may still come, and a 2xx is taken as ever. Requests
    /// answered already are left be. An ACK of a 2xx to a placed call's INVITE or to a re-INVITE
    /// of ours (also one whose call ended since) that went there over TCP for its size only is
    /// sent again over UDP, once, and goes so for the 2xx's retransmissions. All of it at `now`.
    pub fn transport_failed(&mut self, now: Instant, transport: Transport, addr: SocketAddr) {
        let failed = TransportAddr::new(transport, addr);
        self.resend_acks_over_udp(failed);
        // Requests already written are given up too, not only those lost: a response comes
        // back on the connection its request went on (§18.2.2), which broke, losing messages
        // for the peer. The peer may still open one to our Via for it, which a re-INVITE's
        // 2xx is kept for; waiting Timer B or F on that chance is what failing over to the
        // next target (RFC 3263 §4.3) is for.
        let transactions = self
            .awaiting_at
            .at(failed)
            .filter(|id| {
                let entry = self.transactions.get(id);
                entry
                    .and_then(stranded_at)
                    .is_some_and(|to| to.same_place(&failed))
            })
            .map(Stranded::Tx);
        let reinvites = self.reinvites.iter().filter_map(|(branch, &call)| {
            let state = self.calls.get(&call)?;
            let reinvite = state
                .session
                .outgoing
                .as_ref()
                .filter(|r| r.branch == *branch)?;
            // The ACK of a non-2xx goes where the re-INVITE went (§17.1.1.3).
            let (_, to) = reinvite.tx.non_2xx_ack();
            let stranded = unanswered(&reinvite.tx) && to.same_place(&failed);
            stranded.then(|| Stranded::Reinvite(call, reinvite.branch.clone()))
        });
        // Listed first: giving one up changes the tables read.
        let stranded: Vec<Stranded> = transactions.chain(reinvites).collect();
        for stranded in stranded {
            match stranded {
                Stranded::Tx(id) if self.retry_tx_over_udp(now, id) => {}
                Stranded::Tx(id) => self.give_up_tx(now, id),
                Stranded::Reinvite(call, branch)
                    if self.retry_reinvite_over_udp(now, call, &branch) => {}
                Stranded::Reinvite(call, branch) => self.give_up_reinvite(now, call, &branch),
            }
        }
    }

    /// Sends again over UDP each ACK of a 2xx, to a placed call's INVITE or to a re-INVITE of
    /// ours, that went to `failed` over TCP for its size only (§18.1.1); it is kept so for
    /// the 2xx's retransmissions (§13.2.2.4).
    fn resend_acks_over_udp(&mut self, failed: TransportAddr) {
        self.acks_moved_for_size.retain(|call| {
            let Some(placed) = self.placed.get_mut(call) else {
                return false;
            };
            placed.resend_acks_over_udp(failed, &mut self.out);
            placed.has_ack_moved_for_size()
        });
        for (branch, call) in &self.reinvites {
            let ack = self
                .calls
                .get_mut(call)
                .and_then(|state| state.session.outgoing.as_mut())
                .filter(|reinvite| reinvite.branch == *branch)
                .and_then(|reinvite| reinvite.ack.as_mut());
            if let Some(ack) = ack {
                ack.resend_over_udp_from(failed, &mut self.out);
            }
        }
        self.orphaned_reinvites
            .resend_acks_over_udp(failed, &mut self.out);
    }

    /// Sends the request of client transaction `id` again over UDP if it went over TCP for
    /// its size only and had no response (§18.1.1), filing it under its new destination, and
    /// a placed call's INVITE so followed ([`Endpoint::follow_invite`]); returns whether it was.
    /// An abandoned INVITE ([`Endpoint::abandoned_invite`]) is not.
    fn retry_tx_over_udp(&mut self, now: Instant, id: TxId) -> bool {
        if self.abandoned_invite(id) {
            return false;
        }
        let Some(entry) = self.transactions.get_mut(&id) else {
            return false;
        };
        if !entry.tx.retry_over_udp(now, &mut self.out) {
            return false;
        }
        if let Some(before) = entry.awaiting.take() {
            self.awaiting_at.forget(before, id);
        }
        entry.awaiting = entry.tx.sent_to();
        if let Some(after) = entry.awaiting {
            self.awaiting_at.file(after, id);
        }
        if let Transaction::InviteClient(invite) = &entry.tx {
            let call = invite.owner();
            self.follow_invite(call, id);
        }
        self.reschedule(Owner::Tx(id));
        true
    }

    /// Whether client transaction `id` is the INVITE of a placed call hung up before any
    /// provisional response ([`Endpoint::hung_up_unheard`]): sent anew, it would only ring its
    /// callee until its CANCEL (§9.1) stopped it.
    fn abandoned_invite(&self, id: TxId) -> bool {
        match self.transactions.get(&id).map(|entry| &entry.tx) {
            Some(Transaction::InviteClient(invite)) => self.hung_up_unheard(invite.owner()),
            _ => false,
        }
    }

    /// Sends the re-INVITE of `call` with Via branch `branch` again over UDP if it went over
    /// TCP for its size only and had no response (§18.1.1); returns whether it was.
    fn retry_reinvite_over_udp(&mut self, now: Instant, call: CallKey, branch: &str) -> bool {
        let Some(reinvite) = self
            .calls
            .get_mut(&call)
            .and_then(|state| state.session.outgoing.as_mut())
            .filter(|reinvite| reinvite.branch == branch)
        else {
            return false;
        };
        let retried = reinvite.tx.retry_over_udp(now, &mut self.out);
        if retried {
            self.reschedule(Owner::Session(call));
        }
        retried
    }

    /// Ends the client transaction `id` if it still waits for its final response, and has
    /// whoever waits for it hear a 503.
    fn give_up_tx(&mut self, now: Instant, id: TxId) {
        let Some(entry) = self.transactions.get(&id) else {
            return;
        };
        let Some(to) = stranded_at(entry) else {
            return;
        };
        let request = entry.client_request();
        let invite_of = match &entry.tx {
            Transaction::InviteClient(tx) => Some(tx.owner()),
            _ => None,
        };
        let waiting = entry.tx.waiting_call();
        self.remove_tx(id);
        self.reschedule(Owner::Tx(id));
        self.stats.transport_failures += 1;
        let reason = unreachable(to);
        match invite_of {
            // An INVITE answered by a challenge lives on after its call sent the next one.
            Some(call) if self.placed.get(&call).is_some_and(|p| p.tx == id) => {
                self.fail_placed(call, 503, reason, true);
            }
            Some(_) => {}
            None => self.client_done(now, request, waiting, Ended::Unreachable(&reason)),
        }
    }

    /// Gives up the re-INVITE of `call` with Via branch `branch` if it still waits for its
    /// final response: refused with 503, its 2xx still ACKed should one come.
    fn give_up_reinvite(&mut self, now: Instant, call: CallKey, branch: &str) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(reinvite) = state
            .session
            .outgoing
            .take_if(|reinvite| reinvite.branch == branch && unanswered(&reinvite.tx))
        else {
            return;
        };
        self.reinvites.remove(branch);
        self.stats.transport_failures += 1;
        let (_, to) = reinvite.tx.non_2xx_ack();
        let offer = reinvite.offer.clone();
        let context = (&mut self.ids, self.user_agent.as_str());
        self.orphaned_reinvites
            .adopt_given_up(now, call, reinvite, &state.dialog, context);
        self.refused(now, call, Some(offer), Ended::Unreachable(&unreachable(to)));
        self.reschedule(Owner::Session(call));
    }
}

/// Where the request of client transaction `entry` went, if a transport failure there
/// strands it: it waits for its final response, and an INVITE for any response.
fn stranded_at(entry: &TxEntry) -> Option<TransportAddr> {
    match &entry.tx {
        Transaction::InviteClient(tx) if !unanswered(tx) => None,
        _ => entry.awaiting,
    }
}

/// Whether INVITE `tx` had no response yet ("Calling"): the next hop may never have got it.
/// Once a provisional one came, the callee may be ringing: giving the INVITE up sends no
/// CANCEL that could stop it, and its 2xx would then match nothing and go unacknowledged,
/// while the call tries its next target. Its final response may still come, on a new
/// connection to our Via (§18.2.2); else a CANCEL, and the Timer B it arms, end it (§9.1),
/// or a re-INVITE's own timers.
fn unanswered(tx: &InviteClient) -> bool {
    tx.is_pending() && !tx.is_proceeding()
}

/// The reason phrase of the 503 a request to `to` is given up with.
fn unreachable(to: TransportAddr) -> String {
    format!("Service Unavailable (cannot reach {})", to.addr)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::EndpointConfig;
    use crate::event::Event;
    use crate::outgoing::{MAX_FORWARDS, OutgoingCall};
    use crate::testing::{addr, audio_offer, epoch};

    const EP: &str = "127.0.0.1:5070";

    fn call_to(destination: &str) -> OutgoingCall {
        OutgoingCall {
            request_uri: format!("sip:bob@{destination}"),
            from: format!("<sip:conf@{EP}>"),
            to: format!("<sip:bob@{destination}>"),
            headers: Vec::new(),
            route: Vec::new(),
            destination: addr(destination),
            transport: Transport::Udp,
            local: addr(EP),
            sdp_offer: audio_offer(addr("127.0.0.1:6000")),
            credentials: None,
            max_forwards: MAX_FORWARDS,
        }
    }

    #[test]
    fn a_transport_failure_reads_only_the_requests_that_went_there() {
        let now = epoch();
        let mut ep = Endpoint::new(
            EndpointConfig {
                user_agent: "sut".into(),
            },
            1,
        );
        let (dead, alive) = ("127.0.0.1:5080", "127.0.0.1:5090");
        for _ in 0..500 {
            ep.invite(now, call_to(alive)).unwrap();
        }
        let stranded: Vec<CallKey> = (0..3)
            .map(|_| ep.invite(now, call_to(dead)).unwrap())
            .collect();
        while ep.poll_transmit().is_some() {}
        let dead_place = TransportAddr::new(Transport::Udp, addr(dead));
        assert_eq!(
            ep.awaiting_at.at(dead_place).count(),
            3,
            "the work it takes"
        );
        for _ in 0..100 {
            ep.transport_failed(now, Transport::Udp, addr(dead));
            assert_eq!(
                ep.awaiting_at.at(dead_place).count(),
                0,
                "a repeat reads none"
            );
        }
        let failed: Vec<CallKey> = std::iter::from_fn(|| ep.poll_event())
            .map(|event| match event {
                Event::CallFailed {
                    call, code: 503, ..
                } => call,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(failed, stranded);
        assert_eq!(ep.stats().transport_failures, 3);
        assert_eq!((ep.active_transactions(), ep.awaiting_at.len()), (500, 500));
        // Timer B ends the rest (§17.1.1.2), and the index forgets them.
        ep.handle_timeout(now + Duration::from_secs(64));
        assert_eq!((ep.active_transactions(), ep.awaiting_at.len()), (0, 0));
    }
}
