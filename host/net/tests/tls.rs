//! SIP over TLS on loopback: what a TLS connection carries is received as TLS and answered on
//! it, requests to its peer go on it, a peer whose connection broke with a request unwritten
//! is reported unreachable over TLS, a peer that closes its side without close_notify still
//! gets its responses, a handshake that never comes holds its place no longer than the
//! message timeout, a connection handshaking holds a place as any other, and one evicted
//! while it handshakes closes at once. The certificate is made for each test; every port is
//! picked by the kernel, every wait is bounded.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use switchyard_net::{Outgoing, SendError, SipSockets, SocketEvent, SocketsConfig, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig, crypto};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use common::{WAIT, message, read_exactly, within};

/// A self-signed certificate for `localhost`: the server's acceptor, and a connector that
/// trusts that certificate alone.
fn acceptor_and_connector() -> (TlsAcceptor, TlsConnector) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = CertificateDer::from(made.cert.der().to_vec());
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

/// Sockets on loopback with `config`'s bounds, and a TLS listener; its address.
async fn sockets_with_tls(
    config: SocketsConfig,
    acceptor: &TlsAcceptor,
) -> (SipSockets, SocketAddr) {
    let mut sip = SipSockets::bind(config).await.expect("bind on loopback");
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    sip.listen_tls(&[loopback], acceptor)
        .expect("a TLS listener");
    let tls = sip
        .local_addrs()
        .iter()
        .find(|(transport, _)| *transport == Transport::Tls)
        .map(|(_, addr)| *addr)
        .expect("the TLS listener is listed");
    (sip, tls)
}

fn loopback_config() -> SocketsConfig {
    SocketsConfig::on(vec!["127.0.0.1:0".parse().unwrap()])
}

/// A TLS client connected to `server`, its handshake done.
async fn connect(connector: &TlsConnector, server: SocketAddr) -> TlsStream<TcpStream> {
    let stream = TcpStream::connect(server).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    within("the handshake", connector.connect(name, stream))
        .await
        .expect("the handshake")
}

fn options() -> Vec<u8> {
    b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\n\
      From: <sip:b@127.0.0.1>;tag=f\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c1\r\n\
      CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        .to_vec()
}

/// `payload` over TLS to `destination`, on `connection` if given.
fn over_tls(
    destination: SocketAddr,
    connection: Option<switchyard_net::ConnectionId>,
    payload: &[u8],
) -> Outgoing {
    Outgoing {
        transport: Transport::Tls,
        destination,
        connection,
        source: None,
        reopen: None,
        payload: payload.to_vec(),
    }
}

#[tokio::test]
async fn a_message_over_tls_is_received_as_tls_and_answered_and_followed_on_its_connection() {
    let (acceptor, connector) = acceptor_and_connector();
    let (mut sip, tls) = sockets_with_tls(loopback_config(), &acceptor).await;
    let mut client = connect(&connector, tls).await;
    let client_addr = client.get_ref().0.local_addr().unwrap();
    client.write_all(&options()).await.unwrap();
    let received = message(&mut sip).await;
    assert_eq!(received.transport, Transport::Tls);
    assert_eq!((received.local, received.remote), (tls, client_addr));
    assert_eq!(received.payload, options());

    let ok = b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let answer = over_tls(client_addr, received.connection, ok);
    sip.send(answer).await.unwrap();
    assert_eq!(read_exactly(&mut client, ok.len()).await, ok);
    // A request of ours to the peer, as a BYE in its dialog: on its connection.
    let bye = b"BYE sip:b@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    sip.send(over_tls(client_addr, None, bye)).await.unwrap();
    assert_eq!(read_exactly(&mut client, bye.len()).await, bye);
    // RFC 5626 §3.5.1 keepalives are answered as over TCP.
    client.write_all(b"\r\n\r\n").await.unwrap();
    assert_eq!(read_exactly(&mut client, 2).await, b"\r\n");

    let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let error = sip.send(over_tls(elsewhere, None, bye)).await.unwrap_err();
    assert!(
        matches!(error, SendError::NoTlsConnection(to) if to == elsewhere),
        "none is opened from here: {error:?}"
    );
    assert!(error.unreaches_destination());
    assert_eq!(sip.connections(), 1);
}

#[tokio::test]
async fn a_tls_connection_broken_with_a_message_unwritten_reports_its_peer_unreachable_over_tls() {
    let (acceptor, connector) = acceptor_and_connector();
    let (mut sip, tls) = sockets_with_tls(loopback_config(), &acceptor).await;
    let mut client = connect(&connector, tls).await;
    let client_addr = client.get_ref().0.local_addr().unwrap();
    client.write_all(&options()).await.unwrap();
    // Read: the server's side of the handshake is done and the connection served.
    message(&mut sip).await;
    socket2::SockRef::from(client.get_ref().0)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(client);
    // The test's runtime has one thread: the connection's task does not run while it sleeps,
    // so the reset arrives before the request is queued on the connection.
    std::thread::sleep(Duration::from_millis(100));
    let bye = b"BYE sip:b@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    sip.send(over_tls(client_addr, None, bye))
        .await
        .expect("queued on the connection still open");
    match within("the report", sip.recv()).await {
        SocketEvent::Unreachable { transport, remote } => {
            assert_eq!((transport, remote), (Transport::Tls, client_addr));
        }
        other => panic!("expected {client_addr} reported unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_handshake_that_never_comes_is_closed_at_the_message_timeout() {
    let timeout = Duration::from_millis(600);
    let config = SocketsConfig {
        message_timeout: timeout,
        ..loopback_config()
    };
    let (acceptor, _) = acceptor_and_connector();
    let (sip, tls) = sockets_with_tls(config, &acceptor).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(tls).await.unwrap();
    // The head of a ClientHello, and nothing more.
    silent.write_all(&[22, 3, 1, 0x02, 0x00, 1]).await.unwrap();
    let mut byte = [0; 1];
    let read = within("the close", silent.read(&mut byte)).await;
    let took = started.elapsed();
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "closed, not answered: {read:?}"
    );
    assert!(took >= timeout, "closed after {took:?}, before the timeout");
    assert!(took < timeout + WAIT / 2, "closed after {took:?}");
    within("its place given up", async {
        while sip.connections() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_connection_handshaking_holds_its_place_among_its_hosts() {
    let config = SocketsConfig {
        max_connections_per_address: 1,
        ..loopback_config()
    };
    let (acceptor, connector) = acceptor_and_connector();
    let (sip, tls) = sockets_with_tls(config, &acceptor).await;
    let _handshaking = TcpStream::connect(tls).await.unwrap();
    within("the first one counted", async {
        while sip.connections() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let second = TcpStream::connect(tls).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let refused = within("the second one", connector.connect(name, second)).await;
    assert!(
        refused.is_err(),
        "closed at once: its host holds its one place"
    );
    assert_eq!(sip.connections(), 1);
}

/// A TCP connection to `server` from `source` (an address of the loopback network, port 0).
async fn connect_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(source.parse().unwrap()).unwrap();
    within("connect", socket.connect(server)).await.unwrap()
}

/// Waits until `sip` holds `count` connections, within [`WAIT`].
async fn settles_at(sip: &SipSockets, count: usize) {
    within("the connection count", async {
        while sip.connections() != count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_peer_that_closed_its_side_without_close_notify_still_gets_its_response() {
    let (acceptor, connector) = acceptor_and_connector();
    let (mut sip, tls) = sockets_with_tls(loopback_config(), &acceptor).await;
    let mut client = connect(&connector, tls).await;
    client.write_all(&options()).await.unwrap();
    // TCP's FIN, with no TLS close_notify before it.
    client.get_mut().0.shutdown().await.unwrap();
    let request = message(&mut sip).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sip.connections(), 1, "kept while its request is unanswered");
    let ok = b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    sip.send(over_tls(request.remote, request.connection, ok))
        .await
        .expect("its connection still takes it");
    let mut received = Vec::new();
    within(
        "the response, then the close",
        client.read_to_end(&mut received),
    )
    .await
    .unwrap();
    assert_eq!(received, ok);
    settles_at(&sip, 0).await;
}

#[tokio::test]
async fn a_connection_evicted_while_handshaking_closes_at_once_freeing_its_place() {
    // 14 of the 16 places serve peers; 2 evicted connections may be closing at once.
    let config = SocketsConfig {
        max_connections: 16,
        max_connections_per_address: 14,
        ..loopback_config()
    };
    let (acceptor, connector) = acceptor_and_connector();
    let (mut sip, tls) = sockets_with_tls(config, &acceptor).await;
    let mut silent = Vec::new();
    for _ in 0..14 {
        silent.push(connect_from("127.0.0.2:0", tls).await);
    }
    settles_at(&sip, 14).await;
    // More newcomers than may be closing at once, each kept open: each gets in only if the
    // handshaking connection it evicted is gone, not left to its handshake's deadline.
    let mut newcomers = Vec::new();
    for host in ["127.0.0.3:0", "127.0.0.4:0", "127.0.0.5:0"] {
        let stream = connect_from(host, tls).await;
        let name = ServerName::try_from("localhost").unwrap();
        let mut newcomer = within("the handshake", connector.connect(name, stream))
            .await
            .unwrap_or_else(|e| panic!("the newcomer from {host} refused: {e}"));
        newcomer.write_all(&options()).await.unwrap();
        message(&mut sip).await;
        settles_at(&sip, 14).await;
        newcomers.push(newcomer);
    }
    let mut closed = 0;
    for stream in &mut silent {
        let mut byte = [0; 1];
        let read = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut byte)).await;
        if matches!(read, Ok(Ok(0) | Err(_))) {
            closed += 1;
        }
    }
    assert_eq!(closed, 3, "one evicted for each newcomer");
}
