//! Which TCP connections stay open, idle or when another host's needs a place: those the
//! owner of the sockets still needs.

use std::fmt;
use std::net::SocketAddr;
use std::sync::OnceLock;

/// Whether the connection to a peer address is still needed (see
/// [`SipSockets::keep_open_while`](crate::SipSockets::keep_open_while)).
pub(crate) type Needed = Box<dyn Fn(SocketAddr) -> bool + Send + Sync>;

/// The owner's [`Needed`], once it is set; until then no connection is needed.
#[derive(Default)]
pub(crate) struct KeepOpen(OnceLock<Needed>);

impl KeepOpen {
    /// Sets what says whether a connection is needed; `false` if it was set already.
    pub(crate) fn set(&self, needed: Needed) -> bool {
        self.0.set(needed).is_ok()
    }

    /// Whether the connection to `remote` is still needed: it stays open idle, and is not
    /// evicted.
    pub(crate) fn needs(&self, remote: SocketAddr) -> bool {
        self.0.get().is_some_and(|needed| needed(remote))
    }
}

impl fmt::Debug for KeepOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeepOpen")
            .field(&self.0.get().map(|_| "set"))
            .finish()
    }
}
