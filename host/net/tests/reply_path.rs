//! How responses leave: over UDP from the address their request came to (RFC 3581 §4), over
//! TCP on the request's connection or, once it has closed, on a new connection to the
//! address the response names for that (RFC 3261 §18.2.2). Loopback only; every port is
//! picked by the kernel, every wait is bounded.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use switchyard_net::{Outgoing, SendError, SipSockets, SocketEvent, SocketsConfig, Transport};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};

const WAIT: Duration = Duration::from_secs(5);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// A TCP response for a request that came on a connection to `gone`, since closed, to go
/// to `reopen` (its Via's sent-by port).
fn response_reopening(gone: SocketAddr, reopen: SocketAddr, payload: &[u8]) -> Outgoing {
    Outgoing {
        transport: Transport::Tcp,
        destination: gone,
        connection: None,
        source: None,
        reopen: Some(reopen),
        payload: payload.to_vec(),
    }
}

fn udp_addrs(sip: &SipSockets) -> Vec<SocketAddr> {
    sip.local_addrs()
        .iter()
        .filter(|(transport, _)| *transport == Transport::Udp)
        .map(|(_, addr)| *addr)
        .collect()
}

#[tokio::test]
async fn a_udp_response_leaves_from_the_address_its_request_came_to() {
    // Two addresses, as on a host with a public and a private one.
    let config = SocketsConfig::on(vec![
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.2:0".parse().unwrap(),
    ]);
    let sip = SipSockets::bind(config).await.expect("bind on loopback");
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buffer = [0; 64];
    for local in udp_addrs(&sip) {
        let response = Outgoing {
            transport: Transport::Udp,
            destination: peer.local_addr().unwrap(),
            connection: None,
            source: Some(local),
            reopen: None,
            payload: b"SIP/2.0 200 OK\r\n\r\n".to_vec(),
        };
        sip.send(response).await.unwrap();
        let (_, from) = within("the response", peer.recv_from(&mut buffer))
            .await
            .unwrap();
        assert_eq!(from, local, "a NAT in front of {local} lets only it out");
    }
}

#[tokio::test]
async fn a_tcp_response_whose_connection_closed_goes_on_a_new_one_to_the_reopen_address() {
    let mut sip = SipSockets::bind(SocketsConfig::on(vec!["127.0.0.1:0".parse().unwrap()]))
        .await
        .expect("bind on loopback");
    // The peer's listener: its Via's sent-by port.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Where its request came from, a connection that has since closed: a port nobody
    // listens on.
    let gone = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let payload = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
    let response = response_reopening(gone, listener.local_addr().unwrap(), &payload);
    sip.send(response)
        .await
        .expect("queued on a new connection");
    let (mut stream, _) = within("the new connection", listener.accept())
        .await
        .unwrap();
    let mut received = vec![0; payload.len()];
    within("the response", stream.read_exact(&mut received))
        .await
        .unwrap();
    assert_eq!(received, payload);
    let unreachable = tokio::time::timeout(Duration::from_millis(200), sip.recv()).await;
    assert!(
        !matches!(unreachable, Ok(SocketEvent::Unreachable { .. })),
        "nothing was sent to the closed source: {unreachable:?}"
    );
}

#[tokio::test]
async fn connections_opened_to_answer_a_peer_count_against_its_hosts_cap() {
    let mut config = SocketsConfig::on(vec!["127.0.0.1:0".parse().unwrap()]);
    config.max_connections_per_address = 2;
    let sip = SipSockets::bind(config).await.expect("bind on loopback");
    let gone = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    // A peer whose every request names another Via port, its connection closed.
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let mut results = Vec::new();
    for listener in &listeners {
        let payload = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        let response = response_reopening(gone, listener.local_addr().unwrap(), payload);
        results.push(sip.send(response).await);
    }
    assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
    assert!(
        matches!(results[2], Err(SendError::TooManyFromPeer(_, 2))),
        "the third is one too many for the peer's host: {results:?}"
    );
}
