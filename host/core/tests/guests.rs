//! What the core does when a call's guest misbehaves: leaves a call untouched,
//! traps or overruns its deadline, or cannot be had at all.

mod common;

use common::{CalleeScript, Script, World, callee_answer, conference};
use std::time::{Duration, Instant};
use switchyard_core::{
    CallCore, CallEvent, CallId, CoreConfig, DialRequest, GuestOp, JoinOptions, MediaOp,
    ParticipantStatus,
};
use switchyard_sip::testing::{Net, addr, rsip::Method};
use switchyard_sip::{CallKey, EndCause, Event as SipEvent};

/// A guest that reports `outcome` for every new call, as the executor does.
fn on_invite(outcome: fn(&mut CallCore, Instant, CallId)) -> Script {
    Box::new(move |core, now, op| {
        if let GuestOp::Invite(invite) = op {
            outcome(core, now, invite.call);
        }
    })
}

fn final_code(world: &World, caller: usize) -> Option<u16> {
    world.uacs[caller]
        .codes(Method::Invite)
        .into_iter()
        .find(|&c| c >= 200)
}

#[test]
fn a_call_the_guest_leaves_untouched_is_rejected_with_500() {
    let mut world = World::new(
        CoreConfig::default(),
        Net::lossy(2, 0.2, 0.1, Duration::from_millis(30)),
        2,
        Box::new(|_, _, _| {}),
    );
    world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(40), |w| final_code(w, 0).is_some()));
    assert_eq!(final_code(&world, 0), Some(500));
    assert_eq!(world.core.active_calls(), 0);
}

#[test]
fn a_guest_that_fails_before_answering_gets_its_call_rejected_with_500() {
    let script = on_invite(CallCore::guest_failed);
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, script);
    world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(10), |w| final_code(w, 0).is_some()));
    assert_eq!(final_code(&world, 0), Some(500));
    assert_eq!(world.core.stats().guest_failures, 1);
}

#[test]
fn a_participant_whose_guest_fails_stays_in_its_room_and_a_lone_call_is_hung_up() {
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, conference());
    world.dial("000777123", "in-room");
    world.dial("lonely", "alone");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs
            .iter()
            .all(|u| u.codes(Method::Invite).contains(&200))
    }));
    // conference() put the second call in room "lonely"; take it out so it is alone.
    world.core.leave(world.now, CallId(2)).expect("leave");
    world.core.guest_failed(world.now, CallId(1));
    world.core.guest_failed(world.now, CallId(2));
    world.run_for(Duration::from_secs(5));
    assert!(
        world.uacs[0].requests(Method::Bye).is_empty(),
        "the participant is not hung up"
    );
    assert_eq!(
        world.core.room_info("123").map(|r| r.participants.len()),
        Some(1),
        "and stays listed"
    );
    assert_eq!(
        world.uacs[1].requests(Method::Bye).len(),
        1,
        "the lone call gets a BYE"
    );
    assert_eq!(world.core.active_calls(), 1);
}

#[test]
fn no_guest_instance_means_503_with_retry_after() {
    let script = on_invite(CallCore::guest_unavailable);
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, script);
    world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(10), |w| final_code(w, 0).is_some()));
    assert_eq!(final_code(&world, 0), Some(503));
    let response = world.uacs[0]
        .last_response(Method::Invite)
        .expect("a response");
    assert_eq!(
        response.header("Retry-After").as_deref(),
        Some("5"),
        "{}",
        response.text
    );
    assert_eq!(world.core.stats().refused_no_instance, 1);
    assert_eq!(world.core.active_calls(), 0);
    // Told again about a call refused already (or gone), it counts nothing more.
    let alice = world.invites()[0].call;
    let now = world.now;
    world.core.guest_unavailable(now, alice);
    assert_eq!(world.core.stats().refused_no_instance, 1);
}

const CALLEE: &str = "127.0.0.1:7000";

/// A callee that rings (180) and answers only when the test says.
fn ringing_callee() -> CalleeScript {
    Box::new(|endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            endpoint
                .progress(now, call.call, 180, "Ringing", None)
                .expect("180");
        }
    })
}

/// Places a call to the callee at [`CALLEE`], listed in room "42" when `in_room`; returns
/// the world, not yet run (its target still resolving), the callee and the call.
fn dial_out(config: CoreConfig, in_room: bool) -> (World, usize, CallId) {
    let mut world = World::new(config, Net::perfect(3), 3, Box::new(|_, _, _| {}));
    let callee = world.callee(addr(CALLEE), ringing_callee());
    let request = DialRequest {
        uri: format!("sip:bob@{CALLEE}"),
        ..DialRequest::default()
    };
    let now = world.now;
    let call = if in_room {
        let options = JoinOptions {
            number: "bob".into(),
            ..JoinOptions::default()
        };
        world.core.dial_into_room(now, request, "42", options)
    } else {
        world.core.dial(request)
    }
    .expect("placed");
    (world, callee, call)
}

fn status_in_42(world: &World, call: CallId) -> Option<ParticipantStatus> {
    let room = world.core.room_info("42")?;
    room.participants
        .iter()
        .find(|p| p.call == call)
        .map(|p| p.status)
}

/// The INVITE the callee got, and whether it saw it cancelled.
fn invited_and_cancelled(world: &World, callee: usize) -> (Option<CallKey>, bool) {
    let events = &world.callees[callee].events;
    let invited = events.iter().find_map(|e| match e {
        SipEvent::IncomingCall(incoming) => Some(incoming.call),
        _ => None,
    });
    let cancelled = events.iter().any(|e| {
        matches!(
            e,
            SipEvent::CallEnded {
                cause: EndCause::Cancelled,
                ..
            }
        )
    });
    (invited, cancelled)
}

fn answer(world: &mut World, callee: usize) {
    let key = invited_and_cancelled(world, callee).0.expect("invited");
    let offer = world.callees[callee]
        .events
        .iter()
        .find_map(|e| match e {
            SipEvent::IncomingCall(incoming) => incoming.offer.clone(),
            _ => None,
        })
        .expect("an offer");
    let now = world.now;
    world.callees[callee]
        .endpoint
        .answer(now, key, callee_answer(&offer))
        .expect("answer");
}

#[test]
fn a_ringing_dial_out_into_a_room_whose_guest_fails_rings_on_and_joins_on_answer() {
    for in_room in [false, true] {
        let (mut world, callee, call) = dial_out(CoreConfig::default(), in_room);
        assert!(world.run_until(Duration::from_secs(5), |w| {
            w.events_of(call)
                .iter()
                .any(|e| matches!(e, CallEvent::Progress { code: 180, .. }))
        }));
        world.core.guest_failed(world.now, call);
        world.run_for(Duration::from_secs(5));
        let (_, cancelled) = invited_and_cancelled(&world, callee);
        assert_eq!(cancelled, !in_room, "in a room: {in_room}");
        assert_eq!(world.core.has_call(call), in_room);
        assert_eq!(world.core.stats().guest_failures, 1);
        if !in_room {
            continue;
        }
        assert_eq!(status_in_42(&world, call), Some(ParticipantStatus::Ringing));
        answer(&mut world, callee);
        assert!(world.run_until(Duration::from_secs(5), |w| {
            status_in_42(w, call) == Some(ParticipantStatus::Connected)
        }));
        assert!(
            world.media.iter().any(|op| matches!(op,
                MediaOp::Join { leg, room, .. } if *leg == call.leg() && room.0 == "42")),
            "its leg joined the room's mix"
        );
    }
}

#[test]
fn a_dial_out_into_a_room_whose_guest_failed_is_still_cancelled_unanswered_at_the_ring_timeout() {
    let config = CoreConfig {
        ring_timeout: Duration::from_secs(20),
        ..CoreConfig::default()
    };
    let (mut world, callee, call) = dial_out(config, true);
    assert!(world.run_until(Duration::from_secs(5), |w| {
        status_in_42(w, call) == Some(ParticipantStatus::Ringing)
    }));
    world.core.guest_failed(world.now, call);
    assert!(world.run_until(Duration::from_secs(30), |w| !w.core.has_call(call)));
    assert!(
        invited_and_cancelled(&world, callee).1,
        "cancelled unanswered"
    );
    let reason = world
        .core
        .room_info("42")
        .and_then(|r| r.participants.into_iter().find(|p| p.call == call))
        .map(|p| (p.status, p.reason));
    assert_eq!(
        reason,
        Some((
            ParticipantStatus::Finished,
            "408 No answer within 20 s".into()
        ))
    );
}

#[test]
fn a_dial_out_into_a_room_whose_guest_fails_while_resolving_is_placed_all_the_same() {
    for unavailable in [false, true] {
        let (mut world, callee, call) = dial_out(CoreConfig::default(), true);
        let now = world.now;
        let timer = world
            .core
            .start_timer(now, call, Duration::from_secs(60))
            .expect("a timer");
        // Its `dialed` trapped, or found no instance, before its target resolved.
        if unavailable {
            world.core.guest_unavailable(now, call);
        } else {
            world.core.guest_failed(now, call);
        }
        assert!(
            !world.core.cancel_timer(call, timer),
            "its guest's timers end"
        );
        assert!(world.run_until(Duration::from_secs(5), |w| {
            status_in_42(w, call) == Some(ParticipantStatus::Ringing)
        }));
        answer(&mut world, callee);
        assert!(world.run_until(Duration::from_secs(5), |w| {
            status_in_42(w, call) == Some(ParticipantStatus::Connected)
        }));
        assert_eq!(
            world.core.stats().guest_failures,
            u64::from(!unavailable),
            "unavailable: {unavailable}"
        );
    }
}
