//! Guest timers: they fire on time as events to their call, can be cancelled,
//! are bounded per call, and end with the call.

mod common;

use common::{World, answer_only};
use std::time::Duration;
use switchyard_core::{CallEvent, CallId, CoreConfig, CoreError, GuestOp};
use switchyard_sip::testing::{Net, rsip::Method};

#[test]
fn a_timer_fires_once_on_time_and_a_cancelled_one_never() {
    let script = Box::new(|core: &mut switchyard_core::CallCore, now, op: &GuestOp| {
        if let GuestOp::Invite(invite) = op {
            core.answer(now, invite.call).expect("answer");
            core.start_timer(now, invite.call, Duration::from_millis(1500))
                .expect("timer");
            let cancelled = core
                .start_timer(now, invite.call, Duration::from_millis(700))
                .expect("timer");
            assert!(
                core.cancel_timer(invite.call, cancelled),
                "a pending timer cancels"
            );
            assert!(!core.cancel_timer(invite.call, cancelled), "only once");
        }
    });
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, script);
    world.dial("x", "alice");
    assert!(world.run_until(Duration::from_secs(5), |w| !w.invites().is_empty()));
    let invited_at = world.now;
    assert!(world.run_until(Duration::from_secs(5), |w| {
        !w.events_of(CallId(1)).is_empty()
    }));
    let events = world.events_of(CallId(1));
    assert!(
        matches!(events.as_slice(), [CallEvent::Timer(_)]),
        "{events:?}"
    );
    let fired_after = world.now - invited_at;
    assert_eq!(
        fired_after,
        Duration::from_millis(1500),
        "fired exactly when due, on virtual time"
    );
    world.run_for(Duration::from_secs(5));
    assert_eq!(world.events_of(CallId(1)).len(), 1, "nothing else fires");
}

#[test]
fn timers_are_bounded_per_call_and_end_with_the_call() {
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, answer_only());
    world.dial("x", "alice");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    let now = world.now;
    for _ in 0..64 {
        world
            .core
            .start_timer(now, CallId(1), Duration::from_secs(3600))
            .expect("within the bound");
    }
    assert!(
        matches!(
            world
                .core
                .start_timer(now, CallId(1), Duration::from_secs(1)),
            Err(CoreError::InvalidArgument(_))
        ),
        "the 65th is refused"
    );
    assert_eq!(world.core.footprint().timers, 64);
    world.uacs[0].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    assert_eq!(
        world.core.footprint().timers,
        0,
        "the call's timers went with it"
    );
    assert_eq!(
        world.events_of(CallId(1)),
        [CallEvent::Hangup],
        "and none fired"
    );
    assert_eq!(
        world
            .core
            .start_timer(world.now, CallId(1), Duration::from_secs(1)),
        Err(CoreError::NoSuchCall)
    );
}

#[test]
fn a_call_its_guest_hung_up_hears_no_more_timers() {
    let script = Box::new(|core: &mut switchyard_core::CallCore, now, op: &GuestOp| {
        if let GuestOp::Invite(invite) = op {
            core.answer(now, invite.call).expect("answer");
            core.start_timer(now, invite.call, Duration::from_millis(500))
                .expect("timer");
        }
    });
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, script);
    world.dial("x", "alice");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    // The BYE is lost: the call stays ending, waiting for its answer, past the timer.
    world
        .net
        .drop_if(|datagram| datagram.payload.starts_with(b"BYE "));
    let now = world.now;
    world.core.hangup(now, CallId(1)).expect("hang up");
    world.run_for(Duration::from_secs(2));
    assert!(world.core.has_call(CallId(1)), "still ending");
    assert!(
        !world
            .events_of(CallId(1))
            .iter()
            .any(|e| matches!(e, CallEvent::Timer(_))),
        "{:?}",
        world.events_of(CallId(1))
    );
}

#[test]
fn a_call_cancels_its_own_timers_only() {
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, answer_only());
    world.dial("x", "alice");
    world.dial("x", "bob");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs
            .iter()
            .all(|u| u.codes(Method::Invite).contains(&200))
    }));
    let (alice, bob) = (CallId(1), CallId(2));
    let now = world.now;
    let timer = world
        .core
        .start_timer(now, alice, Duration::from_millis(500))
        .expect("timer");
    assert!(
        !world.core.cancel_timer(bob, timer),
        "another call's timer is not bob's to cancel"
    );
    assert!(
        !world.core.cancel_timer(CallId(99), timer),
        "nor a call's that does not exist"
    );
    world.run_for(Duration::from_secs(1));
    assert_eq!(
        world.events_of(alice),
        [CallEvent::Timer(timer)],
        "the timer went on and fired to its call"
    );
    let again = world
        .core
        .start_timer(world.now, alice, Duration::from_millis(500))
        .expect("timer");
    assert!(
        world.core.cancel_timer(alice, again),
        "its own call cancels it"
    );
    world.run_for(Duration::from_secs(1));
    assert_eq!(
        world.events_of(alice).len(),
        1,
        "the cancelled one never fired"
    );
    assert!(world.events_of(bob).is_empty());
}
