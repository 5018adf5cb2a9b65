//! RFC 3263 §4.3: the targets a placed call's INVITE may go to, tried in turn while
//! each fails as a next hop.

use std::net::{IpAddr, SocketAddr};
use std::vec;
use switchyard_sip::{OutgoingCall, Transport};

/// The most targets one placed call tries, its first included; a longer list
/// is cut, so that a DNS zone cannot make one call send INVITEs without bound.
pub const MAX_TARGETS: usize = 8;

/// Where an INVITE may go: the transport and the next hop's address.
pub(crate) type Target = (Transport, SocketAddr);

/// The targets a placed call has not tried yet, most preferred first, and the
/// INVITE it sends to each of them.
#[derive(Debug)]
pub(crate) struct Failover {
    invite: OutgoingCall,
    left: vec::IntoIter<Target>,
}

/// The first of `targets` (at most [`MAX_TARGETS`] of which count), and the
/// rest; `None` if there are none.
pub(crate) fn first(mut targets: Vec<Target>) -> Option<(Target, vec::IntoIter<Target>)> {
    targets.truncate(MAX_TARGETS);
    let mut left = targets.into_iter();
    left.next().map(|target| (target, left))
}

impl Failover {
    /// `invite` was sent to the first target; `left` are the others.
    pub(crate) fn new(invite: OutgoingCall, left: vec::IntoIter<Target>) -> Failover {
        Failover { invite, left }
    }

    /// The INVITE for the next target whose address `usable` accepts (the others
    /// are passed over for good), or `None` when no target is left.
    pub(crate) fn next(&mut self, mut usable: impl FnMut(IpAddr) -> bool) -> Option<OutgoingCall> {
        let (transport, destination) = self.left.find(|(_, addr)| usable(addr.ip()))?;
        Some(OutgoingCall {
            transport,
            destination,
            ..self.invite.clone()
        })
    }

    /// The INVITEs to the targets left go from our SIP address `local` (their Via and
    /// Contact), with `offer`: the call moved there, and its earlier offer's port is
    /// released.
    pub(crate) fn move_to(&mut self, local: SocketAddr, offer: String) {
        self.invite.local = local;
        self.invite.sdp_offer = offer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(n: u16) -> Target {
        (Transport::Udp, SocketAddr::from(([192, 0, 2, 1], 5060 + n)))
    }

    fn invite() -> OutgoingCall {
        OutgoingCall {
            request_uri: "sip:bob@example.com".into(),
            from: "<sip:alice@192.0.2.9>".into(),
            to: "<sip:bob@example.com>".into(),
            headers: Vec::new(),
            route: Vec::new(),
            destination: target(0).1,
            transport: Transport::Udp,
            local: SocketAddr::from(([192, 0, 2, 9], 5060)),
            sdp_offer: String::new(),
            credentials: None,
            max_forwards: switchyard_sip::MAX_FORWARDS,
        }
    }

    #[test]
    fn targets_are_tried_in_order_up_to_the_limit() {
        let (first, left) = first((0..20).map(target).collect()).expect("a target");
        assert_eq!(first, target(0));
        let mut failover = Failover::new(invite(), left);
        let tried: Vec<u16> =
            std::iter::from_fn(|| failover.next(|_| true).map(|i| i.destination.port() - 5060))
                .collect();
        assert_eq!(tried, (1..MAX_TARGETS as u16).collect::<Vec<_>>());
    }

    #[test]
    fn unusable_targets_are_passed_over_and_none_is_no_first() {
        assert!(first(Vec::new()).is_none());
        let v6 = (Transport::Tcp, "[2001:db8::1]:5060".parse().unwrap());
        let (_, left) = first(vec![target(0), v6, target(2)]).unwrap();
        let mut failover = Failover::new(invite(), left);
        let next = failover.next(|ip| ip.is_ipv4()).expect("the IPv4 target");
        assert_eq!((next.transport, next.destination), target(2));
        assert_eq!(next.request_uri, "sip:bob@example.com");
        assert!(failover.next(|_| true).is_none());
    }

    #[test]
    fn after_a_move_the_targets_left_get_the_new_local_end() {
        let (_, left) = first((0..3).map(target).collect()).unwrap();
        let mut failover = Failover::new(invite(), left);
        let local = SocketAddr::from(([192, 0, 2, 10], 5062));
        failover.move_to(local, "v=0 moved".into());
        let next = failover.next(|_| true).expect("a target left");
        assert_eq!((next.local, next.sdp_offer.as_str()), (local, "v=0 moved"));
        assert_eq!(next.destination, target(1).1);
    }
}
