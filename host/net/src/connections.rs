//! The table of open TCP connections: how a message finds its connection, how many each
//! peer address may hold, and which gives way when peers' connections hold every place.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use switchyard_sip::host_of;
use tokio::sync::{Notify, mpsc};

use crate::{ConnectionId, SocketsConfig, Transport};

/// How many connections one [`Table::admit`] asks `needed` about at most, of every host
/// together: each answer may take the owner's own lock while the table is locked, and every
/// connection accepted beyond the cap asks again, so the cost of one must not grow with the
/// connections held.
const MOST_NEEDED_ASKED: usize = 8;

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
/// counts until then. A connection [evicted](Table::admit) to make room for another host's
/// holds no place while it closes, and at most an eighth of `max` close so at once.
#[derive(Debug)]
pub(crate) struct Table {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// Counts registrations and messages carried: the order in which connections last
    /// carried one.
    clock: u64,
    by_id: HashMap<ConnectionId, Entry>,
    /// The newest connection to each peer address over each transport.
    by_remote: HashMap<(Transport, SocketAddr), ConnectionId>,
    /// The connections of each side holding a place that each peer host has open (its
    /// [`host_of`]); none is listed without one.
    per_host: HashMap<(Side, IpAddr), HashSet<ConnectionId>>,
    /// Peer hosts by how many places serving their requests they hold; none is listed at 0.
    peer_hosts_by_count: BTreeMap<usize, HashSet<IpAddr>>,
    /// How many connections of each side hold a place; none is listed at 0.
    per_side: HashMap<Side, usize>,
    /// How many connections are closing after being evicted, holding no place.
    evicting: usize,
}

#[derive(Debug)]
struct Entry {
    transport: Transport,
    remote: SocketAddr,
    /// `None` once retired: no message finds it.
    queue: Option<Queue>,
    side: Side,
    /// The [`Inner::clock`] when it was registered or last carried a message, read or
    /// written.
    last_message: u64,
    /// Evicted: it holds no place while it closes.
    evicted: bool,
    /// Tells its task it was evicted.
    eviction: Arc<Notify>,
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

    /// As [`Table::accept`], for a connection over `transport` (TCP, or TLS over it)
    /// accepted from `remote`; but where connections
    /// serving peers fill the table or their share of it, it takes the place of one of a
    /// host holding more of them than `remote`'s would with it (so a host holding few gets
    /// in, and hosts holding as many cannot evict each other in turn): of the host holding
    /// the most, the one longest without a message read or written (keepalives do not
    /// count), not retired, and not `needed` (asked of its peer's address, with the table
    /// locked); while a host has none to give, the next holding fewer. `needed` is asked of
    /// [`MOST_NEEDED_ASKED`] connections at most, in that order; past them, `remote` is
    /// refused. The evicted one's task [hears of it](Registration::evicted); its peer's
    /// address is returned with the registration.
    pub(crate) fn admit(
        self: &Arc<Self>,
        transport: Transport,
        remote: SocketAddr,
        queue: Queue,
        per_address: usize,
        needed: &dyn Fn(SocketAddr) -> bool,
    ) -> Result<(Registration, Option<SocketAddr>), Refused> {
        let mut inner = self.lock();
        let host = host_of(remote.ip());
        let evicted = match inner.room(self.max, Side::Peers, host, per_address) {
            Ok(()) => None,
            Err(Refused::Full(open)) if inner.evicting < SocketsConfig::most_evicting(self.max) => {
                let newcomer_would_hold = inner.held(Side::Peers, host) + 1;
                let evicted = inner
                    .evictable(newcomer_would_hold, needed)
                    .and_then(|victim| inner.evict(victim));
                Some(evicted.ok_or(Refused::Full(open))?)
            }
            Err(refused) => return Err(refused),
        };
        let registration = self.insert(&mut inner, (transport, remote), queue, Side::Peers);
        Ok((registration, evicted))
    }

    /// The queue of connection `id` if it is open over `transport` and not retired, else of
    /// the newest such connection to `remote` over `transport`, if any.
    pub(crate) fn queue(
        &self,
        transport: Transport,
        id: Option<ConnectionId>,
        remote: SocketAddr,
    ) -> Option<Queue> {
        let inner = self.lock();
        let over_transport = |entry: &&Entry| entry.transport == transport;
        id.and_then(|id| inner.by_id.get(&id).filter(over_transport)?.queue.clone())
            .or_else(|| {
                inner
                    .by_id
                    .get(inner.by_remote.get(&(transport, remote))?)?
                    .queue
                    .clone()
            })
    }

    /// How many connections are open, retired and evicted ones included.
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Adds a TCP connection of `side`, with at most `per_address` of that side per host.
    fn add(
        self: &Arc<Self>,
        remote: SocketAddr,
        queue: Queue,
        side: Side,
        per_address: usize,
    ) -> Result<Registration, Refused> {
        let mut inner = self.lock();
        inner.room(self.max, side, host_of(remote.ip()), per_address)?;
        Ok(self.insert(&mut inner, (Transport::Tcp, remote), queue, side))
    }

    /// Adds a connection of `side` to a peer over a transport (`place`) that has room.
    fn insert(
        self: &Arc<Self>,
        inner: &mut Inner,
        place: (Transport, SocketAddr),
        queue: Queue,
        side: Side,
    ) -> Registration {
        let (transport, remote) = place;
        inner.next_id += 1;
        inner.clock += 1;
        let id = ConnectionId(inner.next_id);
        let eviction = Arc::new(Notify::new());
        let entry = Entry {
            transport,
            remote,
            queue: Some(queue),
            side,
            last_message: inner.clock,
            evicted: false,
            eviction: Arc::clone(&eviction),
        };
        inner.by_id.insert(id, entry);
        inner.by_remote.insert(place, id);
        inner.hold(id, side, host_of(remote.ip()));
        Registration {
            table: Arc::clone(self),
            id,
            eviction,
        }
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
    eviction: Arc<Notify>,
}

impl Registration {
    /// The connection's id.
    pub(crate) fn id(&self) -> ConnectionId {
        self.id
    }

    /// The connection carried a message, read or written (keepalives aside): of a host's
    /// connections, those that did so last are [evicted](Table::admit) last.
    pub(crate) fn carried(&self) {
        let mut inner = self.table.lock();
        inner.clock += 1;
        let clock = inner.clock;
        if let Some(entry) = inner.by_id.get_mut(&self.id) {
            entry.last_message = clock;
        }
    }

    /// Completes once the connection is evicted ([`Table::admit`]), at once if it was
    /// before; never if it is not.
    pub(crate) async fn evicted(&self) {
        self.eviction.notified().await;
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
        let place = (entry.transport, entry.remote);
        inner.route_past(self.id, place);
    }
}

impl Inner {
    /// Whether a connection of `side` from or to `host` has a place: the table, `side`'s
    /// share of it, and `host`'s `per_address` of `side` are not full.
    fn room(
        &self,
        max: usize,
        side: Side,
        host: IpAddr,
        per_address: usize,
    ) -> Result<(), Refused> {
        let share = max - max / 8;
        if self.by_id.len() - self.evicting >= max {
            return Err(Refused::Full(max));
        }
        if self.per_side.get(&side).copied().unwrap_or(0) >= share {
            return Err(Refused::Full(share));
        }
        if self.held(side, host) >= per_address {
            return Err(Refused::AddressFull);
        }
        Ok(())
    }

    /// How many places of `side` `host` holds.
    fn held(&self, side: Side, host: IpAddr) -> usize {
        self.per_host.get(&(side, host)).map_or(0, HashSet::len)
    }

    /// Connection `id` of `side`, from or to `host`, takes a place.
    fn hold(&mut self, id: ConnectionId, side: Side, host: IpAddr) {
        let held = self.per_host.entry((side, host)).or_default();
        held.insert(id);
        let count = held.len();
        *self.per_side.entry(side).or_default() += 1;
        if side == Side::Peers {
            self.recount_peer_host(host, count - 1, count);
        }
    }

    /// Connection `id` of `side`, from or to `host`, gives its place up.
    fn release(&mut self, id: ConnectionId, side: Side, host: IpAddr) {
        let Some(held) = self.per_host.get_mut(&(side, host)) else {
            return;
        };
        held.remove(&id);
        let count = held.len();
        if count == 0 {
            self.per_host.remove(&(side, host));
        }
        count_down(&mut self.per_side, side);
        if side == Side::Peers {
            self.recount_peer_host(host, count + 1, count);
        }
    }

    /// Moves peer host `host` from those holding `from` places serving its requests to
    /// those holding `to`.
    fn recount_peer_host(&mut self, host: IpAddr, from: usize, to: usize) {
        if let Some(hosts) = self.peer_hosts_by_count.get_mut(&from) {
            hosts.remove(&host);
            if hosts.is_empty() {
                self.peer_hosts_by_count.remove(&from);
            }
        }
        if to > 0 {
            self.peer_hosts_by_count.entry(to).or_default().insert(host);
        }
    }

    /// The connection to evict for a host that would hold `newcomer_would_hold` places
    /// serving its requests: of the hosts holding more, the biggest first, and of each host's
    /// connections not retired, the longest without a message first, the first not
    /// `needed`. `needed` is asked of [`MOST_NEEDED_ASKED`] of them at most.
    fn evictable(
        &self,
        newcomer_would_hold: usize,
        needed: &dyn Fn(SocketAddr) -> bool,
    ) -> Option<ConnectionId> {
        let bigger = self.peer_hosts_by_count.range(newcomer_would_hold + 1..);
        bigger
            .rev()
            .flat_map(|(_, hosts)| hosts)
            .flat_map(|host| self.longest_without_message_first(*host))
            .take(MOST_NEEDED_ASKED)
            .find(|(_, remote)| !needed(*remote))
            .map(|(id, _)| id)
    }

    /// The connections serving `host`'s requests that are not retired, with their peers'
    /// addresses, the longest without a message first.
    fn longest_without_message_first(
        &self,
        host: IpAddr,
    ) -> impl Iterator<Item = (ConnectionId, SocketAddr)> + use<> {
        let held = self
            .per_host
            .get(&(Side::Peers, host))
            .into_iter()
            .flatten();
        let mut candidates: Vec<_> = held
            .filter_map(|id| Some((*id, self.by_id.get(id)?)))
            .filter(|(_, entry)| entry.queue.is_some())
            .map(|(id, entry)| (entry.last_message, id, entry.remote))
            .collect();
        candidates.sort_unstable_by_key(|(last_message, ..)| *last_message);
        candidates.into_iter().map(|(_, id, remote)| (id, remote))
    }

    /// Evicts connection `id`: it gives its place up at once, and its task is told to read no
    /// more and close it once the responses it owes are written. Returns its peer's address;
    /// `None` if it is not open.
    fn evict(&mut self, id: ConnectionId) -> Option<SocketAddr> {
        let entry = self.by_id.get_mut(&id)?;
        entry.evicted = true;
        entry.eviction.notify_one();
        let (remote, side) = (entry.remote, entry.side);
        self.evicting += 1;
        self.release(id, side, host_of(remote.ip()));
        Some(remote)
    }

    /// If messages to a peer over a transport (`place`) go on connection `id`, has the newest
    /// other one not retired take them, if any (a scan of at most `max` entries, once per
    /// closed connection).
    fn route_past(&mut self, id: ConnectionId, place: (Transport, SocketAddr)) {
        if self.by_remote.get(&place) != Some(&id) {
            return;
        }
        let other = self
            .by_id
            .iter()
            .filter(|(other, entry)| **other != id && (entry.transport, entry.remote) == place)
            .filter(|(_, entry)| entry.queue.is_some())
            .map(|(other, _)| *other)
            .max();
        match other {
            Some(other) => self.by_remote.insert(place, other),
            None => self.by_remote.remove(&place),
        };
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut inner = self.table.lock();
        let Some(entry) = inner.by_id.remove(&self.id) else {
            return;
        };
        let remote = entry.remote;
        if entry.evicted {
            inner.evicting -= 1;
        } else {
            inner.release(self.id, entry.side, host_of(remote.ip()));
        }
        inner.route_past(self.id, (entry.transport, remote));
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
    use std::cell::Cell;

    use futures_util::FutureExt;

    use super::*;

    /// Whether `registration`'s task would hear now that it was evicted (once: hearing it
    /// takes the news).
    fn is_evicted(registration: &Registration) -> bool {
        registration.evicted().now_or_never().is_some()
    }

    #[test]
    fn a_host_holding_few_takes_the_place_of_the_longest_without_a_message_of_the_biggest() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let from = |host: u8, port| SocketAddr::from(([192, 0, 2, host], port));
        let nothing_needed = |_| false;
        let admit = |remote| table.admit(Transport::Tcp, remote, queue.clone(), 8, &nothing_needed);
        let biggest: Vec<_> = (1..=8)
            .map(|port| admit(from(1, port)).unwrap().0)
            .collect();
        let others: Vec<_> = (1..=6)
            .map(|port| admit(from(2, port)).unwrap().0)
            .collect();
        for (n, registration) in biggest.iter().enumerate() {
            if n != 2 {
                registration.carried();
            }
        }
        let (newcomer, evicted) = admit(from(3, 1)).expect("a host holding none gets in");
        assert_eq!(
            evicted,
            Some(from(1, 3)),
            "the one longest without a message"
        );
        assert!(is_evicted(&biggest[2]));
        let told = biggest.iter().chain(&others).filter(|r| is_evicted(r));
        assert_eq!(told.count(), 0, "the others stay");
        assert_eq!(table.len(), 15, "open until it closes");
        assert_eq!(table.lock().held(Side::Peers, host_of(from(1, 0).ip())), 7);
        assert!(
            table.queue(Transport::Tcp, None, from(1, 3)).is_some(),
            "it writes what comes meanwhile"
        );
        drop((biggest, others, newcomer));
        let inner = table.lock();
        assert!(inner.by_id.is_empty() && inner.per_host.is_empty());
        assert!(inner.per_side.is_empty() && inner.peer_hosts_by_count.is_empty());
        assert_eq!(inner.evicting, 0);
    }

    #[test]
    fn one_admission_asks_of_a_few_connections_at_most_whether_they_are_needed() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let from = |host: u8, port| SocketAddr::from(([192, 0, 2, host], port));
        let (asked, all_needed) = (Cell::new(0), Cell::new(true));
        let needed = |_| {
            asked.set(asked.get() + 1);
            all_needed.get()
        };
        let admit = |remote| table.admit(Transport::Tcp, remote, queue.clone(), 8, &needed);
        let biggest = (1..=8).map(|port| admit(from(1, port)).unwrap());
        let next = (1..=6).map(|port| admit(from(2, port)).unwrap());
        let _held: Vec<_> = biggest.chain(next).collect();
        assert_eq!(asked.get(), 0, "none while there is room");
        assert_eq!(admit(from(3, 1)).unwrap_err(), Refused::Full(14));
        assert_eq!(
            asked.get(),
            MOST_NEEDED_ASKED,
            "of the 14 connections of bigger hosts, all needed"
        );
        asked.set(0);
        all_needed.set(false);
        let (_newcomer, evicted) = admit(from(3, 1)).unwrap();
        assert_eq!(
            evicted,
            Some(from(1, 1)),
            "the one longest without a message"
        );
        assert_eq!(asked.get(), 1, "the first not needed is taken");
    }

    #[test]
    fn hosts_holding_as_many_cannot_evict_each_other() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let from = |host: u8, port| SocketAddr::from(([192, 0, 2, host], port));
        let nothing_needed = |_| false;
        let admit = |remote| table.admit(Transport::Tcp, remote, queue.clone(), 8, &nothing_needed);
        let _first: Vec<_> = (1..=7).map(|port| admit(from(1, port)).unwrap()).collect();
        let _second: Vec<_> = (1..=7).map(|port| admit(from(2, port)).unwrap()).collect();
        assert_eq!(
            admit(from(2, 8)).unwrap_err(),
            Refused::Full(14),
            "it would hold 8, and none holds more"
        );
        let (_third, evicted) = admit(from(3, 1)).expect("a host holding fewer gets in");
        let loser = evicted.expect("in place of one of theirs").ip();
        assert_eq!(
            admit(SocketAddr::new(loser, 9)).unwrap_err(),
            Refused::Full(14),
            "back to 7, it would hold as many as the other, not fewer"
        );
        assert_eq!(table.len(), 15);
    }

    #[test]
    fn needed_connections_stay_and_evictions_closing_at_once_are_bounded() {
        let table = Table::new(16);
        let (queue, _rx) = mpsc::channel(1);
        let from = |host: u8, port| SocketAddr::from(([192, 0, 2, host], port));
        let needed = |remote: SocketAddr| remote.ip() == from(1, 0).ip() || remote.port() == 1;
        let admit = |remote| table.admit(Transport::Tcp, remote, queue.clone(), 8, &needed);
        let _biggest: Vec<_> = (1..=6).map(|port| admit(from(1, port)).unwrap()).collect();
        let mut next: Vec<_> = (1..=5)
            .map(|port| admit(from(2, port)).unwrap().0)
            .collect();
        let _holding_one: Vec<_> = (10..=12)
            .map(|host| admit(from(host, 1)).unwrap())
            .collect();
        next[1].retire();
        let (_newcomer, evicted) = admit(from(3, 1)).expect("the next biggest gives way");
        assert_eq!(
            evicted,
            Some(from(2, 3)),
            "neither the needed one, nor the one retired, nor any of the biggest, all needed"
        );
        let (_another, evicted) = admit(from(4, 1)).unwrap();
        assert_eq!(evicted, Some(from(2, 4)));
        assert_eq!(
            admit(from(5, 1)).unwrap_err(),
            Refused::Full(14),
            "two of 16 closing at once at most"
        );
        next.remove(2);
        let (_last, evicted) = admit(from(5, 1)).expect("one closed");
        assert_eq!(evicted, Some(from(2, 5)));
        assert_eq!(
            table.len(),
            16,
            "14 places, the retired one's among them, 2 closing"
        );
    }

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
        assert!(table.queue(Transport::Tcp, Some(first.id()), b).is_some());
        drop(second);
        assert!(
            table.queue(Transport::Tcp, None, a).is_some(),
            "the older one to a takes over"
        );
        drop(first);
        assert!(table.queue(Transport::Tcp, None, a).is_none());
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn tls_connections_hold_places_as_tcp_ones_and_are_found_apart_from_them() {
        let table = Table::new(2);
        let a = "192.0.2.1:5060".parse().unwrap();
        let (queue, _rx) = mpsc::channel(1);
        let nothing_needed = |_| false;
        let (tls, _) = table
            .admit(Transport::Tls, a, queue.clone(), 2, &nothing_needed)
            .unwrap();
        assert!(table.queue(Transport::Tls, None, a).is_some());
        assert!(
            table.queue(Transport::Tcp, None, a).is_none(),
            "none over TCP"
        );
        assert!(
            table.queue(Transport::Tcp, Some(tls.id()), a).is_none(),
            "its id does not make it a TCP one"
        );
        let _tcp = table.register(a, queue.clone(), 2).unwrap();
        assert_eq!(
            table.register(a, queue.clone(), 2).err(),
            Some(Refused::Full(2)),
            "the TLS connection holds a place"
        );
        drop(tls);
        assert!(table.queue(Transport::Tls, None, a).is_none());
        assert!(table.queue(Transport::Tcp, None, a).is_some());
    }

    #[test]
    fn a_retired_connection_takes_no_message_and_keeps_its_place_until_dropped() {
        let table = Table::new(2);
        let a = "192.0.2.1:5060".parse().unwrap();
        let (queue, _rx) = mpsc::channel(1);
        let older = table.accept(a, queue.clone(), 1).unwrap();
        let mut newer = table.register(a, queue.clone(), 2).unwrap();
        newer.retire();
        assert!(
            table.queue(Transport::Tcp, Some(newer.id()), a).is_some(),
            "the older one"
        );
        assert_eq!(
            table.register(a, queue.clone(), 2).err(),
            Some(Refused::Full(2))
        );
        let mut older = older;
        older.retire();
        assert!(table.queue(Transport::Tcp, None, a).is_none());
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
