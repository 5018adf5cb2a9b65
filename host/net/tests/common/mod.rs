//! What the socket tests share: bounded waits, the next message received, and reading a
//! peer's stream.

use std::future::Future;
use std::time::Duration;

use switchyard_net::{Received, SipSockets, SocketEvent};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest any one step of a test waits.
pub const WAIT: Duration = Duration::from_secs(5);

/// `future`'s output; panics naming `what` if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// The next message `sip` receives within [`WAIT`]; panics on any other event.
pub async fn message(sip: &mut SipSockets) -> Received {
    match within("a message", sip.recv()).await {
        SocketEvent::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// `len` bytes read from `stream` (TCP, or TLS over it) within [`WAIT`].
pub async fn read_exactly(stream: &mut (impl AsyncRead + Unpin), len: usize) -> Vec<u8> {
    let mut data = vec![0; len];
    within("read", stream.read_exact(&mut data))
        .await
        .expect("read");
    data
}
