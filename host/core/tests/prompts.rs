//! A guest hears the end of the prompt list it last played a call, and of no list its `play`
//! replaced or its `stop` ended (call.wit: `play` replaces what was playing, `stop` reports
//! no prompt-done), wherever that end was on its way when it did.

mod common;

use common::{World, two_in_room};
use std::sync::Arc;
use switchyard_core::{CallEvent, CallId, MediaOp};
use switchyard_media::{MediaEvent, PlayId, Prompt, PromptRole};

const ALICE: CallId = CallId(1);

/// Alice and Bob in room 123, nothing left to drain and nothing recorded yet.
fn quiet_room() -> World {
    let mut world = two_in_room();
    world.drain();
    world.media.clear();
    world.guest.clear();
    world
}

/// Plays Alice a one-frame list in `role`; returns the number it was played as.
fn play(world: &mut World, role: PromptRole) -> PlayId {
    let prompts = vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))];
    world
        .core
        .play(ALICE, prompts, false, role)
        .expect("played");
    world.drain();
    match world.media.last() {
        Some(MediaOp::Play { play, .. }) => *play,
        other => panic!("no play sent: {other:?}"),
    }
}

/// Alice's worker reports the end of list `play`; returns the prompt-dones her guest heard.
fn ended(world: &mut World, play: PlayId) -> Vec<CallEvent> {
    let now = world.now;
    let leg = ALICE.leg();
    world
        .core
        .handle_media_event(now, MediaEvent::PromptDone { leg, play });
    world.drain();
    let heard = world.events_of(ALICE);
    world.guest.clear();
    heard
        .into_iter()
        .filter(|e| matches!(e, CallEvent::PromptDone(_)))
        .collect()
}

#[test]
fn the_end_of_a_replaced_list_is_not_heard_and_the_end_of_its_successor_is() {
    let mut world = quiet_room();
    let first = play(&mut world, PromptRole::Heard);
    let second = play(&mut world, PromptRole::Heard);
    assert_ne!(first, second);
    assert_eq!(ended(&mut world, first), [], "the replaced list");
    assert_eq!(ended(&mut world, second), [CallEvent::PromptDone(second)]);
}

#[test]
fn the_end_of_a_stopped_list_is_not_heard() {
    let mut world = quiet_room();
    let first = play(&mut world, PromptRole::Heard);
    world.core.stop(ALICE, PromptRole::Heard).expect("stopped");
    world.drain();
    assert_eq!(ended(&mut world, first), []);
}

#[test]
fn voice_prompts_leave_the_end_of_the_list_heard_to_be_heard() {
    let mut world = quiet_room();
    let heard = play(&mut world, PromptRole::Heard);
    play(&mut world, PromptRole::Said);
    world.core.stop(ALICE, PromptRole::Said).expect("stopped");
    world.drain();
    assert_eq!(ended(&mut world, heard), [CallEvent::PromptDone(heard)]);
}

#[test]
fn an_end_queued_for_the_guest_before_it_played_again_or_stopped_is_not_heard() {
    let mut world = quiet_room();
    let first = play(&mut world, PromptRole::Heard);
    // The worker's report is queued for the guest, behind work it is still running.
    assert_eq!(ended(&mut world, first), [CallEvent::PromptDone(first)]);
    let queued = CallEvent::PromptDone(first);
    assert!(
        world.core.hears_event(ALICE, &queued),
        "nothing replaced it"
    );

    let second = play(&mut world, PromptRole::Heard);
    assert!(!world.core.hears_event(ALICE, &queued), "replaced");
    let next = CallEvent::PromptDone(second);
    assert!(world.core.hears_event(ALICE, &next), "the one playing");

    world.core.stop(ALICE, PromptRole::Heard).expect("stopped");
    assert!(!world.core.hears_event(ALICE, &next), "stopped");
}
