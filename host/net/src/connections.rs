//! The table of open TCP connections: how a message finds its connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::ConnectionId;

/// The write queue of one connection: messages its task writes in order.
pub(crate) type Queue = mpsc::Sender<Vec<u8>>;

/// Open connections by id and by peer address, at most `max` of them. Each entry is owned
/// by a [`Registration`], held by the connection's task, which removes it when the task ends
/// however it ends.
#[derive(Debug)]
pub(crate) struct Table {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_id: HashMap<ConnectionId, (SocketAddr, Queue)>,
    /// The newest connection to each peer address.
    by_remote: HashMap<SocketAddr, ConnectionId>,
}

impl Table {
    /// An empty table for at most `max` connections.
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            inner: Mutex::default(),
        })
    }

    /// Adds a connection to `remote` writing from `queue`; `None` when the table is full.
    pub(crate) fn register(
        self: &Arc<Self>,
        remote: SocketAddr,
        queue: Queue,
    ) -> Option<Registration> {
        let mut inner = self.lock();
        if inner.by_id.len() >= self.max {
            return None;
        }
        inner.next_id += 1;
        let id = ConnectionId(inner.next_id);
        inner.by_id.insert(id, (remote, queue));
        inner.by_remote.insert(remote, id);
        Some(Registration {
            table: Arc::clone(self),
            id,
        })
    }

    /// The queue of connection `id` if it is open, else of the newest connection to
    /// `remote`, if any.
    pub(crate) fn queue(&self, id: Option<ConnectionId>, remote: SocketAddr) -> Option<Queue> {
        let inner = self.lock();
        id.and_then(|id| inner.by_id.get(&id))
            .or_else(|| inner.by_id.get(inner.by_remote.get(&remote)?))
            .map(|(_, queue)| queue.clone())
    }

    /// How many connections are open.
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The table stays consistent across a panic: every change is a single insert or remove.
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
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut inner = self.table.lock();
        if let Some((remote, _)) = inner.by_id.remove(&self.id)
            && inner.by_remote.get(&remote) == Some(&self.id)
        {
            // Another connection to the same peer, if any, takes over (a scan of at most
            // `max` entries, once per closed connection).
            let other = inner
                .by_id
                .iter()
                .filter(|(_, (r, _))| *r == remote)
                .map(|(id, _)| *id)
                .max();
            match other {
                Some(other) => inner.by_remote.insert(remote, other),
                None => inner.by_remote.remove(&remote),
            };
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
        let first = table.register(a, queue.clone()).unwrap();
        let second = table.register(a, queue.clone()).unwrap();
        assert!(table.register(b, queue.clone()).is_none(), "full");
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
}
