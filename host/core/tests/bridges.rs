//! Moving calls between a bridge, a room and alone: the media commands, the
//! peers' events, and the state the core reports.

mod common;

use common::{Script, World, answer_only, answering_callee};
use std::time::Duration;
use switchyard_core::{
    CallEvent, CallId, CoreConfig, CoreError, DialRequest, GuestOp, JoinOptions, MediaOp,
};
use switchyard_media::{LegId, MediaEvent};
use switchyard_sip::Event as SipEvent;
use switchyard_sip::testing::{Net, addr, rsip::Method};

fn two_answered_calls(workers: usize) -> World {
    let config = CoreConfig {
        workers,
        ..CoreConfig::default()
    };
    let mut world = World::new(
        config,
        Net::lossy(5, 0.1, 0.1, Duration::from_millis(20)),
        5,
        answer_only(),
    );
    world.dial("alice-to-bob", "alice");
    world.dial("bob-to-alice", "bob");
    let answered = world.run_until(Duration::from_secs(30), |w| {
        w.uacs
            .iter()
            .all(|u| u.codes(Method::Invite).contains(&200))
    });
    assert!(answered, "both calls are answered");
    world
}

fn worker_of(world: &World, call: CallId) -> usize {
    let mut worker = None;
    for op in &world.media {
        match op {
            MediaOp::AddLeg { worker: w, leg, .. } if leg.0 == call.0 => worker = Some(*w),
            MediaOp::Move { leg, to, .. } if leg.0 == call.0 => worker = Some(*to),
            _ => {}
        }
    }
    worker.unwrap_or_else(|| panic!("{call} has no media leg: {:?}", world.media))
}

#[test]
fn a_bridge_puts_both_legs_on_one_worker_and_ends_when_a_peer_hangs_up() {
    // Calls 1 and 2 start on workers 1 and 0 of two: the bridge must move one.
    let mut world = two_answered_calls(2);
    let (a, b) = (CallId(1), CallId(2));
    let worker = worker_of(&world, a);
    assert_ne!(worker, worker_of(&world, b), "the legs start apart");
    world.media.clear();
    world.core.bridge(world.now, a, b).expect("bridge");
    world.drain();
    assert!(
        matches!(world.media.as_slice(), [MediaOp::Move { to, .. }, MediaOp::Bridge { worker: w, .. }] if *to == worker && *w == worker),
        "b moves to a's worker, then the legs are bridged there: {:?}",
        world.media
    );
    assert_eq!(
        world.core.bridge(world.now, a, b),
        Ok(()),
        "bridging again changes nothing"
    );

    world.uacs[1].bye(world.now);
    assert!(
        world.run_until(Duration::from_secs(30), |w| w.core.active_calls() == 1),
        "b ends"
    );
    assert_eq!(
        world.events_of(a),
        [CallEvent::Unbridged],
        "a is told its bridge ended"
    );
    assert_eq!(world.events_of(b), [CallEvent::Hangup]);
    assert!(
        matches!(
            world.core.unbridge(world.now, a),
            Err(CoreError::WrongState(_))
        ),
        "a is alone now"
    );
}

#[test]
fn a_call_moves_from_a_bridge_to_a_room_and_back() {
    let mut world = two_answered_calls(3);
    let (a, b) = (CallId(1), CallId(2));
    world.core.bridge(world.now, a, b).expect("bridge");
    world.drain();
    world.media.clear();

    let others = world
        .core
        .join(world.now, a, "7", JoinOptions::default())
        .expect("join from a bridge");
    world.drain();
    assert_eq!(others, 0, "a is alone in room 7");
    assert_eq!(
        world.events_of(b),
        [CallEvent::Unbridged],
        "b hears its bridge end"
    );
    assert!(
        matches!(world.media.first(), Some(MediaOp::Unbridge { leg, .. }) if leg.0 == 1),
        "the bridge is taken apart first: {:?}",
        world.media
    );
    assert!(
        matches!(world.media.last(), Some(MediaOp::Join { leg, room, .. }) if leg.0 == 1 && room.0 == "7"),
        "then a joins the room: {:?}",
        world.media
    );
    assert_eq!(
        world.core.room_info("7").map(|r| r.participants.len()),
        Some(1)
    );

    world
        .core
        .bridge(world.now, b, a)
        .expect("bridge back from the room");
    assert!(
        world
            .core
            .room_info("7")
            .is_some_and(|r| r.participants.is_empty()),
        "a left the room's list"
    );
    world.drain();
    assert_eq!(
        world.left_rooms,
        [(a, "7".to_owned())],
        "the shell hears a left room 7 for the bridge"
    );
    world.core.unbridge(world.now, a).expect("unbridge");
    world.drain();
    assert_eq!(
        world.events_of(b),
        [CallEvent::Unbridged, CallEvent::Unbridged],
        "the peer of the call that unbridged is told; the caller is not"
    );
    assert!(
        world.events_of(a).is_empty(),
        "a's own guest asked for every move"
    );
}

#[test]
fn a_call_back_in_the_room_it_left_for_a_bridge_is_not_told_gone_from_it() {
    let mut world = two_answered_calls(3);
    let (a, b) = (CallId(1), CallId(2));
    for call in [a, b] {
        world
            .core
            .join(world.now, call, "7", JoinOptions::default())
            .expect("join");
    }
    world.drain();
    // Bridged and back in room 7 before the shell takes the core's effects.
    world.core.bridge(world.now, a, b).expect("bridge");
    world
        .core
        .join(world.now, a, "7", JoinOptions::default())
        .expect("back to room 7");
    world.drain();
    assert_eq!(
        world.left_rooms,
        [(b, "7".to_owned())],
        "only b, still bridged alone, is told gone from room 7"
    );
    assert_eq!(
        world.core.room_info("7").map(|r| r.participants.len()),
        Some(1)
    );
}

#[test]
fn bridges_refuse_what_cannot_be_bridged() {
    let mut world = two_answered_calls(1);
    let now = world.now;
    assert!(matches!(
        world.core.bridge(now, CallId(1), CallId(1)),
        Err(CoreError::InvalidArgument(_))
    ));
    assert_eq!(
        world.core.bridge(now, CallId(1), CallId(9)),
        Err(CoreError::NoSuchCall)
    );
    world.dial("unanswered", "carol");
    assert!(
        world.run_until(Duration::from_secs(1), |w| w.invites().len() == 3),
        "the third call reaches the guest"
    );
    // Call 3 was answered by the script too; hang it up and try to bridge it while it ends.
    world.core.hangup(world.now, CallId(3)).expect("hangup");
    assert!(matches!(
        world.core.bridge(world.now, CallId(1), CallId(3)),
        Err(CoreError::WrongState(_))
    ));
}

#[test]
fn key_presses_on_either_leg_of_a_bridge_reach_that_calls_guest() {
    let mut world = two_answered_calls(1);
    let (a, b) = (CallId(1), CallId(2));
    world.core.bridge(world.now, a, b).unwrap();
    // RFC 4733 from the media of each leg.
    for (call, digit) in [(a, '1'), (b, '2')] {
        world.core.handle_media_event(
            world.now,
            MediaEvent::Dtmf {
                leg: LegId(call.0),
                digit,
            },
        );
    }
    // SIP INFO from each caller.
    for (caller, digit) in [(0, '3'), (1, '4')] {
        world.uacs[caller].info(
            world.now,
            "Content-Type: application/dtmf-relay\r\n",
            &format!("Signal={digit}\r\nDuration=160\r\n"),
        );
    }
    let keys = |world: &World, call| -> Vec<char> {
        world
            .events_of(call)
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::Dtmf(digit) => Some(digit),
                _ => None,
            })
            .collect()
    };
    assert!(world.run_until(Duration::from_secs(10), |w| {
        keys(w, a).len() == 2 && keys(w, b).len() == 2
    }));
    assert_eq!(
        (keys(&world, a), keys(&world, b)),
        (vec!['1', '3'], vec!['2', '4'])
    );
    for call in [a, b] {
        assert!(
            !world.events_of(call).contains(&CallEvent::Unbridged),
            "the bridge stands"
        );
    }
}

/// A guest that forwards calls to `forward` to the callee at 127.0.0.1:7000
/// and answers the others.
fn forwarding() -> Script {
    Box::new(|core, now, op| {
        let GuestOp::Invite(invite) = op else {
            return;
        };
        if invite.sip.request_user != "forward" {
            core.answer(now, invite.call).expect("answer");
            return;
        }
        let request = DialRequest {
            uri: "sip:bob@127.0.0.1:7000".to_owned(),
            ..DialRequest::default()
        };
        core.forward(invite.call, request).expect("forward");
    })
}

#[test]
fn a_forwarded_call_parted_from_its_callee_ends_on_its_own() {
    for parting in ["unbridge", "join", "bridge"] {
        let mut world = World::new(CoreConfig::default(), Net::perfect(5), 5, forwarding());
        let callee = world.callee(addr("127.0.0.1:7000"), answering_callee(false));
        let caller = world.dial("forward", "alice");
        let third = world.dial("carol", "carol");
        assert!(
            world.run_until(Duration::from_secs(5), |w| {
                w.uacs[caller].codes(Method::Invite).contains(&200)
                    && w.uacs[third].codes(Method::Invite).contains(&200)
            }),
            "{parting}: both callers are answered, one through the callee"
        );
        let invites = world.invites();
        let incoming = invites[0].call;
        let other = invites[1].call;
        let placed = world.placed();
        let now = world.now;
        let parted = match parting {
            "unbridge" => world.core.unbridge(now, placed),
            "join" => world
                .core
                .join(now, placed, "9000", JoinOptions::default())
                .map(drop),
            _ => world.core.bridge(now, placed, other),
        };
        assert_eq!(parted, Ok(()), "{parting}");

        world.uacs[caller].bye(world.now);
        assert!(
            world.run_until(Duration::from_secs(10), |w| !w.core.has_call(incoming)),
            "{parting}: the caller ends"
        );
        world.run_for(Duration::from_secs(2));
        assert!(
            world.core.has_call(placed),
            "{parting}: the placed call goes on without the caller"
        );
        let ended = world.callees[callee]
            .events
            .iter()
            .filter(|e| matches!(e, SipEvent::CallEnded { .. }))
            .count();
        assert_eq!(
            ended, 0,
            "{parting}: the callee got no BYE for the caller's"
        );
    }
}

#[test]
fn a_forwarded_call_parted_from_its_callee_being_hung_up_stays_up() {
    for parting in ["unbridge", "join", "bridge"] {
        let mut world = World::new(CoreConfig::default(), Net::perfect(5), 5, forwarding());
        world.callee(addr("127.0.0.1:7000"), answering_callee(false));
        let caller = world.dial("forward", "alice");
        let third = world.dial("carol", "carol");
        assert!(
            world.run_until(Duration::from_secs(5), |w| {
                w.uacs[caller].codes(Method::Invite).contains(&200)
                    && w.uacs[third].codes(Method::Invite).contains(&200)
            }),
            "{parting}: both callers are answered, one through the callee"
        );
        let invites = world.invites();
        let incoming = invites[0].call;
        let other = invites[1].call;
        let placed = world.placed();
        let now = world.now;
        // The callee is hung up from here: its BYE is on its way when the caller is
        // parted from it.
        world.core.hangup(now, placed).expect("hang the callee up");
        let parted = match parting {
            "unbridge" => world.core.unbridge(now, incoming),
            "join" => world
                .core
                .join(now, incoming, "9000", JoinOptions::default())
                .map(drop),
            _ => world.core.bridge(now, incoming, other),
        };
        assert_eq!(parted, Ok(()), "{parting}");

        assert!(
            world.run_until(Duration::from_secs(10), |w| !w.core.has_call(placed)),
            "{parting}: the callee's call ends"
        );
        world.run_for(Duration::from_secs(2));
        assert!(
            world.core.has_call(incoming),
            "{parting}: the caller goes on without the callee"
        );
        assert!(
            world.uacs[caller].requests(Method::Bye).is_empty(),
            "{parting}: the caller got no BYE for the callee's"
        );
    }
}
