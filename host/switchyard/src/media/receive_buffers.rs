//! The receive buffers of a worker's io_uring: a provided-buffer ring (kernel 5.19) that every
//! leg's multishot receive takes its next buffer from, so a leg holds no buffer of its own
//! between packets.
//!
//! The kernel takes buffers from the ring in the order they were put in. Buffers come back
//! through a last-in-first-out stack and the ring is kept only as full as the legs need, so
//! the same few buffers go round and the memory that is ever written follows the number of
//! legs, not the ring's size.
#![allow(unsafe_code)]

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::IoUring;
use io_uring::types::BufRingEntry;

use super::packet_io::MAX_DATAGRAM;
use super::receive_time::CONTROL_LEN;

/// The buffer group every receive of the ring names.
pub(super) const BUFFER_GROUP: u16 = 0;
/// Entries in the ring (a power of two, at most 32,768): with one packet per leg between two
/// ticks, a worker's first 8,000-odd legs never find the ring empty. Beyond, a receive that
/// finds it empty ends and is armed again, its packet waiting in its socket.
const ENTRIES: u16 = 8192;
/// Buffers in the ring beyond one per leg, for legs that get two packets between ticks.
const SPARE: usize = 64;
/// What a multishot `recvmsg` writes before the datagram: its `io_uring_recvmsg_out` header
/// (four `u32`), the source address in a field of [`NAME_LEN`] bytes, and the control data
/// (the receive time) in one of [`CONTROL_LEN`] bytes.
const HEADER_LEN: usize = 16;
/// Room for an IPv6 source address, the longest a UDP socket reports.
pub(super) const NAME_LEN: usize = size_of::<libc::sockaddr_in6>();
/// One buffer: the header, the source, the receive time and a datagram of up to
/// [`MAX_DATAGRAM`] bytes.
const BUFFER_LEN: usize = HEADER_LEN + NAME_LEN + CONTROL_LEN + MAX_DATAGRAM;

/// The ring shared with the kernel and the buffers it names.
pub(super) struct ReceiveBuffers {
    /// `ENTRIES` entries, page-aligned as the kernel requires.
    ring: Mapping,
    /// `ENTRIES` buffers of `BUFFER_LEN` bytes, written by the kernel; pages never used are
    /// never touched. Only a buffer the kernel has reported used is read, so no reference
    /// ever covers memory the kernel may be writing.
    buffers: Mapping,
    /// Buffers neither in the ring nor in use, the most recently used on top.
    free: Vec<u16>,
    /// Where the next entry goes; the kernel reads up to it.
    tail: u16,
    /// Buffers put in the ring and not yet reported used.
    in_ring: usize,
    /// Buffers ever put in the ring: they are the lowest ids, taken first from `free`.
    lent: usize,
}

/// Anonymous memory mapped for the kernel to read or write: page-aligned, zero, and costing
/// nothing until a page is written. Mapped apart from the allocator, whose blocks this large
/// would otherwise change where its later, smaller ones come from.
struct Mapping {
    start: NonNull<u8>,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh private anonymous mapping, at an address of the kernel's choosing.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let start = NonNull::new(start.cast()).ok_or_else(io::Error::last_os_error)?;
        Ok(Mapping { start, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: mapped in `new` with this length; whoever used it (the io_uring) is gone.
        unsafe { libc::munmap(self.start.as_ptr().cast(), self.len) };
    }
}

impl ReceiveBuffers {
    /// Buffers registered with `ring` as group [`BUFFER_GROUP`], or why the kernel refused
    /// them (before 5.19).
    pub(super) fn register(ring: &IoUring) -> io::Result<Self> {
        // Unmapped on any error below.
        let buffers = ReceiveBuffers {
            ring: Mapping::new(usize::from(ENTRIES) * size_of::<BufRingEntry>())?,
            buffers: Mapping::new(usize::from(ENTRIES) * BUFFER_LEN)?,
            free: (0..ENTRIES).rev().collect(),
            tail: 0,
            in_ring: 0,
            lent: 0,
        };
        // SAFETY: the ring's memory is page-aligned, `ENTRIES` entries long and lives until
        // `self` drops, after the io_uring it is registered with (see `UringIo`'s fields).
        unsafe {
            ring.submitter().register_buf_ring_with_flags(
                buffers.ring.start.as_ptr() as u64,
                ENTRIES,
                BUFFER_GROUP,
                0,
            )?;
        }
        Ok(buffers)
    }

    /// Fills the ring up to one buffer per leg of `legs` and [`SPARE`], from the buffers
    /// used most recently.
    pub(super) fn provide(&mut self, legs: usize) {
        let wanted = (legs + SPARE).min(usize::from(ENTRIES));
        let mask = ENTRIES - 1;
        let mut added = false;
        while self.in_ring < wanted {
            let Some(id) = self.free.pop() else { break };
            // SAFETY: the slot is inside the ring; the kernel reads only slots before the
            // published tail, and this one is past it.
            let entry = unsafe {
                &mut *self
                    .ring
                    .start
                    .cast::<BufRingEntry>()
                    .as_ptr()
                    .add(usize::from(self.tail & mask))
            };
            entry.set_addr(self.buffer(id) as u64);
            entry.set_len(BUFFER_LEN as u32);
            entry.set_bid(id);
            self.tail = self.tail.wrapping_add(1);
            self.in_ring += 1;
            self.lent = self.lent.max(usize::from(id) + 1);
            added = true;
        }
        if added {
            // SAFETY: the tail shares the first entry's reserved field; the kernel reads it
            // atomically, and this release store publishes the entries written above.
            unsafe {
                let tail = BufRingEntry::tail(self.ring.start.cast().as_ptr()).cast_mut();
                AtomicU16::from_ptr(tail).store(self.tail, Ordering::Release);
            }
        }
    }

    /// The `len` bytes the kernel wrote into buffer `id`; the buffer is the caller's until it
    /// gives it back with [`give_back`](Self::give_back).
    pub(super) fn taken(&mut self, id: u16, len: usize) -> &[u8] {
        self.in_ring = self.in_ring.saturating_sub(1);
        if id >= ENTRIES {
            return &[];
        }
        // SAFETY: the kernel reported buffer `id` used: it writes it no more until it is put in
        // the ring again.
        unsafe { std::slice::from_raw_parts(self.buffer(id), len.min(BUFFER_LEN)) }
    }

    // Where buffer `id` (below `ENTRIES`) starts.
    fn buffer(&self, id: u16) -> *mut u8 {
        // SAFETY: `ENTRIES` buffers of `BUFFER_LEN` bytes fill the mapping.
        unsafe {
            self.buffers
                .start
                .as_ptr()
                .add(usize::from(id) * BUFFER_LEN)
        }
    }

    /// How many buffers have ever been lent to the kernel: the memory ever written is theirs.
    #[cfg(test)]
    pub(super) fn lent(&self) -> usize {
        self.lent
    }

    /// Buffer `id` may be put in the ring again.
    pub(super) fn give_back(&mut self, id: u16) {
        if id < ENTRIES {
            self.free.push(id);
        }
    }
}
