//! The RFC 3263 resolver against a DNS server of the test's own on a loopback port: NAPTR to
//! SRV to A/AAAA, SRV without NAPTR, A/AAAA without SRV, explicit ports, IP literals and
//! lookups that fail.

use std::time::Duration;

use switchyard_net::testing::hickory_proto::rr::rdata::{A, AAAA, NAPTR, SRV};
use switchyard_net::testing::hickory_proto::rr::{RData, RecordType};
use switchyard_net::testing::{DnsServer, Questions, Zone, name};
use switchyard_net::{
    MAX_RESOLVED, ResolveError, Resolver, Target, Transport, Unsendable, check_routable,
};

/// A NAPTR record of the SIP services `services` (flag `s`: SRV next) at `replacement`.
fn naptr(order: u16, preference: u16, services: &str, replacement: &str) -> RData {
    RData::NAPTR(NAPTR::new(
        order,
        preference,
        b"s".to_vec().into(),
        services.as_bytes().to_vec().into(),
        Vec::new().into(),
        name(replacement),
    ))
}

/// An SRV record of weight 0.
fn srv(priority: u16, port: u16, target: &str) -> RData {
    RData::SRV(SRV::new(priority, 0, port, name(target)))
}

/// An A record of `ip`.
fn a(ip: &str) -> RData {
    RData::A(A(ip.parse().unwrap()))
}

/// An AAAA record of `ip`.
fn aaaa(ip: &str) -> RData {
    RData::AAAA(AAAA(ip.parse().unwrap()))
}

/// The records every test's server holds.
fn zone() -> Zone {
    [
        (
            ("naptr.test", RecordType::NAPTR),
            vec![
                naptr(10, 20, "SIP+D2U", "_sip._udp.naptr.test"),
                naptr(10, 10, "SIP+D2T", "_sip._tcp.naptr.test"),
                naptr(5, 10, "SIPS+D2T", "_sips._tcp.naptr.test"),
                // Order 20 is not followed: order 10 has supported services.
                naptr(20, 10, "SIP+D2U", "_sip._udp.backup.naptr.test"),
            ],
        ),
        (
            ("_sip._tcp.naptr.test", RecordType::SRV),
            vec![srv(2, 5072, "b.naptr.test"), srv(1, 5070, "a.naptr.test")],
        ),
        (
            ("_sip._udp.naptr.test", RecordType::SRV),
            vec![srv(1, 5080, "b.naptr.test")],
        ),
        (("a.naptr.test", RecordType::A), vec![a("192.0.2.10")]),
        (
            ("b.naptr.test", RecordType::AAAA),
            vec![aaaa("2001:db8::10")],
        ),
        (
            ("_sip._tcp.srv.test", RecordType::SRV),
            vec![srv(1, 5090, "host.srv.test")],
        ),
        (("host.srv.test", RecordType::A), vec![a("192.0.2.20")]),
        (("plain.test", RecordType::A), vec![a("192.0.2.30")]),
        (
            ("_sip._udp.wide.test", RecordType::SRV),
            (0..10)
                .map(|n| srv(1, 5000 + n, &format!("h{n}.wide.test")))
                .collect(),
        ),
        (("plain.test", RecordType::AAAA), vec![aaaa("2001:db8::30")]),
        (
            ("tcponly.test", RecordType::NAPTR),
            vec![naptr(10, 10, "SIP+D2T", "_sip._tcp.tcponly.test")],
        ),
        (("tcponly.test", RecordType::A), vec![a("203.0.113.5")]),
        (
            ("_sip._udp.backup.naptr.test", RecordType::SRV),
            vec![srv(1, 5060, "plain.test")],
        ),
        // Three names of two load balancers' addresses.
        (
            ("_sip._udp.alias.test", RecordType::SRV),
            vec![
                srv(1, 5060, "lb1.alias.test"),
                srv(2, 5060, "lb2.alias.test"),
                srv(3, 5060, "lb3.alias.test"),
            ],
        ),
        (("lb1.alias.test", RecordType::A), vec![a("192.0.2.60")]),
        (
            ("lb2.alias.test", RecordType::A),
            vec![a("192.0.2.60"), a("192.0.2.61")],
        ),
        (("lb3.alias.test", RecordType::A), vec![a("192.0.2.61")]),
        // Two targets whose servers are down (see `slow_servers`) before two that answer.
        (
            ("_sip._udp.slow.test", RecordType::SRV),
            vec![
                srv(1, 5060, "down1.slow.test"),
                srv(2, 5060, "down2.slow.test"),
                srv(3, 5060, "up1.slow.test"),
                srv(4, 5060, "up2.slow.test"),
            ],
        ),
        (("up1.slow.test", RecordType::A), vec![a("192.0.2.70")]),
        // One target whose servers are down (see `slow_servers`) before one that answers.
        (
            ("_sip._udp.one.slow.test", RecordType::SRV),
            vec![
                srv(1, 5060, "down1.slow.test"),
                srv(2, 5060, "up1.slow.test"),
            ],
        ),
        // Two services whose SRV servers are down (see `slow_servers`) before one that answers.
        (
            ("services.slow.test", RecordType::NAPTR),
            vec![
                naptr(10, 10, "SIP+D2U", "_sip._udp.down.slow.test"),
                naptr(10, 20, "SIP+D2T", "_sip._tcp.down.slow.test"),
                naptr(10, 30, "SIP+D2U", "_sip._udp.up.slow.test"),
            ],
        ),
        (
            ("_sip._udp.up.slow.test", RecordType::SRV),
            vec![srv(1, 5062, "up1.slow.test")],
        ),
        (
            ("up2.slow.test", RecordType::AAAA),
            vec![aaaa("2001:db8::70")],
        ),
        // What a filtering resolver answers for a name it blocks.
        (("blocked.test", RecordType::A), vec![a("0.0.0.0")]),
        (("blocked.test", RecordType::AAAA), vec![aaaa("::")]),
        (
            ("mixed.test", RecordType::A),
            vec![
                a("0.0.0.0"),
                a("224.0.0.1"),
                a("255.255.255.255"),
                a("192.0.2.80"),
            ],
        ),
        (
            ("mixed.test", RecordType::AAAA),
            vec![aaaa("::"), aaaa("ff02::1"), aaaa("2001:db8::80")],
        ),
        (
            ("_sip._udp.portless.test", RecordType::SRV),
            vec![srv(1, 0, "plain.test"), srv(2, 5090, "host.srv.test")],
        ),
    ]
    .into_iter()
    .map(|((n, t), data)| ((n.to_owned(), t), data))
    .chain(sites())
    .chain(far())
    .chain(many())
    .chain((0..10).map(|n| {
        let addresses = (1..=10)
            .map(|i| a(&format!("192.0.2.{}", 10 * n + i)))
            .collect();
        ((format!("h{n}.wide.test"), RecordType::A), addresses)
    }))
    .collect()
}

/// `sites.test`: four primary hosts (SRV priority 10) of an IPv4 and an IPv6 address each,
/// and a backup (priority 20) of an IPv4 address only.
fn sites() -> Vec<((String, RecordType), Vec<RData>)> {
    let primaries = (1..=4).map(|n| format!("a{n}.sites.test"));
    let mut records: Vec<_> = primaries
        .clone()
        .enumerate()
        .flat_map(|(n, host)| {
            [
                (
                    (host.clone(), RecordType::A),
                    vec![a(&format!("192.0.2.4{n}"))],
                ),
                (
                    (host, RecordType::AAAA),
                    vec![aaaa(&format!("2001:db8::4{n}"))],
                ),
            ]
        })
        .collect();
    let mut services: Vec<_> = primaries.map(|host| srv(10, 5060, &host)).collect();
    services.push(srv(20, 5060, "backup.sites.test"));
    records.push((
        ("_sip._udp.sites.test".to_owned(), RecordType::SRV),
        services,
    ));
    records.push((
        ("backup.sites.test".to_owned(), RecordType::A),
        vec![a("198.51.100.20")],
    ));
    records
}

/// `far.test`: seven hosts (SRV priorities 1 to 7) of ten addresses each in 198.51.100.0/24,
/// then one (priority 8) of the address 203.0.113.80.
fn far() -> Vec<((String, RecordType), Vec<RData>)> {
    let host = |n: u16| format!("f{n}.far.test");
    let mut records: Vec<_> = (1..=7)
        .map(|n| {
            let addresses = (0..10)
                .map(|i| a(&format!("198.51.100.{}", 10 * n + i)))
                .collect();
            ((host(n), RecordType::A), addresses)
        })
        .collect();
    records.push(((host(8), RecordType::A), vec![a("203.0.113.80")]));
    records.push((
        ("_sip._udp.far.test".to_owned(), RecordType::SRV),
        (1..=8).map(|n| srv(n, 5060, &host(n))).collect(),
    ));
    records
}

/// How many SRV records `_sip._udp.many.test` has: more than a resolution follows, as many
/// as fit in a DNS answer over UDP.
const MANY_SRV: u16 = 30;

/// `_sip._udp.many.test`: [`MANY_SRV`] SRV records, of hosts `m<n>.many.test` without
/// addresses.
fn many() -> Vec<((String, RecordType), Vec<RData>)> {
    let records = (0..MANY_SRV)
        .map(|n| srv(n, 5060, &format!("m{n}.many.test")))
        .collect();
    vec![(("_sip._udp.many.test".to_owned(), RecordType::SRV), records)]
}

fn target(transport: Transport, addr: &str) -> Target {
    Target {
        transport,
        addr: addr.parse().unwrap(),
    }
}

/// A resolver asking `server`, which answers while it is kept.
fn resolver_asking(server: DnsServer) -> (Resolver, DnsServer) {
    (
        Resolver::with_name_server(server.addr(), 1).unwrap(),
        server,
    )
}

/// A resolver asking a server that holds [`zone`]; the server answers while it is kept.
fn resolver() -> (Resolver, DnsServer) {
    resolver_asking(DnsServer::start(zone()))
}

/// `list` as a server takes it.
fn questions(list: &[(&str, RecordType)]) -> Questions {
    list.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect()
}

/// A resolver asking a server that holds [`zone`] but never answers `silent`.
fn silent_resolver(silent: &[(&str, RecordType)]) -> (Resolver, DnsServer) {
    resolver_asking(DnsServer::start_with(
        zone(),
        Questions::new(),
        questions(silent),
    ))
}

/// A resolver asking a server that holds [`zone`] but answers SERVFAIL to `failing`.
fn failing_resolver(failing: &[(&str, RecordType)]) -> (Resolver, DnsServer) {
    resolver_asking(DnsServer::start_failing(zone(), questions(failing)))
}

/// Longer than any answer of a server on loopback takes, however loaded the machine: with it,
/// the lookups go strictly one by one.
const PATIENT_OVERLAP: Duration = Duration::from_secs(5);

/// As [`resolver`], but starting no lookup beside another before [`PATIENT_OVERLAP`].
fn patient_resolver() -> (Resolver, DnsServer) {
    let (resolver, server) = resolver();
    (resolver.with_lookup_overlap(PATIENT_OVERLAP), server)
}

async fn resolve(resolver: &Resolver, uri: &str) -> Result<Vec<Target>, ResolveError> {
    tokio::time::timeout(Duration::from_secs(10), resolver.resolve(uri))
        .await
        .unwrap_or_else(|_| panic!("{uri}: no answer within 10 s"))
}

/// [`Resolver::resolve_within`], every address usable.
async fn resolve_within(
    resolver: &Resolver,
    uri: &str,
    wanted: usize,
    time: Duration,
) -> Result<Vec<Target>, ResolveError> {
    resolver.resolve_within(uri, wanted, time, |_| true).await
}

/// The names `server` was asked about since the last look, in order.
fn names_asked(server: &DnsServer) -> Vec<String> {
    server.take_asked().into_iter().map(|(n, _)| n).collect()
}

/// The names starting with `h` (the `h<n>.wide.test` hosts) `server` was asked about since
/// the last look.
fn wide_hosts_asked(server: &DnsServer) -> std::collections::BTreeSet<String> {
    names_asked(server)
        .into_iter()
        .filter(|n| n.starts_with('h'))
        .collect()
}

#[tokio::test]
async fn naptr_leads_to_srv_then_addresses_in_order() {
    let (resolver, server) = resolver();
    let targets = resolve(&resolver, "sip:alice@naptr.test").await.unwrap();
    assert_eq!(
        targets,
        [
            target(Transport::Tcp, "192.0.2.10:5070"),
            target(Transport::Tcp, "[2001:db8::10]:5072"),
            target(Transport::Udp, "[2001:db8::10]:5080"),
        ]
    );
    let questions = server.take_asked();
    assert_eq!(questions[0], ("naptr.test".into(), RecordType::NAPTR));
    assert!(
        !questions.iter().any(|(n, _)| n.starts_with("_sips")),
        "SIPS services are not followed: {questions:?}"
    );
    assert!(
        !questions.iter().any(|(n, _)| n.contains("backup")),
        "NAPTR records of a higher order are not followed: {questions:?}"
    );
}

#[tokio::test]
async fn a_transport_and_address_found_twice_is_one_target() {
    let (resolver, _server) = resolver();
    let targets = resolve(&resolver, "sip:alias.test;transport=udp")
        .await
        .unwrap();
    assert_eq!(
        targets,
        [
            target(Transport::Udp, "192.0.2.60:5060"),
            target(Transport::Udp, "192.0.2.61:5060"),
        ]
    );
    // The second target wanted is the second address, not the first one again.
    let targets = resolve_within(
        &resolver,
        "sip:alias.test;transport=udp",
        2,
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(
        targets,
        [
            target(Transport::Udp, "192.0.2.60:5060"),
            target(Transport::Udp, "192.0.2.61:5060"),
        ]
    );
}

/// A resolver asking a server that holds [`zone`] and never answers for the addresses of
/// `down1.slow.test` and `down2.slow.test`, nor for the SRV records of
/// `_sip._udp.down.slow.test` and `_sip._tcp.down.slow.test`.
fn slow_servers() -> (Resolver, DnsServer) {
    silent_resolver(&[
        ("down1.slow.test", RecordType::A),
        ("down1.slow.test", RecordType::AAAA),
        ("down2.slow.test", RecordType::A),
        ("down2.slow.test", RecordType::AAAA),
        ("_sip._udp.down.slow.test", RecordType::SRV),
        ("_sip._tcp.down.slow.test", RecordType::SRV),
    ])
}

#[tokio::test]
async fn targets_whose_servers_do_not_answer_cost_one_wait_not_one_each() {
    let (resolver, _server) = slow_servers();
    // An unanswered lookup ends after 3 s (1.5 s, sent twice): the two down targets, asked
    // one after the other, would use up the 5 s given before the targets that answer.
    let targets = resolve_within(
        &resolver,
        "sip:slow.test;transport=udp",
        8,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(
        targets,
        [
            target(Transport::Udp, "192.0.2.70:5060"),
            target(Transport::Udp, "[2001:db8::70]:5060"),
        ]
    );
}

#[tokio::test]
async fn without_naptr_srv_is_asked_for_each_transport() {
    let (resolver, server) = resolver();
    let targets = resolve(&resolver, "sip:srv.test").await.unwrap();
    assert_eq!(targets, [target(Transport::Tcp, "192.0.2.20:5090")]);
    let questions = names_asked(&server);
    assert_eq!(
        &questions[..3],
        ["srv.test", "_sip._udp.srv.test", "_sip._tcp.srv.test"]
    );
}

#[tokio::test]
async fn a_zone_of_many_records_gives_at_most_max_resolved_targets_and_stops_asking() {
    let (resolver, server) = patient_resolver();
    let targets = resolve(&resolver, "sip:bob@wide.test").await.unwrap();
    // Ten SRV records of ten addresses each: 100 targets in the zone.
    assert_eq!(targets.len(), MAX_RESOLVED);
    let asked_addresses = server
        .take_asked()
        .iter()
        .filter(|(n, t)| n.starts_with('h') && *t == RecordType::A)
        .count();
    assert!(
        asked_addresses < 10,
        "the lookups stop once enough targets are found: {asked_addresses} hosts asked"
    );
}

#[tokio::test]
async fn without_srv_the_addresses_are_used_on_5060_over_udp() {
    let (resolver, _server) = resolver();
    let mut targets = resolve(&resolver, "sip:plain.test").await.unwrap();
    targets.sort_by_key(|t| t.addr);
    assert_eq!(
        targets,
        [
            target(Transport::Udp, "192.0.2.30:5060"),
            target(Transport::Udp, "[2001:db8::30]:5060"),
        ]
    );
}

#[tokio::test]
async fn without_srv_the_addresses_use_the_transport_naptr_chose() {
    let (resolver, _server) = resolver();
    let targets = resolve(&resolver, "sip:tcponly.test").await.unwrap();
    assert_eq!(targets, [target(Transport::Tcp, "203.0.113.5:5060")]);
}

#[tokio::test]
async fn an_explicit_port_asks_for_addresses_only() {
    let (resolver, server) = resolver();
    let targets = resolve(&resolver, "sip:plain.test:5099;transport=tcp")
        .await
        .unwrap();
    assert!(targets.contains(&target(Transport::Tcp, "192.0.2.30:5099")));
    let kinds: Vec<_> = server
        .take_asked()
        .into_iter()
        .map(|(_, kind)| kind)
        .collect();
    assert!(
        kinds
            .iter()
            .all(|k| matches!(k, RecordType::A | RecordType::AAAA)),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn the_host_is_the_one_after_the_userinfo() {
    let (resolver, server) = resolver();
    // A `?` may be part of the user (RFC 3261 §25.1, user-unreserved); the host follows the
    // "@" that ends the userinfo.
    for uri in [
        "sip:a?b@plain.test:5099",
        "sip:a@plain.test:5099;x=b@nowhere.test",
    ] {
        let targets = resolve(&resolver, uri).await.unwrap();
        assert!(
            targets.contains(&target(Transport::Udp, "192.0.2.30:5099")),
            "{uri}: {targets:?}"
        );
        let asked = names_asked(&server);
        assert!(asked.iter().all(|n| n == "plain.test"), "{uri}: {asked:?}");
    }
}

#[tokio::test]
async fn ip_literals_need_no_dns_and_unknown_names_are_not_found() {
    let (resolver, server) = resolver();
    assert_eq!(
        resolve(&resolver, "sip:bob@[2001:db8::1]").await.unwrap(),
        [target(Transport::Udp, "[2001:db8::1]:5060")]
    );
    assert_eq!(
        resolve(&resolver, "sip:192.0.2.1:5070;transport=tcp")
            .await
            .unwrap(),
        [target(Transport::Tcp, "192.0.2.1:5070")]
    );
    assert!(server.take_asked().is_empty(), "no DNS for IP literals");
    assert_eq!(
        resolve(&resolver, "sip:nowhere.test").await,
        Err(ResolveError::NotFound("sip:nowhere.test".into()))
    );
    assert_eq!(
        resolve(&resolver, "sips:plain.test").await,
        Err(ResolveError::TlsUnsupported)
    );
}

#[tokio::test]
async fn a_failing_lookup_is_skipped_and_the_other_names_still_tried() {
    let (resolver, server) = failing_resolver(&[
        ("a.naptr.test", RecordType::A),
        ("a.naptr.test", RecordType::AAAA),
        ("_sip._udp.naptr.test", RecordType::SRV),
    ]);
    let targets = resolve(&resolver, "sip:alice@naptr.test").await.unwrap();
    assert_eq!(
        targets,
        [target(Transport::Tcp, "[2001:db8::10]:5072")],
        "the first SRV target and the UDP service failed"
    );
    let names = names_asked(&server);
    for asked in ["a.naptr.test", "b.naptr.test", "_sip._udp.naptr.test"] {
        assert!(names.iter().any(|n| n == asked), "{asked} in {names:?}");
    }
}

#[tokio::test]
async fn a_failing_naptr_lookup_falls_back_to_srv() {
    let (resolver, _server) = failing_resolver(&[("srv.test", RecordType::NAPTR)]);
    let targets = resolve(&resolver, "sip:srv.test").await.unwrap();
    assert_eq!(targets, [target(Transport::Tcp, "192.0.2.20:5090")]);
}

#[tokio::test]
async fn a_failure_is_the_error_only_when_nothing_is_found() {
    let (resolver, _server) = failing_resolver(&[
        ("plain.test", RecordType::A),
        ("plain.test", RecordType::AAAA),
    ]);
    let result = resolve(&resolver, "sip:plain.test:5099").await;
    assert!(matches!(result, Err(ResolveError::Dns(_))), "{result:?}");
    assert_eq!(
        resolve(&resolver, "sip:nowhere.test:5099").await,
        Err(ResolveError::NotFound("sip:nowhere.test:5099".into())),
        "a name without records is no failure"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_naptr_leaves_time_for_srv_and_addresses() {
    let (resolver, _server) = silent_resolver(&[("srv.test", RecordType::NAPTR)]);
    // Within the 10 s `resolve` gives it, as a call gives its resolution.
    let targets = resolve(&resolver, "sip:srv.test").await.unwrap();
    assert_eq!(targets, [target(Transport::Tcp, "192.0.2.20:5090")]);
}

#[tokio::test]
async fn within_a_time_the_targets_found_by_then_are_the_answer() {
    // The second SRV target's addresses never come: its servers are down.
    let (resolver, _server) = silent_resolver(&[
        ("b.naptr.test", RecordType::A),
        ("b.naptr.test", RecordType::AAAA),
    ]);
    let started = tokio::time::Instant::now();
    let targets = resolve_within(&resolver, "sip:naptr.test", 8, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(targets, [target(Transport::Tcp, "192.0.2.10:5070")]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Nothing found by then is the error.
    let result = resolve_within(
        &resolver,
        "sip:b.naptr.test:5060",
        8,
        Duration::from_millis(300),
    )
    .await;
    assert!(matches!(result, Err(ResolveError::Dns(_))), "{result:?}");
}

#[tokio::test]
async fn the_lookups_stop_once_the_targets_wanted_are_found() {
    let (resolver, server) = patient_resolver();
    let targets = resolve_within(&resolver, "sip:wide.test", 8, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(targets.len(), 8);
    let hosts = wide_hosts_asked(&server);
    assert_eq!(
        hosts.len(),
        1,
        "the first host's ten addresses were enough: {hosts:?}"
    );
}

#[tokio::test]
async fn only_the_targets_the_host_can_use_count_towards_those_wanted() {
    let (resolver, _server) = resolver();
    let ipv4_only = |ip: std::net::IpAddr| ip.is_ipv4();
    let targets = resolver
        .resolve_within("sip:sites.test", 8, Duration::from_secs(10), ipv4_only)
        .await
        .unwrap();
    let usable: Vec<_> = targets.iter().filter(|t| ipv4_only(t.addr.ip())).collect();
    assert_eq!(usable.len(), 5, "{targets:?}");
    assert_eq!(
        usable.last().map(|t| t.addr),
        Some("198.51.100.20:5060".parse().unwrap()),
        "the backup site comes after the four primaries: {targets:?}"
    );
}

#[tokio::test]
async fn services_whose_servers_do_not_answer_cost_one_wait_not_one_each() {
    let (resolver, _server) = slow_servers();
    // As above, for the SRV lookups of the services NAPTR gives.
    let targets = resolve_within(
        &resolver,
        "sip:services.slow.test",
        8,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(targets, [target(Transport::Udp, "192.0.2.70:5062")]);
}

#[tokio::test]
async fn the_lookup_overlap_set_lets_slow_answers_come_before_the_next_lookup() {
    // Each answer comes 400 ms after its query: later than the 250 ms a lookup runs alone
    // by default, sooner than the overlap set.
    let (resolver, server) =
        resolver_asking(DnsServer::start_delayed(zone(), Duration::from_millis(400)));
    let resolver = resolver.with_lookup_overlap(PATIENT_OVERLAP);
    let targets = resolve_within(&resolver, "sip:wide.test", 8, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(targets.len(), 8);
    let hosts = wide_hosts_asked(&server);
    assert_eq!(
        hosts.len(),
        1,
        "no second host is asked while the first one's answer is on its way: {hosts:?}"
    );
}

#[tokio::test]
async fn one_target_wanted_still_has_the_next_lookup_started_beside_a_silent_one() {
    let (resolver, _server) = slow_servers();
    // The first target's lookup ends after 3 s unanswered: later than the 2 s given.
    let started = tokio::time::Instant::now();
    let targets = resolve_within(
        &resolver,
        "sip:one.slow.test;transport=udp",
        1,
        Duration::from_secs(2),
    )
    .await
    .unwrap();
    assert_eq!(targets, [target(Transport::Udp, "192.0.2.70:5060")]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn an_address_no_request_may_be_sent_to_is_passed_over_when_written() {
    let (resolver, server) = resolver();
    for (uri, why) in [
        ("sip:bob@0.0.0.0", Unsendable::Unspecified),
        ("sip:bob@[::]", Unsendable::Unspecified),
        ("sip:bob@[::ffff:0.0.0.0]", Unsendable::Unspecified),
        ("sip:bob@224.0.0.1", Unsendable::Multicast),
        ("sip:bob@255.255.255.255", Unsendable::Broadcast),
        ("sip:bob@192.0.2.1:0", Unsendable::PortZero),
        ("sip:bob@plain.test;maddr=0.0.0.0", Unsendable::Unspecified),
        (
            "sip:bob@plain.test;maddr=192.0.2.1;maddr=0.0.0.0",
            Unsendable::Unspecified,
        ),
    ] {
        assert_eq!(
            resolve(&resolver, uri).await,
            Err(ResolveError::NotFound(uri.to_owned())),
            "{uri}"
        );
        // The check of a configured URI refuses what resolving it would pass over.
        assert_eq!(
            check_routable(uri),
            Err(ResolveError::Unsendable(why)),
            "{uri}"
        );
    }
    assert_eq!(
        check_routable("sip:bob@plain.test;maddr=0.0.0.0;maddr=192.0.2.1"),
        Ok(()),
        "the last maddr is the address"
    );
    assert!(server.take_asked().is_empty(), "no DNS for IP literals");
}

#[tokio::test]
async fn an_address_no_request_may_be_sent_to_is_passed_over_when_found() {
    let (resolver, _server) = resolver();
    for uri in ["sip:bob@blocked.test", "sip:bob@plain.test:0"] {
        assert_eq!(
            resolve(&resolver, uri).await,
            Err(ResolveError::NotFound(uri.to_owned())),
            "{uri}"
        );
    }
    assert_eq!(
        resolve(&resolver, "sip:mixed.test:5070").await.unwrap(),
        [
            target(Transport::Udp, "192.0.2.80:5070"),
            target(Transport::Udp, "[2001:db8::80]:5070"),
        ],
        "unspecified, multicast and broadcast addresses are passed over"
    );
    assert_eq!(
        resolve(&resolver, "sip:portless.test;transport=udp")
            .await
            .unwrap(),
        [target(Transport::Udp, "192.0.2.20:5090")],
        "an SRV record of port 0 is passed over"
    );
    // Nor do they count towards the targets wanted.
    assert_eq!(
        resolve_within(&resolver, "sip:mixed.test:5070", 1, Duration::from_secs(10))
            .await
            .unwrap(),
        [target(Transport::Udp, "192.0.2.80:5070")]
    );
}

#[tokio::test]
async fn targets_the_host_cannot_reach_do_not_stop_the_lookups() {
    let (resolver, _server) = resolver();
    // Seventy targets the host has no route to, then one it has.
    let unrouted = |ip: std::net::IpAddr| ip.to_string().starts_with("198.51.100.");
    let targets = resolver
        .resolve_within(
            "sip:far.test;transport=udp",
            8,
            Duration::from_secs(10),
            |ip| !unrouted(ip),
        )
        .await
        .unwrap();
    assert_eq!(
        targets.last(),
        Some(&target(Transport::Udp, "203.0.113.80:5060")),
        "{targets:?}"
    );
    assert_eq!(
        targets.len(),
        MAX_RESOLVED - 8 + 1,
        "those refused are kept while they leave room for the 8 wanted"
    );
}

#[tokio::test]
async fn a_resolution_follows_at_most_sixteen_srv_records() {
    let (resolver, server) = resolver();
    let uri = "sip:many.test;transport=udp";
    assert_eq!(
        resolve(&resolver, uri).await,
        Err(ResolveError::NotFound(uri.to_owned()))
    );
    let asked = server.take_asked();
    assert!(
        asked
            .iter()
            .any(|question| *question == ("_sip._udp.many.test".to_owned(), RecordType::SRV)),
        "{asked:?}"
    );
    let hosts: std::collections::BTreeSet<_> = asked
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.ends_with(".many.test") && name.starts_with('m'))
        .collect();
    assert_eq!(
        hosts,
        (0..16).map(|n| format!("m{n}.many.test")).collect(),
        "the first sixteen by priority, of {MANY_SRV}"
    );
}
