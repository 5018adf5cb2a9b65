//! RFC 3263 §4.3: a placed call whose target resolved to several tries the
//! next while one fails as a next hop (no response, or 503), on virtual time.
//! A target silent for `next_target_after` is abandoned for the next one left;
//! the last is given until Timer B.

mod common;

use common::*;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use switchyard_core::{CallEvent, CallId, CoreConfig, DialRequest, GuestOp, JoinOptions, MediaOp};
use switchyard_media::MediaDirection;
use switchyard_sip::testing::{Net, addr, rsip::Method};
use switchyard_sip::{EndCause, Endpoint, Event as SipEvent, Transport};

/// The name the harness's DNS resolves to [`TARGETS`].
const POOL: &str = "pool.example.com";
/// Three addresses, most preferred first; the first has no endpoint, so an
/// INVITE sent there is never answered.
const TARGETS: [&str; 3] = ["127.0.0.1:7004", "127.0.0.1:7000", "127.0.0.1:7002"];
/// Timer B: 64*T1 without any response (RFC 3261 §17.1.1.2).
const TIMER_B: Duration = Duration::from_secs(32);
/// How long a target may stay silent while another is left ([`CoreConfig::next_target_after`]).
const NEXT_TARGET_AFTER: Duration = Duration::from_secs(4);

fn request() -> DialRequest {
    DialRequest {
        uri: format!("sip:bob@{POOL}"),
        context: "ctx".to_owned(),
        ..DialRequest::default()
    }
}

/// A world whose DNS resolves [`POOL`] to `targets`.
fn world(targets: &[&str], script: Script) -> World {
    world_on(FakeNetwork::default(), targets, script)
}

/// As [`world`], on the core's `network`.
fn world_on(network: FakeNetwork, targets: &[&str], script: Script) -> World {
    let mut w = World::on(network, CoreConfig::default(), Net::perfect(7), 7, script);
    let addrs = targets.iter().map(|t| addr(t)).collect();
    w.hosts.insert(POOL.to_owned(), addrs);
    w
}

fn idle() -> Script {
    Box::new(|_, _, _| {})
}

/// A callee that rejects every call with `code`, after early media (183 with
/// SDP) if `early`.
fn rejecting(code: u16, reason: &'static str, early: bool) -> CalleeScript {
    Box::new(move |endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            if early {
                let sdp = callee_answer(call.offer.as_ref().expect("an offer"));
                endpoint
                    .progress(now, call.call, 183, "Session Progress", Some(sdp))
                    .unwrap();
            }
            endpoint.reject(now, call.call, code, reason).unwrap();
        }
    })
}

/// A callee that rings (180) and never answers.
fn ringing() -> CalleeScript {
    Box::new(|endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            endpoint
                .progress(now, call.call, 180, "Ringing", None)
                .unwrap();
        }
    })
}

/// How many INVITEs the callee `n` was offered.
fn invites_to(w: &World, n: usize) -> usize {
    w.callees[n]
        .events
        .iter()
        .filter(|e| matches!(e, SipEvent::IncomingCall(_)))
        .count()
}

fn failures(events: &[CallEvent]) -> Vec<(u16, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            CallEvent::Failed { code, reason } => Some((*code, reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_silent_first_target_times_out_and_the_second_answers() {
    let mut w = world(&TARGETS[..2], idle());
    let second = w.callee(addr(TARGETS[1]), answering_callee(true));
    let call = w.core.dial(request()).unwrap();
    let start = w.now;
    assert!(w.run_until(Duration::from_secs(40), |w| invites_to(w, second) == 1));
    let waited = w.now - start;
    // On time, give or take the simulated network's delivery.
    assert!(
        waited >= NEXT_TARGET_AFTER && waited < NEXT_TARGET_AFTER + Duration::from_millis(100),
        "{waited:?}, not Timer B"
    );
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert_eq!(
        w.events_of(call),
        [
            CallEvent::Dialed("ctx".into()),
            CallEvent::Progress {
                code: 180,
                reason: "Ringing".into(),
                early_media: false
            },
            CallEvent::Answered,
        ]
    );
    assert_eq!(invites_to(&w, second), 1);
    w.core.hangup(w.now, call).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    assert!(w.callees[second].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
}

#[test]
fn an_unreachable_first_target_is_left_at_once_for_the_second() {
    let mut w = world(&TARGETS[..2], idle());
    let second = w.callee(addr(TARGETS[1]), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    let start = w.now;
    // The INVITE is on its way to the first target when its connection fails.
    assert!(!w.run_until(Duration::from_millis(100), |w| invites_to(w, second) > 0));
    w.core
        .transport_failed(w.now, Transport::Udp, addr(TARGETS[0]));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert!(
        w.now - start < Duration::from_secs(1),
        "no wait for Timer B: {:?}",
        w.now - start
    );
    assert_eq!(invites_to(&w, second), 1);
    assert!(failures(&w.events_of(call)).is_empty());
}

#[test]
fn a_503_tries_the_next_target_and_its_early_media_stops() {
    let mut w = world(&TARGETS[1..], idle());
    let first = w.callee(
        addr(TARGETS[1]),
        rejecting(503, "Service Unavailable", true),
    );
    let second = w.callee(addr(TARGETS[2]), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert!(failures(&w.events_of(call)).is_empty());
    assert_eq!((invites_to(&w, first), invites_to(&w, second)), (1, 1));
    let directions: Vec<_> = w
        .media
        .iter()
        .filter_map(|op| match op {
            MediaOp::AddLeg { leg, params, .. } | MediaOp::UpdateLeg { leg, params, .. }
                if *leg == call.leg() =>
            {
                Some(params.direction)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        directions,
        [
            MediaDirection::SendRecv,
            MediaDirection::Inactive,
            MediaDirection::SendRecv
        ],
        "early media from the first, none meanwhile, then the second's answer"
    );
}

#[test]
fn a_busy_first_target_fails_the_call_at_once() {
    let mut w = world(&TARGETS[1..], idle());
    w.callee(addr(TARGETS[1]), rejecting(486, "Busy Here", false));
    let second = w.callee(addr(TARGETS[2]), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
    assert_eq!(
        failures(&w.events_of(call)),
        [(486, "Busy Here".to_owned())]
    );
    assert_eq!(
        invites_to(&w, second),
        0,
        "a 486 is not the next hop's failure"
    );
}

#[test]
fn when_every_target_fails_the_call_fails_as_the_last_did() {
    let mut w = world(&TARGETS[..2], idle());
    w.callee(
        addr(TARGETS[1]),
        rejecting(503, "Service Unavailable", false),
    );
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(40), |w| !w.core.has_call(call)));
    let events = w.events_of(call);
    assert_eq!(
        failures(&events),
        [(503, "Service Unavailable".to_owned())],
        "one failure, the last target's, after the first timed out"
    );
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0);
    assert_eq!(w.core.dialing(), 0);
    assert_eq!(w.core.footprint().timers, 0);
}

/// Dials a call to targets that answer 503, then `second` (none: silence),
/// then answer; hangs up 2 s in, while the second target has the INVITE, and
/// runs until it ended. Returns the world, the call and the third callee.
fn hung_up_on_the_second_target(second: Option<CalleeScript>) -> (World, CallId, usize) {
    let third_addr = "127.0.0.1:7006";
    let mut w = world(&[TARGETS[1], TARGETS[2], third_addr], idle());
    w.callee(
        addr(TARGETS[1]),
        rejecting(503, "Service Unavailable", false),
    );
    if let Some(second) = second {
        w.callee(addr(TARGETS[2]), second);
    }
    let third = w.callee(addr(third_addr), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    w.run_for(Duration::from_secs(2));
    w.core.hangup(w.now, call).unwrap();
    assert!(w.run_until(Duration::from_secs(40), |w| !w.core.has_call(call)));
    w.run_for(Duration::from_secs(5));
    let events = w.events_of(call);
    assert!(failures(&events).is_empty(), "{events:?}");
    assert_eq!(events.last(), Some(&CallEvent::Hangup));
    (w, call, third)
}

#[test]
fn hanging_up_while_the_next_target_rings_cancels_it_and_tries_no_further() {
    let (w, _, third) = hung_up_on_the_second_target(Some(ringing()));
    assert!(w.callees[1].events.iter().any(|e| matches!(
        e,
        SipEvent::CallEnded {
            cause: EndCause::Cancelled,
            ..
        }
    )));
    assert_eq!(invites_to(&w, third), 0);
}

#[test]
fn hanging_up_before_the_next_target_responds_lets_timer_b_end_it_without_another_invite() {
    let (w, _, third) = hung_up_on_the_second_target(None);
    assert_eq!(invites_to(&w, third), 0);
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0);
}

/// A guest that forwards every incoming call to [`POOL`].
fn forwarding() -> Script {
    Box::new(|core, _, op| {
        if let GuestOp::Invite(invite) = op {
            core.forward(invite.call, request()).expect("forward");
        }
    })
}

#[test]
fn a_forwarded_call_fails_over_and_the_caller_never_hears_the_503() {
    let mut w = world(&TARGETS[1..], forwarding());
    w.callee(
        addr(TARGETS[1]),
        rejecting(503, "Service Unavailable", false),
    );
    w.callee(addr(TARGETS[2]), answering_callee(true));
    let caller = w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    assert!(!w.uacs[caller].codes(Method::Invite).contains(&503));
    let incoming = w.invites()[0].call;
    let placed = w.placed();
    assert!(w.media.iter().any(|op| matches!(op,
        MediaOp::Bridge { a, b, .. } if *a == incoming.leg() && *b == placed.leg())));
}

/// The forwarded call's first target, on IPv4, sends early media and refuses with 503; the
/// second, on IPv6, is reached from our IPv6 address and runs `second`. Dials the caller
/// and runs until `done`; returns the world, the incoming call and the placed one.
fn forwarded_and_moved(
    second: CalleeScript,
    done: impl FnMut(&World) -> bool,
) -> (World, CallId, CallId) {
    let mut w = world(&["127.0.0.1:7000", "[::1]:7002"], forwarding());
    w.callee(
        addr("127.0.0.1:7000"),
        rejecting(503, "Service Unavailable", true),
    );
    w.callee(addr("[::1]:7002"), second);
    w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), done));
    let (incoming, placed) = (w.invites()[0].call, w.placed());
    assert!(
        !w.events_of(incoming).contains(&CallEvent::Unbridged),
        "the move is no unbridging of the caller's: {:?}",
        w.events_of(incoming)
    );
    (w, incoming, placed)
}

/// Whether the media ops bridge `incoming` to the leg `placed` has now, the one last added.
fn bridged_to_current_leg(w: &World, incoming: CallId, placed: CallId) -> bool {
    let added = w
        .media
        .iter()
        .rposition(|op| matches!(op, MediaOp::AddLeg { leg, .. } if *leg == placed.leg()));
    let bridged = w.media.iter().rposition(|op| {
        matches!(op, MediaOp::Bridge { a, b, .. } if *a == incoming.leg() && *b == placed.leg())
    });
    added.is_some() && bridged > added
}

/// What the IPv6 callee answers to `call`'s offer, its RTP at [::1]:7100.
fn v6_answer(call: &switchyard_sip::IncomingCall) -> String {
    callee_answer_at(call.offer.as_ref().expect("an offer"), addr("[::1]:7100"))
}

#[test]
fn a_forwarded_call_moved_to_another_family_relays_the_next_targets_early_media() {
    let early_media = Box::new(|endpoint: &mut Endpoint, now, event: &SipEvent| {
        if let SipEvent::IncomingCall(call) = event {
            let sdp = v6_answer(call);
            endpoint
                .progress(now, call.call, 183, "Session Progress", Some(sdp))
                .unwrap();
        }
    });
    let (w, incoming, placed) = forwarded_and_moved(early_media, |w| {
        let early = |e: &CallEvent| {
            matches!(
                e,
                CallEvent::Progress {
                    early_media: true,
                    ..
                }
            )
        };
        w.guest
            .iter()
            .any(|op| matches!(op, GuestOp::Dialed { .. }))
            && w.events_of(w.placed()).iter().filter(|e| early(e)).count() == 2
    });
    assert!(
        bridged_to_current_leg(&w, incoming, placed),
        "the IPv6 target's early media reaches the caller: {:?}",
        w.media
    );
}

#[test]
fn a_forwarded_call_moved_to_another_family_is_bridged_when_the_next_target_answers() {
    let answering = Box::new(|endpoint: &mut Endpoint, now, event: &SipEvent| {
        if let SipEvent::IncomingCall(call) = event {
            endpoint
                .progress(now, call.call, 180, "Ringing", None)
                .unwrap();
            endpoint.answer(now, call.call, v6_answer(call)).unwrap();
        }
    });
    let (w, incoming, placed) = forwarded_and_moved(answering, |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    });
    assert!(
        bridged_to_current_leg(&w, incoming, placed),
        "the caller and the IPv6 callee are bridged: {:?}",
        w.media
    );
}

/// A callee that answers early (183 with SDP) and does nothing more of itself.
fn early_media_only() -> CalleeScript {
    Box::new(|endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            let sdp = callee_answer(call.offer.as_ref().expect("an offer"));
            endpoint
                .progress(now, call.call, 183, "Session Progress", Some(sdp))
                .unwrap();
        }
    })
}

/// How many media bridges were made.
fn bridges(w: &World) -> usize {
    w.media
        .iter()
        .filter(|op| matches!(op, MediaOp::Bridge { .. }))
        .count()
}

#[test]
fn a_caller_its_guest_moved_off_the_early_media_stays_there_when_the_callee_rings() {
    let mut w = world(&TARGETS[1..2], forwarding());
    let callee = w.callee(addr(TARGETS[1]), early_media_only());
    w.dial("000777forward", "alice");
    assert!(w.run_until(Duration::from_secs(5), |w| bridges(w) == 1));
    let incoming = w.invites()[0].call;
    w.core
        .join(w.now, incoming, "moh", JoinOptions::default())
        .unwrap();
    w.run_for(Duration::from_millis(500));

    let key = w.callees[callee]
        .events
        .iter()
        .find_map(|e| match e {
            SipEvent::IncomingCall(call) => Some(call.call),
            _ => None,
        })
        .expect("the callee was called");
    let now = w.now;
    w.callees[callee]
        .endpoint
        .progress(now, key, 180, "Ringing", None)
        .unwrap();
    let placed = w.placed();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(placed)
            .iter()
            .any(|e| matches!(e, CallEvent::Progress { code: 180, .. }))
    }));
    w.run_for(Duration::from_millis(500));
    assert_eq!(bridges(&w), 1, "no bridge anew: {:?}", w.media);
    let listed = w.core.room_info("moh").expect("the room");
    assert!(
        listed.participants.iter().any(|p| p.call == incoming),
        "the caller stays in the room: {listed:?}"
    );
    assert!(w.left_rooms.is_empty(), "{:?}", w.left_rooms);
}

#[test]
fn a_target_the_host_has_no_route_to_is_passed_over_at_once() {
    let mut w = world(&["198.51.100.1:7000", TARGETS[1]], idle());
    let second = w.callee(addr(TARGETS[1]), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    let start = w.now;
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert!(
        w.now - start < Duration::from_secs(1),
        "{:?}",
        w.now - start
    );
    assert_eq!(invites_to(&w, second), 1);
}

#[test]
fn a_call_with_no_route_to_any_target_fails_with_478() {
    let mut w = world(&["198.51.100.1:7000", "198.51.100.2:7000"], idle());
    let call = w.core.dial(request()).unwrap();
    w.drain();
    assert_eq!(
        failures(&w.events_of(call)),
        [(
            478,
            "Unresolvable destination: no route to any of its addresses".to_owned()
        )]
    );
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0, "no port was taken");
}

#[test]
fn the_last_target_silent_is_given_until_timer_b() {
    let mut w = world(&TARGETS[..1], idle());
    let call = w.core.dial(request()).unwrap();
    let start = w.now;
    assert!(w.run_until(Duration::from_secs(40), |w| {
        !failures(&w.events_of(call)).is_empty()
    }));
    assert!(w.now - start >= TIMER_B, "{:?}", w.now - start);
    assert_eq!(failures(&w.events_of(call))[0].0, 408);
}

#[test]
fn a_target_that_rings_is_not_left_for_the_next() {
    let mut w = world(&TARGETS[1..], idle());
    w.callee(addr(TARGETS[1]), ringing());
    let third = w.callee(addr(TARGETS[2]), answering_callee(false));
    let call = w.core.dial(request()).unwrap();
    w.run_for(NEXT_TARGET_AFTER * 3);
    assert_eq!(invites_to(&w, third), 0);
    assert!(failures(&w.events_of(call)).is_empty());
    assert!(w.core.has_call(call));
}

#[test]
fn a_target_left_for_silence_that_answers_late_is_hung_up_and_never_reaches_the_call() {
    let mut w = world(&TARGETS[1..], idle());
    let late = w.callee(addr(TARGETS[1]), answering_callee(false));
    let second = w.callee(addr(TARGETS[2]), answering_callee(false));
    // The first target hears nothing for 5 s, then the INVITE's next retransmission.
    let deaf = Arc::new(AtomicBool::new(true));
    let deaf_now = deaf.clone();
    let first = addr(TARGETS[1]);
    w.net
        .drop_if(move |datagram| datagram.to == first && deaf_now.load(Ordering::Relaxed));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(10), |w| {
        w.events_of(call).contains(&CallEvent::Answered)
    }));
    assert_eq!(invites_to(&w, second), 1);
    deaf.store(false, Ordering::Relaxed);
    assert!(w.run_until(Duration::from_secs(40), |w| {
        w.callees[late]
            .events
            .iter()
            .any(|e| matches!(e, SipEvent::CallEnded { .. }))
    }));
    assert_eq!(
        invites_to(&w, late),
        1,
        "it heard the abandoned INVITE late"
    );
    let answered = w
        .events_of(call)
        .iter()
        .filter(|e| **e == CallEvent::Answered)
        .count();
    assert_eq!(answered, 1, "{:?}", w.events_of(call));
    assert!(
        w.core.has_call(call),
        "the call goes on with the second target"
    );
    assert!(
        !w.callees[second]
            .events
            .iter()
            .any(|e| matches!(e, SipEvent::CallEnded { .. }))
    );
}

/// The IncomingCall events the callee `n` got.
fn offers_to(w: &World, n: usize) -> Vec<&switchyard_sip::IncomingCall> {
    w.callees[n]
        .events
        .iter()
        .filter_map(|e| match e {
            SipEvent::IncomingCall(call) => Some(call),
            _ => None,
        })
        .collect()
}

/// Where the offer of `call`'s INVITE has our RTP.
fn offered_rtp(call: &switchyard_sip::IncomingCall) -> SocketAddr {
    let offer = call.offer.as_ref().expect("an offer");
    offer.sole_stream().expect("one audio stream").connection
}

/// The RTP port the core holds for `call`, reserved and not released.
fn reserved_port(w: &World, call: CallId) -> u16 {
    let reserved = w.reserved_ports.lock().unwrap();
    *reserved
        .get(&call.leg())
        .expect("a port reserved for the call")
}

/// A world whose DNS resolves [`POOL`] to `targets` on `network`, with callees at all of
/// them: each but the last rejecting with 503, the last silent. Dials the call and runs
/// until the last target has its INVITE; returns the world, the call and that INVITE.
fn failed_over_to_the_last(
    network: FakeNetwork,
    targets: &[&str],
) -> (World, CallId, switchyard_sip::IncomingCall) {
    let mut w = world_on(network, targets, idle());
    let (last, failing) = targets.split_last().expect("a target");
    for target in failing {
        w.callee(addr(target), rejecting(503, "Service Unavailable", false));
    }
    let last = w.callee(addr(last), Box::new(|_, _, _| {}));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| invites_to(w, last) == 1));
    assert!(failures(&w.events_of(call)).is_empty());
    let invite = offers_to(&w, last)[0].clone();
    (w, call, invite)
}

/// The value of the header `name` of `call`'s INVITE.
fn header<'a>(call: &'a switchyard_sip::IncomingCall, name: &str) -> &'a str {
    call.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {:?}", call.headers))
}

#[test]
fn a_target_of_another_family_gets_an_invite_from_our_address_of_that_family() {
    let mut w = world(&["192.0.2.1:5060", "[2001:db8::1]:5060"], idle());
    let v6 = w.callee(addr("[2001:db8::1]:5060"), Box::new(|_, _, _| {}));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(NEXT_TARGET_AFTER * 2, |w| invites_to(w, v6) == 1));
    let invite = offers_to(&w, v6)[0];
    assert!(header(invite, "Via").contains("[::1]:5060"), "{invite:?}");
    assert!(header(invite, "Contact").contains("[::1]"), "{invite:?}");
    let rtp = offered_rtp(invite);
    assert_eq!(rtp.ip(), addr("[::1]:0").ip(), "the offer's c= is IPv6");
    assert_eq!(
        w.open_ports.load(Ordering::Relaxed),
        1,
        "the IPv4 port was released for the IPv6 one"
    );
    assert!(failures(&w.events_of(call)).is_empty());
}

#[test]
fn early_media_of_a_target_left_for_one_of_another_family_ends_with_its_leg() {
    let mut w = world(&["192.0.2.1:5060", "[2001:db8::1]:5060"], idle());
    w.callee(
        addr("192.0.2.1:5060"),
        rejecting(503, "Service Unavailable", true),
    );
    let v6 = w.callee(addr("[2001:db8::1]:5060"), Box::new(|_, _, _| {}));
    let call = w.core.dial(request()).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| invites_to(w, v6) == 1));
    let ops: Vec<_> = w
        .media
        .iter()
        .filter_map(|op| match op {
            MediaOp::AddLeg { leg, .. } if *leg == call.leg() => Some("add"),
            MediaOp::RemoveLeg { leg, .. } if *leg == call.leg() => Some("remove"),
            _ => None,
        })
        .collect();
    assert_eq!(
        ops,
        ["add", "remove"],
        "the IPv4 leg of the early media is gone"
    );
    let rtp = offered_rtp(offers_to(&w, v6)[0]);
    assert!(rtp.is_ipv6(), "{rtp}");
    assert!(failures(&w.events_of(call)).is_empty());
}

#[test]
fn with_rtp_on_an_address_of_its_own_each_target_is_offered_the_port_held() {
    // Our SIP address towards these targets is 127.0.0.1; our offers name the RTP address.
    let media: IpAddr = "127.0.0.2".parse().unwrap();
    let (w, call, invite) = failed_over_to_the_last(
        FakeNetwork::with_rtp_address(media),
        &["192.0.2.1:5060", "192.0.2.2:5060", "192.0.2.3:5060"],
    );
    assert!(
        header(&invite, "Via").contains("127.0.0.1:5060"),
        "{invite:?}"
    );
    assert_eq!(
        offered_rtp(&invite),
        SocketAddr::new(media, reserved_port(&w, call)),
        "the third target is offered the port the call holds"
    );
    assert_eq!(
        offered_rtp(offers_to(&w, 0)[0]),
        offered_rtp(&invite),
        "one port serves every target our addresses reach alike"
    );
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 1);
}

#[test]
fn targets_after_one_of_another_family_get_invites_of_that_family() {
    let (w, call, invite) = failed_over_to_the_last(
        FakeNetwork::default(),
        &["192.0.2.1:5060", "[2001:db8::1]:5060", "[2001:db8::2]:5060"],
    );
    assert!(header(&invite, "Via").contains("[::1]:5060"), "{invite:?}");
    assert!(header(&invite, "Contact").contains("[::1]"), "{invite:?}");
    let v6_loopback = addr("[::1]:0").ip();
    assert_eq!(
        offered_rtp(&invite),
        SocketAddr::new(v6_loopback, reserved_port(&w, call)),
        "the IPv6 port the call holds"
    );
    assert_eq!(
        offered_rtp(offers_to(&w, 1)[0]),
        offered_rtp(&invite),
        "the port reserved on the move serves the IPv6 targets after it"
    );
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 1);
}

#[test]
fn a_first_target_of_a_family_our_rtp_does_not_serve_is_passed_over() {
    let rtp_v4: IpAddr = "127.0.0.1".parse().unwrap();
    let (w, call, invite) = failed_over_to_the_last(
        FakeNetwork::with_rtp_address(rtp_v4),
        &["[2001:db8::1]:5060", "192.0.2.1:5060"],
    );
    assert_eq!(invites_to(&w, 0), 0, "no INVITE to the IPv6 target");
    assert_eq!(
        offered_rtp(&invite),
        SocketAddr::new(rtp_v4, reserved_port(&w, call))
    );
}

#[test]
fn a_call_with_no_target_our_rtp_serves_fails_with_478() {
    let rtp_v4 = "127.0.0.1".parse().unwrap();
    let network = FakeNetwork::with_rtp_address(rtp_v4);
    let mut w = world_on(network, &["[2001:db8::1]:5060"], idle());
    let call = w.core.dial(request()).unwrap();
    w.drain();
    assert_eq!(
        failures(&w.events_of(call)),
        [(
            478,
            "Unresolvable destination: no address of ours carries media to any of its addresses"
                .to_owned()
        )]
    );
    assert_eq!(w.open_ports.load(Ordering::Relaxed), 0, "no port was taken");
}
