//! `GET /metrics` on the control endpoint of the real binary, read with the Prometheus
//! project's Python parser: every family is described, and a real call moves the counters,
//! its RTCP reports included.

mod support;

use rtcp_types::{
    Compound, Packet, ReceiverReport, ReportBlock, RtcpPacketWriter, RtcpPacketWriterExt,
};
use std::time::{Duration, Instant};
use support::phone::{Phone, await_rtcp};
use support::prometheus::{Scrape, scrape};
use support::server::Server;
use support::xmlrpc::stats;

/// Scrapes until `done` holds of a scrape, for up to 10 s; returns that scrape, or panics
/// with the last one.
fn scrape_until(server: &Server, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let scraped = scrape(server.control);
        if done(&scraped) {
            return scraped;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 10 s; last scrape: {scraped:#?}\nserver log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const DISPATCH_COUNT: &str = "switchyard_guest_dispatch_seconds_count";
/// Incoming calls the call core refused, each a call started.
const REFUSED_CALLS: &str = "switchyard_calls_refused_total";
/// New INVITEs the SIP endpoint refused before any call started.
const REFUSED_INVITES: &str = "switchyard_sip_invites_refused_total";
const CALL_REFUSAL_CAUSES: [&str; 6] = [
    "no_instance",
    "no_codec",
    "rate_limited",
    "shutting_down",
    "no_media_address",
    "no_resources",
];
const INVITE_REFUSAL_CAUSES: [&str; 9] = [
    "overloaded",
    "unusable_offer",
    "loop_detected",
    "session_interval_too_small",
    "too_many_hops",
    "unsupported_extension",
    "bad_request",
    "unsupported_uri_scheme",
    "version_not_supported",
];
const WEBCONFERENCE: &str = "guest=webconference,version=1";

#[test]
fn metrics_are_described_and_move_with_a_call() {
    let server = Server::start();
    let before = scrape(server.control);
    let undescribed: Vec<_> = before
        .families
        .iter()
        .filter(|f| f.help.is_empty() || f.kind == "unknown")
        .collect();
    assert!(undescribed.is_empty(), "no HELP or TYPE: {undescribed:#?}");
    for name in [
        "switchyard_calls_active",
        "switchyard_rooms",
        "switchyard_participants",
        "switchyard_guest_instances",
        "switchyard_guest_instances_limit",
        "switchyard_calls_started",
        "switchyard_calls_answered",
        "switchyard_calls_failed",
        "switchyard_calls_refused",
        "switchyard_sip_invites_refused",
        "switchyard_call_setup_seconds",
        "switchyard_sip_messages_dropped",
        "switchyard_rtp_packets_received",
        "switchyard_rtp_packets_sent",
        "switchyard_rtp_packets_dropped",
        "switchyard_rtp_packets_reported_lost",
        "switchyard_rtp_send_failures",
        "switchyard_recording_dropped_frames",
        "switchyard_rtcp_packets_received",
        "switchyard_rtcp_packets_sent",
        "switchyard_rtcp_packets_dropped",
        "switchyard_rtcp_round_trip_seconds",
        "switchyard_media_tick_lateness_seconds",
        "switchyard_media_key_presses_dropped",
        "switchyard_media_worker_failures",
        "switchyard_media_commands_waiting",
        "switchyard_media_commands_refused",
        "switchyard_panics",
        "switchyard_guest_dispatch_seconds",
        "switchyard_guest_traps",
        "switchyard_guest_timeouts",
        "switchyard_guest_out_of_fuel",
        "switchyard_config_reloads",
        "switchyard_config_last_reload_successful",
        "switchyard_config_last_reload_success_timestamp_seconds",
        "switchyard_config_keys_awaiting_restart",
        "switchyard_config_guests_refusing_settings",
        "process_cpu_seconds",
        "process_open_fds",
        "process_max_fds",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_start_time_seconds",
        "process_threads",
    ] {
        assert!(
            before.families.iter().any(|f| f.name == name),
            "no family {name} in {:#?}",
            before.families
        );
    }
    // Two media workers (the test config), each with its own lateness histogram and backlog.
    for worker in ["worker=0", "worker=1"] {
        before.value("switchyard_media_tick_lateness_seconds_count", worker);
        before.value("switchyard_media_commands_waiting", worker);
        assert_eq!(
            before.value("switchyard_media_commands_refused_total", worker),
            0.0
        );
    }
    for failures in [
        "switchyard_media_worker_failures_total",
        "switchyard_media_key_presses_dropped_total",
        "switchyard_panics_total",
        "switchyard_recording_dropped_frames_total",
    ] {
        assert_eq!(before.value(failures, ""), 0.0, "{failures}");
    }
    // Every refusal of an incoming call by the host is under one cause; the new INVITEs the
    // SIP endpoint refuses before any call starts are a family of their own.
    for (family, causes) in [
        (REFUSED_CALLS, &CALL_REFUSAL_CAUSES[..]),
        (REFUSED_INVITES, &INVITE_REFUSAL_CAUSES[..]),
    ] {
        let labels: Vec<String> = before
            .samples
            .iter()
            .filter(|s| s.name == family)
            .map(|s| s.labels.clone())
            .collect();
        let expected: Vec<String> = causes.iter().map(|c| format!("cause={c}")).collect();
        assert_eq!(labels, expected, "{family}");
        for label in &expected {
            assert_eq!(before.value(family, label), 0.0, "{family}{{{label}}}");
        }
    }
    for cause in [
        "refused",
        "unreachable",
        "no_buffer",
        "queue_full",
        "no_socket",
        "other",
    ] {
        let label = format!("cause={cause}");
        before.value("switchyard_rtp_send_failures_total", &label);
    }
    // The standard process metrics are the server's own.
    let open = before.value("process_open_fds", "");
    assert!(
        (open - server.open_fds() as f64).abs() <= 2.0,
        "process_open_fds {open}, /proc says {}",
        server.open_fds()
    );
    assert!(before.value("process_resident_memory_bytes", "") > 1e6);
    // No reload yet: the configuration the server started with is the last that loaded.
    for (name, labels, value) in [
        ("switchyard_config_reloads_total", "result=applied", 0.0),
        ("switchyard_config_reloads_total", "result=refused", 0.0),
        ("switchyard_config_last_reload_successful", "", 1.0),
        ("switchyard_config_keys_awaiting_restart", "", 0.0),
        ("switchyard_config_guests_refusing_settings", "", 0.0),
    ] {
        assert_eq!(before.value(name, labels), value, "{name}{{{labels}}}");
    }
    let loaded_at = before.value(
        "switchyard_config_last_reload_success_timestamp_seconds",
        "",
    );
    let process_start = before.value("process_start_time_seconds", "");
    assert!(
        (loaded_at - process_start).abs() < 60.0,
        "the start's time {loaded_at}, the process's {process_start}"
    );
    assert_eq!(before.value("switchyard_calls_active", ""), 0.0);
    assert_eq!(before.value("switchyard_participants", ""), 0.0);
    assert_eq!(
        support::prometheus::post(server.control),
        "405 GET, HEAD",
        "POST /metrics"
    );

    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    phone.talk(700.0, Duration::from_secs(2));
    let received_before = before.value("switchyard_rtp_packets_received_total", "");
    let during = scrape_until(&server, "RTP counted", |s| {
        s.value("switchyard_rtp_packets_received_total", "") >= received_before + 50.0
    });
    let started = "switchyard_calls_started_total";
    assert_eq!(
        during.value(started, "direction=incoming"),
        before.value(started, "direction=incoming") + 1.0
    );
    assert_eq!(
        during.value("switchyard_calls_answered_total", ""),
        before.value("switchyard_calls_answered_total", "") + 1.0
    );
    assert_eq!(
        during.value("switchyard_call_setup_seconds_count", ""),
        before.value("switchyard_call_setup_seconds_count", "") + 1.0
    );
    assert_eq!(during.value("switchyard_calls_active", ""), 1.0);
    assert_eq!(during.value("switchyard_participants", ""), 1.0);
    assert_eq!(during.value("switchyard_guest_instances", ""), 1.0);
    assert!(
        during.value(DISPATCH_COUNT, WEBCONFERENCE) > before.value(DISPATCH_COUNT, WEBCONFERENCE),
        "the guest's dispatch histogram did not move"
    );
    assert!(during.value("switchyard_rtp_packets_sent_total", "") > 0.0);
    let requests = "switchyard_sip_requests_received_total";
    let responses = "switchyard_sip_responses_sent_total";
    for (name, labels) in [
        (requests, "method=INVITE"),
        (requests, "method=ACK"),
        (responses, "class=2xx"),
    ] {
        assert!(
            during.value(name, labels) >= before.value(name, labels) + 1.0,
            "{name}{{{labels}}} did not move"
        );
    }

    phone.hang_up();
    let after = scrape_until(&server, "the call ended", |s| {
        s.value("switchyard_calls_active", "") == 0.0
    });
    assert_eq!(
        after.value("switchyard_guest_traps_total", WEBCONFERENCE),
        0.0
    );
}

#[test]
fn invites_the_sip_endpoint_refuses_are_counted_under_their_cause() {
    let server = Server::start();
    let before = scrape(server.control);
    let refused_calls = |s: &Scrape| -> f64 {
        CALL_REFUSAL_CAUSES
            .iter()
            .map(|c| s.value(REFUSED_CALLS, &format!("cause={c}")))
            .sum()
    };
    // RFC 4028 §9: a session interval under the Min-SE (90 s by default) gets 422; an
    // Accept header excluding SDP leaves no answer to give (406). Neither reaches the call
    // core, so neither is a call started or refused; the retransmissions the phone's INVITE
    // may need are not counted again.
    for (extra, code, cause, member) in [
        (
            &["Session-Expires: 60", "Supported: timer"][..],
            422,
            "cause=session_interval_too_small",
            "sip_invites_refused_session_interval_too_small",
        ),
        (
            &["Accept: text/plain"][..],
            406,
            "cause=unusable_offer",
            "sip_invites_refused_unusable_offer",
        ),
    ] {
        let mut phone = Phone::dial(server.sip, "000777123", "alice", extra);
        assert_eq!(phone.await_answer(), code, "{cause}");
        let after = scrape_until(&server, cause, |s| {
            s.value(REFUSED_INVITES, cause) > before.value(REFUSED_INVITES, cause)
        });
        assert_eq!(
            after.value(REFUSED_INVITES, cause),
            before.value(REFUSED_INVITES, cause) + 1.0
        );
        assert_eq!(stats(&server).get(member), 1, "{member}");
    }
    let after = scrape(server.control);
    let started = "switchyard_calls_started_total";
    assert_eq!(
        after.value(started, "direction=incoming"),
        before.value(started, "direction=incoming"),
        "no call started"
    );
    assert_eq!(
        refused_calls(&after),
        refused_calls(&before),
        "no call refused"
    );
    assert_eq!(
        after.value("switchyard_calls_failed_total", ""),
        before.value("switchyard_calls_failed_total", ""),
        "no call failed"
    );
}

/// The server's report's SSRC and the middle 32 bits of its NTP timestamp (RFC 3550 §6.4.1:
/// what a report block's LSR names), read with `rtcp-types`; panics unless it is a compound
/// packet of a sender report and a source description.
fn sender_report(packet: &[u8]) -> (u32, u32) {
    let mut packets = Compound::parse(packet).expect("a compound RTCP packet");
    let Some(Ok(Packet::Sr(report))) = packets.next() else {
        panic!("a sender report first: {packet:?}");
    };
    assert!(report.packet_count() > 0 && report.octet_count() > 0);
    assert!(
        matches!(packets.next(), Some(Ok(Packet::Sdes(_)))),
        "a CNAME after it"
    );
    (report.ssrc(), (report.ntp_timestamp() >> 16) as u32)
}

#[test]
fn rtcp_reports_go_both_ways_are_counted_and_each_leg_is_summed_up_as_it_ends() {
    let server = Server::start();
    let before = scrape(server.control);
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    // The first report goes within about 3 s of the call's start, to the phone's RTP port + 1
    // from the server's; it is read, and the time it came taken, as it comes, talk or not.
    let rtcp = phone.rtcp_socket();
    let (report, from, received) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (report, from) =
                await_rtcp(&rtcp, Duration::from_secs(8)).expect("the server's first RTCP report");
            (report, from, Instant::now())
        });
        phone.talk(700.0, Duration::from_secs(1));
        reader.join().expect("the RTCP reader")
    });
    assert_eq!(from.port(), phone.media_address().port() + 1);
    let (server_ssrc, lsr) = sender_report(&report);
    // The phone's report on the server's stream: 3 packets lost, the sender report just
    // received held at least 0.5 s, as long as it was held in fact (DLSR in 1/65536 s, RFC
    // 3550 §6.4.1).
    std::thread::sleep(Duration::from_millis(500).saturating_sub(received.elapsed()));
    let held = received.elapsed();
    let block = ReportBlock::builder(server_ssrc)
        .cumulative_lost(3)
        .extended_sequence_number(1000)
        .last_sender_report_timestamp(lsr)
        .delay_since_last_sender_report_timestamp((held.as_secs_f64() * 65_536.0) as u32);
    let phone_report = ReceiverReport::builder(0x5EED).add_report_block(block);
    let mut packet = vec![0; phone_report.calculate_size().unwrap()];
    phone_report.write_into(&mut packet).unwrap();
    phone.send_rtcp(&packet);
    let counted = scrape_until(&server, "RTCP counted", |s| {
        s.value("switchyard_rtcp_round_trips_total", "") >= 1.0
    });
    for (name, labels) in [
        ("switchyard_rtcp_packets_received_total", ""),
        ("switchyard_rtcp_packets_sent_total", ""),
    ] {
        assert!(
            counted.value(name, labels) >= before.value(name, labels) + 1.0,
            "{name}"
        );
    }
    // The round trip on loopback, less the time the phone held the report: a few ms.
    let round_trip = counted.value("switchyard_rtcp_round_trip_seconds_total", "");
    assert!((0.0..0.1).contains(&round_trip), "{round_trip}");
    assert_eq!(
        counted.value("switchyard_rtcp_packets_dropped_total", "cause=malformed"),
        0.0
    );

    phone.hang_up();
    // The leg's last RTCP: a report, then the BYE of the server's stream (RFC 3550 §6.3.7).
    let bye = (0..20)
        .find_map(|_| {
            let (packet, _) = await_rtcp(&rtcp, Duration::from_millis(500))?;
            Compound::parse(&packet)
                .unwrap()
                .map(|packet| packet.expect("a valid RTCP packet"))
                .find_map(|packet| match packet {
                    Packet::Bye(bye) => Some(bye.ssrcs().collect::<Vec<_>>()),
                    _ => None,
                })
        })
        .expect("the server's RTCP BYE as the call ended");
    assert_eq!(bye, [server_ssrc]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let summary = loop {
        let log = server.log();
        if let Some(line) = log
            .lines()
            .find(|line| line.contains("its peer reports 3 of ours lost"))
        {
            break line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no summary of the leg logged as it ended:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Under its call's tag, as the call's other lines.
    assert!(summary.contains(" call=c"), "{summary}");
}
