//! [`SipSockets`]: every SIP socket of the shell behind one receive and one send call.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use tokio::task::{Id, JoinError, JoinSet};
use tokio_rustls::TlsAcceptor;
use tracing::warn;

use crate::connections::{Queue, Table};
use crate::keep_open::KeepOpen;
use crate::refusals::Refusals;
use crate::tcp::{Carrying, Opened};
use crate::{Outgoing, Received, SocketsConfig, Transport, bind, packet_info, tcp, udp};

/// Received messages waiting for [`SipSockets::recv`]; when it is full, the socket and
/// connection tasks wait, and the kernel's buffers (then TCP flow control) hold the rest.
const RECEIVE_QUEUE: usize = 1024;

/// Peers a TCP connection could not be opened to or lost messages for, waiting for
/// [`SipSockets::recv`]; past this many, more are dropped (the SIP transaction's own timer
/// still ends what waited on them).
const UNREACHABLE_QUEUE: usize = 64;

/// What the socket and connection tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SocketsConfig,
    pub(crate) table: Arc<Table>,
    pub(crate) received: mpsc::Sender<Received>,
    /// Where a connection could not be opened to, or lost messages for, and over what.
    pub(crate) unreachable: mpsc::Sender<(Transport, SocketAddr)>,
    /// Changes never; fails once the [`SipSockets`] is dropped, which ends every task.
    pub(crate) shutdown: watch::Receiver<()>,
    /// Which idle connections stay open.
    pub(crate) keep_open: KeepOpen,
    /// The addresses the TCP listeners are bound to.
    pub(crate) tcp_listening: Vec<SocketAddr>,
    /// The responses connection tasks wrote refusing messages they could not frame.
    pub(crate) refusals: Refusals,
}

impl Shared {
    /// The address a message on a connection we opened from `local` (an ephemeral
    /// port) is taken to arrive at: our listener's port on that IP, where the peer can
    /// open a new connection to us once this one closes (RFC 3261 §18). `local` itself
    /// when no listener serves its IP.
    pub(crate) fn listening_address(&self, local: SocketAddr) -> SocketAddr {
        let listening = || self.tcp_listening.iter();
        let wildcard = |l: &&SocketAddr| l.ip().is_unspecified() && l.is_ipv4() == local.is_ipv4();
        listening()
            .find(|l| l.ip() == local.ip())
            .or_else(|| listening().find(wildcard))
            .map_or(local, |l| SocketAddr::new(local.ip(), l.port()))
    }

    /// The address a connection we open to `remote` leaves from, where the kernel's choice
    /// may not do: `source` (what the message's Via and Contact name) when it is a specific
    /// address of `remote`'s family, else the TCP listener's address when the family has one
    /// listener, bound to a specific address. `None`: the kernel picks by route.
    pub(crate) fn connect_from(
        &self,
        source: Option<SocketAddr>,
        remote: SocketAddr,
    ) -> Option<IpAddr> {
        let family = |ip: &IpAddr| ip.is_ipv4() == remote.is_ipv4();
        if let Some(ip) = source
            .map(|s| unmapped(s).ip())
            .filter(|ip| family(ip) && !ip.is_unspecified())
        {
            return Some(ip);
        }
        let mut listening = self.tcp_listening.iter().map(SocketAddr::ip).filter(family);
        match (listening.next(), listening.next()) {
            (Some(ip), None) if !ip.is_unspecified() => Some(ip),
            _ => None,
        }
    }
}

/// What [`SipSockets::recv`] yields.
#[derive(Debug)]
pub enum SocketEvent {
    /// A message received.
    Message(Received),
    /// A TCP connection to `remote` could not be opened, or one (TCP, or TLS over it) ended
    /// (reset, given up as dead, closed, or its TLS handshake failed) with messages for the
    /// peer queued and not written: they are lost. `transport` is what the connection
    /// carried, [`Transport::Tcp`] or [`Transport::Tls`]: the requests waiting on `remote`
    /// over it are the ones stranded (RFC 3261 §18.4).
    Unreachable {
        /// What the connection carried.
        transport: Transport,
        /// The peer.
        remote: SocketAddr,
    },
    /// Messages on TCP or TLS connections that could not be framed were refused since the
    /// last such report, each by its connection, which then closed. Some were answered
    /// ([`FramingError::response`](switchyard_sip::FramingError::response)): `bad_requests`
    /// with `400 Bad Request` (no Content-Length, or a malformed one), `too_large` with
    /// `513 Message Too Large`; only answers written are counted. Others were dropped
    /// unanswered and counted as the endpoint counts such datagrams
    /// ([`FramingError::is_dropped`](switchyard_sip::FramingError::is_dropped): requests, ACKs
    /// included, no response can be sent to, and any other message over the size limit):
    /// `dropped_too_large` of them over the size limit, `dropped_unroutable` others. None is
    /// counted twice.
    FramingRefused {
        /// The 400s written.
        bad_requests: u64,
        /// The 513s written.
        too_large: u64,
        /// The requests dropped unanswered that were within the size limit.
        dropped_unroutable: u64,
        /// The messages dropped unanswered that were over the size limit.
        dropped_too_large: u64,
    },
    /// A socket stopped being read (its task panicked: a bug), so nothing more is received on
    /// it; says which and why. The sockets cannot serve as they were bound: the owner should
    /// stop, so that a supervisor starts it afresh.
    Stopped(String),
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No UDP socket of the destination's address family is bound.
    #[error("no UDP socket for {0}")]
    NoSocket(SocketAddr),
    /// A new TCP connection was needed, but the maximum number is open, or connections of its
    /// kind (opened for our requests, or serving peers') hold their share of it.
    #[error("a new TCP connection is needed but {0} are open")]
    TooManyConnections(usize),
    /// A new TCP connection was needed, but the destination's host has its maximum of
    /// connections of that kind open: opened for our requests, or serving its own.
    #[error("a new TCP connection to {0} is needed but its host has {1} open")]
    TooManyFromPeer(SocketAddr, usize),
    /// A message over TLS found no TLS connection from its destination open: none is opened
    /// from here, so only a peer's own connection carries messages to it.
    #[error("no TLS connection from {0} is open, and none is opened from here")]
    NoTlsConnection(SocketAddr),
    /// The connection's write queue is full: the peer is not reading.
    #[error("the TCP connection's write queue is full")]
    QueueFull,
    /// The connection found for the message closed while it was being queued, and so did
    /// the one found when it was tried again: connections to the destination are closing
    /// (idle, or their peer done with them), not failing.
    #[error("the TCP connection closed")]
    Closed,
    /// The UDP send failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl SendError {
    /// Whether the destination cannot be reached over this transport now, so that the
    /// requests waiting for its answers can be given up (RFC 3261 §18.4): no socket or
    /// connection can carry it, or the network says it is unreachable. A full write queue,
    /// connections closing in its way, or a UDP send failing for want of local buffers,
    /// loses this one message only; the others' timers decide (a connection that fails is
    /// reported by [`SipSockets::recv`]).
    pub fn unreaches_destination(&self) -> bool {
        match self {
            SendError::NoSocket(_)
            | SendError::NoTlsConnection(_)
            | SendError::TooManyConnections(_)
            | SendError::TooManyFromPeer(..) => true,
            SendError::QueueFull | SendError::Closed => false,
            SendError::Io(e) => {
                matches!(
                    e.kind(),
                    io::ErrorKind::NetworkUnreachable
                        | io::ErrorKind::HostUnreachable
                        | io::ErrorKind::NetworkDown
                        | io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::AddrNotAvailable
                        // No datagram can go there: port 0 (`EINVAL`, also without a
                        // source address).
                        | io::ErrorKind::InvalidInput
                )
                // A broadcast address. Not `EPERM`: netfilter answers it for a datagram it
                // drops on the way out (a full conntrack table, a rate limit), which the
                // next one may pass.
                || e.raw_os_error() == Some(libc::EACCES)
            }
        }
    }
}

/// The shell's SIP sockets: a UDP socket and a TCP listener on each configured address, and
/// the TCP connections accepted or opened. Dropping it closes them all and ends their tasks.
#[derive(Debug)]
pub struct SipSockets {
    shared: Arc<Shared>,
    /// Each UDP socket with its bound address.
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    local_addrs: Vec<(Transport, SocketAddr)>,
    received: mpsc::Receiver<Received>,
    unreachable: mpsc::Receiver<(Transport, SocketAddr)>,
    /// The UDP read loops and TCP accept loops, and what each reads.
    readers: JoinSet<()>,
    reading: HashMap<Id, String>,
    _shutdown: watch::Sender<()>,
}

impl SipSockets {
    /// Binds a UDP socket and then a TCP listener on the same port to each address of
    /// `config.listen`, and starts reading them. Must run within a tokio runtime. `Err` if an
    /// address cannot be bound (nothing is left running then).
    pub async fn bind(config: SocketsConfig) -> io::Result<Self> {
        let mut udp_sockets = Vec::new();
        let mut listeners = Vec::new();
        let mut local_addrs = Vec::new();
        let mut tcp_listening = Vec::new();
        for &addr in &config.listen {
            let (socket, listener) = bind::udp_and_tcp(addr)?;
            let local = socket.local_addr()?;
            local_addrs.push((Transport::Udp, local));
            local_addrs.push((Transport::Tcp, listener.local_addr()?));
            tcp_listening.push(listener.local_addr()?);
            udp_sockets.push((local, Arc::new(socket)));
            listeners.push(listener);
        }
        let (sender, received) = mpsc::channel(RECEIVE_QUEUE);
        let (unreachable_sender, unreachable) = mpsc::channel(UNREACHABLE_QUEUE);
        let (shutdown, watch) = watch::channel(());
        let shared = Arc::new(Shared {
            table: Table::new(config.max_connections),
            config,
            received: sender,
            unreachable: unreachable_sender,
            shutdown: watch,
            keep_open: KeepOpen::default(),
            tcp_listening,
            refusals: Refusals::default(),
        });
        let mut sockets = Self {
            shared,
            udp: Vec::new(),
            local_addrs,
            received,
            unreachable,
            readers: JoinSet::new(),
            reading: HashMap::new(),
            _shutdown: shutdown,
        };
        for (local, socket) in &udp_sockets {
            let read = udp::read_loop(
                Arc::clone(socket),
                *local,
                sockets.shared.received.clone(),
                sockets.shared.shutdown.clone(),
            );
            sockets.read(format!("the UDP socket on {local}"), read);
        }
        for listener in listeners {
            let local = listener.local_addr()?;
            let shared = Arc::clone(&sockets.shared);
            let accept = tcp::accept_loop(listener, local, shared, Carrying::Tcp);
            sockets.read(format!("the TCP listener on {local}"), accept);
        }
        sockets.udp = udp_sockets;
        Ok(sockets)
    }

    /// Binds a TCP listener to each address of `listen` for SIP over TLS (RFC 3261 §26.2.1:
    /// each connection's handshake done by `acceptor`, then its messages framed, answered,
    /// bounded and counted as a TCP connection's, and handed on as [`Transport::Tls`]), and
    /// starts accepting. With port 0, the system picks one. Connections over TLS are only
    /// accepted, never opened from here: a message over TLS goes on the destination's own
    /// connection ([`SipSockets::send`]). The handshake must be done within the message
    /// timeout of the connection's acceptance, while it holds its place among the
    /// connections. `Err` if an address cannot be bound (none of them is listened on then).
    pub fn listen_tls(&mut self, listen: &[SocketAddr], acceptor: &TlsAcceptor) -> io::Result<()> {
        let listeners = listen
            .iter()
            .map(|&addr| bind::tcp(addr))
            .collect::<io::Result<Vec<_>>>()?;
        for listener in listeners {
            let local = listener.local_addr()?;
            self.local_addrs.push((Transport::Tls, local));
            let shared = Arc::clone(&self.shared);
            let accept = tcp::accept_loop(listener, local, shared, Carrying::Tls(acceptor.clone()));
            self.read(format!("the TLS listener on {local}"), accept);
        }
        Ok(())
    }

    /// Runs `reader`, which reads `what` until the sockets are dropped.
    fn read(&mut self, what: String, reader: impl Future<Output = ()> + Send + 'static) {
        let id = self.readers.spawn(reader).id();
        self.reading.insert(id, what);
    }

    /// What a reader's end means: the socket it read is read no more.
    fn stopped(&mut self, ended: Result<(Id, ()), JoinError>) -> String {
        let (id, why) = match ended {
            // Readers return only once `self` is dropped: while it lives, none does.
            Ok((id, ())) => (id, "its task ended".to_owned()),
            Err(error) => (error.id(), error.to_string()),
        };
        let what = self.reading.remove(&id).unwrap_or_default();
        format!("{what} is read no more: {why}")
    }

    /// Every bound socket: a UDP and a TCP entry per configured address, then a TLS entry
    /// per address of [`SipSockets::listen_tls`], with the ports actually bound.
    pub fn local_addrs(&self) -> &[(Transport, SocketAddr)] {
        &self.local_addrs
    }

    /// What happened next on the sockets: a message received on any socket or connection,
    /// a peer a TCP connection could not be opened to (refused, or not established
    /// within the connect timeout) or whose connection ended with messages for it unwritten
    /// (what was queued for it is dropped, and RFC 3261 §18.4 wants the transaction layer
    /// told), messages refused for their framing, or a socket no longer read. Cancel-safe.
    pub async fn recv(&mut self) -> SocketEvent {
        // A report goes before the messages queued: the owner may open a new connection to
        // the peer meanwhile, and a late report would give up the requests sent on that one.
        tokio::select! {
            biased;
            Some(ended) = self.readers.join_next_with_id() => SocketEvent::Stopped(self.stopped(ended)),
            Some((transport, remote)) = self.unreachable.recv() => {
                SocketEvent::Unreachable { transport, remote }
            }
            Some(message) = self.received.recv() => SocketEvent::Message(message),
            taken = self.shared.refusals.take() => SocketEvent::FramingRefused {
                bad_requests: taken.bad_requests,
                too_large: taken.too_large,
                dropped_unroutable: taken.dropped_unroutable,
                dropped_too_large: taken.dropped_too_large,
            },
        }
    }

    /// Sends `message`. UDP goes from the socket bound to `message.source`, else from a
    /// wildcard socket on its port (with `message.source`'s address as the datagram's source
    /// when it is one of this host's), else from the first socket of the destination's family.
    /// TCP goes on `message.connection` if it is open, else on the newest open connection to
    /// the destination, else to `message.reopen` (on an open connection or a new one), else
    /// on a new connection to the destination (§18.1.1, §18.2.2), opened from
    /// `message.source` when it names a specific address; a connection found that closes
    /// meanwhile gives way to the one found next, or a new one. TLS goes as TCP does, but on
    /// connections the peers opened only: with none open, it fails with
    /// [`SendError::NoTlsConnection`]. The message is queued, not yet
    /// written, when this returns (if it is then lost, [`SipSockets::recv`] reports the
    /// destination unreachable). A message for a connection whose queue is full is dropped,
    /// logged as a warning. An IPv4-mapped IPv6 destination is sent to as IPv4.
    pub async fn send(&self, message: Outgoing) -> Result<(), SendError> {
        let destination = unmapped(message.destination);
        match message.transport {
            Transport::Udp => {
                let (bound, socket) = self
                    .udp_socket(message.source, destination)
                    .ok_or(SendError::NoSocket(destination))?;
                let source = message.source.map(|s| unmapped(s).ip());
                match source.filter(|ip| bound.ip().is_unspecified() && !ip.is_unspecified()) {
                    Some(ip) => {
                        packet_info::send_from(socket, &message.payload, destination, ip).await?;
                    }
                    None => {
                        socket.send_to(&message.payload, destination).await?;
                    }
                }
            }
            Transport::Tcp | Transport::Tls => {
                let mut message = message;
                message.destination = destination;
                let payload = std::mem::take(&mut message.payload);
                let queue = self.connection_queue(&message)?;
                self.enqueue(queue, &message, payload)?;
            }
        }
        Ok(())
    }

    /// The queue of the connection `message` (its payload aside) goes on, as
    /// [`SipSockets::send`] says: over TLS, the destination's own; over TCP, opening one if
    /// none is open.
    fn connection_queue(&self, message: &Outgoing) -> Result<Queue, SendError> {
        let destination = message.destination;
        if message.transport == Transport::Tls {
            return self
                .shared
                .table
                .queue(Transport::Tls, message.connection, destination)
                .ok_or(SendError::NoTlsConnection(destination));
        }
        self.tcp_queue(message)
    }

    /// The queue of the TCP connection `message` (its payload aside) goes on, as
    /// [`SipSockets::send`] says, opening one if none is open.
    fn tcp_queue(&self, message: &Outgoing) -> Result<Queue, SendError> {
        let table = &self.shared.table;
        let destination = message.destination;
        if let Some(queue) = table.queue(Transport::Tcp, message.connection, destination) {
            return Ok(queue);
        }
        match message.reopen.map(unmapped) {
            Some(reopen) => match table.queue(Transport::Tcp, None, reopen) {
                Some(queue) => Ok(queue),
                None => {
                    let from = self.shared.connect_from(message.source, reopen);
                    tcp::connect(reopen, from, &self.shared, Opened::ForPeer)
                }
            },
            None => {
                let from = self.shared.connect_from(message.source, destination);
                tcp::connect(destination, from, &self.shared, Opened::ForUs)
            }
        }
    }

    /// Queues `payload` on `queue`, found for `message`. A connection closes (idle, or its
    /// peer done with it) by leaving the table before refusing what is queued: if it did
    /// since it was found, the payload goes on the connection found now, or a new one.
    fn enqueue(&self, queue: Queue, message: &Outgoing, payload: Vec<u8>) -> Result<(), SendError> {
        let queued = match queue.try_send(payload) {
            Err(TrySendError::Closed(payload)) => self.connection_queue(message)?.try_send(payload),
            queued => queued,
        };
        queued.map_err(|e| match e {
            TrySendError::Full(_) => {
                warn!(to = %message.destination, "TCP write queue full: SIP message dropped");
                SendError::QueueFull
            }
            TrySendError::Closed(_) => SendError::Closed,
        })
    }

    /// The UDP socket to send to `destination` from `source`: the one bound to it, else a
    /// wildcard one on its port, else (a source not of this host: the NAT's address
    /// `sip.advertise` names) one on its port that can reach the destination, else the first
    /// of the destination's family that can.
    fn udp_socket(
        &self,
        source: Option<SocketAddr>,
        destination: SocketAddr,
    ) -> Option<(SocketAddr, &Arc<UdpSocket>)> {
        let family = |local: &SocketAddr| local.is_ipv4() == destination.is_ipv4();
        let sockets = || self.udp.iter().filter(|(local, _)| family(local));
        // A loopback socket sends to loopback addresses only.
        let reaches =
            |local: &SocketAddr| !local.ip().is_loopback() || destination.ip().is_loopback();
        let bound = source.map(unmapped).and_then(|source| {
            sockets()
                .find(|(local, _)| *local == source)
                .or_else(|| {
                    sockets().find(|(local, _)| {
                        local.ip().is_unspecified() && local.port() == source.port()
                    })
                })
                .or_else(|| {
                    sockets().find(|(local, _)| local.port() == source.port() && reaches(local))
                })
        });
        bound
            .or_else(|| sockets().find(|(local, _)| reaches(local)))
            .or_else(|| sockets().next())
            .map(|(local, socket)| (*local, socket))
    }

    /// Keeps a TCP connection open past the idle timeout while `needed` says that its peer's
    /// address is still needed, as when a dialog's requests go over it: a peer behind a NAT
    /// is reached only on the connection it opened (a flow, in RFC 5626's terms), and one that
    /// sends no keepalives would otherwise be cut off from the BYE that ends its call; nor is
    /// such a connection closed to make room for another host's. Asked whenever a connection
    /// has been idle for the idle timeout, and of connections serving peers' requests (8 at
    /// most each time) when one of them is to make room, with the connection table locked:
    /// `needed` must answer at once, and send nothing. Set once: `false` if it was set
    /// already, and the first one stays.
    pub fn keep_open_while(
        &self,
        needed: impl Fn(SocketAddr) -> bool + Send + Sync + 'static,
    ) -> bool {
        self.shared.keep_open.set(Box::new(needed))
    }

    /// How many TCP connections are open (or being opened).
    pub fn connections(&self) -> usize {
        self.shared.table.len()
    }
}

/// `addr` with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) turned into IPv4: IPv6 sockets
/// here are IPv6-only.
fn unmapped(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), addr.port()),
            None => addr,
        },
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_of_the_destination_give_up_what_waits_on_it() {
        let io = |kind: io::ErrorKind| SendError::Io(io::Error::from(kind));
        let addr = SocketAddr::from(([192, 0, 2, 1], 5060));
        for unreached in [
            SendError::NoSocket(addr),
            SendError::NoTlsConnection(addr),
            SendError::TooManyConnections(1024),
            SendError::TooManyFromPeer(addr, 64),
            io(io::ErrorKind::NetworkUnreachable),
            io(io::ErrorKind::HostUnreachable),
            io(io::ErrorKind::ConnectionRefused),
            SendError::Io(io::Error::from_raw_os_error(libc::EACCES)),
        ] {
            assert!(unreached.unreaches_destination(), "{unreached:?}");
        }
        for lost in [
            SendError::QueueFull,
            SendError::Closed,
            io(io::ErrorKind::WouldBlock),
            io(io::ErrorKind::OutOfMemory),
            SendError::Io(io::Error::from_raw_os_error(libc::ENOBUFS)),
            SendError::Io(io::Error::from_raw_os_error(libc::EPERM)),
        ] {
            assert!(!lost.unreaches_destination(), "{lost:?}");
        }
    }

    #[tokio::test]
    async fn a_message_for_a_connection_closed_since_it_was_found_goes_on_a_new_one() {
        use tokio::io::AsyncReadExt;

        let listen = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        let sockets = SipSockets::bind(SocketsConfig::on(listen)).await.unwrap();
        let peer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = peer.local_addr().unwrap();
        // A connection to the peer, found for the message, then closed as its task closes
        // one: out of the table, then its queue.
        let (found, writes) = mpsc::channel(1);
        let registration = sockets
            .shared
            .table
            .register(remote, found.clone(), 1)
            .unwrap();
        drop(registration);
        drop(writes);
        let message = Outgoing {
            transport: Transport::Tcp,
            destination: remote,
            connection: None,
            source: None,
            reopen: None,
            payload: Vec::new(),
        };
        let payload = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\r\n".to_vec();
        sockets.enqueue(found, &message, payload.clone()).unwrap();
        let limit = std::time::Duration::from_secs(5);
        let (mut stream, _) = tokio::time::timeout(limit, peer.accept())
            .await
            .expect("a new connection")
            .unwrap();
        let mut read = vec![0; payload.len()];
        tokio::time::timeout(limit, stream.read_exact(&mut read))
            .await
            .expect("the message")
            .unwrap();
        assert_eq!(read, payload);
    }

    #[tokio::test]
    async fn a_peer_reported_unreachable_is_heard_of_before_messages_queued_earlier() {
        let listen = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        let mut sockets = SipSockets::bind(SocketsConfig::on(listen)).await.unwrap();
        let peer = SocketAddr::from(([192, 0, 2, 1], 5060));
        let message = Received {
            transport: Transport::Tcp,
            local: sockets.shared.tcp_listening[0],
            remote: peer,
            connection: None,
            payload: b"SIP/2.0 100 Trying\r\n\r\n".to_vec(),
        };
        sockets.shared.received.send(message).await.unwrap();
        let lost = (Transport::Tcp, peer);
        sockets.shared.unreachable.send(lost).await.unwrap();
        assert!(
            matches!(sockets.recv().await, SocketEvent::Unreachable { remote, .. } if remote == peer),
            "the report first"
        );
        assert!(matches!(sockets.recv().await, SocketEvent::Message(_)));
    }

    #[tokio::test]
    async fn a_reader_that_panics_is_reported_with_what_it_read() {
        let listen = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        let mut sockets = SipSockets::bind(SocketsConfig::on(listen)).await.unwrap();
        sockets.read("a test socket".to_owned(), async { panic!("a bug") });
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), sockets.recv())
            .await
            .expect("the end is reported");
        let SocketEvent::Stopped(why) = event else {
            panic!("{event:?}");
        };
        assert!(why.starts_with("a test socket is read no more"), "{why}");
        assert!(why.contains("panicked") && why.contains("a bug"), "{why}");
    }
}
