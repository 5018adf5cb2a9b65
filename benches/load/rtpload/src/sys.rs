//! The system calls the generator batches, over `libc`: `sendmmsg`, `recvmmsg`
//! with kernel receive timestamps, and `ppoll`. Every buffer is allocated once,
//! up front; sending and receiving allocate nothing.
#![allow(unsafe_code)]

use std::io;
use std::mem::size_of;
use std::net::{SocketAddrV4, UdpSocket};
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most messages one `sendmmsg` or `recvmmsg` takes (the kernel's `UIO_MAXIOV`).
pub const MAX_BATCH: usize = 1024;
/// Room for one incoming datagram; a longer one is truncated (and still counted).
const RECV_LEN: usize = 256;
/// Room for one message's control data, in `u64`s so a `cmsghdr` is aligned in it.
const CONTROL_WORDS: usize = 8;

/// Makes `socket` non-blocking with `buffer_bytes` send and receive buffers (the
/// kernel caps them at `net.core.[rw]mem_max`), and has the kernel stamp each
/// received datagram with its arrival time (`SO_TIMESTAMPNS`).
pub fn prepare(socket: &UdpSocket, buffer_bytes: i32) -> io::Result<()> {
    socket.set_nonblocking(true)?;
    set_option(socket, libc::SO_RCVBUF, buffer_bytes)?;
    set_option(socket, libc::SO_SNDBUF, buffer_bytes)?;
    set_option(socket, libc::SO_TIMESTAMPNS, 1)
}

fn set_option(socket: &UdpSocket, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: the pointer and length describe `value`, a live c_int.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (&raw const value).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn sockaddr(address: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: address.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*address.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// A zeroed `mmsghdr`, whose pointers are filled in just before each call.
fn empty_header() -> libc::mmsghdr {
    // SAFETY: mmsghdr is plain C data (integers and raw pointers); all zeroes is a valid value.
    unsafe { std::mem::zeroed() }
}

fn empty_iovec() -> libc::iovec {
    libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }
}

/// One packet per stream, each with its destination, for `sendmmsg`. Callers
/// write the packets in place between sends: each has a buffer of the same room
/// and a length of its own.
pub struct Outgoing {
    /// The packets' buffers, `room` bytes apart.
    packets: Box<[u8]>,
    room: usize,
    lengths: Box<[usize]>,
    destinations: Box<[libc::sockaddr_in]>,
    iovecs: Box<[libc::iovec]>,
    headers: Box<[libc::mmsghdr]>,
}

impl Outgoing {
    /// One packet of at most `room` bytes per destination, in order, each empty
    /// until [`write`](Self::write) fills it.
    pub fn new(room: usize, destinations: impl ExactSizeIterator<Item = SocketAddrV4>) -> Self {
        let count = destinations.len();
        Outgoing {
            packets: vec![0; count * room].into(),
            room,
            lengths: vec![0; count].into(),
            destinations: destinations.map(sockaddr).collect(),
            iovecs: (0..count).map(|_| empty_iovec()).collect(),
            headers: (0..count).map(|_| empty_header()).collect(),
        }
    }

    /// Changes the packet of stream `index` before its next send: `write` gets its
    /// whole buffer, as the last write left it, and returns the packet's new length.
    ///
    /// # Panics
    /// If that length is more than the buffer's room.
    pub fn write(&mut self, index: usize, write: impl FnOnce(&mut [u8]) -> usize) {
        let start = index * self.room;
        let len = write(&mut self.packets[start..start + self.room]);
        assert!(len <= self.room, "a packet of at most {} bytes", self.room);
        self.lengths[index] = len;
    }

    /// Sends the packets of `range` (at most [`MAX_BATCH`]) from `socket`, without
    /// blocking. Returns how many the kernel took; the rest were dropped (a full buffer).
    pub fn send(&mut self, socket: &UdpSocket, range: Range<usize>) -> usize {
        assert!(range.len() <= MAX_BATCH, "a batch of at most {MAX_BATCH}");
        for i in range.clone() {
            self.iovecs[i] = libc::iovec {
                iov_base: self.packets[i * self.room..].as_mut_ptr().cast(),
                iov_len: self.lengths[i],
            };
            let header = &mut self.headers[i].msg_hdr;
            header.msg_name = (&raw mut self.destinations[i]).cast();
            header.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            header.msg_iov = &raw mut self.iovecs[i];
            header.msg_iovlen = 1;
        }
        let mut sent = range.start;
        // Each round sends at least one packet or stops, so this ends within range.len() rounds.
        while sent < range.end {
            let headers = &mut self.headers[sent..range.end];
            // SAFETY: every header in `headers` points at this struct's own destination,
            // iovec and packet of the same index, all alive and unmoved for the call; each
            // iovec's length is within its packet's buffer (`write` checks it).
            let result = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    headers.as_mut_ptr(),
                    headers.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if result <= 0 {
                break;
            }
            sent += result as usize;
        }
        sent - range.start
    }
}

/// One received datagram.
pub struct Datagram<'a> {
    /// The sender's UDP port.
    pub source_port: u16,
    /// The datagram's bytes (at most 256 of them).
    pub bytes: &'a [u8],
    /// When it arrived, on the [`now_ns`] timeline: the kernel's stamp, or the
    /// time it was read when there is none.
    pub arrived_ns: i64,
}

/// Buffers for a batch of datagrams read by one `recvmmsg`.
pub struct Incoming {
    buffers: Box<[[u8; RECV_LEN]]>,
    controls: Box<[[u64; CONTROL_WORDS]]>,
    sources: Box<[libc::sockaddr_in]>,
    iovecs: Box<[libc::iovec]>,
    headers: Box<[libc::mmsghdr]>,
    read_ns: i64,
    /// The wall clock minus the [`now_ns`] timeline when the batch was read.
    wall_offset_ns: i64,
}

impl Incoming {
    /// Room for `batch` datagrams (1 to [`MAX_BATCH`]).
    pub fn new(batch: usize) -> Self {
        assert!(
            (1..=MAX_BATCH).contains(&batch),
            "a batch of 1 to {MAX_BATCH}"
        );
        Incoming {
            buffers: vec![[0; RECV_LEN]; batch].into(),
            controls: vec![[0; CONTROL_WORDS]; batch].into(),
            sources: vec![sockaddr(SocketAddrV4::new(0.into(), 0)); batch].into(),
            iovecs: (0..batch).map(|_| empty_iovec()).collect(),
            headers: (0..batch).map(|_| empty_header()).collect(),
            read_ns: 0,
            wall_offset_ns: 0,
        }
    }

    /// Reads the datagrams waiting on `socket`, up to a batch, without blocking.
    /// Returns how many: [`datagram`](Self::datagram) `0..` that count reads them.
    pub fn receive(&mut self, socket: &UdpSocket) -> usize {
        for i in 0..self.headers.len() {
            self.iovecs[i] = libc::iovec {
                iov_base: self.buffers[i].as_mut_ptr().cast(),
                iov_len: RECV_LEN,
            };
            let header = &mut self.headers[i].msg_hdr;
            header.msg_name = (&raw mut self.sources[i]).cast();
            header.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            header.msg_iov = &raw mut self.iovecs[i];
            header.msg_iovlen = 1;
            header.msg_control = self.controls[i].as_mut_ptr().cast();
            header.msg_controllen = size_of::<[u64; CONTROL_WORDS]>() as _;
            header.msg_flags = 0;
        }
        // SAFETY: every header points at this struct's own buffers of the same index,
        // with their true lengths, all alive and unmoved for the call.
        let result = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                self.headers.as_mut_ptr(),
                self.headers.len() as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        self.read_ns = now_ns();
        self.wall_offset_ns = wall_ns() - self.read_ns;
        usize::try_from(result).unwrap_or(0)
    }

    /// Datagram `index` of the last [`receive`](Self::receive).
    pub fn datagram(&self, index: usize) -> Datagram<'_> {
        let header = &self.headers[index];
        let len = (header.msg_len as usize).min(RECV_LEN);
        Datagram {
            source_port: u16::from_be(self.sources[index].sin_port),
            bytes: &self.buffers[index][..len],
            arrived_ns: kernel_stamp(&header.msg_hdr)
                .map_or(self.read_ns, |stamp| stamp - self.wall_offset_ns),
        }
    }
}

/// The `SCM_TIMESTAMPNS` stamp among a received message's control data.
fn kernel_stamp(header: &libc::msghdr) -> Option<i64> {
    // SAFETY: `header` was filled by recvmmsg, so its control pointer and length
    // describe valid control messages within its own control buffer; the CMSG
    // macros stay within msg_controllen, and the timespec is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(header);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let stamp: libc::timespec = libc::CMSG_DATA(cmsg)
                    .cast::<libc::timespec>()
                    .read_unaligned();
                return Some(stamp.tv_sec * 1_000_000_000 + stamp.tv_nsec);
            }
            cmsg = libc::CMSG_NXTHDR(header, cmsg);
        }
    }
    None
}

/// Nanoseconds on the monotonic clock since the generator first asked: the
/// timeline arrivals are judged on. The kernel stamps datagrams with the wall
/// clock, which can be stepped or slewed while a run lasts (a step of 20 ms would
/// make every later packet late); each batch's stamps are moved onto this
/// timeline by the two clocks' difference as the batch is read.
pub fn now_ns() -> i64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as i64
}

/// Nanoseconds since the Unix epoch, the kernel stamps' clock.
fn wall_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The sockets to wait on, for [`wait_readable`].
pub fn poll_set(sockets: &[UdpSocket]) -> Vec<libc::pollfd> {
    sockets
        .iter()
        .map(|socket| libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect()
}

/// Waits up to `timeout` for one of `set`'s sockets to be readable; whether one is.
pub fn wait_readable(set: &mut [libc::pollfd], timeout: Duration) -> bool {
    let timeout = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `set` is a live, exclusively borrowed array of pollfd of its own length.
    let ready = unsafe {
        libc::ppoll(
            set.as_mut_ptr(),
            set.len() as libc::nfds_t,
            &raw const timeout,
            std::ptr::null(),
        )
    };
    ready > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arrival_is_stamped_on_the_monotonic_timeline() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        prepare(&receiver, 1 << 16).unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = now_ns();
        sender
            .send_to(&[0x80; 12], receiver.local_addr().unwrap())
            .unwrap();
        let mut incoming = Incoming::new(4);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut count = 0;
        while count == 0 && Instant::now() < deadline {
            count = incoming.receive(&receiver);
        }
        let after = now_ns();
        assert_eq!(count, 1, "the datagram arrived");
        let arrived = incoming.datagram(0).arrived_ns;
        // The kernel's wall-clock stamp, moved onto the timeline: between the send and the
        // read (a millisecond of slack for the two clocks being read one after the other).
        assert!(
            (before - 1_000_000..=after + 1_000_000).contains(&arrived),
            "{before} <= {arrived} <= {after}"
        );
    }
}
