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

/// Unanswered probes before the connection is given up (`TCP_KEEPCNT`): one lost probe, or
/// two, do not end a live connection.
const KEEPALIVE_PROBES: u32 = 3;

/// How long data written may go unacknowledged before the connection is given up
/// (`TCP_USER_TIMEOUT`, RFC 5482): 60 s, the whole keepalive window. Linux applies it to
/// probes too, in place of the probe count (`tcp(7)`): it drops a connection at the first
/// probe sent once nothing was received for this long, so a shorter one would drop a live
/// connection after a single lost probe.
const USER_TIMEOUT: Duration =
    KEEPALIVE_IDLE.saturating_add(KEEPALIVE_INTERVAL.saturating_mul(KEEPALIVE_PROBES));

/// Has the kernel give `stream` up (its reads and writes then fail) once it idled for 30 s
/// and its peer left 3 keepalive probes 10 s apart unanswered (`SO_KEEPALIVE`, RFC 1122
/// §4.2.3.6), 60 s into the silence, or once data written to it went unacknowledged for
/// 60 s. A peer that acknowledges data but stops reading it is the connection's task's
/// to notice: a write not taken whole within the message timeout closes it.
pub(super) fn watch(stream: &TcpStream) -> io::Result<()> {
    let socket = SockRef::from(stream);
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    socket.set_tcp_keepalive(&keepalive)?;
    socket.set_tcp_user_timeout(Some(USER_TIMEOUT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_probe_is_sent_before_the_user_timeout_gives_the_connection_up() {
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
        watch(&stream).unwrap();
        assert!(socket.keepalive().unwrap());
        let idle = socket.tcp_keepalive_time().unwrap();
        let interval = socket.tcp_keepalive_interval().unwrap();
        let probes = socket.tcp_keepalive_retries().unwrap();
        assert_eq!(
            (idle, interval, probes),
            (Duration::from_secs(30), Duration::from_secs(10), 3)
        );
        let user_timeout = socket.tcp_user_timeout().unwrap().expect("set");
        assert!(
            user_timeout >= idle + interval * probes,
            "{user_timeout:?}: the connection would be dropped before its last probe went \
             unanswered"
        );
        assert_eq!(
            user_timeout,
            Duration::from_secs(60),
            "bounded all the same"
        );
    }
}
