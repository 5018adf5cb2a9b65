//! Parsing whole files: defaults, guest tables and what the server reads of them.

use super::*;

/// `text` parsed and checked as the file `test.toml`.
pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("test.toml"), text)
}

#[test]
fn paths_in_a_config_named_without_a_directory_are_of_the_working_directory() {
    let config = Config::parse(
        Path::new("switchyard.toml"),
        "[rooms]\nstate_file = \"rooms.json\"\n",
    )
    .expect("a state file in the working directory is taken");
    assert_eq!(
        config.rooms.state_file.as_deref(),
        Some(Path::new("./rooms.json"))
    );
}

#[test]
fn an_empty_file_is_the_default() {
    assert_eq!(
        parse("").unwrap(),
        Config::default(),
        "expected an empty file to give the defaults"
    );
}

#[test]
fn the_example_file_is_the_default() {
    let example = include_str!("../../../../examples/switchyard.toml");
    assert_eq!(
        parse(example).unwrap(),
        Config::default(),
        "expected examples/switchyard.toml to hold every key at its default"
    );
}

#[test]
fn the_embedded_guest_is_listed_with_an_empty_table_by_default() {
    let config = parse("").unwrap();
    let entry = &config.guests["webconference"];
    assert_eq!(entry.wasm, None, "the embedded guest has no wasm file");
    assert!(
        entry.config.is_empty(),
        "the host must leave the guest's defaults to the guest, got {:?}",
        entry.config
    );
}

#[test]
fn guest_tables_hold_only_what_the_file_sets() {
    let config = parse("[guests.webconference.config]\nprivate_rooms = true\n").unwrap();
    let table: BTreeMap<_, _> = Config::guest_config(&config.guests["webconference"]).collect();
    assert_eq!(
        table,
        BTreeMap::from([("private_rooms".to_owned(), "true".to_owned())]),
        "expected exactly the one key the file sets"
    );
}

#[test]
fn guest_tables_and_arrays_reach_the_guest_as_toml_text() {
    let config = parse(
        "[guests.nway.config]\ndirectory = [1, 2]\n\
         [guests.nway.config.rooms.101]\npin = \"12\"\n",
    )
    .unwrap();
    let table: BTreeMap<_, _> = Config::guest_config(&config.guests["nway"]).collect();
    assert_eq!(table["directory"], "[1, 2]");
    let rooms: toml::Table = format!("v = {}", table["rooms"]).parse().unwrap();
    assert_eq!(
        rooms["v"]["101"]["pin"].as_str(),
        Some("12"),
        "{}",
        table["rooms"]
    );
}

#[test]
fn another_guest_keeps_the_embedded_one_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("switchyard.toml");
    std::fs::write(dir.path().join("other.wasm"), b"").unwrap();
    let config = Config::parse(&file, "[guests.other]\nwasm = \"other.wasm\"\n").unwrap();
    assert_eq!(
        config.guests.keys().collect::<Vec<_>>(),
        ["other", "webconference"],
        "expected the configured guest and the embedded one"
    );
    assert_eq!(
        config.guests["other"].wasm.as_deref(),
        Some(dir.path().join("other.wasm").as_path()),
        "expected the wasm path relative to the config file"
    );
}

#[test]
fn rooms_defaults_and_delays() {
    let rooms = parse("").unwrap().rooms;
    assert_eq!(
        rooms.participants_expire_delay(),
        Duration::from_secs(10),
        "expected finished participants to stay 10 s by default"
    );
    assert_eq!(
        rooms.expire_delay(),
        Duration::from_secs(7200),
        "expected empty rooms to stay 2 h by default"
    );
    assert!(
        rooms.predefined.is_empty(),
        "no predefined rooms by default"
    );
    let rooms = parse(
        "[rooms]\nparticipants_expire_delay_s = 0\nexpire_delay_s = 60\n\
         predefined = [\"1\", \"sales\"]\n",
    )
    .unwrap()
    .rooms;
    assert_eq!(
        rooms.participants_expire_delay(),
        Duration::ZERO,
        "expected 0 to remove finished participants at once"
    );
    assert_eq!(
        rooms.expire_delay(),
        Duration::from_secs(60),
        "expected expire_delay_s = 60 as 60 s"
    );
    assert_eq!(
        rooms.predefined,
        ["1", "sales"],
        "expected the predefined rooms in file order"
    );
}

#[test]
fn a_guests_own_limits_replace_the_global_ones() {
    let config = parse(
        "[limits]\ncall_deadline_ms = 200\nmemory_mb = 16\n\
         [guests.webconference.limits]\nmemory_mb = 64\nfuel = 5000\n",
    )
    .unwrap();
    let own = config.guest_limits("webconference");
    assert_eq!(own.call_deadline, Some(Duration::from_millis(200)));
    assert_eq!(own.memory_bytes, Some(64 << 20));
    assert_eq!(own.fuel, Some(5000));
    let runtime = config.runtime_limits();
    assert_eq!(runtime.memory_bytes, 64 << 20, "sized for the largest");
    assert!(runtime.fuel, "metered when a guest has fuel");
    assert!(!Config::default().runtime_limits().fuel);

    for (file, key, message) in [
        (
            "[guests.webconference.limits]\nmemory_mb = 0\n",
            "guests.webconference.limits.memory_mb",
            "must be 1 to 4096",
        ),
        (
            "[guests.webconference.limits]\ncall_deadline_ms = 10001\n",
            "guests.webconference.limits.call_deadline_ms",
            "must be 1 to 10000",
        ),
        (
            "[guests.webconference.limits]\nfuel = 0\n",
            "guests.webconference.limits.fuel",
            "must be at least 1",
        ),
    ] {
        let err = parse(file).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{err}");
        assert_eq!(err.message, message);
        assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
    }
}

#[test]
fn sip_listens_on_one_address_or_a_list() {
    assert_eq!(Config::default().sip.listen, default_sip_listen());
    let one = parse("[sip]\nlisten = \"127.0.0.1:5070\"\n").unwrap();
    assert_eq!(one.sip.listen, ["127.0.0.1:5070".parse().unwrap()]);
    let two = parse("[sip]\nlisten = [\"127.0.0.1:5070\", \"[::1]:5070\"]\n").unwrap();
    assert_eq!(two.sip.listen.len(), 2);
    assert!(two.sip.listen[1].is_ipv6());
    let none = parse("[sip]\nlisten = []\n").unwrap_err();
    assert_eq!(
        none.to_string(),
        "test.toml:2:1: sip.listen: needs at least one address"
    );
    let bad = parse("[sip]\nlisten = [\"127.0.0.1:5070\", \"nowhere\"]\n").unwrap_err();
    assert!(
        bad.to_string().contains("sip.listen") && bad.to_string().contains("127.0.0.1:5060"),
        "{bad}"
    );
}

#[test]
fn missing_files_are_named() {
    let err = Config::load(Path::new("/nonexistent/switchyard.toml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/switchyard.toml: cannot read:"),
        "{err}"
    );
}

#[test]
fn token_files_are_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("switchyard.toml");
    std::fs::write(
        dir.path().join("admin.token"),
        "an-admin-token-of-some-length\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("read.token"),
        "a-read-token-of-some-length\n",
    )
    .unwrap();
    let text = "[control]\ntoken_file = \"admin.token\"\nread_token_file = \"read.token\"\n";
    let control = Config::parse(&file, text).unwrap().control;
    assert_eq!(
        control.token_file.as_deref(),
        Some(dir.path().join("admin.token").as_path())
    );
    assert_eq!(
        control.read_token_file.as_deref(),
        Some(dir.path().join("read.token").as_path()),
        "expected the read token's path relative to the config file, as the admin token's"
    );
}

#[test]
fn a_path_given_empty_is_an_error_at_its_key() {
    for (table, key) in [
        ("control", "token_file"),
        ("control", "read_token_file"),
        ("control", "tls_cert"),
        ("control", "tls_key"),
        ("sip", "tls_cert"),
        ("sip", "tls_key"),
        ("media", "prompts_dir"),
        ("records", "stats_dir"),
        ("recording", "dir"),
        ("guest_cache", "dir"),
        ("rooms", "state_file"),
        ("guests.webconference", "records_dir"),
        ("guests.ivr", "wasm"),
    ] {
        let text = format!("[{table}]\n{key} = \"\"\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("test.toml:2:1: {table}.{key}: must not be empty"),
            "for {text:?}"
        );
    }
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_at_its_first_byte_that_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin.toml");
    std::fs::write(&file, b"[sip]\ndial_user = \"caf\xe9\"\n").unwrap();
    let err = Config::load(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:17: not UTF-8 (a TOML file is UTF-8 text)",
            file.display()
        )
    );
}
