//! Packet I/O over io_uring: every leg's RTP and RTCP socket has one multishot `recvmsg` in
//! flight, which
//! completes once per packet and stays armed, taking its buffers from the worker's
//! [`ReceiveBuffers`]; a tick's packets go out as one batch of sends. A worker so makes a few
//! system calls per tick instead of two or three per packet, and a packet costs the kernel no
//! new request. A socket with nothing to read costs nothing: its receive waits in the kernel
//! until a packet comes.
//!
//! The only unsafe code of the server is here and in [`ReceiveBuffers`]: io_uring lends
//! memory to the kernel, which the compiler cannot check. Every buffer lent is neither moved
//! nor freed nor reused until the kernel's completion for it is reaped.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use io_uring::types::RecvMsgOut;
use io_uring::{EnterFlags, IoUring, Probe, cqueue, opcode, squeue, types};
use socket2::{SockAddr, SockAddrStorage};
use switchyard_media::{LegId, LegSocket, Worker};

use super::packet_io::{MAX_READS_PER_TICK, PacketIo};
use super::receive_buffers::{BUFFER_GROUP, NAME_LEN, ReceiveBuffers};
use super::receive_time::{CONTROL_LEN, ClockPair, received_at};
use super::send_failures::{SendFailure, SendFailures};
use crate::rtp_ports::{LegSockets, PairLease};

/// Submission queue entries: a tick's sends are submitted in batches of at most this many.
const SQ_ENTRIES: u32 = 4096;
/// Completion queue entries: room for a receive of every leg and a tick's sends of several
/// thousand legs; more wait in the kernel's overflow list, lost to nobody.
const CQ_ENTRIES: u32 = 32768;
/// Sockets registered with the ring (fixed files: no file lookup per operation), two per leg;
/// sockets beyond are served by their descriptors.
const FIXED_FILES: u32 = 16384;
/// The most packets in flight to the kernel at once; beyond, a packet is dropped as a full
/// socket buffer would drop it.
const MAX_SENDS_IN_FLIGHT: usize = 1 << 16;
/// Rounds of completions reaped for a cancelled receive's last one before its leg is handed
/// over regardless (the kernel ends a cancelled receive within one or two).
const MAX_ROUNDS_TO_END_A_RECEIVE: usize = 8;

// What a completion is for, in the top bits of its user data.
const KIND_SHIFT: u32 = 62;
const KIND_RECEIVE: u64 = 0;
const KIND_SEND: u64 = 1;
const KIND_CANCEL: u64 = 2;

/// One of a leg's sockets and its receive in flight.
struct Receiver {
    leg: LegId,
    /// Which of the leg's sockets it is.
    kind: LegSocket,
    socket: UdpSocket,
    /// Cleared when the leg leaves: its receive is not armed again, and the socket closes at
    /// the receive's last completion.
    open: bool,
    /// Tells this receiver's completions from those of an earlier one in the same place.
    generation: u32,
    /// The socket is the ring's fixed file at this receiver's index.
    fixed: bool,
}

/// One packet on its way out: its destination (boxed) and `payload`'s heap buffer stay in
/// place until the send completes.
struct SendSlot {
    destination: SockAddrStorage,
    payload: Vec<u8>,
    /// Whose packet it is and where it goes, to tell of a send that fails.
    leg: LegId,
    to: SocketAddr,
}

/// A worker's io_uring and the sockets of its legs.
pub(super) struct UringIo {
    // Dropped before `buffers`, which the kernel may write until the ring is gone.
    ring: IoUring,
    buffers: ReceiveBuffers,
    /// What every multishot receive is given: only its lengths of source address and of
    /// control data (the receive time) count, and they say where a buffer's datagram starts.
    receive_header: Box<libc::msghdr>,
    receivers: Vec<Option<Receiver>>,
    free_receivers: Vec<u32>,
    /// Each leg's receivers (its RTP socket's and its RTCP socket's), and the lease of their
    /// ports, handed back with them.
    legs: std::collections::HashMap<LegId, ([u32; 2], PairLease)>,
    #[expect(
        clippy::vec_box,
        reason = "a slot lent to the kernel must not move when the list grows"
    )]
    sends: Vec<Box<SendSlot>>,
    free_sends: Vec<u32>,
    next_generation: u32,
    /// The clocks as of the completions being reaped, to put receive times on the monotonic
    /// clock.
    clocks: ClockPair,
    failures: Arc<SendFailures>,
    /// The ring has a table of [`FIXED_FILES`] fixed files.
    fixed_files: bool,
    /// A socket that never reads, asking for receive times for as long as the worker runs:
    /// the kernel starts stamping datagrams a moment after the first socket of the system asks
    /// it to, and stops once the last lets go, so without it the first packets of a call on
    /// an idle host would count as received when read.
    _stamping: Option<socket2::Socket>,
}

impl UringIo {
    /// A ring for one worker thread (the only thread that may use it), counting the sends
    /// that fail in `failures`; or why the kernel refuses one: too old, or io_uring turned off
    /// (`kernel.io_uring_disabled`, seccomp).
    pub(super) fn new(failures: Arc<SendFailures>) -> io::Result<Self> {
        // Single issuer with deferred task work: completions are posted only when this thread
        // asks for them, at its tick, never by interrupting it (kernel 6.1 and later).
        let ring = IoUring::builder()
            .setup_cqsize(CQ_ENTRIES)
            .setup_single_issuer()
            .setup_defer_taskrun()
            .build(SQ_ENTRIES)
            .or_else(|_| {
                IoUring::builder()
                    .setup_cqsize(CQ_ENTRIES)
                    .build(SQ_ENTRIES)
            })?;
        let mut probe = Probe::new();
        ring.submitter().register_probe(&mut probe)?;
        // A send with its destination (`send` with an address, as `sendto`, with no `msghdr`
        // to copy in) came with zero-copy sends, kernel 6.0.
        for code in [
            opcode::RecvMsg::CODE,
            opcode::SendZc::CODE,
            opcode::AsyncCancel::CODE,
        ] {
            if !probe.is_supported(code) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("the kernel's io_uring lacks operation {code}"),
                ));
            }
        }
        let fixed_files = ring.submitter().register_files_sparse(FIXED_FILES).is_ok();
        let buffers = ReceiveBuffers::register(&ring)?;
        // SAFETY: all zeros is a valid msghdr.
        let mut receive_header: Box<libc::msghdr> = Box::new(unsafe { mem::zeroed() });
        receive_header.msg_namelen = NAME_LEN as libc::socklen_t;
        receive_header.msg_controllen = CONTROL_LEN;
        let stamping = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
            .and_then(|socket| stamp_receive_times(&socket).map(|()| socket))
            .inspect_err(|error| tracing::debug!(%error, "no socket keeps receive times on"))
            .ok();
        Ok(UringIo {
            _stamping: stamping,
            fixed_files,
            ring,
            buffers,
            receive_header,
            receivers: Vec::new(),
            free_receivers: Vec::new(),
            legs: std::collections::HashMap::new(),
            sends: Vec::new(),
            free_sends: Vec::new(),
            next_generation: 0,
            clocks: ClockPair::now(),
            failures,
        })
    }

    // Queues an entry, submitting what is queued first when the queue is full.
    fn push(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: every buffer an entry points to lives in a boxed slot (or a payload it
            // owns) that stays in place until the entry's completion is reaped.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            self.enter();
        }
    }

    // Submits what is queued and has the kernel post what completed (deferred task work runs
    // only on an enter that asks for events).
    fn enter(&mut self) {
        let queued = self.ring.submission().len() as u32;
        // SAFETY: no wait and no argument; the queued entries are valid (see `push`).
        let entered = unsafe {
            self.ring.submitter().enter::<libc::sigset_t>(
                queued,
                0,
                EnterFlags::GETEVENTS.bits(),
                None,
            )
        };
        if let Err(error) = entered
            && error.kind() != io::ErrorKind::Interrupted
        {
            // EBUSY: the completion queue overflowed; reaping it makes room.
            tracing::debug!(%error, "io_uring enter");
        }
    }

    // A receiver for the leg's socket `kind`, in a free place; returns its index. The socket
    // stamps each datagram with its receive time, or, where the kernel refuses, its packets
    // count as received at the tick that reads them.
    fn start_receive(&mut self, leg: LegId, kind: LegSocket, socket: UdpSocket) -> u32 {
        if let Err(error) = stamp_receive_times(&socket) {
            tracing::debug!(?leg, %error, "no receive times: packets count as read at the tick");
        }
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1) & GENERATION_MASK;
        let receiver = Receiver {
            leg,
            kind,
            socket,
            open: true,
            generation,
            fixed: false,
        };
        match self.free_receivers.pop() {
            Some(index) => {
                self.receivers[index as usize] = Some(receiver);
                index
            }
            None => {
                self.receivers.push(Some(receiver));
                (self.receivers.len() - 1) as u32
            }
        }
    }

    // Makes the receiver's socket the fixed file at its index, when there is room.
    fn register(&mut self, index: u32) {
        if !self.fixed_files || index >= FIXED_FILES {
            return;
        }
        let Some(receiver) = self.receivers[index as usize].as_mut() else {
            return;
        };
        receiver.fixed = self
            .ring
            .submitter()
            .register_files_update(index, &[receiver.socket.as_raw_fd()])
            .is_ok();
    }

    fn arm(&mut self, index: u32) {
        let Some(receiver) = self.receivers[index as usize].as_ref() else {
            return;
        };
        let entry = opcode::RecvMsgMulti::new(
            types::Fd(receiver.socket.as_raw_fd()),
            &raw const *self.receive_header,
            BUFFER_GROUP,
        )
        .build()
        .user_data(receive_data(index, receiver.generation));
        self.push(&entry);
    }

    // Closes the receiver at `index` and cancels its receive; the socket closes at the
    // receive's last completion. A copy of the socket (the same socket, to hand over) or
    // `None` when the descriptor cannot be duplicated.
    fn end_receive(&mut self, index: u32) -> Option<UdpSocket> {
        let receiver = self.receivers[index as usize].as_mut()?;
        receiver.open = false;
        let fixed = mem::take(&mut receiver.fixed);
        let handed = receiver.socket.try_clone();
        let cancel = opcode::AsyncCancel::new(receive_data(index, receiver.generation))
            .build()
            .user_data(KIND_CANCEL << KIND_SHIFT);
        let leg = receiver.leg;
        self.push(&cancel);
        // Operations in flight keep their own reference to the socket.
        if fixed {
            let _ = self.ring.submitter().register_files_update(index, &[-1]);
        }
        handed
            .inspect_err(|error| tracing::warn!(?leg, %error, "cannot hand over a leg's socket"))
            .ok()
    }

    /// How many receive buffers have ever been lent to the kernel.
    #[cfg(test)]
    pub(super) fn receive_buffers_lent(&self) -> usize {
        self.buffers.lent()
    }

    // Handles one completion; returns whether it brought a packet.
    fn complete(
        &mut self,
        worker: &mut Worker,
        arrived: std::time::Instant,
        cqe: &cqueue::Entry,
    ) -> bool {
        let data = cqe.user_data();
        match data >> KIND_SHIFT {
            KIND_SEND => {
                let slot = &mut self.sends[(data as u32) as usize];
                if cqe.result() < 0 {
                    let error = io::Error::from_raw_os_error(-cqe.result());
                    let cause = SendFailure::of(&error);
                    self.failures.record(cause, slot.leg, slot.to, &error);
                }
                worker.recycle(mem::take(&mut slot.payload));
                self.free_sends.push(data as u32);
                false
            }
            KIND_RECEIVE => self.received(worker, arrived, data, cqe),
            _ => false,
        }
    }

    fn received(
        &mut self,
        worker: &mut Worker,
        arrived: std::time::Instant,
        data: u64,
        cqe: &cqueue::Entry,
    ) -> bool {
        let index = data as u32;
        let generation = ((data >> 32) as u32) & GENERATION_MASK;
        let buffer = cqueue::buffer_select(cqe.flags());
        let armed = cqueue::more(cqe.flags());
        let receiver = self.receivers[index as usize]
            .as_ref()
            .filter(|r| r.generation == generation);
        let mut got = false;
        if let (Some(id), Ok(len)) = (buffer, usize::try_from(cqe.result())) {
            let filled = self.buffers.taken(id, len);
            // A leg leaving still gets what its receive took before it ended (see `remove`).
            if let Some(receiver) = receiver
                && let Ok(packet) = RecvMsgOut::parse(filled, &self.receive_header)
                && let Some(source) = source_address(packet.name_data())
            {
                let received = received_at(packet.control_data())
                    .and_then(|stamp| self.clocks.instant_of(stamp))
                    .unwrap_or(arrived);
                // A datagram longer than a buffer is cut, as a plain `recvmsg` cuts it.
                let (leg, packet) = (receiver.leg, packet.payload_data());
                match receiver.kind {
                    LegSocket::Rtp => {
                        worker.handle_rtp_received(arrived, received, leg, source, packet);
                    }
                    LegSocket::Rtcp => worker.handle_rtcp(received, leg, source, packet),
                }
                got = true;
            }
            self.buffers.give_back(id);
        }
        if !armed && let Some(receiver) = receiver {
            if receiver.open {
                // Ended: cancelled, out of buffers (its packet waits in the socket), or an
                // error reported on the socket.
                self.arm(index);
            } else {
                // The last completion of a leg gone: the socket closes now.
                self.receivers[index as usize] = None;
                self.free_receivers.push(index);
            }
        }
        got
    }

    fn reap(&mut self, worker: &mut Worker, arrived: std::time::Instant) -> usize {
        self.clocks = ClockPair::now();
        let mut packets = 0;
        loop {
            let Some(cqe) = self.ring.completion().next() else {
                return packets;
            };
            if self.complete(worker, arrived, &cqe) {
                packets += 1;
            }
        }
    }
}

const GENERATION_MASK: u32 = (1 << 30) - 1;

/// The address in the source field a multishot `recvmsg` filled (a `sockaddr_in` or
/// `sockaddr_in6`, zero-padded to [`NAME_LEN`]), decoded by socket2; `None` for another
/// family.
fn source_address(name: &[u8]) -> Option<SocketAddr> {
    let mut storage = SockAddrStorage::zeroed();
    let len = name.len().min(storage.size_of() as usize);
    // SAFETY: the storage is plain bytes (`sockaddr_storage`) at least `len` long, and `name`
    // is a distinct slice.
    unsafe {
        std::ptr::copy_nonoverlapping(name.as_ptr(), (&raw mut storage).cast::<u8>(), len);
    }
    // SAFETY: the storage holds the kernel's address, its family first.
    unsafe { SockAddr::new(storage, len as socket2::socklen_t) }.as_socket()
}

fn receive_data(index: u32, generation: u32) -> u64 {
    (KIND_RECEIVE << KIND_SHIFT)
        | (u64::from(generation & GENERATION_MASK) << 32)
        | u64::from(index)
}

impl PacketIo for UringIo {
    fn name(&self) -> &'static str {
        "io_uring"
    }

    fn add(&mut self, leg: LegId, sockets: LegSockets) {
        // A leg added again replaces its sockets; what the old ones held is dropped with them.
        if let Some((indices, _)) = self.legs.remove(&leg) {
            for index in indices {
                self.end_receive(index);
            }
        }
        let LegSockets { rtp, rtcp, lease } = sockets;
        let indices = [
            self.start_receive(leg, LegSocket::Rtp, rtp),
            self.start_receive(leg, LegSocket::Rtcp, rtcp),
        ];
        self.legs.insert(leg, (indices, lease));
        // A buffer per leg, not per socket: RTCP comes once in seconds, and the spare
        // buffers take it.
        self.buffers.provide(self.legs.len());
        for index in indices {
            self.register(index);
            self.arm(index);
        }
    }

    fn remove(&mut self, worker: &mut Worker, leg: LegId) -> Option<LegSockets> {
        let (indices, lease) = self.legs.remove(&leg)?;
        let [rtp, rtcp] = indices.map(|index| self.end_receive(index));
        // A multishot receive takes every packet that reaches its socket until its last
        // completion: reap up to that one, so that none of those packets is lost with the leg
        // (whether or not its sockets can be handed over).
        let ended = (0..MAX_ROUNDS_TO_END_A_RECEIVE).any(|_| {
            self.enter();
            self.reap(worker, std::time::Instant::now());
            indices
                .iter()
                .all(|&index| self.receivers[index as usize].is_none())
        });
        if !ended {
            tracing::debug!(?leg, "a receive cancelled did not end at once");
        }
        Some(LegSockets {
            rtp: rtp?,
            rtcp: rtcp?,
            lease,
        })
    }

    fn receive(&mut self, worker: &mut Worker, arrived: std::time::Instant) {
        // Rounds of completions until one brings no packet, a bound of them per tick: a
        // packet that comes while the tick reads still plays in it, and a receive that ended
        // (out of buffers) and was armed again reads what its socket holds in the next round.
        for _ in 0..MAX_READS_PER_TICK {
            self.buffers.provide(self.legs.len());
            self.enter();
            if self.reap(worker, arrived) == 0 {
                return;
            }
        }
    }

    fn send(&mut self, worker: &mut Worker) {
        while let Some(transmit) = worker.poll_transmit() {
            let receiver_of = |[rtp, rtcp]: [u32; 2]| match transmit.socket {
                LegSocket::Rtp => rtp,
                LegSocket::Rtcp => rtcp,
            };
            let Some((socket_index, fixed, fd)) =
                self.legs.get(&transmit.leg).and_then(|(legs, _)| {
                    let index = receiver_of(*legs);
                    let receiver = self.receivers[index as usize].as_ref()?;
                    Some((index, receiver.fixed, receiver.socket.as_raw_fd()))
                })
            else {
                let what = &"the leg has no socket here";
                let (leg, to) = (transmit.leg, transmit.destination);
                self.failures.record(SendFailure::NoSocket, leg, to, what);
                worker.recycle(transmit.payload);
                continue;
            };
            // Every slot not free is a send in flight.
            if self.sends.len() - self.free_sends.len() >= MAX_SENDS_IN_FLIGHT {
                let what = &"too many sends in flight";
                let (leg, to) = (transmit.leg, transmit.destination);
                self.failures.record(SendFailure::QueueFull, leg, to, what);
                worker.recycle(transmit.payload);
                continue;
            }
            let index = match self.free_sends.pop() {
                Some(index) => index,
                None => {
                    self.sends.push(Box::new(SendSlot {
                        destination: SockAddrStorage::zeroed(),
                        payload: Vec::new(),
                        leg: transmit.leg,
                        to: transmit.destination,
                    }));
                    (self.sends.len() - 1) as u32
                }
            };
            let slot = &mut *self.sends[index as usize];
            let destination = SockAddr::from(transmit.destination);
            let destination_len = destination.len();
            slot.destination = destination.as_storage();
            slot.payload = transmit.payload;
            (slot.leg, slot.to) = (transmit.leg, transmit.destination);
            let (buffer, len) = (slot.payload.as_ptr(), slot.payload.len() as u32);
            let address = (&raw const slot.destination).cast::<libc::sockaddr>();
            let send = if fixed {
                opcode::Send::new(types::Fixed(socket_index), buffer, len)
            } else {
                opcode::Send::new(types::Fd(fd), buffer, len)
            };
            let entry = send_at_once(send, address, destination_len)
                .user_data((KIND_SEND << KIND_SHIFT) | u64::from(index));
            self.push(&entry);
        }
        // UDP is best effort: a send that fails (a full socket buffer) drops its packet, as the
        // network would; its completion counts it.
        self.enter();
    }
}

/// `send` to the address at `destination`, `destination_len` bytes long, failing at once with
/// `EAGAIN` ([`SendFailure::NoBuffer`]) when the socket's buffer is full: without
/// `MSG_DONTWAIT` io_uring parks such a send until the socket drains (whatever `O_NONBLOCK`
/// says), and stale audio would then go out in a burst.
fn send_at_once(
    send: opcode::Send,
    destination: *const libc::sockaddr,
    destination_len: libc::socklen_t,
) -> squeue::Entry {
    send.dest_addr(destination)
        .dest_addr_len(destination_len)
        .flags(libc::MSG_DONTWAIT)
        .build()
}

/// Whether this kernel gives a worker an io_uring, or why not.
pub(super) fn available() -> io::Result<()> {
    UringIo::new(Arc::default()).map(drop)
}

/// Asks the kernel to stamp each datagram `socket` receives with its receive time
/// (`SO_TIMESTAMPNS`).
fn stamp_receive_times(socket: &impl AsRawFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid descriptor, and an option value the size the call is told.
    let stamped = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&raw const on).cast::<libc::c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if stamped == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Socket, Type};
    use std::time::Duration;

    /// A Unix datagram socket that cannot take another datagram (its peer never reads), and
    /// the peer's address; UDP on loopback never fills (the kernel frees a datagram's buffer
    /// as it loops it back).
    fn full_socket(peer_path: &std::path::Path) -> (Socket, Socket, SockAddr) {
        let peer_address = SockAddr::unix(peer_path).unwrap();
        let peer = Socket::new(Domain::UNIX, Type::DGRAM, None).unwrap();
        peer.bind(&peer_address).unwrap();
        let socket = Socket::new(Domain::UNIX, Type::DGRAM, None).unwrap();
        socket.set_nonblocking(true).unwrap();
        socket.set_send_buffer_size(1).unwrap();
        let filled = (0..10_000)
            .map(|_| socket.send_to(&[0; 512], &peer_address))
            .find_map(Result::err)
            .expect("the socket fills");
        assert_eq!(filled.kind(), io::ErrorKind::WouldBlock);
        (socket, peer, peer_address)
    }

    #[test]
    fn a_send_to_a_full_socket_fails_at_once_as_no_buffer() {
        let path = std::env::temp_dir().join(format!("switchyard-full-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (socket, _peer, peer_address) = full_socket(&path);
        let mut ring = IoUring::new(8).expect("this kernel refuses io_uring");
        let payload = [0u8; 512];
        let send = opcode::Send::new(
            types::Fd(socket.as_raw_fd()),
            payload.as_ptr(),
            payload.len() as u32,
        );
        let entry = send_at_once(send, peer_address.as_ptr().cast(), peer_address.len());
        // SAFETY: the payload and the address outlive the send, reaped (or cancelled with the
        // ring) before they go.
        unsafe { ring.submission().push(&entry) }.unwrap();
        let timeout = types::Timespec::from(Duration::from_secs(1));
        let args = types::SubmitArgs::new().timespec(&timeout);
        let _ = ring.submitter().submit_with_args(1, &args);
        let result = ring.completion().next().map(|cqe| cqe.result());
        drop(ring);
        let _ = std::fs::remove_file(&path);
        let result = result.expect("the send completes at once");
        let cause = SendFailure::of(&io::Error::from_raw_os_error(-result));
        assert_eq!((result, cause), (-libc::EAGAIN, SendFailure::NoBuffer));
    }
}
