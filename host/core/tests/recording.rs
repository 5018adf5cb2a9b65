//! Recording rooms: one recording a room, a cap on how many at once, and the recording ends
//! with its room however the room goes.

mod common;

use common::{World, conference};
use std::sync::mpsc::TryRecvError;
use std::time::Duration;
use switchyard_core::{CoreConfig, CoreError, MediaOp, RecordingEnd};
use switchyard_media::{MediaEvent, RecordingTap, RoomId, recording_queue};
use switchyard_sip::testing::Net;

fn world(max_recordings: usize) -> World {
    let config = CoreConfig {
        workers: 2,
        rooms_expire_delay: Duration::from_secs(60),
        max_recordings,
        ..CoreConfig::default()
    };
    World::new(config, Net::perfect(1), 1, conference())
}

fn tap() -> RecordingTap {
    recording_queue(1).0
}

fn open(world: &mut World, rooms: &[&str]) {
    let now = world.now;
    for room in rooms {
        assert_eq!(world.core.open_room(now, room), Ok(true));
    }
}

/// The recording commands queued so far, as ("start" | "stop", worker, room).
fn recording_ops(world: &mut World) -> Vec<(&'static str, usize, String)> {
    world.drain();
    world
        .media
        .iter()
        .filter_map(|op| match op {
            MediaOp::StartRecording { worker, room, .. } => {
                Some(("start", *worker, room.0.clone()))
            }
            MediaOp::StopRecording { worker, room } => Some(("stop", *worker, room.0.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_recording_is_checked_as_it_would_be_started_with_nothing_changed() {
    let mut world = world(1);
    assert_eq!(world.core.check_recording("a"), Err(CoreError::NoSuchRoom));
    assert!(matches!(
        world.core.check_recording(""),
        Err(CoreError::InvalidArgument(_))
    ));
    open(&mut world, &["a", "b"]);
    assert_eq!(world.core.check_recording("a"), Ok(()));
    assert_eq!(world.core.check_recording("a"), Ok(()), "nothing started");
    assert!(recording_ops(&mut world).is_empty());
    world.core.start_recording("a", tap()).unwrap();
    for (room, why) in [("a", "recorded already"), ("b", "the most allowed")] {
        assert!(
            matches!(world.core.check_recording(room), Err(CoreError::WrongState(w)) if w.contains(why)),
            "{room}"
        );
    }
}

#[test]
fn a_room_has_one_recording_at_a_time_on_its_worker() {
    let mut world = world(32);
    assert_eq!(
        world.core.start_recording("a", tap()),
        Err(CoreError::NoSuchRoom)
    );
    open(&mut world, &["a"]);
    world.core.start_recording("a", tap()).unwrap();
    let (refused, receiver) = recording_queue(1);
    assert!(matches!(
        world.core.start_recording("a", refused),
        Err(CoreError::WrongState(_))
    ));
    assert_eq!(
        receiver.try_recv(),
        Err(TryRecvError::Disconnected),
        "a refused tap is dropped"
    );
    world.core.stop_recording("a").unwrap();
    assert!(matches!(
        world.core.stop_recording("a"),
        Err(CoreError::WrongState(_))
    ));
    assert_eq!(world.core.stop_recording("b"), Err(CoreError::NoSuchRoom));
    let ops = recording_ops(&mut world);
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!((ops[0].0, ops[1].0), ("start", "stop"));
    assert_eq!(ops[0].1, ops[1].1, "the room's worker");
    assert!(ops.iter().all(|op| op.2 == "a"));
}

#[test]
fn past_the_cap_a_recording_waits_for_another_to_stop() {
    let mut world = world(2);
    open(&mut world, &["a", "b", "c"]);
    world.core.start_recording("a", tap()).unwrap();
    world.core.start_recording("b", tap()).unwrap();
    let refused = world.core.start_recording("c", tap());
    assert!(
        matches!(&refused, Err(CoreError::WrongState(why)) if why.contains("2 rooms")),
        "{refused:?}"
    );
    world.core.stop_recording("a").unwrap();
    world.core.start_recording("c", tap()).unwrap();
}

#[test]
fn the_recording_ends_when_its_room_is_closed_or_expires() {
    let mut world = world(32);
    open(&mut world, &["closed", "expiring", "quiet"]);
    world.core.start_recording("closed", tap()).unwrap();
    world.core.start_recording("expiring", tap()).unwrap();
    let now = world.now;
    world.core.close_room(now, "closed").unwrap();
    world.run_for(Duration::from_secs(61));
    assert!(world.core.list_rooms().is_empty());
    let stops: Vec<String> = recording_ops(&mut world)
        .into_iter()
        .filter(|op| op.0 == "stop")
        .map(|op| op.2)
        .collect();
    assert_eq!(
        stops,
        ["closed", "expiring"],
        "never for a room not recorded"
    );
    let gone = |room: &str| (room.to_owned(), RecordingEnd::RoomGone);
    assert_eq!(
        world.recordings_ended,
        [gone("closed"), gone("expiring")],
        "whoever watches the rooms is told"
    );
    // Both slots are free again.
    open(&mut world, &["closed"]);
    world.core.start_recording("closed", tap()).unwrap();
}

#[test]
fn a_recording_whose_worker_reports_it_ended_frees_its_room_and_its_slot() {
    let mut world = world(1);
    open(&mut world, &["a", "b"]);
    let first = tap();
    let ended = first.id();
    world.core.start_recording("a", first).unwrap();
    assert!(world.core.start_recording("b", tap()).is_err(), "the cap");
    let now = world.now;
    // The writer failed: its worker stopped recording and says so.
    world.core.handle_media_event(
        now,
        MediaEvent::RecordingEnded {
            room: RoomId("a".into()),
            recording: ended,
        },
    );
    world.drain();
    let file_full = [("a".to_owned(), RecordingEnd::File)];
    assert_eq!(world.recordings_ended, file_full, "the shell is told");
    assert!(
        matches!(
            world.core.stop_recording("a"),
            Err(CoreError::WrongState(_))
        ),
        "not recorded any more"
    );
    let second = tap();
    let stopped = second.id();
    world.core.start_recording("b", second).unwrap();
    world.core.stop_recording("b").unwrap();
    world.core.start_recording("a", tap()).unwrap();
    // A late report of a room gone, or not recorded, or of the recording before this one
    // (the report crossed a stop and a new start), changes nothing.
    for (room, recording) in [("b", stopped), ("gone", stopped), ("a", ended)] {
        world.core.handle_media_event(
            now,
            MediaEvent::RecordingEnded {
                room: RoomId(room.into()),
                recording,
            },
        );
    }
    world.drain();
    assert_eq!(world.recordings_ended, file_full, "nothing more is told");
    world.core.stop_recording("a").unwrap();
    let ops = recording_ops(&mut world);
    let starts = ops.iter().filter(|op| op.0 == "start").count();
    let stops = ops.iter().filter(|op| op.0 == "stop").count();
    assert_eq!(
        (starts, stops),
        (3, 2),
        "the worker is not told to stop again: {ops:?}"
    );
}

#[test]
fn a_recording_lost_with_its_worker_is_told_as_such_and_frees_its_room() {
    let mut world = world(1);
    open(&mut world, &["a"]);
    let lost = tap();
    let recording = lost.id();
    world.core.start_recording("a", lost).unwrap();
    let now = world.now;
    world.core.handle_media_event(
        now,
        MediaEvent::RecordingLost {
            room: RoomId("a".into()),
            recording,
        },
    );
    world.drain();
    assert_eq!(
        world.recordings_ended,
        [("a".to_owned(), RecordingEnd::WorkerFailed)],
        "not taken for a file that takes no more"
    );
    assert_eq!(RecordingEnd::WorkerFailed.as_str(), "worker");
    world.core.start_recording("a", tap()).unwrap();
}

#[test]
fn at_shutdown_every_recording_is_stopped() {
    let mut world = world(32);
    open(&mut world, &["a", "b", "c"]);
    world.core.start_recording("a", tap()).unwrap();
    world.core.start_recording("c", tap()).unwrap();
    recording_ops(&mut world);
    world.media.clear();
    world.core.stop_all_recordings();
    let mut stopped: Vec<_> = recording_ops(&mut world)
        .into_iter()
        .map(|(op, _, room)| (op, room))
        .collect();
    stopped.sort();
    assert_eq!(
        stopped,
        [("stop", "a".to_owned()), ("stop", "c".to_owned())]
    );
    // They no longer count: a new one may start at once.
    world.core.start_recording("a", tap()).unwrap();
}

#[test]
fn no_recording_starts_once_the_server_is_shutting_down() {
    let mut world = world(32);
    open(&mut world, &["a"]);
    let now = world.now;
    world.core.hangup_all(now);
    let (refused, receiver) = recording_queue(1);
    let started = world.core.start_recording("a", refused);
    assert!(
        matches!(&started, Err(CoreError::WrongState(why)) if why.contains("shutting down")),
        "{started:?}"
    );
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
    assert!(recording_ops(&mut world).is_empty());
}
