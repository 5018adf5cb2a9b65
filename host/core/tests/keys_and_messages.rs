//! Keys a guest sends to a call's peer, and messages between the instances of calls.

mod common;

use common::{World, two_in_room};
use std::time::Duration;
use switchyard_core::{
    CallEvent, CallId, CoreConfig, CoreError, GuestOp, MAX_MESSAGE_BYTES, MediaOp, Message,
};
use switchyard_media::{MAX_PENDING_KEYS, MediaEvent, TalkChange};
use switchyard_sip::testing::Net;

fn invalid(result: Result<(), CoreError>) -> String {
    match result {
        Err(CoreError::InvalidArgument(why)) => why,
        other => panic!("not an invalid argument: {other:?}"),
    }
}

#[test]
fn keys_reach_the_legs_worker_and_at_most_32_wait() {
    let mut world = two_in_room();
    let alice = CallId(1);
    let now = world.now;
    let keys = "0123456789*#ABCD".repeat(2);
    assert_eq!(keys.len(), MAX_PENDING_KEYS);
    world.core.send_dtmf(now, alice, &keys).expect("32 keys");
    world.drain();
    assert!(matches!(
        world.media.last(),
        Some(MediaOp::SendDtmf { leg, digits, .. }) if *leg == alice.leg() && *digits == keys
    ));
    assert!(invalid(world.core.send_dtmf(now, alice, "1")).contains("32 keys are waiting"));
    let why = invalid(world.core.send_dtmf(now, CallId(2), "12x"));
    assert!(why.contains("'x' is not a DTMF key"), "{why}");
    assert!(invalid(world.core.send_dtmf(now, CallId(2), "")).contains("at least one key"));
    // One key takes 160 ms: once the first is sent, one more fits.
    let later = now + Duration::from_millis(200);
    world
        .core
        .send_dtmf(later, alice, "1")
        .expect("a 33rd key later");
    assert!(world.core.send_dtmf(later, alice, "1").is_err());
    assert!(matches!(
        world.core.send_dtmf(now, CallId(99), "1"),
        Err(CoreError::NoSuchCall)
    ));
}

#[test]
fn keys_need_media() {
    let script = Box::new(|core: &mut switchyard_core::CallCore, now, op: &GuestOp| {
        if let GuestOp::Invite(invite) = op {
            assert!(matches!(
                core.send_dtmf(now, invite.call, "1"),
                Err(CoreError::WrongState(_))
            ));
        }
    });
    let mut world = World::new(CoreConfig::default(), Net::perfect(4), 4, script);
    world.dial("000777123", "alice");
    world.run_for(Duration::from_millis(100));
    assert_eq!(world.invites().len(), 1);
}

#[test]
fn a_message_is_queued_after_the_calls_events() {
    let mut world = two_in_room();
    let (alice, bob) = (CallId(1), CallId(2));
    world.guest.clear();
    world.core.handle_media_event(
        world.now,
        MediaEvent::Talk {
            leg: bob.leg(),
            change: TalkChange::Started { level_dbov: -20 },
        },
    );
    world
        .core
        .send_message("conf", Some(alice), bob, "hello")
        .expect("sent");
    world
        .core
        .send_message("conf", None, bob, "")
        .expect("sent");
    world.drain();
    let to_bob: Vec<&GuestOp> = world
        .guest
        .iter()
        .filter(|op| match op {
            GuestOp::Event { call, .. } | GuestOp::Message { call, .. } => *call == bob,
            _ => false,
        })
        .collect();
    let message = |from, text: &str| Message {
        guest: "conf".into(),
        from,
        text: text.into(),
    };
    assert!(
        matches!(
            to_bob.as_slice(),
            [
                GuestOp::Event { event: CallEvent::Talk { talking: true, .. }, .. },
                GuestOp::Message { message: first, .. },
                GuestOp::Message { message: second, .. },
            ] if **first == message(Some(alice), "hello") && **second == message(None, "")
        ),
        "{to_bob:?}"
    );
}

#[test]
fn a_message_needs_a_call_and_at_most_4_kib() {
    let mut world = two_in_room();
    let bob = CallId(2);
    assert!(matches!(
        world.core.send_message("conf", None, CallId(99), "hi"),
        Err(CoreError::NoSuchCall)
    ));
    let longest = "x".repeat(MAX_MESSAGE_BYTES);
    world
        .core
        .send_message("conf", None, bob, &longest)
        .expect("4 KiB");
    let why = invalid(
        world
            .core
            .send_message("conf", None, bob, &format!("{longest}x")),
    );
    assert!(why.contains("at most 4096 bytes"), "{why}");
    world.drain();
    let messages = world
        .guest
        .iter()
        .filter(|op| matches!(op, GuestOp::Message { .. }))
        .count();
    assert_eq!(messages, 1, "a refused message is not queued");
}
