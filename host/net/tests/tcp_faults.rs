//! TCP connections when things go wrong, on loopback: the kernel probing idle connections for
//! a dead peer, a reset with messages for the peer lost (reported unreachable) or not, a
//! burst of requests the owner takes slowly while their responses are written or for longer
//! than the connection's timeouts, connections that end while the owner is behind (counted
//! until what they read is taken or dropped), and a peer that closes its side before its
//! responses come. Every port is picked by the kernel, every
//! wait is bounded.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use switchyard_net::{Outgoing, SipSockets, SocketEvent, SocketsConfig, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use common::{message, read_exactly, within};

/// Sockets on 127.0.0.1 with `config`'s bounds, and their TCP listening address.
async fn sockets(config: SocketsConfig) -> (SipSockets, SocketAddr) {
    let config = SocketsConfig {
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        ..config
    };
    let sip = SipSockets::bind(config).await.expect("bind on loopback");
    let tcp = sip
        .local_addrs()
        .iter()
        .find(|(transport, _)| *transport == Transport::Tcp)
        .map(|(_, addr)| *addr)
        .expect("a TCP listener");
    (sip, tcp)
}

fn options(n: u32) -> Vec<u8> {
    format!(
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{n}\r\n\
         From: <sip:b@127.0.0.1>;tag=f\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c{n}\r\n\
         CSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn ok(n: u32) -> Vec<u8> {
    format!("SIP/2.0 200 OK\r\nCSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

/// A TCP message to `destination` on no connection in particular; `reopen` as a response's.
fn tcp_to(destination: SocketAddr, reopen: Option<SocketAddr>, payload: Vec<u8>) -> Outgoing {
    Outgoing {
        transport: Transport::Tcp,
        destination,
        connection: None,
        source: None,
        reopen,
        payload,
    }
}

/// A loopback address on a port nothing listens on (bound, so no other test takes it).
fn nobody_listening() -> (socket2::Socket, SocketAddr) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&loopback.into()).expect("bound on loopback");
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    (socket, addr)
}

/// `addr` as `/proc/net/tcp` writes it: the IPv4 address as a little-endian hex word.
fn proc_net_tcp(addr: SocketAddr) -> String {
    let IpAddr::V4(ip) = addr.ip() else {
        panic!("IPv4 only");
    };
    format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(ip.octets()),
        addr.port()
    )
}

/// The fields of the `/proc/net/tcp` line of the TCP socket from `local` to `remote`, if it
/// is open.
fn proc_net_tcp_fields(local: SocketAddr, remote: SocketAddr) -> Option<Vec<String>> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let (local, remote) = (proc_net_tcp(local), proc_net_tcp(remote));
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1..3) == Some(&[local.as_str(), remote.as_str()][..]))
            .then(|| fields.into_iter().map(String::from).collect())
    })
}

/// The kernel timer pending on the TCP socket from `local` to `remote` and the seconds until
/// it fires, as `/proc/net/tcp` shows them (timer 2: keepalive, when nothing is in flight).
fn kernel_timer(local: SocketAddr, remote: SocketAddr) -> Option<(u8, f64)> {
    let fields = proc_net_tcp_fields(local, remote)?;
    let (timer, when) = fields.get(5)?.split_once(':')?;
    let ticks = u64::from_str_radix(when, 16).ok()?;
    // Clock ticks of USER_HZ, 100 a second on Linux.
    Some((timer.parse().ok()?, ticks as f64 / 100.0))
}

/// The bytes the kernel holds for the TCP socket from `local` to `remote`, as
/// `/proc/net/tcp` shows them: those written and not yet acknowledged by the peer, and those
/// received and not yet read.
fn kernel_queues(local: SocketAddr, remote: SocketAddr) -> Option<(usize, usize)> {
    let fields = proc_net_tcp_fields(local, remote)?;
    let (unacknowledged, unread) = fields.get(4)?.split_once(':')?;
    let bytes = |hex| usize::from_str_radix(hex, 16).ok();
    Some((bytes(unacknowledged)?, bytes(unread)?))
}

/// Waits until the socket from `local` to `remote` idles with its keepalive timer running;
/// the seconds until it fires.
async fn keepalive_armed(local: SocketAddr, remote: SocketAddr) -> f64 {
    within("a keepalive timer", async {
        loop {
            match kernel_timer(local, remote) {
                Some((2, seconds)) => return seconds,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
}

/// How many messages the owner's receive queue holds: a connection whose messages overflow it
/// holds the rest, and reads no more.
const OWNER_QUEUE: u32 = 1024;

/// The bytes of `options(1)` to `options(count)`.
fn requests_length(count: u32) -> usize {
    (1..=count).map(|n| options(n).len()).sum()
}

/// Waits until the connection accepted from `client` has read at least the first `count` of
/// the requests `client` wrote to it, `written` bytes in all: the bytes that neither end's
/// kernel holds any more. A byte received and not yet acknowledged is held by both, so what
/// this counts read never exceeds what was.
async fn has_read(client: &TcpStream, written: usize, count: u32) {
    let (from, to) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
    let wanted = requests_length(count);
    within("the connection's reads", async {
        loop {
            let unacknowledged = kernel_queues(from, to).map(|(unacknowledged, _)| unacknowledged);
            let unread = kernel_queues(to, from).map(|(_, unread)| unread);
            if let (Some(unacknowledged), Some(unread)) = (unacknowledged, unread)
                && written.saturating_sub(unacknowledged + unread) >= wanted
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_kernel_probes_idle_connections_accepted_and_opened() {
    let (mut sip, listening) = sockets(SocketsConfig::default()).await;
    let mut client = TcpStream::connect(listening).await.unwrap();
    client.write_all(&options(1)).await.unwrap();
    message(&mut sip).await;
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    sip.send(tcp_to(peer_addr, None, options(2))).await.unwrap();
    let (mut opened, from) = within("a connection", peer.accept()).await.unwrap();
    read_exactly(&mut opened, options(2).len()).await;

    let accepted = keepalive_armed(listening, client.local_addr().unwrap()).await;
    let ours = keepalive_armed(from, peer_addr).await;
    for seconds in [accepted, ours] {
        assert!(
            (20.0..=30.0).contains(&seconds),
            "first probe in {seconds} s"
        );
    }
    assert_eq!(
        kernel_timer(client.local_addr().unwrap(), listening),
        Some((0, 0.0)),
        "the test's own end, without keepalives, has no timer"
    );
}

/// A peer listening on loopback that takes one message of `sip`'s on the connection `sip`
/// opens to it, then resets that connection (an abortive close: its kernel answers with a
/// reset); the peer's listener and address.
async fn reset_after_one_message(sip: &mut SipSockets) -> (TcpListener, SocketAddr) {
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    sip.send(tcp_to(peer_addr, None, options(1))).await.unwrap();
    let (mut stream, _) = within("a connection", peer.accept()).await.unwrap();
    read_exactly(&mut stream, options(1).len()).await;
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
    (peer, peer_addr)
}

#[tokio::test]
async fn a_reset_that_loses_a_message_reports_the_peer_unreachable() {
    let (mut sip, _) = sockets(SocketsConfig::default()).await;
    let (peer, peer_addr) = reset_after_one_message(&mut sip).await;
    // The test's runtime has one thread: the connection's task does not run while it sleeps,
    // so the reset arrives before the next message is queued on the connection.
    std::thread::sleep(Duration::from_millis(100));
    sip.send(tcp_to(peer_addr, None, options(2)))
        .await
        .expect("queued on the connection still open");
    match within("the report", sip.recv()).await {
        SocketEvent::Unreachable { transport, remote } => {
            assert_eq!((transport, remote), (Transport::Tcp, peer_addr));
        }
        other => panic!("expected {peer_addr} reported unreachable, got {other:?}"),
    }
    assert_eq!(sip.connections(), 0);
    sip.send(tcp_to(peer_addr, None, options(3))).await.unwrap();
    let (mut stream, _) = within("a new connection", peer.accept()).await.unwrap();
    assert_eq!(
        read_exactly(&mut stream, options(3).len()).await,
        options(3),
        "the next message goes on a new connection"
    );
}

#[tokio::test]
async fn a_reset_after_everything_was_written_is_not_reported() {
    let (mut sip, _) = sockets(SocketsConfig::default()).await;
    let (_peer, _) = reset_after_one_message(&mut sip).await;
    // The request written may still be answered (on a new connection, RFC 3261 §18.2.2): its
    // transaction's own timer decides.
    let event = tokio::time::timeout(Duration::from_millis(300), sip.recv()).await;
    assert!(event.is_err(), "{event:?}");
    assert_eq!(sip.connections(), 0);
}

#[tokio::test]
async fn responses_are_written_while_the_owner_is_slow_to_take_a_burst_of_requests() {
    let (mut sip, listening) = sockets(SocketsConfig::default()).await;
    let mut client = TcpStream::connect(listening).await.unwrap();
    // More than the owner's receive queue holds: the connection waits to hand the rest over.
    let burst = 1100;
    let requests: Vec<u8> = (1..=burst).flat_map(options).collect();
    within("the burst", client.write_all(&requests))
        .await
        .unwrap();
    has_read(&client, requests.len(), OWNER_QUEUE + 1).await;
    // Three write queues' worth of responses, sent one at a time as the owner would.
    let client_addr = client.local_addr().unwrap();
    let responses = 3 * SocketsConfig::DEFAULT_MAX_WRITE_QUEUE as u32;
    for n in 1..=responses {
        sip.send(tcp_to(client_addr, None, ok(n)))
            .await
            .unwrap_or_else(|e| panic!("response {n}: {e}"));
        tokio::task::yield_now().await;
    }
    let expected: Vec<u8> = (1..=responses).flat_map(ok).collect();
    assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
    for n in 1..=burst {
        assert_eq!(message(&mut sip).await.payload, options(n), "request {n}");
    }
}

#[tokio::test]
async fn requests_waiting_for_a_slow_owner_outlast_the_timeouts_and_all_arrive() {
    let config = SocketsConfig {
        message_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        ..SocketsConfig::default()
    };
    let (mut sip, listening) = sockets(config).await;
    let mut client = TcpStream::connect(listening).await.unwrap();
    // More than the owner's receive queue holds, then half of one more.
    let complete = 1040;
    let last = options(complete + 1);
    let (first_half, second_half) = last.split_at(last.len() / 2);
    let mut requests: Vec<u8> = (1..=complete).flat_map(options).collect();
    requests.extend_from_slice(first_half);
    within("the requests", client.write_all(&requests))
        .await
        .unwrap();
    // The owner takes nothing for longer than both timeouts: the connection waits for it, and
    // the peer, which cannot be read meanwhile, is not held to them.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for n in 1..=complete {
        assert_eq!(message(&mut sip).await.payload, options(n), "request {n}");
    }
    assert_eq!(sip.connections(), 1, "still open");
    client.write_all(second_half).await.unwrap();
    assert_eq!(
        message(&mut sip).await.payload,
        last,
        "read on from where it paused"
    );
}

#[tokio::test]
async fn requests_read_before_the_connection_broke_reach_the_owner_all_the_same() {
    let (mut sip, listening) = sockets(SocketsConfig::default()).await;
    let mut client = TcpStream::connect(listening).await.unwrap();
    let client_addr = client.local_addr().unwrap();
    // More than the owner's receive queue holds: the connection keeps the rest.
    let requests: Vec<u8> = (1..=1040).flat_map(options).collect();
    within("the requests", client.write_all(&requests))
        .await
        .unwrap();
    // The owner's queue full, and a request more read: the connection holds that one.
    has_read(&client, requests.len(), OWNER_QUEUE + 1).await;
    socket2::SockRef::from(&client)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(client);
    // The response cannot be written: the connection ends, broken.
    sip.send(tcp_to(client_addr, None, ok(1))).await.unwrap();
    let mut arrived = 0;
    let mut reported = false;
    for event in every_event_until_no_connection_is_left(&mut sip).await {
        match event {
            SocketEvent::Message(request) => {
                arrived += 1;
                assert_eq!(request.payload, options(arrived), "in order");
            }
            SocketEvent::Unreachable { remote, .. } => reported = remote == client_addr,
            other => panic!("{other:?}"),
        }
    }
    assert!(reported, "the response was lost");
    assert!(
        arrived > OWNER_QUEUE,
        "those the connection held as well as those queued: {arrived}"
    );
}

/// The events of `sip` until its last connection has ended and handed over what it read, and
/// nothing more comes.
async fn every_event_until_no_connection_is_left(sip: &mut SipSockets) -> Vec<SocketEvent> {
    let mut events = Vec::new();
    within("the last connection's end", async {
        loop {
            // A connection is counted until it has handed everything over: once none is,
            // whatever comes is already queued.
            let ended = sip.connections() == 0;
            match tokio::time::timeout(Duration::from_millis(50), sip.recv()).await {
                Ok(event) => events.push(event),
                Err(_) if ended => return,
                Err(_) => {}
            }
        }
    })
    .await;
    events
}

/// Connects to `listening`, sends a request and then one whose framing fails, and reads to
/// the end: whether a connection's task served it (answered the second `400`).
async fn request_then_garbage(listening: SocketAddr, n: u32) -> bool {
    let mut peer = TcpStream::connect(listening).await.unwrap();
    let mut bytes = options(n);
    let garbage = String::from_utf8(options(n + 1))
        .unwrap()
        .replace("Content-Length: 0", "Content-Length: x");
    bytes.extend_from_slice(garbage.as_bytes());
    // A connection refused is closed at once: the write or the read may fail.
    let _ = peer.write_all(&bytes).await;
    let mut answer = Vec::new();
    let _ = within("the connection's end", peer.read_to_end(&mut answer)).await;
    answer.starts_with(b"SIP/2.0 400 ")
}

#[tokio::test]
async fn connections_ended_while_the_owner_is_behind_count_until_their_requests_are_dropped() {
    // Every connection below is made well within the message timeout of the first that ends:
    // none of their places is freed meanwhile.
    let config = SocketsConfig {
        max_connections: 8,
        message_timeout: Duration::from_secs(3),
        ..SocketsConfig::default()
    };
    let (sip, listening) = sockets(config).await;
    // The owner takes nothing, and one connection fills its queue.
    let mut blocker = TcpStream::connect(listening).await.unwrap();
    let requests: Vec<u8> = (1..=1100).flat_map(options).collect();
    within("the requests", blocker.write_all(&requests))
        .await
        .unwrap();
    has_read(&blocker, requests.len(), OWNER_QUEUE + 1).await;
    let mut served = 0;
    for n in 0..20 {
        if request_then_garbage(listening, 2000 + 2 * n).await {
            served += 1;
        }
    }
    // Seven eighths of 8 serve peers: the blocker and six that wait to hand their request over.
    assert_eq!(served, 6, "the others were refused");
    assert_eq!(sip.connections(), 7);
    // The owner is still behind after the message timeout: their requests are dropped, and
    // the blocker alone is left.
    within("the ended connections' requests dropped", async {
        while sip.connections() != 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(request_then_garbage(listening, 3000).await, "a place again");
}

#[tokio::test]
async fn a_peer_that_closed_its_side_still_gets_its_responses_on_its_connection() {
    let (mut sip, listening) = sockets(SocketsConfig::default()).await;
    let (_nobody, via_port) = nobody_listening();
    let mut client = TcpStream::connect(listening).await.unwrap();
    client.write_all(&options(1)).await.unwrap();
    client.write_all(&options(2)).await.unwrap();
    client.shutdown().await.unwrap();
    let mut requests = vec![message(&mut sip).await, message(&mut sip).await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        sip.connections(),
        1,
        "kept while its requests are unanswered"
    );
    let mut response = Vec::new();
    for (n, request) in (1..).zip(requests.drain(..)) {
        // As the call core sends one: to the source, reopening to the Via's port if need be.
        let reply = tcp_to(request.remote, Some(via_port), ok(n));
        sip.send(reply).await.unwrap();
        response.extend_from_slice(&ok(n));
    }
    let mut received = Vec::new();
    within(
        "the responses, then the close",
        client.read_to_end(&mut received),
    )
    .await
    .unwrap();
    assert_eq!(received, response, "closed once both were answered");
    assert_eq!(sip.connections(), 0);
}

#[tokio::test]
async fn a_peer_that_closed_its_side_is_left_at_the_message_timeout_if_unanswered() {
    let timeout = Duration::from_millis(400);
    let config = SocketsConfig {
        message_timeout: timeout,
        ..SocketsConfig::default()
    };
    let (mut sip, listening) = sockets(config).await;
    let mut client = TcpStream::connect(listening).await.unwrap();
    client.write_all(&options(1)).await.unwrap();
    client.shutdown().await.unwrap();
    message(&mut sip).await;
    let start = Instant::now();
    let mut received = Vec::new();
    within("the close", client.read_to_end(&mut received))
        .await
        .unwrap();
    assert!(received.is_empty());
    let closed = start.elapsed();
    assert!(closed >= timeout / 2, "closed after {closed:?}");
    assert_eq!(sip.connections(), 0);
}
