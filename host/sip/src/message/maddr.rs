//! The Via `maddr` a response to a request received over UDP is sent to (RFC 3261 §18.2.2).

use std::net::IpAddr;

use crate::peer_address::may_be_sent_to;
use crate::via::Via;

/// The address the top Via `via` of a request received over UDP from `source` names in its
/// `maddr` parameter, if responses can go there: a unicast IP address (an IPv6 one with or
/// without brackets) of `source`'s family. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
/// is judged, and returned, as the IPv4 address it is. `None` when there is no `maddr` or
/// it names something else, and responses go to the source address instead.
pub(super) fn unicast_maddr(via: &Via<'_>, source: IpAddr) -> Option<IpAddr> {
    let text = via.param("maddr")??;
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    // A host name would need a DNS lookup (RFC 3263 §5), which a sans-IO endpoint cannot make
    // while it routes a response: it is ignored, as are values that are no address at all.
    // A mapped address is sent to as IPv4 (the sockets' IPv6 ones are IPv6-only), so it is
    // checked as IPv4: `[::ffff:127.0.0.1]` is a loopback address, of the IPv4 family.
    let ip = text.parse::<IpAddr>().ok()?.to_canonical();
    let source = source.to_canonical();
    // §18.2.2 sends to a multicast maddr with the Via's `ttl`, which the socket the response
    // leaves from does not set; responses leave from the address the request came to
    // (RFC 3581 §4), which reaches no address of the other family; an unspecified or broadcast
    // address names no one peer; a loopback one from a peer elsewhere would aim our responses
    // at this host's own services ([`may_be_sent_to`]). Each is ignored.
    let unicast = ip.is_ipv4() == source.is_ipv4() && may_be_sent_to(ip, source);
    unicast.then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::via;

    fn maddr(value: &str, source: &str) -> Option<IpAddr> {
        let via = via::parse(value).unwrap();
        unicast_maddr(&via, source.parse().unwrap())
    }

    #[test]
    fn only_a_unicast_address_of_the_sources_family_is_taken() {
        let v4 = "192.0.2.7";
        let v6 = "2001:db8::7";
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=198.51.100.4;branch=z9hG4bK1", v4),
            ip("198.51.100.4")
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;MADDR=[2001:db8::4]", v6),
            ip("2001:db8::4")
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=2001:db8::4", v6),
            ip("2001:db8::4")
        );
        for unusable in [
            "SIP/2.0/UDP h;branch=z9hG4bK1",
            "SIP/2.0/UDP h;maddr",
            "SIP/2.0/UDP h;maddr=proxy.example.com",
            "SIP/2.0/UDP h;maddr=224.0.1.75;ttl=16",
            "SIP/2.0/UDP h;maddr=0.0.0.0",
            "SIP/2.0/UDP h;maddr=255.255.255.255",
            "SIP/2.0/UDP h;maddr=[2001:db8::4]",
        ] {
            assert_eq!(maddr(unusable, v4), None, "{unusable}");
        }
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=[ff02::1]", v6), None);
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=198.51.100.4", v6), None);
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
            maddr("SIP/2.0/UDP h;maddr=[::ffff:198.51.100.4]", v6),
            None,
            "an IPv4 address, not of an IPv6 source's family"
        );
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=::ffff:198.51.100.4", v4),
            ip("198.51.100.4"),
            "the IPv4 address it is"
        );
        assert_eq!(maddr("SIP/2.0/UDP h;maddr=[::ffff:224.0.1.75]", v4), None);
        assert_eq!(
            maddr("SIP/2.0/UDP h;maddr=127.0.0.2", "127.0.0.1"),
            ip("127.0.0.2")
        );
    }
}
