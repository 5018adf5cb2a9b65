//! A UDP socket bound to a wildcard address, told and telling which of the host's addresses a
//! datagram is to or from (`IP_PKTINFO`, `IPV6_PKTINFO`).
//!
//! Without them, a request sent to one of several addresses of the host (a floating address an
//! HA pair moves, a second address on an interface) is answered from whichever address the
//! kernel's routing prefers, and RFC 3581 §4 wants a response sent "from the same address and
//! port that the request was received on": a peer or a firewall matching replies to requests
//! drops it. The arrival address is also what our Via and Contact should name.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    self, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrStorage, sockopt,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Asks the kernel to say, for each datagram `socket` (of `local`'s family) receives, which
/// address it was sent to.
pub(crate) fn enable(socket: &impl AsFd, local: SocketAddr) -> io::Result<()> {
    match local {
        SocketAddr::V4(_) => socket::setsockopt(socket, sockopt::Ipv4PacketInfo, &true)?,
        SocketAddr::V6(_) => socket::setsockopt(socket, sockopt::Ipv6RecvPacketInfo, &true)?,
    }
    Ok(())
}

/// One datagram read by [`recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Datagram {
    pub(crate) len: usize,
    pub(crate) remote: SocketAddr,
    /// The address it was sent to (for a broadcast, the receiving interface's); `None` if the
    /// kernel did not say (the option is off) or it went to a multicast group.
    pub(crate) to: Option<IpAddr>,
}

/// Reads one datagram into `buffer` (a longer one is cut to its length), waiting until one
/// comes. Cancel-safe, as `UdpSocket::recv_from`.
pub(crate) async fn recv(socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<Datagram> {
    socket
        .async_io(Interest::READABLE, || recv_now(socket, buffer))
        .await
}

fn recv_now(socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<Datagram> {
    // Room for either family's packet info.
    let mut control = nix::cmsg_space!(libc::in6_pktinfo);
    let mut iov = [IoSliceMut::new(buffer)];
    let message = socket::recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::empty(),
    )?;
    let remote = message
        .address
        .as_ref()
        .and_then(socket_addr)
        .ok_or_else(|| io::Error::other("a datagram without a source address"))?;
    let to = message
        .cmsgs()?
        .find_map(|control| match control {
            // The packet's local address (ip(7)): where it was sent, or for a broadcast the
            // receiving interface's own.
            ControlMessageOwned::Ipv4PacketInfo(info) => Some(IpAddr::from(
                u32::from_be(info.ipi_spec_dst.s_addr).to_be_bytes(),
            )),
            ControlMessageOwned::Ipv6PacketInfo(info) => Some(IpAddr::from(info.ipi6_addr.s6_addr)),
            _ => None,
        })
        // A multicast group is no address to answer from.
        .filter(|to| !to.is_multicast());
    Ok(Datagram {
        len: message.bytes,
        remote,
        to,
    })
}

fn socket_addr(address: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = address.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    address
        .as_sockaddr_in6()
        .map(|v6| SocketAddr::V6((*v6).into()))
}

/// Sends `payload` to `destination` from `source`, one of the host's addresses, on a socket
/// bound to the wildcard address of its family. Where the kernel refuses `source` (an
/// address not of this host, such as a NAT's public one, or one that cannot reach
/// `destination`, as loopback to a remote peer), sends from the kernel's choice instead.
pub(crate) async fn send_from(
    socket: &UdpSocket,
    payload: &[u8],
    destination: SocketAddr,
    source: IpAddr,
) -> io::Result<()> {
    let to = SockaddrStorage::from(destination);
    let sent = socket
        .async_io(Interest::WRITABLE, || {
            send_now(socket, payload, &to, source)
        })
        .await;
    match sent {
        Err(e) if refused_source(&e) => socket.send_to(payload, destination).await.map(drop),
        other => other,
    }
}

fn send_now(
    socket: &UdpSocket,
    payload: &[u8],
    to: &SockaddrStorage,
    source: IpAddr,
) -> io::Result<()> {
    let iov = [IoSlice::new(payload)];
    let fd = socket.as_raw_fd();
    let sent = match source {
        IpAddr::V4(ip) => {
            let info = libc::in_pktinfo {
                ipi_ifindex: 0,
                // The source address; `ipi_addr` is ignored on a send (ip(7)).
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(ip).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            let control = [ControlMessage::Ipv4PacketInfo(&info)];
            socket::sendmsg(fd, &iov, &control, MsgFlags::empty(), Some(to))
        }
        IpAddr::V6(ip) => {
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: ip.octets(),
                },
                ipi6_ifindex: 0,
            };
            let control = [ControlMessage::Ipv6PacketInfo(&info)];
            socket::sendmsg(fd, &iov, &control, MsgFlags::empty(), Some(to))
        }
    };
    sent.map(drop).map_err(io::Error::from)
}

/// Whether the kernel may have refused a send's source address rather than the send: Linux
/// answers `EINVAL` for an address not of this host, and no route from it `ENETUNREACH`.
/// A send the source had nothing to do with fails again without it.
fn refused_source(error: &io::Error) -> bool {
    let errno = error.raw_os_error().map(Errno::from_raw);
    matches!(
        errno,
        Some(Errno::EINVAL | Errno::EADDRNOTAVAIL | Errno::ENETUNREACH)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(5);

    async fn wildcard(addr: &str) -> UdpSocket {
        let socket = UdpSocket::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind {addr} (these tests need IPv4 and ::1): {e}"));
        enable(&socket, socket.local_addr().unwrap()).unwrap();
        socket
    }

    fn loopback(last: u8, port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, last], port))
    }

    /// The next datagram `server` reads, with its payload.
    async fn request(server: &UdpSocket) -> (Datagram, Vec<u8>) {
        let mut buffer = [0; 64];
        let datagram = tokio::time::timeout(WAIT, recv(server, &mut buffer))
            .await
            .expect("the request arrives")
            .unwrap();
        (datagram, buffer[..datagram.len].to_vec())
    }

    /// The next datagram `peer` reads, and where it came from.
    async fn response(peer: &UdpSocket) -> (Vec<u8>, SocketAddr) {
        let mut buffer = [0; 64];
        let (len, from) = tokio::time::timeout(WAIT, peer.recv_from(&mut buffer))
            .await
            .expect("the response arrives")
            .unwrap();
        (buffer[..len].to_vec(), from)
    }

    #[tokio::test]
    async fn a_datagram_to_a_second_address_says_so_and_is_answered_from_it() {
        let server = wildcard("0.0.0.0:0").await;
        let port = server.local_addr().unwrap().port();
        let peer = UdpSocket::bind(loopback(1, 0)).await.unwrap();
        peer.send_to(b"request", loopback(7, port)).await.unwrap();

        let (datagram, payload) = request(&server).await;
        assert_eq!(payload, b"request");
        assert_eq!(datagram.remote, peer.local_addr().unwrap());
        assert_eq!(datagram.to, Some(loopback(7, 0).ip()));

        let source = loopback(7, 0).ip();
        send_from(&server, b"response", datagram.remote, source)
            .await
            .unwrap();
        // The kernel's own choice towards 127.0.0.1 is 127.0.0.1.
        assert_eq!(
            response(&peer).await,
            (b"response".to_vec(), loopback(7, port))
        );
    }

    #[tokio::test]
    async fn a_source_not_of_this_host_is_sent_from_the_kernels_choice() {
        let server = wildcard("0.0.0.0:0").await;
        let port = server.local_addr().unwrap().port();
        let peer = UdpSocket::bind(loopback(1, 0)).await.unwrap();
        // TEST-NET-3 (RFC 5737): no host has it.
        let foreign = IpAddr::from([203, 0, 113, 9]);
        send_from(&server, b"response", peer.local_addr().unwrap(), foreign)
            .await
            .unwrap();
        assert_eq!(
            response(&peer).await,
            (b"response".to_vec(), loopback(1, port))
        );
    }

    #[tokio::test]
    async fn an_ipv6_datagram_says_which_address_it_was_sent_to() {
        let server = wildcard("[::]:0").await;
        let port = server.local_addr().unwrap().port();
        let peer = UdpSocket::bind("[::1]:0").await.unwrap();
        peer.send_to(b"request", ("::1", port)).await.unwrap();
        let (datagram, _) = request(&server).await;
        let loopback = "::1".parse().unwrap();
        assert_eq!(datagram.to, Some(loopback));
        send_from(&server, b"response", datagram.remote, loopback)
            .await
            .unwrap();
        let (_, from) = response(&peer).await;
        assert_eq!(from, SocketAddr::new(loopback, port));
    }
}
