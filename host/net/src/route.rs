//! The source address towards a destination.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The local address the kernel's routing table picks for packets to `dest`: what Contact,
/// Via and SDP should carry on a multi-homed host when listening on a wildcard address. Sends
/// nothing (connecting a UDP socket only looks up the route); `Err` when there is no route to
/// `dest` or no address of its family.
pub fn local_ip_for(dest: IpAddr) -> io::Result<IpAddr> {
    let unspecified = match dest {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind(SocketAddr::new(unspecified, 0))?;
    // Port 9 (discard): any port does, nothing is sent.
    socket.connect(SocketAddr::new(dest, 9))?;
    Ok(socket.local_addr()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_routes_from_loopback() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_eq!(local_ip_for(v4).unwrap(), v4);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(
            local_ip_for(v6).expect("::1 is unavailable in this sandbox"),
            v6
        );
    }
}
