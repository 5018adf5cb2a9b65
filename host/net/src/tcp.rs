//! TCP connections (RFC 3261 §18), and TLS over them (§26.2.1): accepting them and opening
//! them (TCP only: no TLS connection is opened from here). Each one's task, which
//! frames what it reads and writes what its queue holds, is in `connection`; its deadlines in
//! `deadline`; what it still owes a peer that closed its side in `owed`; how a dead one is
//! noticed in `liveness`; how often failing to accept one is warned of in `throttle`.

mod connection;
mod deadline;
mod liveness;
mod owed;
mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{debug, warn};

use crate::Transport;
use crate::connections::{Queue, Refused, Registration};
use crate::sockets::{SendError, Shared};
use connection::{Connection, abandon, now, report_lost, run, set_up, withdraw};
pub use throttle::Throttle;

/// How often accepting connections that keeps failing is warned of at most.
const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// What the connections a listener accepts carry.
#[derive(Clone)]
pub(crate) enum Carrying {
    /// SIP straight over TCP.
    Tcp,
    /// SIP over TLS, once the handshake with this acceptor is done.
    Tls(TlsAcceptor),
}

impl Carrying {
    /// The transport of the messages read.
    fn transport(&self) -> Transport {
        match self {
            Self::Tcp => Transport::Tcp,
            Self::Tls(_) => Transport::Tls,
        }
    }
}

/// Accepts connections carrying `carrying` on `listener`, bound to `local`, until the sockets
/// are dropped; each gets its own task, or is closed at once when
/// [`SocketsConfig::max_connections`](crate::SocketsConfig) are open (or seven eighths of
/// them serve peers) and none can give its place up for it
/// ([`Table::admit`](crate::connections::Table::admit)), or when
/// [`SocketsConfig::max_connections_per_address`](crate::SocketsConfig) accepted ones from
/// the peer's host (its IPv4 address or IPv6 /64) are open. Accepting that fails is retried,
/// and warned of once per [`ACCEPT_WARNING_INTERVAL`] at most.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    local: SocketAddr,
    shared: Arc<Shared>,
    carrying: Carrying,
) {
    let mut shutdown = shared.shutdown.clone();
    let mut failures = Throttle::new(ACCEPT_WARNING_INTERVAL);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => serve_accepted(stream, remote, &shared, &carrying),
            Err(e) => {
                // Out of file descriptors, mostly: connections wait in the kernel's backlog
                // (and are refused once it is full) until some are closed.
                if let Some(failed) = failures.failed(Instant::now().into_std()) {
                    warn!(listener = %local, failed, "TCP accept failed: {e}");
                }
                // Accepting again at once would spin.
                sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Serves `stream`, accepted from `remote` and carrying `carrying`, in a task of its own if
/// the table has a place for it, evicting one of the host holding the most places if need be
/// ([`Table::admit`](crate::connections::Table::admit)); closes it at once if not.
fn serve_accepted(
    stream: TcpStream,
    remote: SocketAddr,
    shared: &Arc<Shared>,
    carrying: &Carrying,
) {
    let (queue, writes) = write_queue(shared);
    let per_address = shared.config.max_connections_per_address;
    let needed = |peer| shared.keep_open.needs(peer);
    let transport = carrying.transport();
    match shared
        .table
        .admit(transport, remote, queue, per_address, &needed)
    {
        Ok((registration, evicted)) => {
            if let Some(evicted) = evicted {
                debug!(%remote, %evicted, "TCP connection accepted in place of one of a host holding more");
            }
            let accepted = Accepted {
                remote,
                transport,
                registration,
                established: now(),
            };
            let carrying = carrying.clone();
            tokio::spawn(serve(
                stream,
                accepted,
                carrying,
                writes,
                Arc::clone(shared),
            ));
        }
        Err(Refused::Full(_)) => debug!(%remote, "TCP connection refused: too many open"),
        Err(Refused::AddressFull) => {
            debug!(%remote, "TCP connection refused: too many from its host");
        }
    }
}

/// A connection accepted, holding its place in the table.
struct Accepted {
    remote: SocketAddr,
    /// What its messages come over: that of the listener's [`Carrying`].
    transport: Transport,
    registration: Registration,
    /// When it was accepted.
    established: std::time::Instant,
}

impl Accepted {
    /// The connection to serve: `stream`, its messages taken to arrive at `local`.
    fn connection<S>(self, stream: S, local: SocketAddr) -> Connection<S> {
        Connection {
            stream,
            transport: self.transport,
            local,
            remote: self.remote,
            registration: self.registration,
            opened_here: false,
            established: self.established,
        }
    }

    /// Gives it up unserved ([`abandon`]).
    fn abandon(self, writes: mpsc::Receiver<Vec<u8>>, shared: &Shared) {
        abandon(
            self.registration,
            writes,
            shared,
            self.transport,
            self.remote,
        );
    }
}

/// Serves `stream`, the connection `accepted`, until it ends: straight away over TCP; over
/// TLS once the handshake is done, which it must be within the message timeout of its
/// acceptance (the place it holds meanwhile is counted as any other's, and may be evicted),
/// or it is closed.
async fn serve(
    stream: TcpStream,
    accepted: Accepted,
    carrying: Carrying,
    writes: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let Some(local) = set_up(&stream, accepted.remote, false, &shared) else {
        return accepted.abandon(writes, &shared);
    };
    match carrying {
        Carrying::Tcp => {
            let connection = accepted.connection(stream, local);
            run(connection, writes, shared).await;
        }
        Carrying::Tls(acceptor) => match handshake(&acceptor, stream, &accepted, &shared).await {
            Some(tls) => {
                let connection = accepted.connection(tls, local);
                run(connection, writes, shared).await;
            }
            None => accepted.abandon(writes, &shared),
        },
    }
}

/// The TLS session `acceptor` establishes over `stream`, the connection `accepted`; none if
/// the handshake fails, is not done within the message timeout of its acceptance (a peer
/// that connects and stays silent, or trickles its handshake, holds a place no longer than
/// one that sends no message), the connection is evicted meanwhile, or the sockets are
/// dropped.
async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    accepted: &Accepted,
    shared: &Shared,
) -> Option<TlsStream<TcpStream>> {
    let remote = accepted.remote;
    let mut shutdown = shared.shutdown.clone();
    let deadline = Instant::from_std(accepted.established + shared.config.message_timeout);
    tokio::select! {
        _ = shutdown.changed() => None,
        // It owes nothing yet: closed at once, it frees its slot among the evicted ones
        // closing (an eighth of the places at most), which waiting out its handshake would
        // hold for the message timeout, refusing newcomers meanwhile.
        () = accepted.registration.evicted() => {
            debug!(%remote, "TLS connection evicted while handshaking: closed");
            None
        }
        done = timeout_at(deadline, acceptor.accept(stream)) => match done {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(e)) => {
                debug!(%remote, "TLS handshake failed: {e}");
                None
            }
            Err(_) => {
                debug!(%remote, "TLS handshake not done within the message timeout: closed");
                None
            }
        },
    }
}

/// Whom a connection this side opens serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// Our own requests (and their responses). It counts among the connections opened from
    /// here to the peer's host: where an in-dialog request goes is the peer's choice (its
    /// Contact or Record-Route), so a peer naming a new port in each dialog could otherwise
    /// have us open connections until the table is full.
    ForUs,
    /// The peer's requests: it answers one whose connection closed (§18.2.2). It counts
    /// among the connections the peer's host may hold, as an accepted one does, or a peer
    /// naming a new Via port in each request could open connections without bound.
    ForPeer,
}

/// Opens a connection to `remote` (from `from`, if set, on a port the system picks) in the
/// background and returns its queue at once, so that messages sent meanwhile go on it too
/// (§18.1.1: later requests reuse it). If it cannot be established within the connect
/// timeout, what was queued is dropped and `remote` is reported by
/// [`SipSockets::recv`](crate::SipSockets::recv).
pub(crate) fn connect(
    remote: SocketAddr,
    from: Option<IpAddr>,
    shared: &Arc<Shared>,
    opened: Opened,
) -> Result<Queue, SendError> {
    let (queue, writes) = write_queue(shared);
    let config = &shared.config;
    let per_address = config.max_connections_per_address;
    let registered = match opened {
        Opened::ForUs => shared.table.register(remote, queue.clone(), per_address),
        Opened::ForPeer => shared.table.accept(remote, queue.clone(), per_address),
    };
    let mut registration = registered.map_err(|refused| match refused {
        Refused::Full(open) => SendError::TooManyConnections(open),
        Refused::AddressFull => SendError::TooManyFromPeer(remote, per_address),
    })?;
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        match timeout(shared.config.connect_timeout, open(remote, from)).await {
            Ok(Ok(stream)) => {
                let established = now();
                let Some(local) = set_up(&stream, remote, true, &shared) else {
                    return abandon(registration, writes, &shared, Transport::Tcp, remote);
                };
                let connection = Connection {
                    stream,
                    transport: Transport::Tcp,
                    local,
                    remote,
                    registration,
                    opened_here: true,
                    established,
                };
                return run(connection, writes, shared).await;
            }
            Ok(Err(e)) => debug!(%remote, "TCP connect: {e}"),
            Err(_) => debug!(%remote, "TCP connect timed out"),
        }
        withdraw(&mut registration, writes);
        report_lost(&shared, Transport::Tcp, remote);
    });
    Ok(queue)
}

/// A new connection's queue of messages to write, holding
/// [`SocketsConfig::max_write_queue`](crate::SocketsConfig) at most, and 1 at least.
fn write_queue(shared: &Shared) -> (Queue, mpsc::Receiver<Vec<u8>>) {
    mpsc::channel(shared.config.max_write_queue.max(1))
}

/// A connection to `remote` from `from`, else (none, or not an address of this host: a NAT's
/// public one, which our Via may name) from the address the kernel picks.
async fn open(remote: SocketAddr, from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    // A loopback source reaches loopback destinations only.
    if let Some(from) = from.filter(|from| !from.is_loopback() || remote.ip().is_loopback()) {
        let socket = if remote.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        match socket.bind(SocketAddr::new(from, 0)) {
            Ok(()) => return socket.connect(remote).await,
            Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {}
            Err(e) => return Err(e),
        }
    }
    TcpStream::connect(remote).await
}
