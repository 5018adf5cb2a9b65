//! Calls the core places (dial-out) and forwards (B2BUA), against callee
//! endpoints on the seeded network, on virtual time.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use switchyard_core::{
    CallEvent, CallId, CoreConfig, CoreError, DialRequest, GuestOp, JoinOptions, MediaOp,
    ParticipantStatus,
};
use switchyard_media::{
    IncomingPayloadTypes, LegId, LegParams, MediaDirection, MediaEvent, Prompt, PromptRole,
};
use switchyard_sip::testing::{Net, addr, audio_offer, rsip::Method};
use switchyard_sip::{EndCause, Event as SipEvent, Transport};

const CALLEE: &str = "127.0.0.1:7000";

fn request(uri: &str) -> DialRequest {
    DialRequest {
        uri: uri.to_owned(),
        context: "ctx-1".to_owned(),
        ..DialRequest::default()
    }
}

fn world(script: Script) -> World {
    World::new(CoreConfig::default(), Net::perfect(5), 5, script)
}

fn idle() -> Script {
    Box::new(|_, _, _| {})
}

/// Dialing `uri` is refused with an error saying `words`.
fn refused(w: &mut World, uri: &str, words: &str) {
    let error = w.core.dial(request(uri)).unwrap_err();
    assert!(error.to_string().contains(words), "{error}");
}

/// A callee that rings (180) and never answers.
fn ringing_callee() -> CalleeScript {
    Box::new(|endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            endpoint
                .progress(now, call.call, 180, "Ringing", None)
                .unwrap();
        }
    })
}

/// A callee that answers every call 486 Busy Here.
fn busy_callee() -> CalleeScript {
    rejecting_callee(486, "Busy Here")
}

/// A callee that answers every call with `code` and `reason`.
fn rejecting_callee(code: u16, reason: &'static str) -> CalleeScript {
    Box::new(move |endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            endpoint.reject(now, call.call, code, reason).unwrap();
        }
    })
}

fn failed(events: &[CallEvent]) -> Option<(u16, String)> {
    events.iter().find_map(|e| match e {
        CallEvent::Failed { code, reason } => Some((*code, reason.clone())),
        _ => None,
    })
}

/// The parameters `call`'s leg was started and then updated with, in order.
fn leg_params_of(w: &World, call: CallId) -> Vec<LegParams> {
    w.media
        .iter()
        .filter_map(|op| match op {
            MediaOp::AddLeg { leg, params, .. } | MediaOp::UpdateLeg { leg, params, .. }
                if *leg == call.leg() =>
            {
                Some(params.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_placed_call_rings_is_answered_gets_media_and_ends_with_our_bye() {
    let mut w = world(idle());
    let callee = w.callee(addr(CALLEE), answering_callee(true));
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert_eq!(
        w.events_of(call),
        [
            CallEvent::Dialed("ctx-1".into()),
            CallEvent::Progress {
                code: 180,
                reason: "Ringing".into(),
                early_media: false
            },
            CallEvent::Answered,
        ]
    );
    assert_eq!(w.resolutions, [(call, "sip:bob@127.0.0.1:7000".to_owned())]);
    let leg_params = leg_params_of(&w, call);
    assert_eq!(
        leg_params.first().map(|p| p.direction),
        Some(MediaDirection::Inactive),
        "while it rings, its leg neither sends nor receives: {leg_params:?}"
    );
    assert_eq!(
        leg_params.last().map(|p| p.remote),
        Some(addr("127.0.0.1:7100")),
        "RTP goes to the callee's answer: {leg_params:?}"
    );
    let incoming = w.callees[callee].events.iter().find_map(|e| match e {
        SipEvent::IncomingCall(incoming) => Some(incoming.clone()),
        _ => None,
    });
    let incoming = incoming.expect("the callee got the INVITE");
    assert_eq!(incoming.request_uri, "sip:bob@127.0.0.1:7000");
    assert_eq!(incoming.from_user, "switchyard");
    assert!(
        w.run_until(Duration::from_secs(5), |w| w.callees[callee]
            .events
            .iter()
            .any(|e| matches!(e, SipEvent::CallConfirmed { .. }))),
        "our ACK confirmed the callee's side"
    );

    w.core.hangup(w.now, call).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    assert!(w.callees[callee].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
    assert_eq!(w.events_of(call).last(), Some(&CallEvent::Hangup));
    assert!(
        w.media
            .iter()
            .any(|op| matches!(op, MediaOp::RemoveLeg { leg, .. } if *leg == call.leg()))
    );
}

#[test]
fn a_busy_callee_fails_the_call_with_its_code_and_the_port_is_released() {
    let mut w = world(idle());
    w.callee(addr(CALLEE), busy_callee());
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    let events = w.events_of(call);
    assert_eq!(failed(&events), Some((486, "Busy Here".to_owned())));
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0);
    assert_eq!(w.core.dialing(), 0);
}

#[test]
fn a_callee_answering_with_an_address_of_another_family_is_hung_up_with_488() {
    let mut w = world(idle());
    // Our offer is IPv4; an IPv6 answer names an address our socket cannot send to.
    let callee = w.callee(
        addr(CALLEE),
        Box::new(|endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                let negotiated = switchyard_sip::sdp::negotiate(
                    call.offer.as_ref().expect("an offer"),
                    &[("PCMU", 8000)],
                )
                .expect("codec");
                let answer = switchyard_sip::sdp::answer(&negotiated, addr("[::1]:7100"), 1);
                endpoint.answer(now, call.call, answer).expect("answer");
            }
        }),
    );
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    assert_eq!(
        failed(&w.events_of(call)),
        Some((488, "Not Acceptable Here".to_owned()))
    );
    assert!(
        !w.events_of(call).contains(&CallEvent::Answered),
        "{:?}",
        w.events_of(call)
    );
    assert!(w.callees[callee].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
    assert!(
        leg_params_of(&w, call)
            .iter()
            .all(|p| p.remote != addr("[::1]:7100")),
        "no RTP towards the answer"
    );
}

#[test]
fn an_unresolvable_target_fails_with_478_and_a_bad_uri_is_refused_at_once() {
    let mut w = world(idle());
    let call = w.core.dial(request("sip:bob@nowhere.invalid")).unwrap();
    w.drain();
    assert!(!w.core.has_call(call));
    let (code, reason) = failed(&w.events_of(call)).expect("failed");
    assert_eq!(code, 478);
    assert!(reason.contains("nowhere.invalid"), "{reason}");
    assert_eq!(w.events_of(call).last(), Some(&CallEvent::Hangup));

    refused(&mut w, "tel:+15551234", "not a sip: or sips: URI");
}

/// The DNS answer for `call`, a placed call resolving 127.0.0.1:7000, arrives
/// after the call is gone; the core carries on.
fn resolved_late(w: &mut World, call: CallId) {
    w.core.resolved(
        w.now,
        call,
        Ok(vec![(Transport::Udp, addr("127.0.0.1:7000"))]),
    );
    w.drain();
}

#[test]
fn hanging_up_while_resolving_ends_the_call_and_a_late_answer_is_ignored() {
    let mut w = world(idle());
    // Not drained: the resolution is still pending.
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.core.has_call(call));
    w.core.hangup(w.now, call).unwrap();
    assert!(!w.core.has_call(call));
    resolved_late(&mut w, call);
    let events = w.events_of(call);
    // As for a call hung up while it rings: the guest asked for the end, no failure.
    assert_eq!(failed(&events), None, "{events:?}");
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0, "no port was taken");
}

#[test]
fn a_guest_failing_while_its_call_is_resolved_leaves_nothing_to_send() {
    let mut w = world(idle());
    // Not drained: the resolution is still pending when the guest traps on `dialed`.
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.guest_failed(w.now, call);
    assert!(!w.core.has_call(call));
    resolved_late(&mut w, call);
    assert_eq!(w.core.dialing(), 0);
    assert_eq!(
        w.open_ports.load(Ordering::Relaxed),
        0,
        "no INVITE, no port"
    );
    assert_eq!(w.core.stats().guest_failures, 1);
}

#[test]
fn calls_being_placed_are_capped() {
    let config = CoreConfig {
        max_dialing: 2,
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(5), 5, idle());
    w.core.dial(request("sip:a@127.0.0.1:7000")).unwrap();
    w.core.dial(request("sip:b@127.0.0.1:7000")).unwrap();
    refused(&mut w, "sip:c@127.0.0.1:7000", "2 calls are being placed");
}

#[test]
fn an_outbound_proxy_is_resolved_and_routes_the_invite() {
    let config = CoreConfig {
        outbound_proxy: Some("sip:127.0.0.1:7000;lr".to_owned()),
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(5), 5, idle());
    let callee = w.callee(addr(CALLEE), answering_callee(false));
    let call = w.core.dial(request("sip:bob@example.com")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert_eq!(w.resolutions, [(call, "sip:127.0.0.1:7000;lr".to_owned())]);
    let headers = w.callees[callee].events.iter().find_map(|e| match e {
        SipEvent::IncomingCall(incoming) => Some(incoming.headers.clone()),
        _ => None,
    });
    assert!(
        headers
            .unwrap()
            .iter()
            .any(|(name, value)| name == "Route" && value == "<sip:127.0.0.1:7000;lr>"),
        "the INVITE carries the proxy's Route"
    );
}

/// A guest that forwards every incoming call to the callee.
fn forwarding() -> Script {
    Box::new(|core, _, op| {
        if let GuestOp::Invite(invite) = op {
            core.forward(invite.call, request("sip:bob@127.0.0.1:7000"))
                .expect("forward");
        }
    })
}

#[test]
fn a_forwarded_call_rings_through_is_answered_bridged_and_ends_on_either_bye() {
    for callee_hangs_up in [true, false] {
        let mut w = world(forwarding());
        let callee = w.callee(addr(CALLEE), answering_callee(true));
        let caller = w.dial("000777forward", "alice");
        assert!(w.run_until(Duration::from_secs(5), |w| {
            w.uacs[caller].codes(Method::Invite).contains(&200)
        }));
        assert!(
            w.uacs[caller].codes(Method::Invite).contains(&180),
            "the callee's ringing reached the caller"
        );
        let incoming = w.invites()[0].call;
        let placed = w.placed();
        assert!(w.media.iter().any(|op| matches!(op,
            MediaOp::Bridge { a, b, .. } if *a == incoming.leg() && *b == placed.leg())));
        w.run_for(Duration::from_secs(1));
        if callee_hangs_up {
            let key = w.callees[callee]
                .events
                .iter()
                .find_map(|e| match e {
                    SipEvent::IncomingCall(c) => Some(c.call),
                    _ => None,
                })
                .unwrap();
            w.callees[callee].endpoint.hangup(w.now, key).unwrap();
        } else {
            w.uacs[caller].bye(w.now);
        }
        assert!(
            w.run_until(Duration::from_secs(10), |w| !w.core.has_call(incoming)
                && !w.core.has_call(placed))
        );
        if callee_hangs_up {
            assert!(
                !w.uacs[caller].requests(Method::Bye).is_empty(),
                "the caller got a BYE"
            );
        } else {
            assert!(w.callees[callee].events.iter().any(|e| matches!(
                e,
                SipEvent::CallEnded {
                    cause: EndCause::RemoteBye,
                    ..
                }
            )));
        }
    }
}

#[test]
fn a_forwarded_callees_failure_rejects_the_caller_with_its_code() {
    let mut w = world(forwarding());
    w.callee(addr(CALLEE), busy_callee());
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&486)
    }));
    assert!(w.run_until(Duration::from_secs(5), |w| w.core.active_calls() == 0));
}

#[test]
fn a_forwarded_callees_failure_that_cannot_be_relayed_as_it_is_rejects_the_caller_with_its_own() {
    for (callee_code, callee_reason, caller_code) in [
        (302, "Moved Temporarily", 480),
        (407, "Proxy Authentication Required", 403),
        (420, "Bad Extension", 500),
        (503, "Service Unavailable", 500),
        (487, "Request Terminated", 480),
        (603, "Decline", 603),
    ] {
        let mut w = world(forwarding());
        w.callee(addr(CALLEE), rejecting_callee(callee_code, callee_reason));
        let caller = w.dial("000777forward", "alice");
        assert!(
            w.run_until(Duration::from_secs(5), |w| !refusals(w, caller).is_empty()),
            "{callee_code}"
        );
        assert_eq!(
            refusals(&w, caller),
            [caller_code],
            "the callee's {callee_code}"
        );
    }
}

#[test]
fn a_forwarded_call_still_resolving_ends_with_its_caller_and_is_never_placed() {
    let mut w = world(forwarding());
    w.hold_resolutions = true;
    let callee = w.callee(addr(CALLEE), ringing_callee());
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| !w.held.is_empty()
        && w.uacs[caller].codes(Method::Invite).contains(&100)));
    let placed = w.held[0].0;
    w.uacs[caller].cancel(w.now);
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&487)
    }));
    assert!(
        !w.core.has_call(placed),
        "the forwarded call ended with its caller"
    );
    let events = w.events_of(placed);
    assert_eq!(failed(&events), None, "as once it rings: {events:?}");
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
    // The target resolves once nobody wants the call any more.
    w.release_resolutions();
    w.run_for(Duration::from_secs(2));
    assert!(
        w.callees[callee].events.is_empty(),
        "no INVITE for a caller who is gone: {:?}",
        w.callees[callee].events
    );
    assert_eq!(w.core.dialing(), 0);
}

#[test]
fn a_forwarded_call_that_no_guest_can_serve_refuses_its_caller_for_now_not_as_cancelled() {
    for (unavailable, code) in [(true, 480), (false, 500)] {
        let (mut w, caller, placed) = forwarded_call_resolving();
        let now = w.now;
        // No instance for the placed call (the executor's limit), or its guest failed.
        if unavailable {
            w.core.guest_unavailable(now, placed);
        } else {
            w.core.guest_failed(now, placed);
        }
        assert!(
            w.run_until(Duration::from_secs(10), |w| {
                w.uacs[caller].codes(Method::Invite).contains(&code)
            }),
            "{code}: {:?}",
            w.uacs[caller].codes(Method::Invite)
        );
        assert!(!w.uacs[caller].codes(Method::Invite).contains(&487));
    }
}

#[test]
fn a_forwarded_caller_whose_call_is_hung_up_while_resolving_is_refused_480_not_487() {
    for close_room in [false, true] {
        let (mut w, caller, placed) = forwarded_call_resolving();
        let now = w.now;
        // The guest hangs the placed call up, or it goes with the room it joined.
        if close_room {
            w.core.join(now, placed, "42", join_options()).unwrap();
            w.core.close_room(now, "42").unwrap();
        } else {
            w.core.hangup(now, placed).unwrap();
        }
        assert!(w.run_until(Duration::from_secs(10), |w| {
            !refusals(w, caller).is_empty()
        }));
        // RFC 3261 §15.1.2: 487 answers only a request its sender cancelled.
        assert_eq!(refusals(&w, caller), [480], "room closed: {close_room}");
    }
}

#[test]
fn the_callers_cancel_cancels_the_forwarded_call() {
    let mut w = world(forwarding());
    let callee = w.callee(addr(CALLEE), ringing_callee());
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&180)
    }));
    w.uacs[caller].cancel(w.now);
    assert!(w.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    assert!(w.callees[callee].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::Cancelled,
            ..
        }
    )));
    assert!(w.uacs[caller].codes(Method::Invite).contains(&487));
}

/// The call of a callee that answers early (183 with SDP) and whose 2xx is the
/// test's to send, with the SDP for it: the early one through `final_sdp`.
type LaterAnswer = std::sync::Arc<std::sync::Mutex<Option<(switchyard_sip::CallKey, String)>>>;

/// A callee script that sends 183 with its answer and leaves the 2xx to the
/// test (see [`LaterAnswer`]).
fn answering_early(final_sdp: fn(String) -> String) -> (CalleeScript, LaterAnswer) {
    let pending = LaterAnswer::default();
    let later = pending.clone();
    let script: CalleeScript = Box::new(move |endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            let sdp = callee_answer(call.offer.as_ref().expect("an offer"));
            endpoint
                .progress(now, call.call, 183, "Session Progress", Some(sdp.clone()))
                .unwrap();
            *later.lock().unwrap() = Some((call.call, final_sdp(sdp)));
        }
    });
    (script, pending)
}

/// The callee of [`answering_early`] sends its 2xx now.
fn answer_now(w: &mut World, pending: &LaterAnswer) {
    let (key, sdp) = pending.lock().unwrap().take().unwrap();
    w.callees[0].endpoint.answer(w.now, key, sdp).unwrap();
}

#[test]
fn a_forwarded_call_unanswered_in_time_rejects_its_caller_with_408() {
    let config = CoreConfig {
        ring_timeout: Duration::from_secs(20),
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(5), 5, forwarding());
    w.callee(addr(CALLEE), ringing_callee());
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(30), |w| {
        w.uacs[caller]
            .codes(Method::Invite)
            .iter()
            .any(|&c| c >= 300)
    }));
    assert_eq!(
        w.uacs[caller].codes(Method::Invite).last(),
        Some(&408),
        "the caller hears why: {:?}",
        w.uacs[caller].codes(Method::Invite)
    );
}

/// A forwarded call whose callee sent 183 with SDP (and answers only when told): the caller
/// (its index among the world's UACs) got its 183.
fn forwarded_in_early_media() -> (World, usize, LaterAnswer) {
    let mut w = world(forwarding());
    let (script, pending) = answering_early(|sdp| sdp);
    w.callee(addr(CALLEE), script);
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    (w, caller, pending)
}

#[test]
fn early_media_is_passed_to_the_forwarded_caller_before_the_answer() {
    // 183 with SDP, then the answer, the same, later.
    let (mut w, caller, pending) = forwarded_in_early_media();
    let early = w.uacs[caller]
        .received()
        .iter()
        .find(|r| r.code() == Some(183))
        .unwrap()
        .body();
    assert!(
        early.contains("m=audio "),
        "the 183 carries our SDP: {early}"
    );
    let incoming = w.invites()[0].call;
    let placed = w.placed();
    assert!(
        w.media.iter().any(|op| matches!(op,
            MediaOp::Bridge { a, b, .. } if *a == incoming.leg() && *b == placed.leg())),
        "the legs are bridged during early media"
    );
    assert!(w.events_of(placed).contains(&CallEvent::Progress {
        code: 183,
        reason: "Session Progress".into(),
        early_media: true
    }));
    answer_now(&mut w, &pending);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let ok = w.uacs[caller].last_response(Method::Invite).unwrap().body();
    assert_eq!(ok, early, "the 200 repeats the early answer");
    let legs_added = w
        .media
        .iter()
        .filter(|op| matches!(op, MediaOp::AddLeg { leg, .. } if *leg == incoming.leg()))
        .count();
    assert_eq!(legs_added, 1, "the caller's leg started once");
}

#[test]
fn the_callees_ringing_after_its_early_media_keeps_the_forwarded_caller_on_it() {
    let (mut w, caller, pending) = forwarded_in_early_media();
    // The callee's phone starts ringing after its announcement: 180 without SDP.
    let (key, _) = pending.lock().unwrap().clone().unwrap();
    w.callees[0]
        .endpoint
        .progress(w.now, key, 180, "Ringing", None)
        .unwrap();
    let provisionals = |w: &World| -> Vec<(u16, String)> {
        w.uacs[caller]
            .received()
            .iter()
            .filter_map(|r| Some((r.code()?, r.body())))
            .filter(|(code, _)| (180..200).contains(code))
            .collect()
    };
    assert!(w.run_until(Duration::from_secs(5), |w| provisionals(w).len() == 2));
    let sent = provisionals(&w);
    let early = &sent[0].1;
    assert!(early.contains("m=audio "), "{early}");
    // RFC 3261 §13.2.1, RFC 6337 §3.1: every provisional repeats the answer.
    assert_eq!(sent[1], (183, early.clone()), "still early media");
}

#[test]
fn a_forwarded_caller_without_an_offer_hears_ringing_for_the_callees_early_media() {
    let mut w = world(forwarding());
    let (script, pending) = answering_early(|sdp| sdp);
    w.callee(addr(CALLEE), script);
    // A late offer (as some PBXs send by default): no answer can carry early media to it.
    let caller = w.dial_offering("000777forward", "alice", "");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&180)
    }));
    assert!(!w.uacs[caller].codes(Method::Invite).contains(&183));
    answer_now(&mut w, &pending);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let ok = w.uacs[caller].last_response(Method::Invite).unwrap().body();
    assert!(ok.contains("m=audio "), "our offer in the 200: {ok}");
}

#[test]
fn the_answer_in_the_2xx_replaces_an_early_one() {
    let mut w = world(forwarding());
    // A 183 whose answer names one address; the 200 (another fork's, say) names another.
    let (script, pending) = answering_early(|sdp| sdp.replace("m=audio 7100 ", "m=audio 7200 "));
    w.callee(addr(CALLEE), script);
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    answer_now(&mut w, &pending);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let remotes: Vec<_> = leg_params_of(&w, w.placed())
        .iter()
        .map(|params| params.remote.port())
        .collect();
    assert_eq!(remotes, [7100, 7200], "the leg follows the 2xx's answer");
}

#[test]
fn early_media_sent_sendonly_is_no_hold() {
    let mut w = world(forwarding());
    // A carrier's announcement in a 183, sendonly: it sends, and wants nothing back.
    w.callee(
        addr(CALLEE),
        Box::new(|endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                let sdp = callee_answer(call.offer.as_ref().expect("an offer"))
                    .replace("a=sendrecv", "a=sendonly");
                endpoint
                    .progress(now, call.call, 183, "Session Progress", Some(sdp))
                    .unwrap();
            }
        }),
    );
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    let params = leg_params_of(&w, w.placed())
        .pop()
        .expect("the leg's parameters");
    assert_eq!(
        (params.direction, params.peer_holds),
        (MediaDirection::RecvOnly, false),
        "heard, as early media is"
    );
}

#[test]
fn a_callee_numbering_telephone_event_otherwise_is_heard_with_our_number() {
    let mut w = world(idle());
    // The answer numbers telephone-event 100 where our offer said 101.
    w.callee(
        addr(CALLEE),
        Box::new(|endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                let ours = callee_answer(call.offer.as_ref().expect("an offer"));
                assert!(ours.contains("a=rtpmap:101 telephone-event/8000"), "{ours}");
                let theirs = ours.replace(" 101", " 100").replace(":101 ", ":100 ");
                endpoint.answer(now, call.call, theirs).expect("answer");
            }
        }),
    );
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    let params = leg_params_of(&w, call).pop().expect("the leg's parameters");
    assert_eq!(
        params.telephone_event.map(|te| te.payload_type),
        Some(100),
        "sent with the callee's number"
    );
    assert_eq!(
        params.incoming,
        Some(IncomingPayloadTypes {
            audio: params.payload_type,
            telephone_event: Some(101),
            other_law: None,
        }),
        "received with ours"
    );
}

#[test]
fn a_callee_answering_with_both_g711_laws_is_heard_in_either() {
    let mut w = world(idle());
    w.callee(
        addr(CALLEE),
        Box::new(|endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                let pcmu = callee_answer(call.offer.as_ref().expect("an offer"));
                let both = pcmu
                    .replace("RTP/AVP 0 101", "RTP/AVP 8 0 101")
                    .replace("a=rtpmap:0 ", "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 ");
                assert!(both.contains("RTP/AVP 8 0 101"), "{both}");
                endpoint.answer(now, call.call, both).expect("answer");
            }
        }),
    );
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    let params = leg_params_of(&w, call).pop().expect("the leg's parameters");
    assert_eq!(params.payload_type, 8, "sent with the answer's first");
    assert_eq!(
        params.incoming,
        Some(IncomingPayloadTypes {
            audio: 8,
            telephone_event: Some(101),
            other_law: Some(0),
        }),
        "PCMU, which the callee may send instead (RFC 3264 §6.1), is taken too"
    );
}

#[test]
fn a_placed_call_ringing_past_the_ring_timeout_is_cancelled_and_fails_with_408() {
    let config = CoreConfig {
        ring_timeout: Duration::from_secs(20),
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(5), 5, idle());
    let callee = w.callee(addr(CALLEE), ringing_callee());
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    let start = w.now;
    w.run_for(Duration::from_secs(19));
    assert!(w.core.has_call(call), "still ringing before the time-out");
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    let ended_after = w.now - start;
    assert!(ended_after >= Duration::from_secs(20), "{ended_after:?}");
    let (code, reason) = failed(&w.events_of(call)).expect("failed");
    assert_eq!(code, 408);
    assert_eq!(reason, "No answer within 20 s");
    assert!(w.callees[callee].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::Cancelled,
            ..
        }
    )));
    assert_eq!(w.core.footprint().timers, 0, "no timer is left behind");
}

/// A call forwarded to a callee that answers early (see [`answering_early`]) and may ring
/// for up to 120 s: the world, the caller (its index among the world's UACs) and the
/// callee's answer to come.
fn forwarded_to_a_long_ringing_callee() -> (World, usize, LaterAnswer) {
    let config = CoreConfig {
        ring_timeout: Duration::from_secs(120),
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(5), 5, forwarding());
    let (script, pending) = answering_early(|sdp| sdp);
    w.callee(addr(CALLEE), script);
    let caller = w.dial("000777forward", "alice");
    (w, caller, pending)
}

#[test]
fn an_unanswered_legs_silence_ends_nothing_and_the_answer_rearms_its_rtp_timeout() {
    let (mut w, caller, pending) = forwarded_to_a_long_ringing_callee();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    let (incoming, placed) = (w.invites()[0].call, w.placed());
    // Neither the caller (a gateway that sends nothing before the 2xx) nor the callee sends
    // RTP past the workers' 60 s.
    w.run_for(Duration::from_secs(61));
    let now = w.now;
    for call in [incoming, placed] {
        w.core
            .handle_media_event(now, MediaEvent::RtpTimeout { leg: call.leg() });
    }
    w.run_for(Duration::from_secs(5));
    assert!(
        refusals(&w, caller).is_empty(),
        "{:?}",
        w.uacs[caller].codes(Method::Invite)
    );
    assert!(w.core.has_call(incoming) && w.core.has_call(placed));
    let before = w.media.len();
    answer_now(&mut w, &pending);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    // Each leg's worker counts its timeout afresh, once; the leg never stops receiving for
    // it (the placed leg's update is the callee's answer).
    for call in [incoming, placed] {
        let ops = w.media[before..].iter();
        let rearms = ops
            .clone()
            .filter(|op| matches!(op, MediaOp::RearmRtpTimeout { leg, .. } if *leg == call.leg()))
            .count();
        let directions: Vec<MediaDirection> = ops
            .filter_map(|op| match op {
                MediaOp::UpdateLeg { leg, params, .. } if *leg == call.leg() => {
                    Some(params.direction)
                }
                _ => None,
            })
            .collect();
        assert_eq!(rearms, 1, "{call}");
        assert!(
            directions.iter().all(|d| *d == MediaDirection::SendRecv),
            "{call}: {directions:?}"
        );
    }
    // Silence once answered still ends the call.
    let now = w.now;
    w.core.handle_media_event(
        now,
        MediaEvent::RtpTimeout {
            leg: incoming.leg(),
        },
    );
    assert!(w.run_until(Duration::from_secs(10), |w| {
        !w.core.has_call(incoming) && !w.core.has_call(placed)
    }));
    assert!(!w.uacs[caller].requests(Method::Bye).is_empty());
}

/// The media workers' RTP timeout (`rtp.timeout_s`'s default).
const RTP_TIMEOUT: Duration = Duration::from_secs(60);

/// The media workers' RTP timeout as they count it for legs whose peers send nothing: from the
/// leg's start, and afresh from each [`MediaOp::RearmRtpTimeout`]; raised once per count.
#[derive(Default)]
struct SilentMedia {
    /// The media ops of the world read so far.
    read: usize,
    /// When each live leg's count started; `None` once raised.
    since: BTreeMap<LegId, Option<Instant>>,
}

impl SilentMedia {
    /// Steps `w` 100 ms at a time, raising each leg's timeout as it falls due, until `done` or
    /// until `limit` has passed; true if done.
    fn run_until(&mut self, w: &mut World, limit: Duration, done: impl Fn(&World) -> bool) -> bool {
        let end = w.now + limit;
        while !done(w) && w.now < end {
            w.run_for(Duration::from_millis(100));
            self.read(w);
            self.raise_due(w);
        }
        done(w)
    }

    fn read(&mut self, w: &World) {
        for op in &w.media[self.read..] {
            match op {
                MediaOp::AddLeg { leg, .. } | MediaOp::RearmRtpTimeout { leg, .. } => {
                    self.since.insert(*leg, Some(w.now));
                }
                MediaOp::RemoveLeg { leg, .. } => {
                    self.since.remove(leg);
                }
                _ => {}
            }
        }
        self.read = w.media.len();
    }

    fn raise_due(&mut self, w: &mut World) {
        let now = w.now;
        for (&leg, since) in &mut self.since {
            if since.is_some_and(|since| now >= since + RTP_TIMEOUT) {
                *since = None;
                w.core
                    .handle_media_event(now, MediaEvent::RtpTimeout { leg });
            }
        }
    }
}

#[test]
fn a_callee_silent_while_it_rang_has_the_whole_rtp_timeout_once_answered() {
    let (mut w, caller, pending) = forwarded_to_a_long_ringing_callee();
    let mut media = SilentMedia::default();
    assert!(media.run_until(&mut w, Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    let (incoming, placed) = (w.invites()[0].call, w.placed());
    let alive = |w: &World| w.core.has_call(incoming) && w.core.has_call(placed);
    // Nobody sends RTP while it rings for 50 s: short of the timeout, which raises nothing.
    assert!(!media.run_until(&mut w, Duration::from_secs(50), |w| !alive(w)));
    answer_now(&mut w, &pending);
    let answered = w.now;
    assert!(media.run_until(&mut w, Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    // Still silent once answered: the call ends after a whole timeout, not the 10 s that
    // were left of the one counted while it rang.
    assert!(media.run_until(&mut w, Duration::from_secs(70), |w| !alive(w)));
    let lasted = w.now - answered;
    assert!(
        (RTP_TIMEOUT..RTP_TIMEOUT + Duration::from_secs(2)).contains(&lasted),
        "ended {lasted:?} after the answer"
    );
}

#[test]
fn a_forwarded_caller_whose_answer_waited_for_a_prack_that_never_came_counts_as_failed() {
    for prack in [true, false] {
        let (mut w, caller) = forwarded_answer_behind_a_reliable_183(prack);
        // The 2xx waits for the PRACK of the reliable 183 (RFC 3262 §3); without it, 500.
        w.run_for(Duration::from_secs(40));
        let stats = w.core.stats();
        if prack {
            assert!(w.uacs[caller].codes(Method::Invite).contains(&200));
            assert_eq!(
                (stats.connected, stats.failed, stats.setup.count()),
                (2, 0, 2),
                "both answered: {stats:?}"
            );
        } else {
            assert_eq!(refusals(&w, caller), [500]);
            assert_eq!(w.core.active_calls(), 0);
            assert_eq!(
                (stats.connected, stats.failed, stats.setup.count()),
                (1, 1, 1),
                "only the callee was answered: {stats:?}"
            );
        }
    }
}

#[test]
fn a_forwarded_caller_gone_while_its_answer_waited_for_a_prack_counts_as_failed() {
    for cancelled in [true, false] {
        let (mut w, caller) = forwarded_answer_behind_a_reliable_183(false);
        // The caller's 2xx waits for the PRACK (RFC 3262 §3) when the caller goes.
        w.run_for(Duration::from_secs(1));
        let now = w.now;
        if cancelled {
            w.uacs[caller].cancel(now);
        } else {
            let incoming = w.invites()[0].call;
            w.core.hangup(now, incoming).unwrap();
        }
        assert!(w.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
        assert_eq!(refusals(&w, caller), [if cancelled { 487 } else { 480 }]);
        assert!(!w.uacs[caller].codes(Method::Invite).contains(&200));
        let stats = w.core.stats();
        assert_eq!(
            (stats.connected, stats.failed, stats.setup.count()),
            (1, 1, 1),
            "cancelled {cancelled}: only the callee was answered: {stats:?}"
        );
    }
}

/// A forwarded caller requiring 100rel (whose PRACKs are sent if `prack`), its callee's
/// early answer relayed in a reliable 183, and the callee just answered: the caller's 2xx
/// waits for the 183's PRACK (RFC 3262 §3). The world and the caller.
fn forwarded_answer_behind_a_reliable_183(prack: bool) -> (World, usize) {
    let mut w = world(forwarding());
    let (script, pending) = answering_early(|sdp| sdp);
    w.callee(addr(CALLEE), script);
    let offer = audio_offer(addr("127.0.0.1:30000"));
    let caller = w.dial_with("000777forward", "alice", "Require: 100rel\r\n", &offer);
    w.uacs[caller].prack = prack;
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&183)
    }));
    answer_now(&mut w, &pending);
    (w, caller)
}

/// A call forwarded to a ringing callee, its target's resolution held: the world, the
/// caller (answered 100) and the placed call.
fn forwarded_call_resolving() -> (World, usize, CallId) {
    let mut w = world(forwarding());
    w.hold_resolutions = true;
    w.callee(addr(CALLEE), ringing_callee());
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| !w.held.is_empty()
        && w.uacs[caller].codes(Method::Invite).contains(&100)));
    let placed = w.held[0].0;
    (w, caller, placed)
}

fn join_options() -> JoinOptions {
    JoinOptions {
        number: "bob".into(),
        reason: "INVITE".into(),
        participant_id: "p-7".into(),
    }
}

fn listed(w: &World, room: &str, call: CallId) -> Option<(ParticipantStatus, String)> {
    let view = w.core.room_info(room)?;
    view.participants
        .iter()
        .find(|p| p.call == call)
        .map(|p| (p.status, p.reason.clone()))
}

#[test]
fn a_call_joined_to_a_room_while_placed_is_listed_at_once_and_its_media_joins_on_answer() {
    let mut w = world(idle());
    w.callee(addr(CALLEE), answering_callee(true));
    // Not drained: the call is still resolving its target.
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    assert_eq!(w.core.join(w.now, call, "42", join_options()), Ok(0));
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Connecting, "INVITE".to_owned()))
    );
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Connected, "200 OK".to_owned()))
    );
    assert!(
        w.media.iter().any(|op| matches!(op,
            MediaOp::Join { leg, room, .. } if *leg == call.leg() && room.0 == "42")),
        "its leg joined the room's mix"
    );
}

#[test]
fn a_call_listed_while_placed_rings_on_180_and_183_only_as_sems_lists_it() {
    let mut w = world(idle());
    w.callee(
        addr(CALLEE),
        Box::new(|endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                endpoint
                    .progress(now, call.call, 181, "Call Is Being Forwarded", None)
                    .expect("181");
            }
        }),
    );
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call)
            .iter()
            .any(|e| matches!(e, CallEvent::Progress { code: 181, .. }))
    }));
    assert_eq!(
        listed(&w, "42", call),
        Some((
            ParticipantStatus::Connecting,
            "181 Call Is Being Forwarded".to_owned()
        ))
    );
}

#[test]
fn a_call_listed_while_placed_that_fails_to_resolve_is_finished_with_the_reason() {
    let mut w = world(idle());
    let call = w.core.dial(request("sip:bob@nowhere.invalid")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    w.drain();
    let (status, reason) = listed(&w, "42", call).expect("still listed");
    assert_eq!(status, ParticipantStatus::Finished);
    assert!(reason.starts_with("478 "), "{reason}");
}

#[test]
fn a_callees_reason_phrase_is_listed_cut_to_the_longest_listed_reason() {
    // RFC 3261 §25.1: a Reason-Phrase may hold UTF-8; a 3-byte character straddles the cut.
    let phrase = format!("a{}", "\u{20ac}".repeat(400));
    let said = phrase.clone();
    let mut w = world(idle());
    let callee = w.callee(
        addr(CALLEE),
        Box::new(move |endpoint, now, event| {
            if let SipEvent::IncomingCall(call) = event {
                endpoint.progress(now, call.call, 180, &said, None).unwrap();
            }
        }),
    );
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        listed(w, "42", call).is_some_and(|(status, _)| status == ParticipantStatus::Ringing)
    }));
    // "180 a" and 83 whole characters of the phrase: 254 bytes, one more would pass 256.
    let cut = format!("a{}", "\u{20ac}".repeat(83));
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Ringing, format!("180 {cut}")))
    );

    let key = w.callees[callee]
        .events
        .iter()
        .find_map(|e| match e {
            SipEvent::IncomingCall(incoming) => Some(incoming.call),
            _ => None,
        })
        .expect("the callee got the INVITE");
    let now = w.now;
    w.callees[callee]
        .endpoint
        .reject(now, key, 486, &phrase)
        .unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    assert_eq!(
        failed(&w.events_of(call)),
        Some((486, phrase.clone())),
        "the guest hears the whole phrase"
    );
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Finished, format!("486 {cut}")))
    );
}

#[test]
fn a_call_being_placed_can_be_kicked_from_its_room() {
    let mut w = world(idle());
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    assert!(w.core.kick(w.now, call).unwrap(), "kicked");
    assert!(!w.core.has_call(call));
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Finished, "kicked".to_owned())),
        "listed as kicked, as a call kicked while it rings"
    );
    w.drain();
    let events = w.events_of(call);
    assert_eq!(failed(&events), None, "a kick is no failure: {events:?}");
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
}

#[test]
fn a_placed_call_answered_before_any_guest_could_be_had_is_hung_up_unless_in_a_room() {
    for in_room in [false, true] {
        let mut w = world(idle());
        let callee = w.callee(addr(CALLEE), answering_callee(true));
        let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
        if in_room {
            w.core.join(w.now, call, "42", join_options()).unwrap();
        }
        let timer = w
            .core
            .start_timer(w.now, call, Duration::from_secs(60))
            .unwrap();
        assert!(w.run_until(Duration::from_secs(5), |w| {
            w.events_of(call).contains(&CallEvent::Answered)
        }));
        // Its `dialed` waited for an instance slot, and none came.
        w.core.guest_unavailable(w.now, call);
        w.run_for(Duration::from_secs(5));
        let hung_up = w.callees[callee].events.iter().any(|e| {
            matches!(
                e,
                SipEvent::CallEnded {
                    cause: EndCause::RemoteBye,
                    ..
                }
            )
        });
        assert_eq!(hung_up, !in_room, "in a room: {in_room}");
        assert_eq!(w.core.has_call(call), in_room);
        assert!(!w.core.cancel_timer(call, timer), "its guest's timers end");
        if in_room {
            assert_eq!(
                listed(&w, "42", call),
                Some((ParticipantStatus::Connected, "200 OK".to_owned())),
                "it stays in its room"
            );
        }
    }
}

#[test]
fn a_call_still_resolving_takes_timers_messages_and_mutes_and_keeps_them_once_placed() {
    let mut w = world(idle());
    w.callee(addr(CALLEE), answering_callee(true));
    // Not drained: the call is still resolving its target, as its guest's
    // `dialed` handler runs.
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    let timer = w
        .core
        .start_timer(w.now, call, Duration::from_secs(3))
        .unwrap();
    assert_eq!(w.core.send_message("conf", None, call, "hello"), Ok(()));
    assert_eq!(w.core.set_muted(call, true), Ok(()));
    let view = w.core.room_info("42").unwrap();
    assert!(view.participants.iter().any(|p| p.call == call && p.muted));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert!(
        w.media.iter().any(|op| matches!(op,
            MediaOp::SetMuted { leg, muted: true, .. } if *leg == call.leg())),
        "muted before it had media, it starts muted"
    );
    w.run_for(Duration::from_secs(3));
    assert!(
        w.events_of(call).contains(&CallEvent::Timer(timer)),
        "{:?}",
        w.events_of(call)
    );
}

#[test]
fn commands_on_the_sip_call_of_a_call_still_resolving_find_it_in_the_wrong_state() {
    let mut w = world(answer_only());
    w.hold_resolutions = true;
    w.callee(addr(CALLEE), answering_callee(true));
    w.dial("000777x", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| !w.invites().is_empty()));
    let me = w.invites()[0].call;
    let placed = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.drain();
    assert_eq!(w.held.len(), 1, "its target is still being resolved");
    let music = vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))];
    let refusals = [
        ("bridge to it", w.core.bridge(w.now, me, placed)),
        ("bridge it", w.core.bridge(w.now, placed, me)),
        ("play", w.core.play(placed, music, false, PromptRole::Heard)),
        ("hold", w.core.hold(w.now, placed, true)),
    ];
    for (command, refusal) in refusals {
        // call.wit: no-such-call is for a call that does not exist (any more); this one
        // goes on to ring and be answered.
        assert!(
            matches!(refusal, Err(CoreError::WrongState(_))),
            "{command}: {refusal:?}"
        );
    }

    w.release_resolutions();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(placed).contains(&CallEvent::Answered)
    }));
    assert_eq!(w.core.bridge(w.now, me, placed), Ok(()));
    let events = w.events_of(placed);
    assert_eq!(failed(&events), None, "{events:?}");
}

#[test]
fn the_timers_of_a_call_that_fails_to_resolve_end_with_it() {
    let mut w = world(idle());
    let call = w.core.dial(request("sip:bob@nowhere.invalid")).unwrap();
    w.core
        .start_timer(w.now, call, Duration::from_secs(60))
        .unwrap();
    assert_eq!(w.core.footprint().timers, 1);
    w.drain();
    assert!(!w.core.has_call(call));
    assert_eq!(w.core.footprint().timers, 0, "no timer is left behind");
}

#[test]
fn closing_a_room_ends_a_dial_into_it_still_resolving() {
    let mut w = world(idle());
    let callee = w.callee(addr(CALLEE), answering_callee(true));
    // Not drained: the call is still resolving its target.
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    w.core.close_room(w.now, "42").unwrap();
    assert!(!w.core.has_call(call), "the room's dial-out ended with it");
    resolved_late(&mut w, call);
    w.run_for(Duration::from_secs(2));
    assert!(w.callees[callee].events.is_empty(), "nothing was placed");
    assert!(w.core.room_info("42").is_none(), "the room stays closed");
    assert!(
        !w.media
            .iter()
            .any(|op| matches!(op, MediaOp::Join { room, .. } if room.0 == "42")),
        "no leg joined a room that is gone"
    );
}

#[test]
fn a_call_still_resolving_can_leave_its_room() {
    let mut w = world(idle());
    let call = w.core.dial(request("sip:bob@127.0.0.1:7000")).unwrap();
    w.core.join(w.now, call, "42", join_options()).unwrap();
    assert_eq!(w.core.leave(w.now, call), Ok(()));
    assert_eq!(listed(&w, "42", call), None);
    assert!(w.core.leave(w.now, call).is_err(), "it is in no room now");
    assert!(w.core.has_call(call));
}

#[test]
fn a_dial_into_a_locked_room_places_nothing() {
    let mut w = world(idle());
    w.core.open_room(w.now, "42").unwrap();
    w.core.set_locked("42", true).unwrap();
    let refused = w.core.dial_into_room(
        w.now,
        request("sip:bob@127.0.0.1:7000"),
        "42",
        join_options(),
    );
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("room 42 is locked")),
        "{refused:?}"
    );
    w.drain();
    assert_eq!(w.core.dialing(), 0);
    assert!(
        w.guest.is_empty(),
        "no instance is asked for: {:?}",
        w.guest
    );
    assert!(w.resolutions.is_empty(), "nothing is resolved");
    w.core.set_locked("42", false).unwrap();
    let call = w
        .core
        .dial_into_room(
            w.now,
            request("sip:bob@127.0.0.1:7000"),
            "42",
            join_options(),
        )
        .unwrap();
    assert_eq!(
        listed(&w, "42", call),
        Some((ParticipantStatus::Connecting, "INVITE".to_owned()))
    );
}

#[test]
fn a_dial_into_a_room_with_an_overlong_listing_places_nothing() {
    let mut w = world(idle());
    let options = JoinOptions {
        number: "1".repeat(8 << 20),
        ..join_options()
    };
    let refused = w
        .core
        .dial_into_room(w.now, request("sip:bob@127.0.0.1:7000"), "42", options);
    assert_eq!(
        refused,
        Err(CoreError::InvalidArgument(
            "a participant's number is 8388608 bytes, more than 2048".to_owned()
        ))
    );
    w.drain();
    assert_eq!(w.core.dialing(), 0);
    assert!(w.core.room_info("42").is_none(), "no room opened");
}

#[test]
fn a_forwarded_invite_carries_one_hop_fewer_than_the_callers() {
    let mut w = world(forwarding());
    let callee = w.callee(addr(CALLEE), ringing_callee());
    w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.callees[callee]
            .events
            .iter()
            .any(|e| matches!(e, SipEvent::IncomingCall(_)))
    }));
    let max_forwards = w.callees[callee].events.iter().find_map(|e| match e {
        SipEvent::IncomingCall(call) => call
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Max-Forwards"))
            .map(|(_, value)| value.clone()),
        _ => None,
    });
    // The caller's INVITE came with 70 (RFC 3261 §8.1.1.6).
    assert_eq!(max_forwards.as_deref(), Some("69"));
}

#[test]
fn a_timer_due_while_the_call_still_resolves_fires() {
    let mut w = world(idle());
    w.hold_resolutions = true;
    let call = w.core.dial(request("sip:bob@slow.example.com")).unwrap();
    let timer = w
        .core
        .start_timer(w.now, call, Duration::from_millis(500))
        .unwrap();
    w.run_for(Duration::from_secs(1));
    assert!(w.core.has_call(call), "still resolving");
    assert!(
        w.events_of(call).contains(&CallEvent::Timer(timer)),
        "{:?}",
        w.events_of(call)
    );
}

/// Where the randomized placing test sends its calls: a callee that answers, one that rings
/// for ever, a busy one, nobody (no response: Timer B), a host whose first address is silent
/// and second answers (the next target), an unroutable address and an unknown host (both
/// failing at resolution).
const PLACING_TARGETS: [&str; 7] = [
    "sip:answers@127.0.0.1:7000",
    "sip:rings@127.0.0.1:7002",
    "sip:busy@127.0.0.1:7004",
    "sip:nobody@127.0.0.1:7006",
    "sip:next@failover.test",
    "sip:unroutable@198.51.100.1",
    "sip:unknown@nowhere.test",
];

/// A guest forwarding each incoming call to one of [`PLACING_TARGETS`], by its number.
fn forwarding_anywhere() -> Script {
    Box::new(|core, _, op| {
        if let GuestOp::Invite(invite) = op {
            let target = PLACING_TARGETS[invite.call.0 as usize % PLACING_TARGETS.len()];
            // Past the cap of calls being placed, the untouched call is rejected.
            let _ = core.forward(invite.call, request(target));
        }
    })
}

/// One random step of [`the_count_of_calls_being_placed_follows_every_call_through_its_life`]
/// on `w`; `placed` collects the calls dialed.
fn random_placing_step(w: &mut World, rng: &mut Rng, placed: &mut Vec<CallId>) {
    let known: Vec<CallId> = placed
        .iter()
        .copied()
        .chain(w.invites().iter().map(|i| i.call))
        .collect();
    let now = w.now;
    match rng.below(10) {
        0 | 1 => {
            let target = *rng.pick(&PLACING_TARGETS[..]);
            if let Ok(call) = w.core.dial(request(target)) {
                placed.push(call);
            }
        }
        2 => {
            w.dial("000777forward", "caller");
        }
        3 => {
            let _ = w.core.hangup(now, *rng.pick(&known));
        }
        4 => {
            let caller = rng.below(w.uacs.len().max(1));
            if let Some(uac) = w.uacs.get_mut(caller) {
                match uac.codes(Method::Invite).last() {
                    Some(&200) => uac.bye(now),
                    Some(&code) if code >= 300 => {}
                    _ => uac.cancel(now),
                }
            }
        }
        5 => match rng.below(2) {
            0 => w.core.guest_failed(now, *rng.pick(&known)),
            _ => w.core.guest_unavailable(now, *rng.pick(&known)),
        },
        6 => {
            w.hold_resolutions = !w.hold_resolutions;
            w.release_resolutions();
        }
        7 => w.run_for(Duration::from_secs(25)),
        _ => w.run_for(Duration::from_millis(rng.below(5000) as u64)),
    }
}

#[test]
fn the_count_of_calls_being_placed_follows_every_call_through_its_life() {
    // The core checks its count against every call's phase whenever it reads it (with
    // debug assertions); each step reads it, and so does every dial and forward.
    const MAX_DIALING: usize = 8;
    let config = CoreConfig {
        max_dialing: MAX_DIALING,
        ring_timeout: Duration::from_secs(20),
        ..CoreConfig::default()
    };
    let mut w = World::new(config, Net::perfect(11), 11, forwarding_anywhere());
    w.callee(addr("127.0.0.1:7000"), answering_callee(true));
    w.callee(addr("127.0.0.1:7002"), ringing_callee());
    w.callee(addr("127.0.0.1:7004"), busy_callee());
    w.hosts.insert(
        "failover.test".to_owned(),
        vec![addr("127.0.0.1:7006"), addr("127.0.0.1:7000")],
    );
    let mut rng = Rng::new(11);
    let mut placed = Vec::new();
    let mut most = 0;
    for _ in 0..600 {
        random_placing_step(&mut w, &mut rng, &mut placed);
        let dialing = w.core.dialing();
        assert!(dialing <= MAX_DIALING, "{dialing} calls being placed");
        assert!(dialing <= w.core.active_calls());
        most = most.max(dialing);
    }
    w.hold_resolutions = false;
    w.release_resolutions();
    for call in placed
        .iter()
        .copied()
        .chain(w.invites().iter().map(|i| i.call))
    {
        let _ = w.core.hangup(w.now, call);
    }
    assert!(w.run_until(Duration::from_secs(120), |w| w.core.active_calls() == 0));
    assert_eq!(w.core.dialing(), 0, "no call is left, none is being placed");
    let stats = w.core.stats();
    assert_eq!(most, MAX_DIALING, "the cap was reached");
    assert!(
        stats.placed > 100 && stats.connected > 10 && stats.failed > 10,
        "calls were placed, answered and failed: {stats:?}"
    );
}
