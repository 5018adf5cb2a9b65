//! Announcements into rooms: a looped one plays for as long as the room exists, also to
//! participants who join an empty room later, while a worker plays nothing into a room
//! without a member there; one played once needs someone to hear it.

mod common;

use common::{World, conference};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use switchyard_core::{CallId, CoreConfig, CoreError, MediaOp};
use switchyard_media::{MediaEvent, Prompt};
use switchyard_sip::testing::Net;
use switchyard_sip::testing::rsip::Method;

/// Room membership and announcement commands, in order, as short texts.
fn room_ops(world: &mut World) -> Vec<String> {
    world.drain();
    world
        .media
        .drain(..)
        .filter_map(|op| match op {
            MediaOp::Join { worker, leg, room } => {
                Some(format!("join {} {} w{worker}", leg.0, room.0))
            }
            MediaOp::Leave { leg, .. } | MediaOp::RemoveLeg { leg, .. } => {
                Some(format!("out {}", leg.0))
            }
            MediaOp::Announce {
                worker,
                room,
                looped,
                ..
            } => Some(format!("announce {} looped={looped} w{worker}", room.0)),
            MediaOp::StopAnnouncement { room, .. } => Some(format!("stop {}", room.0)),
            _ => None,
        })
        .collect()
}

fn music() -> Vec<Arc<Prompt>> {
    vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))]
}

fn world() -> World {
    let config = CoreConfig {
        workers: 3,
        participants_expire_delay: Duration::ZERO,
        ..CoreConfig::default()
    };
    World::new(config, Net::perfect(1), 1, conference())
}

/// A caller that dials room `room` of the conference guest and is answered there.
fn join(world: &mut World, room: &str, from: &str) -> usize {
    let caller = world.dial(&format!("000777{room}"), from);
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    caller
}

/// `caller` hangs up and its call ends.
fn hang_up(world: &mut World, caller: usize) {
    let call = CallId(caller as u64 + 1);
    world.uacs[caller].bye(world.now);
    assert!(world.run_until(Duration::from_secs(5), |w| !w.core.has_call(call)));
}

#[test]
fn a_looped_announcement_plays_to_whoever_joins_the_room_later() {
    let mut world = world();
    let now = world.now;
    world.core.open_room(now, "hold").unwrap();
    world.core.announce("hold", music(), true).unwrap();
    let worker = match room_ops(&mut world).as_slice() {
        [only] => only.rsplit(' ').next().unwrap().to_owned(),
        ops => panic!("one announcement to the room's worker: {ops:?}"),
    };
    let alice = join(&mut world, "hold", "alice");
    assert_eq!(
        room_ops(&mut world),
        [
            format!("join 1 hold {worker}"),
            format!("announce hold looped=true {worker}")
        ],
        "the room's worker had nobody to play it to: it plays once alice's leg is there"
    );
    let bob = join(&mut world, "hold", "bob");
    assert_eq!(
        room_ops(&mut world),
        [format!("join 2 hold {worker}")],
        "bob hears it as it goes on"
    );
    hang_up(&mut world, alice);
    hang_up(&mut world, bob);
    assert_eq!(room_ops(&mut world), ["out 1", "out 2"]);
    join(&mut world, "hold", "carol");
    assert_eq!(
        room_ops(&mut world),
        [
            format!("join 3 hold {worker}"),
            format!("announce hold looped=true {worker}")
        ],
        "the worker dropped it with the room's last leg: it plays again"
    );
}

#[test]
fn a_looped_announcement_ends_when_stopped_replaced_or_the_room_is_gone() {
    let mut world = world();
    let now = world.now;
    world.core.open_room(now, "stopped").unwrap();
    world.core.announce("stopped", music(), true).unwrap();
    world.core.stop_announcement("stopped").unwrap();
    world.core.open_room(now, "closed").unwrap();
    world.core.announce("closed", music(), true).unwrap();
    world.core.close_room(now, "closed").unwrap();
    world.core.open_room(now, "closed").unwrap();
    room_ops(&mut world);
    let first = join(&mut world, "stopped", "alice");
    join(&mut world, "closed", "bob");
    assert!(
        room_ops(&mut world).iter().all(|op| op.starts_with("join")),
        "nothing plays into a room whose loop was stopped or that was closed"
    );
    world.core.announce("stopped", music(), true).unwrap();
    world.core.announce("stopped", music(), false).unwrap();
    hang_up(&mut world, first);
    room_ops(&mut world);
    join(&mut world, "stopped", "carol");
    assert!(
        room_ops(&mut world).iter().all(|op| op.starts_with("join")),
        "an announcement played once replaced the loop"
    );
}

#[test]
fn an_announcement_played_once_needs_someone_with_media_to_hear_it() {
    let mut world = world();
    let now = world.now;
    world.core.open_room(now, "empty").unwrap();
    world.core.announce("empty", music(), true).unwrap();
    room_ops(&mut world);
    let refused = world.core.announce("empty", music(), false);
    assert!(
        matches!(&refused, Err(CoreError::WrongState(why)) if why.contains("nobody")),
        "{refused:?}"
    );
    assert!(room_ops(&mut world).is_empty(), "nothing was sent");
    join(&mut world, "empty", "alice");
    let ops = room_ops(&mut world);
    assert!(
        ops.iter()
            .any(|op| op.starts_with("announce empty looped=true")),
        "the refused one left the loop as it was: {ops:?}"
    );
    world.core.announce("empty", music(), false).unwrap();
    let ops = room_ops(&mut world);
    assert!(
        matches!(ops.as_slice(), [op] if op.starts_with("announce empty looped=false")),
        "{ops:?}"
    );
}

#[test]
fn a_looped_announcement_plays_again_once_the_rooms_legs_are_lost() {
    let mut world = world();
    let now = world.now;
    world.core.open_room(now, "hold").unwrap();
    world.core.announce("hold", music(), true).unwrap();
    let callers = [
        join(&mut world, "hold", "alice"),
        join(&mut world, "hold", "bob"),
    ];
    let calls = callers.map(|caller| CallId(caller as u64 + 1));
    let worker = match room_ops(&mut world).as_slice() {
        [.., last] => last.rsplit(' ').next().unwrap().to_owned(),
        [] => panic!("the callers joined the room"),
    };
    // Their BYEs go unanswered: the calls end only once the BYEs time out.
    let lost: Vec<_> = callers.iter().map(|&c| world.locals[c]).collect();
    world.net.drop_if(move |d| lost.contains(&d.to));
    // The room's worker failed: it lost both legs, and the room with its announcement.
    let now = world.now;
    for call in calls {
        world
            .core
            .handle_media_event(now, MediaEvent::LegLost { leg: call.leg() });
    }
    assert!(
        matches!(
            world.core.announce("hold", music(), false),
            Err(CoreError::WrongState(_))
        ),
        "nobody with media is left to hear an announcement played once"
    );
    let carol = join(&mut world, "hold", "carol");
    assert!(
        calls.iter().all(|&call| world.core.has_call(call)),
        "the lost calls' BYEs are still pending"
    );
    assert_eq!(
        room_ops(&mut world),
        [
            format!("join {} hold {worker}", carol + 1),
            format!("announce hold looped=true {worker}")
        ],
        "carol's leg is the room's only one: the announcement plays again"
    );
    let reserved = world.open_ports.load(Ordering::Relaxed);
    assert!(world.run_until(Duration::from_secs(40), |w| {
        calls.iter().all(|&call| !w.core.has_call(call))
    }));
    assert_eq!(
        room_ops(&mut world),
        Vec::<String>::new(),
        "the lost legs leave nothing to remove"
    );
    assert_eq!(
        world.open_ports.load(Ordering::Relaxed),
        reserved,
        "the lost legs' ports went with them: none is released for them"
    );
}
