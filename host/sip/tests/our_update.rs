//! Our own UPDATE in a confirmed call (RFC 3311 §5.1): new offers (hold, resume) and session
//! refreshes without offer (RFC 4028 §7.4) to a peer that allows UPDATE, re-INVITE to any
//! other or when the peer refuses it, through the simulated network on virtual time.

mod common;

use std::time::Duration;

use common::*;
use switchyard_sip::sdp::Direction;
use switchyard_sip::testing::response_to;
use switchyard_sip::{CallKey, Event, OfferMethod};

/// The Allow header of a peer that takes UPDATE.
const ALLOW_UPDATE: &str = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n";

/// A call from the UAC, whose INVITE carries the header lines `extra`, confirmed by an
/// endpoint that prefers UPDATE, over `net`.
fn confirmed(net: Net, seed: u64, extra: &str) -> (Sim, CallKey) {
    let mut sim = Sim::new(net, seed, answering_shell());
    sim.ep = endpoint(seed).with_offer_method(OfferMethod::Update);
    sim.uac.invite(sim.now, extra, &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
        s.has_event("CallConfirmed")
    }));
    let call = first_call(&sim);
    (sim, call)
}

/// [`offer`] with a direction attribute.
fn offer_with(direction: &str) -> String {
    format!("{}a={direction}\r\n", offer())
}

/// The texts of the requests the endpoint sent whose request line starts with `method`.
fn sent_requests(sim: &Sim, method: &str) -> Vec<String> {
    let start = format!("{method} ");
    sim.sent
        .iter()
        .filter(|(_, text)| text.starts_with(&start))
        .map(|(_, text)| text.clone())
        .collect()
}

/// The body of a SIP message's text.
fn body(text: &str) -> &str {
    text.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// The answers of the OfferAnswered events so far, as our direction after each.
fn answered_directions(sim: &Sim) -> Vec<Direction> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::OfferAnswered { answer, .. } => answer.sole_stream().map(|s| s.direction),
            _ => None,
        })
        .collect()
}

#[test]
fn hold_and_resume_go_by_update_to_a_peer_that_allows_it() {
    let (mut sim, call) = confirmed(Net::perfect(41), 41, ALLOW_UPDATE);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    sim.ep
        .reoffer(sim.now, call, offer_with("sendrecv"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        answered_directions(s).len() == 2
    }));
    let updates = sent_requests(&sim, "UPDATE");
    assert_eq!(updates.len(), 2, "{:?}", sim.first_lines());
    assert!(sent_requests(&sim, "INVITE").is_empty(), "no re-INVITE");
    assert!(
        body(&updates[0]).contains("a=sendonly\r\n"),
        "{}",
        updates[0]
    );
    assert!(
        body(&updates[1]).contains("a=sendrecv\r\n"),
        "{}",
        updates[1]
    );
    assert!(updates[0].contains("\r\nContent-Type: application/sdp\r\n"));
    assert!(updates[0].contains("\r\nContact: <sip:127.0.0.1:5060>\r\n"));
    // RFC 3264 §8: each new offer raises the o= version of the call's description.
    assert!(
        body(&updates[0]).contains("o=switchyard 1 2 "),
        "{}",
        updates[0]
    );
    assert!(
        body(&updates[1]).contains("o=switchyard 1 3 "),
        "{}",
        updates[1]
    );
    assert!(
        sim.sent.iter().all(|(_, t)| !t.starts_with("ACK ")),
        "UPDATE has no ACK"
    );
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn hold_by_update_survives_loss_duplication_and_reordering() {
    for seed in 0..12 {
        let net = Net::lossy(seed, 0.2, 0.1, Duration::from_millis(80));
        let (mut sim, call) = confirmed(net, seed, ALLOW_UPDATE);
        sim.ep
            .reoffer(sim.now, call, offer_with("sendonly"))
            .unwrap();
        assert!(
            sim.run_until(sim.elapsed() + Duration::from_secs(40), |s| {
                s.has_event("OfferAnswered")
            }),
            "seed {seed}: {:?}",
            sim.event_names()
        );
        assert_eq!(
            answered_directions(&sim),
            [Direction::RecvOnly],
            "seed {seed}: one answer to the hold, however often the UPDATE or its 200 travelled"
        );
        assert_eq!(sim.ep.active_calls(), 1, "seed {seed}");
    }
}

#[test]
fn a_peer_that_does_not_allow_update_gets_a_reinvite() {
    let (mut sim, call) = confirmed(Net::perfect(42), 42, "");
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    assert!(sent_requests(&sim, "UPDATE").is_empty());
    assert_eq!(sent_requests(&sim, "INVITE").len(), 1);
}

#[test]
fn an_update_refused_with_501_is_sent_again_as_a_reinvite() {
    let (mut sim, call) = confirmed(Net::perfect(43), 43, ALLOW_UPDATE);
    sim.uac.update_answers.push_back(501);
    sim.ep
        .reoffer(sim.now, call, offer_with("inactive"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    let (updates, invites) = (sent_requests(&sim, "UPDATE"), sent_requests(&sim, "INVITE"));
    assert_eq!((updates.len(), invites.len()), (1, 1));
    assert_eq!(body(&updates[0]), body(&invites[0]), "the same offer");
    assert!(!sim.has_event("OfferRefused(501)"));
    // Later offers go by re-INVITE at once.
    sim.ep
        .reoffer(sim.now, call, offer_with("sendrecv"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        answered_directions(s).len() == 2
    }));
    assert_eq!(sent_requests(&sim, "UPDATE").len(), 1);
    assert_eq!(sent_requests(&sim, "INVITE").len(), 2);
}

#[test]
fn our_update_is_retried_after_491_and_refused_offers_keep_the_call() {
    let (mut sim, call) = confirmed(Net::perfect(44), 44, ALLOW_UPDATE);
    sim.uac.update_answers.extend([491, 488]);
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferRefused(488)")
    }));
    let updates = sim.sent_times("UPDATE ", "UPDATE");
    assert_eq!(updates.len(), 2, "the 491 was followed by one more UPDATE");
    assert!(
        updates[1] - updates[0] <= Duration::from_millis(2_020),
        "§14.1: 0-2 s: {:?}",
        updates[1] - updates[0]
    );
    assert_eq!(
        sim.ep.active_calls(),
        1,
        "a refused offer keeps the session"
    );
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
}

#[test]
fn an_unanswered_update_ends_the_call() {
    let (mut sim, call) = confirmed(Net::perfect(45), 45, ALLOW_UPDATE);
    sim.net
        .drop_if(|d| String::from_utf8_lossy(&d.payload).starts_with("UPDATE "));
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    // Timer F: 64*T1 (§17.1.2.2); then RFC 5057 §5.1: the dialog is gone.
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(40), |s| {
        s.has_event("CallEnded(DialogGone)")
    }));
    assert!(
        sim.has_event("OfferRefused(408)"),
        "{:?}",
        sim.event_names()
    );
    assert!(
        sent_requests(&sim, "UPDATE").len() > 5,
        "retransmitted (Timer E)"
    );
    // RFC 4028 §10: a peer that may still hold the dialog is told it is over.
    let ended = sim.events.last().unwrap().0;
    assert_eq!(sim.sent_times("BYE ", "BYE"), [ended]);
}

#[test]
fn hanging_up_while_our_update_is_unanswered_sends_one_bye_and_reports_nothing_of_it() {
    let (mut sim, call) = confirmed(Net::perfect(46), 46, ALLOW_UPDATE);
    // The peer gets neither our UPDATE nor our BYE: the UPDATE times out first.
    sim.lose_requests_and_byes("UPDATE");
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    sim.run_for(Duration::from_secs(1));
    sim.ep.hangup(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(100));
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"],
        "the UPDATE's outcome is the call's end"
    );
    assert!(
        sim.sent_one_bye_again_and_again(),
        "{:?}",
        sim.first_lines()
    );
}

#[test]
fn refreshes_by_update_carry_no_offer_and_keep_the_call() {
    let extra = format!("{ALLOW_UPDATE}Session-Expires: 120;refresher=uas\r\nSupported: timer\r\n");
    let (mut sim, _) = confirmed(Net::perfect(46), 46, &extra);
    let answered = sim.sent_times("SIP/2.0 200", "INVITE")[0];
    sim.run_for(Duration::from_secs(250));
    let refreshes = sim.sent_times("UPDATE ", "UPDATE");
    assert_eq!(refreshes.len(), 4, "{:?}", sim.first_lines());
    // RFC 4028 §10: half the interval after each 2xx (+10 ms transit both ways).
    assert_eq!(refreshes[0] - answered, Duration::from_secs(60));
    for update in sent_requests(&sim, "UPDATE") {
        assert!(body(&update).is_empty(), "{update}");
        assert!(update.contains("\r\nSession-Expires: 120;refresher=uac\r\n"));
    }
    assert!(sent_requests(&sim, "INVITE").is_empty());
    assert_eq!(sim.ep.active_calls(), 1, "refreshed, so not expired");
    assert!(
        answered_directions(&sim).is_empty(),
        "a refresh is no offer"
    );
}

#[test]
fn a_2xx_to_our_update_whose_answer_cannot_be_used_is_reported() {
    for (seed, (what, answer)) in (60..).zip(unusable_answers()) {
        let (mut sim, call) = confirmed(Net::perfect(seed), seed, ALLOW_UPDATE);
        // The peer's 200 is the test's.
        sim.uac.update_answers.push_back(100);
        sim.ep
            .reoffer(sim.now, call, offer_with("sendonly"))
            .unwrap();
        assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
            !sent_requests(s, "UPDATE").is_empty()
        }));
        let update = sent_requests(&sim, "UPDATE").remove(0);
        sim.run_for(Duration::from_millis(100));
        sim.uac.send_raw(ok_carrying(&update, &answer));
        sim.run_for(Duration::from_secs(1));
        assert_eq!(
            sim.event_names(),
            ["IncomingCall", "CallConfirmed", "UnusableAnswer"],
            "{what}"
        );
        let reported = sim.events.iter().find_map(|(_, e)| match e {
            Event::UnusableAnswer { offer, .. } => Some(offer.as_str()),
            _ => None,
        });
        assert_eq!(reported, Some(body(&update)), "{what}: the offer as sent");
        assert_eq!(sim.ep.active_calls(), 1, "{what}");
    }
}

#[test]
fn an_offer_made_while_our_refresh_update_is_unanswered_goes_once_that_ends() {
    let extra = format!("{ALLOW_UPDATE}Session-Expires: 120;refresher=uas\r\nSupported: timer\r\n");
    let (mut sim, call) = confirmed(Net::perfect(47), 47, &extra);
    // The peer answers our refresh, and its retransmissions, with 100 only; its 200 is the
    // test's.
    sim.uac.update_answers.extend([100; 10]);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(70), |s| {
        !sent_requests(s, "UPDATE").is_empty()
    }));
    let refresh = sent_requests(&sim, "UPDATE").remove(0);
    assert!(body(&refresh).is_empty(), "a refresh: {refresh}");
    sim.run_for(Duration::from_millis(100));
    sim.ep
        .reoffer(sim.now, call, offer_with("sendonly"))
        .unwrap();
    sim.run_for(Duration::from_secs(2));
    assert!(
        sent_requests(&sim, "UPDATE")
            .iter()
            .all(|update| body(update).is_empty()),
        "one request of ours at a time: only the refresh went"
    );
    sim.uac.update_answers.clear();
    let answered = sim.elapsed();
    sim.uac.send_raw(response_to(&refresh, "200 OK"));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    let offers: Vec<_> = sent_requests(&sim, "UPDATE")
        .into_iter()
        .filter(|update| !body(update).is_empty())
        .collect();
    assert_eq!(offers.len(), 1, "{:?}", sim.first_lines());
    assert!(offers[0].contains("a=sendonly\r\n"), "{}", offers[0]);
    let sent = sim.sent_times("UPDATE ", "UPDATE");
    let went = *sent.last().unwrap();
    assert!(
        went > answered && went - answered < Duration::from_millis(50),
        "at once when the refresh ended: {went:?} after the 200 at {answered:?}"
    );
    assert_eq!(sim.ep.active_calls(), 1);
}
