//! Whether an address a peer names in a message, for us to send to, may be sent to.

use std::net::{IpAddr, Ipv4Addr};

/// Whether `ip`, named by the peer at `peer` as where it receives, could be that one peer's
/// own: not multicast or broadcast, which name no one peer, and not loopback unless the peer
/// is on this host too, as sending there from a peer elsewhere aims our messages at this
/// host's own services. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is judged as the IPv4
/// address it is; the unspecified address is left to the caller.
pub(crate) fn may_be_the_peers(ip: IpAddr, peer: IpAddr) -> bool {
    let (ip, peer) = (ip.to_canonical(), peer.to_canonical());
    !ip.is_multicast()
        && ip != IpAddr::V4(Ipv4Addr::BROADCAST)
        && (!ip.is_loopback() || peer.is_loopback())
}

/// Whether our messages may be sent to `ip`, an address `peer` named as its own: one
/// [`may_be_the_peers`] takes that is not unspecified (which names no one peer).
pub(crate) fn may_be_sent_to(ip: IpAddr, peer: IpAddr) -> bool {
    !ip.to_canonical().is_unspecified() && may_be_the_peers(ip, peer)
}

/// Whether a peer that names `named` as its own address and whose messages come from
/// `source` is behind NAT: `named` is an address of a private network, and `source` is not
/// one (nor loopback), so its messages crossed a NAT on their way here.
pub fn crossed_a_nat(named: IpAddr, source: IpAddr) -> bool {
    let source = source.to_canonical();
    is_private(named.to_canonical()) && !is_private(source) && !source.is_loopback()
}

/// Whether `ip` belongs to a private network: RFC 1918, RFC 6598's shared space, link-local,
/// RFC 4193's unique local addresses.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(ip: &str, peer: &str) -> bool {
        may_be_the_peers(ip.parse().unwrap(), peer.parse().unwrap())
    }

    #[test]
    fn only_an_address_the_peer_could_hold_is_taken() {
        assert!(judged("198.51.100.4", "192.0.2.7"));
        assert!(
            judged("2001:db8::4", "192.0.2.7"),
            "media of another family"
        );
        assert!(judged("127.0.0.1", "127.0.0.1"), "a peer on this host");
        assert!(judged("::ffff:127.0.0.2", "::1"));
        for refused in [
            "127.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "224.0.1.75",
            "ff02::1",
            "::ffff:239.1.1.1",
            "255.255.255.255",
        ] {
            assert!(!judged(refused, "192.0.2.7"), "{refused}");
        }
    }
}
