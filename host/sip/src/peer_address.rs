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
