//! Requests too large for UDP (RFC 3261 §18.1.1): over 1300 bytes, one bound for UDP goes
//! over TCP to the same address, its top Via naming TCP, and over UDP again, once, if the
//! connection cannot be made; the CANCEL and the ACK of a non-2xx go as the INVITE went, and
//! the ACK of a 2xx, sent outside any transaction, follows the rule by its own size.

use std::time::{Duration, Instant};

use switchyard_sip::testing::{Uas, addr, audio_offer, epoch, rsip::Method};
use switchyard_sip::{
    CallKey, EndCause, Endpoint, EndpointConfig, Event, OutgoingCall, Transmit, Transport,
};

use crate::pair::{A, P, branch, call_to, header, modified};

/// A header line long enough to take a request past 1300 bytes.
fn padding() -> (String, String) {
    ("X-Pad".into(), "p".repeat(1200))
}

/// A call to the scripted UAS whose INVITE is too large for UDP.
fn large_call() -> OutgoingCall {
    modified(call_to(P), |call| call.headers.push(padding()))
}

/// Record-Route header lines of a path through many proxies, for a dialog whose requests are
/// too large for UDP by their Route headers alone (§12.2.1.1).
fn long_record_route() -> String {
    (0..16)
        .map(|n| {
            format!(
                "Record-Route: <sip:proxy-{n}.example.com;lr;x={}>\r\n",
                "y".repeat(50)
            )
        })
        .collect()
}

/// The caller and the scripted UAS at [`P`], joined without loss on virtual time; every
/// message the caller sends is kept with its transport.
struct Link {
    now: Instant,
    ep: Endpoint,
    peer: Uas,
    sent: Vec<Transmit>,
}

impl Link {
    fn new() -> Self {
        let config = EndpointConfig {
            user_agent: "caller".into(),
        };
        Self {
            now: epoch(),
            ep: Endpoint::new(config, 31),
            peer: Uas::new(addr(P)),
            sent: Vec::new(),
        }
    }

    /// Moves every message both ways until none is left.
    fn exchange(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            while let Some(t) = self.ep.poll_transmit() {
                assert_eq!(
                    t.destination,
                    addr(P),
                    "the next hop, whatever the transport"
                );
                self.peer.handle_datagram(self.now, addr(A), &t.payload);
                self.sent.push(t);
                moved = true;
            }
            while let Some(t) = self.peer.poll_transmit() {
                let (now, local) = (self.now, addr(A));
                self.ep
                    .handle_message(now, t.transport, local, addr(P), &t.payload);
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("the exchange did not settle");
    }

    /// Takes what the caller sends without delivering it: lost on the way, as a TCP
    /// connection a firewall drops silently.
    fn lose_sent(&mut self) {
        self.sent
            .extend(std::iter::from_fn(|| self.ep.poll_transmit()));
    }

    /// Moves virtual time on by `by`, running the caller's timers, then exchanges.
    fn wait(&mut self, by: Duration) {
        let until = self.now + by;
        while let Some(at) = self.ep.poll_timeout().filter(|&at| at <= until) {
            self.now = at;
            self.ep.handle_timeout(at);
            self.exchange();
        }
        self.now = until;
    }

    /// The caller's `method` requests, each with the transport it went over.
    fn sent(&self, method: &str) -> Vec<(Transport, &str)> {
        self.sent
            .iter()
            .map(|t| (t.transport, std::str::from_utf8(&t.payload).unwrap()))
            .filter(|(_, text)| text.starts_with(&format!("{method} ")))
            .collect()
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.ep.poll_event()).collect()
    }
}

/// The transport `request`'s top Via names.
fn via_transport(request: &str) -> &str {
    let via = header(request, "Via").unwrap();
    via.strip_prefix("SIP/2.0/")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
}

/// The UAS answers its latest INVITE with a 2xx carrying `extra` header lines, again for a
/// retransmission of it (§13.3.1.4), and the messages are exchanged.
fn send_2xx(link: &mut Link, extra: &str) {
    let sdp = audio_offer(addr("127.0.0.1:7000"));
    link.peer.reply(Method::Invite, 200, "OK", extra, &sdp);
    link.exchange();
}

/// A call placed to the UAS and answered by it, the 2xx carrying `extra` header lines.
fn answered(link: &mut Link, call: OutgoingCall, extra: &str) -> CallKey {
    let key = link.ep.invite(link.now, call).unwrap();
    link.exchange();
    send_2xx(link, extra);
    assert!(
        link.events()
            .iter()
            .any(|e| matches!(e, Event::CallAnswered { .. }))
    );
    key
}

#[test]
fn a_request_too_large_for_udp_goes_over_tcp_to_the_same_place_and_its_via_says_so() {
    let mut link = Link::new();
    answered(&mut link, call_to(P), "");
    let (transport, small) = link.sent("INVITE")[0];
    assert!(small.len() <= 1300, "{}", small.len());
    assert_eq!((transport, via_transport(small)), (Transport::Udp, "UDP"));

    let mut link = Link::new();
    // The BYE of this one carries the route set of a long Record-Route (§12.2.1.1).
    let call = answered(&mut link, large_call(), &long_record_route());
    let invites = link.sent("INVITE");
    let (transport, invite) = invites[0];
    assert!(invite.len() > 1300);
    assert_eq!((transport, via_transport(invite)), (Transport::Tcp, "TCP"));
    link.ep.hangup(link.now, call).unwrap();
    link.exchange();
    let (transport, bye) = link.sent("BYE")[0];
    assert!(bye.len() > 1300, "{bye}");
    assert_eq!((transport, via_transport(bye)), (Transport::Tcp, "TCP"));
}

#[test]
fn a_failed_connection_sends_the_request_again_over_udp_once() {
    let mut link = Link::new();
    let call = link.ep.invite(link.now, large_call()).unwrap();
    link.exchange();
    link.wait(Duration::from_secs(2));
    assert_eq!(link.sent("INVITE").len(), 1, "no Timer A over TCP");
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    let invites = link.sent("INVITE");
    assert_eq!(invites.len(), 2);
    let (transport, retried) = invites[1];
    assert_eq!((transport, via_transport(retried)), (Transport::Udp, "UDP"));
    let first_via = header(invites[0].1, "Via").unwrap();
    assert_eq!(
        header(retried, "Via"),
        Some(first_via.replacen("TCP", "UDP", 1).as_str()),
        "the same transaction"
    );
    assert_eq!(link.events(), [], "the call goes on");
    assert_eq!(link.ep.stats().transport_failures, 0);
    // Over UDP it is retransmitted (Timer A, §17.1.1.2).
    link.wait(Duration::from_millis(500));
    assert_eq!(link.sent("INVITE").len(), 3);
    assert_eq!(link.sent("INVITE")[2].0, Transport::Udp);
    // Once: a later failure of TCP there is no longer the INVITE's.
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!((link.sent("INVITE").len(), link.events()), (3, vec![]));
    // The ACK of a non-2xx follows the INVITE over UDP.
    link.peer.reply(Method::Invite, 486, "Busy Here", "", "");
    link.exchange();
    let (transport, ack) = link.sent("ACK")[0];
    assert_eq!((transport, via_transport(ack)), (Transport::Udp, "UDP"));
    assert!(matches!(
        link.events()[..],
        [Event::CallFailed { call: failed, code: 486, .. }] if failed == call
    ));
}

#[test]
fn an_invite_hung_up_before_its_connection_failed_is_not_sent_over_udp() {
    let mut link = Link::new();
    let call = link.ep.invite(link.now, large_call()).unwrap();
    link.lose_sent();
    // Abandoned unheard, as a silent target is for the next one: its CANCEL waits for a
    // provisional response (§9.1).
    link.wait(Duration::from_secs(4));
    link.ep.hangup(link.now, call).unwrap();
    link.exchange();
    link.wait(Duration::from_secs(1));
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    let transports: Vec<Transport> = link.sent.iter().map(|t| t.transport).collect();
    assert_eq!(transports, [Transport::Tcp], "the INVITE, never over UDP");
    assert_eq!(
        link.events(),
        [Event::CallEnded {
            call,
            cause: EndCause::LocalHangup
        }]
    );
    assert_eq!(link.ep.active_transactions(), 0, "the transaction ended");
    link.wait(Duration::from_secs(64));
    assert_eq!((link.sent.len(), link.events()), (1, vec![]));
}

#[test]
fn a_large_reinvite_falls_back_to_udp() {
    let mut link = Link::new();
    let call = answered(&mut link, call_to(P), "");
    let offer = format!(
        "{}a=x-pad:{}\r\n",
        audio_offer(addr("127.0.0.1:6000")),
        "p".repeat(1200)
    );
    link.ep.reoffer(link.now, call, offer).unwrap();
    link.exchange();
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    let reinvites: Vec<_> = link.sent("INVITE")[1..]
        .iter()
        .map(|(t, r)| (*t, via_transport(r)))
        .collect();
    assert_eq!(
        reinvites,
        [(Transport::Tcp, "TCP"), (Transport::Udp, "UDP")]
    );
    assert_eq!(link.events(), [], "the offer is not refused");
    let sdp = audio_offer(addr("127.0.0.1:7000"));
    link.peer.reply(Method::Invite, 200, "OK", "", &sdp);
    link.exchange();
    assert!(matches!(link.events()[..], [Event::OfferAnswered { .. }]));
}

#[test]
fn a_large_bye_falls_back_to_udp() {
    let mut link = Link::new();
    let call = answered(&mut link, call_to(P), &long_record_route());
    link.peer.answer_bye = false;
    link.ep.hangup(link.now, call).unwrap();
    link.exchange();
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    let byes: Vec<_> = link
        .sent("BYE")
        .iter()
        .map(|(t, r)| (*t, via_transport(r)))
        .collect();
    assert_eq!(byes, [(Transport::Tcp, "TCP"), (Transport::Udp, "UDP")]);
    assert_eq!(link.ep.stats().transport_failures, 0, "nothing given up");
}

#[test]
fn the_cancel_and_the_ack_of_a_non_2xx_follow_the_invite_over_tcp() {
    let mut link = Link::new();
    link.peer.transport = Transport::Tcp;
    let call = link.ep.invite(link.now, large_call()).unwrap();
    link.exchange();
    link.peer.reply(Method::Invite, 180, "Ringing", "", "");
    link.exchange();
    link.ep.hangup(link.now, call).unwrap();
    // The UAS answers the CANCEL with 200, and the INVITE with 487.
    link.exchange();
    let (transport, cancel) = link.sent("CANCEL")[0];
    assert_eq!((transport, via_transport(cancel)), (Transport::Tcp, "TCP"));
    let (transport, ack) = link.sent("ACK")[0];
    assert_eq!((transport, via_transport(ack)), (Transport::Tcp, "TCP"));
    let invite = link.sent("INVITE")[0].1;
    assert_eq!(header(cancel, "Via"), header(invite, "Via"), "§9.1");
    assert_eq!(header(ack, "Via"), header(invite, "Via"), "§17.1.1.3");
}

/// The caller's ACKs, each with the transport it went over and the transport its Via names.
fn acks(link: &Link) -> Vec<(Transport, &str)> {
    link.sent("ACK")
        .iter()
        .map(|(t, ack)| (*t, via_transport(ack)))
        .collect()
}

#[test]
fn a_2xx_ack_too_large_for_udp_goes_over_tcp_and_is_sent_again_so() {
    let mut link = Link::new();
    // The ACK carries the route set of a long Record-Route (§12.2.1.1); the INVITE is small.
    answered(&mut link, call_to(P), &long_record_route());
    let (transport, invite) = link.sent("INVITE")[0];
    assert_eq!(transport, Transport::Udp);
    let invite = invite.to_owned();
    let ack = link.sent("ACK")[0].1.to_owned();
    assert!(ack.len() > 1300, "{}", ack.len());
    assert_eq!(acks(&link), [(Transport::Tcp, "TCP")]);
    // §13.2.2.4: the ACK of a 2xx is a request of its own, not of the INVITE's transaction.
    assert_ne!(branch(&ack), branch(&invite));
    send_2xx(&mut link, &long_record_route());
    assert_eq!(acks(&link), [(Transport::Tcp, "TCP"); 2]);
    assert_eq!(link.sent("ACK")[1].1, ack, "the same ACK");
}

#[test]
fn a_failed_connection_sends_a_large_2xx_ack_again_over_udp_once() {
    let mut link = Link::new();
    answered(&mut link, call_to(P), &long_record_route());
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!(
        acks(&link),
        [(Transport::Tcp, "TCP"), (Transport::Udp, "UDP")]
    );
    let sent = link.sent("ACK");
    assert_eq!(
        header(sent[1].1, "Via"),
        Some(
            header(sent[0].1, "Via")
                .unwrap()
                .replacen("TCP", "UDP", 1)
                .as_str()
        ),
        "the same ACK, its branch kept"
    );
    assert_eq!(link.events(), [], "the call goes on");
    // Once: a later failure of TCP there is no longer the ACK's.
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!(acks(&link).len(), 2);
    // A retransmitted 2xx gets the ACK that went over UDP.
    send_2xx(&mut link, &long_record_route());
    assert_eq!(acks(&link)[2..], [(Transport::Udp, "UDP")]);
    assert_eq!(link.sent("ACK")[2].1, link.sent("ACK")[1].1);
    assert_eq!(link.ep.stats().transport_failures, 0, "nothing given up");
}

#[test]
fn a_small_2xx_ack_stays_on_udp() {
    let mut link = Link::new();
    answered(&mut link, call_to(P), "");
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    send_2xx(&mut link, "");
    assert_eq!(acks(&link), [(Transport::Udp, "UDP"); 2]);
    assert!(link.sent("ACK")[0].1.len() <= 1300);
}

/// The caller's ACKs of the responses to its latest INVITE (a re-INVITE: by its CSeq
/// number), each with the transport it went over.
fn reinvite_acks_sent(link: &Link) -> Vec<(Transport, &str)> {
    let invites = link.sent("INVITE");
    let cseq = header(invites.last().unwrap().1, "CSeq").unwrap();
    let ack_cseq = cseq.replacen("INVITE", "ACK", 1);
    link.sent("ACK")
        .into_iter()
        .filter(|(_, ack)| header(ack, "CSeq") == Some(ack_cseq.as_str()))
        .collect()
}

/// [`reinvite_acks_sent`], each with the transport its Via names.
fn reinvite_acks(link: &Link) -> Vec<(Transport, &str)> {
    reinvite_acks_sent(link)
        .into_iter()
        .map(|(t, ack)| (t, via_transport(ack)))
        .collect()
}

/// A call answered by the UAS with the Record-Route header lines `record_route` and a
/// re-INVITE of the caller's (with a small offer) under way in it, not answered yet.
fn reoffered(link: &mut Link, record_route: &str) -> CallKey {
    let call = answered(link, call_to(P), record_route);
    let offer = audio_offer(addr("127.0.0.1:6002"));
    link.ep.reoffer(link.now, call, offer).unwrap();
    link.exchange();
    assert_eq!(link.sent("INVITE").len(), 2, "the re-INVITE went");
    call
}

#[test]
fn a_reinvite_2xx_ack_too_large_for_udp_goes_over_tcp_and_is_sent_again_so() {
    let mut link = Link::new();
    // The dialog's route set (§12.2.1.1) takes the ACK past 1300 bytes.
    reoffered(&mut link, &long_record_route());
    send_2xx(&mut link, "");
    assert!(matches!(link.events()[..], [Event::OfferAnswered { .. }]));
    let ack = reinvite_acks_sent(&link)[0].1.to_owned();
    assert!(ack.len() > 1300, "{}", ack.len());
    assert_eq!(reinvite_acks(&link), [(Transport::Tcp, "TCP")]);
    // §13.2.2.4: a retransmission of the 2xx gets the same ACK, the same way.
    send_2xx(&mut link, "");
    assert_eq!(reinvite_acks(&link), [(Transport::Tcp, "TCP"); 2]);
    assert_eq!(reinvite_acks_sent(&link)[1].1, ack, "the same ACK");
}

#[test]
fn a_failed_connection_sends_a_large_reinvite_2xx_ack_again_over_udp_once() {
    let mut link = Link::new();
    reoffered(&mut link, &long_record_route());
    send_2xx(&mut link, "");
    assert!(matches!(link.events()[..], [Event::OfferAnswered { .. }]));
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!(
        reinvite_acks(&link),
        [(Transport::Tcp, "TCP"), (Transport::Udp, "UDP")]
    );
    let sent = reinvite_acks_sent(&link);
    let (over_tcp, over_udp) = (sent[0].1, sent[1].1.to_owned());
    assert_eq!(
        over_udp,
        over_tcp.replacen("SIP/2.0/TCP", "SIP/2.0/UDP", 1),
        "the same ACK, its branch kept"
    );
    // Once: a later failure of TCP there is no longer the ACK's.
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!(reinvite_acks(&link).len(), 2);
    // A retransmitted 2xx gets the ACK that went over UDP.
    send_2xx(&mut link, "");
    assert_eq!(reinvite_acks(&link)[2..], [(Transport::Udp, "UDP")]);
    assert_eq!(reinvite_acks_sent(&link)[2].1, over_udp);
    assert_eq!(link.events(), [], "the call goes on");
    assert_eq!(link.ep.stats().transport_failures, 0, "nothing given up");
}

#[test]
fn a_large_reinvite_2xx_ack_of_an_ended_call_goes_over_tcp_then_udp() {
    let mut link = Link::new();
    let call = reoffered(&mut link, &long_record_route());
    // The call ends before the 2xx: the re-INVITE is kept only to ACK its final response.
    link.ep.hangup(link.now, call).unwrap();
    link.exchange();
    // An ACK of a 2xx goes only for a 2xx: one not sent yet stays unsent.
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    assert_eq!(reinvite_acks(&link), []);
    send_2xx(&mut link, "");
    assert_eq!(reinvite_acks(&link), [(Transport::Tcp, "TCP")]);
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    send_2xx(&mut link, "");
    assert_eq!(
        reinvite_acks(&link),
        [
            (Transport::Tcp, "TCP"),
            (Transport::Udp, "UDP"),
            (Transport::Udp, "UDP")
        ]
    );
}

#[test]
fn a_small_reinvite_2xx_ack_stays_on_udp() {
    let mut link = Link::new();
    reoffered(&mut link, "");
    send_2xx(&mut link, "");
    link.ep.transport_failed(link.now, Transport::Tcp, addr(P));
    link.exchange();
    send_2xx(&mut link, "");
    assert_eq!(reinvite_acks(&link), [(Transport::Udp, "UDP"); 2]);
    assert!(reinvite_acks_sent(&link)[0].1.len() <= 1300);
}
