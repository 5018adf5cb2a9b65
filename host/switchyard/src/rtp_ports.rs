//! RTP port allocation from the configured range.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use switchyard_media::LegSocket;

/// A leg's two sockets (RFC 3550 §11): RTP on an even port, RTCP on the next.
#[derive(Debug)]
pub struct LegSockets {
    /// The RTP socket, on the even port the SDP names.
    pub rtp: UdpSocket,
    /// The RTCP socket, on the port after it.
    pub rtcp: UdpSocket,
    /// Counts the pair as in use in its range while the sockets live.
    pub lease: PairLease,
}

/// One pair counted as in use in the range it came from, until dropped.
#[derive(Debug)]
pub struct PairLease(Arc<AtomicU32>);

impl Drop for PairLease {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LegSockets {
    /// The socket `which` names.
    pub fn get(&self, which: LegSocket) -> &UdpSocket {
        match which {
            LegSocket::Rtp => &self.rtp,
            LegSocket::Rtcp => &self.rtcp,
        }
    }

    /// Two non-blocking sockets on loopback ports the system picks, for tests.
    #[cfg(test)]
    pub(crate) fn loopback() -> LegSockets {
        let localhost = Ipv4Addr::LOCALHOST.into();
        LegSockets {
            rtp: bind(localhost, 0).unwrap(),
            rtcp: bind(localhost, 0).unwrap(),
            lease: PairLease(Arc::new(AtomicU32::new(1))),
        }
    }
}

/// Hands out pairs of sockets on an even port of a range and the odd one after it
/// (RFC 3550 §11: RTP on an even port, RTCP on the next odd one), round-robin so
/// a port just freed is not reused at once while stray packets for the old call
/// may still arrive. The pairs it handed out are counted until their sockets close, so a
/// full range refuses at once rather than trying each of its ports.
#[derive(Debug)]
pub struct RtpPorts {
    address: IpAddr,
    first: u16,
    count: u32,
    next: u32,
    in_use: Arc<AtomicU32>,
}

impl RtpPorts {
    /// A range `min..=max` on `address`: the pairs of an even port and the
    /// odd one after it within it, so a range without one (65535 alone, or
    /// an even port alone) has no pair to give.
    pub fn new(address: IpAddr, min: u16, max: u16) -> RtpPorts {
        let first = u32::from(min) + u32::from(min % 2);
        let max = u32::from(max);
        let count = if max > first {
            (max - first - 1) / 2 + 1
        } else {
            0
        };
        RtpPorts {
            address,
            // An empty range never reads `first`.
            first: u16::try_from(first).unwrap_or(u16::MAX),
            count,
            next: 0,
            in_use: Arc::default(),
        }
    }

    /// How many pairs the range holds.
    pub fn pairs(&self) -> u32 {
        self.count
    }

    /// Whether the range gives sockets for media with an address of `ip`'s family: the
    /// configured address is unspecified (either family) or of that family.
    pub fn serves(&self, ip: IpAddr) -> bool {
        self.address.is_unspecified() || self.address.is_ipv4() == ip.is_ipv4()
    }

    /// The configured address when it is a specific one: every socket is bound to it, so it
    /// is the only address media reaches them at. `None` when it is unspecified.
    pub fn fixed_address(&self) -> Option<IpAddr> {
        Some(self.address).filter(|ip| !ip.is_unspecified())
    }

    /// Non-blocking sockets on the next free even port and the odd one after
    /// it, for a call whose media is of `local`'s family: bound to the configured address, or,
    /// when that is unspecified, to the unspecified address of `local`'s family. `Err` says
    /// why there is none: every port is taken, the configured address is of
    /// the other family, or the system refuses a socket (out of descriptors or
    /// memory, with its reason; the range is then not searched on).
    pub fn allocate(&mut self, local: IpAddr) -> Result<LegSockets, String> {
        if !self.serves(local) {
            let fixed = self.address;
            return Err(format!(
                "rtp.address {fixed} cannot carry media for {local}"
            ));
        }
        let address = match self.fixed_address() {
            Some(fixed) => fixed,
            None if local.is_ipv6() => Ipv6Addr::UNSPECIFIED.into(),
            None => Ipv4Addr::UNSPECIFIED.into(),
        };
        if self.in_use.load(Ordering::Relaxed) >= self.count {
            return Err(EVERY_PAIR_IN_USE.to_owned());
        }
        let mut refused = None;
        for _ in 0..self.count {
            let offset = self.next;
            self.next = (self.next + 1) % self.count;
            let Ok(port) = u16::try_from(u32::from(self.first) + 2 * offset) else {
                break;
            };
            let pair = bind(address, port).and_then(|rtp| {
                // An even port is at most 65534.
                let rtcp = bind(address, port + 1)?;
                self.in_use.fetch_add(1, Ordering::Relaxed);
                let lease = PairLease(self.in_use.clone());
                Ok(LegSockets { rtp, rtcp, lease })
            });
            match pair {
                Ok(sockets) => return Ok(sockets),
                // A port is another socket's, or not ours to take (below the system's
                // unprivileged ports): the next pair may be free.
                Err(e) if port_taken(&e) => {
                    if e.kind() == io::ErrorKind::PermissionDenied {
                        refused = Some(e);
                    }
                }
                Err(e) => return Err(format!("cannot open an RTP or RTCP socket: {e}")),
            }
        }
        Err(none_free(refused.as_ref()))
    }
}

/// Why a range gives no pair when all of them are taken.
const EVERY_PAIR_IN_USE: &str = "every port pair of the RTP range is in use";

/// Why no pair of the range could be bound, some perhaps `refused` to this process.
fn none_free(refused: Option<&io::Error>) -> String {
    match refused {
        None => EVERY_PAIR_IN_USE.to_owned(),
        Some(e) => format!(
            "every port pair of the RTP range is in use or refused to this process ({e}): ports \
             below net.ipv4.ip_unprivileged_port_start need CAP_NET_BIND_SERVICE"
        ),
    }
}

/// A non-blocking socket on `address`, `port`.
fn bind(address: IpAddr, port: u16) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(SocketAddr::new(address, port))?;
    socket.set_nonblocking(true)?;
    Ok(socket)
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

    /// An even port the system just had free on `address`, the five after it within the port
    /// space.
    fn free_even_port(address: IpAddr) -> Option<u16> {
        let probe = UdpSocket::bind((address, 0)).ok()?;
        let base = probe.local_addr().ok()?.port() & !1;
        base.checked_add(5).map(|_| base)
    }

    #[test]
    fn allocates_even_ports_and_skips_busy_ones() {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Three pairs the system just had free, the middle one's even port held by another
        // socket; the other two handed out (ten tries: another process may take one of their
        // ports meanwhile).
        let (mut ports, base, squatter, mut held) = (0..10)
            .find_map(|_| {
                let base = free_even_port(localhost)?;
                let squatter = UdpSocket::bind((localhost, base + 2)).ok()?;
                let mut ports = RtpPorts::new(localhost, base, base + 5);
                let first = ports.allocate(localhost).ok()?;
                let second = ports.allocate(localhost).ok()?;
                Some((ports, base, squatter, vec![first, second]))
            })
            .expect("two free port pairs around a held one");
        let given: Vec<(u16, u16)> = held
            .iter()
            .map(|sockets| {
                let port = |socket: &UdpSocket| socket.local_addr().unwrap().port();
                (port(&sockets.rtp), port(&sockets.rtcp))
            })
            .collect();
        assert_eq!(given, [(base, base + 1), (base + 4, base + 5)]);
        let error = ports.allocate(localhost).unwrap_err();
        assert_eq!(
            error, EVERY_PAIR_IN_USE,
            "the held port is never handed out"
        );
        // The pair is the range's again once its port is.
        drop(squatter);
        let freed = ports
            .allocate(localhost)
            .expect("the pair of the freed port");
        assert_eq!(freed.rtp.local_addr().unwrap().port(), base + 2);
        held.push(freed);
        held.pop();
        held.pop();
        assert!(ports.allocate(localhost).is_ok(), "a pair given back");
    }

    #[test]
    fn a_range_whose_pairs_are_all_handed_out_refuses_without_trying_a_port() {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // A range of two pairs the system just had free (ten tries: another process may take
        // a port meanwhile).
        let (mut ports, first, second) = (0..10)
            .find_map(|_| {
                let probe = UdpSocket::bind((localhost, 0)).unwrap();
                let base = probe.local_addr().unwrap().port() & !1;
                drop(probe);
                let mut ports = RtpPorts::new(localhost, base, base + 3);
                let first = ports.allocate(localhost).ok()?;
                let second = ports.allocate(localhost).ok()?;
                Some((ports, first, second))
            })
            .expect("two free port pairs");
        let position = ports.next;
        let error = ports.allocate(localhost).unwrap_err();
        assert_eq!(error, EVERY_PAIR_IN_USE);
        assert_eq!(ports.next, position, "no port was tried");
        drop(first);
        let again = ports.allocate(localhost).expect("a pair given back");
        drop((second, again));
        assert_eq!(ports.in_use.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_range_refused_to_this_process_says_so_rather_than_in_use() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let reason = none_free(Some(&denied));
        assert!(reason.contains("refused to this process"), "{reason}");
        assert!(reason.contains("CAP_NET_BIND_SERVICE"), "{reason}");
        assert_eq!(none_free(None), EVERY_PAIR_IN_USE);
    }

    #[test]
    fn a_pair_whose_rtcp_port_is_taken_is_skipped() {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Another socket on the odd port of a pair the system just had free, and the pair
        // after it handed out (ten tries: another process may take one of their ports
        // meanwhile).
        let (base, squatter, sockets) = (0..10)
            .find_map(|_| {
                let base = free_even_port(localhost)?;
                let squatter = UdpSocket::bind((localhost, base + 1)).ok()?;
                let sockets = RtpPorts::new(localhost, base, base + 3)
                    .allocate(localhost)
                    .ok()?;
                Some((base, squatter, sockets))
            })
            .expect("a free pair after a held odd port");
        assert_eq!(sockets.rtp.local_addr().unwrap().port(), base + 2);
        assert_eq!(sockets.rtcp.local_addr().unwrap().port(), base + 3);
        drop(squatter);
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
    fn a_range_without_a_pair_gives_none() {
        let mut ports = RtpPorts::new(Ipv4Addr::LOCALHOST.into(), 65_535, 65_535);
        assert!(ports.allocate(Ipv4Addr::LOCALHOST.into()).is_err());
        // An even port at the top of the range has no odd one after it within it.
        for (min, max, pairs) in [
            (40_000, 40_000, 0),
            (40_000, 40_001, 1),
            (39_999, 40_004, 2),
        ] {
            let ports = RtpPorts::new(Ipv4Addr::LOCALHOST.into(), min, max);
            assert_eq!(ports.count, pairs, "{min}..={max}");
        }
    }

    #[test]
    fn an_unspecified_address_follows_the_family_of_the_call() {
        let mut ports = RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 20_000, 60_000);
        let v6 = ports.allocate(Ipv6Addr::LOCALHOST.into()).unwrap();
        assert!(v6.rtp.local_addr().unwrap().is_ipv6());
        assert!(v6.rtcp.local_addr().unwrap().is_ipv6());
        let v4 = ports.allocate(Ipv4Addr::LOCALHOST.into()).unwrap();
        assert!(v4.rtp.local_addr().unwrap().is_ipv4());
        let mut fixed = RtpPorts::new(Ipv4Addr::LOCALHOST.into(), 20_000, 60_000);
        let error = fixed.allocate(Ipv6Addr::LOCALHOST.into()).unwrap_err();
        assert!(error.contains("cannot carry media"), "{error}");
        assert!(!fixed.serves(Ipv6Addr::LOCALHOST.into()));
        assert!(fixed.serves(Ipv4Addr::new(192, 0, 2, 1).into()));
        assert!(
            ports.serves(Ipv6Addr::LOCALHOST.into()) && ports.serves(Ipv4Addr::LOCALHOST.into())
        );
    }
}
