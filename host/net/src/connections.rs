//! The table of open TCP connections: how a message finds its connection, and how many each
//! peer address may hold.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use switchyard_sip::host_of;
use tokio::sync::mpsc;

use crate::ConnectionId;

/// The write queue of one connection: messages its task writes in order.
pub(crate) type Queue = mpsc::Sender<Vec<u8>>;

/// Why a connection has no place in the [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The table holds its maximum of connections, or those of the side asked
    /// for hold their share of it: this many, of that side or in all.
    Full(usize),
    /// The peer's host has its maximum of connections of that side open.
    AddressFull,
}

/// Whom a connection serves, which decides the share of the [`Table`] and of its host's
/// connections it counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    /// Our own requests (a placed call, a BYE): opened from here.
    Ours,
    /// The peer's requests: accepted from it, or opened to answer it.
    Peers,
}

/// Open connections by id and by peer address, at most `max` of them. Each side takes at most
/// seven eighths, keeping an eighth for the other: however many peers connect, our own
/// requests find a place, and however many connections peers have us open (an in-dialog
/// request goes where the peer's Contact or Record-Route says, RFC 3261 §12.2.1.1), peers
/// still connect. Each entry is owned by a [`Registration`], held by the
/// connection's task, which removes it when the task ends however it ends; a connection
/// ending is [retired](Registration::retire) first, so that messages go on another, and
/// counts until then.
#[derive(Debug)]
pub(crate) struct Table {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_id: HashMap<ConnectionId, Entry>,
    /// The newest connection to each peer address.
    by_remote: HashMap<SocketAddr, ConnectionId>,
    /// How many connections of each side each peer host has open (its [`host_of`]); none is
    /// listed at 0.
    per_host: HashMap<(Side, IpAddr), usize>,
    /// How many connections of each side are open; none is listed at 0.
    per_side: HashMap<Side, usize>,
}

#[derive(Debug)]
struct Entry {
    remote: SocketAddr,
    /// `None` once retired: no message finds it.
    queue: Option<Queue>,
    side: Side,
}

impl Table {
    /// An empty table for at most `max` connections.
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            inner: Mutex::default(),
        })
    }

    /// Adds a connection opened from here to `remote` for our own requests, writing from
    /// `queue`, unless the table is full, connections for our requests hold their share of
    /// it, or `remote`'s host ([`host_of`]: its IPv4 address, or its IPv6 /64) has
    /// `per_address` such connections open already (a destination comes from the peer's
    /// Contact or Record-Route, so the peer picks it).
    pub(crate) fn register(
        self: &Arc<Self>,
        remote: SocketAddr,
        queue: Queue,
        per_address: usize,
    ) -> Result<Registration, Refused> {
        self.add(remote, queue, Side::Ours, per_address)
    }

    /// Adds a connection serving `remote`'s own requests (accepted from it, or opened to
    /// answer it), writing from `queue`, unless the table is full, connections serving peers
    /// hold their share of it, or `remote`'s host has `per_address` such connections open
    /// already.
    pub(crate) fn accept(
        self: &Arc<Self>,
        remote: SocketAddr,
        queue: Queue,
        per_address: usize,
    ) -> Result<Registration, Refused> {
        self.add(remote, queue, Side::Peers, per_address)
    }

    /// The queue of connection `id` if it is open and not retired, else of the newest such
    /// connection to `remote`, if any.
    pub(crate) fn queue(&self, id: Option<ConnectionId>, remote: SocketAddr) -> Option<Queue> {
        let inner = self.lock();
        id.and_then(|id| inner.by_id.get(&id)?.queue.clone())
            .or_else(|| {
                inner
                    .by_id
                    .get(inner.by_remote.get(&remote)?)?
                    .queue
                    .clone()
            })
    }

    /// How many connections are open, retired ones included.
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Adds a connection of `side`, with at most `per_address` of that side per host.
    fn add(
        self: &Arc<Self>,
        remote: SocketAddr,
        queue: Queue,
        side: Side,
        per_address: usize,
    ) -> Result<Registration, Refused> {
        let mut inner = self.lock();
        let share = self.max - self.max / 8;
        if inner.by_id.len() >= self.max {
            return Err(Refused::Full(self.max));
        }
        if inner.per_side.get(&side).copied().unwrap_or(0) >= share {
            return Err(Refused::Full(share));
        }
        let host = (side, host_of(remote.ip()));
        if inner.per_host.get(&host).copied().unwrap_or(0) >= per_address {
            return Err(Refused::AddressFull);
        }
        *inner.per_host.entry(host).or_default() += 1;
        *inner.per_side.entry(side).or_default() += 1;
        inner.next_id += 1;
        let id = ConnectionId(inner.next_id);
        let entry = Entry {
            remote,
            queue: Some(queue),
            side,
        };
        inner.by_id.insert(id, entry);
        inner.by_remote.insert(remote, id);
        Ok(Registration {
            table: Arc::clone(self),
            id,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The table stays consistent across a panic: no step of a change can panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection's place in the [`Table`], removed on drop.
#[derive(Debug)]
pub(crate) struct Registration {
    table: Arc<Table>,
    id: ConnectionId,
}

impl Registration {
    /// The connection's id.
    pub(crate) fn id(&self) -> ConnectionId {
        self.id
    }

    /// Takes the connection out of the way of messages, which go on another from now on,
    /// while it keeps its place among the connections counted until the registration is
    /// dropped.
    pub(crate) fn retire(&mut self) {
        let mut inner = self.table.lock();
        let Some(entry) = inner.by_id.get_mut(&self.id) else {
            return;
        };
        entry.queue = None;
        let remote = entry.remote;
        inner.route_past(self.id, remote);
    }
}

impl Inner {
    /// If messages to `remote` go on connection `id`, has the newest other one not retired
    /// take them, if any (a scan of at most `max` entries, once per closed connection).
    fn route_past(&mut self, id: ConnectionId, remote: SocketAddr) {
        if self.by_remote.get(&remote) != Some(&id) {
            return;
        }
        let other = self
            .by_id
            .iter()
            .filter(|(other, entry)| **other != id && entry.remote == remote)
            .filter(|(_, entry)| entry.queue.is_some())
            .map(|(other, _)| *other)
            .max();
        match other {
            Some(other) => self.by_remote.insert(remote, other),
            None => self.by_remote.remove(&remote),
        };
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut inner = self.table.lock();
        let Some(Entry { remote, side, .. }) = inner.by_id.remove(&self.id) else {
            return;
        };
        count_down(&mut inner.per_host, (side, host_of(remote.ip())));
        count_down(&mut inner.per_side, side);
        inner.route_past(self.id, remote);
    }
}

/// Counts one fewer under `key`, so that none is listed at 0.
fn count_down<K: Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_bounded_found_and_removed_by_their_owner() {
        let table = Table::new(2);
        let (a, b) = (
            "192.0.2.1:5060".parse().unwrap(),
            "192.0.2.2:5060".parse().unwrap(),
        );
        let (queue, _rx) = mpsc::channel(1);
        let first = table.register(a, queue.clone(), 2).unwrap();
        let second = table.register(a, queue.clone(), 2).unwrap();
        assert_eq!(
            table.register(b, queue.clone(), 2).err(),
            Some(Refused::Full(2)),
            "full"
        );
        assert!(table.queue(Some(first.id()), b).is_some());
        drop(second);
        assert!(
            table.queue(None, a).is_some(),
            "the older one to a takes over"
        );
        drop(first);
        assert!(table.queue(None, a).is_none());
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn a_retired_connection_takes_no_message_and_keeps_its_place_until_dropped() {
        let table = Table::new(2);
        let a = "192.0.2.1:5060".parse().unwrap();
        let (queue, _rx) = mpsc::channel(1);
        let older = table.accept(a, queue.clone(), 1).unwrap();
        let mut newer = table.register(a, queue.clone(), 2).unwrap();
        newer.retire();
        assert!(table.queue(Some(newer.id()), a).is_some(), "the older one");
        assert_eq!(
            table.register(a, queue.clone(), 2).err(),
            Some(Refused::Full(2))
        );
        let mut older = older;
        older.retire();
        assert!(table.queue(None, a).is_none());
        assert_eq!(
            table.accept(a, queue.clone(), 2).err(),
            Some(Refused::Full(2)),
            "still counted"
        );
        drop((older, newer));
        assert_eq!(table.len(), 0);
        assert!(table.lock().per_host.is_empty());
        assert!(table.lock().per_side.is_empty());
    }

    #[test]
    fn accepted_connections_are_capped_per_ip_address_until_one_closes() {
        let table = Table::new(5);
        let (queue, _rx) = mpsc::channel(1);
        let from = |ip: &str, port| SocketAddr::new(ip.parse().unwrap(), port);
        let accept = |remote| table.accept(remote, queue.clone(), 2);
        let first = accept(from("192.0.2.1", 1)).unwrap();
        let second = accept(from("192.0.2.1", 2)).unwrap();
        assert_eq!(
            accept(from("192.0.2.1", 3)).unwrap_err(),
            Refused::AddressFull,
            "whatever the port"
        );
        let other = accept(from("192.0.2.2", 1)).expect("another address has its own count");
        let ours = table
            .register(from("192.0.2.1", 5060), queue.clone(), 2)
            .expect("connections opened from here are counted apart");
        drop(first);
        let third = accept(from("192.0.2.1", 3)).expect("a closed one frees its place");
        let fifth = accept(from("192.0.2.3", 1)).unwrap();
        assert_eq!(
            accept(from("192.0.2.4", 1)).unwrap_err(),
            Refused::Full(5),
            "the global cap still holds"
        );
        drop((third, fifth));
        let fourth = accept(from("192.0.2.1", 4)).expect("refusals took no place");
        assert_eq!(
            accept(from("192.0.2.1", 5)).unwrap_err(),
            Refused::AddressFull
        );
        drop((second, other, ours, fourth));
        assert_eq!(table.len(), 0);
        assert!(table.lock().per_host.is_empty(), "no address left at 0");
    }

    #[test]
    fn peers_cannot_take_the_places_kept_for_our_own_requests() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let peer = |n: u8| SocketAddr::from(([192, 0, 2, n], 5060));
        let served: Vec<_> = (1..=14)
            .map(|n| table.accept(peer(n), queue.clone(), 64).unwrap())
            .collect();
        assert_eq!(
            table.accept(peer(15), queue.clone(), 64).unwrap_err(),
            Refused::Full(14),
            "seven eighths serve peers"
        );
        let ours: Vec<_> = (0..2)
            .map(|_| {
                table
                    .register(peer(99), queue.clone(), 64)
                    .expect("kept for ours")
            })
            .collect();
        assert_eq!(table.len(), 16);
        drop((served, ours));
        assert!(table.lock().per_side.is_empty());
    }

    #[test]
    fn our_connections_are_capped_per_host_and_cannot_take_the_places_kept_for_peers() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let to = |host: u8, port| SocketAddr::from(([192, 0, 2, host], port));
        let register = |remote| table.register(remote, queue.clone(), 8);
        let attacker: Vec<_> = (1..=8).map(|port| register(to(1, port)).unwrap()).collect();
        assert_eq!(
            register(to(1, 9)).unwrap_err(),
            Refused::AddressFull,
            "a host naming a new port in each Contact gets its share only"
        );
        let others: Vec<_> = (1..=6)
            .map(|host| register(to(host + 1, 5060)).unwrap())
            .collect();
        assert_eq!(
            register(to(9, 5060)).unwrap_err(),
            Refused::Full(14),
            "seven eighths for ours"
        );
        let served: Vec<_> = (1..=2)
            .map(|n| {
                table
                    .accept(to(100, n), queue.clone(), 8)
                    .expect("kept for peers")
            })
            .collect();
        assert_eq!(table.len(), 16);
        drop((attacker, others, served));
        assert!(table.lock().per_host.is_empty() && table.lock().per_side.is_empty());
    }

    #[test]
    fn an_ipv6_host_is_capped_by_its_64_and_a_mapped_ipv4_address_as_itself() {
        let table = Table::new(10);
        let (queue, _rx) = mpsc::channel(1);
        let from = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 5060);
        let accept = |remote| table.accept(remote, queue.clone(), 2);
        let first = accept(from("2001:db8:1:2::1")).unwrap();
        let _second = accept(from("2001:db8:1:2:ffff::9")).unwrap();
        assert_eq!(
            accept(from("2001:db8:1:2:abcd::1")).unwrap_err(),
            Refused::AddressFull,
            "any address of the same /64"
        );
        let _neighbour = accept(from("2001:db8:1:3::1")).expect("the next /64 is another host");
        let _v4 = accept(from("192.0.2.7")).unwrap();
        let _mapped = accept(from("::ffff:192.0.2.7")).unwrap();
        assert_eq!(
            accept(from("::ffff:192.0.2.7")).unwrap_err(),
            Refused::AddressFull,
            "an IPv4 address counts once, however it is written"
        );
        drop(first);
        accept(from("2001:db8:1:2:abcd::1")).expect("a closed one frees its /64's place");
    }
}
