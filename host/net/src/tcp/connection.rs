//! One connection's task, from its opening to its end: it frames what it reads and hands each
//! message to the sockets' owner, writes what its queue holds, and says when messages queued
//! for the peer were lost. The same for a TCP stream and for TLS over one: the task reads and
//! writes any stream, once [`set_up`] has tuned the TCP socket under it.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use switchyard_sip::{FramingError, PONG, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, sleep_until, timeout};
use tracing::debug;

use super::deadline::{Deadlines, Stall};
use super::liveness;
use super::owed::Owed;
use crate::connections::Registration;
use crate::sockets::Shared;
use crate::{Received, Transport};

/// Bytes read from a connection at a time.
const READ_CHUNK: usize = 16 * 1024;

/// What a connection's task reads and writes: a TCP stream, or TLS over one.
pub(super) trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<S: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for S {}

/// A connection established, and whether this side opened it.
pub(super) struct Connection<S> {
    pub(super) stream: S,
    /// What its messages come over: TCP, or TLS.
    pub(super) transport: Transport,
    /// The address messages read are taken to arrive at ([`set_up`]).
    pub(super) local: SocketAddr,
    /// The peer's address: the one connected to, or the one accepted from.
    pub(super) remote: SocketAddr,
    pub(super) registration: Registration,
    /// Opened here: its local port is ephemeral, and what arrives on it is taken to
    /// arrive at our listener ([`Shared::listening_address`]).
    pub(super) opened_here: bool,
    /// When its TCP connection was established (accepted, or connected): an accepted one
    /// must carry its first message within the message timeout of it, its TLS handshake
    /// included.
    pub(super) established: std::time::Instant,
}

/// Tunes `stream`, a TCP connection to `remote` just established (to a peer that may vanish
/// unheard of: see `liveness`), and returns the address messages read from it are taken to arrive at:
/// its local address, or for one `opened_here` our listener's
/// ([`Shared::listening_address`]). None, once logged, if it is unusable.
pub(super) fn set_up(
    stream: &TcpStream,
    remote: SocketAddr,
    opened_here: bool,
    shared: &Shared,
) -> Option<SocketAddr> {
    let local = match stream.local_addr() {
        Ok(local) => local,
        Err(e) => {
            debug!(%remote, "TCP connection unusable: {e}");
            return None;
        }
    };
    // Messages written back to back (100 then 180, an INVITE then its CANCEL) leave at once,
    // not after the peer's delayed ACK of the first.
    let _ = stream.set_nodelay(true);
    if let Err(e) = liveness::watch(stream) {
        debug!(%remote, "TCP keepalive: {e}");
    }
    Some(if opened_here {
        shared.listening_address(local)
    } else {
        local
    })
}

/// Gives up a connection to `remote` carrying `transport` that will not be served
/// (unusable, or its TLS handshake failed): out of the table, and `remote` reported
/// unreachable over `transport` if messages were queued for it.
pub(super) fn abandon(
    mut registration: Registration,
    writes: mpsc::Receiver<Vec<u8>>,
    shared: &Shared,
    transport: Transport,
    remote: SocketAddr,
) {
    if !withdraw(&mut registration, writes).is_empty() {
        report_lost(shared, transport, remote);
    }
}

/// How a connection's task stopped serving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The sockets were dropped: nothing more is written or reported.
    Shutdown,
    /// It is closed, by this side or by the peer: what is still queued is written first.
    Close,
    /// A read or write failed; `unwritten` if messages failed to be written.
    Broken { unwritten: bool },
}

/// One connection until it closes: the peer closes it (one the peer opened stays for writing
/// until the requests read from it have their final responses written, for the message
/// timeout after the last at most: [`Owed`], [`Deadlines::stopped_reading`]), it idles for
/// the idle timeout while its owner does not need it
/// ([`crate::SipSockets::keep_open_while`]), it is evicted to make room for another host's
/// ([`Registration::evicted`]: it reads no more, and stays for writing as one its peer
/// closed does), a message read takes longer than the message timeout, a read or write fails
/// (the kernel fails them once the peer is found gone, see `liveness`), its framing fails,
/// or the sockets are dropped. While the owner has not taken the messages read, nothing more
/// is read and none of those timeouts runs ([`Deadlines::owner_behind`]). Its registration
/// goes with it, and not before its socket. If it ends with messages for
/// the peer unwritten, the peer is reported unreachable ([`crate::SocketEvent::Unreachable`]).
/// Every message read whole reaches the owner, however it ends, unless the sockets are
/// dropped or the owner takes none of them for the message timeout once it has ended.
pub(super) async fn run<S: Stream>(
    connection: Connection<S>,
    writes: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let Connection {
        stream,
        transport,
        local,
        remote,
        registration,
        opened_here,
        established,
    } = connection;
    let config = &shared.config;
    let deadlines = if opened_here {
        Deadlines::new(established, config.idle_timeout, config.message_timeout)
    } else {
        Deadlines::accepted(established, config.idle_timeout, config.message_timeout)
    };
    let (reader, writer) = tokio::io::split(stream);
    let mut task = Task {
        framer: StreamFramer::new(config.max_message_bytes),
        reader,
        writer,
        writes,
        registration,
        transport,
        local,
        remote,
        opened_here,
        deadlines,
        framed: VecDeque::new(),
        owed: Owed::default(),
        reading: true,
        shared: Arc::clone(&shared),
    };
    let end = task.serve().await;
    task.finish(end).await;
}

/// A connection's state while its task serves it.
struct Task<S> {
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    writes: mpsc::Receiver<Vec<u8>>,
    registration: Registration,
    transport: Transport,
    /// The address messages read are taken to arrive at.
    local: SocketAddr,
    remote: SocketAddr,
    opened_here: bool,
    framer: StreamFramer,
    deadlines: Deadlines,
    /// Messages framed that the sockets' owner has not taken yet.
    framed: VecDeque<Received>,
    /// The requests read that still owe their final response.
    owed: Owed,
    /// Whether it still reads: false once the peer closed its side, or it was evicted.
    reading: bool,
    shared: Arc<Shared>,
}

impl<S: Stream> Task<S> {
    /// Serves the connection until it ends, and says how.
    async fn serve(&mut self) -> End {
        let mut shutdown = self.shared.shutdown.clone();
        // A permit borrows its sender, held while the task takes it.
        let received = self.shared.received.clone();
        let mut buffer = vec![0; READ_CHUNK];
        let mut batch = Vec::new();
        let most = self.writes.max_capacity();
        loop {
            // It reads no more, and what it read is taken and answered.
            if !self.reading && self.framed.is_empty() && self.owed.settled() {
                return End::Close;
            }
            self.deadlines.owner_behind(!self.framed.is_empty(), now());
            let next = self.deadlines.next();
            // Nothing more is read while the owner has not taken what was: its queue holds
            // the sockets' backlog, then the kernel's buffers and TCP flow control.
            let read = self.reading && self.framed.is_empty();
            // Writes first: the queue drains whatever else is ready, and the owner waiting to
            // take what was read never holds up what it already answered.
            tokio::select! {
                biased;
                _ = shutdown.changed() => return End::Shutdown,
                stall = expiry(next) => {
                    if let Some(end) = self.stalled(stall) {
                        return end;
                    }
                }
                // An evicted connection still owes the responses to the requests read from it,
                // and no other could carry them: the place it gave up is taken.
                () = self.registration.evicted(), if self.reading => {
                    debug!(remote = %self.remote, "TCP connection evicted: reading no more");
                    self.stop_reading();
                }
                // Every message queued, in one write rather than one per wake-up.
                taken = self.writes.recv_many(&mut batch, most) => {
                    // The table holds a sender while the registration lives: never 0 here.
                    if taken == 0 {
                        return End::Close;
                    }
                    let bytes = batch.concat();
                    if !self.write(&bytes).await {
                        return End::Broken { unwritten: true };
                    }
                    self.registration.carried();
                    for message in batch.drain(..) {
                        self.owed.written(&message);
                    }
                }
                permit = received.reserve(), if !self.framed.is_empty() => {
                    let (Ok(permit), Some(message)) = (permit, self.framed.pop_front()) else {
                        return End::Shutdown;
                    };
                    permit.send(message);
                    if !self.hand_off() {
                        return End::Shutdown;
                    }
                }
                read = self.reader.read(&mut buffer), if read => match closed_as_eof(self.transport, read) {
                    // The peer's listener takes a new connection for what comes next.
                    Ok(0) if self.opened_here => return End::Close,
                    // §18.2.2: responses to what it sent go on this connection, which it may
                    // still read (a half-close), and no other reaches its ephemeral port: it
                    // stays until they are written, or for the message timeout at most.
                    Ok(0) => self.stop_reading(),
                    Ok(len) => {
                        if let Some(end) = self.frame(&buffer[..len]).await {
                            return end;
                        }
                    }
                    Err(e) => {
                        debug!(remote = %self.remote, "TCP read: {e}");
                        return End::Broken { unwritten: false };
                    }
                },
            }
        }
    }

    /// The deadline for `stall` passed: how the connection ends, if it does.
    fn stalled(&mut self, stall: Stall) -> Option<End> {
        let remote = self.remote;
        match stall {
            Stall::Idle if self.shared.keep_open.needs(remote) => {
                self.deadlines.used(now());
                return None;
            }
            Stall::Idle => debug!(%remote, "TCP connection idle: closed"),
            Stall::Message => debug!(%remote, "TCP message incomplete in time: closed"),
            Stall::NoMessage => debug!(%remote, "TCP connection carried no message: closed"),
            Stall::StoppedReading => {
                debug!(%remote, "TCP responses owed not written in time: closed")
            }
        }
        Some(End::Close)
    }

    /// Reads no more from now on: the connection stays for writing the responses owed to the
    /// requests read from it, for the message timeout after the last at most.
    fn stop_reading(&mut self) {
        self.reading = false;
        self.deadlines.stopped_reading(now());
    }

    /// Frames `bytes`, just read: hands the messages to the owner and answers keepalive
    /// pings. How the connection ends, if it does.
    async fn frame(&mut self, bytes: &[u8]) -> Option<End> {
        self.deadlines.read(now());
        self.framer.push(bytes);
        let mut carried = false;
        loop {
            match self.framer.next_message() {
                Ok(Some(payload)) => {
                    self.deadlines.framed();
                    carried = true;
                    self.owed.read(&payload);
                    self.framed.push_back(Received {
                        transport: self.transport,
                        local: self.local,
                        remote: self.remote,
                        connection: Some(self.registration.id()),
                        payload,
                    });
                }
                Ok(None) => {
                    self.deadlines.settled(self.framer.is_mid_message());
                    break;
                }
                Err(error) => return Some(self.refuse(&error).await),
            }
        }
        // The table's lock once per read, however many messages it framed.
        if carried {
            self.registration.carried();
        }
        if !self.hand_off() {
            return Some(End::Shutdown);
        }
        // RFC 5626 §3.5.1: each double-CRLF ping is answered with a CRLF pong; those of one
        // read in one write, not a system call for each 4 bytes read.
        let pings = self.framer.take_pings();
        if pings > 0 && !self.write(&PONG.repeat(pings)).await {
            return Some(End::Broken { unwritten: false });
        }
        None
    }

    /// Hands the owner as many framed messages as its queue takes now; false if it is gone.
    fn hand_off(&mut self) -> bool {
        while let Some(message) = self.framed.pop_front() {
            match self.shared.received.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Full(message)) => {
                    self.framed.push_front(message);
                    break;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        true
    }

    /// Answers the message that broke the framing if it deserves an answer, counting the
    /// answer written, or else the request dropped unanswered if it is one
    /// ([`crate::SocketEvent::FramingRefused`]): no later byte on the stream can be trusted
    /// to start a message, so the connection closes (and the messages framed before `error`
    /// go to the owner then, see [`Task::finish`]).
    async fn refuse(&mut self, error: &FramingError) -> End {
        debug!(remote = %self.remote, "TCP framing: {error}");
        let tag = format!("{:016x}", rand::random::<u64>());
        let Some(response) = error.response(&tag, &self.shared.config.server) else {
            self.shared.refusals.count_unanswered(error);
            return End::Close;
        };
        if !self.write(&response).await {
            return End::Broken { unwritten: false };
        }
        self.shared.refusals.count_answered(error);
        End::Close
    }

    /// Writes all of `bytes` within the message timeout; false if that failed, which ends
    /// the connection (a peer that stops reading must not hold a task forever).
    async fn write(&mut self, bytes: &[u8]) -> bool {
        let limit = self.shared.config.message_timeout;
        let written = write_within(&mut self.writer, bytes, limit).await;
        if written {
            self.deadlines.used(now());
        }
        written
    }

    /// Ends the connection as `end` says: out of the way of messages, what is still queued
    /// written if it closes, the socket closed, the peer reported unreachable if messages for
    /// it were lost (RFC 3261 §18.4 has the transaction layer told; see
    /// `Endpoint::transport_failed` for what it then fails), and then the messages read that
    /// the owner has not taken handed to it, unless the sockets were dropped. The
    /// registration, dropped last, keeps the connection counted until then.
    async fn finish(self, end: End) {
        let Self {
            reader,
            mut writer,
            writes,
            mut registration,
            transport,
            remote,
            shared,
            mut framed,
            ..
        } = self;
        let left = withdraw(&mut registration, writes);
        let limit = shared.config.message_timeout;
        // Only what was never written is reported: a request written before the connection
        // broke may still be answered on a new one to our Via (§18.2.2), and its
        // transaction's timer decides; once one is lost, though, the owner gives up every
        // request that waits on the peer.
        let lost = match end {
            End::Shutdown => return,
            End::Broken { unwritten } => unwritten || !left.is_empty(),
            End::Close => {
                let written = left.is_empty() || write_within(&mut writer, &left, limit).await;
                // Best effort: the connection is dropped either way.
                let _ = timeout(limit, writer.shutdown()).await;
                !written
            }
        };
        drop((reader, writer));
        if lost {
            report_lost(&shared, transport, remote);
        }
        // Messages read whole are the owner's all the same: a request's responses go on a new
        // connection to its Via once this one is gone (§18.2.2). Not after the message
        // timeout, though: the sender has given up on them by then, and a peer ending
        // connection after connection must not hold places in the table for long.
        if timeout(limit, hand_over(&shared, &mut framed))
            .await
            .is_err()
        {
            debug!(%remote, dropped = framed.len(), "TCP messages the owner did not take in time");
        }
    }
}

/// Hands `framed` to the owner, in order, as its queue takes them; those left are dropped if
/// it is gone.
async fn hand_over(shared: &Shared, framed: &mut VecDeque<Received>) {
    while !framed.is_empty() {
        let Ok(permit) = shared.received.reserve().await else {
            framed.clear();
            return;
        };
        if let Some(message) = framed.pop_front() {
            permit.send(message);
        }
    }
}

/// Takes a connection out of the way of messages ([`Registration::retire`]), so that those
/// for its peer from now on go on another, and then closes its queue: a message that found
/// the connection before is refused, and goes on another ([`crate::SipSockets::send`]).
/// Returns what was queued and not written.
pub(super) fn withdraw(
    registration: &mut Registration,
    mut writes: mpsc::Receiver<Vec<u8>>,
) -> Vec<u8> {
    registration.retire();
    writes.close();
    let mut left = Vec::new();
    while let Ok(message) = writes.try_recv() {
        left.extend_from_slice(&message);
    }
    left
}

/// Reports `remote` unreachable over `transport`: messages queued for it were lost.
pub(super) fn report_lost(shared: &Shared, transport: Transport, remote: SocketAddr) {
    debug!(%remote, %transport, "connection lost messages for its peer: reported unreachable");
    // Full: dropped, and the transaction's own timer ends what waited on it.
    let _ = shared.unreachable.try_send((transport, remote));
}

/// What a read from a connection carrying `transport` gave, a TLS peer's close without its
/// close_notify taken as the end of its stream (`Ok(0)`), as over TCP: rustls reports it as
/// `UnexpectedEof`, guarding against a truncation that Content-Length framing detects
/// already, and many SIP peers close so. The responses owed to that peer are still written.
fn closed_as_eof(transport: Transport, read: io::Result<usize>) -> io::Result<usize> {
    match read {
        Err(e) if transport == Transport::Tls && e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
        read => read,
    }
}

/// The stall whose deadline passes first: never while there is none.
async fn expiry(next: Option<(std::time::Instant, Stall)>) -> Stall {
    match next {
        Some((deadline, stall)) => {
            sleep_until(Instant::from_std(deadline)).await;
            stall
        }
        None => std::future::pending().await,
    }
}

/// Writes all of `bytes` to `writer` within `limit`, flushed (TLS may hold back the records
/// of what it took); false if that failed.
async fn write_within(
    writer: &mut (impl AsyncWrite + Unpin),
    bytes: &[u8],
    limit: Duration,
) -> bool {
    let written = async {
        writer.write_all(bytes).await?;
        writer.flush().await
    };
    matches!(timeout(limit, written).await, Ok(Ok(())))
}

/// The time now, as [`Deadlines`] take it.
pub(super) fn now() -> std::time::Instant {
    Instant::now().into_std()
}
