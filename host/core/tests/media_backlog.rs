//! The commands waiting for a media worker: past the cap a guest's are refused,
//! while what SIP asks of the worker still goes.

mod common;

use common::{World, two_in_room};
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::{CallId, CoreError, JoinOptions, MAX_MEDIA_BACKLOG, MediaOp};
use switchyard_media::{Prompt, PromptRole};

const ALICE: CallId = CallId(1);
const BOB: CallId = CallId(2);

/// Raises worker 0's count to `waiting`, as commands its worker has not taken would.
fn backlog_at(world: &World, waiting: usize) {
    let backlog = world.core.media_backlog();
    while backlog.waiting(0) < waiting {
        backlog.add(0);
    }
}

fn waiting(world: &World) -> usize {
    world.core.media_backlog().waiting(0)
}

fn busy<T: std::fmt::Debug>(result: Result<T, CoreError>) -> bool {
    let refusal = format!("media worker 0: {MAX_MEDIA_BACKLOG} commands waiting");
    matches!(result, Err(CoreError::Busy(message)) if message == refusal)
}

/// Two callers in room 123, on the one media worker, with nothing left to drain.
fn quiet_room() -> World {
    let mut world = two_in_room();
    world.drain();
    world.media.clear();
    world
}

#[test]
fn a_guest_command_at_the_cap_is_refused_and_changes_nothing() {
    let mut world = quiet_room();
    backlog_at(&world, MAX_MEDIA_BACKLOG - 1);
    world
        .core
        .set_muted(ALICE, true)
        .expect("one below the cap");
    world.drain();
    assert!(
        matches!(world.media[..], [MediaOp::SetMuted { muted: true, .. }]),
        "{:?}",
        world.media
    );
    assert_eq!(waiting(&world), MAX_MEDIA_BACKLOG);
    world.media.clear();

    let room = world.core.room_info("123");
    let now = world.now;
    let music = || vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))];
    let core = &mut world.core;
    let refusals = [
        busy(core.set_muted(ALICE, false)),
        busy(core.set_listen_only(ALICE, true)),
        busy(core.set_deaf(ALICE, true)),
        busy(core.set_gain(ALICE, -6.0)),
        busy(core.play(ALICE, music(), false, PromptRole::Heard)),
        busy(core.stop(ALICE, PromptRole::Said)),
        busy(core.announce("123", music(), true)),
        busy(core.stop_announcement("123")),
        busy(core.join(now, ALICE, "456", JoinOptions::default())),
        busy(core.leave(now, ALICE)),
        busy(core.send_dtmf(now, ALICE, "1")),
        busy(core.bridge(now, ALICE, BOB)),
    ];
    assert_eq!(refusals, [true; 12]);
    world.drain();
    assert!(world.media.is_empty(), "{:?}", world.media);
    assert_eq!(world.core.room_info("123"), room, "the room is as it was");
    assert!(world.core.room_info("456").is_none(), "no room was opened");
    assert_eq!(waiting(&world), MAX_MEDIA_BACKLOG);
}

#[test]
fn a_flood_of_gains_stays_at_the_cap_and_passes_again_once_the_worker_takes_some() {
    let mut world = quiet_room();
    // The legs' own commands, which nobody took either.
    let before = waiting(&world);
    assert!(before > 0);
    let mut accepted = 0;
    for _ in 0..2 * MAX_MEDIA_BACKLOG {
        if world.core.set_gain(ALICE, -6.0).is_ok() {
            accepted += 1;
        }
        assert!(waiting(&world) <= MAX_MEDIA_BACKLOG);
    }
    assert_eq!(accepted, MAX_MEDIA_BACKLOG - before);
    assert_eq!(waiting(&world), MAX_MEDIA_BACKLOG);
    assert!(busy(world.core.set_gain(ALICE, 0.0)));

    // The worker takes two commands off its queue: two more pass, and no third.
    world.core.media_backlog().done(0);
    world.core.media_backlog().done(0);
    world.core.set_gain(ALICE, 0.0).expect("room for one");
    world.core.set_gain(ALICE, 0.0).expect("room for another");
    assert!(busy(world.core.set_gain(ALICE, 0.0)));
    assert_eq!(waiting(&world), MAX_MEDIA_BACKLOG);
}

#[test]
fn what_sip_asks_of_a_busy_worker_still_goes() {
    let mut world = quiet_room();
    backlog_at(&world, MAX_MEDIA_BACKLOG);
    let now = world.now;
    world
        .core
        .hangup(now, BOB)
        .expect("a hang-up is never refused");
    let removed = |w: &World| {
        w.media
            .iter()
            .any(|op| matches!(op, MediaOp::RemoveLeg { leg, .. } if *leg == BOB.leg()))
    };
    assert!(world.run_until(Duration::from_secs(10), removed));
    assert!(
        waiting(&world) > MAX_MEDIA_BACKLOG,
        "counted past the cap: {}",
        waiting(&world)
    );
}
