//! The Via `maddr` a response to a request received over UDP is sent to (RFC 3261 §18.2.2).

use std::net::IpAddr;

use crate::via::Via;

/// The address the top Via `via` of a request received over UDP from `source` names in its
/// `maddr` parameter, if responses can go there: only `source`'s own address (an IPv6 one
/// with or without brackets; an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`, counts as the
/// IPv4 address it is, and is returned as such). `None` when there is no `maddr` or it names
/// anything else, and responses go to the source address by the rules without it.
pub(super) fn source_maddr(via: &Via<'_>, source: IpAddr) -> Option<IpAddr> {
    let text = via.param("maddr")??;
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    // A host name would need a DNS lookup (RFC 3263 §5), which a sans-IO endpoint cannot make
    // while it routes a response: it is ignored, as are values that are no address at all.
    // A mapped address is sent to as IPv4 (the sockets' IPv6 ones are IPv6-only), so it is
    // compared as IPv4.
    let ip = text.parse::<IpAddr>().ok()?.to_canonical();
    // §18.2.2 would send to any maddr, but a peer naming another host would have us send a
    // response, and over UDP each retransmission of it, to a host its own source address does
    // not vouch for: a reflector aimed at a third party. A source address is never multicast,
    // broadcast or unspecified, nor of the other family, nor loopback from a peer elsewhere,
    // so none of those is taken either.
    (ip == source.to_canonical()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::via;

    fn maddr(value: &str, source: &str) -> Option<IpAddr> {
        let via = via::parse(value).unwrap();
        source_maddr(&via, source.parse().unwrap())
    }

    #[test]
    fn the_sources_own_address_is_taken() {
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=192.0.2.7;branch=z9hG4bK1", "192.0.2.7"),
            ip("192.0.2.7")
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;MADDR=[2001:db8::7]", "2001:db8::7"),
            ip("2001:db8::7")
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=2001:db8::7", "2001:db8::7"),
            ip("2001:db8::7")
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=::ffff:192.0.2.7", "192.0.2.7"),
            ip("192.0.2.7"),
            "the IPv4 address it is"
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=127.0.0.1", "127.0.0.1"),
            ip("127.0.0.1"),
            "a peer on this host"
        );
    }

    #[test]
    fn another_public_address_than_the_source_is_ignored() {
        // Responses there would reflect our traffic onto a host the peer chose.
        assert_eq!(
            maddr(
                "SIP/2.0/UDP h;maddr=198.51.100.4;branch=z9hG4bK1",
                "192.0.2.7"
            ),
            None
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=[2001:db8::4]", "2001:db8::7"),
            None
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=::ffff:198.51.100.4", "192.0.2.7"),
            None
        );
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=127.0.0.2", "127.0.0.1"), None);
    }

    #[test]
    fn what_names_no_one_peer_or_another_family_is_ignored() {
        let v4 = "192.0.2.7";
        let v6 = "2001:db8::7";
        for unusable in [
            "SIP/2.0/UDP h;branch=z9hG4bK1",
            "SIP/2.0/UDP h;maddr",
            "SIP/2.0/UDP h;maddr=proxy.example.com",
            "SIP/2.0/UDP h;maddr=224.0.1.75;ttl=16",
            "SIP/2.0/UDP h;maddr=0.0.0.0",
            "SIP/2.0/UDP h;maddr=255.255.255.255",
            "SIP/2.0/UDP h;maddr=[2001:db8::7]",
            "SIP/2.0/UDP h;maddr=[::ffff:224.0.1.75]",
        ] {
            assert_eq!(maddr(unusable, v4), None, "{unusable}");
        }
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=[ff02::1]", v6), None);
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=192.0.2.7", v6), None);
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=127.0.0.1", v4),
            None,
            "this host, named by a peer elsewhere"
        );
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=[::1]", v6), None);
        for source in [v4, v6] {
            assert_eq!(
                maddr("SIP/2.0/UDP h;maddr=[::ffff:127.0.0.1]", source),
                None,
                "this host, IPv4-mapped, named by a peer elsewhere ({source})"
            );
        }
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=[::ffff:192.0.2.7]", v6),
            None,
            "an IPv4 address, not of an IPv6 source's family"
        );
    }
}
