//! Packet I/O over io_uring: every leg's socket has one `recvmsg` in flight, and a tick's
//! packets go out as one batch of sends, so a worker makes a few system calls per tick
//! instead of two or three per packet. A socket with nothing to read costs nothing: its receive
//! waits in the kernel until a packet comes.
//!
//! The only unsafe code of the server is here: io_uring lends buffers to the kernel, which
//! the compiler cannot check. Every buffer lent lives in a boxed slot that neither moves nor is
//! freed or reused until the kernel's completion for it is reaped.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;

use io_uring::{EnterFlags, IoUring, Probe, cqueue, opcode, squeue, types};
use socket2::{SockAddr, SockAddrStorage};
use switchyard_media::{LegId, Worker};

use super::packet_io::{MAX_DATAGRAM, MAX_READS_PER_TICK, PacketIo};

/// Submission queue entries: a tick's sends are submitted in batches of at most this many.
const SQ_ENTRIES: u32 = 4096;
/// Completion queue entries: room for a receive of every leg and a tick's sends of several
/// thousand legs; more wait in the kernel's overflow list, lost to nobody.
const CQ_ENTRIES: u32 = 32768;
/// Sockets registered with the ring (fixed files: no file lookup per operation); legs beyond
/// are served by their descriptors.
const FIXED_FILES: u32 = 16384;
/// The most packets in flight to the kernel at once; beyond, a packet is dropped as a full
/// socket buffer would drop it.
const MAX_SENDS_IN_FLIGHT: usize = 1 << 16;

// What a completion is for, in the top bits of its user data.
const KIND_SHIFT: u32 = 62;
const KIND_RECEIVE: u64 = 0;
const KIND_SEND: u64 = 1;
const KIND_CANCEL: u64 = 2;

/// Where one receive lands: its header points into the same (boxed, so unmoving) allocation.
#[repr(C)]
struct ReceiveSlot {
    header: libc::msghdr,
    iov: libc::iovec,
    source: SockAddrStorage,
    data: [u8; MAX_DATAGRAM],
}

/// One leg's socket and its receive in flight.
struct Receiver {
    leg: LegId,
    socket: UdpSocket,
    /// Cleared when the leg leaves: the socket then closes when its receive completes.
    open: bool,
    /// Tells this receiver's completions from those of an earlier one in the same place.
    generation: u32,
    /// The socket is the ring's fixed file at this receiver's index.
    fixed: bool,
    slot: Box<ReceiveSlot>,
}

/// One packet on its way out: its destination (boxed) and `payload`'s heap buffer stay in
/// place until the send completes.
struct SendSlot {
    destination: SockAddrStorage,
    payload: Vec<u8>,
}

/// A worker's io_uring and the sockets of its legs.
pub(super) struct UringIo {
    ring: IoUring,
    receivers: Vec<Option<Receiver>>,
    free_receivers: Vec<u32>,
    legs: std::collections::HashMap<LegId, u32>,
    #[expect(
        clippy::vec_box,
        reason = "a slot lent to the kernel must not move when the list grows"
    )]
    sends: Vec<Box<SendSlot>>,
    free_sends: Vec<u32>,
    next_generation: u32,
    /// The ring has a table of [`FIXED_FILES`] fixed files.
    fixed_files: bool,
}

impl UringIo {
    /// A ring for one worker thread (the only thread that may use it), or why the kernel
    /// refuses one: too old, or io_uring turned off (`kernel.io_uring_disabled`, seccomp).
    pub(super) fn new() -> io::Result<Self> {
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
        Ok(UringIo {
            fixed_files,
            ring,
            receivers: Vec::new(),
            free_receivers: Vec::new(),
            legs: std::collections::HashMap::new(),
            sends: Vec::new(),
            free_sends: Vec::new(),
            next_generation: 0,
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
        let Some(receiver) = self.receivers[index as usize].as_mut() else {
            return;
        };
        let slot = &mut *receiver.slot;
        slot.iov = libc::iovec {
            iov_base: slot.data.as_mut_ptr().cast(),
            iov_len: MAX_DATAGRAM,
        };
        // SAFETY: all zeros is a valid msghdr.
        slot.header = unsafe { mem::zeroed() };
        slot.header.msg_name = (&raw mut slot.source).cast();
        slot.header.msg_namelen = slot.source.size_of();
        slot.header.msg_iov = &raw mut slot.iov;
        slot.header.msg_iovlen = 1;
        let entry =
            opcode::RecvMsg::new(types::Fd(receiver.socket.as_raw_fd()), &raw mut slot.header)
                .build()
                .user_data(receive_data(index, receiver.generation));
        self.push(&entry);
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
                worker.recycle(mem::take(&mut slot.payload));
                self.free_sends.push(data as u32);
                false
            }
            KIND_RECEIVE => self.received(worker, arrived, data, cqe.result()),
            _ => false,
        }
    }

    fn received(
        &mut self,
        worker: &mut Worker,
        arrived: std::time::Instant,
        data: u64,
        result: i32,
    ) -> bool {
        let index = data as u32;
        let generation = ((data >> 32) as u32) & GENERATION_MASK;
        let Some(receiver) = self.receivers[index as usize]
            .as_mut()
            .filter(|r| r.generation == generation)
        else {
            return false;
        };
        if !receiver.open {
            self.receivers[index as usize] = None;
            self.free_receivers.push(index);
            return false;
        }
        let mut got = false;
        if let Ok(len) = usize::try_from(result) {
            let slot = &receiver.slot;
            // SAFETY: the kernel wrote `msg_namelen` bytes of a socket address of its family.
            let source =
                unsafe { SockAddr::new(std::ptr::read(&slot.source), slot.header.msg_namelen) }
                    .as_socket();
            if let Some(source) = source {
                worker.handle_rtp(
                    arrived,
                    receiver.leg,
                    source,
                    &slot.data[..len.min(MAX_DATAGRAM)],
                );
                got = true;
            }
        }
        // An error (an ICMP port unreachable reported on the socket) is read and gone; the
        // socket goes on receiving.
        self.arm(index);
        got
    }

    fn reap(&mut self, worker: &mut Worker, arrived: std::time::Instant) -> usize {
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

fn receive_data(index: u32, generation: u32) -> u64 {
    (KIND_RECEIVE << KIND_SHIFT)
        | (u64::from(generation & GENERATION_MASK) << 32)
        | u64::from(index)
}

impl PacketIo for UringIo {
    fn name(&self) -> &'static str {
        "io_uring"
    }

    fn add(&mut self, leg: LegId, socket: UdpSocket) {
        self.remove(leg);
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1) & GENERATION_MASK;
        // SAFETY: all zeros is a valid msghdr, iovec and socket address storage.
        let slot: Box<ReceiveSlot> = Box::new(unsafe { mem::zeroed() });
        let receiver = Receiver {
            leg,
            socket,
            open: true,
            generation,
            fixed: false,
            slot,
        };
        let index = match self.free_receivers.pop() {
            Some(index) => {
                self.receivers[index as usize] = Some(receiver);
                index
            }
            None => {
                self.receivers.push(Some(receiver));
                (self.receivers.len() - 1) as u32
            }
        };
        self.legs.insert(leg, index);
        self.register(index);
        self.arm(index);
    }

    fn remove(&mut self, leg: LegId) -> Option<UdpSocket> {
        let index = self.legs.remove(&leg)?;
        let receiver = self.receivers[index as usize].as_mut()?;
        receiver.open = false;
        let fixed = std::mem::take(&mut receiver.fixed);
        let handed = receiver.socket.try_clone();
        let cancel = opcode::AsyncCancel::new(receive_data(index, receiver.generation))
            .build()
            .user_data(KIND_CANCEL << KIND_SHIFT);
        self.push(&cancel);
        self.enter();
        // Operations in flight keep their own reference to the socket.
        if fixed {
            let _ = self.ring.submitter().register_files_update(index, &[-1]);
        }
        match handed {
            Ok(socket) => Some(socket),
            Err(error) => {
                tracing::warn!(?leg, %error, "cannot hand over an RTP socket");
                None
            }
        }
    }

    fn receive(&mut self, worker: &mut Worker, arrived: std::time::Instant) {
        // The first round reaps what arrived since the last tick; each receive then re-armed
        // completes at once if its socket holds more, up to a bound per tick.
        for _ in 0..MAX_READS_PER_TICK {
            self.enter();
            if self.reap(worker, arrived) == 0 {
                return;
            }
        }
    }

    fn send(&mut self, worker: &mut Worker) {
        while let Some(transmit) = worker.poll_transmit() {
            let Some((socket_index, fixed, fd)) = self.legs.get(&transmit.leg).and_then(|&index| {
                let receiver = self.receivers[index as usize].as_ref()?;
                Some((index, receiver.fixed, receiver.socket.as_raw_fd()))
            }) else {
                worker.recycle(transmit.payload);
                continue;
            };
            // Every slot not free is a send in flight.
            if self.sends.len() - self.free_sends.len() >= MAX_SENDS_IN_FLIGHT {
                worker.recycle(transmit.payload);
                continue;
            }
            let index = match self.free_sends.pop() {
                Some(index) => index,
                None => {
                    self.sends.push(Box::new(SendSlot {
                        destination: SockAddrStorage::zeroed(),
                        payload: Vec::new(),
                    }));
                    (self.sends.len() - 1) as u32
                }
            };
            let slot = &mut *self.sends[index as usize];
            let destination = SockAddr::from(transmit.destination);
            let destination_len = destination.len();
            slot.destination = destination.as_storage();
            slot.payload = transmit.payload;
            let (buffer, len) = (slot.payload.as_ptr(), slot.payload.len() as u32);
            let address = (&raw const slot.destination).cast::<libc::sockaddr>();
            let entry = if fixed {
                opcode::Send::new(types::Fixed(socket_index), buffer, len)
            } else {
                opcode::Send::new(types::Fd(fd), buffer, len)
            }
            .dest_addr(address)
            .dest_addr_len(destination_len)
            .build()
            .user_data((KIND_SEND << KIND_SHIFT) | u64::from(index));
            self.push(&entry);
        }
        // UDP is best effort: a send that fails (a full socket buffer) drops its packet, as the
        // network would.
        self.enter();
    }
}

/// Whether this kernel gives a worker an io_uring, or why not.
pub(super) fn available() -> io::Result<()> {
    UringIo::new().map(drop)
}
