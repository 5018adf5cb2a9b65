//! Connections counted by the address they come from, so that one host cannot hold every
//! connection the endpoint serves (a client that opens connections and sends nothing keeps
//! each for the header timeout, and can open them faster than they time out). An IPv6 host
//! is counted by its /64: one subscriber's network, whose addresses it may pick at will
//! (RFC 4291 §2.5.1 interface identifiers, RFC 8981 temporary addresses).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The connections open per peer address, at most `per_peer` each. Holds an entry only for an
/// address with a connection open: at most as many as connections are served.
#[derive(Debug)]
pub(crate) struct PeerConnections {
    per_peer: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection of a peer, counted until it is dropped.
#[derive(Debug)]
pub(crate) struct PeerSlot {
    peer: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PeerConnections {
    /// At most `per_peer` connections (at least 1) from one address.
    pub(crate) fn new(per_peer: usize) -> Self {
        PeerConnections {
            per_peer: per_peer.max(1),
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `peer` (an IPv4-mapped IPv6 address counts as its
    /// IPv4 one, any other IPv6 address as its /64); `None` if it has `per_peer` open.
    pub(crate) fn admit(&self, peer: IpAddr) -> Option<PeerSlot> {
        let peer = switchyard_net::host_of(peer);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(peer).or_default();
        if *count >= self.per_peer {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            peer,
            open: self.open.clone(),
        })
    }

    /// The addresses with a connection open.
    #[cfg(test)]
    fn peers(&self) -> usize {
        self.open.lock().map_or(0, |open| open.len())
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_peer_gets_its_share_and_its_entry_goes_with_its_last_connection() {
        let peers = PeerConnections::new(2);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = peers.admit(a).unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let second = peers.admit(mapped).expect("the same peer, mapped");
        assert!(peers.admit(a).is_none(), "a third from one peer");
        let other = peers.admit(b).expect("another peer");
        drop(first);
        let again = peers.admit(a).expect("a slot freed");
        drop((second, again, other));
        assert_eq!(peers.peers(), 0, "nothing kept for peers gone");
    }

    #[test]
    fn an_ipv6_network_shares_one_count_whatever_its_interface_ids() {
        let peers = PeerConnections::new(2);
        let addr = |text: &str| -> IpAddr { text.parse().unwrap() };
        let first = peers.admit(addr("2001:db8:1:2::1")).unwrap();
        let second = peers.admit(addr("2001:db8:1:2:abcd::9")).expect("same /64");
        assert!(
            peers
                .admit(addr("2001:db8:1:2:ffff:ffff:ffff:ffff"))
                .is_none(),
            "a third address of the /64"
        );
        let next = peers
            .admit(addr("2001:db8:1:3::1"))
            .expect("the next /64 is another peer");
        drop((first, second, next));
        assert_eq!(peers.peers(), 0);
    }
}
