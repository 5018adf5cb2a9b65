//! The order the addresses of a name with both A and AAAA records are tried in (RFC 8305 §4):
//! the families alternate, IPv4 first, so that IPv6 routed but broken costs a placed call no
//! wait before its first IPv4 target.

use std::time::Duration;

use switchyard_net::testing::hickory_proto::rr::rdata::{A, AAAA};
use switchyard_net::testing::hickory_proto::rr::{RData, RecordType};
use switchyard_net::testing::{DnsServer, Zone};
use switchyard_net::{Resolver, Target, Transport};

/// `dual.test` with two addresses of each family.
fn zone() -> Zone {
    let a = |ip: &str| RData::A(A(ip.parse().unwrap()));
    let aaaa = |ip: &str| RData::AAAA(AAAA(ip.parse().unwrap()));
    [
        (
            ("dual.test".to_owned(), RecordType::A),
            vec![a("192.0.2.40"), a("192.0.2.41")],
        ),
        (
            ("dual.test".to_owned(), RecordType::AAAA),
            vec![aaaa("2001:db8::40"), aaaa("2001:db8::41")],
        ),
    ]
    .into_iter()
    .collect()
}

fn udp(addr: &str) -> Target {
    Target {
        transport: Transport::Udp,
        addr: addr.parse().unwrap(),
    }
}

#[tokio::test]
async fn the_families_of_a_dual_stack_name_alternate_ipv4_first() {
    let server = DnsServer::start(zone());
    let resolver = Resolver::with_name_server(server.addr(), 1).unwrap();
    for (uri, port) in [("sip:dual.test:5070", 5070), ("sip:dual.test", 5060)] {
        let targets = tokio::time::timeout(Duration::from_secs(10), resolver.resolve(uri))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert_eq!(
            targets,
            [
                udp(&format!("192.0.2.40:{port}")),
                udp(&format!("[2001:db8::40]:{port}")),
                udp(&format!("192.0.2.41:{port}")),
                udp(&format!("[2001:db8::41]:{port}")),
            ],
            "{uri}"
        );
    }
}
