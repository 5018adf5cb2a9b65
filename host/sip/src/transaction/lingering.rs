//! Server transactions that sent their final response and only linger to absorb
//! retransmissions: the non-INVITE server in "Completed" (§17.2.2, Timer J), and the INVITE
//! server in "Accepted" after a 2xx (RFC 6026 §7.1, Timer L) and in "Confirmed" after the ACK
//! of a non-2xx (§17.2.1, Timer I).
//!
//! At high call rates they outnumber every other transaction (each lingers 64*T1 = 32 s), so
//! they are kept small. Each state lasts a fixed time from the moment it is entered, so its
//! transactions end in the order they entered: one [`Expiring`] queue per state replaces
//! per-transaction timers. A "Completed" transaction keeps no response bytes: a retransmitted
//! request gets its response rebuilt from itself ([`Reply::build`]), which yields the bytes
//! first sent since it copies them from the same request.

use std::time::Instant;

use rsip::prelude::HasHeaders;

use super::expiring::{Expiring, Fingerprint, FingerprintKeys};
use super::{ServerKey, hash_key};
use crate::hosts::{Host, HostCounts};
use crate::method::Method;
use crate::reply::Reply;
use crate::timer::Timer;
use crate::transmit::Outbox;
use crate::transport::{Transport, TransportAddr};

/// Where an INVITE server transaction lingers once its final response is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InviteLinger {
    /// A 2xx was sent (RFC 6026 §7.1): INVITE retransmissions are absorbed, ACKs go to the
    /// dialog.
    Accepted,
    /// The non-2xx was acknowledged (§17.2.1): INVITE and ACK retransmissions are absorbed.
    Confirmed,
}

/// What a lingering transaction made of a request that matched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Absorbed {
    /// A retransmitted request, answered again (non-INVITE) or swallowed (INVITE).
    Retransmission,
    /// A retransmitted ACK of a non-2xx.
    Ack,
}

/// A non-INVITE server transaction in "Completed": what rebuilds its final response. Where
/// it goes is not kept: a retransmission comes from where its request came from (§18.2.2
/// routes the response by the request's Via and source).
#[derive(Debug)]
struct Completed {
    /// Of the transaction key, which is not kept.
    fingerprint: Fingerprint,
    reply: Reply,
    /// The To tag the response was given when the request had none (one the endpoint
    /// generated, or the call's).
    to_tag: Tag,
    /// The host the request came from.
    host: Host,
}

/// A To tag the endpoint gave a response, kept without an allocation when it is one of the
/// endpoint's own (16 hex digits, see `Ids::tag`).
#[derive(Debug)]
pub(super) enum Tag {
    None,
    Ours(u64),
    Other(Box<str>),
}

impl Tag {
    /// The tag `tag`, or none.
    pub(super) fn new(tag: Option<&str>) -> Self {
        match tag {
            None => Self::None,
            Some(text) => match u64::from_str_radix(text, 16) {
                Ok(value) if text.len() == 16 && text.bytes().all(|b| !b.is_ascii_uppercase()) => {
                    Self::Ours(value)
                }
                _ => Self::Other(text.into()),
            },
        }
    }

    /// The tag as text, if there is one.
    pub(super) fn text(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Ours(value) => Some(format!("{value:016x}")),
            Self::Other(text) => Some(text.to_string()),
        }
    }
}

/// An INVITE server transaction in "Accepted" or "Confirmed".
#[derive(Debug)]
struct Invite {
    /// Of the transaction key, which is not kept.
    fingerprint: Fingerprint,
    /// The To tag its responses added, which a CANCEL's 200 carries too (§9.2).
    to_tag: Tag,
    /// The host the INVITE came from.
    host: Host,
}

/// The lingering server transactions, by state.
#[derive(Debug, Default)]
pub(crate) struct Lingering {
    /// Key the fingerprints (two keys share one with a chance of 2^-128 per pair).
    fingerprints: FingerprintKeys,
    completed: Expiring<Completed>,
    accepted: Expiring<Invite>,
    confirmed: Expiring<Invite>,
    /// How many of the lingering transactions each source host's requests started.
    hosts: HostCounts,
}

impl Lingering {
    /// A non-INVITE server transaction of a request from `host` that sent the final response
    /// `reply` with To tag `to_tag` over `transport` at `now`: "Completed" until Timer J
    /// (§17.2.2). Over a reliable transport Timer J is zero and the transaction ends at once.
    pub(crate) fn completed(
        &mut self,
        now: Instant,
        (key, host): (ServerKey, Host),
        transport: Transport,
        reply: Reply,
        to_tag: Option<&str>,
    ) {
        if transport.is_reliable() {
            return;
        }
        let fingerprint = self.fingerprint(&key.id, key.method);
        let entry = Completed {
            fingerprint,
            reply,
            to_tag: Tag::new(to_tag),
            host,
        };
        let expires = now + Timer::J.duration();
        self.completed.push(fingerprint, expires, entry);
        self.hosts.add(host);
    }

    /// The INVITE server transaction `id` of an INVITE from `host` over `transport`, whose
    /// responses added the To tag `to_tag`, which entered `state` at `now` and lingers until
    /// Timer L ("Accepted") or Timer I ("Confirmed"). "Confirmed" over a reliable transport
    /// ends at once (Timer I is zero, §17.2.1). "Accepted" lingers
    /// over every transport (RFC 6026 §8.7): a stateless proxy that takes the INVITE from UDP
    /// to TCP forwards the caller's retransmissions, which must not start a second call, and
    /// a CANCEL after the 2xx gets its 200 (§9.2). The ACK of a 2xx goes to the core either
    /// way. Returns when the transaction ends, if it lingers at all.
    pub(crate) fn invite(
        &mut self,
        now: Instant,
        (id, host): (Box<str>, Host),
        state: InviteLinger,
        transport: Transport,
        to_tag: Option<&str>,
    ) -> Option<Instant> {
        if transport.is_reliable() && state == InviteLinger::Confirmed {
            return None;
        }
        let fingerprint = self.fingerprint(&id, Method::INVITE);
        let (queue, timer) = match state {
            InviteLinger::Accepted => (&mut self.accepted, Timer::L),
            InviteLinger::Confirmed => (&mut self.confirmed, Timer::I),
        };
        let ends = now + timer.duration();
        queue.push(
            fingerprint,
            ends,
            Invite {
                fingerprint,
                to_tag: Tag::new(to_tag),
                host,
            },
        );
        self.hosts.add(host);
        Some(ends)
    }

    /// Hands `request`, a `method` request with the server transaction key `key` whose
    /// responses go to `destination`, to the lingering transaction it matches (§17.2.3). A
    /// retransmitted non-INVITE request gets the final response again, rebuilt with Server
    /// `server` (§17.2.2); an INVITE is absorbed (§17.2.1, RFC 6026 §7.1), so is the ACK of a
    /// non-2xx. `None` when nothing matches or the request belongs to the core: the ACK of a
    /// 2xx goes to its dialog (RFC 6026 §7.1).
    pub(crate) fn on_request(
        &self,
        key: &ServerKey,
        method: Method,
        request: &impl HasHeaders,
        destination: TransportAddr,
        server: &str,
        out: &mut Outbox,
    ) -> Option<Absorbed> {
        let fingerprint = self.fingerprint(&key.id, key.method);
        let is_ack = method == Method::ACK;
        if key.method != Method::INVITE {
            let completed = self.completed.get(fingerprint)?;
            let tag = completed.to_tag.text();
            let response = completed.reply.build(request, tag.as_deref(), server);
            out.resend(destination, &response);
            Some(Absorbed::Retransmission)
        } else if self.accepted.get(fingerprint).is_some() {
            (!is_ack).then_some(Absorbed::Retransmission)
        } else {
            self.confirmed.get(fingerprint)?;
            Some(if is_ack {
                Absorbed::Ack
            } else {
                Absorbed::Retransmission
            })
        }
    }

    /// If the INVITE server transaction `id` lingers: the To tag its responses added, if any.
    /// A CANCEL matching it gets a 200 with that tag but changes nothing (§9.2).
    pub(crate) fn invite_to_tag(&self, id: &str) -> Option<Option<String>> {
        let fingerprint = self.fingerprint(id, Method::INVITE);
        self.accepted
            .get(fingerprint)
            .or_else(|| self.confirmed.get(fingerprint))
            .map(|invite| invite.to_tag.text())
    }

    /// When the next lingering transaction ends.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        [
            self.completed.next_expiry(),
            self.accepted.next_expiry(),
            self.confirmed.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Ends every transaction whose timer (J, L or I) fires at or before `now`.
    pub(crate) fn expire(&mut self, now: Instant) {
        let hosts = &mut self.hosts;
        self.completed.expire(now, |c| {
            hosts.release(c.host);
            c.fingerprint
        });
        for queue in [&mut self.accepted, &mut self.confirmed] {
            queue.expire(now, |i| {
                hosts.release(i.host);
                i.fingerprint
            });
        }
    }

    /// How many lingering transactions requests from `host` started.
    pub(crate) fn held_by(&self, host: Host) -> usize {
        self.hosts.held_by(host)
    }

    /// How many transactions linger.
    pub(crate) fn len(&self) -> usize {
        self.completed.len() + self.accepted.len() + self.confirmed.len()
    }

    /// Whether no transaction lingers and no index holds anything.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.completed.is_empty()
            && self.accepted.is_empty()
            && self.confirmed.is_empty()
            && self.hosts.hosts() == 0
    }

    /// The fingerprint of the server transaction key `id` and `method`.
    fn fingerprint(&self, id: &str, method: Method) -> Fingerprint {
        self.fingerprints
            .fingerprint(|hasher| hash_key(id, method, hasher))
    }
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;
    use std::time::Duration;

    use super::*;
    use crate::build::Extensions;
    use crate::timer::test_epoch;
    use crate::wire::{RawRequest, parse_request};

    const JUST: Duration = Duration::from_nanos(1);

    fn dest() -> TransportAddr {
        TransportAddr::udp("192.0.2.7:5062".parse().unwrap())
    }

    fn request(method: &str, to_tag: &str) -> RawRequest {
        parse_request(&format!(
            "{method} sip:sut@192.0.2.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK1;rport=5062;received=192.0.2.7\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>{to_tag}\r\n\
             Call-ID: cid\r\nCSeq: 2 {method}\r\n\r\n"
        ))
    }

    fn host() -> Host {
        Host::of(dest().addr.ip())
    }

    fn key(method: Method) -> ServerKey {
        ServerKey::new("z9hG4bK1 192.0.2.7:5062", method)
    }

    /// What `table` makes of the INVITE sent again, then of an ACK to it.
    fn retransmitted_invite_and_ack(
        table: &Lingering,
        out: &mut Outbox,
    ) -> (Option<Absorbed>, Option<Absorbed>) {
        let invite = key(Method::INVITE);
        let again = table.on_request(
            &invite,
            Method::INVITE,
            &request("INVITE", ""),
            dest(),
            "s",
            out,
        );
        let ack = table.on_request(
            &invite,
            Method::ACK,
            &request("ACK", ";tag=ours"),
            dest(),
            "s",
            out,
        );
        (again, ack)
    }

    /// The bound on an entry's inline size (its queue slot: expiry and state), on 64-bit
    /// targets: the expiry in milliseconds (8 bytes), the key's fingerprint (16) and the
    /// source host (8), plus, for "Completed", the To tag (24: one of ours inline) and a
    /// two-byte reply (its kind, and the extensions or refusal it names); for an INVITE, the
    /// To tag alone. Per transaction the index adds the fingerprint and a sequence number (24
    /// bytes and a control byte per slot); the heap holds nothing more but a To tag that is not
    /// ours. The key text is not kept.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn entries_stay_small() {
        assert_eq!(size_of::<Reply>(), 2);
        assert!(
            size_of::<(u64, Completed)>() <= 64,
            "a Completed entry grew to {} bytes",
            size_of::<(u64, Completed)>()
        );
        assert!(
            size_of::<(u64, Invite)>() <= 56,
            "an INVITE entry grew to {} bytes",
            size_of::<(u64, Invite)>()
        );
        assert_eq!(size_of::<(Fingerprint, u64)>(), 24);
    }

    #[test]
    fn our_tags_are_kept_inline_and_others_as_text() {
        for tag in [
            None,
            Some("0123456789abcdef"),
            Some("ABCDEF0123456789"),
            Some("x-1"),
        ] {
            assert_eq!(Tag::new(tag).text().as_deref(), tag, "{tag:?}");
        }
        assert!(matches!(Tag::new(Some("0123456789abcdef")), Tag::Ours(_)));
    }

    #[test]
    fn completed_answers_retransmissions_with_the_rebuilt_response_until_timer_j() {
        let t0 = test_epoch();
        let (bye, options) = (request("BYE", ";tag=ours"), request("OPTIONS", ""));
        let mut table = Lingering::default();
        table.completed(
            t0,
            (key(Method::BYE), host()),
            Transport::Udp,
            Reply::Ok,
            None,
        );
        table.completed(
            t0,
            (key(Method::OPTIONS), host()),
            Transport::Udp,
            Reply::Options(Extensions { timer: false }),
            Some("gen"),
        );
        assert_eq!(table.len(), 2);
        let mut out = Outbox::default();
        for (method, request, first) in [
            (Method::BYE, &bye, Reply::Ok.build(&bye, None, "s")),
            (
                Method::OPTIONS,
                &options,
                Reply::Options(Extensions { timer: false }).build(&options, Some("gen"), "s"),
            ),
        ] {
            let absorbed = table.on_request(&key(method), method, request, dest(), "s", &mut out);
            assert_eq!(absorbed, Some(Absorbed::Retransmission), "{method:?}");
            let sent = out.pop().expect("the response again");
            assert_eq!(sent.destination, dest().addr);
            assert_eq!(
                String::from_utf8_lossy(&sent.payload),
                String::from_utf8_lossy(&first),
                "{method:?}: the same bytes as the first response"
            );
        }
        assert_eq!(out.retransmissions(), 2);
        let invite = key(Method::INVITE);
        assert_eq!(
            table.on_request(&invite, Method::BYE, &bye, dest(), "s", &mut out),
            None
        );
        let j = t0 + Timer::J.duration();
        assert_eq!(table.next_expiry(), Some(j));
        table.expire(j - JUST);
        assert_eq!(table.len(), 2, "Timer J has not fired");
        table.expire(j);
        assert_eq!(table.len(), 0, "Timer J fired");
        let absorbed =
            table.on_request(&key(Method::BYE), Method::BYE, &bye, dest(), "s", &mut out);
        assert_eq!(absorbed, None, "forgotten");
        assert!(table.is_empty(), "{table:?}");
    }

    #[test]
    fn accepted_absorbs_invites_and_passes_acks_until_timer_l() {
        let t0 = test_epoch();
        let mut table = Lingering::default();
        let id = key(Method::INVITE).id;
        let ours = Some("0123456789abcdef");
        table.invite(
            t0,
            (id, host()),
            InviteLinger::Accepted,
            Transport::Udp,
            ours,
        );
        let mut out = Outbox::default();
        let invite = key(Method::INVITE);
        let (absorbed, ack) = retransmitted_invite_and_ack(&table, &mut out);
        assert_eq!(absorbed, Some(Absorbed::Retransmission));
        assert_eq!(ack, None, "RFC 6026 §7.1: the ACK goes to the dialog");
        assert_eq!(out.pop(), None, "nothing is sent in Accepted");
        let tag = table.invite_to_tag(&invite.id);
        assert_eq!(tag.as_ref().map(Option::as_deref), Some(ours));
        let l = t0 + Timer::L.duration();
        table.expire(l - JUST);
        assert_eq!(table.len(), 1, "Timer L has not fired");
        table.expire(l);
        assert_eq!(table.invite_to_tag(&invite.id), None, "Timer L fired");
        assert!(table.is_empty(), "{table:?}");
    }

    #[test]
    fn over_a_reliable_transport_only_accepted_lingers() {
        let t0 = test_epoch();
        let mut table = Lingering::default();
        table.completed(
            t0,
            (key(Method::BYE), host()),
            Transport::Tcp,
            Reply::Ok,
            None,
        );
        table.invite(
            t0,
            ("z9hG4bK1 192.0.2.7:5062".into(), host()),
            InviteLinger::Confirmed,
            Transport::Tcp,
            None,
        );
        assert!(table.is_empty(), "Timers J and I are zero over TCP");
        let id = key(Method::INVITE).id;
        table.invite(
            t0,
            (id.clone(), host()),
            InviteLinger::Accepted,
            Transport::Tcp,
            None,
        );
        let mut out = Outbox::default();
        let (absorbed, _) = retransmitted_invite_and_ack(&table, &mut out);
        assert_eq!(
            absorbed,
            Some(Absorbed::Retransmission),
            "an INVITE a proxy forwards again after the 2xx is no new call (RFC 6026 §8.7)"
        );
        assert_eq!(table.invite_to_tag(&id), Some(None));
        assert_eq!(table.next_expiry(), Some(t0 + Timer::L.duration()));
    }

    #[test]
    fn confirmed_absorbs_invites_and_acks_until_timer_i() {
        let t0 = test_epoch();
        let mut table = Lingering::default();
        let id = key(Method::INVITE).id;
        table.invite(
            t0,
            (id, host()),
            InviteLinger::Confirmed,
            Transport::Udp,
            None,
        );
        let mut out = Outbox::default();
        let (absorbed, ack) = retransmitted_invite_and_ack(&table, &mut out);
        assert_eq!(absorbed, Some(Absorbed::Retransmission));
        assert_eq!(ack, Some(Absorbed::Ack));
        assert_eq!(out.pop(), None, "nothing is sent in Confirmed");
        let other = ServerKey::new("z9hG4bK2 192.0.2.7:5062", Method::INVITE);
        let unmatched = table.on_request(
            &other,
            Method::INVITE,
            &request("INVITE", ""),
            dest(),
            "s",
            &mut out,
        );
        assert_eq!(unmatched, None, "another branch is another transaction");
        let i = t0 + Timer::I.duration();
        assert_eq!(table.next_expiry(), Some(i));
        table.expire(i - JUST);
        assert_eq!(table.len(), 1, "Timer I has not fired");
        table.expire(i);
        assert!(table.is_empty(), "Timer I fired: {table:?}");
    }
}
