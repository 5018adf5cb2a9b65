//! Requests inside a confirmed call (RFC 3261 §14, RFC 3311, RFC 4028, RFC 3264 §8, INFO
//! DTMF, OPTIONS probes) through the simulated network, on virtual time.

mod common;

use std::time::Duration;

use common::*;
use rsip::Method;
use switchyard_sip::sdp::{Direction, Offer};
use switchyard_sip::testing::response_to;
use switchyard_sip::{CallKey, Event, SessionTimers};

/// A call from the UAC, whose INVITE carries the header lines `extra`, confirmed under
/// `shell`.
fn confirmed_with(seed: u64, extra: &str, shell: Shell) -> (Sim, CallKey) {
    let mut sim = Sim::new(Net::perfect(seed), seed, shell);
    sim.uac.invite(sim.now, extra, &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallConfirmed")
    }));
    let call = first_call(&sim);
    (sim, call)
}

/// Answers calls but leaves later offers waiting.
fn idle_answering_shell() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            ep.answer(
                now,
                call.call,
                g711_answer(call.offer.as_ref().expect("an offer")),
            )
            .unwrap();
        }
    })
}

fn confirmed(seed: u64) -> (Sim, CallKey) {
    confirmed_with(seed, "", answering_shell())
}

/// [`offer`] with a direction attribute.
fn offer_with(direction: &str) -> String {
    format!("{}a={direction}\r\n", offer())
}

/// Sends our re-INVITE of `call` offering `offer`, which the UAC answers 180; returns its text
/// once the UAC has it.
fn ringing_reinvite(sim: &mut Sim, call: CallKey, offer: String) -> String {
    sim.uac.invite_answers.push_back(180);
    sim.ep.reoffer(sim.now, call, offer).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.uac.requests(Method::Invite).len() == 1
    }));
    sim.uac.requests(Method::Invite)[0].text.clone()
}

/// The offers of the SessionOffer events so far.
fn session_offers(sim: &Sim) -> Vec<Offer> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::SessionOffer { offer, .. } => Some(offer.clone()),
            _ => None,
        })
        .collect()
}

/// Runs until the UAC got `n` responses to INVITEs.
fn run_to_invite_responses(sim: &mut Sim, n: usize) {
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(60), |s| s
            .uac
            .codes(Method::Invite)
            .len()
            >= n),
        "{:?}",
        sim.uac.codes(Method::Invite)
    );
}

#[test]
fn hold_resume_codec_and_address_changes_are_offered_and_answered() {
    let (mut sim, _) = confirmed(20);
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    run_to_invite_responses(&mut sim, 3);
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert!(ok.body().contains("a=recvonly\r\n"), "{}", ok.body());
    assert!(
        ok.body().contains("o=switchyard 1 2 IN IP4"),
        "{}",
        ok.body()
    );
    assert_eq!(
        session_offers(&sim)[0].sole_stream().unwrap().direction,
        Direction::SendOnly
    );

    sim.uac.reoffer(sim.now, "", &offer_with("sendrecv"));
    run_to_invite_responses(&mut sim, 4);
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(body.contains("a=sendrecv\r\n") && body.contains("o=switchyard 1 3 "));

    let pcma = offer().replace(
        "RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000",
        "RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000",
    );
    sim.uac.reoffer(sim.now, "", &pcma);
    run_to_invite_responses(&mut sim, 5);
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(body.contains("m=audio 40000 RTP/AVP 8 101\r\n"), "{body}");

    sim.uac
        .reoffer(sim.now, "", &audio_offer(addr("127.0.0.1:7000")));
    run_to_invite_responses(&mut sim, 6);
    assert_eq!(
        session_offers(&sim)[3].sole_stream().unwrap().connection,
        addr("127.0.0.1:7000")
    );

    sim.run_for(Duration::from_secs(40));
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "SessionOffer",
            "SessionOffer",
            "SessionOffer",
            "SessionOffer"
        ]
    );
    assert_eq!(
        sim.ep.stats().retransmissions_sent,
        0,
        "every 2xx was ACKed"
    );
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn lost_reinvite_200_and_ack_are_recovered_by_retransmissions() {
    let (mut sim, _) = confirmed(21);
    let mut dropped = [false; 3];
    sim.net.drop_if(move |d| {
        let text = String::from_utf8_lossy(&d.payload);
        let kind = if text.starts_with("INVITE ") && text.contains("CSeq: 2 INVITE") {
            0
        } else if text.starts_with("SIP/2.0 200") && text.contains("CSeq: 2 INVITE") {
            1
        } else if text.starts_with("ACK ") && text.contains("CSeq: 2 ACK") {
            2
        } else {
            return false;
        };
        !std::mem::replace(&mut dropped[kind], true)
    });
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(60), |s| {
        s.uac.codes(Method::Invite).len() >= 4
    }));
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.net.lost(), 3);
    assert_eq!(
        session_offers(&sim).len(),
        1,
        "one offer despite retransmissions"
    );
    assert!(
        sim.ep.stats().retransmissions_sent >= 2,
        "the 2xx was resent"
    );
    assert_eq!(sim.ep.active_calls(), 1);
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "SessionOffer"]
    );
}

#[test]
fn crossing_reinvites_get_491() {
    let (mut sim, call) = confirmed(22);
    sim.ep
        .reoffer(
            sim.now,
            call,
            g711_answer(&Offer::parse(offer().as_bytes()).unwrap()),
        )
        .unwrap();
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    run_to_invite_responses(&mut sim, 3);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 491]);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    assert!(session_offers(&sim).is_empty());
}

#[test]
fn our_reinvite_is_retried_after_491_and_answered() {
    let (mut sim, call) = confirmed(23);
    sim.uac.invite_answers.push_back(491);
    let start = sim.elapsed();
    let hold = offer_with("sendonly");
    sim.ep.reoffer(sim.now, call, hold).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
        s.has_event("OfferAnswered")
    }));
    let invites = sim.sent_times("INVITE ", "INVITE");
    assert_eq!(invites.len(), 2);
    assert_eq!(invites[0], start);
    assert!(
        invites[1] - invites[0] <= Duration::from_millis(2_020),
        "§14.1: 0-2 s for the non-owner of the Call-ID: {:?}",
        invites[1] - invites[0]
    );
    let acks = sent_texts(&sim, |t| t.starts_with("ACK "));
    assert_eq!(acks.len(), 2, "the 491 and the 200 were ACKed");
    assert!(acks[0].contains("CSeq: 1 ACK") && acks[1].contains("CSeq: 2 ACK"));
    let Some((_, Event::OfferAnswered { answer, .. })) = sim.events.last() else {
        panic!("{:?}", sim.event_names())
    };
    assert_eq!(answer.sole_stream().unwrap().connection, addr(UAC));
    // The retry carried the same description, its o= line continuing the call's.
    let sent = sent_texts(&sim, |t| t.starts_with("INVITE "));
    assert!(
        sent[0].contains("o=switchyard 1 2 IN IP4 127.0.0.1\r\n"),
        "{}",
        sent[0]
    );
    let body = |text: &str| text.split_once("\r\n\r\n").unwrap().1.to_owned();
    assert_eq!(body(&sent[0]), body(&sent[1]));
    assert!(sent[0].contains("\r\nContact: <sip:127.0.0.1:5060>\r\n"));
}

#[test]
fn a_retry_after_491_due_while_our_2xx_awaits_its_ack_waits_for_the_ack() {
    let (mut sim, call) = confirmed(43);
    sim.uac.invite_answers.push_back(491);
    // The peer's ACK to our 2xx for its re-INVITE (CSeq 2) is lost three times: it gets
    // through with the third retransmission of the 2xx, 3.5 s on (§13.3.1.4).
    let mut lost = 0;
    sim.net.drop_if(move |d| {
        let ack = d.to == addr(EP)
            && d.payload.starts_with(b"ACK ")
            && String::from_utf8_lossy(&d.payload).contains("CSeq: 2 ACK");
        let drop = ack && lost < 3;
        lost += u32::from(drop);
        drop
    });
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(1), |s| {
        !s.sent_times("ACK ", "CSeq: 1 ACK").is_empty()
    }));
    let refused_at = sim.elapsed();
    sim.uac.reoffer(sim.now, "", &offer_with("sendrecv"));
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| s
            .has_event("OfferAnswered")),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(
        sim.event_names()[2..],
        ["SessionOffer", "OfferAnswered"],
        "the hold was not given up"
    );
    let oks = sim.sent_times("SIP/2.0 200", "CSeq: 2 INVITE");
    assert_eq!(oks.len(), 4, "the 2xx was sent three times more");
    let invites = sim.sent_times("INVITE ", "INVITE");
    assert_eq!(invites.len(), 2);
    assert!(
        invites[1] > oks[3] && invites[1] - refused_at > Duration::from_millis(2_020),
        "§14.1's wait (0-2 s) ended before the ACK came: {:?}",
        invites[1] - refused_at
    );
    let Some((_, Event::OfferAnswered { offer, .. })) = sim.events.last() else {
        unreachable!()
    };
    assert!(offer.contains("a=sendonly\r\n"), "{offer}");
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.ep.active_calls(), 1);
    assert!(
        !sim.event_names()
            .iter()
            .any(|e| e.starts_with("OfferRefused"))
    );
}

/// The bodies of the re-INVITEs the endpoint sent so far, with their times.
fn reinvite_bodies(sim: &Sim) -> Vec<(Duration, String)> {
    requests_at(sim, "INVITE")
        .into_iter()
        .map(|(at, text)| (at, text.split_once("\r\n\r\n").unwrap().1.to_owned()))
        .collect()
}

#[test]
fn a_refresh_refused_491_while_our_offer_waits_to_be_retried_does_not_replace_it() {
    // We refresh the session every 45 s (RFC 4028 §10).
    let (mut sim, call) = confirmed_with(
        47,
        "Session-Expires: 90;refresher=uas\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // Our hold goes just before the refresh falls due and glares (§14.1); the refresh, sent
    // in the hold's wait, glares too.
    sim.uac.invite_answers.extend([491, 491]);
    sim.run_for(answered + Duration::from_millis(44_900) - sim.elapsed());
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
            s.has_event("OfferAnswered")
        }),
        "{:?}",
        sim.event_names()
    );
    let sent = reinvite_bodies(&sim);
    let holds = |sent: &[(Duration, String)]| {
        sent.iter()
            .filter(|(_, body)| body.contains("a=sendonly"))
            .count()
    };
    assert_eq!(sent.len(), 3, "{sent:#?}");
    assert!(
        sent[0].1.contains("a=sendonly") && !sent[1].1.contains("a=sendonly"),
        "the refresh went in the hold's wait: {sent:#?}"
    );
    assert_eq!(holds(&sent), 2, "the hold was sent again: {sent:#?}");
    let Some((_, Event::OfferAnswered { offer, .. })) = sim.events.last() else {
        unreachable!()
    };
    assert!(offer.contains("a=sendonly\r\n"), "{offer}");
    assert!(
        !sim.event_names()
            .iter()
            .any(|e| e.starts_with("OfferRefused"))
    );
    // The answered hold refreshed the session: the next refresh comes 45 s after it.
    let held_at = sim.events.last().unwrap().0;
    sim.run_for(Duration::from_secs(50));
    let refreshes: Vec<_> = reinvite_bodies(&sim)
        .into_iter()
        .skip(3)
        .map(|(at, _)| at - held_at)
        .collect();
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert!(refreshes[0] <= Duration::from_secs(45), "{refreshes:?}");
}

#[test]
fn a_refresh_that_glared_in_the_wait_of_an_offer_then_refused_still_refreshes_the_session() {
    // We refresh the session every 45 s and it expires at 90 s (RFC 4028 §10).
    let (mut sim, call) = confirmed_with(
        53,
        "Session-Expires: 90;refresher=uas\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // Our hold glares just before the refresh falls due; the refresh, sent in the hold's
    // wait, glares too; the hold, sent again, is refused.
    sim.uac.invite_answers.extend([491, 491, 488]);
    sim.run_for(answered + Duration::from_millis(44_900) - sim.elapsed());
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
            s.has_event("OfferRefused(488)")
        }),
        "{:?}",
        sim.event_names()
    );
    // Past the expiry the refresh would have averted, the call is up: its session was
    // offered again (as it was, not held) once the refusal came, and refreshed from there.
    sim.run_for(answered + Duration::from_secs(100) - sim.elapsed());
    assert_eq!(sim.ep.active_calls(), 1, "{:?}", sim.event_names());
    let sent = reinvite_bodies(&sim);
    assert_eq!(sent.len(), 5, "{sent:#?}");
    assert!(
        sent[3..]
            .iter()
            .all(|(_, body)| !body.contains("a=sendonly")),
        "{sent:#?}"
    );
    assert!(sent[3].0 < answered + Duration::from_secs(50), "{sent:#?}");
    assert!(
        !sim.first_lines().iter().any(|line| line.starts_with("BYE")),
        "no BYE for an expired session"
    );
}

#[test]
fn our_reinvite_refused_keeps_the_call() {
    let (mut sim, call) = confirmed(24);
    sim.uac.invite_answers.push_back(488);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferRefused(488)")
    }));
    let refused = sim.events.iter().find_map(|(_, e)| match e {
        Event::OfferRefused { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        refused.as_deref(),
        Some("Refused"),
        "the reason phrase as the peer sent it"
    );
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.ep.active_calls(), 1);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| s
            .has_event("OfferAnswered")),
        "{:?} {:?}",
        sim.first_lines(),
        sim.event_names()
    );
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
}

/// The text of each message the endpoint sent the UAC that `keep` picks, in the order sent.
fn sent_texts(sim: &Sim, keep: impl Fn(&str) -> bool) -> Vec<String> {
    sim.sent
        .iter()
        .filter(|(_, text)| keep(text))
        .map(|(_, text)| text.clone())
        .collect()
}

/// The first line of each request the UAC got from the endpoint with `method`, and its time.
fn requests_at(sim: &Sim, method: &str) -> Vec<(Duration, String)> {
    sim.sent
        .iter()
        .filter(|(_, text)| text.starts_with(&format!("{method} ")))
        .map(|(at, text)| (*at, text.clone()))
        .collect()
}

#[test]
fn our_reinvite_answered_only_provisionally_is_cancelled_and_the_session_kept() {
    let (mut sim, call) = confirmed(40);
    sim.uac.invite_answers.push_back(180);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(40), |s| s
            .has_event("OfferRefused(487)")),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(
        sim.uac.requests(Method::Invite).len(),
        1,
        "the 180 stopped the re-INVITE's retransmissions"
    );
    // §9.1: a CANCEL of the re-INVITE, 64*T1 after it went, on its branch and CSeq number.
    let (invite_at, invite) = requests_at(&sim, "INVITE").pop().unwrap();
    let cancels = requests_at(&sim, "CANCEL");
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    let (cancel_at, cancel) = &cancels[0];
    assert_eq!(*cancel_at - invite_at, Duration::from_secs(32));
    assert_eq!(branch_of(cancel), branch_of(&invite));
    assert!(cancel.contains("CSeq: 1 CANCEL\r\n"), "{cancel}");
    // §14.1: the session stays as it was, and the call goes on.
    sim.run_for(Duration::from_secs(40));
    assert!(sim.uac.requests(Method::Bye).is_empty());
    assert_eq!(sim.ep.active_calls(), 1);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "OfferRefused(487)",
            "OfferAnswered"
        ]
    );
}

#[test]
fn our_cancelled_reinvite_without_a_final_response_is_given_up_and_the_call_kept() {
    let (mut sim, call) = confirmed(41);
    sim.uac.invite_answers.push_back(180);
    sim.uac.answer_cancel = false;
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(100), |s| {
            s.has_event("OfferRefused(487)")
        })
    );
    // §9.1: 64*T1 after the CANCEL the re-INVITE counts as cancelled.
    let (cancel_at, _) = requests_at(&sim, "CANCEL")[0].clone();
    let refused_at = sim.events.last().map(|(at, _)| *at).unwrap();
    assert_eq!(refused_at - cancel_at, Duration::from_secs(32));
    sim.run_for(Duration::from_secs(40));
    assert!(sim.uac.requests(Method::Bye).is_empty());
    assert_eq!(sim.ep.active_calls(), 1);
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "OfferRefused(487)"]
    );
}

/// The top Via branch of the request `request` (its text).
fn branch_of(request: &str) -> String {
    request
        .split("branch=")
        .nth(1)
        .and_then(|rest| rest.split([';', '\r']).next())
        .unwrap()
        .to_owned()
}

/// The values of the `name` header lines of the message `text`, in order.
fn header_values<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .filter(|(field, _)| field.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
        .collect()
}

/// The Request-URI of the request `text`.
fn request_uri(text: &str) -> &str {
    text.split(' ').nth(1).unwrap()
}

#[test]
fn our_reinvites_cancel_repeats_the_reinvite_as_sent_after_a_target_refresh() {
    // The UAC's Record-Route names itself: the dialog has a route set.
    let record_route = format!("Record-Route: <sip:{UAC};lr>\r\n");
    let (mut sim, call) = confirmed_with(42, &record_route, answering_shell());
    let reinvite = ringing_reinvite(&mut sim, call, offer_with("sendonly"));
    // §12.2.1.2: the peer's UPDATE without offer moves its target while our re-INVITE waits.
    let field = |name: &str| header_values(&reinvite, name)[0].to_owned();
    let our_contact = field("Contact");
    let update = format!(
        "UPDATE {} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-refresh;rport\r\n\
         Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 50 UPDATE\r\n\
         Contact: <sip:alice@127.0.0.1:5064>\r\nContent-Length: 0\r\n\r\n",
        our_contact.trim_start_matches('<').trim_end_matches('>'),
        field("To"),
        field("From"),
        field("Call-ID"),
    );
    sim.uac.send_raw(update.into_bytes());
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.sent_times("SIP/2.0 200 OK", "CSeq: 50 UPDATE").len(), 1);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(40), |s| {
        s.has_event("OfferRefused(487)")
    }));
    // §9.1: the CANCEL repeats the re-INVITE's Request-URI, Call-ID, To, From, CSeq number,
    // Via and Route, and goes where it went.
    let cancels = sim.uac.requests(Method::Cancel);
    assert_eq!(cancels.len(), 1, "the CANCEL reached the peer");
    let cancel = &cancels[0].text;
    assert_eq!(request_uri(cancel), request_uri(&reinvite));
    for name in ["Via", "From", "To", "Call-ID", "Route"] {
        assert_eq!(
            header_values(cancel, name),
            header_values(&reinvite, name),
            "{name}"
        );
    }
    assert!(!header_values(cancel, "Route").is_empty());
    let number = |text: &str| {
        header_values(text, "CSeq")[0]
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(number(cancel), number(&reinvite));
    // Later requests go to the new target.
    sim.ep.probe(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(1));
    let (_, options) = requests_at(&sim, "OPTIONS").pop().unwrap();
    assert_eq!(request_uri(&options), "sip:alice@127.0.0.1:5064");
}

#[test]
fn the_ack_of_a_non_2xx_to_our_reinvite_repeats_it_as_sent_after_a_target_refresh() {
    let record_route = format!("Record-Route: <sip:{UAC};lr>\r\n");
    let (mut sim, call) = confirmed_with(44, &record_route, answering_shell());
    let reinvite = ringing_reinvite(&mut sim, call, offer_with("sendonly"));
    // §12.2.1.2: the peer's UPDATE without offer moves its target while our re-INVITE waits.
    let field = |name: &str| header_values(&reinvite, name)[0].to_owned();
    let update = format!(
        "UPDATE {} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-moved;rport\r\n\
         Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 50 UPDATE\r\n\
         Contact: <sip:alice@127.0.0.1:5064>\r\nContent-Length: 0\r\n\r\n",
        field("Contact")
            .trim_start_matches('<')
            .trim_end_matches('>'),
        field("To"),
        field("From"),
        field("Call-ID"),
    );
    sim.uac.send_raw(update.into_bytes());
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.sent_times("SIP/2.0 200 OK", "CSeq: 50 UPDATE").len(), 1);
    sim.uac
        .send_raw(response_to(&reinvite, "488 Not Acceptable Here"));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferRefused(488)")
    }));
    sim.run_for(Duration::from_secs(1));
    // §17.1.1.3: the ACK repeats the re-INVITE's Request-URI, Call-ID, From, CSeq number,
    // top Via and Route, with the response's To.
    assert_eq!(header_values(&reinvite, "CSeq"), ["1 INVITE"]);
    let acks: Vec<_> = sim
        .uac
        .requests(Method::Ack)
        .into_iter()
        .filter(|ack| ack.text.contains("\r\nCSeq: 1 ACK\r\n"))
        .collect();
    assert_eq!(acks.len(), 1, "the 488 was ACKed once");
    let ack = &acks[0].text;
    assert_eq!(request_uri(ack), request_uri(&reinvite));
    for name in ["Via", "From", "To", "Call-ID", "Route"] {
        assert_eq!(
            header_values(ack, name),
            header_values(&reinvite, name),
            "{name}"
        );
    }
    assert!(!header_values(ack, "Route").is_empty());
    // The refusal names the offer it refuses, as sent.
    let refused = sim.events.iter().find_map(|(_, e)| match e {
        Event::OfferRefused { offer, .. } => Some(offer.clone()),
        _ => None,
    });
    assert_eq!(
        refused.as_deref(),
        reinvite.split_once("\r\n\r\n").map(|(_, body)| body)
    );
    // Later requests go to the new target.
    sim.ep.probe(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(1));
    let (_, options) = requests_at(&sim, "OPTIONS").pop().unwrap();
    assert_eq!(request_uri(&options), "sip:alice@127.0.0.1:5064");
}

/// A 200 to the re-INVITE `request` (its text) with a G.711 answer to its offer, as a peer
/// sends it.
fn ok_with_answer(request: &str) -> Vec<u8> {
    let body = request.split("\r\n\r\n").nth(1).unwrap();
    ok_carrying(
        request,
        &g711_answer(&Offer::parse(body.as_bytes()).unwrap()),
    )
}

/// The ACKs the UAC got for the INVITE with CSeq number of the request `invite` (its text).
fn acks_of(sim: &Sim, invite: &str) -> usize {
    let number = header_values(invite, "CSeq")[0].split(' ').next().unwrap();
    let line = format!("CSeq: {number} ACK\r\n");
    sim.uac
        .requests(Method::Ack)
        .iter()
        .filter(|ack| ack.text.contains(&line))
        .count()
}

/// A confirmed call whose re-INVITE, offering sendonly, the UAC answered 180 and left
/// unanswered; its CANCEL is not answered either.
fn reinvite_left_ringing(seed: u64) -> (Sim, CallKey) {
    let (mut sim, call) = confirmed(seed);
    sim.uac.invite_answers.push_back(180);
    sim.uac.answer_cancel = false;
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    (sim, call)
}

#[test]
fn a_200_crossing_our_cancel_of_a_reinvite_is_acked_and_answers_the_offer() {
    let (mut sim, _) = reinvite_left_ringing(43);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(40), |s| {
        !s.uac.requests(Method::Cancel).is_empty()
    }));
    // §9.2: the peer answered the re-INVITE before the CANCEL reached it; the CANCEL gets 200
    // and the re-INVITE no 487.
    let reinvite = sim.uac.requests(Method::Invite)[0].text.clone();
    let cancel = sim.uac.requests(Method::Cancel)[0].text.clone();
    sim.uac.send_raw(ok_with_answer(&reinvite));
    sim.uac.send_raw(response_to(&cancel, "200 OK"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(acks_of(&sim, &reinvite), 1, "§13.2.2.4: the 2xx is ACKed");
    sim.run_for(Duration::from_secs(100));
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "OfferAnswered"],
        "the offer was answered, and no 487 reported after"
    );
    let answered = sim.events.iter().find_map(|(_, event)| match event {
        Event::OfferAnswered { offer, .. } => Some(offer.clone()),
        _ => None,
    });
    assert!(
        answered.unwrap().contains("a=sendonly"),
        "the session is updated"
    );
    assert!(sim.uac.requests(Method::Bye).is_empty());
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn a_2xx_after_our_cancelled_reinvite_was_given_up_is_acked_and_the_kept_session_offered() {
    let (mut sim, _) = reinvite_left_ringing(44);
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(100), |s| {
            s.has_event("OfferRefused(487)")
        })
    );
    // The peer took the offer after all: its 2xx, and a retransmission of it.
    let reinvite = sim.uac.requests(Method::Invite)[0].text.clone();
    for _ in 0..2 {
        sim.uac.send_raw(ok_with_answer(&reinvite));
        sim.run_for(Duration::from_millis(500));
    }
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    assert_eq!(acks_of(&sim, &reinvite), 2, "§13.2.2.4: each 2xx is ACKed");
    // §14.1: we kept the old session and report it kept; the peer is offered it again.
    let invites = sim.uac.requests(Method::Invite);
    assert_eq!(invites.len(), 2, "one new offer for both 2xx");
    let restored = &invites[1].text;
    assert!(!restored.contains("a=sendonly"), "{restored}");
    sim.run_for(Duration::from_secs(40));
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "OfferRefused(487)",
            "OfferAnswered"
        ]
    );
    assert!(sim.uac.requests(Method::Bye).is_empty());
}

#[test]
fn a_final_response_to_our_reinvite_after_the_call_ended_is_still_acknowledged() {
    let (mut sim, call) = confirmed(41);
    ringing_reinvite(&mut sim, call, offer_with("sendonly"));
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
    // The peer answers its re-INVITE 487 after our BYE ended the call (§15.1.2), and sends
    // the 487 again, as if the first ACK were lost.
    let reinvite = sim.uac.requests(Method::Invite)[0].text.clone();
    let branch = branch_of(&reinvite);
    for _ in 0..2 {
        sim.uac
            .send_raw(response_to(&reinvite, "487 Request Terminated"));
        sim.run_for(Duration::from_secs(1));
    }
    let acks = sim.uac.requests(Method::Ack);
    let acks: Vec<_> = acks
        .iter()
        .filter(|ack| ack.text.contains(&branch))
        .collect();
    assert_eq!(acks.len(), 2, "each 487 is acknowledged in its transaction");
    assert!(acks[0].text.contains(" ACK\r\n"), "{}", acks[0].text);
    // Past 64*T1 the re-INVITE is forgotten.
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.ep.active_transactions(), 0);
    sim.uac
        .send_raw(response_to(&reinvite, "487 Request Terminated"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.requests(Method::Ack).len(), 2);
}

#[test]
fn hanging_up_stops_our_unanswered_reinvite() {
    let (mut sim, call) = confirmed(45);
    // The peer gets neither our re-INVITE nor our BYE.
    sim.lose_requests_and_byes("INVITE");
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    sim.run_for(Duration::from_secs(1));
    sim.ep.hangup(sim.now, call).unwrap();
    let hung_up = sim.elapsed();
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(100), |s| {
            s.has_event("CallEnded(LocalHangup)")
        }),
        "{:?}",
        sim.event_names()
    );
    sim.run_for(Duration::from_secs(40));
    let reinvites = sim.sent_times("INVITE ", "INVITE");
    assert!(
        reinvites.iter().all(|at| *at < hung_up),
        "no retransmission after the BYE: {reinvites:?}"
    );
    assert!(requests_at(&sim, "CANCEL").is_empty());
    assert!(
        sim.sent_one_bye_again_and_again(),
        "{:?}",
        sim.first_lines()
    );
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"],
        "the re-INVITE's outcome is the call's end"
    );
}

#[test]
fn a_final_response_to_a_reinvite_sent_again_after_491_is_still_acknowledged() {
    let (mut sim, call) = confirmed(42);
    sim.uac.invite_answers.push_back(491);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    // §14.1: the re-INVITE is sent again after a wait of up to 4 s.
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
        s.uac.requests(Method::Invite).len() == 2
    }));
    let first = sim.uac.requests(Method::Invite)[0].text.clone();
    let branch = branch_of(&first);
    let acked = |sim: &Sim| {
        sim.uac
            .requests(Method::Ack)
            .iter()
            .filter(|ack| ack.text.contains(&branch))
            .count()
    };
    let before = acked(&sim);
    // The peer sends its 491 again, as if our ACK were lost.
    sim.uac.send_raw(response_to(&first, "491 Request Pending"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(acked(&sim), before + 1, "the 491 is acknowledged again");
}

#[test]
fn reoffer_is_refused_while_an_exchange_is_open() {
    let (mut sim, call) = confirmed(25);
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    assert!(sim.ep.reoffer(sim.now, call, offer()).is_err());
    assert!(sim.ep.accept_offer(sim.now, call, offer()).is_err());
}

#[test]
fn update_with_sdp_is_answered_200_and_its_retransmission_gets_the_same() {
    let (mut sim, _) = confirmed(26);
    let mut lost = false;
    sim.net.drop_if(move |d| {
        let first = d.payload.starts_with(b"SIP/2.0 200") && !lost;
        let update = String::from_utf8_lossy(&d.payload).contains(" UPDATE\r\n");
        lost |= first && update;
        first && update
    });
    sim.uac.update(sim.now, "", &offer_with("inactive"));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
        !s.uac.codes(Method::Update).is_empty()
    }));
    let ok = sim.uac.last_response(Method::Update).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert!(ok.body().contains("a=inactive\r\n"), "{}", ok.body());
    assert!(ok.header("Contact").is_some());
    let updates = sim.sent_times("SIP/2.0 200", "CSeq: 2 UPDATE");
    assert_eq!(
        updates.len(),
        2,
        "the retransmitted UPDATE got the 200 again"
    );
    let texts = sent_texts(&sim, |t| t.contains("CSeq: 2 UPDATE\r\n"));
    assert_eq!(texts[0], texts[1]);
    assert_eq!(session_offers(&sim).len(), 1);
}

#[test]
fn a_retransmitted_update_whose_offer_waits_is_absorbed_until_the_answer() {
    let (mut sim, call) = confirmed_with(40, "", idle_answering_shell());
    sim.uac.update(sim.now, "", &offer_with("inactive"));
    // Retransmitted at 0.5 and 1.5 s while the offer waits.
    sim.run_for(Duration::from_secs(2));
    assert!(sim.uac.codes(Method::Update).is_empty(), "no response yet");
    assert_eq!(sim.ep.stats().request_retransmissions_received, 2);
    assert_eq!(session_offers(&sim).len(), 1);
    // The first 200 is lost: the next retransmission gets it again.
    let mut lost = false;
    sim.net.drop_if(move |d| {
        let first = !lost && d.payload.starts_with(b"SIP/2.0 200");
        lost |= first;
        first
    });
    let answer = g711_answer(&session_offers(&sim)[0]);
    sim.ep.accept_offer(sim.now, call, answer).unwrap();
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.uac.codes(Method::Update), [200]);
    assert_eq!(sim.sent_times("SIP/2.0 200", "CSeq: 2 UPDATE").len(), 2);
    assert_eq!(session_offers(&sim).len(), 1);
}

/// Our BYE settles the peer's waiting UPDATE offer with 487 (§15.1.2); the 487 lost, the
/// UPDATE's retransmission gets it again (§17.2.2), though the peer's 200 to the BYE ended
/// the call before it came: the UPDATE's server transaction lasts until Timer J.
#[test]
fn a_retransmitted_update_whose_offer_our_bye_ended_gets_the_same_487() {
    let (mut sim, call) = confirmed_with(42, "", idle_answering_shell());
    sim.uac.update(sim.now, "", &offer_with("inactive"));
    sim.run_for(Duration::from_millis(100));
    let mut lost = false;
    sim.net.drop_if(move |d| {
        let first = !lost && d.payload.starts_with(b"SIP/2.0 487");
        lost |= first;
        first
    });
    sim.ep.hangup(sim.now, call).unwrap();
    sim.run_for(Duration::from_millis(100));
    assert!(
        sim.has_event("CallEnded(LocalHangup)"),
        "the BYE was answered before the UPDATE came again: {:?}",
        sim.event_names()
    );
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.uac.codes(Method::Update), [487]);
    let texts = sent_texts(&sim, |t| t.contains("CSeq: 2 UPDATE\r\n"));
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0], texts[1]);
}

#[test]
fn a_reinvite_whose_offer_waits_gets_100_trying_after_200_ms() {
    let (mut sim, call) = confirmed_with(41, "", idle_answering_shell());
    let start = sim.elapsed();
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 100]);
    let trying = sim.sent_times("SIP/2.0 100", "CSeq: 2 INVITE");
    assert_eq!(
        trying.len(),
        1,
        "it stopped the re-INVITE's retransmissions"
    );
    // 10 ms on the way, then 200 ms without an answer.
    assert_eq!(trying[0] - start, Duration::from_millis(210));
    let answer = g711_answer(&session_offers(&sim)[0]);
    sim.ep.accept_offer(sim.now, call, answer).unwrap();
    run_to_invite_responses(&mut sim, 4);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 100, 200]);
}

#[test]
fn a_cancelled_reinvite_gets_487_and_the_session_stays() {
    let (mut sim, call) = confirmed_with(42, "", idle_answering_shell());
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    sim.run_for(Duration::from_secs(1));
    sim.uac.cancel(sim.now);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Cancel), [200]);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 100, 487]);
    assert!(
        matches!(
            sim.ep.accept_offer(sim.now, call, offer()),
            Err(switchyard_sip::CallError::InvalidState { .. })
        ),
        "the offer was withdrawn"
    );
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "SessionOffer"]
    );
    // The exchange is closed and the first session stands: one version on, sendrecv.
    sim.uac.reoffer(sim.now, "", "");
    run_to_invite_responses(&mut sim, 5);
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert!(
        ok.body().contains("a=sendrecv\r\n") && ok.body().contains("o=switchyard 1 2 "),
        "{}",
        ok.body()
    );
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.ep.stats().retransmissions_sent, 0, "the 487 was ACKed");
}

#[test]
fn offerless_reinvite_gets_our_offer_and_the_ack_brings_the_answer() {
    let (mut sim, _) = confirmed(27);
    sim.uac.reoffer(sim.now, "", "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert!(ok.body().contains("o=switchyard 1 2 "), "{}", ok.body());
    assert!(ok.body().contains("m=audio 40000 RTP/AVP 0 101\r\n"));
    let Some((_, Event::OfferAnswered { answer, .. })) = sim.events.last() else {
        unreachable!()
    };
    assert_eq!(answer.sole_stream().unwrap().connection, addr(UAC));
}

#[test]
fn an_offerless_reinvite_gets_an_offer_in_our_own_direction_not_our_last_answers() {
    let answered = |sim: &Sim| {
        sim.events
            .iter()
            .filter(|(_, e)| matches!(e, Event::OfferAnswered { .. }))
            .count()
    };
    // The peer held the call, and we answered recvonly: its offerless re-INVITE, to resume,
    // is offered sendrecv, not recvonly, which would keep the call on hold one way.
    let (mut sim, call) = confirmed(49);
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    run_to_invite_responses(&mut sim, 3);
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(body.contains("a=recvonly\r\n"), "{body}");
    sim.uac.reoffer(sim.now, "", "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| answered(s) == 1));
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(
        body.contains("a=sendrecv\r\n") && !body.contains("a=recvonly"),
        "{body}"
    );
    // We hold the call: an offerless re-INVITE is offered sendonly.
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| answered(s) == 2));
    sim.uac.reoffer(sim.now, "", "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| answered(s) == 3));
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(
        body.contains("a=sendonly\r\n") && !body.contains("a=sendrecv"),
        "{body}"
    );
}

#[test]
fn our_session_refresh_during_the_peers_hold_offers_our_direction_not_our_answers() {
    let timer = "Session-Expires: 120;refresher=uas\r\nSupported: timer\r\n";
    let (mut sim, _) = confirmed_with(50, timer, answering_shell());
    sim.uac.reoffer(sim.now, timer, &offer_with("sendonly"));
    run_to_invite_responses(&mut sim, 3);
    assert!(
        sim.uac
            .last_response(Method::Invite)
            .unwrap()
            .body()
            .contains("a=recvonly\r\n")
    );
    // Our refresh, half the interval on, is answered while the peer still holds the call.
    sim.run_for(Duration::from_secs(70));
    let refresh = sim
        .sent
        .iter()
        .rev()
        .find(|(_, t)| t.starts_with("INVITE "))
        .map(|(_, t)| t.clone())
        .expect("a refresh");
    assert!(refresh.contains("a=sendrecv\r\n"), "{refresh}");
    // The peer resumes with an offerless re-INVITE: offered sendrecv.
    sim.uac.reoffer(sim.now, "", "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.uac
            .last_response(Method::Invite)
            .is_some_and(|r| r.body().contains("a=sendrecv\r\n"))
    }));
}

#[test]
fn unusable_offers_are_refused_and_the_session_stays() {
    let (mut sim, _) = confirmed(28);
    sim.uac.reoffer(sim.now, "", "v=0\r\nthis is no SDP\r\n");
    run_to_invite_responses(&mut sim, 3);
    assert_eq!(sim.uac.codes(Method::Invite)[2], 400);
    sim.uac
        .reoffer(sim.now, "", &offer().replace("m=audio 6000", "m=audio 0"));
    run_to_invite_responses(&mut sim, 4);
    assert_eq!(sim.uac.codes(Method::Invite)[3], 488);
    sim.uac.reoffer(sim.now, "", &offer());
    run_to_invite_responses(&mut sim, 5);
    assert_eq!(sim.uac.codes(Method::Invite)[4], 200);
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn a_second_reinvite_before_the_first_is_answered_gets_500_with_retry_after() {
    let (mut sim, call) = confirmed_with(29, "", idle_answering_shell());
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    sim.run_for(Duration::from_millis(100));
    sim.uac.reoffer(sim.now, "", &offer_with("inactive"));
    run_to_invite_responses(&mut sim, 3);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(refused.code(), Some(500));
    let wait: u32 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!(wait <= 10);
    let answer = g711_answer(&session_offers(&sim)[0]);
    sim.ep.accept_offer(sim.now, call, answer).unwrap();
    run_to_invite_responses(&mut sim, 4);
    assert_eq!(sim.uac.codes(Method::Invite)[3], 200);
}

#[test]
fn we_refresh_at_half_the_interval_when_refresher_is_uas() {
    let (mut sim, _) = confirmed_with(
        30,
        "Session-Expires: 120;refresher=uas\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        ok.header("Session-Expires").as_deref(),
        Some("120;refresher=uas")
    );
    assert_eq!(ok.header("Require").as_deref(), Some("timer"));
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    sim.run_for(Duration::from_secs(130));
    // RFC 4028 §10: half the interval after each 2xx.
    let refreshes = sim.sent_times("INVITE ", "INVITE");
    let first_answered = sim.events[2].0;
    assert_eq!(
        refreshes,
        [
            answered + Duration::from_secs(60),
            first_answered + Duration::from_secs(60)
        ]
    );
    let refresh = &sim
        .sent
        .iter()
        .find(|(_, t)| t.starts_with("INVITE "))
        .unwrap()
        .1;
    assert!(
        refresh.contains("\r\nSession-Expires: 120;refresher=uac\r\n"),
        "{refresh}"
    );
    assert!(refresh.contains("o=switchyard 1 2 "), "{refresh}");
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "OfferAnswered",
            "OfferAnswered"
        ]
    );
}

#[test]
fn our_refresh_that_gets_no_answer_ends_the_call_with_a_bye() {
    let (mut sim, _) = confirmed_with(
        33,
        "Session-Expires: 300;refresher=uas\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // Every refresh is lost on its way; the BYE gets through.
    sim.net
        .drop_if(|d| String::from_utf8_lossy(&d.payload).starts_with("INVITE "));
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(300), |s| {
            s.has_event("CallEnded(DialogGone)")
        }),
        "{:?}",
        sim.event_names()
    );
    let ended = sim.events.last().unwrap().0;
    // The refresh at half the interval, then Timer B (64*T1, §17.1.1.2), well before the
    // session would expire (300 - 32 s).
    assert_eq!(
        ended,
        answered + Duration::from_secs(150) + Duration::from_secs(32)
    );
    // RFC 4028 §10: the refresh timed out, so a BYE ends the peer's side too.
    assert_eq!(sim.sent_times("BYE ", "BYE"), [ended]);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.requests(Method::Bye).len(), 1, "the peer got it");
    assert!(sim.has_event("OfferRefused(408)"));
    assert_eq!(sim.ep.active_calls(), 0);
}

#[test]
fn our_refresh_answered_late_after_100_trying_keeps_the_call() {
    let (mut sim, _) = confirmed_with(
        34,
        "Session-Expires: 90;refresher=uas\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // The peer takes our refresh at half the interval with 100 Trying only.
    sim.uac.invite_answers.push_back(100);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(50), |s| {
        !s.uac.requests(Method::Invite).is_empty()
    }));
    assert_eq!(
        sim.sent_times("INVITE ", "INVITE"),
        [answered + Duration::from_secs(45)]
    );
    // Its 200 comes 20 s later, past 90 - min(32, 90/3) = 60 s after the call's 2xx: a
    // non-refresher's expiry, not ours (RFC 4028 §10).
    sim.run_for(Duration::from_secs(20));
    let refresh = sim.uac.requests(Method::Invite)[0].text.clone();
    let ok = String::from_utf8(ok_with_answer(&refresh)).unwrap();
    let ok = ok.replacen("\r\n", "\r\nSession-Expires: 90;refresher=uac\r\n", 1);
    sim.uac.send_raw(ok.into_bytes());
    let refreshed = sim.elapsed();
    sim.run_for(Duration::from_secs(50));
    assert_eq!(acks_of(&sim, &refresh), 1, "§13.2.2.4: the 2xx is ACKed");
    assert!(sim.uac.requests(Method::Bye).is_empty());
    assert_eq!(sim.ep.active_calls(), 1);
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "OfferAnswered",
            "OfferAnswered"
        ],
        "the late 2xx refreshed the session, and the next refresh went"
    );
    let next = *sim.sent_times("INVITE ", "INVITE").last().unwrap();
    assert_eq!(
        next - refreshed,
        Duration::from_secs(45) + Duration::from_millis(10)
    );
}

#[test]
fn our_pending_reinvite_holds_the_expiry_of_a_session_the_peer_refreshes() {
    let (mut sim, call) = confirmed_with(
        36,
        "Session-Expires: 90;refresher=uac\r\nSupported: timer\r\n",
        answering_shell(),
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // Our offer at 40 s is taken with 100 Trying only; the peer's refresh at 45 s meets it
    // and gets 491 (RFC 3261 §14.2).
    sim.run_for(Duration::from_secs(40) - sim.elapsed());
    sim.uac.invite_answers.push_back(100);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    sim.run_for(Duration::from_secs(5));
    sim.uac
        .reoffer(sim.now, "Session-Expires: 90;refresher=uac\r\n", &offer());
    run_to_invite_responses(&mut sim, 3);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 491]);
    // Our offer's 200 comes at 70 s, past 90 - 30 = 60 s after the call's 2xx: the session
    // waited for it (RFC 4028 §10: its 2xx refreshes the session).
    sim.run_for(answered + Duration::from_secs(70) - sim.elapsed());
    assert!(
        sim.uac.requests(Method::Bye).is_empty(),
        "{:?}",
        sim.event_names()
    );
    let ours = sim.uac.requests(Method::Invite)[0].text.clone();
    let ok = String::from_utf8(ok_with_answer(&ours)).unwrap();
    let ok = ok.replacen("\r\n", "\r\nSession-Expires: 90;refresher=uas\r\n", 1);
    sim.uac.send_raw(ok.into_bytes());
    sim.run_for(Duration::from_secs(50));
    assert!(
        sim.uac.requests(Method::Bye).is_empty(),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(sim.ep.active_calls(), 1);
    assert!(sim.has_event("OfferAnswered"), "{:?}", sim.event_names());
}

#[test]
fn no_refresh_from_the_peer_ends_the_call_before_the_interval() {
    // Require: timer is an extension the endpoint supports (no 420).
    let (mut sim, _) = confirmed_with(
        31,
        "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\nRequire: timer\r\n",
        answering_shell(),
    );
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        ok.header("Session-Expires").as_deref(),
        Some("120;refresher=uac")
    );
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    // A refresh at 60 s moves the expiry.
    sim.run_for(Duration::from_secs(60));
    sim.uac
        .reoffer(sim.now, "Session-Expires: 120;refresher=uac\r\n", &offer());
    let refreshed = sim.now;
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(400), |s| {
            s.has_event("CallEnded(SessionExpired)")
        })
    );
    let ended = sim.events.last().unwrap().0;
    // RFC 4028 §10: 120 - min(32, 120/3) = 88 s after the last refresh (+10 ms transit).
    let expected = refreshed - sim.t0 + Duration::from_millis(10) + Duration::from_secs(88);
    assert_eq!(ended, expected, "answered at {answered:?}");
    assert_eq!(sim.sent_times("BYE ", "BYE"), [ended]);
}

#[test]
fn too_small_session_interval_gets_422_with_min_se() {
    let mut sim = Sim::new(Net::perfect(32), 32, answering_shell());
    sim.uac.invite(
        sim.now,
        "Session-Expires: 60\r\nSupported: timer\r\n",
        &offer(),
    );
    run_to_invite_responses(&mut sim, 1);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(refused.code(), Some(422));
    assert_eq!(refused.header("Min-SE").as_deref(), Some("90"));
    assert!(sim.events.is_empty());

    let mut sim = Sim::new(Net::perfect(33), 33, answering_shell());
    sim.ep = endpoint(33).with_session_timers(SessionTimers {
        min_se: 300,
        ..SessionTimers::default()
    });
    sim.uac.invite(
        sim.now,
        "Session-Expires: 120\r\nSupported: timer\r\n",
        &offer(),
    );
    run_to_invite_responses(&mut sim, 1);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(refused.header("Min-SE").as_deref(), Some("300"));
}

#[test]
fn a_small_interval_for_a_caller_without_timers_is_taken_and_we_refresh() {
    let mut sim = Sim::new(Net::perfect(35), 35, answering_shell());
    sim.ep = endpoint(35).with_session_timers(SessionTimers {
        min_se: 300,
        ..SessionTimers::default()
    });
    // RFC 4028 §9: a proxy asked for 120 s for a caller that could not retry after a 422;
    // the UAS takes the interval as it is and refreshes the session itself.
    sim.uac
        .invite(sim.now, "Session-Expires: 120\r\n", &offer());
    run_to_invite_responses(&mut sim, 1);
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert_eq!(
        ok.header("Session-Expires").as_deref(),
        Some("120;refresher=uas")
    );
    assert_eq!(ok.header("Require"), None);
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    sim.run_for(Duration::from_secs(70));
    assert_eq!(
        sim.sent_times("INVITE ", "INVITE"),
        [answered + Duration::from_secs(60)]
    );
}

#[test]
fn without_session_timers_timer_is_not_supported_and_requiring_it_gets_420() {
    let off = |seed| {
        let mut sim = Sim::new(Net::perfect(seed), seed, answering_shell());
        sim.ep = endpoint(seed).with_session_timers(SessionTimers {
            enabled: false,
            ..SessionTimers::default()
        });
        sim
    };
    let mut sim = off(43);
    let timer = "Session-Expires: 1800\r\nSupported: timer\r\n";
    sim.uac
        .invite(sim.now, &format!("{timer}Require: timer\r\n"), &offer());
    run_to_invite_responses(&mut sim, 1);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(refused.code(), Some(420));
    assert_eq!(refused.header("Unsupported").as_deref(), Some("timer"));
    assert!(sim.events.is_empty());

    // Not required, it is ignored; nothing of ours says it is supported.
    let mut sim = off(44);
    sim.uac.invite(sim.now, timer, &offer());
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.header("Supported").as_deref(), Some("100rel"));
    assert_eq!(ok.header("Session-Expires"), None);
    sim.uac.stray("OPTIONS", None);
    sim.run_for(Duration::from_secs(1));
    let options = sim.uac.last_response(Method::Options).unwrap();
    assert_eq!(options.header("Supported").as_deref(), Some("100rel"));
    sim.ep.reoffer(sim.now, first_call(&sim), offer()).unwrap();
    sim.run_for(Duration::from_secs(1));
    let reinvite = *sim.uac.requests(Method::Invite).last().unwrap();
    assert_eq!(reinvite.header("Supported"), None, "{}", reinvite.text);
}

#[test]
fn info_dtmf_relay_is_a_key_press() {
    let (mut sim, call) = confirmed(34);
    sim.uac.info(
        sim.now,
        "Content-Type: application/dtmf-relay\r\n",
        "Signal=5\r\nDuration=160\r\n",
    );
    sim.run_for(Duration::from_secs(1));
    sim.uac
        .info(sim.now, "Content-Type: text/plain\r\n", "hello");
    sim.run_for(Duration::from_secs(1));
    sim.uac.info(sim.now, "", "");
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Info), [200, 415, 200]);
    let refused = &sim
        .uac
        .received()
        .iter()
        .find(|r| r.code() == Some(415))
        .unwrap();
    assert_eq!(
        refused.header("Accept").as_deref(),
        Some("application/dtmf-relay")
    );
    let dtmf: Vec<_> = sim
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Dtmf {
                call: c,
                digit,
                duration_ms,
            } => Some((*c, *digit, *duration_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(dtmf, [(call, '5', 160)]);
}

#[test]
fn in_dialog_requests_for_an_unknown_dialog_get_481() {
    let mut sim = Sim::new(Net::perfect(35), 35, idle_shell());
    for method in ["BYE", "INVITE", "UPDATE", "INFO", "OPTIONS"] {
        sim.uac.stray(method, Some("no-such-tag"));
    }
    sim.uac.stray("UPDATE", None);
    sim.uac.stray("INFO", None);
    sim.run_for(Duration::from_secs(1));
    for method in [Method::Bye, Method::Invite, Method::Options] {
        assert_eq!(sim.uac.codes(method), [481], "{method}");
    }
    for method in [Method::Update, Method::Info] {
        assert_eq!(sim.uac.codes(method), [481, 481], "{method}");
    }
    assert!(sim.events.is_empty());
}

#[test]
fn probe_reports_the_answer_and_481_ends_the_call() {
    let (mut sim, call) = confirmed(36);
    sim.ep.probe(sim.now, call).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("ProbeResult(200)")
    }));
    assert_eq!(sim.ep.active_calls(), 1);
    sim.uac.options_answer = 481;
    sim.ep.probe(sim.now, call).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallEnded(DialogGone)")
    }));
    assert_eq!(
        sim.event_names(),
        [
            "IncomingCall",
            "CallConfirmed",
            "ProbeResult(200)",
            "ProbeResult(481)",
            "CallEnded(DialogGone)"
        ]
    );
    assert_eq!(sim.ep.active_calls(), 0);
    assert!(
        sim.sent_times("BYE ", "BYE").is_empty(),
        "a peer that answered 481 holds no dialog to end"
    );
}

#[test]
fn a_probe_unanswered_at_hangup_neither_reports_nor_ends_the_call_again() {
    let (mut sim, call) = confirmed(47);
    // The peer gets neither our OPTIONS nor our BYE: the OPTIONS times out first.
    sim.lose_requests_and_byes("OPTIONS");
    sim.ep.probe(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(1));
    sim.ep.hangup(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(100));
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"]
    );
    assert!(
        sim.sent_one_bye_again_and_again(),
        "{:?}",
        sim.first_lines()
    );
}

#[test]
fn bye_while_an_offer_waits_gets_the_reinvite_487() {
    let (mut sim, _) = confirmed_with(37, "", idle_answering_shell());
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    sim.run_for(Duration::from_millis(100));
    assert_eq!(session_offers(&sim).len(), 1);
    sim.uac.bye(sim.now);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallEnded(RemoteBye)")
    }));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 487]);
    assert_eq!(sim.uac.codes(Method::Bye), [200]);
    sim.settle();
    assert_eq!(sim.ep.poll_timeout(), None, "transactions left behind");
}

#[test]
fn hold_and_resume_both_ways_survive_loss_duplication_and_reordering() {
    for seed in 1..=12 {
        let net = Net::lossy(seed, 0.25, 0.1, Duration::from_millis(80));
        let mut sim = Sim::new(net, seed, answering_shell());
        sim.invite();
        assert!(
            sim.run_until(Duration::from_secs(60), |s| s.has_event("CallConfirmed")),
            "seed {seed}"
        );
        let call = first_call(&sim);
        sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
        assert!(
            sim.run_until(sim.elapsed() + Duration::from_secs(60), |s| {
                s.uac.last_response(Method::Invite).and_then(|r| r.code()) == Some(200)
                    && s.has_event("SessionOffer")
            }),
            "seed {seed}"
        );
        let mut sent = false;
        for _ in 0..60 {
            sim.run_for(Duration::from_secs(1));
            if sim
                .ep
                .reoffer(sim.now, call, offer_with("sendrecv"))
                .is_ok()
            {
                sent = true;
                break;
            }
        }
        assert!(sent, "seed {seed}: the hold's exchange never closed");
        assert!(
            sim.run_until(sim.elapsed() + Duration::from_secs(60), |s| s
                .has_event("OfferAnswered")),
            "seed {seed}: {:?}",
            sim.event_names()
        );
        sim.uac.bye(sim.now);
        assert!(
            sim.run_until(sim.elapsed() + Duration::from_secs(60), |s| s
                .has_event("CallEnded(RemoteBye)")),
            "seed {seed}"
        );
        sim.settle();
        assert_eq!(
            sim.event_names(),
            [
                "IncomingCall",
                "CallConfirmed",
                "SessionOffer",
                "OfferAnswered",
                "CallEnded(RemoteBye)"
            ],
            "seed {seed}"
        );
        assert_eq!(
            sim.ep.poll_timeout(),
            None,
            "seed {seed}: timers left behind"
        );
    }
}

/// Answers calls and refuses every later offer with 488.
fn refusing_shell() -> Shell {
    Box::new(|ep, now, event| match event {
        Event::IncomingCall(call) => ep
            .answer(
                now,
                call.call,
                g711_answer(call.offer.as_ref().expect("an offer")),
            )
            .unwrap(),
        Event::SessionOffer { call, .. } => ep
            .refuse_offer(now, *call, 488, "Not Acceptable Here")
            .unwrap(),
        _ => {}
    })
}

#[test]
fn a_refused_peer_offer_keeps_the_session() {
    let (mut sim, call) = confirmed_with(38, "", refusing_shell());
    sim.uac.reoffer(sim.now, "", &offer_with("sendonly"));
    run_to_invite_responses(&mut sim, 3);
    sim.uac.update(sim.now, "", &offer_with("inactive"));
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200, 488]);
    assert_eq!(sim.uac.codes(Method::Update), [488]);
    assert_eq!(sim.ep.stats().retransmissions_sent, 0, "the 488 was ACKed");
    assert_eq!(
        sim.ep.refuse_offer(sim.now, call, 200, "OK"),
        Err(switchyard_sip::CallError::InvalidStatus(200))
    );
    // An offerless re-INVITE shows the session: the first answer, one version on.
    sim.uac.reoffer(sim.now, "", "");
    run_to_invite_responses(&mut sim, 4);
    let body = sim.uac.last_response(Method::Invite).unwrap().body();
    assert!(
        body.contains("a=sendrecv\r\n") && body.contains("o=switchyard 1 2 "),
        "{body}"
    );
}

#[test]
fn an_update_crossing_our_reinvite_gets_491_and_a_small_interval_422() {
    let (mut sim, call) = confirmed(39);
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    sim.uac.update(sim.now, "", &offer_with("sendonly"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Update), [491]);
    sim.uac.reoffer(
        sim.now,
        "Session-Expires: 30\r\nSupported: timer\r\n",
        &offer(),
    );
    run_to_invite_responses(&mut sim, 3);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(refused.code(), Some(422));
    assert_eq!(refused.header("Min-SE").as_deref(), Some("90"));
    assert!(session_offers(&sim).is_empty());
}

/// The Contact the UAC names in [`from_moved_contact`].
const MOVED: &str = "sip:alice@127.0.0.1:5064";

/// The UAC's `method` (INVITE or UPDATE) in its confirmed call with CSeq `cseq`, the header
/// lines `extra` and the SDP `body` (none if empty), naming [`MOVED`] as its Contact: a
/// target refresh (§12.2.2).
fn from_moved_contact(sim: &Sim, method: &str, cseq: u32, extra: &str, body: &str) -> Vec<u8> {
    naming((sim, MOVED), method, cseq, extra, body)
}

/// As [`from_moved_contact`], naming `named` as the UAC's Contact.
fn naming((sim, named): (&Sim, &str), method: &str, cseq: u32, extra: &str, body: &str) -> Vec<u8> {
    let ok = sim
        .uac
        .last_response(Method::Invite)
        .expect("the call's 200");
    let header = |name| ok.header(name).expect(name);
    let contact = header("Contact");
    let target = contact.trim_start_matches('<').split('>').next().unwrap();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-moved-{cseq};rport\r\n\
         Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n\
         Contact: <{named}>\r\n{extra}{content_type}Content-Length: {}\r\n\r\n{body}",
        header("From"),
        header("To"),
        header("Call-ID"),
        body.len()
    )
    .into_bytes()
}

/// The remote target of `call`: the Request-URI of an OPTIONS the endpoint sends in it now.
fn probed_target(sim: &mut Sim, call: CallKey) -> String {
    sim.ep.probe(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(1));
    let (_, options) = requests_at(sim, "OPTIONS").pop().expect("an OPTIONS");
    request_uri(&options).to_owned()
}

/// Sends the UAC's target refresh `method` with `extra` and `body` from [`MOVED`] in a call
/// confirmed under `shell` (seed `seed`); asserts it got the final response `code`, and
/// returns the call's remote target before and after it. The UAC's Record-Route names
/// itself, so that the endpoint's requests reach it wherever the target is.
fn target_around_refresh(
    (seed, shell): (u64, Shell),
    (method, extra, body): (&str, &str, &str),
    code: u16,
) -> (String, String) {
    let record_route = format!("Record-Route: <sip:{UAC};lr>\r\n");
    let (mut sim, call) = confirmed_with(seed, &record_route, shell);
    let before = probed_target(&mut sim, call);
    let refresh = from_moved_contact(&sim, method, 10, extra, body);
    sim.uac.send_raw(refresh);
    let status = format!("SIP/2.0 {code} ");
    let cseq = format!("CSeq: 10 {method}");
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
            !s.sent_times(&status, &cseq).is_empty()
        }),
        "{method} {extra:?} {body:?}: {}",
        status
    );
    (before, probed_target(&mut sim, call))
}

#[test]
fn a_refused_target_refresh_leaves_the_remote_target_as_it_was() {
    // §12.2.2 as RFC 6141 §4 makes it precise: only the 2xx of a target refresh moves the
    // target; one refused, at once or by the application, changes nothing.
    let too_small = "Session-Expires: 30\r\nSupported: timer\r\n";
    let unusable = offer().replace("m=audio 6000", "m=audio 0");
    let hold = offer_with("sendonly");
    let refused = [
        ("INVITE", "", hold.as_str(), 488),
        ("INVITE", "", unusable.as_str(), 488),
        ("INVITE", too_small, hold.as_str(), 422),
        ("UPDATE", "", hold.as_str(), 488),
        ("UPDATE", "", "v=0\r\nthis is no SDP\r\n", 400),
        ("UPDATE", too_small, "", 422),
    ];
    for (seed, (method, extra, body, code)) in (70..).zip(refused) {
        let (before, after) =
            target_around_refresh((seed, refusing_shell()), (method, extra, body), code);
        assert_eq!(before, format!("sip:alice@{UAC}"));
        assert_eq!(after, before, "{method} refused with {code}");
    }
}

/// Runs `sim` until the endpoint sent a 200 to the UAC's request of `cseq` (e.g. "CSeq: 10
/// INVITE").
fn run_to_200(sim: &mut Sim, cseq: &str) {
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
            !s.sent_times("SIP/2.0 200 ", cseq).is_empty()
        }),
        "{cseq}"
    );
}

#[test]
fn a_target_refresh_accepted_after_a_later_one_does_not_take_the_target_back() {
    let record_route = format!("Record-Route: <sip:{UAC};lr>\r\n");
    let (mut sim, call) = confirmed_with(86, &record_route, idle_answering_shell());
    // The peer's re-INVITE (CSeq 10) waits for the application; its UPDATE without an offer
    // (CSeq 11), naming a later Contact, is accepted at once.
    let later = "sip:alice@127.0.0.1:5066";
    sim.uac.send_raw(from_moved_contact(
        &sim,
        "INVITE",
        10,
        "",
        &offer_with("sendonly"),
    ));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("SessionOffer")
    }));
    sim.uac
        .send_raw(naming((&sim, later), "UPDATE", 11, "", ""));
    run_to_200(&mut sim, "CSeq: 11 UPDATE");
    assert_eq!(probed_target(&mut sim, call), later);
    let offer = session_offers(&sim).pop().unwrap();
    sim.ep
        .accept_offer(sim.now, call, g711_answer(&offer))
        .unwrap();
    run_to_200(&mut sim, "CSeq: 10 INVITE");
    assert_eq!(
        probed_target(&mut sim, call),
        later,
        "the re-INVITE's older Contact does not come back"
    );
}

#[test]
fn an_accepted_target_refresh_moves_the_remote_target_with_its_2xx() {
    let hold = offer_with("sendonly");
    for (seed, method) in (80..).zip(["INVITE", "UPDATE"]) {
        let shell = answering_shell();
        let (_, after) = target_around_refresh((seed, shell), (method, "", &hold), 200);
        assert_eq!(after, MOVED, "{method}");
    }
}

/// Our offer of the [`Event::UnusableAnswer`] last reported.
fn unusable_answer_offer(sim: &Sim) -> Option<String> {
    sim.events.iter().rev().find_map(|(_, e)| match e {
        Event::UnusableAnswer { offer, .. } => Some(offer.clone()),
        _ => None,
    })
}

/// The UAC sends `ok` to our `reinvite`: asserts that the 2xx is ACKed once (§13.2.2.4) and
/// that its answer is reported as `unusable` (`what` names the case).
fn assert_ok_acked_and_reported(
    sim: &mut Sim,
    reinvite: &str,
    ok: Vec<u8>,
    unusable: &str,
    what: &str,
) {
    sim.uac.send_raw(ok);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(acks_of(sim, reinvite), 1, "{what}: §13.2.2.4");
    // The peer took our offer: not a refusal, which would leave it so.
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", unusable],
        "{what}"
    );
}

#[test]
fn a_2xx_to_our_reinvite_whose_answer_cannot_be_used_is_acked_and_reported() {
    for (seed, (what, answer)) in (90..).zip(unusable_answers()) {
        let (mut sim, call) = confirmed(seed);
        let reinvite = ringing_reinvite(&mut sim, call, offer_with("sendonly"));
        let ok = ok_carrying(&reinvite, &answer);
        assert_ok_acked_and_reported(&mut sim, &reinvite, ok, "UnusableAnswer", what);
        assert_eq!(
            unusable_answer_offer(&sim).as_deref(),
            reinvite.split_once("\r\n\r\n").map(|(_, body)| body),
            "{what}: the offer as sent"
        );
        // The endpoint keeps the session: an offerless re-INVITE is offered it, not the hold.
        sim.uac.reoffer(sim.now, "", "");
        assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
            s.has_event("OfferAnswered")
        }));
        let body = sim.uac.last_response(Method::Invite).unwrap().body();
        assert!(
            body.contains("a=sendrecv\r\n") && !body.contains("a=sendonly"),
            "{what}: {body}"
        );
    }
}

/// A 200 to a request of ours, its text, as a peer sends it.
type OkTo = fn(&str) -> Vec<u8>;

#[test]
fn a_2xx_to_our_reinvite_without_sdp_is_reported_as_carrying_none() {
    let answers: [(&str, OkTo); 3] = [
        ("no body", |reinvite| response_to(reinvite, "200 OK")),
        ("an empty SDP body", |reinvite| ok_carrying(reinvite, "")),
        ("ISUP alone", |reinvite| {
            let ok = String::from_utf8(ok_carrying(reinvite, "\u{1}\u{2}isup")).unwrap();
            ok.replace("application/sdp", "application/isup")
                .into_bytes()
        }),
    ];
    for (seed, (what, ok)) in (96..).zip(answers) {
        let (mut sim, call) = confirmed(seed);
        let reinvite = ringing_reinvite(&mut sim, call, offer());
        let ok = ok(&reinvite);
        assert_ok_acked_and_reported(&mut sim, &reinvite, ok, "UnusableAnswer(no SDP)", what);
    }
}

#[test]
fn an_ack_whose_answer_to_our_offer_cannot_be_used_is_reported() {
    for (seed, (what, answer)) in (93..).zip(unusable_answers()) {
        let (mut sim, _) = confirmed(seed);
        sim.uac.ack_answer = Some(answer);
        sim.uac.reoffer(sim.now, "", "");
        assert!(
            sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
                s.has_event("UnusableAnswer")
            }),
            "{what}: {:?}",
            sim.event_names()
        );
        let offered = sim.uac.last_response(Method::Invite).unwrap().body();
        assert_eq!(unusable_answer_offer(&sim), Some(offered), "{what}");
        assert_eq!(sim.ep.active_calls(), 1, "{what}");
    }
}
