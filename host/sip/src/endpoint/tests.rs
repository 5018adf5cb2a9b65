//! Lingering server transactions seen from the endpoint: retransmissions get exactly what
//! they got before, each transaction ends exactly at its deadline, and after many calls
//! nothing is left behind. A TCP connection counts as in use while a call needs it.

use std::time::Duration;

use rsip::Method;

use super::*;
use crate::hosts::Host;
use crate::outgoing::OutgoingCall;
use crate::testing::{Uac, UacConfig, Uas, addr, audio_offer, epoch};
use crate::timer::Timer;

const EP: &str = "127.0.0.1:5060";
const JUST: Duration = Duration::from_nanos(1);

/// What crossed the wire in one [`Caller::exchange`].
#[derive(Debug, Default)]
struct Moved {
    /// Datagrams the UAC sent, in order.
    requests: Vec<Vec<u8>>,
    /// Datagrams the endpoint sent, in order.
    responses: Vec<Vec<u8>>,
    /// The endpoint's events.
    events: Vec<Event>,
}

impl Moved {
    fn incoming_call(&self) -> CallKey {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::IncomingCall(call) => Some(call.call),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no incoming call: {self:?}"))
    }
}

/// A UAC at its own address, wired straight to the endpoint: no network, no delay.
struct Caller {
    uac: Uac,
    from: SocketAddr,
}

impl Caller {
    /// A caller at port `port` with its own Call-ID. (Every UAC numbers its branches alike;
    /// the sent-by tells their transactions apart.)
    fn new(port: u16) -> Self {
        Self::at(SocketAddr::new([127, 0, 0, 1].into(), port))
    }

    /// A caller at `from`, with its own Call-ID.
    fn at(from: SocketAddr) -> Self {
        Self {
            uac: Uac::new(UacConfig {
                call_id: format!("call-{from}"),
                ..UacConfig::new(from, addr(EP), "conf", "alice")
            }),
            from,
        }
    }

    /// Moves datagrams both ways at `now` until both sides are quiet.
    fn exchange(&mut self, ep: &mut Endpoint, now: Instant) -> Moved {
        let mut moved = Moved::default();
        loop {
            let before = moved.requests.len() + moved.responses.len();
            while let Some(t) = self.uac.poll_transmit() {
                ep.handle_message(now, t.transport, addr(EP), self.from, &t.payload);
                moved.requests.push(t.payload);
            }
            while let Some(t) = ep.poll_transmit() {
                assert_eq!(t.destination, self.from, "a response went astray");
                self.uac.handle_datagram(now, &t.payload);
                moved.responses.push(t.payload);
            }
            if moved.requests.len() + moved.responses.len() == before {
                break;
            }
        }
        moved.events.extend(std::iter::from_fn(|| ep.poll_event()));
        moved
    }

    /// Places a call that the endpoint answers at `now` and the UAC acknowledges; returns the
    /// INVITE as sent.
    fn answered_call(&mut self, ep: &mut Endpoint, now: Instant) -> Vec<u8> {
        self.uac.call(now, addr("127.0.0.1:6000"));
        let offered = self.exchange(ep, now);
        ep.answer(now, offered.incoming_call(), "v=0\r\n".into())
            .unwrap();
        let answered = self.exchange(ep, now);
        assert_eq!(self.uac.codes(Method::Invite), [100, 200]);
        assert!(
            matches!(answered.events[..], [Event::CallConfirmed { .. }]),
            "{answered:?}"
        );
        offered.requests[0].clone()
    }

    /// Sends `datagram` again at `now`, after the timers due by then, as a shell would run
    /// them; returns what the endpoint sent back.
    fn replay(&self, ep: &mut Endpoint, now: Instant, datagram: &[u8]) -> Vec<Vec<u8>> {
        if ep.poll_timeout().is_some_and(|at| at <= now) {
            ep.handle_timeout(now);
        }
        ep.handle_datagram(now, addr(EP), self.from, datagram);
        std::iter::from_fn(|| ep.poll_transmit())
            .map(|t| {
                assert_eq!(t.destination, self.from, "a response went astray");
                t.payload
            })
            .collect()
    }
}

fn endpoint() -> Endpoint {
    let config = EndpointConfig {
        user_agent: "sut".into(),
    };
    Endpoint::new(config, 1)
}

fn text(datagrams: &[Vec<u8>]) -> Vec<String> {
    datagrams
        .iter()
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .collect()
}

#[test]
fn a_retransmitted_bye_gets_the_same_200_byte_for_byte_until_timer_j() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.answered_call(&mut ep, t0);
    let hangup = t0 + Duration::from_secs(10);
    caller.uac.bye(hangup);
    let moved = caller.exchange(&mut ep, hangup);
    let (bye, ok) = (&moved.requests[0], text(&moved.responses));
    assert!(ok[0].starts_with("SIP/2.0 200 OK\r\n"), "{ok:?}");
    let end = hangup + Timer::J.duration();
    for at in [hangup + Duration::from_secs(1), end - JUST] {
        let again = caller.replay(&mut ep, at, bye);
        assert_eq!(text(&again), ok, "at {:?}", at - hangup);
    }
    let stats = ep.stats();
    assert_eq!(stats.request_retransmissions_received, 2);
    assert_eq!(stats.retransmissions_sent, 2);
    assert_eq!(ep.active_transactions(), 1, "only the BYE lingers");
    assert_eq!(ep.poll_timeout(), Some(end), "Timer J");
    ep.handle_timeout(end);
    assert_eq!(ep.active_transactions(), 0);
    let later = caller.replay(&mut ep, end, bye);
    assert!(
        text(&later)[0].starts_with("SIP/2.0 481 "),
        "forgotten: a new transaction for a dialog that is gone: {:?}",
        text(&later)
    );
    assert_eq!(ep.stats().request_retransmissions_received, 2);
}

#[test]
fn rebuilt_responses_keep_the_to_tag_the_endpoint_chose() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    for method in ["OPTIONS", "REGISTER", "BYE", "CANCEL"] {
        caller.uac.stray(method, None);
    }
    let moved = caller.exchange(&mut ep, t0);
    let with_require = String::from_utf8_lossy(&moved.requests[0])
        .replace("branch=z9hG4bK-uac-1", "branch=z9hG4bK-required")
        .replace(
            "Max-Forwards: 70\r\n",
            "Max-Forwards: 70\r\nRequire: foo\r\n",
        );
    let mut requests = moved.requests.clone();
    requests.push(with_require.into_bytes());
    let mut first = text(&moved.responses);
    first.extend(text(&caller.replay(&mut ep, t0, &requests[4])));
    let status_lines: Vec<_> = first.iter().filter_map(|r| r.lines().next()).collect();
    assert_eq!(
        status_lines,
        [
            "SIP/2.0 200 OK",
            "SIP/2.0 405 Method Not Allowed",
            "SIP/2.0 481 Call/Transaction Does Not Exist",
            "SIP/2.0 481 Call/Transaction Does Not Exist",
            "SIP/2.0 420 Bad Extension",
        ]
    );
    let later = t0 + Duration::from_secs(20);
    for (request, response) in requests.iter().zip(&first) {
        assert!(response.contains(";tag="), "a To tag was added: {response}");
        let again = text(&caller.replay(&mut ep, later, request));
        assert_eq!(again, [response.as_str()]);
    }
    assert_eq!(ep.stats().request_retransmissions_received, 5);
}

#[test]
fn a_retransmitted_cancel_gets_the_call_tag_after_the_call_ended() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.uac.call(t0, addr("127.0.0.1:6000"));
    caller.exchange(&mut ep, t0);
    caller.uac.cancel(t0);
    let moved = caller.exchange(&mut ep, t0);
    assert_eq!(caller.uac.codes(Method::Cancel), [200]);
    assert_eq!(ep.active_calls(), 0, "the CANCEL ended the call");
    let tag = caller.uac.last_response(Method::Invite).unwrap().to_tag();
    let ok = caller.uac.last_response(Method::Cancel).unwrap();
    assert_eq!(ok.to_tag(), tag, "§9.2: the INVITE's To tag");
    let cancel = &moved.requests[0];
    let again = caller.replay(&mut ep, t0 + Duration::from_secs(1), cancel);
    assert_eq!(text(&again), [ok.text.as_str()]);
}

#[test]
fn a_retransmitted_invite_after_the_2xx_is_absorbed_until_timer_l() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    let invite = caller.answered_call(&mut ep, t0);
    let end = t0 + Timer::L.duration();
    for at in [t0 + Duration::from_secs(1), end - JUST] {
        let again = caller.replay(&mut ep, at, &invite);
        assert!(
            again.is_empty(),
            "RFC 6026 §7.1: absorbed: {:?}",
            text(&again)
        );
        assert_eq!(ep.poll_event(), None, "no second call");
    }
    assert_eq!(ep.stats().request_retransmissions_received, 2);
    assert_eq!(ep.poll_timeout(), Some(end), "Timer L");
    ep.handle_timeout(end);
    assert_eq!(ep.active_transactions(), 0);
    let later = caller.replay(&mut ep, end, &invite);
    assert_eq!(
        ep.poll_event(),
        None,
        "the transaction is forgotten, the call is not: still no second call"
    );
    assert!(
        text(&later)[0].starts_with("SIP/2.0 482 Loop Detected\r\n"),
        "{:?}",
        text(&later)
    );
}

#[test]
fn an_ack_reusing_the_invite_branch_reaches_the_dialog_in_accepted() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.uac.ack_2xx = false;
    caller.uac.call(t0, addr("127.0.0.1:6000"));
    let offered = caller.exchange(&mut ep, t0);
    ep.answer(t0, offered.incoming_call(), "v=0\r\n".into())
        .unwrap();
    caller.exchange(&mut ep, t0);
    let tag = caller.uac.remote_tag().unwrap().to_owned();
    let invite = String::from_utf8_lossy(&offered.requests[0]).into_owned();
    let head = &invite[..invite.find("Content-Type").unwrap()];
    let ack = head
        .replacen("INVITE sip:", "ACK sip:", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
        .replace(
            "@127.0.0.1:5060>\r\n",
            &format!("@127.0.0.1:5060>;tag={tag}\r\n"),
        )
        + "Content-Length: 0\r\n\r\n";
    let answer = caller.replay(&mut ep, t0 + Duration::from_millis(100), ack.as_bytes());
    assert!(answer.is_empty(), "{:?}", text(&answer));
    assert!(
        matches!(ep.poll_event(), Some(Event::CallConfirmed { .. })),
        "RFC 6026 §7.1: the ACK of a 2xx goes to the dialog"
    );
}

#[test]
fn after_the_ack_of_a_reject_invites_and_acks_are_absorbed_until_timer_i() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.uac.call(t0, addr("127.0.0.1:6000"));
    let offered = caller.exchange(&mut ep, t0);
    ep.reject(t0, offered.incoming_call(), 486, "Busy Here")
        .unwrap();
    let rejected = caller.exchange(&mut ep, t0);
    assert_eq!(caller.uac.codes(Method::Invite), [100, 486]);
    let (invite, ack) = (&offered.requests[0], &rejected.requests[0]);
    let end = t0 + Timer::I.duration();
    for datagram in [invite, ack] {
        let again = caller.replay(&mut ep, end - JUST, datagram);
        assert!(again.is_empty(), "{:?}", text(&again));
    }
    let stats = ep.stats();
    assert_eq!(
        stats.request_retransmissions_received, 1,
        "the ACK is no retransmission"
    );
    assert_eq!(stats.dropped_acks, 0, "the transaction absorbed the ACK");
    assert_eq!(ep.poll_timeout(), Some(end), "Timer I");
    ep.handle_timeout(end);
    assert_eq!(ep.active_transactions(), 0);
    caller.replay(&mut ep, end, ack);
    assert_eq!(
        ep.stats().dropped_acks,
        1,
        "forgotten: the ACK matches nothing"
    );
}

#[test]
fn ten_thousand_calls_linger_64_t1_in_order_then_leave_nothing_behind() {
    const CALLS: u16 = 10_000;
    let t0 = epoch();
    let start = |n: u16| t0 + Duration::from_millis(n.into());
    let mut ep = endpoint();
    for n in 0..CALLS {
        let mut caller = Caller::new(10_000 + n);
        caller.answered_call(&mut ep, start(n));
        caller.uac.bye(start(n));
        caller.exchange(&mut ep, start(n));
        assert_eq!(caller.uac.codes(Method::Bye), [200], "call {n}");
    }
    assert_eq!(ep.active_calls(), 0);
    assert_eq!(
        ep.active_transactions(),
        2 * usize::from(CALLS),
        "each call's INVITE (Accepted) and BYE (Completed) linger"
    );
    assert!(
        ep.transactions.is_empty() && ep.server_index.is_empty(),
        "no lingering transaction is also live"
    );
    // Call n's INVITE and BYE entered at start(n): both end exactly 64*T1 later (Timers L
    // and J), not a nanosecond earlier.
    for n in [0, 1, CALLS / 2, CALLS - 1] {
        let end = start(n) + Timer::J.duration();
        ep.handle_timeout(end - JUST);
        assert_eq!(ep.poll_timeout(), Some(end), "call {n}");
        let left = 2 * usize::from(CALLS - n);
        assert_eq!(ep.active_transactions(), left, "just before call {n}'s end");
        ep.handle_timeout(end);
        assert_eq!(ep.active_transactions(), left - 2, "at call {n}'s end");
    }
    assert_eq!(ep.poll_timeout(), None);
    assert!(
        ep.transactions.is_empty()
            && ep.server_index.is_empty()
            && ep.client_index.is_empty()
            && ep.calls.is_empty()
            && ep.dialogs.is_empty()
            && ep.lingering.is_empty()
            && ep.merging.is_empty()
            && ep.lingering_merges.len() == 0
            && ep.schedule.next().is_none(),
        "something was left behind: {ep:?}"
    );
}

#[test]
fn a_copy_of_an_invite_on_another_branch_gets_482_and_starts_no_call() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    let invite = String::from_utf8(caller.answered_call(&mut ep, t0)).unwrap();
    let branch = invite
        .split("branch=")
        .nth(1)
        .and_then(|rest| rest.split([';', '\r']).next())
        .unwrap();
    // A proxy upstream forked the INVITE twice to us: same Call-ID, From tag and CSeq.
    let merged = invite.replace(branch, "z9hG4bK-second-fork");
    let later = t0 + Duration::from_secs(1);
    let answers = caller.replay(&mut ep, later, merged.as_bytes());
    assert!(
        text(&answers)[0].starts_with("SIP/2.0 482 Loop Detected\r\n"),
        "{:?}",
        text(&answers)
    );
    assert_eq!(ep.poll_event(), None, "no second call");
    assert_eq!(ep.active_calls(), 1);
    // Its retransmission gets the 482 again from the copy's transaction, counted once.
    let again = caller.replay(&mut ep, later + JUST, merged.as_bytes());
    assert!(
        text(&again)[0].starts_with("SIP/2.0 482 Loop Detected\r\n"),
        "{:?}",
        text(&again)
    );
    let stats = ep.stats();
    assert_eq!(stats.invites_refused_loop_detected, 1);
    assert_eq!(invites_refused(&stats), 1, "under one cause only");
    caller.uac.bye(later);
    caller.exchange(&mut ep, later);
    assert!(ep.offered.is_empty(), "forgotten with its call");
}

/// The INVITE in `invite` with its top Via branch replaced: the copy an upstream proxy that
/// forked it twice to us sends on another branch (same Call-ID, From tag and CSeq).
fn forked_copy(invite: &[u8]) -> String {
    let invite = String::from_utf8(invite.to_vec()).unwrap();
    let branch = invite
        .split("branch=")
        .nth(1)
        .and_then(|rest| rest.split([';', '\r']).next())
        .unwrap()
        .to_owned();
    invite.replace(&branch, "z9hG4bK-second-fork")
}

/// Whether `answers` hold a 482 (beside retransmissions due), and no call was offered.
fn merged(ep: &mut Endpoint, answers: &[Vec<u8>]) -> bool {
    let offered =
        std::iter::from_fn(|| ep.poll_event()).any(|e| matches!(e, Event::IncomingCall(_)));
    let loop_detected = text(answers)
        .iter()
        .any(|answer| answer.starts_with("SIP/2.0 482 Loop Detected\r\n"));
    loop_detected && !offered
}

#[test]
fn a_copy_of_an_invite_whose_call_ended_gets_482_while_its_transaction_lives() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.uac.call(t0, addr("127.0.0.1:6000"));
    let offered = caller.exchange(&mut ep, t0);
    let copy = forked_copy(&offered.requests[0]);
    ep.reject(t0, offered.incoming_call(), 486, "Busy Here")
        .unwrap();
    // The 486 is lost: §17.2.1 "Completed", waiting for the ACK until Timer H.
    while ep.poll_transmit().is_some() {}
    let answers = caller.replay(&mut ep, t0 + Duration::from_secs(1), copy.as_bytes());
    assert!(merged(&mut ep, &answers), "{:?}", text(&answers));
    let end = t0 + Timer::H.duration();
    // (A third copy: the second's own transaction would absorb it.)
    let third = copy.replace("z9hG4bK-second-fork", "z9hG4bK-third-fork");
    let answers = caller.replay(&mut ep, end, third.as_bytes());
    assert!(
        !merged(&mut ep, &answers),
        "the transaction ended with Timer H"
    );

    // RFC 6026 §7.1: "Accepted" after a 2xx, also once the call is hung up.
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    let copy = forked_copy(&caller.answered_call(&mut ep, t0));
    let call = *ep.calls.keys().next().unwrap();
    ep.hangup(t0, call).unwrap();
    caller.exchange(&mut ep, t0);
    assert_eq!(ep.active_calls(), 0);
    let end = t0 + Timer::L.duration();
    let answers = caller.replay(&mut ep, end - JUST, copy.as_bytes());
    assert!(merged(&mut ep, &answers), "{:?}", text(&answers));
    ep.handle_timeout(end);
    assert!(ep.merging.is_empty() && ep.lingering_merges.len() == 0);
}

#[test]
fn new_requests_get_503_with_retry_after_while_every_transaction_is_taken() {
    let t0 = epoch();
    let mut ep = endpoint();
    ep.max_transactions = 2;
    let mut first = Caller::new(5062);
    first.answered_call(&mut ep, t0);
    first.uac.bye(t0);
    first.exchange(&mut ep, t0);
    assert_eq!(ep.active_transactions(), 2, "the INVITE and the BYE linger");
    let mut second = Caller::new(5064);
    second.uac.call(t0, addr("127.0.0.1:6000"));
    let refused = second.exchange(&mut ep, t0);
    let answers = text(&refused.responses);
    assert!(
        answers[0].starts_with("SIP/2.0 503 Service Unavailable\r\n")
            && answers[0].contains("\r\nRetry-After: 5\r\n"),
        "{answers:?}"
    );
    assert!(refused.events.is_empty(), "no call");
    assert_eq!(ep.active_transactions(), 2, "none more");
    let later = t0 + Timer::L.duration();
    ep.handle_timeout(later);
    second.uac.call(later, addr("127.0.0.1:6000"));
    assert!(matches!(
        second.exchange(&mut ep, later).events[..],
        [Event::IncomingCall(_), ..]
    ));
}

/// New INVITEs the endpoint refused itself, every cause added up.
fn invites_refused(stats: &Stats) -> u64 {
    stats.invites_refused_overloaded
        + stats.invites_refused_unusable_offer
        + stats.invites_refused_session_interval_too_small
        + stats.invites_refused_loop_detected
        + stats.invites_refused_too_many_hops
        + stats.invites_refused_unsupported_extension
        + stats.invites_refused_bad_request
        + stats.invites_refused_unsupported_uri_scheme
        + stats.invites_refused_version_not_supported
}

/// A new INVITE from `caller` at `now` with the header lines `extra` and body `sdp`, as sent
/// (the endpoint has not seen it yet).
fn new_invite(caller: &mut Caller, now: Instant, extra: &str, sdp: &str) -> Vec<u8> {
    caller.uac.invite(now, extra, sdp);
    caller.uac.poll_transmit().expect("the INVITE").payload
}

#[test]
fn a_new_invite_refused_for_want_of_room_is_counted_once_and_its_retransmission_gets_the_503_again()
{
    let t0 = epoch();
    let mut ep = endpoint();
    let mut caller = Caller::new(5062);
    caller.answered_call(&mut ep, t0);
    assert_eq!(
        invites_refused(&ep.stats()),
        0,
        "an answered call is no refusal"
    );
    ep.max_transactions = ep.active_transactions();
    let invite = new_invite(&mut caller, t0, "", &audio_offer(addr("127.0.0.1:6002")));
    let first = caller.replay(&mut ep, t0, &invite);
    assert!(
        text(&first)[0].starts_with("SIP/2.0 503 "),
        "{:?}",
        text(&first)
    );
    // Its 503 lost, the INVITE comes again (Timer A); room came free meanwhile, but the
    // retransmission belongs to the refused request (§17.2.3): the same 503, no call.
    ep.max_transactions = usize::MAX;
    let again = caller.replay(&mut ep, t0 + Timer::A.duration(), &invite);
    assert_eq!(text(&again), text(&first), "the same 503, byte for byte");
    ep.max_transactions = ep.active_transactions();
    let options = caller.replay(&mut ep, t0, options(caller.from, 1).as_bytes());
    assert_eq!(refused(&options), 1, "{:?}", text(&options));
    let stats = ep.stats();
    assert_eq!(
        stats.invites_refused_overloaded, 1,
        "neither the retransmission nor the OPTIONS is another call refused"
    );
    assert_eq!(invites_refused(&stats), 1, "under one cause only");
    assert_eq!(stats.request_retransmissions_received, 1);
    assert_eq!(ep.poll_event(), None);
}

/// The CANCEL of `invite`, as its UAC would send it (§9.1).
fn cancel_of(invite: &[u8]) -> String {
    let invite = String::from_utf8_lossy(invite);
    let head = &invite[..invite.find("Content-Type").unwrap()];
    head.replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL")
        + "Content-Length: 0\r\n\r\n"
}

/// The To header line of the message `message`.
fn to_line(message: &str) -> &str {
    message
        .lines()
        .find(|line| line.starts_with("To:"))
        .unwrap_or_else(|| panic!("no To: {message}"))
}

#[test]
fn the_ack_and_a_cancel_of_an_invite_refused_for_want_of_room_match_its_refusal() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    ep.max_transactions = 0;
    let invite = new_invite(&mut caller, t0, "", &audio_offer(addr("127.0.0.1:6002")));
    let refusal = caller.replay(&mut ep, t0, &invite);
    assert_eq!(refused(&refusal), 1, "{:?}", text(&refusal));
    caller.uac.handle_datagram(t0, &refusal[0]);
    let ack = caller
        .uac
        .poll_transmit()
        .expect("the ACK of the 503")
        .payload;
    assert!(
        ack.starts_with(b"ACK "),
        "{}",
        String::from_utf8_lossy(&ack)
    );
    let absorbed = caller.replay(&mut ep, t0, &ack);
    assert!(absorbed.is_empty(), "{:?}", text(&absorbed));
    // §9.2: a CANCEL of an INVITE whose final response was sent gets 200, and changes
    // nothing; whether or not room came free meanwhile. Its 200 lost, the CANCEL comes again
    // (Timer E): its copy gets the 200 again, as the CANCEL's own transaction would send it
    // (§17.2.2).
    let cancel = cancel_of(&invite);
    for room in [0, usize::MAX] {
        ep.max_transactions = room;
        let answers = text(&caller.replay(&mut ep, t0, cancel.as_bytes()));
        assert!(
            answers.len() == 1 && answers[0].starts_with("SIP/2.0 200 OK\r\n"),
            "{room}: {answers:?}"
        );
        assert_eq!(
            to_line(&answers[0]),
            to_line(&text(&refusal)[0]),
            "{room}: the 503's To tag"
        );
    }
    let other = cancel_of(&invite).replace("branch=z9hG4bK", "branch=z9hG4bKother");
    let unmatched = text(&caller.replay(&mut ep, t0, other.as_bytes()));
    assert!(
        unmatched[0].starts_with("SIP/2.0 481 "),
        "another branch: {unmatched:?}"
    );
    let stats = ep.stats();
    assert_eq!(stats.dropped_acks, 0, "the ACK belongs to the refusal");
    assert_eq!(
        stats.request_retransmissions_received, 1,
        "the CANCEL's copy"
    );
    assert_eq!(stats.retransmissions_sent, 1, "the 200 sent again");
    assert_eq!(
        stats.responses_sent.by_class()[1],
        ("2xx", 1),
        "one 200, retransmissions not included"
    );
    assert_eq!(invites_refused(&stats), 1, "refused once");
    assert_eq!(ep.poll_event(), None, "no call");
    ep.handle_timeout(t0 + Timer::H.duration());
    caller.replay(&mut ep, t0 + Timer::H.duration(), &ack);
    assert_eq!(
        ep.stats().dropped_acks,
        1,
        "after Timer H it matches nothing"
    );
}

#[test]
fn a_new_invite_refused_for_its_uri_scheme_or_version_is_counted_each_time_under_its_cause() {
    let t0 = epoch();
    let offer = audio_offer(addr("127.0.0.1:6000"));
    let scheme = |invite: String| invite.replacen("INVITE sip:", "INVITE mailto:", 1);
    let version = |invite: String| invite.replacen(" SIP/2.0\r\n", " SIP/3.0\r\n", 1);
    let cases: [(&str, Edit, &str, Counted); 2] = [
        ("mailto: Request-URI", scheme, "416", |s| {
            s.invites_refused_unsupported_uri_scheme
        }),
        ("SIP/3.0", version, "505", |s| {
            s.invites_refused_version_not_supported
        }),
    ];
    for (what, edit, code, counted) in cases {
        let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
        let sent = new_invite(&mut caller, t0, "", &offer);
        let invite = edit(String::from_utf8(sent).unwrap());
        // Refused outside any transaction: each copy is refused, and counted, anew.
        for n in 1..=2 {
            let answers = text(&caller.replay(&mut ep, t0, invite.as_bytes()));
            assert!(
                answers[0].starts_with(&format!("SIP/2.0 {code} ")),
                "{what}: {answers:?}"
            );
            let stats = ep.stats();
            assert_eq!(counted(&stats), n, "{what}");
            assert_eq!(invites_refused(&stats), n, "{what}: under one cause only");
        }
        let reinvite = invite.replacen("@127.0.0.1:5060>\r\n", "@127.0.0.1:5060>;tag=t\r\n", 1);
        assert_ne!(reinvite, invite, "{what}");
        caller.replay(&mut ep, t0, reinvite.as_bytes());
        assert_eq!(
            counted(&ep.stats()),
            2,
            "{what}: a re-INVITE is no new INVITE"
        );
        assert_eq!(ep.poll_event(), None, "{what}: no call");
    }
}

#[test]
fn refusals_for_want_of_room_are_forgotten_after_timer_h_so_their_memory_stays_flat() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    ep.max_transactions = 0;
    let offer = audio_offer(addr("127.0.0.1:6002"));
    let every = Duration::from_millis(100);
    let kept = Timer::H.duration().as_millis() / every.as_millis();
    let refusals = 3 * u32::try_from(kept).unwrap();
    for n in 0..refusals {
        let now = t0 + every * n;
        let invite = new_invite(&mut caller, now, "", &offer);
        let answers = caller.replay(&mut ep, now, &invite);
        assert_eq!(refused(&answers), 1, "{n}: {:?}", text(&answers));
        assert!(
            ep.overload_refusals.len() as u128 <= kept,
            "{n}: {} kept",
            ep.overload_refusals.len()
        );
    }
    assert_eq!(ep.overload_refusals.len() as u128, kept, "Timer H of them");
    assert_eq!(ep.stats().invites_refused_overloaded, u64::from(refusals));
}

/// One count of [`Stats`].
type Counted = fn(&Stats) -> u64;

#[test]
fn a_new_invite_refused_for_its_request_is_counted_once_under_its_cause() {
    let t0 = epoch();
    let offer = audio_offer(addr("127.0.0.1:6000"));
    let unusable = |s: &Stats| s.invites_refused_unusable_offer;
    let small = |s: &Stats| s.invites_refused_session_interval_too_small;
    let cases: [(&str, &str, String, &str, Counted); 7] = [
        (
            "multicast media address",
            "",
            audio_offer(addr("224.0.1.75:40000")),
            "488",
            unusable,
        ),
        (
            "no audio",
            "",
            offer.replace("m=audio", "m=video"),
            "488",
            unusable,
        ),
        (
            "no IP address",
            "",
            offer.replace("c=IN IP4 127.0.0.1", "c=IN IP4 media.example.com"),
            "488",
            unusable,
        ),
        (
            "content coding",
            "Content-Encoding: gzip\r\n",
            offer.clone(),
            "415",
            unusable,
        ),
        (
            "no SDP accepted",
            "Accept: text/plain\r\n",
            offer.clone(),
            "406",
            unusable,
        ),
        (
            "malformed SDP",
            "",
            "v=0\r\nm=audio\r\n".into(),
            "400",
            unusable,
        ),
        (
            "session interval",
            "Session-Expires: 60\r\nSupported: timer\r\n",
            offer.clone(),
            "422",
            small,
        ),
    ];
    for (what, extra, sdp, code, counted) in cases {
        let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
        let invite = new_invite(&mut caller, t0, extra, &sdp);
        assert_refused_once(what, (&mut ep, &caller), &invite, code, counted);
    }
}

/// Asserts that `invite` from `caller`, sent twice, gets `code` both times, through the
/// INVITE's server transaction: counted once, under `counted` only, and no call. `what` names
/// the case.
fn assert_refused_once(
    what: &str,
    (ep, caller): (&mut Endpoint, &Caller),
    invite: &[u8],
    code: &str,
    counted: Counted,
) {
    let t0 = epoch();
    for at in [t0, t0 + Duration::from_millis(100)] {
        let answers = text(&caller.replay(ep, at, invite));
        let status = format!("SIP/2.0 {code} ");
        assert!(
            answers.last().is_some_and(|a| a.starts_with(&status)),
            "{what}: {answers:?}"
        );
    }
    let stats = ep.stats();
    assert_eq!(stats.request_retransmissions_received, 1, "{what}");
    assert_eq!(counted(&stats), 1, "{what}: counted once");
    assert_eq!(invites_refused(&stats), 1, "{what}: under one cause only");
    assert_eq!(ep.poll_event(), None, "{what}: no call");
}

/// A change to a request's text.
type Edit = fn(String) -> String;

#[test]
fn a_new_invite_refused_for_its_headers_is_counted_once_under_its_cause() {
    let t0 = epoch();
    let offer = audio_offer(addr("127.0.0.1:6000"));
    let hops = |s: &Stats| s.invites_refused_too_many_hops;
    let extension = |s: &Stats| s.invites_refused_unsupported_extension;
    let bad = |s: &Stats| s.invites_refused_bad_request;
    let no_hops = |invite: String| invite.replace("Max-Forwards: 70\r\n", "Max-Forwards: 0\r\n");
    let no_contact = |invite: String| {
        let contact = invite.find("Contact: ").unwrap();
        let end = contact + invite[contact..].find("\r\n").unwrap() + 2;
        invite[..contact].to_owned() + &invite[end..]
    };
    let as_sent = |invite: String| invite;
    let cases: [(&str, &str, Edit, &str, Counted); 4] = [
        ("Max-Forwards 0", "", no_hops, "483", hops),
        (
            "unsupported extension",
            "Require: frobnication\r\n",
            as_sent,
            "420",
            extension,
        ),
        ("no Contact", "", no_contact, "400", bad),
        (
            "unreadable Record-Route",
            "Record-Route: <sip:proxy.example.com;lr\r\n",
            as_sent,
            "400",
            bad,
        ),
    ];
    for (what, extra, edit, code, counted) in cases {
        let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
        let sent = new_invite(&mut caller, t0, extra, &offer);
        let invite = edit(String::from_utf8(sent).unwrap());
        assert_refused_once(what, (&mut ep, &caller), invite.as_bytes(), code, counted);
        if code == "400" {
            assert_eq!(ep.stats().bad_requests_sent, 1, "{what}: a 400 sent");
        }
    }
}

#[test]
fn a_400_to_a_malformed_request_in_a_dialog_is_counted_once() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.answered_call(&mut ep, t0);
    let no_key = "Duration=160\r\n";
    caller
        .uac
        .info(t0, "Content-Type: application/dtmf-relay\r\n", no_key);
    let moved = caller.exchange(&mut ep, t0);
    let refused = text(&moved.responses);
    assert!(
        refused[0].starts_with("SIP/2.0 400 Malformed dtmf-relay body\r\n"),
        "{refused:?}"
    );
    assert_eq!(ep.stats().bad_requests_sent, 1);
    let again = caller.replay(&mut ep, t0 + Duration::from_secs(1), &moved.requests[0]);
    assert_eq!(text(&again), refused, "the 400 again");
    let stats = ep.stats();
    assert_eq!(stats.request_retransmissions_received, 1);
    assert_eq!(
        stats.bad_requests_sent, 1,
        "a retransmission is not counted"
    );
}

#[test]
fn a_400_to_a_malformed_offer_in_a_dialog_is_counted_once() {
    let t0 = epoch();
    let (mut ep, mut caller) = (endpoint(), Caller::new(5062));
    caller.answered_call(&mut ep, t0);
    let malformed = "v=0\r\nm=audio\r\n";
    caller.uac.reoffer(t0, "", malformed);
    caller.exchange(&mut ep, t0);
    assert_eq!(caller.uac.codes(Method::Invite), [100, 200, 400]);
    assert_eq!(ep.stats().bad_requests_sent, 1, "the re-INVITE's 400");
    caller.uac.update(t0, "", malformed);
    let moved = caller.exchange(&mut ep, t0);
    assert_eq!(caller.uac.codes(Method::Update), [400]);
    let again = caller.replay(&mut ep, t0 + Duration::from_secs(1), &moved.requests[0]);
    assert_eq!(text(&again), text(&moved.responses), "the 400 again");
    assert_eq!(
        ep.stats().bad_requests_sent,
        2,
        "the UPDATE's 400, not its retransmission"
    );
}

#[test]
fn a_400_the_application_sends_is_not_counted_as_refusing_a_malformed_request() {
    let t0 = epoch();
    let mut ep = endpoint();
    let mut rejected = Caller::new(5062);
    rejected.uac.call(t0, addr("127.0.0.1:6000"));
    let offered = rejected.exchange(&mut ep, t0);
    ep.reject(t0, offered.incoming_call(), 400, "Bad Request")
        .unwrap();
    rejected.exchange(&mut ep, t0);
    assert_eq!(rejected.uac.codes(Method::Invite), [100, 400]);

    let mut reoffering = Caller::new(5064);
    reoffering.answered_call(&mut ep, t0);
    reoffering
        .uac
        .reoffer(t0, "", &audio_offer(addr("127.0.0.1:6002")));
    let offered = reoffering.exchange(&mut ep, t0);
    ep.refuse_offer(t0, session_offer(&offered), 400, "Bad Request")
        .unwrap();
    reoffering.exchange(&mut ep, t0);
    assert_eq!(reoffering.uac.codes(Method::Invite), [100, 200, 400]);

    let stats = ep.stats();
    assert_eq!(stats.responses_sent.classes[3], 2, "both 400s sent");
    assert_eq!(
        stats.bad_requests_sent, 0,
        "neither refuses a malformed request"
    );
}

#[test]
fn framing_refusals_the_shell_sent_are_counted_among_the_responses_sent() {
    let mut ep = endpoint();
    ep.framing_refused(2, 1, 0, 0);
    ep.framing_refused(1, 0, 0, 0);
    let stats = ep.stats();
    assert_eq!((stats.bad_requests_sent, stats.too_large_sent), (3, 1));
    assert_eq!(stats.responses_sent.classes, [0, 0, 0, 3, 1, 0]);
    assert!(ep.poll_transmit().is_none(), "the shell sent them");
}

#[test]
fn requests_the_shell_dropped_for_their_framing_are_counted_as_such_datagrams_are() {
    let no_via = "OPTIONS sip:conf@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let too_large = format!("{no_via}{}", "x".repeat(Limits::DEFAULT_MAX_MESSAGE_BYTES));
    let mut over_udp = endpoint();
    for datagram in [no_via, no_via, &too_large] {
        over_udp.handle_datagram(
            epoch(),
            addr(EP),
            addr("127.0.0.2:5060"),
            datagram.as_bytes(),
        );
    }
    let mut framed = endpoint();
    framed.framing_refused(0, 0, 1, 1);
    framed.framing_refused(0, 0, 1, 0);
    let drops = |ep: &Endpoint| {
        let stats = ep.stats();
        (
            stats.dropped_unroutable_requests,
            stats.dropped_too_large,
            stats.responses_sent.classes,
        )
    };
    assert_eq!(drops(&framed), (2, 1, [0; 6]));
    assert_eq!(drops(&framed), drops(&over_udp), "as over UDP");
    assert!(framed.poll_transmit().is_none(), "nothing is answered");
}

/// An OPTIONS from `from`, the `n`th: a new transaction each, lingering in "Completed" for
/// Timer J over UDP.
fn options(from: SocketAddr, n: u32) -> String {
    format!(
        "OPTIONS sip:conf@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-o{n}\r\n\
         From: <sip:a@{from}>;tag=f{n}\r\nTo: <sip:conf@{EP}>\r\nCall-ID: o{n}@{from}\r\n\
         CSeq: 1 OPTIONS\r\n\r\n"
    )
}

/// How many of `answers` are 503.
fn refused(answers: &[Vec<u8>]) -> usize {
    text(answers)
        .iter()
        .filter(|a| a.starts_with("SIP/2.0 503 "))
        .count()
}

#[test]
fn a_flood_from_a_few_hosts_leaves_room_for_the_others() {
    let t0 = epoch();
    let mut ep = endpoint();
    ep.max_transactions = 256;
    let flooders: Vec<SocketAddr> = (1..=4)
        .map(|n| SocketAddr::new([192, 0, 2, n].into(), 5060))
        .collect();
    for &from in &flooders {
        let flooder = Caller::at(from);
        let answers: Vec<Vec<u8>> = (0..100)
            .flat_map(|n| flooder.replay(&mut ep, t0, options(from, n).as_bytes()))
            .collect();
        assert_eq!(answers.len(), 100, "every request is answered");
    }
    // The first host took the first half of the table alone; past it, each host gets its
    // share (256 / 64 = 4) and then 503.
    let held: Vec<usize> = flooders
        .iter()
        .map(|f| ep.held_by(Host::of(f.ip())))
        .collect();
    assert_eq!(held, [100, 28, 4, 4]);
    assert_eq!(ep.active_transactions(), 136);
    let mut other = Caller::at("192.0.2.9:5060".parse().unwrap());
    other.uac.call(t0, addr("192.0.2.9:6000"));
    let offered = other.exchange(&mut ep, t0);
    assert_eq!(
        refused(&offered.responses),
        0,
        "{:?}",
        text(&offered.responses)
    );
    offered.incoming_call();
    // Each count goes with the last transaction it counted.
    ep.handle_timeout(t0 + Timer::J.duration());
    assert!(flooders.iter().all(|f| ep.held_by(Host::of(f.ip())) == 0));
    assert_eq!(ep.lingering.len(), 0);
    assert_eq!(ep.live_hosts.hosts(), 1, "the INVITE's live transaction");
}

#[test]
fn a_bye_ends_its_call_while_every_transaction_is_taken() {
    let t0 = epoch();
    let mut ep = endpoint();
    let mut caller = Caller::new(5062);
    caller.answered_call(&mut ep, t0);
    ep.max_transactions = ep.active_transactions();
    let mut newcomer = Caller::new(5064);
    newcomer.uac.call(t0, addr("127.0.0.1:6000"));
    let moved = newcomer.exchange(&mut ep, t0);
    assert_eq!(refused(&moved.responses), 1, "a new call gets 503");
    caller.uac.bye(t0);
    let moved = caller.exchange(&mut ep, t0);
    let answers = text(&moved.responses);
    assert!(answers[0].starts_with("SIP/2.0 200 OK\r\n"), "{answers:?}");
    assert!(
        matches!(
            moved.events[..],
            [Event::CallEnded {
                cause: EndCause::RemoteBye,
                ..
            }]
        ),
        "{moved:?}"
    );
}

#[test]
fn a_copy_of_an_invite_is_a_new_call_once_its_transaction_ended_behind_a_longer_one() {
    let t0 = epoch();
    let mut ep = endpoint();
    // Call A: answered, its INVITE "Accepted" until Timer L (32 s).
    Caller::new(5062).answered_call(&mut ep, t0);
    // Call B: refused and acknowledged, its INVITE "Confirmed" until Timer I (5 s).
    let t1 = t0 + Duration::from_secs(1);
    let mut b = Caller::new(5064);
    b.uac.call(t1, addr("127.0.0.1:6000"));
    let offered = b.exchange(&mut ep, t1);
    ep.reject(t1, offered.incoming_call(), 486, "Busy Here")
        .unwrap();
    b.exchange(&mut ep, t1);
    assert_eq!(b.uac.codes(Method::Invite), [100, 486]);
    let copy = forked_copy(&offered.requests[0]);
    let later = t1 + Timer::I.duration() + Duration::from_secs(4);
    let answers = b.replay(&mut ep, later, copy.as_bytes());
    let offered_again =
        std::iter::from_fn(|| ep.poll_event()).any(|e| matches!(e, Event::IncomingCall(_)));
    assert!(offered_again, "{:?}", text(&answers));
}

/// Asserts that [`Endpoint::uses_tcp_connection`] says of each of `peers` what reading every
/// call says; returns the peers it says are used.
fn tcp_use_agrees(ep: &Endpoint, peers: &[SocketAddr]) -> Vec<SocketAddr> {
    for &peer in peers {
        assert_eq!(
            ep.uses_tcp_connection(peer),
            ep.scanned_tcp_use(peer),
            "{peer}"
        );
    }
    peers
        .iter()
        .copied()
        .filter(|&peer| ep.uses_tcp_connection(peer))
        .collect()
}

/// A call from the endpoint to `callee` over `transport`.
fn call_to(callee: SocketAddr, transport: Transport) -> OutgoingCall {
    OutgoingCall {
        request_uri: format!("sip:bob@{callee}"),
        from: format!("<sip:conf@{EP}>"),
        to: format!("<sip:bob@{callee}>"),
        headers: Vec::new(),
        route: Vec::new(),
        destination: callee,
        transport,
        local: addr(EP),
        sdp_offer: audio_offer(addr("127.0.0.1:6000")),
        credentials: None,
        max_forwards: MAX_FORWARDS,
    }
}

/// Moves messages at `now` between the endpoint and `uas` at `callee`, whose responses come
/// over TCP, until both are quiet.
fn exchange_tcp(now: Instant, ep: &mut Endpoint, uas: &mut Uas, callee: SocketAddr) {
    for _ in 0..10 {
        while let Some(t) = ep.poll_transmit() {
            uas.handle_datagram(now, addr(EP), &t.payload);
        }
        while let Some(t) = uas.poll_transmit() {
            ep.handle_message(now, Transport::Tcp, addr(EP), callee, &t.payload);
        }
    }
}

/// Has `uas` answer the latest INVITE with a 200 carrying an SDP answer.
fn answer(uas: &mut Uas) {
    let sdp = audio_offer(addr("127.0.0.1:7000"));
    uas.reply(Method::Invite, 200, "OK", "", &sdp);
}

/// The call whose offer `moved` brought ([`Event::SessionOffer`]).
fn session_offer(moved: &Moved) -> CallKey {
    moved
        .events
        .iter()
        .find_map(|event| match event {
            Event::SessionOffer { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no offer: {moved:?}"))
}

/// Hands the UAC's next request to the endpoint at `now`, its Contact naming `contact`.
fn send_naming(caller: &mut Caller, ep: &mut Endpoint, now: Instant, contact: &str) {
    let sent = caller.uac.poll_transmit().expect("a request");
    let text = String::from_utf8(sent.payload).unwrap();
    let start = text.find("\r\nContact: ").expect("a Contact") + 2;
    let end = start + text[start..].find("\r\n").unwrap();
    let named = format!("{}Contact: <{contact}>{}", &text[..start], &text[end..]);
    ep.handle_message(now, sent.transport, addr(EP), caller.from, named.as_bytes());
}

#[test]
fn a_refused_reinvite_from_a_new_source_moves_where_the_peer_is_reached_not_its_target() {
    for transport in [Transport::Udp, Transport::Tcp] {
        let now = epoch();
        let mut ep = endpoint();
        let (first, moved) = (addr("127.0.0.1:5064"), addr("127.0.0.1:5066"));
        let mut caller = Caller {
            uac: Uac::new(UacConfig {
                transport,
                ..UacConfig::new(first, addr(EP), "conf", "alice")
            }),
            from: first,
        };
        // A Contact naming a host, no address: the peer is reached where it sends from.
        let target = "sip:alice@phone.invalid";
        caller.uac.call(now, addr("127.0.0.1:6000"));
        send_naming(&mut caller, &mut ep, now, target);
        let offered = caller.exchange(&mut ep, now);
        ep.answer(now, offered.incoming_call(), "v=0\r\n".into())
            .unwrap();
        caller.exchange(&mut ep, now);

        // The phone reconnects (behind NAT, its mapping changed) and re-INVITEs from there,
        // with a new Contact; its offer is refused.
        caller.from = moved;
        caller
            .uac
            .reoffer(now, "", &audio_offer(addr("127.0.0.1:6002")));
        send_naming(&mut caller, &mut ep, now, "sip:alice@127.0.0.1:5070");
        let offered = caller.exchange(&mut ep, now);
        let call = session_offer(&offered);
        ep.refuse_offer(now, call, 488, "Not Acceptable Here")
            .unwrap();
        caller.exchange(&mut ep, now);
        assert_eq!(caller.uac.codes(Method::Invite), [100, 200, 488]);

        // §12.2.2 as RFC 6141 §4 makes it precise: the target stays; where the peer is
        // reached follows it.
        ep.probe(now, call).unwrap();
        let probe = ep.poll_transmit().expect("an OPTIONS");
        assert_eq!((probe.destination, probe.transport), (moved, transport));
        let text = String::from_utf8(probe.payload).unwrap();
        assert!(text.starts_with(&format!("OPTIONS {target} ")), "{text}");
        let used = tcp_use_agrees(&ep, &[first, moved]);
        if transport.is_reliable() {
            assert_eq!(used, [moved], "the call holds the new connection");
        } else {
            assert_eq!(used, []);
        }
    }
}

#[test]
fn tcp_connection_use_follows_calls_through_set_up_target_refresh_and_end() {
    let now = epoch();
    let mut ep = endpoint();
    let (first, moved, callee) = (
        addr("127.0.0.1:5064"),
        addr("127.0.0.1:5066"),
        addr("127.0.0.1:5080"),
    );
    let peers = [first, moved, callee];
    let mut caller = Caller {
        uac: Uac::new(UacConfig {
            transport: Transport::Tcp,
            ..UacConfig::new(first, addr(EP), "conf", "alice")
        }),
        from: first,
    };
    caller.answered_call(&mut ep, now);
    assert_eq!(tcp_use_agrees(&ep, &peers), [first]);

    // The peer's re-INVITE, on a new connection, moves the dialog there as it comes.
    caller.from = moved;
    caller.uac.reinvite(now);
    let offered = caller.exchange(&mut ep, now);
    assert_eq!(tcp_use_agrees(&ep, &peers), [moved]);
    ep.accept_offer(now, session_offer(&offered), "v=0\r\n".into())
        .unwrap();
    caller.exchange(&mut ep, now);
    assert_eq!(tcp_use_agrees(&ep, &peers), [moved]);

    // A call placed over TCP uses its connection while it rings and once answered.
    let mut uas = Uas::new(callee);
    uas.transport = Transport::Tcp;
    let placed = ep.invite(now, call_to(callee, Transport::Tcp)).unwrap();
    let exchange = |ep: &mut Endpoint, uas: &mut Uas| exchange_tcp(now, ep, uas, callee);
    exchange(&mut ep, &mut uas);
    uas.reply(Method::Invite, 180, "Ringing", "", "");
    exchange(&mut ep, &mut uas);
    assert_eq!(tcp_use_agrees(&ep, &peers), [moved, callee]);
    answer(&mut uas);
    exchange(&mut ep, &mut uas);
    assert_eq!(tcp_use_agrees(&ep, &peers), [moved, callee]);

    // Each call's end gives its connection up.
    caller.uac.bye(now);
    caller.exchange(&mut ep, now);
    assert_eq!(tcp_use_agrees(&ep, &peers), [callee]);
    ep.hangup(now, placed).unwrap();
    exchange(&mut ep, &mut uas);
    assert_eq!(tcp_use_agrees(&ep, &peers), []);
    assert_eq!(ep.tcp_peers.hosts(), 0, "nothing left counted");
}

#[test]
fn a_call_whose_invite_went_over_tcp_for_its_size_uses_that_connection_until_answered() {
    let now = epoch();
    let mut ep = endpoint();
    let callee = addr("127.0.0.1:5080");
    let peers = [callee];
    let mut uas = Uas::new(callee);
    let mut large = call_to(callee, Transport::Udp);
    large.headers.push(("X-Pad".into(), "p".repeat(1300)));

    // §18.1.1: bound for UDP, too large for it; its final response comes on that connection.
    ep.invite(now, large.clone()).unwrap();
    let sent = ep.poll_transmit().unwrap();
    assert_eq!((sent.transport, sent.destination), (Transport::Tcp, callee));
    uas.handle_datagram(now, addr(EP), &sent.payload);
    uas.reply(Method::Invite, 180, "Ringing", "", "");
    exchange_tcp(now, &mut ep, &mut uas, callee);
    assert_eq!(tcp_use_agrees(&ep, &peers), [callee], "while it rings");
    answer(&mut uas);
    exchange_tcp(now, &mut ep, &mut uas, callee);
    assert_eq!(tcp_use_agrees(&ep, &peers), [], "the dialog is over UDP");

    // Once the connection fails, the INVITE goes over UDP and needs it no more.
    ep.invite(now, large).unwrap();
    assert_eq!(ep.poll_transmit().unwrap().transport, Transport::Tcp);
    assert_eq!(tcp_use_agrees(&ep, &peers), [callee]);
    ep.transport_failed(now, Transport::Tcp, callee);
    assert_eq!(ep.poll_transmit().unwrap().transport, Transport::Udp);
    assert_eq!(tcp_use_agrees(&ep, &peers), []);
    assert_eq!(ep.tcp_peers.hosts(), 0, "nothing left counted");
}

/// Where `ep`'s next message goes, over what, and its text.
fn next_sent(ep: &mut Endpoint) -> (Transport, SocketAddr, String) {
    let sent = ep.poll_transmit().expect("a message sent");
    let text = String::from_utf8(sent.payload).unwrap();
    (sent.transport, sent.destination, text)
}

#[test]
fn a_placed_call_whose_answer_names_a_tls_contact_is_reached_where_the_answer_came_from() {
    let now = epoch();
    let mut ep = endpoint();
    let callee = addr("127.0.0.1:5080");
    let mut uas = Uas::new(callee);
    uas.contact = false;
    let placed = ep.invite(now, call_to(callee, Transport::Udp)).unwrap();
    let (_, _, invite) = next_sent(&mut ep);
    uas.handle_datagram(now, addr(EP), invite.as_bytes());
    let contact = "Contact: <sip:bob@127.0.0.1:5081;transport=tls>\r\n";
    let sdp = audio_offer(addr("127.0.0.1:7000"));
    uas.reply(Method::Invite, 200, "OK", contact, &sdp);
    let ok = uas.poll_transmit().unwrap();
    ep.handle_datagram(now, addr(EP), callee, &ok.payload);
    // No TLS connection is opened from here: the ACK and the BYE go over UDP, where the
    // callee's answer came from, rather than failing and leaving its 2xx unacknowledged.
    let (transport, destination, ack) = next_sent(&mut ep);
    assert!(
        ack.starts_with("ACK sip:bob@127.0.0.1:5081;transport=tls SIP/2.0\r\n"),
        "{ack}"
    );
    assert_eq!((transport, destination), (Transport::Udp, callee));
    ep.hangup(now, placed).unwrap();
    let (transport, destination, bye) = next_sent(&mut ep);
    assert!(bye.starts_with("BYE "), "{bye}");
    assert_eq!((transport, destination), (Transport::Udp, callee));
}
