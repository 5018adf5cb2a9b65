//! TCP connections (RFC 3261 §18): accepting them and opening them. Each one's task, which
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
use tokio::time::{Instant, sleep, timeout};
use tracing::{debug, warn};

use crate::connections::{Queue, Refused};
use crate::sockets::{SendError, Shared};
use connection::{Connection, report_lost, run, withdraw};
pub use throttle::Throttle;

/// How often accepting connections that keeps failing is warned of at most.
const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Accepts connections on `listener`, bound to `local`, until the sockets are dropped; each
/// gets its own task, or is closed at once when
/// [`SocketsConfig::max_connections`](crate::SocketsConfig) are open (or seven eighths of
/// them serve peers) and none can give its place up for it
/// ([`Table::admit`](crate::connections::Table::admit)), or when
/// [`SocketsConfig::max_connections_per_address`](crate::SocketsConfig) accepted ones from
/// the peer's host (its IPv4 address or IPv6 /64) are open. Accepting that fails is retried,
/// and warned of once per [`ACCEPT_WARNING_INTERVAL`] at most.
pub(crate) async fn accept_loop(listener: TcpListener, local: SocketAddr, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut failures = Throttle::new(ACCEPT_WARNING_INTERVAL);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => serve_accepted(stream, remote, &shared),
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

/// Serves `stream`, accepted from `remote`, in a task of its own if the table has a place for
/// it, evicting one of the host holding the most places if need be
/// ([`Table::admit`](crate::connections::Table::admit)); closes it at once if not.
fn serve_accepted(stream: TcpStream, remote: SocketAddr, shared: &Arc<Shared>) {
    let (queue, writes) = write_queue(shared);
    let per_address = shared.config.max_connections_per_address;
    let needed = |peer| shared.keep_open.needs(peer);
    match shared.table.admit(remote, queue, per_address, &needed) {
        Ok((registration, evicted)) => {
            if let Some(evicted) = evicted {
                debug!(%remote, %evicted, "TCP connection accepted in place of one of a host holding more");
            }
            let connection = Connection {
                stream,
                remote,
                registration,
                opened_here: false,
            };
            tokio::spawn(run(connection, writes, Arc::clone(shared)));
        }
        Err(Refused::Full(_)) => debug!(%remote, "TCP connection refused: too many open"),
        Err(Refused::AddressFull) => {
            debug!(%remote, "TCP connection refused: too many from its host");
        }
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
                let connection = Connection {
                    stream,
                    remote,
                    registration,
                    opened_here: true,
                };
                return run(connection, writes, shared).await;
            }
            Ok(Err(e)) => debug!(%remote, "TCP connect: {e}"),
            Err(_) => debug!(%remote, "TCP connect timed out"),
        }
        withdraw(&mut registration, writes);
        report_lost(&shared, remote);
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
