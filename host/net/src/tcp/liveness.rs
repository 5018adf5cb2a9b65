//! Noticing a dead connection. A peer that vanishes (powered off, its NAT or a firewall on
//! the path forgot the flow) sends no FIN or RST: the kernel would learn of it only after
//! some 15 minutes of retransmitting what is written next (Linux's `tcp_retries2`), and
//! never while the connection idles, as one a call's dialog keeps open may for a long time.
//! Meanwhile every message for the peer is written into it and lost.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;

/// Silence after which the kernel probes a connection (`TCP_KEEPIDLE`). NATs and firewalls
/// drop idle TCP flows long before RFC 5382 REQ-5's 2 h 4 min, a minute or a few into the
/// silence in practice: probing at 30 s finds a dead flow within a minute and keeps a live
/// one's binding fresh, for a packet each way per idle connection.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// Time between unanswered probes (`TCP_KEEPINTVL`).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Unanswered probes before the connection is given up (`TCP_KEEPCNT`). Linux gives it up
/// earlier by the user timeout, which it applies to probes too (`tcp(7)`): with the default
/// message timeout of 32 s, at the second probe, 40 s into the silence.
const KEEPALIVE_PROBES: u32 = 3;

/// Has the kernel give `stream` up (its reads and writes then fail) once data written to it
/// went unacknowledged for `user_timeout` (`TCP_USER_TIMEOUT`, RFC 5482), or it idled and its
/// peer left keepalive probes unanswered (`SO_KEEPALIVE`, RFC 1122 §4.2.3.6). The connection's
/// task passes the message timeout, 64*T1 = 32 s by default: no transaction waits longer for a
/// response (Timers B and F, RFC 3261 §17.1.1.2, §17.1.2.2), so a connection that cannot
/// deliver within it serves none.
pub(super) fn watch(stream: &TcpStream, user_timeout: Duration) -> io::Result<()> {
    let socket = SockRef::from(stream);
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    socket.set_tcp_keepalive(&keepalive)?;
    socket.set_tcp_user_timeout(Some(user_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probes_and_the_user_timeout_are_set() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (accepted, _) = tokio::join!(listener.accept(), client);
        let (stream, _) = accepted.unwrap();
        let socket = SockRef::from(&stream);
        assert!(!socket.keepalive().unwrap(), "the kernel's default");
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            None,
            "the kernel's default"
        );
        let limit = Duration::from_secs(32);
        watch(&stream, limit).unwrap();
        assert!(socket.keepalive().unwrap());
        assert_eq!(socket.tcp_keepalive_time().unwrap(), KEEPALIVE_IDLE);
        assert_eq!(socket.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        assert_eq!(socket.tcp_user_timeout().unwrap(), Some(limit));
    }
}
