//! TCP connections (RFC 3261 §18): accepting them, opening them, and each one's task, which
//! frames what it reads and writes what its queue holds.

mod deadline;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use switchyard_sip::{FramingError, PONG, StreamFramer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tracing::debug;

use crate::connections::{Queue, Refused, Registration};
use crate::sockets::{SendError, Shared};
use crate::{Received, Transport};
use deadline::{Deadlines, Stall};

/// Bytes read from a connection at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Accepts connections on `listener` until the sockets are dropped; each gets its own task,
/// or is closed at once when [`SocketsConfig::max_connections`](crate::SocketsConfig) are
/// open, or [`SocketsConfig::max_connections_per_address`](crate::SocketsConfig) accepted
/// ones from the peer's host (its IPv4 address or IPv6 /64).
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => {
                let (queue, writes) = mpsc::channel(shared.config.max_write_queue);
                let per_address = shared.config.max_connections_per_address;
                match shared.table.accept(remote, queue, per_address) {
                    Ok(registration) => {
                        let connection = Connection {
                            stream,
                            registration,
                            opened_here: false,
                        };
                        tokio::spawn(run(connection, writes, Arc::clone(&shared)));
                    }
                    Err(Refused::Full) => debug!(%remote, "TCP connection refused: too many open"),
                    Err(Refused::AddressFull) => {
                        debug!(%remote, "TCP connection refused: too many from its host");
                    }
                }
            }
            Err(e) => {
                // Out of file descriptors, mostly: accepting again at once would spin.
                debug!("TCP accept: {e}");
                sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Whom a connection this side opens serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// Our own requests (and their responses).
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
    let (queue, writes) = mpsc::channel(shared.config.max_write_queue);
    let config = &shared.config;
    let registered = match opened {
        Opened::ForUs => shared.table.register(remote, queue.clone()),
        Opened::ForPeer => {
            let per_address = config.max_connections_per_address;
            shared.table.accept(remote, queue.clone(), per_address)
        }
    };
    let registration = registered.map_err(|refused| match refused {
        Refused::Full => SendError::TooManyConnections(config.max_connections),
        Refused::AddressFull => {
            SendError::TooManyFromPeer(remote, config.max_connections_per_address)
        }
    })?;
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        match timeout(shared.config.connect_timeout, open(remote, from)).await {
            Ok(Ok(stream)) => {
                let connection = Connection {
                    stream,
                    registration,
                    opened_here: true,
                };
                return run(connection, writes, shared).await;
            }
            Ok(Err(e)) => debug!(%remote, "TCP connect: {e}"),
            Err(_) => debug!(%remote, "TCP connect timed out"),
        }
        // Full: dropped, and the transaction's own timer ends what waited on it.
        let _ = shared.unreachable.try_send(remote);
    });
    Ok(queue)
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

/// A connection established, and whether this side opened it.
struct Connection {
    stream: TcpStream,
    registration: Registration,
    /// Opened here: its local port is ephemeral, and what arrives on it is taken to
    /// arrive at our listener ([`Shared::listening_address`]).
    opened_here: bool,
}

/// One connection until it closes: the peer closes it, it idles for the idle timeout while
/// its owner does not need it ([`crate::SipSockets::keep_open_while`]), a message read takes
/// longer than the message timeout, a read or write fails, its framing fails, or the sockets
/// are dropped. Its registration goes with it.
async fn run(connection: Connection, mut writes: mpsc::Receiver<Vec<u8>>, shared: Arc<Shared>) {
    let Connection {
        stream,
        registration,
        opened_here,
    } = connection;
    let (Ok(local), Ok(remote)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    // Messages written back to back (100 then 180, an INVITE then its CANCEL) leave at once,
    // not after the peer's delayed ACK of the first.
    let _ = stream.set_nodelay(true);
    let local = if opened_here {
        shared.listening_address(local)
    } else {
        local
    };
    let (mut reader, mut writer) = stream.into_split();
    let config = &shared.config;
    let mut framer = StreamFramer::new(config.max_message_bytes);
    let mut buffer = vec![0; READ_CHUNK];
    let mut shutdown = shared.shutdown.clone();
    let mut deadlines = if opened_here {
        Deadlines::new(now(), config.idle_timeout, config.message_timeout)
    } else {
        Deadlines::accepted(now(), config.idle_timeout, config.message_timeout)
    };
    loop {
        let (deadline, stall) = deadlines.next();
        tokio::select! {
            _ = shutdown.changed() => return,
            () = sleep_until(Instant::from_std(deadline)) => {
                match stall {
                    Stall::Idle if shared.keep_open.needs(remote) => {
                        deadlines.used(now());
                        continue;
                    }
                    Stall::Idle => debug!(%remote, "TCP connection idle: closed"),
                    Stall::Message => debug!(%remote, "TCP message incomplete in time: closed"),
                    Stall::NoMessage => debug!(%remote, "TCP connection carried no message: closed"),
                }
                return;
            }
            read = reader.read(&mut buffer) => {
                let len = match read {
                    Ok(0) => return,
                    Ok(len) => len,
                    Err(e) => {
                        debug!(%remote, "TCP read: {e}");
                        return;
                    }
                };
                deadlines.read(now());
                framer.push(&buffer[..len]);
                loop {
                    let payload = match framer.next_message() {
                        Ok(Some(payload)) => payload,
                        Ok(None) => {
                            deadlines.settled(framer.is_mid_message());
                            break;
                        }
                        Err(error) => return refuse(&mut writer, &error, remote, &shared).await,
                    };
                    deadlines.framed();
                    let message = Received {
                        transport: Transport::Tcp,
                        local,
                        remote,
                        connection: Some(registration.id()),
                        payload,
                    };
                    if shared.received.send(message).await.is_err() {
                        return;
                    }
                }
                // RFC 5626 §3.5.1: each double-CRLF ping is answered with a CRLF pong; those
                // of one read in one write, not a system call for each 4 bytes read.
                let pings = framer.take_pings();
                if pings > 0 && !write(&mut writer, &PONG.repeat(pings), config.message_timeout).await {
                    return;
                }
            }
            message = writes.recv() => {
                let Some(message) = message else { return };
                if !write(&mut writer, &message, config.message_timeout).await {
                    return;
                }
                deadlines.used(now());
            }
        }
    }
}

/// Answers the message that broke the framing if it deserves an answer, then closes: no later
/// byte on the stream can be trusted to start a message.
async fn refuse(
    writer: &mut OwnedWriteHalf,
    error: &FramingError,
    remote: SocketAddr,
    shared: &Shared,
) {
    debug!(%remote, "TCP framing: {error}");
    let tag = format!("{:016x}", rand::random::<u64>());
    if let Some(response) = error.response(&tag, &shared.config.server) {
        write(writer, &response, shared.config.message_timeout).await;
    }
    // Best effort: the connection is dropped either way.
    let _ = timeout(shared.config.message_timeout, writer.shutdown()).await;
}

/// Writes all of `bytes` within `limit`; false if that failed, which ends the connection (a
/// peer that stops reading must not hold a task forever).
async fn write(writer: &mut OwnedWriteHalf, bytes: &[u8], limit: Duration) -> bool {
    matches!(timeout(limit, writer.write_all(bytes)).await, Ok(Ok(())))
}

/// The time now, as [`Deadlines`] take it.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
