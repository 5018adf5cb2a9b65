//! Whole call and room lifecycles through the SIP simulator: a participant is
//! listed while its call is up, finished after it ends, gone after the delay;
//! an empty room goes after its own delay; nothing accumulates over many calls.

mod common;

use common::{
    FakeNetwork, Rng, Script, World, answer_only, answering_callee, conference, refusals,
    two_in_room,
};
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::{
    CallEvent, CallId, CoreConfig, CoreError, DialRequest, GuestOp, JoinOptions, KEEP_META_KEY,
    MAX_META_BYTES, MAX_META_ENTRIES, MAX_META_KEY_BYTES, MAX_META_VALUE_BYTES, MAX_ROOM_NAME,
    MediaOp, ParticipantStatus, RoomState,
};
use switchyard_media::{LegId, LegParams, MediaDirection, MediaEvent, Worker, WorkerConfig};
use switchyard_sip::testing::{Net, addr, audio_offer, rsip::Method};

fn config() -> CoreConfig {
    CoreConfig {
        workers: 2,
        participants_expire_delay: Duration::from_secs(10),
        rooms_expire_delay: Duration::from_secs(60),
        ..CoreConfig::default()
    }
}

/// A world seeded `seed`, every call to a conference, whose core keeps at most
/// `max_empty_rooms` empty rooms.
fn keeping_empty_rooms(max_empty_rooms: usize, seed: u64) -> World {
    let config = CoreConfig {
        max_empty_rooms,
        ..config()
    };
    World::new(config, Net::perfect(seed), seed, conference())
}

fn status_in(world: &World, room: &str) -> Vec<(ParticipantStatus, String)> {
    world
        .core
        .room_info(room)
        .map(|r| {
            r.participants
                .into_iter()
                .map(|p| (p.status, p.reason))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_participant_is_listed_then_finished_then_expires_and_the_room_follows() {
    for seed in 0..8 {
        let net = Net::lossy(seed, 0.2, 0.1, Duration::from_millis(60));
        let mut world = World::new(config(), net, seed, conference());
        let alice = world.dial("000777123", "alice");
        let connected = world.run_until(Duration::from_secs(40), |w| {
            w.uacs[alice].codes(Method::Invite).contains(&200)
                && status_in(w, "123").first().map(|s| s.0) == Some(ParticipantStatus::Connected)
        });
        assert!(
            connected,
            "seed {seed}: the participant never became Connected: {:?}",
            status_in(&world, "123")
        );
        let invite = &world.invites()[0];
        assert_eq!(invite.sip.from_user, "alice", "seed {seed}");

        world.uacs[alice].bye(world.now);
        let ended = world.run_until(Duration::from_secs(40), |w| w.core.active_calls() == 0);
        assert!(
            ended,
            "seed {seed}: the call did not end after BYE: bye codes {:?}, invite codes {:?}, sip calls {}, now {:?}",
            world.uacs[alice].codes(Method::Bye),
            world.uacs[alice].codes(Method::Invite),
            world.core.footprint().sip_calls,
            world.now - switchyard_sip::testing::epoch()
        );
        let ended_at = world.now;
        assert_eq!(
            status_in(&world, "123"),
            [(ParticipantStatus::Finished, "BYE".to_owned())],
            "seed {seed}: a finished participant stays listed with the reason"
        );
        assert_eq!(
            world.events_of(CallId(1)).last(),
            Some(&switchyard_core::CallEvent::Hangup),
            "seed {seed}: the guest hears the hang-up"
        );

        world.run_to(ended_at + Duration::from_secs(9));
        assert_eq!(
            status_in(&world, "123").len(),
            1,
            "seed {seed}: still listed 9 s after"
        );
        world.run_to(ended_at + Duration::from_secs(11));
        assert!(
            world
                .core
                .room_info("123")
                .is_some_and(|r| r.participants.is_empty()),
            "seed {seed}: gone from the list 11 s after, the room still there"
        );
        world.run_to(ended_at + Duration::from_secs(72));
        assert_eq!(
            world.core.room_info("123"),
            None,
            "seed {seed}: the empty room expired"
        );
        let bye_codes = world.uacs[alice].codes(Method::Bye);
        assert!(
            !bye_codes.is_empty() && bye_codes.iter().all(|&c| c == 200),
            "seed {seed}: the BYE is answered 200 (duplicates allowed): {bye_codes:?}"
        );

        let worker = match world.media.first() {
            Some(MediaOp::AddLeg { worker, .. }) => *worker,
            other => panic!("seed {seed}: the first media op must add the leg, got {other:?}"),
        };
        assert!(
            matches!(world.media.last(), Some(MediaOp::RemoveLeg { worker: w, .. }) if *w == worker),
            "seed {seed}: the leg is removed where it was added: {:?}",
            world.media
        );
        let footprint = world.core.footprint();
        assert_eq!(
            (
                footprint.calls,
                footprint.rooms,
                footprint.participants,
                footprint.timers
            ),
            (0, 0, 0, 0),
            "seed {seed}: nothing is left behind"
        );
    }
}

#[test]
fn many_calls_into_one_room_leave_nothing_behind() {
    let config = CoreConfig {
        participants_expire_delay: Duration::from_secs(2),
        ..config()
    };
    let mut world = World::new(config, Net::perfect(3), 3, conference());
    let calls = 200;
    let mut hung_up = vec![false; calls];
    let mut peak_listed = 0;
    for n in 0..calls {
        world.dial("000777555", &format!("caller{n}"));
        // A call every 50 ms, each held 1 s.
        world.run_for(Duration::from_millis(50));
        for (i, uac) in world.uacs.iter_mut().enumerate() {
            let answered = uac
                .last_response(Method::Invite)
                .filter(|r| r.code() == Some(200));
            if let Some(answer) = answered
                && !hung_up[i]
                && world.now >= answer.at + Duration::from_secs(1)
            {
                uac.bye(world.now);
                hung_up[i] = true;
            }
        }
        peak_listed = peak_listed.max(world.core.footprint().participants);
    }
    let last = world.now;
    world.run_to(last + Duration::from_secs(2));
    for (i, uac) in world.uacs.iter_mut().enumerate() {
        if !hung_up[i] {
            uac.bye(world.now);
        }
    }
    let settled = world.run_until(Duration::from_secs(30), |w| w.core.active_calls() == 0);
    assert!(settled, "every call ends");
    assert_eq!(world.invites().len(), calls, "every call reached the guest");
    // 20 calls/s held 1 s, listed 2 s more after: about 60 at once, never the history.
    assert!(
        peak_listed <= 80,
        "the list holds only live and recently finished participants, peaked at {peak_listed}"
    );
    let end = world.now;
    world.run_to(end + Duration::from_secs(3));
    let footprint = world.core.footprint();
    assert_eq!(
        (
            footprint.calls,
            footprint.participants,
            footprint.rooms,
            footprint.timers
        ),
        (0, 0, 1, 1),
        "only the empty room and its expiry remain"
    );
}

#[test]
fn predefined_rooms_never_expire_and_opened_rooms_do_unless_joined() {
    let config = CoreConfig {
        predefined_rooms: vec!["lobby".into()],
        ..config()
    };
    let mut world = World::new(config, Net::perfect(1), 1, conference());
    let now = world.now;
    assert_eq!(
        world.core.open_room(now, "lobby"),
        Ok(false),
        "predefined rooms exist from the start"
    );
    assert_eq!(world.core.open_room(now, "idle"), Ok(true));
    assert_eq!(world.core.open_room(now, "busy"), Ok(true));
    world.dial("000777busy", "bob");
    world.run_for(Duration::from_secs(61));
    assert_eq!(
        world.core.list_rooms(),
        ["busy", "lobby"],
        "idle expired; busy is in use; lobby is predefined"
    );
    assert!(
        world.core.open_room(world.now, "").is_err(),
        "an empty room name is refused"
    );
}

#[test]
fn a_closed_predefined_room_is_emptied_but_stays_and_never_expires() {
    let config = CoreConfig {
        predefined_rooms: vec!["lobby".into()],
        max_empty_rooms: 1,
        ..config()
    };
    let mut world = World::new(config, Net::perfect(1), 1, conference());
    let ann = world.dial("000777lobby", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    let now = world.now;
    world
        .core
        .set_meta(now, "lobby", KEEP_META_KEY, "1")
        .unwrap();
    world.core.set_locked("lobby", true).unwrap();

    world.core.close_room(now, "lobby").unwrap();
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    assert_eq!(
        world.core.list_rooms(),
        ["lobby"],
        "closed, it is still there"
    );
    assert_eq!(
        (
            world.core.get_meta("lobby", KEEP_META_KEY),
            world.core.is_locked("lobby"),
            world.core.footprint().participants
        ),
        (None, Some(false), 0),
        "emptied, its meta and lock cleared"
    );

    let bob = world.dial("000777lobby", "bob");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[bob].codes(Method::Invite).contains(&200)
    }));
    world.uacs[bob].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    world.run_for(Duration::from_secs(80));
    assert_eq!(
        world.core.list_rooms(),
        ["lobby"],
        "emptied again past both expiry delays, it does not expire"
    );
    for name in ["a", "b"] {
        let now = world.now;
        world.core.open_room(now, name).unwrap();
    }
    assert_eq!(
        world.core.list_rooms(),
        ["b", "lobby"],
        "past the empty rooms' cap the oldest waiting room goes, never the predefined one"
    );
}

#[test]
fn a_room_its_meta_keeps_neither_expires_nor_counts_among_the_empty_until_released() {
    let mut world = keeping_empty_rooms(2, 1);
    let now = world.now;
    world.core.open_room(now, "invited").unwrap();
    world
        .core
        .set_meta(now, "invited", KEEP_META_KEY, "1")
        .unwrap();
    assert_eq!(
        world.core.footprint().timers,
        0,
        "a kept room has no expiry"
    );
    for name in ["a", "b", "c"] {
        let now = world.now;
        world.core.open_room(now, name).unwrap();
    }
    assert_eq!(
        world.core.list_rooms(),
        ["b", "c", "invited"],
        "past the cap the oldest waiting room goes, never the kept one"
    );
    world.run_for(Duration::from_secs(61));
    assert_eq!(
        world.core.list_rooms(),
        ["invited"],
        "the kept room outlives the expiry delay"
    );
    let caller = world.dial("000777invited", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    world.uacs[caller].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    world.run_for(Duration::from_secs(80));
    assert_eq!(
        world.core.list_rooms(),
        ["invited"],
        "emptied again by its last participant's expiry, it is still kept"
    );
    let released = world.now;
    world
        .core
        .set_meta(released, "invited", KEEP_META_KEY, "")
        .unwrap();
    world.run_for(Duration::from_secs(59));
    assert_eq!(
        world.core.list_rooms(),
        ["invited"],
        "released, it waits the whole delay from then"
    );
    world.run_for(Duration::from_secs(2));
    assert!(
        world.core.list_rooms().is_empty(),
        "then it expires like any empty room"
    );
}

#[test]
fn no_more_rooms_are_kept_than_empty_rooms_may_wait() {
    let mut world = keeping_empty_rooms(2, 1);
    let now = world.now;
    for name in ["k1", "k2"] {
        world.core.open_room(now, name).unwrap();
        world.core.set_meta(now, name, KEEP_META_KEY, "1").unwrap();
    }
    world.core.open_room(now, "k3").unwrap();
    assert!(
        matches!(
            world.core.set_meta(now, "k3", KEEP_META_KEY, "1"),
            Err(CoreError::InvalidArgument(_))
        ),
        "no more rooms are kept than empty ones may wait"
    );
    assert_eq!(
        world.core.set_meta(now, "k2", KEEP_META_KEY, "yes"),
        Ok(()),
        "a kept room may be kept again"
    );
    assert_eq!(world.core.list_rooms(), ["k1", "k2", "k3"]);
}

/// How many rooms of `world` their meta keeps, by what `get_meta` says of each.
fn kept_rooms(world: &World) -> usize {
    let kept = |room: &String| world.core.get_meta(room, KEEP_META_KEY);
    world
        .core
        .list_rooms()
        .iter()
        .filter(|room| kept(room).is_some_and(|v| !v.is_empty()))
        .count()
}

/// One random operation on the rooms' meta and lifetimes of `world`, on one of `rooms`; false
/// when it was a room being kept anew refused, past `limit` kept rooms.
fn random_keep_step(world: &mut World, rng: &mut Rng, rooms: &[String], limit: usize) -> bool {
    let room = rng.pick(rooms);
    let now = world.now;
    let keep = *rng.pick(&["1", ""]);
    match rng.below(7) {
        0 => {
            let _ = world.core.open_room(now, room);
        }
        1 => {
            let exists = world.core.room_info(room).is_some();
            let newly_kept = exists
                && world
                    .core
                    .get_meta(room, KEEP_META_KEY)
                    .is_none_or(|v| v.is_empty());
            let allowed = exists && (!newly_kept || kept_rooms(world) < limit);
            let result = world.core.set_meta(now, room, KEEP_META_KEY, "1");
            assert_eq!(result.is_ok(), allowed, "keeping {room}: {result:?}");
            return !newly_kept || allowed;
        }
        2 => {
            let _ = world.core.set_meta(now, room, KEEP_META_KEY, "");
        }
        3 => {
            let _ = world.core.set_meta(now, room, "pin", keep);
        }
        4 => {
            let _ = world.core.close_room(now, room);
        }
        5 => {
            let state = RoomState {
                room: room.clone(),
                meta: Arc::new([(KEEP_META_KEY.to_owned(), keep.to_owned())].into()),
                locked: false,
                expires_in: Some(Duration::from_secs(rng.below(60) as u64)),
            };
            world.core.restore_room(now, &state).unwrap();
        }
        _ => world.run_for(Duration::from_secs(rng.below(40) as u64)),
    }
    true
}

#[test]
fn the_rooms_kept_are_counted_through_every_change_of_meta_and_every_room_gone() {
    // Rooms are kept, released, closed, restored kept or not, and expire or are pushed out
    // past the cap; keeping one more is refused exactly when as many as empty rooms may
    // wait are kept (and, with debug assertions, the core checks its count every time).
    const LIMIT: usize = 3;
    let mut world = keeping_empty_rooms(LIMIT, 7);
    let rooms: Vec<String> = (0..6).map(|n| format!("r{n}")).collect();
    let mut rng = Rng::new(7);
    let mut refused = 0;
    for _ in 0..3000 {
        if !random_keep_step(&mut world, &mut rng, &rooms, LIMIT) {
            refused += 1;
        }
    }
    assert!(refused > 10, "the limit was reached {refused} times");
    for room in &rooms {
        let _ = world.core.close_room(world.now, room);
    }
    for room in &rooms[..LIMIT] {
        world.core.open_room(world.now, room).unwrap();
        assert_eq!(
            world.core.set_meta(world.now, room, KEEP_META_KEY, "1"),
            Ok(()),
            "every kept room closed, {LIMIT} may be kept again"
        );
    }
    world.core.open_room(world.now, &rooms[LIMIT]).unwrap();
    assert!(
        world
            .core
            .set_meta(world.now, &rooms[LIMIT], KEEP_META_KEY, "1")
            .is_err(),
        "but no more"
    );
}

#[test]
fn room_names_and_the_values_kept_with_rooms_are_bounded() {
    let mut world = World::new(config(), Net::perfect(1), 1, conference());
    let now = world.now;
    let longest = "r".repeat(MAX_ROOM_NAME);
    assert_eq!(world.core.open_room(now, &longest), Ok(true));
    let refused = world.core.open_room(now, &format!("{longest}r"));
    assert!(
        matches!(refused, Err(CoreError::InvalidArgument(_))),
        "{refused:?}"
    );
    let set = |world: &mut World, key: &str, value: &str| {
        let now = world.now;
        world.core.set_meta(now, &longest, key, value)
    };
    assert_eq!(
        set(&mut world, &"k".repeat(MAX_META_KEY_BYTES), "v"),
        Ok(())
    );
    assert!(set(&mut world, &"k".repeat(MAX_META_KEY_BYTES + 1), "v").is_err());
    assert_eq!(
        set(&mut world, "big", &"v".repeat(MAX_META_VALUE_BYTES)),
        Ok(())
    );
    assert!(set(&mut world, "big", &"v".repeat(MAX_META_VALUE_BYTES + 1)).is_err());
    for n in 2..MAX_META_ENTRIES {
        assert_eq!(set(&mut world, &format!("key{n}"), "v"), Ok(()));
    }
    assert!(
        set(&mut world, "one too many", "v").is_err(),
        "at most {MAX_META_ENTRIES} values"
    );
    assert_eq!(
        set(&mut world, "big", "replaced"),
        Ok(()),
        "a kept key may change"
    );
    assert_eq!(
        world.core.get_meta(&longest, "big").as_deref(),
        Some("replaced")
    );
    world.core.open_room(now, "full").unwrap();
    let value = "v".repeat(MAX_META_VALUE_BYTES);
    assert_eq!(world.core.set_meta(now, "full", "a", &value), Ok(()));
    assert!(
        world.core.set_meta(now, "full", "b", &value).is_err(),
        "at most {MAX_META_BYTES} bytes a room"
    );
    assert_eq!(
        world.core.set_meta(now, "full", "a", &value),
        Ok(()),
        "a value may be replaced by one as large"
    );
}

#[test]
fn past_the_cap_the_oldest_empty_rooms_expire_first() {
    let config = CoreConfig {
        predefined_rooms: vec!["lobby".into()],
        max_empty_rooms: 5,
        ..config()
    };
    let mut world = World::new(config, Net::perfect(2), 2, conference());
    for n in 0..20 {
        let now = world.now;
        assert_eq!(world.core.open_room(now, &format!("r{n:02}")), Ok(true));
    }
    assert_eq!(
        world.core.list_rooms(),
        ["lobby", "r15", "r16", "r17", "r18", "r19"],
        "the five newest empty rooms wait; the predefined one is not counted"
    );
    assert_eq!(
        world.core.footprint().timers,
        5,
        "one expiry per waiting room"
    );
    // A room per call: each call's room waits once the call is over.
    for n in 0..12 {
        world.dial(&format!("000777call{n}"), "caller");
    }
    assert!(
        world.run_until(Duration::from_secs(30), |w| {
            w.uacs
                .iter()
                .all(|u| u.codes(Method::Invite).contains(&200))
        }),
        "every call is answered"
    );
    for uac in &mut world.uacs {
        uac.bye(world.now);
    }
    assert!(
        world.run_until(Duration::from_secs(30), |w| w.core.active_calls() == 0),
        "every call ends on its BYE"
    );
    let end = world.now;
    world.run_to(end + Duration::from_secs(11));
    let footprint = world.core.footprint();
    assert_eq!(
        (footprint.rooms, footprint.timers),
        (6, 5),
        "still five waiting rooms (and the predefined one) after twelve more emptied"
    );
}

#[test]
fn a_call_moving_to_an_empty_room_at_the_cap_keeps_the_room_it_joins() {
    let mut world = keeping_empty_rooms(1, 2);
    let now = world.now;
    world.core.open_room(now, "waiting").unwrap();
    world
        .core
        .set_meta(now, "waiting", "adminpin", "4711")
        .unwrap();
    let ann = world.dial("000777own", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    let call = world.invites()[0].call;
    // Leaving "own" empties it, and one empty room may wait: the room the
    // call joins is not the one pushed out.
    let options = JoinOptions {
        number: "ann".into(),
        reason: "moved".into(),
        participant_id: String::new(),
    };
    let now = world.now;
    assert_eq!(world.core.join(now, call, "waiting", options), Ok(0));
    assert_eq!(
        world.core.get_meta("waiting", "adminpin").as_deref(),
        Some("4711"),
        "the joined room kept its meta"
    );
    assert_eq!(world.core.list_rooms(), ["own", "waiting"]);
}

#[test]
fn joining_the_room_a_call_is_in_at_the_cap_relists_it_in_place_and_empties_nothing() {
    let mut world = keeping_empty_rooms(1, 2);
    let now = world.now;
    world.core.open_room(now, "waiting").unwrap();
    let ann = world.dial("000777own", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    let call = world.invites()[0].call;
    // A call still being placed, alone in its room too.
    world.hold_resolutions = true;
    let request = DialRequest {
        uri: "sip:bob@127.0.0.1:7000".into(),
        ..DialRequest::default()
    };
    let placed = world
        .core
        .dial_into_room(now, request, "dialed", JoinOptions::default())
        .unwrap();
    world.drain();
    let before = world.media.len();
    let now = world.now;
    for (call, room, number) in [(call, "own", "ann"), (placed, "dialed", "bob")] {
        let options = JoinOptions {
            number: number.into(),
            reason: "again".into(),
            participant_id: String::new(),
        };
        assert_eq!(world.core.join(now, call, room, options), Ok(0));
        assert_eq!(
            world.core.list_rooms(),
            ["dialed", "own", "waiting"],
            "no room emptied, none pushed out"
        );
        let listed = &world.core.room_info(room).unwrap().participants;
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].number.as_str(), listed[0].reason.as_str()),
            (number, "again")
        );
    }
    world.drain();
    assert!(
        world.media[before..].is_empty(),
        "the media stays where it is: {:?}",
        &world.media[before..]
    );
}

#[test]
fn every_restored_room_comes_back_past_the_cap_and_rooms_emptied_later_are_capped() {
    let mut world = keeping_empty_rooms(2, 2);
    let now = world.now;
    for n in 0..5 {
        let state = RoomState {
            room: format!("kept{n}"),
            meta: Arc::new([("adminpin".to_owned(), format!("{n}{n}{n}"))].into()),
            locked: false,
            expires_in: None,
        };
        world.core.restore_room(now, &state).unwrap();
    }
    assert_eq!(
        world.core.list_rooms(),
        ["kept0", "kept1", "kept2", "kept3", "kept4"],
        "five restored rooms, though only two empty rooms may wait"
    );
    for n in 0..3 {
        let now = world.now;
        world.core.open_room(now, &format!("new{n}")).unwrap();
    }
    assert_eq!(
        world.core.list_rooms(),
        ["kept0", "kept1", "kept2", "kept3", "kept4", "new1", "new2"],
        "the cap deletes the oldest room emptied since the start, no restored one"
    );
    // A restored room joined and left again counts like any other.
    let ann = world.dial("000777kept0", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    world.uacs[ann].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    let left = world.now;
    world.run_to(left + Duration::from_secs(11));
    assert_eq!(
        world.core.list_rooms(),
        ["kept0", "kept1", "kept2", "kept3", "kept4", "new2"],
        "kept0 emptied again and pushed out the oldest waiting room"
    );
    assert_eq!(
        world.core.get_meta("kept4", "adminpin").as_deref(),
        Some("444")
    );
    // Restored rooms still expire on their own timers.
    world.run_for(Duration::from_secs(61));
    assert!(
        world.core.list_rooms().is_empty(),
        "{:?}",
        world.core.list_rooms()
    );
    assert!(
        world
            .core
            .restore_room(
                world.now,
                &RoomState {
                    room: String::new(),
                    meta: Default::default(),
                    locked: false,
                    expires_in: None,
                }
            )
            .is_err(),
        "a room without a name is refused"
    );
}

/// The state of the empty room `room` with `meta`, as a restart brings it back.
fn saved(room: &str, meta: &[(&str, &str)]) -> RoomState {
    let meta = meta
        .iter()
        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    RoomState {
        room: room.to_owned(),
        meta: Arc::new(meta),
        locked: false,
        expires_in: None,
    }
}

#[test]
fn rooms_restored_kept_past_the_cap_come_back_not_kept_and_expire() {
    // The file was written while more rooms could be kept than now.
    let mut world = keeping_empty_rooms(2, 2);
    let now = world.now;
    for n in 0..4 {
        let state = saved(&format!("kept{n}"), &[(KEEP_META_KEY, "1"), ("pin", "42")]);
        world.core.restore_room(now, &state).unwrap();
    }
    let kept = |world: &World, room: &str| world.core.get_meta(room, KEEP_META_KEY);
    assert_eq!(
        ["kept0", "kept1", "kept2", "kept3"].map(|room| kept(&world, room)),
        [Some("1".to_owned()), Some("1".to_owned()), None, None],
        "two rooms are kept at once, the others come back not kept"
    );
    assert_eq!(
        world.core.get_meta("kept3", "pin").as_deref(),
        Some("42"),
        "the rest of their meta comes back"
    );
    assert!(
        world
            .core
            .set_meta(now, "kept2", KEEP_META_KEY, "1")
            .is_err(),
        "no room is kept anew past the cap"
    );
    world.run_for(Duration::from_secs(61));
    assert_eq!(
        world.core.list_rooms(),
        ["kept0", "kept1"],
        "the rooms not kept expired as empty rooms do"
    );
    world
        .core
        .set_meta(world.now, "kept1", KEEP_META_KEY, "")
        .unwrap();
    world.core.open_room(world.now, "new").unwrap();
    assert_eq!(
        world.core.set_meta(world.now, "new", KEEP_META_KEY, "1"),
        Ok(()),
        "a kept room released makes room for another"
    );
}

#[test]
fn restored_meta_past_the_limits_is_left_out_value_by_value() {
    let mut world = World::new(config(), Net::perfect(2), 2, conference());
    let now = world.now;
    let largest = "v".repeat(MAX_META_VALUE_BYTES);
    let too_large = "v".repeat(MAX_META_VALUE_BYTES + 1);
    let too_long_key = "k".repeat(MAX_META_KEY_BYTES + 1);
    let state = saved(
        "sizes",
        &[
            ("a", &largest),
            ("b", &largest),
            ("big", &too_large),
            (&too_long_key, "v"),
            ("pin", "1234"),
        ],
    );
    world.core.restore_room(now, &state).unwrap();
    let restored = world.core.room_states(now)[0].meta.clone();
    assert_eq!(
        restored.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "pin"],
        "b would pass {MAX_META_BYTES} bytes, big's value and the long key are too long"
    );
    let keys: Vec<String> = (0..=MAX_META_ENTRIES)
        .map(|n| format!("key{n:03}"))
        .collect();
    let many: Vec<(&str, &str)> = keys.iter().map(|key| (key.as_str(), "v")).collect();
    world.core.restore_room(now, &saved("many", &many)).unwrap();
    assert_eq!(world.core.room_states(now)[0].meta.len(), MAX_META_ENTRIES);
    assert_eq!(
        world
            .core
            .get_meta("many", &keys[MAX_META_ENTRIES - 1])
            .as_deref(),
        Some("v")
    );
    assert_eq!(world.core.get_meta("many", &keys[MAX_META_ENTRIES]), None);
}

#[test]
fn the_calls_finished_count_unanswered_received_and_answered_placed_calls_alike() {
    // A guest that leaves its incoming call untouched gets it rejected (500).
    let mut world = World::new(config(), Net::perfect(1), 1, Box::new(|_, _, _| {}));
    let bob = world.dial("000777123", "bob");
    assert!(world.run_until(Duration::from_secs(40), |w| {
        w.uacs[bob].codes(Method::Invite).contains(&500) && w.core.active_calls() == 0
    }));
    // A placed call, put in a room while it rings, answered, up for three seconds.
    world.callee(addr("127.0.0.1:7000"), answering_callee(true));
    let placed = world
        .core
        .dial(DialRequest {
            uri: "sip:carol@127.0.0.1:7000".to_owned(),
            ..DialRequest::default()
        })
        .unwrap();
    let now = world.now;
    world.core.join(now, placed, "42", joined("carol")).unwrap();
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.events_of(placed).contains(&CallEvent::Answered)
    }));
    world.run_for(Duration::from_secs(3));
    let now = world.now;
    world.core.hangup(now, placed).unwrap();
    assert!(world.run_until(Duration::from_secs(5), |w| !w.core.has_call(placed)));
    let stats = world.core.stats();
    assert_eq!(
        (stats.total, stats.placed, stats.connected),
        (1, 1, 1),
        "{stats:?}"
    );
    assert_eq!(
        (stats.finished, stats.failed, stats.not_connected),
        (2, 1, 1),
        "two calls over, the received one never answered: {stats:?}"
    );
    assert_eq!(stats.connected_seconds, 3, "from its answer: {stats:?}");
}

#[test]
fn a_call_counts_as_connected_from_entering_a_room_as_sems_counts_it() {
    let mut world = World::new(config(), Net::perfect(1), 1, common::answer_only());
    // Answered, it hangs up at its prompt after 5 s, never in a room.
    let ann = world.dial("000777123", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    world.run_for(Duration::from_secs(5));
    world.uacs[ann].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    let stats = world.core.stats();
    assert_eq!(
        (stats.finished, stats.failed, stats.not_connected),
        (1, 0, 1),
        "answered, but never connected: {stats:?}"
    );
    assert_eq!(stats.connected_seconds, 0);

    // Answered, it enters a room after 2 s of prompts and stays there 3 s.
    let bob = world.dial("000777123", "bob");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[bob].codes(Method::Invite).contains(&200)
    }));
    world.run_for(Duration::from_secs(2));
    let call = world.invites()[1].call;
    let now = world.now;
    world.core.join(now, call, "123", joined("bob")).unwrap();
    world.run_for(Duration::from_secs(3));
    world.uacs[bob].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    let stats = world.core.stats();
    assert_eq!(
        (stats.finished, stats.failed, stats.not_connected),
        (2, 0, 1),
        "{stats:?}"
    );
    assert_eq!(
        stats.connected_seconds, 3,
        "its time in the room: {stats:?}"
    );
}

/// How a test lists a participant.
fn joined(number: &str) -> JoinOptions {
    JoinOptions {
        number: number.into(),
        reason: "entered".into(),
        participant_id: String::new(),
    }
}

#[test]
fn a_looped_announcement_goes_to_the_rooms_worker_until_stopped() {
    use std::sync::Arc;
    use switchyard_core::CoreError;
    use switchyard_media::Prompt;

    let mut world = World::new(config(), Net::perfect(1), 1, conference());
    let now = world.now;
    assert_eq!(world.core.open_room(now, "hold"), Ok(true));
    let music = vec![Arc::new(Prompt::from_pcm(vec![1000; 160]))];
    world.core.announce("hold", music.clone(), true).unwrap();
    world.core.stop_announcement("hold").unwrap();
    world.drain();
    let ops: Vec<_> = world
        .media
        .iter()
        .filter(|op| {
            matches!(
                op,
                MediaOp::Announce { .. } | MediaOp::StopAnnouncement { .. }
            )
        })
        .collect();
    assert!(
        matches!(
            ops.as_slice(),
            [
                MediaOp::Announce { worker: a, room: r1, looped: true, .. },
                MediaOp::StopAnnouncement { worker: b, room: r2 },
            ] if a == b && r1.0 == "hold" && r2.0 == "hold"
        ),
        "{ops:?}"
    );
    assert_eq!(
        world.core.announce("nowhere", music, false),
        Err(CoreError::NoSuchRoom)
    );
    assert_eq!(
        world.core.stop_announcement("nowhere"),
        Err(CoreError::NoSuchRoom)
    );
}

#[test]
fn outcomes_count_answered_and_failed_calls_and_time_the_answer() {
    let mut world = World::new(config(), Net::perfect(1), 1, common::answer_only());
    let alice = world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[alice].codes(Method::Invite).contains(&200)
    }));
    let stats = world.core.stats();
    assert_eq!((stats.total, stats.connected, stats.failed), (1, 1, 0));
    assert_eq!(stats.setup.count(), 1);
    assert!(stats.setup.sum < Duration::from_secs(1), "{stats:?}");
    world.uacs[alice].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    assert_eq!(world.core.stats().failed, 0, "an answered call never fails");

    // A guest that leaves its call untouched gets it rejected: failed, and not timed.
    let mut world = World::new(config(), Net::perfect(1), 1, Box::new(|_, _, _| {}));
    let bob = world.dial("000777123", "bob");
    assert!(world.run_until(Duration::from_secs(40), |w| {
        w.uacs[bob].codes(Method::Invite).contains(&500) && w.core.active_calls() == 0
    }));
    let stats = world.core.stats();
    assert_eq!((stats.total, stats.connected, stats.failed), (1, 0, 1));
    assert_eq!(stats.setup.count(), 0);
}

#[test]
fn the_room_state_version_moves_with_every_kept_change_and_restores_a_room() {
    let mut world = World::new(config(), Net::perfect(1), 1, conference());
    let now = world.now;
    let mut seen = world.core.rooms_version();
    let mut moved = |world: &World, what: &str| {
        let version = world.core.rooms_version();
        assert_ne!(version, seen, "{what} moves the version");
        seen = version;
    };
    world.core.open_room(now, "pins").unwrap();
    moved(&world, "opening a room");
    world
        .core
        .set_meta(now, "pins", "adminpin", "123456")
        .unwrap();
    moved(&world, "setting meta");
    world.core.set_locked("pins", true).unwrap();
    moved(&world, "locking");
    world.dial("000777joined", "ann");
    world.run_for(Duration::from_secs(1));
    moved(&world, "a room made by a join");
    let kept = world.core.room_states(world.now);
    assert_eq!(
        kept.iter().map(|r| r.room.as_str()).collect::<Vec<_>>(),
        ["joined", "pins"]
    );
    assert_eq!(
        kept[1].meta.get("adminpin").map(String::as_str),
        Some("123456")
    );
    assert!(kept[1].locked);
    // The empty room expires: the version moves, and a new core takes it back.
    world.run_for(Duration::from_secs(61));
    moved(&world, "an expiry");
    let mut fresh = World::new(config(), Net::perfect(2), 2, conference());
    let at = fresh.now;
    fresh.core.restore_room(at, &kept[1]).unwrap();
    assert_eq!(
        fresh.core.get_meta("pins", "adminpin").as_deref(),
        Some("123456")
    );
    assert_eq!(fresh.core.is_locked("pins"), Some(true));
    assert_eq!(fresh.core.room_states(at)[0], kept[1]);
    // A restored room is empty, so it expires like any empty room.
    fresh.run_for(Duration::from_secs(61));
    assert!(
        fresh.core.room_states(fresh.now).is_empty(),
        "the restored room expired"
    );
}

#[test]
fn a_snapshot_of_the_rooms_shares_their_meta_until_it_changes() {
    let mut world = World::new(config(), Net::perfect(2), 2, conference());
    let now = world.now;
    for room in ["a", "b"] {
        world.core.open_room(now, room).unwrap();
        world.core.set_meta(now, room, "adminpin", "123").unwrap();
    }
    let before = world.core.room_states(now);
    let again = world.core.room_states(now);
    for (taken, retaken) in before.iter().zip(&again) {
        assert!(
            Arc::ptr_eq(&taken.meta, &retaken.meta),
            "snapshots of {} share the core's meta, copying none of it",
            taken.room
        );
    }
    world.core.set_meta(now, "a", "adminpin", "456").unwrap();
    let after = world.core.room_states(now);
    assert_eq!(
        before[0].meta.get("adminpin").map(String::as_str),
        Some("123"),
        "a snapshot keeps what it took"
    );
    assert_eq!(
        after[0].meta.get("adminpin").map(String::as_str),
        Some("456")
    );
    assert!(
        Arc::ptr_eq(&before[1].meta, &after[1].meta),
        "a room whose meta did not change still shares it"
    );
}

#[test]
fn a_restored_room_expires_when_it_would_have_and_joins_move_its_expiry() {
    // The rooms expire 60 s after they empty.
    let mut world = World::new(config(), Net::perfect(3), 3, conference());
    let opened = world.now;
    world.core.open_room(opened, "kept").unwrap();
    world.run_for(Duration::from_secs(45));
    let kept = world.core.room_states(world.now);
    assert_eq!(kept[0].expires_in, Some(Duration::from_secs(15)));
    // Joined: it no longer expires, and the version says its state changed.
    let before = world.core.rooms_version();
    let ann = world.dial("000777kept", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    assert_ne!(world.core.rooms_version(), before, "joined");
    assert_eq!(world.core.room_states(world.now)[0].expires_in, None);
    let before = world.core.rooms_version();
    world.uacs[ann].bye(world.now);
    assert!(world.run_until(Duration::from_secs(10), |w| w.core.active_calls() == 0));
    // The finished participant leaves the list 10 s later; the room then waits again.
    world.run_for(Duration::from_secs(11));
    assert_ne!(world.core.rooms_version(), before, "emptied");
    assert!(world.core.room_states(world.now)[0].expires_in.is_some());

    // A restart 45 s into the 60: the room comes back with its last 15 s, not 60 more.
    let mut fresh = World::new(config(), Net::perfect(4), 4, conference());
    let at = fresh.now;
    fresh.core.restore_room(at, &kept[0]).unwrap();
    fresh.run_for(Duration::from_secs(14));
    assert_eq!(fresh.core.list_rooms(), ["kept"]);
    fresh.run_for(Duration::from_secs(2));
    assert!(fresh.core.list_rooms().is_empty(), "expired at its time");
    // A time left longer than the delay (a file from a longer setting) is held to it.
    let long = RoomState {
        expires_in: Some(Duration::from_secs(3600)),
        ..kept[0].clone()
    };
    let at = fresh.now;
    fresh.core.restore_room(at, &long).unwrap();
    assert_eq!(
        fresh.core.room_states(at)[0].expires_in,
        Some(Duration::from_secs(60))
    );
}

#[test]
fn a_rejection_that_needs_a_header_of_its_own_is_refused_and_the_call_stays_offered() {
    let attempts = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = attempts.clone();
    let script: Script = Box::new(move |core, now, op| {
        if let GuestOp::Invite(invite) = op {
            for code in [302, 401, 407, 420, 422] {
                let refused = core.reject(now, invite.call, code, "Whatever");
                seen.borrow_mut().push((code, refused));
            }
            core.reject(now, invite.call, 480, "Temporarily Unavailable")
                .expect("a plain refusal");
        }
    });
    let mut world = World::new(config(), Net::perfect(1), 1, script);
    let caller = world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&480)
    }));
    let attempts = attempts.borrow();
    assert_eq!(attempts.len(), 5);
    for (code, refused) in attempts.iter() {
        assert!(
            matches!(refused, Err(CoreError::InvalidArgument(why)) if why.contains(&code.to_string())),
            "{code}: {refused:?}"
        );
    }
    assert_eq!(refusals(&world, caller), [480]);
}

#[test]
fn a_late_offer_gets_ours_and_its_media_starts_with_the_answer_in_the_ack() {
    let mut world = World::new(config(), Net::perfect(3), 3, conference());
    let caller = world.dial_offering("000777123", "alice", "");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    world.run_for(Duration::from_secs(1));
    let ok = world.uacs[caller].last_response(Method::Invite).unwrap();
    assert!(
        ok.body().contains("opus/48000/2") && ok.body().contains("PCMU/8000"),
        "our offer, every codec: {}",
        ok.body()
    );
    let legs: Vec<LegParams> = world
        .media
        .iter()
        .filter_map(|op| match op {
            MediaOp::AddLeg { params, .. } | MediaOp::UpdateLeg { params, .. } => {
                Some(params.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(legs.len(), 2, "{legs:?}");
    assert_eq!(
        legs[0].direction,
        MediaDirection::Inactive,
        "nothing sent before the answer"
    );
    assert_eq!(legs[1].direction, MediaDirection::SendRecv);
    assert_eq!(legs[1].remote, world.locals[caller], "the answer's address");
    assert_eq!(world.core.active_calls(), 1);
    assert_eq!(
        world.core.room_info("123").map(|r| r.participants.len()),
        Some(1)
    );
}

/// Asserts that a call without an offer, whose ACK answers our offer in the 2xx with
/// `answer`, is hung up with a BYE.
fn assert_hung_up_for_the_answer_in_its_ack(answer: String) {
    let mut world = World::new(config(), Net::perfect(4), 4, conference());
    let caller = world.dial_offering("000777123", "alice", "");
    world.uacs[caller].ack_answer = Some(answer);
    assert!(world.run_until(Duration::from_secs(5), |w| w.core.active_calls() == 0));
    world.run_for(Duration::from_secs(1));
    assert!(
        world.uacs[caller]
            .received()
            .iter()
            .any(|r| r.text.starts_with("BYE ")),
        "hung up with a BYE"
    );
}

#[test]
fn a_late_offer_whose_ack_answers_with_no_codec_of_ours_is_hung_up() {
    assert_hung_up_for_the_answer_in_its_ack(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
            .to_owned(),
    );
}

#[test]
fn a_late_offer_whose_ack_answers_with_an_address_of_another_family_is_hung_up() {
    // Our offer in the 2xx is IPv4, as the INVITE came.
    assert_hung_up_for_the_answer_in_its_ack(audio_offer(addr("[::1]:6000")));
}

#[test]
fn an_ipv6_offer_over_ipv4_sip_is_answered_with_an_ipv6_address() {
    let mut world = World::new(config(), Net::perfect(6), 6, answer_only());
    let caller = world.dial_offering("000777123", "alice", &audio_offer(addr("[::1]:30000")));
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let ok = world.uacs[caller].last_response(Method::Invite).unwrap();
    // RFC 3264 §6: an address the offerer can reach, of its family, not the SIP side's.
    assert!(ok.body().contains("c=IN IP6 ::1\r\n"), "{}", ok.body());
}

/// The SDP of the 200 answering an INVITE from `source` offering media at `media`, on a host
/// with a second interface, 10.0.0.5, facing 10.0.0.0/8.
fn answer_from(source: &str, media: &str, seed: u64) -> String {
    let network = FakeNetwork::with_private_interface("10.0.0.5".parse().unwrap());
    let mut world = World::on(network, config(), Net::perfect(seed), seed, answer_only());
    let offer = audio_offer(addr(media));
    let caller = world.dial_from(addr(source), "000777123", "alice", "", &offer);
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[caller].codes(Method::Invite).contains(&200)
    }));
    let ok = world.uacs[caller].last_response(Method::Invite).unwrap();
    ok.body().to_owned()
}

#[test]
fn the_answer_names_the_address_facing_the_caller_not_its_private_media_address() {
    // The caller is behind a NAT (203.0.113.7) and offers its private address, which the
    // interface facing 10.0.0.0/8 does not reach.
    let answer = answer_from("203.0.113.7:5060", "10.1.2.3:30000", 8);
    assert!(answer.contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
}

#[test]
fn behind_a_proxy_the_answer_names_the_address_facing_the_callers_media() {
    // A proxy on this host's private network (10.9.9.9) relays the INVITE of a caller whose
    // media comes from the Internet: the interface facing the proxy does not reach it.
    let answer = answer_from("10.9.9.9:5060", "203.0.113.7:30000", 9);
    assert!(answer.contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
}

#[test]
fn a_call_whose_media_address_cannot_be_found_for_now_is_refused_with_480_naming_why() {
    let reason = "cannot look up the route to 127.0.0.1: Too many open files (os error 24)";
    let network = FakeNetwork::without_media_address_for_now(reason);
    let mut world = World::on(network, config(), Net::perfect(8), 8, answer_only());
    let caller = world.dial("000777123", "alice");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        !refusals(w, caller).is_empty()
    }));
    assert_eq!(refusals(&world, caller), [480], "the caller may try again");
    let refusal = world.uacs[caller].last_response(Method::Invite).unwrap();
    let status_line = refusal.text.lines().next().unwrap();
    assert_eq!(
        status_line,
        format!("SIP/2.0 480 Temporarily Unavailable: No Media Address: {reason}")
    );
    assert!(world.invites().is_empty(), "no guest is offered the call");
    assert_eq!(world.core.active_calls(), 0);
    let stats = world.core.stats();
    assert_eq!(
        (stats.refused_no_resources, stats.refused_no_media_address),
        (1, 0),
        "counted as refused for want of resources, not of an address of the offer's family"
    );
    assert_eq!((stats.total, stats.failed), (1, 1));
}

#[test]
fn an_offer_of_a_family_the_rtp_address_does_not_serve_is_refused_with_488() {
    let ipv4_only = std::net::Ipv4Addr::LOCALHOST.into();
    let network = FakeNetwork::with_rtp_address(ipv4_only);
    let mut world = World::on(network, config(), Net::perfect(7), 7, answer_only());
    let caller = world.dial_offering("000777123", "alice", &audio_offer(addr("[::1]:30000")));
    assert!(world.run_until(Duration::from_secs(5), |w| {
        !refusals(w, caller).is_empty()
    }));
    assert_eq!(refusals(&world, caller), [488]);
    let refusal = world.uacs[caller].last_response(Method::Invite).unwrap();
    assert!(
        refusal
            .text
            .starts_with("SIP/2.0 488 Not Acceptable Here: Media Address Family Not Served\r\n"),
        "{}",
        refusal.text
    );
    assert!(world.invites().is_empty(), "no guest is offered the call");
    assert_eq!(world.core.active_calls(), 0);
    assert_eq!(
        world.open_ports.load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let stats = world.core.stats();
    assert_eq!(
        (stats.refused_no_media_address, stats.refused_no_codec),
        (1, 0),
        "counted as refused for want of an address of the offer's family"
    );
    assert_eq!((stats.total, stats.failed), (1, 1));
    // An IPv4 offer is served as ever.
    let bob = world.dial("000777123", "bob");
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.uacs[bob].codes(Method::Invite).contains(&200)
    }));
}

#[test]
fn an_advertised_address_is_our_contact_whatever_address_the_call_arrives_at() {
    // The INVITE arrives at 127.0.0.1; the host is known as 203.0.113.5 behind its NAT.
    let public: std::net::IpAddr = "203.0.113.5".parse().unwrap();
    let network = FakeNetwork::advertising(public);
    let mut world = World::on(network, config(), Net::perfect(5), 5, conference());
    let ann = world.dial("000777nat", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    let ok = world.uacs[ann].last_response(Method::Invite).unwrap();
    let contact = ok.header("Contact").unwrap();
    assert!(contact.contains("203.0.113.5:5060"), "{contact}");
    assert!(ok.text.contains("c=IN IP4 203.0.113.5"), "{}", ok.text);
}

#[test]
fn new_calls_refused_in_shutdown_mode_or_while_shutting_down_are_counted() {
    let mut world = World::new(config(), Net::perfect(8), 8, conference());
    world.core.set_shutdown_mode(true);
    let ann = world.dial("000777down", "ann");
    assert!(world.run_until(Duration::from_secs(5), |w| !refusals(w, ann).is_empty()));
    assert_eq!(refusals(&world, ann), [503]);
    assert_eq!(world.core.stats().refused_shutting_down, 1);
    world.core.set_shutdown_mode(false);
    let now = world.now;
    world.core.hangup_all(now);
    let bob = world.dial("000777down", "bob");
    assert!(world.run_until(Duration::from_secs(5), |w| !refusals(w, bob).is_empty()));
    assert_eq!(refusals(&world, bob), [503]);
    assert!(
        world.invites().is_empty(),
        "no guest is offered either call"
    );
    let stats = world.core.stats();
    assert_eq!(
        (stats.total, stats.failed, stats.refused_shutting_down),
        (2, 2, 2)
    );
    assert_eq!(
        (
            stats.refused_no_instance,
            stats.refused_rate_limited,
            stats.refused_no_codec
        ),
        (0, 0, 0)
    );
}

#[test]
fn calls_whose_peers_never_answer_the_shutdown_bye_are_ended_and_counted() {
    let mut world = World::new(config(), Net::perfect(6), 6, conference());
    let ann = world.dial("000777down", "ann");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs[ann].codes(Method::Invite).contains(&200)
    }));
    world.run_for(Duration::from_secs(1));
    // The peer is gone: nothing it is sent arrives.
    world.net.drop_if(|_| true);
    let now = world.now;
    world.core.hangup_all(now);
    world.run_for(Duration::from_secs(5));
    assert_eq!(world.core.active_calls(), 1, "the BYE is not answered");
    let now = world.now;
    world.core.abandon_all(now);
    world.drain();
    assert_eq!(world.core.active_calls(), 0);
    let stats = world.core.stats();
    assert_eq!(
        (stats.total, stats.connected),
        (1, 1),
        "counted as connected"
    );
    assert_eq!(
        world.events_of(CallId(1)).last(),
        Some(&switchyard_core::CallEvent::Hangup),
        "the guest hears it ended"
    );
}

/// The room each leg was in as it ended, by what a media worker reports of the core's
/// commands to it (those that add legs, move them in and out of rooms and remove them).
fn rooms_legs_ended_in(world: &World) -> Vec<(LegId, Option<String>)> {
    let mut worker = Worker::new(WorkerConfig::default(), world.now, 1);
    for op in &world.media {
        match op {
            MediaOp::AddLeg { leg, params, .. } => worker.add_leg(world.now, *leg, params.clone()),
            MediaOp::Join { leg, room, .. } => worker.join(*leg, room.clone()),
            MediaOp::Leave { leg, .. } => worker.leave(*leg),
            MediaOp::RemoveLeg { leg, .. } => drop(worker.remove_leg(world.now, *leg)),
            _ => {}
        }
    }
    std::iter::from_fn(|| worker.poll_event())
        .filter_map(|event| match event {
            MediaEvent::LegEnded { leg, room, .. } => Some((leg, room.map(|room| room.0))),
            _ => None,
        })
        .collect()
}

#[test]
fn the_calls_of_a_closed_room_end_their_media_in_it() {
    let mut world = two_in_room();
    world.core.close_room(world.now, "123").expect("close");
    assert!(world.run_until(Duration::from_secs(40), |w| w.core.active_calls() == 0));
    let room = Some("123".to_owned());
    assert_eq!(
        rooms_legs_ended_in(&world),
        [(LegId(1), room.clone()), (LegId(2), room)],
        "each leg ends once, its figures told of the room: {:?}",
        world.media
    );
}
