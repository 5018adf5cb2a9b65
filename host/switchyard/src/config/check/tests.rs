//! The checks of ranges, names and keys that must agree, through whole files.

use crate::config::tests::parse;
use crate::config::*;
use std::path::Path;

#[test]
fn a_prompt_that_does_not_decode_fails_the_check_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("enter_pin.wav");
    std::fs::write(&bad, b"RIFF, but no WAV").unwrap();
    let text = format!("[media]\nprompts_dir = \"{}\"\n", dir.path().display());
    let err = parse(&text).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "test.toml:2:1: media.prompts_dir: prompt {}: ",
            bad.display()
        )),
        "{err}"
    );
    std::fs::remove_file(&bad).unwrap();
    assert!(parse(&text).is_ok(), "a directory of no prompts is taken");
}

#[test]
fn a_guest_config_key_the_guest_does_not_declare_is_an_error_with_its_line() {
    for (text, key, words) in [
        (
            "[guests.webconference.config]\nprivate_rooms = true\nprivte_rooms = true\n",
            "guests.webconference.config.privte_rooms",
            "not a key of this guest",
        ),
        (
            "[guests.webconference.config]\n\nmax_room_attempts = -1\n",
            "guests.webconference.config.max_room_attempts",
            "is not a whole number",
        ),
        (
            "[guests.nway]\n[guests.nway.config]\ndynamic_rooms = \"on\"\n",
            "guests.nway.config.dynamic_rooms",
            "is not true, false, yes or no",
        ),
    ] {
        let err = parse(text).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{err}");
        let line = text.lines().count();
        assert_eq!(err.position.map(|(l, _)| l), Some(line), "{err}");
        assert!(err.message.contains(words), "{err}");
    }
    assert!(parse("[guests.webconference.config]\nprivate_rooms = \"yes\"\n").is_ok());
}

#[test]
fn the_host_s_interface_names_are_no_guest_names() {
    let err = parse("[guests.switchyard]\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("guests.switchyard"), "{err}");
    assert!(
        err.message.contains("host's own control functions"),
        "{err}"
    );
}

#[test]
fn predefined_rooms_are_checked_by_index() {
    let long = "r".repeat(65);
    let cases = [
        (
            "[rooms]\npredefined = [\"1\", \"\"]\n".to_owned(),
            "test.toml:2:20: rooms.predefined[1]: a room name must not be empty",
        ),
        (
            format!("[rooms]\npredefined = [\n  \"1\",\n  \"{long}\",\n]\n"),
            "test.toml:4:3: rooms.predefined[1]: a room name must be at most 64 characters, not 65",
        ),
        (
            "[control]\npublic_origins = [\n  \"https://switch.example\",\n  \"https://switch.example/console\",\n]\n".to_owned(),
            "test.toml:4:3: control.public_origins[1]: not an origin like https://switch.example or http://10.0.0.5:8090: \"https://switch.example/console\"",
        ),
        (
            "[rooms]\npredefined = [\"1\", \"2\", \"1\"]\n".to_owned(),
            "test.toml:2:25: rooms.predefined[2]: room \"1\" is already listed as rooms.predefined[0]",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(&text).expect_err(expected);
        assert_eq!(err.to_string(), expected, "for {text:?}");
    }
    let sixty_four = "é".repeat(64);
    let text = format!("[rooms]\npredefined = [\"{sixty_four}\"]\n");
    assert!(
        parse(&text).is_ok(),
        "64 characters (128 bytes) must be accepted"
    );
}

#[test]
fn limits_and_delays_are_bounded() {
    let cases = [
        (
            "[rooms]\nmax_empty = 0\n",
            "rooms.max_empty: must be 1 to 10000000",
        ),
        (
            "[limits]\nmax_instances = 0\n",
            "limits.max_instances: must be 1 to 100000",
        ),
        (
            "[sip]\nadvertise = \"0.0.0.0\"\n",
            "sip.advertise: 0.0.0.0 is unspecified (in SDP, c=0.0.0.0 reads as hold: RFC \
             3264 §8.4): peers could send neither requests nor RTP to it",
        ),
        (
            "[sip]\nadvertise = \"ff02::1\"\n",
            "sip.advertise: ff02::1 is a multicast address: peers could send neither \
             requests nor RTP to it",
        ),
        (
            "[sip]\nadvertise = \"255.255.255.255\"\n",
            "sip.advertise: 255.255.255.255 is the broadcast address: peers could send \
             neither requests nor RTP to it",
        ),
        (
            "[limits]\nmax_instances = 100001\n",
            "limits.max_instances: must be 1 to 100000",
        ),
        (
            "[limits]\ncontrol_instances = 0\n",
            "limits.control_instances: must be 1 to 1024",
        ),
        (
            "[limits]\ncontrol_instances = 1025\n",
            "limits.control_instances: must be 1 to 1024",
        ),
        (
            "[limits]\nguest_threads = 257\n",
            "limits.guest_threads: must be at most 256",
        ),
        (
            "[media]\nmax_talkers = 1001\n",
            "media.max_talkers: must be at most 1000 (0: every talker)",
        ),
        (
            "[recording]\nmax_total_mb = 0\n",
            "recording.max_total_mb: must be 1 to 16777216",
        ),
        (
            "[recording]\nmax_total_mb = 16777217\n",
            "recording.max_total_mb: must be 1 to 16777216",
        ),
        (
            "[control]\nmax_connections_per_peer = 0\n",
            "control.max_connections_per_peer: must be 1 to 256",
        ),
        (
            "[recording]\nmax_active = 0\n",
            "recording.max_active: must be 1 to 10000",
        ),
        (
            "[guest_cache]\nmax_entries = 0\n",
            "guest_cache.max_entries: must be 1 to 1000",
        ),
        (
            "[guests.webconference]\nrecords_max_file_mb = 0\n",
            "guests.webconference.records_max_file_mb: must be 1 to 1048576",
        ),
        (
            "[guests.webconference]\nrecords_max_total_mb = 0\n",
            "guests.webconference.records_max_total_mb: must be 1 to 16777216",
        ),
        (
            "[recording]\ndir = \"/no/such/dir\"\n",
            "recording.dir: /no/such/dir is not a directory",
        ),
        (
            "[sip]\nsession_min_se_s = 60\n",
            "sip.session_min_se_s: must be 90 to 86400",
        ),
        (
            "[sip]\nsession_expires_s = 300\nsession_min_se_s = 600\n",
            "sip.session_expires_s: must be sip.session_min_se_s (600) to 86400",
        ),
        (
            "[sip]\nsession_max_s = 900\n",
            "sip.session_max_s: must be sip.session_expires_s (1800) to 86400",
        ),
        (
            "[sip]\nuser_agent = \"a\\r\\nX-Injected: 1\"\n",
            "sip.user_agent: must be one line of at most 256 bytes without control characters",
        ),
        (
            "[rooms]\nexpire_delay_s = 31536001\n",
            "rooms.expire_delay_s: must be at most 31536000 (a year)",
        ),
        (
            "[rooms]\nparticipants_expire_delay_s = 31536001\n",
            "rooms.participants_expire_delay_s: must be at most 31536000 (a year)",
        ),
        (
            "[rtp]\ntimeout_s = 9223372036854775807\n",
            "rtp.timeout_s: must be at most 31536000 (a year)",
        ),
        (
            "[rtp]\nport_max = 65535\nport_min = 65535\n",
            "rtp.port_max: the range rtp.port_min..=rtp.port_max (65535..=65535) holds no even \
             port and the odd one after it, and a call takes such a pair (RTP on the even \
             port, RTCP on the odd one)",
        ),
        (
            "[rtp]\nport_max = 10000\nport_min = 10000\n",
            "rtp.port_max: the range rtp.port_min..=rtp.port_max (10000..=10000) holds no even \
             port and the odd one after it, and a call takes such a pair (RTP on the even \
             port, RTCP on the odd one)",
        ),
        (
            "[sip]\noutbound_proxy = \"proxy.example.com\"\n",
            "sip.outbound_proxy: not a SIP URI like sip:proxy.example.com;lr: \"proxy.example.com\"",
        ),
        (
            "[sip]\noutbound_proxy = \"<sip:proxy.example.com;lr>\"\n",
            "sip.outbound_proxy: not a SIP URI like sip:proxy.example.com;lr: \"<sip:proxy.example.com;lr>\"",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:proxy.example.com;lr?h=v\"\n",
            "sip.outbound_proxy: \"sip:proxy.example.com;lr?h=v\" takes no headers, as a Route's URI has none (RFC 3261 §19.1.1)",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:gw?x@proxy.example.com;lr?h=v\"\n",
            "sip.outbound_proxy: \"sip:gw?x@proxy.example.com;lr?h=v\" takes no headers, as a Route's URI has none (RFC 3261 §19.1.1)",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:u@proxy;lr;x=a@evil.example\"\n",
            "sip.outbound_proxy: not a SIP URI like sip:proxy.example.com;lr: \"sip:u@proxy;lr;x=a@evil.example\"",
        ),
        (
            "[sip]\noutbound_proxy = \"sips:proxy.example.com;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \"sips:proxy.example.com;lr\": TLS is not supported",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:proxy.example.com\"\n",
            "sip.outbound_proxy: \"sip:proxy.example.com\" has no ;lr parameter: strict \
             routers (RFC 2543) are not supported; add ;lr for a proxy that routes loosely \
             (RFC 3261 §19.1.1)",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:proxy.example.com:99999\"\n",
            "sip.outbound_proxy: no call could be placed through \"sip:proxy.example.com:99999\": not a SIP URI with a usable host: sip:proxy.example.com:99999",
        ),
        (
            "[rtp]\naddress = \"192.0.2.1\"\n",
            "rtp.address: no RTP socket can be bound to 192.0.2.1: Cannot assign requested address (os error 99)",
        ),
        (
            "[sip]\nring_timeout_s = 0\n",
            "sip.ring_timeout_s: must be 1 to 3600",
        ),
        (
            "[sip]\nnext_target_after_ms = 100\n",
            "sip.next_target_after_ms: must be 500 to 32000",
        ),
        (
            "[sip]\ntcp_idle_timeout_s = 0\n",
            "sip.tcp_idle_timeout_s: must be 1 to 86400",
        ),
        (
            "[sip]\ndial_user = \"two words\"\n",
            "sip.dial_user: must be a non-empty SIP user part (letters, digits, -_.!~*'()&=+$,;?/)",
        ),
        (
            "[rooms]\nstate_file = \"/no/such/dir/rooms.json\"\n",
            "rooms.state_file: /no/such/dir/rooms.json is not in an existing directory",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text).expect_err(expected);
        assert_eq!(
            err.to_string(),
            format!("test.toml:2:1: {expected}"),
            "for {text:?}"
        );
    }
    let misspelt = parse("[guests.webconfernce.config]\nx = 1\n").unwrap_err();
    assert_eq!(
        misspelt.to_string(),
        "test.toml:1:9: guests.webconfernce: no `wasm` file is configured and no guest of \
         this name is embedded (the embedded ones: webconference, nway)"
    );
    let bad_allow = parse("[dialout]\nallow = \"(\"\n").unwrap_err().to_string();
    assert!(
        bad_allow.starts_with("test.toml:2:1: dialout.allow: not a regular expression"),
        "{bad_allow}"
    );
    let limits =
        parse("[limits]\nmax_instances = 100000\ncontrol_instances = 1024\nguest_threads = 256\n")
            .unwrap()
            .limits;
    assert_eq!(
        (
            limits.max_instances,
            limits.control_instances,
            limits.guest_threads
        ),
        (100_000, 1024, 256),
        "the upper bounds themselves are accepted"
    );
}

#[test]
fn routing_rules_name_configured_guests_and_are_checked_in_place() {
    let file = "[guests.ivr]\nwasm = \"Cargo.toml\"\n\
                [[routing.rules]]\nguest = \"ivr\"\nuri = \"^sip:1\"\n\
                [[routing.rules]]\nguest = \"ivr\"\nuri = \"(\"\n";
    let err = Config::parse(Path::new("/nonexistent/test.toml"), file).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routing.rules[1].uri"), "{err}");
    assert_eq!(err.position.map(|p| p.0), Some(8), "{err}");
    assert!(err.message.starts_with("not a regular expression"), "{err}");

    let err = parse("[[routing.rules]]\nguest = \"nway\"\nuri = \"^sip:9\"\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routing.rules[0].guest"), "{err}");
    assert_eq!(
        err.message,
        "no guest named \"nway\" is configured under [guests]"
    );
    let err = parse("[[routing.rules]]\nguest = \"webconference\"\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routing.rules[0]"), "{err}");
}

#[test]
fn an_empty_pattern_is_an_error_at_its_key() {
    for (text, key) in [
        ("[dialout]\nallow = \"\"\n", "dialout.allow"),
        (
            "[[routing.rules]]\nguest = \"webconference\"\nuri = \"\"\n",
            "routing.rules[0].uri",
        ),
    ] {
        let err = parse(text).unwrap_err();
        let line = text.lines().count();
        assert_eq!(err.key.as_deref(), Some(key), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(line), "{err}");
        assert!(err.message.starts_with("must not be empty"), "{err}");
    }
}

#[test]
fn an_empty_header_pattern_is_taken() {
    parse("[[routing.rules]]\nguest = \"webconference\"\nheaders = { X-Tenant = \"\" }\n")
        .expect("an empty header pattern matches the calls that carry the header");
}

#[test]
fn a_routing_header_name_with_a_dot_is_named_quoted_at_its_place() {
    let text = "[[routing.rules]]\nguest = \"webconference\"\nheaders = { \"X.Y\" = \"(\" }\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("routing.rules[0].headers.\"X.Y\""),
        "{err}"
    );
    assert_eq!(err.position, Some((3, 13)), "{err}");
    assert!(err.message.starts_with("not a regular expression"), "{err}");
}

#[test]
fn only_a_guest_with_a_file_can_be_watched() {
    let err = parse("[guests.webconference]\nwatch = true\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("guests.webconference.watch"));
    assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
}

#[test]
fn semantic_errors_name_their_key_and_line() {
    let err = parse("[rtp]\nport_min = 3000\nport_max = 2000\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.toml:3:1: rtp.port_max: must not be below rtp.port_min (3000)",
        "expected the error at port_max's line"
    );
    let err = parse("[routing]\nguest = \"nway\"\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routing.guest"), "{err}");
    assert_eq!(err.position, Some((2, 1)), "{err}");
}

#[test]
fn a_bound_set_by_another_key_is_told_at_the_key_the_file_writes_naming_the_other() {
    for (text, expected) in [
        (
            "[sip]\nsession_min_se_s = 3600\n",
            "test.toml:2:1: sip.session_min_se_s: must not be above sip.session_expires_s (1800)",
        ),
        (
            "[sip]\nsession_max_s = 3600\nsession_expires_s = 7200\n",
            "test.toml:2:1: sip.session_max_s: must be sip.session_expires_s (7200) to 86400",
        ),
        (
            "[sip]\nsession_expires_s = 90000\n",
            "test.toml:2:1: sip.session_expires_s: must be sip.session_min_se_s (90) to 86400",
        ),
        (
            "[rtp]\nport_min = 40000\n",
            "test.toml:2:1: rtp.port_min: must not be above rtp.port_max (30000)",
        ),
        (
            "[rtp]\nport_min = 29999\n",
            "test.toml:2:1: rtp.port_min: the range rtp.port_min..=rtp.port_max (29999..=30000) \
             holds no even port and the odd one after it, and a call takes such a pair (RTP on \
             the even port, RTCP on the odd one)",
        ),
        (
            "[rtp]\nport_max = 5000\n",
            "test.toml:2:1: rtp.port_max: must not be below rtp.port_min (10000)",
        ),
        (
            "[sip]\nsession_min_se_s = 3600\nsession_max_s = 7200\n",
            "test.toml:2:1: sip.session_min_se_s: must not be above sip.session_expires_s (1800)",
        ),
    ] {
        let err = parse(text).expect_err(expected);
        assert_eq!(err.to_string(), expected, "for {text:?}");
    }
}

#[test]
fn public_origins_need_a_token_even_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("switchyard.toml");
    let proxied = "[control]\nlisten = \"127.0.0.1:8090\"\n\
                   public_origins = [\"https://switch.example\"]\n";
    let err = Config::parse(&file, proxied).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:1: control.public_origins: a reverse proxy serves the endpoint to the \
             network under these origins: requests through it need a bearer token; set \
             control.token_file",
            file.display()
        )
    );
    std::fs::write(dir.path().join("token"), "a-token-of-twenty-chars\n").unwrap();
    let with_token = format!("{proxied}token_file = \"token\"\n");
    let config = Config::parse(&file, &with_token).unwrap();
    assert_eq!(config.control.public_origins().unwrap().len(), 1);
    assert!(Config::parse(&file, "[control]\npublic_origins = []\n").is_ok());
}

#[test]
fn a_read_token_needs_a_token_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("switchyard.toml");
    let (admin, read) = (dir.path().join("token"), dir.path().join("read-token"));
    std::fs::write(&admin, "an-admin-token-of-enough-length\n").unwrap();
    std::fs::write(&read, "a-read-token-of-enough-length\n").unwrap();
    let read_only = format!("[control]\nread_token_file = \"{}\"\n", read.display());
    let err = Config::parse(&file, &read_only).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:1: control.read_token_file: {}: a read token needs control.token_file: \
             without it every request is let in, to read and to change alike",
            file.display(),
            read.display()
        )
    );
    let both = format!("{read_only}token_file = \"{}\"\n", admin.display());
    let config = Config::parse(&file, &both).unwrap();
    let read_token = config.control.read_token().unwrap();
    assert_eq!(read_token.as_deref(), Some("a-read-token-of-enough-length"));
    std::fs::write(&read, "an-admin-token-of-enough-length\n").unwrap();
    let err = Config::parse(&file, &both).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:1: control.read_token_file: {}: holds the token of control.token_file ({}): \
             a request carrying it would be let in to change everything; give the read token \
             one of its own",
            file.display(),
            read.display(),
            admin.display()
        )
    );
    std::fs::write(&read, "short\n").unwrap();
    let err = Config::parse(&file, &both).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:1: control.read_token_file: {}: the token on its first line has 5 \
             characters; at least 16 are needed",
            file.display(),
            read.display()
        )
    );
}

#[test]
fn a_bad_tls_key_is_named_as_control_tls_key() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let file = dir.path().join("switchyard.toml");
    let config =
        |cert: &str, key: &str| format!("[control]\ntls_cert = \"{cert}\"\ntls_key = \"{key}\"\n");
    assert!(Config::parse(&file, &config("cert.pem", "key.pem")).is_ok());

    for (key, problem) in [
        ("cert.pem", "not a PEM private key"),
        ("missing.pem", "cannot read"),
    ] {
        let err = Config::parse(&file, &config("cert.pem", key)).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.tls_key"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.message.contains(&format!("{key}: {problem}")), "{err}");
    }
    let err = Config::parse(&file, &config("key.pem", "key.pem")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("control.tls_cert"), "{err}");
    assert!(err.message.contains("holds no certificate"), "{err}");
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(
        dir.path().join("other.pem"),
        other.signing_key.serialize_pem(),
    )
    .unwrap();
    let err = Config::parse(&file, &config("cert.pem", "other.pem")).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("control.tls_cert"),
        "a certificate that does not fit its key: {err}"
    );
}

/// The error of parsing `text` as the file `file`, parsed on a thread of its own: a parse
/// that waits fails the test rather than hang it, and so does one that passes.
fn refused_within_five_seconds(file: &Path, text: String) -> ConfigError {
    let (done, outcome) = std::sync::mpsc::channel();
    let file = file.to_owned();
    std::thread::spawn(move || done.send(Config::parse(&file, &text).err()));
    outcome
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("the check waited, as for a writer to a FIFO")
        .expect("the check passed")
}

#[test]
fn a_tls_key_or_certificate_that_is_a_fifo_or_a_device_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let fifo = dir.path().join("fifo.pem");
    let mkfifo = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(mkfifo.expect("mkfifo (coreutils)").success());
    let file = dir.path().join("switchyard.toml");
    let not_regular = "cannot read: not a regular file (a FIFO, a device or a directory)";
    for section in ["control", "sip"] {
        for bad in [fifo.as_path(), Path::new("/dev/zero")] {
            let with = |cert: &Path, key: &Path| {
                format!("[{section}]\ntls_cert = {cert:?}\ntls_key = {key:?}\n")
            };
            let err = refused_within_five_seconds(&file, with(&cert, bad));
            assert_eq!(
                (err.key.as_deref(), err.position.map(|p| p.0)),
                (Some(format!("{section}.tls_key").as_str()), Some(3)),
                "{err}"
            );
            assert_eq!(err.message, format!("{}: {not_regular}", bad.display()));
            let err = refused_within_five_seconds(&file, with(bad, &key));
            assert_eq!(
                (err.key.as_deref(), err.position.map(|p| p.0)),
                (Some(format!("{section}.tls_cert").as_str()), Some(2)),
                "{err}"
            );
            assert_eq!(err.message, format!("{}: {not_regular}", bad.display()));
        }
    }
}

#[test]
fn a_token_file_that_is_a_fifo_or_a_device_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "an-admin-token-of-enough-length\n").unwrap();
    let fifo = dir.path().join("fifo-token");
    let mkfifo = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(mkfifo.expect("mkfifo (coreutils)").success());
    let file = dir.path().join("switchyard.toml");
    let not_regular = "cannot read: not a regular file (a FIFO, a device or a directory)";
    for bad in [fifo.as_path(), Path::new("/dev/zero")] {
        for (text, key, line) in [
            (
                format!("[control]\ntoken_file = {bad:?}\n"),
                "token_file",
                2,
            ),
            (
                format!("[control]\ntoken_file = {token:?}\nread_token_file = {bad:?}\n"),
                "read_token_file",
                3,
            ),
        ] {
            let err = refused_within_five_seconds(&file, text);
            assert_eq!(
                (err.key.as_deref(), err.position.map(|p| p.0)),
                (Some(format!("control.{key}").as_str()), Some(line)),
                "{err}"
            );
            assert_eq!(err.message, format!("{}: {not_regular}", bad.display()));
        }
    }
}

#[test]
fn sip_over_tls_needs_its_certificate_and_key_named_at_their_keys_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    let file = dir.path().join("switchyard.toml");
    let listen = "[sip]\ntls_listen = [\"127.0.0.1:0\"]\n";
    let with_files =
        |cert: &str, key: &str| format!("{listen}tls_cert = \"{cert}\"\ntls_key = \"{key}\"\n");
    let config = Config::parse(&file, &with_files("cert.pem", "key.pem")).unwrap();
    assert_eq!(config.sip.tls_listen, ["127.0.0.1:0".parse().unwrap()]);
    assert_eq!(
        config.sip.tls_cert.as_deref(),
        Some(dir.path().join("cert.pem").as_path()),
        "relative to the config file"
    );
    assert!(config.sip.tls().unwrap().is_some());
    assert!(
        Config::parse(&file, "")
            .unwrap()
            .sip
            .tls()
            .unwrap()
            .is_none(),
        "no TLS by default"
    );

    let err = Config::parse(&file, listen).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.tls_cert"), "{err}");
    assert!(
        err.message
            .contains("sip.tls_listen needs tls_cert and tls_key"),
        "{err}"
    );
    let err = Config::parse(&file, &format!("{listen}tls_cert = \"cert.pem\"\n")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.tls_key"), "{err}");
    let err = Config::parse(&file, &with_files("cert.pem", "missing.pem")).unwrap_err();
    assert_eq!(
        (err.key.as_deref(), err.position.map(|p| p.0)),
        (Some("sip.tls_key"), Some(4)),
        "{err}"
    );
    assert!(err.message.contains("missing.pem: cannot read"), "{err}");
    let err = Config::parse(&file, &with_files("key.pem", "key.pem")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.tls_cert"), "{err}");
    assert!(err.message.contains("holds no certificate"), "{err}");
    let clash = "[sip]\nlisten = \"127.0.0.1:5090\"\ntls_listen = \"0.0.0.0:5090\"\n\
                 tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
    let err = Config::parse(&file, clash).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.tls_listen"), "{err}");
    assert!(
        err.message
            .contains("TCP port of another SIP listener's, 127.0.0.1:5090"),
        "{err}"
    );
    let elsewhere = "[sip]\ntls_listen = \"192.0.2.1:5061\"\n";
    let err = Config::parse(&file, elsewhere).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.tls_listen"), "{err}");
    assert!(err.message.contains("is no address of this host"), "{err}");
}

#[test]
fn guest_names_are_letters_digits_dashes_and_underscores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.wasm"), b"").unwrap();
    let file = dir.path().join("switchyard.toml");
    for good in ["ivr", "Nway_2", "dial-out"] {
        let text = format!("[guests.{good}]\nwasm = \"g.wasm\"\n");
        assert!(Config::parse(&file, &text).is_ok(), "{good}");
    }
    for (header, name) in [
        ("[guests.\"a.b\"]", "a.b"),
        ("[guests.\"\"]", ""),
        ("[guests.\"a b\"]", "a b"),
        ("[guests.\"ивр\"]", "ивр"),
    ] {
        let text = format!("[rooms]\nmax_empty = 5\n{header}\nwasm = \"g.wasm\"\n");
        let err = Config::parse(&file, &text).unwrap_err();
        assert_eq!(err.key, Some(format!("guests.{name:?}")), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(
            err.message
                .starts_with("a guest's name is made of letters, digits, - and _ only"),
            "{err}"
        );
    }
}

#[test]
fn an_outbound_proxy_at_an_address_no_request_can_reach_is_refused() {
    for (text, expected) in [
        (
            "[sip]\noutbound_proxy = \"sip:0.0.0.0;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \"sip:0.0.0.0;lr\": its \
             address is unspecified",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:gw@[::];transport=tcp;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \
             \"sip:gw@[::];transport=tcp;lr\": its address is unspecified",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:224.0.1.75:5060;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \"sip:224.0.1.75:5060;lr\": \
             its address is a multicast address",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:proxy.example.com;maddr=255.255.255.255;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \
             \"sip:proxy.example.com;maddr=255.255.255.255;lr\": its address is the broadcast \
             address",
        ),
        (
            "[sip]\noutbound_proxy = \"sip:proxy.example.com:0;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \
             \"sip:proxy.example.com:0;lr\": its address has port 0",
        ),
        (
            // The last `maddr` is the one requests go to, as the resolver reads it.
            "[sip]\noutbound_proxy = \"sip:proxy.example.com;maddr=192.0.2.1;maddr=0.0.0.0;lr\"\n",
            "sip.outbound_proxy: no call could be placed through \
             \"sip:proxy.example.com;maddr=192.0.2.1;maddr=0.0.0.0;lr\": its address is \
             unspecified",
        ),
    ] {
        let err = parse(text).expect_err(expected);
        assert_eq!(
            err.to_string(),
            format!("test.toml:2:1: {expected}"),
            "for {text:?}"
        );
    }
}

#[test]
fn an_outbound_proxy_must_route_loosely() {
    for proxy in [
        "sip:proxy.example.com;lr",
        "sip:proxy.example.com:5080;transport=tcp;LR",
        "sip:192.0.2.1;lr=on",
        "sip:[2001:db8::1]:5070;maddr=proxy.example.com;lr",
        "sip:proxy.example.com;maddr=0.0.0.0;maddr=192.0.2.1;lr",
        "sip:gw?x@proxy.example.com;lr",
    ] {
        let config = parse(&format!("[sip]\noutbound_proxy = \"{proxy}\"\n"))
            .unwrap_or_else(|e| panic!("{proxy}: {e}"));
        assert_eq!(config.sip.outbound_proxy.as_deref(), Some(proxy));
    }
    let err =
        parse("[sip]\noutbound_proxy = \"sip:proxy.example.com;transport=tcp\"\n").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("sip.outbound_proxy"), "{err}");
    assert!(
        err.message
            .contains("strict routers (RFC 2543) are not supported"),
        "{err}"
    );
}
