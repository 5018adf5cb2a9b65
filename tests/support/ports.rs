//! The sockets a process holds, as the kernel lists them (`/proc/<pid>/fd` and
//! `/proc/net/{udp,udp6,tcp,tcp6}`): whether a peer bound the port it was given
//! (another process may bind a port found free before the peer does), whether
//! the server read what came on a connection, and how many datagrams the kernel
//! dropped for want of room in a socket's receive buffer.

use std::net::SocketAddr;
use std::process::Child;
use std::time::{Duration, Instant};

/// How many free ports are tried for one peer: another process may bind the
/// port found free before the peer does.
const BIND_ATTEMPTS: usize = 5;

/// How long a peer may take to bind its port once started.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);

/// The peer `start` gives (started on ports found free; `None` when another
/// process took one of them first), tried up to [`BIND_ATTEMPTS`] times.
/// Panics, naming `peer`, when every try lost a port.
pub fn on_free_ports<T>(peer: &str, start: impl FnMut() -> Option<T>) -> T {
    std::iter::repeat_with(start)
        .take(BIND_ATTEMPTS)
        .find_map(|started| started)
        .unwrap_or_else(|| {
            panic!("{BIND_ATTEMPTS} free ports were all taken before {peer} bound them")
        })
}

/// Whether SIPp, whose output is `output`, exited because one of its ports (its
/// SIP port, or its RTP ports `-mp` and `-mp` + 2) was taken after it was found free.
pub fn sipp_lost_its_port(output: &[u8]) -> bool {
    let output = String::from_utf8_lossy(output);
    output.lines().any(|line| {
        ["main socket", "audio RTP socket", "video RTP socket"]
            .iter()
            .any(|socket| line.contains(&format!("Unable to bind {socket}")))
            && line.contains("errno = 98")
    })
}

/// Whether process `pid` holds a socket bound to `port` (UDP or TCP, IPv4 or
/// IPv6, in any state).
pub fn bound_by(pid: u32, port: u16) -> bool {
    let local = hex_port(port);
    holds(pid, &["udp", "udp6", "tcp", "tcp6"], |fields| {
        fields[1].ends_with(&local)
    })
}

/// Whether process `pid` holds the end at `local` of the TCP connection from
/// `remote` (its `accept` took the connection from the kernel's queue) and
/// has read all that `remote` sent on it so far (its receive queue is empty).
pub fn read_by(pid: u32, local: SocketAddr, remote: SocketAddr) -> bool {
    let (local, remote) = (hex_port(local.port()), hex_port(remote.port()));
    holds(pid, &["tcp", "tcp6"], |fields| {
        fields[1].ends_with(&local)
            && fields[2].ends_with(&remote)
            && fields[4].ends_with(":00000000")
    })
}

/// How many datagrams the kernel dropped, since they were opened, that came to the UDP
/// sockets (IPv4 and IPv6) process `pid` holds bound to `port`: those its receive buffer
/// had no room for (the `drops` column of `/proc/net/udp`), which the process never sees.
pub fn udp_drops(pid: u32, port: u16) -> u64 {
    let local = hex_port(port);
    held(pid, &["udp", "udp6"])
        .iter()
        .filter(|fields| fields[1].ends_with(&local))
        .map(|fields| {
            fields.get(12).map_or(0, |drops| {
                drops
                    .parse::<u64>()
                    .unwrap_or_else(|e| panic!("the drops column {drops:?}: {e}"))
            })
        })
        .sum()
}

/// Waits, at most [`BIND_TIMEOUT`], until `child` holds a socket bound to
/// `port` (`true`) or exits (`false`); panics then, naming `peer`.
pub fn await_bound(child: &mut Child, port: u16, peer: &str) -> bool {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waiting for a peer").is_some() {
            return false;
        }
        if bound_by(child.id(), port) {
            return true;
        }
        assert!(
            started.elapsed() < BIND_TIMEOUT,
            "{peer} did not bind port {port} within {BIND_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `:PPPP`, how a socket table ends an address of `port`.
fn hex_port(port: u16) -> String {
    format!(":{port:04X}")
}

/// Whether one of the socket `tables` lists, among the sockets process `pid`
/// holds, one whose fields (split at white space; 1: local address, 2: remote
/// address, 4: send and receive queues) `wanted` holds for.
fn holds(pid: u32, tables: &[&str], wanted: impl Fn(&[String]) -> bool) -> bool {
    held(pid, tables).iter().any(|fields| wanted(fields))
}

/// The fields (split at white space; 1: local address, 2: remote address, 4: send
/// and receive queues, 9: inode, 12 in the UDP tables: drops) of each socket the
/// `tables` list that process `pid` holds.
fn held(pid: u32, tables: &[&str]) -> Vec<Vec<String>> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    tables
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/net/{table}")).ok())
        .flat_map(|text| {
            text.lines()
                .skip(1)
                .map(|line| line.split_whitespace().map(str::to_owned).collect())
                .collect::<Vec<Vec<String>>>()
        })
        .filter(|fields| fields.len() > 9 && inodes.contains(&fields[9]))
        .collect()
}
