//! Calls the endpoint places, against a second endpoint or a scripted peer, through the
//! simulated network on virtual time.

mod early_dialog;
mod large_requests;
mod pair;
mod session_timers;

use std::collections::HashSet;
use std::time::Duration;

use pair::*;
use switchyard_sip::testing::{Net, addr, audio_offer, rsip::Method};
use switchyard_sip::{CallError, Credentials, EndCause, Event, Transport};

const MINUTE: Duration = Duration::from_secs(60);

/// A callee that rings (180), offers early media (183 with SDP), then answers.
fn ringing_then_answering() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            let answer = answer_to(call.offer.as_ref().expect("an offer"));
            ep.progress(now, call.call, 180, "Ringing", None).unwrap();
            ep.progress(
                now,
                call.call,
                183,
                "Session Progress",
                Some(answer.clone()),
            )
            .unwrap();
            ep.answer(now, call.call, answer).unwrap();
        }
    })
}

fn answered(pair: &Pair) -> bool {
    pair.a_events
        .iter()
        .any(|e| matches!(e, Event::CallAnswered { .. }))
}

/// Asserts that the caller's only event is the failure of `call` with `code` and `reason`,
/// a failure of the next hop if `try_next`.
fn assert_only_failure(
    pair: &Pair,
    call: switchyard_sip::CallKey,
    code: u16,
    reason: &str,
    try_next: bool,
) {
    let failed = Event::CallFailed {
        call,
        code,
        reason: reason.into(),
        try_next,
    };
    assert_eq!(pair.a_events, [failed]);
}

fn ended(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::CallEnded { .. } | Event::CallFailed { .. }))
}

/// Places a call to the callee endpoint and runs it until the caller has its answer.
fn answered_call(net: Net) -> (Pair, switchyard_sip::CallKey) {
    let mut pair = Pair::new(net, ringing_then_answering());
    let call = pair.invite(call_to(B));
    assert!(pair.run_until(MINUTE, answered), "{:?}", pair.a_names());
    assert!(pair.run_until(MINUTE, |p| p.b_names().contains(&"CallConfirmed".into())));
    (pair, call)
}

#[test]
fn endpoint_to_endpoint_call_with_early_media_ended_by_the_caller() {
    let (mut pair, call) = answered_call(Net::perfect(1));
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallProgress(183+sdp)", "CallAnswered"]
    );
    let Event::CallAnswered { answer, .. } = &pair.a_events[2] else {
        unreachable!()
    };
    assert_eq!(
        answer.sole_stream().unwrap().connection,
        addr("127.0.0.1:40000")
    );
    let Event::IncomingCall(incoming) = &pair.b_events[0] else {
        unreachable!()
    };
    assert_eq!(incoming.request_uri, format!("sip:bob@{B}"));
    assert_eq!(incoming.from_display_name.as_deref(), Some("Alice"));
    assert!(incoming.headers.contains(&("X-Room".into(), "42".into())));
    assert_eq!(
        incoming
            .offer
            .as_ref()
            .and_then(|o| o.sole_stream())
            .map(|s| s.connection),
        Some(addr("127.0.0.1:6000"))
    );
    assert_eq!(pair.a.active_calls(), 1);

    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
    assert_eq!(pair.a_names().last().unwrap(), "CallEnded(LocalHangup)");
    assert_eq!(
        pair.b_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(RemoteBye)"]
    );
    assert_eq!((pair.a.active_calls(), pair.b.active_calls()), (0, 0));
    assert_eq!(pair.a.poll_timeout(), None, "transactions left behind");
    assert_eq!(pair.a.stats().retransmissions_sent, 0);
    assert_eq!(pair.a.stats().outgoing_calls, 1);
    let ack = pair.a_sent_starting("ACK ")[0];
    assert_eq!(header(ack, "CSeq"), Some("1 ACK"));
    assert!(
        ack.starts_with(&format!("ACK sip:{B} SIP/2.0")),
        "to the Contact: {ack}"
    );
}

#[test]
fn bye_from_the_callee_ends_the_call_on_both_sides() {
    let (mut pair, _) = answered_call(Net::perfect(2));
    let Event::IncomingCall(incoming) = &pair.b_events[0] else {
        unreachable!()
    };
    let callee_call = incoming.call;
    pair.b.hangup(pair.now, callee_call).unwrap();
    pair.settle();
    assert_eq!(pair.a_names().last().unwrap(), "CallEnded(RemoteBye)");
    assert_eq!(pair.b_names().last().unwrap(), "CallEnded(LocalHangup)");
    assert_eq!((pair.a.active_calls(), pair.b.active_calls()), (0, 0));
}

/// Loses the first datagram whose first line starts with `start`.
fn lose_first(net: &mut Net, start: &'static str) {
    let mut lost = false;
    net.drop_if(move |d| {
        let hit = !lost && d.payload.starts_with(start.as_bytes());
        lost |= hit;
        hit
    });
}

#[test]
fn each_lost_message_is_recovered() {
    for start in [
        "INVITE ",
        "SIP/2.0 180",
        "SIP/2.0 183",
        "SIP/2.0 200",
        "ACK ",
        "BYE ",
    ] {
        let mut net = Net::perfect(3);
        lose_first(&mut net, start);
        let (mut pair, call) = answered_call(net);
        pair.a.hangup(pair.now, call).unwrap();
        pair.settle();
        assert_eq!(pair.net.lost(), 1, "{start}");
        assert_eq!(
            pair.a_names().last().unwrap(),
            "CallEnded(LocalHangup)",
            "{start}"
        );
        assert_eq!(
            pair.b_names().last().unwrap(),
            "CallEnded(RemoteBye)",
            "{start}"
        );
        let (a, b) = (pair.a.stats(), pair.b.stats());
        match start {
            "INVITE " | "BYE " => assert!(a.retransmissions_sent >= 1, "{start}"),
            "SIP/2.0 200" => assert!(b.retransmissions_sent >= 1, "{start}"),
            "ACK " => {
                assert!(b.retransmissions_sent >= 1, "{start}");
                assert_eq!(
                    a.response_retransmissions_received, 1,
                    "the ACK was sent again"
                );
            }
            _ => {}
        }
        assert_eq!((pair.a.poll_timeout(), pair.b.poll_timeout()), (None, None));
    }
}

#[test]
fn calls_survive_loss_duplication_and_reordering() {
    for seed in 1..=12 {
        let net = Net::lossy(seed, 0.25, 0.15, Duration::from_millis(100));
        let (mut pair, call) = answered_call(net);
        pair.a.hangup(pair.now, call).unwrap();
        pair.settle();
        assert!(
            pair.a_names().contains(&"CallAnswered".into()),
            "seed {seed}"
        );
        assert_eq!(
            pair.a_names().last().unwrap(),
            "CallEnded(LocalHangup)",
            "seed {seed}"
        );
        assert!(ended(&pair.b_events), "seed {seed}");
        assert_eq!(
            (pair.a.active_calls(), pair.b.active_calls()),
            (0, 0),
            "seed {seed}"
        );
        assert_eq!(pair.a.poll_timeout(), None, "seed {seed}");
    }
}

#[test]
fn busy_fails_the_call_and_is_acked_on_the_invite_branch() {
    let mut pair = Pair::new(
        Net::perfect(4),
        Box::new(|ep, now, event| {
            if let Event::IncomingCall(call) = event {
                ep.reject(now, call.call, 486, "Busy Here").unwrap();
            }
        }),
    );
    let call = pair.invite(call_to(B));
    pair.settle();
    assert_only_failure(&pair, call, 486, "Busy Here", false);
    let invite = pair.a_sent_starting("INVITE ")[0];
    let acks = pair.a_sent_starting("ACK ");
    assert_eq!(acks.len(), 1);
    assert_eq!(branch(acks[0]), branch(invite));
    assert!(header(acks[0], "To").unwrap().contains(";tag="));
    assert_eq!(header(acks[0], "CSeq"), Some("1 ACK"));
    assert_eq!(
        pair.b.stats().retransmissions_sent,
        0,
        "the ACK stopped Timer G"
    );
    assert_eq!(pair.a.active_calls(), 0);
    assert!(matches!(
        pair.a.hangup(pair.now, call),
        Err(CallError::UnknownCall(_))
    ));
}

#[test]
fn no_response_fails_the_call_with_408_after_timer_b() {
    let mut pair = Pair::new(Net::perfect(5), idle());
    pair.net.drop_if(|d| d.to == addr(B));
    let call = pair.invite(call_to(B));
    pair.settle();
    assert_only_failure(&pair, call, 408, "Request Timeout", true);
    let sent: Vec<_> = pair.a_sent.iter().map(|(at, _)| at.as_millis()).collect();
    assert_eq!(sent, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(pair.elapsed(), Duration::from_secs(32));
    assert_eq!(pair.a.stats().retransmissions_sent, 6);
}

#[test]
fn a_503_lets_the_next_target_be_tried_and_a_408_response_does_not() {
    for (code, reason, try_next) in [
        (503, "Service Unavailable", true),
        (408, "Request Timeout", false),
    ] {
        let mut pair = Pair::new(Net::perfect(20), idle());
        let call = pair.invite(call_to(P));
        peer_wait(&mut pair, Method::Invite, 1);
        pair.peer.reply(Method::Invite, code, reason, "", "");
        pair.settle();
        assert_only_failure(&pair, call, code, reason, try_next);
    }
}

#[test]
fn an_unreachable_next_hop_fails_its_calls_at_once_with_503() {
    let mut pair = Pair::new(Net::perfect(23), idle());
    let call = pair.invite(call_to(P));
    // Another call, to a next hop that stays reachable (and silent).
    let other = pair.invite(call_to("127.0.0.1:5090"));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.a.transport_failed(pair.now, Transport::Udp, addr(P));
    let to_p = format!("INVITE sip:bob@{P} ");
    let sent = pair.a_sent_starting(&to_p).len();
    assert!(!pair.run_until(Duration::from_secs(5), |p| p.a_events.len() > 1));
    assert_eq!(
        pair.a_events,
        [Event::CallFailed {
            call,
            code: 503,
            reason: format!("Service Unavailable (cannot reach {P})"),
            try_next: true,
        }],
        "only the call whose INVITE went to {P} failed, the next target worth a try; {other:?} goes on"
    );
    assert_eq!(
        pair.a_sent_starting(&to_p).len(),
        sent,
        "its INVITE is not sent again"
    );
    assert!(pair.a_sent_starting("INVITE sip:bob@127.0.0.1:5090 ").len() > 1);
    assert_eq!(pair.a.stats().transport_failures, 1);
}

#[test]
fn an_unreachable_next_hop_leaves_a_ringing_call_to_its_final_response() {
    let mut pair = Pair::new(Net::perfect(24), idle());
    pair.peer.answer_cancel = false;
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    assert!(pair.run_until(MINUTE, |p| !p.a_events.is_empty()));
    // The callee rings: given up, the INVITE could not be cancelled, nor its 2xx taken, while
    // the next target rang too. Its answer may come on a new connection to our Via (§18.2.2).
    pair.a.transport_failed(pair.now, Transport::Udp, addr(P));
    pair.run_for(Duration::from_secs(40));
    assert_eq!(pair.a_names(), ["CallProgress(180)"]);
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered), "{:?}", pair.a_names());
    assert_eq!(pair.a_names(), ["CallProgress(180)", "CallAnswered"]);
    peer_wait(&mut pair, Method::Ack, 1);
    pair.a.hangup(pair.now, call).unwrap();
    peer_wait(&mut pair, Method::Bye, 1);
    pair.peer.reply(Method::Bye, 200, "OK", "", "");
    // One whose hangup sent a CANCEL: the CANCEL is given up at once, and the INVITE waits
    // for its final response (or Timer B, §9.1).
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 2);
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    assert!(pair.run_until(MINUTE, |p| p.a_names().len() > 3));
    pair.a.hangup(pair.now, call).unwrap();
    peer_wait(&mut pair, Method::Cancel, 1);
    pair.a.transport_failed(pair.now, Transport::Udp, addr(P));
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.a.stats().transport_failures, 1, "the CANCEL alone");
    assert_eq!(pair.a_names().last().unwrap(), "CallProgress(180)");
    pair.peer
        .reply(Method::Invite, 487, "Request Terminated", "", "");
    assert!(pair.run_until(MINUTE, |p| ended(&p.a_events[4..])));
    assert_eq!(
        pair.a_events.last(),
        Some(&Event::CallEnded {
            call,
            cause: EndCause::LocalHangup,
        })
    );
    let ack = peer_wait(&mut pair, Method::Ack, 2);
    assert!(ack.starts_with("ACK sip:bob@"), "the 487's: {ack}");
    pair.settle();
    assert_eq!(pair.a.active_transactions(), 0);
}

/// A pair over `net` whose callee rings (180) and whose caller hangs up `hangups` times on
/// the 180.
fn hung_up_while_ringing(net: Net, hangups: usize) -> Pair {
    let mut pair = Pair::new(
        net,
        Box::new(|ep, now, event| {
            if let Event::IncomingCall(call) = event {
                ep.progress(now, call.call, 180, "Ringing", None).unwrap();
            }
        }),
    );
    pair.a_shell = Box::new(move |ep, now, event| {
        if let Event::CallProgress { call, .. } = event {
            for _ in 0..hangups {
                ep.hangup(now, *call).unwrap();
            }
        }
    });
    pair
}

#[test]
fn caller_cancels_after_ringing() {
    let mut pair = hung_up_while_ringing(Net::perfect(6), 2);
    let call = pair.invite(call_to(B));
    pair.settle();
    assert_eq!(
        pair.a_events.last(),
        Some(&Event::CallEnded {
            call,
            cause: EndCause::LocalHangup
        })
    );
    assert_eq!(pair.b_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
    let cancels = pair.a_sent_starting("CANCEL ");
    assert_eq!(cancels.len(), 1, "a second hangup sends nothing");
    assert_eq!(
        branch(cancels[0]),
        branch(pair.a_sent_starting("INVITE ")[0])
    );
    assert_eq!(header(cancels[0], "CSeq"), Some("1 CANCEL"));
    assert_eq!(pair.a_sent_starting("ACK ").len(), 1, "the 487 is ACKed");
    assert_eq!((pair.a.active_calls(), pair.b.active_calls()), (0, 0));
    assert_eq!(pair.a.poll_timeout(), None);
}

#[test]
fn cancel_before_any_provisional_response_waits_for_one() {
    let mut pair = Pair::new(Net::perfect(7), idle());
    let call = pair.invite(call_to(B));
    pair.a.hangup(pair.now, call).unwrap();
    assert_eq!(pair.a.active_calls(), 1);
    pair.settle();
    let cancel_at = pair
        .a_sent
        .iter()
        .find(|(_, text)| text.starts_with("CANCEL "))
        .map(|(at, _)| *at)
        .expect("a CANCEL");
    // The 100 Trying came back after one round trip (2 × 10 ms).
    assert_eq!(cancel_at, Duration::from_millis(20));
    assert_eq!(pair.b_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
    assert_eq!(pair.a_names(), ["CallEnded(LocalHangup)"]);
}

#[test]
fn lost_cancel_is_retransmitted() {
    let mut net = Net::perfect(8);
    lose_first(&mut net, "CANCEL ");
    let mut pair = hung_up_while_ringing(net, 1);
    pair.invite(call_to(B));
    pair.settle();
    assert_eq!(pair.a_names().last().unwrap(), "CallEnded(LocalHangup)");
    assert_eq!(pair.b_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
    assert_eq!(pair.a_sent_starting("CANCEL ").len(), 2);
    assert_eq!(pair.a.stats().retransmissions_sent, 1);
}

#[test]
fn a_2xx_crossing_the_cancel_is_acked_and_byed() {
    let mut pair = Pair::new(Net::perfect(9), idle());
    pair.peer.answer_cancel = false;
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    assert!(pair.run_until(MINUTE, |p| !p.a_events.is_empty()));
    pair.a.hangup(pair.now, call).unwrap();
    peer_wait(&mut pair, Method::Cancel, 1);
    // The callee answered before the CANCEL reached it.
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.peer.reply(
        Method::Cancel,
        481,
        "Call/Transaction Does Not Exist",
        "",
        "",
    );
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert_eq!(pair.peer_got(Method::Ack).len(), 1);
    assert!(header(&bye, "To").unwrap().ends_with(";tag=uas-tag"));
    pair.settle();
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallEnded(LocalHangup)"]
    );
    assert_eq!(pair.a.active_calls(), 0);
    assert_eq!(pair.a.poll_timeout(), None);
}

/// Runs until the scripted UAS holds `n` requests of `method`; returns the last as text.
fn peer_wait(pair: &mut Pair, method: Method, n: usize) -> String {
    assert!(
        pair.run_until(MINUTE, |p| p.peer_got(method).len() >= n),
        "no {method} #{n}: {:?}",
        pair.peer.received().map(|r| &r.text).collect::<Vec<_>>()
    );
    pair.peer_got(method)[n - 1].to_owned()
}

/// The scripted UAS's SDP answer.
fn callee_sdp() -> String {
    audio_offer(addr("127.0.0.1:7000"))
}

fn alice() -> Option<Credentials> {
    Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
    })
}

#[test]
fn a_call_whose_invite_was_challenged_has_heard_from_its_next_hop() {
    let mut pair = Pair::new(Net::perfect(10), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    peer_wait(&mut pair, Method::Invite, 1);
    assert!(pair.a.unheard(call), "nothing came back yet");
    pair.peer.reply(
        Method::Invite,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n1\"\r\n",
        "",
    );
    peer_wait(&mut pair, Method::Invite, 2);
    assert!(
        !pair.a.unheard(call),
        "the challenge came from it: it is no silent target"
    );
}

#[test]
fn proxy_challenge_is_answered_with_digest_on_a_new_branch() {
    let mut pair = Pair::new(Net::perfect(10), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    let first = peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(
        Method::Invite,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\", algorithm=SHA-256\r\n",
        "",
    );
    let second = peer_wait(&mut pair, Method::Invite, 2);
    let ack = peer_wait(&mut pair, Method::Ack, 1);
    assert_eq!(branch(&ack), branch(&first));
    assert_ne!(branch(&second), branch(&first));
    assert_eq!(header(&second, "CSeq"), Some("2 INVITE"));
    assert_eq!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(header(&second, "From"), header(&first, "From"));
    assert_eq!(header(&second, "To"), header(&first, "To"));
    let auth = header(&second, "Proxy-Authorization").unwrap();
    for part in [
        "Digest username=\"alice\"",
        "realm=\"example.com\"",
        "nonce=\"n1\"",
        &format!("uri=\"sip:bob@{P}\""),
        "qop=auth",
        "nc=00000001",
        "algorithm=SHA-256",
    ] {
        assert!(auth.contains(part), "{part} missing in {auth}");
    }
    assert!(!second.contains("secret"));
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    let ack = peer_wait(&mut pair, Method::Ack, 2);
    assert_eq!(header(&ack, "CSeq"), Some("2 ACK"));
    assert_eq!(
        header(&ack, "Proxy-Authorization"),
        Some(auth),
        "§13.2.2.4: the INVITE's credentials"
    );
    assert!(
        ack.starts_with(&format!("ACK sip:{P} SIP/2.0")),
        "to the Contact"
    );
    assert_eq!(pair.a.stats().auth_retries, 1);
    assert!(!format!("{:?}", pair.a).contains("secret"));

    // The proxy challenges the BYE too: it is sent again with credentials.
    pair.peer.answer_bye = false;
    pair.a.hangup(pair.now, call).unwrap();
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert_eq!(header(&bye, "CSeq"), Some("3 BYE"));
    pair.peer.reply(
        Method::Bye,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n2\", qop=\"auth\"\r\n",
        "",
    );
    let again = peer_wait(&mut pair, Method::Bye, 2);
    assert_eq!(header(&again, "CSeq"), Some("4 BYE"));
    assert_ne!(branch(&again), branch(&bye));
    let auth = header(&again, "Proxy-Authorization").unwrap();
    assert!(auth.contains("nonce=\"n2\""), "{auth}");
    assert!(auth.contains(&format!("uri=\"sip:{P}\"")), "{auth}");
    pair.peer.reply(Method::Bye, 200, "OK", "", "");
    pair.settle();
    assert_eq!(pair.a_names().last().unwrap(), "CallEnded(LocalHangup)");
    assert_eq!(pair.a.stats().auth_retries, 2);
}

#[test]
fn a_challenge_to_our_reinvite_is_answered_and_the_ack_carries_the_credentials() {
    let mut pair = Pair::new(Net::perfect(14), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    peer_wait(&mut pair, Method::Invite, 1);
    // The proxy challenges the call's INVITE, then its re-INVITE too.
    let challenge = |nonce: &str| {
        format!("Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"{nonce}\"\r\n")
    };
    pair.peer.reply(
        Method::Invite,
        407,
        "Proxy Authentication Required",
        &challenge("n1"),
        "",
    );
    peer_wait(&mut pair, Method::Invite, 2);
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    let held = format!("{}a=sendonly\r\n", audio_offer(addr("127.0.0.1:6000")));
    pair.a.reoffer(pair.now, call, held).unwrap();
    let reinvite = peer_wait(&mut pair, Method::Invite, 3);
    assert_eq!(header(&reinvite, "Proxy-Authorization"), None);
    pair.peer.reply(
        Method::Invite,
        407,
        "Proxy Authentication Required",
        &challenge("n2"),
        "",
    );
    let again = peer_wait(&mut pair, Method::Invite, 4);
    assert_ne!(branch(&again), branch(&reinvite));
    assert_eq!(header(&again, "CSeq"), Some("4 INVITE"));
    let auth = header(&again, "Proxy-Authorization").expect("credentials");
    assert!(auth.contains("nonce=\"n2\""), "{auth}");
    assert!(again.contains("a=sendonly"), "the same offer: {again}");
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, |p| {
        p.a_names().iter().any(|n| n.starts_with("OfferAnswered"))
    }));
    let ack = peer_wait(&mut pair, Method::Ack, 4);
    assert_eq!(header(&ack, "CSeq"), Some("4 ACK"));
    assert_eq!(
        header(&ack, "Proxy-Authorization"),
        Some(auth),
        "§13.2.2.4: the re-INVITE's credentials"
    );
    assert_eq!(pair.a.stats().auth_retries, 2);
}

#[test]
fn a_challenge_to_our_update_is_answered_with_the_calls_credentials() {
    let mut pair = Pair::new(Net::perfect(15), idle());
    let config = switchyard_sip::EndpointConfig {
        user_agent: "caller".into(),
    };
    pair.a = switchyard_sip::Endpoint::new(config, 11)
        .with_offer_method(switchyard_sip::OfferMethod::Update);
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    peer_wait(&mut pair, Method::Invite, 1);
    let allow = "Allow: INVITE, ACK, CANCEL, BYE, UPDATE\r\n";
    pair.peer
        .reply(Method::Invite, 200, "OK", allow, &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    let held = format!("{}a=sendonly\r\n", audio_offer(addr("127.0.0.1:6000")));
    pair.a.reoffer(pair.now, call, held).unwrap();
    let update = peer_wait(&mut pair, Method::Update, 1);
    assert_eq!(header(&update, "Authorization"), None);
    pair.peer
        .reply(Method::Update, 401, "Unauthorized", &challenge(false), "");
    let again = peer_wait(&mut pair, Method::Update, 2);
    assert_ne!(branch(&again), branch(&update));
    let auth = header(&again, "Authorization").expect("credentials");
    assert!(auth.contains("nonce=\"n0\""), "{auth}");
    assert!(again.contains("a=sendonly"), "the same offer: {again}");
    pair.peer
        .reply(Method::Update, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, |p| {
        p.a_names().iter().any(|n| n.starts_with("OfferAnswered"))
    }));
    assert_eq!(pair.a.stats().auth_retries, 1);
}

fn challenge(stale: bool) -> String {
    format!(
        "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n{}\"{}\r\n",
        u8::from(stale),
        if stale { ", stale=true" } else { "" }
    )
}

#[test]
fn second_challenge_fails_the_call_unless_stale() {
    for (stale, invites) in [(false, 2), (true, 3)] {
        let mut pair = Pair::new(Net::perfect(11), idle());
        let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
        for n in 1..=invites {
            let invite = peer_wait(&mut pair, Method::Invite, n);
            let extra = challenge(stale && n > 1);
            pair.peer
                .reply(Method::Invite, 401, "Unauthorized", &extra, "");
            assert_eq!(header(&invite, "Authorization").is_some(), n > 1);
        }
        pair.settle();
        assert_eq!(
            pair.peer_got(Method::Invite).len(),
            invites,
            "stale {stale}"
        );
        assert_eq!(
            pair.a_events,
            [Event::CallFailed {
                call,
                code: 401,
                reason: "Unauthorized".into(),
                try_next: false,
            }],
            "stale {stale}"
        );
    }
}

#[test]
fn challenge_without_credentials_fails_at_once() {
    let mut pair = Pair::new(Net::perfect(12), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer
        .reply(Method::Invite, 401, "Unauthorized", &challenge(false), "");
    pair.settle();
    assert_eq!(pair.a_names(), ["CallFailed(401)"]);
    assert_eq!(pair.peer_got(Method::Invite).len(), 1);
}

/// Whether `message` holds a CR that ends no line: one a parser ending lines at CR would
/// read a header line of its own after.
fn has_bare_cr(message: &str) -> bool {
    message.split("\r\n").any(|line| line.contains('\r'))
}

#[test]
fn a_challenge_with_a_control_character_in_a_header_is_dropped_not_echoed() {
    let mut pair = Pair::new(Net::perfect(21), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    let invite = peer_wait(&mut pair, Method::Invite, 1);
    let smuggling = "WWW-Authenticate: Digest realm=\"r\rX-Evil: 1\", nonce=\"n\"\r\n";
    pair.peer_send(respond(&invite, 401, "Unauthorized", "t", smuggling, ""));
    pair.run_for(Duration::from_secs(40));
    let invites = pair.peer_got(Method::Invite);
    assert!(invites.len() > 1, "Timer A goes on");
    for sent in invites.iter().chain(&pair.a_sent_starting("")) {
        assert!(header(sent, "Authorization").is_none(), "{sent}");
        assert!(!has_bare_cr(sent), "{sent:?}");
    }
    assert_eq!(pair.a.stats().dropped_unparseable, 1);
    // Nothing was heard from the next hop: a silent target, worth the next one.
    assert_only_failure(&pair, call, 408, "Request Timeout", true);
}

#[test]
fn a_reason_phrase_reaches_the_application_without_control_characters() {
    let mut pair = Pair::new(Net::perfect(22), idle());
    let call = pair.invite(call_to(P));
    let invite = peer_wait(&mut pair, Method::Invite, 1);
    pair.peer_send(respond(
        &invite,
        486,
        "Busy\rX-Evil: 1\x07\tHere",
        "t",
        "",
        "",
    ));
    pair.settle();
    assert_only_failure(
        &pair,
        call,
        486,
        "Busy\u{FFFD}X-Evil: 1\u{FFFD}\tHere",
        false,
    );
}

/// The To tag of each ACK the peer got, in the order it got them: the fork each acknowledged.
fn ack_to_tags(pair: &Pair) -> Vec<&str> {
    pair.peer_got(Method::Ack)
        .into_iter()
        .map(|ack| header(ack, "To").unwrap().rsplit("tag=").next().unwrap())
        .collect()
}

#[test]
fn second_fork_2xx_is_acked_and_byed_and_retransmissions_reacked() {
    let mut pair = Pair::new(Net::perfect(13), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    for tag in ["fork1", "fork2", "fork1"] {
        pair.peer.tag = tag.into();
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert!(header(&bye, "To").unwrap().ends_with(";tag=fork2"), "{bye}");
    assert_eq!(header(&bye, "CSeq"), Some("2 BYE"));
    pair.settle();
    let tags = ack_to_tags(&pair);
    assert_eq!(tags, ["fork1", "fork2", "fork1"]);
    assert_eq!(pair.a_names(), ["CallAnswered"]);
    assert_eq!(pair.a.stats().forked_2xx_released, 1);
    assert_eq!(pair.a.stats().response_retransmissions_received, 1);
    assert_eq!(pair.a.active_calls(), 1, "the first dialog is kept");
}

/// A call with credentials whose INVITE the proxy challenged (nonce `n1`), up to its
/// answer; the proxy then keeps the BYEs it gets unanswered.
fn challenged_call(seed: u64) -> Pair {
    let mut pair = Pair::new(Net::perfect(seed), idle());
    pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(
        Method::Invite,
        407,
        "Proxy Authentication Required",
        &proxy_challenge("n1"),
        "",
    );
    peer_wait(&mut pair, Method::Invite, 2);
    pair.peer.answer_bye = false;
    pair
}

fn proxy_challenge(nonce: &str) -> String {
    format!("Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"{nonce}\"\r\n")
}

/// The proxy challenges the BYE that releases a dialog we do not keep (RFC 3261 §22.3): it is
/// sent once more with credentials, the next CSeq and a new branch; a second challenge ends it.
fn assert_release_challenge_answered_once(pair: &mut Pair, tag: &str) {
    let bye = peer_wait(pair, Method::Bye, 1);
    assert!(
        header(&bye, "To")
            .unwrap()
            .ends_with(&format!(";tag={tag}")),
        "{bye}"
    );
    assert_eq!(header(&bye, "CSeq"), Some("3 BYE"));
    let auth = header(&bye, "Proxy-Authorization").expect("the INVITE's credentials");
    assert!(auth.contains("nonce=\"n1\""), "{auth}");
    pair.peer.reply(
        Method::Bye,
        407,
        "Proxy Authentication Required",
        &proxy_challenge("n2"),
        "",
    );
    let again = peer_wait(pair, Method::Bye, 2);
    assert_eq!(header(&again, "CSeq"), Some("4 BYE"));
    assert_ne!(branch(&again), branch(&bye));
    assert_eq!(header(&again, "Call-ID"), header(&bye, "Call-ID"));
    let auth = header(&again, "Proxy-Authorization").expect("credentials");
    assert!(auth.contains("nonce=\"n2\""), "{auth}");
    assert!(auth.contains(&format!("uri=\"sip:{P}\"")), "{auth}");
    pair.peer.reply(
        Method::Bye,
        407,
        "Proxy Authentication Required",
        &proxy_challenge("n3"),
        "",
    );
    pair.settle();
    assert_eq!(
        pair.peer_got(Method::Bye).len(),
        2,
        "a second challenge is not answered"
    );
    assert_eq!(pair.a.stats().auth_retries, 2);
}

#[test]
fn a_challenge_to_the_bye_releasing_a_second_fork_is_answered_once() {
    let mut pair = challenged_call(19);
    for tag in ["fork1", "fork2"] {
        pair.peer.tag = tag.into();
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    assert_release_challenge_answered_once(&mut pair, "fork2");
    assert_eq!(pair.a_names(), ["CallAnswered"]);
    assert_eq!(pair.a.active_calls(), 1, "the first dialog is kept");
}

#[test]
fn a_challenge_to_the_bye_releasing_a_2xx_without_an_answer_is_answered_once() {
    let mut pair = challenged_call(20);
    pair.peer.tag = "fork1".into();
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    assert_release_challenge_answered_once(&mut pair, "fork1");
    assert_eq!(pair.a_names(), ["CallFailed(488)"]);
    assert_eq!(pair.a.active_calls(), 0);
}

/// A 407's challenges, one per `(realm, nonce)`, asking for `qop=auth` (so answers count
/// their nonce's uses in `nc`).
fn proxy_challenges(realms: &[(&str, &str)]) -> String {
    realms
        .iter()
        .map(|(realm, nonce)| {
            format!(
                "Proxy-Authenticate: Digest realm=\"{realm}\", nonce=\"{nonce}\", qop=\"auth\"\r\n"
            )
        })
        .collect()
}

/// The `(nonce, nc)` of each Digest answer in `request`.
fn nonce_counts(request: &str) -> Vec<(String, String)> {
    let param = |value: &str, name: &str| {
        value
            .split(", ")
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_owned())
    };
    request
        .lines()
        .filter_map(|line| line.strip_prefix("Proxy-Authorization: Digest "))
        .map(|value| (param(value, "nonce").unwrap(), param(value, "nc").unwrap()))
        .collect()
}

#[test]
fn the_bye_releasing_a_fork_and_the_calls_own_requests_never_count_a_nonce_twice() {
    // RFC 7616 §3.4: a proxy refuses a nonce count it has seen, as a replay.
    let mut pair = Pair::new(Net::perfect(23), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    peer_wait(&mut pair, Method::Invite, 1);
    let required = "Proxy Authentication Required";
    let both = proxy_challenges(&[("a.example", "na"), ("b.example", "nb")]);
    pair.peer.reply(Method::Invite, 407, required, &both, "");
    peer_wait(&mut pair, Method::Invite, 2);
    pair.peer.answer_bye = false;
    for tag in ["fork1", "fork2"] {
        pair.peer.tag = tag.into();
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    // The BYE releasing fork2 is challenged for one realm; the proxy goes on issuing that
    // nonce, and challenges the kept call's BYE with it.
    peer_wait(&mut pair, Method::Bye, 1);
    let renewed = proxy_challenges(&[("a.example", "na2")]);
    pair.peer.reply(Method::Bye, 407, required, &renewed, "");
    peer_wait(&mut pair, Method::Bye, 2);
    pair.a.hangup(pair.now, call).unwrap();
    peer_wait(&mut pair, Method::Bye, 3);
    pair.peer.reply(Method::Bye, 407, required, &renewed, "");
    let last = peer_wait(&mut pair, Method::Bye, 4);
    assert!(
        header(&last, "To").unwrap().ends_with(";tag=fork1"),
        "{last}"
    );
    // The ACK of a 2xx repeats its INVITE's credentials (§13.2.2.4, §22.1): no new use.
    let requests: Vec<&str> = [Method::Invite, Method::Bye]
        .into_iter()
        .flat_map(|method| pair.peer_got(method))
        .collect();
    let mut counted = HashSet::new();
    for request in requests {
        for used in nonce_counts(request) {
            assert!(counted.insert(used.clone()), "{used:?} again in {request}");
        }
    }
    assert_eq!(
        counted.len(),
        8,
        "each BYE answers both realms: {counted:?}"
    );
}

const PROXY_AUTH_REQUIRED: &str = "Proxy Authentication Required";

/// Runs until the scripted UAS holds `n` requests of `method`, then challenges the last
/// with a 407 for `realm` with `nonce`; returns that request as text.
fn challenge_nth(pair: &mut Pair, method: Method, n: usize, realm: &str, nonce: &str) -> String {
    let request = peer_wait(pair, method, n);
    let challenge = proxy_challenges(&[(realm, nonce)]);
    pair.peer
        .reply(method, 407, PROXY_AUTH_REQUIRED, &challenge, "");
    request
}

/// `(nonce, nc)` pairs, as [`nonce_counts`] gives them.
fn counts(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(nonce, nc)| ((*nonce).to_owned(), (*nc).to_owned()))
        .collect()
}

#[test]
fn each_proxy_on_the_path_challenging_with_its_own_realm_is_answered_in_turn() {
    // RFC 3261 §22.3: proxy A lets the INVITE through once answered, then proxy B challenges
    // it with its own realm; the INVITE is sent again answering both.
    let mut pair = Pair::new(Net::perfect(24), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    challenge_nth(&mut pair, Method::Invite, 1, "a.example", "na");
    let second = challenge_nth(&mut pair, Method::Invite, 2, "b.example", "nb");
    assert_eq!(nonce_counts(&second), counts(&[("na", "00000001")]));
    let third = peer_wait(&mut pair, Method::Invite, 3);
    assert_eq!(
        nonce_counts(&third),
        counts(&[("na", "00000002"), ("nb", "00000001")])
    );
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    // The BYE meets the same two proxies, each with a new nonce.
    pair.peer.answer_bye = false;
    pair.a.hangup(pair.now, call).unwrap();
    challenge_nth(&mut pair, Method::Bye, 1, "a.example", "na2");
    challenge_nth(&mut pair, Method::Bye, 2, "b.example", "nb2");
    let bye = peer_wait(&mut pair, Method::Bye, 3);
    assert_eq!(
        nonce_counts(&bye),
        counts(&[("na2", "00000002"), ("nb2", "00000001")])
    );
    pair.peer.reply(Method::Bye, 200, "OK", "", "");
    pair.settle();
    assert_eq!(pair.a_names(), ["CallAnswered", "CallEnded(LocalHangup)"]);
    assert_eq!(pair.a.stats().auth_retries, 4);
}

#[test]
fn a_proxy_challenging_its_answered_realm_again_fails_the_call() {
    let mut pair = Pair::new(Net::perfect(25), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    challenge_nth(&mut pair, Method::Invite, 1, "a.example", "na");
    challenge_nth(&mut pair, Method::Invite, 2, "b.example", "nb");
    // Not stale: proxy A refused the credentials, which are not sent again.
    challenge_nth(&mut pair, Method::Invite, 3, "a.example", "na2");
    pair.settle();
    assert_eq!(pair.peer_got(Method::Invite).len(), 3);
    assert_only_failure(&pair, call, 407, PROXY_AUTH_REQUIRED, false);
}

#[test]
fn a_chain_of_proxies_each_with_a_new_realm_is_answered_for_four_realms_then_fails() {
    let mut pair = Pair::new(Net::perfect(26), idle());
    let call = pair.invite(modified(call_to(P), |c| c.credentials = alice()));
    for n in 1..=5 {
        let realm = format!("r{n}.example");
        challenge_nth(&mut pair, Method::Invite, n, &realm, &format!("n{n}"));
    }
    pair.settle();
    let invites = pair.peer_got(Method::Invite);
    assert_eq!(invites.len(), 5, "four realms answered, the fifth not");
    let last = counts(&[
        ("n1", "00000004"),
        ("n2", "00000003"),
        ("n3", "00000002"),
        ("n4", "00000001"),
    ]);
    assert_eq!(nonce_counts(invites[4]), last);
    assert_only_failure(&pair, call, 407, PROXY_AUTH_REQUIRED, false);
    assert_eq!(pair.a.stats().auth_retries, 4);
}

#[test]
fn early_answer_stands_in_for_a_2xx_without_sdp() {
    let mut pair = Pair::new(Net::perfect(14), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    let sdp = audio_offer(addr("127.0.0.1:7002"));
    pair.peer
        .reply(Method::Invite, 183, "Session Progress", "", &sdp);
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    pair.settle();
    assert_eq!(pair.a_names(), ["CallProgress(183+sdp)", "CallAnswered"]);
    let Event::CallAnswered { answer, .. } = &pair.a_events[1] else {
        unreachable!()
    };
    assert_eq!(
        answer.sole_stream().unwrap().connection,
        addr("127.0.0.1:7002")
    );
}

#[test]
fn a_2xx_without_sdp_takes_the_early_answer_of_its_own_dialog_only() {
    let mut pair = Pair::new(Net::perfect(17), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    for (tag, port) in [("fork2", 7002), ("fork1", 7001)] {
        pair.peer.tag = tag.into();
        let sdp = audio_offer(addr(&format!("127.0.0.1:{port}")));
        pair.peer
            .reply(Method::Invite, 183, "Session Progress", "", &sdp);
    }
    pair.peer.tag = "fork2".into();
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    pair.settle();
    let Some(Event::CallAnswered { answer, .. }) = pair.a_events.last() else {
        panic!("{:?}", pair.a_names())
    };
    assert_eq!(
        answer.sole_stream().unwrap().connection,
        addr("127.0.0.1:7002")
    );

    // A fork that brought no answer has none, whatever another one brought.
    let mut pair = Pair::new(Net::perfect(18), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.tag = "fork1".into();
    let sdp = audio_offer(addr("127.0.0.1:7001"));
    pair.peer
        .reply(Method::Invite, 183, "Session Progress", "", &sdp);
    pair.peer.tag = "fork2".into();
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    pair.settle();
    assert_eq!(pair.a_names(), ["CallProgress(183+sdp)", "CallFailed(488)"]);
    assert_eq!(pair.peer_got(Method::Bye).len(), 1);
}

#[test]
fn a_2xx_whose_answer_cannot_be_taken_ends_the_call_whatever_the_183_said() {
    for refused in [
        audio_offer(addr("127.0.0.1:7002")).replace("m=audio 7002", "m=audio 0"),
        audio_offer(addr("224.0.0.9:7002")),
    ] {
        let mut pair = Pair::new(Net::perfect(19), idle());
        pair.invite(call_to(P));
        peer_wait(&mut pair, Method::Invite, 1);
        let early = audio_offer(addr("127.0.0.1:7002"));
        pair.peer
            .reply(Method::Invite, 183, "Session Progress", "", &early);
        pair.peer.reply(Method::Invite, 200, "OK", "", &refused);
        pair.settle();
        assert_eq!(
            pair.a_names(),
            ["CallProgress(183+sdp)", "CallFailed(488)"],
            "{refused}"
        );
        let Some(Event::CallFailed { reason, .. }) = pair.a_events.last() else {
            unreachable!()
        };
        assert!(reason.contains("SDP answer in the 2xx"), "{reason}");
        assert_eq!(pair.peer_got(Method::Ack).len(), 1);
        assert_eq!(pair.peer_got(Method::Bye).len(), 1);
        assert_eq!(pair.a.active_calls(), 0);
    }
}

/// A SIP-T or SIP-I gateway's ISUP Answer message (ITU-T Q.763: its type, no optional part).
const ANM: &str = "\x09\x00";

/// A call whose callee's reliable 183 carries an SDP answer, PRACKed, and whose 200 in that
/// dialog carries `body` of type `content_type`, settled.
fn answered_after_reliable_183(content_type: &str, body: &str) -> Pair {
    let mut pair = Pair::new(Net::perfect(43), idle());
    pair.invite(call_to(P));
    let invite = peer_wait(&mut pair, Method::Invite, 1);
    let early = audio_offer(addr("127.0.0.1:7002"));
    pair.peer.reply(
        Method::Invite,
        183,
        "Session Progress",
        &reliable(1),
        &early,
    );
    peer_wait(&mut pair, Method::PRack, 1);
    pair.peer.reply(Method::PRack, 200, "OK", "", "");
    let extra = format!("Contact: <sip:bob@{P}>\r\nContent-Type: {content_type}\r\n");
    pair.peer_send(respond(&invite, 200, "OK", "uas-tag", &extra, body));
    pair.settle();
    pair
}

#[test]
fn a_2xx_holding_only_isup_stands_on_the_answer_of_the_reliable_183() {
    // RFC 3204: the gateway's 200 carries the ANM alone, offer and answer done in the 183.
    let multipart = format!(
        "--b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\
         Content-Disposition: signal;handling=optional\r\n\r\n{ANM}\r\n--b1--\r\n"
    );
    for (content_type, body) in [
        ("application/ISUP;version=itu-t92+", ANM.to_owned()),
        ("multipart/mixed;boundary=b1", multipart),
    ] {
        let pair = answered_after_reliable_183(content_type, &body);
        assert_eq!(
            pair.a_names(),
            ["CallProgress(183+sdp)", "CallAnswered"],
            "{content_type}"
        );
        let Event::CallAnswered { answer, .. } = &pair.a_events[1] else {
            unreachable!()
        };
        assert_eq!(
            answer.sole_stream().unwrap().connection,
            addr("127.0.0.1:7002"),
            "{content_type}"
        );
        assert_eq!(pair.peer_got(Method::Ack).len(), 1, "{content_type}");
        assert_eq!(pair.peer_got(Method::Bye).len(), 0, "{content_type}");
        assert_eq!(pair.a.active_calls(), 1, "{content_type}");
    }
}

#[test]
fn a_2xx_whose_body_may_hold_sdp_it_cannot_give_ends_the_call_after_a_reliable_183() {
    let sdp = callee_sdp();
    let isup = "Content-Type: application/ISUP;version=itu-t92+\r\n\
                Content-Disposition: signal;handling=required";
    for (content_type, body) in [
        // No closing delimiter: what it holds cannot be told.
        (
            "multipart/mixed;boundary=b1",
            format!("--b1\r\nContent-Type: application/sdp\r\n\r\n{sdp}"),
        ),
        // RFC 5621 §9.1: SDP beside a part we are required to understand, and do not.
        (
            "multipart/mixed;boundary=b1",
            format!(
                "--b1\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n\
                 --b1\r\n{isup}\r\n\r\n{ANM}\r\n--b1--\r\n"
            ),
        ),
    ] {
        let pair = answered_after_reliable_183(content_type, &body);
        assert_eq!(
            pair.a_names(),
            ["CallProgress(183+sdp)", "CallFailed(488)"],
            "{body}"
        );
        assert_eq!(pair.peer_got(Method::Ack).len(), 1, "{body}");
        assert_eq!(pair.peer_got(Method::Bye).len(), 1, "{body}");
    }
}

#[test]
fn a_2xx_without_any_answer_is_acked_byed_and_fails() {
    let mut pair = Pair::new(Net::perfect(15), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    pair.settle();
    assert_eq!(pair.peer_got(Method::Ack).len(), 1);
    assert_eq!(pair.peer_got(Method::Bye).len(), 1);
    assert_eq!(pair.a_names(), ["CallFailed(488)"]);
    assert_eq!(pair.a.active_calls(), 0);
}

#[test]
fn outbound_proxy_gets_the_invite_and_the_cancel_with_the_route() {
    let mut pair = Pair::new(Net::perfect(16), idle());
    let route = "<sip:proxy.example.com;lr>";
    let call = pair.invite(modified(call_to(P), |c| {
        c.request_uri = "sip:bob@example.com".into();
        c.to = "<sip:bob@example.com>".into();
        c.route = vec![route.into()];
    }));
    let invite = peer_wait(&mut pair, Method::Invite, 1);
    assert!(invite.starts_with("INVITE sip:bob@example.com SIP/2.0\r\n"));
    assert_eq!(header(&invite, "Route"), Some(route));
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    assert!(pair.run_until(MINUTE, |p| !p.a_events.is_empty()));
    pair.a.hangup(pair.now, call).unwrap();
    let cancel = peer_wait(&mut pair, Method::Cancel, 1);
    assert_eq!(header(&cancel, "Route"), Some(route));
    assert!(cancel.starts_with("CANCEL sip:bob@example.com SIP/2.0\r\n"));
    assert_eq!(branch(&cancel), branch(&invite));
    pair.settle();
    let ack = peer_wait(&mut pair, Method::Ack, 1);
    assert_eq!(header(&ack, "Route"), Some(route));
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallEnded(LocalHangup)"]
    );
}

#[test]
fn bye_from_the_scripted_callee_ends_the_call() {
    let mut pair = Pair::new(Net::perfect(20), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    pair.peer.bye();
    pair.settle();
    assert_eq!(pair.a_names(), ["CallAnswered", "CallEnded(RemoteBye)"]);
    let ok = pair
        .peer
        .received()
        .find(|r| r.code() == Some(200) && r.cseq_method() == Some(Method::Bye));
    assert!(ok.is_some(), "the caller answered the BYE");
}

#[test]
fn the_callees_first_request_may_have_cseq_0() {
    // §8.1.1.5: any number below 2^31 starts the callee's requests, 0 included; the dialog's
    // remote sequence number is empty until then (§12.1.2).
    let mut pair = Pair::new(Net::perfect(21), idle());
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    pair.peer.next_cseq = 0;
    let first = pair.peer.request(Method::Options, "", "");
    pair.settle();
    // The same number again, on a new branch: out of order (§12.2.2).
    pair.peer_send(first.replace("z9hG4bK-uas-1", "z9hG4bK-uas-again"));
    pair.settle();
    let codes: Vec<_> = pair
        .peer
        .received()
        .filter(|r| r.cseq_method() == Some(Method::Options))
        .filter_map(|r| r.code())
        .collect();
    assert_eq!(codes, [200, 500]);
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
    assert_eq!(pair.a_names(), ["CallAnswered", "CallEnded(LocalHangup)"]);
}

#[test]
fn a_placed_calls_route_set_is_the_record_route_of_its_2xx_reversed() {
    let mut pair = Pair::new(Net::perfect(21), idle());
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    // §16.6 step 4: each proxy puts itself first, so the one nearest the callee leads.
    let record_route = format!("Record-Route: <sip:192.0.2.60:5080;lr>, <sip:{P};lr>\r\n");
    pair.peer
        .reply(Method::Invite, 200, "OK", &record_route, &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    let ack = peer_wait(&mut pair, Method::Ack, 1);
    pair.a.hangup(pair.now, call).unwrap();
    // It reached P, the first route (§12.2.1.1, loose routing): the peer holds it.
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    // §12.1.2: the route set is the Record-Route in reverse; the Request-URI the Contact.
    let routes = format!("Route: <sip:{P};lr>\r\nRoute: <sip:192.0.2.60:5080;lr>\r\n");
    for request in [&ack, &bye] {
        assert!(request.contains(&routes), "{request}");
    }
    assert!(
        bye.starts_with(&format!("BYE sip:{P} SIP/2.0\r\n")),
        "{bye}"
    );
}

#[test]
fn bad_arguments_are_named() {
    let mut pair = Pair::new(Net::perfect(17), idle());
    let err = pair
        .a
        .invite(
            pair.now,
            modified(call_to(B), |c| c.to = "<sip:bob@b>;tag=x".into()),
        )
        .unwrap_err();
    assert_eq!(
        err,
        CallError::InvalidAddress {
            field: "To",
            value: "<sip:bob@b>;tag=x".into()
        }
    );
    let err = pair
        .a
        .invite(
            pair.now,
            modified(call_to(B), |c| c.request_uri = format!("sips:bob@{B}")),
        )
        .unwrap_err();
    assert_eq!(
        err,
        CallError::InvalidRequest {
            reason: "Unsupported URI Scheme".into()
        },
        "RFC 3261 §26.2.2: a SIPS Request-URI asks for TLS, which placed calls do not use"
    );
    assert!(pair.a.poll_transmit().is_none());
    assert_eq!(pair.a.active_calls(), 0);
    let mut pair = Pair::new(Net::perfect(17), idle());
    pair.b_shell = Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            assert_eq!(
                ep.progress(now, call.call, 200, "OK", None),
                Err(CallError::InvalidStatus(200))
            );
            ep.reject(now, call.call, 603, "Decline").unwrap();
            assert!(ep.progress(now, call.call, 180, "Ringing", None).is_err());
        }
    });
    pair.invite(call_to(B));
    pair.settle();
    assert_eq!(pair.a_names(), ["CallFailed(603)"]);
}

#[test]
fn a_flood_of_forks_is_bounded() {
    let mut pair = Pair::new(Net::perfect(18), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    for n in 0..20 {
        pair.peer.tag = format!("f{n}");
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    pair.settle();
    assert_eq!(pair.peer_got(Method::Ack).len(), 16);
    assert_eq!(pair.peer_got(Method::Bye).len(), 15);
    assert_eq!(pair.a.stats().dropped_stray_responses, 4);
    assert_eq!(pair.a_names(), ["CallAnswered"]);
}

/// A 2xx without the Contact RFC 3261 §12.1.2 asks for, as an RFC 2543 callee sends it: the
/// call goes on with the INVITE's Request-URI as its remote target, where the INVITE went
/// for a host name. Each copy of the 2xx is ACKed there (§13.2.2.4), and so is the BYE sent.
#[test]
fn a_2xx_without_contact_is_acked_and_the_call_goes_on_at_the_request_uri() {
    const TARGET: &str = "sip:bob@callee.example.com";
    let mut pair = Pair::new(Net::perfect(19), idle());
    pair.peer.contact = false;
    let call = pair.invite(modified(call_to(P), |c| c.request_uri = TARGET.into()));
    peer_wait(&mut pair, Method::Invite, 1);
    for _ in 0..2 {
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    pair.settle();
    assert_eq!(pair.a_names(), ["CallAnswered"]);
    assert_eq!(pair.a.active_calls(), 1);
    let acks = pair.peer_got(Method::Ack);
    assert_eq!(acks.len(), 2, "{acks:?}");
    for ack in acks {
        assert!(
            ack.starts_with(&format!("ACK {TARGET} SIP/2.0\r\n")),
            "{ack}"
        );
    }
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
    let byes = pair.peer_got(Method::Bye);
    assert_eq!(byes.len(), 1, "{byes:?}");
    assert!(
        byes[0].starts_with(&format!("BYE {TARGET} SIP/2.0\r\n")),
        "{}",
        byes[0]
    );
    assert_eq!(pair.a_names(), ["CallAnswered", "CallEnded(LocalHangup)"]);
    assert_eq!(pair.a.active_calls(), 0);
}

/// A 2xx whose Contact or Record-Route URI has an "@" past its userinfo's, as peers write an
/// e-mail address as a user unescaped (RFC 3261 §25.1 wants it `%40`): every reader takes
/// the host after the first "@", which is no IP literal here, so the ACK goes where the INVITE
/// went and the call is up.
#[test]
fn a_2xx_naming_an_email_address_as_a_user_is_acked() {
    let rr = "<sip:a@b@10.0.0.5;lr>";
    for (extra, request_line, route) in [
        (
            "Contact: <sip:a@b@10.0.0.5:5060>\r\n".to_owned(),
            "ACK sip:a@b@10.0.0.5:5060 SIP/2.0\r\n".to_owned(),
            None,
        ),
        (
            format!("Contact: <sip:bob@{P}>\r\nRecord-Route: {rr}\r\n"),
            format!("ACK sip:bob@{P} SIP/2.0\r\n"),
            Some(format!("Route: {rr}\r\n")),
        ),
    ] {
        let mut pair = Pair::new(Net::perfect(23), idle());
        pair.peer.contact = false;
        pair.invite(call_to(P));
        peer_wait(&mut pair, Method::Invite, 1);
        pair.peer
            .reply(Method::Invite, 200, "OK", &extra, &callee_sdp());
        pair.settle();
        assert_eq!(pair.a_names(), ["CallAnswered"], "{extra}");
        let acks = pair.peer_got(Method::Ack);
        assert_eq!(acks.len(), 1, "{extra}: {acks:?}");
        assert!(acks[0].starts_with(&request_line), "{}", acks[0]);
        if let Some(route) = route {
            assert!(acks[0].contains(&route), "{}", acks[0]);
        }
        assert_eq!(pair.a.active_calls(), 1, "{extra}");
    }
}

/// A first 2xx without a Contact makes the call, and another fork's 2xx within Timer M is
/// ACKed (again for its retransmission) and released with a BYE (RFC 3261 §13.2.2.4).
#[test]
fn a_later_fork_2xx_after_one_without_contact_is_acked_and_byed() {
    let mut pair = Pair::new(Net::perfect(19), idle());
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.contact = false;
    pair.peer.tag = "fork1".into();
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.peer.contact = true;
    pair.peer.tag = "fork2".into();
    for _ in 0..2 {
        pair.peer
            .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    }
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert!(header(&bye, "To").unwrap().ends_with(";tag=fork2"), "{bye}");
    pair.settle();
    let tags = ack_to_tags(&pair);
    assert_eq!(tags, ["fork1", "fork2", "fork2"]);
    assert_eq!(pair.peer_got(Method::Bye).len(), 1);
    assert_eq!(pair.a_names(), ["CallAnswered"]);
    assert_eq!(pair.a.stats().forked_2xx_released, 1);
    assert_eq!(pair.a.active_calls(), 1, "the first dialog is kept");
}

/// Odd responses and seeded byte mutations of real ones, answered to the caller's INVITEs:
/// whatever happens, nothing panics and every call ends or fails in time.
#[test]
fn odd_and_mutated_responses_never_panic() {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    let contact = format!("Contact: <sip:bob@{P}>\r\n");
    let sdp = audio_offer(addr("127.0.0.1:7000"));
    let odd: [fn(&str) -> String; 7] = [
        |i| respond(i, 200, "OK", "", "Contact: <sip:bob@h>\r\n", "v=0\r\n"),
        |i| {
            respond(
                i,
                200,
                "OK",
                "t",
                "Contact: *\r\nRecord-Route: <junk\r\n",
                "",
            )
        },
        |i| respond(i, 183, "", "t", "", "not sdp"),
        |i| {
            respond(
                i,
                407,
                "Proxy Auth",
                "t",
                "Proxy-Authenticate: Digest a\u{e9}=x\r\n",
                "",
            )
        },
        |i| {
            respond(
                i,
                401,
                "U",
                "t",
                "WWW-Authenticate: Digest realm=\"r\r\n",
                "",
            )
        },
        |i| respond(i, 699, "\u{1F600}", "t", "", ""),
        |i| respond(i, 100, "Trying", "", "", ""),
    ];
    let credentials = alice();
    for seed in 0..60u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut pair = Pair::new(Net::perfect(seed), idle());
        let call = pair.invite(modified(call_to(P), |c| {
            c.credentials = credentials.clone()
        }));
        let invite = peer_wait(&mut pair, Method::Invite, 1);
        let mut responses: Vec<String> = odd.iter().map(|f| f(&invite)).collect();
        for base in [
            respond(&invite, 180, "Ringing", "t", &contact, &sdp),
            respond(&invite, 200, "OK", "t", &contact, &sdp),
            respond(
                &invite,
                407,
                "P",
                "t",
                "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"\r\n",
                "",
            ),
        ] {
            let mut bytes = base.into_bytes();
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..bytes.len());
                bytes[at] = rng.random();
            }
            responses.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        let pick = rng.random_range(0..responses.len());
        let chosen = responses.swap_remove(pick);
        pair.peer_send(chosen);
        for response in responses.into_iter().filter(|_| rng.random_bool(0.3)) {
            pair.peer_send(response);
        }
        let limit = pair.elapsed() + Duration::from_secs(120);
        // Ringing may go on past the limit, so either outcome will do here.
        let _answered_or_ended = pair.run_until(limit, |p| ended(&p.a_events) || answered(p));
        // Answered, ringing or never answered: a hangup ends it (Timer F, Timer B).
        let _ = pair.a.hangup(pair.now, call);
        let limit = pair.elapsed() + Duration::from_secs(120);
        assert!(
            pair.run_until(limit, |p| ended(&p.a_events)),
            "seed {seed}: {:?}",
            pair.a_names()
        );
        assert_eq!(pair.a.active_calls(), 0, "seed {seed}");
    }
}

#[test]
fn a_placed_call_refreshes_its_session_when_the_callee_makes_it_refresher() {
    let mut pair = Pair::new(Net::perfect(32), idle());
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    let invite = pair.peer.requests(Method::Invite)[0].text.clone();
    assert_eq!(
        header(&invite, "Supported"),
        Some("100rel, timer"),
        "{invite}"
    );
    pair.peer.reply(
        Method::Invite,
        200,
        "OK",
        "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n",
        &callee_sdp(),
    );
    assert!(pair.run_until(MINUTE, answered));
    let answered_at = pair.elapsed();
    // RFC 4028 §10: the refresher refreshes at half the interval.
    assert!(pair.run_until(2 * MINUTE, |p| p.peer.requests(Method::Invite).len() == 2));
    let refresh_at = pair.elapsed() - answered_at;
    assert!(
        (Duration::from_secs(59)..=Duration::from_secs(61)).contains(&refresh_at),
        "refreshed {refresh_at:?} after the answer"
    );
    let refresh = pair.peer.requests(Method::Invite)[1].text.clone();
    assert!(
        header(&refresh, "Session-Expires").is_some_and(|v| v.starts_with("120")),
        "{refresh}"
    );
    // RFC 3264 §8: the same session offered again, its o= version one higher.
    let body = |text: &str| text.split_once("\r\n\r\n").unwrap().1.to_owned();
    let version = |sdp: &str| -> u64 {
        let origin = sdp.lines().find(|l| l.starts_with("o=")).unwrap();
        origin.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    let (first, again) = (body(&invite), body(&refresh));
    assert_eq!(version(&again), version(&first) + 1, "{again}");
    let others = |sdp: &str| -> Vec<String> {
        sdp.lines()
            .filter(|l| !l.starts_with("o="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(others(&again), others(&first));
    assert!(!ended(&pair.a_events), "{:?}", pair.a_names());
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn with_session_timers_off_a_session_expires_in_the_2xx_starts_no_timer() {
    for refresher in ["uas", "uac"] {
        let mut pair = Pair::new(Net::perfect(34), idle());
        let config = switchyard_sip::EndpointConfig {
            user_agent: "caller".into(),
        };
        let off = switchyard_sip::SessionTimers {
            enabled: false,
            ..switchyard_sip::SessionTimers::default()
        };
        pair.a = switchyard_sip::Endpoint::new(config, 11).with_session_timers(off);
        let call = pair.invite(call_to(P));
        peer_wait(&mut pair, Method::Invite, 1);
        // RFC 4028 §8: a proxy on the path put a Session-Expires in the 2xx.
        let expires = format!("Session-Expires: 90;refresher={refresher}\r\n");
        pair.peer
            .reply(Method::Invite, 200, "OK", &expires, &callee_sdp());
        assert!(pair.run_until(MINUTE, answered));
        pair.run_for(2 * MINUTE);
        assert_eq!(
            pair.peer_got(Method::Invite).len(),
            1,
            "{refresher}: no refresh"
        );
        assert!(
            pair.peer_got(Method::Bye).is_empty(),
            "{refresher}: no expiry"
        );
        assert_eq!(pair.a_names(), ["CallAnswered"], "{refresher}");
        assert_eq!(pair.a.active_calls(), 1, "{refresher}");
        pair.a.hangup(pair.now, call).unwrap();
        pair.settle();
    }
}

/// The headers of a reliable provisional response numbered `rseq` (RFC 3262 §7).
fn reliable(rseq: u32) -> String {
    format!("Require: 100rel\r\nRSeq: {rseq}\r\n")
}

#[test]
fn a_callee_numbering_reliable_ringing_on_and_on_gets_32_pracks_and_no_more() {
    let mut pair = Pair::new(Net::perfect(41), idle());
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    for rseq in 1..=1000 {
        pair.peer
            .reply(Method::Invite, 180, "Ringing", &reliable(rseq), "");
    }
    pair.settle();
    // Each PRACK once, however often it was resent unanswered.
    let racks: std::collections::BTreeSet<_> = pair
        .peer_got(Method::PRack)
        .iter()
        .filter_map(|prack| header(prack, "RAck"))
        .collect();
    let first_32: std::collections::BTreeSet<_> =
        (1..=32).map(|rseq| format!("{rseq} 1 INVITE")).collect();
    assert_eq!(racks, first_32.iter().map(String::as_str).collect());
    let progress = pair
        .a_names()
        .iter()
        .filter(|name| *name == "CallProgress(180)")
        .count();
    assert_eq!(progress, 32, "the rest were discarded");
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn reliable_ringing_is_pracked_once_each_and_the_dialog_goes_on_from_the_pracks() {
    let mut pair = Pair::new(Net::perfect(40), idle());
    let call = pair.invite(call_to(P));
    let invite = peer_wait(&mut pair, Method::Invite, 1);
    assert_eq!(header(&invite, "Supported"), Some("100rel, timer"));
    pair.peer
        .reply(Method::Invite, 180, "Ringing", &reliable(7), "");
    // Its retransmission is discarded: no second PRACK, no second progress.
    pair.peer
        .reply(Method::Invite, 180, "Ringing", &reliable(7), "");
    let prack = peer_wait(&mut pair, Method::PRack, 1);
    assert_eq!(header(&prack, "RAck"), Some("7 1 INVITE"));
    assert_eq!(header(&prack, "CSeq"), Some("2 PRACK"));
    assert!(
        prack.starts_with(&format!("PRACK sip:{P} SIP/2.0")),
        "to the callee's Contact: {prack}"
    );
    assert!(header(&prack, "To").is_some_and(|to| to.ends_with("tag=uas-tag")));
    pair.peer.reply(Method::PRack, 200, "OK", "", "");
    // One out of order (a gap in RSeq) is discarded; the next one is taken.
    pair.peer
        .reply(Method::Invite, 183, "Session Progress", &reliable(9), "");
    pair.settle();
    pair.peer.reply(
        Method::Invite,
        183,
        "Session Progress",
        &reliable(8),
        &callee_sdp(),
    );
    let prack = peer_wait(&mut pair, Method::PRack, 2);
    assert_eq!(header(&prack, "RAck"), Some("8 1 INVITE"));
    assert_eq!(header(&prack, "CSeq"), Some("3 PRACK"));
    pair.peer.reply(Method::PRack, 200, "OK", "", "");
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.settle();
    assert_eq!(pair.peer_got(Method::PRack).len(), 2);
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallProgress(183+sdp)", "CallAnswered"]
    );
    assert_eq!(header(pair.peer_got(Method::Ack)[0], "CSeq"), Some("1 ACK"));
    // The confirmed dialog's next request comes after the PRACKs (§12.2.1.1).
    pair.a.hangup(pair.now, call).unwrap();
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert_eq!(header(&bye, "CSeq"), Some("4 BYE"));
}
