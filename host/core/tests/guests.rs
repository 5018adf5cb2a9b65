//! What the core does when a call's guest misbehaves: leaves a call untouched,
//! traps or overruns its deadline, or cannot be had at all.

mod common;

use common::{Script, World, conference};
use std::time::{Duration, Instant};
use switchyard_core::{CallCore, CallId, CoreConfig, GuestOp};
use switchyard_sip::testing::{Net, rsip::Method};

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
