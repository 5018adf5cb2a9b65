//! Sessions re-negotiated in a call (re-INVITE, UPDATE) reach the media leg;
//! DTMF sent as SIP INFO reaches the guest.

mod common;

use common::*;
use std::time::Duration;
use switchyard_core::{CallEvent, CoreConfig, GuestOp, MediaOp};
use switchyard_media::{Codec, LegParams, MediaDirection, RtcpPath};
use switchyard_sip::OfferMethod;
use switchyard_sip::testing::{Net, Uac, UacConfig, addr, audio_offer, response_to, rsip::Method};

/// One call from the first caller, answered and confirmed.
fn answered_call() -> World {
    let mut w = World::new(CoreConfig::default(), Net::perfect(9), 9, answer_only());
    let caller = w.dial("alone", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    w.run_for(Duration::from_secs(1));
    w
}

/// The parameters of every `UpdateLeg` so far.
fn updates(w: &World) -> Vec<LegParams> {
    w.media
        .iter()
        .filter_map(|op| match op {
            MediaOp::UpdateLeg { params, .. } => Some(params.clone()),
            _ => None,
        })
        .collect()
}

fn offer(rtp: &str, extra: &str) -> String {
    format!("{}{extra}", audio_offer(addr(rtp)))
}

/// The first caller re-offers `sdp`; the parameters of the one `UpdateLeg` it brings.
fn reoffered(w: &mut World, sdp: &str) -> LegParams {
    let before = updates(w).len();
    w.uacs[0].reoffer(w.now, "", sdp);
    assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() == before + 1));
    updates(w).swap_remove(before)
}

#[test]
fn hold_resume_and_a_new_address_reach_the_leg() {
    let mut w = answered_call();
    let hold = reoffered(&mut w, &offer("127.0.0.1:30000", "a=sendonly\r\n"));
    assert_eq!(
        (hold.direction, hold.peer_holds),
        (MediaDirection::RecvOnly, true),
        "held: we only listen, to what its room must not hear"
    );
    // The 200 is on its way.
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0]
            .last_response(Method::Invite)
            .is_some_and(|r| r.body().contains("a=recvonly"))
    }));

    w.run_for(Duration::from_secs(1));
    let resumed = reoffered(&mut w, &offer("127.0.0.1:30100", "a=ptime:40\r\n"));
    assert_eq!(resumed.direction, MediaDirection::SendRecv);
    assert!(!resumed.peer_holds);
    assert_eq!(resumed.remote, addr("127.0.0.1:30100"));
    assert_eq!(resumed.ptime_ms, 40);
    assert_eq!(resumed.codec, Codec::Pcmu);
}

#[test]
fn an_update_offer_is_applied_like_a_reinvite() {
    let mut w = answered_call();
    w.uacs[0].update(
        w.now,
        "Content-Type: application/sdp\r\n",
        &offer("127.0.0.1:30200", "a=inactive\r\n"),
    );
    assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() == 1));
    assert_eq!(updates(&w)[0].direction, MediaDirection::Inactive);
    assert!(updates(&w)[0].peer_holds, "inactive is a hold too");
    assert_eq!(updates(&w)[0].remote, addr("127.0.0.1:30200"));
}

#[test]
fn an_offer_without_a_common_codec_gets_488_and_the_session_stays() {
    let mut w = answered_call();
    let g729 = "v=0\r\no=u 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                m=audio 30300 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    w.uacs[0].reoffer(w.now, "", g729);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&488)
    }));
    assert!(updates(&w).is_empty());
    let call = w.invites()[0].call;
    assert!(w.core.has_call(call), "the call goes on");
}

#[test]
fn an_offer_of_another_address_family_gets_488_and_the_session_stays() {
    let mut w = answered_call();
    // The leg's RTP socket is IPv4, as the first offer was.
    w.uacs[0].reoffer(w.now, "", &offer("[::1]:30300", ""));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&488)
    }));
    let refusal = w.uacs[0].last_response(Method::Invite).unwrap();
    assert!(
        refusal
            .text
            .contains("488 Not Acceptable Here: Media Address Family Not Served"),
        "{}",
        refusal.text
    );
    assert!(updates(&w).is_empty(), "{:?}", updates(&w));
    let call = w.invites()[0].call;
    assert!(w.core.has_call(call), "the call goes on");
}

#[test]
fn dtmf_sent_as_sip_info_reaches_the_guest() {
    let mut w = answered_call();
    w.uacs[0].info(
        w.now,
        "Content-Type: application/dtmf-relay\r\n",
        "Signal=5\r\nDuration=160\r\n",
    );
    let call = w.invites()[0].call;
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Dtmf('5'))
    }));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Info).contains(&200)
    }));
}

/// The `Held` events of `call` so far.
fn held_events(w: &World, call: switchyard_core::CallId) -> Vec<Result<bool, String>> {
    w.events_of(call)
        .into_iter()
        .filter_map(|event| match event {
            CallEvent::Held(outcome) => Some(outcome),
            _ => None,
        })
        .collect()
}

#[test]
fn a_guest_puts_a_call_on_hold_and_takes_it_off() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 1));
    let reinvite = w.uacs[0].requests(Method::Invite);
    let hold = reinvite.last().unwrap();
    assert!(hold.body().contains("a=sendonly\r\n"), "{}", hold.body());
    assert!(hold.body().contains("m=audio "), "{}", hold.body());
    assert_eq!(held_events(&w, call), [Ok(true)]);
    // RFC 3264 §6.1: the peer answered recvonly; we only send.
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendOnly
    );

    w.core.hold(w.now, call, false).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 2));
    assert_eq!(held_events(&w, call), [Ok(true), Ok(false)]);
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendRecv
    );
    assert!(w.core.has_call(call));
}

#[test]
fn a_peer_that_holds_still_holds_in_its_answers_to_our_offers() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    reoffered(&mut w, &offer("127.0.0.1:30000", "a=sendonly\r\n"));
    w.run_for(Duration::from_secs(1));
    // The guest holds and resumes the call while the phone holds it: the phone answers
    // inactive, then sendonly (RFC 6337 §5.3).
    for (held, answered) in [
        (true, MediaDirection::Inactive),
        (false, MediaDirection::RecvOnly),
    ] {
        let before = updates(&w).len();
        w.core.hold(w.now, call, held).unwrap();
        assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() > before));
        let params = updates(&w).last().unwrap().clone();
        assert_eq!(
            (params.direction, params.peer_holds),
            (answered, true),
            "the guest's hold {held}"
        );
        w.run_for(Duration::from_secs(1));
    }
    // The phone resumes by a re-INVITE without SDP (our offer, its answer in the ACK), and
    // holds again the same way.
    for (answer, ours, holds) in [
        ("a=sendrecv\r\n", MediaDirection::SendRecv, false),
        ("a=sendonly\r\n", MediaDirection::RecvOnly, true),
    ] {
        w.uacs[0].ack_answer = Some(offer("127.0.0.1:30000", answer));
        let before = updates(&w).len();
        w.uacs[0].reoffer(w.now, "", "");
        assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() > before));
        let params = updates(&w).last().unwrap().clone();
        assert_eq!(
            (params.direction, params.peer_holds),
            (ours, holds),
            "{answer}"
        );
        w.run_for(Duration::from_secs(1));
    }
}

#[test]
fn a_peer_that_never_received_holds_nothing_by_saying_so_again() {
    // An announcement calling in: sendonly from its first offer.
    let mut w = World::new(CoreConfig::default(), Net::perfect(9), 9, answer_only());
    let caller = w.dial_offering(
        "alone",
        "announcer",
        &offer("127.0.0.1:30000", "a=sendonly\r\n"),
    );
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    w.run_for(Duration::from_secs(1));
    // Its session refresh repeats it; then the guest holds the call, answered inactive.
    w.uacs[caller].reoffer(w.now, "", &offer("127.0.0.1:30000", "a=sendonly\r\n"));
    assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() == 1));
    w.run_for(Duration::from_secs(1));
    w.core.hold(w.now, w.invites()[0].call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() == 2));
    let holds: Vec<bool> = updates(&w).iter().map(|p| p.peer_holds).collect();
    assert_eq!(holds, [false, false], "heard as it always was");
}

#[test]
fn a_call_we_hold_stays_held_whatever_the_peer_offers_until_we_resume() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 1));
    // The peer holds too, then takes its own hold off, offering sendrecv.
    for (extra, answered, ours) in [
        ("a=inactive\r\n", "a=inactive", MediaDirection::Inactive),
        ("a=sendrecv\r\n", "a=sendonly", MediaDirection::SendOnly),
    ] {
        w.run_for(Duration::from_secs(1));
        let before = updates(&w).len();
        w.uacs[0].reoffer(w.now, "", &offer("127.0.0.1:30000", extra));
        assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() > before));
        assert_eq!(updates(&w).last().unwrap().direction, ours, "{extra}");
        assert!(w.run_until(Duration::from_secs(5), |w| {
            w.uacs[0]
                .last_response(Method::Invite)
                .is_some_and(|r| r.code() == Some(200) && r.body().contains(answered))
        }));
    }
    w.run_for(Duration::from_secs(1));
    w.core.hold(w.now, call, false).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 2));
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendRecv,
        "resumed by us"
    );
}

#[test]
fn a_refused_hold_reaches_the_guest_and_the_session_stays() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    w.uacs[0].invite_answers.push_back(488);
    w.core.hold(w.now, call, true).unwrap();
    assert!(
        w.core.hold(w.now, call, false).is_err(),
        "one hold or resume at a time"
    );
    assert!(w.run_until(Duration::from_secs(5), |w| !held_events(w, call).is_empty()));
    assert_eq!(held_events(&w, call), [Err("488 Refused".to_owned())]);
    assert!(updates(&w).is_empty(), "the leg keeps its session");
    assert!(w.core.has_call(call));
}

/// The guest holds `call` and the phone only rings on the re-INVITE; returns once it has
/// arrived.
fn hold_left_ringing(w: &mut World, call: switchyard_core::CallId) {
    w.uacs[0].invite_answers.push_back(180);
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        !w.uacs[0].requests(Method::Invite).is_empty()
    }));
}

/// The last re-INVITE the first caller received, as it arrived.
fn last_reinvite(w: &World) -> String {
    w.uacs[0]
        .requests(Method::Invite)
        .last()
        .unwrap()
        .text
        .clone()
}

#[test]
fn a_hold_cut_short_by_the_guests_hangup_is_not_reported_after_it() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    // The phone rings on our re-INVITE, and takes its time over our BYE.
    w.uacs[0].answer_bye = false;
    hold_left_ringing(&mut w, call);
    w.run_for(Duration::from_secs(1));
    w.core.hangup(w.now, call).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        !w.uacs[0].requests(Method::Bye).is_empty()
    }));
    // RFC 3261 §15.1.2: the BYE ends the re-INVITE with 487.
    let reinvite = last_reinvite(&w);
    w.uacs[0].send_raw(response_to(&reinvite, "487 Request Terminated"));
    w.run_for(Duration::from_secs(40));
    assert!(!w.core.has_call(call));
    assert_eq!(held_events(&w, call), [], "the guest hung up first");
}

#[test]
fn only_an_answered_call_can_be_held() {
    let refusal = std::rc::Rc::new(std::cell::RefCell::new(None));
    let seen = refusal.clone();
    let script: Script = Box::new(move |core, now, op| {
        if let GuestOp::Invite(invite) = op {
            *seen.borrow_mut() = core.hold(now, invite.call, true).err();
            core.answer(now, invite.call).expect("answer");
        }
    });
    let mut w = World::new(CoreConfig::default(), Net::perfect(9), 9, script);
    w.dial("alone", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| !w.invites().is_empty()));
    let refused = refusal
        .borrow()
        .clone()
        .expect("hold before the answer is refused");
    assert!(refused.to_string().contains("not answered"), "{refused}");
}

#[test]
fn an_opus_reoffer_switches_the_leg_to_opus_with_our_fmtp() {
    let mut w = answered_call();
    let opus = "v=0\r\no=user1 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 30300 RTP/AVP 96 9 0 101 102\r\na=rtpmap:96 opus/48000/2\r\n\
        a=fmtp:96 stereo=1; sprop-stereo=1; useinbandfec=1\r\na=rtpmap:9 G722/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=rtpmap:102 telephone-event/48000\r\n";
    let params = reoffered(&mut w, opus);
    assert_eq!(params.codec, Codec::Opus);
    assert_eq!(params.payload_type, 96);
    assert_eq!(
        params
            .telephone_event
            .map(|te| (te.payload_type, te.clock_rate)),
        Some((102, 48000)),
        "events on the codec's clock"
    );
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].last_response(Method::Invite).is_some_and(|r| {
            let body = r.body();
            body.contains("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n")
                && body.contains("a=rtpmap:102 telephone-event/48000\r\n")
        })
    }));
}

/// The guest asks for `held` while the phone's offerless re-INVITE crosses it: ours gets 491
/// and waits (RFC 3261 §14.1), the phone's gets our current session in our 2xx and answers it
/// in its ACK, then ours goes again and is refused with 488.
fn hold_crossed_by_the_peers_offer(w: &mut World, call: switchyard_core::CallId, held: bool) {
    let sent = w.uacs[0].requests(Method::Invite).len();
    w.uacs[0].invite_answers.extend([491, 488]);
    w.core.hold(w.now, call, held).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].requests(Method::Invite).len() > sent
    }));
    let ours = if held { "a=sendonly" } else { "a=sendrecv" };
    let theirs = if held {
        "a=sendrecv\r\n"
    } else {
        "a=recvonly\r\n"
    };
    w.uacs[0].ack_answer = Some(offer("127.0.0.1:30000", theirs));
    w.uacs[0].reoffer(w.now, "", "");
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.uacs[0].requests(Method::Invite).len() == sent + 2
    }));
    let retried = w.uacs[0].requests(Method::Invite);
    assert!(retried[sent + 1].body().contains(ours), "the retry is ours");
    w.run_for(Duration::from_secs(1));
}

#[test]
fn only_the_answer_to_the_hold_or_resume_itself_settles_it() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    hold_crossed_by_the_peers_offer(&mut w, call, true);
    assert_eq!(
        held_events(&w, call),
        [Err("488 Refused".to_owned())],
        "the answer to our current session held nothing"
    );
    // Not held: the phone's offers are answered sendrecv, and the guest may hold again.
    w.uacs[0].reoffer(w.now, "", &offer("127.0.0.1:30000", "a=sendrecv\r\n"));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0]
            .last_response(Method::Invite)
            .is_some_and(|r| r.code() == Some(200) && r.body().contains("a=sendrecv"))
    }));
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendRecv
    );
    w.run_for(Duration::from_secs(1));
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 2));

    // Held: a resume crossed the same way leaves it held.
    w.run_for(Duration::from_secs(1));
    hold_crossed_by_the_peers_offer(&mut w, call, false);
    assert_eq!(
        held_events(&w, call),
        [
            Err("488 Refused".to_owned()),
            Ok(true),
            Err("488 Refused".to_owned())
        ]
    );
    w.uacs[0].reoffer(w.now, "", &offer("127.0.0.1:30000", "a=sendrecv\r\n"));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0]
            .last_response(Method::Invite)
            .is_some_and(|r| r.code() == Some(200) && r.body().contains("a=sendonly"))
    }));
}

#[test]
fn a_refresh_refused_while_a_hold_waits_out_its_491_leaves_the_hold_to_its_own_answer() {
    let mut w = World::new(CoreConfig::default(), Net::perfect(9), 9, answer_only());
    // The phone has us refresh the session every 45 s (RFC 4028 §10).
    let local = addr("127.0.0.1:6000");
    let mut config = UacConfig::new(local, addr(SUT), "alone", "alice");
    config.call_id = "call-0@test".into();
    config.from_tag = "tag-0".into();
    let mut uac = Uac::new(config);
    let session_timer = "Session-Expires: 90;refresher=uas\r\nSupported: timer\r\n";
    uac.invite(w.now, session_timer, &offer("127.0.0.1:30000", ""));
    w.uacs.push(uac);
    w.locals.push(local);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    let call = w.invites()[0].call;
    // The hold glares (RFC 3261 §14.1); the refresh, due in its wait, is refused.
    w.run_for(Duration::from_millis(44_900));
    w.uacs[0].invite_answers.extend([491, 488]);
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.uacs[0].requests(Method::Invite).len() == 3
    }));
    let bodies: Vec<_> = w.uacs[0]
        .requests(Method::Invite)
        .iter()
        .map(|invite| invite.body())
        .collect();
    let sendonly: Vec<_> = bodies.iter().map(|b| b.contains("a=sendonly")).collect();
    assert_eq!(
        sendonly,
        [true, false, true],
        "the refresh went in the hold's wait"
    );
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        held_events(&w, call),
        [Ok(true)],
        "only the hold's answer settles it"
    );
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendOnly
    );
    w.core.hold(w.now, call, false).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 2));
    assert_eq!(held_events(&w, call), [Ok(true), Ok(false)]);
}

/// The phone's 200 to `reinvite`, our re-INVITE as it arrived, answering it with `sdp`.
fn ok_with(reinvite: &str, sdp: &str, contact: std::net::SocketAddr) -> Vec<u8> {
    let head = String::from_utf8(response_to(reinvite, "200 OK")).unwrap();
    let head = head.strip_suffix("Content-Length: 0\r\n\r\n").unwrap();
    format!(
        "{head}Contact: <sip:{contact}>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

#[test]
fn a_hold_stays_a_hold_whatever_direction_the_peer_answers() {
    // RFC 3264 §6.1: the answer to our sendonly can only be recvonly or inactive; one that
    // says more (or nothing, sendrecv) still leaves us not receiving, and one that says
    // sendonly leaves nothing flowing either way.
    for (answered, ours) in [
        ("a=sendrecv\r\n", MediaDirection::SendOnly),
        ("", MediaDirection::SendOnly),
        ("a=sendonly\r\n", MediaDirection::Inactive),
        ("a=recvonly\r\n", MediaDirection::SendOnly),
    ] {
        let mut w = answered_call();
        let call = w.invites()[0].call;
        // The phone only rings on our re-INVITE; its 200 is the test's.
        hold_left_ringing(&mut w, call);
        let reinvite = last_reinvite(&w);
        let local = w.locals[0];
        let sdp = offer("127.0.0.1:30000", answered);
        w.uacs[0].send_raw(ok_with(&reinvite, &sdp, local));
        assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 1));
        assert_eq!(held_events(&w, call), [Ok(true)], "{answered:?}");
        let params = updates(&w).last().unwrap().clone();
        assert_eq!(params.direction, ours, "{answered:?}");
    }
}

#[test]
fn a_held_call_stays_held_whatever_the_ack_answers_to_our_offer() {
    let mut w = answered_call();
    let call = w.invites()[0].call;
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 1));
    w.run_for(Duration::from_secs(1));
    // The phone re-INVITEs without SDP: our offer in the 200 keeps the hold, and its ACK
    // answers sendrecv all the same.
    w.uacs[0].ack_answer = Some(offer("127.0.0.1:30000", "a=sendrecv\r\n"));
    let before = updates(&w).len();
    w.uacs[0].reoffer(w.now, "", "");
    assert!(w.run_until(Duration::from_secs(5), |w| updates(w).len() > before));
    let ok = w.uacs[0].last_response(Method::Invite).unwrap();
    assert!(ok.body().contains("a=sendonly\r\n"), "{}", ok.body());
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendOnly
    );
}

/// An offer of two audio streams: G.729 alone, sendonly, RTCP named at 30009; then
/// `second`'s formats at 127.0.0.1:30002, sendrecv, RTCP on the next port.
fn two_streams(first: &str, second: &str) -> String {
    format!(
        "v=0\r\no=u 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP {first}\r\na=sendonly\r\na=rtcp:30009\r\n\
         m=audio 30002 RTP/AVP {second}\r\na=sendrecv\r\n"
    )
}

#[test]
fn the_peers_direction_and_addresses_come_from_the_stream_answered() {
    let mut w = answered_call();
    // The first stream has no codec in common: the second is answered, and its sendrecv is
    // what the peer says, not the first one's sendonly.
    let params = reoffered(&mut w, &two_streams("18", "0"));
    assert_eq!(
        (params.direction, params.peer_holds),
        (MediaDirection::SendRecv, false)
    );
    assert_eq!(params.remote, addr("127.0.0.1:30002"));
    assert_eq!(params.rtcp, RtcpPath::Separate(addr("127.0.0.1:30003")));
    // The 200 answers on the second m= line, sendrecv.
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].last_response(Method::Invite).is_some_and(|r| {
            let answer = r.body();
            answer.contains("m=audio 0 RTP/AVP 18\r\n") && answer.contains("a=sendrecv\r\n")
        })
    }));
}

#[test]
fn a_reoffer_moves_the_session_from_one_stream_to_the_other() {
    let mut w = answered_call();
    reoffered(&mut w, &two_streams("18", "0"));
    w.run_for(Duration::from_secs(1));
    // Now the first stream has PCMU: it is the one answered, sendonly, a hold.
    let first = reoffered(&mut w, &two_streams("0", "0"));
    assert_eq!(
        (first.direction, first.peer_holds),
        (MediaDirection::RecvOnly, true)
    );
    assert_eq!(first.remote, addr("127.0.0.1:30000"));
    assert_eq!(first.rtcp, RtcpPath::Separate(addr("127.0.0.1:30009")));
    w.run_for(Duration::from_secs(1));
    // And back to the second, which resumes.
    let second = reoffered(&mut w, &two_streams("18", "0"));
    assert_eq!(
        (second.direction, second.peer_holds),
        (MediaDirection::SendRecv, false)
    );
    assert_eq!(second.remote, addr("127.0.0.1:30002"));
}

/// An answer to our offer with one codec alone, of payload type `payload_type` and
/// `a=rtpmap` `encoding`, and the attribute lines `direction`.
fn answer_of_one_codec(payload_type: u8, encoding: &str, direction: &str) -> String {
    format!(
        "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
         c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP {payload_type}\r\n\
         a=rtpmap:{payload_type} {encoding}\r\n{direction}"
    )
}

/// An answer to our offer with G.729 alone, which we do not carry: no codec in common.
fn g729_answer(direction: &str) -> String {
    answer_of_one_codec(18, "G729/8000", direction)
}

/// The phone answers the last re-INVITE with a 200 whose SDP is [`g729_answer`] (`direction`).
fn answer_reinvite_with_g729(w: &mut World, direction: &str) {
    answer_reinvite_with(w, &g729_answer(direction));
}

/// The phone answers the last re-INVITE with a 200 whose body is `sdp`.
fn answer_reinvite_with(w: &mut World, sdp: &str) {
    let ok = ok_with(&last_reinvite(w), sdp, w.locals[0]);
    w.uacs[0].send_raw(ok);
}

/// Answers the endpoint cannot read, each with what it is: a port of 0, a multicast
/// address, SDP that does not parse.
fn unreadable_answers() -> [(&'static str, String); 3] {
    [
        (
            "port 0",
            offer("127.0.0.1:30000", "").replace("m=audio 30000", "m=audio 0"),
        ),
        ("multicast", offer("224.0.1.75:30000", "")),
        ("malformed", "v=0\r\nthis is no SDP\r\n".to_owned()),
    ]
}

/// One call as [`answered_call`] sets it up, and the id its guest knows it by.
fn answered_call_and_id() -> (World, switchyard_core::CallId) {
    let w = answered_call();
    let call = w.invites()[0].call;
    (w, call)
}

/// The guest of `call` heard one outcome of its hold or resume: refused with 488.
fn assert_refused_once(w: &World, call: switchyard_core::CallId) {
    assert_eq!(
        held_events(w, call),
        [Err("488 Not Acceptable Here".to_owned())]
    );
}

/// The phone of `call` gets a BYE and the call ends, after two re-INVITEs (`why`: what
/// those two were); the guest heard only that its hold was refused.
fn assert_hung_up_after_two_offers(w: &mut World, call: switchyard_core::CallId, why: &str) {
    assert!(w.run_until(Duration::from_secs(5), |w| {
        !w.uacs[0].requests(Method::Bye).is_empty() && !w.core.has_call(call)
    }));
    assert_eq!(w.uacs[0].requests(Method::Invite).len(), 2, "{why}");
    assert_refused_once(w, call);
}

/// The phone answers the guest's hold of `call` with `answers` in turn, the first a 491
/// (RFC 3261 §14.1); in the hold's wait it re-INVITEs without SDP, and its ACK answers
/// our offer in the 200 with G.729 alone.
fn hold_glared_by_an_offerless_reinvite(
    w: &mut World,
    call: switchyard_core::CallId,
    answers: &[u16],
) {
    w.uacs[0].invite_answers.extend(answers);
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        !w.uacs[0].requests(Method::Invite).is_empty()
    }));
    w.uacs[0].ack_answer = Some(g729_answer(""));
    w.uacs[0].reoffer(w.now, "", "");
}

/// The guest holds (`held`) or resumes `call`; the phone rings on the re-INVITE, then
/// answers it with G.729 alone. Returns once the guest heard the outcome.
fn hold_answered_unusably(w: &mut World, call: switchyard_core::CallId, held: bool) {
    let answer = g729_answer(if held { "a=recvonly\r\n" } else { "" });
    hold_answered_with(w, call, held, &answer);
}

/// The guest holds `call`, which the phone answers with G.729 alone, and the phone rings on
/// our second re-INVITE, offering the session kept, as well. Returns once it has it.
fn the_session_kept_rings_after_a_hold_answered_unusably(
    w: &mut World,
    call: switchyard_core::CallId,
) {
    w.uacs[0].invite_answers.push_back(180);
    hold_answered_unusably(w, call, true);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].requests(Method::Invite).len() == 2
    }));
}

/// Asserts that our second re-INVITE offers the session not held and that the leg was
/// updated.
fn assert_the_session_kept_offered_again(w: &mut World) {
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].requests(Method::Invite).len() == 2 && !updates(w).is_empty()
    }));
    let again = last_reinvite(w);
    assert!(
        again.contains("m=audio ") && !again.contains("a=sendonly"),
        "{again}"
    );
}

/// The guest holds (`held`) or resumes `call`; the phone rings on the re-INVITE, then
/// answers it with `answer`. Returns once the guest heard the outcome.
fn hold_answered_with(w: &mut World, call: switchyard_core::CallId, held: bool, answer: &str) {
    let before = held_events(w, call).len();
    let reinvites = w.uacs[0].requests(Method::Invite).len();
    w.uacs[0].invite_answers.push_back(180);
    w.core.hold(w.now, call, held).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].requests(Method::Invite).len() > reinvites
    }));
    answer_reinvite_with(w, answer);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        held_events(w, call).len() == before + 1
    }));
}

/// The first caller offers sendrecv again; the direction our leg takes from it.
fn peer_reoffers_sendrecv(w: &mut World) -> MediaDirection {
    w.run_for(Duration::from_secs(1));
    reoffered(w, &offer("127.0.0.1:30000", "a=sendrecv\r\n")).direction
}

#[test]
fn a_hold_or_resume_whose_answer_cannot_be_used_is_refused_and_changes_nothing() {
    let (mut w, call) = answered_call_and_id();
    hold_answered_unusably(&mut w, call, true);
    assert_refused_once(&w, call);
    assert!(updates(&w).is_empty(), "the leg keeps its session");
    assert_eq!(
        peer_reoffers_sendrecv(&mut w),
        MediaDirection::SendRecv,
        "the call is not held"
    );

    w.run_for(Duration::from_secs(1));
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| held_events(w, call).len() == 2));
    w.run_for(Duration::from_secs(1));
    hold_answered_unusably(&mut w, call, false);
    assert_eq!(
        held_events(&w, call)[1..],
        [Ok(true), Err("488 Not Acceptable Here".to_owned())]
    );
    assert_eq!(
        peer_reoffers_sendrecv(&mut w),
        MediaDirection::SendOnly,
        "the call is still held"
    );
    assert!(w.core.has_call(call));
}

/// The parameters of the first `AddLeg`: the leg as the call's first session set it.
fn leg_added(w: &World) -> LegParams {
    w.media
        .iter()
        .find_map(|op| match op {
            MediaOp::AddLeg { params, .. } => Some(params.clone()),
            _ => None,
        })
        .expect("a leg")
}

#[test]
fn a_peer_that_answered_a_hold_unusably_is_offered_the_session_kept_again() {
    let (mut w, call) = answered_call_and_id();
    hold_answered_unusably(&mut w, call, true);
    assert_refused_once(&w, call);
    // RFC 3264 §5: the phone took our sendonly; it is offered the session not held, which
    // it answers as it answers any offer.
    assert_the_session_kept_offered_again(&mut w);
    // The phone answers from its own address: only the media's addresses change.
    let (before, after) = (leg_added(&w), updates(&w)[0].clone());
    assert_eq!(
        LegParams {
            remote: before.remote,
            rtcp: before.rtcp,
            ..after
        },
        before,
        "the leg as it was"
    );
    assert_eq!(held_events(&w, call).len(), 1, "the guest hears once");

    // The phone's re-INVITE without SDP: our offer in the 200 is the session not held.
    w.run_for(Duration::from_secs(1));
    let answered = w.uacs[0].codes(Method::Invite).len();
    w.uacs[0].reoffer(w.now, "", "");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).len() > answered && updates(w).len() == 2
    }));
    let ok = w.uacs[0].last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert!(!ok.body().contains("a=sendonly"), "{}", ok.body());
    assert_eq!(
        updates(&w)[1].direction,
        MediaDirection::SendRecv,
        "the call is not held"
    );
    assert!(w.core.has_call(call));
}

#[test]
fn a_hold_answered_with_a_codec_we_carry_but_did_not_offer_is_refused_and_the_session_kept_offered()
{
    let (mut w, call) = answered_call_and_id();
    // The hold offers the call's codec, PCMU, alone; the phone answers with PCMA, which we
    // carry but did not offer (RFC 3264 §6: an answer's formats are among the offer's).
    hold_answered_with(
        &mut w,
        call,
        true,
        &answer_of_one_codec(8, "PCMA/8000", "a=recvonly\r\n"),
    );
    let hold = w.uacs[0].requests(Method::Invite)[0].body();
    assert!(
        hold.contains("a=rtpmap:0 PCMU/8000") && !hold.contains("PCMA"),
        "{hold}"
    );
    assert_refused_once(&w, call);
    // The phone took our sendonly: it is offered the session kept, which it answers with PCMU.
    assert_the_session_kept_offered_again(&mut w);
    w.run_for(Duration::from_secs(1));
    let codecs: Vec<Codec> = updates(&w).iter().map(|params| params.codec).collect();
    assert_eq!(codecs, [Codec::Pcmu], "the leg keeps its codec");
    assert_eq!(updates(&w)[0].direction, MediaDirection::SendRecv);
    assert!(w.uacs[0].requests(Method::Bye).is_empty());
    assert!(w.core.has_call(call));
}

#[test]
fn a_peer_that_refuses_the_session_kept_is_hung_up() {
    let (mut w, call) = answered_call_and_id();
    // The hold rings (its 200 is the test's); our offer of the session kept is refused.
    w.uacs[0].invite_answers.extend([180, 488]);
    hold_answered_unusably(&mut w, call, true);
    assert_hung_up_after_two_offers(
        &mut w,
        call,
        "the hold and the session kept: no offer after it",
    );
}

#[test]
fn a_peer_that_answers_the_session_kept_unusably_too_is_hung_up() {
    let (mut w, call) = answered_call_and_id();
    // Its 200 to our offer of the session kept is the test's.
    the_session_kept_rings_after_a_hold_answered_unusably(&mut w, call);
    answer_reinvite_with_g729(&mut w, "");
    assert_hung_up_after_two_offers(&mut w, call, "no offer after it");
    assert!(updates(&w).is_empty(), "nothing unusable reached the leg");
}

#[test]
fn a_hold_waiting_out_a_491_carries_the_session_kept_after_another_answer_cannot_be_used() {
    let (mut w, call) = answered_call_and_id();
    hold_glared_by_an_offerless_reinvite(&mut w, call, &[491]);
    assert!(w.run_until(Duration::from_secs(10), |w| {
        !held_events(w, call).is_empty()
    }));
    w.run_for(Duration::from_secs(5));
    let sendonly: Vec<_> = w.uacs[0]
        .requests(Method::Invite)
        .iter()
        .map(|invite| invite.body().contains("a=sendonly"))
        .collect();
    assert_eq!(sendonly, [true, true], "the hold, then its retry alone");
    assert_eq!(held_events(&w, call), [Ok(true)]);
    assert_eq!(
        updates(&w).last().unwrap().direction,
        MediaDirection::SendOnly
    );
    assert!(w.core.has_call(call));
}

#[test]
fn a_hold_that_carried_the_session_kept_answered_unusably_too_hangs_up() {
    let (mut w, call) = answered_call_and_id();
    // As above, but the phone rings on the retried hold; its 200, G.729 alone, is the test's.
    hold_glared_by_an_offerless_reinvite(&mut w, call, &[491, 180]);
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.uacs[0].requests(Method::Invite).len() == 2
    }));
    answer_reinvite_with_g729(&mut w, "a=recvonly\r\n");
    assert_hung_up_after_two_offers(&mut w, call, "no offer after it");
}

/// The guest holds `call`, which the phone answers with G.729 alone; our offer of the
/// session kept gets 491 and waits (RFC 3261 §14.1). Returns once that offer arrived.
fn session_kept_glared(w: &mut World, call: switchyard_core::CallId) {
    w.uacs[0].invite_answers.extend([180, 491]);
    hold_answered_unusably(w, call, true);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].requests(Method::Invite).len() == 2
    }));
    // What the phone answers from now on is each test's.
    w.uacs[0].invite_answers.clear();
    // The 491 reaches us.
    w.run_for(Duration::from_millis(20));
}

#[test]
fn a_peer_whose_offer_crossed_the_session_kept_is_not_hung_up_for_refusing_it() {
    let (mut w, call) = answered_call_and_id();
    session_kept_glared(&mut w, call);
    // The phone's own offer, PCMU, is taken in the wait; our retry is refused after it.
    w.uacs[0].invite_answers.push_back(488);
    w.uacs[0].reoffer(w.now, "", &offer("127.0.0.1:30000", "a=sendrecv\r\n"));
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.uacs[0].requests(Method::Invite).len() == 3
    }));
    w.run_for(Duration::from_secs(5));
    assert!(w.uacs[0].invite_answers.is_empty(), "the retry was refused");
    assert!(
        !last_reinvite(&w).contains("a=sendonly"),
        "the session kept"
    );
    assert_eq!(
        w.uacs[0].codes(Method::Invite).last(),
        Some(&200),
        "the phone's offer was taken"
    );
    assert!(w.uacs[0].requests(Method::Bye).is_empty());
    assert!(w.core.has_call(call), "its session is the one it offered");
}

#[test]
fn a_resume_in_place_of_the_session_kept_is_the_guests_alone() {
    let (mut w, call) = answered_call_and_id();
    session_kept_glared(&mut w, call);
    // The guest resumes in the wait: its offer, the session kept as our retry offers it,
    // goes in place of the retry, and is refused.
    w.uacs[0].invite_answers.push_back(488);
    w.core.hold(w.now, call, false).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        held_events(w, call).len() == 2
    }));
    w.run_for(Duration::from_secs(5));
    assert_eq!(
        held_events(&w, call),
        [
            Err("488 Not Acceptable Here".to_owned()),
            Err("488 Refused".to_owned())
        ]
    );
    assert_eq!(
        w.uacs[0].requests(Method::Invite).len(),
        3,
        "no retry after it"
    );
    assert!(w.uacs[0].requests(Method::Bye).is_empty());
    assert!(w.core.has_call(call));
}

#[test]
fn a_hold_answered_with_sdp_that_cannot_be_read_is_refused_and_the_session_kept_offered() {
    for (what, answer) in unreadable_answers() {
        let (mut w, call) = answered_call_and_id();
        hold_answered_with(&mut w, call, true, &answer);
        assert_refused_once(&w, call);
        // RFC 3264 §5: the phone took our sendonly; it is offered the session not held.
        assert!(
            w.run_until(Duration::from_secs(5), |w| {
                w.uacs[0].requests(Method::Invite).len() == 2 && !updates(w).is_empty()
            }),
            "{what}"
        );
        let again = last_reinvite(&w);
        assert!(
            again.contains("m=audio ") && !again.contains("a=sendonly"),
            "{what}: {again}"
        );
        assert_eq!(
            updates(&w)[0].direction,
            MediaDirection::SendRecv,
            "{what}: the call is not held"
        );
        assert!(w.core.has_call(call), "{what}");
    }
}

#[test]
fn a_peer_that_answers_the_session_kept_with_sdp_that_cannot_be_read_too_is_hung_up() {
    for (what, answer) in unreadable_answers() {
        let (mut w, call) = answered_call_and_id();
        // The phone rings on our offer of the session kept as well; its 200 is the test's.
        w.uacs[0].invite_answers.push_back(180);
        hold_answered_with(&mut w, call, true, &answer);
        assert!(
            w.run_until(Duration::from_secs(5), |w| {
                w.uacs[0].requests(Method::Invite).len() == 2
            }),
            "{what}"
        );
        answer_reinvite_with(&mut w, &answer);
        assert_hung_up_after_two_offers(&mut w, call, "no offer after it");
        assert!(updates(&w).is_empty(), "{what}: nothing reached the leg");
    }
}

#[test]
fn an_ack_answering_our_offer_with_sdp_that_cannot_be_read_has_the_session_kept_offered() {
    for (what, answer) in unreadable_answers() {
        let (mut w, call) = answered_call_and_id();
        // The phone re-INVITEs without SDP; its ACK answers our offer in the 200 unreadably.
        w.uacs[0].ack_answer = Some(answer);
        w.uacs[0].reoffer(w.now, "", "");
        assert!(
            w.run_until(Duration::from_secs(5), |w| {
                !w.uacs[0].requests(Method::Invite).is_empty() && !updates(w).is_empty()
            }),
            "{what}: the session kept is offered again, and its answer taken"
        );
        let again = last_reinvite(&w);
        assert!(
            again.contains("a=sendrecv\r\n"),
            "{what}: the session kept, not held: {again}"
        );
        assert_eq!(updates(&w)[0].direction, MediaDirection::SendRecv, "{what}");
        assert!(
            held_events(&w, call).is_empty(),
            "{what}: no hold to tell of"
        );
        assert!(w.core.has_call(call), "{what}");
    }
}

/// The session timer a phone has us refresh every 45 s (RFC 4028 §10).
const WE_REFRESH: &str = "Session-Expires: 90;refresher=uas\r\nSupported: timer\r\n";

/// One call from a phone that has us refresh the session ([`WE_REFRESH`]) and whose INVITE
/// carries the header lines `extra` as well, answered and confirmed by a core whose endpoint
/// offers by `method`; and the id its guest knows it by.
fn refreshed_call(method: OfferMethod, extra: &str) -> (World, switchyard_core::CallId) {
    let mut w = World::offering_by(
        method,
        CoreConfig::default(),
        Net::perfect(9),
        9,
        answer_only(),
    );
    let headers = format!("{WE_REFRESH}{extra}");
    w.dial_with("alone", "alice", &headers, &offer("127.0.0.1:30000", ""));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    let call = w.invites()[0].call;
    (w, call)
}

#[test]
fn the_session_kept_offered_again_waits_for_our_refresh_update_to_end() {
    let allow = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n";
    let (mut w, call) = refreshed_call(OfferMethod::Update, allow);
    // The phone answers our refresh (an UPDATE without offer), and its retransmissions,
    // with 100 only; its 200 is the test's.
    w.uacs[0].update_answers.extend([100; 10]);
    assert!(w.run_until(Duration::from_secs(50), |w| {
        !w.uacs[0].requests(Method::Update).is_empty()
    }));
    let refresh = w.uacs[0].requests(Method::Update)[0].text.clone();
    // Meanwhile it re-INVITEs without SDP, and its ACK answers our offer with G.729 alone.
    w.uacs[0].ack_answer = Some(g729_answer(""));
    w.uacs[0].reoffer(w.now, "", "");
    w.run_for(Duration::from_secs(2));
    assert!(w.uacs[0].requests(Method::Bye).is_empty(), "not hung up");
    assert!(
        w.uacs[0]
            .requests(Method::Update)
            .iter()
            .all(|update| update.body().is_empty()),
        "nothing offered while the refresh is unanswered"
    );
    // Once the refresh ends, the session kept goes, and its answer is taken.
    w.uacs[0].update_answers.clear();
    w.uacs[0].send_raw(response_to(&refresh, "200 OK"));
    assert!(w.run_until(Duration::from_secs(5), |w| !updates(w).is_empty()));
    let offered = w.uacs[0].requests(Method::Update).last().unwrap().body();
    assert!(offered.contains("a=sendrecv\r\n"), "{offered}");
    assert_eq!(updates(&w)[0].direction, MediaDirection::SendRecv);
    assert!(w.uacs[0].requests(Method::Bye).is_empty());
    assert!(w.core.has_call(call));
}

#[test]
fn a_session_refresh_answered_without_sdp_keeps_the_session_and_ends_there() {
    let (mut w, call) = refreshed_call(OfferMethod::Reinvite, "");
    // The phone rings on our refresh (a re-INVITE with the session, at 45 s); its 200
    // carries no SDP.
    w.uacs[0].invite_answers.push_back(180);
    assert!(w.run_until(Duration::from_secs(50), |w| {
        !w.uacs[0].requests(Method::Invite).is_empty()
    }));
    answer_reinvite_with(&mut w, "");
    w.run_for(Duration::from_secs(10));
    assert_eq!(
        w.uacs[0].requests(Method::Invite).len(),
        1,
        "the session is not offered again"
    );
    assert!(w.uacs[0].requests(Method::Bye).is_empty());
    assert!(updates(&w).is_empty(), "the leg keeps its session");
    assert!(held_events(&w, call).is_empty());
    assert!(w.core.has_call(call));
}

#[test]
fn a_peer_that_takes_the_session_kept_without_sdp_keeps_the_call() {
    let (mut w, call) = answered_call_and_id();
    // Its 200 to our offer of the session kept carries no SDP.
    the_session_kept_rings_after_a_hold_answered_unusably(&mut w, call);
    answer_reinvite_with(&mut w, "");
    w.run_for(Duration::from_secs(10));
    assert_eq!(w.uacs[0].requests(Method::Invite).len(), 2);
    assert!(w.uacs[0].requests(Method::Bye).is_empty(), "not hung up");
    assert_refused_once(&w, call);
    assert!(w.core.has_call(call));
}

#[test]
fn a_hold_answered_without_sdp_is_refused_and_the_session_kept_offered() {
    let (mut w, call) = answered_call_and_id();
    hold_answered_with(&mut w, call, true, "");
    assert_refused_once(&w, call);
    assert_the_session_kept_offered_again(&mut w);
    assert_eq!(updates(&w)[0].direction, MediaDirection::SendRecv);
    assert!(w.core.has_call(call));
}
