//! `predefined_rooms = room:pin;room2:pin2`: rooms that exist from the start,
//! each with its admin pin.

use crate::adminpin::{self, MAX_PIN_BYTES, can_keep};
use crate::limits::room_name_rule;
use std::fmt;
use switchyard_sdk::KEEP_ROOM_META_KEY;
use switchyard_sdk::log::Level;
use switchyard_sdk::room_name::is_room_name;

/// The room meta key holding the pin `predefined_rooms` gave the room; ""
/// once the config no longer lists it (see [`is_predefined`]).
pub const PIN_META_KEY: &str = "predefined_pin";
/// The key-value key holding the `predefined_rooms` value whose rooms were
/// opened and kept: the newest settings' once a call under them began.
pub const MARKER_KEY: &str = "predefined_rooms_kept";
/// The key-value key earlier versions held that value in, having opened its
/// rooms without keeping them.
const OLD_MARKER_KEY: &str = "predefined_rooms";
/// The longest `predefined_rooms` value, in bytes: the longest value the
/// host's key-value store holds, where [`ensure`] remembers it.
const MAX_VALUE_BYTES: usize = 64 << 10;

/// One predefined room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predefined {
    /// The room's name.
    pub room: String,
    /// Its admin pin.
    pub pin: String,
}

/// An entry of `predefined_rooms` that opens no room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadEntry {
    /// Not `<room>:<pin>` with both parts non-empty.
    NotRoomPin(String),
    /// `<room>:<pin>` whose room is no name the host takes ([`is_room_name`]).
    NoRoomName(String),
    /// `<room>:<pin>` whose pin is longer than a room keeps ([`can_keep`]).
    PinTooLong(String),
}

impl BadEntry {
    /// What is wrong with it, naming it, for the config check.
    pub fn problem(&self) -> String {
        match self {
            BadEntry::NotRoomPin(entry) => {
                format!("{entry:?} is not <room>:<pin> (entries are separated by ;)")
            }
            BadEntry::NoRoomName(entry) => {
                format!("{entry:?} names no room: {}", room_name_rule())
            }
            BadEntry::PinTooLong(entry) => {
                let room = entry.split(':').next().unwrap_or_default().trim();
                format!("the pin of room {room:?} has more than {MAX_PIN_BYTES} bytes")
            }
        }
    }
}

/// The rooms a `predefined_rooms` value lists, in order, and the entries that
/// open no room (for the config check). Empty entries (`a:1;;b:2;`) are
/// skipped silently, as SEMS skips them.
pub fn parse(value: &str) -> (Vec<Predefined>, Vec<BadEntry>) {
    let mut rooms = Vec::new();
    let mut bad = Vec::new();
    for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.split(':').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(room), Some(pin), None) if !room.is_empty() && !pin.is_empty() => {
                if !is_room_name(room) {
                    bad.push(BadEntry::NoRoomName(entry.to_owned()));
                    continue;
                }
                if !can_keep(pin) {
                    bad.push(BadEntry::PinTooLong(entry.to_owned()));
                    continue;
                }
                rooms.push(Predefined {
                    room: room.to_owned(),
                    pin: pin.to_owned(),
                });
            }
            _ => bad.push(BadEntry::NotRoomPin(entry.to_owned())),
        }
    }
    (rooms, bad)
}

/// What refuses the `predefined_rooms` value `value` at the config check,
/// naming the key: more than [`MAX_VALUE_BYTES`], which [`ensure`] could
/// not remember, so that every call would open the rooms again, or its
/// first entry that opens no room.
pub fn problem(value: &str) -> Option<String> {
    if value.len() > MAX_VALUE_BYTES {
        return Some(format!(
            "predefined_rooms: {} bytes, more than the {MAX_VALUE_BYTES} the guest's \
             key-value store holds, where the rooms opened are remembered",
            value.len()
        ));
    }
    let (_, bad) = parse(value);
    bad.first()
        .map(|entry| format!("predefined_rooms: {}", entry.problem()))
}

/// Whether `room` is predefined: the config's `predefined_rooms` value
/// `value` lists it, and [`ensure`] opened it as such (`pin_meta`, its
/// [`PIN_META_KEY`] meta, is not empty). Neither alone makes it so: the meta
/// comes back with the room after a restart (`rooms.state_file`), when the
/// config may no longer list it, and a room an admin deleted and someone
/// opened again since has none.
pub fn is_predefined(value: &str, room: &str, pin_meta: Option<&str>) -> bool {
    opened_as_predefined(pin_meta) && lists(&parse(value).0, room)
}

/// The host as [`ensure`] uses it: its rooms, the guest's key-value store
/// and log.
pub trait Host {
    /// Why a value could not be written.
    type Error: fmt::Debug;
    /// The value of `key` in the guest's key-value store, which ends with
    /// the host process.
    fn kv_get(&self, key: &str) -> Option<String>;
    /// Sets `key` to `value` in the guest's key-value store.
    fn kv_set(&self, key: &str, value: &str) -> Result<(), Self::Error>;
    /// Opens `room` unless it exists.
    fn open(&self, room: &str);
    /// A value kept with the room, or none (also when there is no room).
    fn get_meta(&self, room: &str, key: &str) -> Option<String>;
    /// Sets a value kept with the room; an error if there is no room.
    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Self::Error>;
    /// Has the host keep `room`, which is not predefined, for its
    /// invitations only (see [`crate::invited::settle_keep`]); false if
    /// others kept rewriting them meanwhile.
    fn settle_keep(&self, room: &str) -> bool;
    /// Logs `message`.
    fn log(&self, level: Level, message: &str);
}

/// Opens the rooms of the `predefined_rooms` value `value` with their pins,
/// once, and has the host keep them (their `keep` meta): neither
/// `rooms.expire_delay_s` nor `rooms.max_empty` deletes one while it is
/// empty. The guest has no start-up hook, so every entry point (dial-in,
/// each admin function) calls this first, and the first one after start-up
/// or a config change opens them. As in SEMS, `roomDelete` deletes one,
/// which is not opened again until then: a new version loaded with the
/// config unchanged keeps those the one before opened and opens no other. A
/// room that exists already with the pin the config gave it then (one the
/// host brought back from its rooms file after a restart, or still open
/// when a new version loads) keeps the pin it has, which an admin may have
/// changed; one the config now gives another pin takes that. The rooms of
/// the value remembered before, this guest's own, that `value` no longer
/// lists are released: kept only for their invitations, as any room. After
/// a restart none is remembered, as the key-value store ended with the
/// process, and none is released: one the config dropped meanwhile is no
/// longer predefined ([`is_predefined`]), and its keep follows its
/// invitations from their next change. Costs one key-value read once done,
/// and no look at rooms the value does not name.
pub fn ensure<H: Host>(host: &H, value: &str) {
    let marker = host.kv_get(MARKER_KEY);
    if marker.as_deref() == Some(value) {
        return;
    }
    // Left in place: instances of the earlier version still running read it.
    let since = marker.or_else(|| host.kv_get(OLD_MARKER_KEY));
    // A bad entry refused the config before the guest served.
    let (listed, _) = parse(value);
    let reopen = since.as_deref() != Some(value);
    for room in &listed {
        if reopen {
            host.open(&room.room);
        }
        let pin_meta = host.get_meta(&room.room, PIN_META_KEY);
        if !reopen && !opened_as_predefined(pin_meta.as_deref()) {
            // Deleted since, or opened again by someone else.
            continue;
        }
        pin_and_keep(host, room, pin_meta.as_deref());
    }
    for room in dropped(since.as_deref().unwrap_or_default(), &listed) {
        release(host, &room);
    }
    if let Err(e) = host.kv_set(MARKER_KEY, value) {
        host.log(
            Level::Warn,
            &format!("predefined rooms opened but not remembered: {e:?}"),
        );
    }
}

/// Gives the open predefined `room` its configured pin unless it has that
/// pin from the config already (`pin_meta`, its [`PIN_META_KEY`] meta), and
/// keeps it. Once `rooms.max_empty` rooms are kept the host refuses to keep
/// it: it then expires when empty, as any room, and the log says so.
fn pin_and_keep<H: Host>(host: &H, room: &Predefined, pin_meta: Option<&str>) {
    let name = &room.room;
    let pinned = if pin_meta == Some(room.pin.as_str()) {
        Ok(())
    } else {
        host.set_meta(name, adminpin::META_KEY, &room.pin)
            .and_then(|()| host.set_meta(name, PIN_META_KEY, &room.pin))
    };
    if let Err(e) = pinned {
        host.log(
            Level::Error,
            &format!("predefined room {name:?} not opened: {e:?}"),
        );
    } else if let Err(e) = host.set_meta(name, KEEP_ROOM_META_KEY, "1") {
        host.log(
            Level::Error,
            &format!("predefined room {name:?} not kept, it expires when empty: {e:?}"),
        );
    }
}

/// The rooms the `predefined_rooms` value `before` lists and `listed` does
/// not: no longer predefined.
fn dropped(before: &str, listed: &[Predefined]) -> Vec<String> {
    let (before, _) = parse(before);
    before
        .into_iter()
        .map(|p| p.room)
        .filter(|room| !lists(listed, room))
        .collect()
}

/// Releases `room`, which the config no longer lists, if it is open as
/// predefined: its [`PIN_META_KEY`] meta is cleared, and the host keeps it
/// then only for its invitations.
fn release<H: Host>(host: &H, room: &str) {
    if !opened_as_predefined(host.get_meta(room, PIN_META_KEY).as_deref()) {
        return;
    }
    if let Err(e) = host.set_meta(room, PIN_META_KEY, "") {
        host.log(
            Level::Warn,
            &format!("room {room:?}: no longer predefined, its mark not cleared: {e:?}"),
        );
    }
    if !host.settle_keep(room) {
        host.log(
            Level::Warn,
            &format!(
                "room {room:?}: no longer predefined, but its keep waits for the next change of its invitations"
            ),
        );
    }
}

/// Whether a room's [`PIN_META_KEY`] meta, `pin_meta`, says [`ensure`]
/// opened it and has not released it.
pub fn opened_as_predefined(pin_meta: Option<&str>) -> bool {
    pin_meta.is_some_and(|pin| !pin.is_empty())
}

fn lists(listed: &[Predefined], room: &str) -> bool {
    listed.iter().any(|p| p.room == room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invited;
    use std::cell::RefCell;
    use std::collections::{BTreeMap, BTreeSet};
    use switchyard_sdk::room_name::MAX_ROOM_CHARS;

    fn room(room: &str, pin: &str) -> Predefined {
        Predefined {
            room: room.to_owned(),
            pin: pin.to_owned(),
        }
    }

    #[test]
    fn parses_semss_example() {
        assert_eq!(
            parse("discussion:some_pwd;support:other_pwd;"),
            (
                vec![room("discussion", "some_pwd"), room("support", "other_pwd")],
                Vec::new()
            )
        );
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let (rooms, bad) = parse("a:1; nopin ;:2;b:;c:3:4; d : 5 ;;");
        assert_eq!(rooms, vec![room("a", "1"), room("d", "5")]);
        let shapes = ["nopin", ":2", "b:", "c:3:4"];
        let expected: Vec<_> = shapes
            .into_iter()
            .map(|e| BadEntry::NotRoomPin(e.to_owned()))
            .collect();
        assert_eq!(bad, expected);
    }

    #[test]
    fn entries_naming_no_room_the_host_takes_are_reported() {
        let long = "r".repeat(MAX_ROOM_CHARS + 1);
        let (rooms, bad) = parse(&format!("a:1;.:2;..:3;{long}:4;...:5"));
        assert_eq!(rooms, vec![room("a", "1"), room("...", "5")]);
        let expected: Vec<_> = [".:2".to_owned(), "..:3".to_owned(), format!("{long}:4")]
            .into_iter()
            .map(BadEntry::NoRoomName)
            .collect();
        assert_eq!(bad, expected);
        assert_eq!(
            expected[1].problem(),
            "\"..:3\" names no room: a room name has 1 to 64 characters and is neither . nor .."
        );
    }

    #[test]
    fn a_pin_longer_than_a_room_keeps_is_reported() {
        let pin = "7".repeat(MAX_PIN_BYTES + 1);
        let (rooms, bad) = parse(&format!("a:1;b:{pin}"));
        assert_eq!(rooms, vec![room("a", "1")]);
        assert_eq!(bad, vec![BadEntry::PinTooLong(format!("b:{pin}"))]);
        assert_eq!(
            bad[0].problem(),
            "the pin of room \"b\" has more than 4096 bytes"
        );
    }

    #[test]
    fn an_empty_value_lists_nothing() {
        assert_eq!(parse(""), (Vec::new(), Vec::new()));
        assert_eq!(parse(" ; "), (Vec::new(), Vec::new()));
    }

    #[test]
    fn a_room_is_predefined_only_with_its_meta_and_listed() {
        assert!(is_predefined("a:1;b:2", "b", Some("2")));
        assert!(is_predefined("a:1;b:2", "b", Some("7")), "an older pin");
        assert!(!is_predefined("a:1", "b", Some("2")), "no longer listed");
        assert!(!is_predefined("a:1;b:2", "b", Some("")), "released");
        assert!(!is_predefined("a:1;b:2", "b", None), "opened by another");
    }

    #[test]
    fn a_value_the_key_value_store_cannot_hold_is_refused() {
        let fits = "a:1;".repeat(MAX_VALUE_BYTES / 4);
        assert_eq!(fits.len(), MAX_VALUE_BYTES);
        assert_eq!(problem(&fits), None);
        let too_long = format!("{fits};");
        assert_eq!(
            problem(&too_long).as_deref(),
            Some(
                "predefined_rooms: 65537 bytes, more than the 65536 the guest's key-value \
                 store holds, where the rooms opened are remembered"
            )
        );
    }

    #[test]
    fn a_bad_entry_is_refused_naming_the_key() {
        assert_eq!(
            problem("a:1;nopin").as_deref(),
            Some("predefined_rooms: \"nopin\" is not <room>:<pin> (entries are separated by ;)")
        );
        assert_eq!(problem(""), None);
    }

    /// The host's rooms (each with its meta) and the guest's key-value
    /// store, in memory, and the calls made to them.
    #[derive(Default)]
    struct FakeHost {
        kv: RefCell<BTreeMap<String, String>>,
        rooms: RefCell<BTreeMap<String, BTreeMap<String, String>>>,
        calls: RefCell<Vec<String>>,
    }

    impl FakeHost {
        /// A room as `rooms.state_file` brings it back, with its meta.
        fn with_room(self, room: &str, meta: &[(&str, &str)]) -> Self {
            let meta = meta
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            self.rooms.borrow_mut().insert(room.to_owned(), meta);
            self
        }

        fn with_kv(self, key: &str, value: &str) -> Self {
            self.kv
                .borrow_mut()
                .insert(key.to_owned(), value.to_owned());
            self
        }

        fn room_names(&self) -> Vec<String> {
            self.rooms.borrow().keys().cloned().collect()
        }

        fn meta(&self, room: &str, key: &str) -> Option<String> {
            self.rooms.borrow().get(room)?.get(key).cloned()
        }

        /// The calls made since the last look, which forgets them.
        fn take_calls(&self) -> Vec<String> {
            self.calls.take()
        }

        /// The rooms any call so far opened, looked at or changed.
        fn rooms_touched(&self) -> Vec<String> {
            let touched: BTreeSet<String> = self
                .calls
                .borrow()
                .iter()
                .filter(|call| !call.starts_with("kv-"))
                .filter_map(|call| call.split(' ').nth(1).map(str::to_owned))
                .collect();
            touched.into_iter().collect()
        }

        fn record(&self, call: String) {
            self.calls.borrow_mut().push(call);
        }
    }

    impl Host for FakeHost {
        type Error = String;

        fn kv_get(&self, key: &str) -> Option<String> {
            self.record(format!("kv-get {key}"));
            self.kv.borrow().get(key).cloned()
        }

        fn kv_set(&self, key: &str, value: &str) -> Result<(), String> {
            self.record(format!("kv-set {key}={value}"));
            self.kv
                .borrow_mut()
                .insert(key.to_owned(), value.to_owned());
            Ok(())
        }

        fn open(&self, room: &str) {
            self.record(format!("open {room}"));
            self.rooms.borrow_mut().entry(room.to_owned()).or_default();
        }

        fn get_meta(&self, room: &str, key: &str) -> Option<String> {
            self.record(format!("get-meta {room} {key}"));
            self.meta(room, key)
        }

        fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), String> {
            self.record(format!("set-meta {room} {key}={value}"));
            let mut rooms = self.rooms.borrow_mut();
            let meta = rooms.get_mut(room).ok_or("no such room")?;
            meta.insert(key.to_owned(), value.to_owned());
            Ok(())
        }

        fn settle_keep(&self, room: &str) -> bool {
            self.record(format!("settle-keep {room}"));
            let invited = self.meta(room, invited::META_KEY).unwrap_or_default();
            let keep = if invited.is_empty() { "" } else { "1" };
            self.set_meta(room, KEEP_ROOM_META_KEY, keep).is_ok()
        }

        fn log(&self, _level: Level, message: &str) {
            panic!("nothing to log here: {message}");
        }
    }

    /// A room [`ensure`] opened with `pin` and keeps.
    fn kept(pin: &'static str) -> [(&'static str, &'static str); 3] {
        [
            (adminpin::META_KEY, pin),
            (PIN_META_KEY, pin),
            (KEEP_ROOM_META_KEY, "1"),
        ]
    }

    #[test]
    fn a_restart_releases_nothing_and_looks_at_no_room_the_config_does_not_list() {
        // The key-value store ended with the process; the rooms came back,
        // b and c dropped from the config meanwhile.
        let host = FakeHost::default()
            .with_room("a", &kept("1"))
            .with_room("b", &kept("2"))
            .with_room(
                "c",
                &[(PIN_META_KEY, "3"), (invited::META_KEY, "p\t100\t0\n")],
            );
        ensure(&host, "a:1");
        assert_eq!(host.rooms_touched(), ["a"]);
        assert_eq!(host.meta("a", KEEP_ROOM_META_KEY).as_deref(), Some("1"));
        assert_eq!(host.meta("b", PIN_META_KEY).as_deref(), Some("2"));
        assert_eq!(
            host.meta("b", KEEP_ROOM_META_KEY).as_deref(),
            Some("1"),
            "kept until its invitations change"
        );
        assert!(!is_predefined("a:1", "b", Some("2")), "but not predefined");
        assert_eq!(host.meta("c", KEEP_ROOM_META_KEY), None);
        assert_eq!(
            host.kv.borrow().get(MARKER_KEY).map(String::as_str),
            Some("a:1")
        );
    }

    #[test]
    fn with_none_configured_the_rooms_are_settled_once_then_cost_one_read() {
        let host = FakeHost::default();
        ensure(&host, "");
        assert_eq!(
            host.take_calls(),
            [
                format!("kv-get {MARKER_KEY}"),
                format!("kv-get {OLD_MARKER_KEY}"),
                format!("kv-set {MARKER_KEY}="),
            ]
        );
        ensure(&host, "");
        assert_eq!(host.take_calls(), [format!("kv-get {MARKER_KEY}")]);
    }

    #[test]
    fn the_rooms_of_another_guest_are_left_alone() {
        // Another guest, this component under another name, keeps x as its
        // own predefined room; this one's config changes.
        let host = FakeHost::default()
            .with_kv(MARKER_KEY, "a:1")
            .with_room("a", &kept("1"))
            .with_room("x", &kept("5"));
        ensure(&host, "c:3");
        assert_eq!(host.rooms_touched(), ["a", "c"]);
        assert_eq!(host.meta("x", PIN_META_KEY).as_deref(), Some("5"));
        assert_eq!(host.meta("x", KEEP_ROOM_META_KEY).as_deref(), Some("1"));
        assert_eq!(host.meta("a", PIN_META_KEY).as_deref(), Some(""));
        assert_eq!(host.meta("a", KEEP_ROOM_META_KEY).as_deref(), Some(""));
    }

    #[test]
    fn an_upgrade_releases_the_rooms_the_earlier_version_opened_and_the_config_dropped() {
        // The earlier version opened a and b, without keeping them, and
        // remembered its value under the old key.
        let host = FakeHost::default()
            .with_kv(OLD_MARKER_KEY, "a:1;b:2")
            .with_room("a", &[(adminpin::META_KEY, "1"), (PIN_META_KEY, "1")])
            .with_room(
                "b",
                &[
                    (adminpin::META_KEY, "2"),
                    (PIN_META_KEY, "2"),
                    (invited::META_KEY, "p\t100\t0\n"),
                ],
            );
        ensure(&host, "a:1");
        assert_eq!(host.meta("a", KEEP_ROOM_META_KEY).as_deref(), Some("1"));
        assert_eq!(host.meta("b", PIN_META_KEY).as_deref(), Some(""));
        assert_eq!(
            host.meta("b", KEEP_ROOM_META_KEY).as_deref(),
            Some("1"),
            "kept for its invitation"
        );
        assert_eq!(host.meta("b", adminpin::META_KEY).as_deref(), Some("2"));
        assert_eq!(
            host.kv.borrow().get(MARKER_KEY).map(String::as_str),
            Some("a:1")
        );
    }

    #[test]
    fn an_upgrade_with_the_config_unchanged_reopens_no_deleted_room() {
        // The earlier version opened a and b, without keeping them; an
        // admin deleted b, and someone opened c, which the config lists,
        // anew.
        let host = FakeHost::default()
            .with_kv(OLD_MARKER_KEY, "a:1;b:2;c:3")
            .with_room("a", &[(adminpin::META_KEY, "9"), (PIN_META_KEY, "1")])
            .with_room("c", &[(adminpin::META_KEY, "5")]);
        ensure(&host, "a:1;b:2;c:3");
        assert_eq!(host.room_names(), ["a", "c"], "b not opened again");
        assert_eq!(host.meta("a", KEEP_ROOM_META_KEY).as_deref(), Some("1"));
        assert_eq!(
            host.meta("a", adminpin::META_KEY).as_deref(),
            Some("9"),
            "the pin an admin gave it"
        );
        assert_eq!(host.meta("c", KEEP_ROOM_META_KEY), None, "not predefined");
        assert_eq!(host.meta("c", adminpin::META_KEY).as_deref(), Some("5"));
        assert_eq!(
            host.kv.borrow().get(MARKER_KEY).map(String::as_str),
            Some("a:1;b:2;c:3")
        );
    }

    #[test]
    fn a_config_change_opens_every_room_it_lists_and_releases_the_others() {
        let host = FakeHost::default()
            .with_kv(MARKER_KEY, "a:1;b:2")
            .with_room("b", &kept("2"));
        ensure(&host, "a:1;c:3");
        assert_eq!(host.room_names(), ["a", "b", "c"]);
        for (room, pin) in [("a", "1"), ("c", "3")] {
            assert_eq!(host.meta(room, adminpin::META_KEY).as_deref(), Some(pin));
            assert_eq!(host.meta(room, KEEP_ROOM_META_KEY).as_deref(), Some("1"));
        }
        assert_eq!(host.meta("b", PIN_META_KEY).as_deref(), Some(""));
        assert_eq!(host.meta("b", KEEP_ROOM_META_KEY).as_deref(), Some(""));
    }

    #[test]
    fn the_same_config_again_changes_nothing() {
        let host = FakeHost::default()
            .with_kv(MARKER_KEY, "a:1;b:2")
            .with_room("b", &kept("2"));
        ensure(&host, "a:1;b:2");
        assert_eq!(host.room_names(), ["b"], "a deleted stays deleted");
        assert_eq!(host.take_calls(), [format!("kv-get {MARKER_KEY}")]);
    }
}
