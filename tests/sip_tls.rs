//! SIP over TLS against the real binary on loopback, with a certificate made for each test
//! and a client that trusts it alone: an OPTIONS is answered over TLS, a call into a room is
//! answered with a Contact naming TLS and ended by the server's BYE on the caller's own
//! connection, a BYE waiting on a TLS connection that breaks with a message unwritten is
//! given up at once, a SIPS Request-URI is served over TLS and refused over UDP, and a
//! connection whose handshake never comes is closed within the message timeout.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::phone::ok_to;
use support::server::{Server, base_config};
use support::sip_stream::{SipStream, header};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned, crypto};

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the server waits for an accepted connection's first message, its TLS handshake
/// included: the SIP sockets' message timeout, 64*T1.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(32);

/// A server listening for TLS on loopback with a certificate for `localhost` made in `dir`,
/// and the certificate.
fn tls_server(dir: &Path, config: &str) -> (Server, CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.join("sip.crt"), dir.join("sip.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let tls = format!(
        "[sip]\ntls_listen = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let server = Server::start_with(&config.replace("[sip]\n", &tls));
    (server, made.cert.der().clone())
}

/// A client of the server's TLS listener over its own connection, with no listening socket.
struct TlsCaller {
    connection: SipStream<StreamOwned<ClientConnection, TcpStream>>,
    server: SocketAddr,
    local: SocketAddr,
}

impl TlsCaller {
    /// Connected to `server`, trusting `cert` alone, the handshake done.
    fn connect(server: SocketAddr, cert: &CertificateDer<'static>) -> TlsCaller {
        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let config =
            ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = ClientConnection::new(Arc::new(config), name).unwrap();
        let mut socket = TcpStream::connect(server).unwrap();
        socket.set_read_timeout(Some(LOG_TIMEOUT)).unwrap();
        while tls.is_handshaking() {
            tls.complete_io(&mut socket).expect("the TLS handshake");
        }
        let local = socket.local_addr().unwrap();
        TlsCaller {
            connection: SipStream::new(StreamOwned::new(tls, socket)),
            server,
            local,
        }
    }

    /// Sends an OPTIONS to `uri` and returns the response.
    fn options(&mut self, uri: &str) -> String {
        let local = self.local;
        self.connection.send(&format!(
            "OPTIONS {uri} SIP/2.0\r\n\
             Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-options;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-o\r\nTo: <{uri}>\r\n\
             Call-ID: tls-options@{local}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
             Content-Length: 0\r\n\r\n"
        ));
        self.connection
            .next_message(LOG_TIMEOUT)
            .unwrap_or_else(|why| panic!("no answer to the OPTIONS: {why}"))
    }

    /// Sends an INVITE for `user` offering PCMU at `rtp_port` on loopback, its Contact
    /// naming `contact`, and returns the first final response.
    fn invite(&mut self, user: &str, rtp_port: u16, contact: SocketAddr) -> String {
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        );
        let (local, server) = (self.local, self.server);
        self.connection.send(&format!(
            "INVITE sip:{user}@{server};transport=tls SIP/2.0\r\n\
             Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-1;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-1\r\nTo: <sip:{user}@{server}>\r\n\
             Call-ID: tls-call@{local}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:caller@{contact};transport=tls>\r\nMax-Forwards: 70\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ));
        self.connection.final_response("INVITE")
    }

    /// Acknowledges `answer`, a 2xx to the INVITE.
    fn ack(&mut self, answer: &str) {
        let local = self.local;
        let to = header(answer, "To");
        let target = header(answer, "Contact")
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned();
        self.connection.send(&format!(
            "ACK {target} SIP/2.0\r\n\
             Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-2;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-1\r\nTo: {to}\r\n\
             Call-ID: tls-call@{local}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n\
             Content-Length: 0\r\n\r\n"
        ));
    }

    /// Sends an OPTIONS, closes its side (TLS close_notify, then TCP FIN) and resets the
    /// connection: the server reads the OPTIONS and can no longer write its answer.
    fn break_after_options(mut self) {
        let local = self.local;
        let uri = format!("sip:000777123@{}", self.server);
        self.connection.send(&format!(
            "OPTIONS {uri} SIP/2.0\r\n\
             Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-last;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-l\r\nTo: <{uri}>\r\n\
             Call-ID: tls-last@{local}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
             Content-Length: 0\r\n\r\n"
        ));
        self.connection.stream.conn.send_close_notify();
        self.connection.stream.flush().unwrap();
        let socket = socket2::SockRef::from(&self.connection.stream.sock);
        socket.shutdown(std::net::Shutdown::Write).unwrap();
        // An abortive close: the server's kernel gets a reset, and fails the next write.
        socket.set_linger(Some(Duration::ZERO)).unwrap();
    }
}

#[test]
fn an_options_over_tls_is_answered_over_tls_and_a_sips_uri_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cert) = tls_server(dir.path(), &base_config());
    let tls = server.sip_on("TLS", false);
    let mut caller = TlsCaller::connect(tls, &cert);
    let answer = caller.options(&format!("sip:000777123@{tls}"));
    assert!(answer.starts_with("SIP/2.0 200 "), "{answer}");
    assert!(
        header(&answer, "Via").starts_with("SIP/2.0/TLS "),
        "{answer}"
    );

    // RFC 3261 §26.2.2: a SIPS Request-URI needs TLS on the hop.
    let sips = caller.options(&format!("sips:000777123@{tls}"));
    assert!(sips.starts_with("SIP/2.0 200 "), "{sips}");
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(LOG_TIMEOUT)).unwrap();
    let local = udp.local_addr().unwrap();
    let over_udp = format!(
        "OPTIONS sips:000777123@{tls} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-udp-sips;rport\r\n\
         From: <sip:caller@{local}>;tag=caller-u\r\nTo: <sips:000777123@{tls}>\r\n\
         Call-ID: udp-sips@{local}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    udp.send_to(over_udp.as_bytes(), server.sip).unwrap();
    let mut buffer = [0u8; 4096];
    let len = udp.recv(&mut buffer).expect("an answer over UDP");
    let refused = String::from_utf8_lossy(&buffer[..len]);
    assert!(
        refused.starts_with("SIP/2.0 416 Unsupported URI Scheme\r\n"),
        "{refused}"
    );
}

#[test]
fn a_call_over_tls_is_answered_and_the_servers_bye_comes_on_the_callers_connection() {
    // A call that sends no RTP ends after 3 s with the server's BYE. The caller is
    // reachable only on the connection it opened: its Contact names another port, where
    // no TLS connection of its comes from.
    let dir = tempfile::tempdir().unwrap();
    let config = base_config().replace("[rtp]\n", "[rtp]\ntimeout_s = 3\n");
    let (server, cert) = tls_server(dir.path(), &config);
    let tls = server.sip_on("TLS", false);
    let mut caller = TlsCaller::connect(tls, &cert);
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let elsewhere = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let rtp_port = media.local_addr().unwrap().port();
    let answer = caller.invite("000777123", rtp_port, elsewhere);
    assert!(answer.starts_with("SIP/2.0 200 "), "{answer}");
    assert_eq!(
        header(&answer, "Contact"),
        format!("<sip:{tls};transport=tls>"),
        "{answer}"
    );
    caller.ack(&answer);
    let bye = caller
        .connection
        .next_message(Duration::from_secs(10))
        .unwrap_or_else(|why| panic!("no BYE on the caller's connection: {why}"));
    assert!(bye.starts_with("BYE "), "{bye}");
    assert!(
        header(&bye, "Via").starts_with(&format!("SIP/2.0/TLS {tls};")),
        "{bye}"
    );
    caller.connection.send(&ok_to(&bye));
    server
        .wait_for_log("no RTP received: hanging up", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the RTP timeout to end the call: {e}"));
}

#[test]
fn a_bye_waiting_on_a_tls_connection_that_breaks_with_a_response_unwritten_fails_at_once() {
    // The server's BYE (once 3 s pass without RTP) is written on the caller's connection and
    // left unanswered; the connection then breaks with the answer to the caller's OPTIONS
    // unwritten. RFC 3261 §18.4: the BYE is given up then, not at Timer F (32 s).
    let dir = tempfile::tempdir().unwrap();
    let config = base_config().replace("[rtp]\n", "[rtp]\ntimeout_s = 3\n");
    let (server, cert) = tls_server(dir.path(), &config);
    let tls = server.sip_on("TLS", false);
    let mut caller = TlsCaller::connect(tls, &cert);
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rtp_port = media.local_addr().unwrap().port();
    let answer = caller.invite("000777123", rtp_port, caller.local);
    assert!(answer.starts_with("SIP/2.0 200 "), "{answer}");
    caller.ack(&answer);
    let bye = caller
        .connection
        .next_message(Duration::from_secs(10))
        .unwrap_or_else(|why| panic!("no BYE on the caller's connection: {why}"));
    assert!(bye.starts_with("BYE "), "{bye}");
    caller.break_after_options();
    server
        .wait_for_log("cause=LocalHangup", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("expected the BYE given up and the call ended at once: {e}"));
}

#[test]
fn a_connection_whose_handshake_never_comes_is_closed_within_the_message_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = tls_server(dir.path(), &base_config());
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.sip_on("TLS", false)).unwrap();
    let slack = Duration::from_secs(8);
    silent
        .set_read_timeout(Some(MESSAGE_TIMEOUT + slack))
        .unwrap();
    let mut byte = [0u8; 1];
    let read = silent.read(&mut byte);
    let took = started.elapsed();
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "closed by the server, not answered nor left open: {read:?} after {took:?}"
    );
    assert!(
        took >= MESSAGE_TIMEOUT - Duration::from_secs(1),
        "closed after {took:?}, before the message timeout"
    );
}
