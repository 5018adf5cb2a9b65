//! Reading a UDP socket.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tracing::debug;

use crate::{Received, Transport, packet_info};

/// The largest UDP payload: every datagram is read whole, and the call core decides what is
/// too large (it answers `513` when it can, RFC 3261 §18.1.1).
const MAX_DATAGRAM: usize = 65_535;

/// Passes each datagram `socket` (bound to `local`) receives to `received` until `shutdown`
/// is dropped or nobody receives any more; one to a wildcard socket as received at the
/// address it was sent to.
pub(crate) async fn read_loop(
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    received: mpsc::Sender<Received>,
    mut shutdown: watch::Receiver<()>,
) {
    let mut buffer = vec![0; MAX_DATAGRAM];
    loop {
        let datagram = tokio::select! {
            _ = shutdown.changed() => return,
            result = packet_info::recv(&socket, &mut buffer) => match result {
                Ok(datagram) => datagram,
                // Such as an ICMP error reported on the socket: it concerns an earlier send.
                Err(e) => {
                    debug!(%local, "UDP receive: {e}");
                    continue;
                }
            },
        };
        let message = Received {
            transport: Transport::Udp,
            local: datagram
                .to
                .map_or(local, |ip| SocketAddr::new(ip, local.port())),
            remote: datagram.remote,
            connection: None,
            payload: buffer[..datagram.len].to_vec(),
        };
        if received.send(message).await.is_err() {
            return;
        }
    }
}
