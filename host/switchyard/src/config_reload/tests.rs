use super::*;
use crate::call_routing::RouteRule;
use crate::config::GuestEntry;
use std::path::PathBuf;

/// The default configuration with the guest `misbehave` (a component file) beside the
/// embedded webconference, calls to user `alone` routed to it.
fn running() -> Config {
    let mut config = Config::default();
    config
        .guests
        .insert("misbehave".to_owned(), guest("/guests/misbehave.wasm"));
    config.routing.rules = vec![rule("misbehave", "^sip:alone@")];
    config
}

/// A guest entry of the component `wasm`, with an empty table.
fn guest(wasm: &str) -> GuestEntry {
    let mut entry = Config::default().guests["webconference"].clone();
    entry.wasm = Some(PathBuf::from(wasm));
    entry
}

fn rule(guest: &str, uri: &str) -> RouteRule {
    RouteRule {
        guest: guest.to_owned(),
        uri: Some(uri.to_owned()),
        headers: Default::default(),
    }
}

/// The keys of `plan` that wait for a restart.
fn waiting(plan: &Plan) -> Vec<&str> {
    plan.waiting.iter().map(|w| w.key.as_str()).collect()
}

#[test]
fn the_same_configuration_changes_nothing() {
    let plan = plan(&running(), &running(), false);
    assert!(!plan.routing_rules_change);
    assert_eq!(plan.routing_guest, None);
    assert!(!plan.dialout_change);
    assert_eq!(plan.log_level, LogLevelChange::Unchanged);
    assert!(plan.applied.is_empty(), "{:?}", plan.applied);
    assert!(plan.guests.is_empty(), "{:?}", plan.guests);
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
    assert_eq!(plan.running, running());
    assert!(plan.applied_sections().is_empty());
}

#[test]
fn changed_routing_rules_apply() {
    let mut new = running();
    new.routing.rules = vec![
        rule("webconference", "^sip:000777"),
        rule("misbehave", "^sip:(alone|spin)@"),
    ];
    let plan = plan(&running(), &new, false);
    assert!(plan.routing_rules_change);
    assert_eq!(plan.running.routing.rules, new.routing.rules);
    assert_eq!(plan.applied, ["routing.rules"]);
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
    assert_eq!(plan.running, new);
    assert_eq!(plan.applied_sections(), ["[routing]"]);

    let mut removed = running();
    removed.routing.rules.clear();
    let plan = super::plan(&running(), &removed, false);
    assert!(plan.routing_rules_change);
    assert_eq!(plan.running.routing.rules, []);
}

#[test]
fn rules_naming_a_guest_not_running_wait_with_the_guest_added() {
    let mut new = running();
    new.guests
        .insert("ivr".to_owned(), guest("/guests/ivr.wasm"));
    new.routing.rules.push(rule("ivr", "^sip:ivr@"));
    let plan = plan(&running(), &new, false);
    assert!(!plan.routing_rules_change);
    assert!(plan.applied.is_empty(), "{:?}", plan.applied);
    assert_eq!(waiting(&plan), ["routing.rules", "guests.ivr"]);
    let why = plan.waiting[0].why.as_deref().expect("why the rules wait");
    assert!(
        why.contains("the guest \"ivr\" they name is not running"),
        "{why}"
    );
    assert_eq!(plan.waiting[1].why, None);
    assert_eq!(plan.running, running(), "nothing applied");
}

#[test]
fn the_routing_guest_applies_when_it_runs() {
    let mut new = running();
    new.routing.guest = "misbehave".to_owned();
    let plan = plan(&running(), &new, false);
    assert!(!plan.routing_rules_change);
    assert_eq!(plan.routing_guest.as_deref(), Some("misbehave"));
    assert_eq!(plan.applied, ["routing.guest"]);
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
    assert_eq!(plan.running, new);
    assert_eq!(plan.applied_sections(), ["[routing]"]);
}

#[test]
fn a_routing_guest_not_running_waits_with_the_guest_added() {
    let mut new = running();
    new.guests
        .insert("ivr".to_owned(), guest("/guests/ivr.wasm"));
    new.routing.guest = "ivr".to_owned();
    let plan = plan(&running(), &new, false);
    assert_eq!(plan.routing_guest, None);
    assert_eq!(waiting(&plan), ["routing.guest", "guests.ivr"]);
    let why = plan.waiting[0].why.as_deref().expect("why it waits");
    assert!(why.contains("the guest \"ivr\" is not running"), "{why}");
    assert_eq!(plan.running, running(), "nothing applied");
    assert!(plan.applied_sections().is_empty());
}

#[test]
fn the_dial_out_policy_applies_whole() {
    let mut new = running();
    new.dialout.max_per_second = 3;
    let plan = plan(&running(), &new, false);
    assert!(plan.dialout_change);
    assert_eq!(plan.running.dialout, new.dialout);
    assert_eq!(plan.applied, ["dialout.max_per_second"]);
    assert_eq!(plan.applied_sections(), ["[dialout]"]);

    new.dialout.allow = Some("sip:[0-9]+@gw".to_owned());
    let plan = super::plan(&running(), &new, false);
    assert_eq!(plan.applied, ["dialout.allow", "dialout.max_per_second"]);
    assert_eq!(plan.running.dialout, new.dialout);
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
}

#[test]
fn the_log_level_applies_unless_rust_log_rules() {
    let mut new = running();
    new.log.level = "debug".to_owned();
    let plan = plan(&running(), &new, false);
    assert_eq!(plan.log_level, LogLevelChange::Apply("debug".to_owned()));
    assert_eq!(plan.applied, ["log.level"]);
    assert_eq!(plan.applied_sections(), ["[log]"]);

    let ruled = super::plan(&running(), &new, true);
    assert_eq!(ruled.log_level, LogLevelChange::Unchanged);
    assert!(ruled.applied.is_empty(), "{:?}", ruled.applied);
    let waiting = [Waiting {
        key: "log.level".to_owned(),
        why: Some("RUST_LOG rules the log filter; unset it for log.level to apply".to_owned()),
    }];
    assert_eq!(ruled.waiting, waiting);
    assert!(ruled.applied_sections().is_empty());
    // Named again at the next reload of the same file, as every waiting key is.
    let again = super::plan(&ruled.running, &new, true);
    assert_eq!(again.waiting, waiting);
}

#[test]
fn every_other_changed_key_waits_by_its_dotted_path() {
    let mut new = running();
    new.sip.listen = vec!["127.0.0.1:5070".parse().unwrap()];
    new.sip.user_agent = "switchyard".to_owned();
    new.rtp.port_max = 20000;
    new.control.listen = "127.0.0.1:9000".parse().unwrap();
    new.media.max_talkers = 3;
    new.limits.max_instances = 10;
    new.rooms.predefined = vec!["101".to_owned()];
    new.records.stats_dir = Some("/var/lib/switchyard".into());
    new.recording.max_active = 2;
    new.guest_cache.enabled = false;
    new.guests.get_mut("misbehave").unwrap().watch = true;
    let plan = plan(&running(), &new, false);
    assert_eq!(
        waiting(&plan),
        [
            "sip.listen",
            "sip.user_agent",
            "rtp.port_max",
            "control.listen",
            "media.max_talkers",
            "limits.max_instances",
            "rooms.predefined",
            "records.stats_dir",
            "recording.max_active",
            "guest_cache.enabled",
            "guests.misbehave.watch",
        ]
    );
    assert!(plan.waiting.iter().all(|w| w.why.is_none()));
    assert!(plan.applied.is_empty(), "{:?}", plan.applied);
    assert!(plan.guests.is_empty(), "{:?}", plan.guests);
    assert_eq!(plan.running, running(), "the running values are kept");
}

#[test]
fn a_guests_changed_settings_are_loaded_with_a_new_version() {
    let mut new = running();
    let webconference = new.guests.get_mut("webconference").unwrap();
    webconference
        .config
        .insert("direct_room_re".to_owned(), "^9".into());
    webconference.records_max_file_mb = Some(10);
    webconference.records_max_total_mb = Some(100);
    webconference.limits.memory_mb = Some(16);
    webconference.limits.fuel = Some(1000);
    let plan = plan(&running(), &new, false);
    assert_eq!(
        plan.guests,
        [GuestLoad {
            name: "webconference".to_owned(),
            table: "guests.webconference".to_owned(),
            keys: vec![
                "guests.webconference.records_max_file_mb".to_owned(),
                "guests.webconference.records_max_total_mb".to_owned(),
                "guests.webconference.config.direct_room_re".to_owned(),
                "guests.webconference.limits.memory_mb".to_owned(),
                "guests.webconference.limits.fuel".to_owned(),
            ],
            entry: new.guests["webconference"].clone(),
        }]
    );
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
    assert!(
        plan.applied.is_empty(),
        "applied once loaded: {:?}",
        plan.applied
    );
    assert!(plan.applied_sections().is_empty());
    assert_eq!(plan.running, new);
}

#[test]
fn a_guests_component_watch_and_deadline_wait_beside_the_settings_loaded() {
    let mut new = running();
    let misbehave = new.guests.get_mut("misbehave").unwrap();
    misbehave.wasm = Some(PathBuf::from("/guests/misbehave-2.wasm"));
    misbehave.watch = true;
    misbehave.records_dir = Some(PathBuf::from("/var/lib/records"));
    misbehave.limits.call_deadline_ms = Some(500);
    misbehave.config.insert("mode".to_owned(), "spin".into());
    let plan = plan(&running(), &new, false);
    assert_eq!(
        waiting(&plan),
        [
            "guests.misbehave.wasm",
            "guests.misbehave.records_dir",
            "guests.misbehave.watch",
            "guests.misbehave.limits.call_deadline_ms",
        ]
    );
    let why = |at: usize| plan.waiting[at].why.as_deref().unwrap_or_default();
    assert!(
        why(0).contains("keeps the file the serving version was read from"),
        "{:?}",
        plan.waiting
    );
    assert!(why(1).contains("a records directory is checked against them"));
    assert_eq!(plan.waiting[2].why, None);
    assert!(
        why(3).contains("the longest deadline at start"),
        "{:?}",
        plan.waiting
    );
    let mut loaded = running().guests["misbehave"].clone();
    loaded.config = new.guests["misbehave"].config.clone();
    assert_eq!(plan.guests.len(), 1, "{:?}", plan.guests);
    assert_eq!(plan.guests[0].keys, ["guests.misbehave.config.mode"]);
    assert_eq!(plan.guests[0].entry, loaded);
    assert_eq!(plan.running.guests["misbehave"], loaded);

    let alone = super::plan(&plan.running, &new, false);
    assert!(
        alone.guests.is_empty(),
        "nothing more to load: {:?}",
        alone.guests
    );
    assert_eq!(waiting(&alone), waiting(&plan), "named again");
}

#[test]
fn a_guests_table_is_compared_key_by_key_into_nested_tables() {
    let mut running = running();
    let table: toml::Table = toml::from_str(
        "direct_room_re = \"^1\"\nprivate_rooms = true\n[rooms.101]\npin = \"1234\"\n",
    )
    .unwrap();
    running.guests.get_mut("webconference").unwrap().config = table.clone();
    let mut new = running.clone();
    let config = &mut new.guests.get_mut("webconference").unwrap().config;
    config.remove("private_rooms");
    config.insert("lonely_user_timer".to_owned(), 30.into());
    let room = config
        .get_mut("rooms")
        .and_then(toml::Value::as_table_mut)
        .and_then(|rooms| rooms.get_mut("101"))
        .and_then(toml::Value::as_table_mut)
        .expect("room 101's table");
    room.insert("pin".to_owned(), "4321".into());
    let plan = plan(&running, &new, false);
    assert_eq!(plan.guests.len(), 1, "{:?}", plan.guests);
    assert_eq!(
        plan.guests[0].keys,
        [
            "guests.webconference.config.lonely_user_timer",
            "guests.webconference.config.private_rooms",
            "guests.webconference.config.rooms.101.pin",
        ]
    );
    assert!(plan.waiting.is_empty(), "{:?}", plan.waiting);
}

#[test]
fn a_nan_left_alone_is_no_change_and_one_replaced_is() {
    let mut running = running();
    let table: toml::Table = toml::from_str("gain = nan\nsteps = [1.0, nan]\n").unwrap();
    running.guests.get_mut("webconference").unwrap().config = table;
    let plan_again = plan(&running, &running.clone(), false);
    assert!(plan_again.guests.is_empty(), "{:?}", plan_again.guests);
    assert!(plan_again.waiting.is_empty(), "{:?}", plan_again.waiting);
    let mut new = running.clone();
    let config = &mut new.guests.get_mut("webconference").unwrap().config;
    config.insert("gain".to_owned(), 0.5.into());
    let plan = plan(&running, &new, false);
    assert_eq!(plan.guests.len(), 1, "{:?}", plan.guests);
    assert_eq!(plan.guests[0].keys, ["guests.webconference.config.gain"]);
}

#[test]
fn guests_added_or_removed_wait_and_keys_are_quoted_as_toml_writes_them() {
    let mut new = running();
    new.guests.remove("misbehave");
    new.guests
        .insert("my guest".to_owned(), guest("/guests/mine.wasm"));
    let plan = plan(&running(), &new, false);
    assert_eq!(waiting(&plan), ["guests.misbehave", "guests.\"my guest\""]);
    assert!(plan.guests.is_empty(), "{:?}", plan.guests);
    assert_eq!(plan.running, running());

    let mut renamed = running();
    let mine = renamed.guests.remove("misbehave").unwrap();
    renamed.guests.insert("my guest".to_owned(), mine);
    renamed
        .guests
        .get_mut("my guest")
        .unwrap()
        .config
        .insert("mode".to_owned(), "spin".into());
    let plan = super::plan(&running(), &renamed, false);
    assert_eq!(waiting(&plan), ["guests.misbehave", "guests.\"my guest\""]);
    assert!(
        plan.guests.is_empty(),
        "a guest added loads nothing: {:?}",
        plan.guests
    );
}

#[test]
fn a_second_reload_reports_what_still_differs_and_a_key_changed_back_nothing() {
    let mut new = running();
    new.routing.rules.clear();
    new.dialout.max_per_second = 5;
    new.sip.listen = vec!["127.0.0.1:5070".parse().unwrap()];
    let first = plan(&running(), &new, false);
    assert_eq!(first.applied, ["routing.rules", "dialout.max_per_second"]);
    assert_eq!(waiting(&first), ["sip.listen"]);

    let again = plan(&first.running, &new, false);
    assert!(again.applied.is_empty(), "{:?}", again.applied);
    assert!(!again.routing_rules_change);
    assert!(!again.dialout_change);
    assert_eq!(waiting(&again), ["sip.listen"]);

    // The file as at start: the applied sections change back, sip.listen never changed.
    let back = plan(&again.running, &running(), false);
    assert_eq!(back.applied, ["routing.rules", "dialout.max_per_second"]);
    assert!(back.waiting.is_empty(), "{:?}", back.waiting);
    assert_eq!(back.running, running());
}

#[test]
fn a_change_of_a_section_and_of_keys_waiting_is_planned_together() {
    let mut new = running();
    new.routing.rules.clear();
    new.log.level = "warn".to_owned();
    new.rtp.port_min = 20000;
    let plan = plan(&running(), &new, false);
    assert_eq!(plan.applied_sections(), ["[routing]", "[log]"]);
    assert_eq!(waiting(&plan), ["rtp.port_min"]);
    let mut expected = running();
    expected.routing.rules.clear();
    expected.log.level = "warn".to_owned();
    assert_eq!(plan.running, expected);
}

#[test]
fn a_token_file_set_moved_or_unset_on_loopback_applies() {
    let mut new = running();
    new.control.token_file = Some("/etc/switchyard/admin.token".into());
    new.control.read_token_file = Some("/etc/switchyard/read.token".into());
    let set = plan(&running(), &new, false);
    assert_eq!(
        set.applied,
        ["control.token_file", "control.read_token_file"]
    );
    assert!(set.control_tokens_change);
    assert_eq!(set.applied_sections(), ["[control]"]);
    assert!(set.waiting.is_empty(), "{:?}", set.waiting);
    assert_eq!(set.running.control, new.control);
    assert!(!tokens_kept(&set));

    let mut moved = new.clone();
    moved.control.token_file = Some("/etc/switchyard/rotated.token".into());
    let plan_moved = plan(&new, &moved, false);
    assert_eq!(plan_moved.applied, ["control.token_file"]);
    assert_eq!(plan_moved.running.control, moved.control);

    let unset = plan(&new, &running(), false);
    assert_eq!(
        unset.applied,
        ["control.token_file", "control.read_token_file"],
        "a loopback endpoint may serve without a token"
    );
    assert_eq!(unset.running.control, running().control);
}

#[test]
fn a_token_file_unset_waits_while_the_running_endpoint_needs_a_token() {
    let mut with_tokens = running();
    with_tokens.control.token_file = Some("/etc/switchyard/admin.token".into());
    with_tokens.control.read_token_file = Some("/etc/switchyard/read.token".into());
    let mut on_the_network = with_tokens.clone();
    on_the_network.control.listen = "0.0.0.0:8090".parse().unwrap();
    let mut proxied = with_tokens.clone();
    proxied.control.public_origins = vec!["https://switch.example".to_owned()];
    for (serving, why) in [
        (on_the_network, "listens on 0.0.0.0:8090"),
        (proxied, "a reverse proxy serves the endpoint"),
    ] {
        // The file's loopback `listen` and no proxy, which pass its checks, wait.
        let plan = plan(&serving, &running(), false);
        assert_eq!(
            waiting(&plan)
                .into_iter()
                .filter(|key| key.contains("token"))
                .collect::<Vec<_>>(),
            ["control.token_file", "control.read_token_file"]
        );
        for waiting in plan.waiting.iter().filter(|w| w.key.contains("token")) {
            let said = waiting.why.as_deref().unwrap_or_default();
            assert!(said.contains(why), "{said}");
            assert!(said.ends_with("the running tokens are kept"), "{said}");
        }
        assert!(plan.applied.is_empty(), "{:?}", plan.applied);
        assert!(!plan.control_tokens_change);
        assert!(tokens_kept(&plan));
        assert_eq!(plan.running, serving, "the running values are kept");
    }
}

#[test]
fn a_token_changed_in_its_file_applies_by_its_key_once() {
    let mut same = plan(&running(), &running(), false);
    plan_token_changes(&mut same, TokenChanges::default());
    assert!(!same.control_tokens_change);
    assert!(same.applied_sections().is_empty());
    plan_token_changes(
        &mut same,
        TokenChanges {
            token: false,
            read_token: true,
        },
    );
    assert_eq!(same.applied, ["control.read_token_file"]);
    assert!(same.control_tokens_change);
    assert_eq!(same.applied_sections(), ["[control]"]);

    let mut with_token = running();
    with_token.control.token_file = Some("/etc/switchyard/admin.token".into());
    let mut moved = plan(&running(), &with_token, false);
    plan_token_changes(
        &mut moved,
        TokenChanges {
            token: true,
            read_token: false,
        },
    );
    assert_eq!(moved.applied, ["control.token_file"], "named once");
}
