//! A name that is no room name (empty, or longer than 64 characters) is an invalid
//! argument to every command that names a room, not a room that does not exist.

mod common;

use common::{World, answer_only};
use std::sync::Arc;
use switchyard_core::{CoreConfig, CoreError, MAX_ROOM_NAME};
use switchyard_media::{Prompt, recording_queue};
use switchyard_sip::testing::Net;

#[test]
fn every_room_command_refuses_a_name_that_is_no_room_name() {
    let mut world = World::new(CoreConfig::default(), Net::perfect(1), 1, answer_only());
    let now = world.now;
    let core = &mut world.core;
    let music = || vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))];
    for name in [String::new(), "r".repeat(MAX_ROOM_NAME + 1)] {
        let refusals = [
            ("close", core.close_room(now, &name)),
            ("announce", core.announce(&name, music(), true)),
            ("announce once", core.announce(&name, music(), false)),
            ("stop announcement", core.stop_announcement(&name)),
            ("set meta", core.set_meta(now, &name, "pin", "1234")),
            (
                "swap meta",
                core.swap_meta(now, &name, "pin", None, "1234").map(drop),
            ),
            (
                "start recording",
                core.start_recording(&name, recording_queue(1).0),
            ),
            ("stop recording", core.stop_recording(&name)),
        ];
        for (what, refusal) in refusals {
            assert!(
                matches!(&refusal, Err(CoreError::InvalidArgument(why)) if why.contains("room name")),
                "{what} {name:?}: {refusal:?}"
            );
        }
    }
    assert_eq!(
        world.core.close_room(now, "valid"),
        Err(CoreError::NoSuchRoom),
        "a valid name of no room is no such room"
    );
}
