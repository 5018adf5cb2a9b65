//! Binding sockets with the options tokio does not set.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, UdpSocket};

use crate::packet_info;

/// How many connections the kernel queues before `accept`.
const BACKLOG: i32 = 1024;

/// How many ports the kernel is asked for when `udp_and_tcp` gets port 0.
const EPHEMERAL_TRIES: usize = 16;

/// A UDP socket and a TCP listener on the same port of `addr` (RFC 3261 §18: a
/// server listens on the same port for both). With port 0 the kernel picks a
/// UDP port, which TCP may have in use: then another is picked, a bounded
/// number of times.
pub(crate) fn udp_and_tcp(addr: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let tries = if addr.port() == 0 { EPHEMERAL_TRIES } else { 1 };
    let mut last = None;
    for _ in 0..tries {
        let socket = udp(addr)?;
        match tcp(socket.local_addr()?) {
            Ok(listener) => return Ok((socket, listener)),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

/// A UDP socket bound to `addr`; on a wildcard address, told which address each datagram
/// is to.
fn udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket(addr, Type::DGRAM, Protocol::UDP)?;
    if addr.ip().is_unspecified() {
        packet_info::enable(&socket, addr)?;
    }
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// A TCP listener bound to `addr` (IPv6-only on an IPv6 address, as `udp_and_tcp`'s).
pub(crate) fn tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = socket(addr, Type::STREAM, Protocol::TCP)?;
    // A restarted server must not wait for the old connections' TIME_WAIT to end.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

fn socket(addr: SocketAddr, kind: Type, protocol: Protocol) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), kind, Some(protocol))?;
    if addr.is_ipv6() {
        // Without IPV6_V6ONLY, `[::]:p` also takes IPv4 (mapped) and `0.0.0.0:p` cannot be
        // bound next to it; with it, each family has its own socket and plain addresses.
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_zero_gives_udp_and_tcp_the_same_port_even_when_tcp_has_the_first_in_use() {
        // Hold TCP on a port the kernel may then hand out for UDP: whatever it
        // picks, both sockets end up on one port that TCP had free.
        let taken: Vec<_> = (0..8)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        for _ in 0..8 {
            let (udp, tcp) = udp_and_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
            let port = udp.local_addr().unwrap().port();
            assert_eq!(tcp.local_addr().unwrap().port(), port);
            assert!(
                taken.iter().all(|t| t.local_addr().unwrap().port() != port),
                "never a port TCP has in use"
            );
        }
    }

    #[tokio::test]
    async fn a_fixed_port_in_use_is_an_error_at_once() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let error = udp_and_tcp(addr).map(|_| ()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }
}
