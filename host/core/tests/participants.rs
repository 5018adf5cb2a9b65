//! Mute, listen-only, deaf and kick of room participants.

mod common;

use common::{World, two_in_room};
use std::time::Duration;
use switchyard_core::{
    CallCore, CallEvent, CallId, CoreConfig, CoreError, GuestOp, JoinOptions, MediaOp,
    ParticipantStatus,
};
use switchyard_media::{MediaEvent, TalkChange};
use switchyard_sip::testing::{Net, rsip::Method};

fn flags(world: &World, call: CallId) -> (bool, bool) {
    let room = world.core.room_info("123").expect("room 123");
    let p = room
        .participants
        .iter()
        .find(|p| p.call == call)
        .expect("listed");
    (p.muted, p.listen_only)
}

fn last_mute(world: &World) -> Option<bool> {
    world.media.iter().rev().find_map(|op| match op {
        MediaOp::SetMuted { muted, .. } => Some(*muted),
        _ => None,
    })
}

#[test]
fn mute_and_listen_only_are_listed_and_silence_the_leg_until_both_are_off() {
    let mut world = two_in_room();
    let alice = CallId(1);
    world.core.set_muted(alice, true).expect("mute");
    world.drain();
    assert_eq!(
        (flags(&world, alice), last_mute(&world)),
        ((true, false), Some(true))
    );
    world
        .core
        .set_listen_only(alice, true)
        .expect("listen-only");
    world.core.set_muted(alice, false).expect("unmute");
    world.drain();
    assert_eq!(
        (flags(&world, alice), last_mute(&world)),
        ((false, true), Some(true)),
        "listen-only keeps the leg silent after unmute"
    );
    world
        .core
        .set_listen_only(alice, false)
        .expect("talk again");
    world.drain();
    assert_eq!(
        (flags(&world, alice), last_mute(&world)),
        ((false, false), Some(false))
    );
    world.core.leave(world.now, alice).expect("leave");
    assert!(
        matches!(
            world.core.set_muted(alice, true),
            Err(CoreError::WrongState(_))
        ),
        "only participants are muted"
    );
}

#[test]
fn a_kicked_participant_is_hung_up_and_listed_as_kicked() {
    let mut world = two_in_room();
    assert!(world.core.kick(world.now, CallId(2)).expect("kick"));
    // Already ending: the first reason stands.
    assert!(!world.core.kick(world.now, CallId(2)).expect("kick again"));
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 1));
    assert_eq!(
        world.uacs[1].requests(Method::Bye).len(),
        1,
        "bob got a BYE"
    );
    let room = world.core.room_info("123").expect("room");
    let bob = room
        .participants
        .iter()
        .find(|p| p.call == CallId(2))
        .expect("still listed");
    assert_eq!(bob.status, ParticipantStatus::Finished);
    assert_eq!(bob.reason, "kicked", "the reason says why it ended");
}

/// Alice's call, joined to room 123 and given `flag` before it is answered,
/// then answered.
fn flagged_before_answer(flag: fn(&mut CallCore, CallId)) -> World {
    let script = Box::new(move |core: &mut CallCore, now, op: &GuestOp| {
        if let GuestOp::Invite(invite) = op {
            core.join(now, invite.call, "123", JoinOptions::default())
                .expect("join");
            flag(core, invite.call);
            core.answer(now, invite.call).expect("answer");
        }
    });
    let mut world = World::new(CoreConfig::default(), Net::perfect(4), 4, script);
    world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    world
}

#[test]
fn a_participant_muted_before_it_is_answered_starts_muted() {
    let world = flagged_before_answer(|core, call| {
        core.set_listen_only(call, true).expect("listen-only");
    });
    assert!(
        matches!(
            world.media.as_slice(),
            [
                MediaOp::AddLeg { .. },
                MediaOp::Join { .. },
                MediaOp::SetMuted { muted: true, .. },
                MediaOp::RearmRtpTimeout { .. }
            ]
        ),
        "expected the leg added, joined, muted and its RTP timeout rearmed: {:?}",
        world.media
    );
    assert_eq!(flags(&world, CallId(1)), (false, true));
}

#[test]
fn a_gain_reaches_the_legs_worker_and_one_out_of_range_is_refused() {
    let mut world = two_in_room();
    let alice = CallId(1);
    world.core.set_gain(alice, -6.0).expect("a gain in range");
    world.drain();
    assert!(
        world.media.iter().any(|op| matches!(
            op,
            MediaOp::SetGain { leg, gain_db, .. } if *leg == alice.leg() && *gain_db == -6.0
        )),
        "{:?}",
        world.media
    );
    for bad in [-24.5, 12.5, f32::NAN] {
        assert!(
            matches!(
                world.core.set_gain(alice, bad),
                Err(CoreError::InvalidArgument(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        world.core.set_gain(CallId(99), 0.0),
        Err(CoreError::NoSuchCall)
    ));
}

#[test]
fn a_talkspurt_reaches_the_guest_and_the_participants_talking_flag() {
    let mut world = two_in_room();
    let alice = CallId(1);
    let now = world.now;
    let talking = |world: &World| {
        world
            .core
            .room_info("123")
            .expect("room 123")
            .participants
            .iter()
            .find(|p| p.call == alice)
            .expect("listed")
            .talking
    };
    assert!(!talking(&world));
    world.core.handle_media_event(
        now,
        MediaEvent::Talk {
            leg: alice.leg(),
            change: TalkChange::Started { level_dbov: -18 },
        },
    );
    world.drain();
    assert!(talking(&world));
    world.core.handle_media_event(
        now,
        MediaEvent::Talk {
            leg: alice.leg(),
            change: TalkChange::Stopped,
        },
    );
    world.drain();
    assert!(!talking(&world));
    let talk: Vec<CallEvent> = world
        .events_of(alice)
        .into_iter()
        .filter(|e| matches!(e, CallEvent::Talk { .. }))
        .collect();
    assert_eq!(
        talk,
        [
            CallEvent::Talk {
                talking: true,
                level_dbov: -18
            },
            CallEvent::Talk {
                talking: false,
                level_dbov: -127
            },
        ]
    );
}

/// Whether `call` is listed talking in `room`; `None` if it is not listed there.
fn talking_in(world: &World, room: &str, call: CallId) -> Option<bool> {
    let view = world.core.room_info(room)?;
    view.participants
        .iter()
        .find(|p| p.call == call)
        .map(|p| p.talking)
}

fn talk(world: &mut World, call: CallId, change: TalkChange) {
    let now = world.now;
    world.core.handle_media_event(
        now,
        MediaEvent::Talk {
            leg: call.leg(),
            change,
        },
    );
    world.drain();
}

#[test]
fn a_participant_moved_mid_talkspurt_is_listed_talking_in_its_new_room() {
    let mut world = two_in_room();
    let (alice, bob) = (CallId(1), CallId(2));
    let options = || JoinOptions {
        number: "alice".into(),
        reason: "moved".into(),
        participant_id: String::new(),
    };
    talk(&mut world, alice, TalkChange::Started { level_dbov: -18 });
    // Its leg's voice activity goes with it: the talkspurt under way ends in the new room.
    let now = world.now;
    world.core.join(now, alice, "456", options()).unwrap();
    assert_eq!(talking_in(&world, "456", alice), Some(true));
    // Out of any room its leg's detection rests, a talkspurt under way with it.
    talk(&mut world, bob, TalkChange::Started { level_dbov: -20 });
    world.core.leave(now, bob).unwrap();
    world.core.join(now, bob, "456", options()).unwrap();
    assert_eq!(talking_in(&world, "456", bob), Some(true));
    talk(&mut world, alice, TalkChange::Stopped);
    assert_eq!(talking_in(&world, "456", alice), Some(false));
    world.core.join(now, alice, "123", options()).unwrap();
    assert_eq!(talking_in(&world, "123", alice), Some(false));
    let talk: Vec<CallEvent> = world
        .events_of(alice)
        .into_iter()
        .filter(|e| matches!(e, CallEvent::Talk { .. }))
        .collect();
    assert_eq!(
        talk,
        [
            CallEvent::Talk {
                talking: true,
                level_dbov: -18
            },
            CallEvent::Talk {
                talking: false,
                level_dbov: -127
            },
        ],
        "one start, one stop: moving adds none"
    );
}

fn deaf(world: &World, call: CallId) -> bool {
    let room = world.core.room_info("123").expect("room 123");
    room.participants
        .iter()
        .find(|p| p.call == call)
        .expect("listed")
        .deaf
}

#[test]
fn deaf_is_listed_reaches_the_leg_and_ends_with_leaving_the_room() {
    let mut world = two_in_room();
    let alice = CallId(1);
    world.core.set_deaf(alice, true).expect("deaf");
    world.drain();
    assert!(deaf(&world, alice));
    assert!(matches!(
        world.media.last(),
        Some(MediaOp::SetDeaf { leg, deaf: true, .. }) if *leg == alice.leg()
    ));
    world.core.leave(world.now, alice).expect("leave");
    assert!(
        matches!(
            world.core.set_deaf(alice, true),
            Err(CoreError::WrongState(_))
        ),
        "only a participant is made deaf"
    );
    world
        .core
        .join(world.now, alice, "123", JoinOptions::default())
        .expect("join again");
    world.drain();
    assert!(!deaf(&world, alice), "a new join starts not deaf");
    assert!(
        !world
            .media
            .iter()
            .rev()
            .take_while(|op| !matches!(op, MediaOp::Leave { .. }))
            .any(|op| matches!(op, MediaOp::SetDeaf { deaf: true, .. })),
        "nothing made the leg deaf again: {:?}",
        world.media
    );
}

#[test]
fn a_participant_made_deaf_before_it_is_answered_starts_deaf() {
    let world = flagged_before_answer(|core, call| {
        core.set_deaf(call, true).expect("deaf");
    });
    assert!(
        matches!(
            world.media.as_slice(),
            [
                MediaOp::AddLeg { .. },
                MediaOp::Join { .. },
                MediaOp::SetDeaf { deaf: true, .. },
                MediaOp::RearmRtpTimeout { .. }
            ]
        ),
        "expected the leg added, joined, made deaf and its RTP timeout rearmed: {:?}",
        world.media
    );
}

#[test]
fn a_locked_room_admits_nobody_new_and_keeps_who_is_in() {
    let mut world = two_in_room();
    let (alice, carol) = (CallId(1), CallId(3));
    assert_eq!(world.core.is_locked("123"), Some(false));
    world.core.set_locked("123", true).expect("lock");
    assert_eq!(world.core.is_locked("123"), Some(true));
    assert_eq!(
        world.core.set_locked("nowhere", true),
        Err(CoreError::NoSuchRoom)
    );
    // Alice, listed already, may join again; Carol, new, may not.
    let now = world.now;
    world
        .core
        .join(now, alice, "123", JoinOptions::default())
        .expect("a participant rejoins a locked room");
    world.dial("000777999", "carol");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.core.room_info("999").is_some()
    }));
    let refused = world.core.join(now, carol, "123", JoinOptions::default());
    assert_eq!(
        refused,
        Err(CoreError::WrongState("room 123 is locked".into()))
    );
    world.core.set_locked("123", false).expect("unlock");
    world
        .core
        .join(now, carol, "123", JoinOptions::default())
        .expect("an unlocked room admits her");
}

#[test]
fn a_mute_before_the_answer_stays_in_the_room_it_was_given_in() {
    // The guest joins the unanswered call to one room, mutes it, moves it to another, and
    // answers: it is listed unmuted there, and its media starts unmuted.
    let script: common::Script = Box::new(|core, now, op| {
        if let GuestOp::Invite(invite) = op {
            let options = || JoinOptions {
                number: "alice".into(),
                reason: "entered".into(),
                participant_id: String::new(),
            };
            core.join(now, invite.call, "1", options()).expect("join 1");
            core.set_muted(invite.call, true).expect("mute");
            core.join(now, invite.call, "2", options()).expect("join 2");
            core.answer(now, invite.call).expect("answer");
        }
    });
    let mut world = World::new(CoreConfig::default(), Net::perfect(5), 5, script);
    let caller = world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let listed = world.core.room_info("2").expect("room 2");
    let shown: Vec<(&str, bool)> = listed
        .participants
        .iter()
        .map(|p| (p.number.as_str(), p.muted))
        .collect();
    assert_eq!(shown, [("alice", false)], "{listed:?}");
    assert_eq!(last_mute(&world), None, "{:?}", world.media);
}

#[test]
fn a_listing_with_an_overlong_text_is_refused_and_changes_nothing() {
    let mut world = two_in_room();
    let alice = CallId(1);
    let options = |number: usize, reason: usize, participant_id: usize| JoinOptions {
        number: "1".repeat(number),
        reason: "r".repeat(reason),
        participant_id: "p".repeat(participant_id),
    };
    for (too_long, refusal) in [
        (
            options(2049, 0, 0),
            "a participant's number is 2049 bytes, more than 2048",
        ),
        (
            options(0, 257, 0),
            "a participant's reason is 257 bytes, more than 256",
        ),
        (
            options(0, 0, 257),
            "a participant's id is 257 bytes, more than 256",
        ),
    ] {
        let refused = world.core.join(world.now, alice, "456", too_long);
        assert_eq!(refused, Err(CoreError::InvalidArgument(refusal.to_owned())));
    }
    assert!(world.core.room_info("456").is_none(), "no room opened");
    assert_eq!(flags(&world, alice), (false, false), "still listed in 123");
    world
        .core
        .join(world.now, alice, "456", options(2048, 256, 256))
        .expect("the longest texts are taken");
}
