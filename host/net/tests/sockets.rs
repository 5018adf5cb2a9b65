//! SipSockets on loopback: UDP on both families, TCP framing, connection reuse, idle close,
//! messages trickling in, the connection caps, eviction for hosts holding few, and framing
//! errors. Every port is picked by the kernel, every wait is bounded.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use switchyard_net::{
    Outgoing, Received, SendError, SipSockets, SocketEvent, SocketsConfig, Transport,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;

use common::{WAIT, message, read_exactly, within};

fn options(n: u32) -> Vec<u8> {
    let body = format!("body {n}");
    format!(
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{n}\r\n\
         From: <sip:b@127.0.0.1>;tag=f\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c{n}\r\n\
         CSeq: {n} OPTIONS\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A final response to `options(n)`.
fn ok(n: u32) -> Vec<u8> {
    format!("SIP/2.0 200 OK\r\nCSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

async fn sockets(config: SocketsConfig) -> SipSockets {
    SipSockets::bind(config).await.expect("bind on loopback")
}

fn loopback(addrs: &[&str]) -> SocketsConfig {
    SocketsConfig::on(addrs.iter().map(|a| a.parse().unwrap()).collect())
}

fn addr_of(sockets: &SipSockets, transport: Transport, v6: bool) -> SocketAddr {
    sockets
        .local_addrs()
        .iter()
        .find(|(t, a)| *t == transport && a.is_ipv6() == v6)
        .map(|(_, a)| *a)
        .expect("bound")
}

/// Sends `payload` over `transport` to `destination`, on no connection in particular.
async fn send(
    sip: &SipSockets,
    transport: Transport,
    destination: SocketAddr,
    payload: Vec<u8>,
) -> Result<(), SendError> {
    send_from(sip, transport, None, destination, payload).await
}

/// As [`send`], naming `source` as the address the message leaves from.
async fn send_from(
    sip: &SipSockets,
    transport: Transport,
    source: Option<&str>,
    destination: SocketAddr,
    payload: Vec<u8>,
) -> Result<(), SendError> {
    sip.send(Outgoing {
        transport,
        destination,
        connection: None,
        source: source.map(|source| source.parse().unwrap()),
        reopen: None,
        payload,
    })
    .await
}

/// Whether the peer closes `stream` within the wait (reading and dropping what comes first).
async fn closes(stream: &mut TcpStream) -> bool {
    let mut sink = Vec::new();
    matches!(
        tokio::time::timeout(WAIT, stream.read_to_end(&mut sink)).await,
        Ok(Ok(_))
    )
}

/// A connection to `server` from `source` (an address of the loopback network, port 0).
async fn connect_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(source.parse().unwrap()).unwrap();
    within("connect", socket.connect(server)).await.unwrap()
}

/// Writes `bytes` to `stream` one at a time, `gap` apart, until all are written or the peer
/// closes the connection; how long the peer took to close it, if it did.
async fn trickle(stream: &mut TcpStream, bytes: &[u8], gap: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut sink = [0; 64];
    for byte in bytes {
        tokio::select! {
            read = stream.read(&mut sink) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return Some(start.elapsed());
                }
            }
            () = tokio::time::sleep(gap) => {
                if stream.write_all(&[*byte]).await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

/// Waits until `sip` has `count` connections open: a connection's task leaves the table just
/// after closing the socket.
async fn settles_at(sip: &SipSockets, count: usize) {
    within("connection count", async {
        while sip.connections() != count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn udp_on_ipv4_and_ipv6_loopback() {
    let probe = std::net::UdpSocket::bind("[::1]:0");
    assert!(
        probe.is_ok(),
        "::1 cannot be bound in this sandbox: {probe:?}"
    );
    let mut sip = sockets(loopback(&["127.0.0.1:0", "[::1]:0"])).await;
    for (client, v6) in [("127.0.0.1:0", false), ("[::1]:0", true)] {
        let client = UdpSocket::bind(client).await.unwrap();
        let server = addr_of(&sip, Transport::Udp, v6);
        client.send_to(&options(1), server).await.unwrap();
        let received = within("datagram", message(&mut sip)).await;
        assert_eq!(
            received,
            Received {
                transport: Transport::Udp,
                local: server,
                remote: client.local_addr().unwrap(),
                connection: None,
                payload: options(1),
            }
        );
        send(&sip, Transport::Udp, received.remote, b"answer".to_vec())
            .await
            .unwrap();
        let mut buffer = [0; 64];
        let (len, from) = within("answer", client.recv_from(&mut buffer))
            .await
            .unwrap();
        assert_eq!((&buffer[..len], from), (&b"answer"[..], server));
    }
    let v4_only = sockets(loopback(&["127.0.0.1:0"])).await;
    let refused = send(
        &v4_only,
        Transport::Udp,
        "[::1]:9".parse().unwrap(),
        options(1),
    )
    .await;
    assert!(
        matches!(refused, Err(SendError::NoSocket(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_datagram_to_port_0_unreaches_its_destination() {
    let sip = sockets(loopback(&["127.0.0.1:0"])).await;
    let nowhere = SocketAddr::from(([127, 0, 0, 1], 0));
    let sent = send(&sip, Transport::Udp, nowhere, options(1)).await;
    assert!(
        sent.as_ref().is_err_and(SendError::unreaches_destination),
        "{sent:?}"
    );
}

#[tokio::test]
async fn pipelined_tcp_requests_arrive_in_order_and_responses_take_their_connection() {
    let mut sip = sockets(loopback(&["127.0.0.1:0", "[::1]:0"])).await;
    let server = addr_of(&sip, Transport::Tcp, true);
    let mut client = TcpStream::connect(server).await.unwrap();
    let mut both = b"\r\n\r\n".to_vec();
    both.extend_from_slice(&options(1));
    both.extend_from_slice(&options(2));
    client.write_all(&both).await.unwrap();
    let first = within("first", message(&mut sip)).await;
    let second = within("second", message(&mut sip)).await;
    assert_eq!((first.payload, second.payload), (options(1), options(2)));
    assert_eq!(first.transport, Transport::Tcp);
    assert_eq!(first.remote, client.local_addr().unwrap());
    assert_eq!(first.local, server);
    assert!(first.connection.is_some());
    assert_eq!(first.connection, second.connection);
    assert_eq!(
        read_exactly(&mut client, 2).await,
        b"\r\n",
        "the ping's pong"
    );
    for n in [1, 2] {
        sip.send(Outgoing {
            transport: Transport::Tcp,
            // A destination that matches no connection: the connection decides.
            destination: "[::1]:9".parse().unwrap(),
            connection: first.connection,
            source: None,
            reopen: None,
            payload: format!("response {n}\r\n").into_bytes(),
        })
        .await
        .unwrap();
    }
    let expected = b"response 1\r\nresponse 2\r\n";
    assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
    assert_eq!(sip.connections(), 1);
}

#[tokio::test]
async fn requests_to_one_destination_share_one_new_connection() {
    let mut sip = sockets(loopback(&["127.0.0.1:0"])).await;
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let destination = peer.local_addr().unwrap();
    for n in [1, 2] {
        sip.send(Outgoing {
            transport: Transport::Tcp,
            destination,
            connection: None,
            source: None,
            reopen: None,
            payload: options(n),
        })
        .await
        .unwrap();
    }
    let (mut stream, _) = within("connect", peer.accept()).await.unwrap();
    let mut expected = options(1);
    expected.extend_from_slice(&options(2));
    assert_eq!(read_exactly(&mut stream, expected.len()).await, expected);
    assert_eq!(sip.connections(), 1);
    // The peer's answer comes back on the same connection.
    stream.write_all(&options(3)).await.unwrap();
    let answer = within("answer", message(&mut sip)).await;
    assert_eq!((answer.remote, answer.payload), (destination, options(3)));
    // Received at our listening address, not the connection's ephemeral port: a request
    // the peer sends on it makes a dialog whose Contact must reach us after it closes.
    assert_eq!(answer.local, addr_of(&sip, Transport::Tcp, false));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), peer.accept())
            .await
            .is_err(),
        "no second connection"
    );
}

#[tokio::test]
async fn idle_connections_close_and_pings_keep_them_open() {
    // Pings a fifth of the idle timeout apart, for longer than it: a loaded machine may stall
    // the test for most of the idle timeout without closing the pinged connection.
    let idle_timeout = Duration::from_millis(1500);
    let config = SocketsConfig {
        idle_timeout,
        ..loopback(&["127.0.0.1:0"])
    };
    let sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut kept = TcpStream::connect(server).await.unwrap();
    let mut idle = TcpStream::connect(server).await.unwrap();
    for _ in 0..6 {
        tokio::time::sleep(idle_timeout / 5).await;
        ping(&mut kept).await;
    }
    assert!(closes(&mut idle).await, "idle connection left open");
    settles_at(&sip, 1).await;
    assert!(closes(&mut kept).await);
    settles_at(&sip, 0).await;
}

#[tokio::test]
async fn an_accepted_connection_must_carry_a_message_whatever_keepalives_it_sends() {
    // Idle for longer than `closes` waits: only the first-message deadline can close it.
    // The pings below, 150 ms apart, come well within that deadline even when a loaded
    // machine stalls the test for a second.
    let config = SocketsConfig {
        idle_timeout: Duration::from_secs(60),
        message_timeout: Duration::from_secs(2),
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut pinging = TcpStream::connect(server).await.unwrap();
    let mut talking = TcpStream::connect(server).await.unwrap();
    talking.write_all(&options(1)).await.unwrap();
    within("request", message(&mut sip)).await;
    // Three pings in one write get their three pongs (RFC 5626 §3.5.1).
    pinging.write_all(&b"\r\n\r\n".repeat(3)).await.unwrap();
    assert_eq!(read_exactly(&mut pinging, 6).await, b"\r\n".repeat(3));
    for stream in [&mut pinging, &mut talking] {
        tokio::time::sleep(Duration::from_millis(150)).await;
        ping(stream).await;
    }
    assert!(
        closes(&mut pinging).await,
        "a connection of keepalives alone holds no place"
    );
    settles_at(&sip, 1).await;
    talking.write_all(&options(2)).await.unwrap();
    within("a later request", message(&mut sip)).await;
}

#[tokio::test]
async fn a_connection_we_open_leaves_from_the_address_named_for_it() {
    // The route to 127.0.0.1 leaves from 127.0.0.1; we listen on 127.0.0.2 and name it.
    let sip = sockets(loopback(&["127.0.0.2:0"])).await;
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = peer.local_addr().unwrap();
    send(&sip, Transport::Tcp, to, options(1)).await.unwrap();
    let (mut stream, from) = within("a connection", peer.accept()).await.unwrap();
    assert_eq!(from.ip().to_string(), "127.0.0.2", "the listener's address");
    assert_eq!(
        read_exactly(&mut stream, options(1).len()).await,
        options(1)
    );
    // A message naming its source leaves from it, whatever the listeners.
    let both = sockets(loopback(&["127.0.0.2:0", "127.0.0.3:0"])).await;
    send_from(
        &both,
        Transport::Tcp,
        Some("127.0.0.3:5060"),
        to,
        options(2),
    )
    .await
    .unwrap();
    let (_, from) = within("a second connection", peer.accept()).await.unwrap();
    assert_eq!(from.ip().to_string(), "127.0.0.3");
    // One naming an address not of this host (a NAT's, as `sip.advertise` has Via name)
    // leaves from where the kernel picks.
    let fresh = sockets(loopback(&["127.0.0.2:0"])).await;
    send_from(
        &fresh,
        Transport::Tcp,
        Some("203.0.113.5:5060"),
        to,
        options(3),
    )
    .await
    .unwrap();
    let (mut stream, _) = within("a third connection", peer.accept()).await.unwrap();
    assert_eq!(
        read_exactly(&mut stream, options(3).len()).await,
        options(3)
    );
}

#[tokio::test]
async fn a_datagram_naming_a_source_not_of_this_host_leaves_from_a_socket_on_its_port() {
    // As `sip.advertise` has replies name a NAT's address: the socket on its port sends.
    let sip = sockets(loopback(&["127.0.0.2:0", "127.0.0.3:0"])).await;
    let ports: Vec<u16> = sip
        .local_addrs()
        .iter()
        .filter(|(transport, _)| *transport == Transport::Udp)
        .map(|(_, addr)| addr.port())
        .collect();
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for port in ports {
        let source = format!("203.0.113.5:{port}");
        let to = peer.local_addr().unwrap();
        send_from(&sip, Transport::Udp, Some(&source), to, options(1))
            .await
            .unwrap();
        let mut buffer = [0; 2048];
        let (_, from) = within("a datagram", peer.recv_from(&mut buffer))
            .await
            .unwrap();
        assert_eq!(from.port(), port, "the socket on the source's port");
    }
}

#[tokio::test]
async fn an_idle_connection_the_owner_still_needs_stays_open() {
    let config = SocketsConfig {
        idle_timeout: Duration::from_millis(300),
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut needed = TcpStream::connect(server).await.unwrap();
    let mut idle = TcpStream::connect(server).await.unwrap();
    let needed_from = needed.local_addr().unwrap();
    assert!(sip.keep_open_while(move |remote| remote == needed_from));
    assert!(!sip.keep_open_while(|_| true), "set once");
    assert!(
        closes(&mut idle).await,
        "an idle connection not needed closes"
    );
    // Three idle timeouts later, the needed one still carries messages both ways.
    tokio::time::sleep(Duration::from_millis(900)).await;
    needed.write_all(&options(1)).await.unwrap();
    let received = within("request", message(&mut sip)).await;
    assert_eq!(
        (received.remote, received.payload),
        (needed_from, options(1))
    );
    send(&sip, Transport::Tcp, needed_from, options(2))
        .await
        .unwrap();
    assert_eq!(
        read_exactly(&mut needed, options(2).len()).await,
        options(2)
    );
    settles_at(&sip, 1).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed() {
    let config = SocketsConfig {
        max_connections: 1,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut first = TcpStream::connect(server).await.unwrap();
    first.write_all(&options(1)).await.unwrap();
    within("first", message(&mut sip)).await;
    let mut second = TcpStream::connect(server).await.unwrap();
    assert!(closes(&mut second).await, "second connection kept");
    let refused = send(
        &sip,
        Transport::Tcp,
        "127.0.0.1:9".parse().unwrap(),
        options(2),
    )
    .await;
    assert!(
        matches!(refused, Err(SendError::TooManyConnections(1))),
        "{refused:?}"
    );
    assert_eq!(sip.connections(), 1);
}

#[tokio::test]
async fn a_message_trickling_in_is_cut_off_at_the_message_timeout() {
    // Each message's parts a fifth of the timeout apart, for longer than it in all: a loaded
    // machine may stall the test for most of the timeout without cutting a message off.
    let timeout = Duration::from_secs(1);
    let idle = Duration::from_secs(3);
    let config = SocketsConfig {
        idle_timeout: idle,
        message_timeout: timeout,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut steady = TcpStream::connect(server).await.unwrap();
    let steady_messages = 8;
    for n in 1..=steady_messages {
        let whole = options(n);
        let (head, body) = whole.split_at(whole.len() - 3);
        steady.write_all(head).await.unwrap();
        tokio::time::sleep(timeout / 5).await;
        steady.write_all(body).await.unwrap();
        let received = within("a message in two parts", message(&mut sip)).await;
        assert_eq!(received.payload, whole, "each message has its own deadline");
    }
    let mut trickling = TcpStream::connect(server).await.unwrap();
    let endless_head = [b'a'; 200];
    let gap = Duration::from_millis(20);
    let closed = trickle(&mut trickling, &endless_head, gap)
        .await
        .expect("closed before 4 s of bytes, each well within the idle timeout");
    assert!(
        closed >= timeout && closed < idle,
        "closed after {closed:?}"
    );
    settles_at(&sip, 1).await;
    let last = options(steady_messages + 1);
    steady.write_all(&last).await.unwrap();
    assert_eq!(
        within("the steady one", message(&mut sip)).await.payload,
        last
    );
}

/// A host's connections serving its requests are capped apart from those we open to it: a
/// request of ours still reaches a host whose own connections are at their cap.
#[tokio::test]
async fn one_address_gets_its_share_of_connections_and_another_still_gets_in() {
    // A peer that closes a connection whose request is unanswered holds its place for the
    // message timeout, while the answer may still be written.
    let config = SocketsConfig {
        max_connections_per_address: 2,
        message_timeout: Duration::from_millis(500),
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut first = connect_from("127.0.0.1:0", server).await;
    let mut second = connect_from("127.0.0.1:0", server).await;
    for (n, stream) in [(1, &mut first), (2, &mut second)] {
        stream.write_all(&options(n)).await.unwrap();
        assert_eq!(
            within("accepted", message(&mut sip)).await.payload,
            options(n)
        );
    }
    let mut third = connect_from("127.0.0.1:0", server).await;
    assert!(closes(&mut third).await, "a third from 127.0.0.1 kept");

    let mut other = connect_from("127.0.0.2:0", server).await;
    other.write_all(&options(3)).await.unwrap();
    let received = within("from 127.0.0.2", message(&mut sip)).await;
    assert_eq!(
        (received.remote, received.payload),
        (other.local_addr().unwrap(), options(3))
    );

    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    send(&sip, Transport::Tcp, peer.local_addr().unwrap(), options(4))
        .await
        .expect("connections opened from here are counted apart");
    let (mut opened, _) = within("connect", peer.accept()).await.unwrap();
    assert_eq!(
        read_exactly(&mut opened, options(4).len()).await,
        options(4)
    );

    drop(first);
    settles_at(&sip, 3).await;
    let mut again = connect_from("127.0.0.1:0", server).await;
    again.write_all(&options(5)).await.unwrap();
    assert_eq!(
        within("in the freed place", message(&mut sip))
            .await
            .payload,
        options(5)
    );
}

/// Where an in-dialog request goes is the peer's choice (its Contact or Record-Route): a host
/// naming a new port in each dialog gets its share of the connections we open, and those we
/// open together leave an eighth of the table for connections from peers.
#[tokio::test]
async fn a_host_cannot_have_us_open_every_connection() {
    let config = SocketsConfig {
        max_connections: 8,
        max_connections_per_address: 4,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut listeners = Vec::new();
    for host in ["127.0.0.1:0"; 5].into_iter().chain(["127.0.0.2:0"; 4]) {
        listeners.push(TcpListener::bind(host).await.unwrap());
    }
    let mut results = Vec::new();
    for (n, listener) in (1..).zip(&listeners) {
        let destination = listener.local_addr().unwrap();
        results.push(send(&sip, Transport::Tcp, destination, options(n)).await);
    }
    let ok = |range: std::ops::Range<usize>| results[range].iter().all(Result::is_ok);
    assert!(ok(0..4) && ok(5..8), "{results:?}");
    assert!(
        matches!(results[4], Err(SendError::TooManyFromPeer(_, 4))),
        "a fifth port of 127.0.0.1 is one too many for the host: {results:?}"
    );
    assert!(
        matches!(results[8], Err(SendError::TooManyConnections(7))),
        "seven of eight connections are ours at most: {results:?}"
    );
    assert!(
        results[4..]
            .iter()
            .flat_map(|r| r.as_ref().err())
            .all(SendError::unreaches_destination)
    );
    let again = send(
        &sip,
        Transport::Tcp,
        listeners[0].local_addr().unwrap(),
        options(9),
    )
    .await;
    assert!(
        again.is_ok(),
        "a host at its cap still gets ours on its connection: {again:?}"
    );
    assert_eq!(sip.connections(), 7);
    let mut phone = connect_from("127.0.0.3:0", server).await;
    phone.write_all(&options(10)).await.unwrap();
    let received = within("a connection from a peer", message(&mut sip)).await;
    assert_eq!(
        (received.remote, received.payload),
        (phone.local_addr().unwrap(), options(10))
    );
}

/// Sockets on 127.0.0.1 with room for 16 connections, 14 of them serving peers, and at most
/// `per_address` of those for one host.
fn sixteen_places(per_address: usize) -> SocketsConfig {
    SocketsConfig {
        max_connections: 16,
        max_connections_per_address: per_address,
        ..loopback(&["127.0.0.1:0"])
    }
}

/// `count` connections to `server` from `host` (port 0), each having carried a request and
/// its response, in turn.
async fn holding(
    sip: &mut SipSockets,
    server: SocketAddr,
    host: &str,
    count: u32,
) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for n in 0..count {
        let mut stream = connect_from(host, server).await;
        carries(sip, &mut stream, n).await;
        streams.push(stream);
    }
    streams
}

/// The connections of 127.0.0.3 and of 127.0.0.4 to `server`, four each: see [`holding`].
async fn two_others_holding_four(sip: &mut SipSockets, server: SocketAddr) -> [Vec<TcpStream>; 2] {
    [
        holding(sip, server, "127.0.0.3:0", 4).await,
        holding(sip, server, "127.0.0.4:0", 4).await,
    ]
}

/// Sockets with [`sixteen_places`], six for one host, and their TCP address, with every place
/// serving peers taken: by 127.0.0.2's six connections, returned in the order they came, and
/// by [`two_others_holding_four`].
async fn every_place_taken() -> (SipSockets, SocketAddr, Vec<TcpStream>, [Vec<TcpStream>; 2]) {
    let mut sip = sockets(sixteen_places(6)).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let biggest = holding(&mut sip, server, "127.0.0.2:0", 6).await;
    let others = two_others_holding_four(&mut sip, server).await;
    (sip, server, biggest, others)
}

/// A connection to `server` from a host holding none, 127.0.0.9, having carried request `n`
/// and its response.
async fn newcomer_carries(sip: &mut SipSockets, server: SocketAddr, n: u32) -> TcpStream {
    let mut newcomer = connect_from("127.0.0.9:0", server).await;
    carries(sip, &mut newcomer, n).await;
    newcomer
}

/// Writes a request on `stream`, checks that `sip` receives it from there, and answers it
/// on its connection: nothing is owed on it.
async fn carries(sip: &mut SipSockets, stream: &mut TcpStream, n: u32) {
    let request = requests(sip, stream, n).await;
    answer(sip, &request, n).await;
    assert_eq!(read_exactly(stream, ok(n).len()).await, ok(n));
}

/// Writes `options(n)` on `stream` and checks that `sip` receives it from there.
async fn requests(sip: &mut SipSockets, stream: &mut TcpStream, n: u32) -> Received {
    stream.write_all(&options(n)).await.unwrap();
    let received = message(sip).await;
    assert_eq!(
        (received.remote, &received.payload),
        (stream.local_addr().unwrap(), &options(n))
    );
    received
}

/// Sends `ok(n)` for `request` on its connection.
async fn answer(sip: &SipSockets, request: &Received, n: u32) {
    let response = Outgoing {
        transport: Transport::Tcp,
        destination: request.remote,
        connection: request.connection,
        source: None,
        reopen: None,
        payload: ok(n),
    };
    sip.send(response).await.unwrap();
}

/// Sends a keepalive ping (RFC 5626 §3.5.1) on `stream` and reads its pong.
async fn ping(stream: &mut TcpStream) {
    stream.write_all(b"\r\n\r\n").await.unwrap();
    assert_eq!(read_exactly(stream, 2).await, b"\r\n");
}

/// Hosts holding every place serving peers, on connections that carried a message and then
/// only keepalives, cannot lock another host out: its connection takes the place of the one
/// of the host holding the most that went longest without a message.
#[tokio::test]
async fn a_host_holding_few_takes_a_place_from_the_host_holding_the_most() {
    let (mut sip, server, mut biggest, _others) = every_place_taken().await;
    carries(&mut sip, &mut biggest[0], 100).await;
    for stream in &mut biggest {
        ping(stream).await;
    }
    let _newcomer = newcomer_carries(&mut sip, server, 200).await;
    assert!(
        closes(&mut biggest[1]).await,
        "the one longest without a message, pings aside, gives way"
    );
    settles_at(&sip, 14).await;
    biggest.remove(1);
    for (n, stream) in (300..).zip(&mut biggest) {
        carries(&mut sip, stream, n).await;
    }
}

/// A connection a call's dialog goes over is never the one to give way.
#[tokio::test]
async fn a_connection_the_owner_still_needs_is_not_evicted() {
    let (mut sip, server, mut biggest, _others) = every_place_taken().await;
    let needed = biggest[0].local_addr().unwrap();
    assert!(sip.keep_open_while(move |remote| remote == needed));
    let _newcomer = newcomer_carries(&mut sip, server, 100).await;
    assert!(
        closes(&mut biggest[1]).await,
        "the next longest without a message gives way"
    );
    settles_at(&sip, 14).await;
    carries(&mut sip, &mut biggest[0], 101).await;
}

/// An evicted connection still writes the response owed to the request read from it, and
/// closes only then: that response could go on no other connection, the place being taken.
#[tokio::test]
async fn an_evicted_connection_writes_the_responses_it_owes_before_closing() {
    let mut sip = sockets(sixteen_places(6)).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut owing = connect_from("127.0.0.2:0", server).await;
    let unanswered = requests(&mut sip, &mut owing, 1).await;
    let _biggest = holding(&mut sip, server, "127.0.0.2:0", 5).await;
    let _others = two_others_holding_four(&mut sip, server).await;
    let _newcomer = newcomer_carries(&mut sip, server, 100).await;
    let mut byte = [0; 1];
    let early = tokio::time::timeout(Duration::from_millis(300), owing.read(&mut byte)).await;
    assert!(early.is_err(), "closed with a response owed: {early:?}");
    assert_eq!(sip.connections(), 15, "14 places, and the evicted one");
    answer(&sip, &unanswered, 1).await;
    assert_eq!(read_exactly(&mut owing, ok(1).len()).await, ok(1));
    assert!(closes(&mut owing).await, "closed once it owes nothing");
    settles_at(&sip, 14).await;
}

/// A connection opened to carry a peer's responses reads little: what it writes keeps it
/// from being taken for the longest without a message.
#[tokio::test]
async fn a_connection_writing_responses_is_not_the_longest_without_a_message() {
    let mut sip = sockets(sixteen_places(6)).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let via = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let response = |n| Outgoing {
        transport: Transport::Tcp,
        destination: "127.0.0.2:9".parse().unwrap(),
        connection: None,
        source: None,
        reopen: Some(via.local_addr().unwrap()),
        payload: ok(n),
    };
    sip.send(response(1)).await.unwrap();
    let (mut reopened, _) = within("reopened", via.accept()).await.unwrap();
    assert_eq!(read_exactly(&mut reopened, ok(1).len()).await, ok(1));
    let mut biggest = holding(&mut sip, server, "127.0.0.2:0", 5).await;
    let _others = two_others_holding_four(&mut sip, server).await;
    sip.send(response(2)).await.unwrap();
    assert_eq!(read_exactly(&mut reopened, ok(2).len()).await, ok(2));
    let _newcomer = newcomer_carries(&mut sip, server, 100).await;
    assert!(
        closes(&mut biggest[0]).await,
        "the accepted one longest without a message gives way"
    );
    settles_at(&sip, 14).await;
    sip.send(response(3)).await.unwrap();
    assert_eq!(read_exactly(&mut reopened, ok(3).len()).await, ok(3));
}

/// A host holding as many as the biggest would hold more with another connection: it is
/// refused, and takes no place from the others; a host holding fewer still gets in.
#[tokio::test]
async fn a_host_holding_as_many_as_the_biggest_cannot_evict() {
    let mut sip = sockets(sixteen_places(8)).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut biggest = holding(&mut sip, server, "127.0.0.2:0", 7).await;
    let mut second = holding(&mut sip, server, "127.0.0.3:0", 6).await;
    let _small = holding(&mut sip, server, "127.0.0.4:0", 1).await;
    for host in ["127.0.0.2:0", "127.0.0.3:0"] {
        let mut refused = connect_from(host, server).await;
        assert!(closes(&mut refused).await, "from {host}: kept");
    }
    assert_eq!(sip.connections(), 14);
    for (n, stream) in (100..).zip(biggest.iter_mut().chain(&mut second)) {
        carries(&mut sip, stream, n).await;
    }
    let mut newcomer = connect_from("127.0.0.4:0", server).await;
    carries(&mut sip, &mut newcomer, 200).await;
}

#[tokio::test]
async fn a_framing_error_is_answered_reported_and_closes_the_connection() {
    let mut sip = sockets(loopback(&["127.0.0.1:0"])).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let mut client = TcpStream::connect(server).await.unwrap();
    let mut stream = options(1);
    stream.extend_from_slice(
        b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKx\r\n\
          Content-Length: many\r\n\r\n",
    );
    client.write_all(&stream).await.unwrap();
    let answer = String::from_utf8(read_to_close(&mut client).await).unwrap();
    assert!(
        answer.starts_with("SIP/2.0 400 Malformed Content-Length header\r\n"),
        "{answer}"
    );
    assert!(answer.contains("branch=z9hG4bKx"));
    // The message framed before the error is handed over as the connection ends, which may
    // be after its refusal is counted.
    let events = [
        within("an event", sip.recv()).await,
        within("another event", sip.recv()).await,
    ];
    let valid = |e: &SocketEvent| matches!(e, SocketEvent::Message(m) if m.payload == options(1));
    assert!(events.iter().any(valid), "{events:?}");
    assert!(events.iter().any(refused(1, 0)), "{events:?}");
    settles_at(&sip, 0).await;
}

/// Whether an event reports `bad_requests` 400s and `too_large` 513s written for messages
/// that could not be framed, and no request dropped unanswered.
fn refused(bad_requests: u64, too_large: u64) -> impl Fn(&SocketEvent) -> bool {
    move |event| {
        matches!(event, SocketEvent::FramingRefused {
                bad_requests: b,
                too_large: t,
                dropped_unroutable: 0,
                dropped_too_large: 0,
            } if (*b, *t) == (bad_requests, too_large))
    }
}

/// Framing refusals reported: 400s and 513s written, requests dropped unanswered within
/// the size limit and over it.
type Refused = (u64, u64, u64, u64);

/// The framing refusals `sip` reports, summed, from now until `enough` says they are.
async fn refusals_until(sip: &mut SipSockets, enough: impl Fn(Refused) -> bool) -> Refused {
    let mut sum = (0, 0, 0, 0);
    within("the refusals", async {
        while !enough(sum) {
            if let SocketEvent::FramingRefused {
                bad_requests,
                too_large,
                dropped_unroutable,
                dropped_too_large,
            } = sip.recv().await
            {
                sum.0 += bad_requests;
                sum.1 += too_large;
                sum.2 += dropped_unroutable;
                sum.3 += dropped_too_large;
            }
        }
    })
    .await;
    sum
}

/// What `client` reads until its connection closes.
async fn read_to_close(client: &mut TcpStream) -> Vec<u8> {
    let mut read = Vec::new();
    within("close", client.read_to_end(&mut read))
        .await
        .unwrap();
    read
}

/// Sends `message` on a new connection to `server`; returns what is read until it closes.
async fn framing_refused(server: SocketAddr, message: &str) -> String {
    let mut client = TcpStream::connect(server).await.unwrap();
    client.write_all(message.as_bytes()).await.unwrap();
    String::from_utf8(read_to_close(&mut client).await).unwrap()
}

#[tokio::test]
async fn framing_refusals_are_reported_as_400s_and_513s_and_an_ack_not_at_all() {
    let config = SocketsConfig {
        max_message_bytes: 1000,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let head = |method: &str| {
        format!(
            "{method} sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKr\r\n\
             CSeq: 1 {method}\r\n"
        )
    };
    // RFC 3261 §17.1.1.3: an ACK gets no response; its connection closes all the same.
    let ack = framing_refused(server, &format!("{}\r\n", head("ACK"))).await;
    assert_eq!(ack, "", "an ACK is not answered");
    let missing = framing_refused(server, &format!("{}\r\n", head("OPTIONS"))).await;
    assert!(
        missing.starts_with("SIP/2.0 400 Missing Content-Length header\r\n"),
        "{missing}"
    );
    let large = format!("{}Content-Length: 1000\r\n\r\n", head("OPTIONS"));
    let large = framing_refused(server, &large).await;
    assert!(
        large.starts_with("SIP/2.0 513 Message Too Large\r\n"),
        "{large}"
    );
    // The ACK's connection closed before the others were written to: any count of it is
    // taken with theirs or before.
    let counted = refusals_until(&mut sip, |(b, t, _, _)| b > 0 && t > 0).await;
    assert_eq!(counted, (1, 1, 0, 0));
}

#[tokio::test]
async fn requests_no_response_can_be_sent_to_are_closed_unanswered_and_reported_dropped() {
    let config = SocketsConfig {
        max_message_bytes: 1000,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let no_via = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(
        framing_refused(server, no_via).await,
        "",
        "no Via to answer to"
    );
    // RFC 3261 §8.2.6.2: a response would copy the From holding a bare CR.
    let smuggling = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
                     Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKs\r\n\
                     From: <sip:b@127.0.0.1>;tag=1\rX-Evil: 1\r\nContent-Length: 1000\r\n\r\n";
    assert_eq!(
        framing_refused(server, smuggling).await,
        "",
        "too large, no answer"
    );
    let counted = refusals_until(&mut sip, |(_, _, u, l)| u > 0 && l > 0).await;
    assert_eq!(counted, (0, 0, 1, 1), "dropped as such datagrams are");
}

#[tokio::test]
async fn a_head_over_the_limit_is_answered_513_once_whole_or_else_counted_dropped() {
    let config = SocketsConfig {
        max_message_bytes: 1000,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    // Sent at once, the whole head arrives with its empty line.
    let long_head = |start: &str| format!("{start}{}\r\n", "Subject: hello\r\n".repeat(100));
    let answerable = long_head(
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKh\r\n\
         CSeq: 1 OPTIONS\r\n",
    );
    let answer = framing_refused(server, &answerable).await;
    assert!(
        answer.starts_with("SIP/2.0 513 Message Too Large\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKh"));
    assert_eq!(
        refusals_until(&mut sip, |(_, t, _, _)| t > 0).await,
        (0, 1, 0, 0)
    );
    let no_via = long_head("OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCSeq: 1 OPTIONS\r\n");
    assert_eq!(
        framing_refused(server, &no_via).await,
        "",
        "no Via to answer to"
    );
    assert_eq!(
        refusals_until(&mut sip, |(_, _, _, l)| l > 0).await,
        (0, 0, 0, 1)
    );
    // Cut short, no response could copy what it must.
    let cut = answerable.trim_end_matches("\r\n");
    assert_eq!(framing_refused(server, cut).await, "", "a head cut short");
    assert_eq!(
        refusals_until(&mut sip, |(_, _, _, l)| l > 0).await,
        (0, 0, 0, 1)
    );
}

#[tokio::test]
async fn acks_without_a_via_and_responses_over_the_limit_are_counted_dropped_as_datagrams_are() {
    let config = SocketsConfig {
        max_message_bytes: 1000,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let server = addr_of(&sip, Transport::Tcp, false);
    let ack_without_via = "ACK sip:a@127.0.0.1 SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n";
    assert_eq!(framing_refused(server, ack_without_via).await, "");
    assert_eq!(
        refusals_until(&mut sip, |(_, _, u, _)| u > 0).await,
        (0, 0, 1, 0)
    );
    let large_response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKr\r\n\
                          CSeq: 1 OPTIONS\r\nContent-Length: 1000\r\n\r\n";
    assert_eq!(framing_refused(server, large_response).await, "");
    assert_eq!(
        refusals_until(&mut sip, |(_, _, _, l)| l > 0).await,
        (0, 0, 0, 1)
    );
}

#[tokio::test]
async fn a_full_write_queue_refuses_more() {
    let config = SocketsConfig {
        max_write_queue: 1,
        ..loopback(&["127.0.0.1:0"])
    };
    let sip = sockets(config).await;
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let send = |n| Outgoing {
        transport: Transport::Tcp,
        destination: peer.local_addr().unwrap(),
        connection: None,
        source: None,
        reopen: None,
        payload: options(n),
    };
    // The test runtime has one thread: the connection's task cannot take the first message
    // off the queue before the second send.
    sip.send(send(1)).await.unwrap();
    let full = sip.send(send(2)).await;
    assert!(matches!(full, Err(SendError::QueueFull)), "{full:?}");
    let (mut stream, _) = within("connect", peer.accept()).await.unwrap();
    assert_eq!(
        read_exactly(&mut stream, options(1).len()).await,
        options(1)
    );
}

#[tokio::test]
async fn a_write_queue_of_0_still_carries_messages_both_ways() {
    let config = SocketsConfig {
        max_write_queue: 0,
        ..loopback(&["127.0.0.1:0"])
    };
    let mut sip = sockets(config).await;
    let listening = addr_of(&sip, Transport::Tcp, false);
    // A connection accepted: a request in, its response out on it.
    let mut client = TcpStream::connect(listening).await.unwrap();
    client.write_all(&options(1)).await.unwrap();
    let request = message(&mut sip).await;
    assert_eq!(request.payload, options(1));
    let response = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
    sip.send(Outgoing {
        transport: Transport::Tcp,
        destination: request.remote,
        connection: request.connection,
        source: None,
        reopen: None,
        payload: response.clone(),
    })
    .await
    .expect("queued on the accepted connection");
    assert_eq!(read_exactly(&mut client, response.len()).await, response);
    // A connection opened from here.
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    sip.send(Outgoing {
        transport: Transport::Tcp,
        destination: peer.local_addr().unwrap(),
        connection: None,
        source: None,
        reopen: None,
        payload: options(2),
    })
    .await
    .expect("queued on a new connection");
    let (mut stream, _) = within("connect", peer.accept()).await.unwrap();
    assert_eq!(
        read_exactly(&mut stream, options(2).len()).await,
        options(2)
    );
}

#[tokio::test]
async fn a_peer_refusing_the_connection_is_reported_unreachable() {
    let mut sip = sockets(loopback(&["127.0.0.1:0"])).await;
    // A port bound but not listening: connections are refused, and no other
    // test can take the port meanwhile, as it could once a listener is dropped.
    let refusing = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    refusing.bind(&loopback.into()).expect("bound on loopback");
    let closed = refusing.local_addr().unwrap().as_socket().unwrap();
    let request = Outgoing {
        transport: Transport::Tcp,
        destination: closed,
        connection: None,
        source: None,
        reopen: None,
        payload: options(1),
    };
    sip.send(request)
        .await
        .expect("queued on the new connection");
    match within("the refusal", sip.recv()).await {
        SocketEvent::Unreachable { transport, remote } => {
            assert_eq!((transport, remote), (Transport::Tcp, closed));
        }
        other => panic!("expected {closed} reported unreachable, got {other:?}"),
    }
}
