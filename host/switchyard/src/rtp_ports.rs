//! RTP port allocation from the configured range.

use std::net::{IpAddr, SocketAddr, UdpSocket};

/// Hands out RTP sockets on even ports of a range (RFC 3550 §11: RTP on an even
/// port, RTCP on the next odd one), round-robin so a port just freed is not
/// reused at once while stray packets for the old call may still arrive.
#[derive(Debug)]
pub struct RtpPorts {
    address: IpAddr,
    first: u16,
    count: u32,
    next: u32,
}

impl RtpPorts {
    /// A range `min..=max` on `address`; odd bounds are rounded inwards.
    pub fn new(address: IpAddr, min: u16, max: u16) -> RtpPorts {
        let first = min + (min % 2);
        let count = if max >= first {
            u32::from(max - first) / 2 + 1
        } else {
            0
        };
        RtpPorts {
            address,
            first,
            count,
            next: 0,
        }
    }

    /// A non-blocking socket bound to the next free even port, or `None` if
    /// every port of the range is taken.
    pub fn allocate(&mut self) -> Option<UdpSocket> {
        for _ in 0..self.count {
            let offset = self.next;
            self.next = (self.next + 1) % self.count;
            let port = u16::try_from(u32::from(self.first) + 2 * offset).ok()?;
            if let Ok(socket) = UdpSocket::bind(SocketAddr::new(self.address, port))
                && socket.set_nonblocking(true).is_ok()
            {
                return Some(socket);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn allocates_even_ports_and_skips_busy_ones() {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Find a free even port pair region by letting the OS pick, then use it.
        let probe = UdpSocket::bind((localhost, 0)).unwrap();
        let base = probe.local_addr().unwrap().port() & !1;
        drop(probe);
        let mut ports = RtpPorts::new(localhost, base.saturating_sub(1).max(1024), base + 5);
        let mut held = Vec::new();
        while let Some(socket) = ports.allocate() {
            let port = socket.local_addr().unwrap().port();
            assert_eq!(port % 2, 0);
            held.push(socket);
            assert!(held.len() <= 4, "the range has at most 4 even ports");
        }
        assert!(!held.is_empty());
        assert!(ports.allocate().is_none());
        held.pop();
        assert!(ports.allocate().is_some());
    }
}
