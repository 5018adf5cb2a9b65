//! Compare-and-set of a room's meta: `swap_meta` sets a value only from the one
//! expected, with `set_meta`'s bounds and errors, and the keep key stops and
//! starts an empty room's expiry as `set_meta` has it.

mod common;

use common::{World, conference};
use std::time::Duration;
use switchyard_core::{
    CoreConfig, CoreError, KEEP_META_KEY, MAX_META_BYTES, MAX_META_ENTRIES, MAX_META_KEY_BYTES,
    MAX_META_VALUE_BYTES, MAX_ROOM_NAME,
};
use switchyard_sip::testing::Net;

/// A world whose core lets empty rooms wait 60 s, at most `max_empty_rooms` of them.
fn world(max_empty_rooms: usize) -> World {
    let config = CoreConfig {
        rooms_expire_delay: Duration::from_secs(60),
        max_empty_rooms,
        ..CoreConfig::default()
    };
    World::new(config, Net::perfect(1), 1, conference())
}

/// `world` with the room `room` open.
fn with_room(max_empty_rooms: usize, room: &str) -> World {
    let mut world = world(max_empty_rooms);
    let now = world.now;
    assert_eq!(world.core.open_room(now, room), Ok(true));
    world
}

/// `swap_meta` on `world`'s core, now.
fn swap(
    world: &mut World,
    room: &str,
    key: &str,
    expected: Option<&str>,
    value: &str,
) -> Result<bool, CoreError> {
    let now = world.now;
    world.core.swap_meta(now, room, key, expected, value)
}

#[test]
fn a_value_is_swapped_only_from_the_one_expected() {
    let mut world = with_room(4, "r");
    assert_eq!(swap(&mut world, "r", "pin", Some("1"), "2"), Ok(false));
    assert_eq!(world.core.get_meta("r", "pin"), None, "pin is not set");
    assert_eq!(swap(&mut world, "r", "pin", None, "1"), Ok(true));
    assert_eq!(world.core.get_meta("r", "pin").as_deref(), Some("1"));
    assert_eq!(
        swap(&mut world, "r", "pin", None, "2"),
        Ok(false),
        "pin is set now"
    );
    assert_eq!(swap(&mut world, "r", "pin", Some("2"), "3"), Ok(false));
    assert_eq!(
        world.core.get_meta("r", "pin").as_deref(),
        Some("1"),
        "a refused swap changes nothing"
    );
    assert_eq!(swap(&mut world, "r", "pin", Some("1"), "2"), Ok(true));
    assert_eq!(world.core.get_meta("r", "pin").as_deref(), Some("2"));
    assert_eq!(swap(&mut world, "r", "pin", Some("2"), ""), Ok(true));
    assert_eq!(
        swap(&mut world, "r", "pin", None, "4"),
        Ok(false),
        "an empty value is a value: the key is set"
    );
    assert_eq!(swap(&mut world, "r", "pin", Some(""), "4"), Ok(true));
    assert_eq!(world.core.get_meta("r", "pin").as_deref(), Some("4"));
}

#[test]
fn a_swap_naming_no_room_has_the_errors_of_set_meta() {
    let mut world = world(4);
    for expected in [None, Some("1")] {
        assert_eq!(
            swap(&mut world, "gone", "pin", expected, "2"),
            Err(CoreError::NoSuchRoom)
        );
        for name in [String::new(), "r".repeat(MAX_ROOM_NAME + 1)] {
            let refused = swap(&mut world, &name, "pin", expected, "2");
            assert!(
                matches!(&refused, Err(CoreError::InvalidArgument(why)) if why.contains("room name")),
                "{name:?}: {refused:?}"
            );
        }
    }
}

#[test]
fn a_swap_is_held_to_the_bounds_of_set_meta_whatever_the_room_holds() {
    let mut world = with_room(4, "r");
    let long_key = "k".repeat(MAX_META_KEY_BYTES + 1);
    let big = "v".repeat(MAX_META_VALUE_BYTES + 1);
    for (key, value) in [(long_key.as_str(), "v"), ("k", big.as_str())] {
        for expected in [None, Some("other")] {
            let now = world.now;
            let refused = world.core.swap_meta(now, "r", key, expected, value);
            assert_eq!(
                refused,
                world.core.set_meta(now, "r", key, value).map(|()| true),
                "{} bytes of key, {} of value, expected {expected:?}",
                key.len(),
                value.len()
            );
            assert!(matches!(refused, Err(CoreError::InvalidArgument(_))));
        }
    }
    assert_eq!(
        world.core.get_meta("r", "k"),
        None,
        "failed swaps set nothing"
    );
    let longest = "k".repeat(MAX_META_KEY_BYTES);
    let largest = "v".repeat(MAX_META_VALUE_BYTES);
    assert_eq!(swap(&mut world, "r", &longest, None, &largest), Ok(true));
    for n in 1..MAX_META_ENTRIES {
        assert_eq!(
            swap(&mut world, "r", &format!("key{n}"), None, "v"),
            Ok(true)
        );
    }
    let refused = swap(&mut world, "r", "one too many", Some("x"), "v");
    assert!(
        matches!(&refused, Err(CoreError::InvalidArgument(m)) if m.contains("values")),
        "at most {MAX_META_ENTRIES} values: {refused:?}"
    );
    assert_eq!(
        swap(&mut world, "r", "key1", Some("v"), "w"),
        Ok(true),
        "a full room still swaps a key it keeps"
    );

    let mut world = with_room(4, "full");
    let value = "v".repeat(MAX_META_VALUE_BYTES);
    assert_eq!(swap(&mut world, "full", "a", None, &value), Ok(true));
    let refused = swap(&mut world, "full", "b", None, &value);
    assert!(
        matches!(&refused, Err(CoreError::InvalidArgument(m)) if m.contains("bytes")),
        "at most {MAX_META_BYTES} bytes a room: {refused:?}"
    );
    assert_eq!(world.core.get_meta("full", "b"), None);
    assert_eq!(
        swap(&mut world, "full", "a", Some(&value), &value),
        Ok(true),
        "a value may be replaced by one as large"
    );
}

#[test]
fn swapping_the_keep_key_stops_and_starts_the_expiry_as_set_meta_does() {
    let mut world = with_room(4, "r");
    assert_eq!(world.core.footprint().timers, 1, "an empty room expires");
    assert_eq!(
        swap(&mut world, "r", KEEP_META_KEY, Some("1"), "1"),
        Ok(false)
    );
    assert_eq!(
        world.core.footprint().timers,
        1,
        "a refused swap leaves the expiry"
    );
    assert_eq!(swap(&mut world, "r", KEEP_META_KEY, None, "1"), Ok(true));
    assert_eq!(
        world.core.footprint().timers,
        0,
        "a kept room has no expiry"
    );
    world.run_for(Duration::from_secs(61));
    assert_eq!(
        world.core.list_rooms(),
        ["r"],
        "the kept room outlives the delay"
    );
    assert_eq!(
        swap(&mut world, "r", KEEP_META_KEY, Some(""), ""),
        Ok(false)
    );
    world.run_for(Duration::from_secs(61));
    assert_eq!(world.core.list_rooms(), ["r"], "still kept");
    assert_eq!(
        swap(&mut world, "r", KEEP_META_KEY, Some("1"), ""),
        Ok(true)
    );
    world.run_for(Duration::from_secs(59));
    assert_eq!(
        world.core.list_rooms(),
        ["r"],
        "released, it waits the whole delay from then"
    );
    world.run_for(Duration::from_secs(2));
    assert!(world.core.list_rooms().is_empty(), "then it expires");
}

#[test]
fn a_swap_keeps_no_more_rooms_than_empty_rooms_may_wait() {
    let mut world = world(2);
    let now = world.now;
    for name in ["k1", "k2"] {
        world.core.open_room(now, name).unwrap();
        assert_eq!(swap(&mut world, name, KEEP_META_KEY, None, "1"), Ok(true));
    }
    world.core.open_room(now, "k3").unwrap();
    for expected in [None, Some("other")] {
        let refused = swap(&mut world, "k3", KEEP_META_KEY, expected, "1");
        assert!(
            matches!(&refused, Err(CoreError::InvalidArgument(m)) if m.contains("kept")),
            "{expected:?}: {refused:?}"
        );
    }
    assert_eq!(
        swap(&mut world, "k2", KEEP_META_KEY, Some("1"), "yes"),
        Ok(true),
        "a kept room may be kept again"
    );
    assert_eq!(
        swap(&mut world, "k1", KEEP_META_KEY, Some("1"), ""),
        Ok(true)
    );
    assert_eq!(
        swap(&mut world, "k3", KEEP_META_KEY, None, "1"),
        Ok(true),
        "one released, another may be kept"
    );
}
