//! `GET /metrics` on the control endpoint of the real binary, read with the Prometheus
//! project's Python parser: every family is described, and a real call moves the counters.

mod support;

use std::time::{Duration, Instant};
use support::phone::Phone;
use support::prometheus::{Scrape, scrape};
use support::server::Server;

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
        "switchyard_call_setup_seconds",
        "switchyard_sip_messages_dropped",
        "switchyard_rtp_packets_received",
        "switchyard_rtp_packets_sent",
        "switchyard_rtp_packets_dropped",
        "switchyard_media_tick_lateness_seconds",
        "switchyard_media_worker_failures",
        "switchyard_panics",
        "switchyard_guest_dispatch_seconds",
        "switchyard_guest_traps",
        "switchyard_guest_timeouts",
        "switchyard_guest_out_of_fuel",
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
    // Two media workers (the test config), each with its own lateness histogram.
    for worker in ["worker=0", "worker=1"] {
        before.value("switchyard_media_tick_lateness_seconds_count", worker);
    }
    for failures in [
        "switchyard_media_worker_failures_total",
        "switchyard_panics_total",
    ] {
        assert_eq!(before.value(failures, ""), 0.0, "{failures}");
    }
    // The standard process metrics are the server's own.
    let open = before.value("process_open_fds", "");
    assert!(
        (open - server.open_fds() as f64).abs() <= 2.0,
        "process_open_fds {open}, /proc says {}",
        server.open_fds()
    );
    assert!(before.value("process_resident_memory_bytes", "") > 1e6);
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
