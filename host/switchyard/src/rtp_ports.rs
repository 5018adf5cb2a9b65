//! RTP port allocation from the configured range.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

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
    /// A range `min..=max` on `address`; odd bounds are rounded inwards, so
    /// a range without an even port (65535 alone) has no port to give.
    pub fn new(address: IpAddr, min: u16, max: u16) -> RtpPorts {
        let first = u32::from(min) + u32::from(min % 2);
        let max = u32::from(max);
        let count = if max >= first {
            (max - first) / 2 + 1
        } else {
            0
        };
        RtpPorts {
            address,
            // An empty range never reads `first`.
            first: u16::try_from(first).unwrap_or(u16::MAX),
            count,
            next: 0,
        }
    }

    /// A non-blocking socket on the next free even port, for a call whose
    /// SDP names `local`: bound to the configured address, or, when that is
    /// unspecified, to the unspecified address of `local`'s family. `Err` says
    /// why there is none: every port is taken, the configured address is of
    /// the other family, or the system refuses a socket (out of descriptors or
    /// memory, with its reason; the range is then not searched on).
    pub fn allocate(&mut self, local: IpAddr) -> Result<UdpSocket, String> {
        let address = match self.address {
            any if any.is_unspecified() && local.is_ipv6() => Ipv6Addr::UNSPECIFIED.into(),
            any if any.is_unspecified() => Ipv4Addr::UNSPECIFIED.into(),
            fixed if fixed.is_ipv4() == local.is_ipv4() => fixed,
            fixed => {
                return Err(format!(
                    "rtp.address {fixed} cannot carry media for {local}"
                ));
            }
        };
        for _ in 0..self.count {
            let offset = self.next;
            self.next = (self.next + 1) % self.count;
            let Ok(port) = u16::try_from(u32::from(self.first) + 2 * offset) else {
                break;
            };
            match UdpSocket::bind(SocketAddr::new(address, port)) {
                Ok(socket) => {
                    socket
                        .set_nonblocking(true)
                        .map_err(|e| format!("RTP socket on port {port}: {e}"))?;
                    return Ok(socket);
                }
                // This port is another socket's, or not ours to take: the next may be free.
                Err(e) if port_taken(&e) => {}
                Err(e) => return Err(format!("cannot open an RTP socket: {e}")),
            }
        }
        Err("every port of the RTP range is in use".to_owned())
    }
}

/// Whether binding failed for the port itself, so that another port may do.
fn port_taken(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_even_ports_and_skips_busy_ones() {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Find a free even port pair region by letting the OS pick, then use it.
        let probe = UdpSocket::bind((localhost, 0)).unwrap();
        let base = probe.local_addr().unwrap().port() & !1;
        drop(probe);
        let mut ports = RtpPorts::new(localhost, base.saturating_sub(1).max(1024), base + 5);
        let mut held = Vec::new();
        while let Ok(socket) = ports.allocate(localhost) {
            let port = socket.local_addr().unwrap().port();
            assert_eq!(port % 2, 0);
            held.push(socket);
            assert!(held.len() <= 4, "the range has at most 4 even ports");
        }
        assert!(!held.is_empty());
        assert!(ports.allocate(localhost).is_err());
        held.pop();
        assert!(ports.allocate(localhost).is_ok());
    }

    #[test]
    fn only_a_port_of_its_own_sends_the_search_on() {
        assert!(port_taken(&io::Error::from_raw_os_error(libc::EADDRINUSE)));
        assert!(port_taken(&io::Error::from_raw_os_error(libc::EACCES)));
        // Out of descriptors or kernel memory: every port would fail alike.
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(!port_taken(&io::Error::from_raw_os_error(errno)), "{errno}");
        }
    }

    #[test]
    fn a_range_without_an_even_port_gives_none() {
        let mut ports = RtpPorts::new(Ipv4Addr::LOCALHOST.into(), 65_535, 65_535);
        assert!(ports.allocate(Ipv4Addr::LOCALHOST.into()).is_err());
    }

    #[test]
    fn an_unspecified_address_follows_the_family_of_the_call() {
        let mut ports = RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 20_000, 60_000);
        let v6 = ports.allocate(Ipv6Addr::LOCALHOST.into()).unwrap();
        assert!(v6.local_addr().unwrap().is_ipv6());
        let v4 = ports.allocate(Ipv4Addr::LOCALHOST.into()).unwrap();
        assert!(v4.local_addr().unwrap().is_ipv4());
        let mut fixed = RtpPorts::new(Ipv4Addr::LOCALHOST.into(), 20_000, 60_000);
        let error = fixed.allocate(Ipv6Addr::LOCALHOST.into()).unwrap_err();
        assert!(error.contains("cannot carry media"), "{error}");
    }
}
