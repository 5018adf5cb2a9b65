//! Our offers and refreshes that have to wait while the peer's offer/answer exchange is under
//! way (RFC 3261 §14.1, RFC 3264 §4): an UPDATE refresh refused 405 and sent again by
//! re-INVITE, a hold retried after a 491, an offer waiting for our refresh UPDATE, through the
//! simulated network on virtual time.

mod common;
// The harness of calls the endpoint places, to the scripted UAS.
#[allow(dead_code)]
#[path = "outgoing/pair.rs"]
mod pair;

use std::time::Duration;

use common::*;
use pair::Pair;
use rsip::Method;
use switchyard_sip::sdp::{self, Direction, Format, Offer};
use switchyard_sip::testing::response_to;
use switchyard_sip::{CallKey, Event, OfferMethod, OutgoingCall};

/// The header lines of a peer that takes UPDATE and has us refresh the session every 60 s
/// (RFC 4028 §10).
const UPDATE_AND_TIMER: &str = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n\
     Session-Expires: 120;refresher=uas\r\nSupported: timer\r\n";

/// Answers calls but leaves later offers waiting for the test.
fn idle_answering_shell() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            let offer = call.offer.as_ref().expect("an offer");
            ep.answer(now, call.call, g711_answer(offer)).unwrap();
        }
    })
}

/// A call from the UAC with [`UPDATE_AND_TIMER`], confirmed by an endpoint that offers and
/// refreshes by UPDATE under `shell`, whose first refresh (an UPDATE without offer) the UAC
/// has and answers only with 100. Returns that UPDATE's text.
fn refresh_update_out(seed: u64, shell: Shell) -> (Sim, CallKey, String) {
    let mut sim = Sim::new(Net::perfect(seed), seed, shell);
    sim.ep = endpoint(seed).with_offer_method(OfferMethod::Update);
    sim.uac.invite(sim.now, UPDATE_AND_TIMER, &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
        s.has_event("CallConfirmed")
    }));
    let call = first_call(&sim);
    sim.uac.update_answers.extend([100; 10]);
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(70), |s| {
        !s.uac.requests(Method::Update).is_empty()
    }));
    let refresh = sim.uac.requests(Method::Update)[0].text.clone();
    assert!(body(&refresh).is_empty(), "a refresh: {refresh}");
    (sim, call, refresh)
}

/// The peer refuses `refresh`, our UPDATE, with 405 (it listed UPDATE but will not take it).
fn refuse_with_405(sim: &mut Sim, refresh: &str) {
    sim.uac.update_answers.clear();
    sim.uac
        .send_raw(response_to(refresh, "405 Method Not Allowed"));
}

/// The requests with `method` the endpoint sent, with their times.
fn requests_at(sim: &Sim, method: &str) -> Vec<(Duration, String)> {
    let start = format!("{method} ");
    sim.sent
        .iter()
        .filter(|(_, text)| text.starts_with(&start))
        .map(|(at, text)| (*at, text.clone()))
        .collect()
}

/// The body of a SIP message's text.
fn body(text: &str) -> &str {
    text.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[test]
fn a_refresh_update_refused_405_sends_no_reinvite_while_our_2xx_awaits_its_ack() {
    let (mut sim, _, refresh) = refresh_update_out(81, answering_shell());
    // The peer's re-INVITE without offer comes while our UPDATE is out (an UPDATE without
    // offer opens no exchange); our 2xx to it offers, and its ACK is held back.
    sim.uac.ack_2xx = false;
    sim.uac.reoffer(sim.now, UPDATE_AND_TIMER, "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(1), |s| {
        !s.sent_times("SIP/2.0 200", "CSeq: 2 INVITE").is_empty()
    }));
    let ok = sim.sent_times("SIP/2.0 200", "CSeq: 2 INVITE")[0];
    refuse_with_405(&mut sim, &refresh);
    sim.run_for(Duration::from_secs(1));
    assert!(
        requests_at(&sim, "INVITE").is_empty(),
        "RFC 3264 §4: no offer of ours while the one in our 2xx is unanswered: {:?}",
        sim.first_lines()
    );
    // The ACK comes with the next retransmission of our 2xx, and answers its offer.
    sim.uac.ack_2xx = true;
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    // The exchange refreshed the session (RFC 4028 §10): the next refresh is due 60 s after
    // our 2xx, and goes by re-INVITE, the peer taking no UPDATE.
    sim.run_for(ok + Duration::from_secs(59) - sim.elapsed());
    assert!(requests_at(&sim, "INVITE").is_empty(), "refreshed already");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(2), |s| {
        !requests_at(s, "INVITE").is_empty()
    }));
    let (at, reinvite) = requests_at(&sim, "INVITE").remove(0);
    assert_eq!(at - ok, Duration::from_secs(60));
    assert!(body(&reinvite).contains("m=audio "), "{reinvite}");
    assert_eq!(requests_at(&sim, "UPDATE").len(), 1, "the refused one only");
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn a_refresh_update_refused_405_goes_by_reinvite_once_the_peers_offer_is_settled() {
    let (mut sim, call, refresh) = refresh_update_out(82, idle_answering_shell());
    // The peer's re-INVITE with an offer comes while our UPDATE is out; the application
    // has yet to settle it when the UPDATE is refused.
    sim.uac.reoffer(sim.now, UPDATE_AND_TIMER, &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(1), |s| {
        s.has_event("SessionOffer")
    }));
    refuse_with_405(&mut sim, &refresh);
    sim.run_for(Duration::from_secs(3));
    assert!(
        requests_at(&sim, "INVITE").is_empty(),
        "§14.1: no offer of ours while the peer's is unanswered: {:?}",
        sim.first_lines()
    );
    sim.ep
        .refuse_offer(sim.now, call, 488, "Not Acceptable Here")
        .unwrap();
    let refused = sim.elapsed();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    // The refusal refreshed nothing: our refresh, still owed, goes by re-INVITE.
    let reinvites = requests_at(&sim, "INVITE");
    assert_eq!(reinvites.len(), 1, "{:?}", sim.first_lines());
    let (at, reinvite) = &reinvites[0];
    assert!(
        *at > refused && *at - refused <= Duration::from_secs(2),
        "{at:?} after the refusal at {refused:?}"
    );
    assert!(body(reinvite).contains("m=audio "), "{reinvite}");
    assert!(
        reinvite.contains("\r\nSession-Expires: 120;refresher=uac\r\n"),
        "{reinvite}"
    );
    assert_eq!(sim.ep.active_calls(), 1);
}

/// The UAC's [`offer`] with PCMA in place of PCMU.
fn pcma_offer() -> String {
    offer().replace(
        "RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000",
        "RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000",
    )
}

/// The session agreed on the UAC's offer `theirs`, offered anew by us in `direction`, as an
/// application builds it (one audio stream).
fn renewed(theirs: &str, direction: Direction) -> String {
    let theirs = Offer::parse(theirs.as_bytes()).unwrap();
    let negotiated = sdp::negotiate(&theirs, G711).unwrap();
    sdp::renewed_offer(&negotiated, direction, addr("127.0.0.1:40000"), 1)
}

/// Sends `ours` in a call confirmed on the UAC's [`offer`]; the peer answers it 491 and, at
/// the same moment, offers `theirs` by re-INVITE, which the endpoint's application accepts
/// while ours waits out §14.1's wait. Returns our offer as retried once it was answered.
fn retried_after(seed: u64, ours: String, theirs: &str) -> String {
    let mut sim = Sim::new(Net::perfect(seed), seed, answering_shell());
    sim.uac.invite(sim.now, "", &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("CallConfirmed")
    }));
    let call = first_call(&sim);
    sim.uac.invite_answers.push_back(100);
    sim.ep.reoffer(sim.now, call, ours).unwrap();
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(1), |s| {
        !s.uac.requests(Method::Invite).is_empty()
    }));
    let sent = sim.uac.requests(Method::Invite)[0].text.clone();
    sim.uac.send_raw(response_to(&sent, "491 Request Pending"));
    sim.uac.reoffer(sim.now, "", theirs);
    assert!(
        sim.run_until(sim.elapsed() + Duration::from_secs(10), |s| {
            s.has_event("OfferAnswered")
        }),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(
        sim.event_names()[2..],
        ["SessionOffer", "OfferAnswered"],
        "the peer's offer accepted, then ours answered"
    );
    let reinvites = requests_at(&sim, "INVITE");
    assert_eq!(reinvites.len(), 2, "{:?}", sim.first_lines());
    let retried = body(&reinvites[1].1).to_owned();
    let Some((_, Event::OfferAnswered { offer, .. })) = sim.events.last() else {
        unreachable!()
    };
    assert_eq!(*offer, retried, "the offer answered is the one retried");
    // RFC 3264 §8: ours v2, our answer to the peer's offer v3, ours retried v4.
    assert!(retried.contains("o=switchyard 1 4 IN IP4 "), "{retried}");
    retried
}

#[test]
fn a_hold_retried_after_491_keeps_the_stream_the_peer_added_in_the_wait() {
    let with_video = format!(
        "{}m=video 6002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
        offer()
    );
    let hold = renewed(&offer(), Direction::SendOnly);
    let retried = retried_after(83, hold, &with_video);
    let media: Vec<&str> = retried.lines().filter(|l| l.starts_with("m=")).collect();
    // RFC 3264 §8: an offer has at least the m= lines of the previous description.
    assert_eq!(
        media,
        ["m=audio 40000 RTP/AVP 0 101", "m=video 0 RTP/AVP 96"],
        "{retried}"
    );
    assert!(
        retried.contains("a=sendonly\r\n"),
        "still a hold: {retried}"
    );
}

#[test]
fn a_hold_retried_after_491_keeps_the_codec_the_peer_changed_to_in_the_wait() {
    let hold = renewed(&offer(), Direction::SendOnly);
    let retried = retried_after(84, hold, &pcma_offer());
    assert!(
        retried.contains("m=audio 40000 RTP/AVP 8 101\r\n") && retried.contains("PCMA/8000"),
        "the peer's codec change stands: {retried}"
    );
    assert!(!retried.contains("PCMU"), "{retried}");
    assert!(
        retried.contains("a=sendonly\r\n"),
        "still a hold: {retried}"
    );
}

#[test]
fn a_codec_change_retried_after_491_stays_as_offered_when_the_peer_only_refreshed() {
    let ours = renewed(&pcma_offer(), Direction::SendRecv);
    // The peer's re-INVITE offers the session as it was: our answer is the previous one.
    let retried = retried_after(85, ours.clone(), &offer());
    let without_origin = |sdp: &str| -> String {
        sdp.split_inclusive('\n')
            .filter(|line| !line.starts_with("o="))
            .collect()
    };
    assert_eq!(without_origin(&retried), without_origin(&ours));
    assert!(
        retried.contains("m=audio 40000 RTP/AVP 8 101\r\n"),
        "{retried}"
    );
}

/// Where the endpoint placing a call receives RTP, in every description it sends.
const OUR_RTP: &str = "127.0.0.1:6000";

/// An offer of ours at [`OUR_RTP`] with the static payload types `codecs` (RFC 3551: 0 PCMU,
/// 8 PCMA) and telephone-event, as an application writes it.
fn our_offer(codecs: &[(u8, &str)]) -> String {
    let formats: Vec<Format> = codecs
        .iter()
        .map(|&(payload_type, encoding)| Format {
            payload_type,
            encoding: encoding.into(),
            clock_rate: 8000,
            channels: 1,
            fmtp: None,
        })
        .collect();
    sdp::offer(&formats, &[(101, 8000)], addr(OUR_RTP), 1)
}

/// Accepts every offer of the peer's at once with a G.711 answer at [`OUR_RTP`], the session
/// kept as it was.
fn accepting_at_our_rtp() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::SessionOffer { call, offer } = event {
            let negotiated = sdp::negotiate(offer, G711).unwrap();
            let answer = sdp::answer(&negotiated, addr(OUR_RTP), 1);
            ep.accept_offer(now, *call, answer).unwrap();
        }
    })
}

/// The scripted UAS's description: PCMU and telephone-event at 127.0.0.1:7000.
fn callee_sdp() -> String {
    audio_offer(addr("127.0.0.1:7000"))
}

/// Runs until the scripted UAS holds `n` INVITEs, for up to 10 s of virtual time; returns the
/// last as text.
fn peer_invite(pair: &mut Pair, n: usize) -> String {
    let got = pair.run_until(pair.elapsed() + Duration::from_secs(10), |p| {
        p.peer.requests(Method::Invite).len() >= n
    });
    assert!(got, "{:?}", pair.a_names());
    pair.peer_got(Method::Invite)[n - 1].to_owned()
}

/// The scripted UAS ACKs the 2xx to its re-INVITE, once that has come: the ACK takes the
/// re-INVITE's CSeq number (§13.2.2.4).
fn peer_acks_its_reinvite(pair: &mut Pair) {
    let answered = pair.run_until(pair.elapsed() + Duration::from_secs(1), |p| {
        p.peer
            .received()
            .any(|r| r.code() == Some(200) && r.cseq_method() == Some(Method::Invite))
    });
    assert!(answered, "{:?}", pair.a_names());
    pair.peer.next_cseq -= 1;
    pair.peer.request(Method::Ack, "", "");
}

/// The o= version of the SDP in `text`, a SIP message.
fn version(text: &str) -> u64 {
    let origin = body(text)
        .lines()
        .find_map(|line| line.strip_prefix("o="))
        .unwrap_or_else(|| panic!("no o= line: {text}"));
    origin.split_whitespace().nth(2).unwrap().parse().unwrap()
}

#[test]
fn a_codec_change_of_a_placed_call_retried_after_491_goes_as_made_when_the_peer_only_refreshed() {
    let mut pair = Pair::new(Net::perfect(86), pair::idle());
    pair.a_shell = accepting_at_our_rtp();
    // The call is placed offering PCMU and PCMA: our description is that offer.
    let placed = OutgoingCall {
        sdp_offer: our_offer(&[(0, "PCMU"), (8, "PCMA")]),
        ..pair::call_to(pair::P)
    };
    let call = pair.invite(placed);
    peer_invite(&mut pair, 1);
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    assert!(
        pair.run_until(pair.elapsed() + Duration::from_secs(1), |p| {
            p.a_names() == ["CallAnswered"]
        })
    );
    // The application moves the call to PCMA alone; the peer's refresh crosses it, offering
    // the session as it was, which the application accepts unchanged (PCMU alone).
    let pcma = our_offer(&[(8, "PCMA")]);
    pair.a.reoffer(pair.now, call, pcma.clone()).unwrap();
    peer_invite(&mut pair, 2);
    pair.peer
        .reply(Method::Invite, 491, "Request Pending", "", "");
    pair.peer.request(Method::Invite, "", &callee_sdp());
    peer_acks_its_reinvite(&mut pair);
    let retried = peer_invite(&mut pair, 3);
    let strip_origin = |sdp: &str| -> String {
        sdp.split_inclusive('\n')
            .filter(|line| !line.starts_with("o="))
            .collect()
    };
    assert_eq!(
        strip_origin(body(&retried)),
        strip_origin(&pcma),
        "the application's offer as made: {retried}"
    );
    // RFC 3264 §8: our offer v2, our answer to the peer's v3, our offer again v4.
    assert_eq!(version(&retried), 4, "{retried}");
    let pcma_answer = callee_sdp().replace(
        "RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000",
        "RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000",
    );
    pair.peer.reply(Method::Invite, 200, "OK", "", &pcma_answer);
    assert!(
        pair.run_until(pair.elapsed() + Duration::from_secs(1), |p| {
            p.a_names().len() == 3
        })
    );
    assert!(
        matches!(pair.a_events[1], Event::SessionOffer { .. }),
        "{:?}",
        pair.a_names()
    );
    let Some(Event::OfferAnswered { offer, .. }) = pair.a_events.last() else {
        panic!("{:?}", pair.a_names())
    };
    assert_eq!(*offer, body(&retried), "the answered offer is the one sent");
}

#[test]
fn each_description_sent_is_one_version_up_when_offers_wait_for_our_refresh_update() {
    let (mut sim, call, refresh) = refresh_update_out(87, idle_answering_shell());
    // The application offers a hold, then again, while our refresh is out: neither goes yet.
    let hold = renewed(&offer(), Direction::SendOnly);
    sim.ep.reoffer(sim.now, call, hold.clone()).unwrap();
    sim.ep.reoffer(sim.now, call, hold).unwrap();
    // The peer's offer comes meanwhile, and is accepted.
    sim.uac.reoffer(sim.now, UPDATE_AND_TIMER, &offer());
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(1), |s| {
        s.has_event("SessionOffer")
    }));
    let theirs = Offer::parse(offer().as_bytes()).unwrap();
    sim.ep
        .accept_offer(sim.now, call, g711_answer(&theirs))
        .unwrap();
    sim.uac.update_answers.clear();
    sim.uac.send_raw(response_to(&refresh, "200 OK"));
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(2), |s| {
        s.has_event("OfferAnswered")
    }));
    let mut versions: Vec<u64> = sim
        .sent
        .iter()
        .filter(|(_, text)| body(text).contains("\no="))
        .map(|(_, text)| version(text))
        .collect();
    versions.dedup();
    // RFC 3264 §8: our answer to the call v1, to the peer's offer v2, our hold v3.
    assert_eq!(versions, [1, 2, 3], "{:?}", sim.first_lines());
    let updates = requests_at(&sim, "UPDATE");
    assert!(body(&updates[1].1).contains("a=sendonly"), "{updates:?}");
}
